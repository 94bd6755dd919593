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
 * Replies: choices[0].message.content, usage (prompt/completion tokens),
 * finish_reason (stop, length, content_filter, tool_calls), model. Errors:
 * 429 is rate limiting (retry-after-ms / Retry-After honoured by the engine)
 * except insufficient_quota (no money left: not retryable); 408, 409 and 5xx
 * are transient; other statuses fail with the server's message; a 2xx reply
 * that is not the expected JSON is a bad response naming what is missing.
 * `x-should-retry: true|false` overrides the transient/permanent choice.
 */
#include <inf/inf.h>

#include <string.h>

#define PROVIDER "openai"
#define DEFAULT_BASE_URL "https://api.openai.com/v1"
/* Server text quoted in error messages is cut to this many bytes. */
#define MAX_QUOTED 300

typedef struct {
  char *url;
  gboolean max_completion_tokens; /* the newer name of the max tokens field */
  json_object *extra_body;        /* merged into every body (owned ref), or NULL */
  char *organization;
} OpenAi;

/* --- helpers (each client plugin stands alone: SDK only) ---------------- */

/* @url without user info, query or fragment, for messages. */
static char *
redact_url(const char *url)
{
  const char *scheme_end = strstr(url, "://");
  const char *authority = scheme_end != NULL ? scheme_end + 3 : url;
  gsize authority_length = strcspn(authority, "/?#");
  const char *host = authority;
  for (const char *p = authority; p < authority + authority_length; p++)
    if (*p == '@')
      host = p + 1;
  const char *path = authority + authority_length;
  return g_strdup_printf("%.*s%.*s%.*s", (int)(authority - url), url,
                         (int)(authority + authority_length - host), host,
                         (int)strcspn(path, "?#"), path);
}

/* Server text made safe to show: one line, cut, the API key removed. */
static char *
quote_server_text(const char *text, gsize length, const char *api_key)
{
  GString *out = g_string_sized_new(MIN(length, MAX_QUOTED) + 16);
  g_string_append_len(out, text, (gssize)MIN(length, MAX_QUOTED));
  if (api_key != NULL && *api_key != '\0')
    g_string_replace(out, api_key, "[redacted]", 0);
  for (gsize i = 0; i < out->len; i++)
    if (out->str[i] == '\n' || out->str[i] == '\r' || out->str[i] == '\t')
      out->str[i] = ' ';
  g_strstrip(out->str);
  out->len = strlen(out->str);
  if (length > MAX_QUOTED)
    g_string_append(out, "...");
  char *valid = g_utf8_make_valid(out->str, (gssize)out->len);
  g_string_free(out, TRUE);
  return valid;
}

/* Parses a whole reply body as JSON; NULL with why when it is not. */
static json_object *
parse_json(const char *body, gsize length, char **why)
{
  if (length == 0) {
    *why = g_strdup("the body is empty");
    return NULL;
  }
  if (length > G_MAXINT) {
    *why = g_strdup("the body is too large");
    return NULL;
  }
  json_tokener *tokener = json_tokener_new();
  json_object *root = json_tokener_parse_ex(tokener, body, (int)length);
  enum json_tokener_error error = json_tokener_get_error(tokener);
  size_t end = json_tokener_get_parse_end(tokener);
  json_tokener_free(tokener);
  if (root == NULL || error != json_tokener_success) {
    json_object_put(root);
    if (error == json_tokener_continue)
      *why = g_strdup_printf("it ends early after %zu bytes (truncated JSON)", length);
    else
      *why = g_strdup_printf("invalid JSON at byte %zu: %s", end,
                             json_tokener_error_desc(error));
    return NULL;
  }
  while (end < length && g_ascii_isspace(body[end]))
    end++;
  if (end < length) {
    json_object_put(root);
    *why = g_strdup_printf("invalid JSON: unexpected data after byte %zu", end);
    return NULL;
  }
  return root;
}

static json_object *
get_member(json_object *object, const char *name, json_type type)
{
  json_object *value;
  if (object == NULL || !json_object_is_type(object, json_type_object) ||
      !json_object_object_get_ex(object, name, &value) || !json_object_is_type(value, type))
    return NULL;
  return value;
}

static const char *
get_string(json_object *object, const char *name)
{
  json_object *value = get_member(object, name, json_type_string);
  return value != NULL ? json_object_get_string(value) : NULL;
}

static gint64
get_count(json_object *object, const char *name)
{
  json_object *value = get_member(object, name, json_type_int);
  return value != NULL ? MAX(json_object_get_int64(value), 0) : 0;
}

/* --- the class ---------------------------------------------------------- */

static const char *const max_tokens_fields[] = { "max_tokens", "max_completion_tokens", NULL };

static const InfOptionSpec openai_options[] = {
  { "max_tokens_field", INF_OPTION_ENUM, "\"max_tokens\"", FALSE,
    "Body field for the request's max tokens: max_tokens (understood by every compatible "
    "server) or max_completion_tokens (required by OpenAI's reasoning models)",
    max_tokens_fields, 0, 0 },
  { "extra_body", INF_OPTION_JSON, NULL, FALSE,
    "A JSON object merged into every request body (e.g. {\"top_p\": 0.9, \"seed\": 1})", NULL,
    0, 0 },
  { "path", INF_OPTION_STRING, "\"/chat/completions\"", FALSE,
    "Path appended to base_url", NULL, 0, 0 },
  { "organization", INF_OPTION_STRING, NULL, FALSE, "Sent as the OpenAI-Organization header",
    NULL, 0, 0 },
  { NULL, 0, NULL, FALSE, NULL, NULL, 0, 0 },
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
  g_free(self);
}

static gboolean
openai_init(InfClient *client, const InfOptions *options, gpointer *out_private, GError **error)
{
  json_object *extra = inf_options_get_json(options, "extra_body");
  if (extra != NULL && !json_object_is_type(extra, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s.extra_body: expected a JSON object, got %s", inf_options_get_path(options),
                json_type_to_name(json_object_get_type(extra)));
    return FALSE;
  }
  const char *path = inf_options_get_string(options, "path");
  if (path == NULL)
    path = "/chat/completions";
  const char *base_url = inf_client_get_base_url(client);
  if (base_url == NULL)
    base_url = DEFAULT_BASE_URL;
  if (!g_str_has_prefix(base_url, "http://") && !g_str_has_prefix(base_url, "https://")) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: base_url must start with http:// or https://", inf_options_get_path(options));
    return FALSE;
  }
  OpenAi *self = g_new0(OpenAi, 1);
  gsize base_length = strlen(base_url);
  while (base_length > 0 && base_url[base_length - 1] == '/')
    base_length--;
  self->url = g_strdup_printf("%.*s%s%s", (int)base_length, base_url, *path == '/' ? "" : "/",
                              path);
  self->max_completion_tokens =
    g_strcmp0(inf_options_get_string(options, "max_tokens_field"), "max_completion_tokens") == 0;
  self->extra_body = extra != NULL ? json_object_get(extra) : NULL;
  self->organization = g_strdup(inf_options_get_string(options, "organization"));
  *out_private = self;
  return TRUE;
}

static json_object *
new_message(const char *role, const char *content)
{
  json_object *message = json_object_new_object();
  json_object_object_add(message, "role", json_object_new_string(role));
  json_object_object_add(message, "content", json_object_new_string(content ? content : ""));
  return message;
}

static gboolean
openai_build_request(InfClient *client, const InfLlmRequest *request, InfHttpRequest *http,
                     GError **error)
{
  OpenAi *self = inf_client_get_private(client);
  const char *model = inf_client_get_model(client);
  if (model == NULL || *model == '\0') {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                PROVIDER ": alias '%s' has no model (set \"model\" in its endpoint)",
                inf_client_get_alias(client));
    return FALSE;
  }
  json_object *body = json_object_new_object();
  json_object_object_add(body, "model", json_object_new_string(model));
  guint n = inf_llm_request_get_n_messages(request);
  const char *system = inf_llm_request_get_system(request);
  json_object *messages = json_object_new_array_ext((int)n + 1);
  if (system != NULL && *system != '\0')
    json_object_array_add(messages, new_message("system", system));
  for (guint i = 0; i < n; i++)
    json_object_array_add(messages, new_message(inf_llm_request_get_role(request, i),
                                                inf_llm_request_get_content(request, i)));
  json_object_object_add(body, "messages", messages);
  double temperature = inf_llm_request_get_temperature(request);
  if (temperature >= 0)
    json_object_object_add(body, "temperature", json_object_new_double(temperature));
  gint64 max_tokens = inf_llm_request_get_max_tokens(request);
  if (max_tokens > 0)
    json_object_object_add(body, self->max_completion_tokens ? "max_completion_tokens"
                                                             : "max_tokens",
                           json_object_new_int64(max_tokens));
  if (inf_llm_request_get_json_mode(request)) {
    json_object *format = json_object_new_object();
    json_object_object_add(format, "type", json_object_new_string("json_object"));
    json_object_object_add(body, "response_format", format);
  }
  if (self->extra_body != NULL) {
    json_object_object_foreach(self->extra_body, key, value)
      json_object_object_add(body, key, json_object_get(value));
  }
  size_t length;
  const char *text = json_object_to_json_string_length(
    body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &length);
  inf_http_request_take_body(http, g_strndup(text, length), length);
  json_object_put(body);

  inf_http_request_set_url(http, self->url);
  inf_http_request_add_header(http, "Content-Type", "application/json");
  inf_http_request_add_header(http, "Accept", "application/json");
  const char *api_key = inf_client_get_api_key(client);
  if (api_key != NULL && *api_key != '\0') {
    char *value = g_strconcat("Bearer ", api_key, NULL);
    inf_http_request_add_secret_header(http, "Authorization", value);
    memset(value, 0, strlen(value));
    g_free(value);
  }
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
    return "tool_calls";
  if (strcmp(reason, "eos") == 0 || strcmp(reason, "end_turn") == 0 ||
      strcmp(reason, "stop_sequence") == 0)
    return "stop"; /* some compatible servers */
  if (strcmp(reason, "max_tokens") == 0)
    return "length";
  return reason; /* stop, length, content_filter, tool_calls, or the server's own word */
}

/* A non-2xx reply: the INF_ERROR code and the server's message. */
static gboolean
fail_status(OpenAi *self, InfClient *client, const InfHttpResponse *http, GError **error)
{
  guint status = inf_http_response_get_status(http);
  gsize length;
  const char *body = inf_http_response_get_body(http, &length);
  const char *api_key = inf_client_get_api_key(client);
  g_autofree char *why = NULL;
  json_object *root = parse_json(body, length, &why);
  json_object *detail = get_member(root, "error", json_type_object);
  const char *message = get_string(detail, "message");
  const char *type = get_string(detail, "type");
  const char *code = get_string(detail, "code");
  if (message == NULL)
    message = get_string(root, "error"); /* {"error": "text"}: Ollama's /v1, others */
  if (message == NULL)
    message = get_string(root, "message");
  if (message == NULL)
    message = get_string(root, "detail"); /* FastAPI-style servers */
  g_autofree char *quoted = message != NULL ? quote_server_text(message, strlen(message), api_key)
                          : length > 0      ? quote_server_text(body, length, api_key)
                                            : g_strdup("(empty body)");
  gboolean quota = g_strcmp0(type, "insufficient_quota") == 0 ||
                   g_strcmp0(code, "insufficient_quota") == 0;

  InfErrorCode inf_code;
  if (status == 429 && !quota)
    inf_code = INF_ERROR_RATE_LIMITED;
  else if (status == 408 || status == 409 || status >= 500)
    inf_code = INF_ERROR_SERVER;
  else
    inf_code = INF_ERROR_HTTP_STATUS;
  const char *should_retry = inf_http_response_get_header(http, "x-should-retry");
  if (should_retry != NULL && inf_code != INF_ERROR_RATE_LIMITED && !quota) {
    if (strcmp(should_retry, "true") == 0)
      inf_code = INF_ERROR_SERVER;
    else if (strcmp(should_retry, "false") == 0)
      inf_code = INF_ERROR_HTTP_STATUS;
  }
  g_autofree char *url = redact_url(self->url);
  g_set_error(error, INF_ERROR, inf_code, PROVIDER ": HTTP %u from %s: %s%s%s%s", status, url,
              quoted, type != NULL || code != NULL ? " (" : "",
              code != NULL ? code : (type != NULL ? type : ""),
              type != NULL || code != NULL ? ")" : "");
  json_object_put(root);
  return FALSE;
}

static gboolean
bad_response(OpenAi *self, GError **error, const char *what)
{
  g_autofree char *url = redact_url(self->url);
  g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, PROVIDER ": bad reply from %s: %s", url,
              what);
  return FALSE;
}

static gboolean
openai_parse_response(InfClient *client, const InfLlmRequest *request,
                      const InfHttpResponse *http, InfLlmResponse *response, GError **error)
{
  (void)request;
  OpenAi *self = inf_client_get_private(client);
  guint status = inf_http_response_get_status(http);
  if (status < 200 || status >= 300)
    return fail_status(self, client, http, error);

  gsize length;
  const char *body = inf_http_response_get_body(http, &length);
  g_autofree char *why = NULL;
  json_object *root = parse_json(body, length, &why);
  if (root == NULL)
    return bad_response(self, error, why);
  gboolean ok = FALSE;
  json_object *error_object = get_member(root, "error", json_type_object);
  json_object *choices = get_member(root, "choices", json_type_array);
  json_object *choice = choices != NULL && json_object_array_length(choices) > 0
                          ? json_object_array_get_idx(choices, 0)
                          : NULL;
  json_object *message = get_member(choice, "message", json_type_object);
  json_object *content = NULL;
  const char *finish_reason = get_string(choice, "finish_reason");
  if (error_object != NULL) {
    const char *text = get_string(error_object, "message");
    g_autofree char *quoted = quote_server_text(text ? text : "(no message)",
                                                text ? strlen(text) : 12,
                                                inf_client_get_api_key(client));
    g_autofree char *what = g_strdup_printf("an error object under HTTP %u: %s", status, quoted);
    bad_response(self, error, what);
  } else if (!json_object_is_type(root, json_type_object)) {
    bad_response(self, error, "the reply is not a JSON object");
  } else if (choices == NULL) {
    bad_response(self, error, "missing \"choices\"");
  } else if (choice == NULL) {
    bad_response(self, error, "\"choices\" is empty");
  } else if (message == NULL) {
    bad_response(self, error, "missing \"choices[0].message\"");
  } else if (!json_object_object_get_ex(message, "content", &content)) {
    bad_response(self, error, "missing \"choices[0].message.content\"");
  } else if (content != NULL && !json_object_is_type(content, json_type_string)) {
    bad_response(self, error, "\"choices[0].message.content\" is not a string");
  } else if (content == NULL && g_strcmp0(finish_reason, "tool_calls") != 0 &&
             get_string(message, "refusal") == NULL) {
    bad_response(self, error, "\"choices[0].message.content\" is null");
  } else {
    /* content null with a refusal or tool calls: empty text, the reason says why. */
    inf_llm_response_set_content(response, content != NULL ? json_object_get_string(content)
                                                           : "");
    if (content == NULL && finish_reason == NULL)
      finish_reason = "content_filter";
    json_object *usage = get_member(root, "usage", json_type_object);
    inf_llm_response_set_usage(response, get_count(usage, "prompt_tokens"),
                               get_count(usage, "completion_tokens"));
    const char *normalized = normalize_finish_reason(finish_reason);
    if (normalized != NULL)
      inf_llm_response_set_finish_reason(response, normalized);
    const char *model = get_string(root, "model");
    inf_llm_response_set_model(response, model != NULL ? model : inf_client_get_model(client));
    ok = TRUE;
  }
  json_object_put(root);
  return ok;
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
};

static gboolean
openai_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &openai_class, error);
}

INF_PLUGIN_DEFINE("openai", INF_VERSION_STRING, "OpenAI and OpenAI-compatible chat completions",
                  "MIT", openai_register)
