/* The resource manager: a client per endpoint, the aliases' pools and which
 * endpoint takes a call (least in flight, under the concurrency caps and
 * rate limiters), slot waits, metrics. Sending a call, its retries and its
 * budget are llm-call.c's. */
#include "resources/manager.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "model/log-private.h"
#include "model/module-private.h"
#include "model/options-private.h"
#include "plugin/registry-private.h"
#include "resources/manager-private.h"
#include "resources/rate-limiter.h"

#define CLIENT_HAS(klass, field) INF_CLASS_HAS(klass, InfClientClass, field)

typedef struct {
  guint64 id;
  InfResourceSlotFunc func;
  gpointer user_data;
} SlotWait;

static void
client_free(gpointer data)
{
  InfClient *client = data;
  if (client->timeouts) {
    g_source_destroy(client->timeouts);
    g_source_unref(client->timeouts);
  }
  if (client->finalize)
    client->finalize(client->priv);
  if (client->options)
    inf_options_free(client->options);
  if (client->api_key) {
    memset(client->api_key, 0, strlen(client->api_key));
    g_free(client->api_key);
  }
  if (client->limiter)
    inf_rate_limiter_free(client->limiter);
  g_free(client->origin);
  g_free(client);
}

static void
alias_free(gpointer data)
{
  InfResourceAlias *alias = data;
  g_ptr_array_unref(alias->endpoints);
  inf_metrics_free(alias->metrics);
  g_free(alias->name);
  g_free(alias);
}

void
inf_resource_manager_free(InfResourceManager *manager)
{
  if (!manager)
    return;
  /* The HTTP session cancels what is in flight first, while clients exist. */
  if (manager->http)
    inf_http_session_free(manager->http);
  /* Calls still held by in-process clients (the mock) or waiting to retry
   * (an interrupted run, a failed write): cancelled, so that their callers
   * free what they hold. The caller has stopped starting new calls. A
   * client holding one is told (its cancel hook) and may still return it:
   * dropped. */
  inf_llm_calls_cancel_all(manager);
  /* Calls waiting for a slot give up (they free what they hold). */
  if (manager->slot_idle)
    g_source_remove(manager->slot_idle);
  SlotWait *wait;
  while ((wait = g_queue_pop_head(&manager->slot_waits)) != NULL) {
    wait->func(TRUE, wait->user_data);
    g_free(wait);
  }
  inf_response_cache_free(manager->cache);
  g_hash_table_unref(manager->by_name);
  inf_llm_calls_name_husks(manager);
  /* Clients are finalized here (they may still return what they hold). */
  g_ptr_array_unref(manager->aliases);
  g_hash_table_unref(manager->calls);
  inf_llm_calls_free_husks(manager);
  g_rand_free(manager->jitter);
  g_free(manager);
}

/* Reads the class's entry points once, within its struct_size, and names
 * the class and its plugin for messages. */
static void
client_bind_class(InfClient *client, const InfClientClass *klass, InfRegistry *registry)
{
  if (CLIENT_HAS(klass, build_request))
    client->build_request = klass->build_request;
  if (CLIENT_HAS(klass, parse_response))
    client->parse_response = klass->parse_response;
  if (CLIENT_HAS(klass, parse_stream_event))
    client->parse_stream_event = klass->parse_stream_event;
  if (CLIENT_HAS(klass, call))
    client->call = klass->call;
  if (CLIENT_HAS(klass, cancel))
    client->cancel = klass->cancel;
  InfClassInfo info = { 0 };
  g_autofree char *plugin = inf_log_describe_plugin(
      registry && inf_registry_get_class_info(registry, INF_CLASS_CLIENT, klass->name, &info) &&
              info.klass == (gconstpointer)klass
          ? info.file
          : NULL);
  client->origin = g_strdup_printf("client class '%s', %s", klass->name, plugin);
}

/* The endpoint's API key from its api_key_env variable, trimmed, into
 * *@key (NULL when the endpoint names none and its class needs none). FALSE
 * when it is unset, blank or holds control characters, or when the class
 * needs one and none is configured. */
static gboolean
read_api_key(const InfEndpointConfig *config, gboolean requires_key, const char *file,
             char **key_out, GError **error)
{
  *key_out = NULL;
  if (!config->api_key_env) {
    if (!requires_key)
      return TRUE;
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s: provider '%s' of alias '%s' needs an API key: set \"api_key_env\" to "
                "the name of the environment variable holding it",
                file, config->json_path, config->provider, config->alias);
    return FALSE;
  }
  const char *key = g_getenv(config->api_key_env);
  if (!key || !*key) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.api_key_env: the API key variable %s for alias '%s' is not set "
                "(export %s=... before running)",
                file, config->json_path, config->api_key_env, config->alias, config->api_key_env);
    return FALSE;
  }
  /* Sent trimmed (a key read from a file often ends with a newline), so
   * kept trimmed: messages redact the key as it is actually sent. */
  while (g_ascii_isspace(*key))
    key++;
  gsize length = strlen(key);
  while (length > 0 && g_ascii_isspace(key[length - 1]))
    length--;
  gboolean control = FALSE;
  for (gsize i = 0; i < length; i++)
    if ((guchar)key[i] < 0x20 || (guchar)key[i] == 0x7f)
      control = TRUE;
  if (length == 0 || control) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.api_key_env: the API key in %s for alias '%s' %s; it cannot be sent "
                "in an HTTP header (check how the variable is set)",
                file, config->json_path, config->api_key_env, config->alias,
                length == 0 ? "is only white space"
                            : "contains a line break or another control character");
    return FALSE;
  }
  *key_out = g_strndup(key, length);
  return TRUE;
}

/* Sets up @client: its options, rate limiter, and the class's init. */
static gboolean
client_init(InfClient *client, InfRegistry *registry, const char *file, GError **error)
{
  const InfEndpointConfig *config = client->config;
  const InfClientClass *klass = client->klass;
  if (!client->call && !(client->build_request && client->parse_response)) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN,
                "%s: %s: client class '%s' implements neither call nor "
                "build_request/parse_response",
                file, config->json_path, config->provider);
    return FALSE;
  }
  client->options = inf_options_new(klass->options, config->provider_options, NULL, registry, file,
                                    config->json_path, NULL, error);
  if (!client->options)
    return FALSE;
  InfRateLimiterConfig lc = {
    .rate = config->rate_limit,
    .burst = config->burst,
    .tokens_per_minute = config->tokens_per_minute,
  };
  client->limiter = inf_rate_limiter_new(&lc, g_get_monotonic_time());
  if (CLIENT_HAS(klass, init) && klass->init) {
    gpointer priv = NULL;
    GError *local = NULL;
    if (!klass->init(client, client->options, &priv, &local)) {
      /* No finalize after a failed init (inf/module.h, "Lifecycle"). */
      inf_class_init_error(error, local, klass->name, file, config->json_path);
      return FALSE;
    }
    client->priv = priv;
  }
  /* Called for every client whose init succeeded, even with NULL data. */
  if (CLIENT_HAS(klass, finalize))
    client->finalize = klass->finalize;
  return TRUE;
}

static InfClient *
client_new(InfResourceManager *manager, InfResourceAlias *alias, const InfEndpointConfig *config,
           InfRegistry *registry, const char *file, GError **error)
{
  const InfClientClass *klass = config->klass;
  InfClient *client = g_new0(InfClient, 1);
  client->manager = manager;
  client->alias = alias;
  client->config = config;
  client->klass = klass;
  client_bind_class(client, klass, registry);
  gboolean requires_key = CLIENT_HAS(klass, requires_api_key) && klass->requires_api_key;
  if (!read_api_key(config, requires_key, file, &client->api_key, error) ||
      !client_init(client, registry, file, error)) {
    client_free(client);
    return NULL;
  }
  if (client->build_request && !client->call && !manager->http)
    manager->http = inf_http_session_new(NULL);
  return client;
}

InfResourceManager *
inf_resource_manager_new(const InfResourcesConfig *config, InfRegistry *registry, GError **error)
{
  InfResourceManager *manager = g_new0(InfResourceManager, 1);
  manager->calls = g_hash_table_new(g_direct_hash, g_direct_equal);
  manager->husks = g_hash_table_new(g_direct_hash, g_direct_equal);
  manager->registry = registry;
  manager->aliases = g_ptr_array_new_with_free_func(alias_free);
  manager->by_name = g_hash_table_new(g_str_hash, g_str_equal);
  manager->max_total = config ? config->max_total_concurrent : 0;
  manager->jitter = g_rand_new();
  for (guint i = 0; config && i < config->aliases->len; i++) {
    const InfAliasConfig *ac = g_ptr_array_index(config->aliases, i);
    InfResourceAlias *alias = g_new0(InfResourceAlias, 1);
    alias->name = g_strdup(ac->name);
    alias->manager = manager;
    alias->endpoints = g_ptr_array_new_with_free_func(client_free);
    alias->metrics = inf_metrics_new(ac->name);
    g_ptr_array_add(manager->aliases, alias);
    g_hash_table_insert(manager->by_name, alias->name, alias);
    for (guint j = 0; j < ac->endpoints->len; j++) {
      InfClient *client = client_new(manager, alias, g_ptr_array_index(ac->endpoints, j), registry,
                                     config->file, error);
      if (!client) {
        inf_resource_manager_free(manager);
        return NULL;
      }
      g_ptr_array_add(alias->endpoints, client);
    }
  }
  return manager;
}

void
inf_resource_manager_set_budget(InfResourceManager *manager, InfBudget *budget)
{
  manager->budget = budget;
  for (guint i = 0; i < manager->aliases->len; i++) {
    InfResourceAlias *alias = g_ptr_array_index(manager->aliases, i);
    alias->account = budget ? inf_budget_get_account(budget, alias->name) : NULL;
  }
}

InfBudget *
inf_resource_manager_get_budget(const InfResourceManager *manager)
{
  return manager->budget;
}

InfResourceAlias *
inf_resource_manager_lookup(InfResourceManager *manager, const char *alias)
{
  return alias ? g_hash_table_lookup(manager->by_name, alias) : NULL;
}

guint
inf_resource_manager_get_n_aliases(const InfResourceManager *manager)
{
  return manager->aliases->len;
}

InfResourceAlias *
inf_resource_manager_get_alias(InfResourceManager *manager, guint index)
{
  return g_ptr_array_index(manager->aliases, index);
}

gint
inf_resource_manager_get_in_flight(const InfResourceManager *manager)
{
  return manager->in_flight;
}

const char *
inf_resource_alias_get_name(const InfResourceAlias *alias)
{
  return alias->name;
}

InfMetrics *
inf_resource_alias_get_metrics(InfResourceAlias *alias)
{
  return alias->metrics;
}

gint
inf_resource_alias_get_in_flight(const InfResourceAlias *alias)
{
  return alias->in_flight;
}

double
inf_resource_alias_get_rate(const InfResourceAlias *alias)
{
  double total = 0;
  for (guint i = 0; i < alias->endpoints->len; i++) {
    InfClient *client = g_ptr_array_index(alias->endpoints, i);
    double rate = inf_rate_limiter_get_rate(client->limiter);
    if (rate <= 0)
      return 0;
    total += rate;
  }
  return total;
}

InfClient *
inf_resource_alias_pick(InfResourceAlias *alias, gint64 now_us, gint64 *wait_us)
{
  InfResourceManager *manager = alias->manager;
  *wait_us = 0;
  if (manager->max_total > 0 && manager->in_flight >= manager->max_total)
    return NULL;
  InfClient *best = NULL;
  gint64 min_wait = G_MAXINT64;
  for (guint i = 0; i < alias->endpoints->len; i++) {
    InfClient *client = g_ptr_array_index(alias->endpoints, i);
    if (client->config->max_concurrent > 0 && client->in_flight >= client->config->max_concurrent)
      continue;
    gint64 wait = inf_rate_limiter_wait_us(client->limiter, now_us);
    if (wait > 0) {
      min_wait = MIN(min_wait, wait);
      continue;
    }
    if (!best || client->in_flight < best->in_flight)
      best = client;
  }
  if (!best && min_wait != G_MAXINT64)
    *wait_us = min_wait;
  return best;
}

gboolean
inf_resource_alias_is_blocked(const InfResourceAlias *alias, gint64 now_us)
{
  for (guint i = 0; i < alias->endpoints->len; i++) {
    InfClient *client = g_ptr_array_index(alias->endpoints, i);
    if (!inf_rate_limiter_is_blocked(client->limiter, now_us))
      return FALSE;
  }
  return alias->endpoints->len > 0;
}

void
inf_resource_alias_reserve(InfResourceAlias *alias, InfClient *endpoint, gint64 now_us)
{
  inf_rate_limiter_take(endpoint->limiter, now_us);
  endpoint->in_flight++;
  alias->in_flight++;
  alias->manager->in_flight++;
}

static gboolean
slot_idle_cb(gpointer data)
{
  InfResourceManager *manager = data;
  manager->slot_idle = 0;
  /* Only the waits registered so far: a wait that finds no slot again
   * registers anew and waits for the next release. */
  GQueue waits = manager->slot_waits;
  g_queue_init(&manager->slot_waits);
  SlotWait *wait;
  while ((wait = g_queue_pop_head(&waits)) != NULL) {
    InfResourceSlotFunc func = wait->func;
    gpointer user_data = wait->user_data;
    g_free(wait);
    func(FALSE, user_data);
  }
  return G_SOURCE_REMOVE;
}

void
inf_resource_alias_release(InfResourceAlias *alias, InfClient *endpoint)
{
  g_return_if_fail(endpoint->in_flight > 0);
  endpoint->in_flight--;
  alias->in_flight--;
  InfResourceManager *manager = alias->manager;
  manager->in_flight--;
  if (manager->slot_waits.length > 0 && manager->slot_idle == 0)
    manager->slot_idle = g_idle_add(slot_idle_cb, manager);
}

guint64
inf_resource_manager_wait_slot(InfResourceManager *manager, InfResourceSlotFunc func,
                               gpointer user_data)
{
  SlotWait *wait = g_new0(SlotWait, 1);
  wait->id = ++manager->next_slot_wait;
  wait->func = func;
  wait->user_data = user_data;
  g_queue_push_tail(&manager->slot_waits, wait);
  return wait->id;
}

void
inf_resource_manager_cancel_slot_wait(InfResourceManager *manager, guint64 id)
{
  for (GList *l = manager->slot_waits.head; l != NULL; l = l->next) {
    SlotWait *wait = l->data;
    if (wait->id == id) {
      g_queue_delete_link(&manager->slot_waits, l);
      g_free(wait);
      return;
    }
  }
}

guint
inf_resource_manager_get_n_slot_waits(const InfResourceManager *manager)
{
  return manager->slot_waits.length;
}

void
inf_resource_alias_unreserve(InfResourceAlias *alias, InfClient *endpoint)
{
  inf_resource_alias_release(alias, endpoint);
  inf_rate_limiter_give_back(endpoint->limiter);
}

const InfEndpointConfig *
inf_resource_endpoint_get_config(const InfClient *endpoint)
{
  return endpoint->config;
}

void
inf_resource_manager_set_cache(InfResourceManager *manager, InfResponseCache *cache)
{
  inf_response_cache_free(manager->cache);
  manager->cache = cache;
}

InfResponseCache *
inf_resource_manager_get_cache(InfResourceManager *manager)
{
  return manager->cache;
}

gint64
inf_resource_endpoint_get_max_rate_limit_wait_us(const InfClient *endpoint)
{
  return (gint64)(endpoint->config->max_rate_limit_wait * 1e6);
}

char *
inf_format_duration_us(gint64 us)
{
  if (us < 0)
    us = 0;
  if (us < G_USEC_PER_SEC)
    return g_strdup_printf("%gms", (double)us / 1000.0);
  gint64 hours = us / (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC);
  gint64 minutes = us / (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC) % 60;
  double seconds = (double)(us % (G_GINT64_CONSTANT(60) * G_USEC_PER_SEC)) / 1e6;
  if (hours > 0)
    return g_strdup_printf("%" G_GINT64_FORMAT "h%" G_GINT64_FORMAT "m%gs", hours, minutes,
                           seconds);
  if (minutes > 0)
    return g_strdup_printf("%" G_GINT64_FORMAT "m%gs", minutes, seconds);
  return g_strdup_printf("%gs", seconds);
}

void
inf_log_client(const InfClient *client, InfLogLevel level, const char *format, ...)
{
  g_return_if_fail(client != NULL && format != NULL);
  if (!inf_log_is_enabled(level))
    return;
  g_autofree char *context =
      g_strdup_printf("alias '%s' (%s)", client->config->alias, client->origin);
  va_list args;
  va_start(args, format);
  inf_log_emitv(level, context, format, args);
  va_end(args);
}

/* --- InfClient accessors (SDK) --- */

gpointer
inf_client_get_private(const InfClient *client)
{
  return client->priv;
}

const InfOptions *
inf_client_get_options(const InfClient *client)
{
  return client->options;
}

const char *
inf_client_get_alias(const InfClient *client)
{
  return client->config->alias;
}

const char *
inf_client_get_model(const InfClient *client)
{
  return client->config->model;
}

const char *
inf_client_get_base_url(const InfClient *client)
{
  return client->config->base_url;
}

const char *
inf_client_get_api_key(const InfClient *client)
{
  return client->api_key;
}

const char *
inf_client_get_class_name(const InfClient *client)
{
  return client->klass->name;
}

char *
inf_resource_alias_describe_models(const InfResourceAlias *alias)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < alias->endpoints->len; i++) {
    const InfClient *client = g_ptr_array_index(alias->endpoints, i);
    const char *model = client->config->model ? client->config->model : client->config->provider;
    gboolean seen = FALSE;
    for (guint j = 0; j < i && !seen; j++) {
      const InfClient *other = g_ptr_array_index(alias->endpoints, j);
      seen = g_strcmp0(other->config->model ? other->config->model : other->config->provider,
                       model) == 0;
    }
    if (!seen)
      g_string_append_printf(s, "%s%s", s->len ? ", " : "", model);
  }
  return g_string_free(s, FALSE);
}

json_object *
inf_resource_manager_metrics_json(InfResourceManager *manager)
{
  json_object *root = json_object_new_object();
  json_object *aliases = json_object_new_object();
  for (guint i = 0; i < manager->aliases->len; i++) {
    InfResourceAlias *alias = g_ptr_array_index(manager->aliases, i);
    json_object_object_add(aliases, alias->name, inf_metrics_to_json(alias->metrics));
  }
  json_object_object_add(root, "aliases", aliases);
  return root;
}
