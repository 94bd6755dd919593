/* The ollama client: Ollama's native chat API.
 *
 *   POST {base_url}/api/chat              base_url default http://localhost:11434
 *
 * One reply per request ("stream": false). JSON mode sends "format": "json";
 * temperature and max tokens go under options (temperature, num_predict),
 * with num_ctx and any other option from the provider options. No API key is
 * needed; when the endpoint has one (a proxy in front of Ollama), it is sent
 * as a secret Authorization: Bearer header.
 *
 * Replies: message.content, usage (prompt_eval_count, eval_count),
 * done_reason (stop, length, ...), model. Errors ({"error": "..."}): 429 is
 * rate limiting, 503 (queue full), 408, 409 and other 5xx are transient,
 * other statuses (404: model not pulled) fail with the server's message; a
 * 2xx reply without message.content is a bad response.
 */
#include <inf/inf.h>

#include <string.h>

#define PROVIDER "ollama"
#define DEFAULT_BASE_URL "http://localhost:11434"
/* Server text quoted in error messages is cut to this many bytes. */
#define MAX_QUOTED 300

typedef struct {
  char *url;
  char *keep_alive;
  gint64 num_ctx;
  json_object *extra_options;
} Ollama;

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

static const InfOptionSpec ollama_options[] = {
  { "keep_alive", INF_OPTION_STRING, NULL, FALSE,
    "How long the server keeps the model loaded after a request (\"5m\", \"1h\", \"-1\")", NULL,
    0, 0 },
  { "num_ctx", INF_OPTION_INT, "0", FALSE, "Context window size (0: the model's default)", NULL,
    0, 10000000 },
  { "options", INF_OPTION_JSON, NULL, FALSE,
    "More model options merged into \"options\" (e.g. {\"top_k\": 20, \"seed\": 1})", NULL, 0,
    0 },
  { "path", INF_OPTION_STRING, "\"/api/chat\"", FALSE, "Path appended to base_url", NULL, 0, 0 },
  { NULL, 0, NULL, FALSE, NULL, NULL, 0, 0 },
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
  json_object *extra = inf_options_get_json(options, "options");
  if (extra != NULL && !json_object_is_type(extra, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s.options: expected a JSON object, got %s",
                inf_options_get_path(options), json_type_to_name(json_object_get_type(extra)));
    return FALSE;
  }
  const char *path = inf_options_get_string(options, "path");
  if (path == NULL)
    path = "/api/chat";
  const char *base_url = inf_client_get_base_url(client);
  if (base_url == NULL)
    base_url = DEFAULT_BASE_URL;
  if (!g_str_has_prefix(base_url, "http://") && !g_str_has_prefix(base_url, "https://")) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: base_url must start with http:// or https://", inf_options_get_path(options));
    return FALSE;
  }
  Ollama *self = g_new0(Ollama, 1);
  gsize base_length = strlen(base_url);
  while (base_length > 0 && base_url[base_length - 1] == '/')
    base_length--;
  self->url = g_strdup_printf("%.*s%s%s", (int)base_length, base_url, *path == '/' ? "" : "/",
                              path);
  self->keep_alive = g_strdup(inf_options_get_string(options, "keep_alive"));
  self->num_ctx = inf_options_get_int(options, "num_ctx");
  self->extra_options = extra != NULL ? json_object_get(extra) : NULL;
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
ollama_build_request(InfClient *client, const InfLlmRequest *request, InfHttpRequest *http,
                     GError **error)
{
  Ollama *self = inf_client_get_private(client);
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
  json_object_object_add(body, "stream", json_object_new_boolean(FALSE));
  if (inf_llm_request_get_json_mode(request))
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
  if (self->extra_options != NULL) {
    json_object_object_foreach(self->extra_options, key, value)
      json_object_object_add(options, key, json_object_get(value));
  }
  if (json_object_object_length(options) > 0)
    json_object_object_add(body, "options", options);
  else
    json_object_put(options);
  if (self->keep_alive != NULL)
    json_object_object_add(body, "keep_alive", json_object_new_string(self->keep_alive));

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
  return TRUE;
}

static gboolean
fail_status(Ollama *self, InfClient *client, const InfHttpResponse *http, GError **error)
{
  guint status = inf_http_response_get_status(http);
  gsize length;
  const char *body = inf_http_response_get_body(http, &length);
  const char *api_key = inf_client_get_api_key(client);
  g_autofree char *why = NULL;
  json_object *root = parse_json(body, length, &why);
  const char *message = get_string(root, "error");
  if (message == NULL)
    message = get_string(get_member(root, "error", json_type_object), "message");
  g_autofree char *quoted = message != NULL ? quote_server_text(message, strlen(message), api_key)
                          : length > 0      ? quote_server_text(body, length, api_key)
                                            : g_strdup("(empty body)");
  InfErrorCode code;
  if (status == 429)
    code = INF_ERROR_RATE_LIMITED;
  else if (status == 408 || status == 409 || status >= 500)
    code = INF_ERROR_SERVER;
  else
    code = INF_ERROR_HTTP_STATUS;
  g_autofree char *url = redact_url(self->url);
  g_set_error(error, INF_ERROR, code, PROVIDER ": HTTP %u from %s: %s", status, url, quoted);
  json_object_put(root);
  return FALSE;
}

static gboolean
bad_response(Ollama *self, GError **error, const char *what)
{
  g_autofree char *url = redact_url(self->url);
  g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, PROVIDER ": bad reply from %s: %s", url,
              what);
  return FALSE;
}

static gboolean
ollama_parse_response(InfClient *client, const InfLlmRequest *request,
                      const InfHttpResponse *http, InfLlmResponse *response, GError **error)
{
  (void)request;
  Ollama *self = inf_client_get_private(client);
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
  json_object *message = get_member(root, "message", json_type_object);
  json_object *content = get_member(message, "content", json_type_string);
  const char *server_error = get_string(root, "error");
  if (!json_object_is_type(root, json_type_object)) {
    bad_response(self, error, "the reply is not a JSON object");
  } else if (server_error != NULL) {
    g_autofree char *quoted =
      quote_server_text(server_error, strlen(server_error), inf_client_get_api_key(client));
    g_autofree char *what = g_strdup_printf("an error under HTTP %u: %s", status, quoted);
    bad_response(self, error, what);
  } else if (message == NULL) {
    bad_response(self, error, "missing \"message\"");
  } else if (content == NULL) {
    bad_response(self, error, "missing \"message.content\"");
  } else {
    inf_llm_response_set_content(response, json_object_get_string(content));
    inf_llm_response_set_usage(response, get_count(root, "prompt_eval_count"),
                               get_count(root, "eval_count"));
    const char *reason = get_string(root, "done_reason");
    if (reason != NULL)
      inf_llm_response_set_finish_reason(response, reason); /* stop, length, or Ollama's word */
    const char *model = get_string(root, "model");
    inf_llm_response_set_model(response, model != NULL ? model : inf_client_get_model(client));
    ok = TRUE;
  }
  json_object_put(root);
  return ok;
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
};

static gboolean
ollama_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &ollama_class, error);
}

INF_PLUGIN_DEFINE("ollama", INF_VERSION_STRING, "Ollama chat API client", "MIT", ollama_register)
