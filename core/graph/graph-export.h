/* Exporting an InfGraph for people and tools: Graphviz DOT, Mermaid
 * flowcharts and JSON (`inf-engine graph`). */
#pragma once

#include "graph/graph.h"

G_BEGIN_DECLS

/* A Graphviz digraph named @name (may be NULL). Newly allocated. */
char *inf_graph_to_dot(const InfGraph *graph, const char *name);
/* A Mermaid flowchart. Newly allocated. */
char *inf_graph_to_mermaid(const InfGraph *graph);
/* {"inputs": [names], "nodes": [{"id", "module", "name", "alias", "args",
 *  "priority", "deps", "guard"}], "output_shape": "value"|"list"|"dict",
 *  "outputs": entry | [entries] | {key: entry}} where an argument or output
 * entry is {"ref": "node.field"} or {"value": literal} (plus "name" for
 * arguments that have one). "guard" is null or the innermost branch guard
 * {"switch": id, "case": index, "match": label}. A switch node has module
 * "switch" and "switch": {"selector", "normalize", "cases": [{"kind",
 * "pattern"|"values", "label", "output", "nodes"}]}. The caller owns the
 * reference. */
json_object *inf_graph_to_json(const InfGraph *graph);

/* "dot", "mermaid" or "json": the export as text, or NULL with an error
 * listing the valid formats. */
char *inf_graph_export(const InfGraph *graph, const char *format, const char *name, GError **error);

G_END_DECLS
