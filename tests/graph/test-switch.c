/* Switch nodes (DESIGN §6): config parsing and its errors with JSON paths,
 * the traced graph (guards, nesting), inf_switch() in C tracing to the same
 * graph as the config form, export, and the execution semantics driven on
 * an InfExecState node by node (deterministic: the test completes each
 * ready node itself and scripts the selector's value). */
#include <string.h>

#include "config/config.h"
#include "exec/state.h"
#include "graph-fixtures.h"
#include "graph/graph-export.h"
#include "graph/tracer-private.h"

typedef InfTestConfigFixture Fixture;

#define RESOURCES "\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}}}"

/* classify (an LLM, the selector's source) → routed (a switch on
 * $classify.label, with every match kind, a nested switch in tech_flow and a
 * default) → after; "side" does not depend on the switch. */
#define ROUTING_MODULES                                                                         \
  "\"classify\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": \"classify\"},"    \
  "\"billing_flow\": {\"type\": \"llm\", \"alias\": \"fast\", \"system_prompt\": \"billing\"}," \
  "\"tech_flow\": {\"type\": \"graph\", \"inputs\": [\"t\"], \"nodes\": {"                      \
  "  \"a\": {\"module\": {\"type\": \"template\", \"template\": \"tech {x}\"},"                 \
  "          \"args\": {\"x\": \"$t\"}},"                                                       \
  "  \"probe\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": [\"$a\"]},"    \
  "  \"inner\": {\"switch\": \"$probe\", \"cases\": ["                                          \
  "    {\"match\": {\"contains\": \"printer\"},"                                                \
  "     \"module\": {\"type\": \"template\", \"template\": \"printer {x}\"},"                   \
  "     \"args\": {\"x\": \"$a\"}}],"                                                           \
  "   \"default\": {\"module\": {\"type\": \"template\", \"template\": \"other {x}\"},"         \
  "                 \"args\": {\"x\": \"$a\"}}}},"                                              \
  "  \"outputs\": \"$inner\"},"                                                                 \
  "\"fallback\": {\"type\": \"template\", \"template\": \"fallback {0}\"},"

#define ROUTING_CONFIG                                                                           \
  "{" RESOURCES ", \"modules\": {" ROUTING_MODULES                                               \
  "\"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {"                     \
  "  \"classify\": {\"module\": \"classify\", \"args\": [\"$text\"]},"                           \
  "  \"routed\": {\"switch\": \"$classify.label\", \"normalize\": [\"trim\", \"casefold\"],"     \
  "    \"cases\": ["                                                                             \
  "      {\"match\": \"billing\", \"module\": \"billing_flow\", \"args\": [\"$text\"]},"         \
  "      {\"match\": {\"regex\": \"^tech\"}, \"module\": \"tech_flow\", \"args\": [\"$text\"]}," \
  "      {\"match\": {\"prefix\": \"acc\"},"                                                     \
  "       \"module\": {\"type\": \"template\", \"template\": \"acc {x}\"},"                      \
  "       \"args\": {\"x\": \"$text\"}},"                                                        \
  "      {\"match\": {\"contains\": \"refund\"},"                                                \
  "       \"module\": {\"type\": \"template\", \"template\": \"refund {x}\"},"                   \
  "       \"args\": {\"x\": \"$text\"}},"                                                        \
  "      {\"match\": {\"one_of\": [\"Sales\", \"buy\"]},"                                        \
  "       \"module\": {\"type\": \"template\", \"template\": \"sales {x}\"},"                    \
  "       \"args\": {\"x\": \"$text\"}},"                                                        \
  "      {\"match\": {\"prefix\": \"bill\"},"                                                    \
  "       \"module\": {\"type\": \"template\", \"template\": \"bill {x}\"},"                     \
  "       \"args\": {\"x\": \"$text\"}}],"                                                       \
  "    \"default\": {\"module\": \"fallback\", \"args\": {\"x\": \"$text\"}}},"                  \
  "  \"after\": {\"module\": {\"type\": \"template\", \"template\": \"after {x}\"},"             \
  "             \"args\": {\"x\": \"$routed\"}},"                                                \
  "  \"side\": {\"module\": {\"type\": \"template\", \"template\": \"side {x}\"},"               \
  "            \"args\": {\"x\": \"$text\"}}},"                                                  \
  "  \"outputs\": {\"routed\": \"$routed\", \"after\": \"$after\", \"side\": \"$side\"}}},"      \
  "\"main\": \"pipeline\"}"

static InfConfig *
load(Fixture *f, const char *contents, GError **error)
{
  g_autofree char *path = inf_test_write(f->dir, "pipeline.json", contents);
  return inf_config_load(path, NULL, f->registry, f->loader, error);
}

static InfConfig *
load_ok(Fixture *f, const char *contents)
{
  g_autoptr(GError) error = NULL;
  InfConfig *config = load(f, contents, &error);
  g_assert_no_error(error);
  g_assert_nonnull(config);
  return config;
}

/* --- config errors --- */

/* The routing config with the routed node replaced by @routed. */
static char *
with_routed(const char *routed)
{
  return g_strdup_printf("{" RESOURCES ", \"modules\": {" ROUTING_MODULES
                         "\"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], "
                         "\"nodes\": {\"classify\": {\"module\": \"classify\", "
                         "\"args\": [\"$text\"]}, \"routed\": %s}, \"outputs\": \"$routed\"}}, "
                         "\"main\": \"pipeline\"}",
                         routed);
}

static void
assert_error(Fixture *f, const char *routed, const char *path, const char *fragment)
{
  g_autofree char *text = with_routed(routed);
  g_autoptr(GError) error = NULL;
  g_autoptr(InfConfig) config = load(f, text, &error);
  g_assert_null(config);
  g_assert_nonnull(error);
  g_autofree char *file = g_build_filename(f->dir, "pipeline.json", NULL);
  g_autofree char *where = g_strdup_printf("%s: %s: ", file, path);
  if (!g_str_has_prefix(error->message, where) || !strstr(error->message, fragment))
    g_error("expected '%s...%s', got: %s", where, fragment, error->message);
}

static void
test_config_errors(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *base = "modules.pipeline.nodes.routed";
  g_autofree char *p_cases = g_strconcat(base, ".cases", NULL);
  g_autofree char *p_switch = g_strconcat(base, ".switch", NULL);
  g_autofree char *p_module = g_strconcat(base, ".cases[1].module", NULL);
  g_autofree char *p_regex = g_strconcat(base, ".cases[0].match.regex", NULL);
  g_autofree char *p_dup = g_strconcat(base, ".cases[1].match", NULL);
  g_autofree char *p_dup_one = g_strconcat(base, ".cases[1].match.one_of[1]", NULL);
  g_autofree char *p_kind = g_strconcat(base, ".cases[0].match.suffix", NULL);
  g_autofree char *p_norm = g_strconcat(base, ".normalize[1]", NULL);
  g_autofree char *p_key = g_strconcat(base, ".priority", NULL);
  g_autofree char *p_default = g_strconcat(base, ".default.match", NULL);
  g_autofree char *p_args = g_strconcat(base, ".cases[0].args[0]", NULL);

  assert_error(f, "{\"switch\": \"$classify\", \"cases\": []}", p_cases,
               "a switch needs \"cases\": a non-empty list");
  assert_error(f, "{\"switch\": \"$classify\"}", p_cases, "a switch needs \"cases\"");
  assert_error(f,
               "{\"switch\": \"$nope.label\", \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}]}",
               p_switch,
               "unknown reference '$nope.label'; visible here: inputs: text; nodes: "
               "classify");
  assert_error(f,
               "{\"switch\": \"classify\", \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}]}",
               p_switch, "a switch selects on a reference");
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}, {\"match\": \"b\", "
               "\"module\": \"no_such_module\", \"args\": [\"$text\"]}]}",
               p_module, "no_such_module");
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": [{\"match\": {\"regex\": \"(a\"}, "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}]}",
               p_regex, "invalid regex '(a'");
  assert_error(f,
               "{\"switch\": \"$classify\", \"normalize\": [\"casefold\"], \"cases\": ["
               "{\"match\": \"Billing\", \"module\": \"fallback\", \"args\": [\"$text\"]},"
               "{\"match\": \"billing\", \"module\": \"fallback\", \"args\": [\"$text\"]}]}",
               p_dup, "'billing' is already matched exactly by an earlier case");
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": ["
               "{\"match\": \"a\", \"module\": \"fallback\", \"args\": [\"$text\"]},"
               "{\"match\": {\"one_of\": [\"b\", \"a\"]}, \"module\": \"fallback\", "
               "\"args\": [\"$text\"]}]}",
               p_dup_one, "'a' is already matched exactly");
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": [{\"match\": {\"suffix\": \"x\"}, "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}]}",
               p_kind,
               "unknown match kind; valid kinds: a string (exact), regex, prefix, "
               "contains, one_of");
  assert_error(f,
               "{\"switch\": \"$classify\", \"normalize\": [\"trim\", \"upper\"], "
               "\"cases\": [{\"match\": \"a\", \"module\": \"fallback\", "
               "\"args\": [\"$text\"]}]}",
               p_norm, "unknown normalization \"upper\"; valid: trim, casefold");
  assert_error(f,
               "{\"switch\": \"$classify\", \"priority\": 1, \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}]}",
               p_key,
               "unknown key in a switch node; valid keys: switch, normalize, cases, "
               "default");
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$text\"]}], \"default\": "
               "{\"match\": \"b\", \"module\": \"fallback\", \"args\": [\"$text\"]}}",
               p_default, "unknown key in a switch's default; valid keys: module, args");
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$missing\"]}]}",
               p_args, "unknown reference '$missing'");
  /* A case reading the switch itself is a cycle. */
  assert_error(f,
               "{\"switch\": \"$classify\", \"cases\": [{\"match\": \"a\", "
               "\"module\": \"fallback\", \"args\": [\"$routed\"]}]}",
               "modules.pipeline.nodes", "cycle: routed -> routed");
}

/* --- the traced graph --- */

static const InfGraphNode *
node(const InfGraph *graph, const char *id)
{
  gint i = inf_graph_lookup(graph, id);
  if (i < 0)
    g_error("no node '%s'", id);
  return &graph->nodes[i];
}

static void
assert_guard(const InfGraph *graph, const char *id, const char *switch_id, guint c)
{
  const InfGraphNode *n = node(graph, id);
  if (switch_id == NULL) {
    g_assert_cmpint(n->guard, ==, -1);
    return;
  }
  g_assert_cmpint(n->guard, >=, 0);
  g_assert_cmpstr(graph->nodes[graph->switches[n->guard].node].id, ==, switch_id);
  g_assert_cmpuint(n->guard_case, ==, c);
}

static void
test_trace(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  graph_fixtures_assert_ids(
      graph, "input:text classify routed.billing_flow routed.tech_flow.a "
             "routed.tech_flow.probe routed.tech_flow.inner.case0 "
             "routed.tech_flow.inner.default routed.tech_flow.inner routed.case2 "
             "routed.case3 routed.case4 routed.case5 routed.fallback routed after side");
  g_assert_cmpuint(graph->n_switches, ==, 2);
  assert_guard(graph, "classify", NULL, 0);
  assert_guard(graph, "routed.billing_flow", "routed", 0);
  assert_guard(graph, "routed.tech_flow.a", "routed", 1);
  assert_guard(graph, "routed.tech_flow.probe", "routed", 1);
  /* Guards nest: the inner switch is in case 1 of routed, its cases in it. */
  assert_guard(graph, "routed.tech_flow.inner", "routed", 1);
  assert_guard(graph, "routed.tech_flow.inner.case0", "routed.tech_flow.inner", 0);
  assert_guard(graph, "routed.tech_flow.inner.default", "routed.tech_flow.inner", 1);
  assert_guard(graph, "routed.fallback", "routed", 6);
  assert_guard(graph, "routed", NULL, 0);
  assert_guard(graph, "after", NULL, 0);
  /* The switch depends on its selector and on each case's output. */
  graph_fixtures_assert_deps(
      graph, "routed",
      "classify routed.billing_flow routed.tech_flow.inner routed.case2 routed.case3 "
      "routed.case4 routed.case5 routed.fallback");
  const InfGraphNode *routed = node(graph, "routed");
  g_assert_cmpint(routed->kind, ==, INF_GRAPH_NODE_SWITCH);
  g_assert_null(routed->module);
  const InfGraphSwitch *sw = &graph->switches[routed->switch_index];
  g_assert_cmpuint(sw->n_cases, ==, 7);
  g_assert_true(sw->has_default);
  g_assert_cmpstr(sw->cases[4].label, ==, "one_of sales|buy");
  /* Case 1 holds tech_flow's nodes and, transitively, its inner switch's;
   * nothing outside reads them but the switch (so skipping only marks). */
  g_assert_cmpuint(sw->cases[1].n_nodes, ==, 3);
  g_assert_cmpuint(sw->cases[1].n_all_nodes, ==, 5);
  for (guint c = 0; c < sw->n_cases; c++)
    g_assert_true(sw->cases[c].closed);
  /* No LLM alias is shared by skipped-only nodes: every alias is listed. */
  g_assert_cmpstr(graph->aliases[0], ==, "fast");
}

/* --- inf_switch() in C gives the same graph --- */

typedef struct {
  InfModule *classify, *billing, *tech, *fallback, *acc, *refund, *sales, *bill;
} Router;

static InfModule *
add_child(InfModule *self, const char *name, const char *type, const char *options, GError **error)
{
  json_object *json = json_tokener_parse(options);
  g_assert_nonnull(json);
  g_autoptr(InfModule) child =
      inf_module_new(inf_module_get_registry(self), type, name, json, error);
  json_object_put(json);
  if (child == NULL || !inf_module_add_child(self, name, child, error))
    return NULL;
  return child;
}

static gboolean
router_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  Router *r = g_new0(Router, 1);
  *out_private = r;
  return (r->classify =
              add_child(self, "classify", "llm",
                        "{\"alias\": \"fast\", \"system_prompt\": \"classify\"}", error)) &&
         (r->billing = add_child(self, "billing_flow", "llm",
                                 "{\"alias\": \"fast\", \"system_prompt\": \"billing\"}", error)) &&
         (r->tech = add_child(
              self, "tech_flow", "graph",
              "{\"inputs\": [\"t\"], \"nodes\": {"
              "  \"a\": {\"module\": {\"type\": \"template\", \"template\": \"tech {x}\"},"
              "          \"args\": {\"x\": \"$t\"}},"
              "  \"probe\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"},"
              "             \"args\": [\"$a\"]},"
              "  \"inner\": {\"switch\": \"$probe\", \"cases\": ["
              "    {\"match\": {\"contains\": \"printer\"},"
              "     \"module\": {\"type\": \"template\", \"template\": \"printer {x}\"},"
              "     \"args\": {\"x\": \"$a\"}}],"
              "   \"default\": {\"module\": {\"type\": \"template\", \"template\": \"other {x}\"},"
              "                 \"args\": {\"x\": \"$a\"}}}},"
              "  \"outputs\": \"$inner\"}",
              error)) &&
         (r->acc = add_child(self, "case2", "template", "{\"template\": \"acc {x}\"}", error)) &&
         (r->refund =
              add_child(self, "case3", "template", "{\"template\": \"refund {x}\"}", error)) &&
         (r->sales =
              add_child(self, "case4", "template", "{\"template\": \"sales {x}\"}", error)) &&
         (r->bill = add_child(self, "case5", "template", "{\"template\": \"bill {x}\"}", error)) &&
         (r->fallback =
              add_child(self, "fallback", "template", "{\"template\": \"fallback {x}\"}", error));
}

static InfValue *
router_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
               GError **error)
{
  (void)n_inputs;
  (void)error;
  Router *r = inf_module_get_private(self);
  InfValue *text = inputs[0];
  g_autoptr(InfValue) classify = inf_call(tracer, r->classify, text, NULL);
  g_autoptr(InfValue) label = inf_value_get(classify, "label");
  InfValue *const args[] = { text };
  const char *const x[] = { "x" };
  const char *const sales[] = { "Sales", "buy", NULL };
  const InfSwitchCase cases[] = {
    { INF_MATCH_EXACT, "billing", NULL, r->billing, 1, args, NULL },
    { INF_MATCH_REGEX, "^tech", NULL, r->tech, 1, args, NULL },
    { INF_MATCH_PREFIX, "acc", NULL, r->acc, 1, args, x },
    { INF_MATCH_CONTAINS, "refund", NULL, r->refund, 1, args, x },
    { INF_MATCH_ONE_OF, NULL, sales, r->sales, 1, args, x },
    { INF_MATCH_PREFIX, "bill", NULL, r->bill, 1, args, x },
  };
  const InfSwitchCase fallback = { 0, NULL, NULL, r->fallback, 1, args, x };
  g_autoptr(InfValue) routed =
      inf_switch(tracer, "routed", label, INF_SWITCH_NORMALIZE_TRIM | INF_SWITCH_NORMALIZE_CASEFOLD,
                 cases, G_N_ELEMENTS(cases), &fallback);
  return inf_value_ref(routed);
}

static const InfModuleClass router_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "test-router",
  .description = "The routing pipeline's classify and switch, in C",
  .init = router_init,
  .finalize = g_free,
  .forward = router_forward,
};

/* The nodes of the routing graph up to the switch, as JSON text. */
static char *
graph_json_until(const InfGraph *graph, const char *last)
{
  json_object *json = inf_graph_to_json(graph);
  json_object *nodes = json_object_object_get(json, "nodes");
  json_object *kept = json_object_new_array();
  for (gsize i = 0; i < json_object_array_length(nodes); i++) {
    json_object *n = json_object_array_get_idx(nodes, i);
    json_object_array_add(kept, json_object_get(n));
    if (g_str_equal(json_object_get_string(json_object_object_get(n, "id")), last))
      break;
  }
  char *text = g_strdup(json_object_to_json_string_ext(kept, JSON_C_TO_STRING_PRETTY));
  json_object_put(kept);
  json_object_put(json);
  return text;
}

static void
test_c_api_same_graph(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_registry_add_module_class(f->registry, &router_class, &error));
  g_assert_no_error(error);
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  g_autoptr(InfModule) router = inf_module_new(f->registry, "test-router", "router", NULL, &error);
  g_assert_no_error(error);
  const char *const inputs[] = { "text", NULL };
  g_autoptr(InfGraph) in_c = graph_fixtures_trace(router, inputs);

  g_autofree char *from_config = graph_json_until(inf_config_get_graph(config), "routed");
  g_autofree char *from_c = graph_json_until(in_c, "routed");
  g_assert_cmpstr(from_c, ==, from_config);
  g_autofree char *dot_c = inf_graph_to_dot(in_c, "p");
  g_assert_nonnull(strstr(dot_c, "subgraph \"cluster_routed_1\""));
}

static void
test_c_api_misuse(Fixture *f, gconstpointer data)
{
  (void)data, (void)f;
  /* No cases, a bad regex and a repeated exact match fail the trace with
   * the switch named. */
  static const struct {
    const char *scenario;
    const char *message;
  } cases[] = {
    { "switch-no-cases", "node 'route': a switch needs at least one case" },
    { "switch-bad-regex", "node 'route': case 0: invalid regex '(x'" },
    { "switch-repeat", "node 'route': case 1: 'a' is already matched by an earlier case" },
    { "switch-not-ref", "node 'route': the selector must be a reference" },
  };
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(InfModule) module =
        graph_fixtures_scenario(registry, cases[i].scenario, "[[\"a\", \"echo\", {}]]");
    const char *const inputs[] = { "text", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(InfGraph) graph = inf_tracer_trace(module, inputs, &error);
    g_assert_null(graph);
    g_assert_nonnull(error);
    if (!strstr(error->message, cases[i].message))
      g_error("%s: expected '%s' in: %s", cases[i].scenario, cases[i].message, error->message);
  }
}

/* --- export --- */

static void
test_export(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  g_autofree char *dot = inf_graph_to_dot(graph, "p");
  g_assert_nonnull(strstr(dot, "\"routed\" [shape=diamond, label=\"routed\\nswitch\"];"));
  g_assert_nonnull(strstr(dot, "subgraph \"cluster_routed_0\" {\n    label=\"routed: billing\";"));
  g_assert_nonnull(strstr(dot, "label=\"routed: regex ^tech\""));
  g_assert_nonnull(strstr(dot, "label=\"routed: default\""));
  /* The nested switch's clusters sit inside the outer case's cluster. */
  g_assert_nonnull(strstr(dot, "    subgraph \"cluster_routed.tech_flow.inner_0\" {\n      "
                               "label=\"routed.tech_flow.inner: contains printer\";"));
  g_assert_nonnull(strstr(dot, "\"classify\" -> \"routed\" [label=\"selector (label)\"];"));
  g_assert_nonnull(strstr(dot, "\"routed.fallback\" -> \"routed\" [label=\"case default\"];"));

  g_autofree char *mermaid = inf_graph_to_mermaid(graph);
  gint routed = inf_graph_lookup(graph, "routed");
  g_autofree char *sub = g_strdup_printf("  subgraph n%d_case2[\"routed: prefix acc\"]\n", routed);
  g_assert_nonnull(strstr(mermaid, sub));
  g_autofree char *diamond = g_strdup_printf("  n%d{\"routed<br/>switch\"}\n", routed);
  g_assert_nonnull(strstr(mermaid, diamond));

  json_object *json = inf_graph_to_json(graph);
  json_object *nodes = json_object_object_get(json, "nodes");
  gboolean seen_guard = FALSE, seen_switch = FALSE;
  for (gsize i = 0; i < json_object_array_length(nodes); i++) {
    json_object *n = json_object_array_get_idx(nodes, i);
    const char *id = json_object_get_string(json_object_object_get(n, "id"));
    json_object *guard = json_object_object_get(n, "guard");
    if (g_str_equal(id, "routed.tech_flow.inner.case0")) {
      seen_guard = TRUE;
      g_assert_cmpstr(json_object_to_json_string_ext(guard, JSON_C_TO_STRING_PLAIN), ==,
                      "{\"switch\":\"routed.tech_flow.inner\",\"case\":0,"
                      "\"match\":\"contains printer\"}");
    }
    if (g_str_equal(id, "routed")) {
      seen_switch = TRUE;
      g_assert_null(guard);
      g_assert_cmpstr(json_object_get_string(json_object_object_get(n, "module")), ==, "switch");
      json_object *sw = json_object_object_get(n, "switch");
      g_assert_cmpstr(json_object_get_string(json_object_object_get(sw, "selector")), ==,
                      "classify.label");
      json_object *c4 = json_object_array_get_idx(json_object_object_get(sw, "cases"), 4);
      g_assert_cmpstr(json_object_to_json_string_ext(c4, JSON_C_TO_STRING_PLAIN), ==,
                      "{\"kind\":\"one_of\",\"values\":[\"sales\",\"buy\"],"
                      "\"label\":\"one_of sales|buy\",\"output\":{\"ref\":\"routed.case4\"},"
                      "\"nodes\":[\"routed.case4\"]}");
    }
  }
  g_assert_true(seen_guard && seen_switch);
  json_object_put(json);
}

/* --- execution semantics, node by node --- */

typedef struct {
  InfExecState *state;
  GArray *ready;      /* node indices reported ready, in order */
  GPtrArray *ran;     /* ids of nodes the driver completed */
  GHashTable *values; /* node id → InfValue * to complete it with (else "<id>-out") */
  GHashTable *fail;   /* node ids to fail */
} Drive;

static void
on_ready(InfExecState *state, guint node_index, gpointer user_data)
{
  (void)state;
  Drive *d = user_data;
  g_array_append_val(d->ready, node_index);
}

static void
drive_init(Drive *d)
{
  d->ready = g_array_new(FALSE, FALSE, sizeof(guint));
  d->ran = g_ptr_array_new_with_free_func(g_free);
  d->values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)inf_value_unref);
  d->fail = g_hash_table_new(g_str_hash, g_str_equal);
}

static void
drive_clear(Drive *d)
{
  if (d->state)
    inf_exec_state_unref(d->state);
  g_array_unref(d->ready);
  g_ptr_array_unref(d->ran);
  g_hash_table_unref(d->values);
  g_hash_table_unref(d->fail);
}

static void
drive_start(Drive *d, InfGraph *graph, const char *text)
{
  g_autoptr(InfValue) input = inf_value_new_text(text);
  InfValue *inputs[] = { input };
  d->state = inf_exec_state_new(graph, 0, inputs);
  inf_exec_state_start(d->state, on_ready, d);
}

/* Runs one ready node: completes it with its scripted value or fails it. */
static void
drive_step(Drive *d)
{
  guint n = g_array_index(d->ready, guint, 0);
  g_array_remove_index(d->ready, 0);
  const char *id = d->state->graph->nodes[n].id;
  g_ptr_array_add(d->ran, g_strdup(id));
  inf_exec_state_mark_running(d->state, n);
  if (g_hash_table_contains(d->fail, id)) {
    g_autoptr(GError) error = g_error_new(INF_ERROR, INF_ERROR_HTTP_STATUS, "HTTP 500");
    inf_exec_state_fail(d->state, n, error);
    return;
  }
  InfValue *value = g_hash_table_lookup(d->values, id);
  inf_exec_state_complete(d->state, n,
                          value ? inf_value_ref(value)
                                : inf_value_new_text_take(g_strconcat(id, "-out", NULL)));
}

static void
drive_all(Drive *d)
{
  while (d->ready->len)
    drive_step(d);
  g_assert_true(inf_exec_state_is_done(d->state));
}

static const char *
status_of(Drive *d, const char *id)
{
  gint i = inf_graph_lookup(d->state->graph, id);
  g_assert_cmpint(i, >=, 0);
  return inf_node_status_name(d->state->status[i]);
}

static char *
ran_ids(Drive *d)
{
  g_ptr_array_add(d->ran, NULL);
  char *s = g_strjoinv(" ", (char **)d->ran->pdata);
  g_ptr_array_remove_index(d->ran, d->ran->len - 1);
  return s;
}

/* The classify node answers {"label": @label}. */
static void
script_label(Drive *d, InfValue *label)
{
  InfValue *dict = inf_value_new_dict();
  inf_value_dict_set(dict, "label", label);
  g_hash_table_replace(d->values, "classify", dict);
  inf_value_unref(label);
}

/* Runs @graph on the text "t" to the end, the classify node answering
 * {"label": @label}. */
static void
drive_label(Drive *d, InfGraph *graph, InfValue *label)
{
  drive_init(d);
  script_label(d, label);
  drive_start(d, graph, "t");
  drive_all(d);
}

/* The error of node @id must be @expected. */
static void
assert_node_error(Drive *d, const char *id, const char *expected)
{
  json_object *errors = inf_exec_state_errors_json(d->state);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(errors, id)), ==, expected);
  json_object_put(errors);
}

static void
test_guard_waits_for_selector(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  Drive d = { 0 };
  drive_init(&d);
  script_label(&d, inf_value_new_text("billing"));
  drive_start(&d, graph, "my invoice");
  /* Every case's data ($text) is ready, yet only unguarded nodes are. */
  g_assert_cmpuint(d.ready->len, ==, 2);
  g_assert_cmpstr(graph->nodes[g_array_index(d.ready, guint, 0)].id, ==, "classify");
  g_assert_cmpstr(graph->nodes[g_array_index(d.ready, guint, 1)].id, ==, "side");
  g_assert_cmpstr(status_of(&d, "routed.case2"), ==, "blocked");
  g_assert_cmpstr(status_of(&d, "routed.fallback"), ==, "blocked");
  drive_step(&d); /* classify → billing */
  g_assert_cmpstr(status_of(&d, "routed.billing_flow"), ==, "pending");
  g_assert_cmpstr(status_of(&d, "routed.case2"), ==, "skipped");
  g_assert_cmpstr(status_of(&d, "routed.tech_flow.probe"), ==, "skipped");
  g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner"), ==, "skipped");
  g_assert_cmpstr(status_of(&d, "routed"), ==, "blocked");
  drive_all(&d);
  g_autofree char *ran = ran_ids(&d);
  g_assert_cmpstr(ran, ==, "classify side routed.billing_flow after");
  g_assert_cmpstr(status_of(&d, "routed"), ==, "completed");
  g_assert_cmpuint(d.state->n_failed, ==, 0);
  g_autoptr(InfValue) out = inf_exec_state_get_outputs(d.state);
  json_object *json = inf_value_to_json(out);
  g_assert_cmpstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), ==,
                  "{\"routed\":\"routed.billing_flow-out\",\"after\":\"after-out\","
                  "\"side\":\"side-out\"}");
  json_object_put(json);
  json_object *statuses = inf_exec_state_statuses_json(d.state);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(statuses, "routed.default")), ==,
                  NULL);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(statuses, "routed.fallback")), ==,
                  "skipped");
  g_assert_null(inf_exec_state_errors_json(d.state));
  json_object_put(statuses);
  drive_clear(&d);
}

/* Selector value → the case node that runs (everything else in routed is
 * skipped): each match kind, normalization, overlapping cases in order. */
static void
test_match_kinds(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  static const struct {
    const char *label;
    const char *taken;
  } table[] = {
    { "billing", "routed.billing_flow" },     /* exact */
    { "  BILLING\n", "routed.billing_flow" }, /* trim + casefold */
    { "billing!", "routed.case5" },           /* not exact: the later prefix "bill" */
    { "Technical", "routed.tech_flow.a" },    /* regex ^tech (caseless under casefold) */
    { "x-tech", "routed.fallback" },          /* regex anchored: no */
    { "account", "routed.case2" },            /* prefix */
    { "my refund", "routed.case3" },          /* contains */
    { "accrefund", "routed.case2" },          /* prefix and contains: the first case wins */
    { "SALES", "routed.case4" },              /* one_of, patterns normalized too */
    { "buy", "routed.case4" },
    { "billable", "routed.case5" }, /* prefix bill */
    { "other", "routed.fallback" }, /* default */
  };
  for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
    Drive d = { 0 };
    drive_label(&d, graph, inf_value_new_text(table[i].label));
    g_assert_cmpstr(status_of(&d, "routed"), ==, "completed");
    g_autofree char *expected = g_strconcat(table[i].taken, "-out", NULL);
    gint routed = inf_graph_lookup(graph, "routed");
    const char *got = inf_value_get_text(d.state->results[routed]);
    if (!g_str_equal(table[i].taken, "routed.tech_flow.a") && g_strcmp0(got, expected) != 0)
      g_error("label '%s': expected %s, got %s", table[i].label, expected, got);
    g_assert_cmpstr(status_of(&d, table[i].taken), ==, "completed");
    /* Every other case node of the outer switch: skipped. */
    const InfGraphSwitch *sw = &graph->switches[graph->nodes[routed].switch_index];
    guint n_completed = 0;
    for (guint c = 0; c < sw->n_cases; c++)
      for (guint k = 0; k < sw->cases[c].n_nodes; k++)
        if (d.state->status[sw->cases[c].nodes[k]] == INF_NODE_COMPLETED)
          n_completed++;
        else
          g_assert_cmpint(d.state->status[sw->cases[c].nodes[k]], ==, INF_NODE_SKIPPED);
    g_assert_cmpuint(n_completed, ==, g_str_equal(table[i].taken, "routed.tech_flow.a") ? 3 : 1);
    drive_clear(&d);
  }
}

static void
test_selector_kinds(Fixture *f, gconstpointer data)
{
  (void)data;
  /* Numbers and booleans select by their JSON text; a whole node output
   * ($probe) and a field ($classify.label) both work; a dict does not. */
  g_autofree char *text =
      with_routed("{\"switch\": \"$classify.label\", \"cases\": ["
                  "{\"match\": \"42\", \"module\": \"fallback\", \"args\": {\"x\": \"$text\"}},"
                  "{\"match\": \"true\", \"module\": \"billing_flow\", \"args\": [\"$text\"]}]}");
  g_autoptr(InfConfig) config = load_ok(f, text);
  InfGraph *graph = inf_config_get_graph(config);
  {
    Drive d = { 0 };
    drive_label(&d, graph, inf_value_new_int(42));
    g_assert_cmpstr(status_of(&d, "routed.fallback"), ==, "completed");
    g_assert_cmpstr(status_of(&d, "routed.billing_flow"), ==, "skipped");
    drive_clear(&d);
  }
  {
    Drive d = { 0 };
    drive_label(&d, graph, inf_value_new_bool(TRUE));
    g_assert_cmpstr(status_of(&d, "routed.billing_flow"), ==, "completed");
    drive_clear(&d);
  }
  {
    Drive d = { 0 };
    drive_label(&d, graph, inf_value_new_dict());
    g_assert_cmpstr(status_of(&d, "routed"), ==, "failed");
    assert_node_error(&d, "routed",
                      "switch 'routed': the selector is a dict; a switch selects on text (or a "
                      "number or a boolean)");
    drive_clear(&d);
  }
  {
    /* $classify.label where classify answered text: no such field. */
    Drive d = { 0 };
    drive_init(&d);
    g_hash_table_replace(d.values, "classify", inf_value_new_text("billing"));
    drive_start(&d, graph, "t");
    drive_all(&d);
    g_assert_cmpstr(status_of(&d, "routed"), ==, "failed");
    g_assert_cmpstr(status_of(&d, "routed.billing_flow"), ==, "cancelled");
    assert_node_error(&d, "routed", "node 'classify' has no field 'label' in its text output");
    drive_clear(&d);
  }
}

static void
test_no_match(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *text = with_routed(
      "{\"switch\": \"$classify.label\", \"cases\": ["
      "{\"match\": \"billing\", \"module\": \"billing_flow\", \"args\": [\"$text\"]},"
      "{\"match\": {\"regex\": \"^tech\"}, \"module\": \"tech_flow\", \"args\": [\"$text\"]}]}");
  /* Add a dependent and an independent node around it. */
  g_autofree char *full = NULL;
  {
    GString *s = g_string_new(text);
    const char *outputs = "\"outputs\": \"$routed\"";
    char *at = strstr(s->str, outputs);
    g_assert_nonnull(at);
    gssize pos = at - s->str;
    g_string_erase(s, pos, (gssize)strlen(outputs));
    g_string_insert(s, pos, "\"outputs\": {\"routed\": \"$routed\", \"side\": \"$side\"}");
    char *nodes_end = strstr(s->str, "}}, \"outputs\"");
    g_assert_nonnull(nodes_end);
    g_string_insert(s, nodes_end - s->str + 1,
                    ", \"after\": {\"module\": \"fallback\", \"args\": {\"x\": \"$routed\"}},"
                    " \"side\": {\"module\": \"fallback\", \"args\": {\"x\": \"$text\"}}");
    full = g_string_free(s, FALSE);
  }
  g_autoptr(InfConfig) config = load_ok(f, full);
  InfGraph *graph = inf_config_get_graph(config);
  Drive d = { 0 };
  drive_label(&d, graph, inf_value_new_text("sales"));
  g_autofree char *ran = ran_ids(&d);
  g_assert_cmpstr(ran, ==, "classify side");
  g_assert_cmpstr(status_of(&d, "routed"), ==, "failed");
  g_assert_cmpstr(status_of(&d, "after"), ==, "cancelled");
  g_assert_cmpstr(status_of(&d, "side"), ==, "completed");
  /* No case was taken: every case node is skipped, not cancelled. */
  g_assert_cmpstr(status_of(&d, "routed.billing_flow"), ==, "skipped");
  g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner.case0"), ==, "skipped");
  json_object *errors = inf_exec_state_errors_json(d.state);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(errors, "routed")), ==,
                  "switch 'routed': no case matches 'sales' (the value of $classify.label; "
                  "cases: billing, regex ^tech) and there is no default");
  g_assert_cmpstr(json_object_get_string(json_object_object_get(errors, "after")), ==,
                  "cancelled: upstream node 'routed' failed");
  g_assert_cmpint(json_object_object_length(errors), ==, 2);
  json_object_put(errors);
  drive_clear(&d);
}

static void
test_failed_selector(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  Drive d = { 0 };
  drive_init(&d);
  g_hash_table_add(d.fail, "classify");
  drive_start(&d, graph, "t");
  drive_all(&d);
  g_autofree char *ran = ran_ids(&d);
  g_assert_cmpstr(ran, ==, "classify side");
  g_assert_cmpstr(status_of(&d, "classify"), ==, "failed");
  g_assert_cmpstr(status_of(&d, "routed"), ==, "failed");
  g_assert_cmpstr(status_of(&d, "routed.billing_flow"), ==, "cancelled");
  g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner"), ==, "cancelled");
  g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner.case0"), ==, "cancelled");
  g_assert_cmpstr(status_of(&d, "after"), ==, "cancelled");
  g_assert_cmpstr(status_of(&d, "side"), ==, "completed");
  assert_node_error(&d, "routed",
                    "switch 'routed': its selector $classify.label did not complete (it failed)");
  drive_clear(&d);
}

static void
test_nested(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  gint inner = inf_graph_lookup(graph, "routed.tech_flow.inner");
  gint inner_sw = graph->nodes[inner].switch_index;
  {
    /* Outer takes billing: the inner switch never evaluates; its selector
     * (an LLM node) never becomes ready. */
    Drive d = { 0 };
    drive_label(&d, graph, inf_value_new_text("billing"));
    g_assert_cmpint(d.state->decided[inner_sw], ==, -1);
    g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner"), ==, "skipped");
    g_autofree char *ran = ran_ids(&d);
    g_assert_null(strstr(ran, "probe"));
    drive_clear(&d);
  }
  {
    /* Outer takes tech; the inner selector answers "printer jam". */
    Drive d = { 0 };
    drive_init(&d);
    script_label(&d, inf_value_new_text("tech"));
    g_hash_table_replace(d.values, "routed.tech_flow.probe", inf_value_new_text("printer jam"));
    g_hash_table_replace(d.values, "routed.tech_flow.inner.case0", inf_value_new_text("P"));
    drive_start(&d, graph, "t");
    drive_all(&d);
    g_autofree char *ran = ran_ids(&d);
    g_assert_cmpstr(ran, ==,
                    "classify side routed.tech_flow.a routed.tech_flow.probe "
                    "routed.tech_flow.inner.case0 after");
    g_assert_cmpint(d.state->decided[inner_sw], ==, 0);
    g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner.default"), ==, "skipped");
    g_assert_cmpstr(status_of(&d, "routed.tech_flow.inner"), ==, "completed");
    gint routed = inf_graph_lookup(graph, "routed");
    g_assert_cmpstr(inf_value_get_text(d.state->results[routed]), ==, "P");
    drive_clear(&d);
  }
}

static void
test_requeue_selector(Fixture *f, gconstpointer data)
{
  (void)data;
  /* A rate-limited selector goes back to pending: the guards stay shut. */
  g_autoptr(InfConfig) config = load_ok(f, ROUTING_CONFIG);
  InfGraph *graph = inf_config_get_graph(config);
  Drive d = { 0 };
  drive_init(&d);
  script_label(&d, inf_value_new_text("account"));
  drive_start(&d, graph, "t");
  guint classify = (guint)inf_graph_lookup(graph, "classify");
  g_assert_cmpuint(g_array_index(d.ready, guint, 0), ==, classify);
  g_array_remove_index(d.ready, 0);
  inf_exec_state_mark_running(d.state, classify);
  inf_exec_state_requeue(d.state, classify);
  g_assert_cmpuint(d.ready->len, ==, 2); /* side, classify again */
  g_assert_cmpstr(status_of(&d, "routed.case2"), ==, "blocked");
  drive_all(&d);
  g_autofree char *ran = ran_ids(&d);
  g_assert_cmpstr(ran, ==, "side classify routed.case2 after");
  drive_clear(&d);
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "config-errors", test_config_errors },
  { "trace", test_trace },
  { "c-api-same-graph", test_c_api_same_graph },
  { "c-api-misuse", test_c_api_misuse },
  { "export", test_export },
  { "guard-waits-for-selector", test_guard_waits_for_selector },
  { "match-kinds", test_match_kinds },
  { "selector-kinds", test_selector_kinds },
  { "no-match", test_no_match },
  { "failed-selector", test_failed_selector },
  { "nested", test_nested },
  { "requeue-selector", test_requeue_selector },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/switch/", Fixture, inf_test_config_fixture_set_up, cases,
                     inf_test_config_fixture_tear_down);
  return g_test_run();
}
