/* `inf-engine validate CONFIG`: loads everything a run would (plugins,
 * resources, parameters, modules, main, every $ref and alias) and traces the
 * pipeline, without running anything. */
#include "config/config.h"
#include "host/commands.h"

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
    INF_HOST_RESOURCES_OPTION(&resources),
    INF_HOST_PLUGIN_DIR_OPTION(&plugin_dirs),
    G_OPTION_ENTRY_NULL,
  };

  if (!inf_command_parse_args("validate", "CONFIG",
                              "Checks a pipeline config completely without running it: JSON "
                              "syntax, plugins,\nresources, parameters, modules, main, every "
                              "$reference and alias, and the traced graph.\nPrints a summary, or "
                              "the first error (file, JSON path, valid choices); exit status 2\n"
                              "when the config is not valid.",
                              entries, argc, argv, &rest, &status))
    return status;
  if (inf_command_one_config("validate", rest) == NULL)
    return INF_EXIT_USAGE;

  config = inf_host_load_config("validate", (const char *const *)plugin_dirs, rest[0], resources,
                                &context);
  if (config == NULL)
    return INF_EXIT_CONFIG;

  InfGraph *graph = inf_config_get_graph(config);
  GString *inputs = g_string_new(NULL);
  for (guint i = 0; i < graph->n_inputs; i++)
    g_string_append_printf(inputs, "%s%s", i ? ", " : "", inf_graph_input_name(graph, i));
  g_autofree char *aliases =
      graph->aliases[0] ? g_strjoinv(", ", graph->aliases) : g_strdup("none");
  guint n_nodes = inf_graph_n_module_nodes(graph);
  g_print("%s: valid (%u node%s, inputs: %s, aliases: %s)\n", rest[0], n_nodes,
          n_nodes == 1 ? "" : "s", inputs->len ? inputs->str : "none", aliases);
  g_string_free(inputs, TRUE);
  return INF_EXIT_OK;
}
