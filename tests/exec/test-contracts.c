/* Completion contracts: what the engine does when a module or an in-process
 * client misuses the InfTask or InfLlmCall it was given (returns twice,
 * returns after the handle was given back, never returns), module and
 * endpoint timeouts, the grace after an interruption, the client's cancel
 * hook, and calls still held when the client is finalized. Every misuse is
 * reported once, through the host's log, naming the node or alias and the
 * class; no value ever reaches another input. */
#include <string.h>

#include "exec-fixtures.h"
#include "model/log-private.h"
#include "resources/manager-private.h"

/* --- captured log lines --- */

static GPtrArray *log_lines;

static void
capture_sink(InfLogLevel level, const char *line, gpointer user_data)
{
  (void)level;
  (void)user_data;
  g_ptr_array_add(log_lines, g_strdup(line));
}

static void
capture_start(void)
{
  log_lines = g_ptr_array_new_with_free_func(g_free);
  inf_log_set_sink(capture_sink, NULL, NULL, NULL);
}

static void
capture_stop(void)
{
  inf_log_set_sink(NULL, NULL, NULL, NULL);
  g_clear_pointer(&log_lines, g_ptr_array_unref);
}

/* How many captured lines contain @needle. */
static guint
count_lines(const char *needle)
{
  guint n = 0;
  for (guint i = 0; i < log_lines->len; i++)
    if (strstr(g_ptr_array_index(log_lines, i), needle))
      n++;
  return n;
}

static void
dump_lines(void)
{
  for (guint i = 0; log_lines && i < log_lines->len; i++)
    g_test_message("log: %s", (const char *)g_ptr_array_index(log_lines, i));
}

/* Runs whatever the main context has ready (idle callbacks of modules). */
static void
drain_main_context(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

/* --- misbehaving module classes --- */

static InfValue *
arg_text(InfTask *task)
{
  return inf_value_new_text_take(inf_value_to_string(inf_task_get_arg(task, 0)));
}

static gboolean
return_wrong(gpointer data)
{
  inf_task_return_value(data, inf_value_new_text("WRONG"));
  return G_SOURCE_REMOVE;
}

static gboolean
return_arg(gpointer data)
{
  inf_task_return_value(data, arg_text(data));
  return G_SOURCE_REMOVE;
}

/* Returns its argument at once, and again ("WRONG") from an idle callback. */
static void
twice_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, arg_text(task));
  g_idle_add(return_wrong, task);
}

/* For "first": returns at once and "WRONG" later; for any other input,
 * returns its argument from an idle callback that runs after that late
 * return, while the task of the first input would already be reused. */
static void
late_execute(InfModule *self, InfTask *task)
{
  (void)self;
  g_autofree char *text = inf_value_to_string(inf_task_get_arg(task, 0));
  if (g_str_equal(text, "first")) {
    inf_task_return_value(task, arg_text(task));
    g_idle_add(return_wrong, task);
  } else {
    g_idle_add(return_arg, task);
  }
}

static InfTask *never_task; /* the last task "never" was given */

static void
never_execute(InfModule *self, InfTask *task)
{
  (void)self;
  never_task = task;
}

static void
ask_done(InfTask *task, const InfLlmResponse *response, gpointer data)
{
  (void)data;
  inf_task_return_value(task, inf_value_new_text(inf_llm_response_get_content(response)));
}

static void
ask_execute(InfModule *self, InfTask *task)
{
  (void)self;
  InfLlmRequest *request = inf_llm_request_new();
  g_autofree char *text = inf_value_to_string(inf_task_get_arg(task, 0));
  inf_llm_request_add_message(request, "user", text);
  inf_task_call_llm(task, request, ask_done, NULL);
}

static const char *
ask_alias(InfModule *self)
{
  (void)self;
  return "fast";
}

static const InfModuleClass twice_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "twice",
  .execute = twice_execute,
};
static const InfModuleClass late_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "late",
  .execute = late_execute,
};
static const InfModuleClass never_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "never",
  .execute = never_execute,
};
static const InfModuleClass ask_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "ask",
  .execute = ask_execute,
  .resource_alias = ask_alias,
};

/* A composite with one node: module type "type" with options "options". */
static const InfOptionSpec single_options[] = {
  { "type", INF_OPTION_STRING, NULL, TRUE, "the node's module type", NULL, 0, 0 },
  { "options", INF_OPTION_JSON, NULL, FALSE, "its options", NULL, 0, 0 },
  { NULL, 0, NULL, FALSE, NULL, NULL, 0, 0 },
};

static gboolean
single_init(InfModule *self, const InfOptions *options, gpointer *priv, GError **error)
{
  (void)priv;
  const char *type = inf_options_get_string(options, "type");
  json_object *child_options = inf_options_get_json(options, "options");
  g_autoptr(InfModule) child =
      inf_module_new(inf_module_get_registry(self), type, type, child_options, error);
  return child && inf_module_add_child(self, type, child, error);
}

static InfValue *
single_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n, GError **error)
{
  (void)n;
  g_autoptr(GPtrArray) children = inf_module_children(self);
  (void)error;
  return inf_callv(tracer, g_ptr_array_index(children, 0), 1, inputs, NULL);
}

static const InfModuleClass single_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "single",
  .options = single_options,
  .init = single_init,
  .forward = single_forward,
};

/* --- in-process clients --- */

/* Answers "reply:PROMPT" from an idle callback, then returns the call again. */
static gboolean
twice_reply(gpointer data)
{
  InfLlmCall *call = data;
  const InfLlmRequest *request = inf_llm_call_get_request(call);
  InfLlmResponse *response = inf_llm_response_new();
  g_autofree char *text = g_strdup_printf("reply:%s", inf_llm_request_get_content(request, 0));
  inf_llm_response_set_content(response, text);
  inf_llm_call_return(call, response);
  InfLlmResponse *wrong = inf_llm_response_new();
  inf_llm_response_set_content(wrong, "WRONG");
  inf_llm_call_return(call, wrong);
  inf_llm_call_return_error(call, g_error_new(INF_ERROR, INF_ERROR_SERVER, "late"), -1);
  return G_SOURCE_REMOVE;
}

static void
twice_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  g_idle_add(twice_reply, call);
}

static const InfClientClass twice_client_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "twice-client",
  .call = twice_call,
};

/* Holds every call and never returns one; its cancel hook drops it. */
typedef struct {
  GPtrArray *held; /* InfLlmCall * */
  guint cancelled;
  gboolean cancelled_flag_seen; /* inf_llm_call_is_cancelled was TRUE in cancel */
  gboolean finalize_return;     /* finalize returns what it still holds */
} Holder;

static Holder *last_holder;
static GPtrArray *kept_after_finalize; /* calls a "keeper" still held at finalize */
static guint holders_finalized;
static guint cancelled_before_finalize; /* the last finalized holder's cancel count */

static gboolean
holder_init(InfClient *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  (void)options;
  (void)error;
  Holder *holder = g_new0(Holder, 1);
  holder->held = g_ptr_array_new();
  last_holder = holder;
  *out_private = holder;
  return TRUE;
}

static void
holder_finalize(gpointer data)
{
  Holder *holder = data;
  /* A client may still finish what it holds: dropped without a message. */
  for (guint i = 0; holder->finalize_return && i < holder->held->len; i++)
    inf_llm_call_return_error(g_ptr_array_index(holder->held, i),
                              g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "finalized"), -1);
  cancelled_before_finalize = holder->cancelled;
  if (kept_after_finalize)
    for (guint i = 0; i < holder->held->len; i++)
      g_ptr_array_add(kept_after_finalize, g_ptr_array_index(holder->held, i));
  g_ptr_array_unref(holder->held);
  g_free(holder);
  last_holder = NULL;
  holders_finalized++;
}

static void
holder_call(InfClient *self, InfLlmCall *call)
{
  Holder *holder = inf_client_get_private(self);
  g_assert_false(inf_llm_call_is_cancelled(call));
  g_ptr_array_add(holder->held, call);
}

static void
holder_cancel(InfClient *self, InfLlmCall *call)
{
  Holder *holder = inf_client_get_private(self);
  holder->cancelled++;
  holder->cancelled_flag_seen = inf_llm_call_is_cancelled(call);
  g_assert_true(g_ptr_array_remove(holder->held, call));
}

static gboolean
returning_holder_init(InfClient *self, const InfOptions *options, gpointer *out_private,
                      GError **error)
{
  gboolean ok = holder_init(self, options, out_private, error);
  ((Holder *)*out_private)->finalize_return = TRUE;
  return ok;
}

static const InfClientClass holder_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "holder",
  .init = holder_init,
  .finalize = holder_finalize,
  .call = holder_call,
  .cancel = holder_cancel,
};

/* The same built against ABI 1.0 (no cancel hook), returning what it holds
 * from finalize. */
static const InfClientClass legacy_holder_class = {
  .struct_size = offsetof(InfClientClass, cancel),
  .name = "legacy-holder",
  .init = returning_holder_init,
  .finalize = holder_finalize,
  .call = holder_call,
};

/* The same without returning anything from finalize (a plugin bug when it
 * returns them later: reported). */
static const InfClientClass keeper_class = {
  .struct_size = offsetof(InfClientClass, cancel),
  .name = "keeper",
  .init = holder_init,
  .finalize = holder_finalize,
  .call = holder_call,
};

/* --- runs --- */

typedef struct {
  InfGraph *graph;
  const char *const *texts;
  guint n_inputs;
  guint fed;
  guint done;
  char **outputs; /* per input: the output, or "error: MESSAGE" */
  GMainLoop *loop;
} Run;

static gboolean
feed(InfScheduler *s, gpointer data)
{
  Run *run = data;
  if (run->fed == run->n_inputs)
    return FALSE;
  g_autoptr(InfValue) x = inf_value_new_text(run->texts[run->fed]);
  InfExecState *state = inf_exec_state_new(run->graph, run->fed++, (InfValue *[]){ x });
  inf_scheduler_add_input(s, state);
  inf_exec_state_unref(state);
  return TRUE;
}

static void
done(InfScheduler *s, InfExecState *state, gpointer data)
{
  (void)s;
  Run *run = data;
  json_object *errors = inf_exec_state_errors_json(state);
  if (errors) {
    json_object_object_foreach(errors, key, value)
    {
      (void)key;
      run->outputs[state->index] = g_strdup_printf("error: %s", json_object_get_string(value));
    }
    json_object_put(errors);
  } else {
    g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
    run->outputs[state->index] = inf_value_to_string(outputs);
  }
  if (++run->done == run->n_inputs)
    g_main_loop_quit(run->loop);
}

typedef struct {
  InfRegistry *registry;
  InfPluginLoader *loader; /* NULL: built-in classes only */
  InfGraph *graph;
  InfResourcesConfig *resources_config;
  InfResourceManager *resources;
  InfScheduler *scheduler;
  Run run;
} Fixture;

/* @plugin (may be NULL): an in-tree plugin to load too ("openai"). */
static void
fixture_setup_with(Fixture *f, const char *type, const char *options_json,
                   const char *resources_json, const char *plugin)
{
  memset(f, 0, sizeof *f);
  f->registry = inf_registry_new();
  if (plugin)
    f->loader = inf_test_load_plugin(f->registry, plugin);
  g_assert_true(inf_registry_add_module_class(f->registry, &twice_class, NULL));
  g_assert_true(inf_registry_add_module_class(f->registry, &late_class, NULL));
  g_assert_true(inf_registry_add_module_class(f->registry, &never_class, NULL));
  g_assert_true(inf_registry_add_module_class(f->registry, &ask_class, NULL));
  g_assert_true(inf_registry_add_module_class(f->registry, &single_class, NULL));
  g_assert_true(inf_registry_add_client_class(f->registry, &twice_client_class, NULL));
  g_assert_true(inf_registry_add_client_class(f->registry, &holder_class, NULL));
  g_assert_true(inf_registry_add_client_class(f->registry, &legacy_holder_class, NULL));
  g_assert_true(inf_registry_add_client_class(f->registry, &keeper_class, NULL));
  g_autofree char *single = g_strdup_printf("{\"type\": \"%s\", \"options\": %s}", type,
                                            options_json ? options_json : "{}");
  f->graph = exec_fixtures_trace(f->registry, "single", single, (const char *const[]){ "x", NULL });
  g_autoptr(GError) error = NULL;
  if (resources_json)
    f->resources = inf_test_resources_new(f->registry, resources_json, &f->resources_config);
  InfSchedulerConfig config = { 0 };
  f->scheduler = inf_scheduler_new(f->graph, f->resources, &config, &error);
  g_assert_no_error(error);
}

static void
fixture_setup(Fixture *f, const char *type, const char *options_json, const char *resources_json)
{
  fixture_setup_with(f, type, options_json, resources_json, NULL);
}

/* Runs @texts through the fixture's graph until every input is done. */
static void
fixture_run(Fixture *f, const char *const *texts)
{
  Run *run = &f->run;
  run->graph = f->graph;
  run->texts = texts;
  run->n_inputs = g_strv_length((char **)texts);
  run->outputs = g_new0(char *, run->n_inputs + 1);
  run->loop = g_main_loop_new(NULL, FALSE);
  inf_scheduler_set_callbacks(f->scheduler, &(InfSchedulerCallbacks){ .feed = feed, .done = done },
                              run);
  inf_scheduler_pump(f->scheduler);
  if (run->done < run->n_inputs)
    g_main_loop_run(run->loop);
  g_assert_cmpuint(run->done, ==, run->n_inputs);
  g_assert_cmpint(inf_scheduler_get_running(f->scheduler), ==, 0);
}

/* Frees in the host's order: the resources (calls still held are
 * cancelled, clients finalized), then the scheduler. */
static void
fixture_teardown(Fixture *f)
{
  if (f->scheduler)
    inf_scheduler_stop(f->scheduler);
  inf_resource_manager_free(f->resources);
  inf_scheduler_free(f->scheduler);
  inf_resources_config_free(f->resources_config);
  g_strfreev(f->run.outputs);
  if (f->run.loop)
    g_main_loop_unref(f->run.loop);
  inf_graph_unref(f->graph);
  inf_registry_free(f->registry);
  inf_plugin_loader_free(f->loader);
}

/* --- tasks --- */

static void
test_task_double_return(void)
{
  capture_start();
  Fixture f;
  fixture_setup(&f, "twice", NULL, NULL);
  fixture_run(&f, (const char *const[]){ "a", "b", "c", NULL });
  drain_main_context(); /* the second returns */
  dump_lines();
  g_assert_cmpstr(f.run.outputs[0], ==, "a");
  g_assert_cmpstr(f.run.outputs[1], ==, "b");
  g_assert_cmpstr(f.run.outputs[2], ==, "c");
  /* Three misuses of one node: one line, naming the node and the class. */
  g_assert_cmpuint(log_lines->len, ==, 1);
  g_assert_cmpuint(count_lines("inf-engine: warning: node 'twice' (module class 'twice', built "
                               "in): a value was returned after the task was finished; ignored"),
                   ==, 1);
  fixture_teardown(&f);
  capture_stop();
}

static void
test_task_late_return(void)
{
  capture_start();
  Fixture f;
  fixture_setup(&f, "late", NULL, NULL);
  /* "first" returns at once and again later, when "second" is running. */
  fixture_run(&f, (const char *const[]){ "first", "second", NULL });
  drain_main_context();
  dump_lines();
  g_assert_cmpstr(f.run.outputs[0], ==, "first");
  g_assert_cmpstr(f.run.outputs[1], ==, "second");
  g_assert_cmpuint(log_lines->len, ==, 1);
  g_assert_cmpuint(count_lines("warning: node 'late' (module class 'late', built in): a value "
                               "was returned after the task was finished"),
                   ==, 1);
  fixture_teardown(&f);
  capture_stop();
}

static void
test_task_timeout(void)
{
  capture_start();
  Fixture f;
  never_task = NULL;
  fixture_setup(&f, "never", "{\"timeout\": 0.05}", NULL);
  fixture_run(&f, (const char *const[]){ "x", NULL });
  g_assert_cmpstr(f.run.outputs[0], ==,
                  "error: node 'never' (module class 'never', built in): no result after 50ms "
                  "(the module's timeout)");
  g_assert_cmpuint(log_lines->len, ==, 0);
  /* The return the module owed is dropped without a message; another one
   * is a misuse. */
  g_assert_nonnull(never_task);
  g_assert_cmpstr(inf_task_get_node_id(never_task), ==, "never");
  inf_task_return_value(never_task, inf_value_new_text("late"));
  g_assert_cmpuint(log_lines->len, ==, 0);
  inf_task_return_new_error(never_task, INF_ERROR_FAILED, "again");
  g_assert_cmpuint(count_lines("node 'never' (module class 'never', built in): an error was "
                               "returned after the task was finished"),
                   ==, 1);
  fixture_teardown(&f);
  capture_stop();
}

static void
test_task_timeout_config(void)
{
  InfRegistry *registry = inf_registry_new();
  g_assert_true(inf_registry_add_module_class(registry, &never_class, NULL));
  g_assert_true(inf_registry_add_module_class(registry, &single_class, NULL));
  static const struct {
    const char *options;
    const char *message;
  } cases[] = {
    { "{\"timeout\": -1}",
      "timeout: expected a number of seconds (0 for none, at most 1e9), got -1" },
    { "{\"timeout\": \"1s\"}", "timeout: expected a number of seconds (0 for none, at most 1e9), "
                               "got \"1s\"" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    json_object *options = json_tokener_parse(cases[i].options);
    g_autoptr(InfModule) module = inf_module_new(registry, "never", "n", options, &error);
    json_object_put(options);
    g_assert_null(module);
    g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
    g_assert_nonnull(strstr(error->message, cases[i].message));
  }
  /* A composite has no execution of its own to limit. */
  g_autoptr(GError) error = NULL;
  json_object *options = json_tokener_parse("{\"type\": \"never\", \"timeout\": 2}");
  g_autoptr(InfModule) module = inf_module_new(registry, "single", "s", options, &error);
  json_object_put(options);
  g_assert_null(module);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "module type 'single' is a composite"));
  inf_registry_free(registry);
}

/* The run ends (its scheduler is freed) while the module still holds a task:
 * a return after that is reported, never a use after free. */
static void
test_task_after_run(void)
{
  capture_start();
  Fixture f;
  never_task = NULL;
  fixture_setup(&f, "never", "{\"timeout\": 0.02}", NULL);
  fixture_run(&f, (const char *const[]){ "x", NULL });
  InfTask *task = never_task;
  g_assert_nonnull(task);
  g_clear_pointer(&f.scheduler, inf_scheduler_free);
  g_assert_cmpstr(inf_task_get_node_id(task), ==, "never");
  g_assert_null(inf_task_get_module(task));
  inf_task_return_value(task, inf_value_new_text("late"));
  inf_task_return_value(task, inf_value_new_text("later"));
  dump_lines();
  g_assert_cmpuint(log_lines->len, ==, 1);
  g_assert_cmpuint(count_lines("inf-engine: warning: node 'never' (module class 'never', built "
                               "in): a value was returned after the run that gave out the task "
                               "ended; ignored"),
                   ==, 1);
  fixture_teardown(&f);
  capture_stop();
}

static gboolean
drain_soon(gpointer data)
{
  inf_scheduler_drain(data, 20 * 1000);
  return G_SOURCE_REMOVE;
}

static void
test_task_drain(void)
{
  capture_start();
  Fixture f;
  fixture_setup(&f, "never", NULL, NULL); /* no timeout */
  g_idle_add(drain_soon, f.scheduler);    /* the first signal, once it runs */
  fixture_run(&f, (const char *const[]){ "x", NULL });
  g_assert_cmpstr(f.run.outputs[0], ==,
                  "error: node 'never' (module class 'never', built in): no result when the "
                  "run's interruption grace ended; cancelled");
  fixture_teardown(&f);
  capture_stop();
}

/* --- in-process calls --- */

static const char twice_resources[] =
    "{\"endpoints\": {\"fast\": {\"provider\": \"twice-client\"}}}";

static void
test_call_double_return(void)
{
  capture_start();
  Fixture f;
  fixture_setup(&f, "ask", NULL, twice_resources);
  fixture_run(&f, (const char *const[]){ "a", "b", NULL });
  dump_lines();
  g_assert_cmpstr(f.run.outputs[0], ==, "reply:a");
  g_assert_cmpstr(f.run.outputs[1], ==, "reply:b");
  g_assert_cmpuint(log_lines->len, ==, 1);
  g_assert_cmpuint(count_lines("inf-engine: warning: alias 'fast' (client class 'twice-client', "
                               "built in): inf_llm_call_return() was called for a call that was "
                               "already finished; ignored"),
                   ==, 1);
  fixture_teardown(&f);
  capture_stop();
}

static void
test_call_timeout(void)
{
  capture_start();
  Fixture f;
  fixture_setup(&f, "ask", NULL,
                "{\"endpoints\": {\"fast\": {\"provider\": \"holder\", \"timeout\": 0.02, "
                "\"max_retries\": 1, \"retry_delay\": 0.001}}}");
  fixture_run(&f, (const char *const[]){ "a", NULL });
  g_assert_cmpstr(f.run.outputs[0], ==,
                  "error: alias 'fast': client class 'holder', built in: no reply after 20ms (the "
                  "endpoint's timeout) (after 2 attempts)");
  g_assert_nonnull(last_holder);
  g_assert_cmpuint(last_holder->cancelled, ==, 2);
  g_assert_true(last_holder->cancelled_flag_seen);
  g_assert_cmpuint(last_holder->held->len, ==, 0);
  g_assert_cmpuint(log_lines->len, ==, 0);
  fixture_teardown(&f);
  capture_stop();
}

/* The node's timeout ends it while the client holds its call: the call is
 * cancelled (the client's cancel hook), the node fails naming itself, and
 * the run ends; nothing is left for finalize. */
static void
test_task_timeout_cancels_call(void)
{
  capture_start();
  Fixture f;
  holders_finalized = 0;
  fixture_setup(&f, "ask", "{\"timeout\": 0.02}",
                "{\"endpoints\": {\"fast\": {\"provider\": \"holder\"}}}");
  fixture_run(&f, (const char *const[]){ "a", NULL });
  g_assert_cmpstr(f.run.outputs[0], ==,
                  "error: node 'ask' (module class 'ask', built in): no result after 20ms (the "
                  "module's timeout)");
  g_assert_nonnull(last_holder);
  g_assert_cmpuint(last_holder->cancelled, ==, 1);
  g_assert_true(last_holder->cancelled_flag_seen);
  g_assert_cmpuint(last_holder->held->len, ==, 0);
  inf_scheduler_stop(f.scheduler);
  inf_resource_manager_free(g_steal_pointer(&f.resources));
  g_assert_cmpuint(holders_finalized, ==, 1);
  g_assert_cmpuint(cancelled_before_finalize, ==, 1);
  g_assert_cmpuint(log_lines->len, ==, 0);
  fixture_teardown(&f);
  capture_stop();
}

/* The same over HTTP: the server holds the reply; at the node's timeout the
 * request is cancelled and its connection closed, which the server sees.
 * The timeout is long enough for the request to reach the server first
 * (under valgrind, on a loaded machine); if it did not, the engine side is
 * still checked and the server side is skipped, saying so. */
static void
test_task_timeout_cancels_http(void)
{
  capture_start();
  InfFakeLlm *fake = inf_test_fake_start();
  InfFakeBehaviour hold;
  inf_fake_behaviour_init(&hold);
  hold.hold = TRUE;
  inf_fake_llm_set_default(fake, &hold);
  g_autofree char *resources =
      g_strdup_printf("{\"endpoints\": {\"fast\": {\"provider\": \"openai\", \"model\": \"m\", "
                      "\"base_url\": \"%s/v1\", \"max_retries\": 0}}}",
                      inf_fake_llm_get_base_url(fake));
  Fixture f;
  fixture_setup_with(&f, "ask", "{\"timeout\": 2}", resources, "openai");
  fixture_run(&f, (const char *const[]){ "a", NULL });
  g_assert_cmpstr(f.run.outputs[0], ==,
                  "error: node 'ask' (module class 'ask', built in): no result after 2s (the "
                  "module's timeout)");
  /* The engine has no request in flight any more ... */
  g_assert_cmpuint(inf_http_session_get_in_flight(f.resources->http), ==, 0);
  g_assert_cmpuint(g_hash_table_size(f.resources->calls), ==, 0);
  if (inf_fake_llm_get_n_held(fake) != 1) {
    /* A machine so loaded that the request never reached the server within
     * 2 s: what the server sees cannot be checked, and that is said. */
    g_test_skip("the request did not reach the fake server within the node's timeout (2s)");
    fixture_teardown(&f);
    inf_test_fake_stop(fake);
    capture_stop();
    return;
  }
  /* ... and the server sees the connection closed while it held the reply
   * (no reply was ever sent: it waits for the close, not for a time). */
  InfFakeStats stats;
  do {
    g_main_context_iteration(NULL, TRUE);
    inf_fake_llm_get_stats(fake, &stats);
  } while (stats.disconnected == 0);
  g_assert_cmpuint(stats.requests, ==, 1);
  g_assert_cmpuint(stats.disconnected, ==, 1);
  g_assert_cmpuint(inf_fake_llm_get_n_held(fake), ==, 1);
  dump_lines();
  g_assert_cmpuint(log_lines->len, ==, 0);
  fixture_teardown(&f);
  inf_test_fake_stop(fake);
  capture_stop();
}

/* The run is cut short (a second signal: the scheduler stops, the
 * resources go) while the client holds a call: it is told (cancel) before
 * it is finalized, and nothing leaks (valgrind, LSan). */
static void
test_call_finalize_pending(void)
{
  capture_start();
  Fixture f;
  holders_finalized = 0;
  last_holder = NULL;
  fixture_setup(&f, "ask", NULL, "{\"endpoints\": {\"fast\": {\"provider\": \"holder\"}}}");
  g_autoptr(InfValue) x = inf_value_new_text("a");
  InfExecState *state = inf_exec_state_new(f.graph, 0, (InfValue *[]){ x });
  inf_scheduler_add_input(f.scheduler, state);
  inf_exec_state_unref(state);
  inf_scheduler_pump(f.scheduler);
  g_assert_nonnull(last_holder);
  g_assert_cmpuint(last_holder->held->len, ==, 1);
  g_assert_cmpuint(last_holder->cancelled, ==, 0);
  inf_scheduler_stop(f.scheduler);
  inf_resource_manager_free(g_steal_pointer(&f.resources));
  g_assert_cmpuint(holders_finalized, ==, 1);
  g_assert_cmpuint(cancelled_before_finalize, ==, 1);
  g_assert_cmpuint(log_lines->len, ==, 0);
  fixture_teardown(&f);
  capture_stop();
}

/* A client built against ABI 1.0 has no cancel hook: it returns the calls
 * it still holds from finalize, which are dropped without a message. */
static void
test_call_finalize_legacy(void)
{
  capture_start();
  Fixture f;
  holders_finalized = 0;
  fixture_setup(&f, "ask", "{\"timeout\": 0.02}",
                "{\"endpoints\": {\"fast\": {\"provider\": \"legacy-holder\"}}}");
  fixture_run(&f, (const char *const[]){ "a", "b", NULL });
  g_assert_cmpuint(last_holder->held->len, ==, 2);
  fixture_teardown(&f);
  g_assert_cmpuint(holders_finalized, ==, 1);
  dump_lines();
  g_assert_cmpuint(log_lines->len, ==, 0);
  capture_stop();
}

/* A client that neither has a cancel hook nor returns what it holds from
 * finalize, and returns a call after that: reported, not a use after free. */
static void
test_call_after_finalize(void)
{
  capture_start();
  Fixture f;
  kept_after_finalize = g_ptr_array_new();
  fixture_setup(&f, "ask", "{\"timeout\": 0.02}",
                "{\"endpoints\": {\"fast\": {\"provider\": \"keeper\"}}}");
  fixture_run(&f, (const char *const[]){ "a", NULL });
  inf_scheduler_stop(f.scheduler);
  inf_resource_manager_free(g_steal_pointer(&f.resources));
  g_assert_cmpuint(kept_after_finalize->len, ==, 1);
  InfLlmCall *call = g_ptr_array_index(kept_after_finalize, 0);
  g_assert_true(inf_llm_call_is_cancelled(call));
  inf_llm_call_return_error(call, g_error_new(INF_ERROR, INF_ERROR_SERVER, "late"), -1);
  inf_llm_call_return(call, inf_llm_response_new());
  dump_lines();
  g_assert_cmpuint(log_lines->len, ==, 1);
  g_assert_cmpuint(count_lines("inf-engine: warning: alias 'fast' (client class 'keeper', built "
                               "in): inf_llm_call_return_error() was called after the client was "
                               "finalized; ignored"),
                   ==, 1);
  g_clear_pointer(&kept_after_finalize, g_ptr_array_unref);
  fixture_teardown(&f);
  capture_stop();
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/contracts/task/double-return", test_task_double_return);
  g_test_add_func("/contracts/task/late-return", test_task_late_return);
  g_test_add_func("/contracts/task/timeout", test_task_timeout);
  g_test_add_func("/contracts/task/timeout-config", test_task_timeout_config);
  g_test_add_func("/contracts/task/after-run", test_task_after_run);
  g_test_add_func("/contracts/task/drain", test_task_drain);
  g_test_add_func("/contracts/call/double-return", test_call_double_return);
  g_test_add_func("/contracts/call/timeout", test_call_timeout);
  g_test_add_func("/contracts/task/timeout-cancels-call", test_task_timeout_cancels_call);
  g_test_add_func("/contracts/task/timeout-cancels-http", test_task_timeout_cancels_http);
  g_test_add_func("/contracts/call/finalize-pending", test_call_finalize_pending);
  g_test_add_func("/contracts/call/finalize-legacy", test_call_finalize_legacy);
  g_test_add_func("/contracts/call/after-finalize", test_call_after_finalize);
  return g_test_run();
}
