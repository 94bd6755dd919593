/* `inf-engine run --checkpoint FILE [--resume]` end to end: the program runs
 * as a subprocess against the loopback fake LLM server, which serves in this
 * test's main loop and counts every call. Kills are triggered by what the
 * fake or the journal has seen (a call count, rows committed), never by
 * time. After a kill -9 and --resume the output must hold every input
 * exactly once, equal to a clean run, and no committed call may be made
 * again. Also: each reason a resume is refused, the pid lock, bad files, and
 * the output rules (whole lines, EPIPE, write errors, the same file). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>

#include "inf-test.h"

#define KEY_ENV "INF_TEST_CHECKPOINT_KEY"
#define HOLD "500 delay=3600000" /* a call that is never answered */

typedef struct {
  InfTestServerFixture s; /* the fake server and the temp dir */
  char *inputs;
  char *output;
  char *checkpoint;
} Fixture;

typedef struct {
  InfTestEngine *process;
  int status; /* exit status, or 128 + signal */
  char *log;  /* stderr */
} Engine;

/* --- set-up --- */

/* The config: text → a (first, system prompt from the parameter "style") →
 * b (second); @extra_second is added to the second module's options,
 * @third adds a third node. */
static char *
write_config(Fixture *f, const char *name, const char *style, const char *model, int max_concurrent,
             const char *extra_second, gboolean third)
{
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"fake\": {\"provider\": \"openai\", \"model\": \"%s\", "
      "\"base_url\": \"%s/v1\", \"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": %d, "
      "\"max_retries\": 0}}},\n"
      " \"parameters\": {\"style\": {\"value\": \"%s\"}},\n"
      " \"modules\": {\n"
      "  \"first\": {\"type\": \"llm\", \"alias\": \"fake\", \"system_prompt\": {\"parameter\": "
      "\"style\"}},\n"
      "  \"second\": {\"type\": \"llm\", \"alias\": \"fake\", \"system_prompt\": \"Second.\"%s},\n"
      "  \"pipe\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
      "    \"a\": {\"module\": \"first\", \"args\": [\"$text\"]},\n"
      "    \"b\": {\"module\": \"second\", \"args\": [\"$a\"]}%s},\n"
      "   \"outputs\": {\"a\": \"$a\", \"b\": \"$b\"}}},\n"
      " \"main\": \"pipe\"}\n",
      model, inf_fake_llm_get_base_url(f->s.fake), max_concurrent, style, extra_second,
      third ? ", \"c\": {\"module\": \"second\", \"args\": [\"$b\"]}" : "");
  char *path = g_build_filename(f->s.dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static void
write_inputs(Fixture *f, guint n, const char *changed_line)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(out, "{\"text\": \"input %u %s\"}\n", i,
                           changed_line && i == 1 ? changed_line : "about something");
  g_assert_true(g_file_set_contents(f->inputs, out->str, (gssize)out->len, NULL));
  g_string_free(out, TRUE);
}

/* @n inputs and the config "config.json" (style "Summarize.", model m1,
 * @max_concurrent calls at a time, two nodes). */
static char *
write_default_run(Fixture *f, guint n, int max_concurrent)
{
  write_inputs(f, n, NULL);
  return write_config(f, "config.json", "Summarize.", "m1", max_concurrent, "", FALSE);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  inf_test_server_fixture_set_up(&f->s, data);
  f->inputs = g_build_filename(f->s.dir, "inputs.jsonl", NULL);
  f->output = g_build_filename(f->s.dir, "out.jsonl", NULL);
  f->checkpoint = g_build_filename(f->s.dir, "run.ckpt", NULL);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  inf_test_server_fixture_tear_down(&f->s, data);
  g_free(f->inputs);
  g_free(f->output);
  g_free(f->checkpoint);
}

/* --- the engine --- */

/* `run CONFIG`, then the NULL-terminated @first (NULL: none), then the
 * NULL-terminated arguments of @ap. */
static GPtrArray *
run_args(const char *config, const char *const *first, va_list ap)
{
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, "run");
  g_ptr_array_add(argv, (char *)config);
  for (; first && *first; first++)
    g_ptr_array_add(argv, (char *)*first);
  const char *arg;
  while ((arg = va_arg(ap, const char *)))
    g_ptr_array_add(argv, (char *)arg);
  g_ptr_array_add(argv, NULL);
  return argv;
}

/* The API key of the config's endpoint. */
static const char *const engine_env[] = { KEY_ENV "=sk-test", NULL };
static const InfTestSpawn engine_spawn = { .env = engine_env };

static void
engine_start_v(Engine *e, const char *config, const char *const *first, va_list ap)
{
  memset(e, 0, sizeof *e);
  g_autoptr(GPtrArray) argv = run_args(config, first, ap);
  e->process = inf_test_engine_start(&engine_spawn, (const char *const *)argv->pdata);
}

/* Starts `inf-engine run CONFIG ARGS...` (NULL-terminated). */
static void
engine_start(Engine *e, const char *config, ...)
{
  va_list ap;
  va_start(ap, config);
  engine_start_v(e, config, NULL, ap);
  va_end(ap);
}

/* The arguments of a run over the inputs with the checkpoint. */
#define CHECKPOINTED(f)                                                                          \
  ((const char *const[]){ "-i", (f)->inputs, "-o", (f)->output, "--checkpoint", (f)->checkpoint, \
                          NULL })

/* Starts `inf-engine run CONFIG -i INPUTS -o OUTPUT --checkpoint FILE ARGS...`. */
static void
engine_start_checkpointed(Fixture *f, Engine *e, const char *config, ...)
{
  va_list ap;
  va_start(ap, config);
  engine_start_v(e, config, CHECKPOINTED(f), ap);
  va_end(ap);
}

static void
engine_wait(Fixture *f, Engine *e)
{
  (void)f;
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(g_steal_pointer(&e->process), &run);
  e->status = run.status;
  e->log = g_steal_pointer(&run.err);
}

/* kill -9, then serve what the dead engine sent before it died: requests it
 * wrote to its sockets are still queued at the fake (loopback delivers them
 * at once), and served later they would count as calls of the next run.
 * Everything they need is already readable, so iterating the context until
 * nothing is ready serves them all; the stats are the dead run's after. */
static void
engine_kill(Fixture *f, Engine *e)
{
  inf_test_engine_send_signal(e->process, SIGKILL);
  engine_wait(f, e);
  g_assert_cmpint(e->status, ==, 128 + SIGKILL);
  while (g_main_context_iteration(f->s.context, FALSE))
    ;
}

static void
engine_clear(Engine *e)
{
  g_assert_null(e->process);
  g_free(e->log);
  memset(e, 0, sizeof *e);
}

static int
run_engine_v(char **log, const char *config, const char *const *first, va_list ap)
{
  g_autoptr(GPtrArray) argv = run_args(config, first, ap);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run(&run, &engine_spawn, (const char *const *)argv->pdata);
  if (log)
    *log = g_steal_pointer(&run.err);
  return run.status;
}

/* Runs to the end; returns the exit status, the log in *log if asked. */
static int
run_engine(Fixture *f, char **log, const char *config, ...)
{
  (void)f;
  va_list ap;
  va_start(ap, config);
  int status = run_engine_v(log, config, NULL, ap);
  va_end(ap);
  return status;
}

/* run_engine() with `-i INPUTS -o OUTPUT --checkpoint FILE` before ARGS. */
static int
run_checkpointed(Fixture *f, char **log, const char *config, ...)
{
  va_list ap;
  va_start(ap, config);
  int status = run_engine_v(log, config, CHECKPOINTED(f), ap);
  va_end(ap);
  return status;
}

static guint64
fake_ok(Fixture *f)
{
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->s.fake, &stats);
  return stats.ok;
}

static guint64
fake_requests(Fixture *f)
{
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->s.fake, &stats);
  return stats.requests;
}

/* Iterates the loop until the fake has received @n requests. */
static void
wait_requests(Fixture *f, Engine *e, guint64 n)
{
  inf_test_fake_wait_requests(f->s.fake, n, e->process);
}

/* Inputs finished and node rows in the journal (read-only, as a second
 * reader of the WAL file). */
static void
journal_counts(Fixture *f, gint64 *done, gint64 *nodes)
{
  sqlite3 *db = NULL;
  *done = *nodes = -1;
  if (sqlite3_open_v2(f->checkpoint, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT IFNULL(SUM(hi - lo), 0) FROM input_done), "
                           "(SELECT COUNT(*) FROM node_result)",
                           -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      *done = sqlite3_column_int64(stmt, 0);
      *nodes = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
}

typedef struct {
  Fixture *f;
  gint64 done;
  gint64 nodes;
} JournalWait;

static gboolean
journal_reached(gpointer data)
{
  JournalWait *w = data;
  gint64 d = -1, n = -1;
  journal_counts(w->f, &d, &n);
  return d == w->done && n >= w->nodes;
}

/* Iterates the loop until the journal has committed @done finished inputs
 * and at least @nodes node rows (the engine commits on its own timer). */
static void
wait_journal(Fixture *f, Engine *e, gint64 done, gint64 nodes)
{
  JournalWait w = { f, done, nodes };
  inf_test_engine_wait_until(e->process, journal_reached, &w);
}

/* A checkpointed run (`-i INPUTS -o OUTPUT --checkpoint FILE ARGS...`,
 * NULL-terminated) while the fake answers the first @answered calls and
 * holds the others; kill -9 once the fake has received @requests calls and,
 * when @done >= 0, the journal has @done finished inputs and at least @nodes
 * node rows. */
static void
kill_while_held(Fixture *f, const char *config, guint64 answered, guint64 requests, gint64 done,
                gint64 nodes, ...)
{
  g_autofree char *script = g_strdup_printf("ok x%" G_GUINT64_FORMAT, answered);
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, HOLD, NULL));
  g_assert_true(inf_fake_llm_push_script(f->s.fake, script, NULL));
  Engine e;
  va_list ap;
  va_start(ap, nodes);
  engine_start_v(&e, config, CHECKPOINTED(f), ap);
  va_end(ap);
  wait_requests(f, &e, requests);
  if (done >= 0)
    wait_journal(f, &e, done, nodes);
  engine_kill(f, &e);
  engine_clear(&e);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The output as sorted lines without timings; asserts every line is whole
 * JSON and no index appears twice. */
static char *
normalized_output(Fixture *f)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(f->output, &text, &len, NULL));
  if (len)
    g_assert_cmpint(text[len - 1], ==, '\n');
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
  GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (char **line = lines; *line; line++) {
    if (!**line)
      continue;
    json_object *o = json_tokener_parse(*line);
    g_assert_nonnull(o);
    json_object *index;
    g_assert_true(json_object_object_get_ex(o, "index", &index));
    gint64 i = json_object_get_int64(index);
    g_assert_false(g_hash_table_contains(seen, GSIZE_TO_POINTER(i + 1)));
    g_hash_table_add(seen, GSIZE_TO_POINTER(i + 1));
    json_object_object_del(o, "duration_ms");
    g_ptr_array_add(rows, g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)));
    json_object_put(o);
  }
  g_ptr_array_sort(rows, compare_strings);
  g_ptr_array_add(rows, NULL);
  char *joined = g_strjoinv("\n", (char **)rows->pdata);
  g_ptr_array_unref(rows);
  g_hash_table_unref(seen);
  return joined;
}

static void
reset_fake(Fixture *f)
{
  inf_fake_llm_reset_stats(f->s.fake);
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "ok", NULL));
}

/* A clean run of @config over the inputs: its normalized output and calls. */
static char *
clean_run(Fixture *f, const char *config, guint64 *calls)
{
  reset_fake(f);
  g_assert_cmpint(run_engine(f, NULL, config, "-i", f->inputs, "-o", f->output, "-q", NULL), ==, 0);
  *calls = fake_ok(f);
  char *out = normalized_output(f);
  reset_fake(f);
  g_remove(f->output);
  return out;
}

static void
resume_to_end(Fixture *f, const char *config, int expected_status)
{
  g_autofree char *log = NULL;
  int status = run_checkpointed(f, &log, config, "--resume", NULL);
  if (status != expected_status)
    g_test_message("%s", log);
  g_assert_cmpint(status, ==, expected_status);
}

/* Resumes the run to the end (exit 0) with the fake's stats reset: the
 * output must be @clean, the clean run's; the stats are the resumed run's. */
static void
resume_to_clean(Fixture *f, const char *config, const char *clean)
{
  reset_fake(f);
  resume_to_end(f, config, 0);
  g_autofree char *resumed = normalized_output(f);
  g_assert_cmpstr(resumed, ==, clean);
}

/* --- kill -9, then --resume --- */

/* Calls one at a time (a0 b0 a1 b1 ...); the 8th is held forever. Once the
 * journal has inputs 0-2 and input 3's node a, kill -9. The resumed run
 * makes exactly the calls not completed before: none of the 7 again. */
static void
test_kill_with_node_rows(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 10, 1);
  guint64 clean_calls = 0;
  g_autofree char *clean = clean_run(f, config, &clean_calls);
  g_assert_cmpuint(clean_calls, ==, 20);

  kill_while_held(f, config, 7, 8, 3, 1, "-q", NULL);
  g_assert_cmpuint(fake_ok(f), ==, 7);

  resume_to_clean(f, config, clean);
  g_assert_cmpuint(fake_ok(f), ==, clean_calls - 7);
  /* Everything finished: no node rows left. */
  gint64 done, nodes;
  journal_counts(f, &done, &nodes);
  g_assert_cmpint(done, ==, 10);
  g_assert_cmpint(nodes, ==, 0);
}

/* kill -9 at several points (after the Nth call reached the fake, with 4
 * calls at a time), then --resume, twice in a row for one of them: the
 * output is always the clean run's, each input once. */
static void
test_kill_at_several_points(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 24, 4);
  guint64 clean_calls = 0;
  g_autofree char *clean = clean_run(f, config, &clean_calls);
  static const guint64 points[] = { 1, 9, 30 };
  for (guint p = 0; p < G_N_ELEMENTS(points); p++) {
    g_remove(f->checkpoint);
    g_autofree char *wal = g_strconcat(f->checkpoint, "-wal", NULL);
    g_remove(wal);
    g_remove(f->output);
    reset_fake(f);
    /* Only the first calls are answered: the engine cannot finish (or run
     * past the point) before the kill, however the two are scheduled. */
    kill_while_held(f, config, points[p], points[p], -1, -1, "-q", "--ordered", NULL);
    if (p == 1) {
      /* Killed again while resuming, after 5 calls of its own. */
      reset_fake(f);
      kill_while_held(f, config, 5, 5, -1, -1, "--resume", "-q", "--ordered", NULL);
    }
    resume_to_clean(f, config, clean);
    g_assert_cmpuint(fake_ok(f), <=, clean_calls);
  }
}

/* A switch routes on node a's reply: texts with "alpha" to the second
 * module, the others to a third. Killed while input 2's case is held, the
 * resumed run restores a, decides the switch again from it, and makes
 * exactly the calls that were missing. */
static void
test_kill_with_switch(Fixture *f, gconstpointer data)
{
  (void)data;
  GString *lines = g_string_new(NULL);
  for (guint i = 0; i < 6; i++)
    g_string_append_printf(lines, "{\"text\": \"input %u %s\"}\n", i, i % 2 ? "beta" : "alpha");
  g_assert_true(g_file_set_contents(f->inputs, lines->str, (gssize)lines->len, NULL));
  g_string_free(lines, TRUE);
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"fake\": {\"provider\": \"openai\", \"model\": \"m1\", "
      "\"base_url\": \"%s/v1\", \"api_key_env\": \"" KEY_ENV "\", \"max_concurrent\": 1, "
      "\"max_retries\": 0}}},\n"
      " \"modules\": {\n"
      "  \"first\": {\"type\": \"llm\", \"alias\": \"fake\", \"system_prompt\": \"First.\"},\n"
      "  \"second\": {\"type\": \"llm\", \"alias\": \"fake\", \"system_prompt\": \"Second.\"},\n"
      "  \"third\": {\"type\": \"llm\", \"alias\": \"fake\", \"system_prompt\": \"Third.\"},\n"
      "  \"pipe\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
      "    \"a\": {\"module\": \"first\", \"args\": [\"$text\"]},\n"
      "    \"routed\": {\"switch\": \"$a\", \"cases\": [\n"
      "      {\"match\": {\"contains\": \"alpha\"}, \"module\": \"second\", \"args\": [\"$a\"]}],\n"
      "     \"default\": {\"module\": \"third\", \"args\": [\"$a\"]}}},\n"
      "   \"outputs\": {\"a\": \"$a\", \"routed\": \"$routed\"}}},\n"
      " \"main\": \"pipe\"}\n",
      inf_fake_llm_get_base_url(f->s.fake));
  g_autofree char *config = g_build_filename(f->s.dir, "switch.json", NULL);
  g_assert_true(g_file_set_contents(config, text, -1, NULL));
  guint64 clean_calls = 0;
  g_autofree char *clean = clean_run(f, config, &clean_calls);
  g_assert_cmpuint(clean_calls, ==, 12);
  g_assert_nonnull(strstr(clean, "\"routed\":\"echo: "));

  /* a0 case0 a1 case1 a2, then input 2's case is held. */
  kill_while_held(f, config, 5, 6, 2, 1, "-q", NULL);
  g_assert_cmpuint(fake_ok(f), ==, 5);

  resume_to_clean(f, config, clean);
  g_assert_cmpuint(fake_ok(f), ==, clean_calls - 5);
}

/* A budget stop (exit 3) flushes the checkpoint; --resume with a higher
 * limit continues the same run to the end, repeating no call. */
static void
test_budget_stop_and_resume(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 6, 1);
  guint64 clean_calls = 0;
  g_autofree char *clean = clean_run(f, config, &clean_calls);
  g_assert_cmpuint(clean_calls, ==, 12);
  g_autofree char *log = NULL;
  g_assert_cmpint(run_checkpointed(f, &log, config, "--max-requests", "4", NULL), ==, 3);
  g_assert_cmpuint(fake_ok(f), ==, 4);
  g_assert_nonnull(strstr(log, "--resume"));
  g_clear_pointer(&log, g_free);
  reset_fake(f);
  g_assert_cmpint(run_checkpointed(f, &log, config, "--resume", "--max-requests", "12", NULL), ==,
                  0);
  g_assert_cmpuint(fake_ok(f), ==, 8);
  g_autofree char *resumed = normalized_output(f);
  g_assert_cmpstr(resumed, ==, clean);
}

/* A node that fails ends its input in error; --resume runs that input
 * again, but only its failed node: the completed one is restored. */
static void
test_failed_input_runs_again(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 3, 1);
  guint64 clean_calls = 0;
  g_autofree char *clean = clean_run(f, config, &clean_calls);
  /* a0 b0 a1, then b1 fails (400, not retried), a2 b2. */
  g_assert_true(inf_fake_llm_push_script(f->s.fake, "ok; ok; ok; 400", NULL));
  g_autofree char *log = NULL;
  g_assert_cmpint(run_checkpointed(f, &log, config, NULL), ==, 1);
  g_assert_nonnull(strstr(log, "1 failed"));
  g_autofree char *failed = normalized_output(f);
  g_assert_nonnull(strstr(failed, "\"errors\""));
  resume_to_clean(f, config, clean);
  g_assert_cmpuint(fake_ok(f), ==, 1);
}

/* SIGINT: the in-flight input finishes, the journal is flushed, and the
 * summary prints the command that resumes. */
static void
test_sigint_prints_resume(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 6, 1);
  guint64 clean_calls = 0;
  g_autofree char *clean = clean_run(f, config, &clean_calls);
  g_assert_true(inf_fake_llm_push_script(f->s.fake, "ok x3", NULL));
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "ok delay=3600000", NULL));
  Engine e;
  engine_start_checkpointed(f, &e, config, NULL);
  wait_requests(f, &e, 4);
  /* b1 is held; SIGINT stops new inputs, the journal is committed now. */
  inf_test_engine_send_signal(e.process, SIGINT);
  wait_journal(f, &e, 1, 1);
  engine_kill(f, &e);
  engine_clear(&e);
  reset_fake(f);
  /* An interrupted run that ends by itself says how to go on. */
  g_assert_true(inf_fake_llm_push_script(f->s.fake, "ok", NULL));
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, "ok delay=3600000", NULL));
  engine_start_checkpointed(f, &e, config, "--resume", NULL);
  wait_requests(f, &e, 2);
  inf_test_engine_send_signal(e.process, SIGINT);
  inf_test_engine_send_signal(e.process, SIGTERM);
  engine_wait(f, &e);
  g_assert_cmpint(e.status, ==, 130);
  g_assert_nonnull(strstr(e.log, "--checkpoint"));
  g_assert_nonnull(strstr(e.log, "--resume"));
  g_assert_nonnull(strstr(e.log, "to continue the run"));
  engine_clear(&e);
  resume_to_clean(f, config, clean);
  g_assert_cmpuint(fake_ok(f), <=, clean_calls - 3);
}

/* --- refusals --- */

static void
assert_refused(Fixture *f, const char *config, const char *expected)
{
  g_autofree char *log = NULL;
  int status = run_checkpointed(f, &log, config, "--resume", NULL);
  if (!strstr(log, expected))
    g_test_message("expected '%s' in:\n%s", expected, log);
  g_assert_cmpint(status, ==, 2);
  g_assert_nonnull(strstr(log, expected));
}

static void
test_resume_refusals(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 4, 1);
  /* A run that finishes inputs 0 and 1, then stops at a held call. */
  kill_while_held(f, config, 4, 5, 2, 0, "-q", NULL);
  g_autofree char *before = NULL;
  g_assert_true(g_file_get_contents(f->output, &before, NULL, NULL));
  reset_fake(f);

  g_autofree char *param = write_config(f, "param.json", "Summarize briefly.", "m1", 1, "", FALSE);
  assert_refused(f, param, "parameter 'style' changed");
  g_autofree char *model = write_config(f, "model.json", "Summarize.", "m2", 1, "", FALSE);
  assert_refused(f, model, "alias 'fake' changed its model (openai/m1, now openai/m2)");
  g_autofree char *graph = write_config(f, "graph.json", "Summarize.", "m1", 1, "", TRUE);
  assert_refused(f, graph, "the graph");
  g_autofree char *option =
      write_config(f, "option.json", "Summarize.", "m1", 1, ", \"temperature\": 0.5", FALSE);
  assert_refused(f, option, "the config (its modules or their options) changed");
  write_inputs(f, 4, "changed");
  assert_refused(f, config, "input 1 is not the line");
  write_inputs(f, 4, NULL);
  /* Input 1 finished: an input of one line no longer has it. */
  g_autofree char *one = g_strdup_printf("{\"text\": \"input 0 about something\"}\n");
  g_assert_true(g_file_set_contents(f->inputs, one, -1, NULL));
  assert_refused(f, config, "has finished inputs up to index 1");
  write_inputs(f, 4, NULL);
  /* Nothing was called and the output is as it was. */
  g_assert_cmpuint(fake_requests(f), ==, 0);
  g_autofree char *after = NULL;
  g_assert_true(g_file_get_contents(f->output, &after, NULL, NULL));
  g_assert_cmpstr(after, ==, before);
  /* Resources other than the models may change (limits, budgets). */
  g_autofree char *limits = write_config(f, "limits.json", "Summarize.", "m1", 3, "", FALSE);
  resume_to_end(f, limits, 0);
  g_assert_cmpuint(fake_ok(f), ==, 4);
}

static void
test_checkpoint_in_use(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 2, 1);
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, HOLD, NULL));
  Engine e;
  engine_start_checkpointed(f, &e, config, "-q", NULL);
  wait_requests(f, &e, 1);
  g_autofree char *log = NULL;
  g_autofree char *other = g_build_filename(f->s.dir, "other.jsonl", NULL);
  int status = run_engine(f, &log, config, "-i", f->inputs, "-o", other, "--checkpoint",
                          f->checkpoint, "--resume", NULL);
  g_assert_cmpint(status, ==, 2);
  g_autofree char *expected =
      g_strdup_printf("in use by pid %s", inf_test_engine_get_pid(e.process));
  g_assert_nonnull(strstr(log, expected));
  engine_kill(f, &e);
  engine_clear(&e);
}

static void
test_bad_checkpoint_files(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 2, 1);
  g_autofree char *log = NULL;
  /* Missing. */
  g_assert_cmpint(run_checkpointed(f, &log, config, "--resume", NULL), ==, 2);
  g_assert_nonnull(strstr(log, "does not exist"));
  g_clear_pointer(&log, g_free);
  /* Not SQLite at all. */
  g_assert_true(g_file_set_contents(f->checkpoint,
                                    "this is not a database, just some text that "
                                    "is long enough to look like a header and a page........",
                                    -1, NULL));
  g_assert_cmpint(run_checkpointed(f, &log, config, "--resume", NULL), ==, 2);
  g_assert_nonnull(strstr(log, "is not an inf-engine checkpoint"));
  g_clear_pointer(&log, g_free);
  /* An existing file is never overwritten by a new run. */
  g_assert_cmpint(run_checkpointed(f, &log, config, NULL), ==, 2);
  g_assert_nonnull(strstr(log, "already exists"));
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(f->checkpoint, &text, NULL, NULL));
  g_assert_true(g_str_has_prefix(text, "this is not a database"));
  g_clear_pointer(&log, g_free);
  /* SQLite, but another application's. */
  g_remove(f->checkpoint);
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open(f->checkpoint, &db), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)", NULL, NULL, NULL),
                  ==, SQLITE_OK);
  sqlite3_close(db);
  g_assert_cmpint(run_checkpointed(f, &log, config, "--resume", NULL), ==, 2);
  g_assert_nonnull(strstr(log, "is not an inf-engine checkpoint"));
  g_clear_pointer(&log, g_free);
  /* A directory where the file should be created. */
  g_autofree char *dir = g_build_filename(f->s.dir, "sub", NULL);
  g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
  g_autofree char *inside = g_build_filename(dir, "missing", "run.ckpt", NULL);
  g_assert_cmpint(
      run_engine(f, &log, config, "-i", f->inputs, "-o", f->output, "--checkpoint", inside, NULL),
      ==, 2);
  g_assert_nonnull(strstr(log, "cannot create checkpoint"));
  g_rmdir(dir);
}

static void
test_usage_errors(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 2, 1);
  g_autofree char *log = NULL;
  g_assert_cmpint(run_engine(f, &log, config, "-i", f->inputs, "-o", f->output, "--resume", NULL),
                  ==, 2);
  g_assert_nonnull(strstr(log, "--resume needs --checkpoint"));
  g_clear_pointer(&log, g_free);
  g_assert_cmpint(run_engine(f, &log, config, "-i", f->inputs, "--checkpoint", f->checkpoint, NULL),
                  ==, 2);
  g_assert_nonnull(strstr(log, "--checkpoint needs --output FILE"));
  g_assert_false(g_file_test(f->checkpoint, G_FILE_TEST_EXISTS));
  g_clear_pointer(&log, g_free);
  /* The input as the output: refused before it is truncated. */
  g_autofree char *before = NULL;
  g_assert_true(g_file_get_contents(f->inputs, &before, NULL, NULL));
  g_assert_cmpint(run_engine(f, &log, config, "-i", f->inputs, "-o", f->inputs, NULL), ==, 2);
  g_assert_nonnull(strstr(log, "is the input file"));
  g_autofree char *after = NULL;
  g_assert_true(g_file_get_contents(f->inputs, &after, NULL, NULL));
  g_assert_cmpstr(after, ==, before);
}

/* --- the output --- */

/* kill -9 without a checkpoint: every line but the last is a whole result.
 * The last may be cut off: the kernel can stop a write() to a regular file
 * partway when SIGKILL arrives (docs/running.md says so); only a checkpoint's
 * --resume cuts it back. */
static void
test_whole_lines(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 400, 8);
  /* 500 calls answered, the rest held: the kill always finds it running. */
  g_assert_true(inf_fake_llm_set_default_text(f->s.fake, HOLD, NULL));
  g_assert_true(inf_fake_llm_push_script(f->s.fake, "ok x500", NULL));
  Engine e;
  engine_start(&e, config, "-i", f->inputs, "-o", f->output, "-q", NULL);
  wait_requests(f, &e, 500);
  engine_kill(f, &e);
  engine_clear(&e);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(f->output, &text, &len, NULL));
  char *end = strrchr(text, '\n');
  g_assert_nonnull(end); /* 500 answered calls: some results were written */
  if ((gsize)(end + 1 - text) < len)
    g_test_message("the kill cut the last line after %zu bytes", len - (gsize)(end + 1 - text));
  end[1] = '\0';
  g_assert_true(g_file_set_contents(f->output, text, -1, NULL));
  g_autofree char *rows = normalized_output(f); /* asserts whole JSON lines */
  g_assert_cmpuint(strlen(rows), >, 0);
}

static void
read_one_line(GObject *source, GAsyncResult *result, gpointer user_data)
{
  char **line = user_data;
  gsize len = 0;
  *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, &len, NULL);
  if (!*line)
    *line = g_strdup("");
}

/* `| head -1`: the reader goes away; a clean stop with a summary. */
static void
test_broken_pipe(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_default_run(f, 3000, 16);
  g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv(launcher, KEY_ENV, "sk-test", TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_launcher_spawn(launcher, &error, g_getenv("INF_ENGINE"),
                                                         "run", config, "-i", f->inputs, NULL);
  g_assert_no_error(error);
  g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
  char *line = NULL;
  g_data_input_stream_read_line_async(out, G_PRIORITY_DEFAULT, NULL, read_one_line, &line);
  while (!line)
    g_main_context_iteration(f->s.context, TRUE);
  g_assert_true(g_str_has_prefix(line, "{\"index\":"));
  g_free(line);
  g_assert_true(g_input_stream_close(g_subprocess_get_stdout_pipe(p), NULL, NULL));
  g_clear_object(&out);
  GInputStream *err = g_subprocess_get_stderr_pipe(p);
  g_autoptr(GOutputStream) log = g_memory_output_stream_new_resizable();
  g_output_stream_splice_async(log, err, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT,
                               NULL, NULL, NULL);
  g_subprocess_wait_async(p, NULL, NULL, NULL);
  while (g_subprocess_get_identifier(p) != NULL || !g_output_stream_is_closed(log))
    g_main_context_iteration(f->s.context, TRUE);
  g_assert_true(g_subprocess_get_if_exited(p));
  g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
  g_autofree char *text =
      g_strndup(g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(log)),
                g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(log)));
  g_assert_nonnull(strstr(text, "stopped (the output was closed)"));
  g_assert_nonnull(strstr(text, " 0 in flight"));
}

/* A device that is always full: exit 1, a clear error, nothing in flight. */
static void
test_write_error(Fixture *f, gconstpointer data)
{
  (void)data;
  if (!g_file_test("/dev/full", G_FILE_TEST_EXISTS)) {
    g_test_skip("no /dev/full");
    return;
  }
  g_autofree char *config = write_default_run(f, 2000, 16);
  g_autofree char *log = NULL;
  g_assert_cmpint(run_engine(f, &log, config, "-i", f->inputs, "-o", "/dev/full", NULL), ==, 1);
  g_assert_nonnull(strstr(log, "writing /dev/full failed: No space left on device"));
  g_assert_nonnull(strstr(log, "stopped:"));
  g_assert_nonnull(strstr(log, " 0 in flight"));
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "checkpoint/kill-with-node-rows", test_kill_with_node_rows },
  { "checkpoint/kill-at-several-points", test_kill_at_several_points },
  { "checkpoint/kill-with-switch", test_kill_with_switch },
  { "checkpoint/budget-stop-and-resume", test_budget_stop_and_resume },
  { "checkpoint/failed-input-runs-again", test_failed_input_runs_again },
  { "checkpoint/sigint-prints-resume", test_sigint_prints_resume },
  { "checkpoint/resume-refusals", test_resume_refusals },
  { "checkpoint/in-use", test_checkpoint_in_use },
  { "checkpoint/bad-files", test_bad_checkpoint_files },
  { "checkpoint/usage-errors", test_usage_errors },
  { "output/whole-lines", test_whole_lines },
  { "output/broken-pipe", test_broken_pipe },
  { "output/write-error", test_write_error },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/", Fixture, fixture_set_up, cases, fixture_tear_down);
  return g_test_run();
}
