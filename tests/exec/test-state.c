/* InfExecState: readiness, completion, failure cascades, requeue, outputs. */
#include "exec-fixtures.h"

#include <string.h>

typedef struct {
  InfRegistry *registry;
  InfGraph *graph;
  GArray *ready;
} Fixture;

static void
on_ready(InfExecState *state, guint node, gpointer data)
{
  (void)state;
  g_array_append_val(((Fixture *)data)->ready, node);
}

static void
setup(Fixture *f, const char *type)
{
  f->registry = inf_registry_new();
  exec_fixtures_register(f->registry);
  f->graph = exec_fixtures_trace(f->registry, type, NULL, (const char *const[]){ "x", NULL });
  f->ready = g_array_new(FALSE, FALSE, sizeof(guint));
}

static void
teardown(Fixture *f)
{
  g_array_unref(f->ready);
  inf_graph_unref(f->graph);
  inf_registry_free(f->registry);
}

static guint
node(Fixture *f, const char *id)
{
  gint i = inf_graph_lookup(f->graph, id);
  g_assert_cmpint(i, >=, 0);
  return (guint)i;
}

static gboolean
ready_has(Fixture *f, guint n)
{
  for (guint i = 0; i < f->ready->len; i++)
    if (g_array_index(f->ready, guint, i) == n)
      return TRUE;
  return FALSE;
}

static void
test_ready_and_complete(void)
{
  Fixture f;
  setup(&f, "diamond");
  g_autoptr(InfValue) x = inf_value_new_text("X");
  InfExecState *state = inf_exec_state_new(f.graph, 7, (InfValue *[]){ x });
  inf_exec_state_start(state, on_ready, &f);
  /* a and c depend only on the input */
  g_assert_cmpuint(f.ready->len, ==, 2);
  g_assert_true(ready_has(&f, node(&f, "a")));
  g_assert_true(ready_has(&f, node(&f, "c")));
  g_assert_cmpint(state->status[node(&f, "b")], ==, INF_NODE_BLOCKED);

  guint a = node(&f, "a"), b = node(&f, "b"), c = node(&f, "c"), d = node(&f, "d");
  inf_exec_state_mark_running(state, a);
  inf_exec_state_complete(state, a, inf_value_new_text("A"));
  g_assert_true(ready_has(&f, b));
  g_assert_false(ready_has(&f, d));
  inf_exec_state_mark_running(state, b);
  inf_exec_state_complete(state, b, inf_value_new_text("B"));
  g_assert_false(ready_has(&f, d)); /* still waits for c */
  inf_exec_state_mark_running(state, c);
  inf_exec_state_complete(state, c, inf_value_new_text("C"));
  g_assert_true(ready_has(&f, d));

  InfValue *args[2];
  g_assert_true(inf_exec_state_resolve_args(state, d, args, NULL));
  g_assert_cmpstr(inf_value_get_text(args[0]), ==, "B");
  g_assert_cmpstr(inf_value_get_text(args[1]), ==, "C");
  inf_value_unref(args[0]);
  inf_value_unref(args[1]);

  g_assert_false(inf_exec_state_is_done(state));
  inf_exec_state_mark_running(state, d);
  inf_exec_state_complete(state, d, inf_value_new_text("D"));
  g_assert_true(inf_exec_state_is_done(state));
  g_assert_null(inf_exec_state_errors_json(state));
  g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
  g_assert_cmpint(inf_value_get_kind(outputs), ==, INF_VALUE_DICT);
  json_object *json = inf_value_to_json(outputs);
  g_assert_cmpstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), ==,
                  "{\"b\":\"B\",\"d\":\"D\"}");
  json_object_put(json);
  inf_exec_state_unref(state);
  teardown(&f);
}

static void
test_failure_cancels_exactly_descendants(void)
{
  Fixture f;
  setup(&f, "failing");
  g_autoptr(InfValue) x = inf_value_new_text("X");
  InfExecState *state = inf_exec_state_new(f.graph, 0, (InfValue *[]){ x });
  inf_exec_state_start(state, on_ready, &f);
  guint a = node(&f, "a"), fl = node(&f, "f"), g = node(&f, "g"), s = node(&f, "s");
  inf_exec_state_mark_running(state, a);
  inf_exec_state_complete(state, a, inf_value_new_text("A"));
  inf_exec_state_mark_running(state, fl);
  g_autoptr(GError) error = g_error_new(INF_ERROR, INF_ERROR_FAILED, "it broke");
  inf_exec_state_fail(state, fl, error);
  g_assert_cmpint(state->status[fl], ==, INF_NODE_FAILED);
  g_assert_cmpint(state->status[g], ==, INF_NODE_CANCELLED);
  g_assert_cmpint(state->status[s], ==, INF_NODE_PENDING); /* the sibling goes on */
  g_assert_cmpint(state->status[a], ==, INF_NODE_COMPLETED);
  g_assert_false(inf_exec_state_is_done(state));
  inf_exec_state_mark_running(state, s);
  inf_exec_state_complete(state, s, inf_value_new_text("S"));
  g_assert_true(inf_exec_state_is_done(state));

  json_object *errors = inf_exec_state_errors_json(state);
  g_assert_nonnull(errors);
  g_assert_cmpint(json_object_object_length(errors), ==, 2);
  json_object *msg;
  g_assert_true(json_object_object_get_ex(errors, "f", &msg));
  g_assert_cmpstr(json_object_get_string(msg), ==, "it broke");
  g_assert_true(json_object_object_get_ex(errors, "g", &msg));
  g_assert_nonnull(strstr(json_object_get_string(msg), "upstream node 'f' failed"));
  json_object_put(errors);
  g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
  g_autoptr(InfValue) gout = inf_value_get(outputs, "g");
  g_autoptr(InfValue) sout = inf_value_get(outputs, "s");
  g_assert_true(inf_value_is_null(gout));
  g_assert_cmpstr(inf_value_get_text(sout), ==, "S");
  inf_exec_state_unref(state);
  teardown(&f);
}

static void
test_requeue(void)
{
  Fixture f;
  setup(&f, "diamond");
  g_autoptr(InfValue) x = inf_value_new_text("X");
  InfExecState *state = inf_exec_state_new(f.graph, 0, (InfValue *[]){ x });
  inf_exec_state_start(state, on_ready, &f);
  guint a = node(&f, "a"), b = node(&f, "b");
  inf_exec_state_mark_running(state, a);
  g_array_set_size(f.ready, 0);
  inf_exec_state_requeue(state, a);
  g_assert_cmpint(state->status[a], ==, INF_NODE_PENDING);
  g_assert_cmpuint(f.ready->len, ==, 1);
  g_assert_cmpuint(g_array_index(f.ready, guint, 0), ==, a);
  g_assert_cmpint(state->status[b], ==, INF_NODE_BLOCKED);
  g_assert_cmpuint(state->remaining[b], ==, 1);
  /* and it runs to completion afterwards */
  inf_exec_state_mark_running(state, a);
  inf_exec_state_complete(state, a, inf_value_new_text("A"));
  g_assert_cmpint(state->status[b], ==, INF_NODE_PENDING);
  inf_exec_state_unref(state);
  teardown(&f);
}

static void
test_cancel_pending(void)
{
  Fixture f;
  setup(&f, "diamond");
  g_autoptr(InfValue) x = inf_value_new_text("X");
  InfExecState *state = inf_exec_state_new(f.graph, 0, (InfValue *[]){ x });
  inf_exec_state_start(state, on_ready, &f);
  guint a = node(&f, "a");
  inf_exec_state_mark_running(state, a);
  g_autoptr(GError) error = g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "stop");
  inf_exec_state_cancel_pending(state, error);
  g_assert_cmpint(state->status[a], ==, INF_NODE_RUNNING);
  g_assert_false(inf_exec_state_is_done(state));
  inf_exec_state_cancel_all(state, error);
  g_assert_true(inf_exec_state_is_done(state));
  /* a late result of the cancelled running node is dropped */
  inf_exec_state_complete(state, a, inf_value_new_text("late"));
  g_assert_cmpint(state->status[a], ==, INF_NODE_CANCELLED);
  inf_exec_state_unref(state);
  teardown(&f);
}

/* The response cache's sample index: draws of one request within an input
 * are numbered in call order, a node keeps its index, and another input
 * starts again at 0. */
static void
test_sample_index(void)
{
  Fixture f;
  setup(&f, "diamond");
  g_autoptr(InfValue) x = inf_value_new_text("X");
  InfExecState *state = inf_exec_state_new(f.graph, 0, (InfValue *[]){ x });
  InfExecState *other = inf_exec_state_new(f.graph, 1, (InfValue *[]){ x });
  guint8 d1[32], d2[32];
  memset(d1, 1, sizeof d1);
  memset(d2, 1, sizeof d2);
  d2[31] = 2;
  guint a = node(&f, "a"), b = node(&f, "b"), c = node(&f, "c");
  g_assert_cmpuint(inf_exec_state_sample_index(state, b, d1), ==, 0);
  g_assert_cmpuint(inf_exec_state_sample_index(state, a, d1), ==, 1);
  g_assert_cmpuint(inf_exec_state_sample_index(state, c, d2), ==, 0);
  g_assert_cmpuint(inf_exec_state_sample_index(state, c, d1), ==, 2);
  /* Asked again (a requeue): the same index. */
  g_assert_cmpuint(inf_exec_state_sample_index(state, a, d1), ==, 1);
  g_assert_cmpuint(inf_exec_state_sample_index(state, b, d1), ==, 0);
  g_assert_cmpuint(inf_exec_state_sample_index(state, c, d2), ==, 0);
  g_assert_cmpuint(inf_exec_state_sample_index(other, a, d1), ==, 0);
  inf_exec_state_unref(other);
  inf_exec_state_unref(state);
  teardown(&f);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/exec/state/ready-and-complete", test_ready_and_complete);
  g_test_add_func("/exec/state/failure-cancels-exactly-descendants",
                  test_failure_cancels_exactly_descendants);
  g_test_add_func("/exec/state/requeue", test_requeue);
  g_test_add_func("/exec/state/cancel", test_cancel_pending);
  g_test_add_func("/exec/state/sample-index", test_sample_index);
  return g_test_run();
}
