/* A plugin built for the next ABI major: the host must refuse it. */
#include <inf/inf.h>

static gboolean
never_register(InfRegistry *registry, GError **error)
{
  (void)registry;
  g_set_error(error, INF_ERROR, INF_ERROR_FAILED, "must never be called");
  return FALSE;
}

INF_PLUGIN_EXPORT const InfPluginInfo inf_plugin_info = {
  .abi_major = INF_ABI_MAJOR + 1,
  .abi_minor = 0,
  .struct_size = sizeof(InfPluginInfo),
  .name = "test-abi-major",
  .version = "1.0",
  .description = "Built for another ABI major",
  .license = "MIT",
  .register_classes = never_register,
};
