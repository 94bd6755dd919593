/* inf/log.h for modules and tasks: messages that name the node, the module
 * class and the plugin file it came from. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* "module class 'NAME', plugin FILE" (or "..., built in") for @module's
 * class. Free with g_free. */
char *inf_plugin_log_describe_module(const InfModule *module);

/* "node 'ID' (module class 'NAME', plugin FILE)" for @task, also after
 * the run that gave it out ended (scheduler.c). Free with g_free. */
char *inf_task_describe(const InfTask *task);

G_END_DECLS
