/* Framing of streamed reply bodies (see event-stream.h). */
#include "resources/event-stream.h"

#include <string.h>

struct _InfEventStream {
  InfHttpStreamFormat format;
  InfEventFunc func;
  gpointer user_data;
  GString *line; /* the unterminated line so far */
  char *event;   /* SSE: the event name of the event being read, or NULL */
  GString *data; /* SSE: its data lines, each followed by '\n' */
  gboolean has_data;
};

InfEventStream *
inf_event_stream_new(InfHttpStreamFormat format, InfEventFunc func, gpointer user_data)
{
  InfEventStream *stream = g_new0(InfEventStream, 1);
  stream->format = format;
  stream->func = func;
  stream->user_data = user_data;
  stream->line = g_string_new(NULL);
  stream->data = g_string_new(NULL);
  return stream;
}

void
inf_event_stream_free(InfEventStream *stream)
{
  if (!stream)
    return;
  g_string_free(stream->line, TRUE);
  g_string_free(stream->data, TRUE);
  g_free(stream->event);
  g_free(stream);
}

static gboolean
sse_dispatch(InfEventStream *stream, GError **error)
{
  if (!stream->has_data) {
    g_clear_pointer(&stream->event, g_free);
    return TRUE;
  }
  if (stream->data->len > 0)
    g_string_truncate(stream->data, stream->data->len - 1); /* the last '\n' */
  gboolean ok = stream->func(stream->event, stream->data->str, stream->user_data, error);
  g_clear_pointer(&stream->event, g_free);
  g_string_truncate(stream->data, 0);
  stream->has_data = FALSE;
  return ok;
}

/* One complete line, without its line break. */
static gboolean
handle_line(InfEventStream *stream, const char *line, gsize length, GError **error)
{
  if (length > 0 && line[length - 1] == '\r')
    length--;
  if (stream->format == INF_HTTP_STREAM_NDJSON) {
    gsize start = 0;
    while (start < length && g_ascii_isspace(line[start]))
      start++;
    if (start == length)
      return TRUE;
    g_autofree char *text = g_strndup(line + start, length - start);
    return stream->func(NULL, text, stream->user_data, error);
  }
  if (length == 0)
    return sse_dispatch(stream, error);
  if (line[0] == ':')
    return TRUE; /* a comment (keep-alive) */
  const char *colon = memchr(line, ':', length);
  gsize name_length = colon ? (gsize)(colon - line) : length;
  const char *value = colon ? colon + 1 : line + length;
  gsize value_length = length - (gsize)(value - line);
  if (value_length > 0 && *value == ' ')
    value++, value_length--;
  if (name_length == 5 && strncmp(line, "event", 5) == 0) {
    g_free(stream->event);
    stream->event = g_strndup(value, value_length);
  } else if (name_length == 4 && strncmp(line, "data", 4) == 0) {
    g_string_append_len(stream->data, value, (gssize)value_length);
    g_string_append_c(stream->data, '\n');
    stream->has_data = TRUE;
  }
  return TRUE; /* id, retry and unknown fields: nothing to do */
}

gboolean
inf_event_stream_feed(InfEventStream *stream, const char *data, gsize length, GError **error)
{
  const char *end = data + length;
  while (data < end) {
    const char *newline = memchr(data, '\n', (gsize)(end - data));
    if (!newline) {
      g_string_append_len(stream->line, data, end - data);
      break;
    }
    gboolean ok;
    if (stream->line->len > 0) {
      g_string_append_len(stream->line, data, newline - data);
      ok = handle_line(stream, stream->line->str, stream->line->len, error);
      g_string_truncate(stream->line, 0);
    } else {
      ok = handle_line(stream, data, (gsize)(newline - data), error);
    }
    if (!ok)
      return FALSE;
    data = newline + 1;
  }
  return TRUE;
}

gboolean
inf_event_stream_finish(InfEventStream *stream, GError **error)
{
  if (stream->line->len > 0) {
    g_autofree char *last = g_strndup(stream->line->str, stream->line->len);
    g_string_truncate(stream->line, 0);
    if (!handle_line(stream, last, strlen(last), error))
      return FALSE;
  }
  if (stream->format == INF_HTTP_STREAM_SSE)
    return sse_dispatch(stream, error);
  return TRUE;
}
