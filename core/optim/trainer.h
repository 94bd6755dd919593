/* Internal: InfTrainer — the train loop of `inf-engine train`.
 *
 * Baseline validation score first. Then, per epoch, the training split in
 * an order drawn from a seeded generator of its own (no global state), cut
 * into batches; per batch (a step): forward in training mode through the
 * scheduler and the loss; when every example passed, nothing more (no
 * optimizer call); else backward per example (feedback accumulates in the
 * learnable parameters), one optimizer step over the parameters in
 * topological order (upstream links given) proposing candidates, the
 * candidates applied and scored on the validation split, and kept only if
 * the acceptance rule holds; otherwise reverted and remembered as rejected
 * for the optimizer's next steps. The best validation parameters are kept.
 * The test split, if any, is scored once at the end with the best
 * parameters. Everything the loop decides depends on the seed, the data and
 * the backends' replies only: deterministic backends give identical runs.
 *
 * Runs on the main loop (nested loops per phase); the scheduler's feed and
 * done callbacks are the trainer's while it runs. */
#pragma once

#include "optim/evaluation.h"
#include "optim/training-config.h"

G_BEGIN_DECLS

typedef struct _InfTrainer InfTrainer;

/* After the baseline, each step and the test: @line (borrowed) is the
 * step's history record; @best_changed says whether the best parameters
 * changed (the baseline's count as a change). */
typedef void (*InfTrainerStepFunc)(InfTrainer *trainer, json_object *line, gboolean best_changed,
                                   gpointer user_data);

/* @train, @val and @test (may be NULL) are arrays of InfExample without
 * errors (borrowed; they must outlive the trainer). @config is borrowed. */
InfTrainer *inf_trainer_new(InfModule *main_module, InfGraph *graph, InfScheduler *scheduler,
                            InfResourceManager *resources, const InfTrainingConfig *config,
                            guint max_inflight, GPtrArray *train, GPtrArray *val, GPtrArray *test);
void inf_trainer_free(InfTrainer *trainer);
void inf_trainer_set_step_func(InfTrainer *trainer, InfTrainerStepFunc func, gpointer user_data);

/* Runs the loop to the end or until stopped (inf_trainer_stop(), a budget
 * refusal). A step cut short is reverted and not recorded. FALSE with
 * @error only when the loop cannot run at all (no learnable parameter, a
 * failed checkpoint state). */
gboolean inf_trainer_run(InfTrainer *trainer, GError **error);
/* Stops after the current phase (@cancel: also cancels the examples in
 * flight). From a signal handler on the main loop. */
void inf_trainer_stop(InfTrainer *trainer, gboolean cancel);

/* The state to continue from after the last finished step (new): position,
 * generator, parameters, best, rejected values, counts, and the test score
 * once the test split was scored (a run resumed from there does not score
 * it again). Only after the baseline (inf_trainer_get_best() not NULL). */
json_object *inf_trainer_save_state(InfTrainer *trainer);
/* Continues from a state saved by inf_trainer_save_state() (borrowed). */
gboolean inf_trainer_restore_state(InfTrainer *trainer, json_object *state, GError **error);

/* The best parameters so far as a state dict (borrowed), or NULL before the
 * baseline. */
json_object *inf_trainer_get_best(InfTrainer *trainer);

typedef struct {
  guint epoch;     /* 1-based, of the last step (0: none yet) */
  guint batch;     /* 1-based, of the last step */
  guint n_batches; /* per epoch */
  guint step;      /* steps done */
  guint n_steps;   /* epochs × batches */
  double baseline; /* NaN before */
  double best_val; /* NaN before */
  double last_val; /* the last validation score (NaN before) */
  guint best_step; /* 0: the initial parameters */
  guint accepted;
  guint rejected;
  guint skipped;    /* batches that all passed: no optimizer call */
  guint unchanged;  /* steps whose optimizer proposed nothing new */
  double test;      /* NaN when not scored */
  gboolean stopped; /* inf_trainer_stop() */
  gboolean halted;  /* the budget */
  gboolean finished;
} InfTrainerStatus;
void inf_trainer_get_status(InfTrainer *trainer, InfTrainerStatus *out);

G_END_DECLS
