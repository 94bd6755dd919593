/* `inf-engine graph CONFIG`: prints the traced graph of a pipeline as
 * Graphviz DOT, a Mermaid flowchart or JSON. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "graph/graph-export.h"
#include "host/commands.h"

#include <errno.h>

int
inf_command_graph(int argc, char **argv)
{
  g_auto(InfHostConfigCommand) command = { 0 };
  g_autofree char *format = NULL;
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  const GOptionEntry entries[] = {
    { .long_name = "format",
      .short_name = 'f',
      .arg = G_OPTION_ARG_STRING,
      .arg_data = &format,
      .description = "Output format: dot (default), mermaid or json",
      .arg_description = "FORMAT" },
    { .long_name = "output",
      .short_name = 'o',
      .arg = G_OPTION_ARG_FILENAME,
      .arg_data = &output,
      .description = "Write to FILE instead of standard output",
      .arg_description = "FILE" },
    G_OPTION_ENTRY_NULL,
  };

  if (!inf_host_config_command_parse(&command, "graph", "CONFIG",
                                     "Loads a pipeline config, traces it and prints its graph: "
                                     "nodes (id, module type,\nalias, priority), edges from "
                                     "arguments, inputs and outputs.\nRender DOT with 'dot "
                                     "-Tsvg', paste Mermaid into a Markdown file; JSON is for "
                                     "tools.",
                                     entries, argc, argv, &status))
    return status;
  if (format != NULL && !g_str_equal(format, "dot") && !g_str_equal(format, "mermaid") &&
      !g_str_equal(format, "json")) {
    g_printerr("inf-engine graph: unknown format '%s'; formats: dot, mermaid, json\n", format);
    return INF_EXIT_USAGE;
  }

  if (!inf_host_config_command_load(&command, "graph"))
    return INF_EXIT_CONFIG;

  g_autofree char *base = g_path_get_basename(command.config_path);
  char *dot = strrchr(base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  g_autofree char *text =
      inf_graph_export(inf_config_get_graph(command.config), format, base, &error);
  if (text == NULL) {
    g_printerr("inf-engine graph: %s\n", error->message);
    return INF_EXIT_FAILURE;
  }
  if (output != NULL) {
    if (!inf_host_write_file(output, text, -1, &error)) {
      g_printerr("inf-engine graph: %s\n", error->message);
      return INF_EXIT_FAILURE;
    }
  } else if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
    g_printerr("inf-engine graph: cannot write to standard output: %s\n", g_strerror(errno));
    return INF_EXIT_FAILURE;
  }
  return INF_EXIT_OK;
}
