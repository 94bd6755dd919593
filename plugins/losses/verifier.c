/* The `verifier` loss: a deterministic check of the output against the
 * example's target. It scores 1 when the check passes (no items) and 0 when
 * it fails, with one item of the form "expected 'X', got 'Y'" (followed by
 * what the check was when it is not an exact match).
 *
 *   match         exact | contains | regex | json_field | number_close
 *   normalize     "trim", "casefold", or a list of them (applied to both sides)
 *   path          json_field: where the field is in the output's JSON ("a.b[0].c")
 *   tolerance     number_close: the largest accepted absolute difference
 *   pattern       regex: the regular expression (default: the target is the pattern)
 */
#include <math.h>
#include <string.h>

#include "losses.h"
#include "losses-field.h"

#define QUOTE_MAX 200

typedef enum {
  MATCH_EXACT,
  MATCH_CONTAINS,
  MATCH_REGEX,
  MATCH_JSON_FIELD,
  MATCH_NUMBER
} Match;

static const char *const match_choices[] = { "exact",      "contains",     "regex",
                                             "json_field", "number_close", NULL };

static const InfOptionSpec verifier_options[] = {
  { .name = "match",
    .type = INF_OPTION_ENUM,
    .default_json = "\"exact\"",
    .description =
        "How the output is checked against the target: exact, contains, regex, json_field (the "
        "field at `path` equals the target) or number_close (within `tolerance`)",
    .choices = match_choices },
  { .name = "normalize",
    .type = INF_OPTION_JSON,
    .default_json = "[]",
    .description = "\"trim\", \"casefold\" or a list of them, applied to the output and the target "
                   "before comparing texts" },
  { .name = "path",
    .type = INF_OPTION_STRING,
    .description = "json_field: the field of the output's JSON to compare, as a.b[0].c (required "
                   "for json_field)" },
  { .name = "tolerance",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0",
    .description = "number_close and json_field numbers: the largest accepted absolute difference",
    .max = 1e300 },
  { .name = "pattern",
    .type = INF_OPTION_STRING,
    .description = "regex: the regular expression the output must match (default: the target is "
                   "the pattern)" },
  { .name = NULL },
};

typedef struct {
  Match match;
  gboolean trim;
  gboolean casefold;
  char *path;
  double tolerance;
  GRegex *pattern; /* NULL: the target is the pattern */
} Verifier;

static void
verifier_free(gpointer data)
{
  Verifier *v = data;
  if (v == NULL)
    return;
  g_free(v->path);
  if (v->pattern)
    g_regex_unref(v->pattern);
  g_free(v);
}

static gboolean
parse_normalize_one(Verifier *v, json_object *item, const char *where, GError **error)
{
  const char *name =
      json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
  if (g_strcmp0(name, "trim") == 0)
    v->trim = TRUE;
  else if (g_strcmp0(name, "casefold") == 0)
    v->casefold = TRUE;
  else {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: unknown normalization %s; valid: \"trim\", \"casefold\"", where,
                json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN));
    return FALSE;
  }
  return TRUE;
}

static gboolean
verifier_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  g_autoptr(GError) local = NULL;
  Verifier *v = g_new0(Verifier, 1);
  const char *match = inf_options_get_string(options, "match");
  json_object *normalize = inf_options_get_json(options, "normalize");

  for (int i = 0; match_choices[i]; i++)
    if (g_strcmp0(match, match_choices[i]) == 0)
      v->match = (Match)i;
  v->tolerance = inf_options_get_double(options, "tolerance");
  if (json_object_is_type(normalize, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(normalize); i++) {
      g_autofree char *where = g_strdup_printf("normalize[%zu]", i);
      if (!parse_normalize_one(v, json_object_array_get_idx(normalize, i), where, error))
        goto fail;
    }
  } else if (normalize != NULL && !parse_normalize_one(v, normalize, "normalize", error)) {
    goto fail;
  }
  if (inf_options_has(options, "path")) {
    v->path = g_strdup(inf_options_get_string(options, "path"));
    if (v->match != MATCH_JSON_FIELD) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "path: only used with \"match\": \"json_field\" (match is \"%s\")", match);
      goto fail;
    }
    if (!losses_field_path_is_valid(v->path)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "path: '%s' is not a field path; write names and indexes like a.b[0].c", v->path);
      goto fail;
    }
  } else if (v->match == MATCH_JSON_FIELD) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "path: required with \"match\": \"json_field\" (the field to compare, e.g. "
                "\"answer.label\")");
    goto fail;
  }
  if (inf_options_has(options, "pattern")) {
    if (v->match != MATCH_REGEX) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "pattern: only used with \"match\": \"regex\" (match is \"%s\")", match);
      goto fail;
    }
    v->pattern = g_regex_new(inf_options_get_string(options, "pattern"),
                             v->casefold ? G_REGEX_CASELESS : 0, 0, &local);
    if (v->pattern == NULL) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "pattern: invalid regular expression: %s",
                  local->message);
      goto fail;
    }
  }
  *out_private = v;
  return TRUE;
fail:
  verifier_free(v);
  return FALSE;
}

static gboolean
is_number(json_object *j)
{
  return json_object_is_type(j, json_type_int) || json_object_is_type(j, json_type_double);
}

/* A number from a JSON number or a text holding only a number. */
static gboolean
number_of(json_object *j, const char *text, double *out)
{
  if (j != NULL && is_number(j)) {
    *out = json_object_get_double(j);
    return TRUE;
  }
  if (text == NULL)
    return FALSE;
  g_autofree char *copy = g_strstrip(g_strdup(text));
  char *end = NULL;
  if (*copy == '\0')
    return FALSE;
  *out = g_ascii_strtod(copy, &end);
  return end != NULL && *end == '\0' && isfinite(*out);
}

static gboolean
verifier_check_target(InfLoss *self, json_object *target, GError **error)
{
  Verifier *v = inf_loss_get_private(self);
  double d;

  switch (v->match) {
  case MATCH_EXACT:
    if (target == NULL || json_object_is_type(target, json_type_object) ||
        json_object_is_type(target, json_type_array)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "the verifier (exact) expects a target that is a string, number or boolean");
      return FALSE;
    }
    return TRUE;
  case MATCH_CONTAINS:
    if (!json_object_is_type(target, json_type_string)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "the verifier (contains) expects a string target (the text to find)");
      return FALSE;
    }
    return TRUE;
  case MATCH_REGEX:
    if (v->pattern != NULL)
      return TRUE;
    if (!json_object_is_type(target, json_type_string)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "the verifier (regex) expects a string target (the regular expression), or "
                  "the option \"pattern\"");
      return FALSE;
    } else {
      g_autoptr(GError) local = NULL;
      g_autoptr(GRegex) re = g_regex_new(json_object_get_string(target), 0, 0, &local);
      if (re == NULL) {
        g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                    "the target is not a valid regular expression: %s", local->message);
        return FALSE;
      }
    }
    return TRUE;
  case MATCH_JSON_FIELD:
    return TRUE; /* any JSON value, null included */
  case MATCH_NUMBER:
    if (!number_of(target,
                   json_object_is_type(target, json_type_string) ? json_object_get_string(target)
                                                                 : NULL,
                   &d)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "the verifier (number_close) expects a number target (or a string holding "
                  "one)");
      return FALSE;
    }
    return TRUE;
  }
  return TRUE;
}

static char *
normalized(const Verifier *v, const char *text)
{
  char *copy = g_strdup(text ? text : "");
  if (v->trim)
    g_strstrip(copy);
  if (v->casefold) {
    char *folded = g_utf8_casefold(copy, -1);
    g_free(copy);
    copy = folded;
  }
  return copy;
}

/* A JSON value as text: a string as is, anything else as compact JSON. */
static char *
json_text(json_object *j)
{
  if (json_object_is_type(j, json_type_string))
    return g_strdup(json_object_get_string(j));
  return g_strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
}

static void
add_mismatch(InfFeedback *fb, const char *expected, const char *got, const char *detail)
{
  g_autofree char *e = inf_text_quote(expected, -1, QUOTE_MAX, NULL);
  g_autofree char *g = inf_text_quote(got, -1, QUOTE_MAX, NULL);
  inf_feedback_add_itemf(fb, "expected '%s', got '%s'%s%s%s", e, g, detail ? " (" : "",
                         detail ? detail : "", detail ? ")" : "");
}

static gboolean
json_matches(const Verifier *v, json_object *expected, json_object *got)
{
  if (is_number(expected) && is_number(got))
    return fabs(json_object_get_double(expected) - json_object_get_double(got)) <= v->tolerance;
  if (json_object_is_type(expected, json_type_string) &&
      json_object_is_type(got, json_type_string)) {
    g_autofree char *e = normalized(v, json_object_get_string(expected));
    g_autofree char *g = normalized(v, json_object_get_string(got));
    return strcmp(e, g) == 0;
  }
  return json_object_equal(expected, got);
}

static void
verifier_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                  InfLossTask *task)
{
  (void)example;
  Verifier *v = inf_loss_get_private(self);
  g_autoptr(GError) error = NULL;
  if (!verifier_check_target(self, target, &error)) {
    inf_loss_task_return_error(task, g_steal_pointer(&error));
    return;
  }
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  g_autofree char *got = output ? inf_value_to_string(output) : g_strdup("");
  g_autofree char *expected = json_text(target);
  g_autofree char *got_n = normalized(v, got);
  g_autofree char *expected_n = normalized(v, expected);
  gboolean pass = FALSE;

  switch (v->match) {
  case MATCH_EXACT:
    pass = strcmp(got_n, expected_n) == 0;
    if (!pass)
      add_mismatch(fb, expected, got, NULL);
    break;
  case MATCH_CONTAINS:
    pass = strstr(got_n, expected_n) != NULL;
    if (!pass)
      add_mismatch(fb, expected, got, "the output must contain the expected text");
    break;
  case MATCH_REGEX: {
    g_autoptr(GRegex) own = NULL;
    GRegex *re = v->pattern;
    if (re == NULL)
      re = own = g_regex_new(expected, v->casefold ? G_REGEX_CASELESS : 0, 0, NULL);
    pass = re != NULL && g_regex_match(re, v->trim ? got_n : got, 0, NULL);
    if (!pass)
      add_mismatch(fb, g_regex_get_pattern(re), got,
                   "the output must match the regular expression");
    break;
  }
  case MATCH_JSON_FIELD: {
    json_object *parsed = output ? inf_value_to_json(output) : NULL;
    if (json_object_is_type(parsed, json_type_string)) {
      json_object *from_text = json_tokener_parse(json_object_get_string(parsed));
      json_object_put(parsed);
      parsed = from_text;
    }
    gboolean found = FALSE;
    json_object *field = losses_field_get(parsed, v->path, &found);
    if (found && json_matches(v, target, field)) {
      pass = TRUE;
    } else {
      g_autofree char *field_text = found ? json_text(field) : NULL;
      g_autofree char *detail =
          found ? g_strdup_printf("field %s", v->path)
                : g_strdup_printf("field %s: %s", v->path,
                                  parsed ? "not in the output" : "the output is not JSON");
      add_mismatch(fb, expected, found ? field_text : got, detail);
    }
    json_object_put(parsed);
    break;
  }
  case MATCH_NUMBER: {
    double want = 0, have = 0;
    number_of(target, expected, &want);
    pass = number_of(NULL, got, &have) && fabs(have - want) <= v->tolerance;
    if (!pass) {
      char tol[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *detail =
          g_strdup_printf("a number within %s", g_ascii_dtostr(tol, sizeof tol, v->tolerance));
      add_mismatch(fb, expected, got, detail);
    }
    break;
  }
  }
  inf_feedback_set_score(fb, pass ? 1.0 : 0.0);
  json_object *meta = inf_feedback_get_meta(fb);
  json_object_object_add(meta, "match", json_object_new_string(match_choices[v->match]));
  json_object_object_add(meta, "passed", json_object_new_boolean(pass));
  inf_loss_task_return(task, fb);
}

const InfLossClass inf_losses_verifier_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "verifier",
  .description = "Deterministic check of the output against the example's target (exact, "
                 "contains, regex, json_field, number_close); score 1 or 0",
  .options = verifier_options,
  .init = verifier_init,
  .finalize = verifier_free,
  .evaluate = verifier_evaluate,
  .check_target = verifier_check_target,
};
