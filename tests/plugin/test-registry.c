/* Unit tests of the class registry: registration of every kind, lookups,
 * sorted listing, attribution to plugin files, duplicate names, invalid
 * classes and rollback. */
#include <string.h>

#include <glib/gstdio.h>
#include <inf/inf.h>

#include "inf-test.h"
#include "plugin/registry-private.h"

static void
noop_execute(InfModule *self, InfTask *task)
{
  (void)self;
  (void)task;
}

static InfValue *
noop_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
             GError **error)
{
  (void)self;
  (void)tracer;
  (void)inputs;
  (void)n_inputs;
  (void)error;
  return NULL;
}

static void
noop_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  (void)call;
}

static gboolean
noop_build(InfClient *self, const InfLlmRequest *request, InfHttpRequest *http, GError **error)
{
  (void)self;
  (void)request;
  (void)http;
  (void)error;
  return TRUE;
}

static gboolean
noop_parse(InfClient *self, const InfLlmRequest *request, const InfHttpResponse *http,
           InfLlmResponse *response, GError **error)
{
  (void)self;
  (void)request;
  (void)http;
  (void)response;
  (void)error;
  return TRUE;
}

static const InfModuleClass module_b = { .struct_size = sizeof(InfModuleClass),
                                         .name = "bravo",
                                         .execute = noop_execute };
static const InfModuleClass module_a = { .struct_size = sizeof(InfModuleClass),
                                         .name = "alpha",
                                         .forward = noop_forward };
static const InfModuleClass module_a2 = { .struct_size = sizeof(InfModuleClass),
                                          .name = "alpha",
                                          .execute = noop_execute };
static const InfClientClass client_alpha = { .struct_size = sizeof(InfClientClass),
                                             .name = "alpha",
                                             .call = noop_call };
static const InfClientClass client_http = {
  .struct_size = sizeof(InfClientClass),
  .name = "http",
  .build_request = noop_build,
  .parse_response = noop_parse,
};
static const InfLossClass loss_class = { .struct_size = sizeof(InfLossClass), .name = "judge" };
static const InfOptimizerClass optimizer_class = { .struct_size = sizeof(InfOptimizerClass),
                                                   .name = "sfa" };

static void
test_kind_names(void)
{
  InfClassKind kind;

  g_assert_cmpstr(inf_class_kind_name(INF_CLASS_MODULE), ==, "module");
  g_assert_cmpstr(inf_class_kind_name(INF_CLASS_CLIENT), ==, "client");
  g_assert_cmpstr(inf_class_kind_name(INF_CLASS_LOSS), ==, "loss");
  g_assert_cmpstr(inf_class_kind_name(INF_CLASS_OPTIMIZER), ==, "optimizer");
  g_assert_cmpstr(inf_class_kind_name((InfClassKind)42), ==, "unknown");
  g_assert_cmpstr(inf_class_kind_plural(INF_CLASS_LOSS), ==, "losses");
  g_assert_true(inf_class_kind_from_name("optimizers", &kind));
  g_assert_cmpint(kind, ==, INF_CLASS_OPTIMIZER);
  g_assert_true(inf_class_kind_from_name("client", &kind));
  g_assert_cmpint(kind, ==, INF_CLASS_CLIENT);
  g_assert_false(inf_class_kind_from_name("widget", &kind));
  g_assert_false(inf_class_kind_from_name(NULL, &kind));
}

static void
test_add_and_lookup(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) modules = NULL;
  g_auto(GStrv) clients = NULL;
  g_auto(GStrv) losses = NULL;
  g_auto(GStrv) optimizers = NULL;

  g_assert_true(inf_registry_add_module_class(registry, &module_b, &error));
  g_assert_no_error(error);
  g_assert_true(inf_registry_add_module_class(registry, &module_a, &error));
  /* The same name in another kind is another class. */
  g_assert_true(inf_registry_add_client_class(registry, &client_alpha, &error));
  g_assert_true(inf_registry_add_client_class(registry, &client_http, &error));
  g_assert_true(inf_registry_add_loss_class(registry, &loss_class, &error));
  g_assert_true(inf_registry_add_optimizer_class(registry, &optimizer_class, &error));
  g_assert_no_error(error);

  g_assert_true(inf_registry_lookup_module_class(registry, "alpha") == &module_a);
  g_assert_true(inf_registry_lookup_module_class(registry, "bravo") == &module_b);
  g_assert_true(inf_registry_lookup_client_class(registry, "alpha") == &client_alpha);
  g_assert_true(inf_registry_lookup_loss_class(registry, "judge") == &loss_class);
  g_assert_true(inf_registry_lookup_optimizer_class(registry, "sfa") == &optimizer_class);
  g_assert_null(inf_registry_lookup_module_class(registry, "judge"));
  g_assert_null(inf_registry_lookup_loss_class(registry, "alpha"));
  g_assert_null(inf_registry_lookup_optimizer_class(registry, "nope"));
  g_assert_null(inf_registry_lookup_client_class(registry, NULL));

  modules = inf_registry_list(registry, INF_CLASS_MODULE);
  inf_test_assert_strv(modules, "alpha", "bravo"); /* sorted */
  clients = inf_registry_list(registry, INF_CLASS_CLIENT);
  inf_test_assert_strv(clients, "alpha", "http");
  losses = inf_registry_list(registry, INF_CLASS_LOSS);
  g_assert_cmpuint(g_strv_length(losses), ==, 1);
  optimizers = inf_registry_list(registry, INF_CLASS_OPTIMIZER);
  g_assert_cmpstr(optimizers[0], ==, "sfa");
}

static void
test_empty_list(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_auto(GStrv) names = inf_registry_list(registry, INF_CLASS_LOSS);

  g_assert_nonnull(names);
  g_assert_null(names[0]);
}

/* One message for every unknown class a config names: the kind's noun, the
 * name, the known names sorted, "(none)" when there are none. */
static void
test_unknown_class(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;

  g_assert_true(inf_registry_add_module_class(registry, &module_b, &error));
  g_assert_true(inf_registry_add_module_class(registry, &module_a, &error));
  g_assert_true(inf_registry_add_client_class(registry, &client_http, &error));
  g_assert_no_error(error);

  g_assert_true(inf_registry_lookup_class(registry, INF_CLASS_MODULE, "bravo", &error) ==
                &module_b);
  g_assert_no_error(error);
  g_assert_null(inf_registry_lookup_class(registry, INF_CLASS_MODULE, "lmm", &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_cmpstr(error->message, ==,
                  "unknown module type 'lmm'; known module types: alpha, bravo");
  g_clear_error(&error);
  g_assert_null(inf_registry_lookup_class(registry, INF_CLASS_CLIENT, "opneai", &error));
  g_assert_cmpstr(error->message, ==, "unknown provider 'opneai'; known providers: http");
  g_clear_error(&error);
  g_assert_null(inf_registry_lookup_class(registry, INF_CLASS_LOSS, "alpha", &error));
  g_assert_cmpstr(error->message, ==, "unknown loss type 'alpha'; known loss types: (none)");
  g_clear_error(&error);
  g_assert_null(inf_registry_lookup_class(NULL, INF_CLASS_OPTIMIZER, "sfa", &error));
  g_assert_cmpstr(error->message, ==,
                  "unknown optimizer type 'sfa'; known optimizer types: (none)");

  g_autofree char *known = inf_registry_describe_known(registry, INF_CLASS_MODULE);
  g_assert_cmpstr(known, ==, "known module types: alpha, bravo");
}

/* With the host's search path set, an unknown class of every kind names the
 * directories searched and how to add one. */
static void
test_unknown_class_search_path(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = inf_test_mkdtemp("inf-registry");
  const char *dirs[] = { tmp, "/nonexistent-inf-dir", NULL };
  g_autofree char *searched = g_strdup_printf(
      "; no plugin loaded provides it: searched %s, /nonexistent-inf-dir (not found); add the "
      "plugin's directory with --plugin-dir DIR or INF_PLUGIN_PATH",
      tmp);
  static const char *const heads[INF_CLASS_KIND_COUNT] = {
    [INF_CLASS_MODULE] = "unknown module type 'x'; known module types: (none)",
    [INF_CLASS_CLIENT] = "unknown provider 'x'; known providers: (none)",
    [INF_CLASS_LOSS] = "unknown loss type 'x'; known loss types: (none)",
    [INF_CLASS_OPTIMIZER] = "unknown optimizer type 'x'; known optimizer types: (none)",
  };

  g_assert_null(inf_registry_describe_search_path(registry));
  inf_registry_set_search_path(registry, dirs);
  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++) {
    g_autofree char *expected = g_strconcat(heads[k], searched, NULL);

    g_assert_null(inf_registry_lookup_class(registry, (InfClassKind)k, "x", &error));
    g_assert_cmpstr(error->message, ==, expected);
    g_clear_error(&error);
  }
  inf_registry_set_search_path(registry, NULL);
  g_assert_null(inf_registry_describe_search_path(registry));
  /* nothing was written there */
  g_assert_cmpint(g_rmdir(tmp), ==, 0);
}

static void
test_attribution(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) from_a = NULL;
  g_auto(GStrv) builtin = NULL;
  InfClassInfo info;

  g_assert_cmpstr(inf_registry_get_current_plugin(registry), ==, INF_REGISTRY_BUILTIN);
  g_assert_true(inf_registry_add_module_class(registry, &module_b, &error));

  inf_registry_set_current_plugin(registry, "/x/a.so");
  g_assert_cmpstr(inf_registry_get_current_plugin(registry), ==, "/x/a.so");
  g_assert_true(inf_registry_add_loss_class(registry, &loss_class, &error));
  g_assert_true(inf_registry_add_module_class(registry, &module_a, &error));
  inf_registry_set_current_plugin(registry, NULL);
  g_assert_no_error(error);

  g_assert_true(inf_registry_get_class_info(registry, INF_CLASS_MODULE, "bravo", &info));
  g_assert_cmpstr(info.file, ==, "(built-in)");
  g_assert_true(info.klass == &module_b);
  g_assert_true(inf_registry_get_class_info(registry, INF_CLASS_MODULE, "alpha", &info));
  g_assert_cmpstr(info.file, ==, "/x/a.so");
  g_assert_cmpint(info.kind, ==, INF_CLASS_MODULE);
  g_assert_cmpstr(info.name, ==, "alpha");
  g_assert_false(inf_registry_get_class_info(registry, INF_CLASS_CLIENT, "alpha", &info));

  /* In registration order. */
  from_a = inf_registry_list_classes_from(registry, "/x/a.so");
  inf_test_assert_strv(from_a, "loss:judge", "module:alpha");
  builtin = inf_registry_list_classes_from(registry, NULL);
  inf_test_assert_strv(builtin, "module:bravo");
}

static void
test_duplicate(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;

  inf_registry_set_current_plugin(registry, "/x/a.so");
  g_assert_true(inf_registry_add_module_class(registry, &module_a, &error));
  inf_registry_set_current_plugin(registry, "/x/b.so");
  g_assert_false(inf_registry_add_module_class(registry, &module_a2, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  g_assert_cmpstr(error->message, ==,
                  "class module 'alpha' from /x/b.so is already registered by /x/a.so");
  /* The first one stays. */
  g_assert_true(inf_registry_lookup_module_class(registry, "alpha") == &module_a);
  g_clear_error(&error);

  /* Built-in against a plugin. */
  inf_registry_set_current_plugin(registry, NULL);
  g_assert_false(inf_registry_add_module_class(registry, &module_a2, &error));
  g_assert_cmpstr(error->message, ==,
                  "class module 'alpha' from (built-in) is already registered by /x/a.so");
}

static void
test_rollback(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) modules = NULL;

  g_assert_true(inf_registry_add_module_class(registry, &module_b, &error));
  inf_registry_set_current_plugin(registry, "/x/a.so");
  g_assert_true(inf_registry_add_module_class(registry, &module_a, &error));
  g_assert_true(inf_registry_add_client_class(registry, &client_alpha, &error));
  inf_registry_set_current_plugin(registry, NULL);

  g_assert_cmpuint(inf_registry_remove_classes_from(registry, "/x/a.so"), ==, 2);
  g_assert_null(inf_registry_lookup_module_class(registry, "alpha"));
  g_assert_null(inf_registry_lookup_client_class(registry, "alpha"));
  g_assert_nonnull(inf_registry_lookup_module_class(registry, "bravo"));
  g_assert_cmpuint(inf_registry_remove_classes_from(registry, "/x/none.so"), ==, 0);
  modules = inf_registry_list(registry, INF_CLASS_MODULE);
  g_assert_cmpuint(g_strv_length(modules), ==, 1);

  /* The name is free again. */
  g_assert_true(inf_registry_add_module_class(registry, &module_a2, &error));
  g_assert_no_error(error);
}

/* Adds @klass and expects a refusal whose message contains @expected. */
static void
expect_module_refused(const InfModuleClass *klass, const char *expected)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  inf_registry_set_current_plugin(registry, "/x/p.so");
  g_assert_false(inf_registry_add_module_class(registry, klass, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  if (strstr(error->message, expected) == NULL)
    g_error("message '%s' lacks '%s'", error->message, expected);
  g_assert_nonnull(strstr(error->message, "/x/p.so"));
  names = inf_registry_list(registry, INF_CLASS_MODULE);
  g_assert_null(names[0]);
}

static void
test_invalid_module_classes(void)
{
  static const char *const no_choices[] = { NULL };
  const InfModuleClass small = { .struct_size = sizeof(gsize) + sizeof(char *),
                                 .name = "small",
                                 .execute = noop_execute };
  const InfModuleClass unnamed = { .struct_size = sizeof(InfModuleClass), .execute = noop_execute };
  const InfModuleClass bad_name = { .struct_size = sizeof(InfModuleClass),
                                    .name = "a b",
                                    .execute = noop_execute };
  const InfModuleClass empty_name = { .struct_size = sizeof(InfModuleClass),
                                      .name = "",
                                      .execute = noop_execute };
  const InfModuleClass neither = { .struct_size = sizeof(InfModuleClass), .name = "neither" };
  const InfOptionSpec bad_default[] = {
    { .name = "t", .type = INF_OPTION_DOUBLE, .default_json = "\"hot\"" }, { NULL }
  };
  const InfOptionSpec unquoted_default[] = {
    { .name = "s", .type = INF_OPTION_STRING, .default_json = "text" }, { NULL }
  };
  const InfOptionSpec enum_default[] = { { .name = "e",
                                           .type = INF_OPTION_ENUM,
                                           .default_json = "\"c\"",
                                           .choices = (const char *const[]){ "a", "b", NULL } },
                                         { NULL } };
  const InfOptionSpec enum_empty[] = {
    { .name = "e", .type = INF_OPTION_ENUM, .choices = no_choices }, { NULL }
  };
  const InfOptionSpec twice[] = { { .name = "x", .type = INF_OPTION_INT },
                                  { .name = "x", .type = INF_OPTION_BOOL },
                                  { NULL } };
  const InfInputSpec inputs_twice[] = { { .name = "in" }, { .name = "in" }, { NULL } };
  InfModuleClass with_options = { .struct_size = sizeof(InfModuleClass),
                                  .name = "opts",
                                  .execute = noop_execute };

  expect_module_refused(&small, "struct_size 16, smaller than");
  expect_module_refused(&small, "set .struct_size = sizeof(InfModuleClass)");
  expect_module_refused(&unnamed, "module class has no name");
  expect_module_refused(&bad_name, "module class name 'a b' is not valid");
  expect_module_refused(&empty_name, "module class name '' is not valid");
  expect_module_refused(&neither, "module class 'neither' from /x/p.so implements neither "
                                  "execute nor forward");
  with_options.options = bad_default;
  expect_module_refused(&with_options, "the default of option 't' (\"hot\") is not a valid");
  with_options.options = unquoted_default;
  expect_module_refused(&with_options, "write strings quoted");
  with_options.options = enum_default;
  expect_module_refused(&with_options, "the default of option 'e'");
  with_options.options = enum_empty;
  expect_module_refused(&with_options, "enum option 'e' lists no choices");
  with_options.options = twice;
  expect_module_refused(&with_options, "option 'x' is declared twice");
  with_options.options = NULL;
  with_options.inputs = inputs_twice;
  expect_module_refused(&with_options, "input 'in' is declared twice");
}

static void
test_invalid_other_classes(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  const InfClientClass no_entry = { .struct_size = sizeof(InfClientClass), .name = "c" };
  const InfClientClass half_http = { .struct_size = sizeof(InfClientClass),
                                     .name = "h",
                                     .build_request = noop_build };
  const InfLossClass small_loss = { .struct_size = 8, .name = "l" };
  const InfOptimizerClass unnamed = { .struct_size = sizeof(InfOptimizerClass) };

  g_assert_false(inf_registry_add_client_class(registry, &no_entry, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
  g_assert_nonnull(strstr(error->message, "implements neither call nor build_request"));
  g_clear_error(&error);
  g_assert_false(inf_registry_add_client_class(registry, &half_http, &error));
  g_assert_nonnull(strstr(error->message, "only one of build_request and parse_response"));
  g_clear_error(&error);
  g_assert_false(inf_registry_add_loss_class(registry, &small_loss, &error));
  g_assert_nonnull(strstr(error->message, "sizeof(InfLossClass)"));
  g_clear_error(&error);
  g_assert_false(inf_registry_add_optimizer_class(registry, &unnamed, &error));
  g_assert_nonnull(strstr(error->message, "optimizer class has no name"));
  g_clear_error(&error);
  g_assert_false(inf_registry_add_loss_class(registry, NULL, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_PLUGIN);
}

/* A class built against a newer SDK (larger struct) is accepted: the
 * registry reads only the fields it knows. */
static void
test_larger_struct(void)
{
  g_autoptr(InfRegistry) registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  struct {
    InfModuleClass base;
    gpointer appended[4];
  } bigger = { .base = {
                   .struct_size = sizeof(bigger), .name = "bigger", .execute = noop_execute } };

  g_assert_true(inf_registry_add_module_class(registry, &bigger.base, &error));
  g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/registry/kind-names", test_kind_names);
  g_test_add_func("/registry/add-and-lookup", test_add_and_lookup);
  g_test_add_func("/registry/empty-list", test_empty_list);
  g_test_add_func("/registry/unknown-class", test_unknown_class);
  g_test_add_func("/registry/unknown-class-search-path", test_unknown_class_search_path);
  g_test_add_func("/registry/attribution", test_attribution);
  g_test_add_func("/registry/duplicate", test_duplicate);
  g_test_add_func("/registry/rollback", test_rollback);
  g_test_add_func("/registry/invalid-module-classes", test_invalid_module_classes);
  g_test_add_func("/registry/invalid-other-classes", test_invalid_other_classes);
  g_test_add_func("/registry/larger-struct", test_larger_struct);
  return g_test_run();
}
