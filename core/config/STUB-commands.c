/* STUB (by host, so the library links): the config layer replaces this file
 * with cmd-validate.c and cmd-graph.c. */
#include "host/commands.h"

static int
not_yet(const char *command)
{
  g_printerr("inf-engine %s: not implemented yet\n", command);
  return INF_EXIT_FAILURE;
}

int
inf_command_validate(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  return not_yet("validate");
}

int
inf_command_graph(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  return not_yet("graph");
}
