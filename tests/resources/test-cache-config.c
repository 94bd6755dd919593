/* The cache block of resources (core/resources/cache-config.c): defaults,
 * accepted values, and errors naming the file and the JSON path. */
#include "resources/cache-config.h"
#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

static InfCacheConfig *
parse(const char *text, GError **error)
{
  g_autoptr(json_object) json = json_tokener_parse(text);
  g_assert_nonnull(json);
  return inf_cache_config_parse(json, "r.json", "resources.cache", error);
}

static void
test_defaults(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCacheConfig) config = parse("{}", &error);
  g_assert_no_error(error);
  g_assert_null(config->path);
  g_assert_cmpint(config->max_bytes, ==, INF_CACHE_DEFAULT_MAX_BYTES);
  g_assert_cmpint(config->max_bytes, ==, G_GINT64_CONSTANT(1073741824));
  g_assert_cmpint(config->mode, ==, INF_CACHE_MODE_READWRITE);
  g_assert_false(config->store_truncated);
}

static void
test_values(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCacheConfig) config = parse(
      "{\"path\": \"c.db\", \"max_bytes\": 4096, \"mode\": \"refresh\", \"store_truncated\": true}",
      &error);
  g_assert_no_error(error);
  g_assert_cmpstr(config->path, ==, "c.db");
  g_assert_cmpint(config->max_bytes, ==, 4096);
  g_assert_cmpint(config->mode, ==, INF_CACHE_MODE_REFRESH);
  g_assert_true(config->store_truncated);
  const char *const modes[] = { "read", "write", "readwrite", "refresh" };
  const InfCacheMode expected[] = { INF_CACHE_MODE_READ, INF_CACHE_MODE_WRITE,
                                    INF_CACHE_MODE_READWRITE, INF_CACHE_MODE_REFRESH };
  for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
    g_autofree char *text = g_strdup_printf("{\"mode\": \"%s\"}", modes[i]);
    g_autoptr(InfCacheConfig) c = parse(text, &error);
    g_assert_no_error(error);
    g_assert_cmpint(c->mode, ==, expected[i]);
  }
  /* a whole number written as a decimal */
  g_autoptr(InfCacheConfig) decimal = parse("{\"max_bytes\": 8192.0}", &error);
  g_assert_no_error(error);
  g_assert_cmpint(decimal->max_bytes, ==, 8192);
}

static void
test_errors(void)
{
  const char *const cases[][2] = {
    { "[]", "r.json: resources.cache: expected an object {\"path\": FILE, \"max_bytes\": N, "
            "\"mode\": ...}, got a list" },
    { "{\"path\": 3}", "r.json: resources.cache.path: expected a string, got integer 3" },
    { "{\"path\": \"\"}",
      "r.json: resources.cache.path: expected the cache file name (a non-empty string), got \"\"" },
    { "{\"max_bytes\": 4095}",
      "r.json: resources.cache.max_bytes: expected an integer >= 4096, got 4095" },
    { "{\"max_bytes\": \"1G\"}",
      "r.json: resources.cache.max_bytes: expected an integer, got string \"1G\"" },
    { "{\"max_bytes\": 5000.5}",
      "r.json: resources.cache.max_bytes: expected an integer, got number 5000.5" },
    { "{\"mode\": \"rw\"}", "r.json: resources.cache.mode: expected one of: read, write, "
                            "readwrite, refresh; got string \"rw\"" },
    { "{\"mode\": 1}", "r.json: resources.cache.mode: expected one of: read, write, readwrite, "
                       "refresh; got integer 1" },
    { "{\"store_truncated\": \"no\"}",
      "r.json: resources.cache.store_truncated: expected a boolean (true or false), got string "
      "\"no\"" },
    { "{\"size\": 1}", "r.json: resources.cache.size: unknown option; valid options: max_bytes, "
                       "mode, path, store_truncated" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(InfCacheConfig) config = parse(cases[i][0], &error);
    g_assert_null(config);
    inf_test_assert_error_prefix(error, INF_ERROR, INF_ERROR_CONFIG, i, cases[i][1]);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache-config/defaults", test_defaults);
  g_test_add_func("/cache-config/values", test_values);
  g_test_add_func("/cache-config/errors", test_errors);
  return g_test_run();
}
