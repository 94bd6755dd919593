#include "exec/node-trace.h"

#include <string.h>

typedef struct {
  InfResourceAlias *alias;
  guint pid;
  gint last_in_flight;
  double last_rate;
} AliasCounters;

/* Reading the clock for the counters' interval once per this many events. */
#define SAMPLE_CHECK_EVERY 16

struct _InfNodeTrace {
  InfTraceWriter *writer;
  InfResourceManager *resources;
  InfGraph *graph;
  char **name_json; /* per node: its id, its module class, as JSON strings */
  char **category_json;
  GArray *aliases; /* AliasCounters */
  guint since_check;
  gint64 now; /* read by the last traced begin or end, when fresh */
  gboolean fresh;
  gint64 last_sample;
  gboolean sampled;
  guint last_inputs;
  gint last_running;
  double last_spend;
};

InfNodeTrace *
inf_node_trace_new(InfTraceWriter *writer, InfResourceManager *resources, InfGraph *graph)
{
  InfNodeTrace *t = g_new0(InfNodeTrace, 1);
  t->writer = writer;
  t->resources = resources;
  t->graph = inf_graph_ref(graph);
  t->name_json = g_new0(char *, graph->n_nodes + 1);
  t->category_json = g_new0(char *, graph->n_nodes + 1);
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    const InfGraphNode *gn = &graph->nodes[i];
    t->name_json[i] = inf_trace_json_string(gn->id);
    /* A switch node has no module: its span (if any) is categorised "switch". */
    const char *category = gn->module != NULL ? inf_module_get_class(gn->module)->name : "switch";
    t->category_json[i] = inf_trace_json_string(category);
  }
  t->aliases = g_array_new(FALSE, FALSE, sizeof(AliasCounters));
  return t;
}

void
inf_node_trace_free(InfNodeTrace *t)
{
  if (!t)
    return;
  for (guint i = 0; i < t->graph->n_nodes; i++) {
    g_free(t->name_json[i]);
    g_free(t->category_json[i]);
  }
  g_free(t->name_json);
  g_free(t->category_json);
  inf_graph_unref(t->graph);
  g_array_unref(t->aliases);
  g_free(t);
}

guint
inf_node_trace_add_lane(InfNodeTrace *t, InfResourceAlias *alias)
{
  if (!alias)
    return inf_trace_writer_add_process(t->writer, "local nodes");
  g_autofree char *models = inf_resource_alias_describe_models(alias);
  g_autofree char *name = g_strdup_printf("%s (%s)", inf_resource_alias_get_name(alias), models);
  AliasCounters c = {
    .alias = alias,
    .pid = inf_trace_writer_add_process(t->writer, name),
    .last_in_flight = -1,
    .last_rate = -1,
  };
  g_array_append_val(t->aliases, c);
  return c.pid;
}

void
inf_node_trace_begin(InfNodeTrace *t, InfNodeSpan *span, guint pid, guint64 input)
{
  span->traced = inf_trace_writer_traces_input(t->writer, input);
  if (!span->traced)
    return;
  span->start_ns = t->now = inf_trace_writer_now(t->writer);
  t->fresh = TRUE;
  span->pid = pid;
  span->tid = inf_trace_writer_acquire_slot(t->writer, pid);
  span->llm = FALSE;
  span->cache_hit = FALSE;
  span->retries = 0;
  span->http_status = 0;
  span->tokens_in = span->tokens_out = 0;
  span->cost = 0;
  span->finish_reason[0] = '\0';
}

static void
rate_counter(InfNodeTrace *t, AliasCounters *c)
{
  double rate = inf_resource_alias_get_rate(c->alias);
  if (rate != c->last_rate) {
    c->last_rate = rate;
    inf_trace_writer_counter(t->writer, c->pid, "rate_limit", "req_per_s", rate);
  }
}

void
inf_node_trace_attempt(InfNodeTrace *t, InfNodeSpan *span, const InfLlmAttempt *a, guint64 input,
                       guint node)
{
  if (!span->traced)
    return;
  span->llm = TRUE;
  if (a->http_status)
    span->http_status = a->http_status;
  span->tokens_in += a->input_tokens;
  span->tokens_out += a->output_tokens;
  if (a->response) {
    const char *reason = inf_llm_response_get_finish_reason(a->response);
    g_strlcpy(span->finish_reason, reason ? reason : "", sizeof span->finish_reason);
  }
  span->cost += a->cost;
  gboolean limited = a->error && g_error_matches(a->error, INF_ERROR, INF_ERROR_RATE_LIMITED);
  if (!limited && a->retry_in_ms < 0)
    return;
  gint64 now = inf_trace_writer_now(t->writer);
  if (limited) {
    inf_trace_writer_begin_instant(t->writer, span->pid, (gint)span->tid, "rate_limit", "429", now);
  } else {
    span->retries++;
    inf_trace_writer_begin_instant(t->writer, span->pid, (gint)span->tid, "retry", "retry", now);
  }
  inf_trace_writer_add_raw(t->writer, "node", t->name_json[node]);
  inf_trace_writer_add_int(t->writer, "input", (gint64)input);
  inf_trace_writer_add_int(t->writer, "attempt", a->attempt + 1);
  if (a->error && a->error->domain == INF_ERROR)
    inf_trace_writer_add_string(t->writer, "error", inf_error_code_name(a->error->code));
  if (a->http_status)
    inf_trace_writer_add_int(t->writer, "http_status", a->http_status);
  if (a->retry_after_ms >= 0)
    inf_trace_writer_add_int(t->writer, "retry_after_ms", a->retry_after_ms);
  if (a->retry_in_ms >= 0)
    inf_trace_writer_add_int(t->writer, "retry_in_ms", a->retry_in_ms);
  inf_trace_writer_end_event(t->writer);
  if (limited) {
    /* The limiter just backed off: show the new rate at once. */
    for (guint i = 0; i < t->aliases->len; i++) {
      AliasCounters *c = &g_array_index(t->aliases, AliasCounters, i);
      if (c->pid == span->pid)
        rate_counter(t, c);
    }
  }
}

void
inf_node_trace_end(InfNodeTrace *t, InfNodeSpan *span, guint node, guint64 input, guint attempt,
                   const char *status, const GError *error)
{
  if (!span->traced)
    return;
  span->traced = FALSE;
  InfTraceWriter *w = t->writer;
  t->now = inf_trace_writer_now(w);
  t->fresh = TRUE;
  inf_trace_writer_begin_complete_json(w, span->pid, span->tid, t->category_json[node],
                                       t->name_json[node], span->start_ns, t->now);
  inf_trace_writer_add_int(w, "input", (gint64)input);
  inf_trace_writer_add_int(w, "attempt", attempt);
  inf_trace_writer_add_string(w, "status", status);
  if (error && error->domain == INF_ERROR)
    inf_trace_writer_add_string(w, "error", inf_error_code_name(error->code));
  if (span->llm) {
    inf_trace_writer_add_bool(w, "cache_hit", span->cache_hit);
    inf_trace_writer_add_int(w, "tokens_in", span->tokens_in);
    inf_trace_writer_add_int(w, "tokens_out", span->tokens_out);
    inf_trace_writer_add_double(w, "cost", span->cost);
    inf_trace_writer_add_int(w, "retries", span->retries);
    if (span->http_status)
      inf_trace_writer_add_int(w, "http_status", span->http_status);
    if (span->finish_reason[0])
      inf_trace_writer_add_string(w, "finish_reason", span->finish_reason);
  }
  inf_trace_writer_end_event(w);
  inf_trace_writer_release_slot(w, span->pid, span->tid);
}

static double
spend(InfNodeTrace *t)
{
  InfBudget *budget = inf_resource_manager_get_budget(t->resources);
  if (budget) {
    /* What the budget charged: reported usage, or the reservation kept
     * when a call's usage is unknown. */
    InfBudgetAmount spent;
    inf_budget_get_spent(budget, NULL, &spent);
    return spent.cost;
  }
  double total = 0;
  for (guint i = 0; i < inf_resource_manager_get_n_aliases(t->resources); i++)
    total += inf_resource_alias_get_metrics(inf_resource_manager_get_alias(t->resources, i))->cost;
  return total;
}

void
inf_node_trace_sample(InfNodeTrace *t, guint inputs, gint running, gboolean force)
{
  /* Untraced nodes (sampled out) do not read the clock: check it every
   * few of them. */
  if (!force && !t->fresh && ++t->since_check < SAMPLE_CHECK_EVERY)
    return;
  gint64 now = t->fresh && !force ? t->now : inf_trace_writer_now(t->writer);
  t->since_check = 0;
  t->fresh = FALSE;
  if (!force && now - t->last_sample < inf_trace_writer_get_counter_interval(t->writer))
    return;
  gboolean first = !t->sampled;
  t->sampled = TRUE;
  t->last_sample = now;
  InfTraceWriter *w = t->writer;
  if (first || inputs != t->last_inputs)
    inf_trace_writer_counter(w, INF_TRACE_PID_RUN, "inputs", "in_flight", inputs);
  if (first || running != t->last_running)
    inf_trace_writer_counter(w, INF_TRACE_PID_RUN, "nodes", "running", running);
  t->last_inputs = inputs;
  t->last_running = running;
  if (!t->resources)
    return;
  double total = spend(t);
  if (first || total != t->last_spend)
    inf_trace_writer_counter(w, INF_TRACE_PID_RUN, "spend", "usd", total);
  t->last_spend = total;
  for (guint i = 0; i < t->aliases->len; i++) {
    AliasCounters *c = &g_array_index(t->aliases, AliasCounters, i);
    gint in_flight = inf_resource_alias_get_in_flight(c->alias);
    if (in_flight != c->last_in_flight) {
      c->last_in_flight = in_flight;
      inf_trace_writer_counter(w, c->pid, "in_flight", "calls", in_flight);
    }
    rate_counter(t, c);
  }
}

void
inf_node_trace_finish(InfNodeTrace *t, guint inputs, gint running)
{
  inf_node_trace_sample(t, inputs, running, TRUE);
  t->resources = NULL;
}
