/* InfCacheConfig — the `cache` block of resources (and the run's --cache,
 * --no-cache and --cache-mode, which override it).
 *
 *   "cache": {
 *     "path": "replies.db",          the SQLite file (created when missing)
 *     "max_bytes": 1073741824,       bound on the stored entries (LRU eviction)
 *     "mode": "readwrite",           read | write | readwrite | refresh
 *     "store_truncated": false       also store replies cut at max_tokens
 *   }
 */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef enum {
  INF_CACHE_MODE_READWRITE, /* answer from the cache, store new replies */
  INF_CACHE_MODE_READ,      /* answer from the cache, store nothing */
  INF_CACHE_MODE_WRITE,     /* always call, store replies not stored yet */
  INF_CACHE_MODE_REFRESH,   /* always call, store every reply (replacing) */
} InfCacheMode;

#define INF_CACHE_DEFAULT_MAX_BYTES (G_GINT64_CONSTANT(1) << 30)

typedef struct {
  char *path; /* NULL: no cache (unless --cache gives one) */
  gint64 max_bytes;
  InfCacheMode mode;
  gboolean store_truncated;
} InfCacheConfig;

/* Defaults: no path, 1 GiB, readwrite, truncated replies not stored. */
InfCacheConfig *inf_cache_config_new(void);
InfCacheConfig *inf_cache_config_copy(const InfCacheConfig *config);
void inf_cache_config_free(InfCacheConfig *config);
/* Parses the `cache` object at @json_path of @file; errors name both and
 * what is valid. */
InfCacheConfig *inf_cache_config_parse(json_object *json, const char *file, const char *json_path,
                                       GError **error);

const char *inf_cache_mode_name(InfCacheMode mode);
/* FALSE for an unknown word. */
gboolean inf_cache_mode_from_name(const char *name, InfCacheMode *mode);
/* "read, write, readwrite, refresh" */
#define INF_CACHE_MODE_CHOICES "read, write, readwrite, refresh"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfCacheConfig, inf_cache_config_free)

G_END_DECLS
