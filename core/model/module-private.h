/* Internal: module construction for the config layer and cheap per-node
 * accessors for the scheduler. */
#pragma once

#include <stddef.h>

#include <inf/module.h>
#include "options-private.h"

G_BEGIN_DECLS

/* Whether the class struct @klass (of type @Type, as built by its plugin)
 * is large enough to hold @field: the host reads only fields that fit in the
 * plugin's struct_size. E.g. INF_CLASS_HAS (klass, InfModuleClass, forward). */
#define INF_CLASS_HAS(klass, Type, field) \
  ((klass)->struct_size >= offsetof(Type, field) + sizeof(((Type *)0)->field))
/* The field if it fits in struct_size, else NULL. */
#define INF_CLASS_GET(klass, Type, field) \
  (INF_CLASS_HAS(klass, Type, field) ? (klass)->field : NULL)

typedef void (*InfModuleExecuteFunc)(InfModule *self, InfTask *task);
typedef InfValue *(*InfModuleForwardFunc)(InfModule *self, InfTracer *tracer,
                                          InfValue *const *inputs, guint n_inputs, GError **error);
typedef const char *(*InfModuleResourceAliasFunc)(InfModule *self);

/* Creates an instance of @klass named @name (may be NULL), with @options (a
 * JSON object, borrowed, may be NULL) validated against the class's option
 * table (see inf_options_new for @skip_keys, @file, @json_path, @resolver),
 * then runs the class's init. Errors of init are prefixed with @file and
 * @json_path when the message does not already start with them. */
InfModule *inf_module_new_full(InfRegistry *registry, const InfModuleClass *klass, const char *name,
                               json_object *options, const char *const *skip_keys, const char *file,
                               const char *json_path, const InfOptionsResolver *resolver,
                               GError **error);

/* An inline module {"type": ..., "name": ..., options...} of @klass, named
 * by its "name" member when that is a string, else @default_name; its other
 * members but "type" are its options. */
InfModule *inf_module_new_inline(InfRegistry *registry, const InfModuleClass *klass,
                                 const char *default_name, json_object *spec, const char *file,
                                 const char *json_path, GError **error);

/* Head of the instance, so the scheduler's accessors below inline. The class
 * fields are read once at creation (honouring struct_size). */
struct _InfModuleHead {
  guint ref_count;
  const InfModuleClass *klass;
  InfModuleExecuteFunc execute;              /* NULL when the class has none */
  InfModuleForwardFunc forward;              /* NULL when the class has none */
  InfModuleResourceAliasFunc resource_alias; /* NULL when the class has none */
  gpointer private_data;
  gint64 timeout_us; /* the `timeout` option every module has, in µs; 0: none */
};

/* The class's execute function (cached), or NULL. */
static inline InfModuleExecuteFunc
inf_module_get_execute_func(const InfModule *module)
{
  return ((const struct _InfModuleHead *)module)->execute;
}

/* The class's forward function (cached), or NULL. */
static inline InfModuleForwardFunc
inf_module_get_forward_func(const InfModule *module)
{
  return ((const struct _InfModuleHead *)module)->forward;
}

/* The resource alias this instance calls (the class's resource_alias()), or
 * NULL for non-LLM modules. */
static inline const char *
inf_module_get_resource_alias(InfModule *module)
{
  InfModuleResourceAliasFunc f = ((const struct _InfModuleHead *)module)->resource_alias;
  return f != NULL ? f(module) : NULL;
}

/* How long one execution of @module's node may take (its `timeout` option),
 * in µs; 0: no limit. */
static inline gint64
inf_module_get_timeout_us(const InfModule *module)
{
  return ((const struct _InfModuleHead *)module)->timeout_us;
}

/* The option every module has, whatever its class declares. */
#define INF_MODULE_TIMEOUT_OPTION "timeout"

/* Propagates into @error the failure of a class's init (any class kind; the
 * rule "Lifecycle" of inf/module.h states): @local (transfer full; NULL when
 * init returned FALSE without an error: INF_ERROR_FAILED "class 'TYPE'
 * failed to initialize without an error message"), prefixed with
 * "@json_path: " unless the message starts with @json_path or @file, then
 * with "@file: " unless it starts with @file. Empty or NULL @file and
 * @json_path add nothing. The domain and code are kept. */
void inf_class_init_error(GError **error, GError *local, const char *type, const char *file,
                          const char *json_path);

/* Runs the class's check_args (when it has one within its struct_size) on
 * the arguments a node gives @module; TRUE when it has none. */
gboolean inf_module_check_args(InfModule *module, guint n_args, const char *const *arg_names,
                               GError **error);

/* Frees an InfNamedModule (its name, not the borrowed module): the free
 * function of the arrays of inf_module_named_children and friends. */
void inf_named_module_free(gpointer named_module);

/* Sets the instance name (the config layer names instances after their
 * entry in the modules block). */
void inf_module_set_name(InfModule *module, const char *name);

G_END_DECLS
