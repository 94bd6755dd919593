/* inf-engine SDK — InfTask: one node execution handed to an atomic module.
 *
 * The task is owned by the engine. The module reads its arguments and
 * finishes it exactly once with inf_task_return_value() or
 * inf_task_return_error(), at once or later from the main loop (the thread
 * running the host's default main context, g_main_context_default()). After
 * that the task must not be touched.
 *
 * Misuse is caught (Since: 1.1): a second return, or a return after the
 * task was finished, is dropped and reported once per node as a warning
 * naming the node and the plugin file; it never reaches another input while
 * the engine still holds the finished task (it reuses one only after 1024
 * others finished after it). When the module's `timeout` option ends the
 * node first, the node fails with INF_ERROR_TIMEOUT and the module's later
 * return is dropped without a message. A task still held when the run ends
 * stays known until the plugin is unloaded: a return then is reported;
 * inf_task_get_module() gives NULL and inf_task_get_node_id() the node's id.
 *
 * Thread: main loop (every function of this header; "later" means from a
 * callback of the engine's main loop, never from another thread)
 */
#pragma once

#include <inf/error.h>
#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/module.h>
#include <inf/value.h>

G_BEGIN_DECLS

/* The module instance the node runs (the @self execute got).
 * Returns: (transfer none) (nullable) valid until the task is finished;
 *          NULL only for a task still held after the run ended
 * Since: 1.0 */
INF_API InfModule *inf_task_get_module(const InfTask *task);
/* The graph node id ("analyze.keywords"), for messages: errors a module
 * returns should name it ("node '%s': ...").
 * Returns: (transfer none) valid until the task is finished (copy it to
 *          keep it)
 * Since: 1.0 */
INF_API const char *inf_task_get_node_id(const InfTask *task);
/* The index of the input record this task belongs to (0-based).
 * Since: 1.0 */
INF_API guint64 inf_task_get_input_index(const InfTask *task);
/* The number of arguments the node was given.
 * Since: 1.0 */
INF_API guint inf_task_get_n_args(const InfTask *task);
/* Argument @index (0-based, < inf_task_get_n_args(); out of range is a
 * programming error that returns NULL).
 * Returns: (transfer none) valid until the task is finished (take a
 *          reference with inf_value_ref() to keep it)
 * Since: 1.0 */
INF_API InfValue *inf_task_get_arg(const InfTask *task, guint index);
/* The argument's name: the config's dict key, or the class's declared input
 * name for positional arguments (see InfInputSpec), or NULL.
 * Returns: (transfer none) (nullable) valid until the task is finished
 * Since: 1.0 */
INF_API const char *inf_task_get_arg_name(const InfTask *task, guint index);
/* The argument named @name (as inf_task_get_arg_name() gives), or NULL.
 * @name: (transfer none) the name
 * Returns: (transfer none) (nullable) valid until the task is finished
 * Since: 1.0 */
INF_API InfValue *inf_task_lookup_arg(const InfTask *task, const char *name);

/* Finishes the task with @value as the node's output; the node's
 * dependents may run. Call exactly once per task, at once in execute or
 * later from the main loop; the task must not be used afterwards (a second
 * or late return is dropped and reported, see the top of this header).
 * @value: (transfer full) (nullable) the output; NULL gives a null value
 * Since: 1.0 */
INF_API void inf_task_return_value(InfTask *task, InfValue *value);
/* Finishes the task with @error: the node fails for this input, its
 * dependents are cancelled and the input is reported failed with the
 * message (name the node: "node '%s': ..."). Exactly once, like
 * inf_task_return_value(). See inf/error.h for which code to use.
 * @error: (transfer full) (nullable) the error; NULL gives INF_ERROR_FAILED
 *         "node failed without an error message"
 * Since: 1.0 */
INF_API void inf_task_return_error(InfTask *task, GError *error);
/* inf_task_return_error() with a new INF_ERROR error of @code and a
 * printf-style message.
 * @format: (transfer none) printf format of the message
 * Since: 1.0 */
INF_API void inf_task_return_new_error(InfTask *task, InfErrorCode code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* Called with the successful response of inf_task_call_llm(), from the main
 * loop; the module finishes the task from here (or calls
 * inf_task_call_llm() again, e.g. to ask for a repaired reply). @response is
 * borrowed and valid during the callback only: copy what you keep. */
typedef void (*InfLlmCallback)(InfTask *task, const InfLlmResponse *response, gpointer user_data);

/* Sends @request to the task's resource alias (the class's
 * resource_alias()) through the resource manager: endpoint selection,
 * concurrency and rate limits, the response cache, the spend budget,
 * retries of transient errors and requeueing on rate limits are the
 * engine's. On success @callback runs once, later, from the main loop. On
 * a final error the engine fails the task itself with that error (the
 * callback does not run; do not finish the task then). A module class
 * without resource_alias gets its task failed at once with
 * INF_ERROR_CONFIG. Either way the task is finished by the time the module
 * could see an error: after calling this, touch the task only from
 * @callback.
 * @request: (transfer full) the request (the engine keeps its own reference
 *           while it needs it)
 * @callback: called once on success
 * @user_data: (nullable) for @callback. The engine never frees it, and on a
 *             final error @callback does not run: pass no memory that only
 *             @callback would free (a small number, or data the module's
 *             private data owns), or it leaks when the call fails
 * Since: 1.0 */
INF_API void inf_task_call_llm(InfTask *task, InfLlmRequest *request, InfLlmCallback callback,
                               gpointer user_data);

G_END_DECLS
