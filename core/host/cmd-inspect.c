/* `inf-engine inspect NAME`: a class's kind, description, where it comes
 * from, its options (type, default, required, choices, range, description)
 * and its declared inputs (a client: the endpoint fields every endpoint
 * has), like gst-inspect. */
#include <string.h>

#include "host/commands.h"
#include "model/options-private.h"
#include "plugin/registry-private.h"
#include "resources/endpoint.h"

static const InfPluginRecord *
find_record(InfPluginLoader *loader, const char *file)
{
  GPtrArray *loaded = inf_plugin_loader_get_loaded(loader);

  for (guint i = 0; i < loaded->len; i++) {
    const InfPluginRecord *record = loaded->pdata[i];

    if (strcmp(record->file, file) == 0)
      return record;
  }
  return NULL;
}

/* Prints @text indented by @indent, wrapped at word boundaries to fit in
 * @width columns. */
static void
print_wrapped(const char *text, int indent, int width)
{
  g_auto(GStrv) words = g_strsplit(text, " ", -1);
  int column = 0;

  for (char **word = words; *word != NULL; word++) {
    int len = (int)g_utf8_strlen(*word, -1);

    if (**word == '\0')
      continue;
    if (column > 0 && column + 1 + len > width - indent) {
      g_print("\n");
      column = 0;
    }
    if (column == 0)
      g_print("%*s%s", indent, "", *word);
    else
      g_print(" %s", *word);
    column += (column == 0 ? 0 : 1) + len;
  }
  if (column > 0)
    g_print("\n");
}

/* "required", "default: 0.7", "optional", plus choices and range. */
static char *
option_summary(const InfOptionSpec *spec)
{
  GString *text = g_string_new(NULL);

  if (spec->required)
    g_string_append(text, "required");
  else if (spec->default_json != NULL)
    g_string_append_printf(text, "default: %s", spec->default_json);
  else
    g_string_append(text, "optional, no default");

  if (spec->type == INF_OPTION_ENUM && spec->choices != NULL) {
    g_string_append(text, "; choices: ");
    for (const char *const *c = spec->choices; *c != NULL; c++)
      g_string_append_printf(text, "%s%s", c == spec->choices ? "" : ", ", *c);
  }
  if ((spec->type == INF_OPTION_INT || spec->type == INF_OPTION_DOUBLE) && spec->min < spec->max) {
    const char *fmt = spec->type == INF_OPTION_INT ? "%.0f" : "%g";
    g_autofree char *min = g_strdup_printf(fmt, spec->min);
    g_autofree char *max = g_strdup_printf(fmt, spec->max);

    if (inf_option_spec_max_is_open(spec))
      g_string_append_printf(text, "; range: >= %s", min);
    else if (inf_option_spec_min_is_open(spec))
      g_string_append_printf(text, "; range: <= %s", max);
    else
      g_string_append_printf(text, "; range: %s .. %s", min, max);
  }
  return g_string_free(text, FALSE);
}

/* The table @options under the heading @title ("Options"). */
static void
print_options(const char *title, const InfOptionSpec *options)
{
  gsize name_width = 0, type_width = 0;

  g_print("\n%s:\n", title);
  if (options == NULL || options->name == NULL) {
    g_print("  (none)\n");
    return;
  }
  for (const InfOptionSpec *spec = options; spec->name != NULL; spec++) {
    name_width = MAX(name_width, strlen(spec->name));
    type_width = MAX(type_width, strlen(inf_option_type_name(spec->type)));
  }
  for (const InfOptionSpec *spec = options; spec->name != NULL; spec++) {
    g_autofree char *summary = option_summary(spec);

    g_print("  %-*s  %-*s  %s\n", (int)name_width, spec->name, (int)type_width,
            inf_option_type_name(spec->type), summary);
    if (spec->description != NULL && *spec->description != '\0')
      print_wrapped(spec->description, 6, 80);
  }
}

static void
print_inputs(const InfInputSpec *inputs)
{
  gsize width = 0;

  g_print("\nInputs:\n");
  if (inputs == NULL) {
    g_print("  any (named or positional arguments)\n");
    return;
  }
  if (inputs->name == NULL) {
    g_print("  (none)\n");
    return;
  }
  for (const InfInputSpec *spec = inputs; spec->name != NULL; spec++)
    width = MAX(width, strlen(spec->name));
  for (const InfInputSpec *spec = inputs; spec->name != NULL; spec++) {
    g_print("  %-*s  %s\n", (int)width, spec->name, spec->required ? "required" : "optional");
    if (spec->description != NULL && *spec->description != '\0')
      print_wrapped(spec->description, 6, 80);
  }
}

static void
print_class(InfHostContext *context, const InfClassInfo *info)
{
  const InfPluginRecord *record = find_record(context->loader, info->file);

  g_print("%s (%s class)\n", info->name, inf_class_kind_name(info->kind));
  if (info->description != NULL && *info->description != '\0')
    print_wrapped(info->description, 2, 80);
  g_print("\n");
  g_print("%-13s%s", "Kind:", inf_class_kind_name(info->kind));
  if (info->kind == INF_CLASS_MODULE) {
    const InfModuleClass *klass = info->klass;

    g_print(", %s", klass->forward != NULL ? "composite (forward)" : "atomic (execute)");
    if (klass->resource_alias != NULL)
      g_print(", calls an LLM through a resource alias");
  } else if (info->kind == INF_CLASS_CLIENT) {
    const InfClientClass *klass = info->klass;

    g_print(", %s", klass->call != NULL ? "in process (call)" : "HTTP");
    g_print(", %s",
            klass->requires_api_key ? "needs an API key (api_key_env)" : "needs no API key");
  }
  g_print("\n");
  if (record != NULL)
    g_print("%-13s%s (plugin %s %s)\n", "Provided by:", info->file, record->name, record->version);
  else
    g_print("%-13s%s\n", "Provided by:", info->file);

  print_options("Options", info->options);
  if (info->kind == INF_CLASS_MODULE)
    print_inputs(info->inputs);
  if (info->kind == INF_CLASS_CLIENT)
    print_options("Endpoint fields (of every endpoint, besides the options above)",
                  inf_endpoint_fields());
}

static void
print_known(InfRegistry *registry)
{
  g_printerr("Known classes:\n");
  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++) {
    g_auto(GStrv) names = inf_registry_list(registry, (InfClassKind)k);
    g_autofree char *list = names[0] != NULL ? g_strjoinv(", ", names) : g_strdup("(none)");
    g_autofree char *label = g_strdup_printf("%s:", inf_class_kind_plural((InfClassKind)k));

    g_printerr("  %-12s %s\n", label, list);
  }
}

int
inf_command_inspect(int argc, char **argv)
{
  g_auto(GStrv) plugin_dirs = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(InfHostContext) context = NULL;
  const GOptionEntry entries[] = {
    INF_HOST_PLUGIN_DIR_OPTION(&plugin_dirs),
    G_OPTION_ENTRY_NULL,
  };
  const char *name;
  const char *colon;
  InfClassKind only_kind = INF_CLASS_MODULE;
  gboolean kind_given = FALSE;
  guint found = 0;
  int status;

  if (!inf_command_parse_args("inspect", "NAME",
                              "Shows a class: its kind, description, the plugin providing it, "
                              "its options\n(type, default, required, choices, range, "
                              "description) and its declared inputs.\nNAME may be qualified by "
                              "its kind (client:mock) when several kinds share it.",
                              entries, argc, argv, &rest, &status))
    return status;
  if (rest[0] == NULL || rest[1] != NULL) {
    g_printerr("inf-engine inspect: %s\nRun 'inf-engine inspect --help' for usage.\n",
               rest[0] == NULL ? "missing NAME (the class to show)" : "expected one NAME");
    return INF_EXIT_USAGE;
  }

  context = inf_host_context_open("inspect", (const char *const *)plugin_dirs);
  if (context == NULL)
    return INF_EXIT_FAILURE;

  name = rest[0];
  colon = strchr(name, ':');
  if (colon != NULL) {
    g_autofree char *kind = g_strndup(name, colon - name);

    if (!inf_class_kind_from_name(kind, &only_kind)) {
      g_printerr("inf-engine inspect: unknown class kind '%s' in '%s'; kinds: module, client, "
                 "loss, optimizer\n",
                 kind, name);
      return INF_EXIT_USAGE;
    }
    kind_given = TRUE;
    name = colon + 1;
  }

  for (guint k = 0; k < INF_CLASS_KIND_COUNT; k++) {
    InfClassInfo info;

    if (kind_given && (InfClassKind)k != only_kind)
      continue;
    if (!inf_registry_get_class_info(context->registry, (InfClassKind)k, name, &info))
      continue;
    if (found > 0)
      g_print("\n");
    print_class(context, &info);
    found++;
  }
  if (found == 0) {
    g_printerr("inf-engine inspect: no class named '%s'%s%s\n", name, kind_given ? " of kind " : "",
               kind_given ? inf_class_kind_name(only_kind) : "");
    print_known(context->registry);
    g_autofree char *searched = inf_registry_describe_search_path(context->registry);
    g_printerr("No plugin loaded provides it: %s\n", searched);
    return INF_EXIT_FAILURE;
  }
  return INF_EXIT_OK;
}
