/* The `cache` block of resources (see cache-config.h). */
#include "resources/cache-config.h"

#include "model/value-private.h"

static const char *const mode_names[] = {
  [INF_CACHE_MODE_READWRITE] = "readwrite",
  [INF_CACHE_MODE_READ] = "read",
  [INF_CACHE_MODE_WRITE] = "write",
  [INF_CACHE_MODE_REFRESH] = "refresh",
};

const char *
inf_cache_mode_name(InfCacheMode mode)
{
  return (guint)mode < G_N_ELEMENTS(mode_names) ? mode_names[mode] : "unknown";
}

gboolean
inf_cache_mode_from_name(const char *name, InfCacheMode *mode)
{
  for (guint i = 0; name && i < G_N_ELEMENTS(mode_names); i++) {
    if (g_str_equal(name, mode_names[i])) {
      *mode = (InfCacheMode)i;
      return TRUE;
    }
  }
  return FALSE;
}

InfCacheConfig *
inf_cache_config_new(void)
{
  InfCacheConfig *config = g_new0(InfCacheConfig, 1);
  config->max_bytes = INF_CACHE_DEFAULT_MAX_BYTES;
  config->mode = INF_CACHE_MODE_READWRITE;
  return config;
}

InfCacheConfig *
inf_cache_config_copy(const InfCacheConfig *config)
{
  InfCacheConfig *copy = g_memdup2(config, sizeof *config);
  copy->path = g_strdup(config->path);
  return copy;
}

void
inf_cache_config_free(InfCacheConfig *config)
{
  if (!config)
    return;
  g_free(config->path);
  g_free(config);
}

InfCacheConfig *
inf_cache_config_parse(json_object *json, const char *file, const char *json_path, GError **error)
{
  if (!json_object_is_type(json, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s: expected an object {\"path\": FILE, \"max_bytes\": N, \"mode\": ...}, "
                "got %s",
                file, json_path, inf_json_kind_phrase(json));
    return NULL;
  }
  g_autoptr(InfCacheConfig) config = inf_cache_config_new();
  json_object_object_foreach(json, key, value)
  {
    if (g_str_equal(key, "path")) {
      if (!json_object_is_type(value, json_type_string) || !*json_object_get_string(value)) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "%s: %s.path: expected the cache file name (a non-empty string), got %s", file,
                    json_path, inf_json_kind_phrase(value));
        return NULL;
      }
      config->path = g_strdup(json_object_get_string(value));
    } else if (g_str_equal(key, "max_bytes")) {
      if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 4096) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "%s: %s.max_bytes: expected an integer >= 4096 (bytes), got %s", file,
                    json_path, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
        return NULL;
      }
      config->max_bytes = json_object_get_int64(value);
    } else if (g_str_equal(key, "mode")) {
      if (!json_object_is_type(value, json_type_string) ||
          !inf_cache_mode_from_name(json_object_get_string(value), &config->mode)) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "%s: %s.mode: expected one of " INF_CACHE_MODE_CHOICES ", got %s", file,
                    json_path, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
        return NULL;
      }
    } else if (g_str_equal(key, "store_truncated")) {
      if (!json_object_is_type(value, json_type_boolean)) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "%s: %s.store_truncated: expected true or false, got %s", file, json_path,
                    inf_json_kind_phrase(value));
        return NULL;
      }
      config->store_truncated = json_object_get_boolean(value);
    } else {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "%s: %s.%s: unknown key; valid keys: path, max_bytes, mode, store_truncated",
                  file, json_path, key);
      return NULL;
    }
  }
  return g_steal_pointer(&config);
}
