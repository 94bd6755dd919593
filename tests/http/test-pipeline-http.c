/* End to end: `inf-engine run` (a subprocess) over HTTP against the loopback
 * fake server, which serves in this test's main loop. One pipeline config
 * (configs/quickstart.json) runs against the OpenAI, Anthropic and Ollama
 * formats by swapping only --resources; then 429 storms, 5xx retried,
 * retries exhausted, timeouts, dropped connections, malformed bodies, and
 * the API key absent from every log line, error, metrics file and output. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>

#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

#define KEY_ENV "INF_TEST_PIPELINE_KEY"
#define SECRET "sk-pipeline-SECRET-9f8e7d6c5b4a"

typedef struct {
  InfTestServerFixture s; /* the fake server and the temp dir */
  char *config;
  int nofile; /* > 0: the RLIMIT_NOFILE of inf-engine */
} Fixture;

typedef struct {
  int status;
  char *output;     /* the output file's text */
  char *log;        /* stderr */
  char *metrics;    /* the metrics file's text */
  GPtrArray *lines; /* json_object *, by index */
} Run;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  inf_test_server_fixture_set_up(&f->s, data);
  f->config = inf_test_source_file("configs/quickstart.json");
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  inf_test_server_fixture_tear_down(&f->s, data);
  g_free(f->config);
}

static void
run_clear(Run *r)
{
  g_free(r->output);
  g_free(r->log);
  g_free(r->metrics);
  if (r->lines != NULL)
    g_ptr_array_unref(r->lines);
  memset(r, 0, sizeof *r);
}

/* Writes a resources file: aliases fast and smart on @provider at the fake,
 * with @extra fields (JSON members, may be "") in each endpoint. */
static char *write_resources_smart(Fixture *f, const char *provider, const char *extra,
                                   const char *smart);

static char *
write_resources(Fixture *f, const char *provider, const char *extra)
{
  return write_resources_smart(f, provider, extra, NULL);
}

/* The same, with the smart alias given as JSON (NULL: like fast). */
static char *
write_resources_smart(Fixture *f, const char *provider, const char *extra, const char *smart)
{
  const char *suffix = g_str_equal(provider, "ollama") ? "" : "/v1";
  g_autofree char *endpoint = g_strdup_printf(
      "{\"provider\": \"%s\", \"model\": \"fake-model\", \"base_url\": \"%s%s\", "
      "\"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": 8, \"retry_delay\": 0.01%s%s}",
      provider, inf_fake_llm_get_base_url(f->s.fake), suffix, *extra != '\0' ? ", " : "", extra);
  g_autofree char *text = g_strdup_printf("{\"endpoints\": {\"fast\": %s, \"smart\": %s}}",
                                          endpoint, smart != NULL ? smart : endpoint);
  g_autofree char *name = g_strdup_printf("resources-%s.json", provider);
  char *path = g_build_filename(f->s.dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* Writes the inputs: one {"text": ...} line each. */
static char *
write_inputs(Fixture *f, const char *const *texts, guint n)
{
  return inf_test_write_text_inputs(f->s.dir, "inputs.jsonl", texts, n);
}

static void
limit_files(gpointer data)
{
  struct rlimit limit = { (rlim_t)GPOINTER_TO_INT(data), (rlim_t)GPOINTER_TO_INT(data) };
  setrlimit(RLIMIT_NOFILE, &limit);
}

/* Runs inf-engine on the quickstart config while the fake serves here. */
static void
run_engine(Fixture *f, const char *resources, const char *inputs, Run *r)
{
  memset(r, 0, sizeof *r);
  g_autofree char *output = g_build_filename(f->s.dir, "out.jsonl", NULL);
  g_autofree char *metrics = g_build_filename(f->s.dir, "metrics.json", NULL);
  g_remove(output);
  g_remove(metrics);
  const char *env[] = { KEY_ENV "=" SECRET,
                        /* The variables the shipped resources files name. */
                        "OPENAI_API_KEY=" SECRET, "ANTHROPIC_API_KEY=" SECRET,
                        /* Every debug message too: none may show the key. */
                        "G_MESSAGES_DEBUG=all", NULL };
  InfTestSpawn spawn = { .env = env };
  if (f->nofile > 0) {
    spawn.child_setup = limit_files;
    spawn.child_setup_data = GINT_TO_POINTER(f->nofile);
  }
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, &spawn, "run", f->config, "--input", inputs, "--output", output,
                         "--resources", resources, "--metrics-out", metrics, "--stats", NULL);
  r->status = run.status;
  r->log = g_steal_pointer(&run.err);

  r->output = inf_test_read(output);
  r->metrics = inf_test_read(metrics);
  r->lines = inf_test_parse_lines_by_index(r->output);
}

static json_object *
line_get(Run *r, guint index, const char *key)
{
  g_assert_cmpuint(index, <, r->lines->len);
  json_object *line = g_ptr_array_index(r->lines, index), *value = NULL;
  g_assert_nonnull(line);
  json_object_object_get_ex(line, key, &value);
  return value;
}

static const char *
output_text(Run *r, guint index, const char *name)
{
  json_object *outputs = line_get(r, index, "outputs"), *value;
  if (outputs == NULL || !json_object_object_get_ex(outputs, name, &value))
    return NULL;
  return json_object_get_string(value);
}

/* The error messages of an input line joined, or NULL when it has none. */
static char *
line_errors(Run *r, guint index)
{
  json_object *errors = line_get(r, index, "errors");
  if (errors == NULL || json_object_object_length(errors) == 0)
    return NULL;
  GString *out = g_string_new(NULL);
  json_object_object_foreach(errors, node, message)
      g_string_append_printf(out, "%s: %s\n", node, json_object_get_string(message));
  return g_string_free(out, FALSE);
}

static json_object *
alias_metrics(Run *r, const char *alias)
{
  g_assert_nonnull(r->metrics);
  json_object *root = json_tokener_parse(r->metrics), *aliases, *metrics;
  g_assert_nonnull(root);
  g_assert_true(json_object_object_get_ex(root, "aliases", &aliases));
  g_assert_true(json_object_object_get_ex(aliases, alias, &metrics));
  json_object_get(metrics);
  json_object_put(root);
  return metrics;
}

static gint64
metric(json_object *metrics, const char *name)
{
  json_object *value;
  g_assert_true(json_object_object_get_ex(metrics, name, &value));
  return json_object_get_int64(value);
}

static void
assert_no_secret(Run *r)
{
  g_assert_null(strstr(r->output != NULL ? r->output : "", SECRET));
  g_assert_null(strstr(r->log != NULL ? r->log : "", SECRET));
  g_assert_null(strstr(r->metrics != NULL ? r->metrics : "", SECRET));
}

static const char *const texts[] = {
  "The new library release cut build times in half.",
  "Customers report that the checkout page times out.",
  "The city council approved two new bike lanes.",
  "Quarterly revenue grew twelve percent.",
  "The hiking trail is closed after the storm.",
  "Researchers found a longer-lasting battery chemistry.",
};

/* --- one config, three wire formats ------------------------------------- */

static void
test_swap_resources(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *providers[][2] = {
    { "openai", "/v1/chat/completions" },
    { "anthropic", "/v1/messages" },
    { "ollama", "/api/chat" },
  };
  g_autofree char *inputs = write_inputs(f, texts, G_N_ELEMENTS(texts));
  for (guint p = 0; p < G_N_ELEMENTS(providers); p++) {
    inf_fake_llm_reset_stats(f->s.fake);
    g_autofree char *resources = write_resources(f, providers[p][0], "");
    Run r;
    run_engine(f, resources, inputs, &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpuint(r.lines->len, ==, G_N_ELEMENTS(texts));
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
      g_autofree char *errors = line_errors(&r, i);
      g_assert_null(errors);
      /* summary = fast(text): the fake echoes the start of the prompt. */
      g_autofree char *expected = g_strdup_printf("echo: %.40s", texts[i]);
      g_assert_cmpstr(output_text(&r, i, "summary"), ==, expected);
      g_assert_true(g_str_has_prefix(output_text(&r, i, "report"), "echo: "));
    }
    /* Four LLM calls per input, all in this format, all with the key. */
    InfFakeStats stats;
    inf_fake_llm_get_stats(f->s.fake, &stats);
    g_assert_cmpuint(stats.requests, ==, 4 * G_N_ELEMENTS(texts));
    g_assert_cmpuint(stats.ok, ==, stats.requests);
    g_assert_cmpuint(stats.invalid, ==, 0);
    g_assert_cmpstr(inf_fake_llm_get_last_path(f->s.fake), ==, providers[p][1]);
    g_assert_cmpuint(inf_fake_llm_count_api_key(f->s.fake, SECRET), ==, stats.requests);
    g_autoptr(json_object) fast = alias_metrics(&r, "fast");
    g_assert_cmpint(metric(fast, "successes"), ==, 3 * G_N_ELEMENTS(texts));
    assert_no_secret(&r);
    run_clear(&r);
  }
}

/* The resources files under configs/resources, pointed at the fake (only
 * base_url changes): they load, and the quickstart runs on them. */
static void
test_shipped_resources(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *files[][3] = {
    /* file, base_url suffix, path the fake sees */
    { "openai.json", "/v1", "/v1/chat/completions" },
    { "openai-compatible.json", "/v1", "/v1/chat/completions" },
    { "anthropic.json", "/v1", "/v1/messages" },
    { "ollama.json", "", "/api/chat" },
  };
  g_autofree char *inputs = write_inputs(f, texts, 3);
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *shipped = g_build_filename("configs", "resources", files[i][0], NULL);
    g_autofree char *text = inf_test_read_source(shipped);
    json_object *root = json_tokener_parse(text), *endpoints;
    g_assert_nonnull(root);
    g_assert_true(json_object_object_get_ex(root, "endpoints", &endpoints));
    g_autofree char *base = g_strconcat(inf_fake_llm_get_base_url(f->s.fake), files[i][1], NULL);
    json_object_object_foreach(endpoints, alias, endpoint)
    {
      (void)alias;
      json_object_object_add(endpoint, "base_url", json_object_new_string(base));
    }
    g_autofree char *resources =
        inf_test_write(f->s.dir, files[i][0], json_object_to_json_string(root));
    json_object_put(root);

    inf_fake_llm_reset_stats(f->s.fake);
    Run r;
    run_engine(f, resources, inputs, &r);
    g_test_message("%s: exit %d", files[i][0], r.status);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpuint(r.lines->len, ==, 3);
    InfFakeStats stats;
    inf_fake_llm_get_stats(f->s.fake, &stats);
    g_assert_cmpuint(stats.ok, ==, 4 * 3);
    g_assert_cmpuint(stats.invalid, ==, 0);
    g_assert_cmpstr(inf_fake_llm_get_last_path(f->s.fake), ==, files[i][2]);
    assert_no_secret(&r);
    run_clear(&r);
  }
}

/* --- rate limits -------------------------------------------------------- */

static void
test_429_storm(Fixture *f, gconstpointer data)
{
  (void)data;
  enum {
    N = 20,
    RATE = 40,
    BURST = 5
  };
  char *many[N];
  for (guint i = 0; i < N; i++)
    many[i] = g_strdup_printf("Input number %u about rate limits.", i);
  g_autofree char *inputs = write_inputs(f, (const char *const *)many, N);
  for (guint i = 0; i < N; i++)
    g_free(many[i]);
  /* The server allows RATE requests/s; the endpoint knows nothing of it.
   * Only the fast alias talks to it (a server's limit is per key and
   * model: two aliases would each learn the whole rate). */
  inf_fake_llm_set_rate_limit(f->s.fake, RATE, BURST);
  g_autofree char *resources = write_resources_smart(f, "openai", "\"max_retries\": 5",
                                                     "{\"provider\": \"mock\", \"model\": \"m\"}");
  Run r;
  run_engine(f, resources, inputs, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.lines->len, ==, N);
  for (guint i = 0; i < N; i++) {
    g_autofree char *errors = line_errors(&r, i);
    g_assert_null(errors);
  }
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->s.fake, &stats);
  g_test_message("429 storm: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
                 " rejected, %" G_GUINT64_FORMAT " ok",
                 stats.requests, stats.rejected, stats.ok);
  {
    guint n;
    const guint *received = inf_fake_llm_get_histogram(f->s.fake, FALSE, &n);
    const guint *ok = inf_fake_llm_get_histogram(f->s.fake, TRUE, &n);
    for (guint s = 0; s < n; s++)
      g_test_message("second %u: received %u, accepted %u", s, received[s], ok[s]);
  }
  g_assert_cmpuint(stats.ok, ==, 3 * N);  /* every call completed once */
  g_assert_cmpuint(stats.rejected, >, 0); /* there was a storm */
  /* The server never served more than its limit in any second... */
  guint n_seconds;
  const guint *accepted = inf_fake_llm_get_histogram(f->s.fake, TRUE, &n_seconds);
  for (guint s = 0; s < n_seconds; s++)
    g_assert_cmpuint(accepted[s], <=, RATE + BURST);
  /* ...and the client backed off instead of hammering it. */
  g_assert_cmpuint(stats.rejected, <=, stats.ok);
  g_autoptr(json_object) fast = alias_metrics(&r, "fast");
  g_assert_cmpint(metric(fast, "rate_limited"), ==, (gint64)stats.rejected);
  g_assert_cmpint(metric(fast, "failures"), ==, 0);
  assert_no_secret(&r);
  run_clear(&r);
}

/* --- failures ----------------------------------------------------------- */

static void
test_failures(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *const cases[] = {
    "Retried twice [[fake:500x2]] then fine.",   /* 0: 5xx retried, then succeeds */
    "Always failing [[fake:503]] here.",         /* 1: retries exhausted */
    "Too slow [[fake:delay=3000]] to answer.",   /* 2: timeouts */
    "Cut off [[fake:drop]] mid-way.",            /* 3: dropped connections */
    "Garbled [[fake:malformed]] reply.",         /* 4: malformed body */
    "Half [[fake:truncated]] a reply.",          /* 5: truncated body */
    "A plain input that must succeed.",          /* 6 */
    "Overloaded once [[fake:529x1]] then fine.", /* 7 */
  };
  g_autofree char *inputs = write_inputs(f, cases, G_N_ELEMENTS(cases));
  g_autofree char *resources = write_resources(f, "openai", "\"max_retries\": 2, \"timeout\": 0.5");
  Run r;
  run_engine(f, resources, inputs, &r);
  g_assert_cmpint(r.status, ==, 1); /* some inputs failed, the batch went on */
  g_assert_cmpuint(r.lines->len, ==, G_N_ELEMENTS(cases));

  const struct {
    guint index;
    const char *in_error;
  } failing[] = {
    { 1, "503" },          { 2, "Timeout" },   { 3, "/v1/chat/completions" },
    { 4, "invalid JSON" }, { 5, "truncated" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(failing); i++) {
    g_autofree char *errors = line_errors(&r, failing[i].index);
    g_test_message("input %u: %s", failing[i].index, errors ? errors : "(no errors)");
    g_assert_nonnull(errors);
    /* summary and sentiment read the text: both fail, after 3 attempts. */
    inf_test_assert_contains_all(errors, "summary", "sentiment", failing[i].in_error, "3 attempts");
    g_assert_null(output_text(&r, failing[i].index, "report"));
  }
  guint ok[] = { 0, 6, 7 };
  for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autofree char *errors = line_errors(&r, ok[i]);
    g_assert_null(errors);
    g_assert_true(g_str_has_prefix(output_text(&r, ok[i], "report"), "echo: "));
  }
  g_autoptr(json_object) fast = alias_metrics(&r, "fast");
  /* 2 + 1 retries for inputs 0 and 7 (twice: summary and sentiment), and
   * 2 retries for each of the 5 failing inputs' two nodes. */
  g_assert_cmpint(metric(fast, "retries"), ==, 2 * (2 + 1) + 5 * 2 * 2);
  g_assert_cmpint(metric(fast, "failures"), ==, 5 * 2);
  assert_no_secret(&r);
  run_clear(&r);
}

/* --- secrets ------------------------------------------------------------ */

/* Regression: running out of file descriptors failed requests with
 * "Couldn't connect to server". Connections are capped below the limit, so
 * 64 concurrent slow calls under `ulimit -n 48` all succeed. */
static void
test_fd_limit(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *texts64[64];
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < G_N_ELEMENTS(texts64); i++) {
    char *text = g_strdup_printf("Input number %u.", i);
    g_ptr_array_add(owned, text);
    texts64[i] = text;
  }
  g_autofree char *inputs = write_inputs(f, texts64, G_N_ELEMENTS(texts64));
  g_autofree char *endpoint = g_strdup_printf(
      "{\"provider\": \"openai\", \"model\": \"fake-model\", \"base_url\": \"%s/v1\", "
      "\"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": 256, \"retry_delay\": 0.01, "
      "\"max_retries\": 0}",
      inf_fake_llm_get_base_url(f->s.fake));
  g_autofree char *text = g_strdup_printf("{\"max_inflight_graphs\": 64, \"endpoints\": "
                                          "{\"fast\": %s, \"smart\": %s}}",
                                          endpoint, endpoint);
  g_autofree char *resources = g_build_filename(f->s.dir, "resources-fd.json", NULL);
  g_assert_true(g_file_set_contents(resources, text, -1, NULL));
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "delay=200", NULL));
  f->nofile = 48;
  Run r;
  run_engine(f, resources, inputs, &r);
  if (r.status != 0)
    g_error("status %d:\n%s", r.status, r.log);
  g_assert_cmpuint(r.lines->len, ==, 64);
  g_assert_null(strstr(r.log, "Couldn't connect"));
  run_clear(&r);
}

static void
test_key_never_shown(Fixture *f, gconstpointer data)
{
  (void)data;
  /* The server wants another key and quotes the one it got (as real APIs
   * do); the reply is an error for every call. */
  inf_fake_llm_set_required_api_key(f->s.fake, "some-other-key");
  const char *providers[] = { "openai", "anthropic", "ollama" };
  g_autofree char *inputs = write_inputs(f, texts, 2);
  for (guint p = 0; p < G_N_ELEMENTS(providers); p++) {
    g_autofree char *resources = write_resources(f, providers[p], "");
    Run r;
    run_engine(f, resources, inputs, &r);
    g_assert_cmpint(r.status, ==, 1);
    g_autofree char *errors = line_errors(&r, 0);
    g_assert_nonnull(errors);
    inf_test_assert_contains_all(errors, "401", "incorrect API key provided");
    assert_no_secret(&r);
    run_clear(&r);
  }
  /* It was sent, though. */
  g_assert_cmpuint(inf_fake_llm_count_api_key(f->s.fake, SECRET), >, 0);
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "fd-limit", test_fd_limit },
  { "swap-resources", test_swap_resources },
  { "shipped-resources", test_shipped_resources },
  { "429-storm", test_429_storm },
  { "failures", test_failures },
  { "key-never-shown", test_key_never_shown },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/http/pipeline/", Fixture, fixture_set_up, cases, fixture_tear_down);
  return g_test_run();
}
