/* inf-engine eval — score a pipeline on a labelled dataset with the config's
 * loss. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "exec/batch.h"
#include "host/optim-session.h"
#include "host/run-common.h"
#include "optim/evaluation.h"

typedef struct {
  InfOptimSession *session;
  InfEvaluation *evaluation;
  InfDatasetReader *reader;
  FILE *out;
  const char *out_name;
  int write_errno;
  InfEvalSummary summary; /* so far, for the progress line */
  gint64 total;           /* examples in the file, or -1 */
  gint64 start_us;
  gboolean tty;
  gboolean drawn;
  guint signals;
} Eval;

static InfExample *
next_example(gpointer data, gboolean *later, GError **error)
{
  Eval *e = data;
  return inf_dataset_reader_poll(e->reader, later, error);
}

/* A streamed dataset has a new line (or ended): feed the scheduler. */
static gboolean
dataset_wake(gpointer data)
{
  Eval *e = data;
  inf_scheduler_pump(e->session->scheduler);
  return G_SOURCE_CONTINUE;
}

static void
on_result(const InfEvalResult *result, gpointer data)
{
  Eval *e = data;
  InfEvalSummary *s = &e->summary;
  s->examples++;
  s->errors += result->errors != NULL;
  if (!isnan(result->score)) {
    s->scored++;
    s->score_sum += result->score;
  }
  s->passed += result->passed;
  if (result->example->error && !e->session->options->quiet) {
    fprintf(stderr, "%swarning: %s\n", e->drawn ? "\r\033[K" : "", result->example->error);
    e->drawn = FALSE;
  }
  if (e->write_errno)
    return;
  g_autofree char *line = inf_eval_result_to_line(result);
  /* a streamed dataset's results are written as they come */
  if (fputs(line, e->out) == EOF || fputc('\n', e->out) == EOF ||
      (inf_dataset_reader_is_streamed(e->reader) && fflush(e->out) != 0)) {
    e->write_errno = errno ? errno : EIO;
    inf_evaluation_stop(e->evaluation, FALSE);
  }
}

static char *
progress_text(Eval *e)
{
  GString *s = g_string_new(NULL);
  InfSpend spend;
  inf_optim_session_get_spend(e->session, &spend);
  if (e->total >= 0)
    g_string_append_printf(s, "%" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT " examples",
                           e->summary.examples, e->total);
  else
    g_string_append_printf(s, "%" G_GUINT64_FORMAT " examples", e->summary.examples);
  g_string_append(s, ", mean ");
  inf_optim_session_format_score(s, inf_eval_summary_mean(&e->summary));
  g_string_append_printf(s,
                         ", %" G_GUINT64_FORMAT " passed, %" G_GUINT64_FORMAT
                         " errors, %" G_GUINT64_FORMAT " calls, %" G_GINT64_FORMAT " tokens, $%.4f",
                         e->summary.passed, e->summary.errors, spend.calls, spend.tokens,
                         spend.cost);
  double elapsed = (double)(g_get_monotonic_time() - e->start_us) / 1e6;
  if (e->total > 0 && e->summary.examples > 0 && elapsed > 0) {
    double rate = (double)e->summary.examples / elapsed;
    double left = (double)(e->total - (gint64)MIN((gint64)e->summary.examples, e->total)) / rate;
    g_string_append_printf(s, ", ETA %.0fs", left);
  }
  return g_string_free(s, FALSE);
}

static gboolean
progress_cb(gpointer data)
{
  Eval *e = data;
  g_autofree char *text = progress_text(e);
  if (e->tty) {
    fprintf(stderr, "\r\033[K%s", text);
    e->drawn = TRUE;
  } else {
    fprintf(stderr, "progress: %s\n", text);
  }
  fflush(stderr);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal(gpointer data)
{
  Eval *e = data;
  e->signals++;
  if (!e->session->options->quiet)
    fprintf(stderr, "%sinterrupted: %s\n", e->drawn ? "\n" : "",
            e->signals == 1 ? "no new examples; finishing those in flight (signal again to "
                              "cancel them)"
                            : "cancelling what is in flight");
  e->drawn = FALSE;
  inf_evaluation_stop(e->evaluation, e->signals > 1);
  return G_SOURCE_CONTINUE;
}

static json_object *
summary_json(const InfEvalSummary *s, gboolean complete)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "examples", json_object_new_int64((gint64)s->examples));
  json_object_object_add(o, "errors", json_object_new_int64((gint64)s->errors));
  json_object_object_add(o, "scored", json_object_new_int64((gint64)s->scored));
  json_object_object_add(o, "passed", json_object_new_int64((gint64)s->passed));
  double mean = inf_eval_summary_mean(s);
  json_object_object_add(o, "mean_score", isnan(mean) ? NULL : json_object_new_double(mean));
  json_object_object_add(
      o, "pass_rate",
      s->examples ? json_object_new_double((double)s->passed / (double)s->examples) : NULL);
  json_object_object_add(o, "complete", json_object_new_boolean(complete));
  return o;
}

/* The command line of eval, as parsed. */
typedef struct {
  char *config_path;
  char *data_path;
  char *output_path;
  InfOptimSessionOptions session;
} EvalOptions;

static void
eval_options_clear(EvalOptions *o)
{
  g_free(o->config_path);
  g_free(o->data_path);
  g_free(o->output_path);
  inf_optim_session_options_clear(&o->session);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EvalOptions, eval_options_clear)

/* Parses the command line into @o; FALSE with *@status set on --help or a
 * usage error (printed). */
static gboolean
parse_options(EvalOptions *o, int argc, char **argv, int *status)
{
  inf_optim_session_options_init(&o->session);
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &o->data_path,
      "Labelled examples, one JSON object a line: {\"input\": {...}, \"target\": ..., \"id\": "
      "...} ('-': standard input)",
      "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output_path,
      "Per-example results as JSONL ('-' or absent: stdout)", "FILE" },
    INF_OPTIM_SESSION_ENTRIES(&o->session),
    G_OPTION_ENTRY_NULL,
  };
  g_auto(GStrv) rest = NULL;
  if (!inf_command_parse_args(
          "eval", "CONFIG --data FILE",
          "Runs CONFIG's main module on each example of a labelled dataset and scores its output\n"
          "with the loss of the config's training block. Writes one JSON line per example, in\n"
          "the dataset's order:\n"
          "  {\"index\": N, \"id\": ..., \"score\": S, \"passed\": B, \"feedback\": [items], "
          "\"outputs\": ..., \"errors\": {...}}\n"
          "and a summary on stderr (mean score, pass rate, errors). An example passes when its\n"
          "score is at least training.pass_score (default 1). Exit status: 0 when every example\n"
          "was scored, 1 when some could not be (a bad line, a failed node or loss) or writing\n"
          "failed, 2 on a usage or config error, 3 when a budget limit stopped the run, 130 when\n"
          "interrupted.",
          entries, argc, argv, &rest, status))
    return FALSE;
  if (g_strv_length(rest) != 1 || !o->data_path) {
    g_printerr("inf-engine eval: expected one CONFIG file and --data FILE (see inf-engine eval "
               "--help)\n");
    *status = INF_EXIT_USAGE;
    return FALSE;
  }
  o->config_path = g_strdup(rest[0]);
  return TRUE;
}

/* Opens --data and --output (or stdout) and counts the examples when it
 * can; FALSE after printing why. */
static gboolean
open_files(Eval *e, const EvalOptions *o)
{
  g_autoptr(GError) error = NULL;
  e->out = stdout;
  e->out_name = "stdout";
  e->total = -1;
  e->reader = inf_dataset_reader_open(o->data_path, inf_config_get_graph(e->session->config),
                                      e->session->training->loss, &error);
  if (!e->reader) {
    g_printerr("inf-engine eval: %s\n", error->message);
    return FALSE;
  }
  if (o->output_path && !g_str_equal(o->output_path, "-")) {
    e->out = fopen(o->output_path, "we");
    e->out_name = o->output_path;
    if (!e->out) {
      g_printerr("inf-engine eval: cannot write %s: %s\n", o->output_path, g_strerror(errno));
      return FALSE;
    }
  }
  inf_dataset_reader_set_wake(e->reader, dataset_wake, e);
  if (!inf_dataset_reader_is_streamed(e->reader))
    e->total = inf_batch_count_lines(o->data_path);
  return TRUE;
}

/* Scores every example, with the progress line and the signal handlers in
 * place; the summary in *@summary. */
static gboolean
evaluate(Eval *e, InfEvalSummary *summary, GError **error)
{
  InfOptimSession *session = e->session;
  InfEvaluationConfig ec = {
    .loss = session->training->loss,
    .output_key = session->training->output,
    .pass_score = session->training->pass_score,
    .max_inflight = session->max_inflight,
  };
  e->evaluation = inf_evaluation_new(session->scheduler, inf_config_get_graph(session->config),
                                     session->resources, &ec);
  e->tty = isatty(STDERR_FILENO);
  e->start_us = g_get_monotonic_time();
  InfOptimSessionWatch watch;
  inf_optim_session_watch(&watch,
                          session->options->quiet ? 0
                          : e->tty                ? 200
                                                  : 5000,
                          progress_cb, on_signal, e);
  gboolean ok = inf_evaluation_run(e->evaluation, next_example, e, on_result, e, summary, error);
  inf_optim_session_unwatch(&watch);
  if (e->drawn)
    fprintf(stderr, "\r\033[K");
  return ok;
}

/* Flushes and closes the output; FALSE after printing why when a write
 * failed, now or before. */
static gboolean
close_output(Eval *e)
{
  if (fflush(e->out) != 0 && !e->write_errno)
    e->write_errno = errno;
  if (e->out != stdout && fclose(e->out) != 0 && !e->write_errno)
    e->write_errno = errno;
  e->out = NULL;
  if (!e->write_errno)
    return TRUE;
  g_printerr("inf-engine eval: writing %s failed: %s\n", e->out_name, g_strerror(e->write_errno));
  return FALSE;
}

static void
print_summary(Eval *e, const InfEvalSummary *summary, gboolean halted)
{
  InfSpend spend;
  inf_optim_session_get_spend(e->session, &spend);
  GString *line = g_string_new(NULL);
  g_string_append_printf(line, "%s: %" G_GUINT64_FORMAT " examples, mean score ",
                         e->signals ? "eval interrupted"
                         : halted   ? "eval stopped by the budget"
                                    : "eval finished",
                         summary->examples);
  inf_optim_session_format_score(line, inf_eval_summary_mean(summary));
  g_string_append_printf(
      line,
      ", pass rate %.4f (%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " passed), %" G_GUINT64_FORMAT
      " errors; %" G_GUINT64_FORMAT " calls, %" G_GINT64_FORMAT " tokens, $%.4f",
      summary->examples ? (double)summary->passed / (double)summary->examples : 0.0,
      summary->passed, summary->examples, summary->errors, spend.calls, spend.tokens, spend.cost);
  fprintf(stderr, "%s\n", line->str);
  g_string_free(line, TRUE);
}

static void
eval_clear(Eval *e)
{
  if (e->out && e->out != stdout)
    fclose(e->out);
  g_clear_pointer(&e->evaluation, inf_evaluation_free);
  g_clear_pointer(&e->reader, inf_dataset_reader_free);
}

int
inf_command_eval(int argc, char **argv)
{
  g_auto(EvalOptions) options = { 0 };
  int status;
  if (!parse_options(&options, argc, argv, &status))
    return status;
  signal(SIGPIPE, SIG_IGN);
  InfOptimSession session;
  Eval e = { .session = &session };
  status = inf_optim_session_open(&session, "eval", options.config_path, &options.session, FALSE);
  if (status == 0 && !open_files(&e, &options))
    status = INF_EXIT_USAGE;
  if (status != 0) {
    eval_clear(&e);
    inf_optim_session_close(&session, NULL, &status);
    return status;
  }
  g_autoptr(GError) error = NULL;
  InfEvalSummary summary;
  status = INF_EXIT_OK;
  if (!evaluate(&e, &summary, &error)) {
    g_printerr("inf-engine eval: %s\n", error->message);
    status = 1;
  }
  if (!close_output(&e))
    status = 1;
  gboolean halted =
      inf_evaluation_was_halted(e.evaluation) || inf_optim_session_budget_exhausted(&session);
  if (!options.session.quiet)
    print_summary(&e, &summary, halted);
  status = inf_host_exit_status(status, summary.errors > 0, halted, e.signals > 0);
  json_object *extra = summary_json(&summary, inf_evaluation_is_complete(e.evaluation));
  eval_clear(&e);
  inf_optim_session_close(&session, extra, &status);
  return status;
}
