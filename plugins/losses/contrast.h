/* What the contrastive losses (`preference`, `ranking`) share: their common
 * options, the candidates they show a judge and the order they are shown in.
 *
 * Candidates are numbered from 1 in the order they are shown, and that number
 * is the one used everywhere: in the prompt ("Candidate 2:"), in the judge's
 * reply, in the feedback items and in the metadata ("candidates"[i] is
 * candidate i + 1). */
#pragma once

#include "losses.h"
#include "losses-llm.h"

/* The options both classes have (each lists them first in its table):
 * alias, criteria, reference, order, seed, temperature, attempts, max_chars. */
#define CONTRAST_DOC_CRITERIA \
  "What makes one output better than another (e.g. \"the right label, nothing else\")"
#define CONTRAST_DOC_REFERENCE \
  "Field path of the reference output in the example line (\"target\", \"meta.reference\")"
#define CONTRAST_DOC_ORDER                                                                      \
  "The order the candidates are shown in: seeded (shuffled by `seed` and the example's input; " \
  "an example always gets the same order), output_first, output_last"
#define CONTRAST_DOC_SEED "Seed of the seeded order"

extern const char *const contrast_order_choices[];

/* The entries of those options, for the start of each class's table. */
// clang-format off
#define CONTRAST_OPTION_ENTRIES                                                                   \
  LOSSES_LLM_OPTION_ALIAS("judge"),                                                                \
  { .name = "criteria", .type = INF_OPTION_STRING, .description = CONTRAST_DOC_CRITERIA },         \
  { .name = "reference", .type = INF_OPTION_STRING, .default_json = "\"target\"",                  \
    .description = CONTRAST_DOC_REFERENCE },                                                       \
  { .name = "order", .type = INF_OPTION_ENUM, .default_json = "\"seeded\"",                        \
    .description = CONTRAST_DOC_ORDER, .choices = contrast_order_choices },                        \
  { .name = "seed", .type = INF_OPTION_INT, .default_json = "0",                                   \
    .description = CONTRAST_DOC_SEED },                                                            \
  LOSSES_LLM_OPTION_TEMPERATURE("judge"),                                                          \
  LOSSES_LLM_OPTION_ATTEMPTS("judge"),                                                             \
  LOSSES_LLM_OPTION_MAX_CHARS("input and candidate text", "judge")
// clang-format on

typedef enum {
  CONTRAST_ORDER_SEEDED,
  CONTRAST_ORDER_OUTPUT_FIRST,
  CONTRAST_ORDER_OUTPUT_LAST,
} ContrastOrder;

/* The private data of both classes starts with their Contrast. */
typedef struct {
  LossesLlm llm; /* the judge: alias, criteria, ..., the reply's schema */
  char *reference;
  char *candidates; /* ranking only: field path of other candidates; NULL: none */
  ContrastOrder order;
  gint64 seed;
} Contrast;

/* Reads the common options into @c (cleared first) and compiles
 * @reply_schema (losses_llm_init); FALSE with @error naming the option
 * (relative to the loss's path) when `reference` or `candidates` is not a
 * field path. @loss ("preference", "ranking") is static. */
gboolean contrast_init(Contrast *c, const char *loss, const InfOptions *options,
                       const char *reply_schema, GError **error);
void contrast_clear(Contrast *c);

/* check_target of both classes: contrast_check_target() with the loss's
 * Contrast. */
gboolean contrast_loss_check_target(InfLoss *self, json_object *target, GError **error);

/* Where a candidate comes from. */
typedef enum {
  CONTRAST_OUTPUT,    /* the pipeline's output */
  CONTRAST_REFERENCE, /* the example's reference (the `reference` field) */
  CONTRAST_OTHER,     /* an entry of the example's `candidates` list */
} ContrastSource;

typedef struct {
  ContrastSource source;
  guint other; /* CONTRAST_OTHER: the index in the example's list (0-based) */
  char *text;  /* as shown to the judge (cut) */
} ContrastCandidate;

/* The candidates of one example in the order they are shown: index i is
 * candidate i + 1. */
typedef struct {
  ContrastCandidate *items;
  guint n;
  guint output; /* 1-based number of the output */
} ContrastSet;

/* Collects the output, the reference (when @with_reference; with
 * @reference_required an absent or null reference is an error, else it is
 * left out) and the `candidates` entries of @example, and orders them.
 * FALSE with @error (naming the loss and the field) when a required field is
 * missing or has the wrong shape. */
gboolean contrast_set_build(const Contrast *c, ContrastSet *set, InfValue *output,
                            json_object *target, json_object *example, gboolean reference_required,
                            GError **error);
void contrast_set_clear(ContrastSet *set);

/* One example being judged: its candidates. */
typedef struct {
  const Contrast *contrast;
  ContrastSet set;
} ContrastRun;

/* Collects the candidates of @example (contrast_set_build) for a run, or
 * finishes @task with the error and returns NULL. */
ContrastRun *contrast_run_new(const Contrast *c, InfValue *output, json_object *target,
                              json_object *example, gboolean reference_required, InfLossTask *task);

/* Asks the judge about @run (which it takes) through @task, with @system
 * and the candidates (contrast_describe) as the user message, and finishes
 * @task (losses_llm_call; @check may be NULL, @done gets @run). */
void contrast_run_ask(ContrastRun *run, InfLossTask *task, json_object *example, const char *system,
                      LossesReplyCheck check, LossesReplyDone done);

/* "the output", "the reference" or "the example's candidates[2]" (static or
 * caller-owned: always free the result). */
char *contrast_source_name(const Contrast *c, const ContrastCandidate *candidate);

/* The user message: the input, the criteria and the numbered candidates
 * (caller owns). */
char *contrast_describe(const Contrast *c, const ContrastSet *set, json_object *example);

/* The metadata every contrastive feedback has: "alias" and "candidates"
 * ([{"candidate": 1, "source": "reference"}, ...]) and "output_candidate". */
void contrast_add_meta(const Contrast *c, const ContrastSet *set, json_object *meta);

/* For check_target: FALSE with @error when `reference` is "target",
 * @target is JSON null and there is no `candidates` list (a reference may be any other JSON value; a
 * `reference` naming another field is checked per example). */
gboolean contrast_check_target(const Contrast *c, json_object *target, GError **error);
