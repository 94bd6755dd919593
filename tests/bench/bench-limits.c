/* Rate-limit benchmarks (run on demand, not in the test suite).
 *
 *   bench-limits [accuracy|recovery|all] [--json FILE] [--quick]
 *
 * accuracy: 600 requests (300 with --quick) through the openai client with
 *   rate_limit 20 against a loopback fake server that does not limit:
 *   achieved rate (target 20 ± 3%) and the busiest second (no burst above
 *   the bucket: ≤ 20 + burst).
 * recovery: 600 requests (200) with no client-side limit against a fake
 *   that allows 10 requests/s and answers 429 above it: time to finish
 *   versus the ideal 60 s (target ≤ 1.25×), nothing lost.
 * Both run the real scheduler, resource manager, HTTP layer and client
 * plugin on one main loop with the fake server. */
#include <stdio.h>

#include "../exec/exec-fixtures.h"
#include "fake-llm.h"

static json_object *summary;
static gboolean quick;

/* Runs @n independent LLM calls against @fake with the endpoint fields
 * @endpoint_json; returns the seconds from the first request to the last
 * reply. */
static double
run_calls(InfFakeLlm *fake, guint n, const char *endpoint_json, InfMetrics *metrics_out)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfPluginLoader *loader = inf_test_load_plugins(registry);
  g_autofree char *rtext =
      g_strdup_printf("{\"endpoints\": {\"api\": {\"provider\": \"openai\", \"model\": \"bench\", "
                      "\"base_url\": \"%s/v1\", %s}}}",
                      inf_fake_llm_get_base_url(fake), endpoint_json);
  json_object *rj = json_tokener_parse(rtext);
  g_autoptr(GError) error = NULL;
  InfResourcesConfig *rc = inf_resources_config_parse(rj, "bench", "resources", registry, &error);
  g_assert_no_error(error);
  json_object_put(rj);
  InfResourceManager *rm = inf_resource_manager_new(rc, registry, &error);
  g_assert_no_error(error);
  g_autofree char *options = g_strdup_printf(
      "{\"n\": %u, \"type\": \"llm-echo\", \"child_options\": {\"alias\": \"api\"}}", n);
  InfGraph *graph =
      exec_fixtures_trace(registry, "wide", options, (const char *const[]){ "x", NULL });
  guint failed = 0;
  double seconds = exec_fixtures_run_one(graph, rm, "rate limit benchmark prompt", &failed);
  if (failed)
    g_printerr("%u calls failed\n", failed);
  *metrics_out = *inf_resource_alias_get_metrics(inf_resource_manager_lookup(rm, "api"));
  metrics_out->alias = NULL;
  inf_graph_unref(graph);
  inf_resource_manager_free(rm);
  inf_resources_config_free(rc);
  inf_plugin_loader_free(loader);
  inf_registry_free(registry);
  return seconds;
}

static void
record(const char *bench, const char *key, double value)
{
  json_object *b;
  if (!json_object_object_get_ex(summary, bench, &b)) {
    b = json_object_new_object();
    json_object_object_add(summary, bench, b);
  }
  json_object_object_add(b, key, json_object_new_double(value));
}

static void
bench_accuracy(void)
{
  InfFakeLlm *fake = inf_fake_llm_new(NULL);
  g_assert_true(inf_fake_llm_start(fake, 0, NULL));
  guint n = quick ? 300 : 600;
  double rate = 20, burst = 1;
  InfMetrics m;
  double seconds =
      run_calls(fake, n, "\"rate_limit\": 20, \"burst\": 1, \"max_concurrent\": 64", &m);
  /* The first request goes at t=0, the n-th at (n-1)/rate. */
  double achieved = (double)(n - 1) / seconds;
  guint n_seconds = 0;
  const guint *hist = inf_fake_llm_get_histogram(fake, FALSE, &n_seconds);
  guint busiest = 0;
  for (guint i = 0; i < n_seconds; i++)
    busiest = MAX(busiest, hist[i]);
  printf("rate-limit accuracy: %u requests at rate_limit 20 in %.2f s → %.3f requests/s "
         "(%.2f%% off; target ±3%%); busiest second %u (bucket allows %.0f)\n",
         n, seconds, achieved, (achieved / rate - 1) * 100, busiest, rate + burst);
  record("accuracy", "achieved_rps", achieved);
  record("accuracy", "error_fraction", achieved / rate - 1);
  record("accuracy", "busiest_second", busiest);
  record("accuracy", "successes", (double)m.successes);
  inf_fake_llm_free(fake);
}

static void
bench_recovery(void)
{
  InfFakeLlm *fake = inf_fake_llm_new(NULL);
  g_assert_true(inf_fake_llm_start(fake, 0, NULL));
  inf_fake_llm_set_rate_limit(fake, 10, 10);
  guint n = quick ? 200 : 600;
  InfMetrics m;
  double seconds = run_calls(fake, n, "\"max_concurrent\": 16", &m);
  double ideal = (double)n / 10.0;
  InfFakeStats stats;
  inf_fake_llm_get_stats(fake, &stats);
  printf("429 recovery: %u requests against a 10 requests/s server in %.2f s; ideal %.0f s → "
         "%.3f× the ideal (target ≤ 1.25×); %" G_GUINT64_FORMAT " succeeded, %" G_GUINT64_FORMAT
         " rate-limited (429s seen by the server: %" G_GUINT64_FORMAT ")\n",
         n, seconds, ideal, seconds / ideal, m.successes, m.rate_limited, stats.rejected);
  record("recovery", "seconds", seconds);
  record("recovery", "ratio_to_ideal", seconds / ideal);
  record("recovery", "successes", (double)m.successes);
  record("recovery", "rate_limited", (double)m.rate_limited);
  inf_fake_llm_free(fake);
}

int
main(int argc, char **argv)
{
  const char *which = "all";
  const char *json_path = "bench-limits.json";
  for (int i = 1; i < argc; i++) {
    if (g_str_equal(argv[i], "--json") && i + 1 < argc)
      json_path = argv[++i];
    else if (g_str_equal(argv[i], "--quick"))
      quick = TRUE;
    else
      which = argv[i];
  }
  if (!g_getenv("INF_PLUGIN_PATH")) {
    g_printerr("set INF_PLUGIN_PATH (the build's plugin dir); tests/bench/run.sh does\n");
    return 2;
  }
  summary = json_object_new_object();
  gboolean all = g_str_equal(which, "all");
  if (all || g_str_equal(which, "accuracy"))
    bench_accuracy();
  if (all || g_str_equal(which, "recovery"))
    bench_recovery();
  json_object_to_file_ext(json_path, summary, JSON_C_TO_STRING_PRETTY);
  printf("summary written to %s\n", json_path);
  json_object_put(summary);
  return 0;
}
