/* InfRateLimiter with explicit time: bucket, backoff, recovery, TPM. */
#include "resources/rate-limiter.h"

#define S 1000000

static void
test_bucket_rate(void)
{
  InfRateLimiterConfig c = { .rate = 10, .burst = 2 };
  InfRateLimiter *l = inf_rate_limiter_new(&c, 0);
  /* starts with one token */
  g_assert_cmpint(inf_rate_limiter_wait_us(l, 0), ==, 0);
  inf_rate_limiter_take(l, 0);
  g_assert_cmpint(inf_rate_limiter_wait_us(l, 0), ==, S / 10);
  g_assert_cmpint(inf_rate_limiter_wait_us(l, S / 20), ==, S / 20);
  g_assert_cmpint(inf_rate_limiter_wait_us(l, S / 10), ==, 0);
  inf_rate_limiter_take(l, S / 10);
  /* after a long idle time the bucket holds at most `burst` tokens */
  gint64 t = 10 * S;
  guint taken = 0;
  while (inf_rate_limiter_wait_us(l, t) == 0) {
    inf_rate_limiter_take(l, t);
    taken++;
  }
  g_assert_cmpuint(taken, ==, 2);
  /* over a simulated minute the rate is exactly 10/s */
  guint started = 0;
  for (gint64 now = t; now < t + 60 * S; now += 1000)
    while (inf_rate_limiter_wait_us(l, now) == 0) {
      inf_rate_limiter_take(l, now);
      started++;
    }
  g_assert_cmpuint(started, >=, 599);
  g_assert_cmpuint(started, <=, 601);
  inf_rate_limiter_free(l);
}

static void
test_unlimited(void)
{
  InfRateLimiterConfig c = { 0 };
  InfRateLimiter *l = inf_rate_limiter_new(&c, 0);
  for (int i = 0; i < 1000; i++) {
    g_assert_cmpint(inf_rate_limiter_wait_us(l, 0), ==, 0);
    inf_rate_limiter_take(l, 0);
  }
  g_assert_false(inf_rate_limiter_is_limited(l));
  inf_rate_limiter_free(l);
}

static void
test_backoff_with_hint_and_recovery(void)
{
  InfRateLimiterConfig c = { .rate = 20, .burst = 1, .recovery_factor = 2 };
  InfRateLimiter *l = inf_rate_limiter_new(&c, 0);
  inf_rate_limiter_backoff(l, S / 2, 0); /* Retry-After 0.5 s → 2 requests/s */
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 2.0, 1e-9);
  g_assert_cmpint(inf_rate_limiter_wait_us(l, 0), ==, S / 2); /* blocked for the hint */
  g_assert_cmpint(inf_rate_limiter_wait_us(l, S / 2), ==, 0);
  inf_rate_limiter_recover(l, S / 2);
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 4.0, 1e-9);
  for (int i = 0; i < 10; i++)
    inf_rate_limiter_recover(l, S / 2);
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 20.0, 1e-9); /* capped */
  inf_rate_limiter_free(l);
}

static void
test_backoff_without_hint_and_floor(void)
{
  InfRateLimiterConfig c = { .rate = 8, .burst = 1, .backoff_factor = 0.5, .floor = 1 };
  InfRateLimiter *l = inf_rate_limiter_new(&c, 0);
  inf_rate_limiter_backoff(l, -1, 0);
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 4.0, 1e-9);
  for (int i = 0; i < 10; i++)
    inf_rate_limiter_backoff(l, -1, 0);
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 1.0, 1e-9);
  inf_rate_limiter_free(l);

  /* an unlimited limiter that meets a 429 becomes limited */
  InfRateLimiterConfig u = { 0 };
  l = inf_rate_limiter_new(&u, 0);
  inf_rate_limiter_backoff(l, S / 10, 0);
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 10.0, 1e-9);
  g_assert_true(inf_rate_limiter_is_limited(l));
  inf_rate_limiter_free(l);
}

static void
test_backoff_capped_by_measured_rate(void)
{
  /* 10 successes per second, then a 429 whose hint (20 ms) would allow 50/s:
   * the rate drops to what actually succeeded. */
  InfRateLimiterConfig c = { 0 };
  InfRateLimiter *l = inf_rate_limiter_new(&c, 0);
  for (int i = 0; i < 20; i++)
    inf_rate_limiter_recover(l, (gint64)i * S / 10);
  inf_rate_limiter_backoff(l, S / 50, 2 * S); /* after a full second of history */
  double rate = inf_rate_limiter_get_rate(l);
  g_assert_cmpfloat(rate, >=, 9.0);
  g_assert_cmpfloat(rate, <=, 11.0);
  inf_rate_limiter_free(l);

  /* Within the first second nothing is known yet: the hint alone counts. */
  l = inf_rate_limiter_new(&c, 0);
  inf_rate_limiter_recover(l, S / 10);
  inf_rate_limiter_recover(l, S / 5);
  inf_rate_limiter_backoff(l, S / 50, S / 4);
  g_assert_cmpfloat_with_epsilon(inf_rate_limiter_get_rate(l), 50.0, 1e-9);
  inf_rate_limiter_free(l);
}

static void
test_tokens_per_minute(void)
{
  InfRateLimiterConfig c = { .tokens_per_minute = 600 };
  InfRateLimiter *l = inf_rate_limiter_new(&c, 0);
  g_assert_cmpint(inf_rate_limiter_wait_us(l, 0), ==, 0);
  inf_rate_limiter_add_tokens(l, 700, 0); /* 100 over budget */
  gint64 wait = inf_rate_limiter_wait_us(l, 0);
  /* 10 tokens/s: 101 tokens to get back above zero → ~10.1 s */
  g_assert_cmpint(wait, >=, 10 * S);
  g_assert_cmpint(wait, <=, 10 * S + S / 5);
  g_assert_cmpint(inf_rate_limiter_wait_us(l, wait), ==, 0);
  inf_rate_limiter_free(l);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/resources/rate-limiter/bucket-rate", test_bucket_rate);
  g_test_add_func("/resources/rate-limiter/unlimited", test_unlimited);
  g_test_add_func("/resources/rate-limiter/backoff-hint-recovery",
                  test_backoff_with_hint_and_recovery);
  g_test_add_func("/resources/rate-limiter/backoff-floor", test_backoff_without_hint_and_floor);
  g_test_add_func("/resources/rate-limiter/backoff-capped-by-measured-rate",
                  test_backoff_capped_by_measured_rate);
  g_test_add_func("/resources/rate-limiter/tokens-per-minute", test_tokens_per_minute);
  return g_test_run();
}
