/* InfScheduler on the main loop: many inputs, priorities, bounded in-flight
 * inputs, failure isolation, LLM nodes with per-alias limits and 429
 * requeues. */
#include "exec-fixtures.h"

#include <string.h>

typedef struct {
  InfGraph *graph;
  guint n_inputs;
  guint fed;
  guint done;
  guint failed;
  guint max_in_flight_seen;
  GPtrArray *outputs; /* char * JSON per input index */
  GMainLoop *loop;
} Run;

static gboolean
feed(InfScheduler *s, gpointer data)
{
  Run *run = data;
  if (run->fed == run->n_inputs)
    return FALSE;
  g_autofree char *text = g_strdup_printf("in%u", run->fed);
  g_autoptr(InfValue) x = inf_value_new_text(text);
  InfExecState *state = inf_exec_state_new(run->graph, run->fed++, (InfValue *[]){ x });
  inf_scheduler_add_input(s, state);
  inf_exec_state_unref(state);
  run->max_in_flight_seen = MAX(run->max_in_flight_seen, inf_scheduler_get_inputs_in_flight(s));
  return TRUE;
}

static void
done(InfScheduler *s, InfExecState *state, gpointer data)
{
  (void)s;
  Run *run = data;
  g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
  json_object *json = inf_value_to_json(outputs);
  g_ptr_array_index(run->outputs, state->index) =
      g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
  json_object_put(json);
  json_object *errors = inf_exec_state_errors_json(state);
  if (errors) {
    run->failed++;
    json_object_put(errors);
  }
  if (++run->done == run->n_inputs)
    g_main_loop_quit(run->loop);
}

static void
run_scheduler(Run *run, InfGraph *graph, InfResourceManager *rm, gint max_concurrent,
              gint max_inflight, guint n_inputs)
{
  memset(run, 0, sizeof *run);
  run->graph = graph;
  run->n_inputs = n_inputs;
  run->outputs = g_ptr_array_new_full(n_inputs, g_free);
  g_ptr_array_set_size(run->outputs, n_inputs);
  run->loop = g_main_loop_new(NULL, FALSE);
  InfSchedulerConfig config = { .max_concurrent = max_concurrent, .max_inflight = max_inflight };
  g_autoptr(GError) error = NULL;
  InfScheduler *s = inf_scheduler_new(graph, rm, &config, &error);
  g_assert_no_error(error);
  inf_scheduler_set_callbacks(s, &(InfSchedulerCallbacks){ .feed = feed, .done = done }, run);
  inf_scheduler_pump(s);
  if (run->done < n_inputs)
    g_main_loop_run(run->loop);
  g_assert_cmpuint(run->done, ==, n_inputs);
  g_assert_cmpint(inf_scheduler_get_running(s), ==, 0);
  g_assert_cmpuint(inf_scheduler_get_inputs_in_flight(s), ==, 0);
  inf_scheduler_free(s);
  g_main_loop_unref(run->loop);
}

static void
test_many_inputs_bounded(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfGraph *graph =
      exec_fixtures_trace(registry, "diamond", NULL, (const char *const[]){ "x", NULL });
  Run run;
  run_scheduler(&run, graph, NULL, 0, 8, 500);
  g_assert_cmpuint(run.failed, ==, 0);
  g_assert_cmpuint(run.max_in_flight_seen, <=, 8);
  g_assert_cmpuint(run.max_in_flight_seen, >=, 2); /* "later" nodes overlap inputs */
  for (guint i = 0; i < 500; i++) {
    g_autofree char *expected =
        g_strdup_printf("{\"b\":\"b(a(in%u))\",\"d\":\"d(b(a(in%u)),c(in%u))\"}", i, i, i);
    g_assert_cmpstr(g_ptr_array_index(run.outputs, i), ==, expected);
  }
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_registry_free(registry);
}

static void
test_priority_order(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfGraph *graph = exec_fixtures_trace(registry, "prio", NULL, (const char *const[]){ "x", NULL });
  exec_fixtures_clear_log();
  Run run;
  run_scheduler(&run, graph, NULL, 1, 1, 1);
  GPtrArray *log = exec_fixtures_get_log();
  g_assert_cmpuint(log->len, ==, 3);
  g_assert_cmpstr(g_ptr_array_index(log, 0), ==, "p1"); /* priority 1 */
  g_assert_cmpstr(g_ptr_array_index(log, 1), ==, "p2"); /* priority 2 */
  g_assert_cmpstr(g_ptr_array_index(log, 2), ==, "p0"); /* priority 3 */
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_registry_free(registry);
}

static void
test_fifo_across_inputs(void)
{
  /* Equal priorities: the older input's nodes run first. */
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfGraph *graph = exec_fixtures_trace(registry, "chain", "{\"n\": 2, \"type\": \"later\"}",
                                        (const char *const[]){ "x", NULL });
  exec_fixtures_clear_log();
  Run run;
  run_scheduler(&run, graph, NULL, 1, 4, 4);
  g_assert_cmpuint(run.failed, ==, 0);
  /* One node at a time, four inputs in flight: each input's second step
   * runs before the next input's first step. */
  GPtrArray *log = exec_fixtures_get_log_by_input();
  const char *expected[] = { "step@0", "step_1@0", "step@1", "step_1@1",
                             "step@2", "step_1@2", "step@3", "step_1@3" };
  g_assert_cmpuint(log->len, ==, G_N_ELEMENTS(expected));
  for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
    g_assert_cmpstr(g_ptr_array_index(log, i), ==, expected[i]);
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_registry_free(registry);
}

static void
test_failure_isolated(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfGraph *graph =
      exec_fixtures_trace(registry, "failing", NULL, (const char *const[]){ "x", NULL });
  Run run;
  run_scheduler(&run, graph, NULL, 0, 4, 20);
  g_assert_cmpuint(run.failed, ==, 20);
  for (guint i = 0; i < 20; i++) {
    g_autofree char *expected = g_strdup_printf("{\"g\":null,\"s\":\"s(in%u)\"}", i);
    g_assert_cmpstr(g_ptr_array_index(run.outputs, i), ==, expected);
  }
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_registry_free(registry);
}

static void
test_long_chain(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfGraph *graph =
      exec_fixtures_trace(registry, "chain", "{\"n\": 300}", (const char *const[]){ "x", NULL });
  g_assert_cmpuint(graph->n_nodes, ==, 301);
  Run run;
  run_scheduler(&run, graph, NULL, 0, 1, 1);
  const char *out = g_ptr_array_index(run.outputs, 0);
  /* 300 nested calls of the same child: "step(step(...(in0)...))" */
  guint depth = 0;
  for (const char *p = out; (p = strstr(p, "step(")); p += 5)
    depth++;
  g_assert_cmpuint(depth, ==, 300);
  g_assert_true(g_str_has_prefix(out, "\"step(step("));
  g_assert_nonnull(strstr(out, "step(in0))))"));
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_registry_free(registry);
}

/* --- LLM nodes --- */

typedef struct {
  gint in_flight;
  gint max_in_flight;
  guint calls;
} Probe;

static Probe probe;

static gboolean
probe_finish(gpointer data)
{
  InfLlmCall *call = data;
  probe.in_flight--;
  InfLlmResponse *response = inf_llm_response_new();
  inf_llm_response_set_content(response, "ok");
  inf_llm_response_set_usage(response, 3, 1);
  inf_llm_call_return(call, response);
  return G_SOURCE_REMOVE;
}

typedef struct {
  guint calls;
} EndpointCount;

static gboolean
probe_init(InfClient *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  (void)options;
  (void)error;
  *out_private = g_new0(EndpointCount, 1);
  return TRUE;
}

static guint probe_endpoint_calls[2];
static guint probe_n_endpoints;

static void
probe_finalize(gpointer data)
{
  if (probe_n_endpoints < 2)
    probe_endpoint_calls[probe_n_endpoints++] = ((EndpointCount *)data)->calls;
  g_free(data);
}

static void
probe_call(InfClient *self, InfLlmCall *call)
{
  ((EndpointCount *)inf_client_get_private(self))->calls++;
  probe.calls++;
  probe.in_flight++;
  probe.max_in_flight = MAX(probe.max_in_flight, probe.in_flight);
  g_timeout_add(1, probe_finish, call);
}

static const InfClientClass probe_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "probe",
  .description = "counts calls",
  .init = probe_init,
  .finalize = probe_finalize,
  .call = probe_call,
};

static void
test_llm_alias_concurrency(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  g_assert_true(inf_registry_add_client_class(registry, &probe_class, NULL));
  InfResourcesConfig *config;
  InfResourceManager *rm = inf_test_resources_new(
      registry, "{\"endpoints\": {\"fast\": {\"provider\": \"probe\", \"max_concurrent\": 4}}}",
      &config);
  InfGraph *graph = exec_fixtures_trace(
      registry, "wide",
      "{\"n\": 40, \"type\": \"llm-echo\", \"child_options\": {\"alias\": \"fast\"}}",
      (const char *const[]){ "x", NULL });
  memset(&probe, 0, sizeof probe);
  Run run;
  run_scheduler(&run, graph, rm, 0, 4, 5);
  g_assert_cmpuint(run.failed, ==, 0);
  g_assert_cmpuint(probe.calls, ==, 200);
  g_assert_cmpint(probe.max_in_flight, ==, 4);
  InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_lookup(rm, "fast"));
  g_assert_cmpuint(m->requests, ==, 200);
  g_assert_cmpuint(m->successes, ==, 200);
  g_assert_cmpint(m->input_tokens, ==, 600);
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_resource_manager_free(rm);
  inf_resources_config_free(config);
  inf_registry_free(registry);
}

static void
test_pool_and_global_cap(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  g_assert_true(inf_registry_add_client_class(registry, &probe_class, NULL));
  /* A pool of two endpoints (3 slots each) under a global cap of 5. */
  InfResourcesConfig *config;
  InfResourceManager *rm =
      inf_test_resources_new(registry,
                             "{\"max_total_concurrent\": 5, \"endpoints\": {\"fast\": ["
                             "{\"provider\": \"probe\", \"max_concurrent\": 3},"
                             "{\"provider\": \"probe\", \"max_concurrent\": 3}]}}",
                             &config);
  InfGraph *graph = exec_fixtures_trace(
      registry, "wide",
      "{\"n\": 50, \"type\": \"llm-echo\", \"child_options\": {\"alias\": \"fast\"}}",
      (const char *const[]){ "x", NULL });
  memset(&probe, 0, sizeof probe);
  probe_n_endpoints = 0;
  Run run;
  run_scheduler(&run, graph, rm, 0, 4, 4);
  g_assert_cmpuint(run.failed, ==, 0);
  g_assert_cmpuint(probe.calls, ==, 200);
  g_assert_cmpint(probe.max_in_flight, ==, 5); /* the global cap, not 6 */
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_resource_manager_free(rm);
  /* least in flight: both endpoints took a fair share */
  g_assert_cmpuint(probe_n_endpoints, ==, 2);
  g_assert_cmpuint(probe_endpoint_calls[0] + probe_endpoint_calls[1], ==, 200);
  g_assert_cmpuint(probe_endpoint_calls[0], >=, 60);
  g_assert_cmpuint(probe_endpoint_calls[1], >=, 60);
  inf_resources_config_free(config);
  inf_registry_free(registry);
}

/* A graph of llm-echo nodes (a `shape` composite of @n steps) on the mock
 * endpoint "fast" with @endpoint_fields, run over @n_inputs inputs. */
typedef struct {
  InfRegistry *registry;
  InfPluginLoader *loader;
  InfResourcesConfig *config;
  InfResourceManager *rm;
  InfGraph *graph;
  Run run;
  InfMetrics *metrics;
} MockRun;

static void
mock_run(MockRun *m, const char *endpoint_fields, const char *shape, guint n, guint n_inputs)
{
  m->registry = inf_registry_new();
  exec_fixtures_register(m->registry);
  m->loader = inf_test_load_plugins(m->registry);
  g_autofree char *resources =
      g_strdup_printf("{\"endpoints\": {\"fast\": {\"provider\": \"mock\", %s}}}", endpoint_fields);
  m->rm = inf_test_resources_new(m->registry, resources, &m->config);
  g_autofree char *options = g_strdup_printf(
      "{\"n\": %u, \"type\": \"llm-echo\", \"child_options\": {\"alias\": \"fast\"}}", n);
  m->graph = exec_fixtures_trace(m->registry, shape, options, (const char *const[]){ "x", NULL });
  run_scheduler(&m->run, m->graph, m->rm, 0, 16, n_inputs);
  m->metrics = inf_resource_alias_get_metrics(inf_resource_manager_lookup(m->rm, "fast"));
}

static void
mock_run_clear(MockRun *m)
{
  g_ptr_array_unref(m->run.outputs);
  inf_graph_unref(m->graph);
  inf_resource_manager_free(m->rm);
  inf_resources_config_free(m->config);
  inf_plugin_loader_free(m->loader);
  inf_registry_free(m->registry);
}

static void
test_mock_429_requeue(void)
{
  MockRun m;
  mock_run(&m, "\"rate_limit_rate\": 0.3, \"retry_after_ms\": 1, \"max_concurrent\": 8", "wide", 10,
           30);
  g_assert_cmpuint(m.run.failed, ==, 0);
  g_assert_cmpuint(m.metrics->successes, ==, 300);
  g_assert_cmpuint(m.metrics->rate_limited, >, 0);
  g_assert_cmpuint(m.metrics->requests, ==, m.metrics->successes + m.metrics->rate_limited);
  g_assert_cmpuint(m.metrics->failures, ==, 0);
  for (guint i = 0; i < 30; i++)
    g_assert_true(g_str_has_prefix(g_ptr_array_index(m.run.outputs, i), "[\"mock-"));
  mock_run_clear(&m);
}

static void
test_mock_transient_errors_retried(void)
{
  MockRun m;
  mock_run(&m, "\"error_rate\": 0.2, \"max_retries\": 20, \"retry_delay\": 0.001", "wide", 10, 10);
  g_assert_cmpuint(m.run.failed, ==, 0);
  g_assert_cmpuint(m.metrics->successes, ==, 100);
  g_assert_cmpuint(m.metrics->retries, >, 0);
  g_assert_cmpuint(m.metrics->errors[INF_ERROR_SERVER], ==, m.metrics->retries);
  mock_run_clear(&m);
}

static void
test_mock_retries_exhausted(void)
{
  MockRun m;
  mock_run(&m, "\"error_rate\": 1, \"max_retries\": 2, \"retry_delay\": 0.001", "chain", 2, 3);
  g_assert_cmpuint(m.run.failed, ==, 3);
  g_assert_cmpuint(m.metrics->requests, ==, 9); /* 3 inputs x (1 + 2 retries); step_1 cancelled */
  g_assert_cmpuint(m.metrics->failures, ==, 3);
  mock_run_clear(&m);
}

/* --- budgets --- */

static guint halted_calls;

static void
on_halted(InfScheduler *s, gpointer data)
{
  (void)s;
  halted_calls++;
  g_main_loop_quit(((Run *)data)->loop);
}

/* A budget of 7 requests over 10 inputs of 2 chained LLM calls, 2 at a
 * time: the 8th call is refused and stays pending, no further call or input
 * starts, calls in flight finish, and the halted callback runs once, with
 * nothing running. Inputs that finished were reported; the others stay in
 * flight. */
static void
test_budget_halt(void)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  g_assert_true(inf_registry_add_client_class(registry, &probe_class, NULL));
  InfResourcesConfig *config;
  InfResourceManager *rm = inf_test_resources_new(
      registry,
      "{\"budget\": {\"max_requests\": 7}, "
      "\"endpoints\": {\"fast\": {\"provider\": \"probe\", \"max_concurrent\": 2}}}",
      &config);
  g_autoptr(InfBudget) budget = inf_budget_new(config->budget, NULL);
  inf_resource_manager_set_budget(rm, budget);
  InfGraph *graph = exec_fixtures_trace(
      registry, "chain",
      "{\"n\": 2, \"type\": \"llm-echo\", \"child_options\": {\"alias\": \"fast\"}}",
      (const char *const[]){ "x", NULL });
  memset(&probe, 0, sizeof probe);
  halted_calls = 0;
  Run run;
  memset(&run, 0, sizeof run);
  run.graph = graph;
  run.n_inputs = 10;
  run.outputs = g_ptr_array_new_full(10, g_free);
  g_ptr_array_set_size(run.outputs, 10);
  run.loop = g_main_loop_new(NULL, FALSE);
  InfSchedulerConfig sc = { .max_inflight = 3 };
  g_autoptr(GError) error = NULL;
  InfScheduler *s = inf_scheduler_new(graph, rm, &sc, &error);
  g_assert_no_error(error);
  inf_scheduler_set_callbacks(
      s, &(InfSchedulerCallbacks){ .feed = feed, .done = done, .halted = on_halted }, &run);
  inf_scheduler_pump(s);
  g_main_loop_run(run.loop);
  g_assert_cmpuint(halted_calls, ==, 1);
  g_assert_true(inf_scheduler_is_halted(s));
  g_assert_true(inf_budget_is_exhausted(budget));
  g_assert_cmpuint(probe.calls, ==, 7);
  g_assert_cmpint(inf_scheduler_get_running(s), ==, 0);
  g_assert_cmpuint(run.failed, ==, 0);
  /* 7 calls: at most 3 inputs done (2 calls each); the rest stays in flight. */
  g_assert_cmpuint(run.done + inf_scheduler_get_inputs_in_flight(s), ==, run.fed);
  g_assert_cmpuint(run.fed, <=, 3 + run.done);
  g_assert_cmpuint(run.done, <=, 3);
  InfBudgetAmount spent;
  inf_budget_get_spent(budget, NULL, &spent);
  g_assert_cmpint(spent.requests, ==, 7);
  g_assert_cmpint(spent.tokens, ==, 7 * 4); /* the probe reports 3 + 1 tokens */
  InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_lookup(rm, "fast"));
  g_assert_cmpuint(m->requests, ==, 7);
  g_assert_cmpuint(m->failures, ==, 0);
  /* Nothing more happens: the loop has nothing left to do for the run. */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  g_assert_cmpuint(probe.calls, ==, 7);
  g_assert_cmpuint(halted_calls, ==, 1);
  inf_scheduler_free(s);
  g_main_loop_unref(run.loop);
  g_ptr_array_unref(run.outputs);
  inf_graph_unref(graph);
  inf_resource_manager_free(rm);
  inf_resources_config_free(config);
  inf_registry_free(registry);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/exec/scheduler/many-inputs-bounded", test_many_inputs_bounded);
  g_test_add_func("/exec/scheduler/priority-order", test_priority_order);
  g_test_add_func("/exec/scheduler/fifo-across-inputs", test_fifo_across_inputs);
  g_test_add_func("/exec/scheduler/failure-isolated", test_failure_isolated);
  g_test_add_func("/exec/scheduler/long-chain", test_long_chain);
  g_test_add_func("/exec/scheduler/llm-alias-concurrency", test_llm_alias_concurrency);
  g_test_add_func("/exec/scheduler/pool-and-global-cap", test_pool_and_global_cap);
  g_test_add_func("/exec/scheduler/budget-halt", test_budget_halt);
  g_test_add_func("/exec/scheduler/mock-429-requeue", test_mock_429_requeue);
  g_test_add_func("/exec/scheduler/mock-transient-retried", test_mock_transient_errors_retried);
  g_test_add_func("/exec/scheduler/mock-retries-exhausted", test_mock_retries_exhausted);
  return g_test_run();
}
