/* Integration tests of `inf-engine validate` and `inf-engine graph`: the real
 * program on config files in a temp dir. */
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "graph-fixtures.h"

#define RESOURCES                                                       \
  "\"resources\": {\"endpoints\": {\"fast\": {\"provider\": \"mock\"}," \
  " \"smart\": {\"provider\": \"mock\"}}}"

#define PIPELINE                                                                           \
  "{\n" RESOURCES ",\n"                                                                    \
  " \"modules\": {\n"                                                                      \
  "  \"fast\": {\"type\": \"llm\", \"alias\": \"fast\"},\n"                                \
  "  \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"           \
  "    \"summary\": {\"module\": \"fast\", \"args\": [\"$text\"]},\n"                      \
  "    \"keywords\": {\"module\": \"fast\", \"args\": [\"$summary\"], \"priority\": 1},\n" \
  "    \"report\": {\"module\": {\"type\": \"llm\", \"alias\": \"smart\"},\n"              \
  "                 \"args\": [\"$keywords\"]}},\n"                                        \
  "   \"outputs\": {\"summary\": \"$summary\", \"report\": \"$report\"}}},\n"              \
  " \"main\": \"pipeline\"\n"                                                              \
  "}\n"

typedef struct {
  char *dir;
  char *config;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->dir = inf_test_mkdtemp("inf-cli");
  f->config = inf_test_write(f->dir, "pipeline.json", PIPELINE);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  inf_test_rmdir(f->dir);
  g_free(f->dir);
  g_free(f->config);
}

static void
test_validate_ok(Fixture *f, gconstpointer data)
{
  (void)data;
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "validate", f->config, NULL);
  g_assert_cmpint(run.status, ==, 0);
  g_autofree char *expected =
      g_strdup_printf("%s: valid (3 nodes, inputs: text, aliases: fast, smart)\n", f->config);
  g_assert_cmpstr(run.out, ==, expected);
}

static void
test_validate_error(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *bad = inf_test_write(
      f->dir, "bad.json",
      "{" RESOURCES
      ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fsat\"}}, \"main\": \"s\"}");
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "validate", bad, NULL);
  g_assert_cmpint(run.status, ==, 2);
  g_assert_cmpstr(run.out, ==, "");
  g_autofree char *expected = g_strdup_printf(
      "%s: modules.s.alias: unknown alias 'fsat'; known aliases: fast, smart\n", bad);
  g_assert_true(g_str_has_prefix(run.err, expected));

  g_auto(InfTestRun) syntax = { 0 };
  g_autofree char *broken = inf_test_write(f->dir, "broken.json", "{\n  \"main\": ,\n}");
  inf_test_engine_run_va(&syntax, NULL, "validate", broken, NULL);
  g_assert_cmpint(syntax.status, ==, 2);
  g_autofree char *prefix = g_strdup_printf("%s:2:11: JSON syntax error", broken);
  g_assert_true(g_str_has_prefix(syntax.err, prefix));

  g_auto(InfTestRun) missing = { 0 };
  inf_test_engine_run_va(&missing, NULL, "validate", "/nonexistent/pipeline.json", NULL);
  g_assert_cmpint(missing.status, ==, 2);
  g_assert_nonnull(strstr(missing.err, "/nonexistent/pipeline.json"));
}

static void
test_validate_resources_option(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *config = inf_test_write(
      f->dir, "prod-only.json",
      "{\"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"prod\"}}, \"main\": \"s\"}");
  g_autofree char *resources = inf_test_write(
      f->dir, "prod-resources.json", "{\"endpoints\": {\"prod\": {\"provider\": \"mock\"}}}");
  g_auto(InfTestRun) without = { 0 };
  inf_test_engine_run_va(&without, NULL, "validate", config, NULL);
  g_assert_cmpint(without.status, ==, 2);
  g_assert_nonnull(strstr(without.err, "modules.s.alias: unknown alias 'prod'"));
  g_auto(InfTestRun) with = { 0 };
  inf_test_engine_run_va(&with, NULL, "validate", "--resources", resources, config, NULL);
  g_assert_cmpint(with.status, ==, 0);
  g_assert_nonnull(strstr(with.out, "valid (1 node, inputs: prompt, aliases: prod)"));
}

static void
test_validate_usage(Fixture *f, gconstpointer data)
{
  (void)data;
  g_auto(InfTestRun) none = { 0 };
  inf_test_engine_run_va(&none, NULL, "validate", NULL);
  g_assert_cmpint(none.status, ==, 2);
  g_assert_nonnull(strstr(none.err, "expected exactly one CONFIG"));
  g_auto(InfTestRun) dir = { 0 };
  inf_test_engine_run_va(&dir, NULL, "validate", "--plugin-dir", "/nonexistent/plugins", f->config,
                         NULL);
  g_assert_cmpint(dir.status, ==, 2);
  g_assert_nonnull(strstr(dir.err, "/nonexistent/plugins"));
  g_auto(InfTestRun) help = { 0 };
  inf_test_engine_run_va(&help, NULL, "validate", "--help", NULL);
  g_assert_cmpint(help.status, ==, 0);
  g_assert_nonnull(strstr(help.out, "--resources"));
  g_assert_nonnull(strstr(help.out, "--plugin-dir"));
  (void)f;
}

/* `inf-engine graph ARGS... CONFIG` (@args NULL-terminated) must succeed
 * with an output that starts with @prefix and holds every one of
 * @fragments (NULL-terminated). */
static void
assert_graph(Fixture *f, const char *const *args, const char *prefix, const char *const *fragments)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, "graph");
  for (; *args; args++)
    g_ptr_array_add(argv, (gpointer)*args);
  g_ptr_array_add(argv, f->config);
  g_ptr_array_add(argv, NULL);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run(&run, NULL, (const char *const *)argv->pdata);
  g_assert_cmpint(run.status, ==, 0);
  g_assert_true(g_str_has_prefix(run.out, prefix));
  for (; *fragments; fragments++)
    inf_test_assert_contains(run.out, *fragments);
}

static void
test_graph_dot(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_graph(f, (const char *const[]){ NULL }, "digraph \"pipeline\" {",
               (const char *const[]){ "\"input:text\" -> \"summary\" [label=\"prompt\"];",
                                      "\"summary\" -> \"keywords\" [label=\"prompt\"];",
                                      "\"keywords\" -> \"report\" [label=\"prompt\"];",
                                      "label=\"keywords\\nllm @fast\\npriority 1\"",
                                      "\"report\" -> \"output:report\";", NULL });
}

static void
test_graph_mermaid(Fixture *f, gconstpointer data)
{
  (void)data;
  assert_graph(f, (const char *const[]){ "--format", "mermaid", NULL }, "flowchart TD\n",
               (const char *const[]){ "n1[\"summary<br/>llm @fast\"]", "n0 -->|\"prompt\"| n1",
                                      "n2 -->|\"prompt\"| n3", NULL });
}

static void
test_graph_json(Fixture *f, gconstpointer data)
{
  (void)data;
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "graph", "--format", "json", f->config, NULL);
  g_assert_cmpint(run.status, ==, 0);
  json_object *json = json_tokener_parse(run.out);
  g_assert_nonnull(json);
  json_object *nodes = json_object_object_get(json, "nodes");
  g_assert_cmpuint(json_object_array_length(nodes), ==, 3);
  const char *ids[] = { "summary", "keywords", "report" };
  const char *aliases[] = { "fast", "fast", "smart" };
  for (guint i = 0; i < 3; i++) {
    json_object *node = json_object_array_get_idx(nodes, i);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(node, "id")), ==, ids[i]);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(node, "module")), ==, "llm");
    g_assert_cmpstr(json_object_get_string(json_object_object_get(node, "alias")), ==, aliases[i]);
  }
  g_assert_cmpint(
      json_object_get_int(json_object_object_get(json_object_array_get_idx(nodes, 1), "priority")),
      ==, 1);
  json_object *outputs = json_object_object_get(json, "outputs");
  g_assert_cmpstr(json_object_get_string(
                      json_object_object_get(json_object_object_get(outputs, "report"), "ref")),
                  ==, "report");
  json_object_put(json);

  /* --output writes the same to a file */
  g_autofree char *out = g_build_filename(f->dir, "graph.json", NULL);
  g_auto(InfTestRun) to_file = { 0 };
  inf_test_engine_run_va(&to_file, NULL, "graph", "-f", "json", "-o", out, f->config, NULL);
  g_assert_cmpint(to_file.status, ==, 0);
  g_autofree char *contents = NULL;
  g_assert_true(g_file_get_contents(out, &contents, NULL, NULL));
  g_assert_cmpstr(contents, ==, run.out);
}

static void
test_graph_errors(Fixture *f, gconstpointer data)
{
  (void)data;
  g_auto(InfTestRun) format = { 0 };
  inf_test_engine_run_va(&format, NULL, "graph", "--format", "svg", f->config, NULL);
  g_assert_cmpint(format.status, ==, 2);
  g_assert_nonnull(strstr(format.err, "unknown format 'svg'; formats: dot, mermaid, json"));

  g_autofree char *cyclic = inf_test_write(
      f->dir, "cyclic.json",
      "{" RESOURCES ", \"main\": {\"type\": \"graph\", \"nodes\": {"
      " \"a\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": [\"$b\"]},"
      " \"b\": {\"module\": {\"type\": \"llm\", \"alias\": \"fast\"}, \"args\": [\"$a\"]}},"
      " \"outputs\": \"$b\"}}");
  g_auto(InfTestRun) cycle = { 0 };
  inf_test_engine_run_va(&cycle, NULL, "graph", cyclic, NULL);
  g_assert_cmpint(cycle.status, ==, 2);
  g_autofree char *expected = g_strdup_printf("%s: main.nodes: cycle: a -> b -> a", cyclic);
  g_assert_true(g_str_has_prefix(cycle.err, expected));
}

/* A config that cannot be used is exit status 2 from every command that
 * loads one, with the same message; nothing is written to stdout. */
static void
test_config_error_status(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *bad = inf_test_write(
      f->dir, "bad-alias.json",
      "{" RESOURCES
      ", \"modules\": {\"s\": {\"type\": \"llm\", \"alias\": \"fsat\"}}, \"main\": \"s\"}");
  g_autofree char *expected = g_strdup_printf(
      "%s: modules.s.alias: unknown alias 'fsat'; known aliases: fast, smart\n", bad);
  const char *commands[][4] = {
    { "validate", bad, NULL, NULL },
    { "graph", bad, NULL, NULL },
    { "estimate", bad, "--input=/dev/null", NULL },
    { "run", bad, "--input=/dev/null", "--quiet" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    g_auto(InfTestRun) run = { 0 };
    inf_test_engine_run_va(&run, NULL, commands[i][0], commands[i][1], commands[i][2],
                           commands[i][3], NULL);
    g_test_message("%s: %d: %s", commands[i][0], run.status, run.err);
    g_assert_cmpint(run.status, ==, 2);
    g_assert_cmpstr(run.out, ==, "");
    g_assert_true(g_str_has_prefix(run.err, expected));
  }
}

/* Every example config in configs/ is valid. */
static void
test_examples_valid(Fixture *f, gconstpointer data)
{
  (void)data, (void)f;
  const char *dir = g_getenv("INF_CONFIGS_DIR");
  g_assert_nonnull(dir);
  GDir *d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  const char *name;
  guint n = 0;
  while ((name = g_dir_read_name(d))) {
    if (!g_str_has_suffix(name, ".json"))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_auto(InfTestRun) run = { 0 };
    inf_test_engine_run_va(&run, NULL, "validate", path, NULL);
    if (run.status != 0)
      g_error("%s is not valid: %s", name, run.err);
    g_assert_nonnull(strstr(run.out, ": valid ("));
    n++;
  }
  g_dir_close(d);
  g_assert_cmpuint(n, >=, 1);
}

/* Regression: graph --output replaced a symlink (or a device) by a regular
 * file and changed the permissions, and write errors went unnoticed. */
static void
test_graph_output_in_place(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *real = g_build_filename(f->dir, "real.dot", NULL);
  g_autofree char *link = g_build_filename(f->dir, "link.dot", NULL);
  g_assert_true(g_file_set_contents(real, "old", -1, NULL));
  g_assert_cmpint(g_chmod(real, 0640), ==, 0);
  g_assert_cmpint(symlink("real.dot", link), ==, 0);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "graph", f->config, "--output", link, NULL);
  g_assert_cmpint(run.status, ==, 0);
  GStatBuf st;
  g_assert_cmpint(g_lstat(link, &st), ==, 0);
  g_assert_true(S_ISLNK(st.st_mode)); /* still a link */
  g_assert_cmpint(g_stat(real, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0640); /* mode kept */
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(real, &text, NULL, NULL));
  g_assert_true(g_str_has_prefix(text, "digraph "));

  /* a regular file keeps its mode when replaced */
  g_auto(InfTestRun) again = { 0 };
  inf_test_engine_run_va(&again, NULL, "graph", f->config, "--output", real, NULL);
  g_assert_cmpint(again.status, ==, 0);
  g_assert_cmpint(g_stat(real, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0640);

  /* a device is written in place, and its write error reported */
  if (g_file_test("/dev/full", G_FILE_TEST_EXISTS)) {
    g_auto(InfTestRun) full = { 0 };
    inf_test_engine_run_va(&full, NULL, "graph", f->config, "--output", "/dev/full", NULL);
    g_assert_cmpint(full.status, ==, 1);
    g_assert_nonnull(strstr(full.err, "inf-engine graph: cannot write /dev/full: "));
    g_assert_true(g_file_test("/dev/full", G_FILE_TEST_EXISTS));
  }
}

/* Regression: control characters in a config key were echoed raw to the
 * terminal. */
static void
test_control_characters_escaped(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autofree char *path =
      inf_test_write(f->dir, "hostile.json", "{\"ma\\u001b[2Jin\\u0007\": \"x\"}");
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "validate", path, NULL);
  g_assert_cmpint(run.status, ==, 2);
  g_assert_null(strchr(run.err, '\033'));
  g_assert_null(strchr(run.err, '\007'));
  g_assert_nonnull(strstr(run.err, ": ma\\x1b[2Jin\\x07: unknown top-level key"));
}

static const INF_TEST_CASES(Fixture) cases[] = {
  { "validate/ok", test_validate_ok },
  { "validate/error", test_validate_error },
  { "validate/resources-option", test_validate_resources_option },
  { "validate/usage", test_validate_usage },
  { "graph/dot", test_graph_dot },
  { "graph/mermaid", test_graph_mermaid },
  { "graph/json", test_graph_json },
  { "graph/errors", test_graph_errors },
  { "graph/output-in-place", test_graph_output_in_place },
  { "config-error-status", test_config_error_status },
  { "validate/control-characters-escaped", test_control_characters_escaped },
  { "examples-valid", test_examples_valid },
};

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  inf_test_add_cases("/cli/", Fixture, fixture_setup, cases, fixture_teardown);
  return g_test_run();
}
