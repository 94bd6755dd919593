/* Helpers of the eval and train command tests: configs on the mock's
 * scripted modes written to temp dirs, and inf-engine run as a process. */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "inf-test.h"

/* Temp dirs and files: inf_test_mkdtemp, inf_test_rmdir, inf_test_write
 * (tests/support/inf-test.h). */
/* Runs inf-engine with the NULL-terminated @args; its stdout and stderr in
 * @out and @err (caller frees, may be NULL); returns the exit status. */
int optim_cli_run(const char *const *args, char **out, char **err);
/* The config of a 2-label router (billing, technical) on the mock's
 * instruct (alias "fast") and edit (alias "smart") modes, with the initial
 * prompt @prompt and @training (the training block's JSON members after
 * "loss" and "optimizer", may be ""). Caller frees. */
char *optim_cli_router_config(const char *prompt, const char *training);
/* Writes optim_cli_router_config(@prompt, @training) to @dir/router.json;
 * returns the path. */
char *optim_cli_write_router(const char *dir, const char *prompt, const char *training);
/* JSON members at "/"-separated paths: inf_test_json_get() and
 * inf_test_json_get_string() (tests/support/inf-test.h). */
