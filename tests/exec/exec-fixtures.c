#include "exec-fixtures.h"

#include <string.h>

static GPtrArray *run_log;
static GPtrArray *run_log_by_input;

GPtrArray *
exec_fixtures_get_log_by_input(void)
{
  if (!run_log_by_input)
    run_log_by_input = g_ptr_array_new_with_free_func(g_free);
  return run_log_by_input;
}

GPtrArray *
exec_fixtures_get_log(void)
{
  if (!run_log)
    run_log = g_ptr_array_new_with_free_func(g_free);
  return run_log;
}

void
exec_fixtures_clear_log(void)
{
  g_ptr_array_set_size(exec_fixtures_get_log(), 0);
  g_ptr_array_set_size(exec_fixtures_get_log_by_input(), 0);
}

static char *
describe(InfTask *task)
{
  GString *s = g_string_new(inf_module_get_name(inf_task_get_module(task)));
  g_string_append_c(s, '(');
  for (guint i = 0; i < inf_task_get_n_args(task); i++) {
    g_autofree char *text = inf_value_to_string(inf_task_get_arg(task, i));
    g_string_append_printf(s, "%s%s", i ? "," : "", text);
  }
  g_string_append_c(s, ')');
  return g_string_free(s, FALSE);
}

static void
echo_execute(InfModule *self, InfTask *task)
{
  (void)self;
  g_ptr_array_add(exec_fixtures_get_log(), g_strdup(inf_task_get_node_id(task)));
  g_ptr_array_add(exec_fixtures_get_log_by_input(),
                  g_strdup_printf("%s@%" G_GUINT64_FORMAT, inf_task_get_node_id(task),
                                  inf_task_get_input_index(task)));
  inf_task_return_value(task, inf_value_new_text_take(describe(task)));
}

static gboolean
later_finish(gpointer data)
{
  InfTask *task = data;
  inf_task_return_value(task, inf_value_new_text_take(describe(task)));
  return G_SOURCE_REMOVE;
}

static void
later_execute(InfModule *self, InfTask *task)
{
  (void)self;
  g_ptr_array_add(exec_fixtures_get_log(), g_strdup(inf_task_get_node_id(task)));
  g_ptr_array_add(exec_fixtures_get_log_by_input(),
                  g_strdup_printf("%s@%" G_GUINT64_FORMAT, inf_task_get_node_id(task),
                                  inf_task_get_input_index(task)));
  g_idle_add(later_finish, task);
}

static void
boom_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_new_error(task, INF_ERROR_FAILED, "boom at %s", inf_task_get_node_id(task));
}

static const InfOptionSpec llm_echo_options[] = {
  { .name = "alias",
    .type = INF_OPTION_STRING,
    .default_json = "\"fast\"",
    .description = "alias" },
  { .name = NULL },
};

static void
llm_echo_done(InfTask *task, const InfLlmResponse *response, gpointer data)
{
  (void)data;
  inf_task_return_value(task, inf_value_new_text(inf_llm_response_get_content(response)));
}

static void
llm_echo_execute(InfModule *self, InfTask *task)
{
  (void)self;
  InfLlmRequest *request = inf_llm_request_new();
  g_autofree char *text =
      inf_task_get_n_args(task) ? inf_value_to_string(inf_task_get_arg(task, 0)) : g_strdup("");
  inf_llm_request_add_message(request, "user", text);
  inf_task_call_llm(task, request, llm_echo_done, NULL);
}

static const char *
llm_echo_alias(InfModule *self)
{
  return inf_options_get_string(inf_module_get_options(self), "alias");
}

static gboolean
add(InfModule *self, const char *type, const char *name, const char *options_json, GError **error)
{
  json_object *options = options_json ? json_tokener_parse(options_json) : NULL;
  InfModule *child = inf_module_new(inf_module_get_registry(self), type, name, options, error);
  if (options)
    json_object_put(options);
  if (!child)
    return FALSE;
  gboolean ok = inf_module_add_child(self, name, child, error);
  inf_module_unref(child);
  return ok;
}

/* diamond: a = echo(x); b = later(a); c = echo(x); d = echo(b, c); {b, d} */
static gboolean
diamond_init(InfModule *self, const InfOptions *options, gpointer *priv, GError **error)
{
  (void)options;
  (void)priv;
  return add(self, "echo", "a", NULL, error) && add(self, "later", "b", NULL, error) &&
         add(self, "echo", "c", NULL, error) && add(self, "echo", "d", NULL, error);
}

static InfValue *
diamond_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n,
                GError **error)
{
  (void)n;
  (void)error;
  g_autoptr(InfValue) a = inf_call(tracer, inf_module_get_child(self, "a"), inputs[0], NULL);
  g_autoptr(InfValue) b = inf_call(tracer, inf_module_get_child(self, "b"), a, NULL);
  g_autoptr(InfValue) c = inf_call(tracer, inf_module_get_child(self, "c"), inputs[0], NULL);
  g_autoptr(InfValue) d = inf_call(tracer, inf_module_get_child(self, "d"), b, c, NULL);
  InfValue *out = inf_value_new_dict();
  inf_value_dict_set(out, "b", b);
  inf_value_dict_set(out, "d", d);
  return out;
}

static const InfOptionSpec n_options[] = {
  { .name = "n", .type = INF_OPTION_INT, .default_json = "3", .description = "size" },
  { .name = "type",
    .type = INF_OPTION_STRING,
    .default_json = "\"echo\"",
    .description = "child type" },
  { .name = "child_options", .type = INF_OPTION_JSON, .description = "child options" },
  { .name = NULL },
};

static gboolean
one_child_init(InfModule *self, const InfOptions *options, gpointer *priv, GError **error)
{
  (void)priv;
  json_object *child_options = inf_options_get_json(options, "child_options");
  return add(self, inf_options_get_string(options, "type"), "step",
             child_options ? json_object_to_json_string(child_options) : NULL, error);
}

/* chain: n sequential calls of one child */
static InfValue *
chain_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n, GError **error)
{
  (void)n;
  (void)error;
  InfModule *step = inf_module_get_child(self, "step");
  InfValue *v = inf_value_ref(inputs[0]);
  gint64 count = inf_options_get_int(inf_module_get_options(self), "n");
  for (gint64 i = 0; i < count; i++) {
    InfValue *next = inf_call(tracer, step, v, NULL);
    inf_value_unref(v);
    v = next;
  }
  return v;
}

/* wide: n independent calls of one child on the input; a list output */
static InfValue *
wide_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n, GError **error)
{
  (void)n;
  (void)error;
  InfModule *step = inf_module_get_child(self, "step");
  gint64 count = inf_options_get_int(inf_module_get_options(self), "n");
  GPtrArray *outs = g_ptr_array_new_with_free_func((GDestroyNotify)inf_value_unref);
  for (gint64 i = 0; i < count; i++)
    g_ptr_array_add(outs, inf_call(tracer, step, inputs[0], NULL));
  InfValue *list = inf_value_new_list((InfValue *const *)outs->pdata, outs->len);
  g_ptr_array_unref(outs);
  return list;
}

/* prio: three independent echo nodes p0, p1, p2 with priorities 3, 1, 2 */
static gboolean
prio_init(InfModule *self, const InfOptions *options, gpointer *priv, GError **error)
{
  (void)options;
  (void)priv;
  return add(self, "echo", "p0", NULL, error) && add(self, "echo", "p1", NULL, error) &&
         add(self, "echo", "p2", NULL, error);
}

static InfValue *
prio_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n, GError **error)
{
  (void)n;
  (void)error;
  static const gint priorities[] = { 3, 1, 2 };
  const char *names[] = { "p0", "p1", "p2" };
  InfValue *out = inf_value_new_dict();
  for (guint i = 0; i < 3; i++) {
    g_autoptr(InfValue) v = inf_call(tracer, inf_module_get_child(self, names[i]), inputs[0], NULL);
    inf_tracer_set_priority(tracer, v, priorities[i]);
    inf_value_dict_set(out, names[i], v);
  }
  return out;
}

/* failing: a = echo(x); f = boom(a); g = echo(f); s = echo(x); {g, s} */
static gboolean
failing_init(InfModule *self, const InfOptions *options, gpointer *priv, GError **error)
{
  (void)options;
  (void)priv;
  return add(self, "echo", "a", NULL, error) && add(self, "boom", "f", NULL, error) &&
         add(self, "echo", "g", NULL, error) && add(self, "later", "s", NULL, error);
}

static InfValue *
failing_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n,
                GError **error)
{
  (void)n;
  (void)error;
  g_autoptr(InfValue) a = inf_call(tracer, inf_module_get_child(self, "a"), inputs[0], NULL);
  g_autoptr(InfValue) f = inf_call(tracer, inf_module_get_child(self, "f"), a, NULL);
  g_autoptr(InfValue) g = inf_call(tracer, inf_module_get_child(self, "g"), f, NULL);
  g_autoptr(InfValue) s = inf_call(tracer, inf_module_get_child(self, "s"), inputs[0], NULL);
  InfValue *out = inf_value_new_dict();
  inf_value_dict_set(out, "g", g);
  inf_value_dict_set(out, "s", s);
  return out;
}

#define ATOMIC(var, cname, fn)                                                                \
  static const InfModuleClass var = {                                                         \
    .struct_size = sizeof(InfModuleClass), .name = cname, .description = cname, .execute = fn \
  }
ATOMIC(echo_class, "echo", echo_execute);
ATOMIC(later_class, "later", later_execute);
ATOMIC(boom_class, "boom", boom_execute);
static const InfModuleClass llm_echo_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "llm-echo",
  .description = "llm-echo",
  .options = llm_echo_options,
  .execute = llm_echo_execute,
  .resource_alias = llm_echo_alias,
};
#define COMPOSITE(var, cname, opts, init_fn, fwd)                            \
  static const InfModuleClass var = { .struct_size = sizeof(InfModuleClass), \
                                      .name = cname,                         \
                                      .description = cname,                  \
                                      .options = opts,                       \
                                      .init = init_fn,                       \
                                      .forward = fwd }
COMPOSITE(diamond_class, "diamond", NULL, diamond_init, diamond_forward);
COMPOSITE(chain_class, "chain", n_options, one_child_init, chain_forward);
COMPOSITE(wide_class, "wide", n_options, one_child_init, wide_forward);
COMPOSITE(prio_class, "prio", NULL, prio_init, prio_forward);
COMPOSITE(failing_class, "failing", NULL, failing_init, failing_forward);

void
exec_fixtures_register(InfRegistry *registry)
{
  const InfModuleClass *classes[] = { &echo_class,     &later_class,   &boom_class,
                                      &llm_echo_class, &diamond_class, &chain_class,
                                      &wide_class,     &prio_class,    &failing_class };
  for (guint i = 0; i < G_N_ELEMENTS(classes); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_true(inf_registry_add_module_class(registry, classes[i], &error));
    g_assert_no_error(error);
  }
}

InfGraph *
exec_fixtures_trace(InfRegistry *registry, const char *type, const char *options_json,
                    const char *const *inputs)
{
  g_autoptr(GError) error = NULL;
  json_object *options = options_json ? json_tokener_parse(options_json) : NULL;
  g_autoptr(InfModule) module = inf_module_new(registry, type, "main", options, &error);
  if (options)
    json_object_put(options);
  g_assert_no_error(error);
  InfGraph *graph = inf_tracer_trace(module, inputs, &error);
  g_assert_no_error(error);
  return graph;
}

typedef struct {
  InfGraph *graph; /* NULL once fed */
  const char *text;
  GMainLoop *loop;
  guint n_failed;
} OneRun;

static gboolean
one_feed(InfScheduler *s, gpointer data)
{
  OneRun *run = data;
  if (!run->graph)
    return FALSE;
  g_autoptr(InfValue) x = inf_value_new_text(run->text);
  InfExecState *state = inf_exec_state_new(run->graph, 0, (InfValue *[]){ x });
  run->graph = NULL;
  inf_scheduler_add_input(s, state);
  inf_exec_state_unref(state);
  return TRUE;
}

static void
one_done(InfScheduler *s, InfExecState *state, gpointer data)
{
  (void)s;
  OneRun *run = data;
  run->n_failed = state->n_failed;
  g_main_loop_quit(run->loop);
}

double
exec_fixtures_run_one(InfGraph *graph, InfResourceManager *resources, const char *text,
                      guint *n_failed)
{
  g_autoptr(GError) error = NULL;
  InfSchedulerConfig config = { 0 };
  InfScheduler *s = inf_scheduler_new(graph, resources, &config, &error);
  g_assert_no_error(error);
  OneRun run = { .graph = graph, .text = text, .loop = g_main_loop_new(NULL, FALSE) };
  inf_scheduler_set_callbacks(s, &(InfSchedulerCallbacks){ .feed = one_feed, .done = one_done },
                              &run);
  gint64 start = g_get_monotonic_time();
  inf_scheduler_pump(s);
  g_main_loop_run(run.loop);
  double seconds = (double)(g_get_monotonic_time() - start) / 1e6;
  g_main_loop_unref(run.loop);
  inf_scheduler_free(s);
  if (n_failed)
    *n_failed = run.n_failed;
  return seconds;
}
