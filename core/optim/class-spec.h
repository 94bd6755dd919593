/* Internal: the {"type": NAME, options...} specs that name a loss or an
 * optimizer class in a config. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* The class of @kind (INF_CLASS_LOSS or INF_CLASS_OPTIMIZER) that @spec
 * names, or NULL with an INF_ERROR_CONFIG error at @path of @file (@file may
 * be empty) naming the known types. @noun ("loss", "optimizer") is used in
 * messages. */
gconstpointer inf_class_spec_lookup(InfRegistry *registry, InfClassKind kind, const char *noun,
                                    json_object *spec, const char *file, const char *path,
                                    GError **error);

/* Sets @error from a failed init of class @type: inf_class_init_error()
 * (model/module-private.h), the rule every class kind shares. */
void inf_class_spec_init_error(GError **error, GError *local, const char *type, const char *file,
                               const char *path);

G_END_DECLS
