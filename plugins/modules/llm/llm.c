/* The `llm` module class: one LLM call through a resource alias.
 *
 *   "summarize": {
 *     "type": "llm",
 *     "alias": "fast",
 *     "system_prompt": { "parameter": "summary_prompt" },
 *     "temperature": 0.2,
 *     "response_format": "json"
 *   }
 *
 * The prompt is the node's argument (text as is, other values as compact
 * JSON; several arguments are joined by blank lines). The system prompt is
 * a parameter, so training can improve it; its current value is read at
 * every call. With response_format "json" the reply is parsed (a Markdown code
 * fence around it is accepted) and a reply that is not JSON fails the node.
 *
 * A reply that did not end normally (finish reason other than "stop": cut
 * off at max_tokens, refused, content-filtered, tool calls, paused), or that
 * has no content because the model spent its tokens reasoning, fails the
 * node with a message saying so (option on_incomplete "error"); with
 * "accept" its text is kept. With output "details" the node's value is an
 * object {content, finish_reason, refusal, reasoning, usage} instead of the
 * content alone: the way to read the reasoning text and the finish reason. */
#include <inf/inf.h>

#include "llm-reply.h"

static const char *const response_formats[] = { "text", "json", NULL };
static const char *const on_incomplete_choices[] = { "error", "accept", NULL };
static const char *const output_choices[] = { "content", "details", NULL };

static const InfOptionSpec llm_options[] = {
  { .name = "alias",
    .type = INF_OPTION_STRING,
    .required = TRUE,
    .description = "The resource alias to call (a key of resources.endpoints)" },
  { .name = "system_prompt",
    .type = INF_OPTION_PARAMETER,
    .description = "The system prompt: a text, {\"parameter\": NAME} naming an entry of the "
                   "parameters block, or an inline parameter; registered as the module's "
                   "parameter 'system_prompt'" },
  { .name = "temperature",
    .type = INF_OPTION_DOUBLE,
    .description = "Sampling temperature; unset: the provider's default",
    .min = 0.0,
    .max = 2.0 },
  { .name = "max_tokens",
    .type = INF_OPTION_INT,
    .description = "The most tokens the reply may have; unset: the provider's default",
    .min = 1,
    .max = G_MAXINT32 },
  { .name = "response_format",
    .type = INF_OPTION_ENUM,
    .default_json = "\"text\"",
    .description = "\"text\": the reply as text; \"json\": the reply parsed as JSON (asks the "
                   "provider for JSON where it can)",
    .choices = response_formats },
  { .name = "on_incomplete",
    .type = INF_OPTION_ENUM,
    .default_json = "\"error\"",
    .description = "A reply that did not end normally (finish reason other than stop: cut off at "
                   "max_tokens, refused, content filtered, ...) or has only reasoning and no "
                   "content: \"error\" fails the node saying why; \"accept\" keeps the text "
                   "(the finish reason is counted in the metrics and part of output "
                   "\"details\")",
    .choices = on_incomplete_choices },
  { .name = "output",
    .type = INF_OPTION_ENUM,
    .default_json = "\"content\"",
    .description = "\"content\": the node's value is the reply (text or parsed JSON); "
                   "\"details\": an object {content, finish_reason, refusal, reasoning, usage "
                   "{input, output, reasoning}} (reasoning: the model's reasoning text or null, "
                   "never mixed into content)",
    .choices = output_choices },
  { NULL },
};

static const InfInputSpec llm_inputs[] = {
  { .name = "prompt",
    .description = "The user message (text as is, other values as compact JSON)",
    .required = TRUE },
  { NULL },
};

typedef struct {
  char *alias;
  InfParameter *system_prompt; /* a reference, or NULL */
  double temperature;          /* negative: the provider's default */
  gint64 max_tokens;           /* 0: the provider's default */
  gboolean json;
  gboolean accept_incomplete; /* on_incomplete "accept" */
  gboolean details;           /* output "details" */
} LlmModule;

static void
llm_finalize(gpointer private_data)
{
  LlmModule *llm = private_data;

  if (llm == NULL)
    return;
  g_free(llm->alias);
  g_clear_pointer(&llm->system_prompt, inf_parameter_unref);
  g_free(llm);
}

static gboolean
llm_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  const char *alias = inf_options_get_string(options, "alias");
  json_object *format = inf_options_get_json(options, "response_format");
  LlmModule *llm;

  if (alias == NULL || *alias == '\0') {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "option 'alias' must name a resource alias (a key of resources.endpoints)");
    return FALSE;
  }

  llm = g_new0(LlmModule, 1);
  llm->alias = g_strdup(alias);
  llm->temperature = inf_options_has(options, "temperature")
                       ? inf_options_get_double(options, "temperature")
                       : -1.0;
  llm->max_tokens =
    inf_options_has(options, "max_tokens") ? inf_options_get_int(options, "max_tokens") : 0;
  llm->json = format != NULL && g_strcmp0(json_object_get_string(format), "json") == 0;
  llm->accept_incomplete = g_strcmp0(inf_options_get_string(options, "on_incomplete"), "accept") == 0;
  llm->details = g_strcmp0(inf_options_get_string(options, "output"), "details") == 0;

  if (inf_options_has(options, "system_prompt")) {
    InfParameter *param = inf_options_get_parameter(options, "system_prompt");

    if (param != NULL) {
      if (!inf_module_add_parameter(self, "system_prompt", param, error)) {
        llm_finalize(llm);
        return FALSE;
      }
      llm->system_prompt = inf_parameter_ref(param);
    }
  }
  *out_private = llm;
  return TRUE;
}

static const char *
llm_resource_alias(InfModule *self)
{
  const LlmModule *llm = inf_module_get_private(self);

  return llm != NULL ? llm->alias : NULL;
}

static void
llm_reply(InfTask *task, const InfLlmResponse *response, gpointer user_data)
{
  const LlmModule *llm = inf_module_get_private(inf_task_get_module(task));
  const char *content = inf_llm_response_get_content(response);
  GError *error = NULL;
  InfValue *value;

  (void)user_data;
  if (!llm->accept_incomplete) {
    error = llm_reply_check_finish(response, inf_task_get_node_id(task), llm->alias,
                                   llm->max_tokens);
    if (error != NULL) {
      inf_task_return_error(task, error);
      return;
    }
  }
  if (!llm->json) {
    /* Invalid UTF-8 in a reply is repaired (each bad byte becomes U+FFFD), so
     * that result lines stay valid JSON. */
    if (content != NULL && !g_utf8_validate(content, -1, NULL))
      value = inf_value_new_text_take(g_utf8_make_valid(content, -1));
    else
      value = inf_value_new_text(content != NULL ? content : "");
  } else {
    value = llm_reply_parse_json(content, inf_task_get_node_id(task), llm->alias, &error);
    if (value == NULL) {
      inf_task_return_error(task, error);
      return;
    }
  }
  if (llm->details)
    value = llm_reply_details(response, value);
  inf_task_return_value(task, value);
}

static void
llm_execute(InfModule *self, InfTask *task)
{
  const LlmModule *llm = inf_module_get_private(self);
  guint n_args = inf_task_get_n_args(task);
  InfLlmRequest *request;
  char *prompt;

  if (n_args == 0) {
    inf_task_return_new_error(task, INF_ERROR_INVALID_ARGUMENT,
                              "node '%s': the llm module needs an argument (the prompt)",
                              inf_task_get_node_id(task));
    return;
  }
  if (n_args == 1) {
    prompt = inf_value_to_string(inf_task_get_arg(task, 0));
  } else {
    GString *joined = g_string_new(NULL);

    for (guint i = 0; i < n_args; i++) {
      g_autofree char *part = inf_value_to_string(inf_task_get_arg(task, i));

      if (i > 0)
        g_string_append(joined, "\n\n");
      g_string_append(joined, part);
    }
    prompt = g_string_free(joined, FALSE);
  }

  request = inf_llm_request_new();
  if (llm->system_prompt != NULL)
    inf_llm_request_set_system(request, inf_parameter_get_value(llm->system_prompt));
  inf_llm_request_add_message(request, "user", prompt);
  g_free(prompt);
  if (llm->temperature >= 0)
    inf_llm_request_set_temperature(request, llm->temperature);
  if (llm->max_tokens > 0)
    inf_llm_request_set_max_tokens(request, llm->max_tokens);
  inf_llm_request_set_json_mode(request, llm->json);
  inf_task_call_llm(task, request, llm_reply, NULL);
}

static const InfModuleClass llm_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "llm",
  .description = "Calls an LLM through a resource alias: system prompt (a learnable parameter), "
                 "the prompt from its argument, text or JSON reply",
  .options = llm_options,
  .inputs = llm_inputs,
  .init = llm_init,
  .finalize = llm_finalize,
  .execute = llm_execute,
  .resource_alias = llm_resource_alias,
};

static gboolean
llm_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &llm_class, error);
}

INF_PLUGIN_DEFINE("llm", INF_VERSION_STRING, "The llm module class (one LLM call per node)", "MIT",
                  llm_register)
