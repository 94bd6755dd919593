/* Endpoint configuration: the `resources` block of a config (or the file
 * given with --resources).
 *
 *   "resources": {
 *     "max_total_concurrent": 256,          optional, global cap on LLM calls in flight
 *     "max_inflight_graphs": 1024,          optional, inputs in flight
 *     "budget": { "max_cost": 5.0, ... },    optional, spend limits (resources/budget.h)
 *     "cache": { "path": "replies.db", ... }  optional, the response cache
 *     "endpoints": {
 *       "fast":  { "provider": "mock", "model": "m", "max_concurrent": 64, ... },
 *       "smart": [ { "provider": "openai", ... }, { ... } ]      a pool
 *     }
 *   }
 */
#pragma once

#include <inf/inf.h>

#include "resources/budget.h"
#include "resources/cache-config.h"

G_BEGIN_DECLS

typedef struct {
  char *alias;
  char *provider; /* client class name */
  const InfClientClass *klass;
  char *model;
  char *base_url; /* without trailing slash, or NULL */
  char *api_key_env;
  char *ca_file;
  gint max_concurrent;        /* 0: unlimited */
  double rate_limit;          /* requests/s, 0: unlimited */
  double burst;               /* bucket size, default max(1, rate_limit) */
  gint64 tokens_per_minute;   /* 0: unlimited */
  gint max_retries;           /* transient errors */
  double retry_delay;         /* seconds, first backoff */
  double timeout;             /* seconds per request */
  double max_rate_limit_wait; /* seconds one node may keep waiting on 429s, then it fails */
  double max_retry_after;     /* seconds: cap on any wait a server asks for (Retry-After, ...) */
  gint64 max_response_bytes;  /* reply size limit */
  double input_cost_per_1m;
  double output_cost_per_1m;
  json_object *provider_options; /* the remaining keys, validated against klass->options */
  char *json_path;               /* "resources.endpoints.fast[1]" for messages */
} InfEndpointConfig;

typedef struct {
  char *name;
  GPtrArray *endpoints; /* InfEndpointConfig * */
} InfAliasConfig;

typedef struct {
  char *file;                /* where it was read from, for messages */
  gint max_total_concurrent; /* 0: unlimited */
  gint max_inflight_graphs;  /* 0: the run's default */
  GPtrArray *aliases;        /* InfAliasConfig *, in file order */
  InfBudgetConfig *budget;   /* the budget block, or NULL */
  InfCacheConfig *cache;     /* the cache block, or NULL */
} InfResourcesConfig;

/* The endpoint fields (provider, model, base_url, ..., output_cost_per_1m)
 * as an option table, with their types, defaults, bounds and descriptions:
 * what `inf-engine inspect` shows for a client class besides its provider
 * options. Static, ended by an entry whose name is NULL. */
const InfOptionSpec *inf_endpoint_fields(void);

/* Parses and validates @json (the resources object). Errors name @file and
 * the JSON path under @json_path ("resources"), e.g. unknown provider (listing
 * the registered client classes), unknown or mistyped field. */
InfResourcesConfig *inf_resources_config_parse(json_object *json, const char *file,
                                               const char *json_path, InfRegistry *registry,
                                               GError **error);
void inf_resources_config_free(InfResourcesConfig *config);
const InfAliasConfig *inf_resources_config_lookup(const InfResourcesConfig *config,
                                                  const char *alias);
/* Alias names, in file order (free with g_strfreev). */
char **inf_resources_config_list_aliases(const InfResourcesConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfResourcesConfig, inf_resources_config_free)

G_END_DECLS
