/* inf-engine run — run a pipeline over a JSONL input stream. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "exec/batch.h"
#include "exec/scheduler.h"
#include "exec/trace-writer.h"
#include "host/commands.h"
#include "host/run-checkpoint.h"
#include "host/run-common.h"
#include "resources/manager.h"

static gboolean
write_metrics(const char *path, InfResourceManager *resources, InfBatch *batch,
              InfScheduler *scheduler, InfCheckpoint *checkpoint, double seconds, GError **error)
{
  json_object *root = inf_resource_manager_metrics_json(resources);
  InfBudget *budget = inf_resource_manager_get_budget(resources);
  if (budget)
    json_object_object_add(root, "budget", inf_budget_to_json(budget));
  json_object *run = json_object_new_object();
  json_object_object_add(run, "inputs", json_object_new_int64((gint64)inf_batch_get_done(batch)));
  json_object_object_add(run, "failed_inputs",
                         json_object_new_int64((gint64)inf_batch_get_failed(batch)));
  json_object_object_add(run, "node_executions",
                         json_object_new_int64((gint64)inf_scheduler_get_executed(scheduler)));
  json_object_object_add(run, "requeued",
                         json_object_new_int64((gint64)inf_scheduler_get_requeued(scheduler)));
  json_object_object_add(run, "duration_s", json_object_new_double(seconds));
  json_object_object_add(run, "interrupted",
                         json_object_new_boolean(inf_batch_was_interrupted(batch)));
  json_object_object_add(run, "budget_exhausted",
                         json_object_new_boolean(inf_batch_was_halted(batch)));
  if (checkpoint)
    json_object_object_add(run, "checkpoint", inf_checkpoint_stats_json(checkpoint));
  json_object_object_add(root, "run", run);
  json_object *cache = inf_host_cache_metrics_json(resources);
  if (cache)
    json_object_object_add(root, "cache", cache);
  const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
  gboolean ok = inf_host_write_file(path, text, -1, error);
  json_object_put(root);
  return ok;
}

/* Whether @path names the file open as @fd. */
static gboolean
same_file(int fd, const char *path)
{
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino && S_ISREG(b.st_mode);
}

/* What was spent and how to continue. With a checkpoint, the resume
 * command follows (printed with the checkpoint's summary). */
static void
print_budget_stop(InfBudget *budget, InfBatch *batch, InfScheduler *scheduler,
                  gboolean checkpointed)
{
  InfBudgetAmount spent;
  inf_budget_get_spent(budget, NULL, &spent);
  const char *reason = inf_budget_get_exhausted_reason(budget);
  fprintf(stderr,
          "budget exhausted: %s\n"
          "spent $%.4f in %" G_GINT64_FORMAT " requests, %" G_GINT64_FORMAT
          " tokens; %" G_GUINT64_FORMAT " inputs written, %u unfinished (%s)\n",
          reason ? reason : "a limit was reached", spent.cost, spent.requests, spent.tokens,
          inf_batch_get_done(batch), inf_scheduler_get_inputs_in_flight(scheduler),
          checkpointed ? "their completed calls are journaled" : "not written");
  if (checkpointed)
    fprintf(stderr, "to continue: resume the run (the command below) with a higher limit; the "
                    "limits count the whole run's spend, earlier processes included\n");
  else
    fprintf(stderr, "to continue: run the unfinished inputs again with a higher limit "
                    "(--max-cost, --max-requests or resources.budget)\n");
}

/* The command line of a run, as parsed. */
typedef struct {
  char *config_path;
  char *input_path;
  char *output_path;
  char *resources_path;
  char *metrics_path;
  char *params_path;
  char *max_cost_text;
  char *max_requests_text;
  char *trace_path;
  gint trace_sample;
  char *checkpoint_path;
  char *cache_path;
  char *cache_mode;
  gboolean no_cache;
  char **plugin_dirs;
  gboolean resume;
  /* G_MININT: not given (0 and negative numbers given are refused alike) */
  gint max_concurrent;
  gint max_inflight;
  gboolean ordered, quiet, stats, node_status;
  /* derived by check_options() */
  InfBudgetLimits overrides;
  gboolean output_is_file;
} RunOptions;

static void
run_options_clear(RunOptions *o)
{
  g_free(o->config_path);
  g_free(o->input_path);
  g_free(o->output_path);
  g_free(o->resources_path);
  g_free(o->metrics_path);
  g_free(o->params_path);
  g_free(o->max_cost_text);
  g_free(o->max_requests_text);
  g_free(o->trace_path);
  g_free(o->checkpoint_path);
  g_free(o->cache_path);
  g_free(o->cache_mode);
  g_strfreev(o->plugin_dirs);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RunOptions, run_options_clear)

#define RUN_SUMMARY                                                                             \
  "Runs CONFIG's main module once per input line and writes one JSON line per input:\n"         \
  "  {\"index\": N, \"outputs\": ..., \"errors\": {node: message}, \"duration_ms\": T}\n"       \
  "(\"errors\" only when a node failed or was cancelled; with --node-status also \"nodes\":\n"  \
  "{node: status}, where nodes of untaken switch cases are \"skipped\"). Exit status: 0 when\n" \
  "every input succeeded, 1 when some failed (or writing failed), 2 on a usage or config\n"     \
  "error (or a checkpoint that cannot be resumed), 3 when a budget limit stopped the run,\n"    \
  "130 when interrupted."

/* Parses the command line into @o (the shared parser of every command);
 * FALSE with *@status set on --help or a usage error. */
static gboolean
parse_options(RunOptions *o, int argc, char **argv, int *status)
{
  o->max_concurrent = o->max_inflight = G_MININT;
  const GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &o->input_path,
      "JSONL inputs, one object per line ('-' or absent: stdin)", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output_path,
      "JSONL results ('-' or absent: stdout)", "FILE" },
    { "resources", 'r', 0, G_OPTION_ARG_FILENAME, &o->resources_path,
      "Resources file replacing the config's resources block", "FILE" },
    INF_HOST_PLUGIN_DIR_OPTION(&o->plugin_dirs),
    { "max-concurrent", 0, 0, G_OPTION_ARG_INT, &o->max_concurrent,
      "Nodes running at once (default: no global cap)", "N" },
    { "max-inflight", 0, 0, G_OPTION_ARG_INT, &o->max_inflight,
      "Inputs in flight at once (default: resources.max_inflight_graphs or 1024)", "N" },
    { "ordered", 0, 0, G_OPTION_ARG_NONE, &o->ordered,
      "Write results in input order (default: completion order)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress and no summary on stderr", NULL },
    { "node-status", 0, 0, G_OPTION_ARG_NONE, &o->node_status,
      "Add \"nodes\": {node: status} to each result (completed, skipped, failed, cancelled)",
      NULL },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &o->stats, "Print per-alias metrics on stderr at the end",
      NULL },
    { "metrics-out", 0, 0, G_OPTION_ARG_FILENAME, &o->metrics_path,
      "Write per-alias metrics as JSON to FILE", "FILE" },
    { "params", 0, 0, G_OPTION_ARG_FILENAME, &o->params_path,
      "Load parameter values (a state dict) from FILE", "FILE" },
    { "max-cost", 0, 0, G_OPTION_ARG_STRING, &o->max_cost_text,
      "Stop before spending more than USD (replaces resources.budget.max_cost)", "USD" },
    { "max-requests", 0, 0, G_OPTION_ARG_STRING, &o->max_requests_text,
      "Stop before sending more than N requests, retries included (replaces "
      "resources.budget.max_requests)",
      "N" },
    { "trace-out", 0, 0, G_OPTION_ARG_FILENAME, &o->trace_path,
      "Write a profiling trace (Chrome Trace Event JSON, for Perfetto) to FILE", "FILE" },
    { "trace-sample", 0, 0, G_OPTION_ARG_INT, &o->trace_sample,
      "With --trace-out: trace every K-th input in full (counters cover all)", "K" },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &o->checkpoint_path,
      "Journal the run in FILE (SQLite) so that --resume can continue it", "FILE" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume,
      "Continue the run journaled in --checkpoint FILE", NULL },
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &o->cache_path,
      "Answer repeated LLM requests from the response cache FILE (SQLite; created when missing)",
      "FILE" },
    { "cache-mode", 0, 0, G_OPTION_ARG_STRING, &o->cache_mode,
      "read, write, readwrite (default) or refresh", "MODE" },
    { "no-cache", 0, 0, G_OPTION_ARG_NONE, &o->no_cache,
      "No response cache, even when the resources configure one", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_auto(GStrv) rest = NULL;
  if (!inf_command_parse_args("run", "CONFIG", RUN_SUMMARY, entries, argc, argv, &rest, status))
    return FALSE;
  const char *config_path = inf_command_one_config("run", rest);
  if (!config_path) {
    *status = INF_EXIT_USAGE;
    return FALSE;
  }
  o->config_path = g_strdup(config_path);
  return TRUE;
}

/* Refuses option values and combinations that cannot work (a usage error,
 * printed) and fills in the defaults and the budget overrides. */
static gboolean
check_options(RunOptions *o)
{
  if ((o->max_concurrent != G_MININT && o->max_concurrent < 1) ||
      (o->max_inflight != G_MININT && o->max_inflight < 1)) {
    g_printerr("inf-engine run: --max-concurrent and --max-inflight take a number >= 1, got %d\n",
               o->max_concurrent != G_MININT && o->max_concurrent < 1 ? o->max_concurrent
                                                                      : o->max_inflight);
    return FALSE;
  }
  if (o->max_concurrent == G_MININT)
    o->max_concurrent = 0; /* no global cap */
  if (o->max_inflight == G_MININT)
    o->max_inflight = 0; /* the resources' default, see setup_engine() */
  o->overrides = INF_BUDGET_LIMITS_NONE;
  if (o->max_cost_text && !inf_host_parse_max_cost(o->max_cost_text, &o->overrides.max_cost)) {
    g_printerr("inf-engine run: --max-cost takes an amount in USD, a finite number >= 0 "
               "(e.g. 2.50), not '%s'\n",
               o->max_cost_text);
    return FALSE;
  }
  if (o->max_requests_text) {
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(o->max_requests_text, 10, 0, G_MAXINT64, &n, NULL)) {
      g_printerr("inf-engine run: --max-requests takes a whole number >= 0, not '%s'\n",
                 o->max_requests_text);
      return FALSE;
    }
    o->overrides.max_requests = (gint64)n;
  }
  if (o->trace_sample < 0 || (o->trace_sample > 0 && !o->trace_path)) {
    g_printerr("inf-engine run: --trace-sample takes a number K >= 1 and needs --trace-out FILE\n");
    return FALSE;
  }
  if (o->resume && !o->checkpoint_path) {
    g_printerr("inf-engine run: --resume needs --checkpoint FILE (the journal of the run to "
               "continue)\n");
    return FALSE;
  }
  o->output_is_file = o->output_path && !g_str_equal(o->output_path, "-");
  if (o->checkpoint_path && !o->output_is_file) {
    g_printerr("inf-engine run: --checkpoint needs --output FILE: on --resume the output is cut "
               "back to the last commit and appended to\n");
    return FALSE;
  }
  return TRUE;
}

/* What a run holds; run_clear() releases what was set up. */
typedef struct {
  const RunOptions *options;
  InfHostContext *host;
  InfConfig *config;
  const InfResourcesConfig *resources_config;
  InfResourceManager *resources;
  InfBudget *budget;
  InfScheduler *scheduler;
  FILE *input;
  const char *input_name;
  int output_fd;
  InfCheckpoint *checkpoint;
  InfTraceWriter *trace;
} Run;

static void
run_clear(Run *run)
{
  if (run->input && run->input != stdin)
    fclose(run->input);
  if (run->output_fd >= 0 && run->output_fd != STDOUT_FILENO)
    close(run->output_fd);
  inf_scheduler_free(run->scheduler);
  inf_resource_manager_free(run->resources);
  inf_trace_writer_free(run->trace);
  g_clear_pointer(&run->checkpoint, inf_checkpoint_free);
  g_clear_pointer(&run->budget, inf_budget_free);
  g_clear_pointer(&run->config, inf_config_free);
  g_clear_pointer(&run->host, inf_host_context_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Run, run_clear)

/* Loads the config and sets up the resources, the response cache, the
 * budget and the scheduler; FALSE after printing the error. */
static gboolean
setup_engine(Run *run, RunOptions *o)
{
  g_autoptr(GError) error = NULL;
  run->config = inf_host_load_config("run", (const char *const *)o->plugin_dirs, o->config_path,
                                     o->resources_path, &run->host);
  if (!run->config)
    return FALSE;
  if (o->params_path &&
      !inf_host_load_params(inf_config_get_main(run->config), o->params_path, &error))
    goto failed;
  const InfResourcesConfig *rc = run->resources_config = inf_config_get_resources(run->config);
  run->resources = inf_resource_manager_new(rc, run->host->registry, &error);
  if (!run->resources)
    goto failed;
  InfResponseCache *cache = NULL;
  if (!inf_host_open_cache("run", rc, o->cache_path, o->cache_mode, o->no_cache, &cache))
    return FALSE;
  inf_resource_manager_set_cache(run->resources, cache);
  if (o->max_inflight == 0)
    o->max_inflight = rc && rc->max_inflight_graphs > 0 ? rc->max_inflight_graphs : 1024;
  if (inf_budget_config_has_limits(rc ? rc->budget : NULL) || o->overrides.max_cost >= 0 ||
      o->overrides.max_requests >= 0) {
    run->budget = inf_budget_new(rc ? rc->budget : NULL, &o->overrides);
    /* Warnings go to the trace too, once it is open. */
    inf_budget_set_warn_func(run->budget, inf_host_budget_warn, &run->trace);
    inf_resource_manager_set_budget(run->resources, run->budget);
    if (rc)
      inf_host_warn_unpriced(rc, inf_config_get_graph(run->config), run->budget);
  }
  InfSchedulerConfig sched_config = { .max_concurrent = o->max_concurrent,
                                      .max_inflight = o->max_inflight };
  run->scheduler =
      inf_scheduler_new(inf_config_get_graph(run->config), run->resources, &sched_config, &error);
  if (!run->scheduler)
    goto failed;
  return TRUE;
failed:
  g_printerr("inf-engine run: %s\n", error->message);
  return FALSE;
}

/* Opens --input (or stdin) and refuses an --output that is the same file. */
static gboolean
open_input(Run *run)
{
  const RunOptions *o = run->options;
  run->input = stdin;
  run->input_name = "stdin";
  if (o->input_path && !g_str_equal(o->input_path, "-")) {
    run->input_name = o->input_path;
    run->input = fopen(o->input_path, "re");
    if (!run->input) {
      g_printerr("inf-engine run: cannot open input %s: %s\n", o->input_path, g_strerror(errno));
      return FALSE;
    }
  }
  /* Writing the output must not destroy the input. */
  struct stat in_st, out_st;
  if (o->output_is_file && fstat(fileno(run->input), &in_st) == 0 &&
      stat(o->output_path, &out_st) == 0 && in_st.st_dev == out_st.st_dev &&
      in_st.st_ino == out_st.st_ino) {
    g_printerr("inf-engine run: --output %s is the input file: writing the results would "
               "destroy the inputs; choose another output file\n",
               o->output_path);
    return FALSE;
  }
  return TRUE;
}

/* A budget goes on from what the run spent before (the journal's). */
static void
restore_spent(InfBudget *budget, InfCheckpoint *checkpoint)
{
  json_object *spent = inf_checkpoint_get_spent(checkpoint);
  if (!spent)
    return;
  json_object_object_foreach(spent, alias, value)
  {
    InfBudgetAmount amount;
    inf_host_read_spent(value, &amount);
    inf_budget_add_spent(budget, inf_budget_get_account(budget, alias), &amount);
  }
}

/* Opens the output: through the checkpoint (--resume cuts it back to the
 * last commit), a new --output file, or stdout. */
static gboolean
open_output(Run *run)
{
  const RunOptions *o = run->options;
  g_autoptr(GError) error = NULL;
  run->output_fd = STDOUT_FILENO;
  if (o->checkpoint_path) {
    struct stat st;
    run->checkpoint = inf_host_open_checkpoint(run->config, run->resources_config,
                                               o->checkpoint_path, o->resume, &error);
    if (run->checkpoint && o->resume && fstat(fileno(run->input), &st) == 0 &&
        S_ISREG(st.st_mode) &&
        !inf_host_check_checkpoint_input(run->checkpoint, run->input, run->input_name, &error))
      g_clear_pointer(&run->checkpoint, inf_checkpoint_free);
    if (run->checkpoint)
      run->output_fd = inf_checkpoint_open_output(run->checkpoint, o->output_path, &error);
    if (!run->checkpoint || run->output_fd < 0) {
      g_printerr("inf-engine run: %s\n", error->message);
      return FALSE;
    }
    if (run->budget)
      restore_spent(run->budget, run->checkpoint);
  } else if (o->output_is_file) {
    run->output_fd = open(o->output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (run->output_fd < 0) {
      g_printerr("inf-engine run: cannot write output %s: %s\n", o->output_path, g_strerror(errno));
      return FALSE;
    }
  }
  return TRUE;
}

/* Opens --trace-out, a file of its own. */
static gboolean
open_trace(Run *run)
{
  const RunOptions *o = run->options;
  g_autoptr(GError) error = NULL;
  if (!o->trace_path)
    return TRUE;
  if (same_file(fileno(run->input), o->trace_path) || same_file(run->output_fd, o->trace_path))
    g_set_error(&error, INF_ERROR, INF_ERROR_CONFIG,
                "--trace-out %s names the %s file; give the trace a file of its own", o->trace_path,
                same_file(fileno(run->input), o->trace_path) ? "input" : "output");
  else
    run->trace = inf_host_open_trace(o->trace_path, (guint)o->trace_sample, o->config_path, &error);
  if (!run->trace) {
    g_printerr("inf-engine run: %s\n", error->message);
    return FALSE;
  }
  inf_scheduler_set_trace(run->scheduler, run->trace);
  return TRUE;
}

/* Runs the batch and reports it (summary, budget stop, resume hint,
 * --stats, --metrics-out); returns the exit status so far. */
static int
run_batch(Run *run, char **args)
{
  const RunOptions *o = run->options;
  g_autoptr(GError) error = NULL;
  InfBatchConfig batch_config = {
    .ordered = o->ordered,
    .quiet = o->quiet,
    .tty_progress = isatty(STDERR_FILENO),
    .total_inputs = -1,
    .max_inflight = (guint)o->max_inflight,
    .node_status = o->node_status,
  };
  struct stat st;
  if (!o->quiet && run->input != stdin && fstat(fileno(run->input), &st) == 0 &&
      S_ISREG(st.st_mode))
    batch_config.total_inputs = inf_batch_count_lines(o->input_path);
  g_autoptr(InfBatch) batch =
      inf_batch_new(run->scheduler, inf_config_get_graph(run->config), run->resources, run->input,
                    run->input_name, run->output_fd, o->output_is_file ? o->output_path : "stdout",
                    &batch_config);
  inf_batch_set_checkpoint(batch, run->checkpoint);
  inf_batch_set_trace(batch, run->trace);
  gint64 start = g_get_monotonic_time();
  gboolean ok = inf_batch_run(batch, &error);
  double seconds = (double)(g_get_monotonic_time() - start) / 1e6;
  int status = INF_EXIT_OK;
  if (!ok) {
    g_printerr("inf-engine run: %s\n", error->message);
    /* A checkpoint that does not fit the input is a refusal, like at start. */
    status = error->code == INF_ERROR_CONFIG ? INF_EXIT_CONFIG : INF_EXIT_FAILURE;
    g_clear_error(&error);
  }
  if (!o->quiet)
    inf_batch_print_summary(batch);
  if (inf_batch_was_halted(batch))
    print_budget_stop(run->budget, batch, run->scheduler, run->checkpoint != NULL);
  if (run->checkpoint && !inf_batch_is_complete(batch)) {
    g_autofree char *command = inf_host_resume_command(args);
    g_printerr("the checkpoint %s holds what finished; to continue the run:\n  %s\n",
               o->checkpoint_path, command);
  }
  if (o->stats) {
    inf_host_print_stats(run->resources, stderr);
    inf_host_print_cache_stats(run->resources, stderr);
  }
  if (o->metrics_path && !write_metrics(o->metrics_path, run->resources, batch, run->scheduler,
                                        run->checkpoint, seconds, &error)) {
    g_printerr("inf-engine run: cannot write metrics: %s\n", error->message);
    status = INF_EXIT_FAILURE;
  }
  return inf_host_exit_status(status, inf_batch_get_failed(batch) > 0, inf_batch_was_halted(batch),
                              inf_batch_was_interrupted(batch));
}

/* Ends the run in order: calls still in flight are cancelled, their spans
 * still go to the trace, which closes after; then the output is closed. */
static int
finish_run(Run *run, int status)
{
  g_autoptr(GError) error = NULL;
  inf_scheduler_finish_trace(run->scheduler);
  /* The scheduler starts nothing new meanwhile. */
  inf_scheduler_stop(run->scheduler);
  g_clear_pointer(&run->resources, inf_resource_manager_free);
  if (run->trace && !inf_trace_writer_close(run->trace, &error)) {
    g_printerr("inf-engine run: %s\n", error->message);
    if (status == INF_EXIT_OK)
      status = INF_EXIT_FAILURE;
  }
  g_clear_pointer(&run->scheduler, inf_scheduler_free);
  g_clear_pointer(&run->trace, inf_trace_writer_free);
  if (run->input != stdin)
    fclose(run->input);
  run->input = NULL;
  if (run->output_fd != STDOUT_FILENO && close(run->output_fd) != 0 && status == INF_EXIT_OK) {
    g_printerr("inf-engine run: writing %s failed: %s\n", run->options->output_path,
               g_strerror(errno));
    status = INF_EXIT_FAILURE;
  }
  run->output_fd = -1;
  return status;
}

int
inf_command_run(int argc, char **argv)
{
  g_auto(GStrv) args = g_strdupv(argv); /* as given, for the resume hint */
  g_auto(RunOptions) options = { 0 };
  int status;
  if (!parse_options(&options, argc, argv, &status))
    return status;
  if (!check_options(&options))
    return INF_EXIT_USAGE;
  /* A reader that goes away (`| head -1`) is a clean stop, not a signal. */
  signal(SIGPIPE, SIG_IGN);

  g_auto(Run) run = { .options = &options, .output_fd = -1 };
  if (!setup_engine(&run, &options) || !open_input(&run) || !open_output(&run) || !open_trace(&run))
    return INF_EXIT_CONFIG;
  status = run_batch(&run, args);
  return finish_run(&run, status);
}
