/* The `losses` plugin: the built-in loss classes (docs/training.md, "Losses"). */
#include "losses.h"

static gboolean
losses_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_loss_class(registry, &inf_losses_verifier_class, error) &&
         inf_registry_add_loss_class(registry, &inf_losses_composite_class, error) &&
         inf_registry_add_loss_class(registry, &inf_losses_judge_class, error) &&
         inf_registry_add_loss_class(registry, &inf_losses_rubric_class, error) &&
         inf_registry_add_loss_class(registry, &inf_losses_preference_class, error) &&
         inf_registry_add_loss_class(registry, &inf_losses_ranking_class, error);
}

INF_PLUGIN_DEFINE("losses", INF_VERSION_STRING,
                  "Loss classes: verifier, composite, llm-judge, rubric, preference, ranking",
                  "MIT", losses_register)
