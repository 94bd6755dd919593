/* Text made safe to quote in messages. */
#include <inf/text.h>

#include <string.h>

gboolean
inf_text_validate_utf8(const char *text, gssize length)
{
  g_return_val_if_fail(text != NULL, FALSE);
  gsize size = length < 0 ? strlen(text) : (gsize)length;
  gsize i = 0;
  /* ASCII eight bytes at a time; the rest (from the first word with a byte
   * of 0x80 or more, or a NUL, which GLib rejects) goes to GLib. */
  const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);
  while (size - i >= 8) {
    guint64 word;
    memcpy(&word, text + i, sizeof word);
    if ((word & highs) || ((word - ones) & ~word & highs))
      break;
    i += 8;
  }
  return g_utf8_validate_len(text + i, size - i, NULL);
}

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
