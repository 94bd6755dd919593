/* `inf-engine validate CONFIG`: loads everything a run would (plugins,
 * resources, parameters, modules, main, every $ref and alias) and traces the
 * pipeline, without running anything. */
#include "config/config.h"
#include "host/commands.h"

/* A hint when plugins were refused: a missing class may be theirs. */
static void
print_refusals_hint(InfPluginLoader *loader)
{
  guint n = loader ? inf_plugin_loader_get_refused(loader)->len : 0;

  if (n > 0)
    g_printerr("note: %u plugin file%s refused; run 'inf-engine plugins' to see why\n", n,
               n == 1 ? " was" : "s were");
}

int
inf_command_validate(int argc, char **argv)
{
  g_auto(GStrv) plugin_dirs = NULL;
  g_autofree char *resources = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(InfHostContext) context = NULL;
  g_autoptr(InfConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "resources", 'r', 0, G_OPTION_ARG_FILENAME, &resources,
      "Use the resources (endpoints) in FILE instead of the config's resources block", "FILE" },
    INF_HOST_PLUGIN_DIR_OPTION(&plugin_dirs),
    G_OPTION_ENTRY_NULL,
  };

  if (!inf_command_parse_args("validate", "CONFIG",
                              "Checks a pipeline config completely without running it: JSON "
                              "syntax, plugins,\nresources, parameters, modules, main, every "
                              "$reference and alias, and the traced graph.\nPrints a summary, or "
                              "the first error (file, JSON path, valid choices); exit status 1\n"
                              "when the config is not valid.",
                              entries, argc, argv, &rest, &status))
    return status;
  if (rest[0] == NULL || rest[1] != NULL) {
    g_printerr("inf-engine validate: expected exactly one CONFIG file\n"
               "Run 'inf-engine validate --help' for usage.\n");
    return INF_EXIT_USAGE;
  }

  context = inf_host_context_new((const char *const *)plugin_dirs, &error);
  if (context == NULL) {
    g_printerr("inf-engine validate: %s\n", error->message);
    return INF_EXIT_FAILURE;
  }
  config = inf_config_load(rest[0], resources, context->registry, context->loader, &error);
  if (config == NULL) {
    g_printerr("%s\n", error->message);
    print_refusals_hint(context->loader);
    return INF_EXIT_FAILURE;
  }

  InfGraph *graph = inf_config_get_graph(config);
  GString *inputs = g_string_new(NULL);
  for (guint i = 0; i < graph->n_inputs; i++)
    g_string_append_printf(inputs, "%s%s", i ? ", " : "", inf_graph_input_name(graph, i));
  g_autofree char *aliases = graph->aliases[0] ? g_strjoinv(", ", graph->aliases)
                                               : g_strdup("none");
  guint n_nodes = inf_graph_n_module_nodes(graph);
  g_print("%s: valid (%u node%s, inputs: %s, aliases: %s)\n", rest[0], n_nodes,
          n_nodes == 1 ? "" : "s", inputs->len ? inputs->str : "none", aliases);
  g_string_free(inputs, TRUE);
  return INF_EXIT_OK;
}
