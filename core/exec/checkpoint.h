/* InfCheckpoint — the journal of a run (`run --checkpoint FILE [--resume]`).
 *
 * One SQLite file (WAL) per run, written only from the main loop. It holds:
 *   run          what the run is (config, graph, parameters, models), the
 *                pid of the process that has it open, the output offset
 *                that belongs to the last commit and what the run has spent
 *                (so that a budget goes on counting after --resume);
 *   input_done   inputs whose line is in the output, as runs of indices with
 *                the hash of each input line;
 *   input_failed inputs whose line is in the output and reports an error
 *                (run again on --resume);
 *   node_result  completed and skipped nodes of inputs not finished yet
 *                (and of inputs that failed, so that only their failed nodes
 *                run again); deleted in the transaction that finishes their
 *                input, so the file stays bounded by what is in flight.
 * A commit first writes and fdatasync()s the output, then records the output
 * offset with the rows in one transaction; --resume cuts the output back to
 * that offset, so after a crash at any moment every input is in the output
 * exactly once. The file is locked (flock) while open: a second process is
 * refused with the pid of the first. */
#pragma once

#include <json-c/json.h>

#include "exec/output.h"
#include "exec/state.h"

G_BEGIN_DECLS

typedef struct _InfCheckpoint InfCheckpoint;

/* What a resumed run must share with the journal. */
typedef struct {
  const char *config_hash; /* the config less parameter values and resources */
  const char *graph_hash;  /* the traced graph */
  json_object *parameters; /* {name: value} (borrowed) */
  json_object *models;     /* {alias: "provider/model, ..."} (borrowed) */
} InfCheckpointIdentity;

/* Opens @path: with @resume an existing journal, whose identity must match
 * @identity (the error names every difference); without, a new one (the
 * file must not exist). Fails with a clear message when the file is missing,
 * not a checkpoint, from another kind of run, in use by another process,
 * read-only or cannot be written. */
InfCheckpoint *inf_checkpoint_open(const char *path, gboolean resume,
                                   const InfCheckpointIdentity *identity, GError **error);
/* Closes the file without committing (see inf_checkpoint_commit()). */
void inf_checkpoint_free(InfCheckpoint *checkpoint);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfCheckpoint, inf_checkpoint_free)

const char *inf_checkpoint_get_path(const InfCheckpoint *checkpoint);

/* Opens the output file @path for the run and returns its fd (the caller
 * closes it): new and empty for a new journal; on resume cut back to the
 * committed offset, with the lines of inputs that failed removed (they run
 * again), positioned at its end. */
int inf_checkpoint_open_output(InfCheckpoint *checkpoint, const char *path, GError **error);

/* The hash of an input line as journaled (64 bits; it tells a changed line,
 * it is not cryptographic). */
guint64 inf_checkpoint_hash_line(const char *text, gsize len);

typedef enum {
  INF_CHECKPOINT_LINE_NEW,     /* run it */
  INF_CHECKPOINT_LINE_DONE,    /* its result is in the output: skip it */
  INF_CHECKPOINT_LINE_PARTIAL, /* run it after inf_checkpoint_restore() */
  INF_CHECKPOINT_LINE_CHANGED, /* not the line the journal has: refuse */
} InfCheckpointLine;

/* What to do with input @index whose line hashes to @hash; for CHANGED,
 * @error says which line. */
InfCheckpointLine inf_checkpoint_check_line(InfCheckpoint *checkpoint, guint64 index, guint64 hash,
                                            GError **error);
/* FALSE with @error when the journal has finished inputs at or beyond
 * @n_inputs (the input has fewer lines than before). */
gboolean inf_checkpoint_check_input_count(InfCheckpoint *checkpoint, guint64 n_inputs,
                                          GError **error);
/* Inputs finished in an earlier process (skipped now). */
guint64 inf_checkpoint_get_resumed(const InfCheckpoint *checkpoint);
/* Node results restored so far (LLM calls not repeated). */
guint64 inf_checkpoint_get_restored_nodes(const InfCheckpoint *checkpoint);

/* One input as the journal follows it. */
typedef struct _InfCheckpointEntry InfCheckpointEntry;

/* Follows input @index, whose line hashes to @hash, until it is finished:
 * the nodes of @state (referenced; NULL for a bad line that does not run)
 * are journaled as they complete or are skipped. */
InfCheckpointEntry *inf_checkpoint_track(InfCheckpoint *checkpoint, InfExecState *state,
                                         guint64 index, guint64 hash);
/* Loads the journaled nodes of the input (a PARTIAL line) into @entry, to be
 * taken with inf_checkpoint_take_result() as they become ready. FALSE with
 * @error when a journaled node or value does not fit the graph. */
gboolean inf_checkpoint_restore(InfCheckpoint *checkpoint, InfCheckpointEntry *entry,
                                GError **error);
/* The journaled result of @node (a new reference; counted as restored), or
 * NULL when it has none and must run. @entry may be NULL. */
InfValue *inf_checkpoint_take_result(InfCheckpoint *checkpoint, InfCheckpointEntry *entry,
                                     guint node);
/* The input's line is in the output (@ok: without errors); @entry is no
 * longer valid. The completed nodes of an input that failed stay journaled,
 * so --resume runs only its failed nodes again. */
void inf_checkpoint_finish(InfCheckpoint *checkpoint, InfCheckpointEntry *entry, gboolean ok);

/* TRUE when enough has finished since the last commit to commit now. */
gboolean inf_checkpoint_wants_commit(const InfCheckpoint *checkpoint);
/* Commits one transaction: finished inputs (their node rows deleted), the
 * output offset, and completed nodes of inputs in flight (with @all every
 * one; otherwise those of inputs in flight for longer than the commit
 * interval, so that a fast input costs one row). The output is written out
 * here; a writer thread fdatasync()s it, then commits, so a slow disk never
 * stalls the loop. Without @all the commit is handed over and not waited
 * for (and skipped while the previous one is still being written); with
 * @all it is waited for. FALSE with @error when the output or the journal
 * cannot be written (now or in an earlier commit); the journal then still
 * holds the last good commit. */
gboolean inf_checkpoint_commit(InfCheckpoint *checkpoint, InfOutput *output, gboolean all,
                               GError **error);
/* What the run spent in earlier processes, as the last commit recorded it:
 * {alias: {"cost", "requests", "tokens"}} (borrowed), or NULL. */
json_object *inf_checkpoint_get_spent(const InfCheckpoint *checkpoint);
/* The run's spend so far (earlier processes included), recorded with the
 * next commits; @spent is borrowed (copied). */
void inf_checkpoint_set_spent(InfCheckpoint *checkpoint, json_object *spent);
/* Commits: the time the last one took on the main loop in µs, and their
 * count (for the benchmark and the trace). */
gint64 inf_checkpoint_get_last_commit_us(const InfCheckpoint *checkpoint);
guint64 inf_checkpoint_get_commits(const InfCheckpoint *checkpoint);
/* {"commits", "commit_ms_total", "commit_ms_max" (time on the main loop),
 * "writer_ms_total", "writer_ms_max" (in the writer thread, the output's
 * fdatasync included), "resumed_inputs", "restored_nodes"}; caller owns. */
json_object *inf_checkpoint_stats_json(const InfCheckpoint *checkpoint);

#define INF_CHECKPOINT_INTERVAL_MS 200

G_END_DECLS
