/* InfLoss (an instance of a loss class) and InfLossTask (one evaluation). */
#include "optim/loss.h"

#include <stdarg.h>

#include "model/module-private.h"
#include "optim/alias-call.h"
#include "optim/class-spec.h"

struct _InfLoss {
  guint ref_count;
  const InfLossClass *klass;
  InfRegistry *registry;
  InfOptions *options;
  gpointer private_data;
  char *file;
  char *path;
  const InfOptionsResolver *resolver; /* during init only */
};

struct _InfLossTask {
  guint ref_count;
  InfLoss *loss;
  InfValue *output;
  json_object *target;
  json_object *example;
  guint64 index;
  InfResourceManager *resources;
  InfLossDoneFunc done;
  gpointer done_data;
  gboolean finished;
};

InfLoss *
inf_loss_new_full(InfRegistry *registry, json_object *spec, const char *file, const char *json_path,
                  const InfOptionsResolver *resolver, GError **error)
{
  g_return_val_if_fail(registry != NULL, NULL);
  InfClassSpec cs;
  if (!inf_class_spec_resolve(registry, INF_CLASS_LOSS, spec, file, json_path, resolver, &cs,
                              error))
    return NULL;
  const InfLossClass *klass = cs.klass;
  InfLoss *loss = g_new0(InfLoss, 1);
  loss->ref_count = 1;
  loss->klass = klass;
  loss->registry = registry;
  loss->options = cs.options;
  loss->file = g_strdup(cs.file);
  loss->path = g_strdup(cs.path);
  loss->resolver = resolver;
  if (klass->init) {
    GError *local = NULL;
    if (!klass->init(loss, cs.options, &loss->private_data, &local)) {
      inf_class_spec_init_error(error, local, klass->name, cs.file, cs.path);
      loss->resolver = NULL;
      loss->klass = NULL; /* no finalize for a failed init */
      inf_loss_unref(loss);
      return NULL;
    }
  }
  loss->resolver = NULL;
  return loss;
}

InfLoss *
inf_loss_new(InfRegistry *registry, json_object *spec, GError **error)
{
  return inf_loss_new_full(registry, spec, NULL, NULL, NULL, error);
}

InfLoss *
inf_loss_new_child(InfLoss *parent, json_object *spec, const char *path_suffix, GError **error)
{
  g_return_val_if_fail(parent != NULL, NULL);
  g_autofree char *path =
      g_strdup_printf("%s%s%s", parent->path, path_suffix && *path_suffix != '[' ? "." : "",
                      path_suffix ? path_suffix : "");
  InfLoss *child = inf_loss_new_full(parent->registry, spec, NULL, path, parent->resolver, error);
  return child;
}

InfLoss *
inf_loss_ref(InfLoss *loss)
{
  g_return_val_if_fail(loss != NULL, NULL);
  loss->ref_count++;
  return loss;
}

void
inf_loss_unref(InfLoss *loss)
{
  if (!loss || --loss->ref_count > 0)
    return;
  if (loss->klass && loss->klass->finalize)
    loss->klass->finalize(loss->private_data);
  inf_options_free(loss->options);
  g_free(loss->file);
  g_free(loss->path);
  g_free(loss);
}

const InfLossClass *
inf_loss_get_class(const InfLoss *loss)
{
  g_return_val_if_fail(loss != NULL, NULL);
  return loss->klass;
}

const char *
inf_loss_get_type_name(const InfLoss *loss)
{
  g_return_val_if_fail(loss != NULL, NULL);
  return loss->klass ? loss->klass->name : NULL;
}

gpointer
inf_loss_get_private(const InfLoss *loss)
{
  g_return_val_if_fail(loss != NULL, NULL);
  return loss->private_data;
}

const InfOptions *
inf_loss_get_options(const InfLoss *loss)
{
  g_return_val_if_fail(loss != NULL, NULL);
  return loss->options;
}

gboolean
inf_loss_check_target(InfLoss *loss, json_object *target, GError **error)
{
  g_return_val_if_fail(loss != NULL, FALSE);
  gboolean (*check)(InfLoss *, json_object *, GError **) =
      INF_CLASS_GET(loss->klass, InfLossClass, check_target);
  if (!check)
    return TRUE;
  GError *local = NULL;
  if (check(loss, target, &local))
    return TRUE;
  if (!local)
    local = g_error_new(INF_ERROR, INF_ERROR_INPUT, "the target does not suit loss '%s'",
                        loss->klass->name);
  g_propagate_error(error, local);
  return FALSE;
}

/* --- tasks --- */

static void
task_unref(InfLossTask *task)
{
  if (--task->ref_count > 0)
    return;
  inf_loss_unref(task->loss);
  inf_value_unref(task->output);
  json_object_put(task->target);
  json_object_put(task->example);
  g_free(task);
}

void
inf_loss_evaluate(InfLoss *loss, InfValue *output, json_object *target, json_object *example,
                  guint64 index, InfResourceManager *resources, InfLossDoneFunc done,
                  gpointer user_data)
{
  g_return_if_fail(loss != NULL && output != NULL && done != NULL);
  InfLossTask *task = g_new0(InfLossTask, 1);
  task->ref_count = 1;
  task->loss = inf_loss_ref(loss);
  task->output = inf_value_ref(output);
  task->target = json_object_get(target);
  task->example = json_object_get(example);
  task->index = index;
  task->resources = resources;
  task->done = done;
  task->done_data = user_data;
  loss->klass->evaluate(loss, output, target, example, task);
}

static void
task_finish(InfLossTask *task, InfFeedback *feedback, GError *error)
{
  if (task->finished) {
    g_critical("loss '%s' finished a task twice", task->loss->klass->name);
    inf_feedback_free(feedback);
    g_clear_error(&error);
    return;
  }
  task->finished = TRUE;
  task->done(feedback, error, task->done_data);
  task_unref(task);
}

InfLoss *
inf_loss_task_get_loss(const InfLossTask *task)
{
  g_return_val_if_fail(task != NULL, NULL);
  return task->loss;
}

guint64
inf_loss_task_get_index(const InfLossTask *task)
{
  g_return_val_if_fail(task != NULL, 0);
  return task->index;
}

void
inf_loss_task_return(InfLossTask *task, InfFeedback *feedback)
{
  g_return_if_fail(task != NULL && feedback != NULL);
  task_finish(task, feedback, NULL);
}

void
inf_loss_task_return_error(InfLossTask *task, GError *error)
{
  g_return_if_fail(task != NULL && error != NULL);
  task_finish(task, NULL, error);
}

void
inf_loss_task_return_new_error(InfLossTask *task, const char *format, ...)
{
  g_return_if_fail(task != NULL && format != NULL);
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  task_finish(task, NULL, g_error_new_literal(INF_ERROR, INF_ERROR_FAILED, message));
}

void
inf_loss_task_call_alias(InfLossTask *task, const char *alias, InfLlmRequest *request,
                         InfAliasReplyFunc reply, gpointer user_data)
{
  g_return_if_fail(task != NULL && request != NULL && reply != NULL);
  task->ref_count++;
  inf_alias_call_for(task->resources, alias, request, reply, user_data, task,
                     (GDestroyNotify)task_unref);
}

typedef struct {
  InfLossTask *parent;
  InfLossChildFunc done;
  gpointer user_data;
  InfLoss *child;
} ChildEval;

static void
child_done(InfFeedback *feedback, GError *error, gpointer data)
{
  ChildEval *ce = data;
  ce->done(feedback, error, ce->user_data);
  inf_feedback_free(feedback);
  g_clear_error(&error);
  inf_loss_unref(ce->child);
  task_unref(ce->parent);
  g_free(ce);
}

static gboolean
child_start(gpointer data)
{
  ChildEval *ce = data;
  InfLossTask *p = ce->parent;
  inf_loss_evaluate(ce->child, p->output, p->target, p->example, p->index, p->resources, child_done,
                    ce);
  return G_SOURCE_REMOVE;
}

void
inf_loss_task_evaluate_child(InfLossTask *task, InfLoss *child, InfLossChildFunc done,
                             gpointer user_data)
{
  g_return_if_fail(task != NULL && child != NULL && done != NULL);
  ChildEval *ce = g_new0(ChildEval, 1);
  ce->parent = task;
  task->ref_count++;
  ce->done = done;
  ce->user_data = user_data;
  ce->child = inf_loss_ref(child);
  g_idle_add(child_start, ce);
}
