/* Field paths into JSON values. */
#include "losses-field.h"

#include <string.h>

gboolean
losses_field_path_is_valid(const char *path)
{
  g_autoptr(GRegex) re =
      g_regex_new("^[^.\\[\\]]+(\\[[0-9]+\\])*(\\.[^.\\[\\]]+(\\[[0-9]+\\])*)*$", 0, 0, NULL);
  return path != NULL && g_regex_match(re, path, 0, NULL);
}

json_object *
losses_field_get(json_object *root, const char *path, gboolean *found)
{
  g_auto(GStrv) parts = g_strsplit(path, ".", -1);
  json_object *cur = root;
  *found = FALSE;
  for (char **p = parts; *p; p++) {
    char *bracket = strchr(*p, '[');
    g_autofree char *name = g_strndup(*p, bracket ? (gsize)(bracket - *p) : strlen(*p));
    if (!json_object_is_type(cur, json_type_object) || !json_object_object_get_ex(cur, name, &cur))
      return NULL;
    while (bracket) {
      guint64 index = g_ascii_strtoull(bracket + 1, NULL, 10);
      if (!json_object_is_type(cur, json_type_array) || index >= json_object_array_length(cur))
        return NULL;
      cur = json_object_array_get_idx(cur, index);
      bracket = strchr(bracket + 1, '[');
    }
  }
  *found = TRUE;
  return cur;
}
