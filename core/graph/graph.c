/* InfGraph: lifetime, lookup, topological order, cycles, ancestors and
 * descendants. */
#include "graph/graph.h"

#include <inf/heap.h>
#include <string.h>

InfGraph *
inf_graph_ref(InfGraph *graph)
{
  g_return_val_if_fail(graph != NULL, NULL);
  g_atomic_int_inc(&graph->ref_count);
  return graph;
}

void
inf_graph_node_clear(InfGraphNode *node)
{
  for (guint a = 0; a < node->n_args; a++) {
    InfGraphArg *arg = &node->args[a];
    g_free(arg->name);
    if (arg->literal)
      inf_value_unref(arg->literal);
    g_strfreev(arg->path);
  }
  g_free(node->args);
  g_free(node->deps);
  g_free(node->dependents);
  if (node->module)
    inf_module_unref(node->module);
  g_free(node->id);
}

void
inf_graph_outputs_free(InfGraphOutput *outputs, guint n_outputs)
{
  for (guint i = 0; i < n_outputs; i++) {
    g_free(outputs[i].key);
    if (outputs[i].literal)
      inf_value_unref(outputs[i].literal);
    g_strfreev(outputs[i].path);
  }
  g_free(outputs);
}

static void
graph_free(InfGraph *graph)
{
  for (guint i = 0; i < graph->n_nodes; i++)
    inf_graph_node_clear(&graph->nodes[i]);
  g_free(graph->nodes);
  inf_graph_outputs_free(graph->outputs, graph->n_outputs);
  if (graph->index_by_id)
    g_hash_table_unref(graph->index_by_id);
  g_strfreev(graph->aliases);
  for (guint i = 0; i < graph->n_switches; i++)
    inf_graph_switch_clear(&graph->switches[i]);
  g_free(graph->switches);
  g_free(graph);
}

void
inf_graph_unref(InfGraph *graph)
{
  if (graph == NULL)
    return;
  if (g_atomic_int_dec_and_test(&graph->ref_count))
    graph_free(graph);
}

gint
inf_graph_lookup(const InfGraph *graph, const char *id)
{
  g_return_val_if_fail(graph != NULL && id != NULL, -1);
  gpointer p = g_hash_table_lookup(graph->index_by_id, id);
  return p ? (gint)GPOINTER_TO_UINT(p) - 1 : -1;
}

const char *
inf_graph_input_name(const InfGraph *graph, guint input)
{
  g_return_val_if_fail(graph != NULL && input < graph->n_inputs, NULL);
  const char *id = graph->nodes[input].id;
  return g_str_has_prefix(id, "input:") ? id + strlen("input:") : id;
}

guint
inf_graph_n_module_nodes(const InfGraph *graph)
{
  return graph->n_nodes - graph->n_inputs;
}

char *
inf_graph_format_ref(const InfGraph *graph, gint source, char *const *path)
{
  GString *s =
      g_string_new(source >= 0 && (guint)source < graph->n_nodes ? graph->nodes[source].id : "?");
  for (guint i = 0; path && path[i]; i++) {
    g_string_append_c(s, '.');
    g_string_append(s, path[i]);
  }
  return g_string_free(s, FALSE);
}

/* The order of the index heap in inf_graph_sort_indices (inf/heap.h). */
static gint
index_compare(gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;
  return x < y ? -1 : x > y;
}

/* The dependents of @n nodes in compressed rows, every dependency occurrence
 * once: those of node v are consumers[row[v]] up to consumers[row[v + 1]].
 * Returns consumers; @row_out gets row (n + 1 entries). Both newly allocated. */
static guint *
dependents_rows(guint n, const guint *const *deps, const guint *n_deps, guint **row_out)
{
  guint *row = g_new0(guint, n + 1);
  for (guint i = 0; i < n; i++)
    for (guint d = 0; d < n_deps[i]; d++) {
      g_assert(deps[i][d] < n);
      row[deps[i][d] + 1]++;
    }
  for (guint i = 0; i < n; i++)
    row[i + 1] += row[i];
  guint *fill = g_memdup2(row, sizeof(guint) * n);
  guint *consumers = g_new(guint, row[n] ? row[n] : 1);
  for (guint i = 0; i < n; i++)
    for (guint d = 0; d < n_deps[i]; d++)
      consumers[fill[deps[i][d]]++] = i;
  g_free(fill);
  *row_out = row;
  return consumers;
}

/* Places the nodes whose dependencies are placed, the smallest ready index
 * first, into @order; returns how many it placed. @indegree starts as each
 * node's dependency count and ends as the count not placed (non-zero on the
 * nodes of a cycle and those after it). */
static guint
order_ready_first(guint n, const guint *const *deps, const guint *n_deps, guint *indegree,
                  guint *order)
{
  guint *row;
  guint *consumers = dependents_rows(n, deps, n_deps, &row);
  guint n_order = 0;
  GArray *heap = g_array_sized_new(FALSE, FALSE, sizeof(guint), n);
  for (guint i = 0; i < n; i++)
    if (indegree[i] == 0)
      inf_heap_push(heap, &i, index_compare);
  guint v;
  while (inf_heap_pop(heap, &v, index_compare)) {
    order[n_order++] = v;
    for (guint e = row[v]; e < row[v + 1]; e++)
      if (--indegree[consumers[e]] == 0)
        inf_heap_push(heap, &consumers[e], index_compare);
  }
  g_array_unref(heap);
  g_free(consumers);
  g_free(row);
  return n_order;
}

/* Every node left (non-zero @indegree) has a dependency left: walks
 * dependencies (smallest first) from the smallest node left until one
 * repeats. Returns the cycle, producer -> consumer, starting and ending at
 * its smallest index. */
static GArray *
find_cycle(guint n, const guint *const *deps, const guint *n_deps, const guint *indegree)
{
  gint *seen_at = g_new(gint, n);
  for (guint i = 0; i < n; i++)
    seen_at[i] = -1;
  GArray *walk = g_array_new(FALSE, FALSE, sizeof(guint));
  guint v = 0;
  while (indegree[v] == 0)
    v++;
  while (seen_at[v] < 0) {
    seen_at[v] = (gint)walk->len;
    g_array_append_val(walk, v);
    guint next = G_MAXUINT;
    for (guint d = 0; d < n_deps[v]; d++)
      if (indegree[deps[v][d]] > 0 && deps[v][d] < next)
        next = deps[v][d];
    g_assert(next != G_MAXUINT);
    v = next;
  }
  /* walk[seen_at[v]..] is the cycle, against the data flow; reverse it so it
   * reads producer -> consumer. */
  GArray *reversed = g_array_new(FALSE, FALSE, sizeof(guint));
  for (gint i = (gint)walk->len - 1; i >= seen_at[v]; i--)
    g_array_append_val(reversed, g_array_index(walk, guint, i));
  /* Start at the smallest index, so the message is stable. */
  guint start = 0;
  for (guint i = 1; i < reversed->len; i++)
    if (g_array_index(reversed, guint, i) < g_array_index(reversed, guint, start))
      start = i;
  GArray *cycle = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint i = 0; i <= reversed->len; i++)
    g_array_append_val(cycle, g_array_index(reversed, guint, (start + i) % reversed->len));
  g_array_unref(reversed);
  g_array_unref(walk);
  g_free(seen_at);
  return cycle;
}

guint *
inf_graph_sort_indices(guint n, const guint *const *deps, const guint *n_deps, GArray **cycle_out)
{
  if (cycle_out)
    *cycle_out = NULL;
  guint *indegree = g_memdup2(n_deps, sizeof(guint) * n);
  guint *order = g_new(guint, n ? n : 1);
  if (order_ready_first(n, deps, n_deps, indegree, order) == n) {
    g_free(indegree);
    return order;
  }
  if (cycle_out)
    *cycle_out = find_cycle(n, deps, n_deps, indegree);
  g_free(indegree);
  g_free(order);
  return NULL;
}

guint *
inf_graph_topological_order(const InfGraph *graph, GError **error)
{
  g_return_val_if_fail(graph != NULL, NULL);
  guint n = graph->n_nodes;
  const guint **deps = g_new(const guint *, n ? n : 1);
  guint *n_deps = g_new(guint, n ? n : 1);
  for (guint i = 0; i < n; i++) {
    deps[i] = graph->nodes[i].deps;
    n_deps[i] = graph->nodes[i].n_deps;
  }
  GArray *cycle = NULL;
  guint *order = inf_graph_sort_indices(n, deps, n_deps, &cycle);
  g_free(deps);
  g_free(n_deps);
  if (order == NULL) {
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < cycle->len; i++)
      g_string_append_printf(s, "%s%s", i ? " -> " : "",
                             graph->nodes[g_array_index(cycle, guint, i)].id);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "the graph has a cycle: %s", s->str);
    g_string_free(s, TRUE);
    g_array_unref(cycle);
  }
  return order;
}

static guint *
collect_reachable(const InfGraph *graph, guint index, gboolean upstream, guint *n_out)
{
  guint n = graph->n_nodes;
  guint8 *seen = g_new0(guint8, n);
  guint *stack = g_new(guint, n);
  guint top = 0, count = 0;
  stack[top++] = index;
  while (top > 0) {
    const InfGraphNode *node = &graph->nodes[stack[--top]];
    const guint *next = upstream ? node->deps : node->dependents;
    guint n_next = upstream ? node->n_deps : node->n_dependents;
    for (guint i = 0; i < n_next; i++)
      if (!seen[next[i]] && next[i] != index) {
        seen[next[i]] = 1;
        count++;
        stack[top++] = next[i];
      }
  }
  guint *result = g_new(guint, count ? count : 1);
  guint k = 0;
  for (guint i = 0; i < n; i++)
    if (seen[i])
      result[k++] = i;
  g_free(seen);
  g_free(stack);
  *n_out = count;
  return result;
}

guint *
inf_graph_ancestors(const InfGraph *graph, guint index, guint *n_out)
{
  g_return_val_if_fail(graph != NULL && index < graph->n_nodes && n_out != NULL, NULL);
  return collect_reachable(graph, index, TRUE, n_out);
}

guint *
inf_graph_descendants(const InfGraph *graph, guint index, guint *n_out)
{
  g_return_val_if_fail(graph != NULL && index < graph->n_nodes && n_out != NULL, NULL);
  return collect_reachable(graph, index, FALSE, n_out);
}
