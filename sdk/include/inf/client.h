/* inf-engine SDK — LLM client backends.
 *
 * One InfClient instance exists per endpoint of the resources config. The
 * endpoint's common fields (model, base_url, the API key read from
 * api_key_env, timeout, limits) are the engine's; the class's option table
 * declares its provider options only.
 *
 * A client is either:
 *  - HTTP: implements build_request and parse_response; the engine sends the
 *    request and calls parse_response with every reply, whatever its status.
 *    parse_response returns FALSE with an INF_ERROR code the engine acts on:
 *    RATE_LIMITED (requeued after the server's Retry-After), SERVER, TIMEOUT,
 *    TRANSPORT, BAD_RESPONSE (retried up to max_retries), anything else
 *    (failed with the server's message).
 *  - in process: implements call, and finishes each InfLlmCall later from the
 *    main loop (the mock).
 *
 * An HTTP client may stream (Since: 1.1): its build_request calls
 * inf_http_request_set_stream() and the class implements parse_stream_event.
 */
#pragma once

#include <inf/http.h>
#include <inf/llm.h>
#include <inf/macros.h>
#include <inf/options.h>

G_BEGIN_DECLS

typedef struct _InfClient InfClient;

typedef struct {
  gsize struct_size;
  const char *name; /* the provider name used in resources ("openai") */
  const char *description;
  const InfOptionSpec *options; /* provider options */

  gboolean (*init)(InfClient *self, const InfOptions *options, gpointer *out_private,
                   GError **error);
  void (*finalize)(gpointer private_data);

  /* HTTP clients. */
  gboolean (*build_request)(InfClient *self, const InfLlmRequest *request, InfHttpRequest *http,
                            GError **error);
  gboolean (*parse_response)(InfClient *self, const InfLlmRequest *request,
                             const InfHttpResponse *http, InfLlmResponse *response, GError **error);
  /* In-process clients. */
  void (*call)(InfClient *self, InfLlmCall *call);
  /* Whether the endpoint needs an API key (api_key_env must name a set
   * variable). */
  gboolean requires_api_key;

  /* Streaming HTTP clients (Since: 1.1), for requests whose build_request
   * called inf_http_request_set_stream(): called on the main loop for each
   * event of a 2xx reply as it arrives, to fill @response piece by piece
   * (inf_llm_response_append_content, set_usage, set_finish_reason, ...).
   * @event is the SSE event name, or NULL (NDJSON lines, SSE events without
   * one); @data the event's data (SSE data lines joined by '\n', or the
   * NDJSON line), borrowed. @state is the client's own number for this reply
   * (0 at its first event, kept across its events: flags for what it has
   * seen, such as a final event). Called once more at the end of the body
   * with @event and @data NULL, to check the stream was complete. FALSE with an
   * INF_ERROR (SERVER for an error event in the stream, BAD_RESPONSE for a
   * stream cut short or unreadable) ends the request; the engine acts on it
   * as on parse_response's errors, and counts the usage set so far. */
  gboolean (*parse_stream_event)(InfClient *self, const InfLlmRequest *request, const char *event,
                                 const char *data, InfLlmResponse *response, guint *state,
                                 GError **error);
} InfClientClass;

INF_API gpointer inf_client_get_private(const InfClient *client);
INF_API const InfOptions *inf_client_get_options(const InfClient *client);
/* The endpoint's alias ("fast"). */
INF_API const char *inf_client_get_alias(const InfClient *client);
INF_API const char *inf_client_get_model(const InfClient *client);
/* The base URL without a trailing slash, or NULL when not configured. */
INF_API const char *inf_client_get_base_url(const InfClient *client);
/* The API key, or NULL. Never log it. */
INF_API const char *inf_client_get_api_key(const InfClient *client);

/* For HTTP clients, usually in init: the URL to post to, the endpoint's
 * base_url (or @default_base_url when it sets none) without trailing slashes,
 * joined to @path with one '/'; a query string or fragment of the base URL
 * stays at the end (since 1.1; before, the path came after it). NULL with
 * INF_ERROR_CONFIG, naming the
 * options' JSON path, when the base URL is not http:// or https://. Free
 * with g_free. */
INF_API char *inf_client_build_url(const InfClient *client, const char *default_base_url,
                                   const char *path, GError **error);

G_END_DECLS
