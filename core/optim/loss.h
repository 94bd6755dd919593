/* Internal: creating losses from config JSON and running evaluations. */
#pragma once

#include <inf/inf.h>

#include "model/options-private.h"
#include "resources/manager.h"

G_BEGIN_DECLS

/* Creates the loss described by @spec ({"type": NAME, options...}); @file
 * and @json_path go into messages; @resolver (may be NULL) checks aliases. */
InfLoss *inf_loss_new_full(InfRegistry *registry, json_object *spec, const char *file,
                           const char *json_path, const InfOptionsResolver *resolver,
                           GError **error);

/* @feedback (transfer full) or @error (transfer full). */
typedef void (*InfLossDoneFunc)(InfFeedback *feedback, GError *error, gpointer user_data);

/* Runs @loss on one example (all borrowed, referenced while it runs); @done
 * runs exactly once, possibly before this function returns. @resources may
 * be NULL (alias calls then fail). @index numbers the example in messages. */
void inf_loss_evaluate(InfLoss *loss, InfValue *output, json_object *target, json_object *example,
                       guint64 index, InfResourceManager *resources, InfLossDoneFunc done,
                       gpointer user_data);

/* Runs the class's check_target, if it has one. */
gboolean inf_loss_check_target(InfLoss *loss, json_object *target, GError **error);

G_END_DECLS
