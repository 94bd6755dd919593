/* `inf-engine run --trace-out`: the real program, on the mock and over HTTP
 * against the loopback fake server (which serves in this test's main loop).
 * The trace is parsed with json-c and checked: valid JSON, one complete
 * event per node execution with its args, process and thread names, no two
 * complete events overlapping on one (pid, tid), counters, 429 and retry
 * instants, sampling, no secret, and a properly closed file after signals. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "inf-test.h"

#define KEY_ENV "INF_TEST_TRACE_KEY"
#define SECRET "sk-trace-SECRET-0a1b2c3d4e5f"

static char *tmpdir;

static const char *const node_ids[] = { "summary", "keywords", "sentiment", "notes", "report" };

static char *
write_file(const char *name, const char *contents)
{
  return inf_test_write(tmpdir, name, contents);
}

/* The quickstart-like diamond: four LLM nodes on aliases fast and smart,
 * one template. @fast and @smart are the endpoints as JSON. */
static char *
write_pipeline(const char *name, const char *fast, const char *smart)
{
  g_autofree char *text =
      g_strdup_printf("{\"resources\": {\"endpoints\": {\"fast\": %s, \"smart\": %s}},\n"
                      " \"modules\": {\n"
                      "  \"fast\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
                      "  \"smart\": {\"type\": \"llm\", \"alias\": \"smart\"},\n"
                      "  \"join\": {\"type\": \"template\", \"template\": \"{0} | {1} | {2}\"},\n"
                      "  \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
                      "    \"summary\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"
                      "    \"keywords\": {\"module\": \"fast\", \"args\": [\"$summary\"]},\n"
                      "    \"sentiment\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"
                      "    \"notes\": {\"module\": \"join\",\n"
                      "      \"args\": [\"$summary\", \"$keywords\", \"$sentiment\"]},\n"
                      "    \"report\": {\"module\": \"smart\", \"args\": [\"$notes\"]}},\n"
                      "   \"outputs\": {\"report\": \"$report\"}}},\n"
                      " \"main\": \"pipeline\"}\n",
                      fast, smart);
  return write_file(name, text);
}

static char *
make_inputs(guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "{\"text\": \"input number %u\"}\n", i);
  return g_string_free(s, FALSE);
}

/* --- running --- */

typedef InfTestRun Result;
#define result_clear inf_test_run_clear

static GSubprocess *
spawn(GSubprocessFlags flags, const char *const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(flags);
  g_subprocess_launcher_setenv(launcher, KEY_ENV, SECRET, TRUE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)g_getenv("INF_ENGINE"));
  g_ptr_array_add(argv, "run");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, (char *)args[i]);
  g_ptr_array_add(argv, NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *proc =
      g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error(error);
  return proc;
}

/* Runs inf-engine to the end while this thread's main loop (the fake
 * server, when there is one) keeps running. */
static void
run_engine(Result *r, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, "run");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, (char *)args[i]);
  g_ptr_array_add(argv, NULL);
  const char *env[] = { KEY_ENV "=" SECRET, NULL };
  InfTestSpawn spawn = { .env = env };
  inf_test_engine_run(r, &spawn, (const char *const *)argv->pdata);
}

/* --- the trace --- */

typedef struct {
  json_object *root;
  json_object *events; /* borrowed */
  char *text;
} Trace;

static json_object *
get(json_object *obj, const char *key)
{
  json_object *v = NULL;
  json_object_object_get_ex(obj, key, &v);
  return v;
}

static const char *
get_str(json_object *obj, const char *key)
{
  json_object *v = get(obj, key);
  return v ? json_object_get_string(v) : NULL;
}

static gboolean
is(json_object *e, const char *ph)
{
  return g_strcmp0(get_str(e, "ph"), ph) == 0;
}

/* Parses @path: one JSON object, nothing after it. */
static void
trace_load(Trace *t, const char *path)
{
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &t->text, &len, NULL));
  json_tokener *tok = json_tokener_new();
  t->root = json_tokener_parse_ex(tok, t->text, (int)len);
  g_assert_cmpint(json_tokener_get_error(tok), ==, json_tokener_success);
  for (gsize i = json_tokener_get_parse_end(tok); i < len; i++)
    g_assert_true(g_ascii_isspace(t->text[i]));
  json_tokener_free(tok);
  g_assert_true(json_object_is_type(t->root, json_type_object));
  g_assert_cmpstr(get_str(t->root, "displayTimeUnit"), ==, "ms");
  g_assert_true(g_str_has_prefix(get_str(get(t->root, "otherData"), "engine"), "inf-engine "));
  t->events = get(t->root, "traceEvents");
  g_assert_true(json_object_is_type(t->events, json_type_array));
}

static void
trace_clear(Trace *t)
{
  json_object_put(t->root);
  g_free(t->text);
  memset(t, 0, sizeof *t);
}

static guint
n_events(Trace *t)
{
  return (guint)json_object_array_length(t->events);
}

static json_object *
event(Trace *t, guint i)
{
  return json_object_array_get_idx(t->events, i);
}

static gint64
ns(json_object *e, const char *key)
{
  return llround(json_object_get_double(get(e, key)) * 1000.0);
}

/* The pid of the process named @name (0 when none). */
static gint
pid_named(Trace *t, const char *name)
{
  for (guint i = 0; i < n_events(t); i++) {
    json_object *e = event(t, i);
    if (is(e, "M") && g_str_equal(get_str(e, "name"), "process_name") &&
        g_str_equal(get_str(get(e, "args"), "name"), name))
      return json_object_get_int(get(e, "pid"));
  }
  return 0;
}

static guint
count(Trace *t, const char *ph, const char *name)
{
  guint n = 0;
  for (guint i = 0; i < n_events(t); i++)
    if (is(event(t, i), ph) && (!name || g_str_equal(get_str(event(t, i), "name"), name)))
      n++;
  return n;
}

/* The last value of counter @name (series @key) on @pid; NAN when none. */
static double
last_counter(Trace *t, gint pid, const char *name, const char *key)
{
  double value = NAN;
  gint64 when = -1;
  for (guint i = 0; i < n_events(t); i++) {
    json_object *e = event(t, i);
    if (is(e, "C") && json_object_get_int(get(e, "pid")) == pid &&
        g_str_equal(get_str(e, "name"), name) && ns(e, "ts") >= when) {
      when = ns(e, "ts");
      value = json_object_get_double(get(get(e, "args"), key));
    }
  }
  return value;
}

static gint
compare_start(gconstpointer a, gconstpointer b)
{
  gint64 x = ns(*(json_object **)a, "ts"), y = ns(*(json_object **)b, "ts");
  return x < y ? -1 : x > y;
}

/* Every X and thread-scoped instant is on a named process and a named
 * thread; no two X events overlap on one (pid, tid). */
static void
check_tracks(Trace *t)
{
  g_autoptr(GHashTable) processes = g_hash_table_new(g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) threads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) spans =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  for (guint i = 0; i < n_events(t); i++) {
    json_object *e = event(t, i);
    g_assert_nonnull(get(e, "pid"));
    g_assert_nonnull(get_str(e, "name"));
    char *key = g_strdup_printf("%d/%d", json_object_get_int(get(e, "pid")),
                                json_object_get_int(get(e, "tid")));
    if (is(e, "M") && g_str_equal(get_str(e, "name"), "process_name"))
      g_hash_table_add(processes, GINT_TO_POINTER(json_object_get_int(get(e, "pid"))));
    if (is(e, "M") && g_str_equal(get_str(e, "name"), "thread_name")) {
      g_assert_true(g_hash_table_add(threads, g_strdup(key)));
    }
    if (is(e, "X")) {
      GPtrArray *list = g_hash_table_lookup(spans, key);
      if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(spans, g_strdup(key), list);
      }
      g_ptr_array_add(list, e);
      g_assert_cmpint(ns(e, "dur"), >=, 0);
    }
    g_free(key);
  }
  for (guint i = 0; i < n_events(t); i++) {
    json_object *e = event(t, i);
    if (!is(e, "X") && !(is(e, "i") && g_strcmp0(get_str(e, "s"), "t") == 0) && !is(e, "C"))
      continue;
    gint pid = json_object_get_int(get(e, "pid"));
    g_assert_true(g_hash_table_contains(processes, GINT_TO_POINTER(pid)));
    if (is(e, "C"))
      continue;
    g_autofree char *key = g_strdup_printf("%d/%d", json_object_get_int(get(e, "pid")),
                                           json_object_get_int(get(e, "tid")));
    g_assert_true(g_hash_table_contains(threads, key));
  }
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, spans);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    GPtrArray *list = value;
    g_ptr_array_sort(list, compare_start);
    for (guint i = 1; i < list->len; i++) {
      json_object *prev = g_ptr_array_index(list, i - 1), *next = g_ptr_array_index(list, i);
      g_assert_cmpint(ns(next, "ts"), >=, ns(prev, "ts") + ns(prev, "dur"));
    }
  }
}

/* Every node of every input in @inputs (NULL: all @n) ran and ended ok
 * exactly once, after attempts 1..k-1 that were rate-limited; none of the
 * other inputs appears. Returns the number of X events. */
static guint
check_node_spans(Trace *t, guint n, guint sample_every)
{
  gint local = pid_named(t, "local nodes");
  g_assert_cmpint(local, >, 1);
  g_autoptr(GHashTable) attempts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  guint spans = 0;
  for (guint i = 0; i < n_events(t); i++) {
    json_object *e = event(t, i);
    if (!is(e, "X"))
      continue;
    spans++;
    json_object *args = get(e, "args");
    gint64 input = json_object_get_int64(get(args, "input"));
    g_assert_cmpint(input, >=, 0);
    g_assert_cmpint(input, <, n);
    g_assert_cmpint(input % sample_every, ==, 0);
    const char *status = get_str(args, "status");
    gint attempt = json_object_get_int(get(args, "attempt"));
    g_assert_cmpint(attempt, >=, 1);
    g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT "/%s", input, get_str(e, "name"));
    /* attempts of one node form 1, 2, ... with one bit per attempt */
    guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(attempts, key));
    g_assert_cmpint(attempt, <=, 30);
    g_assert_false(seen & (1u << attempt));
    if (g_str_equal(status, "ok"))
      seen |= 1u; /* bit 0: ended ok */
    else
      g_assert_cmpstr(status, ==, "rate_limited");
    g_hash_table_insert(attempts, g_strdup(key), GUINT_TO_POINTER(seen | (1u << attempt)));
    if (g_str_equal(get_str(e, "cat"), "llm")) {
      g_assert_cmpint(json_object_get_int(get(e, "pid")), !=, local);
      g_assert_false(json_object_get_boolean(get(args, "cache_hit")));
      g_assert_nonnull(get(args, "tokens_in"));
      g_assert_nonnull(get(args, "tokens_out"));
      g_assert_nonnull(get(args, "cost"));
      g_assert_nonnull(get(args, "retries"));
      if (g_str_equal(status, "ok")) {
        g_assert_cmpint(json_object_get_int64(get(args, "tokens_in")), >, 0);
        g_assert_cmpint(json_object_get_int64(get(args, "tokens_out")), >, 0);
        g_assert_cmpstr(get_str(args, "finish_reason"), ==, "stop");
      }
    } else {
      g_assert_cmpstr(get_str(e, "cat"), ==, "template");
      g_assert_cmpstr(get_str(e, "name"), ==, "notes");
      g_assert_cmpint(json_object_get_int(get(e, "pid")), ==, local);
      g_assert_null(get(args, "cache_hit"));
    }
  }
  for (guint input = 0; input < n; input += sample_every)
    for (guint j = 0; j < G_N_ELEMENTS(node_ids); j++) {
      g_autofree char *key = g_strdup_printf("%u/%s", input, node_ids[j]);
      guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(attempts, key));
      g_assert_true(seen & 1u);
      /* attempts 1..k, no gaps */
      guint bits = seen >> 1;
      g_assert_cmpuint(bits & (bits + 1), ==, 0);
    }
  g_assert_cmpuint(g_hash_table_size(attempts), ==, ((n + sample_every - 1) / sample_every) * 5);
  return spans;
}

static json_object *
load_json_file(const char *path)
{
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  json_object *json = json_tokener_parse(text);
  g_assert_nonnull(json);
  return json;
}

static gint64
metric(json_object *metrics, const char *alias, const char *name)
{
  json_object *m =
      alias ? get(get(get(metrics, "aliases"), alias), name) : get(get(metrics, "run"), name);
  g_assert_nonnull(m);
  return json_object_get_int64(m);
}

static double
sum_arg(Trace *t, const char *ph, const char *key)
{
  double sum = 0;
  for (guint i = 0; i < n_events(t); i++)
    if (is(event(t, i), ph) && get(get(event(t, i), "args"), key))
      sum += json_object_get_double(get(get(event(t, i), "args"), key));
  return sum;
}

/* --- tests --- */

static void
test_mock(void)
{
  /* 429s and transient errors injected at random by the mock: whatever
   * happens, the trace must agree with the metrics. */
  g_autofree char *config = write_pipeline(
      "mock.json",
      "{\"provider\": \"mock\", \"max_concurrent\": 4, \"rate_limit_rate\": 0.3, "
      "\"retry_after_ms\": 1, \"error_rate\": 0.2, \"max_retries\": 8, \"retry_delay\": 0.001, "
      "\"input_cost_per_1m\": 1000, \"output_cost_per_1m\": 2000}",
      "{\"provider\": \"mock\", \"model\": \"big\", \"input_cost_per_1m\": 500}");
  g_autofree char *inputs_text = make_inputs(40);
  g_autofree char *inputs = write_file("mock-inputs.jsonl", inputs_text);
  g_autofree char *trace_path = g_build_filename(tmpdir, "mock-trace.json", NULL);
  g_autofree char *metrics_path = g_build_filename(tmpdir, "mock-metrics.json", NULL);
  g_autofree char *output = g_build_filename(tmpdir, "mock-out.jsonl", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--output", output, "--quiet",
                                        "--trace-out", trace_path, "--metrics-out", metrics_path,
                                        NULL });
  g_assert_cmpint(r.status, ==, 0);
  result_clear(&r);

  Trace t = { 0 };
  trace_load(&t, trace_path);
  json_object *m = load_json_file(metrics_path);
  g_assert_cmpint(pid_named(&t, "run"), ==, 1);
  gint fast = pid_named(&t, "fast (mock)");
  gint smart = pid_named(&t, "smart (big)");
  g_assert_cmpint(fast, >, 1);
  g_assert_cmpint(smart, >, 1);
  check_tracks(&t);
  guint spans = check_node_spans(&t, 40, 1);
  /* One X per node execution, the rate-limited ones included. */
  g_assert_cmpuint(spans, ==, metric(m, NULL, "node_executions") + metric(m, NULL, "requeued"));
  g_assert_cmpuint(spans, ==, 200 + metric(m, "fast", "rate_limited"));
  /* One instant per 429 and per retry, on the node's track. */
  g_assert_cmpint(metric(m, "fast", "rate_limited"), >, 0);
  g_assert_cmpint(metric(m, "fast", "retries"), >, 0);
  g_assert_cmpuint(count(&t, "i", "429"), ==, metric(m, "fast", "rate_limited"));
  g_assert_cmpuint(count(&t, "i", "retry"), ==, metric(m, "fast", "retries"));
  g_assert_cmpfloat(sum_arg(&t, "X", "retries"), ==, (double)metric(m, "fast", "retries"));
  for (guint i = 0; i < n_events(&t); i++) {
    json_object *e = event(&t, i);
    if (is(e, "i") &&
        (g_str_equal(get_str(e, "name"), "429") || g_str_equal(get_str(e, "name"), "retry"))) {
      g_assert_cmpint(json_object_get_int(get(e, "pid")), ==, fast);
      g_assert_cmpstr(get_str(e, "s"), ==, "t");
      g_assert_nonnull(get_str(get(e, "args"), "node"));
      g_assert_nonnull(get(get(e, "args"), "input"));
    }
  }
  /* Cost: the spans add up to the metrics, and so does the spend counter. */
  double cost = json_object_get_double(get(get(get(m, "aliases"), "fast"), "cost")) +
                json_object_get_double(get(get(get(m, "aliases"), "smart"), "cost"));
  g_assert_cmpfloat(cost, >, 0);
  g_assert_cmpfloat_with_epsilon(sum_arg(&t, "X", "cost"), cost, cost * 1e-6);
  g_assert_cmpfloat_with_epsilon(last_counter(&t, 1, "spend", "usd"), cost, cost * 1e-6);
  /* Counters, and their final values. */
  g_assert_cmpfloat(last_counter(&t, 1, "inputs", "in_flight"), ==, 0);
  g_assert_cmpfloat(last_counter(&t, 1, "nodes", "running"), ==, 0);
  g_assert_cmpfloat(last_counter(&t, fast, "in_flight", "calls"), ==, 0);
  g_assert_cmpfloat(last_counter(&t, smart, "in_flight", "calls"), ==, 0);
  /* The limiter of fast backed off after a 429: its rate became finite. */
  g_assert_cmpfloat(last_counter(&t, fast, "rate_limit", "req_per_s"), >, 0);
  g_assert_false(isnan(last_counter(&t, smart, "rate_limit", "req_per_s")));
  json_object_put(m);
  trace_clear(&t);
}

static void
test_sampling(void)
{
  g_autofree char *config =
      write_pipeline("sample.json", "{\"provider\": \"mock\"}", "{\"provider\": \"mock\"}");
  g_autofree char *inputs_text = make_inputs(30);
  g_autofree char *inputs = write_file("sample-inputs.jsonl", inputs_text);
  g_autofree char *trace_path = g_build_filename(tmpdir, "sample-trace.json", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--quiet", "--trace-out",
                                        trace_path, "--trace-sample", "4", NULL });
  g_assert_cmpint(r.status, ==, 0);
  g_auto(GStrv) out_lines = g_strsplit(r.out, "\n", -1);
  g_assert_cmpuint(g_strv_length(out_lines), ==, 31); /* every input ran */
  result_clear(&r);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  g_assert_cmpint(json_object_get_int(get(get(t.root, "otherData"), "trace_sample")), ==, 4);
  check_tracks(&t);
  /* inputs 0, 4, ..., 28: 8 inputs, 5 nodes each */
  g_assert_cmpuint(check_node_spans(&t, 30, 4), ==, 40);
  g_assert_cmpuint(count(&t, "C", "inputs"), >=, 1);
  g_assert_cmpuint(count(&t, "C", "in_flight"), >=, 2);
  trace_clear(&t);
}

static void
test_budget(void)
{
  /* A budget that runs out: warnings become instants on the run's track,
   * the refused calls end "refused", the spend counter ends at what the
   * budget charged, and the trace is closed after the stop (status 3). */
  g_autofree char *config =
      write_pipeline("budget.json",
                     "{\"provider\": \"mock\", \"max_concurrent\": 2, \"input_cost_per_1m\": 1000, "
                     "\"output_cost_per_1m\": 1000}",
                     "{\"provider\": \"mock\", \"input_cost_per_1m\": 1000}");
  g_autofree char *inputs_text = make_inputs(40);
  g_autofree char *inputs = write_file("budget-inputs.jsonl", inputs_text);
  g_autofree char *resources = write_file(
      "budget-resources.json",
      "{\"budget\": {\"max_cost\": 0.6, \"warn_at\": [0.25, 0.5], \"default_max_tokens\": 20},\n"
      " \"endpoints\": {\"fast\": {\"provider\": \"mock\", \"max_concurrent\": 2, "
      "\"input_cost_per_1m\": 1000, \"output_cost_per_1m\": 1000},\n"
      "  \"smart\": {\"provider\": \"mock\", \"input_cost_per_1m\": 1000}}}\n");
  g_autofree char *trace_path = g_build_filename(tmpdir, "budget-trace.json", NULL);
  g_autofree char *metrics_path = g_build_filename(tmpdir, "budget-metrics.json", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--resources", resources,
                                        "--trace-out", trace_path, "--metrics-out", metrics_path,
                                        NULL });
  g_assert_cmpint(r.status, ==, 3);
  guint warnings = 0;
  for (const char *p = r.err; (p = strstr(p, "budget warning: ")); p++)
    warnings++;
  g_assert_cmpuint(warnings, ==, 2);
  result_clear(&r);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  check_tracks(&t);
  g_assert_cmpuint(count(&t, "i", "budget warning"), ==, 2);
  for (guint i = 0; i < n_events(&t); i++) {
    json_object *e = event(&t, i);
    if (is(e, "i") && g_str_equal(get_str(e, "name"), "budget warning")) {
      g_assert_cmpint(json_object_get_int(get(e, "pid")), ==, 1);
      g_assert_cmpstr(get_str(get(e, "args"), "limit"), ==, "max_cost");
      g_assert_cmpstr(get_str(get(e, "args"), "scope"), ==, "global");
      double fraction = json_object_get_double(get(get(e, "args"), "fraction"));
      g_assert_true(fraction == 0.25 || fraction == 0.5);
    }
  }
  guint refused = 0;
  for (guint i = 0; i < n_events(&t); i++)
    if (is(event(&t, i), "X") &&
        g_str_equal(get_str(get(event(&t, i), "args"), "status"), "refused"))
      refused++;
  g_assert_cmpuint(refused, >=, 1);
  json_object *m = load_json_file(metrics_path);
  double spent = json_object_get_double(get(get(get(m, "budget"), "spent"), "cost"));
  g_assert_cmpfloat(spent, >, 0.3);
  g_assert_cmpfloat_with_epsilon(last_counter(&t, 1, "spend", "usd"), spent, 1e-9);
  json_object_put(m);
  trace_clear(&t);
}

static void
test_checkpoint(void)
{
  /* Every checkpoint commit is a marker on the run's track, numbered, with
   * the output offset it made durable; the last is the whole output. */
  g_autofree char *config =
      write_pipeline("ckpt.json", "{\"provider\": \"mock\"}", "{\"provider\": \"mock\"}");
  g_autofree char *inputs_text = make_inputs(60);
  g_autofree char *inputs = write_file("ckpt-inputs.jsonl", inputs_text);
  g_autofree char *journal = g_build_filename(tmpdir, "ckpt.db", NULL);
  g_autofree char *output = g_build_filename(tmpdir, "ckpt-out.jsonl", NULL);
  g_autofree char *trace_path = g_build_filename(tmpdir, "ckpt-trace.json", NULL);
  g_autofree char *metrics_path = g_build_filename(tmpdir, "ckpt-metrics.json", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--output", output, "--quiet",
                                        "--checkpoint", journal, "--trace-out", trace_path,
                                        "--metrics-out", metrics_path, NULL });
  g_assert_cmpint(r.status, ==, 0);
  result_clear(&r);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  check_tracks(&t);
  g_assert_cmpuint(check_node_spans(&t, 60, 1), ==, 300);
  json_object *m = load_json_file(metrics_path);
  gint64 commits = json_object_get_int64(get(get(get(m, "run"), "checkpoint"), "commits"));
  g_assert_cmpint(commits, >=, 1);
  g_assert_cmpuint(count(&t, "i", "checkpoint commit"), ==, commits);
  gint64 next = 1, last_offset = -1;
  for (guint i = 0; i < n_events(&t); i++) {
    json_object *e = event(&t, i);
    if (!is(e, "i") || !g_str_equal(get_str(e, "name"), "checkpoint commit"))
      continue;
    g_assert_cmpint(json_object_get_int(get(e, "pid")), ==, 1);
    g_assert_cmpstr(get_str(e, "s"), ==, "p");
    g_assert_cmpint(json_object_get_int64(get(get(e, "args"), "commit")), ==, next++);
    gint64 offset = json_object_get_int64(get(get(e, "args"), "output_bytes"));
    g_assert_cmpint(offset, >=, last_offset);
    last_offset = offset;
  }
  GStatBuf st;
  g_assert_cmpint(g_stat(output, &st), ==, 0);
  g_assert_cmpint(last_offset, ==, st.st_size);
  json_object_put(m);
  trace_clear(&t);
}

static void
test_usage_errors(void)
{
  g_autofree char *config =
      write_pipeline("usage.json", "{\"provider\": \"mock\"}", "{\"provider\": \"mock\"}");
  Result r;
  run_engine(&r, (const char *const[]){ config, "--trace-sample", "3", NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "--trace-sample"));
  result_clear(&r);
  /* The trace must not overwrite the input or the output. */
  g_autofree char *inputs = write_file("usage-inputs.jsonl", "{\"text\": \"keep me\"}\n");
  g_autofree char *output = write_file("usage-out.jsonl", "");
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--trace-out", inputs, NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "names the input file"));
  result_clear(&r);
  g_autofree char *kept = NULL;
  g_assert_true(g_file_get_contents(inputs, &kept, NULL, NULL));
  g_assert_cmpstr(kept, ==, "{\"text\": \"keep me\"}\n");
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--output", output,
                                        "--trace-out", output, NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "names the output file"));
  result_clear(&r);
  g_autofree char *bad = g_build_filename(tmpdir, "no-such-dir", "t.json", NULL);
  run_engine(&r, (const char *const[]){ config, "--trace-out", bad, NULL });
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "cannot write the trace"));
  g_assert_nonnull(strstr(r.err, bad));
  result_clear(&r);
}

/* --- over HTTP --- */

typedef struct {
  InfFakeLlm *fake;
} Fake;

static void
fake_set_up(Fake *f, gconstpointer data)
{
  (void)data;
  f->fake = inf_test_fake_start();
}

static void
fake_tear_down(Fake *f, gconstpointer data)
{
  (void)data;
  inf_test_fake_stop(f->fake);
}

/* One llm module on alias cloud (openai at the fake, one call at a time). */
static char *
write_http_config(Fake *f, const char *name)
{
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"cloud\": {\"provider\": \"openai\", "
      "\"model\": \"fake-model\", "
      "\"base_url\": \"%s/v1\", \"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": 1, "
      "\"retry_delay\": 0.001, \"max_retries\": 3, \"timeout\": 120}}},\n"
      " \"modules\": {\"ask\": {\"type\": \"llm\", \"alias\": \"cloud\"}},\n"
      " \"main\": \"ask\"}\n",
      inf_fake_llm_get_base_url(f->fake));
  return write_file(name, text);
}

static void
test_http(Fake *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_http_config(f, "http.json");
  g_autoptr(GError) error = NULL;
  /* The first request gets a 429, the second a 503 (retried), then ok. */
  g_assert_true(inf_fake_llm_push_script(f->fake, "429 retry-after-ms=5; 503; ok", &error));
  g_autofree char *inputs = write_file("http-inputs.jsonl", "\"one\"\n\"two\"\n\"three\"\n");
  g_autofree char *trace_path = g_build_filename(tmpdir, "http-trace.json", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--quiet", "--trace-out",
                                        trace_path, NULL });
  g_assert_cmpint(r.status, ==, 0);
  result_clear(&r);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  g_assert_null(strstr(t.text, SECRET));
  check_tracks(&t);
  gint cloud = pid_named(&t, "cloud (fake-model)");
  g_assert_cmpint(cloud, >, 1);
  g_assert_cmpuint(count(&t, "i", "429"), ==, 1);
  g_assert_cmpuint(count(&t, "i", "retry"), ==, 1);
  guint ok = 0, limited = 0, retried = 0;
  for (guint i = 0; i < n_events(&t); i++) {
    json_object *e = event(&t, i), *args = get(e, "args");
    if (is(e, "i") && g_str_equal(get_str(e, "name"), "429")) {
      g_assert_cmpint(json_object_get_int(get(args, "http_status")), ==, 429);
      g_assert_cmpint(json_object_get_int(get(args, "retry_after_ms")), ==, 5);
      g_assert_cmpstr(get_str(args, "error"), ==, "rate_limited");
    } else if (is(e, "i") && g_str_equal(get_str(e, "name"), "retry")) {
      g_assert_cmpint(json_object_get_int(get(args, "http_status")), ==, 503);
      g_assert_cmpint(json_object_get_int(get(args, "attempt")), ==, 1);
      g_assert_nonnull(get(args, "retry_in_ms"));
    } else if (is(e, "X")) {
      g_assert_cmpint(json_object_get_int(get(e, "pid")), ==, cloud);
      g_assert_cmpint(json_object_get_int(get(e, "tid")), ==, 0); /* one call at a time */
      const char *status = get_str(args, "status");
      if (g_str_equal(status, "ok")) {
        ok++;
        g_assert_cmpint(json_object_get_int(get(args, "http_status")), ==, 200);
        g_assert_cmpstr(get_str(args, "finish_reason"), ==, "stop");
        retried += (guint)json_object_get_int(get(args, "retries"));
      } else {
        g_assert_cmpstr(status, ==, "rate_limited");
        g_assert_cmpint(json_object_get_int(get(args, "http_status")), ==, 429);
        g_assert_cmpint(json_object_get_int(get(args, "attempt")), ==, 1);
        limited++;
      }
    }
  }
  g_assert_cmpuint(ok, ==, 3);
  g_assert_cmpuint(limited, ==, 1);
  g_assert_cmpuint(retried, ==, 1);
  trace_clear(&t);
}

static void
test_http_secret(Fake *f, gconstpointer data)
{
  (void)data;
  /* The server wants another key and quotes the one it got in its 401:
   * the node fails, and the trace names the error kind, never the text. */
  inf_fake_llm_set_required_api_key(f->fake, "sk-the-right-one");
  g_autofree char *config = write_http_config(f, "secret.json");
  g_autofree char *inputs = write_file("secret-inputs.jsonl", "\"hello\"\n");
  g_autofree char *trace_path = g_build_filename(tmpdir, "secret-trace.json", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--quiet", "--trace-out",
                                        trace_path, NULL });
  g_assert_cmpint(r.status, ==, 1);
  result_clear(&r);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  g_assert_null(strstr(t.text, SECRET));
  g_assert_null(strstr(t.text, "sk-"));
  g_assert_cmpuint(count(&t, "X", "ask"), ==, 1);
  for (guint i = 0; i < n_events(&t); i++) {
    json_object *e = event(&t, i), *args = get(e, "args");
    if (!is(e, "X"))
      continue;
    g_assert_cmpstr(get_str(args, "status"), ==, "failed");
    g_assert_cmpstr(get_str(args, "error"), ==, "http_status");
    g_assert_cmpint(json_object_get_int(get(args, "http_status")), ==, 401);
  }
  trace_clear(&t);
}

/* --- signals --- */

typedef struct {
  char *line;
  gboolean done;
} LineRead;

static void
line_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  LineRead *l = user_data;
  l->line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL, NULL);
  l->done = TRUE;
}

/* The next line of @stream while the main loop (and the fake) runs. */
static char *
read_line(GDataInputStream *stream)
{
  LineRead l = { 0 };
  g_data_input_stream_read_line_async(stream, G_PRIORITY_DEFAULT, NULL, line_read, &l);
  while (!l.done)
    g_main_context_iteration(NULL, TRUE);
  return l.line;
}

static void
waited(GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true(g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL));
  *(gboolean *)user_data = TRUE;
}

/* Waits for @proc to exit (the main loop runs) and returns its status. */
static int
wait_exit(GSubprocess *proc)
{
  gboolean done = FALSE;
  g_subprocess_wait_async(proc, NULL, waited, &done);
  while (!done)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(g_subprocess_get_if_exited(proc));
  return g_subprocess_get_exit_status(proc);
}

/* Writes @text to the engine's stdin and flushes it. */
static void
write_stdin(GOutputStream *in, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(g_output_stream_write_all(in, text, strlen(text), NULL, NULL, &error));
  g_assert_true(g_output_stream_flush(in, NULL, &error));
  g_assert_no_error(error);
}

/* Starts the pipeline on the mock (written to @name.json) with its inputs
 * on a pipe, stdout a pipe, stderr silenced, --quiet and --trace-out
 * @name-trace.json, whose path *@trace_path gets. */
static GSubprocess *
spawn_mock_on_pipe(const char *name, char **trace_path)
{
  g_autofree char *file = g_strconcat(name, ".json", NULL);
  g_autofree char *trace_file = g_strconcat(name, "-trace.json", NULL);
  g_autofree char *config =
      write_pipeline(file, "{\"provider\": \"mock\"}", "{\"provider\": \"mock\"}");
  *trace_path = g_build_filename(tmpdir, trace_file, NULL);
  return spawn(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                   G_SUBPROCESS_FLAGS_STDERR_SILENCE,
               (const char *const[]){ config, "--quiet", "--trace-out", *trace_path, NULL });
}

static void
test_sigint(void)
{
  /* Inputs come through a pipe that stays open; once both results are out,
   * SIGINT ends the run, and the trace is complete valid JSON. */
  g_autofree char *trace_path = NULL;
  g_autoptr(GSubprocess) proc = spawn_mock_on_pipe("sigint", &trace_path);
  g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
  write_stdin(g_subprocess_get_stdin_pipe(proc), "{\"text\": \"first\"}\n{\"text\": \"second\"}\n");
  for (guint i = 0; i < 2; i++) {
    g_autofree char *line = read_line(out);
    g_assert_nonnull(line);
  }
  g_subprocess_send_signal(proc, SIGINT);
  g_assert_cmpint(wait_exit(proc), ==, 130);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  check_tracks(&t);
  g_assert_cmpuint(check_node_spans(&t, 2, 1), ==, 10);
  trace_clear(&t);
}

static void
test_output_closed(void)
{
  /* The reader of the output goes away (like `| head -1`): the run stops
   * cleanly and the trace is still closed. */
  g_autofree char *trace_path = NULL;
  g_autoptr(GSubprocess) proc = spawn_mock_on_pipe("closed", &trace_path);
  GOutputStream *in = g_subprocess_get_stdin_pipe(proc);
  g_autoptr(GError) error = NULL;
  write_stdin(in, "{\"text\": \"first\"}\n");
  {
    g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    g_autofree char *line = read_line(out);
    g_assert_nonnull(line);
    g_assert_true(g_input_stream_close(G_INPUT_STREAM(out), NULL, &error));
  }
  /* More inputs: writing their results finds the pipe closed. */
  g_autofree char *more = make_inputs(50);
  g_assert_true(g_output_stream_write_all(in, more, strlen(more), NULL, NULL, &error));
  g_assert_true(g_output_stream_close(in, NULL, &error));
  g_assert_cmpint(wait_exit(proc), ==, 0);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  check_tracks(&t);
  g_assert_cmpuint(count(&t, "X", NULL), >=, 5);
  trace_clear(&t);
}

static void
test_sigterm_cancels(Fake *f, gconstpointer data)
{
  (void)data;
  /* A call hangs at the fake. SIGTERM once (the engine says it waits for
   * what is in flight), then again: the call is cancelled, and its span
   * ends "cancelled" in a properly closed trace. */
  g_autofree char *config = write_http_config(f, "sigterm.json");
  g_autofree char *trace_path = g_build_filename(tmpdir, "sigterm-trace.json", NULL);
  g_autoptr(GSubprocess) proc =
      spawn(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                G_SUBPROCESS_FLAGS_STDERR_PIPE,
            (const char *const[]){ config, "--trace-out", trace_path, NULL });
  GOutputStream *in = g_subprocess_get_stdin_pipe(proc);
  g_autoptr(GDataInputStream) err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(proc));
  write_stdin(in, "\"hang [[fake:delay=600000]]\"\n");
  InfFakeStats stats;
  do {
    g_main_context_iteration(NULL, TRUE);
    inf_fake_llm_get_stats(f->fake, &stats);
  } while (stats.in_flight < 1);
  g_subprocess_send_signal(proc, SIGTERM);
  for (;;) {
    g_autofree char *text = read_line(err);
    g_assert_nonnull(text);
    if (strstr(text, "interrupted: no new inputs"))
      break;
  }
  g_subprocess_send_signal(proc, SIGTERM);
  g_assert_cmpint(wait_exit(proc), ==, 130);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  check_tracks(&t);
  g_assert_cmpuint(count(&t, "X", NULL), ==, 1);
  json_object *span = NULL;
  for (guint i = 0; i < n_events(&t); i++)
    if (is(event(&t, i), "X"))
      span = event(&t, i);
  g_assert_cmpstr(get_str(get(span, "args"), "status"), ==, "cancelled");
  g_assert_cmpstr(get_str(get(span, "args"), "error"), ==, "cancelled");
  trace_clear(&t);
}

/* A graph with a switch (a node without a module): one span per executed
 * node, none for the skipped case, and a valid trace. */
static void
test_switch(void)
{
  g_autofree char *config = write_file(
      "switch.json", "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}}},\n"
                     " \"modules\": {\"ask\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
                     "  \"echo\": {\"type\": \"template\", \"template\": \"echo {0}\"},\n"
                     "  \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
                     "    \"routed\": {\"switch\": \"$text\",\n"
                     "      \"cases\": [{\"match\": {\"prefix\": \"ask\"}, \"module\": \"ask\", "
                     "\"args\": [\"$text\"]}],\n"
                     "      \"default\": {\"module\": \"echo\", \"args\": [\"$text\"]}}},\n"
                     "   \"outputs\": {\"routed\": \"$routed\"}}},\n"
                     " \"main\": \"pipeline\"}\n");
  g_autofree char *inputs = write_file("switch.jsonl", "{\"text\": \"ask me\"}\n"
                                                       "{\"text\": \"plain\"}\n");
  g_autofree char *trace_path = g_build_filename(tmpdir, "switch-trace.json", NULL);
  Result r;
  run_engine(&r, (const char *const[]){ config, "--input", inputs, "--quiet", "--trace-out",
                                        trace_path, NULL });
  g_assert_cmpint(r.status, ==, 0);
  Trace t = { 0 };
  trace_load(&t, trace_path);
  check_tracks(&t);
  guint llm = 0, template = 0;
  for (guint i = 0; i < n_events(&t); i++) {
    json_object *e = event(&t, i);
    if (!is(e, "X"))
      continue;
    if (g_strcmp0(get_str(e, "cat"), "llm") == 0)
      llm++;
    else if (g_strcmp0(get_str(e, "cat"), "template") == 0)
      template ++;
  }
  g_assert_cmpuint(llm, ==, 1);      /* "ask me" took the llm case */
  g_assert_cmpuint(template, ==, 1); /* "plain" took the default */
  trace_clear(&t);
  result_clear(&r);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_assert_nonnull(g_getenv("INF_ENGINE"));
  g_test_add_func("/trace/mock", test_mock);
  g_test_add_func("/trace/sampling", test_sampling);
  g_test_add_func("/trace/budget", test_budget);
  g_test_add_func("/trace/checkpoint", test_checkpoint);
  g_test_add_func("/trace/usage-errors", test_usage_errors);
  g_test_add_func("/trace/output-closed", test_output_closed);
  g_test_add_func("/trace/sigint", test_sigint);
  g_test_add_func("/trace/switch", test_switch);
  g_test_add("/trace/http", Fake, NULL, fake_set_up, test_http, fake_tear_down);
  g_test_add("/trace/http-secret", Fake, NULL, fake_set_up, test_http_secret, fake_tear_down);
  g_test_add("/trace/sigterm-cancels", Fake, NULL, fake_set_up, test_sigterm_cancels,
             fake_tear_down);
  return inf_test_run_in_tmpdir("inf-trace-run", &tmpdir);
}
