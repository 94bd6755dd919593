/* Tracing a composite module into an InfGraph. */
#pragma once

#include "graph/graph.h"

G_BEGIN_DECLS

/* How deeply composites may nest (a composite calling a composite ...), in
 * the config's modules and in a trace: deeper pipelines are refused with a
 * message instead of exhausting the stack. */
#define INF_MAX_NESTING_DEPTH 100

/* Traces @module (a composite) with symbolic inputs named @input_names
 * (NULL-terminated). Fails on any error recorded during forward(). */
InfGraph *inf_tracer_trace(InfModule *module, const char *const *input_names, GError **error);

/* For composites that name their nodes themselves (the config's `graph`
 * class): calls @child, recording its node (or, for a composite, its nodes)
 * under @name within the current composite instead of the child's own name.
 * Otherwise the same as inf_callv(). */
InfValue *inf_tracer_call_as(InfTracer *tracer, InfModule *child, const char *name, guint n_args,
                             InfValue *const *args, const char *const *names);

/* inf_switch() with the cases' node names given (@case_names: n_cases, then
 * the default's, if any; NULL: each module's name within the composite). */
InfValue *inf_tracer_switch_as(InfTracer *tracer, const char *name, InfValue *selector,
                               guint normalize, const InfSwitchCase *cases, guint n_cases,
                               const InfSwitchCase *default_case, const char *const *case_names);

/* The names of the inputs given to the forward() now running (the call's
 * argument names, or the trace's input names at the top), NULL-terminated;
 * NULL when they were passed positionally. */
const char *const *inf_tracer_get_input_names(InfTracer *tracer);

/* Whether an error was recorded during this trace. */
gboolean inf_tracer_has_error(InfTracer *tracer);

/* Checks arguments (positional when @names or its item is NULL) against
 * @klass's declared inputs, if it declares any: too many positional
 * arguments, an unknown or repeated name, a missing required input. On a
 * problem returns FALSE with a message in @problem (newly allocated). */
gboolean inf_tracer_check_inputs(const InfModuleClass *klass, guint n_args,
                                 const char *const *names, char **problem);

G_END_DECLS
