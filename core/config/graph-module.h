/* The `graph` module class: a composite defined by a config (DESIGN §5).
 *
 *   {"type": "graph",
 *    "inputs": ["text"],
 *    "nodes": {
 *      "summary":  {"module": "summarize", "args": ["$text"]},
 *      "report":   {"module": {"type": "template", ...},
 *                   "args": {"summary": "$summary.text"}, "priority": -1}
 *    },
 *    "outputs": {"summary": "$summary", "report": "$report"}}
 *
 * Node modules are resolved in init (by name through the config's resolver,
 * or inline) and added as children; forward() calls them in dependency order
 * (config order breaks ties) under their node names. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* The class (registered by inf_builtins_register). */
const InfModuleClass *inf_graph_module_class(void);
/* Whether @module is an instance of the `graph` class. */
gboolean inf_module_is_graph(const InfModule *module);
/* The input names of a graph instance (NULL-terminated, borrowed). */
const char *const *inf_graph_module_get_inputs(const InfModule *module);

G_END_DECLS
