/* The class registry: module, client, loss and optimizer classes by name,
 * each remembered with the plugin file that registered it. */
#include "plugin/registry-private.h"

#include <string.h>

#include "model/class-resolver.h"
#include "model/module-private.h"

typedef struct {
  InfClassKind kind;
  gconstpointer klass;
  const char *name; /* borrowed from the class */
  char *file;
  guint64 seq; /* registration order */
} InfRegistryEntry;

struct _InfRegistry {
  /* First: the model looks classes up through it (model/class-resolver.h). */
  InfClassResolver resolver;
  GHashTable *classes[INF_CLASS_KIND_COUNT]; /* name → InfRegistryEntry */
  char *current_plugin;                      /* NULL: built-in */
  guint64 next_seq;
  char **search_path; /* the plugin directories the host searched, or NULL */
  GArray *kept;       /* Kept: what inf_registry_keep() was given, or NULL */
};

/* The fields every class of ABI 1.0 has: a struct_size smaller than the end
 * of the last of them cannot be a valid class. Fields appended later are
 * optional and read only when struct_size covers them. */
#define INF_FIELD_END(Type, field) (G_STRUCT_OFFSET(Type, field) + sizeof(((Type *)0)->field))

static const gsize base_size[INF_CLASS_KIND_COUNT] = {
  [INF_CLASS_MODULE] = INF_FIELD_END(InfModuleClass, resource_alias),
  [INF_CLASS_CLIENT] = INF_FIELD_END(InfClientClass, requires_api_key),
  [INF_CLASS_LOSS] = INF_FIELD_END(InfLossClass, finalize),
  [INF_CLASS_OPTIMIZER] = INF_FIELD_END(InfOptimizerClass, finalize),
};

/* Whether @klass has every field of ABI 1.0 (see base_size). */
static gboolean
has_base_fields(InfClassKind kind, gconstpointer klass)
{
  switch (kind) {
  case INF_CLASS_MODULE:
    return INF_CLASS_HAS((const InfModuleClass *)klass, InfModuleClass, resource_alias);
  case INF_CLASS_CLIENT:
    return INF_CLASS_HAS((const InfClientClass *)klass, InfClientClass, requires_api_key);
  case INF_CLASS_LOSS:
    return INF_CLASS_HAS((const InfLossClass *)klass, InfLossClass, finalize);
  case INF_CLASS_OPTIMIZER:
    return INF_CLASS_HAS((const InfOptimizerClass *)klass, InfOptimizerClass, finalize);
  }
  return FALSE;
}

static const char *const struct_names[INF_CLASS_KIND_COUNT] = {
  [INF_CLASS_MODULE] = "InfModuleClass",
  [INF_CLASS_CLIENT] = "InfClientClass",
  [INF_CLASS_LOSS] = "InfLossClass",
  [INF_CLASS_OPTIMIZER] = "InfOptimizerClass",
};

static const char *const kind_names[INF_CLASS_KIND_COUNT] = {
  [INF_CLASS_MODULE] = "module",
  [INF_CLASS_CLIENT] = "client",
  [INF_CLASS_LOSS] = "loss",
  [INF_CLASS_OPTIMIZER] = "optimizer",
};

static const char *const kind_plurals[INF_CLASS_KIND_COUNT] = {
  [INF_CLASS_MODULE] = "modules",
  [INF_CLASS_CLIENT] = "clients",
  [INF_CLASS_LOSS] = "losses",
  [INF_CLASS_OPTIMIZER] = "optimizers",
};

/* What a config calls a class of each kind, in messages: its "type" field
 * (a client's is "provider"). */
static const char *const kind_nouns[INF_CLASS_KIND_COUNT] = {
  [INF_CLASS_MODULE] = "module type",
  [INF_CLASS_CLIENT] = "provider",
  [INF_CLASS_LOSS] = "loss type",
  [INF_CLASS_OPTIMIZER] = "optimizer type",
};

static gboolean
kind_is_valid(InfClassKind kind)
{
  return (guint)kind < INF_CLASS_KIND_COUNT;
}

const char *
inf_class_kind_name(InfClassKind kind)
{
  return kind_is_valid(kind) ? kind_names[kind] : "unknown";
}

const char *
inf_class_kind_plural(InfClassKind kind)
{
  return kind_is_valid(kind) ? kind_plurals[kind] : "unknown";
}

gboolean
inf_class_kind_from_name(const char *name, InfClassKind *kind)
{
  if (name == NULL)
    return FALSE;
  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++) {
    if (strcmp(name, kind_names[k]) == 0 || strcmp(name, kind_plurals[k]) == 0) {
      *kind = (InfClassKind)k;
      return TRUE;
    }
  }
  return FALSE;
}

static void
entry_free(gpointer data)
{
  InfRegistryEntry *entry = data;

  g_free(entry->file);
  g_free(entry);
}

static gconstpointer
resolver_lookup_class(const InfClassResolver *resolver, InfClassKind kind, const char *name,
                      GError **error)
{
  return inf_registry_lookup_class((InfRegistry *)resolver, kind, name, error);
}

InfRegistry *
inf_registry_new(void)
{
  InfRegistry *registry = g_new0(InfRegistry, 1);
  registry->resolver.lookup_class = resolver_lookup_class;

  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++)
    registry->classes[k] = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
  return registry;
}

typedef struct {
  gpointer data;
  GDestroyNotify destroy;
} Kept;

void
inf_registry_keep(InfRegistry *registry, gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail(registry != NULL);
  if (!registry->kept)
    registry->kept = g_array_new(FALSE, FALSE, sizeof(Kept));
  Kept kept = { data, destroy ? destroy : g_free };
  g_array_append_val(registry->kept, kept);
}

void
inf_registry_free(InfRegistry *registry)
{
  if (registry == NULL)
    return;
  for (guint i = 0; registry->kept && i < registry->kept->len; i++) {
    Kept *kept = &g_array_index(registry->kept, Kept, i);
    kept->destroy(kept->data);
  }
  g_clear_pointer(&registry->kept, g_array_unref);
  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++)
    g_hash_table_destroy(registry->classes[k]);
  g_free(registry->current_plugin);
  g_strfreev(registry->search_path);
  g_free(registry);
}

void
inf_registry_set_search_path(InfRegistry *registry, const char *const *dirs)
{
  g_return_if_fail(registry != NULL);
  g_strfreev(registry->search_path);
  registry->search_path = g_strdupv((char **)dirs);
}

char *
inf_registry_describe_search_path(InfRegistry *registry)
{
  if (registry == NULL || registry->search_path == NULL)
    return NULL;
  GString *hint = g_string_new("searched ");
  for (char **dir = registry->search_path; *dir != NULL; dir++)
    g_string_append_printf(hint, "%s%s%s", dir == registry->search_path ? "" : ", ", *dir,
                           g_file_test(*dir, G_FILE_TEST_IS_DIR) ? "" : " (not found)");
  if (registry->search_path[0] == NULL)
    g_string_append(hint, "no directory");
  g_string_append(hint, "; add the plugin's directory with --plugin-dir DIR or INF_PLUGIN_PATH");
  return g_string_free(hint, FALSE);
}

void
inf_registry_set_current_plugin(InfRegistry *registry, const char *file)
{
  g_return_if_fail(registry != NULL);
  g_free(registry->current_plugin);
  registry->current_plugin = g_strdup(file);
}

const char *
inf_registry_get_current_plugin(InfRegistry *registry)
{
  g_return_val_if_fail(registry != NULL, NULL);
  return registry->current_plugin != NULL ? registry->current_plugin : INF_REGISTRY_BUILTIN;
}

/* --- validation of a class before it is added --- */

static gboolean
name_is_valid(const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p; p++) {
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  }
  return TRUE;
}

/* Whether the JSON text @default_json fits an option of @type. */
static gboolean
default_fits(const InfOptionSpec *spec, json_object *json)
{
  json_type type = json_object_get_type(json);

  switch (spec->type) {
  case INF_OPTION_STRING:
    return type == json_type_string;
  case INF_OPTION_INT:
    return type == json_type_int;
  case INF_OPTION_DOUBLE:
    return type == json_type_int || type == json_type_double;
  case INF_OPTION_BOOL:
    return type == json_type_boolean;
  case INF_OPTION_ENUM:
    if (type != json_type_string || spec->choices == NULL)
      return FALSE;
    return g_strv_contains((const char *const *)spec->choices, json_object_get_string(json));
  case INF_OPTION_JSON:
    return TRUE;
  case INF_OPTION_ALIAS:
  case INF_OPTION_NODE:
    return type == json_type_string;
  case INF_OPTION_PARAMETER:
  case INF_OPTION_MODULE:
    return type == json_type_string || type == json_type_object;
  }
  return FALSE;
}

/* Checks the name of one entry of a class's option or input table (@noun:
 * "option", "input"): valid, and not declared before (kept in @seen). */
static gboolean
check_entry_name(const char *what, const char *noun, const char *name, GHashTable *seen,
                 GError **error)
{
  if (!name_is_valid(name)) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s: %s name '%s' is not valid (use letters, digits, '-', '_' and '.')", what, noun,
                name);
    return FALSE;
  }
  if (!g_hash_table_add(seen, (gpointer)name)) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN, "%s: %s '%s' is declared twice", what, noun,
                name);
    return FALSE;
  }
  return TRUE;
}

/* Checks that option @spec's default, if any, is JSON of its type. */
static gboolean
check_option_default(const char *what, const InfOptionSpec *spec, GError **error)
{
  if (spec->default_json == NULL)
    return TRUE;
  enum json_tokener_error jerr = json_tokener_success;
  json_object *json = json_tokener_parse_verbose(spec->default_json, &jerr);
  gboolean ok = jerr == json_tokener_success && json != NULL && default_fits(spec, json);

  json_object_put(json);
  if (!ok)
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s: the default of option '%s' (%s) is not a valid %s in JSON%s", what, spec->name,
                spec->default_json, inf_option_type_name(spec->type),
                spec->type == INF_OPTION_STRING || spec->type == INF_OPTION_ENUM
                    ? " (write strings quoted, e.g. \"\\\"text\\\"\")"
                    : "");
  return ok;
}

static gboolean
validate_options(const char *what, const InfOptionSpec *options, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

  for (const InfOptionSpec *spec = options; spec != NULL && spec->name != NULL; spec++) {
    if (!check_entry_name(what, "option", spec->name, seen, error))
      return FALSE;
    if ((guint)spec->type > INF_OPTION_NODE) {
      g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN, "%s: option '%s' has an unknown type (%d)",
                  what, spec->name, (int)spec->type);
      return FALSE;
    }
    if (spec->type == INF_OPTION_ENUM && (spec->choices == NULL || spec->choices[0] == NULL)) {
      g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                  "%s: enum option '%s' lists no choices; set .choices to a NULL-terminated "
                  "array of strings",
                  what, spec->name);
      return FALSE;
    }
    if (!check_option_default(what, spec, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
validate_inputs(const char *what, const InfInputSpec *inputs, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

  for (const InfInputSpec *spec = inputs; spec != NULL && spec->name != NULL; spec++)
    if (!check_entry_name(what, "input", spec->name, seen, error))
      return FALSE;
  return TRUE;
}

/* The first fields are common to every class struct. */
typedef struct {
  gsize struct_size;
  const char *name;
  const char *description;
  const InfOptionSpec *options;
} InfClassHead;

G_STATIC_ASSERT(G_STRUCT_OFFSET(InfModuleClass, options) == G_STRUCT_OFFSET(InfClassHead, options));
G_STATIC_ASSERT(G_STRUCT_OFFSET(InfClientClass, options) == G_STRUCT_OFFSET(InfClassHead, options));
G_STATIC_ASSERT(G_STRUCT_OFFSET(InfLossClass, options) == G_STRUCT_OFFSET(InfClassHead, options));
G_STATIC_ASSERT(G_STRUCT_OFFSET(InfOptimizerClass, options) ==
                G_STRUCT_OFFSET(InfClassHead, options));

/* Checks what every class struct has: a struct_size covering the base
 * fields and a valid name. */
static gboolean
validate_head(const char *file, InfClassKind kind, const InfClassHead *head, GError **error)
{
  const char *kind_name = kind_names[kind];

  if (head == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN, "%s: NULL %s class registered", file,
                kind_name);
    return FALSE;
  }
  if (!has_base_fields(kind, head)) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s: %s class has struct_size %" G_GSIZE_FORMAT
                ", smaller than the %" G_GSIZE_FORMAT
                " bytes every %s has; set .struct_size = sizeof(%s)",
                file, kind_name, head->struct_size, base_size[kind], struct_names[kind],
                struct_names[kind]);
    return FALSE;
  }
  if (head->name == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN, "%s: %s class has no name; set .name", file,
                kind_name);
    return FALSE;
  }
  if (!name_is_valid(head->name)) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s: %s class name '%s' is not valid (use letters, digits, '-', '_' and '.')", file,
                kind_name, head->name);
    return FALSE;
  }
  return TRUE;
}

/* A module class is atomic (execute) or composite (forward); its inputs
 * table is valid. */
static gboolean
validate_module_class(const char *what, const InfModuleClass *mc, GError **error)
{
  if (mc->execute == NULL && mc->forward == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s implements neither execute nor forward; an atomic class sets .execute, "
                "a composite .forward",
                what);
    return FALSE;
  }
  return validate_inputs(what, mc->inputs, error);
}

/* A client class is an HTTP client (build_request and parse_response) or
 * an in-process one (call). */
static gboolean
validate_client_class(const char *what, const InfClientClass *cc, GError **error)
{
  gboolean http = cc->build_request != NULL || cc->parse_response != NULL;

  if (http && (cc->build_request == NULL || cc->parse_response == NULL)) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s implements only one of build_request and parse_response; an HTTP client "
                "sets both",
                what);
    return FALSE;
  }
  if (!http && cc->call == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s implements neither call nor build_request/parse_response; an in-process "
                "client sets .call, an HTTP client .build_request and .parse_response",
                what);
    return FALSE;
  }
  return TRUE;
}

static gboolean
registry_add(InfRegistry *registry, InfClassKind kind, gconstpointer klass, GError **error)
{
  const InfClassHead *head = klass;
  const char *file = inf_registry_get_current_plugin(registry);
  const char *kind_name = kind_names[kind];
  g_autofree char *what = NULL;
  InfRegistryEntry *entry;

  if (!validate_head(file, kind, head, error))
    return FALSE;
  what = g_strdup_printf("%s class '%s' from %s", kind_name, head->name, file);
  if (kind == INF_CLASS_MODULE && !validate_module_class(what, klass, error))
    return FALSE;
  if (kind == INF_CLASS_CLIENT && !validate_client_class(what, klass, error))
    return FALSE;
  if (!validate_options(what, head->options, error))
    return FALSE;

  entry = g_hash_table_lookup(registry->classes[kind], head->name);
  if (entry != NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "class %s '%s' from %s is already registered by %s", kind_name, head->name, file,
                entry->file);
    return FALSE;
  }

  entry = g_new0(InfRegistryEntry, 1);
  entry->kind = kind;
  entry->klass = klass;
  entry->name = head->name;
  entry->file = g_strdup(file);
  entry->seq = registry->next_seq++;
  g_hash_table_insert(registry->classes[kind], (gpointer)entry->name, entry);
  return TRUE;
}

gboolean
inf_registry_add_module_class(InfRegistry *registry, const InfModuleClass *klass, GError **error)
{
  g_return_val_if_fail(registry != NULL, FALSE);
  return registry_add(registry, INF_CLASS_MODULE, klass, error);
}

gboolean
inf_registry_add_client_class(InfRegistry *registry, const InfClientClass *klass, GError **error)
{
  g_return_val_if_fail(registry != NULL, FALSE);
  return registry_add(registry, INF_CLASS_CLIENT, klass, error);
}

gboolean
inf_registry_add_loss_class(InfRegistry *registry, const InfLossClass *klass, GError **error)
{
  g_return_val_if_fail(registry != NULL, FALSE);
  return registry_add(registry, INF_CLASS_LOSS, klass, error);
}

gboolean
inf_registry_add_optimizer_class(InfRegistry *registry, const InfOptimizerClass *klass,
                                 GError **error)
{
  g_return_val_if_fail(registry != NULL, FALSE);
  return registry_add(registry, INF_CLASS_OPTIMIZER, klass, error);
}

static gconstpointer
registry_lookup(InfRegistry *registry, InfClassKind kind, const char *name)
{
  InfRegistryEntry *entry;

  if (registry == NULL || name == NULL)
    return NULL;
  entry = g_hash_table_lookup(registry->classes[kind], name);
  return entry != NULL ? entry->klass : NULL;
}

const InfModuleClass *
inf_registry_lookup_module_class(InfRegistry *registry, const char *name)
{
  return registry_lookup(registry, INF_CLASS_MODULE, name);
}

const InfClientClass *
inf_registry_lookup_client_class(InfRegistry *registry, const char *name)
{
  return registry_lookup(registry, INF_CLASS_CLIENT, name);
}

const InfLossClass *
inf_registry_lookup_loss_class(InfRegistry *registry, const char *name)
{
  return registry_lookup(registry, INF_CLASS_LOSS, name);
}

const InfOptimizerClass *
inf_registry_lookup_optimizer_class(InfRegistry *registry, const char *name)
{
  return registry_lookup(registry, INF_CLASS_OPTIMIZER, name);
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **
inf_registry_list(InfRegistry *registry, InfClassKind kind)
{
  GHashTableIter iter;
  gpointer key;
  GPtrArray *names;

  g_return_val_if_fail(registry != NULL, NULL);
  names = g_ptr_array_new();
  if (kind_is_valid(kind)) {
    g_hash_table_iter_init(&iter, registry->classes[kind]);
    while (g_hash_table_iter_next(&iter, &key, NULL))
      g_ptr_array_add(names, g_strdup(key));
    g_ptr_array_sort(names, compare_strings);
  }
  g_ptr_array_add(names, NULL);
  return (char **)g_ptr_array_free(names, FALSE);
}

char *
inf_registry_describe_known(InfRegistry *registry, InfClassKind kind)
{
  g_return_val_if_fail(kind_is_valid(kind), NULL);
  g_auto(GStrv) known = registry != NULL ? inf_registry_list(registry, kind) : NULL;
  g_autofree char *list =
      known != NULL && known[0] != NULL ? g_strjoinv(", ", known) : g_strdup("(none)");
  return g_strdup_printf("known %ss: %s", kind_nouns[kind], list);
}

gconstpointer
inf_registry_lookup_class(InfRegistry *registry, InfClassKind kind, const char *name,
                          GError **error)
{
  g_return_val_if_fail(kind_is_valid(kind), NULL);
  g_return_val_if_fail(name != NULL, NULL);
  gconstpointer klass = registry_lookup(registry, kind, name);
  if (klass != NULL)
    return klass;
  g_autofree char *known = inf_registry_describe_known(registry, kind);
  g_autofree char *searched = inf_registry_describe_search_path(registry);
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "unknown %s '%s'; %s%s%s", kind_nouns[kind], name,
              known, searched != NULL ? "; no plugin loaded provides it: " : "",
              searched != NULL ? searched : "");
  return NULL;
}

gboolean
inf_registry_get_class_info(InfRegistry *registry, InfClassKind kind, const char *name,
                            InfClassInfo *info)
{
  InfRegistryEntry *entry;
  const InfClassHead *head;

  g_return_val_if_fail(registry != NULL && info != NULL, FALSE);
  if (!kind_is_valid(kind) || name == NULL)
    return FALSE;
  entry = g_hash_table_lookup(registry->classes[kind], name);
  if (entry == NULL)
    return FALSE;
  head = entry->klass;
  info->kind = kind;
  info->name = head->name;
  info->description = head->description;
  info->options = head->options;
  info->inputs = kind == INF_CLASS_MODULE ? ((const InfModuleClass *)entry->klass)->inputs : NULL;
  info->file = entry->file;
  info->klass = entry->klass;
  return TRUE;
}

static int
compare_entries(gconstpointer a, gconstpointer b)
{
  const InfRegistryEntry *ea = *(InfRegistryEntry *const *)a;
  const InfRegistryEntry *eb = *(InfRegistryEntry *const *)b;

  return ea->seq < eb->seq ? -1 : ea->seq > eb->seq;
}

static GPtrArray *
entries_from(InfRegistry *registry, const char *file)
{
  GPtrArray *entries = g_ptr_array_new();

  if (file == NULL)
    file = INF_REGISTRY_BUILTIN;
  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, registry->classes[k]);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
      InfRegistryEntry *entry = value;

      if (strcmp(entry->file, file) == 0)
        g_ptr_array_add(entries, entry);
    }
  }
  g_ptr_array_sort(entries, compare_entries);
  return entries;
}

char **
inf_registry_list_classes_from(InfRegistry *registry, const char *file)
{
  g_autoptr(GPtrArray) entries = NULL;
  GPtrArray *names;

  g_return_val_if_fail(registry != NULL, NULL);
  entries = entries_from(registry, file);
  names = g_ptr_array_new();
  for (guint i = 0; i < entries->len; i++) {
    InfRegistryEntry *entry = entries->pdata[i];

    g_ptr_array_add(names, g_strdup_printf("%s:%s", kind_names[entry->kind], entry->name));
  }
  g_ptr_array_add(names, NULL);
  return (char **)g_ptr_array_free(names, FALSE);
}

guint
inf_registry_remove_classes_from(InfRegistry *registry, const char *file)
{
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail(registry != NULL, 0);
  entries = entries_from(registry, file);
  for (guint i = 0; i < entries->len; i++) {
    InfRegistryEntry *entry = entries->pdata[i];

    g_hash_table_remove(registry->classes[entry->kind], entry->name);
  }
  return entries->len;
}
