/* The sfa optimizer's prompts (docs/training.md, "Optimizers").
 *
 * Aggregator (user message):
 *   <task>Merge the feedback on one parameter</task>
 *   <parameter name="NAME"><description>...</description></parameter>
 *   <feedback-items count="N" [omitted="K"]>
 *   <feedback index="1" [count="C"]>TEXT</feedback> ...
 *   </feedback-items>
 *   <output-format>...</output-format>
 * Updater (user message):
 *   <task>Write a new value for one parameter</task>
 *   <parameter name="NAME"><description>...</description>
 *   <current-value>VALUE</current-value></parameter>
 *   <aggregated-feedback>FEEDBACK</aggregated-feedback>
 *   [<upstream-updates><upstream-parameter name="..."><previous-value>...
 *    </previous-value><updated-value>...</updated-value></upstream-parameter>
 *    </upstream-updates>]
 *   [<rejected-values><rejected-value>...</rejected-value>...</rejected-values>]
 *   <update-guidelines><conservatism>C</conservatism>...</update-guidelines>
 *   [<previous-attempt-problem>...</previous-attempt-problem>]
 *   <output-format>...</output-format>
 * The aggregator prompt never holds <current-value>; the updater's always does
 * (that is how a scripted backend tells them apart). */
#include "sfa-prompt.h"

#include <string.h>

const char sfa_aggregator_system[] =
    "You merge feedback on a text parameter of an LLM pipeline. Keep every distinct, actionable "
    "point, merge duplicates, put the most frequent and most impactful first, and keep the "
    "concrete evidence (inputs, expected and actual outputs) that shows each point.";

const char sfa_updater_system[] =
    "You improve a text parameter of an LLM pipeline (usually a system prompt) from feedback on "
    "its results. Change what the feedback shows is wrong and keep what works. Reply with the "
    "new value only.";

void
sfa_items_init(SfaItems *items, const char *const *all, guint n, guint max_items)
{
  items->texts = g_ptr_array_new_with_free_func(g_free);
  items->counts = g_array_new(FALSE, TRUE, sizeof(guint));
  items->dropped = 0;
  g_autoptr(GArray) last = g_array_new(FALSE, TRUE, sizeof(guint));
  for (guint i = 0; i < n; i++) {
    guint j = 0;
    while (j < items->texts->len && strcmp(items->texts->pdata[j], all[i]) != 0)
      j++;
    if (j == items->texts->len) {
      g_ptr_array_add(items->texts, g_strdup(all[i]));
      guint zero = 0;
      g_array_append_val(items->counts, zero);
      g_array_append_val(last, zero);
    }
    g_array_index(items->counts, guint, j)++;
    g_array_index(last, guint, j) = i;
  }
  /* Drop the least frequent (the oldest on ties) until max_items remain. */
  while (max_items > 0 && items->texts->len > max_items) {
    guint worst = 0;
    for (guint j = 1; j < items->texts->len; j++) {
      guint cj = g_array_index(items->counts, guint, j);
      guint cw = g_array_index(items->counts, guint, worst);
      if (cj < cw ||
          (cj == cw && g_array_index(last, guint, j) < g_array_index(last, guint, worst)))
        worst = j;
    }
    g_ptr_array_remove_index(items->texts, worst);
    g_array_remove_index(items->counts, worst);
    g_array_remove_index(last, worst);
    items->dropped++;
  }
}

void
sfa_items_clear(SfaItems *items)
{
  g_clear_pointer(&items->texts, g_ptr_array_unref);
  g_clear_pointer(&items->counts, g_array_unref);
}

static void
append_feedback(GString *out, const SfaItems *items, gboolean indexed)
{
  for (guint i = 0; i < items->texts->len; i++) {
    guint count = g_array_index(items->counts, guint, i);
    g_string_append(out, "<feedback");
    if (indexed)
      g_string_append_printf(out, " index=\"%u\"", i + 1);
    if (count > 1)
      g_string_append_printf(out, " count=\"%u\"", count);
    g_string_append_printf(out, ">%s</feedback>\n", (const char *)items->texts->pdata[i]);
  }
}

char *
sfa_aggregator_prompt(const char *name, const char *description, const SfaItems *items)
{
  GString *out = g_string_new("<task>Merge the feedback on one parameter</task>\n");
  g_string_append_printf(out,
                         "<parameter name=\"%s\">\n<description>%s</description>\n"
                         "</parameter>\n",
                         name, description ? description : "");
  g_string_append_printf(out, "<feedback-items count=\"%u\"", items->texts->len);
  if (items->dropped)
    g_string_append_printf(out, " omitted=\"%u\"", items->dropped);
  g_string_append(out, ">\n");
  append_feedback(out, items, TRUE);
  g_string_append(out, "</feedback-items>\n"
                       "<output-format>One <feedback count=\"N\">...</feedback> element per "
                       "distinct point, most frequent first, each with its evidence. Nothing "
                       "else.</output-format>\n");
  return g_string_free(out, FALSE);
}

char *
sfa_items_as_feedback(const SfaItems *items)
{
  GString *out = g_string_new(NULL);
  append_feedback(out, items, FALSE);
  return g_string_free(out, FALSE);
}

char *
sfa_updater_prompt(const char *name, const char *description, const char *current,
                   const char *feedback, const char *const *upstream, const char *const *rejected,
                   double conservatism, guint max_chars, const char *problem)
{
  GString *out = g_string_new("<task>Write a new value for one parameter</task>\n");
  g_string_append_printf(out,
                         "<parameter name=\"%s\">\n<description>%s</description>\n"
                         "<current-value>%s</current-value>\n</parameter>\n",
                         name, description ? description : "", current);
  g_string_append_printf(out, "<aggregated-feedback>\n%s\n</aggregated-feedback>\n", feedback);
  if (upstream != NULL && upstream[0] != NULL) {
    g_string_append(out, "<upstream-updates>\n<note>These parameters feed this one and were "
                         "changed in this step; keep this value consistent with "
                         "them.</note>\n");
    for (guint i = 0; upstream[i] != NULL; i += 3)
      g_string_append_printf(out,
                             "<upstream-parameter name=\"%s\">\n<previous-value>%s"
                             "</previous-value>\n<updated-value>%s</updated-value>\n"
                             "</upstream-parameter>\n",
                             upstream[i], upstream[i + 1], upstream[i + 2]);
    g_string_append(out, "</upstream-updates>\n");
  }
  if (rejected != NULL && rejected[0] != NULL) {
    g_string_append(out, "<rejected-values>\n<note>These values were tried in earlier steps and "
                         "did not improve the validation score: do not propose them "
                         "again.</note>\n");
    for (guint i = 0; rejected[i] != NULL; i++)
      g_string_append_printf(out, "<rejected-value>%s</rejected-value>\n", rejected[i]);
    g_string_append(out, "</rejected-values>\n");
  }
  g_autofree char *number = g_strdup_printf("%.2f", conservatism);
  g_string_append_printf(out,
                         "<update-guidelines>\n<conservatism>%s</conservatism>\n"
                         "<conservatism-scale>0 = rewrite freely, 1 = the smallest change "
                         "that addresses the feedback</conservatism-scale>\n"
                         "<instructions>Address the most frequent feedback first. Keep what "
                         "works. Keep every {placeholder} of the current value.",
                         number);
  if (max_chars > 0)
    g_string_append_printf(out, " At most %u characters.", max_chars);
  g_string_append(out, "</instructions>\n</update-guidelines>\n");
  if (problem != NULL)
    g_string_append_printf(out,
                           "<previous-attempt-problem>Your previous reply was refused: %s"
                           "</previous-attempt-problem>\n",
                           problem);
  g_string_append(out, "<output-format>Only the new value: no explanation, no markdown, no "
                       "quotes.</output-format>\n");
  return g_string_free(out, FALSE);
}

char *
sfa_check_update(const char *current, const char *reply, gboolean keep_placeholders,
                 guint max_chars)
{
  if (reply == NULL || *reply == '\0')
    return g_strdup("the reply is empty");
  if (max_chars > 0 && g_utf8_strlen(reply, -1) > (glong)max_chars)
    return g_strdup_printf("it has %ld characters, more than max_chars (%u)",
                           g_utf8_strlen(reply, -1), max_chars);
  if (!keep_placeholders)
    return NULL;
  g_autoptr(GRegex) re = g_regex_new("\\{[A-Za-z_][A-Za-z0-9_.]*\\}", 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  for (g_regex_match(re, current, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
    g_autofree char *placeholder = g_match_info_fetch(m, 0);
    if (strstr(reply, placeholder) == NULL)
      return g_strdup_printf("it drops the placeholder %s, which the value must keep", placeholder);
  }
  return NULL;
}
