/* Calls to a resource alias from losses, backward and optimizer steps.
 *
 * A call that has to wait (for its first start, a rate limiter's next token
 * or after a 429) holds a timer and also a slot wait of the resource
 * manager: the manager cancels its slot waits when it is freed, so a run that
 * ends while a call waits fails the call instead of leaving a timer that
 * would touch the freed manager. */
#include "optim/alias-call.h"

typedef struct {
  InfResourceManager *resources;
  InfResourceAlias *alias;
  char *alias_name;
  InfLlmRequest *request;
  InfAliasReplyFunc reply;
  gpointer user_data;
  gpointer owner;         /* the call holds a reference (or NULL) */
  GDestroyNotify release; /* drops it, after the reply */
  InfClient *endpoint;
  GError *error;           /* set: fail from an idle */
  gint64 first_limited_us; /* 0: not rate limited yet */
  guint timer;             /* a pending start (0: none) */
  guint64 wait_id;         /* the slot wait held with it (0: none) */
} AliasCall;

static void
alias_call_free(AliasCall *call)
{
  if (call->release)
    call->release(call->owner);
  g_free(call->alias_name);
  inf_llm_request_unref(call->request);
  g_clear_error(&call->error);
  g_free(call);
}

static gboolean fail_idle(gpointer data);
static void schedule_start(AliasCall *call, gint64 delay_us);

static void
sent(const InfLlmResponse *response, const GError *error, gpointer user_data)
{
  AliasCall *call = user_data;
  InfClient *endpoint = call->endpoint;
  inf_resource_alias_release(call->alias, endpoint);
  call->endpoint = NULL;
  if (error && g_error_matches(error, INF_ERROR, INF_ERROR_RATE_LIMITED)) {
    gint64 now = g_get_monotonic_time();
    if (!call->first_limited_us)
      call->first_limited_us = now;
    if (now - call->first_limited_us <=
        inf_resource_endpoint_get_max_rate_limit_wait_us(endpoint)) {
      schedule_start(call, 0);
      return;
    }
  }
  call->reply(error ? NULL : response, error, call->user_data);
  alias_call_free(call);
}

static void try_start(AliasCall *call);

/* A slot was given back (or the manager is going away). */
static void
slot_freed(gboolean cancelled, gpointer data)
{
  AliasCall *call = data;
  call->wait_id = 0;
  if (call->timer) {
    g_source_remove(call->timer);
    call->timer = 0;
  }
  if (!cancelled) {
    try_start(call);
    return;
  }
  g_autoptr(GError) error = g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                                        "alias '%s': cancelled while waiting for a free slot: "
                                        "the run ended",
                                        call->alias_name);
  call->reply(NULL, error, call->user_data);
  alias_call_free(call);
}

static void
try_start(AliasCall *call)
{
  gint64 now = g_get_monotonic_time();
  gint64 wait_us = 0;
  InfClient *endpoint = inf_resource_alias_pick(call->alias, now, &wait_us);
  if (!endpoint) {
    /* Only rate limiters block: wake when the next token is due. Else every
     * endpoint is busy: wake when any slot is given back (by a scheduler
     * node or another call), no polling. */
    if (wait_us > 0)
      schedule_start(call, wait_us);
    else
      call->wait_id = inf_resource_manager_wait_slot(call->resources, slot_freed, call);
    return;
  }
  inf_resource_alias_reserve(call->alias, endpoint, now);
  call->endpoint = endpoint;
  inf_resource_manager_send(call->resources, endpoint, call->request, sent, call);
}

static gboolean
start_source(gpointer data)
{
  AliasCall *call = data;
  call->timer = 0;
  inf_resource_manager_cancel_slot_wait(call->resources, call->wait_id);
  call->wait_id = 0;
  try_start(call);
  return G_SOURCE_REMOVE;
}

/* Starts @call after @delay_us (0: from an idle), or earlier when a slot is
 * given back; fails it when the manager is freed first (slot_freed). */
static void
schedule_start(AliasCall *call, gint64 delay_us)
{
  if (delay_us > 0)
    call->timer = g_timeout_add((guint)MAX(1, (delay_us + 999) / 1000), start_source, call);
  else
    call->timer = g_idle_add(start_source, call);
  call->wait_id = inf_resource_manager_wait_slot(call->resources, slot_freed, call);
}

static gboolean
fail_idle(gpointer data)
{
  AliasCall *call = data;
  call->reply(NULL, call->error, call->user_data);
  alias_call_free(call);
  return G_SOURCE_REMOVE;
}

void
inf_alias_call(InfResourceManager *resources, const char *alias, InfLlmRequest *request,
               InfAliasReplyFunc reply, gpointer user_data)
{
  inf_alias_call_for(resources, alias, request, reply, user_data, NULL, NULL);
}

void
inf_alias_call_for(InfResourceManager *resources, const char *alias, InfLlmRequest *request,
                   InfAliasReplyFunc reply, gpointer user_data, gpointer owner,
                   GDestroyNotify release)
{
  g_return_if_fail(request != NULL && reply != NULL);
  AliasCall *call = g_new0(AliasCall, 1);
  call->resources = resources;
  call->alias_name = g_strdup(alias ? alias : "");
  call->request = request;
  call->reply = reply;
  call->user_data = user_data;
  call->owner = owner;
  call->release = release;
  if (!resources) {
    call->error =
        g_error_new(INF_ERROR, INF_ERROR_CONFIG,
                    "alias '%s': no resources are configured for this run", call->alias_name);
  } else if (!(call->alias = inf_resource_manager_lookup(resources, call->alias_name))) {
    GString *known = g_string_new(NULL);
    for (guint i = 0; i < inf_resource_manager_get_n_aliases(resources); i++)
      g_string_append_printf(
          known, "%s%s", i ? ", " : "",
          inf_resource_alias_get_name(inf_resource_manager_get_alias(resources, i)));
    call->error =
        g_error_new(INF_ERROR, INF_ERROR_CONFIG, "alias '%s' is not configured; known aliases: %s",
                    call->alias_name, known->len ? known->str : "(none)");
    g_string_free(known, TRUE);
  }
  if (call->error)
    g_idle_add(fail_idle, call);
  else
    schedule_start(call, 0);
}
