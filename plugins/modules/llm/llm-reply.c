/* Reading an LLM reply as JSON (see llm-reply.h). */
#include "llm-reply.h"

#include <string.h>

/* The text inside a Markdown code fence, or @text itself; trimmed, new. */
static char *
strip_fence(const char *text)
{
  g_autofree char *trimmed = g_strstrip(g_strdup(text));
  const char *body;
  const char *end;

  if (!g_str_has_prefix(trimmed, "```"))
    return g_steal_pointer(&trimmed);
  /* Skip the opening fence and its info string ("json"). */
  body = strchr(trimmed, '\n');
  if (body == NULL)
    return g_strdup("");
  body++;
  end = body + strlen(body);
  if (end - body >= 3 && strcmp(end - 3, "```") == 0)
    end -= 3;
  return g_strstrip(g_strndup(body, end - body));
}

static char *
reply_start(const char *content)
{
  g_autofree char *start = NULL;
  g_autofree char *escaped = NULL;

  if (!g_utf8_validate(content, -1, NULL))
    return g_strdup("(not UTF-8)");
  start = g_utf8_substring(content, 0, MIN(g_utf8_strlen(content, -1), 80));
  escaped = g_strescape(start, NULL);
  return g_strdup_printf("\"%s\"%s", escaped, strlen(start) < strlen(content) ? "..." : "");
}

InfValue *
llm_reply_parse_json(const char *content, const char *node_id, const char *alias, GError **error)
{
  g_autofree char *text = NULL;
  json_tokener *tok;
  json_object *json;
  enum json_tokener_error jerr;
  const char *problem = NULL;
  g_autofree char *unportable = NULL;
  size_t end;

  if (content == NULL)
    content = "";
  text = strip_fence(content);
  if (*text == '\0') {
    problem = "the reply is empty";
  } else {
    tok = json_tokener_new();
    json = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
      problem = json_tokener_error_desc(jerr);
    } else {
      for (const char *p = text + MIN(end, strlen(text)); *p; p++) {
        if (!g_ascii_isspace(*p)) {
          problem = "unexpected text after the JSON value";
          break;
        }
      }
      if (problem == NULL) {
        /* NaN, Infinity, 1e400, integers beyond 64 bits, invalid UTF-8 or
         * NUL characters would come out as non-JSON or changed. */
        unportable = inf_json_describe_unportable(json);
        problem = unportable;
      }
      if (problem == NULL)
        return json != NULL ? inf_value_new_json(json) : inf_value_new_null();
      json_object_put(json);
    }
  }
  {
    g_autofree char *start = reply_start(content);

    g_set_error(error, INF_ERROR, INF_ERROR_BAD_RESPONSE,
                "node '%s': the reply from alias '%s' is not valid JSON (response_format is "
                "\"json\"): %s; the reply begins %s",
                node_id != NULL ? node_id : "?", alias != NULL ? alias : "?", problem, start);
  }
  return NULL;
}

/* " (42 of them reasoning)" when the model reasoned, else "". */
static char *
reasoning_note(const InfLlmResponse *response)
{
  gint64 reasoning = inf_llm_response_get_reasoning_tokens(response);
  const char *text = inf_llm_response_get_reasoning(response);

  if (reasoning > 0)
    return g_strdup_printf(", %" G_GINT64_FORMAT " of them reasoning", reasoning);
  if (text != NULL && *text != '\0')
    return g_strdup(", reasoning text only");
  return g_strdup("");
}

GError *
llm_reply_check_finish(const InfLlmResponse *response, const char *node_id, const char *alias,
                       gint64 max_tokens)
{
  const char *reason = inf_llm_response_get_finish_reason(response);
  const char *content = inf_llm_response_get_content(response);
  gboolean empty = content == NULL || *content == '\0';
  gboolean reasoned = inf_llm_response_get_reasoning_tokens(response) > 0 ||
                      (inf_llm_response_get_reasoning(response) != NULL &&
                       *inf_llm_response_get_reasoning(response) != '\0');
  gint64 out = inf_llm_response_get_output_tokens(response);
  g_autofree char *note = reasoning_note(response);
  g_autofree char *what = NULL;

  if (node_id == NULL)
    node_id = "?";
  if (alias == NULL)
    alias = "?";
  if (reason == NULL)
    reason = INF_FINISH_STOP;
  if (g_str_equal(reason, INF_FINISH_STOP)) {
    if (!empty || !reasoned)
      return NULL;
    what = g_strdup_printf("the reply has no content: the model spent its %" G_GINT64_FORMAT
                           " output tokens reasoning%s",
                           out, note);
  } else if (g_str_equal(reason, INF_FINISH_LENGTH)) {
    g_autofree char *limit =
        max_tokens > 0
            ? g_strdup_printf("%" G_GINT64_FORMAT, max_tokens)
            : g_strdup_printf("the provider's default, %" G_GINT64_FORMAT " tokens out", out);
    what = g_strdup_printf("reply cut off at max_tokens (%s)%s%s", limit,
                           empty && reasoned ? ": no content, the model spent them reasoning" : "",
                           empty && reasoned ? note : "");
  } else if (g_str_equal(reason, INF_FINISH_REFUSAL)) {
    const char *refusal = inf_llm_response_get_refusal(response);
    if (refusal == NULL || *refusal == '\0')
      refusal = empty ? "(no message)" : content;
    g_autofree char *quoted = inf_text_quote(refusal, -1, 300, NULL);
    what = g_strdup_printf("refused: %s", quoted);
  } else if (g_str_equal(reason, INF_FINISH_CONTENT_FILTER)) {
    what = g_strdup("content filtered");
  } else if (g_str_equal(reason, INF_FINISH_TOOL_CALLS)) {
    what = g_strdup("the model asked to call tools, which the llm module does not run");
  } else if (g_str_equal(reason, INF_FINISH_PAUSE)) {
    what = g_strdup("the model paused its turn before finishing");
  } else {
    what = g_strdup("the reply did not end normally");
  }
  return g_error_new(INF_ERROR, INF_ERROR_BAD_RESPONSE,
                     "node '%s': %s (alias '%s', finish reason \"%s\"; set on_incomplete "
                     "\"accept\" to keep such replies)",
                     node_id, what, alias, reason);
}

InfValue *
llm_reply_details(const InfLlmResponse *response, InfValue *content)
{
  json_object *obj = json_object_new_object();
  json_object *usage = json_object_new_object();
  const char *reason = inf_llm_response_get_finish_reason(response);
  const char *refusal = inf_llm_response_get_refusal(response);
  const char *reasoning = inf_llm_response_get_reasoning(response);

  json_object_object_add(obj, "content", inf_value_to_json(content));
  inf_value_unref(content);
  json_object_object_add(obj, "finish_reason",
                         json_object_new_string(reason != NULL ? reason : INF_FINISH_STOP));
  json_object_object_add(obj, "refusal", refusal != NULL ? json_object_new_string(refusal) : NULL);
  json_object_object_add(obj, "reasoning",
                         reasoning != NULL ? json_object_new_string(reasoning) : NULL);
  json_object_object_add(usage, "input",
                         json_object_new_int64(inf_llm_response_get_input_tokens(response)));
  json_object_object_add(usage, "output",
                         json_object_new_int64(inf_llm_response_get_output_tokens(response)));
  json_object_object_add(usage, "reasoning",
                         json_object_new_int64(inf_llm_response_get_reasoning_tokens(response)));
  json_object_object_add(obj, "usage", usage);
  return inf_value_new_json(obj);
}
