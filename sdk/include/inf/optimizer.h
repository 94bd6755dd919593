/* inf-engine SDK — optimizer classes (update parameters from feedback).
 * The run-time entry points are appended by the optimization layer. */
#pragma once

#include <inf/macros.h>
#include <inf/options.h>

G_BEGIN_DECLS

typedef struct _InfOptimizer InfOptimizer;

typedef struct {
  gsize struct_size;
  const char *name;
  const char *description;
  const InfOptionSpec *options;
  gboolean (*init)(InfOptimizer *self, const InfOptions *options, gpointer *out_private,
                   GError **error);
  void (*finalize)(gpointer private_data);
} InfOptimizerClass;

G_END_DECLS
