/* Helpers shared by the plugin tests. */
#include <string.h>

#include <glib/gstdio.h>

#include "plugin-test-util.h"

char *
plugin_test_mkdtemp(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("inf-plugin-test-XXXXXX", &error);

  g_assert_no_error(error);
  return dir;
}

void
plugin_test_rmdir(const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;
  while ((name = g_dir_read_name(handle)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);

    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
      plugin_test_rmdir(path);
    else
      g_unlink(path);
  }
  g_rmdir(dir);
}

char *
plugin_test_copy(const char *src, const char *dir, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  char *dest = g_build_filename(dir, name, NULL);
  gsize len;

  g_file_get_contents(src, &contents, &len, &error);
  g_assert_no_error(error);
  g_file_set_contents(dest, contents, len, &error);
  g_assert_no_error(error);
  return dest;
}

char *
plugin_test_write_text(const char *dir, const char *name, const char *text)
{
  g_autoptr(GError) error = NULL;
  char *dest = g_build_filename(dir, name, NULL);

  g_file_set_contents(dest, text, -1, &error);
  g_assert_no_error(error);
  return dest;
}

char *
plugin_test_write_garbage(const char *dir, const char *name, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed(4242);
  g_autofree char *bytes = g_malloc(len);
  char *dest = g_build_filename(dir, name, NULL);

  for (gsize i = 0; i < len; i++)
    bytes[i] = (char)g_rand_int_range(rand, 0, 256);
  g_file_set_contents(dest, bytes, len, &error);
  g_assert_no_error(error);
  return dest;
}

char *
plugin_test_plugin(const char *name)
{
  g_autofree char *file = g_strconcat(name, ".so", NULL);
  char *path = g_test_build_filename(G_TEST_BUILT, file, NULL);

  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    g_error("test plugin %s is missing (is G_TEST_BUILDDIR set?)", path);
  return path;
}
