/* libinf-engine exports only the SDK: every symbol `nm -D --defined-only`
 * lists is an inf_* function of the SDK, except exactly these entries:
 *   - the version node "INF_1.0" itself (type A), which the linker adds for
 *     the version script;
 *   - _init and _fini, should the toolchain export them.
 * Internal functions named inf_* (the loader, the host) must not be
 * exported. */
#include <string.h>

#include "inf-test.h"

/* The exported names, without their @@VERSION suffix. */
static GHashTable *
exported_symbols(char **out_nm_output)
{
  const char *nm = g_getenv("NM");
  const char *library = g_getenv("INF_LIBRARY");
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  const char *argv[] = { nm != NULL ? nm : "nm", "-D", "--defined-only", library, NULL };
  int status;

  g_assert_nonnull(library);
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
               &error);
  g_assert_no_error(error);
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("nm failed: %s", err);

  lines = g_strsplit(out, "\n", -1);
  for (char **line = lines; *line != NULL; line++) {
    g_auto(GStrv) fields = NULL;
    const char *type, *name;
    char *at;

    if (**line == '\0')
      continue;
    fields = g_strsplit_set(*line, " \t", -1);
    /* "ADDRESS TYPE NAME" */
    if (g_strv_length(fields) != 3)
      g_error("unexpected nm line: '%s'", *line);
    type = fields[1];
    name = fields[2];
    if (strcmp(type, "A") == 0 && strcmp(name, "INF_1.0") == 0)
      continue;
    if ((strcmp(name, "_init") == 0 || strcmp(name, "_fini") == 0) && strcmp(type, "T") == 0)
      continue;
    at = strchr(name, '@');
    g_hash_table_add(names, at != NULL ? g_strndup(name, at - name) : g_strdup(name));
    if (at != NULL && strcmp(at, "@@INF_1.0") != 0)
      g_error("symbol %s has version %s, expected @@INF_1.0", name, at);
  }
  *out_nm_output = g_steal_pointer(&out);
  return names;
}

static void
test_only_sdk_exported(void)
{
  g_autofree char *output = NULL;
  g_autoptr(GHashTable) names = exported_symbols(&output);
  const char *sdk[] = { "inf_engine_main",     "inf_registry_new", "inf_registry_add_module_class",
                        "inf_class_kind_name", "inf_error_quark",  "inf_value_new_text",
                        "inf_module_new" };
  const char *internal[] = {
    "inf_plugin_loader_new", "inf_plugin_loader_load_dir", "inf_registry_set_current_plugin",
    "inf_host_context_new",  "inf_command_plugins",        "inf_command_inspect"
  };
  GHashTableIter iter;
  gpointer key;

  g_assert_cmpuint(g_hash_table_size(names), >, 50);
  g_hash_table_iter_init(&iter, names);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    if (!g_str_has_prefix(key, "inf_"))
      g_error("libinf-engine exports '%s', which is not part of the SDK (inf_*):\n%s",
              (const char *)key, output);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(sdk); i++) {
    if (!g_hash_table_contains(names, sdk[i]))
      g_error("SDK function %s is not exported", sdk[i]);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(internal); i++) {
    if (g_hash_table_contains(names, internal[i]))
      g_error("internal function %s is exported", internal[i]);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/symbols/only-sdk-exported", test_only_sdk_exported);
  return g_test_run();
}
