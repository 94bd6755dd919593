/* What the HTTP clients (openai, anthropic, ollama) share: the options
 * "path" and "stream", and the URL built from "path". */
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

/* For init: the URL to post to, the endpoint's base_url (or
 * @default_base_url) joined to the option "path" (@default_path when
 * absent), as inf_client_build_url(); NULL with @error when the base URL is
 * not http:// or https://. */
char *http_client_build_url(InfClient *client, const InfOptions *options,
                            const char *default_base_url, const char *default_path, GError **error);
