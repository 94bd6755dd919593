/* The plugin author's paths of docs/plugin-guide.md, tested as written:
 *  - every file the guide shows between <!-- begin FILE --> and
 *    <!-- end FILE --> (the `shout` module, the `reverse` in-process client,
 *    their configs and the meson.build) is that file of
 *    tests/plugin/out-of-tree/, byte for byte;
 *  - the uninstalled and the installed inf-engine-sdk.pc: plugindir, and
 *    Cflags with the SDK's include dirs only;
 *  - both examples built outside the source tree with the guide's cc
 *    command and with its meson.build, against the uninstalled SDK and
 *    against an install (meson install --destdir into a temp dir), and run
 *    in a real pipeline with `inf-engine run --plugin-dir`, with
 *    INF_PLUGIN_PATH, and (meson install) from the install's plugin dir;
 *  - the installed files name no build-tree path, the installed program
 *    runs configs/quickstart.json offline with its installed mock plugin, and
 *    the SDK library's SONAME matches its file names. */
#include <string.h>
#include <sys/wait.h>

#include "inf-test.h"

/* The guide's build command for @name (shout, reverse), run in its dir. */
#define CC_COMMAND(name) \
  "cc -shared -fPIC -o " name ".so " name ".c $(pkg-config --cflags --libs inf-engine-sdk)"

/* The example files of tests/plugin/out-of-tree/ the guide shows. */
static const char *const example_files[] = { "shout.c", "reverse.c", "meson.build", "shout.json",
                                             "reverse.json" };

static char *
read_file(const char *path)
{
  GError *error = NULL;
  char *contents = NULL;

  if (!g_file_get_contents(path, &contents, NULL, &error))
    g_error("%s", error->message);
  return contents;
}

/* Skips the test (with the reason) when a tool the guide uses is missing. */
static gboolean
have_tools(gboolean with_meson)
{
  const char *tools[] = { "cc", "pkg-config" };

  for (guint i = 0; i < G_N_ELEMENTS(tools); i++) {
    g_autofree char *found = g_find_program_in_path(tools[i]);

    if (found == NULL) {
      g_autofree char *message = g_strdup_printf("%s is not installed", tools[i]);

      g_test_skip(message);
      return FALSE;
    }
  }
  if (with_meson && g_getenv("MESON") == NULL) {
    g_test_skip("meson is not installed (MESON unset)");
    return FALSE;
  }
  return TRUE;
}

/* Runs @argv (or, with @shell, sh -c @shell) in @cwd with @env; returns the
 * exit status and stdout/stderr. */
static int
spawn(const char *cwd, char **env, const char *shell, const char *const *argv, char **out,
      char **err)
{
  const char *sh_argv[] = { "/bin/sh", "-c", shell, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync(cwd, (char **)(shell != NULL ? sh_argv : argv), env, G_SPAWN_SEARCH_PATH, NULL, NULL,
               out, err, &status, &error);
  g_assert_no_error(error);
  if (g_test_verbose())
    g_printerr("%s\nstdout:\n%s\nstderr:\n%s\n", shell != NULL ? shell : argv[0], *out, *err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs the shell @command in @cwd with @env; fails the test unless it
 * succeeds. Returns its stdout. */
static char *
run_ok(const char *cwd, char **env, const char *command)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = spawn(cwd, env, command, NULL, &out, &err);

  if (status != 0)
    g_error("`%s` in %s failed (%d):\n%s%s", command, cwd != NULL ? cwd : ".", status, out, err);
  return g_steal_pointer(&out);
}

/* GCC 12 at -O3 reports a false -Wdangling-pointer on g_autofree strings
 * searched with strstr; the pointers never outlive their strings. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

static void
test_guide_matches_files(void)
{
  g_autofree char *guide = inf_test_read_source("docs/plugin-guide.md");

  for (guint i = 0; i < G_N_ELEMENTS(example_files); i++) {
    g_autofree char *relative =
        g_build_filename("tests/plugin/out-of-tree", example_files[i], NULL);
    g_autofree char *file = inf_test_read_source(relative);
    g_autofree char *begin = g_strdup_printf("<!-- begin %s -->\n```", relative);
    g_autofree char *end = g_strdup_printf("```\n<!-- end %s -->", relative);
    const char *start = strstr(guide, begin);
    const char *stop;
    g_autofree char *block = NULL;

    if (start == NULL)
      g_error("docs/plugin-guide.md does not show %s (no '%s')", relative, begin);
    start = strchr(start + strlen(begin), '\n') + 1; /* past the ```lang line */
    stop = strstr(start, end);
    g_assert_nonnull(stop);
    block = g_strndup(start, stop - start);
    if (strcmp(block, file) != 0)
      g_error("docs/plugin-guide.md shows %s differently from the file:\n--- guide\n%s--- file\n%s",
              relative, block, file);
  }
}

/* `pkg-config @args inf-engine-sdk` with @env, stripped. */
static char *
pkg_config(char **env, const char *args)
{
  g_autofree char *command = g_strdup_printf("pkg-config %s inf-engine-sdk", args);

  return g_strstrip(run_ok(NULL, env, command));
}

/* Every -I of @cflags is one of @allowed (and each allowed dir is there):
 * the SDK's include dirs, nothing of core/. */
static void
assert_include_dirs(const char *cflags, const char *const *allowed, guint n_allowed)
{
  g_auto(GStrv) words = g_strsplit(cflags, " ", -1);
  guint seen = 0;

  for (char **w = words; *w != NULL; w++) {
    gboolean ok = FALSE;

    if (!g_str_has_prefix(*w, "-I"))
      continue;
    for (guint i = 0; i < n_allowed; i++) {
      if (strcmp(*w + 2, allowed[i]) == 0) {
        ok = TRUE;
        seen |= 1u << i;
      }
    }
    /* glib's and json-c's own dirs come from their .pc files. */
    if (!ok && (strstr(*w, "glib") != NULL || strstr(*w, "json-c") != NULL))
      ok = TRUE;
    if (!ok)
      g_error("inf-engine-sdk Cflags expose %s: %s", *w, cflags);
  }
  g_assert_cmpuint(seen, ==, (1u << n_allowed) - 1);
}

/* The environment of the guide's commands: PKG_CONFIG_PATH=@pc_dir, no
 * INF_PLUGIN_PATH and no LD_LIBRARY_PATH (the program must find its library
 * and plugins by itself). */
static char **
guide_env(const char *pc_dir)
{
  char **env = g_get_environ();

  env = g_environ_setenv(env, "PKG_CONFIG_PATH", pc_dir, TRUE);
  env = g_environ_unsetenv(env, "INF_PLUGIN_PATH");
  env = g_environ_unsetenv(env, "LD_LIBRARY_PATH");
  return env;
}

/* A temp dir with copies of the examples. */
static char *
copy_examples(void)
{
  char *tmp = inf_test_mkdtemp("inf-plugin-test");

  for (guint i = 0; i < G_N_ELEMENTS(example_files); i++) {
    g_autofree char *relative =
        g_build_filename("tests/plugin/out-of-tree", example_files[i], NULL);
    g_autofree char *path = inf_test_source_file(relative);

    g_free(inf_test_copy(path, tmp, example_files[i]));
  }
  return tmp;
}

/* Runs the two example pipelines with @engine from @cwd; @plugin_args are
 * the extra arguments (" --plugin-dir 'DIR'" or ""), @env may set
 * INF_PLUGIN_PATH. Each must give its plugin's output. */
static void
run_pipelines(const char *engine, char **env, const char *cwd, const char *plugin_args)
{
  g_autofree char *shout = g_strdup_printf(
      "echo '{\"text\": \"hello\"}' | '%s' run shout.json --quiet%s", engine, plugin_args);
  g_autofree char *reverse =
      g_strdup_printf("printf '%%s\\n' '{\"prompt\": \"stressed\"}' '{\"prompt\": \"héllo\"}' | "
                      "'%s' run reverse.json --quiet --ordered%s",
                      engine, plugin_args);
  g_autofree char *shout_out = run_ok(cwd, env, shout);
  g_autofree char *reverse_out = run_ok(cwd, env, reverse);

  inf_test_assert_contains(shout_out, "{\"index\":0,\"outputs\":\"HELLO!!\",");
  inf_test_assert_contains_all(reverse_out, "{\"index\":0,\"outputs\":\"> desserts\",",
                               "{\"index\":1,\"outputs\":\"> olléh\",");
}

/* Builds both examples in a copy with the guide's cc commands and runs them
 * with --plugin-dir and with INF_PLUGIN_PATH. */
static void
check_cc_recipe(const char *engine, char **env)
{
  g_autofree char *dir = copy_examples();
  g_autofree char *plugin_dir = g_strdup_printf(" --plugin-dir '%s'", dir);
  g_auto(GStrv) path_env = g_environ_setenv(g_strdupv(env), "INF_PLUGIN_PATH", dir, TRUE);

  g_free(run_ok(dir, env, CC_COMMAND("shout")));
  g_free(run_ok(dir, env, CC_COMMAND("reverse")));
  run_pipelines(engine, env, dir, plugin_dir);
  run_pipelines(engine, path_env, dir, "");
  {
    g_autofree char *command = g_strdup_printf("'%s' inspect client:reverse%s", engine, plugin_dir);
    g_autofree char *out = run_ok(dir, env, command);

    inf_test_assert_contains_all(out, "reverse (client class)\n",
                                 "  prefix  string  default: \"\"\n");
  }
  inf_test_rmdir(dir);
}

/* Builds both examples with the guide's meson.build and runs them from the
 * build dir with --plugin-dir; with @install, also `meson install`s them
 * (into the SDK's plugindir) and runs them with no plugin option. */
static void
check_meson_recipe(const char *engine, char **env, gboolean install)
{
  const char *meson = g_getenv("MESON");
  g_autofree char *dir = copy_examples();
  g_autofree char *build = g_build_filename(dir, "build", NULL);
  g_autofree char *plugin_dir = g_strdup_printf(" --plugin-dir '%s'", build);
  g_autofree char *setup = g_strdup_printf("'%s' setup build", meson);
  g_autofree char *compile = g_strdup_printf("'%s' compile -C build", meson);

  g_free(run_ok(dir, env, setup));
  g_free(run_ok(dir, env, compile));
  run_pipelines(engine, env, dir, plugin_dir);
  if (install) {
    g_autofree char *command = g_strdup_printf("'%s' install -C build", meson);
    g_autofree char *plugindir = pkg_config(env, "--variable=plugindir");
    g_autofree char *shout = g_build_filename(plugindir, "shout.so", NULL);
    g_autofree char *reverse = g_build_filename(plugindir, "reverse.so", NULL);

    g_free(run_ok(dir, env, command));
    g_assert_true(g_file_test(shout, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(reverse, G_FILE_TEST_IS_REGULAR));
    run_pipelines(engine, env, dir, "");
  }
  inf_test_rmdir(dir);
}

static void
test_uninstalled(void)
{
  const char *build_root = g_getenv("INF_BUILD_ROOT");
  g_autofree char *pc_dir = g_build_filename(build_root, "meson-uninstalled", NULL);
  g_autofree char *build_inc = g_build_filename(build_root, "sdk", "include", NULL);
  g_autofree char *source_inc = inf_test_source_file("sdk/include");
  g_autofree char *build_plugins = g_build_filename(build_root, "plugins", NULL);
  g_autofree char *version_h = g_build_filename(build_inc, "inf", "version.h", NULL);
  const char *allowed[] = { build_inc, source_inc };
  g_auto(GStrv) env = guide_env(pc_dir);
  g_autofree char *plugindir = NULL;
  g_autofree char *cflags = NULL;

  if (!have_tools(TRUE))
    return;
  plugindir = pkg_config(env, "--variable=plugindir");
  g_assert_cmpstr(plugindir, ==, build_plugins);
  cflags = pkg_config(env, "--cflags");
  assert_include_dirs(cflags, allowed, G_N_ELEMENTS(allowed));
  g_assert_true(g_file_test(version_h, G_FILE_TEST_IS_REGULAR)); /* the generated header */

  check_cc_recipe(g_getenv("INF_ENGINE"), env);
  /* No meson install here: it would write into the build tree's plugins. */
  check_meson_recipe(g_getenv("INF_ENGINE"), env, FALSE);
}

/* The first file named @name under @dir (depth first), or NULL. */
static char *
find_file(const char *dir, const char *name)
{
  g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
  const char *entry;

  if (handle == NULL)
    return NULL;
  while ((entry = g_dir_read_name(handle)) != NULL) {
    g_autofree char *path = g_build_filename(dir, entry, NULL);

    if (strcmp(entry, name) == 0 && !g_file_test(path, G_FILE_TEST_IS_DIR))
      return g_steal_pointer(&path);
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
      char *found = find_file(path, name);

      if (found != NULL)
        return found;
    }
  }
  return NULL;
}

/* Fails when a regular file under @dir contains @needle (the build dir). */
static guint
assert_no_file_contains(const char *dir, const char *needle)
{
  g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
  const char *entry;
  guint checked = 0;

  g_assert_nonnull(handle);
  while ((entry = g_dir_read_name(handle)) != NULL) {
    g_autofree char *path = g_build_filename(dir, entry, NULL);

    if (g_file_test(path, G_FILE_TEST_IS_SYMLINK))
      continue;
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
      checked += assert_no_file_contains(path, needle);
      continue;
    }
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
    if (memmem(contents, length, needle, strlen(needle)) != NULL)
      g_error("the installed file %s contains the build dir %s", path, needle);
    checked++;
  }
  return checked;
}

/* The SONAME of the shared library @path (readelf -d). */
static char *
soname(const char *path)
{
  g_autofree char *command = g_strdup_printf("readelf -d '%s'", path);
  g_autofree char *out = run_ok(NULL, NULL, command);
  const char *start = strstr(out, "Library soname: [");

  g_assert_nonnull(start);
  start += strlen("Library soname: [");
  return g_strndup(start, strcspn(start, "]"));
}

/* libinf-engine.so -> libinf-engine.so.MAJOR (the SONAME, also inside the
 * file) -> libinf-engine.so.MAJOR.MINOR.0, the real file. */
static void
assert_soname_matches(const char *lib_dir)
{
  g_autofree char *dev = g_build_filename(lib_dir, "libinf-engine.so", NULL);
  g_autofree char *dev_target = g_file_read_link(dev, NULL);
  g_autofree char *name = NULL;
  g_autofree char *so_path = NULL;
  g_autofree char *so_target = NULL;
  g_autofree char *real_path = NULL;
  g_autofree char *real_prefix = NULL;
  g_autofree char *real_soname = NULL;

  g_assert_nonnull(dev_target);
  name = soname(dev);
  g_assert_cmpstr(dev_target, ==, name);
  g_assert_true(g_str_has_prefix(name, "libinf-engine.so."));
  so_path = g_build_filename(lib_dir, name, NULL);
  so_target = g_file_read_link(so_path, NULL);
  g_assert_nonnull(so_target);
  real_path = g_build_filename(lib_dir, so_target, NULL);
  g_assert_true(g_file_test(real_path, G_FILE_TEST_IS_REGULAR));
  g_assert_false(g_file_test(real_path, G_FILE_TEST_IS_SYMLINK));
  /* the file's own name begins with its SONAME: libinf-engine.so.1.x.y */
  real_prefix = g_strconcat(name, ".", NULL);
  g_assert_true(g_str_has_prefix(so_target, real_prefix));
  real_soname = soname(real_path);
  g_assert_cmpstr(real_soname, ==, name);
}

static void
test_installed(void)
{
  const char *meson = g_getenv("MESON");
  const char *build_root = g_getenv("INF_BUILD_ROOT");
  g_autofree char *root = NULL;
  g_autofree char *pc = NULL, *pc_dir = NULL, *engine = NULL, *lib = NULL, *lib_dir = NULL;
  g_autofree char *prefix = NULL;
  g_auto(GStrv) env = NULL;

  if (!have_tools(TRUE))
    return;
  root = inf_test_mkdtemp("inf-plugin-test");
  {
    g_autofree char *command = g_strdup_printf(
        "'%s' install -C '%s' --no-rebuild --quiet --destdir '%s'", meson, build_root, root);

    g_free(run_ok(NULL, NULL, command));
  }
  pc = find_file(root, "inf-engine-sdk.pc");
  engine = find_file(root, "inf-engine");
  lib = find_file(root, "libinf-engine.so");
  g_assert_nonnull(pc);
  g_assert_nonnull(engine);
  g_assert_nonnull(lib);
  lib_dir = g_path_get_dirname(lib);

  /* Nothing installed names the build dir (not even debug info). */
  g_assert_cmpuint(assert_no_file_contains(root, build_root), >, 10);
  assert_soname_matches(lib_dir);

  /* The installed .pc names the final prefix; a copy moved into the staging
   * dir (prefix=ROOT/PREFIX) is the .pc of an install with that prefix. */
  {
    g_autofree char *text = read_file(pc);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *relocated = NULL;

    inf_test_assert_contains_all(text, "\nplugindir=${libdir}/inf-engine/plugins\n",
                                 "\nCflags: -I${includedir}\n");
    for (char **line = lines; *line != NULL; line++) {
      if (g_str_has_prefix(*line, "prefix=")) {
        prefix = g_strconcat(root, *line + strlen("prefix="), NULL);
        g_free(*line);
        *line = g_strconcat("prefix=", prefix, NULL);
      }
    }
    relocated = g_strjoinv("\n", lines);
    pc_dir = g_build_filename(root, "relocated-pkgconfig", NULL);
    g_assert_cmpint(g_mkdir_with_parents(pc_dir, 0700), ==, 0);
    g_free(inf_test_write(pc_dir, "inf-engine-sdk.pc", relocated));
  }
  env = guide_env(pc_dir);
  {
    g_autofree char *plugindir = pkg_config(env, "--variable=plugindir");
    g_autofree char *expected = g_build_filename(lib_dir, "inf-engine", "plugins", NULL);
    g_autofree char *cflags = pkg_config(env, "--cflags");
    g_autofree char *include = g_build_filename(prefix, "include", NULL);
    const char *allowed[] = { include };
    g_autofree char *mock = g_build_filename(expected, "mock.so", NULL);

    g_assert_cmpstr(plugindir, ==, expected);
    g_assert_true(g_file_test(mock, G_FILE_TEST_IS_REGULAR));
    assert_include_dirs(cflags, allowed, G_N_ELEMENTS(allowed));
  }

  /* The installed program runs the quickstart offline with the installed
   * mock plugin, found relative to its library. */
  {
    g_autofree char *config = inf_test_source_file("configs/quickstart.json");
    g_autofree char *input = inf_test_source_file("configs/quickstart.jsonl");
    g_autofree char *command =
        g_strdup_printf("'%s' run '%s' --input '%s' --quiet", engine, config, input);
    g_autofree char *out = run_ok(NULL, env, command);

    inf_test_assert_contains(out, "\"report\":\"mock-");
    g_assert_null(strstr(out, "\"errors\""));
  }

  check_cc_recipe(engine, env);
  check_meson_recipe(engine, env, TRUE);
  inf_test_rmdir(root);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/out-of-tree/guide-matches-files", test_guide_matches_files);
  g_test_add_func("/out-of-tree/uninstalled", test_uninstalled);
  g_test_add_func("/out-of-tree/installed", test_installed);
  return g_test_run();
}
