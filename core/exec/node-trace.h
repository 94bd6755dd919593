/* InfNodeTrace — what the scheduler writes to a trace (InfTraceWriter).
 *
 * One complete event per node execution (an attempt: a rate-limited node
 * that is requeued and runs again gives a second event with attempt + 1), on
 * the process of the node's alias or of the local nodes, in the lowest free
 * slot of that process. Its args: input, attempt, status, and for LLM nodes
 * cache_hit, tokens_in, tokens_out, cost, retries, http_status and
 * finish_reason when known. Instants on the node's slot for each 429 and
 * each retry. Counters, sampled at most once per interval as nodes start and
 * end: per alias in_flight and rate_limit, and for the run inputs in flight,
 * nodes running and spend. With sampling, only nodes of traced inputs get
 * events; counters cover everything. */
#pragma once

#include "exec/trace-writer.h"
#include "graph/graph.h"
#include "resources/manager.h"

G_BEGIN_DECLS

typedef struct _InfNodeTrace InfNodeTrace;

/* A node execution being traced; lives in the scheduler's task. */
typedef struct {
  gint64 start_ns;
  guint pid;
  guint tid;
  gboolean traced; /* FALSE: not traced (sampled out or tracing off) */
  gboolean llm;    /* went through the resource manager */
  gboolean cache_hit;
  guint retries;
  guint http_status;
  gint64 tokens_in;
  gint64 tokens_out;
  double cost;
  char finish_reason[24];
} InfNodeSpan;

/* @writer and @resources (may be NULL) are borrowed and must outlive the
 * trace, or until inf_node_trace_finish(); @graph is referenced. */
InfNodeTrace *inf_node_trace_new(InfTraceWriter *writer, InfResourceManager *resources,
                                 InfGraph *graph);
void inf_node_trace_free(InfNodeTrace *trace);

/* A process for the nodes of @alias (NULL: local nodes); returns its pid. */
guint inf_node_trace_add_lane(InfNodeTrace *trace, InfResourceAlias *alias);

/* A node of input @input starts on process @pid. */
void inf_node_trace_begin(InfNodeTrace *trace, InfNodeSpan *span, guint pid, guint64 input);
/* One attempt of the LLM call of graph node @node ended. */
void inf_node_trace_attempt(InfNodeTrace *trace, InfNodeSpan *span, const InfLlmAttempt *attempt,
                            guint64 input, guint node);
/* Graph node @node ended: @status "ok", "failed", "rate_limited" or
 * "cancelled"; @error (may be NULL) gives the error kind (never its
 * message). */
void inf_node_trace_end(InfNodeTrace *trace, InfNodeSpan *span, guint node, guint64 input,
                        guint attempt, const char *status, const GError *error);
/* Samples the counters when the interval has passed since the last sample
 * (or always with @force). */
void inf_node_trace_sample(InfNodeTrace *trace, guint inputs_in_flight, gint running,
                           gboolean force);
/* A last forced sample; afterwards the resources are no longer read. */
void inf_node_trace_finish(InfNodeTrace *trace, guint inputs_in_flight, gint running);

G_END_DECLS
