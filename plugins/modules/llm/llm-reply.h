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

G_END_DECLS
