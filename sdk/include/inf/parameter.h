/* inf-engine SDK — InfParameter: a learnable text value.
 *
 * A parameter holds a text value, a description (required when it is
 * learnable: the optimizer reads it to know what the text is for), a
 * requires_grad flag, and a buffer of feedback texts accumulated by backward
 * passes until the optimizer applies an update or zeroes them.
 *
 * Thread: main loop (every function of this header; the reference count is
 * not atomic)
 */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

typedef struct _InfParameter InfParameter;

/* A new parameter holding a copy of @value. Fails with
 * INF_ERROR_INVALID_ARGUMENT when @requires_grad is set and @description is
 * NULL or empty (the optimizer reads it to know what the text is for).
 * @value: (transfer none) (nullable) the text, copied; NULL gives ""
 * @description: (transfer none) (nullable) copied; required when learnable
 * Returns: (transfer full) (nullable) a new parameter (free with
 *          inf_parameter_unref()), or NULL with @error set
 * Since: 1.0 */
INF_API InfParameter *inf_parameter_new(const char *value, const char *description,
                                        gboolean requires_grad, GError **error);
/* Adds a reference.
 * Returns: (transfer full) @param
 * Since: 1.0 */
INF_API InfParameter *inf_parameter_ref(InfParameter *param);
/* Drops a reference; the last one frees the parameter and its feedback.
 * Since: 1.0 */
INF_API void inf_parameter_unref(InfParameter *param);

/* The current text.
 * Returns: (transfer none) never NULL; valid until the next
 *          inf_parameter_apply_update() (or a loaded state dict) or the
 *          parameter is freed: copy it to keep it
 * Since: 1.0 */
INF_API const char *inf_parameter_get_value(const InfParameter *param);
/* What the text is for, as given to inf_parameter_new().
 * Returns: (transfer none) (nullable) valid as long as @param
 * Since: 1.0 */
INF_API const char *inf_parameter_get_description(const InfParameter *param);
/* Whether the parameter is learnable (collects feedback, gets updates).
 * Since: 1.0 */
INF_API gboolean inf_parameter_get_requires_grad(const InfParameter *param);

/* Appends a copy of @feedback to the buffer when the parameter requires_grad;
 * returns whether it was kept (FALSE, and nothing stored, otherwise).
 * @feedback: (transfer none) copied
 * Since: 1.0 */
INF_API gboolean inf_parameter_accumulate_feedback(InfParameter *param, const char *feedback);
/* The number of buffered feedback texts.
 * Since: 1.0 */
INF_API guint inf_parameter_get_n_feedback(const InfParameter *param);
/* Buffered feedback text @index, oldest first.
 * Returns: (transfer none) (nullable) valid until the buffer is zeroed or
 *          the parameter freed; NULL when @index is out of range
 * Since: 1.0 */
INF_API const char *inf_parameter_get_feedback(const InfParameter *param, guint index);
/* Replaces the text with a copy of @new_value (the train loop's update; an
 * optimizer proposes candidates instead, see inf/optimizer.h). The feedback
 * buffer is kept.
 * @new_value: (transfer none) copied
 * Since: 1.0 */
INF_API void inf_parameter_apply_update(InfParameter *param, const char *new_value);
/* Empties the feedback buffer.
 * Since: 1.0 */
INF_API void inf_parameter_zero_feedback(InfParameter *param);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfParameter, inf_parameter_unref)

G_END_DECLS
