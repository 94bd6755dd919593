/* Internal: labelled datasets for `inf-engine eval` and `inf-engine train`.
 *
 * A dataset is a JSONL file, one example a line:
 *   {"input": {...main's inputs...}, "target": ANY, "id": optional}
 * ("input" may be a JSON string when main has one input). Blank lines are
 * not examples. A line that cannot be used (invalid JSON, no "target", a
 * missing input, a target the loss cannot use) is still an example, with an
 * error naming the file, the line and the JSON path; the run reports it and
 * goes on with the others. */
#pragma once

#include <stdio.h>

#include "graph/graph.h"

G_BEGIN_DECLS

typedef struct {
  guint64 index;       /* 0-based, among the file's examples (non-blank lines) */
  guint64 line;        /* 1-based line number in the file */
  json_object *json;   /* the whole line (NULL when it is not a JSON object) */
  json_object *id;     /* "id" (borrowed from json), or NULL */
  json_object *target; /* "target" (borrowed from json), or NULL when bad */
  InfValue **inputs;   /* one per graph input, or NULL when bad */
  guint n_inputs;
  char *error; /* "FILE:LINE: PATH: what is wrong; what is valid", or NULL */
} InfExample;

void inf_example_free(InfExample *example);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfExample, inf_example_free)

typedef struct _InfDatasetReader InfDatasetReader;

/* Opens @path ("-": stdin) for examples of @graph's inputs; @loss (may be
 * NULL) checks each target (inf_loss_check_target). NULL with INF_ERROR_IO
 * when the file cannot be opened. A regular file is read with blocking
 * reads as examples are asked for; any other input (a pipe, a terminal, a
 * socket) is *streamed*: read on the main loop, a bounded number of lines
 * ahead, so that a slow producer never holds the loop. */
InfDatasetReader *inf_dataset_reader_open(const char *path, InfGraph *graph, InfLoss *loss,
                                          GError **error);
/* Cancels a pending read of a streamed input (iterating the main context
 * until the read saw it) and closes what it opened. */
void inf_dataset_reader_free(InfDatasetReader *reader);
/* Whether the input is streamed (see inf_dataset_reader_open()). */
gboolean inf_dataset_reader_is_streamed(const InfDatasetReader *reader);
/* A streamed input calls @wake(@user_data) on the main loop when a line,
 * the end or a read error arrived (its return value is ignored): then
 * inf_dataset_reader_poll() has something new to say. */
void inf_dataset_reader_set_wake(InfDatasetReader *reader, GSourceFunc wake, gpointer user_data);
/* The next example (transfer full) without waiting: NULL at the end of the
 * input, when reading failed (@error set, INF_ERROR_IO), or with *@later set
 * when a streamed input has no line yet (wait for the wake function). */
InfExample *inf_dataset_reader_poll(InfDatasetReader *reader, gboolean *later, GError **error);
/* The same, waiting for a streamed input's next line by iterating the
 * default main context: NULL only at the end or on a read error. */
InfExample *inf_dataset_reader_next(InfDatasetReader *reader, GError **error);
const char *inf_dataset_reader_get_name(const InfDatasetReader *reader);

/* Reads the whole of @path: an array of InfExample (owned), bad lines
 * included. */
GPtrArray *inf_dataset_load(const char *path, InfGraph *graph, InfLoss *loss, GError **error);
/* How many examples have errors in @examples (InfExample *). */
guint inf_dataset_count_errors(GPtrArray *examples);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(InfDatasetReader, inf_dataset_reader_free)

G_END_DECLS
