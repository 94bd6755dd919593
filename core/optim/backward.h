/* Internal: the backward pass over one input's finished execution state. */
#pragma once

#include "exec/state.h"
#include "optim/backward-context.h"

G_BEGIN_DECLS

/* Called once when the pass finished; @n_errors node backwards failed (their
 * arguments and parameters got nothing from this example). */
typedef void (*InfBackwardPassDoneFunc)(guint n_errors, gpointer user_data);

/* Walks @state's graph (the forward record of one input, referenced while
 * it runs) in reverse topological order from @loss_feedback (borrowed,
 * copied) at the outputs: each completed module node's class backward (or
 * the default: every argument gets the feedback) turns the feedback on its
 * output into feedback on its arguments and parameters; feedback reaching a
 * node from several consumers is merged; a switch passes its feedback to its
 * taken case's outputs; skipped, failed and cancelled nodes get none. Nodes
 * run one at a time, so parameter buffers fill in a fixed order. @done may
 * run before this returns. */
void inf_backward_pass(InfExecState *state, const InfFeedback *loss_feedback,
                       const InfBackwardOptions *options, InfBackwardPassDoneFunc done,
                       gpointer user_data);

G_END_DECLS
