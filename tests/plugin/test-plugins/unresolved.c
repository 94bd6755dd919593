/* A plugin that needs a function nobody defines: dlopen(RTLD_NOW) fails. */
#include <inf/inf.h>

extern gboolean inf_test_missing_function(InfRegistry *registry);

static gboolean
unresolved_register(InfRegistry *registry, GError **error)
{
  (void)error;
  return inf_test_missing_function(registry);
}

INF_PLUGIN_DEFINE("test-unresolved", "1.0", "References an undefined function", "MIT",
                  unresolved_register)
