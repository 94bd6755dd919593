/* The response cache's pieces on real SQLite files in a temp dir: the key,
 * the store (round trip, modes, truncated replies, LRU eviction under
 * max_bytes, files it refuses), and single-flight with completions from the
 * main loop. */
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "resources/cache-key.h"
#include "resources/cache-store.h"
#include "inf-test.h"
#include "resources/response-cache.h"

static char *tmpdir;

static char *
temp_path(const char *name)
{
  return g_build_filename(tmpdir, name, NULL);
}

static void
remove_db(const char *path)
{
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(path, "-shm", NULL);
  g_remove(path);
  g_remove(wal);
  g_remove(shm);
}

static InfLlmRequest *
make_request(const char *system, const char *prompt, double temperature)
{
  InfLlmRequest *request = inf_llm_request_new();
  inf_llm_request_set_system(request, system);
  inf_llm_request_add_message(request, "user", prompt);
  inf_llm_request_set_temperature(request, temperature);
  return request;
}

static void
key_for(InfCacheKey *key, const char *provider, const char *model, const char *options,
        InfLlmRequest *request)
{
  json_object *json = options ? json_tokener_parse(options) : NULL;
  inf_cache_key_init(key, provider, model, json, request);
  json_object_put(json);
}

static void
test_key(void)
{
  g_autoptr(InfLlmRequest) base = make_request("sys", "hello", 0.5);
  g_autofree char *text = inf_cache_key_canonical_text("openai", "gpt", NULL, base);
  g_assert_cmpstr(text, ==,
                  "{\"model\":\"gpt\",\"options\":{},\"provider\":\"openai\",\"request\":{"
                  "\"json_mode\":false,\"json_schema\":null,\"json_schema_name\":null,"
                  "\"max_tokens\":null,\"messages\":[{\"content\":\"hello\","
                  "\"role\":\"user\"}],\"system\":\"sys\",\"temperature\":0.5},\"v\":1}");

  InfCacheKey a, b;
  key_for(&a, "openai", "gpt", "{\"x\": 1, \"y\": {\"b\": 2, \"a\": 1}}", base);
  /* Options in another order, and the engine-only cacheable flag: equal. */
  key_for(&b, "openai", "gpt", "{\"y\": {\"a\": 1, \"b\": 2}, \"x\": 1}", base);
  g_assert_true(inf_cache_key_equal(&a, &b));
  inf_llm_request_set_cacheable(base, FALSE);
  key_for(&b, "openai", "gpt", "{\"y\": {\"a\": 1, \"b\": 2}, \"x\": 1}", base);
  g_assert_true(inf_cache_key_equal(&a, &b));
  g_assert_cmpuint(inf_cache_key_hash(&a), ==, inf_cache_key_hash(&b));

  /* Everything the provider sees changes the key. */
  key_for(&a, "openai", "gpt", NULL, base);
  key_for(&b, "openai", "gpt-2", NULL, base);
  g_assert_false(inf_cache_key_equal(&a, &b));
  key_for(&b, "anthropic", "gpt", NULL, base);
  g_assert_false(inf_cache_key_equal(&a, &b));
  key_for(&b, "openai", "gpt", "{\"extra_body\": {\"top_p\": 0.1}}", base);
  g_assert_false(inf_cache_key_equal(&a, &b));
  g_autoptr(InfLlmRequest) other_system = make_request("sys2", "hello", 0.5);
  key_for(&b, "openai", "gpt", NULL, other_system);
  g_assert_false(inf_cache_key_equal(&a, &b));
  g_autoptr(InfLlmRequest) other_prompt = make_request("sys", "hello!", 0.5);
  key_for(&b, "openai", "gpt", NULL, other_prompt);
  g_assert_false(inf_cache_key_equal(&a, &b));
  g_autoptr(InfLlmRequest) other_temperature = make_request("sys", "hello", 0.7);
  key_for(&b, "openai", "gpt", NULL, other_temperature);
  g_assert_false(inf_cache_key_equal(&a, &b));
  g_autoptr(InfLlmRequest) tokens = make_request("sys", "hello", 0.5);
  inf_llm_request_set_max_tokens(tokens, 10);
  key_for(&b, "openai", "gpt", NULL, tokens);
  g_assert_false(inf_cache_key_equal(&a, &b));
  g_autoptr(InfLlmRequest) json = make_request("sys", "hello", 0.5);
  inf_llm_request_set_json_mode(json, TRUE);
  key_for(&b, "openai", "gpt", NULL, json);
  g_assert_false(inf_cache_key_equal(&a, &b));
  /* The schema, whatever the order of its keys. */
  g_autoptr(InfLlmRequest) schema1 = make_request("sys", "hello", 0.5);
  g_autoptr(InfLlmRequest) schema2 = make_request("sys", "hello", 0.5);
  g_autoptr(InfLlmRequest) schema3 = make_request("sys", "hello", 0.5);
  json_object *s1 = json_tokener_parse("{\"type\": \"object\", \"required\": [\"a\"]}");
  json_object *s2 = json_tokener_parse("{\"required\": [\"a\"], \"type\": \"object\"}");
  json_object *s3 = json_tokener_parse("{\"required\": [\"b\"], \"type\": \"object\"}");
  inf_llm_request_set_json_schema(schema1, "t", s1);
  inf_llm_request_set_json_schema(schema2, "t", s2);
  inf_llm_request_set_json_schema(schema3, "t", s3);
  json_object_put(s1);
  json_object_put(s2);
  json_object_put(s3);
  InfCacheKey c;
  key_for(&b, "openai", "gpt", NULL, schema1);
  key_for(&c, "openai", "gpt", NULL, schema2);
  g_assert_true(inf_cache_key_equal(&b, &c));
  g_assert_false(inf_cache_key_equal(&a, &b));
  key_for(&c, "openai", "gpt", NULL, schema3);
  g_assert_false(inf_cache_key_equal(&b, &c));
  /* The system prompt is not a user message. */
  g_autoptr(InfLlmRequest) moved = inf_llm_request_new();
  inf_llm_request_add_message(moved, "user", "sys");
  inf_llm_request_add_message(moved, "user", "hello");
  inf_llm_request_set_temperature(moved, 0.5);
  key_for(&b, "openai", "gpt", NULL, moved);
  g_assert_false(inf_cache_key_equal(&a, &b));
  /* The sample index. */
  b = a;
  b.sample = 1;
  g_assert_false(inf_cache_key_equal(&a, &b));
}

static InfCacheConfig *
config_for(const char *path, InfCacheMode mode, gint64 max_bytes)
{
  InfCacheConfig *config = inf_cache_config_new();
  config->path = g_strdup(path);
  config->mode = mode;
  if (max_bytes > 0)
    config->max_bytes = max_bytes;
  return config;
}

static InfLlmResponse *
make_response(const char *content, const char *finish, gint64 in, gint64 out)
{
  InfLlmResponse *response = inf_llm_response_new();
  inf_llm_response_set_content(response, content);
  inf_llm_response_set_finish_reason(response, finish);
  inf_llm_response_set_model(response, "gpt-test");
  inf_llm_response_set_usage(response, in, out);
  return response;
}

static void
key_n(InfCacheKey *key, guint n, guint32 sample)
{
  g_autofree char *prompt = g_strdup_printf("prompt %u", n);
  g_autoptr(InfLlmRequest) request = make_request("sys", prompt, 0);
  inf_cache_key_init(key, "openai", "gpt", NULL, request);
  key->sample = sample;
}

static void
test_store_roundtrip(void)
{
  g_autofree char *path = temp_path("roundtrip.db");
  g_autoptr(InfCacheConfig) config = config_for(path, INF_CACHE_MODE_READWRITE, 0);
  g_autoptr(GError) error = NULL;
  InfCacheKey k0, k1;
  key_n(&k0, 0, 0);
  key_n(&k1, 0, 1);

  InfCacheStore *store = inf_cache_store_open(config, &error);
  g_assert_no_error(error);
  g_assert_null(inf_cache_store_lookup(store, &k0));
  g_autoptr(InfLlmResponse) reply = make_response("the answer", "stop", 12, 34);
  inf_llm_response_set_refusal(reply, "no");
  inf_llm_response_append_reasoning(reply, "because", -1);
  g_assert_true(inf_cache_store_put(store, &k0, reply));
  /* An entry exists: readwrite keeps it. */
  g_autoptr(InfLlmResponse) other = make_response("another answer", "stop", 1, 1);
  g_assert_false(inf_cache_store_put(store, &k0, other));
  g_assert_cmpint(inf_cache_store_get_entries(store), ==, 1);
  inf_cache_store_close(store);

  store = inf_cache_store_open(config, &error);
  g_assert_no_error(error);
  g_autoptr(InfLlmResponse) got = inf_cache_store_lookup(store, &k0);
  g_assert_nonnull(got);
  g_assert_cmpstr(inf_llm_response_get_content(got), ==, "the answer");
  g_assert_cmpstr(inf_llm_response_get_finish_reason(got), ==, "stop");
  g_assert_cmpstr(inf_llm_response_get_model(got), ==, "gpt-test");
  g_assert_cmpstr(inf_llm_response_get_refusal(got), ==, "no");
  g_assert_cmpstr(inf_llm_response_get_reasoning(got), ==, "because");
  g_assert_cmpint(inf_llm_response_get_input_tokens(got), ==, 12);
  g_assert_cmpint(inf_llm_response_get_output_tokens(got), ==, 34);
  /* Another sample of the same request is another entry. */
  g_assert_null(inf_cache_store_lookup(store, &k1));
  g_assert_cmpint(inf_cache_store_get_bytes(store), >, 128);
  inf_cache_store_close(store);
  remove_db(path);
}

static void
test_store_modes(void)
{
  g_autofree char *path = temp_path("modes.db");
  g_autoptr(GError) error = NULL;
  InfCacheKey k;
  key_n(&k, 1, 0);
  g_autoptr(InfLlmResponse) first = make_response("first", "stop", 1, 1);
  g_autoptr(InfLlmResponse) second = make_response("second", "stop", 1, 1);

  /* read never creates the file. */
  g_autoptr(InfCacheConfig) read = config_for(path, INF_CACHE_MODE_READ, 0);
  g_assert_null(inf_cache_store_open(read, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "does not exist"));
  g_clear_error(&error);
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

  g_autoptr(InfCacheConfig) write = config_for(path, INF_CACHE_MODE_WRITE, 0);
  InfCacheStore *store = inf_cache_store_open(write, &error);
  g_assert_no_error(error);
  g_assert_true(inf_cache_store_put(store, &k, first));
  g_assert_false(inf_cache_store_put(store, &k, second)); /* write keeps what exists */
  inf_cache_store_close(store);

  g_autoptr(InfCacheConfig) refresh = config_for(path, INF_CACHE_MODE_REFRESH, 0);
  store = inf_cache_store_open(refresh, &error);
  g_assert_no_error(error);
  gint64 bytes = inf_cache_store_get_bytes(store);
  g_assert_true(inf_cache_store_put(store, &k, second)); /* refresh replaces */
  g_assert_cmpint(inf_cache_store_get_bytes(store), ==, bytes + 1);
  g_assert_cmpint(inf_cache_store_get_entries(store), ==, 1);
  inf_cache_store_close(store);

  store = inf_cache_store_open(read, &error);
  g_assert_no_error(error);
  g_autoptr(InfLlmResponse) got = inf_cache_store_lookup(store, &k);
  g_assert_cmpstr(inf_llm_response_get_content(got), ==, "second");
  InfCacheKey k2;
  key_n(&k2, 2, 0);
  g_assert_false(inf_cache_store_put(store, &k2, first)); /* read stores nothing */
  g_assert_null(inf_cache_store_lookup(store, &k2));
  inf_cache_store_close(store);
  remove_db(path);
}

static void
test_store_truncated(void)
{
  g_autofree char *path = temp_path("truncated.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCacheConfig) config = config_for(path, INF_CACHE_MODE_READWRITE, 0);
  g_autoptr(InfLlmResponse) cut = make_response("half a sen", "length", 5, 5);
  InfCacheKey k;
  key_n(&k, 3, 0);
  InfCacheStore *store = inf_cache_store_open(config, &error);
  g_assert_no_error(error);
  g_assert_false(inf_cache_store_put(store, &k, cut));
  g_assert_null(inf_cache_store_lookup(store, &k));
  inf_cache_store_close(store);

  config->store_truncated = TRUE;
  store = inf_cache_store_open(config, &error);
  g_assert_no_error(error);
  g_assert_true(inf_cache_store_put(store, &k, cut));
  g_autoptr(InfLlmResponse) got = inf_cache_store_lookup(store, &k);
  g_assert_cmpstr(inf_llm_response_get_finish_reason(got), ==, "length");
  inf_cache_store_close(store);
  remove_db(path);
}

static gint64
sum_bytes(const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
  g_assert_cmpint(
      sqlite3_prepare_v2(db, "SELECT coalesce(sum(bytes), 0) FROM entries", -1, &stmt, NULL), ==,
      SQLITE_OK);
  g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
  gint64 sum = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return sum;
}

static void
test_store_eviction(void)
{
  g_autofree char *path = temp_path("evict.db");
  g_autoptr(GError) error = NULL;
  const gint64 max_bytes = 8192;
  g_autoptr(InfCacheConfig) config = config_for(path, INF_CACHE_MODE_READWRITE, max_bytes);
  InfCacheStore *store = inf_cache_store_open(config, &error);
  g_assert_no_error(error);
  char text[400];
  memset(text, 'x', sizeof text - 1);
  text[sizeof text - 1] = '\0';
  InfCacheKey hot, cold;
  key_n(&hot, 0, 0);
  key_n(&cold, 1, 0);
  for (guint i = 0; i < 200; i++) {
    InfCacheKey k;
    key_n(&k, i, 0);
    g_autoptr(InfLlmResponse) reply = make_response(text, "stop", 1, 1);
    g_assert_true(inf_cache_store_put(store, &k, reply));
    g_assert_cmpint(inf_cache_store_get_bytes(store), <=, max_bytes);
    /* Entry 0 is used all the time: it stays. */
    g_autoptr(InfLlmResponse) got = inf_cache_store_lookup(store, &hot);
    g_assert_nonnull(got);
  }
  g_assert_cmpuint(inf_cache_store_get_evicted(store), >, 150);
  g_assert_null(inf_cache_store_lookup(store, &cold));
  gint64 entries = inf_cache_store_get_entries(store);
  g_assert_cmpint(entries, >, 5);
  g_assert_cmpint(entries, <, 20);
  inf_cache_store_close(store);
  g_assert_cmpint(sum_bytes(path), <=, max_bytes);
  remove_db(path);
}

static void
assert_refused(const char *path, InfCacheMode mode, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCacheConfig) config = config_for(path, mode, 0);
  InfCacheStore *store = inf_cache_store_open(config, &error);
  g_assert_null(store);
  g_assert_error(error, INF_ERROR, INF_ERROR_IO);
  g_assert_nonnull(strstr(error->message, path));
  if (!strstr(error->message, expected))
    g_error("expected \"%s\" in: %s", expected, error->message);
}

static void
test_store_refuses(void)
{
  /* Not a database: refused, left as it was. */
  g_autofree char *garbage = temp_path("garbage.db");
  g_autofree char *junk = g_strnfill(8192, 'j');
  g_assert_true(g_file_set_contents(garbage, junk, -1, NULL));
  assert_refused(garbage, INF_CACHE_MODE_READWRITE, "not a database");
  g_autofree char *after = NULL;
  g_assert_true(g_file_get_contents(garbage, &after, NULL, NULL));
  g_assert_cmpstr(after, ==, junk);
  remove_db(garbage);

  /* Another program's SQLite file: never written into. */
  g_autofree char *foreign = temp_path("foreign.db");
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open(foreign, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE results (x)", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close(db);
  assert_refused(foreign, INF_CACHE_MODE_READWRITE, "not an inf-engine response cache");
  g_assert_cmpint(sqlite3_open(foreign, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "SELECT * FROM entries", NULL, NULL, NULL), ==, SQLITE_ERROR);
  sqlite3_close(db);
  remove_db(foreign);

  /* Locked by another process's write transaction. */
  g_autofree char *locked = temp_path("locked.db");
  g_autoptr(InfCacheConfig) config = config_for(locked, INF_CACHE_MODE_READWRITE, 0);
  g_autoptr(GError) error = NULL;
  inf_cache_store_close(inf_cache_store_open(config, &error));
  g_assert_no_error(error);
  g_assert_cmpint(sqlite3_open(locked, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  assert_refused(locked, INF_CACHE_MODE_READWRITE, "locked");
  /* Reading only is fine meanwhile (WAL). */
  g_autoptr(InfCacheConfig) read = config_for(locked, INF_CACHE_MODE_READ, 0);
  InfCacheStore *reader = inf_cache_store_open(read, &error);
  g_assert_no_error(error);
  inf_cache_store_close(reader);
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
  remove_db(locked);

  /* A read-only file (root may write anyway). */
  if (geteuid() != 0) {
    g_autofree char *readonly = temp_path("readonly.db");
    g_autoptr(InfCacheConfig) rc = config_for(readonly, INF_CACHE_MODE_READWRITE, 0);
    inf_cache_store_close(inf_cache_store_open(rc, &error));
    g_assert_no_error(error);
    g_assert_cmpint(g_chmod(readonly, 0444), ==, 0);
    assert_refused(readonly, INF_CACHE_MODE_READWRITE, "read-only");
    remove_db(readonly);
  }
}

/* A file that cannot grow (the file size limit stands in for a full disk):
 * one warning, then the store is off and the caller goes on. */
static void
test_store_full(void)
{
  if (g_test_subprocess()) {
    g_autofree char *path = temp_path("full.db");
    g_autoptr(GError) error = NULL;
    g_autoptr(InfCacheConfig) config = config_for(path, INF_CACHE_MODE_READWRITE, 0);
    InfCacheStore *store = inf_cache_store_open(config, &error);
    g_assert_no_error(error);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = { 256 * 1024, 256 * 1024 };
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &limit), ==, 0);
    g_autofree char *text = g_strnfill(16 * 1024, 'y');
    guint i;
    for (i = 0; i < 200 && inf_cache_store_is_active(store); i++) {
      InfCacheKey k;
      key_n(&k, i, 0);
      g_autoptr(InfLlmResponse) reply = make_response(text, "stop", 1, 1);
      inf_cache_store_put(store, &k, reply);
      inf_cache_store_flush(store);
    }
    g_assert_false(inf_cache_store_is_active(store));
    g_assert_cmpuint(i, >, 1);
    InfCacheKey k;
    key_n(&k, 0, 0);
    g_assert_null(inf_cache_store_lookup(store, &k));
    g_autoptr(InfLlmResponse) reply = make_response("late", "stop", 1, 1);
    g_assert_false(inf_cache_store_put(store, &k, reply));
    inf_cache_store_close(store);
    remove_db(path);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
  g_test_trap_assert_stderr("*warning: cache*failed*without the cache*");
  g_test_trap_assert_stderr_unmatched("*warning*warning*"); /* one warning only */
}

typedef struct {
  guint calls;
  guint errors;
  gint64 tokens;
  char *content;
} Seen;

static void
seen_done(const InfLlmResponse *response, const GError *error, gpointer user_data)
{
  Seen *seen = user_data;
  seen->calls++;
  if (error) {
    seen->errors++;
    return;
  }
  seen->tokens +=
      inf_llm_response_get_input_tokens(response) + inf_llm_response_get_output_tokens(response);
  g_free(seen->content);
  seen->content = g_strdup(inf_llm_response_get_content(response));
}

static void
drain(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

static void
test_single_flight(void)
{
  g_autofree char *path = temp_path("flight.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCacheConfig) config = config_for(path, INF_CACHE_MODE_READWRITE, 0);
  InfCacheStore *store = inf_cache_store_open(config, &error);
  g_assert_no_error(error);
  InfResponseCache *cache = inf_response_cache_new(store);
  InfMetrics *metrics = inf_metrics_new("fast");
  InfEndpointConfig prices = { .input_cost_per_1m = 1e6, .output_cost_per_1m = 2e6 };
  InfCacheKey k;
  key_n(&k, 7, 0);
  Seen seen = { 0 };

  /* 100 identical calls at once: one goes upstream. */
  g_assert_cmpint(inf_response_cache_begin(cache, &k, metrics, &prices, seen_done, &seen), ==,
                  INF_CACHE_MISS);
  for (guint i = 0; i < 99; i++)
    g_assert_cmpint(inf_response_cache_begin(cache, &k, metrics, &prices, seen_done, &seen), ==,
                    INF_CACHE_JOINED);
  g_autoptr(InfLlmResponse) reply = make_response("shared", "stop", 10, 20);
  inf_response_cache_finish(cache, &k, reply, NULL, TRUE);
  g_assert_cmpuint(seen.calls, ==, 0); /* never inside finish: from the main loop */
  drain();
  g_assert_cmpuint(seen.calls, ==, 99);
  g_assert_cmpint(seen.tokens, ==, 0);
  g_assert_cmpstr(seen.content, ==, "shared");
  g_assert_cmpuint(metrics->cache_misses, ==, 1);
  g_assert_cmpuint(metrics->cache_shared, ==, 99);
  g_assert_cmpint(metrics->cache_saved_input_tokens, ==, 990);
  g_assert_cmpint(metrics->cache_saved_output_tokens, ==, 1980);
  g_assert_cmpfloat_with_epsilon(metrics->cache_saved_cost, 99 * 50.0, 1e-6);

  /* Now stored: a hit, completed from the main loop at zero usage. */
  seen.calls = 0;
  g_assert_cmpint(inf_response_cache_begin(cache, &k, metrics, &prices, seen_done, &seen), ==,
                  INF_CACHE_HIT);
  g_assert_cmpuint(seen.calls, ==, 0);
  drain();
  g_assert_cmpuint(seen.calls, ==, 1);
  g_assert_cmpint(seen.tokens, ==, 0);
  g_assert_cmpuint(metrics->cache_hits, ==, 1);

  /* A failure reaches every waiter and stores nothing. */
  InfCacheKey k2;
  key_n(&k2, 8, 0);
  Seen failed = { 0 };
  g_assert_cmpint(inf_response_cache_begin(cache, &k2, metrics, &prices, seen_done, &failed), ==,
                  INF_CACHE_MISS);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint(inf_response_cache_begin(cache, &k2, metrics, &prices, seen_done, &failed), ==,
                    INF_CACHE_JOINED);
  g_autoptr(GError) upstream = g_error_new(INF_ERROR, INF_ERROR_SERVER, "503");
  inf_response_cache_finish(cache, &k2, NULL, upstream, TRUE);
  drain();
  g_assert_cmpuint(failed.calls, ==, 5);
  g_assert_cmpuint(failed.errors, ==, 5);
  g_assert_cmpint(inf_response_cache_begin(cache, &k2, metrics, &prices, seen_done, &failed), ==,
                  INF_CACHE_MISS);
  /* A reply the caller rejected is passed on but not stored. */
  for (guint i = 0; i < 2; i++)
    inf_response_cache_begin(cache, &k2, metrics, &prices, seen_done, &failed);
  inf_response_cache_finish(cache, &k2, reply, NULL, FALSE);
  drain();
  g_assert_cmpuint(failed.calls, ==, 7);
  g_assert_cmpint(inf_response_cache_begin(cache, &k2, metrics, &prices, seen_done, &failed), ==,
                  INF_CACHE_MISS);
  inf_response_cache_finish(cache, &k2, NULL, upstream, TRUE);

  /* Freed with a hit waiting for the main loop and a call waiting for
   * another in flight: both complete as cancelled, at once. */
  g_assert_cmpint(inf_response_cache_begin(cache, &k, metrics, &prices, seen_done, &seen), ==,
                  INF_CACHE_HIT);
  InfCacheKey k3;
  key_n(&k3, 9, 0);
  Seen left = { 0 };
  g_assert_cmpint(inf_response_cache_begin(cache, &k3, metrics, &prices, seen_done, &left), ==,
                  INF_CACHE_MISS);
  g_assert_cmpint(inf_response_cache_begin(cache, &k3, metrics, &prices, seen_done, &left), ==,
                  INF_CACHE_JOINED);
  inf_response_cache_free(cache);
  g_assert_cmpuint(seen.calls, ==, 2);
  g_assert_cmpuint(seen.errors, ==, 1);
  g_assert_cmpuint(left.calls, ==, 1);
  g_assert_cmpuint(left.errors, ==, 1);
  drain();
  g_assert_cmpuint(seen.calls, ==, 2);
  inf_metrics_free(metrics);
  g_free(seen.content);
  g_free(failed.content);
  remove_db(path);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache/key", test_key);
  g_test_add_func("/cache/store/roundtrip", test_store_roundtrip);
  g_test_add_func("/cache/store/modes", test_store_modes);
  g_test_add_func("/cache/store/truncated", test_store_truncated);
  g_test_add_func("/cache/store/eviction", test_store_eviction);
  g_test_add_func("/cache/store/refuses", test_store_refuses);
  g_test_add_func("/cache/store/full", test_store_full);
  g_test_add_func("/cache/single-flight", test_single_flight);
  return inf_test_run_in_tmpdir("inf-cache", &tmpdir);
}
