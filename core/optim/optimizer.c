/* InfOptimizer (an instance of an optimizer class) and InfOptimizerStep. */
#include "optim/optimizer.h"

#include <string.h>

#include "model/module-private.h"
#include "optim/alias-call.h"
#include "optim/class-spec.h"

struct _InfOptimizer {
  const InfOptimizerClass *klass;
  InfOptions *options;
  gpointer private_data;
};

typedef struct {
  char *name;
  InfParameter *param;
  GStrv rejected;
  char *candidate;
  GError *error;
} StepParam;

struct _InfOptimizerStep {
  guint ref_count;
  guint number;
  InfOptimizer *optimizer;
  InfResourceManager *resources;
  GArray *params;       /* StepParam */
  GHashTable *upstream; /* GUINT_TO_POINTER(a << 16 | b) set */
  InfOptimizerStepDoneFunc done;
  gpointer done_data;
  gboolean running;
  gboolean finished;
};

InfOptimizer *
inf_optimizer_new_full(InfRegistry *registry, json_object *spec, const char *file,
                       const char *json_path, const InfOptionsResolver *resolver, GError **error)
{
  g_return_val_if_fail(registry != NULL, NULL);
  InfClassSpec cs;
  if (!inf_class_spec_resolve(registry, INF_CLASS_OPTIMIZER, spec, file, json_path, resolver, &cs,
                              error))
    return NULL;
  const InfOptimizerClass *klass = cs.klass;
  InfOptimizer *opt = g_new0(InfOptimizer, 1);
  opt->klass = klass;
  opt->options = cs.options;
  if (klass->init) {
    GError *local = NULL;
    if (!klass->init(opt, cs.options, &opt->private_data, &local)) {
      inf_class_spec_init_error(error, local, klass->name, cs.file, cs.path);
      opt->klass = NULL;
      inf_optimizer_free(opt);
      return NULL;
    }
  }
  return opt;
}

void
inf_optimizer_free(InfOptimizer *optimizer)
{
  if (!optimizer)
    return;
  if (optimizer->klass && optimizer->klass->finalize)
    optimizer->klass->finalize(optimizer->private_data);
  inf_options_free(optimizer->options);
  g_free(optimizer);
}

const InfOptimizerClass *
inf_optimizer_get_class(const InfOptimizer *optimizer)
{
  g_return_val_if_fail(optimizer != NULL, NULL);
  return optimizer->klass;
}

const char *
inf_optimizer_get_type_name(const InfOptimizer *optimizer)
{
  g_return_val_if_fail(optimizer != NULL, NULL);
  return optimizer->klass ? optimizer->klass->name : NULL;
}

gpointer
inf_optimizer_get_private(const InfOptimizer *optimizer)
{
  g_return_val_if_fail(optimizer != NULL, NULL);
  return optimizer->private_data;
}

const InfOptions *
inf_optimizer_get_options(const InfOptimizer *optimizer)
{
  g_return_val_if_fail(optimizer != NULL, NULL);
  return optimizer->options;
}

/* --- steps --- */

static void
step_param_clear(gpointer data)
{
  StepParam *p = data;
  g_free(p->name);
  inf_parameter_unref(p->param);
  g_strfreev(p->rejected);
  g_free(p->candidate);
  g_clear_error(&p->error);
}

InfOptimizerStep *
inf_optimizer_step_new(guint number, InfResourceManager *resources)
{
  InfOptimizerStep *step = g_new0(InfOptimizerStep, 1);
  step->ref_count = 1;
  step->number = number;
  step->resources = resources;
  step->params = g_array_new(FALSE, TRUE, sizeof(StepParam));
  g_array_set_clear_func(step->params, step_param_clear);
  step->upstream = g_hash_table_new(g_direct_hash, g_direct_equal);
  return step;
}

InfOptimizerStep *
inf_optimizer_step_ref(InfOptimizerStep *step)
{
  g_return_val_if_fail(step != NULL, NULL);
  step->ref_count++;
  return step;
}

void
inf_optimizer_step_unref(InfOptimizerStep *step)
{
  if (!step || --step->ref_count > 0)
    return;
  g_array_unref(step->params);
  g_hash_table_unref(step->upstream);
  g_free(step);
}

void
inf_optimizer_step_add_parameter(InfOptimizerStep *step, const char *name, InfParameter *param,
                                 const char *const *rejected)
{
  g_return_if_fail(step != NULL && name != NULL && param != NULL);
  g_return_if_fail(step->params->len < 0xffff);
  StepParam p = { 0 };
  p.name = g_strdup(name);
  p.param = inf_parameter_ref(param);
  p.rejected = rejected ? g_strdupv((char **)rejected) : g_new0(char *, 1);
  g_array_append_val(step->params, p);
}

static inline gpointer
pair_key(guint a, guint b)
{
  return GUINT_TO_POINTER((a << 16) | b);
}

void
inf_optimizer_step_set_upstream(InfOptimizerStep *step, guint upstream, guint downstream)
{
  g_return_if_fail(step != NULL);
  g_return_if_fail(upstream < step->params->len && downstream < step->params->len);
  if (upstream != downstream)
    g_hash_table_add(step->upstream, pair_key(upstream, downstream));
}

static StepParam *
step_param(const InfOptimizerStep *step, guint index)
{
  if (index >= step->params->len)
    return NULL;
  return &g_array_index(step->params, StepParam, index);
}

const GError *
inf_optimizer_step_get_error(const InfOptimizerStep *step, guint index)
{
  g_return_val_if_fail(step != NULL, NULL);
  StepParam *p = step_param(step, index);
  return p ? p->error : NULL;
}

void
inf_optimizer_run_step(InfOptimizer *optimizer, InfOptimizerStep *step,
                       InfOptimizerStepDoneFunc done, gpointer user_data)
{
  g_return_if_fail(optimizer != NULL && step != NULL && done != NULL);
  g_return_if_fail(!step->running);
  step->optimizer = optimizer;
  step->done = done;
  step->done_data = user_data;
  step->running = TRUE;
  inf_optimizer_step_ref(step);
  optimizer->klass->step(optimizer, step);
}

static void
step_finish(InfOptimizerStep *step, GError *error)
{
  if (!step->running || step->finished) {
    g_critical("optimizer finished a step twice");
    g_clear_error(&error);
    return;
  }
  step->finished = TRUE;
  step->done(step, error, step->done_data);
  g_clear_error(&error);
  inf_optimizer_step_unref(step);
}

InfOptimizer *
inf_optimizer_step_get_optimizer(const InfOptimizerStep *step)
{
  g_return_val_if_fail(step != NULL, NULL);
  return step->optimizer;
}

guint
inf_optimizer_step_get_number(const InfOptimizerStep *step)
{
  g_return_val_if_fail(step != NULL, 0);
  return step->number;
}

guint
inf_optimizer_step_get_n_parameters(const InfOptimizerStep *step)
{
  g_return_val_if_fail(step != NULL, 0);
  return step->params->len;
}

InfParameter *
inf_optimizer_step_get_parameter(const InfOptimizerStep *step, guint index)
{
  g_return_val_if_fail(step != NULL, NULL);
  StepParam *p = step_param(step, index);
  return p ? p->param : NULL;
}

const char *
inf_optimizer_step_get_parameter_name(const InfOptimizerStep *step, guint index)
{
  g_return_val_if_fail(step != NULL, NULL);
  StepParam *p = step_param(step, index);
  return p ? p->name : NULL;
}

gboolean
inf_optimizer_step_is_upstream(const InfOptimizerStep *step, guint upstream, guint downstream)
{
  g_return_val_if_fail(step != NULL, FALSE);
  return g_hash_table_contains(step->upstream, pair_key(upstream, downstream));
}

const char *const *
inf_optimizer_step_get_rejected(const InfOptimizerStep *step, guint index)
{
  static const char *const none[] = { NULL };
  g_return_val_if_fail(step != NULL, none);
  StepParam *p = step_param(step, index);
  return p ? (const char *const *)p->rejected : none;
}

void
inf_optimizer_step_set_candidate(InfOptimizerStep *step, guint index, const char *value)
{
  g_return_if_fail(step != NULL);
  StepParam *p = step_param(step, index);
  g_return_if_fail(p != NULL);
  g_free(p->candidate);
  p->candidate = g_strdup(value);
}

const char *
inf_optimizer_step_get_candidate(const InfOptimizerStep *step, guint index)
{
  g_return_val_if_fail(step != NULL, NULL);
  StepParam *p = step_param(step, index);
  return p ? p->candidate : NULL;
}

void
inf_optimizer_step_report_error(InfOptimizerStep *step, guint index, GError *error)
{
  g_return_if_fail(step != NULL && error != NULL);
  StepParam *p = step_param(step, index);
  if (!p) {
    g_error_free(error);
    g_return_if_reached();
  }
  g_clear_error(&p->error);
  p->error = error;
}

void
inf_optimizer_step_call_alias(InfOptimizerStep *step, const char *alias, InfLlmRequest *request,
                              InfAliasReplyFunc reply, gpointer user_data)
{
  g_return_if_fail(step != NULL && request != NULL && reply != NULL);
  inf_alias_call_for(step->resources, alias, request, reply, user_data,
                     inf_optimizer_step_ref(step), (GDestroyNotify)inf_optimizer_step_unref);
}

void
inf_optimizer_step_return(InfOptimizerStep *step)
{
  g_return_if_fail(step != NULL);
  step_finish(step, NULL);
}

void
inf_optimizer_step_return_error(InfOptimizerStep *step, GError *error)
{
  g_return_if_fail(step != NULL && error != NULL);
  step_finish(step, error);
}
