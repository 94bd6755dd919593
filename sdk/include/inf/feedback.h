/* inf-engine SDK — InfFeedback: what a loss says about an output, and what
 * backward passes from a node to its inputs and parameters. Since: 1.1
 *
 * A feedback value holds
 *  - a score in [0, 1], higher is better, or none (a judge that only
 *    critiques): inf_feedback_has_score() tells; inf_feedback_get_score()
 *    gives NaN when there is none;
 *  - an ordered list of text items (actionable remarks: "expected 'a', got
 *    'b'"); an empty list means "nothing to improve";
 *  - a kind (who produced it: a verifier, an LLM, a human, a combination);
 *  - a metadata JSON object (free-form: raw scores, justifications, ranks).
 *
 * Ownership: inf_feedback_new() and inf_feedback_copy() return a new value
 * the caller owns (free with inf_feedback_free()); getters return borrowed
 * data valid until the feedback is changed or freed. Not thread-safe: use a
 * feedback value from the main loop only, like everything of the SDK.
 *
 * Thread: main loop (every function of this header)
 */
#pragma once

#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfFeedback InfFeedback;

typedef enum {
  INF_FEEDBACK_VERIFIER,  /* a deterministic check (verifier losses) */
  INF_FEEDBACK_LLM,       /* an LLM's judgement (judge, rubric, preference, ranking) */
  INF_FEEDBACK_HUMAN,     /* a person's */
  INF_FEEDBACK_COMPOSITE, /* a combination of others (composite losses, fan-out in backward) */
} InfFeedbackKind;

/* "verifier", "llm", "human", "composite"; "unknown" for other numbers.
 * Returns: (transfer none) a static string
 * Since: 1.1 */
INF_API const char *inf_feedback_kind_name(InfFeedbackKind kind);

/* A new feedback of @kind without a score, items or metadata.
 * Returns: (transfer full) free with inf_feedback_free(), or hand it to a
 *          function that takes it (inf_loss_task_return(), ...)
 * Since: 1.1 */
INF_API InfFeedback *inf_feedback_new(InfFeedbackKind kind);
/* A deep copy (score, items, kind, metadata).
 * Returns: (transfer full) free with inf_feedback_free()
 * Since: 1.1 */
INF_API InfFeedback *inf_feedback_copy(const InfFeedback *feedback);
/* Frees @feedback; NULL is ignored.
 * @feedback: (transfer full) (nullable) the feedback
 * Since: 1.1 */
INF_API void inf_feedback_free(InfFeedback *feedback);

/* The kind of feedback (verifier, llm, human, composite).
 * Since: 1.1 */
INF_API InfFeedbackKind inf_feedback_get_kind(const InfFeedback *feedback);
/* Changes the kind.
 * Since: 1.1 */
INF_API void inf_feedback_set_kind(InfFeedback *feedback, InfFeedbackKind kind);

/* Sets the score, clamped to [0, 1]; NaN removes it.
 * Since: 1.1 */
INF_API void inf_feedback_set_score(InfFeedback *feedback, double score);
/* Removes the score.
 * Since: 1.1 */
INF_API void inf_feedback_clear_score(InfFeedback *feedback);
/* Whether a score is set.
 * Since: 1.1 */
INF_API gboolean inf_feedback_has_score(const InfFeedback *feedback);
/* The score, or NaN when there is none.
 * Since: 1.1 */
INF_API double inf_feedback_get_score(const InfFeedback *feedback);

/* Appends a copy of @item; NULL or "" is ignored.
 * @item: (transfer none) (nullable) the item, copied
 * Since: 1.1 */
INF_API void inf_feedback_add_item(InfFeedback *feedback, const char *item);
/* Appends a formatted item; an empty result is ignored.
 * @format: (transfer none) printf format
 * Since: 1.1 */
INF_API void inf_feedback_add_itemf(InfFeedback *feedback, const char *format, ...)
    G_GNUC_PRINTF(2, 3);
/* The number of items.
 * Since: 1.1 */
INF_API guint inf_feedback_get_n_items(const InfFeedback *feedback);
/* Item @index.
 * Returns: (transfer none) (nullable) valid until the feedback is changed or
 *          freed; NULL when @index is out of range
 * Since: 1.1 */
INF_API const char *inf_feedback_get_item(const InfFeedback *feedback, guint index);

/* The metadata object, created empty on first use: add keys with
 * json_object_object_add().
 * Returns: (transfer none) never NULL; valid until the feedback is freed or
 *          its metadata replaced
 * Since: 1.1 */
INF_API json_object *inf_feedback_get_meta(InfFeedback *feedback);
/* Replaces the metadata with @meta. Anything but a JSON object or NULL is a
 * programming error (a critical; @meta is freed all the same).
 * @meta: (transfer full) (nullable) a JSON object, or NULL to clear
 * Since: 1.1 */
INF_API void inf_feedback_set_meta(InfFeedback *feedback, json_object *meta);

/* Appends copies of @other's items to @feedback, and combines the scores:
 * the result's score is the mean of the scores present (the count is kept
 * in the meta key "n_scores"); a feedback without a score leaves it
 * unchanged. The kind becomes INF_FEEDBACK_COMPOSITE when the kinds differ.
 * @other: (transfer none) another feedback (not @feedback itself)
 * Since: 1.1 */
INF_API void inf_feedback_merge(InfFeedback *feedback, const InfFeedback *other);

/* {"kind": ..., "score": number|null, "items": [...], "meta": {...}}.
 * Returns: (transfer full) free with json_object_put()
 * Since: 1.1 */
INF_API json_object *inf_feedback_to_json(const InfFeedback *feedback);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfFeedback, inf_feedback_free)

G_END_DECLS
