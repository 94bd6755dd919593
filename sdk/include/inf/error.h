/* inf-engine SDK — the INF_ERROR GError domain.
 *
 * Which code to use. Errors a plugin reports are INF_ERROR errors; the code
 * decides what the engine does with them (retry, requeue, fail the node) and
 * shows in metrics and output files as inf_error_code_name():
 *  - init: INF_ERROR_CONFIG for an option value that is not valid (name the
 *    option; the engine adds the file and JSON path, see "Lifecycle" in
 *    inf/module.h);
 *  - execute / evaluate / step, a "no match"-style failure — the node's
 *    data lacks what the module looks for (a regex that does not match, a
 *    missing JSON member or field, no line or label to extract):
 *    INF_ERROR_INPUT, as the engine itself reports a switch whose cases all
 *    fail to match and a "$node.field" argument whose field is missing;
 *    INF_ERROR_BAD_RESPONSE when what lacks it is an LLM's reply the module
 *    parses (the `llm` module's json mode and json_schema do so);
 *    INF_ERROR_INVALID_ARGUMENT when the node was given the wrong arguments
 *    (a count or kind the module cannot take at all);
 *  - HTTP clients' parse_response: see inf/client.h and
 *    inf_error_code_from_http_status();
 *  - INF_ERROR_FAILED only for what none of the codes describes.
 * Errors of other domains are accepted and shown with the code "failed".
 *
 * Thread: any thread (both functions only read constant data)
 */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* The quark of the INF_ERROR domain, the domain of every error the engine
 * reports.
 * Since: 1.0 */
INF_API GQuark inf_error_quark(void);
#define INF_ERROR (inf_error_quark())

/* Error codes of INF_ERROR. Append only. */
typedef enum {
  INF_ERROR_FAILED,           /* anything not covered below */
  INF_ERROR_CONFIG,           /* invalid configuration (file, JSON path, valid choices) */
  INF_ERROR_PLUGIN,           /* a plugin could not be loaded or registered */
  INF_ERROR_INVALID_ARGUMENT, /* a caller passed a value that is not valid */
  INF_ERROR_NOT_FOUND,        /* a named thing (class, child, parameter) does not exist */
  INF_ERROR_RATE_LIMITED,     /* the backend asked us to slow down (HTTP 429); requeued */
  INF_ERROR_TIMEOUT,          /* a request took longer than its timeout; retried */
  INF_ERROR_TRANSPORT,        /* connection refused, reset, DNS, TLS; retried */
  INF_ERROR_SERVER,           /* a transient server failure (5xx, overloaded); retried */
  INF_ERROR_HTTP_STATUS,      /* a non-retryable HTTP status (4xx other than 408/409/429) */
  INF_ERROR_BAD_RESPONSE,     /* a reply that could not be parsed or lacks required fields */
  INF_ERROR_CANCELLED,        /* cancelled (signal, or an upstream node failed) */
  INF_ERROR_INPUT,            /* a bad input record (invalid JSON, missing input) */
  INF_ERROR_IO,               /* reading or writing a file failed */
} InfErrorCode;

/* A short stable name for a code ("rate_limited", "timeout", ...), used in
 * metrics and output files; "unknown" for a number that is no code.
 * Returns: (transfer none) a static string
 * Since: 1.0 */
INF_API const char *inf_error_code_name(InfErrorCode code);

G_END_DECLS
