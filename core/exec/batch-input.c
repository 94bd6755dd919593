/* InfBatch: reading the JSONL inputs. Lines are read only as capacity frees
 * (regular files with getline(); pipes, terminals and sockets from the main
 * loop, a few lines ahead); each non-blank line is parsed into the graph's
 * inputs and started, or answered with an error line. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/batch-private.h"
#include "model/value-private.h"

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
    inf_batch_stop(batch);
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
      inf_batch_stop(batch);
      return TRUE;
    }
    if (journaled == INF_CHECKPOINT_LINE_DONE) {
      inf_batch_emit_done_before(batch, index); /* its place in the order */
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
    inf_batch_emit_input_error(batch, index, entry, message);
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
      inf_batch_stop(batch);
      return TRUE;
    }
  }
  inf_scheduler_add_input(scheduler, state);
  inf_exec_state_unref(state);
  return TRUE;
}

gboolean
inf_batch_feed(InfScheduler *scheduler, gpointer user_data)
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

void
inf_batch_input_init(InfBatch *batch)
{
  batch->tokener = json_tokener_new();
  struct stat st;
  if (fstat(fileno(batch->input), &st) == 0 && !S_ISREG(st.st_mode)) {
    g_autoptr(GInputStream) raw = g_unix_input_stream_new(fileno(batch->input), FALSE);
    batch->stream = g_data_input_stream_new(raw);
    g_data_input_stream_set_newline_type(batch->stream, G_DATA_STREAM_NEWLINE_TYPE_LF);
    batch->cancellable = g_cancellable_new();
    batch->lines = g_queue_new();
  }
}

void
inf_batch_input_clear(InfBatch *batch)
{
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
  free(batch->line); /* getline()'s buffer */
}
