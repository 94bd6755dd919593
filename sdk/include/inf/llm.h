/* inf-engine SDK — LLM requests, responses and calls.
 *
 * Modules build an InfLlmRequest and hand it to the resource manager with
 * inf_task_call_llm(). Clients read the request and fill an InfLlmResponse,
 * either through HTTP (build_request/parse_response) or in process (call).
 *
 * Requests are refcounted and immutable once handed to the engine (it keeps
 * its own reference for retries and the response cache). Responses have one
 * owner: the client fills one the engine gave it (parse_response,
 * parse_stream_event) or creates one and hands it over
 * (inf_llm_call_return()); modules only read the one their callback gets.
 * Getters return borrowed data valid until the object is changed or freed.
 * Setters copy their string arguments.
 *
 * Thread: main loop (every function of this header)
 */
#pragma once

#include <inf/macros.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfLlmRequest InfLlmRequest;
typedef struct _InfLlmResponse InfLlmResponse;
typedef struct _InfLlmCall InfLlmCall;

/* --- requests --- */
/* A new empty request: no system prompt, no messages, temperature and
 * max_tokens at the provider's default, no JSON mode, cacheable.
 * Returns: (transfer full) free with inf_llm_request_unref()
 * Since: 1.0 */
INF_API InfLlmRequest *inf_llm_request_new(void);
/* Adds a reference.
 * Returns: (transfer full) @request
 * Since: 1.0 */
INF_API InfLlmRequest *inf_llm_request_ref(InfLlmRequest *request);
/* Drops a reference; NULL is ignored.
 * @request: (transfer full) (nullable) the request
 * Since: 1.0 */
INF_API void inf_llm_request_unref(InfLlmRequest *request);
/* Sets the system prompt (copied); NULL or "" removes it.
 * @system: (transfer none) (nullable) the system prompt
 * Since: 1.0 */
INF_API void inf_llm_request_set_system(InfLlmRequest *request, const char *system);
/* Appends a message (both strings copied). Roles are "user" or "assistant"
 * (not checked: clients send what they get).
 * @role: (transfer none) (nullable) NULL gives "user"
 * @content: (transfer none) (nullable) NULL gives ""
 * Since: 1.0 */
INF_API void inf_llm_request_add_message(InfLlmRequest *request, const char *role,
                                         const char *content);
/* Sets the sampling temperature; negative: the provider's default.
 * Since: 1.0 */
INF_API void inf_llm_request_set_temperature(InfLlmRequest *request, double temperature);
/* Sets the reply's token limit; 0 (or negative): the provider's default.
 * Since: 1.0 */
INF_API void inf_llm_request_set_max_tokens(InfLlmRequest *request, gint64 max_tokens);
/* Asks for a JSON object reply where the provider supports it; the `llm`
 * module parses the reply into a JSON value either way.
 * Since: 1.0 */
INF_API void inf_llm_request_set_json_mode(InfLlmRequest *request, gboolean json_mode);
/* Asks for a reply that is JSON matching the JSON Schema @schema. @name
 * names the schema where a provider needs a name (OpenAI's
 * json_schema.name, Anthropic's tool name): letters, digits, '_' and '-',
 * at most 64 characters; other characters become '_'; NULL or "" gives
 * "reply". Setting a schema also sets JSON mode, so clients that know no
 * schemas still ask for JSON (removing it leaves JSON mode as it is).
 * Clients send the schema the way their provider constrains output; the
 * caller validates the reply (see inf/json-schema.h).
 * @name: (transfer none) (nullable) the schema's name, copied (cleaned)
 * @schema: (transfer none) (nullable) the request takes its own reference,
 *          so do not modify it afterwards; NULL removes the schema
 * Since: 1.1 */
INF_API void inf_llm_request_set_json_schema(InfLlmRequest *request, const char *name,
                                             json_object *schema);

/* The system prompt.
 * Returns: (transfer none) (nullable) NULL when there is none
 * Since: 1.0 */
INF_API const char *inf_llm_request_get_system(const InfLlmRequest *request);
/* The number of messages.
 * Since: 1.0 */
INF_API guint inf_llm_request_get_n_messages(const InfLlmRequest *request);
/* The role of message @index (< inf_llm_request_get_n_messages(); out of
 * range is a programming error that returns NULL).
 * Returns: (transfer none) never NULL for a valid @index
 * Since: 1.0 */
INF_API const char *inf_llm_request_get_role(const InfLlmRequest *request, guint index);
/* The content of message @index (as inf_llm_request_get_role()).
 * Returns: (transfer none) never NULL for a valid @index
 * Since: 1.0 */
INF_API const char *inf_llm_request_get_content(const InfLlmRequest *request, guint index);
/* The temperature; negative when the provider's default applies.
 * Since: 1.0 */
INF_API double inf_llm_request_get_temperature(const InfLlmRequest *request);
/* The token limit; 0 when the provider's default applies.
 * Since: 1.0 */
INF_API gint64 inf_llm_request_get_max_tokens(const InfLlmRequest *request);
/* Whether a JSON reply is asked for (set_json_mode or a schema).
 * Since: 1.0 */
INF_API gboolean inf_llm_request_get_json_mode(const InfLlmRequest *request);
/* The schema set with inf_llm_request_set_json_schema(); do not modify it.
 * Returns: (transfer none) (nullable) NULL when there is none
 * Since: 1.1 */
INF_API json_object *inf_llm_request_get_json_schema(const InfLlmRequest *request);
/* The schema's name ("reply" by default).
 * Returns: (transfer none) (nullable) NULL when there is no schema
 * Since: 1.1 */
INF_API const char *inf_llm_request_get_json_schema_name(const InfLlmRequest *request);
/* The conversation as a JSON array of {"role": ..., "content": ...}
 * objects, the shape most chat APIs take. When @system_role is not NULL and
 * the request has a system prompt, it comes first as a message of that role
 * ("system"); with NULL it is left out (for APIs that take it apart).
 * @system_role: (transfer none) (nullable) the role of the system message
 * Returns: (transfer full) a new array; free with json_object_put() (or
 *          hand it to json_object_object_add(), which takes it)
 * Since: 1.0 */
INF_API json_object *inf_llm_request_build_messages(const InfLlmRequest *request,
                                                    const char *system_role);
/* Whether the run's response cache may answer @request and store its reply
 * (default TRUE). FALSE makes the call go to the provider every time, e.g.
 * for a module whose replies must be fresh draws; the engine then does not
 * even hash the request. The flag is the engine's: no client sends it.
 * Since: 1.1 */
INF_API void inf_llm_request_set_cacheable(InfLlmRequest *request, gboolean cacheable);
/* Whether the response cache may answer the request (default TRUE).
 * Since: 1.1 */
INF_API gboolean inf_llm_request_get_cacheable(const InfLlmRequest *request);

/* --- responses --- */
/* A new empty response (no content: get_content gives ""; no usage, finish
 * reason or model). For in-process clients; HTTP clients fill the one the
 * engine passes them.
 * Returns: (transfer full) free with inf_llm_response_free(), or hand it to
 *          inf_llm_call_return()
 * Since: 1.0 */
INF_API InfLlmResponse *inf_llm_response_new(void);
/* Frees @response; NULL is ignored.
 * @response: (transfer full) (nullable) the response
 * Since: 1.0 */
INF_API void inf_llm_response_free(InfLlmResponse *response);
/* Sets the reply text (copied), replacing what was set or appended before.
 * @content: (transfer none) (nullable) the text; NULL: none ("")
 * Since: 1.0 */
INF_API void inf_llm_response_set_content(InfLlmResponse *response, const char *content);
/* Sets the token usage; negative counts give 0. The engine counts them in
 * metrics, traces and the spend budget.
 * Since: 1.0 */
INF_API void inf_llm_response_set_usage(InfLlmResponse *response, gint64 input_tokens,
                                        gint64 output_tokens);
/* Why the reply ended, normalized by the client to one of the INF_FINISH_*
 * words below, or the provider's own word when none fits.
 * @reason: (transfer none) (nullable) copied; NULL clears it
 * Since: 1.0 */
INF_API void inf_llm_response_set_finish_reason(InfLlmResponse *response, const char *reason);
/* The model that answered, as the provider names it.
 * @model: (transfer none) (nullable) copied; NULL clears it
 * Since: 1.0 */
INF_API void inf_llm_response_set_model(InfLlmResponse *response, const char *model);
/* The reply text (set or appended).
 * Returns: (transfer none) never NULL ("" when there is none); valid until
 *          the response is changed or freed
 * Since: 1.0 */
INF_API const char *inf_llm_response_get_content(const InfLlmResponse *response);
/* Input tokens, 0 when unknown.
 * Since: 1.0 */
INF_API gint64 inf_llm_response_get_input_tokens(const InfLlmResponse *response);
/* Output tokens, 0 when unknown.
 * Since: 1.0 */
INF_API gint64 inf_llm_response_get_output_tokens(const InfLlmResponse *response);
/* The finish reason. A reply the engine hands to a module always has one:
 * when the client set none (the provider did not say), the engine sets
 * INF_FINISH_STOP before the module sees it.
 * Returns: (transfer none) (nullable) NULL only before that (in a client)
 * Since: 1.0 */
INF_API const char *inf_llm_response_get_finish_reason(const InfLlmResponse *response);
/* The model that answered.
 * Returns: (transfer none) (nullable) NULL when the client set none
 * Since: 1.0 */
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
 * U+FFFD, so that nothing after it is lost. Appending after
 * inf_llm_response_set_content() continues that text.
 * @text: (transfer none) (nullable) copied; NULL appends nothing
 * Since: 1.1 */
INF_API void inf_llm_response_append_content(InfLlmResponse *response, const char *text,
                                             gssize length);
/* Sets the model's refusal message (OpenAI message.refusal). A client that
 * sets one also sets the finish reason INF_FINISH_REFUSAL.
 * @refusal: (transfer none) (nullable) copied; NULL clears it
 * Since: 1.1 */
INF_API void inf_llm_response_set_refusal(InfLlmResponse *response, const char *refusal);
/* The refusal message.
 * Returns: (transfer none) (nullable) NULL when the reply has none
 * Since: 1.1 */
INF_API const char *inf_llm_response_get_refusal(const InfLlmResponse *response);
/* Appends @length bytes (-1: NUL-terminated) of the model's reasoning text
 * (vLLM/llama.cpp "reasoning"/"reasoning_content", Anthropic thinking
 * blocks). Kept apart from the content, never mixed into it.
 * @text: (transfer none) (nullable) copied; NULL appends nothing
 * Since: 1.1 */
INF_API void inf_llm_response_append_reasoning(InfLlmResponse *response, const char *text,
                                               gssize length);
/* The reasoning text.
 * Returns: (transfer none) (nullable) NULL when the reply has none
 * Since: 1.1 */
INF_API const char *inf_llm_response_get_reasoning(const InfLlmResponse *response);
/* Sets the output tokens spent on reasoning (a part of the output tokens;
 * OpenAI completion_tokens_details.reasoning_tokens); negative values give 0.
 * Since: 1.1 */
INF_API void inf_llm_response_set_reasoning_tokens(InfLlmResponse *response, gint64 tokens);
/* Output tokens spent on reasoning, 0 when unknown.
 * Since: 1.1 */
INF_API gint64 inf_llm_response_get_reasoning_tokens(const InfLlmResponse *response);

/* --- in-process calls (clients implementing `call`) ---
 * The client finishes each call exactly once, from the main loop (never
 * inside `call` itself), with a response or an error. */
/* The request to answer.
 * Returns: (transfer none) valid until the call is finished
 * Since: 1.0 */
INF_API const InfLlmRequest *inf_llm_call_get_request(const InfLlmCall *call);
/* Finishes the call with @response. Exactly once per call, from the main
 * loop, never inside `call` itself; the call must not be used afterwards (a
 * second return is dropped and reported once, naming the alias and the
 * plugin; a return after the engine gave the call up is dropped silently,
 * see inf_llm_call_is_cancelled()).
 * @response: (transfer full) the reply
 * Since: 1.0 */
INF_API void inf_llm_call_return(InfLlmCall *call, InfLlmResponse *response);
/* Finishes the call with @error, which the engine acts on as on an HTTP
 * client's (see inf/client.h): RATE_LIMITED is requeued, SERVER, TIMEOUT,
 * TRANSPORT and BAD_RESPONSE are retried, anything else fails the call.
 * Exactly once, like inf_llm_call_return().
 * @error: (transfer full) the error
 * @retry_after_ms: for INF_ERROR_RATE_LIMITED, the server's hint in
 *                  milliseconds; negative: none
 * Since: 1.0 */
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
