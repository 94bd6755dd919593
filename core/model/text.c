/* Text made safe to quote in messages. */
#include <inf/text.h>

#include <string.h>

char *
inf_text_quote(const char *text, gssize length, gsize max_bytes, const char *secret)
{
  if (text == NULL)
    return g_strdup("");
  gsize size = length < 0 ? strlen(text) : (gsize)length;
  gsize secret_length = secret != NULL ? strlen(secret) : 0;
  gsize shown = MIN(size, max_bytes);
  GString *out = g_string_sized_new(shown + 16);
  gsize i = 0;

  /* Copy the first @max_bytes, replacing the secret wherever it starts
   * before the cut (also when it runs past it: no part of it is shown) and
   * control characters by spaces. */
  while (i < shown) {
    if (secret_length > 0 && text[i] == secret[0] && size - i >= secret_length &&
        memcmp(text + i, secret, secret_length) == 0) {
      g_string_append(out, "[redacted]");
      i += secret_length;
      continue;
    }
    guchar c = (guchar)text[i++];
    g_string_append_c(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
  }

  gsize start = 0;
  while (start < out->len && out->str[start] == ' ')
    start++;
  gsize end = out->len;
  while (end > start && out->str[end - 1] == ' ')
    end--;
  g_string_truncate(out, end);
  g_string_erase(out, 0, (gssize)start);
  if (i < size)
    g_string_append(out, "...");
  char *valid = g_utf8_make_valid(out->str, (gssize)out->len);
  g_string_free(out, TRUE);
  return valid;
}
