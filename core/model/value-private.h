/* Internal InfValue helpers for the core (not part of the SDK). */
#pragma once

#include <inf/value.h>

G_BEGIN_DECLS

/* The item under @key of a dict value, borrowed, or NULL (no new reference,
 * unlike inf_value_get). */
InfValue *inf_value_dict_lookup(const InfValue *value, const char *key);

/* An error value that takes ownership of @error; @node_id may be NULL. */
InfValue *inf_value_new_error_take(GError *error, const char *node_id);

/* How a JSON value's type reads in messages: "null", "a boolean",
 * "an integer", "a number", "a string", "a list", "an object". */
const char *inf_json_kind_phrase(json_object *json);

/* @value as compact JSON text (strings quoted; no escaped slashes), newly
 * allocated. */
char *inf_value_to_json_text(const InfValue *value);

/* The current reference count (for tests and assertions). */
guint inf_value_get_ref_count(const InfValue *value);

G_END_DECLS
