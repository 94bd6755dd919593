/* Unit tests of the loss classes of the `losses` plugin (loaded from the
 * in-tree losses.so on INF_PLUGIN_PATH), evaluated through the SDK's loss
 * tasks: verifier and composite (scores, items, option errors with JSON
 * paths, targets of the wrong type) and llm-judge against the loopback fake
 * server (scripted replies, calls counted, malformed replies retried). */
#include <math.h>
#include <string.h>

#include <inf/inf.h>

#include "fake-llm.h"
#include "optim/loss.h"
#include "inf-test-plugins.h"
#include "plugin/loader.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

typedef InfTestResourcesFixture Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  inf_test_resources_fixture_set_up_plugins(f, data);
  g_assert_nonnull(inf_registry_lookup_loss_class(f->registry, "verifier"));
}

/* LLM losses: the loopback fake and the alias "judge" on it. */
static void
llm_fixture_setup(Fixture *f, gconstpointer data)
{
  fixture_setup(f, data);
  f->fake = inf_test_fake_start();
  inf_test_resources_fixture_set_printf(
      f,
      "{\"endpoints\": {\"judge\": {\"provider\": \"openai\", \"model\": \"m\", "
      "\"base_url\": \"%s/v1\"}}}",
      inf_fake_llm_get_base_url(f->fake));
}

static InfLoss *
loss_from(Fixture *f, const char *json_text, GError **error)
{
  g_autoptr(json_object) spec = json_tokener_parse(json_text);
  g_assert_nonnull(spec);
  return inf_loss_new_full(f->registry, spec, "cfg.json", "training.loss", NULL, error);
}

/* The loss of @json_text, which must be valid. */
static InfLoss *
new_loss(Fixture *f, const char *json_text)
{
  g_autoptr(GError) error = NULL;
  InfLoss *loss = loss_from(f, json_text, &error);
  g_assert_no_error(error);
  return loss;
}

static void
expect_config_error(Fixture *f, const char *json_text, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_assert_null(loss_from(f, json_text, &error));
  g_assert_nonnull(error);
  inf_test_assert_contains(error->message, expected);
}

/* The error message for @json_text starts with @prefix, and the config file
 * and the loss's JSON path appear once each. */
static void
expect_config_message(Fixture *f, const char *json_text, const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_assert_null(loss_from(f, json_text, &error));
  g_assert_nonnull(error);
  if (!g_str_has_prefix(error->message, prefix))
    g_error("expected a message starting with '%s', got '%s'", prefix, error->message);
  const char *second = strstr(strstr(error->message, "training.loss") + 1, "training.loss");
  g_assert_null(second);
  g_assert_null(strstr(error->message + 1, "cfg.json"));
}

typedef InfTestLossResult Result;

/* Evaluates @loss on @output (a text, or JSON when @output_is_json) against
 * the target @target_json; waits for the result. */
static void
evaluate_full(InfLoss *loss, const char *output, gboolean output_is_json, const char *target_json,
              InfResourceManager *rm, Result *r)
{
  g_autoptr(json_object) target = json_tokener_parse(target_json);
  g_autoptr(json_object) out_json = output_is_json ? json_tokener_parse(output) : NULL;
  g_autoptr(InfValue) value =
      output_is_json ? inf_value_from_json(out_json) : inf_value_new_text(output);
  g_autoptr(json_object) example = json_object_new_object();
  json_object_object_add(example, "target", json_object_get(target));
  json_object_object_add(example, "input",
                         json_tokener_parse("{\"text\": \"my card was charged twice\"}"));
  inf_test_loss_evaluate(loss, value, target, example, 0, rm, r);
}

static void
evaluate(InfLoss *loss, const char *output, gboolean output_is_json, const char *target_json,
         Result *r)
{
  evaluate_full(loss, output, output_is_json, target_json, NULL, r);
}

/* Evaluating @loss on the text @output against @target_json fails with an
 * error containing @expected. */
static void
expect_error(InfLoss *loss, const char *output, const char *target_json, const char *expected)
{
  Result r;
  evaluate(loss, output, FALSE, target_json, &r);
  g_assert_null(r.feedback);
  g_assert_nonnull(r.error);
  inf_test_assert_contains(r.error->message, expected);
  inf_test_loss_result_clear(&r);
}

/* inf_loss_check_target() refuses @target_json ("null": no target) with an
 * error containing @expected. */
static void
expect_target_refused(InfLoss *loss, const char *target_json, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(json_object) target = json_tokener_parse(target_json);
  g_assert_false(inf_loss_check_target(loss, target, &error));
  g_assert_nonnull(error);
  inf_test_assert_contains(error->message, expected);
}

/* The text of message @index of request @n at the fake (system first). */
static const char *
request_message(Fixture *f, guint n, guint index)
{
  json_object *body = inf_fake_llm_get_body(f->fake, n);
  json_object *messages = json_object_object_get(body, "messages");
  return json_object_get_string(
      json_object_object_get(json_object_array_get_idx(messages, index), "content"));
}

static void
test_judge(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) loss =
      new_loss(f, "{\"type\": \"llm-judge\", \"criteria\": \"the label only\"}");
  Result r;
  inf_fake_llm_push_reply_text(f->fake,
                               "{\"improvements\": [\"Answer with the label only\", \"  \"]}");
  evaluate_full(loss, "It is about billing, I think", FALSE, "\"billing\"", f->rm, &r);
  g_assert_no_error(r.error);
  g_assert_cmpint(inf_feedback_get_kind(r.feedback), ==, INF_FEEDBACK_LLM);
  g_assert_false(inf_feedback_has_score(r.feedback));
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 1);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==, "Answer with the label only");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 1);
  /* The judge sees the input, the output, the reference and the criteria. */
  const char *user = request_message(f, 0, 1);
  inf_test_assert_contains_all(user, "Input:\n{\"text\":\"my card was charged twice\"}",
                               "Output to review:\nIt is about billing, I think",
                               "Expected (reference):\nbilling", "Focus on: the label only");
  inf_test_assert_contains(request_message(f, 0, 0), "actionable improvements");

  /* Nothing to improve: no items. A fenced reply is accepted. */
  inf_fake_llm_push_reply_text(f->fake, "```json\n{\"improvements\": []}\n```");
  evaluate_full(loss, "billing", FALSE, "\"billing\"", f->rm, &r);
  g_assert_no_error(r.error);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 2);
}

static void
test_judge_score_and_retries(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autoptr(InfLoss) loss = new_loss(f, "{\"type\": \"llm-judge\", \"score\": true}");
  Result r;
  /* Not JSON, then a score out of range: with the default 2 attempts the
   * example fails after 2 calls, naming the problem and the last reply. */
  inf_fake_llm_push_reply_text(f->fake, "Looks fine to me!");
  inf_fake_llm_push_reply_text(f->fake, "{\"improvements\": [], \"score\": 7}");
  evaluate_full(loss, "x", FALSE, "\"y\"", f->rm, &r);
  g_assert_null(r.feedback);
  g_assert_nonnull(r.error);
  inf_test_assert_contains(r.error->message,
                           "llm-judge: no usable reply from alias 'judge' after 2 attempts: ");
  inf_test_assert_contains(r.error->message, "score");
  inf_test_assert_contains(r.error->message,
                           "(last reply: '{\"improvements\": [], \"score\": 7}')");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 2);
  /* The retry showed the judge its reply and what was wrong with it. */
  g_assert_cmpstr(request_message(f, 1, 2), ==, "Looks fine to me!");
  inf_test_assert_contains(request_message(f, 1, 3), "That reply could not be used: the reply "
                                                     "is not JSON");

  /* A malformed reply, then a good one: the score and items of the second. */
  inf_fake_llm_push_reply_text(f->fake, "{\"improvements\": \"be brief\", \"score\": 0.5}");
  inf_fake_llm_push_reply_text(f->fake, "{\"improvements\": [\"be brief\"], \"score\": 0.25}");
  evaluate_full(loss, "x", FALSE, "null", f->rm, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.25);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==, "be brief");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 4);
  /* No reference shown when the target is null. */
  g_assert_null(strstr(request_message(f, 2, 1), "Expected"));

  /* A failed call is not retried by the loss (the engine retries transport errors). */
  inf_fake_llm_push_script(f->fake, "400", &error);
  g_assert_no_error(error);
  evaluate_full(loss, "x", FALSE, "null", f->rm, &r);
  g_assert_nonnull(r.error);
  inf_test_assert_contains(r.error->message, "llm-judge: the call to alias 'judge' failed: ");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 5);

  /* An alias that is not configured: an error, no call. */
  g_autoptr(InfLoss) other = new_loss(f, "{\"type\": \"llm-judge\", \"alias\": \"critic\"}");
  evaluate_full(other, "x", FALSE, "null", f->rm, &r);
  g_assert_nonnull(r.error);
  inf_test_assert_contains(r.error->message, "critic");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 5);

  expect_config_error(f, "{\"type\": \"llm-judge\", \"attempts\": 0}",
                      "cfg.json: training.loss.attempts:");
  expect_config_error(f, "{\"type\": \"llm-judge\", \"score\": \"yes\"}",
                      "cfg.json: training.loss.score:");
}

/* A verifier spec run on one output and target: the score, and the single
 * item when @item is not NULL (no item when the check passes). */
typedef struct {
  const char *spec;
  const char *output;
  gboolean json; /* the output is JSON, not a text */
  const char *target;
  double score;
  const char *item;
} VerifierCase;

static void
check_verifier(Fixture *f, const VerifierCase *c)
{
  g_autoptr(InfLoss) loss = new_loss(f, c->spec);
  Result r;
  evaluate(loss, c->output, c->json, c->target, &r);
  g_assert_no_error(r.error);
  g_assert_nonnull(r.feedback);
  g_assert_cmpint(inf_feedback_get_kind(r.feedback), ==, INF_FEEDBACK_VERIFIER);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, c->score);
  if (c->score == 1.0) {
    g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  } else {
    g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 1);
    if (c->item)
      g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==, c->item);
  }
  inf_test_loss_result_clear(&r);
}

static void
test_verifier_exact(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *exact = "{\"type\": \"verifier\"}";
  const char *folded = "{\"type\": \"verifier\", \"normalize\": [\"trim\", \"casefold\"]}";
  const VerifierCase cases[] = {
    { exact, "billing", FALSE, "\"billing\"", 1.0, NULL },
    { exact, "Billing ", FALSE, "\"billing\"", 0.0, "expected 'billing', got 'Billing'" },
    { exact, "technical", FALSE, "\"billing\"", 0.0, "expected 'billing', got 'technical'" },
    { folded, "  BILLING\n", FALSE, "\"billing\"", 1.0, NULL },
    { "{\"type\": \"verifier\", \"normalize\": \"trim\"}", " x ", FALSE, "\"x\"", 1.0, NULL },
    { "{\"type\": \"verifier\", \"normalize\": \"casefold\"}", " X", FALSE, "\"x\"", 0.0, NULL },
    /* A number or boolean target compares with its JSON text. */
    { exact, "42", FALSE, "42", 1.0, NULL },
    { exact, "true", FALSE, "true", 1.0, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    check_verifier(f, &cases[i]);
  /* Long outputs are cut visibly in the item. */
  g_autofree char *long_text = g_strnfill(500, 'a');
  g_autoptr(GError) error = NULL;
  g_autoptr(InfLoss) loss = loss_from(f, exact, &error);
  Result r;
  evaluate(loss, long_text, FALSE, "\"b\"", &r);
  g_assert_cmpuint(strlen(inf_feedback_get_item(r.feedback, 0)), <, 260);
  inf_test_assert_contains(inf_feedback_get_item(r.feedback, 0), "...");
  g_assert_false(
      json_object_get_boolean(json_object_object_get(inf_feedback_get_meta(r.feedback), "passed")));
  inf_test_loss_result_clear(&r);
}

static void
test_verifier_matches(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *contains = "{\"type\": \"verifier\", \"match\": \"contains\"}";
  const char *regex = "{\"type\": \"verifier\", \"match\": \"regex\"}";
  const char *pattern = "{\"type\": \"verifier\", \"match\": \"regex\", \"pattern\": \"^[A-Z]\","
                        " \"normalize\": \"trim\"}";
  const char *field = "{\"type\": \"verifier\", \"match\": \"json_field\", \"path\": "
                      "\"answer.labels[1]\", \"normalize\": \"casefold\"}";
  const char *num_field = "{\"type\": \"verifier\", \"match\": \"json_field\", \"path\": \"n\", "
                          "\"tolerance\": 0.01}";
  const char *number = "{\"type\": \"verifier\", \"match\": \"number_close\", \"tolerance\": 0.5}";
  const VerifierCase cases[] = {
    { contains, "The answer is Paris.", FALSE, "\"Paris\"", 1.0, NULL },
    { contains, "The answer is Rome.", FALSE, "\"Paris\"", 0.0,
      "expected 'Paris', got 'The answer is Rome.' (the output must contain the "
      "expected text)" },
    { "{\"type\": \"verifier\", \"match\": \"contains\", \"normalize\": "
      "\"casefold\"}",
      "PARIS!", FALSE, "\"paris\"", 1.0, NULL },

    { regex, "order 1234", FALSE, "\"^order [0-9]+$\"", 1.0, NULL },
    { regex, "order abc", FALSE, "\"^order [0-9]+$\"", 0.0,
      "expected '^order [0-9]+$', got 'order abc' (the output must match the regular "
      "expression)" },
    { pattern, "  Yes", FALSE, "null", 1.0, NULL },
    { pattern, "yes", FALSE, "null", 0.0, NULL },

    { field, "{\"answer\": {\"labels\": [\"a\", \"Billing\"]}}", FALSE, "\"billing\"", 1.0, NULL },
    { field, "{\"answer\": {\"labels\": [\"a\", \"billing\"]}}", TRUE, "\"billing\"", 1.0, NULL },
    { field, "{\"answer\": {\"labels\": [\"a\", \"tech\"]}}", TRUE, "\"billing\"", 0.0,
      "expected 'billing', got 'tech' (field answer.labels[1])" },
    { field, "{\"answer\": {\"labels\": [\"a\"]}}", TRUE, "\"billing\"", 0.0,
      "expected 'billing', got '{\"answer\":{\"labels\":[\"a\"]}}' (field "
      "answer.labels[1]: not in the output)" },
    { field, "not json", FALSE, "\"billing\"", 0.0,
      "expected 'billing', got 'not json' (field answer.labels[1]: the output is "
      "not JSON)" },
    { num_field, "{\"n\": 3.005}", TRUE, "3", 1.0, NULL },
    { num_field, "{\"n\": {\"a\": [1, null]}}", TRUE, "{\"a\": [1, null]}", 1.0, NULL },
    { num_field, "{\"n\": null}", TRUE, "null", 1.0, NULL },
    { num_field, "{\"n\": 4}", TRUE, "3", 0.0, "expected '3', got '4' (field n)" },

    { number, " 3.4 ", FALSE, "3", 1.0, NULL },
    { number, "2.5", FALSE, "\"3\"", 1.0, NULL },
    { number, "3.6", FALSE, "3", 0.0, "expected '3', got '3.6' (a number within 0.5)" },
    { number, "three", FALSE, "3", 0.0, NULL },
    { "{\"type\": \"verifier\", \"match\": \"number_close\"}", "3.0", FALSE, "3", 1.0, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    check_verifier(f, &cases[i]);
}

static void
expect_target_error(Fixture *f, const char *spec, const char *target_json, const char *expected)
{
  g_autoptr(InfLoss) loss = new_loss(f, spec);
  expect_target_refused(loss, target_json, expected);
  /* evaluate reports the same as an error of the example */
  expect_error(loss, "x", target_json, expected);
}

static void
test_verifier_targets(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_target_error(f, "{\"type\": \"verifier\"}", "{\"a\": 1}",
                      "expects a target that is a string, number or boolean");
  expect_target_error(f, "{\"type\": \"verifier\"}", "null",
                      "expects a target that is a string, number or boolean");
  expect_target_error(f, "{\"type\": \"verifier\", \"match\": \"contains\"}", "3",
                      "expects a string target");
  expect_target_error(f, "{\"type\": \"verifier\", \"match\": \"regex\"}", "\"(\"",
                      "the target is not a valid regular expression");
  expect_target_error(f, "{\"type\": \"verifier\", \"match\": \"number_close\"}", "\"three\"",
                      "expects a number target");
}

static void
test_verifier_options(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_config_error(f, "{\"type\": \"verifier\", \"match\": \"fuzzy\"}",
                      "cfg.json: training.loss.match:");
  expect_config_error(f, "{\"type\": \"verifier\", \"macth\": \"exact\"}",
                      "cfg.json: training.loss.macth: unknown option");
  expect_config_error(f, "{\"type\": \"verifier\", \"normalize\": [\"trim\", \"upper\"]}",
                      "cfg.json: training.loss: normalize[1]: unknown normalization \"upper\"; "
                      "valid: \"trim\", \"casefold\"");
  expect_config_error(f, "{\"type\": \"verifier\", \"normalize\": 3}",
                      "training.loss: normalize: unknown normalization 3");
  expect_config_error(f, "{\"type\": \"verifier\", \"match\": \"json_field\"}",
                      "cfg.json: training.loss: path: required with \"match\": \"json_field\"");
  expect_config_error(f, "{\"type\": \"verifier\", \"match\": \"json_field\", \"path\": \"a..b\"}",
                      "training.loss: path: 'a..b' is not a field path");
  expect_config_error(f, "{\"type\": \"verifier\", \"path\": \"a\"}",
                      "training.loss: path: only used with \"match\": \"json_field\"");
  expect_config_error(f, "{\"type\": \"verifier\", \"pattern\": \"a\"}",
                      "training.loss: pattern: only used with \"match\": \"regex\"");
  expect_config_error(f, "{\"type\": \"verifier\", \"match\": \"regex\", \"pattern\": \"(\"}",
                      "training.loss: pattern: invalid regular expression");
  expect_config_error(f, "{\"type\": \"verifier\", \"tolerance\": -1}",
                      "cfg.json: training.loss.tolerance:");
}

static void
test_composite(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  /* 0.25 x 0 + 0.75 x 1 = 0.75; items of the failing child. */
  g_autoptr(InfLoss) loss = new_loss(
      f, "{\"type\": \"composite\", \"losses\": ["
         " {\"loss\": {\"type\": \"verifier\"}, \"weight\": 0.25},"
         " {\"loss\": {\"type\": \"verifier\", \"match\": \"contains\"}, \"weight\": 0.75}]}");
  Result r;
  evaluate(loss, "the billing team", FALSE, "\"billing\"", &r);
  g_assert_no_error(r.error);
  g_assert_cmpint(inf_feedback_get_kind(r.feedback), ==, INF_FEEDBACK_COMPOSITE);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(r.feedback), 0.75, 1e-12);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 1);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==,
                  "expected 'billing', got 'the billing team'");
  json_object *parts = json_object_object_get(inf_feedback_get_meta(r.feedback), "losses");
  g_assert_cmpuint(json_object_array_length(parts), ==, 2);
  g_assert_cmpstr(
      json_object_get_string(json_object_object_get(json_object_array_get_idx(parts, 1), "type")),
      ==, "verifier");
  inf_test_loss_result_clear(&r);

  /* A plain spec weighs 1; a zero weight leaves a child out of the score
   * (its items stay). */
  g_autoptr(InfLoss) zero = new_loss(
      f, "{\"type\": \"composite\", \"losses\": [{\"type\": \"verifier\"},"
         " {\"loss\": {\"type\": \"verifier\", \"match\": \"contains\"}, \"weight\": 0}]}");
  evaluate(zero, "x", FALSE, "\"billing\"", &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.0);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 2);
  inf_test_loss_result_clear(&r);
  evaluate(zero, "billing", FALSE, "\"billing\"", &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  inf_test_loss_result_clear(&r);

  /* Nested composites; only weight-0 children: no score at all. */
  g_autoptr(InfLoss) none = new_loss(
      f, "{\"type\": \"composite\", \"losses\": [{\"loss\": {\"type\": \"composite\", \"losses\": "
         "[{\"type\": \"verifier\"}]}, \"weight\": 0}]}");
  evaluate(none, "x", FALSE, "\"x\"", &r);
  g_assert_false(inf_feedback_has_score(r.feedback));
  inf_test_loss_result_clear(&r);

  /* A child's error fails the composite, naming the child; check_target too. */
  expect_error(loss, "x", "{\"a\": 1}", "losses[0] (verifier): ");
  expect_target_refused(loss, "3",
                        "losses[1] (verifier): the verifier (contains) expects a string target");
}

static void
test_composite_options(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_config_error(f, "{\"type\": \"composite\"}", "training.loss");
  expect_config_error(f, "{\"type\": \"composite\", \"losses\": []}",
                      "cfg.json: training.loss: losses: expected a non-empty list");
  expect_config_error(f, "{\"type\": \"composite\", \"losses\": {}}",
                      "training.loss: losses: expected a non-empty list");
  expect_config_error(f,
                      "{\"type\": \"composite\", \"losses\": [{\"type\": \"verifier\"}, "
                      "{\"loss\": {\"type\": \"verifier\"}, \"weight\": -1}]}",
                      "cfg.json: training.loss.losses[1].weight: expected a number >= 0, got -1");
  expect_config_error(f,
                      "{\"type\": \"composite\", \"losses\": [{\"loss\": {\"type\": "
                      "\"verifier\"}, \"weight\": \"heavy\"}]}",
                      "losses[0].weight: expected a number >= 0, got \"heavy\"");
  expect_config_error(f,
                      "{\"type\": \"composite\", \"losses\": [{\"loss\": {\"type\": "
                      "\"verifier\"}, \"wieght\": 2}]}",
                      "cfg.json: training.loss.losses[0].wieght: unknown key");
  expect_config_error(f,
                      "{\"type\": \"composite\", \"losses\": [{\"type\": \"verifier\"}, "
                      "{\"loss\": {\"type\": \"verifier\", \"match\": \"nope\"}}]}",
                      "training.loss.losses[1].loss.match:");
  /* A nested loss's error names its JSON path once, after the file. */
  expect_config_message(f,
                        "{\"type\": \"composite\", \"losses\": [{\"type\": \"verifier\"}, "
                        "{\"loss\": {\"type\": \"verifier\", \"tolerance\": -1}}]}",
                        "cfg.json: training.loss.losses[1].loss.tolerance: ");
  expect_config_message(f,
                        "{\"type\": \"composite\", \"losses\": [{\"type\": \"composite\", "
                        "\"losses\": [{\"type\": \"verifier\"}, {\"type\": \"rubric\", "
                        "\"criteria\": \"c\", \"levels\": [{\"score\": 1, \"label\": \"a\"}, "
                        "{\"score\": 1, \"label\": \"b\"}]}]}]}",
                        "cfg.json: training.loss.losses[0].losses[1]: levels[1].score: the same "
                        "score as levels[0]; each level needs its own score");
  expect_config_message(f,
                        "{\"type\": \"composite\", \"losses\": [{\"type\": \"composite\", "
                        "\"losses\": [{\"weight\": 2}]}]}",
                        "cfg.json: training.loss.losses[0].losses[0]: expected an object "
                        "{\"type\": LOSS, options...}");
  expect_config_message(f,
                        "{\"type\": \"composite\", \"losses\": [{\"type\": \"preference\", "
                        "\"reference\": \"\"}]}",
                        "cfg.json: training.loss.losses[0]: reference: '' is not a field path of "
                        "the example line; write names and indexes like target or "
                        "meta.answers[0]");
  expect_config_error(f, "{\"type\": \"composite\", \"losses\": [{\"type\": \"nope\"}]}",
                      "training.loss.losses[0].type: unknown loss type 'nope'");
}

#define RUBRIC                                                                \
  "{\"type\": \"rubric\", \"criteria\": \"correct label\", \"levels\": ["     \
  "{\"score\": 1, \"label\": \"wrong\", \"description\": \"another label\"}," \
  "{\"score\": 3, \"label\": \"close\"},"                                     \
  "{\"score\": 5, \"label\": \"right\", \"description\": \"the expected label\"}]"

static void
test_rubric(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) loss = new_loss(f, RUBRIC "}");
  Result r;
  inf_fake_llm_push_reply_text(f->fake, "{\"score\": 4, \"justification\": \"near\", "
                                        "\"improvements\": [\"say billing\"]}");
  evaluate_full(loss, "payments", FALSE, "\"billing\"", f->rm, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(r.feedback), 0.75, 1e-12);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==, "say billing");
  json_object *meta = inf_feedback_get_meta(r.feedback);
  g_assert_cmpfloat(json_object_get_double(json_object_object_get(meta, "raw_score")), ==, 4);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(meta, "justification")), ==,
                  "near");
  g_assert_false(json_object_get_boolean(json_object_object_get(meta, "clamped")));
  inf_test_loss_result_clear(&r);
  /* The scale and the criteria are in the system prompt; structured output asked. */
  const char *system = request_message(f, 0, 0);
  inf_test_assert_contains(system, "Criteria: correct label\nRating scale:\n"
                                   "  1 - wrong: another label\n  3 - close\n"
                                   "  5 - right: the expected label\n");
  json_object *format =
      json_object_object_get(inf_fake_llm_get_body(f->fake, 0), "response_format");
  g_assert_cmpstr(json_object_get_string(json_object_object_get(format, "type")), ==,
                  "json_schema");

  /* Out of the scale: clamped (7 on 1..5 gives 1, not 1.5; 0 gives 0). */
  inf_fake_llm_push_reply_text(f->fake, "{\"score\": 7, \"justification\": \"\", "
                                        "\"improvements\": []}");
  evaluate_full(loss, "billing", FALSE, "\"billing\"", f->rm, &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  g_assert_true(json_object_get_boolean(
      json_object_object_get(inf_feedback_get_meta(r.feedback), "clamped")));
  inf_test_loss_result_clear(&r);
  inf_fake_llm_push_reply_text(f->fake, "{\"score\": 0, \"justification\": \"\", "
                                        "\"improvements\": []}");
  evaluate_full(loss, "x", FALSE, "\"billing\"", f->rm, &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.0);
  inf_test_loss_result_clear(&r);

  /* Malformed (a string score, then no improvements): retried, then failed
   * clearly; a third reply is never asked for. */
  guint64 before = inf_test_fake_requests(f->fake);
  inf_fake_llm_push_reply_text(f->fake, "{\"score\": \"high\", \"justification\": \"\", "
                                        "\"improvements\": []}");
  inf_fake_llm_push_reply_text(f->fake, "{\"score\": 5, \"justification\": \"ok\"}");
  evaluate_full(loss, "x", FALSE, "\"billing\"", f->rm, &r);
  g_assert_null(r.feedback);
  inf_test_assert_contains(r.error->message,
                           "rubric: no usable reply from alias 'judge' after 2 attempts: ");
  inf_test_assert_contains(r.error->message, "improvements");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, before + 2);
  inf_test_assert_contains(request_message(f, (guint)before + 1, 3), "$.score");

  /* A malformed reply then a good one. */
  inf_fake_llm_push_reply_text(f->fake, "oops");
  inf_fake_llm_push_reply_text(f->fake, "{\"score\": 3, \"justification\": \"\", "
                                        "\"improvements\": []}");
  evaluate_full(loss, "x", FALSE, "\"billing\"", f->rm, &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.5);
  inf_test_loss_result_clear(&r);
}

static void
test_rubric_options(Fixture *f, gconstpointer data)
{
  (void)data;
  expect_config_error(f, "{\"type\": \"rubric\", \"levels\": []}", "criteria");
  expect_config_error(f, "{\"type\": \"rubric\", \"criteria\": \"c\"}", "levels");
  expect_config_error(f,
                      "{\"type\": \"rubric\", \"criteria\": \"c\", \"levels\": "
                      "[{\"score\": 1, \"label\": \"bad\"}]}",
                      "cfg.json: training.loss: levels");
  expect_config_error(f,
                      "{\"type\": \"rubric\", \"criteria\": \"c\", \"levels\": "
                      "[{\"score\": 1, \"label\": \"bad\"}, {\"score\": \"2\", "
                      "\"label\": \"good\"}]}",
                      "training.loss: levels[1].score");
  expect_config_error(f,
                      "{\"type\": \"rubric\", \"criteria\": \"c\", \"levels\": "
                      "[{\"score\": 1, \"label\": \"bad\"}, {\"score\": 1.0, "
                      "\"label\": \"good\"}]}",
                      "training.loss: levels[1].score: the same score as levels[0]");
  expect_config_error(f, RUBRIC ", \"attempts\": 11}", "cfg.json: training.loss.attempts:");
}

/* Evaluates @loss on the text @output for the example line @example_json
 * (its "target", when there is one, is the target); waits for the result. */
static void
evaluate_example(Fixture *f, InfLoss *loss, const char *output, const char *example_json, Result *r)
{
  g_autoptr(json_object) example = json_tokener_parse(example_json);
  g_assert_nonnull(example);
  g_autoptr(InfValue) value = inf_value_new_text(output);
  json_object *target = json_object_object_get(example, "target");
  inf_test_loss_evaluate(loss, value, target, example, 0, f->rm, r);
}

/* Evaluating @loss on @output for the example line @example_json fails with
 * an error containing @expected. */
static void
expect_example_error(Fixture *f, InfLoss *loss, const char *output, const char *example_json,
                     const char *expected)
{
  Result r;
  evaluate_example(f, loss, output, example_json, &r);
  g_assert_null(r.feedback);
  g_assert_nonnull(r.error);
  inf_test_assert_contains(r.error->message, expected);
  inf_test_loss_result_clear(&r);
}

static json_object *
meta_get(Result *r, const char *key)
{
  return json_object_object_get(inf_feedback_get_meta(r->feedback), key);
}

/* The source of candidate @n (1-based) in the feedback's metadata. */
static const char *
meta_source(Result *r, guint n)
{
  json_object *list = meta_get(r, "candidates");
  json_object *entry = json_object_array_get_idx(list, n - 1);
  g_assert_cmpint(json_object_get_int(json_object_object_get(entry, "candidate")), ==, n);
  return json_object_get_string(json_object_object_get(entry, "source"));
}

#define PREF_EXAMPLE \
  "{\"input\": {\"text\": \"my card was charged twice\"}, \"target\": \"billing\"}"

static void
test_preference(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) first = new_loss(
      f,
      "{\"type\": \"preference\", \"order\": \"output_first\", \"criteria\": \"the label only\"}");
  g_autoptr(InfLoss) last = new_loss(f, "{\"type\": \"preference\", \"order\": \"output_last\"}");
  Result r;

  /* Output first: candidate 1 is the output; the judge prefers 1. */
  inf_fake_llm_push_reply_text(f->fake, "{\"better\": 1, \"reason\": \"shorter\", "
                                        "\"improvements\": [\"say it in one word\"]}");
  evaluate_example(f, first, "It is about payments", PREF_EXAMPLE, &r);
  g_assert_no_error(r.error);
  g_assert_cmpint(inf_feedback_get_kind(r.feedback), ==, INF_FEEDBACK_LLM);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  g_assert_cmpstr(meta_source(&r, 1), ==, "output");
  g_assert_cmpstr(meta_source(&r, 2), ==, "reference");
  g_assert_cmpint(json_object_get_int(meta_get(&r, "output_candidate")), ==, 1);
  g_assert_cmpint(json_object_get_int(meta_get(&r, "preferred")), ==, 1);
  g_assert_cmpstr(json_object_get_string(meta_get(&r, "winner")), ==, "output");
  inf_test_loss_result_clear(&r);
  /* The judge sees the input and the numbered candidates, not which is which. */
  const char *user = request_message(f, 0, 1);
  inf_test_assert_contains(user, "Input:\n{\"text\":\"my card was charged twice\"}\n\n"
                                 "Candidate 1:\nIt is about payments\n\n"
                                 "Candidate 2:\nbilling\n\nJudge on: the label only");
  g_assert_null(strstr(user, "reference"));
  g_assert_null(strstr(user, "Expected"));
  inf_test_assert_contains(request_message(f, 0, 0), "or 0 for a tie");

  /* The same reply with the order swapped: candidate 1 is now the reference,
   * so the reference wins; the items name both numbers as shown. */
  inf_fake_llm_push_reply_text(f->fake, "{\"better\": 1, \"reason\": \"names the label\", "
                                        "\"improvements\": [\"answer with the label\", \" \"]}");
  evaluate_example(f, last, "It is about payments", PREF_EXAMPLE, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.0);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 2);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==,
                  "The reference (candidate 1) was preferred to this output (candidate 2): "
                  "names the label");
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 1), ==, "answer with the label");
  g_assert_cmpstr(meta_source(&r, 1), ==, "reference");
  g_assert_cmpstr(meta_source(&r, 2), ==, "output");
  g_assert_cmpint(json_object_get_int(meta_get(&r, "output_candidate")), ==, 2);
  g_assert_cmpstr(json_object_get_string(meta_get(&r, "winner")), ==, "reference");
  inf_test_loss_result_clear(&r);
  inf_test_assert_contains(request_message(f, 1, 1), "Candidate 1:\nbilling\n\n"
                                                     "Candidate 2:\nIt is about payments");

  /* A tie scores 0.5, without items. */
  inf_fake_llm_push_reply_text(f->fake,
                               "{\"better\": 0, \"reason\": \"same\", \"improvements\": []}");
  evaluate_example(f, last, "billing", PREF_EXAMPLE, &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.5);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  g_assert_cmpstr(json_object_get_string(meta_get(&r, "winner")), ==, "tie");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 3);
}

static void
test_preference_seeded(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) loss = new_loss(f, "{\"type\": \"preference\"}");
  /* The seeded order depends on the example's input only: the same example
   * twice gets the same order, and both orders occur over a few inputs. In
   * every case the judge's "1" maps back to the candidate shown first. */
  gboolean seen[3] = { FALSE, FALSE, FALSE };
  guint n = 0;
  for (guint i = 0; i < 8; i++) {
    g_autofree char *example =
        g_strdup_printf("{\"input\": {\"text\": \"question %u\"}, \"target\": \"ref\"}", i);
    gint first_output = 0;
    for (guint again = 0; again < 2; again++) {
      Result r;
      inf_fake_llm_push_reply_text(f->fake,
                                   "{\"better\": 1, \"reason\": \"\", \"improvements\": []}");
      evaluate_example(f, loss, "out", example, &r);
      g_assert_no_error(r.error);
      const char *user = request_message(f, n++, 1);
      gboolean output_shown_first = strstr(user, "Candidate 1:\nout\n") != NULL;
      g_assert_true(output_shown_first || strstr(user, "Candidate 1:\nref\n") != NULL);
      gint output = json_object_get_int(meta_get(&r, "output_candidate"));
      g_assert_cmpint(output, ==, output_shown_first ? 1 : 2);
      g_assert_cmpstr(meta_source(&r, (guint)output), ==, "output");
      g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, output_shown_first ? 1.0 : 0.0);
      if (again == 0)
        first_output = output;
      else
        g_assert_cmpint(output, ==, first_output);
      seen[output] = TRUE;
      inf_test_loss_result_clear(&r);
    }
  }
  g_assert_true(seen[1] && seen[2]);
  /* Another seed changes the order of some example. */
  g_autoptr(InfLoss) other = new_loss(f, "{\"type\": \"preference\", \"seed\": 7}");
  gboolean differs = FALSE;
  for (guint i = 0; i < 8 && !differs; i++) {
    g_autofree char *example =
        g_strdup_printf("{\"input\": {\"text\": \"question %u\"}, \"target\": \"ref\"}", i);
    Result a, b;
    inf_fake_llm_push_reply_text(f->fake,
                                 "{\"better\": 1, \"reason\": \"\", \"improvements\": []}");
    evaluate_example(f, loss, "out", example, &a);
    inf_fake_llm_push_reply_text(f->fake,
                                 "{\"better\": 1, \"reason\": \"\", \"improvements\": []}");
    evaluate_example(f, other, "out", example, &b);
    differs = json_object_get_int(meta_get(&a, "output_candidate")) !=
              json_object_get_int(meta_get(&b, "output_candidate"));
    inf_test_loss_result_clear(&a);
    inf_test_loss_result_clear(&b);
  }
  g_assert_true(differs);
}

static void
test_preference_malformed(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) loss =
      new_loss(f, "{\"type\": \"preference\", \"ties\": false, \"order\": \"output_first\"}");
  Result r;
  /* A tie when ties are off, then a candidate 3: retried once, then failed. */
  inf_fake_llm_push_reply_text(f->fake, "{\"better\": 0, \"reason\": \"\", \"improvements\": []}");
  inf_fake_llm_push_reply_text(f->fake, "{\"better\": 3, \"reason\": \"\", \"improvements\": []}");
  evaluate_example(f, loss, "x", PREF_EXAMPLE, &r);
  g_assert_null(r.feedback);
  inf_test_assert_contains(r.error->message,
                           "preference: no usable reply from alias 'judge' after 2 attempts: "
                           "$.better");
  inf_test_assert_contains(r.error->message, "(last reply: '{\"better\": 3");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 2);
  inf_test_assert_contains(request_message(f, 1, 3), "$.better");
  g_assert_null(strstr(request_message(f, 0, 0), "tie"));

  /* Not JSON, then a good reply: the good one counts. */
  inf_fake_llm_push_reply_text(f->fake, "Candidate 2 is better.");
  inf_fake_llm_push_reply_text(f->fake, "{\"better\": 2, \"reason\": \"\", \"improvements\": "
                                        "[\"use the label\"]}");
  evaluate_example(f, loss, "x", PREF_EXAMPLE, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.0);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==,
                  "The reference (candidate 2) was preferred to this output (candidate 1)");
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 1), ==, "use the label");
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 4);

  /* A reference from another field; an example without it fails, no call. */
  g_autoptr(InfLoss) field = new_loss(
      f, "{\"type\": \"preference\", \"reference\": \"meta.best\", \"order\": \"output_last\"}");
  inf_fake_llm_push_reply_text(f->fake, "{\"better\": 2, \"reason\": \"\", \"improvements\": []}");
  evaluate_example(f, field, "x",
                   "{\"input\": \"q\", \"meta\": {\"best\": {\"label\": \"billing\"}}}", &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  inf_test_loss_result_clear(&r);
  inf_test_assert_contains(request_message(f, 4, 1),
                           "Input:\nq\n\nCandidate 1:\n{\"label\":\"billing\"}\n\n"
                           "Candidate 2:\nx");
  expect_example_error(f, field, "x", "{\"input\": \"q\", \"target\": \"t\"}",
                       "preference: the example has no reference output "
                       "at 'meta.best' (no such field)");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 5);
}

static void
test_preference_options(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) loss = new_loss(f, "{\"type\": \"preference\"}");
  /* A null target is refused before anything runs, and per example. */
  expect_target_refused(loss, "null", "preference expects a target");
  expect_error(loss, "x", "null",
               "preference: the example has no reference output "
               "at 'target' (it is null)");
  expect_config_error(f, "{\"type\": \"preference\", \"reference\": \"a..b\"}",
                      "cfg.json: training.loss: reference: 'a..b' is not a field path");
  expect_config_error(f, "{\"type\": \"preference\", \"order\": \"random\"}",
                      "cfg.json: training.loss.order:");
  expect_config_error(f, "{\"type\": \"preference\", \"ties\": 1}",
                      "cfg.json: training.loss.ties:");
  expect_config_error(f, "{\"type\": \"preference\", \"candidates\": \"c\"}",
                      "cfg.json: training.loss.candidates: unknown option");
}

#define RANK_EXAMPLE \
  "{\"input\": \"q\", \"target\": \"billing\", \"others\": [\"Billing.\", {\"label\": \"tech\"}]}"

static void
test_ranking(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) first = new_loss(
      f, "{\"type\": \"ranking\", \"candidates\": \"others\", \"order\": \"output_first\"}");
  g_autoptr(InfLoss) last = new_loss(
      f, "{\"type\": \"ranking\", \"candidates\": \"others\", \"order\": \"output_last\"}");
  const char *reply = "{\"ranking\": [2, 1, 4, 3], \"reason\": \"exact label first\", "
                      "\"improvements\": [{\"candidate\": 1, \"changes\": [\"drop the prose\"]},"
                      " {\"candidate\": 4, \"changes\": [\"name a label\"]},"
                      " {\"candidate\": 3, \"changes\": [\"no period\"]}]}";
  Result r;

  /* Output first: 1 output, 2 reference, 3 others[0], 4 others[1]; the
   * output ranks 2 of 4: (4 - 2) / 3. */
  inf_fake_llm_push_reply_text(f->fake, reply);
  evaluate_example(f, first, "It is billing", RANK_EXAMPLE, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(r.feedback), 2.0 / 3.0, 1e-12);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 2);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==,
                  "This output (candidate 1) ranked 2 of 4, below candidate 2 (the reference): "
                  "exact label first");
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 1), ==, "drop the prose");
  g_assert_cmpstr(meta_source(&r, 1), ==, "output");
  g_assert_cmpstr(meta_source(&r, 2), ==, "reference");
  g_assert_cmpstr(meta_source(&r, 3), ==, "others[0]");
  g_assert_cmpstr(meta_source(&r, 4), ==, "others[1]");
  g_assert_cmpint(json_object_get_int(meta_get(&r, "rank")), ==, 2);
  g_assert_cmpint(json_object_get_int(meta_get(&r, "n")), ==, 4);
  g_assert_cmpint(json_object_array_length(meta_get(&r, "ranking")), ==, 4);
  inf_test_loss_result_clear(&r);
  inf_test_assert_contains(request_message(f, 0, 1),
                           "Candidate 1:\nIt is billing\n\nCandidate 2:\nbilling\n\n"
                           "Candidate 3:\nBilling.\n\nCandidate 4:\n{\"label\":\"tech\"}");
  inf_test_assert_contains(request_message(f, 0, 0), "all 4 candidates");

  /* The same reply, output last: 1 reference, 2 others[0], 3 others[1],
   * 4 output; the output ranks 3 of 4, below 2 and 1. */
  inf_fake_llm_push_reply_text(f->fake, reply);
  evaluate_example(f, last, "It is billing", RANK_EXAMPLE, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat_with_epsilon(inf_feedback_get_score(r.feedback), 1.0 / 3.0, 1e-12);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==,
                  "This output (candidate 4) ranked 3 of 4, below candidate 2 (the example's "
                  "others[0]), candidate 1 (the reference): exact label first");
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 1), ==, "name a label");
  g_assert_cmpstr(meta_source(&r, 4), ==, "output");
  g_assert_cmpint(json_object_get_int(meta_get(&r, "output_candidate")), ==, 4);
  inf_test_loss_result_clear(&r);

  /* Ranked first: score 1, no items; ranked last: 0. Without a reference
   * (null target) the others are enough. */
  inf_fake_llm_push_reply_text(f->fake, "{\"ranking\": [3, 1, 2], \"reason\": \"\", "
                                        "\"improvements\": []}");
  evaluate_example(f, last, "billing", "{\"input\": \"q\", \"others\": [\"a\", \"b\"]}", &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  g_assert_cmpstr(meta_source(&r, 1), ==, "others[0]");
  inf_test_loss_result_clear(&r);
  inf_fake_llm_push_reply_text(f->fake, "{\"ranking\": [1, 2], \"reason\": \"\", "
                                        "\"improvements\": []}");
  g_autoptr(InfLoss) plain = new_loss(f, "{\"type\": \"ranking\", \"order\": \"output_first\"}");
  evaluate_example(f, plain, "x", "{\"input\": \"q\", \"target\": \"y\"}", &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  inf_test_loss_result_clear(&r);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 4);
}

static void
test_ranking_malformed(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfLoss) loss = new_loss(
      f, "{\"type\": \"ranking\", \"candidates\": \"others\", \"order\": \"output_first\"}");
  const char *example = "{\"input\": \"q\", \"target\": \"t\", \"others\": [\"o\"]}";
  Result r;
  /* A candidate twice, then one missing: failed after 2 attempts. */
  inf_fake_llm_push_reply_text(f->fake, "{\"ranking\": [1, 1, 2], \"reason\": \"\", "
                                        "\"improvements\": []}");
  inf_fake_llm_push_reply_text(f->fake, "{\"ranking\": [2, 1], \"reason\": \"\", "
                                        "\"improvements\": []}");
  evaluate_example(f, loss, "x", example, &r);
  g_assert_null(r.feedback);
  inf_test_assert_contains(r.error->message,
                           "ranking: no usable reply from alias 'judge' after 2 attempts: "
                           "ranking: candidate 3 is missing; rank all 3 candidates");
  inf_test_loss_result_clear(&r);
  inf_test_assert_contains(request_message(f, 1, 3),
                           "ranking[1]: candidate 1 is ranked twice (at 1 and 2)");
  /* An unknown candidate, then a good reply. */
  inf_fake_llm_push_reply_text(f->fake, "{\"ranking\": [3, 2, 1], \"reason\": \"\", "
                                        "\"improvements\": [{\"candidate\": 5, \"changes\": []}]}");
  inf_fake_llm_push_reply_text(f->fake, "{\"ranking\": [3, 2, 1], \"reason\": \"\", "
                                        "\"improvements\": []}");
  evaluate_example(f, loss, "x", example, &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.0);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==,
                  "This output (candidate 1) ranked 3 of 3, below candidate 3 (the example's "
                  "others[0]), candidate 2 (the reference)");
  inf_test_loss_result_clear(&r);
  inf_test_assert_contains(request_message(f, 3, 3),
                           "improvements[0].candidate: there is no candidate 5 (the "
                           "candidates are 1 to 3)");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 4);

  /* Examples without enough candidates or with a bad list fail without a call. */
  expect_example_error(f, loss, "x", "{\"input\": \"q\", \"others\": []}",
                       "ranking: nothing to compare the output with: the example has no "
                       "reference at 'target' and an empty 'others' list");
  expect_example_error(f, loss, "x", "{\"input\": \"q\", \"target\": \"t\", \"others\": \"o\"}",
                       "ranking: the example's 'others' must be a list of other outputs to "
                       "rank (it is not a list)");
  expect_example_error(f, loss, "x", "{\"input\": \"q\", \"target\": \"t\"}",
                       "(there is no such field)");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 4);
}

static void
test_ranking_options(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autoptr(InfLoss) plain = new_loss(f, "{\"type\": \"ranking\"}");
  expect_target_refused(plain, "null", "ranking expects a target");
  g_autoptr(InfLoss) with_others =
      new_loss(f, "{\"type\": \"ranking\", \"candidates\": \"others\"}");
  g_assert_true(inf_loss_check_target(with_others, NULL, &error));
  expect_error(plain, "x", "null",
               "ranking: nothing to compare the output with: the example has no "
               "reference at 'target' (and the `candidates` option names no list");
  expect_config_error(f, "{\"type\": \"ranking\", \"candidates\": \"[0]\"}",
                      "cfg.json: training.loss: candidates: '[0]' is not a field path");
  expect_config_error(f, "{\"type\": \"ranking\", \"candidates\": 3}",
                      "cfg.json: training.loss.candidates:");
  expect_config_error(f, "{\"type\": \"ranking\", \"ties\": true}",
                      "cfg.json: training.loss.ties: unknown option");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add(path, Fixture, NULL, fixture_setup, fn, inf_test_resources_fixture_tear_down)
#define ADD_LLM(path, fn) \
  g_test_add(path, Fixture, NULL, llm_fixture_setup, fn, inf_test_resources_fixture_tear_down)
  ADD("/losses/verifier/exact", test_verifier_exact);
  ADD("/losses/verifier/matches", test_verifier_matches);
  ADD("/losses/verifier/targets", test_verifier_targets);
  ADD("/losses/verifier/options", test_verifier_options);
  ADD("/losses/composite/score", test_composite);
  ADD("/losses/composite/options", test_composite_options);
  ADD_LLM("/losses/llm-judge/items", test_judge);
  ADD_LLM("/losses/llm-judge/score-retries", test_judge_score_and_retries);
  ADD_LLM("/losses/rubric/score", test_rubric);
  ADD("/losses/rubric/options", test_rubric_options);
  ADD_LLM("/losses/preference/order", test_preference);
  ADD_LLM("/losses/preference/seeded", test_preference_seeded);
  ADD_LLM("/losses/preference/malformed", test_preference_malformed);
  ADD("/losses/preference/options", test_preference_options);
  ADD_LLM("/losses/ranking/rank", test_ranking);
  ADD_LLM("/losses/ranking/malformed", test_ranking_malformed);
  ADD("/losses/ranking/options", test_ranking_options);
  return g_test_run();
}
