/* A plugin built for a newer ABI minor than the host's: refused. */
#include <inf/inf.h>

static gboolean
never_register(InfRegistry *registry, GError **error)
{
  (void)registry;
  g_set_error(error, INF_ERROR, INF_ERROR_FAILED, "must never be called");
  return FALSE;
}

INF_PLUGIN_EXPORT const InfPluginInfo inf_plugin_info = {
  .abi_major = INF_ABI_MAJOR,
  .abi_minor = INF_ABI_MINOR + 3,
  .struct_size = sizeof(InfPluginInfo),
  .name = "test-abi-minor",
  .version = "1.0",
  .description = "Built for a newer ABI minor",
  .license = "MIT",
  .register_classes = never_register,
};
