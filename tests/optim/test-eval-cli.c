/* inf-engine eval end to end on the mock's instruct mode: per-example
 * results in the dataset's order, the summary, bad dataset lines reported
 * with file:line and JSON path while the others are scored, --params, and
 * the exit statuses. */
#include <string.h>

#include "optim-cli.h"

#define PROMPT "Answer with one of: billing, technical. Answer in lowercase."

static const char data[] =
    "{\"id\": \"a\", \"input\": {\"ticket\": \"my billing is wrong\"}, \"target\": \"billing\"}\n"
    "{\"id\": \"b\", \"input\": {\"ticket\": \"the app crashes\"}, \"target\": \"technical\"}\n"
    "\n"
    "{\"id\": \"c\", \"input\": {\"ticket\": \"a technical problem\"}, \"target\": "
    "\"technical\"}\n"
    "{\"input\": {\"ticket\": \"no target\"}}\n"
    "not json\n"
    "{\"input\": {\"text\": \"wrong input name\"}, \"target\": \"billing\"}\n"
    "{\"input\": {\"ticket\": \"an object target\"}, \"target\": {\"a\": 1}}\n";

static void
test_eval_output(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-optim");
  g_autofree char *config = optim_cli_write_router(dir, PROMPT, "\"pass_score\": 0.5");
  g_autofree char *dataset = inf_test_write(dir, "data.jsonl", data);
  g_autofree char *metrics = g_build_filename(dir, "metrics.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = optim_cli_run(
      (const char *[]){ "eval", config, "--data", dataset, "--metrics-out", metrics, NULL }, &out,
      &err);
  /* some lines could not be scored: status 1, like `run` with failed inputs */
  g_assert_cmpint(status, ==, 1);
  g_autoptr(GPtrArray) parsed = inf_test_parse_lines(out);
  json_object **lines = (json_object **)parsed->pdata;
  guint n = parsed->len;
  g_assert_cmpuint(n, ==, 7);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint(json_object_get_int(inf_test_json_get(lines[i], "index")), ==, i);
  /* a: the label named in the input; b: no label, no rule: the first one */
  g_assert_cmpstr(inf_test_json_get_string(lines[0], "id"), ==, "a");
  g_assert_cmpstr(inf_test_json_get_string(lines[0], "outputs/queue"), ==, "billing");
  g_assert_cmpfloat(json_object_get_double(inf_test_json_get(lines[0], "score")), ==, 1.0);
  g_assert_true(json_object_get_boolean(inf_test_json_get(lines[0], "passed")));
  g_assert_cmpint(json_object_array_length(inf_test_json_get(lines[0], "feedback")), ==, 0);
  g_assert_cmpstr(inf_test_json_get_string(lines[1], "id"), ==, "b");
  g_assert_cmpfloat(json_object_get_double(inf_test_json_get(lines[1], "score")), ==, 0.0);
  g_assert_false(json_object_get_boolean(inf_test_json_get(lines[1], "passed")));
  g_assert_cmpstr(inf_test_json_get_string(lines[1], "feedback/0"), ==,
                  "expected 'technical', got 'billing'");
  g_assert_null(inf_test_json_get(lines[1], "errors"));
  g_assert_cmpstr(inf_test_json_get_string(lines[2], "outputs/queue"), ==, "technical");
  /* bad lines: an error naming file:line and the JSON path, no outputs */
  g_autofree char *l5 = g_strdup_printf("%s:5: target: missing", dataset);
  g_autofree char *l6 = g_strdup_printf("%s:6: invalid JSON", dataset);
  g_autofree char *l7 = g_strdup_printf("%s:7: input.ticket: missing", dataset);
  g_autofree char *l8 = g_strdup_printf("%s:8: target: the verifier", dataset);
  const char *expected[] = { l5, l6, l7, l8 };
  for (guint i = 3; i < 7; i++) {
    const char *message = inf_test_json_get_string(lines[i], "errors/input");
    g_assert_nonnull(message);
    g_assert_true(g_str_has_prefix(message, expected[i - 3]));
    g_assert_null(inf_test_json_get(lines[i], "outputs"));
    g_assert_false(json_object_get_boolean(inf_test_json_get(lines[i], "passed")));
    /* also a warning on stderr */
    inf_test_assert_contains(err, expected[i - 3]);
  }
  /* the summary: errors count as 0 in the mean */
  g_assert_nonnull(strstr(err, "7 examples, mean score 0.2857, pass rate 0.2857 (2/7 passed), "
                               "4 errors; 3 calls"));
  json_object *m = json_object_from_file(metrics);
  g_assert_nonnull(m);
  g_assert_cmpint(json_object_get_int(inf_test_json_get(m, "eval/examples")), ==, 7);
  g_assert_cmpint(json_object_get_int(inf_test_json_get(m, "eval/errors")), ==, 4);
  g_assert_cmpint(json_object_get_int(inf_test_json_get(m, "eval/passed")), ==, 2);
  g_assert_cmpfloat_with_epsilon(json_object_get_double(inf_test_json_get(m, "eval/mean_score")),
                                 2.0 / 7, 1e-9);
  g_assert_cmpint(json_object_get_int(inf_test_json_get(m, "aliases/fast/requests")), ==, 3);
  json_object_put(m);
  inf_test_rmdir(dir);
}

static void
test_eval_params(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-optim");
  g_autofree char *config = optim_cli_write_router(dir, PROMPT, "");
  g_autofree char *dataset =
      inf_test_write(dir, "data.jsonl",
                     "{\"input\": {\"ticket\": \"my billing is wrong\"}, \"target\": \"billing\"}\n"
                     "{\"input\": \"the app crashes\", \"target\": \"technical\"}\n");
  g_autofree char *params = inf_test_write(dir, "params.json",
                                           "{\"route.system_prompt\": \"" PROMPT
                                           " If the text mentions 'crashes', answer technical.\"}");
  g_autofree char *results = g_build_filename(dir, "results.jsonl", NULL);
  g_autofree char *out = NULL, *err = NULL;
  /* without: 1 of 2 passes (exit 0: every example was scored) */
  int status = optim_cli_run(
      (const char *[]){ "eval", config, "--data", dataset, "--output", results, NULL }, &out, &err);
  g_assert_cmpint(status, ==, 0);
  inf_test_assert_contains(err, "pass rate 0.5000 (1/2 passed), 0 errors");
  g_clear_pointer(&err, g_free);
  g_clear_pointer(&out, g_free);
  /* with the rule: both */
  status = optim_cli_run((const char *[]){ "eval", config, "--data", dataset, "--params", params,
                                           "--output", results, NULL },
                         &out, &err);
  g_assert_cmpint(status, ==, 0);
  inf_test_assert_contains(err, "pass rate 1.0000 (2/2 passed), 0 errors");
  g_autofree char *written = NULL;
  g_assert_true(g_file_get_contents(results, &written, NULL, NULL));
  inf_test_assert_contains(written, "\"outputs\":{\"queue\":\"technical\"}");
  inf_test_rmdir(dir);
}

static void
test_eval_usage(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-optim");
  g_autofree char *config = optim_cli_write_router(dir, PROMPT, "\"batch_size\": 0");
  g_autofree char *dataset = inf_test_write(dir, "data.jsonl", "");
  g_autofree char *err = NULL;
  /* a bad training block: status 2 with the JSON path */
  int status =
      optim_cli_run((const char *[]){ "eval", config, "--data", dataset, NULL }, NULL, &err);
  g_assert_cmpint(status, ==, 2);
  inf_test_assert_contains(
      err, "training.batch_size: 0 is out of range: expected a value from 1 to 100000");
  g_clear_pointer(&err, g_free);
  /* no --data */
  status = optim_cli_run((const char *[]){ "eval", config, NULL }, NULL, &err);
  g_assert_cmpint(status, ==, 2);
  inf_test_rmdir(dir);
}

/* The cache answers a second eval (no call); a budget stops one (status 3). */
static void
test_eval_cache_budget(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-optim");
  g_autofree char *config = optim_cli_write_router(dir, PROMPT, "");
  GString *lines = g_string_new(NULL);
  for (guint i = 0; i < 20; i++)
    g_string_append_printf(lines,
                           "{\"input\": \"ticket %u about billing\", \"target\": "
                           "\"billing\"}\n",
                           i);
  g_autofree char *dataset = inf_test_write(dir, "data.jsonl", lines->str);
  g_string_free(lines, TRUE);
  g_autofree char *cache = g_build_filename(dir, "cache.db", NULL);
  g_autofree char *metrics = g_build_filename(dir, "metrics.json", NULL);
  for (guint run = 0; run < 2; run++) {
    g_autofree char *err = NULL;
    g_assert_cmpint(
        optim_cli_run((const char *[]){ "eval", config, "--data", dataset, "--output", "/dev/null",
                                        "--cache", cache, "--metrics-out", metrics, NULL },
                      NULL, &err),
        ==, 0);
    inf_test_assert_contains(err, "pass rate 1.0000 (20/20 passed)");
    json_object *m = json_object_from_file(metrics);
    g_assert_cmpint(json_object_get_int(inf_test_json_get(m, "aliases/fast/requests")), ==,
                    run ? 0 : 20);
    g_assert_cmpint(json_object_get_int(inf_test_json_get(m, "cache/hits")), ==, run ? 20 : 0);
    json_object_put(m);
  }
  /* priced: $1000 per million input tokens; $0.05 is a few calls */
  g_autofree char *priced_text = optim_cli_router_config(PROMPT, "");
  g_auto(GStrv) parts = g_strsplit(priced_text, "\"mode\": \"instruct\"", 2);
  g_autofree char *priced =
      g_strjoinv("\"mode\": \"instruct\", \"input_cost_per_1m\": 1000", parts);
  g_autofree char *priced_config = inf_test_write(dir, "priced.json", priced);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(
      optim_cli_run((const char *[]){ "eval", priced_config, "--data", dataset, "--max-cost",
                                      "0.05", "--max-inflight", "1", NULL },
                    &out, &err),
      ==, 3);
  inf_test_assert_contains(err, "eval stopped by the budget");
  /* what was scored before the stop was written, in order */
  g_auto(GStrv) written = g_strsplit(out, "\n", -1);
  guint n = g_strv_length(written) - 1;
  g_assert_cmpuint(n, >, 0);
  g_assert_cmpuint(n, <, 20);
  g_assert_true(g_str_has_prefix(written[0], "{\"index\":0,"));
  inf_test_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/eval/output", test_eval_output);
  g_test_add_func("/eval/params", test_eval_params);
  g_test_add_func("/eval/usage", test_eval_usage);
  g_test_add_func("/eval/cache-budget", test_eval_cache_budget);
  return g_test_run();
}
