/* The openai, anthropic and ollama client plugins (the built .so files,
 * loaded through the plugin loader): the requests they build, and how they
 * read every kind of reply of the loopback fake server. */
#include <gio/gio.h>
#include <string.h>

#include "inf-test-plugins.h"
#include "plugin/loader.h"
#include "resources/endpoint.h"
#include "resources/http.h"
#include "resources/manager.h"

#define KEY_ENV "INF_TEST_HTTP_CLIENT_KEY"
#define SECRET "sk-client-SECRET-0123456789"

typedef struct {
  const char *provider;
  const char *base_suffix; /* appended to the fake's base URL to make base_url */
  const char *path;        /* what the fake sees */
} Provider;

static const Provider providers[] = {
  { "openai", "/v1", "/v1/chat/completions" },
  { "anthropic", "/v1", "/v1/messages" },
  { "ollama", "", "/api/chat" },
};

typedef struct {
  GMainContext *context;
  InfRegistry *registry;
  InfPluginLoader *loader;
  InfFakeLlm *fake;
  InfHttpSession *session;
  InfResourcesConfig *config;
  InfResourceManager *manager;
  const InfClientClass *klass;
  InfClient *client;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  (void)data;
  f->context = g_main_context_ref_thread_default();
  f->registry = inf_registry_new();
  f->loader = inf_test_load_plugins(f->registry);
  for (guint i = 0; i < G_N_ELEMENTS(providers); i++)
    g_assert_nonnull(inf_registry_lookup_client_class(f->registry, providers[i].provider));
  f->fake = inf_test_fake_start();
  f->session = inf_http_session_new(f->context);
}

static void
drop_client(Fixture *f)
{
  g_clear_pointer(&f->manager, inf_resource_manager_free);
  g_clear_pointer(&f->config, inf_resources_config_free);
  f->client = NULL;
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  (void)data;
  drop_client(f);
  inf_http_session_free(f->session);
  inf_test_fake_stop(f->fake);
  inf_plugin_loader_free(f->loader);
  inf_registry_free(f->registry);
  g_main_context_unref(f->context);
}

/* Makes f->client from one endpoint object (JSON text, "%s" = the fake's
 * base URL with the provider's suffix). */
static gboolean
make_client(Fixture *f, const Provider *p, const char *endpoint_format, GError **error)
{
  drop_client(f);
  g_autofree char *base = g_strconcat(inf_fake_llm_get_base_url(f->fake), p->base_suffix, NULL);
  g_autofree char *endpoint = g_strdup_printf(endpoint_format, p->provider, base);
  g_autofree char *text = g_strdup_printf("{\"endpoints\": {\"a\": %s}}", endpoint);
  json_object *json = json_tokener_parse(text);
  g_assert_nonnull(json);
  f->config = inf_resources_config_parse(json, "test.json", "resources", f->registry, error);
  json_object_put(json);
  if (f->config == NULL)
    return FALSE;
  f->manager = inf_resource_manager_new(f->config, f->registry, error);
  if (f->manager == NULL)
    return FALSE;
  InfResourceAlias *alias = inf_resource_manager_lookup(f->manager, "a");
  g_assert_nonnull(alias);
  gint64 wait = 0;
  f->client = inf_resource_alias_pick(alias, g_get_monotonic_time(), &wait);
  g_assert_nonnull(f->client);
  f->klass = inf_registry_lookup_client_class(f->registry, p->provider);
  return TRUE;
}

static void
make_default_client(Fixture *f, const Provider *p)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(make_client(f, p,
                            "{\"provider\": \"%s\", \"model\": \"test-model\", \"base_url\": "
                            "\"%s\", \"api_key_env\": \"" KEY_ENV "\"}",
                            &error));
  g_assert_no_error(error);
}

static InfLlmRequest *
new_llm_request(const char *prompt)
{
  InfLlmRequest *request = inf_llm_request_new();
  inf_llm_request_set_system(request, "You are terse.");
  inf_llm_request_add_message(request, "user", prompt);
  return request;
}

static InfHttpRequest *
build(Fixture *f, const InfLlmRequest *request)
{
  InfHttpRequest *http = inf_http_request_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(f->klass->build_request(f->client, request, http, &error));
  g_assert_no_error(error);
  return http;
}

static json_object *
body_json(const InfHttpRequest *http)
{
  gsize length;
  const char *body = inf_http_request_get_body(http, &length);
  g_assert_nonnull(body);
  json_object *json = json_tokener_parse(body);
  g_assert_nonnull(json);
  return json;
}

/* --- what the clients send ---------------------------------------------- */

static void
test_build_openai(Fixture *f, gconstpointer data)
{
  (void)data;
  const Provider *p = &providers[0];
  make_default_client(f, p);
  g_autoptr(InfLlmRequest) request = new_llm_request("Hello");
  inf_llm_request_set_temperature(request, 0.3);
  inf_llm_request_set_max_tokens(request, 50);
  inf_llm_request_set_json_mode(request, TRUE);
  g_autoptr(InfHttpRequest) http = build(f, request);

  g_autofree char *url = g_strconcat(inf_fake_llm_get_base_url(f->fake), p->path, NULL);
  g_assert_cmpstr(inf_http_request_get_url(http), ==, url);
  g_assert_cmpstr(inf_http_request_get_header(http, "content-type"), ==, "application/json");
  g_assert_cmpstr(inf_http_request_get_header(http, "authorization"), ==, "Bearer " SECRET);
  g_assert_true(inf_http_request_is_header_secret(http, "Authorization"));
  json_object *body = body_json(http);
  g_assert_cmpstr(inf_test_json_get_string(body, "model"), ==, "test-model");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/role"), ==, "system");
  /* JSON mode needs the word "json" in the messages: none has it, so the
   * instruction joins the system message. */
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/content"), ==,
                  "You are terse.\n\nReply with a single JSON object.");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/1/role"), ==, "user");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/1/content"), ==, "Hello");
  g_assert_cmpfloat_with_epsilon(json_object_get_double(inf_test_json_get(body, "temperature")),
                                 0.3, 1e-9);
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "max_tokens")), ==, 50);
  g_assert_null(inf_test_json_get(body, "max_completion_tokens"));
  g_assert_cmpstr(inf_test_json_get_string(body, "response_format/type"), ==, "json_object");
  g_assert_null(inf_test_json_get(body, "stream"));
  /* The key only in its header. */
  g_assert_null(strstr(inf_http_request_get_body(http, NULL), SECRET));
  json_object_put(body);

  /* A message that says "Json" already: nothing added. */
  g_autoptr(InfLlmRequest) says_json = new_llm_request("Answer in Json please");
  inf_llm_request_set_json_mode(says_json, TRUE);
  g_autoptr(InfHttpRequest) http_json = build(f, says_json);
  body = body_json(http_json);
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/content"), ==, "You are terse.");
  json_object_put(body);
  /* No system prompt: the instruction becomes the system message. */
  g_autoptr(InfLlmRequest) bare = inf_llm_request_new();
  inf_llm_request_add_message(bare, "user", "Hello");
  inf_llm_request_set_json_mode(bare, TRUE);
  g_autoptr(InfHttpRequest) http_bare = build(f, bare);
  body = body_json(http_bare);
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/role"), ==, "system");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/content"), ==,
                  "Reply with a single JSON object.");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/1/content"), ==, "Hello");
  json_object_put(body);

  /* Defaults: no temperature, no max tokens, no response_format. */
  g_autoptr(InfLlmRequest) plain = new_llm_request("Hi");
  g_autoptr(InfHttpRequest) http2 = build(f, plain);
  body = body_json(http2);
  g_assert_null(inf_test_json_get(body, "temperature"));
  g_assert_null(inf_test_json_get(body, "max_tokens"));
  g_assert_null(inf_test_json_get(body, "response_format"));
  json_object_put(body);

  /* An OpenAI-compatible local server: no api_key_env, no Authorization;
   * provider options max_tokens_field and extra_body. */
  g_autoptr(GError) error = NULL;
  g_assert_true(make_client(f, p,
                            "{\"provider\": \"%s\", \"model\": \"local\", \"base_url\": \"%s/\","
                            " \"max_tokens_field\": \"max_completion_tokens\","
                            " \"extra_body\": {\"seed\": 7, \"top_p\": 0.5}}",
                            &error));
  g_assert_no_error(error);
  g_autoptr(InfHttpRequest) http3 = build(f, request);
  g_assert_cmpstr(inf_http_request_get_url(http3), ==, url);
  g_assert_null(inf_http_request_get_header(http3, "Authorization"));
  body = body_json(http3);
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "max_completion_tokens")), ==, 50);
  g_assert_null(inf_test_json_get(body, "max_tokens"));
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "seed")), ==, 7);
  g_assert_cmpfloat_with_epsilon(json_object_get_double(inf_test_json_get(body, "top_p")), 0.5,
                                 1e-9);
  json_object_put(body);

  /* Bad provider options are config errors naming the option. */
  g_clear_error(&error);
  g_assert_false(make_client(f, p,
                             "{\"provider\": \"%s\", \"model\": \"m\", \"base_url\": \"%s\","
                             " \"max_tokens_field\": \"tokens\"}",
                             &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains_all(error->message, "max_tokens_field", "max_completion_tokens");
  g_clear_error(&error);
  g_assert_false(make_client(f, p,
                             "{\"provider\": \"%s\", \"model\": \"m\", \"base_url\": \"%s\","
                             " \"extra_body\": [1]}",
                             &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains(error->message, "extra_body");
}

static void
test_build_anthropic(Fixture *f, gconstpointer data)
{
  (void)data;
  const Provider *p = &providers[1];
  make_default_client(f, p);
  g_autoptr(InfLlmRequest) request = new_llm_request("Hello");
  inf_llm_request_add_message(request, "assistant", "Hi!");
  inf_llm_request_add_message(request, "user", "More");
  inf_llm_request_set_temperature(request, 1.7);
  g_autoptr(InfHttpRequest) http = build(f, request);

  g_autofree char *url = g_strconcat(inf_fake_llm_get_base_url(f->fake), p->path, NULL);
  g_assert_cmpstr(inf_http_request_get_url(http), ==, url);
  g_assert_cmpstr(inf_http_request_get_header(http, "x-api-key"), ==, SECRET);
  g_assert_true(inf_http_request_is_header_secret(http, "x-api-key"));
  g_assert_null(inf_http_request_get_header(http, "authorization"));
  g_assert_cmpstr(inf_http_request_get_header(http, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr(inf_http_request_get_header(http, "content-type"), ==, "application/json");
  json_object *body = body_json(http);
  g_assert_cmpstr(inf_test_json_get_string(body, "model"), ==, "test-model");
  g_assert_cmpstr(inf_test_json_get_string(body, "system"), ==, "You are terse.");
  g_assert_cmpint(json_object_array_length(inf_test_json_get(body, "messages")), ==, 3);
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/role"), ==, "user");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/1/role"), ==, "assistant");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/2/content"), ==, "More");
  /* max_tokens is required: the option's default fills in. */
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "max_tokens")), ==, 1024);
  /* Anthropic's temperatures stop at 1. */
  g_assert_cmpfloat_with_epsilon(json_object_get_double(inf_test_json_get(body, "temperature")),
                                 1.0, 1e-9);
  json_object_put(body);

  /* JSON mode: an instruction in the system prompt; the request's max tokens. */
  inf_llm_request_set_json_mode(request, TRUE);
  inf_llm_request_set_max_tokens(request, 77);
  g_autoptr(InfHttpRequest) http2 = build(f, request);
  body = body_json(http2);
  const char *system = inf_test_json_get_string(body, "system");
  g_assert_true(g_str_has_prefix(system, "You are terse.\n\n"));
  inf_test_assert_contains(system, "JSON object");
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "max_tokens")), ==, 77);
  json_object_put(body);

  /* Options: anthropic_version and max_tokens. */
  g_autoptr(GError) error = NULL;
  g_assert_true(make_client(f, p,
                            "{\"provider\": \"%s\", \"model\": \"m\", \"base_url\": \"%s\","
                            " \"api_key_env\": \"" KEY_ENV "\", \"anthropic_version\": "
                            "\"2024-01-01\", \"max_tokens\": 99}",
                            &error));
  g_autoptr(InfLlmRequest) plain = new_llm_request("x");
  g_autoptr(InfHttpRequest) http3 = build(f, plain);
  g_assert_cmpstr(inf_http_request_get_header(http3, "anthropic-version"), ==, "2024-01-01");
  g_assert_null(inf_http_request_get_header(http3, "anthropic-beta"));
  body = body_json(http3);
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "max_tokens")), ==, 99);
  json_object_put(body);

  /* The bearer form of the key (OAuth tokens, gateways), and a beta header. */
  g_assert_true(make_client(f, p,
                            "{\"provider\": \"%s\", \"model\": \"m\", \"base_url\": \"%s\","
                            " \"api_key_env\": \"" KEY_ENV "\", \"auth\": \"bearer\", "
                            "\"anthropic_beta\": \"output-128k-2025-02-19\"}",
                            &error));
  g_autoptr(InfHttpRequest) http4 = build(f, plain);
  g_assert_cmpstr(inf_http_request_get_header(http4, "authorization"), ==, "Bearer " SECRET);
  g_assert_true(inf_http_request_is_header_secret(http4, "authorization"));
  g_assert_null(inf_http_request_get_header(http4, "x-api-key"));
  g_assert_cmpstr(inf_http_request_get_header(http4, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr(inf_http_request_get_header(http4, "anthropic-beta"), ==,
                  "output-128k-2025-02-19");
  /* The default timeout is the SDKs' 10 minutes. */
  const InfAliasConfig *alias = inf_resources_config_lookup(f->config, "a");
  const InfEndpointConfig *endpoint = g_ptr_array_index(alias->endpoints, 0);
  g_assert_cmpfloat(endpoint->timeout, ==, 600.0);

  /* An API key is required: a clear error at start naming the alias. */
  g_assert_false(
      make_client(f, p, "{\"provider\": \"%s\", \"model\": \"m\", \"base_url\": \"%s\"}", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains_all(error->message, "api_key_env", "'a'");
}

static void
test_build_ollama(Fixture *f, gconstpointer data)
{
  (void)data;
  const Provider *p = &providers[2];
  g_autoptr(GError) error = NULL;
  g_assert_true(make_client(f, p,
                            "{\"provider\": \"%s\", \"model\": \"llama3\", \"base_url\": \"%s\","
                            " \"keep_alive\": \"10m\", \"num_ctx\": 4096,"
                            " \"options\": {\"top_k\": 20}}",
                            &error));
  g_assert_no_error(error);
  g_autoptr(InfLlmRequest) request = new_llm_request("Hello");
  inf_llm_request_set_temperature(request, 0.0);
  inf_llm_request_set_max_tokens(request, 12);
  inf_llm_request_set_json_mode(request, TRUE);
  g_autoptr(InfHttpRequest) http = build(f, request);
  g_autofree char *url = g_strconcat(inf_fake_llm_get_base_url(f->fake), p->path, NULL);
  g_assert_cmpstr(inf_http_request_get_url(http), ==, url);
  g_assert_null(inf_http_request_get_header(http, "authorization"));
  json_object *body = body_json(http);
  g_assert_cmpstr(inf_test_json_get_string(body, "model"), ==, "llama3");
  g_assert_false(json_object_get_boolean(inf_test_json_get(body, "stream")));
  g_assert_true(json_object_is_type(inf_test_json_get(body, "stream"), json_type_boolean));
  g_assert_cmpstr(inf_test_json_get_string(body, "format"), ==, "json");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/0/role"), ==, "system");
  g_assert_cmpstr(inf_test_json_get_string(body, "messages/1/content"), ==, "Hello");
  g_assert_nonnull(inf_test_json_get(body, "options/temperature"));
  g_assert_cmpfloat(json_object_get_double(inf_test_json_get(body, "options/temperature")), ==,
                    0.0);
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "options/num_predict")), ==, 12);
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "options/num_ctx")), ==, 4096);
  g_assert_cmpint(json_object_get_int64(inf_test_json_get(body, "options/top_k")), ==, 20);
  g_assert_cmpstr(inf_test_json_get_string(body, "keep_alive"), ==, "10m");
  json_object_put(body);

  /* A key, when configured (a proxy in front), goes as a secret header. */
  make_default_client(f, p);
  g_autoptr(InfHttpRequest) http2 = build(f, request);
  g_assert_cmpstr(inf_http_request_get_header(http2, "Authorization"), ==, "Bearer " SECRET);
  g_assert_true(inf_http_request_is_header_secret(http2, "authorization"));
}

/* --- what they make of the fake's replies ------------------------------- */

typedef struct {
  Fixture *f;
  InfLlmRequest *request;
  gboolean done;
  gboolean ok;
  InfLlmResponse *response;
  GError *error;
  gint64 retry_after_ms;
} Exchange;

static void
on_http_done(InfHttpRequest *http, const InfHttpResponse *response, const GError *error,
             gpointer user_data)
{
  (void)http;
  Exchange *x = user_data;
  x->done = TRUE;
  if (error != NULL) {
    x->error = g_error_copy(error);
    return;
  }
  x->response = inf_llm_response_new();
  x->retry_after_ms = inf_http_response_get_retry_after_ms(response);
  x->ok = x->f->klass->parse_response(x->f->client, x->request, response, x->response, &x->error);
  g_assert_true(x->ok == (x->error == NULL));
}

/* Sends one request with the client and parses the reply. */
static void
exchange(Fixture *f, Exchange *x, const char *prompt, gboolean json_mode)
{
  memset(x, 0, sizeof *x);
  x->f = f;
  x->retry_after_ms = -1;
  x->request = new_llm_request(prompt);
  inf_llm_request_set_json_mode(x->request, json_mode);
  InfHttpRequest *http = build(f, x->request);
  inf_http_request_set_timeout_ms(http, 30000);
  inf_http_session_send(f->session, http, on_http_done, x);
  while (!x->done)
    g_main_context_iteration(f->context, TRUE);
}

static void
exchange_clear(Exchange *x)
{
  inf_llm_request_unref(x->request);
  g_clear_pointer(&x->response, inf_llm_response_free);
  g_clear_error(&x->error);
}

static void
assert_no_secret(const GError *error)
{
  if (error != NULL)
    g_assert_null(strstr(error->message, SECRET));
}

static void
test_replies(Fixture *f, gconstpointer data)
{
  const Provider *p = data;
  make_default_client(f, p);
  Exchange x;

  /* A good reply. */
  exchange(f, &x, "Hello there", FALSE);
  g_assert_no_error(x.error);
  g_assert_cmpstr(inf_llm_response_get_content(x.response), ==, "echo: Hello there");
  g_assert_cmpint(inf_llm_response_get_input_tokens(x.response), >, 0);
  g_assert_cmpint(inf_llm_response_get_output_tokens(x.response), ==, 5);
  g_assert_cmpstr(inf_llm_response_get_finish_reason(x.response), ==, "stop");
  g_assert_cmpstr(inf_llm_response_get_model(x.response), ==, "test-model");
  g_assert_cmpstr(inf_fake_llm_get_last_path(f->fake), ==, p->path);
  g_assert_cmpuint(inf_fake_llm_count_api_key(f->fake, SECRET), ==, 1);
  exchange_clear(&x);

  /* JSON mode: the fake answers with an object (it saw the request ask). */
  exchange(f, &x, "Give JSON", TRUE);
  g_assert_no_error(x.error);
  json_object *parsed = json_tokener_parse(inf_llm_response_get_content(x.response));
  g_assert_nonnull(parsed);
  g_assert_cmpstr(inf_test_json_get_string(parsed, "echo"), ==, "echo: Give JSON");
  json_object_put(parsed);
  exchange_clear(&x);

  /* Cut by max tokens: finish reason "length". */
  x.request = NULL;
  {
    memset(&x, 0, sizeof x);
    x.f = f;
    x.request = new_llm_request("a prompt long enough to be cut by max tokens");
    inf_llm_request_set_max_tokens(x.request, 2);
    inf_http_session_send(f->session, build(f, x.request), on_http_done, &x);
    while (!x.done)
      g_main_context_iteration(f->context, TRUE);
    g_assert_no_error(x.error);
    g_assert_cmpstr(inf_llm_response_get_finish_reason(x.response), ==, "length");
    g_assert_cmpint(inf_llm_response_get_output_tokens(x.response), ==, 2);
    exchange_clear(&x);
  }

  struct {
    const char *script;
    InfErrorCode code;
    const char *in_message;
    gint64 retry_after_ms;
  } cases[] = {
    { "429 retry-after=2", INF_ERROR_RATE_LIMITED, "429", 2000 },
    { "429", INF_ERROR_RATE_LIMITED, "scripted status 429", -1 },
    { "429 retry-after-ms=250", INF_ERROR_RATE_LIMITED, "429", 250 },
    { "500", INF_ERROR_SERVER, "scripted status 500", -1 },
    { "503 retry-after=1", INF_ERROR_SERVER, "scripted status 503", 1000 },
    { "529", INF_ERROR_SERVER, "scripted status 529", -1 },
    { "502", INF_ERROR_SERVER, "502", -1 },
    { "408", INF_ERROR_SERVER, "408", -1 },
    { "409", INF_ERROR_SERVER, "409", -1 },
    { "400", INF_ERROR_HTTP_STATUS, "scripted status 400", -1 },
    { "404", INF_ERROR_HTTP_STATUS, "scripted status 404", -1 },
    { "401", INF_ERROR_HTTP_STATUS, "scripted status 401", -1 },
    { "malformed", INF_ERROR_BAD_RESPONSE, "invalid JSON", -1 },
    { "truncated", INF_ERROR_BAD_RESPONSE, "truncated", -1 },
    { "missing", INF_ERROR_BAD_RESPONSE, "missing", -1 },
    /* On a reused connection libcurl resends once on a fresh one when the
     * old one dies before any reply byte: drop both. */
    { "drop x2", INF_ERROR_TRANSPORT, p->path, -1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_assert_true(inf_fake_llm_push_script(f->fake, cases[i].script, NULL));
    exchange(f, &x, "scripted", FALSE);
    g_test_message("%s %s: %s", p->provider, cases[i].script,
                   x.error != NULL ? x.error->message : "(no error)");
    g_assert_error(x.error, INF_ERROR, (gint)cases[i].code);
    inf_test_assert_contains(x.error->message, cases[i].in_message);
    if (cases[i].code != INF_ERROR_TRANSPORT)
      g_assert_true(g_str_has_prefix(x.error->message, p->provider));
    g_assert_cmpint(x.retry_after_ms, ==, cases[i].retry_after_ms);
    assert_no_secret(x.error);
    g_assert_cmpuint(inf_fake_llm_get_script_length(f->fake), ==, 0);
    exchange_clear(&x);
  }

  /* What "missing" names, per format. */
  const char *missing = g_str_equal(p->provider, "openai")      ? "missing \"choices\""
                        : g_str_equal(p->provider, "anthropic") ? "missing \"content\""
                                                                : "missing \"message\"";
  g_assert_true(inf_fake_llm_push_script(f->fake, "missing", NULL));
  exchange(f, &x, "scripted", FALSE);
  inf_test_assert_contains(x.error->message, missing);
  exchange_clear(&x);

  /* OpenAI's insufficient_quota 429 is not retryable. */
  g_assert_true(inf_fake_llm_push_script(f->fake, "quota", NULL));
  exchange(f, &x, "scripted", FALSE);
  if (g_str_equal(p->provider, "openai")) {
    g_assert_error(x.error, INF_ERROR, INF_ERROR_HTTP_STATUS);
    inf_test_assert_contains_all(x.error->message, "insufficient_quota",
                                 "exceeded your current quota");
  } else {
    g_assert_error(x.error, INF_ERROR, INF_ERROR_RATE_LIMITED);
  }
  exchange_clear(&x);

  /* The fake's own rate limiter: 429 with Retry-After. */
  inf_fake_llm_set_rate_limit(f->fake, 0.5, 1);
  exchange(f, &x, "first", FALSE);
  g_assert_no_error(x.error);
  exchange_clear(&x);
  exchange(f, &x, "second", FALSE);
  g_assert_error(x.error, INF_ERROR, INF_ERROR_RATE_LIMITED);
  g_assert_cmpint(x.retry_after_ms, >, 0);
  exchange_clear(&x);
  InfFakeStats stats;
  inf_fake_llm_get_stats(f->fake, &stats);
  g_assert_cmpuint(stats.rejected, ==, 1);
  g_assert_cmpuint(stats.invalid, ==, 0); /* every request was well-formed */
  g_assert_cmpuint(inf_fake_llm_count_api_key(f->fake, SECRET), ==, stats.requests);
}

/* Replies built by hand: what the fake does not produce. */
static InfLlmResponse *
parse(Fixture *f, guint status, const char *body, const char *header, const char *value,
      GError **error)
{
  g_autoptr(InfHttpResponse) http = inf_http_response_new(status, body, -1);
  if (header != NULL)
    inf_http_response_add_header(http, header, value);
  g_autoptr(InfLlmRequest) request = new_llm_request("x");
  InfLlmResponse *response = inf_llm_response_new();
  if (!f->klass->parse_response(f->client, request, http, response, error))
    g_clear_pointer(&response, inf_llm_response_free);
  return response;
}

/* Parsing the reply @status @body (with one header @header: @value when
 * @header is not NULL) fails with @code and a message containing @expected
 * (NULL: not checked). */
static void
expect_parse_error(Fixture *f, guint status, const char *body, const char *header,
                   const char *value, gint code, const char *expected)
{
  g_autoptr(GError) error = NULL;
  InfLlmResponse *response = parse(f, status, body, header, value, &error);
  g_assert_null(response);
  g_assert_error(error, INF_ERROR, code);
  if (expected != NULL)
    inf_test_assert_contains(error->message, expected);
}

static void
test_parse_edges(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  InfLlmResponse *response;

  /* The server echoing the key in a message: scrubbed. */
  for (guint i = 0; i < G_N_ELEMENTS(providers); i++) {
    make_default_client(f, &providers[i]);
    response = parse(f, 401,
                     "{\"error\": {\"message\": \"Incorrect API key provided: " SECRET "\", "
                     "\"type\": \"invalid_request_error\"}, \"type\": \"error\"}",
                     NULL, NULL, &error);
    g_assert_null(response);
    g_assert_error(error, INF_ERROR, INF_ERROR_HTTP_STATUS);
    g_assert_null(strstr(error->message, SECRET));
    inf_test_assert_contains(error->message, "[redacted]");
    g_clear_error(&error);
    /* An HTML error page from a proxy: quoted on one line, cut. */
    g_autofree char *page = g_strdup_printf("<html>\n<body>%0800d</body></html>", 0);
    response = parse(f, 502, page, NULL, NULL, &error);
    g_assert_error(error, INF_ERROR, INF_ERROR_SERVER);
    g_assert_null(strchr(error->message, '\n'));
    g_assert_cmpuint(strlen(error->message), <, 500);
    g_clear_error(&error);
    /* An empty 2xx body. */
    expect_parse_error(f, 200, "", NULL, NULL, INF_ERROR_BAD_RESPONSE, "empty");
    /* JSON that is not an object. */
    expect_parse_error(f, 200, "[1, 2]", NULL, NULL, INF_ERROR_BAD_RESPONSE, NULL);
  }

  /* OpenAI: x-should-retry, null content with a refusal, other finish reasons. */
  make_default_client(f, &providers[0]);
  expect_parse_error(f, 500, "{\"error\": {\"message\": \"boom\"}}", "x-should-retry", "false",
                     INF_ERROR_HTTP_STATUS, NULL);
  expect_parse_error(f, 400, "{\"error\": {\"message\": \"later\"}}", "x-should-retry", "true",
                     INF_ERROR_SERVER, NULL);
  response = parse(f, 200,
                   "{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": null, "
                   "\"refusal\": \"no\"}, \"finish_reason\": null}]}",
                   NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_llm_response_get_content(response), ==, "");
  g_assert_cmpstr(inf_llm_response_get_finish_reason(response), ==, "refusal");
  g_assert_cmpstr(inf_llm_response_get_refusal(response), ==, "no");
  g_assert_cmpstr(inf_llm_response_get_model(response), ==, "test-model");
  g_assert_cmpint(inf_llm_response_get_input_tokens(response), ==, 0);
  inf_llm_response_free(response);
  response = parse(f, 200,
                   "{\"choices\": [{\"message\": {\"content\": \"x\"}, \"finish_reason\": "
                   "\"function_call\"}], \"usage\": {\"prompt_tokens\": 3, "
                   "\"completion_tokens\": 4}, \"model\": \"gpt-x\"}",
                   NULL, NULL, &error);
  g_assert_cmpstr(inf_llm_response_get_finish_reason(response), ==, "tool_calls");
  g_assert_cmpint(inf_llm_response_get_input_tokens(response), ==, 3);
  g_assert_cmpint(inf_llm_response_get_output_tokens(response), ==, 4);
  g_assert_cmpstr(inf_llm_response_get_model(response), ==, "gpt-x");
  inf_llm_response_free(response);
  expect_parse_error(f, 200, "{\"choices\": [{\"message\": {\"content\": 5}}]}", NULL, NULL,
                     INF_ERROR_BAD_RESPONSE, "choices[0].message.content");
  expect_parse_error(f, 200, "{\"choices\": []}", NULL, NULL, INF_ERROR_BAD_RESPONSE, "empty");
  response = parse(f, 200, "{\"choices\": [{}]}", NULL, NULL, &error);
  inf_test_assert_contains(error->message, "choices[0].message");
  g_clear_error(&error);
  expect_parse_error(f, 200, "{\"choices\": [{\"message\": {}}]} trailing", NULL, NULL,
                     INF_ERROR_BAD_RESPONSE, NULL);

  /* Anthropic: several text blocks, stop reasons, cache tokens. */
  make_default_client(f, &providers[1]);
  response = parse(f, 200,
                   "{\"type\": \"message\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, "
                   "{\"type\": \"text\", \"text\": \"b\"}], \"stop_reason\": \"max_tokens\", "
                   "\"usage\": {\"input_tokens\": 5, \"cache_read_input_tokens\": 10, "
                   "\"output_tokens\": 2}, \"model\": \"claude-x\"}",
                   NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_llm_response_get_content(response), ==, "ab");
  g_assert_cmpstr(inf_llm_response_get_finish_reason(response), ==, "length");
  g_assert_cmpint(inf_llm_response_get_input_tokens(response), ==, 15);
  g_assert_cmpint(inf_llm_response_get_output_tokens(response), ==, 2);
  inf_llm_response_free(response);
  const char *reasons[][2] = { { "end_turn", "stop" },
                               { "stop_sequence", "stop" },
                               { "tool_use", "tool_calls" },
                               { "refusal", "refusal" },
                               { "pause_turn", "pause" },
                               { "model_context_window_exceeded", "length" },
                               { "something_new", "something_new" } };
  for (guint i = 0; i < G_N_ELEMENTS(reasons); i++) {
    g_autofree char *body = g_strdup_printf(
        "{\"content\": [{\"type\": \"text\", \"text\": \"t\"}], \"stop_reason\": \"%s\"}",
        reasons[i][0]);
    response = parse(f, 200, body, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(inf_llm_response_get_finish_reason(response), ==, reasons[i][1]);
    inf_llm_response_free(response);
  }
  expect_parse_error(f, 200,
                     "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
                     "\"message\": \"Overloaded\"}}",
                     NULL, NULL, INF_ERROR_BAD_RESPONSE, "Overloaded");
  expect_parse_error(f, 529,
                     "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
                     "\"message\": \"Overloaded\"}}",
                     NULL, NULL, INF_ERROR_SERVER, "overloaded_error");

  /* Ollama: done_reason and counts; a missing model name falls back. */
  make_default_client(f, &providers[2]);
  response = parse(f, 200,
                   "{\"message\": {\"role\": \"assistant\", \"content\": \"hi\"}, \"done\": true,"
                   " \"done_reason\": \"length\", \"prompt_eval_count\": 8, \"eval_count\": 9}",
                   NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_llm_response_get_content(response), ==, "hi");
  g_assert_cmpstr(inf_llm_response_get_finish_reason(response), ==, "length");
  g_assert_cmpint(inf_llm_response_get_input_tokens(response), ==, 8);
  g_assert_cmpint(inf_llm_response_get_output_tokens(response), ==, 9);
  g_assert_cmpstr(inf_llm_response_get_model(response), ==, "test-model");
  inf_llm_response_free(response);
  response = parse(f, 404, "{\"error\": \"model 'x' not found, try pulling it first\"}", NULL, NULL,
                   &error);
  g_assert_error(error, INF_ERROR, INF_ERROR_HTTP_STATUS);
  inf_test_assert_contains(error->message, "try pulling it first");
  g_clear_error(&error);
  expect_parse_error(f, 200, "{\"message\": {\"role\": \"assistant\"}}", NULL, NULL,
                     INF_ERROR_BAD_RESPONSE, "message.content");
}

/* Every reply shape of the fake, per provider: the documented outcome. */
typedef struct {
  const char *script;
  const char *finish;  /* the normalized finish reason */
  const char *content; /* NULL: do not check */
  const char *refusal; /* NULL: none */
  gboolean reasoning;  /* reasoning text expected, apart from the content */
  gint64 reasoning_tokens;
} Shape;

static void
test_reply_shapes(Fixture *f, gconstpointer data)
{
  const Provider *p = data;
  gboolean openai = g_str_equal(p->provider, "openai");
  gboolean anthropic = g_str_equal(p->provider, "anthropic");
  make_default_client(f, p);
  const Shape common[] = {
    { "ok", "stop", "echo: shapes", NULL, FALSE, 0 },
    { "think", "stop", "echo: shapes", NULL, TRUE, openai ? 64 : 0 },
    { "reasoning", "length", "", NULL, TRUE, openai ? 64 : 0 },
  };
  const Shape openai_shapes[] = {
    { "finish=length", "length", "echo: shapes", NULL, FALSE, 0 },
    { "finish=content_filter", "content_filter", NULL, NULL, FALSE, 0 },
    { "finish=tool_calls", "tool_calls", NULL, NULL, FALSE, 0 },
    { "finish=function_call", "tool_calls", NULL, NULL, FALSE, 0 },
    { "refusal", "refusal", "", "fake: I can't help with that.", FALSE, 0 },
  };
  const Shape anthropic_shapes[] = {
    { "finish=max_tokens", "length", "echo: shapes", NULL, FALSE, 0 },
    { "finish=stop_sequence", "stop", NULL, NULL, FALSE, 0 },
    { "finish=pause_turn", "pause", NULL, NULL, FALSE, 0 },
    { "finish=tool_use", "tool_calls", NULL, NULL, FALSE, 0 },
    { "refusal", "refusal", "fake: I can't help with that.", "fake: I can't help with that.", FALSE,
      0 },
  };
  const Shape ollama_shapes[] = {
    { "finish=length", "length", "echo: shapes", NULL, FALSE, 0 },
    { "finish=load", "load", NULL, NULL, FALSE, 0 },
  };
  const Shape *own = openai ? openai_shapes : anthropic ? anthropic_shapes : ollama_shapes;
  guint n_own = openai      ? G_N_ELEMENTS(openai_shapes)
                : anthropic ? G_N_ELEMENTS(anthropic_shapes)
                            : G_N_ELEMENTS(ollama_shapes);
  for (guint i = 0; i < G_N_ELEMENTS(common) + n_own; i++) {
    const Shape *shape = i < G_N_ELEMENTS(common) ? &common[i] : &own[i - G_N_ELEMENTS(common)];
    Exchange x;
    g_assert_true(inf_fake_llm_push_script(f->fake, shape->script, NULL));
    exchange(f, &x, "shapes", FALSE);
    g_test_message("%s %s", p->provider, shape->script);
    g_assert_no_error(x.error);
    g_assert_cmpstr(inf_llm_response_get_finish_reason(x.response), ==, shape->finish);
    if (shape->content != NULL)
      g_assert_cmpstr(inf_llm_response_get_content(x.response), ==, shape->content);
    g_assert_cmpstr(inf_llm_response_get_refusal(x.response), ==, shape->refusal);
    const char *reasoning = inf_llm_response_get_reasoning(x.response);
    if (shape->reasoning) {
      g_assert_cmpstr(reasoning, ==, "fake: thinking it over step by step.");
      g_assert_null(strstr(inf_llm_response_get_content(x.response), "thinking"));
    } else {
      g_assert_null(reasoning);
    }
    g_assert_cmpint(inf_llm_response_get_reasoning_tokens(x.response), ==, shape->reasoning_tokens);
    g_assert_cmpint(inf_llm_response_get_output_tokens(x.response), >, 0);
    exchange_clear(&x);
  }

  /* Error bodies of every common shape give the server's message. */
  const struct {
    const char *script;
    const char *message;
  } bodies[] = {
    { "400 errbody=plain", "fake: scripted status 400" },
    { "400 errbody=split", "Bad Request: fake: scripted status 400" },
    { "422 errbody=detail", "fake: scripted status 422" },
    { "400 errbody=nested", "fake: scripted status 400" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
    Exchange x;
    g_assert_true(inf_fake_llm_push_script(f->fake, bodies[i].script, NULL));
    exchange(f, &x, "bodies", FALSE);
    g_test_message("%s %s: %s", p->provider, bodies[i].script, x.error->message);
    g_assert_error(x.error, INF_ERROR, INF_ERROR_HTTP_STATUS);
    inf_test_assert_contains(x.error->message, bodies[i].message);
    g_assert_null(strstr(x.error->message, "{"));
    exchange_clear(&x);
  }
}

/* Usage is read even from a reply that is then rejected. */
static void
test_usage_of_bad_replies(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  make_default_client(f, &providers[0]);
  g_autoptr(InfHttpResponse) http = inf_http_response_new(
      200,
      "{\"choices\": [{\"message\": {\"content\": null}, \"finish_reason\": \"stop\"}], "
      "\"usage\": {\"prompt_tokens\": 7, \"completion_tokens\": 9}}",
      -1);
  g_autoptr(InfLlmRequest) request = new_llm_request("x");
  g_autoptr(InfLlmResponse) response = inf_llm_response_new();
  g_assert_false(f->klass->parse_response(f->client, request, http, response, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  g_assert_cmpint(inf_llm_response_get_input_tokens(response), ==, 7);
  g_assert_cmpint(inf_llm_response_get_output_tokens(response), ==, 9);
}

/* The same through the resource manager: retries, then the final error. */
typedef struct {
  gboolean done;
  GError *error;
  char *content;
} ManagerResult;

static void
on_manager_done(const InfLlmResponse *response, const GError *error, gpointer user_data)
{
  ManagerResult *r = user_data;
  r->done = TRUE;
  if (error != NULL)
    r->error = g_error_copy(error);
  else
    r->content = g_strdup(inf_llm_response_get_content(response));
}

static void
test_through_manager(Fixture *f, gconstpointer data)
{
  const Provider *p = data;
  g_autoptr(GError) error = NULL;
  g_assert_true(make_client(f, p,
                            "{\"provider\": \"%s\", \"model\": \"test-model\", \"base_url\": "
                            "\"%s\", \"api_key_env\": \"" KEY_ENV "\", \"max_retries\": 2, "
                            "\"retry_delay\": 0.01}",
                            &error));
  /* Two transient failures, then success. */
  g_assert_true(inf_fake_llm_push_script(f->fake, "503; malformed", NULL));
  g_autoptr(InfLlmRequest) request = new_llm_request("through the manager");
  ManagerResult r = { 0 };
  inf_resource_manager_send(f->manager, f->client, request, on_manager_done, &r);
  while (!r.done)
    g_main_context_iteration(NULL, TRUE);
  g_assert_no_error(r.error);
  g_assert_cmpstr(r.content, ==, "echo: through the manager");
  g_free(r.content);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 3);

  /* Retries exhausted: the last error, naming the alias. */
  memset(&r, 0, sizeof r);
  g_assert_true(inf_fake_llm_push_script(f->fake, "500 x3", NULL));
  inf_resource_manager_send(f->manager, f->client, request, on_manager_done, &r);
  while (!r.done)
    g_main_context_iteration(NULL, TRUE);
  g_assert_error(r.error, INF_ERROR, INF_ERROR_SERVER);
  inf_test_assert_contains(r.error->message, "'a'");
  g_assert_null(strstr(r.error->message, SECRET));
  g_clear_error(&r.error);
  g_assert_cmpuint(inf_test_fake_requests(f->fake), ==, 6);
}

/* Regression: "\u0000" in a reply cut the content short silently; the NUL
 * becomes U+FFFD and the rest is kept. */
static void
test_nul_in_reply(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *bodies[] = {
    "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": "
    "\"a\\u0000b\"}, \"finish_reason\": \"stop\"}], \"usage\": {\"prompt_tokens\": 1, "
    "\"completion_tokens\": 1}}",
    "{\"type\": \"message\", \"role\": \"assistant\", \"content\": [{\"type\": \"text\", "
    "\"text\": \"a\\u0000b\"}], \"stop_reason\": \"end_turn\", \"usage\": {\"input_tokens\": "
    "1, \"output_tokens\": 1}}",
    "{\"message\": {\"role\": \"assistant\", \"content\": \"a\\u0000b\"}, \"done\": true, "
    "\"done_reason\": \"stop\", \"prompt_eval_count\": 1, \"eval_count\": 1}",
  };
  G_STATIC_ASSERT(G_N_ELEMENTS(bodies) == G_N_ELEMENTS(providers));
  for (guint i = 0; i < G_N_ELEMENTS(providers); i++) {
    g_autoptr(GError) error = NULL;
    make_default_client(f, &providers[i]);
    InfLlmResponse *response = parse(f, 200, bodies[i], NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(response);
    g_assert_cmpstr(inf_llm_response_get_content(response), ==,
                    "a\xef\xbf\xbd"
                    "b");
    inf_llm_response_free(response);
  }
}

/* Regressions of the adversarial pass: a 302 said "(empty body)" instead of
 * naming its Location; a 300 KB response header was "Out of memory". */
static void
test_hostile_headers(Fixture *f, gconstpointer data)
{
  const Provider *p = data;
  make_default_client(f, p);
  Exchange x;

  g_assert_true(inf_fake_llm_push_script(
      f->fake, "302 header=Location:https://elsewhere.example/v2?key=hidden", NULL));
  exchange(f, &x, "moved", FALSE);
  g_assert_error(x.error, INF_ERROR, INF_ERROR_HTTP_STATUS);
  if (strstr(x.error->message, "HTTP 302 from ") == NULL ||
      strstr(x.error->message, "redirected to https://elsewhere.example/v2 (redirects are not "
                               "followed: set base_url to the URL that answers)") == NULL)
    g_error("unexpected: %s", x.error->message);
  g_assert_null(strstr(x.error->message, "hidden"));
  exchange_clear(&x);

  /* one 300 KB line (curl's own limit), then many lines over ours */
  g_assert_true(inf_fake_llm_push_script(f->fake, "bigheader=300000", NULL));
  exchange(f, &x, "big", FALSE);
  g_assert_error(x.error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  if (strstr(x.error->message, "too large (over 100 KiB)") == NULL)
    g_error("unexpected: %s", x.error->message);
  g_assert_null(strstr(x.error->message, "memory"));
  exchange_clear(&x);
  g_assert_true(inf_fake_llm_push_script(f->fake, "bigheaders=300000", NULL));
  exchange(f, &x, "big", FALSE);
  g_assert_error(x.error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  if (strstr(x.error->message, "too large (over 100 KiB)") == NULL)
    g_error("unexpected: %s", x.error->message);
  exchange_clear(&x);

  /* and the next request is fine */
  exchange(f, &x, "after", FALSE);
  g_assert_no_error(x.error);
  exchange_clear(&x);
}

/* Regressions of the adversarial pass: the key echoed in OpenAI's
 * error.code/error.type or Anthropic's error.type was shown; a key with a
 * trailing newline was sent trimmed but redacted untrimmed; a key with a line
 * break inside warned on every request instead of failing at start. */
static void
test_secrets_in_errors(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(providers); i++) {
    make_default_client(f, &providers[i]);
    InfLlmResponse *response =
        parse(f, 401,
              "{\"error\": {\"message\": \"denied\", \"type\": \"Bearer " SECRET "\", "
              "\"code\": \"" SECRET "\"}, \"type\": \"error\"}",
              NULL, NULL, &error);
    g_assert_null(response);
    g_assert_nonnull(error);
    if (strstr(error->message, "SECRET") != NULL)
      g_error("%s: the key is shown: %s", providers[i].provider, error->message);
    if (i < 2) /* openai and anthropic quote type/code */
      inf_test_assert_contains(error->message, "[redacted]");
    g_clear_error(&error);
  }

  /* A key from a file with a final newline: sent trimmed, redacted as sent. */
  g_setenv(KEY_ENV, "  " SECRET "\n", TRUE);
  make_default_client(f, &providers[0]);
  g_assert_cmpstr(inf_client_get_api_key(f->client), ==, SECRET);
  InfLlmResponse *response =
      parse(f, 401, "{\"error\": {\"message\": \"bad key " SECRET "\"}}", NULL, NULL, &error);
  g_assert_null(response);
  g_assert_null(strstr(error->message, "SECRET"));
  inf_test_assert_contains(error->message, "bad key [redacted]");
  g_clear_error(&error);

  /* A line break inside: an error when the client is made, not per request. */
  g_setenv(KEY_ENV, "sk-one\nX-Injected: 1", TRUE);
  g_assert_false(make_client(f, &providers[0],
                             "{\"provider\": \"%s\", \"base_url\": \"%s\", \"api_key_env\": "
                             "\"" KEY_ENV "\"}",
                             &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains(error->message, "api_key_env: the API key in " KEY_ENV " for alias 'a' "
                                           "contains a line break or another control character");
  g_assert_null(strstr(error->message, "sk-one"));
  g_clear_error(&error);
  g_setenv(KEY_ENV, " \n", TRUE);
  g_assert_false(make_client(f, &providers[0],
                             "{\"provider\": \"%s\", \"base_url\": \"%s\", \"api_key_env\": "
                             "\"" KEY_ENV "\"}",
                             &error));
  inf_test_assert_contains(error->message, "is only white space");
  g_setenv(KEY_ENV, SECRET, TRUE);
}

/* --- streaming ------------------------------------------------------------ */

typedef struct {
  gboolean done;
  GError *error;
  char *content;
  char *finish;
  char *reasoning;
  char *refusal;
  gint64 input, output, reasoning_tokens;
} Outcome;

static void
on_outcome(const InfLlmResponse *response, const GError *error, gpointer user_data)
{
  Outcome *o = user_data;
  o->done = TRUE;
  if (error != NULL) {
    o->error = g_error_copy(error);
    return;
  }
  o->content = g_strdup(inf_llm_response_get_content(response));
  o->finish = g_strdup(inf_llm_response_get_finish_reason(response));
  o->reasoning = g_strdup(inf_llm_response_get_reasoning(response));
  o->refusal = g_strdup(inf_llm_response_get_refusal(response));
  o->input = inf_llm_response_get_input_tokens(response);
  o->output = inf_llm_response_get_output_tokens(response);
  o->reasoning_tokens = inf_llm_response_get_reasoning_tokens(response);
}

static void
outcome_clear(Outcome *o)
{
  g_clear_error(&o->error);
  g_free(o->content);
  g_free(o->finish);
  g_free(o->reasoning);
  g_free(o->refusal);
  memset(o, 0, sizeof *o);
}

/* One call through the manager with @script queued at the fake. */
static void
call_with(Fixture *f, const char *script, const char *prompt, gboolean json_mode, Outcome *o)
{
  memset(o, 0, sizeof *o);
  if (script != NULL)
    g_assert_true(inf_fake_llm_push_script(f->fake, script, NULL));
  g_autoptr(InfLlmRequest) request = new_llm_request(prompt);
  inf_llm_request_set_max_tokens(request, 50);
  inf_llm_request_set_json_mode(request, json_mode);
  inf_resource_manager_send(f->manager, f->client, request, on_outcome, o);
  while (!o->done)
    g_main_context_iteration(NULL, TRUE);
}

static void
test_stream(Fixture *f, gconstpointer data)
{
  const Provider *p = data;
  const char *endpoint = "{\"provider\": \"%s\", \"model\": \"test-model\", \"base_url\": "
                         "\"%s\", \"api_key_env\": \"" KEY_ENV "\", \"max_retries\": 1, "
                         "\"retry_delay\": 0.01%s}";
  g_autofree char *plain = g_strdup_printf(endpoint, "%s", "%s", "");
  g_autofree char *streamed = g_strdup_printf(endpoint, "%s", "%s", ", \"stream\": true");
  const char *scripts[] = { "ok", "think", "reasoning", "refusal", "finish=length", "big=3000" };
  for (guint i = 0; i < G_N_ELEMENTS(scripts); i++) {
    for (guint json = 0; json < 2; json++) {
      Outcome one, many;
      g_autoptr(GError) error = NULL;
      g_assert_true(make_client(f, p, plain, &error));
      call_with(f, scripts[i], "Stream me a reply, please", json, &one);
      g_assert_true(make_client(f, p, streamed, &error));
      call_with(f, scripts[i], "Stream me a reply, please", json, &many);
      g_test_message("%s %s: %s", p->provider, scripts[i], many.error ? many.error->message : "");
      /* The fake saw a streaming request and answered as a stream. */
      json_object *body = inf_fake_llm_get_last_body(f->fake);
      g_assert_true(json_object_get_boolean(inf_test_json_get(body, "stream")));
      if (g_str_equal(p->provider, "openai"))
        g_assert_true(
            json_object_get_boolean(inf_test_json_get(body, "stream_options/include_usage")));
      g_assert_no_error(one.error);
      g_assert_no_error(many.error);
      g_assert_cmpstr(many.content, ==, one.content);
      g_assert_cmpstr(many.finish, ==, one.finish);
      g_assert_cmpstr(many.reasoning, ==, one.reasoning);
      g_assert_cmpstr(many.refusal, ==, one.refusal);
      g_assert_cmpint(many.input, ==, one.input);
      g_assert_cmpint(many.output, ==, one.output);
      g_assert_cmpint(many.reasoning_tokens, ==, one.reasoning_tokens);
      g_assert_cmpint(many.output, >, 0);
      outcome_clear(&one);
      outcome_clear(&many);
    }
  }

  /* A stream that breaks off with an error event, or ends early: retried,
   * then the error. */
  g_autoptr(GError) error = NULL;
  g_assert_true(make_client(f, p, streamed, &error));
  Outcome o;
  call_with(f, "stream-error x2", "x", FALSE, &o);
  g_assert_error(o.error, INF_ERROR, INF_ERROR_SERVER);
  inf_test_assert_contains_all(o.error->message, "fake: the stream broke off",
                               "(after 2 attempts)");
  outcome_clear(&o);
  call_with(f, "stream-cut x2", "x", FALSE, &o);
  g_assert_error(o.error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  inf_test_assert_contains(o.error->message, "cut short");
  g_assert_true(g_str_has_prefix(o.error->message, "alias 'a': "));
  outcome_clear(&o);
  /* Once, then a good stream. */
  call_with(f, "stream-cut", "once more", FALSE, &o);
  g_assert_no_error(o.error);
  g_assert_cmpstr(o.content, ==, "echo: once more");
  outcome_clear(&o);
  /* A non-2xx reply to a streaming request is read whole, as usual. */
  call_with(f, "400 errbody=split", "x", FALSE, &o);
  g_assert_error(o.error, INF_ERROR, INF_ERROR_HTTP_STATUS);
  inf_test_assert_contains(o.error->message, "Bad Request: fake: scripted status 400");
  outcome_clear(&o);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_setenv(KEY_ENV, SECRET, TRUE);
#define ADD(path, data, fn) g_test_add(path, Fixture, data, fixture_set_up, fn, fixture_tear_down)
  ADD("/http/clients/openai/build", NULL, test_build_openai);
  ADD("/http/clients/anthropic/build", NULL, test_build_anthropic);
  ADD("/http/clients/ollama/build", NULL, test_build_ollama);
  ADD("/http/clients/parse-edges", NULL, test_parse_edges);
  ADD("/http/clients/secrets-in-errors", NULL, test_secrets_in_errors);
  ADD("/http/clients/nul-in-reply", NULL, test_nul_in_reply);
  ADD("/http/clients/usage-of-bad-replies", NULL, test_usage_of_bad_replies);
  for (guint i = 0; i < G_N_ELEMENTS(providers); i++) {
    g_autofree char *replies = g_strdup_printf("/http/clients/%s/replies", providers[i].provider);
    g_autofree char *manager = g_strdup_printf("/http/clients/%s/manager", providers[i].provider);
    ADD(replies, &providers[i], test_replies);
    ADD(manager, &providers[i], test_through_manager);
    g_autofree char *shapes = g_strdup_printf("/http/clients/%s/shapes", providers[i].provider);
    ADD(shapes, &providers[i], test_reply_shapes);
    g_autofree char *hostile =
        g_strdup_printf("/http/clients/%s/hostile-headers", providers[i].provider);
    ADD(hostile, &providers[i], test_hostile_headers);
    g_autofree char *stream = g_strdup_printf("/http/clients/%s/stream", providers[i].provider);
    ADD(stream, &providers[i], test_stream);
  }
#undef ADD
  return g_test_run();
}
