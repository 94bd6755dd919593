/* The shared test fixtures: temp dirs, files and JSON lines (inf-test.h). */
#include "inf-test.h"

#include <glib/gstdio.h>
#include <string.h>

char *
inf_test_mkdtemp(const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pattern = g_strdup_printf("%s-XXXXXX", prefix != NULL ? prefix : "inf-test");
  char *dir = g_dir_make_tmp(pattern, &error);
  g_assert_no_error(error);
  return dir;
}

void
inf_test_rmdir(const char *dir)
{
  if (dir == NULL)
    return;
  g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
  const char *name;
  while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
      inf_test_rmdir(path);
    else
      g_unlink(path);
  }
  g_rmdir(dir);
}

int
inf_test_run_in_tmpdir(const char *prefix, char **dir)
{
  *dir = inf_test_mkdtemp(prefix);
  int status = g_test_run();
  inf_test_rmdir(*dir);
  g_clear_pointer(dir, g_free);
  return status;
}

char *
inf_test_write_len(const char *dir, const char *name, const char *data, gssize len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename(dir, name, NULL);
  g_file_set_contents(path, data, len, &error);
  g_assert_no_error(error);
  return path;
}

char *
inf_test_write(const char *dir, const char *name, const char *text)
{
  return inf_test_write_len(dir, name, text, -1);
}

char *
inf_test_write_printf(const char *dir, const char *name, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  return inf_test_write_len(dir, name, text, -1);
}

char *
inf_test_write_text_inputs(const char *dir, const char *name, const char *const *texts, guint n)
{
  g_autoptr(GString) out = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    json_object *line = json_object_new_object();
    json_object_object_add(line, "text", json_object_new_string(texts[i]));
    g_string_append_printf(out, "%s\n",
                           json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
    json_object_put(line);
  }
  return inf_test_write_len(dir, name, out->str, (gssize)out->len);
}

char *
inf_test_copy(const char *src, const char *dir, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_file_get_contents(src, &contents, &len, &error);
  g_assert_no_error(error);
  return inf_test_write_len(dir, name, contents, (gssize)len);
}

char *
inf_test_write_garbage(const char *dir, const char *name, gsize len)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(4242);
  g_autofree char *bytes = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    bytes[i] = (char)g_rand_int_range(rand, 0, 256);
  return inf_test_write_len(dir, name, bytes, (gssize)len);
}

char *
inf_test_read(const char *path)
{
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return NULL;
  return text;
}

char *
inf_test_source_file(const char *relative)
{
  const char *root = g_getenv("INF_SOURCE_ROOT");
  if (root == NULL)
    g_error("INF_SOURCE_ROOT is not set (the test's meson.build sets it)");
  return g_build_filename(root, relative, NULL);
}

char *
inf_test_read_source(const char *relative)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = inf_test_source_file(relative);
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, &error))
    g_error("%s", error->message);
  return text;
}

char *
inf_test_built_file(const char *file)
{
  char *path = g_test_build_filename(G_TEST_BUILT, file, NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    g_error("%s is missing (is G_TEST_BUILDDIR set?)", path);
  return path;
}

char *
inf_test_built_plugin(const char *name)
{
  g_autofree char *file = g_strconcat(name, ".so", NULL);
  return inf_test_built_file(file);
}

char *
inf_test_copy_built_plugin(const char *name, const char *dir)
{
  g_autofree char *src = inf_test_built_plugin(name);
  g_autofree char *file = g_strconcat(name, ".so", NULL);
  return inf_test_copy(src, dir, file);
}

void
inf_test_assert_contains_all_at(const char *file, int line, const char *haystack, ...)
{
  va_list needles;
  const char *needle;
  va_start(needles, haystack);
  while ((needle = va_arg(needles, const char *)) != NULL)
    if (haystack == NULL || strstr(haystack, needle) == NULL)
      g_error("%s:%d: expected to find\n  %s\nin\n  %s", file, line, needle,
              haystack != NULL ? haystack : "(null)");
  va_end(needles);
}

void
inf_test_assert_error_prefix_at(const char *file, int line, const GError *error, GQuark domain,
                                gint code, guint index, const char *prefix)
{
  if (error == NULL || error->domain != domain || error->code != code)
    g_error("%s:%d: case %u: expected error %s #%d, got %s", file, line, index,
            g_quark_to_string(domain), code, error != NULL ? error->message : "no error");
  if (!g_str_has_prefix(error->message, prefix))
    g_error("%s:%d: case %u: %s\n  expected: %s", file, line, index, error->message, prefix);
}

void
inf_test_assert_strv_at(const char *file, int line, const char *const *strv, ...)
{
  va_list expected;
  const char *want;
  guint i = 0;
  g_autofree char *got = g_strjoinv(", ", (char **)strv);
  va_start(expected, strv);
  for (; (want = va_arg(expected, const char *)) != NULL; i++)
    if (strv[i] == NULL || strcmp(strv[i], want) != 0)
      g_error("%s:%d: item %u is '%s', expected '%s' (the list: %s)", file, line, i,
              strv[i] != NULL ? strv[i] : "(end)", want, got);
  va_end(expected);
  if (strv[i] != NULL)
    g_error("%s:%d: an item more than expected: '%s' (the list: %s)", file, line, strv[i], got);
}

static void
put_json(gpointer json)
{
  json_object_put(json);
}

/* Calls @add for each non-empty line of @text, parsed. */
static GPtrArray *
parse_lines(const char *text, gboolean by_index)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func(put_json);
  g_auto(GStrv) split = g_strsplit(text != NULL ? text : "", "\n", -1);
  for (char **line = split; *line != NULL; line++) {
    if (**line == '\0')
      continue;
    json_object *o = json_tokener_parse(*line);
    if (o == NULL)
      g_error("an output line is not JSON: %s", *line);
    if (!by_index) {
      g_ptr_array_add(lines, o);
      continue;
    }
    json_object *index = NULL;
    if (!json_object_object_get_ex(o, "index", &index))
      g_error("an output line has no index: %s", *line);
    guint i = (guint)json_object_get_int(index);
    if (lines->len <= i)
      g_ptr_array_set_size(lines, i + 1);
    if (g_ptr_array_index(lines, i) != NULL)
      g_error("two output lines have index %u", i);
    g_ptr_array_index(lines, i) = o;
  }
  return lines;
}

GPtrArray *
inf_test_parse_lines(const char *text)
{
  return parse_lines(text, FALSE);
}

GPtrArray *
inf_test_parse_lines_by_index(const char *text)
{
  return parse_lines(text, TRUE);
}

json_object *
inf_test_json_get(json_object *o, const char *path)
{
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  for (char **part = parts; *part != NULL && o != NULL; part++) {
    guint64 index;
    if (json_object_is_type(o, json_type_array))
      o = g_ascii_string_to_unsigned(*part, 10, 0, G_MAXINT, &index, NULL)
              ? json_object_array_get_idx(o, (gsize)index)
              : NULL;
    else if (!json_object_object_get_ex(o, *part, &o))
      o = NULL;
  }
  return o;
}

const char *
inf_test_json_get_string(json_object *o, const char *path)
{
  json_object *member = inf_test_json_get(o, path);
  return member != NULL ? json_object_get_string(member) : NULL;
}
