/* The mock client's scripted modes (docs/backends.md, "Scripted modes").
 *
 * instruct: a weak model that understands three directives in its system
 * prompt and ignores everything else:
 *   Answer with one of: a, b, c.          the reply is one of the labels
 *   If the text mentions 'w', answer x.   a keyword rule (prompt order)
 *   Answer in lowercase.                  "billing" instead of "Billing."
 * The reply is the answer of the first rule whose word the input mentions
 * (whole words, any case); else the label the input names first; else the
 * first label.
 *
 * edit: an optimizer's LLM that reads only the prompt it is sent.
 *   aggregator (no <current-value> in the prompt): the <feedback ...>...
 *     </feedback> blocks (else the non-empty lines) deduplicated, most
 *     frequent first, each as <feedback count="N">TEXT</feedback>.
 *   updater (a prompt with <current-value>VALUE</current-value>): reads the
 *     feedback blocks of <aggregated-feedback> (else the whole prompt); in
 *     each, the items "expected 'X', got 'Y'" and the input excerpt (a line
 *     "input: TEXT", a label line starting with "input" and ending with ":"
 *     followed by a line TEXT — the llm backward's "Input it saw:" — or
 *     <input>TEXT</input>). It answers VALUE plus new
 *     directives, one a line: "Answer in lowercase." when some Y equals its X
 *     apart from case and punctuation; then, for each label X answered
 *     wrongly (most failures first), "If the text mentions 'w', answer X."
 *     for the content word w (4+ letters, not a stop word, no rule yet) found
 *     in most of X's failing inputs and in none of the other labels'. At most
 *     max(1, round(3 * (1 - c))) directives a step, c being the first number
 *     after "conservatism" in the prompt (0.5 when absent). A directive found
 *     in a <rejected-value> block and not in VALUE is not proposed again.
 *     With nothing to add the reply is VALUE unchanged. */
#include "mock-modes.h"

#include <math.h>
#include <string.h>

/* --- shared text helpers --- */

static gboolean
is_word_char(guchar c)
{
  return g_ascii_isalnum(c) || c >= 0x80;
}

/* The position of @word's (a word or phrase) first whole-word mention in
 * @text, any case, or -1. */
static gssize
first_mention(const char *text, const char *word)
{
  g_autofree char *t = g_utf8_casefold(text, -1);
  g_autofree char *w = g_utf8_casefold(word, -1);
  gsize n = strlen(w);
  if (n == 0)
    return -1;
  for (const char *p = strstr(t, w); p != NULL; p = strstr(p + 1, w))
    if ((p == t || !is_word_char((guchar)p[-1])) && !is_word_char((guchar)p[n]))
      return p - t;
  return -1;
}

/* Whether @text mentions @word as whole words, any case. */
static gboolean
mentions(const char *text, const char *word)
{
  return first_mention(text, word) >= 0;
}

/* @text casefolded with everything but letters and digits removed. */
static char *
normalize_label(const char *text)
{
  g_autofree char *folded = g_utf8_casefold(text, -1);
  GString *out = g_string_new(NULL);
  for (const char *p = folded; *p; p++)
    if (is_word_char((guchar)*p))
      g_string_append_c(out, *p);
  return g_string_free(out, FALSE);
}

static char *
strip_quotes(const char *text)
{
  g_autofree char *s = g_strstrip(g_strdup(text));
  gsize n = strlen(s);
  if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0])
    return g_strndup(s + 1, n - 2);
  return g_steal_pointer(&s);
}

/* --- instruct --- */

typedef struct {
  GPtrArray *labels; /* char* */
  GPtrArray *words;  /* char*, the rules' words, in prompt order */
  GPtrArray *answers;
  gboolean lowercase;
} Directives;

static void
directives_clear(Directives *d)
{
  g_ptr_array_unref(d->labels);
  g_ptr_array_unref(d->words);
  g_ptr_array_unref(d->answers);
}

static void
directives_parse(const char *system, Directives *d)
{
  d->labels = g_ptr_array_new_with_free_func(g_free);
  d->words = g_ptr_array_new_with_free_func(g_free);
  d->answers = g_ptr_array_new_with_free_func(g_free);
  d->lowercase = FALSE;
  if (system == NULL)
    return;
  g_autoptr(GRegex) one_of =
      g_regex_new("answer with one of:[ \\t]*([^\\n]*?)\\.?[ \\t]*(?:\\n|$|(?<=\\.)\\s)",
                  G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GRegex) rule = g_regex_new("if the text mentions '([^'\\n]+)',[ \\t]*answer[ \\t]+"
                                       "([^\\n]*?)\\.?[ \\t]*(?:\\n|$|(?<=\\.)\\s)",
                                       G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  if (g_regex_match(one_of, system, 0, &m)) {
    g_autofree char *list = g_match_info_fetch(m, 1);
    g_auto(GStrv) ors = g_strsplit(list, " or ", -1);
    g_autofree char *joined = g_strjoinv(",", ors);
    g_auto(GStrv) parts = g_strsplit(joined, ",", -1);
    for (char **p = parts; *p; p++) {
      char *label = g_strstrip(*p);
      if (g_ascii_strncasecmp(label, "or ", 3) == 0)
        label += 3;
      g_autofree char *clean = strip_quotes(label);
      if (*clean)
        g_ptr_array_add(d->labels, g_steal_pointer(&clean));
    }
  }
  g_clear_pointer(&m, g_match_info_free);
  for (g_regex_match(rule, system, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
    g_autofree char *word = g_match_info_fetch(m, 1);
    g_autofree char *answer = g_match_info_fetch(m, 2);
    g_ptr_array_add(d->words, g_strdup(g_strstrip(word)));
    g_ptr_array_add(d->answers, strip_quotes(answer));
  }
  g_autofree char *folded = g_utf8_casefold(system, -1);
  d->lowercase = strstr(folded, "answer in lowercase") != NULL;
}

char *
mock_instruct_reply(const char *system, const char *input)
{
  Directives d;
  directives_parse(system, &d);
  const char *choice = NULL;
  if (input == NULL)
    input = "";
  for (guint i = 0; i < d.words->len && choice == NULL; i++)
    if (mentions(input, d.words->pdata[i]))
      choice = d.answers->pdata[i];
  if (choice != NULL) {
    for (guint i = 0; i < d.labels->len; i++) /* a label's own spelling */
      if (g_ascii_strcasecmp(d.labels->pdata[i], choice) == 0)
        choice = d.labels->pdata[i];
  } else if (d.labels->len > 0) {
    gssize best = -1;
    choice = d.labels->pdata[0];
    for (guint i = 0; i < d.labels->len; i++) {
      gssize at = first_mention(input, d.labels->pdata[i]);
      if (at >= 0 && (best < 0 || at < best)) {
        best = at;
        choice = d.labels->pdata[i];
      }
    }
  }
  char *reply = NULL;
  if (choice != NULL && d.lowercase) {
    reply = g_utf8_strdown(choice, -1);
  } else if (choice != NULL) {
    gunichar first = g_utf8_get_char(choice);
    char head[8] = { 0 };
    g_unichar_to_utf8(g_unichar_totitle(first), head);
    reply = g_strdup_printf("%s%s.", head, g_utf8_next_char(choice));
  }
  directives_clear(&d);
  return reply;
}

/* --- edit: aggregator --- */

/* The contents of every <@tag ...>...</@tag> in @text (trimmed). */
static GPtrArray *
blocks_of(const char *text, const char *tag)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *pattern = g_strdup_printf("<%s(?:\\s[^>]*)?>(.*?)</%s>", tag, tag);
  g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_DOTALL, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  for (g_regex_match(re, text, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
    char *body = g_match_info_fetch(m, 1);
    g_strstrip(body);
    if (*body)
      g_ptr_array_add(out, body);
    else
      g_free(body);
  }
  return out;
}

static char *
first_block(const char *text, const char *tag)
{
  g_autoptr(GPtrArray) all = blocks_of(text, tag);
  return all->len ? g_strdup(all->pdata[0]) : NULL;
}

static char *
aggregate(const char *prompt)
{
  g_autoptr(GPtrArray) items = blocks_of(prompt, "feedback");
  if (items->len == 0) {
    g_auto(GStrv) lines = g_strsplit(prompt, "\n", -1);
    for (char **l = lines; *l; l++) {
      char *line = g_strstrip(*l);
      if (*line && *line != '<')
        g_ptr_array_add(items, g_strdup(line));
    }
  }
  g_autoptr(GPtrArray) distinct = g_ptr_array_new();
  g_autoptr(GArray) counts = g_array_new(FALSE, TRUE, sizeof(guint));
  for (guint i = 0; i < items->len; i++) {
    guint j = 0;
    while (j < distinct->len && strcmp(distinct->pdata[j], items->pdata[i]) != 0)
      j++;
    if (j == distinct->len) {
      g_ptr_array_add(distinct, items->pdata[i]);
      guint one = 0;
      g_array_append_val(counts, one);
    }
    g_array_index(counts, guint, j)++;
  }
  GString *out = g_string_new(NULL);
  /* Most frequent first; first appearance breaks ties (a stable selection). */
  g_autofree gboolean *done = g_new0(gboolean, distinct->len + 1);
  for (guint round = 0; round < distinct->len; round++) {
    guint best = G_MAXUINT;
    for (guint j = 0; j < distinct->len; j++)
      if (!done[j] && (best == G_MAXUINT ||
                       g_array_index(counts, guint, j) > g_array_index(counts, guint, best)))
        best = j;
    done[best] = TRUE;
    g_string_append_printf(out, "<feedback count=\"%u\">%s</feedback>\n",
                           g_array_index(counts, guint, best), (char *)distinct->pdata[best]);
  }
  return g_string_free(out, FALSE);
}

/* --- edit: updater --- */

static const char *const stop_words[] = {
  "about", "after",  "again", "also",   "been",   "before", "being", "because", "could", "does",
  "doesn", "didn",   "dont",  "each",   "even",   "every",  "from",  "have",    "hello", "help",
  "here",  "into",   "just",  "know",   "like",   "many",   "more",  "most",    "much",  "need",
  "only",  "other",  "over",  "please", "should", "since",  "some",  "still",   "such",  "than",
  "thank", "thanks", "that",  "their",  "them",   "then",   "there", "these",   "they",  "this",
  "those", "today",  "very",  "want",   "were",   "what",   "when",  "where",   "which", "while",
  "will",  "with",   "would", "your",   "yours",  "input",  "text",  NULL,
};

static gboolean
is_content_word(const char *word)
{
  if (g_utf8_strlen(word, -1) < 4 || g_ascii_isdigit(word[0]))
    return FALSE;
  return !g_strv_contains(stop_words, word);
}

/* The distinct content words of @text, casefolded, in order. */
static GPtrArray *
content_words(const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *folded = g_utf8_casefold(text, -1);
  for (const char *p = folded; *p;) {
    while (*p && !is_word_char((guchar)*p))
      p++;
    const char *start = p;
    while (*p && is_word_char((guchar)*p))
      p++;
    if (p > start) {
      g_autofree char *word = g_strndup(start, p - start);
      gboolean seen = FALSE;
      for (guint i = 0; i < out->len && !seen; i++)
        seen = strcmp(out->pdata[i], word) == 0;
      if (!seen && is_content_word(word))
        g_ptr_array_add(out, g_steal_pointer(&word));
    }
  }
  return out;
}

typedef struct {
  char *expected;
  char *got;
  char *input; /* may be "" */
} Failure;

static void
failure_free(gpointer data)
{
  Failure *f = data;
  g_free(f->expected);
  g_free(f->got);
  g_free(f->input);
  g_free(f);
}

static char *
input_excerpt(const char *block)
{
  char *inner = first_block(block, "input");
  if (inner != NULL)
    return inner;
  /* "input: TEXT", or a label line such as "Input it saw:" and TEXT on the next line. */
  g_autoptr(GRegex) re = g_regex_new("^[ \\t*-]*input[^:\\n]{0,20}:[ \\t]*(.*)\\n?(.*)$",
                                     G_REGEX_CASELESS | G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  if (!g_regex_match(re, block, 0, &m))
    return g_strdup("");
  g_autofree char *same_line = g_match_info_fetch(m, 1);
  g_strstrip(same_line);
  return *same_line ? g_steal_pointer(&same_line) : g_match_info_fetch(m, 2);
}

static void
collect_failures(const char *block, GPtrArray *failures)
{
  g_autoptr(GRegex) re = g_regex_new("expected\\s+(['\"])(.*?)\\1\\s*,?\\s*got\\s+(['\"])(.*?)\\3",
                                     G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  g_autofree char *input = input_excerpt(block);
  for (g_regex_match(re, block, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
    Failure *f = g_new0(Failure, 1);
    f->expected = g_match_info_fetch(m, 2);
    f->got = g_match_info_fetch(m, 4);
    f->input = g_strdup(input);
    g_ptr_array_add(failures, f);
  }
}

static double
read_conservatism(const char *prompt)
{
  g_autoptr(GRegex) re =
      g_regex_new("conservatism[^0-9\\n]{0,40}?([0-9]+(?:\\.[0-9]+)?)", G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  if (!g_regex_match(re, prompt, 0, &m))
    return 0.5;
  g_autofree char *number = g_match_info_fetch(m, 1);
  return CLAMP(g_ascii_strtod(number, NULL), 0.0, 1.0);
}

typedef struct {
  const char *label;
  guint failures;
  guint misrouted;
} LabelStat;

static gboolean was_rejected(const char *directive, const char *current, GPtrArray *rejected);

/* The directive for the best separating word for @label, or NULL. */
static char *
separating_rule(const char *label, GPtrArray *failures, const Directives *current,
                const char *value, GPtrArray *rejected)
{
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GArray) counts = g_array_new(FALSE, TRUE, sizeof(guint));
  for (guint i = 0; i < failures->len; i++) {
    Failure *f = failures->pdata[i];
    if (strcmp(f->expected, label) != 0)
      continue;
    g_autoptr(GPtrArray) words = content_words(f->input);
    for (guint w = 0; w < words->len; w++) {
      guint j = 0;
      while (j < candidates->len && strcmp(candidates->pdata[j], words->pdata[w]) != 0)
        j++;
      if (j == candidates->len) {
        g_ptr_array_add(candidates, g_strdup(words->pdata[w]));
        guint zero = 0;
        g_array_append_val(counts, zero);
      }
      g_array_index(counts, guint, j)++;
    }
  }
  guint best = G_MAXUINT;
  for (guint j = 0; j < candidates->len; j++) {
    const char *word = candidates->pdata[j];
    gboolean excluded = FALSE;
    for (guint r = 0; r < current->words->len && !excluded; r++)
      excluded = g_ascii_strcasecmp(current->words->pdata[r], word) == 0;
    for (guint i = 0; i < failures->len && !excluded; i++) {
      Failure *f = failures->pdata[i];
      excluded = strcmp(f->expected, label) != 0 && mentions(f->input, word);
    }
    g_autofree char *directive =
        g_strdup_printf("If the text mentions '%s', answer %s.", word, label);
    excluded = excluded || was_rejected(directive, value, rejected);
    if (!excluded &&
        (best == G_MAXUINT || g_array_index(counts, guint, j) > g_array_index(counts, guint, best)))
      best = j;
  }
  if (best == G_MAXUINT)
    return NULL;
  return g_strdup_printf("If the text mentions '%s', answer %s.", (char *)candidates->pdata[best],
                         label);
}

static gboolean
was_rejected(const char *directive, const char *current, GPtrArray *rejected)
{
  if (strstr(current, directive) != NULL)
    return FALSE;
  for (guint i = 0; i < rejected->len; i++)
    if (strstr(rejected->pdata[i], directive) != NULL)
      return TRUE;
  return FALSE;
}

static char *
update(const char *prompt)
{
  g_autofree char *current = first_block(prompt, "current-value");
  if (current == NULL)
    current = g_strdup("");
  g_autofree char *region = first_block(prompt, "aggregated-feedback");
  const char *source = region ? region : prompt;
  g_autoptr(GPtrArray) blocks = blocks_of(source, "feedback");
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(failure_free);
  if (blocks->len == 0)
    collect_failures(source, failures);
  for (guint i = 0; i < blocks->len; i++)
    collect_failures(blocks->pdata[i], failures);
  g_autoptr(GPtrArray) rejected = blocks_of(prompt, "rejected-value");

  double c = read_conservatism(prompt);
  guint budget = (guint)MAX(1.0, round(3.0 * (1.0 - c)));
  Directives d;
  directives_parse(current, &d);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);

  gboolean case_only = FALSE;
  g_autoptr(GArray) stats = g_array_new(FALSE, TRUE, sizeof(LabelStat));
  for (guint i = 0; i < failures->len; i++) {
    Failure *f = failures->pdata[i];
    g_autofree char *e = normalize_label(f->expected);
    g_autofree char *g = normalize_label(f->got);
    gboolean same = strcmp(e, g) == 0;
    case_only = case_only || same;
    guint j = 0;
    while (j < stats->len && strcmp(g_array_index(stats, LabelStat, j).label, f->expected) != 0)
      j++;
    if (j == stats->len) {
      LabelStat s = { f->expected, 0, 0 };
      g_array_append_val(stats, s);
    }
    g_array_index(stats, LabelStat, j).failures++;
    if (!same)
      g_array_index(stats, LabelStat, j).misrouted++;
  }
  if (case_only && !d.lowercase && !was_rejected("Answer in lowercase.", current, rejected))
    g_ptr_array_add(added, g_strdup("Answer in lowercase."));

  /* Labels with misrouted inputs, most misrouted first (first appearance on ties). */
  g_autofree gboolean *done = g_new0(gboolean, stats->len + 1);
  for (guint round_ = 0; round_ < stats->len && added->len < budget; round_++) {
    guint best = G_MAXUINT;
    for (guint j = 0; j < stats->len; j++) {
      LabelStat *s = &g_array_index(stats, LabelStat, j);
      if (!done[j] && s->misrouted > 0 &&
          (best == G_MAXUINT || s->misrouted > g_array_index(stats, LabelStat, best).misrouted))
        best = j;
    }
    if (best == G_MAXUINT)
      break;
    done[best] = TRUE;
    const char *label = g_array_index(stats, LabelStat, best).label;
    char *directive = separating_rule(label, failures, &d, current, rejected);
    if (directive != NULL)
      g_ptr_array_add(added, directive);
  }
  directives_clear(&d);

  GString *out = g_string_new(current);
  for (guint i = 0; i < added->len && i < budget; i++)
    g_string_append_printf(out, "%s%s", out->len ? "\n" : "", (char *)added->pdata[i]);
  return g_string_free(out, FALSE);
}

char *
mock_edit_reply(const char *system, const char *prompt)
{
  (void)system;
  if (prompt == NULL)
    prompt = "";
  if (strstr(prompt, "<current-value>") != NULL)
    return update(prompt);
  return aggregate(prompt);
}
