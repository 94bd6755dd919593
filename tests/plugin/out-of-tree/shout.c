/* shout.c: a complete inf-engine plugin with one module class, `shout`,
 * which upper-cases its input and appends a suffix.
 *
 *   cc -shared -fPIC -o shout.so shout.c $(pkg-config --cflags --libs inf-engine-sdk)
 *   inf-engine plugins --plugin-dir .
 */
#include <inf/inf.h>

/* The options a config may give a `shout` module; NULL name ends the table. */
static const InfOptionSpec shout_options[] = {
  { .name = "suffix",
    .type = INF_OPTION_STRING,
    .default_json = "\"!\"",
    .description = "Appended to the upper-cased text" },
  { NULL },
};

/* The arguments a `shout` node takes. */
static const InfInputSpec shout_inputs[] = {
  { .name = "text", .description = "The text to shout", .required = TRUE },
  { NULL },
};

/* Runs one node: reads the argument, finishes the task exactly once. */
static void
shout_execute(InfModule *self, InfTask *task)
{
  const char *suffix = inf_options_get_string(inf_module_get_options(self), "suffix");
  char *text, *upper;

  if (inf_task_get_n_args(task) != 1) {
    inf_task_return_new_error(task, INF_ERROR_INVALID_ARGUMENT,
                              "node '%s': shout takes one argument, got %u",
                              inf_task_get_node_id(task), inf_task_get_n_args(task));
    return;
  }
  text = inf_value_to_string(inf_task_get_arg(task, 0));
  upper = g_utf8_strup(text, -1);
  inf_task_return_value(task, inf_value_new_text_take(g_strconcat(upper, suffix, NULL)));
  g_free(upper);
  g_free(text);
}

/* The class: static storage, struct_size first. */
static const InfModuleClass shout_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "shout",
  .description = "Upper-cases its input and appends a suffix",
  .options = shout_options,
  .inputs = shout_inputs,
  .execute = shout_execute,
};

static gboolean
shout_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &shout_class, error);
}

/* The one symbol the host looks for: name, version, description, license
 * and the register function, stamped with the SDK's ABI version. */
INF_PLUGIN_DEFINE("shout", "1.0.0", "Adds the shout module class", "MIT", shout_register)
