/* The routing example (configs/routing.json over configs/routing.jsonl) runs
 * offline on the mock: the schema-checked label picks one of three flows, the
 * nested switch in the technical flow picks on the urgency, the nodes of
 * untaken cases are skipped, and the LLM calls per alias are exactly those of
 * the taken branches. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <string.h>

#include "inf-test.h"

#define get inf_test_json_get

static const char *
get_string(json_object *o, const char *path)
{
  json_object *value = get(o, path);
  return value != NULL ? json_object_get_string(value) : NULL;
}

static void
test_routing_example(void)
{
  const char *root = g_getenv("INF_SOURCE_ROOT");
  g_assert_nonnull(root);
  g_autofree char *config = g_build_filename(root, "configs", "routing.json", NULL);
  g_autofree char *inputs = g_build_filename(root, "configs", "routing.jsonl", NULL);
  g_autofree char *dir = inf_test_mkdtemp("inf-routing");
  g_autofree char *metrics_file = g_build_filename(dir, "metrics.json", NULL);

  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "run", config, "--input", inputs, "--ordered", "--node-status",
                         "--quiet", "--metrics-out", metrics_file, NULL);
  g_assert_cmpint(run.status, ==, 0);
  const char *out = run.out;

  /* The label and urgency the mock picks from each ticket's words (NULL:
   * none in the text; the schema still holds). */
  const struct {
    const char *label;
    const char *urgency;
  } expected[] = {
    { "billing", NULL }, { "technical", "urgent" }, { "account", NULL }, { "technical", "normal" },
    { "billing", NULL }, { "technical", "urgent" }, { "account", NULL }, { "technical", "normal" },
  };
  /* The last node of each flow, by label. */
  const char *flows[][2] = { { "billing", "nodes/routed.billing_flow.answer" },
                             { "technical", "nodes/routed.tech_flow.triage" },
                             { "account", "nodes/routed.account_flow" } };
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  guint n = 0, smart = 0, fast = 0;
  for (char **text = lines; *text != NULL && **text != '\0'; text++, n++) {
    g_assert_cmpuint(n, <, G_N_ELEMENTS(expected));
    json_object *line = json_tokener_parse(*text);
    g_assert_nonnull(line);
    g_assert_null(get(line, "errors"));
    const char *label = get_string(line, "outputs/label");
    const char *urgency = get_string(line, "outputs/urgency");
    g_assert_cmpstr(label, ==, expected[n].label);
    g_assert_true(g_strcmp0(urgency, "urgent") == 0 || g_strcmp0(urgency, "normal") == 0);
    if (expected[n].urgency != NULL)
      g_assert_cmpstr(urgency, ==, expected[n].urgency);
    g_assert_nonnull(get_string(line, "outputs/reply"));
    g_assert_cmpstr(get_string(line, "nodes/routed"), ==, "completed");
    /* Exactly the taken flow ran; the others were skipped. */
    for (guint f = 0; f < G_N_ELEMENTS(flows); f++)
      g_assert_cmpstr(get_string(line, flows[f][1]), ==,
                      strcmp(label, flows[f][0]) == 0 ? "completed" : "skipped");
    /* The nested switch: escalate only urgent technical tickets. */
    gboolean technical = strcmp(label, "technical") == 0;
    gboolean urgent = technical && strcmp(urgency, "urgent") == 0;
    g_assert_cmpstr(get_string(line, "nodes/routed.tech_flow.triage.escalate"), ==,
                    urgent ? "completed" : "skipped");
    g_assert_cmpstr(get_string(line, "nodes/routed.tech_flow.triage.troubleshoot"), ==,
                    technical && !urgent ? "completed" : "skipped");
    /* Calls: classify, then billing 2, technical 1 (smart if urgent). */
    fast += 1 + (strcmp(label, "billing") == 0 ? 2 : 0) + (technical && !urgent ? 1 : 0);
    smart += urgent ? 1 : 0;
    json_object_put(line);
  }
  g_assert_cmpuint(n, ==, G_N_ELEMENTS(expected));

  json_object *metrics = json_object_from_file(metrics_file);
  g_assert_nonnull(metrics);
  g_assert_cmpint(json_object_get_int64(get(metrics, "aliases/fast/requests")), ==, fast);
  g_assert_cmpint(json_object_get_int64(get(metrics, "aliases/smart/requests")), ==, smart);
  g_assert_cmpuint(smart, ==, 2);
  json_object_put(metrics);
  inf_test_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/run/routing-example", test_routing_example);
  return g_test_run();
}
