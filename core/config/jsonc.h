/* The config files' JSON: JSON with line and block comments, where an
 * object may hold each key once, read with errors that name the line and
 * column. */
#pragma once

#include <inf/inf.h>
#include <json-c/json.h>

G_BEGIN_DECLS

/* Parses @file's contents into *@json_out (new reference); comments are
 * allowed, an object with the same key twice is not. Errors are
 * INF_ERROR_IO "FILE: cannot read the file: ..." or INF_ERROR_CONFIG
 * "FILE:LINE:COLUMN: JSON syntax error: ...". *@json_out is NULL when the
 * document is the literal null. */
gboolean inf_jsonc_parse_file(const char *file, json_object **json_out, GError **error);

G_END_DECLS
