/* The `template` module class: renders a text from its arguments.
 *
 *   "greet": { "type": "template", "template": "Hello {name}, about {topic.title}: {{ok}}" }
 *
 * {name} and {name.field} substitute named arguments (and their fields),
 * {0}, {1} the positional ones; {{ and }} are literal braces. The template
 * is parsed once, when the module is created; rendering finishes the task at
 * once. */
#include <inf/inf.h>

#include "template-render.h"

static const InfOptionSpec template_options[] = {
  { .name = "template",
    .type = INF_OPTION_STRING,
    .required = TRUE,
    .description = "The text to render: {name} and {name.field} substitute named arguments, "
                   "{0}, {1} positional ones; {{ and }} are literal braces" },
  { NULL },
};

static gboolean
template_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  TemplateProgram *program;

  (void)self;
  program = template_program_parse(inf_options_get_string(options, "template"), &local_error);
  if (program == NULL) {
    /* The engine prefixes the config file and JSON path. */
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "option 'template': %s", local_error->message);
    return FALSE;
  }
  *out_private = program;
  return TRUE;
}

static void
template_finalize(gpointer private_data)
{
  template_program_free(private_data);
}

static InfValue *
task_arg(gpointer data, guint index)
{
  return inf_task_get_arg(data, index);
}

static const char *
task_arg_name(gpointer data, guint index)
{
  return inf_task_get_arg_name(data, index);
}

static const char *
names_arg_name(gpointer data, guint index)
{
  const char *const *names = data;

  return names != NULL ? names[index] : NULL;
}

/* Every placeholder must have an argument: checked when the config is loaded
 * (or the composite traced), so a typo fails `inf-engine validate`, not the
 * run. */
static gboolean
template_check_args(InfModule *self, guint n_args, const char *const *arg_names, GError **error)
{
  const TemplateProgram *program = inf_module_get_private(self);
  TemplateArgs args = {
    .n_args = n_args,
    .get_arg = NULL,
    .get_arg_name = names_arg_name,
    .data = (gpointer)arg_names,
  };

  return template_program_check(program, &args, error);
}

static void
template_execute(InfModule *self, InfTask *task)
{
  const TemplateProgram *program = inf_module_get_private(self);
  TemplateArgs args = {
    .n_args = inf_task_get_n_args(task),
    .get_arg = task_arg,
    .get_arg_name = task_arg_name,
    .data = task,
  };
  GError *error = NULL;
  char *text;

  text = template_program_render(program, &args, inf_task_get_node_id(task), &error);
  if (text == NULL) {
    inf_task_return_error(task, error);
    return;
  }
  inf_task_return_value(task, inf_value_new_text_take(text));
}

static const InfModuleClass template_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "template",
  .description = "Renders a text from its arguments: {name}, {name.field}, {0}; {{ and }} for "
                 "literal braces",
  .options = template_options,
  .inputs = NULL, /* any arguments, named or positional */
  .init = template_init,
  .finalize = template_finalize,
  .execute = template_execute,
  .check_args = template_check_args,
};

static gboolean
template_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &template_class, error);
}

INF_PLUGIN_DEFINE("template", INF_VERSION_STRING, "The template module class (text rendering)",
                  "MIT", template_register)
