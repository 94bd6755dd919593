/* Datasets on standard input are read on the main loop. eval --data -: with
 * a pipe that this test keeps open, the results of the lines written so far
 * come out without waiting for the end of the input, and SIGINT ends the run
 * promptly, interrupted, with those results. train --train -: the same
 * training as from the file; SIGINT while it reads ends it promptly. The
 * moment of a signal is set by what the engine wrote or read, never by a
 * time. */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <string.h>
#include <glib-unix.h>
#include <unistd.h>

#include "optim-cli.h"

#define PROMPT "Answer with one of: billing, technical. Answer in lowercase."

/* The read end of the test's pipe becomes the engine's stdin. */
static void
stdin_from_pipe(gpointer data)
{
  dup2(GPOINTER_TO_INT(data), STDIN_FILENO);
}

static void
write_all(int fd, const char *text)
{
  g_assert_cmpint(write(fd, text, strlen(text)), ==, (gssize)strlen(text));
}

static void
test_stdin_pipe_interrupted(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-eval-stream");
  g_autofree char *text = optim_cli_router_config(PROMPT, "");
  g_autofree char *config = inf_test_write(dir, "router.json", text);
  int fds[2];
  g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
  InfTestSpawn spawn = { .child_setup = stdin_from_pipe,
                         .child_setup_data = GINT_TO_POINTER(fds[0]) };
  InfTestEngine *engine = inf_test_engine_start_va(&spawn, "eval", config, "--data", "-", NULL);
  close(fds[0]);
  /* two examples, a blank line, a bad line; the pipe stays open */
  write_all(fds[1], "{\"id\": \"a\", \"input\": {\"ticket\": \"my billing is wrong\"}, \"target\": "
                    "\"billing\"}\n");
  inf_test_engine_wait_out(engine, "\"id\":\"a\"");
  write_all(fds[1], "{\"id\": \"b\", \"input\": {\"ticket\": \"the app crashes\"}, \"target\": "
                    "\"technical\"}\n\nnot json\n");
  inf_test_engine_wait_out(engine, "\"index\":2");
  inf_test_engine_send_signal(engine, SIGINT);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run); /* without an end of input */
  close(fds[1]);
  g_assert_cmpint(run.status, ==, 130);
  inf_test_assert_contains(run.err, "interrupted");
  inf_test_assert_contains(run.err, "eval interrupted: 3 examples");
  inf_test_assert_contains(run.err, "stdin:4: invalid JSON");
  g_autoptr(GPtrArray) lines = inf_test_parse_lines_by_index(run.out);
  g_assert_cmpuint(lines->len, ==, 3);
  g_assert_cmpstr(json_object_get_string(inf_test_json_get(g_ptr_array_index(lines, 0), "id")), ==,
                  "a");
  g_assert_true(json_object_get_boolean(inf_test_json_get(g_ptr_array_index(lines, 0), "passed")));
  g_assert_cmpstr(json_object_get_string(inf_test_json_get(g_ptr_array_index(lines, 1), "id")), ==,
                  "b");
  g_assert_nonnull(inf_test_json_get(g_ptr_array_index(lines, 2), "errors/input"));
  inf_test_rmdir(dir);
}

/* A pipe that ends: the same results as the file, complete. */
static void
test_stdin_pipe_to_end(void)
{
  g_autofree char *dir = inf_test_mkdtemp("inf-eval-stream");
  g_autofree char *text = optim_cli_router_config(PROMPT, "");
  g_autofree char *config = inf_test_write(dir, "router.json", text);
  GString *data = g_string_new(NULL);
  for (guint i = 0; i < 150; i++) /* more than the lines read ahead */
    g_string_append_printf(data,
                           "{\"id\": %u, \"input\": {\"ticket\": \"%s %u\"}, \"target\": "
                           "\"%s\"}\n",
                           i, i % 2 ? "the app crashes" : "my billing is wrong", i,
                           i % 2 ? "technical" : "billing");
  g_autofree char *file = inf_test_write(dir, "data.jsonl", data->str);
  InfTestSpawn spawn = { .stdin_text = data->str };
  g_auto(InfTestRun) piped = { 0 }, from_file = { 0 };
  inf_test_engine_run_va(&piped, &spawn, "eval", config, "--data", "-", "--max-inflight", "4",
                         NULL);
  inf_test_engine_run_va(&from_file, NULL, "eval", config, "--data", file, NULL);
  g_string_free(data, TRUE);
  g_assert_cmpint(piped.status, ==, 0);
  g_assert_cmpint(from_file.status, ==, 0);
  g_assert_cmpstr(piped.out, ==, from_file.out);
  inf_test_assert_contains(piped.err, "eval finished: 150 examples");
  inf_test_rmdir(dir);
}

/* Whether the pipe (an end of it, *@data) holds no unread byte. */
static gboolean
pipe_drained(gpointer data)
{
  int unread = -1;
  g_assert_cmpint(ioctl(*(int *)data, FIONREAD, &unread), ==, 0);
  return unread == 0;
}

/* configs/train's demo with --train from standard input and from a named
 * pipe: the same history and parameters as from the file. */
static void
test_train_from_stdin(void)
{
  const char *root = g_getenv("INF_SOURCE_ROOT");
  g_assert_nonnull(root);
  g_autofree char *dir = inf_test_mkdtemp("inf-train-stdin");
  g_autofree char *config = g_build_filename(root, "configs", "train", "router.json", NULL);
  g_autofree char *train = g_build_filename(root, "configs", "train", "train.jsonl", NULL);
  g_autofree char *val = g_build_filename(root, "configs", "train", "val.jsonl", NULL);
  g_autofree char *text = inf_test_read(train);
  g_assert_nonnull(text);
  g_autofree char *fifo = g_build_filename(dir, "train.fifo", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  const char *names[] = { "file", "stdin", "fifo" };
  const char *sources[] = { train, "-", fifo };
  char *outs[3], *histories[3];
  for (guint i = 0; i < 3; i++) {
    g_autofree char *out = g_strdup_printf("%s/%s.json", dir, names[i]);
    g_autofree char *history = g_strdup_printf("%s/%s.jsonl", dir, names[i]);
    InfTestSpawn spawn = { .stdin_text = i == 1 ? text : NULL };
    int fd = -1;
    if (i == 2) { /* written before the engine opens it; ended once it has read it all */
      fd = open(fifo, O_RDWR | O_CLOEXEC);
      g_assert_cmpint(fd, >=, 0);
      write_all(fd, text);
    }
    InfTestEngine *engine =
        inf_test_engine_start_va(&spawn, "train", config, "--train", sources[i], "--val", val,
                                 "--out", out, "--history", history, "--quiet", NULL);
    if (fd >= 0) {
      inf_test_engine_wait_until(engine, pipe_drained, &fd);
      close(fd);
    }
    g_auto(InfTestRun) run = { 0 };
    inf_test_engine_finish(engine, &run);
    g_assert_cmpint(run.status, ==, 0);
    outs[i] = inf_test_read(out);
    histories[i] = inf_test_read(history);
  }
  for (guint i = 1; i < 3; i++) {
    g_assert_cmpstr(histories[i], ==, histories[0]);
    g_assert_cmpstr(outs[i], ==, outs[0]);
  }
  for (guint i = 0; i < 3; i++) {
    g_free(outs[i]);
    g_free(histories[i]);
  }
  /* one split at most on stdin, and none with --checkpoint */
  g_autofree char *out = g_build_filename(dir, "x.json", NULL);
  g_autofree char *ckpt = g_build_filename(dir, "x.ckpt", NULL);
  g_auto(InfTestRun) two = { 0 }, ck = { 0 };
  inf_test_engine_run_va(&two, NULL, "train", config, "--train", "-", "--val", "-", "--out", out,
                         NULL);
  g_assert_cmpint(two.status, ==, 2);
  inf_test_assert_contains(two.err, "only one of --train, --val and --test can be '-'");
  inf_test_engine_run_va(&ck, NULL, "train", config, "--train", "-", "--val", val, "--out", out,
                         "--checkpoint", ckpt, NULL);
  g_assert_cmpint(ck.status, ==, 2);
  inf_test_assert_contains(ck.err, "--checkpoint needs the splits in files");
  g_assert_false(g_file_test(ckpt, G_FILE_TEST_EXISTS));
  /* nor a named pipe (refused before it is opened: no writer is needed) */
  g_auto(InfTestRun) ck_fifo = { 0 };
  inf_test_engine_run_va(&ck_fifo, NULL, "train", config, "--train", fifo, "--val", val, "--out",
                         out, "--checkpoint", ckpt, NULL);
  g_assert_cmpint(ck_fifo.status, ==, 2);
  inf_test_assert_contains(ck_fifo.err,
                           "--checkpoint needs the splits in files, not '-' or a pipe");
  g_assert_false(g_file_test(ckpt, G_FILE_TEST_EXISTS));
  inf_test_rmdir(dir);
}

/* SIGINT while train reads --train - from a pipe that has not ended: it
 * ends promptly with 130. The signal is sent once the engine has read all
 * that was written (its signal handlers are set before it reads). */
static void
test_train_stdin_interrupted(void)
{
  const char *root = g_getenv("INF_SOURCE_ROOT");
  g_assert_nonnull(root);
  g_autofree char *dir = inf_test_mkdtemp("inf-train-stdin");
  g_autofree char *config = g_build_filename(root, "configs", "train", "router.json", NULL);
  g_autofree char *val = g_build_filename(root, "configs", "train", "val.jsonl", NULL);
  g_autofree char *out = g_build_filename(dir, "params.json", NULL);
  int fds[2];
  g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
  InfTestSpawn spawn = { .child_setup = stdin_from_pipe,
                         .child_setup_data = GINT_TO_POINTER(fds[0]) };
  InfTestEngine *engine = inf_test_engine_start_va(&spawn, "train", config, "--train", "-", "--val",
                                                   val, "--out", out, NULL);
  write_all(fds[1], "{\"input\": {\"ticket\": \"my invoice\"}, \"target\": \"billing\"}\n");
  inf_test_engine_wait_until(engine, pipe_drained, &fds[0]);
  inf_test_engine_send_signal(engine, SIGINT);
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_finish(engine, &run); /* without an end of input */
  close(fds[0]);
  close(fds[1]);
  g_assert_cmpint(run.term_signal, ==, 0);
  g_assert_cmpint(run.status, ==, 130);
  inf_test_assert_contains(run.err, "interrupted while reading --train -; nothing was trained");
  inf_test_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/eval/stdin-pipe-interrupted", test_stdin_pipe_interrupted);
  g_test_add_func("/eval/stdin-pipe-to-end", test_stdin_pipe_to_end);
  g_test_add_func("/train/from-stdin", test_train_from_stdin);
  g_test_add_func("/train/stdin-interrupted", test_train_stdin_interrupted);
  return g_test_run();
}
