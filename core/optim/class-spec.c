/* The {"type": NAME, options...} specs of losses and optimizers. */
#include "optim/class-spec.h"

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
  gconstpointer klass = kind == INF_CLASS_LOSS
                            ? (gconstpointer)inf_registry_lookup_loss_class(registry, type)
                            : (gconstpointer)inf_registry_lookup_optimizer_class(registry, type);
  if (!klass) {
    g_auto(GStrv) known = inf_registry_list(registry, kind);
    g_autofree char *list = known && known[0] ? g_strjoinv(", ", known) : g_strdup("(none)");
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s%s%s.type: unknown %s type '%s'; known %s types: %s", file, sep, path, noun,
                type, noun, list);
  }
  return klass;
}

void
inf_class_spec_init_error(GError **error, GError *local, const char *file, const char *path)
{
  if (!local)
    local = g_error_new(INF_ERROR, INF_ERROR_CONFIG, "init failed without a message");
  g_set_error(error, local->domain, local->code, "%s%s%s: %s", file, *file ? ": " : "", path,
              local->message);
  g_error_free(local);
}
