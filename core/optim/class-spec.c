/* The {"type": NAME, options...} specs of losses and optimizers. */
#include "optim/class-spec.h"

#include "plugin/registry-private.h"
#include "model/module-private.h"

static const char *const skip_keys[] = { "type", NULL };

/* The class of @kind that @spec names, or NULL with an INF_ERROR_CONFIG
 * error at @path of @file (@file may be empty) naming the known types.
 * @noun ("loss", "optimizer") is used in messages. */
static gconstpointer
lookup(InfRegistry *registry, InfClassKind kind, const char *noun, json_object *spec,
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

gboolean
inf_class_spec_resolve(InfRegistry *registry, InfClassKind kind, json_object *spec,
                       const char *file, const char *json_path, const InfOptionsResolver *resolver,
                       InfClassSpec *out, GError **error)
{
  g_return_val_if_fail(kind == INF_CLASS_LOSS || kind == INF_CLASS_OPTIMIZER, FALSE);
  const char *noun = kind == INF_CLASS_LOSS ? "loss" : "optimizer";
  *out = (InfClassSpec){
    .file = file && *file ? file : "",
    .path = json_path && *json_path ? json_path : noun,
  };
  gconstpointer klass = lookup(registry, kind, noun, spec, out->file, out->path, error);
  if (!klass)
    return FALSE;
  /* the ABI 1.0 heads of both class structs, and the function training needs */
  const char *name, *needed;
  const InfOptionSpec *table;
  gboolean usable;
  if (kind == INF_CLASS_LOSS) {
    const InfLossClass *loss = klass;
    name = loss->name;
    table = loss->options;
    needed = "evaluate";
    usable = INF_CLASS_GET(loss, InfLossClass, evaluate) != NULL;
  } else {
    const InfOptimizerClass *optimizer = klass;
    name = optimizer->name;
    table = optimizer->options;
    needed = "step";
    usable = INF_CLASS_GET(optimizer, InfOptimizerClass, step) != NULL;
  }
  if (!usable) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s%s%s.type: %s class '%s' has no %s function (built for ABI 1.0)", out->file,
                *out->file ? ": " : "", out->path, noun, name, needed);
    return FALSE;
  }
  out->options = inf_options_new_for_class(table, name, spec, skip_keys, registry, file, out->path,
                                           resolver, error);
  if (!out->options)
    return FALSE;
  out->klass = klass;
  return TRUE;
}

void
inf_class_spec_init_error(GError **error, GError *local, const char *type, const char *file,
                          const char *path)
{
  inf_class_init_error(error, local, type, file, path);
}
