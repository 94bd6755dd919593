/* InfBatch — runs a graph over a stream of JSONL inputs.
 *
 * Inputs are read only as capacity frees (at most max_inflight in flight,
 * plus, with ordered output, results held for order), so memory stays
 * bounded however large the input. Each result is written as one JSONL line
 * as soon as it is done: {"index", "outputs", "errors" (only when some node
 * failed or was cancelled), "duration_ms"}; in completion order, or in input
 * order when ordered. A bad line (invalid JSON, a missing input) yields an
 * error line for its index and the batch goes on. */
#pragma once

#include <stdio.h>

#include "exec/checkpoint.h"
#include "exec/scheduler.h"
#include "exec/trace-writer.h"

G_BEGIN_DECLS

/* After the first SIGINT/SIGTERM, how long local nodes still running (or
 * started to finish the inputs in flight) may take before they are
 * cancelled, unless their module's timeout ends them first: 30 s. */
#define INF_BATCH_DRAIN_GRACE_US (30 * G_USEC_PER_SEC)

typedef struct _InfBatch InfBatch;

typedef struct {
  gboolean ordered;
  gboolean quiet;             /* no progress and no summary */
  gboolean tty_progress;      /* redraw a status line instead of periodic lines */
  guint progress_interval_ms; /* plain progress lines; 0: default 5000 */
  gint64 total_inputs;        /* -1: unknown */
  guint max_inflight;         /* with ordered: in flight plus held results */
  gboolean node_status;       /* add "nodes": {id: status} to each result line */
} InfBatchConfig;

/* Reads from @input (a JSONL stream) and writes whole lines to @output_fd
 * (see InfOutput: a slow reader holds back new inputs, never the loop);
 * both stay owned by the caller. */
InfBatch *inf_batch_new(InfScheduler *scheduler, InfGraph *graph, InfResourceManager *resources,
                        FILE *input, const char *input_name, int output_fd, const char *output_name,
                        const InfBatchConfig *config);
void inf_batch_free(InfBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfBatch, inf_batch_free)

/* Journals the run in @checkpoint (borrowed; outlives the batch): inputs it
 * has finished are skipped, its node results restored, and it is committed
 * every INF_CHECKPOINT_INTERVAL_MS, on signals and at the end. */
void inf_batch_set_checkpoint(InfBatch *batch, InfCheckpoint *checkpoint);
/* Marks each checkpoint commit in @trace (borrowed; may be NULL). */
void inf_batch_set_trace(InfBatch *batch, InfTraceWriter *trace);
/* Commits the checkpoint now, every completed node included; call it on any
 * path that stops the run early. TRUE without a checkpoint. */
gboolean inf_batch_flush_checkpoint(InfBatch *batch, GError **error);

/* Runs the main loop until every input is done (or the run was stopped by
 * signals). Returns FALSE with @error when writing the output or the
 * checkpoint failed, or the input is not the one the checkpoint has; the
 * inputs then in flight are not written. A closed pipe (EPIPE) is a clean
 * stop (see inf_batch_output_closed()). */
gboolean inf_batch_run(InfBatch *batch, GError **error);

guint64 inf_batch_get_done(const InfBatch *batch);
guint64 inf_batch_get_failed(const InfBatch *batch);
gboolean inf_batch_was_interrupted(const InfBatch *batch);
/* Whether the budget stopped the run (the inputs still in flight were not
 * finished and are not written). */
gboolean inf_batch_was_halted(const InfBatch *batch);
/* Every input was read and written. */
gboolean inf_batch_is_complete(const InfBatch *batch);
/* The reader of the output went away (EPIPE): the run stopped there. */
gboolean inf_batch_output_closed(const InfBatch *batch);
/* Prints the end-of-run summary line to stderr. */
void inf_batch_print_summary(InfBatch *batch);

/* Counts the non-blank lines of a regular file quickly (the inputs, for
 * done/total: blank lines are not inputs), or -1. */
gint64 inf_batch_count_lines(const char *path);

G_END_DECLS
