/* `inf-engine validate CONFIG`: loads everything a run would (plugins,
 * resources, parameters, modules, main, every $ref and alias) and traces the
 * pipeline, without running anything. */
#include "config/config.h"
#include "host/commands.h"

int
inf_command_validate(int argc, char **argv)
{
  g_auto(InfHostConfigCommand) command = { 0 };
  int status;

  if (!inf_host_config_command_parse(&command, "validate", "CONFIG",
                                     "Checks a pipeline config completely without running it: "
                                     "JSON syntax, plugins,\nresources, parameters, modules, main, "
                                     "every $reference and alias, and the traced graph.\nPrints a "
                                     "summary, or the first error (file, JSON path, valid "
                                     "choices); exit status 2\nwhen the config is not valid.",
                                     NULL, argc, argv, &status))
    return status;
  if (!inf_host_config_command_load(&command, "validate"))
    return INF_EXIT_CONFIG;

  InfGraph *graph = inf_config_get_graph(command.config);
  GString *inputs = g_string_new(NULL);
  for (guint i = 0; i < graph->n_inputs; i++)
    g_string_append_printf(inputs, "%s%s", i ? ", " : "", inf_graph_input_name(graph, i));
  g_autofree char *aliases =
      graph->aliases[0] ? g_strjoinv(", ", graph->aliases) : g_strdup("none");
  guint n_nodes = inf_graph_n_module_nodes(graph);
  g_print("%s: valid (%u node%s, inputs: %s, aliases: %s)\n", command.config_path, n_nodes,
          n_nodes == 1 ? "" : "s", inputs->len ? inputs->str : "none", aliases);
  g_string_free(inputs, TRUE);
  return INF_EXIT_OK;
}
