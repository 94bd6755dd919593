/* A shared object that is not a plugin: no inf_plugin_info. */
#include <inf/inf.h>

INF_PLUGIN_EXPORT int inf_test_not_a_plugin = 42;
