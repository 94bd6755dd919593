/* The run's LLM response cache: hits, single-flight, metrics (see
 * response-cache.h). */
#include "resources/response-cache.h"

typedef struct {
  InfResponseCacheDoneFunc done;
  gpointer user_data;
  InfMetrics *metrics;
  const InfEndpointConfig *prices;
} Waiter;

typedef struct {
  InfCacheKey key;
  GArray *waiters; /* Waiter */
} Flight;

/* A completion waiting for the main loop. */
typedef struct {
  InfResponseCacheDoneFunc done;
  gpointer user_data;
  InfLlmResponse *response;
  GError *error;
} Delivery;

typedef struct {
  GSource source;
  InfResponseCache *cache;
} DeliverySource;

struct _InfResponseCache {
  InfCacheStore *store;
  GHashTable *flights; /* InfCacheKey * (the flight's) -> Flight * */
  GQueue deliveries;   /* Delivery * */
  GSource *source;
  GHashTable *prefixes; /* InfEndpointConfig * -> its key prefix */
};

static void
delivery_free(gpointer data)
{
  Delivery *d = data;
  inf_llm_response_free(d->response);
  if (d->error)
    g_error_free(d->error);
  g_free(d);
}

static gboolean
delivery_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void)callback;
  (void)user_data;
  InfResponseCache *cache = ((DeliverySource *)source)->cache;
  /* Only what was queued before this dispatch: completions start new calls,
   * whose hits wait for a later iteration. */
  guint n = cache->deliveries.length;
  g_source_set_ready_time(source, -1);
  for (guint i = 0; i < n; i++) {
    Delivery *d = g_queue_pop_head(&cache->deliveries);
    d->done(d->response, d->error, d->user_data);
    delivery_free(d);
  }
  if (cache->deliveries.length)
    g_source_set_ready_time(source, 0);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs delivery_source_funcs = {
  .dispatch = delivery_dispatch,
};

static void
deliver(InfResponseCache *cache, InfResponseCacheDoneFunc done, gpointer user_data,
        InfLlmResponse *response, GError *error)
{
  Delivery *d = g_new(Delivery, 1);
  *d = (Delivery){ done, user_data, response, error };
  g_queue_push_tail(&cache->deliveries, d);
  g_source_set_ready_time(cache->source, 0);
}

static void
flight_free(gpointer data)
{
  Flight *flight = data;
  g_array_unref(flight->waiters);
  g_free(flight);
}

InfResponseCache *
inf_response_cache_new(InfCacheStore *store)
{
  InfResponseCache *cache = g_new0(InfResponseCache, 1);
  cache->store = store;
  cache->flights =
      g_hash_table_new_full(inf_cache_key_hash, inf_cache_key_equal, NULL, flight_free);
  g_queue_init(&cache->deliveries);
  cache->prefixes = g_hash_table_new_full(NULL, NULL, NULL, g_free);
  cache->source = g_source_new(&delivery_source_funcs, sizeof(DeliverySource));
  ((DeliverySource *)cache->source)->cache = cache;
  g_source_set_name(cache->source, "inf-response-cache");
  g_source_attach(cache->source, NULL);
  return cache;
}

void
inf_response_cache_free(InfResponseCache *cache)
{
  if (!cache)
    return;
  /* Calls still waiting (for the main loop, or for a call in flight)
   * complete as cancelled, so that their callers free what they hold; the
   * caller has stopped starting new calls. */
  for (;;) {
    GHashTableIter iter;
    Flight *flight = NULL;
    g_hash_table_iter_init(&iter, cache->flights);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&flight)) {
      for (guint i = 0; i < flight->waiters->len; i++) {
        Waiter *w = &g_array_index(flight->waiters, Waiter, i);
        deliver(cache, w->done, w->user_data, NULL, NULL);
      }
    }
    g_hash_table_remove_all(cache->flights);
    Delivery *d = g_queue_pop_head(&cache->deliveries);
    if (!d)
      break;
    g_autoptr(GError) error =
        g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "cancelled: the run ended");
    d->done(NULL, error, d->user_data);
    delivery_free(d);
  }
  g_source_destroy(cache->source);
  g_source_unref(cache->source);
  g_hash_table_unref(cache->flights);
  g_hash_table_unref(cache->prefixes);
  inf_cache_store_close(cache->store);
  g_free(cache);
}

InfCacheStore *
inf_response_cache_get_store(InfResponseCache *cache)
{
  return cache->store;
}

void
inf_response_cache_make_key(InfResponseCache *cache, const InfEndpointConfig *config,
                            const InfLlmRequest *request, InfCacheKey *key)
{
  const char *prefix = g_hash_table_lookup(cache->prefixes, config);
  if (!prefix) {
    char *made = inf_cache_key_prefix(config->provider, config->model, config->provider_options);
    g_hash_table_insert(cache->prefixes, (gpointer)config, made);
    prefix = made;
  }
  inf_cache_key_init_prefixed(key, prefix, request);
}

static double
price(const InfEndpointConfig *prices, gint64 in, gint64 out)
{
  return ((double)in * prices->input_cost_per_1m + (double)out * prices->output_cost_per_1m) / 1e6;
}

/* A copy of @response for a call that did not go upstream: usage 0. */
static InfLlmResponse *
free_copy(const InfLlmResponse *response)
{
  InfLlmResponse *copy = inf_llm_response_new();
  inf_llm_response_set_content(copy, inf_llm_response_get_content(response));
  inf_llm_response_set_finish_reason(copy, inf_llm_response_get_finish_reason(response));
  inf_llm_response_set_model(copy, inf_llm_response_get_model(response));
  inf_llm_response_set_refusal(copy, inf_llm_response_get_refusal(response));
  const char *reasoning = inf_llm_response_get_reasoning(response);
  if (reasoning)
    inf_llm_response_append_reasoning(copy, reasoning, -1);
  return copy;
}

static void
count_saved(InfMetrics *metrics, const InfEndpointConfig *prices, const InfLlmResponse *response)
{
  gint64 in = inf_llm_response_get_input_tokens(response);
  gint64 out = inf_llm_response_get_output_tokens(response);
  metrics->cache_saved_input_tokens += in;
  metrics->cache_saved_output_tokens += out;
  metrics->cache_saved_cost += price(prices, in, out);
}

InfCacheLookup
inf_response_cache_begin(InfResponseCache *cache, const InfCacheKey *key, InfMetrics *metrics,
                         const InfEndpointConfig *prices, InfResponseCacheDoneFunc done,
                         gpointer user_data)
{
  Waiter waiter = { done, user_data, metrics, prices };
  Flight *flight = g_hash_table_lookup(cache->flights, key);
  if (flight) {
    g_array_append_val(flight->waiters, waiter);
    return INF_CACHE_JOINED;
  }
  InfCacheMode mode = inf_cache_store_get_config(cache->store)->mode;
  if (mode == INF_CACHE_MODE_READWRITE || mode == INF_CACHE_MODE_READ) {
    InfLlmResponse *stored = inf_cache_store_lookup(cache->store, key);
    if (stored) {
      metrics->cache_hits++;
      count_saved(metrics, prices, stored);
      inf_llm_response_set_usage(stored, 0, 0);
      inf_llm_response_set_reasoning_tokens(stored, 0);
      deliver(cache, done, user_data, stored, NULL);
      return INF_CACHE_HIT;
    }
  }
  metrics->cache_misses++;
  flight = g_new0(Flight, 1);
  flight->key = *key;
  flight->waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
  g_hash_table_insert(cache->flights, &flight->key, flight);
  return INF_CACHE_MISS;
}

void
inf_response_cache_finish(InfResponseCache *cache, const InfCacheKey *key,
                          const InfLlmResponse *response, const GError *error, gboolean store)
{
  Flight *flight = NULL;
  if (!g_hash_table_steal_extended(cache->flights, key, NULL, (gpointer *)&flight))
    return;
  if (response && store)
    inf_cache_store_put(cache->store, key, response);
  for (guint i = 0; i < flight->waiters->len; i++) {
    Waiter *w = &g_array_index(flight->waiters, Waiter, i);
    if (response) {
      w->metrics->cache_shared++;
      count_saved(w->metrics, w->prices, response);
      deliver(cache, w->done, w->user_data, free_copy(response), NULL);
    } else {
      deliver(cache, w->done, w->user_data, NULL, g_error_copy(error));
    }
  }
  flight_free(flight);
}

gboolean
inf_response_cache_has_joined(InfResponseCache *cache, const InfCacheKey *key)
{
  Flight *flight = g_hash_table_lookup(cache->flights, key);
  return flight && flight->waiters->len > 0;
}
