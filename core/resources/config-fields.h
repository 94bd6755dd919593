/* The scalar fields of a config block (resources.budget, resources.cache,
 * training, ...) validated by the options code (model/options.c) against an
 * InfOptionSpec table, like a class's options: an unknown key names the
 * valid ones; wrong types, bounds and enum choices name the file, the JSON
 * path and what is valid; defaults fill what the block leaves out. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

/* Validates the object @json (borrowed; the caller checked that it is an
 * object) at @json_path of @file against @fields (ended by a NULL name).
 * An INT field also takes a whole number written as a decimal ("3.0",
 * "1e6"), as these blocks always did; other types are as for class options.
 * Fields the block parses itself (lists, nested blocks) are INF_OPTION_JSON
 * entries of @fields, so that they are listed among the valid keys.
 * Returns: (transfer full) (nullable) the validated fields, or NULL with an
 *          INF_ERROR_CONFIG error "FILE: PATH.KEY: ..." */
InfOptions *inf_config_fields_parse(const InfOptionSpec *fields, json_object *json,
                                    const char *file, const char *json_path, GError **error);

G_END_DECLS
