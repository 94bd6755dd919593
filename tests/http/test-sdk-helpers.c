/* The SDK helpers for HTTP client plugins: quoting server text, reading a
 * reply as JSON, HTTP status to INF_ERROR code, URL redaction and building,
 * JSON member lookups, the messages array, JSON bodies and bearer tokens. */
#include <string.h>

#include "resources/endpoint.h"
#include "resources/event-stream.h"
#include "resources/http.h"
#include "resources/manager.h"

#define SECRET "sk-helper-SECRET-0123456789"

/* --- inf_text_quote ------------------------------------------------------- */

/* inf_text_quote(@text, @length, @max_bytes, @secret) is @expected. */
static void
assert_quote(const char *text, gssize length, gsize max_bytes, const char *secret,
             const char *expected)
{
  g_autofree char *quoted = inf_text_quote(text, length, max_bytes, secret);
  g_assert_cmpstr(quoted, ==, expected);
}

static void
test_quote_plain(void)
{
  assert_quote("Model not found", -1, 300, NULL, "Model not found");
  /* @length counts: only the first 5 bytes. */
  assert_quote("Model not found", 5, 300, NULL, "Model");
  assert_quote(NULL, -1, 300, SECRET, "");
  assert_quote("", 0, 300, SECRET, "");
}

static void
test_quote_one_line(void)
{
  /* Line breaks, tabs and other control bytes become spaces; the ends are
   * trimmed. */
  g_autofree char *a = inf_text_quote("\n  line one\r\nline\ttwo\x1b[31m \n", -1, 300, NULL);
  g_assert_cmpstr(a, ==, "line one  line two [31m");
  g_assert_null(strchr(a, '\n'));
  /* An embedded NUL (explicit length) is a control byte too. */
  assert_quote("a\0b", 3, 300, NULL, "a b");
}

static void
test_quote_cut(void)
{
  assert_quote("0123456789", -1, 4, NULL, "0123...");
  /* Exactly @max_bytes: no cut. */
  assert_quote("0123", -1, 4, NULL, "0123");
  /* Spaces before the cut are trimmed, the mark stays. */
  assert_quote("ab  cdef", -1, 4, NULL, "ab...");
  assert_quote("abcdef", -1, 0, NULL, "...");
}

static void
test_quote_secret(void)
{
  const char *text = "Incorrect API key provided: " SECRET ". Again: " SECRET;
  assert_quote(text, -1, 300, SECRET, "Incorrect API key provided: [redacted]. Again: [redacted]");
  /* A secret that starts before the cut is replaced whole: no prefix of it
   * shows. */
  g_autofree char *b = inf_text_quote(text, -1, 32, SECRET);
  g_assert_cmpstr(b, ==, "Incorrect API key provided: [redacted]...");
  g_assert_null(strstr(b, "sk-"));
  for (gsize max = 0; max < strlen(text) + 2; max++) {
    g_autofree char *c = inf_text_quote(text, -1, max, SECRET);
    g_assert_null(strstr(c, "sk-helper"));
    g_assert_null(strstr(c, "0123456789"));
  }
  /* The secret at the very end, cut exactly there. */
  assert_quote("key " SECRET, -1, 4 + strlen(SECRET), SECRET, "key [redacted]");
  /* NULL or empty secret: nothing is replaced. */
  assert_quote("a b", -1, 300, "", "a b");
}

static void
test_quote_utf8(void)
{
  /* Invalid bytes are repaired. */
  g_autofree char *a = inf_text_quote("caf\xc3 ok \xff", -1, 300, NULL);
  g_assert_true(g_utf8_validate(a, -1, NULL));
  g_assert_true(g_str_has_prefix(a, "caf"));
  g_assert_nonnull(strstr(a, " ok "));
  /* A cut inside a multi-byte character still gives valid UTF-8. */
  const char *text = "\xc3\xa9\xc3\xa9\xc3\xa9"; /* "ééé" */
  for (gsize max = 0; max <= 6; max++) {
    g_autofree char *b = inf_text_quote(text, -1, max, NULL);
    g_assert_true(g_utf8_validate(b, -1, NULL));
  }
  assert_quote(text, -1, 4, NULL, "\xc3\xa9\xc3\xa9...");
}

/* --- replies ---------------------------------------------------------------- */

static json_object *
parse(const char *body, GError **error)
{
  g_autoptr(InfHttpResponse) response = inf_http_response_new(200, body, -1);
  return inf_http_response_parse_json(response, error);
}

static void
test_parse_json(void)
{
  g_autoptr(GError) error = NULL;
  json_object *root = parse("{\"a\": [1, 2]}  \r\n", &error);
  g_assert_no_error(error);
  g_assert_nonnull(root);
  g_assert_cmpint(json_object_array_length(inf_json_get_member(root, "a", json_type_array)), ==, 2);
  json_object_put(root);
  /* Any JSON value, not only objects. */
  root = parse("[true]", &error);
  g_assert_no_error(error);
  g_assert_true(json_object_is_type(root, json_type_array));
  json_object_put(root);
  root = parse("\"text\"", &error);
  g_assert_no_error(error);
  g_assert_true(json_object_is_type(root, json_type_string));
  json_object_put(root);
  /* A bare number is complete: nothing tells json-c more could follow but
   * the end of the body. */
  root = parse("123", &error);
  g_assert_no_error(error);
  g_assert_cmpint(json_object_get_int64(root), ==, 123);
  json_object_put(root);
}

static void
test_parse_json_errors(void)
{
  struct {
    const char *body;
    const char *message; /* exact, or a prefix when it ends with '*' */
  } cases[] = {
    { "", "the body is empty" },
    { "{\"choices\": [", "it ends early after 13 bytes (truncated JSON)" },
    { "   ", "it ends early after 3 bytes (truncated JSON)" },
    { "{\"a\": tru}", "invalid JSON at byte 9: *" },
    { "<html>502 Bad Gateway</html>", "invalid JSON at byte 0: *" },
    { "{\"a\": 1} {\"b\": 2}", "invalid JSON: unexpected data after byte 9" },
    { "{\"a\": 1}\nx", "invalid JSON: unexpected data after byte 9" },
    { "null", "the body is JSON null" },
    { " null\n", "the body is JSON null" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    json_object *root = parse(cases[i].body, &error);
    g_assert_null(root);
    g_assert_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
    gsize n = strlen(cases[i].message);
    if (cases[i].message[n - 1] == '*') {
      if (strncmp(error->message, cases[i].message, n - 1) != 0)
        g_error("case %u: '%s' does not start with '%.*s'", i, error->message, (int)(n - 1),
                cases[i].message);
      g_assert_cmpuint(strlen(error->message), >, n - 1); /* json-c's reason follows */
    } else {
      g_assert_cmpstr(error->message, ==, cases[i].message);
    }
  }
  /* A NULL error is fine. */
  g_assert_null(parse("{", NULL));
}

static void
test_quote_body(void)
{
  g_autoptr(InfHttpResponse) empty = inf_http_response_new(500, NULL, 0);
  g_autofree char *a = inf_http_response_quote_body(empty, 300, SECRET);
  g_assert_cmpstr(a, ==, "(empty body)");
  g_autoptr(InfHttpResponse) text = inf_http_response_new(
      401, "Unauthorized:\n key " SECRET " is not valid for this organization", -1);
  g_autofree char *b = inf_http_response_quote_body(text, 300, SECRET);
  g_assert_cmpstr(b, ==, "Unauthorized:  key [redacted] is not valid for this organization");
  g_autofree char *c = inf_http_response_quote_body(text, 12, SECRET);
  g_assert_cmpstr(c, ==, "Unauthorized...");
  /* A body of spaces quotes as nothing (it is not empty). */
  g_autoptr(InfHttpResponse) blank = inf_http_response_new(502, " \n", -1);
  g_autofree char *d = inf_http_response_quote_body(blank, 300, NULL);
  g_assert_cmpstr(d, ==, "");
}

static void
test_error_codes(void)
{
  struct {
    guint status;
    InfErrorCode code;
  } cases[] = {
    { 429, INF_ERROR_RATE_LIMITED }, { 408, INF_ERROR_SERVER },      { 409, INF_ERROR_SERVER },
    { 500, INF_ERROR_SERVER },       { 502, INF_ERROR_SERVER },      { 503, INF_ERROR_SERVER },
    { 529, INF_ERROR_SERVER },       { 400, INF_ERROR_HTTP_STATUS }, { 401, INF_ERROR_HTTP_STATUS },
    { 403, INF_ERROR_HTTP_STATUS },  { 404, INF_ERROR_HTTP_STATUS }, { 422, INF_ERROR_HTTP_STATUS },
    { 302, INF_ERROR_HTTP_STATUS },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_assert_cmpint(inf_error_code_from_http_status(cases[i].status), ==, cases[i].code);
    /* Without x-should-retry the response gives the same. */
    g_autoptr(InfHttpResponse) response = inf_http_response_new(cases[i].status, "", 0);
    g_assert_cmpint(inf_http_response_get_error_code(response), ==, cases[i].code);
  }
}

static InfErrorCode
code_with_should_retry(guint status, const char *should_retry)
{
  g_autoptr(InfHttpResponse) response = inf_http_response_new(status, "{}", -1);
  inf_http_response_add_header(response, "X-Should-Retry", should_retry);
  return inf_http_response_get_error_code(response);
}

static void
test_error_code_should_retry(void)
{
  g_assert_cmpint(code_with_should_retry(400, "true"), ==, INF_ERROR_SERVER);
  g_assert_cmpint(code_with_should_retry(500, "false"), ==, INF_ERROR_HTTP_STATUS);
  g_assert_cmpint(code_with_should_retry(409, "false"), ==, INF_ERROR_HTTP_STATUS);
  /* 429 stays rate limiting either way. */
  g_assert_cmpint(code_with_should_retry(429, "false"), ==, INF_ERROR_RATE_LIMITED);
  g_assert_cmpint(code_with_should_retry(429, "true"), ==, INF_ERROR_RATE_LIMITED);
  /* Anything but "true" or "false" is ignored. */
  g_assert_cmpint(code_with_should_retry(400, "yes"), ==, INF_ERROR_HTTP_STATUS);
  g_assert_cmpint(code_with_should_retry(503, "TRUE"), ==, INF_ERROR_SERVER);
}

static void
test_redact_url(void)
{
  struct {
    const char *in, *out;
  } cases[] = {
    { "https://api.anthropic.com/v1/messages", "https://api.anthropic.com/v1/messages" },
    { "https://user:" SECRET "@host:8443/v1?api_key=" SECRET "#f", "https://host:8443/v1" },
    { "http://127.0.0.1:11434/api/chat?x=1", "http://127.0.0.1:11434/api/chat" },
    { "http://host#frag", "http://host" },
    { "host/path?q", "host/path" },
    { "", "" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *out = inf_http_redact_url(cases[i].in);
    g_assert_cmpstr(out, ==, cases[i].out);
  }
  g_autofree char *none = inf_http_redact_url(NULL);
  g_assert_cmpstr(none, ==, "(no URL)");
}

/* --- JSON lookups ------------------------------------------------------------ */

static void
test_json_getters(void)
{
  json_object *root = json_tokener_parse(
      "{\"error\": {\"message\": \"bad\", \"code\": 7}, \"usage\": {\"in\": 12, \"neg\": -3, "
      "\"half\": 1.5, \"text\": \"9\", \"big\": 9007199254740993}, \"list\": [1], \"n\": null}");
  g_assert_nonnull(root);

  json_object *error = inf_json_get_member(root, "error", json_type_object);
  g_assert_nonnull(error);
  g_assert_null(inf_json_get_member(root, "error", json_type_array)); /* another type */
  g_assert_null(inf_json_get_member(root, "missing", json_type_object));
  g_assert_null(inf_json_get_member(root, "n", json_type_object));
  g_assert_nonnull(inf_json_get_member(root, "list", json_type_array));
  g_assert_null(inf_json_get_member(NULL, "error", json_type_object));
  /* A non-object (the array) has no members. */
  g_assert_null(
      inf_json_get_member(inf_json_get_member(root, "list", json_type_array), "0", json_type_int));

  g_assert_cmpstr(inf_json_get_string(error, "message"), ==, "bad");
  g_assert_null(inf_json_get_string(error, "code")); /* an int */
  g_assert_null(inf_json_get_string(error, "missing"));
  g_assert_null(inf_json_get_string(NULL, "message"));
  /* Chained lookups stop quietly at the first gap. */
  g_assert_null(
      inf_json_get_string(inf_json_get_member(root, "nothing", json_type_object), "message"));

  json_object *usage = inf_json_get_member(root, "usage", json_type_object);
  g_assert_cmpint(inf_json_get_count(usage, "in"), ==, 12);
  g_assert_cmpint(inf_json_get_count(usage, "neg"), ==, 0);
  g_assert_cmpint(inf_json_get_count(usage, "half"), ==, 0);
  g_assert_cmpint(inf_json_get_count(usage, "text"), ==, 0);
  g_assert_cmpint(inf_json_get_count(usage, "missing"), ==, 0);
  g_assert_cmpint(inf_json_get_count(usage, "big"), ==, G_GINT64_CONSTANT(9007199254740993));
  g_assert_cmpint(inf_json_get_count(NULL, "in"), ==, 0);
  json_object_put(root);
}

/* inf_text_validate_utf8 decides as GLib does, also past the ASCII fast path. */
static void
test_text_validate_utf8(void)
{
  const char *cases[] = { "",
                          "ascii only",
                          "twelve bytes",
                          "exactly8",
                          "1234567\xc3\xa9 ok",
                          "0123456789abcdef\xe2\x82\xac",
                          "0123456789abcdef\xff",
                          "01234567\xc3",
                          "abc\xed\xa0\x80",
                          "\xf0\x9f\x98\x80 ok after" };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_assert_cmpint(inf_text_validate_utf8(cases[i], -1), ==, g_utf8_validate(cases[i], -1, NULL));
    gssize len = (gssize)strlen(cases[i]);
    g_assert_cmpint(inf_text_validate_utf8(cases[i], len), ==,
                    g_utf8_validate_len(cases[i], (gsize)len, NULL));
  }
  g_assert_false(inf_text_validate_utf8("0123456789abcdef\xff", -1));
  g_assert_true(inf_text_validate_utf8("0123456789abcdef\xe2\x82\xac", -1));
  /* A NUL byte inside an explicit length is rejected, as by g_utf8_validate_len. */
  g_assert_false(inf_text_validate_utf8("abc\0def0123", 12));
  g_assert_false(inf_text_validate_utf8("abcdefgh\0\xff", 10));
}

static void
test_json_merge(void)
{
  json_object *into = json_tokener_parse("{\"model\": \"m\", \"top_p\": 1}");
  json_object *from = json_tokener_parse("{\"top_p\": 0.9, \"seed\": {\"a\": 1}}");
  inf_json_merge_members(into, from);
  g_assert_cmpint(json_object_object_length(into), ==, 3);
  g_assert_cmpstr(inf_json_get_string(into, "model"), ==, "m");
  g_assert_cmpfloat(json_object_get_double(inf_json_get_member(into, "top_p", json_type_double)),
                    ==, 0.9);
  json_object *seed = inf_json_get_member(into, "seed", json_type_object);
  g_assert_true(seed == inf_json_get_member(from, "seed", json_type_object)); /* shared */
  /* Each side holds its own reference. */
  json_object_put(from);
  g_assert_cmpint(inf_json_get_count(seed, "a"), ==, 1);
  /* No-ops. */
  inf_json_merge_members(into, NULL);
  inf_json_merge_members(NULL, into);
  inf_json_merge_members(into, into);
  json_object *array = json_object_new_array();
  inf_json_merge_members(into, array);
  inf_json_merge_members(array, into);
  g_assert_cmpint(json_object_object_length(into), ==, 3);
  g_assert_cmpint(json_object_array_length(array), ==, 0);
  json_object_put(array);
  json_object_put(into);
}

/* --- requests ------------------------------------------------------------------ */

static void
test_build_messages(void)
{
  g_autoptr(InfLlmRequest) request = inf_llm_request_new();
  inf_llm_request_set_system(request, "Be terse.");
  inf_llm_request_add_message(request, "user", "Hi");
  inf_llm_request_add_message(request, "assistant", NULL);
  inf_llm_request_add_message(request, "user", "a/b \"q\"");

  json_object *with = inf_llm_request_build_messages(request, "system");
  g_assert_cmpstr(
      json_object_to_json_string_ext(with, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
      ==,
      "[{\"role\":\"system\",\"content\":\"Be terse.\"},"
      "{\"role\":\"user\",\"content\":\"Hi\"},"
      "{\"role\":\"assistant\",\"content\":\"\"},"
      "{\"role\":\"user\",\"content\":\"a/b \\\"q\\\"\"}]");
  json_object_put(with);
  /* Another role name for the system prompt. */
  json_object *developer = inf_llm_request_build_messages(request, "developer");
  g_assert_cmpstr(json_object_get_string(
                      json_object_object_get(json_object_array_get_idx(developer, 0), "role")),
                  ==, "developer");
  json_object_put(developer);
  /* NULL: the system prompt is left out. */
  json_object *without = inf_llm_request_build_messages(request, NULL);
  g_assert_cmpint(json_object_array_length(without), ==, 3);
  g_assert_cmpstr(inf_json_get_string(json_object_array_get_idx(without, 0), "role"), ==, "user");
  json_object_put(without);

  /* An empty system prompt is no message; no messages is an empty array. */
  g_autoptr(InfLlmRequest) bare = inf_llm_request_new();
  inf_llm_request_set_system(bare, "");
  json_object *empty = inf_llm_request_build_messages(bare, "system");
  g_assert_true(json_object_is_type(empty, json_type_array));
  g_assert_cmpint(json_object_array_length(empty), ==, 0);
  json_object_put(empty);
}

static void
test_json_body(void)
{
  g_autoptr(InfHttpRequest) http = inf_http_request_new();
  json_object *body = json_tokener_parse("{\"model\": \"org/model\", \"n\": [1, 2.5, true]}");
  inf_http_request_set_json_body(http, body);
  gsize length;
  const char *sent = inf_http_request_get_body(http, &length);
  g_assert_cmpstr(sent, ==, "{\"model\":\"org/model\",\"n\":[1,2.5,true]}");
  g_assert_cmpuint(length, ==, strlen(sent));
  /* Not consumed: still usable, and a second call replaces the body. */
  json_object_object_add(body, "stream", json_object_new_boolean(FALSE));
  inf_http_request_set_json_body(http, body);
  g_assert_nonnull(strstr(inf_http_request_get_body(http, NULL), "\"stream\":false"));
  json_object_put(body);
}

static void
test_bearer_token(void)
{
  g_autoptr(InfHttpRequest) http = inf_http_request_new();
  inf_http_request_add_bearer_token(http, SECRET);
  g_assert_cmpstr(inf_http_request_get_header(http, "authorization"), ==, "Bearer " SECRET);
  g_assert_true(inf_http_request_is_header_secret(http, "Authorization"));

  g_autoptr(InfHttpRequest) none = inf_http_request_new();
  inf_http_request_add_bearer_token(none, NULL);
  inf_http_request_add_bearer_token(none, "");
  g_assert_null(inf_http_request_get_header(none, "Authorization"));
}

/* A JSON POST: URL, body, Content-Type, Accept by stream format, and the
 * format itself; headers added afterwards follow. */
static void
test_json_post(void)
{
  struct {
    InfHttpStreamFormat format;
    const char *accept;
  } cases[] = {
    { INF_HTTP_STREAM_NONE, "application/json" },
    { INF_HTTP_STREAM_SSE, "text/event-stream" },
    { INF_HTTP_STREAM_NDJSON, "application/x-ndjson" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(InfHttpRequest) http = inf_http_request_new();
    json_object *body = json_tokener_parse("{\"model\": \"m\", \"stream\": true}");
    inf_http_request_set_json_post(http, "http://h/v1/chat", body, cases[i].format);
    /* Serialized at once: a later change to @body is not sent. */
    json_object_object_add(body, "late", json_object_new_int(1));
    json_object_put(body);
    g_assert_cmpstr(inf_http_request_get_url(http), ==, "http://h/v1/chat");
    g_assert_cmpstr(inf_http_request_get_body(http, NULL), ==, "{\"model\":\"m\",\"stream\":true}");
    g_assert_cmpstr(inf_http_request_get_header(http, "Content-Type"), ==, "application/json");
    g_assert_cmpstr(inf_http_request_get_header(http, "Accept"), ==, cases[i].accept);
    g_assert_cmpint(inf_http_request_get_stream(http), ==, cases[i].format);
    inf_http_request_add_bearer_token(http, SECRET);
    g_assert_cmpstr(inf_http_request_get_header(http, "Authorization"), ==, "Bearer " SECRET);
  }
}

/* --- inf_client_build_url ------------------------------------------------------ */

/* A client class whose init builds its URL from the options "default" and
 * "path" and keeps it as its private data. */
static const InfOptionSpec url_probe_options[] = {
  { .name = "default", .type = INF_OPTION_STRING, .description = "default_base_url" },
  { .name = "path", .type = INF_OPTION_STRING, .description = "path" },
  { .name = NULL },
};

static gboolean
url_probe_init(InfClient *client, const InfOptions *options, gpointer *out_private, GError **error)
{
  char *url = inf_client_build_url(client, inf_options_get_string(options, "default"),
                                   inf_options_get_string(options, "path"), error);
  *out_private = url;
  return url != NULL;
}

static void
url_probe_call(InfClient *client, InfLlmCall *call)
{
  (void)client;
  (void)call;
  g_assert_not_reached();
}

static const InfClientClass url_probe_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "url-probe",
  .description = "builds its URL",
  .options = url_probe_options,
  .init = url_probe_init,
  .finalize = g_free,
  .call = url_probe_call,
};

/* The URL the probe built for one endpoint object, or NULL with @error. */
static char *
probe_url(const char *endpoint, GError **error)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_assert_true(inf_registry_add_client_class(registry, &url_probe_class, NULL));
  g_autofree char *text = g_strdup_printf("{\"endpoints\": {\"a\": %s}}", endpoint);
  json_object *json = json_tokener_parse(text);
  g_assert_nonnull(json);
  g_autoptr(InfResourcesConfig) config =
      inf_resources_config_parse(json, "test.json", "resources", registry, error);
  json_object_put(json);
  if (config == NULL)
    return NULL;
  InfResourceManager *manager = inf_resource_manager_new(config, registry, error);
  if (manager == NULL)
    return NULL;
  gint64 wait = 0;
  InfClient *client = inf_resource_alias_pick(inf_resource_manager_lookup(manager, "a"),
                                              g_get_monotonic_time(), &wait);
  g_assert_nonnull(client);
  char *url = g_strdup(inf_client_get_private(client));
  inf_resource_manager_free(manager);
  return url;
}

static void
test_client_build_url(void)
{
  struct {
    const char *endpoint, *url;
  } cases[] = {
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://127.0.0.1:8080/v1\", "
      "\"path\": \"/chat/completions\"}",
      "http://127.0.0.1:8080/v1/chat/completions" },
    /* Trailing slashes go; a path without its leading slash gets one. */
    { "{\"provider\": \"url-probe\", \"base_url\": \"https://h/v1///\", \"path\": \"messages\"}",
      "https://h/v1/messages" },
    /* No base_url: the class's default. */
    { "{\"provider\": \"url-probe\", \"default\": \"http://localhost:11434/\", "
      "\"path\": \"/api/chat\"}",
      "http://localhost:11434/api/chat" },
    /* The endpoint's base_url wins over the default. */
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://b\", \"default\": \"http://d\", "
      "\"path\": \"/x\"}",
      "http://b/x" },
    /* No path. */
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://b/api\"}", "http://b/api/" },
    /* Regression: a query string (or fragment) stays at the end. */
    { "{\"provider\": \"url-probe\", \"base_url\": \"https://h/v1/?api-version=2024-10\", "
      "\"path\": \"/chat/completions\"}",
      "https://h/v1/chat/completions?api-version=2024-10" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://h:8080#frag\", \"path\": \"x\"}",
      "http://h:8080/x#frag" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *url = probe_url(cases[i].endpoint, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(url, ==, cases[i].url);
  }
}

static void
test_client_build_url_errors(void)
{
  struct {
    const char *endpoint, *message;
  } cases[] = {
    /* a default base URL is checked when the URL is built */
    { "{\"provider\": \"url-probe\", \"default\": \"localhost:11434\"}",
      "resources.endpoints.a: base_url must start with http:// or https://" },
    { "{\"provider\": \"url-probe\"}", /* no base URL at all */
      "resources.endpoints.a: base_url must start with http:// or https://" },
    /* regression: base_url itself is checked with the config (validate) */
    { "{\"provider\": \"url-probe\", \"base_url\": \"ftp://h/v1\", \"path\": \"/x\"}",
      "resources.endpoints.a.base_url: \"ftp://h/v1\" is not a valid base URL: the scheme must be "
      "http:// "
      "or https://" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"127.0.0.1:8080\"}",
      "is not a valid base URL" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"not a url\"}",
      "\"not a url\" is not a valid base URL: not a URL" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://h:99999/v1\"}",
      "is not a valid base URL: the port is not a number from 1 to 65535" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://h:0/v1\"}",
      "is not a valid base URL: port 0 is not a valid port" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"http:///v1\"}", "is not a valid base URL: " },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *url = probe_url(cases[i].endpoint, &error);
    g_assert_null(url);
    g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
    if (strstr(error->message, cases[i].message) == NULL)
      g_error("expected '%s' in: %s", cases[i].message, error->message);
  }
}

/* inf_client_require_model: the endpoint's model, or a config error naming
 * the class and the alias when it sets none or "". */
static void
test_client_require_model(void)
{
  struct {
    const char *endpoint, *model;
  } cases[] = {
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://h\", \"model\": \"org/m-1\"}",
      "org/m-1" },
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://h\"}", NULL },
    { "{\"provider\": \"url-probe\", \"base_url\": \"http://h\", \"model\": \"\"}", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(InfRegistry) registry = inf_registry_new();
    g_assert_true(inf_registry_add_client_class(registry, &url_probe_class, NULL));
    g_autofree char *text = g_strdup_printf("{\"endpoints\": {\"fast\": %s}}", cases[i].endpoint);
    json_object *json = json_tokener_parse(text);
    g_autoptr(GError) error = NULL;
    g_autoptr(InfResourcesConfig) config =
        inf_resources_config_parse(json, "test.json", "resources", registry, &error);
    json_object_put(json);
    g_assert_no_error(error);
    InfResourceManager *manager = inf_resource_manager_new(config, registry, &error);
    g_assert_no_error(error);
    gint64 wait = 0;
    InfClient *client = inf_resource_alias_pick(inf_resource_manager_lookup(manager, "fast"),
                                                g_get_monotonic_time(), &wait);
    const char *model = inf_client_require_model(client, &error);
    if (cases[i].model != NULL) {
      g_assert_no_error(error);
      g_assert_true(model == inf_client_get_model(client));
      g_assert_cmpstr(model, ==, cases[i].model);
    } else {
      g_assert_null(model);
      g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
      g_assert_cmpstr(error->message, ==,
                      "url-probe: alias 'fast' has no model (set \"model\" in its endpoint)");
    }
    inf_resource_manager_free(manager);
  }
}

/* --- the failed-reply helpers (inf_client_fail_*, inf_client_parse_*) ------ */

/* A url-probe client of an endpoint whose API key is SECRET (from the
 * environment variable INF_TEST_HELPER_KEY), in @manager. */
static InfClient *
keyed_client(InfResourceManager **manager)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_assert_true(inf_registry_add_client_class(registry, &url_probe_class, NULL));
  g_setenv("INF_TEST_HELPER_KEY", SECRET, TRUE);
  json_object *json = json_tokener_parse(
      "{\"endpoints\": {\"a\": {\"provider\": \"url-probe\", \"base_url\": \"http://h/v1\", "
      "\"api_key_env\": \"INF_TEST_HELPER_KEY\"}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(InfResourcesConfig) config =
      inf_resources_config_parse(json, "test.json", "resources", registry, &error);
  json_object_put(json);
  g_assert_no_error(error);
  *manager = inf_resource_manager_new(config, registry, &error);
  g_assert_no_error(error);
  gint64 wait = 0;
  InfClient *client = inf_resource_alias_pick(inf_resource_manager_lookup(*manager, "a"),
                                              g_get_monotonic_time(), &wait);
  g_assert_nonnull(client);
  g_assert_cmpstr(inf_client_get_api_key(client), ==, SECRET);
  return client;
}

/* One wording for every client: the class name, the URL without
 * credentials and query, the server's text quoted with the key redacted. */
static void
test_client_fail(void)
{
  InfResourceManager *manager = NULL;
  InfClient *client = keyed_client(&manager);
  const char *url = "https://user:pw@h/v1/chat?key=" SECRET;
  g_autoptr(GError) error = NULL;

  g_autoptr(InfHttpResponse) overloaded =
      inf_http_response_new(529, "{\"error\": {\"message\": \"overloaded for " SECRET "\"}}", -1);
  g_assert_false(inf_client_fail_status(client, url, overloaded, INF_ERROR_SERVER,
                                        "overloaded_error " SECRET, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_SERVER);
  g_assert_cmpstr(error->message, ==,
                  "url-probe: HTTP 529 from https://h/v1/chat: overloaded for [redacted] "
                  "(overloaded_error [redacted])");
  g_clear_error(&error);
  g_autoptr(InfHttpResponse) plain = inf_http_response_new(404, "not here", -1);
  g_assert_false(inf_client_fail_status(client, NULL, plain, INF_ERROR_HTTP_STATUS, NULL, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_HTTP_STATUS);
  g_assert_cmpstr(error->message, ==, "url-probe: HTTP 404 from (no URL): not here");
  g_clear_error(&error);

  g_assert_false(
      inf_client_fail_bad_reply(client, url, &error, "missing \"%s\" (%d)", "choices", 3));
  g_assert_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  g_assert_cmpstr(error->message, ==,
                  "url-probe: bad reply from https://h/v1/chat: missing \"choices\" (3)");
  g_clear_error(&error);

  g_assert_false(inf_client_fail_stream_error(client, url, NULL, "api_error", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_SERVER);
  g_assert_cmpstr(error->message, ==,
                  "url-probe: an error in the stream from https://h/v1/chat: (no message) "
                  "(api_error)");
  g_clear_error(&error);
  g_assert_false(
      inf_client_fail_stream_error(client, url, "bad key " SECRET "\nline two", NULL, &error));
  g_assert_cmpstr(error->message, ==,
                  "url-probe: an error in the stream from https://h/v1/chat: bad key [redacted] "
                  "line two");
  g_clear_error(&error);

  g_autofree char *none = inf_client_quote(client, NULL);
  g_assert_cmpstr(none, ==, "(no message)");
  g_autofree char *longer = g_strnfill(1000, 'x');
  g_autofree char *cut = inf_client_quote(client, longer);
  g_assert_cmpuint(strlen(cut), <=, INF_CLIENT_MAX_QUOTED + 3);
  g_assert_true(g_str_has_suffix(cut, "..."));
  inf_resource_manager_free(manager);
}

static void
test_client_parse(void)
{
  InfResourceManager *manager = NULL;
  InfClient *client = keyed_client(&manager);
  g_autoptr(GError) error = NULL;
  struct {
    const char *body, *message;
  } bad[] = {
    { "", "url-probe: bad reply from http://h/v1: the body is empty" },
    { "[1, 2]", "url-probe: bad reply from http://h/v1: the reply is not a JSON object" },
    { "\"text\"", "url-probe: bad reply from http://h/v1: the reply is not a JSON object" },
    { "{\"a\": ", "url-probe: bad reply from http://h/v1: it ends early after 6 bytes "
                  "(truncated JSON)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(InfHttpResponse) response = inf_http_response_new(200, bad[i].body, -1);
    g_assert_null(inf_client_parse_reply(client, "http://h/v1", response, &error));
    g_assert_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
    g_assert_cmpstr(error->message, ==, bad[i].message);
    g_clear_error(&error);
  }
  g_autoptr(InfHttpResponse) good = inf_http_response_new(200, "{\"model\": \"m\"}", -1);
  json_object *root = inf_client_parse_reply(client, "http://h/v1", good, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(inf_json_get_string(root, "model"), ==, "m");
  json_object_put(root);

  root = inf_client_parse_stream_data(client, "http://h/v1", "{\"done\": true}", "line", &error);
  g_assert_no_error(error);
  g_assert_nonnull(inf_json_get_member(root, "done", json_type_boolean));
  json_object_put(root);
  g_assert_null(
      inf_client_parse_stream_data(client, "http://h/v1", "{\"key\": \"" SECRET, "chunk", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE);
  g_assert_cmpstr(error->message, ==,
                  "url-probe: bad reply from http://h/v1: a stream chunk that is not a JSON "
                  "object: {\"key\": \"[redacted]");
  g_clear_error(&error);
  g_assert_null(inf_client_parse_stream_data(client, "http://h/v1", "[]", "event", &error));
  g_assert_cmpstr(error->message, ==,
                  "url-probe: bad reply from http://h/v1: a stream event that is not a JSON "
                  "object: []");
  inf_resource_manager_free(manager);
}

/* Rate-limit reset headers as retry hints on a 429. */
static gint64
hint(guint status, const char *const *headers)
{
  g_autoptr(InfHttpResponse) response = inf_http_response_new(status, "{}", -1);
  for (guint i = 0; headers[i] != NULL; i += 2)
    inf_http_response_add_header(response, headers[i], headers[i + 1]);
  return inf_http_response_get_retry_after_ms(response);
}

static void
test_reset_hints(void)
{
  const char *six_minutes[] = { "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests",
                                "6m0s", NULL };
  g_assert_cmpint(hint(429, six_minutes), ==, 360000);
  /* Only the exhausted limit counts. */
  const char *tokens[] = { "x-ratelimit-remaining-requests",
                           "5",
                           "x-ratelimit-reset-requests",
                           "6m0s",
                           "x-ratelimit-remaining-tokens",
                           "0",
                           "x-ratelimit-reset-tokens",
                           "20ms",
                           NULL };
  g_assert_cmpint(hint(429, tokens), ==, 20);
  const char *no_remaining[] = { "x-ratelimit-reset-tokens", "1h2m3.5s", NULL };
  g_assert_cmpint(hint(429, no_remaining), ==, 3723500);
  /* Retry-After and retry-after-ms come first. */
  const char *both[] = { "x-ratelimit-reset-requests", "6m0s", "retry-after", "2", NULL };
  g_assert_cmpint(hint(429, both), ==, 2000);
  /* Not a hint on other statuses, nor when unreadable. */
  g_assert_cmpint(hint(503, six_minutes), ==, -1);
  const char *garbage[] = { "x-ratelimit-reset-requests", "soon", NULL };
  g_assert_cmpint(hint(429, garbage), ==, -1);
  /* Anthropic: RFC 3339 times, the latest exhausted one. */
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) later = g_date_time_add_seconds(now, 30);
  g_autofree char *stamp = g_date_time_format_iso8601(later);
  const char *anthropic[] = { "anthropic-ratelimit-requests-remaining", "0",
                              "anthropic-ratelimit-requests-reset", stamp, NULL };
  gint64 ms = hint(429, anthropic);
  g_assert_cmpint(ms, >, 20000);
  g_assert_cmpint(ms, <=, 30000);
  const char *past[] = { "anthropic-ratelimit-tokens-reset", "2001-01-01T00:00:00Z", NULL };
  g_assert_cmpint(hint(429, past), ==, 0);

  /* Waits are named the way Go (and OpenAI's headers) write durations. */
  const struct {
    gint64 us;
    const char *text;
  } durations[] = { { G_GINT64_CONSTANT(600) * G_USEC_PER_SEC, "10m0s" },
                    { G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC, "1h0m0s" },
                    { 1500000, "1.5s" },
                    { 200000, "200ms" },
                    { G_GINT64_CONSTANT(90) * G_USEC_PER_SEC, "1m30s" } };
  for (guint i = 0; i < G_N_ELEMENTS(durations); i++) {
    g_autofree char *text = inf_format_duration_us(durations[i].us);
    g_assert_cmpstr(text, ==, durations[i].text);
  }
}

/* Error bodies of any common shape give their message. */
static void
test_error_message(void)
{
  const struct {
    const char *body;
    const char *message;
  } cases[] = {
    { "{\"error\": {\"message\": \"Invalid model\", \"type\": \"x\"}}", "Invalid model" },
    { "{\"error\": \"Bad Request\", \"message\": \"model not found\"}",
      "Bad Request: model not found" },
    { "{\"error\": \"model 'x' not found\"}", "model 'x' not found" },
    { "{\"message\": \"Forbidden\"}", "Forbidden" },
    { "{\"detail\": \"Not authenticated\"}", "Not authenticated" },
    { "{\"detail\": [{\"loc\": [\"body\"], \"msg\": \"field required\"}]}",
      "[{\"loc\":[\"body\"],\"msg\":\"field required\"}]" },
    { "{\"errors\": [{\"message\": \"first\"}, {\"message\": \"second\"}]}", "first" },
    { "upstream connect error", "upstream connect error" },
    { "", "(empty body)" },
    { "{\"error\": {\"message\": \"key sk-123 is bad\"}}", "key [redacted] is bad" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(InfHttpResponse) response = inf_http_response_new(400, cases[i].body, -1);
    g_autofree char *message = inf_http_response_get_error_message(response, 300, "sk-123");
    g_assert_cmpstr(message, ==, cases[i].message);
  }
}

/* --- stream framing -------------------------------------------------------- */

static gboolean
collect_event(const char *event, const char *data, gpointer user_data, GError **error)
{
  GString *out = user_data;
  if (g_strcmp0(data, "STOP") == 0) {
    g_set_error_literal(error, INF_ERROR, INF_ERROR_SERVER, "stopped");
    return FALSE;
  }
  g_string_append_printf(out, "[%s|%s]", event ? event : "-", data);
  return TRUE;
}

/* Feeds @body in pieces of @step bytes (0: whole) and returns the events. */
static char *
frame(InfHttpStreamFormat format, const char *body, gsize step)
{
  GString *out = g_string_new(NULL);
  InfEventStream *stream = inf_event_stream_new(format, collect_event, out);
  gsize length = strlen(body);
  g_autoptr(GError) error = NULL;
  for (gsize at = 0; at < length;) {
    gsize n = step > 0 ? MIN(step, length - at) : length;
    g_assert_true(inf_event_stream_feed(stream, body + at, n, &error));
    at += n;
  }
  g_assert_true(inf_event_stream_finish(stream, &error));
  g_assert_no_error(error);
  inf_event_stream_free(stream);
  return g_string_free(out, FALSE);
}

static void
test_event_stream(void)
{
  const char *sse = ": keep-alive\r\n"
                    "event: message_start\r\ndata: {\"a\": 1}\r\n\r\n"
                    "data: first\ndata:second\nid: 7\nretry: 100\n\n"
                    "event: ping\n\n"
                    "data: [DONE]\n\n"
                    "event: last\ndata: no blank line";
  const char *expected =
      "[message_start|{\"a\": 1}][-|first\nsecond][-|[DONE]][last|no blank line]";
  const char *ndjson = "{\"a\": 1}\n\n  \r\n{\"b\": \"\u00e9\"}\r\n{\"done\": true}";
  const char *expected_nd = "[-|{\"a\": 1}][-|{\"b\": \"\u00e9\"}][-|{\"done\": true}]";
  for (gsize step = 0; step < 8; step++) {
    g_autofree char *events = frame(INF_HTTP_STREAM_SSE, sse, step);
    g_assert_cmpstr(events, ==, expected);
    g_autofree char *lines = frame(INF_HTTP_STREAM_NDJSON, ndjson, step);
    g_assert_cmpstr(lines, ==, expected_nd);
  }
  /* The callback's error stops the feed. */
  GString *out = g_string_new(NULL);
  InfEventStream *stream = inf_event_stream_new(INF_HTTP_STREAM_NDJSON, collect_event, out);
  g_autoptr(GError) error = NULL;
  g_assert_false(inf_event_stream_feed(stream, "one\nSTOP\nnever\n", 17, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_SERVER);
  g_assert_cmpstr(out->str, ==, "[-|one]");
  inf_event_stream_free(stream);
  g_string_free(out, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/sdk-helpers/text-quote/plain", test_quote_plain);
  g_test_add_func("/sdk-helpers/text-quote/one-line", test_quote_one_line);
  g_test_add_func("/sdk-helpers/text-quote/cut", test_quote_cut);
  g_test_add_func("/sdk-helpers/text-quote/secret", test_quote_secret);
  g_test_add_func("/sdk-helpers/text-quote/utf8", test_quote_utf8);
  g_test_add_func("/sdk-helpers/response/parse-json", test_parse_json);
  g_test_add_func("/sdk-helpers/response/parse-json-errors", test_parse_json_errors);
  g_test_add_func("/sdk-helpers/response/quote-body", test_quote_body);
  g_test_add_func("/sdk-helpers/response/error-codes", test_error_codes);
  g_test_add_func("/sdk-helpers/response/should-retry", test_error_code_should_retry);
  g_test_add_func("/sdk-helpers/response/reset-hints", test_reset_hints);
  g_test_add_func("/sdk-helpers/stream/framing", test_event_stream);
  g_test_add_func("/sdk-helpers/response/error-message", test_error_message);
  g_test_add_func("/sdk-helpers/url/redact", test_redact_url);
  g_test_add_func("/sdk-helpers/json/getters", test_json_getters);
  g_test_add_func("/sdk-helpers/json/merge", test_json_merge);
  g_test_add_func("/sdk-helpers/request/json-post", test_json_post);
  g_test_add_func("/sdk-helpers/client/require-model", test_client_require_model);
  g_test_add_func("/sdk-helpers/text/validate-utf8", test_text_validate_utf8);
  g_test_add_func("/sdk-helpers/request/messages", test_build_messages);
  g_test_add_func("/sdk-helpers/request/json-body", test_json_body);
  g_test_add_func("/sdk-helpers/request/bearer-token", test_bearer_token);
  g_test_add_func("/sdk-helpers/client/build-url", test_client_build_url);
  g_test_add_func("/sdk-helpers/client/build-url-errors", test_client_build_url_errors);
  g_test_add_func("/sdk-helpers/client/fail", test_client_fail);
  g_test_add_func("/sdk-helpers/client/parse", test_client_parse);
  return g_test_run();
}
