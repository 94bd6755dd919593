/* The shared test fixtures for tests that link the core: the in-tree
 * plugins loaded into a registry (see inf-test.h for the rest). */
#pragma once

#include <inf/inf.h>

#include "exec/scheduler.h"
#include "inf-test.h"
#include "optim/loss.h"
#include "plugin/loader.h"
#include "resources/manager.h"

G_BEGIN_DECLS

/* Where the in-tree plugins are: INF_PLUGIN_PATH when it is set (a
 * ':'-separated list), else the build's plugin dir. */
const char *inf_test_plugin_path(void);
/* Loads every plugin of inf_test_plugin_path() into @registry; fails the
 * test when a dir cannot be read. Free the loader after the registry's
 * last user. */
InfPluginLoader *inf_test_load_plugins(InfRegistry *registry);
/* Loads the one in-tree plugin @name ("sfa" for sfa.so) into @registry. */
InfPluginLoader *inf_test_load_plugin(InfRegistry *registry, const char *name);
/* A registry with the built-in classes and the in-tree plugins; *@loader
 * gets the loader. */
InfRegistry *inf_test_registry_new(InfPluginLoader **loader);

/* A temp dir plus a registry with the built-ins and the in-tree plugins,
 * for tests that load config files (g_test_add fixture functions). */
typedef struct {
  char *dir;
  InfRegistry *registry;
  InfPluginLoader *loader;
} InfTestConfigFixture;

void inf_test_config_fixture_set_up(InfTestConfigFixture *f, gconstpointer data);
void inf_test_config_fixture_tear_down(InfTestConfigFixture *f, gconstpointer data);

/* A resource manager for the resources block @json_text (parsed as
 * "test.json", JSON path "resources", with the classes of @registry); fails
 * the test when it is not valid. *@config gets the parsed config: free it
 * with inf_resources_config_free after the manager. */
InfResourceManager *inf_test_resources_new(InfRegistry *registry, const char *json_text,
                                           InfResourcesConfig **config);

/* A registry and, once a test sets them, resources on it (a manager and its
 * config) and the loopback fake server, for unit tests that call the core
 * (g_test_add fixture functions; tests with more state embed it). The
 * tear-down frees what is set. */
typedef struct {
  InfRegistry *registry;
  InfPluginLoader *loader;    /* NULL unless the in-tree plugins are loaded */
  InfFakeLlm *fake;           /* NULL unless a test starts it (inf_test_fake_start()) */
  InfResourcesConfig *config; /* NULL until resources are set */
  InfResourceManager *rm;
} InfTestResourcesFixture;

/* An empty registry: add classes, then set resources. */
void inf_test_resources_fixture_set_up(InfTestResourcesFixture *f, gconstpointer data);
/* A registry with the in-tree plugins (no built-ins). */
void inf_test_resources_fixture_set_up_plugins(InfTestResourcesFixture *f, gconstpointer data);
/* Makes f->rm and f->config from the resources block @json_text (see
 * inf_test_resources_new()). */
void inf_test_resources_fixture_set(InfTestResourcesFixture *f, const char *json_text);
/* The same with a printf format (e.g. the fake's base URL). */
void inf_test_resources_fixture_set_printf(InfTestResourcesFixture *f, const char *format, ...)
    G_GNUC_PRINTF(2, 3);
void inf_test_resources_fixture_tear_down(InfTestResourcesFixture *f, gconstpointer data);

/* What one loss evaluation gave: inf_test_loss_evaluate() fills it. */
typedef struct {
  gboolean done;
  InfFeedback *feedback; /* owned; NULL on error */
  GError *error;         /* owned */
} InfTestLossResult;

/* The InfLossDoneFunc that fills the InfTestLossResult @data; fails the test
 * when it is called twice. */
void inf_test_loss_done(InfFeedback *feedback, GError *error, gpointer data);
/* Evaluates @loss (inf_loss_evaluate() with these arguments) and iterates
 * the thread-default context until it finished; fails the test when the
 * loss reports twice. Clear @r with inf_test_loss_result_clear(). */
void inf_test_loss_evaluate(InfLoss *loss, InfValue *output, json_object *target,
                            json_object *example, guint64 index, InfResourceManager *resources,
                            InfTestLossResult *r);
void inf_test_loss_result_clear(InfTestLossResult *r);

/* One input run through a scheduler: @state is the input's exec state (the
 * caller's reference; unref it when done), @done turns TRUE when the
 * scheduler finished it. */
typedef struct {
  InfExecState *state;
  gboolean fed;
  gboolean done;
} InfTestInput;

/* Makes @input the only input of @scheduler (its feed and done callbacks)
 * and pumps it once; iterate the main context until input->done. */
void inf_test_scheduler_start(InfScheduler *scheduler, InfTestInput *input);

G_END_DECLS
