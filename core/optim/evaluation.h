/* Internal: InfEvaluation — scores a pipeline on labelled examples.
 *
 * Each example goes forward through the normal scheduler (concurrent,
 * rate-limited, answered from the response cache when the run has one,
 * charged to the budget), then through the loss; results come back in the
 * order the examples were given, whatever order they finished in. At most
 * max_inflight examples are between being read and being reported, so a
 * large dataset streams in bounded memory. Shared by `inf-engine eval` and
 * `inf-engine train`. */
#pragma once

#include "exec/scheduler.h"
#include "optim/dataset.h"

G_BEGIN_DECLS

typedef struct _InfEvaluation InfEvaluation;

typedef struct {
  InfLoss *loss;          /* borrowed */
  const char *output_key; /* the dict output the loss scores, or NULL (see below) */
  double pass_score;      /* an example passes when its score is at least this */
  guint max_inflight;     /* examples read and not yet reported; 0: 64 */
  gboolean record;        /* keep each example's execution state (training mode) */
} InfEvaluationConfig;

/* One example's result; everything borrowed for the call. */
typedef struct {
  guint64 seq;           /* the position in the sequence evaluated */
  InfExample *example;   /* as read */
  InfValue *outputs;     /* the pipeline's outputs, or NULL (a bad line) */
  json_object *errors;   /* {node: message}, {"input": ...} or {"loss": ...}, or NULL */
  InfFeedback *feedback; /* the loss's, or NULL on an error */
  double score;          /* the feedback's score, 0 on an error, NaN without one */
  gboolean passed;       /* scored at least pass_score */
  InfExecState *state;   /* with record: the forward record (NULL on a bad line) */
} InfEvalResult;

typedef struct {
  guint64 examples; /* reported */
  guint64 errors;   /* bad lines, failed nodes, failed losses */
  guint64 scored;   /* with a score (errors count as scored 0) */
  guint64 passed;
  double score_sum;
} InfEvalSummary;

/* The mean score (errors count 0, examples without a score are left out),
 * or NaN when nothing was scored. */
double inf_eval_summary_mean(const InfEvalSummary *summary);

/* The next example to evaluate (transfer full), or NULL when there is none
 * (then @error may say reading failed), or NULL with *@later set to TRUE
 * when there is none yet but more may come: the source then calls
 * inf_scheduler_pump() on the evaluation's scheduler when it has one (or
 * found the end), and is asked again. */
typedef InfExample *(*InfEvalNextFunc)(gpointer user_data, gboolean *later, GError **error);
typedef void (*InfEvalResultFunc)(const InfEvalResult *result, gpointer user_data);

/* Uses @scheduler's feed and done callbacks while it runs; @resources may
 * be NULL. The loss scores the output named @config->output_key of a dict
 * output; without it, a dict output with one key gives that key's value,
 * any other output is given whole. */
InfEvaluation *inf_evaluation_new(InfScheduler *scheduler, InfGraph *graph,
                                  InfResourceManager *resources, const InfEvaluationConfig *config);
void inf_evaluation_free(InfEvaluation *evaluation);

/* Evaluates the examples @next gives, calling @result for each in order,
 * and fills @summary. Runs the main loop until every example is reported, or
 * the run was stopped (inf_evaluation_stop(), a budget halt): the examples
 * then in flight are not reported. FALSE with @error when reading failed. */
gboolean inf_evaluation_run(InfEvaluation *evaluation, InfEvalNextFunc next, gpointer next_data,
                            InfEvalResultFunc result, gpointer result_data, InfEvalSummary *summary,
                            GError **error);
/* Evaluates @examples (InfExample *, borrowed) in the order of @order (n
 * indices into @examples; NULL: all in order). */
gboolean inf_evaluation_run_array(InfEvaluation *evaluation, GPtrArray *examples,
                                  const guint *order, guint n, InfEvalResultFunc result,
                                  gpointer result_data, InfEvalSummary *summary, GError **error);

/* Stops reading examples; with @cancel also cancels what is in flight.
 * The current run returns once what is in flight settled. */
void inf_evaluation_stop(InfEvaluation *evaluation, gboolean cancel);
/* Whether the last run stopped early (inf_evaluation_stop()). */
gboolean inf_evaluation_was_stopped(const InfEvaluation *evaluation);
/* Whether the budget halted LLM dispatch during the last run. */
gboolean inf_evaluation_was_halted(const InfEvaluation *evaluation);
/* Whether the last run reported every example. */
gboolean inf_evaluation_is_complete(const InfEvaluation *evaluation);

/* The result as a JSONL line (new): {"index", "id", "score", "passed",
 * "feedback": [items], "outputs", "errors"}. */
char *inf_eval_result_to_line(const InfEvalResult *result);

G_END_DECLS
