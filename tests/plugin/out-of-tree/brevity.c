/* brevity.c: an inf-engine plugin with a loss and an optimizer, the example
 * of docs/training.md ("Writing a loss or optimizer plugin").
 *
 *   length       a loss: an output of at most `max_chars` characters scores 1,
 *                a longer one max_chars / length, with an item saying so; a
 *                whole-number target is that example's own limit.
 *   append-rule  an optimizer: appends each parameter's most frequent remark
 *                to its value as a rule ("Rule: ..."), unless that value was
 *                tried and rejected before.
 *
 *   cc -shared -fPIC -o brevity.so brevity.c $(pkg-config --cflags --libs inf-engine-sdk)
 *   inf-engine inspect length --plugin-dir .
 */
#include <string.h>

#include <inf/inf.h>

/* --- the `length` loss --- */

static const InfOptionSpec length_options[] = {
  { .name = "max_chars",
    .type = INF_OPTION_INT,
    .default_json = "100",
    .description = "The longest output, in characters, that scores 1",
    .min = 1,
    .max = 1000000 },
  { NULL },
};

/* Optional: run on every example's target before anything runs, so that a
 * bad target is reported with its dataset line. */
static gboolean
length_check_target(InfLoss *self, json_object *target, GError **error)
{
  (void)self;
  if (target == NULL ||
      (json_object_is_type(target, json_type_int) && json_object_get_int64(target) > 0))
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
              "length expects a target that is null or a whole number > 0 (the example's "
              "limit in characters), got %s",
              json_object_to_json_string_ext(target, JSON_C_TO_STRING_PLAIN));
  return FALSE;
}

/* Scores one output. Everything is borrowed; the task is finished exactly
 * once, here at once (an LLM loss would finish it from its reply). */
static void
length_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                InfLossTask *task)
{
  gint64 max = inf_options_get_int(inf_loss_get_options(self), "max_chars");
  GError *error = NULL;
  InfFeedback *feedback;
  char *text;
  glong length;

  (void)example; /* the whole dataset line: "input", "target", "id", ... */
  if (!length_check_target(self, target, &error)) {
    inf_loss_task_return_error(task, error); /* takes the error */
    return;
  }
  if (target != NULL)
    max = json_object_get_int64(target);
  text = inf_value_to_string(output);
  length = g_utf8_strlen(text, -1);
  g_free(text);

  feedback = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  if (length <= max) {
    inf_feedback_set_score(feedback, 1.0); /* no items: nothing to improve */
  } else {
    inf_feedback_set_score(feedback, (double)max / (double)length);
    inf_feedback_add_itemf(feedback, "Keep the answer under %" G_GINT64_FORMAT " characters.", max);
  }
  json_object_object_add(inf_feedback_get_meta(feedback), "length", json_object_new_int64(length));
  inf_loss_task_return(task, feedback); /* takes the feedback */
}

static const InfLossClass length_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "length",
  .description = "Scores 1 up to max_chars characters, max_chars / length above",
  .options = length_options,
  .evaluate = length_evaluate,
  .check_target = length_check_target,
};

/* --- the `append-rule` optimizer --- */

static const InfOptionSpec append_rule_options[] = {
  { .name = "prefix",
    .type = INF_OPTION_STRING,
    .default_json = "\"Rule: \"",
    .description = "Put before each appended rule" },
  { NULL },
};

/* Counts @remark (a line of feedback) in @counts. */
static void
count_remark(GHashTable *counts, const char *remark)
{
  char *key = g_strstrip(g_strdup(remark));

  if (*key == '\0' || strcmp(key, "(no remarks)") == 0) {
    g_free(key);
    return;
  }
  g_hash_table_insert(counts, key,
                      GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(counts, key)) + 1));
}

/* The remarks of one feedback text: its lines that start with "- " (the llm
 * module lists the loss's items so), or the whole text when it has none. */
static void
count_feedback(GHashTable *counts, const char *text)
{
  char **lines = g_strsplit(text, "\n", -1);
  gboolean listed = FALSE;

  for (char **line = lines; *line != NULL; line++) {
    if (g_str_has_prefix(*line, "- ")) {
      count_remark(counts, *line + 2);
      listed = TRUE;
    }
  }
  if (!listed)
    count_remark(counts, text);
  g_strfreev(lines);
}

/* Orders remarks most frequent first, ties in text order (so that a step is
 * deterministic). */
static gint
by_count(gconstpointer a, gconstpointer b, gpointer counts)
{
  guint na = GPOINTER_TO_UINT(g_hash_table_lookup(counts, a));
  guint nb = GPOINTER_TO_UINT(g_hash_table_lookup(counts, b));

  if (na != nb)
    return na > nb ? -1 : 1;
  return strcmp(a, b);
}

/* Proposes, for each parameter with feedback, its value plus its most
 * frequent remark as a rule, skipping remarks that give a value the
 * validation gate rejected before. Only proposes: the train loop applies the
 * candidates, scores them on the validation split and keeps or reverts them. */
static void
append_rule_step(InfOptimizer *self, InfOptimizerStep *step)
{
  const char *prefix = inf_options_get_string(inf_optimizer_get_options(self), "prefix");

  for (guint i = 0; i < inf_optimizer_step_get_n_parameters(step); i++) {
    InfParameter *parameter = inf_optimizer_step_get_parameter(step, i);
    const char *const *rejected = inf_optimizer_step_get_rejected(step, i);
    GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GList *remarks;

    for (guint k = 0; k < inf_parameter_get_n_feedback(parameter); k++)
      count_feedback(counts, inf_parameter_get_feedback(parameter, k));
    remarks = g_list_sort_with_data(g_hash_table_get_keys(counts), by_count, counts);
    for (GList *l = remarks; l != NULL; l = l->next) {
      char *value = g_strconcat(inf_parameter_get_value(parameter), "\n", prefix,
                                (const char *)l->data, NULL);
      gboolean tried = g_strv_contains(rejected, value);

      if (!tried)
        inf_optimizer_step_set_candidate(step, i, value); /* copies the value */
      g_free(value);
      if (!tried)
        break;
    }
    g_list_free(remarks);
    g_hash_table_unref(counts);
  }
  inf_optimizer_step_return(step); /* exactly once, after the last candidate */
}

static const InfOptimizerClass append_rule_class = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "append-rule",
  .description = "Appends each parameter's most frequent remark to it as a rule",
  .options = append_rule_options,
  .step = append_rule_step,
};

/* --- the plugin --- */

static gboolean
brevity_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_loss_class(registry, &length_class, error) &&
         inf_registry_add_optimizer_class(registry, &append_rule_class, error);
}

INF_PLUGIN_DEFINE("brevity", "1.0.0", "A length loss and an append-rule optimizer", "MIT",
                  brevity_register)
