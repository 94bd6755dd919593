/* Private structures of the HTTP layer (http.c, http-request.c,
 * http-response.c). Nothing outside these files reads them. */
#pragma once

#include <curl/curl.h>

#include "resources/http.h"

G_BEGIN_DECLS

struct _InfHttpRequest {
  char *url;
  struct curl_slist *headers; /* "Name: value" lines, secret ones too */
  GPtrArray *secret_names;    /* names of the secret headers, or NULL */
  char *body;                 /* owned, sent with POST when non-NULL */
  gsize body_length;
  gint64 timeout_ms;         /* <= 0: none */
  gint64 max_response_bytes; /* <= 0: INF_HTTP_DEFAULT_MAX_RESPONSE_BYTES */
  char *ca_file;
  InfHttpStreamFormat stream_format;
  InfHttpBodyFunc body_func; /* 2xx body pieces, or NULL */
  gpointer body_data;
  gboolean body_stopped; /* body_func asked to stop the transfer */

  /* While in flight (owned by the session). */
  InfHttpSession *session;
  CURL *easy;
  InfHttpResponse *response;
  InfHttpDoneFunc done;
  gpointer user_data;
  GError *error; /* a failure found before or without curl (pending list) */
  gboolean over_size;
  gsize header_bytes;        /* response header bytes received so far */
  gboolean header_too_large; /* over INF_HTTP_MAX_HEADER_BYTES: aborted */
  GList link;                /* in the session's in-flight or pending list */
  char error_buffer[CURL_ERROR_SIZE];
};

struct _InfHttpResponse {
  guint status;
  GString *body;
  /* Headers, as received: name NUL value NUL ...; offsets index the pairs. */
  GString *header_data;
  GArray *header_offsets; /* guint: name offset, value offset, ... */
  gint64 max_bytes;       /* the cap of the current transfer */
  gsize streamed;         /* body bytes handed to a body func instead of kept */
};

/* Responses (pooled by the session). */
InfHttpResponse *inf_http_response_alloc(void);
void inf_http_response_reset(InfHttpResponse *response);
/* Appends one raw header line as libcurl hands it over (a status line starts
 * a new header block). */
void inf_http_response_add_header_line(InfHttpResponse *response, const char *line, gsize length);

G_END_DECLS
