/* What the in-process benchmark programs share (bench-common.h). */
#include "bench-common.h"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

void
bench_init(Bench *bench, int argc, char **argv, const char *json_path)
{
  bench->which = "all";
  bench->json_path = json_path;
  bench->quick = FALSE;
  for (int i = 1; i < argc; i++) {
    if (g_str_equal(argv[i], "--json") && i + 1 < argc)
      bench->json_path = argv[++i];
    else if (g_str_equal(argv[i], "--quick"))
      bench->quick = TRUE;
    else
      bench->which = argv[i];
  }
  bench->summary = json_object_new_object();
}

gboolean
bench_selected(const Bench *bench, const char *name)
{
  return g_str_equal(bench->which, "all") || g_str_equal(bench->which, name);
}

void
bench_record(Bench *bench, const char *name, const char *key, double value)
{
  json_object *b;
  if (!json_object_object_get_ex(bench->summary, name, &b)) {
    b = json_object_new_object();
    json_object_object_add(bench->summary, name, b);
  }
  json_object_object_add(b, key, json_object_new_double(value));
}

void
bench_finish(Bench *bench)
{
  json_object_to_file_ext(bench->json_path, bench->summary, JSON_C_TO_STRING_PRETTY);
  printf("summary written to %s\n", bench->json_path);
  g_clear_pointer(&bench->summary, json_object_put);
}

static double
current_rss_mb(void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents("/proc/self/statm", &status, NULL, NULL))
    return 0;
  long pages = 0, resident = 0;
  sscanf(status, "%ld %ld", &pages, &resident);
  return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static double
peak_rss_mb(void)
{
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_maxrss / 1024.0;
}

void
bench_run_graph(const char *resources_json, const char *type, guint n, const char *alias,
                const char *input, BenchGraphRun *run)
{
  InfRegistry *registry = inf_registry_new();
  exec_fixtures_register(registry);
  InfPluginLoader *loader = inf_test_load_plugins(registry);
  InfResourcesConfig *config = NULL;
  InfResourceManager *rm = inf_test_resources_new(registry, resources_json, &config);
  g_autofree char *options = g_strdup_printf(
      "{\"n\": %u, \"type\": \"llm-echo\", \"child_options\": {\"alias\": \"%s\"}}", n, alias);
  run->rss_mb = current_rss_mb();
  gint64 start = g_get_monotonic_time();
  InfGraph *graph =
      exec_fixtures_trace(registry, type, options, (const char *const[]){ "x", NULL });
  run->trace_seconds = (double)(g_get_monotonic_time() - start) / 1e6;
  run->n_failed = 0;
  run->run_seconds = exec_fixtures_run_one(graph, rm, input, &run->n_failed);
  run->peak_rss_mb = MAX(peak_rss_mb(), current_rss_mb());
  run->metrics = *inf_resource_alias_get_metrics(inf_resource_manager_lookup(rm, alias));
  run->metrics.alias = NULL;
  run->metrics.finish_reasons = NULL; /* freed with the manager */
  inf_graph_unref(graph);
  inf_resource_manager_free(rm);
  inf_resources_config_free(config);
  inf_plugin_loader_free(loader);
  inf_registry_free(registry);
}
