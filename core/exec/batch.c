#include "exec/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "model/value-private.h"
#include "resources/metrics.h"

struct _InfBatch {
  InfScheduler *scheduler;
  InfGraph *graph;
  InfResourceManager *resources;
  InfBatchConfig config;
  FILE *input;
  char *input_name;
  FILE *output;
  GMainLoop *loop;
  json_tokener *tokener;
  char *line;
  size_t line_cap;
  /* asynchronous input (pipes, terminals, sockets) */
  GDataInputStream *stream;
  GCancellable *cancellable;
  GQueue *lines; /* char *, read ahead */
  gboolean reading;
  guint64 line_number;
  guint64 next_index;
  gboolean eof;
  /* ordered output */
  GHashTable *held; /* index → char * line */
  guint64 next_to_write;
  /* counts */
  guint64 done;
  guint64 failed;
  gint64 start_us;
  GError *write_error;
  GError *read_error; /* reading the input failed: the run fails */
  /* signals and progress */
  guint signals;
  guint sigint_id;
  guint sigterm_id;
  GSource *progress;
  GSource *flush;
  gboolean progress_drawn;
  gboolean halted; /* the budget stopped LLM dispatch */
};

gint64
inf_batch_count_lines(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char buffer[1 << 16];
  gint64 lines = 0;
  gboolean content = FALSE; /* the current line has a non-blank character */
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      if (buffer[i] == '\n') {
        lines += content;
        content = FALSE;
      } else if (!content && !g_ascii_isspace(buffer[i])) {
        content = TRUE;
      }
    }
  }
  close(fd);
  if (n < 0)
    return -1;
  return lines + content;
}

/* --- output --- */

static gboolean
flush_cb(gpointer data)
{
  InfBatch *batch = data;
  g_source_unref(batch->flush);
  batch->flush = NULL;
  fflush(batch->output);
  return G_SOURCE_REMOVE;
}

static void
write_line(InfBatch *batch, const char *line)
{
  if (batch->write_error)
    return;
  if (fputs(line, batch->output) == EOF || fputc('\n', batch->output) == EOF) {
    g_set_error(&batch->write_error, INF_ERROR, INF_ERROR_IO, "writing the output failed: %s",
                g_strerror(errno));
    if (batch->loop)
      g_main_loop_quit(batch->loop);
    return;
  }
  /* Flush when the loop has nothing more urgent to do. */
  if (!batch->flush) {
    batch->flush = g_idle_source_new();
    g_source_set_priority(batch->flush, G_PRIORITY_LOW);
    g_source_set_callback(batch->flush, flush_cb, batch, NULL);
    g_source_attach(batch->flush, NULL);
  }
}

static void
emit(InfBatch *batch, guint64 index, char *line)
{
  if (!batch->config.ordered) {
    write_line(batch, line);
    g_free(line);
    return;
  }
  if (index != batch->next_to_write) {
    g_hash_table_insert(batch->held, GSIZE_TO_POINTER(index), line);
    return;
  }
  write_line(batch, line);
  g_free(line);
  batch->next_to_write++;
  char *next;
  while ((next = g_hash_table_lookup(batch->held, GSIZE_TO_POINTER(batch->next_to_write)))) {
    g_hash_table_steal(batch->held, GSIZE_TO_POINTER(batch->next_to_write));
    write_line(batch, next);
    g_free(next);
    batch->next_to_write++;
  }
}

static char *
result_line(guint64 index, json_object *outputs, json_object *errors, json_object *statuses,
            double duration_ms)
{
  json_object *obj = json_object_new_object();
  json_object_object_add(obj, "index", json_object_new_int64((gint64)index));
  json_object_object_add(obj, "outputs", outputs);
  if (errors)
    json_object_object_add(obj, "errors", errors);
  if (statuses)
    json_object_object_add(obj, "nodes", statuses);
  char ms[32];
  g_snprintf(ms, sizeof ms, "%.3f", duration_ms);
  json_object_object_add(obj, "duration_ms", json_object_new_double_s(duration_ms, ms));
  char *line = g_strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(obj);
  return line;
}

static void
emit_input_error(InfBatch *batch, guint64 index, const char *message)
{
  json_object *errors = json_object_new_object();
  json_object_object_add(errors, "input", json_object_new_string(message));
  batch->done++;
  batch->failed++;
  emit(batch, index, result_line(index, NULL, errors, NULL, 0));
}

static void
on_input_done(InfScheduler *scheduler, InfExecState *state, gpointer user_data)
{
  (void)scheduler;
  InfBatch *batch = user_data;
  g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
  json_object *errors = inf_exec_state_errors_json(state);
  batch->done++;
  if (errors)
    batch->failed++;
  double ms = (double)(g_get_monotonic_time() - state->start_us) / 1000.0;
  json_object *statuses = batch->config.node_status ? inf_exec_state_statuses_json(state) : NULL;
  emit(batch, state->index,
       result_line(state->index, inf_value_to_json(outputs), errors, statuses, ms));
  if ((batch->eof || batch->signals > 0) &&
      inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0 && batch->loop)
    g_main_loop_quit(batch->loop);
}

/* --- input --- */

static gboolean
parse_input(InfBatch *batch, const char *text, gsize len, InfValue **inputs, char **message)
{
  InfGraph *graph = batch->graph;
  json_tokener_reset(batch->tokener);
  /* A bare literal ("42", "null") is parsed with the NUL after it (text[len]
   * is '\0' or a space), so that it ends there instead of waiting for more. */
  gboolean bare = text[0] != '{' && text[0] != '[' && text[0] != '"';
  json_object *json = json_tokener_parse_ex(batch->tokener, text, (int)len + (bare ? 1 : 0));
  enum json_tokener_error jerr = json_tokener_get_error(batch->tokener);
  if (jerr == json_tokener_continue) {
    jerr = json_tokener_error_parse_eof;
  } else if (jerr == json_tokener_success &&
             (gsize)json_tokener_get_parse_end(batch->tokener) < len) {
    /* trailing text after the value (other than spaces) */
    for (gsize i = json_tokener_get_parse_end(batch->tokener); i < len; i++)
      if (!g_ascii_isspace(text[i])) {
        json_object_put(json);
        *message = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": invalid JSON: unexpected text after "
                                   "the value at column %zu",
                                   batch->input_name, batch->line_number, i + 1);
        return FALSE;
      }
  }
  if (jerr != json_tokener_success) {
    *message = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": invalid JSON: %s", batch->input_name,
                               batch->line_number, json_tokener_error_desc(jerr));
    return FALSE;
  }
  g_autofree char *unportable = inf_json_describe_unportable(json);
  if (unportable) {
    json_object_put(json);
    *message = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": cannot take this input: %s",
                               batch->input_name, batch->line_number, unportable);
    return FALSE;
  }
  gboolean ok = TRUE;
  if (json_object_is_type(json, json_type_object)) {
    GString *missing = NULL;
    for (guint i = 0; i < graph->n_inputs; i++) {
      const char *name = inf_graph_input_name(graph, i);
      json_object *member;
      if (json_object_object_get_ex(json, name, &member)) {
        inputs[i] = inf_value_from_json(member);
      } else {
        if (!missing)
          missing = g_string_new(NULL);
        g_string_append_printf(missing, "%s'%s'", missing->len ? ", " : "", name);
      }
    }
    if (missing) {
      GString *expected = g_string_new(NULL);
      for (guint i = 0; i < graph->n_inputs; i++)
        g_string_append_printf(expected, "%s\"%s\"", i ? ", " : "", inf_graph_input_name(graph, i));
      *message = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": missing input %s; each line needs an "
                                 "object with the keys %s",
                                 batch->input_name, batch->line_number, missing->str, expected->str);
      g_string_free(missing, TRUE);
      g_string_free(expected, TRUE);
      ok = FALSE;
    }
  } else if (graph->n_inputs == 1 && json_object_is_type(json, json_type_string)) {
    inputs[0] = inf_value_from_json(json);
  } else {
    *message = g_strdup_printf("%s:%" G_GUINT64_FORMAT ": expected a JSON object keyed by the "
                               "inputs (%s%s)%s, got %s",
                               batch->input_name, batch->line_number,
                               graph->n_inputs ? inf_graph_input_name(graph, 0) : "",
                               graph->n_inputs > 1 ? ", ..." : "",
                               graph->n_inputs == 1 ? " or a JSON string" : "",
                               inf_json_kind_phrase(json));
    ok = FALSE;
  }
  json_object_put(json);
  return ok;
}

#define READ_AHEAD_LINES 64

static void start_async_read(InfBatch *batch);

static void
input_ended(InfBatch *batch)
{
  batch->eof = TRUE;
  if (inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0 && batch->loop)
    g_main_loop_quit(batch->loop);
}

static void
async_line_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  InfBatch *batch = user_data;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, &length,
                                                    &error);
  batch->reading = FALSE;
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the batch is being freed */
  if (error) {
    g_set_error(&batch->read_error, INF_ERROR, INF_ERROR_IO, "reading %s failed: %s",
                batch->input_name, error->message);
    input_ended(batch);
    return;
  }
  if (!line) {
    input_ended(batch);
    return;
  }
  g_queue_push_tail(batch->lines, line);
  if (g_queue_get_length(batch->lines) < READ_AHEAD_LINES)
    start_async_read(batch);
  inf_scheduler_pump(batch->scheduler);
}

static void
start_async_read(InfBatch *batch)
{
  if (batch->reading || batch->eof)
    return;
  batch->reading = TRUE;
  g_data_input_stream_read_line_async(batch->stream, G_PRIORITY_DEFAULT, batch->cancellable,
                                      async_line_read, batch);
}

/* The next input line (owned by the batch until the next call), or NULL
 * when none is available now (a read is under way) or the input ended. */
static char *
next_line(InfBatch *batch, gsize *length)
{
  if (!batch->stream) {
    errno = 0;
    ssize_t n = getline(&batch->line, &batch->line_cap, batch->input);
    if (n < 0) {
      if (ferror(batch->input) && !batch->read_error)
        g_set_error(&batch->read_error, INF_ERROR, INF_ERROR_IO, "reading %s failed: %s",
                    batch->input_name, g_strerror(errno ? errno : EIO));
      input_ended(batch);
      return NULL;
    }
    *length = (gsize)n;
    return batch->line;
  }
  /* Pipes, terminals, sockets: lines arrive from the main loop, so a slow
   * producer never stalls the calls in flight. */
  g_free(batch->line);
  batch->line = g_queue_pop_head(batch->lines);
  if (g_queue_get_length(batch->lines) < READ_AHEAD_LINES)
    start_async_read(batch);
  *length = batch->line ? strlen(batch->line) : 0;
  return batch->line;
}

/* Starts one input from @text (not NUL-terminated at @n: it is, but may
 * hold trailing spaces); FALSE for a blank line. */
static gboolean
start_input(InfBatch *batch, InfScheduler *scheduler, char *text, gsize n)
{
  batch->line_number++;
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
    text[--n] = '\0';
  gsize start = 0;
  while (start < n && g_ascii_isspace(text[start]))
    start++;
  if (start == n)
    return FALSE; /* blank lines are not inputs */
  guint64 index = batch->next_index++;
  InfValue **inputs = g_newa(InfValue *, batch->graph->n_inputs + 1);
  memset(inputs, 0, sizeof(InfValue *) * (batch->graph->n_inputs + 1));
  char *message = NULL;
  if (!parse_input(batch, text + start, n - start, inputs, &message)) {
    for (guint i = 0; i < batch->graph->n_inputs; i++)
      if (inputs[i])
        inf_value_unref(inputs[i]);
    emit_input_error(batch, index, message);
    g_free(message);
    return TRUE;
  }
  InfExecState *state = inf_exec_state_new(batch->graph, index, inputs);
  for (guint i = 0; i < batch->graph->n_inputs; i++)
    inf_value_unref(inputs[i]);
  inf_scheduler_add_input(scheduler, state);
  inf_exec_state_unref(state);
  return TRUE;
}

static gboolean
feed(InfScheduler *scheduler, gpointer user_data)
{
  InfBatch *batch = user_data;
  if (batch->eof || batch->signals > 0)
    return FALSE;
  /* Ordered output: results held for order count as in flight. */
  if (batch->config.ordered &&
      inf_scheduler_get_inputs_in_flight(scheduler) + g_hash_table_size(batch->held) >=
        MAX(batch->config.max_inflight, 1u))
    return FALSE;
  for (;;) {
    gsize n = 0;
    char *text = next_line(batch, &n);
    if (!text)
      return FALSE;
    if (start_input(batch, scheduler, text, n))
      return TRUE;
  }
}

static gint
compare_index(gconstpointer a, gconstpointer b)
{
  guint64 x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);
  return x < y ? -1 : x > y;
}

/* --- progress --- */

static void
format_duration(GString *out, double seconds)
{
  if (seconds < 0 || seconds > 1e7) {
    g_string_append(out, "?");
    return;
  }
  guint64 s = (guint64)(seconds + 0.5);
  if (s >= 3600)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "h%02" G_GUINT64_FORMAT "m", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "m%02" G_GUINT64_FORMAT "s", s / 60, s % 60);
  else
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "s", s);
}

static char *
progress_text(InfBatch *batch)
{
  double elapsed = (double)(g_get_monotonic_time() - batch->start_us) / 1e6;
  double rate = elapsed > 0 ? (double)batch->done / elapsed : 0;
  gint64 tokens = 0;
  double cost = 0;
  for (guint i = 0; batch->resources && i < inf_resource_manager_get_n_aliases(batch->resources); i++) {
    InfMetrics *m = inf_resource_alias_get_metrics(inf_resource_manager_get_alias(batch->resources, i));
    tokens = inf_tokens_add(tokens, inf_tokens_add(m->input_tokens, m->output_tokens));
    cost += m->cost;
  }
  GString *s = g_string_new(NULL);
  if (batch->config.total_inputs >= 0)
    g_string_append_printf(s, "%" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT " done", batch->done,
                           batch->config.total_inputs);
  else
    g_string_append_printf(s, "%" G_GUINT64_FORMAT " done", batch->done);
  g_string_append_printf(s, ", %.1f/s, %u in flight, %" G_GUINT64_FORMAT " errors, %" G_GINT64_FORMAT
                         " tokens, $%.4f",
                         rate, inf_scheduler_get_inputs_in_flight(batch->scheduler), batch->failed,
                         tokens, cost);
  if (batch->config.total_inputs >= 0 && rate > 0) {
    g_string_append(s, ", ETA ");
    format_duration(s, (double)((guint64)batch->config.total_inputs - MIN(batch->done, (guint64)batch->config.total_inputs)) / rate);
  }
  return g_string_free(s, FALSE);
}

static gboolean
progress_cb(gpointer data)
{
  InfBatch *batch = data;
  g_autofree char *text = progress_text(batch);
  if (batch->config.tty_progress) {
    fprintf(stderr, "\r\033[K%s", text);
    batch->progress_drawn = TRUE;
  } else {
    fprintf(stderr, "progress: %s\n", text);
  }
  fflush(stderr);
  return G_SOURCE_CONTINUE;
}

/* --- budget --- */

static void
on_halted(InfScheduler *scheduler, gpointer user_data)
{
  (void)scheduler;
  InfBatch *batch = user_data;
  batch->halted = TRUE;
  if (batch->loop)
    g_main_loop_quit(batch->loop);
}

/* --- signals --- */

static gboolean
on_signal(gpointer data)
{
  InfBatch *batch = data;
  batch->signals++;
  if (batch->signals == 1) {
    if (!batch->config.quiet)
      fprintf(stderr, "%sinterrupted: no new inputs; finishing the %u in flight (signal again to "
                      "cancel them)\n",
              batch->progress_drawn ? "\n" : "", inf_scheduler_get_inputs_in_flight(batch->scheduler));
    /* Waits that have not started a request end now: calls waiting to
     * retry and nodes waiting on a rate limit fail as interrupted. */
    g_autoptr(GError) interrupted = g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                                                "interrupted while waiting on a rate limit");
    if (batch->resources)
      inf_resource_manager_end_waits(batch->resources);
    inf_scheduler_end_waits(batch->scheduler, interrupted);
    if (inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0)
      g_main_loop_quit(batch->loop);
  } else {
    if (!batch->config.quiet)
      fprintf(stderr, "interrupted again: cancelling what is in flight\n");
    inf_scheduler_stop(batch->scheduler);
    g_main_loop_quit(batch->loop);
  }
  return G_SOURCE_CONTINUE;
}

InfBatch *
inf_batch_new(InfScheduler *scheduler, InfGraph *graph, InfResourceManager *resources, FILE *input,
              const char *input_name, FILE *output, const InfBatchConfig *config)
{
  InfBatch *batch = g_new0(InfBatch, 1);
  batch->scheduler = scheduler;
  batch->graph = inf_graph_ref(graph);
  batch->resources = resources;
  batch->config = *config;
  batch->input = input;
  batch->input_name = g_strdup(input_name);
  batch->output = output;
  batch->tokener = json_tokener_new();
  batch->held = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  struct stat st;
  if (fstat(fileno(input), &st) == 0 && !S_ISREG(st.st_mode)) {
    g_autoptr(GInputStream) raw = g_unix_input_stream_new(fileno(input), FALSE);
    batch->stream = g_data_input_stream_new(raw);
    g_data_input_stream_set_newline_type(batch->stream, G_DATA_STREAM_NEWLINE_TYPE_LF);
    batch->cancellable = g_cancellable_new();
    batch->lines = g_queue_new();
  }
  inf_scheduler_set_feed(scheduler, feed, batch);
  inf_scheduler_set_done(scheduler, on_input_done, batch);
  inf_scheduler_set_halted(scheduler, on_halted, batch);
  return batch;
}

void
inf_batch_free(InfBatch *batch)
{
  if (!batch)
    return;
  inf_scheduler_set_feed(batch->scheduler, NULL, NULL);
  inf_scheduler_set_done(batch->scheduler, NULL, NULL);
  inf_scheduler_set_halted(batch->scheduler, NULL, NULL);
  if (batch->flush) {
    g_source_destroy(batch->flush);
    g_source_unref(batch->flush);
  }
  g_hash_table_unref(batch->held);
  if (batch->stream) {
    g_cancellable_cancel(batch->cancellable);
    /* Let a pending read see the cancellation before the batch goes. */
    while (batch->reading)
      g_main_context_iteration(NULL, TRUE);
    g_object_unref(batch->stream);
    g_object_unref(batch->cancellable);
    g_queue_free_full(batch->lines, g_free);
    g_free(batch->line);
    batch->line = NULL;
  }
  json_tokener_free(batch->tokener);
  g_clear_error(&batch->write_error);
  g_clear_error(&batch->read_error);
  inf_graph_unref(batch->graph);
  free(batch->line);
  g_free(batch->input_name);
  g_free(batch);
}

gboolean
inf_batch_run(InfBatch *batch, GError **error)
{
  batch->start_us = g_get_monotonic_time();
  batch->loop = g_main_loop_new(NULL, FALSE);
  batch->sigint_id = g_unix_signal_add(SIGINT, on_signal, batch);
  batch->sigterm_id = g_unix_signal_add(SIGTERM, on_signal, batch);
  if (!batch->config.quiet) {
    guint interval = batch->config.tty_progress ? 200
                     : batch->config.progress_interval_ms ? batch->config.progress_interval_ms : 5000;
    batch->progress = g_timeout_source_new(interval);
    g_source_set_callback(batch->progress, progress_cb, batch, NULL);
    g_source_attach(batch->progress, NULL);
  }
  inf_scheduler_pump(batch->scheduler);
  if (!(batch->eof && inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0) &&
      !batch->write_error && !batch->halted)
    g_main_loop_run(batch->loop);
  /* A second signal: what is still in flight is cancelled and written. */
  g_source_remove(batch->sigint_id);
  g_source_remove(batch->sigterm_id);
  if (batch->progress) {
    g_source_destroy(batch->progress);
    g_clear_pointer(&batch->progress, g_source_unref);
  }
  if (batch->progress_drawn) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
  }
  g_main_loop_unref(batch->loop);
  batch->loop = NULL;
  if (batch->signals > 1) {
    /* Cancel what is still in flight and write it as cancelled. */
    g_autoptr(GError) cancelled = g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                                              "cancelled: the run was interrupted");
    inf_scheduler_cancel_all(batch->scheduler, cancelled);
  }
  /* Ordered output after an interruption: inputs never read leave gaps;
   * what is held goes out in index order. */
  if (g_hash_table_size(batch->held)) {
    GList *keys = g_list_sort(g_hash_table_get_keys(batch->held), compare_index);
    for (GList *l = keys; l; l = l->next) {
      char *line = g_hash_table_lookup(batch->held, l->data);
      write_line(batch, line);
    }
    g_list_free(keys);
    g_hash_table_remove_all(batch->held);
  }
  if (fflush(batch->output) != 0 && !batch->write_error)
    g_set_error(&batch->write_error, INF_ERROR, INF_ERROR_IO, "writing the output failed: %s",
                g_strerror(errno));
  if (batch->write_error) {
    g_propagate_error(error, g_steal_pointer(&batch->write_error));
    return FALSE;
  }
  if (batch->read_error) {
    g_propagate_error(error, g_steal_pointer(&batch->read_error));
    return FALSE;
  }
  return TRUE;
}

guint64
inf_batch_get_done(const InfBatch *batch)
{
  return batch->done;
}

guint64
inf_batch_get_failed(const InfBatch *batch)
{
  return batch->failed;
}

gboolean
inf_batch_was_interrupted(const InfBatch *batch)
{
  return batch->signals > 0;
}

gboolean
inf_batch_was_halted(const InfBatch *batch)
{
  return batch->halted;
}

void
inf_batch_print_summary(InfBatch *batch)
{
  double elapsed = (double)(g_get_monotonic_time() - batch->start_us) / 1e6;
  g_autofree char *text = progress_text(batch);
  fprintf(stderr, "%s: %" G_GUINT64_FORMAT " inputs (%" G_GUINT64_FORMAT " failed) in %.2fs; %s\n",
          batch->signals ? "interrupted" : batch->halted ? "stopped by the budget" : "finished",
          batch->done, batch->failed, elapsed, text);
}
