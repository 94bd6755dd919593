/* Integration tests of config loading: real config files in a temp dir, the
 * in-tree plugins (llm, template, mock, pipeline), every block and every
 * error with its file, JSON path and valid choices. */
#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

#include "config/builtins.h"
#include "config/config.h"
#include "config/graph-module.h"
#include "graph-fixtures.h"

#define RESOURCES                                                       \
  "\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}," \
  " \"smart\": {\"provider\": \"mock\"}}}"

typedef InfTestConfigFixture Fixture;
#define fixture_setup inf_test_config_fixture_set_up
#define fixture_teardown inf_test_config_fixture_tear_down

static InfConfig *
load(Fixture *f, const char *contents, const char *resources_path, GError **error)
{
  g_autofree char *path = inf_test_write(f->dir, "pipeline.json", contents);
  return inf_config_load(path, resources_path, f->registry, f->loader, error);
}

static InfConfig *
load_ok(Fixture *f, const char *contents)
{
  g_autoptr(GError) error = NULL;
  InfConfig *config = load(f, contents, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(config);
  return config;
}

/* Loads @contents, which must fail; the message must start with the file
 * and contain each of the NULL-terminated fragments. */
static void
assert_load_error(Fixture *f, const char *contents, const char *resources_path, ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfConfig) config = load(f, contents, resources_path, &error);
  g_assert_null(config);
  g_assert_nonnull(error);
  g_autofree char *path = g_build_filename(f->dir, "pipeline.json", NULL);
  va_list ap;
  va_start(ap, resources_path);
  const char *fragment;
  gboolean first = TRUE;
  while ((fragment = va_arg(ap, const char *))) {
    g_autofree char *expected =
        first && fragment[0] == ':' ? g_strconcat(path, fragment, NULL) : g_strdup(fragment);
    if (first && fragment[0] == ':' ? !g_str_has_prefix(error->message, expected)
                                    : strstr(error->message, expected) == NULL)
      g_error("expected '%s' in the error: %s", expected, error->message);
    first = FALSE;
  }
  va_end(ap);
}

#define DIAMOND_CONFIG                                                                     \
  "// The diamond, with comments.\n"                                                       \
  "{\n"                                                                                    \
  "  " RESOURCES ",\n"                                                                     \
  "  /* modules by name */\n"                                                              \
  "  \"modules\": {\n"                                                                     \
  "    \"summarize\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"                         \
  "    \"report\": {\"type\": \"llm\", \"alias\": \"smart\"},\n"                           \
  "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"         \
  "      \"summary\": {\"module\": \"summarize\", \"args\": [\"$text\"]},\n"               \
  "      \"keywords\": {\"module\": \"summarize\", \"args\": [\"$summary\"]},\n"           \
  "      \"sentiment\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"          \
  "                      \"args\": {\"prompt\": \"$text\"}, \"priority\": -2},\n"          \
  "      \"notes\": {\"module\": {\"type\": \"template\",\n"                               \
  "                  \"template\": \"{summary} {keywords} {sentiment}\"},\n"               \
  "                  \"args\": {\"summary\": \"$summary\", \"keywords\": \"$keywords\",\n" \
  "                           \"sentiment\": \"$sentiment\"}},\n"                          \
  "      \"final\": {\"module\": \"report\", \"args\": [\"$notes\"]}\n"                    \
  "    },\n"                                                                               \
  "    \"outputs\": {\"summary\": \"$summary\", \"report\": \"$final\"}}\n"                \
  "  },\n"                                                                                 \
  "  \"main\": \"pipeline\" // trailing comment\n"                                         \
  "}\n// after the end\n"

static void
test_diamond(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, DIAMOND_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  graph_fixtures_assert_ids(graph, "input:text summary keywords sentiment notes final");
  graph_fixtures_assert_deps(graph, "notes", "summary keywords sentiment");
  graph_fixtures_assert_deps(graph, "final", "notes");
  g_assert_cmpint(graph->nodes[inf_graph_lookup(graph, "sentiment")].priority, ==, -2);
  g_assert_cmpstr(graph->nodes[inf_graph_lookup(graph, "final")].alias, ==, "smart");
  g_assert_cmpstr(graph->aliases[0], ==, "fast");
  g_assert_cmpstr(graph->aliases[1], ==, "smart");
  g_assert_null(graph->aliases[2]);
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_DICT);
  g_assert_cmpstr(graph->outputs[0].key, ==, "summary");
  g_assert_cmpstr(graph->outputs[1].key, ==, "report");
  /* a module used by two nodes is one instance */
  InfModule *summarize = inf_config_lookup_module(config, "summarize");
  g_assert_true(graph->nodes[inf_graph_lookup(graph, "summary")].module == summarize);
  g_assert_true(graph->nodes[inf_graph_lookup(graph, "keywords")].module == summarize);
  g_assert_cmpstr(inf_module_get_name(summarize), ==, "summarize");
  /* the main module and its children */
  InfModule *main = inf_config_get_main(config);
  g_assert_true(main == inf_config_lookup_module(config, "pipeline"));
  g_assert_true(inf_module_get_child(main, "summarize") == summarize);
  g_assert_nonnull(inf_module_get_child(main, "sentiment")); /* inline: named after its node */
  /* positional llm arguments take the declared input's name */
  g_assert_cmpstr(graph->nodes[inf_graph_lookup(graph, "summary")].args[0].name, ==, "prompt");
  g_assert_nonnull(inf_config_get_resources(config));
  g_assert_nonnull(inf_config_get_json(config));
  g_assert_null(inf_config_get_training(config));
  g_assert_true(g_str_has_suffix(inf_config_get_path(config), "pipeline.json"));
}

static void
test_linear_and_fields(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(
      f,
      "{" RESOURCES ", \"main\": {\"type\": \"graph\", \"inputs\": [\"doc\"], \"nodes\": {"
      "\"a\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\", \"response_format\": \"json\"},"
      " \"args\": [\"$doc.body\"]},"
      "\"b\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": "
      "[\"$a.answer.text\"]},"
      "\"c\": {\"module\": {\"type\": \"template\", \"template\": \"{0} {1}\"},"
      " \"args\": [\"$b\", \"$$not a ref\"]}},"
      "\"outputs\": [\"$c\", \"$a.answer\", 42]}}");
  InfGraph *graph = inf_config_get_graph(config);
  graph_fixtures_assert_ids(graph, "input:doc a b c");
  const InfGraphNode *a = &graph->nodes[1], *b = &graph->nodes[2], *c = &graph->nodes[3];
  g_assert_cmpint(a->args[0].source, ==, 0);
  g_assert_cmpstr(a->args[0].path[0], ==, "body");
  g_assert_cmpint(b->args[0].source, ==, 1);
  g_assert_cmpstr(b->args[0].path[0], ==, "answer");
  g_assert_cmpstr(b->args[0].path[1], ==, "text");
  g_assert_cmpstr(inf_value_get_text(c->args[1].literal), ==, "$not a ref");
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_LIST);
  g_assert_cmpuint(graph->n_outputs, ==, 3);
  g_assert_cmpstr(graph->outputs[1].path[0], ==, "answer");
  g_assert_cmpint(inf_value_get_int(graph->outputs[2].literal), ==, 42);
  /* inline main is named "main"; inline node modules after their nodes */
  g_assert_cmpstr(inf_module_get_name(inf_config_get_main(config)), ==, "main");
  g_assert_cmpstr(inf_module_get_name(a->module), ==, "a");
}

static void
test_fan_out_fan_in(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config =
      load_ok(f, "{" RESOURCES ", \"modules\": {\"m\": {\"type\": \"llm\", \"alias\": \"fast\"},"
                 " \"join\": {\"type\": \"template\", \"template\": \"{0}|{1}|{2}\"}},"
                 " \"main\": {\"type\": \"graph\", \"inputs\": [\"x\", \"y\"], \"nodes\": {"
                 "  \"j\": {\"module\": \"join\", \"args\": [\"$p\", \"$q\", \"$r\"]},"
                 "  \"p\": {\"module\": \"m\", \"args\": [\"$x\"]},"
                 "  \"q\": {\"module\": \"m\", \"args\": [\"$x\"]},"
                 "  \"r\": {\"module\": \"m\", \"args\": [\"$y\"]}},"
                 " \"outputs\": \"$j\"}}");
  InfGraph *graph = inf_config_get_graph(config);
  /* dependency order; config order breaks ties */
  graph_fixtures_assert_ids(graph, "input:x input:y p q r j");
  g_assert_cmpuint(graph->nodes[0].n_dependents, ==, 2);
  graph_fixtures_assert_deps(graph, "j", "p q r");
  g_assert_cmpint(graph->output_shape, ==, INF_GRAPH_OUTPUT_VALUE);
}

static void
test_nested_graphs(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(
      f, "{" RESOURCES ", \"modules\": {"
         " \"analyze\": {\"type\": \"graph\", \"inputs\": [\"text\", \"style\"], \"nodes\": {"
         "   \"summary\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": "
         "[\"$text\"]},"
         "   \"keywords\": {\"module\": {\"type\": \"template\", \"template\": \"{s} ({t})\"},"
         "                  \"args\": {\"s\": \"$summary\", \"t\": \"$style\"}}},"
         "   \"outputs\": {\"summary\": \"$summary\", \"keywords\": \"$keywords\"}},"
         " \"outer\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {"
         "   \"first\": {\"module\": \"analyze\", \"args\": {\"style\": \"short\", \"text\": "
         "\"$text\"}},"
         "   \"second\": {\"module\": \"analyze\", \"args\": [\"$first.keywords\", \"long\"]},"
         "   \"report\": {\"module\": {\"type\": \"llm\", \"alias\": \"smart\"},"
         "                \"args\": [\"$second.summary\"]}},"
         "   \"outputs\": {\"k\": \"$first.keywords\", \"report\": \"$report\"}}},"
         " \"main\": \"outer\"}");
  InfGraph *graph = inf_config_get_graph(config);
  graph_fixtures_assert_ids(
      graph, "input:text first.summary first.keywords second.summary second.keywords report");
  graph_fixtures_assert_deps(graph, "second.summary", "first.keywords");
  graph_fixtures_assert_deps(graph, "report", "second.summary");
  const InfGraphNode *k = &graph->nodes[inf_graph_lookup(graph, "first.keywords")];
  g_assert_cmpstr(k->args[1].name, ==, "t");
  g_assert_cmpstr(inf_value_get_text(k->args[1].literal), ==, "short");
  g_assert_cmpint(graph->outputs[0].source, ==, inf_graph_lookup(graph, "first.keywords"));
  /* one instance of analyze, shared by both nodes */
  g_assert_true(graph->nodes[1].module == graph->nodes[3].module);
}

static void
test_parameters(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config =
      load_ok(f, "{" RESOURCES ", \"parameters\": {"
                 "  \"plain\": \"Be brief.\","
                 "  \"learned\": {\"value\": \"Summarize.\", \"description\": \"summary prompt\","
                 "              \"requires_grad\": true}},"
                 " \"modules\": {"
                 "  \"a\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
                 "{\"parameter\": \"learned\"}},"
                 "  \"b\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
                 "{\"parameter\": \"learned\"}},"
                 "  \"c\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
                 "{\"parameter\": \"plain\"}},"
                 "  \"g\": {\"type\": \"graph\", \"inputs\": [\"t\"], \"nodes\": {"
                 "    \"a\": {\"module\": \"a\", \"args\": [\"$t\"]}, \"b\": {\"module\": \"b\", "
                 "\"args\": [\"$a\"]},"
                 "    \"c\": {\"module\": \"c\", \"args\": [\"$b\"]}}, \"outputs\": \"$c\"}},"
                 " \"main\": \"g\", \"training\": {\"epochs\": 2}}");
  InfParameter *learned = inf_config_lookup_parameter(config, "learned");
  InfParameter *plain = inf_config_lookup_parameter(config, "plain");
  g_assert_cmpstr(inf_parameter_get_value(learned), ==, "Summarize.");
  g_assert_cmpstr(inf_parameter_get_description(learned), ==, "summary prompt");
  g_assert_true(inf_parameter_get_requires_grad(learned));
  g_assert_cmpstr(inf_parameter_get_value(plain), ==, "Be brief.");
  g_assert_false(inf_parameter_get_requires_grad(plain));
  /* one parameter shared by two modules */
  InfModule *a = inf_config_lookup_module(config, "a");
  InfModule *b = inf_config_lookup_module(config, "b");
  g_assert_true(inf_module_get_parameter(a, "system_prompt") == learned);
  g_assert_true(inf_module_get_parameter(b, "system_prompt") == learned);
  g_autoptr(GPtrArray) params = inf_module_parameters(inf_config_get_main(config));
  g_assert_cmpuint(params->len, ==, 2);
  /* training is kept as written */
  json_object *training = inf_config_get_training(config);
  g_assert_cmpint(json_object_get_int(json_object_object_get(training, "epochs")), ==, 2);
}

static void
test_resources_file(Fixture *f, gconstpointer data)
{
  (void)data;
  /* the config's own block knows only "dev"; the file replaces it */
  const char *contents =
      "{\"resources\": {\"endpoints\": {\"dev\": {\"provider\": \"mock\"}}},"
      " \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"prod\"}}, \"main\": \"s\"}";
  g_autofree char *resources = inf_test_write(
      f->dir, "prod.json", "// production\n{\"endpoints\": {\"prod\": {\"provider\": \"mock\"}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(InfConfig) config = load(f, contents, resources, &error);
  g_assert_no_error(error);
  g_assert_nonnull(inf_resources_config_lookup(inf_config_get_resources(config), "prod"));
  g_assert_null(inf_resources_config_lookup(inf_config_get_resources(config), "dev"));
  /* an atomic main: one node named after the module, inputs from its class */
  InfGraph *graph = inf_config_get_graph(config);
  graph_fixtures_assert_ids(graph, "input:prompt s");
  g_assert_cmpstr(graph->aliases[0], ==, "prod");

  /* without the file, the alias is unknown; the message lists the config's */
  assert_load_error(f, contents, NULL, ": modules.s.alias: unknown alias 'prod'",
                    "known aliases: dev", NULL);
  /* errors in the file name the file */
  g_autofree char *broken = inf_test_write(f->dir, "broken.json", "{\n  \"endpoints\": [\n");
  g_clear_error(&error);
  g_assert_null(load(f, contents, broken, &error));
  g_assert_nonnull(error);
  g_autofree char *prefix = g_strconcat(broken, ":3:1: JSON syntax error", NULL);
  g_assert_true(g_str_has_prefix(error->message, prefix));
  g_clear_error(&error);
  g_assert_null(load(f, contents, "/nonexistent/res.json", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "/nonexistent/res.json"));
}

static void
test_plugins_block(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *path = inf_test_plugin_path();
  /* a fresh registry: the config's plugins block loads what it needs,
   * relative to the config file */
  g_auto(GStrv) dirs = g_strsplit(path, ":", -1);
  g_autofree char *link = g_build_filename(f->dir, "plugs", NULL);
  g_assert_cmpint(symlink(dirs[0], link), ==, 0);
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_builtins_register(registry, &error));
  g_autofree char *file = inf_test_write(
      f->dir, "pipeline.json",
      "{\"plugins\": {\"paths\": [\"plugs\"], \"allow\": [\"llm\", \"mock\"]}, " RESOURCES ","
      " \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"}}, \"main\": \"s\"}");
  g_autoptr(InfConfig) config = inf_config_load(file, NULL, registry, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(inf_registry_lookup_module_class(registry, "llm"));
  /* not on the allow list: not loaded */
  g_assert_null(inf_registry_lookup_module_class(registry, "template"));
}

/* --- errors --- */

static void
test_error_syntax(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f, "{\n  \"main\": \"x\",\n  \"modules\": {,}\n}\n", NULL,
                    ":3:15: JSON syntax error", NULL);
  assert_load_error(f, "// comment\n{\"main\": \"x\",\n \"modules\": {\n", NULL,
                    ":4:1: JSON syntax error: unexpected end of file", NULL);
  assert_load_error(f, "{\"main\": \"x\"}\n}", NULL,
                    ":2:1: JSON syntax error: unexpected text after the end", NULL);
  assert_load_error(f, "[1, 2]", NULL, ": expected a JSON object at the top level", NULL);
  assert_load_error(f, "", NULL, ":1:1: JSON syntax error: unexpected end of file", NULL);
  assert_load_error(f, "// only a comment\n", NULL,
                    ":2:1: JSON syntax error: unexpected end of file", NULL);
  assert_load_error(f, "{\"main\": \"x\" /* unclosed", NULL,
                    ":1:25: JSON syntax error: unexpected end of file", NULL);
}

/* Regressions of the adversarial pass: a config or resources file that is
 * the JSON literal null crashed the loader; duplicate keys were silently
 * resolved to the last one; deep nesting is refused with its depth. */
static void
test_error_null_and_scalars(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f, "null", NULL, ": expected a JSON object at the top level", "got null", NULL);
  assert_load_error(f, "// nothing\nnull\n", NULL, ": expected a JSON object at the top level",
                    "got null", NULL);
  assert_load_error(f, "42", NULL, ": expected a JSON object at the top level", "got an integer",
                    NULL);
  assert_load_error(f, "\"text\"", NULL, "got a string", NULL);
  const char *contents = "{\"modules\": {\"t\": {\"type\": \"template\", \"template\": "
                         "\"x\"}}, \"main\": \"t\"}";
  for (guint i = 0; i < 3; i++) {
    const char *bodies[] = { "null", "[]", "7" };
    const char *kinds[] = { "got null", "got a list", "got an integer" };
    g_autofree char *resources = inf_test_write(f->dir, "resources.json", bodies[i]);
    g_autoptr(GError) error = NULL;
    g_assert_null(load(f, contents, resources, &error));
    g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
    g_autofree char *expected = g_strconcat(resources,
                                            ": expected a JSON object with "
                                            "\"endpoints\" at the top level, ",
                                            kinds[i], NULL);
    g_assert_cmpstr(error->message, ==, expected);
  }
}

static void
test_error_duplicate_keys(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f, "{\"main\": \"a\",\n \"modules\": {},\n \"main\": \"b\"}", NULL,
                    ":3:2: JSON syntax error: duplicate key \"main\" in one object (first at "
                    "line 1, column 2): each key may appear once",
                    NULL);
  /* nested, after a comment containing a quote and a string with an escaped quote */
  assert_load_error(f,
                    "{\"modules\": {\"t\": {\"type\": \"template\", /* \" */ \"template\": "
                    "\"a\\\"b\",\n \"template\": \"c\"}}, \"main\": \"t\"}",
                    NULL, ":2:2: JSON syntax error: duplicate key \"template\"", NULL);
  /* the same key in different objects, and a value equal to a key, are fine */
  g_autoptr(InfConfig) config =
      load_ok(f, "{\"modules\": {\"t\": {\"type\": \"template\", \"template\": \"type\"},"
                 " \"u\": {\"type\": \"template\", \"template\": \"main\"}}, \"main\": \"t\"}");
  /* in a resources file too */
  g_autofree char *resources = inf_test_write(
      f->dir, "resources.json",
      "{\"endpoints\": {\"fast\": {\"provider\": \"mock\", \"provider\": \"mock\"}}}");
  g_autoptr(GError) error = NULL;
  g_assert_null(
      load(f, "{\"main\": {\"type\": \"template\", \"template\": \"x\"}}", resources, &error));
  g_autofree char *prefix = g_strconcat(resources,
                                        ":1:45: JSON syntax error: duplicate key "
                                        "\"provider\"",
                                        NULL);
  g_assert_true(g_str_has_prefix(error->message, prefix));
}

/* A chain of @depth graph modules, m0 -> m1 -> ... -> a template. */
static char *
nested_chain(guint depth)
{
  GString *s = g_string_new("{\"main\": \"m0\", \"modules\": {");
  for (guint i = 0; i < depth; i++)
    g_string_append_printf(s,
                           "\"m%u\": {\"type\": \"graph\", \"inputs\": [\"text\"], "
                           "\"nodes\": {\"n\": {\"module\": \"m%u\", \"args\": [\"$text\"]}}, "
                           "\"outputs\": \"$n\"},\n",
                           i, i + 1);
  g_string_append_printf(s, "\"m%u\": {\"type\": \"template\", \"template\": \"{0}\"}}}", depth);
  return g_string_free(s, FALSE);
}

static void
test_error_nesting_depth(Fixture *f, gconstpointer data)
{
  (void)data;
  /* 13,000 levels overflowed the stack; the limit is 100 */
  g_autofree char *deep = nested_chain(13000);
  assert_load_error(f, deep, NULL,
                    ": modules.m99.nodes.n.module: modules nest more than 100 levels deep (m0 -> "
                    "m1 -> ... -> m100)",
                    NULL);
  g_autofree char *ok = nested_chain(99);
  g_autoptr(InfConfig) config = load_ok(f, ok);
  g_assert_cmpuint(inf_graph_n_module_nodes(inf_config_get_graph(config)), ==, 1);
  /* JSON nesting beyond json-c's limit is a syntax error that says so */
  GString *brackets = g_string_new("{\"main\": ");
  for (guint i = 0; i < 40; i++)
    g_string_append_c(brackets, '[');
  g_autofree char *text = g_string_free(brackets, FALSE);
  assert_load_error(f, text, NULL, ":1:", "JSON syntax error: nesting too deep (at most 32 levels",
                    NULL);
}

/* Regressions: validate accepted configs that cannot work. */
static void
test_error_values_that_cannot_work(Fixture *f, gconstpointer data)
{
  (void)data;
#define MOCK_WITH(extra)                                                            \
  "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"" extra "}}}," \
  " \"main\": {\"type\": \"llm\", \"alias\": \"fast\"}}"
  /* "timeout": 0 meant no timeout at all; under 1 ms too */
  assert_load_error(f, MOCK_WITH(", \"timeout\": 0"), NULL,
                    ": resources.endpoints.fast.timeout: expected a number >= 0.001, got 0", NULL);
  assert_load_error(f, MOCK_WITH(", \"timeout\": 0.0005"), NULL,
                    ": resources.endpoints.fast.timeout: expected a number >= 0.001", NULL);
  /* NaN passed every range check */
  assert_load_error(f, MOCK_WITH(", \"error_rate\": NaN"), NULL,
                    ": resources.endpoints.fast.error_rate: expected a finite number, got NaN",
                    NULL);
  assert_load_error(f,
                    "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}}},"
                    " \"main\": {\"type\": \"llm\", \"alias\": \"fast\", \"temperature\": NaN}}",
                    NULL, ": main.temperature: expected a finite number, got NaN", NULL);
  assert_load_error(f,
                    "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}}},"
                    " \"main\": {\"type\": \"llm\", \"alias\": \"fast\", \"temperature\": "
                    "-Infinity}}",
                    NULL, ": main.temperature: expected a finite number, got -Infinity", NULL);
  /* a base_url that is not a URL, or has an invalid port */
  assert_load_error(f, MOCK_WITH(", \"base_url\": \"localhost:8080/v1\""), NULL,
                    ": resources.endpoints.fast.base_url: \"localhost:8080/v1\" is not a valid "
                    "base URL",
                    NULL);
  assert_load_error(f, MOCK_WITH(", \"base_url\": \"http://127.0.0.1:70000/v1\""), NULL,
                    ": resources.endpoints.fast.base_url: \"http://127.0.0.1:70000/v1\" is not a "
                    "valid base URL: the port is not a number from 1 to 65535",
                    NULL);
  if (f->loader != NULL) {
    g_autoptr(InfConfig) ok = load_ok(f, MOCK_WITH(", \"timeout\": 0.001, \"base_url\": "
                                                   "\"https://h:8443/v1?api-version=1\""));
  }
#undef MOCK_WITH
}

static void
test_error_top_level(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f, "{\"mian\": \"x\"}", NULL,
                    ": mian: unknown top-level key; valid keys: main, modules, parameters, "
                    "plugins, resources, training",
                    NULL);
  assert_load_error(
      f, "{" RESOURCES ", \"modules\": {\"a\": {\"type\": \"llm\", \"alias\": \"fast\"}}}", NULL,
      ": missing \"main\": name the module to run (modules: a)", NULL);
  assert_load_error(f, "{\"main\": 3}", NULL, ": main: expected the name of a module", NULL);
  assert_load_error(f,
                    "{\"main\": \"nothing\", \"modules\": {\"a\": {\"type\": \"template\","
                    " \"template\": \"x\"}}}",
                    NULL, ": main: unknown module 'nothing'; modules: a", NULL);
}

static void
test_error_module_type(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f, "{\"modules\": {\"a\": {\"type\": \"lmm\"}}, \"main\": \"a\"}", NULL,
                    ": modules.a.type: unknown module type 'lmm'; known module types: ", "graph",
                    "llm", "template", NULL);
  assert_load_error(f, "{\"modules\": {\"a\": {\"alias\": \"fast\"}}, \"main\": \"a\"}", NULL,
                    ": modules.a: a module needs a \"type\"; known module types: ", "llm", NULL);
  /* inline, deep in a graph */
  assert_load_error(f,
                    "{\"modules\": {\"p\": {\"type\": \"graph\", \"nodes\": {\"n\": {\"module\":"
                    " {\"type\": \"tempalte\"}}}, \"outputs\": \"$n\"}}, \"main\": \"p\"}",
                    NULL, ": modules.p.nodes.n.module.type: unknown module type 'tempalte'",
                    "template", NULL);
}

static void
test_error_options(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f,
                    "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\","
                    " \"temprature\": 0.5}}, \"main\": \"s\"}",
                    NULL,
                    ": modules.s.temprature: unknown option for 'llm'; valid options: ", "alias",
                    "system_prompt", "temperature", NULL);
  assert_load_error(f,
                    "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\","
                    " \"temperature\": \"hot\"}}, \"main\": \"s\"}",
                    NULL, ": modules.s.temperature: expected a number", "hot", NULL);
  assert_load_error(f,
                    "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\"}}, \"main\": \"s\"}",
                    NULL, ": modules.s: missing required option 'alias'", NULL);
  assert_load_error(f,
                    "{\"modules\": {\"g\": {\"type\": \"graph\", \"nodes\": {}}}, \"main\": \"g\"}",
                    NULL, ": modules.g: missing required option 'outputs'", NULL);
  assert_load_error(f,
                    "{\"modules\": {\"t\": {\"type\": \"template\", \"template\": 5}},"
                    " \"main\": \"t\"}",
                    NULL, ": modules.t.template: expected a string", NULL);
}

static void
test_error_refs(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(
      f,
      "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"},"
      " \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\", \"lang\"], \"nodes\": {"
      "   \"summary\": {\"module\": \"s\", \"args\": [\"$text\"]},"
      "   \"analysis\": {\"module\": \"s\", \"args\": [\"$sumary\"]},"
      "   \"extra\": {\"module\": \"s\", \"args\": [\"$text\"]}},"
      " \"outputs\": \"$analysis\"}}, \"main\": \"pipeline\"}",
      NULL,
      ": modules.pipeline.nodes.analysis.args[0]: unknown reference '$sumary'; visible here: "
      "inputs: text, lang; nodes: summary, extra",
      NULL);
  assert_load_error(
      f,
      "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"},"
      " \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {"
      "   \"summary\": {\"module\": \"s\", \"args\": {\"prompt\": \"$txt\"}}},"
      " \"outputs\": {\"a\": \"$summary\", \"b\": \"$nothing.x\"}}}, \"main\": \"pipeline\"}",
      NULL, ": modules.pipeline.nodes.summary.args.prompt: unknown reference '$txt'", NULL);
  assert_load_error(
      f,
      "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"},"
      " \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {"
      "   \"summary\": {\"module\": \"s\", \"args\": [\"$text\"]}},"
      " \"outputs\": {\"a\": \"$summary\", \"b\": \"$nothing.x\"}}}, \"main\": \"pipeline\"}",
      NULL,
      ": modules.pipeline.outputs.b: unknown reference '$nothing.x'; visible here: inputs: text; "
      "nodes: summary",
      NULL);
  /* a module reference by name that does not exist */
  assert_load_error(f,
                    "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"},"
                    " \"g\": {\"type\": \"graph\", \"nodes\": {\"n\": {\"module\": \"summarise\"}},"
                    " \"outputs\": \"$n\"}}, \"main\": \"g\"}",
                    NULL, ": modules.g.nodes.n.module: unknown module 'summarise'; modules: g, s",
                    NULL);
  /* a parameter reference that does not exist */
  assert_load_error(
      f,
      "{" RESOURCES ", \"parameters\": {\"p\": \"x\", \"q\": \"y\"}, \"modules\": {\"s\":"
      " {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": {\"parameter\": \"r\"}}},"
      " \"main\": \"s\"}",
      NULL, ": modules.s.system_prompt: unknown parameter 'r'; parameters: p, q", NULL);
  /* an argument name the module does not take */
  assert_load_error(
      f,
      "{" RESOURCES ", \"main\": {\"type\": \"graph\", \"inputs\": [\"t\"], \"nodes\": {"
      " \"n\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": {\"text\": "
      "\"$t\"}}},"
      " \"outputs\": \"$n\"}}",
      NULL, ": main.nodes.n.args: module type 'llm' has no input 'text'; its inputs: prompt", NULL);
  assert_load_error(
      f,
      "{" RESOURCES ", \"main\": {\"type\": \"graph\", \"inputs\": [\"t\"], \"nodes\": {"
      " \"n\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": [\"$t\"], "
      "\"retries\": 2}}, \"outputs\": \"$n\"}}",
      NULL,
      ": main.nodes.n.retries: unknown key in a graph node; valid keys: args, module, priority",
      NULL);
}

static void
test_error_alias(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(
      f,
      "{" RESOURCES ", \"modules\": {\"summarize\": {\"type\": \"llm\","
      " \"alias\": \"fsat\"}}, \"main\": \"summarize\"}",
      NULL, ": modules.summarize.alias: unknown alias 'fsat'; known aliases: fast, smart", NULL);
  /* inline in a graph node */
  assert_load_error(
      f,
      "{" RESOURCES ", \"main\": {\"type\": \"graph\", \"inputs\": [\"t\"],"
      " \"nodes\": {\"n\": {\"module\": {\"type\": \"llm\", \"alias\": \"slow\"},"
      " \"args\": [\"$t\"]}}, \"outputs\": \"$n\"}}",
      NULL, ": main.nodes.n.module.alias: unknown alias 'slow'; known aliases: fast, smart", NULL);
  /* no resources at all */
  assert_load_error(
      f, "{\"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"}}, \"main\": \"s\"}", NULL,
      ": modules.s.alias: unknown alias 'fast'; known aliases: (none", "--resources FILE", NULL);
  /* a child created by a C composite */
  assert_load_error(
      f,
      "{" RESOURCES ", \"modules\": {\"p\": {\"type\": \"analysis-pipeline\","
      " \"smart_alias\": \"smrat\"}}, \"main\": \"p\"}",
      NULL, ": modules.p (child 'report'): unknown alias 'smrat'; known aliases: fast, smart",
      NULL);
}

static void
test_error_cycles(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f,
                    "{" RESOURCES ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"},"
                    " \"g\": {\"type\": \"graph\", \"inputs\": [\"t\"], \"nodes\": {"
                    "  \"start\": {\"module\": \"s\", \"args\": [\"$t\"]},"
                    "  \"a\": {\"module\": \"s\", \"args\": [\"$c\"]},"
                    "  \"b\": {\"module\": \"s\", \"args\": [\"$a\"]},"
                    "  \"c\": {\"module\": \"s\", \"args\": [\"$b\"]}},"
                    " \"outputs\": \"$c\"}}, \"main\": \"g\"}",
                    NULL, ": modules.g.nodes: cycle: a -> b -> c -> a", NULL);
  /* a graph containing itself through another */
  assert_load_error(
      f,
      "{\"modules\": {"
      " \"g\": {\"type\": \"graph\", \"nodes\": {\"n\": {\"module\": \"h\"}}, \"outputs\": \"$n\"},"
      " \"h\": {\"type\": \"graph\", \"nodes\": {\"m\": {\"module\": \"g\"}}, \"outputs\": "
      "\"$m\"}},"
      " \"main\": \"g\"}",
      NULL, ": modules.h.nodes.m.module: module 'g' contains itself: cycle g -> h -> g", NULL);
}

static void
test_error_blocks(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_load_error(f, "{\"parameters\": {\"p\": {\"value\": \"x\", \"requires_grad\": true}}}",
                    NULL, ": parameters.p: ", "description", NULL);
  assert_load_error(
      f, "{\"parameters\": {\"p\": {\"valeu\": \"x\"}}}", NULL,
      ": parameters.p.valeu: unknown key; valid keys: description, requires_grad, value", NULL);
  assert_load_error(f, "{\"parameters\": {\"p\": 3}}", NULL,
                    ": parameters.p: expected a string or an object", NULL);
  assert_load_error(f, "{\"plugins\": {\"path\": []}}", NULL,
                    ": plugins.path: unknown key; valid keys: allow, paths", NULL);
  assert_load_error(f, "{\"plugins\": {\"paths\": [\"no-such-dir\"]}}", NULL,
                    ": plugins.paths[0]: no such plugin file or directory 'no-such-dir'", NULL);
  assert_load_error(f, "{\"plugins\": {\"paths\": [1]}}", NULL,
                    ": plugins.paths[0]: expected a string", NULL);
  assert_load_error(
      f,
      "{\"plugins\": {\"allow\": [\"mock\", \"template\"]}, " RESOURCES ","
      " \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fast\"}}, \"main\": \"s\"}",
      NULL, ": modules.s.type: module type 'llm' comes from plugin 'llm'",
      "allowed plugins: mock, template", NULL);
  assert_load_error(f, "{\"modules\": [], \"main\": \"s\"}", NULL, ": modules: expected an object",
                    NULL);
  assert_load_error(f, "{\"modules\": {\"a.b\": {\"type\": \"llm\"}}, \"main\": \"s\"}", NULL,
                    ": modules.a.b: invalid module name 'a.b'", NULL);
  /* the resources block is checked by the resources layer, with the file */
  assert_load_error(f,
                    "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"nope\"}}},"
                    " \"main\": {\"type\": \"template\", \"template\": \"x\"}}",
                    NULL, ": resources.endpoints.fast", "nope", NULL);
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "diamond", test_diamond },
  { "linear-and-fields", test_linear_and_fields },
  { "fan-out-fan-in", test_fan_out_fan_in },
  { "nested-graphs", test_nested_graphs },
  { "parameters", test_parameters },
  { "resources-file", test_resources_file },
  { "plugins-block", test_plugins_block },
  { "error/syntax", test_error_syntax },
  { "error/top-level", test_error_top_level },
  { "error/null-and-scalars", test_error_null_and_scalars },
  { "error/duplicate-keys", test_error_duplicate_keys },
  { "error/nesting-depth", test_error_nesting_depth },
  { "error/values-that-cannot-work", test_error_values_that_cannot_work },
  { "error/module-type", test_error_module_type },
  { "error/options", test_error_options },
  { "error/refs", test_error_refs },
  { "error/alias", test_error_alias },
  { "error/cycles", test_error_cycles },
  { "error/blocks", test_error_blocks },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/config/", Fixture, fixture_setup, cases, fixture_teardown);
  return g_test_run();
}
