/* inf-engine train killed with SIGKILL, then the same command with
 * --resume: --out, --history and the printed summary are byte-identical to
 * an uninterrupted run's, wherever the kill fell (the baseline, a step's
 * forward, a step's validation, the test, after the end).
 *
 * The demo router of configs/train gets a second node on the loopback fake
 * server (its output is not scored): with --max-inflight 1 the fake sees one
 * request at a time, and a script "ok xN; hold" stops the engine at its
 * (N+1)th request, where it is killed. The kill point is a request count,
 * never a time. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "inf-test.h"

typedef struct {
  InfFakeLlm *fake;
  char *dir;
  char *config, *train, *val, *test, *out, *history, *checkpoint;
} Fixture;

/* configs/train's router with a second node, "echo", that calls the fake
 * (alias "probe"); the loss scores the router's output, "queue". */
static char *
probed_config(const char *root, const char *base_url)
{
  g_autofree char *src = g_build_filename(root, "configs", "train", "router.json", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
  /* add the fake endpoint, the probe module and its node */
  const char *pairs[][2] = {
    { "\"endpoints\": {",
      "\"endpoints\": { \"probe\": {\"provider\": \"openai\", \"model\": \"m\", \"base_url\": "
      "\"@URL@/v1\", \"api_key_env\": \"INF_TRAIN_KILL_KEY\", \"max_retries\": 0}," },
    { "\"modules\": {",
      "\"modules\": { \"probe\": {\"type\": \"llm\", \"alias\": \"probe\", \"system_prompt\": "
      "\"Repeat.\"}," },
    { "\"nodes\": {", "\"nodes\": { \"echo\": {\"module\": \"probe\", \"args\": [\"$ticket\"]}," },
    { "\"outputs\": {", "\"outputs\": { \"echo\": \"$echo\"," },
    { "\"training\": {", "\"training\": { \"output\": \"queue\"," },
    { "@URL@", base_url },
  };
  char *config = g_steal_pointer(&text);
  for (guint i = 0; i < G_N_ELEMENTS(pairs); i++) {
    g_auto(GStrv) parts = g_strsplit(config, pairs[i][0], -1);
    g_assert_cmpuint(g_strv_length(parts), ==, 2);
    g_free(config);
    config = g_strjoinv(pairs[i][1], parts);
  }
  return config;
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *root = g_getenv("INF_SOURCE_ROOT");
  g_assert_nonnull(root);
  f->fake = inf_test_fake_start();
  f->dir = inf_test_mkdtemp("inf-train-kill");
  g_autofree char *config = probed_config(root, inf_fake_llm_get_base_url(f->fake));
  f->config = inf_test_write(f->dir, "router.json", config);
  const char *names[] = { "train.jsonl", "val.jsonl", "test.jsonl" };
  char **paths[] = { &f->train, &f->val, &f->test };
  for (guint i = 0; i < 3; i++) {
    g_autofree char *src = g_build_filename(root, "configs", "train", names[i], NULL);
    *paths[i] = inf_test_copy(src, f->dir, names[i]);
  }
  f->out = g_build_filename(f->dir, "params.json", NULL);
  f->history = g_build_filename(f->dir, "history.jsonl", NULL);
  f->checkpoint = g_build_filename(f->dir, "train.ckpt", NULL);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_test_rmdir(f->dir);
  inf_test_fake_stop(f->fake);
  g_free(f->dir);
  g_free(f->config);
  g_free(f->train);
  g_free(f->val);
  g_free(f->test);
  g_free(f->out);
  g_free(f->history);
  g_free(f->checkpoint);
}

static const char *env[] = { "INF_TRAIN_KILL_KEY=test-key", NULL };

/* Starts the command (with --resume when @resume). */
static InfTestEngine *
start(Fixture *f, gboolean resume)
{
  InfTestSpawn spawn = { .env = env };
  return inf_test_engine_start_va(&spawn, "train", f->config, "--train", f->train, "--val", f->val,
                                  "--test", f->test, "--out", f->out, "--history", f->history,
                                  "--checkpoint", f->checkpoint, "--max-inflight", "1",
                                  resume ? "--resume" : NULL, NULL);
}

/* The last line of @err that starts with "train " (the summary). */
static char *
summary_line(const char *err)
{
  g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
  const char *found = NULL;
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix(*l, "train "))
      found = *l;
  g_assert_nonnull(found);
  return g_strdup(found);
}

/* Runs the command to the end; status 0 expected; returns the summary. */
static char *
run_to_end(Fixture *f, gboolean resume)
{
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(start(f, resume), &run);
  if (run.status != 0)
    g_error("train%s ended with %d:\n%s", resume ? " --resume" : "", run.status, run.err);
  return summary_line(run.err);
}

typedef struct {
  char *out, *history, *summary;
} Outcome;

static void
outcome_clear(Outcome *o)
{
  g_free(o->out);
  g_free(o->history);
  g_free(o->summary);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Outcome, outcome_clear)

static void
assert_same(Fixture *f, const Outcome *want, const char *summary, const char *what)
{
  g_autofree char *out = inf_test_read(f->out);
  g_autofree char *history = inf_test_read(f->history);
  g_test_message("%s: %s", what, summary);
  g_assert_cmpstr(history, ==, want->history);
  g_assert_cmpstr(out, ==, want->out);
  g_assert_cmpstr(summary, ==, want->summary);
}

static void
remove_outputs(Fixture *f)
{
  g_assert_cmpint(g_remove(f->out), ==, 0);
  g_assert_cmpint(g_remove(f->history), ==, 0);
  g_assert_cmpint(g_remove(f->checkpoint), ==, 0);
}

/* The fake requests of each history line (the probe runs once per example
 * scored): the kill points are chosen from them. */
static GArray *
requests_per_line(const char *history)
{
  g_autoptr(GPtrArray) lines = inf_test_parse_lines(history);
  GArray *counts = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint i = 0; i < lines->len; i++) {
    json_object *l = g_ptr_array_index(lines, i), *v;
    guint n = 0;
    if (json_object_object_get_ex(l, "val_examples", &v) ||
        json_object_object_get_ex(l, "test_examples", &v))
      n = (guint)json_object_get_int(v);
    if (json_object_object_get_ex(l, "examples", &v))
      n = (guint)json_object_array_length(v);
    if (json_object_object_get_ex(l, "val_score", &v) &&
        !json_object_object_get_ex(l, "phase", NULL))
      n += 18; /* the validation split of configs/train */
    g_array_append_val(counts, n);
  }
  return counts;
}

/* Starts the command, kills it with SIGKILL when the fake holds its
 * (@n + 1)th request, and releases the held reply. */
static void
kill_at(Fixture *f, guint n)
{
  inf_fake_llm_reset_stats(f->fake);
  g_autofree char *script = n ? g_strdup_printf("ok x%u; hold", n) : g_strdup("hold");
  g_assert_true(inf_fake_llm_push_script(f->fake, script, NULL));
  InfTestEngine *engine = start(f, FALSE);
  inf_test_fake_wait_held(f->fake, 1, engine);
  inf_test_engine_send_signal(engine, SIGKILL);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run);
  g_assert_cmpint(run.term_signal, ==, SIGKILL);
  inf_fake_llm_release(f->fake, 0);
  g_assert_cmpuint(inf_fake_llm_get_script_length(f->fake), ==, 0);
}

static void
test_kill_then_resume(Fixture *f, gconstpointer data)
{
  (void)data;
  /* the uninterrupted run */
  g_auto(Outcome) want = { 0 };
  want.summary = run_to_end(f, FALSE);
  want.out = inf_test_read(f->out);
  want.history = inf_test_read(f->history);
  inf_test_assert_contains(want.summary, "train finished: ");
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->fake, &stats);
  g_autoptr(GArray) per_line = requests_per_line(want.history);
  guint total = 0;
  for (guint i = 0; i < per_line->len; i++)
    total += g_array_index(per_line, guint, i);
  g_assert_cmpuint(stats.requests, ==, total);

  /* killed after it finished (the journal says so): --resume changes
   * nothing and calls nothing */
  inf_fake_llm_reset_stats(f->fake);
  g_autofree char *again = run_to_end(f, TRUE);
  assert_same(f, &want, again, "resumed after the end");
  inf_fake_llm_get_stats(f->fake, &stats);
  g_assert_cmpuint(stats.requests, ==, 0);
  remove_outputs(f);

  /* kill points: in the baseline; in the first step's forward; in the
   * validation of the first step that has one; in the middle; in the test */
  guint first_val = 0, at = 0;
  for (guint i = 0; i < per_line->len && !first_val; i++) {
    guint n = g_array_index(per_line, guint, i);
    if (i > 0 && i + 1 < per_line->len && n > 6)
      first_val = at + n - 3;
    at += n;
  }
  g_assert_cmpuint(first_val, >, 0);
  guint points[] = { 0, 5, g_array_index(per_line, guint, 0) + 2, first_val, total / 2, total - 4 };
  for (guint i = 0; i < G_N_ELEMENTS(points); i++) {
    kill_at(f, points[i]);
    if (i == 3) {
      /* as if the kill had cut a history line being written */
      FILE *h = fopen(f->history, "a");
      g_assert_nonnull(h);
      fputs("{\"step\":99,\"epo", h);
      fclose(h);
    }
    inf_fake_llm_reset_stats(f->fake);
    g_autofree char *summary = run_to_end(f, TRUE);
    g_autofree char *what = g_strdup_printf("killed at request %u of %u", points[i] + 1, total);
    assert_same(f, &want, summary, what);
    remove_outputs(f);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/train/kill-then-resume", Fixture, NULL, fixture_set_up, test_kill_then_resume,
             fixture_tear_down);
  return g_test_run();
}
