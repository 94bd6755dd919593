/* InfEvaluation: forward through the scheduler, then the loss, per example;
 * results reported in order. */
#include "optim/evaluation.h"

#include <math.h>

#include "model/value-private.h"
#include "optim/loss.h"

typedef struct {
  InfEvaluation *evaluation;
  guint64 seq;
  InfExample *example;
  gboolean owned;      /* the example is ours to free */
  InfExecState *state; /* a reference while it runs, and after with record */
  InfValue *outputs;
  json_object *errors;
  InfFeedback *feedback;
  double score;
  gboolean done;
  gboolean abandoned; /* the run stopped: its loss result is dropped */
} Pending;

struct _InfEvaluation {
  InfScheduler *scheduler;
  InfGraph *graph;
  InfResourceManager *resources;
  InfEvaluationConfig config;
  /* the current run */
  InfEvalNextFunc next;
  gpointer next_data;
  gboolean owns_examples;
  InfEvalResultFunc result;
  gpointer result_data;
  InfEvalSummary summary;
  GMainLoop *loop;
  GHashTable *pending; /* seq → Pending, read and not yet reported */
  guint64 next_seq;
  guint64 next_to_report;
  guint losses_running;
  gboolean eof;
  gboolean in_feed;
  gboolean stopped;
  gboolean cancel;
  gboolean halted;
  gboolean abandon;
  GError *read_error;
};

double
inf_eval_summary_mean(const InfEvalSummary *summary)
{
  return summary->scored ? summary->score_sum / (double)summary->scored : NAN;
}

static void
pending_free(gpointer data)
{
  Pending *p = data;
  if (p->owned)
    inf_example_free(p->example);
  if (p->state)
    inf_exec_state_unref(p->state);
  if (p->outputs)
    inf_value_unref(p->outputs);
  json_object_put(p->errors);
  if (p->feedback)
    inf_feedback_free(p->feedback);
  g_free(p);
}

InfEvaluation *
inf_evaluation_new(InfScheduler *scheduler, InfGraph *graph, InfResourceManager *resources,
                   const InfEvaluationConfig *config)
{
  InfEvaluation *evaluation = g_new0(InfEvaluation, 1);
  evaluation->scheduler = scheduler;
  evaluation->graph = inf_graph_ref(graph);
  evaluation->resources = resources;
  evaluation->config = *config;
  evaluation->owns_examples = TRUE; /* inf_evaluation_run(): its source's examples are ours */
  if (evaluation->config.max_inflight == 0)
    evaluation->config.max_inflight = 64;
  return evaluation;
}

void
inf_evaluation_free(InfEvaluation *evaluation)
{
  if (!evaluation)
    return;
  inf_graph_unref(evaluation->graph);
  g_free(evaluation);
}

static void
maybe_quit(InfEvaluation *evaluation)
{
  if ((evaluation->eof || evaluation->stopped || evaluation->halted) &&
      g_hash_table_size(evaluation->pending) == 0 && evaluation->loop)
    g_main_loop_quit(evaluation->loop);
}

static void
report_ready(InfEvaluation *evaluation)
{
  Pending *p;
  while ((p = g_hash_table_lookup(evaluation->pending,
                                  GSIZE_TO_POINTER(evaluation->next_to_report))) &&
         p->done) {
    gboolean error = p->errors != NULL;
    gboolean has_score = !isnan(p->score);
    InfEvalResult result = {
      .seq = p->seq,
      .example = p->example,
      .outputs = p->outputs,
      .errors = p->errors,
      .feedback = p->feedback,
      .score = p->score,
      .passed = !error && has_score && p->score >= evaluation->config.pass_score,
      .state = evaluation->config.record ? p->state : NULL,
    };
    InfEvalSummary *s = &evaluation->summary;
    s->examples++;
    s->errors += error;
    if (has_score) {
      s->scored++;
      s->score_sum += p->score;
    }
    s->passed += result.passed;
    if (evaluation->result)
      evaluation->result(&result, evaluation->result_data);
    g_hash_table_remove(evaluation->pending, GSIZE_TO_POINTER(evaluation->next_to_report));
    pending_free(p);
    evaluation->next_to_report++;
  }
}

static void
finish(InfEvaluation *evaluation, Pending *p)
{
  p->done = TRUE;
  report_ready(evaluation);
  if (!evaluation->in_feed && !evaluation->stopped)
    inf_scheduler_pump(evaluation->scheduler);
  maybe_quit(evaluation);
}

static void
set_error(Pending *p, const char *key, const char *message)
{
  if (!p->errors)
    p->errors = json_object_new_object();
  json_object_object_add(p->errors, key, json_object_new_string(message));
  p->score = 0;
}

static void
loss_done(InfFeedback *feedback, GError *error, gpointer user_data)
{
  Pending *p = user_data;
  InfEvaluation *evaluation = p->evaluation;
  evaluation->losses_running--;
  if (p->abandoned) {
    if (feedback)
      inf_feedback_free(feedback);
    g_clear_error(&error);
    pending_free(p);
    return;
  }
  if (error) {
    set_error(p, "loss", error->message);
    g_error_free(error);
  } else {
    p->feedback = feedback;
    p->score = inf_feedback_has_score(feedback) ? inf_feedback_get_score(feedback) : NAN;
  }
  finish(evaluation, p);
}

/* The output the loss scores (borrowed). */
static InfValue *
scored_output(InfEvaluation *evaluation, InfValue *outputs)
{
  InfGraph *graph = evaluation->graph;
  const char *key = evaluation->config.output_key;
  if (!key && graph->output_shape == INF_GRAPH_OUTPUT_DICT && graph->n_outputs == 1)
    key = graph->outputs[0].key;
  if (key && inf_value_get_kind(outputs) == INF_VALUE_DICT) {
    InfValue *v = inf_value_dict_lookup(outputs, key);
    if (v)
      return v;
  }
  return outputs;
}

static void
on_input_done(InfScheduler *scheduler, InfExecState *state, gpointer user_data)
{
  (void)scheduler;
  InfEvaluation *evaluation = user_data;
  Pending *p = state->user_data;
  if (evaluation->abandon) {
    g_hash_table_steal(evaluation->pending, GSIZE_TO_POINTER(p->seq));
    pending_free(p);
    return;
  }
  p->outputs = inf_exec_state_get_outputs(state);
  json_object *errors = inf_exec_state_errors_json(state);
  if (!evaluation->config.record)
    g_clear_pointer(&p->state, inf_exec_state_unref);
  if (errors) {
    p->errors = errors;
    p->score = 0;
    finish(evaluation, p);
    return;
  }
  evaluation->losses_running++;
  inf_loss_evaluate(evaluation->config.loss, scored_output(evaluation, p->outputs),
                    p->example->target, p->example->json, p->example->index, evaluation->resources,
                    loss_done, p);
}

static gboolean
feed(InfScheduler *scheduler, gpointer user_data)
{
  InfEvaluation *evaluation = user_data;
  gboolean added = FALSE;
  evaluation->in_feed = TRUE;
  while (!evaluation->eof && !evaluation->stopped && !evaluation->halted && !added &&
         g_hash_table_size(evaluation->pending) < evaluation->config.max_inflight) {
    gboolean later = FALSE;
    InfExample *example = evaluation->next(evaluation->next_data, &later, &evaluation->read_error);
    if (!example) {
      evaluation->eof = !later || evaluation->read_error; /* else wait to be pumped */
      break;
    }
    Pending *p = g_new0(Pending, 1);
    p->evaluation = evaluation;
    p->seq = evaluation->next_seq++;
    p->example = example;
    p->owned = evaluation->owns_examples;
    p->score = NAN;
    g_hash_table_insert(evaluation->pending, GSIZE_TO_POINTER(p->seq), p);
    if (example->error) {
      set_error(p, "input", example->error);
      finish(evaluation, p);
      continue;
    }
    InfExecState *state = inf_exec_state_new(evaluation->graph, p->seq, example->inputs);
    state->user_data = p;
    p->state = state; /* our reference */
    inf_scheduler_add_input(scheduler, state);
    added = TRUE;
  }
  evaluation->in_feed = FALSE;
  maybe_quit(evaluation);
  return added;
}

static void
on_halted(InfScheduler *scheduler, gpointer user_data)
{
  (void)scheduler;
  InfEvaluation *evaluation = user_data;
  evaluation->halted = TRUE;
  if (evaluation->loop)
    g_main_loop_quit(evaluation->loop);
}

void
inf_evaluation_stop(InfEvaluation *evaluation, gboolean cancel)
{
  evaluation->stopped = TRUE;
  if (cancel) {
    evaluation->cancel = TRUE;
    inf_scheduler_stop(evaluation->scheduler);
    if (evaluation->loop)
      g_main_loop_quit(evaluation->loop);
    return;
  }
  maybe_quit(evaluation);
}

gboolean
inf_evaluation_run(InfEvaluation *evaluation, InfEvalNextFunc next, gpointer next_data,
                   InfEvalResultFunc result, gpointer result_data, InfEvalSummary *summary,
                   GError **error)
{
  evaluation->next = next;
  evaluation->next_data = next_data;
  evaluation->result = result;
  evaluation->result_data = result_data;
  evaluation->summary = (InfEvalSummary){ 0 };
  evaluation->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
  evaluation->next_seq = evaluation->next_to_report = 0;
  evaluation->eof = evaluation->stopped = evaluation->cancel = FALSE;
  evaluation->halted = evaluation->abandon = FALSE;
  g_clear_error(&evaluation->read_error);
  inf_scheduler_set_callbacks(
      evaluation->scheduler,
      &(InfSchedulerCallbacks){ .feed = feed, .done = on_input_done, .halted = on_halted },
      evaluation);
  evaluation->loop = g_main_loop_new(NULL, FALSE);
  inf_scheduler_pump(evaluation->scheduler);
  if (!((evaluation->eof || evaluation->stopped) && g_hash_table_size(evaluation->pending) == 0) &&
      !evaluation->halted)
    g_main_loop_run(evaluation->loop);
  g_main_loop_unref(evaluation->loop);
  evaluation->loop = NULL;
  if (g_hash_table_size(evaluation->pending) > 0) {
    /* Stopped early: what is in flight is dropped. */
    evaluation->abandon = TRUE;
    g_autoptr(GError) cancelled =
        g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "cancelled: the evaluation was stopped");
    inf_scheduler_cancel_all(evaluation->scheduler, cancelled);
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, evaluation->pending);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
      Pending *p = value;
      g_hash_table_iter_remove(&iter);
      if (!p->done && p->outputs && !p->errors && !p->feedback)
        p->abandoned = TRUE; /* its loss is running: freed when it ends */
      else
        pending_free(p);
    }
    while (evaluation->losses_running > 0)
      g_main_context_iteration(NULL, TRUE);
  }
  inf_scheduler_set_callbacks(evaluation->scheduler, NULL, NULL);
  g_hash_table_unref(evaluation->pending);
  evaluation->pending = NULL;
  if (summary)
    *summary = evaluation->summary;
  if (evaluation->read_error) {
    g_propagate_error(error, g_steal_pointer(&evaluation->read_error));
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  GPtrArray *examples;
  const guint *order;
  guint n;
  guint i;
} ArraySource;

static InfExample *
array_next(gpointer data, gboolean *later, GError **error)
{
  (void)later;
  (void)error;
  ArraySource *src = data;
  if (src->i >= src->n)
    return NULL;
  guint k = src->order ? src->order[src->i] : src->i;
  src->i++;
  return g_ptr_array_index(src->examples, k);
}

gboolean
inf_evaluation_run_array(InfEvaluation *evaluation, GPtrArray *examples, const guint *order,
                         guint n, InfEvalResultFunc result, gpointer result_data,
                         InfEvalSummary *summary, GError **error)
{
  ArraySource src = { examples, order, order ? n : examples->len, 0 };
  evaluation->owns_examples = FALSE;
  gboolean ok =
      inf_evaluation_run(evaluation, array_next, &src, result, result_data, summary, error);
  evaluation->owns_examples = TRUE;
  return ok;
}

gboolean
inf_evaluation_was_stopped(const InfEvaluation *evaluation)
{
  return evaluation->stopped;
}

gboolean
inf_evaluation_was_halted(const InfEvaluation *evaluation)
{
  return evaluation->halted;
}

gboolean
inf_evaluation_is_complete(const InfEvaluation *evaluation)
{
  return evaluation->eof && !evaluation->stopped && !evaluation->halted;
}

static json_object *
score_json(double score)
{
  if (isnan(score))
    return NULL;
  char text[32];
  g_snprintf(text, sizeof text, "%.6g", score);
  return json_object_new_double_s(score, text);
}

char *
inf_eval_result_to_line(const InfEvalResult *result)
{
  json_object *obj = json_object_new_object();
  json_object_object_add(obj, "index", json_object_new_int64((gint64)result->example->index));
  if (result->example->id)
    json_object_object_add(obj, "id", json_object_get(result->example->id));
  json_object_object_add(obj, "score", score_json(result->score));
  json_object_object_add(obj, "passed", json_object_new_boolean(result->passed));
  json_object *items = json_object_new_array();
  for (guint i = 0; result->feedback && i < inf_feedback_get_n_items(result->feedback); i++)
    json_object_array_add(items,
                          json_object_new_string(inf_feedback_get_item(result->feedback, i)));
  json_object_object_add(obj, "feedback", items);
  if (result->outputs)
    json_object_object_add(obj, "outputs", inf_value_to_json(result->outputs));
  if (result->errors)
    json_object_object_add(obj, "errors", json_object_get(result->errors));
  char *line = g_strdup(
      json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(obj);
  return line;
}
