/* InfClassResolver — how the object model finds a class by kind and name.
 *
 * The model (options, modules) sits below the plugin registry: it never
 * calls the registry. It looks classes up through this interface instead,
 * which the registry implements: an InfRegistry starts with an
 * InfClassResolver (see core/plugin/registry.c), so the InfRegistry * that
 * the SDK hands to inf_module_new() is read through it. Internal to core. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef struct _InfClassResolver InfClassResolver;

struct _InfClassResolver {
  /* The class of @kind named @name, or NULL with an INF_ERROR_CONFIG error
   * that names the known classes (no location: the caller prefixes it). */
  gconstpointer (*lookup_class)(const InfClassResolver *resolver, InfClassKind kind,
                                const char *name, GError **error);
};

/* The resolver of @registry (NULL gives NULL). */
static inline const InfClassResolver *
inf_class_resolver_of(InfRegistry *registry)
{
  return (const InfClassResolver *)registry;
}

/* Looks @name of @kind up through @resolver; a NULL resolver knows no
 * class (an INF_ERROR_CONFIG error). */
gconstpointer inf_class_resolver_lookup(const InfClassResolver *resolver, InfClassKind kind,
                                        const char *name, GError **error);

G_END_DECLS
