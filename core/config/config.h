/* Loading a pipeline config (DESIGN §5): plugins, resources, parameters,
 * modules, main; the main module traced into its graph. */
#pragma once

#include <inf/inf.h>

#include "graph/graph.h"
#include "model/options-private.h"
#include "plugin/loader.h"
#include "resources/endpoint.h"

G_BEGIN_DECLS

typedef struct _InfConfig InfConfig;

/* Loads and validates @path completely: JSON syntax (line and column),
 * the config's plugins (loaded with @loader into the loader's registry),
 * resources (@resources_path, when given, replaces the config's block),
 * parameters, modules, main, every $ref and alias, and traces main into its
 * graph. Every error names the file and the JSON path. */
InfConfig *inf_config_load(const char *path, const char *resources_path, InfRegistry *registry,
                           InfPluginLoader *loader, GError **error);
void inf_config_free(InfConfig *config);

InfModule *inf_config_get_main(const InfConfig *config);
InfGraph *inf_config_get_graph(const InfConfig *config);
const InfResourcesConfig *inf_config_get_resources(const InfConfig *config);
/* The raw document (borrowed), e.g. for the training block. */
json_object *inf_config_get_json(const InfConfig *config);
const char *inf_config_get_path(const InfConfig *config);
/* The training block as written (borrowed), or NULL. */
json_object *inf_config_get_training(const InfConfig *config);
/* The resolver the config's classes were checked with (borrowed; lives as
 * long as @config): for classes created after loading, such as the training
 * block's loss and optimizer, so that their alias and node references are
 * checked against this config. */
const InfOptionsResolver *inf_config_get_resolver(const InfConfig *config);
/* An entry of the modules block, built (borrowed), or NULL. */
InfModule *inf_config_lookup_module(const InfConfig *config, const char *name);
/* An entry of the parameters block (borrowed), or NULL. */
InfParameter *inf_config_lookup_parameter(const InfConfig *config, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfConfig, inf_config_free)

G_END_DECLS
