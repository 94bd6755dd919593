/* Registers module "dup-b-only", then module "dup" (taken by dup-a): its
 * registration fails and "dup-b-only" must be rolled back. */
#include <inf/inf.h>

static void
dup_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, inf_value_new_text("b"));
}

static const InfModuleClass only_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "dup-b-only",
  .description = "registered before the duplicate",
  .execute = dup_execute,
};

static const InfModuleClass dup_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "dup",
  .description = "dup from dup-b",
  .execute = dup_execute,
};

static gboolean
dup_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &only_class, error) &&
         inf_registry_add_module_class(registry, &dup_class, error);
}

INF_PLUGIN_DEFINE("test-dup-b", "1.0", "Registers dup-b-only and dup", "MIT", dup_register)
