/* Parsing and validating the resources block. */
#include "resources/endpoint.h"

#include <math.h>
#include <string.h>

#include "model/options-private.h"
#include "model/value-private.h"
#include "plugin/registry-private.h"

/* The endpoint fields, validated like a class's options (model/options.c);
 * every other key of an endpoint is a provider option. "burst" has no
 * default: it follows rate_limit. */
#define STRING_FIELD(field_name, field_required, field_description)            \
  {                                                                            \
    .name = field_name, .type = INF_OPTION_STRING, .required = field_required, \
    .description = field_description                                           \
  }
#define NUMBER_FIELD(field_name, field_type, field_default, field_min, field_description) \
  {                                                                                       \
    .name = field_name, .type = field_type, .default_json = field_default,                \
    .description = field_description, .min = field_min, .max = INFINITY                   \
  }

static const InfOptionSpec endpoint_fields[] = {
  STRING_FIELD("provider", TRUE, "The client class that talks to the endpoint."),
  STRING_FIELD("model", FALSE, "The model name sent to the provider."),
  STRING_FIELD("base_url", FALSE,
               "The server root without the endpoint path (default: the provider's): an "
               "http:// or https:// URL with a host and a port from 1 to 65535."),
  STRING_FIELD("api_key_env", FALSE,
               "The name of the environment variable holding the API key (keys never go in "
               "the file)."),
  STRING_FIELD("ca_file", FALSE,
               "A PEM file of CAs trusted instead of the system bundle (private CAs)."),
  NUMBER_FIELD("max_concurrent", INF_OPTION_INT, "0", 0,
               "Calls in flight on this endpoint; 0: no limit."),
  NUMBER_FIELD("rate_limit", INF_OPTION_DOUBLE, "0", 0,
               "Requests per second (adaptive: lowered on 429, recovered on success); 0: no "
               "limit."),
  NUMBER_FIELD("burst", INF_OPTION_DOUBLE, NULL, 0,
               "The rate limit's token bucket size; default: max(1, rate_limit)."),
  NUMBER_FIELD("tokens_per_minute", INF_OPTION_INT, "0", 0,
               "Token budget per minute; 0: no limit."),
  NUMBER_FIELD("max_retries", INF_OPTION_INT, "3", 0,
               "Retries of transient errors (timeouts, 5xx, dropped connections, bad replies)."),
  NUMBER_FIELD("retry_delay", INF_OPTION_DOUBLE, "0.5", 0,
               "Seconds before the first retry (exponential backoff with jitter)."),
  /* At least 1 ms: 0 would mean no timeout at all to curl. */
  NUMBER_FIELD("timeout", INF_OPTION_DOUBLE, "600", 0.001,
               "Seconds per request, in-process clients included (10 minutes, as in the "
               "official SDKs)."),
  NUMBER_FIELD("max_rate_limit_wait", INF_OPTION_DOUBLE, "600", 0,
               "Seconds one node may keep waiting on 429s before it fails."),
  NUMBER_FIELD("max_retry_after", INF_OPTION_DOUBLE, "60", 0,
               "Seconds: the longest wait a server may ask for (Retry-After, reset headers)."),
  NUMBER_FIELD("max_response_bytes", INF_OPTION_INT, "16777216", 1,
               "Reply size limit in bytes (default 16 MiB)."),
  NUMBER_FIELD("input_cost_per_1m", INF_OPTION_DOUBLE, "0", 0,
               "USD per million input tokens, for the metrics and the budget."),
  NUMBER_FIELD("output_cost_per_1m", INF_OPTION_DOUBLE, "0", 0,
               "USD per million output tokens, for the metrics and the budget."),
  { .name = NULL },
};

const InfOptionSpec *
inf_endpoint_fields(void)
{
  return endpoint_fields;
}

static void
endpoint_config_free(gpointer data)
{
  InfEndpointConfig *ep = data;
  g_free(ep->alias);
  g_free(ep->provider);
  g_free(ep->model);
  g_free(ep->base_url);
  g_free(ep->api_key_env);
  g_free(ep->ca_file);
  g_free(ep->json_path);
  if (ep->provider_options)
    json_object_put(ep->provider_options);
  g_free(ep);
}

static void
alias_config_free(gpointer data)
{
  InfAliasConfig *alias = data;
  g_free(alias->name);
  g_ptr_array_unref(alias->endpoints);
  g_free(alias);
}

void
inf_resources_config_free(InfResourcesConfig *config)
{
  if (!config)
    return;
  g_free(config->file);
  g_ptr_array_unref(config->aliases);
  inf_budget_config_free(config->budget);
  inf_cache_config_free(config->cache);
  g_free(config);
}

/* Copies the validated fields into @ep (defaults applied). */
static void
read_endpoint_fields(InfEndpointConfig *ep, const InfOptions *fields)
{
  ep->provider = g_strdup(inf_options_get_string(fields, "provider"));
  ep->model = g_strdup(inf_options_get_string(fields, "model"));
  ep->base_url = g_strdup(inf_options_get_string(fields, "base_url"));
  ep->api_key_env = g_strdup(inf_options_get_string(fields, "api_key_env"));
  ep->ca_file = g_strdup(inf_options_get_string(fields, "ca_file"));
  ep->max_concurrent = (gint)MIN(inf_options_get_int(fields, "max_concurrent"), G_MAXINT);
  ep->rate_limit = inf_options_get_double(fields, "rate_limit");
  ep->burst = inf_options_has(fields, "burst") ? inf_options_get_double(fields, "burst")
                                               : MAX(1.0, ep->rate_limit);
  ep->tokens_per_minute = inf_options_get_int(fields, "tokens_per_minute");
  ep->max_retries = (gint)MIN(inf_options_get_int(fields, "max_retries"), G_MAXINT);
  ep->retry_delay = inf_options_get_double(fields, "retry_delay");
  ep->timeout = inf_options_get_double(fields, "timeout");
  ep->max_rate_limit_wait = inf_options_get_double(fields, "max_rate_limit_wait");
  ep->max_retry_after = inf_options_get_double(fields, "max_retry_after");
  ep->max_response_bytes = inf_options_get_int(fields, "max_response_bytes");
  ep->input_cost_per_1m = inf_options_get_double(fields, "input_cost_per_1m");
  ep->output_cost_per_1m = inf_options_get_double(fields, "output_cost_per_1m");
}

/* Validates the endpoint fields of @json and copies them into @ep; the
 * other keys go to @ep->provider_options. */
static gboolean
parse_endpoint_fields(InfEndpointConfig *ep, json_object *json, const char *file,
                      InfRegistry *registry, GError **error)
{
  json_object *given = json_object_new_object();
  json_object_object_foreach(json, key, value)
  {
    json_object_object_add(
        inf_option_spec_find(endpoint_fields, key) != NULL ? given : ep->provider_options, key,
        json_object_get(value));
  }
  InfOptions *fields = NULL;
  if (!json_object_object_get_ex(given, "provider", NULL)) {
    g_autofree char *known = inf_registry_describe_known(registry, INF_CLASS_CLIENT);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s: missing required field 'provider'; %s",
                file, ep->json_path, known);
  } else {
    fields = inf_options_new_for_class(endpoint_fields, NULL, given, NULL, registry, file,
                                       ep->json_path, NULL, error);
  }
  json_object_put(given);
  if (!fields)
    return FALSE;
  read_endpoint_fields(ep, fields);
  inf_options_free(fields);
  return TRUE;
}

/* Validates the provider options (the keys of @ep's endpoint that are not
 * endpoint fields) against the client class's table; an unknown key's
 * error lists the endpoint fields too. */
static gboolean
check_provider_options(const InfEndpointConfig *ep, const char *file, InfRegistry *registry,
                       GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(InfOptions) options = inf_options_new(ep->klass->options, ep->provider_options, NULL,
                                                  registry, file, ep->json_path, NULL, &local);
  if (options)
    return TRUE;
  if (g_error_matches(local, INF_ERROR, INF_ERROR_CONFIG) &&
      strstr(local->message, "unknown option")) {
    GString *fields = g_string_new(NULL);
    for (const InfOptionSpec *spec = endpoint_fields; spec->name != NULL; spec++)
      g_string_append_printf(fields, "%s%s", fields->len ? ", " : "", spec->name);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s (endpoint fields: %s)", local->message,
                fields->str);
    g_string_free(fields, TRUE);
  } else {
    g_propagate_error(error, g_steal_pointer(&local));
  }
  return FALSE;
}

/* An http:// or https:// URL with a host and, if any, a port from 1 to
 * 65535. */
static gboolean
check_base_url(const char *url, const char *file, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, &local);
  const char *problem = NULL;
  g_autofree char *owned = NULL;
  if (uri == NULL && g_error_matches(local, G_URI_ERROR, G_URI_ERROR_BAD_PORT))
    problem = "the port is not a number from 1 to 65535";
  else if (uri == NULL)
    problem = owned = g_strdup_printf("not a URL (%s)", local->message);
  else if (g_ascii_strcasecmp(g_uri_get_scheme(uri), "http") != 0 &&
           g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") != 0)
    problem = "the scheme must be http:// or https://";
  else if (g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0')
    problem = "it has no host";
  else if (g_uri_get_port(uri) == 0)
    problem = "port 0 is not a valid port (1 to 65535)";
  if (problem == NULL)
    return TRUE;
  g_autofree char *shown = g_strescape(url, NULL);
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
              "%s: %s.base_url: \"%s\" is not a valid base URL: %s; expected e.g. "
              "\"https://api.example.com/v1\"",
              file, path, shown, problem);
  return FALSE;
}

static InfEndpointConfig *
parse_endpoint(json_object *json, const char *alias, const char *file, const char *path,
               InfRegistry *registry, GError **error)
{
  if (!json_object_is_type(json, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s: expected an endpoint object {\"provider\": ...} or a list of them, got %s",
                file, path, inf_json_kind_phrase(json));
    return NULL;
  }
  g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func(endpoint_config_free);
  InfEndpointConfig *ep = g_new0(InfEndpointConfig, 1);
  g_ptr_array_add(guard, ep);
  ep->alias = g_strdup(alias);
  ep->json_path = g_strdup(path);
  ep->provider_options = json_object_new_object();
  if (!parse_endpoint_fields(ep, json, file, registry, error))
    return NULL;
  g_autoptr(GError) unknown = NULL;
  ep->klass = inf_registry_lookup_class(registry, INF_CLASS_CLIENT, ep->provider, &unknown);
  if (!ep->klass) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s.provider: %s", file, path,
                unknown->message);
    return NULL;
  }
  if (ep->base_url) {
    if (!check_base_url(ep->base_url, file, path, error))
      return NULL;
    gsize len = strlen(ep->base_url);
    while (len > 0 && ep->base_url[len - 1] == '/')
      ep->base_url[--len] = '\0';
  }
  if (!check_provider_options(ep, file, registry, error))
    return NULL;
  return g_ptr_array_steal_index(guard, 0);
}

/* The "endpoints" block: each alias to one endpoint or a pool (a list). */
static gboolean
parse_endpoints(InfResourcesConfig *config, json_object *value, const char *file,
                const char *json_path, InfRegistry *registry, GError **error)
{
  if (!json_object_is_type(value, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.endpoints: expected an object mapping aliases to endpoints, got %s", file,
                json_path, inf_json_kind_phrase(value));
    return FALSE;
  }
  json_object_object_foreach(value, alias, spec)
  {
    InfAliasConfig *ac = g_new0(InfAliasConfig, 1);
    ac->name = g_strdup(alias);
    ac->endpoints = g_ptr_array_new_with_free_func(endpoint_config_free);
    g_ptr_array_add(config->aliases, ac);
    if (!json_object_is_type(spec, json_type_array)) {
      g_autofree char *path = g_strdup_printf("%s.endpoints.%s", json_path, alias);
      InfEndpointConfig *ep = parse_endpoint(spec, alias, file, path, registry, error);
      if (!ep)
        return FALSE;
      g_ptr_array_add(ac->endpoints, ep);
      continue;
    }
    gsize n = json_object_array_length(spec);
    if (n == 0) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "%s: %s.endpoints.%s: an endpoint pool needs at least one endpoint", file,
                  json_path, alias);
      return FALSE;
    }
    for (gsize i = 0; i < n; i++) {
      g_autofree char *path = g_strdup_printf("%s.endpoints.%s[%zu]", json_path, alias, i);
      InfEndpointConfig *ep =
          parse_endpoint(json_object_array_get_idx(spec, i), alias, file, path, registry, error);
      if (!ep)
        return FALSE;
      g_ptr_array_add(ac->endpoints, ep);
    }
  }
  return TRUE;
}

/* Every alias the budget names has an endpoint. */
static gboolean
check_budget_aliases(const InfResourcesConfig *config, const char *file, const char *json_path,
                     GError **error)
{
  for (guint i = 0; config->budget && i < config->budget->aliases->len; i++) {
    const InfBudgetAliasConfig *ac = g_ptr_array_index(config->budget->aliases, i);
    if (inf_resources_config_lookup(config, ac->alias))
      continue;
    g_auto(GStrv) known = inf_resources_config_list_aliases(config);
    g_autofree char *list = g_strjoinv(", ", known);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.budget.aliases.%s: unknown alias '%s'; known aliases: %s", file, json_path,
                ac->alias, ac->alias, list[0] ? list : "(none: add resources.endpoints)");
    return FALSE;
  }
  return TRUE;
}

/* The keys of the resources block that are blocks of their own. */
static const char *const resources_blocks[] = { "endpoints", "budget", "cache", NULL };

static const InfOptionSpec resources_fields[] = {
  NUMBER_FIELD("max_total_concurrent", INF_OPTION_INT, "0", 0,
               "LLM calls in flight, all aliases together; 0: no limit."),
  NUMBER_FIELD("max_inflight_graphs", INF_OPTION_INT, "0", 0,
               "Inputs in flight; 0: the run's default (inf-engine run --max-inflight)."),
  { .name = NULL },
};

/* Checks the keys of the resources block @json and reads its own fields
 * (max_total_concurrent, max_inflight_graphs) into @config. */
static gboolean
parse_resources_fields(InfResourcesConfig *config, json_object *json, const char *file,
                       const char *json_path, InfRegistry *registry, GError **error)
{
  json_object_object_foreach(json, key, value)
  {
    (void)value;
    if (g_strv_contains(resources_blocks, key) ||
        inf_option_spec_find(resources_fields, key) != NULL)
      continue;
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.%s: unknown key; valid keys: endpoints, budget, cache, "
                "max_total_concurrent, max_inflight_graphs",
                file, json_path, key);
    return FALSE;
  }
  g_autoptr(InfOptions) fields = inf_options_new_for_class(
      resources_fields, NULL, json, resources_blocks, registry, file, json_path, NULL, error);
  if (!fields)
    return FALSE;
  config->max_total_concurrent =
      (gint)MIN(inf_options_get_int(fields, "max_total_concurrent"), G_MAXINT);
  config->max_inflight_graphs =
      (gint)MIN(inf_options_get_int(fields, "max_inflight_graphs"), G_MAXINT);
  return TRUE;
}

InfResourcesConfig *
inf_resources_config_parse(json_object *json, const char *file, const char *json_path,
                           InfRegistry *registry, GError **error)
{
  g_autoptr(InfResourcesConfig) config = g_new0(InfResourcesConfig, 1);
  config->file = g_strdup(file);
  config->aliases = g_ptr_array_new_with_free_func(alias_config_free);
  if (!json)
    return g_steal_pointer(&config);
  if (!json_object_is_type(json, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s: expected an object with \"endpoints\", got %s", file, json_path,
                inf_json_kind_phrase(json));
    return NULL;
  }
  if (!parse_resources_fields(config, json, file, json_path, registry, error))
    return NULL;
  json_object_object_foreach(json, key, value)
  {
    if (g_str_equal(key, "budget")) {
      g_autofree char *path = g_strconcat(json_path, ".budget", NULL);
      inf_budget_config_free(config->budget);
      config->budget = inf_budget_config_parse(value, file, path, error);
      if (!config->budget)
        return NULL;
    } else if (g_str_equal(key, "endpoints")) {
      if (!parse_endpoints(config, value, file, json_path, registry, error))
        return NULL;
    } else if (g_str_equal(key, "cache")) {
      g_autofree char *path = g_strdup_printf("%s.cache", json_path);
      inf_cache_config_free(config->cache);
      config->cache = inf_cache_config_parse(value, file, path, error);
      if (!config->cache)
        return NULL;
    }
  }
  if (!check_budget_aliases(config, file, json_path, error))
    return NULL;
  return g_steal_pointer(&config);
}

const InfAliasConfig *
inf_resources_config_lookup(const InfResourcesConfig *config, const char *alias)
{
  if (!config || !alias)
    return NULL;
  for (guint i = 0; i < config->aliases->len; i++) {
    const InfAliasConfig *ac = g_ptr_array_index(config->aliases, i);
    if (g_str_equal(ac->name, alias))
      return ac;
  }
  return NULL;
}

char **
inf_resources_config_list_aliases(const InfResourcesConfig *config)
{
  GStrvBuilder *builder = g_strv_builder_new();
  for (guint i = 0; config && i < config->aliases->len; i++)
    g_strv_builder_add(builder, ((InfAliasConfig *)g_ptr_array_index(config->aliases, i))->name);
  char **result = g_strv_builder_end(builder);
  g_strv_builder_unref(builder);
  return result;
}
