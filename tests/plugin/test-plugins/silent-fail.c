/* A register function that fails without setting an error. */
#include <inf/inf.h>

static gboolean
silent_register(InfRegistry *registry, GError **error)
{
  (void)registry;
  (void)error;
  return FALSE;
}

INF_PLUGIN_DEFINE("test-silent-fail", "1.0", "Fails silently", "MIT", silent_register)
