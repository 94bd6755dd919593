/* inf-engine SDK — HTTP requests and responses, as HTTP clients see them.
 *
 * HTTP client classes only build requests and parse responses; the engine
 * does the I/O (one libcurl multi handle on the main loop), timeouts, size
 * limits, TLS, retries and rate limiting. Header values marked secret
 * (API keys) never appear in logs, errors, traces or metrics.
 */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

typedef struct _InfHttpRequest InfHttpRequest;
typedef struct _InfHttpResponse InfHttpResponse;

/* The full URL ("http://127.0.0.1:8080/v1/chat/completions"). */
INF_API void inf_http_request_set_url(InfHttpRequest *request, const char *url);
/* Adds a header. */
INF_API void inf_http_request_add_header(InfHttpRequest *request, const char *name,
                                         const char *value);
/* Adds a header whose value is a secret: it is sent, never shown. */
INF_API void inf_http_request_add_secret_header(InfHttpRequest *request, const char *name,
                                                const char *value);
/* The body, sent with POST; takes ownership of @body (g_malloc'ed). */
INF_API void inf_http_request_take_body(InfHttpRequest *request, char *body, gsize length);

INF_API guint inf_http_response_get_status(const InfHttpResponse *response);
/* The body (NUL-terminated for convenience); @length may be NULL. */
INF_API const char *inf_http_response_get_body(const InfHttpResponse *response, gsize *length);
/* The last value of header @name (case-insensitive), or NULL. */
INF_API const char *inf_http_response_get_header(const InfHttpResponse *response,
                                                 const char *name);

G_END_DECLS
