/* STUB (by host, so libinf-engine links): the config layer replaces this
 * file with config.c. */
#include "config/config.h"

InfConfig *
inf_config_load(const char *path, const char *resources_path, InfRegistry *registry,
                InfPluginLoader *loader, GError **error)
{
  (void)resources_path;
  (void)registry;
  (void)loader;
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: config loading is not implemented yet",
              path);
  return NULL;
}

void
inf_config_free(InfConfig *config)
{
  (void)config;
}

InfModule *
inf_config_get_main(const InfConfig *config)
{
  (void)config;
  return NULL;
}

InfGraph *
inf_config_get_graph(const InfConfig *config)
{
  (void)config;
  return NULL;
}

const InfResourcesConfig *
inf_config_get_resources(const InfConfig *config)
{
  (void)config;
  return NULL;
}

json_object *
inf_config_get_json(const InfConfig *config)
{
  (void)config;
  return NULL;
}

const char *
inf_config_get_path(const InfConfig *config)
{
  (void)config;
  return NULL;
}
