/* InfCacheStore — the response cache's SQLite file.
 *
 * One table of replies keyed by (digest, sample) (see cache-key.h): the
 * reply text, finish reason, model and the usage the provider reported.
 * Bounded: each entry counts its text plus a fixed 128 bytes of overhead, and
 * when the total passes max_bytes the least recently used entries go until
 * it is under 90% of it. Use is a logical clock: a store stamps an entry, and
 * a hit stamps it again when its stamp is in the oldest quarter of the
 * stamps (entries in use stay far from eviction at a fraction of the
 * writes). WAL journal, no fsync (a cache: a power loss may corrupt it, which
 * the next open reports); lookups and writes share one transaction committed
 * every 256 writes, every 200 ms and on close. Nothing else is kept in memory
 * beyond SQLite's bounded page cache.
 *
 * The file is marked as an inf-engine cache (SQLite application_id); another
 * SQLite file is refused rather than written into. Any SQLite failure (not a
 * database, corrupt, locked by another process for more than a second,
 * read-only, disk full) gives one warning on stderr and turns the store off
 * for the rest of the run: lookups miss and stores are dropped. */
#pragma once

#include "resources/cache-config.h"
#include "resources/cache-key.h"

G_BEGIN_DECLS

typedef struct _InfCacheStore InfCacheStore;

/* Opens (creating when missing, except in read mode) @config's file. NULL
 * with @error (INF_ERROR_IO, naming the file and the reason) when it cannot
 * be used: the caller warns and runs without the cache. */
InfCacheStore *inf_cache_store_open(const InfCacheConfig *config, GError **error);
/* Commits what is pending and closes. */
void inf_cache_store_close(InfCacheStore *store);

/* The stored reply for @key as a new response (with the usage the provider
 * reported when it was stored), or NULL. Marks the entry used (except in read
 * mode). */
InfLlmResponse *inf_cache_store_lookup(InfCacheStore *store, const InfCacheKey *key);
/* Stores @response for @key per the mode (read: never; write and readwrite:
 * unless an entry exists; refresh: replacing it). A reply whose finish reason
 * is "length" is stored only with store_truncated. Returns whether it was
 * stored. */
gboolean inf_cache_store_put(InfCacheStore *store, const InfCacheKey *key,
                             const InfLlmResponse *response);
/* Commits the pending writes now. */
void inf_cache_store_flush(InfCacheStore *store);

/* FALSE once a failure turned the store off. */
gboolean inf_cache_store_is_active(const InfCacheStore *store);
const InfCacheConfig *inf_cache_store_get_config(const InfCacheStore *store);
/* Entries and counted bytes now; stores and evictions by this run. */
gint64 inf_cache_store_get_entries(InfCacheStore *store);
gint64 inf_cache_store_get_bytes(const InfCacheStore *store);
guint64 inf_cache_store_get_stored(const InfCacheStore *store);
guint64 inf_cache_store_get_evicted(const InfCacheStore *store);

G_END_DECLS
