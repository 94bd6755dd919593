/* InfBatch: the result lines. Each finished input is one JSONL line, written
 * at once or, with ordered output, held until the inputs before it are out. */
#include <string.h>

#include "exec/batch-private.h"
#include "model/value-private.h"

/* A result line held for order. */
typedef struct {
  char *line; /* NULL: an input finished in an earlier run (resume) */
  InfCheckpointEntry *entry;
  gboolean ok;
} InfBatchHeld;

static void
held_free(gpointer data)
{
  InfBatchHeld *h = data;
  g_free(h->line);
  g_free(h);
}

static void
on_output(InfOutput *output, gpointer user_data)
{
  InfBatch *batch = user_data;
  if (inf_output_get_error(output))
    inf_batch_stop(batch);
  else
    inf_scheduler_pump(batch->scheduler); /* drained: admit inputs again */
}

void
inf_batch_output_init(InfBatch *batch, int fd, const char *name)
{
  batch->output = inf_output_new(fd, name);
  inf_output_set_notify(batch->output, on_output, batch);
  batch->held = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, held_free);
}

void
inf_batch_output_clear(InfBatch *batch)
{
  inf_output_free(batch->output);
  g_hash_table_unref(batch->held);
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
    inf_batch_commit(batch, FALSE);
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
    InfBatchHeld *h = g_new(InfBatchHeld, 1);
    *h = (InfBatchHeld){ line, entry, ok };
    g_hash_table_insert(batch->held, GSIZE_TO_POINTER(index), h);
    return;
  }
  write_line(batch, entry, line, ok);
  g_free(line);
  batch->next_to_write++;
  InfBatchHeld *next;
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

void
inf_batch_emit_input_error(InfBatch *batch, guint64 index, InfCheckpointEntry *entry,
                           const char *message)
{
  json_object *errors = json_object_new_object();
  json_object_object_add(errors, "input", json_object_new_string(message));
  batch->done++;
  batch->failed++;
  emit(batch, index, entry, result_line(index, NULL, errors, NULL, 0), FALSE);
}

void
inf_batch_emit_done_before(InfBatch *batch, guint64 index)
{
  emit(batch, index, NULL, NULL, TRUE);
}

void
inf_batch_emit_result(InfBatch *batch, InfExecState *state)
{
  g_autoptr(InfValue) outputs = inf_exec_state_get_outputs(state);
  json_object *errors = inf_exec_state_errors_json(state);
  batch->done++;
  if (errors)
    batch->failed++;
  double ms = (double)(g_get_monotonic_time() - state->start_us) / 1000.0;
  json_object *statuses = batch->config.node_status ? inf_exec_state_statuses_json(state) : NULL;
  emit(batch, state->index, state->user_data,
       result_line(state->index, inf_value_to_json(outputs), errors, statuses, ms), errors == NULL);
}

static gint
compare_index(gconstpointer a, gconstpointer b)
{
  guint64 x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);
  return x < y ? -1 : x > y;
}

void
inf_batch_write_held(InfBatch *batch)
{
  if (!g_hash_table_size(batch->held))
    return;
  GList *keys = g_list_sort(g_hash_table_get_keys(batch->held), compare_index);
  for (GList *l = keys; l; l = l->next) {
    InfBatchHeld *h = g_hash_table_lookup(batch->held, l->data);
    write_line(batch, h->entry, h->line, h->ok);
  }
  g_list_free(keys);
  g_hash_table_remove_all(batch->held);
}
