/* InfResourceManager — the LLM side of a run: one InfClient per endpoint,
 * pools per alias (least in flight), per-endpoint concurrency limits and rate
 * limiters, a global cap, retries of transient errors, metrics.
 *
 * The scheduler asks for capacity (inf_resource_alias_pick), reserves a slot
 * (inf_resource_alias_reserve) before it runs an LLM node, and the module's
 * inf_task_call_llm() sends through inf_resource_manager_send(). A
 * rate-limited attempt is reported back (INF_ERROR_RATE_LIMITED) so the
 * scheduler requeues the node; transient errors are retried here. */
#pragma once

#include <inf/inf.h>

#include "resources/budget.h"
#include "resources/endpoint.h"
#include "resources/metrics.h"
#include "resources/response-cache.h"

G_BEGIN_DECLS

typedef struct _InfResourceManager InfResourceManager;
typedef struct _InfResourceAlias InfResourceAlias;

/* Called once per send: @response on success, else @error (borrowed). */
typedef void (*InfLlmDoneFunc)(const InfLlmResponse *response, const GError *error,
                               gpointer user_data);

/* What one attempt of a call came to, for observers (tracing). Valid during
 * the observer call only. */
typedef struct {
  const char *alias;
  guint attempt;                  /* 0 for the first attempt of a send */
  guint http_status;              /* the reply's status; 0: no HTTP reply (in process, transport) */
  const GError *error;            /* NULL: success */
  const InfLlmResponse *response; /* on success */
  gint64 input_tokens;            /* as the reply reported (error replies too) */
  gint64 output_tokens;
  double cost;           /* USD for those tokens, at the endpoint's prices */
  gint64 retry_after_ms; /* the server's hint; < 0: none */
  gint64 retry_in_ms;    /* >= 0: retried after this delay; < 0: not retried */
} InfLlmAttempt;

/* Called at the end of every attempt of an observed send, before its done
 * callback (or its retry is scheduled), with the send's user_data. */
typedef void (*InfLlmAttemptFunc)(gpointer user_data, const InfLlmAttempt *attempt);

/* Creates a client per endpoint. Fails when an endpoint's API key variable is
 * unset or empty (naming the alias and the variable) or a client's init
 * fails. @config must outlive the manager. */
InfResourceManager *inf_resource_manager_new(const InfResourcesConfig *config,
                                             InfRegistry *registry, GError **error);
void inf_resource_manager_free(InfResourceManager *manager);

/* Enforces @budget (borrowed; NULL: none) on every attempt from now on:
 * each reserves its estimate before it is sent and settles when it ends. A
 * refused attempt is not sent; it reaches the send's done function as
 * INF_BUDGET_ERROR_EXHAUSTED (from the main loop). */
void inf_resource_manager_set_budget(InfResourceManager *manager, InfBudget *budget);
InfBudget *inf_resource_manager_get_budget(const InfResourceManager *manager);

InfResourceAlias *inf_resource_manager_lookup(InfResourceManager *manager, const char *alias);
guint inf_resource_manager_get_n_aliases(const InfResourceManager *manager);
InfResourceAlias *inf_resource_manager_get_alias(InfResourceManager *manager, guint index);
/* LLM calls in flight across all aliases. */
gint inf_resource_manager_get_in_flight(const InfResourceManager *manager);

const char *inf_resource_alias_get_name(const InfResourceAlias *alias);
InfMetrics *inf_resource_alias_get_metrics(InfResourceAlias *alias);
gint inf_resource_alias_get_in_flight(const InfResourceAlias *alias);
/* The alias's current rate (sum over its endpoints; 0: unlimited). */
double inf_resource_alias_get_rate(const InfResourceAlias *alias);

/* An endpoint of @alias that may start a call now (free slot under the
 * endpoint, alias-independent global cap, and rate limiter), least in flight
 * first; or NULL, with *wait_us > 0 when only rate limiters block (the time
 * until one may start) and 0 when it must wait for a call to finish. */
InfClient *inf_resource_alias_pick(InfResourceAlias *alias, gint64 now_us, gint64 *wait_us);
/* Whether every endpoint of @alias is held back by a wait its server asked
 * for (a 429's Retry-After or rate-limit reset) at @now_us. */
gboolean inf_resource_alias_is_blocked(const InfResourceAlias *alias, gint64 now_us);
/* Takes a slot and a rate token of @endpoint. */
void inf_resource_alias_reserve(InfResourceAlias *alias, InfClient *endpoint, gint64 now_us);
/* Gives the slot back. */
void inf_resource_alias_release(InfResourceAlias *alias, InfClient *endpoint);
/* Gives the slot and the rate token back: the reserved call was not sent
 * (the response cache answered it). */
void inf_resource_alias_unreserve(InfResourceAlias *alias, InfClient *endpoint);

/* Called when a slot was given back (@cancelled FALSE: pick again; the slot
 * may have been taken meanwhile, then wait again) or when the manager is
 * freed (@cancelled TRUE: give up). */
typedef void (*InfResourceSlotFunc)(gboolean cancelled, gpointer user_data);
/* Calls @func once, from an idle on the main loop, after the next release of
 * any endpoint's slot (inf_resource_alias_release or _unreserve): how a call
 * waiting for a free slot learns, without polling, that it may pick again.
 * Waiters are woken in the order they registered. Returns an id for
 * inf_resource_manager_cancel_slot_wait (never 0). */
guint64 inf_resource_manager_wait_slot(InfResourceManager *manager, InfResourceSlotFunc func,
                                       gpointer user_data);
/* Forgets the wait @id (0 and waits that already ran are ignored). */
void inf_resource_manager_cancel_slot_wait(InfResourceManager *manager, guint64 id);
/* Waits registered and not yet woken (for tests). */
guint inf_resource_manager_get_n_slot_waits(const InfResourceManager *manager);
/* The endpoint's configuration (provider, model, prices). */
const InfEndpointConfig *inf_resource_endpoint_get_config(const InfClient *endpoint);

/* The run's response cache (taken; NULL: none). Set before the first call. */
void inf_resource_manager_set_cache(InfResourceManager *manager, InfResponseCache *cache);
/* NULL when the run has none. */
InfResponseCache *inf_resource_manager_get_cache(InfResourceManager *manager);

/* Sends @request (borrowed; kept alive by a reference) to @endpoint, retrying
 * transient errors up to the endpoint's max_retries with exponential backoff
 * and jitter. A 429 is not retried here: it reaches @done as
 * INF_ERROR_RATE_LIMITED after the limiter backed off. The slot stays
 * reserved until the caller releases it. */
void inf_resource_manager_send(InfResourceManager *manager, InfClient *endpoint,
                               InfLlmRequest *request, InfLlmDoneFunc done, gpointer user_data);
/* The same, and @observe (may be NULL) sees every attempt (for tracing).
 * @out_call (may be NULL) is set to the call before its first attempt
 * starts, for inf_llm_call_cancel(); it follows the call (a call that an
 * in-process client gave up on goes on in a copy) and is set to NULL when
 * the call is freed, after @done ran (which may be before this returns). */
void inf_resource_manager_send_observed(InfResourceManager *manager, InfClient *endpoint,
                                        InfLlmRequest *request, InfLlmDoneFunc done,
                                        InfLlmAttemptFunc observe, gpointer user_data,
                                        InfLlmCall **out_call);
/* Ends @call now, as the end of a run does: a request in flight is
 * abandoned (its connection closed), an in-process client is told through
 * its cancel hook (its late return is dropped), a retry wait ends; the
 * budget reservation is settled and @done runs before this returns, with
 * INF_ERROR_CANCELLED "alias 'A': cancelled: @reason". */
void inf_llm_call_cancel(InfLlmCall *call, const char *reason);

/* The models of @alias's endpoints, comma-separated (caller owns). */
char *inf_resource_alias_describe_models(const InfResourceAlias *alias);

/* The endpoint's max_rate_limit_wait in µs: how long one node may keep
 * waiting on its 429s before it fails. */
gint64 inf_resource_endpoint_get_max_rate_limit_wait_us(const InfClient *endpoint);
/* Ends every call waiting to retry (the first SIGINT/SIGTERM): each fails
 * with INF_ERROR_CANCELLED naming its last error, and from now on a failed
 * attempt is not retried. Requests in flight go on. */
void inf_resource_manager_end_waits(InfResourceManager *manager);
/* A duration as Go writes it ("10m0s", "1h0m0s", "1.5s", "200ms"); free with
 * g_free. */
char *inf_format_duration_us(gint64 us);

/* The name of @client's class ("openai"), for messages. */
const char *inf_client_get_class_name(const InfClient *client);

/* {"aliases": {name: metrics}} plus totals (caller owns). */
json_object *inf_resource_manager_metrics_json(InfResourceManager *manager);

G_END_DECLS
