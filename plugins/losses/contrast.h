/* What the contrastive losses (`preference`, `ranking`) share: their common
 * options, the candidates they show a judge and the order they are shown in.
 *
 * Candidates are numbered from 1 in the order they are shown, and that number
 * is the one used everywhere: in the prompt ("Candidate 2:"), in the judge's
 * reply, in the feedback items and in the metadata ("candidates"[i] is
 * candidate i + 1). */
#pragma once

#include "losses.h"

/* The options both classes have (each lists them first in its table):
 * alias, criteria, reference, order, seed, temperature, attempts, max_chars. */
#define CONTRAST_DOC_ALIAS "Resource alias of the judge LLM"
#define CONTRAST_DOC_CRITERIA \
  "What makes one output better than another (e.g. \"the right label, nothing else\")"
#define CONTRAST_DOC_REFERENCE \
  "Field path of the reference output in the example line (\"target\", \"meta.reference\")"
#define CONTRAST_DOC_ORDER                                                                      \
  "The order the candidates are shown in: seeded (shuffled by `seed` and the example's input; " \
  "an example always gets the same order), output_first, output_last"
#define CONTRAST_DOC_SEED "Seed of the seeded order"
#define CONTRAST_DOC_TEMPERATURE "Sampling temperature of the judge"
#define CONTRAST_DOC_ATTEMPTS \
  "Replies tried before the example fails when the judge's reply is malformed"
#define CONTRAST_DOC_MAX_CHARS \
  "Longest input and candidate text shown to the judge (longer ones are cut visibly)"

extern const char *const contrast_order_choices[];

/* The entries of those options, for the start of each class's table. */
// clang-format off
#define CONTRAST_OPTION_ENTRIES                                                                   \
  { .name = "alias", .type = INF_OPTION_ALIAS, .default_json = "\"judge\"",                        \
    .description = CONTRAST_DOC_ALIAS },                                                           \
  { .name = "criteria", .type = INF_OPTION_STRING, .description = CONTRAST_DOC_CRITERIA },         \
  { .name = "reference", .type = INF_OPTION_STRING, .default_json = "\"target\"",                  \
    .description = CONTRAST_DOC_REFERENCE },                                                       \
  { .name = "order", .type = INF_OPTION_ENUM, .default_json = "\"seeded\"",                        \
    .description = CONTRAST_DOC_ORDER, .choices = contrast_order_choices },                        \
  { .name = "seed", .type = INF_OPTION_INT, .default_json = "0",                                   \
    .description = CONTRAST_DOC_SEED },                                                            \
  { .name = "temperature", .type = INF_OPTION_DOUBLE, .default_json = "0",                         \
    .description = CONTRAST_DOC_TEMPERATURE, .max = 2 },                                           \
  { .name = "attempts", .type = INF_OPTION_INT, .default_json = "2",                               \
    .description = CONTRAST_DOC_ATTEMPTS, .min = 1, .max = 10 },                                   \
  { .name = "max_chars", .type = INF_OPTION_INT, .default_json = "4000",                           \
    .description = CONTRAST_DOC_MAX_CHARS, .min = 100, .max = 1000000 }
// clang-format on

typedef enum {
  CONTRAST_ORDER_SEEDED,
  CONTRAST_ORDER_OUTPUT_FIRST,
  CONTRAST_ORDER_OUTPUT_LAST,
} ContrastOrder;

typedef struct {
  const char *loss; /* "preference" or "ranking", for messages */
  char *alias;
  char *criteria; /* NULL: none */
  char *reference;
  char *candidates; /* ranking only: field path of other candidates; NULL: none */
  ContrastOrder order;
  gint64 seed;
  double temperature;
  guint attempts;
  gsize max_chars;
} Contrast;

/* Reads the common options into @c (cleared first); FALSE with @error
 * naming the option (relative to the loss's path) when `reference` is not a
 * field path. */
gboolean contrast_init(Contrast *c, const char *loss, const InfOptions *options, GError **error);
void contrast_clear(Contrast *c);

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
