/* The inf-engine command line: global options (--version, --help), the
 * command table, and the option parsing every command shares. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/commands.h"

typedef struct {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
} InfCommand;

static int command_help(int argc, char **argv);

static const InfCommand commands[] = {
  { "plugins", "List the plugins found, the classes they provide and the files refused",
    inf_command_plugins },
  { "inspect", "Show a class: kind, description, options and inputs", inf_command_inspect },
  { "validate", "Check a pipeline config without running it", inf_command_validate },
  { "graph", "Print a pipeline's graph (DOT, Mermaid or JSON)", inf_command_graph },
  { "run", "Run a pipeline over JSONL inputs", inf_command_run },
  { "estimate", "Print the calls, tokens and cost a run will need, calling nothing",
    inf_command_estimate },
  { "eval", "Score a pipeline on a labelled dataset with the config's loss", inf_command_eval },
  { "train", "Train a pipeline's learnable parameters on labelled data", inf_command_train },
  { "help", "Show the help of inf-engine or of a command", command_help },
};

static const InfCommand *
find_command(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  }
  return NULL;
}

static char *
command_list(void)
{
  GString *text = g_string_new("Commands:\n");
  gsize width = 0;

  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    width = MAX(width, strlen(commands[i].name));
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    g_string_append_printf(text, "  %-*s  %s\n", (int)width, commands[i].name, commands[i].summary);
  g_string_append(text, "\nRun 'inf-engine COMMAND --help' for the options of a command.");
  return g_string_free(text, FALSE);
}

static char *
command_names(void)
{
  GString *text = g_string_new(NULL);

  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    g_string_append_printf(text, "%s%s", i == 0 ? "" : ", ", commands[i].name);
  return g_string_free(text, FALSE);
}

/* Runs @func with the program name shown in GOption's messages set to
 * @prgname, then restores it. */
static void
with_prgname(const char *prgname, void (*func)(gpointer), gpointer data)
{
  g_autofree char *saved = g_strdup(g_get_prgname());

  g_set_prgname(prgname);
  func(data);
  g_set_prgname(saved);
}

typedef struct {
  GOptionContext *context;
  GStrv *args;
  GError **error;
  gboolean ok;
  char *help;
} ParseJob;

static void
parse_job(gpointer data)
{
  ParseJob *job = data;

  job->ok = g_option_context_parse_strv(job->context, job->args, job->error);
}

static void
help_job(gpointer data)
{
  ParseJob *job = data;

  job->help = g_option_context_get_help(job->context, TRUE, NULL);
}

gboolean
inf_command_parse_args(const char *command, const char *parameter_string, const char *summary,
                       const GOptionEntry *entries, int argc, char **argv, char ***rest,
                       int *exit_status)
{
  g_autofree char *prgname = g_strdup_printf("inf-engine %s", command);
  g_autoptr(GOptionContext) context = g_option_context_new(parameter_string);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = g_new0(char *, argc + 2);
  gboolean help = FALSE;
  const GOptionEntry help_entries[] = {
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
    G_OPTION_ENTRY_NULL,
  };
  ParseJob job = { .context = context, .args = &args, .error = &error };
  int n = 0;

  *rest = NULL;
  args[n++] = g_strdup(prgname);
  for (int i = 1; i < argc; i++)
    args[n++] = g_strdup(argv[i]);

  g_option_context_set_summary(context, summary);
  g_option_context_set_help_enabled(context, FALSE);
  if (entries != NULL)
    g_option_context_add_main_entries(context, entries, NULL);
  g_option_context_add_main_entries(context, help_entries, NULL);

  with_prgname(prgname, parse_job, &job);
  if (!job.ok) {
    g_printerr("%s: %s\nRun '%s --help' for usage.\n", prgname, error->message, prgname);
    *exit_status = INF_EXIT_USAGE;
    return FALSE;
  }
  if (help) {
    with_prgname(prgname, help_job, &job);
    g_print("%s", job.help);
    g_free(job.help);
    *exit_status = INF_EXIT_OK;
    return FALSE;
  }
  /* Drop the program name; what is left are the positional arguments. */
  *rest = g_strdupv(args + 1);
  return TRUE;
}

const char *
inf_command_one_config(const char *command, char **rest)
{
  if (rest[0] == NULL || rest[1] != NULL) {
    g_printerr("inf-engine %s: expected exactly one CONFIG file\n"
               "Run 'inf-engine %s --help' for usage.\n",
               command, command);
    return NULL;
  }
  return rest[0];
}

static char *
main_help(GOptionContext *context)
{
  ParseJob job = { .context = context };

  with_prgname("inf-engine", help_job, &job);
  return job.help;
}

static GOptionContext *
main_context(gboolean *version, gboolean *help)
{
  g_autofree char *description = command_list();
  GOptionContext *context = g_option_context_new("COMMAND [ARGUMENT…]");
  const GOptionEntry entries[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, version, "Show the version and the plugin ABI", NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, help, "Show this help", NULL },
    G_OPTION_ENTRY_NULL,
  };

  g_option_context_set_summary(context,
                               "Runs LLM inference pipelines: graphs of modules (LLM calls, "
                               "templates, your own code)\nloaded from plugins, wired by a JSON "
                               "config, scheduled on one event loop.");
  g_option_context_set_description(context, description);
  g_option_context_set_help_enabled(context, FALSE);
  g_option_context_set_strict_posix(context, TRUE);
  g_option_context_add_main_entries(context, entries, NULL);
  return context;
}

static int
command_help(int argc, char **argv)
{
  g_auto(GStrv) rest = NULL;
  int status;

  if (!inf_command_parse_args("help", "[COMMAND]", "Shows the help of inf-engine or of COMMAND.",
                              NULL, argc, argv, &rest, &status))
    return status;
  if (rest[0] == NULL) {
    gboolean version = FALSE, help = FALSE;
    g_autoptr(GOptionContext) context = main_context(&version, &help);
    g_autofree char *text = main_help(context);

    g_print("%s", text);
    return INF_EXIT_OK;
  } else {
    const InfCommand *command = find_command(rest[0]);
    char *help_argv[] = { (char *)rest[0], (char *)"--help", NULL };

    if (command == NULL) {
      g_autofree char *names = command_names();

      g_printerr("inf-engine: unknown command '%s'; commands: %s\n", rest[0], names);
      return INF_EXIT_USAGE;
    }
    return command->run(2, help_argv);
  }
}

/* Opens /dev/null on any of the standard descriptors 0, 1, 2 that is closed
 * (`inf-engine run <&-`), so that no file, socket or eventfd opened later
 * takes its number and is read as input or written as output. */
static void
guard_standard_fds(void)
{
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
      continue;
    int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
  }
}

int
inf_engine_main(int argc, char **argv)
{
  gboolean version = FALSE, help = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  const InfCommand *command;
  ParseJob job;

  guard_standard_fds();
  /* Character set only: numbers are always written with a '.'. */
  setlocale(LC_CTYPE, "");
  if (g_get_prgname() == NULL)
    g_set_prgname("inf-engine");

  context = main_context(&version, &help);
  args = g_new0(char *, MAX(argc, 1) + 1);
  args[0] = g_strdup("inf-engine");
  for (int i = 1; i < argc; i++)
    args[i] = g_strdup(argv[i]);

  job = (ParseJob){ .context = context, .args = &args, .error = &error };
  with_prgname("inf-engine", parse_job, &job);
  if (!job.ok) {
    g_printerr("inf-engine: %s\nRun 'inf-engine --help' for usage.\n", error->message);
    return INF_EXIT_USAGE;
  }
  if (version) {
    g_print("inf-engine %s (ABI %d.%d)\n", INF_VERSION_STRING, INF_ABI_MAJOR, INF_ABI_MINOR);
    return INF_EXIT_OK;
  }
  if (help) {
    g_autofree char *text = main_help(context);

    g_print("%s", text);
    return INF_EXIT_OK;
  }
  if (args[1] == NULL) {
    g_autofree char *text = main_help(context);

    g_printerr("%s", text);
    return INF_EXIT_USAGE;
  }

  command = find_command(args[1]);
  if (command == NULL) {
    g_autofree char *names = command_names();

    if (args[1][0] == '-')
      g_printerr("inf-engine: unknown option %s\n", args[1]);
    else
      g_printerr("inf-engine: unknown command '%s'\n", args[1]);
    g_printerr("Commands: %s\nRun 'inf-engine --help' for usage.\n", names);
    return INF_EXIT_USAGE;
  }
  {
    /* Commands may reorder or drop entries of their argv (GOption does):
     * hand them a shallow copy and free the strings from @args. */
    int n = (int)g_strv_length(args) - 1;
    g_autofree char **command_argv = g_memdup2(args + 1, sizeof(char *) * (n + 1));

    return command->run(n, command_argv);
  }
}
