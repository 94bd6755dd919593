#include "resources/metrics.h"

#include <math.h>

/* Buckets: 100 per decade from 1 µs (index 0) to 10^12 µs. */
#define BUCKETS_PER_DECADE 100.0

InfMetrics *
inf_metrics_new(const char *alias)
{
  InfMetrics *metrics = g_new0(InfMetrics, 1);
  metrics->alias = g_strdup(alias);
  return metrics;
}

void
inf_metrics_free(InfMetrics *metrics)
{
  if (!metrics)
    return;
  g_free(metrics->alias);
  g_free(metrics);
}

void
inf_metrics_record_latency(InfMetrics *metrics, double ms)
{
  double us = MAX(ms * 1000.0, 1.0);
  gint index = (gint)floor(log10(us) * BUCKETS_PER_DECADE);
  index = CLAMP(index, 0, INF_METRICS_N_BUCKETS - 1);
  metrics->latency_buckets[index]++;
  metrics->latency_count++;
  metrics->latency_max_ms = MAX(metrics->latency_max_ms, ms);
}

double
inf_metrics_latency_quantile(const InfMetrics *metrics, double q)
{
  if (metrics->latency_count == 0)
    return 0;
  guint64 target = (guint64)ceil(CLAMP(q, 0.0, 1.0) * (double)metrics->latency_count);
  target = MAX(target, 1);
  guint64 seen = 0;
  for (gint i = 0; i < INF_METRICS_N_BUCKETS; i++) {
    seen += metrics->latency_buckets[i];
    if (seen >= target) {
      /* the bucket's midpoint (geometric), in ms */
      double us = pow(10.0, ((double)i + 0.5) / BUCKETS_PER_DECADE);
      return MIN(us / 1000.0, metrics->latency_max_ms);
    }
  }
  return metrics->latency_max_ms;
}

json_object *
inf_metrics_to_json(const InfMetrics *metrics)
{
  json_object *obj = json_object_new_object();
  json_object_object_add(obj, "requests", json_object_new_int64((gint64)metrics->requests));
  json_object_object_add(obj, "successes", json_object_new_int64((gint64)metrics->successes));
  json_object_object_add(obj, "failures", json_object_new_int64((gint64)metrics->failures));
  json_object *errors = json_object_new_object();
  for (gint code = 0; code < INF_METRICS_N_CODES; code++)
    if (metrics->errors[code])
      json_object_object_add(errors, inf_error_code_name((InfErrorCode)code),
                             json_object_new_int64((gint64)metrics->errors[code]));
  json_object_object_add(obj, "errors", errors);
  json_object_object_add(obj, "rate_limited", json_object_new_int64((gint64)metrics->rate_limited));
  json_object_object_add(obj, "retries", json_object_new_int64((gint64)metrics->retries));
  json_object *latency = json_object_new_object();
  json_object_object_add(latency, "p50", json_object_new_double(inf_metrics_latency_quantile(metrics, 0.50)));
  json_object_object_add(latency, "p95", json_object_new_double(inf_metrics_latency_quantile(metrics, 0.95)));
  json_object_object_add(latency, "p99", json_object_new_double(inf_metrics_latency_quantile(metrics, 0.99)));
  json_object_object_add(latency, "max", json_object_new_double(metrics->latency_max_ms));
  json_object_object_add(obj, "latency_ms", latency);
  json_object *tokens = json_object_new_object();
  json_object_object_add(tokens, "input", json_object_new_int64(metrics->input_tokens));
  json_object_object_add(tokens, "output", json_object_new_int64(metrics->output_tokens));
  json_object_object_add(obj, "tokens", tokens);
  json_object_object_add(obj, "cost", json_object_new_double(metrics->cost));
  return obj;
}
