/* `inf-engine run` end to end: the real program on real files. */
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <signal.h>
#include <string.h>

#include <gio/gio.h>

#include "inf-test.h"

static char *tmpdir;

static char *
write_file(const char *name, const char *contents)
{
  return inf_test_write(tmpdir, name, contents);
}

/* A diamond-with-report pipeline like the quickstart, on the mock. */
static char *
write_config_full(const char *name, const char *fast_extra, const char *summarize_alias)
{
  g_autofree char *text = g_strdup_printf(
      "{\n"
      "  \"resources\": {\"endpoints\": {\n"
      "    \"fast\": {\"provider\": \"mock\", \"max_concurrent\": 8 %s},\n"
      "    \"flaky\": {\"provider\": \"mock\", \"fail_pattern\": \"POISON\"},\n"
      "    \"smart\": {\"provider\": \"mock\"}}},\n"
      "  \"modules\": {\n"
      "    \"summarize\": {\"type\": \"llm\", \"alias\": \"%s\"},\n"
      "    \"keywords\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
      "    \"sentiment\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
      "    \"notes\": {\"type\": \"template\", \"template\": \"{summary} | {keywords} | "
      "{sentiment}\"},\n"
      "    \"report\": {\"type\": \"llm\", \"alias\": \"smart\"},\n"
      "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
      "      \"summary\": {\"module\": \"summarize\", \"args\": [\"$text\"]},\n"
      "      \"keywords\": {\"module\": \"keywords\", \"args\": [\"$summary\"]},\n"
      "      \"sentiment\": {\"module\": \"sentiment\", \"args\": [\"$text\"]},\n"
      "      \"notes\": {\"module\": \"notes\", \"args\": {\"summary\": \"$summary\", "
      "\"keywords\": \"$keywords\", \"sentiment\": \"$sentiment\"}},\n"
      "      \"report\": {\"module\": \"report\", \"args\": [\"$notes\"]}},\n"
      "      \"outputs\": {\"summary\": \"$summary\", \"report\": \"$report\", \"sentiment\": "
      "\"$sentiment\"}}},\n"
      "  \"main\": \"pipeline\"\n"
      "}\n",
      fast_extra ? fast_extra : "", summarize_alias);
  return write_file(name, text);
}

static char *
write_config(const char *name, const char *fast_extra)
{
  return write_config_full(name, fast_extra, "fast");
}

typedef InfTestRun Result;
#define result_clear inf_test_run_clear

static void
run_engine(Result *r, const char *stdin_text, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, "run");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, (char *)args[i]);
  g_ptr_array_add(argv, NULL);
  InfTestSpawn spawn = { .stdin_text = stdin_text };
  inf_test_engine_run(r, &spawn, (const char *const *)argv->pdata);
  r->lines = inf_test_parse_lines(r->out);
}

static json_object *
get(json_object *obj, const char *key)
{
  json_object *v = NULL;
  json_object_object_get_ex(obj, key, &v);
  return v;
}

static json_object *
line_for_index(Result *r, gint64 index)
{
  for (guint i = 0; i < r->lines->len; i++) {
    json_object *line = g_ptr_array_index(r->lines, i);
    if (json_object_get_int64(get(line, "index")) == index)
      return line;
  }
  g_assert_not_reached();
}

static char *
make_inputs(guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "{\"text\": \"input number %u\"}\n", i);
  return g_string_free(s, FALSE);
}

static void
test_quickstart_style(void)
{
  g_autofree char *config = write_config("pipeline.json", NULL);
  g_autofree char *inputs_text = make_inputs(50);
  g_autofree char *inputs = write_file("inputs.jsonl", inputs_text);
  g_autofree char *output = g_build_filename(tmpdir, "out.jsonl", NULL);
  g_autofree char *metrics = g_build_filename(tmpdir, "metrics.json", NULL);
  Result r = { 0 };
  run_engine(&r, NULL,
             (const char *const[]){ config, "--input", inputs, "--output", output, "--metrics-out",
                                    metrics, "--stats", NULL });
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.lines->len, ==, 0); /* results went to the file */
  g_assert_nonnull(strstr(r.err, "finished: 50 inputs (0 failed)"));
  g_assert_nonnull(strstr(r.err, "alias")); /* --stats table */
  result_clear(&r);

  g_autofree char *out_text = NULL;
  g_assert_true(g_file_get_contents(output, &out_text, NULL, NULL));
  r.out = g_steal_pointer(&out_text);
  r.err = NULL;
  r.lines = inf_test_parse_lines(r.out);
  g_assert_cmpuint(r.lines->len, ==, 50);
  gboolean seen[50] = { FALSE };
  for (guint i = 0; i < 50; i++) {
    json_object *line = g_ptr_array_index(r.lines, i);
    gint64 index = json_object_get_int64(get(line, "index"));
    g_assert_cmpint(index, >=, 0);
    g_assert_cmpint(index, <, 50);
    seen[index] = TRUE;
    g_assert_null(get(line, "errors"));
    g_assert_nonnull(get(line, "duration_ms"));
    json_object *outputs = get(line, "outputs");
    g_assert_cmpint(json_object_object_length(outputs), ==, 3);
    g_autofree char *needle = g_strdup_printf("input number %" G_GINT64_FORMAT, index);
    g_assert_nonnull(strstr(json_object_get_string(get(outputs, "sentiment")), needle));
    g_assert_true(g_str_has_prefix(json_object_get_string(get(outputs, "report")), "mock-"));
  }
  for (guint i = 0; i < 50; i++)
    g_assert_true(seen[i]);
  result_clear(&r);

  g_autofree char *metrics_text = NULL;
  g_assert_true(g_file_get_contents(metrics, &metrics_text, NULL, NULL));
  json_object *m = json_tokener_parse(metrics_text);
  json_object *fast = get(get(m, "aliases"), "fast");
  json_object *smart = get(get(m, "aliases"), "smart");
  g_assert_cmpint(json_object_get_int64(get(fast, "successes")), ==, 150);
  g_assert_cmpint(json_object_get_int64(get(smart, "successes")), ==, 50);
  g_assert_cmpint(json_object_get_int64(get(get(m, "run"), "node_executions")), ==, 250);
  g_assert_cmpint(json_object_get_int64(get(get(fast, "tokens"), "output")), >, 0);
  json_object_put(m);
}

static void
test_ordered(void)
{
  /* Random latency makes completion order differ from input order. */
  g_autofree char *config = write_config("jitter.json", ", \"latency_ms\": 5, \"jitter_ms\": 5");
  g_autofree char *inputs_text = make_inputs(40);
  g_autofree char *inputs = write_file("inputs-ordered.jsonl", inputs_text);
  Result r = { 0 };
  run_engine(&r, NULL,
             (const char *const[]){ config, "--input", inputs, "--ordered", "--quiet", NULL });
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpstr(r.err, ==, "");
  g_assert_cmpuint(r.lines->len, ==, 40);
  for (guint i = 0; i < 40; i++)
    g_assert_cmpint(json_object_get_int64(get(g_ptr_array_index(r.lines, i), "index")), ==, i);
  result_clear(&r);
}

static void
test_bad_lines_and_stdin(void)
{
  g_autofree char *config = write_config("bad.json", NULL);
  const char *input = "{\"text\": \"fine 0\"}\n"
                      "{\"text\": \n"        /* 1: invalid JSON */
                      "{\"other\": \"x\"}\n" /* 2: missing input */
                      "\n"                   /* blank lines are skipped */
                      "[1, 2]\n"             /* 3: not an object */
                      "\"a bare string\"\n"  /* 4: a one-input graph takes a bare string */
                      "{\"text\": \"fine 5\"}\n";
  Result r = { 0 };
  run_engine(&r, input, (const char *const[]){ config, "--quiet", "--ordered", NULL });
  g_assert_cmpint(r.status, ==, 1); /* some input failed */
  g_assert_cmpuint(r.lines->len, ==, 6);
  g_assert_null(get(line_for_index(&r, 0), "errors"));
  const char *e1 = json_object_get_string(get(get(line_for_index(&r, 1), "errors"), "input"));
  g_assert_nonnull(strstr(e1, "stdin:2: invalid JSON"));
  const char *e2 = json_object_get_string(get(get(line_for_index(&r, 2), "errors"), "input"));
  g_assert_nonnull(strstr(e2, "stdin:3: missing input 'text'"));
  const char *e3 = json_object_get_string(get(get(line_for_index(&r, 3), "errors"), "input"));
  g_assert_nonnull(strstr(e3, "stdin:5: expected a JSON object"));
  g_assert_null(get(line_for_index(&r, 4), "errors"));
  g_assert_nonnull(
      strstr(json_object_get_string(get(get(line_for_index(&r, 4), "outputs"), "sentiment")),
             "a bare string"));
  g_assert_null(get(line_for_index(&r, 5), "errors"));
  result_clear(&r);
}

static void
test_failing_node(void)
{
  /* The summarizer fails on inputs containing "POISON": keywords, notes and
   * report are cancelled; sentiment (a sibling) completes. */
  g_autofree char *config = write_config_full("failing.json", NULL, "flaky");
  const char *input = "{\"text\": \"ok\"}\n{\"text\": \"POISON pill\"}\n";
  Result r = { 0 };
  run_engine(&r, input, (const char *const[]){ config, "--quiet", NULL });
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(r.lines->len, ==, 2);
  g_assert_null(get(line_for_index(&r, 0), "errors"));
  json_object *bad = line_for_index(&r, 1);
  json_object *errors = get(bad, "errors");
  g_assert_cmpint(json_object_object_length(errors), ==, 4);
  g_assert_nonnull(strstr(json_object_get_string(get(errors, "summary")), "fail_pattern"));
  for (const char *const *id = (const char *const[]){ "keywords", "notes", "report", NULL }; *id;
       id++)
    g_assert_nonnull(
        strstr(json_object_get_string(get(errors, *id)), "upstream node 'summary' failed"));
  json_object *outputs = get(bad, "outputs");
  g_assert_true(json_object_is_type(get(outputs, "summary"), json_type_null));
  g_assert_nonnull(strstr(json_object_get_string(get(outputs, "sentiment")), "POISON pill"));
  result_clear(&r);
}

static void
test_429_requeue_completes(void)
{
  g_autofree char *config =
      write_config("429.json", ", \"rate_limit_rate\": 0.4, \"retry_after_ms\": 2");
  g_autofree char *inputs_text = make_inputs(30);
  g_autofree char *metrics = g_build_filename(tmpdir, "metrics-429.json", NULL);
  Result r = { 0 };
  run_engine(&r, inputs_text,
             (const char *const[]){ config, "--quiet", "--metrics-out", metrics, NULL });
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.lines->len, ==, 30);
  for (guint i = 0; i < 30; i++)
    g_assert_null(get(g_ptr_array_index(r.lines, i), "errors"));
  result_clear(&r);
  g_autofree char *metrics_text = NULL;
  g_assert_true(g_file_get_contents(metrics, &metrics_text, NULL, NULL));
  json_object *m = json_tokener_parse(metrics_text);
  json_object *fast = get(get(m, "aliases"), "fast");
  g_assert_cmpint(json_object_get_int64(get(fast, "rate_limited")), >, 0);
  g_assert_cmpint(json_object_get_int64(get(fast, "successes")), ==, 90);
  g_assert_cmpint(json_object_get_int64(get(fast, "failures")), ==, 0);
  g_assert_cmpint(json_object_get_int64(get(get(m, "run"), "requeued")), ==,
                  json_object_get_int64(get(fast, "rate_limited")));
  json_object_put(m);
}

static void
test_usage_errors(void)
{
  Result r = { 0 };
  run_engine(&r, NULL, (const char *const[]){ NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "expected exactly one CONFIG"));
  result_clear(&r);
  g_autofree char *config = write_config("u.json", NULL);
  run_engine(&r, NULL, (const char *const[]){ config, "--input", "/nonexistent/in.jsonl", NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "cannot open input /nonexistent/in.jsonl"));
  result_clear(&r);
}

static void
test_missing_api_key(void)
{
  /* A missing key is an error at start naming the alias and the variable,
   * before any input is read. */
  const char *text = "{\"resources\": {\"endpoints\": {\"cloud\": {\"provider\": \"anthropic\", "
                     "\"model\": \"m\", \"api_key_env\": \"INF_TEST_UNSET_KEY_VARIABLE\"}}},\n"
                     " \"modules\": {\"ask\": {\"type\": \"llm\", \"alias\": \"cloud\"}},\n"
                     " \"main\": \"ask\"}\n";
  g_autofree char *config = write_file("key.json", text);
  g_unsetenv("INF_TEST_UNSET_KEY_VARIABLE");
  Result r = { 0 };
  run_engine(&r, "\"hello\"\n", (const char *const[]){ config, NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "INF_TEST_UNSET_KEY_VARIABLE"));
  g_assert_nonnull(strstr(r.err, "'cloud'"));
  g_assert_cmpuint(r.lines->len, ==, 0);
  result_clear(&r);
}

static void
test_example_configs(void)
{
  /* Every example config runs offline over the quickstart inputs with no
   * failed input. */
  const char *source_root = g_getenv("INF_SOURCE_ROOT");
  g_assert_nonnull(source_root);
  g_autofree char *configs = g_build_filename(source_root, "configs", NULL);
  g_autofree char *inputs = g_build_filename(configs, "quickstart.jsonl", NULL);
  g_autoptr(GDir) dir = g_dir_open(configs, 0, NULL);
  g_assert_nonnull(dir);
  guint ran = 0;
  const char *name;
  while ((name = g_dir_read_name(dir))) {
    if (!g_str_has_suffix(name, ".json"))
      continue;
    g_autofree char *config = g_build_filename(configs, name, NULL);
    Result r = { 0 };
    run_engine(&r, NULL, (const char *const[]){ config, "--input", inputs, "--quiet", NULL });
    if (r.status != 0)
      g_printerr("%s: %s\n", name, r.err);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpuint(r.lines->len, ==, 8);
    for (guint i = 0; i < r.lines->len; i++) {
      json_object *line = g_ptr_array_index(r.lines, i);
      g_assert_null(get(line, "errors"));
      g_assert_false(json_object_is_type(get(line, "outputs"), json_type_null));
    }
    result_clear(&r);
    ran++;
  }
  g_assert_cmpuint(ran, >=, 5);
}

static void
test_streaming_stdin(void)
{
  /* A slow producer: the result of the first line must come out while the
   * engine still waits for the second (reads from a pipe never block the
   * calls in flight). */
  g_autofree char *config = write_config("stream.json", ", \"latency_ms\": 5");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                       g_getenv("INF_ENGINE"), "run", config, "--quiet", NULL);
  g_assert_no_error(error);
  GOutputStream *in = g_subprocess_get_stdin_pipe(proc);
  g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
  const char *first = "{\"text\": \"first line\"}\n";
  g_assert_true(g_output_stream_write_all(in, first, strlen(first), NULL, NULL, &error));
  g_assert_true(g_output_stream_flush(in, NULL, &error));
  g_autofree char *line1 = g_data_input_stream_read_line(out, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(line1);
  g_assert_nonnull(strstr(line1, "\"index\":0"));
  g_assert_nonnull(strstr(line1, "first line"));
  const char *second = "{\"text\": \"second line\"}\n";
  g_assert_true(g_output_stream_write_all(in, second, strlen(second), NULL, NULL, &error));
  g_assert_true(g_output_stream_close(in, NULL, &error));
  g_autofree char *line2 = g_data_input_stream_read_line(out, NULL, NULL, &error);
  g_assert_nonnull(line2);
  g_assert_nonnull(strstr(line2, "second line"));
  g_assert_true(g_subprocess_wait(proc, NULL, &error));
  g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
}

/* One llm module on an openai endpoint at @fake. */
static char *
write_fake_config(const char *name, InfFakeLlm *fake)
{
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"cloud\": {\"provider\": \"openai\", \"model\": "
      "\"m\", \"base_url\": \"%s/v1\", \"max_concurrent\": 8, \"max_retries\": 0}}},\n"
      " \"modules\": {\"ask\": {\"type\": \"llm\", \"alias\": \"cloud\"}},\n"
      " \"main\": \"ask\"}\n",
      inf_fake_llm_get_base_url(fake));
  return write_file(name, text);
}

/* Starts a run of 100 inputs, three at a time, whose calls the fake holds;
 * returns once it holds three (the run is under way, nothing written). */
static InfTestEngine *
start_held_run(InfFakeLlm *fake, const char *name)
{
  g_assert_true(inf_fake_llm_set_default_text(fake, "hold", NULL));
  g_autofree char *config_name = g_strconcat(name, ".json", NULL);
  g_autofree char *inputs_name = g_strconcat(name, ".jsonl", NULL);
  g_autofree char *config = write_fake_config(config_name, fake);
  GString *inputs_text = g_string_new(NULL);
  for (guint i = 0; i < 100; i++)
    g_string_append_printf(inputs_text, "\"input number %u\"\n", i);
  g_autofree char *inputs = write_file(inputs_name, inputs_text->str);
  g_string_free(inputs_text, TRUE);
  InfTestEngine *engine =
      inf_test_engine_start_va(NULL, "run", config, "--input", inputs, "--max-inflight", "3", NULL);
  inf_test_fake_wait_held(fake, 3, engine);
  g_assert_cmpstr(inf_test_engine_get_out(engine), ==, "");
  return engine;
}

static guint64
fake_requests(InfFakeLlm *fake)
{
  InfFakeStats stats;
  inf_fake_llm_get_stats(fake, &stats);
  return stats.requests;
}

/* The first SIGINT stops taking inputs and lets the three in flight finish:
 * their calls are held at the fake when the signal comes and answered only
 * after the engine said it waits for them; all three are written, no other
 * input starts, and the run exits 130 with a summary. */
static void
test_interrupt(void)
{
  InfFakeLlm *fake = inf_test_fake_start();
  InfTestEngine *engine = start_held_run(fake, "interrupt");
  inf_test_engine_send_signal(engine, SIGINT);
  inf_test_engine_wait_err(engine, "interrupted: no new inputs; finishing the 3 in flight");
  g_assert_cmpuint(inf_fake_llm_release(fake, 0), ==, 3);
  Result r = { 0 };
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run);
  g_assert_cmpint(run.status, ==, 130);
  inf_test_assert_contains(run.err, "interrupted: 3 inputs (0 failed)");
  r.lines = inf_test_parse_lines(run.out);
  g_assert_cmpuint(r.lines->len, ==, 3);
  for (guint i = 0; i < r.lines->len; i++) {
    json_object *line = g_ptr_array_index(r.lines, i);
    g_assert_null(get(line, "errors")); /* finished, not cancelled */
    g_autofree char *expected = g_strdup_printf("echo: input number %" G_GINT64_FORMAT,
                                                json_object_get_int64(get(line, "index")));
    g_assert_cmpstr(json_object_get_string(get(line, "outputs")), ==, expected);
  }
  g_assert_cmpuint(fake_requests(fake), ==, 3);
  result_clear(&r);
  inf_test_fake_stop(fake);
}

/* The second signal cancels what is in flight now: of three held calls,
 * one is answered after the first SIGINT and written as a result; after
 * the second, the other two are written as cancelled without an answer,
 * and the run exits 130 at once. */
static void
test_interrupt_twice(void)
{
  InfFakeLlm *fake = inf_test_fake_start();
  InfTestEngine *engine = start_held_run(fake, "interrupt-twice");
  inf_test_engine_send_signal(engine, SIGINT);
  inf_test_engine_wait_err(engine, "interrupted: no new inputs; finishing the 3 in flight "
                                   "(signal again to cancel them)");
  g_assert_cmpuint(inf_fake_llm_release(fake, 1), ==, 1);
  inf_test_engine_wait_out(engine, "\n"); /* its result is written */
  inf_test_engine_send_signal(engine, SIGINT);
  Result r = { 0 };
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run);
  g_assert_cmpint(run.status, ==, 130);
  inf_test_assert_contains(run.err, "interrupted again: cancelling what is in flight");
  inf_test_assert_contains(run.err, "interrupted: 3 inputs (2 failed)");
  r.lines = inf_test_parse_lines(run.out);
  g_assert_cmpuint(r.lines->len, ==, 3);
  /* The answered one first, then the two cancelled ones. */
  json_object *done = g_ptr_array_index(r.lines, 0);
  g_assert_null(get(done, "errors"));
  g_autofree char *expected = g_strdup_printf("echo: input number %" G_GINT64_FORMAT,
                                              json_object_get_int64(get(done, "index")));
  g_assert_cmpstr(json_object_get_string(get(done, "outputs")), ==, expected);
  for (guint i = 1; i < 3; i++) {
    json_object *line = g_ptr_array_index(r.lines, i);
    g_assert_cmpint(json_object_get_int64(get(line, "index")), !=,
                    json_object_get_int64(get(done, "index")));
    g_assert_cmpstr(json_object_get_string(get(get(line, "errors"), "ask")), ==,
                    "cancelled: the run was interrupted");
  }
  /* Cancelled, not answered: the fake still holds both calls. */
  g_assert_cmpuint(inf_fake_llm_get_n_held(fake), ==, 2);
  g_assert_cmpuint(fake_requests(fake), ==, 3);
  result_clear(&r);
  inf_test_fake_stop(fake);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_assert_nonnull(g_getenv("INF_ENGINE"));
  g_test_add_func("/run/quickstart-style", test_quickstart_style);
  g_test_add_func("/run/ordered", test_ordered);
  g_test_add_func("/run/bad-lines-and-stdin", test_bad_lines_and_stdin);
  g_test_add_func("/run/failing-node", test_failing_node);
  g_test_add_func("/run/429-requeue-completes", test_429_requeue_completes);
  g_test_add_func("/run/usage-errors", test_usage_errors);
  g_test_add_func("/run/interrupt", test_interrupt);
  g_test_add_func("/run/interrupt-twice", test_interrupt_twice);
  g_test_add_func("/run/missing-api-key", test_missing_api_key);
  g_test_add_func("/run/example-configs", test_example_configs);
  g_test_add_func("/run/streaming-stdin", test_streaming_stdin);
  return inf_test_run_in_tmpdir("inf-run", &tmpdir);
}
