/* Calls to a resource alias from outside the scheduler (losses, backward,
 * optimizer steps): the call waits for a free slot and a rate token of an
 * endpoint of the alias (woken by the resource manager when a slot is given
 * back, or by a timer when the next rate token is due; never by polling),
 * goes through the resource manager (retries, metrics, budget), and is
 * requeued after a 429 until the endpoint's max_rate_limit_wait. A call still
 * waiting when the manager is freed fails with INF_ERROR_CANCELLED. */
#pragma once

#include <inf/inf.h>

#include "resources/manager.h"

G_BEGIN_DECLS

/* Sends @request (transfer full) to @alias of @resources (may be NULL: the
 * call fails as "no resources"). @reply runs exactly once, from the main
 * loop, never before this function returns. */
void inf_alias_call(InfResourceManager *resources, const char *alias, InfLlmRequest *request,
                    InfAliasReplyFunc reply, gpointer user_data);

/* inf_alias_call() made on behalf of @owner (a loss task, an optimizer step)
 * that the caller took a reference of for the call: @release(@owner) drops
 * it once @reply has run. */
void inf_alias_call_for(InfResourceManager *resources, const char *alias, InfLlmRequest *request,
                        InfAliasReplyFunc reply, gpointer user_data, gpointer owner,
                        GDestroyNotify release);

G_END_DECLS
