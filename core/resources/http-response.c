/* InfHttpResponse: status, headers and body of one reply. */
#include "resources/http-private.h"

#include <math.h>
#include <string.h>

InfHttpResponse *
inf_http_response_alloc(void)
{
  InfHttpResponse *response = g_new0(InfHttpResponse, 1);
  response->body = g_string_sized_new(1024);
  response->header_data = g_string_sized_new(512);
  response->header_offsets = g_array_sized_new(FALSE, FALSE, sizeof(guint), 32);
  return response;
}

void
inf_http_response_reset(InfHttpResponse *response)
{
  response->status = 0;
  response->max_bytes = 0;
  response->streamed = 0;
  g_string_truncate(response->body, 0);
  g_string_truncate(response->header_data, 0);
  g_array_set_size(response->header_offsets, 0);
}

void
inf_http_response_free(InfHttpResponse *response)
{
  if (response == NULL)
    return;
  g_string_free(response->body, TRUE);
  g_string_free(response->header_data, TRUE);
  g_array_unref(response->header_offsets);
  g_free(response);
}

InfHttpResponse *
inf_http_response_new(guint status, const char *body, gssize length)
{
  InfHttpResponse *response = inf_http_response_alloc();
  response->status = status;
  if (body != NULL)
    g_string_append_len(response->body, body, length < 0 ? (gssize)strlen(body) : length);
  return response;
}

static void
append_header(InfHttpResponse *response, const char *name, gsize name_length, const char *value,
              gsize value_length)
{
  guint offsets[2];
  offsets[0] = (guint)response->header_data->len;
  g_string_append_len(response->header_data, name, name_length);
  g_string_append_c(response->header_data, '\0');
  offsets[1] = (guint)response->header_data->len;
  g_string_append_len(response->header_data, value, value_length);
  g_string_append_c(response->header_data, '\0');
  g_array_append_vals(response->header_offsets, offsets, 2);
}

void
inf_http_response_add_header(InfHttpResponse *response, const char *name, const char *value)
{
  g_return_if_fail(response != NULL && name != NULL && value != NULL);
  append_header(response, name, strlen(name), value, strlen(value));
}

void
inf_http_response_add_header_line(InfHttpResponse *response, const char *line, gsize length)
{
  /* A status line starts a new block (after "100 Continue", or an
   * intermediate reply): only the last block counts. */
  if (length >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    g_string_truncate(response->header_data, 0);
    g_array_set_size(response->header_offsets, 0);
    return;
  }
  const char *colon = memchr(line, ':', length);
  if (colon == NULL || colon == line)
    return; /* the blank line ending the block, or garbage */
  gsize name_length = colon - line;
  const char *value = colon + 1;
  const char *end = line + length;
  while (value < end && (*value == ' ' || *value == '\t'))
    value++;
  while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
    end--;
  append_header(response, line, name_length, value, end - value);
}

guint
inf_http_response_get_status(const InfHttpResponse *response)
{
  g_return_val_if_fail(response != NULL, 0);
  return response->status;
}

const char *
inf_http_response_get_body(const InfHttpResponse *response, gsize *length)
{
  g_return_val_if_fail(response != NULL, NULL);
  if (length != NULL)
    *length = response->body->len;
  return response->body->str;
}

const char *
inf_http_response_get_header(const InfHttpResponse *response, const char *name)
{
  g_return_val_if_fail(response != NULL && name != NULL, NULL);
  const guint *offsets = (const guint *)(gpointer)response->header_offsets->data;
  const char *data = response->header_data->str;
  /* Last one wins: search backwards. */
  for (guint i = response->header_offsets->len; i >= 2; i -= 2)
    if (g_ascii_strcasecmp(data + offsets[i - 2], name) == 0)
      return data + offsets[i - 1];
  return NULL;
}

/* A non-negative decimal number ("2", "1.5"); FALSE for anything else. */
static gboolean
parse_seconds(const char *text, double *out)
{
  while (*text == ' ')
    text++;
  if (!g_ascii_isdigit(*text))
    return FALSE;
  char *end = NULL;
  double value = g_ascii_strtod(text, &end);
  while (end != NULL && *end == ' ')
    end++;
  if (end == NULL || *end != '\0' || !isfinite(value) || value < 0)
    return FALSE;
  *out = value;
  return TRUE;
}

/* Caps a hint so nonsense (years) cannot overflow the arithmetic. */
#define MAX_RETRY_AFTER_MS (G_GINT64_CONSTANT(24) * 3600 * 1000)

/* A Go duration as OpenAI sends it ("1s", "6m0s", "20ms", "1h2m3.5s"). */
static gboolean
parse_go_duration(const char *text, double *out_ms)
{
  double total = 0;
  const char *p = text;
  if (p == NULL || *p == '\0')
    return FALSE;
  while (*p != '\0') {
    char *end = NULL;
    double value = g_ascii_strtod(p, &end);
    if (end == p || !isfinite(value) || value < 0)
      return FALSE;
    p = end;
    double unit;
    if (g_str_has_prefix(p, "ms")) {
      unit = 1, p += 2;
    } else if (g_str_has_prefix(p, "us") || g_str_has_prefix(p, "\u00b5s")) {
      unit = 0.001, p += *p == 'u' ? 2 : 3;
    } else if (g_str_has_prefix(p, "ns")) {
      unit = 1e-6, p += 2;
    } else if (*p == 'h') {
      unit = 3600e3, p++;
    } else if (*p == 'm') {
      unit = 60e3, p++;
    } else if (*p == 's') {
      unit = 1e3, p++;
    } else {
      return FALSE;
    }
    total += value * unit;
  }
  *out_ms = total;
  return TRUE;
}

/* An RFC 3339 time as Anthropic sends it, as ms from now (>= 0). */
static gboolean
parse_rfc3339_from_now(const char *text, double *out_ms)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_iso8601(text, NULL);
  if (when == NULL)
    return FALSE;
  gint64 delta_us = g_date_time_to_unix(when) * G_USEC_PER_SEC + g_date_time_get_microsecond(when) -
                    g_get_real_time();
  *out_ms = MAX((double)delta_us / 1000.0, 0.0);
  return TRUE;
}

/* On a 429 without Retry-After: when the exhausted limit resets, from
 * OpenAI's x-ratelimit-reset-{requests,tokens} (durations) or Anthropic's
 * anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset (RFC
 * 3339 times). A limit counts when its remaining header is 0 or absent; the
 * latest reset among them wins. -1: no hint. */
static gint64
reset_hint_ms(const InfHttpResponse *response)
{
  static const struct {
    const char *reset;
    const char *remaining;
    gboolean rfc3339;
  } limits[] = {
    { .reset = "x-ratelimit-reset-requests",
      .remaining = "x-ratelimit-remaining-requests",
      .rfc3339 = FALSE },
    { .reset = "x-ratelimit-reset-tokens",
      .remaining = "x-ratelimit-remaining-tokens",
      .rfc3339 = FALSE },
    { .reset = "anthropic-ratelimit-requests-reset",
      .remaining = "anthropic-ratelimit-requests-remaining",
      .rfc3339 = TRUE },
    { .reset = "anthropic-ratelimit-tokens-reset",
      .remaining = "anthropic-ratelimit-tokens-remaining",
      .rfc3339 = TRUE },
    { .reset = "anthropic-ratelimit-input-tokens-reset",
      .remaining = "anthropic-ratelimit-input-tokens-remaining",
      .rfc3339 = TRUE },
    { .reset = "anthropic-ratelimit-output-tokens-reset",
      .remaining = "anthropic-ratelimit-output-tokens-remaining",
      .rfc3339 = TRUE },
  };
  double best = -1;
  for (guint i = 0; i < G_N_ELEMENTS(limits); i++) {
    const char *reset = inf_http_response_get_header(response, limits[i].reset);
    const char *remaining = inf_http_response_get_header(response, limits[i].remaining);
    double ms;
    if (reset == NULL || (remaining != NULL && strcmp(remaining, "0") != 0))
      continue;
    if (limits[i].rfc3339 ? parse_rfc3339_from_now(reset, &ms) : parse_go_duration(reset, &ms))
      best = MAX(best, ms);
  }
  return best < 0 ? -1 : (gint64)MIN(ceil(best), (double)MAX_RETRY_AFTER_MS);
}

gint64
inf_http_response_get_retry_after_ms(const InfHttpResponse *response)
{
  g_return_val_if_fail(response != NULL, -1);
  double seconds;
  const char *ms = inf_http_response_get_header(response, "retry-after-ms");
  if (ms != NULL && parse_seconds(ms, &seconds))
    return (gint64)MIN(ceil(seconds), (double)MAX_RETRY_AFTER_MS);
  const char *value = inf_http_response_get_header(response, "retry-after");
  if (value == NULL)
    return response->status == 429 ? reset_hint_ms(response) : -1;
  if (parse_seconds(value, &seconds))
    return (gint64)MIN(ceil(seconds * 1000.0), (double)MAX_RETRY_AFTER_MS);
  /* An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT". */
  time_t when = curl_getdate(value, NULL);
  if (when == -1)
    return -1;
  gint64 delta_ms = ((gint64)when * G_USEC_PER_SEC - g_get_real_time()) / 1000;
  return CLAMP(delta_ms, 0, MAX_RETRY_AFTER_MS);
}

/* --- helpers for HTTP clients (SDK) --- */

json_object *
inf_http_response_parse_json(const InfHttpResponse *response, GError **error)
{
  g_return_val_if_fail(response != NULL, NULL);
  const char *body = response->body->str;
  gsize length = response->body->len;
  if (length == 0) {
    g_set_error_literal(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, "the body is empty");
    return NULL;
  }
  if (length >= G_MAXINT) {
    g_set_error_literal(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, "the body is too large");
    return NULL;
  }
  json_tokener *tokener = json_tokener_new();
  /* With the terminating NUL (a GString has one), so that json-c knows the
   * input ends: a body "123" or "null" is complete, not truncated. */
  json_object *root = json_tokener_parse_ex(tokener, body, (int)length + 1);
  enum json_tokener_error parse_error = json_tokener_get_error(tokener);
  size_t end = json_tokener_get_parse_end(tokener);
  json_tokener_free(tokener);
  if (root == NULL || parse_error != json_tokener_success) {
    json_object_put(root);
    if (parse_error == json_tokener_success)
      /* json-c's NULL: the whole body is the JSON null. */
      g_set_error_literal(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, "the body is JSON null");
    else if (parse_error == json_tokener_continue || parse_error == json_tokener_error_parse_eof)
      g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
                  "it ends early after %zu bytes (truncated JSON)", length);
    else
      g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, "invalid JSON at byte %zu: %s", end,
                  json_tokener_error_desc(parse_error));
    return NULL;
  }
  while (end < length && g_ascii_isspace(body[end]))
    end++;
  if (end < length) {
    json_object_put(root);
    g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
                "invalid JSON: unexpected data after byte %zu", end);
    return NULL;
  }
  return root;
}

char *
inf_http_response_quote_body(const InfHttpResponse *response, gsize max_bytes, const char *secret)
{
  g_return_val_if_fail(response != NULL, NULL);
  if (response->body->len == 0)
    return g_strdup("(empty body)");
  return inf_text_quote(response->body->str, (gssize)response->body->len, max_bytes, secret);
}

char *
inf_http_response_get_error_message(const InfHttpResponse *response, gsize max_bytes,
                                    const char *secret)
{
  g_return_val_if_fail(response != NULL, NULL);
  /* A redirect is not followed (a POST would turn into a GET, and the key
   * would go to another host): name where it points. */
  const char *location = inf_http_response_get_header(response, "location");
  if (response->status >= 300 && response->status < 400 && location != NULL) {
    g_autofree char *target = inf_http_redact_url(location);
    g_autofree char *quoted = inf_text_quote(target, -1, max_bytes, secret);
    return g_strdup_printf("redirected to %s (redirects are not followed: set base_url to the "
                           "URL that answers)",
                           quoted);
  }
  json_object *root = inf_http_response_parse_json(response, NULL);
  json_object *error = NULL;
  const char *message = NULL;
  g_autofree char *joined = NULL;
  if (root != NULL && json_object_is_type(root, json_type_object)) {
    json_object_object_get_ex(root, "error", &error);
    const char *top = inf_json_get_string(root, "message");
    if (json_object_is_type(error, json_type_object)) {
      message = inf_json_get_string(error, "message");
    } else if (json_object_is_type(error, json_type_string)) {
      const char *text = json_object_get_string(error);
      message = top != NULL && *top != '\0' && strcmp(top, text) != 0
                    ? (joined = g_strdup_printf("%s: %s", text, top))
                    : text;
    }
    if (message == NULL)
      message = top;
    json_object *detail = NULL;
    if (message == NULL && json_object_object_get_ex(root, "detail", &detail) && detail != NULL)
      message = json_object_is_type(detail, json_type_string)
                    ? json_object_get_string(detail)
                    : json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object *errors = inf_json_get_member(root, "errors", json_type_array);
    if (message == NULL && errors != NULL && json_object_array_length(errors) > 0)
      message = inf_json_get_string(json_object_array_get_idx(errors, 0), "message");
  }
  char *quoted = message != NULL && *message != '\0'
                     ? inf_text_quote(message, -1, max_bytes, secret)
                     : inf_http_response_quote_body(response, max_bytes, secret);
  json_object_put(root);
  return quoted;
}

InfErrorCode
inf_error_code_from_http_status(guint status)
{
  if (status == 429)
    return INF_ERROR_RATE_LIMITED;
  if (status == 408 || status == 409 || status >= 500)
    return INF_ERROR_SERVER;
  return INF_ERROR_HTTP_STATUS;
}

InfErrorCode
inf_http_response_get_error_code(const InfHttpResponse *response)
{
  g_return_val_if_fail(response != NULL, INF_ERROR_FAILED);
  InfErrorCode code = inf_error_code_from_http_status(response->status);
  const char *should_retry = inf_http_response_get_header(response, "x-should-retry");
  if (should_retry != NULL && code != INF_ERROR_RATE_LIMITED) {
    if (strcmp(should_retry, "true") == 0)
      code = INF_ERROR_SERVER;
    else if (strcmp(should_retry, "false") == 0)
      code = INF_ERROR_HTTP_STATUS;
  }
  return code;
}
