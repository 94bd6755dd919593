/* InfTraceWriter: the file is valid JSON that round-trips what was written,
 * slots are the lowest free ids, sampling, closing, write errors. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include <inf/inf.h>

#include "exec/trace-writer.h"
#include "inf-test.h"

static char *tmpdir;

static json_object *
load(const char *path)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &text, &len, NULL));
  json_tokener *tok = json_tokener_new();
  json_object *root = json_tokener_parse_ex(tok, text, (int)len);
  g_assert_cmpint(json_tokener_get_error(tok), ==, json_tokener_success);
  /* Nothing but spaces after the object. */
  for (gsize i = json_tokener_get_parse_end(tok); i < len; i++)
    g_assert_true(g_ascii_isspace(text[i]));
  json_tokener_free(tok);
  g_assert_true(json_object_is_type(root, json_type_object));
  return root;
}

static json_object *
get(json_object *obj, const char *key)
{
  json_object *v = NULL;
  g_assert_true(json_object_object_get_ex(obj, key, &v));
  return v;
}

static json_object *
events(json_object *root)
{
  json_object *ev = get(root, "traceEvents");
  g_assert_true(json_object_is_type(ev, json_type_array));
  return ev;
}

/* The first event with @ph and @name. */
static json_object *
find(json_object *root, const char *ph, const char *name)
{
  json_object *ev = events(root);
  for (size_t i = 0; i < json_object_array_length(ev); i++) {
    json_object *e = json_object_array_get_idx(ev, i);
    if (g_str_equal(json_object_get_string(get(e, "ph")), ph) &&
        g_str_equal(json_object_get_string(get(e, "name")), name))
      return e;
  }
  return NULL;
}

static void
test_round_trip(void)
{
  g_autofree char *path = g_build_filename(tmpdir, "round-trip.json", NULL);
  json_object *meta = json_object_new_object();
  json_object_object_add(meta, "engine", json_object_new_string("test"));
  g_autoptr(GError) error = NULL;
  InfTraceWriter *w = inf_trace_writer_new(path, NULL, meta, &error);
  json_object_put(meta);
  g_assert_no_error(error);
  g_assert_nonnull(w);

  const char *odd = "quote \" backslash \\ newline \n tab \t ctl \x01 utf-8 \xc3\xa9 /";
  guint pid = inf_trace_writer_add_process(w, odd);
  g_assert_cmpuint(pid, ==, 2);
  guint tid = inf_trace_writer_acquire_slot(w, pid);
  g_assert_cmpuint(tid, ==, 0);
  /* A string larger than the writer's buffer. */
  gsize big_len = 700 * 1024;
  g_autofree char *big = g_malloc(big_len + 1);
  memset(big, 'x', big_len);
  big[big_len] = '\0';
  inf_trace_writer_begin_complete(w, pid, tid, "cat", "span", 1500, 4250);
  inf_trace_writer_add_int(w, "n", -42);
  inf_trace_writer_add_double(w, "d", 0.125);
  inf_trace_writer_add_double(w, "nan", NAN);
  inf_trace_writer_add_bool(w, "b", TRUE);
  inf_trace_writer_add_string(w, "s", odd);
  inf_trace_writer_add_string(w, "null", NULL);
  inf_trace_writer_add_string(w, "big", big);
  inf_trace_writer_end_event(w);
  inf_trace_writer_release_slot(w, pid, tid);

  json_object *args = json_object_new_object();
  json_object *nested = json_object_new_array();
  json_object_array_add(nested, json_object_new_int(7));
  json_object_object_add(args, "list", nested);
  json_object_object_add(args, "text", json_object_new_string("a/b \"c\""));
  inf_trace_writer_instant(w, "checkpoint", "commit", args);
  json_object_put(args);
  inf_trace_writer_instant(w, "checkpoint", "bare", NULL);
  inf_trace_writer_instant(NULL, "ignored", "no writer", NULL);
  inf_trace_writer_counter(w, pid, "in_flight", "calls", 3);
  g_assert_cmpuint(inf_trace_writer_get_n_events(w), >, 5);
  g_assert_true(inf_trace_writer_close(w, &error));
  g_assert_no_error(error);
  /* Closed: nothing more is written; closing again is fine. */
  inf_trace_writer_instant(w, "late", "late", NULL);
  inf_trace_writer_begin_complete(w, pid, 0, "late", "late", 0, 1);
  inf_trace_writer_end_event(w);
  g_assert_true(inf_trace_writer_close(w, &error));
  inf_trace_writer_free(w);

  json_object *root = load(path);
  g_assert_cmpstr(json_object_get_string(get(root, "displayTimeUnit")), ==, "ms");
  g_assert_cmpstr(json_object_get_string(get(get(root, "otherData"), "engine")), ==, "test");
  json_object *process = find(root, "M", "process_name");
  g_assert_cmpint(json_object_get_int(get(process, "pid")), ==, 1);
  g_assert_cmpstr(json_object_get_string(get(get(process, "args"), "name")), ==, "run");
  gboolean named = FALSE;
  json_object *ev = events(root);
  for (size_t i = 0; i < json_object_array_length(ev); i++) {
    json_object *e = json_object_array_get_idx(ev, i);
    if (g_str_equal(json_object_get_string(get(e, "name")), "process_name") &&
        json_object_get_int(get(e, "pid")) == 2) {
      g_assert_cmpstr(json_object_get_string(get(get(e, "args"), "name")), ==, odd);
      named = TRUE;
    }
  }
  g_assert_true(named);
  json_object *thread = find(root, "M", "thread_name");
  g_assert_cmpstr(json_object_get_string(get(get(thread, "args"), "name")), ==, "slot 0");

  json_object *span = find(root, "X", "span");
  g_assert_nonnull(span);
  g_assert_cmpfloat_with_epsilon(json_object_get_double(get(span, "ts")), 1.5, 1e-9);
  g_assert_cmpfloat_with_epsilon(json_object_get_double(get(span, "dur")), 2.75, 1e-9);
  g_assert_cmpstr(json_object_get_string(get(span, "cat")), ==, "cat");
  json_object *a = get(span, "args");
  g_assert_cmpint(json_object_get_int64(get(a, "n")), ==, -42);
  g_assert_cmpfloat(json_object_get_double(get(a, "d")), ==, 0.125);
  g_assert_cmpfloat(json_object_get_double(get(a, "nan")), ==, 0);
  g_assert_true(json_object_get_boolean(get(a, "b")));
  g_assert_cmpstr(json_object_get_string(get(a, "s")), ==, odd);
  g_assert_true(json_object_is_type(get(a, "null"), json_type_null));
  g_assert_cmpuint(strlen(json_object_get_string(get(a, "big"))), ==, big_len);

  json_object *commit = find(root, "i", "commit");
  g_assert_cmpstr(json_object_get_string(get(commit, "s")), ==, "p");
  g_assert_cmpint(json_object_get_int(get(commit, "pid")), ==, 1);
  json_object *cargs = get(commit, "args");
  g_assert_cmpint(json_object_get_int(json_object_array_get_idx(get(cargs, "list"), 0)), ==, 7);
  g_assert_cmpstr(json_object_get_string(get(cargs, "text")), ==, "a/b \"c\"");
  g_assert_nonnull(find(root, "i", "bare"));
  g_assert_null(find(root, "i", "late"));
  g_assert_null(find(root, "X", "late"));
  json_object *counter = find(root, "C", "in_flight");
  g_assert_cmpint(json_object_get_int(get(get(counter, "args"), "calls")), ==, 3);
  json_object_put(root);
}

static void
test_slots(void)
{
  g_autofree char *path = g_build_filename(tmpdir, "slots.json", NULL);
  g_autoptr(InfTraceWriter) w = inf_trace_writer_new(path, NULL, NULL, NULL);
  guint a = inf_trace_writer_add_process(w, "a");
  guint b = inf_trace_writer_add_process(w, "b");
  g_assert_cmpuint(b, ==, a + 1);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint(inf_trace_writer_acquire_slot(w, a), ==, i);
  g_assert_cmpuint(inf_trace_writer_acquire_slot(w, b), ==, 0); /* per process */
  inf_trace_writer_release_slot(w, a, 3);
  inf_trace_writer_release_slot(w, a, 1);
  inf_trace_writer_release_slot(w, a, 4);
  g_assert_cmpuint(inf_trace_writer_acquire_slot(w, a), ==, 1);
  g_assert_cmpuint(inf_trace_writer_acquire_slot(w, a), ==, 3);
  g_assert_cmpuint(inf_trace_writer_acquire_slot(w, a), ==, 4);
  g_assert_cmpuint(inf_trace_writer_acquire_slot(w, a), ==, 5);
}

static void
test_sampling(void)
{
  g_autofree char *path = g_build_filename(tmpdir, "sampling.json", NULL);
  InfTraceWriterConfig config = { .sample_every = 3, .counter_interval_ms = 7 };
  g_autoptr(InfTraceWriter) w = inf_trace_writer_new(path, &config, NULL, NULL);
  g_assert_true(inf_trace_writer_traces_input(w, 0));
  g_assert_false(inf_trace_writer_traces_input(w, 1));
  g_assert_false(inf_trace_writer_traces_input(w, 2));
  g_assert_true(inf_trace_writer_traces_input(w, 3));
  g_assert_cmpint(inf_trace_writer_get_counter_interval(w), ==, 7000000);
  InfTraceWriterConfig all = { 0 };
  g_autofree char *path2 = g_build_filename(tmpdir, "sampling-all.json", NULL);
  g_autoptr(InfTraceWriter) w2 = inf_trace_writer_new(path2, &all, NULL, NULL);
  for (guint64 i = 0; i < 5; i++)
    g_assert_true(inf_trace_writer_traces_input(w2, i));
  g_assert_cmpint(inf_trace_writer_get_counter_interval(w2), ==, 100000000);
}

static void
test_errors(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename(tmpdir, "no-such-dir", "t.json", NULL);
  g_assert_null(inf_trace_writer_new(missing, NULL, NULL, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_IO);
  g_assert_nonnull(strstr(error->message, missing));
  g_clear_error(&error);
  if (!g_file_test("/dev/full", G_FILE_TEST_EXISTS)) {
    g_test_skip("no /dev/full");
    return;
  }
  /* A full disk: the run goes on, close reports it. */
  InfTraceWriter *w = inf_trace_writer_new("/dev/full", NULL, NULL, &error);
  g_assert_no_error(error);
  for (guint i = 0; i < 5000; i++)
    inf_trace_writer_counter(w, INF_TRACE_PID_RUN, "n", "v", i);
  g_assert_false(inf_trace_writer_close(w, &error));
  g_assert_error(error, INF_ERROR, INF_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "writing the trace /dev/full failed"));
  inf_trace_writer_free(w);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/trace-writer/round-trip", test_round_trip);
  g_test_add_func("/trace-writer/slots", test_slots);
  g_test_add_func("/trace-writer/sampling", test_sampling);
  g_test_add_func("/trace-writer/errors", test_errors);
  return inf_test_run_in_tmpdir("inf-trace-writer", &tmpdir);
}
