/* Internal: creating optimizers and running their steps. */
#pragma once

#include <inf/inf.h>

#include "model/options-private.h"
#include "resources/manager.h"

G_BEGIN_DECLS

/* Creates the optimizer described by @spec ({"type": NAME, options...}). */
InfOptimizer *inf_optimizer_new_full(InfRegistry *registry, json_object *spec, const char *file,
                                     const char *json_path, const InfOptionsResolver *resolver,
                                     GError **error);
void inf_optimizer_free(InfOptimizer *optimizer);

/* A new step numbered @number; @resources may be NULL. */
InfOptimizerStep *inf_optimizer_step_new(guint number, InfResourceManager *resources);
InfOptimizerStep *inf_optimizer_step_ref(InfOptimizerStep *step);
void inf_optimizer_step_unref(InfOptimizerStep *step);
/* Appends a parameter (referenced) named @name with the values rejected for
 * it before (@rejected: NULL-terminated, copied, may be NULL). Parameters
 * are added in topological order. */
void inf_optimizer_step_add_parameter(InfOptimizerStep *step, const char *name, InfParameter *param,
                                      const char *const *rejected);
/* Records that parameter @upstream feeds parameter @downstream. */
void inf_optimizer_step_set_upstream(InfOptimizerStep *step, guint upstream, guint downstream);
/* The error reported for parameter @index (borrowed), or NULL. */
const GError *inf_optimizer_step_get_error(const InfOptimizerStep *step, guint index);

/* Called once when the step finished: @error (borrowed) when it failed. */
typedef void (*InfOptimizerStepDoneFunc)(InfOptimizerStep *step, const GError *error,
                                         gpointer user_data);
/* Runs the optimizer's step; @done may run before this function returns. */
void inf_optimizer_run_step(InfOptimizer *optimizer, InfOptimizerStep *step,
                            InfOptimizerStepDoneFunc done, gpointer user_data);

G_END_DECLS
