/* Static estimates of a run's calls, tokens and cost (see estimate.h). */
#include "exec/estimate.h"

#include <string.h>

#include "model/module-private.h"
#include "model/options-private.h"
#include "resources/budget.h"

struct _InfEstimate {
  InfGraph *graph;
  GPtrArray *aliases;   /* InfEstimateAlias * */
  gint *node_alias;     /* per node: index into aliases, or -1 */
  gsize *own_bytes;     /* per node: its own text (parameters, string options) */
  gint64 *reply_tokens; /* per LLM node: max_tokens or the default */
  gsize *bytes;         /* per node, for the current input */
  guint64 n_inputs;
  guint64 n_bad;
};

static void
alias_free(gpointer data)
{
  InfEstimateAlias *a = data;
  g_free(a->alias);
  g_free(a->model);
  g_free(a);
}

/* The text a module adds of its own: its parameters' values and, for local
 * modules, its string options (a template's text). */
static gsize
module_own_bytes(InfModule *module, gboolean llm)
{
  gsize bytes = 0;
  g_autoptr(GPtrArray) params = inf_module_parameters(module);
  for (guint i = 0; i < params->len; i++) {
    const char *value = inf_parameter_get_value(g_ptr_array_index(params, i));
    bytes += value ? strlen(value) : 0;
  }
  if (llm)
    return bytes;
  const InfOptions *options = inf_module_get_options(module);
  const InfOptionSpec *spec = options ? inf_options_get_spec(options) : NULL;
  for (guint i = 0; spec && spec[i].name; i++)
    if (spec[i].type == INF_OPTION_STRING && inf_options_has(options, spec[i].name)) {
      const char *s = inf_options_get_string(options, spec[i].name);
      bytes += s ? strlen(s) : 0;
    }
  return bytes;
}

/* The module's max_tokens option (an integer option of that name), or 0. */
static gint64
module_max_tokens(InfModule *module)
{
  const InfOptions *options = inf_module_get_options(module);
  const InfOptionSpec *spec = options ? inf_options_get_spec(options) : NULL;
  for (guint i = 0; spec && spec[i].name; i++)
    if (spec[i].type == INF_OPTION_INT && strcmp(spec[i].name, "max_tokens") == 0 &&
        inf_options_has(options, "max_tokens"))
      return inf_options_get_int(options, "max_tokens");
  return 0;
}

InfEstimate *
inf_estimate_new(InfGraph *graph, const InfResourcesConfig *resources, gint64 default_max_tokens)
{
  InfEstimate *e = g_new0(InfEstimate, 1);
  e->graph = inf_graph_ref(graph);
  e->aliases = g_ptr_array_new_with_free_func(alias_free);
  e->node_alias = g_new(gint, graph->n_nodes);
  e->own_bytes = g_new0(gsize, graph->n_nodes);
  e->reply_tokens = g_new0(gint64, graph->n_nodes);
  e->bytes = g_new0(gsize, graph->n_nodes);
  for (guint i = 0; i < graph->n_nodes; i++) {
    const InfGraphNode *gn = &graph->nodes[i];
    e->node_alias[i] = -1;
    if (gn->kind != INF_GRAPH_NODE_MODULE)
      continue;
    e->own_bytes[i] = module_own_bytes(gn->module, gn->alias != NULL);
    if (!gn->alias)
      continue;
    gint64 max_tokens = module_max_tokens(gn->module);
    e->reply_tokens[i] = max_tokens > 0 ? max_tokens : default_max_tokens;
    guint a = 0;
    while (a < e->aliases->len &&
           strcmp(((InfEstimateAlias *)g_ptr_array_index(e->aliases, a))->alias, gn->alias) != 0)
      a++;
    if (a == e->aliases->len) {
      InfEstimateAlias *ea = g_new0(InfEstimateAlias, 1);
      ea->alias = g_strdup(gn->alias);
      const InfAliasConfig *ac = inf_resources_config_lookup(resources, gn->alias);
      for (guint k = 0; ac && k < ac->endpoints->len; k++) {
        const InfEndpointConfig *ep = g_ptr_array_index(ac->endpoints, k);
        if (k == 0)
          ea->model = g_strdup(ep->model);
        ea->input_cost_per_1m = MAX(ea->input_cost_per_1m, ep->input_cost_per_1m);
        ea->output_cost_per_1m = MAX(ea->output_cost_per_1m, ep->output_cost_per_1m);
      }
      g_ptr_array_add(e->aliases, ea);
    }
    e->node_alias[i] = (gint)a;
    ((InfEstimateAlias *)g_ptr_array_index(e->aliases, a))->calls_per_input++;
  }
  return e;
}

void
inf_estimate_free(InfEstimate *e)
{
  if (!e)
    return;
  g_ptr_array_unref(e->aliases);
  g_free(e->node_alias);
  g_free(e->own_bytes);
  g_free(e->reply_tokens);
  g_free(e->bytes);
  inf_graph_unref(e->graph);
  g_free(e);
}

static gsize
value_bytes(InfValue *value)
{
  g_autofree char *text = inf_value_to_string(value);
  return text ? strlen(text) : 0;
}

/* A switch's value is its taken case's outputs: at most the largest case. */
static gsize
switch_bytes(const InfEstimate *e, const InfGraphNode *gn)
{
  if (gn->switch_index < 0 || (guint)gn->switch_index >= e->graph->n_switches)
    return 0;
  const InfGraphSwitch *sw = &e->graph->switches[gn->switch_index];
  gsize largest = 0;
  for (guint c = 0; c < sw->n_cases; c++) {
    gsize sum = 0;
    for (guint o = 0; o < sw->cases[c].n_outputs; o++) {
      const InfGraphOutput *out = &sw->cases[c].outputs[o];
      sum += out->source >= 0 ? e->bytes[out->source]
             : out->literal   ? value_bytes(out->literal)
                              : 0;
    }
    largest = MAX(largest, sum);
  }
  return largest;
}

void
inf_estimate_add_input(InfEstimate *e, InfValue *const *inputs)
{
  InfGraph *graph = e->graph;
  e->n_inputs++;
  for (guint i = 0; i < graph->n_inputs; i++)
    e->bytes[i] = inputs[i] ? value_bytes(inputs[i]) : 0;
  /* Nodes are stored in a topological order. */
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    const InfGraphNode *gn = &graph->nodes[i];
    if (gn->kind == INF_GRAPH_NODE_SWITCH) {
      e->bytes[i] = switch_bytes(e, gn);
      continue;
    }
    gsize args = 0;
    for (guint k = 0; k < gn->n_args; k++) {
      const InfGraphArg *arg = &gn->args[k];
      args += arg->source >= 0 ? e->bytes[arg->source]
              : arg->literal   ? value_bytes(arg->literal)
                               : 0;
      if (k > 0)
        args += 2; /* the llm module joins arguments with a blank line */
    }
    if (e->node_alias[i] < 0) {
      e->bytes[i] = args + e->own_bytes[i];
      continue;
    }
    InfEstimateAlias *ea = g_ptr_array_index(e->aliases, e->node_alias[i]);
    gint64 in = inf_budget_estimate_tokens(args + e->own_bytes[i]);
    gint64 out = e->reply_tokens[i];
    ea->calls++;
    ea->input_tokens += (guint64)in;
    ea->output_tokens += (guint64)out;
    ea->cost += ((double)in * ea->input_cost_per_1m + (double)out * ea->output_cost_per_1m) / 1e6;
    e->bytes[i] = (gsize)out * 3;
  }
}

void
inf_estimate_add_bad_input(InfEstimate *e)
{
  e->n_inputs++;
  e->n_bad++;
}

gboolean
inf_estimate_has_branches(const InfEstimate *e)
{
  return e->graph->n_switches > 0;
}

guint64
inf_estimate_get_n_inputs(const InfEstimate *e)
{
  return e->n_inputs;
}

guint64
inf_estimate_get_n_bad_inputs(const InfEstimate *e)
{
  return e->n_bad;
}

guint
inf_estimate_get_n_aliases(const InfEstimate *e)
{
  return e->aliases->len;
}

const InfEstimateAlias *
inf_estimate_get_alias(const InfEstimate *e, guint index)
{
  return g_ptr_array_index(e->aliases, index);
}

void
inf_estimate_get_total(const InfEstimate *e, InfEstimateAlias *out)
{
  memset(out, 0, sizeof *out);
  for (guint i = 0; i < e->aliases->len; i++) {
    const InfEstimateAlias *a = g_ptr_array_index(e->aliases, i);
    out->calls_per_input += a->calls_per_input;
    out->calls += a->calls;
    out->input_tokens += a->input_tokens;
    out->output_tokens += a->output_tokens;
    out->cost += a->cost;
  }
}

static json_object *
alias_json(const InfEstimateAlias *a)
{
  json_object *o = json_object_new_object();
  if (a->model)
    json_object_object_add(o, "model", json_object_new_string(a->model));
  json_object_object_add(o, "calls_per_input", json_object_new_int64(a->calls_per_input));
  json_object_object_add(o, "calls", json_object_new_int64((gint64)a->calls));
  json_object_object_add(o, "input_tokens", json_object_new_int64((gint64)a->input_tokens));
  json_object_object_add(o, "output_tokens", json_object_new_int64((gint64)a->output_tokens));
  json_object_object_add(o, "cost", json_object_new_double(a->cost));
  return o;
}

json_object *
inf_estimate_to_json(const InfEstimate *e)
{
  json_object *root = json_object_new_object();
  json_object_object_add(root, "inputs", json_object_new_int64((gint64)e->n_inputs));
  json_object_object_add(root, "bad_inputs", json_object_new_int64((gint64)e->n_bad));
  json_object_object_add(root, "upper_bound",
                         json_object_new_boolean(inf_estimate_has_branches(e)));
  json_object *aliases = json_object_new_object();
  for (guint i = 0; i < e->aliases->len; i++) {
    const InfEstimateAlias *a = g_ptr_array_index(e->aliases, i);
    json_object_object_add(aliases, a->alias, alias_json(a));
  }
  json_object_object_add(root, "aliases", aliases);
  InfEstimateAlias total;
  inf_estimate_get_total(e, &total);
  json_object_object_add(root, "total", alias_json(&total));
  return root;
}
