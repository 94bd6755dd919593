#include "exec/state.h"

#include <string.h>

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

static inline const InfGraphSwitch *
node_switch(const InfExecState *state, guint node)
{
  return &state->graph->switches[state->graph->nodes[node].switch_index];
}

static inline gboolean
is_switch(const InfExecState *state, guint node)
{
  return state->graph->nodes[node].kind == INF_GRAPH_NODE_SWITCH;
}

/* Whether @node's guard (if any) has been released: its case was taken. */
static inline gboolean
guard_open(const InfExecState *state, const InfGraphNode *gn)
{
  return gn->guard < 0 || state->decided[gn->guard] == (gint32)gn->guard_case;
}

/* Whether @source is one of case @gc's output sources. */
static gboolean
case_reads(const InfGraphCase *gc, guint source)
{
  for (guint o = 0; o < gc->n_outputs; o++)
    if (gc->outputs[o].source == (gint)source)
      return TRUE;
  return FALSE;
}

/* The distinct output sources of case @gc not completed yet. */
static guint32
case_waiting(const InfExecState *state, const InfGraphCase *gc)
{
  guint32 n = 0;
  for (guint o = 0; o < gc->n_outputs; o++) {
    gint source = gc->outputs[o].source;
    if (source < 0 || state->status[source] == INF_NODE_COMPLETED)
      continue;
    gboolean seen = FALSE;
    for (guint p = 0; p < o && !seen; p++)
      seen = gc->outputs[p].source == source;
    if (!seen)
      n++;
  }
  return n;
}

/* What blocked @node waits for, given the statuses now: its dependencies
 * not completed and an unreleased guard; for a switch, its selector (and
 * guard) until it decides, then the taken case's outputs. */
static guint32
count_remaining(const InfExecState *state, guint node)
{
  const InfGraphNode *gn = &state->graph->nodes[node];
  guint32 n = guard_open(state, gn) ? 0 : 1;
  if (gn->kind == INF_GRAPH_NODE_SWITCH) {
    const InfGraphSwitch *sw = node_switch(state, node);
    gint32 taken = state->decided[gn->switch_index];
    if (taken >= 0)
      return case_waiting(state, &sw->cases[taken]);
    return n + (state->status[gn->args[0].source] == INF_NODE_COMPLETED ? 0 : 1);
  }
  for (guint j = 0; j < gn->n_deps; j++)
    if (state->status[gn->deps[j]] != INF_NODE_COMPLETED)
      n++;
  return n;
}

InfExecState *
inf_exec_state_new(InfGraph *graph, guint64 index, InfValue *const *inputs)
{
  guint n = graph->n_nodes;
  guint n_sw = graph->n_switches;
  /* One block: the struct, results, remaining counts, switch decisions,
   * statuses. */
  gsize size = sizeof(InfExecState) + n * sizeof(InfValue *) + n * sizeof(guint32) +
               n_sw * sizeof(gint32) + n;
  InfExecState *state = g_malloc0(size);
  state->graph = inf_graph_ref(graph);
  state->index = index;
  state->ref_count = 1;
  state->results = (InfValue **)(state + 1);
  state->remaining = (guint32 *)(state->results + n);
  state->decided = (gint32 *)(state->remaining + n);
  state->status = (guint8 *)(state->decided + n_sw);
  state->start_us = g_get_monotonic_time();
  for (guint s = 0; s < n_sw; s++)
    state->decided[s] = -1;
  for (guint i = 0; i < n; i++) {
    const InfGraphNode *gn = &graph->nodes[i];
    /* Nothing is completed yet: every dependency counts (a switch waits
       * for its selector only), and so does a guard. */
    state->remaining[i] =
        (gn->kind == INF_GRAPH_NODE_SWITCH ? 1 : gn->n_deps) + (gn->guard >= 0 ? 1 : 0);
  }
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
  if (state->samples)
    g_hash_table_unref(state->samples);
  inf_graph_unref(state->graph);
  g_free(state->rate_limited_since);
  g_free(state);
}

gint64
inf_exec_state_mark_rate_limited(InfExecState *state, guint node, gint64 now_us)
{
  if (!state->rate_limited_since)
    state->rate_limited_since = g_new0(gint64, state->graph->n_nodes);
  if (state->rate_limited_since[node] == 0)
    state->rate_limited_since[node] = MAX(now_us, 1);
  return state->rate_limited_since[node];
}

gboolean
inf_exec_state_was_rate_limited(const InfExecState *state, guint node)
{
  return state->rate_limited_since && state->rate_limited_since[node] != 0;
}

#define DIGEST_SIZE 32

/* The nodes of one input that sent one request, in sample order: one
 * allocation, the digest first (it is the hash table key). */
typedef struct {
  guint8 digest[DIGEST_SIZE];
  guint n_nodes;
  guint nodes[];
} SampleEntry;

static guint
digest_hash(gconstpointer key)
{
  guint hash;
  memcpy(&hash, key, sizeof hash);
  return hash;
}

static gboolean
digest_equal(gconstpointer a, gconstpointer b)
{
  return memcmp(a, b, DIGEST_SIZE) == 0;
}

static SampleEntry *
sample_entry_new(const guint8 *digest, guint n_nodes)
{
  SampleEntry *entry = g_malloc(sizeof(SampleEntry) + n_nodes * sizeof(guint));
  memcpy(entry->digest, digest, DIGEST_SIZE);
  entry->n_nodes = n_nodes;
  return entry;
}

guint
inf_exec_state_sample_index(InfExecState *state, guint node, const guint8 *digest)
{
  if (!state->samples)
    state->samples = g_hash_table_new_full(digest_hash, digest_equal, g_free, NULL);
  SampleEntry *entry = g_hash_table_lookup(state->samples, digest);
  if (!entry) {
    entry = sample_entry_new(digest, 1);
    entry->nodes[0] = node;
    g_hash_table_add(state->samples, entry);
    return 0;
  }
  for (guint i = 0; i < entry->n_nodes; i++)
    if (entry->nodes[i] == node)
      return i;
  /* Another draw of the same request: a longer entry replaces it. */
  SampleEntry *longer = sample_entry_new(digest, entry->n_nodes + 1);
  memcpy(longer->nodes, entry->nodes, entry->n_nodes * sizeof(guint));
  longer->nodes[entry->n_nodes] = node;
  g_hash_table_steal(state->samples, entry);
  g_free(entry);
  g_hash_table_add(state->samples, longer);
  return longer->n_nodes - 1;
}

gboolean
inf_exec_state_is_done(const InfExecState *state)
{
  return state->n_terminal == state->graph->n_nodes;
}

static void switch_dependency_done(InfExecState *state, guint sw_node, guint source);

/* @node just became runnable as far as its data and guard go. */
static void node_unblocked(InfExecState *state, guint node);

static void
release_dependents(InfExecState *state, guint node)
{
  const InfGraphNode *gn = &state->graph->nodes[node];
  for (guint i = 0; i < gn->n_dependents; i++) {
    guint d = gn->dependents[i];
    if (state->status[d] != INF_NODE_BLOCKED)
      continue;
    if (is_switch(state, d))
      switch_dependency_done(state, d, node);
    else if (--state->remaining[d] == 0)
      node_unblocked(state, d);
  }
}

/* @node completed with @value (taken): its dependents may become ready. */
static void
complete_node(InfExecState *state, guint node, InfValue *value)
{
  state->status[node] = INF_NODE_COMPLETED;
  state->results[node] = value;
  state->n_terminal++;
  release_dependents(state, node);
}

/* --- switches --- */

static void switch_decide(InfExecState *state, guint node);

static void
node_unblocked(InfExecState *state, guint node)
{
  if (is_switch(state, node)) {
    switch_decide(state, node);
    return;
  }
  state->status[node] = INF_NODE_PENDING;
  if (state->on_ready)
    state->on_ready(state, node, state->on_ready_data);
}

/* A worklist of nodes to skip. Each node is marked SKIPPED when pushed, so
 * it is pushed at most once and n_nodes items always fit. */
typedef struct {
  guint *items;
  guint len;
  guint local[64];
  guint *heap;
} SkipList;

static void
skip_list_init(SkipList *list, guint n_nodes)
{
  list->len = 0;
  list->heap = n_nodes > G_N_ELEMENTS(list->local) ? g_new(guint, n_nodes) : NULL;
  list->items = list->heap ? list->heap : list->local;
}

/* Marks @node SKIPPED and queues it, if it has not started. */
static void
skip_push(InfExecState *state, SkipList *list, guint node)
{
  guint8 st = state->status[node];
  if (st != INF_NODE_BLOCKED && st != INF_NODE_PENDING)
    return;
  state->status[node] = INF_NODE_SKIPPED;
  state->n_terminal++;
  list->items[list->len++] = node;
}

/* Skips, with the queued nodes, every node that then cannot run: an
 * undecided switch's cases, and dependents reading a skipped value (a
 * switch only when it is its selector or an output of its taken case). */
static void
skip_drain(InfExecState *state, SkipList *list)
{
  const InfGraph *graph = state->graph;
  while (list->len) {
    guint n = list->items[--list->len];
    const InfGraphNode *gn = &graph->nodes[n];
    if (gn->kind == INF_GRAPH_NODE_SWITCH && state->decided[gn->switch_index] < 0) {
      const InfGraphSwitch *sw = &graph->switches[gn->switch_index];
      for (guint c = 0; c < sw->n_cases; c++)
        for (guint k = 0; k < sw->cases[c].n_nodes; k++)
          skip_push(state, list, sw->cases[c].nodes[k]);
    }
    for (guint i = 0; i < gn->n_dependents; i++) {
      guint d = gn->dependents[i];
      const InfGraphNode *dn = &graph->nodes[d];
      if (dn->kind == INF_GRAPH_NODE_SWITCH) {
        gint32 taken = state->decided[dn->switch_index];
        const InfGraphSwitch *dsw = &graph->switches[dn->switch_index];
        gboolean needed =
            taken < 0 ? dn->args[0].source == (gint)n : case_reads(&dsw->cases[taken], n);
        if (!needed)
          continue;
      }
      skip_push(state, list, d);
    }
  }
}

/* Skips every case of switch @sw_index but @taken (-1: all). A closed
 * case (nothing outside it but the switch reads its nodes) is only marked;
 * otherwise skipping spreads to the readers of its nodes. */
static void
skip_cases(InfExecState *state, guint sw_index, gint taken)
{
  const InfGraphSwitch *sw = &state->graph->switches[sw_index];
  SkipList list = { 0 };
  for (guint c = 0; c < sw->n_cases; c++) {
    if ((gint)c == taken)
      continue;
    const InfGraphCase *gc = &sw->cases[c];
    if (gc->closed) {
      for (guint k = 0; k < gc->n_all_nodes; k++) {
        guint n = gc->all_nodes[k];
        guint8 st = state->status[n];
        if (st == INF_NODE_BLOCKED || st == INF_NODE_PENDING) {
          state->status[n] = INF_NODE_SKIPPED;
          state->n_terminal++;
        }
      }
      continue;
    }
    if (list.items == NULL)
      skip_list_init(&list, state->graph->n_nodes);
    for (guint k = 0; k < gc->n_nodes; k++)
      skip_push(state, &list, gc->nodes[k]);
    skip_drain(state, &list);
  }
  g_free(list.heap);
}

static void fail_node(InfExecState *state, guint node, GError *error);

/* The value of case @gc's outputs (all completed), or NULL with @error. */
static InfValue *follow_path(InfValue *value, char **path, GError **error, const char *node_id);

static InfValue *
case_value(InfExecState *state, const InfGraphCase *gc, GError **error)
{
  const InfGraph *graph = state->graph;
  InfValue **items = g_newa(InfValue *, gc->n_outputs + 1);
  for (guint o = 0; o < gc->n_outputs; o++) {
    const InfGraphOutput *out = &gc->outputs[o];
    items[o] = out->source < 0 ? inf_value_ref(out->literal)
                               : follow_path(state->results[out->source], out->path, error,
                                             graph->nodes[out->source].id);
    if (!items[o]) {
      for (guint p = 0; p < o; p++)
        inf_value_unref(items[p]);
      return NULL;
    }
  }
  InfValue *value;
  if (gc->shape == INF_GRAPH_OUTPUT_VALUE) {
    return items[0];
  } else if (gc->shape == INF_GRAPH_OUTPUT_LIST) {
    value = inf_value_new_list(items, gc->n_outputs);
  } else {
    value = inf_value_new_dict();
    for (guint o = 0; o < gc->n_outputs; o++)
      inf_value_dict_set(value, gc->outputs[o].key, items[o]);
  }
  for (guint o = 0; o < gc->n_outputs; o++)
    inf_value_unref(items[o]);
  return value;
}

/* The taken case's outputs are all done: the switch completes with them. */
static void
switch_finish(InfExecState *state, guint node)
{
  const InfGraphNode *gn = &state->graph->nodes[node];
  const InfGraphSwitch *sw = node_switch(state, node);
  GError *error = NULL;
  InfValue *value = case_value(state, &sw->cases[state->decided[gn->switch_index]], &error);
  if (!value) {
    fail_node(state, node, error);
    return;
  }
  complete_node(state, node, value);
}

/* The selector (and the switch's own guard) is done: pick the case. */
static void
switch_decide(InfExecState *state, guint node)
{
  const InfGraph *graph = state->graph;
  const InfGraphNode *gn = &graph->nodes[node];
  const InfGraphSwitch *sw = node_switch(state, node);
  const InfGraphArg *sel = &gn->args[0];
  GError *error = NULL;
  g_autoptr(InfValue) value =
      follow_path(state->results[sel->source], sel->path, &error, graph->nodes[sel->source].id);
  g_autofree char *owned = NULL;
  const char *text =
      value ? inf_graph_switch_selector_text(graph, sw, value, &owned, &error) : NULL;
  gint taken = text ? inf_graph_switch_select(sw, text) : -1;
  if (taken < 0) {
    if (!error) {
      /* No case matches: none runs; the switch fails. */
      skip_cases(state, gn->switch_index, -1);
      g_autofree char *cases = inf_graph_switch_describe_cases(sw);
      g_autofree char *ref = inf_graph_format_ref(graph, sel->source, sel->path);
      error = g_error_new(INF_ERROR, INF_ERROR_INPUT,
                          "switch '%s': no case matches '%s' (the value of $%s; cases: %s) and "
                          "there is no default",
                          gn->id, text, g_str_has_prefix(ref, "input:") ? ref + 6 : ref, cases);
    }
    fail_node(state, node, error);
    return;
  }
  state->decided[gn->switch_index] = taken;
  skip_cases(state, gn->switch_index, taken);
  state->remaining[node] = case_waiting(state, &sw->cases[taken]);
  /* Release the taken case; a nested switch there may decide (and even
   * finish) at once. */
  const InfGraphCase *gc = &sw->cases[taken];
  for (guint k = 0; k < gc->n_nodes; k++) {
    guint d = gc->nodes[k];
    if (state->status[d] == INF_NODE_BLOCKED && --state->remaining[d] == 0)
      node_unblocked(state, d);
  }
  if (state->status[node] == INF_NODE_BLOCKED && state->remaining[node] == 0)
    switch_finish(state, node);
}

/* Blocked switch @sw_node learns that its dependency @source completed. */
static void
switch_dependency_done(InfExecState *state, guint sw_node, guint source)
{
  const InfGraphNode *gn = &state->graph->nodes[sw_node];
  gint32 taken = state->decided[gn->switch_index];
  if (taken < 0) {
    if (gn->args[0].source == (gint)source && --state->remaining[sw_node] == 0)
      switch_decide(state, sw_node);
    return;
  }
  if (case_reads(&node_switch(state, sw_node)->cases[taken], source) &&
      --state->remaining[sw_node] == 0)
    switch_finish(state, sw_node);
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
  /* Nodes with no dependencies at all (literal arguments only, unguarded). */
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    if (state->remaining[i] == 0 && state->status[i] == INF_NODE_BLOCKED) {
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
  complete_node(state, node, value);
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
    /* An undecided switch that did not complete takes its cases along. */
    const InfGraphSwitch *sw =
        gn->kind == INF_GRAPH_NODE_SWITCH && state->decided[gn->switch_index] < 0
            ? &graph->switches[gn->switch_index]
            : NULL;
    guint n_cases = sw ? sw->n_cases : 0;
    for (guint c = 0; c <= n_cases; c++) {
      const guint *targets = c < n_cases ? sw->cases[c].nodes : gn->dependents;
      guint n_targets = c < n_cases ? sw->cases[c].n_nodes : gn->n_dependents;
      for (guint i = 0; i < n_targets; i++) {
        guint d = targets[i];
        guint8 st = state->status[d];
        if (st != INF_NODE_BLOCKED && st != INF_NODE_PENDING)
          continue;
        const InfGraphNode *dn = &graph->nodes[d];
        if (dn->kind == INF_GRAPH_NODE_SWITCH && state->decided[dn->switch_index] < 0 &&
            dn->args[0].source == (gint)n) {
          /* A selector that did not complete fails its switch. */
          g_autofree char *ref = inf_graph_format_ref(graph, n, dn->args[0].path);
          g_autoptr(GError) failed = g_error_new(
              INF_ERROR, INF_ERROR_FAILED, "switch '%s': its selector $%s did not complete (%s)",
              dn->id, g_str_has_prefix(ref, "input:") ? ref + 6 : ref,
              n == node ? "it failed" : "an upstream node failed");
          state->status[d] = INF_NODE_FAILED;
          state->results[d] = inf_value_new_error(failed, dn->id);
        } else {
          if (!cancelled)
            cancelled = g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                                    "cancelled: upstream node '%s' failed", reason_node);
          state->status[d] = INF_NODE_CANCELLED;
          state->results[d] = inf_value_new_error(cancelled, dn->id);
        }
        state->n_terminal++;
        state->n_failed++;
        g_array_append_val(stack, d);
      }
    }
  }
  g_array_unref(stack);
}

/* → FAILED with @error (taken), cancelling what depends on it. */
static void
fail_node(InfExecState *state, guint node, GError *error)
{
  inf_exec_state_fail(state, node, error);
  g_error_free(error);
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
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    if (state->status[i] == INF_NODE_BLOCKED)
      state->remaining[i] = count_remaining(state, i);
  state->status[node] = INF_NODE_PENDING;
  if (state->on_ready)
    state->on_ready(state, node, state->on_ready_data);
}

static void
cancel_where(InfExecState *state, const GError *error, gboolean running_too)
{
  for (guint i = 0; i < state->graph->n_nodes; i++) {
    guint8 st = state->status[i];
    if (st != INF_NODE_BLOCKED && st != INF_NODE_PENDING &&
        !(running_too && st == INF_NODE_RUNNING))
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
  if (value == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_INPUT, "node '%s' has no value", node_id);
    return NULL;
  }
  InfValue *current = inf_value_ref(value);
  for (guint i = 0; path && path[i]; i++) {
    InfValue *next = inf_value_get(current, path[i]);
    if (!next) {
      g_set_error(error, INF_ERROR, INF_ERROR_INPUT, "node '%s' has no field '%s' in its %s output",
                  node_id, path[i], inf_value_kind_name(inf_value_get_kind(current)));
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

json_object *
inf_exec_state_statuses_json(InfExecState *state)
{
  json_object *statuses = json_object_new_object();
  for (guint i = state->graph->n_inputs; i < state->graph->n_nodes; i++)
    json_object_object_add(statuses, state->graph->nodes[i].id,
                           json_object_new_string(inf_node_status_name(state->status[i])));
  return statuses;
}
