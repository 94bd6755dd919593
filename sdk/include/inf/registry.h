/* inf-engine SDK — the class registry.
 *
 * A plugin's register function adds its classes here. Class structs are
 * borrowed: they must live as long as the plugin (static const storage).
 * Registering a second class of the same kind under a name already taken
 * fails with INF_ERROR_PLUGIN naming both plugin files.
 */
#pragma once

#include <inf/client.h>
#include <inf/loss.h>
#include <inf/macros.h>
#include <inf/module.h>
#include <inf/optimizer.h>

G_BEGIN_DECLS

typedef enum {
  INF_CLASS_MODULE,
  INF_CLASS_CLIENT,
  INF_CLASS_LOSS,
  INF_CLASS_OPTIMIZER,
} InfClassKind;

INF_API const char *inf_class_kind_name(InfClassKind kind);

INF_API InfRegistry *inf_registry_new(void);
INF_API void inf_registry_free(InfRegistry *registry);

INF_API gboolean inf_registry_add_module_class(InfRegistry *registry, const InfModuleClass *klass,
                                               GError **error);
INF_API gboolean inf_registry_add_client_class(InfRegistry *registry, const InfClientClass *klass,
                                               GError **error);
INF_API gboolean inf_registry_add_loss_class(InfRegistry *registry, const InfLossClass *klass,
                                             GError **error);
INF_API gboolean inf_registry_add_optimizer_class(InfRegistry *registry,
                                                  const InfOptimizerClass *klass, GError **error);

INF_API const InfModuleClass *inf_registry_lookup_module_class(InfRegistry *registry,
                                                               const char *name);
INF_API const InfClientClass *inf_registry_lookup_client_class(InfRegistry *registry,
                                                               const char *name);
/* The loss class named @name (borrowed), or NULL. */
INF_API const InfLossClass *inf_registry_lookup_loss_class(InfRegistry *registry, const char *name);
INF_API const InfOptimizerClass *inf_registry_lookup_optimizer_class(InfRegistry *registry,
                                                                     const char *name);
/* Sorted names of the registered classes of @kind (free with g_strfreev). */
INF_API char **inf_registry_list(InfRegistry *registry, InfClassKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfRegistry, inf_registry_free)

G_END_DECLS
