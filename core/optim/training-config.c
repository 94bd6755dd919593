/* The `training` block of a config. */
#include "optim/training-config.h"

#include <math.h>
#include <string.h>

#include "model/value-private.h"
#include "optim/loss.h"
#include "optim/optimizer.h"

static const char *const known_keys[] = {
  "loss",   "optimizer",  "epochs",       "batch_size", "seed", "shuffle",
  "accept", "pass_score", "keep_passing", "output",     NULL,
};

const char *
inf_accept_rule_name(InfAcceptRule rule)
{
  return rule == INF_ACCEPT_NOT_WORSE ? "not_worse" : "improve";
}

void
inf_training_config_free(InfTrainingConfig *config)
{
  if (!config)
    return;
  if (config->loss)
    inf_loss_unref(config->loss);
  if (config->optimizer)
    inf_optimizer_free(config->optimizer);
  g_free(config->output);
  g_free(config);
}

static void G_GNUC_PRINTF(4, 5)
    fail(GError **error, const char *file, const char *path, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *what = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s: %s", file, path, what);
}

static char *
describe(json_object *value)
{
  const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
  return g_strdup_printf("%s %.60s", inf_json_kind_phrase(value), text);
}

/* Fails at @base.@key: "expected WHAT, got VALUE" with WHAT from @format and
 * VALUE what @value is. */
static void G_GNUC_PRINTF(6, 7)
    fail_member(GError **error, const char *file, const char *base, const char *key,
                json_object *value, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *expected = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_autofree char *path = g_strdup_printf("%s.%s", base, key);
  g_autofree char *got = describe(value);
  fail(error, file, path, "expected %s, got %s", expected, got);
}

/* A whole number in [@min, @max] at @key (default kept when absent). */
static gboolean
get_uint(json_object *block, const char *key, guint64 min, guint64 max, guint64 *out,
         const char *file, const char *base, GError **error)
{
  json_object *v;
  if (!json_object_object_get_ex(block, key, &v))
    return TRUE;
  double d = json_object_get_double(v);
  if (!(json_object_is_type(v, json_type_int) ||
        (json_object_is_type(v, json_type_double) && d == floor(d))) ||
      d < (double)min || d > (double)max) {
    fail_member(error, file, base, key, v,
                "a whole number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT, min, max);
    return FALSE;
  }
  *out = json_object_is_type(v, json_type_int) ? (guint64)json_object_get_int64(v) : (guint64)d;
  return TRUE;
}

static gboolean
get_number(json_object *block, const char *key, double min, double max, double *out,
           const char *file, const char *base, GError **error)
{
  json_object *v;
  if (!json_object_object_get_ex(block, key, &v))
    return TRUE;
  double d = json_object_get_double(v);
  if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
      !isfinite(d) || d < min || d > max) {
    fail_member(error, file, base, key, v, "a number from %g to %g", min, max);
    return FALSE;
  }
  *out = d;
  return TRUE;
}

static gboolean
get_bool(json_object *block, const char *key, gboolean *out, const char *file, const char *base,
         GError **error)
{
  json_object *v;
  if (!json_object_object_get_ex(block, key, &v))
    return TRUE;
  if (!json_object_is_type(v, json_type_boolean)) {
    fail_member(error, file, base, key, v, "true or false");
    return FALSE;
  }
  *out = json_object_get_boolean(v);
  return TRUE;
}

static gboolean
check_keys(json_object *block, const char *const *keys, const char *file, const char *base,
           GError **error)
{
  json_object_object_foreach(block, key, value)
  {
    (void)value;
    if (g_strv_contains(keys, key))
      continue;
    g_autofree char *path = g_strdup_printf("%s.%s", base, key);
    g_autofree char *valid = g_strjoinv(", ", (char **)keys);
    fail(error, file, path, "unknown key; valid keys: %s", valid);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_accept(InfTrainingConfig *config, json_object *accept, const char *file, GError **error)
{
  static const char *const keys[] = { "rule", "min_delta", NULL };
  if (!json_object_is_type(accept, json_type_object)) {
    g_autofree char *got = describe(accept);
    fail(
        error, file, "training.accept",
        "expected an object {\"rule\": \"improve\" | \"not_worse\", \"min_delta\": number}, got %s",
        got);
    return FALSE;
  }
  if (!check_keys(accept, keys, file, "training.accept", error))
    return FALSE;
  json_object *rule;
  if (json_object_object_get_ex(accept, "rule", &rule)) {
    const char *name =
        json_object_is_type(rule, json_type_string) ? json_object_get_string(rule) : NULL;
    if (name && strcmp(name, "improve") == 0) {
      config->rule = INF_ACCEPT_IMPROVE;
    } else if (name && strcmp(name, "not_worse") == 0) {
      config->rule = INF_ACCEPT_NOT_WORSE;
    } else {
      fail_member(error, file, "training.accept", "rule", rule, "\"improve\" or \"not_worse\"");
      return FALSE;
    }
  }
  return get_number(accept, "min_delta", 0, 1, &config->min_delta, file, "training.accept", error);
}

static gboolean
parse_output(InfTrainingConfig *config, json_object *output, InfGraph *graph, const char *file,
             GError **error)
{
  GString *keys = g_string_new(NULL);
  for (guint i = 0; graph->output_shape == INF_GRAPH_OUTPUT_DICT && i < graph->n_outputs; i++)
    g_string_append_printf(keys, "%s%s", i ? ", " : "", graph->outputs[i].key);
  const char *name =
      json_object_is_type(output, json_type_string) ? json_object_get_string(output) : NULL;
  gboolean found = FALSE;
  for (guint i = 0; name && graph->output_shape == INF_GRAPH_OUTPUT_DICT && i < graph->n_outputs;
       i++)
    found |= strcmp(graph->outputs[i].key, name) == 0;
  if (!found) {
    g_autofree char *got = describe(output);
    if (keys->len)
      fail(error, file, "training.output",
           "expected the name of one of main's outputs (%s), got %s", keys->str, got);
    else
      fail(error, file, "training.output",
           "main's output has no names (it is not a dict); remove this key, got %s", got);
    g_string_free(keys, TRUE);
    return FALSE;
  }
  g_string_free(keys, TRUE);
  config->output = g_strdup(name);
  return TRUE;
}

InfTrainingConfig *
inf_training_config_parse(json_object *training, const char *file, InfGraph *graph,
                          InfRegistry *registry, const InfOptionsResolver *resolver,
                          gboolean need_optimizer, GError **error)
{
  if (!training) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: training: missing; add a \"training\" block with at least a \"loss\" "
                "({\"type\": \"verifier\"}, ...)%s",
                file, need_optimizer ? " and an \"optimizer\" ({\"type\": \"sfa\", ...})" : "");
    return NULL;
  }
  if (!json_object_is_type(training, json_type_object)) {
    g_autofree char *got = describe(training);
    fail(error, file, "training", "expected an object, got %s", got);
    return NULL;
  }
  if (!check_keys(training, known_keys, file, "training", error))
    return NULL;
  g_autoptr(InfTrainingConfig) config = g_new0(InfTrainingConfig, 1);
  config->epochs = 1;
  config->batch_size = 8;
  config->shuffle = TRUE;
  config->pass_score = 1.0;
  config->rule = INF_ACCEPT_IMPROVE;
  guint64 epochs = 1, batch_size = 8, seed = 0;
  if (!get_uint(training, "epochs", 1, 100000, &epochs, file, "training", error) ||
      !get_uint(training, "batch_size", 1, 100000, &batch_size, file, "training", error) ||
      !get_uint(training, "seed", 0, G_MAXINT64, &seed, file, "training", error) ||
      !get_bool(training, "shuffle", &config->shuffle, file, "training", error) ||
      !get_bool(training, "keep_passing", &config->keep_passing, file, "training", error) ||
      !get_number(training, "pass_score", 0, 1, &config->pass_score, file, "training", error))
    return NULL;
  config->epochs = (guint)epochs;
  config->batch_size = (guint)batch_size;
  config->seed = seed;
  json_object *v;
  if (json_object_object_get_ex(training, "accept", &v) && !parse_accept(config, v, file, error))
    return NULL;
  if (json_object_object_get_ex(training, "output", &v) &&
      !parse_output(config, v, graph, file, error))
    return NULL;
  json_object *loss = NULL;
  if (!json_object_object_get_ex(training, "loss", &loss)) {
    fail(error, file, "training.loss",
         "missing; name the loss that scores each example, e.g. {\"type\": \"verifier\"}");
    return NULL;
  }
  config->loss = inf_loss_new_full(registry, loss, file, "training.loss", resolver, error);
  if (!config->loss)
    return NULL;
  if (need_optimizer) {
    json_object *optimizer = NULL;
    if (!json_object_object_get_ex(training, "optimizer", &optimizer)) {
      fail(error, file, "training.optimizer",
           "missing; name the optimizer that proposes new parameter values, e.g. "
           "{\"type\": \"sfa\", \"aggregator\": ALIAS, \"updater\": ALIAS}");
      return NULL;
    }
    config->optimizer =
        inf_optimizer_new_full(registry, optimizer, file, "training.optimizer", resolver, error);
    if (!config->optimizer)
      return NULL;
  }
  return g_steal_pointer(&config);
}
