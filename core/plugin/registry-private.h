/* Registry internals for the host: which plugin file registered each class,
 * rollback of a plugin's classes, and a kind-independent view of a class. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* What classes registered while no plugin is being loaded are attributed to. */
#define INF_REGISTRY_BUILTIN "(built-in)"

/* The file that classes added from now on come from (the loader sets it
 * around a plugin's register_classes); NULL means INF_REGISTRY_BUILTIN. */
void inf_registry_set_current_plugin(InfRegistry *registry, const char *file);
const char *inf_registry_get_current_plugin(InfRegistry *registry);

/* A kind-independent view of one registered class (all borrowed). */
typedef struct {
  InfClassKind kind;
  const char *name;
  const char *description;
  const InfOptionSpec *options;
  const InfInputSpec *inputs; /* modules only, else NULL */
  const char *file;           /* the plugin file, or INF_REGISTRY_BUILTIN */
  gconstpointer klass;        /* the class struct of @kind */
} InfClassInfo;

/* Fills @info for the class @name of @kind; FALSE when there is none. */
gboolean inf_registry_get_class_info(InfRegistry *registry, InfClassKind kind, const char *name,
                                     InfClassInfo *info);
/* "kind:name" of every class registered from @file (NULL: built-in), in
 * registration order (free with g_strfreev). */
char **inf_registry_list_classes_from(InfRegistry *registry, const char *file);
/* Removes every class registered from @file (rollback of a plugin whose
 * registration failed). Returns how many were removed. */
guint inf_registry_remove_classes_from(InfRegistry *registry, const char *file);

/* The plugin directories the host searched, in order (copied; NULL: not
 * known, as in programs that load plugins themselves). Unknown-class
 * errors name them. */
void inf_registry_set_search_path(InfRegistry *registry, const char *const *dirs);
/* "searched DIR, DIR (not found); add the plugin's directory with
 * --plugin-dir DIR or INF_PLUGIN_PATH", or NULL when no search path was set
 * or @registry is NULL (free with g_free). */
char *inf_registry_describe_search_path(InfRegistry *registry);

/* The class of @kind named @name, or NULL with an INF_ERROR_CONFIG error
 * that names the known classes: "unknown module type 'x'; known module
 * types: a, b" ("unknown provider 'x'; known providers: ..." for clients),
 * then "; no plugin loaded provides it: " and inf_registry_describe_search_path().
 * The message has no location: the caller prefixes its file and JSON path.
 * @registry may be NULL (no classes). Every lookup of a class named in a
 * config goes through here, so the message is worded in one place. */
gconstpointer inf_registry_lookup_class(InfRegistry *registry, InfClassKind kind, const char *name,
                                        GError **error);
/* "known module types: a, b" (or ": (none)") for @kind, the tail of the
 * message above, for callers that report a missing name (free with g_free).
 * @registry may be NULL. */
char *inf_registry_describe_known(InfRegistry *registry, InfClassKind kind);

/* Keeps @data until the registry is freed, then calls @destroy (NULL:
 * g_free): for what a plugin may still use after the run that gave it out
 * ended (a task or a call it never finished), so that its late use is
 * recognised and reported rather than a use after free. */
void inf_registry_keep(InfRegistry *registry, gpointer data, GDestroyNotify destroy);

/* Parses "module", "client", "loss" or "optimizer" (also the plurals). */
gboolean inf_class_kind_from_name(const char *name, InfClassKind *kind);
/* "modules", "clients", "losses", "optimizers". */
const char *inf_class_kind_plural(InfClassKind kind);

#define INF_CLASS_KIND_COUNT 4

G_END_DECLS
