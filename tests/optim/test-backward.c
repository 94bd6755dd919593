/* Unit tests of the backward pass (core/optim/backward.c) over real traced
 * graphs run by the scheduler: chains, fan-out, fan-in, failed nodes, a
 * parameter shared by two modules, and a switch (skipped cases). */
#include <inf/inf.h>
#include <string.h>

#include "exec/scheduler.h"
#include "inf-test-plugins.h"
#include "graph/tracer-private.h"
#include "optim/backward.h"

/* "note": returns "name(arg,...)"; fails on an argument containing "boom"
 * when its option fail_on_boom is set; backward notes "<node>: items" in each of
 * its parameters and passes the feedback plus "via <node>" to its args. */
static const InfOptionSpec note_options[] = {
  { .name = "fail_on_boom", .type = INF_OPTION_BOOL, .default_json = "false" },
  { NULL },
};

static gboolean
note_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  (void)out_private;
  g_autoptr(InfParameter) p = inf_parameter_new("P", "a prompt", TRUE, error);
  return inf_module_add_parameter(self, "p", p, error);
}

static void
note_execute(InfModule *self, InfTask *task)
{
  GString *s = g_string_new(inf_module_get_name(self));
  g_string_append_c(s, '(');
  for (guint i = 0; i < inf_task_get_n_args(task); i++) {
    const char *t = inf_value_get_text(inf_task_get_arg(task, i));
    if (inf_options_get_bool(inf_module_get_options(self), "fail_on_boom") && strstr(t, "boom")) {
      g_string_free(s, TRUE);
      inf_task_return_new_error(task, INF_ERROR_FAILED, "boom");
      return;
    }
    g_string_append_printf(s, "%s%s", i ? "," : "", t);
  }
  g_string_append_c(s, ')');
  inf_task_return_value(task, inf_value_new_text_take(g_string_free(s, FALSE)));
}

static void
note_backward(InfModule *self, InfBackward *ctx)
{
  const InfFeedback *fb = inf_backward_get_feedback(ctx);
  GString *s = g_string_new(inf_backward_get_node_id(ctx));
  g_string_append(s, ":");
  for (guint i = 0; i < inf_feedback_get_n_items(fb); i++)
    g_string_append_printf(s, " %s", inf_feedback_get_item(fb, i));
  GPtrArray *params = inf_module_parameters(self); /* own and shared ones */
  for (guint i = 0; i < params->len; i++)
    inf_backward_add_parameter_feedback(ctx, g_ptr_array_index(params, i), s->str);
  g_ptr_array_unref(params);
  g_string_free(s, TRUE);
  for (guint i = 0; i < inf_backward_get_n_args(ctx); i++) {
    InfFeedback *up = inf_feedback_new(INF_FEEDBACK_LLM);
    inf_feedback_add_itemf(up, "via %s", inf_backward_get_node_id(ctx));
    inf_backward_set_arg_feedback(ctx, i, up);
  }
  inf_backward_return(ctx);
}

static const InfModuleClass note_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "note",
  .options = note_options,
  .init = note_init,
  .execute = note_execute,
  .backward = note_backward,
};

/* "plain": no backward (the default passes the feedback on). */
static const InfModuleClass plain_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "plain",
  .execute = note_execute,
};

/* "diamond": a = note(x); b = note(a); c = plain(a); d = note(b, c) -> d,
 * b and d sharing one parameter. "pair": a = note(x); b = note(a);
 * c = note(a, fails on boom) -> {b, c}. */
typedef struct {
  InfModule *a, *b, *c, *d;
} Shape;

static gboolean
shape_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  (void)out_private;
  InfRegistry *r = inf_module_get_registry(self);
  gboolean pair = strcmp(inf_module_get_type_name(self), "pair") == 0;
  json_object *fail = json_tokener_parse("{\"fail_on_boom\": true}");
  g_autoptr(InfModule) a = inf_module_new(r, "note", "a", NULL, error);
  g_autoptr(InfModule) b = inf_module_new(r, "note", "b", NULL, error);
  g_autoptr(InfModule) c =
      inf_module_new(r, pair ? "note" : "plain", "c", pair ? fail : NULL, error);
  g_autoptr(InfModule) d = inf_module_new(r, "note", "d", NULL, error);
  json_object_put(fail);
  if (!a || !b || !c || !d)
    return FALSE;
  if (!pair) {
    /* d uses b's parameter: shared */
    if (!inf_module_add_parameter(d, "shared", inf_module_get_parameter(b, "p"), error))
      return FALSE;
  }
  return inf_module_add_child(self, "a", a, error) && inf_module_add_child(self, "b", b, error) &&
         inf_module_add_child(self, "c", c, error) && inf_module_add_child(self, "d", d, error);
}

static InfValue *
shape_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
              GError **error)
{
  (void)n_inputs;
  (void)error;
  gboolean pair = strcmp(inf_module_get_type_name(self), "pair") == 0;
  g_autoptr(InfValue) a = inf_call(tracer, inf_module_get_child(self, "a"), inputs[0], NULL);
  g_autoptr(InfValue) b = inf_call(tracer, inf_module_get_child(self, "b"), a, NULL);
  g_autoptr(InfValue) c = inf_call(tracer, inf_module_get_child(self, "c"), a, NULL);
  if (pair) {
    InfValue *out = inf_value_new_dict();
    inf_value_dict_set(out, "b", b);
    inf_value_dict_set(out, "c", c);
    return out;
  }
  return inf_call(tracer, inf_module_get_child(self, "d"), b, c, NULL);
}

static const InfModuleClass diamond_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "diamond",
  .init = shape_init,
  .forward = shape_forward,
};
static const InfModuleClass pair_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "pair",
  .init = shape_init,
  .forward = shape_forward,
};

/* "routed": a = note(x); switch on x: "left" -> l(a), "right" -> r(a),
 * default -> o(a). */
static gboolean
routed_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)options;
  (void)out_private;
  InfRegistry *r = inf_module_get_registry(self);
  const char *names[] = { "a", "l", "r", "o" };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autoptr(InfModule) m = inf_module_new(r, "note", names[i], NULL, error);
    if (!m || !inf_module_add_child(self, names[i], m, error))
      return FALSE;
  }
  return TRUE;
}

static InfValue *
routed_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
               GError **error)
{
  (void)n_inputs;
  (void)error;
  g_autoptr(InfValue) a = inf_call(tracer, inf_module_get_child(self, "a"), inputs[0], NULL);
  InfValue *args[] = { a };
  InfSwitchCase cases[] = {
    { .match = INF_MATCH_EXACT,
      .pattern = "left",
      .module = inf_module_get_child(self, "l"),
      .n_args = 1,
      .args = args },
    { .match = INF_MATCH_EXACT,
      .pattern = "right",
      .module = inf_module_get_child(self, "r"),
      .n_args = 1,
      .args = args },
  };
  InfSwitchCase other = { .module = inf_module_get_child(self, "o"), .n_args = 1, .args = args };
  return inf_switch(tracer, "route", inputs[0], INF_SWITCH_NORMALIZE_NONE, cases,
                    G_N_ELEMENTS(cases), &other);
}

static const InfModuleClass routed_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "routed",
  .init = routed_init,
  .forward = routed_forward,
};

/* --- running --- */

static void
pass_done(guint n_errors, gpointer data)
{
  g_assert_cmpuint(n_errors, ==, 0);
  *(gboolean *)data = TRUE;
}

/* Traces @type, runs @text through it, runs backward from a failing
 * feedback "wrong"; returns the module (caller unrefs). */
static InfModule *
forward_backward(InfRegistry *registry, const char *type, const char *text, char **out_text)
{
  g_autoptr(GError) error = NULL;
  InfModule *top = inf_module_new(registry, type, "top", NULL, &error);
  g_assert_no_error(error);
  InfGraph *graph = inf_tracer_trace(top, (const char *const[]){ "x", NULL }, &error);
  g_assert_no_error(error);
  InfSchedulerConfig config = { 0 };
  InfScheduler *s = inf_scheduler_new(graph, NULL, &config, &error);
  g_assert_no_error(error);
  g_autoptr(InfValue) x = inf_value_new_text(text);
  InfTestInput run = { .state = inf_exec_state_new(graph, 0, (InfValue *[]){ x }) };
  inf_test_scheduler_start(s, &run);
  while (!run.done)
    g_main_context_iteration(NULL, TRUE);
  g_autoptr(InfValue) out = inf_exec_state_get_outputs(run.state);
  *out_text = inf_value_to_string(out);
  g_autoptr(InfFeedback) fb = inf_feedback_new(INF_FEEDBACK_VERIFIER);
  inf_feedback_set_score(fb, 0.0);
  inf_feedback_add_item(fb, "wrong");
  InfBackwardOptions opts = { .pass_score = 1.0 };
  gboolean done = FALSE;
  inf_backward_pass(run.state, fb, &opts, pass_done, &done);
  while (!done)
    g_main_context_iteration(NULL, TRUE);
  inf_exec_state_unref(run.state);
  inf_scheduler_free(s);
  inf_graph_unref(graph);
  return top;
}

static char *
param_feedback(InfModule *top, const char *child)
{
  InfParameter *p = inf_module_get_parameter(inf_module_get_child(top, child), "p");
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < inf_parameter_get_n_feedback(p); i++)
    g_string_append_printf(s, "%s[%s]", i ? " " : "", inf_parameter_get_feedback(p, i));
  return g_string_free(s, FALSE);
}

/* The feedback of @child's parameter is @expected. */
static void
assert_feedback(InfModule *top, const char *child, const char *expected)
{
  g_autofree char *feedback = param_feedback(top, child);
  g_assert_cmpstr(feedback, ==, expected);
}

static InfRegistry *
make_registry(void)
{
  InfRegistry *r = inf_registry_new();
  g_assert_true(inf_registry_add_module_class(r, &note_class, NULL));
  g_assert_true(inf_registry_add_module_class(r, &plain_class, NULL));
  g_assert_true(inf_registry_add_module_class(r, &diamond_class, NULL));
  g_assert_true(inf_registry_add_module_class(r, &pair_class, NULL));
  g_assert_true(inf_registry_add_module_class(r, &routed_class, NULL));
  return r;
}

static void
test_diamond(void)
{
  InfRegistry *r = make_registry();
  g_autofree char *out = NULL;
  InfModule *top = forward_backward(r, "diamond", "q", &out);
  g_assert_cmpstr(out, ==, "d(b(a(q)),c(a(q)))");
  /* d (the output) gets the loss feedback; b and d share b's parameter, so
   * it holds d's note (first, d runs backward first) and b's. */
  assert_feedback(top, "b", "[d: wrong] [b: via d]");
  assert_feedback(top, "d", "[d: wrong]");
  /* c has no backward: the default passes "via d" on to a; a gets the
   * fan-out combined: c's (via d), b's (via b). */
  assert_feedback(top, "a", "[a: via d via b]");
  inf_module_unref(top);
  inf_registry_free(r);
}

static void
test_failed_node(void)
{
  InfRegistry *r = make_registry();
  g_autofree char *out = NULL;
  InfModule *top = forward_backward(r, "pair", "q", &out);
  g_assert_cmpstr(out, ==, "{\"b\":\"b(a(q))\",\"c\":\"c(a(q))\"}");
  assert_feedback(top, "a", "[a: via c via b]");
  inf_module_unref(top);
  /* c fails: it and its inputs get nothing from it. */
  g_clear_pointer(&out, g_free);
  top = forward_backward(r, "pair", "boom", &out);
  assert_feedback(top, "c", "");
  assert_feedback(top, "b", "[b: wrong]");
  assert_feedback(top, "a", "[a: via b]");
  inf_module_unref(top);
  inf_registry_free(r);
}

/* Through a switch: only the taken case's nodes get feedback (and pass it
 * on to the case's arguments); the skipped cases' nodes get none. */
static void
test_switch(void)
{
  InfRegistry *r = make_registry();
  struct {
    const char *input, *output, *taken;
  } runs[] = {
    { "left", "l(a(left))", "l" },
    { "right", "r(a(right))", "r" },
    { "other", "o(a(other))", "o" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(runs); i++) {
    g_autofree char *out = NULL;
    InfModule *top = forward_backward(r, "routed", runs[i].input, &out);
    g_assert_cmpstr(out, ==, runs[i].output);
    const char *cases[] = { "l", "r", "o" };
    for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
      g_autofree char *expected = g_strdup_printf("[route.%s: wrong]", cases[k]);
      assert_feedback(top, cases[k], g_str_equal(cases[k], runs[i].taken) ? expected : "");
    }
    g_autofree char *expected_a = g_strdup_printf("[a: via route.%s]", runs[i].taken);
    assert_feedback(top, "a", expected_a);
    inf_module_unref(top);
  }
  inf_registry_free(r);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/optim/backward/diamond", test_diamond);
  g_test_add_func("/optim/backward/failed-node", test_failed_node);
  g_test_add_func("/optim/backward/switch", test_switch);
  return g_test_run();
}
