/* inf-engine SDK — text made safe to show.
 *
 * Thread: any thread (a pure function)
 */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* @text (@length bytes, or NUL-terminated when @length is negative) as one
 * line to quote in an error message: control characters (line breaks, tabs)
 * become spaces, leading and trailing spaces go, only the first @max_bytes
 * are kept ("..." marks the cut), every occurrence of @secret (when neither
 * NULL nor empty) is replaced by "[redacted]" (one starting before the cut is
 * replaced whole), and invalid UTF-8 is repaired. NULL @text gives "".
 * @text: (transfer none) (nullable) the text
 * @secret: (transfer none) (nullable) a secret never to show (an API key)
 * Returns: (transfer full) free with g_free()
 * Since: 1.0 */
INF_API char *inf_text_quote(const char *text, gssize length, gsize max_bytes, const char *secret);

/* Whether @text (@length bytes, or NUL-terminated when @length is negative)
 * is valid UTF-8, exactly as g_utf8_validate_len() (or g_utf8_validate() for
 * a negative @length) decides, but faster on ASCII: runs of ASCII are checked
 * eight bytes at a time, so validating every value stays cheap. With a
 * non-negative @length a NUL byte inside @text makes it invalid, as for
 * g_utf8_validate_len().
 * @text: (transfer none) the bytes to check
 * Thread: any thread
 * Since: 1.1 */
INF_API gboolean inf_text_validate_utf8(const char *text, gssize length);

G_END_DECLS
