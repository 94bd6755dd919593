/* Options: validation of a JSON object against a class's InfOptionSpec table,
 * with defaults applied, and typed accessors. */
#include "options-private.h"

#include "module-private.h"

#include "model/class-resolver.h"

#include <inf/error.h>
#include <math.h>
#include <string.h>

typedef struct {
  const InfOptionSpec *spec;
  gboolean present; /* given or defaulted */
  gboolean given;
  json_object *json; /* the given (or default) JSON, owned; NULL for JSON null */
  union {
    gint64 i;
    double d;
    gboolean b;
    InfParameter *param;
    InfModule *module;
  } u;
} OptionSlot;

struct _InfOptions {
  const InfOptionSpec *spec;
  char *path;
  char *file;                  /* for messages of composites (config's graph class) */
  InfOptionsResolver resolver; /* a copy; its data is valid while the config loads */
  gboolean has_resolver;
  guint n;
  OptionSlot slots[];
};

const char *
inf_option_type_name(InfOptionType type)
{
  switch (type) {
  case INF_OPTION_STRING:
    return "string";
  case INF_OPTION_INT:
    return "integer";
  case INF_OPTION_DOUBLE:
    return "number";
  case INF_OPTION_BOOL:
    return "boolean";
  case INF_OPTION_ENUM:
    return "enum";
  case INF_OPTION_JSON:
    return "json";
  case INF_OPTION_PARAMETER:
    return "parameter";
  case INF_OPTION_MODULE:
    return "module";
  case INF_OPTION_ALIAS:
    return "alias";
  case INF_OPTION_NODE:
    return "node";
  }
  return "unknown";
}

/* Context of one validation, for messages. */
typedef struct {
  const char *file;
  const char *json_path;
  const char *owner;
  InfRegistry *registry;
  const InfOptionsResolver *resolver;
  gboolean in_default; /* validating a default of the spec table */
} Ctx;

static char *
option_path(const Ctx *ctx, const char *name)
{
  if (ctx->json_path == NULL || ctx->json_path[0] == '\0')
    return g_strdup(name);
  return g_strconcat(ctx->json_path, ".", name, NULL);
}

/* Sets @error to "FILE: PATH: message". @path may be NULL or "". */
static void G_GNUC_PRINTF(4, 5)
    set_error(GError **error, const Ctx *ctx, const char *path, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *msg = g_strdup_vprintf(format, ap);
  va_end(ap);
  GString *s = g_string_new(NULL);
  if (ctx->file != NULL && ctx->file[0] != '\0')
    g_string_append_printf(s, "%s: ", ctx->file);
  if (path != NULL && path[0] != '\0')
    g_string_append_printf(s, "%s: ", path);
  g_string_append(s, msg);
  g_set_error_literal(error, INF_ERROR, ctx->in_default ? INF_ERROR_PLUGIN : INF_ERROR_CONFIG,
                      s->str);
  g_string_free(s, TRUE);
}

/* "string \"hot\"", "integer 3", "object", ... for "got ..." in messages.
 * Long strings are shortened. */
static char *
describe_json(json_object *json)
{
  switch (json_object_get_type(json)) {
  case json_type_null:
    return g_strdup("null");
  case json_type_boolean:
    return g_strdup(json_object_get_boolean(json) ? "boolean true" : "boolean false");
  case json_type_int:
    return g_strdup_printf("integer %s", json_object_to_json_string(json));
  case json_type_double:
    return g_strdup_printf("number %s", json_object_to_json_string(json));
  case json_type_string: {
    const char *str = json_object_get_string(json);
    if (g_utf8_strlen(str, -1) > 40) {
      g_autofree char *head = g_utf8_substring(str, 0, 37);
      g_autofree char *shortened = g_strconcat(head, "...", NULL);
      json_object *tmp = json_object_new_string(shortened);
      char *out = g_strdup_printf(
          "string %s", json_object_to_json_string_ext(tmp, JSON_C_TO_STRING_NOSLASHESCAPE));
      json_object_put(tmp);
      return out;
    }
    return g_strdup_printf("string %s",
                           json_object_to_json_string_ext(json, JSON_C_TO_STRING_NOSLASHESCAPE));
  }
  case json_type_object:
    return g_strdup("an object");
  case json_type_array:
    return g_strdup("an array");
  }
  return g_strdup("an unknown value");
}

static int
compare_strings(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *
join_choices(const char *const *choices)
{
  if (choices == NULL || choices[0] == NULL)
    return g_strdup("(none)");
  return g_strjoinv(", ", (char **)choices);
}

static void
type_error(GError **error, const Ctx *ctx, const char *path, const char *expected, json_object *got)
{
  g_autofree char *what = describe_json(got);
  set_error(error, ctx, path, "expected %s, got %s", expected, what);
}

const InfOptionSpec *
inf_option_spec_find(const InfOptionSpec *table, const char *name)
{
  for (const InfOptionSpec *spec = table; spec != NULL && spec->name != NULL; spec++)
    if (strcmp(spec->name, name) == 0)
      return spec;
  return NULL;
}

gboolean
inf_option_spec_max_is_open(const InfOptionSpec *spec)
{
  return isinf(spec->max) || (spec->type == INF_OPTION_INT && spec->max >= G_MAXINT32);
}

gboolean
inf_option_spec_min_is_open(const InfOptionSpec *spec)
{
  return isinf(spec->min) || (spec->type == INF_OPTION_INT && spec->min <= G_MININT32);
}

/* "expected a number >= 0, got -1" when the value is below a minimum whose
 * maximum is open (or above a maximum whose minimum is open), else "2.5 is
 * out of range: expected a value from 0 to 2" (also for 3000000000 against
 * an INT's G_MAXINT32: that bound is then a real one). */
static gboolean
check_range(const InfOptionSpec *spec, double x, const Ctx *ctx, const char *path, GError **error)
{
  if (!(spec->min < spec->max) || (x >= spec->min && x <= spec->max))
    return TRUE;
  const char *kind = spec->type == INF_OPTION_INT ? "an integer" : "a number";
  const char *fmt = spec->type == INF_OPTION_INT ? "%.0f" : "%g";
  g_autofree char *got = g_strdup_printf(fmt, x);
  g_autofree char *min = g_strdup_printf(fmt, spec->min);
  g_autofree char *max = g_strdup_printf(fmt, spec->max);
  if (x < spec->min && inf_option_spec_max_is_open(spec))
    set_error(error, ctx, path, "expected %s >= %s, got %s", kind, min, got);
  else if (x > spec->max && inf_option_spec_min_is_open(spec))
    set_error(error, ctx, path, "expected %s <= %s, got %s", kind, max, got);
  else
    set_error(error, ctx, path, "%s is out of range: expected a value from %s to %s", got, min,
              max);
  return FALSE;
}

static const char *const inline_parameter_keys[] = { "value", "description", "requires_grad",
                                                     NULL };

static InfParameter *
parse_parameter(json_object *json, const Ctx *ctx, const char *path, GError **error)
{
  if (json_object_is_type(json, json_type_string))
    return inf_parameter_new(json_object_get_string(json), NULL, FALSE, error);

  if (!json_object_is_type(json, json_type_object)) {
    type_error(error, ctx, path,
               "a string, {\"parameter\": NAME} or an inline parameter "
               "{\"value\": ..., \"description\": ..., \"requires_grad\": ...}",
               json);
    return NULL;
  }

  json_object *name;
  if (json_object_object_get_ex(json, "parameter", &name)) {
    if (json_object_object_length(json) != 1) {
      set_error(error, ctx, path,
                "a parameter reference has exactly one key: {\"parameter\": NAME}");
      return NULL;
    }
    g_autofree char *sub = g_strconcat(path, ".parameter", NULL);
    if (!json_object_is_type(name, json_type_string)) {
      type_error(error, ctx, sub, "the name of a parameter (a string)", name);
      return NULL;
    }
    if (ctx->resolver == NULL || ctx->resolver->resolve_parameter == NULL) {
      set_error(error, ctx, path,
                "parameter references (\"%s\") can only be resolved in a config with a "
                "parameters block; use a string or an inline parameter here",
                json_object_get_string(name));
      return NULL;
    }
    return ctx->resolver->resolve_parameter(ctx->resolver->data, json_object_get_string(name), path,
                                            error);
  }

  const char *value = NULL, *description = NULL;
  gboolean requires_grad = FALSE;
  json_object_object_foreach(json, key, member)
  {
    g_autofree char *sub = g_strconcat(path, ".", key, NULL);
    if (strcmp(key, "value") == 0) {
      if (!json_object_is_type(member, json_type_string)) {
        type_error(error, ctx, sub, "a string", member);
        return NULL;
      }
      value = json_object_get_string(member);
    } else if (strcmp(key, "description") == 0) {
      if (!json_object_is_type(member, json_type_string)) {
        type_error(error, ctx, sub, "a string", member);
        return NULL;
      }
      description = json_object_get_string(member);
    } else if (strcmp(key, "requires_grad") == 0) {
      if (!json_object_is_type(member, json_type_boolean)) {
        type_error(error, ctx, sub, "a boolean", member);
        return NULL;
      }
      requires_grad = json_object_get_boolean(member);
    } else {
      g_autofree char *valid = join_choices(inline_parameter_keys);
      set_error(error, ctx, sub,
                "unknown key in an inline parameter; valid keys: %s (or a reference "
                "{\"parameter\": NAME})",
                valid);
      return NULL;
    }
  }
  if (value == NULL) {
    set_error(error, ctx, path, "an inline parameter needs a \"value\" (a string)");
    return NULL;
  }
  if (requires_grad && (description == NULL || description[0] == '\0')) {
    set_error(error, ctx, path,
              "a learnable parameter (\"requires_grad\": true) needs a \"description\" "
              "telling the optimizer what the text is for");
    return NULL;
  }
  return inf_parameter_new(value, description, requires_grad, error);
}

static InfModule *
parse_module(json_object *json, const Ctx *ctx, const char *path, const char *option_name,
             GError **error)
{
  if (!json_object_is_type(json, json_type_string) &&
      !json_object_is_type(json, json_type_object)) {
    type_error(error, ctx, path,
               "a module (the name of a module, or an inline object {\"type\": ...})", json);
    return NULL;
  }
  if (ctx->resolver != NULL && ctx->resolver->resolve_module != NULL)
    return ctx->resolver->resolve_module(ctx->resolver->data, json, path, error);

  if (json_object_is_type(json, json_type_string)) {
    set_error(error, ctx, path,
              "module references by name (\"%s\") can only be resolved in a config's "
              "modules block; use an inline object {\"type\": ...} here",
              json_object_get_string(json));
    return NULL;
  }

  json_object *type;
  g_autofree char *type_path = g_strconcat(path, ".type", NULL);
  if (!json_object_object_get_ex(json, "type", &type)) {
    set_error(error, ctx, path, "an inline module needs a \"type\"");
    return NULL;
  }
  if (!json_object_is_type(type, json_type_string)) {
    type_error(error, ctx, type_path, "a module type name (a string)", type);
    return NULL;
  }
  const char *type_name = json_object_get_string(type);
  g_autoptr(GError) unknown = NULL;
  const InfModuleClass *klass = inf_class_resolver_lookup(inf_class_resolver_of(ctx->registry),
                                                          INF_CLASS_MODULE, type_name, &unknown);
  if (klass == NULL) {
    set_error(error, ctx, type_path, "%s", unknown->message);
    return NULL;
  }
  return inf_module_new_inline(ctx->registry, klass, option_name, json, ctx->file, path, error);
}

/* INF_OPTION_INT and INF_OPTION_DOUBLE: a (finite) number in the spec's
 * range, kept in @slot. */
static gboolean
parse_number(OptionSlot *slot, json_object *json, const Ctx *ctx, const char *path, GError **error)
{
  const InfOptionSpec *spec = slot->spec;
  if (spec->type == INF_OPTION_INT) {
    if (!json_object_is_type(json, json_type_int)) {
      type_error(error, ctx, path, "an integer", json);
      return FALSE;
    }
    slot->u.i = json_object_get_int64(json);
    return check_range(spec, (double)slot->u.i, ctx, path, error);
  }
  if (!json_object_is_type(json, json_type_int) && !json_object_is_type(json, json_type_double)) {
    type_error(error, ctx, path, "a number", json);
    return FALSE;
  }
  slot->u.d = json_object_get_double(json);
  if (!isfinite(slot->u.d)) {
    set_error(error, ctx, path, "expected a finite number, got %s",
              json_object_to_json_string(json));
    return FALSE;
  }
  return check_range(spec, slot->u.d, ctx, path, error);
}

/* INF_OPTION_ENUM: one of the spec's choices. */
static gboolean
check_choice(const InfOptionSpec *spec, json_object *json, const Ctx *ctx, const char *path,
             GError **error)
{
  if (json_object_is_type(json, json_type_string) && spec->choices != NULL &&
      g_strv_contains(spec->choices, json_object_get_string(json)))
    return TRUE;
  g_autofree char *valid = join_choices(spec->choices);
  g_autofree char *what = describe_json(json);
  set_error(error, ctx, path, "expected one of: %s; got %s", valid, what);
  return FALSE;
}

/* INF_OPTION_ALIAS: an endpoint alias (checked by the resolver, if any). */
static gboolean
check_alias(json_object *json, const Ctx *ctx, const char *path, GError **error)
{
  if (!json_object_is_type(json, json_type_string)) {
    type_error(error, ctx, path, "an alias name (a key of resources.endpoints)", json);
    return FALSE;
  }
  return ctx->resolver == NULL || ctx->resolver->check_alias == NULL ||
         ctx->resolver->check_alias(ctx->resolver->data, json_object_get_string(json), path, error);
}

/* INF_OPTION_NODE: "$name" or "$name.field" (checked by the resolver, if
 * any). */
static gboolean
check_node(json_object *json, const Ctx *ctx, const char *path, GError **error)
{
  const char *text =
      json_object_is_type(json, json_type_string) ? json_object_get_string(json) : NULL;
  if (text == NULL || text[0] != '$' || text[1] == '\0' || text[1] == '$') {
    type_error(error, ctx, path,
               "a reference \"$name\" or \"$name.field\" to an "
               "input or node of the graph",
               json);
    return FALSE;
  }
  return ctx->resolver == NULL || ctx->resolver->check_node == NULL ||
         ctx->resolver->check_node(ctx->resolver->data, text, path, error);
}

/* Checks @json for the type of @slot and fills the slot's typed value. */
static gboolean
parse_typed(OptionSlot *slot, json_object *json, const Ctx *ctx, const char *path, GError **error)
{
  const InfOptionSpec *spec = slot->spec;
  switch (spec->type) {
  case INF_OPTION_STRING:
    if (!json_object_is_type(json, json_type_string)) {
      type_error(error, ctx, path, "a string", json);
      return FALSE;
    }
    return TRUE;
  case INF_OPTION_INT:
  case INF_OPTION_DOUBLE:
    return parse_number(slot, json, ctx, path, error);
  case INF_OPTION_BOOL:
    if (!json_object_is_type(json, json_type_boolean)) {
      type_error(error, ctx, path, "a boolean (true or false)", json);
      return FALSE;
    }
    slot->u.b = json_object_get_boolean(json);
    return TRUE;
  case INF_OPTION_ENUM:
    return check_choice(spec, json, ctx, path, error);
  case INF_OPTION_JSON:
    return TRUE;
  case INF_OPTION_ALIAS:
    return check_alias(json, ctx, path, error);
  case INF_OPTION_NODE:
    return check_node(json, ctx, path, error);
  case INF_OPTION_PARAMETER:
    slot->u.param = parse_parameter(json, ctx, path, error);
    return slot->u.param != NULL;
  case INF_OPTION_MODULE:
    slot->u.module = parse_module(json, ctx, path, spec->name, error);
    return slot->u.module != NULL;
  default:
    set_error(error, ctx, path, "option has an unknown type %d in its class's table",
              (int)spec->type);
    return FALSE;
  }
}

/* Validates @json (may be NULL = JSON null) for @slot and fills it. */
static gboolean
parse_slot(OptionSlot *slot, json_object *json, const Ctx *ctx, GError **error)
{
  g_autofree char *path = option_path(ctx, slot->spec->name);
  if (!parse_typed(slot, json, ctx, path, error))
    return FALSE;
  slot->json = json_object_get(json);
  slot->present = TRUE;
  return TRUE;
}

static gboolean
is_skipped(const char *const *skip_keys, const char *key)
{
  return skip_keys != NULL && g_strv_contains(skip_keys, key);
}

static void
clear_slot(OptionSlot *slot)
{
  if (slot->spec->type == INF_OPTION_PARAMETER && slot->u.param != NULL)
    inf_parameter_unref(slot->u.param);
  if (slot->spec->type == INF_OPTION_MODULE && slot->u.module != NULL)
    inf_module_unref(slot->u.module);
  json_object_put(slot->json);
}

void
inf_options_free(InfOptions *options)
{
  if (options == NULL)
    return;
  for (guint k = 0; k < options->n; k++)
    clear_slot(&options->slots[k]);
  g_free(options->path);
  g_free(options->file);
  g_free(options);
}

/* A new InfOptions with a slot per entry of @spec (@n of them). */
static InfOptions *
options_alloc(const InfOptionSpec *spec, guint n, const char *file, const char *json_path,
              const InfOptionsResolver *resolver)
{
  InfOptions *options = g_malloc0(sizeof(InfOptions) + sizeof(OptionSlot) * n);
  options->spec = spec;
  options->path = g_strdup(json_path != NULL ? json_path : "");
  options->file = g_strdup(file != NULL ? file : "");
  if (resolver != NULL) {
    options->resolver = *resolver;
    options->has_resolver = TRUE;
  }
  options->n = n;
  for (guint k = 0; k < n; k++)
    options->slots[k].spec = &spec[k];
  return options;
}

/* FALSE with an error naming the first key of @given that is no option of
 * @spec (nor in @skip_keys) and listing the valid ones. */
static gboolean
check_unknown_keys(json_object *given, const char *const *skip_keys, const InfOptionSpec *spec,
                   guint n, const Ctx *ctx, GError **error)
{
  json_object_object_foreach(given, key, member)
  {
    (void)member;
    if (is_skipped(skip_keys, key))
      continue;
    if (inf_option_spec_find(spec, key) != NULL)
      continue;
    g_autofree char *path = option_path(ctx, key);
    /* The valid names, sorted. */
    g_autofree const char **sorted = g_new0(const char *, n + 1);
    for (guint j = 0; j < n; j++)
      sorted[j] = spec[j].name;
    qsort(sorted, n, sizeof(char *), compare_strings);
    g_autofree char *list = join_choices(sorted);
    if (ctx->owner != NULL)
      set_error(error, ctx, path, "unknown option for '%s'; valid options: %s", ctx->owner, list);
    else
      set_error(error, ctx, path, "unknown option; valid options: %s", list);
    return FALSE;
  }
  return TRUE;
}

/* Fills @slot from its spec's default_json. An invalid default is a bug in
 * the class's table: INF_ERROR_PLUGIN. */
static gboolean
parse_default(OptionSlot *slot, const Ctx *ctx, GError **error)
{
  const InfOptionSpec *spec = slot->spec;
  const char *class_name = ctx->owner;
  json_tokener *tok = json_tokener_new();
  json_object *def = json_tokener_parse_ex(tok, spec->default_json, -1);
  gboolean ok = json_tokener_get_error(tok) == json_tokener_success;
  json_tokener_free(tok);
  Ctx dctx = *ctx;
  dctx.in_default = TRUE;
  g_autofree char *path = option_path(ctx, spec->name);
  if (!ok) {
    set_error(error, &dctx, path, "the default of option '%s'%s%s%s is not valid JSON: %s",
              spec->name, class_name ? " of '" : "", class_name ? class_name : "",
              class_name ? "'" : "", spec->default_json);
    json_object_put(def);
    return FALSE;
  }
  GError *local = NULL;
  gboolean parsed = parse_slot(slot, def, &dctx, &local);
  json_object_put(def);
  if (!parsed) {
    g_set_error(error, INF_ERROR, INF_ERROR_PLUGIN, "invalid default in the option table%s%s%s: %s",
                class_name ? " of '" : "", class_name ? class_name : "", class_name ? "'" : "",
                local->message);
    g_error_free(local);
    return FALSE;
  }
  return TRUE;
}

/* Fills every slot of @options: from @given, else its default; a required
 * option missing is an error. */
static gboolean
fill_slots(InfOptions *options, json_object *given, const Ctx *ctx, GError **error)
{
  for (guint k = 0; k < options->n; k++) {
    OptionSlot *slot = &options->slots[k];
    const InfOptionSpec *spec = slot->spec;
    json_object *member;
    if (given != NULL && json_object_object_get_ex(given, spec->name, &member)) {
      slot->given = TRUE;
      if (!parse_slot(slot, member, ctx, error))
        return FALSE;
    } else if (spec->required) {
      if (ctx->owner != NULL)
        set_error(error, ctx, ctx->json_path, "missing required option '%s' for '%s' (%s)",
                  spec->name, ctx->owner, inf_option_type_name(spec->type));
      else
        set_error(error, ctx, ctx->json_path, "missing required option '%s' (%s)", spec->name,
                  inf_option_type_name(spec->type));
      return FALSE;
    } else if (spec->default_json != NULL && !parse_default(slot, ctx, error)) {
      return FALSE;
    }
  }
  return TRUE;
}

InfOptions *
inf_options_new_for_class(const InfOptionSpec *spec, const char *class_name, json_object *given,
                          const char *const *skip_keys, InfRegistry *registry, const char *file,
                          const char *json_path, const InfOptionsResolver *resolver, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  Ctx ctx = { file, json_path, class_name, registry, resolver, FALSE };

  if (given != NULL && !json_object_is_type(given, json_type_object)) {
    g_autofree char *what = describe_json(given);
    set_error(error, &ctx, json_path, "expected an object of options, got %s", what);
    return NULL;
  }
  guint n = 0;
  if (spec != NULL)
    while (spec[n].name != NULL)
      n++;
  InfOptions *options = options_alloc(spec, n, file, json_path, resolver);
  /* Unknown keys first: a typo is the likeliest mistake. */
  if ((given != NULL && !check_unknown_keys(given, skip_keys, spec, n, &ctx, error)) ||
      !fill_slots(options, given, &ctx, error)) {
    inf_options_free(options);
    return NULL;
  }
  return options;
}

InfOptions *
inf_options_new(const InfOptionSpec *spec, json_object *given, const char *const *skip_keys,
                InfRegistry *registry, const char *file, const char *json_path,
                const InfOptionsResolver *resolver, GError **error)
{
  const char *owner = NULL;
  json_object *type;
  if (given != NULL && json_object_is_type(given, json_type_object) &&
      json_object_object_get_ex(given, "type", &type) &&
      json_object_is_type(type, json_type_string))
    owner = json_object_get_string(type);
  return inf_options_new_for_class(spec, owner, given, skip_keys, registry, file, json_path,
                                   resolver, error);
}

static const OptionSlot *
find_slot(const InfOptions *options, const char *name)
{
  if (options == NULL || name == NULL)
    return NULL;
  for (guint k = 0; k < options->n; k++)
    if (strcmp(options->slots[k].spec->name, name) == 0)
      return options->slots[k].present ? &options->slots[k] : NULL;
  return NULL;
}

/* The slot of option @name when it is present and of @type, else NULL. */
static const OptionSlot *
find_typed_slot(const InfOptions *options, const char *name, InfOptionType type)
{
  const OptionSlot *slot = find_slot(options, name);
  return slot != NULL && slot->spec->type == type ? slot : NULL;
}

const InfOptionSpec *
inf_options_get_spec(const InfOptions *options)
{
  return options != NULL ? options->spec : NULL;
}

gboolean
inf_options_was_given(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_slot(options, name);
  return slot != NULL && slot->given;
}

gboolean
inf_options_has(const InfOptions *options, const char *name)
{
  return find_slot(options, name) != NULL;
}

const char *
inf_options_get_string(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_slot(options, name);
  if (slot == NULL)
    return NULL;
  switch (slot->spec->type) {
  case INF_OPTION_STRING:
  case INF_OPTION_ENUM:
  case INF_OPTION_ALIAS:
  case INF_OPTION_NODE:
    return json_object_get_string(slot->json);
  case INF_OPTION_PARAMETER:
    return inf_parameter_get_value(slot->u.param);
  default:
    return NULL;
  }
}

gint64
inf_options_get_int(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_typed_slot(options, name, INF_OPTION_INT);
  return slot != NULL ? slot->u.i : 0;
}

double
inf_options_get_double(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_slot(options, name);
  if (slot == NULL)
    return 0.0;
  if (slot->spec->type == INF_OPTION_DOUBLE)
    return slot->u.d;
  if (slot->spec->type == INF_OPTION_INT)
    return (double)slot->u.i;
  return 0.0;
}

gboolean
inf_options_get_bool(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_typed_slot(options, name, INF_OPTION_BOOL);
  return slot != NULL ? slot->u.b : FALSE;
}

json_object *
inf_options_get_json(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_slot(options, name);
  return slot != NULL ? slot->json : NULL;
}

gboolean
inf_options_get_json_object(const InfOptions *options, const char *name, json_object **out,
                            GError **error)
{
  json_object *value = inf_options_get_json(options, name);
  *out = NULL;
  if (value != NULL && !json_object_is_type(value, json_type_object)) {
    g_set_error(error, INF_ERROR, INF_ERROR_CONFIG, "%s.%s: expected a JSON object, got %s",
                inf_options_get_path(options), name,
                json_type_to_name(json_object_get_type(value)));
    return FALSE;
  }
  *out = value;
  return TRUE;
}

InfParameter *
inf_options_get_parameter(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_typed_slot(options, name, INF_OPTION_PARAMETER);
  return slot != NULL ? slot->u.param : NULL;
}

InfModule *
inf_options_get_module(const InfOptions *options, const char *name)
{
  const OptionSlot *slot = find_typed_slot(options, name, INF_OPTION_MODULE);
  return slot != NULL ? slot->u.module : NULL;
}

const char *
inf_options_get_path(const InfOptions *options)
{
  return options != NULL ? options->path : "";
}

const char *
inf_options_get_file(const InfOptions *options)
{
  return options != NULL ? options->file : "";
}

const InfOptionsResolver *
inf_options_get_resolver(const InfOptions *options)
{
  return options != NULL && options->has_resolver ? &options->resolver : NULL;
}
