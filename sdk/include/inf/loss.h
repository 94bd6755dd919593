/* inf-engine SDK — loss classes: evaluators that turn a pipeline's output into
 * feedback (an InfFeedback: a score in [0, 1], higher is better, and items).
 *
 * A loss is configured in the config's `training.loss` block as
 * {"type": NAME, options...}; the options are validated against the class's
 * option table like a module's (unknown options, wrong types and unknown
 * aliases are errors naming the JSON path). Losses may nest: a composite
 * creates its children in init with inf_loss_new_child().
 *
 * Thread: main loop (every function of this header and every callback of
 * the class); `evaluate` may finish at once or later (after LLM calls), but
 * exactly once.
 *
 * The class struct begins with struct_size; the host reads only the fields
 * that fit in it, so the ABI grows by appending fields. Never reorder.
 */
#pragma once

#include <inf/feedback.h>
#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/options.h>
#include <inf/value.h>

G_BEGIN_DECLS

typedef struct _InfRegistry InfRegistry;
typedef struct _InfLoss InfLoss;
/* One evaluation of one example, owned by the engine. Since: 1.1 */
typedef struct _InfLossTask InfLossTask;

/* init and finalize follow "Lifecycle" in inf/module.h: init validates what
 * the option table cannot, sets *out_private, and on failure sets @error,
 * frees what it allocated itself (finalize is not called) and returns FALSE;
 * its message is prefixed with the file and the loss's JSON path
 * ("training.loss", "training.loss.losses[0].loss"); finalize may get NULL.
 * The ABI 1.0 struct ends at finalize. Since: 1.0 */
typedef struct {
  gsize struct_size;
  const char *name;
  const char *description;
  const InfOptionSpec *options;
  gboolean (*init)(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error);
  void (*finalize)(gpointer private_data);

  /* Evaluates @output (the pipeline's output for one example, borrowed)
   * against @target (the example's "target", borrowed, may be JSON null) and
   * @example (the whole dataset line as parsed, borrowed: "input", "target",
   * "id", ...). Finishes @task exactly once, now or later from the main loop,
   * with inf_loss_task_return() or inf_loss_task_return_error(). LLM calls go
   * through inf_loss_task_call_alias(). The arguments stay valid until the
   * task is finished. Required for a loss to be usable in training.
   * Since: 1.1 */
  void (*evaluate)(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                   InfLossTask *task);
  /* Optional. Checks that @target (borrowed) has a shape this loss can use,
   * before anything runs (a dataset line's target of the wrong type is then
   * reported with its line number). FALSE with @error saying what was
   * expected. Since: 1.1 */
  gboolean (*check_target)(InfLoss *self, json_object *target, GError **error);
} InfLossClass;

/* --- losses --- */

/* Creates the loss described by @spec ({"type": NAME, options...}) from the
 * classes in @registry; the options are validated against the class's
 * table (no alias check: use inf_loss_new_child() in an init for nested
 * losses, which checks them like the parent's), then init runs. Errors
 * name the JSON path "loss" (there is no file): an unknown type
 * (INF_ERROR_CONFIG, listing the known ones), a class without evaluate
 * (INF_ERROR_PLUGIN), bad options, init's error.
 * @registry: (transfer none) kept (borrowed) by the loss: it must outlive it
 * @spec: (transfer none) (nullable) the spec; NULL or a non-object is an error
 * Returns: (transfer full) (nullable) free with inf_loss_unref(); NULL with
 *          @error set
 * Since: 1.1 */
INF_API InfLoss *inf_loss_new(InfRegistry *registry, json_object *spec, GError **error);
/* For a loss class's init (a composite): creates the child loss described
 * by @spec with the parent's registry and alias checks; @path_suffix (e.g.
 * "losses[0].loss") is appended to the parent's JSON path in messages.
 * Keep the result in the private data and unref it in finalize.
 * @parent: (transfer none) the loss whose init is running
 * @spec: (transfer none) (nullable) {"type": NAME, options...}
 * @path_suffix: (transfer none) (nullable) where @spec is under the parent
 * Returns: (transfer full) (nullable) a new loss; NULL with @error set
 * Since: 1.1 */
INF_API InfLoss *inf_loss_new_child(InfLoss *parent, json_object *spec, const char *path_suffix,
                                    GError **error);
/* Adds a reference.
 * Returns: (transfer full) @loss
 * Since: 1.1 */
INF_API InfLoss *inf_loss_ref(InfLoss *loss);
/* Drops a reference; the last one calls the class's finalize. NULL is
 * ignored.
 * @loss: (transfer full) (nullable) the loss
 * Since: 1.1 */
INF_API void inf_loss_unref(InfLoss *loss);
/* The loss's class.
 * Returns: (transfer none) static (the plugin's)
 * Since: 1.1 */
INF_API const InfLossClass *inf_loss_get_class(const InfLoss *loss);
/* The class name ("verifier").
 * Returns: (transfer none) static (the class's)
 * Since: 1.1 */
INF_API const char *inf_loss_get_type_name(const InfLoss *loss);
/* The private data init stored (NULL when it stored none).
 * Since: 1.1 */
INF_API gpointer inf_loss_get_private(const InfLoss *loss);
/* The validated options.
 * Returns: (transfer none) valid as long as @loss
 * Since: 1.1 */
INF_API const InfOptions *inf_loss_get_options(const InfLoss *loss);

/* --- loss tasks (all Since: 1.1) --- */

/* The loss being evaluated.
 * Returns: (transfer none) valid until the task is finished
 * Since: 1.1 */
INF_API InfLoss *inf_loss_task_get_loss(const InfLossTask *task);
/* The 0-based index of the example in its dataset (for messages).
 * Since: 1.1 */
INF_API guint64 inf_loss_task_get_index(const InfLossTask *task);
/* Finishes the task with @feedback. A feedback without a score counts as
 * "no opinion" in means and pass rates. Exactly once per task (a second
 * finish is a critical and is dropped); the task must not be used
 * afterwards.
 * @feedback: (transfer full) the feedback
 * Since: 1.1 */
INF_API void inf_loss_task_return(InfLossTask *task, InfFeedback *feedback);
/* Finishes the task with @error: the example is reported with the error,
 * and training goes on without its feedback. Exactly once, like
 * inf_loss_task_return().
 * @error: (transfer full) the error
 * Since: 1.1 */
INF_API void inf_loss_task_return_error(InfLossTask *task, GError *error);
/* Finishes the task with an INF_ERROR_FAILED error made from @format.
 * @format: (transfer none) printf format
 * Since: 1.1 */
INF_API void inf_loss_task_return_new_error(InfLossTask *task, const char *format, ...)
    G_GNUC_PRINTF(2, 3);
/* Sends @request to the resource alias @alias through the resource manager
 * (endpoint pools, concurrency and rate limits, retries, metrics, spend
 * budget, cache), and calls @reply once, later, from the main loop (never
 * before this function returns). An alias that is not configured reaches
 * @reply as an INF_ERROR_CONFIG error listing the known aliases. Finish the
 * task from @reply once every call is answered (the task stays valid until
 * then).
 * @alias: (transfer none) (nullable) the alias; NULL or unknown gives the
 *         error above
 * @request: (transfer full) the request
 * @reply: called once
 * @user_data: (nullable) for @reply, which always runs: it may free it
 * Since: 1.1 */
INF_API void inf_loss_task_call_alias(InfLossTask *task, const char *alias, InfLlmRequest *request,
                                      InfAliasReplyFunc reply, gpointer user_data);

/* Called once when a child evaluation finishes: with @feedback (borrowed;
 * copy it to keep it) and @error NULL, or with @feedback NULL and @error
 * (borrowed). Since: 1.1 */
typedef void (*InfLossChildFunc)(InfFeedback *feedback, const GError *error, gpointer user_data);
/* Evaluates @child (e.g. created with inf_loss_new_child()) on the same
 * output, target and example as @task, calling @done once from the main
 * loop (never before this function returns). The task stays valid until
 * @done ran.
 * @child: (transfer none) the loss to evaluate; referenced until @done ran
 * @done: called once
 * @user_data: (nullable) for @done, which always runs: it may free it
 * Since: 1.1 */
INF_API void inf_loss_task_evaluate_child(InfLossTask *task, InfLoss *child, InfLossChildFunc done,
                                          gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfLoss, inf_loss_unref)

G_END_DECLS
