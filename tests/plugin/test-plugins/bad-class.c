/* Registers a module class with neither execute nor forward. */
#include <inf/inf.h>

static const InfModuleClass bad_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "test-bad",
  .description = "does nothing",
};

static gboolean
bad_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &bad_class, error);
}

INF_PLUGIN_DEFINE("test-bad-class", "1.0", "Registers an invalid class", "MIT", bad_register)
