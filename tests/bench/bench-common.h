/* What the in-process benchmark programs (bench-engine, bench-limits)
 * share: their command line, the JSON summary their figures go to, and a
 * graph of mock LLM nodes traced and run in this process. */
#pragma once

#include "../exec/exec-fixtures.h"

/* The command line `PROGRAM [WHICH] [--json FILE] [--quick]`. */
typedef struct {
  const char *which;     /* the benchmark to run, or "all" */
  const char *json_path; /* where the summary goes */
  gboolean quick;        /* smaller sizes */
  json_object *summary;  /* the figures: {bench: {key: value}} */
} Bench;

/* Reads the command line into @bench (@json_path when --json is not given)
 * and starts an empty summary. */
void bench_init(Bench *bench, int argc, char **argv, const char *json_path);
/* Whether benchmark @name was asked for (by name or "all"). */
gboolean bench_selected(const Bench *bench, const char *name);
/* Records figure @key of benchmark @name in the summary. */
void bench_record(Bench *bench, const char *name, const char *key, double value);
/* Writes the summary to bench->json_path (saying so) and frees it. */
void bench_finish(Bench *bench);

/* One run of a graph of mock LLM nodes in this process. */
typedef struct {
  double trace_seconds;
  double run_seconds;
  guint n_failed;     /* failed and cancelled nodes */
  double rss_mb;      /* resident before tracing (MB) */
  double peak_rss_mb; /* the peak after the run (MB) */
  InfMetrics metrics; /* of @alias (its name not kept) */
} BenchGraphRun;

/* Traces composite @type ("wide", "chain" of exec-fixtures.h) of @n
 * "llm-echo" nodes calling @alias, with the resources block
 * @resources_json, the test classes and the in-tree plugins, and runs one
 * input through it. */
void bench_run_graph(const char *resources_json, const char *type, guint n, const char *alias,
                     const char *input, BenchGraphRun *run);
