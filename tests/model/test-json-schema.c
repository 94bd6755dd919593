/* Unit tests: the JSON Schema validator (inf/json-schema.h), including the
 * official JSON-Schema-Test-Suite for draft 7 (Debian package
 * json-schema-test-suite; INF_JSON_SCHEMA_SUITE overrides its directory). */
#include <inf/error.h>
#include <inf/json-schema.h>
#include <string.h>

static json_object *
parse(const char *text)
{
  json_object *json = json_tokener_parse(text);
  g_assert_true(json != NULL || strcmp(text, "null") == 0);
  return json;
}

static InfJsonSchema *
compile(const char *text)
{
  g_autoptr(GError) error = NULL;
  json_object *json = parse(text);
  InfJsonSchema *schema = inf_json_schema_new(json, "modules.classify.json_schema", &error);
  json_object_put(json);
  g_assert_no_error(error);
  g_assert_nonnull(schema);
  return schema;
}

/* Validates @instance against @schema_text; returns the error message, or
 * NULL when valid; *out_path gets the path. */
static char *
check(const char *schema_text, const char *instance, char **out_path)
{
  g_autoptr(InfJsonSchema) schema = compile(schema_text);
  g_autoptr(GError) error = NULL;
  json_object *x = parse(instance);
  char *path = (char *)"unset";
  gboolean ok = inf_json_schema_validate(schema, x, &path, &error);
  json_object_put(x);
  g_assert_cmpint(ok, ==, error == NULL);
  if (ok) {
    g_assert_null(path);
    return NULL;
  }
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  g_assert_true(g_str_has_prefix(error->message, path));
  g_test_message("%s", error->message);
  if (out_path != NULL)
    *out_path = path;
  else
    g_free(path);
  return g_strdup(error->message);
}

static void
assert_invalid(const char *schema, const char *instance, const char *path, const char *part)
{
  g_autofree char *got_path = NULL;
  g_autofree char *message = check(schema, instance, &got_path);
  if (message == NULL)
    g_error("%s should not validate against %s", instance, schema);
  g_assert_cmpstr(got_path, ==, path);
  if (strstr(message, part) == NULL)
    g_error("message \"%s\" lacks \"%s\"", message, part);
}

static void
assert_valid(const char *schema, const char *instance)
{
  g_autofree char *message = check(schema, instance, NULL);
  if (message != NULL)
    g_error("%s should validate against %s: %s", instance, schema, message);
}

static void
assert_compile_error(const char *schema_text, const char *part)
{
  g_autoptr(GError) error = NULL;
  json_object *json = parse(schema_text);
  InfJsonSchema *schema = inf_json_schema_new(json, "modules.classify.json_schema", &error);
  json_object_put(json);
  g_assert_null(schema);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_test_message("%s", error->message);
  if (strstr(error->message, part) == NULL)
    g_error("message \"%s\" lacks \"%s\"", error->message, part);
}

static const char classify_schema[] =
    "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"label\", "
    "\"confidence\"], \"properties\": {\"label\": {\"enum\": [\"billing\", \"technical\", "
    "\"account\"]}, \"confidence\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}, "
    "\"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\", \"maxLength\": 3}}}}";

static void
test_paths(void)
{
  assert_valid(classify_schema, "{\"label\": \"billing\", \"confidence\": 0.5}");
  assert_invalid(classify_schema, "[]", "$", "expected an object, got array");
  assert_invalid(classify_schema, "{\"label\": \"billing\"}", "$",
                 "required property \"confidence\" is missing");
  assert_invalid(classify_schema, "{\"label\": \"sales\", \"confidence\": 1}", "$.label",
                 "\"sales\" is not one of the allowed values [\"billing\",\"technical\","
                 "\"account\"]");
  assert_invalid(classify_schema, "{\"label\": \"billing\", \"confidence\": 2}", "$.confidence",
                 "2 is greater than the maximum 1");
  assert_invalid(classify_schema,
                 "{\"label\": \"billing\", \"confidence\": 1, \"tags\": [\"ok\", \"long\"]}",
                 "$.tags[1]", "4 characters, more than maxLength 3");
  assert_invalid(classify_schema, "{\"label\": \"billing\", \"confidence\": 1, \"odd key\": 1}",
                 "$[\"odd key\"]", "not allowed (additionalProperties is false)");
  assert_invalid("{\"items\": [{\"type\": \"integer\"}], \"additionalItems\": false}", "[1, 2]",
                 "$", "additionalItems is false");
  assert_invalid("{\"type\": [\"string\", \"null\"]}", "3", "$",
                 "expected string or null, got integer");
}

static void
test_keywords(void)
{
  /* Code points, not bytes. */
  assert_valid("{\"maxLength\": 2}", "\"\\u00e9\\u00e9\"");
  assert_invalid("{\"minLength\": 3}", "\"\\u00e9\\u00e9\"", "$", "2 characters");
  /* Numbers by value; 1.0 is an integer. */
  assert_valid("{\"type\": \"integer\"}", "1.0");
  assert_valid("{\"enum\": [1]}", "1.0");
  assert_valid("{\"const\": {\"a\": [1, 2.0]}}", "{\"a\": [1.0, 2]}");
  assert_invalid("{\"const\": false}", "0", "$", "is not the constant false");
  assert_invalid("{\"const\": null}", "0", "$", "is not the constant null");
  assert_valid("{\"const\": null}", "null");
  assert_invalid("{\"exclusiveMinimum\": 0}", "0", "$", "exclusive minimum 0");
  assert_invalid("{\"multipleOf\": 0.01}", "0.015", "$", "not a multiple of 0.01");
  assert_valid("{\"multipleOf\": 0.01}", "0.07");
  /* pattern is a search, not a full match. */
  assert_valid("{\"pattern\": \"^[a-z]+-[0-9]+$\"}", "\"ticket-42\"");
  assert_valid("{\"pattern\": \"[0-9]\"}", "\"abc1def\"");
  assert_invalid("{\"pattern\": \"^[a-z]+$\"}", "\"Abc\"", "$", "does not match the pattern");
  assert_valid("{\"pattern\": \"^a\"}", "3"); /* applies to strings only */
  /* Combinators. */
  assert_invalid("{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 5}]}", "3", "$",
                 "none of the 2 schemas of anyOf");
  assert_invalid("{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 2}]}", "3", "$",
                 "matches schemas 0 and 1 of oneOf");
  assert_invalid("{\"allOf\": [{\"type\": \"object\"}, {\"properties\": {\"a\": {\"type\": "
                 "\"string\"}}}]}",
                 "{\"a\": 1}", "$.a", "expected a string, got integer");
  assert_valid("{\"properties\": {\"$ref\": {\"type\": \"string\"}}}", "{\"$ref\": \"x\"}");
  /* A root $id and anchors ("#name") change nothing for "#/..." references. */
  assert_valid("{\"$id\": \"http://example.com/t.json\", \"definitions\": {\"n\": {\"$id\": "
               "\"#n\", \"type\": \"integer\"}}, \"items\": {\"$ref\": \"#/definitions/n\"}}",
               "[1, 2]");
  assert_invalid("false", "1", "$", "schema false");
  assert_valid("true", "{\"anything\": [null]}");
}

static void
test_refs(void)
{
  const char *schema =
      "{\"$defs\": {\"item\": {\"type\": \"object\", \"required\": [\"name\"], \"properties\": "
      "{\"name\": {\"type\": \"string\"}, \"children\": {\"type\": \"array\", \"items\": "
      "{\"$ref\": "
      "\"#/$defs/item\"}}}}}, \"$ref\": \"#/$defs/item\"}";
  assert_valid(schema, "{\"name\": \"a\", \"children\": [{\"name\": \"b\", \"children\": []}]}");
  assert_invalid(schema,
                 "{\"name\": \"a\", \"children\": [{\"name\": \"b\", \"children\": "
                 "[{\"name\": 3}]}]}",
                 "$.children[0].children[0].name", "expected a string");
  assert_valid("{\"definitions\": {\"a b\": {\"type\": \"integer\"}}, \"properties\": {\"x\": "
               "{\"$ref\": \"#/definitions/a%20b\"}}}",
               "{\"x\": 1}");
  /* A self-reference that consumes the instance terminates. */
  assert_invalid("{\"properties\": {\"next\": {\"$ref\": \"#\"}}, \"type\": \"object\"}",
                 "{\"next\": {\"next\": 3}}", "$.next.next", "expected an object");
}

static void
test_compile_errors(void)
{
  assert_compile_error("{\"properties\": {\"label\": {\"pattern\": \"([a-z\"}}}",
                       "modules.classify.json_schema.properties.label.pattern: not a valid "
                       "regular expression");
  assert_compile_error("{\"patternProperties\": {\"(\": true}}",
                       "modules.classify.json_schema.patternProperties[\"(\"]: the property name "
                       "pattern is not a valid regular expression");
  assert_compile_error("{\"$ref\": \"http://example.com/schema.json\"}",
                       "modules.classify.json_schema.$ref: \"http://example.com/schema.json\": "
                       "only references inside this schema are supported");
  assert_compile_error("{\"items\": {\"$ref\": \"#/definitions/missing\"}}",
                       "modules.classify.json_schema.items.$ref: \"#/definitions/missing\" does "
                       "not resolve: no member \"definitions\"");
  assert_compile_error("{\"$ref\": \"#item\"}", "plain-name fragments");
  assert_compile_error("{\"$id\": \"http://example.com/root.json\", \"definitions\": {\"a\": "
                       "{\"$id\": \"other.json\", \"items\": {\"$ref\": \"#/definitions/b\"}}}}",
                       "json_schema.definitions.a.items.$ref: \"#/definitions/b\" stands inside a "
                       "subschema whose $id \"other.json\" changes the base URI");
  assert_compile_error("{\"definitions\": {\"a\": {\"$ref\": \"#/definitions/b\"}, \"b\": "
                       "{\"$ref\": \"#/definitions/a\"}}, \"$ref\": \"#/definitions/a\"}",
                       "json_schema.definitions.a: this schema applies to the same value again");
  /* Exponential without the check: two alternatives, each the whole schema. */
  assert_compile_error("{\"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}]}",
                       "modules.classify.json_schema: this schema applies to the same value again "
                       "through its own $ref, allOf, anyOf, oneOf, not, if/then/else or "
                       "dependencies, without descending into the value");
  assert_compile_error("{\"definitions\": {\"x\": {\"not\": {\"$ref\": \"#/definitions/x\"}}}}",
                       "json_schema.definitions.x: this schema applies to the same value again");
  assert_compile_error("{\"type\": \"strin\"}",
                       "modules.classify.json_schema.type: unknown type \"strin\"; valid: null");
  assert_compile_error("{\"properties\": {\"n\": {\"maximum\": true}}}",
                       "properties.n.maximum: expected a number, got boolean (draft 4's");
  assert_compile_error("{\"anyOf\": []}", "anyOf: expected a non-empty array of schemas");
  assert_compile_error("{\"required\": \"label\"}", "required: expected an array of property "
                                                    "names, got string");
  assert_compile_error("{\"minLength\": -1}", "minLength: expected a non-negative integer");
  assert_compile_error("[1]", "modules.classify.json_schema: expected a schema (an object or "
                              "true/false), got array");
  /* The bad pattern inside a referenced definition is found too. */
  assert_compile_error("{\"definitions\": {\"d\": {\"pattern\": \"[\"}}}",
                       "json_schema.definitions.d.pattern: not a valid regular expression");
}

/* --- the official test suite --------------------------------------------- */

static gboolean
has_remote_ref(json_object *s)
{
  if (json_object_is_type(s, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(s); i++)
      if (has_remote_ref(json_object_array_get_idx(s, i)))
        return TRUE;
  } else if (json_object_is_type(s, json_type_object)) {
    json_object_object_foreach(s, key, value)
    {
      if (strcmp(key, "$ref") == 0 && json_object_is_type(value, json_type_string) &&
          json_object_get_string(value)[0] != '#')
        return TRUE;
      if (has_remote_ref(value))
        return TRUE;
    }
  }
  return FALSE;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_official_suite(void)
{
  const char *dir = g_getenv("INF_JSON_SCHEMA_SUITE");
  if (dir == NULL)
    dir = JSON_SCHEMA_SUITE_DIR;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = g_dir_open(dir, 0, &error);
  if (listing == NULL)
    g_error("the JSON-Schema-Test-Suite is missing (%s); install the Debian package "
            "json-schema-test-suite (./scripts/deps.sh does)",
            error->message);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  for (const char *name; (name = g_dir_read_name(listing)) != NULL;)
    if (g_str_has_suffix(name, ".json"))
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);

  guint passed = 0, failed = 0, files = 0;
  g_autoptr(GString) skipped = g_string_new(NULL);
  for (guint f = 0; f < names->len; f++) {
    const char *name = g_ptr_array_index(names, f);
    g_autofree char *file = g_build_filename(dir, name, NULL);
    json_object *groups = json_object_from_file(file);
    g_assert_true(json_object_is_type(groups, json_type_array));
    guint ran = 0, n_groups = (guint)json_object_array_length(groups);
    for (guint g = 0; g < n_groups; g++) {
      json_object *group = json_object_array_get_idx(groups, g), *schema_json, *tests, *desc;
      g_assert_true(json_object_object_get_ex(group, "schema", &schema_json));
      g_assert_true(json_object_object_get_ex(group, "tests", &tests));
      g_assert_true(json_object_object_get_ex(group, "description", &desc));
      g_autoptr(GError) compile_error = NULL;
      g_autoptr(InfJsonSchema) schema = inf_json_schema_new(schema_json, NULL, &compile_error);
      if (schema == NULL) {
        if (!has_remote_ref(schema_json))
          g_error("%s: \"%s\": the schema does not compile: %s", name, json_object_get_string(desc),
                  compile_error->message);
        g_string_append_printf(skipped, "\n  %s: \"%s\" (remote $ref)", name,
                               json_object_get_string(desc));
        continue;
      }
      ran++;
      for (size_t t = 0; t < json_object_array_length(tests); t++) {
        json_object *test = json_object_array_get_idx(tests, t), *data, *valid, *what;
        g_assert_true(json_object_object_get_ex(test, "data", &data));
        g_assert_true(json_object_object_get_ex(test, "valid", &valid));
        g_assert_true(json_object_object_get_ex(test, "description", &what));
        g_autoptr(GError) validate_error = NULL;
        gboolean ok = inf_json_schema_validate(schema, data, NULL, &validate_error);
        if (ok == json_object_get_boolean(valid)) {
          passed++;
        } else {
          failed++;
          g_printerr("FAIL %s: \"%s\" / \"%s\": expected %s%s%s\n", name,
                     json_object_get_string(desc), json_object_get_string(what),
                     ok ? "invalid" : "valid",
                     ok ? "" : ", got: ", ok ? "" : validate_error->message);
        }
      }
    }
    if (ran > 0)
      files++;
    json_object_put(groups);
  }
  g_print("JSON-Schema-Test-Suite draft7: %u of %u cases passed in %u files; "
          "skipped (not in the supported subset): optional/ (format, bignum, ECMA 262 regex, "
          "content), and%s\n",
          passed, passed + failed, files, skipped->str);
  g_assert_cmpuint(failed, ==, 0);
  /* Every keyword file ran (all but refRemote.json and definitions.json,
   * which hold remote references only). */
  g_assert_cmpuint(files, ==, names->len - 2);
  g_assert_cmpuint(passed, >=, 300);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/json-schema/paths", test_paths);
  g_test_add_func("/json-schema/keywords", test_keywords);
  g_test_add_func("/json-schema/refs", test_refs);
  g_test_add_func("/json-schema/compile-errors", test_compile_errors);
  g_test_add_func("/json-schema/official-suite", test_official_suite);
  return g_test_run();
}
