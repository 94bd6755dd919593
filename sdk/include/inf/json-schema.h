/* inf-engine SDK — JSON Schema validation (draft 7). Since: 1.1
 *
 * A compact validator for JSON Schema draft 7, used by the `llm` module's
 * json_schema option and available to every plugin (losses that check a
 * structured reply, modules that validate their input).
 *
 * Supported keywords:
 *   any type     type, enum, const, allOf, anyOf, oneOf, not, if/then/else,
 *                $ref, definitions, $defs
 *   numbers      minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf
 *   strings      minLength, maxLength (in Unicode code points), pattern (a
 *                GRegex/PCRE search, unanchored like ECMA 262's test())
 *   arrays       items (one schema or a list), additionalItems, minItems,
 *                maxItems, uniqueItems, contains
 *   objects      properties, required, additionalProperties, patternProperties,
 *                minProperties, maxProperties, dependencies, propertyNames
 * and boolean schemas (true accepts anything, false nothing). "format" and the
 * annotations (title, description, default, examples, $comment, $schema, $id,
 * readOnly, writeOnly, contentMediaType, contentEncoding) are accepted and do
 * not constrain; other unknown keywords are ignored, as the specification
 * says. Numbers compare by value (1 equals 1.0; 1.0 is an integer).
 *
 * $ref must point inside the same schema: "#", or a JSON pointer fragment
 * such as "#/definitions/NAME" or "#/$defs/NAME" (percent-encoding and the
 * ~0 / ~1 escapes are decoded). Remote references, references relative to an
 * $id and plain-name fragments are refused when the schema is compiled, and
 * so is a schema that reaches itself again for the same value (through
 * $ref, allOf, anyOf, oneOf, not, if/then/else or dependencies, without
 * descending into a member or an item): its validation would never end.
 *
 * Objects are refcounted; a compiled schema is immutable and may be shared
 * (validation keeps no state in it). Not thread-safe beyond that: use it from
 * one thread at a time.
 *
 * Thread: any thread, one at a time per schema (the engine uses it on the
 * main loop)
 */
#pragma once

#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfJsonSchema InfJsonSchema;

/* Compiles @schema (borrowed; the compiled schema keeps its own reference,
 * so do not modify @schema afterwards). Every keyword's value is checked,
 * every pattern compiled and every $ref resolved up front, so validation
 * itself cannot fail on the schema. @json_path names the schema in messages
 * ("modules.classify.json_schema"; NULL: "schema"); errors are
 * INF_ERROR_CONFIG and start with the JSON path of the offending keyword
 * ("modules.classify.json_schema.properties.label.pattern: invalid regular
 * expression ...").
 * @schema: (transfer none) (nullable) a JSON object or boolean; the compiled
 *          schema keeps its own reference (NULL or another type is an error)
 * @json_path: (transfer none) (nullable) the schema's name in messages
 * Returns: (transfer full) (nullable) free with inf_json_schema_unref();
 *          NULL with @error set
 * Since: 1.1 */
INF_API InfJsonSchema *inf_json_schema_new(json_object *schema, const char *json_path,
                                           GError **error);
/* Adds a reference.
 * Returns: (transfer full) @schema
 * Since: 1.1 */
INF_API InfJsonSchema *inf_json_schema_ref(InfJsonSchema *schema);
/* Drops a reference; NULL is ignored.
 * @schema: (transfer full) (nullable) the schema
 * Since: 1.1 */
INF_API void inf_json_schema_unref(InfJsonSchema *schema);

/* The schema document as given to inf_json_schema_new(); do not modify it.
 * Returns: (transfer none) valid as long as @schema
 * Since: 1.1 */
INF_API json_object *inf_json_schema_get_json(const InfJsonSchema *schema);

/* Validates @instance (borrowed; NULL is JSON null) against @schema. On the
 * first violation returns FALSE with @error set (INF_ERROR_INVALID_ARGUMENT)
 * to "PATH: what is wrong", where PATH is the instance path of the violation
 * in JSONPath-like form: "$" for the root, "$.label", "$.items[2]",
 * "$[\"odd key\"]".
 * @instance: (transfer none) (nullable) the value to check; NULL is JSON null
 * @out_path: (out) (transfer full) (nullable) receives that path (free with
 *            g_free()), NULL on success; pass NULL when not needed
 * Since: 1.1 */
INF_API gboolean inf_json_schema_validate(const InfJsonSchema *schema, json_object *instance,
                                          char **out_path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfJsonSchema, inf_json_schema_unref)

G_END_DECLS
