/* The "none" optimizer: every step proposes no candidate, so the
 * parameters keep their values and no alias is called. It is the
 * optimizer-off control of a training run (docs/training.md, "Controls"):
 * the same loop, data and seed with nothing learned, which shows how much
 * of a score change comes from the optimizer. */
#include <inf/inf.h>

static void
none_step(InfOptimizer *self, InfOptimizerStep *step)
{
  (void)self;
  inf_optimizer_step_return(step);
}

static const InfOptimizerClass none_class = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "none",
  .description = "Proposes no change (the optimizer-off control of a training run)",
  .step = none_step,
};

static gboolean
none_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_optimizer_class(registry, &none_class, error);
}

INF_PLUGIN_DEFINE("none", INF_VERSION_STRING, "The none optimizer", "MIT", none_register)
