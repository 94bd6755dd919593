/* inf-engine benchmarks (run on demand, not in the test suite).
 *
 *   bench-engine [w1a|w1b|w1c|w1s|w1k|w1-cache|trace|w2|w3|all] [--json FILE] [--quick]
 *
 * W1 runs the real `inf-engine run` program (env INF_ENGINE) on a diamond
 * pipeline over the mock client and measures wall time and the child's peak
 * RSS (wait4). W2 and W3 trace and run in process, so tracing and scheduling
 * are timed apart. Every figure is printed with its ratio to the target or
 * the ideal, and all are written as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"

static Bench bench;
static char *tmpdir;

static const char *w1_config =
    "{\"resources\": {\"max_inflight_graphs\": %d, \"endpoints\": {\n"
    "  \"fast\": {\"provider\": \"mock\", \"latency_ms\": %d, \"max_concurrent\": %d},\n"
    "  \"smart\": {\"provider\": \"mock\", \"latency_ms\": %d, \"max_concurrent\": %d}}},\n"
    " \"modules\": {\n"
    "  \"fast\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
    "  \"smart\": {\"type\": \"llm\", \"alias\": \"smart\"},\n"
    "  \"join\": {\"type\": \"template\", \"template\": \"{0} | {1} | {2}\"},\n"
    "  \"w1\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "    \"summary\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"
    "    \"keywords\": {\"module\": \"fast\", \"args\": [\"$summary\"]},\n"
    "    \"sentiment\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"
    "    \"notes\": {\"module\": \"join\", \"args\": [\"$summary\", \"$keywords\", "
    "\"$sentiment\"]},\n"
    "    \"report\": {\"module\": \"smart\", \"args\": [\"$notes\"]}},\n"
    "   \"outputs\": {\"report\": \"$report\", \"sentiment\": \"$sentiment\"}}},\n"
    " \"main\": \"w1\"}\n";

/* W1s: the W1 diamond behind a two-way switch on the input's "route"
 * (a → the diamond, b → a second copy of it): every input executes 5 nodes
 * and skips 5. */
static const char *w1s_config =
    "{\"resources\": {\"max_inflight_graphs\": %d, \"endpoints\": {\n"
    "  \"fast\": {\"provider\": \"mock\", \"latency_ms\": 0},\n"
    "  \"smart\": {\"provider\": \"mock\", \"latency_ms\": 0}}},\n"
    " \"modules\": {\n"
    "  \"fast\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
    "  \"smart\": {\"type\": \"llm\", \"alias\": \"smart\"},\n"
    "  \"join\": {\"type\": \"template\", \"template\": \"{0} | {1} | {2}\"},\n"
    "  \"w1\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "    \"summary\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"
    "    \"keywords\": {\"module\": \"fast\", \"args\": [\"$summary\"]},\n"
    "    \"sentiment\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"
    "    \"notes\": {\"module\": \"join\", \"args\": [\"$summary\", \"$keywords\", "
    "\"$sentiment\"]},\n"
    "    \"report\": {\"module\": \"smart\", \"args\": [\"$notes\"]}},\n"
    "   \"outputs\": {\"report\": \"$report\", \"sentiment\": \"$sentiment\"}},\n"
    "  \"routed\": {\"type\": \"graph\", \"inputs\": [\"text\", \"route\"], \"nodes\": {\n"
    "    \"w\": {\"switch\": \"$route\", \"cases\": [\n"
    "      {\"match\": \"a\", \"module\": \"w1\", \"args\": [\"$text\"]},\n"
    "      {\"match\": \"b\", \"module\": \"w1\", \"args\": [\"$text\"]}]}},\n"
    "   \"outputs\": \"$w\"}},\n"
    " \"main\": \"%s\"}\n";

/* The W1 inputs (n of them, in tmpdir, written once), with "route": "a"
 * and "b" alternating when @routed. */
static char *
write_inputs(guint64 n, gboolean routed)
{
  g_autofree char *name =
      g_strdup_printf("%s-%" G_GUINT64_FORMAT ".jsonl", routed ? "routed" : "inputs", n);
  char *path = g_build_filename(tmpdir, name, NULL);
  if (g_file_test(path, G_FILE_TEST_EXISTS))
    return path;
  FILE *f = fopen(path, "w");
  g_assert_nonnull(f);
  for (guint64 i = 0; i < n; i++) {
    fprintf(f,
            "{\"text\": \"Input %" G_GUINT64_FORMAT " talks about a product launch, its price and "
            "the first reviews from customers.\"",
            i);
    if (routed)
      fprintf(f, ", \"route\": \"%s\"", i % 2 ? "b" : "a");
    fprintf(f, "}\n");
  }
  fclose(f);
  return path;
}

typedef struct {
  double seconds;
  double cpu_seconds; /* user + system */
  double peak_rss_mb;
  int status;
} Child;

static Child
run_child(char **argv)
{
  Child c = { 0 };
  gint64 start = g_get_monotonic_time();
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  wait4(pid, &status, 0, &usage);
  c.seconds = (double)(g_get_monotonic_time() - start) / 1e6;
  c.peak_rss_mb = (double)usage.ru_maxrss / 1024.0;
  c.cpu_seconds = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

/* Runs `inf-engine run CONFIG --input @inputs --quiet ARGS...` as a child,
 * @config_text written to tmpdir/@config_name; @label names it when it
 * fails. */
static Child
run_config(const char *label, const char *config_name, const char *config_text, const char *inputs,
           const char *const *args)
{
  g_autofree char *config = g_build_filename(tmpdir, config_name, NULL);
  g_file_set_contents(config, config_text, -1, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *fixed[] = { g_getenv("INF_ENGINE"), "run", config, "--input", inputs, "--quiet" };
  for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
    g_ptr_array_add(argv, (char *)fixed[i]);
  for (const char *const *a = args; *a != NULL; a++)
    g_ptr_array_add(argv, (char *)*a);
  g_ptr_array_add(argv, NULL);
  Child c = run_child((char **)argv->pdata);
  if (c.status != 0)
    g_printerr("%s: inf-engine exited with %d\n", label, c.status);
  return c;
}

/* W1 on @n inputs with the mock at @latency_ms and @concurrency per alias,
 * --max-inflight @inflight and @extra arguments (NULL-terminated, may be
 * NULL). */
static Child
run_w1_with(const char *label, guint64 n, int latency_ms, int concurrency, int inflight,
            const char *const *extra)
{
  g_autofree char *config_text =
      g_strdup_printf(w1_config, inflight, latency_ms, concurrency, latency_ms, concurrency);
  g_autofree char *inputs = write_inputs(n, FALSE);
  g_autofree char *inflight_text = g_strdup_printf("%d", inflight);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_ptr_array_add(args, "--max-inflight");
  g_ptr_array_add(args, inflight_text);
  for (const char *const *e = extra; e && *e; e++)
    g_ptr_array_add(args, (char *)*e);
  g_ptr_array_add(args, NULL);
  return run_config(label, "w1.json", config_text, inputs, (const char *const *)args->pdata);
}

static Child
run_w1(const char *label, guint64 n, int latency_ms, int concurrency, int inflight)
{
  return run_w1_with(label, n, latency_ms, concurrency, inflight, NULL);
}

/* W1 at zero latency with @extra arguments (NULL-terminated, may be
 * empty) after the usual ones. */
static Child
run_w1_extra(const char *label, guint64 n, const char *const *extra)
{
  g_autofree char *config_text = g_strdup_printf(w1_config, 1024, 0, 0, 0, 0);
  g_autofree char *inputs = write_inputs(n, FALSE);
  return run_config(label, "w1.json", config_text, inputs, extra);
}

/* Trace overhead: W1 with and without --trace-out (and with
 * --trace-sample 100), alternating, best of three each, in wall and CPU
 * time (CPU time is steadier on a loaded machine); and the trace's size per
 * node execution. */
static void
bench_trace(void)
{
  guint64 n = bench.quick ? 20000 : 100000;
  double nodes = (double)n * 5;
  g_autofree char *trace = g_build_filename(tmpdir, "w1-trace.json", NULL);
  const char *const none[] = { NULL };
  const char *const full[] = { "--trace-out", trace, NULL };
  const char *const sampled[] = { "--trace-out", trace, "--trace-sample", "100", NULL };
  const char *const *variants[] = { none, full, sampled };
  const char *names[] = { "without", "with", "sampled" };
  double wall[3] = { G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE };
  double cpu[3] = { G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE };
  guint64 bytes[3] = { 0 };
  for (guint round = 0; round < 3; round++)
    for (guint v = 0; v < 3; v++) {
      Child c = run_w1_extra("trace", n, variants[v]);
      wall[v] = MIN(wall[v], c.seconds);
      cpu[v] = MIN(cpu[v], c.cpu_seconds);
      struct stat st;
      bytes[v] = stat(trace, &st) == 0 ? (guint64)st.st_size : 0;
      g_remove(trace);
    }
  for (guint v = 0; v < 3; v++) {
    printf("TRACE W1 %" G_GUINT64_FORMAT " inputs, latency 0, %-7s trace: %.2f s wall (%.0f node "
           "executions/s, %.3f of without), %.2f s CPU (%.3f of without)",
           n, names[v], wall[v], nodes / wall[v], wall[v] / wall[0], cpu[v], cpu[v] / cpu[0]);
    if (bytes[v])
      printf(", %.1f MB, %.0f bytes per node execution", (double)bytes[v] / 1e6,
             (double)bytes[v] / nodes);
    printf("\n");
    g_autofree char *k_wall = g_strdup_printf("%s_wall_seconds", names[v]);
    g_autofree char *k_cpu = g_strdup_printf("%s_cpu_seconds", names[v]);
    g_autofree char *k_bytes = g_strdup_printf("%s_bytes_per_node_execution", names[v]);
    bench_record(&bench, "trace", k_wall, wall[v]);
    bench_record(&bench, "trace", k_cpu, cpu[v]);
    if (bytes[v])
      bench_record(&bench, "trace", k_bytes, (double)bytes[v] / nodes);
  }
  bench_record(&bench, "trace", "wall_overhead", wall[1] / wall[0] - 1);
  bench_record(&bench, "trace", "cpu_overhead", cpu[1] / cpu[0] - 1);
}

static void
bench_w1a(void)
{
  guint64 sizes[] = { 10000, bench.quick ? 20000 : 100000 };
  double per_node[2];
  /* The fixed cost of a run (start-up, plugin loading, config) measured
   * with one input, so per-node costs compare the marginal cost. */
  double fixed = run_w1("w1a", 1, 0, 0, 1024).seconds;
  printf("W1a  fixed cost of a run (1 input): %.3f s\n", fixed);
  bench_record(&bench, "w1a", "fixed_seconds", fixed);
  for (guint i = 0; i < 2; i++) {
    Child c = run_w1("w1a", sizes[i], 0, 0, 1024);
    double nodes = (double)sizes[i] * 5;
    per_node[i] = MAX(c.seconds - fixed, 1e-9) / nodes * 1e9;
    printf("W1a  %7" G_GUINT64_FORMAT " inputs: %.2f s, %.0f node executions/s (target 500000: "
           "%.2fx), %.0f ns/node, peak RSS %.1f MB\n",
           sizes[i], c.seconds, nodes / c.seconds, nodes / c.seconds / 500000.0, per_node[i],
           c.peak_rss_mb);
    g_autofree char *key = g_strdup_printf("inputs_%" G_GUINT64_FORMAT, sizes[i]);
    bench_record(&bench, "w1a", "node_executions_per_s", nodes / c.seconds);
    bench_record(&bench, "w1a", "peak_rss_mb", c.peak_rss_mb);
    g_autofree char *k2 = g_strdup_printf("%s_ns_per_node", key);
    bench_record(&bench, "w1a", k2, per_node[i]);
  }
  printf("W1a  marginal per-node cost growth %u→%u inputs: %+.1f%% (target within ±10%%)\n",
         (guint)sizes[0], (guint)sizes[1], (per_node[1] / per_node[0] - 1) * 100);
  bench_record(&bench, "w1a", "per_node_growth", per_node[1] / per_node[0] - 1);
}

static Child
run_w1s(const char *main_name, guint64 n)
{
  g_autofree char *config_text = g_strdup_printf(w1s_config, 1024, main_name);
  g_autofree char *inputs = write_inputs(n, TRUE);
  g_autofree char *label = g_strdup_printf("w1s (%s)", main_name);
  return run_config(label, "w1s.json", config_text, inputs,
                    (const char *const[]){ "--max-inflight", "1024", NULL });
}

/* W1 with a two-way switch in front against plain W1, on the same inputs,
 * interleaved runs, best of 3: the switch must cost nothing per executed
 * node (untaken cases are only marked skipped) and keep memory flat. The
 * cost compared is the child's CPU time (user + system) beyond a one-input
 * run's, per executed node: on a shared machine wall time mostly measures
 * the neighbours (it is printed too). */
static void
bench_w1s(void)
{
  guint64 sizes[] = { 10000, bench.quick ? 20000 : 100000 };
  Child fixed_plain = run_w1s("w1", 1), fixed_switch = run_w1s("routed", 1);
  double ratio[2], rss_switch[2];
  for (guint i = 0; i < 2; i++) {
    Child best_plain = { .seconds = G_MAXDOUBLE, .cpu_seconds = G_MAXDOUBLE };
    Child best_switch = best_plain;
    double rss_plain = 0;
    rss_switch[i] = 0;
    for (guint k = 0; k < 3; k++) {
      Child p = run_w1s("w1", sizes[i]);
      Child w = run_w1s("routed", sizes[i]);
      best_plain.seconds = MIN(best_plain.seconds, p.seconds);
      best_plain.cpu_seconds = MIN(best_plain.cpu_seconds, p.cpu_seconds);
      best_switch.seconds = MIN(best_switch.seconds, w.seconds);
      best_switch.cpu_seconds = MIN(best_switch.cpu_seconds, w.cpu_seconds);
      rss_plain = MAX(rss_plain, p.peak_rss_mb);
      rss_switch[i] = MAX(rss_switch[i], w.peak_rss_mb);
    }
    double executed = (double)sizes[i] * 5; /* both: 5 executed nodes per input */
    double ns_plain = MAX(best_plain.cpu_seconds - fixed_plain.cpu_seconds, 1e-9) / executed * 1e9;
    double ns_switch =
        MAX(best_switch.cpu_seconds - fixed_switch.cpu_seconds, 1e-9) / executed * 1e9;
    ratio[i] = ns_switch / ns_plain;
    printf("W1s  %7" G_GUINT64_FORMAT " inputs: W1 %.0f ns CPU/executed node (%.2f s wall, peak "
           "RSS %.1f MB); behind a 2-way switch %.0f ns CPU/executed node (%.2f s wall, peak RSS "
           "%.1f MB): %.3fx W1's cost per executed node (target <= 1.0)\n",
           sizes[i], ns_plain, best_plain.seconds, rss_plain, ns_switch, best_switch.seconds,
           rss_switch[i], ratio[i]);
    g_autofree char *key = g_strdup_printf("inputs_%" G_GUINT64_FORMAT, sizes[i]);
    g_autofree char *k1 = g_strconcat(key, "_w1_cpu_ns_per_executed_node", NULL);
    g_autofree char *k2 = g_strconcat(key, "_switch_cpu_ns_per_executed_node", NULL);
    g_autofree char *k3 = g_strconcat(key, "_ratio", NULL);
    g_autofree char *k4 = g_strconcat(key, "_w1_peak_rss_mb", NULL);
    g_autofree char *k5 = g_strconcat(key, "_switch_peak_rss_mb", NULL);
    bench_record(&bench, "w1s", k1, ns_plain);
    bench_record(&bench, "w1s", k2, ns_switch);
    bench_record(&bench, "w1s", k3, ratio[i]);
    bench_record(&bench, "w1s", k4, rss_plain);
    bench_record(&bench, "w1s", k5, rss_switch[i]);
  }
  printf("W1s  switch peak RSS %u→%u inputs: %+.1f%% (flat: within ±10%%)\n", (guint)sizes[0],
         (guint)sizes[1], (rss_switch[1] / rss_switch[0] - 1) * 100);
  bench_record(&bench, "w1s", "switch_rss_growth", rss_switch[1] / rss_switch[0] - 1);
}

static void
bench_w1b(void)
{
  guint64 n = bench.quick ? 2000 : 5000;
  int latency = 50, concurrency = 256;
  Child c = run_w1("w1b", n, latency, concurrency, 4096);
  /* The ideal: the busiest alias (fast: 3 calls per input) at full
   * concurrency, plus the critical path of one input (4 sequential calls). */
  double ideal = (double)(3 * n) * latency / 1000.0 / concurrency + 3 * latency / 1000.0;
  double calls = (double)(4 * n);
  printf("W1b  %" G_GUINT64_FORMAT
         " inputs, 50 ms, 256/alias: %.2f s, %.0f LLM calls/s; ideal %.2f s "
         "→ %.3f of the concurrency ideal (target 0.95)\n",
         n, c.seconds, calls / c.seconds, ideal, ideal / c.seconds);
  bench_record(&bench, "w1b", "seconds", c.seconds);
  bench_record(&bench, "w1b", "ideal_seconds", ideal);
  bench_record(&bench, "w1b", "ratio_to_ideal", ideal / c.seconds);
}

static void
bench_w1c(void)
{
  guint64 n = bench.quick ? 200000 : 1000000;
  Child c = run_w1("w1c", n, 0, 0, 1024);
  printf("W1c  %" G_GUINT64_FORMAT
         " inputs streamed, --max-inflight 1024: %.2f s, peak RSS %.1f MB "
         "(target ≤ 150 MB: %.2f of it)\n",
         n, c.seconds, c.peak_rss_mb, c.peak_rss_mb / 150.0);
  bench_record(&bench, "w1c", "seconds", c.seconds);
  bench_record(&bench, "w1c", "peak_rss_mb", c.peak_rss_mb);
}

/* W1 (100k inputs, latency 0) with --checkpoint against the same run
 * without, both writing the output to a file; the best of 3 alternating
 * runs each. Target: at most 5% fewer inputs per second. On a shared
 * machine the CPU time (user + system) of the process is the steadier
 * figure; both are printed. */
static void
bench_w1k(void)
{
  guint64 n = bench.quick ? 20000 : 100000;
  g_autofree char *output = g_build_filename(tmpdir, "w1k-out.jsonl", NULL);
  g_autofree char *checkpoint = g_build_filename(tmpdir, "w1k.ckpt", NULL);
  g_autofree char *wal = g_strconcat(checkpoint, "-wal", NULL);
  double plain = G_MAXDOUBLE, journaled = G_MAXDOUBLE;
  double plain_cpu = G_MAXDOUBLE, journaled_cpu = G_MAXDOUBLE;
  g_autofree char *metrics = g_build_filename(tmpdir, "w1k-metrics.json", NULL);
  gint64 commits = 0;
  double commit_max_ms = 0, commit_total_ms = 0;
  for (guint round = 0; round < 3; round++) {
    const char *without[] = { "--output", output, NULL };
    Child a = run_w1_with("w1k", n, 0, 0, 1024, without);
    plain = MIN(plain, a.seconds);
    plain_cpu = MIN(plain_cpu, a.cpu_seconds);
    g_unlink(checkpoint);
    g_unlink(wal);
    const char *with[] = { "--output", output, "--checkpoint", checkpoint, "--metrics-out",
                           metrics,    NULL };
    Child b = run_w1_with("w1k", n, 0, 0, 1024, with);
    journaled = MIN(journaled, b.seconds);
    json_object *m = json_object_from_file(metrics), *run, *ck, *v;
    if (m && json_object_object_get_ex(m, "run", &run) &&
        json_object_object_get_ex(run, "checkpoint", &ck)) {
      if (json_object_object_get_ex(ck, "commits", &v))
        commits = MAX(commits, json_object_get_int64(v));
      if (json_object_object_get_ex(ck, "commit_ms_max", &v))
        commit_max_ms = MAX(commit_max_ms, json_object_get_double(v));
      if (json_object_object_get_ex(ck, "commit_ms_total", &v))
        commit_total_ms = MAX(commit_total_ms, json_object_get_double(v));
    }
    json_object_put(m);
    journaled_cpu = MIN(journaled_cpu, b.cpu_seconds);
  }
  struct stat st;
  double db_kb = stat(checkpoint, &st) == 0 ? (double)st.st_size / 1024.0 : -1;
  double loss = 1.0 - plain / journaled;
  double cpu_loss = 1.0 - plain_cpu / journaled_cpu;
  printf("W1k  %" G_GUINT64_FORMAT
         " inputs, latency 0: wall %.2f s without, %.2f s with --checkpoint "
         "(%.0f vs %.0f inputs/s): throughput loss %.1f%% (target ≤ 5%%: %.2f of it)\n",
         n, plain, journaled, (double)n / plain, (double)n / journaled, loss * 100, loss / 0.05);
  printf("W1k  CPU %.2f s without, %.2f s with: throughput loss %.1f%% (target ≤ 5%%: %.2f of it); "
         "journal %.0f KB\n",
         plain_cpu, journaled_cpu, cpu_loss * 100, cpu_loss / 0.05, db_kb);
  printf("W1k  commits: %" G_GINT64_FORMAT ", time on the main loop: the longest %.2f ms, %.1f ms "
         "in all (%.1f%% of the run; the fdatasync and SQLite work run in the writer thread)\n",
         commits, commit_max_ms, commit_total_ms, commit_total_ms / 10.0 / journaled);
  bench_record(&bench, "w1k", "commits", (double)commits);
  bench_record(&bench, "w1k", "commit_ms_max", commit_max_ms);
  bench_record(&bench, "w1k", "commit_ms_total", commit_total_ms);
  bench_record(&bench, "w1k", "cpu_seconds_without", plain_cpu);
  bench_record(&bench, "w1k", "cpu_seconds_with", journaled_cpu);
  bench_record(&bench, "w1k", "cpu_throughput_loss", cpu_loss);
  bench_record(&bench, "w1k", "seconds_without", plain);
  bench_record(&bench, "w1k", "seconds_with", journaled);
  bench_record(&bench, "w1k", "throughput_loss", loss);
  bench_record(&bench, "w1k", "journal_kb", db_kb);
}

/* W1 with a fully warm response cache (every LLM node a hit) against the
 * mock at latency 0, in one invocation. Wall time and CPU time (user +
 * system, the steadier figure on a shared machine) are both printed. */
static void
bench_w1_cache(void)
{
  guint64 n = bench.quick ? 20000 : 100000;
  double nodes = (double)n * 5;
  g_autofree char *cache = g_build_filename(tmpdir, "w1-cache.db", NULL);
  const char *with_cache[] = { "--cache", cache, NULL };
  const char *without[] = { NULL };
  Child mock = run_w1_extra("w1-cache", n, without);
  Child cold = run_w1_extra("w1-cache", n, with_cache);
  Child warm = run_w1_extra("w1-cache", n, with_cache);
  struct stat st;
  double file_mb = stat(cache, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0) : 0;
  printf("W1-cache %" G_GUINT64_FORMAT " inputs: mock latency 0 %.2f s (%.0f node executions/s); "
         "cold cache %.2f s (%.0f/s, filling); warm cache %.2f s (%.0f/s, every LLM node a hit) "
         "→ %.2fx the mock\n",
         n, mock.seconds, nodes / mock.seconds, cold.seconds, nodes / cold.seconds, warm.seconds,
         nodes / warm.seconds, mock.seconds / warm.seconds);
  printf("W1-cache CPU: mock %.2f s (%.0f node executions per CPU s), cold %.2f s, warm %.2f s "
         "(%.0f per CPU s) → %.2fx the mock; cache file %.1f MB, peak RSS warm %.1f MB (mock "
         "%.1f MB)\n",
         mock.cpu_seconds, nodes / mock.cpu_seconds, cold.cpu_seconds, warm.cpu_seconds,
         nodes / warm.cpu_seconds, mock.cpu_seconds / warm.cpu_seconds, file_mb, warm.peak_rss_mb,
         mock.peak_rss_mb);
  bench_record(&bench, "w1_cache", "mock_node_executions_per_s", nodes / mock.seconds);
  bench_record(&bench, "w1_cache", "cold_node_executions_per_s", nodes / cold.seconds);
  bench_record(&bench, "w1_cache", "warm_node_executions_per_s", nodes / warm.seconds);
  bench_record(&bench, "w1_cache", "warm_to_mock", mock.seconds / warm.seconds);
  bench_record(&bench, "w1_cache", "warm_to_mock_cpu", mock.cpu_seconds / warm.cpu_seconds);
  bench_record(&bench, "w1_cache", "file_mb", file_mb);
  bench_record(&bench, "w1_cache", "warm_peak_rss_mb", warm.peak_rss_mb);
}

/* --- W2 / W3: in process --- */

static void
bench_graph(const char *type, guint n, double *trace_s, double *run_s, double *rss_per_node)
{
  BenchGraphRun run;
  bench_run_graph("{\"endpoints\": {\"fast\": {\"provider\": \"mock\"}}}", type, n, "fast",
                  "a short input text", &run);
  g_assert_cmpuint(run.n_failed, ==, 0);
  *trace_s = run.trace_seconds;
  *run_s = run.run_seconds;
  *rss_per_node = (run.peak_rss_mb - run.rss_mb) * 1024.0 * 1024.0 / n;
}

static void
bench_w2(void)
{
  guint sizes[] = { 1000, 10000 };
  for (guint i = 0; i < 2; i++) {
    double trace, run, rss;
    bench_graph("chain", sizes[i], &trace, &run, &rss);
    printf("W2   chain of %5u mock LLM nodes: trace %.4f s (%.0f ns/node), run %.4f s (%.0f "
           "ns/node)\n",
           sizes[i], trace, trace / sizes[i] * 1e9, run, run / sizes[i] * 1e9);
    g_autofree char *k1 = g_strdup_printf("trace_ns_per_node_%u", sizes[i]);
    g_autofree char *k2 = g_strdup_printf("run_ns_per_node_%u", sizes[i]);
    bench_record(&bench, "w2", k1, trace / sizes[i] * 1e9);
    bench_record(&bench, "w2", k2, run / sizes[i] * 1e9);
  }
}

static void
bench_w3(void)
{
  guint sizes[] = { 10000, 100000 };
  for (guint i = 0; i < 2; i++) {
    double trace, run, rss;
    bench_graph("wide", sizes[i], &trace, &run, &rss);
    printf("W3   %6u independent mock LLM nodes: trace %.3f s (%.0f ns/node), run %.3f s (%.0f "
           "ns/node), %.0f bytes/node above baseline (target ≤ 1024: %.2f of it)\n",
           sizes[i], trace, trace / sizes[i] * 1e9, run, run / sizes[i] * 1e9, rss, rss / 1024.0);
    g_autofree char *k1 = g_strdup_printf("trace_ns_per_node_%u", sizes[i]);
    g_autofree char *k2 = g_strdup_printf("run_ns_per_node_%u", sizes[i]);
    g_autofree char *k3 = g_strdup_printf("bytes_per_node_%u", sizes[i]);
    bench_record(&bench, "w3", k1, trace / sizes[i] * 1e9);
    bench_record(&bench, "w3", k2, run / sizes[i] * 1e9);
    bench_record(&bench, "w3", k3, rss);
  }
}

int
main(int argc, char **argv)
{
  if (!g_getenv("INF_ENGINE") || !g_getenv("INF_PLUGIN_PATH")) {
    g_printerr("set INF_ENGINE (the inf-engine program) and INF_PLUGIN_PATH (its plugin dir); "
               "tests/bench/run.sh does\n");
    return 2;
  }
  bench_init(&bench, argc, argv, "bench-engine.json");
  tmpdir = inf_test_mkdtemp("inf-bench");
  /* W1 first: a child's peak RSS (wait4) includes what the parent had
   * resident when it forked, and W2/W3 grow this process. */
  const struct {
    const char *name;
    void (*run)(void);
  } benches[] = {
    { "w1a", bench_w1a },
    { "w1b", bench_w1b },
    { "w1c", bench_w1c },
    { "w1s", bench_w1s },
    { "w1-cache", bench_w1_cache },
    { "trace", bench_trace },
    { "w1k", bench_w1k },
    { "w2", bench_w2 },
    { "w3", bench_w3 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(benches); i++)
    if (bench_selected(&bench, benches[i].name))
      benches[i].run();
  bench_finish(&bench);
  inf_test_rmdir(tmpdir);
  g_free(tmpdir);
  return 0;
}
