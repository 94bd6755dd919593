/* InfBatch: the run. Drives the scheduler on the main loop until every input
 * is done, handles SIGINT/SIGTERM and the budget stop, and journals the run
 * in a checkpoint. Reading the inputs, writing the results and the progress
 * line live in batch-input.c, batch-output.c and batch-progress.c. */
#include <glib-unix.h>

#include "exec/batch-private.h"
#include "resources/metrics.h"

void
inf_batch_stop(InfBatch *batch)
{
  inf_scheduler_stop(batch->scheduler);
  if (batch->loop)
    g_main_loop_quit(batch->loop);
}

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

gboolean
inf_batch_commit(InfBatch *batch, gboolean all)
{
  if (batch->fatal)
    return FALSE;
  record_spent(batch);
  guint64 before = inf_checkpoint_get_commits(batch->checkpoint);
  if (!inf_checkpoint_commit(batch->checkpoint, batch->output, all, &batch->fatal)) {
    inf_batch_stop(batch);
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
on_input_done(InfScheduler *scheduler, InfExecState *state, gpointer user_data)
{
  (void)scheduler;
  InfBatch *batch = user_data;
  if (batch->abandon) {
    /* Stopped: what was in flight stays unwritten (a checkpoint keeps its
     * completed nodes for --resume). */
    batch->abandoned++;
  } else {
    inf_batch_emit_result(batch, state);
  }
  if ((batch->eof || batch->signals > 0) &&
      inf_scheduler_get_inputs_in_flight(batch->scheduler) == 0 && batch->loop)
    g_main_loop_quit(batch->loop);
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
  inf_batch_commit(batch, FALSE);
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

/* What the scheduler calls back: a journal's known results only with a
 * checkpoint. */
static void
batch_set_callbacks(InfBatch *batch)
{
  InfSchedulerCallbacks callbacks = {
    .feed = inf_batch_feed,
    .done = on_input_done,
    .halted = on_halted,
    .restore = batch->checkpoint ? restore_cb : NULL,
  };
  inf_scheduler_set_callbacks(batch->scheduler, &callbacks, batch);
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
    /* Local nodes still running get a grace (or their own timeout), so that
     * a module that never returns cannot keep the run from ending. */
    inf_scheduler_drain(batch->scheduler, INF_BATCH_DRAIN_GRACE_US);
    /* Journal what has finished so far right away. */
    if (batch->checkpoint)
      inf_batch_commit(batch, TRUE);
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
  inf_batch_output_init(batch, output_fd, output_name);
  inf_batch_input_init(batch);
  batch_set_callbacks(batch);
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
  batch_set_callbacks(batch);
}

void
inf_batch_free(InfBatch *batch)
{
  if (!batch)
    return;
  inf_scheduler_set_callbacks(batch->scheduler, NULL, NULL);
  if (batch->commit_timer) {
    g_source_destroy(batch->commit_timer);
    g_source_unref(batch->commit_timer);
  }
  inf_batch_output_clear(batch);
  inf_batch_input_clear(batch);
  g_clear_error(&batch->fatal);
  inf_graph_unref(batch->graph);
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
    inf_batch_commit(batch, TRUE);
  /* Nothing more can be written after a failure; with a checkpoint, inputs
   * in flight are left for --resume instead of written as cancelled. */
  batch->abandon = output_failed || batch->fatal || batch->checkpoint;
  g_autoptr(GError) cancelled =
      g_error_new(INF_ERROR, INF_ERROR_CANCELLED, "cancelled: the run was %s",
                  batch->signals > 1 ? "interrupted" : "stopped");
  inf_scheduler_cancel_all(batch->scheduler, cancelled);
}

/* Runs the main loop until the inputs are done or the run stops. */
static void
run_loop(InfBatch *batch)
{
  batch->loop = g_main_loop_new(NULL, FALSE);
  batch->sigint_id = g_unix_signal_add(SIGINT, on_signal, batch);
  batch->sigterm_id = g_unix_signal_add(SIGTERM, on_signal, batch);
  inf_batch_progress_start(batch);
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
  if (batch->commit_timer) {
    g_source_destroy(batch->commit_timer);
    g_clear_pointer(&batch->commit_timer, g_source_unref);
  }
  inf_batch_progress_stop(batch);
  g_main_loop_unref(batch->loop);
  batch->loop = NULL;
}

gboolean
inf_batch_run(InfBatch *batch, GError **error)
{
  batch->start_us = g_get_monotonic_time();
  run_loop(batch);
  settle_in_flight(batch);
  /* Ordered output after an interruption: what is held goes out. */
  inf_batch_write_held(batch);
  GError *local = NULL;
  if (batch->checkpoint && !batch->fatal)
    inf_batch_commit(batch, TRUE);
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
