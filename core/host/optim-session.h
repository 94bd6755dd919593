/* What `inf-engine eval` and `inf-engine train` set up alike: the config and
 * its training block, --params, the resources with their cache and budget,
 * the scheduler and the trace, and the totals they report. */
#pragma once

#include "config/config.h"
#include "exec/scheduler.h"
#include "exec/trace-writer.h"
#include "host/commands.h"
#include "optim/training-config.h"
#include "resources/budget.h"

G_BEGIN_DECLS

typedef struct {
  char **plugin_dirs;
  char *resources_path;
  char *params_path;
  char *cache_path;
  char *cache_mode;
  gboolean no_cache;
  char *max_cost_text;
  char *trace_path;
  char *metrics_path;
  gint max_concurrent; /* G_MININT: not given */
  gint max_inflight;   /* G_MININT: not given */
  gboolean quiet;
  gboolean stats;
} InfOptimSessionOptions;

/* The GOptionEntry lines of those options (add the command's own). */
#define INF_OPTIM_SESSION_ENTRIES(o)                                                             \
  { "resources",                                                                                 \
    'r',                                                                                         \
    0,                                                                                           \
    G_OPTION_ARG_FILENAME,                                                                       \
    &(o)->resources_path,                                                                        \
    "Resources file replacing the config's resources block",                                     \
    "FILE" },                                                                                    \
      { "plugin-dir",                                                                            \
        'p',                                                                                     \
        0,                                                                                       \
        G_OPTION_ARG_FILENAME_ARRAY,                                                             \
        &(o)->plugin_dirs,                                                                       \
        "Also load plugins from DIR (repeatable)",                                               \
        "DIR" },                                                                                 \
      { "params",                                                                                \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_FILENAME,                                                                   \
        &(o)->params_path,                                                                       \
        "Load parameter values (a state dict) from FILE",                                        \
        "FILE" },                                                                                \
      { "max-concurrent",                                                                        \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_INT,                                                                        \
        &(o)->max_concurrent,                                                                    \
        "Nodes running at once (default: no global cap)",                                        \
        "N" },                                                                                   \
      { "max-inflight",                                                                          \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_INT,                                                                        \
        &(o)->max_inflight,                                                                      \
        "Examples in flight at once (default: resources.max_inflight_graphs or 64)",             \
        "N" },                                                                                   \
      { "quiet", 'q', 0, G_OPTION_ARG_NONE, &(o)->quiet, "No progress and no summary on stderr", \
        NULL },                                                                                  \
      { "stats",     0,                                                                          \
        0,           G_OPTION_ARG_NONE,                                                          \
        &(o)->stats, "Print per-alias metrics on stderr at the end",                             \
        NULL },                                                                                  \
      { "metrics-out",                                                                           \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_FILENAME,                                                                   \
        &(o)->metrics_path,                                                                      \
        "Write per-alias metrics as JSON to FILE",                                               \
        "FILE" },                                                                                \
      { "max-cost",                                                                              \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_STRING,                                                                     \
        &(o)->max_cost_text,                                                                     \
        "Stop before spending more than USD (replaces resources.budget.max_cost)",               \
        "USD" },                                                                                 \
      { "trace-out",                                                                             \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_FILENAME,                                                                   \
        &(o)->trace_path,                                                                        \
        "Write a profiling trace (Chrome Trace Event JSON, for Perfetto) to FILE",               \
        "FILE" },                                                                                \
      { "cache",                                                                                 \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_FILENAME,                                                                   \
        &(o)->cache_path,                                                                        \
        "Answer repeated LLM requests from the response cache FILE (SQLite)",                    \
        "FILE" },                                                                                \
      { "cache-mode",                                                                            \
        0,                                                                                       \
        0,                                                                                       \
        G_OPTION_ARG_STRING,                                                                     \
        &(o)->cache_mode,                                                                        \
        "read, write, readwrite (default) or refresh",                                           \
        "MODE" },                                                                                \
  {                                                                                              \
    "no-cache", 0, 0, G_OPTION_ARG_NONE, &(o)->no_cache,                                         \
        "No response cache, even when the resources configure one", NULL                         \
  }

typedef struct {
  const char *command; /* "eval", "train" */
  InfOptimSessionOptions *options;
  InfHostContext *host;
  InfConfig *config;
  InfTrainingConfig *training;
  InfResourceManager *resources;
  InfBudget *budget; /* or NULL */
  InfScheduler *scheduler;
  InfTraceWriter *trace; /* or NULL */
  guint max_inflight;
} InfOptimSession;

/* The options' defaults (G_MININT for the numbers not given). */
void inf_optim_session_options_init(InfOptimSessionOptions *options);
void inf_optim_session_options_clear(InfOptimSessionOptions *options);

/* Sets up @session for @config_path; on failure prints why and returns the
 * exit status (2); 0 on success. */
int inf_optim_session_open(InfOptimSession *session, const char *command, const char *config_path,
                           InfOptimSessionOptions *options, gboolean need_optimizer);
/* --stats, --metrics-out (with @extra, transfer full, as "eval" or "train"
 * at the top level), the trace closed, everything freed; a failure there
 * sets *status to 1 when it was 0. */
void inf_optim_session_close(InfOptimSession *session, json_object *extra, int *status);

/* Totals over every alias so far: requests sent, tokens, cost. */
typedef struct {
  guint64 calls;
  gint64 tokens;
  double cost;
} InfSpend;
void inf_optim_session_get_spend(InfOptimSession *session, InfSpend *out);
/* Whether the budget is exhausted. */
gboolean inf_optim_session_budget_exhausted(InfOptimSession *session);

/* @score with four decimals, or "-" when it is NaN (no score yet), appended
 * to @out: how eval and train print scores. */
void inf_optim_session_format_score(GString *out, double score);

/* What a command watches while it runs on the main loop: a progress line
 * redrawn on a timer, and SIGINT/SIGTERM. */
typedef struct {
  GSource *progress; /* or NULL */
  guint sigint;
  guint sigterm;
} InfOptimSessionWatch;

/* Calls @progress(@data) every @interval_ms (no timer when 0; then
 * @progress may be NULL) and @on_signal(@data) on SIGINT and SIGTERM until
 * inf_optim_session_unwatch(). */
void inf_optim_session_watch(InfOptimSessionWatch *watch, guint interval_ms, GSourceFunc progress,
                             GSourceFunc on_signal, gpointer data);
void inf_optim_session_unwatch(InfOptimSessionWatch *watch);

G_END_DECLS
