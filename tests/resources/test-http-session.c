/* The HTTP session (curl multi on the GLib main loop) against the loopback
 * fake LLM server: concurrency, keep-alive, timeouts, dropped connections,
 * size limits, Retry-After, secrets kept out of errors. */
#include <gio/gio.h>
#include <string.h>

#include "inf-test.h"
#include "resources/http.h"

#define SECRET "sk-test-SECRET-never-shown-42"

typedef struct {
  GMainContext *context;
  InfFakeLlm *fake;
  InfHttpSession *session;
  char *url;
} Fixture;

typedef struct {
  guint done;
  guint status;
  char *body;
  char *content_type;
  gint64 retry_after_ms;
  GError *error;
} Result;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  (void)data;
  f->context = g_main_context_ref_thread_default();
  f->fake = inf_test_fake_start();
  f->session = inf_http_session_new(f->context);
  f->url = g_strdup_printf("%s/v1/chat/completions", inf_fake_llm_get_base_url(f->fake));
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  (void)data;
  /* The server first, then the session with its idle connections. */
  inf_fake_llm_free(f->fake);
  inf_http_session_free(f->session);
  /* Let closed sockets' sources go. */
  while (g_main_context_iteration(f->context, FALSE))
    ;
  g_main_context_unref(f->context);
  g_free(f->url);
}

static void
result_clear(Result *r)
{
  g_free(r->body);
  g_free(r->content_type);
  g_clear_error(&r->error);
  memset(r, 0, sizeof *r);
}

static InfHttpRequest *
new_request(const char *url, const char *prompt)
{
  InfHttpRequest *request = inf_http_request_new();
  inf_http_request_set_url(request, url);
  inf_http_request_add_header(request, "Content-Type", "application/json");
  inf_http_request_add_secret_header(request, "Authorization", "Bearer " SECRET);
  g_autofree char *escaped = g_strescape(prompt, NULL);
  char *body = g_strdup_printf(
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", escaped);
  inf_http_request_take_body(request, body, strlen(body));
  inf_http_request_set_timeout_ms(request, 30000);
  return request;
}

static void
on_done(InfHttpRequest *request, const InfHttpResponse *response, const GError *error,
        gpointer user_data)
{
  Result *r = user_data;
  g_assert_nonnull(request);
  g_assert_true((response == NULL) != (error == NULL));
  r->done++;
  if (response != NULL) {
    gsize length;
    const char *body = inf_http_response_get_body(response, &length);
    g_assert_cmpuint(strlen(body), ==, length);
    r->status = inf_http_response_get_status(response);
    r->body = g_strdup(body);
    r->content_type = g_strdup(inf_http_response_get_header(response, "CONTENT-type"));
    r->retry_after_ms = inf_http_response_get_retry_after_ms(response);
  } else {
    r->error = g_error_copy(error);
  }
}

static gboolean
on_watchdog(gpointer data)
{
  (void)data;
  g_error("test timed out waiting for HTTP completions");
  return G_SOURCE_REMOVE;
}

/* Iterates @context until *counter reaches @target. */
static void
run_until(GMainContext *context, guint *counter, guint target)
{
  GSource *watchdog = g_timeout_source_new_seconds(120);
  g_source_set_callback(watchdog, on_watchdog, NULL, NULL);
  g_source_attach(watchdog, context);
  while (*counter < target)
    g_main_context_iteration(context, TRUE);
  g_source_destroy(watchdog);
  g_source_unref(watchdog);
}

static void
send_one(Fixture *f, InfHttpRequest *request, Result *r)
{
  inf_http_session_send(f->session, request, on_done, r);
  g_assert_cmpuint(inf_http_session_get_in_flight(f->session), ==, 1);
  run_until(f->context, &r->done, 1);
  g_assert_cmpuint(r->done, ==, 1);
  g_assert_cmpuint(inf_http_session_get_in_flight(f->session), ==, 0);
}

static void
assert_no_secret(const GError *error)
{
  g_assert_nonnull(error);
  g_assert_null(strstr(error->message, SECRET));
  g_assert_null(strstr(error->message, "Bearer"));
}

static void
test_post(Fixture *f, gconstpointer data)
{
  (void)data;
  Result r = { 0 };
  send_one(f, new_request(f->url, "Hello, fake"), &r);
  g_assert_no_error(r.error);
  g_assert_cmpuint(r.status, ==, 200);
  g_assert_cmpstr(r.content_type, ==, "application/json");
  g_assert_nonnull(strstr(r.body, "\"content\":\"echo: Hello, fake\""));
  g_assert_cmpint(r.retry_after_ms, ==, -1);
  /* The fake saw the body, the content type and the secret header. */
  g_assert_cmpstr(inf_fake_llm_get_last_header(f->fake, "Content-Type"), ==, "application/json");
  g_assert_cmpuint(inf_fake_llm_count_api_key(f->fake, SECRET), ==, 1);
  g_assert_null(inf_fake_llm_get_last_header(f->fake, "Expect"));
  g_assert_cmpuint(inf_http_session_get_n_completed(f->session), ==, 1);
  result_clear(&r);

  /* An error status is a response, not an error. */
  g_assert_true(inf_fake_llm_push_script(f->fake, "503", NULL));
  send_one(f, new_request(f->url, "again"), &r);
  g_assert_no_error(r.error);
  g_assert_cmpuint(r.status, ==, 503);
  g_assert_nonnull(strstr(r.body, "scripted status 503"));
  result_clear(&r);
}

static void
test_concurrent(Fixture *f, gconstpointer data)
{
  (void)data;
  enum {
    N = 50
  };
  /* Every reply waits, so all N must be in flight at the server at once. */
  g_assert_true(inf_fake_llm_set_default_text(f->fake, "delay=1500", NULL));
  Result results[N] = { 0 };
  guint done = 0;
  for (guint i = 0; i < N; i++) {
    g_autofree char *prompt = g_strdup_printf("request %u", i);
    inf_http_session_send(f->session, new_request(f->url, prompt), on_done, &results[i]);
  }
  g_assert_cmpuint(inf_http_session_get_in_flight(f->session), ==, N);
  while (done < N) {
    g_main_context_iteration(f->context, TRUE);
    done = 0;
    for (guint i = 0; i < N; i++)
      done += results[i].done;
  }
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->fake, &stats);
  g_assert_cmpuint(stats.requests, ==, N);
  g_assert_cmpuint(stats.max_concurrent, ==, N);
  for (guint i = 0; i < N; i++) {
    g_assert_no_error(results[i].error);
    g_assert_cmpuint(results[i].status, ==, 200);
    g_autofree char *expected = g_strdup_printf("echo: request %u\"", i);
    g_assert_nonnull(strstr(results[i].body, expected));
    result_clear(&results[i]);
  }
  g_assert_cmpuint(inf_http_session_get_in_flight(f->session), ==, 0);
}

static void
test_keep_alive(Fixture *f, gconstpointer data)
{
  (void)data;
  /* One after the other: one connection for all. */
  for (guint i = 0; i < 20; i++) {
    Result r = { 0 };
    send_one(f, new_request(f->url, "sequential"), &r);
    g_assert_cmpuint(r.status, ==, 200);
    result_clear(&r);
  }
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->fake, &stats);
  g_assert_cmpuint(stats.requests, ==, 20);
  g_assert_cmpuint(stats.connections, ==, 1);
  g_assert_cmpuint(inf_http_session_get_n_connections(f->session), ==, 1);

  /* Rounds of 8 concurrent requests reuse the 8 connections of the first. */
  for (guint round = 0; round < 5; round++) {
    Result results[8] = { 0 };
    guint done = 0;
    for (guint i = 0; i < 8; i++)
      inf_http_session_send(f->session, new_request(f->url, "batch"), on_done, &results[i]);
    while (done < 8) {
      g_main_context_iteration(f->context, TRUE);
      done = 0;
      for (guint i = 0; i < 8; i++)
        done += results[i].done;
    }
    for (guint i = 0; i < 8; i++) {
      g_assert_cmpuint(results[i].status, ==, 200);
      result_clear(&results[i]);
    }
  }
  inf_fake_llm_get_stats(f->fake, &stats);
  g_assert_cmpuint(stats.requests, ==, 60);
  g_assert_cmpuint(stats.connections, <=, 8);
  g_assert_cmpuint(inf_http_session_get_n_connections(f->session), ==, stats.connections);
}

static void
test_timeout(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_true(inf_fake_llm_push_script(f->fake, "delay=3000", NULL));
  InfHttpRequest *request = new_request(f->url, "slow");
  inf_http_request_set_timeout_ms(request, 200);
  Result r = { 0 };
  send_one(f, request, &r);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_TIMEOUT);
  g_assert_nonnull(strstr(r.error->message, f->url));
  assert_no_secret(r.error);
  result_clear(&r);
}

static void
test_dropped(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_true(inf_fake_llm_push_script(f->fake, "drop; delay=100 drop", NULL));
  for (guint i = 0; i < 2; i++) {
    Result r = { 0 };
    send_one(f, new_request(f->url, "dropped"), &r);
    g_assert_error(r.error, INF_ERROR, INF_ERROR_TRANSPORT);
    g_assert_nonnull(strstr(r.error->message, f->url));
    assert_no_secret(r.error);
    result_clear(&r);
  }
  /* The trigger in a prompt does the same. */
  Result r = { 0 };
  send_one(f, new_request(f->url, "please [[fake:drop]]"), &r);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_TRANSPORT);
  result_clear(&r);
  /* And the next request works (a fresh connection). */
  send_one(f, new_request(f->url, "after"), &r);
  g_assert_cmpuint(r.status, ==, 200);
  result_clear(&r);
}

static void
test_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  /* A port nobody listens on: bind one, note it, close it. */
  g_autoptr(GSocket) socket =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
  g_assert_true(g_socket_bind(socket, any, TRUE, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, NULL);
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(socket, NULL);

  /* Credentials and query secrets in the URL never show either. */
  g_autofree char *url =
      g_strdup_printf("http://user:pa55word@127.0.0.1:%u/v1/chat/completions?key=qsecret", port);
  Result r = { 0 };
  send_one(f, new_request(url, "nobody"), &r);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_TRANSPORT);
  assert_no_secret(r.error);
  g_assert_null(strstr(r.error->message, "pa55word"));
  g_assert_null(strstr(r.error->message, "qsecret"));
  g_autofree char *shown = g_strdup_printf("POST http://127.0.0.1:%u/v1/chat/completions", port);
  g_assert_nonnull(strstr(r.error->message, shown));
  result_clear(&r);
}

static void
test_over_size(Fixture *f, gconstpointer data)
{
  (void)data;
  /* With Content-Length (refused up front) and chunked (cut while reading). */
  const char *scripts[] = { "big=100000", "big=100000 chunked" };
  for (guint i = 0; i < G_N_ELEMENTS(scripts); i++) {
    g_assert_true(inf_fake_llm_push_script(f->fake, scripts[i], NULL));
    InfHttpRequest *request = new_request(f->url, "big");
    inf_http_request_set_max_response_bytes(request, 4096);
    Result r = { 0 };
    send_one(f, request, &r);
    g_assert_error(r.error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
    g_autofree char *expected = g_strdup_printf("response from %s exceeds 4096 bytes", f->url);
    g_assert_cmpstr(r.error->message, ==, expected);
    result_clear(&r);
  }
  /* Under the limit: fine, chunked too. */
  g_assert_true(inf_fake_llm_push_script(f->fake, "big=1000 chunked", NULL));
  InfHttpRequest *request = new_request(f->url, "small");
  inf_http_request_set_max_response_bytes(request, 4096);
  Result r = { 0 };
  send_one(f, request, &r);
  g_assert_no_error(r.error);
  g_assert_cmpuint(r.status, ==, 200);
  result_clear(&r);
}

static void
test_retry_after(Fixture *f, gconstpointer data)
{
  (void)data;
  Result r = { 0 };
  g_assert_true(
      inf_fake_llm_push_script(f->fake,
                               "429 retry-after=3; 429 retry-after-ms=1500 retry-after=9; 429; "
                               "429 retry-after=date+20; 503 retry-after=2",
                               NULL));
  send_one(f, new_request(f->url, "a"), &r);
  g_assert_cmpuint(r.status, ==, 429);
  g_assert_cmpint(r.retry_after_ms, ==, 3000);
  result_clear(&r);
  send_one(f, new_request(f->url, "b"), &r);
  g_assert_cmpint(r.retry_after_ms, ==, 1500);
  result_clear(&r);
  send_one(f, new_request(f->url, "c"), &r);
  g_assert_cmpuint(r.status, ==, 429);
  g_assert_cmpint(r.retry_after_ms, ==, -1);
  result_clear(&r);
  send_one(f, new_request(f->url, "d"), &r);
  /* An HTTP date 20 s ahead, at one-second resolution. */
  g_assert_cmpint(r.retry_after_ms, >, 15000);
  g_assert_cmpint(r.retry_after_ms, <=, 20000);
  result_clear(&r);
  send_one(f, new_request(f->url, "e"), &r);
  g_assert_cmpuint(r.status, ==, 503);
  g_assert_cmpint(r.retry_after_ms, ==, 2000);
  result_clear(&r);

  /* The server's own rate limiter. */
  inf_fake_llm_set_rate_limit(f->fake, 1, 1);
  send_one(f, new_request(f->url, "first"), &r);
  g_assert_cmpuint(r.status, ==, 200);
  result_clear(&r);
  send_one(f, new_request(f->url, "second"), &r);
  g_assert_cmpuint(r.status, ==, 429);
  g_assert_cmpint(r.retry_after_ms, >, 0);
  g_assert_cmpint(r.retry_after_ms, <=, 1000);
  result_clear(&r);
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->fake, &stats);
  g_assert_cmpuint(stats.rejected, ==, 1);
}

static void
test_retry_after_parse(void)
{
  struct {
    const char *name, *value;
    gint64 expected;
  } cases[] = {
    { "Retry-After", "2", 2000 },
    { "retry-after", " 7 ", 7000 },
    { "RETRY-AFTER", "1.5", 1500 },
    { "Retry-After", "0", 0 },
    { "Retry-After", "soon", -1 },
    { "Retry-After", "-3", -1 },
    { "retry-after-ms", "250", 250 },
    { "retry-after-ms", "12.2", 13 },
    { "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", 0 },
    { "X-Other", "5", -1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(InfHttpResponse) response = inf_http_response_new(429, "{}", -1);
    inf_http_response_add_header(response, cases[i].name, cases[i].value);
    g_assert_cmpint(inf_http_response_get_retry_after_ms(response), ==, cases[i].expected);
  }
  /* retry-after-ms wins over Retry-After; a future date counts down. */
  g_autoptr(InfHttpResponse) response = inf_http_response_new(429, NULL, 0);
  inf_http_response_add_header(response, "Retry-After", "30");
  inf_http_response_add_header(response, "retry-after-ms", "100");
  g_assert_cmpint(inf_http_response_get_retry_after_ms(response), ==, 100);

  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) later = g_date_time_add_seconds(now, 60);
  g_autofree char *date = g_date_time_format(later, "%a, %d %b %Y %H:%M:%S GMT");
  g_autoptr(InfHttpResponse) dated = inf_http_response_new(503, NULL, 0);
  inf_http_response_add_header(dated, "Retry-After", date);
  g_assert_cmpint(inf_http_response_get_retry_after_ms(dated), >, 55000);
  g_assert_cmpint(inf_http_response_get_retry_after_ms(dated), <=, 60000);
}

static void
test_headers(void)
{
  g_autoptr(InfHttpResponse) response = inf_http_response_new(200, "body", -1);
  inf_http_response_add_header(response, "X-Thing", "one");
  inf_http_response_add_header(response, "x-thing", "two");
  inf_http_response_add_header(response, "Other", "");
  g_assert_cmpstr(inf_http_response_get_header(response, "X-THING"), ==, "two");
  g_assert_cmpstr(inf_http_response_get_header(response, "other"), ==, "");
  g_assert_null(inf_http_response_get_header(response, "missing"));
  gsize length;
  g_assert_cmpstr(inf_http_response_get_body(response, &length), ==, "body");
  g_assert_cmpuint(length, ==, 4);

  g_autoptr(InfHttpRequest) request = inf_http_request_new();
  inf_http_request_add_header(request, "Content-Type", "application/json");
  inf_http_request_add_secret_header(request, "x-api-key", "  key-with-spaces\n");
  inf_http_request_add_header(request, "X-Empty", "");
  g_assert_cmpstr(inf_http_request_get_header(request, "content-type"), ==, "application/json");
  g_assert_cmpstr(inf_http_request_get_header(request, "X-API-KEY"), ==, "key-with-spaces");
  g_assert_cmpstr(inf_http_request_get_header(request, "x-empty"), ==, "");
  g_assert_true(inf_http_request_is_header_secret(request, "X-Api-Key"));
  g_assert_false(inf_http_request_is_header_secret(request, "content-type"));
  g_assert_null(inf_http_request_get_header(request, "missing"));

  /* A value with a line break would inject headers: refused, not shown. */
  if (g_test_subprocess()) {
    inf_http_request_add_secret_header(request, "Authorization", "Bearer a\r\nX-Evil: 1");
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_stderr("*Authorization*line break*");
  g_test_trap_assert_stderr_unmatched("*X-Evil*");
}

static void
test_redact(void)
{
  struct {
    const char *in, *out;
  } cases[] = {
    { "https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/chat/completions" },
    { "https://u:p@host:8443/a/b?key=s#frag", "https://host:8443/a/b" },
    { "http://host?x=1", "http://host" },
    { "http://a@b@host/p", "http://host/p" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *out = inf_http_redact_url(cases[i].in);
    g_assert_cmpstr(out, ==, cases[i].out);
  }
}

typedef struct {
  Fixture *f;
  guint done;
  guint cancelled;
  guint chained;
} ChainState;

static void
on_chain_done(InfHttpRequest *request, const InfHttpResponse *response, const GError *error,
              gpointer user_data)
{
  (void)request;
  ChainState *state = user_data;
  state->done++;
  if (g_error_matches(error, INF_ERROR, INF_ERROR_CANCELLED)) {
    state->cancelled++;
    return;
  }
  g_assert_nonnull(response);
  /* Sending from a completion callback is allowed. */
  if (state->chained < 5) {
    state->chained++;
    inf_http_session_send(state->f->session, new_request(state->f->url, "chained"), on_chain_done,
                          state);
  }
}

static void
test_chain_and_cancel(Fixture *f, gconstpointer data)
{
  (void)data;
  ChainState state = { .f = f };
  inf_http_session_send(f->session, new_request(f->url, "start"), on_chain_done, &state);
  run_until(f->context, &state.done, 6);
  g_assert_cmpuint(state.done, ==, 6);
  g_assert_cmpuint(state.cancelled, ==, 0);

  /* Freeing the session cancels what is in flight. */
  g_assert_true(inf_fake_llm_set_default_text(f->fake, "delay=5000", NULL));
  ChainState slow = { .f = f, .chained = 5 };
  for (guint i = 0; i < 3; i++)
    inf_http_session_send(f->session, new_request(f->url, "slow"), on_chain_done, &slow);
  /* Let them reach the server. */
  InfFakeStats stats;
  do {
    g_main_context_iteration(f->context, TRUE);
    inf_fake_llm_get_stats(f->fake, &stats);
  } while (stats.in_flight < 3);
  /* A request without URL fails from the loop, later. */
  InfHttpRequest *bad = inf_http_request_new();
  Result r = { 0 };
  inf_http_session_send(f->session, bad, on_done, &r);
  g_assert_cmpuint(r.done, ==, 0);
  inf_http_session_free(f->session);
  f->session = inf_http_session_new(f->context);
  g_assert_cmpuint(slow.cancelled, ==, 3);
  g_assert_cmpuint(r.done, ==, 1);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  result_clear(&r);

  bad = inf_http_request_new();
  inf_http_session_send(f->session, bad, on_done, &r);
  run_until(f->context, &r.done, 1);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  result_clear(&r);
}

typedef struct {
  InfHttpSession *session;
  guint done;
} FreeInCallback;

static void
on_done_free(InfHttpRequest *request, const InfHttpResponse *response, const GError *error,
             gpointer user_data)
{
  (void)request;
  (void)response;
  FreeInCallback *state = user_data;
  state->done++;
  if (error == NULL)
    inf_http_session_free(state->session); /* the other request gets CANCELLED */
  else
    g_assert_error((GError *)error, INF_ERROR, INF_ERROR_CANCELLED);
}

static void
test_free_in_callback(Fixture *f, gconstpointer data)
{
  (void)data;
  g_assert_true(inf_fake_llm_push_script(f->fake, "ok; delay=5000", NULL));
  FreeInCallback state = { .session = f->session };
  inf_http_session_send(f->session, new_request(f->url, "fast"), on_done_free, &state);
  inf_http_session_send(f->session, new_request(f->url, "slow"), on_done_free, &state);
  run_until(f->context, &state.done, 2);
  g_assert_cmpuint(state.done, ==, 2);
  f->session = inf_http_session_new(f->context);
}

/* A server that answers anything with a line of plain text and hangs up. */
static gboolean
on_incoming_garbage(GSocketService *service, GSocketConnection *connection, GObject *source,
                    gpointer user_data)
{
  (void)service;
  (void)source;
  (void)user_data;
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
  g_output_stream_write_all(out, "HTTP/1.0 400 not TLS\r\n\r\n", 25, NULL, NULL, NULL);
  g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
  return TRUE;
}

static void
test_bad_url(Fixture *f, gconstpointer data)
{
  (void)data;
  Result r = { 0 };
  send_one(f, new_request("ftp://127.0.0.1/x", "ftp"), &r);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_CONFIG);
  result_clear(&r);

  /* https to a server that does not speak TLS: the handshake fails. */
  g_autoptr(GSocketService) service = g_socket_service_new();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_assert_true(g_socket_listener_add_address(G_SOCKET_LISTENER(service), any, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  g_signal_connect(service, "incoming", G_CALLBACK(on_incoming_garbage), NULL);
  g_socket_service_start(service);
  g_autofree char *https =
      g_strdup_printf("https://127.0.0.1:%u/v1/chat/completions",
                      g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
  send_one(f, new_request(https, "tls"), &r);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_TRANSPORT);
  assert_no_secret(r.error);
  result_clear(&r);
  InfHttpRequest *request = new_request(https, "tls");
  inf_http_request_set_ca_file(request, "/nonexistent/ca.pem");
  send_one(f, request, &r);
  g_assert_nonnull(r.error);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_nonnull(strstr(r.error->message, "/nonexistent/ca.pem"));
  result_clear(&r);
  g_socket_service_stop(service);
  g_socket_listener_close(G_SOCKET_LISTENER(service));
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "post", test_post },
  { "concurrent", test_concurrent },
  { "keep-alive", test_keep_alive },
  { "timeout", test_timeout },
  { "dropped", test_dropped },
  { "refused", test_refused },
  { "over-size", test_over_size },
  { "retry-after", test_retry_after },
  { "chain-and-cancel", test_chain_and_cancel },
  { "free-in-callback", test_free_in_callback },
  { "bad-url", test_bad_url },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/http/session/", Fixture, fixture_set_up, cases, fixture_tear_down);
  g_test_add_func("/http/response/retry-after-parse", test_retry_after_parse);
  g_test_add_func("/http/response/headers", test_headers);
  g_test_add_func("/http/request/redact-url", test_redact);
  return g_test_run();
}
