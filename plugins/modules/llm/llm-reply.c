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
llm_reply_parse_json(const char *content, const char *node_id, const char *alias,
                     GError **error)
{
  g_autofree char *text = NULL;
  json_tokener *tok;
  json_object *json;
  enum json_tokener_error jerr;
  const char *problem = NULL;
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
