/* inf-engine train — train a pipeline's learnable parameters on labelled
 * data, gated on a validation split, with a history, a journal to resume
 * from, and the best parameters always written. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/optim-session.h"
#include "host/run-checkpoint.h"
#include "host/run-common.h"
#include "optim/trainer.h"
#include "resources/metrics.h"

#define JOURNAL_FORMAT "inf-engine train checkpoint"

typedef struct {
  InfOptimSession *session;
  InfTrainer *trainer;
  char *out_path;
  char *history_path;
  FILE *history;
  char *checkpoint_path;
  json_object *fingerprint;
  json_object *spent_before; /* {alias: {cost, requests, tokens}} of earlier processes */
  InfSpend totals_before;    /* the same, summed */
  gboolean failed_write;
  gboolean tty;
  gboolean drawn;
  gint64 start_us;
  guint start_step;
  guint signals;
  GPtrArray *splits[3]; /* train, val, test (or NULL) */
  guint bad;            /* dataset lines left out */
} Train;

static void
clear_progress(Train *t)
{
  if (t->drawn) {
    fprintf(stderr, "\r\033[K");
    t->drawn = FALSE;
  }
}

static void
write_failed(Train *t, const char *what, const char *message)
{
  clear_progress(t);
  g_printerr("inf-engine train: writing %s failed: %s\n", what, message);
  t->failed_write = TRUE;
}

static gboolean
write_json_file(Train *t, const char *path, json_object *json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text =
      g_strdup_printf("%s\n", json_object_to_json_string_ext(
                                  json, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
  if (inf_host_write_file(path, text, -1, &error))
    return TRUE;
  write_failed(t, path, error->message);
  return FALSE;
}

static void
totals(Train *t, InfSpend *out)
{
  inf_optim_session_get_spend(t->session, out);
  out->calls += t->totals_before.calls;
  out->tokens += t->totals_before.tokens;
  out->cost += t->totals_before.cost;
}

/* {alias: {cost, requests, tokens}}: earlier processes and this one. */
static json_object *
spent_json(Train *t)
{
  json_object *now = json_object_new_object();
  InfResourceManager *rm = t->session->resources;
  for (guint i = 0; i < inf_resource_manager_get_n_aliases(rm); i++) {
    InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_get_alias(rm, i));
    json_object *before = NULL;
    InfBudgetAmount a = { 0 };
    if (t->spent_before && json_object_object_get_ex(t->spent_before, m->alias, &before))
      inf_host_read_spent(before, &a);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cost", json_object_new_double(m->cost + a.cost));
    json_object_object_add(o, "requests", json_object_new_int64((gint64)m->requests + a.requests));
    json_object_object_add(o, "tokens",
                           json_object_new_int64(m->input_tokens + m->output_tokens + a.tokens));
    json_object_object_add(now, m->alias, o);
  }
  return now;
}

/* Writes the journal (--checkpoint); FALSE after printing why it failed. */
static gboolean
write_journal(Train *t)
{
  if (!t->checkpoint_path)
    return TRUE;
  json_object *j = json_object_new_object();
  json_object_object_add(j, "format", json_object_new_string(JOURNAL_FORMAT));
  json_object_object_add(j, "version", json_object_new_int(1));
  json_object_object_add(j, "fingerprint", json_object_get(t->fingerprint));
  /* null before the baseline: a resumed run starts from the beginning */
  json_object_object_add(
      j, "state", inf_trainer_get_best(t->trainer) ? inf_trainer_save_state(t->trainer) : NULL);
  if (t->history)
    json_object_object_add(j, "history_bytes", json_object_new_int64((gint64)ftell(t->history)));
  json_object_object_add(j, "spent", spent_json(t));
  gboolean ok = write_json_file(t, t->checkpoint_path, j);
  json_object_put(j);
  return ok;
}

static char *
progress_text(Train *t)
{
  InfTrainerStatus st;
  inf_trainer_get_status(t->trainer, &st);
  InfSpend spend;
  totals(t, &spend);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "step %u/%u (epoch %u, batch %u/%u), best val ", st.step, st.n_steps,
                         st.epoch, st.batch, st.n_batches);
  inf_optim_session_format_score(s, st.best_val);
  g_string_append(s, ", last val ");
  inf_optim_session_format_score(s, st.last_val);
  g_string_append_printf(
      s, ", %u accepted, %u rejected, %u skipped, %" G_GUINT64_FORMAT " calls, $%.4f", st.accepted,
      st.rejected, st.skipped, spend.calls, spend.cost);
  double elapsed = (double)(g_get_monotonic_time() - t->start_us) / 1e6;
  guint done = st.step - t->start_step;
  if (done > 0 && st.n_steps > st.step)
    g_string_append_printf(s, ", ETA %.0fs", elapsed / done * (st.n_steps - st.step));
  return g_string_free(s, FALSE);
}

static gboolean
progress_cb(gpointer data)
{
  Train *t = data;
  g_autofree char *text = progress_text(t);
  fprintf(stderr, "\r\033[K%s", text);
  fflush(stderr);
  t->drawn = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
on_step(InfTrainer *trainer, json_object *line, gboolean best_changed, gpointer data)
{
  (void)trainer;
  Train *t = data;
  const char *text =
      json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  if (t->history && !t->failed_write) {
    if (fprintf(t->history, "%s\n", text) < 0 || fflush(t->history) != 0)
      write_failed(t, t->history_path, g_strerror(errno));
  }
  if (best_changed)
    write_json_file(t, t->out_path, inf_trainer_get_best(t->trainer));
  write_journal(t);
  if (t->session->trace)
    inf_trace_writer_instant(t->session->trace, "train", "training step", line);
  if (t->session->options->quiet)
    return;
  if (t->tty) {
    progress_cb(t);
    return;
  }
  g_autofree char *progress = progress_text(t);
  fprintf(stderr, "progress: %s\n", progress);
}

static gboolean
on_signal(gpointer data)
{
  Train *t = data;
  t->signals++;
  if (!t->session->options->quiet) {
    clear_progress(t);
    fprintf(stderr, "interrupted: %s\n",
            t->signals == 1 ? "stopping after the examples in flight (signal again to cancel "
                              "them); the best parameters so far are kept"
                            : "cancelling what is in flight");
  }
  inf_trainer_stop(t->trainer, t->signals > 1);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_load_signal(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_CONTINUE;
}

/* Every example of @path; a streamed one ("-": stdin, a pipe) is read on
 * the main loop, where SIGINT or SIGTERM stops it (*@interrupted). NULL
 * with @error when reading failed. */
static GPtrArray *
read_split(InfOptimSession *session, const char *path, gboolean *interrupted, GError **error)
{
  g_autoptr(InfDatasetReader) reader = inf_dataset_reader_open(
      path, inf_config_get_graph(session->config), session->training->loss, error);
  if (!reader)
    return NULL;
  InfOptimSessionWatch watch;
  inf_optim_session_watch(&watch, 0, NULL, on_load_signal, interrupted);
  GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)inf_example_free);
  GError *local = NULL;
  for (;;) {
    gboolean later = FALSE;
    InfExample *example = inf_dataset_reader_poll(reader, &later, &local);
    if (example)
      g_ptr_array_add(all, example);
    else if (!later || *interrupted)
      break;
    else
      g_main_context_iteration(NULL, TRUE); /* wait for the next line or a signal */
  }
  inf_optim_session_unwatch(&watch);
  if (local || *interrupted) {
    if (local)
      g_propagate_error(error, local);
    g_ptr_array_unref(all);
    return NULL;
  }
  return all;
}

/* Loads a split, reporting its bad lines (dropped); NULL after printing
 * why when it cannot be used (*@interrupted when a signal stopped reading
 * it). */
static GPtrArray *
load_split(InfOptimSession *session, const char *what, const char *path, guint *bad,
           gboolean *interrupted)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *all = read_split(session, path, interrupted, &error);
  if (!all && *interrupted) {
    g_printerr("inf-engine train: interrupted while reading --%s %s; nothing was trained\n", what,
               path);
    return NULL;
  }
  if (!all) {
    g_printerr("inf-engine train: --%s: %s\n", what, error->message);
    return NULL;
  }
  GPtrArray *good = g_ptr_array_new_with_free_func((GDestroyNotify)inf_example_free);
  for (guint i = 0; i < all->len; i++) {
    InfExample *e = g_ptr_array_index(all, i);
    if (e->error) {
      (*bad)++;
      g_printerr("warning: %s (the example is left out)\n", e->error);
      continue;
    }
    g_ptr_array_add(good, g_ptr_array_steal_index(all, i--));
  }
  g_ptr_array_unref(all);
  if (good->len == 0) {
    g_printerr("inf-engine train: --%s %s has no usable example\n", what, path);
    g_ptr_array_unref(good);
    return NULL;
  }
  return good;
}

/* Whether split @path (may be NULL) is standard input or an existing file
 * that is not a regular one (a named pipe, /dev/stdin): read once only. */
static gboolean
is_stream(const char *path)
{
  return path && (g_str_equal(path, "-") || (g_file_test(path, G_FILE_TEST_EXISTS) &&
                                             !g_file_test(path, G_FILE_TEST_IS_REGULAR)));
}

static char *
file_hash(const char *path)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  /* not a pipe: it was read already and would wait for another writer */
  if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
      !g_file_get_contents(path, &text, &len, NULL))
    return NULL;
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
}

/* The command line of train, as parsed. */
typedef struct {
  char **args; /* as given, for the resume command */
  char *config_path;
  char *train_path, *val_path, *test_path;
  char *out_path, *history_path, *checkpoint_path;
  gint epochs, batch_size; /* G_MININT: not given */
  gint64 seed;             /* G_MININT64: not given */
  gboolean resume;
  InfOptimSessionOptions session;
} TrainOptions;

static void
train_options_clear(TrainOptions *o)
{
  g_strfreev(o->args);
  g_free(o->config_path);
  g_free(o->train_path);
  g_free(o->val_path);
  g_free(o->test_path);
  g_free(o->out_path);
  g_free(o->history_path);
  g_free(o->checkpoint_path);
  inf_optim_session_options_clear(&o->session);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TrainOptions, train_options_clear)

static json_object *
make_fingerprint(const TrainOptions *o, const InfTrainingConfig *tc)
{
  json_object *f = json_object_new_object();
  const char *names[] = { "config", "resources", "params", "train", "val", "test" };
  const char *paths[] = {
    o->config_path, o->session.resources_path, o->session.params_path, o->train_path, o->val_path,
    o->test_path
  };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *hash = file_hash(paths[i]);
    if (hash)
      json_object_object_add(f, names[i], json_object_new_string(hash));
  }
  json_object_object_add(f, "epochs", json_object_new_int((int)tc->epochs));
  json_object_object_add(f, "batch_size", json_object_new_int((int)tc->batch_size));
  json_object_object_add(f, "seed", json_object_new_int64((gint64)tc->seed));
  return f;
}

/* The first member in which @a and @b differ, or NULL. */
static const char *
fingerprint_diff(json_object *a, json_object *b)
{
  const char *keys[] = { "config", "resources", "params",     "train", "val",
                         "test",   "epochs",    "batch_size", "seed" };
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
    json_object *x = json_object_object_get(a, keys[i]);
    json_object *y = json_object_object_get(b, keys[i]);
    if (!json_object_equal(x, y))
      return keys[i];
  }
  return NULL;
}

/* Reads the journal and continues from it; FALSE after printing why. */
static gboolean
resume_from(Train *t, const char *config_path, long *history_bytes)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  if (!g_file_get_contents(t->checkpoint_path, &text, NULL, &error)) {
    g_printerr("inf-engine train: --resume: %s\n", error->message);
    return FALSE;
  }
  json_object *j = json_tokener_parse(text);
  json_object *v;
  if (!j || !json_object_object_get_ex(j, "format", &v) ||
      g_strcmp0(json_object_get_string(v), JOURNAL_FORMAT) != 0) {
    g_printerr("inf-engine train: --resume: %s is not a training checkpoint (written by "
               "inf-engine train --checkpoint)\n",
               t->checkpoint_path);
    json_object_put(j);
    return FALSE;
  }
  const char *changed = fingerprint_diff(json_object_object_get(j, "fingerprint"), t->fingerprint);
  if (changed) {
    const char *what = g_str_equal(changed, "config")       ? config_path
                       : g_str_equal(changed, "epochs")     ? "--epochs / training.epochs"
                       : g_str_equal(changed, "batch_size") ? "--batch-size / training.batch_size"
                       : g_str_equal(changed, "seed")       ? "--seed / training.seed"
                                                            : changed;
    g_printerr("inf-engine train: cannot resume from %s: %s is not the one the checkpoint was "
               "made with (%s changed); resume with the same config, data and options, or start "
               "again without --resume\n",
               t->checkpoint_path, what, changed);
    json_object_put(j);
    return FALSE;
  }
  json_object *state = json_object_object_get(j, "state");
  if (state && !inf_trainer_restore_state(t->trainer, state, &error)) {
    g_printerr("inf-engine train: cannot resume from %s: %s\n", t->checkpoint_path, error->message);
    json_object_put(j);
    return FALSE;
  }
  *history_bytes =
      json_object_object_get_ex(j, "history_bytes", &v) ? json_object_get_int64(v) : -1;
  if (json_object_object_get_ex(j, "spent", &v) && json_object_is_type(v, json_type_object)) {
    t->spent_before = json_object_get(v);
    json_object_object_foreach(v, alias, amount)
    {
      InfBudgetAmount a;
      inf_host_read_spent(amount, &a);
      t->totals_before.calls += (guint64)a.requests;
      t->totals_before.tokens += a.tokens;
      t->totals_before.cost += a.cost;
      if (t->session->budget)
        inf_budget_add_spent(t->session->budget, inf_budget_get_account(t->session->budget, alias),
                             &a);
    }
  }
  json_object_put(j);
  return TRUE;
}

static gboolean
open_history(Train *t, long resume_bytes)
{
  if (!t->history_path)
    return TRUE;
  if (resume_bytes >= 0) {
    t->history = fopen(t->history_path, "r+e");
    if (t->history && (ftruncate(fileno(t->history), resume_bytes) != 0 ||
                       fseek(t->history, resume_bytes, SEEK_SET) != 0)) {
      fclose(t->history);
      t->history = NULL;
    }
  } else {
    t->history = fopen(t->history_path, "we");
  }
  if (!t->history) {
    g_printerr("inf-engine train: cannot write --history %s: %s\n", t->history_path,
               g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static json_object *
summary_json(const InfTrainerStatus *st, const InfSpend *spend)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "baseline_val",
                         isnan(st->baseline) ? NULL : json_object_new_double(st->baseline));
  json_object_object_add(o, "best_val",
                         isnan(st->best_val) ? NULL : json_object_new_double(st->best_val));
  json_object_object_add(o, "best_step", json_object_new_int((int)st->best_step));
  json_object_object_add(o, "test", isnan(st->test) ? NULL : json_object_new_double(st->test));
  json_object_object_add(o, "steps", json_object_new_int((int)st->step));
  json_object_object_add(o, "accepted", json_object_new_int((int)st->accepted));
  json_object_object_add(o, "rejected", json_object_new_int((int)st->rejected));
  json_object_object_add(o, "skipped", json_object_new_int((int)st->skipped));
  json_object_object_add(o, "unchanged", json_object_new_int((int)st->unchanged));
  json_object_object_add(o, "calls", json_object_new_int64((gint64)spend->calls));
  json_object_object_add(o, "finished", json_object_new_boolean(st->finished));
  return o;
}

static void
print_summary(Train *t, const InfTrainerStatus *st, const InfSpend *spend)
{
  GString *s = g_string_new(NULL);
  g_string_append(s, st->finished  ? "train finished"
                     : st->halted  ? "train stopped by the budget"
                     : st->stopped ? "train interrupted"
                                   : "train stopped");
  g_string_append(s, ": baseline val ");
  inf_optim_session_format_score(s, st->baseline);
  g_string_append(s, ", best val ");
  inf_optim_session_format_score(s, st->best_val);
  g_string_append_printf(s, " (step %u)", st->best_step);
  if (!isnan(st->test)) {
    g_string_append(s, ", test ");
    inf_optim_session_format_score(s, st->test);
  }
  g_string_append_printf(s,
                         "; %u steps: %u accepted, %u rejected, %u skipped (batch passed), %u "
                         "unchanged; %" G_GUINT64_FORMAT " calls, %" G_GINT64_FORMAT
                         " tokens, $%.4f; best parameters in %s",
                         st->step, st->accepted, st->rejected, st->skipped, st->unchanged,
                         spend->calls, spend->tokens, spend->cost, t->out_path);
  fprintf(stderr, "%s\n", s->str);
  g_string_free(s, TRUE);
}

/* Parses the command line into @o and refuses what cannot work; FALSE with
 * *@status set on --help or a usage error (printed). */
static gboolean
parse_options(TrainOptions *o, int argc, char **argv, int *status)
{
  o->args = g_strdupv(argv);
  o->epochs = o->batch_size = G_MININT;
  o->seed = G_MININT64;
  inf_optim_session_options_init(&o->session);
  GOptionEntry entries[] = {
    { "train", 0, 0, G_OPTION_ARG_FILENAME, &o->train_path,
      "Training examples (JSONL: {\"input\": {...}, \"target\": ..., \"id\": ...}; '-': standard "
      "input, for one of --train, --val and --test)",
      "FILE" },
    { "val", 0, 0, G_OPTION_ARG_FILENAME, &o->val_path,
      "Validation examples: each step is kept only if it scores better here", "FILE" },
    { "test", 0, 0, G_OPTION_ARG_FILENAME, &o->test_path,
      "Test examples, scored once at the end with the best parameters", "FILE" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out_path,
      "Write the best parameters (a state dict for run --params) to FILE", "FILE" },
    { "history", 0, 0, G_OPTION_ARG_FILENAME, &o->history_path,
      "Write one JSON line per step to FILE", "FILE" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &o->epochs, "Passes over the training split", "N" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &o->batch_size, "Examples per step", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "Seed of the shuffle", "S" },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &o->checkpoint_path,
      "Journal the run in FILE after each step so that --resume can continue it", "FILE" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Continue the run journaled in --checkpoint",
      NULL },
    INF_OPTIM_SESSION_ENTRIES(&o->session),
    G_OPTION_ENTRY_NULL,
  };
  g_auto(GStrv) rest = NULL;
  if (!inf_command_parse_args(
          "train", "CONFIG --train FILE --val FILE --out FILE",
          "Trains the learnable parameters of CONFIG's main module with the loss and optimizer\n"
          "of its training block: a baseline score on --val, then per batch of --train a\n"
          "candidate step kept only if the validation score improves (training.accept). The\n"
          "best parameters are written to --out (also when stopped early), --test is scored\n"
          "once at the end. Exit status: 0 when training finished, 1 when dataset lines were\n"
          "left out or a file could not be written, 2 on a usage or config error (or a\n"
          "checkpoint that does not fit), 3 when a budget limit stopped it, 130 when\n"
          "interrupted.",
          entries, argc, argv, &rest, status))
    return FALSE;
  const char *usage = NULL;
  if (g_strv_length(rest) != 1 || !o->train_path || !o->val_path || !o->out_path)
    usage = "expected one CONFIG file, --train FILE, --val FILE and --out FILE";
  else if ((o->epochs != G_MININT && o->epochs < 1) ||
           (o->batch_size != G_MININT && o->batch_size < 1))
    usage = "--epochs and --batch-size take a number >= 1";
  else if (o->seed != G_MININT64 && o->seed < 0)
    usage = "--seed takes a whole number >= 0";
  else if (o->resume && !o->checkpoint_path)
    usage = "--resume needs --checkpoint FILE (the journal of the run to continue)";
  else if (g_str_equal(o->train_path, "-") + g_str_equal(o->val_path, "-") +
               (o->test_path && g_str_equal(o->test_path, "-")) >
           1)
    usage = "only one of --train, --val and --test can be '-' (standard input)";
  else if (o->checkpoint_path &&
           (is_stream(o->train_path) || is_stream(o->val_path) || is_stream(o->test_path)))
    usage = "--checkpoint needs the splits in files, not '-' or a pipe: --resume reads them "
            "again and checks that they did not change";
  if (usage) {
    g_printerr("inf-engine train: %s (see inf-engine train --help)\n", usage);
    *status = INF_EXIT_USAGE;
    return FALSE;
  }
  /* as run --checkpoint: an existing journal is never overwritten */
  if (o->checkpoint_path && !o->resume && g_file_test(o->checkpoint_path, G_FILE_TEST_EXISTS)) {
    g_printerr("inf-engine train: checkpoint %s already exists: add --resume to continue its run, "
               "or remove it to start a new one\n",
               o->checkpoint_path);
    *status = INF_EXIT_USAGE;
    return FALSE;
  }
  o->config_path = g_strdup(rest[0]);
  return TRUE;
}

/* Applies --epochs, --batch-size and --seed, loads the splits and sets up
 * the trainer, --resume and --history; after printing why it cannot, the
 * exit status (INF_EXIT_INTERRUPTED when a signal stopped reading a split,
 * else INF_EXIT_USAGE); 0 when all is set. */
static int
setup_trainer(Train *t, const TrainOptions *o)
{
  InfOptimSession *session = t->session;
  InfTrainingConfig *tc = session->training;
  if (o->epochs != G_MININT)
    tc->epochs = (guint)o->epochs;
  if (o->batch_size != G_MININT)
    tc->batch_size = (guint)o->batch_size;
  if (o->seed != G_MININT64)
    tc->seed = (guint64)o->seed;
  const char *what[] = { "train", "val", "test" };
  const char *paths[] = { o->train_path, o->val_path, o->test_path };
  gboolean interrupted = FALSE;
  for (guint i = 0; i < 3; i++)
    if (paths[i] && !(t->splits[i] = load_split(session, what[i], paths[i], &t->bad, &interrupted)))
      return interrupted ? INF_EXIT_INTERRUPTED : INF_EXIT_USAGE;
  t->trainer =
      inf_trainer_new(inf_config_get_main(session->config), inf_config_get_graph(session->config),
                      session->scheduler, session->resources, tc, session->max_inflight,
                      t->splits[0], t->splits[1], t->splits[2]);
  inf_trainer_set_step_func(t->trainer, on_step, t);
  t->fingerprint = make_fingerprint(o, tc);
  long history_bytes = -1;
  if (o->resume && !resume_from(t, o->config_path, &history_bytes))
    return INF_EXIT_USAGE;
  if (!open_history(t, o->resume ? history_bytes : -1))
    return INF_EXIT_USAGE;
  /* From now on --resume continues this run. A journal that cannot be
   * written fails here, before any call, as --history does. */
  if (!o->resume && !write_journal(t)) {
    g_printerr("inf-engine train: nothing was trained: --checkpoint %s must be writable\n",
               t->checkpoint_path);
    return INF_EXIT_USAGE;
  }
  return INF_EXIT_OK;
}

/* Runs the training with the progress line and the signal handlers in
 * place; --out holds the best parameters so far from the start: those as
 * loaded, or those of the checkpoint (when resumed). */
static gboolean
run_training(Train *t, GError **error)
{
  json_object *initial = inf_trainer_get_best(t->trainer)
                             ? json_object_get(inf_trainer_get_best(t->trainer))
                             : inf_module_state_dict(inf_config_get_main(t->session->config));
  write_json_file(t, t->out_path, initial);
  json_object_put(initial);
  InfTrainerStatus st;
  inf_trainer_get_status(t->trainer, &st);
  t->start_step = st.step;
  t->start_us = g_get_monotonic_time();
  t->tty = isatty(STDERR_FILENO);
  InfOptimSessionWatch watch;
  inf_optim_session_watch(&watch, !t->session->options->quiet && t->tty ? 500 : 0, progress_cb,
                          on_signal, t);
  gboolean ok = inf_trainer_run(t->trainer, error);
  inf_optim_session_unwatch(&watch);
  clear_progress(t);
  return ok;
}

/* The summary, why the budget stopped it and how to continue, on stderr. */
static void
report(Train *t, const TrainOptions *o, gboolean ok, const InfTrainerStatus *st,
       const InfSpend *spend)
{
  if (!o->session.quiet && ok)
    print_summary(t, st, spend);
  if (st->halted && !o->session.quiet) {
    InfBudget *budget = t->session->budget;
    const char *reason = budget ? inf_budget_get_exhausted_reason(budget) : NULL;
    fprintf(stderr, "budget exhausted: %s; the step in progress was not kept\n",
            reason ? reason : "a limit was reached");
  }
  if (o->checkpoint_path && !st->finished && ok) {
    g_autofree char *command = inf_host_resume_command(o->args);
    g_printerr("the checkpoint %s holds the last finished step; to continue:\n  %s\n",
               o->checkpoint_path, command);
  }
}

static void
train_clear(Train *t)
{
  g_clear_pointer(&t->trainer, inf_trainer_free);
  for (guint i = 0; i < G_N_ELEMENTS(t->splits); i++)
    g_clear_pointer(&t->splits[i], g_ptr_array_unref);
  g_clear_pointer(&t->fingerprint, json_object_put);
  g_clear_pointer(&t->spent_before, json_object_put);
}

int
inf_command_train(int argc, char **argv)
{
  g_auto(TrainOptions) options = { 0 };
  int status;
  if (!parse_options(&options, argc, argv, &status))
    return status;
  signal(SIGPIPE, SIG_IGN);
  InfOptimSession session;
  Train t = { .session = &session,
              .out_path = options.out_path,
              .history_path = options.history_path,
              .checkpoint_path = options.checkpoint_path };
  status = inf_optim_session_open(&session, "train", options.config_path, &options.session, TRUE);
  if (status == 0)
    status = setup_trainer(&t, &options);
  if (status != 0) {
    train_clear(&t);
    inf_optim_session_close(&session, NULL, &status);
    return status;
  }
  g_autoptr(GError) error = NULL;
  gboolean ok = run_training(&t, &error);
  status = INF_EXIT_OK;
  if (!ok) {
    g_printerr("inf-engine train: %s\n", error->message);
    status = INF_EXIT_USAGE;
  }
  InfTrainerStatus st;
  inf_trainer_get_status(t.trainer, &st);
  if (inf_trainer_get_best(t.trainer))
    write_json_file(&t, t.out_path, inf_trainer_get_best(t.trainer));
  if (t.history && fclose(t.history) != 0)
    write_failed(&t, t.history_path, g_strerror(errno));
  InfSpend spend;
  totals(&t, &spend);
  report(&t, &options, ok, &st, &spend);
  status = inf_host_exit_status(status, t.bad > 0 || t.failed_write, st.halted, t.signals > 0);
  json_object *extra = summary_json(&st, &spend);
  train_clear(&t);
  inf_optim_session_close(&session, extra, &status);
  return status;
}
