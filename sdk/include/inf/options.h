/* inf-engine SDK — option tables and validated options.
 *
 * Every class declares its options in a table terminated by an entry whose
 * name is NULL. The config loader validates a class's options against it:
 * an unknown option is an error naming the valid ones, a value of the wrong
 * type is an error naming the expected type, a missing required option is an
 * error. Defaults fill what the config leaves out. `inf-engine inspect NAME`
 * prints the table.
 *
 * Thread: main loop (every function of this header)
 */
#pragma once

#include <inf/macros.h>
#include <inf/parameter.h>
#include <json-c/json.h>

G_BEGIN_DECLS

typedef struct _InfModule InfModule;

typedef enum {
  INF_OPTION_STRING,    /* a JSON string */
  INF_OPTION_INT,       /* a JSON integer */
  INF_OPTION_DOUBLE,    /* a JSON number */
  INF_OPTION_BOOL,      /* true or false */
  INF_OPTION_ENUM,      /* a string among InfOptionSpec.choices */
  INF_OPTION_JSON,      /* any JSON value */
  INF_OPTION_PARAMETER, /* a string (a fixed text), {"parameter": "NAME"} naming an entry of the
                           config's parameters block, or an inline parameter
                           {"value": ..., "description": ..., "requires_grad": true} */
  INF_OPTION_MODULE,    /* a module: the name of an entry of the config's modules block, or an
                           inline module object {"type": ..., options...} */
  INF_OPTION_ALIAS,     /* a string naming a resource alias (a key of resources.endpoints);
                           a config naming an unknown alias is rejected when it is loaded,
                           with the JSON path and the known aliases. Read it with
                           inf_options_get_string(). Since: 1.1 */
  INF_OPTION_NODE,      /* a string "$name" or "$name.field" naming an input or a node of the
                           config graph the module is a node of (the syntax of node
                           arguments); an unknown name is rejected when the config is loaded,
                           with the JSON path and the visible names. Read it with
                           inf_options_get_string() (as written). Since: 1.1 */
} InfOptionType;

/* One entry of a class's option table. A table is an array of these ended
 * by an entry whose name is NULL; write entries with designated initializers
 * ({ .name = "suffix", .type = INF_OPTION_STRING, ... }).
 *
 * Frozen for ABI 1: plugins pass arrays of this struct and it has no
 * struct_size, so the host could not tell the size of an entry built
 * against another layout; no field is appended to it while the ABI major is
 * 1. New option features come as new InfOptionType values (such as
 * INF_OPTION_ALIAS in 1.1) or new functions. Since: 1.0 */
typedef struct {
  const char *name;
  InfOptionType type;
  /* The default as JSON text ("0.7", "\"text\"", "true"), or NULL for none;
   * checked against @type when the class is registered. */
  const char *default_json;
  gboolean required;
  const char *description;
  /* For INF_OPTION_ENUM: the valid strings, NULL-terminated. */
  const char *const *choices;
  /* Inclusive bounds for INT and DOUBLE options, used when min < max. A
   * bound that is no limit is INFINITY (-INFINITY for min), or for INT
   * options G_MAXINT32 (G_MININT32); errors and `inspect` then name the
   * other bound only ("expected an integer >= 1, got 0"). */
  double min;
  double max;
} InfOptionSpec;

/* The name of an option type as shown to users ("string", "integer",
 * "number", "boolean", "enum", "json", "parameter", "module", "alias",
 * "node"; "unknown" for other numbers).
 * Returns: (transfer none) a static string
 * Since: 1.0 */
INF_API const char *inf_option_type_name(InfOptionType type);

/* Validated options of one instance, with defaults applied. Owned by the
 * instance (module, client, loss, optimizer): valid as long as it, and so
 * is everything the accessors below return.
 *
 * For every accessor: @options may be NULL and @name may be NULL or name
 * no option of the table; the option is then absent, and absent options
 * give the zero value (NULL, 0, 0.0, FALSE). An accessor of another type
 * than the option's also gives the zero value (except as each says). */
typedef struct _InfOptions InfOptions;

/* Whether the option was given in the config or has a default.
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Since: 1.0 */
INF_API gboolean inf_options_has(const InfOptions *options, const char *name);
/* A STRING, ENUM, ALIAS or NODE option's string, or a PARAMETER option's
 * current text.
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Returns: (transfer none) (nullable) valid as long as @options (a
 *          parameter's text: until it is updated); NULL when absent
 * Since: 1.0 */
INF_API const char *inf_options_get_string(const InfOptions *options, const char *name);
/* An INT option's value, 0 when absent.
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Since: 1.0 */
INF_API gint64 inf_options_get_int(const InfOptions *options, const char *name);
/* A DOUBLE option's value (an INT option's too), 0.0 when absent.
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Since: 1.0 */
INF_API double inf_options_get_double(const InfOptions *options, const char *name);
/* A BOOL option's value, FALSE when absent.
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Since: 1.0 */
INF_API gboolean inf_options_get_bool(const InfOptions *options, const char *name);
/* Any option's value as its json-c value (as written in the config or as
 * the default), for JSON and ENUM options mostly. Do not modify it.
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Returns: (transfer none) (nullable) valid as long as @options; NULL when
 *          absent (or given as JSON null)
 * Since: 1.0 */
INF_API json_object *inf_options_get_json(const InfOptions *options, const char *name);
/* A JSON option that must be an object, for options such as "extra_body":
 * stores the object (borrowed from @options; take a reference with
 * json_object_get to keep it) or NULL when the option is absent in @out and
 * returns TRUE. When the value is not an object, returns FALSE with
 * INF_ERROR_CONFIG "PATH.NAME: expected a JSON object, got TYPE" and leaves
 * @out NULL.
 * @options: (transfer none) the instance's options
 * @name: (transfer none) the option's name
 * @out: (transfer none) where the object goes; (transfer none) on return
 * Since: 1.1 */
INF_API gboolean inf_options_get_json_object(const InfOptions *options, const char *name,
                                             json_object **out, GError **error);
/* A PARAMETER option, resolved: a parameter of the config's parameters
 * block (shared with other instances naming it) or an inline one. Add it
 * to the module with inf_module_add_parameter() to make it part of the
 * module's parameters (state dict, training).
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Returns: (transfer none) (nullable) valid as long as @options (take a
 *          reference to keep it longer); NULL when absent
 * Since: 1.0 */
INF_API InfParameter *inf_options_get_parameter(const InfOptions *options, const char *name);
/* A MODULE option, instantiated. Add it with inf_module_add_child() (which
 * takes its own reference) to call it from forward().
 * @options: (transfer none) (nullable) the options
 * @name: (transfer none) (nullable) the option's name
 * Returns: (transfer none) (nullable) valid as long as @options; NULL when
 *          absent
 * Since: 1.0 */
INF_API InfModule *inf_options_get_module(const InfOptions *options, const char *name);
/* The JSON path of this instance in the config ("modules.pipeline",
 * "resources.endpoints.fast[0]", "training.loss"), for error messages.
 * @options: (transfer none) (nullable) the options
 * Returns: (transfer none) valid as long as @options; "" for instances
 *          created in code and for NULL @options
 * Since: 1.0 */
INF_API const char *inf_options_get_path(const InfOptions *options);
/* The config file the options were read from, as given on the command line
 * (a relative or absolute path), for options that name files relative to
 * the config.
 * @options: (transfer none) (nullable) the options
 * Returns: (transfer none) valid as long as @options; "" for instances
 *          created in code and for NULL @options
 * Since: 1.1 */
INF_API const char *inf_options_get_file(const InfOptions *options);

G_END_DECLS
