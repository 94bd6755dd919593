/* The shared test fixtures: the in-tree plugins (inf-test-plugins.h). */
#include "inf-test-plugins.h"

#include "config/builtins.h"

#include <string.h>

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

void
inf_test_resources_fixture_set_up(InfTestResourcesFixture *f, gconstpointer data)
{
  (void)data;
  f->registry = inf_registry_new();
}

void
inf_test_resources_fixture_set_up_plugins(InfTestResourcesFixture *f, gconstpointer data)
{
  inf_test_resources_fixture_set_up(f, data);
  f->loader = inf_test_load_plugins(f->registry);
}

void
inf_test_resources_fixture_set(InfTestResourcesFixture *f, const char *json_text)
{
  g_assert_null(f->rm);
  f->rm = inf_test_resources_new(f->registry, json_text, &f->config);
}

void
inf_test_resources_fixture_set_printf(InfTestResourcesFixture *f, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  inf_test_resources_fixture_set(f, text);
}

void
inf_test_resources_fixture_tear_down(InfTestResourcesFixture *f, gconstpointer data)
{
  (void)data;
  g_clear_pointer(&f->rm, inf_resource_manager_free);
  g_clear_pointer(&f->config, inf_resources_config_free);
  if (f->fake != NULL)
    inf_test_fake_stop(g_steal_pointer(&f->fake));
  g_clear_pointer(&f->loader, inf_plugin_loader_free);
  g_clear_pointer(&f->registry, inf_registry_free);
}

void
inf_test_loss_done(InfFeedback *feedback, GError *error, gpointer data)
{
  InfTestLossResult *r = data;
  g_assert_false(r->done);
  r->done = TRUE;
  r->feedback = feedback;
  r->error = error;
}

void
inf_test_loss_evaluate(InfLoss *loss, InfValue *output, json_object *target, json_object *example,
                       guint64 index, InfResourceManager *resources, InfTestLossResult *r)
{
  memset(r, 0, sizeof *r);
  inf_loss_evaluate(loss, output, target, example, index, resources, inf_test_loss_done, r);
  while (!r->done)
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
}

void
inf_test_loss_result_clear(InfTestLossResult *r)
{
  inf_feedback_free(r->feedback);
  g_clear_error(&r->error);
  memset(r, 0, sizeof *r);
}
