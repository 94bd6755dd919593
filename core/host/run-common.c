/* What the commands that run a pipeline (run, eval, train) share: the
 * --stats tables, the response cache and trace options, --params, --max-cost,
 * the budget warnings and the exit status. */
#include "host/run-common.h"

#include <math.h>

#include "host/commands.h"
#include "resources/metrics.h"

void
inf_host_print_stats(InfResourceManager *resources, FILE *out)
{
  fprintf(out, "%-12s %9s %9s %7s %7s %7s %9s %9s %9s %10s %10s %10s\n", "alias", "requests",
          "successes", "errors", "429s", "retries", "p50 ms", "p95 ms", "p99 ms", "tokens in",
          "tokens out", "cost $");
  for (guint i = 0; i < inf_resource_manager_get_n_aliases(resources); i++) {
    InfResourceAlias *alias = inf_resource_manager_get_alias(resources, i);
    InfMetrics *m = inf_resource_alias_get_metrics(alias);
    guint64 errors = 0;
    for (guint c = 0; c < INF_METRICS_N_CODES; c++)
      if (c != INF_ERROR_RATE_LIMITED)
        errors += m->errors[c];
    fprintf(out,
            "%-12s %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT
            " %7" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT " %9.2f %9.2f %9.2f %10" G_GINT64_FORMAT
            " %10" G_GINT64_FORMAT " %10.4f\n",
            m->alias, m->requests, m->successes, errors, m->rate_limited, m->retries,
            inf_metrics_latency_quantile(m, 0.5), inf_metrics_latency_quantile(m, 0.95),
            inf_metrics_latency_quantile(m, 0.99), m->input_tokens, m->output_tokens, m->cost);
  }
  for (guint i = 0; i < inf_resource_manager_get_n_aliases(resources); i++) {
    InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_get_alias(resources, i));
    g_autofree char *reasons = inf_metrics_format_finish_reasons(m);
    if (*reasons)
      fprintf(out, "%-12s finish reasons: %s\n", m->alias, reasons);
  }
}

/* Totals of the alias metrics' cache counters. */
static InfMetrics
cache_totals(InfResourceManager *resources)
{
  InfMetrics total = { 0 };
  for (guint i = 0; i < inf_resource_manager_get_n_aliases(resources); i++) {
    const InfMetrics *m =
        inf_resource_alias_get_metrics(inf_resource_manager_get_alias(resources, i));
    total.cache_hits += m->cache_hits;
    total.cache_shared += m->cache_shared;
    total.cache_misses += m->cache_misses;
    total.cache_saved_input_tokens += m->cache_saved_input_tokens;
    total.cache_saved_output_tokens += m->cache_saved_output_tokens;
    total.cache_saved_cost += m->cache_saved_cost;
  }
  return total;
}

void
inf_host_print_cache_stats(InfResourceManager *resources, FILE *out)
{
  InfResponseCache *cache = inf_resource_manager_get_cache(resources);
  if (!cache)
    return;
  InfCacheStore *store = inf_response_cache_get_store(cache);
  const InfCacheConfig *config = inf_cache_store_get_config(store);
  InfMetrics t = cache_totals(resources);
  fprintf(out,
          "cache %s (%s%s): %" G_GUINT64_FORMAT " hits, %" G_GUINT64_FORMAT
          " shared, %" G_GUINT64_FORMAT " misses; saved %" G_GINT64_FORMAT
          " tokens in, %" G_GINT64_FORMAT " tokens out, $%.4f; %" G_GUINT64_FORMAT
          " stored, %" G_GUINT64_FORMAT " evicted, %" G_GINT64_FORMAT " entries, %" G_GINT64_FORMAT
          " bytes\n",
          config->path, inf_cache_mode_name(config->mode),
          inf_cache_store_is_active(store) ? "" : ", turned off after an error", t.cache_hits,
          t.cache_shared, t.cache_misses, t.cache_saved_input_tokens, t.cache_saved_output_tokens,
          t.cache_saved_cost, inf_cache_store_get_stored(store), inf_cache_store_get_evicted(store),
          inf_cache_store_get_entries(store), inf_cache_store_get_bytes(store));
}

json_object *
inf_host_cache_metrics_json(InfResourceManager *resources)
{
  InfResponseCache *cache = inf_resource_manager_get_cache(resources);
  if (!cache)
    return NULL;
  InfCacheStore *store = inf_response_cache_get_store(cache);
  const InfCacheConfig *config = inf_cache_store_get_config(store);
  InfMetrics t = cache_totals(resources);
  json_object *json = json_object_new_object();
  json_object_object_add(json, "path", json_object_new_string(config->path));
  json_object_object_add(json, "mode", json_object_new_string(inf_cache_mode_name(config->mode)));
  json_object_object_add(json, "active", json_object_new_boolean(inf_cache_store_is_active(store)));
  json_object_object_add(json, "hits", json_object_new_int64((gint64)t.cache_hits));
  json_object_object_add(json, "shared", json_object_new_int64((gint64)t.cache_shared));
  json_object_object_add(json, "misses", json_object_new_int64((gint64)t.cache_misses));
  json_object *saved = json_object_new_object();
  json_object_object_add(saved, "input", json_object_new_int64(t.cache_saved_input_tokens));
  json_object_object_add(saved, "output", json_object_new_int64(t.cache_saved_output_tokens));
  json_object_object_add(json, "saved_tokens", saved);
  json_object_object_add(json, "saved_cost", json_object_new_double(t.cache_saved_cost));
  json_object_object_add(json, "stored",
                         json_object_new_int64((gint64)inf_cache_store_get_stored(store)));
  json_object_object_add(json, "evicted",
                         json_object_new_int64((gint64)inf_cache_store_get_evicted(store)));
  json_object_object_add(json, "entries",
                         json_object_new_int64(inf_cache_store_get_entries(store)));
  json_object_object_add(json, "bytes", json_object_new_int64(inf_cache_store_get_bytes(store)));
  return json;
}

/* The response cache the run asked for (the resources' cache block, then
 * --cache, --cache-mode and --no-cache), or NULL. A file that cannot be used
 * is a warning: the run goes on without it. FALSE on a usage error. */
gboolean
inf_host_open_cache(const char *command, const InfResourcesConfig *resources, const char *path,
                    const char *mode, gboolean no_cache, InfResponseCache **out)
{
  *out = NULL;
  if (no_cache && (path || mode)) {
    g_printerr("inf-engine %s: --no-cache contradicts --cache and --cache-mode\n", command);
    return FALSE;
  }
  g_autoptr(InfCacheConfig) config = resources && resources->cache
                                         ? inf_cache_config_copy(resources->cache)
                                         : inf_cache_config_new();
  if (path) {
    g_free(config->path);
    config->path = g_strdup(path);
  }
  if (mode && !inf_cache_mode_from_name(mode, &config->mode)) {
    g_printerr("inf-engine %s: --cache-mode: expected one of " INF_CACHE_MODE_CHOICES
               ", got '%s'\n",
               command, mode);
    return FALSE;
  }
  if (no_cache)
    return TRUE;
  if (!config->path) {
    if (mode) {
      g_printerr("inf-engine %s: --cache-mode needs a cache file (--cache FILE or "
                 "resources.cache.path)\n",
                 command);
      return FALSE;
    }
    return TRUE;
  }
  g_autoptr(GError) error = NULL;
  InfCacheStore *store = inf_cache_store_open(config, &error);
  if (!store) {
    g_printerr("inf-engine: warning: %s; the run goes on without the cache\n", error->message);
    return TRUE;
  }
  *out = inf_response_cache_new(store);
  return TRUE;
}

InfTraceWriter *
inf_host_open_trace(const char *path, guint sample_every, const char *config_path, GError **error)
{
  json_object *meta = json_object_new_object();
  json_object_object_add(meta, "engine", json_object_new_string("inf-engine " INF_VERSION_STRING));
  g_autofree char *config_name = g_path_get_basename(config_path);
  json_object_object_add(meta, "config", json_object_new_string(config_name));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *started = g_date_time_format_iso8601(now);
  json_object_object_add(meta, "started", json_object_new_string(started));
  json_object_object_add(meta, "trace_sample", json_object_new_int64(MAX(sample_every, 1)));
  InfTraceWriterConfig config = { .sample_every = sample_every };
  InfTraceWriter *writer = inf_trace_writer_new(path, &config, meta, error);
  json_object_put(meta);
  return writer;
}

gboolean
inf_host_load_params(InfModule *main_module, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return FALSE;
  json_object *json = json_tokener_parse(text);
  if (!json || !json_object_is_type(json, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: expected a JSON object mapping parameter names to values (a state dict "
                "written by `inf-engine train`)",
                path);
    json_object_put(json);
    return FALSE;
  }
  g_autoptr(GError) local = NULL;
  gboolean ok = inf_module_load_state_dict(main_module, json, TRUE, &local);
  json_object_put(json);
  if (!ok)
    g_set_error(error, local->domain, local->code, "%s: %s", path, local->message);
  return ok;
}

/* --max-cost: a finite number >= 0 (USD). */
void
inf_host_read_spent(json_object *json, InfBudgetAmount *out)
{
  json_object *v;
  *out = (InfBudgetAmount){ 0 };
  if (json_object_object_get_ex(json, "cost", &v))
    out->cost = json_object_get_double(v);
  if (json_object_object_get_ex(json, "requests", &v))
    out->requests = json_object_get_int64(v);
  if (json_object_object_get_ex(json, "tokens", &v))
    out->tokens = json_object_get_int64(v);
}

int
inf_host_exit_status(int status, gboolean failed, gboolean halted, gboolean interrupted)
{
  if (failed && status == INF_EXIT_OK)
    status = INF_EXIT_FAILURE;
  if (halted)
    status = INF_EXIT_BUDGET;
  if (interrupted)
    status = INF_EXIT_INTERRUPTED;
  return status;
}

gboolean
inf_host_parse_max_cost(const char *text, double *out)
{
  char *end = NULL;
  double v = g_ascii_strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(v) || v < 0)
    return FALSE;
  *out = v;
  return TRUE;
}

static void
format_amount(GString *out, const char *what, double v)
{
  if (g_str_equal(what, "max_cost"))
    g_string_append_printf(out, "$%.4f", v);
  else
    g_string_append_printf(out, "%.0f", v);
}

/* @user_data: where the run's trace writer is (NULL: no trace). */
void
inf_host_budget_warn(InfBudget *budget, const char *scope, const char *what, double fraction,
                     double spent, double limit, gpointer user_data)
{
  (void)budget;
  InfTraceWriter *trace = *(InfTraceWriter **)user_data;
  if (trace) {
    json_object *args = json_object_new_object();
    json_object_object_add(args, "scope", json_object_new_string(scope));
    json_object_object_add(args, "limit", json_object_new_string(what));
    json_object_object_add(args, "fraction", json_object_new_double(fraction));
    json_object_object_add(args, "spent", json_object_new_double(spent));
    json_object_object_add(args, "limit_value", json_object_new_double(limit));
    inf_trace_writer_instant(trace, "budget", "budget warning", args);
    json_object_put(args);
  }
  g_autoptr(GString) line = g_string_new(NULL);
  g_string_append_printf(line, "budget warning: %.0f%% of %s ", fraction * 100, what);
  format_amount(line, what, limit);
  if (g_str_equal(scope, "global"))
    g_string_append(line, " used: ");
  else
    g_string_append_printf(line, " of alias '%s' used: ", scope);
  format_amount(line, what, spent);
  fprintf(stderr, "%s\n", line->str);
  fflush(stderr);
}

/* A budget with a cost limit counts calls to unpriced endpoints as $0: say
 * so before the run rather than after it. */
void
inf_host_warn_unpriced(const InfResourcesConfig *config, const InfGraph *graph, InfBudget *budget)
{
  InfBudgetLimits limits;
  inf_budget_get_limits(budget, &limits);
  for (guint i = 0; graph->aliases && graph->aliases[i]; i++) {
    const InfAliasConfig *ac = inf_resources_config_lookup(config, graph->aliases[i]);
    const InfBudgetAliasConfig *bc =
        config->budget ? inf_budget_config_lookup(config->budget, graph->aliases[i]) : NULL;
    if (!ac || (limits.max_cost < 0 && !(bc && bc->limits.max_cost >= 0)))
      continue;
    for (guint e = 0; e < ac->endpoints->len; e++) {
      const InfEndpointConfig *ep = g_ptr_array_index(ac->endpoints, e);
      if (ep->input_cost_per_1m == 0 && ep->output_cost_per_1m == 0) {
        fprintf(stderr,
                "budget warning: %s sets no input_cost_per_1m/output_cost_per_1m: its calls "
                "count as $0 toward the cost limit\n",
                ep->json_path);
        break;
      }
    }
  }
}
