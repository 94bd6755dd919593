/* The `template` module's renderer (see template-render.h). */
#include "template-render.h"

#include <string.h>

typedef enum {
  SEGMENT_LITERAL,
  SEGMENT_NAMED,
  SEGMENT_POSITIONAL,
} SegmentKind;

typedef struct {
  SegmentKind kind;
  char *text;  /* the literal, or the placeholder as written ("user.name") */
  char *name;  /* SEGMENT_NAMED: the argument name */
  guint index; /* SEGMENT_POSITIONAL: the argument index */
  char **path; /* fields after the first part, NULL-terminated (may be empty) */
} Segment;

struct _TemplateProgram {
  GArray *segments;        /* Segment */
  GPtrArray *placeholders; /* borrowed Segment.text of the placeholders */
  gsize literal_length;
};

static void
segment_clear(gpointer data)
{
  Segment *segment = data;

  g_free(segment->text);
  g_free(segment->name);
  g_strfreev(segment->path);
}

void
template_program_free(TemplateProgram *program)
{
  if (program == NULL)
    return;
  g_ptr_array_unref(program->placeholders);
  g_array_unref(program->segments);
  g_free(program);
}

static gboolean
placeholder_char(char c)
{
  return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
}

static gboolean
all_digits(const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++) {
    if (!g_ascii_isdigit(*s))
      return FALSE;
  }
  return TRUE;
}

static void
add_literal(TemplateProgram *program, GString *literal)
{
  Segment segment = { 0 };

  if (literal->len == 0)
    return;
  segment.kind = SEGMENT_LITERAL;
  segment.text = g_strndup(literal->str, literal->len);
  program->literal_length += literal->len;
  g_array_append_val(program->segments, segment);
  g_string_truncate(literal, 0);
}

/* Parses the inside of one placeholder. */
static gboolean
add_placeholder(TemplateProgram *program, const char *inner, gsize offset, GError **error)
{
  g_auto(GStrv) parts = NULL;
  Segment segment = { 0 };
  guint n_parts;

  for (const char *p = inner; *p; p++) {
    if (!placeholder_char(*p)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "invalid placeholder '{%s}' at offset %" G_GSIZE_FORMAT
                  ": use {name}, {name.field} or {0}, and write {{ and }} for literal braces",
                  inner, offset);
      return FALSE;
    }
  }
  parts = g_strsplit(inner, ".", -1);
  n_parts = g_strv_length(parts);
  for (guint i = 0; i < MAX(n_parts, 1); i++) {
    if (n_parts == 0 || parts[i][0] == '\0') {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "invalid placeholder '{%s}' at offset %" G_GSIZE_FORMAT
                  ": empty name; use {name}, {name.field} or {0}, and write {{ and }} for "
                  "literal braces",
                  inner, offset);
      return FALSE;
    }
  }

  segment.text = g_strdup(inner);
  if (all_digits(parts[0])) {
    guint64 index;

    if (!g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXUINT16, &index, NULL)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "invalid placeholder '{%s}' at offset %" G_GSIZE_FORMAT
                  ": the argument index is too large",
                  inner, offset);
      g_free(segment.text);
      return FALSE;
    }
    segment.kind = SEGMENT_POSITIONAL;
    segment.index = (guint)index;
  } else {
    segment.kind = SEGMENT_NAMED;
    segment.name = g_strdup(parts[0]);
  }
  segment.path = g_new0(char *, n_parts);
  for (guint i = 1; i < n_parts; i++)
    segment.path[i - 1] = g_strdup(parts[i]);
  g_array_append_val(program->segments, segment);
  g_ptr_array_add(program->placeholders,
                  g_array_index(program->segments, Segment, program->segments->len - 1).text);
  return TRUE;
}

TemplateProgram *
template_program_parse(const char *text, GError **error)
{
  g_autoptr(TemplateProgram) program = g_new0(TemplateProgram, 1);
  g_autoptr(GString) literal = g_string_new(NULL);
  const char *p = text;

  g_return_val_if_fail(text != NULL, NULL);
  program->segments = g_array_new(FALSE, TRUE, sizeof(Segment));
  g_array_set_clear_func(program->segments, segment_clear);
  program->placeholders = g_ptr_array_new();

  while (*p) {
    if (p[0] == '{' && p[1] == '{') {
      g_string_append_c(literal, '{');
      p += 2;
    } else if (p[0] == '}' && p[1] == '}') {
      g_string_append_c(literal, '}');
      p += 2;
    } else if (p[0] == '}') {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "single '}' at offset %" G_GSIZE_FORMAT
                  " has no opening '{'; write }} for a literal brace",
                  (gsize)(p - text));
      return NULL;
    } else if (p[0] == '{') {
      const char *close = strchr(p + 1, '}');
      g_autofree char *inner = NULL;

      if (close == NULL) {
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "unclosed '{' at offset %" G_GSIZE_FORMAT
                    "; close the placeholder with '}', or write {{ for a literal brace",
                    (gsize)(p - text));
        return NULL;
      }
      inner = g_strndup(p + 1, close - p - 1);
      add_literal(program, literal);
      if (!add_placeholder(program, inner, p - text, error))
        return NULL;
      p = close + 1;
    } else {
      g_string_append_c(literal, *p);
      p++;
    }
  }
  add_literal(program, literal);
  return g_steal_pointer(&program);
}

guint
template_program_get_n_placeholders(const TemplateProgram *program)
{
  return program->placeholders->len;
}

const char *
template_program_get_placeholder(const TemplateProgram *program, guint index)
{
  g_return_val_if_fail(index < program->placeholders->len, NULL);
  return program->placeholders->pdata[index];
}

/* "a, b, c" of the named arguments, and how many positional ones exist. */
static char *
describe_args(const TemplateArgs *args)
{
  g_autoptr(GString) text = g_string_new(NULL);
  guint named = 0;

  for (guint i = 0; i < args->n_args; i++) {
    const char *name = args->get_arg_name(args->data, i);

    if (name == NULL)
      continue;
    g_string_append_printf(text, "%s%s", named == 0 ? "" : ", ", name);
    named++;
  }
  if (args->n_args == 0)
    return g_strdup("the node has no arguments");
  if (named == 0)
    g_string_append(text, "no named arguments");
  g_string_prepend(text, "available: ");
  if (args->n_args == 1)
    g_string_append(text, "; positional: {0}");
  else
    g_string_append_printf(text, "; positional: {0} to {%u}", args->n_args - 1);
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* The keys of @value when it is an object-like value, for messages. */
static char *
describe_fields(InfValue *value)
{
  g_autoptr(GString) text = g_string_new(NULL);
  json_object *json;

  switch (inf_value_get_kind(value)) {
  case INF_VALUE_DICT:
    for (guint i = 0; i < inf_value_dict_size(value); i++)
      g_string_append_printf(text, "%s%s", i == 0 ? "" : ", ", inf_value_dict_key(value, i));
    break;
  case INF_VALUE_JSON:
    json = inf_value_get_json(value);
    if (json_object_is_type(json, json_type_object)) {
      json_object_object_foreach(json, key, member)
      {
        (void)member;
        g_string_append_printf(text, "%s%s", text->len == 0 ? "" : ", ", key);
      }
    }
    break;
  default:
    return g_strdup_printf("it is a %s value", inf_value_kind_name(inf_value_get_kind(value)));
  }
  if (text->len == 0)
    return g_strdup("it has no fields");
  g_string_prepend(text, "its fields: ");
  return g_string_free(g_steal_pointer(&text), FALSE);
}

gboolean
template_program_check(const TemplateProgram *program, const TemplateArgs *args, GError **error)
{
  g_return_val_if_fail(program != NULL && args != NULL, FALSE);
  for (guint s = 0; s < program->segments->len; s++) {
    const Segment *segment = &g_array_index(program->segments, Segment, s);
    gboolean found = FALSE;

    if (segment->kind == SEGMENT_LITERAL)
      continue;
    if (segment->kind == SEGMENT_POSITIONAL) {
      found = segment->index < args->n_args;
    } else {
      for (guint i = 0; i < args->n_args && !found; i++) {
        const char *name = args->get_arg_name(args->data, i);

        found = name != NULL && strcmp(name, segment->name) == 0;
      }
    }
    if (!found) {
      g_autofree char *available = describe_args(args);

      if (segment->kind == SEGMENT_POSITIONAL)
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "template placeholder {%s} has no argument %u (%s)", segment->text,
                    segment->index, available);
      else
        g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                    "template placeholder {%s} has no argument named '%s' (%s)", segment->text,
                    segment->name, available);
      return FALSE;
    }
  }
  return TRUE;
}

char *
template_program_render(const TemplateProgram *program, const TemplateArgs *args,
                        const char *node_id, GError **error)
{
  g_autoptr(GString) out = NULL;
  const char *node = node_id != NULL ? node_id : "?";

  g_return_val_if_fail(program != NULL && args != NULL, NULL);
  out = g_string_sized_new(program->literal_length + 32 * program->placeholders->len + 1);

  for (guint s = 0; s < program->segments->len; s++) {
    const Segment *segment = &g_array_index(program->segments, Segment, s);
    g_autoptr(InfValue) value = NULL;
    g_autofree char *text = NULL;
    InfValue *arg = NULL;

    if (segment->kind == SEGMENT_LITERAL) {
      g_string_append(out, segment->text);
      continue;
    }
    if (segment->kind == SEGMENT_POSITIONAL) {
      if (segment->index < args->n_args)
        arg = args->get_arg(args->data, segment->index);
    } else {
      for (guint i = 0; i < args->n_args && arg == NULL; i++) {
        const char *name = args->get_arg_name(args->data, i);

        if (name != NULL && strcmp(name, segment->name) == 0)
          arg = args->get_arg(args->data, i);
      }
    }
    if (arg == NULL) {
      g_autofree char *available = describe_args(args);

      if (segment->kind == SEGMENT_POSITIONAL)
        g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                    "node '%s': template placeholder {%s} has no argument %u (%s)", node,
                    segment->text, segment->index, available);
      else
        g_set_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT,
                    "node '%s': template placeholder {%s} has no argument named '%s' (%s)", node,
                    segment->text, segment->name, available);
      return NULL;
    }

    value = inf_value_ref(arg);
    for (char **field = segment->path; *field != NULL; field++) {
      InfValue *next = inf_value_get(value, *field);

      if (next == NULL) {
        /* The part of the placeholder that did resolve, for the message. */
        gsize resolved = (gsize)(field - segment->path) + 1;
        g_autofree char *fields = describe_fields(value);
        g_auto(GStrv) parts = g_strsplit(segment->text, ".", -1);
        g_autofree char *head = NULL;
        char *saved = parts[resolved];

        parts[resolved] = NULL;
        head = g_strjoinv(".", parts);
        parts[resolved] = saved;
        /* The value lacks what the placeholder looks for: the input's
         * fault, not the node's arguments (see inf/error.h). */
        g_set_error(error, INF_ERROR, INF_ERROR_INPUT,
                    "node '%s': template placeholder {%s}: '%s' has no field '%s' (%s)", node,
                    segment->text, head, *field, fields);
        return NULL;
      }
      inf_value_unref(value);
      value = next;
    }
    if (inf_value_get_kind(value) == INF_VALUE_TEXT) {
      g_string_append_len(out, inf_value_get_text(value), inf_value_get_text_length(value));
      continue;
    }
    text = inf_value_to_string(value);
    g_string_append(out, text);
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}
