/* inf_client_build_url: where an HTTP client posts its requests. */
#include <inf/inf.h>

#include <string.h>

char *
inf_client_build_url(const InfClient *client, const char *default_base_url, const char *path,
                     GError **error)
{
  g_return_val_if_fail(client != NULL, NULL);
  const char *base_url = inf_client_get_base_url(client);
  if (base_url == NULL)
    base_url = default_base_url;
  if (base_url == NULL ||
      (!g_str_has_prefix(base_url, "http://") && !g_str_has_prefix(base_url, "https://"))) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: base_url must start with http:// or https://",
                inf_options_get_path(inf_client_get_options(client)));
    return NULL;
  }
  if (path == NULL)
    path = "";
  /* The path goes before a query string or fragment of the base URL
   * ("https://h/v1?api-version=2" + "chat/completions" →
   * "https://h/v1/chat/completions?api-version=2"). */
  gsize base_length = strcspn(base_url, "?#");
  const char *suffix = base_url + base_length;
  while (base_length > 0 && base_url[base_length - 1] == '/')
    base_length--;
  return g_strdup_printf("%.*s%s%s%s", (int)base_length, base_url, *path == '/' ? "" : "/", path,
                         suffix);
}
