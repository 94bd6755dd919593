/* The `preference` loss: a judge LLM compares the pipeline's output with the
 * example's reference output and says which is better.
 *
 * The two are shown as "Candidate 1" and "Candidate 2" without saying which
 * is which, in the order of `order` (seeded by default, so the judge's
 * position bias does not always favour one side). The reply is a JSON
 * object {"better": 1 or 2 (0 for a tie when `ties` allows it), "reason":
 * text, "improvements": [what the worse candidate lacks]}, validated like
 * rubric's and retried when malformed. The score is 1 when the output is
 * preferred, 0.5 for a tie, 0 when the reference is; when the reference wins
 * the items say so (with both candidate numbers and the reason) and then
 * list the improvements. */
#include "contrast.h"
#include "losses-llm.h"

static const InfOptionSpec preference_options[] = {
  CONTRAST_OPTION_ENTRIES,
  { .name = "ties",
    .type = INF_OPTION_BOOL,
    .default_json = "true",
    .description = "Let the judge call a tie (\"better\": 0), which scores 0.5" },
  { .name = NULL },
};

typedef struct {
  Contrast contrast; /* first (contrast_loss_check_target) */
  gboolean ties;
} Preference;

static void
preference_free(gpointer data)
{
  Preference *p = data;
  if (p == NULL)
    return;
  contrast_clear(&p->contrast);
  g_free(p);
}

static gboolean
preference_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  Preference *p = g_new0(Preference, 1);
  p->ties = inf_options_get_bool(options, "ties");
  g_autofree char *schema = g_strdup_printf(
      "{\"type\": \"object\", \"required\": [\"better\", \"reason\", \"improvements\"],"
      " \"properties\": {\"better\": {\"type\": \"integer\", \"minimum\": %d, \"maximum\": 2},"
      " \"reason\": {\"type\": \"string\"},"
      " \"improvements\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}}",
      p->ties ? 0 : 1);
  if (!contrast_init(&p->contrast, "preference", options, schema, error)) {
    preference_free(p);
    return FALSE;
  }
  *out_private = p;
  return TRUE;
}

static InfFeedback *
preference_done(json_object *reply, gpointer data)
{
  ContrastRun *run = data;
  guint better = (guint)json_object_get_int(json_object_object_get(reply, "better"));
  const char *reason = json_object_get_string(json_object_object_get(reply, "reason"));
  guint output = run->set.output;
  guint other = output == 1 ? 2 : 1;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  const char *winner = better == 0 ? "tie" : better == output ? "output" : "reference";
  inf_feedback_set_score(fb, better == 0 ? 0.5 : better == output ? 1.0 : 0.0);
  if (better == other) {
    g_autofree char *why = g_strstrip(g_strdup(reason));
    inf_feedback_add_itemf(fb,
                           "The reference (candidate %u) was preferred to this output "
                           "(candidate %u)%s%s",
                           other, output, *why ? ": " : "", why);
    losses_feedback_add_items(fb, json_object_object_get(reply, "improvements"));
  }
  json_object *meta = inf_feedback_get_meta(fb);
  contrast_add_meta(run->contrast, &run->set, meta);
  json_object_object_add(meta, "preferred", json_object_new_int((int)better));
  json_object_object_add(meta, "winner", json_object_new_string(winner));
  json_object_object_add(meta, "reason", json_object_new_string(reason ? reason : ""));
  json_object_object_add(meta, "improvements",
                         json_object_get(json_object_object_get(reply, "improvements")));
  return fb;
}

static void
preference_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                    InfLossTask *task)
{
  Preference *p = inf_loss_get_private(self);
  ContrastRun *run = contrast_run_new(&p->contrast, output, target, example, TRUE, task);
  if (run == NULL)
    return;
  g_autofree char *system = g_strdup_printf(
      "You compare two candidate outputs of a text-processing pipeline for the same input and "
      "say which one is better. Judge the content, not the position or the length.%s\n"
      "Reply with only a JSON object: {\"better\": %s, \"reason\": a short reason, "
      "\"improvements\": [concrete changes that would make the worse candidate as good as the "
      "better one, naming what the better one does better%s]}.",
      p->ties ? " If neither is better, call it a tie." : "",
      p->ties ? "1 or 2, the number of the better candidate, or 0 for a tie"
              : "1 or 2, the number of the better candidate",
      p->ties ? "; [] for a tie" : "");
  contrast_run_ask(run, task, example, system, NULL, preference_done);
}

const InfLossClass inf_losses_preference_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "preference",
  .description = "A judge LLM compares the output with the example's reference output: score 1 "
                 "when the output is preferred, 0.5 for a tie, 0 when the reference is",
  .options = preference_options,
  .init = preference_init,
  .finalize = preference_free,
  .evaluate = preference_evaluate,
  .check_target = contrast_loss_check_target,
};
