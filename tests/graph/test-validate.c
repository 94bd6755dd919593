/* What validation finds before anything runs: template placeholders that no
 * argument supplies, and options naming an unknown alias (ALIAS options) or
 * an unknown node (NODE options), each with the file and the JSON path. */
#include <string.h>

#include "config/config.h"
#include "graph-fixtures.h"

#define RESOURCES                                                       \
  "\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}," \
  " \"smart\": {\"provider\": \"mock\"}}}"

typedef InfTestConfigFixture Fixture;

/* A class with an ALIAS and a NODE option, as a loss or a router would have. */
static const InfOptionSpec probe_options[] = {
  { .name = "judge", .type = INF_OPTION_ALIAS, .description = "an alias" },
  { .name = "watch", .type = INF_OPTION_NODE, .description = "a node" },
  { NULL },
};

static void
probe_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, NULL);
}

static const InfModuleClass probe_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "probe",
  .description = "test class with alias and node options",
  .options = probe_options,
  .execute = probe_execute,
};

static void
setup(Fixture *f, gconstpointer data)
{
  inf_test_config_fixture_set_up(f, data);
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_registry_add_module_class(f->registry, &probe_class, &error));
}

/* Loads @contents; NULL when valid, else the message with the file path
 * replaced by "FILE". */
static char *
load_error(Fixture *f, const char *contents)
{
  g_autofree char *path = inf_test_write(f->dir, "pipeline.json", contents);
  g_autoptr(GError) error = NULL;
  g_autoptr(InfConfig) config = inf_config_load(path, NULL, f->registry, f->loader, &error);
  if (config) {
    g_assert_no_error(error);
    return NULL;
  }
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_true(g_str_has_prefix(error->message, path));
  return g_strconcat("FILE", error->message + strlen(path), NULL);
}

/* A graph with input "text" and node "g" = @module with @args (JSON). */
static char *
graph_config(const char *modules, const char *module, const char *args)
{
  return g_strdup_printf("{" RESOURCES ", \"modules\": {%s%s\"p\": {\"type\": \"graph\", "
                         "\"inputs\": [\"text\"], \"nodes\": {\"first\": {\"module\": {\"type\": "
                         "\"template\", \"template\": \"{0}\"}, \"args\": [\"$text\"]}, "
                         "\"g\": {\"module\": %s, \"args\": %s}}, \"outputs\": \"$g\"}}, "
                         "\"main\": \"p\"}",
                         modules, modules[0] ? ", " : "", module, args);
}

static void
assert_error(Fixture *f, const char *contents, const char *expected)
{
  g_autofree char *message = load_error(f, contents);
  g_assert_cmpstr(message, ==, expected);
}

static void
assert_valid(Fixture *f, const char *contents)
{
  g_autofree char *message = load_error(f, contents);
  g_assert_cmpstr(message, ==, NULL);
}

static void
test_template_placeholders(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *greet = "\"greet\": {\"type\": \"template\", "
                      "\"template\": \"Hi {name}, about {topic.title}\"}";
  /* Every placeholder supplied (fields are checked when values exist). */
  g_autofree char *ok =
      graph_config(greet, "\"greet\"", "{\"name\": \"$text\", \"topic\": \"$first\"}");
  assert_valid(f, ok);
  /* A named placeholder without its argument. */
  g_autofree char *missing =
      graph_config(greet, "\"greet\"", "{\"name\": \"$text\", \"topics\": \"$first\"}");
  assert_error(f, missing,
               "FILE: modules.p.nodes.g.args: template placeholder {topic.title} has no argument "
               "named 'topic' (available: name, topics; positional: {0} to {1})");
  /* Positional arguments have no names. */
  g_autofree char *positional = graph_config(greet, "\"greet\"", "[\"$text\", \"$first\"]");
  assert_error(f, positional,
               "FILE: modules.p.nodes.g.args: template placeholder {name} has no argument named "
               "'name' (available: no named arguments; positional: {0} to {1})");
  /* {N} needs N+1 arguments; an inline template is checked the same way. */
  g_autofree char *index = graph_config("", "{\"type\": \"template\", \"template\": \"{0} {2}\"}",
                                        "[\"$text\", \"$first\"]");
  assert_error(f, index,
               "FILE: modules.p.nodes.g.args: template placeholder {2} has no argument 2 "
               "(available: no named arguments; positional: {0} to {1})");
  g_autofree char *none = graph_config("", "{\"type\": \"template\", \"template\": \"{0}\"}", "[]");
  assert_error(f, none,
               "FILE: modules.p.nodes.g.args: template placeholder {0} has no argument 0 (the "
               "node has no arguments)");
  g_autofree char *braces = graph_config(
      "", "{\"type\": \"template\", \"template\": \"{{x}} {1}\"}", "[\"$text\", \"$first\"]");
  assert_valid(f, braces);
}

static void
test_alias_options(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *ok = graph_config("", "{\"type\": \"probe\", \"judge\": \"smart\"}", "[]");
  assert_valid(f, ok);
  g_autofree char *inline_bad =
      graph_config("", "{\"type\": \"probe\", \"judge\": \"judge\"}", "[]");
  assert_error(f, inline_bad,
               "FILE: modules.p.nodes.g.module.judge: unknown alias 'judge'; known aliases: fast, "
               "smart");
  g_autofree char *named_bad =
      graph_config("\"probe1\": {\"type\": \"probe\", \"judge\": \"\"}", "\"probe1\"", "[]");
  assert_error(f, named_bad,
               "FILE: modules.probe1.judge: unknown alias ''; known aliases: fast, smart");
  g_autofree char *typed = graph_config("", "{\"type\": \"probe\", \"judge\": 3}", "[]");
  assert_error(f, typed,
               "FILE: modules.p.nodes.g.module.judge: expected an alias name (a key of "
               "resources.endpoints), got integer 3");
  /* The llm module's alias is an ALIAS option. */
  g_autofree char *llm =
      graph_config("\"ask\": {\"type\": \"llm\", \"alias\": \"fats\"}", "\"ask\"", "[\"$text\"]");
  assert_error(f, llm, "FILE: modules.ask.alias: unknown alias 'fats'; known aliases: fast, smart");
}

static void
test_node_options(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *ok =
      graph_config("", "{\"type\": \"probe\", \"watch\": \"$first.label\"}", "[]");
  assert_valid(f, ok);
  g_autofree char *input = graph_config("", "{\"type\": \"probe\", \"watch\": \"$text\"}", "[]");
  assert_valid(f, input);
  g_autofree char *unknown = graph_config("", "{\"type\": \"probe\", \"watch\": \"$frist\"}", "[]");
  assert_error(f, unknown,
               "FILE: modules.p.nodes.g.module.watch: unknown reference '$frist'; visible here: "
               "inputs: text; nodes: first");
  /* A named module: the graph using it, then the option. */
  g_autofree char *named =
      graph_config("\"w\": {\"type\": \"probe\", \"watch\": \"$nope\"}", "\"w\"", "[]");
  assert_error(f, named,
               "FILE: modules.p: modules.w.watch: unknown reference '$nope'; visible here: "
               "inputs: text; "
               "nodes: first");
  g_autofree char *plain = graph_config("", "{\"type\": \"probe\", \"watch\": \"first\"}", "[]");
  assert_error(f, plain,
               "FILE: modules.p.nodes.g.module.watch: expected a reference \"$name\" or "
               "\"$name.field\" to an input or node of the graph, got string \"first\"");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/validate/template-placeholders", Fixture, NULL, setup, test_template_placeholders,
             inf_test_config_fixture_tear_down);
  g_test_add("/validate/alias-options", Fixture, NULL, setup, test_alias_options,
             inf_test_config_fixture_tear_down);
  g_test_add("/validate/node-options", Fixture, NULL, setup, test_node_options,
             inf_test_config_fixture_tear_down);
  return g_test_run();
}
