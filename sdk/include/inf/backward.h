/* inf-engine SDK — InfBackward: one node's backward step for one example.
 * Since: 1.1
 *
 * The engine walks the graph in reverse topological order from the loss
 * feedback at the pipeline's outputs and calls a node's class `backward`
 * (InfModuleClass) with an InfBackward once per example that reached it.
 * Nodes that were skipped (a closed switch case) or failed get no feedback
 * and are not called. The context is owned by the engine; everything it
 * returns is borrowed and valid until the context is finished.
 *
 * Thread: main loop (every function of this header)
 */
#pragma once

#include <inf/feedback.h>
#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/module.h>
#include <inf/parameter.h>
#include <inf/value.h>

G_BEGIN_DECLS

/* The node's module.
 * Returns: (transfer none) never NULL; valid until the step is finished
 * Since: 1.1 */
INF_API InfModule *inf_backward_get_module(const InfBackward *ctx);
/* The graph node id ("analyze.classify").
 * Returns: (transfer none) valid until the step is finished
 * Since: 1.1 */
INF_API const char *inf_backward_get_node_id(const InfBackward *ctx);
/* The index of the example in its batch's dataset (0-based).
 * Since: 1.1 */
INF_API guint64 inf_backward_get_input_index(const InfBackward *ctx);
/* The number of arguments the node ran with, as recorded in the forward
 * pass.
 * Since: 1.1 */
INF_API guint inf_backward_get_n_args(const InfBackward *ctx);
/* Argument @index as recorded in the forward pass.
 * Returns: (transfer none) (nullable) valid until the step is finished;
 *          NULL when out of range
 * Since: 1.1 */
INF_API InfValue *inf_backward_get_arg(const InfBackward *ctx, guint index);
/* The argument's name as in inf_task_get_arg_name().
 * Returns: (transfer none) (nullable) NULL for an unnamed argument or an
 *          index out of range
 * Since: 1.1 */
INF_API const char *inf_backward_get_arg_name(const InfBackward *ctx, guint index);
/* The node's recorded output.
 * Returns: (transfer none) valid until the step is finished
 * Since: 1.1 */
INF_API InfValue *inf_backward_get_output(const InfBackward *ctx);
/* The feedback on the node's output: the loss's feedback at an output node,
 * else the feedback its consumers passed back, merged (inf_feedback_merge)
 * when several did.
 * Returns: (transfer none) never NULL; valid until the step is finished
 *          (copy it with inf_feedback_copy() to pass it on)
 * Since: 1.1 */
INF_API const InfFeedback *inf_backward_get_feedback(const InfBackward *ctx);
/* The training's pass score (training.pass_score, default 1.0). A class
 * should add no parameter feedback for passing examples (see
 * inf_backward_is_passing()) unless inf_backward_get_keep_passing() is TRUE.
 * Since: 1.1 */
INF_API double inf_backward_get_pass_score(const InfBackward *ctx);
/* Whether this example's loss score reached the pass score (FALSE when the
 * loss gave no score).
 * Since: 1.1 */
INF_API gboolean inf_backward_is_passing(const InfBackward *ctx);
/* training.keep_passing: whether passing examples should leave a short
 * "keep working on" note in the parameters (default FALSE).
 * Since: 1.1 */
INF_API gboolean inf_backward_get_keep_passing(const InfBackward *ctx);

/* Sets the feedback for argument @index, replacing an earlier one. Arguments
 * that are pipeline inputs or constants drop it. An index out of range is a
 * programming error (a critical; @feedback is freed).
 * @feedback: (transfer full) the feedback
 * Since: 1.1 */
INF_API void inf_backward_set_arg_feedback(InfBackward *ctx, guint index, InfFeedback *feedback);
/* Appends a copy of @text to @param's feedback buffer when the step
 * finishes with inf_backward_return() (not with an error), and only when
 * @param requires_grad (else it is ignored).
 * @param: (transfer none) referenced until then; need not be the module's own
 * @text: (transfer none) copied
 * Since: 1.1 */
INF_API void inf_backward_add_parameter_feedback(InfBackward *ctx, InfParameter *param,
                                                 const char *text);
/* As inf_loss_task_call_alias(): @reply runs once, later, from the main
 * loop — but only while the step is not finished yet: finish it from the
 * last reply, since a reply arriving after the step was finished is dropped
 * (@reply not called).
 * @alias: (transfer none) (nullable) the alias; NULL or unknown reaches
 *         @reply as an INF_ERROR_CONFIG error
 * @request: (transfer full) the request
 * @reply: called at most once (see above)
 * @user_data: (nullable) for @reply; not freed by the engine
 * Since: 1.1 */
INF_API void inf_backward_call_alias(InfBackward *ctx, const char *alias, InfLlmRequest *request,
                                     InfAliasReplyFunc reply, gpointer user_data);
/* Finishes the step: the argument feedback set goes upstream and the
 * parameter feedback added is stored. Exactly once (a second finish is a
 * critical and is dropped); the context must not be used afterwards.
 * Since: 1.1 */
INF_API void inf_backward_return(InfBackward *ctx);
/* Finishes the step with @error: the node's arguments and parameters get no
 * feedback from this example; training goes on. Exactly once, like
 * inf_backward_return().
 * @error: (transfer full) the error
 * Since: 1.1 */
INF_API void inf_backward_return_error(InfBackward *ctx, GError *error);

G_END_DECLS
