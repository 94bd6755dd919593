/* The built-in `graph` class: a composite whose body is a config's node
 * list (DESIGN §5). */
#include "config/graph-module.h"
#include "model/value-private.h"

#include <string.h>

#include "graph/graph.h"
#include "graph/tracer-private.h"
#include "model/module-private.h"
#include "model/options-private.h"
#include "plugin/registry-private.h"

typedef enum {
  SOURCE_LITERAL,
  SOURCE_INPUT,
  SOURCE_NODE,
} SourceKind;

/* Where an argument or an output comes from. */
typedef struct {
  char *name; /* argument name (dict args) or output key, or NULL */
  SourceKind kind;
  guint index;       /* input or node index */
  char **path;       /* field path, NULL-terminated, or NULL */
  InfValue *literal; /* SOURCE_LITERAL */
} Source;

typedef struct _Switch Switch;

typedef struct {
  char *name;
  InfModule *module; /* a reference; NULL for a switch */
  Source *args;
  guint n_args;
  const char **arg_names; /* n_args names (borrowed from args), or NULL when positional */
  gboolean has_priority;
  gint priority;
  Switch *sw; /* a switch node, else NULL */
} Node;

/* One case of a switch node: a match and a call (its module, args and the
 * name its nodes are traced under in `call`). */
typedef struct {
  InfMatchKind match;
  char *pattern;
  char **one_of;
  Node call;
} Case;

struct _Switch {
  Source selector;
  guint normalize;
  Case *cases; /* the default, if any, last */
  guint n_cases;
  gboolean has_default;
};

typedef struct {
  char **inputs;
  guint n_inputs;
  Node *nodes;
  guint n_nodes;
  guint *order; /* dependency order of nodes */
  InfGraphOutputShape shape;
  Source *outputs;
  guint n_outputs;
} GraphPrivate;

static const char *const node_keys[] = { "args", "module", "priority", NULL };
static const char *const switch_keys[] = { "switch", "normalize", "cases", "default", NULL };
static const char *const case_keys[] = { "match", "module", "args", NULL };

static void
source_clear(Source *source)
{
  g_free(source->name);
  g_strfreev(source->path);
  if (source->literal)
    inf_value_unref(source->literal);
}

static void switch_free(Switch *sw);

static void
node_clear(Node *node)
{
  g_free(node->name);
  if (node->module)
    inf_module_unref(node->module);
  for (guint a = 0; a < node->n_args; a++)
    source_clear(&node->args[a]);
  g_free(node->args);
  g_free(node->arg_names);
  if (node->sw)
    switch_free(node->sw);
}

static void
switch_free(Switch *sw)
{
  source_clear(&sw->selector);
  for (guint c = 0; c < sw->n_cases; c++) {
    g_free(sw->cases[c].pattern);
    g_strfreev(sw->cases[c].one_of);
    node_clear(&sw->cases[c].call);
  }
  g_free(sw->cases);
  g_free(sw);
}

static void
graph_private_free(gpointer data)
{
  GraphPrivate *priv = data;
  if (priv == NULL)
    return;
  g_strfreev(priv->inputs);
  for (guint i = 0; i < priv->n_nodes; i++)
    node_clear(&priv->nodes[i]);
  g_free(priv->nodes);
  g_free(priv->order);
  for (guint i = 0; i < priv->n_outputs; i++)
    source_clear(&priv->outputs[i]);
  g_free(priv->outputs);
  g_free(priv);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GraphPrivate, graph_private_free)

/* What init needs while parsing. */
typedef struct {
  InfModule *self;
  const InfOptions *options;
  const char *base; /* "modules.pipeline." or "" */
  GraphPrivate *priv;
  GHashTable *input_index; /* name → index + 1 */
  GHashTable *node_index;  /* name → index + 1 */
  GPtrArray *node_names;   /* config order, borrowed */
} Parse;

static void parse_error(GError **error, const char *path, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* "PATH: message" (the module layer adds the file). */
static void
parse_error(GError **error, const char *path, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s", path, message);
}

/* The inputs and nodes a reference at @self_node may name, for messages. */
static char *
visible_names(const Parse *p, gint self_node)
{
  GString *s = g_string_new("inputs: ");
  if (p->priv->n_inputs == 0)
    g_string_append(s, "(none)");
  for (guint i = 0; i < p->priv->n_inputs; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", p->priv->inputs[i]);
  g_string_append(s, "; nodes: ");
  guint shown = 0;
  for (guint i = 0; i < p->node_names->len; i++)
    if ((gint)i != self_node)
      g_string_append_printf(s, "%s%s", shown++ ? ", " : "",
                             (const char *)g_ptr_array_index(p->node_names, i));
  if (shown == 0)
    g_string_append(s, "(none)");
  return g_string_free(s, FALSE);
}

static gboolean
valid_name(const char *name)
{
  return name[0] != '\0' && name[0] != '$' && strchr(name, '.') == NULL &&
         strchr(name, ':') == NULL;
}

/* Checks the name of an input or a node (@what) at @path. */
static gboolean
check_name(const char *what, const char *name, const char *path, GError **error)
{
  if (valid_name(name))
    return TRUE;
  parse_error(error, path,
              "invalid %s name '%s': names are not empty and contain no '.', ':' or leading '$'",
              what, name);
  return FALSE;
}

/* An argument or output: "$name", "$name.field.sub", "$$literal" or any
 * other JSON as a literal. */
static gboolean
parse_source(const Parse *p, json_object *json, const char *path, gint self_node, Source *out,
             GError **error)
{
  out->kind = SOURCE_LITERAL;
  if (json_object_is_type(json, json_type_string)) {
    const char *text = json_object_get_string(json);
    if (text[0] == '$' && text[1] == '$') {
      out->literal = inf_value_new_text(text + 1);
      return TRUE;
    }
    if (text[0] == '$') {
      g_auto(GStrv) parts = g_strsplit(text + 1, ".", -1);
      for (guint i = 0; parts[i]; i++)
        if (parts[i][0] == '\0') {
          parse_error(error, path,
                      "invalid reference '%s': expected $NAME or $NAME.field (write $$ "
                      "for a literal '$')",
                      text);
          return FALSE;
        }
      if (parts[0] == NULL) {
        parse_error(error, path, "invalid reference '$': expected $NAME or $NAME.field");
        return FALSE;
      }
      gpointer hit;
      if ((hit = g_hash_table_lookup(p->input_index, parts[0]))) {
        out->kind = SOURCE_INPUT;
        out->index = GPOINTER_TO_UINT(hit) - 1;
      } else if ((hit = g_hash_table_lookup(p->node_index, parts[0]))) {
        out->kind = SOURCE_NODE;
        out->index = GPOINTER_TO_UINT(hit) - 1;
      } else {
        g_autofree char *visible = visible_names(p, self_node);
        parse_error(error, path, "unknown reference '%s'; visible here: %s", text, visible);
        return FALSE;
      }
      if (parts[1])
        out->path = g_strdupv(parts + 1);
      return TRUE;
    }
  }
  out->literal = inf_value_from_json(json);
  return TRUE;
}

static char **
parse_inputs(json_object *json, const char *path, GError **error)
{
  if (json == NULL)
    return g_new0(char *, 1);
  if (!json_object_is_type(json, json_type_array)) {
    parse_error(error, path, "expected a list of input names, got %s", inf_json_kind_phrase(json));
    return NULL;
  }
  gsize n = json_object_array_length(json);
  g_auto(GStrv) names = g_new0(char *, n + 1);
  for (gsize i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx(json, i);
    g_autofree char *item_path = g_strdup_printf("%s[%zu]", path, i);
    if (!json_object_is_type(item, json_type_string)) {
      parse_error(error, item_path, "expected an input name (a string), got %s",
                  inf_json_kind_phrase(item));
      return NULL;
    }
    const char *name = json_object_get_string(item);
    if (!check_name("input", name, item_path, error))
      return NULL;
    if (g_strv_contains((const char *const *)names, name)) {
      parse_error(error, item_path, "input '%s' is listed twice", name);
      return NULL;
    }
    names[i] = g_strdup(name);
  }
  return g_steal_pointer(&names);
}

/* Resolves a node's module: through the config's resolver (names and inline
 * objects), or inline only when the graph was created in code. */
static InfModule *
resolve_node_module(const Parse *p, const char *node_name, json_object *spec, const char *path,
                    GError **error)
{
  const InfOptionsResolver *resolver = inf_options_get_resolver(p->options);
  if (resolver && resolver->resolve_module)
    return resolver->resolve_module(resolver->data, spec, path, error);

  if (json_object_is_type(spec, json_type_string)) {
    parse_error(error, path,
                "module references by name (\"%s\") can only be resolved in a config's modules "
                "block; use an inline object {\"type\": ...} here",
                json_object_get_string(spec));
    return NULL;
  }
  if (!json_object_is_type(spec, json_type_object)) {
    parse_error(error, path,
                "expected a module (the name of a module, or an inline object {\"type\": "
                "...}), got %s",
                inf_json_kind_phrase(spec));
    return NULL;
  }
  InfRegistry *registry = inf_module_get_registry(p->self);
  json_object *type;
  if (!json_object_object_get_ex(spec, "type", &type) ||
      !json_object_is_type(type, json_type_string)) {
    parse_error(error, path, "an inline module needs a \"type\" (a string)");
    return NULL;
  }
  g_autoptr(GError) unknown = NULL;
  const InfModuleClass *klass =
      inf_registry_lookup_class(registry, INF_CLASS_MODULE, json_object_get_string(type), &unknown);
  if (klass == NULL) {
    g_autofree char *type_path = g_strconcat(path, ".type", NULL);
    parse_error(error, type_path, "%s", unknown->message);
    return NULL;
  }
  return inf_module_new_inline(registry, klass, node_name, spec, inf_options_get_file(p->options),
                               path, error);
}

/* Checks the node's arguments against what its module accepts. */
static gboolean
check_node_args(const Node *node, const char *path, GError **error)
{
  if (inf_module_is_graph(node->module)) {
    const char *const *inputs = inf_graph_module_get_inputs(node->module);
    guint n_inputs = g_strv_length((char **)inputs);
    g_autofree char *list = n_inputs ? g_strjoinv(", ", (char **)inputs) : g_strdup("none");
    if (node->arg_names == NULL) {
      if (node->n_args != n_inputs) {
        parse_error(error, path, "graph '%s' takes %u argument%s (%s), got %u",
                    inf_module_get_name(node->module) ? inf_module_get_name(node->module)
                                                      : node->name,
                    n_inputs, n_inputs == 1 ? "" : "s", list, node->n_args);
        return FALSE;
      }
      return TRUE;
    }
    for (guint a = 0; a < node->n_args; a++)
      if (!g_strv_contains(inputs, node->arg_names[a])) {
        parse_error(error, path, "graph '%s' has no input '%s'; its inputs: %s",
                    inf_module_get_name(node->module) ? inf_module_get_name(node->module)
                                                      : node->name,
                    node->arg_names[a], list);
        return FALSE;
      }
    for (guint i = 0; i < n_inputs; i++) {
      guint a = 0;
      while (a < node->n_args && strcmp(node->arg_names[a], inputs[i]) != 0)
        a++;
      if (a == node->n_args) {
        parse_error(error, path, "missing input '%s' of graph '%s'; its inputs: %s", inputs[i],
                    inf_module_get_name(node->module) ? inf_module_get_name(node->module)
                                                      : node->name,
                    list);
        return FALSE;
      }
    }
    return TRUE;
  }
  g_autofree char *problem = NULL;
  if (!inf_tracer_check_inputs(inf_module_get_class(node->module), node->n_args, node->arg_names,
                               &problem)) {
    parse_error(error, path, "%s", problem);
    return FALSE;
  }
  g_autoptr(GError) local = NULL;
  if (!inf_module_check_args(node->module, node->n_args, node->arg_names, &local)) {
    parse_error(error, path, "%s", local->message);
    return FALSE;
  }
  return TRUE;
}

/* The NODE options of a node's module name inputs or nodes of this graph. */
static gboolean
check_node_options(const Parse *p, guint index, const Node *node, GError **error)
{
  const InfOptions *options = inf_module_get_options(node->module);
  const InfOptionSpec *spec = options ? inf_options_get_spec(options) : NULL;
  for (guint i = 0; spec && spec[i].name; i++) {
    if (spec[i].type != INF_OPTION_NODE || !inf_options_has(options, spec[i].name))
      continue;
    const char *opath = inf_options_get_path(options);
    g_autofree char *path =
        opath && opath[0] ? g_strconcat(opath, ".", spec[i].name, NULL) : g_strdup(spec[i].name);
    json_object *ref = json_object_new_string(inf_options_get_string(options, spec[i].name));
    Source source = { 0 };
    gboolean ok = parse_source(p, ref, path, (gint)index, &source, error);
    source_clear(&source);
    json_object_put(ref);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* The module and arguments of a call (a node, or a switch case) at @path:
 * {"module": ..., "args": ...}; @index is the graph node it belongs to. */
static gboolean
parse_call(Parse *p, guint index, Node *call, json_object *json, const char *path, GError **error)
{
  json_object *module_json, *args_json;
  if (!json_object_object_get_ex(json, "module", &module_json)) {
    parse_error(error, path,
                "a graph node needs a \"module\" (a module name or an inline "
                "module object)");
    return FALSE;
  }
  g_autofree char *module_path = g_strconcat(path, ".module", NULL);
  call->module = resolve_node_module(p, call->name, module_json, module_path, error);
  if (call->module == NULL)
    return FALSE;

  g_autofree char *args_path = g_strconcat(path, ".args", NULL);
  if (json_object_object_get_ex(json, "args", &args_json) && args_json != NULL) {
    if (json_object_is_type(args_json, json_type_array)) {
      call->n_args = json_object_array_length(args_json);
      call->args = g_new0(Source, call->n_args ? call->n_args : 1);
      for (guint a = 0; a < call->n_args; a++) {
        g_autofree char *arg_path = g_strdup_printf("%s[%u]", args_path, a);
        if (!parse_source(p, json_object_array_get_idx(args_json, a), arg_path, (gint)index,
                          &call->args[a], error))
          return FALSE;
      }
    } else if (json_object_is_type(args_json, json_type_object)) {
      call->n_args = json_object_object_length(args_json);
      call->args = g_new0(Source, call->n_args ? call->n_args : 1);
      call->arg_names = g_new0(const char *, call->n_args + 1);
      guint a = 0;
      json_object_object_foreach(args_json, arg_name, arg_json)
      {
        g_autofree char *arg_path = g_strconcat(args_path, ".", arg_name, NULL);
        call->args[a].name = g_strdup(arg_name);
        call->arg_names[a] = call->args[a].name;
        if (!parse_source(p, arg_json, arg_path, (gint)index, &call->args[a], error))
          return FALSE;
        a++;
      }
    } else {
      parse_error(error, args_path,
                  "expected a list (positional) or an object (named) of arguments, got %s",
                  inf_json_kind_phrase(args_json));
      return FALSE;
    }
  }
  if (!check_node_options(p, index, call, error))
    return FALSE;
  return check_node_args(call, args_path, error);
}

static gboolean
check_keys(json_object *json, const char *const *valid, const char *what, const char *path,
           GError **error)
{
  json_object_object_foreach(json, key, member)
  {
    (void)member;
    if (!g_strv_contains(valid, key)) {
      g_autofree char *key_path = g_strconcat(path, ".", key, NULL);
      g_autofree char *list = g_strjoinv(", ", (char **)valid);
      parse_error(error, key_path, "unknown key in %s; valid keys: %s", what, list);
      return FALSE;
    }
  }
  return TRUE;
}

/* A case's "match": "text", {"regex"|"prefix"|"contains": "..."} or
 * {"one_of": ["...", ...]}. */
static gboolean
parse_match(Case *c, json_object *json, const char *path, GError **error)
{
  static const char *const kinds[] = { "regex", "prefix", "contains", "one_of", NULL };
  static const InfMatchKind kind_values[] = { INF_MATCH_REGEX, INF_MATCH_PREFIX, INF_MATCH_CONTAINS,
                                              INF_MATCH_ONE_OF };
  if (json_object_is_type(json, json_type_string)) {
    c->match = INF_MATCH_EXACT;
    c->pattern = g_strdup(json_object_get_string(json));
    return TRUE;
  }
  if (!json_object_is_type(json, json_type_object) || json_object_object_length(json) != 1) {
    parse_error(error, path,
                "expected a match: a string (exact), or an object with one of \"regex\", "
                "\"prefix\", \"contains\" (a string) or \"one_of\" (a list of strings); "
                "got %s",
                json ? inf_json_kind_phrase(json) : "null");
    return FALSE;
  }
  json_object_object_foreach(json, key, value)
  {
    g_autofree char *key_path = g_strconcat(path, ".", key, NULL);
    guint k = 0;
    while (kinds[k] && strcmp(kinds[k], key) != 0)
      k++;
    if (kinds[k] == NULL) {
      parse_error(error, key_path,
                  "unknown match kind; valid kinds: a string (exact), regex, "
                  "prefix, contains, one_of");
      return FALSE;
    }
    c->match = kind_values[k];
    if (c->match == INF_MATCH_ONE_OF) {
      if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) == 0) {
        parse_error(error, key_path, "expected a non-empty list of strings, got %s",
                    value ? inf_json_kind_phrase(value) : "null");
        return FALSE;
      }
      gsize n = json_object_array_length(value);
      c->one_of = g_new0(char *, n + 1);
      for (gsize i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(value, i);
        if (!json_object_is_type(item, json_type_string)) {
          g_autofree char *item_path = g_strdup_printf("%s[%zu]", key_path, i);
          parse_error(error, item_path, "expected a string, got %s", inf_json_kind_phrase(item));
          return FALSE;
        }
        c->one_of[i] = g_strdup(json_object_get_string(item));
      }
      return TRUE;
    }
    if (!json_object_is_type(value, json_type_string)) {
      parse_error(error, key_path, "expected a string, got %s",
                  value ? inf_json_kind_phrase(value) : "null");
      return FALSE;
    }
    c->pattern = g_strdup(json_object_get_string(value));
    if (c->match == INF_MATCH_REGEX) {
      g_autoptr(GError) regex_error = NULL;
      g_autoptr(GRegex) regex = g_regex_new(c->pattern, 0, 0, &regex_error);
      if (regex == NULL) {
        parse_error(error, key_path, "invalid regex '%s': %s", c->pattern, regex_error->message);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* Records case @c's exact or one_of values (normalized) in @seen; returns
 * the first one an earlier case already matched exactly, with its JSON path
 * suffix in @where. */
static char *
repeated_exact(const Switch *sw, guint c, GHashTable *seen, char **where)
{
  const Case *mine = &sw->cases[c];
  if (mine->match != INF_MATCH_EXACT && mine->match != INF_MATCH_ONE_OF)
    return NULL;
  const char *single[] = { mine->pattern, NULL };
  const char *const *values =
      mine->match == INF_MATCH_EXACT ? single : (const char *const *)mine->one_of;
  for (guint i = 0; values[i]; i++) {
    char *normal = inf_graph_switch_normalize(values[i], sw->normalize);
    if (!g_hash_table_add(seen, normal)) {
      *where = mine->match == INF_MATCH_EXACT ? g_strdup("") : g_strdup_printf(".one_of[%u]", i);
      return g_strdup(values[i]);
    }
  }
  return NULL;
}

static gboolean
parse_case(Parse *p, guint index, Switch *sw, guint c, GHashTable *seen, json_object *json,
           const char *path, GError **error)
{
  Case *cs = &sw->cases[c];
  gboolean is_default = sw->has_default && c == sw->n_cases - 1;
  if (!json_object_is_type(json, json_type_object)) {
    parse_error(error, path, "expected a case object {%s\"module\": ..., \"args\": ...}, got %s",
                is_default ? "" : "\"match\": ..., ", json ? inf_json_kind_phrase(json) : "null");
    return FALSE;
  }
  static const char *const default_keys[] = { "module", "args", NULL };
  if (!check_keys(json, is_default ? default_keys : case_keys,
                  is_default ? "a switch's default" : "a switch case", path, error))
    return FALSE;
  if (!is_default) {
    json_object *match;
    g_autofree char *match_path = g_strconcat(path, ".match", NULL);
    if (!json_object_object_get_ex(json, "match", &match)) {
      parse_error(error, path,
                  "a case needs a \"match\" (a string, or {\"regex\"|\"prefix\"|"
                  "\"contains\": ...} or {\"one_of\": [...]})");
      return FALSE;
    }
    if (!parse_match(cs, match, match_path, error))
      return FALSE;
    g_autofree char *where = NULL;
    g_autofree char *repeated = repeated_exact(sw, c, seen, &where);
    if (repeated) {
      g_autofree char *at = g_strconcat(match_path, where, NULL);
      parse_error(error, at,
                  "'%s' is already matched exactly by an earlier case; each value "
                  "may be listed once",
                  repeated);
      return FALSE;
    }
  }
  /* The case's node name: its module's name in the modules block, an inline
   * module's "name", else "caseN" / "default". */
  json_object *module_json = NULL, *jname = NULL;
  json_object_object_get_ex(json, "module", &module_json);
  if (module_json && json_object_is_type(module_json, json_type_string) &&
      valid_name(json_object_get_string(module_json)))
    cs->call.name = g_strdup(json_object_get_string(module_json));
  else if (module_json && json_object_is_type(module_json, json_type_object) &&
           json_object_object_get_ex(module_json, "name", &jname) &&
           json_object_is_type(jname, json_type_string) &&
           valid_name(json_object_get_string(jname)))
    cs->call.name = g_strdup(json_object_get_string(jname));
  else
    cs->call.name = is_default ? g_strdup("default") : g_strdup_printf("case%u", c);
  return parse_call(p, index, &cs->call, json, path, error);
}

static gboolean
parse_switch(Parse *p, guint index, Node *node, json_object *json, const char *path, GError **error)
{
  if (!check_keys(json, switch_keys, "a switch node", path, error))
    return FALSE;
  Switch *sw = node->sw = g_new0(Switch, 1);
  json_object *selector = NULL, *normalize = NULL, *cases = NULL, *def = NULL;
  json_object_object_get_ex(json, "switch", &selector);
  g_autofree char *selector_path = g_strconcat(path, ".switch", NULL);
  if (!json_object_is_type(selector, json_type_string) ||
      json_object_get_string(selector)[0] != '$' || json_object_get_string(selector)[1] == '$') {
    g_autofree char *visible = visible_names(p, (gint)index);
    parse_error(error, selector_path,
                "a switch selects on a reference (\"$name\" or \"$name.field\"); got %s; "
                "visible here: %s",
                selector ? json_object_to_json_string(selector) : "null", visible);
    return FALSE;
  }
  if (!parse_source(p, selector, selector_path, (gint)index, &sw->selector, error))
    return FALSE;

  if (json_object_object_get_ex(json, "normalize", &normalize)) {
    g_autofree char *normalize_path = g_strconcat(path, ".normalize", NULL);
    if (!json_object_is_type(normalize, json_type_array)) {
      parse_error(error, normalize_path, "expected a list of \"trim\" and \"casefold\", got %s",
                  normalize ? inf_json_kind_phrase(normalize) : "null");
      return FALSE;
    }
    for (gsize i = 0; i < json_object_array_length(normalize); i++) {
      json_object *item = json_object_array_get_idx(normalize, i);
      const char *name =
          json_object_is_type(item, json_type_string) ? json_object_get_string(item) : "";
      if (strcmp(name, "trim") == 0)
        sw->normalize |= INF_SWITCH_NORMALIZE_TRIM;
      else if (strcmp(name, "casefold") == 0)
        sw->normalize |= INF_SWITCH_NORMALIZE_CASEFOLD;
      else {
        g_autofree char *item_path = g_strdup_printf("%s[%zu]", normalize_path, i);
        parse_error(error, item_path, "unknown normalization %s; valid: trim, casefold",
                    json_object_to_json_string(item));
        return FALSE;
      }
    }
  }

  g_autofree char *cases_path = g_strconcat(path, ".cases", NULL);
  if (!json_object_object_get_ex(json, "cases", &cases) ||
      !json_object_is_type(cases, json_type_array) || json_object_array_length(cases) == 0) {
    parse_error(error, cases_path,
                "a switch needs \"cases\": a non-empty list of {\"match\": ..., \"module\": ..., "
                "\"args\": ...}%s%s",
                cases ? ", got " : "",
                cases ? (json_object_is_type(cases, json_type_array) ? "an empty list"
                                                                     : inf_json_kind_phrase(cases))
                      : "");
    return FALSE;
  }
  guint n = (guint)json_object_array_length(cases);
  sw->has_default = json_object_object_get_ex(json, "default", &def);
  sw->n_cases = n + (sw->has_default ? 1 : 0);
  sw->cases = g_new0(Case, sw->n_cases);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint c = 0; c < n; c++) {
    g_autofree char *case_path = g_strdup_printf("%s[%u]", cases_path, c);
    if (!parse_case(p, index, sw, c, seen, json_object_array_get_idx(cases, c), case_path, error))
      return FALSE;
  }
  if (sw->has_default) {
    g_autofree char *default_path = g_strconcat(path, ".default", NULL);
    if (!parse_case(p, index, sw, n, seen, def, default_path, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_node(Parse *p, guint index, const char *name, json_object *json, const char *path,
           GError **error)
{
  Node *node = &p->priv->nodes[index];
  node->name = g_strdup(name);
  if (!json_object_is_type(json, json_type_object)) {
    parse_error(error, path,
                "expected a node object {\"module\": ..., \"args\": ..., \"priority\": ...} "
                "or a switch {\"switch\": \"$ref\", \"cases\": [...]}, got %s",
                inf_json_kind_phrase(json));
    return FALSE;
  }
  if (json_object_object_get_ex(json, "switch", NULL))
    return parse_switch(p, index, node, json, path, error);
  json_object_object_foreach(json, key, member)
  {
    (void)member;
    if (!g_strv_contains(node_keys, key)) {
      g_autofree char *key_path = g_strconcat(path, ".", key, NULL);
      parse_error(error, key_path,
                  "unknown key in a graph node; valid keys: args, module, "
                  "priority (or switch, normalize, cases, default for a "
                  "switch)");
      return FALSE;
    }
  }

  json_object *priority_json;
  if (!parse_call(p, index, node, json, path, error))
    return FALSE;

  if (json_object_object_get_ex(json, "priority", &priority_json)) {
    g_autofree char *priority_path = g_strconcat(path, ".priority", NULL);
    if (!json_object_is_type(priority_json, json_type_int)) {
      parse_error(error, priority_path, "expected an integer (lower runs first), got %s",
                  inf_json_kind_phrase(priority_json));
      return FALSE;
    }
    gint64 v = json_object_get_int64(priority_json);
    if (v < G_MININT || v > G_MAXINT) {
      parse_error(error, priority_path, "priority %" G_GINT64_FORMAT " is out of range", v);
      return FALSE;
    }
    if (inf_module_is_composite(node->module)) {
      parse_error(error, priority_path,
                  "a priority applies to atomic modules only; '%s' is a composite (%s): set "
                  "priorities on the nodes inside it",
                  name, inf_module_get_type_name(node->module));
      return FALSE;
    }
    node->has_priority = TRUE;
    node->priority = (gint)v;
  }
  return TRUE;
}

static gboolean
parse_outputs(Parse *p, json_object *json, const char *path, GError **error)
{
  GraphPrivate *priv = p->priv;
  if (json_object_is_type(json, json_type_array)) {
    priv->shape = INF_GRAPH_OUTPUT_LIST;
    priv->n_outputs = json_object_array_length(json);
    priv->outputs = g_new0(Source, priv->n_outputs ? priv->n_outputs : 1);
    for (guint i = 0; i < priv->n_outputs; i++) {
      g_autofree char *item_path = g_strdup_printf("%s[%u]", path, i);
      if (!parse_source(p, json_object_array_get_idx(json, i), item_path, -1, &priv->outputs[i],
                        error))
        return FALSE;
    }
    return TRUE;
  }
  if (json_object_is_type(json, json_type_object)) {
    priv->shape = INF_GRAPH_OUTPUT_DICT;
    priv->n_outputs = json_object_object_length(json);
    priv->outputs = g_new0(Source, priv->n_outputs ? priv->n_outputs : 1);
    guint i = 0;
    json_object_object_foreach(json, key, item)
    {
      g_autofree char *item_path = g_strconcat(path, ".", key, NULL);
      priv->outputs[i].name = g_strdup(key);
      if (!parse_source(p, item, item_path, -1, &priv->outputs[i], error))
        return FALSE;
      i++;
    }
    return TRUE;
  }
  priv->shape = INF_GRAPH_OUTPUT_VALUE;
  priv->n_outputs = 1;
  priv->outputs = g_new0(Source, 1);
  return parse_source(p, json, path, -1, &priv->outputs[0], error);
}

/* Adds each distinct node module once as a child: under its instance name
 * (a module of the config's modules block) or else the node's name. */
static gboolean
add_children(InfModule *self, GraphPrivate *priv, GError **error)
{
  g_autoptr(GHashTable) added = g_hash_table_new(g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  /* Module calls in config order: a node's, or each case of a switch's. */
  g_autoptr(GPtrArray) calls = g_ptr_array_new();
  for (guint i = 0; i < priv->n_nodes; i++) {
    Switch *sw = priv->nodes[i].sw;
    if (sw == NULL)
      g_ptr_array_add(calls, &priv->nodes[i]);
    for (guint c = 0; sw && c < sw->n_cases; c++)
      g_ptr_array_add(calls, &sw->cases[c].call);
  }
  for (guint i = 0; i < calls->len; i++) {
    const Node *call = g_ptr_array_index(calls, i);
    InfModule *module = call->module;
    if (!g_hash_table_add(added, module))
      continue;
    const char *instance = inf_module_get_name(module);
    const char *base = instance && valid_name(instance) ? instance : call->name;
    char *name = g_strdup(base);
    for (guint k = 1; g_hash_table_contains(taken, name); k++) {
      g_free(name);
      name = g_strdup_printf("%s_%u", base, k);
    }
    g_hash_table_add(taken, name);
    if (!inf_module_add_child(self, name, module, error))
      return FALSE;
  }
  return TRUE;
}

/* Indexes the names of @nodes (before parsing them, so that references may
 * point forward) and allocates the nodes. */
static gboolean
index_node_names(Parse *p, json_object *nodes, const char *nodes_path, GError **error)
{
  json_object_object_foreach(nodes, name, node_json)
  {
    (void)node_json;
    g_autofree char *node_path = g_strconcat(nodes_path, ".", name, NULL);
    if (!check_name("node", name, node_path, error))
      return FALSE;
    if (g_hash_table_contains(p->input_index, name)) {
      parse_error(error, node_path, "node '%s' has the name of an input; '$%s' would be ambiguous",
                  name, name);
      return FALSE;
    }
    g_ptr_array_add(p->node_names, name);
    g_hash_table_insert(p->node_index, name, GUINT_TO_POINTER(p->node_names->len));
  }
  p->priv->n_nodes = p->node_names->len;
  p->priv->nodes = g_new0(Node, p->priv->n_nodes ? p->priv->n_nodes : 1);
  return TRUE;
}

/* The nodes @node (a switch: its selector and cases' arguments) depends on,
 * as a new array of node indices; *@n_deps is their count. */
static guint *
node_dependencies(const Node *node, guint *n_deps)
{
  guint n_args = node->n_args;
  if (node->sw) {
    n_args = 1;
    for (guint c = 0; c < node->sw->n_cases; c++)
      n_args += node->sw->cases[c].call.n_args;
  }
  guint *d = g_new(guint, n_args ? n_args : 1);
  *n_deps = 0;
  for (guint a = 0; a < node->n_args; a++)
    if (node->args[a].kind == SOURCE_NODE)
      d[(*n_deps)++] = node->args[a].index;
  if (node->sw && node->sw->selector.kind == SOURCE_NODE)
    d[(*n_deps)++] = node->sw->selector.index;
  for (guint c = 0; node->sw && c < node->sw->n_cases; c++) {
    const Node *call = &node->sw->cases[c].call;
    for (guint a = 0; a < call->n_args; a++)
      if (call->args[a].kind == SOURCE_NODE)
        d[(*n_deps)++] = call->args[a].index;
  }
  return d;
}

/* Sets the dependency order of the nodes; a cycle is an error naming it. */
static gboolean
sort_nodes(GraphPrivate *priv, const char *nodes_path, GError **error)
{
  guint n = priv->n_nodes;
  g_autofree const guint **deps = g_new0(const guint *, n ? n : 1);
  g_autofree guint *n_deps = g_new0(guint, n ? n : 1);
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < n; i++) {
    guint *d = node_dependencies(&priv->nodes[i], &n_deps[i]);
    deps[i] = d;
    g_ptr_array_add(owned, d);
  }
  GArray *cycle = NULL;
  priv->order = inf_graph_sort_indices(n, deps, n_deps, &cycle);
  if (priv->order != NULL)
    return TRUE;
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < cycle->len; i++)
    g_string_append_printf(s, "%s%s", i ? " -> " : "",
                           priv->nodes[g_array_index(cycle, guint, i)].name);
  parse_error(error, nodes_path, "cycle: %s (each node uses the output of the one before)", s->str);
  g_string_free(s, TRUE);
  g_array_unref(cycle);
  return FALSE;
}

static gboolean
graph_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  const char *opath = inf_options_get_path(options);
  g_autofree char *base = opath && opath[0] ? g_strconcat(opath, ".", NULL) : g_strdup("");
  g_autoptr(GraphPrivate) priv = g_new0(GraphPrivate, 1);
  g_autoptr(GHashTable) input_index = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) node_index = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) node_names = g_ptr_array_new();
  Parse p = { self, options, base, priv, input_index, node_index, node_names };

  g_autofree char *inputs_path = g_strconcat(base, "inputs", NULL);
  priv->inputs = parse_inputs(inf_options_get_json(options, "inputs"), inputs_path, error);
  if (priv->inputs == NULL)
    return FALSE;
  priv->n_inputs = g_strv_length(priv->inputs);
  for (guint i = 0; i < priv->n_inputs; i++)
    g_hash_table_insert(input_index, priv->inputs[i], GUINT_TO_POINTER(i + 1));

  g_autofree char *nodes_path = g_strconcat(base, "nodes", NULL);
  json_object *nodes = inf_options_get_json(options, "nodes");
  if (nodes == NULL || !json_object_is_type(nodes, json_type_object)) {
    parse_error(error, nodes_path, "expected an object mapping node names to nodes, got %s",
                nodes ? inf_json_kind_phrase(nodes) : "null");
    return FALSE;
  }
  if (!index_node_names(&p, nodes, nodes_path, error))
    return FALSE;
  guint i = 0;
  json_object_object_foreach(nodes, name, node_json)
  {
    g_autofree char *node_path = g_strconcat(nodes_path, ".", name, NULL);
    if (!parse_node(&p, i, name, node_json, node_path, error))
      return FALSE;
    i++;
  }
  g_autofree char *outputs_path = g_strconcat(base, "outputs", NULL);
  if (!parse_outputs(&p, inf_options_get_json(options, "outputs"), outputs_path, error) ||
      !sort_nodes(priv, nodes_path, error) || !add_children(self, priv, error))
    return FALSE;
  *out_private = g_steal_pointer(&priv);
  return TRUE;
}

/* The value of @source given the values so far (a new reference), or NULL
 * with @error set. */
static InfValue *
source_value(const GraphPrivate *priv, const Source *source, InfValue *const *inputs,
             InfValue *const *node_values, GError **error)
{
  if (source->kind == SOURCE_LITERAL)
    return inf_value_ref(source->literal);
  InfValue *value =
      source->kind == SOURCE_INPUT ? inputs[source->index] : node_values[source->index];
  const char *from =
      source->kind == SOURCE_INPUT ? priv->inputs[source->index] : priv->nodes[source->index].name;
  if (value == NULL) {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "'%s' has no value", from);
    return NULL;
  }
  value = inf_value_ref(value);
  for (guint i = 0; source->path && source->path[i]; i++) {
    InfValue *next = inf_value_get(value, source->path[i]);
    if (next == NULL) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "'$%s': '%s' has no field '%s' (it is a %s)", from, from, source->path[i],
                  inf_value_kind_name(inf_value_get_kind(value)));
      inf_value_unref(value);
      return NULL;
    }
    inf_value_unref(value);
    value = next;
  }
  return value;
}

/* Traces switch node @node with inf_switch(); returns its output or NULL
 * with @error set. */
static InfValue *
trace_switch(InfTracer *tracer, const GraphPrivate *priv, const Node *node, InfValue *const *inputs,
             InfValue *const *values, GError **error)
{
  const Switch *sw = node->sw;
  g_autoptr(InfValue) selector = source_value(priv, &sw->selector, inputs, values, error);
  if (selector == NULL) {
    g_prefix_error(error, "node '%s': ", node->name);
    return NULL;
  }
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func((GDestroyNotify)inf_value_unref);
  g_autofree InfSwitchCase *cases = g_new0(InfSwitchCase, sw->n_cases);
  g_autofree const char **case_names = g_new0(const char *, sw->n_cases + 1);
  g_autofree InfValue **arg_values = NULL;
  guint n_values = 0;
  for (guint c = 0; c < sw->n_cases; c++)
    n_values += sw->cases[c].call.n_args;
  arg_values = g_new0(InfValue *, n_values + 1);
  guint next = 0;
  for (guint c = 0; c < sw->n_cases; c++) {
    const Case *cs = &sw->cases[c];
    InfValue **case_args = arg_values + next;
    for (guint a = 0; a < cs->call.n_args; a++) {
      InfValue *v = source_value(priv, &cs->call.args[a], inputs, values, error);
      if (v == NULL) {
        g_prefix_error(error, "node '%s', case %u: ", node->name, c);
        return NULL;
      }
      g_ptr_array_add(owned, v);
      arg_values[next++] = v;
    }
    cases[c] = (InfSwitchCase){
      .match = cs->match,
      .pattern = cs->pattern,
      .one_of = (const char *const *)cs->one_of,
      .module = cs->call.module,
      .n_args = cs->call.n_args,
      .args = case_args,
      .arg_names = cs->call.arg_names,
    };
    case_names[c] = cs->call.name;
  }
  guint n_matched = sw->n_cases - (sw->has_default ? 1 : 0);
  InfValue *result =
      inf_tracer_switch_as(tracer, node->name, selector, sw->normalize, cases, n_matched,
                           sw->has_default ? &cases[n_matched] : NULL, case_names);
  if (inf_tracer_has_error(tracer)) {
    if (result)
      inf_value_unref(result);
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "node '%s' failed to trace",
                node->name);
    return NULL;
  }
  return result;
}

/* Matches the given values to the graph's inputs in @inputs (borrowed): by
 * name when the caller named them, else by position. */
static gboolean
match_inputs(const GraphPrivate *priv, InfTracer *tracer, const char *label, InfValue *const *given,
             guint n_given, InfValue **inputs, GError **error)
{
  const char *const *names = inf_tracer_get_input_names(tracer);
  if (names == NULL) {
    if (n_given != priv->n_inputs) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                  "graph '%s' takes %u input%s, got %u", label, priv->n_inputs,
                  priv->n_inputs == 1 ? "" : "s", n_given);
      return FALSE;
    }
    for (guint k = 0; k < priv->n_inputs; k++)
      inputs[k] = given[k];
    return TRUE;
  }
  for (guint i = 0; i < n_given; i++) {
    guint k = 0;
    while (k < priv->n_inputs && (names[i] == NULL || strcmp(priv->inputs[k], names[i]) != 0))
      k++;
    if (k == priv->n_inputs) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "graph '%s' has no input '%s'",
                  label, names[i] ? names[i] : "(null)");
      return FALSE;
    }
    inputs[k] = given[i];
  }
  for (guint k = 0; k < priv->n_inputs; k++)
    if (inputs[k] == NULL) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "graph '%s': missing input '%s'",
                  label, priv->inputs[k]);
      return FALSE;
    }
  return TRUE;
}

/* Traces every node in topological order into @values (new references). */
static gboolean
trace_nodes(InfTracer *tracer, const GraphPrivate *priv, InfValue *const *inputs, InfValue **values,
            GError **error)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func((GDestroyNotify)inf_value_unref);
  for (guint k = 0; k < priv->n_nodes; k++) {
    guint i = priv->order[k];
    const Node *node = &priv->nodes[i];
    if (node->sw) {
      values[i] = trace_switch(tracer, priv, node, inputs, values, error);
      if (values[i] == NULL)
        return FALSE;
      continue;
    }
    g_ptr_array_set_size(args, 0);
    for (guint a = 0; a < node->n_args; a++) {
      InfValue *v = source_value(priv, &node->args[a], inputs, values, error);
      if (v == NULL) {
        g_prefix_error(error, "node '%s': ", node->name);
        return FALSE;
      }
      g_ptr_array_add(args, v);
    }
    values[i] = inf_tracer_call_as(tracer, node->module, node->name, node->n_args,
                                   (InfValue *const *)args->pdata, node->arg_names);
    if (inf_tracer_has_error(tracer)) {
      g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "node '%s' failed to trace",
                  node->name);
      return FALSE;
    }
    if (node->has_priority)
      inf_tracer_set_priority(tracer, values[i], node->priority);
  }
  return TRUE;
}

/* The graph's result in its output shape: one value, a list or a dict. */
static InfValue *
collect_outputs(const GraphPrivate *priv, InfValue *const *inputs, InfValue *const *values,
                GError **error)
{
  if (priv->shape == INF_GRAPH_OUTPUT_VALUE) {
    InfValue *result = source_value(priv, &priv->outputs[0], inputs, values, error);
    if (result == NULL)
      g_prefix_error(error, "output: ");
    return result;
  }
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)inf_value_unref);
  for (guint o = 0; o < priv->n_outputs; o++) {
    InfValue *v = source_value(priv, &priv->outputs[o], inputs, values, error);
    if (v == NULL) {
      if (priv->outputs[o].name)
        g_prefix_error(error, "output '%s': ", priv->outputs[o].name);
      else
        g_prefix_error(error, "output [%u]: ", o);
      return NULL;
    }
    g_ptr_array_add(items, v);
  }
  if (priv->shape == INF_GRAPH_OUTPUT_LIST)
    return inf_value_new_list((InfValue *const *)items->pdata, items->len);
  InfValue *result = inf_value_new_dict();
  for (guint o = 0; o < priv->n_outputs; o++)
    inf_value_dict_set(result, priv->outputs[o].name, g_ptr_array_index(items, o));
  return result;
}

static InfValue *
graph_forward(InfModule *self, InfTracer *tracer, InfValue *const *given, guint n_given,
              GError **error)
{
  const GraphPrivate *priv = inf_module_get_private(self);
  const char *label = inf_module_get_name(self) ? inf_module_get_name(self) : "graph";
  g_autofree InfValue **inputs = g_new0(InfValue *, priv->n_inputs + 1);
  if (!match_inputs(priv, tracer, label, given, n_given, inputs, error))
    return NULL;
  InfValue **values = g_new0(InfValue *, priv->n_nodes + 1);
  InfValue *result = NULL;
  if (trace_nodes(tracer, priv, inputs, values, error))
    result = collect_outputs(priv, inputs, values, error);
  for (guint i = 0; i < priv->n_nodes; i++)
    if (values[i])
      inf_value_unref(values[i]);
  g_free(values);
  return result;
}

static const InfOptionSpec graph_options[] = {
  { .name = "inputs",
    .type = INF_OPTION_JSON,
    .default_json = "[]",
    .description =
        "The graph's input names, a list of strings; nodes refer to them as \"$name\"." },
  { .name = "nodes",
    .type = INF_OPTION_JSON,
    .required = TRUE,
    .description =
        "An object mapping node names to nodes {\"module\": name-or-inline-module, \"args\": "
        "list-or-object, \"priority\": int}. \"$name\" and \"$name.field\" in args refer to inputs "
        "and other nodes; anything else is a literal (\"$$\" for a literal '$'). A node may be a "
        "switch instead: {\"switch\": \"$ref\", \"normalize\": [\"trim\", \"casefold\"], "
        "\"cases\": [{\"match\": \"text\" | {\"regex\"|\"prefix\"|\"contains\": \"...\"} | "
        "{\"one_of\": [...]}, \"module\": ..., \"args\": ...}], \"default\": {\"module\": ..., "
        "\"args\": ...}}." },
  { .name = "outputs",
    .type = INF_OPTION_JSON,
    .required = TRUE,
    .description = "The graph's output: a \"$ref\" (or literal), a list of them, or an object of "
                   "them (the output keys)." },
  { .name = NULL },
};

static const InfModuleClass graph_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "graph",
  .description = "A composite defined in the config: inputs, nodes wired by $references, "
                 "outputs.",
  .options = graph_options,
  .inputs = NULL,
  .init = graph_init,
  .finalize = graph_private_free,
  .forward = graph_forward,
};

const InfModuleClass *
inf_graph_module_class(void)
{
  return &graph_class;
}

gboolean
inf_module_is_graph(const InfModule *module)
{
  return module != NULL && inf_module_get_class(module) == &graph_class;
}

const char *const *
inf_graph_module_get_inputs(const InfModule *module)
{
  g_return_val_if_fail(inf_module_is_graph(module), NULL);
  const GraphPrivate *priv = inf_module_get_private(module);
  return (const char *const *)priv->inputs;
}
