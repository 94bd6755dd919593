/* InfClassResolver: the model's way to find a class without calling the
 * plugin registry (see class-resolver.h). */
#include "model/class-resolver.h"

gconstpointer
inf_class_resolver_lookup(const InfClassResolver *resolver, InfClassKind kind, const char *name,
                          GError **error)
{
  g_return_val_if_fail(name != NULL, NULL);
  if (resolver == NULL || resolver->lookup_class == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "unknown class '%s': no registry to look it up in", name);
    return NULL;
  }
  return resolver->lookup_class(resolver, kind, name, error);
}
