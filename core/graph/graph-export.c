/* Graph export: DOT, Mermaid, JSON. */
#include "graph/graph-export.h"

#include <string.h>

static const char *
shape_name(InfGraphOutputShape shape)
{
  switch (shape)
    {
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
literal_text(const InfValue *value)
{
  json_object *json = inf_value_to_json(value);
  char *text = g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(json);
  return text;
}

static char *
path_suffix(char *const *path)
{
  if (path == NULL || path[0] == NULL)
    return g_strdup("");
  g_autofree char *joined = g_strjoinv(".", (char **)path);
  return g_strconcat(".", joined, NULL);
}

/* The labels of @node's arguments that come from @source, joined. */
static char *
edge_label(const InfGraphNode *node, guint source)
{
  GString *s = g_string_new(NULL);
  for (guint a = 0; a < node->n_args; a++)
    {
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
  for (const char *p = text; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c(out, '\\');
      if (*p == '\n')
        {
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
  GString *s = g_string_new(node->id);
  g_string_append_printf(s, "\n%s", inf_module_get_type_name(node->module));
  if (node->alias)
    g_string_append_printf(s, " @%s", node->alias);
  if (node->priority != 0)
    g_string_append_printf(s, "\npriority %d", node->priority);
  return g_string_free(s, FALSE);
}

char *
inf_graph_to_dot(const InfGraph *graph, const char *name)
{
  GString *out = g_string_new("digraph ");
  dot_quote(out, name ? name : "pipeline");
  g_string_append(out, " {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n");
  for (guint i = 0; i < graph->n_nodes; i++)
    {
      const InfGraphNode *node = &graph->nodes[i];
      g_string_append(out, "  ");
      dot_quote(out, node->id);
      if (node->kind == INF_GRAPH_NODE_INPUT)
        {
          g_string_append(out, " [shape=ellipse, label=");
          dot_quote(out, inf_graph_input_name(graph, i));
        }
      else
        {
          g_autofree char *label = module_label(node);
          g_string_append(out, " [shape=box, label=");
          dot_quote(out, label);
        }
      g_string_append(out, "];\n");
    }
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    {
      const InfGraphNode *node = &graph->nodes[i];
      for (guint d = 0; d < node->n_deps; d++)
        {
          g_autofree char *label = edge_label(node, node->deps[d]);
          g_string_append(out, "  ");
          dot_quote(out, graph->nodes[node->deps[d]].id);
          g_string_append(out, " -> ");
          dot_quote(out, node->id);
          if (label[0])
            {
              g_string_append(out, " [label=");
              dot_quote(out, label);
              g_string_append_c(out, ']');
            }
          g_string_append(out, ";\n");
        }
    }
  for (guint i = 0; i < graph->n_outputs; i++)
    {
      const InfGraphOutput *o = &graph->outputs[i];
      g_autofree char *label = output_label(graph, i);
      g_autofree char *oid = g_strconcat("output:", label, NULL);
      g_string_append(out, "  ");
      dot_quote(out, oid);
      g_string_append(out, " [shape=ellipse, style=dashed, label=");
      if (o->literal)
        {
          g_autofree char *lit = literal_text(o->literal);
          g_autofree char *text = g_strdup_printf("%s = %s", label, lit);
          dot_quote(out, text);
        }
      else
        dot_quote(out, label);
      g_string_append(out, "];\n");
      if (o->source >= 0)
        {
          g_string_append(out, "  ");
          dot_quote(out, graph->nodes[o->source].id);
          g_string_append(out, " -> ");
          dot_quote(out, oid);
          if (o->path)
            {
              g_autofree char *suffix = path_suffix(o->path);
              g_string_append(out, " [label=");
              dot_quote(out, suffix + 1);
              g_string_append_c(out, ']');
            }
          g_string_append(out, ";\n");
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
    switch (*p)
      {
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

char *
inf_graph_to_mermaid(const InfGraph *graph)
{
  GString *out = g_string_new("flowchart TD\n");
  for (guint i = 0; i < graph->n_nodes; i++)
    {
      const InfGraphNode *node = &graph->nodes[i];
      g_string_append_printf(out, "  n%u", i);
      if (node->kind == INF_GRAPH_NODE_INPUT)
        {
          g_autofree char *label = g_strconcat("input: ", inf_graph_input_name(graph, i), NULL);
          g_string_append(out, "([");
          mermaid_quote(out, label);
          g_string_append(out, "])\n");
        }
      else
        {
          g_autofree char *label = module_label(node);
          g_string_append_c(out, '[');
          mermaid_quote(out, label);
          g_string_append(out, "]\n");
        }
    }
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    {
      const InfGraphNode *node = &graph->nodes[i];
      for (guint d = 0; d < node->n_deps; d++)
        {
          g_autofree char *label = edge_label(node, node->deps[d]);
          g_string_append_printf(out, "  n%u -->", node->deps[d]);
          if (label[0])
            {
              g_string_append_c(out, '|');
              mermaid_quote(out, label);
              g_string_append_c(out, '|');
            }
          g_string_append_printf(out, " n%u\n", i);
        }
    }
  for (guint i = 0; i < graph->n_outputs; i++)
    {
      const InfGraphOutput *o = &graph->outputs[i];
      g_autofree char *key = output_label(graph, i);
      g_autofree char *label = NULL;
      if (o->literal)
        {
          g_autofree char *lit = literal_text(o->literal);
          label = g_strdup_printf("output: %s = %s", key, lit);
        }
      else
        label = g_strconcat("output: ", key, NULL);
      g_string_append_printf(out, "  out%u([", i);
      mermaid_quote(out, label);
      g_string_append(out, "])\n");
      if (o->source >= 0)
        {
          g_string_append_printf(out, "  n%d -->", o->source);
          if (o->path)
            {
              g_autofree char *suffix = path_suffix(o->path);
              g_string_append_c(out, '|');
              mermaid_quote(out, suffix + 1);
              g_string_append_c(out, '|');
            }
          g_string_append_printf(out, " out%u\n", i);
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
  if (source >= 0)
    {
      g_autofree char *ref = inf_graph_format_ref(graph, source, path);
      json_object_object_add(entry, "ref", json_object_new_string(ref));
    }
  else
    json_object_object_add(entry, "value", literal ? inf_value_to_json(literal) : NULL);
  return entry;
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
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    {
      const InfGraphNode *node = &graph->nodes[i];
      json_object *n = json_object_new_object();
      json_object_object_add(n, "id", json_object_new_string(node->id));
      json_object_object_add(n, "module",
                             json_object_new_string(inf_module_get_type_name(node->module)));
      const char *instance = inf_module_get_name(node->module);
      json_object_object_add(n, "name", instance ? json_object_new_string(instance) : NULL);
      json_object_object_add(n, "alias", node->alias ? json_object_new_string(node->alias) : NULL);
      json_object *args = json_object_new_array();
      for (guint a = 0; a < node->n_args; a++)
        {
          const InfGraphArg *arg = &node->args[a];
          json_object_array_add(args, source_entry(graph, arg->name, arg->literal, arg->source,
                                                   arg->path));
        }
      json_object_object_add(n, "args", args);
      json_object_object_add(n, "priority", json_object_new_int(node->priority));
      json_object *deps = json_object_new_array();
      for (guint d = 0; d < node->n_deps; d++)
        json_object_array_add(deps, json_object_new_string(graph->nodes[node->deps[d]].id));
      json_object_object_add(n, "deps", deps);
      json_object_array_add(nodes, n);
    }
  json_object_object_add(root, "nodes", nodes);

  json_object_object_add(root, "output_shape",
                         json_object_new_string(shape_name(graph->output_shape)));
  json_object *outputs;
  if (graph->output_shape == INF_GRAPH_OUTPUT_VALUE && graph->n_outputs == 1)
    {
      const InfGraphOutput *o = &graph->outputs[0];
      outputs = source_entry(graph, NULL, o->literal, o->source, o->path);
    }
  else if (graph->output_shape == INF_GRAPH_OUTPUT_DICT)
    {
      outputs = json_object_new_object();
      for (guint i = 0; i < graph->n_outputs; i++)
        {
          const InfGraphOutput *o = &graph->outputs[i];
          json_object_object_add(outputs, o->key,
                                 source_entry(graph, NULL, o->literal, o->source, o->path));
        }
    }
  else
    {
      outputs = json_object_new_array();
      for (guint i = 0; i < graph->n_outputs; i++)
        {
          const InfGraphOutput *o = &graph->outputs[i];
          json_object_array_add(outputs, source_entry(graph, NULL, o->literal, o->source, o->path));
        }
    }
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
  if (strcmp(format, "json") == 0)
    {
      json_object *json = inf_graph_to_json(graph);
      char *text = g_strconcat(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PRETTY |
                                                                      JSON_C_TO_STRING_SPACED |
                                                                      JSON_C_TO_STRING_NOSLASHESCAPE),
                               "\n", NULL);
      json_object_put(json);
      return text;
    }
  g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
              "unknown graph format '%s'; valid formats: dot, mermaid, json", format);
  return NULL;
}
