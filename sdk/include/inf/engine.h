/* inf-engine SDK — embedding the host.
 *
 * The inf-engine program is a thin wrapper around inf_engine_main(); other
 * programs can embed the same command line. */
#pragma once

#include <inf/macros.h>

G_BEGIN_DECLS

/* Runs the inf-engine command line (`inf-engine run ...`, argv[0] is the
 * program name) to the end and returns its exit status (0 success, 1 some
 * inputs failed, 2 usage or configuration error, as docs/running.md lists).
 * It runs the default GLib main context in the calling thread, which becomes
 * the engine's main loop thread; call it once per process (it installs
 * signal handlers and may reopen closed standard descriptors).
 * @argv: (transfer none) @argc arguments; not modified
 * Thread: the thread that becomes the main loop's
 * Since: 1.0 */
INF_API int inf_engine_main(int argc, char **argv);

G_END_DECLS
