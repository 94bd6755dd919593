/* The out-of-tree plugin of docs/plugin-guide.md: the guide shows
 * tests/plugin/out-of-tree/shout.c verbatim (checked here), and the plugin
 * builds outside the source tree with the guide's command against the
 * uninstalled SDK (and, in the slow suite, against an installed copy) and is
 * listed by `inf-engine plugins --plugin-dir`. */
#include <string.h>
#include <sys/wait.h>

#include "inf-test.h"

/* The guide's build command, run in the plugin's directory. */
#define BUILD_COMMAND \
  "cc -shared -fPIC -o shout.so shout.c $(pkg-config --cflags --libs inf-engine-sdk)"

static char *
source_path(const char *relative)
{
  const char *root = g_getenv("INF_SOURCE_ROOT");

  g_assert_nonnull(root);
  return g_build_filename(root, relative, NULL);
}

static char *
read_file(const char *path)
{
  GError *error = NULL;
  char *contents = NULL;

  if (!g_file_get_contents(path, &contents, NULL, &error))
    g_error("%s", error->message);
  return contents;
}

static gboolean
have_tools(void)
{
  g_autofree char *cc = g_find_program_in_path("cc");
  g_autofree char *pkg_config = g_find_program_in_path("pkg-config");

  if (cc == NULL || pkg_config == NULL) {
    g_test_skip("cc or pkg-config is not installed");
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
    g_printerr("stdout:\n%s\nstderr:\n%s\n", *out, *err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* GCC 12 at -O3 reports a false -Wdangling-pointer on g_autofree strings
 * searched with strstr; the pointers never outlive their strings. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

static void
test_guide_matches_source(void)
{
  g_autofree char *guide_path = source_path("docs/plugin-guide.md");
  g_autofree char *source_file = source_path("tests/plugin/out-of-tree/shout.c");
  g_autofree char *guide = read_file(guide_path);
  g_autofree char *source = read_file(source_file);
  static const char begin[] = "<!-- begin tests/plugin/out-of-tree/shout.c -->\n```c\n";
  const char *marker = strstr(guide, begin);
  const char *start, *end;
  g_autofree char *block = NULL;

  g_assert_nonnull(marker);
  start = marker + strlen(begin);
  end = strstr(start, "```\n<!-- end tests/plugin/out-of-tree/shout.c -->");
  g_assert_nonnull(end);
  block = g_strndup(start, end - start);
  g_assert_cmpstr(block, ==, source);
}

/* Builds shout.c in a fresh temp dir with the guide's command and @env;
 * returns the directory. */
static char *
build_shout(char **env)
{
  g_autofree char *source_file = source_path("tests/plugin/out-of-tree/shout.c");
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *copy = inf_test_copy(source_file, tmp, "shout.c");
  g_autofree char *plugin = g_build_filename(tmp, "shout.so", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status;

  status = spawn(tmp, env, BUILD_COMMAND, NULL, &out, &err);
  if (status != 0)
    g_error("building the guide's plugin failed (%d):\n%s%s", status, out, err);
  g_assert_true(g_file_test(plugin, G_FILE_TEST_IS_REGULAR));
  return g_steal_pointer(&tmp);
}

static void
assert_listed(const char *engine, char **env, const char *dir)
{
  const char *argv[] = { engine, "plugins", "--plugin-dir", dir, NULL };
  const char *inspect_argv[] = { engine, "inspect", "shout", "--plugin-dir", dir, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *inspect_out = NULL, *inspect_err = NULL;
  g_autofree char *line = g_strdup_printf("\n  %s/shout.so\n    name:        shout\n", dir);

  g_assert_cmpint(spawn(NULL, env, NULL, argv, &out, &err), ==, 0);
  inf_test_assert_contains(out, line);
  inf_test_assert_contains(out, "    version:     1.0.0\n");
  inf_test_assert_contains(out, "    modules:     shout\n");
  inf_test_assert_contains(out, "\nRefused (0):\n");

  g_assert_cmpint(spawn(NULL, env, NULL, inspect_argv, &inspect_out, &inspect_err), ==, 0);
  inf_test_assert_contains(inspect_out, "shout (module class)\n");
  inf_test_assert_contains(inspect_out, "  suffix  string  default: \"!\"\n");
  inf_test_assert_contains(inspect_out, "\nInputs:\n  text  required\n");
}

static void
test_build_uninstalled(void)
{
  g_autofree char *pc_dir = g_build_filename(g_getenv("INF_BUILD_ROOT"), "meson-uninstalled", NULL);
  g_auto(GStrv) env = g_get_environ();
  g_autofree char *tmp = NULL;

  if (!have_tools())
    return;
  env = g_environ_setenv(env, "PKG_CONFIG_PATH", pc_dir, TRUE);
  env = g_environ_unsetenv(env, "INF_PLUGIN_PATH");
  tmp = build_shout(env);
  assert_listed(g_getenv("INF_ENGINE"), env, tmp);
  inf_test_rmdir(tmp);
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

static void
test_build_installed(void)
{
  const char *meson = g_getenv("MESON");
  g_autofree char *root = NULL;
  g_autofree char *pc = NULL, *pc_dir = NULL, *engine = NULL, *lib = NULL, *lib_dir = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *tmp = NULL;
  g_auto(GStrv) env = g_get_environ();

  if (!have_tools())
    return;
  if (meson == NULL) {
    g_test_skip("meson is not known (MESON unset)");
    return;
  }
  root = inf_test_mkdtemp("inf-plugin-test");
  {
    g_autofree char *command = g_strdup_printf("%s install -C '%s' --no-rebuild --quiet "
                                               "--destdir '%s'",
                                               meson, g_getenv("INF_BUILD_ROOT"), root);

    if (spawn(NULL, NULL, command, NULL, &out, &err) != 0)
      g_error("meson install failed:\n%s%s", out, err);
  }
  pc = find_file(root, "inf-engine-sdk.pc");
  engine = find_file(root, "inf-engine");
  lib = find_file(root, "libinf-engine.so");
  g_assert_nonnull(pc);
  g_assert_nonnull(engine);
  g_assert_nonnull(lib);
  lib_dir = g_path_get_dirname(lib);

  /* The installed .pc names the final prefix; relocate a copy into the
   * staging dir (prefix=ROOT/PREFIX), as a packager would. */
  {
    g_autofree char *text = read_file(pc);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *relocated = NULL;

    for (char **line = lines; *line != NULL; line++) {
      if (g_str_has_prefix(*line, "prefix=")) {
        char *moved = g_strdup_printf("prefix=%s%s", root, *line + strlen("prefix="));

        g_free(*line);
        *line = moved;
      }
    }
    relocated = g_strjoinv("\n", lines);
    pc_dir = g_build_filename(root, "relocated-pkgconfig", NULL);
    g_assert_cmpint(g_mkdir_with_parents(pc_dir, 0700), ==, 0);
    g_free(inf_test_write(pc_dir, "inf-engine-sdk.pc", relocated));
  }

  env = g_environ_setenv(env, "PKG_CONFIG_PATH", pc_dir, TRUE);
  env = g_environ_setenv(env, "LD_LIBRARY_PATH", lib_dir, TRUE);
  env = g_environ_unsetenv(env, "INF_PLUGIN_PATH");
  tmp = build_shout(env);
  assert_listed(engine, env, tmp);
  inf_test_rmdir(tmp);
  inf_test_rmdir(root);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/out-of-tree/guide-matches-source", test_guide_matches_source);
  g_test_add_func("/out-of-tree/build-uninstalled", test_build_uninstalled);
  /* Slow (a meson install): run on its own with -p (see meson.build). */
  g_test_add_func("/out-of-tree/build-installed", test_build_installed);
  return g_test_run();
}
