/* InfEventStream: the framing of a streamed reply body, fed in arbitrary
 * pieces as they arrive: server-sent events (SSE: "event:" and "data:" lines,
 * an event ends at a blank line; comments and other fields ignored; CRLF or
 * LF) or NDJSON (one JSON value per line; blank lines ignored). Each complete
 * event goes to a callback. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef struct _InfEventStream InfEventStream;

/* One event: @event is the SSE event name or NULL, @data its data (SSE data
 * lines joined by '\n', or the NDJSON line). FALSE with @error stops. */
typedef gboolean (*InfEventFunc)(const char *event, const char *data, gpointer user_data,
                                 GError **error);

InfEventStream *inf_event_stream_new(InfHttpStreamFormat format, InfEventFunc func,
                                     gpointer user_data);
void inf_event_stream_free(InfEventStream *stream);
/* Splits @length bytes of @data into lines and events, calling the callback
 * for each complete one; FALSE with its error when it stopped. */
gboolean inf_event_stream_feed(InfEventStream *stream, const char *data, gsize length,
                               GError **error);
/* The end of the body: a last line without its newline, or an SSE event
 * without its blank line, is dispatched too. */
gboolean inf_event_stream_finish(InfEventStream *stream, GError **error);

G_END_DECLS
