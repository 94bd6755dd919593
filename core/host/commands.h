/* The inf-engine command line: one function per command, each in its own
 * file (cmd-NAME.c), listed in the table of cli.c. Each parses its own
 * options with GOption (so `inf-engine COMMAND --help` works) and returns the
 * process exit status. */
#pragma once

#include <inf/inf.h>

#include "config/config.h"
#include "plugin/loader.h"

G_BEGIN_DECLS

int inf_command_plugins(int argc, char **argv);
int inf_command_inspect(int argc, char **argv);
int inf_command_validate(int argc, char **argv);
int inf_command_graph(int argc, char **argv);
int inf_command_run(int argc, char **argv);
int inf_command_estimate(int argc, char **argv);
int inf_command_eval(int argc, char **argv);
int inf_command_train(int argc, char **argv);

/* Exit statuses of every command. A config that cannot be used (syntax, an
 * unknown class, a bad option, a missing key, a file it names) is
 * INF_EXIT_CONFIG from every command that loads one (validate, graph,
 * estimate, run): nothing was run. */
#define INF_EXIT_OK 0
#define INF_EXIT_FAILURE 1       /* the command failed (an input, writing a file, ...) */
#define INF_EXIT_USAGE 2         /* bad command line */
#define INF_EXIT_CONFIG 2        /* the config cannot be used; nothing was run */
#define INF_EXIT_BUDGET 3        /* a spend limit stopped the run */
#define INF_EXIT_INTERRUPTED 130 /* SIGINT/SIGTERM stopped the run */

/* The --resources option of validate, graph and estimate; @path is the
 * address of a char * (free it with g_free). */
#define INF_HOST_RESOURCES_OPTION(path)                                                            \
  {                                                                                                \
    .long_name = "resources", .short_name = 'r', .arg = G_OPTION_ARG_FILENAME, .arg_data = (path), \
    .description =                                                                                 \
        "Use the resources (endpoints) in FILE instead of the config's resources block",           \
    .arg_description = "FILE"                                                                      \
  }

/* The --plugin-dir option every command that loads classes accepts; @dirs is
 * the address of a char ** (free it with g_strfreev). */
#define INF_HOST_PLUGIN_DIR_OPTION(dirs)                                           \
  {                                                                                \
    "plugin-dir", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, (dirs),                     \
        "Load plugins from DIR before the default search path (repeatable)", "DIR" \
  }

/* Parses the arguments of `inf-engine COMMAND` with GOption: @argv holds the
 * command name, then its arguments; @entries (may be NULL) are the command's
 * options, --help is added. On success returns TRUE and sets *rest to the
 * positional arguments (NULL-terminated, without the command name; free with
 * g_strfreev). Otherwise returns FALSE and sets *exit_status: INF_EXIT_OK
 * after printing the help, INF_EXIT_USAGE after printing a usage error. */
gboolean inf_command_parse_args(const char *command, const char *parameter_string,
                                const char *summary, const GOptionEntry *entries, int argc,
                                char **argv, char ***rest, int *exit_status);

/* The one CONFIG argument of @command among the positional arguments @rest
 * (from inf_command_parse_args()), or NULL after printing a usage error. */
const char *inf_command_one_config(const char *command, char **rest);

/* What every command that needs classes sets up: a registry with the
 * built-in classes, and the plugins found on the search path (DESIGN §2:
 * --plugin-dir dirs, INF_PLUGIN_PATH, the build tree when run from it, the
 * install dir). Refused plugins are recorded in the loader, never fatal. */
typedef struct {
  InfRegistry *registry;
  InfPluginLoader *loader;
  char **search_path; /* the directories searched, in order */
} InfHostContext;

/* A --plugin-dir that is not a directory is an error (INF_ERROR_IO); other
 * search path entries that do not exist are skipped. */
InfHostContext *inf_host_context_new(const char *const *plugin_dirs, GError **error);
void inf_host_context_free(InfHostContext *context);
/* inf_host_context_new() for `inf-engine @command`: NULL after printing the
 * error. */
InfHostContext *inf_host_context_open(const char *command, const char *const *plugin_dirs);

/* What validate, graph and run share: sets up the host context (returned in
 * @out_context) and loads @config_path (with @resources_path replacing its
 * resources when given). On failure prints the error (and, when plugins were
 * refused, a hint to run `inf-engine plugins`) and returns NULL; @command
 * names the command in messages. */
InfConfig *inf_host_load_config(const char *command, const char *const *plugin_dirs,
                                const char *config_path, const char *resources_path,
                                InfHostContext **out_context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfHostContext, inf_host_context_free)

/* What validate, graph and estimate share: --resources and --plugin-dir,
 * the one CONFIG of the command line, and what loading it sets up. */
typedef struct {
  char **plugin_dirs;
  char *resources_path;
  char *config_path;
  InfHostContext *context;
  InfConfig *config;
} InfHostConfigCommand;

void inf_host_config_command_clear(InfHostConfigCommand *command);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(InfHostConfigCommand, inf_host_config_command_clear)

/* inf_command_parse_args() for `inf-engine @name` with @entries (may be
 * NULL) followed by --resources and --plugin-dir, then the one CONFIG as
 * inf_command_one_config() wants it; FALSE with *@exit_status set as they
 * do. */
gboolean inf_host_config_command_parse(InfHostConfigCommand *command, const char *name,
                                       const char *parameter_string, const char *summary,
                                       const GOptionEntry *entries, int argc, char **argv,
                                       int *exit_status);
/* Loads the CONFIG as inf_host_load_config() does; FALSE after printing
 * why (a config error, INF_EXIT_CONFIG). */
gboolean inf_host_config_command_load(InfHostConfigCommand *command, const char *name);

/* Writes @text (@length bytes, or NUL-terminated when negative) to @path as
 * a whole: a new or regular file is replaced atomically and keeps its mode; a
 * symlink (followed), a hard-linked file, a device or a FIFO is written in
 * place. FALSE with INF_ERROR_IO naming @path on any error. */
gboolean inf_host_write_file(const char *path, const char *text, gssize length, GError **error);

G_END_DECLS
