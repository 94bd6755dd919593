/* inf-engine SDK — the umbrella header: include this one.
 *
 * Build a plugin out of tree with
 *   cc -shared -fPIC $(pkg-config --cflags --libs inf-engine-sdk) my.c -o my.so
 *
 * How to read these headers
 * =========================
 * The headers are the whole contract between a plugin and the engine: what
 * a comment here does not promise, a plugin must not rely on.
 *
 * Notation. Every INF_API function is preceded by one comment:
 *
 *   What it does, in sentences; its errors; the lifetime of what it returns.
 *   @name: (transfer none) (nullable) what the parameter is
 *   Returns: (transfer full) (nullable) what it returns
 *   Thread: main loop
 *   Since: 1.1
 *
 *  - (transfer none) on a parameter: the function only borrows it for the
 *    call (or copies / references it itself, as the comment says); the
 *    caller keeps its ownership. (transfer full): ownership moves to the
 *    callee, which frees it (even on error); the caller must not touch it
 *    afterwards.
 *  - (transfer none) on a return: borrowed, owned by the object it came
 *    from and valid as long as the comment says (at most as long as that
 *    object, and only until that object is changed). (transfer full): the
 *    caller owns it and frees it with the function the comment names
 *    (g_free, g_strfreev, json_object_put, inf_value_unref, ...).
 *  - (nullable): NULL is allowed (a parameter) or possible (a return), with
 *    the meaning the comment gives. Without it, NULL is a programming error
 *    (a bug in the plugin, never a way to report a failure): most functions
 *    log a g_critical() and return 0, FALSE or NULL without doing anything;
 *    do not count on that.
 *  - (out): the parameter is a place the function stores a result in.
 *  - The first parameter of inf_NOUN_*() functions, the object the function
 *    acts on (InfTask *task of inf_task_*, InfValue *value of inf_value_*,
 *    ...), is (transfer none) and not NULL unless its comment says otherwise;
 *    it has no @ line of its own. A GError **error is GLib's usual out
 *    parameter: NULL to ignore the error, else a location holding NULL, set
 *    exactly when the function reports failure (FALSE or NULL).
 *  - Pointer parameters, returns and scalars are documented only where they
 *    say more than their type; "Returns:" is given for pointer returns.
 *
 * Threading. The engine runs one GLib main loop, in the thread that called
 * inf_engine_main() (the default main context, g_main_context_default()).
 * Every SDK function, and every class callback the engine calls (init,
 * finalize, execute, forward, build_request, parse_response, call, evaluate,
 * step, backward, ...), runs in that thread; objects (values, parameters,
 * modules, tasks, requests, responses) are not thread-safe and reference
 * counts are not atomic. A plugin that uses threads of its own hands results
 * back to the main loop (g_idle_add(), g_main_context_invoke()) and calls
 * the SDK only from there. "Finish later" in the comments means from a
 * callback of that main loop (an idle, a timeout, an I/O watch). Each header
 * says "Thread: main loop" once at its top for all of its functions; a
 * function that differs says so itself.
 *
 * Ownership of plugin objects. Class structs (InfModuleClass,
 * InfClientClass, InfLossClass, InfOptimizerClass) and the option and input
 * tables they point to are borrowed by the registry for the life of the
 * plugin: static const storage. A class's init receives a place for its
 * private data; finalize frees it (see "Lifecycle" in inf/module.h for the
 * rules shared by every class kind).
 *
 * Versioning. The ABI is versioned INF_ABI_MAJOR.INF_ABI_MINOR (inf/version.h).
 * "Since: 1.0" marks what the first ABI had; "Since: 1.1" what ABI 1.1
 * added (a plugin using it needs a host of ABI 1.1 or later; the host
 * refuses a plugin built against a newer minor than its own). The ABI grows
 * by appending only:
 *  - functions are added, never removed or changed incompatibly;
 *  - class structs begin with `gsize struct_size` (set it to sizeof(the
 *    struct) as the plugin was built); fields are appended at their end,
 *    never reordered; the host reads only the fields that fit in the
 *    plugin's struct_size, so a plugin built for 1.0 simply lacks the 1.1
 *    callbacks, and a class whose struct_size is smaller than the 1.0 fields
 *    is refused when it is registered;
 *  - table structs of which plugins pass arrays (InfOptionSpec,
 *    InfInputSpec, InfSwitchCase) carry no struct_size: the host could not
 *    tell the size of one entry, so their layout is frozen for ABI 1 — no
 *    field is ever appended to them while the major is 1; what they lack
 *    comes as new functions, new enum values or new class fields;
 *  - enums (error codes, option types, value kinds) get values appended at
 *    the end; handle unknown values (a default: case).
 */
#pragma once

#include <inf/backward.h>
#include <inf/client.h>
#include <inf/engine.h>
#include <inf/error.h>
#include <inf/feedback.h>
#include <inf/heap.h>
#include <inf/http.h>
#include <inf/json-schema.h>
#include <inf/json-util.h>
#include <inf/llm.h>
#include <inf/log.h>
#include <inf/loss.h>
#include <inf/macros.h>
#include <inf/module.h>
#include <inf/optimizer.h>
#include <inf/options.h>
#include <inf/parameter.h>
#include <inf/plugin.h>
#include <inf/registry.h>
#include <inf/task.h>
#include <inf/text.h>
#include <inf/tracer.h>
#include <inf/value.h>
#include <inf/version.h>
