/* Unit tests of calls to a resource alias from outside the scheduler
 * (core/optim/alias-call.c) when every endpoint is busy: the call waits for
 * a slot to be given back, with no timer (no polling), and starts when one
 * is; a scheduler blocked by a slot such a call holds starts its node when
 * the call ends; a call still waiting when the manager is freed fails
 * cleanly, also when it waits for its retry after a 429. Deterministic: an in-process client holds every call until the
 * test completes it. */
#include <inf/inf.h>
#include <string.h>

#include "exec/scheduler.h"
#include "inf-test-plugins.h"
#include "graph/tracer-private.h"
#include "optim/alias-call.h"
#include "resources/endpoint.h"
#include "resources/manager.h"

/* --- "hold": keeps each call until the test completes it --- */

static GQueue held = G_QUEUE_INIT; /* InfLlmCall * */

static void
hold_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  g_queue_push_tail(&held, call);
}

static const InfClientClass hold_client = {
  .struct_size = sizeof(InfClientClass),
  .name = "hold",
  .call = hold_call,
};

/* Completes the oldest held call with "re: <its last message>"; returns
 * that message. */
static char *
complete_next(void)
{
  InfLlmCall *call = g_queue_pop_head(&held);
  g_assert_nonnull(call);
  const InfLlmRequest *req = inf_llm_call_get_request(call);
  char *text = g_strdup(inf_llm_request_get_content(req, inf_llm_request_get_n_messages(req) - 1));
  InfLlmResponse *response = inf_llm_response_new();
  g_autofree char *reply = g_strdup_printf("re: %s", text);
  inf_llm_response_set_content(response, reply);
  inf_llm_call_return(call, response);
  return text;
}

/* Runs everything that is ready now, without waiting. */
static void
drain(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

/* The time until the default context's next timer (-1: no timer at all). */
static gint
next_timeout(void)
{
  GMainContext *context = g_main_context_default();
  g_assert_true(g_main_context_acquire(context));
  gint priority = 0, timeout = 0;
  GPollFD fds[64];
  g_main_context_prepare(context, &priority);
  gint n = g_main_context_query(context, priority, &timeout, fds, G_N_ELEMENTS(fds));
  g_assert_cmpint(n, <=, (gint)G_N_ELEMENTS(fds));
  if (g_main_context_check(context, priority, fds, n))
    g_main_context_dispatch(context);
  g_main_context_release(context);
  return timeout;
}

/* No timer is armed but the endpoint's timeout (600 s) of a call the
 * in-process client holds: a poll would show as a short one. */
static void
assert_no_poll(void)
{
  gint timeout = next_timeout();
  if (timeout != -1 && timeout < 590000)
    g_error("a timer of %d ms is armed", timeout);
}

/* --- "ask": a module on alias "judge" that returns the reply --- */

static const char *
ask_alias(InfModule *self)
{
  (void)self;
  return "judge";
}

static void
ask_reply(InfTask *task, const InfLlmResponse *response, gpointer data)
{
  (void)data;
  inf_task_return_value(task, inf_value_new_text(inf_llm_response_get_content(response)));
}

static void
ask_execute(InfModule *self, InfTask *task)
{
  (void)self;
  InfLlmRequest *request = inf_llm_request_new();
  inf_llm_request_add_message(request, "user", inf_value_get_text(inf_task_get_arg(task, 0)));
  inf_task_call_llm(task, request, ask_reply, NULL);
}

static const InfModuleClass ask_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "ask",
  .execute = ask_execute,
  .resource_alias = ask_alias,
};

/* --- fixture --- */

typedef InfTestResourcesFixture Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  inf_test_resources_fixture_set_up(f, data);
  g_assert_true(inf_registry_add_client_class(f->registry, &hold_client, NULL));
  g_assert_true(inf_registry_add_module_class(f->registry, &ask_class, NULL));
  inf_test_resources_fixture_set(
      f, "{\"endpoints\": {\"judge\": {\"provider\": \"hold\", \"max_concurrent\": 1}}}");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  inf_test_resources_fixture_tear_down(f, data);
  g_assert_cmpuint(held.length, ==, 0);
}

typedef struct {
  gboolean done;
  char *text;
  GError *error;
} Reply;

static void
on_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  Reply *r = data;
  g_assert_false(r->done);
  r->done = TRUE;
  r->text = response ? g_strdup(inf_llm_response_get_content(response)) : NULL;
  r->error = error ? g_error_copy(error) : NULL;
}

static void
reply_clear(Reply *r)
{
  g_free(r->text);
  g_clear_error(&r->error);
}

static void
call(Fixture *f, const char *text, Reply *r)
{
  InfLlmRequest *request = inf_llm_request_new();
  inf_llm_request_add_message(request, "user", text);
  inf_alias_call(f->rm, "judge", request, on_reply, r);
}

static void
test_wakes_on_release(Fixture *f, gconstpointer data)
{
  (void)data;
  Reply a = { 0 }, b = { 0 };
  call(f, "a", &a);
  call(f, "b", &b);
  drain();
  /* a holds the only slot; b waits for it, registered with the manager,
   * with no timer armed (a poll would show as a timer) but the endpoint's
   * timeout (600 s) of the call the client holds. */
  g_assert_cmpuint(held.length, ==, 1);
  g_assert_cmpuint(inf_resource_manager_get_n_slot_waits(f->rm), ==, 1);
  assert_no_poll();
  drain();
  g_assert_cmpuint(held.length, ==, 1);
  g_assert_false(b.done);

  /* a ends: its slot goes back and b starts, in the same drain. */
  g_autofree char *first = complete_next();
  g_assert_cmpstr(first, ==, "a");
  drain();
  g_assert_true(a.done);
  g_assert_cmpstr(a.text, ==, "re: a");
  g_assert_cmpuint(held.length, ==, 1);
  g_assert_cmpuint(inf_resource_manager_get_n_slot_waits(f->rm), ==, 0);
  g_autofree char *second = complete_next();
  g_assert_cmpstr(second, ==, "b");
  drain();
  g_assert_true(b.done);
  g_assert_cmpstr(b.text, ==, "re: b");
  reply_clear(&a);
  reply_clear(&b);

  /* Three waiting calls start one at a time, in order. */
  Reply r[4] = { { 0 } };
  const char *texts[] = { "w0", "w1", "w2", "w3" };
  for (guint i = 0; i < 4; i++)
    call(f, texts[i], &r[i]);
  drain();
  for (guint i = 0; i < 4; i++) {
    g_assert_cmpuint(held.length, ==, 1);
    g_assert_cmpuint(inf_resource_manager_get_n_slot_waits(f->rm), ==, 3 - i);
    g_autofree char *text = complete_next();
    g_assert_cmpstr(text, ==, texts[i]);
    drain();
    g_assert_true(r[i].done);
  }
  for (guint i = 0; i < 4; i++)
    reply_clear(&r[i]);
}

static void
test_scheduler_wakes(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  Reply a = { 0 };
  call(f, "loss call", &a);
  drain();
  g_assert_cmpuint(held.length, ==, 1);

  /* A one-node graph on the same alias: blocked by the loss's call. */
  InfModule *top = inf_module_new(f->registry, "ask", "top", NULL, &error);
  g_assert_no_error(error);
  InfGraph *graph = inf_tracer_trace(top, (const char *const[]){ "x", NULL }, &error);
  g_assert_no_error(error);
  InfSchedulerConfig config = { 0 };
  InfScheduler *s = inf_scheduler_new(graph, f->rm, &config, &error);
  g_assert_no_error(error);
  g_autoptr(InfValue) x = inf_value_new_text("node call");
  InfTestInput run = { .state = inf_exec_state_new(graph, 0, (InfValue *[]){ x }) };
  inf_test_scheduler_start(s, &run);
  drain();
  g_assert_cmpuint(held.length, ==, 1);
  assert_no_poll();

  /* The loss's call ends (none of the scheduler's own tasks did): the
   * scheduler is woken and sends its node. */
  g_free(complete_next());
  drain();
  g_assert_true(a.done);
  g_assert_cmpuint(held.length, ==, 1);
  g_autofree char *text = complete_next();
  g_assert_cmpstr(text, ==, "node call");
  drain();
  g_assert_true(run.done);
  g_autoptr(InfValue) out = inf_exec_state_get_outputs(run.state);
  g_autofree char *out_text = inf_value_to_string(out);
  g_assert_cmpstr(out_text, ==, "re: node call");
  reply_clear(&a);
  inf_exec_state_unref(run.state);
  inf_scheduler_free(s);
  inf_graph_unref(graph);
  inf_module_unref(top);
}

static void
test_cancelled(Fixture *f, gconstpointer data)
{
  (void)data;
  Reply a = { 0 }, b = { 0 };
  call(f, "a", &a);
  call(f, "b", &b);
  drain();
  g_assert_cmpuint(inf_resource_manager_get_n_slot_waits(f->rm), ==, 1);
  /* The manager goes away: the held call and the waiting one both end with
   * an error, once. */
  inf_resource_manager_free(f->rm);
  f->rm = NULL;
  g_queue_clear(&held); /* the manager ended the held call */
  g_assert_true(a.done);
  g_assert_true(b.done);
  g_assert_error(b.error, INF_ERROR, INF_ERROR_CANCELLED);
  inf_test_assert_contains(b.error->message, "alias 'judge': cancelled while waiting for a free "
                                             "slot");
  reply_clear(&a);
  reply_clear(&b);
}

/* A 429 with a long Retry-After: the call waits for the limiter, holding a
 * timer; the run ends (the manager is freed) during that wait. The call fails
 * once, cancelled, and no timer is left to touch the freed manager. */
static void
test_cancelled_after_429(Fixture *f, gconstpointer data)
{
  (void)data;
  Reply a = { 0 };
  call(f, "a", &a);
  drain();
  InfLlmCall *held_call = g_queue_pop_head(&held);
  g_assert_nonnull(held_call);
  inf_llm_call_return_error(held_call, g_error_new(INF_ERROR, INF_ERROR_RATE_LIMITED, "429"),
                            60000);
  drain();
  /* waiting for the retry: not sent again, not failed */
  g_assert_cmpuint(held.length, ==, 0);
  g_assert_false(a.done);
  g_assert_cmpint(next_timeout(), >, 0);
  inf_resource_manager_free(f->rm);
  f->rm = NULL;
  g_assert_true(a.done);
  g_assert_error(a.error, INF_ERROR, INF_ERROR_CANCELLED);
  g_assert_cmpint(next_timeout(), ==, -1);
  drain();
  reply_clear(&a);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/optim/alias-call/wakes-on-release", Fixture, NULL, fixture_setup,
             test_wakes_on_release, fixture_teardown);
  g_test_add("/optim/alias-call/scheduler-wakes", Fixture, NULL, fixture_setup,
             test_scheduler_wakes, fixture_teardown);
  g_test_add("/optim/alias-call/cancelled", Fixture, NULL, fixture_setup, test_cancelled,
             fixture_teardown);
  g_test_add("/optim/alias-call/cancelled-after-429", Fixture, NULL, fixture_setup,
             test_cancelled_after_429, fixture_teardown);
  return g_test_run();
}
