/* inf-engine SDK — the umbrella header: include this one.
 *
 * Build a plugin out of tree with
 *   cc -shared -fPIC $(pkg-config --cflags --libs inf-engine-sdk) my.c -o my.so
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
