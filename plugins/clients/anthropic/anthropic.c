/* The anthropic client: the Anthropic Messages API.
 *
 *   POST {base_url}/messages              base_url default https://api.anthropic.com/v1
 *   x-api-key: KEY                        secret header (an API key is required);
 *                                         option auth "bearer": Authorization: Bearer KEY
 *   anthropic-version: 2023-06-01         option anthropic_version
 *   anthropic-beta: ...                   option anthropic_beta, when set
 *
 * The system prompt travels top-level; max_tokens is required by the API, so
 * the option max_tokens (default 1024) fills in when the request sets none.
 * JSON mode: the API has no such switch, so an instruction to reply with one
 * JSON object only is appended to the system prompt (option
 * json_instruction); the llm module parses the reply (fences stripped).
 * A request with a JSON schema uses tool use instead: one tool named after
 * the schema whose input_schema is the schema (wrapped as the property
 * "value" of an object when its type is not "object"), forced with
 * tool_choice; the tool_use block's input is the reply, as JSON text, with
 * finish reason "stop".
 * Temperatures are clamped to Anthropic's range [0, 1].
 *
 * Replies: the text blocks of content, thinking blocks as reasoning (kept
 * apart), usage (input tokens including cache reads and writes, output
 * tokens; read first, so counted even when the rest fails), stop_reason
 * normalized (end_turn and stop_sequence: stop; max_tokens and
 * model_context_window_exceeded: length; tool_use: tool_calls; refusal:
 * refusal, the text as its message; pause_turn: pause), model. Errors: 429
 * rate_limit_error is rate limiting (Retry-After); 529 overloaded_error, 408,
 * 409 and 5xx are transient; other statuses fail with the server's message;
 * a 2xx reply without the expected fields is a bad response naming what is
 * missing.
 *
 * Option stream (default false): "stream": true; the SSE events
 * (message_start with the input usage and model, content_block_delta
 * text_delta and thinking_delta, message_delta with the stop reason and
 * output usage, message_stop; ping and unknown events ignored) are read as
 * they arrive into the same response as without streaming. An error event
 * fails the attempt as a transient server error; a stream that ends before
 * message_stop is a bad response (retried).
 */
#include <inf/inf.h>

#include <string.h>

#include "http-client.h"

#define PROVIDER "anthropic"
#define DEFAULT_PATH "/messages"
#define DEFAULT_BASE_URL "https://api.anthropic.com/v1"
#define DEFAULT_JSON_INSTRUCTION \
  "Reply with a single JSON object only: no prose before or after it, no code fences."

typedef struct {
  char *url;
  char *version;
  gint64 max_tokens;
  char *json_instruction;
  json_object *extra_body;
  gboolean bearer; /* Authorization: Bearer instead of x-api-key */
  gboolean stream;
  char *beta;
} Anthropic;

/* --- the class ---------------------------------------------------------- */

static const char *const auth_forms[] = { "x-api-key", "bearer", NULL };

static const InfOptionSpec anthropic_options[] = {
  { .name = "anthropic_version",
    .type = INF_OPTION_STRING,
    .default_json = "\"2023-06-01\"",
    .description = "The anthropic-version header (2023-06-01 is the current API version)" },
  { .name = "anthropic_beta",
    .type = INF_OPTION_STRING,
    .description = "Sent as the anthropic-beta header (comma-separated beta features)" },
  { .name = "auth",
    .type = INF_OPTION_ENUM,
    .default_json = "\"x-api-key\"",
    .description = "How the key travels: x-api-key (API keys) or bearer (Authorization: Bearer, "
                   "for OAuth tokens and gateways)",
    .choices = auth_forms },
  { .name = "max_tokens",
    .type = INF_OPTION_INT,
    .default_json = "1024",
    .description = "max_tokens sent when the request sets none (the API requires one)",
    .min = 1,
    .max = 1000000 },
  { .name = "json_instruction",
    .type = INF_OPTION_STRING,
    .default_json = "\"" DEFAULT_JSON_INSTRUCTION "\"",
    .description = "Appended to the system prompt when the request asks for JSON" },
  { .name = "extra_body",
    .type = INF_OPTION_JSON,
    .description = "A JSON object merged into every request body (e.g. {\"top_k\": 40})" },
  HTTP_CLIENT_OPTION_PATH(DEFAULT_PATH),
  HTTP_CLIENT_OPTION_STREAM("SSE"),
  { .name = NULL },
};

static void
anthropic_finalize(gpointer data)
{
  Anthropic *self = data;
  if (self == NULL)
    return;
  g_free(self->url);
  g_free(self->version);
  g_free(self->json_instruction);
  json_object_put(self->extra_body);
  g_free(self->beta);
  g_free(self);
}

static gboolean
anthropic_init(InfClient *client, const InfOptions *options, gpointer *out_private, GError **error)
{
  json_object *extra;
  char *url;
  if (!http_client_read_options(client, options, "extra_body", DEFAULT_BASE_URL, DEFAULT_PATH,
                                &extra, &url, error))
    return FALSE;
  Anthropic *self = g_new0(Anthropic, 1);
  self->url = url;
  const char *version = inf_options_get_string(options, "anthropic_version");
  self->version = g_strdup(version != NULL ? version : "2023-06-01");
  self->max_tokens = inf_options_has(options, "max_tokens")
                         ? MAX(inf_options_get_int(options, "max_tokens"), 1)
                         : 1024;
  const char *instruction = inf_options_get_string(options, "json_instruction");
  self->json_instruction = g_strdup(instruction != NULL ? instruction : DEFAULT_JSON_INSTRUCTION);
  self->extra_body = extra;
  self->bearer = g_strcmp0(inf_options_get_string(options, "auth"), "bearer") == 0;
  self->beta = g_strdup(inf_options_get_string(options, "anthropic_beta"));
  self->stream = inf_options_get_bool(options, "stream");
  *out_private = self;
  return TRUE;
}

/* Whether the schema's root is an object schema (Anthropic's input_schema
 * must be one); others travel wrapped as the property "value". */
static gboolean
schema_is_object(json_object *schema)
{
  return g_strcmp0(inf_json_get_string(schema, "type"), "object") == 0;
}

/* Structured output through a single forced tool. */
static void
add_schema_tool(json_object *body, const InfLlmRequest *request, json_object *schema)
{
  const char *name = inf_llm_request_get_json_schema_name(request);
  json_object *input_schema;
  if (schema_is_object(schema)) {
    input_schema = json_object_get(schema);
  } else {
    json_object *properties = json_object_new_object();
    json_object *required = json_object_new_array();
    json_object_object_add(properties, "value", json_object_get(schema));
    json_object_array_add(required, json_object_new_string("value"));
    input_schema = json_object_new_object();
    json_object_object_add(input_schema, "type", json_object_new_string("object"));
    json_object_object_add(input_schema, "properties", properties);
    json_object_object_add(input_schema, "required", required);
  }
  json_object *tool = json_object_new_object();
  json_object_object_add(tool, "name", json_object_new_string(name));
  json_object_object_add(tool, "description",
                         json_object_new_string("Give the reply as data matching the schema."));
  json_object_object_add(tool, "input_schema", input_schema);
  json_object *tools = json_object_new_array();
  json_object_array_add(tools, tool);
  json_object_object_add(body, "tools", tools);
  json_object *choice = json_object_new_object();
  json_object_object_add(choice, "type", json_object_new_string("tool"));
  json_object_object_add(choice, "name", json_object_new_string(name));
  json_object_object_add(body, "tool_choice", choice);
}

/* The input of the schema tool's tool_use block in @content, as JSON text
 * (unwrapped from "value" when the schema was wrapped), or NULL. */
static char *
schema_tool_reply(const InfLlmRequest *request, json_object *content)
{
  json_object *schema = inf_llm_request_get_json_schema(request);
  const char *name = inf_llm_request_get_json_schema_name(request);
  for (size_t i = 0; schema != NULL && i < json_object_array_length(content); i++) {
    json_object *block = json_object_array_get_idx(content, i), *input;
    if (g_strcmp0(inf_json_get_string(block, "type"), "tool_use") != 0 ||
        g_strcmp0(inf_json_get_string(block, "name"), name) != 0 ||
        !json_object_object_get_ex(block, "input", &input))
      continue;
    if (!schema_is_object(schema) && !json_object_object_get_ex(input, "value", &input))
      return g_strdup("{}"); /* the wrapper without its value: left to validation */
    return g_strdup(json_object_to_json_string_ext(input, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
  }
  return NULL;
}

static gboolean
anthropic_build_request(InfClient *client, const InfLlmRequest *request, InfHttpRequest *http,
                        GError **error)
{
  Anthropic *self = inf_client_get_private(client);
  const char *model = inf_client_require_model(client, error);
  if (model == NULL)
    return FALSE;
  guint n = inf_llm_request_get_n_messages(request);
  if (n == 0) {
    g_set_error_literal(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                        PROVIDER ": the request has no messages (the API needs at least one)");
    return FALSE;
  }
  json_object *body = json_object_new_object();
  json_object_object_add(body, "model", json_object_new_string(model));
  gint64 max_tokens = inf_llm_request_get_max_tokens(request);
  json_object_object_add(body, "max_tokens",
                         json_object_new_int64(max_tokens > 0 ? max_tokens : self->max_tokens));

  const char *system = inf_llm_request_get_system(request);
  json_object *schema = inf_llm_request_get_json_schema(request);
  gboolean json_mode = inf_llm_request_get_json_mode(request) && schema == NULL;
  if (schema != NULL)
    add_schema_tool(body, request, schema);
  if (json_mode && self->json_instruction[0] != '\0') {
    g_autofree char *joined = system != NULL && *system != '\0'
                                  ? g_strconcat(system, "\n\n", self->json_instruction, NULL)
                                  : g_strdup(self->json_instruction);
    json_object_object_add(body, "system", json_object_new_string(joined));
  } else if (system != NULL && *system != '\0') {
    json_object_object_add(body, "system", json_object_new_string(system));
  }

  /* The system prompt travels top-level (above), not as a message. */
  json_object_object_add(body, "messages", inf_llm_request_build_messages(request, NULL));
  double temperature = inf_llm_request_get_temperature(request);
  if (temperature >= 0)
    json_object_object_add(body, "temperature", json_object_new_double(MIN(temperature, 1.0)));
  if (self->stream)
    json_object_object_add(body, "stream", json_object_new_boolean(TRUE));
  inf_json_merge_members(body, self->extra_body);
  inf_http_request_set_json_body(http, body);
  json_object_put(body);

  inf_http_request_set_url(http, self->url);
  inf_http_request_add_header(http, "content-type", "application/json");
  inf_http_request_add_header(http, "accept",
                              self->stream ? "text/event-stream" : "application/json");
  if (self->stream)
    inf_http_request_set_stream(http, INF_HTTP_STREAM_SSE);
  inf_http_request_add_header(http, "anthropic-version", self->version);
  if (self->beta != NULL && *self->beta != '\0')
    inf_http_request_add_header(http, "anthropic-beta", self->beta);
  const char *api_key = inf_client_get_api_key(client);
  if (self->bearer)
    inf_http_request_add_bearer_token(http, api_key);
  else if (api_key != NULL && *api_key != '\0')
    inf_http_request_add_secret_header(http, "x-api-key", api_key);
  return TRUE;
}

static const char *
normalize_stop_reason(const char *reason)
{
  if (reason == NULL)
    return NULL;
  if (strcmp(reason, "end_turn") == 0 || strcmp(reason, "stop_sequence") == 0)
    return INF_FINISH_STOP;
  if (strcmp(reason, "max_tokens") == 0 || strcmp(reason, "model_context_window_exceeded") == 0)
    return INF_FINISH_LENGTH;
  if (strcmp(reason, "tool_use") == 0)
    return INF_FINISH_TOOL_CALLS;
  if (strcmp(reason, "refusal") == 0)
    return INF_FINISH_REFUSAL;
  if (strcmp(reason, "pause_turn") == 0)
    return INF_FINISH_PAUSE;
  return reason;
}

/* A non-2xx reply: Anthropic's {"type": "error", "error": {"type", "message"}},
 * or whatever a proxy sent; 529 (overloaded_error) is a 5xx: SERVER. */
static gboolean
fail_status(Anthropic *self, InfClient *client, const InfHttpResponse *http, GError **error)
{
  json_object *root = inf_http_response_parse_json(http, NULL);
  json_object *detail = inf_json_get_member(root, "error", json_type_object);
  inf_client_fail_status(client, self->url, http, inf_http_response_get_error_code(http),
                         inf_json_get_string(detail, "type"), error);
  json_object_put(root);
  return FALSE;
}

static gboolean
anthropic_parse_response(InfClient *client, const InfLlmRequest *request,
                         const InfHttpResponse *http, InfLlmResponse *response, GError **error)
{
  Anthropic *self = inf_client_get_private(client);
  guint status = inf_http_response_get_status(http);
  if (status < 200 || status >= 300)
    return fail_status(self, client, http, error);

  json_object *root = inf_client_parse_reply(client, self->url, http, error);
  if (root == NULL)
    return FALSE;
  gboolean ok = FALSE;
  g_autofree char *tool_reply = NULL;
  json_object *content = inf_json_get_member(root, "content", json_type_array);
  const char *type = inf_json_get_string(root, "type");
  json_object *usage = inf_json_get_member(root, "usage", json_type_object);
  if (usage != NULL) {
    gint64 input = inf_json_get_count(usage, "input_tokens") +
                   inf_json_get_count(usage, "cache_creation_input_tokens") +
                   inf_json_get_count(usage, "cache_read_input_tokens");
    inf_llm_response_set_usage(response, input, inf_json_get_count(usage, "output_tokens"));
  }
  if (g_strcmp0(type, "error") == 0) {
    g_autofree char *quoted = inf_client_quote(
        client,
        inf_json_get_string(inf_json_get_member(root, "error", json_type_object), "message"));
    inf_client_fail_bad_reply(client, self->url, error, "an error object under HTTP %u: %s", status,
                              quoted);
  } else if (content == NULL) {
    inf_client_fail_bad_reply(client, self->url, error, "missing \"content\"");
  } else if ((tool_reply = schema_tool_reply(request, content)) != NULL) {
    inf_llm_response_set_content(response, tool_reply);
    /* The forced tool call is how the reply arrives, not the model's choice. */
    const char *stop_reason = inf_json_get_string(root, "stop_reason");
    const char *normalized = g_strcmp0(stop_reason, "tool_use") == 0
                                 ? INF_FINISH_STOP
                                 : normalize_stop_reason(stop_reason);
    if (normalized != NULL)
      inf_llm_response_set_finish_reason(response, normalized);
    const char *model = inf_json_get_string(root, "model");
    inf_llm_response_set_model(response, model != NULL ? model : inf_client_get_model(client));
    ok = TRUE;
  } else {
    GString *text = g_string_new(NULL);
    gboolean has_text = FALSE;
    for (size_t i = 0; i < json_object_array_length(content); i++) {
      json_object *block = json_object_array_get_idx(content, i);
      const char *block_type = inf_json_get_string(block, "type");
      json_object *block_json = inf_json_get_member(block, "text", json_type_string);
      const char *block_text = block_json != NULL ? json_object_get_string(block_json) : NULL;
      const char *thinking = inf_json_get_string(block, "thinking");
      if (g_strcmp0(block_type, "text") == 0 && block_text != NULL) {
        g_string_append_len(text, block_text, json_object_get_string_len(block_json));
        has_text = TRUE;
      } else if (g_strcmp0(block_type, "thinking") == 0 && thinking != NULL) {
        inf_llm_response_append_reasoning(response, thinking, -1);
      }
    }
    const char *stop_reason = normalize_stop_reason(inf_json_get_string(root, "stop_reason"));
    if (!has_text && json_object_array_length(content) > 0 &&
        (stop_reason == NULL || g_str_equal(stop_reason, INF_FINISH_STOP))) {
      /* Blocks, but none of text, and no stop reason to explain it. */
      inf_client_fail_bad_reply(client, self->url, error, "no text block in \"content\"");
    } else {
      /* with its length: a "\u0000" inside is kept (as U+FFFD) */
      inf_llm_response_append_content(response, text->str, (gssize)text->len);
      if (g_strcmp0(stop_reason, INF_FINISH_REFUSAL) == 0)
        inf_llm_response_set_refusal(response, text->str);
      if (stop_reason != NULL)
        inf_llm_response_set_finish_reason(response, stop_reason);
      const char *model = inf_json_get_string(root, "model");
      inf_llm_response_set_model(response, model != NULL ? model : inf_client_get_model(client));
      ok = TRUE;
    }
    g_string_free(text, TRUE);
  }
  json_object_put(root);
  return ok;
}

static gint64
input_usage(json_object *usage)
{
  return inf_json_get_count(usage, "input_tokens") +
         inf_json_get_count(usage, "cache_creation_input_tokens") +
         inf_json_get_count(usage, "cache_read_input_tokens");
}

/* One SSE event of a streamed reply; @data NULL: the end of the stream,
 * complete once message_stop came. */
#define STREAM_STOPPED 1u /* message_stop came */
#define STREAM_TOOL 2u    /* inside the schema tool's tool_use block */
#define STREAM_TOOL_SEEN 4u

/* The end of a streamed schema reply: the tool input gathered as the content
 * (unwrapped from "value" when the schema was wrapped), finish reason stop. */
static void
finish_stream_tool(const InfLlmRequest *request, InfLlmResponse *response)
{
  json_object *schema = inf_llm_request_get_json_schema(request);
  if (!schema_is_object(schema)) {
    json_object *input = json_tokener_parse(inf_llm_response_get_content(response));
    json_object *value = NULL;
    if (json_object_object_get_ex(input, "value", &value))
      inf_llm_response_set_content(
          response, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    else
      inf_llm_response_set_content(response, "{}"); /* left to validation */
    json_object_put(input);
  }
  if (g_strcmp0(inf_llm_response_get_finish_reason(response), INF_FINISH_TOOL_CALLS) == 0)
    inf_llm_response_set_finish_reason(response, INF_FINISH_STOP);
}

static gboolean
anthropic_parse_stream_event(InfClient *client, const InfLlmRequest *request, const char *event,
                             const char *data, InfLlmResponse *response, guint *state,
                             GError **error)
{
  Anthropic *self = inf_client_get_private(client);
  if (data == NULL) {
    if (!(*state & STREAM_STOPPED))
      return inf_client_fail_bad_reply(client, self->url, error,
                                       "the stream ended before message_stop (cut short)");
    if (*state & STREAM_TOOL_SEEN)
      finish_stream_tool(request, response);
    if (g_strcmp0(inf_llm_response_get_finish_reason(response), INF_FINISH_REFUSAL) == 0)
      inf_llm_response_set_refusal(response, inf_llm_response_get_content(response));
    if (inf_llm_response_get_model(response) == NULL)
      inf_llm_response_set_model(response, inf_client_get_model(client));
    return TRUE;
  }
  json_object *root = inf_client_parse_stream_data(client, self->url, data, "event", error);
  if (root == NULL)
    return FALSE;
  const char *type = event != NULL ? event : inf_json_get_string(root, "type");
  gboolean ok = TRUE;
  if (g_strcmp0(type, "error") == 0) {
    json_object *detail = inf_json_get_member(root, "error", json_type_object);
    ok = inf_client_fail_stream_error(client, self->url, inf_json_get_string(detail, "message"),
                                      inf_json_get_string(detail, "type"), error);
  } else if (g_strcmp0(type, "message_start") == 0) {
    json_object *message = inf_json_get_member(root, "message", json_type_object);
    json_object *usage = inf_json_get_member(message, "usage", json_type_object);
    inf_llm_response_set_usage(response, input_usage(usage),
                               inf_json_get_count(usage, "output_tokens"));
    const char *model = inf_json_get_string(message, "model");
    if (model != NULL)
      inf_llm_response_set_model(response, model);
  } else if (g_strcmp0(type, "content_block_start") == 0) {
    json_object *block = inf_json_get_member(root, "content_block", json_type_object);
    *state &= ~STREAM_TOOL;
    if (inf_llm_request_get_json_schema(request) != NULL &&
        g_strcmp0(inf_json_get_string(block, "type"), "tool_use") == 0 &&
        g_strcmp0(inf_json_get_string(block, "name"),
                  inf_llm_request_get_json_schema_name(request)) == 0) {
      /* The schema tool's input is the reply: it arrives as JSON pieces. */
      *state |= STREAM_TOOL | STREAM_TOOL_SEEN;
      inf_llm_response_set_content(response, "");
    }
    const char *text = inf_json_get_string(block, "text");
    const char *thinking = inf_json_get_string(block, "thinking");
    if (text != NULL)
      inf_llm_response_append_content(response, text, -1);
    if (thinking != NULL && *thinking != '\0')
      inf_llm_response_append_reasoning(response, thinking, -1);
  } else if (g_strcmp0(type, "content_block_delta") == 0) {
    json_object *delta = inf_json_get_member(root, "delta", json_type_object);
    const char *delta_type = inf_json_get_string(delta, "type");
    if (g_strcmp0(delta_type, "input_json_delta") == 0 && (*state & STREAM_TOOL) &&
        inf_json_get_string(delta, "partial_json"))
      inf_llm_response_append_content(response, inf_json_get_string(delta, "partial_json"), -1);
    else if (g_strcmp0(delta_type, "text_delta") == 0 && inf_json_get_string(delta, "text") &&
             !(*state & STREAM_TOOL_SEEN))
      inf_llm_response_append_content(response, inf_json_get_string(delta, "text"), -1);
    else if (g_strcmp0(delta_type, "thinking_delta") == 0 && inf_json_get_string(delta, "thinking"))
      inf_llm_response_append_reasoning(response, inf_json_get_string(delta, "thinking"), -1);
  } else if (g_strcmp0(type, "message_delta") == 0) {
    json_object *delta = inf_json_get_member(root, "delta", json_type_object);
    json_object *usage = inf_json_get_member(root, "usage", json_type_object);
    if (usage != NULL) {
      gint64 input = input_usage(usage);
      inf_llm_response_set_usage(response,
                                 input > 0 ? input : inf_llm_response_get_input_tokens(response),
                                 inf_json_get_count(usage, "output_tokens"));
    }
    const char *stop_reason = normalize_stop_reason(inf_json_get_string(delta, "stop_reason"));
    if (stop_reason != NULL)
      inf_llm_response_set_finish_reason(response, stop_reason);
  } else if (g_strcmp0(type, "message_stop") == 0) {
    *state |= STREAM_STOPPED;
  }
  json_object_put(root);
  return ok;
}

static const InfClientClass anthropic_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "anthropic",
  .description = "Anthropic Messages API (Claude models)",
  .options = anthropic_options,
  .init = anthropic_init,
  .finalize = anthropic_finalize,
  .build_request = anthropic_build_request,
  .parse_response = anthropic_parse_response,
  .requires_api_key = TRUE,
  .parse_stream_event = anthropic_parse_stream_event,
};

static gboolean
anthropic_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &anthropic_class, error);
}

INF_PLUGIN_DEFINE("anthropic", INF_VERSION_STRING, "Anthropic Messages API client", "MIT",
                  anthropic_register)
