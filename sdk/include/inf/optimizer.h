/* inf-engine SDK — optimizer classes: propose new values for a pipeline's
 * learnable parameters from the feedback backward left in them.
 *
 * The train loop owns the parameters' values: a `step` only proposes
 * candidate values (inf_optimizer_step_set_candidate()); the loop applies
 * them, scores the validation split, and keeps them or reverts them. Values
 * tried and reverted earlier are shown to later steps
 * (inf_optimizer_step_get_rejected()), so an optimizer can avoid them.
 *
 * Thread: main loop (every function of this header and every callback of
 * the class); `step` may finish at once or later (after LLM calls), but
 * exactly once.
 *
 * The class struct begins with struct_size; the host reads only the fields
 * that fit in it, so the ABI grows by appending fields. Never reorder.
 */
#pragma once

#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/options.h>
#include <inf/parameter.h>

G_BEGIN_DECLS

typedef struct _InfOptimizer InfOptimizer;
/* One optimization step, owned by the engine. Since: 1.1 */
typedef struct _InfOptimizerStep InfOptimizerStep;

/* init and finalize follow "Lifecycle" in inf/module.h: init validates what
 * the option table cannot, sets *out_private, and on failure sets @error,
 * frees what it allocated itself (finalize is not called) and returns FALSE;
 * its message is prefixed with the file and the JSON path
 * ("training.optimizer"); finalize may get NULL. The ABI 1.0 struct ends at
 * finalize. Since: 1.0 */
typedef struct {
  gsize struct_size;
  const char *name;
  const char *description;
  const InfOptionSpec *options;
  gboolean (*init)(InfOptimizer *self, const InfOptions *options, gpointer *out_private,
                   GError **error);
  void (*finalize)(gpointer private_data);

  /* Proposes candidate values for the step's parameters. The parameters come
   * in graph (topological) order, upstream first; each holds the feedback
   * accumulated over the mini-batch in its buffer (inf_parameter_get_n_feedback
   * / inf_parameter_get_feedback), possibly none. Set a candidate per
   * parameter to change with inf_optimizer_step_set_candidate() (do not call
   * inf_parameter_apply_update: the loop applies and reverts), call aliases
   * with inf_optimizer_step_call_alias(), and finish exactly once with
   * inf_optimizer_step_return() or inf_optimizer_step_return_error().
   * Required for an optimizer to be usable in training. Since: 1.1 */
  void (*step)(InfOptimizer *self, InfOptimizerStep *step);
} InfOptimizerClass;

/* --- optimizers (Since: 1.1) --- */

/* The optimizer's class.
 * Returns: (transfer none) static (the plugin's)
 * Since: 1.1 */
INF_API const InfOptimizerClass *inf_optimizer_get_class(const InfOptimizer *optimizer);
/* The class name ("sfa").
 * Returns: (transfer none) static (the class's)
 * Since: 1.1 */
INF_API const char *inf_optimizer_get_type_name(const InfOptimizer *optimizer);
/* The private data init stored (NULL when it stored none).
 * Since: 1.1 */
INF_API gpointer inf_optimizer_get_private(const InfOptimizer *optimizer);
/* The validated options.
 * Returns: (transfer none) valid as long as @optimizer
 * Since: 1.1 */
INF_API const InfOptions *inf_optimizer_get_options(const InfOptimizer *optimizer);

/* --- steps (all Since: 1.1) ---
 * Indexes are 0-based and below inf_optimizer_step_get_n_parameters(); an
 * index out of range gives NULL (or the empty list, or FALSE) from getters
 * and is a programming error (a critical) for setters. */

/* The optimizer taking this step.
 * Returns: (transfer none) valid until the step is finished
 * Since: 1.1 */
INF_API InfOptimizer *inf_optimizer_step_get_optimizer(const InfOptimizerStep *step);
/* The step's number in the run, from 1.
 * Since: 1.1 */
INF_API guint inf_optimizer_step_get_number(const InfOptimizerStep *step);
/* The number of learnable parameters, in topological order.
 * Since: 1.1 */
INF_API guint inf_optimizer_step_get_n_parameters(const InfOptimizerStep *step);
/* Parameter @index; read its value and feedback buffer, do not update it.
 * Returns: (transfer none) (nullable) valid until the step is finished;
 *          NULL when out of range
 * Since: 1.1 */
INF_API InfParameter *inf_optimizer_step_get_parameter(const InfOptimizerStep *step, guint index);
/* The parameter's dotted state-dict name ("classify.system_prompt").
 * Returns: (transfer none) (nullable) valid until the step is finished;
 *          NULL when out of range
 * Since: 1.1 */
INF_API const char *inf_optimizer_step_get_parameter_name(const InfOptimizerStep *step,
                                                          guint index);
/* Whether parameter @upstream is used by a node that is an ancestor of a node
 * using parameter @downstream (so @downstream's update should stay consistent
 * with @upstream's candidate). FALSE for @upstream == @downstream.
 * Since: 1.1 */
INF_API gboolean inf_optimizer_step_is_upstream(const InfOptimizerStep *step, guint upstream,
                                                guint downstream);
/* Values tried for the parameter in earlier steps and reverted because the
 * validation score did not improve, oldest first.
 * Returns: (transfer none) NULL-terminated, never NULL (maybe empty, also
 *          when out of range); valid until the step is finished
 * Since: 1.1 */
INF_API const char *const *inf_optimizer_step_get_rejected(const InfOptimizerStep *step,
                                                           guint index);
/* Proposes @value as the parameter's new value, replacing an earlier
 * proposal. A value equal to the current one is no change.
 * @value: (transfer none) (nullable) copied; NULL withdraws the proposal
 * Since: 1.1 */
INF_API void inf_optimizer_step_set_candidate(InfOptimizerStep *step, guint index,
                                              const char *value);
/* The candidate set so far for the parameter.
 * Returns: (transfer none) (nullable) valid until it is replaced or the step
 *          finished; NULL when there is none
 * Since: 1.1 */
INF_API const char *inf_optimizer_step_get_candidate(const InfOptimizerStep *step, guint index);
/* Reports that no candidate could be made for one parameter (an empty reply
 * after the retries, a broken constraint): @error goes into the history and
 * the progress output (a later report for the same parameter replaces it);
 * the step goes on with the others.
 * @error: (transfer full) the error; freed even when @index is out of range
 * Since: 1.1 */
INF_API void inf_optimizer_step_report_error(InfOptimizerStep *step, guint index, GError *error);
/* Sends @request to @alias through the resource manager (as
 * inf_loss_task_call_alias()); @reply runs once, later, from the main loop,
 * also on failure. Finish the step from @reply once every call is answered
 * (the step stays valid until then).
 * @alias: (transfer none) (nullable) the alias; NULL or unknown reaches
 *         @reply as an INF_ERROR_CONFIG error
 * @request: (transfer full) the request
 * @reply: called once
 * @user_data: (nullable) for @reply, which always runs: it may free it
 * Since: 1.1 */
INF_API void inf_optimizer_step_call_alias(InfOptimizerStep *step, const char *alias,
                                           InfLlmRequest *request, InfAliasReplyFunc reply,
                                           gpointer user_data);
/* Finishes the step: the candidates set so far are tried. Exactly once per
 * step (a second finish is a critical and is dropped); the step must not
 * be used afterwards.
 * Since: 1.1 */
INF_API void inf_optimizer_step_return(InfOptimizerStep *step);
/* Finishes the step with @error: no candidate is tried. Exactly once, like
 * inf_optimizer_step_return().
 * @error: (transfer full) the error
 * Since: 1.1 */
INF_API void inf_optimizer_step_return_error(InfOptimizerStep *step, GError *error);

G_END_DECLS
