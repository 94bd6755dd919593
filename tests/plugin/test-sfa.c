/* The sfa optimizer plugin (plugins/optimizers/sfa), loaded from the build
 * tree and driven through optimizer steps against a scripted in-process
 * client that answers from a queue and records every request: update order
 * (upstream first, the downstream prompt shows the upstream candidate), no
 * aggregator call for a single item, bounded items, retries of empty
 * replies, refusal of replies that drop a placeholder, rejected values in
 * the prompt. */
#include <inf/inf.h>
#include <string.h>

#include "optim/optimizer.h"
#include "inf-test-plugins.h"
#include "plugin/loader.h"
#include "resources/manager.h"

/* --- a scripted client: replies pop from a queue; requests are recorded --- */

static GQueue replies = G_QUEUE_INIT;
static GPtrArray *requests; /* "alias-model|system|user" texts */

static gboolean
script_finish(gpointer data)
{
  InfLlmCall *call = data;
  char *text = g_queue_pop_head(&replies);
  g_assert_nonnull(text); /* a call the test did not script */
  InfLlmResponse *response = inf_llm_response_new();
  inf_llm_response_set_content(response, text);
  inf_llm_response_set_finish_reason(response, "stop");
  inf_llm_response_set_usage(response, 1, 1);
  inf_llm_call_return(call, response);
  g_free(text);
  return G_SOURCE_REMOVE;
}

static void
script_call(InfClient *self, InfLlmCall *call)
{
  const InfLlmRequest *req = inf_llm_call_get_request(call);
  guint n = inf_llm_request_get_n_messages(req);
  g_ptr_array_add(requests, g_strdup_printf("%s|%s|%s", inf_client_get_model(self),
                                            inf_llm_request_get_system(req),
                                            n ? inf_llm_request_get_content(req, n - 1) : ""));
  g_idle_add(script_finish, call);
}

static const InfClientClass script_client = {
  .struct_size = sizeof(InfClientClass),
  .name = "script",
  .call = script_call,
};

typedef InfTestResourcesFixture Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  inf_test_resources_fixture_set_up(f, data);
  g_assert_true(inf_registry_add_client_class(f->registry, &script_client, NULL));
  f->loader = inf_test_load_plugin(f->registry, "sfa");
  inf_test_resources_fixture_set(
      f,
      "{\"endpoints\": {\"agg\": {\"provider\": \"script\", \"model\": \"agg\", \"max_retries\": "
      "0},"
      " \"upd\": {\"provider\": \"script\", \"model\": \"upd\", \"max_retries\": 0}}}");
  requests = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  g_assert_true(g_queue_is_empty(&replies)); /* every scripted reply was used */
  g_ptr_array_unref(requests);
  inf_test_resources_fixture_tear_down(f, data);
}

static InfOptimizer *
make_sfa(Fixture *f, const char *extra)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf(
      "{\"type\": \"sfa\", \"aggregator\": \"agg\", \"updater\": \"upd\"%s}", extra ? extra : "");
  json_object *spec = json_tokener_parse(text);
  InfOptimizer *opt =
      inf_optimizer_new_full(f->registry, spec, "cfg.json", "training.optimizer", NULL, &error);
  json_object_put(spec);
  g_assert_no_error(error);
  return opt;
}

static void
script(const char *first, ...)
{
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
    g_queue_push_tail(&replies, g_strdup(s));
  va_end(ap);
}

static void
step_done(InfOptimizerStep *step, const GError *error, gpointer data)
{
  (void)step;
  g_assert_null(error);
  *(gboolean *)data = TRUE;
}

static void
run_step(InfOptimizer *opt, InfOptimizerStep *step)
{
  gboolean done = FALSE;
  inf_optimizer_run_step(opt, step, step_done, &done);
  while (!done)
    g_main_context_iteration(NULL, TRUE);
}

static InfParameter *
param(const char *value, const char *const *items)
{
  InfParameter *p = inf_parameter_new(value, "what the text is for", TRUE, NULL);
  for (guint i = 0; items && items[i]; i++)
    inf_parameter_accumulate_feedback(p, items[i]);
  return p;
}

static void
test_order(Fixture *f, gconstpointer data)
{
  (void)data;
  InfOptimizer *opt = make_sfa(f, ", \"conservatism\": 0.25");
  /* Given downstream-first in creation, the step order is the engine's:
   * index 0 is upstream of index 2; index 1 has no feedback. */
  InfParameter *a = param("A", (const char *const[]){ "a is too long", NULL });
  InfParameter *idle = param("I", NULL);
  InfParameter *b = param("B", (const char *const[]){ "b is vague", NULL });
  InfOptimizerStep *step = inf_optimizer_step_new(1, f->rm);
  inf_optimizer_step_add_parameter(step, "first.prompt", a, NULL);
  inf_optimizer_step_add_parameter(step, "idle.prompt", idle, NULL);
  inf_optimizer_step_add_parameter(step, "second.prompt", b, NULL);
  inf_optimizer_step_set_upstream(step, 0, 2);
  script("A2", "B2", NULL);
  run_step(opt, step);

  /* One item each: no aggregator call; upstream first; none for idle. */
  g_assert_cmpuint(requests->len, ==, 2);
  const char *r0 = requests->pdata[0], *r1 = requests->pdata[1];
  g_assert_true(g_str_has_prefix(r0, "upd|"));
  inf_test_assert_contains_all(
      r0, "<parameter name=\"first.prompt\">", "<current-value>A</current-value>",
      "<feedback>a is too long</feedback>", "<conservatism>0.25</conservatism>",
      "<description>what the text is for</description>");
  g_assert_null(strstr(r0, "<upstream-updates>"));
  g_assert_true(g_str_has_prefix(r1, "upd|"));
  inf_test_assert_contains_all(
      r1, "<current-value>B</current-value>",
      "<upstream-parameter name=\"first.prompt\">\n<previous-value>A</previous-value>\n"
      "<updated-value>A2</updated-value>");
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 0), ==, "A2");
  g_assert_null(inf_optimizer_step_get_candidate(step, 1));
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 2), ==, "B2");
  /* The step only proposes. */
  g_assert_cmpstr(inf_parameter_get_value(a), ==, "A");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(a);
  inf_parameter_unref(idle);
  inf_parameter_unref(b);
  inf_optimizer_free(opt);
}

static void
test_aggregate(Fixture *f, gconstpointer data)
{
  (void)data;
  InfOptimizer *opt = make_sfa(f, ", \"max_items\": 2");
  InfParameter *a = param("A", (const char *const[]){ "old", "x", "y", "x", "y", "x", NULL });
  InfOptimizerStep *step = inf_optimizer_step_new(3, f->rm);
  inf_optimizer_step_add_parameter(step, "p", a, (const char *const[]){ "A-tried", NULL });
  script("", "MERGED", "A3", NULL); /* an empty aggregation is asked again */
  run_step(opt, step);
  g_assert_cmpuint(requests->len, ==, 3);
  const char *agg = requests->pdata[0];
  g_assert_true(g_str_has_prefix(agg, "agg|"));
  /* Bounded: the two most frequent distinct items, one left out. */
  inf_test_assert_contains_all(agg, "<feedback-items count=\"2\" omitted=\"1\">",
                               "<feedback index=\"1\" count=\"3\">x</feedback>",
                               "<feedback index=\"2\" count=\"2\">y</feedback>");
  g_assert_null(strstr(agg, "old"));
  g_assert_null(strstr(agg, "<current-value>"));
  g_assert_cmpstr(requests->pdata[1], ==, agg);
  const char *upd = requests->pdata[2];
  inf_test_assert_contains_all(upd, "<aggregated-feedback>\nMERGED\n</aggregated-feedback>",
                               "<rejected-value>A-tried</rejected-value>");
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 0), ==, "A3");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(a);
  inf_optimizer_free(opt);
}

static void
test_empty_retries(Fixture *f, gconstpointer data)
{
  (void)data;
  InfOptimizer *opt = make_sfa(f, ", \"max_retries\": 2");
  InfParameter *a = param("A", (const char *const[]){ "fix it", NULL });
  InfOptimizerStep *step = inf_optimizer_step_new(1, f->rm);
  inf_optimizer_step_add_parameter(step, "p", a, NULL);
  script("", "  \n", "  A4 \n", NULL);
  run_step(opt, step);
  g_assert_cmpuint(requests->len, ==, 3);
  inf_test_assert_contains(requests->pdata[1],
                           "<previous-attempt-problem>Your previous reply was refused: "
                           "the reply is empty</previous-attempt-problem>");
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 0), ==, "A4");
  g_assert_null(inf_optimizer_step_get_error(step, 0));
  inf_optimizer_step_unref(step);

  /* Without retries: one call, no candidate, the error names the parameter. */
  InfOptimizer *strict = make_sfa(f, ", \"max_retries\": 0");
  step = inf_optimizer_step_new(2, f->rm);
  inf_optimizer_step_add_parameter(step, "p", a, NULL);
  script("", NULL);
  run_step(strict, step);
  g_assert_cmpuint(requests->len, ==, 4);
  g_assert_null(inf_optimizer_step_get_candidate(step, 0));
  const GError *error = inf_optimizer_step_get_error(step, 0);
  g_assert_nonnull(error);
  inf_test_assert_contains(error->message,
                           "parameter 'p': the updater's reply was refused: the reply is "
                           "empty (after 1 attempts)");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(a);
  inf_optimizer_free(opt);
  inf_optimizer_free(strict);
}

static void
test_constraints(Fixture *f, gconstpointer data)
{
  (void)data;
  InfOptimizer *opt = make_sfa(f, ", \"max_retries\": 1, \"max_chars\": 30");
  InfParameter *t = param("Answer {question} briefly.", (const char *const[]){ "longer", NULL });
  InfParameter *u = param("Reply to {name}.", (const char *const[]){ "warmer", NULL });
  InfOptimizerStep *step = inf_optimizer_step_new(1, f->rm);
  inf_optimizer_step_add_parameter(step, "t", t, NULL);
  inf_optimizer_step_add_parameter(step, "u", u, NULL);
  script("Answer briefly.", "Answer {question} in great detail please.", /* t: refused twice */
         "Reply kindly.", "Reply kindly to {name}.", NULL);              /* u: fixed on retry */
  run_step(opt, step);
  g_assert_cmpuint(requests->len, ==, 4);
  inf_test_assert_contains_all(requests->pdata[1],
                               "it drops the placeholder {question}, which the value must keep",
                               "At most 30 characters.");
  g_assert_null(inf_optimizer_step_get_candidate(step, 0));
  const GError *error = inf_optimizer_step_get_error(step, 0);
  g_assert_nonnull(error);
  inf_test_assert_contains(error->message,
                           "parameter 't': the updater's reply was refused: it has 41 "
                           "characters, more than max_chars (30) (after 2 attempts)");
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 1), ==, "Reply kindly to {name}.");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(t);
  inf_parameter_unref(u);
  inf_optimizer_free(opt);
}

/* The mock's edit mode reads these prompts: merged feedback, the
 * conservatism and the rejected values reach it. */
static void
test_mock_edit(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename(inf_test_plugin_path(), "mock.so", NULL);
  g_assert_true(inf_plugin_loader_load_file(f->loader, file, &error));
  g_assert_no_error(error);
  InfResourcesConfig *config = NULL;
  InfResourceManager *rm = inf_test_resources_new(
      f->registry, "{\"endpoints\": {\"edit\": {\"provider\": \"mock\", \"mode\": \"edit\"}}}",
      &config);
  json_object *spec = json_tokener_parse("{\"type\": \"sfa\", \"aggregator\": \"edit\", "
                                         "\"updater\": \"edit\", \"conservatism\": 0.0}");
  InfOptimizer *opt =
      inf_optimizer_new_full(f->registry, spec, "cfg.json", "training.optimizer", NULL, &error);
  json_object_put(spec);
  g_assert_no_error(error);
  InfParameter *p =
      param("Answer with one of: red, green, blue.",
            (const char *const[]){ "input: wet grass on the lawn\nexpected 'green', got 'Red.'",
                                   "input: the ocean at night\nexpected 'blue', got 'Red.'",
                                   "input: wet grass on the lawn\nexpected 'green', got 'Red.'",
                                   "input: ripe apples\nexpected 'red', got 'Red.'", NULL });
  InfOptimizerStep *step = inf_optimizer_step_new(1, rm);
  inf_optimizer_step_add_parameter(
      step, "route.system_prompt", p,
      (const char *const[]){ "If the text mentions 'grass', answer green.", NULL });
  run_step(opt, step);
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 0), ==,
                  "Answer with one of: red, green, blue.\nAnswer in lowercase.\n"
                  "If the text mentions 'lawn', answer green.\n"
                  "If the text mentions 'ocean', answer blue.");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(p);
  inf_optimizer_free(opt);
  inf_resource_manager_free(rm);
  inf_resources_config_free(config);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/sfa/order", Fixture, NULL, fixture_setup, test_order, fixture_teardown);
  g_test_add("/sfa/aggregate", Fixture, NULL, fixture_setup, test_aggregate, fixture_teardown);
  g_test_add("/sfa/empty-retries", Fixture, NULL, fixture_setup, test_empty_retries,
             fixture_teardown);
  g_test_add("/sfa/constraints", Fixture, NULL, fixture_setup, test_constraints, fixture_teardown);
  g_test_add("/sfa/mock-edit", Fixture, NULL, fixture_setup, test_mock_edit, fixture_teardown);
  return g_test_run();
}
