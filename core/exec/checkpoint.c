#include "exec/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inf/inf.h>

/* The journal's layout; a file of another format is refused. */
#define CHECKPOINT_FORMAT 1
/* Finished inputs that make a commit due before the interval ends. */
#define COMMIT_ROWS 8192

static const char schema[] =
    "CREATE TABLE run(id INTEGER PRIMARY KEY CHECK(id = 1), format INTEGER NOT NULL,"
    "  engine_version TEXT, created_at INTEGER, pid INTEGER, config_hash TEXT, graph_hash TEXT,"
    "  parameters TEXT, models TEXT, output_offset INTEGER NOT NULL, spent TEXT);"
    "CREATE TABLE input_done(lo INTEGER PRIMARY KEY, hi INTEGER NOT NULL, hashes BLOB NOT NULL);"
    "CREATE TABLE input_failed(idx INTEGER PRIMARY KEY, hash INTEGER NOT NULL);"
    "CREATE TABLE node_result(idx INTEGER NOT NULL, node TEXT NOT NULL, status TEXT NOT NULL,"
    "  hash INTEGER NOT NULL, text INTEGER NOT NULL, value TEXT,"
    "  PRIMARY KEY(idx, node)) WITHOUT ROWID;";
/* node_result.value: a text value as is when text = 1, else its JSON. */

typedef struct {
  guint64 lo, hi; /* [lo, hi) */
  guint64 *hashes;
} DoneRange;

typedef struct {
  char *node;
  guint8 status;
  gboolean text;
  guint64 hash;
  char *value;
  gsize len;
} NodeRow;

struct _InfCheckpointEntry {
  InfCheckpointEntry *prev, *next; /* the inputs tracked, or the free list */
  guint64 index;
  guint64 hash;
  InfExecState *state; /* NULL for an input that never started (a bad line) */
  guint8 *journaled;   /* per node, allocated at the first row */
  InfValue **known;    /* per node: results restored from the journal */
  gboolean has_rows;   /* node rows committed */
  gboolean failed;     /* finished with errors: its nodes are kept for --resume */
};
typedef InfCheckpointEntry Tracked;

typedef struct {
  guint64 index;
  guint64 hash;
  gboolean ok;
} Finished;

typedef struct _CommitBatch CommitBatch;

enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_NODE,
  STMT_DONE,
  STMT_FAILED,
  STMT_DELETE_NODES,
  STMT_OFFSET,
  N_STMTS
};

static const char *const statements[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_NODE] = "INSERT OR REPLACE INTO node_result(idx, node, status, hash, text, value) "
                "VALUES(?, ?, ?, ?, ?, ?)",
  [STMT_DONE] = "INSERT INTO input_done(lo, hi, hashes) VALUES(?, ?, ?)",
  [STMT_FAILED] = "INSERT OR REPLACE INTO input_failed(idx, hash) VALUES(?, ?)",
  [STMT_DELETE_NODES] = "DELETE FROM node_result WHERE idx = ?",
  [STMT_OFFSET] = "UPDATE run SET output_offset = ?, spent = ? WHERE id = 1",
};

struct _InfCheckpoint {
  char *path;
  int lock_fd;
  sqlite3 *db;
  sqlite3_stmt *stmts[N_STMTS];
  gboolean created; /* by this process: removed again when opening fails */
  gint64 output_offset;
  /* what the journal had when resumed */
  GArray *done;        /* DoneRange, by lo */
  guint64 done_end;    /* past the highest finished index */
  GHashTable *failed;  /* index (guint64 *) → hash (guint64 *) */
  GHashTable *partial; /* index (guint64 *) → GPtrArray of NodeRow */
  guint64 resumed;
  guint64 restored;
  /* this run */
  Tracked *tracked; /* a list: inputs in flight or not yet committed */
  Tracked *free_entries;
  GArray *finished;     /* Finished */
  GArray *deletes;      /* guint64: inputs whose node rows go */
  GError *broken;       /* a failed commit: later ones fail the same way */
  gint64 queued_offset; /* the output offset of the last commit handed over */
  json_object *spent;   /* what earlier processes spent, or NULL */
  char *spent_text;     /* the spend to record with the next commit, or NULL */
  /* The writer thread: commits go to it in order, it alone uses the
   * database once it runs. The lock guards what follows it. */
  GThread *writer;
  GAsyncQueue *queue; /* CommitBatch *, or &stop */
  char stop;
  GMutex lock;
  GCond cond;
  guint64 queued_seq, done_seq;
  GError *writer_error;
  gint64 writer_total_us, writer_max_us;
  gint64 last_commit_us;
  gint64 max_commit_us;
  gint64 total_commit_us;
  guint64 commits;
};

/* --- helpers --- */

guint64
inf_checkpoint_hash_line(const char *text, gsize len)
{
  /* Eight bytes a step, each mixed by a multiply and a shift. */
  guint64 h = 0x9e3779b97f4a7c15ull ^ len, w;
  for (; len >= 8; text += 8, len -= 8) {
    memcpy(&w, text, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  }
  w = 0;
  memcpy(&w, text, len);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 32;
  return h;
}

static void
db_error(InfCheckpoint *ck, GError **error, const char *what)
{
  int code = sqlite3_errcode(ck->db);
  const char *hint = "";
  if (code == SQLITE_FULL)
    hint = " (free some space, then --resume)";
  else if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM)
    hint = " (the file or its directory is not writable)";
  g_set_error(error, INF_ERROR, INF_ERROR_IO, "checkpoint %s: %s: %s%s", ck->path, what,
              sqlite3_errmsg(ck->db), hint);
}

static gboolean
exec_sql(InfCheckpoint *ck, const char *sql, const char *what, GError **error)
{
  if (sqlite3_exec(ck->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  db_error(ck, error, what);
  return FALSE;
}

static gboolean
step_done(InfCheckpoint *ck, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  db_error(ck, error, what);
  return FALSE;
}

static void
node_row_free(gpointer data)
{
  NodeRow *row = data;
  g_free(row->node);
  g_free(row->value);
  g_free(row);
}

static void
clear_known(Tracked *t)
{
  if (!t->known)
    return;
  for (guint i = 0; i < t->state->graph->n_nodes; i++)
    if (t->known[i])
      inf_value_unref(t->known[i]);
  g_clear_pointer(&t->known, g_free);
}

/* Unlinks @t from the tracked list and keeps it for reuse. */
static void
untrack(InfCheckpoint *ck, Tracked *t)
{
  if (t->prev)
    t->prev->next = t->next;
  else
    ck->tracked = t->next;
  if (t->next)
    t->next->prev = t->prev;
  if (t->state)
    inf_exec_state_unref(t->state);
  g_clear_pointer(&t->journaled, g_free);
  clear_known(t);
  t->state = NULL;
  t->prev = NULL;
  t->next = ck->free_entries;
  ck->free_entries = t;
}

static void
free_entries(Tracked *t)
{
  while (t) {
    Tracked *next = t->next;
    clear_known(t);
    if (t->state)
      inf_exec_state_unref(t->state);
    g_free(t->journaled);
    g_free(t);
    t = next;
  }
}

static void
done_range_clear(gpointer data)
{
  g_free(((DoneRange *)data)->hashes);
}

static guint64 *
dup64(guint64 v)
{
  return g_memdup2(&v, sizeof v);
}

/* Canonical text of a JSON value (NULL: JSON null), for comparisons. */
static const char *
json_text(json_object *json)
{
  return json ? json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN) : "null";
}

const char *
inf_checkpoint_get_path(const InfCheckpoint *ck)
{
  return ck->path;
}

guint64
inf_checkpoint_get_resumed(const InfCheckpoint *ck)
{
  return ck->resumed;
}

guint64
inf_checkpoint_get_restored_nodes(const InfCheckpoint *ck)
{
  return ck->restored;
}

gint64
inf_checkpoint_get_last_commit_us(const InfCheckpoint *ck)
{
  return ck->last_commit_us;
}

guint64
inf_checkpoint_get_commits(const InfCheckpoint *ck)
{
  return ck->commits;
}

json_object *
inf_checkpoint_get_spent(const InfCheckpoint *ck)
{
  return ck->spent;
}

void
inf_checkpoint_set_spent(InfCheckpoint *ck, json_object *spent)
{
  g_free(ck->spent_text);
  ck->spent_text =
      spent ? g_strdup(json_object_to_json_string_ext(spent, JSON_C_TO_STRING_PLAIN)) : NULL;
}

json_object *
inf_checkpoint_stats_json(const InfCheckpoint *ck)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "commits", json_object_new_int64((gint64)ck->commits));
  json_object_object_add(o, "commit_ms_total",
                         json_object_new_double((double)ck->total_commit_us / 1000.0));
  json_object_object_add(o, "commit_ms_max",
                         json_object_new_double((double)ck->max_commit_us / 1000.0));
  g_mutex_lock((GMutex *)&ck->lock);
  json_object_object_add(o, "writer_ms_total",
                         json_object_new_double((double)ck->writer_total_us / 1000.0));
  json_object_object_add(o, "writer_ms_max",
                         json_object_new_double((double)ck->writer_max_us / 1000.0));
  g_mutex_unlock((GMutex *)&ck->lock);
  json_object_object_add(o, "resumed_inputs", json_object_new_int64((gint64)ck->resumed));
  json_object_object_add(o, "restored_nodes", json_object_new_int64((gint64)ck->restored));
  return o;
}

/* --- opening --- */

/* The pid recorded by the process holding the file, or 0. */
static gint64
holder_pid(const char *path)
{
  sqlite3 *db = NULL;
  gint64 pid = 0;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 200);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT pid FROM run WHERE id = 1", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
      pid = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return pid;
}

/* Appends to @diffs what differs between the journaled object @was and
 * @now, one "what 'key' ..." phrase per key. */
static void
diff_objects(GString *diffs, const char *what, json_object *was, json_object *now)
{
  json_object_object_foreach(was, key, old_value)
  {
    json_object *new_value;
    const char *sep = diffs->len ? "; " : "";
    if (!json_object_object_get_ex(now, key, &new_value))
      g_string_append_printf(diffs, "%s%s '%s' was removed", sep, what, key);
    else if (!g_str_equal(json_text(old_value), json_text(new_value))) {
      if (json_object_is_type(old_value, json_type_string) && g_str_equal(what, "alias"))
        g_string_append_printf(diffs, "%salias '%s' changed its model (%s, now %s)", sep, key,
                               json_object_get_string(old_value),
                               json_object_get_string(new_value));
      else
        g_string_append_printf(diffs, "%s%s '%s' changed its value", sep, what, key);
    }
  }
  json_object_object_foreach(now, key2, value2)
  {
    (void)value2;
    if (!json_object_object_get_ex(was, key2, NULL))
      g_string_append_printf(diffs, "%s%s '%s' was added", diffs->len ? "; " : "", what, key2);
  }
}

static gboolean
verify_identity(InfCheckpoint *ck, const InfCheckpointIdentity *id, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2(
          ck->db,
          "SELECT format, config_hash, graph_hash, parameters, models, output_offset, "
          "spent "
          "FROM run WHERE id = 1",
          -1, &stmt, NULL) != SQLITE_OK) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "checkpoint %s is not an inf-engine checkpoint (%s)", ck->path,
                sqlite3_errmsg(ck->db));
    return FALSE;
  }
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "checkpoint %s is not an inf-engine checkpoint (it describes no run)", ck->path);
    sqlite3_finalize(stmt);
    return FALSE;
  }
  gint64 format = sqlite3_column_int64(stmt, 0);
  if (format != CHECKPOINT_FORMAT) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "checkpoint %s has format %" G_GINT64_FORMAT ", this inf-engine reads format %d",
                ck->path, format, CHECKPOINT_FORMAT);
    sqlite3_finalize(stmt);
    return FALSE;
  }
  GString *diffs = g_string_new(NULL);
  json_object *was_params = json_tokener_parse((const char *)sqlite3_column_text(stmt, 3));
  json_object *was_models = json_tokener_parse((const char *)sqlite3_column_text(stmt, 4));
  if (!json_object_is_type(was_params, json_type_object) ||
      !json_object_is_type(was_models, json_type_object)) {
    g_string_append(diffs, "its run record is damaged");
  } else {
    diff_objects(diffs, "parameter", was_params, id->parameters);
    diff_objects(diffs, "alias", was_models, id->models);
    const char *graph = (const char *)sqlite3_column_text(stmt, 2);
    if (!graph || !g_str_equal(graph, id->graph_hash))
      g_string_append_printf(diffs, "%sthe graph (its nodes or their connections) changed",
                             diffs->len ? "; " : "");
    const char *config = (const char *)sqlite3_column_text(stmt, 1);
    if (!config || !g_str_equal(config, id->config_hash))
      g_string_append_printf(diffs, "%sthe config (its modules or their options) changed",
                             diffs->len ? "; " : "");
  }
  json_object_put(was_params);
  json_object_put(was_models);
  ck->output_offset = sqlite3_column_int64(stmt, 5);
  const char *spent = (const char *)sqlite3_column_text(stmt, 6);
  ck->spent = spent ? json_tokener_parse(spent) : NULL;
  if (!json_object_is_type(ck->spent, json_type_object))
    g_clear_pointer(&ck->spent, json_object_put);
  sqlite3_finalize(stmt);
  if (diffs->len) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "cannot resume from checkpoint %s: it belongs to a different run: %s. Resume with "
                "the same config, parameters and models, or start a new run with another "
                "checkpoint file",
                ck->path, diffs->str);
    g_string_free(diffs, TRUE);
    return FALSE;
  }
  g_string_free(diffs, TRUE);
  return TRUE;
}

static gboolean
load_journal(InfCheckpoint *ck, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  /* Finished inputs. */
  if (sqlite3_prepare_v2(ck->db, "SELECT lo, hi, hashes FROM input_done ORDER BY lo", -1, &stmt,
                         NULL) != SQLITE_OK)
    goto db_fail;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    guint64 lo = (guint64)sqlite3_column_int64(stmt, 0),
            hi = (guint64)sqlite3_column_int64(stmt, 1);
    gsize bytes = (gsize)sqlite3_column_bytes(stmt, 2);
    if (hi <= lo || hi - lo > G_MAXSIZE / 8 || bytes != (hi - lo) * 8 ||
        (ck->done->len && lo < g_array_index(ck->done, DoneRange, ck->done->len - 1).hi)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "checkpoint %s is damaged (finished inputs %" G_GUINT64_FORMAT
                  "..%" G_GUINT64_FORMAT " are not consistent)",
                  ck->path, lo, hi);
      sqlite3_finalize(stmt);
      return FALSE;
    }
    DoneRange range = { lo, hi, g_memdup2(sqlite3_column_blob(stmt, 2), bytes) };
    g_array_append_val(ck->done, range);
    ck->resumed += hi - lo;
    ck->done_end = MAX(ck->done_end, hi);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    goto db_fail;
  /* Failed inputs: they run again. */
  if (sqlite3_prepare_v2(ck->db, "SELECT idx, hash FROM input_failed", -1, &stmt, NULL) !=
      SQLITE_OK)
    goto db_fail;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
    g_hash_table_insert(ck->failed, dup64((guint64)sqlite3_column_int64(stmt, 0)),
                        dup64((guint64)sqlite3_column_int64(stmt, 1)));
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    goto db_fail;
  /* Nodes of unfinished inputs. */
  if (sqlite3_prepare_v2(ck->db, "SELECT idx, node, status, hash, text, value FROM node_result", -1,
                         &stmt, NULL) != SQLITE_OK)
    goto db_fail;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    guint64 index = (guint64)sqlite3_column_int64(stmt, 0);
    const char *status = (const char *)sqlite3_column_text(stmt, 2);
    NodeRow *row = g_new0(NodeRow, 1);
    row->node = g_strdup((const char *)sqlite3_column_text(stmt, 1));
    row->status = status && g_str_equal(status, "skipped") ? INF_NODE_SKIPPED : INF_NODE_COMPLETED;
    row->hash = (guint64)sqlite3_column_int64(stmt, 3);
    row->text = sqlite3_column_int(stmt, 4) != 0;
    const char *value = (const char *)sqlite3_column_text(stmt, 5);
    row->len = (gsize)sqlite3_column_bytes(stmt, 5);
    row->value = value ? g_memdup2(value, row->len + 1) : NULL;
    GPtrArray *rows = g_hash_table_lookup(ck->partial, &index);
    if (!rows) {
      rows = g_ptr_array_new_with_free_func(node_row_free);
      g_hash_table_insert(ck->partial, dup64(index), rows);
    }
    g_ptr_array_add(rows, row);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE)
    goto db_fail;
  return TRUE;
db_fail:
  sqlite3_finalize(stmt);
  db_error(ck, error, "reading the journal failed");
  return FALSE;
}

static gboolean
create_journal(InfCheckpoint *ck, const InfCheckpointIdentity *id, GError **error)
{
  if (!exec_sql(ck, "BEGIN IMMEDIATE", "creating the journal failed", error))
    return FALSE;
  if (!exec_sql(ck, schema, "creating the journal failed", error)) {
    sqlite3_exec(ck->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  sqlite3_stmt *stmt = NULL;
  sqlite3_prepare_v2(ck->db,
                     "INSERT INTO run(id, format, engine_version, created_at, pid, config_hash, "
                     "graph_hash, parameters, models, output_offset) "
                     "VALUES(1, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                     -1, &stmt, NULL);
  sqlite3_bind_int(stmt, 1, CHECKPOINT_FORMAT);
  sqlite3_bind_text(stmt, 2, INF_VERSION_STRING, -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 3, g_get_real_time() / G_USEC_PER_SEC);
  sqlite3_bind_int64(stmt, 4, getpid());
  sqlite3_bind_text(stmt, 5, id->config_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 6, id->graph_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 7, json_text(id->parameters), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 8, json_text(id->models), -1, SQLITE_TRANSIENT);
  int rc = stmt ? sqlite3_step(stmt) : SQLITE_ERROR;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    db_error(ck, error, "creating the journal failed");
    sqlite3_exec(ck->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  return exec_sql(ck, "COMMIT", "creating the journal failed", error);
}

static void
remove_files(const char *path)
{
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
  g_unlink(path);
}

/* A new run needs @path not to exist; a resumed one needs it as a regular
 * file. */
static gboolean
check_path_for_mode(const char *path, gboolean resume, GError **error)
{
  struct stat st;
  gboolean exists = stat(path, &st) == 0;
  if (resume && !exists) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "checkpoint %s does not exist, so there is nothing to resume (run without --resume "
                "to start a new run that writes it)",
                path);
    return FALSE;
  }
  if (!resume && exists) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "checkpoint %s already exists: add --resume to continue its run, or remove it to "
                "start a new one",
                path);
    return FALSE;
  }
  if (exists && !S_ISREG(st.st_mode)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "checkpoint %s is not a regular file", path);
    return FALSE;
  }
  return TRUE;
}

/* An empty checkpoint for @path: no file, no database yet. */
static InfCheckpoint *
checkpoint_new(const char *path)
{
  InfCheckpoint *ck = g_new0(InfCheckpoint, 1);
  g_mutex_init(&ck->lock);
  g_cond_init(&ck->cond);
  ck->path = g_strdup(path);
  ck->lock_fd = -1;
  ck->done = g_array_new(FALSE, FALSE, sizeof(DoneRange));
  g_array_set_clear_func(ck->done, done_range_clear);
  ck->failed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  ck->partial =
      g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  ck->finished = g_array_new(FALSE, FALSE, sizeof(Finished));
  ck->deletes = g_array_new(FALSE, FALSE, sizeof(guint64));
  return ck;
}

/* Opens (or, for a new run, creates) the file and takes its lock: one
 * process at a time runs a checkpoint. */
static gboolean
lock_file(InfCheckpoint *ck, gboolean resume, GError **error)
{
  if (!resume) {
    /* A journal's leftovers without the journal would be applied to it. */
    remove_files(ck->path);
  }
  ck->lock_fd = open(ck->path, O_RDWR | O_CLOEXEC | (resume ? 0 : O_CREAT | O_EXCL), 0644);
  if (ck->lock_fd < 0) {
    int errsv = errno;
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot %s checkpoint %s: %s%s",
                resume ? "open" : "create", ck->path, g_strerror(errsv),
                errsv == EACCES || errsv == EROFS ? " (it must be writable)" : "");
    return FALSE;
  }
  ck->created = !resume;
  if (flock(ck->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    gint64 pid = holder_pid(ck->path);
    if (pid > 0)
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "checkpoint %s is in use by pid %" G_GINT64_FORMAT
                  " (one process at a time may run a checkpoint)",
                  ck->path, pid);
    else
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "checkpoint %s is in use by another process",
                  ck->path);
    return FALSE;
  }
  return TRUE;
}

/* Opens the file as an SQLite database in WAL mode. */
static gboolean
open_database(InfCheckpoint *ck, GError **error)
{
  if (sqlite3_open_v2(ck->path, &ck->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    db_error(ck, error, "cannot open it");
    return FALSE;
  }
  sqlite3_extended_result_codes(ck->db, 0);
  sqlite3_stmt *stmt = NULL;
  const char *mode = NULL;
  if (sqlite3_prepare_v2(ck->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW)
    mode = (const char *)sqlite3_column_text(stmt, 0);
  gboolean wal = mode && g_ascii_strcasecmp(mode, "wal") == 0;
  sqlite3_finalize(stmt);
  if (!wal) {
    if (sqlite3_errcode(ck->db) == SQLITE_NOTADB || sqlite3_errcode(ck->db) == SQLITE_CORRUPT)
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "checkpoint %s is not an inf-engine checkpoint (%s)", ck->path,
                  sqlite3_errmsg(ck->db));
    else
      db_error(ck, error, "cannot open it");
    return FALSE;
  }
  return exec_sql(ck, "PRAGMA synchronous = NORMAL", "cannot open it", error);
}

/* Resuming: checks the run is the same and reads its journal, then takes the
 * run over. Else writes a new journal for @id. */
static gboolean
start_journal(InfCheckpoint *ck, gboolean resume, const InfCheckpointIdentity *id, GError **error)
{
  if (!resume)
    return create_journal(ck, id, error);
  if (!verify_identity(ck, id, error) || !load_journal(ck, error))
    return FALSE;
  g_autofree char *sql = g_strdup_printf("UPDATE run SET pid = %d WHERE id = 1", (int)getpid());
  return exec_sql(ck, sql, "cannot take it over", error);
}

/* Prepares the statements the run writes with, once. */
static gboolean
prepare_statements(InfCheckpoint *ck, GError **error)
{
  for (guint i = 0; i < N_STMTS; i++)
    if (sqlite3_prepare_v3(ck->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &ck->stmts[i],
                           NULL) != SQLITE_OK) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "checkpoint %s is not an inf-engine checkpoint (%s)", ck->path,
                  sqlite3_errmsg(ck->db));
      return FALSE;
    }
  return TRUE;
}

InfCheckpoint *
inf_checkpoint_open(const char *path, gboolean resume, const InfCheckpointIdentity *id,
                    GError **error)
{
  if (!check_path_for_mode(path, resume, error))
    return NULL;
  g_autoptr(InfCheckpoint) ck = checkpoint_new(path);
  if (!lock_file(ck, resume, error) || !open_database(ck, error) ||
      !start_journal(ck, resume, id, error) || !prepare_statements(ck, error))
    return NULL;
  ck->created = FALSE;
  return g_steal_pointer(&ck);
}

void
inf_checkpoint_free(InfCheckpoint *ck)
{
  if (!ck)
    return;
  if (ck->writer) {
    g_async_queue_push(ck->queue, (gpointer)&ck->stop);
    g_thread_join(ck->writer);
    g_async_queue_unref(ck->queue);
  }
  g_clear_error(&ck->writer_error);
  g_mutex_clear(&ck->lock);
  g_cond_clear(&ck->cond);
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize(ck->stmts[i]);
  if (ck->db)
    sqlite3_close_v2(ck->db);
  if (ck->created)
    remove_files(ck->path);
  /* After SQLite: closing another fd of the file drops its POSIX locks. */
  if (ck->lock_fd >= 0)
    close(ck->lock_fd);
  g_array_unref(ck->done);
  g_hash_table_unref(ck->failed);
  g_hash_table_unref(ck->partial);
  free_entries(ck->tracked);
  free_entries(ck->free_entries);
  g_array_unref(ck->finished);
  g_array_unref(ck->deletes);
  g_clear_error(&ck->broken);
  json_object_put(ck->spent);
  g_free(ck->spent_text);
  g_free(ck->path);
  g_free(ck);
}

/* --- the output --- */

/* The index of a result line ({"index":N,...}), or -1. */
static gint64
line_index(const char *line, gsize len)
{
  static const char prefix[] = "{\"index\":";
  if (len < sizeof prefix || memcmp(line, prefix, sizeof prefix - 1) != 0)
    return -1;
  char *end = NULL;
  guint64 v = g_ascii_strtoull(line + sizeof prefix - 1, &end, 10);
  return end && end != line + sizeof prefix - 1 ? (gint64)v : -1;
}

/* Copies the result lines of @fd's first @size bytes, less those of failed
 * inputs, to a new file that replaces @path; returns its fd and size. */
static int
rewrite_without_failed(InfCheckpoint *ck, const char *path, int fd, gint64 size, gint64 *new_size,
                       GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *tmp = g_strdup_printf("%s/.%s.resume-XXXXXX", dir, base);
  int out = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644);
  if (out < 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot write next to output %s: %s", path,
                g_strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0)
    fchmod(out, st.st_mode & 07777);
  FILE *in = fdopen(dup(fd), "r");
  FILE *dst = fdopen(dup(out), "w");
  char *line = NULL;
  size_t cap = 0;
  gint64 pos = 0;
  ssize_t n;
  gboolean ok = in && dst && fseek(in, 0, SEEK_SET) == 0;
  while (ok && pos < size && (n = getline(&line, &cap, in)) > 0) {
    pos += n;
    gint64 index = line_index(line, (gsize)n);
    guint64 key = (guint64)index;
    if (index >= 0 && g_hash_table_contains(ck->failed, &key))
      continue;
    if (fwrite(line, 1, (size_t)n, dst) != (size_t)n)
      ok = FALSE;
  }
  free(line);
  if (in)
    fclose(in);
  if (dst && fclose(dst) != 0)
    ok = FALSE;
  if (ok && fsync(out) != 0)
    ok = FALSE;
  if (!ok || rename(tmp, path) != 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot rewrite output %s: %s", path,
                g_strerror(errno));
    close(out);
    g_unlink(tmp);
    return -1;
  }
  *new_size = lseek(out, 0, SEEK_END);
  close(fd);
  return out;
}

/* TRUE when the file holds no line of a failed input: the rewrite above
 * happened but its commit did not. */
static gboolean
has_no_failed_lines(InfCheckpoint *ck, int fd)
{
  FILE *in = fdopen(dup(fd), "r");
  if (!in)
    return FALSE;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  gboolean none = TRUE;
  while (none && (n = getline(&line, &cap, in)) > 0) {
    guint64 key = (guint64)line_index(line, (gsize)n);
    if (line_index(line, (gsize)n) < 0 || g_hash_table_contains(ck->failed, &key))
      none = FALSE;
  }
  free(line);
  fclose(in);
  return none;
}

int
inf_checkpoint_open_output(InfCheckpoint *ck, const char *path, GError **error)
{
  int fd =
      open(path,
           O_RDWR | O_CREAT | O_CLOEXEC |
               (ck->output_offset == 0 && !ck->done->len && !g_hash_table_size(ck->failed) ? O_TRUNC
                                                                                           : 0),
           0666);
  if (fd < 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot write output %s: %s", path,
                g_strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "output %s is not a regular file: a checkpointed run needs one (--resume cuts it "
                "back to the last commit)",
                path);
    close(fd);
    return -1;
  }
  gint64 size = st.st_size, offset = ck->output_offset;
  gboolean rewritten = FALSE;
  if (size < offset) {
    if (!g_hash_table_size(ck->failed) || !has_no_failed_lines(ck, fd)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "output %s has %" G_GINT64_FORMAT " bytes, fewer than the %" G_GINT64_FORMAT
                  " that checkpoint %s recorded: it was changed or replaced since, so the results "
                  "cannot be continued",
                  path, size, offset, ck->path);
      close(fd);
      return -1;
    }
    offset = size; /* already without the failed inputs */
    rewritten = TRUE;
  } else if (ftruncate(fd, offset) != 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO,
                "cannot cut output %s back to %" G_GINT64_FORMAT " bytes: %s", path, offset,
                g_strerror(errno));
    close(fd);
    return -1;
  }
  if (g_hash_table_size(ck->failed)) {
    if (!rewritten) {
      fd = rewrite_without_failed(ck, path, fd, offset, &offset, error);
      if (fd < 0)
        return -1;
    }
    g_autofree char *sql =
        g_strdup_printf("BEGIN IMMEDIATE; DELETE FROM input_failed; UPDATE run SET output_offset = "
                        "%" G_GINT64_FORMAT " WHERE id = 1; COMMIT",
                        offset);
    if (!exec_sql(ck, sql, "recording the output failed", error)) {
      sqlite3_exec(ck->db, "ROLLBACK", NULL, NULL, NULL);
      close(fd);
      return -1;
    }
    g_hash_table_remove_all(ck->failed);
    ck->output_offset = offset;
  }
  lseek(fd, 0, SEEK_END);
  ck->queued_offset = ck->output_offset;
  return fd;
}

/* --- inputs --- */

static const DoneRange *
find_done(const InfCheckpoint *ck, guint64 index)
{
  guint lo = 0, hi = ck->done->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    const DoneRange *r = &g_array_index(ck->done, DoneRange, mid);
    if (index < r->lo)
      hi = mid;
    else if (index >= r->hi)
      lo = mid + 1;
    else
      return r;
  }
  return NULL;
}

InfCheckpointLine
inf_checkpoint_check_line(InfCheckpoint *ck, guint64 index, guint64 hash, GError **error)
{
  if (!ck->done->len && !g_hash_table_size(ck->partial))
    return INF_CHECKPOINT_LINE_NEW;
  const DoneRange *range = find_done(ck, index);
  guint64 expected = 0;
  InfCheckpointLine result = INF_CHECKPOINT_LINE_NEW;
  if (range) {
    expected = range->hashes[index - range->lo];
    result = INF_CHECKPOINT_LINE_DONE;
  } else {
    GPtrArray *rows = g_hash_table_lookup(ck->partial, &index);
    if (!rows)
      return INF_CHECKPOINT_LINE_NEW;
    expected = ((NodeRow *)g_ptr_array_index(rows, 0))->hash;
    result = INF_CHECKPOINT_LINE_PARTIAL;
  }
  if (expected != hash) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "input %" G_GUINT64_FORMAT " is not the line that checkpoint %s has for it (the "
                "input changed): resume needs the same input lines",
                index, ck->path);
    return INF_CHECKPOINT_LINE_CHANGED;
  }
  return result;
}

gboolean
inf_checkpoint_check_input_count(InfCheckpoint *ck, guint64 n_inputs, GError **error)
{
  if (ck->done_end <= n_inputs)
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
              "the input has %" G_GUINT64_FORMAT " inputs, but checkpoint %s has finished inputs "
              "up to index %" G_GUINT64_FORMAT " (the input changed): resume needs the same input "
              "lines",
              n_inputs, ck->path, ck->done_end - 1);
  return FALSE;
}

InfCheckpointEntry *
inf_checkpoint_track(InfCheckpoint *ck, InfExecState *state, guint64 index, guint64 hash)
{
  Tracked *t = ck->free_entries;
  if (t)
    ck->free_entries = t->next;
  else
    t = g_new(Tracked, 1);
  *t = (Tracked){ .next = ck->tracked, .index = index, .hash = hash };
  t->state = state ? inf_exec_state_ref(state) : NULL;
  if (ck->tracked)
    ck->tracked->prev = t;
  ck->tracked = t;
  return t;
}

gboolean
inf_checkpoint_restore(InfCheckpoint *ck, InfCheckpointEntry *t, GError **error)
{
  guint64 index = t->index;
  InfExecState *state = t->state;
  GPtrArray *rows = g_hash_table_lookup(ck->partial, &index);
  if (!rows || !state)
    return TRUE;
  InfGraph *graph = state->graph;
  t->journaled = g_malloc0(graph->n_nodes);
  t->known = g_new0(InfValue *, graph->n_nodes);
  t->has_rows = TRUE;
  for (guint i = 0; i < rows->len; i++) {
    NodeRow *row = g_ptr_array_index(rows, i);
    gint node = inf_graph_lookup(graph, row->node);
    json_object *json = NULL;
    gboolean parsed = TRUE;
    if (row->value && !row->text) {
      json_tokener *tok = json_tokener_new();
      json = json_tokener_parse_ex(tok, row->value, -1);
      parsed = json_tokener_get_error(tok) == json_tokener_success;
      json_tokener_free(tok);
    }
    if (node < (gint)graph->n_inputs || !parsed) {
      json_object_put(json);
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "checkpoint %s: input %" G_GUINT64_FORMAT " has a result for node '%s' that does "
                  "not fit the graph",
                  ck->path, index, row->node);
      return FALSE;
    }
    t->journaled[node] = 1;
    /* Skipped nodes are skipped again by the switch that decides them. */
    if (row->status == INF_NODE_COMPLETED && !t->known[node])
      t->known[node] = row->text && row->value ? inf_value_new_text_len(row->value, row->len)
                                               : inf_value_from_json(json);
    json_object_put(json);
  }
  g_hash_table_remove(ck->partial, &index);
  return TRUE;
}

InfValue *
inf_checkpoint_take_result(InfCheckpoint *ck, InfCheckpointEntry *t, guint node)
{
  if (!t || !t->known || !t->known[node])
    return NULL;
  ck->restored++;
  return g_steal_pointer(&t->known[node]);
}

void
inf_checkpoint_finish(InfCheckpoint *ck, InfCheckpointEntry *t, gboolean ok)
{
  Finished f = { .index = t->index, .ok = ok, .hash = t->hash };
  g_array_append_val(ck->finished, f);
  if (!ok && t->state) {
    /* Kept until the commit, which journals its completed nodes: --resume
     * runs only what failed. */
    t->failed = TRUE;
    return;
  }
  if (t->has_rows)
    g_array_append_val(ck->deletes, t->index);
  untrack(ck, t);
}

gboolean
inf_checkpoint_wants_commit(const InfCheckpoint *ck)
{
  return ck->finished->len >= COMMIT_ROWS;
}

/* --- committing --- */

static gint
compare_finished(gconstpointer a, gconstpointer b)
{
  guint64 x = ((const Finished *)a)->index, y = ((const Finished *)b)->index;
  return x < y ? -1 : x > y;
}

/* One commit, handed from the main loop to the writer thread: everything
 * in it is owned (copied), the thread touches nothing else of the run. */
typedef struct {
  guint64 index;
  const char *node;   /* the graph's (it outlives the writer) */
  const char *status; /* static */
  guint64 hash;
  gboolean text;
  char *value;
  gsize len;
} RowOut;

struct _CommitBatch {
  GArray *rows;     /* RowOut */
  GArray *finished; /* Finished */
  GArray *deletes;  /* guint64 */
  gint64 offset;
  char *spent; /* or NULL */
  int sync_fd; /* >= 0: fdatasync() it first */
  guint64 seq;
};

static void
batch_free(CommitBatch *b)
{
  for (guint i = 0; i < b->rows->len; i++)
    g_free(g_array_index(b->rows, RowOut, i).value);
  g_array_unref(b->rows);
  g_array_unref(b->finished);
  g_array_unref(b->deletes);
  g_free(b->spent);
  g_free(b);
}

/* On the main loop: copies the completed nodes not journaled yet of inputs
 * in flight (with @all every one, else those older than an interval, and
 * those of inputs that failed) into @rows. */
static void
collect_nodes(InfCheckpoint *ck, gboolean all, GArray *rows)
{
  gint64 now = g_get_monotonic_time();
  for (Tracked *t = ck->tracked; t; t = t->next) {
    InfExecState *state = t->state;
    if (!state || (!all && !t->failed && now - state->start_us < INF_CHECKPOINT_INTERVAL_MS * 1000))
      continue;
    InfGraph *graph = state->graph;
    for (guint node = graph->n_inputs; node < graph->n_nodes; node++) {
      guint8 status = state->status[node];
      if ((status != INF_NODE_COMPLETED && status != INF_NODE_SKIPPED) ||
          (t->journaled && t->journaled[node]))
        continue;
      InfValue *result = state->results[node];
      RowOut row = {
        .index = t->index,
        .node = graph->nodes[node].id,
        .status = inf_node_status_name(status),
        .hash = t->hash,
        .text = result && inf_value_get_kind(result) == INF_VALUE_TEXT,
      };
      if (row.text) {
        row.len = inf_value_get_text_length(result);
        row.value = g_memdup2(inf_value_get_text(result), row.len + 1);
      } else {
        json_object *json = result ? inf_value_to_json(result) : NULL;
        row.value = g_strdup(json_text(json));
        row.len = strlen(row.value);
        json_object_put(json);
      }
      g_array_append_val(rows, row);
      if (!t->journaled)
        t->journaled = g_malloc0(graph->n_nodes);
      t->journaled[node] = 1;
      t->has_rows = TRUE;
    }
  }
}

/* In the writer thread. */
static gboolean
write_batch(InfCheckpoint *ck, CommitBatch *b, GError **error)
{
  if (b->sync_fd >= 0 && fdatasync(b->sync_fd) != 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "syncing the output failed: %s", g_strerror(errno));
    return FALSE;
  }
  if (!step_done(ck, ck->stmts[STMT_BEGIN], "starting a commit failed", error))
    return FALSE;
  g_autoptr(GArray) hashes = g_array_new(FALSE, FALSE, sizeof(guint64));
  for (guint i = 0; i < b->rows->len; i++) {
    const RowOut *row = &g_array_index(b->rows, RowOut, i);
    sqlite3_stmt *stmt = ck->stmts[STMT_NODE];
    sqlite3_bind_int64(stmt, 1, (gint64)row->index);
    sqlite3_bind_text(stmt, 2, row->node, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, row->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, (gint64)row->hash);
    sqlite3_bind_int(stmt, 5, row->text);
    sqlite3_bind_text64(stmt, 6, row->value, row->len, SQLITE_STATIC, SQLITE_UTF8);
    if (!step_done(ck, stmt, "writing a node result failed", error))
      goto fail;
  }
  GArray *fin = b->finished;
  g_array_sort(fin, compare_finished);
  for (guint i = 0; i < fin->len;) {
    const Finished *f = &g_array_index(fin, Finished, i);
    if (!f->ok) {
      sqlite3_stmt *stmt = ck->stmts[STMT_FAILED];
      sqlite3_bind_int64(stmt, 1, (gint64)f->index);
      sqlite3_bind_int64(stmt, 2, (gint64)f->hash);
      if (!step_done(ck, stmt, "writing a failed input failed", error))
        goto fail;
      i++;
      continue;
    }
    /* A run of consecutive successful inputs: one row. */
    guint j = i;
    g_array_set_size(hashes, 0);
    while (j < fin->len) {
      const Finished *g = &g_array_index(fin, Finished, j);
      if (!g->ok || g->index != f->index + (j - i))
        break;
      g_array_append_val(hashes, g->hash);
      j++;
    }
    sqlite3_stmt *stmt = ck->stmts[STMT_DONE];
    sqlite3_bind_int64(stmt, 1, (gint64)f->index);
    sqlite3_bind_int64(stmt, 2, (gint64)(f->index + (j - i)));
    sqlite3_bind_blob(stmt, 3, hashes->data, (int)(hashes->len * sizeof(guint64)), SQLITE_STATIC);
    if (!step_done(ck, stmt, "writing finished inputs failed", error))
      goto fail;
    i = j;
  }
  for (guint i = 0; i < b->deletes->len; i++) {
    sqlite3_stmt *stmt = ck->stmts[STMT_DELETE_NODES];
    sqlite3_bind_int64(stmt, 1, (gint64)g_array_index(b->deletes, guint64, i));
    if (!step_done(ck, stmt, "removing node results failed", error))
      goto fail;
  }
  sqlite3_stmt *stmt = ck->stmts[STMT_OFFSET];
  sqlite3_bind_int64(stmt, 1, b->offset);
  if (b->spent)
    sqlite3_bind_text(stmt, 2, b->spent, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(stmt, 2);
  if (!step_done(ck, stmt, "recording the output offset failed", error) ||
      !step_done(ck, ck->stmts[STMT_COMMIT], "committing failed", error))
    goto fail;
  return TRUE;
fail:
  step_done(ck, ck->stmts[STMT_ROLLBACK], "rolling back failed", NULL);
  return FALSE;
}

static gpointer
writer_main(gpointer data)
{
  InfCheckpoint *ck = data;
  for (;;) {
    gpointer item = g_async_queue_pop(ck->queue);
    if (item == (gpointer)&ck->stop)
      break;
    CommitBatch *b = item;
    gint64 start = g_get_monotonic_time();
    GError *error = NULL;
    write_batch(ck, b, &error);
    gint64 took = g_get_monotonic_time() - start;
    g_mutex_lock(&ck->lock);
    ck->done_seq = b->seq;
    ck->writer_total_us += took;
    ck->writer_max_us = MAX(ck->writer_max_us, took);
    if (error && !ck->writer_error)
      ck->writer_error = g_steal_pointer(&error);
    g_cond_broadcast(&ck->cond);
    g_mutex_unlock(&ck->lock);
    g_clear_error(&error);
    batch_free(b);
  }
  return NULL;
}

/* The writer's first error, if any, as the checkpoint's. */
static gboolean
check_writer(InfCheckpoint *ck, GError **error)
{
  if (!ck->broken && ck->writer) {
    g_mutex_lock(&ck->lock);
    if (ck->writer_error)
      ck->broken = g_error_copy(ck->writer_error);
    g_mutex_unlock(&ck->lock);
  }
  if (ck->broken) {
    g_propagate_error(error, g_error_copy(ck->broken));
    return FALSE;
  }
  return TRUE;
}

gboolean
inf_checkpoint_commit(InfCheckpoint *ck, InfOutput *output, gboolean all, GError **error)
{
  if (!check_writer(ck, error))
    return FALSE;
  gint64 start = g_get_monotonic_time();
  gboolean wait = all;
  if (!wait) {
    /* The writer is still at the last one: this one waits for the next
     * interval rather than stall the loop. */
    g_mutex_lock(&ck->lock);
    gboolean busy = ck->done_seq != ck->queued_seq;
    g_mutex_unlock(&ck->lock);
    if (busy)
      return TRUE;
  }
  /* The output first; the writer syncs it before it commits the offset. */
  GError *local = NULL;
  if (!inf_output_flush(output, FALSE, &local)) {
    ck->broken = g_error_copy(local);
    g_propagate_error(error, local);
    return FALSE;
  }
  CommitBatch *b = g_new0(CommitBatch, 1);
  b->rows = g_array_new(FALSE, FALSE, sizeof(RowOut));
  collect_nodes(ck, all, b->rows);
  b->finished = ck->finished;
  b->deletes = ck->deletes;
  ck->finished = g_array_new(FALSE, FALSE, sizeof(Finished));
  ck->deletes = g_array_new(FALSE, FALSE, sizeof(guint64));
  b->offset = inf_output_get_offset(output);
  b->spent = g_strdup(ck->spent_text);
  b->sync_fd = b->offset != ck->queued_offset ? inf_output_get_fd(output) : -1;
  ck->queued_offset = b->offset;
  /* Failed inputs, their nodes now in the batch, are done with. */
  for (Tracked *t = ck->tracked, *next; t; t = next) {
    next = t->next;
    if (t->failed)
      untrack(ck, t);
  }
  if (!ck->writer) {
    ck->queue = g_async_queue_new();
    ck->writer = g_thread_new("inf-checkpoint", writer_main, ck);
  }
  g_mutex_lock(&ck->lock);
  b->seq = ++ck->queued_seq;
  guint64 seq = b->seq;
  g_mutex_unlock(&ck->lock);
  g_async_queue_push(ck->queue, b);
  if (wait) {
    g_mutex_lock(&ck->lock);
    while (ck->done_seq < seq)
      g_cond_wait(&ck->cond, &ck->lock);
    g_mutex_unlock(&ck->lock);
  }
  ck->commits++;
  ck->last_commit_us = g_get_monotonic_time() - start;
  ck->max_commit_us = MAX(ck->max_commit_us, ck->last_commit_us);
  ck->total_commit_us += ck->last_commit_us;
  return check_writer(ck, error);
}
