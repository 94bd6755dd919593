/* inf-engine SDK — export macros and common includes.
 *
 * Every public function of libinf-engine is marked INF_API; everything else in
 * the library is hidden (-fvisibility=hidden plus the INF_1.0 version script).
 */
#pragma once

#include <glib.h>

#if defined(INF_COMPILATION)
#define INF_API __attribute__((visibility("default")))
#else
#define INF_API extern
#endif

/* Marks the one symbol a plugin exports (inf_plugin_info). */
#define INF_PLUGIN_EXPORT __attribute__((visibility("default")))
