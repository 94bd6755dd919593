/* Unit tests: InfParameter. */
#include <inf/error.h>
#include <inf/parameter.h>

static void
test_new_fixed(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfParameter) p = inf_parameter_new("Be brief.", NULL, FALSE, &error);
  g_assert_no_error(error);
  g_assert_nonnull(p);
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Be brief.");
  g_assert_null(inf_parameter_get_description(p));
  g_assert_false(inf_parameter_get_requires_grad(p));

  /* A fixed parameter keeps no feedback. */
  g_assert_false(inf_parameter_accumulate_feedback(p, "too short"));
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 0);
  g_assert_null(inf_parameter_get_feedback(p, 0));

  /* The optimizer's update applies regardless. */
  inf_parameter_apply_update(p, "Be thorough.");
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Be thorough.");

  g_autoptr(InfParameter) empty = inf_parameter_new(NULL, NULL, FALSE, NULL);
  g_assert_cmpstr(inf_parameter_get_value(empty), ==, "");
}

static void
test_learnable_needs_description(void)
{
  GError *error = NULL;
  InfParameter *p = inf_parameter_new("v", NULL, TRUE, &error);
  g_assert_null(p);
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull(strstr(error->message, "description"));
  g_assert_nonnull(strstr(error->message, "requires_grad"));
  g_clear_error(&error);

  p = inf_parameter_new("v", "", TRUE, &error);
  g_assert_null(p);
  g_assert_error(error, INF_ERROR, INF_ERROR_INVALID_ARGUMENT);
  g_clear_error(&error);

  /* NULL error pointer: no crash. */
  g_assert_null(inf_parameter_new("v", NULL, TRUE, NULL));
}

static void
test_feedback(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(InfParameter) p =
      inf_parameter_new("Summarize.", "system prompt of the summarizer", TRUE, &error);
  g_assert_no_error(error);
  g_assert_true(inf_parameter_get_requires_grad(p));
  g_assert_cmpstr(inf_parameter_get_description(p), ==, "system prompt of the summarizer");

  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 0);
  g_assert_true(inf_parameter_accumulate_feedback(p, "first"));
  g_assert_true(inf_parameter_accumulate_feedback(p, "second"));
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 2);
  g_assert_cmpstr(inf_parameter_get_feedback(p, 0), ==, "first");
  g_assert_cmpstr(inf_parameter_get_feedback(p, 1), ==, "second");
  g_assert_null(inf_parameter_get_feedback(p, 2));

  /* apply_update changes the value, not the feedback. */
  inf_parameter_apply_update(p, "Summarize in one line.");
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Summarize in one line.");
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 2);
  /* Updating with its own value is safe. */
  inf_parameter_apply_update(p, inf_parameter_get_value(p));
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "Summarize in one line.");

  inf_parameter_zero_feedback(p);
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 0);
  g_assert_null(inf_parameter_get_feedback(p, 0));
  g_assert_true(inf_parameter_accumulate_feedback(p, "third"));
  g_assert_cmpuint(inf_parameter_get_n_feedback(p), ==, 1);
  g_assert_cmpstr(inf_parameter_get_feedback(p, 0), ==, "third");
}

static void
test_refcount(void)
{
  InfParameter *p = inf_parameter_new("v", NULL, FALSE, NULL);
  g_assert_true(inf_parameter_ref(p) == p);
  inf_parameter_unref(p);
  g_assert_cmpstr(inf_parameter_get_value(p), ==, "v");
  inf_parameter_unref(p);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/parameter/new-fixed", test_new_fixed);
  g_test_add_func("/parameter/learnable-needs-description", test_learnable_needs_description);
  g_test_add_func("/parameter/feedback", test_feedback);
  g_test_add_func("/parameter/refcount", test_refcount);
  return g_test_run();
}
