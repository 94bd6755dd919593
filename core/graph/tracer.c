/* The tracer: runs a composite's forward() once with symbolic inputs and
 * records every call of an atomic child as a graph node (DESIGN §4).
 * Composite children are traced in place (flattened) under their name. */
#include "graph/tracer-private.h"

#include <stdarg.h>
#include <string.h>

#include "model/module-private.h"

/* The class's declared inputs (honouring struct_size), or NULL. */
#define CLASS_INPUTS(klass) INF_CLASS_GET(klass, InfModuleClass, inputs)

/* One composite being traced: calls made by its forward() get ids prefixed
 * with @prefix ("" at the top, "analyze." inside child "analyze"). */
typedef struct {
  InfModule *module;
  char *prefix;
  GHashTable *child_names; /* InfModule * → char * (its first name), built on demand */
} Frame;

struct _InfTracer {
  GArray *nodes; /* InfGraphNode */
  guint n_inputs;
  GHashTable *index_by_id;   /* node id (borrowed from the node) → index + 1 */
  GHashTable *composite_ids; /* ids used by composite calls (owned) */
  GHashTable *next_suffix;   /* base id (owned) → the next "_k" to try */
  GPtrArray *frames;         /* Frame *, innermost last */
  const char *const *input_names;
  GError *error;       /* the first error recorded */
  GPtrArray *switches; /* InfGraphSwitch *, in the order they were opened */
  GArray *guards;      /* Guard: the cases being traced, innermost last */
};

/* A case being traced: nodes recorded now carry this guard. */
typedef struct {
  gint sw;
  guint c;
} Guard;

static void
frame_free(gpointer p)
{
  Frame *frame = p;
  g_free(frame->prefix);
  if (frame->child_names)
    g_hash_table_unref(frame->child_names);
  g_free(frame);
}

static InfTracer *
tracer_new(void)
{
  InfTracer *tracer = g_new0(InfTracer, 1);
  tracer->nodes = g_array_new(FALSE, TRUE, sizeof(InfGraphNode));
  tracer->index_by_id = g_hash_table_new(g_str_hash, g_str_equal);
  tracer->composite_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  tracer->next_suffix = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  tracer->frames = g_ptr_array_new_with_free_func(frame_free);
  tracer->switches = g_ptr_array_new();
  tracer->guards = g_array_new(FALSE, FALSE, sizeof(Guard));
  return tracer;
}

static void
tracer_free(InfTracer *tracer)
{
  if (tracer->nodes) {
    for (guint i = 0; i < tracer->nodes->len; i++)
      inf_graph_node_clear(&g_array_index(tracer->nodes, InfGraphNode, i));
    g_array_unref(tracer->nodes);
  }
  if (tracer->index_by_id)
    g_hash_table_unref(tracer->index_by_id);
  g_hash_table_unref(tracer->composite_ids);
  g_hash_table_unref(tracer->next_suffix);
  g_ptr_array_unref(tracer->frames);
  for (guint i = 0; i < tracer->switches->len; i++) {
    InfGraphSwitch *sw = g_ptr_array_index(tracer->switches, i);
    inf_graph_switch_clear(sw);
    g_free(sw);
  }
  g_ptr_array_unref(tracer->switches);
  g_array_unref(tracer->guards);
  g_clear_error(&tracer->error);
  g_free(tracer);
}

/* Records an error (the first one wins) and returns an error value for the
 * caller of inf_call(). */
static InfValue *tracer_fail(InfTracer *tracer, const char *node_id, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static InfValue *
tracer_fail(InfTracer *tracer, const char *node_id, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_autoptr(GError) error = NULL;
  if (node_id)
    error = g_error_new(INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "node '%s': %s", node_id, message);
  else
    error = g_error_new_literal(INF_ERROR, INF_ERROR_INVALID_ARGUMENT, message);
  if (tracer->error == NULL)
    tracer->error = g_error_copy(error);
  return inf_value_new_error(error, node_id);
}

gboolean
inf_tracer_has_error(InfTracer *tracer)
{
  return tracer->error != NULL;
}

const char *const *
inf_tracer_get_input_names(InfTracer *tracer)
{
  return tracer->input_names;
}

static Frame *
current_frame(InfTracer *tracer)
{
  return tracer->frames->len ? g_ptr_array_index(tracer->frames, tracer->frames->len - 1) : NULL;
}

static gboolean
id_taken(InfTracer *tracer, const char *id)
{
  return g_hash_table_contains(tracer->index_by_id, id) ||
         g_hash_table_contains(tracer->composite_ids, id);
}

/* prefix + name, made unique with "_1", "_2"... */
static char *
unique_id(InfTracer *tracer, const char *prefix, const char *name)
{
  char *id = g_strconcat(prefix, name, NULL);
  if (!id_taken(tracer, id))
    return id;
  /* Remember where the suffixes of this base stopped: calling one child n
   * times stays linear. */
  gpointer stored = NULL;
  guint k = 1;
  char *base = id;
  if (g_hash_table_lookup_extended(tracer->next_suffix, base, NULL, &stored))
    k = GPOINTER_TO_UINT(stored);
  for (id = g_strdup_printf("%s_%u", base, k); id_taken(tracer, id); k++) {
    g_free(id);
    id = g_strdup_printf("%s_%u", base, k + 1);
  }
  g_hash_table_replace(tracer->next_suffix, base, GUINT_TO_POINTER(k + 1));
  return id;
}

static guint
count_inputs(const InfModuleClass *klass)
{
  guint n = 0;
  if (CLASS_INPUTS(klass))
    while (klass->inputs[n].name)
      n++;
  return n;
}

static char *
join_inputs(const InfModuleClass *klass)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; klass->inputs[i].name; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", klass->inputs[i].name);
  return g_string_free(s, FALSE);
}

/* Checks the arguments against the class's declared inputs, if any. */
gboolean
inf_tracer_check_inputs(const InfModuleClass *klass, guint n_args, const char *const *names,
                        char **problem)
{
  if (!CLASS_INPUTS(klass))
    return TRUE;
  guint n_declared = count_inputs(klass);
  gboolean given_local[16] = { 0 };
  g_autofree gboolean *given_heap =
      n_declared > G_N_ELEMENTS(given_local) ? g_new0(gboolean, n_declared) : NULL;
  gboolean *given = given_heap ? given_heap : given_local;
  for (guint i = 0; i < n_args; i++) {
    const char *name = names ? names[i] : NULL;
    if (name == NULL) {
      if (i >= n_declared) {
        g_autofree char *list = join_inputs(klass);
        *problem = g_strdup_printf("module type '%s' takes %u argument%s (%s), got %u", klass->name,
                                   n_declared, n_declared == 1 ? "" : "s",
                                   n_declared ? list : "none", n_args);
        return FALSE;
      }
      given[i] = TRUE;
      continue;
    }
    guint k = 0;
    while (k < n_declared && strcmp(klass->inputs[k].name, name) != 0)
      k++;
    if (k == n_declared) {
      g_autofree char *list = join_inputs(klass);
      *problem = g_strdup_printf("module type '%s' has no input '%s'; its inputs: %s", klass->name,
                                 name, n_declared ? list : "none");
      return FALSE;
    }
    if (given[k]) {
      *problem = g_strdup_printf("input '%s' is given twice", name);
      return FALSE;
    }
    given[k] = TRUE;
  }
  for (guint k = 0; k < n_declared; k++)
    if (klass->inputs[k].required && !given[k]) {
      *problem = g_strdup_printf("missing required input '%s' of module type '%s'",
                                 klass->inputs[k].name, klass->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
value_contains_ref(const InfValue *value)
{
  switch (inf_value_get_kind(value)) {
  case INF_VALUE_REF:
    return TRUE;
  case INF_VALUE_LIST:
    for (guint i = 0; i < inf_value_list_length(value); i++)
      if (value_contains_ref(inf_value_list_get(value, i)))
        return TRUE;
    return FALSE;
  case INF_VALUE_DICT:
    for (guint i = 0; i < inf_value_dict_size(value); i++)
      if (value_contains_ref(inf_value_dict_value(value, i)))
        return TRUE;
    return FALSE;
  default:
    return FALSE;
  }
}

static char **
copy_path(const char *const *path)
{
  return path && path[0] ? g_strdupv((char **)path) : NULL;
}

static int
compare_guint(gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;
  return x < y ? -1 : x > y;
}

/* Where @value comes from: a node of this trace (@source, and @path into its
 * output) or a literal (@literal, @source -1). @what names the value in
 * messages; @nested ("", "nested ") and @instead say what is wrong and what
 * to do when it is a list or dict holding symbolic values. */
static gboolean
resolve_source(InfTracer *tracer, InfValue *value, const char *what, const char *nested,
               const char *instead, gint *source, char ***path, InfValue **literal, GError **error)
{
  *source = -1;
  switch (inf_value_get_kind(value)) {
  case INF_VALUE_ERROR: {
    const GError *e = inf_value_get_error(value);
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "%s is an error value: %s", what,
                e ? e->message : "unknown error");
    return FALSE;
  }
  case INF_VALUE_REF: {
    const char *node = inf_value_get_ref_node(value);
    gpointer p = node ? g_hash_table_lookup(tracer->index_by_id, node) : NULL;
    if (p == NULL) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "%s refers to '%s', which is not a node of this trace", what,
                  node ? node : "(null)");
      return FALSE;
    }
    *source = (gint)GPOINTER_TO_UINT(p) - 1;
    *path = copy_path(inf_value_get_ref_path(value));
    return TRUE;
  }
  case INF_VALUE_LIST:
  case INF_VALUE_DICT:
    if (value_contains_ref(value)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "%s is a %s%s holding symbolic values; %s", what, nested,
                  inf_value_kind_name(inf_value_get_kind(value)), instead);
      return FALSE;
    }
    *literal = inf_value_ref(value);
    return TRUE;
  default:
    *literal = inf_value_ref(value);
    return TRUE;
  }
}

/* Fills @arg from @value; on error returns an error value (else NULL). */
static InfValue *
resolve_arg(InfTracer *tracer, const char *node_id, guint index, const char *name, InfValue *value,
            InfGraphArg *arg)
{
  g_autofree char *what = name ? g_strdup_printf("argument %u ('%s')", index, name)
                               : g_strdup_printf("argument %u", index);
  arg->source = -1;
  if (value == NULL)
    return tracer_fail(tracer, node_id, "%s is NULL", what);
  g_autoptr(GError) error = NULL;
  if (!resolve_source(tracer, value, what, "", "pass each value as its own argument", &arg->source,
                      &arg->path, &arg->literal, &error))
    return tracer_fail(tracer, node_id, "%s", error->message);
  return NULL;
}

/* A new node carries the innermost guard being traced, if any. */
static void
set_guard(InfTracer *tracer, InfGraphNode *node)
{
  node->switch_index = -1;
  node->guard = -1;
  if (tracer->guards->len) {
    Guard *g = &g_array_index(tracer->guards, Guard, tracer->guards->len - 1);
    node->guard = g->sw;
    node->guard_case = g->c;
  }
}

/* Sorts @deps and drops repeats; returns the new count. */
static guint
sort_unique(guint *deps, guint n_deps)
{
  if (n_deps < 2)
    return n_deps;
  qsort(deps, n_deps, sizeof(guint), compare_guint);
  guint k = 1;
  for (guint i = 1; i < n_deps; i++)
    if (deps[i] != deps[k - 1])
      deps[k++] = deps[i];
  return k;
}

/* Records one node for atomic @module. Returns a ref to its output or an
 * error value. */
static InfValue *
record_node(InfTracer *tracer, InfModule *module, const char *prefix, const char *name,
            guint n_args, InfValue *const *args, const char *const *names)
{
  const InfModuleClass *klass = inf_module_get_class(module);
  g_autofree char *id = unique_id(tracer, prefix, name);

  g_autofree char *problem = NULL;
  if (!inf_tracer_check_inputs(klass, n_args, names, &problem))
    return tracer_fail(tracer, id, "%s", problem);
  g_autoptr(GError) rejected = NULL;
  if (!inf_module_check_args(module, n_args, names, &rejected))
    return tracer_fail(tracer, id, "%s", rejected->message);

  InfGraphNode node = { 0 };
  node.kind = INF_GRAPH_NODE_MODULE;
  set_guard(tracer, &node);
  node.n_args = n_args;
  node.args = g_new0(InfGraphArg, n_args ? n_args : 1);
  guint deps_local[16];
  g_autofree guint *deps_heap = n_args > G_N_ELEMENTS(deps_local) ? g_new(guint, n_args) : NULL;
  guint *deps = deps_heap ? deps_heap : deps_local;
  guint n_deps = 0;
  for (guint i = 0; i < n_args; i++) {
    InfGraphArg *arg = &node.args[i];
    const char *arg_name = names ? names[i] : NULL;
    if (arg_name == NULL && CLASS_INPUTS(klass) && i < count_inputs(klass))
      arg_name = klass->inputs[i].name;
    arg->name = g_strdup(arg_name);
    InfValue *failed = resolve_arg(tracer, id, i, arg_name, args[i], arg);
    if (failed) {
      node.n_args = i + 1;
      inf_graph_node_clear(&node);
      return failed;
    }
    if (arg->source >= 0)
      deps[n_deps++] = (guint)arg->source;
  }
  n_deps = sort_unique(deps, n_deps);
  node.n_deps = n_deps;
  node.deps = n_deps ? g_memdup2(deps, sizeof(guint) * n_deps) : NULL;
  node.module = inf_module_ref(module);
  node.alias = inf_module_get_resource_alias(module);
  node.id = g_steal_pointer(&id);

  guint index = tracer->nodes->len;
  g_array_append_val(tracer->nodes, node);
  g_hash_table_insert(tracer->index_by_id, node.id, GUINT_TO_POINTER(index + 1));
  return inf_value_new_ref(node.id, NULL);
}

static InfValue *
call_composite(InfTracer *tracer, InfModule *child, const char *prefix, const char *name,
               guint n_args, InfValue *const *args, const char *const *names)
{
  char *id = unique_id(tracer, prefix, name);
  g_hash_table_add(tracer->composite_ids, id); /* owns id */
  if (tracer->frames->len >= INF_MAX_NESTING_DEPTH)
    return tracer_fail(tracer, id, "composites nest more than %d levels deep",
                       INF_MAX_NESTING_DEPTH);

  for (guint i = 0; i < n_args; i++) {
    if (args[i] == NULL)
      return tracer_fail(tracer, id, "argument %u is NULL", i);
    if (inf_value_get_kind(args[i]) == INF_VALUE_ERROR) {
      const GError *e = inf_value_get_error(args[i]);
      return tracer_fail(tracer, id, "argument %u is an error value: %s", i,
                         e ? e->message : "unknown error");
    }
  }

  Frame *frame = g_new0(Frame, 1);
  frame->module = child;
  frame->prefix = g_strconcat(id, ".", NULL);
  g_ptr_array_add(tracer->frames, frame);
  const char *const *saved_names = tracer->input_names;
  tracer->input_names = names;

  g_autoptr(GError) error = NULL;
  InfValue *result = inf_module_get_forward_func(child)(child, tracer, args, n_args, &error);

  tracer->input_names = saved_names;
  g_ptr_array_set_size(tracer->frames, tracer->frames->len - 1);

  if (result == NULL) {
    InfValue *failed =
        tracer_fail(tracer, id, "%s", error ? error->message : "forward() returned no value");
    return failed;
  }
  return result;
}

InfValue *
inf_tracer_call_as(InfTracer *tracer, InfModule *child, const char *name, guint n_args,
                   InfValue *const *args, const char *const *names)
{
  g_return_val_if_fail(tracer != NULL, NULL);
  Frame *frame = current_frame(tracer);
  const char *prefix = frame ? frame->prefix : "";
  if (child == NULL)
    return tracer_fail(tracer, NULL, "inf_call() with a NULL module");
  if (n_args > 0 && args == NULL)
    return tracer_fail(tracer, name, "%u arguments but no argument array", n_args);
  if (inf_module_is_composite(child))
    return call_composite(tracer, child, prefix, name, n_args, args, names);
  return record_node(tracer, child, prefix, name, n_args, args, names);
}

/* The name of @child within the current composite (a direct child, else a
 * dotted path to a deeper descendant), or NULL. */
static const char *
child_name(Frame *frame, InfModule *child)
{
  if (frame->child_names == NULL) {
    frame->child_names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    g_autoptr(GPtrArray) named = inf_module_named_children(frame->module);
    for (guint i = 0; i < named->len; i++) {
      InfNamedModule *nm = g_ptr_array_index(named, i);
      if (!g_hash_table_contains(frame->child_names, nm->module))
        g_hash_table_insert(frame->child_names, nm->module, g_strdup(nm->name));
    }
  }
  const char *name = g_hash_table_lookup(frame->child_names, child);
  if (name)
    return name;
  g_autoptr(GPtrArray) all = inf_module_named_modules(frame->module);
  for (guint i = 0; i < all->len; i++) {
    InfNamedModule *nm = g_ptr_array_index(all, i);
    if (nm->module == child && nm->name && nm->name[0]) {
      char *copy = g_strdup(nm->name);
      g_hash_table_insert(frame->child_names, child, copy);
      return copy;
    }
  }
  return NULL;
}

InfValue *
inf_callv(InfTracer *tracer, InfModule *child, guint n_args, InfValue *const *args,
          const char *const *names)
{
  g_return_val_if_fail(tracer != NULL, NULL);
  Frame *frame = current_frame(tracer);
  if (frame == NULL)
    return tracer_fail(tracer, NULL, "inf_call() outside of a trace");
  if (child == NULL)
    return tracer_fail(tracer, NULL, "inf_call() with a NULL module (in '%s')",
                       inf_module_get_name(frame->module)
                           ? inf_module_get_name(frame->module)
                           : inf_module_get_type_name(frame->module));
  const char *name = child_name(frame, child);
  if (name == NULL) {
    const char *child_label =
        inf_module_get_name(child) ? inf_module_get_name(child) : inf_module_get_type_name(child);
    const char *owner = inf_module_get_name(frame->module)
                            ? inf_module_get_name(frame->module)
                            : inf_module_get_type_name(frame->module);
    g_autofree char *id = g_strconcat(frame->prefix, child_label, NULL);
    return tracer_fail(tracer, id,
                       "module '%s' (type '%s') is not a child of '%s'; add it with "
                       "inf_module_add_child() in init",
                       child_label, inf_module_get_type_name(child), owner);
  }
  return inf_tracer_call_as(tracer, child, name, n_args, args, names);
}

InfValue *
inf_call(InfTracer *tracer, InfModule *child, ...)
{
  g_return_val_if_fail(tracer != NULL, NULL);
  va_list ap;
  guint n = 0;
  va_start(ap, child);
  while (va_arg(ap, InfValue *) != NULL)
    n++;
  va_end(ap);

  InfValue *local[16];
  g_autofree InfValue **heap = n > G_N_ELEMENTS(local) ? g_new(InfValue *, n) : NULL;
  InfValue **args = heap ? heap : local;
  va_start(ap, child);
  for (guint i = 0; i < n; i++)
    args[i] = va_arg(ap, InfValue *);
  va_end(ap);
  return inf_callv(tracer, child, n, args, NULL);
}

void
inf_tracer_set_priority(InfTracer *tracer, InfValue *output, gint priority)
{
  g_return_if_fail(tracer != NULL);
  if (output == NULL || inf_value_get_kind(output) != INF_VALUE_REF) {
    tracer_fail(tracer, NULL, "inf_tracer_set_priority(): the value is not the output of a node");
    return;
  }
  const char *id = inf_value_get_ref_node(output);
  gpointer p = g_hash_table_lookup(tracer->index_by_id, id);
  guint index = p ? GPOINTER_TO_UINT(p) - 1 : 0;
  if (p == NULL || index < tracer->n_inputs) {
    tracer_fail(tracer, id, "inf_tracer_set_priority(): '%s' is not a module node", id);
    return;
  }
  g_array_index(tracer->nodes, InfGraphNode, index).priority = priority;
}

/* --- building the graph --- */

/* Shapes @result (a value, or a list or dict of values) into outputs; @what
 * names them in messages ("output", "case 'billing' output"). */
static gboolean
fill_outputs(InfTracer *tracer, InfValue *result, const char *what, InfGraphOutputShape *shape_out,
             InfGraphOutput **outputs_out, guint *n_out, GError **error)
{
  InfGraphOutputShape shape;
  guint n_outputs;
  switch (inf_value_get_kind(result)) {
  case INF_VALUE_LIST:
    shape = INF_GRAPH_OUTPUT_LIST;
    n_outputs = inf_value_list_length(result);
    break;
  case INF_VALUE_DICT:
    shape = INF_GRAPH_OUTPUT_DICT;
    n_outputs = inf_value_dict_size(result);
    break;
  default:
    shape = INF_GRAPH_OUTPUT_VALUE;
    n_outputs = 1;
    break;
  }
  InfGraphOutput *outputs = g_new0(InfGraphOutput, n_outputs ? n_outputs : 1);
  for (guint i = 0; i < n_outputs; i++) {
    InfValue *item;
    g_autofree char *item_what = NULL;
    if (shape == INF_GRAPH_OUTPUT_LIST) {
      item = inf_value_list_get(result, i);
      item_what = g_strdup_printf("%s [%u]", what, i);
    } else if (shape == INF_GRAPH_OUTPUT_DICT) {
      item = inf_value_dict_value(result, i);
      outputs[i].key = g_strdup(inf_value_dict_key(result, i));
      item_what = g_strdup_printf("%s '%s'", what, outputs[i].key);
    } else {
      item = result;
      item_what = g_strdup_printf("the %s", what);
    }
    if (!resolve_source(tracer, item, item_what, "nested ",
                        "outputs may be one level of list or dict", &outputs[i].source,
                        &outputs[i].path, &outputs[i].literal, error)) {
      inf_graph_outputs_free(outputs, n_outputs);
      return FALSE;
    }
  }
  *shape_out = shape;
  *outputs_out = outputs;
  *n_out = n_outputs;
  return TRUE;
}

/* --- switches --- */

/* Fills case @c's match from @spec, normalizing patterns per @normalize.
 * On a problem returns FALSE with a message in @problem. */
static gboolean
fill_case_match(InfGraphCase *c, const InfSwitchCase *spec, gboolean is_default, guint normalize,
                char **problem)
{
  if (is_default) {
    c->kind = INF_GRAPH_MATCH_DEFAULT;
    c->label = g_strdup("default");
    return TRUE;
  }
  if ((guint)spec->match > INF_MATCH_ONE_OF) {
    *problem = g_strdup_printf("unknown match kind %d", (int)spec->match);
    return FALSE;
  }
  c->kind = (InfGraphMatchKind)spec->match;
  if (c->kind == INF_GRAPH_MATCH_ONE_OF) {
    if (spec->one_of == NULL || spec->one_of[0] == NULL) {
      *problem = g_strdup("a one_of match needs at least one value");
      return FALSE;
    }
    guint n = g_strv_length((char **)spec->one_of);
    c->patterns = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++)
      c->patterns[i] = inf_graph_switch_normalize(spec->one_of[i], normalize);
    g_autofree char *joined = g_strjoinv("|", c->patterns);
    c->label = g_strdup_printf("one_of %s", joined);
    return TRUE;
  }
  if (spec->pattern == NULL) {
    *problem = g_strdup("the case has no pattern");
    return FALSE;
  }
  c->patterns = g_new0(char *, 2);
  switch (c->kind) {
  case INF_GRAPH_MATCH_REGEX: {
    g_autoptr(GError) regex_error = NULL;
    GRegexCompileFlags flags = G_REGEX_OPTIMIZE;
    if (normalize & INF_SWITCH_NORMALIZE_CASEFOLD)
      flags |= G_REGEX_CASELESS;
    c->regex = g_regex_new(spec->pattern, flags, 0, &regex_error);
    if (c->regex == NULL) {
      *problem = g_strdup_printf("invalid regex '%s': %s", spec->pattern, regex_error->message);
      return FALSE;
    }
    c->patterns[0] = g_strdup(spec->pattern);
    c->label = g_strdup_printf("regex %s", spec->pattern);
    return TRUE;
  }
  case INF_GRAPH_MATCH_PREFIX:
    c->patterns[0] = inf_graph_switch_normalize(spec->pattern, normalize);
    c->label = g_strdup_printf("prefix %s", c->patterns[0]);
    return TRUE;
  case INF_GRAPH_MATCH_CONTAINS:
    c->patterns[0] = inf_graph_switch_normalize(spec->pattern, normalize);
    c->label = g_strdup_printf("contains %s", c->patterns[0]);
    return TRUE;
  default:
    c->patterns[0] = inf_graph_switch_normalize(spec->pattern, normalize);
    c->label = g_strdup(c->patterns[0]);
    return TRUE;
  }
}

/* Records case @c's exact or one_of values in @seen; returns the first one
 * an earlier case (or this one) already matched exactly. */
static const char *
repeated_exact(const InfGraphSwitch *sw, guint c, GHashTable *seen)
{
  const InfGraphCase *mine = &sw->cases[c];
  if (mine->kind != INF_GRAPH_MATCH_EXACT && mine->kind != INF_GRAPH_MATCH_ONE_OF)
    return NULL;
  for (guint p = 0; mine->patterns[p]; p++)
    if (!g_hash_table_add(seen, mine->patterns[p]))
      return mine->patterns[p];
  return NULL;
}

/* One inf_switch() call being traced. */
typedef struct {
  const char *id;
  const InfSwitchCase *cases;
  guint n_cases;
  const InfSwitchCase *default_case;
  const char *const *case_names;
  guint n_all;          /* n_cases, plus one for the default */
  InfGraphSwitch *sw;   /* owned by the tracer once opened */
  gint sw_index;        /* its index in tracer->switches */
  InfGraphArg selector; /* its path is the caller's until the node takes it */
} SwitchCall;

/* The spec of case @c: one of the cases, or the default after them. */
static const InfSwitchCase *
switch_case_spec(const SwitchCall *call, guint c)
{
  return c < call->n_cases ? &call->cases[c] : call->default_case;
}

/* Checks an inf_switch() call's cases, flags and selector; returns an error
 * value, or NULL when they are fine. */
static InfValue *
check_switch_args(InfTracer *tracer, const SwitchCall *call, InfValue *selector, guint normalize)
{
  if (call->n_cases == 0 && call->default_case == NULL)
    return tracer_fail(tracer, call->id, "a switch needs at least one case");
  if (call->n_cases > 0 && call->cases == NULL)
    return tracer_fail(tracer, call->id, "%u cases but no case array", call->n_cases);
  if (normalize & ~(guint)(INF_SWITCH_NORMALIZE_TRIM | INF_SWITCH_NORMALIZE_CASEFOLD))
    return tracer_fail(tracer, call->id, "unknown normalize flags 0x%x", normalize);
  if (selector == NULL || inf_value_get_kind(selector) != INF_VALUE_REF) {
    const GError *e = selector && inf_value_get_kind(selector) == INF_VALUE_ERROR
                          ? inf_value_get_error(selector)
                          : NULL;
    return tracer_fail(tracer, call->id,
                       "the selector must be a reference to an input or a node output%s%s",
                       e ? ": " : "", e ? e->message : "");
  }
  return NULL;
}

/* Adds the switch to the tracer with each case's match (no outputs yet);
 * returns an error value when a case's match is invalid or repeats an
 * earlier one, else NULL. */
static InfValue *
open_switch(InfTracer *tracer, SwitchCall *call, guint normalize)
{
  InfGraphSwitch *sw = g_new0(InfGraphSwitch, 1);
  sw->normalize = normalize;
  sw->has_default = call->default_case != NULL;
  sw->cases = g_new0(InfGraphCase, call->n_all);
  sw->n_cases = call->n_all;
  call->sw = sw;
  call->sw_index = (gint)tracer->switches->len;
  g_ptr_array_add(tracer->switches, sw); /* owned by the tracer from now on */
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal); /* borrowed keys */
  for (guint c = 0; c < call->n_all; c++) {
    g_autofree char *problem = NULL;
    if (!fill_case_match(&sw->cases[c], switch_case_spec(call, c), c == call->n_cases, normalize,
                         &problem))
      return tracer_fail(tracer, call->id, "case %u: %s", c, problem);
    const char *repeated = repeated_exact(sw, c, seen);
    if (repeated)
      return tracer_fail(tracer, call->id, "case %u: '%s' is already matched by an earlier case", c,
                         repeated);
  }
  return NULL;
}

/* Traces case @c's module under the case's guard and records its outputs;
 * FALSE when it failed (the error is recorded). */
static gboolean
trace_switch_case(InfTracer *tracer, const SwitchCall *call, Frame *frame, guint c)
{
  const InfSwitchCase *spec = switch_case_spec(call, c);
  const char *case_name = call->case_names ? call->case_names[c] : NULL;
  if (spec->module == NULL) {
    tracer_fail(tracer, call->id, "case %u has no module", c);
    return FALSE;
  }
  if (case_name == NULL)
    case_name = child_name(frame, spec->module);
  if (case_name == NULL) {
    const char *label = inf_module_get_name(spec->module) ? inf_module_get_name(spec->module)
                                                          : inf_module_get_type_name(spec->module);
    tracer_fail(tracer, call->id,
                "case %u: module '%s' (type '%s') is not a child of the traced module; "
                "add it with inf_module_add_child() in init",
                c, label, inf_module_get_type_name(spec->module));
    return FALSE;
  }
  Guard guard = { call->sw_index, c };
  g_array_append_val(tracer->guards, guard);
  g_autoptr(InfValue) out = inf_tracer_call_as(tracer, spec->module, case_name, spec->n_args,
                                               spec->args, spec->arg_names);
  g_array_set_size(tracer->guards, tracer->guards->len - 1);
  if (tracer->error)
    return FALSE;
  g_autoptr(GError) error = NULL;
  InfGraphCase *gc = &call->sw->cases[c];
  g_autofree char *what = g_strdup_printf("output of case '%s'", gc->label);
  if (!fill_outputs(tracer, out, what, &gc->shape, &gc->outputs, &gc->n_outputs, &error)) {
    tracer_fail(tracer, call->id, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* Traces each case in turn under "ID." (the composite's children, guarded);
 * FALSE at the first that fails. */
static gboolean
trace_switch_cases(InfTracer *tracer, const SwitchCall *call, Frame *frame)
{
  Frame *case_frame = g_new0(Frame, 1);
  case_frame->module = frame->module;
  case_frame->prefix = g_strconcat(call->id, ".", NULL);
  g_ptr_array_add(tracer->frames, case_frame);
  gboolean ok = TRUE;
  for (guint c = 0; c < call->n_all && ok; c++)
    ok = trace_switch_case(tracer, call, frame, c);
  g_ptr_array_set_size(tracer->frames, tracer->frames->len - 1);
  return ok;
}

/* Records the switch node, after its cases: it depends on the selector and
 * on every case output. Takes the selector's path; returns a ref to the
 * node's output. */
static InfValue *
record_switch_node(InfTracer *tracer, SwitchCall *call)
{
  InfGraphSwitch *sw = call->sw;
  InfGraphNode node = { 0 };
  node.kind = INF_GRAPH_NODE_SWITCH;
  set_guard(tracer, &node);
  node.switch_index = call->sw_index;
  node.n_args = 1;
  node.args = g_new0(InfGraphArg, 1);
  node.args[0] = call->selector;
  node.args[0].name = g_strdup("selector");
  GArray *deps = g_array_new(FALSE, FALSE, sizeof(guint));
  guint selector_source = (guint)call->selector.source;
  g_array_append_val(deps, selector_source);
  for (guint c = 0; c < sw->n_cases; c++)
    for (guint o = 0; o < sw->cases[c].n_outputs; o++)
      if (sw->cases[c].outputs[o].source >= 0) {
        guint source = (guint)sw->cases[c].outputs[o].source;
        g_array_append_val(deps, source);
      }
  node.n_deps = sort_unique((guint *)deps->data, deps->len);
  node.deps = g_memdup2(deps->data, sizeof(guint) * node.n_deps);
  g_array_unref(deps);
  node.id = g_strdup(call->id);
  guint index = tracer->nodes->len;
  sw->node = index;
  g_array_append_val(tracer->nodes, node);
  g_hash_table_insert(tracer->index_by_id, node.id, GUINT_TO_POINTER(index + 1));
  return inf_value_new_ref(node.id, NULL);
}

InfValue *
inf_tracer_switch_as(InfTracer *tracer, const char *name, InfValue *selector, guint normalize,
                     const InfSwitchCase *cases, guint n_cases, const InfSwitchCase *default_case,
                     const char *const *case_names)
{
  Frame *frame = current_frame(tracer);
  if (frame == NULL)
    return tracer_fail(tracer, NULL, "inf_switch() outside of a trace");
  if (name == NULL || name[0] == '\0')
    return tracer_fail(tracer, NULL, "inf_switch() needs a name for the switch node");
  char *id = unique_id(tracer, frame->prefix, name);
  g_hash_table_add(tracer->composite_ids, id); /* owns id; the node takes a copy */

  SwitchCall call = {
    .id = id,
    .cases = cases,
    .n_cases = n_cases,
    .default_case = default_case,
    .case_names = case_names,
    .n_all = n_cases + (default_case ? 1 : 0),
  };
  InfValue *failed = check_switch_args(tracer, &call, selector, normalize);
  if (failed)
    return failed;
  failed = resolve_arg(tracer, id, 0, "selector", selector, &call.selector);
  if (failed)
    return failed;
  failed = open_switch(tracer, &call, normalize);
  if (failed == NULL && !trace_switch_cases(tracer, &call, frame))
    failed = tracer_fail(tracer, id, "a case failed to trace");
  if (failed) {
    g_strfreev(call.selector.path);
    return failed;
  }
  return record_switch_node(tracer, &call);
}

InfValue *
inf_switch(InfTracer *tracer, const char *name, InfValue *selector, guint normalize,
           const InfSwitchCase *cases, guint n_cases, const InfSwitchCase *default_case)
{
  g_return_val_if_fail(tracer != NULL, NULL);
  return inf_tracer_switch_as(tracer, name, selector, normalize, cases, n_cases, default_case,
                              NULL);
}

static InfGraph *
build_graph(InfTracer *tracer, InfValue *result, GError **error)
{
  InfGraphOutputShape shape;
  guint n_outputs;
  InfGraphOutput *outputs;
  if (!fill_outputs(tracer, result, "output", &shape, &outputs, &n_outputs, error))
    return NULL;

  InfGraph *graph = g_new0(InfGraph, 1);
  graph->ref_count = 1;
  graph->n_nodes = tracer->nodes->len;
  graph->nodes = (InfGraphNode *)g_array_free(tracer->nodes, FALSE);
  tracer->nodes = NULL;
  graph->n_inputs = tracer->n_inputs;
  graph->index_by_id = g_steal_pointer(&tracer->index_by_id);
  graph->output_shape = shape;
  graph->outputs = outputs;
  graph->n_outputs = n_outputs;

  /* Dependents: nodes are visited in index order, so each list comes out
   * ascending; deps are distinct, so are dependents. */
  guint n = graph->n_nodes;
  for (guint i = 0; i < n; i++)
    for (guint d = 0; d < graph->nodes[i].n_deps; d++)
      graph->nodes[graph->nodes[i].deps[d]].n_dependents++;
  for (guint i = 0; i < n; i++) {
    InfGraphNode *node = &graph->nodes[i];
    node->dependents = node->n_dependents ? g_new(guint, node->n_dependents) : NULL;
    node->n_dependents = 0;
  }
  for (guint i = 0; i < n; i++)
    for (guint d = 0; d < graph->nodes[i].n_deps; d++) {
      InfGraphNode *dep = &graph->nodes[graph->nodes[i].deps[d]];
      dep->dependents[dep->n_dependents++] = i;
    }

  GPtrArray *aliases = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++) {
    const char *alias = graph->nodes[i].alias;
    if (alias && g_hash_table_add(seen, (gpointer)alias))
      g_ptr_array_add(aliases, g_strdup(alias));
  }
  g_ptr_array_add(aliases, NULL);
  graph->aliases = (char **)g_ptr_array_free(aliases, FALSE);

  /* Switches, and the nodes each case guards directly. */
  graph->n_switches = tracer->switches->len;
  graph->switches = graph->n_switches ? g_new0(InfGraphSwitch, graph->n_switches) : NULL;
  for (guint i = 0; i < graph->n_switches; i++) {
    InfGraphSwitch *sw = g_ptr_array_index(tracer->switches, i);
    graph->switches[i] = *sw;
    g_free(sw);
  }
  g_ptr_array_set_size(tracer->switches, 0);
  for (guint i = 0; i < n; i++)
    if (graph->nodes[i].guard >= 0)
      graph->switches[graph->nodes[i].guard].cases[graph->nodes[i].guard_case].n_nodes++;
  for (guint s = 0; s < graph->n_switches; s++)
    for (guint c = 0; c < graph->switches[s].n_cases; c++) {
      InfGraphCase *gc = &graph->switches[s].cases[c];
      gc->nodes = gc->n_nodes ? g_new(guint, gc->n_nodes) : NULL;
      gc->n_nodes = 0;
    }
  for (guint i = 0; i < n; i++)
    if (graph->nodes[i].guard >= 0) {
      InfGraphSwitch *sw = &graph->switches[graph->nodes[i].guard];
      InfGraphCase *gc = &sw->cases[graph->nodes[i].guard_case];
      gc->nodes[gc->n_nodes++] = i;
    }
  inf_graph_switch_index_cases(graph);
  return graph;
}

InfGraph *
inf_tracer_trace(InfModule *module, const char *const *input_names, GError **error)
{
  g_return_val_if_fail(module != NULL, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; input_names && input_names[i]; i++) {
    if (input_names[i][0] == '\0' || !g_hash_table_add(seen, (gpointer)input_names[i])) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "input names must be distinct and not empty ('%s')", input_names[i]);
      return NULL;
    }
  }

  InfTracer *tracer = tracer_new();
  guint n_inputs = input_names ? g_strv_length((char **)input_names) : 0;
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func((GDestroyNotify)inf_value_unref);
  for (guint i = 0; i < n_inputs; i++) {
    InfGraphNode node = { 0 };
    node.kind = INF_GRAPH_NODE_INPUT;
    node.guard = -1;
    node.switch_index = -1;
    node.id = g_strconcat("input:", input_names[i], NULL);
    g_array_append_val(tracer->nodes, node);
    g_hash_table_insert(tracer->index_by_id, node.id, GUINT_TO_POINTER(i + 1));
    g_ptr_array_add(refs, inf_value_new_ref(node.id, NULL));
  }
  tracer->n_inputs = n_inputs;

  Frame *frame = g_new0(Frame, 1);
  frame->module = module;
  frame->prefix = g_strdup("");
  g_ptr_array_add(tracer->frames, frame);

  g_autoptr(GError) forward_error = NULL;
  InfValue *result;
  const InfModuleClass *klass = inf_module_get_class(module);
  if (inf_module_is_composite(module)) {
    tracer->input_names = input_names;
    result = inf_module_get_forward_func(module)(module, tracer, (InfValue *const *)refs->pdata,
                                                 n_inputs, &forward_error);
    tracer->input_names = NULL;
  } else {
    /* An atomic module on its own: one node taking every input. */
    const char *name = inf_module_get_name(module);
    result = record_node(tracer, module, "", name && name[0] ? name : klass->name, n_inputs,
                         (InfValue *const *)refs->pdata, input_names);
  }

  InfGraph *graph = NULL;
  if (tracer->error)
    g_propagate_error(error, g_steal_pointer(&tracer->error));
  else if (result == NULL) {
    if (forward_error)
      g_propagate_error(error, g_steal_pointer(&forward_error));
    else
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "forward() of '%s' returned no value", klass->name);
  } else
    graph = build_graph(tracer, result, error);

  if (result)
    inf_value_unref(result);
  tracer_free(tracer);
  return graph;
}
