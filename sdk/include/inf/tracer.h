/* inf-engine SDK — tracing composites.
 *
 * A composite's forward() runs once with symbolic input values (refs). Each
 * inf_call() on an atomic child records a graph node and returns a ref to its
 * output; on a composite child it traces the child's forward() in place
 * (flattening), prefixing its node ids with the child's name. Field access on
 * a ref (inf_value_get(ref, "field")) yields a ref to that field. Tracing never
 * calls an LLM.
 *
 * Misuse (a module that is not a descendant of the traced composite, a bad
 * argument) does not abort: the function records the first error
 * (INF_ERROR_INVALID_ARGUMENT naming the node), returns an error value, and
 * the trace fails with that error when forward() returns, whatever forward()
 * returns. forward() may go on and need not check every result.
 *
 * Thread: main loop (every function of this header; only inside the
 * forward() the tracer was passed to)
 */
#pragma once

#include <inf/macros.h>
#include <inf/module.h>
#include <inf/value.h>

G_BEGIN_DECLS

/* Records a call of @child (a child or a deeper descendant of the traced
 * composite) with positional arguments, a NULL-terminated list. An atomic
 * child becomes a graph node; a composite child's forward() is traced in
 * place, its node ids prefixed with the child's name.
 * @child: (transfer none) (nullable) the module to call; NULL is recorded
 *         as misuse
 * @...: (transfer none) InfValue * arguments, each borrowed: refs from
 *       inputs or earlier calls, or literal values; then NULL
 * Returns: (transfer full) a new reference to the symbolic output (a ref),
 *          or to an error value on misuse; free with inf_value_unref()
 * Since: 1.0 */
INF_API InfValue *inf_call(InfTracer *tracer, InfModule *child, ...) G_GNUC_NULL_TERMINATED;
/* inf_call() with @n_args arguments in an array, optionally named.
 * @child: (transfer none) (nullable) the module to call; NULL is recorded
 *         as misuse
 * @args: (transfer none) (nullable) @n_args values, each borrowed; NULL
 *        only with @n_args 0
 * @names: (transfer none) (nullable) @n_args names (NULL entries for
 *         positional arguments), or NULL when all are positional
 * Returns: (transfer full) a new reference to the symbolic output, or to an
 *          error value on misuse
 * Since: 1.0 */
INF_API InfValue *inf_callv(InfTracer *tracer, InfModule *child, guint n_args,
                            InfValue *const *args, const char *const *names);
/* Sets the scheduling priority (lower runs first, default 0) of the node
 * whose output @output is. A value that is not a ref to a module node's
 * output is recorded as misuse.
 * @output: (transfer none) (nullable) a ref returned by inf_call()
 * Since: 1.0 */
INF_API void inf_tracer_set_priority(InfTracer *tracer, InfValue *output, gint priority);

/* --- branching (Since: 1.1) --- */

/* How a case matches the selector's text. Since: 1.1 */
typedef enum {
  INF_MATCH_EXACT,    /* the whole text equals pattern */
  INF_MATCH_REGEX,    /* pattern (a GRegex/PCRE regex) matches somewhere; anchor with ^ and $ */
  INF_MATCH_PREFIX,   /* the text starts with pattern */
  INF_MATCH_CONTAINS, /* the text contains pattern */
  INF_MATCH_ONE_OF,   /* the whole text equals one of one_of */
} InfMatchKind;

/* Applied to the selector's text before matching, and to exact, prefix,
 * contains and one_of patterns (casefold makes regexes caseless).
 * Since: 1.1 */
typedef enum {
  INF_SWITCH_NORMALIZE_NONE = 0,
  INF_SWITCH_NORMALIZE_TRIM = 1 << 0,     /* strip leading and trailing white space */
  INF_SWITCH_NORMALIZE_CASEFOLD = 1 << 1, /* Unicode case folding (g_utf8_casefold) */
} InfSwitchNormalize;

/* One case of inf_switch(). Everything is borrowed for the duration of the
 * call. Frozen for ABI 1, like InfOptionSpec: arrays of it are passed
 * without a struct_size, so its layout is fixed for ABI 1.x; later
 * additions come as new functions. Since: 1.1 */
typedef struct {
  InfMatchKind match;        /* ignored for the default case */
  const char *pattern;       /* EXACT, REGEX, PREFIX, CONTAINS: not NULL */
  const char *const *one_of; /* ONE_OF: NULL-terminated, at least one item; else NULL */
  InfModule *module;         /* a child (or descendant) of the traced composite: atomic or
                                   composite (a graph, which may hold switches itself) */
  guint n_args;              /* the call's arguments, as for inf_callv() */
  InfValue *const *args;
  const char *const *arg_names; /* may be NULL (positional) */
} InfSwitchCase;

/* Records a switch node named @name (prefixed like other nodes of the
 * current composite): when @selector (a ref returned by inf_call(), a
 * field of one, or an input) is done, its text (text as is; numbers and
 * booleans as their JSON text) is normalized per @normalize (an
 * InfSwitchNormalize mask) and matched against @cases in order: the first
 * match is taken, else @default_case (may be NULL). Every case is traced
 * now, under the name of its module within the composite ("route.billing"),
 * and its nodes carry the switch's guard: at run time they wait for the
 * selector, and the nodes of untaken cases are skipped (never run, no LLM
 * call). Cases nest: a case's module may be a composite that calls
 * inf_switch() itself. No match and no default fails the switch node (its
 * dependents are cancelled); so does a failed selector.
 *
 * Returns a new reference to the switch's output (the taken case's output;
 * inf_value_get() on it gives refs to fields). On misuse (no cases, a bad
 * regex, a repeated exact match, a module that is not a child, a selector
 * that is not a ref) the tracer records the error, returns an error value,
 * and the trace fails.
 * @name: (transfer none) the switch's name
 * @selector: (transfer none) the value to match, a ref
 * @cases: (transfer none) @n_cases cases, borrowed for the call
 * @default_case: (transfer none) (nullable) taken when no case matches
 * Returns: (transfer full) a new reference to the switch's output (a ref),
 *          or to an error value on misuse
 * Since: 1.1 */
INF_API InfValue *inf_switch(InfTracer *tracer, const char *name, InfValue *selector,
                             guint normalize, const InfSwitchCase *cases, guint n_cases,
                             const InfSwitchCase *default_case);

G_END_DECLS
