/* The resources block's parsing: the endpoint fields (an option table,
 * validated by the options code), their defaults and bounds, the provider
 * options, and the block's own fields. Every error names the file and the
 * JSON path. */
#include <math.h>

#include "resources/endpoint.h"
#include "inf-test.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

static void
fake_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  (void)call;
}

static const InfOptionSpec fake_options[] = {
  { .name = "flavor", .type = INF_OPTION_STRING, .description = "a provider option" },
  { .name = NULL },
};

static const InfClientClass fake_client = {
  .struct_size = sizeof(InfClientClass),
  .name = "fake",
  .description = "an in-process client that never answers (parsing only)",
  .options = fake_options,
  .call = fake_call,
};

static InfRegistry *
new_registry(void)
{
  g_autoptr(GError) error = NULL;
  InfRegistry *registry = inf_registry_new();
  g_assert_true(inf_registry_add_client_class(registry, &fake_client, &error));
  g_assert_no_error(error);
  return registry;
}

/* Parses the resources block @text as read from "r.json". */
static InfResourcesConfig *
parse(const char *text, GError **error)
{
  g_autoptr(json_object) json = json_tokener_parse(text);
  g_assert_nonnull(json);
  InfRegistry *registry = new_registry();
  InfResourcesConfig *config =
      inf_resources_config_parse(json, "r.json", "resources", registry, error);
  inf_registry_free(registry);
  return config;
}

/* The one endpoint of alias "a" in @text's endpoints ({"a": {...}}). */
static const InfEndpointConfig *
only_endpoint(const InfResourcesConfig *config)
{
  const InfAliasConfig *alias = inf_resources_config_lookup(config, "a");
  g_assert_nonnull(alias);
  g_assert_cmpuint(alias->endpoints->len, ==, 1);
  return g_ptr_array_index(alias->endpoints, 0);
}

static void
test_defaults(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfResourcesConfig) config =
      parse("{\"endpoints\": {\"a\": {\"provider\": \"fake\"}}}", &error);
  g_assert_no_error(error);
  const InfEndpointConfig *ep = only_endpoint(config);
  g_assert_cmpstr(ep->provider, ==, "fake");
  g_assert_true(ep->klass == &fake_client);
  g_assert_null(ep->model);
  g_assert_null(ep->base_url);
  g_assert_null(ep->api_key_env);
  g_assert_null(ep->ca_file);
  g_assert_cmpint(ep->max_concurrent, ==, 0);
  g_assert_cmpfloat(ep->rate_limit, ==, 0.0);
  g_assert_cmpfloat(ep->burst, ==, 1.0); /* max(1, rate_limit) */
  g_assert_cmpint(ep->tokens_per_minute, ==, 0);
  g_assert_cmpint(ep->max_retries, ==, 3);
  g_assert_cmpfloat(ep->retry_delay, ==, 0.5);
  g_assert_cmpfloat(ep->timeout, ==, 600.0);
  g_assert_cmpfloat(ep->max_rate_limit_wait, ==, 600.0);
  g_assert_cmpfloat(ep->max_retry_after, ==, 60.0);
  g_assert_cmpint(ep->max_response_bytes, ==, 16 * 1024 * 1024);
  g_assert_cmpfloat(ep->input_cost_per_1m, ==, 0.0);
  g_assert_cmpfloat(ep->output_cost_per_1m, ==, 0.0);
  g_assert_cmpstr(ep->json_path, ==, "resources.endpoints.a");
  g_assert_cmpint(json_object_object_length(ep->provider_options), ==, 0);
  g_assert_cmpint(config->max_total_concurrent, ==, 0);
  g_assert_cmpint(config->max_inflight_graphs, ==, 0);
}

static void
test_given_values(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfResourcesConfig) config = parse(
      "{\"max_total_concurrent\": 7, \"max_inflight_graphs\": 99999999999,"
      " \"endpoints\": {\"a\": [{\"provider\": \"fake\", \"model\": \"m\","
      " \"base_url\": \"http://127.0.0.1:9/v1//\", \"api_key_env\": \"K\", \"ca_file\": \"ca.pem\","
      " \"max_concurrent\": 4, \"rate_limit\": 2.5, \"tokens_per_minute\": 1000,"
      " \"max_retries\": 0, \"retry_delay\": 0, \"timeout\": 0.001, \"max_rate_limit_wait\": 1,"
      " \"max_retry_after\": 2, \"max_response_bytes\": 1, \"input_cost_per_1m\": 3,"
      " \"output_cost_per_1m\": 4.5, \"flavor\": \"x\"}]}}",
      &error);
  g_assert_no_error(error);
  const InfEndpointConfig *ep = only_endpoint(config);
  g_assert_cmpstr(ep->model, ==, "m");
  g_assert_cmpstr(ep->base_url, ==, "http://127.0.0.1:9/v1"); /* trailing slashes dropped */
  g_assert_cmpstr(ep->api_key_env, ==, "K");
  g_assert_cmpstr(ep->ca_file, ==, "ca.pem");
  g_assert_cmpint(ep->max_concurrent, ==, 4);
  g_assert_cmpfloat(ep->rate_limit, ==, 2.5);
  g_assert_cmpfloat(ep->burst, ==, 2.5); /* follows rate_limit */
  g_assert_cmpint(ep->tokens_per_minute, ==, 1000);
  g_assert_cmpint(ep->max_retries, ==, 0);
  g_assert_cmpfloat(ep->retry_delay, ==, 0.0);
  g_assert_cmpfloat(ep->timeout, ==, 0.001); /* the bound is inclusive */
  g_assert_cmpfloat(ep->max_rate_limit_wait, ==, 1.0);
  g_assert_cmpfloat(ep->max_retry_after, ==, 2.0);
  g_assert_cmpint(ep->max_response_bytes, ==, 1);
  g_assert_cmpfloat(ep->input_cost_per_1m, ==, 3.0);
  g_assert_cmpfloat(ep->output_cost_per_1m, ==, 4.5);
  g_assert_cmpstr(ep->json_path, ==, "resources.endpoints.a[0]");
  /* What is not an endpoint field is a provider option. */
  g_assert_cmpint(json_object_object_length(ep->provider_options), ==, 1);
  json_object *flavor = json_object_object_get(ep->provider_options, "flavor");
  g_assert_cmpstr(json_object_get_string(flavor), ==, "x");
  g_assert_cmpint(config->max_total_concurrent, ==, 7);
  g_assert_cmpint(config->max_inflight_graphs, ==, G_MAXINT); /* clamped */

  /* An explicit burst wins over the rate limit. */
  g_autoptr(InfResourcesConfig) burst =
      parse("{\"endpoints\": {\"a\": {\"provider\": \"fake\", \"rate_limit\": 0.5, \"burst\": 0}}}",
            &error);
  g_assert_no_error(error);
  g_assert_cmpfloat(only_endpoint(burst)->burst, ==, 0.0);
}

/* Endpoint (and block) fields of the wrong type, or out of bounds: the file,
 * the JSON path of the field, what is expected and what was given. */
static void
test_errors(void)
{
#define EP(fields) "{\"endpoints\": {\"a\": {\"provider\": \"fake\", " fields "}}}"
  const char *const cases[][2] = {
    /* wrong types */
    { EP("\"model\": 5"), "r.json: resources.endpoints.a.model: expected a string, got integer 5" },
    { "{\"endpoints\": {\"a\": {\"provider\": true}}}",
      "r.json: resources.endpoints.a.provider: expected a string, got boolean true" },
    { EP("\"max_concurrent\": 1.5"),
      "r.json: resources.endpoints.a.max_concurrent: expected an integer, got number 1.5" },
    { EP("\"max_retries\": \"3\""),
      "r.json: resources.endpoints.a.max_retries: expected an integer, got string \"3\"" },
    { EP("\"timeout\": \"60\""),
      "r.json: resources.endpoints.a.timeout: expected a number, got string \"60\"" },
    { EP("\"rate_limit\": null"),
      "r.json: resources.endpoints.a.rate_limit: expected a number, got null" },
    { EP("\"retry_delay\": NaN"),
      "r.json: resources.endpoints.a.retry_delay: expected a finite number, got NaN" },
    { "{\"max_total_concurrent\": [1], \"endpoints\": {}}",
      "r.json: resources.max_total_concurrent: expected an integer, got an array" },
    /* out of bounds */
    { EP("\"timeout\": 0"),
      "r.json: resources.endpoints.a.timeout: expected a number >= 0.001, got 0" },
    { EP("\"max_concurrent\": -1"),
      "r.json: resources.endpoints.a.max_concurrent: expected an integer >= 0, got -1" },
    { EP("\"tokens_per_minute\": -5"),
      "r.json: resources.endpoints.a.tokens_per_minute: expected an integer >= 0, got -5" },
    { EP("\"max_response_bytes\": 0"),
      "r.json: resources.endpoints.a.max_response_bytes: expected an integer >= 1, got 0" },
    { EP("\"burst\": -0.5"),
      "r.json: resources.endpoints.a.burst: expected a number >= 0, got -0.5" },
    { EP("\"output_cost_per_1m\": -1"),
      "r.json: resources.endpoints.a.output_cost_per_1m: expected a number >= 0, got -1" },
    { "{\"endpoints\": {\"a\": [{\"provider\": \"fake\"}, {\"provider\": \"fake\", "
      "\"max_retry_after\": -2}]}}",
      "r.json: resources.endpoints.a[1].max_retry_after: expected a number >= 0, got -2" },
    { "{\"max_inflight_graphs\": -1}",
      "r.json: resources.max_inflight_graphs: expected an integer >= 0, got -1" },
    /* the other checks */
    { "{\"endpoints\": {\"a\": {\"model\": \"m\"}}}",
      "r.json: resources.endpoints.a: missing required field 'provider'; " },
    { "{\"endpoints\": {\"a\": {\"provider\": \"nope\"}}}",
      "r.json: resources.endpoints.a.provider: unknown provider 'nope'; known providers: fake" },
    { EP("\"base_url\": \"ftp://h/v1\""),
      "r.json: resources.endpoints.a.base_url: \"ftp://h/v1\" is not a valid base URL: the "
      "scheme must be http:// or https://" },
    { EP("\"flavor\": 1"),
      "r.json: resources.endpoints.a.flavor: expected a string, got integer 1" },
    { EP("\"timeuot\": 5"),
      "r.json: resources.endpoints.a.timeuot: unknown option; valid options: flavor (endpoint "
      "fields: provider, model, base_url, api_key_env, ca_file, max_concurrent, rate_limit, "
      "burst, tokens_per_minute, max_retries, retry_delay, timeout, max_rate_limit_wait, "
      "max_retry_after, max_response_bytes, input_cost_per_1m, output_cost_per_1m)" },
    { "{\"endpionts\": {}}",
      "r.json: resources.endpionts: unknown key; valid keys: endpoints, budget, cache, "
      "max_total_concurrent, max_inflight_graphs" },
  };
#undef EP
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(InfResourcesConfig) config = parse(cases[i][0], &error);
    g_assert_null(config);
    inf_test_assert_error_prefix(error, INF_ERROR, INF_ERROR_CONFIG, i, cases[i][1]);
  }
}

/* The table inspect shows: every field, with a description; the bounds
 * are open at the top. */
static void
test_field_table(void)
{
  const char *const names[] = {
    "provider",
    "model",
    "base_url",
    "api_key_env",
    "ca_file",
    "max_concurrent",
    "rate_limit",
    "burst",
    "tokens_per_minute",
    "max_retries",
    "retry_delay",
    "timeout",
    "max_rate_limit_wait",
    "max_retry_after",
    "max_response_bytes",
    "input_cost_per_1m",
    "output_cost_per_1m",
  };
  const InfOptionSpec *fields = inf_endpoint_fields();
  guint n = 0;
  for (; fields[n].name != NULL; n++) {
    g_assert_cmpuint(n, <, G_N_ELEMENTS(names));
    g_assert_cmpstr(fields[n].name, ==, names[n]);
    g_assert_nonnull(fields[n].description);
    g_assert_cmpuint(strlen(fields[n].description), >, 10);
    if (fields[n].type == INF_OPTION_INT || fields[n].type == INF_OPTION_DOUBLE)
      g_assert_true(isinf(fields[n].max));
  }
  g_assert_cmpuint(n, ==, G_N_ELEMENTS(names));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/endpoint/defaults", test_defaults);
  g_test_add_func("/endpoint/given-values", test_given_values);
  g_test_add_func("/endpoint/errors", test_errors);
  g_test_add_func("/endpoint/field-table", test_field_table);
  return g_test_run();
}
