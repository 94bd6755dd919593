/* inf-fake-llm: the loopback fake LLM server as a program, for examples and
 * benchmarks.
 *
 *   inf-fake-llm [--port N] [--rate-limit RPS] [--burst N] [--delay-ms N]
 *                [--fail-rate F] [--seed N] [--script S] [--default B]
 *                [--api-key KEY] [--stats-file FILE]
 *
 * Prints "listening on http://127.0.0.1:PORT" and serves until SIGINT or
 * SIGTERM, then prints its counters (JSON) to stderr and, with --stats-file,
 * writes them there. GET /fake/stats returns the same while it runs.
 */
#include "fake-llm.h"

#include <glib-unix.h>
#include <stdio.h>

static gboolean
on_signal(gpointer user_data)
{
  g_main_loop_quit(user_data);
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  gint port = 0;
  gdouble rate = 0, burst = 0, fail_rate = 0;
  gint delay_ms = 0, seed = 1;
  g_autofree char *script = NULL, *default_text = NULL, *api_key = NULL, *stats_file = NULL;
  GOptionEntry entries[] = {
    { .long_name = "port",
      .short_name = 'p',
      .arg = G_OPTION_ARG_INT,
      .arg_data = &port,
      .description = "Port on 127.0.0.1 (0: any free one)",
      .arg_description = "N" },
    { .long_name = "rate-limit",
      .short_name = 'r',
      .arg = G_OPTION_ARG_DOUBLE,
      .arg_data = &rate,
      .description = "Enforce N requests/s, answering 429 with Retry-After above it",
      .arg_description = "RPS" },
    { .long_name = "burst",
      .short_name = 'b',
      .arg = G_OPTION_ARG_DOUBLE,
      .arg_data = &burst,
      .description = "Bucket size (default: the rate)",
      .arg_description = "N" },
    { .long_name = "delay-ms",
      .short_name = 'd',
      .arg = G_OPTION_ARG_INT,
      .arg_data = &delay_ms,
      .description = "Answer every request after N ms",
      .arg_description = "N" },
    { .long_name = "fail-rate",
      .short_name = 'f',
      .arg = G_OPTION_ARG_DOUBLE,
      .arg_data = &fail_rate,
      .description = "Answer this fraction of requests with 500",
      .arg_description = "F" },
    { .long_name = "seed",
      .arg = G_OPTION_ARG_INT,
      .arg_data = &seed,
      .description = "Seed for --fail-rate",
      .arg_description = "N" },
    { .long_name = "script",
      .short_name = 's',
      .arg = G_OPTION_ARG_STRING,
      .arg_data = &script,
      .description = "Behaviours for the first requests, e.g. \"500; 429 retry-after=1; ok\"",
      .arg_description = "S" },
    { .long_name = "default",
      .arg = G_OPTION_ARG_STRING,
      .arg_data = &default_text,
      .description = "The behaviour after the script (default \"ok\")",
      .arg_description = "B" },
    { .long_name = "api-key",
      .short_name = 'k',
      .arg = G_OPTION_ARG_STRING,
      .arg_data = &api_key,
      .description = "Require this API key (Authorization: Bearer or x-api-key)",
      .arg_description = "KEY" },
    { .long_name = "stats-file",
      .arg = G_OPTION_ARG_FILENAME,
      .arg_data = &stats_file,
      .description = "Write the counters as JSON here on exit",
      .arg_description = "FILE" },
    { .long_name = NULL },
  };
  g_autoptr(GOptionContext) options = g_option_context_new("- a loopback fake LLM server");
  g_option_context_set_summary(options,
                               "Serves the OpenAI (/v1/chat/completions), Anthropic "
                               "(/v1/messages) and Ollama (/api/chat) formats on 127.0.0.1.");
  g_option_context_add_main_entries(options, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(options, &argc, &argv, &error)) {
    g_printerr("inf-fake-llm: %s\n", error->message);
    return 2;
  }
  if (port < 0 || port > 65535 || delay_ms < 0 || rate < 0 || fail_rate < 0 || fail_rate > 1) {
    g_printerr("inf-fake-llm: an option is out of range (see --help)\n");
    return 2;
  }

  InfFakeLlm *fake = inf_fake_llm_new(NULL);
  InfFakeBehaviour behaviour;
  if (default_text != NULL) {
    if (!inf_fake_behaviour_parse(default_text, &behaviour, &error)) {
      g_printerr("inf-fake-llm: --default: %s\n", error->message);
      return 2;
    }
  } else {
    inf_fake_behaviour_init(&behaviour);
  }
  if (delay_ms > 0)
    behaviour.delay_ms = (guint)delay_ms;
  inf_fake_llm_set_default(fake, &behaviour);
  if (script != NULL && !inf_fake_llm_push_script(fake, script, &error)) {
    g_printerr("inf-fake-llm: --script: %s\n", error->message);
    return 2;
  }
  if (rate > 0)
    inf_fake_llm_set_rate_limit(fake, rate, burst);
  if (fail_rate > 0)
    inf_fake_llm_set_fail_rate(fake, fail_rate, (guint32)seed);
  if (api_key != NULL)
    inf_fake_llm_set_required_api_key(fake, api_key);
  if (!inf_fake_llm_start(fake, (guint16)port, &error)) {
    g_printerr("inf-fake-llm: cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
    inf_fake_llm_free(fake);
    return 1;
  }
  printf("listening on %s\n", inf_fake_llm_get_base_url(fake));
  fflush(stdout);

  GMainLoop *loop = g_main_loop_new(NULL, FALSE);
  guint sigint = g_unix_signal_add(SIGINT, on_signal, loop);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, loop);
  g_main_loop_run(loop);
  g_source_remove(sigint);
  g_source_remove(sigterm);

  json_object *stats = inf_fake_llm_stats_json(fake);
  const char *text = json_object_to_json_string_ext(stats, JSON_C_TO_STRING_PLAIN);
  g_printerr("%s\n", text);
  int status = 0;
  if (stats_file != NULL && !g_file_set_contents(stats_file, text, -1, &error)) {
    g_printerr("inf-fake-llm: %s\n", error->message);
    status = 1;
  }
  json_object_put(stats);
  inf_fake_llm_free(fake);
  g_main_loop_unref(loop);
  return status;
}
