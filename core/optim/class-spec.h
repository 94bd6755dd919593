/* Internal: the {"type": NAME, options...} specs that name a loss or an
 * optimizer class in a config. */
#pragma once

#include <inf/inf.h>

#include "model/options-private.h"

G_BEGIN_DECLS

/* What a spec resolves to. */
typedef struct {
  const char *file;    /* where the spec is: the config file, or "" */
  const char *path;    /* its JSON path ("training.loss"; the kind's name when not given) */
  gconstpointer klass; /* the InfLossClass or InfOptimizerClass it names */
  InfOptions *options; /* (transfer full) its options, checked against the class's table */
} InfClassSpec;

/* Resolves @spec, at @json_path of @file (either may be NULL), into the
 * class of @kind (INF_CLASS_LOSS or INF_CLASS_OPTIMIZER) it names, which
 * must have the function training calls (a loss's evaluate, an optimizer's
 * step), and its options (@resolver as for inf_options_new_for_class()).
 * FALSE with an error at the spec's path: INF_ERROR_CONFIG naming the known
 * types or what is wrong with an option, INF_ERROR_PLUGIN for a class
 * without that function. The strings of @out borrow @file and @json_path. */
gboolean inf_class_spec_resolve(InfRegistry *registry, InfClassKind kind, json_object *spec,
                                const char *file, const char *json_path,
                                const InfOptionsResolver *resolver, InfClassSpec *out,
                                GError **error);

/* Sets @error from a failed init of class @type: inf_class_init_error()
 * (model/module-private.h), the rule every class kind shares. */
void inf_class_spec_init_error(GError **error, GError *local, const char *type, const char *file,
                               const char *path);

G_END_DECLS
