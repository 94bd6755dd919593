/* InfHttpRequest: what an HTTP client builds and the session sends. */
#include "resources/http-private.h"

#include <string.h>

InfHttpRequest *
inf_http_request_new(void)
{
  InfHttpRequest *request = g_new0(InfHttpRequest, 1);
  request->link.data = request;
  return request;
}

static void
wipe_headers(struct curl_slist *headers)
{
  /* Header lines may hold API keys: clear them before the memory goes back. */
  for (struct curl_slist *l = headers; l != NULL; l = l->next)
    explicit_bzero(l->data, strlen(l->data));
  curl_slist_free_all(headers);
}

void
inf_http_request_free(InfHttpRequest *request)
{
  if (request == NULL)
    return;
  g_return_if_fail(request->session == NULL);
  g_free(request->url);
  wipe_headers(request->headers);
  if (request->secret_names != NULL)
    g_ptr_array_unref(request->secret_names);
  g_free(request->body);
  g_free(request->ca_file);
  g_clear_error(&request->error);
  g_free(request);
}

void
inf_http_request_set_url(InfHttpRequest *request, const char *url)
{
  g_return_if_fail(request != NULL);
  g_free(request->url);
  request->url = g_strdup(url);
}

void
inf_http_request_set_stream(InfHttpRequest *request, InfHttpStreamFormat format)
{
  g_return_if_fail(request != NULL);
  request->stream_format = format;
}

InfHttpStreamFormat
inf_http_request_get_stream(const InfHttpRequest *request)
{
  g_return_val_if_fail(request != NULL, INF_HTTP_STREAM_NONE);
  return request->stream_format;
}

void
inf_http_request_set_body_func(InfHttpRequest *request, InfHttpBodyFunc func, gpointer user_data)
{
  g_return_if_fail(request != NULL);
  request->body_func = func;
  request->body_data = user_data;
}

const char *
inf_http_request_get_url(const InfHttpRequest *request)
{
  g_return_val_if_fail(request != NULL, NULL);
  return request->url;
}

/* A header name is a token: no separators, no whitespace, no control bytes. */
static gboolean
header_name_is_valid(const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar)*p <= ' ' || (guchar)*p >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *p) != NULL)
      return FALSE;
  return TRUE;
}

static void
add_header(InfHttpRequest *request, const char *name, const char *value, gboolean secret)
{
  g_return_if_fail(request != NULL);
  g_return_if_fail(value != NULL);
  if (!header_name_is_valid(name)) {
    g_warning("HTTP header name \"%s\" is not valid; header not sent", name ? name : "(null)");
    return;
  }
  /* Trim the value (a key read from a file often ends with a newline); a
   * value with an inner line break would inject headers: refuse it, without
   * showing the value. */
  while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
    value++;
  gsize length = strlen(value);
  while (length > 0 && strchr(" \t\r\n", value[length - 1]) != NULL)
    length--;
  if (memchr(value, '\r', length) != NULL || memchr(value, '\n', length) != NULL) {
    g_warning("the value of HTTP header \"%s\" contains a line break; header not sent", name);
    return;
  }
  /* curl: "Name:" removes a header, "Name;" sends it empty. */
  char *line = length == 0 ? g_strdup_printf("%s;", name)
                           : g_strdup_printf("%s: %.*s", name, (int)length, value);
  struct curl_slist *list = curl_slist_append(request->headers, line);
  explicit_bzero(line, strlen(line));
  g_free(line);
  if (list == NULL)
    g_error("out of memory adding an HTTP header");
  request->headers = list;
  if (secret) {
    if (request->secret_names == NULL)
      request->secret_names = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(request->secret_names, g_strdup(name));
  }
}

void
inf_http_request_add_header(InfHttpRequest *request, const char *name, const char *value)
{
  add_header(request, name, value, FALSE);
}

void
inf_http_request_add_secret_header(InfHttpRequest *request, const char *name, const char *value)
{
  add_header(request, name, value, TRUE);
}

void
inf_http_request_take_body(InfHttpRequest *request, char *body, gsize length)
{
  g_return_if_fail(request != NULL);
  g_free(request->body);
  request->body = body;
  request->body_length = body != NULL ? length : 0;
}

void
inf_http_request_set_json_body(InfHttpRequest *request, json_object *body)
{
  g_return_if_fail(request != NULL && body != NULL);
  size_t length;
  const char *text = json_object_to_json_string_length(
      body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &length);
  inf_http_request_take_body(request, g_strndup(text, length), length);
}

void
inf_http_request_set_json_post(InfHttpRequest *request, const char *url, json_object *body,
                               InfHttpStreamFormat format)
{
  g_return_if_fail(request != NULL && url != NULL && body != NULL);
  inf_http_request_set_json_body(request, body);
  inf_http_request_set_url(request, url);
  inf_http_request_add_header(request, "Content-Type", "application/json");
  inf_http_request_add_header(request, "Accept",
                              format == INF_HTTP_STREAM_SSE      ? "text/event-stream"
                              : format == INF_HTTP_STREAM_NDJSON ? "application/x-ndjson"
                                                                 : "application/json");
  inf_http_request_set_stream(request, format);
}

void
inf_http_request_add_bearer_token(InfHttpRequest *request, const char *token)
{
  g_return_if_fail(request != NULL);
  if (token == NULL || *token == '\0')
    return;
  char *value = g_strconcat("Bearer ", token, NULL);
  add_header(request, "Authorization", value, TRUE);
  explicit_bzero(value, strlen(value));
  g_free(value);
}

const char *
inf_http_request_get_body(const InfHttpRequest *request, gsize *length)
{
  g_return_val_if_fail(request != NULL, NULL);
  if (length != NULL)
    *length = request->body_length;
  return request->body;
}

void
inf_http_request_set_timeout_ms(InfHttpRequest *request, gint64 timeout_ms)
{
  g_return_if_fail(request != NULL);
  request->timeout_ms = timeout_ms;
}

void
inf_http_request_set_ca_file(InfHttpRequest *request, const char *ca_file)
{
  g_return_if_fail(request != NULL);
  g_free(request->ca_file);
  request->ca_file = (ca_file != NULL && *ca_file != '\0') ? g_strdup(ca_file) : NULL;
}

void
inf_http_request_set_max_response_bytes(InfHttpRequest *request, gint64 max_bytes)
{
  g_return_if_fail(request != NULL);
  request->max_response_bytes = max_bytes;
}

const char *
inf_http_request_get_header(const InfHttpRequest *request, const char *name)
{
  g_return_val_if_fail(request != NULL && name != NULL, NULL);
  gsize name_length = strlen(name);
  const char *found = NULL;
  for (const struct curl_slist *l = request->headers; l != NULL; l = l->next) {
    if (g_ascii_strncasecmp(l->data, name, name_length) != 0)
      continue;
    const char *rest = l->data + name_length;
    if (*rest == ';')
      found = "";
    else if (*rest == ':')
      found = rest + (rest[1] == ' ' ? 2 : 1);
  }
  return found;
}

gboolean
inf_http_request_is_header_secret(const InfHttpRequest *request, const char *name)
{
  g_return_val_if_fail(request != NULL && name != NULL, FALSE);
  if (request->secret_names == NULL)
    return FALSE;
  for (guint i = 0; i < request->secret_names->len; i++)
    if (g_ascii_strcasecmp(g_ptr_array_index(request->secret_names, i), name) == 0)
      return TRUE;
  return FALSE;
}

char *
inf_http_redact_url(const char *url)
{
  if (url == NULL)
    return g_strdup("(no URL)");
  const char *scheme_end = strstr(url, "://");
  const char *authority = scheme_end != NULL ? scheme_end + 3 : url;
  gsize authority_length = strcspn(authority, "/?#");
  const char *host = authority;
  /* user:password@host — keep only what follows the last '@'. */
  for (const char *p = authority; p < authority + authority_length; p++)
    if (*p == '@')
      host = p + 1;
  const char *path = authority + authority_length;
  gsize path_length = strcspn(path, "?#");
  GString *out = g_string_sized_new(strlen(url));
  g_string_append_len(out, url, authority - url);
  g_string_append_len(out, host, authority + authority_length - host);
  g_string_append_len(out, path, path_length);
  return g_string_free(out, FALSE);
}
