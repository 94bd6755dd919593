/* InfMetrics: latency percentiles and the JSON form. */
#include <math.h>
#include <string.h>

#include "resources/metrics.h"

static void
test_percentiles(void)
{
  InfMetrics *m = inf_metrics_new("fast");
  for (int i = 1; i <= 1000; i++)
    inf_metrics_record_latency(m, (double)i); /* 1..1000 ms */
  double p50 = inf_metrics_latency_quantile(m, 0.5);
  double p95 = inf_metrics_latency_quantile(m, 0.95);
  double p99 = inf_metrics_latency_quantile(m, 0.99);
  g_assert_cmpfloat(fabs(p50 - 500) / 500, <, 0.02);
  g_assert_cmpfloat(fabs(p95 - 950) / 950, <, 0.02);
  g_assert_cmpfloat(fabs(p99 - 990) / 990, <, 0.02);
  g_assert_cmpfloat(m->latency_max_ms, ==, 1000);
  m->requests = 5;
  m->errors[INF_ERROR_TIMEOUT] = 2;
  m->cost = 0.5;
  json_object *json = inf_metrics_to_json(m);
  const char *text = json_object_to_json_string(json);
  g_assert_nonnull(strstr(text, "\"requests\": 5"));
  g_assert_nonnull(strstr(text, "\"timeout\": 2"));
  g_assert_nonnull(strstr(text, "\"p99\""));
  json_object_put(json);
  inf_metrics_free(m);
}

static void
test_empty(void)
{
  InfMetrics *m = inf_metrics_new("x");
  g_assert_cmpfloat(inf_metrics_latency_quantile(m, 0.5), ==, 0);
  inf_metrics_free(m);
}

/* Regression: usage near INT64_MAX overflowed into negative totals (and
 * undefined behaviour); sums saturate. */
static void
test_tokens_saturate(void)
{
  g_assert_cmpint(inf_tokens_add(G_MAXINT64 - 10, 5), ==, G_MAXINT64 - 5);
  g_assert_cmpint(inf_tokens_add(G_MAXINT64 - 10, 11), ==, G_MAXINT64);
  g_assert_cmpint(inf_tokens_add(G_MAXINT64, G_MAXINT64), ==, G_MAXINT64);
  g_assert_cmpint(inf_tokens_add(G_MININT64 + 1, -5), ==, G_MININT64);
  g_assert_cmpint(inf_tokens_add(3, -5), ==, -2);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/resources/metrics/percentiles", test_percentiles);
  g_test_add_func("/resources/metrics/empty", test_empty);
  g_test_add_func("/resources/metrics/tokens-saturate", test_tokens_saturate);
  return g_test_run();
}
