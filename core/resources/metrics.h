/* Per-alias metrics: requests, successes, errors by kind, rate-limited,
 * retries, latency percentiles (a log-bucket histogram: memory is constant
 * however many calls), tokens and cost. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

#define INF_METRICS_N_CODES 16
#define INF_METRICS_N_BUCKETS 1200

typedef struct {
  char *alias;
  guint64 requests; /* attempts sent to a backend */
  guint64 successes;
  guint64 failures;                    /* calls that failed for good */
  guint64 errors[INF_METRICS_N_CODES]; /* every error attempt, by InfErrorCode */
  guint64 rate_limited;
  guint64 retries;
  gint64 input_tokens;
  gint64 output_tokens;
  gint64 reasoning_tokens; /* part of output_tokens */
  double cost;
  GHashTable *finish_reasons; /* reason -> count (GUINT_TO_POINTER) of successful replies */
  guint64 latency_count;
  double latency_max_ms;
  guint32 latency_buckets[INF_METRICS_N_BUCKETS];
  /* the response cache (all 0 without one) */
  guint64 cache_hits;   /* calls answered from the cache file */
  guint64 cache_shared; /* calls answered by an identical call in flight */
  guint64 cache_misses; /* calls that went upstream through the cache */
  gint64 cache_saved_input_tokens;
  gint64 cache_saved_output_tokens;
  double cache_saved_cost;
} InfMetrics;

/* @a + @b for token counts, saturating at G_MAXINT64 / G_MININT64 instead of
 * overflowing (a server may report absurd usage). */
static inline gint64
inf_tokens_add(gint64 a, gint64 b)
{
  gint64 sum;
  if (__builtin_add_overflow(a, b, &sum))
    return b > 0 ? G_MAXINT64 : G_MININT64;
  return sum;
}

InfMetrics *inf_metrics_new(const char *alias);
void inf_metrics_free(InfMetrics *metrics);
void inf_metrics_record_latency(InfMetrics *metrics, double ms);
/* Counts a successful reply's finish reason ("stop", "length", ...). */
void inf_metrics_count_finish_reason(InfMetrics *metrics, const char *reason);
/* "stop 10, length 2" (reasons sorted by name), or "" before any; free with
 * g_free. */
char *inf_metrics_format_finish_reasons(const InfMetrics *metrics);
/* The @q quantile (0..1) of recorded latencies in ms (about 1% precision). */
double inf_metrics_latency_quantile(const InfMetrics *metrics, double q);
/* {"alias": {...}} fields: requests, successes, failures, errors {kind: n},
 * rate_limited, retries, latency_ms {p50, p95, p99, max}, tokens {input,
 * output}, cost; and, when the response cache saw calls, cache {hits, shared,
 * misses, saved_tokens {input, output}, saved_cost}. Requests, tokens and
 * cost count upstream calls only: a cache hit costs nothing. */
json_object *inf_metrics_to_json(const InfMetrics *metrics);

G_END_DECLS
