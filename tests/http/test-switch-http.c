/* End to end: a routing pipeline with a switch (and a nested one) run by
 * `inf-engine run` (a subprocess) against the loopback fake server, which
 * serves in this test's main loop and counts the calls of each branch by
 * its system prompt: only the taken cases call the LLM, a nested switch in
 * an untaken case never calls its selector, a failed selector fails only
 * its input's switch, and --node-status reports the skipped nodes. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "inf-test.h"

typedef InfTestServerFixture Fixture;

#define fixture_set_up inf_test_server_fixture_set_up
#define fixture_tear_down inf_test_server_fixture_tear_down

/* classify echoes its input ("echo: billing ..."); the switch routes on it.
 * tech_flow probes the text and switches again on the probe's reply. */
static const char config_text[] =
    "{\n"
    "  \"modules\": {\n"
    "    \"classify\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": \"CLASSIFY\"},\n"
    "    \"billing_flow\": {\"type\": \"llm\", \"alias\": \"fast\","
    "                       \"system_prompt\": \"BILLING-FLOW\"},\n"
    "    \"tech_flow\": {\"type\": \"graph\", \"inputs\": [\"t\"], \"nodes\": {\n"
    "      \"probe\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\","
    "                  \"system_prompt\": \"TECH-PROBE\"}, \"args\": [\"$t\"]},\n"
    "      \"inner\": {\"switch\": \"$probe\", \"cases\": [\n"
    "        {\"match\": {\"contains\": \"printer\"},\n"
    "         \"module\": {\"type\": \"llm\", \"alias\": \"fast\",\n"
    "                    \"system_prompt\": \"PRINTER-FLOW\"},\n"
    "         \"args\": [\"$t\"]}],\n"
    "        \"default\": {\"module\": {\"type\": \"template\", \"template\": \"other: {x}\"},\n"
    "                    \"args\": {\"x\": \"$probe\"}}}},\n"
    "      \"outputs\": \"$inner\"},\n"
    "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "      \"classify\": {\"module\": \"classify\", \"args\": [\"$text\"]},\n"
    "      \"routed\": {\"switch\": \"$classify\", \"normalize\": [\"casefold\"], \"cases\": [\n"
    "        {\"match\": {\"contains\": \"billing\"}, \"module\": \"billing_flow\","
    "         \"args\": [\"$text\"]},\n"
    "        {\"match\": {\"regex\": \"^echo: tech\"}, \"module\": \"tech_flow\","
    "         \"args\": [\"$text\"]}],\n"
    "        \"default\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\","
    "                    \"system_prompt\": \"FALLBACK-FLOW\"}, \"args\": [\"$text\"]}},\n"
    "      \"side\": {\"module\": {\"type\": \"template\", \"template\": \"side: {x}\"},"
    "                \"args\": {\"x\": \"$text\"}}},\n"
    "      \"outputs\": {\"routed\": \"$routed\", \"side\": \"$side\"}}\n"
    "  },\n"
    "  \"main\": \"pipeline\"\n"
    "}\n";

static const char *const inputs[] = {
  "Billing: invoice 1",   "tech: printer jam",  "billing: refund 2", "Tech: laptop slow",
  "hello there",          "billing: invoice 3", "tech: printer ink", "[[fake:400]] billing 4",
  "tech: printer driver", "billing: card 5",    "what is this",      "tech: wifi",
};

typedef struct {
  int status;
  char *log;
  GPtrArray *lines; /* json_object *, by index */
} Run;

static void
run_engine(Fixture *f, Run *r)
{
  g_autofree char *config = inf_test_write(f->dir, "routing.json", config_text);
  g_autofree char *resources = inf_test_write_printf(
      f->dir, "resources.json",
      "{\"endpoints\": {\"fast\": {\"provider\": \"openai\", \"model\": \"fake\", "
      "\"base_url\": \"%s/v1\", \"max_concurrent\": 4, \"max_retries\": 0}}}",
      inf_fake_llm_get_base_url(f->fake));
  g_autofree char *input =
      inf_test_write_text_inputs(f->dir, "in.jsonl", inputs, G_N_ELEMENTS(inputs));
  g_autofree char *output = g_build_filename(f->dir, "out.jsonl", NULL);

  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "run", config, "--resources", resources, "--input", input,
                         "--output", output, "--node-status", "--quiet", NULL);
  r->status = run.status;
  r->log = g_steal_pointer(&run.err);

  g_autofree char *text = inf_test_read(output);
  g_assert_nonnull(text);
  r->lines = inf_test_parse_lines_by_index(text);
  g_assert_cmpuint(r->lines->len, <=, G_N_ELEMENTS(inputs));
  g_ptr_array_set_size(r->lines, G_N_ELEMENTS(inputs));
}

static const char *
get(Run *r, guint index, const char *what, const char *key)
{
  json_object *line = g_ptr_array_index(r->lines, index);
  g_assert_nonnull(line);
  json_object *obj = json_object_object_get(line, what);
  json_object *value = obj ? json_object_object_get(obj, key) : NULL;
  return value ? json_object_get_string(value) : NULL;
}

static void
test_branch_call_counts(Fixture *f, gconstpointer data)
{
  (void)data;
  /* 12 classifications; 4 billing inputs (the 5th failed to classify);
   * 5 tech probes, 3 of them printers; 2 others to the default. */
  const struct {
    const char *prompt;
    guint calls;
  } branches[] = {
    { "CLASSIFY", 12 },    { "BILLING-FLOW", 4 },  { "TECH-PROBE", 5 },
    { "PRINTER-FLOW", 3 }, { "FALLBACK-FLOW", 2 },
  };
  /* What the output lines say: member @key of @what of input @index. */
  const struct {
    guint index;
    const char *what;
    const char *key;
    const char *expected; /* NULL: none */
  } members[] = {
    /* Billing: the LLM's reply; everything else in routed skipped. */
    { 0, "outputs", "routed", "echo: Billing: invoice 1" },
    { 0, "nodes", "routed.billing_flow", "completed" },
    { 0, "nodes", "routed.tech_flow.probe", "skipped" },
    { 0, "nodes", "routed.tech_flow.inner", "skipped" },
    { 0, "nodes", "routed.tech_flow.inner.case0", "skipped" },
    { 0, "nodes", "routed.default", "skipped" },
    /* Tech, printer: the nested switch took its first case. */
    { 1, "outputs", "routed", "echo: tech: printer jam" },
    { 1, "nodes", "routed.tech_flow.inner.case0", "completed" },
    { 1, "nodes", "routed.tech_flow.inner.default", "skipped" },
    { 1, "nodes", "routed.billing_flow", "skipped" },
    /* Tech, not a printer: the nested default (a template). */
    { 3, "outputs", "routed", "other: echo: Tech: laptop slow" },
    { 3, "nodes", "routed.tech_flow.inner.case0", "skipped" },
    /* Neither: the default. */
    { 4, "outputs", "routed", "echo: hello there" },
    { 4, "nodes", "routed.default", "completed" },
    /* The failed selector fails the switch only; side still ran. */
    { 7, "nodes", "classify", "failed" },
    { 7, "nodes", "routed", "failed" },
    { 7, "nodes", "routed.billing_flow", "cancelled" },
    { 7, "outputs", "side", "side: [[fake:400]] billing 4" },
    { 7, "errors", "routed",
      "switch 'routed': its selector $classify did not complete (it failed)" },
    { 7, "errors", "side", NULL },
  };
  guint64 calls = 0;
  for (guint i = 0; i < G_N_ELEMENTS(branches); i++)
    inf_fake_llm_watch(f->fake, branches[i].prompt);
  Run r = { 0 };
  run_engine(f, &r);
  if (r.status != 1)
    g_error("inf-engine exited with %d:\n%s", r.status, r.log);

  for (guint i = 0; i < G_N_ELEMENTS(branches); i++) {
    g_assert_cmpuint(inf_fake_llm_count_watched(f->fake, branches[i].prompt), ==,
                     branches[i].calls);
    calls += branches[i].calls;
  }
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, calls);
  for (guint i = 0; i < G_N_ELEMENTS(members); i++)
    g_assert_cmpstr(get(&r, members[i].index, members[i].what, members[i].key), ==,
                    members[i].expected);
  g_assert_null(json_object_object_get(g_ptr_array_index(r.lines, 0), "errors"));

  g_free(r.log);
  g_ptr_array_unref(r.lines);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/switch-http/branch-call-counts", Fixture, NULL, fixture_set_up,
             test_branch_call_counts, fixture_tear_down);
  return g_test_run();
}
