/* The classes built into every registry. */
#include "config/builtins.h"

#include "config/graph-module.h"

gboolean
inf_builtins_register(InfRegistry *registry, GError **error)
{
  g_return_val_if_fail(registry != NULL, FALSE);
  return inf_registry_add_module_class(registry, inf_graph_module_class(), error);
}
