/* The shared test fixtures: the in-tree plugins (inf-test-plugins.h). */
#include "inf-test-plugins.h"

#include "config/builtins.h"

const char *
inf_test_plugin_path(void)
{
  const char *path = g_getenv("INF_PLUGIN_PATH");
  return path != NULL && *path != '\0' ? path : INF_TEST_BUILD_PLUGIN_DIR;
}

InfPluginLoader *
inf_test_load_plugins(InfRegistry *registry)
{
  InfPluginLoader *loader = inf_plugin_loader_new(registry);
  g_auto(GStrv) dirs = g_strsplit(inf_test_plugin_path(), ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++) {
    if (dirs[i][0] == '\0')
      continue;
    g_autoptr(GError) error = NULL;
    inf_plugin_loader_load_dir(loader, dirs[i], &error);
    g_assert_no_error(error);
  }
  return loader;
}

InfPluginLoader *
inf_test_load_plugin(InfRegistry *registry, const char *name)
{
  InfPluginLoader *loader = inf_plugin_loader_new(registry);
  g_auto(GStrv) dirs = g_strsplit(inf_test_plugin_path(), ":", -1);
  g_autofree char *file_name = g_strconcat(name, ".so", NULL);
  for (guint i = 0; dirs[i] != NULL; i++) {
    g_autofree char *file = g_build_filename(dirs[i], file_name, NULL);
    if (dirs[i][0] == '\0' || !g_file_test(file, G_FILE_TEST_EXISTS))
      continue;
    g_autoptr(GError) error = NULL;
    inf_plugin_loader_load_file(loader, file, &error);
    g_assert_no_error(error);
    return loader;
  }
  g_error("plugin %s is not in %s", file_name, inf_test_plugin_path());
}

InfRegistry *
inf_test_registry_new(InfPluginLoader **loader)
{
  g_autoptr(GError) error = NULL;
  InfRegistry *registry = inf_registry_new();
  g_assert_true(inf_builtins_register(registry, &error));
  g_assert_no_error(error);
  *loader = inf_test_load_plugins(registry);
  return registry;
}

void
inf_test_config_fixture_set_up(InfTestConfigFixture *f, gconstpointer data)
{
  (void)data;
  f->dir = inf_test_mkdtemp("inf-config-test");
  f->registry = inf_test_registry_new(&f->loader);
}

void
inf_test_config_fixture_tear_down(InfTestConfigFixture *f, gconstpointer data)
{
  (void)data;
  inf_test_rmdir(f->dir);
  g_free(f->dir);
  inf_plugin_loader_free(f->loader);
  inf_registry_free(f->registry);
}

static gboolean
feed_one(InfScheduler *scheduler, gpointer data)
{
  InfTestInput *input = data;
  if (input->fed)
    return FALSE;
  input->fed = TRUE;
  inf_scheduler_add_input(scheduler, input->state);
  return TRUE;
}

static void
one_done(InfScheduler *scheduler, InfExecState *state, gpointer data)
{
  (void)scheduler;
  (void)state;
  ((InfTestInput *)data)->done = TRUE;
}

void
inf_test_scheduler_start(InfScheduler *scheduler, InfTestInput *input)
{
  inf_scheduler_set_callbacks(
      scheduler, &(InfSchedulerCallbacks){ .feed = feed_one, .done = one_done }, input);
  inf_scheduler_pump(scheduler);
}

InfResourceManager *
inf_test_resources_new(InfRegistry *registry, const char *json_text, InfResourcesConfig **config)
{
  g_autoptr(GError) error = NULL;
  json_object *json = json_tokener_parse(json_text);
  g_assert_nonnull(json);
  *config = inf_resources_config_parse(json, "test.json", "resources", registry, &error);
  json_object_put(json);
  g_assert_no_error(error);
  InfResourceManager *manager = inf_resource_manager_new(*config, registry, &error);
  g_assert_no_error(error);
  return manager;
}
