/* What the commands that run a pipeline (run, eval, train) share: the
 * --stats tables, the response cache and trace options, --params, --max-cost,
 * the budget warnings, the journals' spent amounts and the exit status. */
#pragma once

#include <stdio.h>

#include "config/config.h"
#include "exec/trace-writer.h"
#include "resources/budget.h"
#include "resources/manager.h"

G_BEGIN_DECLS

/* The --stats table: one line per alias (requests, errors, latency
 * quantiles, tokens, cost), then the finish reasons. */
void inf_host_print_stats(InfResourceManager *resources, FILE *out);
/* The --stats line of the response cache, if the run has one. */
void inf_host_print_cache_stats(InfResourceManager *resources, FILE *out);
/* The cache's counters for --metrics-out (new), or NULL without a cache. */
json_object *inf_host_cache_metrics_json(InfResourceManager *resources);

/* The response cache the run asked for (the resources' cache block, then
 * --cache @path, --cache-mode @mode and --no-cache), or NULL in *@out. A
 * file that cannot be used is a warning: the run goes on without it. FALSE
 * after printing a usage error naming `inf-engine @command`. */
gboolean inf_host_open_cache(const char *command, const InfResourcesConfig *resources,
                             const char *path, const char *mode, gboolean no_cache,
                             InfResponseCache **out);

/* A trace writer for --trace-out @path, its metadata naming the engine and
 * @config_path's file name. */
InfTraceWriter *inf_host_open_trace(const char *path, guint sample_every, const char *config_path,
                                    GError **error);

/* Loads the state dict in @path (--params) into @main_module (strict: every
 * parameter, no unknown name); errors name @path. */
gboolean inf_host_load_params(InfModule *main_module, const char *path, GError **error);

/* Reads an alias's amount in the "spent" object of a journal (run's and
 * train's checkpoints): {"cost": USD, "requests": N, "tokens": N}, each
 * member 0 when missing. */
void inf_host_read_spent(json_object *json, InfBudgetAmount *out);

/* The exit status of run, eval and train from @status (what the command set
 * so far: INF_EXIT_OK or a failure): INF_EXIT_FAILURE when some input
 * @failed and it was INF_EXIT_OK, then INF_EXIT_BUDGET when a budget limit
 * @halted the run and INF_EXIT_INTERRUPTED when a signal stopped it (the
 * last one that applies wins). */
int inf_host_exit_status(int status, gboolean failed, gboolean halted, gboolean interrupted);

/* --max-cost: a finite number >= 0 (USD). */
gboolean inf_host_parse_max_cost(const char *text, double *out);

/* An InfBudgetWarnFunc: one line on stderr and an instant in the trace;
 * @user_data is the address of the run's InfTraceWriter pointer (which may
 * hold NULL). */
void inf_host_budget_warn(InfBudget *budget, const char *scope, const char *what, double fraction,
                          double spent, double limit, gpointer user_data);

/* A budget with a cost limit counts calls to unpriced endpoints as $0: says
 * so on stderr before the run, once per alias of @graph. */
void inf_host_warn_unpriced(const InfResourcesConfig *config, const InfGraph *graph,
                            InfBudget *budget);

G_END_DECLS
