/* Integration tests of the plugin loader with real plugin files built by
 * this test suite: a good plugin, and deliberately broken ones (wrong ABI
 * major, newer ABI minor, no inf_plugin_info, an unresolved symbol, garbage,
 * a duplicate class name, an invalid class). Each asserts exactly what was
 * loaded or refused, and the reason. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <inf/inf.h>

#include "inf-test.h"
#include "plugin/loader.h"
#include "plugin/registry-private.h"

typedef struct {
  InfRegistry *registry;
  InfPluginLoader *loader;
  char *tmp;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->registry = inf_registry_new();
  f->loader = inf_plugin_loader_new(f->registry);
  f->tmp = inf_test_mkdtemp("inf-plugin-test");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_plugin_loader_free(f->loader);
  inf_registry_free(f->registry);
  inf_test_rmdir(f->tmp);
  g_free(f->tmp);
}

static const InfPluginRefusal *
refusal(Fixture *f, guint index)
{
  GPtrArray *refused = inf_plugin_loader_get_refused(f->loader);

  g_assert_cmpuint(index, <, refused->len);
  return refused->pdata[index];
}

/* Loads @name and expects a refusal naming the file and containing each of
 * the NULL-terminated @expected strings; nothing is loaded. */
static void
expect_refused(Fixture *f, const char *name, ...)
{
  g_autofree char *file = inf_test_built_plugin(name);
  g_autoptr(GError) error = NULL;
  const InfPluginRefusal *r;
  const char *expected;
  va_list args;

  g_assert_false(inf_plugin_loader_load_file(f->loader, file, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 0);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 1);
  r = refusal(f, 0);
  g_assert_cmpstr(r->file, ==, file);
  g_assert_true(g_str_has_prefix(r->reason, file));
  g_assert_cmpstr(error->message, ==, r->reason);
  va_start(args, name);
  while ((expected = va_arg(args, const char *)) != NULL)
    inf_test_assert_contains(r->reason, expected);
  va_end(args);
}

static void
test_good(Fixture *f, gconstpointer data)
{
  g_autofree char *file = inf_test_built_plugin("good");
  g_autoptr(GError) error = NULL;
  const InfPluginRecord *record;
  GPtrArray *loaded;
  InfClassInfo info;

  (void)data;
  g_assert_true(inf_plugin_loader_load_file(f->loader, file, &error));
  g_assert_no_error(error);
  loaded = inf_plugin_loader_get_loaded(f->loader);
  g_assert_cmpuint(loaded->len, ==, 1);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 0);
  record = loaded->pdata[0];
  g_assert_cmpstr(record->file, ==, file);
  g_assert_cmpstr(record->name, ==, "test-good");
  g_assert_cmpstr(record->version, ==, "1.2.3");
  g_assert_cmpstr(record->description, ==, "A good test plugin");
  g_assert_cmpstr(record->license, ==, "MIT");
  g_assert_cmpuint(record->abi_major, ==, INF_ABI_MAJOR);
  g_assert_cmpuint(record->abi_minor, ==, INF_ABI_MINOR);
  g_assert_cmpuint(record->classes->len, ==, 4);
  g_assert_cmpstr(record->classes->pdata[0], ==, "module:test-echo");
  g_assert_cmpstr(record->classes->pdata[1], ==, "client:test-client");
  g_assert_cmpstr(record->classes->pdata[2], ==, "loss:test-loss");
  g_assert_cmpstr(record->classes->pdata[3], ==, "optimizer:test-optimizer");

  g_assert_nonnull(inf_registry_lookup_module_class(f->registry, "test-echo"));
  g_assert_nonnull(inf_registry_lookup_client_class(f->registry, "test-client"));
  g_assert_nonnull(inf_registry_lookup_loss_class(f->registry, "test-loss"));
  g_assert_nonnull(inf_registry_lookup_optimizer_class(f->registry, "test-optimizer"));
  g_assert_true(inf_registry_get_class_info(f->registry, INF_CLASS_MODULE, "test-echo", &info));
  g_assert_cmpstr(info.file, ==, file);
  g_assert_cmpstr(info.description, ==, "Echoes its input");
  g_assert_cmpstr(info.inputs[0].name, ==, "text");
  /* Registration is over: later classes are built-in again. */
  g_assert_cmpstr(inf_registry_get_current_plugin(f->registry), ==, "(built-in)");
}

static void
test_abi_major(Fixture *f, gconstpointer data)
{
  g_autofree char *expected = g_strdup_printf(
      "built for ABI %d.0, this host provides %d.%d: rebuild the plugin against this SDK",
      INF_ABI_MAJOR + 1, INF_ABI_MAJOR, INF_ABI_MINOR);

  (void)data;
  expect_refused(f, "abi-major", expected, NULL);
}

static void
test_abi_minor(Fixture *f, gconstpointer data)
{
  g_autofree char *expected = g_strdup_printf(
      "built for ABI %d.%d, newer than this host's %d.%d: upgrade inf-engine or rebuild the "
      "plugin",
      INF_ABI_MAJOR, INF_ABI_MINOR + 3, INF_ABI_MAJOR, INF_ABI_MINOR);

  (void)data;
  expect_refused(f, "abi-minor", expected, NULL);
}

static void
test_no_info(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_refused(f, "no-info",
                 ": not an inf-engine plugin: it does not export inf_plugin_info; define it "
                 "with INF_PLUGIN_DEFINE",
                 NULL);
}

static void
test_unresolved(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_refused(f, "unresolved", ": unresolved symbol (", "inf_test_missing_function",
                 "rebuild it against this SDK", NULL);
}

static void
test_bad_class(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_refused(f, "bad-class", "plugin 'test-bad-class' could not register its classes",
                 "module class 'test-bad' from", "implements neither execute nor forward", NULL);
  g_assert_null(inf_registry_lookup_module_class(f->registry, "test-bad"));
}

static void
test_silent_failure(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_refused(f, "silent-fail",
                 "could not register its classes: its register function "
                 "failed without an error",
                 NULL);
}

/* Regression: a plugin that crashes in its register function used to take
 * the host down; it is refused by file name and the others still load. */
static void
test_crash_in_register(Fixture *f, gconstpointer data)
{
  g_autofree char *good = inf_test_built_plugin("good");
  g_autoptr(GError) error = NULL;

  (void)data;
  expect_refused(f, "crash", "crashed while loading (",
                 "in a constructor or its register function); skipped so that the other "
                 "plugins still load: fix or remove the file",
                 NULL);
  g_assert_true(inf_plugin_loader_load_file(f->loader, good, &error));
  g_assert_no_error(error);
  g_assert_nonnull(inf_registry_lookup_module_class(f->registry, "test-echo"));
}

static void
test_garbage(Fixture *f, gconstpointer data)
{
  g_autofree char *garbage = inf_test_write_garbage(f->tmp, "garbage.so", 4096);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  (void)data;
  g_assert_false(inf_plugin_loader_load_file(f->loader, garbage, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  expected = g_strdup_printf("%s: not a shared object (not an ELF file); remove it from the "
                             "plugin directory",
                             garbage);
  g_assert_cmpstr(refusal(f, 0)->reason, ==, expected);
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 0);
}

/* An ELF header with nothing behind it: dlopen's own reason is shown. */
static void
test_truncated_elf(Fixture *f, gconstpointer data)
{
  g_autofree char *good = inf_test_built_plugin("good");
  g_autofree char *contents = NULL;
  g_autofree char *truncated = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  (void)data;
  g_assert_true(g_file_get_contents(good, &contents, &len, NULL));
  truncated = inf_test_write_len(f->tmp, "truncated.so", contents, 100);
  g_assert_false(inf_plugin_loader_load_file(f->loader, truncated, &error));
  g_assert_true(g_str_has_prefix(refusal(f, 0)->reason, truncated));
  inf_test_assert_contains(refusal(f, 0)->reason, ": not a shared object (");
}

static void
test_empty_file(Fixture *f, gconstpointer data)
{
  g_autofree char *empty = inf_test_write(f->tmp, "empty.so", "");

  (void)data;
  g_assert_false(inf_plugin_loader_load_file(f->loader, empty, NULL));
  inf_test_assert_contains(refusal(f, 0)->reason, "not a shared object");
}

static void
test_missing_file(Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename(f->tmp, "missing.so", NULL);
  g_autoptr(GError) error = NULL;

  (void)data;
  g_assert_false(inf_plugin_loader_load_file(f->loader, missing, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  inf_test_assert_contains_all(error->message, missing, "cannot be read");
}

static void
test_duplicate_class(Fixture *f, gconstpointer data)
{
  g_autofree char *a = inf_test_built_plugin("dup-a");
  g_autofree char *b = inf_test_built_plugin("dup-b");
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  const InfPluginRecord *record;

  (void)data;
  g_assert_true(inf_plugin_loader_load_file(f->loader, a, &error));
  g_assert_no_error(error);
  g_assert_false(inf_plugin_loader_load_file(f->loader, b, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);

  expected = g_strdup_printf("%s: plugin 'test-dup-b' could not register its classes: class "
                             "module 'dup' from %s is already registered by %s",
                             b, b, a);
  g_assert_cmpstr(refusal(f, 0)->reason, ==, expected);
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 1);
  record = inf_plugin_loader_get_loaded(f->loader)->pdata[0];
  g_assert_cmpstr(record->name, ==, "test-dup-a");
  /* dup-b's first class was rolled back; dup-a's class is untouched. */
  g_assert_null(inf_registry_lookup_module_class(f->registry, "dup-b-only"));
  g_assert_nonnull(inf_registry_lookup_module_class(f->registry, "dup"));
  {
    InfClassInfo info;

    g_assert_true(inf_registry_get_class_info(f->registry, INF_CLASS_MODULE, "dup", &info));
    g_assert_cmpstr(info.file, ==, a);
    g_assert_cmpstr(info.description, ==, "dup from dup-a");
  }
}

/* A directory with good and bad files: the good ones load, each bad one is
 * refused with its reason, other files are ignored. */
static void
test_dir(Fixture *f, gconstpointer data)
{
  const char *copies[] = { "good", "abi-major", "no-info", "unresolved", "dup-a", "dup-b" };
  g_autofree char *garbage = inf_test_write_garbage(f->tmp, "garbage.so", 512);
  g_autofree char *notes = inf_test_write(f->tmp, "notes.txt", "not a plugin");
  g_autofree char *subdir = g_build_filename(f->tmp, "nested.so", NULL);
  g_autoptr(GError) error = NULL;
  GPtrArray *loaded, *refused;
  /* In name order: abi-major dup-a dup-b garbage good no-info unresolved. */
  const struct {
    const char *file;
    const char *reason; /* a part of it */
  } refusals[] = {
    { "abi-major.so", "this host provides" },
    { "dup-b.so", "is already registered by" },
    { "garbage.so", "not a shared object" },
    { "no-info.so", "does not export inf_plugin_info" },
    { "unresolved.so", "inf_test_missing_function" },
  };

  (void)data;
  for (gsize i = 0; i < G_N_ELEMENTS(copies); i++)
    g_free(inf_test_copy_built_plugin(copies[i], f->tmp));
  g_assert_cmpint(g_mkdir(subdir, 0700), ==, 0);

  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, &error));
  g_assert_no_error(error);

  loaded = inf_plugin_loader_get_loaded(f->loader);
  g_assert_cmpuint(loaded->len, ==, 2);
  g_assert_cmpstr(((InfPluginRecord *)loaded->pdata[0])->name, ==, "test-dup-a");
  g_assert_cmpstr(((InfPluginRecord *)loaded->pdata[1])->name, ==, "test-good");
  refused = inf_plugin_loader_get_refused(f->loader);
  g_assert_cmpuint(refused->len, ==, G_N_ELEMENTS(refusals));
  for (guint i = 0; i < G_N_ELEMENTS(refusals); i++) {
    g_autofree char *file = g_build_filename(f->tmp, refusals[i].file, NULL);
    g_assert_cmpstr(refusal(f, i)->file, ==, file);
    inf_test_assert_contains(refusal(f, i)->reason, refusals[i].reason);
  }
  g_assert_cmpstr(refusal(f, 2)->file, ==, garbage);
}

static void
test_dir_missing(Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename(f->tmp, "nope", NULL);
  g_autoptr(GError) error = NULL;

  (void)data;
  g_assert_false(inf_plugin_loader_load_dir(f->loader, missing, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_IO);
  inf_test_assert_contains(error->message, missing);
}

/* The same file twice (also through a symlink) loads once, silently. */
static void
test_same_file(Fixture *f, gconstpointer data)
{
  g_autofree char *copy = inf_test_copy_built_plugin("good", f->tmp);
  g_autofree char *link = g_build_filename(f->tmp, "link.so", NULL);
  g_autoptr(GError) error = NULL;

  (void)data;
  g_assert_cmpint(symlink(copy, link), ==, 0);
  g_assert_true(inf_plugin_loader_load_file(f->loader, copy, &error));
  g_assert_true(inf_plugin_loader_load_file(f->loader, copy, &error));
  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 1);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 0);
}

/* A refused file seen again is not reported twice. */
static void
test_refused_once(Fixture *f, gconstpointer data)
{
  g_autofree char *garbage = inf_test_write_garbage(f->tmp, "garbage.so", 64);
  g_autoptr(GError) error = NULL;

  (void)data;
  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, NULL));
  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, NULL));
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 1);
  /* Asked for explicitly, it still fails with the same reason. */
  g_assert_false(inf_plugin_loader_load_file(f->loader, garbage, &error));
  g_assert_cmpstr(error->message, ==, refusal(f, 0)->reason);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 1);
}

/* A FIFO and a dangling symlink: refused (once), never waited on. */
static void
test_special_files(Fixture *f, gconstpointer data)
{
  g_autofree char *fifo = g_build_filename(f->tmp, "a-fifo.so", NULL);
  g_autofree char *dangling = g_build_filename(f->tmp, "b-dangling.so", NULL);
  g_autoptr(GError) error = NULL;

  (void)data;
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  g_assert_cmpint(symlink("/nonexistent/plugin.so", dangling), ==, 0);
  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, &error));
  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 2);
  g_assert_cmpstr(refusal(f, 0)->file, ==, fifo);
  inf_test_assert_contains(refusal(f, 0)->reason,
                           ": not a regular file; remove it from the plugin directory");
  g_assert_cmpstr(refusal(f, 1)->file, ==, dangling);
  inf_test_assert_contains(refusal(f, 1)->reason, ": cannot be read: No such file");
  g_assert_false(inf_plugin_loader_load_file(f->loader, dangling, &error));
  g_assert_cmpstr(error->message, ==, refusal(f, 1)->reason);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 2);
}

/* A plugin name provided by an earlier directory shadows later copies; two
 * copies in one directory are an error. */
static void
test_plugin_name_shadowing(Fixture *f, gconstpointer data)
{
  g_autofree char *good = inf_test_built_plugin("good");
  g_autofree char *dir1 = g_build_filename(f->tmp, "one", NULL);
  g_autofree char *dir2 = g_build_filename(f->tmp, "two", NULL);
  g_autofree char *first = NULL, *second = NULL, *again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  (void)data;
  g_assert_cmpint(g_mkdir(dir1, 0700), ==, 0);
  g_assert_cmpint(g_mkdir(dir2, 0700), ==, 0);
  first = inf_test_copy(good, dir1, "good.so");
  second = inf_test_copy(good, dir2, "good.so");
  g_assert_true(inf_plugin_loader_load_dir(f->loader, dir1, &error));
  g_assert_true(inf_plugin_loader_load_dir(f->loader, dir2, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 1);
  g_assert_cmpstr(((InfPluginRecord *)inf_plugin_loader_get_loaded(f->loader)->pdata[0])->file, ==,
                  first);
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 0);

  again = inf_test_copy(good, dir1, "good-again.so");
  g_assert_false(inf_plugin_loader_load_file(f->loader, again, &error));
  expected = g_strdup_printf("%s: a plugin named 'test-good' is already loaded from %s; remove "
                             "one of the two files",
                             again, first);
  g_assert_cmpstr(error->message, ==, expected);
}

static void
test_allow_list(Fixture *f, gconstpointer data)
{
  const char *only_dup[] = { "test-dup-a", NULL };
  g_autofree char *copy = inf_test_copy_built_plugin("good", f->tmp);
  g_autofree char *dup_copy = inf_test_copy_built_plugin("dup-a", f->tmp);
  g_autoptr(GError) error = NULL;

  (void)data;
  inf_plugin_loader_set_allow_list(f->loader, only_dup);
  g_assert_true(inf_plugin_loader_load_dir(f->loader, f->tmp, &error));
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 1);
  g_assert_cmpstr(((InfPluginRecord *)inf_plugin_loader_get_loaded(f->loader)->pdata[0])->name, ==,
                  "test-dup-a");
  /* Skipped silently in a directory, refused when named. */
  g_assert_cmpuint(inf_plugin_loader_get_refused(f->loader)->len, ==, 0);
  g_assert_false(inf_plugin_loader_load_file(f->loader, copy, &error));
  inf_test_assert_contains(error->message,
                           "plugin 'test-good' is not in the allow list (test-dup-a)");
  g_clear_error(&error);

  /* NULL: everything again. */
  inf_plugin_loader_set_allow_list(f->loader, NULL);
  g_assert_true(inf_plugin_loader_load_file(f->loader, copy, &error));
  g_assert_cmpuint(inf_plugin_loader_get_loaded(f->loader)->len, ==, 2);
}

static void
test_default_path(void)
{
  const char *extra[] = { "/first", "/second", NULL };
  g_auto(GStrv) path = NULL;
  g_auto(GStrv) bare = NULL;

  g_setenv("INF_PLUGIN_PATH", "/env/a::/env/b", TRUE);
  path = inf_plugin_loader_default_path(extra);
  g_assert_cmpuint(g_strv_length(path), ==, 5);
  g_assert_cmpstr(path[0], ==, "/first");
  g_assert_cmpstr(path[1], ==, "/second");
  g_assert_cmpstr(path[2], ==, "/env/a");
  g_assert_cmpstr(path[3], ==, "/env/b");
  /* This test program links the engine statically and has no build-tree
   * marker beside it (only build/core has one): no build dir, only an
   * install dir. */
  g_assert_true(g_str_has_suffix(path[4], "/inf-engine/plugins"));

  g_unsetenv("INF_PLUGIN_PATH");
  bare = inf_plugin_loader_default_path(NULL);
  inf_test_assert_strv(bare, path[4]);
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "good", test_good },
  { "abi-major", test_abi_major },
  { "abi-minor", test_abi_minor },
  { "no-info", test_no_info },
  { "unresolved", test_unresolved },
  { "bad-class", test_bad_class },
  { "silent-failure", test_silent_failure },
  { "crash-in-register", test_crash_in_register },
  { "garbage", test_garbage },
  { "truncated-elf", test_truncated_elf },
  { "empty-file", test_empty_file },
  { "missing-file", test_missing_file },
  { "duplicate-class", test_duplicate_class },
  { "dir", test_dir },
  { "dir-missing", test_dir_missing },
  { "same-file", test_same_file },
  { "refused-once", test_refused_once },
  { "special-files", test_special_files },
  { "plugin-name-shadowing", test_plugin_name_shadowing },
  { "allow-list", test_allow_list },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/loader/", Fixture, fixture_setup, cases, fixture_teardown);
  g_test_add_func("/loader/default-path", test_default_path);
  return g_test_run();
}
