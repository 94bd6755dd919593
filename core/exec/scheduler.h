/* InfScheduler — runs graph nodes for many inputs on the GLib main loop.
 *
 * Single-threaded. Ready nodes of every input wait in priority queues (one
 * per resource alias, one for local nodes): lower priority number first, then
 * the older input, then first come first served, so older inputs finish
 * first. A global
 * max_concurrent caps running nodes; LLM nodes also need a slot and a rate
 * token of an endpoint of their alias. Dispatch happens when something
 * changes (a node finished, an input arrived, a rate-limit wait ended): no
 * busy-waiting and no polling timers. A rate-limited LLM node is requeued
 * without counting as a failure. */
#pragma once

#include "exec/state.h"
#include "exec/trace-writer.h"
#include "resources/manager.h"

G_BEGIN_DECLS

typedef struct _InfScheduler InfScheduler;

/* Asked for more inputs while fewer than max_inflight are in flight; adds
 * one with inf_scheduler_add_input() and returns TRUE, or returns FALSE when
 * it has none now. */
typedef gboolean (*InfSchedulerFeedFunc)(InfScheduler *scheduler, gpointer user_data);
/* An input finished (every node terminal). The state is valid during the
 * call only, unless referenced. */
typedef void (*InfSchedulerDoneFunc)(InfScheduler *scheduler, InfExecState *state,
                                     gpointer user_data);

/* LLM dispatch halted because the budget refused a call, and nothing runs any
 * more: the inputs still in flight cannot finish in this run. Called once. */
typedef void (*InfSchedulerHaltedFunc)(InfScheduler *scheduler, gpointer user_data);

/* A result known before the node runs (a resumed run's journal): a new
 * reference to the value @node of @state completed with earlier, or NULL to
 * run it. Asked when the node is about to be dispatched. */
typedef InfValue *(*InfSchedulerRestoreFunc)(InfExecState *state, guint node, gpointer user_data);

typedef struct {
  gint max_concurrent; /* running nodes; 0: unlimited */
  gint max_inflight;   /* inputs in flight; 0: 1024 */
} InfSchedulerConfig;

/* @resources may be NULL for graphs without LLM nodes. Fails when a node's
 * alias is not in @resources. */
InfScheduler *inf_scheduler_new(InfGraph *graph, InfResourceManager *resources,
                                const InfSchedulerConfig *config, GError **error);
void inf_scheduler_free(InfScheduler *scheduler);

/* What the scheduler calls, each with the same user data; a NULL member is
 * not called.
 * @feed: asked for inputs (none: no new inputs are started);
 * @done: an input finished;
 * @halted: called once when a budget refusal has halted LLM dispatch and the
 *   calls and local nodes in flight have finished. After a refusal no new
 *   inputs are fed and no LLM node is dispatched; the refused node stays
 *   pending;
 * @restore: nodes with a known result complete with it when they become
 *   ready, without running, a slot or a rate token; the rest of the graph
 *   (switch decisions, skipped cases) follows as if they had run. */
typedef struct {
  InfSchedulerFeedFunc feed;
  InfSchedulerDoneFunc done;
  InfSchedulerHaltedFunc halted;
  InfSchedulerRestoreFunc restore;
} InfSchedulerCallbacks;

/* Replaces the callbacks (copied from @callbacks; NULL: none) and their
 * @user_data. */
void inf_scheduler_set_callbacks(InfScheduler *scheduler, const InfSchedulerCallbacks *callbacks,
                                 gpointer user_data);
gboolean inf_scheduler_is_halted(const InfScheduler *scheduler);
/* Traces node executions and counters to @writer (borrowed; it must outlive
 * the scheduler's last node, see inf_scheduler_finish_trace()); call before
 * the first input. Nothing is traced without it. */
void inf_scheduler_set_trace(InfScheduler *scheduler, InfTraceWriter *writer);
/* Writes a last sample of the counters; call before the resource manager
 * goes (the counters read it). Spans that end later are still written. */
void inf_scheduler_finish_trace(InfScheduler *scheduler);

/* Starts an input (the state is referenced). */
void inf_scheduler_add_input(InfScheduler *scheduler, InfExecState *state);
/* Dispatches what can run now; call after set-up and whenever feeding may
 * have become possible again. */
void inf_scheduler_pump(InfScheduler *scheduler);
/* Stops dispatching new nodes (running ones finish). */
void inf_scheduler_stop(InfScheduler *scheduler);
/* The first interruption: local nodes (those without a resource alias)
 * running now or started from now on fail as cancelled when they have not
 * finished within @grace_us (or their own timeout, when it ends first), so
 * that a module that never returns cannot keep the run from ending. LLM
 * nodes end by their endpoints' timeouts. Only the first call counts. */
void inf_scheduler_drain(InfScheduler *scheduler, gint64 grace_us);

/* Stops, and cancels every node of every input in flight (running ones
 * included: their late results are dropped), reporting each input done. */
void inf_scheduler_cancel_all(InfScheduler *scheduler, const GError *error);
/* Ends the waits that have not started a request (the first SIGINT/SIGTERM):
 * nodes requeued after a 429 fail with @error instead of waiting for the rate
 * limit to clear, and from now on a 429 fails its node instead of requeueing
 * it. Nodes that never met a rate limit still run. */
void inf_scheduler_end_waits(InfScheduler *scheduler, const GError *error);

guint inf_scheduler_get_inputs_in_flight(const InfScheduler *scheduler);
gint inf_scheduler_get_running(const InfScheduler *scheduler);
/* Nodes executed (finished, any outcome) so far. */
guint64 inf_scheduler_get_executed(const InfScheduler *scheduler);
/* Rate-limited requeues so far. */
guint64 inf_scheduler_get_requeued(const InfScheduler *scheduler);

G_END_DECLS
