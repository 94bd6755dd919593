/* inf-engine SDK — LLM requests, responses and calls.
 *
 * Modules build an InfLlmRequest and hand it to the resource manager with
 * inf_task_call_llm(). Clients read the request and fill an InfLlmResponse,
 * either through HTTP (build_request/parse_response) or in process (call).
 */
#pragma once

#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfLlmRequest InfLlmRequest;
typedef struct _InfLlmResponse InfLlmResponse;
typedef struct _InfLlmCall InfLlmCall;

/* --- requests --- */
INF_API InfLlmRequest *inf_llm_request_new(void);
INF_API InfLlmRequest *inf_llm_request_ref(InfLlmRequest *request);
INF_API void inf_llm_request_unref(InfLlmRequest *request);
INF_API void inf_llm_request_set_system(InfLlmRequest *request, const char *system);
/* Roles: "user" or "assistant". */
INF_API void inf_llm_request_add_message(InfLlmRequest *request, const char *role,
                                         const char *content);
/* Negative: provider default. */
INF_API void inf_llm_request_set_temperature(InfLlmRequest *request, double temperature);
/* 0: provider default. */
INF_API void inf_llm_request_set_max_tokens(InfLlmRequest *request, gint64 max_tokens);
/* Ask for a JSON object reply where the provider supports it; the reply is
 * parsed into a JSON value either way. */
INF_API void inf_llm_request_set_json_mode(InfLlmRequest *request, gboolean json_mode);

INF_API const char *inf_llm_request_get_system(const InfLlmRequest *request);
INF_API guint inf_llm_request_get_n_messages(const InfLlmRequest *request);
INF_API const char *inf_llm_request_get_role(const InfLlmRequest *request, guint index);
INF_API const char *inf_llm_request_get_content(const InfLlmRequest *request, guint index);
INF_API double inf_llm_request_get_temperature(const InfLlmRequest *request);
INF_API gint64 inf_llm_request_get_max_tokens(const InfLlmRequest *request);
INF_API gboolean inf_llm_request_get_json_mode(const InfLlmRequest *request);
/* The conversation as a new JSON array of {"role": ..., "content": ...}
 * objects (a NULL content gives ""), the shape most chat APIs take. When
 * @system_role is not NULL and the request has a non-empty system prompt, it
 * comes first as a message of that role ("system"); with NULL it is left out
 * (for APIs that take it apart). */
INF_API json_object *inf_llm_request_build_messages(const InfLlmRequest *request,
                                                    const char *system_role);

/* --- responses --- */
INF_API InfLlmResponse *inf_llm_response_new(void);
INF_API void inf_llm_response_free(InfLlmResponse *response);
INF_API void inf_llm_response_set_content(InfLlmResponse *response, const char *content);
INF_API void inf_llm_response_set_usage(InfLlmResponse *response, gint64 input_tokens,
                                        gint64 output_tokens);
/* Normalized to "stop", "length", "content_filter", "tool_calls" or the
 * provider's own word. */
INF_API void inf_llm_response_set_finish_reason(InfLlmResponse *response, const char *reason);
INF_API void inf_llm_response_set_model(InfLlmResponse *response, const char *model);
INF_API const char *inf_llm_response_get_content(const InfLlmResponse *response);
INF_API gint64 inf_llm_response_get_input_tokens(const InfLlmResponse *response);
INF_API gint64 inf_llm_response_get_output_tokens(const InfLlmResponse *response);
INF_API const char *inf_llm_response_get_finish_reason(const InfLlmResponse *response);
INF_API const char *inf_llm_response_get_model(const InfLlmResponse *response);

/* --- in-process calls (clients implementing `call`) ---
 * The client finishes each call exactly once, from the main loop (never
 * inside `call` itself), with a response or an error. */
INF_API const InfLlmRequest *inf_llm_call_get_request(const InfLlmCall *call);
/* Takes ownership of @response. */
INF_API void inf_llm_call_return(InfLlmCall *call, InfLlmResponse *response);
/* Takes ownership of @error. For INF_ERROR_RATE_LIMITED, @retry_after_ms is
 * the server's hint (negative: none). */
INF_API void inf_llm_call_return_error(InfLlmCall *call, GError *error, gint64 retry_after_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfLlmRequest, inf_llm_request_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfLlmResponse, inf_llm_response_free)

G_END_DECLS
