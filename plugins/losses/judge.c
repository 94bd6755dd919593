/* The `llm-judge` loss: an LLM (through a resource alias) lists actionable
 * improvements for the output; optionally it also gives a score in [0, 1].
 *
 * The reply is a JSON object {"improvements": [strings], "score": number}
 * (score only when asked), requested as structured output and validated
 * against that schema; a malformed reply is asked for again (`attempts`
 * replies in all), then the example fails with a clear error. Without
 * `score` the feedback has no score (it only critiques). */
#include <math.h>

#include "losses.h"
#include "losses-llm.h"

static const InfOptionSpec judge_options[] = {
  { .name = "alias",
    .type = INF_OPTION_ALIAS,
    .default_json = "\"judge\"",
    .description = "Resource alias of the judge LLM" },
  { .name = "criteria",
    .type = INF_OPTION_STRING,
    .description = "What the judge should focus on (e.g. \"accuracy and brevity\")" },
  { .name = "score",
    .type = INF_OPTION_BOOL,
    .default_json = "false",
    .description = "Also ask for a score in [0, 1] (without it the feedback has no score)" },
  { .name = "temperature",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0",
    .description = "Sampling temperature of the judge",
    .max = 2 },
  { .name = "attempts",
    .type = INF_OPTION_INT,
    .default_json = "2",
    .description = "Replies tried before the example fails when the judge's reply is malformed",
    .min = 1,
    .max = 10 },
  { .name = "max_chars",
    .type = INF_OPTION_INT,
    .default_json = "4000",
    .description =
        "Longest input, output and target text shown to the judge (longer ones are cut visibly)",
    .min = 100,
    .max = 1000000 },
  { .name = NULL },
};

typedef struct {
  char *alias;
  char *criteria;
  gboolean score;
  double temperature;
  guint attempts;
  gsize max_chars;
  InfJsonSchema *schema;
} Judge;

static void
judge_free(gpointer data)
{
  Judge *j = data;
  if (j == NULL)
    return;
  g_free(j->alias);
  g_free(j->criteria);
  if (j->schema)
    inf_json_schema_unref(j->schema);
  g_free(j);
}

static gboolean
judge_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  Judge *j = g_new0(Judge, 1);
  j->alias = g_strdup(inf_options_get_string(options, "alias"));
  j->criteria = g_strdup(inf_options_get_string(options, "criteria"));
  j->score = inf_options_get_bool(options, "score");
  j->temperature = inf_options_get_double(options, "temperature");
  j->attempts = (guint)inf_options_get_int(options, "attempts");
  j->max_chars = (gsize)inf_options_get_int(options, "max_chars");
  g_autoptr(json_object) schema = json_tokener_parse(
      j->score ? "{\"type\": \"object\", \"required\": [\"improvements\", \"score\"],"
                 " \"properties\": {\"improvements\": {\"type\": \"array\", \"items\": "
                 "{\"type\": \"string\"}}, \"score\": {\"type\": \"number\", \"minimum\": 0, "
                 "\"maximum\": 1}}}"
               : "{\"type\": \"object\", \"required\": [\"improvements\"],"
                 " \"properties\": {\"improvements\": {\"type\": \"array\", \"items\": "
                 "{\"type\": \"string\"}}}}");
  j->schema = inf_json_schema_new(schema, "llm-judge reply", error);
  if (j->schema == NULL) {
    judge_free(j);
    return FALSE;
  }
  *out_private = j;
  return TRUE;
}

typedef struct {
  InfLossTask *task;
  Judge *judge;
} JudgeRun;

static void
judge_done(json_object *reply, const GError *error, gpointer data)
{
  JudgeRun *run = data;
  if (error != NULL) {
    inf_loss_task_return_error(run->task, g_error_copy(error));
    g_free(run);
    return;
  }
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  json_object *list = json_object_object_get(reply, "improvements");
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    /* blank items are dropped */
    g_autofree char *item = g_strdup(json_object_get_string(json_object_array_get_idx(list, i)));
    inf_feedback_add_item(fb, g_strstrip(item));
  }
  json_object *meta = inf_feedback_get_meta(fb);
  json_object_object_add(meta, "alias", json_object_new_string(run->judge->alias));
  json_object *score = NULL;
  if (run->judge->score && json_object_object_get_ex(reply, "score", &score))
    inf_feedback_set_score(fb, json_object_get_double(score));
  inf_loss_task_return(run->task, fb);
  g_free(run);
}

static void
judge_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
               InfLossTask *task)
{
  Judge *j = inf_loss_get_private(self);
  g_autofree char *system = g_strdup_printf(
      "You review the output of a text-processing pipeline and list only actionable "
      "improvements: concrete changes that would make this output better. No praise, no "
      "summaries, no general remarks. If nothing needs to change, give an empty list.%s\n"
      "Reply with only a JSON object: {\"improvements\": [strings]%s}.",
      j->score ? " Also rate the output with a score from 0 (unusable) to 1 (perfect)." : "",
      j->score ? ", \"score\": number" : "");
  g_autofree char *example_text =
      losses_describe_example(output, target, example, j->max_chars, "Output to review");
  g_autofree char *user = g_strdup_printf("%s%s%s%s", example_text, j->criteria ? "Focus on: " : "",
                                          j->criteria ? j->criteria : "", j->criteria ? "\n" : "");
  JudgeRun *run = g_new0(JudgeRun, 1);
  run->task = task;
  run->judge = j;
  LossesLlmCall call = {
    .loss = "llm-judge",
    .alias = j->alias,
    .system = system,
    .user = g_strchomp(user),
    .temperature = j->temperature,
    .schema = j->schema,
    .attempts = j->attempts,
  };
  losses_llm_call(task, &call, NULL, judge_done, run);
}

const InfLossClass inf_losses_judge_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "llm-judge",
  .description = "An LLM lists actionable improvements for the output (through an alias); "
                 "optionally a score",
  .options = judge_options,
  .init = judge_init,
  .finalize = judge_free,
  .evaluate = judge_evaluate,
};
