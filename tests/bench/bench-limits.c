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

#include "bench-common.h"
#include "fake-llm.h"

static Bench bench;

/* Runs @n independent LLM calls against @fake with the endpoint fields
 * @endpoint_json; returns the seconds from the first request to the last
 * reply. */
static double
run_calls(InfFakeLlm *fake, guint n, const char *endpoint_json, InfMetrics *metrics_out)
{
  g_autofree char *resources =
      g_strdup_printf("{\"endpoints\": {\"api\": {\"provider\": \"openai\", \"model\": \"bench\", "
                      "\"base_url\": \"%s/v1\", %s}}}",
                      inf_fake_llm_get_base_url(fake), endpoint_json);
  BenchGraphRun run;
  bench_run_graph(resources, "wide", n, "api", "rate limit benchmark prompt", &run);
  if (run.n_failed)
    g_printerr("%u calls failed\n", run.n_failed);
  *metrics_out = run.metrics;
  return run.run_seconds;
}

static void
bench_accuracy(void)
{
  InfFakeLlm *fake = inf_test_fake_start();
  guint n = bench.quick ? 300 : 600;
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
  bench_record(&bench, "accuracy", "achieved_rps", achieved);
  bench_record(&bench, "accuracy", "error_fraction", achieved / rate - 1);
  bench_record(&bench, "accuracy", "busiest_second", busiest);
  bench_record(&bench, "accuracy", "successes", (double)m.successes);
  inf_test_fake_stop(fake);
}

static void
bench_recovery(void)
{
  InfFakeLlm *fake = inf_test_fake_start();
  inf_fake_llm_set_rate_limit(fake, 10, 10);
  guint n = bench.quick ? 200 : 600;
  InfMetrics m;
  double seconds = run_calls(fake, n, "\"max_concurrent\": 16", &m);
  double ideal = (double)n / 10.0;
  InfFakeStats stats;
  inf_fake_llm_get_stats(fake, &stats);
  printf("429 recovery: %u requests against a 10 requests/s server in %.2f s; ideal %.0f s → "
         "%.3f× the ideal (target ≤ 1.25×); %" G_GUINT64_FORMAT " succeeded, %" G_GUINT64_FORMAT
         " rate-limited (429s seen by the server: %" G_GUINT64_FORMAT ")\n",
         n, seconds, ideal, seconds / ideal, m.successes, m.rate_limited, stats.rejected);
  bench_record(&bench, "recovery", "seconds", seconds);
  bench_record(&bench, "recovery", "ratio_to_ideal", seconds / ideal);
  bench_record(&bench, "recovery", "successes", (double)m.successes);
  bench_record(&bench, "recovery", "rate_limited", (double)m.rate_limited);
  inf_test_fake_stop(fake);
}

int
main(int argc, char **argv)
{
  if (!g_getenv("INF_PLUGIN_PATH")) {
    g_printerr("set INF_PLUGIN_PATH (the build's plugin dir); tests/bench/run.sh does\n");
    return 2;
  }
  bench_init(&bench, argc, argv, "bench-limits.json");
  if (bench_selected(&bench, "accuracy"))
    bench_accuracy();
  if (bench_selected(&bench, "recovery"))
    bench_recovery();
  bench_finish(&bench);
  return 0;
}
