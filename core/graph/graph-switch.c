/* Switch nodes (DESIGN §6): normalizing the selector and picking a case. */
#include "graph/graph.h"

#include <string.h>

char *
inf_graph_switch_normalize(const char *text, guint flags)
{
  char *copy = g_strdup(text);
  if (flags & INF_SWITCH_NORMALIZE_TRIM)
    g_strstrip(copy);
  if (flags & INF_SWITCH_NORMALIZE_CASEFOLD) {
    char *folded = g_utf8_casefold(copy, -1);
    g_free(copy);
    copy = folded;
  }
  return copy;
}

const char *
inf_graph_switch_selector_text(const InfGraph *graph, const InfGraphSwitch *sw,
                               const InfValue *value, char **owned, GError **error)
{
  g_autofree char *raw = NULL;
  *owned = NULL;
  switch (inf_value_get_kind(value)) {
  case INF_VALUE_TEXT:
    if (sw->normalize == 0)
      return inf_value_get_text(value);
    raw = g_strdup(inf_value_get_text(value));
    break;
  case INF_VALUE_INT:
  case INF_VALUE_DOUBLE:
  case INF_VALUE_BOOL:
    raw = inf_value_to_string(value);
    break;
  case INF_VALUE_JSON: {
    json_object *json = inf_value_to_json(value);
    if (json_object_is_type(json, json_type_string))
      raw = g_strdup(json_object_get_string(json));
    else if (json_object_is_type(json, json_type_int) ||
             json_object_is_type(json, json_type_double) ||
             json_object_is_type(json, json_type_boolean))
      raw = g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
    json_object_put(json);
    if (raw)
      break;
  }
    G_GNUC_FALLTHROUGH;
  default:
    g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                "switch '%s': the selector is %s %s; a switch selects on text (or a number "
                "or a boolean)",
                graph->nodes[sw->node].id, inf_value_get_kind(value) == INF_VALUE_INT ? "an" : "a",
                inf_value_kind_name(inf_value_get_kind(value)));
    return NULL;
  }
  *owned = sw->normalize ? inf_graph_switch_normalize(raw, sw->normalize) : g_steal_pointer(&raw);
  return *owned;
}

/* Appends case @c of switch @s's nodes to @out, with nested switches' cases. */
static void
collect_case(const InfGraph *graph, const InfGraphCase *c, GArray *out)
{
  for (guint k = 0; k < c->n_nodes; k++) {
    guint n = c->nodes[k];
    g_array_append_val(out, n);
    const InfGraphNode *node = &graph->nodes[n];
    if (node->kind == INF_GRAPH_NODE_SWITCH) {
      const InfGraphSwitch *inner = &graph->switches[node->switch_index];
      for (guint i = 0; i < inner->n_cases; i++)
        collect_case(graph, &inner->cases[i], out);
    }
  }
}

void
inf_graph_switch_index_cases(InfGraph *graph)
{
  g_autofree guint *mark = g_new0(guint, graph->n_nodes ? graph->n_nodes : 1);
  guint stamp = 0;
  GArray *all = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint s = 0; s < graph->n_switches; s++)
    for (guint c = 0; c < graph->switches[s].n_cases; c++) {
      InfGraphCase *gc = &graph->switches[s].cases[c];
      g_array_set_size(all, 0);
      collect_case(graph, gc, all);
      gc->n_all_nodes = all->len;
      gc->all_nodes = all->len ? g_memdup2(all->data, sizeof(guint) * all->len) : NULL;
      stamp++;
      for (guint k = 0; k < all->len; k++)
        mark[g_array_index(all, guint, k)] = stamp;
      gc->closed = TRUE;
      for (guint k = 0; k < all->len && gc->closed; k++) {
        const InfGraphNode *node = &graph->nodes[g_array_index(all, guint, k)];
        for (guint d = 0; d < node->n_dependents && gc->closed; d++) {
          guint dep = node->dependents[d];
          gc->closed = mark[dep] == stamp || dep == graph->switches[s].node;
        }
      }
    }
  g_array_unref(all);
}

static gboolean
case_matches(const InfGraphCase *c, const char *text)
{
  switch (c->kind) {
  case INF_GRAPH_MATCH_EXACT:
    return strcmp(text, c->patterns[0]) == 0;
  case INF_GRAPH_MATCH_REGEX:
    return g_regex_match(c->regex, text, 0, NULL);
  case INF_GRAPH_MATCH_PREFIX:
    return g_str_has_prefix(text, c->patterns[0]);
  case INF_GRAPH_MATCH_CONTAINS:
    return strstr(text, c->patterns[0]) != NULL;
  case INF_GRAPH_MATCH_ONE_OF:
    return g_strv_contains((const char *const *)c->patterns, text);
  case INF_GRAPH_MATCH_DEFAULT:
    return TRUE;
  }
  return FALSE;
}

gint
inf_graph_switch_select(const InfGraphSwitch *sw, const char *text)
{
  for (guint i = 0; i < sw->n_cases; i++)
    if (case_matches(&sw->cases[i], text))
      return (gint)i;
  return -1;
}

char *
inf_graph_switch_describe_cases(const InfGraphSwitch *sw)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < sw->n_cases; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", sw->cases[i].label);
  return g_string_free(s, FALSE);
}

void
inf_graph_switch_clear(InfGraphSwitch *sw)
{
  for (guint i = 0; i < sw->n_cases; i++) {
    InfGraphCase *c = &sw->cases[i];
    g_strfreev(c->patterns);
    if (c->regex)
      g_regex_unref(c->regex);
    g_free(c->label);
    inf_graph_outputs_free(c->outputs, c->n_outputs);
    g_free(c->nodes);
    g_free(c->all_nodes);
  }
  g_free(sw->cases);
  sw->cases = NULL;
  sw->n_cases = 0;
}
