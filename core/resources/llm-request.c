/* InfLlmRequest: what a module asks of an LLM (system prompt, messages,
 * sampling, JSON mode or schema); the reply is InfLlmResponse
 * (llm-response.c). */
#include <string.h>
#include <inf/inf.h>

#include "resources/llm-request-private.h"

typedef struct {
  char *role;
  char *content;
} Message;

struct _InfLlmRequest {
  gint ref_count;
  char *system;
  GArray *messages; /* Message */
  double temperature;
  gint64 max_tokens;
  gboolean json_mode;
  json_object *json_schema; /* owned reference, or NULL */
  char *json_schema_name;
  /* Every field above that the provider sees must also be written by
   * inf_llm_request_to_json(): it is the response cache's key. */
  gboolean not_cacheable; /* the engine's, never sent */
};

static void
message_clear(gpointer data)
{
  Message *m = data;
  g_free(m->role);
  g_free(m->content);
}

InfLlmRequest *
inf_llm_request_new(void)
{
  InfLlmRequest *request = g_new0(InfLlmRequest, 1);
  request->ref_count = 1;
  request->temperature = -1;
  request->messages = g_array_sized_new(FALSE, FALSE, sizeof(Message), 1);
  g_array_set_clear_func(request->messages, message_clear);
  return request;
}

InfLlmRequest *
inf_llm_request_ref(InfLlmRequest *request)
{
  request->ref_count++;
  return request;
}

void
inf_llm_request_unref(InfLlmRequest *request)
{
  if (!request || --request->ref_count > 0)
    return;
  g_free(request->system);
  g_array_unref(request->messages);
  json_object_put(request->json_schema);
  g_free(request->json_schema_name);
  g_free(request);
}

void
inf_llm_request_set_system(InfLlmRequest *request, const char *system)
{
  g_free(request->system);
  request->system = (system && *system) ? g_strdup(system) : NULL;
}

void
inf_llm_request_add_message(InfLlmRequest *request, const char *role, const char *content)
{
  Message m = { g_strdup(role ? role : "user"), g_strdup(content ? content : "") };
  g_array_append_val(request->messages, m);
}

void
inf_llm_request_set_temperature(InfLlmRequest *request, double temperature)
{
  request->temperature = temperature;
}

void
inf_llm_request_set_max_tokens(InfLlmRequest *request, gint64 max_tokens)
{
  request->max_tokens = MAX(max_tokens, 0);
}

void
inf_llm_request_set_json_mode(InfLlmRequest *request, gboolean json_mode)
{
  request->json_mode = json_mode;
}

void
inf_llm_request_set_json_schema(InfLlmRequest *request, const char *name, json_object *schema)
{
  g_return_if_fail(request != NULL);
  json_object_put(request->json_schema);
  g_clear_pointer(&request->json_schema_name, g_free);
  request->json_schema = NULL;
  if (schema == NULL)
    return;
  request->json_schema = json_object_get(schema);
  request->json_mode = TRUE;
  if (name == NULL || *name == '\0')
    name = "reply";
  GString *clean = g_string_new(NULL);
  for (const char *p = name; *p != '\0' && clean->len < 64; p++)
    g_string_append_c(clean, g_ascii_isalnum(*p) || *p == '_' || *p == '-' ? *p : '_');
  request->json_schema_name = g_string_free(clean, FALSE);
}

json_object *
inf_llm_request_get_json_schema(const InfLlmRequest *request)
{
  return request->json_schema;
}

const char *
inf_llm_request_get_json_schema_name(const InfLlmRequest *request)
{
  return request->json_schema_name;
}

const char *
inf_llm_request_get_system(const InfLlmRequest *request)
{
  return request->system;
}

guint
inf_llm_request_get_n_messages(const InfLlmRequest *request)
{
  return request->messages->len;
}

const char *
inf_llm_request_get_role(const InfLlmRequest *request, guint index)
{
  g_return_val_if_fail(index < request->messages->len, NULL);
  return g_array_index(request->messages, Message, index).role;
}

const char *
inf_llm_request_get_content(const InfLlmRequest *request, guint index)
{
  g_return_val_if_fail(index < request->messages->len, NULL);
  return g_array_index(request->messages, Message, index).content;
}

double
inf_llm_request_get_temperature(const InfLlmRequest *request)
{
  return request->temperature;
}

gint64
inf_llm_request_get_max_tokens(const InfLlmRequest *request)
{
  return request->max_tokens;
}

gboolean
inf_llm_request_get_json_mode(const InfLlmRequest *request)
{
  return request->json_mode;
}

void
inf_llm_request_set_cacheable(InfLlmRequest *request, gboolean cacheable)
{
  g_return_if_fail(request != NULL);
  request->not_cacheable = !cacheable;
}

gboolean
inf_llm_request_get_cacheable(const InfLlmRequest *request)
{
  return !request->not_cacheable;
}

static json_object *
new_message(const char *role, const char *content)
{
  json_object *message = json_object_new_object();
  json_object_object_add(message, "role", json_object_new_string(role != NULL ? role : ""));
  json_object_object_add(message, "content",
                         json_object_new_string(content != NULL ? content : ""));
  return message;
}

json_object *
inf_llm_request_build_messages(const InfLlmRequest *request, const char *system_role)
{
  g_return_val_if_fail(request != NULL, NULL);
  gboolean with_system = system_role != NULL && request->system != NULL && *request->system != '\0';
  json_object *messages = json_object_new_array_ext((int)request->messages->len + 1);
  if (with_system)
    json_object_array_add(messages, new_message(system_role, request->system));
  for (guint i = 0; i < request->messages->len; i++) {
    const Message *m = &g_array_index(request->messages, Message, i);
    json_object_array_add(messages, new_message(m->role, m->content));
  }
  return messages;
}

json_object *
inf_llm_request_to_json(const InfLlmRequest *request)
{
  /* Keys in byte order (the cache key sorts nested objects such as the
   * schema). */
  json_object *json = json_object_new_object();
  json_object_object_add(json, "json_mode", json_object_new_boolean(request->json_mode));
  json_object_object_add(json, "json_schema",
                         request->json_schema ? json_object_get(request->json_schema) : NULL);
  json_object_object_add(
      json, "json_schema_name",
      request->json_schema_name ? json_object_new_string(request->json_schema_name) : NULL);
  json_object_object_add(json, "max_tokens",
                         request->max_tokens > 0 ? json_object_new_int64(request->max_tokens)
                                                 : NULL);
  json_object *messages = json_object_new_array_ext((int)request->messages->len);
  for (guint i = 0; i < request->messages->len; i++) {
    const Message *m = &g_array_index(request->messages, Message, i);
    json_object *message = json_object_new_object();
    json_object_object_add(message, "content", json_object_new_string(m->content));
    json_object_object_add(message, "role", json_object_new_string(m->role));
    json_object_array_add(messages, message);
  }
  json_object_object_add(json, "messages", messages);
  json_object_object_add(json, "system",
                         request->system ? json_object_new_string(request->system) : NULL);
  json_object_object_add(json, "temperature",
                         request->temperature >= 0 ? json_object_new_double(request->temperature)
                                                   : NULL);
  return json;
}
