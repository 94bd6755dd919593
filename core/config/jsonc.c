/* The config files' JSON reader: JSON with comments, one key per object,
 * errors with line and column (see jsonc.h). */
#include "config/jsonc.h"

#include <string.h>

/* Skips white space and comments from @p; returns where it stopped. */
static const char *
skip_space_and_comments(const char *p, const char *end)
{
  while (p < end) {
    if (g_ascii_isspace(*p))
      p++;
    else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
      while (p < end && *p != '\n')
        p++;
    } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
      const char *close = g_strstr_len(p + 2, end - (p + 2), "*/");
      if (close == NULL)
        return p;
      p = close + 2;
    } else
      break;
  }
  return p;
}

static void
line_column(const char *text, gsize offset, guint *line, guint *column)
{
  *line = 1;
  *column = 1;
  for (gsize i = 0; i < offset && text[i]; i++) {
    if (text[i] == '\n') {
      (*line)++;
      *column = 1;
    } else if (((guchar)text[i] & 0xC0) != 0x80) /* count characters, not bytes */
      (*column)++;
  }
}

/* One open object while scanning for duplicate keys. */
typedef struct {
  gboolean is_object;
  gboolean expect_key;
  GHashTable *keys; /* raw key text → offset of its first occurrence (objects only) */
} ScanFrame;

/* Finds the end of the string literal starting at @p (its opening quote). */
static const char *
string_end(const char *p, const char *end)
{
  for (p++; p < end; p++) {
    if (*p == '\\')
      p++;
    else if (*p == '"')
      return p + 1;
  }
  return end;
}

/* Checks @text (already parsed successfully by json-c, which keeps the last of
 * two equal keys silently) for an object with the same key twice. On a
 * duplicate returns FALSE with the key and both offsets. */
static gboolean
find_duplicate_key(const char *text, gsize length, char **key, gsize *first, gsize *second)
{
  const char *p = text, *end = text + length;
  g_autoptr(GArray) stack = g_array_new(FALSE, TRUE, sizeof(ScanFrame));
  gboolean ok = TRUE;
  while (ok && (p = skip_space_and_comments(p, end)) < end) {
    ScanFrame *top = stack->len ? &g_array_index(stack, ScanFrame, stack->len - 1) : NULL;
    if (*p == '{' || *p == '[') {
      ScanFrame frame = { *p == '{', *p == '{', NULL };
      if (frame.is_object)
        frame.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
      g_array_append_val(stack, frame);
      p++;
    } else if (*p == '}' || *p == ']') {
      if (top && top->keys)
        g_hash_table_destroy(top->keys);
      if (top)
        g_array_set_size(stack, stack->len - 1);
      p++;
    } else if (*p == ',') {
      if (top && top->is_object)
        top->expect_key = TRUE;
      p++;
    } else if (*p == '"') {
      const char *close = string_end(p, end);
      if (top && top->is_object && top->expect_key) {
        char *raw = g_strndup(p + 1, MAX(close - p - 2, 0));
        gpointer seen;
        if (g_hash_table_lookup_extended(top->keys, raw, NULL, &seen)) {
          *key = raw;
          *first = GPOINTER_TO_SIZE(seen);
          *second = p - text;
          ok = FALSE;
        } else
          g_hash_table_insert(top->keys, raw, GSIZE_TO_POINTER((gsize)(p - text)));
        top->expect_key = FALSE;
      }
      p = close;
    } else
      p++;
  }
  for (guint i = 0; i < stack->len; i++)
    if (g_array_index(stack, ScanFrame, i).keys)
      g_hash_table_destroy(g_array_index(stack, ScanFrame, i).keys);
  return ok;
}

gboolean
inf_jsonc_parse_file(const char *file, json_object **json_out, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) local = NULL;
  *json_out = NULL;
  if (!g_file_get_contents(file, &text, &length, &local)) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "%s: cannot read the file: %s", file,
                local->message);
    return FALSE;
  }
  if (length >= G_MAXINT) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: the file is too large", file);
    return FALSE;
  }
  /* A document that is a bare literal ("null", "42") is parsed with its
   * terminating NUL, so that it ends there instead of waiting for more text. */
  const char *first = skip_space_and_comments(text, text + length);
  gboolean bare = first < text + length && *first != '{' && *first != '[' && *first != '"';
  json_tokener *tok = json_tokener_new();
  json_object *json = json_tokener_parse_ex(tok, text, (int)length + (bare ? 1 : 0));
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  gsize end = MIN(json_tokener_get_parse_end(tok), length);
  json_tokener_free(tok);

  const char *problem = NULL;
  g_autofree char *owned_problem = NULL;
  if (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof) {
    problem = "unexpected end of file (an object, list or string is not closed)";
    end = length;
  } else if (jerr == json_tokener_error_depth)
    problem = "nesting too deep (at most 32 levels of objects and lists)";
  else if (jerr != json_tokener_success)
    problem = json_tokener_error_desc(jerr);
  else {
    const char *rest = skip_space_and_comments(text + end, text + length);
    g_autofree char *key = NULL;
    gsize first = 0, second = 0;
    if (rest < text + length) {
      problem = "unexpected text after the end of the JSON document";
      end = rest - text;
    } else if (!find_duplicate_key(text, length, &key, &first, &second)) {
      guint line, column;
      line_column(text, first, &line, &column);
      g_autofree char *shown = g_strescape(key, NULL);
      problem = owned_problem = g_strdup_printf(
          "duplicate key \"%s\" in one object (first at line %u, column %u): each key may "
          "appear once",
          shown, line, column);
      end = second;
    }
  }
  if (problem) {
    json_object_put(json);
    guint line, column;
    line_column(text, end, &line, &column);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s:%u:%u: JSON syntax error: %s", file, line,
                column, problem);
    return FALSE;
  }
  *json_out = json;
  return TRUE;
}
