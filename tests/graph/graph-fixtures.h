/* Test fixtures for the tracer and graphs: tiny module classes and a
 * scripted composite (temp files and the in-tree plugins: inf-test-plugins.h). */
#pragma once

#include <inf/inf.h>

#include "graph/graph.h"
#include "inf-test-plugins.h"

/* Registers the built-in classes plus:
 *  "echo"     atomic, any arguments; option "alias" (string) is its resource alias;
 *  "one"      atomic, declared inputs "text" (required) and "extra";
 *  "scenario" composite; option "scenario" picks a forward() from the table in
 *             graph-fixtures.c, option "children" ([[name, type, {options}], ...])
 *             creates its children. */
InfRegistry *graph_fixtures_registry(void);
/* A "scenario" module with @children_json (a JSON list, may be NULL). */
InfModule *graph_fixtures_scenario(InfRegistry *registry, const char *scenario,
                                   const char *children_json);
/* Traces and asserts success. */
InfGraph *graph_fixtures_trace(InfModule *module, const char *const *inputs);
/* The node ids of @graph (inputs included), joined with ' '. */
char *graph_fixtures_ids(const InfGraph *graph);
/* The dependency ids of node @id, joined with ' '. */
char *graph_fixtures_deps(const InfGraph *graph, const char *id);
/* Asserts that graph_fixtures_ids(@graph) is @expected. */
void graph_fixtures_assert_ids(const InfGraph *graph, const char *expected);
/* Asserts that graph_fixtures_deps(@graph, @id) is @expected. */
void graph_fixtures_assert_deps(const InfGraph *graph, const char *id, const char *expected);
