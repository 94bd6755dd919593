/* The training block (core/optim/training-config.c): the defaults of every
 * field, accepted values, and errors for wrong types and bounds naming the
 * file and the JSON path. */
#include <inf/inf.h>

#include "optim/loss.h"
#include "optim/training-config.h"
#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

/* --- "zero": a loss that scores every output 0 (never run here) --- */

static void
zero_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
              InfLossTask *task)
{
  (void)self;
  (void)output;
  (void)target;
  (void)example;
  InfFeedback *fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  inf_feedback_set_score(fb, 0);
  inf_loss_task_return(task, fb);
}

static const InfLossClass zero_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "zero",
  .evaluate = zero_evaluate,
};

static InfRegistry *registry; /* with "zero" */

static InfTrainingConfig *
parse(const char *text, GError **error)
{
  g_autoptr(json_object) json = json_tokener_parse(text);
  g_assert_nonnull(json);
  /* No "output" in these blocks: the graph is not needed. */
  return inf_training_config_parse(json, "t.json", NULL, registry, NULL, FALSE, error);
}

static void
test_defaults(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfTrainingConfig) config = parse("{\"loss\": {\"type\": \"zero\"}}", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(config->epochs, ==, 1);
  g_assert_cmpuint(config->batch_size, ==, 8);
  g_assert_cmpuint(config->seed, ==, 0);
  g_assert_true(config->shuffle);
  g_assert_false(config->keep_passing);
  g_assert_cmpfloat(config->pass_score, ==, 1.0);
  g_assert_cmpint(config->rule, ==, INF_ACCEPT_IMPROVE);
  g_assert_cmpfloat(config->min_delta, ==, 0.0);
  g_assert_null(config->output);
  g_assert_null(config->optimizer);
}

static void
test_values(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfTrainingConfig) config =
      parse("{\"loss\": {\"type\": \"zero\"}, \"epochs\": 100000, \"batch_size\": 2.0, "
            "\"seed\": 1e3, \"shuffle\": false, \"keep_passing\": true, \"pass_score\": 0, "
            "\"accept\": {\"rule\": \"not_worse\", \"min_delta\": 0.25}}",
            &error);
  g_assert_no_error(error);
  g_assert_cmpuint(config->epochs, ==, 100000);
  g_assert_cmpuint(config->batch_size, ==, 2);
  g_assert_cmpuint(config->seed, ==, 1000);
  g_assert_false(config->shuffle);
  g_assert_true(config->keep_passing);
  g_assert_cmpfloat(config->pass_score, ==, 0.0);
  g_assert_cmpint(config->rule, ==, INF_ACCEPT_NOT_WORSE);
  g_assert_cmpfloat(config->min_delta, ==, 0.25);
  /* accept's defaults when the block is there but empty */
  g_autoptr(InfTrainingConfig) empty =
      parse("{\"loss\": {\"type\": \"zero\"}, \"accept\": {}}", &error);
  g_assert_no_error(error);
  g_assert_cmpint(empty->rule, ==, INF_ACCEPT_IMPROVE);
  g_assert_cmpfloat(empty->min_delta, ==, 0.0);
}

static void
test_errors(void)
{
#define LOSS "\"loss\": {\"type\": \"zero\"}, "
  const char *const cases[][2] = {
    { "[]", "t.json: training: expected an object, got " },
    { "{" LOSS "\"epochs\": \"3\"}",
      "t.json: training.epochs: expected an integer, got string \"3\"" },
    { "{" LOSS "\"epochs\": 0}",
      "t.json: training.epochs: 0 is out of range: expected a value from 1 to 100000" },
    { "{" LOSS "\"batch_size\": 100001}",
      "t.json: training.batch_size: 100001 is out of range: expected a value from 1 to 100000" },
    { "{" LOSS "\"batch_size\": 2.5}",
      "t.json: training.batch_size: expected an integer, got number 2.5" },
    { "{" LOSS "\"seed\": -1}", "t.json: training.seed: expected an integer >= 0, got -1" },
    { "{" LOSS "\"shuffle\": \"yes\"}",
      "t.json: training.shuffle: expected a boolean (true or false), got string \"yes\"" },
    { "{" LOSS "\"keep_passing\": 1}",
      "t.json: training.keep_passing: expected a boolean (true or false), got integer 1" },
    { "{" LOSS "\"pass_score\": 1.5}",
      "t.json: training.pass_score: 1.5 is out of range: expected a value from 0 to 1" },
    { "{" LOSS "\"pass_score\": \"high\"}",
      "t.json: training.pass_score: expected a number, got string \"high\"" },
    { "{" LOSS "\"accept\": 1}", "t.json: training.accept: expected an object {\"rule\": " },
    { "{" LOSS "\"accept\": {\"rule\": \"better\"}}",
      "t.json: training.accept.rule: expected one of: improve, not_worse; got string \"better\"" },
    { "{" LOSS "\"accept\": {\"min_delta\": -0.1}}",
      "t.json: training.accept.min_delta: -0.1 is out of range: expected a value from 0 to 1" },
    { "{" LOSS "\"accept\": {\"rul\": \"improve\"}}",
      "t.json: training.accept.rul: unknown option; valid options: min_delta, rule" },
    { "{" LOSS "\"epoch\": 2}",
      "t.json: training.epoch: unknown option; valid options: accept, batch_size, epochs, "
      "keep_passing, loss, optimizer, output, pass_score, seed, shuffle" },
    { "{\"epochs\": 2}", "t.json: training.loss: missing; name the loss" },
  };
#undef LOSS
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(InfTrainingConfig) config = parse(cases[i][0], &error);
    g_assert_null(config);
    inf_test_assert_error_prefix(error, INF_ERROR, INF_ERROR_CONFIG, i, cases[i][1]);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  registry = inf_registry_new();
  g_assert_true(inf_registry_add_loss_class(registry, &zero_class, NULL));
  g_test_add_func("/training-config/defaults", test_defaults);
  g_test_add_func("/training-config/values", test_values);
  g_test_add_func("/training-config/errors", test_errors);
  int status = g_test_run();
  inf_registry_free(registry);
  return status;
}
