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
 *    main loop (the mock), exactly once. The endpoint's `timeout` applies:
 *    a call not finished in time is given up (the client's cancel hook
 *    runs) and fails as INF_ERROR_TIMEOUT, retried like an HTTP timeout.
 *
 * Plugins run on the host's main loop: the thread that runs the default
 * main context (g_main_context_default()). Attach sources there (NULL
 * context); call every SDK function and finish every call and task from
 * that thread. A client that works in other threads hands its results back
 * with g_idle_add() or g_main_context_invoke() before finishing.
 *
 * An HTTP client may stream (Since: 1.1): its build_request calls
 * inf_http_request_set_stream() and the class implements parse_stream_event.
 *
 * init and finalize follow the rules every class kind shares ("Lifecycle"
 * in inf/module.h): the options are the provider options of the endpoint's
 * entry, the JSON path is the endpoint's ("resources.endpoints.fast" or
 * "resources.endpoints.fast[1]" for a pool), init errors are prefixed with
 * the file and that path, and finalize runs when the run ends, for every
 * client whose init succeeded (with NULL private data too).
 *
 * Thread: main loop (every function of this header and every callback of
 * the class)
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

  /* In-process clients, optional (Since: 1.1): the engine no longer waits
   * for @call, which the client holds (the endpoint's timeout passed, or the
   * run ended and the client is about to be finalized). Stop the work if you
   * can and drop what you keep for the call; you may still finish it with
   * inf_llm_call_return() or inf_llm_call_return_error() (now, later, or in
   * finalize): that return is dropped without a message. From this call on
   * inf_llm_call_is_cancelled (@call) is TRUE. Without the hook the same
   * holds; the client just is not told. Called on the main loop, never from
   * inside `call`. */
  void (*cancel)(InfClient *self, InfLlmCall *call);
} InfClientClass;

/* The private data the class's init stored (NULL when it stored none).
 * Since: 1.0 */
INF_API gpointer inf_client_get_private(const InfClient *client);
/* The endpoint's validated provider options.
 * Returns: (transfer none) valid as long as @client
 * Since: 1.0 */
INF_API const InfOptions *inf_client_get_options(const InfClient *client);
/* The endpoint's alias ("fast").
 * Returns: (transfer none) valid as long as @client
 * Since: 1.0 */
INF_API const char *inf_client_get_alias(const InfClient *client);
/* The endpoint's model.
 * Returns: (transfer none) (nullable) valid as long as @client; NULL when the
 *          endpoint sets none
 * Since: 1.0 */
INF_API const char *inf_client_get_model(const InfClient *client);
/* The endpoint's base URL without a trailing slash.
 * Returns: (transfer none) (nullable) valid as long as @client; NULL when not
 *          configured
 * Since: 1.0 */
INF_API const char *inf_client_get_base_url(const InfClient *client);
/* The API key read from the endpoint's api_key_env (trimmed). Never log
 * it, never put it in an error message: add it to requests with
 * inf_http_request_add_secret_header() or inf_http_request_add_bearer_token(),
 * and pass it as the secret of inf_text_quote() and friends.
 * Returns: (transfer none) (nullable) valid as long as @client; NULL when the
 *          endpoint has no api_key_env
 * Since: 1.0 */
INF_API const char *inf_client_get_api_key(const InfClient *client);

/* For HTTP clients, usually in init: the URL to post to, the endpoint's
 * base_url (or @default_base_url when it sets none) without trailing slashes,
 * joined to @path with one '/'; a query string or fragment of the base URL
 * stays at the end (since 1.1; before, the path came after it). Fails with
 * INF_ERROR_CONFIG, naming the options' JSON path, when the base URL is not
 * http:// or https:// (or there is none).
 * @default_base_url: (transfer none) (nullable) used when the endpoint sets
 *                    no base_url
 * @path: (transfer none) (nullable) the API path ("/chat/completions");
 *        NULL: ""
 * Returns: (transfer full) (nullable) free with g_free(); NULL with @error set
 * Since: 1.0 */
INF_API char *inf_client_build_url(const InfClient *client, const char *default_base_url,
                                   const char *path, GError **error);

/* For HTTP clients' build_request, when the API needs a model in every
 * request: the endpoint's model, or NULL with INF_ERROR_CONFIG "NAME: alias
 * 'ALIAS' has no model (set "model" in its endpoint)", NAME being the client
 * class's name, when the endpoint sets none (or "").
 * @client: (transfer none) the client
 * Returns: (transfer none) (nullable) valid as long as @client; NULL with
 *          @error set
 * Since: 1.1 */
INF_API const char *inf_client_require_model(const InfClient *client, GError **error);

/* --- helpers for an HTTP client's parse_response and parse_stream_event ---
 *
 * They word a failed reply the way the in-tree clients do: the client class's
 * name first, the @url the request went to without credentials or query
 * (inf_http_redact_url), and every piece of server text quoted on one line
 * with the endpoint's API key replaced by "[redacted]" (inf_text_quote), so
 * a key that a server or proxy echoes never reaches an error. The ones that
 * set @error return FALSE (or NULL), so parse_response can return their
 * result. @client and @url are borrowed; @url may be NULL ("(no URL)").
 *
 *   if (status < 200 || status >= 300)
 *     return inf_client_fail_status(client, url, http,
 *                                   inf_http_response_get_error_code(http), NULL, error);
 *   json_object *root = inf_client_parse_reply(client, url, http, error);
 *   if (root == NULL)
 *     return FALSE;
 *   ...
 *   inf_client_fail_bad_reply(client, url, error, "missing \"choices\"");
 */

/* The most bytes of server text these helpers quote. Since: 1.1 */
#define INF_CLIENT_MAX_QUOTED 300

/* Sets @error for a non-2xx @response, with @code (usually
 * inf_http_response_get_error_code(@response)): "NAME: HTTP STATUS from URL:
 * MESSAGE", MESSAGE being the server's (inf_http_response_get_error_message),
 * followed by " (DETAIL)" when @detail is given. Returns FALSE.
 * @client: (transfer none) the client
 * @url: (transfer none) (nullable) the URL the request went to
 * @response: (transfer none) the reply
 * @detail: (transfer none) (nullable) more server text, such as the error's
 *          type or code; quoted (at most 64 bytes)
 * Since: 1.1 */
INF_API gboolean inf_client_fail_status(const InfClient *client, const char *url,
                                        const InfHttpResponse *response, InfErrorCode code,
                                        const char *detail, GError **error);

/* Sets @error to INF_ERROR_BAD_RESPONSE "NAME: bad reply from URL: WHAT",
 * WHAT formatted from @format and its arguments (quote server text in it
 * with inf_client_quote). Returns FALSE.
 * @client: (transfer none) the client
 * @url: (transfer none) (nullable) the URL the request went to
 * @format: (transfer none) printf-style, what is wrong with the reply
 * Since: 1.1 */
INF_API gboolean inf_client_fail_bad_reply(const InfClient *client, const char *url, GError **error,
                                           const char *format, ...) G_GNUC_PRINTF(4, 5);

/* Sets @error to INF_ERROR_SERVER for an error the server sent inside a
 * streamed reply: "NAME: an error in the stream from URL: MESSAGE", then
 * " (DETAIL)" when @detail is given. Returns FALSE.
 * @client: (transfer none) the client
 * @url: (transfer none) (nullable) the URL the request went to
 * @message: (transfer none) (nullable) the server's message; quoted, "(no
 *           message)" when NULL
 * @detail: (transfer none) (nullable) the error's type or code; quoted (at
 *          most 64 bytes)
 * Since: 1.1 */
INF_API gboolean inf_client_fail_stream_error(const InfClient *client, const char *url,
                                              const char *message, const char *detail,
                                              GError **error);

/* @text, server text, made safe to put in an error message: inf_text_quote()
 * with at most INF_CLIENT_MAX_QUOTED bytes and the endpoint's API key
 * redacted; "(no message)" when @text is NULL.
 * @client: (transfer none) the client
 * @text: (transfer none) (nullable) the text to quote
 * Returns: (transfer full) the quoted text; free with g_free
 * Since: 1.1 */
INF_API char *inf_client_quote(const InfClient *client, const char *text);

/* The whole body of @response as a JSON object, or NULL with a bad-reply
 * error (as inf_client_fail_bad_reply) saying why: the reasons of
 * inf_http_response_parse_json (empty, truncated, invalid at byte N), or
 * "the reply is not a JSON object".
 * @client: (transfer none) the client
 * @url: (transfer none) (nullable) the URL the request went to
 * @response: (transfer none) the reply
 * Returns: (transfer full) (nullable) the object; free with json_object_put
 * Since: 1.1 */
INF_API json_object *inf_client_parse_reply(const InfClient *client, const char *url,
                                            const InfHttpResponse *response, GError **error);

/* The @data of one event of a streamed reply as a JSON object, or NULL with
 * a bad-reply error "a stream WHAT that is not a JSON object: DATA" (@data
 * quoted, at most 80 bytes).
 * @client: (transfer none) the client
 * @url: (transfer none) (nullable) the URL the request went to
 * @data: (transfer none) the event's data, as parse_stream_event got it
 * @what: (transfer none) what one event is called in messages ("chunk",
 *        "event", "line")
 * Returns: (transfer full) (nullable) the object; free with json_object_put
 * Since: 1.1 */
INF_API json_object *inf_client_parse_stream_data(const InfClient *client, const char *url,
                                                  const char *data, const char *what,
                                                  GError **error);

G_END_DECLS
