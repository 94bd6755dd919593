/* Parsing and validating the resources block. */
#include "resources/endpoint.h"

#include <math.h>
#include <string.h>

#include "model/options-private.h"
#include "model/value-private.h"
#include "plugin/registry-private.h"

typedef enum {
  FIELD_STRING,
  FIELD_INT,
  FIELD_DOUBLE
} FieldType;

typedef struct {
  const char *name;
  FieldType type;
  gsize offset;
  double min;
} EndpointField;

#define FIELD(field, field_type, field_min)                                                  \
  {                                                                                          \
    .name = #field, .type = field_type, .offset = G_STRUCT_OFFSET(InfEndpointConfig, field), \
    .min = field_min                                                                         \
  }

static const EndpointField endpoint_fields[] = {
  FIELD(provider, FIELD_STRING, 0),
  FIELD(model, FIELD_STRING, 0),
  FIELD(base_url, FIELD_STRING, 0),
  FIELD(api_key_env, FIELD_STRING, 0),
  FIELD(ca_file, FIELD_STRING, 0),
  FIELD(max_concurrent, FIELD_INT, 0),
  FIELD(rate_limit, FIELD_DOUBLE, 0),
  FIELD(burst, FIELD_DOUBLE, 0),
  FIELD(tokens_per_minute, FIELD_INT, 0),
  FIELD(max_retries, FIELD_INT, 0),
  FIELD(retry_delay, FIELD_DOUBLE, 0),
  FIELD(timeout, FIELD_DOUBLE, 0.001), /* 0 would mean no timeout at all to curl */
  FIELD(max_rate_limit_wait, FIELD_DOUBLE, 0),
  FIELD(max_retry_after, FIELD_DOUBLE, 0),
  FIELD(max_response_bytes, FIELD_INT, 1),
  FIELD(input_cost_per_1m, FIELD_DOUBLE, 0),
  FIELD(output_cost_per_1m, FIELD_DOUBLE, 0),
};

static const char *const endpoint_field_names[] = {
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
  NULL,
};

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

static gboolean
parse_field(InfEndpointConfig *ep, const EndpointField *field, json_object *value, const char *file,
            const char *path, GError **error)
{
  gpointer slot = G_STRUCT_MEMBER_P(ep, field->offset);
  switch (field->type) {
  case FIELD_STRING:
    if (!json_object_is_type(value, json_type_string)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s.%s: expected a string, got %s", file,
                  path, field->name, inf_json_kind_phrase(value));
      return FALSE;
    }
    g_free(*(char **)slot);
    *(char **)slot = g_strdup(json_object_get_string(value));
    return TRUE;
  case FIELD_INT:
    if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < field->min) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "%s: %s.%s: expected an integer >= %g, got %s", file, path, field->name,
                  field->min, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
      return FALSE;
    }
    if (field->offset == G_STRUCT_OFFSET(InfEndpointConfig, max_concurrent) ||
        field->offset == G_STRUCT_OFFSET(InfEndpointConfig, max_retries))
      *(gint *)slot = (gint)MIN(json_object_get_int64(value), G_MAXINT);
    else
      *(gint64 *)slot = json_object_get_int64(value);
    return TRUE;
  case FIELD_DOUBLE:
    if ((!json_object_is_type(value, json_type_int) &&
         !json_object_is_type(value, json_type_double)) ||
        json_object_get_double(value) < field->min || !isfinite(json_object_get_double(value))) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s.%s: expected a number >= %g, got %s",
                  file, path, field->name, field->min,
                  json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
      return FALSE;
    }
    *(double *)slot = json_object_get_double(value);
    return TRUE;
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
  ep->max_retries = 3;
  ep->retry_delay = 0.5;
  ep->timeout = 600.0; /* the official SDKs' default: long generations take minutes */
  ep->max_rate_limit_wait = 600.0;
  ep->max_retry_after = 60.0;
  ep->max_response_bytes = 16 * 1024 * 1024;
  ep->burst = -1;
  ep->provider_options = json_object_new_object();

  json_object_object_foreach(json, key, value)
  {
    const EndpointField *field = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(endpoint_fields); i++)
      if (g_str_equal(endpoint_fields[i].name, key))
        field = &endpoint_fields[i];
    if (field) {
      if (!parse_field(ep, field, value, file, path, error))
        return NULL;
    } else {
      json_object_object_add(ep->provider_options, key, json_object_get(value));
    }
  }
  if (!ep->provider) {
    g_autofree char *known = inf_registry_describe_known(registry, INF_CLASS_CLIENT);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s: missing required field 'provider'; %s",
                file, path, known);
    return NULL;
  }
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
  if (ep->burst < 0)
    ep->burst = MAX(1.0, ep->rate_limit);
  /* Provider options: whatever is not an endpoint field must be one of the
   * client class's options. */
  g_autoptr(GError) local = NULL;
  InfOptions *options = inf_options_new(ep->klass->options, ep->provider_options, NULL, registry,
                                        file, path, NULL, &local);
  if (!options) {
    if (g_error_matches(local, INF_ERROR, INF_ERROR_CONFIG) &&
        strstr(local->message, "unknown option")) {
      /* Say which endpoint fields exist too. */
      g_autofree char *fields = g_strjoinv(", ", (char **)endpoint_field_names);
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s (endpoint fields: %s)", local->message,
                  fields);
    } else {
      g_propagate_error(error, g_steal_pointer(&local));
    }
    return NULL;
  }
  inf_options_free(options);
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
  json_object_object_foreach(json, key, value)
  {
    if (g_str_equal(key, "max_total_concurrent") || g_str_equal(key, "max_inflight_graphs")) {
      if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 0) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "%s: %s.%s: expected an integer >= 0, got %s", file, json_path, key,
                    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
        return NULL;
      }
      gint v = (gint)MIN(json_object_get_int64(value), G_MAXINT);
      if (key[4] == 't')
        config->max_total_concurrent = v;
      else
        config->max_inflight_graphs = v;
    } else if (g_str_equal(key, "budget")) {
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
    } else {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "%s: %s.%s: unknown key; valid keys: endpoints, budget, cache, "
                  "max_total_concurrent, max_inflight_graphs",
                  file, json_path, key);
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
