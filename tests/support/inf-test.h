/* The shared test fixtures: temp dirs and files, the loopback fake LLM
 * server on this thread's main context, and `inf-engine` run as a subprocess
 * with its stdout, stderr and exit status captured.
 *
 * Every helper fails the test (g_assert/g_error) when it cannot do its job,
 * so a test never goes on with a half-made fixture. Everything runs on the
 * thread-default main context: a fake server started here keeps serving
 * while a test waits for the engine.
 *
 * The engine is the program named by INF_ENGINE (set by tests/meson.build);
 * it always runs with G_DEBUG=fatal-criticals, so a GLib critical in the
 * engine is a crash, and a run helper that runs to the end fails the test
 * when the engine was killed by a signal it was not sent. */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

#include "fake-llm.h"

G_BEGIN_DECLS

/* --- temp dirs and files ------------------------------------------------- */

/* A new empty directory under the system temp dir, named @prefix-XXXXXX
 * (@prefix NULL: "inf-test"). Remove it with inf_test_rmdir(). */
char *inf_test_mkdtemp(const char *prefix);
/* Removes @dir and everything in it (links are removed, not followed); a
 * @dir that does not exist or NULL is nothing to do. */
void inf_test_rmdir(const char *dir);
/* g_test_run() with one temp dir for all the tests: *@dir is a new
 * inf_test_mkdtemp(@prefix) while they run; afterwards it is removed with
 * everything in it, freed and set to NULL. Returns what g_test_run()
 * returned. */
int inf_test_run_in_tmpdir(const char *prefix, char **dir);
/* Writes @text (NUL-terminated) to @dir/@name; returns the path. */
char *inf_test_write(const char *dir, const char *name, const char *text);
/* The same for @len bytes (may hold NULs). */
char *inf_test_write_len(const char *dir, const char *name, const char *data, gssize len);
/* The same with a printf format. */
char *inf_test_write_printf(const char *dir, const char *name, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* Writes @dir/@name with one JSON line {"text": T} for each of the @n
 * @texts, in order; returns the path. */
char *inf_test_write_text_inputs(const char *dir, const char *name, const char *const *texts,
                                 guint n);
/* Copies @src to @dir/@name; returns the new path. */
char *inf_test_copy(const char *src, const char *dir, const char *name);
/* Writes @len pseudo-random bytes (fixed seed) to @dir/@name. */
char *inf_test_write_garbage(const char *dir, const char *name, gsize len);
/* The contents of @path, or NULL when it cannot be read. */
char *inf_test_read(const char *path);
/* The path of @relative ("docs/plugin-guide.md") in the source tree
 * (INF_SOURCE_ROOT, which the test's meson.build sets); fails the test when
 * it is not set. */
char *inf_test_source_file(const char *relative);
/* The contents of inf_test_source_file(@relative); fails the test when it
 * cannot be read. */
char *inf_test_read_source(const char *relative);
/* The path of @file built next to the test (G_TEST_BUILDDIR), e.g. a test
 * plugin "good.so"; fails the test when it is missing. */
char *inf_test_built_file(const char *file);
/* inf_test_built_file() of test plugin @name ("good" for good.so). */
char *inf_test_built_plugin(const char *name);
/* Copies test plugin @name (see inf_test_built_plugin()) into @dir under its
 * own file name ("good.so"); returns the new path. */
char *inf_test_copy_built_plugin(const char *name, const char *dir);

/* --- JSON ---------------------------------------------------------------- */

/* The JSON lines of @text (NULL: none), in order; each line must parse. */
GPtrArray *inf_test_parse_lines(const char *text);
/* The JSON lines of @text by their "index" member: element i is the line
 * of input i (NULL where there is none); every line must parse, carry an
 * index and be the only one with it. */
GPtrArray *inf_test_parse_lines_by_index(const char *text);
/* The member at @path of @o, or NULL: names, and indexes into arrays,
 * separated by "/" ("a/b/c", "messages/0/role"). */
json_object *inf_test_json_get(json_object *o, const char *path);
/* The string of inf_test_json_get(), or NULL when there is no such member. */
const char *inf_test_json_get_string(json_object *o, const char *path);

/* --- the fake LLM server ------------------------------------------------- */

/* A fake server listening on an ephemeral loopback port, serving from the
 * thread-default main context. */
InfFakeLlm *inf_test_fake_start(void);
/* Frees @fake (may be NULL) and runs what it left on the context. */
void inf_test_fake_stop(InfFakeLlm *fake);
/* How many LLM requests @fake has received. */
guint64 inf_test_fake_requests(InfFakeLlm *fake);
/* Iterates the thread-default context until @fake has received @n LLM
 * requests; fails the test when @engine (may be NULL) ends first. */
struct _InfTestEngine;
void inf_test_fake_wait_requests(InfFakeLlm *fake, guint64 n, struct _InfTestEngine *engine);
/* Iterates until @fake holds @n requests (see "hold" in fake-llm.h); fails
 * the test when @engine (may be NULL) ends first. */
void inf_test_fake_wait_held(InfFakeLlm *fake, guint n, struct _InfTestEngine *engine);

/* A temp dir and a fake server on the thread-default context, for tests
 * that run the engine against the fake (g_test_add fixture functions;
 * tests with more state embed it). */
typedef struct {
  GMainContext *context;
  InfFakeLlm *fake;
  char *dir;
} InfTestServerFixture;

void inf_test_server_fixture_set_up(InfTestServerFixture *f, gconstpointer data);
void inf_test_server_fixture_tear_down(InfTestServerFixture *f, gconstpointer data);

/* --- running inf-engine -------------------------------------------------- */

/* How to start the engine (all members may be 0/NULL). */
typedef struct {
  /* Environment changes: "NAME=VALUE" sets, "NAME" unsets. */
  const char *const *env;
  /* Written to stdin, which is then closed (NULL: stdin is /dev/null). */
  const char *stdin_text;
  /* Run in the child before exec (e.g. setrlimit). */
  GSpawnChildSetupFunc child_setup;
  gpointer child_setup_data;
} InfTestSpawn;

/* What a finished run gave. */
typedef struct {
  int status;      /* the exit status, or 128 + N when killed by signal N */
  int term_signal; /* the signal that killed it, or 0 when it exited */
  char *out;       /* stdout */
  char *err;       /* stderr */
  /* stdout as JSON lines (json_object *) when the test parsed it, e.g. with
   * inf_test_parse_lines(); NULL until then. */
  GPtrArray *lines;
} InfTestRun;

void inf_test_run_clear(InfTestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(InfTestRun, inf_test_run_clear)

/* Runs `inf-engine ARGS...` to the end while the thread-default context
 * runs (a fake server started here serves it); @spawn may be NULL. Fails
 * the test when the engine cannot start or was killed by a signal. The
 * outcome goes to the test log (g_test_message). */
void inf_test_engine_run(InfTestRun *run, const InfTestSpawn *spawn, const char *const *args);
/* The same with the arguments as a NULL-terminated list. */
void inf_test_engine_run_va(InfTestRun *run, const InfTestSpawn *spawn, ...) G_GNUC_NULL_TERMINATED;

/* A running engine, for tests that talk to it while it runs (signals,
 * waiting for a line). Its stdout and stderr are read as they come. */
typedef struct _InfTestEngine InfTestEngine;

InfTestEngine *inf_test_engine_start(const InfTestSpawn *spawn, const char *const *args);
InfTestEngine *inf_test_engine_start_va(const InfTestSpawn *spawn, ...) G_GNUC_NULL_TERMINATED;
/* Whether the process has not exited yet (as far as the context has seen). */
gboolean inf_test_engine_is_running(InfTestEngine *engine);
void inf_test_engine_send_signal(InfTestEngine *engine, int signum);
/* Its process id, as text. */
const char *inf_test_engine_get_pid(InfTestEngine *engine);
/* What it wrote so far. */
const char *inf_test_engine_get_out(InfTestEngine *engine);
const char *inf_test_engine_get_err(InfTestEngine *engine);
/* Iterates the thread-default context until stdout (stderr) holds @needle;
 * fails the test, quoting what it wrote, when the engine ends first. */
void inf_test_engine_wait_out(InfTestEngine *engine, const char *needle);
void inf_test_engine_wait_err(InfTestEngine *engine, const char *needle);
/* Iterates the thread-default context, checking @done(@data) at least
 * every 10 ms (for conditions outside the loop, e.g. a file), until it is
 * TRUE; fails the test when the engine ends first. */
void inf_test_engine_wait_until(InfTestEngine *engine, gboolean (*done)(gpointer data),
                                gpointer data);
/* Waits for the end and frees @engine; @run (may be NULL) gets the status
 * and all output. Unlike inf_test_engine_run(), a death by signal is a
 * result here (status 128 + N), not a failure. */
void inf_test_engine_finish(InfTestEngine *engine, InfTestRun *run);

/* Whether @haystack contains @needle; fails the test with both otherwise. */
#define inf_test_assert_contains(haystack, needle)                               \
  G_STMT_START                                                                   \
  {                                                                              \
    const char *h_ = (haystack), *n_ = (needle);                                 \
    if (h_ == NULL || strstr(h_, n_) == NULL)                                    \
      g_error("%s:%d: expected to find\n  %s\nin\n  %s", __FILE__, __LINE__, n_, \
              h_ ? h_ : "(null)");                                               \
  }                                                                              \
  G_STMT_END

/* Whether @haystack contains each of the needles that follow (a list the
 * macro ends with NULL); fails the test naming the first one missing. */
#define inf_test_assert_contains_all(haystack, ...) \
  inf_test_assert_contains_all_at(__FILE__, __LINE__, (haystack), __VA_ARGS__, NULL)
void inf_test_assert_contains_all_at(const char *file, int line, const char *haystack,
                                     ...) G_GNUC_NULL_TERMINATED;

/* Whether the NULL-terminated list @strv holds exactly the strings that
 * follow, in order (a list the macro ends with NULL). */
#define inf_test_assert_strv(strv, ...) \
  inf_test_assert_strv_at(__FILE__, __LINE__, (const char *const *)(strv), __VA_ARGS__, NULL)
void inf_test_assert_strv_at(const char *file, int line, const char *const *strv,
                             ...) G_GNUC_NULL_TERMINATED;

/* That @error is set, of @domain and @code, and that its message starts
 * with @prefix; fails naming case @index of a table of error cases, the
 * message and the expected start. */
#define inf_test_assert_error_prefix(error, domain, code, index, prefix) \
  inf_test_assert_error_prefix_at(__FILE__, __LINE__, (error), (domain), (code), (index), (prefix))
void inf_test_assert_error_prefix_at(const char *file, int line, const GError *error, GQuark domain,
                                     gint code, guint index, const char *prefix);

/* --- registering tests ---------------------------------------------------- */

/* The type of a table of tests that share one fixture type, for
 * inf_test_add_cases():
 *
 *   static const INF_TEST_CASES(Fixture) cases[] = {
 *     { "validate/ok", test_validate_ok },
 *     ...
 *   };
 *
 * Each function takes a @Fixture pointer and the test data, as the test
 * functions of g_test_add() do (the compiler checks it). */
#define INF_TEST_CASES(Fixture)             \
  struct {                                  \
    const char *path;                       \
    void (*func)(Fixture *, gconstpointer); \
  }

/* Adds every test of @cases (an INF_TEST_CASES(@Fixture) array) as the test
 * "@prefix@path", run on a fresh @Fixture that @set_up makes and @tear_down
 * clears (either may be NULL), with no test data: g_test_add() for each. */
#define inf_test_add_cases(prefix, Fixture, set_up, cases, tear_down)            \
  G_STMT_START                                                                   \
  {                                                                              \
    for (gsize i_ = 0; i_ < G_N_ELEMENTS(cases); i_++) {                         \
      g_autofree char *path_ = g_strconcat((prefix), (cases)[i_].path, NULL);    \
      g_test_add(path_, Fixture, NULL, (set_up), (cases)[i_].func, (tear_down)); \
    }                                                                            \
  }                                                                              \
  G_STMT_END

G_END_DECLS
