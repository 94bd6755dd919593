/* What the HTTP clients share (http-client.h). */
#include "http-client.h"

char *
http_client_build_url(InfClient *client, const InfOptions *options, const char *default_base_url,
                      const char *default_path, GError **error)
{
  const char *path = inf_options_get_string(options, "path");
  return inf_client_build_url(client, default_base_url, path != NULL ? path : default_path, error);
}
