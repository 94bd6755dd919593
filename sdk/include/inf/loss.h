/* inf-engine SDK — loss classes (evaluators producing feedback).
 * The run-time entry points are appended by the optimization layer. */
#pragma once

#include <inf/macros.h>
#include <inf/options.h>

G_BEGIN_DECLS

typedef struct _InfLoss InfLoss;

typedef struct {
  gsize struct_size;
  const char *name;
  const char *description;
  const InfOptionSpec *options;
  gboolean (*init)(InfLoss *self, const InfOptions *options, gpointer *out_private,
                   GError **error);
  void (*finalize)(gpointer private_data);
} InfLossClass;

G_END_DECLS
