/* InfFakeLlm — see fake-llm.h. */
#include "fake-llm.h"

#include <errno.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>

typedef enum {
  FORMAT_OPENAI,
  FORMAT_ANTHROPIC,
  FORMAT_OLLAMA
} Format;

struct _InfFakeLlm {
  GMainContext *context;
  SoupServer *server;
  guint16 port;
  char *base_url;

  InfFakeBehaviour default_behaviour;
  GQueue script;              /* InfFakeBehaviour *, one per request */
  GHashTable *trigger_counts; /* prompt text -> times a counted trigger fired */
  double rate;                /* own limiter: requests/s, 0: off */
  double burst;
  double tokens;
  gint64 refill_us;
  double fail_rate;
  GRand *rand;
  char *required_key;

  InfFakeStats stats;
  gint64 start_us;
  GArray *received_per_second; /* guint */
  GArray *accepted_per_second; /* guint */
  GHashTable *api_keys;        /* key -> count */
  GHashTable *watched;         /* text -> well-formed requests containing it */
  char *last_path;
  SoupMessageHeaders *last_headers;
  json_object *last_body;
  GHashTable *delayed; /* Delayed * (owned): replies waiting for their time */
  GQueue held;         /* Reply * (in delayed): "hold" replies, oldest first */
  guint64 serial;
  GQueue reply_texts;          /* char *: texts of the next good replies */
  GPtrArray *bodies;           /* json_object *: every LLM request body (NULL: not JSON) */
  gboolean reject_json_schema; /* OpenAI json_schema requests get 400 */
};

/* --- behaviours ---------------------------------------------------------- */

void
inf_fake_behaviour_init(InfFakeBehaviour *behaviour)
{
  memset(behaviour, 0, sizeof *behaviour);
  behaviour->kind = INF_FAKE_REPLY_OK;
  behaviour->retry_after_ms = -1;
}

static gboolean
parse_uint(const char *text, guint64 max, guint64 *out)
{
  if (text == NULL || *text == '\0')
    return FALSE;
  return g_ascii_string_to_unsigned(text, 10, 0, max, out, NULL);
}

static gboolean
parse_token(const char *token, InfFakeBehaviour *b, GError **error)
{
  guint64 value;
  gsize length = strlen(token);
  /* A repeat suffix: "500x2", "dropx3", or "x2" alone. */
  const char *x = strrchr(token, 'x');
  if (x != NULL && x[1] != '\0' && strspn(x + 1, "0123456789") == strlen(x + 1) &&
      strncmp(token, "retry-after", 11) != 0) {
    if (!parse_uint(x + 1, 1000000, &value) || value == 0) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad repeat count in \"%s\"",
                  token);
      return FALSE;
    }
    b->count = (guint)value;
    if (x == token)
      return TRUE;
    g_autofree char *prefix = g_strndup(token, x - token);
    return parse_token(prefix, b, error);
  }
  if (strcmp(token, "ok") == 0) {
    b->kind = INF_FAKE_REPLY_OK;
  } else if (strcmp(token, "quota") == 0) {
    b->kind = INF_FAKE_REPLY_QUOTA;
  } else if (strcmp(token, "malformed") == 0) {
    b->kind = INF_FAKE_REPLY_MALFORMED;
  } else if (strcmp(token, "truncated") == 0) {
    b->kind = INF_FAKE_REPLY_TRUNCATED;
  } else if (strcmp(token, "missing") == 0) {
    b->kind = INF_FAKE_REPLY_MISSING;
  } else if (strcmp(token, "drop") == 0) {
    b->kind = INF_FAKE_REPLY_DROP;
  } else if (strcmp(token, "chunked") == 0) {
    b->chunked = TRUE;
  } else if (g_str_has_prefix(token, "finish=") && token[7] != '\0' &&
             length - 7 < sizeof b->finish) {
    g_strlcpy(b->finish, token + 7, sizeof b->finish);
  } else if (strcmp(token, "refusal") == 0) {
    b->refusal = TRUE;
  } else if (strcmp(token, "reasoning") == 0) {
    b->reasoning = TRUE;
  } else if (strcmp(token, "think") == 0) {
    b->think = TRUE;
  } else if (strcmp(token, "numbered") == 0) {
    b->numbered = TRUE;
  } else if (strcmp(token, "hold") == 0) {
    b->hold = TRUE;
  } else if (strcmp(token, "stream-error") == 0) {
    b->stream_error = TRUE;
  } else if (strcmp(token, "stream-cut") == 0) {
    b->stream_cut = TRUE;
  } else if (g_str_has_prefix(token, "header=") && strchr(token + 7, ':') != NULL &&
             strlen(b->headers) + length < sizeof b->headers) {
    const char *colon = strchr(token + 7, ':');
    g_autofree char *line =
        g_strdup_printf("%.*s: %s\n", (int)(colon - token - 7), token + 7, colon + 1);
    g_strlcat(b->headers, line, sizeof b->headers);
  } else if (g_str_has_prefix(token, "errbody=") && length - 8 < sizeof b->errbody &&
             strstr("plain split detail nested", token + 8) != NULL && token[8] != '\0') {
    g_strlcpy(b->errbody, token + 8, sizeof b->errbody);
  } else if (length == 3 && parse_uint(token, 599, &value) && value >= 100) {
    b->kind = value / 100 == 2 ? INF_FAKE_REPLY_OK : INF_FAKE_REPLY_STATUS;
    b->status = (guint)value;
  } else if (g_str_has_prefix(token, "delay=") && parse_uint(token + 6, 3600000, &value)) {
    b->delay_ms = (guint)value;
  } else if (g_str_has_prefix(token, "bigheader=") && parse_uint(token + 10, 1 << 24, &value)) {
    b->big_header = (guint)value;
  } else if (g_str_has_prefix(token, "bigheaders=") && parse_uint(token + 11, 1 << 24, &value)) {
    b->big_header = (guint)value;
    b->big_header_split = TRUE;
  } else if (g_str_has_prefix(token, "big=") && parse_uint(token + 4, G_MAXINT32, &value)) {
    b->kind = INF_FAKE_REPLY_OK;
    b->big = (gint64)value;
  } else if (g_str_has_prefix(token, "retry-after-ms=") &&
             parse_uint(token + 15, G_MAXINT32, &value)) {
    b->retry_after_ms = (gint64)value;
  } else if (g_str_has_prefix(token, "retry-after=") && token[12] != '\0' &&
             length - 12 < sizeof b->retry_after) {
    g_strlcpy(b->retry_after, token + 12, sizeof b->retry_after);
  } else {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "unknown fake behaviour \"%s\" (valid: ok, NNN, quota, malformed, truncated, "
                "missing, drop, chunked, big=N, delay=MS, retry-after=V, retry-after-ms=N, "
                "finish=WORD, refusal, reasoning, think, numbered, hold, header=NAME:VALUE, "
                "bigheader[s]=N, errbody=SHAPE, "
                "stream-error, stream-cut, xN)",
                token);
    return FALSE;
  }
  return TRUE;
}

gboolean
inf_fake_behaviour_parse(const char *text, InfFakeBehaviour *behaviour, GError **error)
{
  InfFakeBehaviour b;
  inf_fake_behaviour_init(&b);
  g_auto(GStrv) tokens = g_strsplit_set(text, " ,\t\n", -1);
  for (char **t = tokens; *t != NULL; t++)
    if (**t != '\0' && !parse_token(*t, &b, error))
      return FALSE;
  *behaviour = b;
  return TRUE;
}

/* --- the server object --------------------------------------------------- */

typedef struct {
  InfFakeLlm *fake;
  SoupServerMessage *msg;
  GSource *source;
  GSource *watch; /* "hold": notices the client closing its connection */
  guint status;
  char *body;
  gsize length;
  char *retry_after;
  char *retry_after_ms;
  gboolean drop;
  gboolean chunked;
  char *headers;             /* "Name: value\n" lines, or NULL */
  guint big_header;          /* bytes of an X-Fake-Big header, or 0 */
  gboolean big_header_split; /* ... in lines X-Fake-Big-N of 4 KB */
  const char *content_type;  /* NULL: application/json */
} Reply;

static void
reply_free(gpointer data)
{
  Reply *reply = data;
  if (reply->source != NULL) {
    g_source_destroy(reply->source);
    g_source_unref(reply->source);
  }
  if (reply->watch != NULL) {
    g_source_destroy(reply->watch);
    g_source_unref(reply->watch);
  }
  g_clear_object(&reply->msg);
  g_free(reply->body);
  g_free(reply->retry_after);
  g_free(reply->retry_after_ms);
  g_free(reply->headers);
  g_free(reply);
}

static void
body_free(gpointer body)
{
  json_object_put(body);
}

InfFakeLlm *
inf_fake_llm_new(GMainContext *context)
{
  InfFakeLlm *fake = g_new0(InfFakeLlm, 1);
  fake->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
  inf_fake_behaviour_init(&fake->default_behaviour);
  g_queue_init(&fake->script);
  fake->trigger_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  fake->api_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  fake->watched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  fake->received_per_second = g_array_new(FALSE, TRUE, sizeof(guint));
  fake->accepted_per_second = g_array_new(FALSE, TRUE, sizeof(guint));
  fake->delayed = g_hash_table_new_full(NULL, NULL, reply_free, NULL);
  fake->rand = g_rand_new_with_seed(1);
  fake->start_us = g_get_monotonic_time();
  g_queue_init(&fake->reply_texts);
  g_queue_init(&fake->held);
  fake->bodies = g_ptr_array_new_with_free_func(body_free);
  return fake;
}

void
inf_fake_llm_free(InfFakeLlm *fake)
{
  if (fake == NULL)
    return;
  g_main_context_push_thread_default(fake->context);
  g_queue_clear(&fake->held);
  g_hash_table_destroy(fake->delayed);
  if (fake->server != NULL) {
    soup_server_disconnect(fake->server);
    g_object_unref(fake->server);
  }
  g_main_context_pop_thread_default(fake->context);
  g_queue_clear_full(&fake->script, g_free);
  g_queue_clear_full(&fake->reply_texts, g_free);
  g_ptr_array_unref(fake->bodies);
  g_hash_table_destroy(fake->trigger_counts);
  g_hash_table_destroy(fake->api_keys);
  g_hash_table_destroy(fake->watched);
  g_array_unref(fake->received_per_second);
  g_array_unref(fake->accepted_per_second);
  g_rand_free(fake->rand);
  g_free(fake->required_key);
  g_free(fake->base_url);
  g_free(fake->last_path);
  g_clear_pointer(&fake->last_headers, soup_message_headers_unref);
  g_clear_pointer(&fake->last_body, json_object_put);
  g_main_context_unref(fake->context);
  g_free(fake);
}

guint16
inf_fake_llm_get_port(const InfFakeLlm *fake)
{
  return fake->port;
}

const char *
inf_fake_llm_get_base_url(const InfFakeLlm *fake)
{
  return fake->base_url;
}

void
inf_fake_llm_set_default(InfFakeLlm *fake, const InfFakeBehaviour *behaviour)
{
  fake->default_behaviour = *behaviour;
}

gboolean
inf_fake_llm_set_default_text(InfFakeLlm *fake, const char *text, GError **error)
{
  InfFakeBehaviour b;
  if (!inf_fake_behaviour_parse(text, &b, error))
    return FALSE;
  fake->default_behaviour = b;
  return TRUE;
}

void
inf_fake_llm_push(InfFakeLlm *fake, const InfFakeBehaviour *behaviour)
{
  for (guint i = 0; i < MAX(behaviour->count, 1u); i++) {
    InfFakeBehaviour *copy = g_memdup2(behaviour, sizeof *behaviour);
    copy->count = 0;
    g_queue_push_tail(&fake->script, copy);
  }
}

gboolean
inf_fake_llm_push_script(InfFakeLlm *fake, const char *script, GError **error)
{
  g_auto(GStrv) items = g_strsplit(script, ";", -1);
  g_autoptr(GArray) parsed = g_array_new(FALSE, FALSE, sizeof(InfFakeBehaviour));
  for (char **item = items; *item != NULL; item++) {
    g_strstrip(*item);
    if (**item == '\0')
      continue;
    InfFakeBehaviour b;
    if (!inf_fake_behaviour_parse(*item, &b, error))
      return FALSE;
    g_array_append_val(parsed, b);
  }
  for (guint i = 0; i < parsed->len; i++)
    inf_fake_llm_push(fake, &g_array_index(parsed, InfFakeBehaviour, i));
  return TRUE;
}

guint
inf_fake_llm_get_script_length(const InfFakeLlm *fake)
{
  return fake->script.length;
}

void
inf_fake_llm_set_rate_limit(InfFakeLlm *fake, double rps, double burst)
{
  fake->rate = rps > 0 ? rps : 0;
  fake->burst = burst > 0 ? burst : MAX(1.0, rps);
  fake->tokens = fake->burst;
  fake->refill_us = g_get_monotonic_time();
}

void
inf_fake_llm_set_fail_rate(InfFakeLlm *fake, double rate, guint32 seed)
{
  fake->fail_rate = CLAMP(rate, 0.0, 1.0);
  g_rand_set_seed(fake->rand, seed);
}

void
inf_fake_llm_set_required_api_key(InfFakeLlm *fake, const char *key)
{
  g_free(fake->required_key);
  fake->required_key = g_strdup(key);
}

void
inf_fake_llm_get_stats(const InfFakeLlm *fake, InfFakeStats *stats)
{
  *stats = fake->stats;
}

const guint *
inf_fake_llm_get_histogram(const InfFakeLlm *fake, gboolean accepted, guint *n_seconds)
{
  GArray *array = accepted ? fake->accepted_per_second : fake->received_per_second;
  if (n_seconds != NULL)
    *n_seconds = array->len;
  return (const guint *)(gpointer)array->data;
}

void
inf_fake_llm_reset_stats(InfFakeLlm *fake)
{
  guint in_flight = fake->stats.in_flight;
  memset(&fake->stats, 0, sizeof fake->stats);
  fake->stats.in_flight = in_flight;
  fake->stats.max_concurrent = in_flight;
  g_array_set_size(fake->received_per_second, 0);
  g_array_set_size(fake->accepted_per_second, 0);
  g_hash_table_remove_all(fake->trigger_counts);
  g_hash_table_remove_all(fake->api_keys);
  {
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, fake->watched);
    while (g_hash_table_iter_next(&iter, &key, &value))
      g_hash_table_iter_replace(&iter, GUINT_TO_POINTER(0));
  }
  g_queue_clear_full(&fake->script, g_free);
  g_queue_clear_full(&fake->reply_texts, g_free);
  g_ptr_array_set_size(fake->bodies, 0);
  fake->start_us = g_get_monotonic_time();
  if (fake->rate > 0)
    inf_fake_llm_set_rate_limit(fake, fake->rate, fake->burst);
}

static json_object *
histogram_json(GArray *array)
{
  json_object *list = json_object_new_array_ext((int)array->len);
  for (guint i = 0; i < array->len; i++)
    json_object_array_add(list, json_object_new_int64(g_array_index(array, guint, i)));
  return list;
}

json_object *
inf_fake_llm_stats_json(const InfFakeLlm *fake)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "requests", json_object_new_int64((gint64)fake->stats.requests));
  json_object_object_add(o, "ok", json_object_new_int64((gint64)fake->stats.ok));
  json_object_object_add(o, "errors", json_object_new_int64((gint64)fake->stats.errors));
  json_object_object_add(o, "rejected", json_object_new_int64((gint64)fake->stats.rejected));
  json_object_object_add(o, "invalid", json_object_new_int64((gint64)fake->stats.invalid));
  json_object_object_add(o, "connections", json_object_new_int64((gint64)fake->stats.connections));
  json_object_object_add(o, "in_flight", json_object_new_int64(fake->stats.in_flight));
  json_object_object_add(o, "max_concurrent", json_object_new_int64(fake->stats.max_concurrent));
  json_object_object_add(o, "disconnected",
                         json_object_new_int64((gint64)fake->stats.disconnected));
  json_object_object_add(o, "rate_limit", json_object_new_double(fake->rate));
  json_object_object_add(o, "burst", json_object_new_double(fake->rate > 0 ? fake->burst : 0));
  json_object_object_add(o, "received_per_second", histogram_json(fake->received_per_second));
  json_object_object_add(o, "accepted_per_second", histogram_json(fake->accepted_per_second));
  return o;
}

void
inf_fake_llm_watch(InfFakeLlm *fake, const char *text)
{
  if (!g_hash_table_contains(fake->watched, text))
    g_hash_table_insert(fake->watched, g_strdup(text), GUINT_TO_POINTER(0));
}

guint
inf_fake_llm_count_watched(const InfFakeLlm *fake, const char *text)
{
  return GPOINTER_TO_UINT(g_hash_table_lookup(fake->watched, text));
}

/* Counts @p under every watched text it contains. */
static void
count_watched(InfFakeLlm *fake, const char *all_text)
{
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, fake->watched);
  while (g_hash_table_iter_next(&iter, &key, &value))
    if (strstr(all_text, key) != NULL)
      g_hash_table_iter_replace(&iter, GUINT_TO_POINTER(GPOINTER_TO_UINT(value) + 1));
}

guint
inf_fake_llm_count_api_key(const InfFakeLlm *fake, const char *key)
{
  return GPOINTER_TO_UINT(g_hash_table_lookup(fake->api_keys, key));
}

const char *
inf_fake_llm_get_last_path(const InfFakeLlm *fake)
{
  return fake->last_path;
}

const char *
inf_fake_llm_get_last_header(const InfFakeLlm *fake, const char *name)
{
  if (fake->last_headers == NULL)
    return NULL;
  return soup_message_headers_get_one(fake->last_headers, name);
}

json_object *
inf_fake_llm_get_last_body(const InfFakeLlm *fake)
{
  return fake->last_body;
}

void
inf_fake_llm_push_reply_text(InfFakeLlm *fake, const char *text)
{
  g_queue_push_tail(&fake->reply_texts, g_strdup(text));
}

guint
inf_fake_llm_get_n_bodies(const InfFakeLlm *fake)
{
  return fake->bodies->len;
}

json_object *
inf_fake_llm_get_body(const InfFakeLlm *fake, guint index)
{
  g_return_val_if_fail(index < fake->bodies->len, NULL);
  return g_ptr_array_index(fake->bodies, index);
}

void
inf_fake_llm_set_reject_json_schema(InfFakeLlm *fake, gboolean reject)
{
  fake->reject_json_schema = reject;
}

/* --- counting ------------------------------------------------------------ */

static void
histogram_add(InfFakeLlm *fake, GArray *array, gint64 now_us)
{
  guint second = (guint)((now_us - fake->start_us) / G_USEC_PER_SEC);
  if (second >= 100000)
    return; /* a day of seconds is enough */
  if (array->len <= second)
    g_array_set_size(array, second + 1);
  g_array_index(array, guint, second)++;
}

static const char counted_key[] = "inf-fake-counted";

static void
request_end(InfFakeLlm *fake, SoupServerMessage *msg)
{
  if (g_object_get_data(G_OBJECT(msg), counted_key) == NULL)
    return;
  g_object_set_data(G_OBJECT(msg), counted_key, NULL);
  fake->stats.in_flight--;
}

static void
on_message_finished(SoupServerMessage *msg, gpointer user_data)
{
  request_end(user_data, msg);
}

static void
request_begin(InfFakeLlm *fake, SoupServerMessage *msg)
{
  g_object_set_data(G_OBJECT(msg), counted_key, GINT_TO_POINTER(1));
  g_signal_connect(msg, "finished", G_CALLBACK(on_message_finished), fake);
  fake->stats.in_flight++;
  fake->stats.max_concurrent = MAX(fake->stats.max_concurrent, fake->stats.in_flight);
}

static const char connection_key[] = "inf-fake-connection-seen";

/* Counts connections: a socket not seen before is a new one. */
static void
on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  (void)server;
  InfFakeLlm *fake = user_data;
  GSocket *socket = soup_server_message_get_socket(msg);
  if (socket != NULL && g_object_get_data(G_OBJECT(socket), connection_key) == NULL) {
    g_object_set_data(G_OBJECT(socket), connection_key, GINT_TO_POINTER(1));
    fake->stats.connections++;
  }
}

/* The server's own token bucket: TRUE when the request may pass, else the
 * wait until a token is there. */
static gboolean
rate_limit_take(InfFakeLlm *fake, gint64 now_us, double *wait_s)
{
  if (fake->rate <= 0)
    return TRUE;
  fake->tokens = MIN(fake->burst, fake->tokens + (now_us - fake->refill_us) / 1e6 * fake->rate);
  fake->refill_us = now_us;
  if (fake->tokens >= 1.0) {
    fake->tokens -= 1.0;
    return TRUE;
  }
  *wait_s = (1.0 - fake->tokens) / fake->rate;
  return FALSE;
}

/* --- requests ------------------------------------------------------------ */

typedef struct {
  Format format;
  const char *model;
  GString *all_text; /* system and every message, for triggers and token counts */
  char *last_user;   /* the last user message */
  gboolean json_mode;
  gint64 max_tokens; /* 0: none */
  gboolean stream;
  gboolean include_usage; /* OpenAI stream_options.include_usage */
  const char *tool;       /* Anthropic: the tool forced by tool_choice, or NULL */
  gboolean json_schema;   /* OpenAI: response_format json_schema */
  char *given_text;       /* a queued reply text (inf_fake_llm_push_reply_text), or NULL */
} Prompt;

static void
prompt_clear(Prompt *p)
{
  if (p->all_text != NULL)
    g_string_free(p->all_text, TRUE);
  g_free(p->last_user);
  g_free(p->given_text);
}

/* Text of a content value: a string, or an array of {type: text, text}. */
static void
append_content(GString *out, json_object *content)
{
  if (json_object_is_type(content, json_type_string)) {
    g_string_append(out, json_object_get_string(content));
  } else if (json_object_is_type(content, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(content); i++) {
      json_object *part = json_object_array_get_idx(content, i), *text;
      if (json_object_object_get_ex(part, "text", &text) &&
          json_object_is_type(text, json_type_string))
        g_string_append(out, json_object_get_string(text));
    }
  }
}

/* Validates a request as the real API would; FALSE with a message for 400. */
static gboolean
read_prompt(Format format, json_object *body, SoupMessageHeaders *headers, Prompt *p,
            char **message)
{
  json_object *value, *messages;
  p->format = format;
  p->all_text = g_string_new(NULL);
  if (!json_object_is_type(body, json_type_object)) {
    *message = g_strdup("the request body is not a JSON object");
    return FALSE;
  }
  if (!json_object_object_get_ex(body, "model", &value) ||
      !json_object_is_type(value, json_type_string) || *json_object_get_string(value) == '\0') {
    *message = g_strdup("model: required");
    return FALSE;
  }
  p->model = json_object_get_string(value);
  if (!json_object_object_get_ex(body, "messages", &messages) ||
      !json_object_is_type(messages, json_type_array) || json_object_array_length(messages) == 0) {
    *message = g_strdup("messages: required, a non-empty array");
    return FALSE;
  }
  if (json_object_object_get_ex(body, "stream", &value) && json_object_get_boolean(value)) {
    json_object *stream_options, *include;
    p->stream = TRUE;
    p->include_usage = json_object_object_get_ex(body, "stream_options", &stream_options) &&
                       json_object_object_get_ex(stream_options, "include_usage", &include) &&
                       json_object_get_boolean(include);
  }
  if (format == FORMAT_OLLAMA && (!json_object_object_get_ex(body, "stream", &value) ||
                                  !json_object_is_type(value, json_type_boolean))) {
    *message = g_strdup("stream: send \"stream\": false (Ollama streams by default)");
    return FALSE;
  }
  if (format == FORMAT_ANTHROPIC) {
    if (soup_message_headers_get_one(headers, "anthropic-version") == NULL) {
      *message = g_strdup("anthropic-version: header required");
      return FALSE;
    }
    if (!json_object_object_get_ex(body, "max_tokens", &value) ||
        !json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 1) {
      *message = g_strdup("max_tokens: Field required");
      return FALSE;
    }
    p->max_tokens = json_object_get_int64(value);
    json_object *choice, *name;
    if (json_object_object_get_ex(body, "tool_choice", &choice) &&
        json_object_object_get_ex(choice, "name", &name))
      p->tool = json_object_get_string(name);
    if (json_object_object_get_ex(body, "system", &value)) {
      append_content(p->all_text, value);
      g_string_append_c(p->all_text, '\n');
      p->json_mode = strstr(p->all_text->str, "JSON") != NULL;
    }
  } else if (format == FORMAT_OPENAI) {
    json_object *type;
    if (json_object_object_get_ex(body, "response_format", &value) &&
        json_object_object_get_ex(value, "type", &type)) {
      p->json_mode = g_str_has_prefix(json_object_get_string(type), "json");
      p->json_schema = g_strcmp0(json_object_get_string(type), "json_schema") == 0;
    }
    if (json_object_object_get_ex(body, "max_completion_tokens", &value) ||
        json_object_object_get_ex(body, "max_tokens", &value))
      p->max_tokens = json_object_get_int64(value);
  } else {
    json_object *options;
    p->json_mode = json_object_object_get_ex(body, "format", &value);
    if (json_object_object_get_ex(body, "options", &options) &&
        json_object_object_get_ex(options, "num_predict", &value))
      p->max_tokens = json_object_get_int64(value);
  }
  for (size_t i = 0; i < json_object_array_length(messages); i++) {
    json_object *m = json_object_array_get_idx(messages, i), *role, *content;
    if (!json_object_object_get_ex(m, "role", &role) ||
        !json_object_object_get_ex(m, "content", &content)) {
      *message = g_strdup_printf("messages[%zu]: role and content required", i);
      return FALSE;
    }
    const char *r = json_object_get_string(role);
    if (format == FORMAT_ANTHROPIC && g_strcmp0(r, "system") == 0) {
      *message = g_strdup_printf("messages[%zu].role: use the top-level system parameter", i);
      return FALSE;
    }
    gsize start = p->all_text->len;
    append_content(p->all_text, content);
    if (g_strcmp0(r, "user") == 0) {
      g_free(p->last_user);
      p->last_user = g_strdup(p->all_text->str + start);
    }
    g_string_append_c(p->all_text, '\n');
  }
  if (p->last_user == NULL)
    p->last_user = g_strdup("");
  return TRUE;
}

/* The echoed text: the last user message without triggers, trimmed, its
 * first 40 characters. */
static char *
echo_text(const char *prompt)
{
  GString *clean = g_string_new(NULL);
  const char *p = prompt;
  for (;;) {
    const char *start = strstr(p, "[[fake:");
    const char *end = start != NULL ? strstr(start, "]]") : NULL;
    if (end == NULL) {
      g_string_append(clean, p);
      break;
    }
    g_string_append_len(clean, p, start - p);
    p = end + 2;
  }
  g_autofree char *valid = g_utf8_make_valid(g_strstrip(clean->str), -1);
  g_string_free(clean, TRUE);
  g_autofree char *head = g_utf8_substring(valid, 0, MIN(g_utf8_strlen(valid, -1), 40));
  return g_strconcat("echo: ", head, NULL);
}

static gint64
count_tokens(gsize bytes)
{
  return (gint64)MAX((bytes + 3) / 4, 1u);
}

static char *
json_text(json_object *o)
{
  char *text = g_strdup(
      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
  return text;
}

static char *
iso_now(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return g_date_time_format_iso8601(now);
}

#define FAKE_REFUSAL "fake: I can't help with that."
#define FAKE_REASONING "fake: thinking it over step by step."
#define FAKE_REASONING_TOKENS 64

/* What a good reply says, whatever the wire format. */
typedef struct {
  char *text;            /* NULL: no content (refusal, reasoning only) */
  const char *reasoning; /* NULL: none */
  const char *refusal;   /* OpenAI's message.refusal, or NULL */
  const char *finish;    /* the format's own word */
  gint64 input_tokens;
  gint64 output_tokens;
  gint64 reasoning_tokens;
} Parts;

static void
reply_parts(const Prompt *p, const InfFakeBehaviour *b, guint64 serial, Parts *parts)
{
  memset(parts, 0, sizeof *parts);
  char *text;
  if (p->given_text != NULL) {
    text = g_strdup(p->given_text);
  } else if (b->big > 0) {
    text = g_malloc((gsize)b->big + 1);
    memset(text, 'x', (gsize)b->big);
    text[b->big] = '\0';
  } else {
    g_autofree char *echo = echo_text(p->last_user);
    if (b->numbered) {
      /* "echo #N: ...": tells apart replies to equal prompts. */
      char *numbered = g_strdup_printf("echo #%" G_GUINT64_FORMAT ":%s", serial, echo + 5);
      g_free(echo);
      echo = numbered;
    }
    if (p->json_mode) {
      json_object *o = json_object_new_object();
      json_object_object_add(o, "echo", json_object_new_string(echo));
      text = json_text(o);
    } else {
      text = g_steal_pointer(&echo);
    }
  }
  parts->input_tokens = count_tokens(p->all_text->len);
  parts->output_tokens = count_tokens(strlen(text));
  gboolean cut = p->max_tokens > 0 && parts->output_tokens > p->max_tokens;
  if (cut) {
    /* Cut at a character boundary near max_tokens * 4 bytes. */
    const char *end = text + MIN(strlen(text), (gsize)p->max_tokens * 4);
    end = g_utf8_find_prev_char(text, end + 1);
    *(char *)(end != NULL ? end : text) = '\0';
    parts->output_tokens = p->max_tokens;
  }
  parts->text = text;
  const char *stop = p->format == FORMAT_ANTHROPIC ? "end_turn" : "stop";
  const char *length = p->format == FORMAT_ANTHROPIC ? "max_tokens" : "length";
  parts->finish = cut ? length : stop;
  if (b->think || b->reasoning) {
    parts->reasoning = FAKE_REASONING;
    parts->reasoning_tokens = FAKE_REASONING_TOKENS;
    parts->output_tokens += FAKE_REASONING_TOKENS;
  }
  if (b->reasoning) {
    g_clear_pointer(&parts->text, g_free);
    parts->output_tokens = FAKE_REASONING_TOKENS;
    parts->finish = length;
  }
  if (b->refusal && p->format == FORMAT_OPENAI) {
    g_clear_pointer(&parts->text, g_free);
    parts->refusal = FAKE_REFUSAL;
    parts->output_tokens = count_tokens(strlen(FAKE_REFUSAL));
  } else if (b->refusal && p->format == FORMAT_ANTHROPIC) {
    g_free(parts->text);
    parts->text = g_strdup(FAKE_REFUSAL);
    parts->output_tokens = count_tokens(strlen(FAKE_REFUSAL));
    parts->finish = "refusal";
  }
  if (b->finish[0] != '\0')
    parts->finish = b->finish;
}

static char *
good_reply(InfFakeLlm *fake, const Prompt *p, const InfFakeBehaviour *b, gboolean missing)
{
  Parts parts;
  guint64 serial = ++fake->serial;
  reply_parts(p, b, serial, &parts);
  const char *text = parts.text;
  gint64 input_tokens = parts.input_tokens;
  gint64 output_tokens = parts.output_tokens;
  json_object *o = json_object_new_object();
  json_object *usage = json_object_new_object();
  switch (p->format) {
  case FORMAT_OPENAI: {
    g_autofree char *id = g_strdup_printf("chatcmpl-fake-%" G_GUINT64_FORMAT, serial);
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "object", json_object_new_string("chat.completion"));
    json_object_object_add(o, "created", json_object_new_int64(g_get_real_time() / 1000000));
    json_object_object_add(o, "model", json_object_new_string(p->model));
    if (!missing) {
      json_object *choice = json_object_new_object();
      json_object *message = json_object_new_object();
      json_object_object_add(message, "role", json_object_new_string("assistant"));
      json_object_object_add(message, "content",
                             text != NULL ? json_object_new_string(text) : NULL);
      if (parts.refusal != NULL)
        json_object_object_add(message, "refusal", json_object_new_string(parts.refusal));
      if (parts.reasoning != NULL)
        json_object_object_add(message, "reasoning_content",
                               json_object_new_string(parts.reasoning));
      json_object_object_add(choice, "index", json_object_new_int(0));
      json_object_object_add(choice, "message", message);
      json_object_object_add(choice, "finish_reason", json_object_new_string(parts.finish));
      json_object *choices = json_object_new_array();
      json_object_array_add(choices, choice);
      json_object_object_add(o, "choices", choices);
      json_object_object_add(usage, "prompt_tokens", json_object_new_int64(input_tokens));
      json_object_object_add(usage, "completion_tokens", json_object_new_int64(output_tokens));
      json_object_object_add(usage, "total_tokens",
                             json_object_new_int64(input_tokens + output_tokens));
      if (parts.reasoning_tokens > 0) {
        json_object *details = json_object_new_object();
        json_object_object_add(details, "reasoning_tokens",
                               json_object_new_int64(parts.reasoning_tokens));
        json_object_object_add(usage, "completion_tokens_details", details);
      }
      json_object_object_add(o, "usage", json_object_get(usage));
    }
    break;
  }
  case FORMAT_ANTHROPIC: {
    g_autofree char *id = g_strdup_printf("msg_fake_%" G_GUINT64_FORMAT, serial);
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "type", json_object_new_string("message"));
    json_object_object_add(o, "role", json_object_new_string("assistant"));
    json_object_object_add(o, "model", json_object_new_string(p->model));
    if (!missing) {
      json_object *content = json_object_new_array();
      if (parts.reasoning != NULL) {
        json_object *thinking = json_object_new_object();
        json_object_object_add(thinking, "type", json_object_new_string("thinking"));
        json_object_object_add(thinking, "thinking", json_object_new_string(parts.reasoning));
        json_object_object_add(thinking, "signature", json_object_new_string("fake-signature"));
        json_object_array_add(content, thinking);
      }
      const char *finish = parts.finish;
      if (text != NULL && p->tool != NULL) {
        /* The forced tool's call: the text is its input (an object). */
        json_object *input = json_tokener_parse(text);
        if (!json_object_is_type(input, json_type_object)) {
          json_object_put(input);
          input = json_object_new_object();
          json_object_object_add(input, "echo", json_object_new_string(text));
        }
        g_autofree char *tool_id = g_strdup_printf("toolu_fake_%" G_GUINT64_FORMAT, serial);
        json_object *block = json_object_new_object();
        json_object_object_add(block, "type", json_object_new_string("tool_use"));
        json_object_object_add(block, "id", json_object_new_string(tool_id));
        json_object_object_add(block, "name", json_object_new_string(p->tool));
        json_object_object_add(block, "input", input);
        json_object_array_add(content, block);
        if (g_strcmp0(finish, "end_turn") == 0)
          finish = "tool_use";
      } else if (text != NULL) {
        json_object *block = json_object_new_object();
        json_object_object_add(block, "type", json_object_new_string("text"));
        json_object_object_add(block, "text", json_object_new_string(text));
        json_object_array_add(content, block);
      }
      json_object_object_add(o, "content", content);
      json_object_object_add(o, "stop_reason", json_object_new_string(finish));
      json_object_object_add(o, "stop_sequence", NULL);
      json_object_object_add(usage, "input_tokens", json_object_new_int64(input_tokens));
      json_object_object_add(usage, "output_tokens", json_object_new_int64(output_tokens));
      json_object_object_add(o, "usage", json_object_get(usage));
    }
    break;
  }
  case FORMAT_OLLAMA: {
    g_autofree char *now = iso_now();
    json_object_object_add(o, "model", json_object_new_string(p->model));
    json_object_object_add(o, "created_at", json_object_new_string(now));
    if (!missing) {
      json_object *message = json_object_new_object();
      json_object_object_add(message, "role", json_object_new_string("assistant"));
      json_object_object_add(message, "content", json_object_new_string(text ? text : ""));
      if (parts.reasoning != NULL)
        json_object_object_add(message, "thinking", json_object_new_string(parts.reasoning));
      json_object_object_add(o, "message", message);
    }
    json_object_object_add(o, "done", json_object_new_boolean(TRUE));
    if (!missing) {
      json_object_object_add(o, "done_reason", json_object_new_string(parts.finish));
      json_object_object_add(o, "total_duration", json_object_new_int64(1000000));
      json_object_object_add(o, "load_duration", json_object_new_int64(0));
      json_object_object_add(o, "prompt_eval_count", json_object_new_int64(input_tokens));
      json_object_object_add(o, "eval_count", json_object_new_int64(output_tokens));
    }
    break;
  }
  }
  json_object_put(usage);
  g_free(parts.text);
  return json_text(o);
}

/* --- streams ------------------------------------------------------------- */

#define STREAM_PIECE 7 /* bytes of text per delta: several deltas per reply */

static void
sse_event(GString *out, const char *event, json_object *data)
{
  if (event != NULL)
    g_string_append_printf(out, "event: %s\n", event);
  g_autofree char *text = json_text(data);
  g_string_append_printf(out, "data: %s\n\n", text);
}

/* The next piece of @text from *@offset, cut at a character boundary. */
static char *
next_piece(const char *text, gsize *offset)
{
  gsize length = strlen(text);
  gsize end = MIN(*offset + STREAM_PIECE, length);
  while (end < length && (text[end] & 0xC0) == 0x80)
    end++;
  char *piece = g_strndup(text + *offset, end - *offset);
  *offset = end;
  return piece;
}

static json_object *
openai_chunk(const Prompt *p, guint64 serial, json_object *delta, const char *finish)
{
  json_object *o = json_object_new_object();
  g_autofree char *id = g_strdup_printf("chatcmpl-fake-%" G_GUINT64_FORMAT, serial);
  json_object_object_add(o, "id", json_object_new_string(id));
  json_object_object_add(o, "object", json_object_new_string("chat.completion.chunk"));
  json_object_object_add(o, "model", json_object_new_string(p->model));
  json_object *choices = json_object_new_array();
  if (delta != NULL) {
    json_object *choice = json_object_new_object();
    json_object_object_add(choice, "index", json_object_new_int(0));
    json_object_object_add(choice, "delta", delta);
    json_object_object_add(choice, "finish_reason",
                           finish != NULL ? json_object_new_string(finish) : NULL);
    json_object_array_add(choices, choice);
  }
  json_object_object_add(o, "choices", choices);
  return o;
}

static json_object *
delta_of(const char *field, const char *text)
{
  json_object *delta = json_object_new_object();
  json_object_object_add(delta, field, json_object_new_string(text));
  return delta;
}

static json_object *
error_object(Format format, const char *message)
{
  json_object *o = json_object_new_object();
  if (format == FORMAT_OLLAMA) {
    json_object_object_add(o, "error", json_object_new_string(message));
    return o;
  }
  json_object *e = json_object_new_object();
  json_object_object_add(
      e, "type",
      json_object_new_string(format == FORMAT_ANTHROPIC ? "overloaded_error" : "server_error"));
  json_object_object_add(e, "message", json_object_new_string(message));
  if (format == FORMAT_ANTHROPIC)
    json_object_object_add(o, "type", json_object_new_string("error"));
  json_object_object_add(o, "error", e);
  return o;
}

#define FAKE_STREAM_ERROR "fake: the stream broke off"

static char *
stream_reply(InfFakeLlm *fake, const Prompt *p, const InfFakeBehaviour *b)
{
  Parts parts;
  guint64 serial = ++fake->serial;
  reply_parts(p, b, serial, &parts);
  GString *out = g_string_new(NULL);
  gsize offset = 0;
  const char *text = parts.text != NULL ? parts.text : "";
  switch (p->format) {
  case FORMAT_OPENAI: {
    sse_event(out, NULL, openai_chunk(p, serial, delta_of("role", "assistant"), NULL));
    if (parts.reasoning != NULL)
      sse_event(out, NULL,
                openai_chunk(p, serial, delta_of("reasoning_content", parts.reasoning), NULL));
    if (parts.refusal != NULL)
      sse_event(out, NULL, openai_chunk(p, serial, delta_of("refusal", parts.refusal), NULL));
    while (text[offset] != '\0') {
      g_autofree char *piece = next_piece(text, &offset);
      sse_event(out, NULL, openai_chunk(p, serial, delta_of("content", piece), NULL));
      if (b->stream_error)
        break;
    }
    if (b->stream_error) {
      sse_event(out, NULL, error_object(p->format, FAKE_STREAM_ERROR));
      break;
    }
    sse_event(out, NULL, openai_chunk(p, serial, json_object_new_object(), parts.finish));
    if (b->stream_cut)
      break;
    if (p->include_usage) {
      json_object *chunk = openai_chunk(p, serial, NULL, NULL);
      json_object *usage = json_object_new_object();
      json_object_object_add(usage, "prompt_tokens", json_object_new_int64(parts.input_tokens));
      json_object_object_add(usage, "completion_tokens",
                             json_object_new_int64(parts.output_tokens));
      if (parts.reasoning_tokens > 0) {
        json_object *details = json_object_new_object();
        json_object_object_add(details, "reasoning_tokens",
                               json_object_new_int64(parts.reasoning_tokens));
        json_object_object_add(usage, "completion_tokens_details", details);
      }
      json_object_object_add(chunk, "usage", usage);
      sse_event(out, NULL, chunk);
    }
    g_string_append(out, "data: [DONE]\n\n");
    break;
  }
  case FORMAT_ANTHROPIC: {
    json_object *start = json_object_new_object();
    json_object *message = json_object_new_object();
    json_object *usage = json_object_new_object();
    json_object_object_add(start, "type", json_object_new_string("message_start"));
    json_object_object_add(message, "id", json_object_new_string("msg_fake_stream"));
    json_object_object_add(message, "type", json_object_new_string("message"));
    json_object_object_add(message, "role", json_object_new_string("assistant"));
    json_object_object_add(message, "model", json_object_new_string(p->model));
    json_object_object_add(message, "content", json_object_new_array());
    json_object_object_add(usage, "input_tokens", json_object_new_int64(parts.input_tokens));
    json_object_object_add(usage, "output_tokens", json_object_new_int64(1));
    json_object_object_add(message, "usage", usage);
    json_object_object_add(start, "message", message);
    sse_event(out, "message_start", start);
    g_string_append(out, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
    int index = 0;
    if (parts.reasoning != NULL) {
      json_object *block = json_object_new_object();
      json_object_object_add(block, "type", json_object_new_string("content_block_delta"));
      json_object_object_add(block, "index", json_object_new_int(index));
      json_object *delta = json_object_new_object();
      json_object_object_add(delta, "type", json_object_new_string("thinking_delta"));
      json_object_object_add(delta, "thinking", json_object_new_string(parts.reasoning));
      json_object_object_add(block, "delta", delta);
      sse_event(out, "content_block_delta", block);
      index++;
    }
    const char *finish = parts.finish;
    g_autofree char *tool_input = NULL;
    if (parts.text != NULL && p->tool != NULL) {
      /* The forced tool's call: its input (an object) in JSON pieces. */
      json_object *input = json_tokener_parse(parts.text);
      if (!json_object_is_type(input, json_type_object)) {
        json_object_put(input);
        input = json_object_new_object();
        json_object_object_add(input, "echo", json_object_new_string(parts.text));
      }
      tool_input = json_text(input);
      text = tool_input;
      json_object *start_block = json_object_new_object();
      json_object_object_add(start_block, "type", json_object_new_string("content_block_start"));
      json_object_object_add(start_block, "index", json_object_new_int(index));
      json_object *tool = json_object_new_object();
      json_object_object_add(tool, "type", json_object_new_string("tool_use"));
      json_object_object_add(tool, "id", json_object_new_string("toolu_fake_stream"));
      json_object_object_add(tool, "name", json_object_new_string(p->tool));
      json_object_object_add(tool, "input", json_object_new_object());
      json_object_object_add(start_block, "content_block", tool);
      sse_event(out, "content_block_start", start_block);
      if (g_strcmp0(finish, "end_turn") == 0)
        finish = "tool_use";
    }
    while (text[offset] != '\0') {
      g_autofree char *piece = next_piece(text, &offset);
      json_object *block = json_object_new_object();
      json_object_object_add(block, "type", json_object_new_string("content_block_delta"));
      json_object_object_add(block, "index", json_object_new_int(index));
      json_object *delta = json_object_new_object();
      json_object_object_add(
          delta, "type",
          json_object_new_string(tool_input != NULL ? "input_json_delta" : "text_delta"));
      json_object_object_add(delta, tool_input != NULL ? "partial_json" : "text",
                             json_object_new_string(piece));
      json_object_object_add(block, "delta", delta);
      sse_event(out, "content_block_delta", block);
      if (b->stream_error)
        break;
    }
    if (b->stream_error) {
      sse_event(out, "error", error_object(p->format, FAKE_STREAM_ERROR));
      break;
    }
    json_object *end = json_object_new_object();
    json_object_object_add(end, "type", json_object_new_string("message_delta"));
    json_object *delta = json_object_new_object();
    json_object_object_add(delta, "stop_reason", json_object_new_string(finish));
    json_object_object_add(delta, "stop_sequence", NULL);
    json_object_object_add(end, "delta", delta);
    json_object *end_usage = json_object_new_object();
    json_object_object_add(end_usage, "output_tokens", json_object_new_int64(parts.output_tokens));
    json_object_object_add(end, "usage", end_usage);
    sse_event(out, "message_delta", end);
    if (b->stream_cut)
      break;
    g_string_append(out, "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n");
    break;
  }
  case FORMAT_OLLAMA: {
    g_autofree char *now = iso_now();
    if (parts.reasoning != NULL) {
      json_object *line = json_object_new_object();
      json_object_object_add(line, "model", json_object_new_string(p->model));
      json_object *message = json_object_new_object();
      json_object_object_add(message, "role", json_object_new_string("assistant"));
      json_object_object_add(message, "content", json_object_new_string(""));
      json_object_object_add(message, "thinking", json_object_new_string(parts.reasoning));
      json_object_object_add(line, "message", message);
      json_object_object_add(line, "done", json_object_new_boolean(FALSE));
      g_autofree char *t = json_text(line);
      g_string_append_printf(out, "%s\n", t);
    }
    while (text[offset] != '\0') {
      g_autofree char *piece = next_piece(text, &offset);
      json_object *line = json_object_new_object();
      json_object_object_add(line, "model", json_object_new_string(p->model));
      json_object_object_add(line, "created_at", json_object_new_string(now));
      json_object *message = json_object_new_object();
      json_object_object_add(message, "role", json_object_new_string("assistant"));
      json_object_object_add(message, "content", json_object_new_string(piece));
      json_object_object_add(line, "message", message);
      json_object_object_add(line, "done", json_object_new_boolean(FALSE));
      g_autofree char *t = json_text(line);
      g_string_append_printf(out, "%s\n", t);
      if (b->stream_error)
        break;
    }
    if (b->stream_error) {
      g_autofree char *t = json_text(error_object(p->format, FAKE_STREAM_ERROR));
      g_string_append_printf(out, "%s\n", t);
      break;
    }
    if (b->stream_cut)
      break;
    json_object *last = json_object_new_object();
    json_object_object_add(last, "model", json_object_new_string(p->model));
    json_object *message = json_object_new_object();
    json_object_object_add(message, "role", json_object_new_string("assistant"));
    json_object_object_add(message, "content", json_object_new_string(""));
    json_object_object_add(last, "message", message);
    json_object_object_add(last, "done", json_object_new_boolean(TRUE));
    json_object_object_add(last, "done_reason", json_object_new_string(parts.finish));
    json_object_object_add(last, "prompt_eval_count", json_object_new_int64(parts.input_tokens));
    json_object_object_add(last, "eval_count", json_object_new_int64(parts.output_tokens));
    g_autofree char *t = json_text(last);
    g_string_append_printf(out, "%s\n", t);
    break;
  }
  }
  g_free(parts.text);
  return g_string_free(out, FALSE);
}

static const char *
anthropic_error_type(guint status)
{
  switch (status) {
  case 400:
    return "invalid_request_error";
  case 401:
    return "authentication_error";
  case 403:
    return "permission_error";
  case 404:
    return "not_found_error";
  case 413:
    return "request_too_large";
  case 429:
    return "rate_limit_error";
  case 529:
    return "overloaded_error";
  default:
    return "api_error";
  }
}

static const char *
openai_error_type(guint status, const char **code)
{
  *code = NULL;
  switch (status) {
  case 400:
    return "invalid_request_error";
  case 401:
    *code = "invalid_api_key";
    return "invalid_request_error";
  case 404:
    return "invalid_request_error";
  case 429:
    *code = "rate_limit_exceeded";
    return "requests";
  default:
    return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

static char *
error_body_shaped(Format format, guint status, const char *message, gboolean quota,
                  const char *shape)
{
  if (g_strcmp0(shape, "plain") == 0)
    return g_strdup(message);
  json_object *o = json_object_new_object();
  if (g_strcmp0(shape, "split") == 0) {
    json_object_object_add(o, "error", json_object_new_string("Bad Request"));
    json_object_object_add(o, "message", json_object_new_string(message));
    json_object_object_add(o, "statusCode", json_object_new_int((int)status));
  } else if (g_strcmp0(shape, "detail") == 0) {
    json_object_object_add(o, "detail", json_object_new_string(message));
  } else if (format == FORMAT_OLLAMA) {
    json_object_object_add(o, "error", json_object_new_string(message));
  } else if (format == FORMAT_ANTHROPIC) {
    json_object *e = json_object_new_object();
    json_object_object_add(e, "type", json_object_new_string(anthropic_error_type(status)));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_object_add(o, "type", json_object_new_string("error"));
    json_object_object_add(o, "error", e);
  } else {
    const char *code;
    const char *type = quota ? "insufficient_quota" : openai_error_type(status, &code);
    if (quota)
      code = "insufficient_quota";
    json_object *e = json_object_new_object();
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_object_add(e, "type", json_object_new_string(type));
    json_object_object_add(e, "param", NULL);
    json_object_object_add(e, "code", code != NULL ? json_object_new_string(code) : NULL);
    json_object_object_add(o, "error", e);
  }
  return json_text(o);
}

static char *
error_body(Format format, guint status, const char *message, gboolean quota)
{
  return error_body_shaped(format, status, message, quota, NULL);
}

/* libsoup knows no phrase for some statuses LLM APIs use. */
static const char *
status_phrase(guint status)
{
  switch (status) {
  case 429:
    return "Too Many Requests";
  case 529:
    return "Overloaded";
  default:
    return NULL;
  }
}

static void
drop_connection(InfFakeLlm *fake, SoupServerMessage *msg)
{
  request_end(fake, msg);
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection(msg);
  if (stream != NULL)
    g_io_stream_close(stream, NULL, NULL);
}

/* "rfc3339+N": an RFC 3339 time N seconds ahead; anything else as is. */
static char *
header_value(const char *value)
{
  if (!g_str_has_prefix(value, "rfc3339+"))
    return g_strdup(value);
  guint64 seconds = 0;
  g_ascii_string_to_unsigned(value + 8, 10, 0, 86400 * 365, &seconds, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GDateTime) then = g_date_time_add_seconds(now, (gdouble)seconds);
  return g_date_time_format(then, "%Y-%m-%dT%H:%M:%SZ");
}

static void
reply_send(Reply *reply)
{
  SoupServerMessage *msg = reply->msg;
  if (reply->drop) {
    drop_connection(reply->fake, msg);
    return;
  }
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  if (reply->retry_after != NULL)
    soup_message_headers_replace(headers, "Retry-After", reply->retry_after);
  if (reply->retry_after_ms != NULL)
    soup_message_headers_replace(headers, "retry-after-ms", reply->retry_after_ms);
  if (reply->headers != NULL) {
    g_auto(GStrv) lines = g_strsplit(reply->headers, "\n", -1);
    for (char **line = lines; *line != NULL; line++) {
      char *colon = strchr(*line, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      g_autofree char *value = header_value(g_strstrip(colon + 1));
      soup_message_headers_append(headers, *line, value);
    }
  }
  if (reply->big_header > 0 && !reply->big_header_split) {
    g_autofree char *big = g_strnfill(reply->big_header, 'a');
    soup_message_headers_append(headers, "X-Fake-Big", big);
  }
  for (guint sent = 0, i = 0; reply->big_header_split && sent < reply->big_header; i++) {
    guint n = MIN(4096u, reply->big_header - sent);
    g_autofree char *name = g_strdup_printf("X-Fake-Big-%u", i);
    g_autofree char *part = g_strnfill(n, 'a');
    soup_message_headers_append(headers, name, part);
    sent += n;
  }
  if (reply->chunked)
    soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
  soup_server_message_set_status(msg, reply->status, status_phrase(reply->status));
  soup_server_message_set_response(
      msg, reply->content_type != NULL ? reply->content_type : "application/json", SOUP_MEMORY_TAKE,
      g_steal_pointer(&reply->body), reply->length);
  if (reply->chunked)
    soup_message_body_complete(soup_server_message_get_response_body(msg));
}

static gboolean
reply_delayed(gpointer data)
{
  Reply *reply = data;
  InfFakeLlm *fake = reply->fake;
  g_main_context_push_thread_default(fake->context);
  g_clear_pointer(&reply->source, g_source_unref); /* dispatching: do not destroy */
  reply_send(reply);
  if (!reply->drop)
    soup_server_message_unpause(reply->msg);
  g_hash_table_remove(fake->delayed, reply);
  g_main_context_pop_thread_default(fake->context);
  return G_SOURCE_REMOVE;
}

guint
inf_fake_llm_get_n_held(const InfFakeLlm *fake)
{
  return fake->held.length;
}

guint
inf_fake_llm_release(InfFakeLlm *fake, guint n)
{
  guint released = 0;
  g_main_context_push_thread_default(fake->context);
  while ((n == 0 || released < n) && !g_queue_is_empty(&fake->held)) {
    Reply *reply = g_queue_pop_head(&fake->held);
    reply_send(reply);
    if (!reply->drop)
      soup_server_message_unpause(reply->msg);
    g_hash_table_remove(fake->delayed, reply);
    released++;
  }
  g_main_context_pop_thread_default(fake->context);
  return released;
}

static char *
retry_after_value(const char *spec)
{
  if (g_str_has_prefix(spec, "date+")) {
    guint64 seconds = 0;
    g_ascii_string_to_unsigned(spec + 5, 10, 0, 86400, &seconds, NULL);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) then = g_date_time_add_seconds(now, (gdouble)seconds);
    return soup_date_time_to_string(then, SOUP_DATE_HTTP);
  }
  return g_strdup(spec);
}

/* The client of a held reply closed its connection (libsoup does not read
 * a paused message's socket: a peek does). */
static gboolean
held_socket_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
  (void)condition;
  Reply *reply = user_data;
  char byte;
  gssize n = recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    reply->fake->stats.disconnected++;
  /* Closed, or more bytes (not a client waiting for its reply): done. */
  g_clear_pointer(&reply->watch, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
held_watch(Reply *reply)
{
  GSocket *socket = soup_server_message_get_socket(reply->msg);
  if (socket == NULL)
    return;
  reply->watch = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback(reply->watch, G_SOURCE_FUNC(held_socket_cb), reply, NULL);
  g_source_attach(reply->watch, reply->fake->context);
}

static void
answer(InfFakeLlm *fake, SoupServerMessage *msg, const Prompt *p, const InfFakeBehaviour *b)
{
  Reply *reply = g_new0(Reply, 1);
  reply->fake = fake;
  reply->msg = g_object_ref(msg);
  switch (b->kind) {
  case INF_FAKE_REPLY_OK:
    reply->status = 200;
    if (p->stream) {
      reply->body = stream_reply(fake, p, b);
      reply->content_type =
          p->format == FORMAT_OLLAMA ? "application/x-ndjson" : "text/event-stream";
    } else {
      reply->body = good_reply(fake, p, b, FALSE);
    }
    fake->stats.ok++;
    break;
  case INF_FAKE_REPLY_MISSING:
    reply->status = 200;
    reply->body = good_reply(fake, p, b, TRUE);
    fake->stats.errors++;
    break;
  case INF_FAKE_REPLY_TRUNCATED: {
    reply->status = 200;
    reply->body = good_reply(fake, p, b, FALSE);
    reply->body[strlen(reply->body) / 2] = '\0';
    fake->stats.errors++;
    break;
  }
  case INF_FAKE_REPLY_MALFORMED:
    reply->status = 200;
    reply->body = g_strdup("{\"choices\": [ this is not JSON <html>");
    fake->stats.errors++;
    break;
  case INF_FAKE_REPLY_QUOTA:
    reply->status = 429;
    reply->body = error_body(p->format, 429,
                             "You exceeded your current quota, please check your plan and "
                             "billing details.",
                             TRUE);
    fake->stats.errors++;
    break;
  case INF_FAKE_REPLY_STATUS: {
    g_autofree char *message = g_strdup_printf("fake: scripted status %u", b->status);
    reply->status = b->status;
    reply->body = error_body_shaped(p->format, b->status, message, FALSE, b->errbody);
    if (g_strcmp0(b->errbody, "plain") == 0)
      reply->content_type = "text/plain";
    fake->stats.errors++;
    break;
  }
  case INF_FAKE_REPLY_DROP:
    reply->drop = TRUE;
    fake->stats.errors++;
    break;
  }
  reply->length = reply->body != NULL ? strlen(reply->body) : 0;
  reply->chunked = b->chunked;
  reply->big_header = b->big_header;
  reply->big_header_split = b->big_header_split;
  if (b->headers[0] != '\0')
    reply->headers = g_strdup(b->headers);
  if (b->retry_after[0] != '\0')
    reply->retry_after = retry_after_value(b->retry_after);
  if (b->retry_after_ms >= 0)
    reply->retry_after_ms = g_strdup_printf("%" G_GINT64_FORMAT, b->retry_after_ms);

  if (b->hold) {
    soup_server_message_pause(msg);
    g_queue_push_tail(&fake->held, reply);
    g_hash_table_add(fake->delayed, reply);
    held_watch(reply);
    return;
  }
  if (b->delay_ms == 0) {
    reply_send(reply);
    reply_free(reply);
    return;
  }
  soup_server_message_pause(msg);
  reply->source = g_timeout_source_new(b->delay_ms);
  g_source_set_callback(reply->source, reply_delayed, reply, NULL);
  g_source_attach(reply->source, fake->context);
  g_hash_table_add(fake->delayed, reply);
}

static void
answer_status(SoupServerMessage *msg, Format format, guint status, const char *message)
{
  g_autofree char *body = error_body(format, status, message, FALSE);
  soup_server_message_set_status(msg, status, status_phrase(status));
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body, strlen(body));
}

/* A trigger in the prompt: [[fake:SPEC]]. */
static gboolean
find_trigger(InfFakeLlm *fake, const Prompt *p, InfFakeBehaviour *b)
{
  const char *start = strstr(p->all_text->str, "[[fake:");
  if (start == NULL)
    return FALSE;
  const char *end = strstr(start, "]]");
  if (end == NULL)
    return FALSE;
  g_autofree char *spec = g_strndup(start + 7, end - start - 7);
  g_autoptr(GError) error = NULL;
  if (!inf_fake_behaviour_parse(spec, b, &error)) {
    g_warning("fake LLM server: %s", error->message);
    return FALSE;
  }
  if (b->count == 0)
    return TRUE; /* no count: always */
  gpointer seen = g_hash_table_lookup(fake->trigger_counts, p->all_text->str);
  guint n = GPOINTER_TO_UINT(seen);
  if (n >= b->count)
    return FALSE;
  g_hash_table_insert(fake->trigger_counts, g_strdup(p->all_text->str), GUINT_TO_POINTER(n + 1));
  return TRUE;
}

static void
record_request(InfFakeLlm *fake, const char *path, SoupMessageHeaders *headers, json_object *body)
{
  g_free(fake->last_path);
  fake->last_path = g_strdup(path);
  g_clear_pointer(&fake->last_headers, soup_message_headers_unref);
  fake->last_headers = soup_message_headers_ref(headers);
  g_clear_pointer(&fake->last_body, json_object_put);
  fake->last_body = json_object_get(body);
  g_ptr_array_add(fake->bodies, json_object_get(body));

  const char *auth = soup_message_headers_get_one(headers, "Authorization");
  const char *keys[2] = {
    auth != NULL && g_str_has_prefix(auth, "Bearer ") ? auth + 7 : NULL,
    soup_message_headers_get_one(headers, "x-api-key"),
  };
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
    if (keys[i] == NULL)
      continue;
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fake->api_keys, keys[i]));
    g_hash_table_insert(fake->api_keys, g_strdup(keys[i]), GUINT_TO_POINTER(n + 1));
  }
}

static gboolean
has_key(InfFakeLlm *fake, SoupMessageHeaders *headers)
{
  const char *auth = soup_message_headers_get_one(headers, "Authorization");
  const char *x_api_key = soup_message_headers_get_one(headers, "x-api-key");
  return (auth != NULL && g_str_has_prefix(auth, "Bearer ") &&
          strcmp(auth + 7, fake->required_key) == 0) ||
         (x_api_key != NULL && strcmp(x_api_key, fake->required_key) == 0);
}

static void
handle_llm(InfFakeLlm *fake, SoupServerMessage *msg, const char *path, Format format)
{
  if (strcmp(soup_server_message_get_method(msg), "POST") != 0) {
    answer_status(msg, format, 405, "use POST");
    return;
  }
  gint64 now = g_get_monotonic_time();
  fake->stats.requests++;
  histogram_add(fake, fake->received_per_second, now);
  request_begin(fake, msg);

  SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body(msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(request_body);
  gsize length;
  const char *data = g_bytes_get_data(bytes, &length);
  json_tokener *tokener = json_tokener_new();
  json_object *body = data != NULL ? json_tokener_parse_ex(tokener, data, (int)length) : NULL;
  if (body != NULL && json_tokener_get_parse_end(tokener) != length) {
    json_object_put(body);
    body = NULL;
  }
  json_tokener_free(tokener);
  record_request(fake, path, headers, body);

  double wait_s = 0;
  if (!rate_limit_take(fake, now, &wait_s)) {
    fake->stats.rejected++;
    g_autofree char *message =
        g_strdup_printf("fake: rate limit of %g requests/s exceeded", fake->rate);
    g_autofree char *seconds = g_strdup_printf("%d", (int)MAX(1.0, ceil(wait_s)));
    g_autofree char *ms = g_strdup_printf("%d", (int)MAX(1.0, ceil(wait_s * 1000)));
    SoupMessageHeaders *out = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(out, "Retry-After", seconds);
    soup_message_headers_replace(out, "retry-after-ms", ms);
    answer_status(msg, format, 429, message);
    json_object_put(body);
    return;
  }
  histogram_add(fake, fake->accepted_per_second, now);

  Prompt prompt = { 0 };
  g_autofree char *invalid = NULL;
  if (body == NULL) {
    fake->stats.invalid++;
    answer_status(msg, format, 400, "the request body is not valid JSON");
  } else if (!read_prompt(format, body, headers, &prompt, &invalid)) {
    fake->stats.invalid++;
    answer_status(msg, format, 400, invalid);
  } else if (fake->reject_json_schema && prompt.json_schema) {
    fake->stats.invalid++;
    answer_status(msg, format, 400,
                  "Invalid parameter: 'response_format' of type 'json_schema' is not supported "
                  "with this model.");
  } else if (fake->required_key != NULL && !has_key(fake, headers)) {
    /* Like real APIs, quote what was sent (clients must scrub it). */
    const char *auth = soup_message_headers_get_one(headers, "Authorization");
    const char *sent = auth != NULL && g_str_has_prefix(auth, "Bearer ") ? auth + 7 : auth;
    if (sent == NULL)
      sent = soup_message_headers_get_one(headers, "x-api-key");
    g_autofree char *message =
        g_strdup_printf("fake: incorrect API key provided: %s", sent != NULL ? sent : "(none)");
    fake->stats.invalid++;
    answer_status(msg, format, 401, message);
  } else {
    count_watched(fake, prompt.all_text->str);
    InfFakeBehaviour b;
    if (!find_trigger(fake, &prompt, &b)) {
      InfFakeBehaviour *scripted = g_queue_pop_head(&fake->script);
      if (scripted != NULL) {
        b = *scripted;
        g_free(scripted);
      } else {
        b = fake->default_behaviour;
        if (fake->fail_rate > 0 && g_rand_double(fake->rand) < fake->fail_rate) {
          b.kind = INF_FAKE_REPLY_STATUS;
          b.status = 500;
        }
      }
    }
    if (b.kind == INF_FAKE_REPLY_OK && b.big == 0)
      prompt.given_text = g_queue_pop_head(&fake->reply_texts);
    answer(fake, msg, &prompt, &b);
  }
  prompt_clear(&prompt);
  json_object_put(body);
}

static void
handle_control(InfFakeLlm *fake, SoupServerMessage *msg, const char *path)
{
  const char *method = soup_server_message_get_method(msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body(msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(request_body);
  g_autofree char *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
  g_autoptr(GError) error = NULL;
  char *reply = NULL;

  if (strcmp(path, "/fake/stats") == 0 && strcmp(method, "GET") == 0) {
    reply = json_text(inf_fake_llm_stats_json(fake));
  } else if (strcmp(path, "/fake/reset") == 0 && strcmp(method, "POST") == 0) {
    inf_fake_llm_reset_stats(fake);
  } else if (strcmp(path, "/fake/script") == 0 && strcmp(method, "POST") == 0) {
    inf_fake_llm_push_script(fake, text, &error);
  } else if (strcmp(path, "/fake/default") == 0 && strcmp(method, "POST") == 0) {
    inf_fake_llm_set_default_text(fake, text, &error);
  } else {
    answer_status(msg, FORMAT_OLLAMA, 404, "unknown path");
    return;
  }
  if (error != NULL) {
    answer_status(msg, FORMAT_OLLAMA, 400, error->message);
    return;
  }
  if (reply == NULL)
    reply = g_strdup("{\"ok\":true}");
  soup_server_message_set_status(msg, 200, NULL);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, reply, strlen(reply));
}

static void
handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer user_data)
{
  (void)server;
  (void)query;
  InfFakeLlm *fake = user_data;
  if (g_str_has_suffix(path, "/chat/completions"))
    handle_llm(fake, msg, path, FORMAT_OPENAI);
  else if (g_str_has_suffix(path, "/messages"))
    handle_llm(fake, msg, path, FORMAT_ANTHROPIC);
  else if (g_str_has_suffix(path, "/api/chat"))
    handle_llm(fake, msg, path, FORMAT_OLLAMA);
  else if (g_str_has_prefix(path, "/fake/"))
    handle_control(fake, msg, path);
  else
    answer_status(msg, FORMAT_OLLAMA, 404, "unknown path");
}

gboolean
inf_fake_llm_start(InfFakeLlm *fake, guint16 port, GError **error)
{
  g_return_val_if_fail(fake->server == NULL, FALSE);
  g_main_context_push_thread_default(fake->context);
  fake->server = soup_server_new("server-header", "inf-fake-llm ", NULL);
  soup_server_add_handler(fake->server, NULL, handler, fake, NULL);
  g_signal_connect(fake->server, "request-started", G_CALLBACK(on_request_started), fake);
  /* Our own listening socket: GSocket's default backlog (10) drops SYNs
   * when many clients connect at once, and they retry only a second later. */
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, port);
  g_autoptr(GSocket) socket =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr(GSocketAddress) bound = NULL;
  gboolean ok = socket != NULL;
  if (ok) {
    g_socket_set_listen_backlog(socket, 4096);
    ok = g_socket_bind(socket, address, TRUE, error) && g_socket_listen(socket, error) &&
         (bound = g_socket_get_local_address(socket, error)) != NULL &&
         soup_server_listen_socket(fake->server, socket, 0, error);
  }
  g_main_context_pop_thread_default(fake->context);
  if (!ok)
    return FALSE;
  fake->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  fake->base_url = g_strdup_printf("http://127.0.0.1:%u", fake->port);
  fake->start_us = g_get_monotonic_time();
  return TRUE;
}
