/* InfJsonSchema: a compact JSON Schema draft 7 validator (see json-schema.h).
 *
 * Compiling walks every subschema once: it checks the keywords' values,
 * compiles each pattern into a GRegex (kept by pattern text) and resolves
 * each $ref (kept by reference text). Validation then walks the schema
 * document itself alongside the instance; it stops at the first violation
 * and records its instance path. Subschemas tried by anyOf, oneOf, not and
 * if run "quietly" (no message is built).
 */
#include <inf/error.h>
#include <inf/json-schema.h>

#include <math.h>
#include <string.h>

/* Validation deeper than this (a $ref loop that consumes no instance
 * depth) fails instead of recursing further. */
#define MAX_DEPTH 512

/* The keywords validation looks up, as bits of a schema object's mask:
 * compiling records which ones each schema object has, so validation skips
 * the lookups of absent ones. */
typedef enum {
  KW_REF,
  KW_TYPE,
  KW_ENUM,
  KW_CONST,
  KW_MULTIPLE_OF,
  KW_MAXIMUM,
  KW_EXCLUSIVE_MAXIMUM,
  KW_MINIMUM,
  KW_EXCLUSIVE_MINIMUM,
  KW_MAX_LENGTH,
  KW_MIN_LENGTH,
  KW_PATTERN,
  KW_MAX_ITEMS,
  KW_MIN_ITEMS,
  KW_ITEMS,
  KW_UNIQUE_ITEMS,
  KW_CONTAINS,
  KW_MAX_PROPERTIES,
  KW_MIN_PROPERTIES,
  KW_REQUIRED,
  KW_PROPERTIES,
  KW_PATTERN_PROPERTIES,
  KW_ADDITIONAL_PROPERTIES,
  KW_DEPENDENCIES,
  KW_PROPERTY_NAMES,
  KW_ALL_OF,
  KW_ANY_OF,
  KW_ONE_OF,
  KW_NOT,
  KW_IF,
  KW_COUNT
} Keyword;

static const char *const keyword_names[KW_COUNT] = {
  [KW_REF] = "$ref",
  [KW_TYPE] = "type",
  [KW_ENUM] = "enum",
  [KW_CONST] = "const",
  [KW_MULTIPLE_OF] = "multipleOf",
  [KW_MAXIMUM] = "maximum",
  [KW_EXCLUSIVE_MAXIMUM] = "exclusiveMaximum",
  [KW_MINIMUM] = "minimum",
  [KW_EXCLUSIVE_MINIMUM] = "exclusiveMinimum",
  [KW_MAX_LENGTH] = "maxLength",
  [KW_MIN_LENGTH] = "minLength",
  [KW_PATTERN] = "pattern",
  [KW_MAX_ITEMS] = "maxItems",
  [KW_MIN_ITEMS] = "minItems",
  [KW_ITEMS] = "items",
  [KW_UNIQUE_ITEMS] = "uniqueItems",
  [KW_CONTAINS] = "contains",
  [KW_MAX_PROPERTIES] = "maxProperties",
  [KW_MIN_PROPERTIES] = "minProperties",
  [KW_REQUIRED] = "required",
  [KW_PROPERTIES] = "properties",
  [KW_PATTERN_PROPERTIES] = "patternProperties",
  [KW_ADDITIONAL_PROPERTIES] = "additionalProperties",
  [KW_DEPENDENCIES] = "dependencies",
  [KW_PROPERTY_NAMES] = "propertyNames",
  [KW_ALL_OF] = "allOf",
  [KW_ANY_OF] = "anyOf",
  [KW_ONE_OF] = "oneOf",
  [KW_NOT] = "not",
  [KW_IF] = "if",
};

G_STATIC_ASSERT(KW_COUNT < 32);
#define MASK_COMPILED (1u << 31)

struct _InfJsonSchema {
  gint ref_count;
  json_object *root;
  GHashTable *regexes; /* pattern text -> GRegex */
  GHashTable *refs;    /* $ref text -> json_object (borrowed from root; NULL: JSON null) */
  GHashTable *masks;   /* schema json_object -> its keyword mask | MASK_COMPILED */
};

/* --- paths --------------------------------------------------------------- */

static gboolean
is_identifier(const char *key)
{
  if (!g_ascii_isalpha(*key) && *key != '_' && *key != '$')
    return FALSE;
  for (const char *p = key + 1; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '$')
      return FALSE;
  return TRUE;
}

/* Appends ".key", or ["key"] when the key is no identifier. */
static void
path_append_key(GString *path, const char *key)
{
  if (is_identifier(key)) {
    g_string_append_c(path, '.');
    g_string_append(path, key);
    return;
  }
  json_object *quoted = json_object_new_string(key);
  g_string_append_printf(path, "[%s]",
                         json_object_to_json_string_ext(
                             quoted, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(quoted);
}

static void
path_append_index(GString *path, gsize index)
{
  g_string_append_printf(path, "[%zu]", index);
}

/* A rendering of a JSON value for messages, cut to @max characters. */
static char *
quote_value_max(json_object *value, glong max)
{
  const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
  if (text == NULL)
    text = "null";
  if (g_utf8_strlen(text, -1) <= max)
    return g_strdup(text);
  g_autofree char *head = g_utf8_substring(text, 0, max - 3);
  return g_strconcat(head, "...", NULL);
}

/* A short rendering (60 characters) of an instance for messages. */
static char *
quote_value(json_object *value)
{
  return quote_value_max(value, 60);
}

/* --- JSON helpers -------------------------------------------------------- */

static gboolean
is_number(json_object *value)
{
  return json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double);
}

static gboolean
is_integer(json_object *value)
{
  if (json_object_is_type(value, json_type_int))
    return TRUE;
  if (!json_object_is_type(value, json_type_double))
    return FALSE;
  double d = json_object_get_double(value);
  return isfinite(d) && floor(d) == d;
}

/* Equality by JSON value: numbers by value, objects regardless of order. */
static gboolean
json_equal(json_object *a, json_object *b)
{
  if (is_number(a) && is_number(b)) {
    if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
      return json_object_get_int64(a) == json_object_get_int64(b);
    return json_object_get_double(a) == json_object_get_double(b);
  }
  json_type type = json_object_get_type(a);
  if (type != json_object_get_type(b))
    return FALSE;
  switch (type) {
  case json_type_null:
    return TRUE;
  case json_type_boolean:
    return json_object_get_boolean(a) == json_object_get_boolean(b);
  case json_type_string:
    return json_object_get_string_len(a) == json_object_get_string_len(b) &&
           memcmp(json_object_get_string(a), json_object_get_string(b),
                  (size_t)json_object_get_string_len(a)) == 0;
  case json_type_array: {
    size_t n = json_object_array_length(a);
    if (n != json_object_array_length(b))
      return FALSE;
    for (size_t i = 0; i < n; i++)
      if (!json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
        return FALSE;
    return TRUE;
  }
  case json_type_object: {
    if (json_object_object_length(a) != json_object_object_length(b))
      return FALSE;
    json_object_object_foreach(a, key, value)
    {
      json_object *other;
      if (!json_object_object_get_ex(b, key, &other) || !json_equal(value, other))
        return FALSE;
    }
    return TRUE;
  }
  default:
    return FALSE;
  }
}

/* The JSON Schema type name of an instance. */
static const char *
type_name(json_object *value)
{
  switch (json_object_get_type(value)) {
  case json_type_null:
    return "null";
  case json_type_boolean:
    return "boolean";
  case json_type_int:
    return "integer";
  case json_type_double:
    return is_integer(value) ? "integer" : "number";
  case json_type_string:
    return "string";
  case json_type_array:
    return "array";
  case json_type_object:
    return "object";
  default:
    return "unknown";
  }
}

static gboolean
has_type(json_object *value, const char *type)
{
  if (strcmp(type, "number") == 0)
    return is_number(value);
  if (strcmp(type, "integer") == 0)
    return is_integer(value);
  return strcmp(type, type_name(value)) == 0;
}

static const char *const type_names[] = { "null",   "boolean", "object",  "array",
                                          "number", "string",  "integer", NULL };

/* Unicode code points in a UTF-8 string of @len bytes. */
static gsize
count_code_points(const char *text, gsize len)
{
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    if (((guchar)text[i] & 0xC0) != 0x80)
      n++;
  return n;
}

/* --- JSON pointers ------------------------------------------------------- */

/* Resolves a "#..." reference against @root. Returns FALSE with @problem set
 * when it does not resolve. */
static gboolean
resolve_pointer(json_object *root, const char *ref, json_object **out, char **problem,
                GString *path)
{
  g_autofree char *fragment = g_uri_unescape_string(ref + 1, NULL);
  if (fragment == NULL) {
    *problem = g_strdup("bad percent-encoding");
    return FALSE;
  }
  if (*fragment == '\0') {
    *out = root;
    return TRUE;
  }
  if (*fragment != '/') {
    *problem = g_strdup("plain-name fragments (anchors) are not supported; use a JSON pointer "
                        "such as \"#/definitions/NAME\"");
    return FALSE;
  }
  g_auto(GStrv) tokens = g_strsplit(fragment + 1, "/", -1);
  json_object *node = root;
  for (char **t = tokens; *t != NULL; t++) {
    g_autoptr(GString) token = g_string_new(NULL);
    for (const char *p = *t; *p; p++) {
      if (p[0] == '~' && p[1] == '1') {
        g_string_append_c(token, '/');
        p++;
      } else if (p[0] == '~' && p[1] == '0') {
        g_string_append_c(token, '~');
        p++;
      } else {
        g_string_append_c(token, *p);
      }
    }
    if (json_object_is_type(node, json_type_object)) {
      if (path != NULL)
        path_append_key(path, token->str);
      if (!json_object_object_get_ex(node, token->str, &node)) {
        *problem = g_strdup_printf("no member \"%s\"", token->str);
        return FALSE;
      }
    } else if (json_object_is_type(node, json_type_array)) {
      guint64 index;
      if (!g_ascii_string_to_unsigned(token->str, 10, 0, G_MAXINT32, &index, NULL) ||
          index >= json_object_array_length(node)) {
        *problem = g_strdup_printf("no array item \"%s\"", token->str);
        return FALSE;
      }
      if (path != NULL)
        path_append_index(path, (gsize)index);
      node = json_object_array_get_idx(node, (size_t)index);
    } else {
      *problem = g_strdup_printf("\"%s\" inside a %s", token->str, type_name(node));
      return FALSE;
    }
  }
  *out = node;
  return TRUE;
}

/* --- compiling ----------------------------------------------------------- */

typedef struct {
  InfJsonSchema *schema;
  const char *root_path; /* the schema's own JSON path, for messages */
  const char *nested_id; /* the $id of an enclosing subschema (a new base URI), or NULL */
  GHashTable *visited;   /* json_object * already compiled -> its JSON path */
  GPtrArray *order;      /* the same json_object *, in the order compiled */
  GError **error;
} Compiler;

static gboolean compile_schema(Compiler *c, json_object *s, GString *path);
static gboolean compile_keywords(Compiler *c, json_object *s, GString *path);

static gboolean compile_fail(Compiler *c, GString *path, const char *keyword, const char *format,
                             ...) G_GNUC_PRINTF(4, 5);

static gboolean
compile_fail(Compiler *c, GString *path, const char *keyword, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  gsize len = path->len;
  if (keyword != NULL)
    path_append_key(path, keyword);
  g_set_error(c->error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s", path->str, message);
  g_string_truncate(path, len);
  return FALSE;
}

static gboolean
compile_child(Compiler *c, json_object *s, GString *path, const char *keyword)
{
  gsize len = path->len;
  path_append_key(path, keyword);
  gboolean ok = compile_schema(c, s, path);
  g_string_truncate(path, len);
  return ok;
}

/* Compiles @pattern into the schema's regexes, once per pattern text. */
static gboolean
cache_regex(Compiler *c, const char *pattern, GError **error)
{
  if (g_hash_table_contains(c->schema->regexes, pattern))
    return TRUE;
  GRegex *regex = g_regex_new(pattern, 0, 0, error);
  if (regex == NULL)
    return FALSE;
  g_hash_table_insert(c->schema->regexes, g_strdup(pattern), regex);
  return TRUE;
}

/* The name of a patternProperties member: a regular expression. */
static gboolean
compile_key_pattern(Compiler *c, const char *key, GString *path)
{
  g_autoptr(GError) regex_error = NULL;
  if (cache_regex(c, key, &regex_error))
    return TRUE;
  gsize len = path->len;
  path_append_key(path, key);
  g_set_error(c->error, INF_ERROR, INF_ERROR_CONFIG,
              "%s: the property name pattern is not a valid regular expression: %s", path->str,
              regex_error->message);
  g_string_truncate(path, len);
  return FALSE;
}

/* An object whose members are schemas (properties, definitions, ...). */
static gboolean
compile_schema_map(Compiler *c, json_object *map, GString *path, const char *keyword,
                   gboolean keys_are_patterns)
{
  if (!json_object_is_type(map, json_type_object))
    return compile_fail(c, path, keyword, "expected an object of schemas, got %s", type_name(map));
  gboolean ok = TRUE;
  gsize len = path->len;
  path_append_key(path, keyword);
  json_object_object_foreach(map, key, value)
  {
    ok = compile_child(c, value, path, key) &&
         (!keys_are_patterns || compile_key_pattern(c, key, path));
    if (!ok)
      break;
  }
  g_string_truncate(path, len);
  return ok;
}

/* A non-empty array of schemas (allOf, anyOf, oneOf; items as a list). */
static gboolean
compile_schema_list(Compiler *c, json_object *list, GString *path, const char *keyword,
                    gboolean allow_empty)
{
  if (!json_object_is_type(list, json_type_array) ||
      (!allow_empty && json_object_array_length(list) == 0)) {
    g_autofree char *quoted = quote_value(list);
    return compile_fail(c, path, keyword, "expected a%s array of schemas, got %s",
                        allow_empty ? "n" : " non-empty", quoted);
  }
  gsize len = path->len;
  path_append_key(path, keyword);
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    gsize inner = path->len;
    path_append_index(path, i);
    gboolean ok = compile_schema(c, json_object_array_get_idx(list, i), path);
    g_string_truncate(path, inner);
    if (!ok)
      return FALSE;
  }
  g_string_truncate(path, len);
  return TRUE;
}

static gboolean
is_string_array(json_object *value)
{
  if (!json_object_is_type(value, json_type_array))
    return FALSE;
  for (size_t i = 0; i < json_object_array_length(value); i++)
    if (!json_object_is_type(json_object_array_get_idx(value, i), json_type_string))
      return FALSE;
  return TRUE;
}

static gboolean
compile_ref(Compiler *c, json_object *value, GString *path)
{
  if (!json_object_is_type(value, json_type_string))
    return compile_fail(c, path, "$ref", "expected a string, got %s", type_name(value));
  const char *ref = json_object_get_string(value);
  if (c->nested_id != NULL)
    return compile_fail(c, path, "$ref",
                        "\"%s\" stands inside a subschema whose $id \"%s\" changes the base URI; "
                        "references relative to an $id are not supported: drop that $id",
                        ref, c->nested_id);
  if (ref[0] != '#')
    return compile_fail(c, path, "$ref",
                        "\"%s\": only references inside this schema are supported (\"#\", "
                        "\"#/definitions/NAME\", \"#/$defs/NAME\" or another JSON pointer)",
                        ref);
  if (g_hash_table_contains(c->schema->refs, ref))
    return TRUE;
  json_object *target = NULL;
  g_autofree char *problem = NULL;
  g_autoptr(GString) target_path = g_string_new(c->root_path);
  if (!resolve_pointer(c->schema->root, ref, &target, &problem, target_path))
    return compile_fail(c, path, "$ref", "\"%s\" does not resolve: %s", ref, problem);
  g_hash_table_insert(c->schema->refs, g_strdup(ref), target);
  return compile_schema(c, target, target_path);
}

static gboolean
compile_schema(Compiler *c, json_object *s, GString *path)
{
  if (json_object_is_type(s, json_type_boolean))
    return TRUE;
  if (!json_object_is_type(s, json_type_object))
    return compile_fail(c, path, NULL, "expected a schema (an object or true/false), got %s",
                        type_name(s));
  if (g_hash_table_contains(c->visited, s))
    return TRUE;
  g_hash_table_insert(c->visited, s, g_strdup(path->str));
  g_ptr_array_add(c->order, s);

  /* An $id below the root starts a new base URI for the references inside. */
  const char *outer_id = c->nested_id;
  json_object *id;
  if (s != c->schema->root && json_object_object_get_ex(s, "$id", &id) &&
      json_object_is_type(id, json_type_string) && json_object_get_string(id)[0] != '#')
    c->nested_id = json_object_get_string(id);
  gboolean ok = compile_keywords(c, s, path);
  c->nested_id = outer_id;
  return ok;
}

/* The mask of the keywords schema object @s has (MASK_COMPILED set). */
static guint32
keyword_mask(json_object *s)
{
  guint32 mask = MASK_COMPILED;
  json_object_object_foreach(s, name, ignored)
  {
    (void)ignored;
    for (guint k = 0; k < KW_COUNT; k++)
      if (strcmp(name, keyword_names[k]) == 0)
        mask |= 1u << k;
  }
  return mask;
}

static gboolean
compile_type_name(Compiler *c, GString *path, const char *name)
{
  if (g_strv_contains(type_names, name))
    return TRUE;
  return compile_fail(c, path, "type", "unknown type \"%s\"; valid: %s", name,
                      "null, boolean, object, array, number, string, integer");
}

/* "type": a type name or an array of them. */
static gboolean
compile_type(Compiler *c, json_object *value, GString *path)
{
  if (json_object_is_type(value, json_type_string))
    return compile_type_name(c, path, json_object_get_string(value));
  if (!is_string_array(value))
    return compile_fail(c, path, "type", "expected a type name or an array of them, got %s",
                        type_name(value));
  for (size_t i = 0; i < json_object_array_length(value); i++)
    if (!compile_type_name(c, path, json_object_get_string(json_object_array_get_idx(value, i))))
      return FALSE;
  return TRUE;
}

/* "pattern": a regular expression, compiled once per pattern text. */
static gboolean
compile_pattern(Compiler *c, json_object *value, GString *path)
{
  if (!json_object_is_type(value, json_type_string))
    return compile_fail(c, path, "pattern", "expected a string, got %s", type_name(value));
  g_autoptr(GError) regex_error = NULL;
  if (!cache_regex(c, json_object_get_string(value), &regex_error))
    return compile_fail(c, path, "pattern", "not a valid regular expression: %s",
                        regex_error->message);
  return TRUE;
}

/* "dependencies": an object whose members are property lists or schemas. */
static gboolean
compile_dependencies(Compiler *c, json_object *value, GString *path)
{
  if (!json_object_is_type(value, json_type_object))
    return compile_fail(c, path, "dependencies", "expected an object, got %s", type_name(value));
  gboolean ok = TRUE;
  gsize len = path->len;
  path_append_key(path, "dependencies");
  json_object_object_foreach(value, name, dependency)
  {
    if (!is_string_array(dependency))
      ok = compile_child(c, dependency, path, name);
    if (!ok)
      break;
  }
  g_string_truncate(path, len);
  return ok;
}

/* Checks (and compiles the subschemas of) one keyword of a schema object.
 * Anything not listed is an annotation, "format", or an unknown keyword:
 * ignored. */
static gboolean
compile_keyword(Compiler *c, const char *keyword, json_object *value, GString *path)
{
  static const char *const numbers[] = { "minimum", "maximum", "exclusiveMinimum",
                                         "exclusiveMaximum", NULL };
  static const char *const counts[] = { "minLength",     "maxLength",     "minItems", "maxItems",
                                        "minProperties", "maxProperties", NULL };
  static const char *const children[] = { "additionalItems",
                                          "contains",
                                          "additionalProperties",
                                          "propertyNames",
                                          "not",
                                          "if",
                                          "then",
                                          "else",
                                          NULL };
  static const char *const maps[] = { "properties", "definitions", "$defs", NULL };
  static const char *const lists[] = { "allOf", "anyOf", "oneOf", NULL };

  if (strcmp(keyword, "$ref") == 0)
    return compile_ref(c, value, path);
  if (strcmp(keyword, "type") == 0)
    return compile_type(c, value, path);
  if (strcmp(keyword, "enum") == 0 && !json_object_is_type(value, json_type_array))
    return compile_fail(c, path, keyword, "expected an array, got %s", type_name(value));
  if (strcmp(keyword, "multipleOf") == 0 &&
      (!is_number(value) || json_object_get_double(value) <= 0))
    return compile_fail(c, path, keyword, "expected a number greater than 0");
  if (g_strv_contains(numbers, keyword) && !is_number(value))
    return compile_fail(c, path, keyword, "expected a number, got %s%s", type_name(value),
                        json_object_is_type(value, json_type_boolean)
                            ? " (draft 4's boolean form; in draft 7 the keyword holds the "
                              "limit itself)"
                            : "");
  if (g_strv_contains(counts, keyword) &&
      (!is_integer(value) || json_object_get_double(value) < 0)) {
    g_autofree char *quoted = quote_value(value);
    return compile_fail(c, path, keyword, "expected a non-negative integer, got %s", quoted);
  }
  if (strcmp(keyword, "pattern") == 0)
    return compile_pattern(c, value, path);
  if (strcmp(keyword, "items") == 0)
    return json_object_is_type(value, json_type_array)
               ? compile_schema_list(c, value, path, keyword, TRUE)
               : compile_child(c, value, path, keyword);
  if (g_strv_contains(children, keyword))
    return compile_child(c, value, path, keyword);
  if (g_strv_contains(maps, keyword))
    return compile_schema_map(c, value, path, keyword, FALSE);
  if (strcmp(keyword, "patternProperties") == 0)
    return compile_schema_map(c, value, path, keyword, TRUE);
  if (strcmp(keyword, "required") == 0 && !is_string_array(value))
    return compile_fail(c, path, keyword, "expected an array of property names, got %s",
                        type_name(value));
  if (strcmp(keyword, "uniqueItems") == 0 && !json_object_is_type(value, json_type_boolean))
    return compile_fail(c, path, keyword, "expected true or false, got %s", type_name(value));
  if (strcmp(keyword, "dependencies") == 0)
    return compile_dependencies(c, value, path);
  if (g_strv_contains(lists, keyword))
    return compile_schema_list(c, value, path, keyword, FALSE);
  return TRUE;
}

static gboolean
compile_keywords(Compiler *c, json_object *s, GString *path)
{
  g_hash_table_insert(c->schema->masks, s, GUINT_TO_POINTER(keyword_mask(s)));
  json_object_object_foreach(s, keyword, value)
  {
    if (!compile_keyword(c, keyword, value, path))
      return FALSE;
  }
  return TRUE;
}

/* Adds to @out the subschemas that apply to the same value as @s (no
 * descent into a member or an item). */
static void
in_place_children(const InfJsonSchema *schema, json_object *s, GPtrArray *out)
{
  json_object *value;
  if (json_object_object_get_ex(s, "$ref", &value)) {
    gpointer target;
    if (json_object_is_type(value, json_type_string) &&
        g_hash_table_lookup_extended(schema->refs, json_object_get_string(value), NULL, &target))
      g_ptr_array_add(out, target);
    return; /* $ref replaces its siblings */
  }
  const char *lists[] = { "allOf", "anyOf", "oneOf" };
  for (guint i = 0; i < G_N_ELEMENTS(lists); i++)
    if (json_object_object_get_ex(s, lists[i], &value) &&
        json_object_is_type(value, json_type_array))
      for (size_t j = 0; j < json_object_array_length(value); j++)
        g_ptr_array_add(out, json_object_array_get_idx(value, j));
  const char *singles[] = { "not", "if", "then", "else" };
  for (guint i = 0; i < G_N_ELEMENTS(singles); i++)
    if (json_object_object_get_ex(s, singles[i], &value))
      g_ptr_array_add(out, value);
  if (json_object_object_get_ex(s, "dependencies", &value) &&
      json_object_is_type(value, json_type_object)) {
    json_object_object_foreach(value, name, dependency)
    {
      (void)name;
      if (!is_string_array(dependency))
        g_ptr_array_add(out, dependency);
    }
  }
}

enum {
  CYCLE_OPEN = 1,
  CYCLE_DONE = 2
};

/* Fails when @s reaches itself again through subschemas that apply to the
 * same value: validation would never end. */
static gboolean
check_cycles(Compiler *c, json_object *s, GHashTable *state)
{
  if (!json_object_is_type(s, json_type_object))
    return TRUE;
  guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(state, s));
  if (seen == CYCLE_DONE)
    return TRUE;
  if (seen == CYCLE_OPEN) {
    const char *path = g_hash_table_lookup(c->visited, s);
    g_set_error(c->error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: this schema applies to the same value again through its own $ref, allOf, "
                "anyOf, oneOf, not, if/then/else or dependencies, without descending into the "
                "value: validation would never end",
                path != NULL ? path : c->root_path);
    return FALSE;
  }
  g_hash_table_insert(state, s, GUINT_TO_POINTER(CYCLE_OPEN));
  g_autoptr(GPtrArray) children = g_ptr_array_new();
  in_place_children(c->schema, s, children);
  for (guint i = 0; i < children->len; i++)
    if (!check_cycles(c, g_ptr_array_index(children, i), state))
      return FALSE;
  g_hash_table_insert(state, s, GUINT_TO_POINTER(CYCLE_DONE));
  return TRUE;
}

InfJsonSchema *
inf_json_schema_new(json_object *schema, const char *json_path, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  InfJsonSchema *self = g_new0(InfJsonSchema, 1);
  self->ref_count = 1;
  self->root = json_object_get(schema);
  self->regexes =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_regex_unref);
  self->refs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  self->masks = g_hash_table_new(NULL, NULL);
  const char *root_path = json_path != NULL && *json_path ? json_path : "schema";
  Compiler c = {
    self, root_path, NULL, g_hash_table_new_full(NULL, NULL, NULL, g_free), g_ptr_array_new(), error
  };
  g_autoptr(GString) path = g_string_new(root_path);
  gboolean ok = compile_schema(&c, schema, path);
  if (ok) {
    /* In compile order (the root first), so the error names the same place
     * every time. */
    g_autoptr(GHashTable) state = g_hash_table_new(NULL, NULL);
    for (guint i = 0; ok && i < c.order->len; i++)
      ok = check_cycles(&c, g_ptr_array_index(c.order, i), state);
  }
  g_hash_table_destroy(c.visited);
  g_ptr_array_unref(c.order);
  if (!ok) {
    inf_json_schema_unref(self);
    return NULL;
  }
  return self;
}

InfJsonSchema *
inf_json_schema_ref(InfJsonSchema *schema)
{
  g_return_val_if_fail(schema != NULL, NULL);
  schema->ref_count++;
  return schema;
}

void
inf_json_schema_unref(InfJsonSchema *schema)
{
  if (schema == NULL || --schema->ref_count > 0)
    return;
  json_object_put(schema->root);
  g_hash_table_destroy(schema->regexes);
  g_hash_table_destroy(schema->refs);
  g_hash_table_destroy(schema->masks);
  g_free(schema);
}

json_object *
inf_json_schema_get_json(const InfJsonSchema *schema)
{
  g_return_val_if_fail(schema != NULL, NULL);
  return schema->root;
}

/* --- validating ---------------------------------------------------------- */

/* One step of the instance path: a member name, or an array index. */
typedef struct {
  const char *key; /* borrowed from the instance; NULL: index */
  gsize index;
} Step;

typedef struct {
  const InfJsonSchema *schema;
  GArray *path; /* Step: the instance path being checked, rendered only on failure */
  guint32 mask; /* the keyword mask of the schema object being checked */
  guint quiet;  /* > 0: inside anyOf/oneOf/not/if: no message needed */
  guint depth;
  char *error_path;
  char *message;
} Validator;

static gboolean validate(Validator *v, json_object *s, json_object *x);

static gboolean fail(Validator *v, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
fail(Validator *v, const char *format, ...)
{
  if (v->quiet > 0 || v->message != NULL)
    return FALSE;
  va_list args;
  va_start(args, format);
  v->message = g_strdup_vprintf(format, args);
  va_end(args);
  GString *path = g_string_new("$");
  for (guint i = 0; i < v->path->len; i++) {
    const Step *step = &g_array_index(v->path, Step, i);
    if (step->key != NULL)
      path_append_key(path, step->key);
    else
      path_append_index(path, step->index);
  }
  v->error_path = g_string_free(path, FALSE);
  return FALSE;
}

/* Validates @x against @s without reporting (anyOf, oneOf, not, if). */
static gboolean
validate_quietly(Validator *v, json_object *s, json_object *x)
{
  v->quiet++;
  gboolean ok = validate(v, s, x);
  v->quiet--;
  return ok;
}

/* Validates @x, reached from the value being checked by @step, against @s. */
static gboolean
validate_step(Validator *v, json_object *s, json_object *x, Step step)
{
  g_array_append_val(v->path, step);
  gboolean ok = validate(v, s, x);
  g_array_set_size(v->path, v->path->len - 1);
  return ok;
}

static gboolean
validate_key(Validator *v, json_object *s, json_object *x, const char *key)
{
  return validate_step(v, s, x, (Step){ key, 0 });
}

static gboolean
validate_index(Validator *v, json_object *s, json_object *x, gsize index)
{
  return validate_step(v, s, x, (Step){ NULL, index });
}

/* Keyword @k of the schema object @s being validated (whose mask is
 * v->mask); *present says whether it is there (its value may be JSON null). */
static json_object *
keyword(const Validator *v, json_object *s, Keyword k, gboolean *present)
{
  json_object *value = NULL;
  *present = (v->mask & (1u << k)) != 0 && json_object_object_get_ex(s, keyword_names[k], &value);
  return value;
}

/* Checks the size @n of the value being checked ("the array has 3 items":
 * @what "the array", @unit "items") against its keywords @max and @min. */
static inline gboolean
validate_count(Validator *v, json_object *s, gsize n, Keyword max, Keyword min, const char *what,
               const char *unit)
{
  if ((v->mask & (1u << max | 1u << min)) == 0)
    return TRUE; /* the common case: neither keyword */
  gboolean present;
  json_object *limit;
  if ((limit = keyword(v, s, max, &present)) != NULL && (double)n > json_object_get_double(limit))
    return fail(v, "%s has %zu %s, more than %s %s", what, n, unit, keyword_names[max],
                json_object_get_string(limit));
  if ((limit = keyword(v, s, min, &present)) != NULL && (double)n < json_object_get_double(limit))
    return fail(v, "%s has %zu %s, fewer than %s %s", what, n, unit, keyword_names[min],
                json_object_get_string(limit));
  return TRUE;
}

static gboolean
validate_type(Validator *v, json_object *types, json_object *x)
{
  if (json_object_is_type(types, json_type_string)) {
    if (has_type(x, json_object_get_string(types)))
      return TRUE;
    return fail(v, "expected %s %s, got %s",
                strchr("aeiou", json_object_get_string(types)[0]) ? "an" : "a",
                json_object_get_string(types), type_name(x));
  }
  GString *names = g_string_new(NULL);
  for (size_t i = 0; i < json_object_array_length(types); i++) {
    const char *name = json_object_get_string(json_object_array_get_idx(types, i));
    if (has_type(x, name)) {
      g_string_free(names, TRUE);
      return TRUE;
    }
    g_string_append_printf(names, "%s%s", i > 0 ? " or " : "", name);
  }
  fail(v, "expected %s, got %s", names->str, type_name(x));
  g_string_free(names, TRUE);
  return FALSE;
}

static gboolean
validate_number(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *limit;
  double d = json_object_get_double(x);
  g_autofree char *number = quote_value(x);

  if ((limit = keyword(v, s, KW_MULTIPLE_OF, &present)) != NULL) {
    gboolean multiple;
    if (json_object_is_type(x, json_type_int) && json_object_is_type(limit, json_type_int)) {
      multiple = json_object_get_int64(x) % json_object_get_int64(limit) == 0;
    } else {
      double q = d / json_object_get_double(limit);
      multiple = isfinite(q) && fabs(q - nearbyint(q)) <= 1e-9 * MAX(1.0, fabs(q));
    }
    if (!multiple)
      return fail(v, "%s is not a multiple of %s", number, json_object_get_string(limit));
  }
  if ((limit = keyword(v, s, KW_MAXIMUM, &present)) != NULL && d > json_object_get_double(limit))
    return fail(v, "%s is greater than the maximum %s", number, json_object_get_string(limit));
  if ((limit = keyword(v, s, KW_EXCLUSIVE_MAXIMUM, &present)) != NULL &&
      d >= json_object_get_double(limit))
    return fail(v, "%s is not less than the exclusive maximum %s", number,
                json_object_get_string(limit));
  if ((limit = keyword(v, s, KW_MINIMUM, &present)) != NULL && d < json_object_get_double(limit))
    return fail(v, "%s is less than the minimum %s", number, json_object_get_string(limit));
  if ((limit = keyword(v, s, KW_EXCLUSIVE_MINIMUM, &present)) != NULL &&
      d <= json_object_get_double(limit))
    return fail(v, "%s is not greater than the exclusive minimum %s", number,
                json_object_get_string(limit));
  return TRUE;
}

static gboolean
validate_string(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *limit;
  const char *text = json_object_get_string(x);
  gsize len = (gsize)json_object_get_string_len(x);
  gsize n = count_code_points(text, len);

  if (!validate_count(v, s, n, KW_MAX_LENGTH, KW_MIN_LENGTH, "the string", "characters"))
    return FALSE;
  if ((limit = keyword(v, s, KW_PATTERN, &present)) != NULL) {
    GRegex *regex = g_hash_table_lookup(v->schema->regexes, json_object_get_string(limit));
    if (!g_utf8_validate_len(text, len, NULL))
      return fail(v, "the string is not valid UTF-8");
    if (!g_regex_match_full(regex, text, (gssize)len, 0, 0, NULL, NULL)) {
      g_autofree char *quoted = quote_value(x);
      return fail(v, "%s does not match the pattern %s", quoted,
                  json_object_to_json_string_ext(limit, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
    }
  }
  return TRUE;
}

static gboolean
validate_array(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *value;
  size_t n = json_object_array_length(x);

  if (!validate_count(v, s, n, KW_MAX_ITEMS, KW_MIN_ITEMS, "the array", "items"))
    return FALSE;
  json_object *items = keyword(v, s, KW_ITEMS, &present);
  if (present && json_object_is_type(items, json_type_array)) {
    size_t n_items = json_object_array_length(items);
    for (size_t i = 0; i < MIN(n, n_items); i++)
      if (!validate_index(v, json_object_array_get_idx(items, i), json_object_array_get_idx(x, i),
                          i))
        return FALSE;
    json_object *additional = NULL;
    present = json_object_object_get_ex(s, "additionalItems", &additional);
    for (size_t i = n_items; present && i < n; i++) {
      if (json_object_is_type(additional, json_type_boolean) &&
          !json_object_get_boolean(additional)) {
        return fail(v,
                    "the array has %zu items; the schema allows %zu (additionalItems is "
                    "false)",
                    n, n_items);
      }
      if (!validate_index(v, additional, json_object_array_get_idx(x, i), i))
        return FALSE;
    }
  } else if (present) {
    for (size_t i = 0; i < n; i++)
      if (!validate_index(v, items, json_object_array_get_idx(x, i), i))
        return FALSE;
  }
  value = keyword(v, s, KW_UNIQUE_ITEMS, &present);
  if (value != NULL && json_object_get_boolean(value)) {
    for (size_t i = 0; i < n; i++)
      for (size_t j = i + 1; j < n; j++)
        if (json_equal(json_object_array_get_idx(x, i), json_object_array_get_idx(x, j)))
          return fail(v, "items %zu and %zu are equal (uniqueItems)", i, j);
  }
  json_object *contains = keyword(v, s, KW_CONTAINS, &present);
  if (present) {
    gboolean found = FALSE;
    for (size_t i = 0; i < n && !found; i++)
      found = validate_quietly(v, contains, json_object_array_get_idx(x, i));
    if (!found)
      return fail(v, "no item matches the \"contains\" schema");
  }
  return TRUE;
}

/* Validates each member of object @x against "properties", the matching
 * "patternProperties" and, for the members neither names,
 * "additionalProperties". */
static gboolean
validate_members(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *properties = keyword(v, s, KW_PROPERTIES, &present);
  json_object *patterns = keyword(v, s, KW_PATTERN_PROPERTIES, &present);
  json_object *additional = keyword(v, s, KW_ADDITIONAL_PROPERTIES, &present);
  gboolean has_additional = present;
  json_object_object_foreach(x, key, member)
  {
    json_object *sub;
    gboolean known = FALSE;
    if (properties != NULL && json_object_object_get_ex(properties, key, &sub)) {
      known = TRUE;
      if (!validate_key(v, sub, member, key))
        return FALSE;
    }
    if (patterns != NULL) {
      json_object_object_foreach(patterns, pattern, pattern_schema)
      {
        GRegex *regex = g_hash_table_lookup(v->schema->regexes, pattern);
        if (!g_regex_match(regex, key, 0, NULL))
          continue;
        known = TRUE;
        if (!validate_key(v, pattern_schema, member, key))
          return FALSE;
      }
    }
    if (known || !has_additional)
      continue;
    if (json_object_is_type(additional, json_type_boolean) &&
        !json_object_get_boolean(additional)) {
      Step step = { key, 0 };
      g_array_append_val(v->path, step);
      fail(v, "the property \"%s\" is not allowed (additionalProperties is false)", key);
      g_array_set_size(v->path, v->path->len - 1);
      return FALSE;
    }
    if (!validate_key(v, additional, member, key))
      return FALSE;
  }
  return TRUE;
}

/* "dependencies" (@dependencies): for each member of @x it names, the
 * properties @x must also have, or a schema @x must match. */
static gboolean
validate_dependencies(Validator *v, json_object *dependencies, json_object *x)
{
  json_object_object_foreach(dependencies, name, dependency)
  {
    if (!json_object_object_get_ex(x, name, NULL))
      continue;
    if (!json_object_is_type(dependency, json_type_array)) {
      if (!validate(v, dependency, x))
        return FALSE;
      continue;
    }
    for (size_t i = 0; i < json_object_array_length(dependency); i++) {
      const char *needed = json_object_get_string(json_object_array_get_idx(dependency, i));
      if (!json_object_object_get_ex(x, needed, NULL))
        return fail(v, "the property \"%s\" requires the property \"%s\" (dependencies)", name,
                    needed);
    }
  }
  return TRUE;
}

/* "propertyNames" (@names): every member name of @x must match it. */
static gboolean
validate_property_names(Validator *v, json_object *names, json_object *x)
{
  json_object_object_foreach(x, key, member)
  {
    (void)member;
    json_object *name = json_object_new_string(key);
    gboolean ok = validate_quietly(v, names, name);
    json_object_put(name);
    if (!ok)
      return fail(v, "the property name \"%s\" does not match \"propertyNames\"", key);
  }
  return TRUE;
}

static gboolean
validate_object(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *value;
  gsize n = (gsize)json_object_object_length(x);

  if (!validate_count(v, s, n, KW_MAX_PROPERTIES, KW_MIN_PROPERTIES, "the object", "properties"))
    return FALSE;
  if ((value = keyword(v, s, KW_REQUIRED, &present)) != NULL) {
    for (size_t i = 0; i < json_object_array_length(value); i++) {
      const char *name = json_object_get_string(json_object_array_get_idx(value, i));
      if (!json_object_object_get_ex(x, name, NULL))
        return fail(v, "the required property \"%s\" is missing", name);
    }
  }
  if (!validate_members(v, s, x))
    return FALSE;
  if ((value = keyword(v, s, KW_DEPENDENCIES, &present)) != NULL &&
      !validate_dependencies(v, value, x))
    return FALSE;
  value = keyword(v, s, KW_PROPERTY_NAMES, &present);
  if (present && !validate_property_names(v, value, x))
    return FALSE;
  return TRUE;
}

static gboolean
validate_combinators(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *list;

  if ((list = keyword(v, s, KW_ALL_OF, &present)) != NULL) {
    for (size_t i = 0; i < json_object_array_length(list); i++)
      if (!validate(v, json_object_array_get_idx(list, i), x))
        return FALSE;
  }
  if ((list = keyword(v, s, KW_ANY_OF, &present)) != NULL) {
    gboolean any = FALSE;
    for (size_t i = 0; i < json_object_array_length(list) && !any; i++)
      any = validate_quietly(v, json_object_array_get_idx(list, i), x);
    if (!any)
      return fail(v, "the value matches none of the %zu schemas of anyOf",
                  json_object_array_length(list));
  }
  if ((list = keyword(v, s, KW_ONE_OF, &present)) != NULL) {
    size_t matched = 0, first = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
      if (validate_quietly(v, json_object_array_get_idx(list, i), x)) {
        if (matched++ == 0)
          first = i;
        else
          return fail(v, "the value matches schemas %zu and %zu of oneOf; exactly one must match",
                      first, i);
      }
    }
    if (matched == 0)
      return fail(v, "the value matches none of the %zu schemas of oneOf",
                  json_object_array_length(list));
  }
  json_object *not = keyword(v, s, KW_NOT, &present);
  if (present && validate_quietly(v, not, x))
    return fail(v, "the value matches the schema under \"not\"");
  json_object *condition = keyword(v, s, KW_IF, &present);
  if (present) {
    gboolean branch_present;
    const char *branch = validate_quietly(v, condition, x) ? "then" : "else";
    json_object *sub = NULL;
    branch_present = json_object_object_get_ex(s, branch, &sub);
    if (branch_present && !validate(v, sub, x))
      return FALSE;
  }
  return TRUE;
}

static gboolean
validate(Validator *v, json_object *s, json_object *x)
{
  gboolean present;
  json_object *value;

  if (json_object_is_type(s, json_type_boolean))
    return json_object_get_boolean(s) ? TRUE : fail(v, "no value is allowed here (schema false)");
  if (v->depth >= MAX_DEPTH)
    return fail(v, "the schema nests deeper than %d levels here", MAX_DEPTH);
  v->depth++;
  guint32 outer_mask = v->mask;
  v->mask = GPOINTER_TO_UINT(g_hash_table_lookup(v->schema->masks, s));
  if (v->mask == 0)
    v->mask = ~0u; /* not compiled (cannot happen): look every keyword up */
  gboolean ok = TRUE;
  json_object *ref = keyword(v, s, KW_REF, &present);
  if (present) {
    /* Draft 7: $ref replaces its sibling keywords. */
    ok = validate(v, g_hash_table_lookup(v->schema->refs, json_object_get_string(ref)), x);
    v->mask = outer_mask;
    v->depth--;
    return ok;
  }
  if ((value = keyword(v, s, KW_TYPE, &present)) != NULL)
    ok = validate_type(v, value, x);
  if (ok && (value = keyword(v, s, KW_ENUM, &present)) != NULL) {
    ok = FALSE;
    for (size_t i = 0; i < json_object_array_length(value) && !ok; i++)
      ok = json_equal(json_object_array_get_idx(value, i), x);
    if (!ok) {
      g_autofree char *quoted = quote_value(x);
      g_autofree char *choices = quote_value_max(value, 400); /* a repair needs them all */
      fail(v, "%s is not one of the allowed values %s", quoted, choices);
    }
  }
  value = keyword(v, s, KW_CONST, &present);
  if (ok && present && !json_equal(value, x)) {
    g_autofree char *quoted = quote_value(x);
    g_autofree char *expected = quote_value_max(value, 400);
    ok = fail(v, "%s is not the constant %s", quoted, expected);
  }
  if (ok && is_number(x))
    ok = validate_number(v, s, x);
  else if (ok && json_object_is_type(x, json_type_string))
    ok = validate_string(v, s, x);
  else if (ok && json_object_is_type(x, json_type_array))
    ok = validate_array(v, s, x);
  else if (ok && json_object_is_type(x, json_type_object))
    ok = validate_object(v, s, x);
  if (ok)
    ok = validate_combinators(v, s, x);
  v->mask = outer_mask;
  v->depth--;
  return ok;
}

gboolean
inf_json_schema_validate(const InfJsonSchema *schema, json_object *instance, char **out_path,
                         GError **error)
{
  g_return_val_if_fail(schema != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  Validator v = { .schema = schema, .path = g_array_sized_new(FALSE, FALSE, sizeof(Step), 16) };
  gboolean ok = validate(&v, schema->root, instance);
  g_array_unref(v.path);
  if (out_path != NULL)
    *out_path = ok ? NULL : g_strdup(v.error_path);
  if (!ok)
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT, "%s: %s", v.error_path, v.message);
  g_free(v.error_path);
  g_free(v.message);
  return ok;
}
