/* InfValue: refcounted, immutable data flowing between nodes.
 *
 * Hot path: hundreds of thousands of values per second. Scalars and copied
 * texts take exactly one allocation (the text is stored inline after the
 * struct); lists store their items inline too. Dicts are ordered arrays of
 * key/value pairs searched linearly; only large dicts get a hash index,
 * built lazily on the first lookup.
 *
 * The reference count is a plain (non-atomic) integer: values belong to the
 * main loop thread and must not be shared between threads.
 */
#include "value-private.h"

#include <inf/error.h>
#include <math.h>
#include <string.h>

/* Dicts with more entries than this get a hash index on first lookup. */
#define DICT_INDEX_THRESHOLD 16

typedef struct {
  char *key;
  InfValue *value;
} DictEntry;

struct _InfValue {
  guint ref_count;
  InfValueKind kind;
  union {
    gboolean b;
    gint64 i;
    double d;
    struct {
      char *str; /* points to inline storage or to an owned g_malloc'ed string */
      gsize len;
    } text;
    json_object *json;
    struct {
      guint n;
      InfValue **items; /* points to inline storage */
    } list;
    struct {
      guint n;
      guint alloc;
      DictEntry *entries;
      GHashTable *index; /* key → entry index + 1, only for large dicts */
    } dict;
    struct {
      GError *error;
      char *node;
    } error;
    struct {
      char *node;
      char **path; /* NULL-terminated, never NULL */
    } ref;
  } u;
  /* Inline storage: text bytes or list items. */
  gpointer tail[];
};

static inline InfValue *
value_alloc(InfValueKind kind, gsize extra)
{
  InfValue *v = g_malloc(offsetof(InfValue, tail) + extra);
  v->ref_count = 1;
  v->kind = kind;
  return v;
}

InfValue *
inf_value_new_null(void)
{
  return value_alloc(INF_VALUE_NULL, 0);
}

InfValue *
inf_value_new_bool(gboolean b)
{
  InfValue *v = value_alloc(INF_VALUE_BOOL, 0);
  v->u.b = b ? TRUE : FALSE;
  return v;
}

InfValue *
inf_value_new_int(gint64 i)
{
  InfValue *v = value_alloc(INF_VALUE_INT, 0);
  v->u.i = i;
  return v;
}

InfValue *
inf_value_new_double(double d)
{
  InfValue *v = value_alloc(INF_VALUE_DOUBLE, 0);
  v->u.d = d;
  return v;
}

InfValue *
inf_value_new_text_len(const char *text, gsize len)
{
  g_return_val_if_fail(text != NULL || len == 0, NULL);
  InfValue *v = value_alloc(INF_VALUE_TEXT, len + 1);
  char *dst = (char *)v->tail;
  if (len > 0)
    memcpy(dst, text, len);
  dst[len] = '\0';
  v->u.text.str = dst;
  v->u.text.len = len;
  return v;
}

InfValue *
inf_value_new_text(const char *text)
{
  g_return_val_if_fail(text != NULL, NULL);
  return inf_value_new_text_len(text, strlen(text));
}

InfValue *
inf_value_new_text_take(char *text)
{
  g_return_val_if_fail(text != NULL, NULL);
  InfValue *v = value_alloc(INF_VALUE_TEXT, 0);
  v->u.text.str = text;
  v->u.text.len = strlen(text);
  return v;
}

InfValue *
inf_value_new_json(json_object *json)
{
  InfValue *v;
  switch (json_object_get_type(json)) {
  case json_type_null:
    v = inf_value_new_null();
    break;
  case json_type_boolean:
    v = inf_value_new_bool(json_object_get_boolean(json));
    break;
  case json_type_int:
    v = inf_value_new_int(json_object_get_int64(json));
    break;
  case json_type_double:
    v = inf_value_new_double(json_object_get_double(json));
    break;
  case json_type_string:
    v = inf_value_new_text_len(json_object_get_string(json),
                               (gsize)json_object_get_string_len(json));
    break;
  case json_type_object:
  case json_type_array:
    v = value_alloc(INF_VALUE_JSON, 0);
    v->u.json = json; /* takes the caller's reference */
    return v;
  default:
    v = inf_value_new_null();
    break;
  }
  json_object_put(json);
  return v;
}

InfValue *
inf_value_new_list(InfValue *const *items, guint n)
{
  g_return_val_if_fail(items != NULL || n == 0, NULL);
  InfValue *v = value_alloc(INF_VALUE_LIST, sizeof(InfValue *) * n);
  v->u.list.n = n;
  v->u.list.items = (InfValue **)v->tail;
  for (guint k = 0; k < n; k++) {
    g_return_val_if_fail(items[k] != NULL, (v->u.list.n = k, inf_value_unref(v), NULL));
    v->u.list.items[k] = inf_value_ref(items[k]);
  }
  return v;
}

InfValue *
inf_value_new_dict(void)
{
  InfValue *v = value_alloc(INF_VALUE_DICT, 0);
  v->u.dict.n = 0;
  v->u.dict.alloc = 0;
  v->u.dict.entries = NULL;
  v->u.dict.index = NULL;
  return v;
}

static void
dict_build_index(InfValue *dict)
{
  dict->u.dict.index = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint k = 0; k < dict->u.dict.n; k++) {
    /* First occurrence wins; keys are unique anyway. */
    if (!g_hash_table_contains(dict->u.dict.index, dict->u.dict.entries[k].key))
      g_hash_table_insert(dict->u.dict.index, dict->u.dict.entries[k].key, GUINT_TO_POINTER(k + 1));
  }
}

/* The position of @key in @dict, or -1. */
static gint
dict_find(const InfValue *dict, const char *key)
{
  guint n = dict->u.dict.n;
  if (n > DICT_INDEX_THRESHOLD) {
    /* The index is a cache: building it does not change the value. */
    if (dict->u.dict.index == NULL)
      dict_build_index((InfValue *)dict);
    guint pos = GPOINTER_TO_UINT(g_hash_table_lookup(dict->u.dict.index, key));
    return (gint)pos - 1;
  }
  const DictEntry *e = dict->u.dict.entries;
  for (guint k = 0; k < n; k++)
    if (strcmp(e[k].key, key) == 0)
      return (gint)k;
  return -1;
}

void
inf_value_dict_set(InfValue *dict, const char *key, InfValue *item)
{
  g_return_if_fail(dict != NULL && dict->kind == INF_VALUE_DICT);
  g_return_if_fail(key != NULL);
  g_return_if_fail(item != NULL);

  gint pos = dict_find(dict, key);
  if (pos >= 0) {
    InfValue *old = dict->u.dict.entries[pos].value;
    dict->u.dict.entries[pos].value = inf_value_ref(item);
    inf_value_unref(old);
    return;
  }
  if (dict->u.dict.n == dict->u.dict.alloc) {
    dict->u.dict.alloc = dict->u.dict.alloc ? dict->u.dict.alloc * 2 : 4;
    dict->u.dict.entries = g_renew(DictEntry, dict->u.dict.entries, dict->u.dict.alloc);
  }
  DictEntry *e = &dict->u.dict.entries[dict->u.dict.n];
  e->key = g_strdup(key);
  e->value = inf_value_ref(item);
  dict->u.dict.n++;
  if (dict->u.dict.index != NULL)
    g_hash_table_insert(dict->u.dict.index, e->key, GUINT_TO_POINTER(dict->u.dict.n));
}

InfValue *
inf_value_new_error(const GError *error, const char *node_id)
{
  g_return_val_if_fail(error != NULL, NULL);
  InfValue *v = value_alloc(INF_VALUE_ERROR, 0);
  v->u.error.error = g_error_copy(error);
  v->u.error.node = g_strdup(node_id);
  return v;
}

InfValue *
inf_value_new_error_take(GError *error, const char *node_id)
{
  g_return_val_if_fail(error != NULL, NULL);
  InfValue *v = value_alloc(INF_VALUE_ERROR, 0);
  v->u.error.error = error;
  v->u.error.node = g_strdup(node_id);
  return v;
}

InfValue *
inf_value_new_ref(const char *node_id, const char *const *path)
{
  g_return_val_if_fail(node_id != NULL, NULL);
  InfValue *v = value_alloc(INF_VALUE_REF, 0);
  v->u.ref.node = g_strdup(node_id);
  if (path != NULL)
    v->u.ref.path = g_strdupv((char **)path);
  else
    v->u.ref.path = g_new0(char *, 1);
  return v;
}

InfValue *
inf_value_ref(InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  value->ref_count++;
  return value;
}

static void
value_free(InfValue *v)
{
  switch (v->kind) {
  case INF_VALUE_TEXT:
    if (v->u.text.str != (char *)v->tail)
      g_free(v->u.text.str);
    break;
  case INF_VALUE_JSON:
    json_object_put(v->u.json);
    break;
  case INF_VALUE_LIST:
    for (guint k = 0; k < v->u.list.n; k++)
      inf_value_unref(v->u.list.items[k]);
    break;
  case INF_VALUE_DICT:
    if (v->u.dict.index != NULL)
      g_hash_table_unref(v->u.dict.index);
    for (guint k = 0; k < v->u.dict.n; k++) {
      g_free(v->u.dict.entries[k].key);
      inf_value_unref(v->u.dict.entries[k].value);
    }
    g_free(v->u.dict.entries);
    break;
  case INF_VALUE_ERROR:
    g_error_free(v->u.error.error);
    g_free(v->u.error.node);
    break;
  case INF_VALUE_REF:
    g_free(v->u.ref.node);
    g_strfreev(v->u.ref.path);
    break;
  default:
    break;
  }
  g_free(v);
}

void
inf_value_unref(InfValue *value)
{
  g_return_if_fail(value != NULL);
  g_return_if_fail(value->ref_count > 0);
  if (--value->ref_count == 0)
    value_free(value);
}

guint
inf_value_get_ref_count(const InfValue *value)
{
  return value->ref_count;
}

InfValueKind
inf_value_get_kind(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, INF_VALUE_NULL);
  return value->kind;
}

const char *
inf_value_kind_name(InfValueKind kind)
{
  switch (kind) {
  case INF_VALUE_NULL:
    return "null";
  case INF_VALUE_BOOL:
    return "bool";
  case INF_VALUE_INT:
    return "int";
  case INF_VALUE_DOUBLE:
    return "double";
  case INF_VALUE_TEXT:
    return "text";
  case INF_VALUE_JSON:
    return "json";
  case INF_VALUE_LIST:
    return "list";
  case INF_VALUE_DICT:
    return "dict";
  case INF_VALUE_ERROR:
    return "error";
  case INF_VALUE_REF:
    return "ref";
  }
  return "unknown";
}

gboolean
inf_value_is_null(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, FALSE);
  return value->kind == INF_VALUE_NULL;
}

gboolean
inf_value_get_bool(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, FALSE);
  return value->kind == INF_VALUE_BOOL ? value->u.b : FALSE;
}

gint64
inf_value_get_int(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, 0);
  return value->kind == INF_VALUE_INT ? value->u.i : 0;
}

double
inf_value_get_double(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, 0.0);
  if (value->kind == INF_VALUE_DOUBLE)
    return value->u.d;
  if (value->kind == INF_VALUE_INT)
    return (double)value->u.i;
  return 0.0;
}

const char *
inf_value_get_text(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  return value->kind == INF_VALUE_TEXT ? value->u.text.str : NULL;
}

gsize
inf_value_get_text_length(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, 0);
  return value->kind == INF_VALUE_TEXT ? value->u.text.len : 0;
}

json_object *
inf_value_get_json(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  return value->kind == INF_VALUE_JSON ? value->u.json : NULL;
}

guint
inf_value_list_length(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, 0);
  return value->kind == INF_VALUE_LIST ? value->u.list.n : 0;
}

InfValue *
inf_value_list_get(const InfValue *value, guint index)
{
  g_return_val_if_fail(value != NULL, NULL);
  if (value->kind != INF_VALUE_LIST || index >= value->u.list.n)
    return NULL;
  return value->u.list.items[index];
}

guint
inf_value_dict_size(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, 0);
  return value->kind == INF_VALUE_DICT ? value->u.dict.n : 0;
}

const char *
inf_value_dict_key(const InfValue *value, guint index)
{
  g_return_val_if_fail(value != NULL, NULL);
  if (value->kind != INF_VALUE_DICT || index >= value->u.dict.n)
    return NULL;
  return value->u.dict.entries[index].key;
}

InfValue *
inf_value_dict_value(const InfValue *value, guint index)
{
  g_return_val_if_fail(value != NULL, NULL);
  if (value->kind != INF_VALUE_DICT || index >= value->u.dict.n)
    return NULL;
  return value->u.dict.entries[index].value;
}

InfValue *
inf_value_dict_lookup(const InfValue *value, const char *key)
{
  g_return_val_if_fail(value != NULL, NULL);
  g_return_val_if_fail(key != NULL, NULL);
  if (value->kind != INF_VALUE_DICT)
    return NULL;
  gint pos = dict_find(value, key);
  return pos >= 0 ? value->u.dict.entries[pos].value : NULL;
}

const GError *
inf_value_get_error(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  return value->kind == INF_VALUE_ERROR ? value->u.error.error : NULL;
}

const char *
inf_value_get_error_node(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  return value->kind == INF_VALUE_ERROR ? value->u.error.node : NULL;
}

const char *
inf_value_get_ref_node(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  return value->kind == INF_VALUE_REF ? value->u.ref.node : NULL;
}

const char *const *
inf_value_get_ref_path(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  return value->kind == INF_VALUE_REF ? (const char *const *)value->u.ref.path : NULL;
}

/* Parses a non-negative decimal index ("0", "12"); no sign, no spaces. */
static gboolean
parse_index(const char *key, guint *out)
{
  if (key[0] == '\0')
    return FALSE;
  guint64 n = 0;
  for (const char *p = key; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return FALSE;
    n = n * 10 + (guint64)(*p - '0');
    if (n > G_MAXUINT)
      return FALSE;
  }
  *out = (guint)n;
  return TRUE;
}

/* A json-c member as a value: borrowed @json, a new value. */
InfValue *
inf_value_from_json(json_object *json)
{
  switch (json_object_get_type(json)) {
  case json_type_null:
    return inf_value_new_null();
  case json_type_boolean:
    return inf_value_new_bool(json_object_get_boolean(json));
  case json_type_int:
    return inf_value_new_int(json_object_get_int64(json));
  case json_type_double:
    return inf_value_new_double(json_object_get_double(json));
  case json_type_string:
    return inf_value_new_text_len(json_object_get_string(json),
                                  (gsize)json_object_get_string_len(json));
  case json_type_object:
  case json_type_array: {
    InfValue *v = value_alloc(INF_VALUE_JSON, 0);
    v->u.json = json_object_get(json);
    return v;
  }
  default:
    return inf_value_new_null();
  }
}

static InfValue *
json_member(json_object *json, const char *key)
{
  if (json_object_is_type(json, json_type_object)) {
    json_object *member;
    if (!json_object_object_get_ex(json, key, &member))
      return NULL;
    return inf_value_from_json(member);
  }
  if (json_object_is_type(json, json_type_array)) {
    guint index;
    if (!parse_index(key, &index) || index >= json_object_array_length(json))
      return NULL;
    return inf_value_from_json(json_object_array_get_idx(json, index));
  }
  return NULL;
}

InfValue *
inf_value_get(InfValue *value, const char *key)
{
  g_return_val_if_fail(value != NULL, NULL);
  g_return_val_if_fail(key != NULL, NULL);

  switch (value->kind) {
  case INF_VALUE_REF: {
    guint n = g_strv_length(value->u.ref.path);
    InfValue *v = value_alloc(INF_VALUE_REF, 0);
    v->u.ref.node = g_strdup(value->u.ref.node);
    v->u.ref.path = g_new(char *, n + 2);
    for (guint k = 0; k < n; k++)
      v->u.ref.path[k] = g_strdup(value->u.ref.path[k]);
    v->u.ref.path[n] = g_strdup(key);
    v->u.ref.path[n + 1] = NULL;
    return v;
  }
  case INF_VALUE_DICT: {
    gint pos = dict_find(value, key);
    return pos >= 0 ? inf_value_ref(value->u.dict.entries[pos].value) : NULL;
  }
  case INF_VALUE_LIST: {
    guint index;
    if (!parse_index(key, &index) || index >= value->u.list.n)
      return NULL;
    return inf_value_ref(value->u.list.items[index]);
  }
  case INF_VALUE_JSON:
    return json_member(value->u.json, key);
  case INF_VALUE_TEXT: {
    /* Only texts that look like a JSON object are parsed. */
    const char *p = value->u.text.str;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
      p++;
    if (*p != '{')
      return NULL;
    json_tokener *tok = json_tokener_new();
    json_object *parsed =
        json_tokener_parse_ex(tok, value->u.text.str, (int)MIN(value->u.text.len, G_MAXINT));
    gboolean ok = json_tokener_get_error(tok) == json_tokener_success;
    if (ok) {
      /* Only whitespace may follow the object. */
      for (gsize k = json_tokener_get_parse_end(tok); k < value->u.text.len; k++)
        if (!g_ascii_isspace(value->u.text.str[k])) {
          ok = FALSE;
          break;
        }
    }
    json_tokener_free(tok);
    InfValue *result = NULL;
    if (ok && json_object_is_type(parsed, json_type_object))
      result = json_member(parsed, key);
    json_object_put(parsed);
    return result;
  }
  default:
    return NULL;
  }
}

/* The shortest representation of @d that reads back to the same double, as a
 * json-c double (json-c's own "%.17g" prints 0.1 as 0.10000000000000001). */
static json_object *
json_new_double(double d)
{
  if (!isfinite(d))
    return json_object_new_double(d);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  for (guint k = 0; k < G_N_ELEMENTS(formats); k++) {
    g_ascii_formatd(buf, sizeof buf, formats[k], d);
    if (g_ascii_strtod(buf, NULL) == d)
      break;
  }
  /* Keep it a JSON double: "1" → "1.0". */
  if (strpbrk(buf, ".eEn") == NULL && strlen(buf) + 3 < sizeof buf)
    strcat(buf, ".0");
  return json_object_new_double_s(d, buf);
}

static char *
ref_to_string(const InfValue *value)
{
  GString *s = g_string_new(value->u.ref.node);
  for (char **p = value->u.ref.path; *p != NULL; p++) {
    g_string_append_c(s, '.');
    g_string_append(s, *p);
  }
  return g_string_free(s, FALSE);
}

json_object *
inf_value_to_json(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  switch (value->kind) {
  case INF_VALUE_NULL:
    return NULL; /* json-c's JSON null */
  case INF_VALUE_BOOL:
    return json_object_new_boolean(value->u.b);
  case INF_VALUE_INT:
    return json_object_new_int64(value->u.i);
  case INF_VALUE_DOUBLE:
    return json_new_double(value->u.d);
  case INF_VALUE_TEXT:
    return json_object_new_string_len(value->u.text.str, (int)value->u.text.len);
  case INF_VALUE_JSON:
    return json_object_get(value->u.json);
  case INF_VALUE_LIST: {
    json_object *array = json_object_new_array_ext((int)value->u.list.n);
    for (guint k = 0; k < value->u.list.n; k++)
      json_object_array_add(array, inf_value_to_json(value->u.list.items[k]));
    return array;
  }
  case INF_VALUE_DICT: {
    json_object *obj = json_object_new_object();
    for (guint k = 0; k < value->u.dict.n; k++)
      json_object_object_add(obj, value->u.dict.entries[k].key,
                             inf_value_to_json(value->u.dict.entries[k].value));
    return obj;
  }
  case INF_VALUE_ERROR: {
    const GError *e = value->u.error.error;
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "error", json_object_new_string(e->message));
    json_object_object_add(
        obj, "code",
        json_object_new_string(e->domain == INF_ERROR ? inf_error_code_name(e->code) : "failed"));
    if (value->u.error.node != NULL)
      json_object_object_add(obj, "node", json_object_new_string(value->u.error.node));
    return obj;
  }
  case INF_VALUE_REF: {
    json_object *obj = json_object_new_object();
    char *s = ref_to_string(value);
    json_object_object_add(obj, "$ref", json_object_new_string(s));
    g_free(s);
    return obj;
  }
  }
  return NULL;
}

char *
inf_value_to_string(const InfValue *value)
{
  g_return_val_if_fail(value != NULL, NULL);
  switch (value->kind) {
  case INF_VALUE_TEXT:
    return g_strndup(value->u.text.str, value->u.text.len);
  case INF_VALUE_NULL:
    return g_strdup("null");
  case INF_VALUE_BOOL:
    return g_strdup(value->u.b ? "true" : "false");
  case INF_VALUE_INT:
    return g_strdup_printf("%" G_GINT64_FORMAT, value->u.i);
  default:
    return inf_value_to_json_text(value);
  }
}

char *
inf_value_to_json_text(const InfValue *value)
{
  json_object *json = inf_value_to_json(value);
  char *s = g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(json);
  return s;
}

gboolean
inf_value_equal(const InfValue *a, const InfValue *b)
{
  g_return_val_if_fail(a != NULL && b != NULL, FALSE);
  if (a == b)
    return TRUE;
  if (a->kind != b->kind)
    return FALSE;
  switch (a->kind) {
  case INF_VALUE_NULL:
    return TRUE;
  case INF_VALUE_BOOL:
    return a->u.b == b->u.b;
  case INF_VALUE_INT:
    return a->u.i == b->u.i;
  case INF_VALUE_DOUBLE:
    return a->u.d == b->u.d;
  case INF_VALUE_TEXT:
    return a->u.text.len == b->u.text.len &&
           memcmp(a->u.text.str, b->u.text.str, a->u.text.len) == 0;
  case INF_VALUE_JSON:
    return json_object_equal(a->u.json, b->u.json) != 0;
  case INF_VALUE_LIST:
    if (a->u.list.n != b->u.list.n)
      return FALSE;
    for (guint k = 0; k < a->u.list.n; k++)
      if (!inf_value_equal(a->u.list.items[k], b->u.list.items[k]))
        return FALSE;
    return TRUE;
  case INF_VALUE_DICT:
    /* Same keys with equal values, in any order (like JSON objects). */
    if (a->u.dict.n != b->u.dict.n)
      return FALSE;
    for (guint k = 0; k < a->u.dict.n; k++) {
      InfValue *other = inf_value_dict_lookup(b, a->u.dict.entries[k].key);
      if (other == NULL || !inf_value_equal(a->u.dict.entries[k].value, other))
        return FALSE;
    }
    return TRUE;
  case INF_VALUE_ERROR:
    return a->u.error.error->domain == b->u.error.error->domain &&
           a->u.error.error->code == b->u.error.error->code &&
           g_strcmp0(a->u.error.error->message, b->u.error.error->message) == 0 &&
           g_strcmp0(a->u.error.node, b->u.error.node) == 0;
  case INF_VALUE_REF:
    return g_strcmp0(a->u.ref.node, b->u.ref.node) == 0 &&
           g_strv_equal((const char *const *)a->u.ref.path, (const char *const *)b->u.ref.path);
  }
  return FALSE;
}

const char *
inf_json_kind_phrase(json_object *json)
{
  switch (json_object_get_type(json)) {
  case json_type_null:
    return "null";
  case json_type_boolean:
    return "a boolean";
  case json_type_int:
    return "an integer";
  case json_type_double:
    return "a number";
  case json_type_string:
    return "a string";
  case json_type_array:
    return "a list";
  case json_type_object:
    return "an object";
  }
  return "a value";
}
