/* The set-up `inf-engine eval` and `inf-engine train` share. */
#include "host/optim-session.h"

#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>

#include "host/run-common.h"
#include "resources/metrics.h"

void
inf_optim_session_options_init(InfOptimSessionOptions *options)
{
  *options = (InfOptimSessionOptions){ .max_concurrent = G_MININT, .max_inflight = G_MININT };
}

void
inf_optim_session_options_clear(InfOptimSessionOptions *options)
{
  g_strfreev(options->plugin_dirs);
  g_free(options->resources_path);
  g_free(options->params_path);
  g_free(options->cache_path);
  g_free(options->cache_mode);
  g_free(options->max_cost_text);
  g_free(options->trace_path);
  g_free(options->metrics_path);
}

int
inf_optim_session_open(InfOptimSession *session, const char *command, const char *config_path,
                       InfOptimSessionOptions *options, gboolean need_optimizer)
{
  g_autoptr(GError) error = NULL;
  *session = (InfOptimSession){ .command = command, .options = options };
  if ((options->max_concurrent != G_MININT && options->max_concurrent < 1) ||
      (options->max_inflight != G_MININT && options->max_inflight < 1)) {
    g_printerr("inf-engine %s: --max-concurrent and --max-inflight take a number >= 1\n", command);
    return INF_EXIT_USAGE;
  }
  InfBudgetLimits overrides = INF_BUDGET_LIMITS_NONE;
  if (options->max_cost_text &&
      !inf_host_parse_max_cost(options->max_cost_text, &overrides.max_cost)) {
    g_printerr("inf-engine %s: --max-cost takes an amount in USD, a finite number >= 0 "
               "(e.g. 2.50), not '%s'\n",
               command, options->max_cost_text);
    return INF_EXIT_USAGE;
  }
  session->config = inf_host_load_config(command, (const char *const *)options->plugin_dirs,
                                         config_path, options->resources_path, &session->host);
  if (!session->config)
    return INF_EXIT_USAGE;
  InfGraph *graph = inf_config_get_graph(session->config);
  session->training = inf_training_config_parse(
      inf_config_get_training(session->config), inf_config_get_path(session->config), graph,
      session->host->registry, inf_config_get_resolver(session->config), need_optimizer, &error);
  if (!session->training) {
    g_printerr("inf-engine %s: %s\n", command, error->message);
    return INF_EXIT_USAGE;
  }
  if (options->params_path &&
      !inf_host_load_params(inf_config_get_main(session->config), options->params_path, &error)) {
    g_printerr("inf-engine %s: %s\n", command, error->message);
    return INF_EXIT_USAGE;
  }
  const InfResourcesConfig *rc = inf_config_get_resources(session->config);
  session->resources = inf_resource_manager_new(rc, session->host->registry, &error);
  if (!session->resources) {
    g_printerr("inf-engine %s: %s\n", command, error->message);
    return INF_EXIT_USAGE;
  }
  InfResponseCache *cache = NULL;
  if (!inf_host_open_cache(command, rc, options->cache_path, options->cache_mode, options->no_cache,
                           &cache))
    return INF_EXIT_USAGE;
  inf_resource_manager_set_cache(session->resources, cache);
  if (inf_budget_config_has_limits(rc ? rc->budget : NULL) || overrides.max_cost >= 0) {
    session->budget = inf_budget_new(rc ? rc->budget : NULL, &overrides);
    inf_budget_set_warn_func(session->budget, inf_host_budget_warn, &session->trace);
    inf_resource_manager_set_budget(session->resources, session->budget);
    if (rc)
      inf_host_warn_unpriced(rc, graph, session->budget);
  }
  session->max_inflight = options->max_inflight != G_MININT   ? (guint)options->max_inflight
                          : rc && rc->max_inflight_graphs > 0 ? (guint)rc->max_inflight_graphs
                                                              : 64;
  InfSchedulerConfig sc = {
    .max_concurrent = options->max_concurrent != G_MININT ? options->max_concurrent : 0,
    .max_inflight = (gint)session->max_inflight,
  };
  session->scheduler = inf_scheduler_new(graph, session->resources, &sc, &error);
  if (!session->scheduler) {
    g_printerr("inf-engine %s: %s\n", command, error->message);
    return INF_EXIT_USAGE;
  }
  if (options->trace_path) {
    session->trace = inf_host_open_trace(options->trace_path, 0, config_path, &error);
    if (!session->trace) {
      g_printerr("inf-engine %s: %s\n", command, error->message);
      return INF_EXIT_USAGE;
    }
    inf_scheduler_set_trace(session->scheduler, session->trace);
  }
  return INF_EXIT_OK;
}

void
inf_optim_session_get_spend(InfOptimSession *session, InfSpend *out)
{
  *out = (InfSpend){ 0 };
  for (guint i = 0; i < inf_resource_manager_get_n_aliases(session->resources); i++) {
    InfMetrics *m =
        inf_resource_alias_get_metrics(inf_resource_manager_get_alias(session->resources, i));
    out->calls += m->requests;
    out->tokens = inf_tokens_add(out->tokens, inf_tokens_add(m->input_tokens, m->output_tokens));
    out->cost += m->cost;
  }
}

gboolean
inf_optim_session_budget_exhausted(InfOptimSession *session)
{
  return session->budget && inf_budget_is_exhausted(session->budget);
}

void
inf_optim_session_format_score(GString *out, double score)
{
  if (isnan(score))
    g_string_append(out, "-");
  else
    g_string_append_printf(out, "%.4f", score);
}

void
inf_optim_session_watch(InfOptimSessionWatch *watch, guint interval_ms, GSourceFunc progress,
                        GSourceFunc on_signal, gpointer data)
{
  watch->progress = NULL;
  if (interval_ms > 0) {
    watch->progress = g_timeout_source_new(interval_ms);
    g_source_set_callback(watch->progress, progress, data, NULL);
    g_source_attach(watch->progress, NULL);
  }
  watch->sigint = g_unix_signal_add(SIGINT, on_signal, data);
  watch->sigterm = g_unix_signal_add(SIGTERM, on_signal, data);
}

void
inf_optim_session_unwatch(InfOptimSessionWatch *watch)
{
  g_source_remove(watch->sigint);
  g_source_remove(watch->sigterm);
  if (watch->progress) {
    g_source_destroy(watch->progress);
    g_clear_pointer(&watch->progress, g_source_unref);
  }
}

void
inf_optim_session_close(InfOptimSession *session, json_object *extra, int *status)
{
  g_autoptr(GError) error = NULL;
  if (session->resources && session->options->stats) {
    inf_host_print_stats(session->resources, stderr);
    inf_host_print_cache_stats(session->resources, stderr);
  }
  if (session->resources && session->options->metrics_path) {
    json_object *root = inf_resource_manager_metrics_json(session->resources);
    if (session->budget)
      json_object_object_add(root, "budget", inf_budget_to_json(session->budget));
    json_object *cache = inf_host_cache_metrics_json(session->resources);
    if (cache)
      json_object_object_add(root, "cache", cache);
    if (extra)
      json_object_object_add(root, session->command, g_steal_pointer(&extra));
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!inf_host_write_file(session->options->metrics_path, text, -1, &error)) {
      g_printerr("inf-engine %s: cannot write metrics: %s\n", session->command, error->message);
      g_clear_error(&error);
      if (*status == 0)
        *status = 1;
    }
    json_object_put(root);
  }
  json_object_put(extra);
  if (session->scheduler) {
    inf_scheduler_finish_trace(session->scheduler);
    inf_scheduler_stop(session->scheduler);
  }
  g_clear_pointer(&session->resources, inf_resource_manager_free);
  if (session->trace && !inf_trace_writer_close(session->trace, &error)) {
    g_printerr("inf-engine %s: %s\n", session->command, error->message);
    g_clear_error(&error);
    if (*status == 0)
      *status = 1;
  }
  g_clear_pointer(&session->scheduler, inf_scheduler_free);
  g_clear_pointer(&session->trace, inf_trace_writer_free);
  g_clear_pointer(&session->budget, inf_budget_free);
  g_clear_pointer(&session->training, inf_training_config_free);
  g_clear_pointer(&session->config, inf_config_free);
  g_clear_pointer(&session->host, inf_host_context_free);
}
