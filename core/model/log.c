/* inf/log.h: one sink for every message of plugins and the engine. */
#include "log-private.h"

#include <stdio.h>
#include <string.h>

static void
default_sink(InfLogLevel level, const char *line, gpointer user_data)
{
  (void)level;
  (void)user_data;
  fprintf(stderr, "%s\n", line);
  fflush(stderr);
}

/* The process-wide sink, like GLib's log writer: stderr is one per process. */
static struct {
  InfLogSinkFunc func;
  gpointer data;
} sink = { default_sink, NULL };

void
inf_log_set_sink(InfLogSinkFunc func, gpointer user_data, InfLogSinkFunc *old_func,
                 gpointer *old_data)
{
  if (old_func)
    *old_func = sink.func == default_sink ? NULL : sink.func;
  if (old_data)
    *old_data = sink.data;
  sink.func = func ? func : default_sink;
  sink.data = func ? user_data : NULL;
}

gboolean
inf_log_is_enabled(InfLogLevel level)
{
  if (level != INF_LOG_DEBUG)
    return TRUE;
  const char *domains = g_getenv("G_MESSAGES_DEBUG");
  if (!domains)
    return FALSE;
  g_auto(GStrv) names = g_strsplit_set(domains, " ,", -1);
  return g_strv_contains((const char *const *)names, "all") ||
         g_strv_contains((const char *const *)names, "inf-engine");
}

static const char *
level_name(InfLogLevel level)
{
  switch (level) {
  case INF_LOG_DEBUG:
    return "debug";
  case INF_LOG_INFO:
    return "info";
  case INF_LOG_WARNING:
    return "warning";
  case INF_LOG_ERROR:
  default:
    return "error";
  }
}

void
inf_log_emitv(InfLogLevel level, const char *context, const char *format, va_list args)
{
  if (!inf_log_is_enabled(level))
    return;
  GString *line = g_string_new("inf-engine: ");
  g_string_append_printf(line, "%s: ", level_name(level));
  if (context)
    g_string_append_printf(line, "%s: ", context);
  g_string_append_vprintf(line, format, args);
  for (gsize i = 0; i < line->len; i++)
    if (line->str[i] == '\n' || line->str[i] == '\r')
      line->str[i] = ' ';
  sink.func(level, line->str, sink.data);
  g_string_free(line, TRUE);
}

void
inf_log_emit(InfLogLevel level, const char *context, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  inf_log_emitv(level, context, format, args);
  va_end(args);
}

char *
inf_log_describe_plugin(const char *file)
{
  if (!file || g_str_equal(file, "(built-in)"))
    return g_strdup("built in");
  return g_strdup_printf("plugin %s", file);
}

void
inf_log_message(InfLogLevel level, const char *format, ...)
{
  g_return_if_fail(format != NULL);
  va_list args;
  va_start(args, format);
  inf_log_emitv(level, NULL, format, args);
  va_end(args);
}
