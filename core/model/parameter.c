/* InfParameter: a learnable text value.
 *
 * Refcounted with a plain (non-atomic) count: parameters belong to the main
 * loop thread.
 */
#include <inf/error.h>
#include <inf/parameter.h>

struct _InfParameter {
  guint ref_count;
  gboolean requires_grad;
  char *value;
  char *description;
  GPtrArray *feedback; /* char *, created on first use */
};

InfParameter *
inf_parameter_new(const char *value, const char *description, gboolean requires_grad,
                  GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (requires_grad && (description == NULL || description[0] == '\0')) {
    g_set_error_literal(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                        "a learnable parameter (requires_grad) needs a description "
                        "telling the optimizer what the text is for");
    return NULL;
  }
  InfParameter *param = g_new0(InfParameter, 1);
  param->ref_count = 1;
  param->requires_grad = requires_grad ? TRUE : FALSE;
  param->value = g_strdup(value != NULL ? value : "");
  param->description = g_strdup(description);
  return param;
}

InfParameter *
inf_parameter_ref(InfParameter *param)
{
  g_return_val_if_fail(param != NULL, NULL);
  param->ref_count++;
  return param;
}

void
inf_parameter_unref(InfParameter *param)
{
  g_return_if_fail(param != NULL);
  g_return_if_fail(param->ref_count > 0);
  if (--param->ref_count > 0)
    return;
  g_free(param->value);
  g_free(param->description);
  if (param->feedback != NULL)
    g_ptr_array_unref(param->feedback);
  g_free(param);
}

const char *
inf_parameter_get_value(const InfParameter *param)
{
  g_return_val_if_fail(param != NULL, NULL);
  return param->value;
}

const char *
inf_parameter_get_description(const InfParameter *param)
{
  g_return_val_if_fail(param != NULL, NULL);
  return param->description;
}

gboolean
inf_parameter_get_requires_grad(const InfParameter *param)
{
  g_return_val_if_fail(param != NULL, FALSE);
  return param->requires_grad;
}

gboolean
inf_parameter_accumulate_feedback(InfParameter *param, const char *feedback)
{
  g_return_val_if_fail(param != NULL, FALSE);
  g_return_val_if_fail(feedback != NULL, FALSE);
  if (!param->requires_grad)
    return FALSE;
  if (param->feedback == NULL)
    param->feedback = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(param->feedback, g_strdup(feedback));
  return TRUE;
}

guint
inf_parameter_get_n_feedback(const InfParameter *param)
{
  g_return_val_if_fail(param != NULL, 0);
  return param->feedback != NULL ? param->feedback->len : 0;
}

const char *
inf_parameter_get_feedback(const InfParameter *param, guint index)
{
  g_return_val_if_fail(param != NULL, NULL);
  if (param->feedback == NULL || index >= param->feedback->len)
    return NULL;
  return g_ptr_array_index(param->feedback, index);
}

void
inf_parameter_apply_update(InfParameter *param, const char *new_value)
{
  g_return_if_fail(param != NULL);
  g_return_if_fail(new_value != NULL);
  if (new_value == param->value)
    return;
  char *old = param->value;
  param->value = g_strdup(new_value);
  g_free(old);
}

void
inf_parameter_zero_feedback(InfParameter *param)
{
  g_return_if_fail(param != NULL);
  if (param->feedback != NULL)
    g_ptr_array_set_size(param->feedback, 0);
}
