/* inf-engine SDK — InfValue: refcounted, immutable data flowing between nodes.
 *
 * Kinds: null, bool, int, double, text, json (a json-c object or array),
 * list and dict (of InfValues; used for structured module outputs and, during
 * tracing, for structures of symbolic values), error (a GError plus the id of
 * the node that produced it) and ref (symbolic, during tracing only: names the
 * producing node and an optional key path).
 *
 * Values are immutable once shared. inf_value_ref/unref are not thread-safe:
 * values belong to the main loop thread.
 */
#pragma once

#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfValue InfValue;

typedef enum {
  INF_VALUE_NULL,
  INF_VALUE_BOOL,
  INF_VALUE_INT,
  INF_VALUE_DOUBLE,
  INF_VALUE_TEXT,
  INF_VALUE_JSON,
  INF_VALUE_LIST,
  INF_VALUE_DICT,
  INF_VALUE_ERROR,
  INF_VALUE_REF,
} InfValueKind;

INF_API InfValue *inf_value_new_null(void);
INF_API InfValue *inf_value_new_bool(gboolean b);
INF_API InfValue *inf_value_new_int(gint64 i);
INF_API InfValue *inf_value_new_double(double d);
/* Copies @text (UTF-8, NUL-terminated). */
INF_API InfValue *inf_value_new_text(const char *text);
/* Copies @len bytes of @text. */
INF_API InfValue *inf_value_new_text_len(const char *text, gsize len);
/* Takes ownership of @text (g_malloc'ed, NUL-terminated). */
INF_API InfValue *inf_value_new_text_take(char *text);
/* Takes ownership of one reference of @json (an object or array; other json-c
 * types become the matching scalar kind). */
INF_API InfValue *inf_value_new_json(json_object *json);
/* A list of @n values; each item is referenced (not stolen). */
INF_API InfValue *inf_value_new_list(InfValue *const *items, guint n);
/* An empty dict; fill it with inf_value_dict_set() before sharing it. */
INF_API InfValue *inf_value_new_dict(void);
/* Sets @key to @item (referenced) in a dict not yet shared. Keys keep their
 * insertion order. */
INF_API void inf_value_dict_set(InfValue *dict, const char *key, InfValue *item);
/* An error value: copies @error; @node_id may be NULL. */
INF_API InfValue *inf_value_new_error(const GError *error, const char *node_id);
/* A symbolic reference to node @node_id with key path @path (NULL-terminated,
 * may be NULL). Used by the tracer. */
INF_API InfValue *inf_value_new_ref(const char *node_id, const char *const *path);

INF_API InfValue *inf_value_ref(InfValue *value);
INF_API void inf_value_unref(InfValue *value);

INF_API InfValueKind inf_value_get_kind(const InfValue *value);
INF_API const char *inf_value_kind_name(InfValueKind kind);
INF_API gboolean inf_value_is_null(const InfValue *value);
INF_API gboolean inf_value_get_bool(const InfValue *value);
INF_API gint64 inf_value_get_int(const InfValue *value);
/* For int and double values. */
INF_API double inf_value_get_double(const InfValue *value);
/* The text of a text value, or NULL for other kinds. */
INF_API const char *inf_value_get_text(const InfValue *value);
/* Length in bytes of a text value. */
INF_API gsize inf_value_get_text_length(const InfValue *value);
/* The json-c object of a json value (borrowed), or NULL. */
INF_API json_object *inf_value_get_json(const InfValue *value);
/* Items of a list value. */
INF_API guint inf_value_list_length(const InfValue *value);
INF_API InfValue *inf_value_list_get(const InfValue *value, guint index);
/* Keys of a dict value, in insertion order. */
INF_API guint inf_value_dict_size(const InfValue *value);
INF_API const char *inf_value_dict_key(const InfValue *value, guint index);
INF_API InfValue *inf_value_dict_value(const InfValue *value, guint index);
/* The GError of an error value (borrowed), or NULL. */
INF_API const GError *inf_value_get_error(const InfValue *value);
INF_API const char *inf_value_get_error_node(const InfValue *value);
/* The node id and key path of a ref value. */
INF_API const char *inf_value_get_ref_node(const InfValue *value);
INF_API const char *const *inf_value_get_ref_path(const InfValue *value);

/* Field access. On a ref: a new ref with @key appended to its path. On a dict:
 * the item under @key. On a list: the item at the decimal index @key. On a
 * json object/array: the member, as a value of the matching kind. On a text
 * value holding a JSON object: the member of the parsed text. Otherwise NULL.
 * Returns a new reference or NULL. */
INF_API InfValue *inf_value_get(InfValue *value, const char *key);

/* A new json-c object (caller owns one reference) representing @value:
 * null/bool/int/double/text map to JSON scalars, lists to arrays, dicts to
 * objects, errors to {"error": message, "code": name, "node": id}, refs to
 * {"$ref": "node.path"}. A null value gives NULL (json-c's JSON null).
 * Doubles are written in their shortest round-trip form (0.1, not
 * 0.10000000000000001). */
INF_API json_object *inf_value_to_json(const InfValue *value);
/* The inverse of inf_value_to_json for data: scalars map to scalar kinds,
 * objects and arrays to a json value. @json is borrowed (a json value takes
 * its own reference); NULL gives a null value. */
INF_API InfValue *inf_value_from_json(json_object *json);
/* Text for prompts: a text value as is, anything else as compact JSON.
 * Returns a newly allocated string. */
INF_API char *inf_value_to_string(const InfValue *value);
/* Deep equality (kinds must match, json compared structurally). */
INF_API gboolean inf_value_equal(const InfValue *a, const InfValue *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfValue, inf_value_unref)

G_END_DECLS
