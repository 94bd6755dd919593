/* InfOutput — the JSONL result stream of a run.
 *
 * Lines are buffered and written whole: a write never ends inside a line, so
 * a killed run leaves no partial last line (and a failed write is cut back to
 * the last whole line on a regular file). The main loop never blocks on a
 * slow reader: to a pipe or a socket the buffer drains from the main loop as
 * the reader takes it, and inf_output_is_full() tells the caller to stop
 * admitting new inputs until it has drained (back-pressure). A reader that
 * goes away (EPIPE, e.g. `| head -1`) is reported as a broken pipe, not a
 * signal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _InfOutput InfOutput;

/* Called from the main loop when the buffer has drained below the limit, or
 * when writing failed (see inf_output_get_error()). */
typedef void (*InfOutputNotify)(InfOutput *output, gpointer user_data);

/* Writes to @fd (borrowed; it stays open) named @name in messages. Regular
 * files, terminals and devices are written synchronously in whole lines;
 * pipes and sockets from the main loop. */
InfOutput *inf_output_new(int fd, const char *name);
void inf_output_free(InfOutput *output);

void inf_output_set_notify(InfOutput *output, InfOutputNotify notify, gpointer user_data);

/* Appends @line (@len bytes, without its newline) and a newline. Ignored
 * after an error. */
void inf_output_write_line(InfOutput *output, const char *line, gsize len);

/* TRUE while more than the limit (1 MiB) waits for a slow reader. */
gboolean inf_output_is_full(const InfOutput *output);

/* Writes everything buffered, blocking if it must (at the end of a run, or
 * before a checkpoint commit); with @sync, then fdatasync()s a regular file.
 * FALSE with @error when writing failed (now or before). */
gboolean inf_output_flush(InfOutput *output, gboolean sync, GError **error);

/* The file offset just past the last whole line written to the fd. */
gint64 inf_output_get_offset(const InfOutput *output);

/* The first write error, or NULL. */
const GError *inf_output_get_error(const InfOutput *output);
/* TRUE when the reader closed the pipe (EPIPE). */
gboolean inf_output_is_broken_pipe(const InfOutput *output);
/* The fd written to. */
int inf_output_get_fd(const InfOutput *output);
/* Lines accepted so far. */
guint64 inf_output_get_lines(const InfOutput *output);

G_END_DECLS
