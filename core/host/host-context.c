/* The host context: a registry with the built-in classes and the plugins of
 * the search path, shared by every command that needs classes. */
#include "host/commands.h"

#include <string.h>

#include "config/builtins.h"
#include "plugin/registry-private.h"

InfHostContext *
inf_host_context_new(const char *const *plugin_dirs, GError **error)
{
  g_autoptr(InfHostContext) context = g_new0(InfHostContext, 1);

  for (const char *const *d = plugin_dirs; d != NULL && *d != NULL; d++) {
    if (!g_file_test(*d, G_FILE_TEST_IS_DIR)) {
      g_set_error(error, INF_ERROR, INF_ERROR_IO,
                  "plugin directory %s (--plugin-dir) does not exist or is not a directory", *d);
      return NULL;
    }
  }

  context->registry = inf_registry_new();
  if (!inf_builtins_register(context->registry, error))
    return NULL;
  context->loader = inf_plugin_loader_new(context->registry);
  context->search_path = inf_plugin_loader_default_path(plugin_dirs);
  inf_registry_set_search_path(context->registry, (const char *const *)context->search_path);

  for (char **dir = context->search_path; *dir != NULL; dir++) {
    gboolean explicit = plugin_dirs != NULL && g_strv_contains(plugin_dirs, *dir);

    if (!explicit && !g_file_test(*dir, G_FILE_TEST_EXISTS))
      continue;
    if (!inf_plugin_loader_load_dir(context->loader, *dir, error))
      return NULL;
  }
  return g_steal_pointer(&context);
}

void
inf_host_context_free(InfHostContext *context)
{
  if (context == NULL)
    return;
  g_clear_pointer(&context->loader, inf_plugin_loader_free);
  g_clear_pointer(&context->registry, inf_registry_free);
  g_strfreev(context->search_path);
  g_free(context);
}

/* @message with control characters (from a config key or value: ESC
 * sequences, line breaks) shown as \xNN, so that a hostile config cannot
 * drive the terminal. */
static char *
escape_controls(const char *message)
{
  GString *out = g_string_sized_new(strlen(message));
  for (const char *p = message; *p != '\0'; p++) {
    guchar c = (guchar)*p;
    if (c < 0x20 || c == 0x7f)
      g_string_append_printf(out, "\\x%02x", c);
    else
      g_string_append_c(out, (char)c);
  }
  return g_string_free(out, FALSE);
}

InfHostContext *
inf_host_context_open(const char *command, const char *const *plugin_dirs)
{
  g_autoptr(GError) error = NULL;
  InfHostContext *context = inf_host_context_new(plugin_dirs, &error);
  if (context == NULL)
    g_printerr("inf-engine %s: %s\n", command, error->message);
  return context;
}

InfConfig *
inf_host_load_config(const char *command, const char *const *plugin_dirs, const char *config_path,
                     const char *resources_path, InfHostContext **out_context)
{
  g_autoptr(GError) error = NULL;
  *out_context = inf_host_context_open(command, plugin_dirs);
  if (*out_context == NULL)
    return NULL;
  InfConfig *config = inf_config_load(config_path, resources_path, (*out_context)->registry,
                                      (*out_context)->loader, &error);
  if (config == NULL) {
    g_autofree char *shown = escape_controls(error->message);
    g_printerr("%s\n", shown);
    guint refused = inf_plugin_loader_get_refused((*out_context)->loader)->len;
    if (refused > 0)
      g_printerr("note: %u plugin file%s refused; run 'inf-engine plugins' to see why\n", refused,
                 refused == 1 ? " was" : "s were");
  }
  return config;
}

void
inf_host_config_command_clear(InfHostConfigCommand *command)
{
  g_strfreev(command->plugin_dirs);
  g_free(command->resources_path);
  g_free(command->config_path);
  g_clear_pointer(&command->config, inf_config_free);
  g_clear_pointer(&command->context, inf_host_context_free);
}

gboolean
inf_host_config_command_parse(InfHostConfigCommand *command, const char *name,
                              const char *parameter_string, const char *summary,
                              const GOptionEntry *entries, int argc, char **argv, int *exit_status)
{
  const GOptionEntry shared[] = {
    INF_HOST_RESOURCES_OPTION(&command->resources_path),
    INF_HOST_PLUGIN_DIR_OPTION(&command->plugin_dirs),
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GArray) all = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  for (const GOptionEntry *e = entries; e && e->long_name; e++)
    g_array_append_val(all, *e);
  g_array_append_vals(all, shared, G_N_ELEMENTS(shared));
  g_auto(GStrv) rest = NULL;
  if (!inf_command_parse_args(name, parameter_string, summary, (const GOptionEntry *)all->data,
                              argc, argv, &rest, exit_status))
    return FALSE;
  const char *config_path = inf_command_one_config(name, rest);
  if (config_path == NULL) {
    *exit_status = INF_EXIT_USAGE;
    return FALSE;
  }
  command->config_path = g_strdup(config_path);
  return TRUE;
}

gboolean
inf_host_config_command_load(InfHostConfigCommand *command, const char *name)
{
  command->config =
      inf_host_load_config(name, (const char *const *)command->plugin_dirs, command->config_path,
                           command->resources_path, &command->context);
  return command->config != NULL;
}
