/* inf/log.h for modules and tasks (the client variant lives with the
 * clients, in resources/manager.c). */
#include "exec/plugin-log.h"

#include <stdarg.h>

#include "model/log-private.h"
#include "plugin/registry-private.h"

char *
inf_plugin_log_describe_module(const InfModule *module)
{
  const InfModuleClass *klass = inf_module_get_class(module);
  InfRegistry *registry = inf_module_get_registry(module);
  InfClassInfo info = { 0 };
  const char *file = NULL;
  if (registry && inf_registry_get_class_info(registry, INF_CLASS_MODULE, klass->name, &info) &&
      info.klass == (gconstpointer)klass)
    file = info.file;
  g_autofree char *plugin = inf_log_describe_plugin(file);
  return g_strdup_printf("module class '%s', %s", klass->name, plugin);
}

void
inf_log_task(const InfTask *task, InfLogLevel level, const char *format, ...)
{
  g_return_if_fail(task != NULL && format != NULL);
  if (!inf_log_is_enabled(level))
    return;
  g_autofree char *context = inf_task_describe(task);
  va_list args;
  va_start(args, format);
  inf_log_emitv(level, context, format, args);
  va_end(args);
}

void
inf_log_module(const InfModule *module, InfLogLevel level, const char *format, ...)
{
  g_return_if_fail(module != NULL && format != NULL);
  if (!inf_log_is_enabled(level))
    return;
  g_autofree char *origin = inf_plugin_log_describe_module(module);
  const char *name = inf_module_get_name(module);
  g_autofree char *context =
      name ? g_strdup_printf("module '%s' (%s)", name, origin) : g_strdup(origin);
  va_list args;
  va_start(args, format);
  inf_log_emitv(level, context, format, args);
  va_end(args);
}
