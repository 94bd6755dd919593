/* InfEstimate — what a run will need, without calling anything: per alias,
 * the LLM calls, input tokens, output tokens and cost for a stream of inputs.
 *
 * Static, per input: every LLM node of the graph counts as one call (a graph
 * with switches traces every case, so this is an upper bound there; a
 * switch's value is at most its largest case's). Sizes
 * flow along the graph: an input's text (a string as is, other values as
 * compact JSON), a literal's, a local node's output is at most the sum of its
 * arguments plus its own text (string options and parameter values, e.g. a
 * template's text), an LLM node's reply is at most its max_tokens (3 bytes a
 * token). An LLM call's input tokens are estimated as budgets do
 * (inf_budget_estimate_tokens: its system prompt, i.e. the module's
 * parameter values, plus its arguments, / 3), its output tokens are its
 * max_tokens option or @default_max_tokens; the cost uses the alias's
 * highest prices. Retries are not included. */
#pragma once

#include "graph/graph.h"
#include "resources/endpoint.h"

G_BEGIN_DECLS

typedef struct {
  char *alias;
  char *model;              /* of the first endpoint */
  double input_cost_per_1m; /* the highest of the alias's endpoints */
  double output_cost_per_1m;
  guint calls_per_input;
  guint64 calls;
  guint64 input_tokens;
  guint64 output_tokens;
  double cost;
} InfEstimateAlias;

typedef struct _InfEstimate InfEstimate;

/* @resources: where the aliases' prices and models come from. */
InfEstimate *inf_estimate_new(InfGraph *graph, const InfResourcesConfig *resources,
                              gint64 default_max_tokens);
void inf_estimate_free(InfEstimate *estimate);

/* Adds one input (@inputs: one value per graph input, in order, borrowed). */
void inf_estimate_add_input(InfEstimate *estimate, InfValue *const *inputs);
/* Counts a line that is not a valid input (it would fail without a call). */
void inf_estimate_add_bad_input(InfEstimate *estimate);

/* Whether the graph has switches: every case is counted, an upper bound. */
gboolean inf_estimate_has_branches(const InfEstimate *estimate);
guint64 inf_estimate_get_n_inputs(const InfEstimate *estimate);
guint64 inf_estimate_get_n_bad_inputs(const InfEstimate *estimate);
/* The aliases the graph calls, in first-use order (borrowed). */
guint inf_estimate_get_n_aliases(const InfEstimate *estimate);
const InfEstimateAlias *inf_estimate_get_alias(const InfEstimate *estimate, guint index);
/* The totals over the aliases (alias and model NULL). */
void inf_estimate_get_total(const InfEstimate *estimate, InfEstimateAlias *out);
/* {"inputs", "bad_inputs", "upper_bound" (the graph has switches),
 *  "aliases": {alias: {"model", "calls",
 *  "calls_per_input", "input_tokens", "output_tokens", "cost"}}, "total": {...}}
 * (caller owns). */
json_object *inf_estimate_to_json(const InfEstimate *estimate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfEstimate, inf_estimate_free)

G_END_DECLS
