/* Test fixtures for the executor: small module classes and composites,
 * traced into real graphs. */
#pragma once

#include <inf/inf.h>

#include "exec/scheduler.h"
#include "graph/tracer-private.h"
#include "inf-test-plugins.h"
#include "resources/endpoint.h"
#include "resources/manager.h"

/* Registers test classes: "echo" (sync: "name(arg0,arg1,...)"), "later"
 * (the same, finished from an idle callback), "boom" (fails), "llm-echo"
 * (calls the LLM of option alias with its first argument), "diamond"
 * (composite), "chain" (composite with option n), "wide" (composite with
 * option n), and "prio" (composite: option priorities list). */
void exec_fixtures_register(InfRegistry *registry);
/* The order in which "echo"/"later" nodes ran (node ids), appended. */
GPtrArray *exec_fixtures_get_log(void);
/* The same as "id@input index". */
GPtrArray *exec_fixtures_get_log_by_input(void);
void exec_fixtures_clear_log(void);
/* Runs one input (the text @text for input 0) through @graph on a new
 * scheduler over @resources (may be NULL) until it is done. Returns the
 * seconds it took; *n_failed (may be NULL) gets its failed and cancelled
 * nodes. */
double exec_fixtures_run_one(InfGraph *graph, InfResourceManager *resources, const char *text,
                             guint *n_failed);
/* Traces module @type (options @options_json) with inputs @inputs. */
InfGraph *exec_fixtures_trace(InfRegistry *registry, const char *type, const char *options_json,
                              const char *const *inputs);
