#include "exec/state.h"

const char *
inf_node_status_name(InfNodeStatus status)
{
  static const char *const names[] = {
    "blocked", "pending", "running", "completed", "failed", "cancelled", "skipped",
  };
  return (guint)status < G_N_ELEMENTS(names) ? names[status] : "unknown";
}

static inline gboolean
is_terminal(guint8 status)
{
  return status >= INF_NODE_COMPLETED;
}

InfExecState *
inf_exec_state_new(InfGraph *graph, guint64 index, InfValue *const *inputs)
{
  guint n = graph->n_nodes;
  /* One block: the struct, results, remaining counts, statuses. */
  gsize size = sizeof(InfExecState) + n * sizeof(InfValue *) + n * sizeof(guint32) + n;
  InfExecState *state = g_malloc0(size);
  state->graph = inf_graph_ref(graph);
  state->index = index;
  state->ref_count = 1;
  state->results = (InfValue **)(state + 1);
  state->remaining = (guint32 *)(state->results + n);
  state->status = (guint8 *)(state->remaining + n);
  state->start_us = g_get_monotonic_time();
  for (guint i = 0; i < n; i++)
    state->remaining[i] = graph->nodes[i].n_deps;
  for (guint i = 0; i < graph->n_inputs; i++)
    state->results[i] = inputs && inputs[i] ? inf_value_ref(inputs[i]) : inf_value_new_null();
  return state;
}

InfExecState *
inf_exec_state_ref(InfExecState *state)
{
  state->ref_count++;
  return state;
}

void
inf_exec_state_unref(InfExecState *state)
{
  if (!state || --state->ref_count > 0)
    return;
  for (guint i = 0; i < state->graph->n_nodes; i++)
    if (state->results[i])
      inf_value_unref(state->results[i]);
  inf_graph_unref(state->graph);
  g_free(state);
}

gboolean
inf_exec_state_is_done(const InfExecState *state)
{
  return state->n_terminal == state->graph->n_nodes;
}

static void
release_dependents(InfExecState *state, guint node)
{
  const InfGraphNode *gn = &state->graph->nodes[node];
  for (guint i = 0; i < gn->n_dependents; i++) {
    guint d = gn->dependents[i];
    if (state->status[d] == INF_NODE_BLOCKED && --state->remaining[d] == 0) {
      state->status[d] = INF_NODE_PENDING;
      if (state->on_ready)
        state->on_ready(state, d, state->on_ready_data);
    }
  }
}

void
inf_exec_state_start(InfExecState *state, InfExecReadyFunc on_ready, gpointer user_data)
{
  InfGraph *graph = state->graph;
  state->on_ready = on_ready;
  state->on_ready_data = user_data;
  for (guint i = 0; i < graph->n_inputs; i++) {
    state->status[i] = INF_NODE_COMPLETED;
    state->n_terminal++;
  }
  /* Nodes with no dependencies at all (literal arguments only). */
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    if (graph->nodes[i].n_deps == 0 && state->status[i] == INF_NODE_BLOCKED) {
      state->status[i] = INF_NODE_PENDING;
      if (on_ready)
        on_ready(state, i, user_data);
    }
  for (guint i = 0; i < graph->n_inputs; i++)
    release_dependents(state, i);
}

void
inf_exec_state_mark_running(InfExecState *state, guint node)
{
  g_return_if_fail(state->status[node] == INF_NODE_PENDING);
  state->status[node] = INF_NODE_RUNNING;
}

void
inf_exec_state_complete(InfExecState *state, guint node, InfValue *value)
{
  if (is_terminal(state->status[node])) {
    /* Cancelled while running (a second signal): drop the late result. */
    inf_value_unref(value);
    return;
  }
  state->status[node] = INF_NODE_COMPLETED;
  state->results[node] = value;
  state->n_terminal++;
  release_dependents(state, node);
}

static void
cancel_descendants(InfExecState *state, guint node, const char *reason_node)
{
  const InfGraph *graph = state->graph;
  GArray *stack = g_array_new(FALSE, FALSE, sizeof(guint));
  g_array_append_val(stack, node);
  g_autoptr(GError) cancelled = NULL;
  while (stack->len) {
    guint n = g_array_index(stack, guint, stack->len - 1);
    g_array_set_size(stack, stack->len - 1);
    const InfGraphNode *gn = &graph->nodes[n];
    for (guint i = 0; i < gn->n_dependents; i++) {
      guint d = gn->dependents[i];
      guint8 st = state->status[d];
      if (st != INF_NODE_BLOCKED && st != INF_NODE_PENDING)
        continue;
      if (!cancelled)
        cancelled = g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "cancelled: upstream node '%s' failed",
                                reason_node);
      state->status[d] = INF_NODE_CANCELLED;
      state->results[d] = inf_value_new_error(cancelled, graph->nodes[d].id);
      state->n_terminal++;
      state->n_failed++;
      g_array_append_val(stack, d);
    }
  }
  g_array_unref(stack);
}

void
inf_exec_state_fail(InfExecState *state, guint node, const GError *error)
{
  if (is_terminal(state->status[node]))
    return;
  state->status[node] = INF_NODE_FAILED;
  state->results[node] = inf_value_new_error(error, state->graph->nodes[node].id);
  state->n_terminal++;
  state->n_failed++;
  cancel_descendants(state, node, state->graph->nodes[node].id);
}

void
inf_exec_state_requeue(InfExecState *state, guint node)
{
  const InfGraph *graph = state->graph;
  g_return_if_fail(state->status[node] == INF_NODE_RUNNING);
  /* Re-block every descendant: drop what they had and recount. */
  GArray *stack = g_array_new(FALSE, FALSE, sizeof(guint));
  g_array_append_val(stack, node);
  while (stack->len) {
    guint n = g_array_index(stack, guint, stack->len - 1);
    g_array_set_size(stack, stack->len - 1);
    const InfGraphNode *gn = &graph->nodes[n];
    for (guint i = 0; i < gn->n_dependents; i++) {
      guint d = gn->dependents[i];
      guint8 st = state->status[d];
      /* Untouched, or cancelled because another ancestor failed: leave it. */
      if ((st == INF_NODE_BLOCKED && !state->results[d]) || st == INF_NODE_CANCELLED ||
          st == INF_NODE_FAILED || st == INF_NODE_SKIPPED)
        continue;
      if (st == INF_NODE_COMPLETED)
        state->n_terminal--;
      g_clear_pointer(&state->results[d], inf_value_unref);
      state->status[d] = INF_NODE_BLOCKED;
      g_array_append_val(stack, d);
    }
  }
  g_array_unref(stack);
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    if (state->status[i] != INF_NODE_BLOCKED)
      continue;
    guint32 remaining = 0;
    for (guint j = 0; j < graph->nodes[i].n_deps; j++)
      if (state->status[graph->nodes[i].deps[j]] != INF_NODE_COMPLETED)
        remaining++;
    state->remaining[i] = remaining;
  }
  state->status[node] = INF_NODE_PENDING;
  if (state->on_ready)
    state->on_ready(state, node, state->on_ready_data);
}

static void
cancel_where(InfExecState *state, const GError *error, gboolean running_too)
{
  for (guint i = 0; i < state->graph->n_nodes; i++) {
    guint8 st = state->status[i];
    if (st != INF_NODE_BLOCKED && st != INF_NODE_PENDING && !(running_too && st == INF_NODE_RUNNING))
      continue;
    state->status[i] = INF_NODE_CANCELLED;
    state->results[i] = inf_value_new_error(error, state->graph->nodes[i].id);
    state->n_terminal++;
    state->n_failed++;
  }
}

void
inf_exec_state_cancel_pending(InfExecState *state, const GError *error)
{
  cancel_where(state, error, FALSE);
}

void
inf_exec_state_cancel_all(InfExecState *state, const GError *error)
{
  cancel_where(state, error, TRUE);
}

static InfValue *
follow_path(InfValue *value, char **path, GError **error, const char *node_id)
{
  InfValue *current = inf_value_ref(value);
  for (guint i = 0; path && path[i]; i++) {
    InfValue *next = inf_value_get(current, path[i]);
    if (!next) {
      g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                  "node '%s' has no field '%s' in its %s output", node_id, path[i],
                  inf_value_kind_name(inf_value_get_kind(current)));
      inf_value_unref(current);
      return NULL;
    }
    inf_value_unref(current);
    current = next;
  }
  return current;
}

gboolean
inf_exec_state_resolve_args(InfExecState *state, guint node, InfValue **out, GError **error)
{
  const InfGraphNode *gn = &state->graph->nodes[node];
  for (guint i = 0; i < gn->n_args; i++) {
    const InfGraphArg *arg = &gn->args[i];
    if (arg->source < 0) {
      out[i] = inf_value_ref(arg->literal);
      continue;
    }
    InfValue *src = state->results[arg->source];
    out[i] = arg->path ? follow_path(src, arg->path, error, state->graph->nodes[arg->source].id)
                       : inf_value_ref(src);
    if (!out[i]) {
      for (guint j = 0; j < i; j++)
        inf_value_unref(out[j]);
      return FALSE;
    }
  }
  return TRUE;
}

static InfValue *
output_value(InfExecState *state, const InfGraphOutput *output)
{
  if (output->source < 0)
    return inf_value_ref(output->literal);
  if (state->status[output->source] != INF_NODE_COMPLETED)
    return inf_value_new_null();
  InfValue *v = follow_path(state->results[output->source], output->path, NULL, "");
  return v ? v : inf_value_new_null();
}

InfValue *
inf_exec_state_get_outputs(InfExecState *state)
{
  const InfGraph *graph = state->graph;
  switch (graph->output_shape) {
  case INF_GRAPH_OUTPUT_VALUE:
    return graph->n_outputs ? output_value(state, &graph->outputs[0]) : inf_value_new_null();
  case INF_GRAPH_OUTPUT_LIST: {
    InfValue **items = g_newa(InfValue *, graph->n_outputs + 1);
    for (guint i = 0; i < graph->n_outputs; i++)
      items[i] = output_value(state, &graph->outputs[i]);
    InfValue *list = inf_value_new_list(items, graph->n_outputs);
    for (guint i = 0; i < graph->n_outputs; i++)
      inf_value_unref(items[i]);
    return list;
  }
  case INF_GRAPH_OUTPUT_DICT: {
    InfValue *dict = inf_value_new_dict();
    for (guint i = 0; i < graph->n_outputs; i++) {
      InfValue *v = output_value(state, &graph->outputs[i]);
      inf_value_dict_set(dict, graph->outputs[i].key, v);
      inf_value_unref(v);
    }
    return dict;
  }
  }
  return inf_value_new_null();
}

json_object *
inf_exec_state_errors_json(InfExecState *state)
{
  if (state->n_failed == 0)
    return NULL;
  json_object *errors = json_object_new_object();
  for (guint i = state->graph->n_inputs; i < state->graph->n_nodes; i++) {
    guint8 st = state->status[i];
    if (st != INF_NODE_FAILED && st != INF_NODE_CANCELLED)
      continue;
    const GError *err = inf_value_get_error(state->results[i]);
    json_object_object_add(errors, state->graph->nodes[i].id,
                           json_object_new_string(err ? err->message : "failed"));
  }
  return errors;
}
