/* Registers module class "dup"; dup-b registers the same name. */
#include <inf/inf.h>

static void
dup_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, inf_value_new_text("a"));
}

static const InfModuleClass dup_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "dup",
  .description = "dup from dup-a",
  .execute = dup_execute,
};

static gboolean
dup_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &dup_class, error);
}

INF_PLUGIN_DEFINE("test-dup-a", "1.0", "Registers module dup", "MIT", dup_register)
