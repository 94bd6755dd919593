/* JSON Schema validation cost (run on demand, not in the test suite).
 *
 *   bench-json-schema [--json FILE] [--quick]
 *
 * Validates the reply of configs/routing.json's classifier (an object of
 * three members against an object schema with two enums and a maxLength)
 * 1,000,000 times (100,000 with --quick), and parses the same reply text as
 * many times with json-c as the baseline in the same run; then a reply of
 * 100 $ref'd objects with a pattern each (10,000 / 1,000 rounds). Validating
 * a reply must cost at most twice parsing it (ratio <= 2.0): both are
 * microseconds, next to an LLM call's hundreds of milliseconds. */
#include <inf/json-schema.h>
#include <stdio.h>
#include <string.h>

static const char classify_schema[] =
    "{\"type\": \"object\", \"additionalProperties\": false,"
    " \"required\": [\"label\", \"urgency\", \"summary\"],"
    " \"properties\": {\"label\": {\"enum\": [\"billing\", \"technical\", \"account\"]},"
    "  \"urgency\": {\"enum\": [\"urgent\", \"normal\"]},"
    "  \"summary\": {\"type\": \"string\", \"maxLength\": 120}}}";
static const char classify_reply[] =
    "{\"label\": \"technical\", \"urgency\": \"urgent\", \"summary\": \"The API returns 500 errors "
    "for every request since this morning.\"}";

static const char list_schema[] =
    "{\"$defs\": {\"item\": {\"type\": \"object\", \"required\": [\"name\", \"score\"],"
    " \"properties\": {\"name\": {\"type\": \"string\", \"pattern\": \"^[a-z]+-[0-9]+$\"},"
    " \"score\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1}}}},"
    " \"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/item\"}, \"maxItems\": 200}";

#define RATIO_LIMIT 2.0

static double
seconds_since(gint64 start)
{
  return (double)(g_get_monotonic_time() - start) / 1e6;
}

/* Returns the ratio validate/parse for @n rounds of @reply. */
static double
bench(const char *name, const char *schema_text, const char *reply, guint n, json_object *summary)
{
  json_object *schema_json = json_tokener_parse(schema_text);
  g_autoptr(GError) error = NULL;
  g_autoptr(InfJsonSchema) schema = inf_json_schema_new(schema_json, NULL, &error);
  g_assert_no_error(error);
  json_object_put(schema_json);
  json_object *instance = json_tokener_parse(reply);
  g_assert_true(inf_json_schema_validate(schema, instance, NULL, NULL));

  gint64 start = g_get_monotonic_time();
  for (guint i = 0; i < n; i++)
    json_object_put(json_tokener_parse(reply));
  double parse_s = seconds_since(start);

  start = g_get_monotonic_time();
  guint valid = 0;
  for (guint i = 0; i < n; i++)
    valid += inf_json_schema_validate(schema, instance, NULL, NULL);
  double validate_s = seconds_since(start);
  g_assert_cmpuint(valid, ==, n);
  json_object_put(instance);

  double ratio = validate_s / parse_s;
  printf("%-9s %8u rounds  parse %7.3f us  validate %7.3f us  ratio %.2f (limit %.2f) %s\n", name,
         n, parse_s / n * 1e6, validate_s / n * 1e6, ratio, RATIO_LIMIT,
         ratio <= RATIO_LIMIT ? "ok" : "OVER");
  json_object *o = json_object_new_object();
  json_object_object_add(o, "rounds", json_object_new_int64(n));
  json_object_object_add(o, "parse_us", json_object_new_double(parse_s / n * 1e6));
  json_object_object_add(o, "validate_us", json_object_new_double(validate_s / n * 1e6));
  json_object_object_add(o, "ratio", json_object_new_double(ratio));
  json_object_object_add(summary, name, o);
  return ratio;
}

int
main(int argc, char **argv)
{
  const char *json_file = NULL;
  gboolean quick = FALSE;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      quick = TRUE;
    else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
      json_file = argv[++i];
  }
  guint n = quick ? 100000 : 1000000;
  GString *list = g_string_new("[");
  for (guint i = 0; i < 100; i++)
    g_string_append_printf(list, "%s{\"name\": \"item-%u\", \"score\": 0.%u}", i ? ", " : "", i,
                           i % 10);
  g_string_append_c(list, ']');

  json_object *summary = json_object_new_object();
  double classify = bench("classify", classify_schema, classify_reply, n, summary);
  double list100 = bench("list100", list_schema, list->str, n / 100, summary);
  double worst = MAX(classify, list100);
  g_string_free(list, TRUE);
  if (json_file != NULL)
    json_object_to_file_ext(json_file, summary, JSON_C_TO_STRING_PRETTY);
  json_object_put(summary);
  return worst <= RATIO_LIMIT ? 0 : 1;
}
