/* inf-engine SDK — embedding the host.
 *
 * The inf-engine program is a thin wrapper around inf_engine_main(); other
 * programs can embed the same command line. */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* Runs the inf-engine command line (`inf-engine run ...`). Returns the exit
 * status. */
INF_API int inf_engine_main(int argc, char **argv);

G_END_DECLS
