/* inf-engine SDK — text made safe to show. */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* @text (@length bytes, or NUL-terminated when @length is negative) as one
 * line to quote in an error message: control characters (line breaks, tabs)
 * become spaces, leading and trailing spaces go, only the first @max_bytes
 * are kept ("..." marks the cut), every occurrence of @secret (when neither
 * NULL nor empty) is replaced by "[redacted]" (one starting before the cut is
 * replaced whole), and invalid UTF-8 is repaired. NULL @text gives "".
 * Free with g_free. */
INF_API char *inf_text_quote(const char *text, gssize length, gsize max_bytes, const char *secret);

G_END_DECLS
