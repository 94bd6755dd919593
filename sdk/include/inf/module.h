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
 *
 * Lifecycle — the same rules for every class kind (modules, clients,
 * losses, optimizers), which the engine applies in one place:
 *  1. The engine validates the instance's options against the class's
 *     option table first (unknown options, wrong types, bounds, missing
 *     required options, unknown aliases and nodes are errors naming the file
 *     and the JSON path); init never sees options that fail the table.
 *  2. init is optional. It gets the instance, its options and @out_private
 *     (*out_private is NULL on entry), checks what the table cannot,
 *     stores its private data in *out_private (or leaves it NULL) and
 *     returns TRUE.
 *  3. On failure init returns FALSE with @error set, after freeing whatever
 *     it allocated itself: finalize is NOT called after a failed init, and
 *     the instance is destroyed at once. Returning FALSE without setting
 *     @error is a plugin bug; the engine then reports INF_ERROR_FAILED
 *     "class 'TYPE' failed to initialize without an error message".
 *  4. The engine prefixes init's message with where the instance is
 *     configured, "FILE: JSON_PATH: message" (file as given on the command
 *     line, JSON path as inf_options_get_path(): "modules.classify",
 *     "resources.endpoints.fast[0]", "training.loss"). A message that
 *     already starts with the JSON path (or the file) is not prefixed twice,
 *     so both "temperature must be at most 2" and
 *     "PATH.temperature: must be at most 2" give one clean message. Nothing
 *     is prefixed for instances created in code (no file, no path; losses
 *     and optimizers made by inf_loss_new() and the like still name their
 *     default path "loss" / "optimizer"). The error's domain and code are
 *     kept: use INF_ERROR_CONFIG for option values that are not valid.
 *  5. finalize is optional. It is called exactly once, when the instance
 *     goes (its last reference, or the end of the run for clients), for
 *     every instance whose init succeeded or whose class has no init — with
 *     the private data init stored, which may be NULL (init stored nothing,
 *     or there is no init): finalize must accept NULL.
 *  6. The instance's getters (inf_module_get_options(), ...) work inside
 *     init; its private data is set only after init returned TRUE.
 *
 * Thread: main loop (every function of this header and every callback of
 * the class)
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
 * positional arguments). Tables end with a NULL name.
 *
 * Frozen for ABI 1, like InfOptionSpec: plugins pass arrays of it without a
 * struct_size, so no field is appended to it while the ABI major is 1.
 * Since: 1.0 */
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

  /* Lifecycle (see "Lifecycle" above). init may add children and
   * parameters and set *out_private; it fails with a GError naming the
   * option at fault, and frees what it allocated (no finalize then).
   * finalize may get NULL. Both optional. */
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

/* Creates an instance of the class registered as @type in @registry, with
 * @options validated against the class's option table, then runs the
 * class's init (see "Lifecycle"; no file or JSON path is known here, so
 * errors are not prefixed). Fails with INF_ERROR_CONFIG for an unknown
 * @type (listing the known types) or options that do not fit the table,
 * or with init's error. Outside a config, a PARAMETER option of the form
 * {"parameter": NAME} and a MODULE option naming a module are errors (there
 * is no parameters or modules block to look in; inline ones work), and
 * ALIAS and NODE options are taken as written, unchecked.
 * @registry: (transfer none) kept (borrowed) by the instance: it must
 *            outlive it
 * @type: (transfer none) a registered module type name
 * @name: (transfer none) (nullable) the instance's name, copied
 * @options: (transfer none) (nullable) a JSON object; NULL: no options
 * Returns: (transfer full) (nullable) a new module (free with
 *          inf_module_unref()), or NULL with @error set
 * Since: 1.0 */
INF_API InfModule *inf_module_new(InfRegistry *registry, const char *type, const char *name,
                                  json_object *options, GError **error);
/* Adds a reference.
 * Returns: (transfer full) @module
 * Since: 1.0 */
INF_API InfModule *inf_module_ref(InfModule *module);
/* Drops a reference. The last one calls the class's finalize (see
 * "Lifecycle") and drops the children and parameters.
 * Since: 1.0 */
INF_API void inf_module_unref(InfModule *module);

/* The instance's class.
 * Returns: (transfer none) the class struct, static (the plugin's)
 * Since: 1.0 */
INF_API const InfModuleClass *inf_module_get_class(const InfModule *module);
/* The class name ("llm").
 * Returns: (transfer none) static (the class's)
 * Since: 1.0 */
INF_API const char *inf_module_get_type_name(const InfModule *module);
/* The instance's name: its key in the config's modules block, the name
 * given to inf_module_new(), or NULL for unnamed (inline) instances.
 * Returns: (transfer none) (nullable) valid as long as @module
 * Since: 1.0 */
INF_API const char *inf_module_get_name(const InfModule *module);
/* The private data the class's init stored (NULL before init returned,
 * and when it stored none). The module does not own it: finalize frees it.
 * Since: 1.0 */
INF_API gpointer inf_module_get_private(const InfModule *module);
/* The instance's validated options (see inf/options.h).
 * Returns: (transfer none) valid as long as @module
 * Since: 1.0 */
INF_API const InfOptions *inf_module_get_options(const InfModule *module);
/* The registry the instance was created from.
 * Returns: (transfer none) (nullable) the host's registry; NULL only for
 *          instances the engine creates itself without one
 * Since: 1.0 */
INF_API InfRegistry *inf_module_get_registry(const InfModule *module);
/* Whether the class is composite (implements forward).
 * Since: 1.0 */
INF_API gboolean inf_module_is_composite(const InfModule *module);

/* Adds @child under @name. Names are unique among children, not empty and
 * must not contain '.'; fails with INF_ERROR_INVALID_ARGUMENT otherwise, and
 * when @child is @self or an ancestor of it (a cycle).
 * @name: (transfer none) copied
 * @child: (transfer none) the module takes its own reference
 * Since: 1.0 */
INF_API gboolean inf_module_add_child(InfModule *self, const char *name, InfModule *child,
                                      GError **error);
/* Adds @param under @name; same naming rules as inf_module_add_child().
 * @name: (transfer none) copied
 * @param: (transfer none) the module takes its own reference
 * Since: 1.0 */
INF_API gboolean inf_module_add_parameter(InfModule *self, const char *name, InfParameter *param,
                                          GError **error);
/* The direct child named @name.
 * @name: (transfer none) a child's name (not a dotted path)
 * Returns: (transfer none) (nullable) valid as long as @self; NULL when
 *          there is none
 * Since: 1.0 */
INF_API InfModule *inf_module_get_child(const InfModule *self, const char *name);
/* The module's own parameter named @name.
 * @name: (transfer none) a parameter's name (not a dotted path)
 * Returns: (transfer none) (nullable) valid as long as @self; NULL when
 *          there is none
 * Since: 1.0 */
INF_API InfParameter *inf_module_get_parameter(const InfModule *self, const char *name);

/* Introspection. Each returns a new GPtrArray (free with g_ptr_array_unref;
 * it frees the InfNamed* entries and their names too) whose modules and
 * parameters are borrowed from @self. Order is insertion order, depth
 * first.
 *  children:          direct children (InfModule *)
 *  named_children:    direct children as InfNamedModule *
 *  modules:           self and all descendants (InfModule *), each once
 *  named_modules:     the same as InfNamedModule *, self named "", others by dotted path
 *  parameters:        own and descendants' parameters (InfParameter *), each once
 *  named_parameters:  the same as InfNamedParameter *, by dotted path; a shared
 *                     parameter is listed once, under the first path found
 * The entry structs are allocated by the engine; read them, never allocate
 * them. Since: 1.0 */
typedef struct {
  char *name;
  InfModule *module;
} InfNamedModule;
typedef struct {
  char *name;
  InfParameter *parameter;
} InfNamedParameter;

/* The direct children.
 * Returns: (transfer full) free with g_ptr_array_unref(); the modules in it
 *          are borrowed
 * Since: 1.0 */
INF_API GPtrArray *inf_module_children(const InfModule *self);
/* The direct children with their names.
 * Returns: (transfer full) of InfNamedModule *; free with g_ptr_array_unref()
 * Since: 1.0 */
INF_API GPtrArray *inf_module_named_children(const InfModule *self);
/* @self and all descendants, each once.
 * Returns: (transfer full) free with g_ptr_array_unref(); the modules in it
 *          are borrowed
 * Since: 1.0 */
INF_API GPtrArray *inf_module_modules(const InfModule *self);
/* @self ("") and all descendants by dotted path, each once.
 * Returns: (transfer full) of InfNamedModule *; free with g_ptr_array_unref()
 * Since: 1.0 */
INF_API GPtrArray *inf_module_named_modules(const InfModule *self);
/* Own and descendants' parameters, each once.
 * Returns: (transfer full) free with g_ptr_array_unref(); the parameters in
 *          it are borrowed
 * Since: 1.0 */
INF_API GPtrArray *inf_module_parameters(const InfModule *self);
/* Own and descendants' parameters by dotted path, each once.
 * Returns: (transfer full) of InfNamedParameter *; free with
 *          g_ptr_array_unref()
 * Since: 1.0 */
INF_API GPtrArray *inf_module_named_parameters(const InfModule *self);

/* The state dict: a JSON object mapping each named parameter's dotted path
 * (as inf_module_named_parameters()) to its current text.
 * Returns: (transfer full) a new object; free with json_object_put()
 * Since: 1.0 */
INF_API json_object *inf_module_state_dict(const InfModule *self);
/* Loads parameter texts by dotted path (any path a parameter is reachable
 * under, shared ones included). Everything is checked before anything
 * changes: on error nothing is loaded. Fails with
 * INF_ERROR_INVALID_ARGUMENT when @state is not a JSON object or a value of
 * a known path is not a string. With @strict, also fails with
 * INF_ERROR_NOT_FOUND listing every key that names no parameter and every
 * parameter missing from @state; without it those are ignored and the
 * known keys are loaded.
 * @state: (transfer none) (nullable) a JSON object; NULL is an error
 * Since: 1.0 */
INF_API gboolean inf_module_load_state_dict(InfModule *self, json_object *state, gboolean strict,
                                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfModule, inf_module_unref)

G_END_DECLS
