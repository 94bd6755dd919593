/* The response cache end to end: `inf-engine run` (a subprocess) over HTTP
 * against the loopback fake server, which counts the upstream calls, with
 * real SQLite cache files in a temp dir: hits and misses, zero cost of hits,
 * bypass (--no-cache, a module's "cache": false), the modes, single-flight,
 * distinct sample indexes for repeated draws, truncated replies, eviction,
 * and cache files that cannot be used (corrupt, locked): one warning, the
 * run goes on uncached. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "inf-test.h"

#define KEY_ENV "INF_TEST_CACHE_KEY"
#define SECRET "sk-cache-SECRET-0a1b2c3d4e5f"

typedef struct {
  InfTestServerFixture s; /* the fake server and the temp dir */
  char *cache;            /* the cache file */
} Fixture;

typedef struct {
  int status;
  char *log;
  GPtrArray *lines;     /* json_object * by index */
  json_object *metrics; /* the --metrics-out file */
  guint64 upstream;     /* requests the fake received during the run */
} Run;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  inf_test_server_fixture_set_up(&f->s, data);
  f->cache = g_build_filename(f->s.dir, "replies.db", NULL);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  inf_test_server_fixture_tear_down(&f->s, data);
  g_free(f->cache);
}

static void
run_clear(Run *r)
{
  g_free(r->log);
  if (r->lines)
    g_ptr_array_unref(r->lines);
  if (r->metrics)
    json_object_put(r->metrics);
  memset(r, 0, sizeof *r);
}

static char *
write_file(Fixture *f, const char *name, const char *text)
{
  return inf_test_write(f->s.dir, name, text);
}

/* A three-call chain (summary → keywords → report) on aliases fast and smart
 * at the fake, priced, with @cache_block ("" or `"cache": {...}`) in the
 * resources and @report_extra ("" or `, "cache": false` ...) in the report
 * module. */
static char *
write_config(Fixture *f, const char *cache_block, const char *report_extra)
{
  g_autofree char *endpoint = g_strdup_printf(
      "{\"provider\": \"openai\", \"model\": \"fake-model\", \"base_url\": \"%s/v1\", "
      "\"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": 4, \"retry_delay\": 0.01, "
      "\"input_cost_per_1m\": 1000, \"output_cost_per_1m\": 2000}",
      inf_fake_llm_get_base_url(f->s.fake));
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"fast\": %s, \"smart\": %s}%s%s},\n"
      " \"modules\": {\n"
      "  \"summarize\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
      "\"Summarize.\"},\n"
      "  \"keywords\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
      "\"Keywords.\"},\n"
      "  \"report\": {\"type\": \"llm\", \"alias\": \"smart\", \"system_prompt\": \"Report.\"%s},\n"
      "  \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
      "    \"summary\": {\"module\": \"summarize\", \"args\": [\"$text\"]},\n"
      "    \"keywords\": {\"module\": \"keywords\", \"args\": [\"$summary\"]},\n"
      "    \"report\": {\"module\": \"report\", \"args\": [\"$keywords\"]}},\n"
      "   \"outputs\": {\"summary\": \"$summary\", \"keywords\": \"$keywords\", \"report\": "
      "\"$report\"}}},\n"
      " \"main\": \"pipeline\"}\n",
      endpoint, endpoint, *cache_block ? ", " : "", cache_block, report_extra);
  return write_file(f, "pipeline.json", text);
}

static char *
write_inputs(Fixture *f, const char *name, guint n, guint first)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(out, "{\"text\": \"text number %u about the weather\"}\n", first + i);
  char *path = write_file(f, name, out->str);
  g_string_free(out, TRUE);
  return path;
}

/* Runs inf-engine on @config and @inputs with the extra arguments (NULL
 * terminated) while the fake serves here. */
static void
run_engine(Fixture *f, Run *r, const char *config, const char *inputs, ...)
{
  memset(r, 0, sizeof *r);
  g_autofree char *output = g_build_filename(f->s.dir, "out.jsonl", NULL);
  g_autofree char *metrics = g_build_filename(f->s.dir, "metrics.json", NULL);
  g_remove(output);
  g_remove(metrics);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *fixed[] = { "run",  config,          "--input", inputs,    "--output",
                          output, "--metrics-out", metrics,   "--stats", "--quiet" };
  for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
    g_ptr_array_add(argv, (char *)fixed[i]);
  va_list args;
  va_start(args, inputs);
  for (const char *arg = va_arg(args, const char *); arg; arg = va_arg(args, const char *))
    g_ptr_array_add(argv, (char *)arg);
  va_end(args);
  g_ptr_array_add(argv, NULL);

  InfFakeStats before, after;
  inf_fake_llm_get_stats(f->s.fake, &before);
  const char *env[] = { KEY_ENV "=" SECRET, NULL };
  InfTestSpawn spawn = { .env = env };
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run(&run, &spawn, (const char *const *)argv->pdata);
  r->status = run.status;
  r->log = g_steal_pointer(&run.err);
  inf_fake_llm_get_stats(f->s.fake, &after);
  r->upstream = after.requests - before.requests;

  g_autofree char *text = inf_test_read(output);
  r->lines = inf_test_parse_lines_by_index(text);
  g_autofree char *metrics_text = inf_test_read(metrics);
  if (metrics_text != NULL)
    r->metrics = json_tokener_parse(metrics_text);
  g_assert_null(strstr(r->log, SECRET));
}

/* The member at @path ("a.b.c") of @root; fails the test when there is none. */
static json_object *
path_get(json_object *root, const char *path)
{
  g_autofree char *slashed = g_strdelimit(g_strdup(path), ".", '/');
  json_object *o = inf_test_json_get(root, slashed);
  if (o == NULL)
    g_error("no %s in %s", path, json_object_to_json_string(root));
  return o;
}

static gint64
metric(Run *r, const char *path)
{
  return json_object_get_int64(path_get(r->metrics, path));
}

static double
metric_double(Run *r, const char *path)
{
  return json_object_get_double(path_get(r->metrics, path));
}

/* The outputs of every line as one text, for comparing runs. */
static char *
outputs_text(Run *r)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < r->lines->len; i++) {
    json_object *line = g_ptr_array_index(r->lines, i), *outputs;
    g_assert_nonnull(line);
    g_assert_true(json_object_object_get_ex(line, "outputs", &outputs));
    g_string_append_printf(out, "%u %s\n", i, json_object_to_json_string(outputs));
  }
  return g_string_free(out, FALSE);
}

static guint
count_warnings(const char *log)
{
  guint n = 0;
  for (const char *p = log; (p = strstr(p, "warning:")) != NULL; p++)
    n++;
  return n;
}

static void
assert_file_has_no(const char *path, const char *text)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
  g_assert_null(g_strstr_len(contents, (gssize)length, text));
}

static void
test_hit_miss(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_config(f, "", "");
  g_autofree char *inputs = write_inputs(f, "in.jsonl", 6, 0);
  Run cold, warm;
  run_engine(f, &cold, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(cold.status, ==, 0);
  g_assert_cmpuint(cold.upstream, ==, 18);
  g_assert_cmpint(metric(&cold, "cache.misses"), ==, 18);
  g_assert_cmpint(metric(&cold, "cache.hits"), ==, 0);
  g_assert_cmpint(metric(&cold, "cache.stored"), ==, 18);
  g_assert_cmpint(metric(&cold, "cache.entries"), ==, 18);
  double cost =
      metric_double(&cold, "aliases.fast.cost") + metric_double(&cold, "aliases.smart.cost");
  g_assert_cmpfloat(cost, >, 0);

  g_autofree char *trace = g_build_filename(f->s.dir, "trace.json", NULL);
  run_engine(f, &warm, config, inputs, "--cache", f->cache, "--trace-out", trace, NULL);
  g_assert_cmpint(warm.status, ==, 0);
  g_assert_cmpuint(warm.upstream, ==, 0);
  /* The trace marks every LLM node execution as a hit, at 0 tokens. */
  json_object *root = json_object_from_file(trace);
  g_assert_nonnull(root);
  json_object *events = path_get(root, "traceEvents");
  guint hits = 0;
  for (gsize i = 0; i < json_object_array_length(events); i++) {
    json_object *e = json_object_array_get_idx(events, i), *args, *hit;
    if (!json_object_object_get_ex(e, "args", &args) ||
        !json_object_object_get_ex(args, "cache_hit", &hit))
      continue;
    g_assert_true(json_object_get_boolean(hit));
    g_assert_cmpint(json_object_get_int64(path_get(args, "tokens_in")), ==, 0);
    hits++;
  }
  g_assert_cmpuint(hits, ==, 18);
  json_object_put(root);
  g_autofree char *a = outputs_text(&cold);
  g_autofree char *b = outputs_text(&warm);
  g_assert_cmpstr(a, ==, b);
  /* Hits cost nothing and are counted with what they saved. */
  g_assert_cmpint(metric(&warm, "cache.hits"), ==, 18);
  g_assert_cmpint(metric(&warm, "cache.misses"), ==, 0);
  g_assert_cmpint(metric(&warm, "aliases.fast.cache.hits"), ==, 12);
  g_assert_cmpint(metric(&warm, "aliases.smart.cache.hits"), ==, 6);
  for (const char *const *alias = (const char *const[]){ "fast", "smart", NULL }; *alias; alias++) {
    g_autofree char *requests = g_strdup_printf("aliases.%s.requests", *alias);
    g_autofree char *tokens_in = g_strdup_printf("aliases.%s.tokens.input", *alias);
    g_autofree char *tokens_out = g_strdup_printf("aliases.%s.tokens.output", *alias);
    g_autofree char *cost_path = g_strdup_printf("aliases.%s.cost", *alias);
    g_assert_cmpint(metric(&warm, requests), ==, 0);
    g_assert_cmpint(metric(&warm, tokens_in), ==, 0);
    g_assert_cmpint(metric(&warm, tokens_out), ==, 0);
    g_assert_cmpfloat(metric_double(&warm, cost_path), ==, 0);
  }
  g_assert_cmpfloat_with_epsilon(metric_double(&warm, "cache.saved_cost"), cost, 1e-9);
  g_assert_cmpint(metric(&warm, "cache.saved_tokens.input"), ==,
                  metric(&cold, "aliases.fast.tokens.input") +
                      metric(&cold, "aliases.smart.tokens.input"));
  inf_test_assert_contains(warm.log, "18 hits, 0 shared, 0 misses");
  /* Secrets never reach the cache. */
  assert_file_has_no(f->cache, SECRET);
  run_clear(&warm);

  /* Hits reserve and spend nothing of a budget: a limit far below one call
   * does not stop a warm run (it stops a cold one at once, status 3). */
  Run budget;
  run_engine(f, &budget, config, inputs, "--cache", f->cache, "--max-cost", "0.000001", NULL);
  g_assert_cmpint(budget.status, ==, 0);
  g_assert_cmpuint(budget.upstream, ==, 0);
  g_assert_cmpuint(budget.lines->len, ==, 6);
  g_assert_cmpfloat(metric_double(&budget, "budget.spent.cost"), ==, 0);
  g_assert_cmpint(metric(&budget, "budget.spent.requests"), ==, 0);
  run_clear(&budget);
  run_engine(f, &budget, config, inputs, "--max-cost", "0.000001", NULL);
  g_assert_cmpint(budget.status, ==, 3);
  run_clear(&budget);
  run_clear(&cold);
}

static void
test_bypass(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *block = g_strdup_printf("\"cache\": {\"path\": \"%s\"}", f->cache);
  g_autofree char *config = write_config(f, block, "");
  g_autofree char *inputs = write_inputs(f, "in.jsonl", 4, 0);
  Run r;
  run_engine(f, &r, config, inputs, NULL); /* the resources' cache block */
  g_assert_cmpuint(r.upstream, ==, 12);
  run_clear(&r);
  run_engine(f, &r, config, inputs, NULL);
  g_assert_cmpuint(r.upstream, ==, 0);
  run_clear(&r);
  /* --no-cache: every call goes out, and no cache is reported. */
  run_engine(f, &r, config, inputs, "--no-cache", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 12);
  g_assert_false(json_object_object_get_ex(r.metrics, "cache", NULL));
  run_clear(&r);
  /* A module with "cache": false always calls; the others hit. */
  g_autofree char *config2 = write_config(f, block, ", \"cache\": false");
  run_engine(f, &r, config2, inputs, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 4);
  g_assert_cmpint(metric(&r, "aliases.smart.requests"), ==, 4);
  g_assert_cmpint(metric(&r, "aliases.fast.cache.hits"), ==, 8);
  g_assert_false(json_object_object_get_ex(path_get(r.metrics, "aliases.smart"), "cache", NULL));
  run_clear(&r);
  /* Contradicting flags are a usage error. */
  run_engine(f, &r, config, inputs, "--no-cache", "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 2);
  inf_test_assert_contains(r.log, "--no-cache");
  run_clear(&r);
}

/* One llm node; every input the same text. */
static char *
write_single_config(Fixture *f, const char *name, guint copies, const char *extra)
{
  g_autofree char *endpoint = g_strdup_printf(
      "{\"provider\": \"openai\", \"model\": \"fake-model\", \"base_url\": \"%s/v1\", "
      "\"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": 2}",
      inf_fake_llm_get_base_url(f->s.fake));
  GString *nodes = g_string_new(NULL);
  GString *outputs = g_string_new(NULL);
  for (guint i = 0; i < copies; i++) {
    g_string_append_printf(nodes, "%s\"draw%u\": {\"module\": \"ask\", \"args\": [\"$text\"]}",
                           i ? ", " : "", i);
    g_string_append_printf(outputs, "%s\"draw%u\": \"$draw%u\"", i ? ", " : "", i, i);
  }
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"fast\": %s}},\n"
      " \"modules\": {\"ask\": {\"type\": \"llm\", \"alias\": \"fast\", \"temperature\": 1%s},\n"
      "  \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {%s},\n"
      "   \"outputs\": {%s}}},\n"
      " \"main\": \"pipeline\"}\n",
      endpoint, extra, nodes->str, outputs->str);
  g_string_free(nodes, TRUE);
  g_string_free(outputs, TRUE);
  return write_file(f, name, text);
}

static char *
write_same_inputs(Fixture *f, guint n)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append(out, "{\"text\": \"the same question\"}\n");
  char *path = write_file(f, "same.jsonl", out->str);
  g_string_free(out, TRUE);
  return path;
}

static void
test_modes(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "numbered", NULL));
  g_autofree char *config = write_single_config(f, "single.json", 1, "");
  g_autofree char *inputs = write_inputs(f, "in.jsonl", 3, 0);
  g_autofree char *fresh = write_inputs(f, "fresh.jsonl", 3, 100);
  Run r;
  /* read: a missing file is not created; one warning, run uncached. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "read", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 3);
  g_assert_cmpuint(count_warnings(r.log), ==, 1);
  g_assert_false(g_file_test(f->cache, G_FILE_TEST_EXISTS));
  run_clear(&r);

  /* write: always calls, stores. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "write", NULL);
  g_assert_cmpuint(r.upstream, ==, 3);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 3);
  g_autofree char *written = outputs_text(&r);
  run_clear(&r);
  /* write again: calls again, keeps what is stored. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "write", NULL);
  g_assert_cmpuint(r.upstream, ==, 3);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 0);
  g_autofree char *second = outputs_text(&r);
  g_assert_cmpstr(second, !=, written); /* numbered replies: fresh calls differ */
  run_clear(&r);

  /* read: hits what is stored, stores nothing new. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "read", NULL);
  g_assert_cmpuint(r.upstream, ==, 0);
  g_autofree char *read = outputs_text(&r);
  g_assert_cmpstr(read, ==, written);
  run_clear(&r);
  run_engine(f, &r, config, fresh, "--cache", f->cache, "--cache-mode", "read", NULL);
  g_assert_cmpuint(r.upstream, ==, 3);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 0);
  g_assert_cmpint(metric(&r, "cache.entries"), ==, 3);
  run_clear(&r);

  /* refresh: always calls, replaces; readwrite then answers with the new
   * replies. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "refresh", NULL);
  g_assert_cmpuint(r.upstream, ==, 3);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 3);
  g_autofree char *refreshed = outputs_text(&r);
  g_assert_cmpstr(refreshed, !=, written);
  run_clear(&r);
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpuint(r.upstream, ==, 0);
  g_autofree char *after = outputs_text(&r);
  g_assert_cmpstr(after, ==, refreshed);
  run_clear(&r);

  /* A bad mode names what is valid. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "sometimes", NULL);
  g_assert_cmpint(r.status, ==, 2);
  inf_test_assert_contains(r.log, "read, write, readwrite, refresh");
  run_clear(&r);
  g_autofree char *bad =
      write_config(f, "\"cache\": {\"path\": \"x.db\", \"mode\": \"often\"}", "");
  run_engine(f, &r, bad, inputs, NULL);
  g_assert_cmpint(r.status, ==, 2);
  inf_test_assert_contains(r.log, "resources.cache.mode");
  run_clear(&r);
}

static void
test_single_flight(Fixture *f, gconstpointer data)
{
  (void)data;
  /* Replies come late, so every input is dispatched before the first one
   * returns (all are fed in the first pump in any case). */
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "numbered delay=100", NULL));
  g_autofree char *config = write_single_config(f, "single.json", 1, "");
  g_autofree char *inputs = write_same_inputs(f, 20);
  Run r;
  /* Mode write never reads the file: only single-flight can share. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, "--cache-mode", "write", NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 1);
  g_assert_cmpint(metric(&r, "cache.misses"), ==, 1);
  g_assert_cmpint(metric(&r, "cache.shared"), ==, 19);
  g_assert_cmpint(metric(&r, "aliases.fast.requests"), ==, 1);
  g_assert_cmpuint(r.lines->len, ==, 20);
  g_autofree char *first =
      g_strdup(json_object_to_json_string(path_get(g_ptr_array_index(r.lines, 0), "outputs")));
  for (guint i = 1; i < 20; i++)
    g_assert_cmpstr(json_object_to_json_string(path_get(g_ptr_array_index(r.lines, i), "outputs")),
                    ==, first);
  run_clear(&r);

  /* A failure reaches every input that shared the call. */
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "400 delay=100", NULL));
  g_autofree char *inputs2 = write_same_inputs(f, 5);
  run_engine(f, &r, config, inputs2, "--cache", f->cache, "--cache-mode", "refresh", NULL);
  g_assert_cmpint(r.status, ==, 1);
  g_assert_cmpuint(r.upstream, ==, 1);
  for (guint i = 0; i < 5; i++) {
    json_object *line = g_ptr_array_index(r.lines, i), *errors;
    g_assert_true(json_object_object_get_ex(line, "errors", &errors));
    inf_test_assert_contains(json_object_get_string(path_get(errors, "draw0")), "400");
  }
  run_clear(&r);
}

static void
test_samples(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "numbered", NULL));
  /* Three nodes send the same request for each input: three draws. Two
   * inputs with the same text share them. */
  g_autofree char *config = write_single_config(f, "draws.json", 3, "");
  g_autofree char *inputs = write_same_inputs(f, 2);
  Run cold, warm;
  run_engine(f, &cold, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(cold.status, ==, 0);
  g_assert_cmpuint(cold.upstream, ==, 3);
  g_assert_cmpint(metric(&cold, "cache.entries"), ==, 3);
  json_object *outputs = path_get(g_ptr_array_index(cold.lines, 0), "outputs");
  const char *d0 = json_object_get_string(path_get(outputs, "draw0"));
  const char *d1 = json_object_get_string(path_get(outputs, "draw1"));
  const char *d2 = json_object_get_string(path_get(outputs, "draw2"));
  g_assert_cmpstr(d0, !=, d1);
  g_assert_cmpstr(d1, !=, d2);
  g_assert_cmpstr(d0, !=, d2);
  /* Each node gets its own draw back. */
  run_engine(f, &warm, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpuint(warm.upstream, ==, 0);
  g_autofree char *a = outputs_text(&cold);
  g_autofree char *b = outputs_text(&warm);
  g_assert_cmpstr(a, ==, b);
  run_clear(&cold);
  run_clear(&warm);
}

static void
test_truncated(Fixture *f, gconstpointer data)
{
  (void)data;
  /* The fake cuts replies at max_tokens (finish reason "length"). */
  g_autofree char *config =
      write_single_config(f, "short.json", 1, ", \"max_tokens\": 2, \"on_incomplete\": \"accept\"");
  g_autofree char *inputs = write_same_inputs(f, 1);
  Run r;
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 0);
  run_clear(&r);
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpuint(r.upstream, ==, 1);
  run_clear(&r);
  /* Asked for: stored. */
  g_autofree char *path = g_strdup(f->cache);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(config, &text, NULL, NULL));
  g_autofree char *block =
      g_strdup_printf("\"cache\": {\"path\": \"%s\", \"store_truncated\": true}, "
                      "\"endpoints\"",
                      path);
  g_autofree char *with = NULL;
  {
    g_auto(GStrv) parts = g_strsplit(text, "\"endpoints\"", 2);
    with = g_strjoinv(block, parts);
  }
  g_autofree char *config2 = write_file(f, "short-stored.json", with);
  run_engine(f, &r, config2, inputs, NULL);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 1);
  run_clear(&r);
  run_engine(f, &r, config2, inputs, NULL);
  g_assert_cmpuint(r.upstream, ==, 0);
  run_clear(&r);
}

/* A json_schema node whose first reply is invalid sends a repair request:
 * replies are stored while the node still runs, not the one it rejected for
 * good; a node answered by the cache can still make its repair call. */
static void
test_schema_repair(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config =
      write_single_config(f, "schema.json", 1,
                          ", \"json_schema\": {\"type\": \"object\", \"required\": [\"label\"], "
                          "\"properties\": {\"label\": {\"enum\": [\"a\", \"b\"]}}}");
  g_autofree char *inputs = write_same_inputs(f, 1);
  Run r;
  inf_fake_llm_push_reply_text(f->s.fake, "{\"label\": \"x\"}");
  inf_fake_llm_push_reply_text(f->s.fake, "{\"label\": \"y\"}");
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 1); /* invalid twice: the node fails */
  g_assert_cmpuint(r.upstream, ==, 2);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 1); /* the first reply, not the rejected one */
  run_clear(&r);

  /* The first call is a hit, its repair goes upstream. */
  inf_fake_llm_push_reply_text(f->s.fake, "{\"label\": \"a\"}");
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 1);
  g_assert_cmpint(metric(&r, "cache.hits"), ==, 1);
  g_assert_cmpint(metric(&r, "cache.misses"), ==, 1);
  g_assert_cmpint(metric(&r, "aliases.fast.requests"), ==, 1);
  g_assert_cmpstr(
      json_object_get_string(path_get(g_ptr_array_index(r.lines, 0), "outputs.draw0.label")), ==,
      "a");
  run_clear(&r);

  /* Both from the cache now. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 0);
  g_assert_cmpint(metric(&r, "cache.hits"), ==, 2);
  g_assert_cmpstr(
      json_object_get_string(path_get(g_ptr_array_index(r.lines, 0), "outputs.draw0.label")), ==,
      "a");
  run_clear(&r);
}

static void
test_eviction(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *block =
      g_strdup_printf("\"cache\": {\"path\": \"%s\", \"max_bytes\": 4096}", f->cache);
  g_autofree char *config = write_config(f, block, "");
  g_autofree char *inputs = write_inputs(f, "in.jsonl", 20, 0);
  Run r;
  run_engine(f, &r, config, inputs, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpint(metric(&r, "cache.stored"), ==, 60);
  g_assert_cmpint(metric(&r, "cache.evicted"), >, 0);
  g_assert_cmpint(metric(&r, "cache.bytes"), <=, 4096);
  g_assert_cmpint(metric(&r, "cache.entries"), ==, 60 - metric(&r, "cache.evicted"));
  run_clear(&r);
}

static void
test_unusable(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_config(f, "", "");
  g_autofree char *inputs = write_inputs(f, "in.jsonl", 4, 0);
  Run r;
  /* Corrupt: one warning, every call made, the file left alone. */
  g_autofree char *junk = g_strnfill(4096, '#');
  g_assert_true(g_file_set_contents(f->cache, junk, -1, NULL));
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 12);
  g_assert_cmpuint(r.lines->len, ==, 4);
  g_assert_cmpuint(count_warnings(r.log), ==, 1);
  inf_test_assert_contains_all(r.log, "not a database", "without the cache");
  g_autofree char *after = NULL;
  g_assert_true(g_file_get_contents(f->cache, &after, NULL, NULL));
  g_assert_cmpstr(after, ==, junk);
  run_clear(&r);
  g_remove(f->cache);

  /* Locked by another process: the same. */
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  run_clear(&r);
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open(f->cache, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  run_engine(f, &r, config, inputs, "--cache", f->cache, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.upstream, ==, 12);
  g_assert_cmpuint(count_warnings(r.log), ==, 1);
  inf_test_assert_contains(r.log, "locked");
  run_clear(&r);
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_assert_nonnull(g_getenv("INF_ENGINE"));
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD("/cache-http/hit-miss", test_hit_miss);
  ADD("/cache-http/bypass", test_bypass);
  ADD("/cache-http/modes", test_modes);
  ADD("/cache-http/single-flight", test_single_flight);
  ADD("/cache-http/samples", test_samples);
  ADD("/cache-http/truncated", test_truncated);
  ADD("/cache-http/schema-repair", test_schema_repair);
  ADD("/cache-http/eviction", test_eviction);
  ADD("/cache-http/unusable", test_unusable);
  return g_test_run();
}
