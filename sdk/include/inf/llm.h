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
/* Asks for a reply that is JSON matching the JSON Schema @schema (borrowed;
 * the request keeps its own reference, so do not modify it afterwards; NULL
 * removes the schema). @name names the schema where a provider needs a name
 * (OpenAI's json_schema.name, Anthropic's tool name): letters, digits, '_'
 * and '-', at most 64 characters; other characters become '_'; NULL or ""
 * gives "reply". Setting a schema also sets JSON mode, so clients that know
 * no schemas still ask for JSON. Clients send the schema the way their
 * provider constrains output; the caller validates the reply (see
 * inf/json-schema.h). Since: 1.1 */
INF_API void inf_llm_request_set_json_schema(InfLlmRequest *request, const char *name,
                                             json_object *schema);

INF_API const char *inf_llm_request_get_system(const InfLlmRequest *request);
INF_API guint inf_llm_request_get_n_messages(const InfLlmRequest *request);
INF_API const char *inf_llm_request_get_role(const InfLlmRequest *request, guint index);
INF_API const char *inf_llm_request_get_content(const InfLlmRequest *request, guint index);
INF_API double inf_llm_request_get_temperature(const InfLlmRequest *request);
INF_API gint64 inf_llm_request_get_max_tokens(const InfLlmRequest *request);
INF_API gboolean inf_llm_request_get_json_mode(const InfLlmRequest *request);
/* The schema set with inf_llm_request_set_json_schema (borrowed), or NULL.
 * Since: 1.1 */
INF_API json_object *inf_llm_request_get_json_schema(const InfLlmRequest *request);
/* The schema's name ("reply" by default), or NULL when there is no schema.
 * Since: 1.1 */
INF_API const char *inf_llm_request_get_json_schema_name(const InfLlmRequest *request);
/* The conversation as a new JSON array of {"role": ..., "content": ...}
 * objects (a NULL content gives ""), the shape most chat APIs take. When
 * @system_role is not NULL and the request has a non-empty system prompt, it
 * comes first as a message of that role ("system"); with NULL it is left out
 * (for APIs that take it apart). */
INF_API json_object *inf_llm_request_build_messages(const InfLlmRequest *request,
                                                    const char *system_role);
/* Since: 1.1. Whether the run's response cache may answer @request and
 * store its reply (default TRUE). FALSE makes the call go to the provider
 * every time, e.g. for a module whose replies must be fresh draws; the
 * engine then does not even hash the request. The flag is the engine's: no
 * client sends it. */
INF_API void inf_llm_request_set_cacheable(InfLlmRequest *request, gboolean cacheable);
/* Since: 1.1. */
INF_API gboolean inf_llm_request_get_cacheable(const InfLlmRequest *request);

/* --- responses --- */
INF_API InfLlmResponse *inf_llm_response_new(void);
INF_API void inf_llm_response_free(InfLlmResponse *response);
INF_API void inf_llm_response_set_content(InfLlmResponse *response, const char *content);
INF_API void inf_llm_response_set_usage(InfLlmResponse *response, gint64 input_tokens,
                                        gint64 output_tokens);
/* Why the reply ended, normalized by the client to one of the INF_FINISH_*
 * words below, or the provider's own word when none fits. */
INF_API void inf_llm_response_set_finish_reason(InfLlmResponse *response, const char *reason);
INF_API void inf_llm_response_set_model(InfLlmResponse *response, const char *model);
INF_API const char *inf_llm_response_get_content(const InfLlmResponse *response);
INF_API gint64 inf_llm_response_get_input_tokens(const InfLlmResponse *response);
INF_API gint64 inf_llm_response_get_output_tokens(const InfLlmResponse *response);
/* The finish reason. A reply the engine hands to a module always has one:
 * when the client set none (the provider did not say), the engine sets
 * INF_FINISH_STOP before the module sees it. NULL only before that. */
INF_API const char *inf_llm_response_get_finish_reason(const InfLlmResponse *response);
INF_API const char *inf_llm_response_get_model(const InfLlmResponse *response);

/* --- finish reasons, refusals, reasoning (Since: 1.1) ---
 *
 * The documented set of finish reasons every client maps its provider's stop
 * signal to (docs/backends.md has the table per provider): */
#define INF_FINISH_STOP "stop"                     /* a natural end or a stop sequence */
#define INF_FINISH_LENGTH "length"                 /* cut off at max_tokens (or the context) */
#define INF_FINISH_CONTENT_FILTER "content_filter" /* withheld or cut by a content filter */
#define INF_FINISH_REFUSAL "refusal"               /* the model refused (see get_refusal) */
#define INF_FINISH_TOOL_CALLS "tool_calls"         /* the model asked to call tools */
#define INF_FINISH_PAUSE "pause"                   /* a long turn paused (Anthropic pause_turn) */

/* Appends @length bytes of @text (-1: NUL-terminated) to the content, for
 * replies that arrive in pieces (streams), or for a whole reply whose JSON
 * string may hold "\u0000": a NUL character among the @length bytes becomes
 * U+FFFD, so that nothing after it is lost. Since: 1.1 */
INF_API void inf_llm_response_append_content(InfLlmResponse *response, const char *text,
                                             gssize length);
/* The model's refusal message (OpenAI message.refusal), copied; NULL clears
 * it. A client that sets one also sets the finish reason INF_FINISH_REFUSAL.
 * Since: 1.1 */
INF_API void inf_llm_response_set_refusal(InfLlmResponse *response, const char *refusal);
/* The refusal message, or NULL when the reply has none (borrowed). Since: 1.1 */
INF_API const char *inf_llm_response_get_refusal(const InfLlmResponse *response);
/* Appends @length bytes (-1: NUL-terminated) of the model's reasoning text
 * (vLLM/llama.cpp "reasoning"/"reasoning_content", Anthropic thinking
 * blocks). Kept apart from the content, never mixed into it. Since: 1.1 */
INF_API void inf_llm_response_append_reasoning(InfLlmResponse *response, const char *text,
                                               gssize length);
/* The reasoning text, or NULL when the reply has none (borrowed). Since: 1.1 */
INF_API const char *inf_llm_response_get_reasoning(const InfLlmResponse *response);
/* Output tokens spent on reasoning (a part of the output tokens; OpenAI
 * completion_tokens_details.reasoning_tokens); negative values give 0.
 * Since: 1.1 */
INF_API void inf_llm_response_set_reasoning_tokens(InfLlmResponse *response, gint64 tokens);
/* Output tokens spent on reasoning, 0 when unknown. Since: 1.1 */
INF_API gint64 inf_llm_response_get_reasoning_tokens(const InfLlmResponse *response);

/* --- in-process calls (clients implementing `call`) ---
 * The client finishes each call exactly once, from the main loop (never
 * inside `call` itself), with a response or an error. */
INF_API const InfLlmRequest *inf_llm_call_get_request(const InfLlmCall *call);
/* Takes ownership of @response. */
INF_API void inf_llm_call_return(InfLlmCall *call, InfLlmResponse *response);
/* Takes ownership of @error. For INF_ERROR_RATE_LIMITED, @retry_after_ms is
 * the server's hint (negative: none). */
INF_API void inf_llm_call_return_error(InfLlmCall *call, GError *error, gint64 retry_after_ms);

/* Whether the engine gave @call up (its endpoint's timeout passed, or the
 * run ended; the client's cancel hook was called) or it was already
 * finished: a client doing long work may check it to stop early. A return
 * after that is dropped; a second return of a finished call, and a return
 * after the client was finalized, are also reported once as a warning
 * naming the alias and the plugin.
 * @call: (transfer none) a call the client was given
 * Thread: main loop
 * Since: 1.1 */
INF_API gboolean inf_llm_call_is_cancelled(const InfLlmCall *call);

/* --- calls by alias from losses, backward and optimizer steps (Since: 1.1) ---
 *
 * Called once per call made with inf_loss_task_call_alias(),
 * inf_backward_call_alias() or inf_optimizer_step_call_alias(), from the
 * main loop: with @response (borrowed) on success and @error NULL, or with
 * @response NULL and @error (borrowed) saying why the call finally failed
 * (after the engine's retries; a refusal by the spend budget is one too). The
 * caller decides what a failure means (retry, give up, fail its task).
 * Since: 1.1 */
typedef void (*InfAliasReplyFunc)(const InfLlmResponse *response, const GError *error,
                                  gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfLlmRequest, inf_llm_request_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfLlmResponse, inf_llm_response_free)

G_END_DECLS
