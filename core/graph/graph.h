/* InfGraph — the traced pipeline: nodes, edges, inputs, outputs.
 *
 * Built once per pipeline by the tracer; shared read-only by every input's
 * execution state. Nodes are stored in one array; node 0..n_inputs-1 are the
 * graph's input nodes (kind INF_GRAPH_NODE_INPUT, id "input:NAME"), the rest
 * are module nodes in the order they were recorded (a valid topological
 * order, since a call can only use values recorded before it).
 */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef enum {
  INF_GRAPH_NODE_INPUT,
  INF_GRAPH_NODE_MODULE,
  INF_GRAPH_NODE_SWITCH, /* a switch: no module; its value is the taken case's output (§6) */
} InfGraphNodeKind;

/* One argument of a node: a literal or a reference to another node's output
 * (optionally a field of it). */
typedef struct {
  char *name;        /* the argument's name (dict args / declared inputs), or NULL */
  InfValue *literal; /* set for literals; then source == -1 */
  gint source;       /* index of the producing node, or -1 */
  char **path;       /* key path into the source's output (NULL-terminated) or NULL */
} InfGraphArg;

typedef struct {
  char *id; /* stable, readable: "summarize", "summarize_1", "analyze.keywords", "input:text" */
  InfGraphNodeKind kind;
  InfModule *module; /* atomic module (a reference), NULL for inputs */
  const char *alias; /* the module's resource alias, or NULL (cached at build) */
  InfGraphArg *args;
  guint n_args;
  gint priority; /* lower runs first */
  guint *deps;   /* distinct producing node indices, ascending */
  guint n_deps;
  guint *dependents; /* distinct consuming node indices, ascending */
  guint n_dependents;
  /* The innermost branch guard: the node runs only when switch @guard (an
   * index into graph->switches, -1: none) takes case @guard_case. Guards
   * nest through the switch node's own guard. */
  gint guard;
  guint guard_case;
  gint switch_index; /* INF_GRAPH_NODE_SWITCH: its index in graph->switches, else -1 */
} InfGraphNode;

typedef enum {
  INF_GRAPH_OUTPUT_VALUE, /* one output */
  INF_GRAPH_OUTPUT_LIST,  /* a list of outputs */
  INF_GRAPH_OUTPUT_DICT,  /* a dict with the user's keys */
} InfGraphOutputShape;

/* Where one output comes from: a node (and path), or a literal. */
typedef struct {
  char *key; /* dict key, or NULL */
  InfValue *literal;
  gint source;
  char **path;
} InfGraphOutput;

/* How a switch case matches the (normalized) selector text. */
typedef enum {
  INF_GRAPH_MATCH_EXACT,
  INF_GRAPH_MATCH_REGEX,
  INF_GRAPH_MATCH_PREFIX,
  INF_GRAPH_MATCH_CONTAINS,
  INF_GRAPH_MATCH_ONE_OF,
  INF_GRAPH_MATCH_DEFAULT, /* the default case: always matches */
} InfGraphMatchKind;

/* One case of a switch: its match, the value it yields (shaped like the
 * graph's outputs: one value, a list or a dict of refs and literals), and
 * the nodes guarded by it directly (nested switches guard their own). */
typedef struct {
  InfGraphMatchKind kind;
  char **patterns; /* normalized like the selector; one, or several for one_of */
  GRegex *regex;   /* INF_GRAPH_MATCH_REGEX */
  char *label;     /* for people: "billing", "regex ^tech", "default" */
  InfGraphOutputShape shape;
  InfGraphOutput *outputs;
  guint n_outputs;
  guint *nodes; /* ascending */
  guint n_nodes;
  guint *all_nodes; /* the nodes above plus, transitively, those of nested switches' cases */
  guint n_all_nodes;
  gboolean closed; /* no node outside all_nodes but the switch reads one of them */
} InfGraphCase;

typedef struct {
  guint node;          /* the switch node's index */
  guint normalize;     /* InfSwitchNormalize flags */
  InfGraphCase *cases; /* the default, if any, last */
  guint n_cases;
  gboolean has_default;
} InfGraphSwitch;

typedef struct {
  gint ref_count;
  InfGraphNode *nodes;
  guint n_nodes;
  guint n_inputs;          /* nodes[0..n_inputs) are the inputs */
  GHashTable *index_by_id; /* id → GUINT_TO_POINTER(index + 1) */
  InfGraphOutputShape output_shape;
  InfGraphOutput *outputs;
  guint n_outputs;
  char **aliases; /* distinct resource aliases used by nodes, NULL-terminated */
  InfGraphSwitch *switches;
  guint n_switches;
} InfGraph;

InfGraph *inf_graph_ref(InfGraph *graph);
void inf_graph_unref(InfGraph *graph);
/* Frees what @node holds (id, arguments, dependency lists, the module
 * reference), not @node itself: for graphs and for nodes a tracer drops. */
void inf_graph_node_clear(InfGraphNode *node);
/* Frees @n_outputs outputs (keys, literals, paths) and the array @outputs
 * (may be NULL when @n_outputs is 0). */
void inf_graph_outputs_free(InfGraphOutput *outputs, guint n_outputs);
/* The index of node @id, or -1. */
gint inf_graph_lookup(const InfGraph *graph, const char *id);
/* The input names, in order (borrowed ids minus the "input:" prefix). */
const char *inf_graph_input_name(const InfGraph *graph, guint input);

/* --- operations (graph.c) --- */

/* A deterministic topological order of @graph's nodes (Kahn's algorithm,
 * the smallest ready index first): a new array of graph->n_nodes indices.
 * Fails with INF_ERROR_CONFIG naming a cycle ("a -> b -> a") when there is
 * one (graphs built by the tracer never have one). */
guint *inf_graph_topological_order(const InfGraph *graph, GError **error);

/* The same over a plain dependency list, for node lists that are not graphs
 * yet (a config's `nodes`): @n items, item i depends on the @n_deps[i]
 * indices in @deps[i] (duplicates allowed). On success returns the order (a
 * new array of @n indices). On a cycle returns NULL and sets @cycle_out to a
 * new array of the indices along the cycle, the first repeated at the end
 * (a, b, a). */
guint *inf_graph_sort_indices(guint n, const guint *const *deps, const guint *n_deps,
                              GArray **cycle_out);

/* All nodes @index depends on, directly or not (input nodes included), as a
 * new sorted array; its length in @n_out. */
guint *inf_graph_ancestors(const InfGraph *graph, guint index, guint *n_out);
/* All nodes depending on @index, directly or not, as a new sorted array. */
guint *inf_graph_descendants(const InfGraph *graph, guint index, guint *n_out);
/* The number of module nodes (n_nodes - n_inputs). */
guint inf_graph_n_module_nodes(const InfGraph *graph);
/* A reference as shown to users: "summarize", "summarize.field.sub",
 * "input:text" (newly allocated). */
char *inf_graph_format_ref(const InfGraph *graph, gint source, char *const *path);

/* --- switches (graph-switch.c) --- */

/* The selector @value as the text cases match against, normalized per
 * @sw: text as is, numbers and booleans as their JSON text. The result is
 * borrowed from @value, or newly allocated and also stored in @owned. NULL
 * with an error for other kinds. */
const char *inf_graph_switch_selector_text(const InfGraph *graph, const InfGraphSwitch *sw,
                                           const InfValue *value, char **owned, GError **error);
/* Fills each case's all_nodes and closed (after nodes and dependents). */
void inf_graph_switch_index_cases(InfGraph *graph);
/* The first case of @sw matching @text (normalized), or -1 when none does
 * (and there is no default). */
gint inf_graph_switch_select(const InfGraphSwitch *sw, const char *text);
/* "no case of switch 'routed' matches 'xyz' (cases: billing, regex ^tech)". */
char *inf_graph_switch_describe_cases(const InfGraphSwitch *sw);
/* Normalizes @text per @flags (trim, casefold): newly allocated. */
char *inf_graph_switch_normalize(const char *text, guint flags);
/* Frees the contents of @sw. */
void inf_graph_switch_clear(InfGraphSwitch *sw);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfGraph, inf_graph_unref)

G_END_DECLS
