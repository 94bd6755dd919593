/* Unit tests of the `llm` module: option validation (the class loaded from
 * the in-tree llm.so on INF_PLUGIN_PATH), its parameter and resource alias,
 * and reading replies as JSON. */
#include <math.h>
#include <string.h>

#include <inf/inf.h>

#include "model/module-private.h"
#include "modules/llm/llm-reply.h"
#include "inf-test-plugins.h"
#include "optim/backward-context.h"
#include "plugin/loader.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

typedef InfTestResourcesFixture Fixture;

#define fixture_teardown inf_test_resources_fixture_tear_down

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  inf_test_resources_fixture_set_up_plugins(f, data);
  g_assert_nonnull(inf_registry_lookup_module_class(f->registry, "llm"));
}

static InfModule *
new_llm(Fixture *f, const char *options_json, GError **error)
{
  json_object *options = json_tokener_parse(options_json);
  InfModule *module;

  g_assert_nonnull(options);
  module = inf_module_new(f->registry, "llm", "ask", options, error);
  json_object_put(options);
  return module;
}

static void
expect_invalid(Fixture *f, const char *options_json, const char *const *expected)
{
  g_autoptr(GError) error = NULL;
  InfModule *module = new_llm(f, options_json, &error);

  g_assert_null(module);
  g_assert_nonnull(error);
  g_assert_true(error->domain == INF_ERROR);
  for (; *expected != NULL; expected++)
    inf_test_assert_contains(error->message, *expected);
}

static void
test_valid(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfModule) minimal = NULL;
  g_autoptr(InfModule) full = NULL;
  g_autoptr(GPtrArray) params = NULL;
  InfParameter *system;
  const InfOptions *options;

  (void)data;
  minimal = new_llm(f, "{\"alias\": \"fast\"}", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_module_get_resource_alias(minimal), ==, "fast");
  options = inf_module_get_options(minimal);
  /* Defaults: response_format "text"; temperature and max_tokens unset. */
  g_assert_cmpstr(inf_options_get_string(options, "response_format"), ==, "text");
  g_assert_false(inf_options_has(options, "temperature"));
  g_assert_false(inf_options_has(options, "max_tokens"));
  g_assert_false(inf_options_has(options, "system_prompt"));
  params = inf_module_parameters(minimal);
  g_assert_cmpuint(params->len, ==, 0);
  g_clear_pointer(&params, g_ptr_array_unref);

  full = new_llm(f,
                 "{\"alias\": \"smart\", \"system_prompt\": \"Be brief.\", \"temperature\": 0, "
                 "\"max_tokens\": 64, \"response_format\": \"json\"}",
                 &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_module_get_resource_alias(full), ==, "smart");
  system = inf_module_get_parameter(full, "system_prompt");
  g_assert_nonnull(system);
  g_assert_cmpstr(inf_parameter_get_value(system), ==, "Be brief.");
  params = inf_module_parameters(full);
  g_assert_cmpuint(params->len, ==, 1);
  g_assert_true(params->pdata[0] == system);
}

static void
test_learnable_system_prompt(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfModule) module = NULL;
  g_autoptr(json_object) state = NULL;
  InfParameter *system;

  (void)data;
  module = new_llm(f,
                   "{\"alias\": \"fast\", \"system_prompt\": {\"value\": \"Answer.\", "
                   "\"description\": \"How to answer\", \"requires_grad\": true}}",
                   &error);
  g_assert_no_error(error);
  system = inf_module_get_parameter(module, "system_prompt");
  g_assert_nonnull(system);
  g_assert_true(inf_parameter_get_requires_grad(system));
  g_assert_cmpstr(inf_parameter_get_description(system), ==, "How to answer");
  state = inf_module_state_dict(module);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(state, "system_prompt")), ==,
                  "Answer.");
}

static void
backward_done(InfBackward *ctx, const GError *error, gpointer data)
{
  (void)ctx;
  g_assert_no_error(error);
  *(gboolean *)data = TRUE;
}

/* Runs the llm class's backward for one example scoring @score. */
static void
run_backward(InfModule *module, InfValue *input, InfValue *output, const InfFeedback *fb,
             double score, gboolean keep_passing)
{
  InfBackwardOptions opts = { .pass_score = 1.0, .keep_passing = keep_passing };
  InfBackward *ctx = inf_backward_new(module, "ask", 0, 1, &input, NULL, output, fb, score, &opts);
  gboolean done = FALSE;
  inf_backward_run(ctx, backward_done, &done);
  g_assert_true(done);
  g_assert_cmpuint(inf_feedback_get_n_items(inf_backward_get_arg_feedback(ctx, 0)), ==,
                   inf_feedback_get_n_items(fb));
  inf_backward_free(ctx);
}

static void
test_backward(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  (void)data;
  g_autoptr(InfModule) module =
      new_llm(f,
              "{\"alias\": \"fast\", \"system_prompt\": {\"value\": \"Answer with one of: a, b.\", "
              "\"description\": \"How to label tickets\", \"requires_grad\": true}}",
              &error);
  g_assert_no_error(error);
  InfParameter *system = inf_module_get_parameter(module, "system_prompt");
  g_autofree char *long_input = g_strnfill(2000, 'x');
  InfValue *input = inf_value_new_text(long_input);
  InfValue *output = inf_value_new_text("a");
  g_autoptr(InfFeedback) fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  inf_feedback_set_score(fb, 0.0);
  inf_feedback_add_item(fb, "expected 'b', got 'a'");

  run_backward(module, input, output, fb, 0.0, FALSE);
  g_assert_cmpuint(inf_parameter_get_n_feedback(system), ==, 1);
  const char *note = inf_parameter_get_feedback(system, 0);
  inf_test_assert_contains_all(note, "System prompt:\nAnswer with one of: a, b.\n",
                               "What the prompt is for:\nHow to label tickets\n");
  /* The input it saw, cut visibly. */
  g_autofree char *cut =
      g_strdup_printf("Input it saw:\n%.600s [... 1400 more bytes cut]\n", long_input);
  inf_test_assert_contains_all(note, cut, "Output it gave:\na\n", "- expected 'b', got 'a'\n");
  g_assert_nonnull(strstr(note, "Score: 0 (1 is best; passing: 1)"));

  /* A passing example adds nothing, or a short note when asked. */
  inf_feedback_set_score(fb, 1.0);
  run_backward(module, input, output, fb, 1.0, FALSE);
  g_assert_cmpuint(inf_parameter_get_n_feedback(system), ==, 1);
  run_backward(module, input, output, fb, 1.0, TRUE);
  g_assert_cmpuint(inf_parameter_get_n_feedback(system), ==, 2);
  g_assert_true(g_str_has_prefix(inf_parameter_get_feedback(system, 1),
                                 "Kept working on this input (passed):\nxxx"));
  inf_value_unref(input);
  inf_value_unref(output);
}

static void
test_invalid(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_invalid(f, "{}", (const char *const[]){ "alias", NULL });
  expect_invalid(f, "{\"alias\": \"\"}",
                 (const char *const[]){ "option 'alias' must name a resource alias", NULL });
  expect_invalid(f, "{\"alias\": 3}", (const char *const[]){ "alias", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"temperature\": 3}",
                 (const char *const[]){ "temperature", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"temperature\": -0.5}",
                 (const char *const[]){ "temperature", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"temperature\": \"hot\"}",
                 (const char *const[]){ "temperature", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"max_tokens\": 0}",
                 (const char *const[]){ "max_tokens", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"max_tokens\": 1.5}",
                 (const char *const[]){ "max_tokens", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"response_format\": \"xml\"}",
                 (const char *const[]){ "response_format", "text", "json", NULL });
  expect_invalid(f, "{\"alias\": \"a\", \"temprature\": 0.5}",
                 (const char *const[]){ "temprature", "alias", "max_tokens", "response_format",
                                        "system_prompt", "temperature", NULL });
}

static void
test_class_declares(Fixture *f, gconstpointer data)
{
  const InfModuleClass *klass = inf_registry_lookup_module_class(f->registry, "llm");
  guint n = 0;

  (void)data;
  g_assert_nonnull(klass->execute);
  g_assert_null(klass->forward);
  g_assert_nonnull(klass->resource_alias);
  g_assert_cmpstr(klass->inputs[0].name, ==, "prompt");
  g_assert_null(klass->inputs[1].name);
  for (const InfOptionSpec *spec = klass->options; spec->name != NULL; spec++) {
    n++;
    if (strcmp(spec->name, "temperature") == 0) {
      g_assert_cmpint(spec->type, ==, INF_OPTION_DOUBLE);
      g_assert_cmpfloat(spec->min, ==, 0.0);
      g_assert_cmpfloat(spec->max, ==, 2.0);
      g_assert_null(spec->default_json);
    } else if (strcmp(spec->name, "system_prompt") == 0) {
      g_assert_cmpint(spec->type, ==, INF_OPTION_PARAMETER);
      g_assert_false(spec->required);
    } else if (strcmp(spec->name, "alias") == 0) {
      g_assert_true(spec->required);
    } else if (strcmp(spec->name, "response_format") == 0) {
      g_assert_cmpint(spec->type, ==, INF_OPTION_ENUM);
      g_assert_cmpstr(spec->default_json, ==, "\"text\"");
    } else if (strcmp(spec->name, "json_schema") == 0) {
      g_assert_cmpint(spec->type, ==, INF_OPTION_JSON);
      g_assert_null(spec->default_json);
    } else if (strcmp(spec->name, "max_repairs") == 0) {
      g_assert_cmpint(spec->type, ==, INF_OPTION_INT);
      g_assert_cmpstr(spec->default_json, ==, "1");
    } else if (strcmp(spec->name, "cache") == 0) {
      g_assert_cmpint(spec->type, ==, INF_OPTION_BOOL);
      g_assert_cmpstr(spec->default_json, ==, "true");
    }
  }
  g_assert_cmpuint(n, ==, 10);
}

/* --- replies read as JSON --- */

static void
expect_json(const char *content, const char *expected_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfValue) value = llm_reply_parse_json(content, "ask", "fast", &error);
  g_autoptr(json_object) json = NULL;

  g_assert_no_error(error);
  g_assert_nonnull(value);
  json = inf_value_to_json(value);
  g_assert_cmpstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), ==, expected_json);
}

static void
test_reply_json(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfValue) object = NULL;

  expect_json("{\"a\": 1}", "{\"a\":1}");
  expect_json("  \n[1, 2]\n ", "[1,2]");
  expect_json("```json\n{\"a\": [true, null]}\n```", "{\"a\":[true,null]}");
  expect_json("```\n{\"b\": \"x\"}\n```\n", "{\"b\":\"x\"}");
  expect_json("```JSON\n{\"c\": 2}", "{\"c\":2}"); /* unclosed fence */
  expect_json("42", "42");
  expect_json("\"text\"", "\"text\"");
  expect_json("null", "null");

  object = llm_reply_parse_json("{\"k\": \"v\"}", "ask", "fast", &error);
  g_assert_cmpint(inf_value_get_kind(object), ==, INF_VALUE_JSON);
}

static void
expect_bad_reply(const char *content, const char *expected)
{
  g_autoptr(GError) error = NULL;
  InfValue *value = llm_reply_parse_json(content, "classify", "smart", &error);

  g_assert_null(value);
  g_assert_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  inf_test_assert_contains_all(error->message,
                               "node 'classify': the reply from alias 'smart' "
                               "is not valid JSON (response_format is \"json\")",
                               expected);
}

static void
test_reply_not_json(void)
{
  g_autofree char *long_reply = g_strnfill(500, 'x');

  expect_bad_reply("Sure! Here it is: {\"a\": 1}", "the reply begins \"Sure! Here it is: ");
  expect_bad_reply("{\"a\": 1} and more", "unexpected text after the JSON value");
  expect_bad_reply("{\"a\": ", "the reply begins \"{\\\"a\\\": \"");
  expect_bad_reply("", "the reply is empty");
  expect_bad_reply(NULL, "the reply is empty");
  expect_bad_reply("```json\n```", "the reply is empty");
  expect_bad_reply("line1\nline2", "\"line1\\nline2\"");
  /* Long replies are cut in the message. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_null(llm_reply_parse_json(long_reply, "n", "a", &error));
    g_assert_true(g_str_has_suffix(error->message, "\"..."));
    g_assert_cmpuint(strlen(error->message), <, 300);
  }
}

/* Regression: NaN, Infinity, 1e400 and integers beyond 64 bits in a JSON
 * reply produced non-JSON result lines or were clamped silently. */
static void
test_reply_json_numbers(void)
{
  expect_bad_reply("{\"score\": NaN}", "score: NaN is not a finite number");
  expect_bad_reply("[1, -Infinity]", "[1]: -Infinity is not a finite number");
  expect_bad_reply("{\"a\": {\"b\": 1e400}}", "a.b: 1e400 is not a finite number");
  expect_bad_reply("{\"id\": 123456789012345678901234}", "id: the integer is out of range");
  expect_bad_reply("{\"s\": \"a\\u0000b\"}", "s: the string contains a NUL character");
  expect_json("{\"big\": 9223372036854775807, \"small\": 1e-5}",
              "{\"big\":9223372036854775807,\"small\":1e-5}");
}

/* inf_json_describe_unportable() itself, on values built in C. */
static void
test_describe_unportable(void)
{
  g_autoptr(json_object) ok = json_object_new_object();
  json_object_object_add(ok, "x", json_object_new_double(1.5));
  json_object_object_add(ok, "t", json_object_new_string("caf\xc3\xa9"));
  g_assert_null(inf_json_describe_unportable(ok));
  g_assert_null(inf_json_describe_unportable(NULL));

  g_autoptr(json_object) bad = json_object_new_array();
  json_object_array_add(bad, json_object_new_string_len("a\0b", 3));
  g_autofree char *nul = inf_json_describe_unportable(bad);
  g_assert_cmpstr(nul, ==,
                  "[0]: the string contains a NUL character (\\u0000), which "
                  "inf-engine does not pass on");
  g_autoptr(json_object) utf8 = json_object_new_string("\xff");
  g_autofree char *bad_utf8 = inf_json_describe_unportable(utf8);
  g_assert_cmpstr(bad_utf8, ==, "(top level): the string is not valid UTF-8");
  g_autoptr(json_object) nan = json_object_new_double(NAN);
  g_autofree char *bad_nan = inf_json_describe_unportable(nan);
  inf_test_assert_contains_all(bad_nan, "(top level): ", "is not a finite number");
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "valid-options", test_valid },
  { "learnable-system-prompt", test_learnable_system_prompt },
  { "invalid-options", test_invalid },
  { "backward", test_backward },
  { "class-declares", test_class_declares },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/llm/", Fixture, fixture_setup, cases, fixture_teardown);
  g_test_add_func("/llm/reply-json", test_reply_json);
  g_test_add_func("/llm/reply-not-json", test_reply_not_json);
  g_test_add_func("/llm/reply-json-numbers", test_reply_json_numbers);
  g_test_add_func("/llm/describe-unportable", test_describe_unportable);
  return g_test_run();
}
