/* inf-engine SDK — messages from plugins to the person running the host.
 *
 * A plugin reports through the host, never by writing to stderr itself: the
 * host writes each message as one line on stderr, "inf-engine: LEVEL: "
 * followed by the context and the text, and keeps the progress line of
 * `inf-engine run` intact on a terminal (it clears the line, writes the
 * message and draws the progress again). The task, module and client
 * variants name where the message comes from: the graph node, the module or
 * the endpoint alias, and the plugin file of its class.
 *
 * Debug messages are shown only when G_MESSAGES_DEBUG is "all" or contains
 * "inf-engine"; the other levels always (also with --quiet, which silences
 * the progress line and the summary only). A message is one line: line
 * breaks in it are written as spaces. Never log secrets (API keys).
 *
 * Thread: main loop (the thread running the host's default main context),
 * for every function of this header.
 */
#pragma once

#include <inf/client.h>
#include <inf/macros.h>
#include <inf/module.h>

G_BEGIN_DECLS

/* How important a message is. Since: 1.1 */
typedef enum {
  INF_LOG_DEBUG,   /* for plugin authors; hidden unless G_MESSAGES_DEBUG asks */
  INF_LOG_INFO,    /* something worth knowing, nothing wrong */
  INF_LOG_WARNING, /* something is wrong, the run goes on as documented */
  INF_LOG_ERROR,   /* something failed; the node or call still reports it as usual */
} InfLogLevel;

/* Writes a message without a context ("inf-engine: warning: TEXT").
 * @format: (transfer none) a printf format for the message
 * Thread: main loop
 * Since: 1.1 */
INF_API void inf_log_message(InfLogLevel level, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Writes a message about @task's node: "inf-engine: warning: node 'ID'
 * (module class 'NAME', plugin FILE): TEXT". May be called on a task the
 * module has already finished (the node is still named).
 * @task: (transfer none) the task the module is running
 * @format: (transfer none) a printf format for the message
 * Thread: main loop
 * Since: 1.1 */
INF_API void inf_log_task(const InfTask *task, InfLogLevel level, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* Writes a message about @module, e.g. from init: "inf-engine: info: module
 * 'NAME' (module class 'TYPE', plugin FILE): TEXT".
 * @module: (transfer none) the module instance
 * @format: (transfer none) a printf format for the message
 * Thread: main loop
 * Since: 1.1 */
INF_API void inf_log_module(const InfModule *module, InfLogLevel level, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* Writes a message about @client's endpoint: "inf-engine: warning: alias
 * 'ALIAS' (client class 'NAME', plugin FILE): TEXT".
 * @client: (transfer none) the client instance (one endpoint)
 * @format: (transfer none) a printf format for the message
 * Thread: main loop
 * Since: 1.1 */
INF_API void inf_log_client(const InfClient *client, InfLogLevel level, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

G_END_DECLS
