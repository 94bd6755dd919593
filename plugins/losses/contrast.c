/* The candidates of the contrastive losses, their order and their prompt. */
#include "contrast.h"

#include <string.h>

#include "losses-field.h"
#include "losses-llm.h"

const char *const contrast_order_choices[] = { "seeded", "output_first", "output_last", NULL };

gboolean
contrast_init(Contrast *c, const char *loss, const InfOptions *options, const char *reply_schema,
              GError **error)
{
  memset(c, 0, sizeof *c);
  c->reference = g_strdup(inf_options_get_string(options, "reference"));
  const char *order = inf_options_get_string(options, "order");
  for (int i = 0; contrast_order_choices[i]; i++)
    if (g_strcmp0(order, contrast_order_choices[i]) == 0)
      c->order = (ContrastOrder)i;
  c->seed = inf_options_get_int(options, "seed");
  if (!losses_field_path_is_valid(c->reference)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "reference: '%s' is not a field path of the example line; write names and "
                "indexes like target or meta.answers[0]",
                c->reference);
    return FALSE;
  }
  if (inf_options_has(options, "candidates")) {
    c->candidates = g_strdup(inf_options_get_string(options, "candidates"));
    if (!losses_field_path_is_valid(c->candidates)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "candidates: '%s' is not a field path of the example line; write names and "
                  "indexes like candidates or meta.others",
                  c->candidates);
      return FALSE;
    }
  }
  return losses_llm_init(&c->llm, loss, options, reply_schema, error);
}

void
contrast_clear(Contrast *c)
{
  losses_llm_clear(&c->llm);
  g_free(c->reference);
  g_free(c->candidates);
  memset(c, 0, sizeof *c);
}

gboolean
contrast_loss_check_target(InfLoss *self, json_object *target, GError **error)
{
  const Contrast *c = inf_loss_get_private(self);
  return contrast_check_target(c, target, error);
}

static void
candidate_set(ContrastCandidate *cand, ContrastSource source, guint other, const char *text,
              gsize max)
{
  cand->source = source;
  cand->other = other;
  cand->text = losses_cut(text, max);
}

/* A GRand seeded from the seed and the example's input (the whole line
 * without one), so an example gets the same order wherever it is. */
static GRand *
seeded_rand(const Contrast *c, json_object *example)
{
  json_object *input = NULL;
  if (!json_object_is_type(example, json_type_object) ||
      !json_object_object_get_ex(example, "input", &input))
    input = example;
  g_autofree char *seed = g_strdup_printf("%" G_GINT64_FORMAT "\n", c->seed);
  const char *text = json_object_to_json_string_ext(input, JSON_C_TO_STRING_PLAIN);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)seed, -1);
  g_checksum_update(sum, (const guchar *)text, -1);
  guint8 digest[32];
  gsize len = sizeof digest;
  g_checksum_get_digest(sum, digest, &len);
  guint32 words[4];
  for (int i = 0; i < 4; i++)
    words[i] = (guint32)digest[4 * i] << 24 | (guint32)digest[4 * i + 1] << 16 |
               (guint32)digest[4 * i + 2] << 8 | digest[4 * i + 3];
  return g_rand_new_with_seed_array(words, 4);
}

/* The example's reference output at the `reference` field path, in
 * *@out (NULL when there is none or it is null). FALSE with an error when
 * @required and there is none. */
static gboolean
find_reference(const Contrast *c, json_object *target, json_object *example, gboolean required,
               json_object **out, GError **error)
{
  gboolean found = FALSE;
  if (g_strcmp0(c->reference, "target") == 0) {
    *out = target;
    found = TRUE;
  } else {
    *out = losses_field_get(example, c->reference, &found);
  }
  if (required && *out == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                "%s: the example has no reference output at '%s' (%s); the output is compared "
                "with it",
                c->llm.loss, c->reference, found ? "it is null" : "no such field");
    return FALSE;
  }
  return TRUE;
}

/* The example's list of other outputs at the `candidates` field path, in
 * *@out (NULL when the option is not set). FALSE with an error when the
 * field is not a list. */
static gboolean
find_others(const Contrast *c, json_object *example, json_object **out, GError **error)
{
  gboolean found = FALSE;
  *out = NULL;
  if (c->candidates == NULL)
    return TRUE;
  *out = losses_field_get(example, c->candidates, &found);
  if (!json_object_is_type(*out, json_type_array)) {
    g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                "%s: the example's '%s' must be a list of other outputs to rank (%s)", c->llm.loss,
                c->candidates,
                !found         ? "there is no such field"
                : *out == NULL ? "it is null"
                               : "it is not a list");
    return FALSE;
  }
  return TRUE;
}

/* Puts the @n @items, in source order, in the order of the `order` option. */
static void
order_candidates(const Contrast *c, ContrastCandidate *items, guint n, json_object *example)
{
  if (c->order == CONTRAST_ORDER_OUTPUT_LAST) {
    ContrastCandidate first = items[0];
    memmove(items, items + 1, (n - 1) * sizeof *items);
    items[n - 1] = first;
  } else if (c->order == CONTRAST_ORDER_SEEDED) {
    GRand *rand = seeded_rand(c, example);
    for (guint i = n - 1; i > 0; i--) {
      guint j = (guint)g_rand_int_range(rand, 0, (gint32)i + 1);
      ContrastCandidate tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    g_rand_free(rand);
  }
}

gboolean
contrast_set_build(const Contrast *c, ContrastSet *set, InfValue *output, json_object *target,
                   json_object *example, gboolean reference_required, GError **error)
{
  memset(set, 0, sizeof *set);
  json_object *reference = NULL;
  json_object *others = NULL;
  if (!find_reference(c, target, example, reference_required, &reference, error) ||
      !find_others(c, example, &others, error))
    return FALSE;
  guint n_others = others ? (guint)json_object_array_length(others) : 0;
  guint n = 1 + (reference ? 1 : 0) + n_others;
  if (n < 2) {
    if (c->candidates)
      g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                  "%s: nothing to compare the output with: the example has no reference at "
                  "'%s' and an empty '%s' list",
                  c->llm.loss, c->reference, c->candidates);
    else
      g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                  "%s: nothing to compare the output with: the example has no reference at "
                  "'%s' (and the `candidates` option names no list of other outputs)",
                  c->llm.loss, c->reference);
    return FALSE;
  }
  /* In source order first: the output, the reference, the others. */
  ContrastCandidate *items = g_new0(ContrastCandidate, n);
  g_autofree char *out_text = inf_value_to_string(output);
  guint k = 0;
  candidate_set(&items[k++], CONTRAST_OUTPUT, 0, out_text, c->llm.max_chars);
  if (reference) {
    g_autofree char *text = losses_json_text(reference);
    candidate_set(&items[k++], CONTRAST_REFERENCE, 0, text, c->llm.max_chars);
  }
  for (guint i = 0; i < n_others; i++) {
    g_autofree char *text = losses_json_text(json_object_array_get_idx(others, i));
    candidate_set(&items[k++], CONTRAST_OTHER, i, text, c->llm.max_chars);
  }
  order_candidates(c, items, n, example);
  set->items = items;
  set->n = n;
  for (guint i = 0; i < n; i++)
    if (items[i].source == CONTRAST_OUTPUT)
      set->output = i + 1;
  return TRUE;
}

void
contrast_set_clear(ContrastSet *set)
{
  for (guint i = 0; i < set->n; i++)
    g_free(set->items[i].text);
  g_free(set->items);
  memset(set, 0, sizeof *set);
}

ContrastRun *
contrast_run_new(const Contrast *c, InfValue *output, json_object *target, json_object *example,
                 gboolean reference_required, InfLossTask *task)
{
  GError *error = NULL;
  ContrastRun *run = g_new0(ContrastRun, 1);
  run->contrast = c;
  if (!contrast_set_build(c, &run->set, output, target, example, reference_required, &error)) {
    g_free(run);
    inf_loss_task_return_error(task, error);
    return NULL;
  }
  return run;
}

static void
contrast_run_free(gpointer data)
{
  ContrastRun *run = data;
  contrast_set_clear(&run->set);
  g_free(run);
}

void
contrast_run_ask(ContrastRun *run, InfLossTask *task, json_object *example, const char *system,
                 LossesReplyCheck check, LossesReplyDone done)
{
  g_autofree char *user = contrast_describe(run->contrast, &run->set, example);
  LossesLlmCall call = {
    .llm = &run->contrast->llm,
    .system = system,
    .user = user,
    .check = check,
    .done = done,
    .user_data = run,
    .destroy = contrast_run_free,
  };
  losses_llm_call(task, &call);
}

/* The source as metadata: "output", "reference", "candidates[2]" (the field path). */
static char *
source_key(const Contrast *c, const ContrastCandidate *candidate)
{
  switch (candidate->source) {
  case CONTRAST_OUTPUT:
    return g_strdup("output");
  case CONTRAST_REFERENCE:
    return g_strdup("reference");
  case CONTRAST_OTHER:
  default:
    return g_strdup_printf("%s[%u]", c->candidates, candidate->other);
  }
}

char *
contrast_source_name(const Contrast *c, const ContrastCandidate *candidate)
{
  g_autofree char *key = source_key(c, candidate);
  gboolean own = candidate->source == CONTRAST_OUTPUT || candidate->source == CONTRAST_REFERENCE;
  return g_strconcat(own ? "the " : "the example's ", key, NULL);
}

char *
contrast_describe(const Contrast *c, const ContrastSet *set, json_object *example)
{
  g_autofree char *input = losses_describe_input(example, c->llm.max_chars);
  GString *s = g_string_new(input);
  for (guint i = 0; i < set->n; i++)
    g_string_append_printf(s, "Candidate %u:\n%s\n\n", i + 1, set->items[i].text);
  if (c->llm.criteria)
    g_string_append_printf(s, "Judge on: %s\n", c->llm.criteria);
  return g_strchomp(g_string_free(s, FALSE));
}

void
contrast_add_meta(const Contrast *c, const ContrastSet *set, json_object *meta)
{
  json_object *list = json_object_new_array();
  for (guint i = 0; i < set->n; i++) {
    json_object *entry = json_object_new_object();
    g_autofree char *key = source_key(c, &set->items[i]);
    json_object_object_add(entry, "candidate", json_object_new_int((int)i + 1));
    json_object_object_add(entry, "source", json_object_new_string(key));
    json_object_array_add(list, entry);
  }
  json_object_object_add(meta, "alias", json_object_new_string(c->llm.alias));
  json_object_object_add(meta, "candidates", list);
  json_object_object_add(meta, "output_candidate", json_object_new_int((int)set->output));
}

gboolean
contrast_check_target(const Contrast *c, json_object *target, GError **error)
{
  if (g_strcmp0(c->reference, "target") == 0 && target == NULL && c->candidates == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                "%s expects a target: the reference output the pipeline's output is compared "
                "with (any JSON value but null; a string is shown as it is)",
                c->llm.loss);
    return FALSE;
  }
  return TRUE;
}
