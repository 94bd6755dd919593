/* The in-tree loss classes, registered by losses.c. */
#pragma once

#include <inf/inf.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

extern const InfLossClass inf_losses_verifier_class;
extern const InfLossClass inf_losses_composite_class;
extern const InfLossClass inf_losses_judge_class;
extern const InfLossClass inf_losses_rubric_class;
extern const InfLossClass inf_losses_preference_class;
extern const InfLossClass inf_losses_ranking_class;
