/* InfTraceWriter — streams a profiling trace of a run to a file, in the
 * Chrome Trace Event JSON format (the object form), as the run goes.
 *
 * The file is one JSON object:
 *   {"displayTimeUnit":"ms","otherData":{...},"traceEvents":[
 *   {event},
 *   {event}
 *   ]}
 * with one event per line. Events go through a fixed-size buffer straight to
 * the file, so memory does not grow with the trace; inf_trace_writer_close()
 * writes the closing "]}". Timestamps are µs (with ns decimals) since the
 * writer was created, on the monotonic clock.
 *
 * Tracks: pid 1 is the run (run-wide counters and markers); every
 * inf_trace_writer_add_process() adds a process (pid 2, 3, ...) named by a
 * process_name metadata event. Within a process, slots are thread ids: a
 * span takes the lowest free slot (inf_trace_writer_acquire_slot) and gives it
 * back when it ends, so complete events never overlap on one (pid, tid).
 *
 * Not thread-safe: use it from the main loop. Writing never fails the caller:
 * the first write error stops the trace and is reported by close. Nothing
 * here looks at what it writes: callers must not pass secrets (API keys,
 * URLs with credentials, error messages quoting requests). */
#pragma once

#include <glib.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfTraceWriter InfTraceWriter;

/* The run's own process: run-wide counters and markers. */
#define INF_TRACE_PID_RUN 1u

typedef struct {
  guint sample_every;        /* trace every K-th input in full (index % K == 0); 0 or 1: all */
  guint counter_interval_ms; /* least time between two samples of the counters; 0: 100 */
  guint64 warn_bytes;        /* warn once when the file passes this size; 0: 500 MB */
} InfTraceWriterConfig;

/* Creates (truncates) @path and writes the header; @metadata (borrowed, may
 * be NULL) goes into "otherData". @config may be NULL (defaults). */
InfTraceWriter *inf_trace_writer_new(const char *path, const InfTraceWriterConfig *config,
                                     json_object *metadata, GError **error);
/* Writes the end of the file, flushes and closes it. Later calls on the
 * writer write nothing. FALSE with @error when a write failed at any time. */
gboolean inf_trace_writer_close(InfTraceWriter *writer, GError **error);
/* Closes (ignoring errors) when not closed yet, and frees. */
void inf_trace_writer_free(InfTraceWriter *writer);

const char *inf_trace_writer_get_path(const InfTraceWriter *writer);
/* Nanoseconds since the trace started (monotonic). */
gint64 inf_trace_writer_now(const InfTraceWriter *writer);
/* Whether input @index is traced in full (spans and their instants). */
gboolean inf_trace_writer_traces_input(const InfTraceWriter *writer, guint64 index);
/* The least time between two counter samples, in ns. */
gint64 inf_trace_writer_get_counter_interval(const InfTraceWriter *writer);
guint64 inf_trace_writer_get_n_events(const InfTraceWriter *writer);
guint64 inf_trace_writer_get_bytes(const InfTraceWriter *writer);

/* --- tracks --- */

/* A new process track named @name; returns its pid (2, 3, ...). */
guint inf_trace_writer_add_process(InfTraceWriter *writer, const char *name);
/* The lowest free slot (thread id) of process @pid, now taken. */
guint inf_trace_writer_acquire_slot(InfTraceWriter *writer, guint pid);
void inf_trace_writer_release_slot(InfTraceWriter *writer, guint pid, guint tid);

/* --- events, streamed: begin, add args, end --- */

/* A complete event ("ph":"X") from @start_ns to @end_ns on (@pid, @tid). */
void inf_trace_writer_begin_complete(InfTraceWriter *writer, guint pid, guint tid,
                                     const char *category, const char *name, gint64 start_ns,
                                     gint64 end_ns);
/* An instant event ("ph":"i") at @ts_ns: thread-scoped on (@pid, @tid), or
 * process-scoped when @tid < 0. */
void inf_trace_writer_begin_instant(InfTraceWriter *writer, guint pid, gint tid,
                                    const char *category, const char *name, gint64 ts_ns);
/* The same with @category_json and @name_json already JSON strings (quotes
 * included; see inf_trace_json_string()), for hot paths. */
void inf_trace_writer_begin_complete_json(InfTraceWriter *writer, guint pid, guint tid,
                                          const char *category_json, const char *name_json,
                                          gint64 start_ns, gint64 end_ns);
/* Args of the event begun last. @key is a plain name (letters, digits, '_'),
 * written as it is. */
void inf_trace_writer_add_int(InfTraceWriter *writer, const char *key, gint64 value);
void inf_trace_writer_add_double(InfTraceWriter *writer, const char *key, double value);
void inf_trace_writer_add_bool(InfTraceWriter *writer, const char *key, gboolean value);
/* @value may be NULL (written as null). */
void inf_trace_writer_add_string(InfTraceWriter *writer, const char *key, const char *value);
/* @value_json: a JSON value as text, written as it is. */
void inf_trace_writer_add_raw(InfTraceWriter *writer, const char *key, const char *value_json);
/* @value (borrowed) may be NULL; @key may be any text. */
void inf_trace_writer_add_json(InfTraceWriter *writer, const char *key, json_object *value);
void inf_trace_writer_end_event(InfTraceWriter *writer);

/* --- conveniences --- */

/* A run-wide marker (a process-scoped instant on pid 1) now, with @args (a
 * JSON object, borrowed, may be NULL) as its args: for checkpoint commits,
 * budget warnings and the like. @writer may be NULL (does nothing). */
void inf_trace_writer_instant(InfTraceWriter *writer, const char *category, const char *name,
                              json_object *args);
/* A counter sample ("ph":"C") named @name on @pid now: one series @key. */
void inf_trace_writer_counter(InfTraceWriter *writer, guint pid, const char *name, const char *key,
                              double value);

/* @text as a JSON string, quotes included (caller frees). */
char *inf_trace_json_string(const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfTraceWriter, inf_trace_writer_free)

G_END_DECLS
