/* The openai client: OpenAI chat completions, and any OpenAI-compatible
 * server (vLLM, TGI, llama.cpp, LM Studio, Ollama's /v1) through base_url.
 *
 *   POST {base_url}/chat/completions      base_url default https://api.openai.com/v1
 *   Authorization: Bearer KEY             only when the endpoint has an API key
 *
 * The API key is optional here because local compatible servers need none;
 * for api.openai.com set api_key_env (the server answers 401 otherwise). The
 * key travels only as a secret header and is scrubbed from server messages.
 *
 * JSON mode sends response_format {"type": "json_object"}; the API rejects it
 * unless the word "json" appears in the messages, so when none of them has
 * it an instruction (option json_instruction) is added to the system message.
 *
 * Replies: choices[0].message.content, usage (prompt/completion tokens,
 * completion_tokens_details.reasoning_tokens), finish_reason (stop, length,
 * content_filter, tool_calls; function_call is tool_calls; a
 * message.refusal makes it refusal), reasoning text (message.reasoning_content
 * or message.reasoning, as vLLM and llama.cpp send it) kept apart from the
 * content, model. A null content is an empty reply when the finish reason,
 * a refusal, tool calls or reasoning explain it. Usage is read first, so it
 * is counted even when the rest of the reply is unusable. Errors: 429 is
 * rate limiting (retry-after-ms / Retry-After honoured by the engine) except
 * insufficient_quota (no money left: not retryable); 408, 409 and 5xx are
 * transient; other statuses fail with the server's message (error bodies of
 * any common shape); a 2xx reply that is not the expected JSON is a bad
 * response naming what is missing. `x-should-retry: true|false` overrides
 * the transient/permanent choice.
 *
 * Structured outputs: a request with a JSON schema sends response_format
 * {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}
 * (strict from the option json_schema_strict); JSON mode without a schema
 * sends {"type": "json_object"}. A 400 naming response_format or json_schema
 * for a schema request says the server does not take the schema.
 *
 * Option stream (default false): "stream": true with stream_options
 * include_usage; the SSE chunks (choices[0].delta content, refusal and
 * reasoning, finish_reason, the last chunk's usage, "[DONE]") are read as they
 * arrive into the same response as without streaming. An "error" chunk fails
 * the attempt as a transient server error; a stream that ends before its
 * finish reason is a bad response (retried).
 */
#include <inf/inf.h>

#include <string.h>

#include "http-client.h"

#define PROVIDER "openai"
#define DEFAULT_PATH "/chat/completions"
#define DEFAULT_BASE_URL "https://api.openai.com/v1"
#define DEFAULT_JSON_INSTRUCTION "Reply with a single JSON object."

typedef struct {
  char *url;
  gboolean max_completion_tokens; /* the newer name of the max tokens field */
  json_object *extra_body;        /* merged into every body (owned ref), or NULL */
  char *organization;
  char *json_instruction;
  gboolean schema_strict; /* json_schema.strict */
  gboolean stream;
} OpenAi;

/* --- the class ---------------------------------------------------------- */

static const char *const max_tokens_fields[] = { "max_tokens", "max_completion_tokens", NULL };

static const InfOptionSpec openai_options[] = {
  { .name = "max_tokens_field",
    .type = INF_OPTION_ENUM,
    .default_json = "\"max_tokens\"",
    .description =
        "Body field for the request's max tokens: max_tokens (understood by every compatible "
        "server) or max_completion_tokens (required by OpenAI's reasoning models)",
    .choices = max_tokens_fields },
  { .name = "extra_body",
    .type = INF_OPTION_JSON,
    .description =
        "A JSON object merged into every request body (e.g. {\"top_p\": 0.9, \"seed\": 1})" },
  HTTP_CLIENT_OPTION_PATH(DEFAULT_PATH),
  { .name = "organization",
    .type = INF_OPTION_STRING,
    .description = "Sent as the OpenAI-Organization header" },
  HTTP_CLIENT_OPTION_STREAM("SSE, with stream_options.include_usage"),
  { .name = "json_instruction",
    .type = INF_OPTION_STRING,
    .default_json = "\"" DEFAULT_JSON_INSTRUCTION "\"",
    .description = "Added to the system message in JSON mode when no message mentions \"json\" "
                   "(the API requires the word); \"\" adds nothing" },
  { .name = "json_schema_strict",
    .type = INF_OPTION_BOOL,
    .default_json = "true",
    .description = "json_schema.strict in schema requests (OpenAI's strict mode needs every "
                   "property required and additionalProperties false)" },
  { .name = NULL },
};

static void
openai_finalize(gpointer data)
{
  OpenAi *self = data;
  if (self == NULL)
    return;
  g_free(self->url);
  json_object_put(self->extra_body);
  g_free(self->organization);
  g_free(self->json_instruction);
  g_free(self);
}

static gboolean
openai_init(InfClient *client, const InfOptions *options, gpointer *out_private, GError **error)
{
  json_object *extra;
  char *url;
  if (!http_client_read_options(client, options, "extra_body", DEFAULT_BASE_URL, DEFAULT_PATH,
                                &extra, &url, error))
    return FALSE;
  OpenAi *self = g_new0(OpenAi, 1);
  self->url = url;
  self->max_completion_tokens =
      g_strcmp0(inf_options_get_string(options, "max_tokens_field"), "max_completion_tokens") == 0;
  self->extra_body = extra;
  self->organization = g_strdup(inf_options_get_string(options, "organization"));
  const char *instruction = inf_options_get_string(options, "json_instruction");
  self->json_instruction = g_strdup(instruction != NULL ? instruction : DEFAULT_JSON_INSTRUCTION);
  self->schema_strict = inf_options_get_bool(options, "json_schema_strict");
  self->stream = inf_options_get_bool(options, "stream");
  *out_private = self;
  return TRUE;
}

/* OpenAI's JSON mode answers 400 unless some message contains "json" (any
 * case): when none does, the instruction joins the system message (or
 * becomes one). */
static json_object *
add_json_instruction(OpenAi *self, json_object *messages)
{
  if (self->json_instruction[0] == '\0')
    return messages;
  for (size_t i = 0; i < json_object_array_length(messages); i++) {
    const char *text = inf_json_get_string(json_object_array_get_idx(messages, i), "content");
    g_autofree char *lower = text != NULL ? g_ascii_strdown(text, -1) : NULL;
    if (lower != NULL && strstr(lower, "json") != NULL)
      return messages;
  }
  json_object *first = json_object_array_get_idx(messages, 0);
  if (g_strcmp0(inf_json_get_string(first, "role"), "system") == 0) {
    g_autofree char *joined =
        g_strconcat(inf_json_get_string(first, "content"), "\n\n", self->json_instruction, NULL);
    json_object_object_add(first, "content", json_object_new_string(joined));
    return messages;
  }
  json_object *with_system = json_object_new_array();
  json_object *system = json_object_new_object();
  json_object_object_add(system, "role", json_object_new_string("system"));
  json_object_object_add(system, "content", json_object_new_string(self->json_instruction));
  json_object_array_add(with_system, system);
  for (size_t i = 0; i < json_object_array_length(messages); i++)
    json_object_array_add(with_system, json_object_get(json_object_array_get_idx(messages, i)));
  json_object_put(messages);
  return with_system;
}

static void
add_stream_fields(json_object *body)
{
  json_object *options = json_object_new_object();
  json_object_object_add(options, "include_usage", json_object_new_boolean(TRUE));
  json_object_object_add(body, "stream", json_object_new_boolean(TRUE));
  json_object_object_add(body, "stream_options", options);
}

static gboolean
openai_build_request(InfClient *client, const InfLlmRequest *request, InfHttpRequest *http,
                     GError **error)
{
  OpenAi *self = inf_client_get_private(client);
  const char *model = inf_client_require_model(client, error);
  if (model == NULL)
    return FALSE;
  json_object *body = json_object_new_object();
  json_object_object_add(body, "model", json_object_new_string(model));
  json_object *messages = inf_llm_request_build_messages(request, "system");
  /* (json_schema needs no such word) */
  if (inf_llm_request_get_json_mode(request) && inf_llm_request_get_json_schema(request) == NULL)
    messages = add_json_instruction(self, messages);
  json_object_object_add(body, "messages", messages);
  double temperature = inf_llm_request_get_temperature(request);
  if (temperature >= 0)
    json_object_object_add(body, "temperature", json_object_new_double(temperature));
  gint64 max_tokens = inf_llm_request_get_max_tokens(request);
  if (max_tokens > 0)
    json_object_object_add(body,
                           self->max_completion_tokens ? "max_completion_tokens" : "max_tokens",
                           json_object_new_int64(max_tokens));
  json_object *schema = inf_llm_request_get_json_schema(request);
  if (schema != NULL) {
    json_object *spec = json_object_new_object();
    json_object_object_add(spec, "name",
                           json_object_new_string(inf_llm_request_get_json_schema_name(request)));
    json_object_object_add(spec, "schema", json_object_get(schema));
    json_object_object_add(spec, "strict", json_object_new_boolean(self->schema_strict));
    json_object *format = json_object_new_object();
    json_object_object_add(format, "type", json_object_new_string("json_schema"));
    json_object_object_add(format, "json_schema", spec);
    json_object_object_add(body, "response_format", format);
  } else if (inf_llm_request_get_json_mode(request)) {
    json_object *format = json_object_new_object();
    json_object_object_add(format, "type", json_object_new_string("json_object"));
    json_object_object_add(body, "response_format", format);
  }
  if (self->stream)
    add_stream_fields(body);
  inf_json_merge_members(body, self->extra_body);
  inf_http_request_set_json_post(http, self->url, body,
                                 self->stream ? INF_HTTP_STREAM_SSE : INF_HTTP_STREAM_NONE);
  json_object_put(body);
  inf_http_request_add_bearer_token(http, inf_client_get_api_key(client));
  if (self->organization != NULL)
    inf_http_request_add_header(http, "OpenAI-Organization", self->organization);
  return TRUE;
}

static const char *
normalize_finish_reason(const char *reason)
{
  if (reason == NULL)
    return NULL;
  if (strcmp(reason, "function_call") == 0)
    return INF_FINISH_TOOL_CALLS;
  if (strcmp(reason, "eos") == 0 || strcmp(reason, "end_turn") == 0 ||
      strcmp(reason, "stop_sequence") == 0)
    return INF_FINISH_STOP; /* some compatible servers */
  if (strcmp(reason, "max_tokens") == 0 || strcmp(reason, "model_length") == 0)
    return INF_FINISH_LENGTH;
  if (strcmp(reason, "refusal") == 0)
    return INF_FINISH_REFUSAL;
  return reason; /* stop, length, content_filter, tool_calls, or the server's own word */
}

/* A non-2xx reply: the INF_ERROR code and the server's message. */
static gboolean
fail_status(OpenAi *self, InfClient *client, const InfLlmRequest *request,
            const InfHttpResponse *http, GError **error)
{
  guint status = inf_http_response_get_status(http);
  json_object *root = inf_http_response_parse_json(http, NULL);
  json_object *detail = inf_json_get_member(root, "error", json_type_object);
  const char *type = inf_json_get_string(detail, "type");
  const char *code = inf_json_get_string(detail, "code");
  gboolean quota =
      g_strcmp0(type, "insufficient_quota") == 0 || g_strcmp0(code, "insufficient_quota") == 0;

  /* Out of quota is no rate limit (waiting will not help), whatever the
   * server's x-should-retry says. */
  InfErrorCode inf_code = !quota          ? inf_http_response_get_error_code(http)
                          : status == 429 ? INF_ERROR_HTTP_STATUS
                                          : inf_error_code_from_http_status(status);
  /* {"error": {"message"}}, {"error": "...", "message": "..."}, FastAPI's
   * {"detail"}, plain text: whatever the compatible server sent, quoted
   * with the key redacted (a proxy may echo the Authorization header). */
  g_autofree char *quoted = inf_http_response_get_error_message(http, INF_CLIENT_MAX_QUOTED,
                                                                inf_client_get_api_key(client));
  /* A server without structured outputs: say so, not just "400". */
  gboolean schema_refused =
      status == 400 && inf_llm_request_get_json_schema(request) != NULL &&
      (strstr(quoted, "response_format") != NULL || strstr(quoted, "json_schema") != NULL);
  if (schema_refused) {
    g_autofree char *url = inf_http_redact_url(self->url);
    g_set_error(error, INF_ERROR, inf_code,
                PROVIDER
                ": HTTP 400 from %s: the server refused the JSON schema (response_format "
                "\"json_schema\", structured outputs): %s; use a model or server that supports "
                "structured outputs, set json_schema_strict to false if the schema breaks strict "
                "mode's rules, or use response_format \"json\" without json_schema",
                url, quoted);
  } else {
    inf_client_fail_status(client, self->url, http, inf_code, code != NULL ? code : type, error);
  }
  json_object_put(root);
  return FALSE;
}

/* Usage first: it is counted even when the rest of the reply fails. */
static void
read_usage(json_object *root, InfLlmResponse *response)
{
  json_object *usage = inf_json_get_member(root, "usage", json_type_object);
  if (usage == NULL)
    return;
  inf_llm_response_set_usage(response, inf_json_get_count(usage, "prompt_tokens"),
                             inf_json_get_count(usage, "completion_tokens"));
  json_object *details = inf_json_get_member(usage, "completion_tokens_details", json_type_object);
  inf_llm_response_set_reasoning_tokens(response, inf_json_get_count(details, "reasoning_tokens"));
}

/* vLLM and llama.cpp put the thinking in reasoning_content (or reasoning). */
static gboolean
read_reasoning(json_object *message, InfLlmResponse *response)
{
  const char *reasoning = inf_json_get_string(message, "reasoning_content");
  if (reasoning == NULL)
    reasoning = inf_json_get_string(message, "reasoning");
  if (reasoning == NULL)
    return FALSE;
  inf_llm_response_append_reasoning(response, reasoning, -1);
  return TRUE;
}

static gboolean
openai_parse_response(InfClient *client, const InfLlmRequest *request, const InfHttpResponse *http,
                      InfLlmResponse *response, GError **error)
{
  OpenAi *self = inf_client_get_private(client);
  guint status = inf_http_response_get_status(http);
  if (status < 200 || status >= 300)
    return fail_status(self, client, request, http, error);

  json_object *root = inf_client_parse_reply(client, self->url, http, error);
  if (root == NULL)
    return FALSE;
  gboolean ok = FALSE;
  read_usage(root, response);
  json_object *error_object = inf_json_get_member(root, "error", json_type_object);
  json_object *choices = inf_json_get_member(root, "choices", json_type_array);
  json_object *choice = choices != NULL && json_object_array_length(choices) > 0
                            ? json_object_array_get_idx(choices, 0)
                            : NULL;
  json_object *message = inf_json_get_member(choice, "message", json_type_object);
  json_object *content = NULL;
  const char *finish_reason = normalize_finish_reason(inf_json_get_string(choice, "finish_reason"));
  const char *refusal = inf_json_get_string(message, "refusal");
  gboolean reasoned = message != NULL && read_reasoning(message, response);
  reasoned = reasoned || inf_llm_response_get_reasoning_tokens(response) > 0;
  if (error_object != NULL) {
    g_autofree char *quoted =
        inf_client_quote(client, inf_json_get_string(error_object, "message"));
    inf_client_fail_bad_reply(client, self->url, error, "an error object under HTTP %u: %s", status,
                              quoted);
  } else if (choices == NULL) {
    inf_client_fail_bad_reply(client, self->url, error, "missing \"choices\"");
  } else if (choice == NULL) {
    inf_client_fail_bad_reply(client, self->url, error, "\"choices\" is empty");
  } else if (message == NULL) {
    inf_client_fail_bad_reply(client, self->url, error, "missing \"choices[0].message\"");
  } else if (!json_object_object_get_ex(message, "content", &content) && refusal == NULL &&
             !reasoned) {
    inf_client_fail_bad_reply(client, self->url, error, "missing \"choices[0].message.content\"");
  } else if (content != NULL && !json_object_is_type(content, json_type_string)) {
    inf_client_fail_bad_reply(client, self->url, error,
                              "\"choices[0].message.content\" is not a string");
  } else if (content == NULL && refusal == NULL && !reasoned &&
             (finish_reason == NULL || g_str_equal(finish_reason, INF_FINISH_STOP))) {
    /* Nothing says why there is no text: a broken reply, worth a retry. */
    inf_client_fail_bad_reply(client, self->url, error, "\"choices[0].message.content\" is null");
  } else {
    /* A null content explained by a refusal, tool calls, reasoning or the
     * finish reason: an empty text, the finish reason says why. */
    inf_llm_response_set_content(response, "");
    if (content != NULL) /* with its length: a "\u0000" inside is kept (as U+FFFD) */
      inf_llm_response_append_content(response, json_object_get_string(content),
                                      json_object_get_string_len(content));
    if (refusal != NULL) {
      inf_llm_response_set_refusal(response, refusal);
      finish_reason = INF_FINISH_REFUSAL;
    }
    if (finish_reason != NULL)
      inf_llm_response_set_finish_reason(response, finish_reason);
    const char *model = inf_json_get_string(root, "model");
    inf_llm_response_set_model(response, model != NULL ? model : inf_client_get_model(client));
    ok = TRUE;
  }
  json_object_put(root);
  return ok;
}

#define STREAM_DONE 1u /* "data: [DONE]" came */

/* One SSE chunk of a streamed reply; @data NULL: the end of the stream,
 * complete once "[DONE]" came (after the usage chunk). */
static gboolean
openai_parse_stream_event(InfClient *client, const InfLlmRequest *request, const char *event,
                          const char *data, InfLlmResponse *response, guint *state, GError **error)
{
  (void)request;
  (void)event;
  OpenAi *self = inf_client_get_private(client);
  if (data == NULL) {
    if (!(*state & STREAM_DONE))
      return inf_client_fail_bad_reply(client, self->url, error,
                                       "the stream ended before \"[DONE]\" (cut short)");
    if (inf_llm_response_get_refusal(response) != NULL)
      inf_llm_response_set_finish_reason(response, INF_FINISH_REFUSAL);
    if (inf_llm_response_get_model(response) == NULL)
      inf_llm_response_set_model(response, inf_client_get_model(client));
    return TRUE;
  }
  if (strcmp(data, "[DONE]") == 0) {
    *state |= STREAM_DONE;
    if (inf_llm_response_get_finish_reason(response) == NULL)
      inf_llm_response_set_finish_reason(response, INF_FINISH_STOP);
    return TRUE;
  }
  json_object *chunk = inf_client_parse_stream_data(client, self->url, data, "chunk", error);
  if (chunk == NULL)
    return FALSE;
  json_object *error_object = inf_json_get_member(chunk, "error", json_type_object);
  if (error_object != NULL) {
    inf_client_fail_stream_error(client, self->url, inf_json_get_string(error_object, "message"),
                                 NULL, error);
    json_object_put(chunk);
    return FALSE;
  }
  read_usage(chunk, response);
  const char *model = inf_json_get_string(chunk, "model");
  if (model != NULL)
    inf_llm_response_set_model(response, model);
  json_object *choices = inf_json_get_member(chunk, "choices", json_type_array);
  json_object *choice = choices != NULL && json_object_array_length(choices) > 0
                            ? json_object_array_get_idx(choices, 0)
                            : NULL;
  json_object *delta = inf_json_get_member(choice, "delta", json_type_object);
  const char *content = inf_json_get_string(delta, "content");
  if (content != NULL)
    inf_llm_response_append_content(response, content, -1);
  if (delta != NULL)
    read_reasoning(delta, response);
  const char *refusal = inf_json_get_string(delta, "refusal");
  if (refusal != NULL) {
    g_autofree char *joined = g_strconcat(inf_llm_response_get_refusal(response) != NULL
                                              ? inf_llm_response_get_refusal(response)
                                              : "",
                                          refusal, NULL);
    inf_llm_response_set_refusal(response, joined);
  }
  const char *finish_reason = normalize_finish_reason(inf_json_get_string(choice, "finish_reason"));
  if (finish_reason != NULL)
    inf_llm_response_set_finish_reason(response, finish_reason);
  json_object_put(chunk);
  return TRUE;
}

static const InfClientClass openai_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "openai",
  .description = "OpenAI chat completions, or any OpenAI-compatible server through base_url "
                 "(vLLM, TGI, llama.cpp, LM Studio)",
  .options = openai_options,
  .init = openai_init,
  .finalize = openai_finalize,
  .build_request = openai_build_request,
  .parse_response = openai_parse_response,
  .requires_api_key = FALSE, /* local compatible servers need none */
  .parse_stream_event = openai_parse_stream_event,
};

static gboolean
openai_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &openai_class, error);
}

INF_PLUGIN_DEFINE("openai", INF_VERSION_STRING, "OpenAI and OpenAI-compatible chat completions",
                  "MIT", openai_register)
