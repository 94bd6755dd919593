/* InfFeedback: a score in [0, 1] or none, text items, a kind, metadata. */
#include <inf/feedback.h>

#include <math.h>
#include <stdarg.h>

struct _InfFeedback {
  InfFeedbackKind kind;
  double score; /* NAN: none */
  GPtrArray *items;
  json_object *meta; /* NULL until used */
};

const char *
inf_feedback_kind_name(InfFeedbackKind kind)
{
  switch (kind) {
  case INF_FEEDBACK_VERIFIER:
    return "verifier";
  case INF_FEEDBACK_LLM:
    return "llm";
  case INF_FEEDBACK_HUMAN:
    return "human";
  case INF_FEEDBACK_COMPOSITE:
    return "composite";
  }
  return "unknown";
}

InfFeedback *
inf_feedback_new(InfFeedbackKind kind)
{
  InfFeedback *fb = g_new0(InfFeedback, 1);
  fb->kind = kind;
  fb->score = NAN;
  fb->items = g_ptr_array_new_with_free_func(g_free);
  return fb;
}

InfFeedback *
inf_feedback_copy(const InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, NULL);
  InfFeedback *fb = inf_feedback_new(feedback->kind);
  fb->score = feedback->score;
  for (guint i = 0; i < feedback->items->len; i++)
    g_ptr_array_add(fb->items, g_strdup(g_ptr_array_index(feedback->items, i)));
  if (feedback->meta)
    json_object_deep_copy(feedback->meta, &fb->meta, NULL);
  return fb;
}

void
inf_feedback_free(InfFeedback *feedback)
{
  if (!feedback)
    return;
  g_ptr_array_unref(feedback->items);
  json_object_put(feedback->meta);
  g_free(feedback);
}

InfFeedbackKind
inf_feedback_get_kind(const InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, INF_FEEDBACK_VERIFIER);
  return feedback->kind;
}

void
inf_feedback_set_kind(InfFeedback *feedback, InfFeedbackKind kind)
{
  g_return_if_fail(feedback != NULL);
  feedback->kind = kind;
}

void
inf_feedback_set_score(InfFeedback *feedback, double score)
{
  g_return_if_fail(feedback != NULL);
  if (isnan(score))
    feedback->score = NAN;
  else
    feedback->score = CLAMP(score, 0.0, 1.0);
}

void
inf_feedback_clear_score(InfFeedback *feedback)
{
  g_return_if_fail(feedback != NULL);
  feedback->score = NAN;
}

gboolean
inf_feedback_has_score(const InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, FALSE);
  return !isnan(feedback->score);
}

double
inf_feedback_get_score(const InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, NAN);
  return feedback->score;
}

void
inf_feedback_add_item(InfFeedback *feedback, const char *item)
{
  g_return_if_fail(feedback != NULL);
  if (item && *item)
    g_ptr_array_add(feedback->items, g_strdup(item));
}

void
inf_feedback_add_itemf(InfFeedback *feedback, const char *format, ...)
{
  g_return_if_fail(feedback != NULL && format != NULL);
  va_list ap;
  va_start(ap, format);
  char *item = g_strdup_vprintf(format, ap);
  va_end(ap);
  if (*item)
    g_ptr_array_add(feedback->items, item);
  else
    g_free(item);
}

guint
inf_feedback_get_n_items(const InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, 0);
  return feedback->items->len;
}

const char *
inf_feedback_get_item(const InfFeedback *feedback, guint index)
{
  g_return_val_if_fail(feedback != NULL, NULL);
  return index < feedback->items->len ? g_ptr_array_index(feedback->items, index) : NULL;
}

json_object *
inf_feedback_get_meta(InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, NULL);
  if (!feedback->meta)
    feedback->meta = json_object_new_object();
  return feedback->meta;
}

void
inf_feedback_set_meta(InfFeedback *feedback, json_object *meta)
{
  gboolean is_object = meta == NULL || json_object_is_type(meta, json_type_object);
  if (feedback == NULL || !is_object) {
    /* Ownership moved here: free it even when it cannot be used. */
    json_object_put(meta);
    g_return_if_fail(feedback != NULL);
    g_return_if_fail(is_object);
    return;
  }
  json_object_put(feedback->meta);
  feedback->meta = meta;
}

void
inf_feedback_merge(InfFeedback *feedback, const InfFeedback *other)
{
  g_return_if_fail(feedback != NULL && other != NULL && feedback != other);
  for (guint i = 0; i < other->items->len; i++)
    g_ptr_array_add(feedback->items, g_strdup(g_ptr_array_index(other->items, i)));
  if (other->kind != feedback->kind)
    feedback->kind = INF_FEEDBACK_COMPOSITE;
  if (isnan(other->score))
    return;
  if (isnan(feedback->score)) {
    feedback->score = other->score;
    return;
  }
  json_object *meta = inf_feedback_get_meta(feedback);
  json_object *n_obj = NULL;
  gint64 n = json_object_object_get_ex(meta, "n_scores", &n_obj) ? json_object_get_int64(n_obj) : 1;
  if (n < 1)
    n = 1;
  feedback->score = (feedback->score * (double)n + other->score) / (double)(n + 1);
  json_object_object_add(meta, "n_scores", json_object_new_int64(n + 1));
}

json_object *
inf_feedback_to_json(const InfFeedback *feedback)
{
  g_return_val_if_fail(feedback != NULL, NULL);
  json_object *obj = json_object_new_object();
  json_object_object_add(obj, "kind",
                         json_object_new_string(inf_feedback_kind_name(feedback->kind)));
  json_object_object_add(obj, "score",
                         isnan(feedback->score) ? NULL : json_object_new_double(feedback->score));
  json_object *items = json_object_new_array_ext((int)feedback->items->len);
  for (guint i = 0; i < feedback->items->len; i++)
    json_object_array_add(items, json_object_new_string(g_ptr_array_index(feedback->items, i)));
  json_object_object_add(obj, "items", items);
  json_object *meta = NULL;
  if (feedback->meta)
    json_object_deep_copy(feedback->meta, &meta, NULL);
  json_object_object_add(obj, "meta", meta ? meta : json_object_new_object());
  return obj;
}
