/* The mock LLM client: in process, deterministic, offline.
 *
 * Replies are derived from the request (a hash plus the start of the last
 * message), so runs are reproducible. Every call completes from the main
 * loop after latency_ms (± jitter_ms) — a zero latency still returns on a
 * later loop iteration, never inside the call. error_rate and
 * rate_limit_rate inject transient server errors and 429s; fail_pattern
 * makes matching prompts fail for good. One GSource and one queue per client
 * serve every pending call: a min-heap when jitter_ms reorders completions,
 * else a FIFO (calls then fall due in the order they were made), so that a
 * completion costs O(1) instead of O(log pending).
 *
 * Schema requests (inf_llm_request_set_json_schema) get a valid instance
 * built from the schema, deterministically: const as is; an enum's first
 * value (in schema order) that occurs in the last message, case-insensitive,
 * else the value chosen by the request's hash; objects with every property
 * of "properties" (and every "required" one); arrays of max(minItems, 1)
 * items (within maxItems); strings from the derived reply text, cut to
 * maxLength and padded to minLength; numbers at the lower bound (0 when
 * unbounded), rounded to multipleOf; booleans false; anyOf/oneOf/allOf use
 * their first schema; local $refs are followed. Patterns are not generated:
 * a string with a pattern its text does not match is "" (the module's
 * validation reports it).
 *
 * Option mode "instruct" or "edit" replaces the derived text with a scripted
 * one computed from the request alone (mock-modes.c): a directive follower
 * and a rule-inducing prompt editor, for offline training demonstrations. */
#include <inf/inf.h>

#include "mock-modes.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  gint64 due_us;
  guint64 seq;
  InfLlmCall *call;
  InfLlmResponse *response;
  GError *error;
  gint64 retry_after_ms;
} Pending;

typedef struct {
  GSource *source;
  GArray *heap;  /* Pending: a min-heap by (due_us, seq), or a FIFO from @head */
  gboolean fifo; /* jitter_us == 0: due_us never decreases with seq */
  guint head;    /* FIFO only: the first pending element */
  guint64 seq;
  GRand *rand;
  gint64 latency_us;
  gint64 jitter_us;
  double error_rate;
  double rate_limit_rate;
  gint64 retry_after_ms;
  char *reply;
  char *fail_pattern;
  FILE *request_log;
  char *model;
  char *mode;
} Mock;

typedef struct {
  GSource source;
  Mock *mock;
} MockSource;

/* The order of the heap (inf/heap.h): due first, then the older call. */
static gint
pending_compare(gconstpointer pa, gconstpointer pb)
{
  const Pending *a = pa, *b = pb;
  if (a->due_us != b->due_us)
    return a->due_us < b->due_us ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The pending call due first, or NULL. */
static const Pending *
pending_first(Mock *mock)
{
  return mock->heap->len > mock->head ? &g_array_index(mock->heap, Pending, mock->head) : NULL;
}

static void
pending_push(Mock *mock, const Pending *p)
{
  if (mock->fifo)
    g_array_append_vals(mock->heap, p, 1);
  else
    inf_heap_push(mock->heap, p, pending_compare);
}

static void
pending_pop(Mock *mock, Pending *out)
{
  if (!mock->fifo) {
    inf_heap_pop(mock->heap, out, pending_compare);
    return;
  }
  *out = g_array_index(mock->heap, Pending, mock->head++);
  if (mock->head == mock->heap->len) {
    g_array_set_size(mock->heap, 0);
    mock->head = 0;
  } else if (mock->head >= 256 && mock->head >= mock->heap->len / 2) {
    /* Keeps the array within twice the pending calls. */
    g_array_remove_range(mock->heap, 0, mock->head);
    mock->head = 0;
  }
}

static void
mock_rearm(Mock *mock)
{
  const Pending *first = pending_first(mock);
  g_source_set_ready_time(mock->source, first != NULL ? first->due_us : -1);
}

static gboolean
mock_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void)callback;
  (void)user_data;
  Mock *mock = ((MockSource *)source)->mock;
  gint64 now = g_source_get_time(source);
  /* Only calls made before this dispatch: completions may start new calls,
   * which must wait for a later iteration. */
  guint64 seq_limit = mock->seq;
  g_source_set_ready_time(source, -1);
  const Pending *top;
  while ((top = pending_first(mock)) != NULL) {
    if (top->due_us > now || top->seq >= seq_limit)
      break;
    Pending p;
    pending_pop(mock, &p);
    if (p.error)
      inf_llm_call_return_error(p.call, p.error, p.retry_after_ms);
    else
      inf_llm_call_return(p.call, p.response);
  }
  mock_rearm(mock);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs mock_source_funcs = {
  .dispatch = mock_source_dispatch,
};

static guint32
fnv1a(guint32 hash, const char *text)
{
  for (const guchar *p = (const guchar *)text; p && *p; p++)
    hash = (hash ^ *p) * 16777619u;
  return hash;
}

static gint64
approx_tokens(gsize bytes)
{
  return (gint64)MAX((bytes + 3) / 4, 1);
}

/* --- schema-constrained replies --- */

typedef struct {
  json_object *root;
  const char *last; /* the last message */
  const char *text; /* the derived reply text */
  guint32 hash;
} Instance;

static json_object *make_instance(const Instance *in, json_object *s, guint depth);

static json_object *
resolve_local_ref(json_object *root, const char *ref)
{
  if (ref[0] != '#')
    return NULL;
  if (ref[1] == '\0')
    return root;
  if (ref[1] != '/')
    return NULL;
  g_auto(GStrv) tokens = g_strsplit(ref + 2, "/", -1);
  json_object *node = root;
  for (char **t = tokens; *t != NULL && node != NULL; t++) {
    g_autofree char *escaped_slash = NULL;
    g_auto(GStrv) a = g_strsplit(*t, "~1", -1);
    escaped_slash = g_strjoinv("/", a);
    g_auto(GStrv) b = g_strsplit(escaped_slash, "~0", -1);
    g_autofree char *token = g_strjoinv("~", b);
    json_object *next = NULL;
    if (json_object_is_type(node, json_type_array))
      next = json_object_array_get_idx(node, (size_t)g_ascii_strtoull(token, NULL, 10));
    else if (!json_object_object_get_ex(node, token, &next))
      next = NULL;
    node = next;
  }
  return node;
}

static json_object *
pick_enum(const Instance *in, json_object *choices)
{
  size_t n = json_object_array_length(choices);
  if (n == 0)
    return NULL;
  g_autofree char *last = g_utf8_casefold(in->last, -1);
  for (size_t i = 0; i < n; i++) {
    json_object *choice = json_object_array_get_idx(choices, i);
    if (!json_object_is_type(choice, json_type_string) || *json_object_get_string(choice) == '\0')
      continue;
    g_autofree char *folded = g_utf8_casefold(json_object_get_string(choice), -1);
    if (strstr(last, folded) != NULL)
      return json_object_get(choice);
  }
  return json_object_get(json_object_array_get_idx(choices, in->hash % n));
}

static const char *
schema_type(json_object *s)
{
  json_object *type;
  if (json_object_object_get_ex(s, "type", &type)) {
    if (json_object_is_type(type, json_type_string))
      return json_object_get_string(type);
    const char *first = NULL;
    for (size_t i = 0; i < json_object_array_length(type); i++) {
      const char *name = json_object_get_string(json_object_array_get_idx(type, i));
      if (first == NULL || g_strcmp0(first, "null") == 0)
        first = name;
    }
    if (first != NULL)
      return first;
  }
  if (json_object_object_get_ex(s, "properties", NULL) ||
      json_object_object_get_ex(s, "required", NULL))
    return "object";
  if (json_object_object_get_ex(s, "items", NULL))
    return "array";
  if (json_object_object_get_ex(s, "minLength", NULL) ||
      json_object_object_get_ex(s, "maxLength", NULL) ||
      json_object_object_get_ex(s, "pattern", NULL))
    return "string";
  if (json_object_object_get_ex(s, "minimum", NULL) ||
      json_object_object_get_ex(s, "maximum", NULL) ||
      json_object_object_get_ex(s, "exclusiveMinimum", NULL) ||
      json_object_object_get_ex(s, "exclusiveMaximum", NULL))
    return "number";
  return "null";
}

static double
get_number(json_object *s, const char *name, double fallback)
{
  json_object *value;
  if (!json_object_object_get_ex(s, name, &value) ||
      !(json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double)))
    return fallback;
  return json_object_get_double(value);
}

static json_object *
make_number(json_object *s, gboolean integer)
{
  double lo = get_number(s, "minimum", -INFINITY);
  double hi = get_number(s, "maximum", INFINITY);
  double xlo = get_number(s, "exclusiveMinimum", -INFINITY);
  double xhi = get_number(s, "exclusiveMaximum", INFINITY);
  double step = get_number(s, "multipleOf", integer ? 1 : 0);
  double bound_hi = MIN(hi, xhi);
  double x;
  if (isfinite(lo) && lo > xlo)
    x = lo;
  else if (isfinite(xlo))
    x = isfinite(bound_hi) ? (xlo + bound_hi) / 2 : xlo + 1;
  else
    x = MIN(0.0, bound_hi == xhi && isfinite(xhi) ? xhi - 1 : bound_hi);
  if (step > 0) {
    double up = ceil(x / step) * step;
    x = up >= bound_hi && up - step > MAX(lo, xlo) ? up - step : up;
    if (x <= xlo)
      x += step;
  }
  if (integer)
    return json_object_new_int64((gint64)ceil(x));
  return json_object_new_double(x);
}

static json_object *
make_string(const Instance *in, json_object *s)
{
  gint64 max = (gint64)get_number(s, "maxLength", 1e9);
  gint64 min = (gint64)get_number(s, "minLength", 0);
  glong n = g_utf8_strlen(in->text, -1);
  g_autofree char *cut = g_utf8_substring(in->text, 0, MIN(n, (glong)MAX(max, 0)));
  GString *text = g_string_new(cut);
  for (glong i = MIN(n, max); i < min; i++)
    g_string_append_c(text, 'x');
  json_object *pattern;
  if (json_object_object_get_ex(s, "pattern", &pattern) &&
      json_object_is_type(pattern, json_type_string)) {
    g_autoptr(GRegex) regex = g_regex_new(json_object_get_string(pattern), 0, 0, NULL);
    if (regex == NULL || !g_regex_match(regex, text->str, 0, NULL))
      g_string_truncate(text, 0);
  }
  json_object *result = json_object_new_string_len(text->str, (int)text->len);
  g_string_free(text, TRUE);
  return result;
}

static json_object *
make_object(const Instance *in, json_object *s, guint depth)
{
  json_object *object = json_object_new_object();
  json_object *properties, *required;
  if (json_object_object_get_ex(s, "properties", &properties) &&
      json_object_is_type(properties, json_type_object)) {
    json_object_object_foreach(properties, name, sub)
        json_object_object_add(object, name, make_instance(in, sub, depth + 1));
  }
  if (json_object_object_get_ex(s, "required", &required) &&
      json_object_is_type(required, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(required); i++) {
      const char *name = json_object_get_string(json_object_array_get_idx(required, i));
      if (name != NULL && !json_object_object_get_ex(object, name, NULL))
        json_object_object_add(object, name, json_object_new_string(""));
    }
  }
  return object;
}

static json_object *
make_array(const Instance *in, json_object *s, guint depth)
{
  json_object *array = json_object_new_array();
  json_object *items = NULL;
  json_object_object_get_ex(s, "items", &items);
  gint64 min_items = (gint64)get_number(s, "minItems", 0);
  gint64 n = MIN((gint64)get_number(s, "maxItems", 1e9), MAX(min_items, 1));
  if (items == NULL)
    n = min_items;
  for (gint64 i = 0; i < n && i < 10000; i++) {
    json_object *item = json_object_is_type(items, json_type_array)
                            ? json_object_array_get_idx(items, (size_t)i)
                            : items;
    if (json_object_is_type(items, json_type_array) && (size_t)i >= json_object_array_length(items))
      break;
    json_object_array_add(array, make_instance(in, item, depth + 1));
  }
  return array;
}

static json_object *
make_instance(const Instance *in, json_object *s, guint depth)
{
  json_object *value;
  if (depth > 32 || !json_object_is_type(s, json_type_object))
    return NULL;
  if (json_object_object_get_ex(s, "$ref", &value) && json_object_is_type(value, json_type_string))
    return make_instance(in, resolve_local_ref(in->root, json_object_get_string(value)), depth + 1);
  if (json_object_object_get_ex(s, "const", &value))
    return json_object_get(value);
  if (json_object_object_get_ex(s, "enum", &value) && json_object_is_type(value, json_type_array))
    return pick_enum(in, value);
  const char *combinators[] = { "anyOf", "oneOf", "allOf" };
  for (guint i = 0; i < G_N_ELEMENTS(combinators); i++)
    if (json_object_object_get_ex(s, combinators[i], &value) &&
        json_object_array_length(value) > 0 && !json_object_object_get_ex(s, "type", NULL))
      return make_instance(in, json_object_array_get_idx(value, 0), depth + 1);
  const char *type = schema_type(s);
  if (strcmp(type, "object") == 0)
    return make_object(in, s, depth);
  if (strcmp(type, "array") == 0)
    return make_array(in, s, depth);
  if (strcmp(type, "string") == 0)
    return make_string(in, s);
  if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0)
    return make_number(s, strcmp(type, "integer") == 0);
  if (strcmp(type, "boolean") == 0)
    return json_object_new_boolean(FALSE);
  return NULL;
}

static char *
make_schema_reply(json_object *schema, const char *last, const char *text, guint32 hash)
{
  Instance in = { schema, last, text, hash };
  json_object *instance = make_instance(&in, schema, 0);
  char *json = g_strdup(json_object_to_json_string_ext(
      instance, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(instance);
  return json;
}

static char *
make_reply(Mock *mock, const InfLlmRequest *request, guint32 hash, const char *last)
{
  if (mock->reply) {
    /* "{prompt}" stands for the last message. */
    g_auto(GStrv) parts = g_strsplit(mock->reply, "{prompt}", -1);
    return g_strjoinv(last, parts);
  }
  if (g_strcmp0(mock->mode, "instruct") == 0) {
    char *scripted = mock_instruct_reply(inf_llm_request_get_system(request), last);
    if (scripted != NULL)
      return scripted;
  } else if (g_strcmp0(mock->mode, "edit") == 0) {
    return mock_edit_reply(inf_llm_request_get_system(request), last);
  }
  gsize n = strlen(last);
  gsize cut = MIN(n, 48);
  while (cut < n && cut > 0 && (((guchar)last[cut]) & 0xC0) == 0x80)
    cut--; /* do not split a UTF-8 sequence */
  char *text = g_strdup_printf("mock-%08x: %.*s", hash, (int)cut, last);
  json_object *schema = inf_llm_request_get_json_schema(request);
  if (schema != NULL) {
    char *json = make_schema_reply(schema, last, text, hash);
    g_free(text);
    return json;
  }
  if (!inf_llm_request_get_json_mode(request))
    return text;
  json_object *obj = json_object_new_object();
  json_object_object_add(obj, "text", json_object_new_string(text));
  json_object_object_add(obj, "hash", json_object_new_string_len(text + 5, 8));
  char *json = g_strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
  json_object_put(obj);
  g_free(text);
  return json;
}

/* Appends @request to @log as one JSON line {"system": ..., "messages": [...]}
 * (the contents only: a request carries no key). */
static void
log_request(FILE *log, const InfLlmRequest *request)
{
  json_object *obj = json_object_new_object();
  const char *system = inf_llm_request_get_system(request);
  if (system)
    json_object_object_add(obj, "system", json_object_new_string(system));
  json_object *messages = json_object_new_array();
  for (guint i = 0; i < inf_llm_request_get_n_messages(request); i++)
    json_object_array_add(messages,
                          json_object_new_string(inf_llm_request_get_content(request, i)));
  json_object_object_add(obj, "messages", messages);
  fprintf(log, "%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
  fflush(log);
  json_object_put(obj);
}

static void
mock_call(InfClient *self, InfLlmCall *call)
{
  Mock *mock = inf_client_get_private(self);
  const InfLlmRequest *request = inf_llm_call_get_request(call);
  guint n = inf_llm_request_get_n_messages(request);
  const char *last = n ? inf_llm_request_get_content(request, n - 1) : "";
  guint32 hash = fnv1a(2166136261u, inf_llm_request_get_system(request));
  gsize in_bytes = 0;
  gboolean matches_fail = FALSE;
  for (guint i = 0; i < n; i++) {
    const char *content = inf_llm_request_get_content(request, i);
    hash = fnv1a(hash, content);
    in_bytes += strlen(content);
    if (mock->fail_pattern && strstr(content, mock->fail_pattern))
      matches_fail = TRUE;
  }
  if (mock->request_log)
    log_request(mock->request_log, request);
  Pending p = { .seq = mock->seq++, .call = call, .retry_after_ms = -1 };
  gint64 latency = mock->latency_us;
  if (mock->jitter_us > 0)
    latency += g_rand_int_range(mock->rand, (gint32)-mock->jitter_us, (gint32)mock->jitter_us + 1);
  p.due_us = g_get_monotonic_time() + MAX(latency, 0);

  if (matches_fail) {
    p.error = g_error_new(INF_ERROR, INF_ERROR_HTTP_STATUS,
                          "mock: the prompt matches fail_pattern '%s'", mock->fail_pattern);
  } else if (mock->rate_limit_rate > 0 && g_rand_double(mock->rand) < mock->rate_limit_rate) {
    p.error = g_error_new(INF_ERROR, INF_ERROR_RATE_LIMITED, "mock: 429 rate limited (injected)");
    p.retry_after_ms = mock->retry_after_ms > 0 ? mock->retry_after_ms : -1;
  } else if (mock->error_rate > 0 && g_rand_double(mock->rand) < mock->error_rate) {
    p.error = g_error_new(INF_ERROR, INF_ERROR_SERVER, "mock: 503 server error (injected)");
  } else {
    char *text = make_reply(mock, request, hash, last);
    p.response = inf_llm_response_new();
    inf_llm_response_set_usage(p.response, approx_tokens(in_bytes), approx_tokens(strlen(text)));
    inf_llm_response_set_finish_reason(p.response, "stop");
    inf_llm_response_set_model(p.response, mock->model);
    inf_llm_response_set_content(p.response, text);
    g_free(text);
  }
  gboolean was_empty = pending_first(mock) == NULL;
  pending_push(mock, &p);
  if (was_empty || pending_first(mock)->seq == p.seq)
    mock_rearm(mock);
}

static gboolean
mock_init(InfClient *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  Mock *mock = g_new0(Mock, 1);
  mock->heap = g_array_sized_new(FALSE, FALSE, sizeof(Pending), 256);
  mock->rand = g_rand_new_with_seed((guint32)inf_options_get_int(options, "seed"));
  mock->latency_us = inf_options_get_int(options, "latency_ms") * 1000;
  mock->jitter_us = MIN(inf_options_get_int(options, "jitter_ms"), G_MAXINT32 / 1000) * 1000;
  mock->fifo = mock->jitter_us <= 0;
  mock->error_rate = inf_options_get_double(options, "error_rate");
  mock->rate_limit_rate = inf_options_get_double(options, "rate_limit_rate");
  mock->retry_after_ms = inf_options_get_int(options, "retry_after_ms");
  mock->reply = g_strdup(inf_options_get_string(options, "reply"));
  mock->fail_pattern = g_strdup(inf_options_get_string(options, "fail_pattern"));
  const char *log_path = inf_options_get_string(options, "request_log");
  if (log_path) {
    mock->request_log = fopen(log_path, "a");
    if (mock->request_log == NULL) {
      int saved = errno;
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                  "mock: cannot open request_log '%s': %s", log_path, g_strerror(saved));
      g_free(mock->fail_pattern);
      g_free(mock->reply);
      g_rand_free(mock->rand);
      g_array_unref(mock->heap);
      g_free(mock);
      return FALSE;
    }
  }
  mock->mode = g_strdup(inf_options_get_string(options, "mode"));
  const char *model = inf_client_get_model(self);
  mock->model = g_strdup(model ? model : "mock");
  mock->source = g_source_new(&mock_source_funcs, sizeof(MockSource));
  ((MockSource *)mock->source)->mock = mock;
  g_source_set_name(mock->source, "inf-mock-client");
  g_source_attach(mock->source, NULL);
  *out_private = mock;
  return TRUE;
}

static void
mock_finalize(gpointer data)
{
  Mock *mock = data;
  g_source_destroy(mock->source);
  g_source_unref(mock->source);
  for (guint i = mock->head; i < mock->heap->len; i++) {
    Pending *p = &g_array_index(mock->heap, Pending, i);
    inf_llm_response_free(p->response);
    if (p->error)
      g_error_free(p->error);
  }
  g_array_unref(mock->heap);
  g_rand_free(mock->rand);
  g_free(mock->reply);
  g_free(mock->fail_pattern);
  if (mock->request_log)
    fclose(mock->request_log);
  g_free(mock->mode);
  g_free(mock->model);
  g_free(mock);
}

static const char *const mock_modes[] = { "derive", "instruct", "edit", NULL };

static const InfOptionSpec mock_options[] = {
  { .name = "latency_ms",
    .type = INF_OPTION_INT,
    .default_json = "0",
    .description = "Delay before each reply, in ms",
    .max = 3600000 },
  { .name = "jitter_ms",
    .type = INF_OPTION_INT,
    .default_json = "0",
    .description = "Random ± spread added to latency_ms, in ms",
    .max = 3600000 },
  { .name = "error_rate",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0",
    .description = "Fraction of calls failing with a transient server error (retried)",
    .max = 1 },
  { .name = "rate_limit_rate",
    .type = INF_OPTION_DOUBLE,
    .default_json = "0",
    .description = "Fraction of calls answered with a 429 rate limit (requeued)",
    .max = 1 },
  { .name = "retry_after_ms",
    .type = INF_OPTION_INT,
    .default_json = "100",
    .description = "Retry-After hint sent with injected 429s, in ms (0: none)",
    .max = 3600000 },
  { .name = "seed",
    .type = INF_OPTION_INT,
    .default_json = "42",
    .description = "Seed of the random choices (jitter, injection)" },
  { .name = "reply",
    .type = INF_OPTION_STRING,
    .description =
        "A fixed reply instead of the derived one; {prompt} stands for the last message" },
  { .name = "fail_pattern",
    .type = INF_OPTION_STRING,
    .description = "Prompts containing this text fail with a non-retryable error" },
  { .name = "request_log",
    .type = INF_OPTION_STRING,
    .description = "A file to which every request is appended as a JSON line "
                   "{\"system\": ..., \"messages\": [...]} (for audits of what a backend sees)" },
  { .name = "mode",
    .type = INF_OPTION_ENUM,
    .default_json = "\"derive\"",
    .description =
        "\"derive\": the reply derived from the request; \"instruct\": a directive follower "
        "(Answer with one of: ...; If the text mentions 'w', answer x.; Answer in lowercase.); "
        "\"edit\": a prompt editor for optimizer aliases (merges feedback, adds keyword rules)",
    .choices = mock_modes },
  { .name = NULL },
};

static const InfClientClass mock_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "mock",
  .description = "In-process deterministic LLM for offline runs, tests and benchmarks",
  .options = mock_options,
  .init = mock_init,
  .finalize = mock_finalize,
  .call = mock_call,
};

static gboolean
mock_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &mock_class, error);
}

INF_PLUGIN_DEFINE("mock", INF_VERSION_STRING, "The built-in mock LLM backend", "MIT", mock_register)
