/* HTTP throughput benchmark: the openai client path (resource manager ->
 * openai plugin -> HTTP session) against the loopback fake server, versus
 * the ceiling a standard load generator (wrk) reaches against the same
 * server with the same number of connections, in one run.
 *
 * The fake server runs as its own process (inf-fake-llm, latency 0) so that
 * neither client shares its main loop. Prints both rates and their ratio
 * (target >= 0.8) and writes a JSON summary.
 *
 *   bench-http [--requests N] [--in-flight N] [--warmup N] [--rounds N]
 *              [--wrk-seconds N] [--wrk-threads N] [--json FILE]
 *
 * Each round runs our client for --requests, then wrk for --wrk-seconds;
 * the medians over the rounds are compared. INF_FAKE_URL uses a server
 * started by hand instead (e.g. pinned to a CPU with taskset).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "inf-test.h"
#include "plugin/loader.h"
#include "resources/endpoint.h"
#include "resources/http.h"
#include "resources/manager.h"

#define PROMPT "Summarize in one sentence: the quick brown fox jumps over the lazy dog."

typedef struct {
  InfResourceManager *manager;
  InfClient *client;
  InfLlmRequest *request;
  GMainLoop *loop;
  guint64 total;
  guint64 sent;
  guint64 done;
  guint64 errors;
  guint in_flight;
  guint max_in_flight;
  char *first_error;
} Run;

static void send_more(Run *run);

static void
on_done(const InfLlmResponse *response, const GError *error, gpointer user_data)
{
  Run *run = user_data;
  run->in_flight--;
  run->done++;
  if (error != NULL) {
    run->errors++;
    if (run->first_error == NULL)
      run->first_error = g_strdup(error->message);
  } else if (inf_llm_response_get_content(response) == NULL) {
    run->errors++;
  }
  if (run->done == run->total)
    g_main_loop_quit(run->loop);
  else
    send_more(run);
}

static void
send_more(Run *run)
{
  while (run->in_flight < run->max_in_flight && run->sent < run->total) {
    run->sent++;
    run->in_flight++;
    inf_resource_manager_send(run->manager, run->client, run->request, on_done, run);
  }
}

/* Runs @n requests with @in_flight outstanding; returns the elapsed seconds. */
static double
run_batch(Run *run, guint64 n)
{
  run->total = n;
  run->sent = run->done = 0;
  gint64 start = g_get_monotonic_time();
  send_more(run);
  g_main_loop_run(run->loop);
  return (double)(g_get_monotonic_time() - start) / 1e6;
}

static double
cpu_seconds(void)
{
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static int
compare_doubles(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
median(GArray *values)
{
  if (values->len == 0)
    return 0;
  g_autoptr(GArray) sorted = g_array_copy(values);
  g_array_sort(sorted, compare_doubles);
  guint n = sorted->len;
  double *v = (double *)(gpointer)sorted->data;
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static json_object *
rates_json(GArray *values)
{
  json_object *list = json_object_new_array();
  for (guint i = 0; i < values->len; i++)
    json_object_array_add(list, json_object_new_double(g_array_index(values, double, i)));
  return list;
}

static char *
start_fake(GSubprocess **out, GError **error)
{
  const char *path = g_getenv("INF_FAKE_LLM");
  if (path == NULL)
    path = INF_FAKE_LLM_PATH;
  GSubprocess *fake =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, error,
                       path, "--port", "0", NULL);
  if (fake == NULL)
    return NULL;
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new(g_subprocess_get_stdout_pipe(fake));
  g_autofree char *line = g_data_input_stream_read_line(lines, NULL, NULL, error);
  if (line == NULL || !g_str_has_prefix(line, "listening on ")) {
    if (error != NULL && *error == NULL)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s did not say where it listens", path);
    g_subprocess_force_exit(fake);
    g_object_unref(fake);
    return NULL;
  }
  *out = fake;
  return g_strdup(line + strlen("listening on "));
}

/* Runs wrk with a POST script carrying @body; returns Requests/sec or -1. */
static double
run_wrk(const char *url, const char *body, int connections, int threads, int seconds,
        guint64 *non_2xx, GError **error)
{
  g_autofree char *dir = inf_test_mkdtemp("bench-http");
  g_autofree char *script =
      g_strdup_printf("wrk.method = \"POST\"\n"
                      "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                      "wrk.headers[\"Accept\"] = \"application/json\"\n"
                      "wrk.headers[\"Authorization\"] = \"Bearer bench-key\"\n"
                      "wrk.body = [==[%s]==]\n",
                      body);
  g_autofree char *script_path = inf_test_write(dir, "post.lua", script);
  g_autofree char *c = g_strdup_printf("%d", connections);
  g_autofree char *t = g_strdup_printf("%d", threads);
  g_autofree char *d = g_strdup_printf("%ds", seconds);
  const char *wrk = g_getenv("WRK");
  g_autoptr(GSubprocess) process = g_subprocess_new(
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, error,
      wrk != NULL ? wrk : "wrk", "-c", c, "-t", t, "-d", d, "-s", script_path, url, NULL);
  double rps = -1;
  g_autofree char *output = NULL;
  if (process != NULL && g_subprocess_communicate_utf8(process, NULL, NULL, &output, NULL, error)) {
    const char *line = strstr(output, "Requests/sec:");
    if (line != NULL)
      rps = g_ascii_strtod(line + strlen("Requests/sec:"), NULL);
    const char *bad = strstr(output, "Non-2xx or 3xx responses:");
    *non_2xx =
        bad != NULL ? g_ascii_strtoull(bad + strlen("Non-2xx or 3xx responses:"), NULL, 10) : 0;
    if (rps < 0)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read wrk's output:\n%s", output);
  }
  inf_test_rmdir(dir);
  return rps;
}

int
main(int argc, char **argv)
{
  gint requests = 20000, in_flight = 64, warmup = 2000, wrk_seconds = 10, wrk_threads = 2;
  gint rounds = 3;
  g_autofree char *json_path = NULL;
  GOptionEntry entries[] = {
    { .long_name = "requests",
      .short_name = 'n',
      .arg = G_OPTION_ARG_INT,
      .arg_data = &requests,
      .description = "Requests to time (20000)",
      .arg_description = "N" },
    { .long_name = "in-flight",
      .short_name = 'c',
      .arg = G_OPTION_ARG_INT,
      .arg_data = &in_flight,
      .description = "Requests in flight, and wrk's connections (64)",
      .arg_description = "N" },
    { .long_name = "warmup",
      .arg = G_OPTION_ARG_INT,
      .arg_data = &warmup,
      .description = "Untimed requests first (2000)",
      .arg_description = "N" },
    { .long_name = "rounds",
      .short_name = 'r',
      .arg = G_OPTION_ARG_INT,
      .arg_data = &rounds,
      .description = "Rounds of (ours, wrk); medians are reported (3)",
      .arg_description = "N" },
    { .long_name = "wrk-seconds",
      .arg = G_OPTION_ARG_INT,
      .arg_data = &wrk_seconds,
      .description = "wrk duration (10)",
      .arg_description = "S" },
    { .long_name = "wrk-threads",
      .arg = G_OPTION_ARG_INT,
      .arg_data = &wrk_threads,
      .description = "wrk threads (2)",
      .arg_description = "N" },
    { .long_name = "json",
      .short_name = 'o',
      .arg = G_OPTION_ARG_FILENAME,
      .arg_data = &json_path,
      .description = "Write the summary here (default bench-http.json)",
      .arg_description = "FILE" },
    { .long_name = NULL },
  };
  g_autoptr(GOptionContext) options =
      g_option_context_new("- HTTP throughput of the openai client vs wrk");
  g_option_context_add_main_entries(options, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(options, &argc, &argv, &error) || requests <= 0 || in_flight <= 0 ||
      warmup < 0 || rounds <= 0 || wrk_seconds <= 0 || wrk_threads <= 0) {
    g_printerr("bench-http: %s\n", error != NULL ? error->message : "bad option value");
    return 2;
  }
  if (json_path == NULL)
    json_path = g_strdup("bench-http.json");

  /* INF_FAKE_URL: use a server started by hand (e.g. pinned with taskset). */
  GSubprocess *fake = NULL;
  g_autofree char *base = g_getenv("INF_FAKE_URL") != NULL ? g_strdup(g_getenv("INF_FAKE_URL"))
                                                           : start_fake(&fake, &error);
  if (base == NULL) {
    g_printerr("bench-http: cannot start the fake server: %s\n", error->message);
    return 1;
  }
  printf("fake server (own process%s): %s\n", fake == NULL ? ", started by hand" : "", base);

  /* The openai client, loaded like the engine loads it. */
  InfRegistry *registry = inf_registry_new();
  InfPluginLoader *loader = inf_plugin_loader_new(registry);
  const char *plugin_dir = g_getenv("INF_PLUGIN_PATH");
  if (!inf_plugin_loader_load_dir(loader, plugin_dir != NULL ? plugin_dir : INF_BUILD_PLUGIN_DIR,
                                  &error)) {
    g_printerr("bench-http: %s\n", error->message);
    return 1;
  }
  g_autofree char *resources = g_strdup_printf(
      "{\"endpoints\": {\"bench\": {\"provider\": \"openai\", \"model\": \"bench-model\", "
      "\"base_url\": \"%s/v1\", \"max_concurrent\": %d, \"max_retries\": 0, \"timeout\": 30}}}",
      base, in_flight);
  json_object *json = json_tokener_parse(resources);
  InfResourcesConfig *config =
      inf_resources_config_parse(json, "bench", "resources", registry, &error);
  json_object_put(json);
  InfResourceManager *manager =
      config != NULL ? inf_resource_manager_new(config, registry, &error) : NULL;
  if (manager == NULL) {
    g_printerr("bench-http: %s\n", error->message);
    return 1;
  }
  gint64 wait = 0;
  Run run = {
    .manager = manager,
    .client = inf_resource_alias_pick(inf_resource_manager_lookup(manager, "bench"),
                                      g_get_monotonic_time(), &wait),
    .request = inf_llm_request_new(),
    .loop = g_main_loop_new(NULL, FALSE),
    .max_in_flight = (guint)in_flight,
  };
  inf_llm_request_add_message(run.request, "user", PROMPT);

  /* The same body for wrk, built by the client itself. */
  const InfClientClass *klass = inf_registry_lookup_client_class(registry, "openai");
  g_autoptr(InfHttpRequest) sample = inf_http_request_new();
  if (!klass->build_request(run.client, run.request, sample, &error)) {
    g_printerr("bench-http: %s\n", error->message);
    return 1;
  }
  const char *body = inf_http_request_get_body(sample, NULL);

  if (warmup > 0)
    run_batch(&run, (guint64)warmup);

  /* Rounds alternate the two clients; medians damp the noise of a shared
   * machine. */
  g_autofree char *url = g_strdup_printf("%s/v1/chat/completions", base);
  g_autoptr(GArray) ours_rates = g_array_new(FALSE, FALSE, sizeof(double));
  g_autoptr(GArray) wrk_rates = g_array_new(FALSE, FALSE, sizeof(double));
  double cpu_total = 0;
  guint64 errors = 0, non_2xx = 0;
  int status = 0;
  for (int round = 0; round < rounds; round++) {
    run.errors = 0;
    double cpu_start = cpu_seconds();
    double seconds = run_batch(&run, (guint64)requests);
    double cpu = cpu_seconds() - cpu_start;
    cpu_total += cpu;
    errors += run.errors;
    double rate = requests / seconds;
    g_array_append_val(ours_rates, rate);
    printf("round %d: inf-engine openai client: %d requests, %d in flight: %.2f s, %.0f req/s, "
           "%llu errors, %.1f us CPU per request\n",
           round + 1, requests, in_flight, seconds, rate, (unsigned long long)run.errors,
           cpu / requests * 1e6);
    if (run.first_error != NULL)
      printf("  first error: %s\n", run.first_error);
    guint64 bad = 0;
    double ceiling = run_wrk(url, body, in_flight, wrk_threads, wrk_seconds, &bad, &error);
    if (ceiling <= 0) {
      g_printerr("bench-http: wrk failed: %s\n", error != NULL ? error->message : "?");
      g_clear_error(&error);
      status = 1;
      break;
    }
    non_2xx += bad;
    g_array_append_val(wrk_rates, ceiling);
    printf("round %d: wrk -c %d -t %d -d %ds (same body, same server): %.0f req/s%s\n", round + 1,
           in_flight, wrk_threads, wrk_seconds, ceiling, bad > 0 ? " (with non-2xx replies!)" : "");
  }
  double ours = median(ours_rates);
  double ceiling = median(wrk_rates);
  double ratio = ceiling > 0 ? ours / ceiling : 0;
  printf("median: inf-engine %.0f req/s, wrk %.0f req/s, ratio %.3f (target >= 0.8): %s\n", ours,
         ceiling, ratio, ratio >= 0.8 ? "PASS" : "MISS");

  json_object *summary = json_object_new_object();
  json_object_object_add(summary, "benchmark", json_object_new_string("http-throughput"));
  json_object_object_add(summary, "client",
                         json_object_new_string("openai plugin via the "
                                                "resource manager and the "
                                                "HTTP session"));
  json_object_object_add(summary, "requests_per_round", json_object_new_int(requests));
  json_object_object_add(summary, "rounds", json_object_new_int(rounds));
  json_object_object_add(summary, "in_flight", json_object_new_int(in_flight));
  json_object_object_add(summary, "warmup", json_object_new_int(warmup));
  json_object_object_add(summary, "requests_per_second", json_object_new_double(ours));
  json_object_object_add(summary, "requests_per_second_rounds", rates_json(ours_rates));
  json_object_object_add(summary, "errors", json_object_new_int64((gint64)errors));
  json_object_object_add(summary, "cpu_us_per_request",
                         json_object_new_double(ours_rates->len > 0
                                                    ? cpu_total / (requests * ours_rates->len) * 1e6
                                                    : 0));
  g_autofree char *wrk_command = g_strdup_printf("wrk -c %d -t %d -d %ds -s post.lua %s", in_flight,
                                                 wrk_threads, wrk_seconds, url);
  json_object_object_add(summary, "wrk_command", json_object_new_string(wrk_command));
  json_object_object_add(summary, "wrk_requests_per_second", json_object_new_double(ceiling));
  json_object_object_add(summary, "wrk_requests_per_second_rounds", rates_json(wrk_rates));
  json_object_object_add(summary, "wrk_non_2xx", json_object_new_int64((gint64)non_2xx));
  json_object_object_add(summary, "wrk_threads", json_object_new_int(wrk_threads));
  json_object_object_add(summary, "wrk_seconds", json_object_new_int(wrk_seconds));
  json_object_object_add(summary, "ratio", json_object_new_double(ratio));
  json_object_object_add(summary, "target", json_object_new_double(0.8));
  json_object_object_add(summary, "pass", json_object_new_boolean(ratio >= 0.8));
  const char *text = json_object_to_json_string_ext(summary, JSON_C_TO_STRING_PRETTY);
  if (!g_file_set_contents(json_path, text, -1, &error)) {
    g_printerr("bench-http: %s\n", error->message);
    status = 1;
  } else {
    printf("summary: %s\n", json_path);
  }
  json_object_put(summary);

  if (fake != NULL) {
    g_subprocess_send_signal(fake, SIGTERM);
    g_subprocess_wait(fake, NULL, NULL);
    g_object_unref(fake);
  }
  g_free(run.first_error);
  inf_llm_request_unref(run.request);
  g_main_loop_unref(run.loop);
  inf_resource_manager_free(manager);
  inf_resources_config_free(config);
  inf_plugin_loader_free(loader);
  inf_registry_free(registry);
  return status != 0 ? status : (errors > 0 ? 1 : 0);
}
