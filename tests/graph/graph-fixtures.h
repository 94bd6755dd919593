/* Test fixtures for the tracer, graphs and configs: tiny module classes, a
 * scripted composite, temp files and the in-tree plugins. */
#pragma once

#include <inf/inf.h>

#include "graph/graph.h"
#include "plugin/loader.h"

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

/* Loads the in-tree plugins from INF_PLUGIN_PATH into @registry (skips the
 * test when it is not set). */
InfPluginLoader *graph_fixtures_load_plugins(InfRegistry *registry);
/* Writes @contents to @name in @dir; returns the path. */
char *graph_fixtures_write(const char *dir, const char *name, const char *contents);

/* Removes @dir and everything in it (links are removed, not followed). */
void graph_fixtures_remove_dir(const char *dir);

/* A temp dir plus a registry with the built-ins and the in-tree plugins, for
 * tests that load config files (g_test_add fixture functions). */
typedef struct {
  char *dir;
  InfRegistry *registry;
  InfPluginLoader *loader;
} GraphConfigFixture;

void graph_config_fixture_setup(GraphConfigFixture *f, gconstpointer data);
void graph_config_fixture_teardown(GraphConfigFixture *f, gconstpointer data);
