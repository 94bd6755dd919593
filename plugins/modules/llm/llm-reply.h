/* Reading an LLM reply as JSON (the `llm` module's response_format "json"). */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* Parses @content as one JSON value: surrounding whitespace is ignored, and
 * so is a Markdown code fence around it (```json ... ``` or ``` ... ```).
 * Returns a new value (a json value for objects and arrays, the matching
 * scalar kind otherwise), or NULL with INF_ERROR_BAD_RESPONSE naming
 * @node_id, @alias and the start of the reply. */
InfValue *llm_reply_parse_json(const char *content, const char *node_id, const char *alias,
                               GError **error);

/* NULL when @response ended normally (finish reason "stop") with content or
 * without reasoning; else a new INF_ERROR_BAD_RESPONSE naming @node_id,
 * @alias and the finish reason: "reply cut off at max_tokens (N)" (N is
 * @max_tokens, or the output tokens when the request set none), "refused:
 * <text>", "content filtered", the reasoning tokens spent when the content is
 * empty, ... */
GError *llm_reply_check_finish(const InfLlmResponse *response, const char *node_id,
                               const char *alias, gint64 max_tokens);

/* {"content": @content, "finish_reason", "refusal", "reasoning", "usage":
 * {"input", "output", "reasoning"}} (takes @content). */
InfValue *llm_reply_details(const InfLlmResponse *response, InfValue *content);

G_END_DECLS
