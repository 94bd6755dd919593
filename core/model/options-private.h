/* Internal: validation of a JSON options object against an InfOptionSpec
 * table (used by the config loader and by inf_module_new). */
#pragma once

#include <inf/module.h>
#include <inf/options.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct {
  /* {"parameter": "NAME"} → a new reference, or NULL with error naming the path and the known names */
  InfParameter *(*resolve_parameter)(gpointer data, const char *name, const char *json_path,
                                     GError **error);
  /* A MODULE option (a JSON string naming a module, or an inline object {"type":...,...}) → new reference */
  InfModule *(*resolve_module)(gpointer data, json_object *spec, const char *json_path,
                               GError **error);
  gpointer data;
  /* An ALIAS option's value: FALSE with an error naming the path and the
   * known aliases when it names none. NULL: not checked. */
  gboolean (*check_alias)(gpointer data, const char *alias, const char *json_path, GError **error);
  /* A NODE option's value ("$name" or "$name.field"), for classes created
   * outside a graph (losses, optimizers: against the main graph): FALSE with
   * an error naming the path and the visible names. NULL, or TRUE while the
   * graph is not known yet: modules used as graph nodes are checked by their
   * graph. */
  gboolean (*check_node)(gpointer data, const char *ref, const char *json_path, GError **error);
} InfOptionsResolver;

/* @given may be NULL (no options). @file and @json_path ("modules.summarize") go into messages: e.g.
 * "pipeline.json: modules.summarize.temprature: unknown option for 'llm'; valid options: alias, max_tokens, response_format, system_prompt, temperature".
 * Wrong type: "...: modules.summarize.temperature: expected a number, got string \"hot\"". Enum: lists the choices. Missing required: names it.
 * Ranges (min<max) checked. @skip_keys (NULL-terminated, may be NULL) are keys of @given that are not options (e.g. "type", "name") and are ignored.
 * resolver may be NULL: then PARAMETER accepts a string or an inline object, and MODULE accepts inline objects only,
 * created with inf_module_new() in @registry.
 *
 * The owner named in messages ("for 'llm'") is the string under "type" in
 * @given, if any; use inf_options_new_for_class() to name it explicitly.
 * All errors are INF_ERROR_CONFIG, except an invalid default in @spec
 * (a bug in the class's table), which is INF_ERROR_PLUGIN. */
InfOptions *inf_options_new(const InfOptionSpec *spec, json_object *given,
                            const char *const *skip_keys, InfRegistry *registry, const char *file,
                            const char *json_path, const InfOptionsResolver *resolver,
                            GError **error);
/* The same, naming @class_name (may be NULL) as the owner in messages. */
InfOptions *inf_options_new_for_class(const InfOptionSpec *spec, const char *class_name,
                                      json_object *given, const char *const *skip_keys,
                                      InfRegistry *registry, const char *file,
                                      const char *json_path, const InfOptionsResolver *resolver,
                                      GError **error);
void inf_options_free(InfOptions *options);

/* The resolver the options were validated with (NULL when none; the file
 * is public: inf_options_get_file). For composites whose options hold module
 * references inside JSON (the config's `graph` class resolves its nodes'
 * modules in init); the resolver's data is only valid while the config
 * loads, i.e. during init. */
const InfOptionsResolver *inf_options_get_resolver(const InfOptions *options);

/* Whether @spec's upper (lower) bound is no real limit: infinite, or for an
 * INT option at or beyond the 32-bit range (G_MAXINT32 as "no limit").
 * Range messages and `inspect` then show the other bound only (">= 0"). */
gboolean inf_option_spec_max_is_open(const InfOptionSpec *spec);
gboolean inf_option_spec_min_is_open(const InfOptionSpec *spec);

/* The entry of the option table @table (ended by a NULL name; NULL: no
 * options) named @name, or NULL. */
const InfOptionSpec *inf_option_spec_find(const InfOptionSpec *table, const char *name);

/* The spec table the options were validated against (may be NULL). */
const InfOptionSpec *inf_options_get_spec(const InfOptions *options);
/* Whether option @name was given explicitly (not a default). */
gboolean inf_options_was_given(const InfOptions *options, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfOptions, inf_options_free)

G_END_DECLS
