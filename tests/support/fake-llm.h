/* InfFakeLlm — a loopback fake LLM server for tests and benchmarks.
 *
 * Real HTTP/1.1 (libsoup's SoupServer) on 127.0.0.1, ephemeral port, served
 * from a GMainContext (single thread). One server answers the three wire
 * formats by path:
 *   POST .../chat/completions   OpenAI chat completions
 *   POST .../messages           Anthropic messages
 *   POST .../api/chat           Ollama chat
 * and streams when the request asks ("stream": true): OpenAI and Anthropic as
 * SSE (OpenAI's usage chunk only with stream_options.include_usage), Ollama as
 * NDJSON, the text in pieces of a few bytes; the same content, usage and
 * finish reason as the one-piece reply;
 * and a few control paths: GET /fake/stats (JSON counters), POST /fake/reset
 * (zero the counters, clear the script), POST /fake/script (body: a script,
 * queued), POST /fake/default (body: a behaviour, the new default).
 *
 * A good reply's text is derived from the prompt (the last user message):
 * "echo: <its first 40 characters>", or {"echo": "<same>"} when the request
 * asks for JSON; texts queued with inf_fake_llm_push_reply_text() replace it,
 * one per good reply. An Anthropic request that forces a tool (tool_choice
 * {"type": "tool", "name": N}) gets a tool_use block of tool N whose input is
 * the text parsed as a JSON object ({"echo": text} when it is none). Token
 * counts are characters / 4, rounded up.
 *
 * Behaviours, as text (also accepted in prompts, see below): tokens separated
 * by spaces or commas:
 *   ok                  a good reply (the default)
 *   NNN                 an error reply with that status in the path's format
 *                       (429 rate_limit, 500, 503, 529 overloaded, 400, ...)
 *   quota               429 with OpenAI's insufficient_quota error
 *   malformed           200 whose body is not JSON
 *   truncated           200 with the first half of a good reply
 *   missing             200, valid JSON without the reply's fields
 *   drop                close the connection without answering
 *   big=N               a good reply whose text is N bytes long
 *   chunked             send the reply with chunked encoding (no Content-Length)
 *   delay=MS            answer after MS milliseconds (GLib timeout, no sleep)
 *   hold                answer only when the test says so (inf_fake_llm_release(),
 *                       oldest first): a call in flight for as long as a test needs;
 *                       a client closing the connection before is counted
 *                       (InfFakeStats.disconnected)
 *   retry-after=V       send "Retry-After: V" (with an error status);
 *                       V = date+N sends an HTTP date N seconds ahead
 *   retry-after-ms=N    send "retry-after-ms: N"
 *   finish=WORD         a good reply whose finish reason is WORD, verbatim in the
 *                       format's field (finish_reason, stop_reason, done_reason)
 *   refusal             a refusal: OpenAI content null with message.refusal,
 *                       Anthropic stop_reason "refusal" (Ollama: a good reply)
 *   reasoning           a reasoning-only reply: reasoning text (OpenAI
 *                       message.reasoning_content, Anthropic a thinking block,
 *                       Ollama message.thinking), no content, 64 reasoning
 *                       tokens (OpenAI completion_tokens_details), cut at
 *                       max tokens (length / max_tokens)
 *   think               a good reply with reasoning text beside the content
 *   numbered            a good reply "echo #N: ...", N the server's count of good
 *                       replies (so replies to equal prompts differ)
 *   header=NAME:VALUE   send that response header (repeatable); VALUE
 *                       "rfc3339+N" is an RFC 3339 time N seconds ahead
 *   errbody=SHAPE       the error body of a status reply: "plain" (text/plain),
 *                       "split" ({"error": "Bad Request", "message": ...}),
 *                       "detail" ({"detail": ...}), "nested" (the default
 *                       shape of the format)
 *   stream-error        a stream that sends some text, then an error event
 *   stream-cut          a stream that ends before its final event
 *   xN                  repeat: queued N times / triggers N times
 * e.g. "429 retry-after=1", "delay=200", "503 x2", "500x3". A script is
 * behaviours separated by ';' ("500; 503; ok"), consumed one per request in
 * order, after which the default applies.
 *
 * Prompt triggers: a prompt containing [[fake:BEHAVIOUR]] gets that behaviour
 * (before the script), e.g. [[fake:500]], [[fake:429]], [[fake:drop]],
 * [[fake:delay=200]]. With a count ([[fake:500x2]]) only the first N requests
 * carrying that same prompt do; later ones get the default. Triggers are
 * removed from the echoed text.
 *
 * Its own rate limiter (a token bucket of N requests/s) answers 429 with
 * Retry-After and retry-after-ms above the limit and counts those rejections;
 * rejected requests consume neither the script nor triggers.
 */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef enum {
  INF_FAKE_REPLY_OK,
  INF_FAKE_REPLY_STATUS,
  INF_FAKE_REPLY_QUOTA,
  INF_FAKE_REPLY_MALFORMED,
  INF_FAKE_REPLY_TRUNCATED,
  INF_FAKE_REPLY_MISSING,
  INF_FAKE_REPLY_DROP,
} InfFakeReplyKind;

typedef struct {
  InfFakeReplyKind kind;
  guint status; /* INF_FAKE_REPLY_STATUS */
  guint delay_ms;
  gint64 big;            /* > 0: a good reply of this many bytes */
  gboolean chunked;      /* Transfer-Encoding: chunked */
  char retry_after[64];  /* Retry-After value ("" for none; "date+N" for a date) */
  gint64 retry_after_ms; /* retry-after-ms value, < 0 for none */
  guint count;           /* xN: queued N times / triggers N times; 0: once / always */
  char finish[32];       /* finish=WORD, "" for the natural one */
  gboolean refusal;
  gboolean reasoning; /* reasoning only, no content */
  gboolean think;     /* reasoning beside the content */
  gboolean numbered;  /* the reply text starts "echo #N:", N counting good replies */
  gboolean hold;      /* answer when released (inf_fake_llm_release) */
  char headers[512];  /* "Name: value\n" lines to send */
  char errbody[16];   /* "", "plain", "split", "detail", "nested" */
  gboolean stream_error;
  gboolean stream_cut;
  guint big_header;          /* bigheader=N: an X-Fake-Big header of N bytes */
  gboolean big_header_split; /* bigheaders=N: the same N bytes in 4 KB header lines */
} InfFakeBehaviour;

/* A good reply, no delay, no count. */
void inf_fake_behaviour_init(InfFakeBehaviour *behaviour);
/* Parses one behaviour (syntax above). */
gboolean inf_fake_behaviour_parse(const char *text, InfFakeBehaviour *behaviour, GError **error);

typedef struct _InfFakeLlm InfFakeLlm;

typedef struct {
  guint64 requests;    /* LLM requests received (all formats) */
  guint64 ok;          /* good replies sent */
  guint64 errors;      /* scripted or triggered failures (status, malformed, drop, ...) */
  guint64 rejected;    /* 429s of the server's own rate limiter */
  guint64 invalid;     /* 400/401s for requests that broke the wire format */
  guint64 connections; /* TCP connections accepted */
  guint in_flight;     /* requests being answered now (delayed ones) */
  guint max_concurrent;
  guint64 disconnected; /* held replies ("hold") whose client closed the connection first */
} InfFakeStats;

/* @context: where the server runs (NULL: the default context). It must be
 * the thread-default context of the thread that runs it. */
InfFakeLlm *inf_fake_llm_new(GMainContext *context);
void inf_fake_llm_free(InfFakeLlm *fake);
/* Listens on 127.0.0.1:@port (0: an ephemeral port). */
gboolean inf_fake_llm_start(InfFakeLlm *fake, guint16 port, GError **error);
guint16 inf_fake_llm_get_port(const InfFakeLlm *fake);
/* "http://127.0.0.1:PORT" (no trailing slash). */
const char *inf_fake_llm_get_base_url(const InfFakeLlm *fake);

void inf_fake_llm_set_default(InfFakeLlm *fake, const InfFakeBehaviour *behaviour);
gboolean inf_fake_llm_set_default_text(InfFakeLlm *fake, const char *text, GError **error);
/* Queues @behaviour (count times). */
void inf_fake_llm_push(InfFakeLlm *fake, const InfFakeBehaviour *behaviour);
/* Queues a script ("500; 503 retry-after=1; ok"). */
gboolean inf_fake_llm_push_script(InfFakeLlm *fake, const char *script, GError **error);
guint inf_fake_llm_get_script_length(const InfFakeLlm *fake);
/* The server's own limit: @rps requests/s, bucket @burst (<= 0: max(1, rps));
 * @rps <= 0 disables it. */
void inf_fake_llm_set_rate_limit(InfFakeLlm *fake, double rps, double burst);
/* A fraction of default replies become 500s (deterministic for @seed). */
void inf_fake_llm_set_fail_rate(InfFakeLlm *fake, double rate, guint32 seed);
/* Requests not carrying @key (Authorization: Bearer or x-api-key) get 401
 * whose message quotes the key they sent, as real APIs do. NULL: no check. */
void inf_fake_llm_set_required_api_key(InfFakeLlm *fake, const char *key);

void inf_fake_llm_get_stats(const InfFakeLlm *fake, InfFakeStats *stats);
/* LLM requests received (*received*) or answered without rejection by the
 * rate limiter (*accepted*) per second since start or the last reset. */
const guint *inf_fake_llm_get_histogram(const InfFakeLlm *fake, gboolean accepted,
                                        guint *n_seconds);
void inf_fake_llm_reset_stats(InfFakeLlm *fake);
/* The counters and histograms as JSON (caller owns). */
json_object *inf_fake_llm_stats_json(const InfFakeLlm *fake);

/* Counts, from now on, the well-formed LLM requests whose text (system
 * prompt and messages) contains @text: e.g. one system prompt per pipeline
 * branch, to count the calls of each. Reset to 0 by reset_stats. */
void inf_fake_llm_watch(InfFakeLlm *fake, const char *text);
/* Requests counted under watched @text (0 when not watched). */
guint inf_fake_llm_count_watched(const InfFakeLlm *fake, const char *text);
/* Requests that carried @key in Authorization (Bearer) or x-api-key. */
guint inf_fake_llm_count_api_key(const InfFakeLlm *fake, const char *key);
/* The last LLM request: its path, a header, its JSON body (borrowed; NULL
 * before any). */
const char *inf_fake_llm_get_last_path(const InfFakeLlm *fake);
const char *inf_fake_llm_get_last_header(const InfFakeLlm *fake, const char *name);
json_object *inf_fake_llm_get_last_body(const InfFakeLlm *fake);
/* Every LLM request body since start or the last reset, in arrival order
 * (borrowed; NULL for a body that was not JSON). */
guint inf_fake_llm_get_n_bodies(const InfFakeLlm *fake);
json_object *inf_fake_llm_get_body(const InfFakeLlm *fake, guint index);

/* Queues @text as the text of the next good reply (one per reply, in order,
 * before the derived echo). Cleared by a reset. */
void inf_fake_llm_push_reply_text(InfFakeLlm *fake, const char *text);
/* Replies held ("hold") and not released yet. */
guint inf_fake_llm_get_n_held(const InfFakeLlm *fake);
/* Sends the @n oldest held replies (0: all of them); returns how many it
 * sent. A reply whose client has gone is released all the same. */
guint inf_fake_llm_release(InfFakeLlm *fake, guint n);

/* Like a server without structured outputs: OpenAI-format requests whose
 * response_format is json_schema get 400 naming response_format. */
void inf_fake_llm_set_reject_json_schema(InfFakeLlm *fake, gboolean reject);

G_END_DECLS
