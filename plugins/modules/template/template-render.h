/* The `template` module's renderer: a template is parsed once (when the
 * module is created) into literal and placeholder segments and rendered per
 * node execution.
 *
 * Syntax: {name} and {name.field.sub} substitute a named argument (or a
 * field of it), {0}, {1} ... the positional ones (also {0.field}); {{ and }}
 * are literal braces. Values other than text are rendered as compact JSON. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

typedef struct _TemplateProgram TemplateProgram;

/* The arguments of one execution, read through accessors so that rendering
 * needs no copies. */
typedef struct {
  guint n_args;
  InfValue *(*get_arg)(gpointer data, guint index);        /* borrowed */
  const char *(*get_arg_name)(gpointer data, guint index); /* may return NULL */
  gpointer data;
} TemplateArgs;

/* Parses @text. Errors (INF_ERROR_CONFIG) give the offset and say how to
 * write literal braces. */
TemplateProgram *template_program_parse(const char *text, GError **error);
void template_program_free(TemplateProgram *program);
/* The placeholders in order, as written ("user.name", "0"); borrowed. */
guint template_program_get_n_placeholders(const TemplateProgram *program);
const char *template_program_get_placeholder(const TemplateProgram *program, guint index);

/* Checks, before running, that every placeholder of @program has an
 * argument: {name} one named @name, {N} at least N+1 arguments. @args needs
 * only n_args and get_arg_name (no values yet). Fails (INF_ERROR_CONFIG) with
 * the first placeholder that has none, naming the available arguments. */
gboolean template_program_check(const TemplateProgram *program, const TemplateArgs *args,
                                GError **error);

/* Renders @program with @args. A placeholder without a matching argument
 * fails (INF_ERROR_INVALID_ARGUMENT), one whose argument lacks the field fails
 * (INF_ERROR_INPUT), naming the placeholder, @node_id and the available
 * arguments or fields. Returns a newly allocated string. */
char *template_program_render(const TemplateProgram *program, const TemplateArgs *args,
                              const char *node_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TemplateProgram, template_program_free)

G_END_DECLS
