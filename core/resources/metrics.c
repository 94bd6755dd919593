#include "resources/metrics.h"

#include <math.h>

/* Buckets: 100 per decade from 1 µs (index 0) to 10^12 µs. */
#define BUCKETS_PER_DECADE 100.0

InfMetrics *
inf_metrics_new(const char *alias)
{
  InfMetrics *metrics = g_new0(InfMetrics, 1);
  metrics->alias = g_strdup(alias);
  metrics->finish_reasons = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return metrics;
}

void
inf_metrics_free(InfMetrics *metrics)
{
  if (!metrics)
    return;
  g_free(metrics->alias);
  g_hash_table_unref(metrics->finish_reasons);
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

void
inf_metrics_count_finish_reason(InfMetrics *metrics, const char *reason)
{
  if (!reason)
    reason = "stop";
  /* Once per call: a known reason keeps its key (no copy, no free). */
  gpointer key = NULL, count = NULL;
  if (!g_hash_table_steal_extended(metrics->finish_reasons, reason, &key, &count))
    key = g_strdup(reason);
  g_hash_table_insert(metrics->finish_reasons, key, GUINT_TO_POINTER(GPOINTER_TO_UINT(count) + 1));
}

static GList *
sorted_reasons(const InfMetrics *metrics)
{
  return g_list_sort(g_hash_table_get_keys(metrics->finish_reasons), (GCompareFunc)g_strcmp0);
}

char *
inf_metrics_format_finish_reasons(const InfMetrics *metrics)
{
  GString *text = g_string_new(NULL);
  GList *keys = sorted_reasons(metrics);
  for (GList *l = keys; l; l = l->next)
    g_string_append_printf(text, "%s%s %u", text->len ? ", " : "", (const char *)l->data,
                           GPOINTER_TO_UINT(g_hash_table_lookup(metrics->finish_reasons, l->data)));
  g_list_free(keys);
  return g_string_free(text, FALSE);
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
  json_object_object_add(latency, "p50",
                         json_object_new_double(inf_metrics_latency_quantile(metrics, 0.50)));
  json_object_object_add(latency, "p95",
                         json_object_new_double(inf_metrics_latency_quantile(metrics, 0.95)));
  json_object_object_add(latency, "p99",
                         json_object_new_double(inf_metrics_latency_quantile(metrics, 0.99)));
  json_object_object_add(latency, "max", json_object_new_double(metrics->latency_max_ms));
  json_object_object_add(obj, "latency_ms", latency);
  json_object *tokens = json_object_new_object();
  json_object_object_add(tokens, "input", json_object_new_int64(metrics->input_tokens));
  json_object_object_add(tokens, "output", json_object_new_int64(metrics->output_tokens));
  json_object_object_add(tokens, "reasoning", json_object_new_int64(metrics->reasoning_tokens));
  json_object_object_add(obj, "tokens", tokens);
  json_object *reasons = json_object_new_object();
  GList *keys = sorted_reasons(metrics);
  for (GList *l = keys; l; l = l->next)
    json_object_object_add(reasons, l->data,
                           json_object_new_int64(GPOINTER_TO_UINT(
                               g_hash_table_lookup(metrics->finish_reasons, l->data))));
  g_list_free(keys);
  json_object_object_add(obj, "finish_reasons", reasons);
  json_object_object_add(obj, "cost", json_object_new_double(metrics->cost));
  if (metrics->cache_hits + metrics->cache_shared + metrics->cache_misses > 0) {
    json_object *cache = json_object_new_object();
    json_object_object_add(cache, "hits", json_object_new_int64((gint64)metrics->cache_hits));
    json_object_object_add(cache, "shared", json_object_new_int64((gint64)metrics->cache_shared));
    json_object_object_add(cache, "misses", json_object_new_int64((gint64)metrics->cache_misses));
    json_object *saved = json_object_new_object();
    json_object_object_add(saved, "input",
                           json_object_new_int64(metrics->cache_saved_input_tokens));
    json_object_object_add(saved, "output",
                           json_object_new_int64(metrics->cache_saved_output_tokens));
    json_object_object_add(cache, "saved_tokens", saved);
    json_object_object_add(cache, "saved_cost", json_object_new_double(metrics->cache_saved_cost));
    json_object_object_add(obj, "cache", cache);
  }
  return obj;
}
