/* The shared test fixtures: the fake server on this thread's context and
 * inf-engine as a subprocess (inf-test.h). */
#include "inf-test.h"

#include <string.h>

/* --- the fake LLM server ------------------------------------------------- */

InfFakeLlm *
inf_test_fake_start(void)
{
  g_autoptr(GError) error = NULL;
  InfFakeLlm *fake = inf_fake_llm_new(g_main_context_get_thread_default());
  g_assert_true(inf_fake_llm_start(fake, 0, &error));
  g_assert_no_error(error);
  return fake;
}

void
inf_test_fake_stop(InfFakeLlm *fake)
{
  inf_fake_llm_free(fake);
  while (g_main_context_iteration(g_main_context_get_thread_default(), FALSE))
    ;
}

guint64
inf_test_fake_requests(InfFakeLlm *fake)
{
  InfFakeStats stats;
  inf_fake_llm_get_stats(fake, &stats);
  return stats.requests;
}

void
inf_test_fake_wait_requests(InfFakeLlm *fake, guint64 n, InfTestEngine *engine)
{
  while (inf_test_fake_requests(fake) < n) {
    if (engine != NULL && !inf_test_engine_is_running(engine))
      g_error("inf-engine ended before the fake had %" G_GUINT64_FORMAT
              " requests (it had %" G_GUINT64_FORMAT "); stdout:\n%s\nstderr:\n%s",
              n, inf_test_fake_requests(fake), inf_test_engine_get_out(engine),
              inf_test_engine_get_err(engine));
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
  }
}

void
inf_test_fake_wait_held(InfFakeLlm *fake, guint n, InfTestEngine *engine)
{
  while (inf_fake_llm_get_n_held(fake) < n) {
    if (engine != NULL && !inf_test_engine_is_running(engine))
      g_error("inf-engine ended before the fake held %u requests (it held %u); stdout:\n%s\n"
              "stderr:\n%s",
              n, inf_fake_llm_get_n_held(fake), inf_test_engine_get_out(engine),
              inf_test_engine_get_err(engine));
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
  }
}

void
inf_test_server_fixture_set_up(InfTestServerFixture *f, gconstpointer data)
{
  (void)data;
  f->context = g_main_context_ref_thread_default();
  f->fake = inf_test_fake_start();
  f->dir = inf_test_mkdtemp(NULL);
}

void
inf_test_server_fixture_tear_down(InfTestServerFixture *f, gconstpointer data)
{
  (void)data;
  inf_test_fake_stop(f->fake);
  inf_test_rmdir(f->dir);
  g_free(f->dir);
  g_main_context_unref(f->context);
}

/* --- inf-engine ---------------------------------------------------------- */

struct _InfTestEngine {
  GSubprocess *process;
  GCancellable *cancellable;
  GString *out;
  GString *err;
  guint open_pipes; /* stdout and stderr until their end */
  gboolean exited;
  char *stdin_text;
};

typedef struct {
  InfTestEngine *engine;
  GString *into;
} PipeRead;

static void read_next(GInputStream *stream, PipeRead *read);

static void
on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
  PipeRead *read = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes =
      g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);
  g_assert_no_error(error);
  gsize size = 0;
  const char *data = g_bytes_get_data(bytes, &size);
  if (size == 0) {
    read->engine->open_pipes--;
    g_free(read);
    return;
  }
  g_string_append_len(read->into, data, (gssize)size);
  read_next(G_INPUT_STREAM(source), read);
}

static void
read_next(GInputStream *stream, PipeRead *read)
{
  g_input_stream_read_bytes_async(stream, 65536, G_PRIORITY_DEFAULT, read->engine->cancellable,
                                  on_read, read);
}

static void
read_pipe(InfTestEngine *engine, GInputStream *stream, GString *into)
{
  PipeRead *read = g_new0(PipeRead, 1);
  read->engine = engine;
  read->into = into;
  engine->open_pipes++;
  read_next(stream, read);
}

static void
on_exited(GObject *source, GAsyncResult *result, gpointer user_data)
{
  InfTestEngine *engine = user_data;
  g_autoptr(GError) error = NULL;
  g_subprocess_wait_finish(G_SUBPROCESS(source), result, &error);
  g_assert_no_error(error);
  engine->exited = TRUE;
}

static void
on_stdin_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
  (void)user_data;
  /* The engine may exit without reading all of it (a usage error). */
  g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL);
  g_output_stream_close(G_OUTPUT_STREAM(source), NULL, NULL);
}

/* G_DEBUG with fatal-criticals added to what the test has. */
static char **
engine_environ(const InfTestSpawn *spawn)
{
  char **env = g_get_environ();
  const char *debug = g_environ_getenv(env, "G_DEBUG");
  if (debug == NULL || *debug == '\0') {
    env = g_environ_setenv(env, "G_DEBUG", "fatal-criticals", TRUE);
  } else if (strstr(debug, "fatal-criticals") == NULL) {
    g_autofree char *value = g_strconcat(debug, ",fatal-criticals", NULL);
    env = g_environ_setenv(env, "G_DEBUG", value, TRUE);
  }
  for (guint i = 0; spawn != NULL && spawn->env != NULL && spawn->env[i] != NULL; i++) {
    const char *eq = strchr(spawn->env[i], '=');
    if (eq == NULL) {
      env = g_environ_unsetenv(env, spawn->env[i]);
    } else {
      g_autofree char *name = g_strndup(spawn->env[i], (gsize)(eq - spawn->env[i]));
      env = g_environ_setenv(env, name, eq + 1, TRUE);
    }
  }
  return env;
}

InfTestEngine *
inf_test_engine_start(const InfTestSpawn *spawn, const char *const *args)
{
  const char *program = g_getenv("INF_ENGINE");
  if (program == NULL)
    g_error("INF_ENGINE is not set (run the tests through meson test)");
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)program);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, NULL);

  gboolean with_stdin = spawn != NULL && spawn->stdin_text != NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
      (with_stdin ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE));
  g_auto(GStrv) env = engine_environ(spawn);
  g_subprocess_launcher_set_environ(launcher, env);
  if (spawn != NULL && spawn->child_setup != NULL)
    g_subprocess_launcher_set_child_setup(launcher, spawn->child_setup, spawn->child_setup_data,
                                          NULL);
  g_autoptr(GError) error = NULL;
  InfTestEngine *engine = g_new0(InfTestEngine, 1);
  engine->process =
      g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error(error);
  engine->cancellable = g_cancellable_new();
  engine->out = g_string_new(NULL);
  engine->err = g_string_new(NULL);
  read_pipe(engine, g_subprocess_get_stdout_pipe(engine->process), engine->out);
  read_pipe(engine, g_subprocess_get_stderr_pipe(engine->process), engine->err);
  g_subprocess_wait_async(engine->process, engine->cancellable, on_exited, engine);
  if (with_stdin) {
    engine->stdin_text = g_strdup(spawn->stdin_text);
    g_output_stream_write_all_async(g_subprocess_get_stdin_pipe(engine->process),
                                    engine->stdin_text, strlen(engine->stdin_text),
                                    G_PRIORITY_DEFAULT, NULL, on_stdin_written, NULL);
  }
  return engine;
}

static GPtrArray *
collect_args(va_list args)
{
  GPtrArray *list = g_ptr_array_new();
  for (const char *arg = va_arg(args, const char *); arg != NULL; arg = va_arg(args, const char *))
    g_ptr_array_add(list, (gpointer)arg);
  g_ptr_array_add(list, NULL);
  return list;
}

InfTestEngine *
inf_test_engine_start_va(const InfTestSpawn *spawn, ...)
{
  va_list args;
  va_start(args, spawn);
  g_autoptr(GPtrArray) list = collect_args(args);
  va_end(args);
  return inf_test_engine_start(spawn, (const char *const *)list->pdata);
}

static gboolean
engine_done(InfTestEngine *engine)
{
  return engine->exited && engine->open_pipes == 0;
}

gboolean
inf_test_engine_is_running(InfTestEngine *engine)
{
  return !engine->exited;
}

void
inf_test_engine_send_signal(InfTestEngine *engine, int signum)
{
  g_assert_false(engine->exited);
  g_subprocess_send_signal(engine->process, signum);
}

const char *
inf_test_engine_get_pid(InfTestEngine *engine)
{
  return g_subprocess_get_identifier(engine->process);
}

const char *
inf_test_engine_get_out(InfTestEngine *engine)
{
  return engine->out->str;
}

const char *
inf_test_engine_get_err(InfTestEngine *engine)
{
  return engine->err->str;
}

static void
wait_text(InfTestEngine *engine, GString *text, const char *needle, const char *what)
{
  GMainContext *context = g_main_context_get_thread_default();
  while (strstr(text->str, needle) == NULL) {
    if (engine_done(engine))
      g_error("inf-engine ended before its %s had \"%s\"; stdout:\n%s\nstderr:\n%s", what, needle,
              engine->out->str, engine->err->str);
    g_main_context_iteration(context, TRUE);
  }
}

void
inf_test_engine_wait_out(InfTestEngine *engine, const char *needle)
{
  wait_text(engine, engine->out, needle, "stdout");
}

void
inf_test_engine_wait_err(InfTestEngine *engine, const char *needle)
{
  wait_text(engine, engine->err, needle, "stderr");
}

static gboolean
tick(gpointer data)
{
  (void)data;
  return G_SOURCE_CONTINUE;
}

void
inf_test_engine_wait_until(InfTestEngine *engine, gboolean (*done)(gpointer data), gpointer data)
{
  GMainContext *context = g_main_context_get_thread_default();
  GSource *poll = g_timeout_source_new(10);
  g_source_set_callback(poll, tick, NULL, NULL);
  g_source_attach(poll, context);
  while (!done(data)) {
    if (engine_done(engine))
      g_error("inf-engine ended before the test's condition held; stdout:\n%s\nstderr:\n%s",
              engine->out->str, engine->err->str);
    g_main_context_iteration(context, TRUE);
  }
  g_source_destroy(poll);
  g_source_unref(poll);
}

void
inf_test_engine_finish(InfTestEngine *engine, InfTestRun *run)
{
  GMainContext *context = g_main_context_get_thread_default();
  while (!engine_done(engine))
    g_main_context_iteration(context, TRUE);
  GSubprocess *p = engine->process;
  int status = g_subprocess_get_if_exited(p)     ? g_subprocess_get_exit_status(p)
               : g_subprocess_get_if_signaled(p) ? 128 + g_subprocess_get_term_sig(p)
                                                 : 255;
  g_test_message("inf-engine exited with %d; stdout:\n%s\nstderr:\n%s", status, engine->out->str,
                 engine->err->str);
  if (run != NULL) {
    memset(run, 0, sizeof *run);
    run->status = status;
    run->term_signal = g_subprocess_get_if_signaled(p) ? g_subprocess_get_term_sig(p) : 0;
    run->out = g_string_free(engine->out, FALSE);
    run->err = g_string_free(engine->err, FALSE);
  } else {
    g_string_free(engine->out, TRUE);
    g_string_free(engine->err, TRUE);
  }
  g_object_unref(engine->process);
  g_object_unref(engine->cancellable);
  g_free(engine->stdin_text);
  g_free(engine);
}

void
inf_test_engine_run(InfTestRun *run, const InfTestSpawn *spawn, const char *const *args)
{
  InfTestEngine *engine = inf_test_engine_start(spawn, args);
  inf_test_engine_finish(engine, run);
  if (run->term_signal != 0)
    g_error("inf-engine was killed by signal %d; stdout:\n%s\nstderr:\n%s", run->term_signal,
            run->out, run->err);
}

void
inf_test_engine_run_va(InfTestRun *run, const InfTestSpawn *spawn, ...)
{
  va_list args;
  va_start(args, spawn);
  g_autoptr(GPtrArray) list = collect_args(args);
  va_end(args);
  inf_test_engine_run(run, spawn, (const char *const *)list->pdata);
}

void
inf_test_run_clear(InfTestRun *run)
{
  g_clear_pointer(&run->out, g_free);
  g_clear_pointer(&run->err, g_free);
  g_clear_pointer(&run->lines, g_ptr_array_unref);
}
