#include "exec/output.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inf/inf.h>

#define OUTPUT_CHUNK (64 * 1024)   /* a synchronous write */
#define OUTPUT_LIMIT (1024 * 1024) /* buffered for a slow reader before back-pressure */
#define PIPE_CHUNK 4096            /* never blocks on a pipe that polled writable */

struct _InfOutput {
  int fd;
  char *name;
  gboolean regular;
  gboolean pollable; /* pipes and sockets: drained from the main loop */
  GByteArray *buffer;
  gsize head;      /* bytes of buffer already written */
  gint64 offset;   /* file offset after the last byte written */
  gint64 line_end; /* file offset after the last whole line written */
  guint64 lines;
  GError *error;
  gboolean broken_pipe;
  gboolean was_full;
  GSource *idle;  /* a deferred synchronous write */
  GSource *watch; /* waiting for a pollable fd */
  InfOutputNotify notify;
  gpointer notify_data;
};

InfOutput *
inf_output_new(int fd, const char *name)
{
  InfOutput *out = g_new0(InfOutput, 1);
  out->fd = fd;
  out->name = g_strdup(name);
  out->buffer = g_byte_array_sized_new(OUTPUT_CHUNK * 2);
  struct stat st;
  if (fstat(fd, &st) == 0) {
    out->regular = S_ISREG(st.st_mode);
    out->pollable = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
  }
  off_t pos = out->regular ? lseek(fd, 0, SEEK_CUR) : -1;
  out->offset = out->line_end = pos > 0 ? pos : 0;
  return out;
}

void
inf_output_free(InfOutput *out)
{
  if (!out)
    return;
  if (out->idle) {
    g_source_destroy(out->idle);
    g_source_unref(out->idle);
  }
  if (out->watch) {
    g_source_destroy(out->watch);
    g_source_unref(out->watch);
  }
  g_byte_array_unref(out->buffer);
  g_clear_error(&out->error);
  g_free(out->name);
  g_free(out);
}

void
inf_output_set_notify(InfOutput *out, InfOutputNotify notify, gpointer user_data)
{
  out->notify = notify;
  out->notify_data = user_data;
}

static gsize
pending(const InfOutput *out)
{
  return out->buffer->len - out->head;
}

gboolean
inf_output_is_full(const InfOutput *out)
{
  return pending(out) > OUTPUT_LIMIT;
}

gint64
inf_output_get_offset(const InfOutput *out)
{
  return out->line_end;
}

const GError *
inf_output_get_error(const InfOutput *out)
{
  return out->error;
}

gboolean
inf_output_is_broken_pipe(const InfOutput *out)
{
  return out->broken_pipe;
}

int
inf_output_get_fd(const InfOutput *out)
{
  return out->fd;
}

guint64
inf_output_get_lines(const InfOutput *out)
{
  return out->lines;
}

static void
fail(InfOutput *out, int errsv)
{
  out->broken_pipe = errsv == EPIPE;
  if (out->broken_pipe)
    g_set_error(&out->error, INF_ERROR, INF_ERROR_IO, "the reader of %s closed it (broken pipe)",
                out->name);
  else
    g_set_error(&out->error, INF_ERROR, INF_ERROR_IO, "writing %s failed: %s", out->name,
                g_strerror(errsv));
  /* Never leave a partial line behind in a file. */
  if (out->regular && out->offset != out->line_end && ftruncate(out->fd, out->line_end) == 0)
    out->offset = out->line_end;
  g_byte_array_set_size(out->buffer, 0);
  out->head = 0;
}

/* Writes up to @max bytes of whole lines; FALSE on an error or EAGAIN. */
static gboolean
write_some(InfOutput *out, gsize max)
{
  const guint8 *start = out->buffer->data + out->head;
  gsize n = MIN(pending(out), max);
  if (n < pending(out)) {
    /* End the chunk on a line, unless one line is longer than @max. */
    const guint8 *nl = memrchr(start, '\n', n);
    if (nl)
      n = (gsize)(nl - start) + 1;
  }
  ssize_t written;
  do
    written = write(out->fd, start, n);
  while (written < 0 && errno == EINTR);
  if (written < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      fail(out, errno);
    return FALSE;
  }
  const guint8 *nl = memrchr(start, '\n', (gsize)written);
  out->offset += written;
  if (nl)
    out->line_end = out->offset - (gint64)(start + written - (nl + 1));
  out->head += (gsize)written;
  if (out->head == out->buffer->len) {
    g_byte_array_set_size(out->buffer, 0);
    out->head = 0;
  } else if (out->head > OUTPUT_LIMIT) {
    g_byte_array_remove_range(out->buffer, 0, (guint)out->head);
    out->head = 0;
  }
  return TRUE;
}

static void
notify_if_drained(InfOutput *out)
{
  if (out->error || (out->was_full && !inf_output_is_full(out))) {
    out->was_full = FALSE;
    if (out->notify)
      out->notify(out, out->notify_data);
  }
}

static gboolean
writable_cb(int fd, GIOCondition condition, gpointer data)
{
  (void)condition;
  InfOutput *out = data;
  /* A bounded number of chunks per wake-up: the loop has other work. */
  for (guint i = 0; i < 64 && pending(out) && !out->error; i++) {
    if (!write_some(out, PIPE_CHUNK))
      break;
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
      break;
  }
  gboolean more = pending(out) && !out->error;
  if (!more)
    g_clear_pointer(&out->watch, g_source_unref);
  notify_if_drained(out);
  return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
idle_cb(gpointer data)
{
  InfOutput *out = data;
  g_clear_pointer(&out->idle, g_source_unref);
  while (pending(out) && !out->error)
    if (!write_some(out, G_MAXSIZE))
      break;
  notify_if_drained(out);
  return G_SOURCE_REMOVE;
}

static void
schedule(InfOutput *out)
{
  if (out->pollable) {
    if (!out->watch) {
      out->watch = g_unix_fd_source_new(out->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP);
      g_source_set_callback(out->watch, G_SOURCE_FUNC(writable_cb), out, NULL);
      g_source_attach(out->watch, NULL);
    }
    return;
  }
  if (pending(out) >= OUTPUT_CHUNK) {
    while (pending(out) && !out->error)
      if (!write_some(out, G_MAXSIZE))
        break;
    if (out->error && out->notify)
      out->notify(out, out->notify_data);
    return;
  }
  /* Write when the loop has nothing more urgent to do. */
  if (!out->idle) {
    out->idle = g_idle_source_new();
    g_source_set_priority(out->idle, G_PRIORITY_LOW);
    g_source_set_callback(out->idle, idle_cb, out, NULL);
    g_source_attach(out->idle, NULL);
  }
}

void
inf_output_write_line(InfOutput *out, const char *line, gsize len)
{
  if (out->error)
    return;
  g_byte_array_append(out->buffer, (const guint8 *)line, (guint)len);
  g_byte_array_append(out->buffer, (const guint8 *)"\n", 1);
  out->lines++;
  if (inf_output_is_full(out))
    out->was_full = TRUE;
  schedule(out);
}

gboolean
inf_output_flush(InfOutput *out, gboolean sync, GError **error)
{
  while (pending(out) && !out->error) {
    if (!write_some(out, out->pollable ? PIPE_CHUNK : G_MAXSIZE)) {
      if (out->error)
        break;
      /* EAGAIN on a non-blocking fd: wait for the reader. */
      struct pollfd p = { .fd = out->fd, .events = POLLOUT };
      if (poll(&p, 1, -1) < 0 && errno != EINTR) {
        fail(out, errno);
        break;
      }
    }
  }
  if (!out->error && sync && out->regular && fdatasync(out->fd) != 0)
    fail(out, errno);
  if (out->error) {
    g_propagate_error(error, g_error_copy(out->error));
    return FALSE;
  }
  return TRUE;
}
