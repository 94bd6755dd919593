/* InfLlmResponse: what a client answers (content, refusal, reasoning,
 * usage, finish reason, model); the request is InfLlmRequest
 * (llm-request.c). */
#include <string.h>
#include <inf/inf.h>

struct _InfLlmResponse {
  char *content;
  char *finish_reason;
  char *model;
  gint64 input_tokens;
  gint64 output_tokens;
  GString *appended; /* content built by append_content, or NULL */
  char *refusal;
  GString *reasoning;
  gint64 reasoning_tokens;
};

InfLlmResponse *
inf_llm_response_new(void)
{
  return g_new0(InfLlmResponse, 1);
}

void
inf_llm_response_free(InfLlmResponse *response)
{
  if (!response)
    return;
  g_free(response->content);
  g_free(response->finish_reason);
  g_free(response->model);
  if (response->appended)
    g_string_free(response->appended, TRUE);
  g_free(response->refusal);
  if (response->reasoning)
    g_string_free(response->reasoning, TRUE);
  g_free(response);
}

void
inf_llm_response_set_content(InfLlmResponse *response, const char *content)
{
  g_free(response->content);
  response->content = g_strdup(content);
  if (response->appended)
    g_string_truncate(response->appended, 0);
}

void
inf_llm_response_append_content(InfLlmResponse *response, const char *text, gssize length)
{
  g_return_if_fail(response != NULL);
  if (text == NULL)
    return;
  if (!response->appended) {
    response->appended = g_string_new(response->content);
    g_clear_pointer(&response->content, g_free);
  } else if (response->content) {
    /* set_content after appends: start from that text. */
    g_string_assign(response->appended, response->content);
    g_clear_pointer(&response->content, g_free);
  }
  if (length < 0 || memchr(text, '\0', (gsize)length) == NULL) {
    g_string_append_len(response->appended, text, length);
    return;
  }
  /* A NUL inside (a JSON "\u0000"): C strings would end there. */
  for (gssize i = 0; i < length; i++) {
    if (text[i] == '\0')
      g_string_append(response->appended, "\xef\xbf\xbd");
    else
      g_string_append_c(response->appended, text[i]);
  }
}

void
inf_llm_response_set_refusal(InfLlmResponse *response, const char *refusal)
{
  g_return_if_fail(response != NULL);
  g_free(response->refusal);
  response->refusal = g_strdup(refusal);
}

const char *
inf_llm_response_get_refusal(const InfLlmResponse *response)
{
  return response->refusal;
}

void
inf_llm_response_append_reasoning(InfLlmResponse *response, const char *text, gssize length)
{
  g_return_if_fail(response != NULL);
  if (text == NULL)
    return;
  if (!response->reasoning)
    response->reasoning = g_string_new(NULL);
  g_string_append_len(response->reasoning, text, length);
}

const char *
inf_llm_response_get_reasoning(const InfLlmResponse *response)
{
  return response->reasoning ? response->reasoning->str : NULL;
}

void
inf_llm_response_set_reasoning_tokens(InfLlmResponse *response, gint64 tokens)
{
  g_return_if_fail(response != NULL);
  response->reasoning_tokens = MAX(tokens, 0);
}

gint64
inf_llm_response_get_reasoning_tokens(const InfLlmResponse *response)
{
  return response->reasoning_tokens;
}

void
inf_llm_response_set_usage(InfLlmResponse *response, gint64 input_tokens, gint64 output_tokens)
{
  response->input_tokens = MAX(input_tokens, 0);
  response->output_tokens = MAX(output_tokens, 0);
}

void
inf_llm_response_set_finish_reason(InfLlmResponse *response, const char *reason)
{
  g_free(response->finish_reason);
  response->finish_reason = g_strdup(reason);
}

void
inf_llm_response_set_model(InfLlmResponse *response, const char *model)
{
  g_free(response->model);
  response->model = g_strdup(model);
}

const char *
inf_llm_response_get_content(const InfLlmResponse *response)
{
  if (response->content)
    return response->content;
  return response->appended ? response->appended->str : "";
}

gint64
inf_llm_response_get_input_tokens(const InfLlmResponse *response)
{
  return response->input_tokens;
}

gint64
inf_llm_response_get_output_tokens(const InfLlmResponse *response)
{
  return response->output_tokens;
}

const char *
inf_llm_response_get_finish_reason(const InfLlmResponse *response)
{
  return response->finish_reason;
}

const char *
inf_llm_response_get_model(const InfLlmResponse *response)
{
  return response->model;
}
