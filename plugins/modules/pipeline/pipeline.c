/* The analysis pipeline written in C: a composite module whose forward()
 * builds the summarize / keywords / sentiment / report graph by calling its
 * children, the same graph a config `graph` module describes (see
 * configs/analysis-pipeline.json). It shows how a plugin author writes a
 * composite against the SDK only:
 *
 *   text ─► summarize ─► keywords ─┐
 *     │         └──────────────────┤
 *     └───► sentiment ─────────────┴─► format ─► report
 */
#include <inf/inf.h>

typedef struct {
  InfModule *summarize;
  InfModule *keywords;
  InfModule *sentiment;
  InfModule *format;
  InfModule *report;
} AnalysisPipeline;

static const InfOptionSpec pipeline_options[] = {
  { .name = "fast_alias",
    .type = INF_OPTION_STRING,
    .default_json = "\"fast\"",
    .description = "Resource alias of the summary, keyword and sentiment calls" },
  { .name = "smart_alias",
    .type = INF_OPTION_STRING,
    .default_json = "\"smart\"",
    .description = "Resource alias of the final report call" },
  { .name = NULL },
};

static const InfInputSpec pipeline_inputs[] = {
  { .name = "text", .description = "The text to analyze", .required = TRUE },
  { .name = NULL },
};

static void
pipeline_free(gpointer data)
{
  g_free(data);
}

/* Creates child @name of @type with @options (JSON text) and adds it. */
static InfModule *
add_child(InfModule *self, const char *name, const char *type, json_object *options, GError **error)
{
  g_autoptr(InfModule) child =
      inf_module_new(inf_module_get_registry(self), type, name, options, error);
  json_object_put(options);
  if (child == NULL) {
    g_prefix_error(error, "child '%s': ", name);
    return NULL;
  }
  if (!inf_module_add_child(self, name, child, error))
    return NULL;
  return child; /* borrowed: the parent holds it */
}

static json_object *
llm_options(const char *alias, const char *system_prompt)
{
  json_object *options = json_object_new_object();
  json_object_object_add(options, "alias", json_object_new_string(alias));
  json_object_object_add(options, "system_prompt", json_object_new_string(system_prompt));
  return options;
}

static gboolean
pipeline_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  const char *fast = inf_options_get_string(options, "fast_alias");
  const char *smart = inf_options_get_string(options, "smart_alias");
  AnalysisPipeline *p = g_new0(AnalysisPipeline, 1);
  json_object *format = json_object_new_object();

  json_object_object_add(
      format, "template",
      json_object_new_string("Summary: {summary}\nKeywords: {keywords}\nSentiment: {sentiment}"));
  if (!(p->summarize =
            add_child(self, "summarize", "llm",
                      llm_options(fast, "Summarize the text in one sentence."), error)) ||
      !(p->keywords = add_child(self, "keywords", "llm",
                                llm_options(fast, "List five keywords of the text, comma "
                                                  "separated."),
                                error)) ||
      !(p->sentiment = add_child(self, "sentiment", "llm",
                                 llm_options(fast, "Answer with one word: positive, negative "
                                                   "or neutral."),
                                 error)) ||
      !(p->format = add_child(self, "format", "template", format, error)) ||
      !(p->report = add_child(self, "report", "llm",
                              llm_options(smart, "Write a three-sentence report from these "
                                                 "notes."),
                              error))) {
    g_free(p);
    return FALSE;
  }
  *out_private = p;
  return TRUE;
}

static InfValue *
pipeline_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
                 GError **error)
{
  AnalysisPipeline *p = inf_module_get_private(self);

  if (n_inputs != 1) {
    g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                "analysis-pipeline takes one input (text), got %u", n_inputs);
    return NULL;
  }
  InfValue *text = inputs[0];
  g_autoptr(InfValue) summary = inf_call(tracer, p->summarize, text, NULL);
  g_autoptr(InfValue) keywords = inf_call(tracer, p->keywords, summary, NULL);
  g_autoptr(InfValue) sentiment = inf_call(tracer, p->sentiment, text, NULL);
  InfValue *const notes_args[] = { summary, keywords, sentiment };
  const char *const notes_names[] = { "summary", "keywords", "sentiment" };
  g_autoptr(InfValue) formatted = inf_callv(tracer, p->format, 3, notes_args, notes_names);
  g_autoptr(InfValue) report = inf_call(tracer, p->report, formatted, NULL);

  InfValue *result = inf_value_new_dict();
  inf_value_dict_set(result, "summary", summary);
  inf_value_dict_set(result, "keywords", keywords);
  inf_value_dict_set(result, "sentiment", sentiment);
  inf_value_dict_set(result, "report", report);
  return result;
}

static const InfModuleClass pipeline_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "analysis-pipeline",
  .description = "Summary, keywords and sentiment of a text on the fast alias, then a report "
                 "on the smart alias (a composite written in C)",
  .options = pipeline_options,
  .inputs = pipeline_inputs,
  .init = pipeline_init,
  .finalize = pipeline_free,
  .forward = pipeline_forward,
};

static gboolean
pipeline_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &pipeline_class, error);
}

INF_PLUGIN_DEFINE("pipeline", "0.1.0", "A composite written in C: the analysis pipeline", "MIT",
                  pipeline_register)
