/* The SDK's helpers for HTTP clients' failed requests and replies
 * (inf/client.h): one wording of "alias 'A' has no model", "HTTP N from
 * URL", "bad reply from URL" and "an error in the stream from URL", with
 * every piece of server text quoted and the API key redacted. */
#include <inf/inf.h>

#include <string.h>

#include "resources/manager.h"

/* The most bytes of a server's error type or code that a message quotes. */
#define MAX_DETAIL 64
/* The most bytes of a stream event's data that a message quotes. */
#define MAX_EVENT_DATA 80

/* " (DETAIL)" quoted, or "" when @detail is NULL. */
static char *
detail_suffix(const InfClient *client, const char *detail)
{
  if (detail == NULL)
    return g_strdup("");
  g_autofree char *quoted = inf_text_quote(detail, -1, MAX_DETAIL, inf_client_get_api_key(client));
  return g_strdup_printf(" (%s)", quoted);
}

const char *
inf_client_require_model(const InfClient *client, GError **error)
{
  g_return_val_if_fail(client != NULL, NULL);
  const char *model = inf_client_get_model(client);
  if (model == NULL || *model == '\0') {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: alias '%s' has no model (set \"model\" in its endpoint)",
                inf_client_get_class_name(client), inf_client_get_alias(client));
    return NULL;
  }
  return model;
}

gboolean
inf_client_fail_status(const InfClient *client, const char *url, const InfHttpResponse *response,
                       InfErrorCode code, const char *detail, GError **error)
{
  g_return_val_if_fail(client != NULL && response != NULL, FALSE);
  g_autofree char *message = inf_http_response_get_error_message(response, INF_CLIENT_MAX_QUOTED,
                                                                 inf_client_get_api_key(client));
  g_autofree char *suffix = detail_suffix(client, detail);
  g_autofree char *redacted = inf_http_redact_url(url);
  g_set_error(error, INF_ERROR, code, "%s: HTTP %u from %s: %s%s",
              inf_client_get_class_name(client), inf_http_response_get_status(response), redacted,
              message, suffix);
  return FALSE;
}

gboolean
inf_client_fail_bad_reply(const InfClient *client, const char *url, GError **error,
                          const char *format, ...)
{
  g_return_val_if_fail(client != NULL && format != NULL, FALSE);
  va_list ap;
  va_start(ap, format);
  g_autofree char *what = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_autofree char *redacted = inf_http_redact_url(url);
  g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE, "%s: bad reply from %s: %s",
              inf_client_get_class_name(client), redacted, what);
  return FALSE;
}

gboolean
inf_client_fail_stream_error(const InfClient *client, const char *url, const char *message,
                             const char *detail, GError **error)
{
  g_return_val_if_fail(client != NULL, FALSE);
  g_autofree char *quoted = inf_client_quote(client, message);
  g_autofree char *suffix = detail_suffix(client, detail);
  g_autofree char *redacted = inf_http_redact_url(url);
  g_set_error(error, INF_ERROR, INF_ERROR_SERVER, "%s: an error in the stream from %s: %s%s",
              inf_client_get_class_name(client), redacted, quoted, suffix);
  return FALSE;
}

char *
inf_client_quote(const InfClient *client, const char *text)
{
  g_return_val_if_fail(client != NULL, NULL);
  return inf_text_quote(text != NULL ? text : "(no message)", -1, INF_CLIENT_MAX_QUOTED,
                        inf_client_get_api_key(client));
}

json_object *
inf_client_parse_reply(const InfClient *client, const char *url, const InfHttpResponse *response,
                       GError **error)
{
  g_return_val_if_fail(client != NULL && response != NULL, NULL);
  g_autoptr(GError) parse_error = NULL;
  json_object *root = inf_http_response_parse_json(response, &parse_error);
  if (root == NULL) {
    inf_client_fail_bad_reply(client, url, error, "%s", parse_error->message);
    return NULL;
  }
  if (!json_object_is_type(root, json_type_object)) {
    json_object_put(root);
    inf_client_fail_bad_reply(client, url, error, "the reply is not a JSON object");
    return NULL;
  }
  return root;
}

json_object *
inf_client_parse_stream_data(const InfClient *client, const char *url, const char *data,
                             const char *what, GError **error)
{
  g_return_val_if_fail(client != NULL && data != NULL && what != NULL, NULL);
  json_tokener *tokener = json_tokener_new();
  json_object *root = json_tokener_parse_ex(tokener, data, (int)strlen(data));
  gboolean complete = json_tokener_get_error(tokener) == json_tokener_success;
  json_tokener_free(tokener);
  if (complete && json_object_is_type(root, json_type_object))
    return root;
  json_object_put(root);
  g_autofree char *quoted =
      inf_text_quote(data, -1, MAX_EVENT_DATA, inf_client_get_api_key(client));
  inf_client_fail_bad_reply(client, url, error, "a stream %s that is not a JSON object: %s", what,
                            quoted);
  return NULL;
}
