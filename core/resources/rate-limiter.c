#include "resources/rate-limiter.h"

#include <math.h>

struct _InfRateLimiter {
  InfRateLimiterConfig config;
  double rate;   /* current rate, 0: unlimited */
  double tokens; /* request tokens in the bucket */
  gint64 last_us;
  gint64 blocked_until_us;
  /* tokens-per-minute budget: a bucket of tokens_per_minute refilling per µs */
  double tpm_tokens;
  gint64 tpm_last_us;
  /* successes in the current and the previous one-second window */
  gint64 created_us;
  gint64 window_start_us;
  guint window_successes;
  guint previous_successes;
};

#define WINDOW_US G_GINT64_CONSTANT(1000000)

static void
roll_window(InfRateLimiter *limiter, gint64 now_us)
{
  if (now_us - limiter->window_start_us < WINDOW_US)
    return;
  gboolean adjacent = now_us - limiter->window_start_us < 2 * WINDOW_US;
  limiter->previous_successes = adjacent ? limiter->window_successes : 0;
  limiter->window_successes = 0;
  limiter->window_start_us = adjacent ? limiter->window_start_us + WINDOW_US : now_us;
}

/* Successes per second over the last second (the previous window weighted
 * by how much of it is still within that second), or 0 when unknown. */
static double
measured_rate(InfRateLimiter *limiter, gint64 now_us)
{
  roll_window(limiter, now_us);
  double into = (double)(now_us - limiter->window_start_us) / (double)WINDOW_US;
  return (double)limiter->window_successes + (double)limiter->previous_successes * (1.0 - into);
}

InfRateLimiter *
inf_rate_limiter_new(const InfRateLimiterConfig *config, gint64 now_us)
{
  InfRateLimiter *limiter = g_new0(InfRateLimiter, 1);
  limiter->config = *config;
  if (limiter->config.burst < 1)
    limiter->config.burst = MAX(1.0, config->rate);
  if (limiter->config.backoff_factor <= 0 || limiter->config.backoff_factor >= 1)
    limiter->config.backoff_factor = 0.5;
  if (limiter->config.recovery_factor <= 1)
    limiter->config.recovery_factor = 1.02;
  if (limiter->config.floor <= 0)
    limiter->config.floor = 0.1;
  if (config->rate > 0 && limiter->config.floor > config->rate)
    limiter->config.floor = config->rate;
  limiter->rate = config->rate;
  /* Start with one token, not a full bucket: the first second then runs at
   * the configured rate instead of bursting `burst` requests at once. */
  limiter->tokens = 1;
  limiter->last_us = now_us;
  limiter->tpm_tokens = (double)config->tokens_per_minute;
  limiter->tpm_last_us = now_us;
  limiter->created_us = now_us;
  limiter->window_start_us = now_us;
  return limiter;
}

void
inf_rate_limiter_free(InfRateLimiter *limiter)
{
  g_free(limiter);
}

static void
refill(InfRateLimiter *limiter, gint64 now_us)
{
  if (now_us > limiter->last_us) {
    if (limiter->rate > 0)
      limiter->tokens =
          MIN(limiter->config.burst,
              limiter->tokens + (double)(now_us - limiter->last_us) * limiter->rate / 1e6);
    limiter->last_us = now_us;
  }
  if (limiter->config.tokens_per_minute > 0 && now_us > limiter->tpm_last_us) {
    double per_us = (double)limiter->config.tokens_per_minute / 60e6;
    limiter->tpm_tokens =
        MIN((double)limiter->config.tokens_per_minute,
            limiter->tpm_tokens + (double)(now_us - limiter->tpm_last_us) * per_us);
    limiter->tpm_last_us = now_us;
  }
}

gint64
inf_rate_limiter_wait_us(InfRateLimiter *limiter, gint64 now_us)
{
  if (now_us < limiter->blocked_until_us)
    return limiter->blocked_until_us - now_us;
  refill(limiter, now_us);
  gint64 wait = 0;
  if (limiter->rate > 0 && limiter->tokens < 1)
    wait = (gint64)ceil((1 - limiter->tokens) * 1e6 / limiter->rate);
  if (limiter->config.tokens_per_minute > 0 && limiter->tpm_tokens <= 0) {
    double per_us = (double)limiter->config.tokens_per_minute / 60e6;
    wait = MAX(wait, (gint64)ceil((1 - limiter->tpm_tokens) / per_us));
  }
  return wait;
}

void
inf_rate_limiter_take(InfRateLimiter *limiter, gint64 now_us)
{
  refill(limiter, now_us);
  if (limiter->rate > 0)
    limiter->tokens -= 1;
}

void
inf_rate_limiter_give_back(InfRateLimiter *limiter)
{
  if (limiter->rate > 0)
    limiter->tokens = MIN(limiter->config.burst, limiter->tokens + 1);
}

void
inf_rate_limiter_add_tokens(InfRateLimiter *limiter, gint64 tokens, gint64 now_us)
{
  if (limiter->config.tokens_per_minute <= 0 || tokens <= 0)
    return;
  refill(limiter, now_us);
  limiter->tpm_tokens -= (double)tokens;
}

void
inf_rate_limiter_backoff(InfRateLimiter *limiter, gint64 retry_after_us, gint64 now_us)
{
  refill(limiter, now_us);
  double rate = limiter->rate;
  if (retry_after_us > 0) {
    double hinted = 1e6 / (double)retry_after_us;
    rate = rate > 0 ? MIN(rate, hinted) : hinted;
    limiter->blocked_until_us = MAX(limiter->blocked_until_us, now_us + retry_after_us);
  } else {
    /* No hint: an unlimited limiter starts from a rate it can recover from. */
    rate = rate > 0 ? rate * limiter->config.backoff_factor
                    : MAX(limiter->config.floor, 10.0 * limiter->config.backoff_factor);
  }
  /* Only a full second of history says what the server sustains. */
  double measured = measured_rate(limiter, now_us);
  if (now_us - limiter->created_us >= WINDOW_US && measured >= 1.0)
    rate = MIN(rate, measured);
  limiter->rate = MAX(rate, limiter->config.floor);
  limiter->tokens = 0;
}

void
inf_rate_limiter_recover(InfRateLimiter *limiter, gint64 now_us)
{
  roll_window(limiter, now_us);
  limiter->window_successes++;
  if (limiter->rate <= 0)
    return;
  double rate = limiter->rate * limiter->config.recovery_factor;
  if (limiter->config.rate > 0)
    rate = MIN(rate, limiter->config.rate);
  limiter->rate = rate;
}

gboolean
inf_rate_limiter_is_blocked(const InfRateLimiter *limiter, gint64 now_us)
{
  return now_us < limiter->blocked_until_us;
}

double
inf_rate_limiter_get_rate(const InfRateLimiter *limiter)
{
  return limiter->rate;
}

gboolean
inf_rate_limiter_is_limited(const InfRateLimiter *limiter)
{
  return limiter->rate > 0 || limiter->config.tokens_per_minute > 0;
}
