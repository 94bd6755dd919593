#include "exec/trace-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <inf/inf.h>

#define BUFFER_SIZE (256 * 1024)
#define DEFAULT_WARN_BYTES (500ull * 1024 * 1024)
#define DEFAULT_COUNTER_INTERVAL_MS 100

typedef struct {
  GArray *free; /* guint: released slots, a binary min-heap */
  guint next;   /* slots >= next were never taken */
} Track;

struct _InfTraceWriter {
  char *path;
  int fd;
  gboolean closed;
  GError *error;
  guint sample_every;
  gint64 counter_interval_ns;
  guint64 warn_bytes;
  gboolean warned;
  gint64 start_ns;
  guint64 n_events;
  guint64 bytes;
  gboolean in_event;
  gboolean first_arg;
  GArray *tracks; /* Track, index pid - 1 */
  gsize len;
  char buffer[BUFFER_SIZE];
};

static gint64
monotonic_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

/* --- output --- */

static void
fail(InfTraceWriter *w, int errsv)
{
  if (!w->error)
    g_set_error(&w->error, INF_ERROR, INF_ERROR_IO, "writing the trace %s failed: %s", w->path,
                g_strerror(errsv));
}

static void
write_all(InfTraceWriter *w, const char *data, gsize len)
{
  if (w->error)
    return;
  while (len > 0) {
    ssize_t n = write(w->fd, data, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail(w, errno);
      return;
    }
    data += n;
    len -= (gsize)n;
    w->bytes += (guint64)n;
  }
  if (!w->warned && w->bytes > w->warn_bytes) {
    w->warned = TRUE;
    g_printerr("inf-engine: warning: the trace %s has passed %" G_GUINT64_FORMAT " MB; trace "
               "viewers may fail to load JSON traces this large (--trace-sample K traces every "
               "K-th input only)\n",
               w->path, w->warn_bytes / (1024 * 1024));
  }
}

static void
flush(InfTraceWriter *w)
{
  write_all(w, w->buffer, w->len);
  w->len = 0;
}

static inline void
put(InfTraceWriter *w, const char *data, gsize len)
{
  if (G_UNLIKELY(w->len + len > BUFFER_SIZE)) {
    flush(w);
    if (len > BUFFER_SIZE) {
      write_all(w, data, len);
      return;
    }
  }
  memcpy(w->buffer + w->len, data, len);
  w->len += len;
}

#define PUT_LITERAL(w, s) put((w), "" s, sizeof(s) - 1)

static inline void
put_char(InfTraceWriter *w, char c)
{
  if (G_UNLIKELY(w->len + 1 > BUFFER_SIZE))
    flush(w);
  w->buffer[w->len++] = c;
}

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Room for @n bytes at the end of the buffer. */
static inline char *
reserve(InfTraceWriter *w, gsize n)
{
  if (G_UNLIKELY(w->len + n > BUFFER_SIZE))
    flush(w);
  return w->buffer + w->len;
}

static void
put_u64(InfTraceWriter *w, guint64 v)
{
  char tmp[24];
  int i = sizeof tmp;
  while (v >= 100) {
    guint pair = (guint)(v % 100) * 2;
    v /= 100;
    tmp[--i] = digit_pairs[pair + 1];
    tmp[--i] = digit_pairs[pair];
  }
  if (v >= 10) {
    tmp[--i] = digit_pairs[v * 2 + 1];
    tmp[--i] = digit_pairs[v * 2];
  } else {
    tmp[--i] = (char)('0' + v);
  }
  gsize n = sizeof tmp - (gsize)i;
  memcpy(reserve(w, n), tmp + i, n);
  w->len += n;
}

static void
put_i64(InfTraceWriter *w, gint64 v)
{
  if (v < 0) {
    put_char(w, '-');
    put_u64(w, v == G_MININT64 ? (guint64)G_MAXINT64 + 1 : (guint64)-v);
    return;
  }
  put_u64(w, (guint64)v);
}

/* Nanoseconds as microseconds with three decimals. */
static void
put_us(InfTraceWriter *w, gint64 ns)
{
  if (ns < 0)
    ns = 0;
  put_u64(w, (guint64)ns / 1000);
  guint frac = (guint)((guint64)ns % 1000);
  char tmp[4] = { '.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                  (char)('0' + frac % 10) };
  put(w, tmp, 4);
}

static void
put_double(InfTraceWriter *w, double v)
{
  if (v == 0 || !isfinite(v)) {
    put_char(w, '0'); /* JSON has no NaN or infinity */
    return;
  }
  if (v == (double)(gint64)v && fabs(v) < 1e15) {
    put_i64(w, (gint64)v);
    return;
  }
  char tmp[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(tmp, sizeof tmp, "%.10g", v);
  put(w, tmp, strlen(tmp));
}

/* A short C string as it is, without calls into libc for the usual short
 * keys and names. */
static inline void
put_cstr(InfTraceWriter *w, const char *text)
{
  char *d = reserve(w, 32);
  gsize n = 0;
  while (n < 32 && text[n]) {
    d[n] = text[n];
    n++;
  }
  w->len += n;
  if (G_UNLIKELY(text[n]))
    put(w, text + n, strlen(text + n));
}

/* @s as a JSON string, quotes included. */
static void
put_string(InfTraceWriter *w, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  put_char(w, '"');
  for (const char *p = s; *p; p++) {
    guchar c = (guchar)*p;
    if (G_LIKELY(c >= 0x20 && c != '"' && c != '\\')) {
      put_char(w, (char)c);
      continue;
    }
    switch (c) {
    case '"':
      PUT_LITERAL(w, "\\\"");
      break;
    case '\\':
      PUT_LITERAL(w, "\\\\");
      break;
    case '\n':
      PUT_LITERAL(w, "\\n");
      break;
    case '\t':
      PUT_LITERAL(w, "\\t");
      break;
    case '\r':
      PUT_LITERAL(w, "\\r");
      break;
    default: {
      char tmp[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
      put(w, tmp, 6);
    }
    }
  }
  put_char(w, '"');
}

/* --- events --- */

/* Everything up to the name's value. */
static void
event_head(InfTraceWriter *w, char ph, guint pid, gint64 tid)
{
  g_return_if_fail(!w->in_event);
  w->in_event = TRUE;
  w->first_arg = TRUE;
  if (w->n_events++ > 0)
    PUT_LITERAL(w, ",\n");
  char head[] = "{\"ph\":\"?\",\"pid\":";
  head[7] = ph;
  put(w, head, sizeof head - 1);
  put_u64(w, pid);
  if (tid >= 0) {
    PUT_LITERAL(w, ",\"tid\":");
    put_i64(w, tid);
  }
  PUT_LITERAL(w, ",\"name\":");
}

static void
event_start(InfTraceWriter *w, char ph, guint pid, gint64 tid, const char *name)
{
  event_head(w, ph, pid, tid);
  put_string(w, name);
}

static void
args_start(InfTraceWriter *w)
{
  PUT_LITERAL(w, ",\"args\":{");
}

static gboolean
writable(const InfTraceWriter *w)
{
  return w && !w->closed && !w->error;
}

static void
complete_tail(InfTraceWriter *w, gint64 start_ns, gint64 end_ns)
{
  PUT_LITERAL(w, ",\"ts\":");
  put_us(w, start_ns);
  PUT_LITERAL(w, ",\"dur\":");
  put_us(w, MAX(end_ns - start_ns, 0));
  args_start(w);
}

void
inf_trace_writer_begin_complete(InfTraceWriter *w, guint pid, guint tid, const char *category,
                                const char *name, gint64 start_ns, gint64 end_ns)
{
  if (!writable(w))
    return;
  event_start(w, 'X', pid, tid, name);
  PUT_LITERAL(w, ",\"cat\":");
  put_string(w, category);
  complete_tail(w, start_ns, end_ns);
}

void
inf_trace_writer_begin_complete_json(InfTraceWriter *w, guint pid, guint tid,
                                     const char *category_json, const char *name_json,
                                     gint64 start_ns, gint64 end_ns)
{
  if (!writable(w))
    return;
  event_head(w, 'X', pid, tid);
  put_cstr(w, name_json);
  PUT_LITERAL(w, ",\"cat\":");
  put_cstr(w, category_json);
  complete_tail(w, start_ns, end_ns);
}

char *
inf_trace_json_string(const char *text)
{
  json_object *json = json_object_new_string(text);
  char *out = g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(json);
  return out;
}

void
inf_trace_writer_begin_instant(InfTraceWriter *w, guint pid, gint tid, const char *category,
                               const char *name, gint64 ts_ns)
{
  if (!writable(w))
    return;
  event_start(w, 'i', pid, tid, name);
  PUT_LITERAL(w, ",\"cat\":");
  put_string(w, category);
  if (tid < 0)
    PUT_LITERAL(w, ",\"s\":\"p\"");
  else
    PUT_LITERAL(w, ",\"s\":\"t\"");
  PUT_LITERAL(w, ",\"ts\":");
  put_us(w, ts_ns);
  args_start(w);
}

/* Keys are plain names: written as they are. */
static gboolean
arg_key(InfTraceWriter *w, const char *key)
{
  if (!writable(w) || !w->in_event)
    return FALSE;
  if (w->first_arg)
    put_char(w, '"');
  else
    PUT_LITERAL(w, ",\"");
  w->first_arg = FALSE;
  put_cstr(w, key);
  PUT_LITERAL(w, "\":");
  return TRUE;
}

/* Any text as a key (escaped). */
static gboolean
arg_key_escaped(InfTraceWriter *w, const char *key)
{
  if (!writable(w) || !w->in_event)
    return FALSE;
  if (!w->first_arg)
    put_char(w, ',');
  w->first_arg = FALSE;
  put_string(w, key);
  put_char(w, ':');
  return TRUE;
}

void
inf_trace_writer_add_int(InfTraceWriter *w, const char *key, gint64 value)
{
  if (arg_key(w, key))
    put_i64(w, value);
}

void
inf_trace_writer_add_double(InfTraceWriter *w, const char *key, double value)
{
  if (arg_key(w, key))
    put_double(w, value);
}

void
inf_trace_writer_add_bool(InfTraceWriter *w, const char *key, gboolean value)
{
  if (!arg_key(w, key))
    return;
  if (value)
    PUT_LITERAL(w, "true");
  else
    PUT_LITERAL(w, "false");
}

void
inf_trace_writer_add_string(InfTraceWriter *w, const char *key, const char *value)
{
  if (!arg_key(w, key))
    return;
  if (value)
    put_string(w, value);
  else
    PUT_LITERAL(w, "null");
}

void
inf_trace_writer_add_raw(InfTraceWriter *w, const char *key, const char *value_json)
{
  if (arg_key(w, key))
    put_cstr(w, value_json);
}

void
inf_trace_writer_add_json(InfTraceWriter *w, const char *key, json_object *value)
{
  if (!arg_key_escaped(w, key))
    return;
  const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
  put(w, text, strlen(text));
}

void
inf_trace_writer_end_event(InfTraceWriter *w)
{
  if (!writable(w) || !w->in_event)
    return;
  PUT_LITERAL(w, "}}");
  w->in_event = FALSE;
}

static void
metadata_event(InfTraceWriter *w, guint pid, gint64 tid, const char *name, const char *key,
               const char *text, gint64 number)
{
  event_start(w, 'M', pid, tid, name);
  args_start(w);
  if (text)
    inf_trace_writer_add_string(w, key, text);
  else
    inf_trace_writer_add_int(w, key, number);
  inf_trace_writer_end_event(w);
}

void
inf_trace_writer_instant(InfTraceWriter *w, const char *category, const char *name,
                         json_object *args)
{
  if (!writable(w))
    return;
  inf_trace_writer_begin_instant(w, INF_TRACE_PID_RUN, -1, category, name, inf_trace_writer_now(w));
  if (args && json_object_is_type(args, json_type_object)) {
    json_object_object_foreach(args, key, value) inf_trace_writer_add_json(w, key, value);
  }
  inf_trace_writer_end_event(w);
}

void
inf_trace_writer_counter(InfTraceWriter *w, guint pid, const char *name, const char *key,
                         double value)
{
  if (!writable(w))
    return;
  event_start(w, 'C', pid, -1, name);
  PUT_LITERAL(w, ",\"ts\":");
  put_us(w, inf_trace_writer_now(w));
  args_start(w);
  inf_trace_writer_add_double(w, key, value);
  inf_trace_writer_end_event(w);
}

/* --- tracks --- */

static Track *
track_get(InfTraceWriter *w, guint pid)
{
  g_return_val_if_fail(pid >= 1 && pid <= w->tracks->len, NULL);
  return &g_array_index(w->tracks, Track, pid - 1);
}

static guint
track_add(InfTraceWriter *w, const char *name)
{
  Track track = { .free = g_array_new(FALSE, FALSE, sizeof(guint)) };
  g_array_append_val(w->tracks, track);
  guint pid = w->tracks->len;
  if (writable(w)) {
    metadata_event(w, pid, -1, "process_name", "name", name, 0);
    metadata_event(w, pid, -1, "process_sort_index", "sort_index", NULL, pid);
  }
  return pid;
}

guint
inf_trace_writer_add_process(InfTraceWriter *w, const char *name)
{
  return track_add(w, name);
}

guint
inf_trace_writer_acquire_slot(InfTraceWriter *w, guint pid)
{
  Track *t = track_get(w, pid);
  if (!t)
    return 0;
  GArray *heap = t->free;
  if (!heap->len) {
    guint slot = t->next++;
    if (writable(w)) {
      g_autofree char *name = g_strdup_printf("slot %u", slot);
      metadata_event(w, pid, slot, "thread_name", "name", name, 0);
      metadata_event(w, pid, slot, "thread_sort_index", "sort_index", NULL, slot);
    }
    return slot;
  }
  /* Pop the smallest released slot. */
  guint *e = (guint *)heap->data;
  guint top = e[0];
  guint n = heap->len - 1;
  e[0] = e[n];
  g_array_set_size(heap, n);
  for (guint i = 0;;) {
    guint l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && e[l] < e[m])
      m = l;
    if (r < n && e[r] < e[m])
      m = r;
    if (m == i)
      break;
    guint tmp = e[i];
    e[i] = e[m];
    e[m] = tmp;
    i = m;
  }
  return top;
}

void
inf_trace_writer_release_slot(InfTraceWriter *w, guint pid, guint tid)
{
  Track *t = track_get(w, pid);
  if (!t)
    return;
  g_array_append_val(t->free, tid);
  guint *e = (guint *)t->free->data;
  for (guint i = t->free->len - 1; i > 0;) {
    guint parent = (i - 1) / 2;
    if (e[parent] <= e[i])
      break;
    guint tmp = e[i];
    e[i] = e[parent];
    e[parent] = tmp;
    i = parent;
  }
}

/* --- life cycle --- */

InfTraceWriter *
inf_trace_writer_new(const char *path, const InfTraceWriterConfig *config, json_object *metadata,
                     GError **error)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    int errsv = errno;
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot write the trace %s: %s", path,
                g_strerror(errsv));
    return NULL;
  }
  InfTraceWriter *w = g_new0(InfTraceWriter, 1);
  w->path = g_strdup(path);
  w->fd = fd;
  w->sample_every = config && config->sample_every > 1 ? config->sample_every : 1;
  guint interval_ms = config && config->counter_interval_ms ? config->counter_interval_ms
                                                            : DEFAULT_COUNTER_INTERVAL_MS;
  w->counter_interval_ns = (gint64)interval_ms * 1000000;
  w->warn_bytes = config && config->warn_bytes ? config->warn_bytes : DEFAULT_WARN_BYTES;
  w->start_ns = monotonic_ns();
  w->tracks = g_array_new(FALSE, FALSE, sizeof(Track));

  PUT_LITERAL(w, "{\"displayTimeUnit\":\"ms\",\"otherData\":");
  if (metadata && json_object_is_type(metadata, json_type_object)) {
    const char *text = json_object_to_json_string_ext(metadata, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
    put(w, text, strlen(text));
  } else {
    PUT_LITERAL(w, "{}");
  }
  PUT_LITERAL(w, ",\"traceEvents\":[\n");
  track_add(w, "run");
  return w;
}

gboolean
inf_trace_writer_close(InfTraceWriter *w, GError **error)
{
  if (w->closed) {
    if (w->error) {
      g_propagate_error(error, g_steal_pointer(&w->error));
      return FALSE;
    }
    return TRUE;
  }
  if (w->in_event)
    inf_trace_writer_end_event(w);
  PUT_LITERAL(w, "\n]}\n");
  flush(w);
  w->closed = TRUE;
  if (close(w->fd) != 0 && errno != EINTR)
    fail(w, errno);
  w->fd = -1;
  if (w->error) {
    g_propagate_error(error, g_steal_pointer(&w->error));
    return FALSE;
  }
  return TRUE;
}

void
inf_trace_writer_free(InfTraceWriter *w)
{
  if (!w)
    return;
  if (!w->closed)
    inf_trace_writer_close(w, NULL);
  for (guint i = 0; i < w->tracks->len; i++)
    g_array_unref(g_array_index(w->tracks, Track, i).free);
  g_array_unref(w->tracks);
  g_clear_error(&w->error);
  g_free(w->path);
  g_free(w);
}

const char *
inf_trace_writer_get_path(const InfTraceWriter *w)
{
  return w->path;
}

gint64
inf_trace_writer_now(const InfTraceWriter *w)
{
  return monotonic_ns() - w->start_ns;
}

gboolean
inf_trace_writer_traces_input(const InfTraceWriter *w, guint64 index)
{
  return w->sample_every <= 1 || index % w->sample_every == 0;
}

gint64
inf_trace_writer_get_counter_interval(const InfTraceWriter *w)
{
  return w->counter_interval_ns;
}

guint64
inf_trace_writer_get_n_events(const InfTraceWriter *w)
{
  return w->n_events;
}

guint64
inf_trace_writer_get_bytes(const InfTraceWriter *w)
{
  return w->bytes + w->len;
}
