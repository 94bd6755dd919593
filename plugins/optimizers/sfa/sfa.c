/* The `sfa` optimizer: aggregate the feedback of each learnable parameter,
 * then ask an LLM for a new value (docs/training.md, "Optimizers").
 *
 *   "optimizer": { "type": "sfa", "aggregator": "smart", "updater": "smart",
 *                  "conservatism": 0.7, "max_items": 40, "max_retries": 3 }
 *
 * A step visits the parameters one at a time in the order the engine gives
 * (topological, upstream first), so a downstream parameter's prompt shows the
 * candidates already proposed upstream in this step. For each parameter with
 * feedback: the distinct items (at most max_items, the most frequent kept)
 * go to the aggregator alias, unless there is only one (no call); the
 * updater alias then gets the current value, the merged feedback, the
 * upstream candidates, the values rejected in earlier steps and the
 * conservatism. A reply that is empty or breaks a constraint (a dropped
 * {placeholder}, more than max_chars) is sent back with the reason, up to
 * max_retries more times; after that the parameter gets no candidate and the
 * step reports why. Prompts: sfa-prompt.c. */
#include <inf/inf.h>

#include "sfa-prompt.h"

#include <string.h>

typedef struct {
  char *aggregator;
  char *updater;
  double conservatism;
  guint max_items;
  guint max_retries;
  guint max_chars;
  gboolean keep_placeholders;
} Sfa;

typedef struct {
  Sfa *sfa;
  InfOptimizerStep *step;
  guint index;    /* the parameter being updated */
  guint attempts; /* calls made for the current request */
  SfaItems items;
  char *feedback; /* merged feedback for the updater */
  char *problem;  /* why the last updater reply was refused */
} Run;

static void run_next(Run *run);

static void
run_reset_parameter(Run *run)
{
  sfa_items_clear(&run->items);
  g_clear_pointer(&run->feedback, g_free);
  g_clear_pointer(&run->problem, g_free);
  run->attempts = 0;
}

static const char *
param_name(Run *run)
{
  return inf_optimizer_step_get_parameter_name(run->step, run->index);
}

static void
report(Run *run, const char *format, const char *detail)
{
  g_autofree char *message = g_strdup_printf(format, param_name(run), detail);
  inf_optimizer_step_report_error(run->step, run->index,
                                  g_error_new_literal(INF_ERROR, INF_ERROR_BAD_RESPONSE, message));
}

static void
send(Run *run, const char *alias, const char *system, const char *prompt, InfAliasReplyFunc reply)
{
  InfLlmRequest *request = inf_llm_request_new();
  inf_llm_request_set_system(request, system);
  inf_llm_request_add_message(request, "user", prompt);
  run->attempts++;
  inf_optimizer_step_call_alias(run->step, alias, request, reply, run);
}

/* --- updater --- */

static void updater_reply(const InfLlmResponse *response, const GError *error, gpointer data);

static void
ask_updater(Run *run)
{
  InfParameter *param = inf_optimizer_step_get_parameter(run->step, run->index);
  g_autoptr(GPtrArray) upstream = g_ptr_array_new();
  for (guint j = 0; j < run->index; j++) {
    const char *candidate = inf_optimizer_step_get_candidate(run->step, j);
    InfParameter *up = inf_optimizer_step_get_parameter(run->step, j);
    if (candidate == NULL || !inf_optimizer_step_is_upstream(run->step, j, run->index) ||
        strcmp(candidate, inf_parameter_get_value(up)) == 0)
      continue;
    g_ptr_array_add(upstream, (gpointer)inf_optimizer_step_get_parameter_name(run->step, j));
    g_ptr_array_add(upstream, (gpointer)inf_parameter_get_value(up));
    g_ptr_array_add(upstream, (gpointer)candidate);
  }
  g_ptr_array_add(upstream, NULL);
  g_autofree char *prompt = sfa_updater_prompt(
      param_name(run), inf_parameter_get_description(param), inf_parameter_get_value(param),
      run->feedback, (const char *const *)upstream->pdata,
      inf_optimizer_step_get_rejected(run->step, run->index), run->sfa->conservatism,
      run->sfa->max_chars, run->problem);
  send(run, run->sfa->updater, sfa_updater_system, prompt, updater_reply);
}

static void
updater_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  Run *run = data;
  if (error != NULL) {
    report(run, "parameter '%s': the updater call failed: %s", error->message);
    run->index++;
    run_next(run);
    return;
  }
  InfParameter *param = inf_optimizer_step_get_parameter(run->step, run->index);
  g_autofree char *value = g_strdup(inf_llm_response_get_content(response));
  if (value != NULL)
    g_strstrip(value);
  g_autofree char *problem = sfa_check_update(inf_parameter_get_value(param), value,
                                              run->sfa->keep_placeholders, run->sfa->max_chars);
  if (problem == NULL) {
    inf_optimizer_step_set_candidate(run->step, run->index, value);
    run->index++;
    run_next(run);
    return;
  }
  if (run->attempts <= run->sfa->max_retries) {
    g_free(run->problem);
    run->problem = g_steal_pointer(&problem);
    ask_updater(run);
    return;
  }
  g_autofree char *why = g_strdup_printf("%s (after %u attempts)", problem, run->attempts);
  report(run, "parameter '%s': the updater's reply was refused: %s", why);
  run->index++;
  run_next(run);
}

/* --- aggregator --- */

static void aggregator_reply(const InfLlmResponse *response, const GError *error, gpointer data);

static void
ask_aggregator(Run *run)
{
  InfParameter *param = inf_optimizer_step_get_parameter(run->step, run->index);
  g_autofree char *prompt =
      sfa_aggregator_prompt(param_name(run), inf_parameter_get_description(param), &run->items);
  send(run, run->sfa->aggregator, sfa_aggregator_system, prompt, aggregator_reply);
}

static void
aggregator_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  Run *run = data;
  const char *text = response ? inf_llm_response_get_content(response) : NULL;
  g_autofree char *merged = g_strstrip(g_strdup(text ? text : ""));
  if (error == NULL && *merged == '\0' && run->attempts <= run->sfa->max_retries) {
    ask_aggregator(run);
    return;
  }
  /* A failed or empty aggregation falls back to the items themselves. */
  run->feedback =
      error == NULL && *merged ? g_steal_pointer(&merged) : sfa_items_as_feedback(&run->items);
  run->attempts = 0;
  ask_updater(run);
}

/* --- the step --- */

static void
run_next(Run *run)
{
  run_reset_parameter(run);
  guint n = inf_optimizer_step_get_n_parameters(run->step);
  for (; run->index < n; run->index++) {
    InfParameter *param = inf_optimizer_step_get_parameter(run->step, run->index);
    guint n_items = inf_parameter_get_n_feedback(param);
    if (!inf_parameter_get_requires_grad(param) || n_items == 0)
      continue;
    g_autofree const char **all = g_new0(const char *, n_items + 1);
    for (guint i = 0; i < n_items; i++)
      all[i] = inf_parameter_get_feedback(param, i);
    sfa_items_init(&run->items, all, n_items, run->sfa->max_items);
    if (run->items.texts->len == 1) {
      run->feedback = sfa_items_as_feedback(&run->items);
      ask_updater(run);
    } else {
      ask_aggregator(run);
    }
    return;
  }
  InfOptimizerStep *step = run->step;
  g_free(run);
  inf_optimizer_step_return(step);
}

static void
sfa_step(InfOptimizer *self, InfOptimizerStep *step)
{
  Run *run = g_new0(Run, 1);
  run->sfa = inf_optimizer_get_private(self);
  run->step = step;
  run_next(run);
}

static gboolean
sfa_init(InfOptimizer *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  (void)error;
  Sfa *sfa = g_new0(Sfa, 1);
  sfa->aggregator = g_strdup(inf_options_get_string(options, "aggregator"));
  sfa->updater = g_strdup(inf_options_get_string(options, "updater"));
  sfa->conservatism = inf_options_get_double(options, "conservatism");
  sfa->max_items = (guint)inf_options_get_int(options, "max_items");
  sfa->max_retries = (guint)inf_options_get_int(options, "max_retries");
  sfa->max_chars = (guint)inf_options_get_int(options, "max_chars");
  sfa->keep_placeholders = inf_options_get_bool(options, "keep_placeholders");
  *out_private = sfa;
  return TRUE;
}

static void
sfa_finalize(gpointer data)
{
  Sfa *sfa = data;
  g_free(sfa->aggregator);
  g_free(sfa->updater);
  g_free(sfa);
}

static const InfOptionSpec sfa_options[] = {
  { .name = "aggregator",
    .type = INF_OPTION_ALIAS,
    .required = TRUE,
    .description = "The alias that merges a parameter's feedback items (not called for one)" },
  { .name = "updater",
    .type = INF_OPTION_ALIAS,
    .required = TRUE,
    .description = "The alias that writes a parameter's new value" },
  { .name = "conservatism",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0.7",
    .description = "How small the changes should be, stated to the updater: 0 rewrites freely, "
                   "1 makes the smallest change",
    .min = 0.0,
    .max = 1.0 },
  { .name = "max_items",
    .type = INF_OPTION_INT,
    .default_json = "40",
    .description = "The most distinct feedback items per parameter and step (the most "
                   "frequent are kept)",
    .min = 1,
    .max = 100000 },
  { .name = "max_retries",
    .type = INF_OPTION_INT,
    .default_json = "3",
    .description = "How often an empty or refused reply is asked again",
    .min = 0,
    .max = 20 },
  { .name = "max_chars",
    .type = INF_OPTION_INT,
    .default_json = "0",
    .description = "The longest value accepted, in characters (0: no limit)",
    .min = 0,
    .max = G_MAXINT32 },
  { .name = "keep_placeholders",
    .type = INF_OPTION_BOOL,
    .default_json = "true",
    .description = "Refuse a new value that drops a {placeholder} of the current one" },
  { NULL },
};

static const InfOptimizerClass sfa_class = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "sfa",
  .description = "Aggregates each parameter's feedback and asks an LLM for a new value, "
                 "upstream parameters first",
  .options = sfa_options,
  .init = sfa_init,
  .finalize = sfa_finalize,
  .step = sfa_step,
};

static gboolean
sfa_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_optimizer_class(registry, &sfa_class, error);
}

INF_PLUGIN_DEFINE("sfa", INF_VERSION_STRING, "The sfa optimizer", "MIT", sfa_register)
