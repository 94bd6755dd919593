/* Lookups in json-c objects that tolerate missing and mistyped members. */
#include <inf/json-util.h>
#include <inf/text.h>

#include <math.h>
#include <string.h>

json_object *
inf_json_get_member(json_object *object, const char *name, json_type type)
{
  json_object *value;

  g_return_val_if_fail(name != NULL, NULL);
  if (object == NULL || !json_object_is_type(object, json_type_object) ||
      !json_object_object_get_ex(object, name, &value) || !json_object_is_type(value, type))
    return NULL;
  return value;
}

const char *
inf_json_get_string(json_object *object, const char *name)
{
  json_object *value = inf_json_get_member(object, name, json_type_string);
  return value != NULL ? json_object_get_string(value) : NULL;
}

gint64
inf_json_get_count(json_object *object, const char *name)
{
  json_object *value = inf_json_get_member(object, name, json_type_int);
  return value != NULL ? MAX(json_object_get_int64(value), 0) : 0;
}

void
inf_json_merge_members(json_object *into, json_object *from)
{
  if (into == NULL || from == NULL || into == from ||
      !json_object_is_type(into, json_type_object) || !json_object_is_type(from, json_type_object))
    return;
  json_object_object_foreach(from, key, value)
      json_object_object_add(into, key, json_object_get(value));
}

/* "path.key" or "path[i]" for messages; "(top level)" for the root. */
static char *
child_path(const char *path, const char *key, gsize index)
{
  if (key != NULL)
    return path[0] ? g_strconcat(path, ".", key, NULL) : g_strdup(key);
  return g_strdup_printf("%s[%" G_GSIZE_FORMAT "]", path, index);
}

static char *
string_problem(const char *path, const char *what, const char *s, gsize len)
{
  if (strlen(s) != len)
    return g_strdup_printf("%s: %s contains a NUL character (\\u0000), which inf-engine does "
                           "not pass on",
                           path[0] ? path : "(top level)", what);
  if (!inf_text_validate_utf8(s, (gssize)len))
    return g_strdup_printf("%s: %s is not valid UTF-8", path[0] ? path : "(top level)", what);
  return NULL;
}

static char *
describe_unportable(json_object *json, const char *path)
{
  const char *where = path[0] ? path : "(top level)";
  switch (json_object_get_type(json)) {
  case json_type_double:
    if (!isfinite(json_object_get_double(json)))
      return g_strdup_printf("%s: %s is not a finite number (JSON has no NaN or Infinity, and "
                             "a double cannot hold it)",
                             where, json_object_to_json_string(json));
    return NULL;
  case json_type_int:
    if (json_object_get_int64(json) == G_MININT64 ||
        json_object_get_uint64(json) > (guint64)G_MAXINT64)
      return g_strdup_printf("%s: the integer is out of range (at most 19 digits, "
                             "-9223372036854775807 to 9223372036854775807); pass it as a "
                             "string",
                             where);
    return NULL;
  case json_type_string:
    return string_problem(path, "the string", json_object_get_string(json),
                          (gsize)json_object_get_string_len(json));
  case json_type_array:
    for (gsize i = 0; i < json_object_array_length(json); i++) {
      g_autofree char *sub = child_path(path, NULL, i);
      char *problem = describe_unportable(json_object_array_get_idx(json, i), sub);
      if (problem != NULL)
        return problem;
    }
    return NULL;
  case json_type_object: {
    json_object_object_foreach(json, key, value)
    {
      char *problem = string_problem(path, "a key", key, strlen(key));
      if (problem != NULL)
        return problem;
      g_autofree char *sub = child_path(path, key, 0);
      problem = describe_unportable(value, sub);
      if (problem != NULL)
        return problem;
    }
    return NULL;
  }
  case json_type_null:
  case json_type_boolean:
    return NULL;
  }
  return NULL;
}

char *
inf_json_describe_unportable(json_object *json)
{
  return describe_unportable(json, "");
}
