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
 */
#pragma once

#include <inf/error.h>
#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/module.h>
#include <inf/value.h>

G_BEGIN_DECLS

INF_API InfModule *inf_task_get_module(const InfTask *task);
/* The graph node id ("analyze.keywords"). */
INF_API const char *inf_task_get_node_id(const InfTask *task);
/* The index of the input record this task belongs to (0-based). */
INF_API guint64 inf_task_get_input_index(const InfTask *task);
INF_API guint inf_task_get_n_args(const InfTask *task);
/* Borrowed. */
INF_API InfValue *inf_task_get_arg(const InfTask *task, guint index);
/* The argument's name: the config's dict key, or the class's declared input
 * name for positional arguments, or NULL. */
INF_API const char *inf_task_get_arg_name(const InfTask *task, guint index);
/* The argument named @name, or NULL (borrowed). */
INF_API InfValue *inf_task_lookup_arg(const InfTask *task, const char *name);

/* Finishes the task. Take ownership of @value / @error. */
INF_API void inf_task_return_value(InfTask *task, InfValue *value);
INF_API void inf_task_return_error(InfTask *task, GError *error);
INF_API void inf_task_return_new_error(InfTask *task, InfErrorCode code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* Called with the successful response of inf_task_call_llm(); the module
 * finishes the task from here (the response is borrowed). */
typedef void (*InfLlmCallback)(InfTask *task, const InfLlmResponse *response, gpointer user_data);

/* Sends @request (transfer full) to the task's resource alias through the
 * resource manager: pool selection, rate limiting, retries of transient
 * errors and requeueing on rate limits are the engine's. On success
 * @callback runs; on a final error the engine fails the task itself. */
INF_API void inf_task_call_llm(InfTask *task, InfLlmRequest *request, InfLlmCallback callback,
                               gpointer user_data);

G_END_DECLS
