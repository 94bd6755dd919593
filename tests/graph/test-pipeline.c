/* The analysis pipeline written in C (plugins/modules/pipeline) traces to the
 * same graph as the same pipeline written as a config `graph`. */
#include <glib/gstdio.h>
#include <string.h>

#include "config/builtins.h"
#include "config/config.h"
#include "graph-fixtures.h"
#include "graph/graph-export.h"
#include "graph/tracer-private.h"

#define RESOURCES                                                       \
  "\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}," \
  " \"smart\": {\"provider\": \"mock\"}}}"

static const char c_config[] =
    "{" RESOURCES ", \"modules\": {\"analysis\": {\"type\": \"analysis-pipeline\"}},"
    " \"main\": \"analysis\"}";

static const char graph_config[] =
    "{" RESOURCES ",\n"
    " \"modules\": {\"analysis\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "  \"summarize\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": "
    "[\"$text\"]},\n"
    "  \"keywords\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": "
    "[\"$summarize\"]},\n"
    "  \"sentiment\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": "
    "[\"$text\"]},\n"
    "  \"format\": {\"module\": {\"type\": \"template\", \"template\":\n"
    "     \"Summary: {summary}\\nKeywords: {keywords}\\nSentiment: {sentiment}\"},\n"
    "     \"args\": {\"summary\": \"$summarize\", \"keywords\": \"$keywords\",\n"
    "              \"sentiment\": \"$sentiment\"}},\n"
    "  \"report\": {\"module\": {\"type\": \"llm\", \"alias\": \"smart\"}, \"args\": "
    "[\"$format\"]}},\n"
    "  \"outputs\": {\"summary\": \"$summarize\", \"keywords\": \"$keywords\",\n"
    "              \"sentiment\": \"$sentiment\", \"report\": \"$report\"}}},\n"
    " \"main\": \"analysis\"}";

typedef InfTestConfigFixture Fixture;
#define fixture_setup inf_test_config_fixture_set_up
#define fixture_teardown inf_test_config_fixture_tear_down

static InfConfig *
load(Fixture *f, const char *name, const char *contents)
{
  g_autofree char *path = inf_test_write(f->dir, name, contents);
  g_autoptr(GError) error = NULL;
  InfConfig *config = inf_config_load(path, NULL, f->registry, f->loader, &error);
  g_assert_no_error(error);
  return config;
}

/* The graph as JSON minus what legitimately differs (instance names). */
static json_object *
comparable(const InfGraph *graph)
{
  json_object *json = inf_graph_to_json(graph);
  json_object *nodes = json_object_object_get(json, "nodes");
  for (gsize i = 0; i < json_object_array_length(nodes); i++)
    json_object_object_del(json_object_array_get_idx(nodes, i), "name");
  return json;
}

static void
test_same_graph(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) from_c = load(f, "c.json", c_config);
  g_autoptr(InfConfig) from_graph = load(f, "graph.json", graph_config);
  InfGraph *a = inf_config_get_graph(from_c);
  InfGraph *b = inf_config_get_graph(from_graph);

  /* the expected shape, spelled out */
  graph_fixtures_assert_ids(a, "input:text summarize keywords sentiment format report");
  graph_fixtures_assert_deps(a, "format", "summarize keywords sentiment");
  graph_fixtures_assert_deps(a, "report", "format");
  g_assert_cmpint(a->output_shape, ==, INF_GRAPH_OUTPUT_DICT);
  g_assert_cmpstr(a->outputs[0].key, ==, "summary");
  g_assert_cmpstr(a->outputs[3].key, ==, "report");

  /* node for node, edge for edge, the same as the config graph */
  g_assert_cmpuint(a->n_nodes, ==, b->n_nodes);
  g_assert_cmpuint(a->n_inputs, ==, b->n_inputs);
  for (guint i = 0; i < a->n_nodes; i++) {
    const InfGraphNode *x = &a->nodes[i], *y = &b->nodes[i];
    g_assert_cmpstr(x->id, ==, y->id);
    g_assert_cmpint(x->kind, ==, y->kind);
    if (x->module)
      g_assert_cmpstr(inf_module_get_type_name(x->module), ==, inf_module_get_type_name(y->module));
    g_assert_cmpstr(x->alias, ==, y->alias);
    g_assert_cmpuint(x->n_deps, ==, y->n_deps);
    g_assert_cmpmem(x->deps, x->n_deps * sizeof(guint), y->deps, y->n_deps * sizeof(guint));
    g_assert_cmpmem(x->dependents, x->n_dependents * sizeof(guint), y->dependents,
                    y->n_dependents * sizeof(guint));
  }
  g_assert_cmpuint(a->n_outputs, ==, b->n_outputs);
  for (guint i = 0; i < a->n_outputs; i++) {
    g_assert_cmpstr(a->outputs[i].key, ==, b->outputs[i].key);
    g_assert_cmpint(a->outputs[i].source, ==, b->outputs[i].source);
  }
  g_assert_true(g_strv_equal((const char *const *)a->aliases, (const char *const *)b->aliases));

  /* and the whole export (ids, types, aliases, argument names, deps, outputs) */
  json_object *ja = comparable(a), *jb = comparable(b);
  if (!json_object_equal(ja, jb))
    g_error("graphs differ:\n%s\n%s", json_object_to_json_string(ja),
            json_object_to_json_string(jb));
  json_object_put(ja);
  json_object_put(jb);
}

/* Traced directly, without a config, the composite gives the same ids. */
static void
test_trace_directly(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  json_object *options = json_tokener_parse("{\"fast_alias\": \"f\", \"smart_alias\": \"s\"}");
  g_autoptr(InfModule) module =
      inf_module_new(f->registry, "analysis-pipeline", "analysis", options, &error);
  json_object_put(options);
  g_assert_no_error(error);
  const char *const inputs[] = { "text", NULL };
  g_autoptr(InfGraph) graph = inf_tracer_trace(module, inputs, &error);
  g_assert_no_error(error);
  graph_fixtures_assert_ids(graph, "input:text summarize keywords sentiment format report");
  g_assert_cmpstr(graph->aliases[0], ==, "f");
  g_assert_cmpstr(graph->aliases[1], ==, "s");
  const InfGraphNode *format = &graph->nodes[inf_graph_lookup(graph, "format")];
  g_assert_cmpstr(format->args[0].name, ==, "summary");
  g_assert_cmpstr(format->args[2].name, ==, "sentiment");
  g_autoptr(GPtrArray) children = inf_module_named_children(module);
  g_assert_cmpuint(children->len, ==, 5);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/pipeline/same-graph-as-config", Fixture, NULL, fixture_setup, test_same_graph,
             fixture_teardown);
  g_test_add("/pipeline/trace-directly", Fixture, NULL, fixture_setup, test_trace_directly,
             fixture_teardown);
  return g_test_run();
}
