/* Unit tests of the tracer: recording nodes, flattening composites, ids,
 * arguments, outputs, priorities and misuse. */
#include <string.h>

#include "graph-fixtures.h"
#include "graph/graph-export.h"
#include "graph/tracer-private.h"

static const char *const one_input[] = { "text", NULL };
static const char *const two_inputs[] = { "x", "y", NULL };

#define ECHO3 "[[\"a\",\"echo\",{}],[\"b\",\"echo\",{}],[\"c\",\"echo\",{}]]"
#define ECHO4 "[[\"a\",\"echo\",{}],[\"b\",\"echo\",{}],[\"c\",\"echo\",{}],[\"d\",\"echo\",{}]]"

/* Traces a scenario that must fail and returns the message. */
static char *
trace_error(const char *scenario, const char *children, const char *const *inputs)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, scenario, children);
  g_autoptr(GError) error = NULL;
  InfGraph *graph = inf_tracer_trace(module, inputs, &error);
  g_assert_null(graph);
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  return g_strdup(error->message);
}

static void
test_linear(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "linear", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  g_assert_cmpuint(graph->n_inputs, ==, 1);
  g_assert_cmpuint(graph->n_nodes, ==, 4);
  graph_fixtures_assert_ids(graph, "input:text a b c");
  g_assert_cmpstr(inf_graph_input_name(graph, 0), ==, "text");
  g_assert_cmpint(graph->nodes[0].kind, ==, INF_GRAPH_NODE_INPUT);
  g_assert_null(graph->nodes[0].module);
  g_assert_cmpint(graph->nodes[1].kind, ==, INF_GRAPH_NODE_MODULE);
  g_assert_true(graph->nodes[1].module == inf_module_get_child(module, "a"));
  graph_fixtures_assert_deps(graph, "a", "input:text");
  graph_fixtures_assert_deps(graph, "b", "a");
  graph_fixtures_assert_deps(graph, "c", "b");
  /* dependents mirror deps */
  g_assert_cmpuint(graph->nodes[0].n_dependents, ==, 1);
  g_assert_cmpuint(graph->nodes[0].dependents[0], ==, 1);
  g_assert_cmpuint(graph->nodes[2].dependents[0], ==, 3);
  g_assert_cmpuint(graph->nodes[3].n_dependents, ==, 0);
  /* one output, from c */
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_VALUE);
  g_assert_cmpuint(graph->n_outputs, ==, 1);
  g_assert_cmpint(graph->outputs[0].source, ==, inf_graph_lookup(graph, "c"));
  g_assert_null(graph->outputs[0].path);
  g_assert_null(graph->outputs[0].literal);
  /* lookups */
  g_assert_cmpint(inf_graph_lookup(graph, "b"), ==, 2);
  g_assert_cmpint(inf_graph_lookup(graph, "input:text"), ==, 0);
  g_assert_cmpint(inf_graph_lookup(graph, "zzz"), ==, -1);
  g_assert_cmpuint(inf_graph_n_module_nodes(graph), ==, 3);
  /* no aliases */
  g_assert_null(graph->aliases[0]);
  /* arguments: a ref to the producing node, no literal */
  g_assert_cmpuint(graph->nodes[2].n_args, ==, 1);
  g_assert_cmpint(graph->nodes[2].args[0].source, ==, 1);
  g_assert_null(graph->nodes[2].args[0].literal);
  g_assert_null(graph->nodes[2].args[0].name);
}

static void
test_fanout_list_output(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "fanout", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  graph_fixtures_assert_ids(graph, "input:text a b c");
  g_assert_cmpuint(graph->nodes[0].n_dependents, ==, 3);
  for (guint i = 1; i <= 3; i++) {
    g_assert_cmpuint(graph->nodes[i].n_deps, ==, 1);
    g_assert_cmpuint(graph->nodes[i].deps[0], ==, 0);
    g_assert_cmpuint(graph->nodes[0].dependents[i - 1], ==, i);
  }
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_LIST);
  g_assert_cmpuint(graph->n_outputs, ==, 3);
  for (guint i = 0; i < 3; i++) {
    g_assert_null(graph->outputs[i].key);
    g_assert_cmpint(graph->outputs[i].source, ==, (gint)i + 1);
  }
}

static void
test_fanin(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "fanin", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, two_inputs);

  g_assert_cmpuint(graph->n_inputs, ==, 2);
  graph_fixtures_assert_ids(graph, "input:x input:y a b c");
  graph_fixtures_assert_deps(graph, "a", "input:x");
  graph_fixtures_assert_deps(graph, "b", "input:y");
  /* c(a, b, x): distinct deps, ascending */
  graph_fixtures_assert_deps(graph, "c", "input:x a b");
  const InfGraphNode *c = &graph->nodes[inf_graph_lookup(graph, "c")];
  g_assert_cmpuint(c->n_args, ==, 3);
  g_assert_cmpint(c->args[0].source, ==, inf_graph_lookup(graph, "a"));
  g_assert_cmpint(c->args[1].source, ==, inf_graph_lookup(graph, "b"));
  g_assert_cmpint(c->args[2].source, ==, 0);
  g_assert_cmpuint(graph->nodes[0].n_dependents, ==, 2); /* a and c */
}

static void
test_diamond_dict_output(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(
      registry, "diamond",
      "[[\"a\",\"echo\",{\"alias\":\"fast\"}],[\"b\",\"echo\",{\"alias\":\"fast\"}],"
      "[\"c\",\"echo\",{}],[\"d\",\"echo\",{\"alias\":\"smart\"}]]");
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  graph_fixtures_assert_ids(graph, "input:text a b c d");
  graph_fixtures_assert_deps(graph, "b", "a");
  graph_fixtures_assert_deps(graph, "c", "a");
  graph_fixtures_assert_deps(graph, "d", "b c");
  const InfGraphNode *a = &graph->nodes[1];
  g_assert_cmpuint(a->n_dependents, ==, 2);
  g_assert_cmpstr(a->alias, ==, "fast");
  g_assert_null(graph->nodes[3].alias);
  g_assert_cmpstr(graph->nodes[4].alias, ==, "smart");
  /* distinct aliases in node order */
  g_assert_cmpuint(g_strv_length(graph->aliases), ==, 2);
  g_assert_cmpstr(graph->aliases[0], ==, "fast");
  g_assert_cmpstr(graph->aliases[1], ==, "smart");
  /* the user's keys, in order */
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_DICT);
  g_assert_cmpuint(graph->n_outputs, ==, 3);
  g_assert_cmpstr(graph->outputs[0].key, ==, "left");
  g_assert_cmpstr(graph->outputs[1].key, ==, "right");
  g_assert_cmpstr(graph->outputs[2].key, ==, "final");
  g_assert_cmpint(graph->outputs[0].source, ==, inf_graph_lookup(graph, "b"));
  g_assert_cmpint(graph->outputs[2].source, ==, inf_graph_lookup(graph, "d"));
}

static void
test_repeated_calls_ids(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "twice", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  graph_fixtures_assert_ids(graph, "input:text a a_1 a_2");
  graph_fixtures_assert_deps(graph, "a_1", "a");
  graph_fixtures_assert_deps(graph, "a_2", "a_1");
  /* the same module instance behind each node */
  g_assert_true(graph->nodes[1].module == graph->nodes[2].module);
  g_assert_true(graph->nodes[2].module == graph->nodes[3].module);
}

static void
test_ids_stable(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(
      registry, "nested",
      "[[\"sub\",\"scenario\",{\"scenario\":\"diamond\",\"children\":" ECHO4 "}],"
      "[\"e\",\"echo\",{}]]");
  g_autoptr(InfGraph) first = graph_fixtures_trace(module, one_input);
  g_autoptr(InfGraph) second = graph_fixtures_trace(module, one_input);
  g_autofree char *ids1 = graph_fixtures_ids(first);
  g_autofree char *ids2 = graph_fixtures_ids(second);
  g_assert_cmpstr(ids1, ==, ids2);
  json_object *j1 = inf_graph_to_json(first);
  json_object *j2 = inf_graph_to_json(second);
  g_assert_true(json_object_equal(j1, j2));
  json_object_put(j1);
  json_object_put(j2);
}

static void
test_field_refs(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "field", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  graph_fixtures_assert_ids(graph, "input:text a b");
  const InfGraphNode *b = &graph->nodes[2];
  g_assert_cmpuint(b->n_args, ==, 2);
  g_assert_cmpint(b->args[0].source, ==, 1);
  g_assert_cmpuint(g_strv_length(b->args[0].path), ==, 1);
  g_assert_cmpstr(b->args[0].path[0], ==, "x");
  g_assert_cmpint(b->args[1].source, ==, 1);
  g_assert_cmpuint(g_strv_length(b->args[1].path), ==, 2);
  g_assert_cmpstr(b->args[1].path[0], ==, "y");
  g_assert_cmpstr(b->args[1].path[1], ==, "z");
  /* both arguments come from a: one dependency */
  graph_fixtures_assert_deps(graph, "b", "a");
  /* the output is a field of b */
  g_assert_cmpint(graph->outputs[0].source, ==, 2);
  g_assert_cmpstr(graph->outputs[0].path[0], ==, "result");
  g_autofree char *ref = inf_graph_format_ref(graph, b->args[1].source, b->args[1].path);
  g_assert_cmpstr(ref, ==, "a.y.z");
}

static void
test_nested_flattened(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(
      registry, "nested",
      "[[\"sub\",\"scenario\",{\"scenario\":\"diamond\",\"children\":" ECHO4 "}],"
      "[\"e\",\"echo\",{}]]");
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  /* the composite leaves no node of its own; a second call of it is sub_1 */
  graph_fixtures_assert_ids(graph,
                            "input:text sub.a sub.b sub.c sub.d sub_1.a sub_1.b sub_1.c sub_1.d e");
  graph_fixtures_assert_deps(graph, "sub.a", "input:text");
  graph_fixtures_assert_deps(graph, "sub.d", "sub.b sub.c");
  graph_fixtures_assert_deps(graph, "sub_1.a", "sub.d");
  graph_fixtures_assert_deps(graph, "e", "sub_1.d");
  /* nodes run the nested composite's children */
  InfModule *sub = inf_module_get_child(module, "sub");
  g_assert_true(graph->nodes[inf_graph_lookup(graph, "sub.b")].module ==
                inf_module_get_child(sub, "b"));
  g_assert_true(graph->nodes[inf_graph_lookup(graph, "sub_1.b")].module ==
                inf_module_get_child(sub, "b"));
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_DICT);
  g_assert_cmpstr(graph->outputs[0].key, ==, "e");
  g_assert_cmpstr(graph->outputs[1].key, ==, "left");
  g_assert_cmpint(graph->outputs[1].source, ==, inf_graph_lookup(graph, "sub.b"));
}

static void
test_priority(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "priority", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  g_assert_cmpint(graph->nodes[inf_graph_lookup(graph, "a")].priority, ==, 5);
  g_assert_cmpint(graph->nodes[inf_graph_lookup(graph, "b")].priority, ==, -1);
  g_assert_cmpint(graph->nodes[0].priority, ==, 0);
}

static void
test_literals(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "literal", ECHO3);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);

  const InfGraphNode *a = &graph->nodes[1];
  g_assert_cmpuint(a->n_args, ==, 3);
  g_assert_cmpint(a->args[0].source, ==, 0);
  g_assert_cmpint(a->args[1].source, ==, -1);
  g_assert_cmpstr(inf_value_get_text(a->args[1].literal), ==, "lit");
  g_assert_cmpint(inf_value_get_int(a->args[2].literal), ==, 3);
  /* literal inputs are not dependencies */
  graph_fixtures_assert_deps(graph, "a", "input:text");
  /* outputs: a node, a literal, an input */
  g_assert_cmpuint(graph->n_outputs, ==, 3);
  g_assert_cmpstr(graph->outputs[1].key, ==, "constant");
  g_assert_cmpint(graph->outputs[1].source, ==, -1);
  g_assert_cmpstr(inf_value_get_text(graph->outputs[1].literal), ==, "constant");
  g_assert_cmpint(graph->outputs[2].source, ==, 0);
}

static void
test_argument_names(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  {
    g_autoptr(InfModule) module =
        graph_fixtures_scenario(registry, "named", "[[\"a\",\"one\",{}]]");
    g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);
    g_assert_cmpstr(graph->nodes[1].args[0].name, ==, "text");
    g_assert_cmpstr(graph->nodes[1].args[1].name, ==, "extra");
  }
  {
    /* positional arguments are named after the class's declared inputs */
    g_autoptr(InfModule) module =
        graph_fixtures_scenario(registry, "positional-names", "[[\"a\",\"one\",{}]]");
    g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);
    g_assert_cmpuint(graph->nodes[1].n_args, ==, 1);
    g_assert_cmpstr(graph->nodes[1].args[0].name, ==, "text");
  }
}

static void
test_atomic_main(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(GError) error = NULL;
  g_autoptr(InfModule) module = inf_module_new(registry, "one", "solo", NULL, &error);
  g_assert_no_error(error);
  g_autoptr(InfGraph) graph = graph_fixtures_trace(module, one_input);
  graph_fixtures_assert_ids(graph, "input:text solo");
  g_assert_cmpstr(graph->nodes[1].args[0].name, ==, "text");
  g_assert_cmpint(graph->outputs[0].source, ==, 1);
}

/* A scenario whose trace fails: the message must hold every fragment. */
typedef struct {
  const char *path;
  const char *scenario;
  const char *children;
  const char *fragments[4]; /* NULL-terminated */
} TraceError;

static const TraceError trace_errors[] = {
  { "/tracer/error/not-a-child",
    "stranger",
    ECHO3,
    { "node 'stranger'", "not a child of 'stranger'", NULL } },
  { "/tracer/error/error-value-argument",
    "error-arg",
    ECHO3,
    { "node 'a'", "error value", "broken upstream", NULL } },
  { "/tracer/error/list-of-refs",
    "list-arg",
    ECHO3,
    { "node 'a'", "list holding symbolic values", NULL } },
  { "/tracer/error/too-many-args",
    "too-many",
    "[[\"a\",\"one\",{}]]",
    { "node 'a'", "takes 2 arguments (text, extra), got 3", NULL } },
  { "/tracer/error/nested-composite-fails",
    "nested",
    "[[\"sub\",\"scenario\",{\"scenario\":\"fails\"}],[\"e\",\"echo\",{}]]",
    { "node 'sub'", "forward gave up", NULL } },
  { "/tracer/error/nested-output", "nested-output", ECHO3, { "output 'inner'", NULL } },
};

static void
test_trace_error(gconstpointer data)
{
  const TraceError *c = data;
  g_autofree char *message = trace_error(c->scenario, c->children, one_input);
  for (guint i = 0; c->fragments[i]; i++)
    inf_test_assert_contains(message, c->fragments[i]);
}

static void
test_error_forward_fails(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "fails", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_null(inf_tracer_trace(module, one_input, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_FAILED);
  g_assert_cmpstr(error->message, ==, "forward gave up");
}

static void
test_error_input_names(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, "linear", ECHO3);
  const char *const dup[] = { "x", "x", NULL };
  g_autoptr(GError) error = NULL;
  g_assert_null(inf_tracer_trace(module, dup, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tracer/linear", test_linear);
  g_test_add_func("/tracer/fan-out-list-output", test_fanout_list_output);
  g_test_add_func("/tracer/fan-in", test_fanin);
  g_test_add_func("/tracer/diamond-dict-output", test_diamond_dict_output);
  g_test_add_func("/tracer/repeated-calls-ids", test_repeated_calls_ids);
  g_test_add_func("/tracer/ids-stable", test_ids_stable);
  g_test_add_func("/tracer/field-refs", test_field_refs);
  g_test_add_func("/tracer/nested-flattened", test_nested_flattened);
  g_test_add_func("/tracer/priority", test_priority);
  g_test_add_func("/tracer/literals", test_literals);
  g_test_add_func("/tracer/argument-names", test_argument_names);
  g_test_add_func("/tracer/atomic-main", test_atomic_main);
  for (guint i = 0; i < G_N_ELEMENTS(trace_errors); i++)
    g_test_add_data_func(trace_errors[i].path, &trace_errors[i], test_trace_error);
  g_test_add_func("/tracer/error/forward-fails", test_error_forward_fails);
  g_test_add_func("/tracer/error/input-names", test_error_input_names);
  return g_test_run();
}
