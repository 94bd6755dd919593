/* inf-engine SDK — HTTP requests and responses, as HTTP clients see them.
 *
 * HTTP client classes only build requests and parse responses; the engine
 * does the I/O (one libcurl multi handle on the main loop), timeouts, size
 * limits, TLS, retries and rate limiting. Header values marked secret
 * (API keys) never appear in logs, errors, traces or metrics.
 *
 * The InfHttpRequest and InfHttpResponse objects are the engine's: a client
 * gets them as arguments of build_request, parse_response and
 * parse_stream_event, and may use them only during that call.
 *
 * Thread: main loop (inf_error_code_from_http_status() and
 * inf_http_redact_url() are pure functions, callable from any thread)
 */
#pragma once

#include <inf/error.h>
#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfHttpRequest InfHttpRequest;
typedef struct _InfHttpResponse InfHttpResponse;

/* Sets the full URL ("http://127.0.0.1:8080/v1/chat/completions"; see
 * inf_client_build_url()).
 * @url: (transfer none) copied
 * Since: 1.0 */
INF_API void inf_http_request_set_url(InfHttpRequest *request, const char *url);
/* Adds a header. Leading and trailing white space of @value is dropped;
 * an empty value sends the header empty. A name that is not an HTTP token
 * or a value with an inner line break is not sent (a g_warning says so,
 * without the value).
 * @name: (transfer none) the header name, copied
 * @value: (transfer none) the value, copied
 * Since: 1.0 */
INF_API void inf_http_request_add_header(InfHttpRequest *request, const char *name,
                                         const char *value);
/* Adds a header whose value is a secret: it is sent, never shown (logs,
 * errors, traces, --verbose dumps). Otherwise as inf_http_request_add_header().
 * @name: (transfer none) the header name, copied
 * @value: (transfer none) the secret value, copied
 * Since: 1.0 */
INF_API void inf_http_request_add_secret_header(InfHttpRequest *request, const char *name,
                                                const char *value);
/* How a streamed reply body is framed. Since: 1.1 */
typedef enum {
  INF_HTTP_STREAM_NONE,   /* one body, read whole (the default) */
  INF_HTTP_STREAM_SSE,    /* server-sent events: "event:" and "data:" lines, blank-line ended */
  INF_HTTP_STREAM_NDJSON, /* one JSON value per line */
} InfHttpStreamFormat;

/* Asks the engine to hand a 2xx reply to the client's parse_stream_event
 * event by event as it arrives, framed as @format, instead of reading it
 * whole (see InfClientClass.parse_stream_event). Non-2xx replies still go
 * to parse_response whole.
 * Since: 1.1 */
INF_API void inf_http_request_set_stream(InfHttpRequest *request, InfHttpStreamFormat format);

/* Sets the body, sent with POST, replacing an earlier one.
 * @body: (transfer full) (nullable) g_malloc'ed; freed by the request;
 *        NULL: no body
 * @length: the body's length in bytes
 * Since: 1.0 */
INF_API void inf_http_request_take_body(InfHttpRequest *request, char *body, gsize length);

/* The HTTP status (200, 429, ...).
 * Since: 1.0 */
INF_API guint inf_http_response_get_status(const InfHttpResponse *response);
/* The body (NUL-terminated for convenience; it may hold NUL bytes).
 * @length: (out) (nullable) the body's length in bytes
 * Returns: (transfer none) never NULL ("" for an empty body); valid during
 *          the callback
 * Since: 1.0 */
INF_API const char *inf_http_response_get_body(const InfHttpResponse *response, gsize *length);
/* The last value of header @name (case-insensitive).
 * @name: (transfer none) the header name
 * Returns: (transfer none) (nullable) valid during the callback; NULL when
 *          the reply has no such header
 * Since: 1.0 */
INF_API const char *inf_http_response_get_header(const InfHttpResponse *response, const char *name);

/* --- helpers for HTTP clients --- */

/* Sets the body to @body written as compact JSON (slashes not escaped).
 * @body: (transfer none) not consumed: the caller still frees it
 * Since: 1.0 */
INF_API void inf_http_request_set_json_body(InfHttpRequest *request, json_object *body);
/* Makes @request a JSON POST to @url, as most LLM APIs take one: sets the
 * URL, the body (as inf_http_request_set_json_body()), the headers
 * "Content-Type: application/json" and "Accept" (application/json;
 * text/event-stream when @format is INF_HTTP_STREAM_SSE,
 * application/x-ndjson when it is INF_HTTP_STREAM_NDJSON) and the stream
 * format (inf_http_request_set_stream()). Add the API key and other headers
 * after it.
 * @url: (transfer none) copied
 * @body: (transfer none) serialized now; the caller keeps its reference
 * Since: 1.1 */
INF_API void inf_http_request_set_json_post(InfHttpRequest *request, const char *url,
                                            json_object *body, InfHttpStreamFormat format);
/* Adds the secret header "Authorization: Bearer @token"; nothing when @token
 * is NULL or empty.
 * @token: (transfer none) (nullable) the API key
 * Since: 1.0 */
INF_API void inf_http_request_add_bearer_token(InfHttpRequest *request, const char *token);

/* The whole body as JSON, or NULL with INF_ERROR_BAD_RESPONSE saying why:
 * "the body is empty", "it ends early after N bytes (truncated JSON)",
 * "invalid JSON at byte N: ...", "invalid JSON: unexpected data after byte
 * N" (whitespace after the value is allowed), "the body is too large" (over
 * 2 GiB), "the body is JSON null" (json-c has no object for it).
 * Returns: (transfer full) (nullable) a new reference; free with
 *          json_object_put()
 * Since: 1.0 */
INF_API json_object *inf_http_response_parse_json(const InfHttpResponse *response, GError **error);
/* The body made safe to quote in an error message (inf_text_quote: one line,
 * at most @max_bytes of it, @secret replaced by "[redacted]", valid UTF-8),
 * or "(empty body)".
 * @secret: (transfer none) (nullable) the API key, never shown
 * Returns: (transfer full) free with g_free()
 * Since: 1.0 */
INF_API char *inf_http_response_quote_body(const InfHttpResponse *response, gsize max_bytes,
                                           const char *secret);

/* The server's message in an error reply of any common shape, made safe to
 * quote like inf_http_response_quote_body(): {"error": {"message": M}} gives
 * M; {"error": E, "message": M} gives "E: M"; {"error": E} gives E;
 * {"message": M} gives M; {"detail": D} (FastAPI; a string or any JSON) and
 * {"errors": [{"message": M}, ...]} give D and M; any other body (plain text,
 * an HTML page, other JSON) is quoted as it is; an empty one gives "(empty
 * body)".
 * @secret: (transfer none) (nullable) the API key, never shown
 * Returns: (transfer full) free with g_free()
 * Since: 1.1 */
INF_API char *inf_http_response_get_error_message(const InfHttpResponse *response, gsize max_bytes,
                                                  const char *secret);

/* The INF_ERROR code for a failed HTTP status: 429 is RATE_LIMITED (the
 * request is requeued); 408, 409 and 5xx are SERVER (retried); anything
 * else is HTTP_STATUS (not retried).
 * Thread: any thread
 * Since: 1.0 */
INF_API InfErrorCode inf_error_code_from_http_status(guint status);
/* The same for a non-2xx @response, where the server's "x-should-retry:
 * true" or "false" header turns a status other than 429 into SERVER or
 * HTTP_STATUS.
 * Since: 1.0 */
INF_API InfErrorCode inf_http_response_get_error_code(const InfHttpResponse *response);

/* @url without user info, query and fragment, for messages (never shows
 * credentials or query secrets): "https://u:p@host/v1?key=s" gives
 * "https://host/v1".
 * @url: (transfer none) (nullable) NULL gives "(no URL)"
 * Returns: (transfer full) free with g_free()
 * Thread: any thread
 * Since: 1.0 */
INF_API char *inf_http_redact_url(const char *url);

G_END_DECLS
