/* Asking an alias for a JSON reply from a loss, with retries of malformed
 * replies, and the options every LLM loss shares. */
#pragma once

#include <inf/inf.h>
#include <inf/json-schema.h>

/* What every LLM loss (llm-judge, rubric, preference, ranking) keeps: its
 * common options and the schema of the JSON reply it asks for. */
typedef struct {
  const char *loss; /* the loss's type name, for messages (static) */
  char *alias;
  char *criteria; /* NULL: none */
  double temperature;
  guint attempts; /* at least 1 */
  gsize max_chars;
  InfJsonSchema *schema; /* the reply must be valid; sent as structured output */
} LossesLlm;

/* Table entries of the options every LLM loss has besides criteria, @WHO
 * naming the LLM in their descriptions ("judge", "grader"; "grading" for the
 * alias) and @TEXTS what max_chars cuts. Each class lists alias and criteria
 * first, its own options, then temperature, attempts and max_chars. */
// clang-format off
#define LOSSES_LLM_OPTION_ALIAS(WHO)                                                               \
  { .name = "alias", .type = INF_OPTION_ALIAS, .default_json = "\"judge\"",                       \
    .description = "Resource alias of the " WHO " LLM" }
#define LOSSES_LLM_OPTION_TEMPERATURE(WHO)                                                         \
  { .name = "temperature", .type = INF_OPTION_DOUBLE, .default_json = "0",                         \
    .description = "Sampling temperature of the " WHO, .max = 2 }
#define LOSSES_LLM_OPTION_ATTEMPTS(WHO)                                                            \
  { .name = "attempts", .type = INF_OPTION_INT, .default_json = "2",                               \
    .description = "Replies tried before the example fails when the " WHO "'s reply is malformed", \
    .min = 1, .max = 10 }
#define LOSSES_LLM_OPTION_MAX_CHARS(TEXTS, WHO)                                                    \
  { .name = "max_chars", .type = INF_OPTION_INT, .default_json = "4000",                           \
    .description = "Longest " TEXTS " shown to the " WHO " (longer ones are cut visibly)",          \
    .min = 100, .max = 1000000 }
// clang-format on

/* Reads alias, criteria, temperature, attempts and max_chars from @options
 * into @llm (cleared first) and compiles @reply_schema (JSON text) as "LOSS
 * reply"; FALSE with @error when it does not compile. @loss is kept as it
 * is (a static string). */
gboolean losses_llm_init(LossesLlm *llm, const char *loss, const InfOptions *options,
                         const char *reply_schema, GError **error);
void losses_llm_clear(LossesLlm *llm);

/* Checks a parsed reply (borrowed; may be JSON null); FALSE with @error
 * saying what is wrong (shown to the LLM on a retry, and in the final
 * error). */
typedef gboolean (*LossesReplyCheck)(json_object *reply, gpointer user_data, GError **error);
/* Called once, with the accepted @reply (borrowed): the example's feedback
 * (caller owns), which losses_llm_call() returns to the task. */
typedef InfFeedback *(*LossesReplyDone)(json_object *reply, gpointer user_data);

typedef struct {
  const LossesLlm *llm; /* alias, temperature, attempts, schema, the loss's name */
  const char *system;
  const char *user;
  LossesReplyCheck check; /* NULL: the schema alone decides */
  LossesReplyDone done;
  gpointer user_data;     /* for check and done */
  GDestroyNotify destroy; /* NULL, or frees user_data once the task is finished */
} LossesLlmCall;

/* Sends @call through @task, parses the reply as JSON (a ```json fence is
 * removed), validates it against the schema, then checks it with
 * @call->check, and when the reply is not usable asks again (showing what
 * was wrong) until @call->llm->attempts replies were tried; then fails with
 * an error naming the loss, the alias, the attempts, the problem and the
 * start of the last reply. A failed call (after the engine's own retries) is
 * not retried here. Finishes @task: with @call->done's feedback, or with the
 * error. */
void losses_llm_call(InfLossTask *task, const LossesLlmCall *call);

/* Adds the strings of the JSON array @list (borrowed; may be NULL) to @fb as
 * items, stripped of surrounding white space (blank ones are dropped). */
void losses_feedback_add_items(InfFeedback *fb, json_object *list);

/* @text cut for prompts: at most @max bytes, "... [cut N bytes]" marking the cut. */
char *losses_cut(const char *text, gsize max);

/* A JSON value as prompt text (caller owns): a string as it is, anything
 * else as plain JSON. */
char *losses_json_text(json_object *value);

/* "Input:\n<the example's input, cut at @max_chars>\n\n", or "" when the
 * example has no "input" (caller owns). */
char *losses_describe_input(json_object *example, gsize max_chars);

/* What every LLM loss shows: "Input:" (the example's "input"), @output_title
 * (the output) and "Expected (reference):" (the target, when not JSON null),
 * each cut at @max_chars. */
char *losses_describe_example(InfValue *output, json_object *target, json_object *example,
                              gsize max_chars, const char *output_title);
