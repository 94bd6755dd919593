/* Spend budgets end to end: `inf-engine run` (a subprocess) against the
 * loopback fake server, whose usage is known exactly: a prompt of 12 bytes
 * ("aaaaaaaaaaaa", no system prompt) is 13 bytes of text at the fake (the
 * message and a newline), 4 input tokens; the reply "echo: aaaaaaaaaaaa" is
 * 18 bytes, 5 output tokens. At $1 per input token and $2 per output token a
 * call costs exactly $14. The engine reserves ceil(12 / 3) = 4 input tokens
 * plus the reply's max_tokens: with max_tokens 5 the reservation is exactly
 * the charge ($14); without it, default_max_tokens. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

#define PROMPT "aaaaaaaaaaaa"
#define CALL_COST 14.0

typedef InfTestServerFixture Fixture;

typedef struct {
  int status;
  char *log;            /* stderr */
  guint n_lines;        /* output lines */
  json_object *metrics; /* the metrics file, or NULL */
} Run;

#define fixture_set_up inf_test_server_fixture_set_up
#define fixture_tear_down inf_test_server_fixture_tear_down

static void
run_clear(Run *r)
{
  g_free(r->log);
  if (r->metrics)
    json_object_put(r->metrics);
  memset(r, 0, sizeof *r);
}

/* An endpoint at the fake: $1 per input token, $2 per output token. */
static char *
endpoint(Fixture *f, guint max_concurrent)
{
  return g_strdup_printf("{\"provider\": \"openai\", \"model\": \"m\", \"base_url\": \"%s/v1\", "
                         "\"max_concurrent\": %u, \"retry_delay\": 0.01, "
                         "\"input_cost_per_1m\": 1000000, \"output_cost_per_1m\": 2000000}",
                         inf_fake_llm_get_base_url(f->fake), max_concurrent);
}

/* A config whose graph calls each of @aliases once per input, in a chain
 * (node 0 calls @aliases[0] with the input text, node i calls @aliases[i]
 * with node i-1's reply), with @budget (JSON or NULL) and
 * @max_tokens (0: unset) on every llm module. */
static char *
write_config(Fixture *f, const char *const *aliases, guint max_concurrent, const char *budget,
             guint max_tokens)
{
  g_autofree char *ep = endpoint(f, max_concurrent);
  GString *s = g_string_new("{\"resources\": {");
  if (budget)
    g_string_append_printf(s, "\"budget\": %s, ", budget);
  g_string_append(s, "\"endpoints\": {");
  for (guint i = 0; aliases[i]; i++)
    g_string_append_printf(s, "%s\"%s\": %s", i ? ", " : "", aliases[i], ep);
  g_string_append(s, "}}, \"main\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {");
  for (guint i = 0; aliases[i]; i++) {
    /* Replies cut at max_tokens (a chained reply grows) are kept. */
    g_string_append_printf(s,
                           "%s\"n%u\": {\"module\": {\"type\": \"llm\", \"alias\": \"%s\", "
                           "\"on_incomplete\": \"accept\"",
                           i ? ", " : "", i, aliases[i]);
    if (max_tokens)
      g_string_append_printf(s, ", \"max_tokens\": %u", max_tokens);
    if (i == 0)
      g_string_append(s, "}, \"args\": [\"$text\"]}");
    else
      g_string_append_printf(s, "}, \"args\": [\"$n%u\"]}", i - 1);
  }
  g_string_append(s, "}, \"outputs\": {");
  for (guint i = 0; aliases[i]; i++)
    g_string_append_printf(s, "%s\"o%u\": \"$n%u\"", i ? ", " : "", i, i);
  g_string_append(s, "}}}");
  char *path = inf_test_write(f->dir, "config.json", s->str);
  g_string_free(s, TRUE);
  return path;
}

static char *
write_inputs(Fixture *f, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append(s, "{\"text\": \"" PROMPT "\"}\n");
  char *path = inf_test_write(f->dir, "inputs.jsonl", s->str);
  g_string_free(s, TRUE);
  return path;
}

/* Runs `inf-engine run CONFIG --input INPUTS --output DIR/out.jsonl
 * --metrics-out DIR/metrics.json EXTRA...` while the fake serves here. */
static void
run_engine(Fixture *f, const char *config, const char *inputs, const char *const *extra, Run *r)
{
  memset(r, 0, sizeof *r);
  g_autofree char *output = g_build_filename(f->dir, "out.jsonl", NULL);
  g_autofree char *metrics = g_build_filename(f->dir, "metrics.json", NULL);
  if (!(extra && g_strv_contains(extra, "--resume")))
    g_remove(output); /* a resumed run continues it */
  g_remove(metrics);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *fixed[] = { "run",  config,          "--input", inputs,   "--output",
                          output, "--metrics-out", metrics,   "--quiet" };
  for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
    g_ptr_array_add(argv, (gpointer)fixed[i]);
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add(argv, (gpointer)extra[i]);
  g_ptr_array_add(argv, NULL);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run(&run, NULL, (const char *const *)argv->pdata);
  r->status = run.status;
  r->log = g_steal_pointer(&run.err);

  g_autofree char *text = inf_test_read(output);
  for (const char *p = text; p != NULL && (p = strchr(p, '\n')); p++)
    r->n_lines++;
  g_autofree char *metrics_text = inf_test_read(metrics);
  if (metrics_text != NULL)
    r->metrics = json_tokener_parse(metrics_text);
}

/* metrics.budget[.aliases.ALIAS].spent.FIELD as a double. */
static double
spent(Run *r, const char *alias, const char *field)
{
  g_assert_nonnull(r->metrics);
  g_autofree char *path = alias != NULL
                              ? g_strdup_printf("budget/aliases/%s/spent/%s", alias, field)
                              : g_strdup_printf("budget/spent/%s", field);
  json_object *value = inf_test_json_get(r->metrics, path);
  g_assert_nonnull(value);
  return json_object_get_double(value);
}

static guint
count_substr(const char *text, const char *needle)
{
  guint n = 0;
  for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

static const char *const one_alias[] = { "fast", NULL };

/* Reservations equal to the charges, one call at a time: $50 buys three
 * $14 calls (the fourth would need $56); the run stops with status 3, writes
 * the three finished inputs and says how to continue. */
static void
test_stop(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_config(f, one_alias, 1, NULL, 5);
  g_autofree char *inputs = write_inputs(f, 10);
  Run r;
  const char *extra[] = { "--max-cost", "50", NULL };
  run_engine(f, config, inputs, extra, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(r.n_lines, ==, 3);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 3);
  g_assert_cmpfloat_with_epsilon(spent(&r, NULL, "cost"), 3 * CALL_COST, 1e-9);
  g_assert_cmpfloat(spent(&r, NULL, "cost"), <=, 50.0);
  inf_test_assert_contains_all(r.log, "budget exhausted: max_cost $50 (global)",
                               "3 inputs written, 7 unfinished", "to continue");
  json_object *exhausted = inf_test_json_get(r.metrics, "run/budget_exhausted");
  g_assert_nonnull(exhausted);
  g_assert_true(json_object_get_boolean(exhausted));
  run_clear(&r);

  /* A limit the run fits in: everything done, status 0. */
  inf_fake_llm_reset_stats(f->fake);
  const char *enough[] = { "--max-cost", "140", NULL };
  run_engine(f, config, inputs, enough, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.n_lines, ==, 10);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 10);
  g_assert_cmpfloat_with_epsilon(spent(&r, NULL, "cost"), 10 * CALL_COST, 1e-9);
  g_assert_null(strstr(r.log, "budget exhausted"));
  run_clear(&r);
}

/* Reservations smaller than the charges (default_max_tokens 1: $6 reserved,
 * $14 charged), four calls in flight: the four fit $30 when they start; the
 * first to finish leaves too little for a fifth. The overspend is bounded by
 * what was in flight: 4 calls, $56 in all. */
static void
test_in_flight_bound(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_config(f, one_alias, 4, "{\"default_max_tokens\": 1}", 0);
  g_autofree char *inputs = write_inputs(f, 20);
  Run r;
  const char *extra[] = { "--max-cost", "30", NULL };
  run_engine(f, config, inputs, extra, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 4);
  g_assert_cmpuint(r.n_lines, ==, 4);
  g_assert_cmpfloat_with_epsilon(spent(&r, NULL, "cost"), 4 * CALL_COST, 1e-9);
  g_assert_cmpfloat(spent(&r, NULL, "cost"), <=, 30.0 + 4 * CALL_COST);
  run_clear(&r);
}

/* One warning line at each warn_at fraction, and none twice. */
static void
test_warnings(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config =
      write_config(f, one_alias, 2, "{\"max_requests\": 10, \"warn_at\": [0.8, 0.5]}", 5);
  g_autofree char *inputs = write_inputs(f, 10);
  Run r;
  run_engine(f, config, inputs, NULL, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.n_lines, ==, 10);
  g_assert_cmpuint(count_substr(r.log, "budget warning"), ==, 2);
  g_assert_cmpuint(count_substr(r.log, "budget warning: 50% of max_requests 10 used: 5\n"), ==, 1);
  g_assert_cmpuint(count_substr(r.log, "budget warning: 80% of max_requests 10 used: 8\n"), ==, 1);
  run_clear(&r);
}

/* A limit on one alias stops the run when that alias runs out. */
static void
test_per_alias(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *const aliases[] = { "cheap", "dear", NULL };
  g_autofree char *config =
      write_config(f, aliases, 1, "{\"aliases\": {\"dear\": {\"max_requests\": 2}}}", 5);
  g_autofree char *inputs = write_inputs(f, 5);
  Run r;
  run_engine(f, config, inputs, NULL, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(r.n_lines, ==, 2);
  g_assert_cmpfloat(spent(&r, "dear", "requests"), ==, 2);
  g_assert_cmpfloat(spent(&r, "cheap", "requests"), >=, 2);
  g_assert_cmpfloat(spent(&r, NULL, "requests"), ==,
                    spent(&r, "dear", "requests") + spent(&r, "cheap", "requests"));
  inf_test_assert_contains(r.log, "max_requests 2 (dear)");
  run_clear(&r);
}

/* Retries count as requests; the failed attempt (HTTP 500) costs nothing. */
static void
test_retries_count(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_fake_llm_push_script(f->fake, "500", &error));
  g_autofree char *config = write_config(f, one_alias, 1, NULL, 5);
  g_autofree char *inputs = write_inputs(f, 2);
  Run r;
  const char *extra[] = { "--max-requests", "2", NULL };
  run_engine(f, config, inputs, extra, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(r.n_lines, ==, 1);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 2);
  g_assert_cmpfloat(spent(&r, NULL, "requests"), ==, 2);
  g_assert_cmpfloat_with_epsilon(spent(&r, NULL, "cost"), CALL_COST, 1e-9);
  run_clear(&r);
}

/* Limits that contradict themselves are usage or config errors (status 2),
 * before any call. */
static void
test_bad_limits(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_config(f, one_alias, 1, NULL, 5);
  g_autofree char *inputs = write_inputs(f, 1);
  const char *const bad[][3] = {
    { "--max-cost", "-1", "--max-cost takes an amount in USD" },
    { "--max-cost", "nan", "--max-cost takes an amount in USD" },
    { "--max-cost", "inf", "--max-cost takes an amount in USD" },
    { "--max-cost", "1.5x", "--max-cost takes an amount in USD" },
    { "--max-requests", "-1", "--max-requests takes a whole number" },
    { "--max-requests", "2.5", "--max-requests takes a whole number" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    Run r;
    g_autofree char *flag = g_strdup_printf("%s=%s", bad[i][0], bad[i][1]);
    const char *extra[] = { flag, NULL };
    run_engine(f, config, inputs, extra, &r);
    g_assert_cmpint(r.status, ==, 2);
    inf_test_assert_contains(r.log, bad[i][2]);
    run_clear(&r);
  }
  const char *const bad_blocks[][2] = {
    { "{\"max_cost\": -2}", "resources.budget.max_cost: expected a number >= 0" },
    { "{\"max_requests\": 1.5}",
      "resources.budget.max_requests: expected an integer, got number 1.5" },
    { "{\"warn_at\": [0.5, 1.5]}", "resources.budget.warn_at[1]: expected a fraction in (0, 1]" },
    { "{\"max_cost\": 1, \"limit\": 2}",
      "resources.budget.limit: unknown option; valid options: aliases" },
    { "{\"aliases\": {\"nope\": {\"max_cost\": 1}}}",
      "resources.budget.aliases.nope: unknown alias 'nope'; known aliases: fast" },
    { "{\"aliases\": {\"fast\": {\"max_cost\": \"1\"}}}",
      "resources.budget.aliases.fast.max_cost: expected a number, got string \"1\"" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad_blocks); i++) {
    g_autofree char *bad_config = write_config(f, one_alias, 1, bad_blocks[i][0], 5);
    Run r;
    run_engine(f, bad_config, inputs, NULL, &r);
    g_assert_cmpint(r.status, ==, 2);
    inf_test_assert_contains(r.log, bad_blocks[i][1]);
    run_clear(&r);
  }
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 0);
}

/* The outputs of DIR/out.jsonl by index (each exactly once), as compact
 * JSON. */
static GPtrArray *
outputs_by_index(Fixture *f)
{
  g_autofree char *path = g_build_filename(f->dir, "out.jsonl", NULL);
  g_autofree char *text = inf_test_read(path);
  g_assert_nonnull(text);
  g_autoptr(GPtrArray) lines = inf_test_parse_lines_by_index(text);
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < lines->len; i++) {
    json_object *line = g_ptr_array_index(lines, i);
    g_ptr_array_add(out, line != NULL
                             ? g_strdup(json_object_to_json_string_ext(
                                   json_object_object_get(line, "outputs"), JSON_C_TO_STRING_PLAIN))
                             : NULL);
  }
  return out;
}

/* A run stopped by its budget with a checkpoint, resumed with a higher
 * limit: it finishes, repeats no completed call, and its output equals an
 * unbudgeted run's; the journaled spend counts toward the limit. */
static void
test_resume(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *const aliases[] = { "cheap", "dear", NULL };
  g_autofree char *config = write_config(f, aliases, 2, NULL, 5);
  g_autofree char *inputs = write_inputs(f, 8);
  Run r;
  run_engine(f, config, inputs, NULL, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 16);
  g_autoptr(GPtrArray) expected = outputs_by_index(f);
  g_assert_cmpuint(expected->len, ==, 8);
  run_clear(&r);

  inf_fake_llm_reset_stats(f->fake);
  g_autofree char *ckpt = g_build_filename(f->dir, "run.ckpt", NULL);
  const char *stop[] = { "--checkpoint", ckpt, "--max-requests", "7", NULL };
  run_engine(f, config, inputs, stop, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 7);
  g_assert_cmpuint(r.n_lines, <, 8);
  inf_test_assert_contains_all(r.log, "their completed calls are journaled",
                               "to continue the run:", "--resume");
  run_clear(&r);

  /* The limits cap the whole run: resumed with the same one, it stops at
   * once, sending nothing. */
  const char *same[] = { "--checkpoint", ckpt, "--resume", "--max-requests", "7", NULL };
  run_engine(f, config, inputs, same, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 7);
  g_assert_cmpfloat(spent(&r, NULL, "requests"), ==, 7);
  run_clear(&r);

  const char *resume[] = { "--checkpoint", ckpt, "--resume", "--max-requests", "16", NULL };
  run_engine(f, config, inputs, resume, &r);
  g_assert_cmpint(r.status, ==, 0);
  /* The 7 calls made before are not made again; the budget counted them. */
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 16);
  g_assert_cmpfloat(spent(&r, NULL, "requests"), ==, 16);
  g_autoptr(GPtrArray) got = outputs_by_index(f);
  g_assert_cmpuint(got->len, ==, 8);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpstr(g_ptr_array_index(got, i), ==, g_ptr_array_index(expected, i));
  run_clear(&r);
}

/* Cache hits neither reserve nor count: a run that the response cache
 * answers entirely passes under --max-requests 0 and --max-cost 0, spending
 * nothing; a miss under the same limits is refused. */
static void
test_cache_hits_free(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = write_config(f, one_alias, 2, NULL, 5);
  g_autofree char *inputs = write_inputs(f, 5);
  g_autofree char *cache = g_build_filename(f->dir, "replies.db", NULL);
  Run r;
  const char *fill[] = { "--cache", cache, NULL };
  run_engine(f, config, inputs, fill, &r);
  g_assert_cmpint(r.status, ==, 0);
  guint64 upstream = inf_test_fake_requests(f->fake);
  g_assert_cmpuint(upstream, >=, 1);
  run_clear(&r);

  const char *hits[] = { "--cache", cache, "--max-requests", "0", "--max-cost", "0", NULL };
  run_engine(f, config, inputs, hits, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(r.n_lines, ==, 5);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, upstream);
  g_assert_cmpfloat(spent(&r, NULL, "requests"), ==, 0);
  g_assert_cmpfloat(spent(&r, NULL, "cost"), ==, 0);
  g_assert_null(strstr(r.log, "budget exhausted"));
  run_clear(&r);

  /* A request the cache does not hold is refused before it is sent. */
  g_autofree char *other =
      inf_test_write(f->dir, "other.jsonl", "{\"text\": \"not cached yet\"}\n");
  run_engine(f, config, other, hits, &r);
  g_assert_cmpint(r.status, ==, 3);
  g_assert_cmpuint(r.n_lines, ==, 0);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, upstream);
  run_clear(&r);
}

/* --- estimate ------------------------------------------------------------ */

/* `inf-engine estimate ARGS...` (NULL-terminated). */
static void
run_estimate(const char *const *args, InfTestRun *e)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer) "estimate");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, NULL);
  inf_test_engine_run(e, NULL, (const char *const *)argv->pdata);
}

/* aliases.ALIAS.FIELD (total.FIELD when @alias is NULL) of an estimate. */
static double
estimate_get(json_object *root, const char *alias, const char *field)
{
  g_autofree char *path = alias != NULL ? g_strdup_printf("aliases/%s/%s", alias, field)
                                        : g_strdup_printf("total/%s", field);
  json_object *value = inf_test_json_get(root, path);
  g_assert_nonnull(value);
  return json_object_get_double(value);
}

/* The estimate's call counts equal a real run's; its tokens and cost follow
 * the documented rule exactly: node 0 gets the 12-byte prompt (4 tokens) and
 * may reply 5 tokens; node 1 gets that reply, counted as 5 tokens (15 bytes),
 * and may reply 5. Nothing is called. */
static void
test_estimate(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *const aliases[] = { "cheap", "dear", NULL };
  g_autofree char *config =
      write_config(f, aliases, 2, "{\"max_cost\": 200, \"max_requests\": 10}", 5);
  g_autofree char *inputs = write_inputs(f, 5);
  const char *args[] = { config, "--input", inputs, "--json", NULL };
  g_auto(InfTestRun) e = { 0 };
  run_estimate(args, &e);
  g_assert_cmpint(e.status, ==, 0);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 0);
  g_autoptr(json_object) json = json_tokener_parse(e.out);
  g_assert_nonnull(json);
  g_assert_cmpfloat(estimate_get(json, "cheap", "calls"), ==, 5);
  g_assert_cmpfloat(estimate_get(json, "cheap", "calls_per_input"), ==, 1);
  g_assert_cmpfloat(estimate_get(json, "cheap", "input_tokens"), ==, 5 * 4);
  g_assert_cmpfloat(estimate_get(json, "cheap", "output_tokens"), ==, 5 * 5);
  g_assert_cmpfloat_with_epsilon(estimate_get(json, "cheap", "cost"), 5 * CALL_COST, 1e-9);
  g_assert_cmpfloat(estimate_get(json, "dear", "input_tokens"), ==, 5 * 5);
  g_assert_cmpfloat_with_epsilon(estimate_get(json, "dear", "cost"), 5 * 15.0, 1e-9);
  g_assert_cmpfloat(estimate_get(json, NULL, "calls"), ==, 10);
  inf_test_run_clear(&e);

  /* The same run makes exactly the estimated calls. */
  Run r;
  run_engine(f, config, inputs, NULL, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 10);
  run_clear(&r);

  /* Text: a row per alias and the total; the budget compared; a line that
   * is not an input counted apart. */
  g_autofree char *more = inf_test_write(f->dir, "more.jsonl",
                                         "{\"text\": \"" PROMPT "\"}\nnot json\n\n"
                                         "{\"other\": 1}\n");
  const char *text_args[] = { config, "-i", more, NULL };
  run_estimate(text_args, &e);
  g_assert_cmpint(e.status, ==, 0);
  g_assert_true(g_str_has_prefix(e.out, "3 inputs (2 not valid: no calls)\n"));
  inf_test_assert_contains_all(e.out, "\ncheap ", "\ntotal ",
                               "budget: max_cost $200: the estimate ($29.0000) fits\n",
                               "budget: max_requests 10: the estimate (2 calls, without "
                               "retries) fits\n");
  inf_test_run_clear(&e);

  /* --resources replaces the prices: $0 input, $1 per output token. */
  g_autofree char *resources = inf_test_write(
      f->dir, "resources.json",
      "{\"endpoints\": {\"cheap\": {\"provider\": \"mock\", \"output_cost_per_1m\": 1000000}, "
      "\"dear\": {\"provider\": \"mock\"}}}");
  const char *swapped[] = { config, "--input", inputs, "--json", "--resources", resources, NULL };
  run_estimate(swapped, &e);
  g_assert_cmpint(e.status, ==, 0);
  g_autoptr(json_object) json_swapped = json_tokener_parse(e.out);
  g_assert_cmpfloat_with_epsilon(estimate_get(json_swapped, "cheap", "cost"), 5 * 5.0, 1e-9);
  g_assert_cmpfloat(estimate_get(json_swapped, "dear", "cost"), ==, 0);
  inf_test_run_clear(&e);

  /* Without max_tokens: default_max_tokens is the reply size. */
  g_autofree char *config2 = write_config(f, one_alias, 1, "{\"default_max_tokens\": 7}", 0);
  const char *args2[] = { config2, "--input", inputs, "--json", NULL };
  run_estimate(args2, &e);
  g_assert_cmpint(e.status, ==, 0);
  g_autoptr(json_object) json2 = json_tokener_parse(e.out);
  g_assert_cmpfloat(estimate_get(json2, "fast", "output_tokens"), ==, 5 * 7);
  inf_test_run_clear(&e);

  /* A switch: every case is counted, an upper bound of the run's calls. */
  g_autofree char *ep = endpoint(f, 2);
  g_autofree char *routed = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"cheap\": %s, \"dear\": %s}}, \"main\": {\"type\": "
      "\"graph\", \"inputs\": [\"text\"], \"nodes\": {"
      "\"n0\": {\"module\": {\"type\": \"llm\", \"alias\": \"cheap\", \"max_tokens\": 5}, "
      "\"args\": [\"$text\"]}, "
      "\"route\": {\"switch\": \"$n0\", \"cases\": [{\"match\": \"never\", \"module\": "
      "{\"type\": \"llm\", \"alias\": \"dear\", \"max_tokens\": 5}, \"args\": [\"$text\"]}], "
      "\"default\": {\"module\": {\"type\": \"llm\", \"alias\": \"cheap\", \"max_tokens\": 5}, "
      "\"args\": [\"$text\"]}}}, \"outputs\": \"$route\"}}",
      ep, ep);
  g_autofree char *routed_path = inf_test_write(f->dir, "routed.json", routed);
  const char *routed_args[] = { routed_path, "--input", inputs, "--json", NULL };
  run_estimate(routed_args, &e);
  g_assert_cmpint(e.status, ==, 0);
  g_autoptr(json_object) json3 = json_tokener_parse(e.out);
  g_assert_nonnull(json3);
  g_assert_true(json_object_get_boolean(json_object_object_get(json3, "upper_bound")));
  g_assert_cmpfloat(estimate_get(json3, "cheap", "calls"), ==, 10);
  g_assert_cmpfloat(estimate_get(json3, "dear", "calls"), ==, 5);
  inf_test_run_clear(&e);
  const char *routed_text[] = { routed_path, "--input", inputs, NULL };
  run_estimate(routed_text, &e);
  inf_test_assert_contains(e.out, "the calls of every case are counted (an upper bound)");
  inf_test_run_clear(&e);
  inf_fake_llm_reset_stats(f->fake);
  run_engine(f, routed_path, inputs, NULL, &r);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 10); /* the default case: cheap twice */
  run_clear(&r);

  /* A usage error and a config error: 2, like run's. */
  const char *no_input[] = { config, NULL };
  run_estimate(no_input, &e);
  g_assert_cmpint(e.status, ==, 2);
  inf_test_assert_contains(e.err, "--input FILE is required");
  inf_test_run_clear(&e);
  g_autofree char *broken = inf_test_write(f->dir, "broken.json", "{\"main\": \"nope\"}");
  const char *bad_config[] = { broken, "--input", inputs, NULL };
  run_estimate(bad_config, &e);
  g_assert_cmpint(e.status, ==, 2);
  inf_test_assert_contains(e.err, "unknown module 'nope'");
  inf_test_run_clear(&e);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 10);
}

/* run refuses, before the first call, a config whose template placeholder
 * no argument supplies (status 2, the JSON path, nothing sent). */
static void
test_validate_before_run(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *ep = endpoint(f, 1);
  g_autofree char *text = g_strdup_printf(
      "{\"resources\": {\"endpoints\": {\"fast\": %s}}, \"main\": {\"type\": \"graph\", "
      "\"inputs\": [\"text\"], \"nodes\": {"
      "\"ask\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": [\"$text\"]}, "
      "\"note\": {\"module\": {\"type\": \"template\", \"template\": \"{answer}: {question}\"}, "
      "\"args\": {\"answer\": \"$ask\", \"text\": \"$text\"}}}, \"outputs\": \"$note\"}}",
      ep);
  g_autofree char *config = inf_test_write(f->dir, "config.json", text);
  g_autofree char *inputs = write_inputs(f, 3);
  Run r;
  run_engine(f, config, inputs, NULL, &r);
  g_assert_cmpint(r.status, ==, 2);
  inf_test_assert_contains(r.log, "main.nodes.note.args: template placeholder {question} has no "
                                  "argument named 'question' (available: answer, text;");
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 0);
  g_assert_cmpuint(r.n_lines, ==, 0);
  run_clear(&r);
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "stop", test_stop },
  { "in-flight-bound", test_in_flight_bound },
  { "warnings", test_warnings },
  { "per-alias", test_per_alias },
  { "retries-count", test_retries_count },
  { "bad-limits", test_bad_limits },
  { "resume", test_resume },
  { "cache-hits-free", test_cache_hits_free },
  { "estimate", test_estimate },
  { "validate-before-run", test_validate_before_run },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/budget/", Fixture, fixture_set_up, cases, fixture_tear_down);
  return g_test_run();
}
