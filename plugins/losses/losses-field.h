/* Field paths ("a.b[0].c") into JSON values: the verifier's `path` into the
 * output, and the contrastive losses' `reference` and `candidates` into the
 * example line. */
#pragma once

#include <inf/inf.h>

/* Whether @path is a field path: non-empty names separated by dots, each
 * followed by decimal indexes in brackets ("answer.labels[0]"). */
gboolean losses_field_path_is_valid(const char *path);

/* The value at @path in @root (borrowed), or NULL; *found tells whether the
 * path exists (a JSON null field is found and returned as NULL). */
json_object *losses_field_get(json_object *root, const char *path, gboolean *found);
