/* Unit tests of the train loop (core/optim/trainer.c) with in-test classes
 * whose scores are exact: a module that answers its parameter's value, a
 * loss that scores that number, an optimizer that proposes scripted values.
 * The validation gate (accept, revert, rejected values told to the
 * optimizer), no optimizer call for a batch that passed, best-parameter
 * keeping under a lenient rule, the saved state, and the dataset reader's
 * messages (from a file and from a pipe). */
#include <inf/inf.h>
#include <glib-unix.h>
#include <unistd.h>
#include <math.h>
#include <string.h>

#include "exec/scheduler.h"
#include "graph/tracer-private.h"
#include "optim/dataset.h"
#include "optim/loss.h"
#include "optim/optimizer.h"
#include "optim/trainer.h"
#include "inf-test.h"

/* --- "says": answers the value of its learnable parameter "p" --- */

static gboolean
says_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  (void)out_private;
  g_autoptr(InfParameter) p = inf_parameter_new("0.2", "a number to raise", TRUE, error);
  return p && inf_module_add_parameter(self, "p", p, error);
}

static void
says_execute(InfModule *self, InfTask *task)
{
  InfParameter *p = inf_module_get_parameter(self, "p");
  inf_task_return_value(task, inf_value_new_text(inf_parameter_get_value(p)));
}

static void
says_backward(InfModule *self, InfBackward *ctx)
{
  inf_backward_add_parameter_feedback(ctx, inf_module_get_parameter(self, "p"), "raise it");
  inf_backward_return(ctx);
}

static const InfModuleClass says_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "says",
  .init = says_init,
  .execute = says_execute,
  .backward = says_backward,
};

static gboolean
top_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  (void)out_private;
  g_autoptr(InfModule) s = inf_module_new(inf_module_get_registry(self), "says", "s", NULL, error);
  return s && inf_module_add_child(self, "s", s, error);
}

static InfValue *
top_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
            GError **error)
{
  (void)n_inputs;
  (void)error;
  return inf_call(tracer, inf_module_get_child(self, "s"), inputs[0], NULL);
}

static const InfModuleClass top_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "top",
  .init = top_init,
  .forward = top_forward,
};

/* --- "number": the output read as a number is the score; targets must be
 * strings --- */

static void
number_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
                InfLossTask *task)
{
  (void)self;
  (void)target;
  (void)example;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  inf_feedback_set_score(fb, g_ascii_strtod(inf_value_get_text(output), NULL));
  inf_feedback_add_item(fb, "too low");
  inf_loss_task_return(task, fb);
}

static gboolean
number_check_target(InfLoss *self, json_object *target, GError **error)
{
  (void)self;
  if (json_object_is_type(target, json_type_string))
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_INPUT, "expected a string");
  return FALSE;
}

static const InfLossClass number_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "number",
  .evaluate = number_evaluate,
  .check_target = number_check_target,
};

/* --- "script": proposes the next value of a queue --- */

static GQueue script = G_QUEUE_INIT;
static guint script_calls;
static GString *script_seen; /* per call: "feedback-count:rejected,..;" */

static void
script_step(InfOptimizer *self, InfOptimizerStep *step)
{
  (void)self;
  script_calls++;
  InfParameter *p = inf_optimizer_step_get_parameter(step, 0);
  g_string_append_printf(script_seen, "%u:", inf_parameter_get_n_feedback(p));
  const char *const *rejected = inf_optimizer_step_get_rejected(step, 0);
  for (guint i = 0; rejected && rejected[i]; i++)
    g_string_append_printf(script_seen, "%s%s", i ? "," : "", rejected[i]);
  g_string_append_c(script_seen, ';');
  char *value = g_queue_pop_head(&script);
  g_assert_nonnull(value); /* a call the test did not expect */
  inf_optimizer_step_set_candidate(step, 0, value);
  g_free(value);
  inf_optimizer_step_return(step);
}

static const InfOptimizerClass script_class = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "script",
  .step = script_step,
};

/* --- fixture --- */

typedef struct {
  InfRegistry *registry;
  InfModule *top;
  InfGraph *graph;
  InfScheduler *scheduler;
  InfTrainingConfig *config;
  char *dir;
  GPtrArray *train, *val;
  GPtrArray *lines; /* history lines as text */
  guint best_changes;
} Fixture;

static GPtrArray *
load(Fixture *f, const char *name, const char *text)
{
  g_autofree char *path = inf_test_write(f->dir, name, text);
  g_autoptr(GError) error = NULL;
  GPtrArray *examples = inf_dataset_load(path, f->graph, f->config->loss, &error);
  g_assert_no_error(error);
  return examples;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  f->registry = inf_registry_new();
  g_assert_true(inf_registry_add_module_class(f->registry, &says_class, NULL));
  g_assert_true(inf_registry_add_module_class(f->registry, &top_class, NULL));
  g_assert_true(inf_registry_add_loss_class(f->registry, &number_class, NULL));
  g_assert_true(inf_registry_add_optimizer_class(f->registry, &script_class, NULL));
  f->top = inf_module_new(f->registry, "top", "top", NULL, &error);
  g_assert_no_error(error);
  f->graph = inf_tracer_trace(f->top, (const char *const[]){ "x", NULL }, &error);
  g_assert_no_error(error);
  InfSchedulerConfig sc = { 0 };
  f->scheduler = inf_scheduler_new(f->graph, NULL, &sc, &error);
  g_assert_no_error(error);
  f->config = g_new0(InfTrainingConfig, 1);
  json_object *spec = json_tokener_parse("{\"type\": \"number\"}");
  f->config->loss = inf_loss_new(f->registry, spec, &error);
  g_assert_no_error(error);
  json_object_put(spec);
  spec = json_tokener_parse("{\"type\": \"script\"}");
  f->config->optimizer = inf_optimizer_new_full(f->registry, spec, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  json_object_put(spec);
  f->config->epochs = 3;
  f->config->batch_size = 1;
  f->config->seed = 1;
  f->config->shuffle = TRUE;
  f->config->pass_score = 0.9;
  f->dir = inf_test_mkdtemp("inf-trainer");
  f->train = load(f, "train.jsonl",
                  "{\"input\": \"a\", \"target\": \"t\"}\n{\"input\": \"b\", \"target\": \"t\"}\n");
  f->val = load(f, "val.jsonl", "{\"input\": {\"x\": \"c\"}, \"target\": \"t\"}\n");
  f->lines = g_ptr_array_new_with_free_func(g_free);
  script_seen = g_string_new(NULL);
  script_calls = 0;
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  g_ptr_array_unref(f->train);
  g_ptr_array_unref(f->val);
  g_ptr_array_unref(f->lines);
  inf_training_config_free(f->config);
  inf_scheduler_free(f->scheduler);
  inf_graph_unref(f->graph);
  inf_module_unref(f->top);
  inf_registry_free(f->registry);
  inf_test_rmdir(f->dir);
  g_free(f->dir);
  g_string_free(script_seen, TRUE);
  g_queue_clear_full(&script, g_free);
}

static void
on_step(InfTrainer *trainer, json_object *line, gboolean best_changed, gpointer data)
{
  (void)trainer;
  Fixture *f = data;
  g_ptr_array_add(f->lines, g_strdup(json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN)));
  f->best_changes += best_changed;
}

static const char *
best_value(InfTrainer *trainer)
{
  return json_object_get_string(json_object_object_get(inf_trainer_get_best(trainer), "s.p"));
}

/* Queues the optimizer's next proposals (NULL-terminated). */
static void
script_push(const char *first, ...)
{
  va_list values;
  va_start(values, first);
  for (const char *v = first; v != NULL; v = va_arg(values, const char *))
    g_queue_push_tail(&script, g_strdup(v));
  va_end(values);
}

/* A trainer of f->top on f->train and f->val that reports its steps to
 * on_step. */
static InfTrainer *
new_trainer(Fixture *f)
{
  InfTrainer *t =
      inf_trainer_new(f->top, f->graph, f->scheduler, NULL, f->config, 4, f->train, f->val, NULL);
  inf_trainer_set_step_func(t, on_step, f);
  return t;
}

/* The value of the parameter the module holds now. */
static const char *
module_value(Fixture *f)
{
  return inf_parameter_get_value(inf_module_get_parameter(inf_module_get_child(f->top, "s"), "p"));
}

/* The 3 epochs of test_gate ("0.5", "0.4", "0.9" proposed) ended as they
 * must: 0.5 kept, 0.4 reverted (and told to the next step), 0.9 kept, then
 * 3 steps skipped; the best is 0.9. */
static void
assert_gate_outcome(InfTrainer *t)
{
  InfTrainerStatus st;
  inf_trainer_get_status(t, &st);
  g_assert_cmpuint(st.accepted, ==, 2);
  g_assert_cmpuint(st.rejected, ==, 1);
  g_assert_cmpuint(st.skipped, ==, 3);
  /* each step saw its batch's feedback (one example) and, after the
   * revert, the rejected value */
  g_assert_cmpstr(script_seen->str, ==, "1:;1:;1:0.4;");
  g_assert_cmpstr(best_value(t), ==, "0.9");
}

static void
test_gate(Fixture *f, gconstpointer data)
{
  (void)data;
  /* improve: 0.5 kept (> 0.2), 0.4 reverted, 0.9 kept; then every batch
   * passes (0.9 >= pass_score): no optimizer call in the 3 steps left */
  script_push("0.5", "0.4", "0.9", NULL);
  InfTrainer *t = new_trainer(f);
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_trainer_run(t, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(script_calls, ==, 3);
  assert_gate_outcome(t);
  InfTrainerStatus st;
  inf_trainer_get_status(t, &st);
  g_assert_cmpuint(st.step, ==, 6);
  g_assert_cmpfloat(st.baseline, ==, 0.2);
  g_assert_cmpfloat(st.best_val, ==, 0.9);
  g_assert_cmpuint(st.best_step, ==, 3);
  g_assert_true(st.finished);
  g_assert_cmpstr(module_value(f), ==, "0.9");
  g_assert_cmpuint(f->lines->len, ==, 7); /* baseline + 6 steps */
  inf_test_assert_contains(g_ptr_array_index(f->lines, 2), "\"action\":\"rejected\"");
  inf_test_assert_contains(g_ptr_array_index(f->lines, 2),
                           "\"changes\":{\"s.p\":{\"from\":\"0.5\",\"to\":\"0.4\"}}");
  inf_test_assert_contains(g_ptr_array_index(f->lines, 4), "\"action\":\"skipped\"");
  g_assert_null(strstr(g_ptr_array_index(f->lines, 4), "val_score"));
  g_assert_cmpuint(f->best_changes, ==, 3); /* baseline, 0.5, 0.9 */
  inf_trainer_free(t);
}

static void
test_best_kept(Fixture *f, gconstpointer data)
{
  (void)data;
  /* not_worse with min_delta 0.5: every candidate is accepted, the score
   * goes 0.5, 0.1, 0.3, ...; the best (0.5) is what is kept */
  f->config->rule = INF_ACCEPT_NOT_WORSE;
  f->config->min_delta = 0.5;
  f->config->epochs = 2;
  const char *values[] = { "0.5", "0.1", "0.3", "0.2" };
  for (guint i = 0; i < G_N_ELEMENTS(values); i++)
    g_queue_push_tail(&script, g_strdup(values[i]));
  InfTrainer *t = new_trainer(f);
  g_assert_true(inf_trainer_run(t, NULL));
  InfTrainerStatus st;
  inf_trainer_get_status(t, &st);
  g_assert_cmpuint(st.accepted, ==, 4);
  g_assert_cmpfloat(st.best_val, ==, 0.5);
  g_assert_cmpfloat(st.last_val, ==, 0.2);
  g_assert_cmpuint(st.best_step, ==, 1);
  g_assert_cmpstr(best_value(t), ==, "0.5");
  /* the module is left with the best */
  g_assert_cmpstr(module_value(f), ==, "0.5");
  inf_trainer_free(t);
}

static void
test_save_restore(Fixture *f, gconstpointer data)
{
  (void)data;
  /* one epoch (2 steps), saved, then continued for 2 more epochs by a new
   * trainer: the same steps as test_gate */
  script_push("0.5", "0.4", "0.9", NULL);
  InfTrainer *t = new_trainer(f);
  f->config->epochs = 1;
  g_assert_true(inf_trainer_run(t, NULL));
  json_object *state = inf_trainer_save_state(t);
  inf_trainer_free(t);
  /* back to the initial value, as in a new process */
  inf_parameter_apply_update(inf_module_get_parameter(inf_module_get_child(f->top, "s"), "p"),
                             "0.2");
  f->config->epochs = 3;
  t = new_trainer(f);
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_trainer_restore_state(t, state, &error));
  g_assert_no_error(error);
  json_object_put(state);
  g_assert_true(inf_trainer_run(t, &error));
  assert_gate_outcome(t);
  /* the third step (the first of the second trainer) is the same step 3 */
  inf_test_assert_contains_all(g_ptr_array_index(f->lines, 3), "\"step\":3",
                               "\"action\":\"accepted\"");
  inf_trainer_free(t);
}

static void
test_dataset_messages(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *path =
      inf_test_write(f->dir, "bad.jsonl",
                     "{\"id\": 7, \"input\": {\"x\": \"ok\"}, \"target\": \"t\"}\n"
                     "   \n"
                     "{\"input\": {\"x\": \"no target\"}}\n"
                     "{\"input\": {\"y\": 1}, \"target\": \"t\"}\n"
                     "{\"input\": {\"x\": \"z\"}, \"target\": 3}\n"
                     "[1, 2]\n"
                     "{\"input\": 5, \"target\": \"t\"}\n"
                     "{\"input\": \"x\", \"target\": \"t\"} trailing\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) examples = inf_dataset_load(path, f->graph, f->config->loss, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(examples->len, ==, 7);
  g_assert_cmpuint(inf_dataset_count_errors(examples), ==, 6);
  InfExample *ok = g_ptr_array_index(examples, 0);
  g_assert_null(ok->error);
  g_assert_cmpint(json_object_get_int(ok->id), ==, 7);
  g_assert_cmpstr(inf_value_get_text(ok->inputs[0]), ==, "ok");
  const char *expected[] = {
    "bad.jsonl:3: target: missing",
    "bad.jsonl:4: input.x: missing",
    "bad.jsonl:5: target: expected a string",
    "bad.jsonl:6: expected a JSON object, got a list",
    "bad.jsonl:7: input: expected an object keyed by main's inputs (or a string)",
    "bad.jsonl:8: invalid JSON: unexpected text after the value",
  };
  for (guint i = 1; i < examples->len; i++) {
    InfExample *e = g_ptr_array_index(examples, i);
    g_assert_cmpuint(e->index, ==, i);
    g_assert_nonnull(e->error);
    g_assert_null(e->inputs);
    g_test_message("%s", e->error);
    inf_test_assert_contains(e->error, expected[i - 1]);
  }
}

/* A pipe (a streamed input, read on the main loop) gives the same examples
 * and messages as a file of the same bytes: a NUL byte after a value, a
 * blank line, a line in invalid UTF-8 and a last line without a newline. */
static void
test_dataset_pipe_as_file(Fixture *f, gconstpointer data)
{
  (void)data;
  static const char bytes[] = "{\"input\": {\"x\": \"a\"}, \"target\": \"t\"}\n"
                              "{\"input\": {\"x\": \"b\"}, \"target\": \"t\"}\0 lost\n"
                              "\n"
                              "{\"input\": {\"x\": \"\xff\"}, \"target\": \"t\"}\n"
                              "{\"input\": {\"x\": \"last\"}, \"target\": \"t\"}";
  const gsize n = sizeof bytes - 1;
  g_autofree char *path = g_build_filename(f->dir, "bytes.jsonl", NULL);
  g_assert_true(g_file_set_contents(path, bytes, (gssize)n, NULL));
  int fds[2];
  g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
  g_assert_cmpint(write(fds[1], bytes, n), ==, (gssize)n); /* less than a pipe holds */
  close(fds[1]);
  g_autofree char *pipe_path = g_strdup_printf("/dev/fd/%d", fds[0]);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) from_file = inf_dataset_load(path, f->graph, f->config->loss, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) from_pipe = inf_dataset_load(pipe_path, f->graph, f->config->loss, &error);
  g_assert_no_error(error);
  close(fds[0]);
  g_assert_cmpuint(from_file->len, ==, 4);
  g_assert_cmpuint(from_pipe->len, ==, from_file->len);
  for (guint i = 0; i < from_file->len; i++) {
    InfExample *a = g_ptr_array_index(from_file, i), *b = g_ptr_array_index(from_pipe, i);
    g_assert_cmpuint(a->line, ==, b->line);
    g_assert_cmpint(a->error == NULL, ==, b->error == NULL);
  }
  InfExample *nul = g_ptr_array_index(from_pipe, 1);
  g_assert_nonnull(nul->error);
  inf_test_assert_contains(nul->error, ":2: invalid JSON: unexpected text after the value");
  InfExample *last = g_ptr_array_index(from_pipe, 3);
  g_assert_cmpuint(last->line, ==, 5);
  g_assert_null(last->error);
  g_assert_cmpstr(inf_value_get_text(last->inputs[0]), ==, "last");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/optim/trainer/gate", Fixture, NULL, fixture_setup, test_gate, fixture_teardown);
  g_test_add("/optim/trainer/best-kept", Fixture, NULL, fixture_setup, test_best_kept,
             fixture_teardown);
  g_test_add("/optim/trainer/save-restore", Fixture, NULL, fixture_setup, test_save_restore,
             fixture_teardown);
  g_test_add("/optim/trainer/dataset-pipe-as-file", Fixture, NULL, fixture_setup,
             test_dataset_pipe_as_file, fixture_teardown);
  g_test_add("/optim/trainer/dataset-messages", Fixture, NULL, fixture_setup, test_dataset_messages,
             fixture_teardown);
  return g_test_run();
}
