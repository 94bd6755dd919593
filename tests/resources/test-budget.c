/* InfBudget: reservations, settlement, exhaustion, warnings, the budget
 * block's parsing. */
#include <math.h>

#include "resources/budget.h"
#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

typedef struct {
  GString *lines;
} Warnings;

static void
on_warn(InfBudget *budget, const char *scope, const char *what, double fraction, double spent,
        double limit, gpointer user_data)
{
  (void)budget;
  Warnings *w = user_data;
  g_string_append_printf(w->lines, "%s %s %.2f %g/%g\n", scope, what, fraction, spent, limit);
}

static InfBudgetConfig *
parse(const char *text, GError **error)
{
  g_autoptr(json_object) json = json_tokener_parse(text);
  g_assert_nonnull(json);
  return inf_budget_config_parse(json, "r.json", "resources.budget", error);
}

static void
test_reserve_settle(void)
{
  InfBudgetLimits limits = { .max_cost = 10.0, .max_requests = -1, .max_tokens = -1 };
  g_autoptr(InfBudget) budget = inf_budget_new(NULL, &limits);
  InfBudgetAccount *account = inf_budget_get_account(budget, "fast");
  InfBudgetAmount four = { .cost = 4.0, .requests = 1, .tokens = 10 };
  g_assert_true(inf_budget_reserve(budget, account, &four));
  g_assert_true(inf_budget_reserve(budget, account, &four));
  InfBudgetAmount amount;
  inf_budget_get_reserved(budget, NULL, &amount);
  g_assert_cmpfloat(amount.cost, ==, 8.0);
  /* Settled for less: room for another. */
  InfBudgetAmount one = { .cost = 1.0, .requests = 1, .tokens = 3 };
  inf_budget_settle(budget, account, &four, &one);
  inf_budget_get_spent(budget, account, &amount);
  g_assert_cmpfloat(amount.cost, ==, 1.0);
  g_assert_cmpint(amount.requests, ==, 1);
  g_assert_cmpint(amount.tokens, ==, 3);
  g_assert_true(inf_budget_reserve(budget, account, &four)); /* 1 + 4 + 4 = 9 */
  g_assert_false(inf_budget_is_exhausted(budget));
  /* 9 + 4 > 10: refused, and from then on everything is. */
  g_assert_false(inf_budget_reserve(budget, account, &four));
  g_assert_true(inf_budget_is_exhausted(budget));
  g_assert_cmpstr(inf_budget_get_exhausted_reason(budget), ==,
                  "max_cost $10 (global): the next call needs $4, $1 left");
  InfBudgetAmount tiny = { .cost = 0.001, .requests = 1 };
  g_assert_false(inf_budget_reserve(budget, account, &tiny));
  /* Exactly at the limit fits. */
  g_autoptr(InfBudget) exact = inf_budget_new(NULL, &limits);
  InfBudgetAmount tenth = { .cost = 0.1, .requests = 1 };
  for (guint i = 0; i < 100; i++)
    g_assert_true(inf_budget_reserve(exact, NULL, &tenth));
  g_assert_false(inf_budget_reserve(exact, NULL, &tenth));
}

static void
test_warnings(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfBudgetConfig) config =
      parse("{\"max_requests\": 10, \"warn_at\": [0.8, 0.5, 0.5], "
            "\"aliases\": {\"smart\": {\"max_tokens\": 100, \"warn_at\": [0.9]}}}",
            &error);
  g_assert_no_error(error);
  g_autoptr(InfBudget) budget = inf_budget_new(config, NULL);
  Warnings w = { g_string_new(NULL) };
  inf_budget_set_warn_func(budget, on_warn, &w);
  InfBudgetAccount *fast = inf_budget_get_account(budget, "fast");
  InfBudgetAccount *smart = inf_budget_get_account(budget, "smart");
  InfBudgetAmount call = { .cost = 0, .requests = 1, .tokens = 10 };
  for (guint i = 0; i < 9; i++) {
    g_assert_true(inf_budget_reserve(budget, i % 2 ? smart : fast, &call));
    inf_budget_settle(budget, i % 2 ? smart : fast, &call, &call);
  }
  /* The global 50% and 80% once each; smart has 4 calls, 40 tokens: none. */
  g_assert_cmpstr(w.lines->str, ==,
                  "global max_requests 0.50 5/10\n"
                  "global max_requests 0.80 8/10\n");
  InfBudgetAmount big = { .cost = 0, .requests = 0, .tokens = 55 };
  inf_budget_add_spent(budget, smart, &big);
  g_assert_true(g_str_has_suffix(w.lines->str, "smart max_tokens 0.90 95/100\n"));
  g_string_free(w.lines, TRUE);
  g_autoptr(json_object) json = inf_budget_to_json(budget);
  g_assert_cmpstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), ==,
                  "{\"limits\":{\"max_requests\":10},\"spent\":{\"cost\":0.0,\"requests\":9,"
                  "\"tokens\":145},\"exhausted\":false,\"aliases\":{\"fast\":{\"limits\":{},"
                  "\"spent\":{\"cost\":0.0,\"requests\":5,\"tokens\":50}},\"smart\":{\"limits\":"
                  "{\"max_tokens\":100},\"spent\":{\"cost\":0.0,\"requests\":4,\"tokens\":95}}}}");
}

static void
test_alias_limit(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfBudgetConfig) config =
      parse("{\"aliases\": {\"smart\": {\"max_requests\": 1}}}", &error);
  g_assert_no_error(error);
  g_assert_true(inf_budget_config_has_limits(config));
  InfBudgetLimits cli = { .max_cost = -1, .max_requests = 5, .max_tokens = -1 };
  g_autoptr(InfBudget) budget = inf_budget_new(config, &cli);
  InfBudgetAmount call = { .requests = 1 };
  g_assert_true(inf_budget_reserve(budget, inf_budget_get_account(budget, "smart"), &call));
  g_assert_false(inf_budget_reserve(budget, inf_budget_get_account(budget, "smart"), &call));
  g_assert_cmpstr(inf_budget_get_exhausted_reason(budget), ==,
                  "max_requests 1 (smart): the next call needs 1, 0 left");
}

static void
test_estimate(void)
{
  g_autoptr(InfLlmRequest) request = inf_llm_request_new();
  inf_llm_request_set_system(request, "abcdef");           /* 6 bytes */
  inf_llm_request_add_message(request, "user", "1234567"); /* 7 bytes: 13 → 5 tokens */
  InfBudgetAmount amount;
  inf_budget_estimate_request(request, 100, 1e6, 2e6, &amount);
  g_assert_cmpint(amount.requests, ==, 1);
  g_assert_cmpint(amount.tokens, ==, 105);
  g_assert_cmpfloat_with_epsilon(amount.cost, 5 + 200, 1e-9);
  inf_llm_request_set_max_tokens(request, 7);
  inf_budget_estimate_request(request, 100, 1e6, 2e6, &amount);
  g_assert_cmpint(amount.tokens, ==, 12);
  g_assert_cmpint(inf_budget_estimate_tokens(0), ==, 0);
  g_assert_cmpint(inf_budget_estimate_tokens(3), ==, 1);
  g_assert_cmpint(inf_budget_estimate_tokens(4), ==, 2);
}

static void
test_parse_errors(void)
{
  const char *const cases[][2] = {
    { "[]", "r.json: resources.budget: expected a budget object" },
    { "{\"max_cost\": \"5\"}",
      "r.json: resources.budget.max_cost: expected a number, got string \"5\"" },
    { "{\"max_tokens\": -1}",
      "r.json: resources.budget.max_tokens: expected an integer >= 0, got -1" },
    { "{\"warn_at\": 0.5}", "r.json: resources.budget.warn_at: expected a list of fractions" },
    { "{\"warn_at\": [0]}", "r.json: resources.budget.warn_at[0]: expected a fraction in (0, 1]" },
    { "{\"default_max_tokens\": 0}",
      "r.json: resources.budget.default_max_tokens: expected an integer >= 1" },
    { "{\"aliases\": []}", "r.json: resources.budget.aliases: expected an object mapping aliases" },
    { "{\"aliases\": {\"a\": {\"on_exhausted\": 1}}}",
      "r.json: resources.budget.aliases.a.on_exhausted: unknown option; valid options: max_cost" },
    { "{\"bogus\": 1}",
      "r.json: resources.budget.bogus: unknown option; valid options: aliases, default_max_tokens, "
      "max_cost, max_requests, max_tokens, warn_at" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(InfBudgetConfig) config = parse(cases[i][0], &error);
    g_assert_null(config);
    inf_test_assert_error_prefix(error, INF_ERROR, INF_ERROR_CONFIG, i, cases[i][1]);
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(InfBudgetConfig) config = parse("{\"warn_at\": [1]}", &error);
  g_assert_no_error(error);
  g_assert_false(inf_budget_config_has_limits(config));
}

/* The block's fields through the options code: defaults, accepted values
 * (whole numbers written as decimals too), and errors naming the file and
 * the JSON path. */
static void
test_fields(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfBudgetConfig) none = parse("{}", &error);
  g_assert_no_error(error);
  g_assert_false(inf_budget_config_has_limits(none));
  g_assert_cmpfloat(none->limits.max_cost, <, 0);
  g_assert_cmpint(none->limits.max_requests, <, 0);
  g_assert_cmpint(none->limits.max_tokens, <, 0);
  g_assert_cmpint(none->default_max_tokens, ==, 4096);
  g_assert_cmpuint(none->warn_at->len, ==, 0);
  g_assert_cmpuint(none->aliases->len, ==, 0);

  g_autoptr(InfBudgetConfig) config =
      parse("{\"max_cost\": 0, \"max_requests\": 1e3, \"max_tokens\": 2.0, \"warn_at\": [0.8, "
            "0.5, 0.8], \"default_max_tokens\": 1, \"aliases\": {\"a\": {\"max_tokens\": 7}, "
            "\"b\": {\"warn_at\": [1]}}}",
            &error);
  g_assert_no_error(error);
  g_assert_cmpfloat(config->limits.max_cost, ==, 0);
  g_assert_cmpint(config->limits.max_requests, ==, 1000);
  g_assert_cmpint(config->limits.max_tokens, ==, 2);
  g_assert_cmpuint(config->warn_at->len, ==, 2);
  g_assert_cmpfloat(g_array_index(config->warn_at, double, 0), ==, 0.5);
  g_assert_cmpint(config->default_max_tokens, ==, 1);
  const InfBudgetAliasConfig *a = inf_budget_config_lookup(config, "a");
  g_assert_cmpint(a->limits.max_tokens, ==, 7);
  g_assert_cmpint(a->limits.max_requests, <, 0);
  g_assert_cmpfloat(a->limits.max_cost, <, 0);
  g_assert_null(a->warn_at);
  const InfBudgetAliasConfig *b = inf_budget_config_lookup(config, "b");
  g_assert_cmpuint(b->warn_at->len, ==, 1);

  const char *const cases[][2] = {
    { "{\"max_cost\": -0.5}",
      "r.json: resources.budget.max_cost: expected a number >= 0, got -0.5" },
    { "{\"max_requests\": \"10\"}",
      "r.json: resources.budget.max_requests: expected an integer, got string \"10\"" },
    { "{\"max_requests\": 1.5}",
      "r.json: resources.budget.max_requests: expected an integer, got number 1.5" },
    { "{\"max_tokens\": true}",
      "r.json: resources.budget.max_tokens: expected an integer, got boolean true" },
    { "{\"default_max_tokens\": 0}",
      "r.json: resources.budget.default_max_tokens: expected an integer >= 1, got 0" },
    { "{\"default_max_tokens\": null}",
      "r.json: resources.budget.default_max_tokens: expected an integer, got null" },
    { "{\"aliases\": {\"a\": {\"max_requests\": -1}}}",
      "r.json: resources.budget.aliases.a.max_requests: expected an integer >= 0, got -1" },
    { "{\"aliases\": {\"a\": {\"max_cost\": \"1\"}}}",
      "r.json: resources.budget.aliases.a.max_cost: expected a number, got string \"1\"" },
    { "{\"aliases\": {\"a\": {\"warn_at\": [2]}}}",
      "r.json: resources.budget.aliases.a.warn_at[0]: expected a fraction in (0, 1], got 2" },
    { "{\"aliases\": {\"a\": {\"default_max_tokens\": 5}}}",
      "r.json: resources.budget.aliases.a.default_max_tokens: unknown option; valid options: "
      "max_cost, max_requests, max_tokens, warn_at" },
    { "{\"aliases\": {\"a\": 5}}",
      "r.json: resources.budget.aliases.a: expected an object of limits" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) local = NULL;
    g_autoptr(InfBudgetConfig) bad = parse(cases[i][0], &local);
    g_assert_null(bad);
    g_assert_error(local, INF_ERROR, INF_ERROR_CONFIG);
    if (!g_str_has_prefix(local->message, cases[i][1]))
      g_error("case %u: %s", i, local->message);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/budget/reserve-settle", test_reserve_settle);
  g_test_add_func("/budget/warnings", test_warnings);
  g_test_add_func("/budget/alias-limit", test_alias_limit);
  g_test_add_func("/budget/estimate", test_estimate);
  g_test_add_func("/budget/parse-errors", test_parse_errors);
  g_test_add_func("/budget/fields", test_fields);
  return g_test_run();
}
