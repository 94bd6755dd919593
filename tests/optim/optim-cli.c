#include "optim-cli.h"

#include "inf-test.h"

int
optim_cli_run(const char *const *args, char **out, char **err)
{
  InfTestRun run = { 0 };
  inf_test_engine_run(&run, NULL, args);
  int status = run.status;
  if (out)
    *out = g_steal_pointer(&run.out);
  if (err)
    *err = g_steal_pointer(&run.err);
  inf_test_run_clear(&run);
  return status;
}

char *
optim_cli_router_config(const char *prompt, const char *training)
{
  return g_strdup_printf(
      "{\"resources\": {\"endpoints\": {"
      "  \"fast\": {\"provider\": \"mock\", \"model\": \"worker\", \"mode\": \"instruct\"},"
      "  \"smart\": {\"provider\": \"mock\", \"model\": \"editor\", \"mode\": \"edit\"}}},"
      " \"parameters\": {\"prompt\": {\"value\": \"%s\", \"description\": \"the router's "
      "system prompt: billing or technical\", \"requires_grad\": true}},"
      " \"modules\": {\"route\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": "
      "{\"parameter\": \"prompt\"}},"
      "  \"router\": {\"type\": \"graph\", \"inputs\": [\"ticket\"], \"nodes\": {\"queue\": "
      "{\"module\": \"route\", \"args\": [\"$ticket\"]}}, \"outputs\": {\"queue\": \"$queue\"}}},"
      " \"main\": \"router\","
      " \"training\": {\"loss\": {\"type\": \"verifier\"}, \"optimizer\": {\"type\": \"sfa\", "
      "\"aggregator\": \"smart\", \"updater\": \"smart\", \"conservatism\": 0.5}%s%s}}",
      prompt, *training ? ", " : "", training);
}

char *
optim_cli_write_router(const char *dir, const char *prompt, const char *training)
{
  g_autofree char *text = optim_cli_router_config(prompt, training);
  return inf_test_write(dir, "router.json", text);
}
