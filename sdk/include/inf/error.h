/* inf-engine SDK — the INF_ERROR GError domain. */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* INF_ERROR: the error domain of every error the engine reports. */
#define INF_ERROR (inf_error_quark())
INF_API GQuark inf_error_quark(void);

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
 * metrics and output files. */
INF_API const char *inf_error_code_name(InfErrorCode code);

G_END_DECLS
