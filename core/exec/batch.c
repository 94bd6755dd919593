#include "exec/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "exec/checkpoint.h"
#include "exec/output.h"
#include "exec/trace-writer.h"
#include "model/value-private.h"
#include "resources/metrics.h"

typedef struct {
  char *line; /* NULL: an input finished in an earlier run (resume) */
  InfCheckpointEntry *entry;
  gboolean ok;
} Held;

struct _InfBatch {
  InfScheduler *scheduler;
  InfGraph *graph;
  InfResourceManager *resources;
  InfBatchConfig config;
  FILE *input;
  char *input_name;
  InfOutput *output;
  InfCheckpoint *checkpoint;
  InfTraceWriter *trace; /* commits as instants; may be NULL */
  GSource *commit_timer;
  gboolean abandon; /* stopping: inputs still in flight are not written */
  GError *fatal;    /* the run cannot go on (checkpoint, changed input) */
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
  GHashTable *held; /* index → Held */
  guint64 next_to_write;
  /* counts */
  guint64 done;
  guint64 failed;
  guint64 abandoned; /* in flight when the run stopped, not written */
  gint64 start_us;
  GError *read_error; /* reading the input failed: the run fails */
  /* signals and progress */
  guint signals;
  guint sigint_id;
  guint sigterm_id;
  GSource *progress;
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

static void stop_run(InfBatch *batch);

static double
member_double(json_object *o, const char *key)
{
  json_object *v;
  return o && json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static gint64
member_int(json_object *o, const char *key)
{
  json_object *v;
  return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* The spend per alias so far, earlier processes of a resumed run included,
 * for the checkpoint to record. */
static void
record_spent(InfBatch *batch)
{
  json_object *was = inf_checkpoint_get_spent(batch->checkpoint);
  json_object *now = json_object_new_object();
  if (was) {
    json_object_object_foreach(was, alias, value)
        json_object_object_add(now, alias, json_object_get(value));
  }
  for (guint i = 0; batch->resources && i < inf_resource_manager_get_n_aliases(batch->resources);
       i++) {
    InfMetrics *m =
        inf_resource_alias_get_metrics(inf_resource_manager_get_alias(batch->resources, i));
    json_object *before = NULL;
    if (was)
      json_object_object_get_ex(was, m->alias, &before);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cost",
                           json_object_new_double(member_double(before, "cost") + m->cost));
    json_object_object_add(
        o, "requests", json_object_new_int64(member_int(before, "requests") + (gint64)m->requests));
    json_object_object_add(
        o, "tokens",
        json_object_new_int64(member_int(before, "tokens") + m->input_tokens + m->output_tokens));
    json_object_object_add(now, m->alias, o);
  }
  inf_checkpoint_set_spent(batch->checkpoint, now);
  json_object_put(now);
}

/* Commits the checkpoint (see inf_checkpoint_commit()); a failure stops the
 * run. Each commit is an instant in the trace. */
static gboolean
commit_checkpoint(InfBatch *batch, gboolean all)
{
  if (batch->fatal)
    return FALSE;
  record_spent(batch);
  guint64 before = inf_checkpoint_get_commits(batch->checkpoint);
  if (!inf_checkpoint_commit(batch->checkpoint, batch->output, all, &batch->fatal)) {
    stop_run(batch);
    return FALSE;
  }
  guint64 after = inf_checkpoint_get_commits(batch->checkpoint);
  if (batch->trace && after != before) {
    json_object *args = json_object_new_object();
    json_object_object_add(args, "commit", json_object_new_int64((gint64)after));
    json_object_object_add(args, "output_bytes",
                           json_object_new_int64(inf_output_get_offset(batch->output)));
    json_object_object_add(
        args, "main_loop_us",
        json_object_new_int64(inf_checkpoint_get_last_commit_us(batch->checkpoint)));
    inf_trace_writer_instant(batch->trace, "checkpoint", "checkpoint commit", args);
    json_object_put(args);
  }
  return TRUE;
}

static void
held_free(gpointer data)
{
  Held *h = data;
  g_free(h->line);
  g_free(h);
}

static void
write_line(InfBatch *batch, InfCheckpointEntry *entry, const char *line, gboolean ok)
{
  if (!line || inf_output_get_error(batch->output))
    return;
  inf_output_write_line(batch->output, line, strlen(line));
  if (!entry)
    return;
  inf_checkpoint_finish(batch->checkpoint, entry, ok);
  if (inf_checkpoint_wants_commit(batch->checkpoint))
    commit_checkpoint(batch, FALSE);
}

/* Writes @line (owned) of input @index now, or holds it for order. NULL:
 * the input finished in an earlier run; only its place in the order counts. */
static void
emit(InfBatch *batch, guint64 index, InfCheckpointEntry *entry, char *line, gboolean ok)
{
  if (!batch->config.ordered) {
    write_line(batch, entry, line, ok);
    g_free(line);
    return;
  }
  if (index != batch->next_to_write) {
    Held *h = g_new(Held, 1);
    *h = (Held){ line, entry, ok };
    g_hash_table_insert(batch->held, GSIZE_TO_POINTER(index), h);
    return;
  }
  write_line(batch, entry, line, ok);
  g_free(line);
  batch->next_to_write++;
  Held *next;
  while ((next = g_hash_table_lookup(batch->held, GSIZE_TO_POINTER(batch->next_to_write)))) {
    write_line(batch, next->entry, next->line, next->ok);
    g_hash_table_remove(batch->held, GSIZE_TO_POINTER(batch->next_to_write));
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
  char *line = g_strdup(
      json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(obj);
  return line;
}

static void
emit_input_error(InfBatch *batch, guint64 index, InfCheckpointEntry *entry, const char *message)
{
  json_object *errors = json_object_new_object();
  json_object_object_add(errors, "input", json_object_new_string(message));
  batch->done++;
  batch->failed++;
  emit(batch, index, entry, result_line(index, NULL, errors, NULL, 0), FALSE);
}

static void
on_input_done(InfScheduler *scheduler, InfExecState *state, gpointer user_data)
{
  (void)scheduler;
  InfBatch *batch = user_data;
  if (batch->abandon) {
    /* Stopped: what was in flight stays unwritten (a checkpoint keeps its
     * completed nodes for --resume). */
    batch->abandoned++;
  } else {
    g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
    json_object *errors = inf_exec_state_errors_json(state);
    batch->done++;
    if (errors)
      batch->failed++;
    double ms = (double)(g_get_monotonic_time() - state->start_us) / 1000.0;
    json_object *statuses = batch->config.node_status ? inf_exec_state_statuses_json(state) : NULL;
    emit(batch, state->index, state->user_data,
         result_line(state->index, inf_value_to_json(outputs), errors, statuses, ms),
         errors == NULL);
  }
  if ((batch->eof || batch->signals > 0) &&
      inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0 && batch->loop)
    g_main_loop_quit(batch->loop);
}

/* The run cannot go on (a write or journal failure, a changed input): no
 * new inputs or nodes; what is in flight is settled after the loop. */
static void
stop_run(InfBatch *batch)
{
  inf_scheduler_stop(batch->scheduler);
  if (batch->loop)
    g_main_loop_quit(batch->loop);
}

static void
on_output(InfOutput *output, gpointer user_data)
{
  InfBatch *batch = user_data;
  if (inf_output_get_error(output))
    stop_run(batch);
  else
    inf_scheduler_pump(batch->scheduler); /* drained: admit inputs again */
}

static InfValue *
restore_cb(InfExecState *state, guint node, gpointer user_data)
{
  InfBatch *batch = user_data;
  return inf_checkpoint_take_result(batch->checkpoint, state->user_data, node);
}

static gboolean
commit_cb(gpointer data)
{
  InfBatch *batch = data;
  commit_checkpoint(batch, FALSE);
  return G_SOURCE_CONTINUE;
}

gboolean
inf_batch_flush_checkpoint(InfBatch *batch, GError **error)
{
  if (!batch->checkpoint)
    return TRUE;
  if (batch->fatal && !g_error_matches(batch->fatal, INF_ERROR, INF_ERROR_CONFIG)) {
    g_propagate_error(error, g_error_copy(batch->fatal));
    return FALSE;
  }
  return inf_checkpoint_commit(batch->checkpoint, batch->output, TRUE, error);
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
      *message =
          g_strdup_printf("%s:%" G_GUINT64_FORMAT ": missing input %s; each line needs an "
                          "object with the keys %s",
                          batch->input_name, batch->line_number, missing->str, expected->str);
      g_string_free(missing, TRUE);
      g_string_free(expected, TRUE);
      ok = FALSE;
    }
  } else if (graph->n_inputs == 1 && json_object_is_type(json, json_type_string)) {
    inputs[0] = inf_value_from_json(json);
  } else {
    *message = g_strdup_printf(
        "%s:%" G_GUINT64_FORMAT ": expected a JSON object keyed by the "
        "inputs (%s%s)%s, got %s",
        batch->input_name, batch->line_number,
        graph->n_inputs ? inf_graph_input_name(graph, 0) : "", graph->n_inputs > 1 ? ", ..." : "",
        graph->n_inputs == 1 ? " or a JSON string" : "", inf_json_kind_phrase(json));
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
  if (batch->checkpoint && !batch->fatal &&
      !inf_checkpoint_check_input_count(batch->checkpoint, batch->next_index, &batch->fatal))
    stop_run(batch);
  if (inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0 && batch->loop)
    g_main_loop_quit(batch->loop);
}

static void
async_line_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  InfBatch *batch = user_data;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *line =
      g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, &length, &error);
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
  guint64 hash = 0;
  InfCheckpointLine journaled = INF_CHECKPOINT_LINE_NEW;
  if (batch->checkpoint) {
    hash = inf_checkpoint_hash_line(text + start, n - start);
    journaled = inf_checkpoint_check_line(batch->checkpoint, index, hash, &batch->fatal);
    if (journaled == INF_CHECKPOINT_LINE_CHANGED) {
      stop_run(batch);
      return TRUE;
    }
    if (journaled == INF_CHECKPOINT_LINE_DONE) {
      emit(batch, index, NULL, NULL, TRUE); /* its place in the order */
      return FALSE;
    }
  }
  InfValue **inputs = g_newa(InfValue *, batch->graph->n_inputs + 1);
  memset(inputs, 0, sizeof(InfValue *) * (batch->graph->n_inputs + 1));
  char *message = NULL;
  if (!parse_input(batch, text + start, n - start, inputs, &message)) {
    for (guint i = 0; i < batch->graph->n_inputs; i++)
      if (inputs[i])
        inf_value_unref(inputs[i]);
    InfCheckpointEntry *entry =
        batch->checkpoint ? inf_checkpoint_track(batch->checkpoint, NULL, index, hash) : NULL;
    emit_input_error(batch, index, entry, message);
    g_free(message);
    return TRUE;
  }
  InfExecState *state = inf_exec_state_new(batch->graph, index, inputs);
  for (guint i = 0; i < batch->graph->n_inputs; i++)
    inf_value_unref(inputs[i]);
  if (batch->checkpoint) {
    /* The owner's pointer: the batch's journal entry for the input. */
    state->user_data = inf_checkpoint_track(batch->checkpoint, state, index, hash);
    if (journaled == INF_CHECKPOINT_LINE_PARTIAL &&
        !inf_checkpoint_restore(batch->checkpoint, state->user_data, &batch->fatal)) {
      inf_exec_state_unref(state);
      stop_run(batch);
      return TRUE;
    }
  }
  inf_scheduler_add_input(scheduler, state);
  inf_exec_state_unref(state);
  return TRUE;
}

static gboolean
feed(InfScheduler *scheduler, gpointer user_data)
{
  InfBatch *batch = user_data;
  if (batch->eof || batch->signals > 0 || batch->fatal)
    return FALSE;
  /* A slow reader: admit no more until the output drains. */
  if (inf_output_is_full(batch->output))
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
      return !batch->fatal;
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
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "h%02" G_GUINT64_FORMAT "m", s / 3600,
                           (s / 60) % 60);
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
  for (guint i = 0; batch->resources && i < inf_resource_manager_get_n_aliases(batch->resources);
       i++) {
    InfMetrics *m =
        inf_resource_alias_get_metrics(inf_resource_manager_get_alias(batch->resources, i));
    tokens = inf_tokens_add(tokens, inf_tokens_add(m->input_tokens, m->output_tokens));
    cost += m->cost;
  }
  GString *s = g_string_new(NULL);
  /* Inputs finished in an earlier run count as done. */
  guint64 done =
      batch->done + (batch->checkpoint ? inf_checkpoint_get_resumed(batch->checkpoint) : 0);
  if (batch->config.total_inputs >= 0)
    g_string_append_printf(s, "%" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT " done", done,
                           batch->config.total_inputs);
  else
    g_string_append_printf(s, "%" G_GUINT64_FORMAT " done", done);
  g_string_append_printf(
      s, ", %.1f/s, %u in flight, %" G_GUINT64_FORMAT " errors, %" G_GINT64_FORMAT " tokens, $%.4f",
      rate, inf_scheduler_get_inputs_in_flight(batch->scheduler), batch->failed, tokens, cost);
  if (batch->config.total_inputs >= 0 && rate > 0) {
    g_string_append(s, ", ETA ");
    format_duration(s, (double)((guint64)batch->config.total_inputs -
                                MIN(done, (guint64)batch->config.total_inputs)) /
                           rate);
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
      fprintf(stderr,
              "%sinterrupted: no new inputs; finishing the %u in flight (signal again to "
              "cancel them)\n",
              batch->progress_drawn ? "\n" : "",
              inf_scheduler_get_inputs_in_flight(batch->scheduler));
    /* Waits that have not started a request end now: calls waiting to
     * retry and nodes waiting on a rate limit fail as interrupted. */
    g_autoptr(GError) interrupted =
        g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "interrupted while waiting on a rate limit");
    if (batch->resources)
      inf_resource_manager_end_waits(batch->resources);
    inf_scheduler_end_waits(batch->scheduler, interrupted);
    /* Journal what has finished so far right away. */
    if (batch->checkpoint)
      commit_checkpoint(batch, TRUE);
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
              const char *input_name, int output_fd, const char *output_name,
              const InfBatchConfig *config)
{
  InfBatch *batch = g_new0(InfBatch, 1);
  batch->scheduler = scheduler;
  batch->graph = inf_graph_ref(graph);
  batch->resources = resources;
  batch->config = *config;
  batch->input = input;
  batch->input_name = g_strdup(input_name);
  batch->output = inf_output_new(output_fd, output_name);
  inf_output_set_notify(batch->output, on_output, batch);
  batch->tokener = json_tokener_new();
  batch->held = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, held_free);
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
inf_batch_set_trace(InfBatch *batch, InfTraceWriter *trace)
{
  batch->trace = trace;
}

void
inf_batch_set_checkpoint(InfBatch *batch, InfCheckpoint *checkpoint)
{
  batch->checkpoint = checkpoint;
  inf_scheduler_set_restore(batch->scheduler, checkpoint ? restore_cb : NULL, batch);
}

void
inf_batch_free(InfBatch *batch)
{
  if (!batch)
    return;
  inf_scheduler_set_feed(batch->scheduler, NULL, NULL);
  inf_scheduler_set_done(batch->scheduler, NULL, NULL);
  inf_scheduler_set_halted(batch->scheduler, NULL, NULL);
  inf_scheduler_set_restore(batch->scheduler, NULL, NULL);
  if (batch->commit_timer) {
    g_source_destroy(batch->commit_timer);
    g_source_unref(batch->commit_timer);
  }
  inf_output_free(batch->output);
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
  g_clear_error(&batch->read_error);
  g_clear_error(&batch->fatal);
  inf_graph_unref(batch->graph);
  free(batch->line);
  g_free(batch->input_name);
  g_free(batch);
}

/* Settles what is still in flight when the loop ended early. */
static void
settle_in_flight(InfBatch *batch)
{
  gboolean output_failed = inf_output_get_error(batch->output) != NULL;
  if (inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0 ||
      (batch->signals < 2 && !batch->fatal && !output_failed))
    return;
  /* Journal the completed nodes first: --resume will not run them again. */
  if (batch->checkpoint)
    commit_checkpoint(batch, TRUE);
  /* Nothing more can be written after a failure; with a checkpoint, inputs
   * in flight are left for --resume instead of written as cancelled. */
  batch->abandon = output_failed || batch->fatal || batch->checkpoint;
  g_autoptr(GError) cancelled =
      g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "cancelled: the run was %s",
                  batch->signals > 1 ? "interrupted" : "stopped");
  inf_scheduler_cancel_all(batch->scheduler, cancelled);
}

gboolean
inf_batch_run(InfBatch *batch, GError **error)
{
  batch->start_us = g_get_monotonic_time();
  batch->loop = g_main_loop_new(NULL, FALSE);
  batch->sigint_id = g_unix_signal_add(SIGINT, on_signal, batch);
  batch->sigterm_id = g_unix_signal_add(SIGTERM, on_signal, batch);
  if (!batch->config.quiet) {
    guint interval = batch->config.tty_progress           ? 200
                     : batch->config.progress_interval_ms ? batch->config.progress_interval_ms
                                                          : 5000;
    batch->progress = g_timeout_source_new(interval);
    g_source_set_callback(batch->progress, progress_cb, batch, NULL);
    g_source_attach(batch->progress, NULL);
  }
  if (batch->checkpoint) {
    batch->commit_timer = g_timeout_source_new(INF_CHECKPOINT_INTERVAL_MS);
    g_source_set_callback(batch->commit_timer, commit_cb, batch, NULL);
    g_source_attach(batch->commit_timer, NULL);
  }
  inf_scheduler_pump(batch->scheduler);
  if (!(batch->eof && inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0) &&
      !inf_output_get_error(batch->output) && !batch->fatal && !batch->halted)
    g_main_loop_run(batch->loop);
  g_source_remove(batch->sigint_id);
  g_source_remove(batch->sigterm_id);
  if (batch->progress) {
    g_source_destroy(batch->progress);
    g_clear_pointer(&batch->progress, g_source_unref);
  }
  if (batch->commit_timer) {
    g_source_destroy(batch->commit_timer);
    g_clear_pointer(&batch->commit_timer, g_source_unref);
  }
  if (batch->progress_drawn) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
  }
  g_main_loop_unref(batch->loop);
  batch->loop = NULL;
  settle_in_flight(batch);
  /* Ordered output after an interruption: inputs never read leave gaps;
   * what is held goes out in index order. */
  if (g_hash_table_size(batch->held)) {
    GList *keys = g_list_sort(g_hash_table_get_keys(batch->held), compare_index);
    for (GList *l = keys; l; l = l->next) {
      Held *h = g_hash_table_lookup(batch->held, l->data);
      write_line(batch, h->entry, h->line, h->ok);
    }
    g_list_free(keys);
    g_hash_table_remove_all(batch->held);
  }
  GError *local = NULL;
  if (batch->checkpoint && !batch->fatal)
    commit_checkpoint(batch, TRUE);
  else
    inf_output_flush(batch->output, FALSE, NULL);
  if (inf_output_get_error(batch->output) && !inf_output_is_broken_pipe(batch->output))
    local = g_error_copy(inf_output_get_error(batch->output));
  else if (batch->fatal)
    local = g_error_copy(batch->fatal);
  if (local) {
    g_propagate_error(error, local);
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

gboolean
inf_batch_is_complete(const InfBatch *batch)
{
  return batch->eof && batch->signals == 0 && !batch->halted && !batch->fatal &&
         batch->abandoned == 0 && !inf_output_get_error(batch->output);
}

gboolean
inf_batch_output_closed(const InfBatch *batch)
{
  return inf_output_is_broken_pipe(batch->output);
}

void
inf_batch_print_summary(InfBatch *batch)
{
  double elapsed = (double)(g_get_monotonic_time() - batch->start_us) / 1e6;
  g_autofree char *text = progress_text(batch);
  const char *how = batch->signals                             ? "interrupted"
                    : batch->halted                            ? "stopped by the budget"
                    : inf_output_is_broken_pipe(batch->output) ? "stopped (the output was closed)"
                    : inf_output_get_error(batch->output) || batch->fatal ? "stopped"
                                                                          : "finished";
  GString *extra = g_string_new(NULL);
  if (batch->abandoned)
    g_string_append_printf(extra, ", %" G_GUINT64_FORMAT " not finished", batch->abandoned);
  if (batch->checkpoint && inf_checkpoint_get_resumed(batch->checkpoint))
    g_string_append_printf(extra,
                           ", %" G_GUINT64_FORMAT " done before (resumed), %" G_GUINT64_FORMAT
                           " node results restored",
                           inf_checkpoint_get_resumed(batch->checkpoint),
                           inf_checkpoint_get_restored_nodes(batch->checkpoint));
  else if (batch->checkpoint && inf_checkpoint_get_restored_nodes(batch->checkpoint))
    g_string_append_printf(extra, ", %" G_GUINT64_FORMAT " node results restored",
                           inf_checkpoint_get_restored_nodes(batch->checkpoint));
  fprintf(stderr,
          "%s: %" G_GUINT64_FORMAT " inputs (%" G_GUINT64_FORMAT " failed%s) in %.2fs; %s\n", how,
          batch->done, batch->failed, extra->str, elapsed, text);
  g_string_free(extra, TRUE);
}
