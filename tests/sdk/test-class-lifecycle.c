/* The class lifecycle rules of inf/module.h ("Lifecycle"), for every class
 * kind (module, client, loss, optimizer): init errors prefixed once with the
 * config file and JSON path, an init that fails without an error reported
 * as INF_ERROR_FAILED, no finalize after a failed init, and finalize called
 * (with NULL private data too) for every instance whose init succeeded. */
#include <inf/inf.h>

#include "model/module-private.h"
#include "optim/loss.h"
#include "optim/optimizer.h"
#include "resources/endpoint.h"
#include "resources/manager.h"

/* What init does, chosen by the test before creating an instance. */
typedef enum {
  INIT_OK_NULL,         /* succeeds, stores no private data */
  INIT_OK_DATA,         /* succeeds, stores private data */
  INIT_FAIL_PLAIN,      /* fails: "bad value" */
  INIT_FAIL_PREFIXED,   /* fails: "PATH.size: bad value" (already names the path) */
  INIT_FAIL_WITH_FILE,  /* fails: "FILE: PATH.size: bad value" (already names both) */
  INIT_FAIL_NO_MESSAGE, /* returns FALSE without setting the error */
} InitMode;

static InitMode init_mode;
static guint n_finalize;
static guint n_finalize_null;

static gboolean
init_common(const InfOptions *options, gpointer *out_private, GError **error)
{
  g_assert_null(*out_private);
  switch (init_mode) {
  case INIT_OK_NULL:
    return TRUE;
  case INIT_OK_DATA:
    *out_private = g_strdup("data");
    return TRUE;
  case INIT_FAIL_PLAIN:
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "bad value");
    return FALSE;
  case INIT_FAIL_PREFIXED:
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s.size: bad value",
                inf_options_get_path(options));
    return FALSE;
  case INIT_FAIL_WITH_FILE:
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s: %s.size: bad value",
                inf_options_get_file(options), inf_options_get_path(options));
    return FALSE;
  case INIT_FAIL_NO_MESSAGE:
    return FALSE;
  }
  g_assert_not_reached();
}

static void
finalize_common(gpointer data)
{
  n_finalize++;
  if (data == NULL)
    n_finalize_null++;
  g_free(data);
}

/* --- the classes --- */

static gboolean
module_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  return init_common(options, out_private, error);
}

static void
module_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, NULL);
}

static const InfModuleClass module_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "lifecycle-module",
  .init = module_init,
  .finalize = finalize_common,
  .execute = module_execute,
};

/* No init: finalize still runs, with NULL. */
static const InfModuleClass module_no_init_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "lifecycle-module-no-init",
  .finalize = finalize_common,
  .execute = module_execute,
};

static gboolean
client_init(InfClient *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  return init_common(options, out_private, error);
}

static void
client_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  (void)call;
  g_assert_not_reached();
}

static const InfClientClass client_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "lifecycle-client",
  .init = client_init,
  .finalize = finalize_common,
  .call = client_call,
};

static gboolean
loss_init(InfLoss *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  return init_common(options, out_private, error);
}

static void
loss_evaluate(InfLoss *self, InfValue *output, json_object *target, json_object *example,
              InfLossTask *task)
{
  (void)self;
  (void)output;
  (void)target;
  (void)example;
  inf_loss_task_return(task, inf_feedback_new(INF_FEEDBACK_VERIFIER));
}

static const InfLossClass loss_class = {
  .struct_size = sizeof(InfLossClass),
  .name = "lifecycle-loss",
  .init = loss_init,
  .finalize = finalize_common,
  .evaluate = loss_evaluate,
};

static gboolean
optimizer_init(InfOptimizer *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  return init_common(options, out_private, error);
}

static void
optimizer_step(InfOptimizer *self, InfOptimizerStep *step)
{
  (void)self;
  inf_optimizer_step_return(step);
}

static const InfOptimizerClass optimizer_class = {
  .struct_size = sizeof(InfOptimizerClass),
  .name = "lifecycle-optimizer",
  .init = optimizer_init,
  .finalize = finalize_common,
  .step = optimizer_step,
};

static InfRegistry *
make_registry(void)
{
  InfRegistry *registry = inf_registry_new();
  g_assert_true(inf_registry_add_module_class(registry, &module_class, NULL));
  g_assert_true(inf_registry_add_module_class(registry, &module_no_init_class, NULL));
  g_assert_true(inf_registry_add_client_class(registry, &client_class, NULL));
  g_assert_true(inf_registry_add_loss_class(registry, &loss_class, NULL));
  g_assert_true(inf_registry_add_optimizer_class(registry, &optimizer_class, NULL));
  return registry;
}

/* --- one creation per kind; each returns whether an instance was made and
 * frees it at once --- */

typedef gboolean (*CreateFunc)(InfRegistry *registry, GError **error);

static gboolean
create_module(InfRegistry *registry, GError **error)
{
  InfModule *module = inf_module_new_full(registry, &module_class, "m", NULL, NULL, "conf.json",
                                          "modules.m", NULL, error);
  if (module == NULL)
    return FALSE;
  inf_module_unref(module);
  return TRUE;
}

static gboolean
create_client(InfRegistry *registry, GError **error)
{
  json_object *json =
      json_tokener_parse("{\"endpoints\": {\"fast\": {\"provider\": \"lifecycle-client\"}}}");
  InfResourcesConfig *config =
      inf_resources_config_parse(json, "conf.json", "resources", registry, error);
  json_object_put(json);
  g_assert_nonnull(config);
  InfResourceManager *manager = inf_resource_manager_new(config, registry, error);
  gboolean ok = manager != NULL;
  inf_resource_manager_free(manager);
  inf_resources_config_free(config);
  return ok;
}

static gboolean
create_loss(InfRegistry *registry, GError **error)
{
  json_object *spec = json_tokener_parse("{\"type\": \"lifecycle-loss\"}");
  InfLoss *loss = inf_loss_new_full(registry, spec, "conf.json", "training.loss", NULL, error);
  json_object_put(spec);
  if (loss == NULL)
    return FALSE;
  inf_loss_unref(loss);
  return TRUE;
}

static gboolean
create_optimizer(InfRegistry *registry, GError **error)
{
  json_object *spec = json_tokener_parse("{\"type\": \"lifecycle-optimizer\"}");
  InfOptimizer *optimizer =
      inf_optimizer_new_full(registry, spec, "conf.json", "training.optimizer", NULL, error);
  json_object_put(spec);
  if (optimizer == NULL)
    return FALSE;
  inf_optimizer_free(optimizer);
  return TRUE;
}

typedef struct {
  const char *kind;
  CreateFunc create;
  const char *path; /* the JSON path the engine gives the instance */
  const char *type;
} Kind;

static const Kind kinds[] = {
  { "module", create_module, "modules.m", "lifecycle-module" },
  { "client", create_client, "resources.endpoints.fast", "lifecycle-client" },
  { "loss", create_loss, "training.loss", "lifecycle-loss" },
  { "optimizer", create_optimizer, "training.optimizer", "lifecycle-optimizer" },
};

static void
test_lifecycle(gconstpointer data)
{
  const Kind *kind = data;
  g_autoptr(InfRegistry) registry = make_registry();

  /* Success: finalize runs once, with the data, or with NULL. */
  init_mode = INIT_OK_DATA;
  n_finalize = n_finalize_null = 0;
  g_assert_true(kind->create(registry, NULL));
  g_assert_cmpuint(n_finalize, ==, 1);
  g_assert_cmpuint(n_finalize_null, ==, 0);

  init_mode = INIT_OK_NULL;
  n_finalize = n_finalize_null = 0;
  g_assert_true(kind->create(registry, NULL));
  g_assert_cmpuint(n_finalize, ==, 1);
  g_assert_cmpuint(n_finalize_null, ==, 1);

  /* A failed init: the message prefixed once with file and path, the code
   * kept, no finalize. */
  const InitMode failures[] = { INIT_FAIL_PLAIN, INIT_FAIL_PREFIXED, INIT_FAIL_WITH_FILE };
  const char *const suffixes[] = { "bad value", ".size: bad value", ".size: bad value" };
  for (guint i = 0; i < G_N_ELEMENTS(failures); i++) {
    g_autoptr(GError) error = NULL;
    init_mode = failures[i];
    n_finalize = 0;
    g_assert_false(kind->create(registry, &error));
    g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
    g_autofree char *expected =
        g_strdup_printf("conf.json: %s%s%s", kind->path, i == 0 ? ": " : "", suffixes[i]);
    g_assert_cmpstr(error->message, ==, expected);
    g_assert_cmpuint(n_finalize, ==, 0);
  }

  /* FALSE without an error: reported, not a crash. */
  g_autoptr(GError) error = NULL;
  init_mode = INIT_FAIL_NO_MESSAGE;
  n_finalize = 0;
  g_assert_false(kind->create(registry, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_FAILED);
  g_autofree char *expected =
      g_strdup_printf("conf.json: %s: class '%s' failed to initialize without an error message",
                      kind->path, kind->type);
  g_assert_cmpstr(error->message, ==, expected);
  g_assert_cmpuint(n_finalize, ==, 0);
}

/* A class without init: finalize runs with NULL. */
static void
test_module_without_init(void)
{
  g_autoptr(InfRegistry) registry = make_registry();
  n_finalize = n_finalize_null = 0;
  g_autoptr(GError) error = NULL;
  InfModule *module = inf_module_new(registry, "lifecycle-module-no-init", "m", NULL, &error);
  g_assert_no_error(error);
  g_assert_null(inf_module_get_private(module));
  inf_module_unref(module);
  g_assert_cmpuint(n_finalize, ==, 1);
  g_assert_cmpuint(n_finalize_null, ==, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
    g_autofree char *name = g_strdup_printf("/sdk/lifecycle/%s", kinds[i].kind);
    g_test_add_data_func(name, &kinds[i], test_lifecycle);
  }
  g_test_add_func("/sdk/lifecycle/module-without-init", test_module_without_init);
  return g_test_run();
}
