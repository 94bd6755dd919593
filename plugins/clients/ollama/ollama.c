/* The ollama client: Ollama's native chat API.
 *
 *   POST {base_url}/api/chat              base_url default http://localhost:11434
 *
 * One reply per request ("stream": false). JSON mode sends "format": "json",
 * a request with a JSON schema sends the schema as "format";
 * temperature and max tokens go under options (temperature, num_predict),
 * with num_ctx and any other option from the provider options. No API key is
 * needed; when the endpoint has one (a proxy in front of Ollama), it is sent
 * as a secret Authorization: Bearer header.
 *
 * Replies: message.content, message.thinking as reasoning (kept apart),
 * usage (prompt_eval_count, eval_count; read first, so counted even when the
 * rest fails), done_reason (stop, length, or Ollama's own word such as load
 * or unload), model. Errors ({"error": "..."}, or any common shape): 429 is
 * rate limiting, 503 (queue full), 408, 409 and other 5xx are transient,
 * other statuses (404: model not pulled) fail with the server's message; a
 * 2xx reply without message.content is a bad response.
 *
 * Option stream (default false): "stream": true; the NDJSON lines
 * (message.content and message.thinking pieces, the last line with done,
 * done_reason and the counts) are read as they arrive into the same response
 * as without streaming. An {"error"} line fails the attempt as a transient
 * server error; a stream that ends before its done line is a bad response
 * (retried).
 */
#include <inf/inf.h>

#include <string.h>

#include "http-client.h"

#define DEFAULT_PATH "/api/chat"
#define DEFAULT_BASE_URL "http://localhost:11434"

typedef struct {
  char *url;
  char *keep_alive;
  gint64 num_ctx;
  json_object *extra_options;
  gboolean stream;
} Ollama;

/* --- the class ---------------------------------------------------------- */

static const InfOptionSpec ollama_options[] = {
  { .name = "keep_alive",
    .type = INF_OPTION_STRING,
    .description =
        "How long the server keeps the model loaded after a request (\"5m\", \"1h\", \"-1\")" },
  { .name = "num_ctx",
    .type = INF_OPTION_INT,
    .default_json = "0",
    .description = "Context window size (0: the model's default)",
    .max = 10000000 },
  { .name = "options",
    .type = INF_OPTION_JSON,
    .description =
        "More model options merged into \"options\" (e.g. {\"top_k\": 20, \"seed\": 1})" },
  HTTP_CLIENT_OPTION_PATH(DEFAULT_PATH),
  HTTP_CLIENT_OPTION_STREAM("NDJSON"),
  { .name = NULL },
};

static void
ollama_finalize(gpointer data)
{
  Ollama *self = data;
  if (self == NULL)
    return;
  g_free(self->url);
  g_free(self->keep_alive);
  json_object_put(self->extra_options);
  g_free(self);
}

static gboolean
ollama_init(InfClient *client, const InfOptions *options, gpointer *out_private, GError **error)
{
  json_object *extra;
  char *url;
  if (!http_client_read_options(client, options, "options", DEFAULT_BASE_URL, DEFAULT_PATH, &extra,
                                &url, error))
    return FALSE;
  Ollama *self = g_new0(Ollama, 1);
  self->url = url;
  self->keep_alive = g_strdup(inf_options_get_string(options, "keep_alive"));
  self->num_ctx = inf_options_get_int(options, "num_ctx");
  self->extra_options = extra;
  self->stream = inf_options_get_bool(options, "stream");
  *out_private = self;
  return TRUE;
}

static gboolean
ollama_build_request(InfClient *client, const InfLlmRequest *request, InfHttpRequest *http,
                     GError **error)
{
  Ollama *self = inf_client_get_private(client);
  const char *model = inf_client_require_model(client, error);
  if (model == NULL)
    return FALSE;
  json_object *body = json_object_new_object();
  json_object_object_add(body, "model", json_object_new_string(model));
  json_object_object_add(body, "messages", inf_llm_request_build_messages(request, "system"));
  json_object_object_add(body, "stream", json_object_new_boolean(self->stream));
  json_object *schema = inf_llm_request_get_json_schema(request);
  if (schema != NULL)
    json_object_object_add(body, "format", json_object_get(schema)); /* structured outputs */
  else if (inf_llm_request_get_json_mode(request))
    json_object_object_add(body, "format", json_object_new_string("json"));

  json_object *options = json_object_new_object();
  double temperature = inf_llm_request_get_temperature(request);
  if (temperature >= 0)
    json_object_object_add(options, "temperature", json_object_new_double(temperature));
  gint64 max_tokens = inf_llm_request_get_max_tokens(request);
  if (max_tokens > 0)
    json_object_object_add(options, "num_predict", json_object_new_int64(max_tokens));
  if (self->num_ctx > 0)
    json_object_object_add(options, "num_ctx", json_object_new_int64(self->num_ctx));
  inf_json_merge_members(options, self->extra_options);
  if (json_object_object_length(options) > 0)
    json_object_object_add(body, "options", options);
  else
    json_object_put(options);
  if (self->keep_alive != NULL)
    json_object_object_add(body, "keep_alive", json_object_new_string(self->keep_alive));

  inf_http_request_set_json_post(http, self->url, body,
                                 self->stream ? INF_HTTP_STREAM_NDJSON : INF_HTTP_STREAM_NONE);
  json_object_put(body);
  inf_http_request_add_bearer_token(http, inf_client_get_api_key(client));
  return TRUE;
}

static gboolean
ollama_parse_response(InfClient *client, const InfLlmRequest *request, const InfHttpResponse *http,
                      InfLlmResponse *response, GError **error)
{
  (void)request;
  Ollama *self = inf_client_get_private(client);
  guint status = inf_http_response_get_status(http);
  /* Ollama sends no x-should-retry: the status alone decides. */
  if (status < 200 || status >= 300)
    return inf_client_fail_status(client, self->url, http, inf_error_code_from_http_status(status),
                                  NULL, error);

  json_object *root = inf_client_parse_reply(client, self->url, http, error);
  if (root == NULL)
    return FALSE;
  gboolean ok = FALSE;
  json_object *message = inf_json_get_member(root, "message", json_type_object);
  json_object *content = inf_json_get_member(message, "content", json_type_string);
  const char *server_error = inf_json_get_string(root, "error");
  inf_llm_response_set_usage(response, inf_json_get_count(root, "prompt_eval_count"),
                             inf_json_get_count(root, "eval_count"));
  const char *thinking = inf_json_get_string(message, "thinking");
  if (thinking != NULL && *thinking != '\0')
    inf_llm_response_append_reasoning(response, thinking, -1);
  if (server_error != NULL) {
    g_autofree char *quoted = inf_client_quote(client, server_error);
    inf_client_fail_bad_reply(client, self->url, error, "an error under HTTP %u: %s", status,
                              quoted);
  } else if (message == NULL) {
    inf_client_fail_bad_reply(client, self->url, error, "missing \"message\"");
  } else if (content == NULL) {
    inf_client_fail_bad_reply(client, self->url, error, "missing \"message.content\"");
  } else {
    /* with its length: a "\u0000" inside is kept (as U+FFFD) */
    inf_llm_response_append_content(response, json_object_get_string(content),
                                    json_object_get_string_len(content));
    const char *reason = inf_json_get_string(root, "done_reason");
    if (reason != NULL)
      inf_llm_response_set_finish_reason(response, reason); /* stop, length, or Ollama's word */
    const char *model = inf_json_get_string(root, "model");
    inf_llm_response_set_model(response, model != NULL ? model : inf_client_get_model(client));
    ok = TRUE;
  }
  json_object_put(root);
  return ok;
}

#define STREAM_DONE 1u /* the line with "done": true came */

/* One NDJSON line of a streamed reply; @data NULL: the end of the stream. */
static gboolean
ollama_parse_stream_event(InfClient *client, const InfLlmRequest *request, const char *event,
                          const char *data, InfLlmResponse *response, guint *state, GError **error)
{
  (void)request;
  (void)event;
  Ollama *self = inf_client_get_private(client);
  if (data == NULL) {
    if (!(*state & STREAM_DONE))
      return inf_client_fail_bad_reply(client, self->url, error,
                                       "the stream ended before its \"done\" line (cut short)");
    if (inf_llm_response_get_model(response) == NULL)
      inf_llm_response_set_model(response, inf_client_get_model(client));
    return TRUE;
  }
  json_object *line = inf_client_parse_stream_data(client, self->url, data, "line", error);
  if (line == NULL)
    return FALSE;
  const char *server_error = inf_json_get_string(line, "error");
  if (server_error != NULL) {
    inf_client_fail_stream_error(client, self->url, server_error, NULL, error);
    json_object_put(line);
    return FALSE;
  }
  json_object *message = inf_json_get_member(line, "message", json_type_object);
  const char *content = inf_json_get_string(message, "content");
  const char *thinking = inf_json_get_string(message, "thinking");
  if (content != NULL)
    inf_llm_response_append_content(response, content, -1);
  if (thinking != NULL && *thinking != '\0')
    inf_llm_response_append_reasoning(response, thinking, -1);
  json_object *done = inf_json_get_member(line, "done", json_type_boolean);
  if (done != NULL && json_object_get_boolean(done)) {
    *state |= STREAM_DONE;
    inf_llm_response_set_usage(response, inf_json_get_count(line, "prompt_eval_count"),
                               inf_json_get_count(line, "eval_count"));
    const char *reason = inf_json_get_string(line, "done_reason");
    inf_llm_response_set_finish_reason(response, reason != NULL ? reason : INF_FINISH_STOP);
    const char *model = inf_json_get_string(line, "model");
    if (model != NULL)
      inf_llm_response_set_model(response, model);
  }
  json_object_put(line);
  return TRUE;
}

static const InfClientClass ollama_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "ollama",
  .description = "Ollama's native chat API (/api/chat)",
  .options = ollama_options,
  .init = ollama_init,
  .finalize = ollama_finalize,
  .build_request = ollama_build_request,
  .parse_response = ollama_parse_response,
  .requires_api_key = FALSE,
  .parse_stream_event = ollama_parse_stream_event,
};

static gboolean
ollama_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &ollama_class, error);
}

INF_PLUGIN_DEFINE("ollama", INF_VERSION_STRING, "Ollama chat API client", "MIT", ollama_register)
