/* Validation of a config block's scalar fields (see config-fields.h). */
#include "resources/config-fields.h"

#include <math.h>

#include "model/options-private.h"

/* A whole number written as a decimal, as a JSON integer (saturated at the
 * 64-bit range); NULL for anything else. */
static json_object *
whole_number_as_int(json_object *value)
{
  if (!json_object_is_type(value, json_type_double))
    return NULL;
  double d = json_object_get_double(value);
  if (!isfinite(d) || d != floor(d))
    return NULL;
  if (d >= (double)G_MAXINT64)
    return json_object_new_int64(G_MAXINT64);
  if (d <= (double)G_MININT64)
    return json_object_new_int64(G_MININT64);
  return json_object_new_int64((gint64)d);
}

/* Whether @key names an INT field of @fields. */
static gboolean
is_int_field(const InfOptionSpec *fields, const char *key)
{
  for (const InfOptionSpec *spec = fields; spec->name != NULL; spec++)
    if (g_str_equal(spec->name, key))
      return spec->type == INF_OPTION_INT;
  return FALSE;
}

InfOptions *
inf_config_fields_parse(const InfOptionSpec *fields, json_object *json, const char *file,
                        const char *json_path, GError **error)
{
  /* A shallow copy with the INT fields' whole decimals as integers. */
  json_object *given = json_object_new_object();
  json_object_object_foreach(json, key, value)
  {
    json_object *as_int = is_int_field(fields, key) ? whole_number_as_int(value) : NULL;
    json_object_object_add(given, key, as_int ? as_int : json_object_get(value));
  }
  InfOptions *options =
      inf_options_new_for_class(fields, NULL, given, NULL, NULL, file, json_path, NULL, error);
  json_object_put(given);
  return options;
}
