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

int
inf_command_run(int argc, char **argv)
{
  g_autofree char *input_path = NULL;
  g_autofree char *output_path = NULL;
  g_autofree char *resources_path = NULL;
  g_autofree char *metrics_path = NULL;
  g_autofree char *params_path = NULL;
  g_autofree char *max_cost_text = NULL;
  g_autofree char *max_requests_text = NULL;
  g_autofree char *trace_path = NULL;
  gint trace_sample = 0;
  g_autofree char *checkpoint_path = NULL;
  g_autofree char *cache_path = NULL;
  g_autofree char *cache_mode = NULL;
  gboolean no_cache = FALSE;
  g_auto(GStrv) plugin_dirs = NULL;
  g_auto(GStrv) args = g_strdupv(argv); /* as given, for the resume hint */
  gboolean resume = FALSE;
  /* G_MININT: not given (0 and negative numbers given are refused alike) */
  gint max_concurrent = G_MININT;
  gint max_inflight = G_MININT;
  gboolean ordered = FALSE, quiet = FALSE, stats = FALSE, node_status = FALSE;
  GOptionEntry entries[] = {
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input_path,
      "JSONL inputs, one object per line ('-' or absent: stdin)", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output_path,
      "JSONL results ('-' or absent: stdout)", "FILE" },
    { "resources", 'r', 0, G_OPTION_ARG_FILENAME, &resources_path,
      "Resources file replacing the config's resources block", "FILE" },
    { "plugin-dir", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
      "Also load plugins from DIR (repeatable)", "DIR" },
    { "max-concurrent", 0, 0, G_OPTION_ARG_INT, &max_concurrent,
      "Nodes running at once (default: no global cap)", "N" },
    { "max-inflight", 0, 0, G_OPTION_ARG_INT, &max_inflight,
      "Inputs in flight at once (default: resources.max_inflight_graphs or 1024)", "N" },
    { "ordered", 0, 0, G_OPTION_ARG_NONE, &ordered,
      "Write results in input order (default: completion order)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress and no summary on stderr", NULL },
    { "node-status", 0, 0, G_OPTION_ARG_NONE, &node_status,
      "Add \"nodes\": {node: status} to each result (completed, skipped, failed, cancelled)",
      NULL },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Print per-alias metrics on stderr at the end",
      NULL },
    { "metrics-out", 0, 0, G_OPTION_ARG_FILENAME, &metrics_path,
      "Write per-alias metrics as JSON to FILE", "FILE" },
    { "params", 0, 0, G_OPTION_ARG_FILENAME, &params_path,
      "Load parameter values (a state dict) from FILE", "FILE" },
    { "max-cost", 0, 0, G_OPTION_ARG_STRING, &max_cost_text,
      "Stop before spending more than USD (replaces resources.budget.max_cost)", "USD" },
    { "max-requests", 0, 0, G_OPTION_ARG_STRING, &max_requests_text,
      "Stop before sending more than N requests, retries included (replaces "
      "resources.budget.max_requests)",
      "N" },
    { "trace-out", 0, 0, G_OPTION_ARG_FILENAME, &trace_path,
      "Write a profiling trace (Chrome Trace Event JSON, for Perfetto) to FILE", "FILE" },
    { "trace-sample", 0, 0, G_OPTION_ARG_INT, &trace_sample,
      "With --trace-out: trace every K-th input in full (counters cover all)", "K" },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint_path,
      "Journal the run in FILE (SQLite) so that --resume can continue it", "FILE" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the run journaled in --checkpoint FILE",
      NULL },
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &cache_path,
      "Answer repeated LLM requests from the response cache FILE (SQLite; created when missing)",
      "FILE" },
    { "cache-mode", 0, 0, G_OPTION_ARG_STRING, &cache_mode,
      "read, write, readwrite (default) or refresh", "MODE" },
    { "no-cache", 0, 0, G_OPTION_ARG_NONE, &no_cache,
      "No response cache, even when the resources configure one", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) context =
      g_option_context_new("CONFIG — run a pipeline over JSONL inputs");
  g_option_context_add_main_entries(context, entries, NULL);
  g_option_context_set_summary(
      context,
      "Runs CONFIG's main module once per input line and writes one JSON line per input:\n"
      "  {\"index\": N, \"outputs\": ..., \"errors\": {node: message}, \"duration_ms\": T}\n"
      "(\"errors\" only when a node failed or was cancelled; with --node-status also \"nodes\":\n"
      "{node: status}, where nodes of untaken switch cases are \"skipped\"). Exit status: 0 when\n"
      "every input succeeded, 1 when some failed (or writing failed), 2 on a usage or config\n"
      "error (or a checkpoint that cannot be resumed), 3 when a budget limit stopped the run,\n"
      "130 when interrupted.");
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    g_printerr("inf-engine run: %s\n", error->message);
    return 2;
  }
  if (argc != 2) {
    g_printerr("inf-engine run: expected one CONFIG file (see inf-engine run --help)\n");
    return 2;
  }
  if ((max_concurrent != G_MININT && max_concurrent < 1) ||
      (max_inflight != G_MININT && max_inflight < 1)) {
    g_printerr("inf-engine run: --max-concurrent and --max-inflight take a number >= 1, got %d\n",
               max_concurrent != G_MININT && max_concurrent < 1 ? max_concurrent : max_inflight);
    return 2;
  }
  if (max_concurrent == G_MININT)
    max_concurrent = 0; /* no global cap */
  if (max_inflight == G_MININT)
    max_inflight = 0; /* the default below */
  InfBudgetLimits overrides = INF_BUDGET_LIMITS_NONE;
  if (max_cost_text && !inf_host_parse_max_cost(max_cost_text, &overrides.max_cost)) {
    g_printerr("inf-engine run: --max-cost takes an amount in USD, a finite number >= 0 "
               "(e.g. 2.50), not '%s'\n",
               max_cost_text);
    return 2;
  }
  if (max_requests_text) {
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(max_requests_text, 10, 0, G_MAXINT64, &n, NULL)) {
      g_printerr("inf-engine run: --max-requests takes a whole number >= 0, not '%s'\n",
                 max_requests_text);
      return 2;
    }
    overrides.max_requests = (gint64)n;
  }
  if (trace_sample < 0 || (trace_sample > 0 && !trace_path)) {
    g_printerr("inf-engine run: --trace-sample takes a number K >= 1 and needs --trace-out FILE\n");
    return 2;
  }
  if (resume && !checkpoint_path) {
    g_printerr("inf-engine run: --resume needs --checkpoint FILE (the journal of the run to "
               "continue)\n");
    return 2;
  }
  gboolean output_is_file = output_path && !g_str_equal(output_path, "-");
  if (checkpoint_path && !output_is_file) {
    g_printerr("inf-engine run: --checkpoint needs --output FILE: on --resume the output is cut "
               "back to the last commit and appended to\n");
    return 2;
  }
  /* A reader that goes away (`| head -1`) is a clean stop, not a signal. */
  signal(SIGPIPE, SIG_IGN);

  g_autoptr(InfHostContext) host = NULL;
  g_autoptr(InfConfig) config =
      inf_host_load_config("run", (const char *const *)plugin_dirs, argv[1], resources_path, &host);
  if (!config)
    return 2;
  if (params_path && !inf_host_load_params(inf_config_get_main(config), params_path, &error)) {
    g_printerr("inf-engine run: %s\n", error->message);
    return 2;
  }
  const InfResourcesConfig *resources_config = inf_config_get_resources(config);
  InfResourceManager *resources =
      inf_resource_manager_new(resources_config, host->registry, &error);
  if (!resources) {
    g_printerr("inf-engine run: %s\n", error->message);
    return 2;
  }
  InfResponseCache *cache = NULL;
  if (!inf_host_open_cache("run", resources_config, cache_path, cache_mode, no_cache, &cache)) {
    inf_resource_manager_free(resources);
    return 2;
  }
  inf_resource_manager_set_cache(resources, cache);
  if (max_inflight == 0)
    max_inflight = resources_config && resources_config->max_inflight_graphs > 0
                       ? resources_config->max_inflight_graphs
                       : 1024;
  InfTraceWriter *trace = NULL; /* opened below, once the run is set up */
  g_autoptr(InfBudget) budget = NULL;
  if (inf_budget_config_has_limits(resources_config ? resources_config->budget : NULL) ||
      overrides.max_cost >= 0 || overrides.max_requests >= 0) {
    budget = inf_budget_new(resources_config ? resources_config->budget : NULL, &overrides);
    inf_budget_set_warn_func(budget, inf_host_budget_warn, &trace);
    inf_resource_manager_set_budget(resources, budget);
    if (resources_config)
      inf_host_warn_unpriced(resources_config, inf_config_get_graph(config), budget);
  }
  InfSchedulerConfig sched_config = { .max_concurrent = max_concurrent,
                                      .max_inflight = max_inflight };
  InfGraph *graph = inf_config_get_graph(config);
  InfScheduler *scheduler = inf_scheduler_new(graph, resources, &sched_config, &error);
  if (!scheduler) {
    g_printerr("inf-engine run: %s\n", error->message);
    inf_resource_manager_free(resources);
    return 2;
  }

  FILE *input = stdin;
  const char *input_name = "stdin";
  if (input_path && !g_str_equal(input_path, "-")) {
    input = fopen(input_path, "re");
    input_name = input_path;
    if (!input) {
      g_printerr("inf-engine run: cannot open input %s: %s\n", input_path, g_strerror(errno));
      inf_scheduler_free(scheduler);
      inf_resource_manager_free(resources);
      return 2;
    }
  }
  /* Writing the output must not destroy the input. */
  struct stat in_st, out_st;
  if (output_is_file && fstat(fileno(input), &in_st) == 0 && stat(output_path, &out_st) == 0 &&
      in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
    g_printerr("inf-engine run: --output %s is the input file: writing the results would "
               "destroy the inputs; choose another output file\n",
               output_path);
    if (input != stdin)
      fclose(input);
    inf_scheduler_free(scheduler);
    inf_resource_manager_free(resources);
    return 2;
  }
  g_autoptr(InfCheckpoint) checkpoint = NULL;
  int output_fd = STDOUT_FILENO;
  if (checkpoint_path) {
    checkpoint =
        inf_host_open_checkpoint(config, resources_config, checkpoint_path, resume, &error);
    if (checkpoint && resume && fstat(fileno(input), &in_st) == 0 && S_ISREG(in_st.st_mode) &&
        !inf_host_check_checkpoint_input(checkpoint, input, input_name, &error))
      g_clear_pointer(&checkpoint, inf_checkpoint_free);
    if (checkpoint)
      output_fd = inf_checkpoint_open_output(checkpoint, output_path, &error);
    /* A budget goes on from what the run spent before (the journal's). */
    json_object *spent =
        checkpoint && output_fd >= 0 && budget ? inf_checkpoint_get_spent(checkpoint) : NULL;
    if (spent) {
      json_object_object_foreach(spent, alias, value)
      {
        json_object *v;
        InfBudgetAmount amount = { 0 };
        if (json_object_object_get_ex(value, "cost", &v))
          amount.cost = json_object_get_double(v);
        if (json_object_object_get_ex(value, "requests", &v))
          amount.requests = json_object_get_int64(v);
        if (json_object_object_get_ex(value, "tokens", &v))
          amount.tokens = json_object_get_int64(v);
        inf_budget_add_spent(budget, inf_budget_get_account(budget, alias), &amount);
      }
    }
    if (!checkpoint || output_fd < 0) {
      g_printerr("inf-engine run: %s\n", error->message);
      if (input != stdin)
        fclose(input);
      inf_scheduler_free(scheduler);
      inf_resource_manager_free(resources);
      return 2;
    }
  } else if (output_is_file) {
    output_fd = open(output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (output_fd < 0) {
      g_printerr("inf-engine run: cannot write output %s: %s\n", output_path, g_strerror(errno));
      if (input != stdin)
        fclose(input);
      inf_scheduler_free(scheduler);
      inf_resource_manager_free(resources);
      return 2;
    }
  }

  InfBatchConfig batch_config = {
    .ordered = ordered,
    .quiet = quiet,
    .tty_progress = isatty(STDERR_FILENO),
    .total_inputs = -1,
    .max_inflight = (guint)max_inflight,
    .node_status = node_status,
  };
  struct stat st;
  if (!quiet && input != stdin && fstat(fileno(input), &st) == 0 && S_ISREG(st.st_mode))
    batch_config.total_inputs = inf_batch_count_lines(input_path);

  if (trace_path) {
    if (same_file(fileno(input), trace_path) || same_file(output_fd, trace_path))
      g_set_error(&error, INF_ERROR, INF_ERROR_CONFIG,
                  "--trace-out %s names the %s file; give the trace a file of its own", trace_path,
                  same_file(fileno(input), trace_path) ? "input" : "output");
    else
      trace = inf_host_open_trace(trace_path, (guint)trace_sample, argv[1], &error);
    if (!trace) {
      g_printerr("inf-engine run: %s\n", error->message);
      if (input != stdin)
        fclose(input);
      if (output_fd != STDOUT_FILENO)
        close(output_fd);
      inf_scheduler_free(scheduler);
      inf_resource_manager_free(resources);
      return 2;
    }
    inf_scheduler_set_trace(scheduler, trace);
  }

  InfBatch *batch = inf_batch_new(scheduler, graph, resources, input, input_name, output_fd,
                                  output_is_file ? output_path : "stdout", &batch_config);
  inf_batch_set_checkpoint(batch, checkpoint);
  inf_batch_set_trace(batch, trace);
  gint64 start = g_get_monotonic_time();
  gboolean ok = inf_batch_run(batch, &error);
  double seconds = (double)(g_get_monotonic_time() - start) / 1e6;
  int status = 0;
  if (!ok) {
    g_printerr("inf-engine run: %s\n", error->message);
    /* A checkpoint that does not fit the input is a refusal, like at start. */
    status = error->code == INF_ERROR_CONFIG ? 2 : 1;
    g_clear_error(&error);
  }
  if (!quiet)
    inf_batch_print_summary(batch);
  if (inf_batch_was_halted(batch))
    print_budget_stop(budget, batch, scheduler, checkpoint != NULL);
  if (checkpoint && !inf_batch_is_complete(batch)) {
    g_autofree char *command = inf_host_resume_command(args);
    g_printerr("the checkpoint %s holds what finished; to continue the run:\n  %s\n",
               checkpoint_path, command);
  }
  if (stats) {
    inf_host_print_stats(resources, stderr);
    inf_host_print_cache_stats(resources, stderr);
  }
  if (metrics_path &&
      !write_metrics(metrics_path, resources, batch, scheduler, checkpoint, seconds, &error)) {
    g_printerr("inf-engine run: cannot write metrics: %s\n", error->message);
    g_clear_error(&error);
    status = 1;
  }
  if (inf_batch_get_failed(batch) > 0 && status == 0)
    status = 1;
  if (inf_batch_was_halted(batch))
    status = 3;
  if (inf_batch_was_interrupted(batch))
    status = 130;
  inf_batch_free(batch);
  inf_scheduler_finish_trace(scheduler);
  /* Calls still in flight are cancelled here; their spans still go to the
   * trace, which closes after. The scheduler starts nothing new meanwhile. */
  inf_scheduler_stop(scheduler);
  inf_resource_manager_free(resources);
  if (trace && !inf_trace_writer_close(trace, &error)) {
    g_printerr("inf-engine run: %s\n", error->message);
    g_clear_error(&error);
    if (status == 0)
      status = 1;
  }
  inf_scheduler_free(scheduler);
  inf_trace_writer_free(trace);
  if (input != stdin)
    fclose(input);
  if (output_fd != STDOUT_FILENO && close(output_fd) != 0 && status == 0) {
    g_printerr("inf-engine run: writing %s failed: %s\n", output_path, g_strerror(errno));
    status = 1;
  }
  return status;
}
