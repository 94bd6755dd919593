/* inf-engine SDK — the class registry.
 *
 * A plugin's register function adds its classes here. Class structs are
 * borrowed: they must live as long as the plugin (static const storage).
 * Registering a second class of the same kind under a name already taken
 * fails with INF_ERROR_PLUGIN naming both plugin files.
 *
 * Thread: main loop (every function of this header)
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

/* A short name for @kind ("module", "client", "loss", "optimizer";
 * "unknown" for other numbers).
 * Returns: (transfer none) a static string
 * Since: 1.0 */
INF_API const char *inf_class_kind_name(InfClassKind kind);

/* A new empty registry. Plugins get the host's in their register function;
 * a program embedding the engine or a test makes its own.
 * Returns: (transfer full) free with inf_registry_free()
 * Since: 1.0 */
INF_API InfRegistry *inf_registry_new(void);
/* Frees @registry (the classes themselves are the plugins'). Instances
 * created from it must be gone first. NULL is ignored.
 * @registry: (transfer full) (nullable) the registry
 * Since: 1.0 */
INF_API void inf_registry_free(InfRegistry *registry);

/* Adds a module class. Checked first; fails with INF_ERROR_PLUGIN, naming
 * the plugin file, when @klass is NULL, its struct_size is smaller than the
 * ABI 1.0 fields, its name is missing or not made of letters, digits, '-',
 * '_' and '.', it implements neither execute nor forward, its option or
 * input table has an invalid or repeated name, an option of unknown type,
 * an enum without choices or a default that does not fit its type, or a
 * module class of that name is already registered (naming both files).
 * @klass: (transfer none) borrowed for the life of the plugin: static const
 * Since: 1.0 */
INF_API gboolean inf_registry_add_module_class(InfRegistry *registry, const InfModuleClass *klass,
                                               GError **error);
/* Adds a client class, checked as inf_registry_add_module_class() does;
 * also fails when it implements only one of build_request and
 * parse_response, or neither those nor call.
 * @klass: (transfer none) borrowed for the life of the plugin: static const
 * Since: 1.0 */
INF_API gboolean inf_registry_add_client_class(InfRegistry *registry, const InfClientClass *klass,
                                               GError **error);
/* Adds a loss class, checked as inf_registry_add_module_class() does (the
 * struct must hold at least the fields up to finalize; a class without
 * evaluate registers, but using it fails when a config names it).
 * @klass: (transfer none) borrowed for the life of the plugin: static const
 * Since: 1.0 */
INF_API gboolean inf_registry_add_loss_class(InfRegistry *registry, const InfLossClass *klass,
                                             GError **error);
/* Adds an optimizer class, checked like a loss class.
 * @klass: (transfer none) borrowed for the life of the plugin: static const
 * Since: 1.0 */
INF_API gboolean inf_registry_add_optimizer_class(InfRegistry *registry,
                                                  const InfOptimizerClass *klass, GError **error);

/* The module class registered as @name.
 * @registry: (transfer none) (nullable) NULL gives NULL
 * @name: (transfer none) (nullable) the type name; NULL gives NULL
 * Returns: (transfer none) (nullable) the class, static; NULL when none
 * Since: 1.0 */
INF_API const InfModuleClass *inf_registry_lookup_module_class(InfRegistry *registry,
                                                               const char *name);
/* The client class registered as @name (a provider name).
 * @registry: (transfer none) (nullable) NULL gives NULL
 * @name: (transfer none) (nullable) NULL gives NULL
 * Returns: (transfer none) (nullable) the class, static; NULL when none
 * Since: 1.0 */
INF_API const InfClientClass *inf_registry_lookup_client_class(InfRegistry *registry,
                                                               const char *name);
/* The loss class registered as @name.
 * @registry: (transfer none) (nullable) NULL gives NULL
 * @name: (transfer none) (nullable) NULL gives NULL
 * Returns: (transfer none) (nullable) the class, static; NULL when none
 * Since: 1.0 */
INF_API const InfLossClass *inf_registry_lookup_loss_class(InfRegistry *registry, const char *name);
/* The optimizer class registered as @name.
 * @registry: (transfer none) (nullable) NULL gives NULL
 * @name: (transfer none) (nullable) NULL gives NULL
 * Returns: (transfer none) (nullable) the class, static; NULL when none
 * Since: 1.0 */
INF_API const InfOptimizerClass *inf_registry_lookup_optimizer_class(InfRegistry *registry,
                                                                     const char *name);
/* The names of the registered classes of @kind, sorted (empty for an
 * unknown kind).
 * Returns: (transfer full) NULL-terminated, never NULL; free with g_strfreev()
 * Since: 1.0 */
INF_API char **inf_registry_list(InfRegistry *registry, InfClassKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfRegistry, inf_registry_free)

G_END_DECLS
