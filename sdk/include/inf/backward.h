/* inf-engine SDK — InfBackward: one node's backward step for one example.
 * Since: 1.1
 *
 * The engine walks the graph in reverse topological order from the loss
 * feedback at the pipeline's outputs and calls a node's class `backward`
 * (InfModuleClass) with an InfBackward once per example that reached it.
 * Nodes that were skipped (a closed switch case) or failed get no feedback
 * and are not called. The context is owned by the engine; everything it
 * returns is borrowed and valid until the context is finished. Main loop
 * only.
 */
#pragma once

#include <inf/feedback.h>
#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/module.h>
#include <inf/parameter.h>
#include <inf/value.h>

G_BEGIN_DECLS

/* The node's module (borrowed, never NULL). Since: 1.1 */
INF_API InfModule *inf_backward_get_module(const InfBackward *ctx);
/* The graph node id ("analyze.classify"). */
INF_API const char *inf_backward_get_node_id(const InfBackward *ctx);
/* The index of the example in its batch's dataset (0-based). */
INF_API guint64 inf_backward_get_input_index(const InfBackward *ctx);
/* The arguments the node ran with, as recorded in the forward pass. */
INF_API guint inf_backward_get_n_args(const InfBackward *ctx);
/* Argument @index (borrowed; NULL when out of range). Since: 1.1 */
INF_API InfValue *inf_backward_get_arg(const InfBackward *ctx, guint index);
/* The argument's name as in inf_task_get_arg_name(), or NULL. */
INF_API const char *inf_backward_get_arg_name(const InfBackward *ctx, guint index);
/* The node's recorded output. */
INF_API InfValue *inf_backward_get_output(const InfBackward *ctx);
/* The feedback on the node's output: the loss's feedback at an output node,
 * else the feedback its consumers passed back, merged (inf_feedback_merge)
 * when several did. Never NULL. */
INF_API const InfFeedback *inf_backward_get_feedback(const InfBackward *ctx);
/* The training's pass score (training.pass_score, default 1.0) and whether
 * this example passed: its loss score is at least the pass score. A class
 * should add no parameter feedback for passing examples unless
 * inf_backward_get_keep_passing() is TRUE. */
INF_API double inf_backward_get_pass_score(const InfBackward *ctx);
/* Whether this example's loss score reached the pass score. Since: 1.1 */
INF_API gboolean inf_backward_is_passing(const InfBackward *ctx);
/* training.keep_passing: whether passing examples should leave a short
 * "keep working on" note in the parameters (default FALSE). */
INF_API gboolean inf_backward_get_keep_passing(const InfBackward *ctx);

/* Sets the feedback for argument @index (transfer full; replaces an earlier
 * one). Arguments that are pipeline inputs or constants drop it. */
INF_API void inf_backward_set_arg_feedback(InfBackward *ctx, guint index, InfFeedback *feedback);
/* Appends @text to @param's feedback buffer (when it requires_grad; @param
 * is borrowed and need not be the module's own). */
INF_API void inf_backward_add_parameter_feedback(InfBackward *ctx, InfParameter *param,
                                                 const char *text);
/* As inf_loss_task_call_alias(). */
INF_API void inf_backward_call_alias(InfBackward *ctx, const char *alias, InfLlmRequest *request,
                                     InfAliasReplyFunc reply, gpointer user_data);
/* Finishes the step. */
INF_API void inf_backward_return(InfBackward *ctx);
/* Finishes the step with @error (transfer full): the node's arguments and
 * parameters get no feedback from this example; training goes on. */
INF_API void inf_backward_return_error(InfBackward *ctx, GError *error);

G_END_DECLS
