/* inf-engine SDK — optimizer classes: propose new values for a pipeline's
 * learnable parameters from the feedback backward left in them.
 *
 * The train loop owns the parameters' values: a `step` only proposes
 * candidate values (inf_optimizer_step_set_candidate()); the loop applies
 * them, scores the validation split, and keeps them or reverts them. Values
 * tried and reverted earlier are shown to later steps
 * (inf_optimizer_step_get_rejected()), so an optimizer can avoid them.
 *
 * Threading: everything runs on the main loop; `step` may finish at once or
 * later (after LLM calls), but exactly once.
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

/* As for modules: init validates what the option table cannot, sets
 * *out_private, and on failure sets @error, frees what it allocated itself
 * (finalize is not called) and returns FALSE. */
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

/* The optimizer's class (borrowed, static). */
INF_API const InfOptimizerClass *inf_optimizer_get_class(const InfOptimizer *optimizer);
/* The class name ("sfa"; borrowed). */
INF_API const char *inf_optimizer_get_type_name(const InfOptimizer *optimizer);
/* The private data set by init, or NULL. */
INF_API gpointer inf_optimizer_get_private(const InfOptimizer *optimizer);
/* The validated options (borrowed). */
INF_API const InfOptions *inf_optimizer_get_options(const InfOptimizer *optimizer);

/* --- steps (all Since: 1.1) --- */

/* The optimizer taking this step (borrowed). */
INF_API InfOptimizer *inf_optimizer_step_get_optimizer(const InfOptimizerStep *step);
/* The step's number in the run, from 1. */
INF_API guint inf_optimizer_step_get_number(const InfOptimizerStep *step);
/* The learnable parameters, in topological order (borrowed). */
INF_API guint inf_optimizer_step_get_n_parameters(const InfOptimizerStep *step);
/* Parameter @index (borrowed; NULL when out of range). */
INF_API InfParameter *inf_optimizer_step_get_parameter(const InfOptimizerStep *step, guint index);
/* The parameter's dotted state-dict name ("classify.system_prompt"). */
INF_API const char *inf_optimizer_step_get_parameter_name(const InfOptimizerStep *step,
                                                          guint index);
/* Whether parameter @upstream is used by a node that is an ancestor of a node
 * using parameter @downstream (so @downstream's update should stay consistent
 * with @upstream's candidate). FALSE for @upstream == @downstream. */
INF_API gboolean inf_optimizer_step_is_upstream(const InfOptimizerStep *step, guint upstream,
                                                guint downstream);
/* Values tried for the parameter in earlier steps and reverted because the
 * validation score did not improve, oldest first; NULL-terminated (never
 * NULL, maybe empty), borrowed. */
INF_API const char *const *inf_optimizer_step_get_rejected(const InfOptimizerStep *step,
                                                           guint index);
/* Proposes @value (copied) as the parameter's new value; NULL withdraws the
 * proposal. A value equal to the current one is no change. */
INF_API void inf_optimizer_step_set_candidate(InfOptimizerStep *step, guint index,
                                              const char *value);
/* The candidate set so far for the parameter, or NULL (borrowed). */
INF_API const char *inf_optimizer_step_get_candidate(const InfOptimizerStep *step, guint index);
/* Reports that no candidate could be made for one parameter (an empty reply
 * after the retries, a broken constraint): @error (transfer full) goes into
 * the history and the progress output; the step goes on with the others. */
INF_API void inf_optimizer_step_report_error(InfOptimizerStep *step, guint index, GError *error);
/* Sends @request (transfer full) to @alias through the resource manager (as
 * inf_loss_task_call_alias); @reply runs once from the main loop. The step
 * must not be finished while calls are outstanding. */
INF_API void inf_optimizer_step_call_alias(InfOptimizerStep *step, const char *alias,
                                           InfLlmRequest *request, InfAliasReplyFunc reply,
                                           gpointer user_data);
/* Finishes the step: the candidates set so far are tried. */
INF_API void inf_optimizer_step_return(InfOptimizerStep *step);
/* Finishes the step with @error (transfer full): no candidate is tried. */
INF_API void inf_optimizer_step_return_error(InfOptimizerStep *step, GError *error);

G_END_DECLS
