/* Lookups in json-c objects that tolerate missing and mistyped members. */
#include <inf/json-util.h>

json_object *
inf_json_get_member (json_object *object, const char *name, json_type type)
{
  json_object *value;

  g_return_val_if_fail (name != NULL, NULL);
  if (object == NULL || !json_object_is_type (object, json_type_object)
      || !json_object_object_get_ex (object, name, &value)
      || !json_object_is_type (value, type))
    return NULL;
  return value;
}

const char *
inf_json_get_string (json_object *object, const char *name)
{
  json_object *value = inf_json_get_member (object, name, json_type_string);
  return value != NULL ? json_object_get_string (value) : NULL;
}

gint64
inf_json_get_count (json_object *object, const char *name)
{
  json_object *value = inf_json_get_member (object, name, json_type_int);
  return value != NULL ? MAX (json_object_get_int64 (value), 0) : 0;
}

void
inf_json_merge_members (json_object *into, json_object *from)
{
  if (into == NULL || from == NULL || into == from
      || !json_object_is_type (into, json_type_object)
      || !json_object_is_type (from, json_type_object))
    return;
  json_object_object_foreach (from, key, value)
    json_object_object_add (into, key, json_object_get (value));
}
