/* The INF_ERROR domain. */
#include <inf/error.h>

/* The quark name is pasted into a string: keep it as written. */
// clang-format off
G_DEFINE_QUARK(inf-error-quark, inf_error)
// clang-format on

const char *
inf_error_code_name(InfErrorCode code)
{
  switch (code) {
  case INF_ERROR_FAILED:
    return "failed";
  case INF_ERROR_CONFIG:
    return "config";
  case INF_ERROR_PLUGIN:
    return "plugin";
  case INF_ERROR_INVALID_ARGUMENT:
    return "invalid_argument";
  case INF_ERROR_NOT_FOUND:
    return "not_found";
  case INF_ERROR_RATE_LIMITED:
    return "rate_limited";
  case INF_ERROR_TIMEOUT:
    return "timeout";
  case INF_ERROR_TRANSPORT:
    return "transport";
  case INF_ERROR_SERVER:
    return "server";
  case INF_ERROR_HTTP_STATUS:
    return "http_status";
  case INF_ERROR_BAD_RESPONSE:
    return "bad_response";
  case INF_ERROR_CANCELLED:
    return "cancelled";
  case INF_ERROR_INPUT:
    return "input";
  case INF_ERROR_IO:
    return "io";
  }
  return "unknown";
}
