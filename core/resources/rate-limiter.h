/* InfRateLimiter — a token bucket with adaptive backoff.
 *
 * The bucket holds up to `burst` tokens and refills at the current rate.
 * On a 429 the rate drops to 1/retry_after when the server gave a hint, else
 * by the backoff factor, capped by the success rate just measured, never
 * below the floor, and the bucket stays empty until the hint has passed. Each success raises the rate by the recovery
 * factor, up to the configured rate (an unlimited limiter that saw a 429
 * keeps probing upward). A tokens-per-minute budget runs beside the request
 * rate. Time is passed in (monotonic µs) so it is testable. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double rate;              /* configured requests/s; 0: unlimited */
  double burst;             /* bucket size (>= 1) */
  gint64 tokens_per_minute; /* 0: unlimited */
  double backoff_factor;    /* rate multiplier on a 429 without hint (default 0.5) */
  double recovery_factor;   /* rate multiplier per success (default 1.02) */
  double floor;             /* lowest rate (default 0.1 requests/s) */
} InfRateLimiterConfig;

typedef struct _InfRateLimiter InfRateLimiter;

InfRateLimiter *inf_rate_limiter_new(const InfRateLimiterConfig *config, gint64 now_us);
void inf_rate_limiter_free(InfRateLimiter *limiter);
/* 0 when a request may start now, else the µs to wait. */
gint64 inf_rate_limiter_wait_us(InfRateLimiter *limiter, gint64 now_us);
/* Takes one request token (call only when wait_us() returned 0). */
void inf_rate_limiter_take(InfRateLimiter *limiter, gint64 now_us);
/* Gives back a token taken for a request that was not sent (a cache hit). */
void inf_rate_limiter_give_back(InfRateLimiter *limiter);
/* Records the tokens a finished call used (the per-minute budget). */
void inf_rate_limiter_add_tokens(InfRateLimiter *limiter, gint64 tokens, gint64 now_us);
/* A 429: @retry_after_us < 0 when the server gave no hint. The new rate is
 * 1/retry_after (or the current rate times the backoff factor without a
 * hint), but never above the rate of successes over the last second: a
 * hint says when the next request may go, which can be much sooner than the
 * server's sustained rate. */
void inf_rate_limiter_backoff(InfRateLimiter *limiter, gint64 retry_after_us, gint64 now_us);
/* A success. */
void inf_rate_limiter_recover(InfRateLimiter *limiter, gint64 now_us);
/* The current rate in requests/s (0: unlimited). */
double inf_rate_limiter_get_rate(const InfRateLimiter *limiter);
/* Whether a server-requested wait (a 429's Retry-After) blocks it at @now_us. */
gboolean inf_rate_limiter_is_blocked(const InfRateLimiter *limiter, gint64 now_us);
gboolean inf_rate_limiter_is_limited(const InfRateLimiter *limiter);

G_END_DECLS
