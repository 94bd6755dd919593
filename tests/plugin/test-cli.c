/* Integration tests of the inf-engine program's plugin commands: --version,
 * --help, unknown commands, `plugins` (with a garbage .so beside good
 * plugins), and `inspect`. Runs the built program ($INF_ENGINE). */
#include <string.h>
#include <sys/wait.h>

#include <inf/version.h>

#include "inf-test.h"

/* The ABI this host provides, as `plugins` prints it. */
#define HOST_ABI G_STRINGIFY(INF_ABI_MAJOR) "." G_STRINGIFY(INF_ABI_MINOR)

/* Runs inf-engine with the NULL-terminated arguments; @plugin_path (may be
 * NULL: unset) is INF_PLUGIN_PATH. */
static void
run_engine(InfTestRun *run, const char *plugin_path, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *arg;
  va_list args;

  va_start(args, plugin_path);
  while ((arg = va_arg(args, const char *)) != NULL)
    g_ptr_array_add(argv, (char *)arg);
  va_end(args);
  g_ptr_array_add(argv, NULL);

  g_autofree char *setting =
      plugin_path != NULL ? g_strconcat("INF_PLUGIN_PATH=", plugin_path, NULL) : NULL;
  const char *env[] = { setting != NULL ? setting : "INF_PLUGIN_PATH", NULL };
  InfTestSpawn spawn = { .env = env };
  inf_test_engine_run(run, &spawn, (const char *const *)argv->pdata);
}

static void
test_version(void)
{
  g_auto(InfTestRun) run = { 0 };
  g_autofree char *expected = g_strdup_printf("inf-engine %s (ABI %d.%d)\n", INF_VERSION_STRING,
                                              INF_ABI_MAJOR, INF_ABI_MINOR);

  run_engine(&run, NULL, "--version", NULL);
  g_assert_cmpint(run.status, ==, 0);
  g_assert_cmpstr(run.out, ==, expected);
}

static void
test_help(void)
{
  const char *commands[] = { "plugins", "inspect", "validate", "graph", "run", "help" };
  g_auto(InfTestRun) run = { 0 };
  g_auto(InfTestRun) plugins_help = { 0 };
  g_auto(InfTestRun) inspect_help = { 0 };
  g_auto(InfTestRun) help_inspect = { 0 };

  run_engine(&run, NULL, "--help", NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, "Usage:\n  inf-engine [OPTION…] COMMAND", "--version");
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    g_autofree char *line = g_strdup_printf("\n  %s ", commands[i]);

    inf_test_assert_contains(run.out, line);
  }
  inf_test_assert_contains(run.out, "List the plugins found");

  run_engine(&plugins_help, NULL, "plugins", "--help", NULL);
  g_assert_cmpint(plugins_help.status, ==, 0);
  inf_test_assert_contains_all(plugins_help.out, "inf-engine plugins [OPTION…]",
                               "--plugin-dir=DIR");

  run_engine(&inspect_help, NULL, "inspect", "-h", NULL);
  g_assert_cmpint(inspect_help.status, ==, 0);
  inf_test_assert_contains_all(inspect_help.out, "inf-engine inspect [OPTION…] NAME",
                               "--plugin-dir=DIR");

  run_engine(&help_inspect, NULL, "help", "inspect", NULL);
  g_assert_cmpint(help_inspect.status, ==, 0);
  g_assert_cmpstr(help_inspect.out, ==, inspect_help.out);
}

static void
test_usage_errors(void)
{
  g_auto(InfTestRun) unknown = { 0 };
  g_auto(InfTestRun) none = { 0 };
  g_auto(InfTestRun) bad_option = { 0 };
  g_auto(InfTestRun) bad_global = { 0 };
  g_auto(InfTestRun) extra = { 0 };

  run_engine(&unknown, NULL, "frobnicate", NULL);
  g_assert_cmpint(unknown.status, ==, 2);
  inf_test_assert_contains_all(unknown.err, "unknown command 'frobnicate'",
                               "Commands: plugins, inspect, validate, graph, run");

  run_engine(&none, NULL, NULL);
  g_assert_cmpint(none.status, ==, 2);
  inf_test_assert_contains(none.err, "Usage:");

  run_engine(&bad_option, NULL, "plugins", "--frob", NULL);
  g_assert_cmpint(bad_option.status, ==, 2);
  inf_test_assert_contains_all(bad_option.err, "--frob", "inf-engine plugins --help");

  run_engine(&bad_global, NULL, "--frob", "plugins", NULL);
  g_assert_cmpint(bad_global.status, ==, 2);
  inf_test_assert_contains(bad_global.err, "--frob");

  run_engine(&extra, NULL, "plugins", "extra", NULL);
  g_assert_cmpint(extra.status, ==, 2);
  inf_test_assert_contains(extra.err, "unexpected argument 'extra'");
}

/* The acceptance case: a garbage .so beside good plugins. */
static void
test_plugins_with_garbage(void)
{
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *good = inf_test_copy_built_plugin("good", tmp);
  g_autofree char *abi = inf_test_copy_built_plugin("abi-major", tmp);
  g_autofree char *garbage = inf_test_write_garbage(tmp, "garbage.so", 2048);
  g_autofree char *good_line = g_strdup_printf("\n  %s\n    name:        test-good\n", good);
  g_autofree char *garbage_line = NULL;
  g_autofree char *abi_line = NULL;
  g_auto(InfTestRun) run = { 0 };

  run_engine(&run, NULL, "plugins", "--plugin-dir", tmp, NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, good_line, "    version:     1.2.3\n",
                               "    ABI:         " HOST_ABI "\n", "    license:     MIT\n",
                               "    modules:     test-echo\n"
                               "    clients:     test-client\n"
                               "    losses:      test-loss\n"
                               "    optimizers:  test-optimizer\n");
  /* Run from the build tree: the in-tree plugins are found too. */
  inf_test_assert_contains_all(run.out, "/plugins/llm.so\n    name:        llm\n",
                               "/plugins/template.so\n    name:        template\n",
                               "\nRefused (2):\n");
  garbage_line = g_strdup_printf("\n  %s: not a shared object (not an ELF file); remove it from "
                                 "the plugin directory\n",
                                 garbage);
  inf_test_assert_contains(run.out, garbage_line);
  abi_line = g_strdup_printf("\n  %s: built for ABI 2.0, this host provides " HOST_ABI
                             ": rebuild the plugin against this SDK\n",
                             abi);
  inf_test_assert_contains(run.out, abi_line);
  inf_test_rmdir(tmp);
}

/* Regression: a plugin that crashes in its register function used to take
 * down every command. `plugins` lists it as refused by name, and `validate`
 * of a config that does not use it still works. */
static void
test_crashing_plugin(void)
{
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *crash = inf_test_copy_built_plugin("crash", tmp);
  /* after crash.so in name order: the scan goes on past the crash */
  g_autofree char *good = inf_test_copy_built_plugin("good", tmp);
  g_autofree char *good_line = g_strdup_printf("\n  %s\n    name:        test-good\n", good);
  g_autofree char *config =
      inf_test_write(tmp, "pipeline.json",
                     "{\"modules\": {\"t\": {\"type\": \"template\", \"template\": \"{0}\"}}, "
                     "\"main\": \"t\"}");
  g_autofree char *refused_line = g_strdup_printf("\n  %s: crashed while loading (", crash);
  g_auto(InfTestRun) plugins = { 0 };
  g_auto(InfTestRun) validate = { 0 };
  g_auto(InfTestRun) inspect = { 0 };

  run_engine(&plugins, NULL, "plugins", "--plugin-dir", tmp, NULL);
  g_assert_cmpint(plugins.status, ==, 0);
  inf_test_assert_contains_all(plugins.out, "/plugins/template.so\n    name:        template\n",
                               good_line, "\nRefused (1):\n", refused_line);

  run_engine(&inspect, NULL, "inspect", "--plugin-dir", tmp, "template", NULL);
  g_assert_cmpint(inspect.status, ==, 0);
  inf_test_assert_contains(inspect.out, "template");

  run_engine(&validate, NULL, "validate", "--plugin-dir", tmp, config, NULL);
  g_assert_cmpint(validate.status, ==, 0);
  inf_test_assert_contains(validate.out, ": valid (1 node");
  inf_test_rmdir(tmp);
}

/* Without --plugin-dir or INF_PLUGIN_PATH, the build tree's plugins are
 * found because the program runs from the build tree. */
static void
test_plugins_build_tree(void)
{
  g_auto(InfTestRun) run = { 0 };

  run_engine(&run, NULL, "plugins", NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, "Search path:\n  ", "/plugins/llm.so\n",
                               "    modules:     llm\n", "    modules:     template\n",
                               "\nBuilt-in classes:\n", "\nRefused (0):\n  (none)\n");
}

static void
test_plugins_env_path(void)
{
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *copy = inf_test_copy_built_plugin("dup-a", tmp);
  g_autofree char *path = g_strdup_printf("/nonexistent-inf-dir:%s", tmp);
  g_auto(InfTestRun) run = { 0 };

  run_engine(&run, path, "plugins", NULL);
  g_assert_cmpint(run.status, ==, 0);
  inf_test_assert_contains_all(run.out, "  /nonexistent-inf-dir (not found)\n", copy,
                               "name:        test-dup-a");
  inf_test_rmdir(tmp);
}

static void
test_plugins_missing_dir(void)
{
  g_auto(InfTestRun) run = { 0 };

  run_engine(&run, NULL, "plugins", "--plugin-dir", "/nonexistent-inf-dir", NULL);
  g_assert_cmpint(run.status, ==, 1);
  inf_test_assert_contains(run.err, "/nonexistent-inf-dir (--plugin-dir) does not exist");
}

static void
test_inspect_llm(void)
{
  g_auto(InfTestRun) run = { 0 };

  run_engine(&run, NULL, "inspect", "llm", NULL);
  g_assert_cmpint(run.status, ==, 0);
  g_assert_true(g_str_has_prefix(run.out, "llm (module class)\n"));
  inf_test_assert_contains_all(
      run.out, "Kind:        module, atomic (execute), calls an LLM",
      "Provided by: ", "/plugins/llm.so (plugin llm ", "\nOptions:\n",
      "\n  alias            alias      required\n",
      "\n  system_prompt    parameter  optional, no default\n",
      "\n  temperature      number     optional, no default; range: 0 .. 2\n",
      "\n  max_tokens       integer    optional, no default; range: >= 1\n",
      "\n  response_format  enum       default: \"text\"; choices: text, json\n",
      "The resource alias to call", "\nInputs:\n  prompt  required\n");
}

static void
test_inspect_kinds(void)
{
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *copy = inf_test_copy_built_plugin("good", tmp);
  g_autofree char *provided = g_strdup_printf("Provided by: %s (plugin test-good 1.2.3)", copy);
  g_auto(InfTestRun) echo = { 0 };
  g_auto(InfTestRun) client = { 0 };
  g_auto(InfTestRun) wrong_kind = { 0 };
  g_auto(InfTestRun) bad_kind = { 0 };
  g_auto(InfTestRun) template = { 0 };

  run_engine(&echo, NULL, "inspect", "--plugin-dir", tmp, "test-echo", NULL);
  g_assert_cmpint(echo.status, ==, 0);
  inf_test_assert_contains_all(echo.out, provided, "  prefix  string   default: \"\"\n",
                               "  color   enum     default: \"red\"; choices: red, green\n",
                               "  count   integer  optional, no default; range: 1 .. 10\n",
                               "\nInputs:\n  text  required\n      What to echo\n");

  run_engine(&client, NULL, "inspect", "client:test-client", "--plugin-dir", tmp, NULL);
  g_assert_cmpint(client.status, ==, 0);
  g_assert_true(g_str_has_prefix(client.out, "test-client (client class)\n"));
  inf_test_assert_contains_all(client.out, "in process (call), needs no API key",
                               "\nOptions:\n  (none)\n",
                               /* then the endpoint fields, which every client's endpoints have */
                               "\nEndpoint fields (of every endpoint, besides the "
                               "options above):\n  provider             string   required\n",
                               "\n  timeout              number   default: 600; range: "
                               ">= 0.001\n      Seconds per request");

  run_engine(&wrong_kind, NULL, "inspect", "loss:test-client", "--plugin-dir", tmp, NULL);
  g_assert_cmpint(wrong_kind.status, ==, 1);
  inf_test_assert_contains(wrong_kind.err, "no class named 'test-client' of kind loss");

  run_engine(&bad_kind, NULL, "inspect", "gadget:x", NULL);
  g_assert_cmpint(bad_kind.status, ==, 2);
  inf_test_assert_contains(bad_kind.err, "unknown class kind 'gadget'");

  run_engine(&template, NULL, "inspect", "template", NULL);
  g_assert_cmpint(template.status, ==, 0);
  inf_test_assert_contains_all(template.out, "  template  string  required\n",
                               "\nInputs:\n  any (named or positional arguments)\n");
  inf_test_rmdir(tmp);
}

static void
test_inspect_unknown(void)
{
  g_auto(InfTestRun) run = { 0 };
  g_auto(InfTestRun) missing = { 0 };

  run_engine(&run, NULL, "inspect", "nosuch", NULL);
  g_assert_cmpint(run.status, ==, 1);
  g_assert_cmpstr(run.out, ==, "");
  inf_test_assert_contains_all(run.err, "inf-engine inspect: no class named 'nosuch'\n",
                               "Known classes:\n", "  modules:", "llm", "template",
                               "  clients:", "mock", "  losses:", "  optimizers:");

  run_engine(&missing, NULL, "inspect", NULL);
  g_assert_cmpint(missing.status, ==, 2);
  inf_test_assert_contains(missing.err, "missing NAME");
}

/* An unknown module type or provider error names every searched directory
 * (in order, missing ones marked) and the two ways to add one; `inspect` of
 * an unknown class says the same. */
static void
test_unknown_class_hint(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *env_dir = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *env_path = g_strdup_printf("/nonexistent-inf-dir:%s", env_dir);
  g_autofree char *module_config = inf_test_write(
      dir, "module.json", "{\"modules\": {\"s\": {\"type\": \"shout\"}}, \"main\": \"s\"}");
  g_autofree char *client_config = inf_test_write(
      dir, "client.json",
      "{\"resources\": {\"endpoints\": {\"e\": {\"provider\": \"echo\", \"model\": \"m\"}}},"
      " \"modules\": {\"t\": {\"type\": \"template\", \"template\": \"{0}\"}}, \"main\": \"t\"}");
  g_autofree char *searched = g_strdup_printf(
      "provides it: searched %s, /nonexistent-inf-dir (not found), %s, ", dir, env_dir);
  static const char add[] =
      "; add the plugin's directory with --plugin-dir DIR or INF_PLUGIN_PATH\n";
  g_auto(InfTestRun) module = { 0 };
  g_auto(InfTestRun) client = { 0 };
  g_auto(InfTestRun) inspect = { 0 };

  run_engine(&module, env_path, "validate", "--plugin-dir", dir, module_config, NULL);
  g_assert_cmpint(module.status, ==, 2);
  inf_test_assert_contains_all(
      module.err, "modules.s.type: ", "unknown module type 'shout'; known module types: ",
      "; no plugin loaded provides it: searched ", searched, add);

  run_engine(&client, env_path, "validate", "--plugin-dir", dir, client_config, NULL);
  g_assert_cmpint(client.status, ==, 2);
  inf_test_assert_contains_all(client.err, "unknown provider 'echo'; known providers: ",
                               "; no plugin loaded provides it: searched ", searched, add);

  run_engine(&inspect, env_path, "inspect", "--plugin-dir", dir, "module:shout", NULL);
  g_assert_cmpint(inspect.status, ==, 1);
  inf_test_assert_contains_all(inspect.err, "no class named 'shout' of kind module\n",
                               "\nNo plugin loaded provides it: searched ", searched, add);

  /* A config error that is not about a class names no directories. */
  {
    g_autofree char *bad = inf_test_write(dir, "bad.json", "{\"modules\": {}, \"main\": \"x\"}");
    g_auto(InfTestRun) other = { 0 };

    run_engine(&other, env_path, "validate", bad, NULL);
    g_assert_cmpint(other.status, ==, 2);
    g_assert_null(strstr(other.err, "searched"));
  }
  inf_test_rmdir(dir);
  inf_test_rmdir(env_dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/version", test_version);
  g_test_add_func("/cli/help", test_help);
  g_test_add_func("/cli/usage-errors", test_usage_errors);
  g_test_add_func("/cli/plugins-with-garbage", test_plugins_with_garbage);
  g_test_add_func("/cli/plugins-build-tree", test_plugins_build_tree);
  g_test_add_func("/cli/crashing-plugin", test_crashing_plugin);
  g_test_add_func("/cli/plugins-env-path", test_plugins_env_path);
  g_test_add_func("/cli/plugins-missing-dir", test_plugins_missing_dir);
  g_test_add_func("/cli/inspect-llm", test_inspect_llm);
  g_test_add_func("/cli/inspect-kinds", test_inspect_kinds);
  g_test_add_func("/cli/inspect-unknown", test_inspect_unknown);
  g_test_add_func("/cli/unknown-class-hint", test_unknown_class_hint);
  return g_test_run();
}
