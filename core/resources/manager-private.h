/* The inside of the resource manager, shared by manager.c (clients,
 * aliases, which endpoint takes a call) and llm-call.c (sending a call:
 * attempts, retries, budget, streamed replies, in-process clients). Internal
 * to core/resources. */
#pragma once

#include "resources/http.h"
#include "resources/manager.h"
#include "resources/rate-limiter.h"

G_BEGIN_DECLS

struct _InfClient {
  InfResourceManager *manager;
  InfResourceAlias *alias;
  const InfEndpointConfig *config;
  const InfClientClass *klass;
  InfOptions *options;
  gpointer priv;
  char *api_key;
  InfRateLimiter *limiter;
  gint in_flight;
  /* class entry points, read once within struct_size */
  void (*finalize)(gpointer);
  gboolean (*build_request)(InfClient *, const InfLlmRequest *, InfHttpRequest *, GError **);
  gboolean (*parse_response)(InfClient *, const InfLlmRequest *, const InfHttpResponse *,
                             InfLlmResponse *, GError **);
  gboolean (*parse_stream_event)(InfClient *, const InfLlmRequest *, const char *, const char *,
                                 InfLlmResponse *, guint *, GError **);
  void (*call)(InfClient *, InfLlmCall *);
  void (*cancel)(InfClient *, InfLlmCall *);
  char *origin;             /* "client class 'NAME', plugin FILE", for messages */
  gboolean misuse_reported; /* a second or late return was reported */
  GQueue pending;           /* InfLlmCall held by the in-process client, oldest first */
  GSource *timeouts;        /* ends pending calls at their deadline (in-process) */
};

struct _InfResourceAlias {
  char *name;
  InfResourceManager *manager;
  GPtrArray *endpoints; /* InfClient * */
  gint in_flight;
  InfMetrics *metrics;
  InfBudgetAccount *account; /* with a budget */
};

struct _InfResourceManager {
  GPtrArray *aliases; /* InfResourceAlias * */
  GHashTable *by_name;
  gint max_total;
  gint in_flight;
  InfHttpSession *http;
  GRand *jitter;
  InfBudget *budget; /* borrowed, or NULL */
  GQueue waiting;    /* InfLlmCall * waiting to retry */
  gboolean no_waits; /* end_waits was called: no more retry waits */
  GHashTable *calls; /* every InfLlmCall not yet completed (a set) */
  InfResponseCache *cache;
  GQueue slot_waits; /* SlotWait *, in the order they registered */
  guint slot_idle;   /* wakes the slot waits after a release; 0: none pending */
  guint64 next_slot_wait;
  GHashTable *husks;     /* InfLlmCall given up while an in-process client holds it (a set) */
  GQueue retired;        /* InfLlmCall returned by in-process clients, oldest first */
  InfRegistry *registry; /* keeps the husks left when the manager goes */
};

/* llm-call.c */

/* Ends every call not yet completed (the manager is being freed): each is
 * settled and reaches its done function as cancelled; a client holding one
 * is told through its cancel hook. */
void inf_llm_calls_cancel_all(InfResourceManager *manager);
/* Before the clients are finalized: the calls the engine gave up on while a
 * client holds them (husks) note which endpoint they belong to. */
void inf_llm_calls_name_husks(InfResourceManager *manager);
/* Once the clients are finalized: the husks a client still holds go to the
 * registry until the plugin is unloaded (a return then is reported, not a
 * use after free); the retired calls are freed. */
void inf_llm_calls_free_husks(InfResourceManager *manager);

G_END_DECLS
