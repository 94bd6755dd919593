/* A JSON call to an alias with retries of malformed replies. */
#include "losses-llm.h"

#include <string.h>

#include "losses.h"

typedef struct {
  InfLossTask *task;
  const LossesLlm *llm;
  char *system;
  char *user;
  guint attempt;
  GPtrArray *history; /* alternating assistant replies and user corrections */
  LossesReplyCheck check;
  LossesReplyDone done;
  gpointer user_data;
  GDestroyNotify destroy;
} Call;

gboolean
losses_llm_init(LossesLlm *llm, const char *loss, const InfOptions *options,
                const char *reply_schema, GError **error)
{
  memset(llm, 0, sizeof *llm);
  llm->loss = loss;
  llm->alias = g_strdup(inf_options_get_string(options, "alias"));
  llm->criteria = g_strdup(inf_options_get_string(options, "criteria"));
  llm->temperature = inf_options_get_double(options, "temperature");
  llm->attempts = (guint)MAX(inf_options_get_int(options, "attempts"), 1);
  llm->max_chars = (gsize)inf_options_get_int(options, "max_chars");
  g_autoptr(json_object) schema = json_tokener_parse(reply_schema);
  g_autofree char *name = g_strdup_printf("%s reply", loss);
  llm->schema = inf_json_schema_new(schema, name, error);
  return llm->schema != NULL;
}

void
losses_llm_clear(LossesLlm *llm)
{
  g_free(llm->alias);
  g_free(llm->criteria);
  inf_json_schema_unref(llm->schema);
  memset(llm, 0, sizeof *llm);
}

/* Finishes the task with @feedback or @error (one of them), then lets go of
 * the call. */
static void
call_finish(Call *c, InfFeedback *feedback, GError *error)
{
  if (error != NULL)
    inf_loss_task_return_error(c->task, error);
  else
    inf_loss_task_return(c->task, feedback);
  if (c->destroy != NULL)
    c->destroy(c->user_data);
  g_free(c->system);
  g_free(c->user);
  g_ptr_array_unref(c->history);
  g_free(c);
}

void
losses_feedback_add_items(InfFeedback *fb, json_object *list)
{
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    g_autofree char *item = g_strdup(json_object_get_string(json_object_array_get_idx(list, i)));
    inf_feedback_add_item(fb, g_strstrip(item));
  }
}

char *
losses_cut(const char *text, gsize max)
{
  gsize len = text ? strlen(text) : 0;
  if (len <= max)
    return g_strdup(text ? text : "");
  /* back to a character boundary */
  const char *end = g_utf8_find_prev_char(text, text + max + 1);
  gsize keep = end ? (gsize)(end - text) : max;
  return g_strdup_printf("%.*s... [cut %zu bytes]", (int)keep, text, len - keep);
}

/* The reply's JSON: the text itself, or the inside of a ``` fence. */
static json_object *
parse_reply(const char *text, gboolean *ok)
{
  g_autofree char *copy = g_strstrip(g_strdup(text ? text : ""));
  char *start = copy;
  if (g_str_has_prefix(start, "```")) {
    char *nl = strchr(start, '\n');
    char *close = nl ? strstr(nl, "```") : NULL;
    if (nl && close) {
      *close = '\0';
      start = nl + 1;
    }
  }
  gsize len = strlen(start);
  json_tokener *tok = json_tokener_new();
  json_object *j = json_tokener_parse_ex(tok, start, (int)len);
  *ok = json_tokener_get_error(tok) == json_tokener_success;
  for (gsize i = *ok ? json_tokener_get_parse_end(tok) : len; i < len; i++)
    if (!g_ascii_isspace(start[i]))
      *ok = FALSE;
  json_tokener_free(tok);
  if (!*ok) {
    json_object_put(j);
    return NULL;
  }
  return j;
}

static void send_request(Call *c);

static void
on_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  Call *c = data;
  const LossesLlm *llm = c->llm;
  if (error != NULL) {
    call_finish(c, NULL,
                g_error_new(error->domain, error->code,
                            "%s: the call to alias '%s' "
                            "failed: %s",
                            llm->loss, llm->alias, error->message));
    return;
  }
  const char *text = inf_llm_response_get_content(response);
  gboolean ok = FALSE;
  g_autoptr(GError) problem = NULL;
  json_object *reply = parse_reply(text, &ok);
  if (!ok)
    g_set_error(&problem, INF_ERROR, INF_ERROR_BAD_RESPONSE, "the reply is not JSON");
  else
    ok = inf_json_schema_validate(llm->schema, reply, NULL, &problem) &&
         (c->check == NULL || c->check(reply, c->user_data, &problem));
  if (ok) {
    InfFeedback *feedback = c->done(reply, c->user_data);
    json_object_put(reply);
    call_finish(c, feedback, NULL);
    return;
  }
  json_object_put(reply);
  if (c->attempt < llm->attempts) {
    g_ptr_array_add(c->history, g_strdup(text ? text : ""));
    g_ptr_array_add(c->history,
                    g_strdup_printf("That reply could not be used: %s. Reply again with only "
                                    "the JSON asked for, nothing else.",
                                    problem->message));
    send_request(c);
    return;
  }
  g_autofree char *quoted = inf_text_quote(text, -1, 200, NULL);
  call_finish(c, NULL,
              g_error_new(INF_ERROR, INF_ERROR_BAD_RESPONSE,
                          "%s: no usable reply from alias '%s' after %u attempt%s: %s (last "
                          "reply: '%s')",
                          llm->loss, llm->alias, llm->attempts, llm->attempts == 1 ? "" : "s",
                          problem->message, quoted));
}

static void
send_request(Call *c)
{
  const LossesLlm *llm = c->llm;
  InfLlmRequest *request = inf_llm_request_new();
  inf_llm_request_set_system(request, c->system);
  inf_llm_request_add_message(request, "user", c->user);
  for (guint i = 0; i < c->history->len; i++)
    inf_llm_request_add_message(request, i % 2 == 0 ? "assistant" : "user",
                                g_ptr_array_index(c->history, i));
  inf_llm_request_set_temperature(request, llm->temperature);
  inf_llm_request_set_json_schema(request, llm->loss, inf_json_schema_get_json(llm->schema));
  c->attempt++;
  inf_loss_task_call_alias(c->task, llm->alias, request, on_reply, c);
}

void
losses_llm_call(InfLossTask *task, const LossesLlmCall *call)
{
  Call *c = g_new0(Call, 1);
  c->task = task;
  c->llm = call->llm;
  c->system = g_strdup(call->system);
  c->user = g_strdup(call->user);
  c->history = g_ptr_array_new_with_free_func(g_free);
  c->check = call->check;
  c->done = call->done;
  c->user_data = call->user_data;
  c->destroy = call->destroy;
  send_request(c);
}

/* A JSON value as prompt text: a string as it is, anything else as JSON. */
char *
losses_json_text(json_object *value)
{
  return g_strdup(json_object_is_type(value, json_type_string)
                      ? json_object_get_string(value)
                      : json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
}

char *
losses_describe_input(json_object *example, gsize max_chars)
{
  json_object *input = NULL;
  if (!json_object_is_type(example, json_type_object) ||
      !json_object_object_get_ex(example, "input", &input))
    return g_strdup("");
  g_autofree char *text = losses_json_text(input);
  g_autofree char *cut = losses_cut(text, max_chars);
  return g_strdup_printf("Input:\n%s\n\n", cut);
}

/* The parts of the prompt every LLM loss shows: input, output, reference. */
char *
losses_describe_example(InfValue *output, json_object *target, json_object *example,
                        gsize max_chars, const char *output_title)
{
  g_autofree char *input = losses_describe_input(example, max_chars);
  GString *s = g_string_new(input);
  g_autofree char *out = output ? inf_value_to_string(output) : g_strdup("");
  g_autofree char *out_cut = losses_cut(out, max_chars);
  g_string_append_printf(s, "%s:\n%s\n\n", output_title, out_cut);
  if (target != NULL) {
    g_autofree char *text = losses_json_text(target);
    g_autofree char *cut = losses_cut(text, max_chars);
    g_string_append_printf(s, "Expected (reference):\n%s\n\n", cut);
  }
  return g_string_free(s, FALSE);
}
