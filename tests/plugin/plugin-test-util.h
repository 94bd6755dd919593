/* Helpers shared by the plugin tests: temp dirs, copies, the built files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new empty directory under the system temp dir (outside the source
 * tree); remove it with plugin_test_rmdir(). */
char *plugin_test_mkdtemp(void);
/* Removes @dir and everything in it. */
void plugin_test_rmdir(const char *dir);
/* Copies @src to @dir/@name; returns the new path. */
char *plugin_test_copy(const char *src, const char *dir, const char *name);
/* Writes @text to @dir/@name; returns the new path. */
char *plugin_test_write_text(const char *dir, const char *name, const char *text);
/* Writes @len pseudo-random bytes (fixed seed) to @dir/@name. */
char *plugin_test_write_garbage(const char *dir, const char *name, gsize len);
/* The path of test plugin @name ("good") built next to the test. */
char *plugin_test_plugin(const char *name);
/* Whether @haystack contains @needle; fails the test with both otherwise. */
#define plugin_test_assert_contains(haystack, needle)                            \
  G_STMT_START                                                                   \
  {                                                                              \
    const char *h_ = (haystack), *n_ = (needle);                                 \
    if (h_ == NULL || strstr(h_, n_) == NULL)                                    \
      g_error("%s:%d: expected to find\n  %s\nin\n  %s", __FILE__, __LINE__, n_, \
              h_ ? h_ : "(null)");                                               \
  }                                                                              \
  G_STMT_END

G_END_DECLS
