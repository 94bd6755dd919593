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

/* A graph_config() and what loading it gives: @error NULL when it is
 * valid, else the message with the file path as "FILE". */
typedef struct {
  const char *modules;
  const char *module;
  const char *args;
  const char *error;
} GraphCase;

static void
assert_cases(Fixture *f, const GraphCase *cases, gsize n_cases)
{
  for (gsize i = 0; i < n_cases; i++) {
    g_autofree char *contents = graph_config(cases[i].modules, cases[i].module, cases[i].args);
    g_autofree char *message = load_error(f, contents);
    g_assert_cmpstr(message, ==, cases[i].error);
  }
}

#define GREET                            \
  "\"greet\": {\"type\": \"template\", " \
  "\"template\": \"Hi {name}, about {topic.title}\"}"

static const GraphCase template_cases[] = {
  /* Every placeholder supplied (fields are checked when values exist). */
  { GREET, "\"greet\"", "{\"name\": \"$text\", \"topic\": \"$first\"}", NULL },
  /* A named placeholder without its argument. */
  { GREET, "\"greet\"", "{\"name\": \"$text\", \"topics\": \"$first\"}",
    "FILE: modules.p.nodes.g.args: template placeholder {topic.title} has no argument "
    "named 'topic' (available: name, topics; positional: {0} to {1})" },
  /* Positional arguments have no names. */
  { GREET, "\"greet\"", "[\"$text\", \"$first\"]",
    "FILE: modules.p.nodes.g.args: template placeholder {name} has no argument named "
    "'name' (available: no named arguments; positional: {0} to {1})" },
  /* {N} needs N+1 arguments; an inline template is checked the same way. */
  { "", "{\"type\": \"template\", \"template\": \"{0} {2}\"}", "[\"$text\", \"$first\"]",
    "FILE: modules.p.nodes.g.args: template placeholder {2} has no argument 2 "
    "(available: no named arguments; positional: {0} to {1})" },
  { "", "{\"type\": \"template\", \"template\": \"{0}\"}", "[]",
    "FILE: modules.p.nodes.g.args: template placeholder {0} has no argument 0 (the "
    "node has no arguments)" },
  { "", "{\"type\": \"template\", \"template\": \"{{x}} {1}\"}", "[\"$text\", \"$first\"]", NULL },
};

static void
test_template_placeholders(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_cases(f, template_cases, G_N_ELEMENTS(template_cases));
}

static const GraphCase alias_cases[] = {
  { "", "{\"type\": \"probe\", \"judge\": \"smart\"}", "[]", NULL },
  { "", "{\"type\": \"probe\", \"judge\": \"judge\"}", "[]",
    "FILE: modules.p.nodes.g.module.judge: unknown alias 'judge'; known aliases: fast, "
    "smart" },
  { "\"probe1\": {\"type\": \"probe\", \"judge\": \"\"}", "\"probe1\"", "[]",
    "FILE: modules.probe1.judge: unknown alias ''; known aliases: fast, smart" },
  { "", "{\"type\": \"probe\", \"judge\": 3}", "[]",
    "FILE: modules.p.nodes.g.module.judge: expected an alias name (a key of "
    "resources.endpoints), got integer 3" },
  /* The llm module's alias is an ALIAS option. */
  { "\"ask\": {\"type\": \"llm\", \"alias\": \"fats\"}", "\"ask\"", "[\"$text\"]",
    "FILE: modules.ask.alias: unknown alias 'fats'; known aliases: fast, smart" },
};

static void
test_alias_options(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_cases(f, alias_cases, G_N_ELEMENTS(alias_cases));
}

static const GraphCase node_cases[] = {
  { "", "{\"type\": \"probe\", \"watch\": \"$first.label\"}", "[]", NULL },
  { "", "{\"type\": \"probe\", \"watch\": \"$text\"}", "[]", NULL },
  { "", "{\"type\": \"probe\", \"watch\": \"$frist\"}", "[]",
    "FILE: modules.p.nodes.g.module.watch: unknown reference '$frist'; visible here: "
    "inputs: text; nodes: first" },
  /* A named module: the graph using it, then the option. */
  { "\"w\": {\"type\": \"probe\", \"watch\": \"$nope\"}", "\"w\"", "[]",
    "FILE: modules.p: modules.w.watch: unknown reference '$nope'; visible here: "
    "inputs: text; "
    "nodes: first" },
  { "", "{\"type\": \"probe\", \"watch\": \"first\"}", "[]",
    "FILE: modules.p.nodes.g.module.watch: expected a reference \"$name\" or "
    "\"$name.field\" to an input or node of the graph, got string \"first\"" },
};

static void
test_node_options(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_cases(f, node_cases, G_N_ELEMENTS(node_cases));
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
