/* The engine's HTTP layer: one libcurl multi handle driven by the GLib main
 * loop (socket and timer callbacks; no polling, no thread per request).
 * Connection reuse, HTTP/2 multiplexing where offered, per-request timeout,
 * TLS verification on (optional CA file), request/response size limits.
 * Secret headers never appear in errors or logs.
 */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef struct _InfHttpSession InfHttpSession;

/* Called once per request on the main loop: with the response (any status)
 * and error NULL, or response NULL and an INF_ERROR error (TIMEOUT,
 * TRANSPORT, BAD_RESPONSE for an over-size reply, CANCELLED). Both are
 * borrowed. */
typedef void (*InfHttpDoneFunc)(InfHttpRequest *request, const InfHttpResponse *response,
                                const GError *error, gpointer user_data);

InfHttpSession *inf_http_session_new(GMainContext *context /* NULL: default */);
/* Cancels what is in flight (callbacks run with INF_ERROR_CANCELLED) and frees. */
void inf_http_session_free(InfHttpSession *session);
/* Requests in flight. */
guint inf_http_session_get_in_flight(const InfHttpSession *session);

InfHttpRequest *inf_http_request_new(void);
void inf_http_request_free(InfHttpRequest *request);
void inf_http_request_set_timeout_ms(InfHttpRequest *request, gint64 timeout_ms);
void inf_http_request_set_ca_file(InfHttpRequest *request, const char *ca_file);
void inf_http_request_set_max_response_bytes(InfHttpRequest *request, gint64 max_bytes);
const char *inf_http_request_get_url(const InfHttpRequest *request);

/* The stream format a client asked for (INF_HTTP_STREAM_NONE by default). */
InfHttpStreamFormat inf_http_request_get_stream(const InfHttpRequest *request);
/* Called with each piece of a 2xx reply's body as it arrives (on the main
 * loop, from inside libcurl: it must not send or free requests); the body is
 * then not kept in the response. FALSE stops the transfer: @done then runs
 * with the response (its body empty) as if it had completed. */
typedef gboolean (*InfHttpBodyFunc)(InfHttpRequest *request, const char *data, gsize length,
                                    gpointer user_data);
void inf_http_request_set_body_func(InfHttpRequest *request, InfHttpBodyFunc func,
                                    gpointer user_data);

/* Starts @request (transfer full: the session frees it after @done ran). */
void inf_http_session_send(InfHttpSession *session, InfHttpRequest *request, InfHttpDoneFunc done,
                           gpointer user_data);
/* Ends @request, sent to @session and not completed yet, without calling its
 * @done: a transfer under way stops and its connection is closed (not
 * reused); @request is freed. Not from a callback of @request itself. */
void inf_http_session_cancel(InfHttpSession *session, InfHttpRequest *request);

/* The server's retry hint in ms from retry-after-ms or Retry-After (seconds
 * or an HTTP date); on a 429 without them, when the exhausted rate limit
 * resets (x-ratelimit-reset-requests/-tokens durations such as "6m0s", or
 * anthropic-ratelimit-*-reset RFC 3339 times); or -1. Not capped here: the
 * resource manager caps it by the endpoint's max_retry_after. */
gint64 inf_http_response_get_retry_after_ms(const InfHttpResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfHttpRequest, inf_http_request_free)

/* --- additions (http engineer) --- */

/* The reply size limit used when a request sets none. */
#define INF_HTTP_DEFAULT_MAX_RESPONSE_BYTES (G_GINT64_CONSTANT(64) * 1024 * 1024)
/* Response headers, all lines together (curl refuses one line over 100 KiB
 * itself): more is a broken server or proxy. */
#define INF_HTTP_MAX_HEADER_BYTES (100 * 1024)

/* The body set with inf_http_request_take_body (or NULL); @length may be NULL. */
const char *inf_http_request_get_body(const InfHttpRequest *request, gsize *length);
/* The value of the last request header @name (case-insensitive), secret ones
 * included: for tests only, never print it. */
const char *inf_http_request_get_header(const InfHttpRequest *request, const char *name);
/* Whether header @name was added with inf_http_request_add_secret_header. */
gboolean inf_http_request_is_header_secret(const InfHttpRequest *request, const char *name);

/* A response built by hand (tests, in-process clients): @length -1 means
 * NUL-terminated. */
InfHttpResponse *inf_http_response_new(guint status, const char *body, gssize length);
void inf_http_response_add_header(InfHttpResponse *response, const char *name, const char *value);
void inf_http_response_free(InfHttpResponse *response);

/* Requests completed (any outcome) and connections opened since the session
 * was created: fewer connections than requests means keep-alive reuse or
 * multiplexing. */
guint64 inf_http_session_get_n_completed(const InfHttpSession *session);
guint64 inf_http_session_get_n_connections(const InfHttpSession *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfHttpResponse, inf_http_response_free)

G_END_DECLS
