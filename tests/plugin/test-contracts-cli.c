/* Completion contracts end to end: the real inf-engine program with a plugin
 * that misuses them (tests/plugin/test-plugins/misuse.c). A second return
 * of a task or a call is reported once on stderr, naming the node or alias
 * and the plugin file, and never changes a result; a module timeout fails
 * the node with a message naming it; a SIGTERM while a module never returns
 * ends the run. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inf-test.h"

static const char twice_config[] =
    "{\n"
    "  \"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"misuse-client\"}}},\n"
    "  \"modules\": {\n"
    "    \"twice\": {\"type\": \"misuse-twice\"},\n"
    "    \"ask\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"
    "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "      \"echo\": {\"module\": \"twice\", \"args\": [\"$text\"]},\n"
    "      \"answer\": {\"module\": \"ask\", \"args\": [\"$text\"]}},\n"
    "     \"outputs\": {\"echo\": \"$echo\", \"answer\": \"$answer\"}}},\n"
    "  \"main\": \"pipeline\"\n"
    "}\n";

static const char stuck_config[] =
    "{\n"
    "  \"modules\": {\n"
    "    \"stuck\": {\"type\": \"misuse-never\", \"timeout\": 0.2},\n"
    "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "      \"wait\": {\"module\": \"stuck\", \"args\": [\"$text\"]}},\n"
    "     \"outputs\": \"$wait\"}},\n"
    "  \"main\": \"pipeline\"\n"
    "}\n";

typedef struct {
  char *tmp;
  char *plugin; /* the misuse plugin's path, as the messages name it */
  char *config;
} Setup;

static void
setup(Setup *s, const char *config_text)
{
  s->tmp = inf_test_mkdtemp("inf-contracts");
  g_autofree char *src = inf_test_built_plugin("misuse");
  s->plugin = inf_test_copy(src, s->tmp, "misuse.so");
  s->config = inf_test_write(s->tmp, "pipeline.json", config_text);
}

static void
teardown(Setup *s)
{
  inf_test_rmdir(s->tmp);
  g_free(s->tmp);
  g_free(s->plugin);
  g_free(s->config);
}

/* How many lines of @text contain @needle. */
static guint
count_lines(const char *text, const char *needle)
{
  guint n = 0;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (strstr(lines[i], needle))
      n++;
  return n;
}

/* The result line of input @index in @out (JSONL); owned by @lines. */
static json_object *
result_of(GPtrArray *lines, guint index)
{
  g_assert_cmpuint(index, <, lines->len);
  g_assert_nonnull(g_ptr_array_index(lines, index));
  return g_ptr_array_index(lines, index);
}

static void
test_second_returns(void)
{
  Setup s;
  setup(&s, twice_config);
  g_autofree char *input =
      inf_test_write(s.tmp, "in.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "run", s.config, "--input", input, "--plugin-dir", s.tmp, "-q",
                         NULL);
  const char *err = run.err;
  g_assert_cmpint(run.status, ==, 0);
  g_autoptr(GPtrArray) lines = inf_test_parse_lines_by_index(run.out);
  for (guint i = 0; i < 2; i++) {
    json_object *line = result_of(lines, i);
    const char *text = i == 0 ? "a" : "b";
    g_autofree char *reply = g_strdup_printf("reply:%s", text);
    g_assert_cmpstr(json_object_get_string(inf_test_json_get(line, "outputs/echo")), ==, text);
    g_assert_cmpstr(json_object_get_string(inf_test_json_get(line, "outputs/answer")), ==, reply);
    g_assert_null(json_object_object_get(line, "errors"));
  }
  /* One line per misused node or endpoint, naming it and the plugin file. */
  g_autofree char *task_line =
      g_strdup_printf("inf-engine: warning: node 'echo' (module class 'misuse-twice', plugin %s): "
                      "a value was returned after the task was finished; ignored",
                      s.plugin);
  g_autofree char *call_line =
      g_strdup_printf("inf-engine: warning: alias 'fast' (client class 'misuse-client', plugin "
                      "%s): inf_llm_call_return() was called for a call that was already "
                      "finished; ignored",
                      s.plugin);
  g_assert_cmpuint(count_lines(err, task_line), ==, 1);
  g_assert_cmpuint(count_lines(err, call_line), ==, 1);
  g_assert_cmpuint(count_lines(err, "inf-engine: warning:"), ==, 2);
  teardown(&s);
}

static void
test_timeout(void)
{
  Setup s;
  setup(&s, stuck_config);
  g_autofree char *input = inf_test_write(s.tmp, "in.jsonl", "{\"text\": \"a\"}\n");
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "run", s.config, "--input", input, "--plugin-dir", s.tmp, "-q",
                         NULL);
  const char *err = run.err;
  g_assert_cmpint(run.status, ==, 1); /* an input failed */
  g_autoptr(GPtrArray) lines = inf_test_parse_lines_by_index(run.out);
  g_autofree char *expected = g_strdup_printf(
      "node 'wait' (module class 'misuse-never', plugin %s): no result after 200ms (the "
      "module's timeout)",
      s.plugin);
  g_assert_cmpstr(json_object_get_string(inf_test_json_get(result_of(lines, 0), "errors/wait")), ==,
                  expected);
  /* The module's own message names the node and the plugin too. */
  g_autofree char *started = g_strdup_printf(
      "inf-engine: info: node 'wait' (module class 'misuse-never', plugin %s): started", s.plugin);
  g_assert_cmpuint(count_lines(err, started), ==, 1);
  teardown(&s);
}

/* The input is a FIFO this test keeps open, so only the signal can end the
 * run; the node never returns, so only its timeout can end the input in
 * flight. */
static void
test_sigterm_never_returning(void)
{
  Setup s;
  setup(&s, stuck_config);
  g_autofree char *fifo = g_build_filename(s.tmp, "in.fifo", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  int fd = open(fifo, O_RDWR | O_CLOEXEC); /* O_RDWR: does not wait for a reader */
  g_assert_cmpint(fd, >=, 0);
  const char line[] = "{\"text\": \"a\"}\n";
  g_assert_cmpint(write(fd, line, strlen(line)), ==, (gssize)strlen(line));
  InfTestEngine *engine =
      inf_test_engine_start_va(NULL, "run", s.config, "--input", fifo, "--plugin-dir", s.tmp, NULL);
  inf_test_engine_wait_err(engine, "): started"); /* the node runs */
  inf_test_engine_send_signal(engine, SIGTERM);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run);
  close(fd);
  g_assert_cmpint(run.status, ==, 130);
  inf_test_assert_contains(run.err, "interrupted: 1 inputs (1 failed)");
  g_autoptr(GPtrArray) lines = inf_test_parse_lines_by_index(run.out);
  inf_test_assert_contains(
      json_object_get_string(inf_test_json_get(result_of(lines, 0), "errors/wait")),
      "no result after 200ms (the module's timeout)");
  teardown(&s);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/contracts-cli/second-returns", test_second_returns);
  g_test_add_func("/contracts-cli/timeout", test_timeout);
  g_test_add_func("/contracts-cli/sigterm-never-returning", test_sigterm_never_returning);
  return g_test_run();
}
