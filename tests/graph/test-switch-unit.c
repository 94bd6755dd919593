/* Switches without plugins (unit suite, run under valgrind in CI):
 * inf_switch() in a C composite, the traced guards, and the execution state
 * driven node by node — guards, skipping, the join, nesting, no match. */
#include <string.h>

#include "exec/state.h"
#include "graph-fixtures.h"
#include "graph/graph-export.h"

#define CHILDREN                                                           \
  "[[\"a\", \"echo\", {}], [\"b\", \"echo\", {}], [\"c\", \"echo\", {}], " \
  "[\"d\", \"echo\", {}]]"

static InfGraph *
trace(InfRegistry *registry, const char *scenario, const char *children)
{
  g_autoptr(InfModule) module = graph_fixtures_scenario(registry, scenario, children);
  const char *const inputs[] = { "sel", "text", NULL };
  return graph_fixtures_trace(module, inputs);
}

typedef struct {
  InfExecState *state;
  GArray *ready;
  GString *ran;
} Drive;

static void
on_ready(InfExecState *state, guint node, gpointer user_data)
{
  (void)state;
  Drive *d = user_data;
  g_array_append_val(d->ready, node);
}

/* Runs @graph for selector @sel: every ready node completes with
 * "<id>-out"; returns the ids run, in order. */
static void
drive(Drive *d, InfGraph *graph, const char *sel)
{
  g_autoptr(InfValue) v_sel = inf_value_new_text(sel);
  g_autoptr(InfValue) v_text = inf_value_new_text("hello");
  InfValue *inputs[] = { v_sel, v_text };
  d->ready = g_array_new(FALSE, FALSE, sizeof(guint));
  d->ran = g_string_new(NULL);
  d->state = inf_exec_state_new(graph, 0, inputs);
  inf_exec_state_start(d->state, on_ready, d);
  while (d->ready->len) {
    guint n = g_array_index(d->ready, guint, 0);
    g_array_remove_index(d->ready, 0);
    const char *id = graph->nodes[n].id;
    g_string_append_printf(d->ran, "%s%s", d->ran->len ? " " : "", id);
    inf_exec_state_mark_running(d->state, n);
    inf_exec_state_complete(d->state, n, inf_value_new_text_take(g_strconcat(id, "-out", NULL)));
  }
  g_assert_true(inf_exec_state_is_done(d->state));
}

static void
drive_clear(Drive *d)
{
  inf_exec_state_unref(d->state);
  g_array_unref(d->ready);
  g_string_free(d->ran, TRUE);
}

static const char *
status(Drive *d, const char *id)
{
  gint i = inf_graph_lookup(d->state->graph, id);
  g_assert_cmpint(i, >=, 0);
  return inf_node_status_name(d->state->status[i]);
}

static const char *
result_text(Drive *d, const char *id)
{
  gint i = inf_graph_lookup(d->state->graph, id);
  g_assert_cmpint(i, >=, 0);
  return inf_value_get_text(d->state->results[i]);
}

static void
test_trace(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) graph = trace(registry, "switch", CHILDREN);
  graph_fixtures_assert_ids(graph, "input:sel input:text route.a route.b route.c route d");
  graph_fixtures_assert_deps(graph, "route", "input:sel route.a route.b route.c");
  g_assert_cmpuint(graph->n_switches, ==, 1);
  const InfGraphSwitch *sw = &graph->switches[0];
  g_assert_cmpuint(sw->n_cases, ==, 3);
  g_assert_true(sw->has_default);
  g_assert_cmpstr(sw->cases[1].label, ==, "regex ^b");
  for (guint c = 0; c < 3; c++) {
    g_assert_cmpuint(sw->cases[c].n_nodes, ==, 1);
    const InfGraphNode *n = &graph->nodes[sw->cases[c].nodes[0]];
    g_assert_cmpint(n->guard, ==, 0);
    g_assert_cmpuint(n->guard_case, ==, c);
  }
  g_assert_cmpint(graph->nodes[inf_graph_lookup(graph, "d")].guard, ==, -1);
  g_autofree char *mermaid = inf_graph_to_mermaid(graph);
  g_assert_nonnull(strstr(mermaid, "  subgraph n5_case1[\"route: regex ^b\"]\n    n3[\"route.b"));
}

static void
test_run(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) graph = trace(registry, "switch", CHILDREN);
  static const struct {
    const char *sel;
    const char *ran;
  } table[] = {
    { "a", "route.a d" },   { " A\t", "route.a d" }, /* trim + casefold */
    { "Bee", "route.b d" },                          /* the regex, caseless */
    { "ab", "route.c d" },                           /* exact means exact: the default */
    { "", "route.c d" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
    Drive d = { 0 };
    drive(&d, graph, table[i].sel);
    g_assert_cmpstr(d.ran->str, ==, table[i].ran);
    g_autofree char *taken = g_strndup(table[i].ran, 7);
    for (const char *const *id = (const char *const[]){ "route.a", "route.b", "route.c", NULL };
         *id; id++)
      g_assert_cmpstr(status(&d, *id), ==, g_str_equal(*id, taken) ? "completed" : "skipped");
    g_autofree char *out = g_strconcat(taken, "-out", NULL);
    g_assert_cmpstr(result_text(&d, "route"), ==, out);
    g_assert_cmpuint(d.state->n_failed, ==, 0);
    g_assert_cmpuint(d.state->n_terminal, ==, graph->n_nodes);
    drive_clear(&d);
  }
}

static void
test_nested(void)
{
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) graph =
      trace(registry, "switch-nested",
            "[[\"inner\", \"scenario\", {\"scenario\": \"switch\", \"children\": " CHILDREN "}],"
            " [\"e\", \"echo\", {}]]");
  graph_fixtures_assert_ids(graph,
                            "input:sel input:text outer.inner.route.a outer.inner.route.b "
                            "outer.inner.route.c outer.inner.route outer.inner.d outer.e outer");
  gint inner = inf_graph_lookup(graph, "outer.inner.route");
  gint inner_sw = graph->nodes[inner].switch_index;
  gint outer = inf_graph_lookup(graph, "outer");
  g_assert_cmpint(graph->nodes[inner].guard, ==, graph->nodes[outer].switch_index);
  {
    /* Outer takes the default: the inner switch never decides. */
    Drive d = { 0 };
    drive(&d, graph, "y");
    g_assert_cmpstr(d.ran->str, ==, "outer.e");
    g_assert_cmpint(d.state->decided[inner_sw], ==, -1);
    g_assert_cmpstr(status(&d, "outer.inner.route"), ==, "skipped");
    g_assert_cmpstr(status(&d, "outer.inner.d"), ==, "skipped");
    g_assert_cmpstr(result_text(&d, "outer"), ==, "outer.e-out");
    drive_clear(&d);
  }
  {
    /* Outer takes "x"; inner switches on the text "hello": its default. */
    Drive d = { 0 };
    drive(&d, graph, "x");
    g_assert_cmpstr(d.ran->str, ==, "outer.inner.route.c outer.inner.d");
    g_assert_cmpint(d.state->decided[inner_sw], ==, 2);
    g_assert_cmpstr(status(&d, "outer.e"), ==, "skipped");
    g_assert_cmpstr(result_text(&d, "outer"), ==, "outer.inner.d-out");
    drive_clear(&d);
  }
}

static void
test_no_match(void)
{
  /* route = switch on sel: exact "a" only, no default; after reads it. */
  g_autoptr(InfRegistry) registry = graph_fixtures_registry();
  g_autoptr(InfGraph) nodefault =
      trace(registry, "switch-no-default", "[[\"a\", \"echo\", {}], [\"after\", \"echo\", {}]]");
  Drive d = { 0 };
  drive(&d, nodefault, "zzz");
  g_assert_cmpstr(d.ran->str, ==, "");
  g_assert_cmpstr(status(&d, "route"), ==, "failed");
  g_assert_cmpstr(status(&d, "route.a"), ==, "skipped");
  g_assert_cmpstr(status(&d, "after"), ==, "cancelled");
  json_object *errors = inf_exec_state_errors_json(d.state);
  g_assert_cmpstr(json_object_get_string(json_object_object_get(errors, "route")), ==,
                  "switch 'route': no case matches 'zzz' (the value of $sel; cases: a) and there "
                  "is no default");
  json_object_put(errors);
  drive_clear(&d);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/switch-unit/trace", test_trace);
  g_test_add_func("/switch-unit/run", test_run);
  g_test_add_func("/switch-unit/nested", test_nested);
  g_test_add_func("/switch-unit/no-match", test_no_match);
  return g_test_run();
}
