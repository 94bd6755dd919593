/* InfResponseCache — the run's LLM response cache in front of the resource
 * manager: hits from the store, single-flight for identical calls in flight,
 * and their metrics.
 *
 * A call with key K either
 *  - hits: the stored reply completes the call from the main loop (a later
 *    iteration, never inside begin()), with usage 0: a hit costs no tokens and
 *    no money anywhere; the usage it saved is counted in the alias's metrics;
 *  - joins: a call with the same K is in flight; this one completes, from
 *    the main loop, with that call's reply (usage 0, counted as shared) or its
 *    error, and never goes upstream;
 *  - misses: the caller makes the upstream call and ends it with finish(),
 *    which stores the reply (per the mode) and releases the joined calls.
 * In write and refresh modes the store is never read (joining still
 * applies). */
#pragma once

#include "resources/cache-store.h"
#include "resources/endpoint.h"
#include "resources/metrics.h"

G_BEGIN_DECLS

typedef struct _InfResponseCache InfResponseCache;

/* Called once per call: @response on success, else @error (both borrowed). */
typedef void (*InfResponseCacheDoneFunc)(const InfLlmResponse *response, const GError *error,
                                         gpointer user_data);

typedef enum {
  INF_CACHE_MISS,
  INF_CACHE_HIT,
  INF_CACHE_JOINED,
} InfCacheLookup;

/* Takes @store. */
InfResponseCache *inf_response_cache_new(InfCacheStore *store);
/* Completes what still waits as cancelled (INF_ERROR_CANCELLED; the caller
 * must have stopped starting calls); closes the store. */
void inf_response_cache_free(InfResponseCache *cache);
InfCacheStore *inf_response_cache_get_store(InfResponseCache *cache);

/* Fills @key for @request to the endpoint configured by @config (its key
 * prefix is computed once per endpoint). */
void inf_response_cache_make_key(InfResponseCache *cache, const InfEndpointConfig *config,
                                 const InfLlmRequest *request, InfCacheKey *key);

/* Starts a call for @key on behalf of an endpoint with @prices (for the
 * money saved) whose alias counts in @metrics. See above for the outcomes;
 * @done is called for HIT and JOINED only. */
InfCacheLookup inf_response_cache_begin(InfResponseCache *cache, const InfCacheKey *key,
                                        InfMetrics *metrics, const InfEndpointConfig *prices,
                                        InfResponseCacheDoneFunc done, gpointer user_data);
/* The upstream call of a MISS for @key ended with @response or @error.
 * @store: whether the reply may be stored (FALSE when the module rejected
 * it). Joined calls complete from the main loop. */
void inf_response_cache_finish(InfResponseCache *cache, const InfCacheKey *key,
                               const InfLlmResponse *response, const GError *error, gboolean store);
/* Whether calls joined the upstream call of a MISS for @key (they complete
 * with its reply or its error). */
gboolean inf_response_cache_has_joined(InfResponseCache *cache, const InfCacheKey *key);

G_END_DECLS
