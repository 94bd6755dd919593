/* Unit tests of graph operations (topological order, cycles, ancestors,
 * descendants), export (DOT, Mermaid, JSON) and the `graph` class used from
 * code. */
#include <string.h>

#include "config/graph-module.h"
#include "graph-fixtures.h"
#include "graph/graph-export.h"
#include "graph/tracer-private.h"

static const char *const one_input[] = { "text", NULL };

#define DIAMOND_CHILDREN                                                          \
  "[[\"a\",\"echo\",{\"alias\":\"fast\"}],[\"b\",\"echo\",{\"alias\":\"fast\"}]," \
  "[\"c\",\"echo\",{}],[\"d\",\"echo\",{\"alias\":\"smart\"}]]"

static InfGraph *
diamond(InfRegistry *registry)
{
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "diamond", DIAMOND_CHILDREN);
  return graph_fixtures_trace(module, one_input);
}

static char *
join_indices(const InfGraph *graph, const guint *indices, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", graph->nodes[indices[i]].id);
  return g_string_free(s, FALSE);
}

static void
test_topological_order_traced(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) graph = diamond(registry);
  g_autoptr(GError) error = NULL;
  g_autofree guint *order = inf_graph_topological_order(graph, &error);
  g_assert_no_error(error);
  g_autofree char *text = join_indices(graph, order, graph->n_nodes);
  g_assert_cmpstr(text, ==, "input:text a b c d");
}

static void
test_topological_order_tie_break(void)
{
  /* 0 needs 3, 1 needs 0, 2 and 3 need nothing: ready ones go smallest first */
  const guint d0[] = { 3 }, d1[] = { 0, 0 };
  const guint *deps[] = { d0, d1, NULL, NULL };
  const guint n_deps[] = { 1, 2, 0, 0 };
  GArray *cycle = NULL;
  g_autofree guint *order = inf_graph_sort_indices(4, deps, n_deps, &cycle);
  g_assert_null(cycle);
  g_assert_nonnull(order);
  g_assert_cmpuint(order[0], ==, 2);
  g_assert_cmpuint(order[1], ==, 3);
  g_assert_cmpuint(order[2], ==, 0);
  g_assert_cmpuint(order[3], ==, 1);
  /* deterministic: the same again */
  g_autofree guint *again = inf_graph_sort_indices(4, deps, n_deps, NULL);
  g_assert_cmpmem(order, 4 * sizeof(guint), again, 4 * sizeof(guint));
}

static void
test_sort_indices_cycle(void)
{
  /* 0 → 1 → 2 → 0 (1 uses 0, 2 uses 1, 0 uses 2); 3 uses 2; 4 is free */
  const guint d0[] = { 2 }, d1[] = { 0 }, d2[] = { 1 }, d3[] = { 2 };
  const guint *deps[] = { d0, d1, d2, d3, NULL };
  const guint n_deps[] = { 1, 1, 1, 1, 0 };
  GArray *cycle = NULL;
  guint *order = inf_graph_sort_indices(5, deps, n_deps, &cycle);
  g_assert_null(order);
  g_assert_nonnull(cycle);
  g_assert_cmpuint(cycle->len, ==, 4);
  g_assert_cmpuint(g_array_index(cycle, guint, 0), ==, 0);
  g_assert_cmpuint(g_array_index(cycle, guint, 1), ==, 1);
  g_assert_cmpuint(g_array_index(cycle, guint, 2), ==, 2);
  g_assert_cmpuint(g_array_index(cycle, guint, 3), ==, 0);
  g_array_unref(cycle);

  /* a node using itself */
  const guint self_dep[] = { 0 };
  const guint *deps1[] = { self_dep };
  const guint n1[] = { 1 };
  order = inf_graph_sort_indices(1, deps1, n1, &cycle);
  g_assert_null(order);
  g_assert_cmpuint(cycle->len, ==, 2);
  g_array_unref(cycle);
}

/* A graph built by hand (as from a node list), with a cycle b ⇄ c. */
static void
test_topological_order_cycle_error(void)
{
  InfGraph *graph = g_new0(InfGraph, 1);
  graph->ref_count = 1;
  graph->n_nodes = 4;
  graph->n_inputs = 1;
  graph->nodes = g_new0(InfGraphNode, 4);
  graph->index_by_id = g_hash_table_new(g_str_hash, g_str_equal);
  const char *ids[] = { "input:x", "a", "b", "c" };
  for (guint i = 0; i < 4; i++) {
    graph->nodes[i].id = g_strdup(ids[i]);
    graph->nodes[i].kind = i ? INF_GRAPH_NODE_MODULE : INF_GRAPH_NODE_INPUT;
    g_hash_table_insert(graph->index_by_id, graph->nodes[i].id, GUINT_TO_POINTER(i + 1));
  }
  /* a uses x; b uses a and c; c uses b */
  graph->nodes[1].deps = g_new(guint, 1);
  graph->nodes[1].deps[0] = 0;
  graph->nodes[1].n_deps = 1;
  graph->nodes[2].deps = g_new(guint, 2);
  graph->nodes[2].deps[0] = 1;
  graph->nodes[2].deps[1] = 3;
  graph->nodes[2].n_deps = 2;
  graph->nodes[3].deps = g_new(guint, 1);
  graph->nodes[3].deps[0] = 2;
  graph->nodes[3].n_deps = 1;
  graph->aliases = g_new0(char *, 1);

  g_autoptr(GError) error = NULL;
  guint *order = inf_graph_topological_order(graph, &error);
  g_assert_null(order);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "b -> c -> b"));
  inf_graph_unref(graph);
}

static void
test_ancestors_descendants(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) graph = diamond(registry);
  guint n;
  struct {
    const char *id;
    gboolean up;
    const char *expected;
  } cases[] = {
    { "d", TRUE, "input:text a b c" },
    { "b", TRUE, "input:text a" },
    { "input:text", TRUE, "" },
    { "a", FALSE, "b c d" },
    { "input:text", FALSE, "a b c d" },
    { "c", FALSE, "d" },
    { "d", FALSE, "" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    guint index = (guint)inf_graph_lookup(graph, cases[i].id);
    g_autofree guint *set = cases[i].up ? inf_graph_ancestors(graph, index, &n)
                                        : inf_graph_descendants(graph, index, &n);
    g_autofree char *text = join_indices(graph, set, n);
    g_assert_cmpstr(text, ==, cases[i].expected);
  }
}

static void
test_export_dot(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "field",
                                                        "[[\"a\",\"echo\",{\"alias\":\"fast\"}],"
                                                        "[\"b\",\"one\",{}]]");
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);
  g_autofree char *dot = inf_graph_to_dot(graph, "field");
  g_assert_true(g_str_has_prefix(dot, "digraph \"field\" {"));
  g_assert_nonnull(strstr(dot, "\"input:text\" [shape=ellipse, label=\"text\"];"));
  g_assert_nonnull(strstr(dot, "\"a\" [shape=box, label=\"a\\necho @fast\"];"));
  g_assert_nonnull(strstr(dot, "\"b\" [shape=box, label=\"b\\none\"];"));
  g_assert_nonnull(strstr(dot, "\"input:text\" -> \"a\";"));
  /* one edge per dependency, labelled with the arguments and their fields */
  g_assert_nonnull(strstr(dot, "\"a\" -> \"b\" [label=\"text (x), extra (y.z)\"];"));
  g_assert_nonnull(strstr(dot, "\"b\" -> \"output:output\" [label=\"result\"];"));
  g_assert_true(g_str_has_suffix(dot, "}\n"));
}

static void
test_export_dot_priority_and_quotes(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module =
      graph_fixtures_scenario(registry, "priority", "[[\"a\",\"echo\",{}],[\"b\",\"echo\",{}]]");
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);
  g_autofree char *dot = inf_graph_to_dot(graph, "say \"hi\"");
  g_assert_true(g_str_has_prefix(dot, "digraph \"say \\\"hi\\\"\" {"));
  g_assert_nonnull(strstr(dot, "label=\"a\\necho\\npriority 5\""));
  g_assert_nonnull(strstr(dot, "label=\"b\\necho\\npriority -1\""));
  g_assert_nonnull(strstr(dot, "\"output:[0]\""));
  g_assert_nonnull(strstr(dot, "\"a\" -> \"output:[0]\";"));
}

static void
test_export_mermaid(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) graph = diamond(registry);
  g_autofree char *text = inf_graph_to_mermaid(graph);
  g_assert_true(g_str_has_prefix(text, "flowchart TD\n"));
  g_assert_nonnull(strstr(text, "  n0([\"input: text\"])\n"));
  g_assert_nonnull(strstr(text, "  n1[\"a<br/>echo @fast\"]\n"));
  g_assert_nonnull(strstr(text, "  n3[\"c<br/>echo\"]\n"));
  g_assert_nonnull(strstr(text, "  n0 --> n1\n"));
  g_assert_nonnull(strstr(text, "  n1 --> n2\n"));
  g_assert_nonnull(strstr(text, "  n1 --> n3\n"));
  g_assert_nonnull(strstr(text, "  n2 --> n4\n"));
  g_assert_nonnull(strstr(text, "  n3 --> n4\n"));
  g_assert_nonnull(strstr(text, "  out2([\"output: final\"])\n"));
  g_assert_nonnull(strstr(text, "  n4 --> out2\n"));
}

static void
test_export_json(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module =
      graph_fixtures_scenario(registry, "literal", "[[\"a\",\"echo\",{\"alias\":\"fast\"}]]");
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);
  json_object *json = inf_graph_to_json(graph);

  json_object *inputs = json_object_object_get(json, "inputs");
  g_assert_cmpuint(json_object_array_length(inputs), ==, 1);
  g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(inputs, 0)), ==, "text");

  json_object *nodes = json_object_object_get(json, "nodes");
  g_assert_cmpuint(json_object_array_length(nodes), ==, 1);
  json_object *a = json_object_array_get_idx(nodes, 0);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(a, "id")), ==, "a");
  g_assert_cmpstr(json_object_get_string(json_object_object_get(a, "module")), ==, "echo");
  g_assert_cmpstr(json_object_get_string(json_object_object_get(a, "alias")), ==, "fast");
  g_assert_cmpint(json_object_get_int(json_object_object_get(a, "priority")), ==, 0);
  json_object *deps = json_object_object_get(a, "deps");
  g_assert_cmpuint(json_object_array_length(deps), ==, 1);
  g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(deps, 0)), ==, "input:text");
  json_object *args = json_object_object_get(a, "args");
  g_assert_cmpuint(json_object_array_length(args), ==, 3);
  g_assert_cmpstr(
      json_object_get_string(json_object_object_get(json_object_array_get_idx(args, 0), "ref")), ==,
      "input:text");
  g_assert_cmpstr(
      json_object_get_string(json_object_object_get(json_object_array_get_idx(args, 1), "value")),
      ==, "lit");
  g_assert_cmpint(
      json_object_get_int(json_object_object_get(json_object_array_get_idx(args, 2), "value")), ==,
      3);

  g_assert_cmpstr(json_object_get_string(json_object_object_get(json, "output_shape")), ==, "dict");
  json_object *outputs = json_object_object_get(json, "outputs");
  g_assert_cmpstr(
      json_object_get_string(json_object_object_get(json_object_object_get(outputs, "a"), "ref")),
      ==, "a");
  g_assert_cmpstr(json_object_get_string(
                      json_object_object_get(json_object_object_get(outputs, "constant"), "value")),
                  ==, "constant");
  g_assert_cmpstr(json_object_get_string(
                      json_object_object_get(json_object_object_get(outputs, "input"), "ref")),
                  ==, "input:text");
  json_object_put(json);

  /* the text form parses back to the same document */
  g_autoptr(GError) error = NULL;
  g_autofree char *text = inf_graph_export(graph, "json", NULL, &error);
  g_assert_no_error(error);
  json_object *parsed = json_tokener_parse(text);
  json_object *again = inf_graph_to_json(graph);
  g_assert_true(json_object_equal(parsed, again));
  json_object_put(parsed);
  json_object_put(again);

  g_assert_null(inf_graph_export(graph, "svg", NULL, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull(strstr(error->message, "dot, mermaid, json"));
}

/* --- the `graph` class created from code (no config) --- */

static InfModule *
graph_module(InfRegistry *registry, const char *options_json, GError **error)
{
  json_object *options = json_tokener_parse(options_json);
  g_assert_nonnull(options);
  InfModule *module = inf_module_new(registry, "graph", "g", options, error);
  json_object_put(options);
  return module;
}

static void
test_graph_module_from_code(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(GError) error = NULL;
  /* nodes listed out of dependency order; config order breaks ties */
  g_autoptr(InfModule) module = graph_module(
      registry,
      "{\"inputs\": [\"text\", \"extra\"],"
      " \"nodes\": {"
      "   \"report\": {\"module\": {\"type\": \"echo\"}, \"args\": {\"s\": \"$summary.body\", "
      "                \"k\": \"$keywords\", \"lit\": \"$$5\"}, \"priority\": 3},"
      "   \"summary\": {\"module\": {\"type\": \"echo\", \"alias\": \"fast\"}, \"args\": "
      "[\"$text\"]},"
      "   \"keywords\": {\"module\": {\"type\": \"one\"}, \"args\": [\"$summary\", \"$extra\"]}"
      " },"
      " \"outputs\": [\"$report\", \"$summary.title\", 7]}",
      &error);
  g_assert_no_error(error);
  g_assert_true(inf_module_is_graph(module));
  const char *const *inputs = inf_graph_module_get_inputs(module);
  g_assert_cmpstr(inputs[0], ==, "text");
  g_assert_cmpstr(inputs[1], ==, "extra");
  /* inline modules are children named after their nodes */
  g_assert_nonnull(inf_module_get_child(module, "report"));
  g_assert_nonnull(inf_module_get_child(module, "summary"));
  g_assert_nonnull(inf_module_get_child(module, "keywords"));

  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, inputs);
  graph_fixtures_assert_ids(graph, "input:text input:extra summary keywords report");
  graph_fixtures_assert_deps(graph, "report", "summary keywords");
  const InfGraphNode *report = &graph->nodes[inf_graph_lookup(graph, "report")];
  g_assert_cmpint(report->priority, ==, 3);
  g_assert_cmpstr(report->args[0].name, ==, "s");
  g_assert_cmpstr(report->args[0].path[0], ==, "body");
  g_assert_cmpstr(report->args[2].name, ==, "lit");
  g_assert_cmpstr(inf_value_get_text(report->args[2].literal), ==, "$5");
  const InfGraphNode *keywords = &graph->nodes[inf_graph_lookup(graph, "keywords")];
  g_assert_cmpstr(keywords->args[0].name, ==, "text");
  g_assert_cmpstr(keywords->args[1].name, ==, "extra");
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_LIST);
  g_assert_cmpuint(graph->n_outputs, ==, 3);
  g_assert_cmpstr(graph->outputs[1].path[0], ==, "title");
  g_assert_cmpint(inf_value_get_int(graph->outputs[2].literal), ==, 7);
  g_assert_cmpstr(graph->aliases[0], ==, "fast");
}

static void
test_graph_module_nested_in_code(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(GError) error = NULL;
  g_autoptr(InfModule) module =
      graph_module(registry,
                   "{\"inputs\": [\"text\"],"
                   " \"nodes\": {"
                   "   \"inner\": {\"module\": {\"type\": \"graph\", \"inputs\": [\"a\", \"b\"],"
                   "              \"nodes\": {\"x\": {\"module\": {\"type\": \"echo\"}, \"args\": "
                   "[\"$b\", \"$a\"]}},"
                   "              \"outputs\": {\"x\": \"$x\"}},"
                   "              \"args\": {\"b\": \"$text\", \"a\": \"fixed\"}},"
                   "   \"after\": {\"module\": {\"type\": \"echo\"}, \"args\": [\"$inner.x\"]}"
                   " },"
                   " \"outputs\": \"$after\"}",
                   &error);
  g_assert_no_error(error);
  const char *const *inputs = inf_graph_module_get_inputs(module);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, inputs);
  graph_fixtures_assert_ids(graph, "input:text inner.x after");
  /* named arguments of the nested graph map onto its inputs by name */
  const InfGraphNode *x = &graph->nodes[1];
  g_assert_cmpint(x->args[0].source, ==, 0);
  g_assert_cmpstr(inf_value_get_text(x->args[1].literal), ==, "fixed");
  graph_fixtures_assert_deps(graph, "after", "inner.x");
  g_assert_cmpint(graph->outputs[0].source, ==, 2);
}

static void
assert_graph_error(const char *options_json, const char *expected)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(GError) error = NULL;
  g_autoptr(InfModule) module = graph_module(registry, options_json, &error);
  g_assert_null(module);
  g_assert_nonnull(error);
  if (strstr(error->message, expected) == NULL)
    g_error("expected '%s' in: %s", expected, error->message);
}

static void
test_graph_module_errors(void)
{
  assert_graph_error("{\"inputs\": [\"t\"], \"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}, "
                     "\"args\": [\"$nope\"]}}, \"outputs\": \"$a\"}",
                     "nodes.a.args[0]: unknown reference '$nope'; visible here: inputs: t; "
                     "nodes: (none)");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": \"named\"}}, \"outputs\": \"$a\"}",
                     "nodes.a.module: module references by name (\"named\") can only be "
                     "resolved in a config");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": {\"type\": \"nope\"}}}, \"outputs\": 1}",
                     "nodes.a.module.type: unknown module type 'nope'; known module types: "
                     "echo, graph, one, scenario");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}, \"args\": [\"$b\"]},"
                     " \"b\": {\"module\": {\"type\": \"echo\"}, \"args\": [\"$a\"]}},"
                     " \"outputs\": \"$a\"}",
                     "nodes: cycle: a -> b -> a");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}, \"args\": [\"$a\"]}},"
                     " \"outputs\": \"$a\"}",
                     "nodes: cycle: a -> a");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}, \"arg\": []}},"
                     " \"outputs\": \"$a\"}",
                     "nodes.a.arg: unknown key in a graph node; valid keys: args, module, "
                     "priority");
  assert_graph_error("{\"nodes\": {\"a\": {\"args\": []}}, \"outputs\": \"$a\"}",
                     "nodes.a: a graph node needs a \"module\"");
  assert_graph_error("{\"inputs\": [\"t\"], \"nodes\": {\"a\": {\"module\": {\"type\": \"one\"},"
                     " \"args\": {\"txt\": \"$t\"}}}, \"outputs\": \"$a\"}",
                     "nodes.a.args: module type 'one' has no input 'txt'; its inputs: text, "
                     "extra");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": {\"type\": \"one\"}, \"args\": []}},"
                     " \"outputs\": \"$a\"}",
                     "nodes.a.args: missing required input 'text' of module type 'one'");
  assert_graph_error(
      "{\"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}, \"priority\": \"hi\"}},"
      " \"outputs\": \"$a\"}",
      "nodes.a.priority: expected an integer");
  assert_graph_error("{\"inputs\": [\"t\", \"t\"], \"nodes\": {}, \"outputs\": 1}",
                     "inputs[1]: input 't' is listed twice");
  assert_graph_error("{\"inputs\": [\"t\"], \"nodes\": {\"t\": {\"module\": {\"type\": \"echo\"}}},"
                     " \"outputs\": 1}",
                     "nodes.t: node 't' has the name of an input");
  assert_graph_error("{\"nodes\": {\"a.b\": {\"module\": {\"type\": \"echo\"}}}, \"outputs\": 1}",
                     "invalid node name 'a.b'");
  assert_graph_error("{\"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}}},"
                     " \"outputs\": {\"k\": \"$b\"}}",
                     "outputs.k: unknown reference '$b'; visible here: inputs: (none); nodes: a");
  assert_graph_error(
      "{\"nodes\": {\"a\": {\"module\": {\"type\": \"echo\"}, \"args\": [\"$a..x\"]}},"
      " \"outputs\": 1}",
      "nodes.a.args[0]: invalid reference '$a..x'");
  assert_graph_error("{\"nodes\": []}", "missing required option 'outputs'");
  assert_graph_error("{\"outputs\": 1}", "missing required option 'nodes'");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/graph/topological-order/traced", test_topological_order_traced);
  g_test_add_func("/graph/topological-order/tie-break", test_topological_order_tie_break);
  g_test_add_func("/graph/topological-order/cycle-error", test_topological_order_cycle_error);
  g_test_add_func("/graph/sort-indices/cycle", test_sort_indices_cycle);
  g_test_add_func("/graph/ancestors-descendants", test_ancestors_descendants);
  g_test_add_func("/graph/export/dot", test_export_dot);
  g_test_add_func("/graph/export/dot-priority-quotes", test_export_dot_priority_and_quotes);
  g_test_add_func("/graph/export/mermaid", test_export_mermaid);
  g_test_add_func("/graph/export/json", test_export_json);
  g_test_add_func("/graph/module/from-code", test_graph_module_from_code);
  g_test_add_func("/graph/module/nested", test_graph_module_nested_in_code);
  g_test_add_func("/graph/module/errors", test_graph_module_errors);
  return g_test_run();
}
