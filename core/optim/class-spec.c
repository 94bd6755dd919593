/* The {"type": NAME, options...} specs of losses and optimizers. */
#include "optim/class-spec.h"

#include "plugin/registry-private.h"
#include "model/module-private.h"

gconstpointer
inf_class_spec_lookup(InfRegistry *registry, InfClassKind kind, const char *noun, json_object *spec,
                      const char *file, const char *path, GError **error)
{
  const char *sep = *file ? ": " : "";
  json_object *type_obj = NULL;
  if (!spec || !json_object_is_type(spec, json_type_object) ||
      !json_object_object_get_ex(spec, "type", &type_obj) ||
      !json_object_is_type(type_obj, json_type_string)) {
    g_autofree char *upper = g_ascii_strup(noun, -1);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s%s%s: expected an object {\"type\": %s, options...}", file, sep, path, upper);
    return NULL;
  }
  const char *type = json_object_get_string(type_obj);
  g_autoptr(GError) unknown = NULL;
  gconstpointer klass = inf_registry_lookup_class(registry, kind, type, &unknown);
  if (!klass)
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s%s%s.type: %s", file, sep, path,
                unknown->message);
  return klass;
}

void
inf_class_spec_init_error(GError **error, GError *local, const char *type, const char *file,
                          const char *path)
{
  inf_class_init_error(error, local, type, file, path);
}
