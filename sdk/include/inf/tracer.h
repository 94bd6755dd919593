/* inf-engine SDK — tracing composites.
 *
 * A composite's forward() runs once with symbolic input values (refs). Each
 * inf_call() on an atomic child records a graph node and returns a ref to its
 * output; on a composite child it traces the child's forward() in place
 * (flattening), prefixing its node ids with the child's name. Field access on
 * a ref (inf_value_get(ref, "field")) yields a ref to that field. Tracing never
 * calls an LLM.
 */
#pragma once

#include <inf/macros.h>
#include <inf/module.h>
#include <inf/value.h>

G_BEGIN_DECLS

/* Calls @child with positional arguments, a NULL-terminated list of InfValue *
 * (borrowed): refs from inputs or earlier calls, or literals. Returns a new
 * reference to the symbolic output. On misuse (child not a child of the
 * traced module, wrong argument count) the tracer records the error, returns
 * an error value, and the trace fails. */
INF_API InfValue *inf_call(InfTracer *tracer, InfModule *child, ...) G_GNUC_NULL_TERMINATED;
/* The same with @n_args arguments; @names (may be NULL) names them. */
INF_API InfValue *inf_callv(InfTracer *tracer, InfModule *child, guint n_args,
                            InfValue *const *args, const char *const *names);
/* Sets the scheduling priority (lower runs first, default 0) of the node
 * recorded for @output (a ref returned by inf_call). */
INF_API void inf_tracer_set_priority(InfTracer *tracer, InfValue *output, gint priority);

G_END_DECLS
