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
  { .name = "alias",
    .type = INF_OPTION_ALIAS,
    .default_json = "\"judge\"",
    .description = "Resource alias of the grading LLM" },
  { .name = "criteria",
    .type = INF_OPTION_STRING,
    .required = TRUE,
    .description = "What the output is graded on" },
  { .name = "levels",
    .type = INF_OPTION_JSON,
    .required = TRUE,
    .description = "The scale: a list of {\"score\": number, \"label\": text, \"description\": "
                   "text} (2 or more, distinct scores)" },
  { .name = "temperature",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0",
    .description = "Sampling temperature of the grader",
    .max = 2 },
  { .name = "attempts",
    .type = INF_OPTION_INT,
    .default_json = "2",
    .description = "Replies tried before the example fails when the grader's reply is malformed",
    .min = 1,
    .max = 10 },
  { .name = "max_chars",
    .type = INF_OPTION_INT,
    .default_json = "4000",
    .description =
        "Longest input, output and target text shown to the grader (longer ones are cut visibly)",
    .min = 100,
    .max = 1000000 },
  { .name = NULL },
};

typedef struct {
  char *alias;
  char *criteria;
  char *scale; /* the levels as prompt lines */
  double low, high;
  double temperature;
  guint attempts;
  gsize max_chars;
  InfJsonSchema *schema;
} Rubric;

static void
rubric_free(gpointer data)
{
  Rubric *r = data;
  if (r == NULL)
    return;
  g_free(r->alias);
  g_free(r->criteria);
  g_free(r->scale);
  if (r->schema)
    inf_json_schema_unref(r->schema);
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
  g_autoptr(json_object) schema = NULL;
  g_autoptr(InfJsonSchema) lschema = NULL;
  json_object *levels = inf_options_get_json(options, "levels");
  Rubric *r = g_new0(Rubric, 1);
  r->alias = g_strdup(inf_options_get_string(options, "alias"));
  r->criteria = g_strdup(inf_options_get_string(options, "criteria"));
  r->temperature = inf_options_get_double(options, "temperature");
  r->attempts = (guint)inf_options_get_int(options, "attempts");
  r->max_chars = (gsize)inf_options_get_int(options, "max_chars");

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
  schema = json_tokener_parse(reply_schema);
  r->schema = inf_json_schema_new(schema, "rubric reply", error);
  if (r->schema == NULL)
    goto fail;
  *out_private = r;
  return TRUE;
fail:
  rubric_free(r);
  return FALSE;
}

typedef struct {
  InfLossTask *task;
  Rubric *rubric;
} RubricRun;

static void
rubric_done(json_object *reply, const GError *error, gpointer data)
{
  RubricRun *run = data;
  Rubric *r = run->rubric;
  if (error != NULL) {
    inf_loss_task_return_error(run->task, g_error_copy(error));
    g_free(run);
    return;
  }
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  double raw = json_object_get_double(json_object_object_get(reply, "score"));
  double score = (raw - r->low) / (r->high - r->low);
  gboolean clamped = score < 0 || score > 1;
  inf_feedback_set_score(fb, CLAMP(score, 0.0, 1.0));
  json_object *list = json_object_object_get(reply, "improvements");
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    g_autofree char *item = g_strdup(json_object_get_string(json_object_array_get_idx(list, i)));
    inf_feedback_add_item(fb, g_strstrip(item));
  }
  json_object *meta = inf_feedback_get_meta(fb);
  json_object_object_add(meta, "raw_score", json_object_new_double(raw));
  json_object_object_add(meta, "clamped", json_object_new_boolean(clamped));
  json_object_object_add(meta, "criteria", json_object_new_string(r->criteria));
  json_object_object_add(meta, "justification",
                         json_object_get(json_object_object_get(reply, "justification")));
  inf_loss_task_return(run->task, fb);
  g_free(run);
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
      r->criteria, r->scale);
  g_autofree char *user =
      losses_describe_example(output, target, example, r->max_chars, "Output to grade");
  RubricRun *run = g_new0(RubricRun, 1);
  run->task = task;
  run->rubric = r;
  LossesLlmCall call = {
    .loss = "rubric",
    .alias = r->alias,
    .system = system,
    .user = g_strchomp(user),
    .temperature = r->temperature,
    .schema = r->schema,
    .attempts = r->attempts,
  };
  losses_llm_call(task, &call, NULL, rubric_done, run);
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
