/* Unit tests: InfModule (construction, children and parameters,
 * introspection, state dicts) with test classes registered in a registry. */
#include <inf/error.h>
#include <inf/module.h>
#include <inf/registry.h>
#include <string.h>

#include "model/module-private.h"

/* ---- test classes ---- */

typedef struct {
  int *finalized; /* counts finalize calls, owned by the test */
  char *tag;
} LeafPrivate;

static const InfOptionSpec leaf_options[] = {
  { .name = "prompt", .type = INF_OPTION_PARAMETER, .description = "the leaf's prompt" },
  { .name = "alias",
    .type = INF_OPTION_STRING,
    .default_json = "\"fast\"",
    .description = "resource alias" },
  { .name = "fail",
    .type = INF_OPTION_BOOL,
    .default_json = "false",
    .description = "make init fail" },
  { .name = "counter",
    .type = INF_OPTION_JSON,
    .description = "address of a finalize counter (tests)" },
  { .name = NULL },
};

static gboolean
leaf_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  if (inf_options_get_bool(options, "fail")) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "fail: init was asked to fail");
    return FALSE;
  }
  InfParameter *prompt = inf_options_get_parameter(options, "prompt");
  if (prompt != NULL && !inf_module_add_parameter(self, "prompt", prompt, error))
    return FALSE;
  LeafPrivate *priv = g_new0(LeafPrivate, 1);
  priv->tag = g_strdup("leaf-private");
  json_object *counter = inf_options_get_json(options, "counter");
  if (counter != NULL)
    priv->finalized = GSIZE_TO_POINTER((gsize)json_object_get_int64(counter));
  *out_private = priv;
  return TRUE;
}

static void
leaf_finalize(gpointer private_data)
{
  LeafPrivate *priv = private_data;
  if (priv->finalized != NULL)
    (*priv->finalized)++;
  g_free(priv->tag);
  g_free(priv);
}

static void
leaf_execute(InfModule *self, InfTask *task)
{
  (void)self;
  (void)task;
}

static const char *
leaf_resource_alias(InfModule *self)
{
  return inf_options_get_string(inf_module_get_options(self), "alias");
}

static const InfModuleClass leaf_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "leaf",
  .description = "an atomic test module",
  .options = leaf_options,
  .init = leaf_init,
  .finalize = leaf_finalize,
  .execute = leaf_execute,
  .resource_alias = leaf_resource_alias,
};

static InfValue *
pair_forward(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
             GError **error)
{
  (void)self;
  (void)tracer;
  (void)error;
  return n_inputs > 0 ? inf_value_ref(inputs[0]) : inf_value_new_null();
}

static const InfOptionSpec pair_options[] = {
  { .name = "body", .type = INF_OPTION_MODULE, .description = "an inline child" },
  { .name = NULL },
};

static gboolean
pair_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)out_private;
  InfModule *body = inf_options_get_module(options, "body");
  if (body != NULL)
    return inf_module_add_child(self, "body", body, error);
  return TRUE;
}

static const InfModuleClass pair_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "pair",
  .description = "a composite test module",
  .options = pair_options,
  .init = pair_init,
  .forward = pair_forward,
};

static int old_init_calls;

static gboolean
old_init(InfModule *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  (void)self;
  (void)options;
  (void)out_private;
  (void)error;
  old_init_calls++;
  return TRUE;
}

/* A class built against an older, shorter InfModuleClass: the fields past
 * struct_size must never be read, whatever they hold. */
static const InfModuleClass old_class = {
  .struct_size = offsetof(InfModuleClass, init),
  .name = "old",
  .description = "a class from an older SDK",
  .init = old_init,
  .execute = leaf_execute,
  .forward = pair_forward,
  .resource_alias = leaf_resource_alias,
};

/* Only up to execute: forward and resource_alias are out of reach. */
static const InfModuleClass mid_class = {
  .struct_size = offsetof(InfModuleClass, forward),
  .name = "mid",
  .description = "a class that knows execute but not forward",
  .execute = leaf_execute,
  .forward = pair_forward,
  .resource_alias = leaf_resource_alias,
};

static InfRegistry *
make_registry(void)
{
  InfRegistry *registry = inf_registry_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(inf_registry_add_module_class(registry, &leaf_class, &error));
  g_assert_no_error(error);
  g_assert_true(inf_registry_add_module_class(registry, &pair_class, &error));
  g_assert_no_error(error);
  return registry;
}

static InfModule *
new_module(InfRegistry *registry, const char *type, const char *name, const char *options_json)
{
  g_autoptr(GError) error = NULL;
  json_object *options = options_json != NULL ? json_tokener_parse(options_json) : NULL;
  InfModule *m = inf_module_new(registry, type, name, options, &error);
  json_object_put(options);
  g_assert_no_error(error);
  g_assert_nonnull(m);
  return m;
}

static void
assert_contains(const GError *error, const char *part)
{
  if (strstr(error->message, part) == NULL)
    g_error("message \"%s\" lacks \"%s\"", error->message, part);
}

/* ---- tests ---- */

static void
test_class_has(void)
{
  g_assert_true(INF_CLASS_HAS(&leaf_class, InfModuleClass, resource_alias));
  g_assert_true(INF_CLASS_HAS(&old_class, InfModuleClass, inputs));
  g_assert_false(INF_CLASS_HAS(&old_class, InfModuleClass, init));
  g_assert_false(INF_CLASS_HAS(&old_class, InfModuleClass, resource_alias));
  g_assert_true(INF_CLASS_HAS(&mid_class, InfModuleClass, execute));
  g_assert_false(INF_CLASS_HAS(&mid_class, InfModuleClass, forward));
  g_assert_null(INF_CLASS_GET(&mid_class, InfModuleClass, forward));
  g_assert_true(INF_CLASS_GET(&mid_class, InfModuleClass, execute) == leaf_execute);
}

static void
test_new_and_accessors(void)
{
  g_autoptr(InfRegistry) registry = make_registry();
  int finalized = 0;
  g_autofree char *opts = g_strdup_printf(
      "{\"prompt\": \"Be brief.\", \"alias\": \"smart\", \"counter\": %" G_GSIZE_FORMAT "}",
      (gsize)&finalized);
  InfModule *m = new_module(registry, "leaf", "summarize", opts);

  g_assert_true(inf_module_get_class(m) == &leaf_class);
  g_assert_cmpstr(inf_module_get_type_name(m), ==, "leaf");
  g_assert_cmpstr(inf_module_get_name(m), ==, "summarize");
  g_assert_true(inf_module_get_registry(m) == registry);
  g_assert_false(inf_module_is_composite(m));
  LeafPrivate *priv = inf_module_get_private(m);
  g_assert_nonnull(priv);
  g_assert_cmpstr(priv->tag, ==, "leaf-private");
  const InfOptions *o = inf_module_get_options(m);
  g_assert_cmpstr(inf_options_get_string(o, "alias"), ==, "smart");
  g_assert_cmpstr(inf_options_get_path(o), ==, "");
  InfParameter *p = inf_module_get_parameter(m, "prompt");
  g_assert_nonnull(p);
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Be brief.");

  /* cached class functions for the scheduler */
  g_assert_true(inf_module_get_execute_func(m) == leaf_execute);
  g_assert_null(inf_module_get_forward_func(m));
  g_assert_cmpstr(inf_module_get_resource_alias(m), ==, "smart");

  inf_module_set_name(m, "renamed");
  g_assert_cmpstr(inf_module_get_name(m), ==, "renamed");

  g_assert_true(inf_module_ref(m) == m);
  inf_module_unref(m);
  g_assert_cmpint(finalized, ==, 0);
  inf_module_unref(m);
  g_assert_cmpint(finalized, ==, 1);

  InfModule *c = new_module(registry, "pair", NULL, NULL);
  g_assert_null(inf_module_get_name(c));
  g_assert_true(inf_module_is_composite(c));
  g_assert_null(inf_module_get_execute_func(c));
  g_assert_true(inf_module_get_forward_func(c) == pair_forward);
  g_assert_null(inf_module_get_resource_alias(c));
  g_assert_null(inf_module_get_private(c));
  inf_module_unref(c);
}

static void
test_new_errors(void)
{
  g_autoptr(InfRegistry) registry = make_registry();
  GError *error = NULL;

  InfModule *m = inf_module_new(registry, "lmm", NULL, NULL, &error);
  g_assert_null(m);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_cmpstr(error->message, ==, "unknown module type 'lmm'; known module types: leaf, pair");
  g_clear_error(&error);

  json_object *options = json_tokener_parse("{\"alias\": 3}");
  m = inf_module_new(registry, "leaf", NULL, options, &error);
  json_object_put(options);
  g_assert_null(m);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  assert_contains(error, "alias: expected a string, got integer 3");
  g_clear_error(&error);

  options = json_tokener_parse("{\"promt\": \"x\"}");
  m = inf_module_new(registry, "leaf", NULL, options, &error);
  json_object_put(options);
  g_assert_null(m);
  assert_contains(error,
                  "promt: unknown option for 'leaf'; valid options: alias, counter, fail, prompt");
  g_clear_error(&error);

  /* init failure, with file and path added to the message */
  options = json_tokener_parse("{\"type\": \"leaf\", \"fail\": true}");
  const char *const skip[] = { "type", NULL };
  m = inf_module_new_full(registry, &leaf_class, "x", options, skip, "pipeline.json", "modules.x",
                          NULL, &error);
  g_assert_null(m);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  g_assert_cmpstr(error->message, ==, "pipeline.json: modules.x: fail: init was asked to fail");
  g_clear_error(&error);
  m = inf_module_new(registry, "leaf", NULL, options, &error);
  g_assert_null(m); /* "type" is not an option of inf_module_new */
  assert_contains(error, "type: unknown option for 'leaf'");
  g_clear_error(&error);
  json_object_put(options);

  /* empty registry */
  g_autoptr(InfRegistry) empty = inf_registry_new();
  m = inf_module_new(empty, "leaf", NULL, NULL, &error);
  g_assert_null(m);
  assert_contains(error, "unknown module type 'leaf'; known module types: (none)");
  g_clear_error(&error);
}

static void
test_struct_size(void)
{
  g_autoptr(GError) error = NULL;
  old_init_calls = 0;
  InfModule *m = inf_module_new_full(NULL, &old_class, "old", NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(old_init_calls, ==, 0);
  g_assert_null(inf_module_get_execute_func(m));
  g_assert_null(inf_module_get_forward_func(m));
  g_assert_null(inf_module_get_resource_alias(m));
  g_assert_false(inf_module_is_composite(m));
  inf_module_unref(m);

  m = inf_module_new_full(NULL, &mid_class, "mid", NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(inf_module_get_execute_func(m) == leaf_execute);
  g_assert_null(inf_module_get_forward_func(m));
  g_assert_null(inf_module_get_resource_alias(m));
  g_assert_false(inf_module_is_composite(m));
  inf_module_unref(m);
}

static void
test_inline_module_option(void)
{
  g_autoptr(InfRegistry) registry = make_registry();
  g_autoptr(GError) error = NULL;
  json_object *options = json_tokener_parse(
      "{\"body\": {\"type\": \"leaf\", \"name\": \"inner\", \"prompt\": \"inner prompt\"}}");
  g_autoptr(InfModule) m = inf_module_new_full(registry, &pair_class, "outer", options, NULL,
                                               "p.json", "modules.outer", NULL, &error);
  json_object_put(options);
  g_assert_no_error(error);
  InfModule *body = inf_module_get_child(m, "body");
  g_assert_nonnull(body);
  g_assert_true(inf_options_get_module(inf_module_get_options(m), "body") == body);
  g_assert_cmpstr(inf_module_get_type_name(body), ==, "leaf");
  g_assert_cmpstr(inf_module_get_name(body), ==, "inner");
  g_assert_cmpstr(inf_options_get_path(inf_module_get_options(body)), ==, "modules.outer.body");
  json_object *state = inf_module_state_dict(m);
  g_assert_cmpstr(json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN), ==,
                  "{\"body.prompt\":\"inner prompt\"}");
  json_object_put(state);

  /* errors inside the inline module name its path */
  GError *e = NULL;
  options = json_tokener_parse("{\"body\": {\"type\": \"leaf\", \"alias\": false}}");
  InfModule *bad = inf_module_new_full(registry, &pair_class, "outer", options, NULL, "p.json",
                                       "modules.outer", NULL, &e);
  json_object_put(options);
  g_assert_null(bad);
  assert_contains(e, "p.json: modules.outer.body.alias: expected a string, got boolean false");
  g_clear_error(&e);

  options = json_tokener_parse("{\"body\": {\"type\": \"nope\"}}");
  bad = inf_module_new_full(registry, &pair_class, "outer", options, NULL, "p.json",
                            "modules.outer", NULL, &e);
  json_object_put(options);
  g_assert_null(bad);
  g_assert_error(e, INF_ERROR, INF_ERROR_CONFIG);
  assert_contains(e, "p.json: modules.outer.body.type: unknown module type 'nope'; known module "
                     "types: leaf, pair");
  g_clear_error(&e);
}

static void
test_children_and_parameters(void)
{
  g_autoptr(InfRegistry) registry = make_registry();
  g_autoptr(InfModule) root = new_module(registry, "pair", "root", NULL);
  g_autoptr(InfModule) a = new_module(registry, "leaf", "a", NULL);
  g_autoptr(InfModule) b = new_module(registry, "leaf", "b", NULL);
  g_autoptr(InfParameter) p = inf_parameter_new("text", NULL, FALSE, NULL);
  GError *error = NULL;

  g_assert_true(inf_module_add_child(root, "zeta", a, &error));
  g_assert_true(inf_module_add_child(root, "alpha", b, &error));
  g_assert_true(inf_module_add_parameter(root, "p", p, &error));
  g_assert_no_error(error);
  g_assert_true(inf_module_get_child(root, "zeta") == a);
  g_assert_true(inf_module_get_child(root, "alpha") == b);
  g_assert_null(inf_module_get_child(root, "nope"));
  g_assert_true(inf_module_get_parameter(root, "p") == p);
  g_assert_null(inf_module_get_parameter(root, "zeta"));

  /* insertion order */
  g_autoptr(GPtrArray) children = inf_module_children(root);
  g_assert_cmpuint(children->len, ==, 2);
  g_assert_true(g_ptr_array_index(children, 0) == a);
  g_assert_true(g_ptr_array_index(children, 1) == b);
  g_autoptr(GPtrArray) named = inf_module_named_children(root);
  g_assert_cmpuint(named->len, ==, 2);
  InfNamedModule *n0 = g_ptr_array_index(named, 0);
  InfNamedModule *n1 = g_ptr_array_index(named, 1);
  g_assert_cmpstr(n0->name, ==, "zeta");
  g_assert_true(n0->module == a);
  g_assert_cmpstr(n1->name, ==, "alpha");

  /* naming rules */
  static const struct {
    const char *name;
    const char *part;
  } bad[] = {
    { NULL, "needs a non-empty name" },
    { "", "needs a non-empty name" },
    { "a.b", "must not contain '.'" },
    { "zeta", "already has a child named 'zeta'" },
  };
  for (guint k = 0; k < G_N_ELEMENTS(bad); k++) {
    g_assert_false(inf_module_add_child(root, bad[k].name, b, &error));
    g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
    assert_contains(error, bad[k].part);
    g_clear_error(&error);
  }
  g_assert_false(inf_module_add_parameter(root, "p", p, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  assert_contains(error, "already has a parameter named 'p'");
  g_clear_error(&error);
  g_assert_false(inf_module_add_parameter(root, "x.y", p, &error));
  assert_contains(error, "must not contain '.'");
  g_clear_error(&error);
  g_assert_false(inf_module_add_parameter(root, "", p, &error));
  assert_contains(error, "non-empty name");
  g_clear_error(&error);
  /* a child and a parameter may share a name (separate namespaces) */
  g_assert_true(inf_module_add_parameter(root, "zeta", p, &error));
  g_assert_no_error(error);

  /* cycles are refused */
  g_assert_false(inf_module_add_child(root, "self", root, &error));
  assert_contains(error, "cycle");
  g_clear_error(&error);
  g_assert_false(inf_module_add_child(a, "up", root, &error));
  assert_contains(error, "cycle");
  g_clear_error(&error);
  g_autoptr(GPtrArray) a_children = inf_module_children(a);
  g_assert_cmpuint(a_children->len, ==, 0);
}

/* The 3-level tree:
 *   root (pair)            params: root_p
 *     enc (pair)
 *       a (leaf)           params: prompt (pa)
 *       b (leaf)           params: prompt (shared)
 *     dec (leaf)           params: prompt (pd), alt (shared)
 *       again = a (shared module)
 */
typedef struct {
  InfRegistry *registry;
  InfModule *root, *enc, *a, *b, *dec;
  InfParameter *root_p, *pa, *shared, *pd;
} Tree;

static void
tree_init(Tree *t)
{
  t->registry = make_registry();
  t->root = new_module(t->registry, "pair", "root", NULL);
  t->enc = new_module(t->registry, "pair", "enc", NULL);
  t->a = new_module(t->registry, "leaf", "a", NULL);
  t->b = new_module(t->registry, "leaf", "b", NULL);
  t->dec = new_module(t->registry, "leaf", "dec", NULL);
  t->root_p = inf_parameter_new("R", NULL, FALSE, NULL);
  t->pa = inf_parameter_new("A", "prompt of a", TRUE, NULL);
  t->shared = inf_parameter_new("S", "shared prompt", TRUE, NULL);
  t->pd = inf_parameter_new("D", NULL, FALSE, NULL);
  g_assert_true(inf_module_add_parameter(t->root, "root_p", t->root_p, NULL));
  g_assert_true(inf_module_add_child(t->root, "enc", t->enc, NULL));
  g_assert_true(inf_module_add_child(t->root, "dec", t->dec, NULL));
  g_assert_true(inf_module_add_child(t->enc, "a", t->a, NULL));
  g_assert_true(inf_module_add_child(t->enc, "b", t->b, NULL));
  g_assert_true(inf_module_add_parameter(t->a, "prompt", t->pa, NULL));
  g_assert_true(inf_module_add_parameter(t->b, "prompt", t->shared, NULL));
  g_assert_true(inf_module_add_parameter(t->dec, "prompt", t->pd, NULL));
  g_assert_true(inf_module_add_parameter(t->dec, "alt", t->shared, NULL));
  g_assert_true(inf_module_add_child(t->dec, "again", t->a, NULL));
}

static void
tree_clear(Tree *t)
{
  inf_module_unref(t->root);
  inf_module_unref(t->enc);
  inf_module_unref(t->a);
  inf_module_unref(t->b);
  inf_module_unref(t->dec);
  inf_parameter_unref(t->root_p);
  inf_parameter_unref(t->pa);
  inf_parameter_unref(t->shared);
  inf_parameter_unref(t->pd);
  inf_registry_free(t->registry);
}

static void
test_introspection(void)
{
  Tree t;
  tree_init(&t);

  g_autoptr(GPtrArray) modules = inf_module_modules(t.root);
  InfModule *expect_modules[] = { t.root, t.enc, t.a, t.b, t.dec };
  g_assert_cmpuint(modules->len, ==, G_N_ELEMENTS(expect_modules));
  for (guint k = 0; k < modules->len; k++)
    g_assert_true(g_ptr_array_index(modules, k) == expect_modules[k]);

  g_autoptr(GPtrArray) named_modules = inf_module_named_modules(t.root);
  const char *expect_module_names[] = { "", "enc", "enc.a", "enc.b", "dec" };
  g_assert_cmpuint(named_modules->len, ==, G_N_ELEMENTS(expect_module_names));
  for (guint k = 0; k < named_modules->len; k++) {
    InfNamedModule *nm = g_ptr_array_index(named_modules, k);
    g_assert_cmpstr(nm->name, ==, expect_module_names[k]);
    g_assert_true(nm->module == expect_modules[k]);
  }

  g_autoptr(GPtrArray) params = inf_module_parameters(t.root);
  InfParameter *expect_params[] = { t.root_p, t.pa, t.shared, t.pd };
  g_assert_cmpuint(params->len, ==, G_N_ELEMENTS(expect_params));
  for (guint k = 0; k < params->len; k++)
    g_assert_true(g_ptr_array_index(params, k) == expect_params[k]);

  g_autoptr(GPtrArray) named_params = inf_module_named_parameters(t.root);
  const char *expect_param_names[] = { "root_p", "enc.a.prompt", "enc.b.prompt", "dec.prompt" };
  g_assert_cmpuint(named_params->len, ==, G_N_ELEMENTS(expect_param_names));
  for (guint k = 0; k < named_params->len; k++) {
    InfNamedParameter *np = g_ptr_array_index(named_params, k);
    g_assert_cmpstr(np->name, ==, expect_param_names[k]);
    g_assert_true(np->parameter == expect_params[k]);
  }

  /* From a subtree: paths are relative to it. */
  g_autoptr(GPtrArray) dec_modules = inf_module_named_modules(t.dec);
  g_assert_cmpuint(dec_modules->len, ==, 2);
  g_assert_cmpstr(((InfNamedModule *)g_ptr_array_index(dec_modules, 0))->name, ==, "");
  g_assert_cmpstr(((InfNamedModule *)g_ptr_array_index(dec_modules, 1))->name, ==, "again");
  g_autoptr(GPtrArray) dec_params = inf_module_named_parameters(t.dec);
  const char *expect_dec[] = { "prompt", "alt", "again.prompt" };
  g_assert_cmpuint(dec_params->len, ==, 3);
  for (guint k = 0; k < 3; k++)
    g_assert_cmpstr(((InfNamedParameter *)g_ptr_array_index(dec_params, k))->name, ==,
                    expect_dec[k]);

  /* A leaf: its own parameter, no children. */
  g_autoptr(GPtrArray) none = inf_module_named_parameters(t.b);
  g_assert_cmpuint(none->len, ==, 1);
  g_autoptr(GPtrArray) no_children = inf_module_named_children(t.b);
  g_assert_cmpuint(no_children->len, ==, 0);

  tree_clear(&t);
}

static char *
to_plain(json_object *json)
{
  return g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN));
}

static void
test_state_dict(void)
{
  Tree t;
  tree_init(&t);
  GError *error = NULL;

  json_object *state = inf_module_state_dict(t.root);
  g_autofree char *s = to_plain(state);
  g_assert_cmpstr(s, ==,
                  "{\"root_p\":\"R\",\"enc.a.prompt\":\"A\",\"enc.b.prompt\":\"S\","
                  "\"dec.prompt\":\"D\"}");

  /* change everything, then load the saved state: round trip */
  inf_parameter_apply_update(t.root_p, "r2");
  inf_parameter_apply_update(t.pa, "a2");
  inf_parameter_apply_update(t.shared, "s2");
  inf_parameter_apply_update(t.pd, "d2");
  g_assert_true(inf_module_load_state_dict(t.root, state, TRUE, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(inf_parameter_get_value(t.root_p), ==, "R");
  g_assert_cmpstr(inf_parameter_get_value(t.pa), ==, "A");
  g_assert_cmpstr(inf_parameter_get_value(t.shared), ==, "S");
  g_assert_cmpstr(inf_parameter_get_value(t.pd), ==, "D");
  json_object *again = inf_module_state_dict(t.root);
  g_assert_true(json_object_equal(state, again));
  json_object_put(again);
  json_object_put(state);

  /* a shared parameter may also be named by another of its paths */
  state = json_tokener_parse("{\"root_p\":\"R\",\"enc.a.prompt\":\"A\",\"dec.alt\":\"S3\","
                             "\"dec.prompt\":\"D\"}");
  g_assert_true(inf_module_load_state_dict(t.root, state, TRUE, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(inf_parameter_get_value(t.shared), ==, "S3");
  json_object_put(state);

  tree_clear(&t);
}

static void
test_state_dict_mismatch(void)
{
  Tree t;
  tree_init(&t);
  GError *error = NULL;

  json_object *state = json_tokener_parse("{\"a.x\":\"1\",\"root_p\":\"R2\",\"b\":\"2\",\"enc.a."
                                          "prompt\":\"A2\",\"enc.b.prompt\":\"S2\"}");

  /* strict: every unknown key and every missing name; nothing changes */
  g_assert_false(inf_module_load_state_dict(t.root, state, TRUE, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_NOT_FOUND);
  g_assert_cmpstr(error->message, ==,
                  "state dict does not match: unknown parameters: a.x, b; missing parameters: "
                  "dec.prompt");
  g_clear_error(&error);
  g_assert_cmpstr(inf_parameter_get_value(t.root_p), ==, "R");
  g_assert_cmpstr(inf_parameter_get_value(t.pa), ==, "A");
  g_assert_cmpstr(inf_parameter_get_value(t.shared), ==, "S");

  /* non-strict: the known ones load, nothing is reported */
  g_assert_true(inf_module_load_state_dict(t.root, state, FALSE, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(inf_parameter_get_value(t.root_p), ==, "R2");
  g_assert_cmpstr(inf_parameter_get_value(t.pa), ==, "A2");
  g_assert_cmpstr(inf_parameter_get_value(t.shared), ==, "S2");
  g_assert_cmpstr(inf_parameter_get_value(t.pd), ==, "D");
  json_object_put(state);

  /* only missing / only unknown */
  state = json_tokener_parse("{\"root_p\":\"R\"}");
  g_assert_false(inf_module_load_state_dict(t.root, state, TRUE, &error));
  g_assert_cmpstr(error->message, ==,
                  "state dict does not match: missing parameters: enc.a.prompt, enc.b.prompt, "
                  "dec.prompt");
  g_clear_error(&error);
  json_object_put(state);
  state = json_tokener_parse("{\"root_p\":\"R\",\"enc.a.prompt\":\"A\",\"enc.b.prompt\":\"S\","
                             "\"dec.prompt\":\"D\",\"extra\":\"E\"}");
  g_assert_false(inf_module_load_state_dict(t.root, state, TRUE, &error));
  g_assert_cmpstr(error->message, ==, "state dict does not match: unknown parameters: extra");
  g_clear_error(&error);
  json_object_put(state);

  /* a non-string value is an error naming the key, strict or not; nothing changes */
  state = json_tokener_parse("{\"root_p\":\"changed\",\"dec.prompt\":42}");
  for (int strict = 0; strict <= 1; strict++) {
    g_assert_false(inf_module_load_state_dict(t.root, state, strict, &error));
    g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
    assert_contains(error, "'dec.prompt'");
    assert_contains(error, "must be a string");
    g_clear_error(&error);
    g_assert_cmpstr(inf_parameter_get_value(t.root_p), ==, "R2");
  }
  json_object_put(state);

  /* not an object */
  state = json_tokener_parse("[\"x\"]");
  g_assert_false(inf_module_load_state_dict(t.root, state, FALSE, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  g_clear_error(&error);
  json_object_put(state);
  g_assert_false(inf_module_load_state_dict(t.root, NULL, FALSE, &error));
  g_clear_error(&error);

  tree_clear(&t);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/module/class-has", test_class_has);
  g_test_add_func("/module/new-and-accessors", test_new_and_accessors);
  g_test_add_func("/module/new-errors", test_new_errors);
  g_test_add_func("/module/struct-size", test_struct_size);
  g_test_add_func("/module/inline-module-option", test_inline_module_option);
  g_test_add_func("/module/children-and-parameters", test_children_and_parameters);
  g_test_add_func("/module/introspection", test_introspection);
  g_test_add_func("/module/state-dict", test_state_dict);
  g_test_add_func("/module/state-dict-mismatch", test_state_dict_mismatch);
  return g_test_run();
}
