/* Asking an alias for a JSON reply from a loss, with retries of malformed
 * replies (shared by llm-judge and rubric). */
#pragma once

#include <inf/inf.h>
#include <inf/json-schema.h>

/* Checks a parsed reply (borrowed; may be JSON null); FALSE with @error
 * saying what is wrong (shown to the LLM on a retry, and in the final
 * error). */
typedef gboolean (*LossesReplyCheck)(json_object *reply, gpointer user_data, GError **error);
/* Called once: with the accepted @reply (borrowed) and @error NULL, or with
 * @reply NULL and @error (borrowed). */
typedef void (*LossesReplyDone)(json_object *reply, const GError *error, gpointer user_data);

typedef struct {
  const char *loss; /* the loss's type name, for messages */
  const char *alias;
  const char *system;
  const char *user;
  double temperature;
  InfJsonSchema *schema; /* borrowed: the reply must be valid; sent as structured output */
  guint attempts;        /* at least 1 */
} LossesLlmCall;

/* Sends @call through @task, parses the reply as JSON (a ```json fence is
 * removed), validates it against @call->schema, then checks it with @check
 * (may be NULL), and when the reply is not usable asks
 * again (showing what was wrong) until @call->attempts replies were tried;
 * then fails with an error naming the loss, the alias, the attempts, the
 * problem and the start of the last reply. A failed call (after the
 * engine's own retries) is not retried here. */
void losses_llm_call(InfLossTask *task, const LossesLlmCall *call, LossesReplyCheck check,
                     LossesReplyDone done, gpointer user_data);

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
