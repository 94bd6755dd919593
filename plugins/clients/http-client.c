/* What the HTTP clients share (http-client.h). */
#include "http-client.h"

gboolean
http_client_read_options(InfClient *client, const InfOptions *options, const char *extra_option,
                         const char *default_base_url, const char *default_path,
                         json_object **out_extra, char **out_url, GError **error)
{
  json_object *extra;
  if (!inf_options_get_json_object(options, extra_option, &extra, error))
    return FALSE;
  const char *path = inf_options_get_string(options, "path");
  char *url =
      inf_client_build_url(client, default_base_url, path != NULL ? path : default_path, error);
  if (url == NULL)
    return FALSE;
  *out_extra = extra != NULL ? json_object_get(extra) : NULL;
  *out_url = url;
  return TRUE;
}
