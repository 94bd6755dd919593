/* Unit tests: option tables and validated options. */
#include <inf/error.h>
#include <inf/options.h>
#include <math.h>
#include <string.h>

#include "model/options-private.h"

static const char *const format_choices[] = { "json", "text", NULL };

static const InfOptionSpec llm_spec[] = {
  { .name = "alias", .type = INF_OPTION_STRING, .required = TRUE, .description = "resource alias" },
  { .name = "system_prompt", .type = INF_OPTION_PARAMETER, .description = "system prompt" },
  { .name = "temperature",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0.7",
    .description = "sampling temperature",
    .max = 2 },
  { .name = "max_tokens",
    .type = INF_OPTION_INT,
    .description = "token limit",
    .min = 1,
    .max = 100000 },
  { .name = "response_format",
    .type = INF_OPTION_ENUM,
    .default_json = "\"text\"",
    .description = "reply format",
    .choices = format_choices },
  { .name = NULL },
};

static const InfOptionSpec misc_spec[] = {
  { .name = "flag", .type = INF_OPTION_BOOL, .default_json = "false", .description = "a flag" },
  { .name = "count",
    .type = INF_OPTION_INT,
    .default_json = "3",
    .description = "unbounded count" },
  { .name = "extra", .type = INF_OPTION_JSON, .description = "anything" },
  { .name = "greeting",
    .type = INF_OPTION_STRING,
    .default_json = "\"hello\"",
    .description = "a string" },
  { .name = "prompt",
    .type = INF_OPTION_PARAMETER,
    .default_json = "\"default prompt\"",
    .description = "a parameter" },
  { .name = "body", .type = INF_OPTION_MODULE, .description = "a module" },
  { .name = NULL },
};

static json_object *
parse(const char *text)
{
  json_object *json = json_tokener_parse(text);
  g_assert_nonnull(json);
  return json;
}

/* Validates @text against @spec as "pipeline.json" / "modules.summarize" for
 * class 'llm'; returns the error (the test asserts one is set). */
static GError *
expect_error(const InfOptionSpec *spec, const char *text)
{
  json_object *given = parse(text);
  GError *error = NULL;
  InfOptions *options = inf_options_new_for_class(spec, "llm", given, NULL, NULL, "pipeline.json",
                                                  "modules.summarize", NULL, &error);
  json_object_put(given);
  g_assert_null(options);
  g_assert_nonnull(error);
  g_test_message("%s", error->message);
  return error;
}

static void
assert_contains(const GError *error, const char *part)
{
  if (strstr(error->message, part) == NULL)
    g_error("message \"%s\" lacks \"%s\"", error->message, part);
}

static void
test_type_names(void)
{
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_STRING), ==, "string");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_INT), ==, "integer");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_DOUBLE), ==, "number");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_BOOL), ==, "boolean");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_ENUM), ==, "enum");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_JSON), ==, "json");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_PARAMETER), ==, "parameter");
  g_assert_cmpstr(inf_option_type_name(INF_OPTION_MODULE), ==, "module");
}

static void
test_valid_and_defaults(void)
{
  g_autoptr(GError) error = NULL;
  json_object *given = parse("{\"type\": \"llm\", \"name\": \"x\", \"alias\": \"fast\", "
                             "\"system_prompt\": \"Be brief.\", \"max_tokens\": 64}");
  const char *const skip[] = { "type", "name", NULL };
  g_autoptr(InfOptions) o = inf_options_new(llm_spec, given, skip, NULL, "pipeline.json",
                                            "modules.summarize", NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_nonnull(o);

  g_assert_cmpstr(inf_options_get_path(o), ==, "modules.summarize");
  g_assert_true(inf_options_get_spec(o) == llm_spec);
  g_assert_cmpstr(inf_options_get_string(o, "alias"), ==, "fast");
  g_assert_cmpint(inf_options_get_int(o, "max_tokens"), ==, 64);
  g_assert_cmpfloat(inf_options_get_double(o, "max_tokens"), ==, 64.0);
  /* defaults */
  g_assert_true(inf_options_has(o, "temperature"));
  g_assert_false(inf_options_was_given(o, "temperature"));
  g_assert_true(inf_options_was_given(o, "alias"));
  g_assert_cmpfloat(inf_options_get_double(o, "temperature"), ==, 0.7);
  g_assert_cmpstr(inf_options_get_string(o, "response_format"), ==, "text");
  g_assert_cmpstr(json_object_get_string(inf_options_get_json(o, "response_format")), ==, "text");
  /* a plain string parameter is fixed */
  InfParameter *p = inf_options_get_parameter(o, "system_prompt");
  g_assert_nonnull(p);
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Be brief.");
  g_assert_false(inf_parameter_get_requires_grad(p));
  g_assert_cmpstr(inf_options_get_string(o, "system_prompt"), ==, "Be brief.");

  /* absent, unknown and mismatched accessors give zero values */
  g_autoptr(InfOptions) o2 = NULL;
  given = parse("{\"alias\": \"a\"}");
  o2 = inf_options_new(llm_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_options_get_path(o2), ==, "");
  g_assert_false(inf_options_has(o2, "max_tokens"));
  g_assert_cmpint(inf_options_get_int(o2, "max_tokens"), ==, 0);
  g_assert_null(inf_options_get_parameter(o2, "system_prompt"));
  g_assert_null(inf_options_get_string(o2, "system_prompt"));
  g_assert_false(inf_options_has(o2, "nope"));
  g_assert_null(inf_options_get_string(o2, "nope"));
  g_assert_cmpint(inf_options_get_int(o2, "alias"), ==, 0);
  g_assert_cmpfloat(inf_options_get_double(o2, "alias"), ==, 0.0);
  g_assert_false(inf_options_get_bool(o2, "alias"));
  g_assert_null(inf_options_get_parameter(o2, "alias"));
  g_assert_null(inf_options_get_module(o2, "alias"));
  g_assert_null(inf_options_get_string(o2, "temperature"));
}

static void
test_misc_types(void)
{
  g_autoptr(GError) error = NULL;
  json_object *given =
      parse("{\"flag\": true, \"count\": -5, \"extra\": {\"k\": [1]}, \"greeting\": \"hi\"}");
  g_autoptr(InfOptions) o =
      inf_options_new(misc_spec, given, NULL, NULL, "f.json", "modules.m", NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_true(inf_options_get_bool(o, "flag"));
  g_assert_cmpint(inf_options_get_int(o, "count"), ==, -5); /* no range: min == max */
  json_object *extra = inf_options_get_json(o, "extra");
  g_assert_true(json_object_is_type(extra, json_type_object));
  g_assert_cmpstr(inf_options_get_string(o, "greeting"), ==, "hi");
  /* PARAMETER default: a fixed parameter */
  InfParameter *p = inf_options_get_parameter(o, "prompt");
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "default prompt");
  g_assert_false(inf_options_has(o, "body"));
  g_assert_null(inf_options_get_module(o, "body"));

  /* defaults of bool/int/string */
  g_autoptr(InfOptions) d = inf_options_new(misc_spec, NULL, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(inf_options_has(d, "flag"));
  g_assert_false(inf_options_get_bool(d, "flag"));
  g_assert_cmpint(inf_options_get_int(d, "count"), ==, 3);
  g_assert_cmpstr(inf_options_get_string(d, "greeting"), ==, "hello");
  g_assert_false(inf_options_has(d, "extra"));

  /* JSON accepts anything, including null */
  given = parse("{\"extra\": null}");
  g_autoptr(InfOptions) n = inf_options_new(misc_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_true(inf_options_has(n, "extra"));
  g_assert_null(inf_options_get_json(n, "extra"));

  /* ints are accepted by doubles */
  given = parse("{\"alias\": \"a\", \"temperature\": 1}");
  g_autoptr(InfOptions) t = inf_options_new(llm_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_cmpfloat(inf_options_get_double(t, "temperature"), ==, 1.0);
}

/* inf_options_get_json_object: an object, an absent option (NULL), and a
 * value of another type (an error naming the JSON path and the type). */
static void
test_json_object(void)
{
  g_autoptr(GError) error = NULL;
  json_object *given = parse("{\"extra\": {\"k\": 1}}");
  g_autoptr(InfOptions) o =
      inf_options_new(misc_spec, given, NULL, NULL, "f.json", "modules.m", NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  json_object *extra = NULL;
  g_assert_true(inf_options_get_json_object(o, "extra", &extra, &error));
  g_assert_no_error(error);
  g_assert_true(extra == inf_options_get_json(o, "extra"));
  g_assert_true(json_object_is_type(extra, json_type_object));

  g_autoptr(InfOptions) d = inf_options_new(misc_spec, NULL, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(inf_options_get_json_object(d, "extra", &extra, &error));
  g_assert_no_error(error);
  g_assert_null(extra);

  given = parse("{\"extra\": [1]}");
  g_autoptr(InfOptions) l =
      inf_options_new(misc_spec, given, NULL, NULL, "f.json", "modules.m", NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  extra = inf_options_get_json(o, "extra"); /* not NULL: the call must clear it */
  g_assert_false(inf_options_get_json_object(l, "extra", &extra, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_cmpstr(error->message, ==, "modules.m.extra: expected a JSON object, got array");
  g_assert_null(extra);
}

static void
test_unknown_option(void)
{
  g_autoptr(GError) e = expect_error(llm_spec, "{\"alias\": \"a\", \"temprature\": 0.5}");
  g_assert_error(e, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_cmpstr(e->message, ==,
                  "pipeline.json: modules.summarize.temprature: unknown option for 'llm'; "
                  "valid options: alias, max_tokens, response_format, system_prompt, "
                  "temperature");

  /* Without a class name; skip_keys ignored; owner taken from "type". */
  GError *error = NULL;
  json_object *given = parse("{\"type\": \"llm\", \"alias\": \"a\", \"bogus\": 1}");
  const char *const skip[] = { "type", NULL };
  InfOptions *o = inf_options_new(llm_spec, given, skip, NULL, "p.json", "modules.s", NULL, &error);
  g_assert_null(o);
  assert_contains(error, "p.json: modules.s.bogus: unknown option for 'llm'");
  g_clear_error(&error);
  o = inf_options_new(llm_spec, given, NULL, NULL, NULL, "modules.s", NULL, &error);
  g_assert_null(o);
  /* "type" is not skipped here, so it is the unknown one */
  assert_contains(error, "modules.s.type: unknown option for 'llm'");
  g_clear_error(&error);
  json_object_put(given);

  given = parse("{\"x\": 1}");
  o = inf_options_new_for_class(NULL, NULL, given, NULL, NULL, NULL, "", NULL, &error);
  json_object_put(given);
  g_assert_null(o);
  g_assert_cmpstr(error->message, ==, "x: unknown option; valid options: (none)");
  g_clear_error(&error);

  /* no table and no options: fine */
  o = inf_options_new(NULL, NULL, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(o);
  inf_options_free(o);
  inf_options_free(NULL);
}

static void
test_not_an_object(void)
{
  g_autoptr(GError) e = expect_error(llm_spec, "[1, 2]");
  g_assert_error(e, INF_ERROR, INF_ERROR_CONFIG);
  assert_contains(e,
                  "pipeline.json: modules.summarize: expected an object of options, got an array");
}

static void
test_wrong_types(void)
{
  static const struct {
    const char *given;
    const char *message;
  } cases[] = {
    { "{\"alias\": \"a\", \"temperature\": \"hot\"}",
      "pipeline.json: modules.summarize.temperature: expected a number, got string \"hot\"" },
    { "{\"alias\": 5}",
      "pipeline.json: modules.summarize.alias: expected a string, got integer 5" },
    { "{\"alias\": null}", "modules.summarize.alias: expected a string, got null" },
    { "{\"alias\": \"a\", \"max_tokens\": 1.5}",
      "modules.summarize.max_tokens: expected an integer, got number 1.5" },
    { "{\"alias\": \"a\", \"max_tokens\": \"12\"}",
      "modules.summarize.max_tokens: expected an integer, got string \"12\"" },
    { "{\"alias\": \"a\", \"temperature\": true}",
      "modules.summarize.temperature: expected a number, got boolean true" },
    { "{\"alias\": \"a\", \"response_format\": \"xml\"}",
      "modules.summarize.response_format: expected one of: json, text; got string \"xml\"" },
    { "{\"alias\": \"a\", \"response_format\": 1}",
      "modules.summarize.response_format: expected one of: json, text; got integer 1" },
    { "{\"alias\": \"a\", \"system_prompt\": 7}",
      "modules.summarize.system_prompt: expected a string, {\"parameter\": NAME} or an inline "
      "parameter" },
    { "{\"alias\": {\"k\": 1}}", "modules.summarize.alias: expected a string, got an object" },
    { "{\"alias\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
      "\"temperature\": \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}",
      "got string \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...\"" },
  };
  for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(GError) e = expect_error(llm_spec, cases[k].given);
    g_assert_error(e, INF_ERROR, INF_ERROR_CONFIG);
    assert_contains(e, cases[k].message);
  }

  g_autoptr(GError) eb = expect_error(misc_spec, "{\"flag\": \"yes\"}");
  assert_contains(eb,
                  "modules.summarize.flag: expected a boolean (true or false), got string \"yes\"");
  g_autoptr(GError) ei = expect_error(misc_spec, "{\"count\": 2.0}");
  assert_contains(ei, "modules.summarize.count: expected an integer, got number 2.0");
  g_autoptr(GError) em = expect_error(misc_spec, "{\"body\": 3}");
  assert_contains(em, "modules.summarize.body: expected a module");
}

static void
test_ranges(void)
{
  g_autoptr(GError) e1 = expect_error(llm_spec, "{\"alias\": \"a\", \"temperature\": 2.5}");
  assert_contains(e1, "pipeline.json: modules.summarize.temperature: 2.5 is out of range");
  assert_contains(e1, "from 0 to 2");
  g_autoptr(GError) e2 = expect_error(llm_spec, "{\"alias\": \"a\", \"max_tokens\": 0}");
  assert_contains(e2, "modules.summarize.max_tokens: 0 is out of range");
  assert_contains(e2, "from 1 to 100000");
  g_autoptr(GError) e3 = expect_error(llm_spec, "{\"alias\": \"a\", \"temperature\": -0.1}");
  assert_contains(e3, "out of range");

  /* bounds are inclusive */
  g_autoptr(GError) error = NULL;
  json_object *given = parse("{\"alias\": \"a\", \"temperature\": 2, \"max_tokens\": 1}");
  g_autoptr(InfOptions) o = inf_options_new(llm_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
}

/* A bound that is no limit (infinite, or G_MAXINT32 for an integer): the
 * message names the other bound only. */
static const InfOptionSpec open_spec[] = {
  { .name = "n", .type = INF_OPTION_INT, .min = 1, .max = G_MAXINT32 },
  { .name = "x", .type = INF_OPTION_DOUBLE, .min = 0.001, .max = INFINITY },
  { .name = "y", .type = INF_OPTION_DOUBLE, .min = -INFINITY, .max = 5 },
  { .name = NULL },
};

static void
test_open_ranges(void)
{
  g_autoptr(GError) e1 = expect_error(open_spec, "{\"n\": 0}");
  assert_contains(e1, "pipeline.json: modules.summarize.n: expected an integer >= 1, got 0");
  g_autoptr(GError) e2 = expect_error(open_spec, "{\"x\": 0}");
  assert_contains(e2, "pipeline.json: modules.summarize.x: expected a number >= 0.001, got 0");
  g_autoptr(GError) e3 = expect_error(open_spec, "{\"y\": 5.5}");
  assert_contains(e3, "pipeline.json: modules.summarize.y: expected a number <= 5, got 5.5");
  /* beyond G_MAXINT32 "no limit" the bound is a real one: not "expected >= 1" */
  g_autoptr(GError) e4 = expect_error(open_spec, "{\"n\": 3000000000}");
  assert_contains(e4, "pipeline.json: modules.summarize.n: 3000000000 is out of range: expected a "
                      "value from 1 to 2147483647");

  g_autoptr(GError) error = NULL;
  json_object *given = parse("{\"n\": 2147483647, \"x\": 1e300, \"y\": -1e300}");
  g_autoptr(InfOptions) o = inf_options_new(open_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_cmpint(inf_options_get_int(o, "n"), ==, G_MAXINT32);
}

static void
test_missing_required(void)
{
  g_autoptr(GError) e = expect_error(llm_spec, "{\"temperature\": 0.5}");
  g_assert_error(e, INF_ERROR, INF_ERROR_CONFIG);
  assert_contains(e, "pipeline.json: modules.summarize: missing required option 'alias' for 'llm'");

  /* NULL given with a required option */
  GError *error = NULL;
  InfOptions *o = inf_options_new(llm_spec, NULL, NULL, NULL, NULL, "m", NULL, &error);
  g_assert_null(o);
  assert_contains(error, "m: missing required option 'alias'");
  g_clear_error(&error);
}

static void
test_inline_parameter(void)
{
  g_autoptr(GError) error = NULL;
  json_object *given = parse("{\"alias\": \"a\", \"system_prompt\": {\"value\": \"Summarize.\", "
                             "\"description\": \"the summarizer's prompt\", "
                             "\"requires_grad\": true}}");
  g_autoptr(InfOptions) o = inf_options_new(llm_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  InfParameter *p = inf_options_get_parameter(o, "system_prompt");
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Summarize.");
  g_assert_cmpstr(inf_parameter_get_description(p), ==, "the summarizer's prompt");
  g_assert_true(inf_parameter_get_requires_grad(p));

  given = parse("{\"alias\": \"a\", \"system_prompt\": {\"value\": \"fixed\"}}");
  g_autoptr(InfOptions) o2 = inf_options_new(llm_spec, given, NULL, NULL, NULL, NULL, NULL, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_false(inf_parameter_get_requires_grad(inf_options_get_parameter(o2, "system_prompt")));

  static const struct {
    const char *given;
    const char *message;
  } bad[] = {
    { "{\"alias\": \"a\", \"system_prompt\": {\"value\": \"v\", \"requires_grad\": true}}",
      "pipeline.json: modules.summarize.system_prompt: a learnable parameter (\"requires_grad\": "
      "true) needs a \"description\"" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"value\": \"v\", \"description\": \"\", "
      "\"requires_grad\": true}}",
      "modules.summarize.system_prompt: a learnable parameter" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"description\": \"d\"}}",
      "modules.summarize.system_prompt: an inline parameter needs a \"value\"" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"value\": 3}}",
      "modules.summarize.system_prompt.value: expected a string, got integer 3" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"value\": \"v\", \"requires_grad\": \"yes\"}}",
      "modules.summarize.system_prompt.requires_grad: expected a boolean" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"value\": \"v\", \"description\": 1}}",
      "modules.summarize.system_prompt.description: expected a string" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"value\": \"v\", \"learnable\": true}}",
      "modules.summarize.system_prompt.learnable: unknown key in an inline parameter; valid "
      "keys: value, description, requires_grad" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"parameter\": \"p\"}}",
      "modules.summarize.system_prompt: parameter references (\"p\") can only be resolved in a "
      "config" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"parameter\": 3}}",
      "modules.summarize.system_prompt.parameter: expected the name of a parameter" },
    { "{\"alias\": \"a\", \"system_prompt\": {\"parameter\": \"p\", \"value\": \"v\"}}",
      "modules.summarize.system_prompt: a parameter reference has exactly one key" },
  };
  for (guint k = 0; k < G_N_ELEMENTS(bad); k++) {
    g_autoptr(GError) e = expect_error(llm_spec, bad[k].given);
    g_assert_error(e, INF_ERROR, INF_ERROR_CONFIG);
    assert_contains(e, bad[k].message);
  }
}

/* A resolver backed by a table of named parameters. */
typedef struct {
  GHashTable *params; /* name → InfParameter * */
  guint module_calls;
  char *last_path;
} Resolver;

static InfParameter *
resolve_parameter(gpointer data, const char *name, const char *json_path, GError **error)
{
  Resolver *r = data;
  g_free(r->last_path);
  r->last_path = g_strdup(json_path);
  InfParameter *p = g_hash_table_lookup(r->params, name);
  if (p == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: unknown parameter '%s'; known: prompt",
                json_path, name);
    return NULL;
  }
  return inf_parameter_ref(p);
}

static InfModule *
resolve_module(gpointer data, json_object *spec, const char *json_path, GError **error)
{
  Resolver *r = data;
  r->module_calls++;
  g_free(r->last_path);
  r->last_path = g_strdup(json_path);
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: no module %s", json_path,
              json_object_to_json_string(spec));
  return NULL;
}

static void
test_resolver(void)
{
  Resolver r = { g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)inf_parameter_unref),
                 0, NULL };
  InfParameter *shared = inf_parameter_new("shared text", "a shared prompt", TRUE, NULL);
  g_hash_table_insert(r.params, "prompt", shared);
  InfOptionsResolver resolver = { .resolve_parameter = resolve_parameter,
                                  .resolve_module = resolve_module,
                                  .data = &r };

  g_autoptr(GError) error = NULL;
  json_object *given = parse("{\"alias\": \"a\", \"system_prompt\": {\"parameter\": \"prompt\"}}");
  InfOptions *o =
      inf_options_new(llm_spec, given, NULL, NULL, "p.json", "modules.s", &resolver, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_true(inf_options_get_parameter(o, "system_prompt") == shared);
  g_assert_cmpstr(r.last_path, ==, "modules.s.system_prompt");
  inf_options_free(o);

  /* resolver errors propagate */
  given = parse("{\"alias\": \"a\", \"system_prompt\": {\"parameter\": \"nope\"}}");
  o = inf_options_new(llm_spec, given, NULL, NULL, "p.json", "modules.s", &resolver, &error);
  json_object_put(given);
  g_assert_null(o);
  assert_contains(error, "modules.s.system_prompt: unknown parameter 'nope'");
  g_clear_error(&error);

  /* strings and inline parameters do not go through the resolver */
  given = parse("{\"alias\": \"a\", \"system_prompt\": \"plain\"}");
  o = inf_options_new(llm_spec, given, NULL, NULL, "p.json", "modules.s", &resolver, &error);
  json_object_put(given);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_parameter_get_value(inf_options_get_parameter(o, "system_prompt")), ==,
                  "plain");
  inf_options_free(o);

  /* module options go to the resolver, names and inline objects alike */
  given = parse("{\"body\": \"other\"}");
  o = inf_options_new(misc_spec, given, NULL, NULL, "p.json", "modules.m", &resolver, &error);
  json_object_put(given);
  g_assert_null(o);
  g_assert_cmpuint(r.module_calls, ==, 1);
  g_assert_cmpstr(r.last_path, ==, "modules.m.body");
  assert_contains(error, "modules.m.body: no module \"other\"");
  g_clear_error(&error);

  /* without a resolver a module name is an error */
  given = parse("{\"body\": \"other\"}");
  o = inf_options_new(misc_spec, given, NULL, NULL, "p.json", "modules.m", NULL, &error);
  json_object_put(given);
  g_assert_null(o);
  assert_contains(error, "p.json: modules.m.body: module references by name (\"other\")");
  g_clear_error(&error);

  /* inline module without registry / type */
  given = parse("{\"body\": {\"x\": 1}}");
  o = inf_options_new(misc_spec, given, NULL, NULL, "p.json", "modules.m", NULL, &error);
  json_object_put(given);
  g_assert_null(o);
  assert_contains(error, "p.json: modules.m.body: an inline module needs a \"type\"");
  g_clear_error(&error);

  given = parse("{\"body\": {\"type\": 1}}");
  o = inf_options_new(misc_spec, given, NULL, NULL, "p.json", "modules.m", NULL, &error);
  json_object_put(given);
  g_assert_null(o);
  assert_contains(error, "p.json: modules.m.body.type: expected a module type name");
  g_clear_error(&error);

  g_hash_table_unref(r.params);
  g_free(r.last_path);
}

static void
test_bad_defaults(void)
{
  static const InfOptionSpec bad_json[] = {
    { .name = "n", .type = INF_OPTION_INT, .default_json = "{oops", .description = "bad" },
    { .name = NULL },
  };
  static const InfOptionSpec bad_type[] = {
    { .name = "n", .type = INF_OPTION_INT, .default_json = "\"three\"", .description = "bad" },
    { .name = NULL },
  };
  GError *error = NULL;
  InfOptions *o =
      inf_options_new_for_class(bad_json, "broken", NULL, NULL, NULL, NULL, "m", NULL, &error);
  g_assert_null(o);
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  assert_contains(error, "'n'");
  assert_contains(error, "'broken'");
  assert_contains(error, "not valid JSON");
  g_clear_error(&error);

  o = inf_options_new_for_class(bad_type, "broken", NULL, NULL, NULL, NULL, "m", NULL, &error);
  g_assert_null(o);
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  assert_contains(error, "invalid default in the option table of 'broken'");
  assert_contains(error, "m.n: expected an integer, got string \"three\"");
  g_clear_error(&error);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/options/type-names", test_type_names);
  g_test_add_func("/options/valid-and-defaults", test_valid_and_defaults);
  g_test_add_func("/options/misc-types", test_misc_types);
  g_test_add_func("/options/json-object", test_json_object);
  g_test_add_func("/options/unknown-option", test_unknown_option);
  g_test_add_func("/options/not-an-object", test_not_an_object);
  g_test_add_func("/options/wrong-types", test_wrong_types);
  g_test_add_func("/options/ranges", test_ranges);
  g_test_add_func("/options/open-ranges", test_open_ranges);
  g_test_add_func("/options/missing-required", test_missing_required);
  g_test_add_func("/options/inline-parameter", test_inline_parameter);
  g_test_add_func("/options/resolver", test_resolver);
  g_test_add_func("/options/bad-defaults", test_bad_defaults);
  return g_test_run();
}
