/* The `composite` loss: several losses on the same output, weighted.
 *
 *   losses   [{"loss": {"type": ...}, "weight": 2}, {"type": ...}, ...]
 *            (an entry is a loss spec, weight 1, or {"loss": spec, "weight": w}, w >= 0)
 *
 * The children run concurrently. The score is the weighted mean over the
 * children that returned a score (Σ wᵢsᵢ / Σ wᵢ): a child without a score
 * (a judge that only critiques) is left out of both sums; when no child with
 * a positive weight has a score, the composite has none. The items are the
 * children's items in the order of `losses`. A child that fails fails the
 * composite, with the child's JSON path in the message.
 */
#include <math.h>

#include "losses.h"

static const InfOptionSpec composite_options[] = {
  { .name = "losses",
    .type = INF_OPTION_JSON,
    .required = TRUE,
    .description = "The losses to combine: a list of loss specs {\"type\": ...} (weight 1) or "
                   "{\"loss\": spec, \"weight\": w} (w >= 0)" },
  { .name = NULL },
};

typedef struct {
  GPtrArray *children; /* InfLoss */
  GArray *weights;     /* double */
} Composite;

static void
composite_free(gpointer data)
{
  Composite *c = data;
  if (c == NULL)
    return;
  g_ptr_array_unref(c->children);
  g_array_unref(c->weights);
  g_free(c);
}

static gboolean
composite_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  json_object *list = inf_options_get_json(options, "losses");
  /* Entry errors name their full JSON path (the engine then adds only the file). */
  const char *path = inf_options_get_path(options);
  Composite *c = g_new0(Composite, 1);
  c->children = g_ptr_array_new_with_free_func((GDestroyNotify)inf_loss_unref);
  c->weights = g_array_new(FALSE, FALSE, sizeof(double));

  if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "losses: expected a non-empty list of losses ({\"type\": ...} or "
                "{\"loss\": {...}, \"weight\": w})");
    goto fail;
  }
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    json_object *entry = json_object_array_get_idx(list, i);
    json_object *spec = entry, *inner = NULL, *weight = NULL;
    double w = 1.0;
    g_autofree char *suffix = g_strdup_printf("losses[%zu]", i);
    if (json_object_is_type(entry, json_type_object) &&
        json_object_object_get_ex(entry, "loss", &inner)) {
      spec = inner;
      json_object_object_foreach(entry, key, value)
      {
        (void)value;
        if (g_strcmp0(key, "loss") != 0 && g_strcmp0(key, "weight") != 0) {
          g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                      "%s.%s.%s: unknown key; an entry is {\"loss\": {...}, \"weight\": w}", path,
                      suffix, key);
          goto fail;
        }
      }
      if (json_object_object_get_ex(entry, "weight", &weight)) {
        gboolean number = json_object_is_type(weight, json_type_int) ||
                          json_object_is_type(weight, json_type_double);
        w = number ? json_object_get_double(weight) : -1;
        if (!number || !isfinite(w) || w < 0) {
          g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                      "%s.%s.weight: expected a number >= 0, got %s", path, suffix,
                      json_object_to_json_string_ext(weight, JSON_C_TO_STRING_PLAIN));
          goto fail;
        }
      }
      g_free(suffix);
      suffix = g_strdup_printf("losses[%zu].loss", i);
    }
    /* The child's errors carry the full path (parent path + suffix). */
    InfLoss *child = inf_loss_new_child(self, spec, suffix, error);
    if (child == NULL)
      goto fail;
    g_ptr_array_add(c->children, child);
    g_array_append_val(c->weights, w);
  }
  *out_private = c;
  return TRUE;
fail:
  composite_free(c);
  return FALSE;
}

static gboolean
composite_check_target(InfLoss *self, json_object *target, GError **error)
{
  Composite *c = inf_loss_get_private(self);
  for (guint i = 0; i < c->children->len; i++) {
    InfLoss *child = g_ptr_array_index(c->children, i);
    const InfLossClass *klass = inf_loss_get_class(child);
    if (klass->struct_size >= G_STRUCT_OFFSET(InfLossClass, check_target) + sizeof(gpointer) &&
        klass->check_target != NULL && !klass->check_target(child, target, error)) {
      g_prefix_error(error, "losses[%u] (%s): ", i, inf_loss_get_type_name(child));
      return FALSE;
    }
  }
  return TRUE;
}

typedef struct {
  InfLossTask *task;
  Composite *composite;
  guint pending;
  InfFeedback **results; /* per child, NULL on error */
  GError *error;         /* the first child's error */
} Run;

typedef struct {
  Run *run;
  guint index;
} ChildRun;

static void
run_finish(Run *run)
{
  Composite *c = run->composite;
  if (run->error != NULL) {
    inf_loss_task_return_error(run->task, run->error);
  } else {
    InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_COMPOSITE);
    json_object *parts = json_object_new_array();
    double sum = 0, weight = 0;
    for (guint i = 0; i < c->children->len; i++) {
      InfFeedback *r = run->results[i];
      double w = g_array_index(c->weights, double, i);
      json_object *part = json_object_new_object();
      json_object_object_add(
          part, "type",
          json_object_new_string(inf_loss_get_type_name(g_ptr_array_index(c->children, i))));
      json_object_object_add(part, "weight", json_object_new_double(w));
      json_object_object_add(
          part, "score",
          inf_feedback_has_score(r) ? json_object_new_double(inf_feedback_get_score(r)) : NULL);
      json_object_array_add(parts, part);
      if (inf_feedback_has_score(r) && w > 0) {
        sum += w * inf_feedback_get_score(r);
        weight += w;
      }
      for (guint k = 0; k < inf_feedback_get_n_items(r); k++)
        inf_feedback_add_item(fb, inf_feedback_get_item(r, k));
    }
    if (weight > 0)
      inf_feedback_set_score(fb, sum / weight);
    json_object_object_add(inf_feedback_get_meta(fb), "losses", parts);
    inf_loss_task_return(run->task, fb);
  }
  for (guint i = 0; i < c->children->len; i++)
    inf_feedback_free(run->results[i]);
  g_free(run->results);
  g_free(run);
}

static void
child_done(InfFeedback *feedback, const GError *error, gpointer data)
{
  ChildRun *cr = data;
  Run *run = cr->run;
  if (error != NULL) {
    if (run->error == NULL)
      run->error = g_error_new(
          error->domain, error->code, "losses[%u] (%s): %s", cr->index,
          inf_loss_get_type_name(g_ptr_array_index(run->composite->children, cr->index)),
          error->message);
  } else {
    run->results[cr->index] = inf_feedback_copy(feedback);
  }
  g_free(cr);
  if (--run->pending == 0)
    run_finish(run);
}

static void
composite_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                   InfLossTask *task)
{
  (void)output;
  (void)target;
  (void)example;
  Composite *c = inf_loss_get_private(self);
  Run *run = g_new0(Run, 1);
  run->task = task;
  run->composite = c;
  run->pending = c->children->len;
  run->results = g_new0(InfFeedback *, c->children->len);
  /* Children finish from the main loop, never before evaluate_child returns. */
  for (guint i = 0; i < c->children->len; i++) {
    ChildRun *cr = g_new0(ChildRun, 1);
    cr->run = run;
    cr->index = i;
    inf_loss_task_evaluate_child(task, g_ptr_array_index(c->children, i), child_done, cr);
  }
}

const InfLossClass inf_losses_composite_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "composite",
  .description = "Weighted combination of losses: the weighted mean of the scores present, "
                 "the items of all",
  .options = composite_options,
  .init = composite_init,
  .finalize = composite_free,
  .evaluate = composite_evaluate,
  .check_target = composite_check_target,
};
