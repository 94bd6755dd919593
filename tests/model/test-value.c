/* Unit tests: InfValue. */
#include <inf/error.h>
#include <inf/value.h>
#include <string.h>

#include "model/value-private.h"

static void
test_error_quark(void)
{
  g_assert_cmpuint(INF_ERROR, !=, 0);
  g_assert_cmpstr(g_quark_to_string(INF_ERROR), ==, "inf-error-quark");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_FAILED), ==, "failed");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_CONFIG), ==, "config");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_PLUGIN), ==, "plugin");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_INVALID_ARGUMENT), ==, "invalid_argument");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_NOT_FOUND), ==, "not_found");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_RATE_LIMITED), ==, "rate_limited");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_TIMEOUT), ==, "timeout");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_TRANSPORT), ==, "transport");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_SERVER), ==, "server");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_HTTP_STATUS), ==, "http_status");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_BAD_RESPONSE), ==, "bad_response");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_CANCELLED), ==, "cancelled");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_INPUT), ==, "input");
  g_assert_cmpstr(inf_error_code_name(INF_ERROR_IO), ==, "io");
}

static void
test_kind_names(void)
{
  static const struct {
    InfValueKind kind;
    const char *name;
  } names[] = {
    { INF_VALUE_NULL, "null" },     { INF_VALUE_BOOL, "bool" }, { INF_VALUE_INT, "int" },
    { INF_VALUE_DOUBLE, "double" }, { INF_VALUE_TEXT, "text" }, { INF_VALUE_JSON, "json" },
    { INF_VALUE_LIST, "list" },     { INF_VALUE_DICT, "dict" }, { INF_VALUE_ERROR, "error" },
    { INF_VALUE_REF, "ref" },
  };
  for (guint k = 0; k < G_N_ELEMENTS(names); k++)
    g_assert_cmpstr(inf_value_kind_name(names[k].kind), ==, names[k].name);
}

static void
test_scalars(void)
{
  g_autoptr(InfValue) n = inf_value_new_null();
  g_assert_cmpint(inf_value_get_kind(n), ==, INF_VALUE_NULL);
  g_assert_true(inf_value_is_null(n));

  g_autoptr(InfValue) b = inf_value_new_bool(42); /* normalised to TRUE */
  g_assert_cmpint(inf_value_get_kind(b), ==, INF_VALUE_BOOL);
  g_assert_true(inf_value_get_bool(b) == TRUE);
  g_assert_false(inf_value_is_null(b));

  g_autoptr(InfValue) i = inf_value_new_int(G_MAXINT64);
  g_assert_cmpint(inf_value_get_kind(i), ==, INF_VALUE_INT);
  g_assert_cmpint(inf_value_get_int(i), ==, G_MAXINT64);
  g_autoptr(InfValue) i2 = inf_value_new_int(-7);
  g_assert_cmpfloat(inf_value_get_double(i2), ==, -7.0);

  g_autoptr(InfValue) d = inf_value_new_double(0.25);
  g_assert_cmpint(inf_value_get_kind(d), ==, INF_VALUE_DOUBLE);
  g_assert_cmpfloat(inf_value_get_double(d), ==, 0.25);

  /* Accessors of another kind return zero values. */
  g_assert_cmpint(inf_value_get_int(d), ==, 0);
  g_assert_false(inf_value_get_bool(i));
  g_assert_null(inf_value_get_text(i));
  g_assert_cmpuint(inf_value_get_text_length(i), ==, 0);
  g_assert_null(inf_value_get_json(i));
  g_assert_cmpuint(inf_value_list_length(i), ==, 0);
  g_assert_null(inf_value_list_get(i, 0));
  g_assert_cmpuint(inf_value_dict_size(i), ==, 0);
  g_assert_null(inf_value_dict_key(i, 0));
  g_assert_null(inf_value_dict_value(i, 0));
  g_assert_null(inf_value_get_error(i));
  g_assert_null(inf_value_get_error_node(i));
  g_assert_null(inf_value_get_ref_node(i));
  g_assert_null(inf_value_get_ref_path(i));
  g_assert_cmpfloat(inf_value_get_double(n), ==, 0.0);
}

static void
test_text(void)
{
  g_autoptr(InfValue) t = inf_value_new_text("héllo");
  g_assert_cmpint(inf_value_get_kind(t), ==, INF_VALUE_TEXT);
  g_assert_cmpstr(inf_value_get_text(t), ==, "héllo");
  g_assert_cmpuint(inf_value_get_text_length(t), ==, strlen("héllo"));

  g_autoptr(InfValue) tl = inf_value_new_text_len("abcdef", 3);
  g_assert_cmpstr(inf_value_get_text(tl), ==, "abc");
  g_assert_cmpuint(inf_value_get_text_length(tl), ==, 3);

  g_autoptr(InfValue) empty = inf_value_new_text_len(NULL, 0);
  g_assert_cmpstr(inf_value_get_text(empty), ==, "");

  g_autoptr(InfValue) taken = inf_value_new_text_take(g_strdup("owned"));
  g_assert_cmpstr(inf_value_get_text(taken), ==, "owned");
  g_assert_cmpuint(inf_value_get_text_length(taken), ==, 5);

  g_autoptr(InfValue) copy = inf_value_new_text("owned");
  g_assert_true(inf_value_equal(taken, copy));
  g_assert_false(inf_value_equal(taken, t));
}

static void
test_refcount(void)
{
  InfValue *v = inf_value_new_text("x");
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 1);
  g_assert_true(inf_value_ref(v) == v);
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 2);
  inf_value_unref(v);
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 1);

  /* Containers hold references to their items. */
  InfValue *items[] = { v };
  InfValue *list = inf_value_new_list(items, 1);
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 2);
  InfValue *dict = inf_value_new_dict();
  inf_value_dict_set(dict, "a", v);
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 3);
  InfValue *got = inf_value_get(dict, "a");
  g_assert_true(got == v);
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 4);
  inf_value_unref(got);
  inf_value_unref(list);
  inf_value_unref(dict);
  g_assert_cmpuint(inf_value_get_ref_count(v), ==, 1);
  inf_value_unref(v);
}

static void
test_json_kinds(void)
{
  /* Objects and arrays become json values (the reference is taken). */
  g_autoptr(InfValue) obj = inf_value_new_json(json_tokener_parse("{\"a\": 1}"));
  g_assert_cmpint(inf_value_get_kind(obj), ==, INF_VALUE_JSON);
  g_assert_true(json_object_is_type(inf_value_get_json(obj), json_type_object));
  g_autoptr(InfValue) arr = inf_value_new_json(json_tokener_parse("[1, 2]"));
  g_assert_cmpint(inf_value_get_kind(arr), ==, INF_VALUE_JSON);

  /* Other json-c types become the matching scalar kind. */
  g_autoptr(InfValue) s = inf_value_new_json(json_object_new_string("str"));
  g_assert_cmpint(inf_value_get_kind(s), ==, INF_VALUE_TEXT);
  g_assert_cmpstr(inf_value_get_text(s), ==, "str");
  g_autoptr(InfValue) i = inf_value_new_json(json_object_new_int64(5));
  g_assert_cmpint(inf_value_get_kind(i), ==, INF_VALUE_INT);
  g_assert_cmpint(inf_value_get_int(i), ==, 5);
  g_autoptr(InfValue) d = inf_value_new_json(json_object_new_double(1.5));
  g_assert_cmpint(inf_value_get_kind(d), ==, INF_VALUE_DOUBLE);
  g_autoptr(InfValue) b = inf_value_new_json(json_object_new_boolean(TRUE));
  g_assert_cmpint(inf_value_get_kind(b), ==, INF_VALUE_BOOL);
  g_autoptr(InfValue) n = inf_value_new_json(NULL);
  g_assert_cmpint(inf_value_get_kind(n), ==, INF_VALUE_NULL);
}

static void
test_list_dict(void)
{
  g_autoptr(InfValue) a = inf_value_new_int(1);
  g_autoptr(InfValue) b = inf_value_new_text("two");
  InfValue *items[] = { a, b };
  g_autoptr(InfValue) list = inf_value_new_list(items, 2);
  g_assert_cmpint(inf_value_get_kind(list), ==, INF_VALUE_LIST);
  g_assert_cmpuint(inf_value_list_length(list), ==, 2);
  g_assert_true(inf_value_list_get(list, 0) == a);
  g_assert_true(inf_value_list_get(list, 1) == b);
  g_assert_null(inf_value_list_get(list, 2));

  g_autoptr(InfValue) empty = inf_value_new_list(NULL, 0);
  g_assert_cmpuint(inf_value_list_length(empty), ==, 0);

  g_autoptr(InfValue) dict = inf_value_new_dict();
  g_assert_cmpint(inf_value_get_kind(dict), ==, INF_VALUE_DICT);
  inf_value_dict_set(dict, "zeta", a);
  inf_value_dict_set(dict, "alpha", b);
  inf_value_dict_set(dict, "zeta", b); /* replaces, keeps position */
  g_assert_cmpuint(inf_value_dict_size(dict), ==, 2);
  g_assert_cmpstr(inf_value_dict_key(dict, 0), ==, "zeta");
  g_assert_cmpstr(inf_value_dict_key(dict, 1), ==, "alpha");
  g_assert_true(inf_value_dict_value(dict, 0) == b);
  g_assert_true(inf_value_dict_value(dict, 1) == b);
  g_assert_null(inf_value_dict_key(dict, 2));
  g_assert_null(inf_value_dict_value(dict, 2));
  g_assert_true(inf_value_dict_lookup(dict, "alpha") == b);
  g_assert_null(inf_value_dict_lookup(dict, "nope"));
}

static void
test_large_dict(void)
{
  /* Past the linear-search threshold a hash index is used; order still holds. */
  g_autoptr(InfValue) dict = inf_value_new_dict();
  for (int k = 0; k < 100; k++) {
    g_autofree char *key = g_strdup_printf("k%d", k);
    g_autoptr(InfValue) v = inf_value_new_int(k);
    inf_value_dict_set(dict, key, v);
    if (k == 50) {
      /* Builds the index mid-way; later inserts must update it. */
      g_autoptr(InfValue) got = inf_value_get(dict, "k3");
      g_assert_cmpint(inf_value_get_int(got), ==, 3);
    }
  }
  g_assert_cmpuint(inf_value_dict_size(dict), ==, 100);
  for (int k = 0; k < 100; k++) {
    g_autofree char *key = g_strdup_printf("k%d", k);
    g_assert_cmpstr(inf_value_dict_key(dict, k), ==, key);
    g_autoptr(InfValue) got = inf_value_get(dict, key);
    g_assert_nonnull(got);
    g_assert_cmpint(inf_value_get_int(got), ==, k);
  }
  g_autoptr(InfValue) replacement = inf_value_new_text("r");
  inf_value_dict_set(dict, "k99", replacement);
  g_assert_cmpuint(inf_value_dict_size(dict), ==, 100);
  g_assert_true(inf_value_dict_lookup(dict, "k99") == replacement);
  g_assert_null(inf_value_dict_lookup(dict, "k100"));
}

static void
test_error_value(void)
{
  g_autoptr(GError) err = g_error_new(INF_ERROR, INF_ERROR_TIMEOUT, "took %d s", 30);
  g_autoptr(InfValue) v = inf_value_new_error(err, "summarize");
  g_assert_cmpint(inf_value_get_kind(v), ==, INF_VALUE_ERROR);
  const GError *got = inf_value_get_error(v);
  g_assert_true(got != err); /* copied */
  g_assert_error((GError *)got, INF_ERROR, INF_ERROR_TIMEOUT);
  g_assert_cmpstr(got->message, ==, "took 30 s");
  g_assert_cmpstr(inf_value_get_error_node(v), ==, "summarize");

  g_autoptr(InfValue) no_node = inf_value_new_error(err, NULL);
  g_assert_null(inf_value_get_error_node(no_node));
  g_assert_false(inf_value_equal(v, no_node));

  g_autoptr(InfValue) taken = inf_value_new_error_take(
      g_error_new_literal(INF_ERROR, INF_ERROR_TIMEOUT, "took 30 s"), "summarize");
  g_assert_true(inf_value_equal(v, taken));
}

static void
test_ref_value(void)
{
  g_autoptr(InfValue) r = inf_value_new_ref("summarize", NULL);
  g_assert_cmpint(inf_value_get_kind(r), ==, INF_VALUE_REF);
  g_assert_cmpstr(inf_value_get_ref_node(r), ==, "summarize");
  const char *const *path = inf_value_get_ref_path(r);
  g_assert_nonnull(path);
  g_assert_null(path[0]);

  /* get on a ref: a new ref with the key appended; the original is unchanged. */
  g_autoptr(InfValue) r1 = inf_value_get(r, "field");
  g_assert_cmpint(inf_value_get_kind(r1), ==, INF_VALUE_REF);
  g_assert_cmpstr(inf_value_get_ref_node(r1), ==, "summarize");
  const char *const expect1[] = { "field", NULL };
  g_assert_true(g_strv_equal(inf_value_get_ref_path(r1), expect1));
  g_autoptr(InfValue) r2 = inf_value_get(r1, "0");
  const char *const expect2[] = { "field", "0", NULL };
  g_assert_true(g_strv_equal(inf_value_get_ref_path(r2), expect2));
  g_assert_true(g_strv_equal(inf_value_get_ref_path(r1), expect1));
  g_assert_null(inf_value_get_ref_path(r)[0]);

  const char *const given[] = { "field", "0", NULL };
  g_autoptr(InfValue) same = inf_value_new_ref("summarize", given);
  g_assert_true(inf_value_equal(same, r2));
  g_assert_false(inf_value_equal(same, r1));
  g_autoptr(InfValue) other = inf_value_new_ref("other", given);
  g_assert_false(inf_value_equal(same, other));
}

static void
test_get(void)
{
  /* dict */
  g_autoptr(InfValue) dict = inf_value_new_dict();
  g_autoptr(InfValue) one = inf_value_new_int(1);
  inf_value_dict_set(dict, "one", one);
  g_autoptr(InfValue) got = inf_value_get(dict, "one");
  g_assert_true(got == one);
  g_assert_null(inf_value_get(dict, "two"));

  /* list by decimal index */
  InfValue *items[] = { one, dict };
  g_autoptr(InfValue) l = inf_value_new_list(items, 2);
  g_autoptr(InfValue) l1 = inf_value_get(l, "1");
  g_assert_true(l1 == dict);
  g_assert_null(inf_value_get(l, "2"));
  g_assert_null(inf_value_get(l, "-1"));
  g_assert_null(inf_value_get(l, "x"));
  g_assert_null(inf_value_get(l, ""));
  g_assert_null(inf_value_get(l, "1x"));
  g_assert_null(inf_value_get(l, "99999999999999999999"));

  /* json object: each member kind */
  g_autoptr(InfValue) j = inf_value_new_json(json_tokener_parse(
      "{\"s\": \"str\", \"i\": 3, \"d\": 2.5, \"b\": true, \"n\": null, \"o\": {\"x\": 1}, "
      "\"a\": [10, 20]}"));
  g_autoptr(InfValue) js = inf_value_get(j, "s");
  g_assert_cmpint(inf_value_get_kind(js), ==, INF_VALUE_TEXT);
  g_assert_cmpstr(inf_value_get_text(js), ==, "str");
  g_autoptr(InfValue) ji = inf_value_get(j, "i");
  g_assert_cmpint(inf_value_get_kind(ji), ==, INF_VALUE_INT);
  g_assert_cmpint(inf_value_get_int(ji), ==, 3);
  g_autoptr(InfValue) jd = inf_value_get(j, "d");
  g_assert_cmpint(inf_value_get_kind(jd), ==, INF_VALUE_DOUBLE);
  g_assert_cmpfloat(inf_value_get_double(jd), ==, 2.5);
  g_autoptr(InfValue) jb = inf_value_get(j, "b");
  g_assert_cmpint(inf_value_get_kind(jb), ==, INF_VALUE_BOOL);
  g_assert_true(inf_value_get_bool(jb));
  g_autoptr(InfValue) jn = inf_value_get(j, "n");
  g_assert_nonnull(jn);
  g_assert_true(inf_value_is_null(jn));
  g_autoptr(InfValue) jo = inf_value_get(j, "o");
  g_assert_cmpint(inf_value_get_kind(jo), ==, INF_VALUE_JSON);
  g_autoptr(InfValue) jox = inf_value_get(jo, "x");
  g_assert_cmpint(inf_value_get_int(jox), ==, 1);
  g_autoptr(InfValue) ja = inf_value_get(j, "a");
  g_assert_cmpint(inf_value_get_kind(ja), ==, INF_VALUE_JSON);
  g_autoptr(InfValue) ja1 = inf_value_get(ja, "1");
  g_assert_cmpint(inf_value_get_int(ja1), ==, 20);
  g_assert_null(inf_value_get(ja, "2"));
  g_assert_null(inf_value_get(ja, "x"));
  g_assert_null(inf_value_get(j, "missing"));

  /* text holding a JSON object */
  g_autoptr(InfValue) t =
      inf_value_new_text("  {\"answer\": \"yes\", \"score\": 0.5, \"tags\": [\"a\"]}");
  g_autoptr(InfValue) ta = inf_value_get(t, "answer");
  g_assert_cmpint(inf_value_get_kind(ta), ==, INF_VALUE_TEXT);
  g_assert_cmpstr(inf_value_get_text(ta), ==, "yes");
  g_autoptr(InfValue) tsc = inf_value_get(t, "score");
  g_assert_cmpfloat(inf_value_get_double(tsc), ==, 0.5);
  g_autoptr(InfValue) ttags = inf_value_get(t, "tags");
  g_assert_cmpint(inf_value_get_kind(ttags), ==, INF_VALUE_JSON);
  g_assert_null(inf_value_get(t, "missing"));

  /* plain text, invalid JSON, JSON arrays in text, scalars: NULL */
  g_autoptr(InfValue) plain = inf_value_new_text("answer: yes");
  g_assert_null(inf_value_get(plain, "answer"));
  g_autoptr(InfValue) broken = inf_value_new_text("{\"answer\": ");
  g_assert_null(inf_value_get(broken, "answer"));
  g_autoptr(InfValue) trailing = inf_value_new_text("{\"answer\": 1} junk");
  g_assert_null(inf_value_get(trailing, "answer"));
  g_autoptr(InfValue) tarr = inf_value_new_text("[1]");
  g_assert_null(inf_value_get(tarr, "0"));
  g_assert_null(inf_value_get(one, "x"));
  g_autoptr(InfValue) n = inf_value_new_null();
  g_assert_null(inf_value_get(n, "x"));
  g_autoptr(GError) e = g_error_new_literal(INF_ERROR, INF_ERROR_FAILED, "x");
  g_autoptr(InfValue) ev = inf_value_new_error(e, NULL);
  g_assert_null(inf_value_get(ev, "x"));
}

static char *
json_str(json_object *json)
{
  return g_strdup(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* to_json, then from_json, then to_json again gives the same JSON. */
static void
assert_round_trip(InfValue *v, const char *expected_json)
{
  json_object *j = inf_value_to_json(v);
  g_autofree char *s = json_str(j);
  g_assert_cmpstr(s, ==, expected_json);
  g_autoptr(InfValue) back = inf_value_from_json(j);
  json_object *j2 = inf_value_to_json(back);
  g_assert_true(json_object_equal(j, j2));
  json_object_put(j);
  json_object_put(j2);
}

static void
test_json_round_trip(void)
{
  g_autoptr(InfValue) n = inf_value_new_null();
  assert_round_trip(n, "null");
  g_autoptr(InfValue) b = inf_value_new_bool(TRUE);
  assert_round_trip(b, "true");
  g_autoptr(InfValue) i = inf_value_new_int(-12);
  assert_round_trip(i, "-12");
  g_autoptr(InfValue) d = inf_value_new_double(0.1);
  assert_round_trip(d, "0.1");
  g_autoptr(InfValue) d2 = inf_value_new_double(1.0);
  assert_round_trip(d2, "1.0");
  g_autoptr(InfValue) d3 = inf_value_new_double(2.0 / 3.0);
  assert_round_trip(d3, "0.6666666666666666");
  g_autoptr(InfValue) t = inf_value_new_text("a \"quoted\" / text");
  assert_round_trip(t, "\"a \\\"quoted\\\" / text\"");
  g_autoptr(InfValue) j = inf_value_new_json(json_tokener_parse("{\"k\":[1,2]}"));
  assert_round_trip(j, "{\"k\":[1,2]}");
  InfValue *items[] = { i, t, n };
  g_autoptr(InfValue) l = inf_value_new_list(items, 3);
  assert_round_trip(l, "[-12,\"a \\\"quoted\\\" / text\",null]");
  g_autoptr(InfValue) dict = inf_value_new_dict();
  inf_value_dict_set(dict, "b", b);
  inf_value_dict_set(dict, "a", l);
  assert_round_trip(dict, "{\"b\":true,\"a\":[-12,\"a \\\"quoted\\\" / text\",null]}");
  g_autoptr(GError) e = g_error_new_literal(INF_ERROR, INF_ERROR_RATE_LIMITED, "slow down");
  g_autoptr(InfValue) ev = inf_value_new_error(e, "llm");
  assert_round_trip(ev, "{\"error\":\"slow down\",\"code\":\"rate_limited\",\"node\":\"llm\"}");
  g_autoptr(GError) e2 = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, "other domain");
  g_autoptr(InfValue) ev2 = inf_value_new_error(e2, NULL);
  assert_round_trip(ev2, "{\"error\":\"other domain\",\"code\":\"failed\"}");
  const char *const path[] = { "field", "0", NULL };
  g_autoptr(InfValue) r = inf_value_new_ref("node", path);
  assert_round_trip(r, "{\"$ref\":\"node.field.0\"}");

  /* Scalars map back to the same kind and value. */
  InfValue *scalars[] = { n, b, i, d, d2, d3, t };
  for (guint k = 0; k < G_N_ELEMENTS(scalars); k++) {
    json_object *js = inf_value_to_json(scalars[k]);
    g_autoptr(InfValue) back = inf_value_from_json(js);
    g_assert_true(inf_value_equal(back, scalars[k]));
    json_object_put(js);
  }

  /* from_json borrows: the caller's reference is untouched. */
  json_object *obj = json_tokener_parse("{\"x\": 1}");
  InfValue *v = inf_value_from_json(obj);
  g_assert_cmpint(inf_value_get_kind(v), ==, INF_VALUE_JSON);
  g_assert_true(inf_value_get_json(v) == obj);
  inf_value_unref(v);
  g_assert_cmpint(json_object_get_int(json_object_object_get(obj, "x")), ==, 1);
  json_object_put(obj);
}

static void
test_to_string(void)
{
  struct {
    InfValue *v;
    const char *s;
  } cases[] = {
    { inf_value_new_text("plain \"text\" / as is"), "plain \"text\" / as is" },
    { inf_value_new_null(), "null" },
    { inf_value_new_bool(FALSE), "false" },
    { inf_value_new_int(G_MININT64), "-9223372036854775808" },
    { inf_value_new_double(0.7), "0.7" },
    { inf_value_new_double(1e20), "1e+20" },
    { inf_value_new_json(json_tokener_parse("{ \"url\" : \"a/b\",\n \"n\": [1, 2] }")),
      "{\"url\":\"a/b\",\"n\":[1,2]}" },
    { inf_value_new_ref("x", NULL), "{\"$ref\":\"x\"}" },
  };
  for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autofree char *s = inf_value_to_string(cases[k].v);
    g_assert_cmpstr(s, ==, cases[k].s);
    inf_value_unref(cases[k].v);
  }
  /* Text with an embedded NUL via new_text_len keeps its length in to_string. */
  g_autoptr(InfValue) t = inf_value_new_text_len("ab", 2);
  g_autofree char *ts = inf_value_to_string(t);
  g_assert_cmpstr(ts, ==, "ab");

  g_autoptr(InfValue) a = inf_value_new_text("x");
  InfValue *items[] = { a };
  g_autoptr(InfValue) l = inf_value_new_list(items, 1);
  g_autofree char *ls = inf_value_to_string(l);
  g_assert_cmpstr(ls, ==, "[\"x\"]");
}

static void
test_equal(void)
{
  g_autoptr(InfValue) i1 = inf_value_new_int(1);
  g_autoptr(InfValue) i1b = inf_value_new_int(1);
  g_autoptr(InfValue) d1 = inf_value_new_double(1.0);
  g_assert_true(inf_value_equal(i1, i1));
  g_assert_true(inf_value_equal(i1, i1b));
  g_assert_false(inf_value_equal(i1, d1)); /* kinds must match */
  g_autoptr(InfValue) n1 = inf_value_new_null();
  g_autoptr(InfValue) n2 = inf_value_new_null();
  g_assert_true(inf_value_equal(n1, n2));
  g_autoptr(InfValue) bt = inf_value_new_bool(TRUE);
  g_autoptr(InfValue) bf = inf_value_new_bool(FALSE);
  g_assert_false(inf_value_equal(bt, bf));
  g_autoptr(InfValue) d2 = inf_value_new_double(1.0);
  g_assert_true(inf_value_equal(d1, d2));

  /* json compared structurally (member order does not matter) */
  g_autoptr(InfValue) j1 = inf_value_new_json(json_tokener_parse("{\"a\":1,\"b\":[1,2]}"));
  g_autoptr(InfValue) j2 = inf_value_new_json(json_tokener_parse("{\"b\":[1,2],\"a\":1}"));
  g_autoptr(InfValue) j3 = inf_value_new_json(json_tokener_parse("{\"b\":[2,1],\"a\":1}"));
  g_assert_true(inf_value_equal(j1, j2));
  g_assert_false(inf_value_equal(j1, j3));

  /* lists deep */
  g_autoptr(InfValue) t = inf_value_new_text("t");
  InfValue *la[] = { i1, j1 };
  InfValue *lb[] = { i1b, j2 };
  InfValue *lc[] = { i1b, t };
  g_autoptr(InfValue) l1 = inf_value_new_list(la, 2);
  g_autoptr(InfValue) l2 = inf_value_new_list(lb, 2);
  g_autoptr(InfValue) l3 = inf_value_new_list(lc, 2);
  g_autoptr(InfValue) l4 = inf_value_new_list(la, 1);
  g_assert_true(inf_value_equal(l1, l2));
  g_assert_false(inf_value_equal(l1, l3));
  g_assert_false(inf_value_equal(l1, l4));

  /* dicts deep, key order irrelevant */
  g_autoptr(InfValue) da = inf_value_new_dict();
  inf_value_dict_set(da, "x", l1);
  inf_value_dict_set(da, "y", t);
  g_autoptr(InfValue) db = inf_value_new_dict();
  inf_value_dict_set(db, "y", t);
  inf_value_dict_set(db, "x", l2);
  g_autoptr(InfValue) dc = inf_value_new_dict();
  inf_value_dict_set(dc, "y", t);
  inf_value_dict_set(dc, "x", l3);
  g_autoptr(InfValue) dd = inf_value_new_dict();
  inf_value_dict_set(dd, "y", t);
  g_assert_true(inf_value_equal(da, db));
  g_assert_false(inf_value_equal(da, dc));
  g_assert_false(inf_value_equal(da, dd));

  /* errors: domain, code, message, node */
  g_autoptr(GError) e1 = g_error_new_literal(INF_ERROR, INF_ERROR_TIMEOUT, "m");
  g_autoptr(GError) e2 = g_error_new_literal(INF_ERROR, INF_ERROR_SERVER, "m");
  g_autoptr(InfValue) ev1 = inf_value_new_error(e1, "n");
  g_autoptr(InfValue) ev1b = inf_value_new_error(e1, "n");
  g_autoptr(InfValue) ev2 = inf_value_new_error(e2, "n");
  g_assert_true(inf_value_equal(ev1, ev1b));
  g_assert_false(inf_value_equal(ev1, ev2));

  g_autoptr(InfValue) ta = inf_value_new_text_len("a\0b", 3);
  g_autoptr(InfValue) tb = inf_value_new_text_len("a\0c", 3);
  g_assert_false(inf_value_equal(ta, tb));
}

static void
test_many_values(void)
{
  /* A quick churn: creation and release must stay balanced (valgrind/ASan). */
  for (int k = 0; k < 10000; k++) {
    InfValue *t = inf_value_new_text("some prompt text that is not tiny");
    InfValue *i = inf_value_new_int(k);
    InfValue *d = inf_value_new_dict();
    inf_value_dict_set(d, "t", t);
    inf_value_dict_set(d, "i", i);
    InfValue *got = inf_value_get(d, "i");
    g_assert_cmpint(inf_value_get_int(got), ==, k);
    inf_value_unref(got);
    inf_value_unref(t);
    inf_value_unref(i);
    inf_value_unref(d);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/value/error-quark", test_error_quark);
  g_test_add_func("/value/kind-names", test_kind_names);
  g_test_add_func("/value/scalars", test_scalars);
  g_test_add_func("/value/text", test_text);
  g_test_add_func("/value/refcount", test_refcount);
  g_test_add_func("/value/json-kinds", test_json_kinds);
  g_test_add_func("/value/list-dict", test_list_dict);
  g_test_add_func("/value/large-dict", test_large_dict);
  g_test_add_func("/value/error", test_error_value);
  g_test_add_func("/value/ref", test_ref_value);
  g_test_add_func("/value/get", test_get);
  g_test_add_func("/value/json-round-trip", test_json_round_trip);
  g_test_add_func("/value/to-string", test_to_string);
  g_test_add_func("/value/equal", test_equal);
  g_test_add_func("/value/many", test_many_values);
  return g_test_run();
}
