/* Unit tests of the training SDK (ABI 1.1): InfFeedback, losses (options,
 * nesting, asynchronous evaluation, alias calls), optimizer steps and the
 * backward context. */
#include <inf/inf.h>
#include <math.h>
#include <string.h>

#include "optim/backward-context.h"
#include "optim/loss.h"
#include "optim/optimizer.h"
#include "resources/endpoint.h"
#include "inf-test-plugins.h"
#include "resources/manager.h"

/* --- an in-process client: replies "re: <last user message>" --- */

static guint echo_calls;

static gboolean
echo_finish(gpointer data)
{
  InfLlmCall *call = data;
  const InfLlmRequest *req = inf_llm_call_get_request(call);
  guint n = inf_llm_request_get_n_messages(req);
  InfLlmResponse *response = inf_llm_response_new();
  g_autofree char *text =
      g_strdup_printf("re: %s", n ? inf_llm_request_get_content(req, n - 1) : "");
  inf_llm_response_set_content(response, text);
  inf_llm_response_set_usage(response, 2, 1);
  inf_llm_call_return(call, response);
  return G_SOURCE_REMOVE;
}

static void
echo_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  echo_calls++;
  g_idle_add(echo_finish, call);
}

static const InfClientClass echo_client = {
  .struct_size = sizeof(InfClientClass),
  .name = "echo",
  .call = echo_call,
};

/* --- losses --- */

/* "exact": score 1 when the output text equals the target string. */
static const InfOptionSpec exact_options[] = {
  { .name = "ignore_case", .type = INF_OPTION_BOOL, .default_json = "false" },
  { NULL },
};

static void
exact_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
               InfLossTask *task)
{
  (void)example;
  gboolean fold = inf_options_get_bool(inf_loss_get_options(self), "ignore_case");
  const char *got = inf_value_get_text(output);
  const char *want = json_object_get_string(target);
  gboolean ok = fold ? g_ascii_strcasecmp(got, want) == 0 : strcmp(got, want) == 0;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  inf_feedback_set_score(fb, ok ? 1.0 : 0.0);
  if (!ok)
    inf_feedback_add_itemf(fb, "expected '%s', got '%s'", want, got);
  inf_loss_task_return(task, fb);
}

static gboolean
exact_check_target(InfLoss *self, json_object *target, GError **error)
{
  (void)self;
  if (json_object_is_type(target, json_type_string))
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_INPUT, "expected a string target");
  return FALSE;
}

static const InfLossClass exact_loss = {
  .struct_size = sizeof(InfLossClass),
  .name = "exact",
  .options = exact_options,
  .evaluate = exact_evaluate,
  .check_target = exact_check_target,
};

/* "judge": asks an alias, items = the reply, no score. */
static const InfOptionSpec judge_options[] = {
  { .name = "alias", .type = INF_OPTION_ALIAS, .required = TRUE },
  { NULL },
};

static void
judge_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  InfLossTask *task = data;
  if (error) {
    inf_loss_task_return_error(task, g_error_copy(error));
    return;
  }
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_LLM);
  inf_feedback_add_item(fb, inf_llm_response_get_content(response));
  inf_loss_task_return(task, fb);
}

static void
judge_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
               InfLossTask *task)
{
  (void)target;
  (void)example;
  InfLlmRequest *req = inf_llm_request_new();
  inf_llm_request_add_message(req, "user", inf_value_get_text(output));
  inf_loss_task_call_alias(task, inf_options_get_string(inf_loss_get_options(self), "alias"), req,
                           judge_reply, task);
}

static const InfLossClass judge_loss = {
  .struct_size = sizeof(InfLossClass),
  .name = "judge",
  .options = judge_options,
  .evaluate = judge_evaluate,
};

/* "sum": a composite over "losses": [spec...], merging the children. */
typedef struct {
  GPtrArray *children;
} SumPrivate;

static const InfOptionSpec sum_options[] = {
  { .name = "losses", .type = INF_OPTION_JSON, .required = TRUE },
  { NULL },
};

static void
sum_finalize(gpointer data)
{
  SumPrivate *p = data;
  g_ptr_array_unref(p->children);
  g_free(p);
}

static gboolean
sum_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  json_object *list = inf_options_get_json(options, "losses");
  SumPrivate *p = g_new0(SumPrivate, 1);
  p->children = g_ptr_array_new_with_free_func((GDestroyNotify)inf_loss_unref);
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    g_autofree char *suffix = g_strdup_printf("losses[%zu]", i);
    InfLoss *child = inf_loss_new_child(self, json_object_array_get_idx(list, i), suffix, error);
    if (!child) {
      sum_finalize(p); /* a failed init cleans up itself */
      return FALSE;
    }
    g_ptr_array_add(p->children, child);
  }
  *out_private = p;
  return TRUE;
}

typedef struct {
  InfLossTask *task;
  InfFeedback *sum;
  guint left;
} SumRun;

static void
sum_child_done(InfFeedback *feedback, const GError *error, gpointer data)
{
  SumRun *run = data;
  if (feedback)
    inf_feedback_merge(run->sum, feedback);
  else
    inf_feedback_add_itemf(run->sum, "failed: %s", error->message);
  if (--run->left == 0) {
    inf_loss_task_return(run->task, run->sum);
    g_free(run);
  }
}

static void
sum_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
             InfLossTask *task)
{
  (void)output;
  (void)target;
  (void)example;
  SumPrivate *p = inf_loss_get_private(self);
  SumRun *run = g_new0(SumRun, 1);
  run->task = task;
  run->sum = inf_feedback_new(INF_FEEDBACK_COMPOSITE);
  run->left = p->children->len;
  for (guint i = 0; i < p->children->len; i++)
    inf_loss_task_evaluate_child(task, g_ptr_array_index(p->children, i), sum_child_done, run);
}

static const InfLossClass sum_loss = {
  .struct_size = sizeof(InfLossClass),
  .name = "sum",
  .options = sum_options,
  .init = sum_init,
  .finalize = sum_finalize,
  .evaluate = sum_evaluate,
};

/* An ABI 1.0 loss: no evaluate. */
static const InfLossClass old_loss = {
  .struct_size = G_STRUCT_OFFSET(InfLossClass, evaluate),
  .name = "old",
};

/* --- fixtures --- */

typedef InfTestResourcesFixture Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  inf_test_resources_fixture_set_up(f, data);
  g_assert_true(inf_registry_add_client_class(f->registry, &echo_client, NULL));
  g_assert_true(inf_registry_add_loss_class(f->registry, &exact_loss, NULL));
  g_assert_true(inf_registry_add_loss_class(f->registry, &judge_loss, NULL));
  g_assert_true(inf_registry_add_loss_class(f->registry, &sum_loss, NULL));
  g_assert_true(inf_registry_add_loss_class(f->registry, &old_loss, NULL));
  inf_test_resources_fixture_set(
      f, "{\"endpoints\": {\"judge\": {\"provider\": \"echo\", \"max_concurrent\": 1}}}");
  echo_calls = 0;
}

static void
wait_for(gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration(NULL, TRUE);
}

static InfLoss *
loss_from(Fixture *f, const char *json_text, GError **error)
{
  json_object *spec = json_tokener_parse(json_text);
  g_assert_nonnull(spec);
  InfOptionsResolver resolver = { 0 };
  InfLoss *loss =
      inf_loss_new_full(f->registry, spec, "cfg.json", "training.loss", &resolver, error);
  json_object_put(spec);
  return loss;
}

/* --- tests --- */

static void
test_feedback(void)
{
  g_autoptr(InfFeedback) fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  g_assert_false(inf_feedback_has_score(fb));
  g_assert_true(isnan(inf_feedback_get_score(fb)));
  inf_feedback_set_score(fb, 1.7);
  g_assert_cmpfloat(inf_feedback_get_score(fb), ==, 1.0);
  inf_feedback_set_score(fb, -2);
  g_assert_cmpfloat(inf_feedback_get_score(fb), ==, 0.0);
  inf_feedback_set_score(fb, NAN);
  g_assert_false(inf_feedback_has_score(fb));
  inf_feedback_set_score(fb, 0.5);
  inf_feedback_add_item(fb, "one");
  inf_feedback_add_item(fb, "");
  inf_feedback_add_item(fb, NULL);
  inf_feedback_add_itemf(fb, "two %d", 2);
  g_assert_cmpuint(inf_feedback_get_n_items(fb), ==, 2);
  g_assert_cmpstr(inf_feedback_get_item(fb, 1), ==, "two 2");
  g_assert_null(inf_feedback_get_item(fb, 2));
  json_object_object_add(inf_feedback_get_meta(fb), "raw", json_object_new_int(3));

  g_autoptr(InfFeedback) copy = inf_feedback_copy(fb);
  inf_feedback_add_item(fb, "three");
  g_assert_cmpuint(inf_feedback_get_n_items(copy), ==, 2);

  /* Merging: items appended, scores averaged over those present. */
  g_autoptr(InfFeedback) other = inf_feedback_new(INF_FEEDBACK_LLM);
  inf_feedback_set_score(other, 1.0);
  inf_feedback_add_item(other, "x");
  inf_feedback_merge(copy, other);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(copy), 0.75, 1e-9);
  g_assert_cmpint(inf_feedback_get_kind(copy), ==, INF_FEEDBACK_COMPOSITE);
  g_autoptr(InfFeedback) third = inf_feedback_new(INF_FEEDBACK_LLM);
  inf_feedback_set_score(third, 0.0);
  inf_feedback_merge(copy, third);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(copy), 0.5, 1e-9);
  g_autoptr(InfFeedback) unscored = inf_feedback_new(INF_FEEDBACK_LLM);
  inf_feedback_merge(copy, unscored);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(copy), 0.5, 1e-9);
  g_assert_cmpuint(inf_feedback_get_n_items(copy), ==, 3);

  json_object *j = inf_feedback_to_json(fb);
  g_assert_cmpstr(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), ==,
                  "{\"kind\":\"verifier\",\"score\":0.5,\"items\":[\"one\",\"two 2\",\"three\"],"
                  "\"meta\":{\"raw\":3}}");
  json_object_put(j);
  g_autoptr(InfFeedback) none = inf_feedback_new(INF_FEEDBACK_HUMAN);
  j = inf_feedback_to_json(none);
  g_assert_cmpstr(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), ==,
                  "{\"kind\":\"human\",\"score\":null,\"items\":[],\"meta\":{}}");
  json_object_put(j);
}

static void
test_loss_options(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  g_assert_null(loss_from(f, "{\"type\": \"nope\"}", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains(error->message,
                           "cfg.json: training.loss.type: unknown loss type 'nope'");
  inf_test_assert_contains(error->message, "exact, judge, old, sum");
  g_clear_error(&error);
  g_assert_null(loss_from(f, "{\"type\": \"exact\", \"ignore_cas\": true}", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains(error->message, "ignore_cas");
  g_clear_error(&error);
  g_assert_null(loss_from(f, "{\"type\": \"old\"}", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  g_clear_error(&error);
  g_assert_null(loss_from(f, "[1]", &error));
  inf_test_assert_contains(error->message, "training.loss: expected an object");
  g_clear_error(&error);
  /* A nested child's error names its path under the parent. */
  g_assert_null(loss_from(f,
                          "{\"type\": \"sum\", \"losses\": [{\"type\": \"exact\"}, "
                          "{\"type\": \"exact\", \"bad\": 1}]}",
                          &error));
  inf_test_assert_contains(error->message, "training.loss.losses[1]");
  g_clear_error(&error);

  InfLoss *loss = loss_from(f, "{\"type\": \"exact\", \"ignore_case\": true}", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_loss_get_type_name(loss), ==, "exact");
  g_assert_true(inf_loss_get_class(loss) == &exact_loss);
  json_object *t = json_object_new_int(3);
  g_assert_false(inf_loss_check_target(loss, t, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_INPUT);
  g_clear_error(&error);
  json_object_put(t);
  inf_loss_unref(loss);
}

static void
test_loss_evaluate(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  InfLoss *loss = loss_from(f, "{\"type\": \"exact\", \"ignore_case\": true}", &error);
  g_assert_no_error(error);
  InfValue *out = inf_value_new_text("Yes");
  json_object *target = json_object_new_string("yes");
  InfTestLossResult r;
  inf_test_loss_evaluate(loss, out, target, NULL, 0, f->rm, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  inf_feedback_free(r.feedback);
  json_object_put(target);
  inf_loss_unref(loss);

  /* A composite of a verifier and a judge calling its alias. */
  loss = loss_from(f,
                   "{\"type\": \"sum\", \"losses\": [{\"type\": \"exact\"}, "
                   "{\"type\": \"judge\", \"alias\": \"judge\"}]}",
                   &error);
  g_assert_no_error(error);
  target = json_object_new_string("no");
  memset(&r, 0, sizeof r);
  inf_loss_evaluate(loss, out, target, NULL, 4, f->rm, inf_test_loss_done, &r);
  g_assert_false(r.done); /* children run from the main loop */
  wait_for(&r.done);
  g_assert_no_error(r.error);
  g_assert_cmpuint(echo_calls, ==, 1);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.0); /* the judge has no score */
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 2);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==, "expected 'no', got 'Yes'");
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 1), ==, "re: Yes");
  InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_lookup(f->rm, "judge"));
  g_assert_cmpuint(m->requests, ==, 1);
  inf_feedback_free(r.feedback);
  inf_loss_unref(loss);

  /* An alias that is not configured reaches the loss as an error. */
  loss = loss_from(f, "{\"type\": \"judge\", \"alias\": \"critic\"}", &error);
  g_assert_no_error(error); /* no alias check without a resolver's check_alias */
  memset(&r, 0, sizeof r);
  inf_loss_evaluate(loss, out, target, NULL, 0, f->rm, inf_test_loss_done, &r);
  g_assert_false(r.done);
  wait_for(&r.done);
  g_assert_null(r.feedback);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_nonnull(
      strstr(r.error->message, "alias 'critic' is not configured; known aliases: judge"));
  g_clear_error(&r.error);
  inf_loss_unref(loss);
  json_object_put(target);
  inf_value_unref(out);
}

/* --- optimizer --- */

static void
append_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  InfOptimizerStep *step = data;
  g_assert_no_error(error);
  /* candidate for parameter 0: the reply; parameter 1 sees it as upstream. */
  inf_optimizer_step_set_candidate(step, 0, inf_llm_response_get_content(response));
  g_autofree char *down = g_strdup_printf("after %s", inf_optimizer_step_get_candidate(step, 0));
  g_assert_true(inf_optimizer_step_is_upstream(step, 0, 1));
  g_assert_false(inf_optimizer_step_is_upstream(step, 1, 0));
  inf_optimizer_step_set_candidate(step, 1, down);
  inf_optimizer_step_report_error(step, 2, g_error_new(INF_ERROR, INF_ERROR_BAD_RESPONSE, "empty"));
  inf_optimizer_step_return(step);
}

static void
append_step(InfOptimizer *self, InfOptimizerStep *step)
{
  (void)self;
  g_assert_cmpuint(inf_optimizer_step_get_n_parameters(step), ==, 3);
  InfParameter *p = inf_optimizer_step_get_parameter(step, 0);
  g_assert_cmpstr(inf_optimizer_step_get_parameter_name(step, 0), ==, "a.prompt");
  const char *const *rejected = inf_optimizer_step_get_rejected(step, 0);
  g_assert_cmpstr(rejected[0], ==, "tried");
  g_assert_null(rejected[1]);
  g_assert_null(inf_optimizer_step_get_rejected(step, 1)[0]);
  InfLlmRequest *req = inf_llm_request_new();
  inf_llm_request_add_message(req, "user", inf_parameter_get_feedback(p, 0));
  inf_optimizer_step_call_alias(step, "judge", req, append_reply, step);
}

static const InfOptimizerClass append_optimizer = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "append",
  .step = append_step,
};

typedef struct {
  gboolean done;
  gboolean failed;
} StepResult;

static void
step_done(InfOptimizerStep *step, const GError *error, gpointer data)
{
  (void)step;
  StepResult *r = data;
  r->done = TRUE;
  r->failed = error != NULL;
}

static void
test_optimizer_step(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_registry_add_optimizer_class(f->registry, &append_optimizer, NULL));
  json_object *spec = json_tokener_parse("{\"type\": \"append\"}");
  InfOptimizer *opt =
      inf_optimizer_new_full(f->registry, spec, "cfg.json", "training.optimizer", NULL, &error);
  g_assert_no_error(error);
  json_object_put(spec);
  g_assert_cmpstr(inf_optimizer_get_type_name(opt), ==, "append");

  InfParameter *a = inf_parameter_new("A", "first", TRUE, NULL);
  InfParameter *b = inf_parameter_new("B", "second", TRUE, NULL);
  InfParameter *c = inf_parameter_new("C", "third", TRUE, NULL);
  inf_parameter_accumulate_feedback(a, "be shorter");
  InfOptimizerStep *step = inf_optimizer_step_new(1, f->rm);
  inf_optimizer_step_add_parameter(step, "a.prompt", a, (const char *const[]){ "tried", NULL });
  inf_optimizer_step_add_parameter(step, "b.prompt", b, NULL);
  inf_optimizer_step_add_parameter(step, "c.prompt", c, NULL);
  inf_optimizer_step_set_upstream(step, 0, 1);
  StepResult r = { 0 };
  inf_optimizer_run_step(opt, step, step_done, &r);
  wait_for(&r.done);
  g_assert_false(r.failed);
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 0), ==, "re: be shorter");
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 1), ==, "after re: be shorter");
  g_assert_null(inf_optimizer_step_get_candidate(step, 2));
  g_assert_error(inf_optimizer_step_get_error(step, 2), INF_ERROR, INF_ERROR_BAD_RESPONSE);
  /* The step only proposes: the values are unchanged. */
  g_assert_cmpstr(inf_parameter_get_value(a), ==, "A");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(a);
  inf_parameter_unref(b);
  inf_parameter_unref(c);
  inf_optimizer_free(opt);
}

/* --- backward context --- */

static void
noting_backward(InfModule *self, InfBackward *ctx)
{
  InfParameter *p = inf_module_get_parameter(self, "prompt");
  g_autofree char *note = g_strdup_printf(
      "input %s, output %s, %u items, passing %d", inf_value_get_text(inf_backward_get_arg(ctx, 0)),
      inf_value_get_text(inf_backward_get_output(ctx)),
      inf_feedback_get_n_items(inf_backward_get_feedback(ctx)), inf_backward_is_passing(ctx));
  inf_backward_add_parameter_feedback(ctx, p, note);
  if (g_strcmp0(inf_value_get_text(inf_backward_get_arg(ctx, 0)), "fail") == 0) {
    inf_backward_return_error(ctx, g_error_new(INF_ERROR, INF_ERROR_FAILED, "no"));
    return;
  }
  InfFeedback *up = inf_feedback_new(INF_FEEDBACK_LLM);
  inf_feedback_add_item(up, "upstream");
  inf_backward_set_arg_feedback(ctx, 0, up);
  inf_backward_return(ctx);
}

static gboolean
noting_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  (void)out_private;
  g_autoptr(InfParameter) p = inf_parameter_new("P", "the prompt", TRUE, error);
  return inf_module_add_parameter(self, "prompt", p, error);
}

static void
noting_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, inf_value_new_null());
}

static const InfModuleClass noting_module = {
  .struct_size = sizeof(InfModuleClass),
  .name = "noting",
  .init = noting_init,
  .execute = noting_execute,
  .backward = noting_backward,
};

static const InfModuleClass plain_module = {
  .struct_size = sizeof(InfModuleClass),
  .name = "plain",
  .execute = noting_execute,
};

typedef struct {
  gboolean done;
  gboolean failed;
} BwResult;

static void
bw_done(InfBackward *ctx, const GError *error, gpointer data)
{
  (void)ctx;
  BwResult *r = data;
  r->done = TRUE;
  r->failed = error != NULL;
}

static void
test_backward_context(void)
{
  g_autoptr(GError) error = NULL;
  InfRegistry *registry = inf_registry_new();
  g_assert_true(inf_registry_add_module_class(registry, &noting_module, NULL));
  g_assert_true(inf_registry_add_module_class(registry, &plain_module, NULL));
  InfModule *noting = inf_module_new(registry, "noting", "n", NULL, &error);
  g_assert_no_error(error);
  InfModule *plain = inf_module_new(registry, "plain", "p", NULL, &error);
  g_assert_no_error(error);
  InfParameter *p = inf_module_get_parameter(noting, "prompt");

  g_autoptr(InfFeedback) fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  inf_feedback_set_score(fb, 0.0);
  inf_feedback_add_item(fb, "wrong");
  InfValue *args[2] = { inf_value_new_text("in"), inf_value_new_text("other") };
  InfValue *out = inf_value_new_text("out");
  InfBackwardOptions opts = { .pass_score = 1.0 };

  /* The default: every argument gets a copy of the feedback. */
  InfBackward *ctx = inf_backward_new(plain, "p", 0, 2, args, NULL, out, fb, 0.0, &opts);
  BwResult r = { 0 };
  inf_backward_run(ctx, bw_done, &r);
  g_assert_true(r.done);
  g_assert_false(r.failed);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr(inf_feedback_get_item(inf_backward_get_arg_feedback(ctx, i), 0), ==, "wrong");
  inf_backward_free(ctx);

  /* A class's backward: parameter feedback written when it succeeds. */
  ctx = inf_backward_new(noting, "n", 3, 1, args, NULL, out, fb, 0.0, &opts);
  memset(&r, 0, sizeof r);
  inf_backward_run(ctx, bw_done, &r);
  g_assert_true(r.done && !r.failed);
  g_assert_cmpstr(inf_feedback_get_item(inf_backward_get_arg_feedback(ctx, 0), 0), ==, "upstream");
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 1);
  g_assert_cmpstr(inf_parameter_get_feedback(p, 0), ==, "input in, output out, 1 items, passing 0");
  inf_backward_free(ctx);

  /* Passing is the example's score against the pass score. */
  ctx = inf_backward_new(noting, "n", 3, 1, args, NULL, out, fb, 1.0, &opts);
  memset(&r, 0, sizeof r);
  inf_backward_run(ctx, bw_done, &r);
  g_assert_cmpstr(inf_parameter_get_feedback(p, 1), ==, "input in, output out, 1 items, passing 1");
  inf_backward_free(ctx);

  /* A failed backward writes nothing. */
  InfValue *fail = inf_value_new_text("fail");
  ctx = inf_backward_new(noting, "n", 3, 1, &fail, NULL, out, fb, 0.0, &opts);
  memset(&r, 0, sizeof r);
  inf_backward_run(ctx, bw_done, &r);
  g_assert_true(r.done && r.failed);
  g_assert_null(inf_backward_get_arg_feedback(ctx, 0));
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 2);
  inf_backward_free(ctx);

  inf_value_unref(fail);
  inf_value_unref(args[0]);
  inf_value_unref(args[1]);
  inf_value_unref(out);
  inf_module_unref(noting);
  inf_module_unref(plain);
  inf_registry_free(registry);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/optim/feedback", test_feedback);
  g_test_add("/optim/loss/options", Fixture, NULL, fixture_setup, test_loss_options,
             inf_test_resources_fixture_tear_down);
  g_test_add("/optim/loss/evaluate", Fixture, NULL, fixture_setup, test_loss_evaluate,
             inf_test_resources_fixture_tear_down);
  g_test_add("/optim/optimizer/step", Fixture, NULL, fixture_setup, test_optimizer_step,
             inf_test_resources_fixture_tear_down);
  g_test_add_func("/optim/backward/context", test_backward_context);
  return g_test_run();
}
