/* Backends as they really answer, end to end: `inf-engine run` (a
 * subprocess) with one llm node against the loopback fake server serving in
 * this test's main loop, for the OpenAI, Anthropic and Ollama formats.
 * Finish reasons, refusals and reasoning-only replies give the documented
 * node errors (or are kept with on_incomplete "accept"), usage is counted
 * even for replies that fail, and the metrics count finish reasons. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

#define KEY_ENV "INF_TEST_BACKENDS_KEY"
#define SECRET "sk-backends-SECRET-1a2b3c4d"

typedef InfTestServerFixture Fixture;

typedef struct {
  int status;
  char *log;
  char *metrics;
  GPtrArray *lines; /* json_object *, by input index */
} Run;

#define fixture_set_up inf_test_server_fixture_set_up
#define fixture_tear_down inf_test_server_fixture_tear_down

static void
run_clear(Run *r)
{
  g_free(r->log);
  g_free(r->metrics);
  if (r->lines != NULL)
    g_ptr_array_unref(r->lines);
  memset(r, 0, sizeof *r);
}

static char *
write_file(Fixture *f, const char *name, const char *text)
{
  return inf_test_write(f->dir, name, text);
}

/* A config with one llm node "answer" (its options: @llm_options, JSON
 * members) on alias "fast": @provider at the fake with @endpoint_extra. */
static char *
write_config(Fixture *f, const char *provider, const char *endpoint_extra, const char *llm_options)
{
  const char *suffix = g_str_equal(provider, "ollama") ? "" : "/v1";
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"%s\", \"model\": "
      "\"fake-model\", "
      "\"base_url\": \"%s%s\", \"api_key_env\": \"" KEY_ENV "\", \"retry_delay\": 0.01%s%s}}},\n"
      " \"modules\": {\"ask\": {\"type\": \"llm\", \"alias\": \"fast\", \"max_tokens\": 50%s%s},\n"
      "   \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"],\n"
      "     \"nodes\": {\"answer\": {\"module\": \"ask\", \"args\": [\"$text\"]}},\n"
      "     \"outputs\": {\"answer\": \"$answer\"}}},\n"
      " \"main\": \"pipeline\"}\n",
      provider, inf_fake_llm_get_base_url(f->fake), suffix, *endpoint_extra ? ", " : "",
      endpoint_extra, *llm_options ? ", " : "", llm_options);
  return write_file(f, "config.json", text);
}

static char *
write_inputs(Fixture *f, const char *const *texts, guint n)
{
  return inf_test_write_text_inputs(f->dir, "inputs.jsonl", texts, n);
}

/* Runs inf-engine; with @signal_after > 0, sends it SIGINT once the fake
 * has received that many LLM requests. */
static void
run_engine_signal(Fixture *f, const char *config, const char *inputs, guint signal_after, Run *r)
{
  memset(r, 0, sizeof *r);
  g_autofree char *output = g_build_filename(f->dir, "out.jsonl", NULL);
  g_autofree char *metrics = g_build_filename(f->dir, "metrics.json", NULL);
  g_remove(output);
  g_remove(metrics);
  const char *env[] = { KEY_ENV "=" SECRET, NULL };
  InfTestSpawn spawn = { .env = env };
  InfTestEngine *engine =
      inf_test_engine_start_va(&spawn, "run", config, "--input", inputs, "--output", output,
                               "--metrics-out", metrics, "--stats", "--ordered", NULL);
  if (signal_after > 0) {
    inf_test_fake_wait_requests(f->fake, signal_after, engine);
    inf_test_engine_send_signal(engine, SIGINT);
  }
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run);
  g_assert_cmpint(run.term_signal, ==, 0);
  r->status = run.status;
  r->log = g_steal_pointer(&run.err);
  g_autofree char *text = inf_test_read(output);
  r->metrics = inf_test_read(metrics);
  r->lines = inf_test_parse_lines(text);
}

static void
run_engine(Fixture *f, const char *config, const char *inputs, Run *r)
{
  run_engine_signal(f, config, inputs, 0, r);
}

/* The error of node "answer" on input @index, or NULL. */
static const char *
answer_error(Run *r, guint index)
{
  g_assert_cmpuint(index, <, r->lines->len);
  return inf_test_json_get_string(g_ptr_array_index(r->lines, index), "errors/answer");
}

/* The output "answer" of input @index, or NULL. */
static json_object *
answer_value(Run *r, guint index)
{
  g_assert_cmpuint(index, <, r->lines->len);
  return inf_test_json_get(g_ptr_array_index(r->lines, index), "outputs/answer");
}

/* The metrics of alias "fast" (a new reference). */
static json_object *
fast_metrics(Run *r)
{
  g_assert_nonnull(r->metrics);
  g_autoptr(json_object) root = json_tokener_parse(r->metrics);
  g_assert_nonnull(root);
  json_object *metrics = inf_test_json_get(root, "aliases/fast");
  g_assert_nonnull(metrics);
  return json_object_get(metrics);
}

/* The integer at @path of @o, or -1 when there is none. */
static gint64
member_int(json_object *o, const char *path)
{
  json_object *value = inf_test_json_get(o, path);
  return value != NULL ? json_object_get_int64(value) : -1;
}

static const char *const provider_names[] = { "openai", "anthropic", "ollama" };

/* Default on_incomplete "error": each reply that did not end normally fails
 * its node saying why; usage is counted for all of them. */
static void
test_incomplete_errors(Fixture *f, gconstpointer data)
{
  const char *provider = data;
  gboolean ollama = g_str_equal(provider, "ollama");
  gboolean anthropic = g_str_equal(provider, "anthropic");
  const char *cases[] = {
    "A normal question.",
    anthropic ? "Cut [[fake:finish=max_tokens]]" : "Cut [[fake:finish=length]]",
    "Think only [[fake:reasoning]]",
    ollama ? "Loaded [[fake:finish=load]]" : "Refuse [[fake:refusal]]",
    anthropic ? "Paused [[fake:finish=pause_turn]]" : "Filtered [[fake:finish=content_filter]]",
    "Think and answer [[fake:think]]",
  };
  g_autofree char *config = write_config(f, provider, "", "");
  g_autofree char *inputs = write_inputs(f, cases, G_N_ELEMENTS(cases));
  Run r;
  run_engine(f, config, inputs, &r);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(r.lines->len, ==, G_N_ELEMENTS(cases));

  g_assert_null(answer_error(&r, 0));
  g_assert_cmpstr(json_object_get_string(answer_value(&r, 0)), ==, "echo: A normal question.");
  inf_test_assert_contains_all(answer_error(&r, 1), "reply cut off at max_tokens (50)",
                               "finish reason \"length\"");
  inf_test_assert_contains_all(answer_error(&r, 2), "reply cut off at max_tokens (50)",
                               "no content, the model spent them reasoning");
  if (ollama) {
    inf_test_assert_contains(answer_error(&r, 3), "finish reason \"load\"");
    inf_test_assert_contains(answer_error(&r, 4), "finish reason \"content_filter\"");
  } else {
    inf_test_assert_contains_all(answer_error(&r, 3), "refused: fake: I can't help with that.",
                                 "finish reason \"refusal\"");
    if (anthropic)
      inf_test_assert_contains(answer_error(&r, 4), "finish reason \"pause\"");
  }
  if (!anthropic)
    inf_test_assert_contains(answer_error(&r, 4), "content filtered");
  /* Reasoning beside the content: the content alone. */
  g_assert_null(answer_error(&r, 5));
  g_assert_cmpstr(json_object_get_string(answer_value(&r, 5)), ==, "echo: Think and answer");

  /* Every reply's tokens are counted, failed nodes included; finish reasons
   * per reason. */
  g_autoptr(json_object) metrics = fast_metrics(&r);
  g_assert_cmpint(member_int(metrics, "successes"), ==, G_N_ELEMENTS(cases));
  g_assert_cmpint(member_int(metrics, "finish_reasons/stop"), ==, 2);
  g_assert_cmpint(member_int(metrics, "finish_reasons/length"), ==, 2);
  g_assert_cmpint(member_int(metrics, "tokens/output"), >=, 64 * 2);
  if (g_str_equal(provider, "openai"))
    g_assert_cmpint(member_int(metrics, "tokens/reasoning"), ==, 64 * 2);
  inf_test_assert_contains_all(r.log, "finish reasons: ", "length 2");
  run_clear(&r);
}

/* JSON mode on a cut-off reply: "cut off", not "invalid JSON". */
static void
test_json_cut_off(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *cases[] = { "Give me data [[fake:finish=length]]" };
  g_autofree char *config = write_config(f, "openai", "", "\"response_format\": \"json\"");
  g_autofree char *inputs = write_inputs(f, cases, 1);
  Run r;
  run_engine(f, config, inputs, &r);
  g_assert_cmpint(r.status, ==, 1);
  inf_test_assert_contains(answer_error(&r, 0), "cut off at max_tokens (50)");
  g_assert_null(strstr(answer_error(&r, 0), "invalid JSON"));
  g_assert_null(strstr(answer_error(&r, 0), "not valid JSON"));
  run_clear(&r);
}

/* on_incomplete "accept" with output "details": the text is kept, marked
 * with its finish reason; reasoning stays apart from the content. */
static void
test_accept_details(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *cases[] = {
    "Cut [[fake:finish=length]]",
    "Think and answer [[fake:think]]",
    "Refuse [[fake:refusal]]",
  };
  g_autofree char *config =
      write_config(f, "openai", "", "\"on_incomplete\": \"accept\", \"output\": \"details\"");
  g_autofree char *inputs = write_inputs(f, cases, G_N_ELEMENTS(cases));
  Run r;
  run_engine(f, config, inputs, &r);
  g_assert_cmpint(r.status, ==, 0);
  json_object *cut = answer_value(&r, 0);
  g_assert_cmpstr(inf_test_json_get_string(cut, "finish_reason"), ==, "length");
  g_assert_cmpstr(inf_test_json_get_string(cut, "content"), ==, "echo: Cut");
  json_object *think = answer_value(&r, 1);
  g_assert_cmpstr(inf_test_json_get_string(think, "content"), ==, "echo: Think and answer");
  g_assert_cmpstr(inf_test_json_get_string(think, "reasoning"), ==,
                  "fake: thinking it over step by step.");
  g_assert_cmpint(member_int(think, "usage/reasoning"), ==, 64);
  json_object *refusal = answer_value(&r, 2);
  g_assert_cmpstr(inf_test_json_get_string(refusal, "refusal"), ==,
                  "fake: I can't help with that.");
  g_assert_cmpstr(inf_test_json_get_string(refusal, "finish_reason"), ==, "refusal");
  run_clear(&r);
}

/* --- rate limits that never clear ------------------------------------- */

static const char *const two_inputs[] = { "first question", "second question" };

/* A server that answers 429 forever: each node fails after
 * max_rate_limit_wait, naming the server's message. */
static void
test_429_forever(Fixture *f, gconstpointer data)
{
  const char *provider = data;
  g_assert_true(inf_fake_llm_set_default_text(f->fake, "429", NULL));
  g_autofree char *config = write_config(f, provider, "\"max_rate_limit_wait\": 0.2", "");
  g_autofree char *inputs = write_inputs(f, two_inputs, 2);
  Run r;
  run_engine(f, config, inputs, &r);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(r.lines->len, ==, 2);
  for (guint i = 0; i < 2; i++) {
    inf_test_assert_contains_all(
        answer_error(&r, i),
        "alias 'fast': rate limited for 200ms (last: ", "fake: scripted status 429");
  }
  g_assert_cmpuint(inf_test_fake_requests(f->fake), >=, 4); /* each node tried more than once */
  json_object *metrics = fast_metrics(&r);
  g_assert_cmpint(member_int(metrics, "failures"), ==, 2); /* both calls failed for good */
  json_object_put(metrics);
  run_clear(&r);
}

/* "Retry-After: 100000" on a 429 or a 503 waits at most max_retry_after. */
static void
test_retry_after_capped(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *cases[] = {
    "Limited [[fake:429 retry-after=100000]]",
    "Unavailable [[fake:503 retry-after=100000]]",
  };
  g_autofree char *config = write_config(
      f, "openai", "\"max_retry_after\": 0.05, \"max_rate_limit_wait\": 0.2, \"max_retries\": 1",
      "");
  g_autofree char *inputs = write_inputs(f, cases, 2);
  Run r;
  run_engine(f, config, inputs, &r);
  g_assert_cmpint(r.status, ==, 1);
  inf_test_assert_contains(answer_error(&r, 0), "rate limited for 200ms");
  inf_test_assert_contains_all(answer_error(&r, 1), "scripted status 503", "(after 2 attempts)");
  run_clear(&r);
}

/* A 429 without Retry-After: the reset headers are the hint. */
static void
test_reset_headers(Fixture *f, gconstpointer data)
{
  (void)data;
  /* One 429 whose reset says 50 ms, then good replies. */
  g_assert_true(inf_fake_llm_push_script(
      f->fake, "429 header=x-ratelimit-remaining-requests:0 header=x-ratelimit-reset-requests:50ms",
      NULL));
  const char *cases[] = { "only question" };
  g_autofree char *config = write_config(f, "openai", "", "");
  g_autofree char *inputs = write_inputs(f, cases, 1);
  Run r;
  run_engine(f, config, inputs, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpstr(json_object_get_string(answer_value(&r, 0)), ==, "echo: only question");
  run_clear(&r);
}

/* The first SIGINT ends the waits that have not started a request: a node
 * requeued after "Retry-After: 100000" (uncapped here) and a call waiting to
 * retry a 503 fail as interrupted instead of parking the run. */
static void
test_signal_ends_waits(Fixture *f, gconstpointer data)
{
  const char *script = data;
  g_assert_true(inf_fake_llm_set_default_text(f->fake, script, NULL));
  g_autofree char *config =
      write_config(f, "openai",
                   "\"max_retry_after\": 3600, \"max_rate_limit_wait\": 7200, "
                   "\"max_retries\": 3, \"max_concurrent\": 1",
                   "");
  g_autofree char *inputs = write_inputs(f, two_inputs, 2);
  Run r;
  run_engine_signal(f, config, inputs, 1, &r);
  g_assert_cmpint(r.status, ==, 130);
  g_assert_cmpuint(r.lines->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_nonnull(answer_error(&r, i));
  inf_test_assert_contains(r.log, "interrupted");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), <=, 2);
  run_clear(&r);
}

/* --- streaming ----------------------------------------------------------- */

/* Runs @inputs through a config with @options on @provider twice: without
 * and with "stream": true (which the request says). outputs[i] gets run i's
 * "answer" outputs, a JSON line each (free them); tokens (may be NULL) the
 * input and output tokens of alias "fast". */
static void
run_unstreamed_and_streamed(Fixture *f, const char *provider, const char *inputs,
                            const char *options, char *outputs[2], gint64 tokens[2][2])
{
  for (guint streamed = 0; streamed < 2; streamed++) {
    g_autofree char *config =
        write_config(f, provider, streamed ? "\"stream\": true" : "\"stream\": false", options);
    Run r;
    run_engine(f, config, inputs, &r);
    g_assert_cmpint(r.status, ==, 0);
    GString *all = g_string_new(NULL);
    for (guint i = 0; i < r.lines->len; i++)
      g_string_append_printf(
          all, "%s\n", json_object_to_json_string_ext(answer_value(&r, i), JSON_C_TO_STRING_PLAIN));
    outputs[streamed] = g_string_free(all, FALSE);
    if (tokens != NULL) {
      g_autoptr(json_object) metrics = fast_metrics(&r);
      tokens[streamed][0] = member_int(metrics, "tokens/input");
      tokens[streamed][1] = member_int(metrics, "tokens/output");
    }
    g_assert_true(json_object_get_boolean(json_object_object_get(
                      inf_fake_llm_get_last_body(f->fake), "stream")) == (streamed != 0));
    run_clear(&r);
  }
  g_test_message("%s", outputs[1]);
  g_assert_cmpstr(outputs[1], ==, outputs[0]);
}

/* stream: true gives the same output lines and the same token counts. */
static void
test_stream_same(Fixture *f, gconstpointer data)
{
  const char *provider = data;
  const char *cases[] = {
    "A normal question.",         "Think and answer [[fake:think]]",
    "Cut [[fake:finish=length]]", "Think only [[fake:reasoning]]",
    "Long [[fake:big=400]]",
  };
  g_autofree char *inputs = write_inputs(f, cases, G_N_ELEMENTS(cases));
  char *outputs[2];
  gint64 tokens[2][2];
  run_unstreamed_and_streamed(f, provider, inputs,
                              "\"on_incomplete\": \"accept\", \"output\": \"details\"", outputs,
                              tokens);
  inf_test_assert_contains(outputs[1], "fake: thinking it over step by step.");
  g_assert_cmpint(tokens[1][0], ==, tokens[0][0]);
  g_assert_cmpint(tokens[1][1], ==, tokens[0][1]);
  g_assert_cmpint(tokens[1][1], >, 0);
  g_free(outputs[0]);
  g_free(outputs[1]);
}

/* Structured outputs streamed: the same checked value (Anthropic's forced
 * tool input arrives as input_json_delta pieces). */
static void
test_stream_schema(Fixture *f, gconstpointer data)
{
  const char *provider = data;
  const char *cases[] = { "Classify this", "And this one" };
  g_autofree char *inputs = write_inputs(f, cases, G_N_ELEMENTS(cases));
  char *outputs[2];
  run_unstreamed_and_streamed(f, provider, inputs,
                              "\"json_schema\": {\"type\": \"object\", \"properties\": {\"echo\": "
                              "{\"type\": \"string\"}}, \"required\": [\"echo\"]}",
                              outputs, NULL);
  inf_test_assert_contains(outputs[1], "{\"echo\":\"echo: Classify this\"}");
  g_free(outputs[0]);
  g_free(outputs[1]);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* The tests run for each provider: /http/backends/PROVIDER/NAME. */
  const struct {
    const char *name;
    void (*test)(Fixture *f, gconstpointer data);
  } per_provider[] = {
    { "incomplete", test_incomplete_errors },
    { "429-forever", test_429_forever },
    { "stream-same", test_stream_same },
    { "stream-schema", test_stream_schema },
  };
  for (guint t = 0; t < G_N_ELEMENTS(per_provider); t++)
    for (guint i = 0; i < G_N_ELEMENTS(provider_names); i++) {
      g_autofree char *path =
          g_strdup_printf("/http/backends/%s/%s", provider_names[i], per_provider[t].name);
      g_test_add(path, Fixture, provider_names[i], fixture_set_up, per_provider[t].test,
                 fixture_tear_down);
    }
  g_test_add("/http/backends/retry-after-capped", Fixture, NULL, fixture_set_up,
             test_retry_after_capped, fixture_tear_down);
  g_test_add("/http/backends/reset-headers", Fixture, NULL, fixture_set_up, test_reset_headers,
             fixture_tear_down);
  g_test_add("/http/backends/signal-ends-429-wait", Fixture, "429 retry-after=100000",
             fixture_set_up, test_signal_ends_waits, fixture_tear_down);
  g_test_add("/http/backends/signal-ends-retry-wait", Fixture, "503 retry-after=100000",
             fixture_set_up, test_signal_ends_waits, fixture_tear_down);
  g_test_add("/http/backends/json-cut-off", Fixture, NULL, fixture_set_up, test_json_cut_off,
             fixture_tear_down);
  g_test_add("/http/backends/accept-details", Fixture, NULL, fixture_set_up, test_accept_details,
             fixture_tear_down);
  return g_test_run();
}
