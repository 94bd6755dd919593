/* inf-engine train interrupted: the first SIGINT lets the examples in flight
 * finish, drops the step they belong to, keeps the best parameters so far in
 * --out and the journal, says how to resume, and exits with 130. The worker
 * is the loopback fake server, whose held replies make the moment of the
 * signal deterministic. */
#include <signal.h>
#include <string.h>

#include "inf-test.h"

#define KEY_ENV "INF_TRAIN_SIGNAL_TEST_KEY"
#define PROMPT "Answer with one of: billing, technical."

static void
test_sigint_keeps_best(void)
{
  InfFakeLlm *fake = inf_test_fake_start();
  g_autofree char *dir = inf_test_mkdtemp("inf-train-signal");
  g_autofree char *config = inf_test_write_printf(
      dir, "router.json",
      "{\"resources\": {\"endpoints\": {"
      "  \"fast\": {\"provider\": \"openai\", \"model\": \"m\", \"base_url\": \"%s/v1\", "
      "\"api_key_env\": \"" KEY_ENV "\", \"max_retries\": 0},"
      "  \"smart\": {\"provider\": \"mock\", \"model\": \"e\", \"mode\": \"edit\"}}},"
      " \"parameters\": {\"prompt\": {\"value\": \"" PROMPT "\", \"description\": \"the "
      "router's prompt\", \"requires_grad\": true}},"
      " \"modules\": {\"route\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
      "{\"parameter\": \"prompt\"}},"
      "  \"router\": {\"type\": \"graph\", \"inputs\": [\"ticket\"], \"nodes\": {\"queue\": "
      "{\"module\": \"route\", \"args\": [\"$ticket\"]}}, \"outputs\": {\"queue\": \"$queue\"}}},"
      " \"main\": \"router\","
      " \"training\": {\"loss\": {\"type\": \"verifier\"}, \"optimizer\": {\"type\": \"sfa\", "
      "\"aggregator\": \"smart\", \"updater\": \"smart\"}, \"batch_size\": 2}}",
      inf_fake_llm_get_base_url(fake));
  const char *data = "{\"input\": \"my invoice\", \"target\": \"billing\"}\n"
                     "{\"input\": \"it crashes\", \"target\": \"technical\"}\n";
  g_autofree char *train = inf_test_write(dir, "train.jsonl", data);
  g_autofree char *val = inf_test_write(dir, "val.jsonl", data);
  g_autofree char *out = g_build_filename(dir, "params.json", NULL);
  g_autofree char *history = g_build_filename(dir, "history.jsonl", NULL);
  g_autofree char *checkpoint = g_build_filename(dir, "train.ckpt", NULL);
  /* the baseline's 2 calls answer; the first batch's 2 are held */
  g_assert_true(inf_fake_llm_push_script(fake, "ok x2", NULL));
  g_assert_true(inf_fake_llm_set_default_text(fake, "hold", NULL));
  const char *env[] = { KEY_ENV "=test-key", NULL };
  InfTestSpawn spawn = { .env = env };
  InfTestEngine *engine =
      inf_test_engine_start_va(&spawn, "train", config, "--train", train, "--val", val, "--out",
                               out, "--history", history, "--checkpoint", checkpoint, NULL);
  inf_test_fake_wait_held(fake, 2, engine);
  inf_test_engine_send_signal(engine, SIGINT);
  inf_test_engine_wait_err(engine, "interrupted");
  inf_fake_llm_release(fake, 2);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run);
  g_assert_cmpint(run.status, ==, 130);
  inf_test_assert_contains_all(run.err, "train interrupted: baseline val 0.0000", "--resume");
  /* the baseline only: the cut step is not recorded */
  g_autofree char *h = inf_test_read(history);
  g_auto(GStrv) lines = g_strsplit(h, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 2);
  inf_test_assert_contains(h, "\"phase\":\"baseline\"");
  /* the best so far (the initial prompt) */
  g_autofree char *params = inf_test_read(out);
  inf_test_assert_contains(params, PROMPT);
  g_assert_true(g_file_test(checkpoint, G_FILE_TEST_IS_REGULAR));
  inf_test_rmdir(dir);
  inf_test_fake_stop(fake);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/train/sigint-keeps-best", test_sigint_keeps_best);
  return g_test_run();
}
