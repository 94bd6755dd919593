/* A register function that crashes (a write through a NULL pointer): the
 * host must refuse the file by name and go on with the other plugins. */
#include <inf/inf.h>

static gboolean
crash_register(InfRegistry *registry, GError **error)
{
  (void)registry;
  (void)error;
  volatile int *volatile nowhere = NULL;
  *nowhere = 1;
  return TRUE;
}

INF_PLUGIN_DEFINE("test-crash", "1.0", "Crashes in its register function", "MIT", crash_register)
