/* The classes built into every registry: `graph` (the config-defined
 * composite). `llm`, `template` and `mock` are in-tree plugins. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

gboolean inf_builtins_register(InfRegistry *registry, GError **error);

G_END_DECLS
