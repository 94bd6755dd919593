/* InfModule: an instance of a module class with ordered named children and
 * ordered named parameters.
 *
 * Refcounted with a plain (non-atomic) count: modules belong to the main loop
 * thread. Children and parameters are kept in insertion-ordered arrays; a
 * module with many (a config graph with thousands of inline nodes) also gets
 * a name index, so adding and finding them stays linear overall.
 */
#include "module-private.h"

#include "model/class-resolver.h"

#include <inf/error.h>
#include <string.h>

typedef struct {
  char *name;
  gpointer item; /* InfModule * or InfParameter * (owned reference) */
} Entry;

struct _InfModule {
  struct _InfModuleHead head; /* first: see module-private.h */
  void (*finalize)(gpointer private_data);
  char *name;
  InfRegistry *registry;
  InfOptions *options;
  GArray *children;            /* Entry */
  GArray *parameters;          /* Entry */
  GHashTable *child_index;     /* name (borrowed from the entry) → index + 1, or NULL */
  GHashTable *parameter_index; /* the same for parameters */
  guint n_parents;             /* how many modules hold this one as a child */
};

/* Below this many entries a linear search is cheaper than an index. */
#define INDEX_THRESHOLD 16

G_STATIC_ASSERT(offsetof(struct _InfModule, head) == 0);

static void
entry_clear_module(gpointer p)
{
  Entry *e = p;
  g_free(e->name);
  inf_module_unref(e->item);
}

static void
entry_clear_parameter(gpointer p)
{
  Entry *e = p;
  g_free(e->name);
  inf_parameter_unref(e->item);
}

/* Whether @message starts with @prefix as a whole path: followed by '.',
 * '[' or ':' ("training.loss.x: ..." names "training.loss"; "training.loss2"
 * does not). */
static gboolean
starts_with_prefix(const char *message, const char *prefix)
{
  if (prefix == NULL || prefix[0] == '\0' || !g_str_has_prefix(message, prefix))
    return FALSE;
  char next = message[strlen(prefix)];
  return next == '.' || next == '[' || next == ':';
}

void
inf_class_init_error(GError **error, GError *local, const char *type, const char *file,
                     const char *json_path)
{
  if (local == NULL)
    local = g_error_new(INF_ERROR, INF_ERROR_FAILED,
                        "class '%s' failed to initialize without an error message",
                        type != NULL ? type : "?");
  if (json_path != NULL && json_path[0] != '\0' && !starts_with_prefix(local->message, json_path) &&
      !starts_with_prefix(local->message, file))
    g_prefix_error(&local, "%s: ", json_path);
  if (file != NULL && file[0] != '\0' && !starts_with_prefix(local->message, file))
    g_prefix_error(&local, "%s: ", file);
  g_propagate_error(error, local);
}

/* Reads the `timeout` every module has (seconds, a number >= 0; 0 or absent:
 * none) from @options into *timeout_us. */
static gboolean
read_timeout(const InfModuleClass *klass, json_object *options, const char *file,
             const char *json_path, gint64 *timeout_us, GError **error)
{
  json_object *value = NULL;
  *timeout_us = 0;
  if (!options || !json_object_is_type(options, json_type_object) ||
      !json_object_object_get_ex(options, INF_MODULE_TIMEOUT_OPTION, &value))
    return TRUE;
  double seconds = -1;
  if (json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double))
    seconds = json_object_get_double(value);
  if (!(seconds >= 0 && seconds <= 1e9)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s%s%s%s" INF_MODULE_TIMEOUT_OPTION
                ": expected a number of seconds (0 for none, at most 1e9), got %s",
                file && *file ? file : "", file && *file ? ": " : "",
                json_path && *json_path ? json_path : "", json_path && *json_path ? "." : "",
                json_object_to_json_string(value));
    return FALSE;
  }
  if (seconds > 0 && INF_CLASS_GET(klass, InfModuleClass, forward) &&
      !INF_CLASS_GET(klass, InfModuleClass, execute)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s%s%s%s" INF_MODULE_TIMEOUT_OPTION
                ": module type '%s' is a composite: set the timeout on the modules its "
                "nodes run",
                file && *file ? file : "", file && *file ? ": " : "",
                json_path && *json_path ? json_path : "", json_path && *json_path ? "." : "",
                klass->name);
    return FALSE;
  }
  *timeout_us = seconds > 0 ? MAX((gint64)(seconds * G_USEC_PER_SEC), 1) : 0;
  return TRUE;
}

/* Whether the class declares an option @name itself. */
static gboolean
class_has_option(const InfModuleClass *klass, const char *name)
{
  const InfOptionSpec *spec = INF_CLASS_GET(klass, InfModuleClass, options);
  for (guint i = 0; spec && spec[i].name; i++)
    if (g_str_equal(spec[i].name, name))
      return TRUE;
  return FALSE;
}

InfModule *
inf_module_new_full(InfRegistry *registry, const InfModuleClass *klass, const char *name,
                    json_object *options, const char *const *skip_keys, const char *file,
                    const char *json_path, const InfOptionsResolver *resolver, GError **error)
{
  g_return_val_if_fail(klass != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  gint64 timeout_us = 0;
  if (!read_timeout(klass, options, file, json_path, &timeout_us, error))
    return NULL;
  /* `timeout` is the engine's, unless the class declares one too. */
  g_autoptr(GPtrArray) skip = g_ptr_array_new();
  for (guint i = 0; skip_keys && skip_keys[i]; i++)
    g_ptr_array_add(skip, (gpointer)skip_keys[i]);
  if (!class_has_option(klass, INF_MODULE_TIMEOUT_OPTION))
    g_ptr_array_add(skip, (gpointer)INF_MODULE_TIMEOUT_OPTION);
  g_ptr_array_add(skip, NULL);
  const InfOptionSpec *spec = INF_CLASS_GET(klass, InfModuleClass, options);
  InfOptions *opts = inf_options_new_for_class(spec, INF_CLASS_GET(klass, InfModuleClass, name),
                                               options, (const char *const *)skip->pdata, registry,
                                               file, json_path, resolver, error);
  if (opts == NULL)
    return NULL;

  InfModule *self = g_new0(InfModule, 1);
  self->head.ref_count = 1;
  self->head.klass = klass;
  self->head.execute = INF_CLASS_GET(klass, InfModuleClass, execute);
  self->head.forward = INF_CLASS_GET(klass, InfModuleClass, forward);
  self->head.resource_alias = INF_CLASS_GET(klass, InfModuleClass, resource_alias);
  self->head.timeout_us = timeout_us;
  self->finalize = INF_CLASS_GET(klass, InfModuleClass, finalize);
  self->name = g_strdup(name);
  self->registry = registry;
  self->options = opts;
  self->children = g_array_new(FALSE, FALSE, sizeof(Entry));
  g_array_set_clear_func(self->children, entry_clear_module);
  self->parameters = g_array_new(FALSE, FALSE, sizeof(Entry));
  g_array_set_clear_func(self->parameters, entry_clear_parameter);

  gboolean (*init)(InfModule *, const InfOptions *, gpointer *, GError **) =
      INF_CLASS_GET(klass, InfModuleClass, init);
  if (init != NULL) {
    GError *local = NULL;
    gpointer private_data = NULL;
    if (!init(self, opts, &private_data, &local)) {
      /* init cleaned up its private data itself. */
      self->finalize = NULL;
      inf_class_init_error(error, local, klass->name, file, json_path);
      inf_module_unref(self);
      return NULL;
    }
    self->head.private_data = private_data;
  }
  return self;
}

InfModule *
inf_module_new_inline(InfRegistry *registry, const InfModuleClass *klass, const char *default_name,
                      json_object *spec, const char *file, const char *json_path, GError **error)
{
  static const char *const skip[] = { "type", "name", NULL };
  const char *name = default_name;
  json_object *jname;
  if (json_object_object_get_ex(spec, "name", &jname) &&
      json_object_is_type(jname, json_type_string))
    name = json_object_get_string(jname);
  return inf_module_new_full(registry, klass, name, spec, skip, file, json_path, NULL, error);
}

InfModule *
inf_module_new(InfRegistry *registry, const char *type, const char *name, json_object *options,
               GError **error)
{
  g_return_val_if_fail(registry != NULL, NULL);
  g_return_val_if_fail(type != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  const InfModuleClass *klass =
      inf_class_resolver_lookup(inf_class_resolver_of(registry), INF_CLASS_MODULE, type, error);
  if (klass == NULL)
    return NULL;
  return inf_module_new_full(registry, klass, name, options, NULL, NULL, NULL, NULL, error);
}

InfModule *
inf_module_ref(InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  module->head.ref_count++;
  return module;
}

void
inf_module_unref(InfModule *module)
{
  g_return_if_fail(module != NULL);
  g_return_if_fail(module->head.ref_count > 0);
  if (--module->head.ref_count > 0)
    return;
  if (module->finalize != NULL)
    module->finalize(module->head.private_data);
  g_array_unref(module->children);
  g_array_unref(module->parameters);
  if (module->child_index)
    g_hash_table_unref(module->child_index);
  if (module->parameter_index)
    g_hash_table_unref(module->parameter_index);
  inf_options_free(module->options);
  g_free(module->name);
  g_free(module);
}

const InfModuleClass *
inf_module_get_class(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  return module->head.klass;
}

const char *
inf_module_get_type_name(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  return module->head.klass->name;
}

const char *
inf_module_get_name(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  return module->name;
}

gboolean
inf_module_check_args(InfModule *module, guint n_args, const char *const *arg_names, GError **error)
{
  const InfModuleClass *klass = inf_module_get_class(module);
  gboolean (*check)(InfModule *, guint, const char *const *, GError **) =
      INF_CLASS_GET(klass, InfModuleClass, check_args);
  if (check == NULL)
    return TRUE;
  GError *local = NULL;
  if (check(module, n_args, arg_names, &local))
    return TRUE;
  if (local == NULL)
    local = g_error_new(INF_ERROR, INF_ERROR_CONFIG,
                        "module type '%s' rejected the node's arguments without saying why",
                        klass->name);
  g_propagate_error(error, local);
  return FALSE;
}

void
inf_module_set_name(InfModule *module, const char *name)
{
  g_return_if_fail(module != NULL);
  if (name == module->name)
    return;
  char *old = module->name;
  module->name = g_strdup(name);
  g_free(old);
}

gpointer
inf_module_get_private(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  return module->head.private_data;
}

const InfOptions *
inf_module_get_options(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  return module->options;
}

InfRegistry *
inf_module_get_registry(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, NULL);
  return module->registry;
}

gboolean
inf_module_is_composite(const InfModule *module)
{
  g_return_val_if_fail(module != NULL, FALSE);
  return module->head.forward != NULL;
}

/* The index of @name in @entries, or -1. Builds *@index once @entries is
 * large enough (entries are only ever appended, so it stays valid). */
static gint
entry_find(GArray *entries, GHashTable **index, const char *name)
{
  if (*index == NULL && entries->len >= INDEX_THRESHOLD) {
    *index = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint k = 0; k < entries->len; k++)
      g_hash_table_insert(*index, g_array_index(entries, Entry, k).name, GUINT_TO_POINTER(k + 1));
  }
  if (*index != NULL)
    return (gint)GPOINTER_TO_UINT(g_hash_table_lookup(*index, name)) - 1;
  for (guint k = 0; k < entries->len; k++)
    if (strcmp(g_array_index(entries, Entry, k).name, name) == 0)
      return (gint)k;
  return -1;
}

/* Appends @e to @entries, keeping *@index (if any) up to date. */
static void
entry_append(GArray *entries, GHashTable *index, Entry e)
{
  g_array_append_val(entries, e);
  if (index != NULL)
    g_hash_table_insert(index, e.name, GUINT_TO_POINTER(entries->len));
}

static gboolean
check_name(GArray *entries, GHashTable **index, const char *name, const char *what,
           const InfModule *self, GError **error)
{
  const char *type = self->head.klass->name;
  if (name == NULL || name[0] == '\0') {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                "a %s of module '%s' (%s) needs a non-empty name", what,
                self->name ? self->name : "", type);
    return FALSE;
  }
  if (strchr(name, '.') != NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                "invalid %s name '%s' in module '%s' (%s): names must not contain '.'", what, name,
                self->name ? self->name : "", type);
    return FALSE;
  }
  if (entry_find(entries, index, name) >= 0) {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                "module '%s' (%s) already has a %s named '%s'", self->name ? self->name : "", type,
                what, name);
    return FALSE;
  }
  return TRUE;
}

/* Whether @target is @root or one of its descendants; iterative, each module
 * visited once. */
static gboolean
module_contains(const InfModule *root, const InfModule *target)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
  g_ptr_array_add(stack, (gpointer)root);
  while (stack->len > 0) {
    const InfModule *m = g_ptr_array_steal_index_fast(stack, stack->len - 1);
    if (m == target)
      return TRUE;
    if (!g_hash_table_add(seen, (gpointer)m))
      continue;
    for (guint k = 0; k < m->children->len; k++)
      g_ptr_array_add(stack, g_array_index(m->children, Entry, k).item);
  }
  return FALSE;
}

gboolean
inf_module_add_child(InfModule *self, const char *name, InfModule *child, GError **error)
{
  g_return_val_if_fail(self != NULL, FALSE);
  g_return_val_if_fail(child != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  if (!check_name(self->children, &self->child_index, name, "child", self, error))
    return FALSE;
  /* A module nobody holds yet cannot be below @child: skip the walk then (a
   * config builds its modules bottom-up, so this is the usual case). */
  if (child == self || (self->n_parents > 0 && module_contains(child, self))) {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                "adding child '%s' to module '%s' would create a cycle", name,
                self->name ? self->name : "");
    return FALSE;
  }
  Entry e = { g_strdup(name), inf_module_ref(child) };
  entry_append(self->children, self->child_index, e);
  child->n_parents++;
  return TRUE;
}

gboolean
inf_module_add_parameter(InfModule *self, const char *name, InfParameter *param, GError **error)
{
  g_return_val_if_fail(self != NULL, FALSE);
  g_return_val_if_fail(param != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  if (!check_name(self->parameters, &self->parameter_index, name, "parameter", self, error))
    return FALSE;
  Entry e = { g_strdup(name), inf_parameter_ref(param) };
  entry_append(self->parameters, self->parameter_index, e);
  return TRUE;
}

InfModule *
inf_module_get_child(const InfModule *self, const char *name)
{
  g_return_val_if_fail(self != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  gint k = entry_find(self->children, &((InfModule *)self)->child_index, name);
  return k >= 0 ? g_array_index(self->children, Entry, k).item : NULL;
}

InfParameter *
inf_module_get_parameter(const InfModule *self, const char *name)
{
  g_return_val_if_fail(self != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);
  gint k = entry_find(self->parameters, &((InfModule *)self)->parameter_index, name);
  return k >= 0 ? g_array_index(self->parameters, Entry, k).item : NULL;
}

/* ---- introspection ---- */

void
inf_named_module_free(gpointer p)
{
  InfNamedModule *nm = p;
  g_free(nm->name);
  g_free(nm);
}

static void
named_parameter_free(gpointer p)
{
  InfNamedParameter *np = p;
  g_free(np->name);
  g_free(np);
}

static char *
join_path(const char *prefix, const char *name)
{
  if (prefix == NULL || prefix[0] == '\0')
    return g_strdup(name);
  return g_strconcat(prefix, ".", name, NULL);
}

GPtrArray *
inf_module_children(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  GPtrArray *out = g_ptr_array_sized_new(self->children->len);
  for (guint k = 0; k < self->children->len; k++)
    g_ptr_array_add(out, g_array_index(self->children, Entry, k).item);
  return out;
}

GPtrArray *
inf_module_named_children(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  GPtrArray *out = g_ptr_array_new_full(self->children->len, inf_named_module_free);
  for (guint k = 0; k < self->children->len; k++) {
    const Entry *e = &g_array_index(self->children, Entry, k);
    InfNamedModule *nm = g_new(InfNamedModule, 1);
    nm->name = g_strdup(e->name);
    nm->module = e->item;
    g_ptr_array_add(out, nm);
  }
  return out;
}

/* Depth-first, pre-order walk over distinct modules. @visit gets each module
 * once with its first dotted path. */
typedef void (*ModuleVisit)(InfModule *module, const char *path, gpointer user_data);

static void
walk_modules(InfModule *module, const char *path, GHashTable *seen, ModuleVisit visit,
             gpointer user_data)
{
  if (!g_hash_table_add(seen, module))
    return;
  visit(module, path, user_data);
  for (guint k = 0; k < module->children->len; k++) {
    const Entry *e = &g_array_index(module->children, Entry, k);
    g_autofree char *sub = join_path(path, e->name);
    walk_modules(e->item, sub, seen, visit, user_data);
  }
}

static void
visit_named_module(InfModule *module, const char *path, gpointer user_data)
{
  InfNamedModule *nm = g_new(InfNamedModule, 1);
  nm->name = g_strdup(path);
  nm->module = module;
  g_ptr_array_add(user_data, nm);
}

GPtrArray *
inf_module_named_modules(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func(inf_named_module_free);
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
  walk_modules((InfModule *)self, "", seen, visit_named_module, out);
  return out;
}

static void
visit_module(InfModule *module, const char *path, gpointer user_data)
{
  (void)path;
  g_ptr_array_add(user_data, module);
}

GPtrArray *
inf_module_modules(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  GPtrArray *out = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
  walk_modules((InfModule *)self, "", seen, visit_module, out);
  return out;
}

typedef struct {
  GPtrArray *out;
  GHashTable *seen_params;
  gboolean named;
} ParamWalk;

static void
visit_parameters(InfModule *module, const char *path, gpointer user_data)
{
  ParamWalk *w = user_data;
  for (guint k = 0; k < module->parameters->len; k++) {
    const Entry *e = &g_array_index(module->parameters, Entry, k);
    if (!g_hash_table_add(w->seen_params, e->item))
      continue;
    if (w->named) {
      InfNamedParameter *np = g_new(InfNamedParameter, 1);
      np->name = join_path(path, e->name);
      np->parameter = e->item;
      g_ptr_array_add(w->out, np);
    } else
      g_ptr_array_add(w->out, e->item);
  }
}

static GPtrArray *
collect_parameters(const InfModule *self, gboolean named)
{
  ParamWalk w;
  w.out = named ? g_ptr_array_new_with_free_func(named_parameter_free) : g_ptr_array_new();
  w.seen_params = g_hash_table_new(NULL, NULL);
  w.named = named;
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
  walk_modules((InfModule *)self, "", seen, visit_parameters, &w);
  g_hash_table_unref(w.seen_params);
  return w.out;
}

GPtrArray *
inf_module_parameters(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  return collect_parameters(self, FALSE);
}

GPtrArray *
inf_module_named_parameters(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  return collect_parameters(self, TRUE);
}

/* ---- state dict ---- */

json_object *
inf_module_state_dict(const InfModule *self)
{
  g_return_val_if_fail(self != NULL, NULL);
  g_autoptr(GPtrArray) named = collect_parameters(self, TRUE);
  json_object *state = json_object_new_object();
  for (guint k = 0; k < named->len; k++) {
    InfNamedParameter *np = g_ptr_array_index(named, k);
    json_object_object_add(state, np->name,
                           json_object_new_string(inf_parameter_get_value(np->parameter)));
  }
  return state;
}

/* Every path under which a parameter is reachable (a shared parameter or a
 * shared module has several): path → InfParameter *. */
static void
all_parameter_paths(InfModule *module, const char *path, GHashTable *out)
{
  for (guint k = 0; k < module->parameters->len; k++) {
    const Entry *e = &g_array_index(module->parameters, Entry, k);
    g_hash_table_insert(out, join_path(path, e->name), e->item);
  }
  for (guint k = 0; k < module->children->len; k++) {
    const Entry *e = &g_array_index(module->children, Entry, k);
    g_autofree char *sub = join_path(path, e->name);
    all_parameter_paths(e->item, sub, out);
  }
}

gboolean
inf_module_load_state_dict(InfModule *self, json_object *state, gboolean strict, GError **error)
{
  g_return_val_if_fail(self != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  if (!json_object_is_type(state, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                "a state dict must be a JSON object mapping parameter names to texts, got %s",
                state == NULL ? "null" : json_type_to_name(json_object_get_type(state)));
    return FALSE;
  }

  g_autoptr(GHashTable) paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  all_parameter_paths(self, "", paths);
  g_autoptr(GPtrArray) named = collect_parameters(self, TRUE);

  /* Check everything before changing anything. */
  g_autoptr(GPtrArray) unknown = g_ptr_array_new();
  g_autoptr(GHashTable) loaded = g_hash_table_new(NULL, NULL);
  json_object_object_foreach(state, key, value)
  {
    InfParameter *param = g_hash_table_lookup(paths, key);
    if (param == NULL) {
      g_ptr_array_add(unknown, key);
      continue;
    }
    if (!json_object_is_type(value, json_type_string)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "state dict: the value of '%s' must be a string, got %s", key,
                  value == NULL ? "null" : json_type_to_name(json_object_get_type(value)));
      return FALSE;
    }
    g_hash_table_add(loaded, param);
  }
  g_autoptr(GPtrArray) missing = g_ptr_array_new();
  for (guint k = 0; k < named->len; k++) {
    InfNamedParameter *np = g_ptr_array_index(named, k);
    if (!g_hash_table_contains(loaded, np->parameter))
      g_ptr_array_add(missing, np->name);
  }

  if (strict && (unknown->len > 0 || missing->len > 0)) {
    GString *msg = g_string_new("state dict does not match: ");
    if (unknown->len > 0) {
      g_string_append(msg, "unknown parameters: ");
      for (guint k = 0; k < unknown->len; k++)
        g_string_append_printf(msg, "%s%s", k ? ", " : "",
                               (const char *)g_ptr_array_index(unknown, k));
    }
    if (missing->len > 0) {
      g_string_append(msg, unknown->len > 0 ? "; missing parameters: " : "missing parameters: ");
      for (guint k = 0; k < missing->len; k++)
        g_string_append_printf(msg, "%s%s", k ? ", " : "",
                               (const char *)g_ptr_array_index(missing, k));
    }
    g_set_error_literal(error, INF_ERROR, INF_ERROR_NOT_FOUND, msg->str);
    g_string_free(msg, TRUE);
    return FALSE;
  }

  json_object_object_foreach(state, key2, value2)
  {
    InfParameter *param = g_hash_table_lookup(paths, key2);
    if (param != NULL)
      inf_parameter_apply_update(param, json_object_get_string(value2));
  }
  return TRUE;
}
