#include "host/run-checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "graph/graph-export.h"

static int
compare_keys(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @json as text with object keys sorted at every level. */
static void
append_canonical(GString *out, json_object *json)
{
  switch (json_object_get_type(json)) {
  case json_type_object: {
    guint n = 0;
    g_autofree const char **keys = g_new(const char *, json_object_object_length(json) + 1);
    json_object_object_foreach(json, key, value)
    {
      (void)value;
      keys[n++] = key;
    }
    qsort(keys, n, sizeof *keys, compare_keys);
    g_string_append_c(out, '{');
    for (guint i = 0; i < n; i++) {
      json_object *key = json_object_new_string(keys[i]);
      g_string_append_printf(out, "%s%s:", i ? "," : "", json_object_to_json_string(key));
      json_object_put(key);
      append_canonical(out, json_object_object_get(json, keys[i]));
    }
    g_string_append_c(out, '}');
    break;
  }
  case json_type_array:
    g_string_append_c(out, '[');
    for (size_t i = 0; i < json_object_array_length(json); i++) {
      if (i)
        g_string_append_c(out, ',');
      append_canonical(out, json_object_array_get_idx(json, i));
    }
    g_string_append_c(out, ']');
    break;
  default:
    g_string_append(out,
                    json ? json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN) : "null");
  }
}

static char *
hash_json(json_object *json)
{
  GString *text = g_string_new(NULL);
  append_canonical(text, json);
  char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text->str, (gssize)text->len);
  g_string_free(text, TRUE);
  return hash;
}

InfCheckpoint *
inf_host_open_checkpoint(InfConfig *config, const InfResourcesConfig *resources, const char *path,
                         gboolean resume, GError **error)
{
  /* The config less what may change between a run and its resumption:
   * parameter values (compared one by one), resources (only the models
   * matter: limits, budgets and URLs may change), the training block. */
  json_object *doc = inf_config_get_json(config);
  json_object *rest = json_object_new_object();
  json_object_object_foreach(doc, key, value)
  {
    if (!g_str_equal(key, "parameters") && !g_str_equal(key, "resources") &&
        !g_str_equal(key, "training"))
      json_object_object_add(rest, key, json_object_get(value));
  }
  g_autofree char *config_hash = hash_json(rest);
  json_object_put(rest);
  json_object *graph = inf_graph_to_json(inf_config_get_graph(config));
  g_autofree char *graph_hash = hash_json(graph);
  json_object_put(graph);
  json_object *models = json_object_new_object();
  for (guint i = 0; resources && i < resources->aliases->len; i++) {
    const InfAliasConfig *alias = g_ptr_array_index(resources->aliases, i);
    GString *text = g_string_new(NULL);
    for (guint j = 0; j < alias->endpoints->len; j++) {
      const InfEndpointConfig *e = g_ptr_array_index(alias->endpoints, j);
      g_string_append_printf(text, "%s%s/%s", j ? ", " : "", e->provider,
                             e->model ? e->model : "(default)");
    }
    json_object_object_add(models, alias->name, json_object_new_string(text->str));
    g_string_free(text, TRUE);
  }
  /* Parameters by the name the config gives them in its parameters block,
   * else by their dotted path. */
  json_object *parameters = json_object_new_object();
  json_object *block = NULL;
  json_object_object_get_ex(doc, "parameters", &block);
  GPtrArray *named = inf_module_named_parameters(inf_config_get_main(config));
  for (guint i = 0; i < named->len; i++) {
    const InfNamedParameter *np = g_ptr_array_index(named, i);
    const char *name = np->name;
    if (json_object_is_type(block, json_type_object)) {
      json_object_object_foreach(block, key, value)
      {
        (void)value;
        if (inf_config_lookup_parameter(config, key) == np->parameter) {
          name = key;
          break;
        }
      }
    }
    const char *text = inf_parameter_get_value(np->parameter);
    json_object_object_add(parameters, name, text ? json_object_new_string(text) : NULL);
  }
  g_ptr_array_unref(named);
  InfCheckpointIdentity identity = {
    .config_hash = config_hash,
    .graph_hash = graph_hash,
    .parameters = parameters,
    .models = models,
  };
  InfCheckpoint *checkpoint = inf_checkpoint_open(path, resume, &identity, error);
  json_object_put(parameters);
  json_object_put(models);
  return checkpoint;
}

gboolean
inf_host_check_checkpoint_input(InfCheckpoint *checkpoint, FILE *input, const char *input_name,
                                GError **error)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  guint64 index = 0, line_number = 0;
  gboolean ok = TRUE;
  while (ok && (n = getline(&line, &cap, input)) >= 0) {
    line_number++;
    /* The same lines as the batch reads: blank ones are not inputs. */
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      n--;
    gsize start = 0;
    while (start < (gsize)n && g_ascii_isspace(line[start]))
      start++;
    if (start == (gsize)n)
      continue;
    guint64 hash = inf_checkpoint_hash_line(line + start, (gsize)n - start);
    g_autoptr(GError) local = NULL;
    if (inf_checkpoint_check_line(checkpoint, index, hash, &local) == INF_CHECKPOINT_LINE_CHANGED) {
      g_set_error(error, local->domain, local->code, "%s:%" G_GUINT64_FORMAT ": %s", input_name,
                  line_number, local->message);
      ok = FALSE;
    }
    index++;
  }
  free(line);
  if (ok && !inf_checkpoint_check_input_count(checkpoint, index, error))
    ok = FALSE;
  if (ok && ferror(input)) {
    g_set_error(error, INF_ERROR, INF_ERROR_IO, "reading %s failed", input_name);
    ok = FALSE;
  }
  rewind(input);
  return ok;
}

char *
inf_host_resume_command(char **argv)
{
  GString *out = g_string_new("inf-engine");
  gboolean has_resume = FALSE;
  for (char **arg = argv; *arg; arg++) {
    g_autofree char *quoted = g_shell_quote(*arg);
    g_string_append_printf(out, " %s",
                           strpbrk(*arg, " \t\n'\"\\$`!*?[]{}()<>|&;#~") || !**arg ? quoted : *arg);
    if (g_str_equal(*arg, "--resume"))
      has_resume = TRUE;
  }
  if (!has_resume)
    g_string_append(out, " --resume");
  return g_string_free(out, FALSE);
}
