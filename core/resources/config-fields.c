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

InfOptions *
inf_config_fields_parse(const InfOptionSpec *fields, json_object *json, const char *file,
                        const char *json_path, GError **error)
{
  /* A shallow copy with the INT fields' whole decimals as integers. */
  json_object *given = json_object_new_object();
  json_object_object_foreach(json, key, value)
  {
    const InfOptionSpec *spec = inf_option_spec_find(fields, key);
    json_object *as_int =
        spec != NULL && spec->type == INF_OPTION_INT ? whole_number_as_int(value) : NULL;
    json_object_object_add(given, key, as_int ? as_int : json_object_get(value));
  }
  InfOptions *options =
      inf_options_new_for_class(fields, NULL, given, NULL, NULL, file, json_path, NULL, error);
  json_object_put(given);
  return options;
}
