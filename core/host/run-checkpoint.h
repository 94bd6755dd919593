/* What `inf-engine run --checkpoint` needs from the host: the identity of a
 * run (config, graph, parameters, models) and the command line that resumes
 * it. */
#pragma once

#include <stdio.h>

#include "config/config.h"
#include "exec/checkpoint.h"

G_BEGIN_DECLS

/* Opens (or with @resume continues) the checkpoint at @path for the run of
 * @config, with its parameters as loaded and the resources it runs on. */
InfCheckpoint *inf_host_open_checkpoint(InfConfig *config, const InfResourcesConfig *resources,
                                        const char *path, gboolean resume, GError **error);

/* Reads the regular file @input from the start: every input line the
 * checkpoint finished or started must be the same, and none may be missing.
 * Leaves @input at its start. */
gboolean inf_host_check_checkpoint_input(InfCheckpoint *checkpoint, FILE *input,
                                         const char *input_name, GError **error);

/* The command line (shell-quoted) that resumes this run: "inf-engine" and
 * @argv as the command got it ("run", ...), with --resume added when it is
 * not there. */
char *inf_host_resume_command(char **argv);

G_END_DECLS
