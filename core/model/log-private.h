/* The host's side of inf/log.h: where plugin and engine messages go.
 *
 * Messages are written by one sink for the whole process (like GLib's log
 * writer): stderr by default; the batch runner installs its own while it
 * draws a progress line, so that a message clears the line, is written, and
 * the line is drawn again. */
#pragma once

#include <stdarg.h>

#include <inf/log.h>

G_BEGIN_DECLS

/* Writes one complete line (without its newline) for @level. */
typedef void (*InfLogSinkFunc)(InfLogLevel level, const char *line, gpointer user_data);

/* Installs @func (NULL: the default, stderr) and returns the previous sink
 * in @old_func / @old_data (both may be NULL), so that the caller restores
 * it when done. */
void inf_log_set_sink(InfLogSinkFunc func, gpointer user_data, InfLogSinkFunc *old_func,
                      gpointer *old_data);

/* Whether messages of @level are shown (debug only with G_MESSAGES_DEBUG). */
gboolean inf_log_is_enabled(InfLogLevel level);

/* Formats "inf-engine: LEVEL: CONTEXT: TEXT" (without "CONTEXT: " when
 * @context is NULL), line breaks turned into spaces, and hands it to the
 * sink. */
void inf_log_emitv(InfLogLevel level, const char *context, const char *format, va_list args)
    G_GNUC_PRINTF(3, 0);
void inf_log_emit(InfLogLevel level, const char *context, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* "plugin FILE", or "built in" for classes registered by the host itself;
 * @file as the registry records it (NULL or "(built-in)"). Free with g_free. */
char *inf_log_describe_plugin(const char *file);

G_END_DECLS
