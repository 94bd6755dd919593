/* Spend budgets: the budget block and the reservations of a run. */
#include "resources/budget.h"

#include <math.h>
#include <string.h>

#include "model/options-private.h"
#include "model/value-private.h"
#include "resources/config-fields.h"
#include "resources/metrics.h"

/* The quark name is pasted into a string: keep it as written. */
// clang-format off
G_DEFINE_QUARK(inf-budget-error-quark, inf_budget_error)
// clang-format on

/* Spend and reservations against one set of limits. */
typedef struct {
  const char *scope; /* "global" or the alias (borrowed) */
  InfBudgetLimits limits;
  GArray *warn_at; /* borrowed */
  InfBudgetAmount spent;
  InfBudgetAmount reserved;
  guint warned[3]; /* warn_at fractions passed so far, per limit */
} Ledger;

struct _InfBudgetAccount {
  char *alias;
  Ledger ledger;
};

struct _InfBudget {
  InfBudgetConfig *config; /* a copy of the limits given */
  Ledger global;
  GHashTable *accounts; /* alias → InfBudgetAccount * */
  gboolean exhausted;
  char *reason;
  InfBudgetWarnFunc warn;
  gpointer warn_data;
};

static const char *const limit_names[] = { "max_cost", "max_requests", "max_tokens" };

/* --- config --- */

static void
alias_config_free(gpointer data)
{
  InfBudgetAliasConfig *ac = data;
  g_free(ac->alias);
  if (ac->warn_at)
    g_array_unref(ac->warn_at);
  g_free(ac);
}

InfBudgetConfig *
inf_budget_config_new(void)
{
  InfBudgetConfig *config = g_new0(InfBudgetConfig, 1);
  config->limits = INF_BUDGET_LIMITS_NONE;
  config->warn_at = g_array_new(FALSE, FALSE, sizeof(double));
  config->default_max_tokens = INF_BUDGET_DEFAULT_MAX_TOKENS;
  config->aliases = g_ptr_array_new_with_free_func(alias_config_free);
  return config;
}

void
inf_budget_config_free(InfBudgetConfig *config)
{
  if (!config)
    return;
  g_array_unref(config->warn_at);
  g_ptr_array_unref(config->aliases);
  g_free(config);
}

static gint
compare_double(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The fields of the budget block and of each alias's limits, validated by
 * the options code (config-fields.h); a limit left out is no limit.
 * "warn_at" and "aliases" are parsed here. LIMIT_FIELDS is kept as written:
 * clang-format cannot lay out a macro of several initializers. */
// clang-format off
#define LIMIT_FIELDS                                                                        \
  { .name = "max_cost", .type = INF_OPTION_DOUBLE, .min = 0, .max = INFINITY,               \
    .description = "USD, from the endpoints' input/output_cost_per_1m; none: no limit." },   \
  { .name = "max_requests", .type = INF_OPTION_INT, .min = 0, .max = INFINITY,              \
    .description = "Attempts sent (retries and 429s included); none: no limit." },          \
  { .name = "max_tokens", .type = INF_OPTION_INT, .min = 0, .max = INFINITY,                \
    .description = "Input plus output tokens; none: no limit." },                           \
  { .name = "warn_at", .type = INF_OPTION_JSON,                                             \
    .description = "Fractions of the limits in (0, 1]: a warning when spend passes each." }
// clang-format on

static const InfOptionSpec alias_fields[] = {
  LIMIT_FIELDS,
  { .name = NULL },
};

static const InfOptionSpec budget_fields[] = {
  LIMIT_FIELDS,
  { .name = "default_max_tokens",
    .type = INF_OPTION_INT,
    .default_json = "4096",
    .min = 1,
    .max = INFINITY,
    .description = "The reply size reserved for calls without max_tokens." },
  { .name = "aliases",
    .type = INF_OPTION_JSON,
    .description = "Limits per alias: {ALIAS: {max_cost, max_requests, max_tokens, warn_at}}." },
  { .name = NULL },
};

static GArray *
parse_warn_at(json_object *value, const char *file, const char *path, GError **error)
{
  if (!json_object_is_type(value, json_type_array)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                "%s: %s.warn_at: expected a list of fractions of the limits, e.g. [0.5, 0.8]; "
                "got %s",
                file, path, inf_json_kind_phrase(value));
    return NULL;
  }
  g_autoptr(GArray) fractions = g_array_new(FALSE, FALSE, sizeof(double));
  for (gsize i = 0; i < json_object_array_length(value); i++) {
    json_object *item = json_object_array_get_idx(value, i);
    gboolean is_number =
        json_object_is_type(item, json_type_int) || json_object_is_type(item, json_type_double);
    double f = is_number ? json_object_get_double(item) : NAN;
    if (!is_number || !isfinite(f) || f <= 0 || f > 1) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "%s: %s.warn_at[%zu]: expected a fraction in (0, 1], got %s", file, path, i,
                  json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN));
      return NULL;
    }
    g_array_append_val(fractions, f);
  }
  g_array_sort(fractions, compare_double);
  /* Distinct: one warning per fraction. */
  for (guint i = 1; i < fractions->len;) {
    if (g_array_index(fractions, double, i) == g_array_index(fractions, double, i - 1))
      g_array_remove_index(fractions, i);
    else
      i++;
  }
  return g_steal_pointer(&fractions);
}

/* Reads the limits and warn_at of validated @fields (at @path) into
 * @limits and *@warn_at (left alone when warn_at is not given). */
static gboolean
read_limits(const InfOptions *fields, InfBudgetLimits *limits, GArray **warn_at, const char *file,
            const char *path, GError **error)
{
  *limits = INF_BUDGET_LIMITS_NONE;
  if (inf_options_has(fields, "max_cost"))
    limits->max_cost = inf_options_get_double(fields, "max_cost");
  if (inf_options_has(fields, "max_requests"))
    limits->max_requests = inf_options_get_int(fields, "max_requests");
  if (inf_options_has(fields, "max_tokens"))
    limits->max_tokens = inf_options_get_int(fields, "max_tokens");
  if (!inf_options_has(fields, "warn_at"))
    return TRUE;
  GArray *fractions = parse_warn_at(inf_options_get_json(fields, "warn_at"), file, path, error);
  if (!fractions)
    return FALSE;
  if (*warn_at)
    g_array_unref(*warn_at);
  *warn_at = fractions;
  return TRUE;
}

static gboolean
expect_object(json_object *json, const char *file, const char *path, const char *what,
              GError **error)
{
  if (json_object_is_type(json, json_type_object))
    return TRUE;
  g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s: expected %s, got %s", file, path, what,
              inf_json_kind_phrase(json));
  return FALSE;
}

static InfBudgetAliasConfig *
parse_alias(const char *alias, json_object *json, const char *file, const char *path,
            GError **error)
{
  if (!expect_object(json, file, path,
                     "an object of limits {\"max_cost\", \"max_requests\", \"max_tokens\", "
                     "\"warn_at\"}",
                     error))
    return NULL;
  g_autoptr(InfOptions) fields = inf_config_fields_parse(alias_fields, json, file, path, error);
  if (!fields)
    return NULL;
  InfBudgetAliasConfig *ac = g_new0(InfBudgetAliasConfig, 1);
  ac->alias = g_strdup(alias);
  if (!read_limits(fields, &ac->limits, &ac->warn_at, file, path, error)) {
    alias_config_free(ac);
    return NULL;
  }
  return ac;
}

/* The aliases block @value at @json_path.aliases into @config. */
static gboolean
parse_aliases(InfBudgetConfig *config, json_object *value, const char *file, const char *json_path,
              GError **error)
{
  g_autofree char *aliases_path = g_strconcat(json_path, ".aliases", NULL);
  if (!expect_object(value, file, aliases_path, "an object mapping aliases to limits", error))
    return FALSE;
  json_object_object_foreach(value, alias, spec)
  {
    g_autofree char *alias_path = g_strconcat(aliases_path, ".", alias, NULL);
    InfBudgetAliasConfig *ac = parse_alias(alias, spec, file, alias_path, error);
    if (!ac)
      return FALSE;
    g_ptr_array_add(config->aliases, ac);
  }
  return TRUE;
}

InfBudgetConfig *
inf_budget_config_parse(json_object *json, const char *file, const char *json_path, GError **error)
{
  if (!expect_object(json, file, json_path,
                     "a budget object {\"max_cost\", \"max_requests\", \"max_tokens\", "
                     "\"warn_at\", \"default_max_tokens\", \"aliases\"}",
                     error))
    return NULL;
  g_autoptr(InfOptions) fields =
      inf_config_fields_parse(budget_fields, json, file, json_path, error);
  if (!fields)
    return NULL;
  g_autoptr(InfBudgetConfig) config = inf_budget_config_new();
  if (!read_limits(fields, &config->limits, &config->warn_at, file, json_path, error))
    return NULL;
  config->default_max_tokens = inf_options_get_int(fields, "default_max_tokens");
  if (inf_options_has(fields, "aliases") &&
      !parse_aliases(config, inf_options_get_json(fields, "aliases"), file, json_path, error))
    return NULL;
  return g_steal_pointer(&config);
}

const InfBudgetAliasConfig *
inf_budget_config_lookup(const InfBudgetConfig *config, const char *alias)
{
  for (guint i = 0; config && alias && i < config->aliases->len; i++) {
    const InfBudgetAliasConfig *ac = g_ptr_array_index(config->aliases, i);
    if (g_str_equal(ac->alias, alias))
      return ac;
  }
  return NULL;
}

static gboolean
limits_set(const InfBudgetLimits *limits)
{
  return limits->max_cost >= 0 || limits->max_requests >= 0 || limits->max_tokens >= 0;
}

gboolean
inf_budget_config_has_limits(const InfBudgetConfig *config)
{
  if (!config)
    return FALSE;
  if (limits_set(&config->limits))
    return TRUE;
  for (guint i = 0; i < config->aliases->len; i++)
    if (limits_set(&((InfBudgetAliasConfig *)g_ptr_array_index(config->aliases, i))->limits))
      return TRUE;
  return FALSE;
}

/* --- estimates --- */

gint64
inf_budget_estimate_tokens(gsize bytes)
{
  return (gint64)((bytes + 2) / 3);
}

void
inf_budget_estimate_request(const InfLlmRequest *request, gint64 default_max_tokens,
                            double input_cost_per_1m, double output_cost_per_1m,
                            InfBudgetAmount *out)
{
  gsize bytes = 0;
  const char *system = inf_llm_request_get_system(request);
  if (system)
    bytes += strlen(system);
  for (guint i = 0; i < inf_llm_request_get_n_messages(request); i++) {
    const char *content = inf_llm_request_get_content(request, i);
    if (content)
      bytes += strlen(content);
  }
  gint64 in = inf_budget_estimate_tokens(bytes);
  gint64 max_tokens = inf_llm_request_get_max_tokens(request);
  gint64 reply = max_tokens > 0 ? max_tokens : default_max_tokens;
  out->requests = 1;
  out->tokens = in + reply;
  out->cost = ((double)in * input_cost_per_1m + (double)reply * output_cost_per_1m) / 1e6;
}

/* --- the ledger --- */

static void
ledger_init(Ledger *ledger, const char *scope, const InfBudgetLimits *limits, GArray *warn_at)
{
  memset(ledger, 0, sizeof *ledger);
  ledger->scope = scope;
  ledger->limits = *limits;
  ledger->warn_at = warn_at;
}

static double
amount_get(const InfBudgetAmount *a, guint which)
{
  return which == 0 ? a->cost : which == 1 ? (double)a->requests : (double)a->tokens;
}

static double
limit_get(const InfBudgetLimits *l, guint which)
{
  return which == 0 ? l->max_cost : which == 1 ? (double)l->max_requests : (double)l->max_tokens;
}

/* The first limit of @ledger that @amount does not fit, or -1. Costs are
 * compared with a relative tolerance of 1e-9 (sums of float prices). */
static gint
ledger_refuses(const Ledger *ledger, const InfBudgetAmount *amount)
{
  for (guint w = 0; w < 3; w++) {
    double limit = limit_get(&ledger->limits, w);
    if (limit < 0)
      continue;
    double total =
        amount_get(&ledger->spent, w) + amount_get(&ledger->reserved, w) + amount_get(amount, w);
    if (total > limit * (1.0 + 1e-9) + (w == 0 ? 1e-12 : 0))
      return (gint)w;
  }
  return -1;
}

static void
amount_add(InfBudgetAmount *to, const InfBudgetAmount *a, double sign)
{
  to->cost += sign * a->cost;
  to->requests += (gint64)sign * a->requests;
  to->tokens = inf_tokens_add(to->tokens, sign > 0 ? a->tokens : -MAX(a->tokens, -G_MAXINT64));
  if (to->cost < 0 && to->cost > -1e-9)
    to->cost = 0;
}

static void
ledger_warn(InfBudget *budget, Ledger *ledger)
{
  if (!ledger->warn_at)
    return;
  for (guint w = 0; w < 3; w++) {
    double limit = limit_get(&ledger->limits, w);
    if (limit <= 0)
      continue;
    double spent = amount_get(&ledger->spent, w);
    while (ledger->warned[w] < ledger->warn_at->len &&
           spent >= g_array_index(ledger->warn_at, double, ledger->warned[w]) * limit) {
      double fraction = g_array_index(ledger->warn_at, double, ledger->warned[w]);
      ledger->warned[w]++;
      if (budget->warn)
        budget->warn(budget, ledger->scope, limit_names[w], fraction, spent, limit,
                     budget->warn_data);
    }
  }
}

static void
format_value(GString *out, guint which, double v)
{
  if (which == 0)
    g_string_append_printf(out, "$%.6g", v);
  else
    g_string_append_printf(out, "%.0f", v);
}

static void
set_reason(InfBudget *budget, const Ledger *ledger, guint which, const InfBudgetAmount *amount)
{
  double limit = limit_get(&ledger->limits, which);
  double used = amount_get(&ledger->spent, which) + amount_get(&ledger->reserved, which);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s ", limit_names[which]);
  format_value(s, which, limit);
  g_string_append_printf(s, " (%s): the next call needs ", ledger->scope);
  format_value(s, which, amount_get(amount, which));
  g_string_append(s, ", ");
  format_value(s, which, MAX(limit - used, 0));
  g_string_append(s, " left");
  budget->reason = g_string_free(s, FALSE);
}

/* --- the budget --- */

static void
account_free(gpointer data)
{
  InfBudgetAccount *account = data;
  g_free(account->alias);
  g_free(account);
}

InfBudget *
inf_budget_new(const InfBudgetConfig *config, const InfBudgetLimits *overrides)
{
  InfBudget *budget = g_new0(InfBudget, 1);
  budget->config = inf_budget_config_new();
  if (config) {
    budget->config->limits = config->limits;
    g_array_append_vals(budget->config->warn_at, config->warn_at->data, config->warn_at->len);
    budget->config->default_max_tokens = config->default_max_tokens;
    for (guint i = 0; i < config->aliases->len; i++) {
      const InfBudgetAliasConfig *src = g_ptr_array_index(config->aliases, i);
      InfBudgetAliasConfig *ac = g_new0(InfBudgetAliasConfig, 1);
      ac->alias = g_strdup(src->alias);
      ac->limits = src->limits;
      if (src->warn_at) {
        ac->warn_at = g_array_new(FALSE, FALSE, sizeof(double));
        g_array_append_vals(ac->warn_at, src->warn_at->data, src->warn_at->len);
      }
      g_ptr_array_add(budget->config->aliases, ac);
    }
  }
  if (overrides) {
    if (overrides->max_cost >= 0)
      budget->config->limits.max_cost = overrides->max_cost;
    if (overrides->max_requests >= 0)
      budget->config->limits.max_requests = overrides->max_requests;
    if (overrides->max_tokens >= 0)
      budget->config->limits.max_tokens = overrides->max_tokens;
  }
  ledger_init(&budget->global, "global", &budget->config->limits, budget->config->warn_at);
  budget->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, account_free);
  return budget;
}

void
inf_budget_free(InfBudget *budget)
{
  if (!budget)
    return;
  g_hash_table_unref(budget->accounts);
  inf_budget_config_free(budget->config);
  g_free(budget->reason);
  g_free(budget);
}

void
inf_budget_set_warn_func(InfBudget *budget, InfBudgetWarnFunc func, gpointer user_data)
{
  budget->warn = func;
  budget->warn_data = user_data;
}

InfBudgetAccount *
inf_budget_get_account(InfBudget *budget, const char *alias)
{
  InfBudgetAccount *account = g_hash_table_lookup(budget->accounts, alias);
  if (account)
    return account;
  account = g_new0(InfBudgetAccount, 1);
  account->alias = g_strdup(alias);
  const InfBudgetAliasConfig *ac = inf_budget_config_lookup(budget->config, alias);
  InfBudgetLimits none = INF_BUDGET_LIMITS_NONE;
  ledger_init(&account->ledger, account->alias, ac ? &ac->limits : &none,
              ac && ac->warn_at ? ac->warn_at : budget->config->warn_at);
  g_hash_table_insert(budget->accounts, account->alias, account);
  return account;
}

gint64
inf_budget_get_default_max_tokens(const InfBudget *budget)
{
  return budget->config->default_max_tokens;
}

gboolean
inf_budget_has_limits(const InfBudget *budget)
{
  return inf_budget_config_has_limits(budget->config);
}

gboolean
inf_budget_reserve(InfBudget *budget, InfBudgetAccount *account, const InfBudgetAmount *amount)
{
  if (budget->exhausted)
    return FALSE;
  const Ledger *ledgers[2] = { account ? &account->ledger : NULL, &budget->global };
  for (guint i = 0; i < 2; i++) {
    if (!ledgers[i])
      continue;
    gint which = ledger_refuses(ledgers[i], amount);
    if (which >= 0) {
      budget->exhausted = TRUE;
      set_reason(budget, ledgers[i], (guint)which, amount);
      return FALSE;
    }
  }
  if (account)
    amount_add(&account->ledger.reserved, amount, 1);
  amount_add(&budget->global.reserved, amount, 1);
  return TRUE;
}

void
inf_budget_settle(InfBudget *budget, InfBudgetAccount *account, const InfBudgetAmount *reserved,
                  const InfBudgetAmount *actual)
{
  if (account) {
    amount_add(&account->ledger.reserved, reserved, -1);
    amount_add(&account->ledger.spent, actual, 1);
  }
  amount_add(&budget->global.reserved, reserved, -1);
  amount_add(&budget->global.spent, actual, 1);
  if (account)
    ledger_warn(budget, &account->ledger);
  ledger_warn(budget, &budget->global);
}

void
inf_budget_add_spent(InfBudget *budget, InfBudgetAccount *account, const InfBudgetAmount *amount)
{
  InfBudgetAmount none = { 0 };
  inf_budget_settle(budget, account, &none, amount);
}

gboolean
inf_budget_is_exhausted(const InfBudget *budget)
{
  return budget->exhausted;
}

const char *
inf_budget_get_exhausted_reason(const InfBudget *budget)
{
  return budget->reason;
}

void
inf_budget_get_spent(const InfBudget *budget, const InfBudgetAccount *account, InfBudgetAmount *out)
{
  *out = account ? account->ledger.spent : budget->global.spent;
}

void
inf_budget_get_reserved(const InfBudget *budget, const InfBudgetAccount *account,
                        InfBudgetAmount *out)
{
  *out = account ? account->ledger.reserved : budget->global.reserved;
}

void
inf_budget_get_limits(const InfBudget *budget, InfBudgetLimits *out)
{
  *out = budget->config->limits;
}

static json_object *
limits_json(const InfBudgetLimits *limits)
{
  json_object *o = json_object_new_object();
  if (limits->max_cost >= 0)
    json_object_object_add(o, "max_cost", json_object_new_double(limits->max_cost));
  if (limits->max_requests >= 0)
    json_object_object_add(o, "max_requests", json_object_new_int64(limits->max_requests));
  if (limits->max_tokens >= 0)
    json_object_object_add(o, "max_tokens", json_object_new_int64(limits->max_tokens));
  return o;
}

static json_object *
amount_json(const InfBudgetAmount *amount)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "cost", json_object_new_double(amount->cost));
  json_object_object_add(o, "requests", json_object_new_int64(amount->requests));
  json_object_object_add(o, "tokens", json_object_new_int64(amount->tokens));
  return o;
}

json_object *
inf_budget_to_json(const InfBudget *budget)
{
  json_object *root = json_object_new_object();
  json_object_object_add(root, "limits", limits_json(&budget->global.limits));
  json_object_object_add(root, "spent", amount_json(&budget->global.spent));
  json_object_object_add(root, "exhausted", json_object_new_boolean(budget->exhausted));
  if (budget->reason)
    json_object_object_add(root, "reason", json_object_new_string(budget->reason));
  json_object *aliases = json_object_new_object();
  g_autoptr(GList) names =
      g_list_sort(g_hash_table_get_keys(budget->accounts), (GCompareFunc)strcmp);
  for (GList *l = names; l; l = l->next) {
    const InfBudgetAccount *account = g_hash_table_lookup(budget->accounts, l->data);
    json_object *a = json_object_new_object();
    json_object_object_add(a, "limits", limits_json(&account->ledger.limits));
    json_object_object_add(a, "spent", amount_json(&account->ledger.spent));
    json_object_object_add(aliases, account->alias, a);
  }
  json_object_object_add(root, "aliases", aliases);
  return root;
}
