/* Test fixtures for the tracer, graphs and configs. */
#include "graph-fixtures.h"

#include <glib/gstdio.h>

#include <string.h>

#include "config/builtins.h"
#include "graph/tracer-private.h"

/* --- atomic classes --- */

static const InfOptionSpec echo_options[] = {
  { .name = "alias", .type = INF_OPTION_STRING, .description = "resource alias" },
  { .name = NULL },
};

static void
echo_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, inf_value_new_null());
}

static const char *
echo_alias(InfModule *self)
{
  const InfOptions *options = inf_module_get_options(self);
  return inf_options_has(options, "alias") ? inf_options_get_string(options, "alias") : NULL;
}

static const InfModuleClass echo_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "echo",
  .description = "test: any arguments",
  .options = echo_options,
  .execute = echo_execute,
  .resource_alias = echo_alias,
};

static const InfInputSpec one_inputs[] = {
  { .name = "text", .description = "the text", .required = TRUE },
  { .name = "extra", .description = "optional" },
  { .name = NULL },
};

static const InfModuleClass one_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "one",
  .description = "test: declared inputs",
  .inputs = one_inputs,
  .execute = echo_execute,
};

/* --- the scenario composite --- */

typedef InfValue *(*ScenarioFunc)(InfModule *self, InfTracer *t, InfValue *const *in, guint n,
                                  GError **error);

#define CHILD(name) inf_module_get_child(self, name)

static InfValue *
scenario_linear(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) b = inf_call(t, CHILD("b"), a, NULL);
  return inf_call(t, CHILD("c"), b, NULL);
}

static InfValue *
scenario_fanout(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) b = inf_call(t, CHILD("b"), in[0], NULL);
  g_autoptr(InfValue) c = inf_call(t, CHILD("c"), in[0], NULL);
  InfValue *items[] = { a, b, c };
  return inf_value_new_list(items, 3);
}

static InfValue *
scenario_fanin(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) b = inf_call(t, CHILD("b"), in[1], NULL);
  return inf_call(t, CHILD("c"), a, b, in[0], NULL);
}

static InfValue *
scenario_diamond(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) b = inf_call(t, CHILD("b"), a, NULL);
  g_autoptr(InfValue) c = inf_call(t, CHILD("c"), a, NULL);
  g_autoptr(InfValue) d = inf_call(t, CHILD("d"), b, c, NULL);
  InfValue *out = inf_value_new_dict();
  inf_value_dict_set(out, "left", b);
  inf_value_dict_set(out, "right", c);
  inf_value_dict_set(out, "final", d);
  return out;
}

static InfValue *
scenario_twice(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) a1 = inf_call(t, CHILD("a"), a, NULL);
  return inf_call(t, CHILD("a"), a1, NULL);
}

static InfValue *
scenario_field(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) x = inf_value_get(a, "x");
  g_autoptr(InfValue) y = inf_value_get(a, "y");
  g_autoptr(InfValue) yz = inf_value_get(y, "z");
  g_autoptr(InfValue) b = inf_call(t, CHILD("b"), x, yz, NULL);
  return inf_value_get(b, "result");
}

/* Calls child "sub" (a composite returning a dict with "final") twice. */
static InfValue *
scenario_nested(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) r = inf_call(t, CHILD("sub"), in[0], NULL);
  g_autoptr(InfValue) final = inf_value_get(r, "final");
  g_autoptr(InfValue) r2 = inf_call(t, CHILD("sub"), final, NULL);
  g_autoptr(InfValue) final2 = inf_value_get(r2, "final");
  g_autoptr(InfValue) e = inf_call(t, CHILD("e"), final2, NULL);
  g_autoptr(InfValue) left = inf_value_get(r, "left");
  InfValue *out = inf_value_new_dict();
  inf_value_dict_set(out, "e", e);
  if (left) /* NULL when "sub" failed: the trace reports that */
    inf_value_dict_set(out, "left", left);
  return out;
}

static InfValue *
scenario_priority(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) b = inf_call(t, CHILD("b"), in[0], NULL);
  inf_tracer_set_priority(t, a, 5);
  inf_tracer_set_priority(t, b, -1);
  InfValue *items[] = { a, b };
  return inf_value_new_list(items, 2);
}

static InfValue *
scenario_literal(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) lit = inf_value_new_text("lit");
  g_autoptr(InfValue) three = inf_value_new_int(3);
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], lit, three, NULL);
  InfValue *out = inf_value_new_dict();
  inf_value_dict_set(out, "a", a);
  g_autoptr(InfValue) constant = inf_value_new_text("constant");
  inf_value_dict_set(out, "constant", constant);
  inf_value_dict_set(out, "input", in[0]);
  return out;
}

static InfValue *
scenario_named(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  const char *names[] = { "text", "extra" };
  InfValue *args[] = { in[0], in[0] };
  return inf_callv(t, CHILD("a"), 2, args, names);
}

static InfValue *
scenario_positional_names(InfModule *self, InfTracer *t, InfValue *const *in, guint n,
                          GError **error)
{
  (void)n, (void)error;
  return inf_call(t, CHILD("a"), in[0], NULL);
}

static InfValue *
scenario_stranger(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfModule) stranger =
      inf_module_new(inf_module_get_registry(self), "echo", "stranger", NULL, NULL);
  g_autoptr(InfValue) v = inf_call(t, stranger, in[0], NULL);
  return inf_call(t, CHILD("a"), in[0], NULL);
}

static InfValue *
scenario_error_arg(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)in, (void)n, (void)error;
  g_autoptr(GError) e = g_error_new(INF_ERROR, INF_ERROR_FAILED, "broken upstream");
  g_autoptr(InfValue) bad = inf_value_new_error(e, NULL);
  return inf_call(t, CHILD("a"), bad, NULL);
}

static InfValue *
scenario_list_arg(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  InfValue *items[] = { in[0] };
  g_autoptr(InfValue) list = inf_value_new_list(items, 1);
  return inf_call(t, CHILD("a"), list, NULL);
}

static InfValue *
scenario_too_many(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  return inf_call(t, CHILD("a"), in[0], in[0], in[0], NULL);
}

static InfValue *
scenario_fails(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)self, (void)t, (void)in, (void)n;
  g_set_error(error, INF_ERROR, INF_ERROR_FAILED, "forward gave up");
  return NULL;
}

static InfValue *
scenario_nested_output(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  g_autoptr(InfValue) a = inf_call(t, CHILD("a"), in[0], NULL);
  g_autoptr(InfValue) inner = inf_value_new_list(&a, 1);
  InfValue *out = inf_value_new_dict();
  inf_value_dict_set(out, "inner", inner);
  return out;
}

/* route = switch on in[0] (trimmed, casefolded): "a" → a(in[1]),
 * regex ^b → b(in[1]), else c(in[1]); then d(route). */
static InfValue *
scenario_switch(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  const InfSwitchCase cases[] = {
    { INF_MATCH_EXACT, "a", NULL, CHILD("a"), 1, in + 1, NULL },
    { INF_MATCH_REGEX, "^b", NULL, CHILD("b"), 1, in + 1, NULL },
  };
  const InfSwitchCase fallback = { 0, NULL, NULL, CHILD("c"), 1, in + 1, NULL };
  g_autoptr(InfValue) route =
      inf_switch(t, "route", in[0], INF_SWITCH_NORMALIZE_TRIM | INF_SWITCH_NORMALIZE_CASEFOLD,
                 cases, G_N_ELEMENTS(cases), &fallback);
  return inf_call(t, CHILD("d"), route, NULL);
}

/* outer = switch on in[0]: "x" → inner(in[1], in[1]) (a "switch" scenario
 * child: it switches on in[1]), else e(in[1]). */
static InfValue *
scenario_switch_nested(InfModule *self, InfTracer *t, InfValue *const *in, guint n, GError **error)
{
  (void)n, (void)error;
  InfValue *const inner_args[] = { in[1], in[1] };
  const InfSwitchCase cases[] = {
    { INF_MATCH_EXACT, "x", NULL, CHILD("inner"), 2, inner_args, NULL },
  };
  const InfSwitchCase fallback = { 0, NULL, NULL, CHILD("e"), 1, in + 1, NULL };
  return inf_switch(t, "outer", in[0], 0, cases, 1, &fallback);
}

/* route = switch on in[0]: exact "a" → a(in[1]), no default; after(route). */
static InfValue *
scenario_switch_no_default(InfModule *self, InfTracer *t, InfValue *const *in, guint n,
                           GError **error)
{
  (void)n, (void)error;
  const InfSwitchCase cases[] = {
    { INF_MATCH_EXACT, "a", NULL, CHILD("a"), 1, in + 1, NULL },
  };
  g_autoptr(InfValue) route = inf_switch(t, "route", in[0], 0, cases, 1, NULL);
  return inf_call(t, CHILD("after"), route, NULL);
}

/* Misused inf_switch(): each must fail the trace. */
static InfValue *
scenario_switch_misuse(InfModule *self, InfTracer *t, InfValue *const *in, const char *what)
{
  InfSwitchCase cases[2] = {
    { INF_MATCH_EXACT, "a", NULL, CHILD("a"), 1, in, NULL },
    { INF_MATCH_EXACT, "a", NULL, CHILD("a"), 1, in, NULL },
  };
  if (g_str_equal(what, "no-cases"))
    return inf_switch(t, "route", in[0], 0, NULL, 0, NULL);
  if (g_str_equal(what, "bad-regex")) {
    cases[0].match = INF_MATCH_REGEX;
    cases[0].pattern = "(x";
    return inf_switch(t, "route", in[0], 0, cases, 1, NULL);
  }
  if (g_str_equal(what, "repeat"))
    return inf_switch(t, "route", in[0], 0, cases, 2, NULL);
  g_autoptr(InfValue) literal = inf_value_new_text("a");
  return inf_switch(t, "route", literal, 0, cases, 1, NULL);
}

#define SWITCH_MISUSE(func, what)                                                    \
  static InfValue *func(InfModule *self, InfTracer *t, InfValue *const *in, guint n, \
                        GError **error)                                              \
  {                                                                                  \
    (void)n, (void)error;                                                            \
    return scenario_switch_misuse(self, t, in, what);                                \
  }
SWITCH_MISUSE(scenario_switch_no_cases, "no-cases")
SWITCH_MISUSE(scenario_switch_bad_regex, "bad-regex")
SWITCH_MISUSE(scenario_switch_repeat, "repeat")
SWITCH_MISUSE(scenario_switch_not_ref, "not-ref")

static const struct {
  const char *name;
  ScenarioFunc func;
} scenarios[] = {
  { "switch", scenario_switch },
  { "switch-nested", scenario_switch_nested },
  { "switch-no-default", scenario_switch_no_default },
  { "switch-no-cases", scenario_switch_no_cases },
  { "switch-bad-regex", scenario_switch_bad_regex },
  { "switch-repeat", scenario_switch_repeat },
  { "switch-not-ref", scenario_switch_not_ref },
  { "linear", scenario_linear },
  { "fanout", scenario_fanout },
  { "fanin", scenario_fanin },
  { "diamond", scenario_diamond },
  { "twice", scenario_twice },
  { "field", scenario_field },
  { "nested", scenario_nested },
  { "priority", scenario_priority },
  { "literal", scenario_literal },
  { "named", scenario_named },
  { "positional-names", scenario_positional_names },
  { "stranger", scenario_stranger },
  { "error-arg", scenario_error_arg },
  { "list-arg", scenario_list_arg },
  { "too-many", scenario_too_many },
  { "fails", scenario_fails },
  { "nested-output", scenario_nested_output },
};

static const InfOptionSpec scenario_options[] = {
  { .name = "scenario",
    .type = INF_OPTION_STRING,
    .required = TRUE,
    .description = "which forward()" },
  { .name = "children",
    .type = INF_OPTION_JSON,
    .default_json = "[]",
    .description = "[[name, type, {options}], ...]" },
  { .name = NULL },
};

static gboolean
scenario_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  const char *name = inf_options_get_string(options, "scenario");
  gsize k = 0;
  while (k < G_N_ELEMENTS(scenarios) && strcmp(scenarios[k].name, name) != 0)
    k++;
  if (k == G_N_ELEMENTS(scenarios)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "unknown scenario '%s'", name);
    return FALSE;
  }
  json_object *children = inf_options_get_json(options, "children");
  for (gsize i = 0; children && i < json_object_array_length(children); i++) {
    json_object *c = json_object_array_get_idx(children, i);
    const char *child_name = json_object_get_string(json_object_array_get_idx(c, 0));
    const char *type = json_object_get_string(json_object_array_get_idx(c, 1));
    json_object *child_options = json_object_array_get_idx(c, 2);
    g_autoptr(InfModule) child =
        inf_module_new(inf_module_get_registry(self), type, child_name, child_options, error);
    if (child == NULL || !inf_module_add_child(self, child_name, child, error))
      return FALSE;
  }
  *out_private = (gpointer)scenarios[k].func;
  return TRUE;
}

static InfValue *
scenario_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
                 GError **error)
{
  ScenarioFunc func = (ScenarioFunc)inf_module_get_private(self);
  return func(self, tracer, inputs, n_inputs, error);
}

static const InfModuleClass scenario_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "scenario",
  .description = "test: scripted composite",
  .options = scenario_options,
  .init = scenario_init,
  .forward = scenario_forward,
};

InfRegistry *
graph_fixtures_registry(void)
{
  InfRegistry *registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_builtins_register(registry, &error));
  g_assert_true(inf_registry_add_module_class(registry, &echo_class, &error));
  g_assert_true(inf_registry_add_module_class(registry, &one_class, &error));
  g_assert_true(inf_registry_add_module_class(registry, &scenario_class, &error));
  g_assert_no_error(error);
  return registry;
}

InfModule *
graph_fixtures_scenario(InfRegistry *registry, const char *scenario, const char *children_json)
{
  json_object *options = json_object_new_object();
  json_object_object_add(options, "scenario", json_object_new_string(scenario));
  if (children_json) {
    json_object *children = json_tokener_parse(children_json);
    g_assert_nonnull(children);
    json_object_object_add(options, "children", children);
  }
  g_autoptr(GError) error = NULL;
  InfModule *module = inf_module_new(registry, "scenario", scenario, options, &error);
  json_object_put(options);
  g_assert_no_error(error);
  g_assert_nonnull(module);
  return module;
}

InfGraph *
graph_fixtures_trace(InfModule *module, const char *const *inputs)
{
  g_autoptr(GError) error = NULL;
  InfGraph *graph = inf_tracer_trace(module, inputs, &error);
  g_assert_no_error(error);
  g_assert_nonnull(graph);
  return graph;
}

char *
graph_fixtures_ids(const InfGraph *graph)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < graph->n_nodes; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", graph->nodes[i].id);
  return g_string_free(s, FALSE);
}

char *
graph_fixtures_deps(const InfGraph *graph, const char *id)
{
  gint index = inf_graph_lookup(graph, id);
  g_assert_cmpint(index, >=, 0);
  const InfGraphNode *node = &graph->nodes[index];
  GString *s = g_string_new(NULL);
  for (guint d = 0; d < node->n_deps; d++)
    g_string_append_printf(s, "%s%s", d ? " " : "", graph->nodes[node->deps[d]].id);
  return g_string_free(s, FALSE);
}

void
graph_fixtures_assert_ids(const InfGraph *graph, const char *expected)
{
  g_autofree char *ids = graph_fixtures_ids(graph);
  g_assert_cmpstr(ids, ==, expected);
}

void
graph_fixtures_assert_deps(const InfGraph *graph, const char *id, const char *expected)
{
  g_autofree char *deps = graph_fixtures_deps(graph, id);
  g_assert_cmpstr(deps, ==, expected);
}
