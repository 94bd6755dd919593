/* InfCheckpoint in process on the diamond graph (a, b, c, d): what a commit
 * journals, what a resumed journal gives back (finished, partial, changed
 * lines, restored nodes), identity refusals, and the output cut back to the
 * last commit with the lines of failed inputs removed. */
#include "exec-fixtures.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "exec/checkpoint.h"

typedef struct {
  InfRegistry *registry;
  InfGraph *graph;
  char *dir;
  char *path;
  char *output;
  json_object *parameters;
  json_object *models;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->registry = inf_registry_new();
  exec_fixtures_register(f->registry);
  f->graph = exec_fixtures_trace(f->registry, "diamond", NULL, (const char *const[]){ "x", NULL });
  f->dir = inf_test_mkdtemp("inf-journal");
  f->path = g_build_filename(f->dir, "run.ckpt", NULL);
  f->output = g_build_filename(f->dir, "out.jsonl", NULL);
  f->parameters = json_tokener_parse("{\"style\": \"short\"}");
  f->models = json_tokener_parse("{\"fast\": \"mock/m1\"}");
}

static void
teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_test_rmdir(f->dir);
  g_free(f->dir);
  g_free(f->path);
  g_free(f->output);
  json_object_put(f->parameters);
  json_object_put(f->models);
  inf_graph_unref(f->graph);
  inf_registry_free(f->registry);
}

static InfCheckpoint *
open_journal(Fixture *f, gboolean resume, GError **error)
{
  InfCheckpointIdentity id = { "config-1", "graph-1", f->parameters, f->models };
  return inf_checkpoint_open(f->path, resume, &id, error);
}

static guint
node(Fixture *f, const char *id)
{
  gint i = inf_graph_lookup(f->graph, id);
  g_assert_cmpint(i, >=, 0);
  return (guint)i;
}

static InfExecState *
new_state(Fixture *f, guint64 index)
{
  g_autoptr(InfValue) x = inf_value_new_text("X");
  InfExecState *state = inf_exec_state_new(f->graph, index, (InfValue *[]){ x });
  return state;
}

static void
complete(Fixture *f, InfExecState *state, const char *id, InfValue *value)
{
  inf_exec_state_mark_running(state, node(f, id));
  inf_exec_state_complete(state, node(f, id), value);
}

static gint64
count_rows(Fixture *f, const char *sql)
{
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
  gint64 n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

static void
write_result(InfOutput *out, guint64 index, const char *rest)
{
  g_autofree char *line = g_strdup_printf("{\"index\":%" G_GUINT64_FORMAT ",%s}", index, rest);
  inf_output_write_line(out, line, strlen(line));
}

/* Inputs 0 and 1 finish (1 with an error), 2 is in flight with a and b
 * completed, 3 never started; then a line is written after the commit and
 * the process "dies". */
static void
run_first(Fixture *f, guint64 hashes[4])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCheckpoint) ck = open_journal(f, FALSE, &error);
  g_assert_no_error(error);
  int fd = inf_checkpoint_open_output(ck, f->output, &error);
  g_assert_no_error(error);
  InfOutput *out = inf_output_new(fd, "out.jsonl");
  for (guint i = 0; i < 4; i++) {
    g_autofree char *line = g_strdup_printf("{\"x\": \"line %u\"}", i);
    hashes[i] = inf_checkpoint_hash_line(line, strlen(line));
    g_assert_cmpuint(inf_checkpoint_check_line(ck, i, hashes[i], NULL), ==,
                     INF_CHECKPOINT_LINE_NEW);
  }
  InfExecState *states[3];
  InfCheckpointEntry *entries[3];
  for (guint i = 0; i < 3; i++) {
    states[i] = new_state(f, i);
    inf_exec_state_start(states[i], NULL, NULL);
    entries[i] = inf_checkpoint_track(ck, states[i], i, hashes[i]);
    complete(f, states[i], "a", inf_value_new_text("A"));
    complete(f, states[i], "b", inf_value_new_text("B"));
  }
  /* Input 1: c completes with a dict, d fails. */
  complete(f, states[1], "c", inf_value_new_json(json_tokener_parse("{\"k\": [1, 2]}")));
  g_autoptr(GError) boom = g_error_new(INF_ERROR, INF_ERROR_FAILED, "boom");
  inf_exec_state_mark_running(states[1], node(f, "d"));
  inf_exec_state_fail(states[1], node(f, "d"), boom);
  write_result(out, 1, "\"errors\":{\"d\":\"boom\"}");
  inf_checkpoint_finish(ck, entries[1], FALSE);
  /* Input 0 completes. */
  complete(f, states[0], "c", inf_value_new_text("C"));
  complete(f, states[0], "d", inf_value_new_text("D"));
  write_result(out, 0, "\"outputs\":\"D\"");
  inf_checkpoint_finish(ck, entries[0], TRUE);
  g_assert_true(inf_checkpoint_commit(ck, out, TRUE, &error));
  g_assert_no_error(error);
  g_assert_cmpint(count_rows(f, "SELECT SUM(hi - lo) FROM input_done"), ==, 1);
  g_assert_cmpint(count_rows(f, "SELECT COUNT(*) FROM input_failed"), ==, 1);
  /* Input 1's completed nodes (a, b, c) and input 2's (a, b). */
  g_assert_cmpint(count_rows(f, "SELECT COUNT(*) FROM node_result"), ==, 5);
  /* Written after the commit: cut on resume. */
  write_result(out, 3, "\"outputs\":\"lost\"");
  g_assert_true(inf_output_flush(out, FALSE, NULL));
  inf_output_free(out);
  close(fd);
  for (guint i = 0; i < 3; i++)
    inf_exec_state_unref(states[i]);
}

static void
test_resume(Fixture *f, gconstpointer data)
{
  (void)data;
  guint64 hashes[4];
  run_first(f, hashes);
  g_autoptr(GError) error = NULL;
  g_autoptr(InfCheckpoint) ck = open_journal(f, TRUE, &error);
  g_assert_no_error(error);
  int fd = inf_checkpoint_open_output(ck, f->output, &error);
  g_assert_no_error(error);
  /* The line of input 3 (after the commit) and of failed input 1 are gone. */
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(f->output, &text, NULL, NULL));
  g_assert_cmpstr(text, ==, "{\"index\":0,\"outputs\":\"D\"}\n");
  g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, (gint64)strlen(text));
  close(fd);
  g_assert_cmpuint(inf_checkpoint_get_resumed(ck), ==, 1);
  g_assert_cmpuint(inf_checkpoint_check_line(ck, 0, hashes[0], NULL), ==, INF_CHECKPOINT_LINE_DONE);
  g_assert_cmpuint(inf_checkpoint_check_line(ck, 1, hashes[1], NULL), ==,
                   INF_CHECKPOINT_LINE_PARTIAL);
  g_assert_cmpuint(inf_checkpoint_check_line(ck, 2, hashes[2], NULL), ==,
                   INF_CHECKPOINT_LINE_PARTIAL);
  g_assert_cmpuint(inf_checkpoint_check_line(ck, 3, hashes[3], NULL), ==, INF_CHECKPOINT_LINE_NEW);
  g_autoptr(GError) changed = NULL;
  g_assert_cmpuint(inf_checkpoint_check_line(ck, 0, hashes[0] + 1, &changed), ==,
                   INF_CHECKPOINT_LINE_CHANGED);
  g_assert_nonnull(strstr(changed->message, "input 0 is not the line"));
  g_assert_true(inf_checkpoint_check_input_count(ck, 1, NULL));
  g_autoptr(GError) fewer = NULL;
  g_assert_false(inf_checkpoint_check_input_count(ck, 0, &fewer));
  g_assert_nonnull(strstr(fewer->message, "up to index 0"));
  /* Input 1 comes back with a, b and c (the dict intact); only d runs. */
  InfExecState *state = new_state(f, 1);
  InfCheckpointEntry *entry = inf_checkpoint_track(ck, state, 1, hashes[1]);
  g_assert_true(inf_checkpoint_restore(ck, entry, &error));
  g_assert_no_error(error);
  g_autoptr(InfValue) a = inf_checkpoint_take_result(ck, entry, node(f, "a"));
  g_autoptr(InfValue) b = inf_checkpoint_take_result(ck, entry, node(f, "b"));
  g_autoptr(InfValue) c = inf_checkpoint_take_result(ck, entry, node(f, "c"));
  g_assert_null(inf_checkpoint_take_result(ck, entry, node(f, "d")));
  g_assert_cmpstr(inf_value_get_text(a), ==, "A");
  g_assert_cmpstr(inf_value_get_text(b), ==, "B");
  g_autoptr(InfValue) k = inf_value_get(c, "k");
  g_assert_nonnull(k);
  g_autofree char *k_text = inf_value_to_string(k);
  g_assert_cmpstr(k_text, ==, "[1,2]");
  /* Taken once. */
  g_assert_null(inf_checkpoint_take_result(ck, entry, node(f, "a")));
  g_assert_cmpuint(inf_checkpoint_get_restored_nodes(ck), ==, 3);
  /* Input 2's node a and b too, left unused: freed with the journal. */
  InfExecState *other = new_state(f, 2);
  InfCheckpointEntry *entry2 = inf_checkpoint_track(ck, other, 2, hashes[2]);
  g_assert_true(inf_checkpoint_restore(ck, entry2, NULL));
  inf_exec_state_unref(other);
  inf_exec_state_unref(state);
}

static void
test_identity(Fixture *f, gconstpointer data)
{
  (void)data;
  guint64 hashes[4];
  run_first(f, hashes);
  json_object_put(f->parameters);
  f->parameters = json_tokener_parse("{\"style\": \"long\", \"tone\": \"dry\"}");
  json_object_put(f->models);
  f->models = json_tokener_parse("{\"fast\": \"mock/m2\"}");
  g_autoptr(GError) error = NULL;
  InfCheckpointIdentity id = { "config-2", "graph-1", f->parameters, f->models };
  g_assert_null(inf_checkpoint_open(f->path, TRUE, &id, &error));
  g_assert_nonnull(strstr(error->message, "parameter 'style' changed its value"));
  g_assert_nonnull(strstr(error->message, "parameter 'tone' was added"));
  g_assert_nonnull(strstr(error->message, "alias 'fast' changed its model (mock/m1, now mock/m2)"));
  g_assert_nonnull(strstr(error->message, "the config (its modules or their options) changed"));
  g_assert_null(strstr(error->message, "the graph"));
  /* The journal is as it was. */
  g_assert_cmpint(count_rows(f, "SELECT COUNT(*) FROM node_result"), ==, 5);
}

static void
test_new_refuses_existing(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_true(g_file_set_contents(f->path, "precious", -1, NULL));
  g_autoptr(GError) error = NULL;
  g_assert_null(open_journal(f, FALSE, &error));
  g_assert_nonnull(strstr(error->message, "already exists"));
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(f->path, &text, NULL, NULL));
  g_assert_cmpstr(text, ==, "precious");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/checkpoint/journal/resume", Fixture, NULL, setup, test_resume, teardown);
  g_test_add("/checkpoint/journal/identity", Fixture, NULL, setup, test_identity, teardown);
  g_test_add("/checkpoint/journal/new-refuses-existing", Fixture, NULL, setup,
             test_new_refuses_existing, teardown);
  return g_test_run();
}
