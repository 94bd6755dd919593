/* The in-tree `template` and `llm` module classes end to end: a config run
 * by the real inf-engine program on the mock backend. Checks rendering
 * (named arguments, fields of a JSON input, escapes), the missing-placeholder
 * error, JSON replies (fenced) and a reply that is not JSON. */
#include <string.h>

#include <json-c/json.h>

#include "inf-test.h"

static const char config_text[] =
    "{\n"
    "  \"resources\": {\"endpoints\": {\n"
    "    \"json\": {\"provider\": \"mock\", \"reply\": \"```json\\n{\\\"label\\\": "
    "\\\"{prompt}\\\"}\\n```\"},\n"
    "    \"chatty\": {\"provider\": \"mock\", \"reply\": \"Sure: {prompt}\"},\n"
    "    \"echo\": {\"provider\": \"mock\", \"reply\": \"{prompt}\"}}},\n"
    "  \"modules\": {\n"
    "    \"greet\": {\"type\": \"template\", \"template\": \"Hi {name}, {user.city}! {{ok}} "
    "{0}\"},\n"
    "    \"strict\": {\"type\": \"template\", \"template\": \"{name} {user.nosuch}\"},\n"
    "    \"classify\": {\"type\": \"llm\", \"alias\": \"json\", \"response_format\": \"json\"},\n"
    "    \"broken\": {\"type\": \"llm\", \"alias\": \"chatty\", \"response_format\": \"json\"},\n"
    "    \"ask\": {\"type\": \"llm\", \"alias\": \"echo\", \"system_prompt\": \"Be brief.\",\n"
    "             \"temperature\": 0.5, \"max_tokens\": 16},\n"
    "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"name\", \"user\"], \"nodes\": {\n"
    "      \"greet\": {\"module\": \"greet\", \"args\": {\"name\": \"$name\", \"user\": "
    "\"$user\"}},\n"
    "      \"strict\": {\"module\": \"strict\", \"args\": {\"name\": \"$name\", \"user\": "
    "\"$user\"}},\n"
    "      \"label\": {\"module\": \"classify\", \"args\": [\"$user.city\"]},\n"
    "      \"broken\": {\"module\": \"broken\", \"args\": [\"$name\"]},\n"
    "      \"answer\": {\"module\": \"ask\", \"args\": [\"$greet\"]}},\n"
    "     \"outputs\": {\"greet\": \"$greet\", \"strict\": \"$strict\", \"label\": \"$label\",\n"
    "                 \"broken\": \"$broken\", \"answer\": \"$answer\"}}},\n"
    "  \"main\": \"pipeline\"\n"
    "}\n";

static const char input_text[] = "{\"name\": \"Ada\", \"user\": {\"city\": \"London\"}}\n";

static void
test_run(void)
{
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *config = inf_test_write(tmp, "pipeline.json", config_text);
  g_autofree char *input = inf_test_write(tmp, "in.jsonl", input_text);
  g_auto(InfTestRun) run = { 0 };
  json_object *result, *outputs, *errors;

  inf_test_engine_run_va(&run, NULL, "run", config, "--input", input, "-q", NULL);
  result = json_tokener_parse(run.out);
  if (result == NULL)
    g_error("not one JSON result: '%s' (stderr: %s)", run.out, run.err);
  outputs = json_object_object_get(result, "outputs");
  errors = json_object_object_get(result, "errors");
  g_assert_nonnull(outputs);
  g_assert_nonnull(errors);

  /* template: named arguments, a field of a JSON input, escapes, {0}. */
  g_assert_cmpstr(json_object_get_string(json_object_object_get(outputs, "greet")), ==,
                  "Hi Ada, London! {ok} Ada");
  /* template: a placeholder whose field the value lacks fails the node (a
   * placeholder without an argument is a config error, see
   * tests/graph/test-validate.c). */
  g_assert_null(json_object_object_get(outputs, "strict"));
  g_assert_cmpstr(json_object_get_string(json_object_object_get(errors, "strict")), ==,
                  "node 'strict': template placeholder {user.nosuch}: 'user' has no field "
                  "'nosuch' (its fields: city)");
  /* llm: the prompt is the argument; a fenced JSON reply is parsed. */
  g_assert_cmpstr(json_object_to_json_string_ext(json_object_object_get(outputs, "label"),
                                                 JSON_C_TO_STRING_PLAIN),
                  ==, "{\"label\":\"London\"}");
  /* llm: a reply that is not JSON fails the node, naming it and the alias. */
  g_assert_null(json_object_object_get(outputs, "broken"));
  inf_test_assert_contains(json_object_get_string(json_object_object_get(errors, "broken")),
                           "node 'broken': the reply from alias 'chatty' is not valid JSON "
                           "(response_format is \"json\")");
  inf_test_assert_contains(json_object_get_string(json_object_object_get(errors, "broken")),
                           "the reply begins \"Sure: Ada\"");
  /* llm: text replies as they are; a template's text feeds the prompt. */
  g_assert_cmpstr(json_object_get_string(json_object_object_get(outputs, "answer")), ==,
                  "Hi Ada, London! {ok} Ada");

  json_object_put(result);
  inf_test_rmdir(tmp);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/modules-run/template-and-llm", test_run);
  return g_test_run();
}
