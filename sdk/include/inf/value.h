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
 *
 * Thread: main loop (every function of this header)
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

/* A new null value.
 * Returns: (transfer full) a new value; free with inf_value_unref()
 * Since: 1.0 */
INF_API InfValue *inf_value_new_null(void);
/* A new bool value.
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_bool(gboolean b);
/* A new int value.
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_int(gint64 i);
/* A new double value.
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_double(double d);
/* A new text value holding a copy of @text.
 * @text: (transfer none) UTF-8, NUL-terminated; copied
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_text(const char *text);
/* A new text value holding a copy of the @len bytes at @text, followed by a
 * NUL (NUL bytes among them are kept: inf_value_get_text_length() counts
 * them, C string functions stop at them).
 * @text: (transfer none) (nullable) the bytes; NULL only with @len 0
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_text_len(const char *text, gsize len);
/* A new text value that takes @text over instead of copying it.
 * @text: (transfer full) g_malloc'ed, NUL-terminated; freed with the value
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_text_take(char *text);
/* A value made from @json: an object or array gives a json value that keeps
 * the reference; a scalar gives the matching kind (bool, int, double, text)
 * and NULL (JSON null) a null value, and the reference is dropped.
 * @json: (transfer full) (nullable) one reference, consumed in every case
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_json(json_object *json);
/* A list of @n values; each item gets a new reference (the caller keeps
 * its own). A NULL item is a programming error (NULL is returned).
 * @items: (transfer none) (nullable) @n values, none NULL; NULL only with @n 0
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_list(InfValue *const *items, guint n);
/* An empty dict; fill it with inf_value_dict_set() before sharing it.
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_dict(void);
/* Sets @key to @item in @dict, a dict value not yet shared with anyone
 * (nothing checks that: values are immutable once shared). A new key goes
 * last (keys keep their insertion order); an existing key's item is
 * replaced in place and the old item unreferenced.
 * @key: (transfer none) copied
 * @item: (transfer none) referenced by the dict
 * Since: 1.0 */
INF_API void inf_value_dict_set(InfValue *dict, const char *key, InfValue *item);
/* An error value holding a copy of @error and the id of the node that
 * produced it.
 * @error: (transfer none) copied
 * @node_id: (transfer none) (nullable) copied
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_error(const GError *error, const char *node_id);
/* A symbolic reference to the output of node @node_id, with the key path
 * @path into it. Used by the tracer; a plugin gets refs, it rarely makes
 * them.
 * @node_id: (transfer none) copied
 * @path: (transfer none) (nullable) NULL-terminated keys, copied; NULL: none
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_new_ref(const char *node_id, const char *const *path);

/* Adds a reference.
 * Returns: (transfer full) @value
 * Since: 1.0 */
INF_API InfValue *inf_value_ref(InfValue *value);
/* Drops a reference; the last one frees the value and drops its items. NULL
 * is a programming error (a critical), unlike g_free().
 * Since: 1.0 */
INF_API void inf_value_unref(InfValue *value);

/* The kind of @value (INF_VALUE_NULL for a NULL @value, with a critical).
 * Since: 1.0 */
INF_API InfValueKind inf_value_get_kind(const InfValue *value);
/* A short name for @kind ("null", "bool", "int", "double", "text", "json",
 * "list", "dict", "error", "ref"; "unknown" for other numbers).
 * Returns: (transfer none) a static string
 * Since: 1.0 */
INF_API const char *inf_value_kind_name(InfValueKind kind);
/* Whether @value is a null value.
 * Since: 1.0 */
INF_API gboolean inf_value_is_null(const InfValue *value);
/* The bool of a bool value; FALSE for every other kind.
 * Since: 1.0 */
INF_API gboolean inf_value_get_bool(const InfValue *value);
/* The integer of an int value; 0 for every other kind (a double is not
 * converted).
 * Since: 1.0 */
INF_API gint64 inf_value_get_int(const InfValue *value);
/* The number of an int or double value; 0.0 for every other kind.
 * Since: 1.0 */
INF_API double inf_value_get_double(const InfValue *value);
/* The text of a text value.
 * Returns: (transfer none) (nullable) NUL-terminated, valid as long as
 *          @value; NULL for other kinds
 * Since: 1.0 */
INF_API const char *inf_value_get_text(const InfValue *value);
/* The length in bytes of a text value's text; 0 for other kinds.
 * Since: 1.0 */
INF_API gsize inf_value_get_text_length(const InfValue *value);
/* The json-c object or array of a json value. Do not modify it: the value
 * is immutable.
 * Returns: (transfer none) (nullable) valid as long as @value (take a
 *          reference with json_object_get() to keep it); NULL for other kinds
 * Since: 1.0 */
INF_API json_object *inf_value_get_json(const InfValue *value);
/* The number of items of a list value; 0 for other kinds.
 * Since: 1.0 */
INF_API guint inf_value_list_length(const InfValue *value);
/* Item @index of a list value.
 * Returns: (transfer none) (nullable) valid as long as @value; NULL when
 *          @value is not a list or @index is out of range
 * Since: 1.0 */
INF_API InfValue *inf_value_list_get(const InfValue *value, guint index);
/* The number of keys of a dict value; 0 for other kinds.
 * Since: 1.0 */
INF_API guint inf_value_dict_size(const InfValue *value);
/* Key @index of a dict value, in insertion order.
 * Returns: (transfer none) (nullable) valid as long as @value; NULL when
 *          @value is not a dict or @index is out of range
 * Since: 1.0 */
INF_API const char *inf_value_dict_key(const InfValue *value, guint index);
/* The item under key @index of a dict value (see inf_value_get() to look
 * one up by name).
 * Returns: (transfer none) (nullable) valid as long as @value; NULL when
 *          @value is not a dict or @index is out of range
 * Since: 1.0 */
INF_API InfValue *inf_value_dict_value(const InfValue *value, guint index);
/* The GError of an error value.
 * Returns: (transfer none) (nullable) valid as long as @value; NULL for
 *          other kinds
 * Since: 1.0 */
INF_API const GError *inf_value_get_error(const InfValue *value);
/* The id of the node that produced an error value.
 * Returns: (transfer none) (nullable) NULL for other kinds and for errors
 *          made without a node id
 * Since: 1.0 */
INF_API const char *inf_value_get_error_node(const InfValue *value);
/* The node id of a ref value.
 * Returns: (transfer none) (nullable) NULL for other kinds
 * Since: 1.0 */
INF_API const char *inf_value_get_ref_node(const InfValue *value);
/* The key path of a ref value (empty for a ref to the whole output).
 * Returns: (transfer none) (nullable) NULL-terminated; NULL for other kinds
 * Since: 1.0 */
INF_API const char *const *inf_value_get_ref_path(const InfValue *value);

/* Field access. On a ref: a new ref with @key appended to its path. On a
 * dict: the item under @key. On a list: the item at the decimal index @key
 * ("0", "12"; no sign or spaces). On a json object or array: the member or
 * item, as a value of the matching kind. On a text value holding a JSON
 * object or array: the member of the parsed text. Otherwise, and when there
 * is no such field, NULL.
 * @key: (transfer none) a key or a decimal index
 * Returns: (transfer full) (nullable) a new reference; NULL when there is
 *          no such field
 * Since: 1.0 */
INF_API InfValue *inf_value_get(InfValue *value, const char *key);

/* A new json-c object representing @value: null/bool/int/double/text map
 * to JSON scalars, lists to arrays, dicts to objects, json values to their
 * object (a new reference to it, not a copy), errors to {"error": message,
 * "code": name, "node": id} (code "failed" for errors outside INF_ERROR; no
 * "node" without one), refs to {"$ref": "node.path"}. Doubles are written
 * in their shortest round-trip form (0.1, not 0.10000000000000001).
 * Returns: (transfer full) (nullable) free with json_object_put(); NULL for
 *          a null value (json-c's JSON null)
 * Since: 1.0 */
INF_API json_object *inf_value_to_json(const InfValue *value);
/* The inverse of inf_value_to_json() for data: scalars give scalar kinds,
 * objects and arrays a json value holding a new reference to @json (not a
 * copy: do not modify it afterwards), NULL a null value.
 * @json: (transfer none) (nullable) borrowed
 * Returns: (transfer full) a new value
 * Since: 1.0 */
INF_API InfValue *inf_value_from_json(json_object *json);
/* Text for prompts: a text value as is; null, bool and int values as
 * "null", "true"/"false" and the number; anything else as compact JSON
 * (inf_value_to_json(), slashes not escaped).
 * Returns: (transfer full) free with g_free()
 * Since: 1.0 */
INF_API char *inf_value_to_string(const InfValue *value);
/* Deep equality: kinds must match (an int never equals a double); texts
 * compare byte by byte, json values structurally, dicts by keys in any
 * order, errors by domain, code, message and node, refs by node and path.
 * @b: (transfer none) the other value
 * Since: 1.0 */
INF_API gboolean inf_value_equal(const InfValue *a, const InfValue *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfValue, inf_value_unref)

G_END_DECLS
