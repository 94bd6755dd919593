/* Structured outputs end to end: `inf-engine run` (a subprocess) with an llm
 * node that has a json_schema, over HTTP against the loopback fake server
 * (serving in this test's main loop). What each client sends for the schema
 * (OpenAI response_format json_schema, Anthropic a forced tool, Ollama
 * format), local validation, repair (first reply invalid, second valid; both
 * invalid: the node fails with the JSON path), a server that refuses
 * json_schema, fields of the reply used downstream, and schema config errors
 * from `inf-engine validate`. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include <inf/json-schema.h>

#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

static const char schema_text[] =
    "{\"title\": \"ticket\", \"type\": \"object\", \"additionalProperties\": false,\n"
    " \"required\": [\"label\", \"confidence\"],\n"
    " \"properties\": {\"label\": {\"enum\": [\"billing\", \"technical\", \"account\"]},\n"
    "                \"confidence\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}}}\n";

typedef InfTestServerFixture Fixture;

typedef struct {
  int status;
  char *out;         /* stdout: the result lines */
  char *log;         /* stderr */
  json_object *line; /* the first result line */
} Run;

#define fixture_set_up inf_test_server_fixture_set_up
#define fixture_tear_down inf_test_server_fixture_tear_down

static void
run_clear(Run *r)
{
  g_free(r->out);
  g_free(r->log);
  json_object_put(r->line);
  memset(r, 0, sizeof *r);
}

static char *
write_file(Fixture *f, const char *name, const char *text)
{
  return inf_test_write(f->dir, name, text);
}

/* Writes config.json: node "classify" (llm, alias a on @provider at the
 * fake, json_schema @schema — JSON text: an inline schema or a quoted file
 * name — and @llm_extra members), "route" (a template using
 * $classify.label), outputs label and route. Also writes the schema file
 * ticket-schema.json next to it. */
static char *
write_config(Fixture *f, const char *provider, const char *schema, const char *llm_extra)
{
  g_autofree char *schema_file = write_file(f, "ticket-schema.json", schema_text);
  const char *suffix = g_str_equal(provider, "ollama") ? "" : "/v1";
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"a\": {\"provider\": \"%s\", \"model\": \"fake-model\", "
      "\"base_url\": \"%s%s\", \"api_key_env\": \"INF_TEST_STRUCTURED_KEY\", "
      "\"retry_delay\": 0.01}}},\n"
      " \"modules\": {\n"
      "  \"classify\": {\"type\": \"llm\", \"alias\": \"a\", \"system_prompt\": \"Classify.\", "
      "\"json_schema\": %s%s},\n"
      "  \"route\": {\"type\": \"template\", \"template\": \"route to {label} ({confidence})\"},\n"
      "  \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
      "    \"classify\": {\"module\": \"classify\", \"args\": [\"$text\"]},\n"
      "    \"route\": {\"module\": \"route\", \"args\": {\"label\": \"$classify.label\", "
      "\"confidence\": \"$classify.confidence\"}}},\n"
      "   \"outputs\": {\"label\": \"$classify.label\", \"route\": \"$route\"}}},\n"
      " \"main\": \"pipeline\"}\n",
      provider, inf_fake_llm_get_base_url(f->fake), suffix, schema, llm_extra);
  return write_file(f, "config.json", text);
}

/* Runs `inf-engine COMMAND CONFIG [--input INPUTS --quiet]` while the fake
 * serves here; one input {"text": "The invoice is wrong."}. */
static void
run_engine(Fixture *f, const char *command, const char *config, Run *r)
{
  memset(r, 0, sizeof *r);
  g_autofree char *inputs = write_file(f, "in.jsonl", "{\"text\": \"The invoice is wrong.\"}\n");
  g_auto(InfTestRun) run = { 0 };
  if (g_str_equal(command, "run"))
    inf_test_engine_run_va(&run, NULL, "run", config, "--input", inputs, "--quiet", NULL);
  else
    inf_test_engine_run_va(&run, NULL, command, config, NULL);
  r->status = run.status;
  r->out = g_steal_pointer(&run.out);
  r->log = g_steal_pointer(&run.err);
  if (g_str_equal(command, "run") && r->out != NULL && *r->out != '\0')
    r->line = json_tokener_parse(r->out);
}

/* Field @field of message @index. */
static const char *
message_field(json_object *messages, guint index, const char *field)
{
  return inf_test_json_get_string(json_object_array_get_idx(messages, index), field);
}

/* --- each provider's request, and the reply used downstream ------------- */

static void
test_providers(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(json_object) schema = json_tokener_parse(schema_text);
  const char *providers[] = { "openai", "anthropic", "ollama" };
  for (guint i = 0; i < G_N_ELEMENTS(providers); i++) {
    inf_fake_llm_reset_stats(f->fake);
    inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"billing\", \"confidence\": 0.75}");
    g_autofree char *config = write_config(f, providers[i], "\"ticket-schema.json\"", "");
    Run r;
    run_engine(f, "run", config, &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(inf_test_json_get_string(r.line, "outputs/label"), ==, "billing");
    g_assert_cmpstr(inf_test_json_get_string(r.line, "outputs/route"), ==,
                    "route to billing (0.75)");
    g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 1);

    json_object *body = inf_fake_llm_get_last_body(f->fake);
    if (g_str_equal(providers[i], "openai")) {
      g_assert_cmpstr(inf_test_json_get_string(body, "response_format/type"), ==, "json_schema");
      g_assert_cmpstr(inf_test_json_get_string(body, "response_format/json_schema/name"), ==,
                      "ticket");
      g_assert_true(
          json_object_get_boolean(inf_test_json_get(body, "response_format/json_schema/strict")));
      g_assert_true(
          json_object_equal(inf_test_json_get(body, "response_format/json_schema/schema"), schema));
    } else if (g_str_equal(providers[i], "anthropic")) {
      g_assert_cmpuint(json_object_array_length(inf_test_json_get(body, "tools")), ==, 1);
      g_assert_cmpstr(inf_test_json_get_string(body, "tools/0/name"), ==, "ticket");
      g_assert_true(json_object_equal(inf_test_json_get(body, "tools/0/input_schema"), schema));
      g_assert_cmpstr(inf_test_json_get_string(body, "tool_choice/type"), ==, "tool");
      g_assert_cmpstr(inf_test_json_get_string(body, "tool_choice/name"), ==, "ticket");
      /* The tool carries the format: no JSON instruction in the system prompt. */
      g_assert_cmpstr(inf_test_json_get_string(body, "system"), ==, "Classify.");
    } else {
      g_assert_true(json_object_equal(inf_test_json_get(body, "format"), schema));
    }
    run_clear(&r);
  }
}

/* Anthropic: a schema whose root is no object travels wrapped as "value". */
static void
test_anthropic_wrapped(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_fake_llm_push_reply_text(f->fake, "{\"value\": \"technical\"}");
  g_autofree char *simple = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"a\": {\"provider\": \"anthropic\", \"model\": \"m\", "
      "\"base_url\": \"%s/v1\", \"api_key_env\": \"INF_TEST_STRUCTURED_KEY\"}}}, "
      "\"modules\": {\"pipeline\": {\"type\": \"graph\", "
      "\"inputs\": [\"text\"], \"nodes\": {\"classify\": {\"module\": {\"type\": \"llm\", "
      "\"alias\": \"a\", \"json_schema\": {\"enum\": [\"billing\", \"technical\"]}}, "
      "\"args\": [\"$text\"]}}, \"outputs\": {\"label\": \"$classify\"}}}, \"main\": \"pipeline\"}",
      inf_fake_llm_get_base_url(f->fake));
  g_autofree char *path = write_file(f, "wrapped.json", simple);
  Run r;
  run_engine(f, "run", path, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpstr(inf_test_json_get_string(r.line, "outputs/label"), ==, "technical");
  json_object *body = inf_fake_llm_get_last_body(f->fake);
  g_assert_cmpstr(inf_test_json_get_string(body, "tools/0/input_schema/type"), ==, "object");
  g_assert_cmpstr(inf_test_json_get_string(body, "tools/0/input_schema/required/0"), ==, "value");
  g_assert_cmpstr(inf_test_json_get_string(body, "tools/0/input_schema/properties/value/enum/1"),
                  ==, "technical");
  run_clear(&r);
}

/* --- validation and repair ---------------------------------------------- */

static void
test_repair(Fixture *f, gconstpointer data)
{
  const char *provider = data;
  /* First reply breaks the enum, the second is valid. */
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"sales\", \"confidence\": 0.5}");
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"account\", \"confidence\": 0.5}");
  g_autofree char *config = write_config(f, provider, "\"ticket-schema.json\"", "");
  Run r;
  run_engine(f, "run", config, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpstr(inf_test_json_get_string(r.line, "outputs/label"), ==, "account");
  g_assert_cmpuint(inf_fake_llm_get_n_bodies(f->fake), ==, 2);
  /* The repair sends the conversation back with the problem (Anthropic's
   * system prompt travels outside the messages). */
  guint at = g_str_equal(provider, "anthropic") ? 0 : 1;
  json_object *messages = inf_test_json_get(inf_fake_llm_get_body(f->fake, 1), "messages");
  g_assert_cmpuint(json_object_array_length(messages), ==, at + 3);
  g_assert_cmpstr(message_field(messages, at, "content"), ==, "The invoice is wrong.");
  g_assert_cmpstr(message_field(messages, at + 1, "role"), ==, "assistant");
  inf_test_assert_contains(message_field(messages, at + 1, "content"), "\"sales\"");
  g_assert_cmpstr(message_field(messages, at + 2, "role"), ==, "user");
  const char *correction = message_field(messages, at + 2, "content");
  inf_test_assert_contains_all(correction, "does not match the required JSON schema",
                               "$.label: \"sales\" is not one of the allowed values");
  if (at == 1) /* the schema is still asked for */
    g_assert_cmpstr(
        inf_test_json_get_string(inf_fake_llm_get_body(f->fake, 1), "response_format/type"), ==,
        "json_schema");
  else
    g_assert_cmpstr(inf_test_json_get_string(inf_fake_llm_get_body(f->fake, 1), "tool_choice/name"),
                    ==, "ticket");
  run_clear(&r);

  /* Not JSON at all, then valid (a tool's input is always JSON). */
  if (at == 0)
    return;
  inf_fake_llm_reset_stats(f->fake);
  inf_fake_llm_push_reply_text(f->fake, "Sure! It is billing.");
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"billing\", \"confidence\": 1}");
  run_engine(f, "run", config, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpstr(inf_test_json_get_string(r.line, "outputs/label"), ==, "billing");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 2);
  messages = inf_test_json_get(inf_fake_llm_get_body(f->fake, 1), "messages");
  inf_test_assert_contains(message_field(messages, at + 2, "content"),
                           "Your reply is not valid JSON");
  run_clear(&r);
}

static void
test_repair_fails(Fixture *f, gconstpointer data)
{
  (void)data;
  /* Both replies invalid (default max_repairs 1): the node fails with the
   * path of the violation, and so does its dependent. */
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"billing\", \"confidence\": 3}");
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"billing\", \"confidence\": 2}");
  g_autofree char *config = write_config(f, "openai", "\"ticket-schema.json\"", "");
  Run r;
  run_engine(f, "run", config, &r);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 2);
  const char *error = inf_test_json_get_string(r.line, "errors/classify");
  inf_test_assert_contains_all(error, "does not match json_schema at $.confidence (after 1 repair)",
                               "2 is greater than the maximum 1");
  g_assert_nonnull(inf_test_json_get(r.line, "errors/route"));
  run_clear(&r);

  /* max_repairs 0: one call only. */
  inf_fake_llm_reset_stats(f->fake);
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"billing\"}");
  g_autofree char *strict =
      write_config(f, "openai", "\"ticket-schema.json\"", ", \"max_repairs\": 0");
  run_engine(f, "run", strict, &r);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 1);
  inf_test_assert_contains(
      inf_test_json_get_string(r.line, "errors/classify"),
      "at $ (after 0 repairs): $: the required property \"confidence\" is missing");
  run_clear(&r);
}

/* A reply cut off at max_tokens says so; it is not sent back for repair. */
static void
test_cut_off(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_fake_llm_push_reply_text(f->fake, "{\"label\": \"billing\", \"confidence\": 0.5}");
  g_autofree char *config =
      write_config(f, "openai", "\"ticket-schema.json\"", ", \"max_tokens\": 3");
  Run r;
  run_engine(f, "run", config, &r);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 1);
  const char *error = inf_test_json_get_string(r.line, "errors/classify");
  inf_test_assert_contains(error, "cut off at max_tokens");
  g_assert_null(strstr(error, "json_schema"));
  run_clear(&r);
}

/* An OpenAI-compatible server without structured outputs. */
static void
test_schema_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_fake_llm_set_reject_json_schema(f->fake, TRUE);
  g_autofree char *config = write_config(f, "openai", "\"ticket-schema.json\"", "");
  Run r;
  run_engine(f, "run", config, &r);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 1); /* a 400 is not retried */
  const char *error = inf_test_json_get_string(r.line, "errors/classify");
  inf_test_assert_contains_all(
      error, "HTTP 400", "the server refused the JSON schema (response_format \"json_schema\"",
      "'response_format' of type 'json_schema' is not supported");
  run_clear(&r);
}

/* --- the mock ----------------------------------------------------------- */

static const char mock_schema[] =
    "{\"type\": \"object\", \"required\": [\"label\", \"n\", \"items\", \"flag\", \"kind\"],"
    " \"$defs\": {\"item\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": "
    "\"string\", \"minLength\": 80, \"maxLength\": 90}, \"score\": {\"type\": \"number\", "
    "\"exclusiveMinimum\": 1, \"exclusiveMaximum\": 2}}, \"required\": [\"name\", \"score\"]}},"
    " \"properties\": {\"label\": {\"enum\": [\"billing\", \"technical\", \"account\"]},"
    "  \"n\": {\"type\": \"integer\", \"exclusiveMinimum\": 2, \"multipleOf\": 5},"
    "  \"neg\": {\"type\": \"number\", \"maximum\": -3},"
    "  \"items\": {\"type\": \"array\", \"minItems\": 2, \"maxItems\": 3, \"items\": {\"$ref\": "
    "\"#/$defs/item\"}},"
    "  \"flag\": {\"type\": \"boolean\"}, \"kind\": {\"const\": \"ticket\"},"
    "  \"either\": {\"anyOf\": [{\"type\": \"null\"}, {\"type\": \"string\"}]},"
    "  \"short\": {\"type\": \"string\", \"maxLength\": 4}}}";

/* The mock answers schema requests with a valid instance, the same every
 * run, with the enum value the prompt names. */
static void
test_mock(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"a\": {\"provider\": \"mock\", \"model\": \"m\"}}},"
      " \"modules\": {\"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\":"
      " {\"c\": {\"module\": {\"type\": \"llm\", \"alias\": \"a\", \"json_schema\": %s},"
      " \"args\": [\"$text\"]}}, \"outputs\": \"$c\"}}, \"main\": \"pipeline\"}",
      mock_schema);
  g_autofree char *config = write_file(f, "mock.json", text);
  g_autoptr(json_object) schema_json = json_tokener_parse(mock_schema);
  g_autoptr(GError) error = NULL;
  g_autoptr(InfJsonSchema) schema = inf_json_schema_new(schema_json, NULL, &error);
  g_assert_no_error(error);
  Run first, second;
  run_engine(f, "run", config, &first);
  run_engine(f, "run", config, &second);
  g_assert_cmpint(first.status, ==, 0);
  g_assert_true(json_object_equal(inf_test_json_get(first.line, "outputs"),
                                  inf_test_json_get(second.line, "outputs")));
  json_object *reply = inf_test_json_get(first.line, "outputs");
  g_assert_true(inf_json_schema_validate(schema, reply, NULL, &error));
  g_assert_no_error(error);
  /* "The invoice is wrong." names no label: the hash picks one. Another
   * prompt that names one gets it. */
  g_assert_nonnull(inf_test_json_get_string(reply, "label"));
  g_assert_cmpint(json_object_get_int(inf_test_json_get(reply, "n")), ==, 5);
  g_assert_cmpuint(json_object_array_length(inf_test_json_get(reply, "items")), ==, 2);
  g_assert_cmpstr(inf_test_json_get_string(reply, "kind"), ==, "ticket");
  run_clear(&first);
  run_clear(&second);

  g_autofree char *inputs =
      write_file(f, "in.jsonl", "{\"text\": \"A technical problem with billing\"}\n");
  g_autoptr(GSubprocess) process =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv("INF_ENGINE"), "run",
                       config, "--input", inputs, "--quiet", NULL);
  g_assert_no_error(error);
  g_autofree char *out = NULL;
  g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error));
  g_autoptr(json_object) line = json_tokener_parse(out);
  /* The first enum value (in schema order) the prompt contains. */
  g_assert_cmpstr(inf_test_json_get_string(line, "outputs/label"), ==, "billing");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 0);
}

/* --- config errors ------------------------------------------------------ */

static void
test_config_errors(Fixture *f, gconstpointer data)
{
  (void)data;
  const struct {
    const char *schema;
    const char *expected;
  } cases[] = {
    { "{\"properties\": {\"label\": {\"pattern\": \"([a-z\"}}}",
      "config.json: modules.classify.json_schema.properties.label.pattern: not a valid regular "
      "expression" },
    { "\"missing-schema.json\"",
      "config.json: modules.classify.json_schema: cannot read the schema file "
      "'missing-schema.json' (paths are relative to the config file)" },
    { "{\"$ref\": \"other.json#/definitions/x\"}",
      "modules.classify.json_schema.$ref: \"other.json#/definitions/x\": only references inside "
      "this schema are supported" },
    { "{\"type\": \"text\"}", "modules.classify.json_schema.type: unknown type \"text\"" },
    { "42", "modules.classify.json_schema: expected a JSON Schema object or the path of a file "
            "holding one, got int" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *config = write_config(f, "openai", cases[i].schema, "");
    Run r;
    run_engine(f, "validate", config, &r);
    g_assert_cmpint(r.status, ==, 2);
    inf_test_assert_contains(r.log, cases[i].expected);
    run_clear(&r);
  }
  /* A bad schema file names the file in the path. */
  g_autofree char *bad = write_file(f, "bad-schema.json", "{\"items\": {\"minItems\": -2}}");
  g_autofree char *config = write_config(f, "openai", "\"bad-schema.json\"", "");
  Run r;
  run_engine(f, "validate", config, &r);
  g_assert_cmpint(r.status, ==, 2);
  inf_test_assert_contains(
      r.log, "modules.classify.json_schema (bad-schema.json).items.minItems: expected "
             "a non-negative integer, got -2");
  run_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_setenv("INF_TEST_STRUCTURED_KEY", "sk-structured-test", TRUE); /* anthropic needs one */
#define ADD(path, fn, data) \
  g_test_add("/http/structured/" path, Fixture, data, fixture_set_up, fn, fixture_tear_down)
  ADD("providers", test_providers, NULL);
  ADD("anthropic-wrapped", test_anthropic_wrapped, NULL);
  ADD("repair", test_repair, "openai");
  ADD("repair-anthropic", test_repair, "anthropic");
  ADD("repair-fails", test_repair_fails, NULL);
  ADD("cut-off", test_cut_off, NULL);
  ADD("schema-refused", test_schema_refused, NULL);
  ADD("config-errors", test_config_errors, NULL);
  ADD("mock", test_mock, NULL);
#undef ADD
  return g_test_run();
}
