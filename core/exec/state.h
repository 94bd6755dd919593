/* InfExecState — the execution state of one input through the graph.
 *
 * Per node: a status, the count of dependencies not yet completed, and the
 * result (a value, or an error value for failed and cancelled nodes). One
 * allocation per input; the graph is shared. A node becomes ready (PENDING)
 * when its last dependency completes; a failure cancels every descendant
 * that has not run while the rest of the graph goes on; a requeue (rate
 * limit) puts a running node back to PENDING and re-blocks its descendants.
 *
 * Switches (DESIGN §6): a node guarded by a switch case also waits for that
 * switch's decision. A switch node is never dispatched: when its selector
 * (and its own guard) is done, the state picks the case, marks every node of
 * the other cases SKIPPED (nested switches there never evaluate), releases
 * the taken case's nodes, and completes the switch with the taken case's
 * output once that is done. A node that reads a skipped node is skipped too,
 * except a switch reading an untaken case's output. No matching case fails
 * the switch (its cases are skipped, its dependents cancelled); a selector
 * that does not complete fails it too (its cases are cancelled). SKIPPED is
 * terminal like COMPLETED and is not a failure.
 */
#pragma once

#include "graph/graph.h"

G_BEGIN_DECLS

typedef enum {
  INF_NODE_BLOCKED,
  INF_NODE_PENDING,
  INF_NODE_RUNNING,
  INF_NODE_COMPLETED,
  INF_NODE_FAILED,
  INF_NODE_CANCELLED,
  INF_NODE_SKIPPED,
} InfNodeStatus;

const char *inf_node_status_name(InfNodeStatus status);

typedef struct _InfExecState InfExecState;

/* Called when @node becomes PENDING (ready to run). */
typedef void (*InfExecReadyFunc)(InfExecState *state, guint node, gpointer user_data);

struct _InfExecState {
  InfGraph *graph; /* a reference */
  guint64 index;   /* input index */
  gint ref_count;
  guint n_terminal; /* nodes completed, failed, cancelled or skipped */
  guint n_failed;   /* nodes failed or cancelled */
  gint64 start_us;
  gboolean reported; /* the scheduler reported it done */
  InfExecReadyFunc on_ready;
  gpointer on_ready_data;
  gpointer user_data; /* the owner's */
  guint8 *status;
  guint32 *remaining;
  InfValue **results;
  gint32 *decided;            /* per graph switch: the taken case, or -1 while undecided */
  gint64 *rate_limited_since; /* per node: monotonic µs of its first 429, 0: none; lazy */
  GHashTable *samples;        /* the response cache's draws per request digest, or NULL */
};

/* A state for input @index. @inputs holds one value per graph input
 * (borrowed; referenced). Nothing is ready until inf_exec_state_start(). */
InfExecState *inf_exec_state_new(InfGraph *graph, guint64 index, InfValue *const *inputs);
InfExecState *inf_exec_state_ref(InfExecState *state);
void inf_exec_state_unref(InfExecState *state);

/* Completes the input nodes and reports every node that is then ready. */
void inf_exec_state_start(InfExecState *state, InfExecReadyFunc on_ready, gpointer user_data);
gboolean inf_exec_state_is_done(const InfExecState *state);

/* PENDING → RUNNING. */
void inf_exec_state_mark_running(InfExecState *state, guint node);
/* RUNNING → COMPLETED with @value (transfer full); reports newly ready
 * dependents. */
void inf_exec_state_complete(InfExecState *state, guint node, InfValue *value);
/* → FAILED with @error (copied); every descendant not yet terminal becomes
 * CANCELLED with an error naming @node. */
void inf_exec_state_fail(InfExecState *state, guint node, const GError *error);
/* RUNNING → PENDING (reported ready again); descendants back to BLOCKED with
 * their results dropped and dependency counts recomputed. */
void inf_exec_state_requeue(InfExecState *state, guint node);
/* Every node not yet terminal and not running → CANCELLED with @error. */
void inf_exec_state_cancel_pending(InfExecState *state, const GError *error);

/* Every node not yet terminal, running ones included → CANCELLED with
 * @error; a running node's late result is then dropped. */
void inf_exec_state_cancel_all(InfExecState *state, const GError *error);

/* When @node first got a 429 (monotonic µs): set to @now_us the first time.
 * Used to bound how long one node keeps waiting on rate limits. */
gint64 inf_exec_state_mark_rate_limited(InfExecState *state, guint node, gint64 now_us);
/* Whether @node has been rate limited (requeued after a 429) before. */
gboolean inf_exec_state_was_rate_limited(const InfExecState *state, guint node);
/* The sample index of @node's LLM request whose 32-byte digest is @digest
 * (the response cache's key): the first node of this input to send a given
 * request draws sample 0, the next node of the same input sending the same
 * request sample 1, and so on; a node keeps its index when it sends the same
 * request again (a requeue). So repeated draws within one input never
 * collapse into one cached reply, while equal requests of different inputs
 * share one. */
guint inf_exec_state_sample_index(InfExecState *state, guint node, const guint8 *digest);

/* The node's arguments resolved against completed results (new references
 * stored in @out, which has room for n_args). FALSE with @error when a field
 * path does not exist in the producing node's value. */
gboolean inf_exec_state_resolve_args(InfExecState *state, guint node, InfValue **out,
                                     GError **error);
/* The outputs: a value, a list or a dict per the graph's output shape; an
 * output whose node did not complete is null (its error is in the errors). */
InfValue *inf_exec_state_get_outputs(InfExecState *state);
/* {node id: message} for failed and cancelled nodes, or NULL when none. */
json_object *inf_exec_state_errors_json(InfExecState *state);
/* {node id: status name} for every module and switch node ("completed",
 * "skipped", "failed", "cancelled"...). */
json_object *inf_exec_state_statuses_json(InfExecState *state);

G_END_DECLS
