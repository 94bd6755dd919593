/* inf-engine SDK — plugin entry point.
 *
 * A plugin is a shared object exporting exactly one symbol, a
 * `const InfPluginInfo inf_plugin_info`, normally defined with
 * INF_PLUGIN_DEFINE:
 *
 *   static gboolean
 *   my_register(InfRegistry *registry, GError **error)
 *   {
 *     return inf_registry_add_module_class(registry, &my_class, error);
 *   }
 *   INF_PLUGIN_DEFINE("my-plugin", "1.0.0", "What it does", "MIT", my_register)
 *
 * The host refuses a plugin whose ABI major differs from its own or whose
 * minor is newer, naming the file, both versions and what to do.
 */
#pragma once

#include <inf/macros.h>
#include <inf/registry.h>
#include <inf/version.h>

G_BEGIN_DECLS

typedef struct {
  guint32 abi_major; /* INF_ABI_MAJOR as the plugin was built; first, never moves */
  guint32 abi_minor; /* INF_ABI_MINOR as the plugin was built */
  gsize struct_size; /* sizeof(InfPluginInfo) as the plugin was built */
  const char *name;
  const char *version;
  const char *description;
  const char *license;
  gboolean (*register_classes)(InfRegistry *registry, GError **error);
} InfPluginInfo;

#define INF_PLUGIN_DEFINE(name_, version_, description_, license_, register_) \
  INF_PLUGIN_EXPORT const InfPluginInfo inf_plugin_info = {                   \
    .abi_major = INF_ABI_MAJOR,                                               \
    .abi_minor = INF_ABI_MINOR,                                               \
    .struct_size = sizeof(InfPluginInfo),                                     \
    .name = (name_),                                                          \
    .version = (version_),                                                    \
    .description = (description_),                                            \
    .license = (license_),                                                    \
    .register_classes = (register_),                                          \
  };

G_END_DECLS
