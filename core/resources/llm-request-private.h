/* Engine-internal views of InfLlmRequest. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* The request as the provider would see it, as a new JSON object: json_mode,
 * json_schema and json_schema_name (null: none), max_tokens (null: the
 * provider's default), messages [{content, role}], system (null: none),
 * temperature (null: the provider's default), and every field added later.
 * Engine-only flags (cacheable) are left out. The response cache sorts its
 * keys at every level before hashing it. */
json_object *inf_llm_request_to_json(const InfLlmRequest *request);

G_END_DECLS
