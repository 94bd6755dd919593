/* A good test plugin: one class of every kind. */
#include <inf/inf.h>

static const char *const colors[] = { "red", "green", NULL };

static const InfOptionSpec echo_options[] = {
  { .name = "prefix",
    .type = INF_OPTION_STRING,
    .default_json = "\"\"",
    .description = "Prepended to the echoed text" },
  { .name = "color",
    .type = INF_OPTION_ENUM,
    .default_json = "\"red\"",
    .choices = colors,
    .description = "A color" },
  { .name = "count", .type = INF_OPTION_INT, .min = 1, .max = 10, .description = "A count" },
  { NULL },
};

static const InfInputSpec echo_inputs[] = {
  { .name = "text", .description = "What to echo", .required = TRUE },
  { NULL },
};

static void
echo_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, inf_value_ref(inf_task_get_arg(task, 0)));
}

static const InfModuleClass echo_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "test-echo",
  .description = "Echoes its input",
  .options = echo_options,
  .inputs = echo_inputs,
  .execute = echo_execute,
};

static void
client_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  (void)call;
}

static const InfClientClass client_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "test-client",
  .description = "A client that never answers",
  .call = client_call,
};

static const InfLossClass loss_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "test-loss",
  .description = "A loss",
};

static const InfOptimizerClass optimizer_class = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "test-optimizer",
  .description = "An optimizer",
};

static gboolean
good_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &echo_class, error) &&
         inf_registry_add_client_class(registry, &client_class, error) &&
         inf_registry_add_loss_class(registry, &loss_class, error) &&
         inf_registry_add_optimizer_class(registry, &optimizer_class, error);
}

INF_PLUGIN_DEFINE("test-good", "1.2.3", "A good test plugin", "MIT", good_register)
