/* `inf-engine estimate CONFIG --input FILE`: per alias, the LLM calls, tokens
 * and cost a run over FILE will need, without calling anything (see
 * exec/estimate.h for how). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "exec/estimate.h"
#include "host/commands.h"

/* One input line into one value per graph input; FALSE for a line that is
 * not a valid input (the run would write an error line for it). */
static gboolean
parse_line(InfGraph *graph, const char *text, InfValue **inputs)
{
  json_object *json = json_tokener_parse(text);
  if (!json)
    return FALSE;
  gboolean ok = TRUE;
  if (json_object_is_type(json, json_type_object)) {
    for (guint i = 0; i < graph->n_inputs && ok; i++) {
      json_object *member;
      if (json_object_object_get_ex(json, inf_graph_input_name(graph, i), &member))
        inputs[i] = inf_value_from_json(member);
      else
        ok = FALSE;
    }
  } else if (graph->n_inputs == 1 && json_object_is_type(json, json_type_string)) {
    inputs[0] = inf_value_from_json(json);
  } else {
    ok = FALSE;
  }
  json_object_put(json);
  return ok;
}

static void
print_row(const char *alias, const char *model, guint per_input, const InfEstimateAlias *a)
{
  g_print("%-14s %-18s %9u %11" G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT " %14" G_GUINT64_FORMAT
          " %12.4f\n",
          alias, model ? model : "", per_input, a->calls, a->input_tokens, a->output_tokens,
          a->cost);
}

/* Compares the estimate with the budget's global limits, if any. */
static void
print_budget(const InfResourcesConfig *resources, const InfEstimateAlias *total)
{
  const InfBudgetConfig *budget = resources ? resources->budget : NULL;
  if (!budget)
    return;
  const InfBudgetLimits *l = &budget->limits;
  if (l->max_cost >= 0)
    g_print("budget: max_cost $%g: the estimate ($%.4f) %s\n", l->max_cost, total->cost,
            total->cost <= l->max_cost ? "fits" : "exceeds it");
  if (l->max_requests >= 0)
    g_print("budget: max_requests %" G_GINT64_FORMAT ": the estimate (%" G_GUINT64_FORMAT
            " calls, without retries) %s\n",
            l->max_requests, total->calls,
            total->calls <= (guint64)l->max_requests ? "fits" : "exceeds it");
  if (l->max_tokens >= 0) {
    guint64 tokens = total->input_tokens + total->output_tokens;
    g_print("budget: max_tokens %" G_GINT64_FORMAT ": the estimate (%" G_GUINT64_FORMAT
            " tokens) %s\n",
            l->max_tokens, tokens, tokens <= (guint64)l->max_tokens ? "fits" : "exceeds it");
  }
}

/* Counts every line of @input_path ('-': stdin) into @estimate (a line that
 * is not a valid input counts as bad). FALSE after printing why the file
 * could not be read. */
static gboolean
add_inputs(InfEstimate *estimate, InfGraph *graph, const char *input_path)
{
  FILE *input = stdin;
  if (!g_str_equal(input_path, "-")) {
    input = fopen(input_path, "re");
    if (!input) {
      g_printerr("inf-engine estimate: cannot open input %s: %s\n", input_path, g_strerror(errno));
      return FALSE;
    }
  }
  InfValue **inputs = g_new0(InfValue *, graph->n_inputs + 1);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, input)) >= 0) {
    gboolean blank = TRUE;
    for (ssize_t i = 0; i < n && blank; i++)
      blank = g_ascii_isspace(line[i]);
    if (blank)
      continue;
    if (parse_line(graph, line, inputs))
      inf_estimate_add_input(estimate, inputs);
    else
      inf_estimate_add_bad_input(estimate);
    for (guint i = 0; i < graph->n_inputs; i++)
      g_clear_pointer(&inputs[i], inf_value_unref);
  }
  gboolean read_error = ferror(input);
  free(line);
  g_free(inputs);
  if (input != stdin)
    fclose(input);
  if (read_error) {
    g_printerr("inf-engine estimate: reading %s failed\n", input_path);
    return FALSE;
  }
  return TRUE;
}

/* Prints @estimate as JSON, or as a table per alias with the total and
 * what the budget says of it. */
static void
print_estimate(InfEstimate *estimate, const InfResourcesConfig *resources, gboolean as_json)
{
  if (as_json) {
    json_object *json = inf_estimate_to_json(estimate);
    g_print("%s\n", json_object_to_json_string_ext(json, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(json);
    return;
  }
  g_print("%" G_GUINT64_FORMAT " inputs", inf_estimate_get_n_inputs(estimate));
  if (inf_estimate_get_n_bad_inputs(estimate))
    g_print(" (%" G_GUINT64_FORMAT " not valid: no calls)",
            inf_estimate_get_n_bad_inputs(estimate));
  g_print("\n%-14s %-18s %9s %11s %14s %14s %12s\n", "alias", "model", "per input", "calls",
          "input tokens", "output tokens", "cost $");
  for (guint i = 0; i < inf_estimate_get_n_aliases(estimate); i++) {
    const InfEstimateAlias *a = inf_estimate_get_alias(estimate, i);
    print_row(a->alias, a->model, a->calls_per_input, a);
  }
  InfEstimateAlias total;
  inf_estimate_get_total(estimate, &total);
  print_row("total", NULL, total.calls_per_input, &total);
  if (inf_estimate_has_branches(estimate))
    g_print("the graph has switches: the calls of every case are counted (an upper bound)\n");
  print_budget(resources, &total);
}

int
inf_command_estimate(int argc, char **argv)
{
  g_auto(InfHostConfigCommand) command = { 0 };
  g_autofree char *input_path = NULL;
  gboolean as_json = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { .long_name = "input",
      .short_name = 'i',
      .arg = G_OPTION_ARG_FILENAME,
      .arg_data = &input_path,
      .description = "JSONL inputs, one object per line, as for run ('-': stdin)",
      .arg_description = "FILE" },
    { .long_name = "json",
      .arg = G_OPTION_ARG_NONE,
      .arg_data = &as_json,
      .description = "Print the estimate as JSON" },
    G_OPTION_ENTRY_NULL,
  };

  if (!inf_host_config_command_parse(
          &command, "estimate", "CONFIG --input FILE",
          "Prints, per alias, the LLM calls, input tokens, output tokens and cost that\n"
          "`inf-engine run CONFIG --input FILE` will need, without calling anything.\n"
          "Every LLM node counts as one call per input (with branches: every case, an upper\n"
          "bound); input tokens are the prompt's bytes / 3 (a reply fed to a later call\n"
          "counts as its max_tokens); output tokens are each call's max_tokens, else the\n"
          "budget's default_max_tokens (4096): an upper bound. Costs use the endpoints'\n"
          "input_cost_per_1m and output_cost_per_1m. Retries and json_schema repairs are\n"
          "not included.",
          entries, argc, argv, &status))
    return status;
  if (input_path == NULL) {
    g_printerr("inf-engine estimate: --input FILE is required (the inputs the run will read; "
               "'-' for stdin)\n");
    return INF_EXIT_USAGE;
  }

  if (!inf_host_config_command_load(&command, "estimate"))
    return INF_EXIT_CONFIG;
  InfGraph *graph = inf_config_get_graph(command.config);
  const InfResourcesConfig *resources = inf_config_get_resources(command.config);
  gint64 default_max_tokens = resources && resources->budget ? resources->budget->default_max_tokens
                                                             : INF_BUDGET_DEFAULT_MAX_TOKENS;
  g_autoptr(InfEstimate) estimate = inf_estimate_new(graph, resources, default_max_tokens);
  if (!add_inputs(estimate, graph, input_path))
    return INF_EXIT_FAILURE;
  print_estimate(estimate, resources, as_json);
  return INF_EXIT_OK;
}
