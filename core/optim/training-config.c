/* The `training` block of a config. */
#include "optim/training-config.h"

#include <math.h>
#include <string.h>

#include "model/value-private.h"
#include "resources/config-fields.h"
#include "optim/loss.h"
#include "optim/optimizer.h"

/* The fields of the training block and of its accept block, validated by
 * the options code (resources/config-fields.h). loss, optimizer, accept and
 * output are checked here (missing loss, classes, the graph's outputs). */
static const InfOptionSpec training_fields[] = {
  { .name = "loss",
    .type = INF_OPTION_JSON,
    .description = "The loss that scores each example: {\"type\": ...} (required)." },
  { .name = "optimizer",
    .type = INF_OPTION_JSON,
    .description = "The optimizer that proposes parameter values (required by train)." },
  { .name = "epochs",
    .type = INF_OPTION_INT,
    .default_json = "1",
    .min = 1,
    .max = 100000,
    .description = "Passes over the training set." },
  { .name = "batch_size",
    .type = INF_OPTION_INT,
    .default_json = "8",
    .min = 1,
    .max = 100000,
    .description = "Examples per step." },
  { .name = "seed",
    .type = INF_OPTION_INT,
    .default_json = "0",
    .min = 0,
    .max = INFINITY,
    .description = "The seed of the shuffle." },
  { .name = "shuffle",
    .type = INF_OPTION_BOOL,
    .default_json = "true",
    .description = "Shuffle the training set each epoch." },
  { .name = "accept",
    .type = INF_OPTION_JSON,
    .description = "When a step's values are kept: {\"rule\", \"min_delta\"}." },
  { .name = "pass_score",
    .type = INF_OPTION_DOUBLE,
    .default_json = "1",
    .min = 0,
    .max = 1,
    .description = "The score from which an example passes." },
  { .name = "keep_passing",
    .type = INF_OPTION_BOOL,
    .default_json = "false",
    .description = "Also give the optimizer the examples that pass." },
  { .name = "output",
    .type = INF_OPTION_JSON,
    .description = "The name of main's dict output the loss scores." },
  { .name = NULL },
};

static const char *const rule_choices[] = { "improve", "not_worse", NULL };

static const InfOptionSpec accept_fields[] = {
  { .name = "rule",
    .type = INF_OPTION_ENUM,
    .default_json = "\"improve\"",
    .choices = rule_choices,
    .description = "improve: val > current + min_delta; not_worse: val >= current - min_delta." },
  { .name = "min_delta",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0",
    .min = 0,
    .max = 1,
    .description = "The margin of the rule." },
  { .name = NULL },
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

static gboolean
parse_accept(InfTrainingConfig *config, json_object *accept, const char *file, GError **error)
{
  if (!json_object_is_type(accept, json_type_object)) {
    g_autofree char *got = describe(accept);
    fail(
        error, file, "training.accept",
        "expected an object {\"rule\": \"improve\" | \"not_worse\", \"min_delta\": number}, got %s",
        got);
    return FALSE;
  }
  g_autoptr(InfOptions) fields =
      inf_config_fields_parse(accept_fields, accept, file, "training.accept", error);
  if (!fields)
    return FALSE;
  config->rule = g_str_equal(inf_options_get_string(fields, "rule"), "not_worse")
                     ? INF_ACCEPT_NOT_WORSE
                     : INF_ACCEPT_IMPROVE;
  config->min_delta = inf_options_get_double(fields, "min_delta");
  return TRUE;
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
  g_autoptr(InfOptions) fields =
      inf_config_fields_parse(training_fields, training, file, "training", error);
  if (!fields)
    return NULL;
  g_autoptr(InfTrainingConfig) config = g_new0(InfTrainingConfig, 1);
  config->epochs = (guint)inf_options_get_int(fields, "epochs");
  config->batch_size = (guint)inf_options_get_int(fields, "batch_size");
  config->seed = (guint64)inf_options_get_int(fields, "seed");
  config->shuffle = inf_options_get_bool(fields, "shuffle");
  config->keep_passing = inf_options_get_bool(fields, "keep_passing");
  config->pass_score = inf_options_get_double(fields, "pass_score");
  config->rule = INF_ACCEPT_IMPROVE;
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
