/* The response cache's SQLite file (see cache-store.h). */
#include "resources/cache-store.h"

#include <sqlite3.h>
#include <string.h>

/* "INFC": marks the file as an inf-engine response cache. */
#define CACHE_APPLICATION_ID 0x494e4643
#define CACHE_FORMAT_VERSION 1
#define ENTRY_OVERHEAD 128
#define BUSY_TIMEOUT_MS 1000
#define COMMIT_EVERY 256
#define COMMIT_INTERVAL_MS 200

struct _InfCacheStore {
  sqlite3 *db;
  InfCacheConfig *config;
  gboolean active;
  gboolean in_transaction;
  guint pending;
  GSource *commit_timer;
  gint64 clock;      /* the last use stamp given */
  gint64 oldest_use; /* the oldest stamp stored (about) */
  gint64 bytes;
  guint64 stored;
  guint64 evicted;
  sqlite3_stmt *get;
  sqlite3_stmt *touch;
  sqlite3_stmt *exists;
  sqlite3_stmt *insert;
  sqlite3_stmt *oldest;
  sqlite3_stmt *remove;
};

static const char schema_sql[] = "PRAGMA auto_vacuum = INCREMENTAL;"
                                 "PRAGMA journal_mode = WAL;"
                                 "CREATE TABLE entries ("
                                 "  key BLOB NOT NULL,"
                                 "  sample INTEGER NOT NULL,"
                                 "  content TEXT NOT NULL,"
                                 "  finish_reason TEXT,"
                                 "  model TEXT,"
                                 "  refusal TEXT,"
                                 "  reasoning TEXT,"
                                 "  input_tokens INTEGER NOT NULL,"
                                 "  output_tokens INTEGER NOT NULL,"
                                 "  reasoning_tokens INTEGER NOT NULL,"
                                 "  bytes INTEGER NOT NULL,"
                                 "  created_at INTEGER NOT NULL,"
                                 "  used_at INTEGER NOT NULL,"
                                 "  hits INTEGER NOT NULL DEFAULT 0,"
                                 "  PRIMARY KEY (key, sample)) WITHOUT ROWID;"
                                 "CREATE INDEX entries_by_use ON entries (used_at);";

static gboolean
writes(const InfCacheStore *store)
{
  return store->config->mode != INF_CACHE_MODE_READ;
}

/* Turns the store off after a failure, with one warning. */
static void
store_fail(InfCacheStore *store, const char *what)
{
  if (!store->active)
    return;
  store->active = FALSE;
  g_printerr("inf-engine: warning: cache %s: %s failed: %s; the run goes on without the cache\n",
             store->config->path, what, sqlite3_errmsg(store->db));
  if (store->in_transaction) {
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    store->in_transaction = FALSE;
  }
  store->pending = 0;
}

static gboolean
commit(InfCacheStore *store)
{
  if (store->commit_timer) {
    g_source_destroy(store->commit_timer);
    g_clear_pointer(&store->commit_timer, g_source_unref);
  }
  if (!store->in_transaction)
    return TRUE;
  store->pending = 0;
  if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    store_fail(store, "committing");
    return FALSE;
  }
  store->in_transaction = FALSE;
  return TRUE;
}

static gboolean
commit_cb(gpointer data)
{
  InfCacheStore *store = data;
  g_clear_pointer(&store->commit_timer, g_source_unref);
  commit(store);
  return G_SOURCE_REMOVE;
}

/* Opens the batch transaction when none is open: lookups and writes share
 * one transaction (a write one unless in read mode), so a lookup takes no
 * lock of its own. */
static gboolean
begin_batch(InfCacheStore *store)
{
  if (store->in_transaction)
    return TRUE;
  if (sqlite3_exec(store->db, writes(store) ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL) !=
      SQLITE_OK) {
    store_fail(store, "starting a transaction");
    return FALSE;
  }
  store->in_transaction = TRUE;
  store->commit_timer = g_timeout_source_new(COMMIT_INTERVAL_MS);
  g_source_set_callback(store->commit_timer, commit_cb, store, NULL);
  g_source_attach(store->commit_timer, NULL);
  return TRUE;
}

static void
end_write(InfCacheStore *store)
{
  if (++store->pending >= COMMIT_EVERY)
    commit(store);
}

static gint64
query_int(sqlite3 *db, const char *sql, int *rc)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = 0;
  *rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
  if (*rc == SQLITE_OK) {
    *rc = sqlite3_step(stmt);
    if (*rc == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
      *rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(stmt);
  return value;
}

/* FALSE with "cache PATH: @what: SQLite's message". */
static gboolean
open_failed(InfCacheStore *store, const char *what, GError **error)
{
  g_set_error(error, INF_ERROR, INF_ERROR_IO, "cache %s: %s: %s", store->config->path, what,
              store->db ? sqlite3_errmsg(store->db) : "out of memory");
  return FALSE;
}

/* FALSE with "cache PATH: @problem". */
static gboolean
refuse(InfCacheStore *store, const char *problem, GError **error)
{
  g_set_error(error, INF_ERROR, INF_ERROR_IO, "cache %s: %s", store->config->path, problem);
  return FALSE;
}

/* The integer @sql yields, in @value; FALSE with "cannot read it" when
 * SQLite fails. */
static gboolean
read_int(InfCacheStore *store, const char *sql, gint64 *value, GError **error)
{
  int rc;
  *value = query_int(store->db, sql, &rc);
  return rc == SQLITE_OK || open_failed(store, "cannot read it", error);
}

static gboolean
prepare(InfCacheStore *store, sqlite3_stmt **stmt, const char *sql, GError **error)
{
  if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
    return open_failed(store, "preparing a statement", error);
  return TRUE;
}

/* Opens the file (never creating it in read mode) with the connection's
 * settings. */
static gboolean
open_db(InfCacheStore *store, GError **error)
{
  const char *path = store->config->path;
  int flags = writes(store) ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  if (!writes(store) && !g_file_test(path, G_FILE_TEST_EXISTS))
    return refuse(store, "the file does not exist (mode read never creates it)", error);
  if (sqlite3_open_v2(path, &store->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return open_failed(store, "cannot open", error);
  sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
  /* Reads through a memory map and a bounded page cache. */
  sqlite3_exec(store->db, "PRAGMA mmap_size = 268435456; PRAGMA cache_size = -8192", NULL, NULL,
               NULL);
  return TRUE;
}

/* A file without an application id: an empty one gets the schema (unless
 * in read mode); anything else is left untouched. */
static gboolean
create_schema(InfCacheStore *store, GError **error)
{
  gint64 objects;
  if (!read_int(store, "SELECT count(*) FROM sqlite_master", &objects, error))
    return FALSE;
  if (objects > 0)
    return refuse(store,
                  "a SQLite database of another kind, not an inf-engine response cache (left "
                  "untouched)",
                  error);
  if (!writes(store))
    return refuse(store, "the file is empty", error);
  g_autofree char *sql = g_strdup_printf("%sPRAGMA application_id = %d; PRAGMA user_version = %d;",
                                         schema_sql, CACHE_APPLICATION_ID, CACHE_FORMAT_VERSION);
  if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return open_failed(store, "cannot create it", error);
  return TRUE;
}

/* The file is an inf-engine response cache of this format version (an
 * empty one is made one). */
static gboolean
check_format(InfCacheStore *store, GError **error)
{
  gint64 app_id, version;
  if (!read_int(store, "PRAGMA application_id", &app_id, error))
    return FALSE;
  if (app_id == 0)
    return create_schema(store, error);
  if (app_id != CACHE_APPLICATION_ID)
    return refuse(store,
                  "a SQLite database of another program, not an inf-engine response cache "
                  "(left untouched)",
                  error);
  if (!read_int(store, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version != CACHE_FORMAT_VERSION) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO,
                "cache %s: format version %" G_GINT64_FORMAT " is not the one this inf-engine "
                "reads (%d); use another file",
                store->config->path, version, CACHE_FORMAT_VERSION);
    return FALSE;
  }
  return TRUE;
}

/* In a writing mode: the write settings, and a write lock taken and given
 * back, so that a file locked by another process or on a read-only medium
 * fails here, not mid-run. */
static gboolean
check_writable(InfCacheStore *store, GError **error)
{
  if (!writes(store))
    return TRUE;
  if (sqlite3_db_readonly(store->db, "main") == 1)
    return refuse(store, "the file is read-only (use mode read to only read it)", error);
  if (sqlite3_exec(store->db,
                   "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;"
                   "BEGIN IMMEDIATE; COMMIT;",
                   NULL, NULL, NULL) != SQLITE_OK)
    return open_failed(store, "cannot write it", error);
  return TRUE;
}

static gboolean
prepare_statements(InfCacheStore *store, GError **error)
{
  return prepare(store, &store->get,
                 "SELECT content, finish_reason, model, input_tokens, output_tokens, refusal, "
                 "reasoning, reasoning_tokens, used_at FROM entries WHERE key = ?1 AND sample = ?2",
                 error) &&
         prepare(store, &store->touch,
                 "UPDATE entries SET used_at = ?3, hits = hits + 1 WHERE key = ?1 AND sample = ?2",
                 error) &&
         prepare(store, &store->exists, "SELECT bytes FROM entries WHERE key = ?1 AND sample = ?2",
                 error) &&
         prepare(store, &store->insert,
                 "INSERT OR REPLACE INTO entries (key, sample, content, finish_reason, model, "
                 "input_tokens, output_tokens, bytes, created_at, used_at, refusal, reasoning, "
                 "reasoning_tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                 "?13)",
                 error) &&
         prepare(store, &store->oldest,
                 "SELECT key, sample, bytes FROM entries ORDER BY used_at LIMIT 64", error) &&
         prepare(store, &store->remove, "DELETE FROM entries WHERE key = ?1 AND sample = ?2",
                 error);
}

/* The size of what is stored and the range of its use stamps. */
static gboolean
read_totals(InfCacheStore *store, GError **error)
{
  return read_int(store, "SELECT coalesce(sum(bytes), 0) FROM entries", &store->bytes, error) &&
         read_int(store, "SELECT coalesce(max(used_at), 0) FROM entries", &store->clock, error) &&
         read_int(store, "SELECT coalesce(min(used_at), 0) FROM entries", &store->oldest_use,
                  error);
}

InfCacheStore *
inf_cache_store_open(const InfCacheConfig *config, GError **error)
{
  g_return_val_if_fail(config != NULL && config->path != NULL, NULL);
  InfCacheStore *store = g_new0(InfCacheStore, 1);
  store->config = inf_cache_config_copy(config);
  if (!open_db(store, error) || !check_format(store, error) || !check_writable(store, error) ||
      !prepare_statements(store, error) || !read_totals(store, error)) {
    inf_cache_store_close(store);
    return NULL;
  }
  store->active = TRUE;
  return store;
}

void
inf_cache_store_close(InfCacheStore *store)
{
  if (!store)
    return;
  if (store->active)
    commit(store);
  if (store->commit_timer) {
    g_source_destroy(store->commit_timer);
    g_source_unref(store->commit_timer);
  }
  sqlite3_finalize(store->get);
  sqlite3_finalize(store->touch);
  sqlite3_finalize(store->exists);
  sqlite3_finalize(store->insert);
  sqlite3_finalize(store->oldest);
  sqlite3_finalize(store->remove);
  if (store->db)
    sqlite3_close(store->db);
  inf_cache_config_free(store->config);
  g_free(store);
}

static void
bind_key(sqlite3_stmt *stmt, const InfCacheKey *key)
{
  sqlite3_bind_blob(stmt, 1, key->digest, INF_CACHE_DIGEST_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 2, key->sample);
}

InfLlmResponse *
inf_cache_store_lookup(InfCacheStore *store, const InfCacheKey *key)
{
  if (!store->active || !begin_batch(store))
    return NULL;
  sqlite3_stmt *get = store->get;
  bind_key(get, key);
  int rc = sqlite3_step(get);
  InfLlmResponse *response = NULL;
  gint64 used_at = G_MAXINT64;
  if (rc == SQLITE_ROW) {
    used_at = sqlite3_column_int64(get, 8);
    response = inf_llm_response_new();
    inf_llm_response_set_content(response, (const char *)sqlite3_column_text(get, 0));
    inf_llm_response_set_finish_reason(response, (const char *)sqlite3_column_text(get, 1));
    inf_llm_response_set_model(response, (const char *)sqlite3_column_text(get, 2));
    inf_llm_response_set_usage(response, sqlite3_column_int64(get, 3),
                               sqlite3_column_int64(get, 4));
    inf_llm_response_set_refusal(response, (const char *)sqlite3_column_text(get, 5));
    const char *reasoning = (const char *)sqlite3_column_text(get, 6);
    if (reasoning)
      inf_llm_response_append_reasoning(response, reasoning, -1);
    inf_llm_response_set_reasoning_tokens(response, sqlite3_column_int64(get, 7));
  }
  sqlite3_reset(get);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    store_fail(store, "reading");
    inf_llm_response_free(response);
    return NULL;
  }
  /* Recency matters only near the eviction frontier: an entry is stamped
   * again when its stamp is in the oldest quarter of the stamps, which keeps
   * entries in use far from eviction at a fraction of the writes. */
  if (response && writes(store) &&
      used_at < store->oldest_use + (store->clock - store->oldest_use) / 4) {
    sqlite3_bind_blob(store->touch, 1, key->digest, INF_CACHE_DIGEST_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64(store->touch, 2, key->sample);
    sqlite3_bind_int64(store->touch, 3, ++store->clock);
    rc = sqlite3_step(store->touch);
    sqlite3_reset(store->touch);
    if (rc != SQLITE_DONE)
      store_fail(store, "marking an entry used");
    else
      end_write(store);
  }
  return response;
}

/* Removes least recently used entries until the total is under 90% of the
 * bound. */
static void
evict(InfCacheStore *store)
{
  gint64 target = store->config->max_bytes / 10 * 9;
  while (store->active && store->bytes > target) {
    GArray *victims = g_array_new(FALSE, FALSE, sizeof(InfCacheKey));
    GArray *sizes = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 freeing = 0;
    int rc = SQLITE_DONE;
    while (store->bytes - freeing > target && (rc = sqlite3_step(store->oldest)) == SQLITE_ROW) {
      InfCacheKey victim = { .sample = (guint32)sqlite3_column_int64(store->oldest, 1) };
      if (sqlite3_column_bytes(store->oldest, 0) == INF_CACHE_DIGEST_SIZE)
        memcpy(victim.digest, sqlite3_column_blob(store->oldest, 0), INF_CACHE_DIGEST_SIZE);
      gint64 size = sqlite3_column_int64(store->oldest, 2);
      g_array_append_val(victims, victim);
      g_array_append_val(sizes, size);
      freeing += size;
    }
    sqlite3_reset(store->oldest);
    gboolean failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    for (guint i = 0; !failed && i < victims->len; i++) {
      bind_key(store->remove, &g_array_index(victims, InfCacheKey, i));
      failed = sqlite3_step(store->remove) != SQLITE_DONE;
      sqlite3_reset(store->remove);
      if (!failed) {
        store->bytes -= g_array_index(sizes, gint64, i);
        store->evicted++;
      }
    }
    guint n = victims->len;
    g_array_unref(victims);
    g_array_unref(sizes);
    if (failed) {
      store_fail(store, "evicting old entries");
      return;
    }
    if (n == 0) {
      /* Counted bytes with no rows: another process shrank the file. */
      store->bytes = 0;
      break;
    }
  }
  int rc;
  gint64 oldest = query_int(store->db, "SELECT coalesce(min(used_at), 0) FROM entries", &rc);
  if (rc == SQLITE_OK)
    store->oldest_use = oldest;
  sqlite3_exec(store->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
}

gboolean
inf_cache_store_put(InfCacheStore *store, const InfCacheKey *key, const InfLlmResponse *response)
{
  if (!store->active || !writes(store))
    return FALSE;
  const char *finish = inf_llm_response_get_finish_reason(response);
  if (!store->config->store_truncated && g_strcmp0(finish, "length") == 0)
    return FALSE;
  const char *content = inf_llm_response_get_content(response);
  const char *model = inf_llm_response_get_model(response);
  const char *refusal = inf_llm_response_get_refusal(response);
  const char *reasoning = inf_llm_response_get_reasoning(response);
  gint64 bytes = ENTRY_OVERHEAD + (gint64)strlen(content);
  const char *const texts[] = { model, finish, refusal, reasoning };
  for (guint i = 0; i < G_N_ELEMENTS(texts); i++)
    bytes += texts[i] ? (gint64)strlen(texts[i]) : 0;
  if (bytes > store->config->max_bytes / 2)
    return FALSE; /* one entry may not take half the cache */
  if (!begin_batch(store))
    return FALSE;
  bind_key(store->exists, key);
  int rc = sqlite3_step(store->exists);
  gint64 old_bytes = rc == SQLITE_ROW ? sqlite3_column_int64(store->exists, 0) : -1;
  sqlite3_reset(store->exists);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    store_fail(store, "reading");
    return FALSE;
  }
  if (old_bytes >= 0 && store->config->mode != INF_CACHE_MODE_REFRESH)
    return FALSE;
  sqlite3_stmt *insert = store->insert;
  bind_key(insert, key);
  sqlite3_bind_text(insert, 3, content, -1, SQLITE_STATIC);
  sqlite3_bind_text(insert, 4, finish, -1, SQLITE_STATIC);
  sqlite3_bind_text(insert, 5, model, -1, SQLITE_STATIC);
  sqlite3_bind_int64(insert, 6, inf_llm_response_get_input_tokens(response));
  sqlite3_bind_int64(insert, 7, inf_llm_response_get_output_tokens(response));
  sqlite3_bind_int64(insert, 8, bytes);
  sqlite3_bind_int64(insert, 9, g_get_real_time() / G_USEC_PER_SEC);
  sqlite3_bind_int64(insert, 10, ++store->clock);
  sqlite3_bind_text(insert, 11, refusal, -1, SQLITE_STATIC);
  sqlite3_bind_text(insert, 12, reasoning, -1, SQLITE_STATIC);
  sqlite3_bind_int64(insert, 13, inf_llm_response_get_reasoning_tokens(response));
  rc = sqlite3_step(insert);
  sqlite3_reset(insert);
  sqlite3_clear_bindings(insert);
  if (rc != SQLITE_DONE) {
    store_fail(store, "storing a reply");
    return FALSE;
  }
  store->bytes += bytes - MAX(old_bytes, 0);
  store->stored++;
  if (store->bytes > store->config->max_bytes)
    evict(store);
  end_write(store);
  return store->active;
}

void
inf_cache_store_flush(InfCacheStore *store)
{
  if (store->active)
    commit(store);
}

gboolean
inf_cache_store_is_active(const InfCacheStore *store)
{
  return store->active;
}

const InfCacheConfig *
inf_cache_store_get_config(const InfCacheStore *store)
{
  return store->config;
}

gint64
inf_cache_store_get_entries(InfCacheStore *store)
{
  if (!store->active)
    return 0;
  int rc;
  gint64 n = query_int(store->db, "SELECT count(*) FROM entries", &rc);
  return rc == SQLITE_OK ? n : 0;
}

gint64
inf_cache_store_get_bytes(const InfCacheStore *store)
{
  return store->bytes;
}

guint64
inf_cache_store_get_stored(const InfCacheStore *store)
{
  return store->stored;
}

guint64
inf_cache_store_get_evicted(const InfCacheStore *store)
{
  return store->evicted;
}
