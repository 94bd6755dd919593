/* What the HTTP clients (openai, anthropic, ollama) share: the options
 * "path" and "stream", and reading the URL and the JSON object merged into
 * requests in init. */
#pragma once

#include <inf/inf.h>

/* The "path" option, @DEFAULT its default ("/chat/completions"). */
#define HTTP_CLIENT_OPTION_PATH(DEFAULT)                                          \
  {                                                                               \
    .name = "path", .type = INF_OPTION_STRING, .default_json = "\"" DEFAULT "\"", \
    .description = "Path appended to base_url"                                    \
  }

/* The "stream" option, @FRAMING how the reply is framed ("SSE", "NDJSON"). */
#define HTTP_CLIENT_OPTION_STREAM(FRAMING)                                                     \
  {                                                                                            \
    .name = "stream", .type = INF_OPTION_BOOL, .default_json = "false",                        \
    .description = "Stream the reply (" FRAMING "): the same result, read as it arrives; for " \
                   "long generations behind proxies that cut idle connections"                 \
  }

/* For init, what every HTTP client reads: the JSON object option
 * @extra_option merged into its requests (inf_options_get_json_object; in
 * *@out_extra a new reference, or NULL when absent) and the URL to post to,
 * the endpoint's base_url (or @default_base_url) joined to the option "path"
 * (@default_path when absent) as inf_client_build_url() does (in *@out_url,
 * free with g_free). FALSE with @error (and nothing stored) when the option
 * is not an object or the base URL is not http:// or https://. */
gboolean http_client_read_options(InfClient *client, const InfOptions *options,
                                  const char *extra_option, const char *default_base_url,
                                  const char *default_path, json_object **out_extra, char **out_url,
                                  GError **error);
