/* The `ranking` loss: a judge LLM ranks the pipeline's output among the
 * example's reference output and other candidate outputs of the example.
 *
 * The candidates are the output, the reference (the `reference` field, left
 * out when absent or null) and the entries of the example's `candidates`
 * list (when that option names one), shown as "Candidate 1" ... "Candidate
 * N" in the order of `order`, without saying which is which. The reply is a
 * JSON object {"ranking": [every candidate number once, best first],
 * "reason": text, "improvements": [{"candidate": number, "changes":
 * [texts]}]}; a ranking that is not a permutation of 1..N, or an improvement
 * naming an unknown candidate, is malformed and asked for again. The score is
 * (N - rank) / (N - 1): 1 ranked first, 0 ranked last. When the output is not
 * first, the items say where it ranked and below which candidates, then list
 * the changes the judge gave for the output's candidate. */
#include "contrast.h"
#include "losses-llm.h"

static const InfOptionSpec ranking_options[] = {
  CONTRAST_OPTION_ENTRIES,
  { .name = "candidates",
    .type = INF_OPTION_STRING,
    .description = "Field path of a list of other outputs in the example line, ranked with the "
                   "output and the reference (e.g. \"candidates\")" },
  { .name = NULL },
};

static const char reply_schema[] =
    "{\"type\": \"object\", \"required\": [\"ranking\", \"reason\", \"improvements\"],"
    " \"properties\": {\"ranking\": {\"type\": \"array\", \"minItems\": 1, \"items\": "
    "{\"type\": \"integer\", \"minimum\": 1}},"
    " \"reason\": {\"type\": \"string\"},"
    " \"improvements\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
    " \"required\": [\"candidate\", \"changes\"], \"properties\": {\"candidate\": "
    "{\"type\": \"integer\", \"minimum\": 1}, \"changes\": {\"type\": \"array\", \"items\": "
    "{\"type\": \"string\"}}}}}}}";

/* The private data is the Contrast itself. */
static void
ranking_free(gpointer data)
{
  Contrast *c = data;
  if (c == NULL)
    return;
  contrast_clear(c);
  g_free(c);
}

static gboolean
ranking_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  Contrast *c = g_new0(Contrast, 1);
  if (!contrast_init(c, "ranking", options, reply_schema, error)) {
    ranking_free(c);
    return FALSE;
  }
  *out_private = c;
  return TRUE;
}

/* FALSE with @error when @k, read at WHERE[INDEX]FIELD of the reply
 * ("ranking[2]", "improvements[0].candidate"), is not a candidate number
 * (1 to @n). */
static gboolean
check_candidate(gint64 k, guint n, const char *where, size_t index, const char *field,
                GError **error)
{
  if (k >= 1 && k <= n)
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
              "%s[%zu]%s: there is no candidate %" G_GINT64_FORMAT " (the candidates are 1 to %u)",
              where, index, field, k, n);
  return FALSE;
}

/* The ranking must name every candidate once; improvements known candidates. */
static gboolean
ranking_check(json_object *reply, gpointer data, GError **error)
{
  ContrastRun *run = data;
  guint n = run->set.n;
  json_object *ranking = json_object_object_get(reply, "ranking");
  g_autofree guint *seen = g_new0(guint, n + 1);
  for (size_t i = 0; i < json_object_array_length(ranking); i++) {
    gint64 k = json_object_get_int64(json_object_array_get_idx(ranking, i));
    if (!check_candidate(k, n, "ranking", i, "", error))
      return FALSE;
    if (seen[k]) {
      g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
                  "ranking[%zu]: candidate %" G_GINT64_FORMAT
                  " is ranked twice (at %u and %zu); rank each candidate once",
                  i, k, seen[k], i + 1);
      return FALSE;
    }
    seen[k] = (guint)i + 1;
  }
  for (guint k = 1; k <= n; k++) {
    if (!seen[k]) {
      g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
                  "ranking: candidate %u is missing; rank all %u candidates, best first", k, n);
      return FALSE;
    }
  }
  json_object *list = json_object_object_get(reply, "improvements");
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    gint64 k = json_object_get_int64(
        json_object_object_get(json_object_array_get_idx(list, i), "candidate"));
    if (!check_candidate(k, n, "improvements", i, ".candidate", error))
      return FALSE;
  }
  return TRUE;
}

static InfFeedback *
ranking_done(json_object *reply, gpointer data)
{
  ContrastRun *run = data;
  ContrastSet *set = &run->set;
  json_object *ranking = json_object_object_get(reply, "ranking");
  const char *reason = json_object_get_string(json_object_object_get(reply, "reason"));
  guint rank = 0;
  for (guint i = 0; i < set->n; i++)
    if ((guint)json_object_get_int(json_object_array_get_idx(ranking, i)) == set->output)
      rank = i + 1;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  inf_feedback_set_score(fb, (double)(set->n - rank) / (double)(set->n - 1));
  if (rank > 1) {
    GString *above = g_string_new(NULL);
    for (guint i = 0; i + 1 < rank; i++) {
      guint k = (guint)json_object_get_int(json_object_array_get_idx(ranking, i));
      g_autofree char *name = contrast_source_name(run->contrast, &set->items[k - 1]);
      g_string_append_printf(above, "%scandidate %u (%s)", i ? ", " : "", k, name);
    }
    g_autofree char *why = g_strstrip(g_strdup(reason ? reason : ""));
    inf_feedback_add_itemf(fb, "This output (candidate %u) ranked %u of %u, below %s%s%s",
                           set->output, rank, set->n, above->str, *why ? ": " : "", why);
    g_string_free(above, TRUE);
    json_object *list = json_object_object_get(reply, "improvements");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
      json_object *entry = json_object_array_get_idx(list, i);
      if ((guint)json_object_get_int(json_object_object_get(entry, "candidate")) != set->output)
        continue;
      losses_feedback_add_items(fb, json_object_object_get(entry, "changes"));
    }
  }
  json_object *meta = inf_feedback_get_meta(fb);
  contrast_add_meta(run->contrast, set, meta);
  json_object_object_add(meta, "ranking", json_object_get(ranking));
  json_object_object_add(meta, "rank", json_object_new_int((int)rank));
  json_object_object_add(meta, "n", json_object_new_int((int)set->n));
  json_object_object_add(meta, "reason", json_object_new_string(reason ? reason : ""));
  return fb;
}

static void
ranking_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                 InfLossTask *task)
{
  const Contrast *c = inf_loss_get_private(self);
  ContrastRun *run = contrast_run_new(c, output, target, example, FALSE, task);
  if (run == NULL)
    return;
  g_autofree char *system = g_strdup_printf(
      "You rank %u candidate outputs of a text-processing pipeline for the same input, best "
      "first. Judge the content, not the position or the length.\n"
      "Reply with only a JSON object: {\"ranking\": [the numbers of all %u candidates, each "
      "once, best first], \"reason\": a short reason for the order, \"improvements\": "
      "[{\"candidate\": number, \"changes\": [concrete changes that would make that candidate "
      "as good as the best one]} for each candidate not ranked first]}.",
      run->set.n, run->set.n);
  contrast_run_ask(run, task, example, system, ranking_check, ranking_done);
}

const InfLossClass inf_losses_ranking_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "ranking",
  .description = "A judge LLM ranks the output among the example's reference and other "
                 "candidate outputs; the score is the rank normalised to [0, 1]",
  .options = ranking_options,
  .init = ranking_init,
  .finalize = ranking_free,
  .evaluate = ranking_evaluate,
  .check_target = contrast_loss_check_target,
};
