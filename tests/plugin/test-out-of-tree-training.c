/* The out-of-tree loss and optimizer of docs/training.md ("Writing a loss or
 * optimizer plugin"): the guide shows tests/plugin/out-of-tree/brevity.c
 * verbatim and the build command used here (both checked); the plugin is
 * built outside the source tree with that command against the uninstalled
 * SDK, listed and inspected by `inf-engine`, loaded into a registry where
 * its loss evaluates examples and its optimizer takes a step through the
 * engine's API, its loss scores a dataset through `inf-engine eval`, and
 * both train a prompt through `inf-engine train`. */
#include <string.h>
#include <sys/wait.h>

#include "inf-test-plugins.h"
#include "optim/loss.h"
#include "optim/optimizer.h"

/* The guide's build command, run in the plugin's directory. */
#define BUILD_COMMAND \
  "cc -shared -fPIC -o brevity.so brevity.c $(pkg-config --cflags --libs inf-engine-sdk)"
#define SOURCE "tests/plugin/out-of-tree/brevity.c"
#define GUIDE "docs/training.md"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

static void
test_guide_matches_source(void)
{
  g_autofree char *guide = inf_test_read_source(GUIDE);
  g_autofree char *source = inf_test_read_source(SOURCE);
  static const char begin[] = "<!-- begin " SOURCE " -->\n```c\n";
  const char *marker = strstr(guide, begin);
  const char *start, *end;
  g_autofree char *block = NULL;

  g_assert_nonnull(marker);
  start = marker + strlen(begin);
  end = strstr(start, "```\n<!-- end " SOURCE " -->");
  g_assert_nonnull(end);
  block = g_strndup(start, end - start);
  g_assert_cmpstr(block, ==, source);
  /* The guide builds it with the command this test uses. */
  inf_test_assert_contains(guide, "\n" BUILD_COMMAND "\n");
}

static int
spawn_shell(const char *cwd, char **env, const char *command, char **out, char **err)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync(cwd, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error(error);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Builds brevity.c in a fresh temp dir with the guide's command against the
 * uninstalled SDK; returns the dir, or NULL when the tools are missing. */
static char *
build_plugin(void)
{
  g_autofree char *cc = g_find_program_in_path("cc");
  g_autofree char *pkg_config = g_find_program_in_path("pkg-config");
  g_autofree char *pc_dir = g_build_filename(g_getenv("INF_BUILD_ROOT"), "meson-uninstalled", NULL);
  g_autofree char *source = inf_test_source_file(SOURCE);
  g_autofree char *tmp = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) env = g_get_environ();

  if (cc == NULL || pkg_config == NULL) {
    g_test_skip("cc or pkg-config is not installed");
    return NULL;
  }
  env = g_environ_setenv(env, "PKG_CONFIG_PATH", pc_dir, TRUE);
  tmp = inf_test_mkdtemp("inf-brevity");
  g_free(inf_test_copy(source, tmp, "brevity.c"));
  if (spawn_shell(tmp, env, BUILD_COMMAND, &out, &err) != 0)
    g_error("building the guide's plugin failed:\n%s%s", out, err);
  return g_steal_pointer(&tmp);
}

static void
assert_listed(const char *dir)
{
  g_auto(InfTestRun) run = { 0 };
  g_autofree char *line = g_strdup_printf("\n  %s/brevity.so\n    name:        brevity\n", dir);

  inf_test_engine_run_va(&run, NULL, "plugins", "--plugin-dir", dir, NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, line,
                               "    losses:      length\n    optimizers:  append-rule\n");
  inf_test_run_clear(&run);

  inf_test_engine_run_va(&run, NULL, "inspect", "length", "--plugin-dir", dir, NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, "length (loss class)\n",
                               "  max_chars  integer  default: 100; range: 1 .. 1000000\n");
  inf_test_run_clear(&run);

  inf_test_engine_run_va(&run, NULL, "inspect", "append-rule", "--plugin-dir", dir, NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, "append-rule (optimizer class)\n",
                               "  prefix  string  default: \"Rule: \"\n");
}

typedef InfTestLossResult Result;

/* Evaluates @loss on @output for the example {"input": "q", "target": @target}. */
static void
evaluate(InfLoss *loss, const char *output, const char *target_json, Result *r)
{
  g_autoptr(json_object) target = json_tokener_parse(target_json);
  g_autoptr(json_object) example = json_object_new_object();
  g_autoptr(InfValue) value = inf_value_new_text(output);

  json_object_object_add(example, "input", json_object_new_string("q"));
  json_object_object_add(example, "target", json_object_get(target));
  inf_test_loss_evaluate(loss, value, target, example, 0, NULL, r);
}

static void
step_done(InfOptimizerStep *step, const GError *error, gpointer data)
{
  (void)step;
  g_assert_null(error);
  *(gboolean *)data = TRUE;
}

/* Loads the built plugin into a registry and drives its classes through
 * the engine's loss and optimizer API. */
static void
use_in_process(const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename(dir, "brevity.so", NULL);
  InfRegistry *registry = inf_registry_new();
  InfPluginLoader *loader = inf_plugin_loader_new(registry);
  Result r;

  g_assert_true(inf_plugin_loader_load_file(loader, file, &error));
  g_assert_no_error(error);
  g_assert_nonnull(inf_registry_lookup_loss_class(registry, "length"));
  g_assert_nonnull(inf_registry_lookup_optimizer_class(registry, "append-rule"));

  /* The loss: within the limit 1, above it limit / length with an item; a
   * number target is the example's own limit; a bad target is refused. */
  g_autoptr(json_object) spec = json_tokener_parse("{\"type\": \"length\", \"max_chars\": 10}");
  InfLoss *loss = inf_loss_new_full(registry, spec, "cfg.json", "training.loss", NULL, &error);
  g_assert_no_error(error);
  evaluate(loss, "Paris.", "null", &r);
  g_assert_no_error(r.error);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  g_assert_cmpuint(inf_feedback_get_n_items(r.feedback), ==, 0);
  inf_feedback_free(r.feedback);
  evaluate(loss, "The capital is Paris", "null", &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 0.5);
  g_assert_cmpstr(inf_feedback_get_item(r.feedback, 0), ==, "Keep the answer under 10 characters.");
  g_assert_cmpint(
      json_object_get_int(json_object_object_get(inf_feedback_get_meta(r.feedback), "length")), ==,
      20);
  inf_feedback_free(r.feedback);
  evaluate(loss, "The capital is Paris", "20", &r);
  g_assert_cmpfloat(inf_feedback_get_score(r.feedback), ==, 1.0);
  inf_feedback_free(r.feedback);
  evaluate(loss, "x", "\"short\"", &r);
  g_assert_null(r.feedback);
  inf_test_assert_contains(r.error->message, "length expects a target that is null or a whole "
                                             "number > 0");
  g_clear_error(&r.error);
  g_autoptr(json_object) spec_bad = json_tokener_parse("{\"type\": \"length\", \"max_chars\": 0}");
  g_assert_null(inf_loss_new_full(registry, spec_bad, "cfg.json", "training.loss", NULL, &error));
  inf_test_assert_contains(error->message, "cfg.json: training.loss.max_chars:");
  g_clear_error(&error);
  inf_loss_unref(loss);

  /* The optimizer: the most frequent remark (the "- " lines of the llm
   * module's notes, or a whole text) becomes a rule; a value rejected before
   * is skipped for the next remark; a parameter without feedback gets no
   * candidate. */
  g_autoptr(json_object) ospec = json_tokener_parse("{\"type\": \"append-rule\"}");
  InfOptimizer *optimizer =
      inf_optimizer_new_full(registry, ospec, "cfg.json", "training.optimizer", NULL, &error);
  g_assert_no_error(error);
  InfParameter *a = inf_parameter_new("Answer briefly.", "the answer prompt", TRUE, NULL);
  inf_parameter_accumulate_feedback(a, "Node 'answer' used this system prompt.\nFeedback:\n"
                                       "- Keep the answer under 10 characters.\nScore: 0.5");
  inf_parameter_accumulate_feedback(a, "Feedback:\n- Keep the answer under 10 characters.\n"
                                       "- Name the city.");
  inf_parameter_accumulate_feedback(a, "Name the city.");
  inf_parameter_accumulate_feedback(a, "Say it in French.");
  InfParameter *idle = inf_parameter_new("Unchanged.", "no feedback", TRUE, NULL);
  InfParameter *b = inf_parameter_new("B.", "the second prompt", TRUE, NULL);
  inf_parameter_accumulate_feedback(b, "Name the city.");
  inf_parameter_accumulate_feedback(b, "Keep the answer under 10 characters.");
  InfOptimizerStep *step = inf_optimizer_step_new(1, NULL);
  inf_optimizer_step_add_parameter(step, "answer.system_prompt", a, NULL);
  inf_optimizer_step_add_parameter(step, "idle.system_prompt", idle, NULL);
  inf_optimizer_step_add_parameter(
      step, "b.system_prompt", b,
      (const char *const[]){ "B.\nRule: Keep the answer under 10 characters.", NULL });
  gboolean done = FALSE;
  inf_optimizer_run_step(optimizer, step, step_done, &done);
  while (!done)
    g_main_context_iteration(NULL, TRUE);
  /* "Keep..." and "Name the city." twice each: the tie goes to the text
   * that sorts first. For b, that value was rejected: the next remark. */
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 0), ==,
                  "Answer briefly.\nRule: Keep the answer under 10 characters.");
  g_assert_null(inf_optimizer_step_get_candidate(step, 1));
  g_assert_cmpstr(inf_optimizer_step_get_candidate(step, 2), ==, "B.\nRule: Name the city.");
  /* The step only proposes; the values stay until the train loop applies them. */
  g_assert_cmpstr(inf_parameter_get_value(a), ==, "Answer briefly.");
  inf_optimizer_step_unref(step);
  inf_parameter_unref(a);
  inf_parameter_unref(idle);
  inf_parameter_unref(b);
  inf_optimizer_free(optimizer);
  inf_registry_free(registry);
  inf_plugin_loader_free(loader);
}

/* The loss through `inf-engine eval` (a template pipeline, no LLM). */
static void
use_in_eval(const char *dir)
{
  g_auto(InfTestRun) run = { 0 };
  g_autofree char *config = inf_test_write(
      dir, "pipeline.json",
      "{\"modules\": {\"answer\": {\"type\": \"template\", \"template\": \"{0}\"},\n"
      " \"main\": {\"type\": \"graph\", \"inputs\": [\"question\"],\n"
      "  \"nodes\": {\"answer\": {\"module\": \"answer\", \"args\": [\"$question\"]}},\n"
      "  \"outputs\": {\"answer\": \"$answer\"}}},\n"
      " \"main\": \"main\",\n"
      " \"training\": {\"loss\": {\"type\": \"length\", \"max_chars\": 10}}}\n");
  g_autofree char *data =
      inf_test_write(dir, "data.jsonl",
                     "{\"id\": \"short\", \"input\": \"Paris.\", \"target\": null}\n"
                     "{\"id\": \"long\", \"input\": \"The capital is Paris\", \"target\": null}\n"
                     "{\"id\": \"own\", \"input\": \"The capital is Paris\", \"target\": 20}\n"
                     "{\"id\": \"bad\", \"input\": \"x\", \"target\": \"short\"}\n");

  inf_test_engine_run_va(&run, NULL, "eval", config, "--data", data, "--plugin-dir", dir, NULL);
  g_assert_cmpint(run.status, ==, 1); /* one line could not be scored */
  GPtrArray *lines = inf_test_parse_lines(run.out);
  g_assert_cmpuint(lines->len, ==, 4);
  const double scores[] = { 1.0, 0.5, 1.0 };
  for (guint i = 0; i < 3; i++) {
    json_object *score = inf_test_json_get(lines->pdata[i], "score");
    g_assert_cmpfloat(json_object_get_double(score), ==, scores[i]);
  }
  json_object *feedback = inf_test_json_get(lines->pdata[1], "feedback");
  g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(feedback, 0)), ==,
                  "Keep the answer under 10 characters.");
  inf_test_assert_contains(json_object_to_json_string(lines->pdata[3]),
                           "length expects a target that is null or a whole number > 0");
  inf_test_assert_contains(run.err, "eval finished: 4 examples");
  g_ptr_array_unref(lines);
}

/* Both classes through `inf-engine train` on the mock: the loss's item
 * reaches the learnable prompt through backward, the optimizer proposes it
 * as a rule, the validation gate rejects it (the mock ignores rules), and
 * the next step skips the rejected value: nothing new to try. */
static void
use_in_train(const char *dir)
{
  g_auto(InfTestRun) run = { 0 };
  g_autofree char *config = inf_test_write(
      dir, "train.json",
      "{\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\", \"model\": \"m\"}}},\n"
      " \"parameters\": {\"answer_prompt\": {\"value\": \"Answer the question.\",\n"
      "   \"description\": \"how to answer\", \"requires_grad\": true}},\n"
      " \"modules\": {\"answer\": {\"type\": \"llm\", \"alias\": \"fast\",\n"
      "   \"system_prompt\": {\"parameter\": \"answer_prompt\"}},\n"
      "  \"main\": {\"type\": \"graph\", \"inputs\": [\"question\"],\n"
      "   \"nodes\": {\"answer\": {\"module\": \"answer\", \"args\": [\"$question\"]}},\n"
      "   \"outputs\": {\"answer\": \"$answer\"}}},\n"
      " \"main\": \"main\",\n"
      " \"training\": {\"loss\": {\"type\": \"length\", \"max_chars\": 10},\n"
      "   \"optimizer\": {\"type\": \"append-rule\"}, \"epochs\": 2, \"batch_size\": 2}}\n");
  g_autofree char *train =
      inf_test_write(dir, "train.jsonl",
                     "{\"input\": \"What is the capital of France?\", \"target\": null}\n"
                     "{\"input\": \"Name a large ocean.\", \"target\": null}\n");
  g_autofree char *val = inf_test_write(
      dir, "val.jsonl", "{\"input\": \"What is the largest planet?\", \"target\": null}\n");
  g_autofree char *out = g_build_filename(dir, "params.json", NULL);
  g_autofree char *history = g_build_filename(dir, "history.jsonl", NULL);

  inf_test_engine_run_va(&run, NULL, "train", config, "--train", train, "--val", val, "--out", out,
                         "--history", history, "--plugin-dir", dir, "--quiet", NULL);
  g_assert_cmpint(run.status, ==, 0);
  g_autofree char *text = inf_test_read(history);
  GPtrArray *lines = inf_test_parse_lines(text);
  g_assert_cmpuint(lines->len, ==, 3); /* baseline, 2 steps */
  g_assert_cmpstr(json_object_get_string(inf_test_json_get(lines->pdata[1], "action")), ==,
                  "rejected");
  g_assert_cmpstr(
      json_object_get_string(inf_test_json_get(lines->pdata[1], "changes/answer.system_prompt/to")),
      ==, "Answer the question.\nRule: Keep the answer under 10 characters.");
  g_assert_cmpstr(json_object_get_string(inf_test_json_get(lines->pdata[2], "action")), ==,
                  "unchanged");
  g_ptr_array_unref(lines);
  g_autofree char *params = inf_test_read(out);
  g_autoptr(json_object) best = json_tokener_parse(params);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(best, "answer.system_prompt")), ==,
                  "Answer the question.");
}

static void
test_build_and_use(void)
{
  g_autofree char *dir = build_plugin();

  if (dir == NULL)
    return;
  assert_listed(dir);
  use_in_process(dir);
  use_in_eval(dir);
  use_in_train(dir);
  inf_test_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/out-of-tree-training/guide-matches-source", test_guide_matches_source);
  g_test_add_func("/out-of-tree-training/build-and-use", test_build_and_use);
  return g_test_run();
}
