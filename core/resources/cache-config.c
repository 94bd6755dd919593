/* The `cache` block of resources (see cache-config.h). */
#include "resources/cache-config.h"

#include <math.h>

#include "model/options-private.h"
#include "model/value-private.h"
#include "resources/config-fields.h"

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

/* The fields of the cache block, validated by the options code
 * (config-fields.h). The choices in the order of INF_CACHE_MODE_CHOICES. */
static const char *const mode_choices[] = { "read", "write", "readwrite", "refresh", NULL };

static const InfOptionSpec cache_fields[] = {
  { .name = "path",
    .type = INF_OPTION_STRING,
    .description = "The SQLite file of the cache (created when missing); none: no cache." },
  { .name = "max_bytes",
    .type = INF_OPTION_INT,
    .default_json = "1073741824",
    .min = 4096,
    .max = INFINITY,
    .description = "Bound on the stored entries in bytes (LRU eviction)." },
  { .name = "mode",
    .type = INF_OPTION_ENUM,
    .default_json = "\"readwrite\"",
    .choices = mode_choices,
    .description = "readwrite: answer from the cache and store; read: store nothing; write: "
                   "always call, store what is not stored; refresh: always call, store all." },
  { .name = "store_truncated",
    .type = INF_OPTION_BOOL,
    .default_json = "false",
    .description = "Also store replies cut at max_tokens." },
  { .name = NULL },
};

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
  g_autoptr(InfOptions) fields =
      inf_config_fields_parse(cache_fields, json, file, json_path, error);
  if (!fields)
    return NULL;
  const char *path = inf_options_get_string(fields, "path");
  if (path && !*path) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.path: expected the cache file name (a non-empty string), got \"\"", file,
                json_path);
    return NULL;
  }
  g_autoptr(InfCacheConfig) config = inf_cache_config_new();
  config->path = g_strdup(path);
  config->max_bytes = inf_options_get_int(fields, "max_bytes");
  inf_cache_mode_from_name(inf_options_get_string(fields, "mode"), &config->mode);
  config->store_truncated = inf_options_get_bool(fields, "store_truncated");
  return g_steal_pointer(&config);
}
