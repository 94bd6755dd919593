/* The plugin loader: finds plugin files, dlopen()s them, checks what they
 * declare in inf_plugin_info and lets them register their classes. Every
 * refusal is recorded with a message naming the file, the reason and what to
 * do; a refused file never stops the others. */
#include "plugin/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/registry-private.h"

#ifndef INF_PLUGIN_INSTALL_DIR
#error "INF_PLUGIN_INSTALL_DIR must be defined by the build"
#endif

/* What happened to a file, by its real path. */
typedef enum {
  SEEN_LOADED,
  SEEN_REFUSED,
  SEEN_SKIPPED,
} SeenState;

typedef struct {
  SeenState state;
  char *reason; /* SEEN_REFUSED */
} SeenFile;

struct _InfPluginLoader {
  InfRegistry *registry;
  GPtrArray *loaded;      /* InfPluginRecord * */
  GPtrArray *refused;     /* InfPluginRefusal * */
  GHashTable *seen;       /* real path → SeenFile */
  GHashTable *names;      /* plugin name → real path of its directory */
  GHashTable *name_files; /* plugin name → the file it was loaded from */
  char **allow_list;
  GHashTable *probed; /* file → "" or how its probe child crashed (probe_in_child) */
};

/* InfPluginInfo fields every plugin of ABI 1.x has. */
#define INFO_MIN_SIZE                                 \
  (G_STRUCT_OFFSET(InfPluginInfo, register_classes) + \
   sizeof(((InfPluginInfo *)0)->register_classes))

static void
record_free(gpointer data)
{
  InfPluginRecord *record = data;

  g_free(record->file);
  g_free(record->name);
  g_free(record->version);
  g_free(record->description);
  g_free(record->license);
  g_clear_pointer(&record->classes, g_ptr_array_unref);
  g_free(record);
}

static void
refusal_free(gpointer data)
{
  InfPluginRefusal *refusal = data;

  g_free(refusal->file);
  g_free(refusal->reason);
  g_free(refusal);
}

static void
seen_free(gpointer data)
{
  SeenFile *seen = data;

  g_free(seen->reason);
  g_free(seen);
}

InfPluginLoader *
inf_plugin_loader_new(InfRegistry *registry)
{
  InfPluginLoader *loader;

  g_return_val_if_fail(registry != NULL, NULL);
  loader = g_new0(InfPluginLoader, 1);
  loader->registry = registry;
  loader->loaded = g_ptr_array_new_with_free_func(record_free);
  loader->refused = g_ptr_array_new_with_free_func(refusal_free);
  loader->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, seen_free);
  loader->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  loader->name_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  loader->probed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return loader;
}

void
inf_plugin_loader_free(InfPluginLoader *loader)
{
  if (loader == NULL)
    return;
  g_ptr_array_unref(loader->loaded);
  g_ptr_array_unref(loader->refused);
  g_hash_table_destroy(loader->seen);
  g_hash_table_destroy(loader->names);
  g_hash_table_destroy(loader->name_files);
  g_hash_table_destroy(loader->probed);
  g_strfreev(loader->allow_list);
  g_free(loader);
}

void
inf_plugin_loader_set_allow_list(InfPluginLoader *loader, const char *const *names)
{
  g_return_if_fail(loader != NULL);
  g_strfreev(loader->allow_list);
  loader->allow_list = g_strdupv((char **)names);
}

GPtrArray *
inf_plugin_loader_get_loaded(InfPluginLoader *loader)
{
  g_return_val_if_fail(loader != NULL, NULL);
  return loader->loaded;
}

GPtrArray *
inf_plugin_loader_get_refused(InfPluginLoader *loader)
{
  g_return_val_if_fail(loader != NULL, NULL);
  return loader->refused;
}

static void
mark_seen(InfPluginLoader *loader, const char *real, SeenState state, const char *reason)
{
  SeenFile *seen = g_new0(SeenFile, 1);

  seen->state = state;
  seen->reason = g_strdup(reason);
  g_hash_table_replace(loader->seen, g_strdup(real), seen);
}

/* Records a refusal of @file and fails with it. */
static gboolean refuse(InfPluginLoader *loader, const char *file, const char *real, GError **error,
                       const char *format, ...) G_GNUC_PRINTF(5, 6);

static gboolean
refuse(InfPluginLoader *loader, const char *file, const char *real, GError **error,
       const char *format, ...)
{
  InfPluginRefusal *refusal = g_new0(InfPluginRefusal, 1);
  g_autofree char *detail = NULL;
  va_list args;

  va_start(args, format);
  detail = g_strdup_vprintf(format, args);
  va_end(args);

  refusal->file = g_strdup(file);
  refusal->reason = g_strdup_printf("%s: %s", file, detail);
  g_ptr_array_add(loader->refused, refusal);
  if (real != NULL)
    mark_seen(loader, real, SEEN_REFUSED, refusal->reason);
  g_set_error_literal(error, INF_ERROR, INF_ERROR_PLUGIN, refusal->reason);
  return FALSE;
}

/* Whether @file starts with the ELF magic; FALSE with @errnum set when it
 * cannot be read. */
static gboolean
has_elf_magic(const char *file, int *errnum)
{
  unsigned char magic[4] = { 0 };
  FILE *stream = fopen(file, "rb");
  size_t n;

  *errnum = 0;
  if (stream == NULL) {
    *errnum = errno;
    return FALSE;
  }
  n = fread(magic, 1, sizeof magic, stream);
  fclose(stream);
  return n == sizeof magic && memcmp(magic, "\177ELF", 4) == 0;
}

static gboolean
name_allowed(InfPluginLoader *loader, const char *name)
{
  return loader->allow_list == NULL ||
         g_strv_contains((const char *const *)loader->allow_list, name);
}

static char *
allow_list_text(InfPluginLoader *loader)
{
  if (loader->allow_list == NULL || loader->allow_list[0] == NULL)
    return g_strdup("(none)");
  return g_strjoinv(", ", loader->allow_list);
}

/* In a probe child: loads @file and runs its register function on a scratch
 * registry. Returns only when neither crashed. */
static void
probe_one(const char *file)
{
  void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    return;
  const InfPluginInfo *info = dlsym(handle, "inf_plugin_info");
  if (info == NULL || info->abi_major != INF_ABI_MAJOR || info->abi_minor > INF_ABI_MINOR ||
      info->struct_size < INFO_MIN_SIZE || info->register_classes == NULL)
    return;
  InfRegistry *registry = inf_registry_new();
  GError *error = NULL;
  inf_registry_set_current_plugin(registry, file);
  info->register_classes(registry, &error);
  g_clear_error(&error);
  inf_registry_set_current_plugin(registry, NULL);
  inf_registry_free(registry);
}

/* How a probe child ended, or NULL when it exited normally. */
static char *
describe_wait_status(int status)
{
  if (WIFSIGNALED(status))
    return g_strdup_printf("signal %d, %s", WTERMSIG(status), g_strsignal(WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return g_strdup_printf("exit status %d", WEXITSTATUS(status));
  return NULL;
}

/* Loads each of @files and runs its register function in a forked child
 * first, the way GStreamer's registry scanner does, so that a plugin that
 * crashes while loading (in a constructor or its register function, or by
 * calling exit()) is refused by name instead of taking the host down. One
 * child probes the files in order and reports each before loading it; when
 * it dies, the file it was on is marked and a new child goes on with the next
 * one. Records in loader->probed each file → "" (came through) or how its
 * child ended ("signal 11, Segmentation fault"). Any other problem is found
 * again, and reported, by the real load. */
static void
probe_in_child(InfPluginLoader *loader, const char *const *files, guint n_files)
{
  guint next = 0;
  while (next < n_files) {
    int fds[2];
    if (pipe(fds) < 0)
      return; /* no safety net: the real load goes ahead */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      return;
    }
    if (pid == 0) {
      close(fds[0]);
      signal(SIGSEGV, SIG_DFL);
      signal(SIGBUS, SIG_DFL);
      signal(SIGFPE, SIG_DFL);
      signal(SIGILL, SIG_DFL);
      signal(SIGABRT, SIG_DFL);
      signal(SIGPIPE, SIG_DFL);
      for (guint i = next; i < n_files; i++) {
        guint32 index = i;
        if (write(fds[1], &index, sizeof index) != sizeof index)
          _exit(0);
        probe_one(files[i]);
      }
      /* Came through them all: said before exiting, so that a tool which
       * changes the exit status afterwards (valgrind or LeakSanitizer
       * reporting leaks at exit) does not make the last file look broken. */
      guint32 all_done = n_files;
      if (write(fds[1], &all_done, sizeof all_done) != sizeof all_done)
        _exit(0);
      _exit(0);
    }
    close(fds[1]);
    guint32 index = 0;
    gboolean started = FALSE;
    gboolean all_done = FALSE;
    guint current = next;
    for (;;) {
      ssize_t n = read(fds[0], &index, sizeof index);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != sizeof index)
        break;
      if (index == n_files) {
        all_done = TRUE;
        break;
      }
      current = index;
      started = TRUE;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR)
        return;
    }
    char *how = all_done ? NULL : describe_wait_status(status);
    for (guint i = next; i < (how ? current : n_files); i++)
      g_hash_table_replace(loader->probed, g_strdup(files[i]), g_strdup(""));
    if (how == NULL)
      return;
    if (!started) {
      g_free(how);
      return; /* the child died before probing anything: no safety net */
    }
    g_hash_table_replace(loader->probed, g_strdup(files[current]), how);
    next = current + 1;
  }
}

/* What load_one() does after a step: go on, stop with success (already
 * loaded, shadowed, not allowed while scanning a directory), or stop with
 * the file refused (@error set). */
typedef enum {
  LOAD_GO_ON,
  LOAD_SKIP,
  LOAD_REFUSED,
} LoadStep;

/* Resolves @file to *@real (new string) and looks it up among the files seen
 * before: each is loaded once, and a refusal is repeated to a caller that
 * named the file. */
static LoadStep
check_seen(InfPluginLoader *loader, const char *file, gboolean from_dir, char **real,
           GError **error)
{
  SeenFile *seen;

  *real = realpath(file, NULL);
  if (*real == NULL) {
    int saved = errno;

    seen = g_hash_table_lookup(loader->seen, file);
    if (seen != NULL) {
      if (from_dir)
        return LOAD_SKIP;
      g_set_error_literal(error, INF_ERROR, INF_ERROR_PLUGIN, seen->reason);
      return LOAD_REFUSED;
    }
    refuse(loader, file, file, error, "cannot be read: %s", g_strerror(saved));
    return LOAD_REFUSED;
  }
  seen = g_hash_table_lookup(loader->seen, *real);
  if (seen != NULL) {
    if (seen->state == SEEN_REFUSED && !from_dir) {
      g_set_error_literal(error, INF_ERROR, INF_ERROR_PLUGIN, seen->reason);
      return LOAD_REFUSED;
    }
    return LOAD_SKIP;
  }
  return LOAD_GO_ON;
}

/* A regular ELF file that did not crash when probed in a child process;
 * FALSE: refused. */
static gboolean
check_file(InfPluginLoader *loader, const char *file, const char *real, GError **error)
{
  struct stat st;
  int errnum;

  if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
    return refuse(loader, file, real, error,
                  "not a regular file; remove it from the plugin directory");
  if (!has_elf_magic(file, &errnum)) {
    if (errnum != 0)
      return refuse(loader, file, real, error, "cannot be read: %s", g_strerror(errnum));
    return refuse(loader, file, real, error,
                  "not a shared object (not an ELF file); remove it from the plugin directory");
  }
  if (!g_hash_table_contains(loader->probed, file)) {
    const char *one[] = { file };
    probe_in_child(loader, one, 1);
  }
  const char *crash = g_hash_table_lookup(loader->probed, file);
  if (crash != NULL && crash[0] != '\0')
    return refuse(loader, file, real, error,
                  "crashed while loading (%s, in a constructor or its register function); "
                  "skipped so that the other plugins still load: fix or remove the file",
                  crash);
  return TRUE;
}

/* dlopen()s @file; NULL: refused, with what to do about dlopen's error. */
static void *
open_plugin(InfPluginLoader *loader, const char *file, const char *real, GError **error)
{
  dlerror();
  void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle != NULL)
    return handle;
  const char *why = dlerror();

  if (why == NULL)
    why = "unknown dlopen error";
  if (strstr(why, "undefined symbol") != NULL)
    refuse(loader, file, real, error,
           "unresolved symbol (%s); the plugin needs a function this host does not "
           "provide: rebuild it against this SDK, or link the library that defines it",
           why);
  else if (strstr(why, "cannot open shared object file") != NULL)
    refuse(loader, file, real, error,
           "a library it needs cannot be loaded (%s); install that library or rebuild "
           "the plugin",
           why);
  else
    refuse(loader, file, real, error,
           "not a shared object (%s); remove it from the plugin directory", why);
  return NULL;
}

/* The plugin's inf_plugin_info, checked: exported, an ABI this host
 * provides, complete. NULL: refused (@handle is closed). */
static const InfPluginInfo *
check_info(InfPluginLoader *loader, void *handle, const char *file, const char *real,
           GError **error)
{
  dlerror();
  const InfPluginInfo *info = dlsym(handle, "inf_plugin_info");
  if (info == NULL) {
    dlclose(handle);
    refuse(loader, file, real, error,
           "not an inf-engine plugin: it does not export inf_plugin_info; define it with "
           "INF_PLUGIN_DEFINE");
    return NULL;
  }
  /* abi_major comes first and never moves: check it before anything else. */
  guint major = info->abi_major, minor = info->abi_minor;
  if (major != INF_ABI_MAJOR || minor > INF_ABI_MINOR) {
    dlclose(handle);
    if (major != INF_ABI_MAJOR)
      refuse(loader, file, real, error,
             "built for ABI %u.%u, this host provides %u.%u: rebuild the plugin against "
             "this SDK",
             major, minor, (guint)INF_ABI_MAJOR, (guint)INF_ABI_MINOR);
    else
      refuse(loader, file, real, error,
             "built for ABI %u.%u, newer than this host's %u.%u: upgrade inf-engine or "
             "rebuild the plugin",
             major, minor, (guint)INF_ABI_MAJOR, (guint)INF_ABI_MINOR);
    return NULL;
  }
  if (info->struct_size < INFO_MIN_SIZE || info->name == NULL || *info->name == '\0' ||
      info->register_classes == NULL) {
    const char *what = info->struct_size < INFO_MIN_SIZE ? "its inf_plugin_info is truncated"
                       : info->register_classes == NULL  ? "its inf_plugin_info has no register "
                                                           "function"
                                                         : "its inf_plugin_info has no name";

    dlclose(handle);
    refuse(loader, file, real, error, "%s; define it with INF_PLUGIN_DEFINE", what);
    return NULL;
  }
  return info;
}

/* The plugin's name: in the allow list, and not loaded from another file
 * (a plugin of an earlier directory shadows this one; two of one directory
 * are refused). On anything but LOAD_GO_ON @handle is closed. */
static LoadStep
check_name(InfPluginLoader *loader, void *handle, const InfPluginInfo *info, const char *file,
           const char *real, const char *dir, gboolean from_dir, GError **error)
{
  if (!name_allowed(loader, info->name)) {
    g_autofree char *allowed = allow_list_text(loader);

    if (from_dir) {
      dlclose(handle);
      return LOAD_SKIP;
    }
    refuse(loader, file, NULL, error,
           "plugin '%s' is not in the allow list (%s); add it to the config's plugins.allow",
           info->name, allowed);
    dlclose(handle);
    return LOAD_REFUSED;
  }
  const char *owner_dir = g_hash_table_lookup(loader->names, info->name);
  if (owner_dir == NULL)
    return LOAD_GO_ON;
  if (strcmp(owner_dir, dir) != 0) {
    /* An earlier directory provides this plugin: it shadows this one. */
    mark_seen(loader, real, SEEN_SKIPPED, NULL);
    dlclose(handle);
    return LOAD_SKIP;
  }
  const char *owner_file = g_hash_table_lookup(loader->name_files, info->name);
  g_autofree char *name = g_strdup(info->name);

  dlclose(handle);
  refuse(loader, file, real, error,
         "a plugin named '%s' is already loaded from %s; remove one of the two files", name,
         owner_file);
  return LOAD_REFUSED;
}

/* Runs the plugin's register function, its classes attributed to @file; on
 * failure they are removed again and the file is refused. */
static gboolean
register_plugin(InfPluginLoader *loader, const InfPluginInfo *info, const char *file,
                const char *real, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  inf_registry_set_current_plugin(loader->registry, file);
  if (!info->register_classes(loader->registry, &local_error) || local_error != NULL) {
    inf_registry_set_current_plugin(loader->registry, NULL);
    inf_registry_remove_classes_from(loader->registry, file);
    /* The plugin stays mapped: its register function may have left state
     * behind that unloading would invalidate. */
    return refuse(loader, file, real, error, "plugin '%s' could not register its classes: %s",
                  info->name,
                  local_error != NULL ? local_error->message
                                      : "its register function failed without an error");
  }
  inf_registry_set_current_plugin(loader->registry, NULL);
  return TRUE;
}

/* Records the loaded plugin and the classes it registered. */
static void
record_plugin(InfPluginLoader *loader, const InfPluginInfo *info, const char *file,
              const char *real, const char *dir)
{
  InfPluginRecord *record = g_new0(InfPluginRecord, 1);
  record->file = g_strdup(file);
  record->name = g_strdup(info->name);
  record->version = g_strdup(info->version != NULL ? info->version : "");
  record->description = g_strdup(info->description != NULL ? info->description : "");
  record->license = g_strdup(info->license != NULL ? info->license : "");
  record->abi_major = info->abi_major;
  record->abi_minor = info->abi_minor;
  record->classes = g_ptr_array_new_with_free_func(g_free);
  char **classes = inf_registry_list_classes_from(loader->registry, file);
  for (char **c = classes; *c != NULL; c++)
    g_ptr_array_add(record->classes, *c);
  g_free(classes); /* the strings moved to the array */
  g_ptr_array_add(loader->loaded, record);

  g_hash_table_insert(loader->names, g_strdup(info->name), g_strdup(dir));
  g_hash_table_insert(loader->name_files, g_strdup(info->name), g_strdup(file));
  mark_seen(loader, real, SEEN_LOADED, NULL);
}

/* Loads the plugin @path: each check refuses the file with a message that
 * says what to do (recorded in the loader; @error set), or skips it. */
static gboolean
load_one(InfPluginLoader *loader, const char *path, gboolean from_dir, GError **error)
{
  g_autofree char *file = g_canonicalize_filename(path, NULL);
  g_autofree char *real = NULL;

  LoadStep step = check_seen(loader, file, from_dir, &real, error);
  if (step != LOAD_GO_ON)
    return step == LOAD_SKIP;
  if (!check_file(loader, file, real, error))
    return FALSE;
  void *handle = open_plugin(loader, file, real, error);
  if (handle == NULL)
    return FALSE;
  const InfPluginInfo *info = check_info(loader, handle, file, real, error);
  if (info == NULL)
    return FALSE;
  g_autofree char *dir = g_path_get_dirname(real);
  step = check_name(loader, handle, info, file, real, dir, from_dir, error);
  if (step != LOAD_GO_ON)
    return step == LOAD_SKIP;
  if (!register_plugin(loader, info, file, real, error))
    return FALSE;
  record_plugin(loader, info, file, real, dir);
  return TRUE;
}

gboolean
inf_plugin_loader_load_file(InfPluginLoader *loader, const char *file, GError **error)
{
  g_return_val_if_fail(loader != NULL, FALSE);
  g_return_val_if_fail(file != NULL, FALSE);
  return load_one(loader, file, FALSE, error);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

gboolean
inf_plugin_loader_load_dir(InfPluginLoader *loader, const char *dir, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GDir) handle = NULL;
  const char *name;

  g_return_val_if_fail(loader != NULL, FALSE);
  g_return_val_if_fail(dir != NULL, FALSE);

  handle = g_dir_open(dir, 0, &local_error);
  if (handle == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot read plugin directory %s: %s", dir,
                local_error->message);
    return FALSE;
  }
  names = g_ptr_array_new_with_free_func(g_free);
  while ((name = g_dir_read_name(handle)) != NULL) {
    if (g_str_has_suffix(name, ".so"))
      g_ptr_array_add(names, g_strdup(name));
  }
  g_ptr_array_sort(names, compare_names);

  /* One probe child for the whole directory (see probe_in_child). */
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
    char *file = g_canonicalize_filename(path, NULL);
    if (!g_hash_table_contains(loader->probed, file) && g_file_test(file, G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add(files, file);
    else
      g_free(file);
  }
  probe_in_child(loader, (const char *const *)files->pdata, files->len);

  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);

    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      continue;
    load_one(loader, path, TRUE, NULL);
  }
  return TRUE;
}

/* The file, beside the build tree's libinf-engine only (core/meson.build),
 * that holds the build tree's plugin dir relative to the library's dir. */
#define UNINSTALLED_MARKER "inf-engine-uninstalled-plugin-dir"

/* The directory of the file this code was loaded from (libinf-engine, or a
 * program that links the engine statically), or NULL. */
static char *
library_dir(void)
{
  Dl_info info;
  g_autofree char *real = NULL;

  if (dladdr((void *)inf_plugin_loader_default_path, &info) == 0 || info.dli_fname == NULL ||
      !g_path_is_absolute(info.dli_fname))
    return NULL;
  real = realpath(info.dli_fname, NULL);
  return real != NULL ? g_path_get_dirname(real) : NULL;
}

/* The build tree's plugin dir when @lib_dir is the build tree's (its marker
 * file names it), else NULL. */
static char *
build_tree_plugin_dir(const char *lib_dir)
{
  g_autofree char *marker = g_build_filename(lib_dir, UNINSTALLED_MARKER, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *dir = NULL;

  if (!g_file_get_contents(marker, &contents, NULL, NULL))
    return NULL;
  g_strstrip(contents);
  if (contents[0] == '\0')
    return NULL;
  dir = g_build_filename(lib_dir, contents, NULL);
  return g_canonicalize_filename(dir, NULL);
}

char **
inf_plugin_loader_default_path(const char *const *extra_dirs)
{
  GPtrArray *path = g_ptr_array_new();
  const char *env = g_getenv("INF_PLUGIN_PATH");

  for (const char *const *d = extra_dirs; d != NULL && *d != NULL; d++) {
    if (**d != '\0')
      g_ptr_array_add(path, g_strdup(*d));
  }
  if (env != NULL) {
    g_auto(GStrv) parts = g_strsplit(env, ":", -1);

    for (char **p = parts; *p != NULL; p++) {
      if (**p != '\0')
        g_ptr_array_add(path, g_strdup(*p));
    }
  }
  /* The build tree's plugins, or the installed ones relative to the library
   * (<libdir>/inf-engine/plugins, the same as INF_PLUGIN_INSTALL_DIR unless
   * the install was moved or staged with DESTDIR). */
  g_autofree char *lib_dir = library_dir();
  g_autofree char *build_dir = lib_dir != NULL ? build_tree_plugin_dir(lib_dir) : NULL;
  if (build_dir != NULL) {
    g_ptr_array_add(path, g_steal_pointer(&build_dir));
    g_ptr_array_add(path, g_strdup(INF_PLUGIN_INSTALL_DIR));
  } else if (lib_dir != NULL) {
    g_ptr_array_add(path, g_build_filename(lib_dir, "inf-engine", "plugins", NULL));
  } else {
    g_ptr_array_add(path, g_strdup(INF_PLUGIN_INSTALL_DIR));
  }
  g_ptr_array_add(path, NULL);
  return (char **)g_ptr_array_free(path, FALSE);
}
