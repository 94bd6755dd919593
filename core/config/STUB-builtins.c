/* STUB (by host, so the library links): the config layer replaces this file
 * with the real inf_builtins_register (the `graph` class). */
#include "config/builtins.h"

gboolean
inf_builtins_register(InfRegistry *registry, GError **error)
{
  (void)registry;
  (void)error;
  return TRUE;
}
