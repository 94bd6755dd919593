/* InfBackward: the context a module class's backward gets. */
#include "optim/backward-context.h"

#include <math.h>

#include "model/module-private.h"
#include "optim/alias-call.h"

typedef struct {
  InfParameter *param;
  char *text;
} ParamNote;

struct _InfBackward {
  InfModule *module;
  char *node_id;
  guint64 input_index;
  guint n_args;
  InfValue *const *args;
  const char *const *arg_names;
  InfValue *output;
  const InfFeedback *feedback;
  double example_score;
  InfBackwardOptions options;
  InfFeedback **arg_feedback; /* n_args entries */
  GArray *notes;              /* ParamNote, written on success */
  guint pending;              /* alias calls outstanding */
  gboolean running;
  gboolean finished;
  gboolean free_requested; /* freed while calls were outstanding */
  InfBackwardDoneFunc done;
  gpointer done_data;
};

static void
note_clear(gpointer data)
{
  ParamNote *n = data;
  inf_parameter_unref(n->param);
  g_free(n->text);
}

InfBackward *
inf_backward_new(InfModule *module, const char *node_id, guint64 input_index, guint n_args,
                 InfValue *const *args, const char *const *arg_names, InfValue *output,
                 const InfFeedback *feedback, double example_score,
                 const InfBackwardOptions *options)
{
  g_return_val_if_fail(module != NULL && feedback != NULL, NULL);
  InfBackward *ctx = g_new0(InfBackward, 1);
  ctx->module = module;
  ctx->node_id = g_strdup(node_id ? node_id : "");
  ctx->input_index = input_index;
  ctx->n_args = n_args;
  ctx->args = args;
  ctx->arg_names = arg_names;
  ctx->output = output;
  ctx->feedback = feedback;
  ctx->example_score = example_score;
  if (options)
    ctx->options = *options;
  else
    ctx->options.pass_score = 1.0;
  ctx->arg_feedback = g_new0(InfFeedback *, MAX(n_args, 1));
  ctx->notes = g_array_new(FALSE, TRUE, sizeof(ParamNote));
  g_array_set_clear_func(ctx->notes, note_clear);
  return ctx;
}

static void
backward_destroy(InfBackward *ctx)
{
  for (guint i = 0; i < ctx->n_args; i++)
    inf_feedback_free(ctx->arg_feedback[i]);
  g_free(ctx->arg_feedback);
  g_array_unref(ctx->notes);
  g_free(ctx->node_id);
  g_free(ctx);
}

void
inf_backward_free(InfBackward *ctx)
{
  if (!ctx)
    return;
  if (ctx->pending > 0) {
    ctx->free_requested = TRUE;
    return;
  }
  backward_destroy(ctx);
}

static void
finish(InfBackward *ctx, GError *error)
{
  if (!ctx->running || ctx->finished) {
    g_critical("backward of node '%s' finished twice", ctx->node_id);
    g_clear_error(&error);
    return;
  }
  ctx->finished = TRUE;
  if (!error) {
    for (guint i = 0; i < ctx->notes->len; i++) {
      ParamNote *n = &g_array_index(ctx->notes, ParamNote, i);
      inf_parameter_accumulate_feedback(n->param, n->text);
    }
  } else {
    for (guint i = 0; i < ctx->n_args; i++)
      g_clear_pointer(&ctx->arg_feedback[i], inf_feedback_free);
  }
  g_array_set_size(ctx->notes, 0);
  ctx->done(ctx, error, ctx->done_data);
  g_clear_error(&error);
}

void
inf_backward_run(InfBackward *ctx, InfBackwardDoneFunc done, gpointer user_data)
{
  g_return_if_fail(ctx != NULL && done != NULL && !ctx->running);
  ctx->done = done;
  ctx->done_data = user_data;
  ctx->running = TRUE;
  const InfModuleClass *klass = inf_module_get_class(ctx->module);
  void (*backward)(InfModule *, InfBackward *) = INF_CLASS_GET(klass, InfModuleClass, backward);
  if (backward) {
    backward(ctx->module, ctx);
    return;
  }
  for (guint i = 0; i < ctx->n_args; i++)
    ctx->arg_feedback[i] = inf_feedback_copy(ctx->feedback);
  finish(ctx, NULL);
}

const InfFeedback *
inf_backward_get_arg_feedback(const InfBackward *ctx, guint index)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return index < ctx->n_args ? ctx->arg_feedback[index] : NULL;
}

/* --- the SDK side --- */

InfModule *
inf_backward_get_module(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return ctx->module;
}

const char *
inf_backward_get_node_id(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return ctx->node_id;
}

guint64
inf_backward_get_input_index(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, 0);
  return ctx->input_index;
}

guint
inf_backward_get_n_args(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, 0);
  return ctx->n_args;
}

InfValue *
inf_backward_get_arg(const InfBackward *ctx, guint index)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return index < ctx->n_args ? ctx->args[index] : NULL;
}

const char *
inf_backward_get_arg_name(const InfBackward *ctx, guint index)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return index < ctx->n_args && ctx->arg_names ? ctx->arg_names[index] : NULL;
}

InfValue *
inf_backward_get_output(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return ctx->output;
}

const InfFeedback *
inf_backward_get_feedback(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, NULL);
  return ctx->feedback;
}

double
inf_backward_get_pass_score(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, 1.0);
  return ctx->options.pass_score;
}

gboolean
inf_backward_is_passing(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, FALSE);
  return !isnan(ctx->example_score) && ctx->example_score >= ctx->options.pass_score;
}

gboolean
inf_backward_get_keep_passing(const InfBackward *ctx)
{
  g_return_val_if_fail(ctx != NULL, FALSE);
  return ctx->options.keep_passing;
}

void
inf_backward_set_arg_feedback(InfBackward *ctx, guint index, InfFeedback *feedback)
{
  g_return_if_fail(ctx != NULL && feedback != NULL);
  if (index >= ctx->n_args) {
    inf_feedback_free(feedback);
    g_return_if_reached();
  }
  inf_feedback_free(ctx->arg_feedback[index]);
  ctx->arg_feedback[index] = feedback;
}

void
inf_backward_add_parameter_feedback(InfBackward *ctx, InfParameter *param, const char *text)
{
  g_return_if_fail(ctx != NULL && param != NULL && text != NULL);
  if (!inf_parameter_get_requires_grad(param))
    return;
  ParamNote n = { inf_parameter_ref(param), g_strdup(text) };
  g_array_append_val(ctx->notes, n);
}

typedef struct {
  InfBackward *ctx;
  InfAliasReplyFunc reply;
  gpointer user_data;
} CtxCall;

static void
ctx_call_reply(const InfLlmResponse *response, const GError *error, gpointer data)
{
  CtxCall *call = data;
  InfBackward *ctx = call->ctx;
  ctx->pending--;
  if (!ctx->free_requested)
    call->reply(response, error, call->user_data);
  else if (ctx->pending == 0)
    backward_destroy(ctx);
  g_free(call);
}

void
inf_backward_call_alias(InfBackward *ctx, const char *alias, InfLlmRequest *request,
                        InfAliasReplyFunc reply, gpointer user_data)
{
  g_return_if_fail(ctx != NULL && request != NULL && reply != NULL);
  CtxCall *call = g_new0(CtxCall, 1);
  call->ctx = ctx;
  call->reply = reply;
  call->user_data = user_data;
  ctx->pending++;
  inf_alias_call(ctx->options.resources, alias, request, ctx_call_reply, call);
}

void
inf_backward_return(InfBackward *ctx)
{
  g_return_if_fail(ctx != NULL);
  finish(ctx, NULL);
}

void
inf_backward_return_error(InfBackward *ctx, GError *error)
{
  g_return_if_fail(ctx != NULL && error != NULL);
  finish(ctx, error);
}
