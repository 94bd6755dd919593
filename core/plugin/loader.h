/* The plugin loader: dlopen()s plugin files, checks their ABI and lets them
 * register their classes. A refused file never stops the others. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef struct _InfPluginLoader InfPluginLoader;

typedef struct {
  char *file; /* absolute path */
  char *name;
  char *version;
  char *description;
  char *license;
  guint abi_major;
  guint abi_minor;
  GPtrArray *classes; /* "kind:name" strings, e.g. "module:llm", "client:mock" */
} InfPluginRecord;

typedef struct {
  char *file;
  char *reason; /* the whole message, naming the file and what to do */
} InfPluginRefusal;

InfPluginLoader *inf_plugin_loader_new(InfRegistry *registry);
/* Frees the records; the plugins stay loaded for the life of the process
 * (classes are borrowed from them). */
void inf_plugin_loader_free(InfPluginLoader *loader);
/* Restricts loading to plugins whose names are listed (NULL: all). */
void inf_plugin_loader_set_allow_list(InfPluginLoader *loader, const char *const *names);
/* Loads every *.so directly in @dir, in name order. Refusals are recorded.
 * Fails only when @dir cannot be read. A file already loaded, or a plugin
 * whose name an earlier directory already provided, is skipped silently. */
gboolean inf_plugin_loader_load_dir(InfPluginLoader *loader, const char *dir, GError **error);
/* Loads one file; on refusal records it and fails with INF_ERROR_PLUGIN. */
gboolean inf_plugin_loader_load_file(InfPluginLoader *loader, const char *file, GError **error);
/* The search path (NULL-terminated, free with g_strfreev): @extra_dirs, then
 * INF_PLUGIN_PATH (colon-separated), then: when libinf-engine is the build
 * tree's (a marker file beside it), the build tree's plugin dir and the
 * configured install dir; otherwise <dir of libinf-engine>/inf-engine/plugins,
 * which is the install dir wherever the install was put. No build-tree path
 * is compiled in. */
char **inf_plugin_loader_default_path(const char *const *extra_dirs);
/* InfPluginRecord * / InfPluginRefusal *, in load order (borrowed). */
GPtrArray *inf_plugin_loader_get_loaded(InfPluginLoader *loader);
GPtrArray *inf_plugin_loader_get_refused(InfPluginLoader *loader);

G_END_DECLS
