/* Loading a pipeline config (DESIGN §5): JSON with comments, the plugins,
 * resources, parameters, modules, main and training blocks. Every error
 * names the file, the JSON path and, where it helps, the valid choices. */
#include "config/config.h"
#include "model/value-private.h"

#include <errno.h>
#include <string.h>

#include "config/graph-module.h"
#include "config/jsonc.h"
#include "graph/tracer-private.h"
#include "model/module-private.h"
#include "model/options-private.h"
#include "plugin/registry-private.h"

static const char *const top_level_keys[] = {
  "main", "modules", "parameters", "plugins", "resources", "training", NULL,
};

/* A module the config created, with where it was defined. */
typedef struct {
  InfModule *module; /* a reference */
  char *path;        /* "modules.summarize", "modules.pipeline.nodes.x.module", "main" */
} Created;

struct _InfConfig {
  char *path; /* the file as given: named in messages */
  char *dir;  /* its directory: relative plugin paths start here */
  json_object *json;
  InfRegistry *registry;
  InfPluginLoader *own_loader; /* when the caller gave none */
  InfResourcesConfig *resources;
  GHashTable *parameters;    /* name → InfParameter * */
  json_object *modules_json; /* the modules block (borrowed from json) */
  GHashTable *modules;       /* name → InfModule *, built */
  GPtrArray *building;       /* names being built, outermost first (cycles) */
  GPtrArray *created;        /* Created * */
  InfOptionsResolver resolver;
  InfModule *main;
  InfGraph *graph;
};

static void config_error(GError **error, const InfConfig *config, const char *path,
                         const char *format, ...) G_GNUC_PRINTF(4, 5);

/* "FILE: PATH: message" (INF_ERROR_CONFIG). */
static void
config_error(GError **error, const InfConfig *config, const char *path, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  if (path && path[0])
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s: %s", config->path, path, message);
  else
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s", config->path, message);
}

/* "a, b, c" or @none. */
static char *
join_or(const char *const *names, const char *none)
{
  if (names == NULL || names[0] == NULL)
    return g_strdup(none);
  return g_strjoinv(", ", (char **)names);
}

static int
compare_str_ptr(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
join_keys(GHashTable *table, const char *none)
{
  guint n = 0;
  g_autofree const char **keys = (const char **)g_hash_table_get_keys_as_array(table, &n);
  qsort(keys, n, sizeof(char *), compare_str_ptr);
  return join_or(keys, none);
}

static char *
join_object_keys(json_object *object, const char *none)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  if (object && json_object_is_type(object, json_type_object)) {
    json_object_object_foreach(object, key, value)
    {
      (void)value;
      g_ptr_array_add(names, key);
    }
  }
  g_ptr_array_sort(names, compare_str_ptr);
  g_ptr_array_add(names, NULL);
  return join_or((const char *const *)names->pdata, none);
}

/* --- modules --- */

static void
created_free(gpointer p)
{
  Created *c = p;
  inf_module_unref(c->module);
  g_free(c->path);
  g_free(c);
}

static InfModule *build_named_module(InfConfig *config, const char *name, const char *ref_path,
                                     GError **error);

/* The instance name for an inline module at @path: its node's name for a
 * graph node ("...nodes.x.module"), else the last path segment. */
static char *
inline_name(const char *path)
{
  g_autofree char *copy = g_strdup(path);
  if (g_str_has_suffix(copy, ".module"))
    copy[strlen(copy) - strlen(".module")] = '\0';
  /* A switch case ("...cases[2]"): "case2", as its node is named. */
  const char *cases = g_strrstr(copy, ".cases[");
  if (cases && g_str_has_suffix(copy, "]") && strchr(cases + 7, '.') == NULL)
    return g_strdup_printf("case%.*s", (int)(strlen(cases + 7) - 1), cases + 7);
  char *bracket = strrchr(copy, '[');
  if (bracket && bracket == copy + strlen(copy) - strlen(bracket) && g_str_has_suffix(copy, "]"))
    *bracket = '\0';
  const char *dot = strrchr(copy, '.');
  return g_strdup(dot ? dot + 1 : copy);
}

/* Creates a module from its spec object {"type": ..., options...}. */
static InfModule *
create_module(InfConfig *config, json_object *spec, const char *path, const char *name,
              gboolean is_inline, GError **error)
{
  if (!json_object_is_type(spec, json_type_object)) {
    config_error(error, config, path,
                 "expected a module object {\"type\": ..., options...}, got %s",
                 inf_json_kind_phrase(spec));
    return NULL;
  }
  json_object *type;
  g_autofree char *type_path = g_strconcat(path, ".type", NULL);
  if (!json_object_object_get_ex(spec, "type", &type)) {
    g_autofree char *known = inf_registry_describe_known(config->registry, INF_CLASS_MODULE);
    config_error(error, config, path, "a module needs a \"type\"; %s", known);
    return NULL;
  }
  if (!json_object_is_type(type, json_type_string)) {
    config_error(error, config, type_path, "expected a module type name (a string), got %s",
                 inf_json_kind_phrase(type));
    return NULL;
  }
  const char *type_name = json_object_get_string(type);
  g_autoptr(GError) unknown = NULL;
  const InfModuleClass *klass =
      inf_registry_lookup_class(config->registry, INF_CLASS_MODULE, type_name, &unknown);
  if (klass == NULL) {
    config_error(error, config, type_path, "%s", unknown->message);
    return NULL;
  }
  static const char *const named_skip[] = { "type", NULL };
  static const char *const inline_skip[] = { "type", "name", NULL };
  g_autofree char *own_name = NULL;
  if (is_inline) {
    json_object *jname;
    if (json_object_object_get_ex(spec, "name", &jname)) {
      if (!json_object_is_type(jname, json_type_string) || json_object_get_string_len(jname) == 0 ||
          strchr(json_object_get_string(jname), '.')) {
        g_autofree char *name_path = g_strconcat(path, ".name", NULL);
        config_error(error, config, name_path,
                     "expected a module name (a non-empty string without '.'), got %s",
                     inf_json_kind_phrase(jname));
        return NULL;
      }
      own_name = g_strdup(json_object_get_string(jname));
    } else
      own_name = inline_name(path);
    name = own_name;
  }
  InfModule *module =
      inf_module_new_full(config->registry, klass, name, spec, is_inline ? inline_skip : named_skip,
                          config->path, path, &config->resolver, error);
  if (module == NULL)
    return NULL;
  Created *c = g_new0(Created, 1);
  c->module = inf_module_ref(module);
  c->path = g_strdup(path);
  g_ptr_array_add(config->created, c);
  return module;
}

static InfModule *
resolve_module(gpointer data, json_object *spec, const char *json_path, GError **error)
{
  InfConfig *config = data;
  if (json_object_is_type(spec, json_type_string))
    return build_named_module(config, json_object_get_string(spec), json_path, error);
  if (json_object_is_type(spec, json_type_object))
    return create_module(config, spec, json_path, NULL, TRUE, error);
  g_autofree char *names = join_object_keys(config->modules_json, "(none)");
  config_error(error, config, json_path,
               "expected a module: the name of an entry of the modules block (%s) or an inline "
               "module object {\"type\": ...}; got %s",
               names, inf_json_kind_phrase(spec));
  return NULL;
}

static InfParameter *
resolve_parameter(gpointer data, const char *name, const char *json_path, GError **error)
{
  InfConfig *config = data;
  InfParameter *param = g_hash_table_lookup(config->parameters, name);
  if (param == NULL) {
    g_autofree char *known = join_keys(config->parameters, "(none: add a parameters block)");
    config_error(error, config, json_path, "unknown parameter '%s'; parameters: %s", name, known);
    return NULL;
  }
  return inf_parameter_ref(param);
}

/* Builds (once) the module named @name in the modules block. @ref_path is
 * where it is referred to from, for messages. Returns a new reference. */
static InfModule *
build_named_module(InfConfig *config, const char *name, const char *ref_path, GError **error)
{
  InfModule *module = g_hash_table_lookup(config->modules, name);
  if (module)
    return inf_module_ref(module);

  json_object *spec = NULL;
  if (config->modules_json == NULL ||
      !json_object_object_get_ex(config->modules_json, name, &spec)) {
    g_autofree char *names = join_object_keys(config->modules_json, "(none: add a modules block)");
    config_error(error, config, ref_path, "unknown module '%s'; modules: %s", name, names);
    return NULL;
  }
  for (guint i = 0; i < config->building->len; i++)
    if (strcmp(g_ptr_array_index(config->building, i), name) == 0) {
      GString *s = g_string_new(NULL);
      for (guint k = i; k < config->building->len; k++)
        g_string_append_printf(s, "%s -> ", (const char *)g_ptr_array_index(config->building, k));
      g_string_append(s, name);
      config_error(error, config, ref_path, "module '%s' contains itself: cycle %s", name, s->str);
      g_string_free(s, TRUE);
      return NULL;
    }

  if (config->building->len >= INF_MAX_NESTING_DEPTH) {
    config_error(error, config, ref_path,
                 "modules nest more than %d levels deep (%s -> %s -> ... -> %s)",
                 INF_MAX_NESTING_DEPTH, (const char *)g_ptr_array_index(config->building, 0),
                 (const char *)g_ptr_array_index(config->building, 1), name);
    return NULL;
  }
  g_autofree char *path = g_strconcat("modules.", name, NULL);
  g_ptr_array_add(config->building, (gpointer)name);
  module = create_module(config, spec, path, name, FALSE, error);
  g_ptr_array_set_size(config->building, config->building->len - 1);
  if (module == NULL)
    return NULL;
  g_hash_table_insert(config->modules, g_strdup(name), inf_module_ref(module));
  return module;
}

/* --- blocks --- */

static gboolean
check_string_list(InfConfig *config, json_object *json, const char *path, GError **error)
{
  if (!json_object_is_type(json, json_type_array)) {
    config_error(error, config, path, "expected a list of strings, got %s",
                 inf_json_kind_phrase(json));
    return FALSE;
  }
  for (gsize i = 0; i < json_object_array_length(json); i++) {
    json_object *item = json_object_array_get_idx(json, i);
    if (!json_object_is_type(item, json_type_string)) {
      g_autofree char *item_path = g_strdup_printf("%s[%zu]", path, i);
      config_error(error, config, item_path, "expected a string, got %s",
                   inf_json_kind_phrase(item));
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
load_plugins(InfConfig *config, json_object *block, InfPluginLoader *loader, GError **error)
{
  if (block == NULL)
    return TRUE;
  if (!json_object_is_type(block, json_type_object)) {
    config_error(error, config, "plugins",
                 "expected an object {\"paths\": [...], \"allow\": [...]}, got %s",
                 inf_json_kind_phrase(block));
    return FALSE;
  }
  json_object *paths = NULL, *allow = NULL;
  json_object_object_foreach(block, key, value)
  {
    g_autofree char *path = g_strconcat("plugins.", key, NULL);
    if (strcmp(key, "paths") == 0)
      paths = value;
    else if (strcmp(key, "allow") == 0)
      allow = value;
    else {
      config_error(error, config, path, "unknown key; valid keys: allow, paths");
      return FALSE;
    }
    if (!check_string_list(config, value, path, error))
      return FALSE;
  }
  if (paths == NULL)
    return TRUE;

  g_autofree const char **names = NULL;
  if (allow) {
    gsize n = json_object_array_length(allow);
    names = g_new0(const char *, n + 1);
    for (gsize i = 0; i < n; i++)
      names[i] = json_object_get_string(json_object_array_get_idx(allow, i));
    inf_plugin_loader_set_allow_list(loader, names);
  }
  gboolean ok = TRUE;
  for (gsize i = 0; ok && i < json_object_array_length(paths); i++) {
    const char *given = json_object_get_string(json_object_array_get_idx(paths, i));
    g_autofree char *item_path = g_strdup_printf("plugins.paths[%zu]", i);
    g_autofree char *full =
        g_path_is_absolute(given) ? g_strdup(given) : g_build_filename(config->dir, given, NULL);
    g_autoptr(GError) local = NULL;
    if (g_file_test(full, G_FILE_TEST_IS_DIR))
      ok = inf_plugin_loader_load_dir(loader, full, &local);
    else if (g_file_test(full, G_FILE_TEST_EXISTS))
      ok = inf_plugin_loader_load_file(loader, full, &local);
    else {
      config_error(error, config, item_path,
                   "no such plugin file or directory '%s' (relative paths start at the "
                   "config file's directory)",
                   given);
      ok = FALSE;
      break;
    }
    if (!ok)
      config_error(error, config, item_path, "%s", local->message);
  }
  if (allow)
    inf_plugin_loader_set_allow_list(loader, NULL);
  return ok;
}

static gboolean
load_parameters(InfConfig *config, json_object *block, GError **error)
{
  if (block == NULL)
    return TRUE;
  if (!json_object_is_type(block, json_type_object)) {
    config_error(error, config, "parameters",
                 "expected an object mapping names to parameters, got %s",
                 inf_json_kind_phrase(block));
    return FALSE;
  }
  json_object_object_foreach(block, name, spec)
  {
    g_autofree char *path = g_strconcat("parameters.", name, NULL);
    if (name[0] == '\0') {
      config_error(error, config, "parameters", "a parameter needs a non-empty name");
      return FALSE;
    }
    const char *value = NULL, *description = NULL;
    gboolean requires_grad = FALSE;
    if (json_object_is_type(spec, json_type_string))
      value = json_object_get_string(spec);
    else if (json_object_is_type(spec, json_type_object)) {
      json_object_object_foreach(spec, key, member)
      {
        g_autofree char *key_path = g_strconcat(path, ".", key, NULL);
        if (strcmp(key, "value") == 0 || strcmp(key, "description") == 0) {
          if (!json_object_is_type(member, json_type_string)) {
            config_error(error, config, key_path, "expected a string, got %s",
                         inf_json_kind_phrase(member));
            return FALSE;
          }
          if (key[0] == 'v')
            value = json_object_get_string(member);
          else
            description = json_object_get_string(member);
        } else if (strcmp(key, "requires_grad") == 0) {
          if (!json_object_is_type(member, json_type_boolean)) {
            config_error(error, config, key_path, "expected true or false, got %s",
                         inf_json_kind_phrase(member));
            return FALSE;
          }
          requires_grad = json_object_get_boolean(member);
        } else {
          config_error(error, config, key_path,
                       "unknown key; valid keys: description, requires_grad, value");
          return FALSE;
        }
      }
      if (value == NULL) {
        config_error(error, config, path, "missing \"value\" (the parameter's text)");
        return FALSE;
      }
    } else {
      config_error(error, config, path,
                   "expected a string or an object {\"value\", \"description\", "
                   "\"requires_grad\"}, got %s",
                   inf_json_kind_phrase(spec));
      return FALSE;
    }
    g_autoptr(GError) local = NULL;
    InfParameter *param = inf_parameter_new(value, description, requires_grad, &local);
    if (param == NULL) {
      config_error(error, config, path, "%s", local->message);
      return FALSE;
    }
    g_hash_table_insert(config->parameters, g_strdup(name), param);
  }
  return TRUE;
}

static gboolean
load_resources(InfConfig *config, json_object *block, const char *resources_path, GError **error)
{
  if (resources_path) {
    json_object *json = NULL;
    if (!inf_jsonc_parse_file(resources_path, &json, error))
      return FALSE;
    if (!json_object_is_type(json, json_type_object)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "%s: expected a JSON object with \"endpoints\" at the top level, got %s",
                  resources_path, inf_json_kind_phrase(json));
      json_object_put(json);
      return FALSE;
    }
    config->resources =
        inf_resources_config_parse(json, resources_path, "resources", config->registry, error);
    json_object_put(json);
  } else
    config->resources =
        inf_resources_config_parse(block, config->path, "resources", config->registry, error);
  return config->resources != NULL;
}

static gboolean
load_modules(InfConfig *config, json_object *block, GError **error)
{
  if (block == NULL)
    return TRUE;
  if (!json_object_is_type(block, json_type_object)) {
    config_error(error, config, "modules",
                 "expected an object mapping names to modules {\"type\": ..., options...}, "
                 "got %s",
                 inf_json_kind_phrase(block));
    return FALSE;
  }
  config->modules_json = block;
  json_object_object_foreach(block, name, spec)
  {
    (void)spec;
    if (name[0] == '\0' || strchr(name, '.')) {
      g_autofree char *path = g_strconcat("modules.", name, NULL);
      config_error(error, config, path,
                   "invalid module name '%s': names are not empty and contain no '.'", name);
      return FALSE;
    }
  }
  json_object_object_foreach(block, name2, spec2)
  {
    (void)spec2;
    g_autofree char *path = g_strconcat("modules.", name2, NULL);
    InfModule *module = build_named_module(config, name2, path, error);
    if (module == NULL)
      return FALSE;
    inf_module_unref(module);
  }
  return TRUE;
}

static gboolean
load_main(InfConfig *config, json_object *main_json, GError **error)
{
  if (main_json == NULL) {
    g_autofree char *names = join_object_keys(config->modules_json, "(none)");
    config_error(error, config, NULL,
                 "missing \"main\": name the module to run (modules: %s) or give an inline "
                 "module object",
                 names);
    return FALSE;
  }
  if (json_object_is_type(main_json, json_type_string))
    config->main = build_named_module(config, json_object_get_string(main_json), "main", error);
  else if (json_object_is_type(main_json, json_type_object))
    config->main = create_module(config, main_json, "main", "main", TRUE, error);
  else {
    g_autofree char *names = join_object_keys(config->modules_json, "(none)");
    config_error(error, config, "main",
                 "expected the name of a module (modules: %s) or an inline module object, got "
                 "%s",
                 names, inf_json_kind_phrase(main_json));
    return FALSE;
  }
  return config->main != NULL;
}

/* "unknown alias 'x'; known aliases[ (from FILE)]: a, b" at @path. */
static void
unknown_alias_error(InfConfig *config, const char *path, const char *alias, GError **error)
{
  g_auto(GStrv) known = inf_resources_config_list_aliases(config->resources);
  g_autofree char *list =
      join_or((const char *const *)known, "(none: add a resources block or pass --resources FILE)");
  const char *file =
      config->resources && config->resources->file ? config->resources->file : config->path;
  if (strcmp(file, config->path) == 0)
    config_error(error, config, path, "unknown alias '%s'; known aliases: %s", alias, list);
  else
    config_error(error, config, path, "unknown alias '%s'; known aliases (from %s): %s", alias,
                 file, list);
}

/* The resolver's check of ALIAS options (resources load before modules). */
static gboolean
check_alias_option(gpointer data, const char *alias, const char *json_path, GError **error)
{
  InfConfig *config = data;
  if (inf_resources_config_lookup(config->resources, alias))
    return TRUE;
  unknown_alias_error(config, json_path, alias, error);
  return FALSE;
}

/* The resolver's check of NODE options: against the main graph once it is
 * traced (classes created after it, such as losses); before that, modules
 * used as graph nodes are checked by their graph. */
static gboolean
check_node_option(gpointer data, const char *ref, const char *json_path, GError **error)
{
  InfConfig *config = data;
  InfGraph *graph = config->graph;
  if (graph == NULL)
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(ref + 1, ".", 2);
  const char *name = parts[0] ? parts[0] : "";
  for (guint i = 0; i < graph->n_inputs; i++)
    if (strcmp(inf_graph_input_name(graph, i), name) == 0)
      return TRUE;
  if (inf_graph_lookup(graph, name) >= 0)
    return TRUE;
  for (guint i = 0; i < graph->n_outputs; i++)
    if (graph->outputs[i].key && strcmp(graph->outputs[i].key, name) == 0)
      return TRUE;
  GString *visible = g_string_new("inputs: ");
  for (guint i = 0; i < graph->n_inputs; i++)
    g_string_append_printf(visible, "%s%s", i ? ", " : "", inf_graph_input_name(graph, i));
  g_string_append(visible, "; nodes: ");
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++)
    g_string_append_printf(visible, "%s%s", i > graph->n_inputs ? ", " : "", graph->nodes[i].id);
  if (graph->output_shape == INF_GRAPH_OUTPUT_DICT) {
    g_string_append(visible, "; outputs: ");
    for (guint i = 0; i < graph->n_outputs; i++)
      g_string_append_printf(visible, "%s%s", i ? ", " : "", graph->outputs[i].key);
  }
  config_error(error, config, json_path, "unknown reference '%s'; visible in main: %s", ref,
               visible->str);
  g_string_free(visible, TRUE);
  return FALSE;
}

/* Every LLM module's alias must be defined in the resources. Each module the
 * config created is checked with the descendants its class created itself
 * (a walk that stops at the config's own modules, which are checked under
 * their own path), so the check is linear in the number of modules. */
static gboolean
check_aliases(InfConfig *config, GError **error)
{
  g_autoptr(GHashTable) from_config = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint i = 0; i < config->created->len; i++)
    g_hash_table_add(from_config, ((Created *)g_ptr_array_index(config->created, i))->module);

  for (guint i = 0; i < config->created->len; i++) {
    Created *c = g_ptr_array_index(config->created, i);
    /* (module, dotted name below c) pairs still to visit */
    g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func(inf_named_module_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    InfNamedModule *start = g_new0(InfNamedModule, 1);
    start->module = c->module;
    start->name = NULL;
    g_ptr_array_add(stack, start);
    while (stack->len > 0) {
      g_autofree InfNamedModule *nm = g_ptr_array_steal_index(stack, stack->len - 1);
      g_autofree char *name = nm->name;
      if (!g_hash_table_add(seen, nm->module))
        continue;
      if (nm->module != c->module && g_hash_table_contains(from_config, nm->module))
        continue; /* checked under its own path */
      g_autoptr(GPtrArray) children = inf_module_named_children(nm->module);
      for (guint k = children->len; k > 0; k--) {
        InfNamedModule *child = g_ptr_array_index(children, k - 1);
        InfNamedModule *next = g_new0(InfNamedModule, 1);
        next->module = child->module;
        next->name = name ? g_strconcat(name, ".", child->name, NULL) : g_strdup(child->name);
        g_ptr_array_add(stack, next);
      }
      if (inf_module_is_composite(nm->module))
        continue;
      const char *alias = inf_module_get_resource_alias(nm->module);
      if (alias == NULL || inf_resources_config_lookup(config->resources, alias))
        continue;
      const InfOptionSpec *spec = inf_options_get_spec(inf_module_get_options(nm->module));
      gboolean has_alias_option = FALSE;
      for (guint s = 0; spec && spec[s].name; s++)
        if (strcmp(spec[s].name, "alias") == 0)
          has_alias_option = TRUE;
      g_autofree char *path = NULL;
      if (nm->module == c->module)
        path = has_alias_option ? g_strconcat(c->path, ".alias", NULL) : g_strdup(c->path);
      else
        path = g_strdup_printf("%s (child '%s')", c->path, name);
      unknown_alias_error(config, path, alias, error);
      return FALSE;
    }
  }
  return TRUE;
}

/* The plugin that registered class "kind:name", or NULL for built-ins. */
static const InfPluginRecord *
class_plugin(InfPluginLoader *loader, const char *kind_name)
{
  GPtrArray *loaded = inf_plugin_loader_get_loaded(loader);
  for (guint i = 0; i < loaded->len; i++) {
    const InfPluginRecord *record = g_ptr_array_index(loaded, i);
    for (guint k = 0; record->classes && k < record->classes->len; k++)
      if (strcmp(g_ptr_array_index(record->classes, k), kind_name) == 0)
        return record;
  }
  return NULL;
}

/* With plugins.allow, the classes the config uses must come from the listed
 * plugins (or be built in). */
static gboolean
check_allowed(InfConfig *config, json_object *plugins, InfPluginLoader *loader, GError **error)
{
  json_object *allow;
  if (plugins == NULL || !json_object_object_get_ex(plugins, "allow", &allow))
    return TRUE;
  g_autofree const char **names = g_new0(const char *, json_object_array_length(allow) + 1);
  for (gsize i = 0; i < json_object_array_length(allow); i++)
    names[i] = json_object_get_string(json_object_array_get_idx(allow, i));
  g_autofree char *allowed = join_or(names, "(none)");

  for (guint i = 0; i < config->created->len; i++) {
    Created *c = g_ptr_array_index(config->created, i);
    g_autofree char *kind_name = g_strconcat("module:", inf_module_get_type_name(c->module), NULL);
    const InfPluginRecord *record = class_plugin(loader, kind_name);
    if (record && !g_strv_contains(names, record->name)) {
      g_autofree char *path = g_strconcat(c->path, ".type", NULL);
      config_error(error, config, path,
                   "module type '%s' comes from plugin '%s' (%s), which plugins.allow does "
                   "not list; allowed plugins: %s",
                   inf_module_get_type_name(c->module), record->name, record->file, allowed);
      return FALSE;
    }
  }
  for (guint a = 0; a < config->resources->aliases->len; a++) {
    InfAliasConfig *alias = g_ptr_array_index(config->resources->aliases, a);
    for (guint e = 0; e < alias->endpoints->len; e++) {
      InfEndpointConfig *ep = g_ptr_array_index(alias->endpoints, e);
      if (ep->provider == NULL)
        continue;
      g_autofree char *kind_name = g_strconcat("client:", ep->provider, NULL);
      const InfPluginRecord *record = class_plugin(loader, kind_name);
      if (record && !g_strv_contains(names, record->name)) {
        g_autofree char *path = g_strconcat(ep->json_path, ".provider", NULL);
        config_error(error, config, path,
                     "provider '%s' comes from plugin '%s' (%s), which plugins.allow does "
                     "not list; allowed plugins: %s",
                     ep->provider, record->name, record->file, allowed);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* The names main is traced with: a graph's inputs, else the class's
 * declared inputs, else one input named "input". */
static char **
main_input_names(InfModule *main)
{
  if (inf_module_is_graph(main))
    return g_strdupv((char **)inf_graph_module_get_inputs(main));
  const InfModuleClass *klass = inf_module_get_class(main);
  const InfInputSpec *inputs = INF_CLASS_GET(klass, InfModuleClass, inputs);
  if (inputs && inputs[0].name) {
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; inputs[i].name; i++)
      g_ptr_array_add(names, g_strdup(inputs[i].name));
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
  }
  char **names = g_new0(char *, 2);
  names[0] = g_strdup("input");
  return names;
}

InfConfig *
inf_config_load(const char *path, const char *resources_path, InfRegistry *registry,
                InfPluginLoader *loader, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(registry != NULL, NULL);

  g_autoptr(InfConfig) config = g_new0(InfConfig, 1);
  config->path = g_strdup(path);
  config->dir = g_path_get_dirname(path);
  config->registry = registry;
  config->parameters =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)inf_parameter_unref);
  config->modules =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)inf_module_unref);
  config->building = g_ptr_array_new();
  config->created = g_ptr_array_new_with_free_func(created_free);
  config->resolver.resolve_parameter = resolve_parameter;
  config->resolver.resolve_module = resolve_module;
  config->resolver.check_alias = check_alias_option;
  config->resolver.check_node = check_node_option;
  config->resolver.data = config;

  if (!inf_jsonc_parse_file(path, &config->json, error))
    return NULL;
  if (!json_object_is_type(config->json, json_type_object)) {
    config_error(error, config, NULL,
                 "expected a JSON object at the top level (with \"main\", \"modules\", ...), "
                 "got %s",
                 inf_json_kind_phrase(config->json));
    return NULL;
  }
  json_object_object_foreach(config->json, key, value)
  {
    (void)value;
    if (!g_strv_contains(top_level_keys, key)) {
      g_autofree char *valid = g_strjoinv(", ", (char **)top_level_keys);
      config_error(error, config, key, "unknown top-level key; valid keys: %s", valid);
      return NULL;
    }
  }
  json_object *plugins = json_object_object_get(config->json, "plugins");
  json_object *resources = json_object_object_get(config->json, "resources");
  json_object *parameters = json_object_object_get(config->json, "parameters");
  json_object *modules = json_object_object_get(config->json, "modules");
  json_object *main_json = json_object_object_get(config->json, "main");

  if (loader == NULL)
    loader = config->own_loader = inf_plugin_loader_new(registry);
  if (!load_plugins(config, plugins, loader, error))
    return NULL;
  if (!load_resources(config, resources, resources_path, error))
    return NULL;
  if (!load_parameters(config, parameters, error))
    return NULL;
  if (!load_modules(config, modules, error))
    return NULL;
  if (!load_main(config, main_json, error))
    return NULL;
  if (!check_aliases(config, error))
    return NULL;
  if (!check_allowed(config, plugins, loader, error))
    return NULL;

  g_auto(GStrv) inputs = main_input_names(config->main);
  g_autoptr(GError) local = NULL;
  config->graph = inf_tracer_trace(config->main, (const char *const *)inputs, &local);
  if (config->graph == NULL) {
    config_error(error, config, "main", "tracing '%s' failed: %s",
                 inf_module_get_name(config->main) ? inf_module_get_name(config->main)
                                                   : inf_module_get_type_name(config->main),
                 local->message);
    return NULL;
  }
  return g_steal_pointer(&config);
}

void
inf_config_free(InfConfig *config)
{
  if (config == NULL)
    return;
  if (config->graph)
    inf_graph_unref(config->graph);
  if (config->main)
    inf_module_unref(config->main);
  if (config->created)
    g_ptr_array_unref(config->created);
  if (config->modules)
    g_hash_table_unref(config->modules);
  if (config->parameters)
    g_hash_table_unref(config->parameters);
  if (config->building)
    g_ptr_array_unref(config->building);
  if (config->resources)
    inf_resources_config_free(config->resources);
  if (config->own_loader)
    inf_plugin_loader_free(config->own_loader);
  if (config->json)
    json_object_put(config->json);
  g_free(config->dir);
  g_free(config->path);
  g_free(config);
}

InfModule *
inf_config_get_main(const InfConfig *config)
{
  return config->main;
}

InfGraph *
inf_config_get_graph(const InfConfig *config)
{
  return config->graph;
}

const InfResourcesConfig *
inf_config_get_resources(const InfConfig *config)
{
  return config->resources;
}

json_object *
inf_config_get_json(const InfConfig *config)
{
  return config->json;
}

const char *
inf_config_get_path(const InfConfig *config)
{
  return config->path;
}

json_object *
inf_config_get_training(const InfConfig *config)
{
  return json_object_object_get(config->json, "training");
}

const InfOptionsResolver *
inf_config_get_resolver(const InfConfig *config)
{
  return &config->resolver;
}

InfModule *
inf_config_lookup_module(const InfConfig *config, const char *name)
{
  return g_hash_table_lookup(config->modules, name);
}

InfParameter *
inf_config_lookup_parameter(const InfConfig *config, const char *name)
{
  return g_hash_table_lookup(config->parameters, name);
}
