/* The train loop: baseline, steps gated on validation, best kept, test once. */
#include "optim/trainer.h"

#include <math.h>
#include <string.h>

#include "optim/backward.h"
#include "optim/optimizer.h"
#include "resources/budget.h"
#include "resources/metrics.h"

/* Values rejected for a parameter that the optimizer is told about. */
#define MAX_REJECTED 8

struct _InfTrainer {
  InfModule *main;
  InfGraph *graph;
  InfScheduler *scheduler;
  InfResourceManager *resources;
  const InfTrainingConfig *config;
  guint max_inflight;
  GPtrArray *train, *val, *test;
  InfEvaluation *plain;
  InfEvaluation *record;
  InfEvaluation *current; /* the evaluation running, for inf_trainer_stop() */
  InfTrainerStepFunc step_func;
  gpointer step_data;
  /* the learnable parameters, upstream first */
  GPtrArray *params;   /* InfParameter * (references) */
  GPtrArray *names;    /* char * */
  GArray *upstream;    /* guint pairs (upstream, downstream) */
  GPtrArray *rejected; /* per parameter: GPtrArray of char * */
  /* where the loop is (saved and restored) */
  guint64 rng;
  guint epoch; /* 0-based */
  guint batch; /* the next batch of the epoch, 0-based */
  guint *order;
  gboolean has_order;
  guint step;
  guint last_epoch, last_batch; /* 1-based, of the last step (0: none) */
  gboolean has_baseline;
  double baseline, current_val, best_val, last_val, test_score;
  guint best_step;
  json_object *best;
  guint accepted, rejected_n, skipped, unchanged;
  gboolean tested; /* the test split was scored (test_score) */
  gboolean stopped, cancel, halted, finished;
};

/* --- a seeded generator of its own: splitmix64 --- */

static guint64
rng_next(guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void
draw_order(InfTrainer *t)
{
  guint n = t->train->len;
  for (guint i = 0; i < n; i++)
    t->order[i] = i;
  if (!t->config->shuffle)
    return;
  for (guint i = n - 1; i > 0 && n > 1; i--) {
    guint j = (guint)(rng_next(&t->rng) % (guint64)(i + 1));
    guint tmp = t->order[i];
    t->order[i] = t->order[j];
    t->order[j] = tmp;
  }
}

/* --- spend --- */

typedef struct {
  guint64 calls;
  gint64 tokens;
  double cost;
} Spend;

static Spend
spend_now(InfTrainer *t)
{
  Spend s = { 0 };
  for (guint i = 0; t->resources && i < inf_resource_manager_get_n_aliases(t->resources); i++) {
    InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_get_alias(t->resources, i));
    s.calls += m->requests;
    s.tokens = inf_tokens_add(s.tokens, inf_tokens_add(m->input_tokens, m->output_tokens));
    s.cost += m->cost;
  }
  return s;
}

static json_object *
number_json(double v, const char *format)
{
  if (isnan(v))
    return NULL;
  char text[48];
  g_snprintf(text, sizeof text, format, v);
  return json_object_new_double_s(v, text);
}

static void
add_spend(json_object *line, Spend before, Spend after)
{
  json_object_object_add(line, "calls",
                         json_object_new_int64((gint64)(after.calls - before.calls)));
  json_object_object_add(line, "tokens", json_object_new_int64(after.tokens - before.tokens));
  json_object_object_add(line, "cost", number_json(after.cost - before.cost, "%.6f"));
}

/* --- parameters in graph order --- */

static const char *
param_name(GPtrArray *named, InfParameter *p)
{
  for (guint i = 0; i < named->len; i++) {
    InfNamedParameter *np = g_ptr_array_index(named, i);
    if (np->parameter == p)
      return np->name;
  }
  return NULL;
}

static void
collect_parameters(InfTrainer *t)
{
  GPtrArray *named = inf_module_named_parameters(t->main);
  GPtrArray *nodes = g_ptr_array_new(); /* per parameter: GArray of node indices */
  for (guint n = t->graph->n_inputs; n < t->graph->n_nodes; n++) {
    InfModule *module = t->graph->nodes[n].module;
    if (!module)
      continue;
    GPtrArray *params = inf_module_parameters(module);
    for (guint i = 0; i < params->len; i++) {
      InfParameter *p = g_ptr_array_index(params, i);
      const char *name = param_name(named, p);
      if (!inf_parameter_get_requires_grad(p) || !name)
        continue;
      guint k;
      if (!g_ptr_array_find(t->params, p, &k)) {
        k = t->params->len;
        g_ptr_array_add(t->params, inf_parameter_ref(p));
        g_ptr_array_add(t->names, g_strdup(name));
        g_ptr_array_add(t->rejected, g_ptr_array_new_with_free_func(g_free));
        g_ptr_array_add(nodes, g_array_new(FALSE, FALSE, sizeof(guint)));
      }
      g_array_append_val(g_ptr_array_index(nodes, k), n);
    }
    g_ptr_array_unref(params);
  }
  /* upstream: a node holding a is an ancestor of a node holding b */
  for (guint b = 0; b < t->params->len; b++) {
    GArray *bn = g_ptr_array_index(nodes, b);
    for (guint a = 0; a < t->params->len; a++) {
      if (a == b)
        continue;
      GArray *an = g_ptr_array_index(nodes, a);
      gboolean up = FALSE;
      for (guint i = 0; i < bn->len && !up; i++) {
        guint n_anc = 0;
        g_autofree guint *anc = inf_graph_ancestors(t->graph, g_array_index(bn, guint, i), &n_anc);
        for (guint j = 0; j < an->len && !up; j++)
          for (guint k = 0; k < n_anc && !up; k++)
            up = anc[k] == g_array_index(an, guint, j);
      }
      if (up) {
        guint pair[2] = { a, b };
        g_array_append_vals(t->upstream, pair, 2);
      }
    }
  }
  for (guint i = 0; i < nodes->len; i++)
    g_array_unref(g_ptr_array_index(nodes, i));
  g_ptr_array_unref(nodes);
  g_ptr_array_unref(named);
}

static void
zero_feedback(InfTrainer *t)
{
  for (guint i = 0; i < t->params->len; i++)
    inf_parameter_zero_feedback(g_ptr_array_index(t->params, i));
}

/* --- life cycle --- */

InfTrainer *
inf_trainer_new(InfModule *main_module, InfGraph *graph, InfScheduler *scheduler,
                InfResourceManager *resources, const InfTrainingConfig *config, guint max_inflight,
                GPtrArray *train, GPtrArray *val, GPtrArray *test)
{
  InfTrainer *t = g_new0(InfTrainer, 1);
  t->main = inf_module_ref(main_module);
  t->graph = inf_graph_ref(graph);
  t->scheduler = scheduler;
  t->resources = resources;
  t->config = config;
  t->max_inflight = max_inflight;
  t->train = train;
  t->val = val;
  t->test = test;
  InfEvaluationConfig ec = {
    .loss = config->loss,
    .output_key = config->output,
    .pass_score = config->pass_score,
    .max_inflight = max_inflight,
  };
  t->plain = inf_evaluation_new(scheduler, graph, resources, &ec);
  ec.record = TRUE;
  t->record = inf_evaluation_new(scheduler, graph, resources, &ec);
  t->params = g_ptr_array_new_with_free_func((GDestroyNotify)inf_parameter_unref);
  t->names = g_ptr_array_new_with_free_func(g_free);
  t->rejected = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  t->upstream = g_array_new(FALSE, FALSE, sizeof(guint));
  t->rng = config->seed;
  t->order = g_new0(guint, MAX(train->len, 1));
  t->baseline = t->current_val = t->best_val = t->last_val = t->test_score = NAN;
  collect_parameters(t);
  return t;
}

void
inf_trainer_free(InfTrainer *t)
{
  if (!t)
    return;
  inf_evaluation_free(t->plain);
  inf_evaluation_free(t->record);
  g_ptr_array_unref(t->params);
  g_ptr_array_unref(t->names);
  g_ptr_array_unref(t->rejected);
  g_array_unref(t->upstream);
  g_free(t->order);
  json_object_put(t->best);
  inf_graph_unref(t->graph);
  inf_module_unref(t->main);
  g_free(t);
}

void
inf_trainer_set_step_func(InfTrainer *t, InfTrainerStepFunc func, gpointer user_data)
{
  t->step_func = func;
  t->step_data = user_data;
}

void
inf_trainer_stop(InfTrainer *t, gboolean cancel)
{
  t->stopped = TRUE;
  t->cancel |= cancel;
  if (t->current)
    inf_evaluation_stop(t->current, cancel);
}

json_object *
inf_trainer_get_best(InfTrainer *t)
{
  return t->best;
}

static guint
n_batches(InfTrainer *t)
{
  return (t->train->len + t->config->batch_size - 1) / t->config->batch_size;
}

void
inf_trainer_get_status(InfTrainer *t, InfTrainerStatus *out)
{
  *out = (InfTrainerStatus){
    .epoch = t->last_epoch,
    .batch = t->last_batch,
    .n_batches = n_batches(t),
    .step = t->step,
    .n_steps = n_batches(t) * t->config->epochs,
    .baseline = t->baseline,
    .best_val = t->best_val,
    .last_val = t->last_val,
    .best_step = t->best_step,
    .accepted = t->accepted,
    .rejected = t->rejected_n,
    .skipped = t->skipped,
    .unchanged = t->unchanged,
    .test = t->test_score,
    .stopped = t->stopped,
    .halted = t->halted,
    .finished = t->finished,
  };
}

/* --- phases --- */

static gboolean
budget_exhausted(InfTrainer *t)
{
  InfBudget *budget = t->resources ? inf_resource_manager_get_budget(t->resources) : NULL;
  return budget && inf_budget_is_exhausted(budget);
}

/* Whether the loop must stop now (a signal, the budget). */
static gboolean
must_stop(InfTrainer *t)
{
  if (budget_exhausted(t) || inf_scheduler_is_halted(t->scheduler))
    t->halted = TRUE;
  return t->stopped || t->halted;
}

typedef struct {
  GPtrArray *states;   /* InfExecState * (references), or NULL */
  GPtrArray *feedback; /* InfFeedback * (copies), parallel to states */
  GArray *indices;     /* dataset indices */
} Collected;

static void
collect_result(const InfEvalResult *result, gpointer data)
{
  Collected *c = data;
  g_array_append_val(c->indices, result->example->index);
  if (c->states && result->state && result->feedback && !result->errors) {
    g_ptr_array_add(c->states, inf_exec_state_ref(result->state));
    g_ptr_array_add(c->feedback, inf_feedback_copy(result->feedback));
  }
}

/* Scores @examples (in @order when given) with @evaluation; FALSE when the
 * run stopped before every example was scored. */
static gboolean
evaluate(InfTrainer *t, InfEvaluation *evaluation, GPtrArray *examples, const guint *order, guint n,
         Collected *collected, InfEvalSummary *summary)
{
  Collected local = { 0 };
  Collected *c = collected ? collected : &local;
  if (!c->indices)
    c->indices = g_array_new(FALSE, FALSE, sizeof(guint64));
  t->current = evaluation;
  if (t->stopped)
    inf_evaluation_stop(evaluation, t->cancel);
  g_autoptr(GError) error = NULL;
  inf_evaluation_run_array(evaluation, examples, order, n, collect_result, c, summary, &error);
  t->current = NULL;
  gboolean complete = inf_evaluation_is_complete(evaluation) && !t->stopped;
  if (inf_evaluation_was_halted(evaluation))
    t->halted = TRUE;
  if (!collected)
    g_array_unref(local.indices);
  return complete && !must_stop(t);
}

static void
emit(InfTrainer *t, json_object *line, gboolean best_changed)
{
  if (t->step_func)
    t->step_func(t, line, best_changed, t->step_data);
  json_object_put(line);
}

static json_object *
score_member(double v)
{
  return number_json(v, "%.6g");
}

static gboolean
run_baseline(InfTrainer *t)
{
  Spend before = spend_now(t);
  InfEvalSummary s;
  if (!evaluate(t, t->plain, t->val, NULL, 0, NULL, &s))
    return FALSE;
  t->baseline = t->current_val = t->best_val = t->last_val = inf_eval_summary_mean(&s);
  t->has_baseline = TRUE;
  t->best_step = 0;
  json_object_put(t->best);
  t->best = inf_module_state_dict(t->main);
  json_object *line = json_object_new_object();
  json_object_object_add(line, "step", json_object_new_int(0));
  json_object_object_add(line, "phase", json_object_new_string("baseline"));
  json_object_object_add(line, "val_score", score_member(t->baseline));
  json_object_object_add(line, "val_passed", json_object_new_int64((gint64)s.passed));
  json_object_object_add(line, "val_examples", json_object_new_int64((gint64)s.examples));
  add_spend(line, before, spend_now(t));
  emit(t, line, TRUE);
  return TRUE;
}

typedef struct {
  guint n_errors;
  gboolean done;
} PassDone;

static void
pass_done(guint n_errors, gpointer data)
{
  PassDone *d = data;
  d->n_errors = n_errors;
  d->done = TRUE;
}

typedef struct {
  gboolean done;
  char *error;
} StepDone;

static void
step_done(InfOptimizerStep *step, const GError *error, gpointer data)
{
  (void)step;
  StepDone *d = data;
  d->done = TRUE;
  if (error)
    d->error = g_strdup(error->message);
}

/* Runs backward over the collected examples and one optimizer step: the
 * candidates that differ from the current values (new strings in
 * @candidates, NULL where unchanged). Errors go into @line. */
static void
propose(InfTrainer *t, Collected *c, char **candidates, json_object *line)
{
  InfBackwardOptions options = {
    .pass_score = t->config->pass_score,
    .keep_passing = t->config->keep_passing,
    .resources = t->resources,
  };
  guint backward_errors = 0;
  for (guint i = 0; i < c->states->len; i++) {
    PassDone d = { 0 };
    inf_backward_pass(g_ptr_array_index(c->states, i), g_ptr_array_index(c->feedback, i), &options,
                      pass_done, &d);
    while (!d.done)
      g_main_context_iteration(NULL, TRUE);
    backward_errors += d.n_errors;
  }
  if (backward_errors)
    json_object_object_add(line, "backward_errors", json_object_new_int(backward_errors));
  InfOptimizerStep *step = inf_optimizer_step_new(t->step, t->resources);
  for (guint i = 0; i < t->params->len; i++) {
    GPtrArray *rejected = g_ptr_array_index(t->rejected, i);
    g_ptr_array_add(rejected, NULL);
    inf_optimizer_step_add_parameter(step, g_ptr_array_index(t->names, i),
                                     g_ptr_array_index(t->params, i),
                                     (const char *const *)rejected->pdata);
    g_ptr_array_remove_index(rejected, rejected->len - 1);
  }
  for (guint i = 0; i + 1 < t->upstream->len; i += 2)
    inf_optimizer_step_set_upstream(step, g_array_index(t->upstream, guint, i),
                                    g_array_index(t->upstream, guint, i + 1));
  StepDone d = { 0 };
  inf_optimizer_run_step(t->config->optimizer, step, step_done, &d);
  while (!d.done)
    g_main_context_iteration(NULL, TRUE);
  json_object *errors = NULL;
  for (guint i = 0; i < t->params->len; i++) {
    const GError *e = inf_optimizer_step_get_error(step, i);
    const char *candidate = inf_optimizer_step_get_candidate(step, i);
    const char *value = inf_parameter_get_value(g_ptr_array_index(t->params, i));
    if (e) {
      if (!errors)
        errors = json_object_new_object();
      json_object_object_add(errors, g_ptr_array_index(t->names, i),
                             json_object_new_string(e->message));
    }
    candidates[i] = candidate && strcmp(candidate, value) != 0 ? g_strdup(candidate) : NULL;
  }
  if (d.error)
    json_object_object_add(line, "optimizer_error", json_object_new_string(d.error));
  if (errors)
    json_object_object_add(line, "optimizer_errors", errors);
  g_free(d.error);
  inf_optimizer_step_unref(step);
}

static gboolean
accepts(InfTrainer *t, double val)
{
  if (isnan(val))
    return FALSE;
  if (isnan(t->current_val))
    return TRUE;
  if (t->config->rule == INF_ACCEPT_NOT_WORSE)
    return val >= t->current_val - t->config->min_delta;
  return val > t->current_val + t->config->min_delta;
}

static void
collected_clear(Collected *c)
{
  g_clear_pointer(&c->states, g_ptr_array_unref);
  g_clear_pointer(&c->feedback, g_ptr_array_unref);
  g_clear_pointer(&c->indices, g_array_unref);
}

/* The history line of a step, as far as its training batch: which
 * examples, their score and how many passed. */
static json_object *
step_line_new(InfTrainer *t, const Collected *c, const InfEvalSummary *s)
{
  json_object *line = json_object_new_object();
  json_object_object_add(line, "step", json_object_new_int((int)t->step + 1));
  json_object_object_add(line, "epoch", json_object_new_int((int)t->epoch + 1));
  json_object_object_add(line, "batch", json_object_new_int((int)t->batch + 1));
  json_object *examples = json_object_new_array();
  for (guint i = 0; i < c->indices->len; i++)
    json_object_array_add(examples,
                          json_object_new_int64((gint64)g_array_index(c->indices, guint64, i)));
  json_object_object_add(line, "examples", examples);
  json_object_object_add(line, "train_score", score_member(inf_eval_summary_mean(s)));
  json_object_object_add(line, "train_passed", json_object_new_int64((gint64)s->passed));
  return line;
}

/* What a step came to. */
typedef struct {
  const char *action; /* "skipped", "unchanged", "accepted" or "rejected" */
  gboolean accepted;
  double val;           /* the validation score of the candidates, or NaN */
  json_object *changes; /* {name: {"from", "to"}}, or NULL */
} StepOutcome;

/* Puts the @candidates (NULL where unchanged) in place, keeping the values
 * they replace in @previous and noting each in *@changes; FALSE when there
 * was none. */
static gboolean
apply_candidates(InfTrainer *t, char **candidates, char **previous, json_object **changes)
{
  gboolean any = FALSE;
  for (guint i = 0; i < t->params->len; i++) {
    if (!candidates[i])
      continue;
    InfParameter *p = g_ptr_array_index(t->params, i);
    previous[i] = g_strdup(inf_parameter_get_value(p));
    inf_parameter_apply_update(p, candidates[i]);
    any = TRUE;
    if (!*changes)
      *changes = json_object_new_object();
    json_object *diff = json_object_new_object();
    json_object_object_add(diff, "from", json_object_new_string(previous[i]));
    json_object_object_add(diff, "to", json_object_new_string(candidates[i]));
    json_object_object_add(*changes, g_ptr_array_index(t->names, i), diff);
  }
  return any;
}

/* Puts the @previous values back unless the candidates were @accepted; when
 * they were scored on the whole validation split (@scored), each is
 * remembered as rejected, for the optimizer's next steps. */
static void
revert_candidates(InfTrainer *t, char **candidates, char **previous, gboolean accepted,
                  gboolean scored)
{
  for (guint i = 0; i < t->params->len; i++) {
    if (!candidates[i] || accepted)
      continue;
    InfParameter *p = g_ptr_array_index(t->params, i);
    inf_parameter_apply_update(p, previous[i]); /* revert */
    if (!scored)
      continue;
    GPtrArray *rejected = g_ptr_array_index(t->rejected, i);
    if (rejected->len == MAX_REJECTED)
      g_ptr_array_remove_index(rejected, 0);
    g_ptr_array_add(rejected, g_strdup(candidates[i]));
  }
}

/* Proposes candidates from the collected batch, scores them on the
 * validation split and keeps them when they are accepted. FALSE when that
 * was cut short (then the parameters are as before). */
static gboolean
try_candidates(InfTrainer *t, Collected *c, json_object *line, StepOutcome *out)
{
  char **candidates = g_new0(char *, t->params->len + 1);
  propose(t, c, candidates, line);
  zero_feedback(t);
  char **previous = g_new0(char *, t->params->len + 1);
  gboolean complete = TRUE;
  if (!apply_candidates(t, candidates, previous, &out->changes)) {
    out->action = "unchanged";
  } else {
    InfEvalSummary vs = { 0 };
    complete = !must_stop(t) && evaluate(t, t->plain, t->val, NULL, 0, NULL, &vs);
    out->val = inf_eval_summary_mean(&vs);
    out->accepted = complete && accepts(t, out->val);
    out->action = out->accepted ? "accepted" : "rejected";
  }
  revert_candidates(t, candidates, previous, out->accepted, complete);
  g_strfreev(candidates);
  g_strfreev(previous);
  return complete;
}

/* Counts the step's outcome and takes an accepted score as the current
 * one, and as the best when it is; TRUE when the best changed. */
static gboolean
keep_outcome(InfTrainer *t, const StepOutcome *o)
{
  gboolean best_changed = FALSE;
  if (!isnan(o->val))
    t->last_val = o->val;
  if (o->accepted) {
    t->current_val = o->val;
    if (isnan(t->best_val) || o->val > t->best_val) {
      t->best_val = o->val;
      t->best_step = t->step + 1;
      json_object_put(t->best);
      t->best = inf_module_state_dict(t->main);
      best_changed = TRUE;
    }
  }
  t->accepted += o->accepted;
  t->rejected_n += g_str_equal(o->action, "rejected");
  t->skipped += g_str_equal(o->action, "skipped");
  t->unchanged += g_str_equal(o->action, "unchanged");
  return best_changed;
}

/* The outcome's members of the history line (the changes move into it). */
static void
add_outcome(InfTrainer *t, json_object *line, StepOutcome *o)
{
  json_object_object_add(line, "action", json_object_new_string(o->action));
  json_object_object_add(line, "accepted", json_object_new_boolean(o->accepted));
  if (!isnan(o->val))
    json_object_object_add(line, "val_score", score_member(o->val));
  json_object_object_add(line, "best_val", score_member(t->best_val));
  if (o->changes)
    json_object_object_add(line, "changes", g_steal_pointer(&o->changes));
}

/* Moves on to the next batch, and to the next epoch (a new order) after
 * the last. */
static void
advance(InfTrainer *t)
{
  t->step++;
  t->last_epoch = t->epoch + 1;
  t->last_batch = t->batch + 1;
  t->batch++;
  if (t->batch >= n_batches(t)) {
    t->batch = 0;
    t->epoch++;
    t->has_order = FALSE;
  }
}

/* One step over the next batch of the current epoch. FALSE when it was cut
 * short (then nothing of it stays). */
static gboolean
run_step(InfTrainer *t)
{
  guint bs = t->config->batch_size;
  guint first = t->batch * bs;
  guint n = MIN(bs, t->train->len - first);
  Spend before = spend_now(t);
  Collected c = {
    .states = g_ptr_array_new_with_free_func((GDestroyNotify)inf_exec_state_unref),
    .feedback = g_ptr_array_new_with_free_func((GDestroyNotify)inf_feedback_free),
    .indices = g_array_new(FALSE, FALSE, sizeof(guint64)),
  };
  InfEvalSummary s;
  zero_feedback(t);
  if (!evaluate(t, t->record, t->train, t->order + first, n, &c, &s)) {
    collected_clear(&c);
    return FALSE;
  }
  json_object *line = step_line_new(t, &c, &s);
  StepOutcome outcome = { .val = NAN };
  if (s.passed == s.examples) {
    outcome.action = "skipped"; /* the whole batch passed: no optimizer call */
  } else if (!try_candidates(t, &c, line, &outcome)) {
    json_object_put(outcome.changes);
    json_object_put(line);
    collected_clear(&c);
    return FALSE;
  }
  collected_clear(&c);
  gboolean best_changed = keep_outcome(t, &outcome);
  add_outcome(t, line, &outcome);
  add_spend(line, before, spend_now(t));
  advance(t);
  emit(t, line, best_changed);
  return TRUE;
}

static void
run_test(InfTrainer *t)
{
  g_autoptr(GError) error = NULL;
  if (!inf_module_load_state_dict(t->main, t->best, TRUE, &error))
    g_critical("the best parameters do not load back: %s", error->message);
  Spend before = spend_now(t);
  InfEvalSummary s;
  if (!evaluate(t, t->plain, t->test, NULL, 0, NULL, &s))
    return;
  t->test_score = inf_eval_summary_mean(&s);
  t->tested = TRUE;
  json_object *line = json_object_new_object();
  json_object_object_add(line, "step", json_object_new_int((int)t->step));
  json_object_object_add(line, "phase", json_object_new_string("test"));
  json_object_object_add(line, "best_step", json_object_new_int((int)t->best_step));
  json_object_object_add(line, "test_score", score_member(t->test_score));
  json_object_object_add(line, "test_passed", json_object_new_int64((gint64)s.passed));
  json_object_object_add(line, "test_examples", json_object_new_int64((gint64)s.examples));
  add_spend(line, before, spend_now(t));
  emit(t, line, FALSE);
}

gboolean
inf_trainer_run(InfTrainer *t, GError **error)
{
  if (t->params->len == 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "main has no learnable parameter (a parameter with \"requires_grad\": true used "
                "by one of its modules): there is nothing to train");
    return FALSE;
  }
  if (!t->has_baseline && !run_baseline(t))
    return TRUE;
  while (t->epoch < t->config->epochs && !must_stop(t)) {
    if (!t->has_order) {
      draw_order(t);
      t->has_order = TRUE;
    }
    if (!run_step(t))
      return TRUE;
  }
  if (must_stop(t))
    return TRUE;
  /* the best parameters are those left in main */
  g_autoptr(GError) local = NULL;
  if (!inf_module_load_state_dict(t->main, t->best, TRUE, &local))
    g_critical("the best parameters do not load back: %s", local->message);
  if (t->test && t->test->len && !t->tested) /* not again when resumed after it */
    run_test(t);
  t->finished = !must_stop(t);
  return TRUE;
}

/* --- saving and restoring --- */

static json_object *
exact_double(double v)
{
  return isnan(v) ? NULL : json_object_new_double(v);
}

json_object *
inf_trainer_save_state(InfTrainer *t)
{
  json_object *o = json_object_new_object();
  char rng[17];
  g_snprintf(rng, sizeof rng, "%016" G_GINT64_MODIFIER "x", t->rng);
  json_object_object_add(o, "rng", json_object_new_string(rng));
  json_object_object_add(o, "epoch", json_object_new_int((int)t->epoch));
  json_object_object_add(o, "batch", json_object_new_int((int)t->batch));
  json_object_object_add(o, "step", json_object_new_int((int)t->step));
  json_object_object_add(o, "last_epoch", json_object_new_int((int)t->last_epoch));
  json_object_object_add(o, "last_batch", json_object_new_int((int)t->last_batch));
  if (t->has_order) {
    json_object *order = json_object_new_array();
    for (guint i = 0; i < t->train->len; i++)
      json_object_array_add(order, json_object_new_int((int)t->order[i]));
    json_object_object_add(o, "order", order);
  }
  json_object_object_add(o, "baseline", exact_double(t->baseline));
  json_object_object_add(o, "current_val", exact_double(t->current_val));
  json_object_object_add(o, "best_val", exact_double(t->best_val));
  json_object_object_add(o, "last_val", exact_double(t->last_val));
  json_object_object_add(o, "best_step", json_object_new_int((int)t->best_step));
  if (t->tested)
    json_object_object_add(o, "test", exact_double(t->test_score));
  json_object_object_add(o, "best", json_object_get(t->best));
  json_object_object_add(o, "params", inf_module_state_dict(t->main));
  json_object *rejected = json_object_new_object();
  for (guint i = 0; i < t->params->len; i++) {
    GPtrArray *r = g_ptr_array_index(t->rejected, i);
    json_object *list = json_object_new_array();
    for (guint k = 0; k < r->len; k++)
      json_object_array_add(list, json_object_new_string(g_ptr_array_index(r, k)));
    json_object_object_add(rejected, g_ptr_array_index(t->names, i), list);
  }
  json_object_object_add(o, "rejected", rejected);
  json_object *counts = json_object_new_object();
  json_object_object_add(counts, "accepted", json_object_new_int((int)t->accepted));
  json_object_object_add(counts, "rejected", json_object_new_int((int)t->rejected_n));
  json_object_object_add(counts, "skipped", json_object_new_int((int)t->skipped));
  json_object_object_add(counts, "unchanged", json_object_new_int((int)t->unchanged));
  json_object_object_add(o, "counts", counts);
  return o;
}

static gboolean
get_member(json_object *o, const char *key, json_type type, json_object **out, GError **error)
{
  if (json_object_object_get_ex(o, key, out) &&
      (json_object_is_type(*out, type) ||
       (type == json_type_double && json_object_is_type(*out, json_type_int))))
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "the training state lacks a valid '%s'", key);
  return FALSE;
}

gboolean
inf_trainer_restore_state(InfTrainer *t, json_object *state, GError **error)
{
  json_object *rng, *epoch, *batch, *step, *best, *params, *rejected, *counts, *v;
  if (!get_member(state, "rng", json_type_string, &rng, error) ||
      !get_member(state, "epoch", json_type_int, &epoch, error) ||
      !get_member(state, "batch", json_type_int, &batch, error) ||
      !get_member(state, "step", json_type_int, &step, error) ||
      !get_member(state, "best", json_type_object, &best, error) ||
      !get_member(state, "params", json_type_object, &params, error) ||
      !get_member(state, "rejected", json_type_object, &rejected, error) ||
      !get_member(state, "counts", json_type_object, &counts, error))
    return FALSE;
  if (!inf_module_load_state_dict(t->main, params, TRUE, error))
    return FALSE;
  t->rng = g_ascii_strtoull(json_object_get_string(rng), NULL, 16);
  t->epoch = (guint)json_object_get_int(epoch);
  t->batch = (guint)json_object_get_int(batch);
  t->step = (guint)json_object_get_int(step);
  t->has_order = FALSE;
  if (json_object_object_get_ex(state, "order", &v) && json_object_is_type(v, json_type_array)) {
    if (json_object_array_length(v) != t->train->len) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "the training state's order has %zu examples, the training split %u",
                  json_object_array_length(v), t->train->len);
      return FALSE;
    }
    for (guint i = 0; i < t->train->len; i++)
      t->order[i] = (guint)json_object_get_int(json_object_array_get_idx(v, i));
    t->has_order = TRUE;
  }
  const char *doubles[] = { "baseline", "current_val", "best_val", "last_val" };
  double *targets[] = { &t->baseline, &t->current_val, &t->best_val, &t->last_val };
  for (guint i = 0; i < G_N_ELEMENTS(doubles); i++)
    *targets[i] =
        json_object_object_get_ex(state, doubles[i], &v) && !json_object_is_type(v, json_type_null)
            ? json_object_get_double(v)
            : NAN;
  t->best_step = json_object_object_get_ex(state, "best_step", &v) ? json_object_get_int(v) : 0;
  t->last_epoch = json_object_object_get_ex(state, "last_epoch", &v) ? json_object_get_int(v) : 0;
  t->last_batch = json_object_object_get_ex(state, "last_batch", &v) ? json_object_get_int(v) : 0;
  /* saved after the test: it is not scored again */
  t->tested = json_object_object_get_ex(state, "test", &v);
  t->test_score =
      t->tested && !json_object_is_type(v, json_type_null) ? json_object_get_double(v) : NAN;
  json_object_put(t->best);
  t->best = json_object_get(best);
  t->has_baseline = TRUE;
  for (guint i = 0; i < t->params->len; i++) {
    GPtrArray *r = g_ptr_array_index(t->rejected, i);
    g_ptr_array_set_size(r, 0);
    json_object *list = json_object_object_get(rejected, g_ptr_array_index(t->names, i));
    for (size_t k = 0; list && k < json_object_array_length(list); k++)
      g_ptr_array_add(r, g_strdup(json_object_get_string(json_object_array_get_idx(list, k))));
  }
  t->accepted = json_object_get_int(json_object_object_get(counts, "accepted"));
  t->rejected_n = json_object_get_int(json_object_object_get(counts, "rejected"));
  t->skipped = json_object_get_int(json_object_object_get(counts, "skipped"));
  t->unchanged = json_object_get_int(json_object_object_get(counts, "unchanged"));
  return TRUE;
}
