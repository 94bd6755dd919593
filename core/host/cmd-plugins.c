/* `inf-engine plugins`: the search path, every plugin loaded (file, name,
 * version, ABI, license, classes by kind), the built-in classes, and every
 * file refused with the reason. Refusals are reported, not fatal. */
#include <string.h>

#include "host/commands.h"
#include "plugin/registry-private.h"

/* Prints "  modules:  a, b" lines for the "kind:name" strings in @classes. */
static void
print_classes(const char *indent, char *const *classes, guint n_classes)
{
  gboolean any = FALSE;

  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++) {
    const char *kind = inf_class_kind_name((InfClassKind)k);
    g_autoptr(GString) names = g_string_new(NULL);

    for (guint i = 0; i < n_classes; i++) {
      const char *colon = strchr(classes[i], ':');

      if (colon == NULL || (gsize)(colon - classes[i]) != strlen(kind) ||
          strncmp(classes[i], kind, colon - classes[i]) != 0)
        continue;
      g_string_append_printf(names, "%s%s", names->len == 0 ? "" : ", ", colon + 1);
    }
    if (names->len > 0) {
      g_autofree char *label = g_strdup_printf("%s:", inf_class_kind_plural((InfClassKind)k));

      g_print("%s%-13s%s\n", indent, label, names->str);
      any = TRUE;
    }
  }
  if (!any)
    g_print("%s(none)\n", indent);
}

int
inf_command_plugins(int argc, char **argv)
{
  g_auto(GStrv) plugin_dirs = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(InfHostContext) context = NULL;
  g_auto(GStrv) builtin = NULL;
  const GOptionEntry entries[] = {
    INF_HOST_PLUGIN_DIR_OPTION(&plugin_dirs),
    G_OPTION_ENTRY_NULL,
  };
  GPtrArray *loaded, *refused;
  int status;

  if (!inf_command_parse_args(
          "plugins", "",
          "Lists the plugin search path, every plugin loaded (file, name, version, ABI, license,\n"
          "classes by kind), the built-in classes, and every file refused with the reason.\n"
          "Search order: --plugin-dir DIR..., INF_PLUGIN_PATH (colon-separated), the build\n"
          "tree's plugin directory when run from the build tree, the install directory.",
          entries, argc, argv, &rest, &status))
    return status;
  if (rest[0] != NULL) {
    g_printerr("inf-engine plugins: unexpected argument '%s'\nRun 'inf-engine plugins --help' "
               "for usage.\n",
               rest[0]);
    return INF_EXIT_USAGE;
  }

  context = inf_host_context_open("plugins", (const char *const *)plugin_dirs);
  if (context == NULL)
    return INF_EXIT_FAILURE;

  g_print("Search path:\n");
  for (char **dir = context->search_path; *dir != NULL; dir++)
    g_print("  %s%s\n", *dir, g_file_test(*dir, G_FILE_TEST_IS_DIR) ? "" : " (not found)");

  loaded = inf_plugin_loader_get_loaded(context->loader);
  g_print("\nPlugins (%u):\n", loaded->len);
  if (loaded->len == 0)
    g_print("  (none)\n");
  for (guint i = 0; i < loaded->len; i++) {
    const InfPluginRecord *record = loaded->pdata[i];

    g_print("  %s\n", record->file);
    g_print("    %-13s%s\n", "name:", record->name);
    g_print("    %-13s%s\n", "version:", record->version);
    g_print("    %-13s%u.%u\n", "ABI:", record->abi_major, record->abi_minor);
    g_print("    %-13s%s\n", "license:", *record->license ? record->license : "(not stated)");
    if (*record->description)
      g_print("    %-13s%s\n", "description:", record->description);
    print_classes("    ", (char *const *)record->classes->pdata, record->classes->len);
  }

  builtin = inf_registry_list_classes_from(context->registry, NULL);
  g_print("\nBuilt-in classes:\n");
  print_classes("  ", builtin, g_strv_length(builtin));

  refused = inf_plugin_loader_get_refused(context->loader);
  g_print("\nRefused (%u):\n", refused->len);
  if (refused->len == 0)
    g_print("  (none)\n");
  for (guint i = 0; i < refused->len; i++) {
    const InfPluginRefusal *refusal = refused->pdata[i];

    g_print("  %s\n", refusal->reason);
  }
  return INF_EXIT_OK;
}
