/* The `llm` module class: one LLM call through a resource alias.
 *
 *   "summarize": {
 *     "type": "llm",
 *     "alias": "fast",
 *     "system_prompt": { "parameter": "summary_prompt" },
 *     "temperature": 0.2,
 *     "response_format": "json",
 *     "cache": false
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
 * content alone: the way to read the reasoning text and the finish reason.
 *
 * With json_schema (an inline JSON Schema, or the path of a file holding one,
 * relative to the config file) the client asks its provider for JSON matching
 * the schema, and the reply is parsed and validated here. A reply that is not
 * JSON or does not match is sent back once more (max_repairs times) with the
 * problem appended as a new user message; after that the node fails with the
 * JSON path of the first violation. The schema is compiled when the config
 * loads, so a bad schema is a config error.
 *
 * With "cache": false the run's response cache never answers the module's
 * calls (nor stores their replies). */
#include <inf/inf.h>

#include "llm-reply.h"

#include <string.h>

static const char *const response_formats[] = { "text", "json", NULL };
static const char *const on_incomplete_choices[] = { "error", "accept", NULL };
static const char *const output_choices[] = { "content", "details", NULL };

static const InfOptionSpec llm_options[] = {
  { .name = "alias",
    .type = INF_OPTION_ALIAS,
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
  { .name = "json_schema",
    .type = INF_OPTION_JSON,
    .description = "A JSON Schema (draft 7 subset, see docs/config.md) the reply must match: "
                   "inline, or a file path relative to the config file; implies "
                   "response_format \"json\"" },
  { .name = "max_repairs",
    .type = INF_OPTION_INT,
    .default_json = "1",
    .description = "With json_schema: how many times a reply that does not match is sent back "
                   "with the problem before the node fails",
    .min = 0,
    .max = 10 },
  { .name = "cache",
    .type = INF_OPTION_BOOL,
    .default_json = "true",
    .description = "Whether the run's response cache may answer this module's calls and store "
                   "their replies; false: every call goes to the provider (fresh draws)" },
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
  InfJsonSchema *schema;      /* json_schema, or NULL */
  char *schema_name;          /* its name for providers */
  guint max_repairs;          /* with a schema */
  gboolean cache;
} LlmModule;

static void
llm_finalize(gpointer private_data)
{
  LlmModule *llm = private_data;

  if (llm == NULL)
    return;
  g_free(llm->alias);
  g_clear_pointer(&llm->system_prompt, inf_parameter_unref);
  g_clear_pointer(&llm->schema, inf_json_schema_unref);
  g_free(llm->schema_name);
  g_free(llm);
}

/* Reads the schema file @given, relative to the config file. */
static json_object *
load_schema_file(const InfOptions *options, const char *given, GError **error)
{
  const char *path = inf_options_get_path(options);
  const char *config = inf_options_get_file(options);
  g_autofree char *dir =
      config != NULL && *config != '\0' ? g_path_get_dirname(config) : g_strdup(".");
  g_autofree char *file =
      g_path_is_absolute(given) ? g_strdup(given) : g_build_filename(dir, given, NULL);
  g_autofree char *text = NULL;
  gsize length;
  g_autoptr(GError) read_error = NULL;

  if (*given == '\0') {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s.json_schema: expected a JSON Schema object or the path of a file holding "
                "one, got \"\"",
                path);
    return NULL;
  }
  if (!g_file_get_contents(file, &text, &length, &read_error)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s.json_schema: cannot read the schema file '%s' (paths are relative to the "
                "config file): %s",
                path, given, read_error->message);
    return NULL;
  }
  json_tokener *tok = json_tokener_new();
  json_object *json = json_tokener_parse_ex(tok, text, (int)length);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  if (jerr == json_tokener_continue)
    jerr = json_tokener_error_parse_eof;
  gboolean trailing = FALSE;
  for (size_t i = json_tokener_get_parse_end(tok); jerr == json_tokener_success && i < length; i++)
    trailing = trailing || !g_ascii_isspace(text[i]);
  json_tokener_free(tok);
  if (jerr != json_tokener_success || trailing) {
    json_object_put(json);
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s.json_schema: the schema file '%s' is not valid JSON: %s", path, given,
                trailing ? "text after the JSON value" : json_tokener_error_desc(jerr));
    return NULL;
  }
  return json;
}

/* The schema's name for providers: its title when that is a usable name,
 * else the module's name, else "reply". */
static char *
schema_name(InfModule *self, json_object *schema)
{
  const char *title = inf_json_get_string(schema, "title");
  if (title != NULL && *title != '\0' && strlen(title) <= 64 &&
      strspn(title, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
          strlen(title))
    return g_strdup(title);
  const char *name = inf_module_get_name(self);
  return g_strdup(name != NULL && *name != '\0' ? name : "reply");
}

static gboolean
llm_load_schema(InfModule *self, LlmModule *llm, const InfOptions *options, GError **error)
{
  json_object *given = inf_options_get_json(options, "json_schema");
  const char *path = inf_options_get_path(options);
  g_autofree char *schema_path = NULL;
  json_object *schema;

  if (json_object_is_type(given, json_type_string)) {
    schema = load_schema_file(options, json_object_get_string(given), error);
    if (schema == NULL)
      return FALSE;
    schema_path = g_strdup_printf("%s.json_schema (%s)", path, json_object_get_string(given));
  } else if (json_object_is_type(given, json_type_object) ||
             json_object_is_type(given, json_type_boolean)) {
    schema = json_object_get(given);
    schema_path = g_strdup_printf("%s.json_schema", path);
  } else {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s.json_schema: expected a JSON Schema object or the path of a file holding one, "
                "got %s",
                path, json_type_to_name(json_object_get_type(given)));
    return FALSE;
  }
  llm->schema = inf_json_schema_new(schema, schema_path, error);
  if (llm->schema != NULL)
    llm->schema_name = schema_name(self, schema);
  json_object_put(schema);
  return llm->schema != NULL;
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
  llm->accept_incomplete =
      g_strcmp0(inf_options_get_string(options, "on_incomplete"), "accept") == 0;
  llm->details = g_strcmp0(inf_options_get_string(options, "output"), "details") == 0;
  llm->max_repairs = (guint)inf_options_get_int(options, "max_repairs");
  if (inf_options_has(options, "json_schema")) {
    if (!llm_load_schema(self, llm, options, error)) {
      llm_finalize(llm);
      return FALSE;
    }
    llm->json = TRUE;
  }
  llm->cache = inf_options_get_bool(options, "cache");

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

static void llm_send(InfTask *task, const LlmModule *llm, const char *bad_reply,
                     const char *problem, guint attempt);

/* Schema replies: parse and validate. Returns the valid value, or NULL when
 * the reply went back for a repair or the task failed. */
static InfValue *
llm_reply_schema(InfTask *task, const LlmModule *llm, const char *content, guint attempt)
{
  const char *node_id = inf_task_get_node_id(task);
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *instance_path = NULL;
  InfValue *value = llm_reply_parse_json(content, node_id, llm->alias, &error);

  if (value != NULL) {
    json_object *json = inf_value_to_json(value);
    gboolean valid = inf_json_schema_validate(llm->schema, json, &instance_path, &error);
    json_object_put(json);
    if (valid)
      return value;
    inf_value_unref(value);
    problem =
        g_strdup_printf("Your reply does not match the required JSON schema: %s.", error->message);
  } else {
    problem = g_strdup("Your reply is not valid JSON.");
  }
  if (attempt < llm->max_repairs) {
    llm_send(task, llm, content, problem, attempt + 1);
    return NULL;
  }
  if (instance_path != NULL)
    inf_task_return_new_error(task, INF_ERROR_BAD_RESPONSE,
                              "node '%s': the reply from alias '%s' does not match json_schema "
                              "at %s (after %u repair%s): %s",
                              node_id, llm->alias, instance_path, attempt, attempt == 1 ? "" : "s",
                              error->message);
  else
    inf_task_return_new_error(task, INF_ERROR_BAD_RESPONSE, "%s (json_schema; after %u repair%s)",
                              error->message, attempt, attempt == 1 ? "" : "s");
  return NULL;
}

static void
llm_reply(InfTask *task, const InfLlmResponse *response, gpointer user_data)
{
  const LlmModule *llm = inf_module_get_private(inf_task_get_module(task));
  const char *content = inf_llm_response_get_content(response);
  GError *error = NULL;
  InfValue *value;

  /* The finish reason first: a cut-off reply is reported as such, not as
   * JSON that does not match. */
  if (!llm->accept_incomplete) {
    error =
        llm_reply_check_finish(response, inf_task_get_node_id(task), llm->alias, llm->max_tokens);
    if (error != NULL) {
      inf_task_return_error(task, error);
      return;
    }
  }
  if (llm->schema != NULL) {
    value = llm_reply_schema(task, llm, content, GPOINTER_TO_UINT(user_data));
    if (value == NULL)
      return; /* repairing, or failed */
  } else if (!llm->json) {
    /* Invalid UTF-8 in a reply is repaired (each bad byte becomes U+FFFD), so
     * that result lines stay valid JSON. */
    if (content != NULL && !inf_text_validate_utf8(content, -1))
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

typedef InfValue *(*ArgFunc)(const void *owner, guint index);

/* The prompt: the @n_args arguments @get returns, text as is and other
 * values as compact JSON, joined by blank lines. One argument (the usual
 * case, on every call) is returned as it is, without a copy through a
 * GString. */
static char *
join_args(const void *owner, guint n_args, ArgFunc get)
{
  if (n_args == 1)
    return inf_value_to_string(get(owner, 0));
  GString *joined = g_string_new(NULL);
  for (guint i = 0; i < n_args; i++) {
    g_autofree char *part = inf_value_to_string(get(owner, i));

    if (i > 0)
      g_string_append(joined, "\n\n");
    g_string_append(joined, part);
  }
  return g_string_free(joined, FALSE);
}

static InfValue *
task_arg(const void *task, guint index)
{
  return inf_task_get_arg(task, index);
}

/* Sends the node's request; a repair (@attempt > 0) adds the bad reply and
 * @problem to the conversation. */
static void
llm_send(InfTask *task, const LlmModule *llm, const char *bad_reply, const char *problem,
         guint attempt)
{
  InfLlmRequest *request = inf_llm_request_new();
  char *prompt = join_args(task, inf_task_get_n_args(task), task_arg);

  if (llm->system_prompt != NULL)
    inf_llm_request_set_system(request, inf_parameter_get_value(llm->system_prompt));
  inf_llm_request_add_message(request, "user", prompt);
  g_free(prompt);
  if (attempt > 0) {
    g_autofree char *correction =
        g_strdup_printf("%s Reply again with only the corrected JSON value.", problem);
    inf_llm_request_add_message(request, "assistant", bad_reply);
    inf_llm_request_add_message(request, "user", correction);
  }
  if (llm->temperature >= 0)
    inf_llm_request_set_temperature(request, llm->temperature);
  if (llm->max_tokens > 0)
    inf_llm_request_set_max_tokens(request, llm->max_tokens);
  inf_llm_request_set_json_mode(request, llm->json);
  if (llm->schema != NULL)
    inf_llm_request_set_json_schema(request, llm->schema_name,
                                    inf_json_schema_get_json(llm->schema));
  inf_llm_request_set_cacheable(request, llm->cache);
  inf_task_call_llm(task, request, llm_reply, GUINT_TO_POINTER(attempt));
}

static void
llm_execute(InfModule *self, InfTask *task)
{
  const LlmModule *llm = inf_module_get_private(self);

  if (inf_task_get_n_args(task) == 0) {
    inf_task_return_new_error(task, INF_ERROR_INVALID_ARGUMENT,
                              "node '%s': the llm module needs an argument (the prompt)",
                              inf_task_get_node_id(task));
    return;
  }
  llm_send(task, llm, NULL, NULL, 0);
}

/* Backward: long texts in parameter feedback are cut to this many bytes (at
 * a character boundary) with a visible marker. */
#define BACKWARD_EXCERPT 600

static void
append_excerpt(GString *out, const char *label, const char *text)
{
  gsize len = strlen(text);
  g_string_append_printf(out, "%s:\n", label);
  if (len <= BACKWARD_EXCERPT) {
    g_string_append(out, text);
  } else {
    const char *end = g_utf8_find_prev_char(text, text + BACKWARD_EXCERPT + 1);
    gsize cut = end ? (gsize)(end - text) : BACKWARD_EXCERPT;
    g_string_append_len(out, text, (gssize)cut);
    g_string_append_printf(out, " [... %" G_GSIZE_FORMAT " more bytes cut]", len - cut);
  }
  g_string_append(out, "\n");
}

static InfValue *
backward_arg(const void *ctx, guint index)
{
  return inf_backward_get_arg(ctx, index);
}

/* Every argument gets the node's feedback; a learnable system prompt gets a
 * note with the prompt, its description, the input the LLM saw, its output,
 * the feedback and the score. A passing example adds nothing, or only a short
 * "keep working on" note when the training asks for it. */
static void
llm_backward(InfModule *self, InfBackward *ctx)
{
  const LlmModule *llm = inf_module_get_private(self);
  const InfFeedback *fb = inf_backward_get_feedback(ctx);

  for (guint i = 0; i < inf_backward_get_n_args(ctx); i++)
    inf_backward_set_arg_feedback(ctx, i, inf_feedback_copy(fb));
  if (llm->system_prompt == NULL || !inf_parameter_get_requires_grad(llm->system_prompt)) {
    inf_backward_return(ctx);
    return;
  }
  /* The node's input as the LLM saw it. */
  g_autofree char *input = join_args(ctx, inf_backward_get_n_args(ctx), backward_arg);
  GString *note = g_string_new(NULL);
  if (inf_backward_is_passing(ctx)) {
    if (inf_backward_get_keep_passing(ctx)) {
      append_excerpt(note, "Kept working on this input (passed)", input);
      inf_backward_add_parameter_feedback(ctx, llm->system_prompt, note->str);
    }
    g_string_free(note, TRUE);
    inf_backward_return(ctx);
    return;
  }
  g_autofree char *output = inf_value_to_string(inf_backward_get_output(ctx));
  g_string_append_printf(note, "Node '%s' (an LLM call) used this system prompt.\n",
                         inf_backward_get_node_id(ctx));
  append_excerpt(note, "System prompt", inf_parameter_get_value(llm->system_prompt));
  append_excerpt(note, "What the prompt is for", inf_parameter_get_description(llm->system_prompt));
  append_excerpt(note, "Input it saw", input);
  append_excerpt(note, "Output it gave", output);
  g_string_append(note, "Feedback:\n");
  if (inf_feedback_get_n_items(fb) == 0)
    g_string_append(note, "- (no remarks)\n");
  for (guint i = 0; i < inf_feedback_get_n_items(fb); i++)
    g_string_append_printf(note, "- %s\n", inf_feedback_get_item(fb, i));
  if (inf_feedback_has_score(fb))
    g_string_append_printf(note, "Score: %.3g (1 is best; passing: %.3g)\n",
                           inf_feedback_get_score(fb), inf_backward_get_pass_score(ctx));
  else
    g_string_append(note, "Score: none\n");
  g_string_append(note, "Passed: no");
  inf_backward_add_parameter_feedback(ctx, llm->system_prompt, note->str);
  g_string_free(note, TRUE);
  inf_backward_return(ctx);
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
  .backward = llm_backward,
};

static gboolean
llm_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &llm_class, error);
}

INF_PLUGIN_DEFINE("llm", INF_VERSION_STRING, "The llm module class (one LLM call per node)", "MIT",
                  llm_register)
