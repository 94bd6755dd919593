/* Labelled datasets: JSONL examples {"input", "target", "id"}. */
#include "optim/dataset.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <string.h>
#include <sys/stat.h>

#include "model/value-private.h"
#include "optim/loss.h"

struct _InfDatasetReader {
  FILE *file;
  gboolean owned;
  char *name;
  InfGraph *graph;
  InfLoss *loss;
  json_tokener *tokener;
  char *line;
  size_t cap;
  guint64 line_number;
  guint64 next_index;
  /* streamed input (pipes, terminals, sockets): read on the main loop */
  GDataInputStream *stream;
  GCancellable *cancellable;
  GQueue *lines; /* GString *, read ahead, at most READ_AHEAD_LINES */
  gboolean reading;
  gboolean eof;
  GError *read_error;
  GSourceFunc wake;
  gpointer wake_data;
};

/* Lines of a streamed input read ahead of their use. */
#define READ_AHEAD_LINES 64

void
inf_example_free(InfExample *example)
{
  if (!example)
    return;
  for (guint i = 0; example->inputs && i < example->n_inputs; i++)
    if (example->inputs[i])
      inf_value_unref(example->inputs[i]);
  g_free(example->inputs);
  json_object_put(example->json);
  g_free(example->error);
  g_free(example);
}

InfDatasetReader *
inf_dataset_reader_open(const char *path, InfGraph *graph, InfLoss *loss, GError **error)
{
  gboolean std = g_str_equal(path, "-");
  FILE *file = std ? stdin : fopen(path, "re");
  if (!file) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "cannot open dataset %s: %s", path,
                g_strerror(errno));
    return NULL;
  }
  InfDatasetReader *reader = g_new0(InfDatasetReader, 1);
  reader->file = file;
  reader->owned = !std;
  reader->name = g_strdup(std ? "stdin" : path);
  reader->graph = inf_graph_ref(graph);
  reader->loss = loss ? inf_loss_ref(loss) : NULL;
  reader->tokener = json_tokener_new();
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && !S_ISREG(st.st_mode)) {
    g_autoptr(GInputStream) raw = g_unix_input_stream_new(fileno(file), FALSE);
    reader->stream = g_data_input_stream_new(raw);
    g_data_input_stream_set_newline_type(reader->stream, G_DATA_STREAM_NEWLINE_TYPE_LF);
    reader->cancellable = g_cancellable_new();
    reader->lines = g_queue_new();
  }
  return reader;
}

void
inf_dataset_reader_set_wake(InfDatasetReader *reader, GSourceFunc wake, gpointer user_data)
{
  reader->wake = wake;
  reader->wake_data = user_data;
}

gboolean
inf_dataset_reader_is_streamed(const InfDatasetReader *reader)
{
  return reader->stream != NULL;
}

static void
free_line(gpointer line)
{
  g_string_free(line, TRUE);
}

void
inf_dataset_reader_free(InfDatasetReader *reader)
{
  if (!reader)
    return;
  if (reader->stream) {
    g_cancellable_cancel(reader->cancellable);
    /* Let a pending read see the cancellation before the reader goes. */
    while (reader->reading)
      g_main_context_iteration(NULL, TRUE);
    g_object_unref(reader->stream);
    g_object_unref(reader->cancellable);
    g_queue_free_full(reader->lines, free_line);
    g_clear_error(&reader->read_error);
  }
  if (reader->owned)
    fclose(reader->file);
  g_free(reader->name);
  inf_graph_unref(reader->graph);
  if (reader->loss)
    inf_loss_unref(reader->loss);
  json_tokener_free(reader->tokener);
  free(reader->line);
  g_free(reader);
}

const char *
inf_dataset_reader_get_name(const InfDatasetReader *reader)
{
  return reader->name;
}

static void G_GNUC_PRINTF(3, 4)
    set_error(InfDatasetReader *reader, InfExample *example, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *what = g_strdup_vprintf(format, ap);
  va_end(ap);
  example->error =
      g_strdup_printf("%s:%" G_GUINT64_FORMAT ": %s", reader->name, example->line, what);
}

/* What a line must look like, for messages. */
static char *
expected_shape(InfGraph *graph)
{
  GString *s = g_string_new("{\"input\": {");
  for (guint i = 0; i < graph->n_inputs; i++)
    g_string_append_printf(s, "%s\"%s\": ...", i ? ", " : "", inf_graph_input_name(graph, i));
  g_string_append(s, "}, \"target\": ..., \"id\": optional}");
  return g_string_free(s, FALSE);
}

static void
parse_inputs(InfDatasetReader *reader, InfExample *example, json_object *input)
{
  InfGraph *graph = reader->graph;
  g_autofree char *shape = expected_shape(graph);
  if (json_object_is_type(input, json_type_string) && graph->n_inputs == 1) {
    example->inputs = g_new0(InfValue *, 1);
    example->n_inputs = 1;
    example->inputs[0] = inf_value_from_json(input);
    return;
  }
  if (!json_object_is_type(input, json_type_object)) {
    set_error(reader, example,
              "input: expected an object keyed by main's inputs%s, got %s; a line is %s",
              graph->n_inputs == 1 ? " (or a string)" : "", inf_json_kind_phrase(input), shape);
    return;
  }
  for (guint i = 0; i < graph->n_inputs; i++) {
    const char *name = inf_graph_input_name(graph, i);
    if (!json_object_object_get_ex(input, name, NULL)) {
      set_error(reader, example, "input.%s: missing; a line is %s", name, shape);
      return;
    }
  }
  example->inputs = g_new0(InfValue *, graph->n_inputs);
  example->n_inputs = graph->n_inputs;
  for (guint i = 0; i < graph->n_inputs; i++)
    example->inputs[i] =
        inf_value_from_json(json_object_object_get(input, inf_graph_input_name(graph, i)));
}

static void
parse_line(InfDatasetReader *reader, InfExample *example, const char *text, gsize len)
{
  g_autofree char *shape = expected_shape(reader->graph);
  json_tokener_reset(reader->tokener);
  json_object *json = json_tokener_parse_ex(reader->tokener, text, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(reader->tokener);
  if (jerr == json_tokener_continue)
    jerr = json_tokener_error_parse_eof;
  if (jerr != json_tokener_success) {
    set_error(reader, example, "invalid JSON: %s; a line is %s", json_tokener_error_desc(jerr),
              shape);
    return;
  }
  for (gsize i = json_tokener_get_parse_end(reader->tokener); i < len; i++)
    if (!g_ascii_isspace(text[i])) {
      json_object_put(json);
      set_error(reader, example, "invalid JSON: unexpected text after the value at column %zu",
                i + 1);
      return;
    }
  if (!json_object_is_type(json, json_type_object)) {
    set_error(reader, example, "expected a JSON object, got %s; a line is %s",
              inf_json_kind_phrase(json), shape);
    json_object_put(json);
    return;
  }
  example->json = json;
  json_object_object_get_ex(json, "id", &example->id);
  json_object *input = NULL;
  if (!json_object_object_get_ex(json, "input", &input)) {
    set_error(reader, example, "input: missing; a line is %s", shape);
    return;
  }
  if (!json_object_object_get_ex(json, "target", NULL)) {
    set_error(reader, example,
              "target: missing (every example needs the expected answer); a "
              "line is %s",
              shape);
    return;
  }
  json_object *target = json_object_object_get(json, "target");
  if (reader->loss) {
    g_autoptr(GError) local = NULL;
    if (!inf_loss_check_target(reader->loss, target, &local)) {
      set_error(reader, example, "target: %s", local->message);
      return;
    }
  }
  parse_inputs(reader, example, input);
  if (!example->error)
    example->target = target;
}

/* The example of line @text (@n bytes, NUL-terminated there or later;
 * changed in place), or NULL for a blank line. */
static InfExample *
example_from_line(InfDatasetReader *reader, char *text, gsize n)
{
  reader->line_number++;
  gsize start = 0, end = n;
  while (start < end && g_ascii_isspace(text[start]))
    start++;
  while (end > start && g_ascii_isspace(text[end - 1]))
    end--;
  if (start == end)
    return NULL;
  InfExample *example = g_new0(InfExample, 1);
  example->index = reader->next_index++;
  example->line = reader->line_number;
  text[end] = '\0';
  parse_line(reader, example, text + start, end - start);
  return example;
}

static void start_read(InfDatasetReader *reader);

static void
line_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  InfDatasetReader *reader = user_data;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  char *line =
      g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, &length, &error);
  reader->reading = FALSE;
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the reader is being freed */
  if (error) {
    g_set_error(&reader->read_error, INF_ERROR, INF_ERROR_IO, "reading %s failed: %s", reader->name,
                error->message);
    reader->eof = TRUE;
  } else if (!line) {
    reader->eof = TRUE;
  } else {
    /* with its length: a NUL byte in it is an error, as in a file */
    g_queue_push_tail(reader->lines, g_string_new_len(line, (gssize)length));
    g_free(line);
    start_read(reader);
  }
  if (reader->wake)
    reader->wake(reader->wake_data);
}

/* Reads the next line ahead on the main loop, unless enough are waiting. */
static void
start_read(InfDatasetReader *reader)
{
  if (reader->reading || reader->eof || g_queue_get_length(reader->lines) >= READ_AHEAD_LINES)
    return;
  reader->reading = TRUE;
  g_data_input_stream_read_line_async(reader->stream, G_PRIORITY_DEFAULT, reader->cancellable,
                                      line_read, reader);
}

static InfExample *
poll_stream(InfDatasetReader *reader, gboolean *later, GError **error)
{
  for (;;) {
    GString *line = g_queue_pop_head(reader->lines);
    start_read(reader);
    if (!line) {
      if (reader->read_error) {
        g_propagate_error(error, g_steal_pointer(&reader->read_error));
        return NULL;
      }
      *later = !reader->eof;
      return NULL;
    }
    InfExample *example = example_from_line(reader, line->str, line->len);
    g_string_free(line, TRUE);
    if (example)
      return example;
  }
}

InfExample *
inf_dataset_reader_poll(InfDatasetReader *reader, gboolean *later, GError **error)
{
  *later = FALSE;
  if (reader->stream)
    return poll_stream(reader, later, error);
  for (;;) {
    errno = 0;
    ssize_t n = getline(&reader->line, &reader->cap, reader->file);
    if (n < 0) {
      if (ferror(reader->file))
        g_set_error(error, INF_ERROR, INF_ERROR_IO, "reading %s failed: %s", reader->name,
                    g_strerror(errno ? errno : EIO));
      return NULL;
    }
    InfExample *example = example_from_line(reader, reader->line, (gsize)n);
    if (example)
      return example;
  }
}

InfExample *
inf_dataset_reader_next(InfDatasetReader *reader, GError **error)
{
  for (;;) {
    gboolean later = FALSE;
    InfExample *example = inf_dataset_reader_poll(reader, &later, error);
    if (example || !later)
      return example;
    g_main_context_iteration(NULL, TRUE); /* a streamed input: wait for its next line */
  }
}

GPtrArray *
inf_dataset_load(const char *path, InfGraph *graph, InfLoss *loss, GError **error)
{
  g_autoptr(InfDatasetReader) reader = inf_dataset_reader_open(path, graph, loss, error);
  if (!reader)
    return NULL;
  GPtrArray *examples = g_ptr_array_new_with_free_func((GDestroyNotify)inf_example_free);
  GError *local = NULL;
  InfExample *example;
  while ((example = inf_dataset_reader_next(reader, &local)))
    g_ptr_array_add(examples, example);
  if (local) {
    g_propagate_error(error, local);
    g_ptr_array_unref(examples);
    return NULL;
  }
  return examples;
}

guint
inf_dataset_count_errors(GPtrArray *examples)
{
  guint n = 0;
  for (guint i = 0; i < examples->len; i++)
    n += ((InfExample *)g_ptr_array_index(examples, i))->error != NULL;
  return n;
}
