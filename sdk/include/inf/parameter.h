/* inf-engine SDK — InfParameter: a learnable text value.
 *
 * A parameter holds a text value, a description (required when it is
 * learnable: the optimizer reads it to know what the text is for), a
 * requires_grad flag, and a buffer of feedback texts accumulated by backward
 * passes until the optimizer applies an update or zeroes them.
 */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

typedef struct _InfParameter InfParameter;

/* Fails with INF_ERROR_INVALID_ARGUMENT when @requires_grad is set and
 * @description is NULL or empty. */
INF_API InfParameter *inf_parameter_new(const char *value, const char *description,
                                        gboolean requires_grad, GError **error);
INF_API InfParameter *inf_parameter_ref(InfParameter *param);
INF_API void inf_parameter_unref(InfParameter *param);

INF_API const char *inf_parameter_get_value(const InfParameter *param);
INF_API const char *inf_parameter_get_description(const InfParameter *param);
INF_API gboolean inf_parameter_get_requires_grad(const InfParameter *param);

/* Appends one feedback text to the buffer (ignored when !requires_grad;
 * returns whether it was kept). */
INF_API gboolean inf_parameter_accumulate_feedback(InfParameter *param, const char *feedback);
/* The buffered feedback texts, oldest first; NULL-terminated, borrowed. */
INF_API guint inf_parameter_get_n_feedback(const InfParameter *param);
INF_API const char *inf_parameter_get_feedback(const InfParameter *param, guint index);
/* Replaces the value with @new_value (the optimizer's update). */
INF_API void inf_parameter_apply_update(InfParameter *param, const char *new_value);
/* Clears the feedback buffer. */
INF_API void inf_parameter_zero_feedback(InfParameter *param);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfParameter, inf_parameter_unref)

G_END_DECLS
