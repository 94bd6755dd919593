/* inf-engine SDK — modules.
 *
 * An InfModule is an instance of an InfModuleClass with ordered named
 * children and ordered named parameters.
 *
 *  - Atomic classes implement `execute`: it receives the node's resolved
 *    arguments through an InfTask and finishes by returning a value or an error
 *    on it, at once or later from the main loop. A class whose instances call
 *    an LLM implements `resource_alias`, so the scheduler applies that alias's
 *    concurrency and rate limits before calling `execute`, and calls the LLM
 *    with inf_task_call_llm().
 *  - Composite classes implement `forward`: called once, under the tracer, it
 *    calls children with inf_call() and returns the output (a value, or a list
 *    or dict of values). Nested composites are flattened into one graph.
 *
 * The class struct begins with struct_size; the host reads only the fields
 * that fit in it, so the ABI grows by appending fields. Never reorder.
 */
#pragma once

#include <inf/macros.h>
#include <inf/options.h>
#include <inf/parameter.h>
#include <inf/value.h>

G_BEGIN_DECLS

typedef struct _InfModule InfModule;
typedef struct _InfTask InfTask;
typedef struct _InfTracer InfTracer;
typedef struct _InfRegistry InfRegistry;
typedef struct _InfBackward InfBackward; /* Since: 1.1; see inf/backward.h */

/* A declared input of a module class (shown by inspect; used to name
 * positional arguments). Tables end with a NULL name. */
typedef struct {
  const char *name;
  const char *description;
  gboolean required;
} InfInputSpec;

typedef struct {
  gsize struct_size; /* sizeof(InfModuleClass) as the plugin was built */
  const char *name;  /* the type name used in configs ("llm") */
  const char *description;
  const InfOptionSpec *options; /* NULL-name terminated, or NULL */
  const InfInputSpec *inputs;   /* NULL-name terminated, or NULL (any arguments) */

  /* Lifecycle. init may add children and parameters and set *out_private;
   * it fails with a GError naming the option at fault. Optional. */
  gboolean (*init)(InfModule *self, const InfOptions *options, gpointer *out_private,
                   GError **error);
  void (*finalize)(gpointer private_data);

  /* Atomic: run one node. Must finish the task exactly once. */
  void (*execute)(InfModule *self, InfTask *task);
  /* Composite: trace the body. Returns the output (transfer full) or NULL
   * with @error set. */
  InfValue *(*forward)(InfModule *self, InfTracer *tracer, InfValue *const *inputs, guint n_inputs,
                       GError **error);
  /* Atomic LLM classes: the resource alias this instance calls, or NULL. */
  const char *(*resource_alias)(InfModule *self);

  /* Optional. Checks, before anything runs, that the arguments a graph node
   * gives this instance are enough: @n_args arguments, named by @arg_names
   * (NULL when all are positional, else @n_args entries, NULL for a
   * positional one; borrowed). Called when a config is loaded (and by
   * `inf-engine validate`) and when a composite is traced, never while
   * running; the values are not known yet. Returns FALSE with @error saying
   * what is missing and what is available (e.g. a template placeholder
   * without an argument); the engine adds the file, the JSON path of the
   * node's args and the node. Since: 1.1 */
  gboolean (*check_args)(InfModule *self, guint n_args, const char *const *arg_names,
                         GError **error);

  /* Optional, for atomic classes. Training: turns the feedback on one node's
   * output (for one example) into feedback on its arguments and its
   * parameters. @ctx (see inf/backward.h) holds the node's recorded
   * arguments and output and the combined feedback of everything downstream.
   * Set argument feedback with inf_backward_set_arg_feedback(), parameter
   * feedback with inf_backward_add_parameter_feedback(), call aliases with
   * inf_backward_call_alias(), and finish exactly once, now or later from the
   * main loop, with inf_backward_return() or inf_backward_return_error().
   * Without it, every argument gets a copy of the node's feedback and the
   * parameters get none. Since: 1.1 */
  void (*backward)(InfModule *self, InfBackward *ctx);
} InfModuleClass;

/* Creates an instance of the class registered as @type in @registry, named
 * @name (may be NULL), with @options (a JSON object, borrowed; may be NULL)
 * validated against the class's option table. */
INF_API InfModule *inf_module_new(InfRegistry *registry, const char *type, const char *name,
                                  json_object *options, GError **error);
INF_API InfModule *inf_module_ref(InfModule *module);
INF_API void inf_module_unref(InfModule *module);

INF_API const InfModuleClass *inf_module_get_class(const InfModule *module);
INF_API const char *inf_module_get_type_name(const InfModule *module);
INF_API const char *inf_module_get_name(const InfModule *module);
INF_API gpointer inf_module_get_private(const InfModule *module);
INF_API const InfOptions *inf_module_get_options(const InfModule *module);
INF_API InfRegistry *inf_module_get_registry(const InfModule *module);
INF_API gboolean inf_module_is_composite(const InfModule *module);

/* Adds @child (referenced) under @name. Names are unique among children and
 * must not contain '.'; fails with INF_ERROR_INVALID_ARGUMENT otherwise. */
INF_API gboolean inf_module_add_child(InfModule *self, const char *name, InfModule *child,
                                      GError **error);
/* Adds @param (referenced) under @name; same naming rules. */
INF_API gboolean inf_module_add_parameter(InfModule *self, const char *name, InfParameter *param,
                                          GError **error);
INF_API InfModule *inf_module_get_child(const InfModule *self, const char *name);
INF_API InfParameter *inf_module_get_parameter(const InfModule *self, const char *name);

/* Introspection. Each returns a new GPtrArray (free with g_ptr_array_unref)
 * whose items are borrowed. Order is insertion order, depth first.
 *  children:          direct children (InfModule *)
 *  named_children:    direct children as InfNamedModule *
 *  modules:           self and all descendants (InfModule *), each once
 *  named_modules:     the same as InfNamedModule *, self named "", others by dotted path
 *  parameters:        own and descendants' parameters (InfParameter *), each once
 *  named_parameters:  the same as InfNamedParameter *, by dotted path; a shared
 *                     parameter is listed once, under the first path found */
typedef struct {
  char *name;
  InfModule *module;
} InfNamedModule;
typedef struct {
  char *name;
  InfParameter *parameter;
} InfNamedParameter;

INF_API GPtrArray *inf_module_children(const InfModule *self);
INF_API GPtrArray *inf_module_named_children(const InfModule *self);
INF_API GPtrArray *inf_module_modules(const InfModule *self);
INF_API GPtrArray *inf_module_named_modules(const InfModule *self);
INF_API GPtrArray *inf_module_parameters(const InfModule *self);
INF_API GPtrArray *inf_module_named_parameters(const InfModule *self);

/* The state dict: a JSON object mapping each named parameter's dotted path
 * to its value (caller owns the reference). */
INF_API json_object *inf_module_state_dict(const InfModule *self);
/* Loads parameter values by name. Every key that names no parameter and every
 * parameter missing from @state is listed in the error (INF_ERROR_NOT_FOUND);
 * with @strict FALSE those are reported only through @error being left unset
 * and the known values are loaded. Returns FALSE on error; on error nothing
 * is changed. */
INF_API gboolean inf_module_load_state_dict(InfModule *self, json_object *state, gboolean strict,
                                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfModule, inf_module_unref)

G_END_DECLS
