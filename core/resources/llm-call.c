/* InfLlmCall: sending one LLM call through an endpoint: each attempt
 * reserves its estimate in the budget and settles it, transient errors are
 * retried with exponential backoff and jitter (a 429 goes back to the
 * scheduler), streamed replies are read event by event, and in-process
 * clients are held to their contract (one return per call, the endpoint's
 * timeout, cancellation). Which endpoint a call goes to is manager.c's. */
#include <stdarg.h>
#include <string.h>

#include "model/log-private.h"
#include "resources/event-stream.h"
#include "plugin/registry-private.h"
#include "resources/manager-private.h"

/* Where an InfLlmCall is in its life, as seen by an in-process client that
 * holds its pointer and may misuse it (return twice, return late). */
typedef enum {
  CALL_ENGINE,  /* with the engine (sending, waiting to retry): no client holds it */
  CALL_CLIENT,  /* an in-process client holds it; its return ends the attempt */
  CALL_HUSK,    /* the engine gave up on the attempt (timeout, cancelled): the client
                 * still owes its return, which is dropped */
  CALL_RETIRED, /* returned: kept a while (CALL_QUARANTINE) so that another return
                 * is recognised and reported; the request is gone */
  CALL_ORPHAN,  /* a husk left when the manager (and its client) went: kept on the
                 * registry; a return is reported */
} CallPhase;

/* Returned in-process calls kept before their memory is freed. */
#define CALL_QUARANTINE 1024

/* A streamed reply (the request asked for one) being read. */
typedef struct {
  InfEventStream *events;
  InfLlmResponse *response;
  guint state; /* the client's own */
  GError *error;
} CallStream;

/* Kept small: a wide graph has one per LLM node in flight. */
struct _InfLlmCall {
  InfResourceManager *manager;
  InfClient *endpoint;
  InfLlmRequest *request;
  InfLlmDoneFunc done;
  InfLlmAttemptFunc observe;
  gpointer user_data;
  guint attempt;
  guint http_status;       /* of this attempt's reply; 0: none */
  gint64 attempt_start_us; /* CALL_CLIENT: the endpoint's timeout ends the attempt after it */
  GSource *retry_source;
  InfBudgetAmount *reservation; /* this attempt's (only with a budget), or NULL */
  GList link;                   /* in manager->waiting while `waiting` */
  union {
    char *last_error;     /* CALL_ENGINE: the error the call waits to retry after */
    char *orphan_context; /* CALL_ORPHAN: "alias 'A' (client class 'C', plugin F)" */
  };
  CallStream *stream; /* or NULL */
  guint8 phase;       /* CallPhase */
  guint8 waiting;     /* retry_source is a retry wait (in manager->waiting) */
  guint8 orphan_reported;
  InfHttpRequest *http; /* the attempt's request in flight (the session's), or NULL */
  InfLlmCall **owner;   /* the caller's pointer to the call (follows a copy; NULL when freed) */
};

/* Pops the head of a queue whose links are embedded in their items (not
 * allocated: g_queue_pop_head would free them). */
static gpointer
queue_pop(GQueue *queue)
{
  GList *link = g_queue_pop_head_link(queue);
  return link ? link->data : NULL;
}

/* --- sending --- */

static void call_attempt(InfLlmCall *call);

static void
call_stream_clear(InfLlmCall *call)
{
  CallStream *stream = g_steal_pointer(&call->stream);
  if (!stream)
    return;
  inf_event_stream_free(stream->events);
  g_clear_pointer(&stream->response, inf_llm_response_free);
  g_clear_error(&stream->error);
  g_free(stream);
}

/* Frees what @call holds. A call of an in-process client is kept a while
 * (retired, see CALL_QUARANTINE): the client has its pointer. */
static void
call_free(InfLlmCall *call)
{
  InfResourceManager *manager = call->manager;
  if (call->owner && *call->owner == call)
    *call->owner = NULL;
  g_hash_table_remove(manager->calls, call);
  if (call->retry_source) {
    g_source_destroy(call->retry_source);
    g_source_unref(call->retry_source);
  }
  if (call->waiting)
    g_queue_unlink(&manager->waiting, &call->link);
  if (call->phase == CALL_CLIENT)
    g_queue_unlink(&call->endpoint->pending, &call->link);
  if (call->http)
    inf_http_session_cancel(manager->http, call->http);
  call_stream_clear(call);
  g_clear_pointer(&call->request, inf_llm_request_unref);
  g_clear_pointer(&call->last_error, g_free); /* or the orphan context */
  g_clear_pointer(&call->reservation, g_free);
  if (!call->endpoint->call) {
    g_free(call);
    return;
  }
  *call = (InfLlmCall){
    .manager = manager,
    .endpoint = call->endpoint,
    .phase = CALL_RETIRED,
    .link.data = call,
  };
  g_queue_push_tail_link(&manager->retired, &call->link);
  while (manager->retired.length > CALL_QUARANTINE)
    g_free(queue_pop(&manager->retired));
}

/* The engine gives up on the attempt an in-process client holds (its
 * timeout, the run's end): the client keeps @call as a husk whose return is
 * dropped, and is told through its cancel hook; the send goes on in a copy,
 * returned, which no client holds. */
static InfLlmCall *
call_give_up(InfLlmCall *call)
{
  InfResourceManager *manager = call->manager;
  InfClient *endpoint = call->endpoint;
  g_queue_unlink(&endpoint->pending, &call->link);
  InfLlmCall *send = g_new(InfLlmCall, 1);
  *send = *call;
  send->phase = CALL_ENGINE;
  send->link = (GList){ 0 };
  if (send->owner)
    *send->owner = send;
  g_hash_table_remove(manager->calls, call);
  g_hash_table_add(manager->calls, send);
  *call = (InfLlmCall){
    .manager = manager,
    .endpoint = endpoint,
    .request = inf_llm_request_ref(send->request),
    .phase = CALL_HUSK,
  };
  g_hash_table_add(manager->husks, call);
  if (endpoint->cancel)
    endpoint->cancel(endpoint, call);
  return send;
}

/* The wait a server asked for, capped by the endpoint's max_retry_after (a
 * "Retry-After: 100000" must not park an input for a day); -1: none. */
static gint64
capped_retry_after_ms(const InfClient *endpoint, gint64 retry_after_ms)
{
  if (retry_after_ms < 0)
    return -1;
  return MIN(retry_after_ms, (gint64)(endpoint->config->max_retry_after * 1000.0));
}

static gboolean
is_transient(const GError *error)
{
  return error->domain == INF_ERROR &&
         (error->code == INF_ERROR_TIMEOUT || error->code == INF_ERROR_TRANSPORT ||
          error->code == INF_ERROR_SERVER || error->code == INF_ERROR_BAD_RESPONSE);
}

static gboolean
retry_cb(gpointer data)
{
  InfLlmCall *call = data;
  g_source_unref(call->retry_source);
  call->retry_source = NULL;
  g_queue_unlink(&call->manager->waiting, &call->link);
  call->waiting = FALSE;
  call_attempt(call);
  return G_SOURCE_REMOVE;
}

/* Replaces the attempt's reservation by its charge: the usage a reply
 * reports (whatever became of it, like the metrics); the reservation for a
 * success without usage and when the provider may have done the work without
 * our seeing the usage (timeout, dropped connection, unreadable reply);
 * nothing after an error status. */
static void
call_settle(InfLlmCall *call, const InfLlmResponse *response, const GError *error)
{
  g_autofree InfBudgetAmount *reserved = g_steal_pointer(&call->reservation);
  if (!reserved)
    return;
  const InfEndpointConfig *config = call->endpoint->config;
  InfBudgetAmount actual = { .requests = 1 };
  gint64 in = response ? inf_llm_response_get_input_tokens(response) : 0;
  gint64 out = response ? inf_llm_response_get_output_tokens(response) : 0;
  if (in > 0 || out > 0) {
    actual.tokens = inf_tokens_add(in, out);
    actual.cost =
        ((double)in * config->input_cost_per_1m + (double)out * config->output_cost_per_1m) / 1e6;
  } else if (!error || (error->domain == INF_ERROR &&
                        (error->code == INF_ERROR_TIMEOUT || error->code == INF_ERROR_TRANSPORT ||
                         error->code == INF_ERROR_BAD_RESPONSE))) {
    actual = *reserved;
  }
  inf_budget_settle(call->manager->budget, call->endpoint->alias->account, reserved, &actual);
}

static void
report_attempt(InfLlmCall *call, const InfLlmResponse *response, const GError *error,
               const gint64 tokens[2], double cost, gint64 retry_after_ms, gint64 retry_in_ms)
{
  InfLlmAttempt attempt = {
    .alias = call->endpoint->alias->name,
    .attempt = call->attempt,
    .http_status = call->http_status,
    .error = error,
    .response = response,
    .input_tokens = tokens[0],
    .output_tokens = tokens[1],
    .cost = cost,
    .retry_after_ms = retry_after_ms,
    .retry_in_ms = retry_in_ms,
  };
  call->observe(call->user_data, &attempt);
}

/* Counts the tokens and cost of @response (NULL: none) in the alias's
 * metrics and the endpoint's token rate: they are paid for whatever becomes
 * of the reply. Stores the input and output tokens in @tokens and returns
 * the cost. */
static double
count_reply_tokens(InfLlmCall *call, const InfLlmResponse *response, gint64 now, gint64 tokens[2])
{
  InfClient *endpoint = call->endpoint;
  InfMetrics *metrics = endpoint->alias->metrics;
  const InfEndpointConfig *config = endpoint->config;
  tokens[0] = tokens[1] = 0;
  if (!response)
    return 0;
  gint64 in = tokens[0] = inf_llm_response_get_input_tokens(response);
  gint64 out = tokens[1] = inf_llm_response_get_output_tokens(response);
  metrics->input_tokens = inf_tokens_add(metrics->input_tokens, in);
  metrics->output_tokens = inf_tokens_add(metrics->output_tokens, out);
  metrics->reasoning_tokens =
      inf_tokens_add(metrics->reasoning_tokens, inf_llm_response_get_reasoning_tokens(response));
  double cost =
      ((double)in * config->input_cost_per_1m + (double)out * config->output_cost_per_1m) / 1e6;
  metrics->cost += cost;
  inf_rate_limiter_add_tokens(endpoint->limiter, inf_tokens_add(in, out), now);
  return cost;
}

/* The attempt succeeded: @response goes to the caller. */
static void
call_succeed(InfLlmCall *call, InfLlmResponse *response, const gint64 tokens[2], double cost,
             gint64 now)
{
  InfClient *endpoint = call->endpoint;
  InfMetrics *metrics = endpoint->alias->metrics;
  metrics->successes++;
  /* The provider did not say why it stopped: a normal end. */
  if (!inf_llm_response_get_finish_reason(response))
    inf_llm_response_set_finish_reason(response, INF_FINISH_STOP);
  inf_metrics_count_finish_reason(metrics, inf_llm_response_get_finish_reason(response));
  inf_rate_limiter_recover(endpoint->limiter, now);
  if (call->observe)
    report_attempt(call, response, NULL, tokens, cost, -1, -1);
  call->done(response, NULL, call->user_data);
  inf_llm_response_free(response);
  call_free(call);
}

/* A transient failure with retries left: the call waits @retry_after_ms (or
 * its exponential backoff with jitter, if longer) and is sent again. Takes
 * @error. */
static void
call_schedule_retry(InfLlmCall *call, GError *error, const gint64 tokens[2], double cost,
                    gint64 retry_after_ms)
{
  InfClient *endpoint = call->endpoint;
  endpoint->alias->metrics->retries++;
  double delay_ms =
      endpoint->config->retry_delay * 1000.0 * (double)(1u << MIN(call->attempt, 16u));
  delay_ms = MIN(delay_ms, 30000.0);
  delay_ms *= 1.0 + 0.25 * g_rand_double(call->manager->jitter);
  if (retry_after_ms > delay_ms)
    delay_ms = (double)retry_after_ms;
  if (call->observe)
    report_attempt(call, NULL, error, tokens, cost, retry_after_ms, (gint64)delay_ms);
  call->attempt++;
  g_debug("alias '%s': attempt %u failed (%s), retrying in %.0f ms", endpoint->alias->name,
          call->attempt, error->message, delay_ms);
  g_free(call->last_error);
  call->last_error = g_strdup(error->message);
  g_error_free(error);
  call->retry_source = g_timeout_source_new((guint)MIN(delay_ms, (double)G_MAXUINT));
  g_source_set_callback(call->retry_source, retry_cb, call, NULL);
  g_source_attach(call->retry_source, NULL);
  call->link.data = call;
  g_queue_push_tail_link(&call->manager->waiting, &call->link);
  call->waiting = TRUE;
}

/* The call failed for good: the caller gets @error, prefixed with the alias
 * (and the number of attempts when there were several). Takes @error. */
static void
call_fail(InfLlmCall *call, GError *error, const gint64 tokens[2], double cost,
          gint64 retry_after_ms)
{
  const char *alias = call->endpoint->alias->name;
  call->endpoint->alias->metrics->failures++;
  if (call->observe)
    report_attempt(call, NULL, error, tokens, cost, retry_after_ms, -1);
  g_autoptr(GError) final = NULL;
  if (call->attempt > 0)
    final = g_error_new(error->domain, error->code, "alias '%s': %s (after %u attempts)", alias,
                        error->message, call->attempt + 1);
  else
    final = g_error_new(error->domain, error->code, "alias '%s': %s", alias, error->message);
  g_error_free(error);
  call->done(NULL, final, call->user_data);
  call_free(call);
}

/* Every attempt ends here, on the main loop: settled with the budget,
 * counted, then delivered, retried or failed. Takes @response and @error. */
static void
call_finish_attempt(InfLlmCall *call, InfLlmResponse *response, GError *error,
                    gint64 retry_after_ms)
{
  if (error && error->domain == INF_BUDGET_ERROR) {
    /* Refused before sending: no attempt was made. */
    inf_llm_response_free(response);
    call->done(NULL, error, call->user_data);
    g_error_free(error);
    call_free(call);
    return;
  }
  call_settle(call, response, error);
  InfClient *endpoint = call->endpoint;
  InfMetrics *metrics = endpoint->alias->metrics;
  gint64 now = g_get_monotonic_time();
  inf_metrics_record_latency(metrics, (double)(now - call->attempt_start_us) / 1000.0);
  gint64 tokens[2];
  double cost = count_reply_tokens(call, response, now, tokens);
  if (!error) {
    call_succeed(call, response, tokens, cost, now);
    return;
  }
  inf_llm_response_free(response);
  if (error->domain == INF_ERROR && error->code >= 0 && error->code < INF_METRICS_N_CODES)
    metrics->errors[error->code]++;

  retry_after_ms = capped_retry_after_ms(endpoint, retry_after_ms);
  if (g_error_matches(error, INF_ERROR, INF_ERROR_RATE_LIMITED)) {
    /* Requeued by the caller after the wait, not retried here. */
    metrics->rate_limited++;
    inf_rate_limiter_backoff(endpoint->limiter, retry_after_ms >= 0 ? retry_after_ms * 1000 : -1,
                             now);
    if (call->observe)
      report_attempt(call, NULL, error, tokens, cost, retry_after_ms, -1);
    call->done(NULL, error, call->user_data);
    g_error_free(error);
    call_free(call);
  } else if (is_transient(error) && call->attempt < (guint)endpoint->config->max_retries &&
             !call->manager->no_waits) {
    call_schedule_retry(call, error, tokens, cost, retry_after_ms);
  } else {
    call_fail(call, error, tokens, cost, retry_after_ms);
  }
}

/* --- streamed replies --- */

static gboolean
stream_event_cb(const char *event, const char *data, gpointer user_data, GError **error)
{
  InfLlmCall *call = user_data;
  InfClient *endpoint = call->endpoint;
  if (endpoint->parse_stream_event(endpoint, call->request, event, data, call->stream->response,
                                   &call->stream->state, error))
    return TRUE;
  if (error && !*error)
    g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
                "client '%s' rejected a stream event without saying why", endpoint->klass->name);
  return FALSE;
}

/* Pieces of a 2xx body as they arrive (inside libcurl: no sending here). */
static gboolean
stream_body_cb(InfHttpRequest *http, const char *data, gsize length, gpointer user_data)
{
  (void)http;
  InfLlmCall *call = user_data;
  if (call->stream->error)
    return FALSE;
  return inf_event_stream_feed(call->stream->events, data, length, &call->stream->error);
}

static void
call_start_stream(InfLlmCall *call, InfHttpRequest *http)
{
  call_stream_clear(call);
  call->stream = g_new0(CallStream, 1);
  call->stream->response = inf_llm_response_new();
  call->stream->events =
      inf_event_stream_new(inf_http_request_get_stream(http), stream_event_cb, call);
  inf_http_request_set_body_func(http, stream_body_cb, call);
}

/* The end of a 2xx streamed body: the last event, then the client's check
 * that the stream was complete. */
static void
call_finish_stream(InfLlmCall *call)
{
  InfClient *endpoint = call->endpoint;
  GError *error = g_steal_pointer(&call->stream->error);
  if (!error)
    inf_event_stream_finish(call->stream->events, &error);
  if (!error)
    stream_event_cb(NULL, NULL, call, &error);
  InfLlmResponse *response = g_steal_pointer(&call->stream->response);
  call_stream_clear(call);
  if (error && !g_str_has_prefix(error->message, endpoint->klass->name)) {
    GError *named =
        g_error_new(error->domain, error->code, "%s: %s", endpoint->klass->name, error->message);
    g_error_free(error);
    error = named;
  }
  call_finish_attempt(call, response, error, -1);
}

static void
http_done(InfHttpRequest *http, const InfHttpResponse *http_response, const GError *http_error,
          gpointer user_data)
{
  (void)http;
  InfLlmCall *call = user_data;
  InfClient *endpoint = call->endpoint;
  call->http = NULL;
  call->http_status = http_response ? inf_http_response_get_status(http_response) : 0;
  if (http_error) {
    /* Tokens a stream reported before it broke off are still counted. */
    InfLlmResponse *partial = call->stream ? g_steal_pointer(&call->stream->response) : NULL;
    call_stream_clear(call);
    call_finish_attempt(call, partial, g_error_copy(http_error), -1);
    return;
  }
  guint status = inf_http_response_get_status(http_response);
  if (call->stream && status >= 200 && status < 300) {
    call_finish_stream(call);
    return;
  }
  call_stream_clear(call);
  InfLlmResponse *response = inf_llm_response_new();
  GError *error = NULL;
  if (!endpoint->parse_response(endpoint, call->request, http_response, response, &error)) {
    if (!error)
      error = g_error_new(INF_ERROR, INF_ERROR_BAD_RESPONSE,
                          "client '%s' rejected the reply "
                          "without saying why (HTTP %u)",
                          endpoint->klass->name, inf_http_response_get_status(http_response));
    call_finish_attempt(call, response, error, inf_http_response_get_retry_after_ms(http_response));
    return;
  }
  call_finish_attempt(call, response, NULL, -1);
}

static gboolean
refused_cb(gpointer data)
{
  InfLlmCall *call = data;
  g_source_unref(call->retry_source);
  call->retry_source = NULL;
  const char *reason = inf_budget_get_exhausted_reason(call->manager->budget);
  call_finish_attempt(call, NULL,
                      g_error_new(INF_BUDGET_ERROR, INF_BUDGET_ERROR_EXHAUSTED,
                                  "alias '%s': the budget is exhausted%s%s",
                                  call->endpoint->alias->name, reason ? ": " : "",
                                  reason ? reason : ""),
                      -1);
  return G_SOURCE_REMOVE;
}

/* Reserves the attempt's estimate; FALSE when the budget refuses it. */
static gboolean
call_reserve(InfLlmCall *call)
{
  InfBudget *budget = call->manager->budget;
  if (!budget)
    return TRUE;
  const InfEndpointConfig *config = call->endpoint->config;
  InfBudgetAmount estimate;
  inf_budget_estimate_request(call->request, inf_budget_get_default_max_tokens(budget),
                              config->input_cost_per_1m, config->output_cost_per_1m, &estimate);
  if (!inf_budget_reserve(budget, call->endpoint->alias->account, &estimate))
    return FALSE;
  call->reservation = g_memdup2(&estimate, sizeof estimate);
  return TRUE;
}

/* --- in-process attempts: the endpoint's timeout --- */

typedef struct {
  GSource source;
  InfClient *client;
} TimeoutSource;

/* When the endpoint's timeout ends the attempt @call's client holds. */
static gint64
call_deadline(const InfLlmCall *call)
{
  return call->attempt_start_us + (gint64)(call->endpoint->config->timeout * 1e6);
}

static void
client_rearm_timeouts(InfClient *client)
{
  InfLlmCall *head = g_queue_peek_head(&client->pending);
  g_source_set_ready_time(client->timeouts, head ? call_deadline(head) : -1);
}

/* The attempt an in-process client holds ran out of time: the client is told
 * (cancel) and its late return will be dropped; the attempt fails with
 * INF_ERROR_TIMEOUT (retried like an HTTP timeout). */
static void
call_time_out(InfLlmCall *call)
{
  InfClient *endpoint = call->endpoint;
  g_autofree char *limit = inf_format_duration_us((gint64)(endpoint->config->timeout * 1e6));
  GError *error =
      g_error_new(INF_ERROR, INF_ERROR_TIMEOUT, "%s: no reply after %s (the endpoint's timeout)",
                  endpoint->origin, limit);
  InfLlmCall *send = call_give_up(call);
  call_finish_attempt(send, NULL, error, -1);
}

static gboolean
timeouts_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void)callback;
  (void)user_data;
  InfClient *client = ((TimeoutSource *)source)->client;
  gint64 now = g_source_get_time(source);
  g_source_set_ready_time(source, -1);
  InfLlmCall *head;
  /* Calls of one endpoint share its timeout: deadlines come in order. */
  while ((head = g_queue_peek_head(&client->pending)) != NULL && call_deadline(head) <= now)
    call_time_out(head);
  client_rearm_timeouts(client);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timeouts_funcs = {
  .dispatch = timeouts_dispatch,
};

/* Hands @call to its in-process client, with the endpoint's timeout. */
static void
call_start_in_process(InfLlmCall *call)
{
  InfClient *endpoint = call->endpoint;
  if (!endpoint->timeouts) {
    endpoint->timeouts = g_source_new(&timeouts_funcs, sizeof(TimeoutSource));
    ((TimeoutSource *)endpoint->timeouts)->client = endpoint;
    g_source_set_name(endpoint->timeouts, "inf-client-timeouts");
    g_source_attach(endpoint->timeouts, NULL);
  }
  call->phase = CALL_CLIENT;
  call->link = (GList){ .data = call };
  gboolean first = endpoint->pending.length == 0;
  g_queue_push_tail_link(&endpoint->pending, &call->link);
  if (first)
    client_rearm_timeouts(endpoint);
  endpoint->call(endpoint, call);
}

static void
call_attempt(InfLlmCall *call)
{
  InfClient *endpoint = call->endpoint;
  if (!call_reserve(call)) {
    /* Reported from the main loop, never from inside the send. */
    call->retry_source = g_idle_source_new();
    g_source_set_callback(call->retry_source, refused_cb, call, NULL);
    g_source_attach(call->retry_source, NULL);
    return;
  }
  endpoint->alias->metrics->requests++;
  call->attempt_start_us = g_get_monotonic_time();
  call->http_status = 0;
  if (endpoint->call) {
    call_start_in_process(call);
    return;
  }
  InfHttpRequest *http = inf_http_request_new();
  GError *error = NULL;
  if (!endpoint->build_request(endpoint, call->request, http, &error)) {
    inf_http_request_free(http);
    if (!error)
      error = g_error_new(INF_ERROR, INF_ERROR_FAILED, "client '%s' could not build the request",
                          endpoint->klass->name);
    /* Not transient: fail without retrying. */
    call->attempt = G_MAXUINT;
    call_finish_attempt(call, NULL, error, -1);
    return;
  }
  if (inf_http_request_get_stream(http) != INF_HTTP_STREAM_NONE) {
    if (!endpoint->parse_stream_event) {
      inf_http_request_free(http);
      call->attempt = G_MAXUINT;
      call_finish_attempt(call, NULL,
                          g_error_new(INF_ERROR, INF_ERROR_PLUGIN,
                                      "client '%s' asked for a streamed reply but implements no "
                                      "parse_stream_event",
                                      endpoint->klass->name),
                          -1);
      return;
    }
    call_start_stream(call, http);
  }
  inf_http_request_set_timeout_ms(http, (gint64)(endpoint->config->timeout * 1000.0));
  inf_http_request_set_max_response_bytes(http, endpoint->config->max_response_bytes);
  if (endpoint->config->ca_file)
    inf_http_request_set_ca_file(http, endpoint->config->ca_file);
  call->http = http;
  inf_http_session_send(call->manager->http, http, http_done, call);
}

void
inf_resource_manager_end_waits(InfResourceManager *manager)
{
  manager->no_waits = TRUE;
  GList *link;
  while ((link = g_queue_pop_head_link(&manager->waiting)) != NULL) {
    InfLlmCall *call = link->data;
    call->waiting = FALSE;
    g_source_destroy(call->retry_source);
    g_clear_pointer(&call->retry_source, g_source_unref);
    call->endpoint->alias->metrics->failures++;
    g_autoptr(GError) error = g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                                          "alias '%s': not retried: the run was interrupted "
                                          "(last: %s)",
                                          call->endpoint->alias->name, call->last_error);
    call->done(NULL, error, call->user_data);
    call_free(call);
  }
}

void
inf_resource_manager_send(InfResourceManager *manager, InfClient *endpoint, InfLlmRequest *request,
                          InfLlmDoneFunc done, gpointer user_data)
{
  inf_resource_manager_send_observed(manager, endpoint, request, done, NULL, user_data, NULL);
}

void
inf_resource_manager_send_observed(InfResourceManager *manager, InfClient *endpoint,
                                   InfLlmRequest *request, InfLlmDoneFunc done,
                                   InfLlmAttemptFunc observe, gpointer user_data,
                                   InfLlmCall **out_call)
{
  InfLlmCall *call = g_new0(InfLlmCall, 1);
  call->manager = manager;
  call->endpoint = endpoint;
  call->request = inf_llm_request_ref(request);
  call->done = done;
  call->observe = observe;
  call->user_data = user_data;
  g_hash_table_add(manager->calls, call);
  call->owner = out_call;
  if (out_call)
    *out_call = call; /* before the attempt: it may end the call at once */
  call_attempt(call);
}

/* --- InfLlmCall (in-process clients) --- */

/* Whether a return (@what) may end @call's attempt. The return a husk was
 * owed is dropped (and the husk retired); any other is a misuse, reported
 * once per endpoint. */
static gboolean
call_accept_return(InfLlmCall *call, const char *what)
{
  InfClient *endpoint = call->endpoint;
  switch ((CallPhase)call->phase) {
  case CALL_ORPHAN:
    if (!call->orphan_reported)
      inf_log_emit(INF_LOG_WARNING, call->orphan_context,
                   "%s after the client was finalized; ignored", what);
    call->orphan_reported = TRUE;
    return FALSE;
  case CALL_CLIENT:
    g_queue_unlink(&endpoint->pending, &call->link);
    call->phase = CALL_ENGINE;
    return TRUE;
  case CALL_HUSK:
    inf_log_client(endpoint, INF_LOG_DEBUG, "%s after the call was given up; dropped", what);
    g_hash_table_remove(call->manager->husks, call);
    call_free(call);
    return FALSE;
  case CALL_ENGINE:
  case CALL_RETIRED:
  default:
    if (!endpoint->misuse_reported) {
      endpoint->misuse_reported = TRUE;
      inf_log_client(endpoint, INF_LOG_WARNING,
                     "%s for a call that was already finished; ignored (a client finishes each "
                     "call exactly once)",
                     what);
    }
    return FALSE;
  }
}

const InfLlmRequest *
inf_llm_call_get_request(const InfLlmCall *call)
{
  g_return_val_if_fail(call != NULL, NULL);
  return call->request;
}

void
inf_llm_call_return(InfLlmCall *call, InfLlmResponse *response)
{
  g_return_if_fail(call != NULL && response != NULL);
  if (!call_accept_return(call, "inf_llm_call_return() was called")) {
    inf_llm_response_free(response);
    return;
  }
  call_finish_attempt(call, response, NULL, -1);
}

void
inf_llm_call_return_error(InfLlmCall *call, GError *error, gint64 retry_after_ms)
{
  g_return_if_fail(call != NULL && error != NULL);
  if (!call_accept_return(call, "inf_llm_call_return_error() was called")) {
    g_error_free(error);
    return;
  }
  call_finish_attempt(call, NULL, error, retry_after_ms);
}

gboolean
inf_llm_call_is_cancelled(const InfLlmCall *call)
{
  g_return_val_if_fail(call != NULL, TRUE);
  return call->phase != CALL_CLIENT;
}

void
inf_llm_call_cancel(InfLlmCall *call, const char *reason)
{
  if (call->phase == CALL_CLIENT)
    call = call_give_up(call);
  g_autoptr(GError) error = g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "alias '%s': cancelled: %s",
                                        call->endpoint->alias->name, reason);
  call_settle(call, NULL, error);
  call->done(NULL, error, call->user_data);
  call_free(call);
}

void
inf_llm_calls_cancel_all(InfResourceManager *manager)
{
  for (;;) {
    GHashTableIter iter;
    gpointer key = NULL;
    g_hash_table_iter_init(&iter, manager->calls);
    if (!g_hash_table_iter_next(&iter, &key, NULL))
      break;
    inf_llm_call_cancel(key, "the run ended");
  }
}

static void
call_orphan_free(gpointer data)
{
  InfLlmCall *call = data;
  g_free(call->orphan_context);
  g_free(call);
}

void
inf_llm_calls_name_husks(InfResourceManager *manager)
{
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init(&iter, manager->husks);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    InfLlmCall *husk = key;
    husk->orphan_context =
        g_strdup_printf("alias '%s' (%s)", husk->endpoint->config->alias, husk->endpoint->origin);
  }
}

void
inf_llm_calls_free_husks(InfResourceManager *manager)
{
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init(&iter, manager->husks);
  while (g_hash_table_iter_next(&iter, &key, NULL)) {
    InfLlmCall *husk = key;
    g_clear_pointer(&husk->request, inf_llm_request_unref);
    husk->endpoint = NULL;
    husk->phase = CALL_ORPHAN;
    if (manager->registry)
      inf_registry_keep(manager->registry, husk, call_orphan_free);
    else
      call_orphan_free(husk);
  }
  g_hash_table_unref(manager->husks);
  InfLlmCall *retired;
  while ((retired = queue_pop(&manager->retired)) != NULL)
    g_free(retired);
}
