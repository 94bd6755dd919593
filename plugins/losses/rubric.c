/* The `rubric` loss: an LLM grades the output on a scale of levels.
 *
 *   criteria   what is graded
 *   levels     [{"score": 1, "label": "poor", "description": "..."}, ...] (2 or more,
 *              distinct scores)
 *
 * The reply is a JSON object {"score": number, "justification": text,
 * "improvements": [strings]}, requested as structured output and validated
 * with the SDK's JSON Schema validator; a malformed reply is asked for again
 * (`attempts` replies in all), then the example fails clearly. The score is
 * normalised, (raw - lowest level) / (highest - lowest), and clamped to
 * [0, 1] (meta "clamped" tells); the items are the improvements. */
#include <math.h>

#include "losses.h"
#include "losses-llm.h"

static const InfOptionSpec rubric_options[] = {
  LOSSES_LLM_OPTION_ALIAS("grading"),
  { .name = "criteria",
    .type = INF_OPTION_STRING,
    .required = TRUE,
    .description = "What the output is graded on" },
  { .name = "levels",
    .type = INF_OPTION_JSON,
    .required = TRUE,
    .description = "The scale: a list of {\"score\": number, \"label\": text, \"description\": "
                   "text} (2 or more, distinct scores)" },
  LOSSES_LLM_OPTION_TEMPERATURE("grader"),
  LOSSES_LLM_OPTION_ATTEMPTS("grader"),
  LOSSES_LLM_OPTION_MAX_CHARS("input, output and target text", "grader"),
  { .name = NULL },
};

typedef struct {
  LossesLlm llm;
  char *scale; /* the levels as prompt lines */
  double low, high;
} Rubric;

static void
rubric_free(gpointer data)
{
  Rubric *r = data;
  if (r == NULL)
    return;
  losses_llm_clear(&r->llm);
  g_free(r->scale);
  g_free(r);
}

static const char reply_schema[] =
    "{\"type\": \"object\", \"required\": [\"score\", \"justification\", \"improvements\"],"
    " \"properties\": {\"score\": {\"type\": \"number\"}, \"justification\": {\"type\": "
    "\"string\"}, \"improvements\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}}";

static const char level_schema[] =
    "{\"type\": \"array\", \"minItems\": 2, \"items\": {\"type\": \"object\","
    " \"required\": [\"score\", \"label\"], \"additionalProperties\": false,"
    " \"properties\": {\"score\": {\"type\": \"number\"}, \"label\": {\"type\": \"string\","
    " \"minLength\": 1}, \"description\": {\"type\": \"string\"}}}}";

static char *
format_number(double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup(g_ascii_formatd(buf, sizeof buf, "%g", v));
}

static gboolean
rubric_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  g_autoptr(GError) local = NULL;
  g_autoptr(json_object) lschema_json = NULL;
  g_autoptr(InfJsonSchema) lschema = NULL;
  json_object *levels = inf_options_get_json(options, "levels");
  Rubric *r = g_new0(Rubric, 1);
  if (!losses_llm_init(&r->llm, "rubric", options, reply_schema, error))
    goto fail;

  lschema_json = json_tokener_parse(level_schema);
  lschema = inf_json_schema_new(lschema_json, NULL, error);
  if (lschema == NULL)
    goto fail;
  if (!inf_json_schema_validate(lschema, levels, NULL, &local)) {
    /* the message starts with the instance path ("$[1].score: ...") */
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "levels%s (a level is {\"score\": number, \"label\": text, "
                "\"description\": text}; 2 levels or more)",
                local->message[0] == '$' ? local->message + 1 : local->message);
    goto fail;
  }
  GString *scale = g_string_new(NULL);
  r->low = INFINITY;
  r->high = -INFINITY;
  for (size_t i = 0; i < json_object_array_length(levels); i++) {
    json_object *level = json_object_array_get_idx(levels, i);
    double score = json_object_get_double(json_object_object_get(level, "score"));
    for (size_t k = 0; k < i; k++) {
      json_object *other = json_object_array_get_idx(levels, k);
      if (json_object_get_double(json_object_object_get(other, "score")) == score) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "levels[%zu].score: the same score as levels[%zu]; each level needs its "
                    "own score",
                    i, k);
        g_string_free(scale, TRUE);
        goto fail;
      }
    }
    r->low = MIN(r->low, score);
    r->high = MAX(r->high, score);
    char *num = format_number(score);
    json_object *desc = json_object_object_get(level, "description");
    g_string_append_printf(scale, "  %s - %s%s%s\n", num,
                           json_object_get_string(json_object_object_get(level, "label")),
                           desc ? ": " : "", desc ? json_object_get_string(desc) : "");
    g_free(num);
  }
  r->scale = g_string_free(scale, FALSE);
  *out_private = r;
  return TRUE;
fail:
  rubric_free(r);
  return FALSE;
}

static InfFeedback *
rubric_done(json_object *reply, gpointer data)
{
  Rubric *r = data;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  double raw = json_object_get_double(json_object_object_get(reply, "score"));
  double score = (raw - r->low) / (r->high - r->low);
  gboolean clamped = score < 0 || score > 1;
  inf_feedback_set_score(fb, CLAMP(score, 0.0, 1.0));
  losses_feedback_add_items(fb, json_object_object_get(reply, "improvements"));
  json_object *meta = inf_feedback_get_meta(fb);
  json_object_object_add(meta, "raw_score", json_object_new_double(raw));
  json_object_object_add(meta, "clamped", json_object_new_boolean(clamped));
  json_object_object_add(meta, "criteria", json_object_new_string(r->llm.criteria));
  json_object_object_add(meta, "justification",
                         json_object_get(json_object_object_get(reply, "justification")));
  return fb;
}

static void
rubric_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                InfLossTask *task)
{
  Rubric *r = inf_loss_get_private(self);
  g_autofree char *system = g_strdup_printf(
      "You grade an output against a rubric.\nCriteria: %s\nRating scale:\n%s"
      "Reply with only a JSON object: {\"score\": one of the scale's numbers, "
      "\"justification\": a short reason, \"improvements\": [actionable changes that would raise "
      "the score; [] at the top of the scale]}.",
      r->llm.criteria, r->scale);
  g_autofree char *user =
      losses_describe_example(output, target, example, r->llm.max_chars, "Output to grade");
  LossesLlmCall call = {
    .llm = &r->llm,
    .system = system,
    .user = g_strchomp(user),
    .done = rubric_done,
    .user_data = r,
  };
  losses_llm_call(task, &call);
}

const InfLossClass inf_losses_rubric_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "rubric",
  .description = "An LLM grades the output on a scale of levels; the score normalised to "
                 "[0, 1], the items its improvements",
  .options = rubric_options,
  .init = rubric_init,
  .finalize = rubric_free,
  .evaluate = rubric_evaluate,
};
