/* Internal: InfBackward, one node's backward step for one example. */
#pragma once

#include <inf/inf.h>

#include "resources/manager.h"

G_BEGIN_DECLS

typedef struct {
  double pass_score;     /* examples scoring at least this pass */
  gboolean keep_passing; /* passing examples still leave parameter feedback */
  InfResourceManager *resources;
} InfBackwardOptions;

/* @args, @arg_names (may be NULL), @output and @feedback are borrowed and
 * must outlive the context's run; @example_score is the example's loss
 * score (NaN: none; such an example never passes). */
InfBackward *inf_backward_new(InfModule *module, const char *node_id, guint64 input_index,
                              guint n_args, InfValue *const *args, const char *const *arg_names,
                              InfValue *output, const InfFeedback *feedback, double example_score,
                              const InfBackwardOptions *options);
void inf_backward_free(InfBackward *ctx);

/* Called once when the node's backward finished: on success the parameter
 * feedback has been written and inf_backward_get_arg_feedback() holds what
 * goes upstream; on @error (borrowed) nothing was written. */
typedef void (*InfBackwardDoneFunc)(InfBackward *ctx, const GError *error, gpointer user_data);
/* Runs the class's backward, or the default (every argument gets a copy of
 * the feedback). @done may run before this returns. Free the context after
 * @done, not in it. */
void inf_backward_run(InfBackward *ctx, InfBackwardDoneFunc done, gpointer user_data);
/* The feedback set for argument @index (borrowed), or NULL. */
const InfFeedback *inf_backward_get_arg_feedback(const InfBackward *ctx, guint index);

G_END_DECLS
