/* The sfa optimizer's prompts and the checks on its updater's replies. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

extern const char sfa_aggregator_system[];
extern const char sfa_updater_system[];

/* The distinct feedback texts of @items (in order of first appearance) with
 * their counts; when there are more than @max_items distinct texts, the most
 * frequent are kept (the most recent on ties) and *@dropped says how many
 * were left out. */
typedef struct {
  GPtrArray *texts; /* char*, owned */
  GArray *counts;   /* guint */
  guint dropped;
} SfaItems;

void sfa_items_init(SfaItems *items, const char *const *all, guint n, guint max_items);
void sfa_items_clear(SfaItems *items);

/* The aggregator's user prompt. */
char *sfa_aggregator_prompt(const char *name, const char *description, const SfaItems *items);
/* The items as the updater sees them when no aggregation was needed. */
char *sfa_items_as_feedback(const SfaItems *items);

/* The updater's user prompt. @upstream: NULL-terminated triples (name,
 * previous, updated); @rejected: NULL-terminated values tried before;
 * @problem: why the previous attempt was refused, or NULL. */
char *sfa_updater_prompt(const char *name, const char *description, const char *current,
                         const char *feedback, const char *const *upstream,
                         const char *const *rejected, double conservatism, guint max_chars,
                         const char *problem);

/* Checks a reply of the updater against the constraints: every {placeholder}
 * of @current kept (when @keep_placeholders), at most @max_chars characters
 * (0: no limit), not empty. Returns NULL when it passes, else why (caller
 * frees). */
char *sfa_check_update(const char *current, const char *reply, gboolean keep_placeholders,
                       guint max_chars);

G_END_DECLS
