/* InfBudget — spend limits of a run: cost (USD), requests and tokens,
 * globally and per alias, enforced before dispatch by reservation.
 *
 * The `budget` block of the resources:
 *
 *   "budget": {
 *     "max_cost": 5.0,              USD, from the endpoints' input/output_cost_per_1m
 *     "max_requests": 10000,        attempts sent (retries and 429s included)
 *     "max_tokens": 2000000,        input plus output tokens
 *     "warn_at": [0.5, 0.8],        one warning line when spend passes each fraction
 *     "default_max_tokens": 4096,   reply size reserved for calls that set no max_tokens
 *     "aliases": { "smart": { "max_cost": 1.0, "warn_at": [0.9] } }   per alias
 *   }
 *
 * Every attempt reserves its estimate (input tokens: the request's bytes / 3,
 * rounded up; output tokens: the request's max_tokens, else
 * default_max_tokens) before it is sent; a reservation that would take spent
 * plus reserved past a limit is refused and the budget is exhausted from then
 * on (every later reservation is refused too). When the attempt ends the
 * reservation is replaced by what it cost: the usage a reply reports, whatever
 * became of the reply (the reservation when a success reports none); the
 * reservation after a timeout, a dropped connection or an unreadable reply
 * (the provider may have done and billed the work); nothing after an error
 * status. Requests count every
 * attempt sent. Single-threaded (the main loop). */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* The GError domain of a refused reservation (core-internal: the scheduler
 * requeues the node and stops dispatching LLM calls). */
#define INF_BUDGET_ERROR (inf_budget_error_quark())
GQuark inf_budget_error_quark(void);
typedef enum {
  INF_BUDGET_ERROR_EXHAUSTED,
} InfBudgetErrorCode;

/* Limits; a negative value: no limit. */
typedef struct {
  double max_cost;
  gint64 max_requests;
  gint64 max_tokens;
} InfBudgetLimits;

#define INF_BUDGET_LIMITS_NONE ((InfBudgetLimits){ -1.0, -1, -1 })

typedef struct {
  char *alias;
  InfBudgetLimits limits;
  GArray *warn_at; /* double, ascending; NULL: the global warn_at */
} InfBudgetAliasConfig;

typedef struct {
  InfBudgetLimits limits;
  GArray *warn_at;           /* double in (0, 1], ascending, distinct */
  gint64 default_max_tokens; /* > 0 */
  GPtrArray *aliases;        /* InfBudgetAliasConfig * */
} InfBudgetConfig;

#define INF_BUDGET_DEFAULT_MAX_TOKENS 4096

/* A new config without limits. */
InfBudgetConfig *inf_budget_config_new(void);
void inf_budget_config_free(InfBudgetConfig *config);
/* Parses the budget block @json at @json_path ("resources.budget") of @file.
 * Errors name the file, the JSON path and what would be valid. */
InfBudgetConfig *inf_budget_config_parse(json_object *json, const char *file, const char *json_path,
                                         GError **error);
const InfBudgetAliasConfig *inf_budget_config_lookup(const InfBudgetConfig *config,
                                                     const char *alias);
/* Whether any limit is set (globally or for an alias). */
gboolean inf_budget_config_has_limits(const InfBudgetConfig *config);

/* What a call costs or reserves. */
typedef struct {
  double cost;
  gint64 requests;
  gint64 tokens;
} InfBudgetAmount;

typedef struct _InfBudget InfBudget;
typedef struct _InfBudgetAccount InfBudgetAccount;

/* One line per warn_at fraction passed, per limit: @scope is "global" or the
 * alias name, @what "max_cost", "max_requests" or "max_tokens". */
typedef void (*InfBudgetWarnFunc)(InfBudget *budget, const char *scope, const char *what,
                                  double fraction, double spent, double limit, gpointer user_data);

/* @config may be NULL (no limits but the global @overrides); @overrides
 * (may be NULL) replaces the global limits it sets (>= 0), as --max-cost and
 * --max-requests do. */
InfBudget *inf_budget_new(const InfBudgetConfig *config, const InfBudgetLimits *overrides);
void inf_budget_free(InfBudget *budget);
void inf_budget_set_warn_func(InfBudget *budget, InfBudgetWarnFunc func, gpointer user_data);

/* The account of @alias (created on first use; owned by the budget). */
InfBudgetAccount *inf_budget_get_account(InfBudget *budget, const char *alias);
gint64 inf_budget_get_default_max_tokens(const InfBudget *budget);
gboolean inf_budget_has_limits(const InfBudget *budget);

/* The estimate of one attempt of @request at these prices (USD per million
 * tokens), with @default_max_tokens for a request without max_tokens. */
void inf_budget_estimate_request(const InfLlmRequest *request, gint64 default_max_tokens,
                                 double input_cost_per_1m, double output_cost_per_1m,
                                 InfBudgetAmount *out);
/* Input tokens estimated from @bytes of prompt text: ceil(bytes / 3). */
gint64 inf_budget_estimate_tokens(gsize bytes);

/* Reserves @amount on @account and globally. FALSE when it does not fit a
 * limit: the budget is exhausted from then on and every later reservation
 * is refused. */
gboolean inf_budget_reserve(InfBudget *budget, InfBudgetAccount *account,
                            const InfBudgetAmount *amount);
/* Replaces the reservation @reserved by the charge @actual; may warn. */
void inf_budget_settle(InfBudget *budget, InfBudgetAccount *account,
                       const InfBudgetAmount *reserved, const InfBudgetAmount *actual);
/* Adds spend made before this process (a resumed run). */
void inf_budget_add_spent(InfBudget *budget, InfBudgetAccount *account,
                          const InfBudgetAmount *amount);

gboolean inf_budget_is_exhausted(const InfBudget *budget);
/* Why the first reservation was refused ("max_cost $1.00 (global): ..."),
 * or NULL. */
const char *inf_budget_get_exhausted_reason(const InfBudget *budget);
/* Settled spend and outstanding reservations, globally (@account NULL) or
 * of one account. */
void inf_budget_get_spent(const InfBudget *budget, const InfBudgetAccount *account,
                          InfBudgetAmount *out);
void inf_budget_get_reserved(const InfBudget *budget, const InfBudgetAccount *account,
                             InfBudgetAmount *out);
/* The global limits in effect. */
void inf_budget_get_limits(const InfBudget *budget, InfBudgetLimits *out);
/* {"limits": {...}, "spent": {...}, "exhausted": bool, "reason": "...",
 *  "aliases": {name: {"limits", "spent"}}} (caller owns). */
json_object *inf_budget_to_json(const InfBudget *budget);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfBudgetConfig, inf_budget_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfBudget, inf_budget_free)

G_END_DECLS
