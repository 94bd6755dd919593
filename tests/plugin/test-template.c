/* Unit tests of the `template` module: parsing and rendering
 * ({name}, {name.field}, {0}, {{ }}), the errors for bad templates and
 * missing arguments, and the class's option validation (loaded from the
 * in-tree template.so on INF_PLUGIN_PATH). */
#include <string.h>

#include <inf/inf.h>

#include "modules/template/template-render.h"
#include "inf-test-plugins.h"
#include "plugin/loader.h"

typedef struct {
  InfValue **values;
  const char **names;
  guint n;
} Args;

static InfValue *
args_get(gpointer data, guint index)
{
  return ((Args *)data)->values[index];
}

static const char *
args_name(gpointer data, guint index)
{
  return ((Args *)data)->names[index];
}

/* Renders @text with the @n values and names; returns the text or NULL with
 * @error set. */
static char *
render(const char *text, InfValue **values, const char **names, guint n, GError **error)
{
  g_autoptr(TemplateProgram) program = NULL;
  Args data = { values, names, n };
  TemplateArgs args = {
    .n_args = n, .get_arg = args_get, .get_arg_name = args_name, .data = &data
  };

  program = template_program_parse(text, error);
  if (program == NULL)
    return NULL;
  return template_program_render(program, &args, "greet", error);
}

static void
test_named_and_positional(void)
{
  g_autoptr(InfValue) name = inf_value_new_text("Ada");
  g_autoptr(InfValue) count = inf_value_new_int(3);
  InfValue *values[] = { name, count };
  const char *names[] = { "name", "count" };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *positional = NULL;

  out = render("Hello {name}, you have {count} new messages.", values, names, 2, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(out, ==, "Hello Ada, you have 3 new messages.");

  positional = render("{1} x {0}{0}", values, names, 2, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(positional, ==, "3 x AdaAda");
}

static void
test_fields(void)
{
  g_autoptr(InfValue) json = inf_value_new_json(
      json_tokener_parse("{\"name\": \"Ada\", \"langs\": [\"C\", \"ML\"], \"age\": 36, "
                         "\"address\": {\"city\": \"London\"}}"));
  g_autoptr(InfValue) dict = inf_value_new_dict();
  g_autoptr(InfValue) inner = inf_value_new_text("inner");
  g_autoptr(InfValue) text_json = inf_value_new_text("{\"title\": \"Notes\"}");
  InfValue *values[] = { json, dict, text_json };
  const char *names[] = { "user", "d", "doc" };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  inf_value_dict_set(dict, "key", inner);
  out = render("{user.name} ({user.age}) from {user.address.city} speaks {user.langs}; "
               "{user.langs.1}; {d.key}; {doc.title}; {0.name}",
               values, names, 3, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(out, ==, "Ada (36) from London speaks [\"C\",\"ML\"]; ML; inner; Notes; Ada");
}

static void
test_escapes_and_literals(void)
{
  g_autoptr(InfValue) x = inf_value_new_text("v");
  InfValue *values[] = { x };
  const char *names[] = { "x" };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *utf8 = NULL;

  out = render("{{\"x\": \"{x}\"}} {{{x}}}", values, names, 1, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(out, ==, "{\"x\": \"v\"} {v}");
  plain = render("no placeholders", values, names, 1, &error);
  g_assert_cmpstr(plain, ==, "no placeholders");
  utf8 = render("héllo {x} → ✓", values, names, 1, &error);
  g_assert_cmpstr(utf8, ==, "héllo v → ✓");
  g_assert_no_error(error);
}

static void
test_value_kinds(void)
{
  g_autoptr(InfValue) null = inf_value_new_null();
  g_autoptr(InfValue) yes = inf_value_new_bool(TRUE);
  g_autoptr(InfValue) pi = inf_value_new_double(2.5);
  g_autoptr(InfValue) obj = inf_value_new_json(json_tokener_parse("{\"a\": 1}"));
  InfValue *values[] = { null, yes, pi, obj };
  const char *names[] = { "n", "b", "d", "o" };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = render("{n}|{b}|{d}|{o}", values, names, 4, &error);

  g_assert_no_error(error);
  g_assert_cmpstr(out, ==, "null|true|2.5|{\"a\":1}");
}

static void
test_placeholders_listed(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TemplateProgram) program = template_program_parse("{a} {{b}} {c.d} {0}", &error);

  g_assert_no_error(error);
  g_assert_cmpuint(template_program_get_n_placeholders(program), ==, 3);
  g_assert_cmpstr(template_program_get_placeholder(program, 0), ==, "a");
  g_assert_cmpstr(template_program_get_placeholder(program, 1), ==, "c.d");
  g_assert_cmpstr(template_program_get_placeholder(program, 2), ==, "0");
}

static void
expect_parse_error(const char *text, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TemplateProgram) program = template_program_parse(text, &error);

  g_assert_null(program);
  g_assert_error(error, INF_ERROR, INF_ERROR_CONFIG);
  inf_test_assert_contains(error->message, expected);
}

static void
test_parse_errors(void)
{
  expect_parse_error("Hi {name", "unclosed '{' at offset 3");
  expect_parse_error("Hi } there", "single '}' at offset 3 has no opening '{'; write }}");
  expect_parse_error("{\"a\": 1}", "invalid placeholder '{\"a\": 1}' at offset 0");
  expect_parse_error("x {a b}", "write {{ and }} for literal braces");
  expect_parse_error("{}", "invalid placeholder '{}' at offset 0: empty name");
  expect_parse_error("{a..b}", "empty name");
  expect_parse_error("{.a}", "empty name");
  expect_parse_error("{a.}", "empty name");
  expect_parse_error("{99999999}", "the argument index is too large");
}

/* Rendering @text fails: returns the error. */
static GError *
render_error(const char *text, InfValue **values, const char **names, guint n)
{
  GError *error = NULL;
  char *out = render(text, values, names, n, &error);
  g_assert_null(out);
  g_assert_nonnull(error);
  return error;
}

static void
test_missing_argument(void)
{
  g_autoptr(InfValue) name = inf_value_new_text("Ada");
  g_autoptr(InfValue) topic = inf_value_new_text("C");
  InfValue *values[] = { name, topic };
  const char *names[] = { "name", "topic" };
  const char *no_names[] = { NULL, NULL };

  g_autoptr(GError) no_name = render_error("Hi {user}", values, names, 2);
  g_assert_error(no_name, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr(no_name->message, ==,
                  "node 'greet': template placeholder {user} has no argument named 'user' "
                  "(available: name, topic; positional: {0} to {1})");

  g_autoptr(GError) no_index = render_error("{2}", values, names, 2);
  g_assert_cmpstr(no_index->message, ==,
                  "node 'greet': template placeholder {2} has no argument 2 (available: name, "
                  "topic; positional: {0} to {1})");

  g_autoptr(GError) unnamed = render_error("{x}", values, no_names, 1);
  inf_test_assert_contains(unnamed->message, "(available: no named arguments; positional: {0})");

  g_autoptr(GError) no_args = render_error("{x}", NULL, NULL, 0);
  inf_test_assert_contains(no_args->message, "(the node has no arguments)");
}

static void
test_missing_field(void)
{
  g_autoptr(InfValue) user = inf_value_new_json(
      json_tokener_parse("{\"name\": \"Ada\", \"address\": {\"city\": \"London\"}}"));
  g_autoptr(InfValue) text = inf_value_new_text("plain");
  InfValue *values[] = { user, text };
  const char *names[] = { "user", "t" };

  /* A value that lacks the field is a "no match" failure of the input
   * (inf/error.h), not a wrong argument. */
  g_autoptr(GError) no_age = render_error("{user.age}", values, names, 2);
  g_assert_error(no_age, INF_ERROR, INF_ERROR_INPUT);
  g_assert_cmpstr(no_age->message, ==,
                  "node 'greet': template placeholder {user.age}: 'user' has no field 'age' "
                  "(its fields: name, address)");

  g_autoptr(GError) no_zip = render_error("{user.address.zip}", values, names, 2);
  g_assert_error(no_zip, INF_ERROR, INF_ERROR_INPUT);
  inf_test_assert_contains(no_zip->message, "'user.address' has no field 'zip' (its fields: "
                                            "city)");

  g_autoptr(GError) in_text = render_error("{t.x}", values, names, 2);
  g_assert_error(in_text, INF_ERROR, INF_ERROR_INPUT);
  inf_test_assert_contains(in_text->message, "'t' has no field 'x' (it is a text value)");
}

/* --- the class, from the in-tree plugin --- */

static InfRegistry *
registry_with_plugins(InfPluginLoader **out_loader)
{
  InfRegistry *registry = inf_registry_new();
  *out_loader = inf_test_load_plugins(registry);
  return registry;
}

static InfModule *
new_template(InfRegistry *registry, const char *options_json, GError **error)
{
  json_object *options = json_tokener_parse(options_json);
  InfModule *module;

  g_assert_nonnull(options);
  module = inf_module_new(registry, "template", "greet", options, error);
  json_object_put(options);
  return module;
}

static void
test_class_options(void)
{
  InfPluginLoader *loader = NULL;
  g_autoptr(InfRegistry) registry = registry_with_plugins(&loader);
  g_autoptr(GError) error = NULL;
  g_autoptr(InfModule) good = NULL;
  InfModule *bad;

  g_assert_nonnull(inf_registry_lookup_module_class(registry, "template"));
  good = new_template(registry, "{\"template\": \"Hi {name}\"}", &error);
  g_assert_no_error(error);
  g_assert_nonnull(good);
  g_assert_false(inf_module_is_composite(good));
  g_assert_nonnull(inf_module_get_private(good));

  bad = new_template(registry, "{}", &error);
  g_assert_null(bad);
  inf_test_assert_contains(error->message, "template");
  g_clear_error(&error);

  bad = new_template(registry, "{\"template\": \"Hi {name\"}", &error);
  g_assert_null(bad);
  inf_test_assert_contains(error->message, "option 'template': unclosed '{' at offset 3");
  g_clear_error(&error);

  bad = new_template(registry, "{\"template\": 42}", &error);
  g_assert_null(bad);
  inf_test_assert_contains(error->message, "template");
  g_clear_error(&error);

  bad = new_template(registry, "{\"template\": \"x\", \"templat\": \"y\"}", &error);
  g_assert_null(bad);
  inf_test_assert_contains_all(error->message, "templat", "template");
  inf_plugin_loader_free(loader);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/template/named-and-positional", test_named_and_positional);
  g_test_add_func("/template/fields", test_fields);
  g_test_add_func("/template/escapes-and-literals", test_escapes_and_literals);
  g_test_add_func("/template/value-kinds", test_value_kinds);
  g_test_add_func("/template/placeholders-listed", test_placeholders_listed);
  g_test_add_func("/template/parse-errors", test_parse_errors);
  g_test_add_func("/template/missing-argument", test_missing_argument);
  g_test_add_func("/template/missing-field", test_missing_field);
  g_test_add_func("/template/class-options", test_class_options);
  return g_test_run();
}
