/* The inside of InfBatch, shared by the files of the batch runner:
 *  - batch.c: the run (main loop, signals, budget stop, checkpoint commits);
 *  - batch-input.c: reading the JSONL inputs and starting each one;
 *  - batch-output.c: the result lines, in completion or input order;
 *  - batch-progress.c: the progress line and the end-of-run summary.
 * Internal to core/exec. */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include <gio/gio.h>

#include "exec/batch.h"
#include "exec/checkpoint.h"
#include "exec/output.h"
#include "exec/trace-writer.h"
#include "model/log-private.h"

G_BEGIN_DECLS

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
  GHashTable *held; /* index → InfBatchHeld */
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
  gboolean sink_installed; /* messages (inf/log.h) go through the progress line */
  InfLogSinkFunc old_sink; /* restored when the progress stops */
  gpointer old_sink_data;
  gboolean halted; /* the budget stopped LLM dispatch */
};

/* batch.c */

/* The run cannot go on (a write or journal failure, a changed input): no
 * new inputs or nodes; what is in flight is settled after the loop. */
void inf_batch_stop(InfBatch *batch);
/* Commits the checkpoint (see inf_checkpoint_commit()); a failure stops the
 * run. Each commit is an instant in the trace. */
gboolean inf_batch_commit(InfBatch *batch, gboolean all);

/* batch-input.c */

/* Sets up reading @batch->input: pipes, terminals and sockets are read from
 * the main loop, regular files with getline(). */
void inf_batch_input_init(InfBatch *batch);
/* Cancels a pending read (waiting for it to see the cancellation) and frees
 * the reader. */
void inf_batch_input_clear(InfBatch *batch);
/* The scheduler's feed callback: starts the next input when there is room. */
gboolean inf_batch_feed(InfScheduler *scheduler, gpointer user_data);

/* batch-output.c */

/* Sets up the result stream on @fd (borrowed) and the lines held for order. */
void inf_batch_output_init(InfBatch *batch, int fd, const char *name);
void inf_batch_output_clear(InfBatch *batch);
/* Writes the result line of a finished input (the scheduler's done
 * callback). */
void inf_batch_emit_result(InfBatch *batch, InfExecState *state);
/* Writes the error line of input @index that could not be read (a bad line);
 * @entry is its journal entry or NULL. */
void inf_batch_emit_input_error(InfBatch *batch, guint64 index, InfCheckpointEntry *entry,
                                const char *message);
/* Input @index finished in an earlier run (resume): only its place in the
 * order counts. */
void inf_batch_emit_done_before(InfBatch *batch, guint64 index);
/* After the loop: writes the lines still held for order, in index order
 * (inputs never read leave gaps). */
void inf_batch_write_held(InfBatch *batch);

/* batch-progress.c */

/* Starts the progress line (unless quiet): redrawn on a terminal, periodic
 * lines otherwise. */
void inf_batch_progress_start(InfBatch *batch);
/* Stops it and clears a drawn line. */
void inf_batch_progress_stop(InfBatch *batch);

G_END_DECLS
