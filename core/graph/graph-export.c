/* Graph export: DOT, Mermaid, JSON. */
#include "graph/graph-export.h"

#include <string.h>

#include "model/value-private.h"

static const char *
shape_name(InfGraphOutputShape shape)
{
  switch (shape) {
  case INF_GRAPH_OUTPUT_LIST:
    return "list";
  case INF_GRAPH_OUTPUT_DICT:
    return "dict";
  default:
    return "value";
  }
}

/* The label of output @i: its dict key, its list index, or "output". */
static char *
output_label(const InfGraph *graph, guint i)
{
  if (graph->output_shape == INF_GRAPH_OUTPUT_DICT)
    return g_strdup(graph->outputs[i].key);
  if (graph->output_shape == INF_GRAPH_OUTPUT_LIST)
    return g_strdup_printf("[%u]", i);
  return g_strdup("output");
}

static char *
path_suffix(char *const *path)
{
  if (path == NULL || path[0] == NULL)
    return g_strdup("");
  g_autofree char *joined = g_strjoinv(".", (char **)path);
  return g_strconcat(".", joined, NULL);
}

/* The labels of @node's arguments that come from @source, joined; for a
 * switch node also the cases whose output comes from @source. */
static char *
edge_label(const InfGraph *graph, const InfGraphNode *node, guint source)
{
  GString *s = g_string_new(NULL);
  if (node->kind == INF_GRAPH_NODE_SWITCH) {
    const InfGraphSwitch *sw = &graph->switches[node->switch_index];
    for (guint c = 0; c < sw->n_cases; c++)
      for (guint o = 0; o < sw->cases[c].n_outputs; o++)
        if (sw->cases[c].outputs[o].source == (gint)source) {
          g_string_append_printf(s, "%scase %s", s->len ? ", " : "", sw->cases[c].label);
          break;
        }
  }
  for (guint a = 0; a < node->n_args; a++) {
    const InfGraphArg *arg = &node->args[a];
    if (arg->source != (gint)source)
      continue;
    if (arg->name == NULL && arg->path == NULL)
      continue; /* an unnamed positional argument: the edge says it all */
    if (s->len)
      g_string_append(s, ", ");
    g_autofree char *suffix = path_suffix(arg->path);
    if (arg->name && arg->path)
      g_string_append_printf(s, "%s (%s)", arg->name, suffix + 1);
    else if (arg->name)
      g_string_append(s, arg->name);
    else
      g_string_append(s, suffix + 1);
  }
  return g_string_free(s, FALSE);
}

/* --- DOT --- */

static void
dot_quote(GString *out, const char *text)
{
  g_string_append_c(out, '"');
  for (const char *p = text; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c(out, '\\');
    if (*p == '\n') {
      g_string_append(out, "\\n");
      continue;
    }
    g_string_append_c(out, *p);
  }
  g_string_append_c(out, '"');
}

static char *
module_label(const InfGraphNode *node)
{
  if (node->kind == INF_GRAPH_NODE_SWITCH)
    return g_strconcat(node->id, "\nswitch", NULL);
  GString *s = g_string_new(node->id);
  g_string_append_printf(s, "\n%s", inf_module_get_type_name(node->module));
  if (node->alias)
    g_string_append_printf(s, " @%s", node->alias);
  if (node->priority != 0)
    g_string_append_printf(s, "\npriority %d", node->priority);
  return g_string_free(s, FALSE);
}

static void
dot_indent(GString *out, guint depth)
{
  for (guint i = 0; i < depth; i++)
    g_string_append(out, "  ");
}

/* An edge "@from" -> "@to", labelled unless @label is empty. */
static void
dot_edge(GString *out, const char *from, const char *to, const char *label)
{
  g_string_append(out, "  ");
  dot_quote(out, from);
  g_string_append(out, " -> ");
  dot_quote(out, to);
  if (label[0]) {
    g_string_append(out, " [label=");
    dot_quote(out, label);
    g_string_append_c(out, ']');
  }
  g_string_append(out, ";\n");
}

/* Declares node @i; a switch's cases follow as clusters holding their
 * nodes (nested switches nest their clusters). */
static void
dot_node(GString *out, const InfGraph *graph, guint i, guint depth)
{
  const InfGraphNode *node = &graph->nodes[i];
  dot_indent(out, depth);
  dot_quote(out, node->id);
  if (node->kind == INF_GRAPH_NODE_INPUT) {
    g_string_append(out, " [shape=ellipse, label=");
    dot_quote(out, inf_graph_input_name(graph, i));
  } else {
    g_autofree char *label = module_label(node);
    g_string_append(out, node->kind == INF_GRAPH_NODE_SWITCH ? " [shape=diamond, label="
                                                             : " [shape=box, label=");
    dot_quote(out, label);
  }
  g_string_append(out, "];\n");
  if (node->kind != INF_GRAPH_NODE_SWITCH)
    return;
  const InfGraphSwitch *sw = &graph->switches[node->switch_index];
  for (guint c = 0; c < sw->n_cases; c++) {
    dot_indent(out, depth);
    g_autofree char *cluster = g_strdup_printf("cluster_%s_%u", node->id, c);
    g_string_append(out, "subgraph ");
    dot_quote(out, cluster);
    g_string_append(out, " {\n");
    dot_indent(out, depth + 1);
    g_autofree char *label = g_strdup_printf("%s: %s", node->id, sw->cases[c].label);
    g_string_append(out, "label=");
    dot_quote(out, label);
    g_string_append(out, "; style=dashed;\n");
    for (guint k = 0; k < sw->cases[c].n_nodes; k++)
      dot_node(out, graph, sw->cases[c].nodes[k], depth + 1);
    dot_indent(out, depth);
    g_string_append(out, "}\n");
  }
}

char *
inf_graph_to_dot(const InfGraph *graph, const char *name)
{
  GString *out = g_string_new("digraph ");
  dot_quote(out, name ? name : "pipeline");
  g_string_append(out, " {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n");
  for (guint i = 0; i < graph->n_nodes; i++)
    if (graph->nodes[i].guard < 0)
      dot_node(out, graph, i, 1);
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    const InfGraphNode *node = &graph->nodes[i];
    for (guint d = 0; d < node->n_deps; d++) {
      g_autofree char *label = edge_label(graph, node, node->deps[d]);
      dot_edge(out, graph->nodes[node->deps[d]].id, node->id, label);
    }
  }
  for (guint i = 0; i < graph->n_outputs; i++) {
    const InfGraphOutput *o = &graph->outputs[i];
    g_autofree char *label = output_label(graph, i);
    g_autofree char *oid = g_strconcat("output:", label, NULL);
    g_string_append(out, "  ");
    dot_quote(out, oid);
    g_string_append(out, " [shape=ellipse, style=dashed, label=");
    if (o->literal) {
      g_autofree char *lit = inf_value_to_json_text(o->literal);
      g_autofree char *text = g_strdup_printf("%s = %s", label, lit);
      dot_quote(out, text);
    } else
      dot_quote(out, label);
    g_string_append(out, "];\n");
    if (o->source >= 0) {
      g_autofree char *suffix = path_suffix(o->path);
      dot_edge(out, graph->nodes[o->source].id, oid, suffix[0] ? suffix + 1 : "");
    }
  }
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

/* --- Mermaid --- */

static void
mermaid_quote(GString *out, const char *text)
{
  g_string_append_c(out, '"');
  for (const char *p = text; *p; p++)
    switch (*p) {
    case '"':
      g_string_append(out, "#quot;");
      break;
    case '\n':
      g_string_append(out, "<br/>");
      break;
    case '<':
      g_string_append(out, "#lt;");
      break;
    case '>':
      g_string_append(out, "#gt;");
      break;
    default:
      g_string_append_c(out, *p);
    }
  g_string_append_c(out, '"');
}

/* An edge @from --> @to (node names), labelled unless @label is empty. */
static void
mermaid_edge(GString *out, const char *from, const char *to, const char *label)
{
  g_string_append_printf(out, "  %s -->", from);
  if (label[0]) {
    g_string_append_c(out, '|');
    mermaid_quote(out, label);
    g_string_append_c(out, '|');
  }
  g_string_append_printf(out, " %s\n", to);
}

/* Declares node @i; a switch's cases follow as labelled subgraphs. */
static void
mermaid_node(GString *out, const InfGraph *graph, guint i, guint depth)
{
  const InfGraphNode *node = &graph->nodes[i];
  dot_indent(out, depth);
  g_string_append_printf(out, "n%u", i);
  if (node->kind == INF_GRAPH_NODE_INPUT) {
    g_autofree char *label = g_strconcat("input: ", inf_graph_input_name(graph, i), NULL);
    g_string_append(out, "([");
    mermaid_quote(out, label);
    g_string_append(out, "])\n");
    return;
  }
  g_autofree char *label = module_label(node);
  g_string_append_c(out, node->kind == INF_GRAPH_NODE_SWITCH ? '{' : '[');
  mermaid_quote(out, label);
  g_string_append(out, node->kind == INF_GRAPH_NODE_SWITCH ? "}\n" : "]\n");
  if (node->kind != INF_GRAPH_NODE_SWITCH)
    return;
  const InfGraphSwitch *sw = &graph->switches[node->switch_index];
  for (guint c = 0; c < sw->n_cases; c++) {
    dot_indent(out, depth);
    g_autofree char *case_label = g_strdup_printf("%s: %s", node->id, sw->cases[c].label);
    g_string_append_printf(out, "subgraph n%u_case%u[", i, c);
    mermaid_quote(out, case_label);
    g_string_append(out, "]\n");
    for (guint k = 0; k < sw->cases[c].n_nodes; k++)
      mermaid_node(out, graph, sw->cases[c].nodes[k], depth + 1);
    dot_indent(out, depth);
    g_string_append(out, "end\n");
  }
}

char *
inf_graph_to_mermaid(const InfGraph *graph)
{
  GString *out = g_string_new("flowchart TD\n");
  for (guint i = 0; i < graph->n_nodes; i++)
    if (graph->nodes[i].guard < 0)
      mermaid_node(out, graph, i, 1);
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    const InfGraphNode *node = &graph->nodes[i];
    for (guint d = 0; d < node->n_deps; d++) {
      g_autofree char *label = edge_label(graph, node, node->deps[d]);
      g_autofree char *from = g_strdup_printf("n%u", node->deps[d]);
      g_autofree char *to = g_strdup_printf("n%u", i);
      mermaid_edge(out, from, to, label);
    }
  }
  for (guint i = 0; i < graph->n_outputs; i++) {
    const InfGraphOutput *o = &graph->outputs[i];
    g_autofree char *key = output_label(graph, i);
    g_autofree char *label = NULL;
    if (o->literal) {
      g_autofree char *lit = inf_value_to_json_text(o->literal);
      label = g_strdup_printf("output: %s = %s", key, lit);
    } else
      label = g_strconcat("output: ", key, NULL);
    g_string_append_printf(out, "  out%u([", i);
    mermaid_quote(out, label);
    g_string_append(out, "])\n");
    if (o->source >= 0) {
      g_autofree char *suffix = path_suffix(o->path);
      g_autofree char *from = g_strdup_printf("n%d", o->source);
      g_autofree char *to = g_strdup_printf("out%u", i);
      mermaid_edge(out, from, to, suffix[0] ? suffix + 1 : "");
    }
  }
  return g_string_free(out, FALSE);
}

/* --- JSON --- */

static json_object *
source_entry(const InfGraph *graph, const char *name, const InfValue *literal, gint source,
             char *const *path)
{
  json_object *entry = json_object_new_object();
  if (name)
    json_object_object_add(entry, "name", json_object_new_string(name));
  if (source >= 0) {
    g_autofree char *ref = inf_graph_format_ref(graph, source, path);
    json_object_object_add(entry, "ref", json_object_new_string(ref));
  } else
    json_object_object_add(entry, "value", literal ? inf_value_to_json(literal) : NULL);
  return entry;
}

static json_object *
outputs_json(const InfGraph *graph, InfGraphOutputShape shape, const InfGraphOutput *outs,
             guint n_outs)
{
  json_object *outputs;
  if (shape == INF_GRAPH_OUTPUT_VALUE && n_outs == 1)
    outputs = source_entry(graph, NULL, outs[0].literal, outs[0].source, outs[0].path);
  else if (shape == INF_GRAPH_OUTPUT_DICT) {
    outputs = json_object_new_object();
    for (guint i = 0; i < n_outs; i++)
      json_object_object_add(
          outputs, outs[i].key,
          source_entry(graph, NULL, outs[i].literal, outs[i].source, outs[i].path));
  } else {
    outputs = json_object_new_array();
    for (guint i = 0; i < n_outs; i++)
      json_object_array_add(
          outputs, source_entry(graph, NULL, outs[i].literal, outs[i].source, outs[i].path));
  }
  return outputs;
}

/* {"switch": id, "case": index, "match": label} for a guarded node, else
 * NULL (JSON null). Only the innermost guard: the switch node's own guard
 * gives the next one out. */
static json_object *
guard_json(const InfGraph *graph, const InfGraphNode *node)
{
  if (node->guard < 0)
    return NULL;
  const InfGraphSwitch *sw = &graph->switches[node->guard];
  json_object *g = json_object_new_object();
  json_object_object_add(g, "switch", json_object_new_string(graph->nodes[sw->node].id));
  json_object_object_add(g, "case", json_object_new_int((int)node->guard_case));
  json_object_object_add(g, "match", json_object_new_string(sw->cases[node->guard_case].label));
  return g;
}

static const char *const match_kind_names[] = { "exact",    "regex",  "prefix",
                                                "contains", "one_of", "default" };

static json_object *
switch_json(const InfGraph *graph, const InfGraphNode *node)
{
  const InfGraphSwitch *sw = &graph->switches[node->switch_index];
  json_object *j = json_object_new_object();
  g_autofree char *selector = inf_graph_format_ref(graph, node->args[0].source, node->args[0].path);
  json_object_object_add(j, "selector", json_object_new_string(selector));
  json_object *normalize = json_object_new_array();
  if (sw->normalize & INF_SWITCH_NORMALIZE_TRIM)
    json_object_array_add(normalize, json_object_new_string("trim"));
  if (sw->normalize & INF_SWITCH_NORMALIZE_CASEFOLD)
    json_object_array_add(normalize, json_object_new_string("casefold"));
  json_object_object_add(j, "normalize", normalize);
  json_object *cases = json_object_new_array();
  for (guint c = 0; c < sw->n_cases; c++) {
    const InfGraphCase *gc = &sw->cases[c];
    json_object *cj = json_object_new_object();
    json_object_object_add(cj, "kind", json_object_new_string(match_kind_names[gc->kind]));
    if (gc->kind == INF_GRAPH_MATCH_ONE_OF) {
      json_object *values = json_object_new_array();
      for (guint p = 0; gc->patterns[p]; p++)
        json_object_array_add(values, json_object_new_string(gc->patterns[p]));
      json_object_object_add(cj, "values", values);
    } else if (gc->kind != INF_GRAPH_MATCH_DEFAULT)
      json_object_object_add(cj, "pattern", json_object_new_string(gc->patterns[0]));
    json_object_object_add(cj, "label", json_object_new_string(gc->label));
    json_object_object_add(cj, "output",
                           outputs_json(graph, gc->shape, gc->outputs, gc->n_outputs));
    json_object *ids = json_object_new_array();
    for (guint k = 0; k < gc->n_nodes; k++)
      json_object_array_add(ids, json_object_new_string(graph->nodes[gc->nodes[k]].id));
    json_object_object_add(cj, "nodes", ids);
    json_object_array_add(cases, cj);
  }
  json_object_object_add(j, "cases", cases);
  return j;
}

json_object *
inf_graph_to_json(const InfGraph *graph)
{
  json_object *root = json_object_new_object();
  json_object *inputs = json_object_new_array();
  for (guint i = 0; i < graph->n_inputs; i++)
    json_object_array_add(inputs, json_object_new_string(inf_graph_input_name(graph, i)));
  json_object_object_add(root, "inputs", inputs);

  json_object *nodes = json_object_new_array();
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    const InfGraphNode *node = &graph->nodes[i];
    json_object *n = json_object_new_object();
    json_object_object_add(n, "id", json_object_new_string(node->id));
    json_object_object_add(
        n, "module",
        json_object_new_string(node->module ? inf_module_get_type_name(node->module) : "switch"));
    const char *instance = node->module ? inf_module_get_name(node->module) : NULL;
    json_object_object_add(n, "name", instance ? json_object_new_string(instance) : NULL);
    json_object_object_add(n, "alias", node->alias ? json_object_new_string(node->alias) : NULL);
    json_object *args = json_object_new_array();
    for (guint a = 0; a < node->n_args; a++) {
      const InfGraphArg *arg = &node->args[a];
      json_object_array_add(args,
                            source_entry(graph, arg->name, arg->literal, arg->source, arg->path));
    }
    json_object_object_add(n, "args", args);
    json_object_object_add(n, "priority", json_object_new_int(node->priority));
    json_object *deps = json_object_new_array();
    for (guint d = 0; d < node->n_deps; d++)
      json_object_array_add(deps, json_object_new_string(graph->nodes[node->deps[d]].id));
    json_object_object_add(n, "deps", deps);
    json_object_object_add(n, "guard", guard_json(graph, node));
    if (node->kind == INF_GRAPH_NODE_SWITCH)
      json_object_object_add(n, "switch", switch_json(graph, node));
    json_object_array_add(nodes, n);
  }
  json_object_object_add(root, "nodes", nodes);

  json_object_object_add(root, "output_shape",
                         json_object_new_string(shape_name(graph->output_shape)));
  json_object *outputs = outputs_json(graph, graph->output_shape, graph->outputs, graph->n_outputs);
  json_object_object_add(root, "outputs", outputs);
  return root;
}

char *
inf_graph_export(const InfGraph *graph, const char *format, const char *name, GError **error)
{
  if (format == NULL || strcmp(format, "dot") == 0)
    return inf_graph_to_dot(graph, name);
  if (strcmp(format, "mermaid") == 0)
    return inf_graph_to_mermaid(graph);
  if (strcmp(format, "json") == 0) {
    json_object *json = inf_graph_to_json(graph);
    char *text = g_strconcat(
        json_object_to_json_string_ext(json, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE),
        "\n", NULL);
    json_object_put(json);
    return text;
  }
  g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
              "unknown graph format '%s'; valid formats: dot, mermaid, json", format);
  return NULL;
}
