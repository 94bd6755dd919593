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
  LOSSES_LLM_OPTION_ALIAS("judge"),
  { .name = "criteria",
    .type = INF_OPTION_STRING,
    .description = "What the judge should focus on (e.g. \"accuracy and brevity\")" },
  { .name = "score",
    .type = INF_OPTION_BOOL,
    .default_json = "false",
    .description = "Also ask for a score in [0, 1] (without it the feedback has no score)" },
  LOSSES_LLM_OPTION_TEMPERATURE("judge"),
  LOSSES_LLM_OPTION_ATTEMPTS("judge"),
  LOSSES_LLM_OPTION_MAX_CHARS("input, output and target text", "judge"),
  { .name = NULL },
};

typedef struct {
  LossesLlm llm;
  gboolean score;
} Judge;

static void
judge_free(gpointer data)
{
  Judge *j = data;
  if (j == NULL)
    return;
  losses_llm_clear(&j->llm);
  g_free(j);
}

static gboolean
judge_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  Judge *j = g_new0(Judge, 1);
  j->score = inf_options_get_bool(options, "score");
  const char *schema =
      j->score ? "{\"type\": \"object\", \"required\": [\"improvements\", \"score\"],"
                 " \"properties\": {\"improvements\": {\"type\": \"array\", \"items\": "
                 "{\"type\": \"string\"}}, \"score\": {\"type\": \"number\", \"minimum\": 0, "
                 "\"maximum\": 1}}}"
               : "{\"type\": \"object\", \"required\": [\"improvements\"],"
                 " \"properties\": {\"improvements\": {\"type\": \"array\", \"items\": "
                 "{\"type\": \"string\"}}}}";
  if (!losses_llm_init(&j->llm, "llm-judge", options, schema, error)) {
    judge_free(j);
    return FALSE;
  }
  *out_private = j;
  return TRUE;
}

static InfFeedback *
judge_done(json_object *reply, gpointer data)
{
  Judge *j = data;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  losses_feedback_add_items(fb, json_object_object_get(reply, "improvements"));
  json_object *meta = inf_feedback_get_meta(fb);
  json_object_object_add(meta, "alias", json_object_new_string(j->llm.alias));
  json_object *score = NULL;
  if (j->score && json_object_object_get_ex(reply, "score", &score))
    inf_feedback_set_score(fb, json_object_get_double(score));
  return fb;
}

static void
judge_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
               InfLossTask *task)
{
  Judge *j = inf_loss_get_private(self);
  const char *criteria = j->llm.criteria;
  g_autofree char *system = g_strdup_printf(
      "You review the output of a text-processing pipeline and list only actionable "
      "improvements: concrete changes that would make this output better. No praise, no "
      "summaries, no general remarks. If nothing needs to change, give an empty list.%s\n"
      "Reply with only a JSON object: {\"improvements\": [strings]%s}.",
      j->score ? " Also rate the output with a score from 0 (unusable) to 1 (perfect)." : "",
      j->score ? ", \"score\": number" : "");
  g_autofree char *example_text =
      losses_describe_example(output, target, example, j->llm.max_chars, "Output to review");
  g_autofree char *user = g_strdup_printf("%s%s%s%s", example_text, criteria ? "Focus on: " : "",
                                          criteria ? criteria : "", criteria ? "\n" : "");
  LossesLlmCall call = {
    .llm = &j->llm,
    .system = system,
    .user = g_strchomp(user),
    .done = judge_done,
    .user_data = j,
  };
  losses_llm_call(task, &call);
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
