/* inf-engine SDK — small helpers for reading json-c replies.
 *
 * They never fail loudly: a missing member, a member of another type or a
 * NULL or non-object @object all give the "absent" result, so lookups chain
 * (inf_json_get_string(inf_json_get_member(root, "error", json_type_object),
 * "message")). Returned objects and strings are borrowed from @object.
 *
 * Thread: any thread, for json-c values no other thread changes meanwhile
 */
#pragma once

#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

/* Member @name of @object when it has type @type, else NULL.
 * @object: (transfer none) (nullable) any json-c value; NULL gives NULL
 * @name: (transfer none) the member name
 * Returns: (transfer none) (nullable) borrowed from @object
 * Since: 1.0 */
INF_API json_object *inf_json_get_member(json_object *object, const char *name, json_type type);
/* The string member @name of @object, or NULL.
 * @object: (transfer none) (nullable) any json-c value; NULL gives NULL
 * @name: (transfer none) the member name
 * Returns: (transfer none) (nullable) borrowed from @object
 * Since: 1.0 */
INF_API const char *inf_json_get_string(json_object *object, const char *name);
/* The integer member @name of @object as a count: negative values give 0,
 * and so does a missing or non-integer member.
 * @object: (transfer none) (nullable) any json-c value; NULL gives 0
 * @name: (transfer none) the member name
 * Since: 1.0 */
INF_API gint64 inf_json_get_count(json_object *object, const char *name);
/* Adds every member of the object @from to the object @into (a new
 * reference each), replacing members of the same name: a shallow merge.
 * Nothing when either is NULL or not an object, or both are the same.
 * @into: (transfer none) (nullable) the object changed
 * @from: (transfer none) (nullable) not changed
 * Since: 1.0 */
INF_API void inf_json_merge_members(json_object *into, json_object *from);

/* Whether @json can be written as standard JSON and read back as the same
 * values: every number finite (json-c reads NaN, Infinity and 1e400, which
 * it would write back as non-JSON), every integer within
 * -(2^63 - 1) .. 2^63 - 1 (json-c clamps larger ones to the limits
 * silently), every string and key valid UTF-8 without NUL characters (C
 * strings would end there).
 * @json: (transfer none) (nullable) NULL is JSON null (portable)
 * Returns: (transfer full) (nullable) NULL when it can; else a description
 *          of the first problem with its path, e.g. "scores[2]: NaN is not a
 *          finite number"; free with g_free()
 * Since: 1.1 */
INF_API char *inf_json_describe_unportable(json_object *json);

G_END_DECLS
