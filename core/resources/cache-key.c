/* The response cache's key (see cache-key.h). */
#include "resources/cache-key.h"

#include <stdlib.h>
#include <string.h>

#include "resources/llm-request-private.h"

static int
compare_keys(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of @json whose object keys are sorted at every level. */
static json_object *
sorted_copy(json_object *json)
{
  if (json_object_is_type(json, json_type_array)) {
    gsize n = json_object_array_length(json);
    json_object *copy = json_object_new_array_ext((int)n);
    for (gsize i = 0; i < n; i++)
      json_object_array_add(copy, sorted_copy(json_object_array_get_idx(json, i)));
    return copy;
  }
  if (!json_object_is_type(json, json_type_object))
    return json_object_get(json);
  g_autoptr(GPtrArray) keys = g_ptr_array_new();
  json_object_object_foreach(json, name, value)
  {
    (void)value;
    g_ptr_array_add(keys, name);
  }
  if (keys->len > 1)
    qsort(keys->pdata, keys->len, sizeof(gpointer), compare_keys);
  json_object *copy = json_object_new_object();
  for (guint i = 0; i < keys->len; i++) {
    const char *name = g_ptr_array_index(keys, i);
    json_object_object_add(copy, name, sorted_copy(json_object_object_get(json, name)));
  }
  return copy;
}

#define KEY_SUFFIX ",\"v\":1}"

char *
inf_cache_key_prefix(const char *provider, const char *model, json_object *options)
{
  json_object *json = json_object_new_object();
  json_object_object_add(json, "model", model ? json_object_new_string(model) : NULL);
  json_object_object_add(json, "options",
                         options ? sorted_copy(options) : json_object_new_object());
  json_object_object_add(json, "provider", json_object_new_string(provider ? provider : ""));
  const char *text =
      json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  /* Without the closing brace, with the request's key. */
  char *prefix = g_strdup_printf("%.*s,\"request\":", (int)strlen(text) - 1, text);
  json_object_put(json);
  return prefix;
}

static char *
request_text(const InfLlmRequest *request)
{
  json_object *unsorted = inf_llm_request_to_json(request);
  json_object *json = sorted_copy(unsorted);
  json_object_put(unsorted);
  char *text = g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(json);
  return text;
}

char *
inf_cache_key_canonical_text(const char *provider, const char *model, json_object *options,
                             const InfLlmRequest *request)
{
  g_autofree char *prefix = inf_cache_key_prefix(provider, model, options);
  g_autofree char *body = request_text(request);
  return g_strconcat(prefix, body, KEY_SUFFIX, NULL);
}

void
inf_cache_key_init_prefixed(InfCacheKey *key, const char *prefix, const InfLlmRequest *request)
{
  g_autofree char *body = request_text(request);
  g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(checksum, (const guchar *)prefix, (gssize)strlen(prefix));
  g_checksum_update(checksum, (const guchar *)body, (gssize)strlen(body));
  g_checksum_update(checksum, (const guchar *)KEY_SUFFIX, (gssize)strlen(KEY_SUFFIX));
  gsize size = INF_CACHE_DIGEST_SIZE;
  g_checksum_get_digest(checksum, key->digest, &size);
  key->sample = 0;
}

void
inf_cache_key_init(InfCacheKey *key, const char *provider, const char *model, json_object *options,
                   const InfLlmRequest *request)
{
  g_autofree char *prefix = inf_cache_key_prefix(provider, model, options);
  inf_cache_key_init_prefixed(key, prefix, request);
}

guint
inf_cache_key_hash(gconstpointer data)
{
  const InfCacheKey *key = data;
  guint hash;
  memcpy(&hash, key->digest, sizeof hash);
  return hash ^ (key->sample * 2654435761u);
}

gboolean
inf_cache_key_equal(gconstpointer a, gconstpointer b)
{
  const InfCacheKey *ka = a, *kb = b;
  return ka->sample == kb->sample && memcmp(ka->digest, kb->digest, INF_CACHE_DIGEST_SIZE) == 0;
}
