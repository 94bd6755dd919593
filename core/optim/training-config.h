/* Internal: the config's `training` block, validated.
 *
 *   "training": {
 *     "loss": {"type": ...},            required
 *     "optimizer": {"type": ...},       required by train
 *     "epochs": 3, "batch_size": 8, "seed": 0, "shuffle": true,
 *     "accept": {"rule": "improve" | "not_worse", "min_delta": 0},
 *     "pass_score": 1.0, "keep_passing": false,
 *     "output": NAME                    the dict output the loss scores
 *   }
 */
#pragma once

#include <inf/inf.h>

#include "graph/graph.h"
#include "model/options-private.h"

G_BEGIN_DECLS

typedef enum {
  INF_ACCEPT_IMPROVE,   /* val > current + min_delta */
  INF_ACCEPT_NOT_WORSE, /* val >= current - min_delta */
} InfAcceptRule;

typedef struct {
  InfLoss *loss;
  InfOptimizer *optimizer; /* NULL when not asked for */
  guint epochs;
  guint batch_size;
  guint64 seed;
  gboolean shuffle;
  InfAcceptRule rule;
  double min_delta;
  double pass_score;
  gboolean keep_passing;
  char *output; /* or NULL */
} InfTrainingConfig;

const char *inf_accept_rule_name(InfAcceptRule rule);

/* Validates @training (the block, borrowed; NULL: missing) of @file for
 * the graph @graph (may be NULL when @training has no "output"): every
 * field, the scalar ones through an option table (resources/config-fields.h),
 * with errors naming the file and the JSON path (`pipeline.json:
 * training.batch_size: 0 is out of range: expected a value from 1 to 100000`)
 * and what is valid. The loss is required; the optimizer only with
 * @need_optimizer (else it is not created). @resolver (may be NULL) checks
 * aliases and references. */
InfTrainingConfig *inf_training_config_parse(json_object *training, const char *file,
                                             InfGraph *graph, InfRegistry *registry,
                                             const InfOptionsResolver *resolver,
                                             gboolean need_optimizer, GError **error);
void inf_training_config_free(InfTrainingConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfTrainingConfig, inf_training_config_free)

G_END_DECLS
