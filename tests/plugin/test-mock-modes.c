/* The mock client's scripted modes on their own: the "instruct" directive
 * follower and the "edit" prompt editor (aggregator and updater), from the
 * text of a call alone; then both through the mock plugin in a real
 * inf-engine run. No dataset is involved: every input here is made up for
 * the directive under test. */
#include <string.h>

#include <json-c/json.h>

#include "clients/mock/mock-modes.h"
#include "inf-test.h"

static const char labels[] = "Sort the message. Answer with one of: red, green, blue.";

static void
assert_instruct(const char *system, const char *input, const char *expected)
{
  g_autofree char *reply = mock_instruct_reply(system, input);
  g_assert_cmpstr(reply, ==, expected);
}

static void
test_instruct_labels(void)
{
  /* No rule, no label named: the first label, capitalised with a full stop. */
  assert_instruct(labels, "nothing to see", "Red.");
  /* A label the input names (whole words, any case): the earliest one. */
  assert_instruct(labels, "it is BLUE, not green", "Blue.");
  assert_instruct(labels, "bluegreen", "Red.");
  /* Lowercase. */
  g_autofree char *lower = g_strconcat(labels, "\nAnswer in lowercase.", NULL);
  assert_instruct(lower, "it is green", "green");
  /* Other text is ignored, as a weak model would. */
  assert_instruct("Be very careful and think step by step. Answer with one of: a, b or c.",
                  "I pick c", "C.");
  /* No label set and no rule: nothing scripted (the derived reply is used). */
  g_assert_null(mock_instruct_reply("Be helpful.", "hello"));
  g_assert_null(mock_instruct_reply(NULL, "hello"));
}

static void
test_instruct_rules(void)
{
  const char *system = "Answer with one of: red, green, blue.\n"
                       "If the text mentions 'grass', answer green.\n"
                       "If the text mentions 'sky', answer blue.\n"
                       "If the text mentions 'sea', answer green.\n"
                       "Answer in lowercase.";
  /* Rules win over named labels; the first matching rule in prompt order. */
  assert_instruct(system, "the red sky", "blue");
  assert_instruct(system, "sky over the sea", "blue");
  assert_instruct(system, "the Sea is calm", "green");
  /* Whole words only. */
  assert_instruct(system, "skyline", "red");
  /* A rule without a label set. */
  assert_instruct("If the text mentions 'ping', answer pong.", "ping!", "Pong.");
}

static char *
updater_prompt(double conservatism, const char *current, const char *feedback, const char *rejected)
{
  return g_strdup_printf("<task>Update the parameter</task>\n<current-value>%s</current-value>\n"
                         "<aggregated-feedback>\n%s</aggregated-feedback>\n%s"
                         "<conservatism>%.2f</conservatism>\n",
                         current, feedback, rejected ? rejected : "", conservatism);
}

static const char failures[] =
    "<feedback>input: the lawn and the grass are dry\nexpected 'green', got 'Red.'</feedback>\n"
    "<feedback>input: wet grass everywhere\nexpected 'green', got 'Red.'</feedback>\n"
    "<feedback>input: a clear morning over the ocean\nexpected 'blue', got 'Red.'</feedback>\n"
    "<feedback>input: the ocean is deep\nexpected 'blue', got 'Red.'</feedback>\n"
    "<feedback>input: dew on the grass leaves\nexpected 'blue', got 'Red.'</feedback>\n"
    "<feedback>input: ripe apples\nexpected 'red', got 'Red.'</feedback>\n";

static void
test_edit_updater(void)
{
  const char *current = "Answer with one of: red, green, blue.";
  /* Conservatism 0.9: one directive, the case fix first. */
  g_autofree char *p1 = updater_prompt(0.9, current, failures, NULL);
  g_autofree char *r1 = mock_edit_reply(NULL, p1);
  g_assert_cmpstr(r1, ==, "Answer with one of: red, green, blue.\nAnswer in lowercase.");

  /* Conservatism 0: three. blue has the most misrouted inputs; 'ocean' is in
   * two of them and in no other label's. green's 'grass' is in a blue input
   * too, so green gets the first of its words found in no other label's
   * input. */
  g_autofree char *p2 = updater_prompt(0.0, current, failures, NULL);
  g_autofree char *r2 = mock_edit_reply(NULL, p2);
  g_assert_cmpstr(r2, ==,
                  "Answer with one of: red, green, blue.\nAnswer in lowercase.\n"
                  "If the text mentions 'ocean', answer blue.\n"
                  "If the text mentions 'lawn', answer green.");

  /* The rules the reply adds are followed by the instruct mode. */
  assert_instruct(r2, "far out on the ocean", "blue");

  /* Conservatism 0.5 rounds to two directives. */
  g_autofree char *p3 = updater_prompt(0.5, current, failures, NULL);
  g_autofree char *r3 = mock_edit_reply(NULL, p3);
  g_assert_cmpstr(r3, ==,
                  "Answer with one of: red, green, blue.\nAnswer in lowercase.\n"
                  "If the text mentions 'ocean', answer blue.");

  /* A directive tried and rejected is not proposed again: the next word. */
  g_autofree char *p4 =
      updater_prompt(0.0, current, failures,
                     "<rejected-value>Answer with one of: red, green, blue.\nAnswer in lowercase.\n"
                     "If the text mentions 'ocean', answer blue.</rejected-value>\n");
  g_autofree char *r4 = mock_edit_reply(NULL, p4);
  g_assert_cmpstr(r4, ==,
                  "Answer with one of: red, green, blue.\n"
                  "If the text mentions 'clear', answer blue.\n"
                  "If the text mentions 'lawn', answer green.");

  /* The llm backward's note: "Input it saw:" and the text on the next line. */
  g_autofree char *p6 = updater_prompt(
      0.9, "Answer in lowercase.",
      "<feedback>Node 'route' (an LLM call) used this system prompt.\nSystem prompt:\n"
      "Answer in lowercase.\nInput it saw:\nthe ocean is deep\nOutput it gave:\nred\n"
      "Feedback:\n- expected 'blue', got 'red'\nScore: 0 (1 is best; passing: 1)\n"
      "Passed: no</feedback>\n",
      NULL);
  g_autofree char *r6 = mock_edit_reply(NULL, p6);
  g_assert_cmpstr(r6, ==, "Answer in lowercase.\nIf the text mentions 'ocean', answer blue.");

  /* Rules already present are not added twice; nothing to add: unchanged. */
  g_autofree char *p5 = updater_prompt(0.0, "Answer in lowercase.", "all fine", NULL);
  g_autofree char *r5 = mock_edit_reply(NULL, p5);
  g_assert_cmpstr(r5, ==, "Answer in lowercase.");
}

static void
test_edit_aggregator(void)
{
  const char *prompt = "<feedback-items count=\"4\">\n"
                       "<feedback index=\"1\">expected 'a', got 'b'</feedback>\n"
                       "<feedback index=\"2\">be shorter</feedback>\n"
                       "<feedback index=\"3\">be shorter</feedback>\n"
                       "<feedback index=\"4\">  expected 'a', got 'b'\n</feedback>\n"
                       "<feedback index=\"5\">be shorter</feedback>\n"
                       "<feedback index=\"6\">use lists</feedback>\n"
                       "</feedback-items>";
  g_autofree char *reply = mock_edit_reply("You merge feedback.", prompt);
  g_assert_cmpstr(reply, ==,
                  "<feedback count=\"3\">be shorter</feedback>\n"
                  "<feedback count=\"2\">expected 'a', got 'b'</feedback>\n"
                  "<feedback count=\"1\">use lists</feedback>\n");
  /* Without blocks: the lines. */
  g_autofree char *lines = mock_edit_reply(NULL, "x\n\ny\nx\n");
  g_assert_cmpstr(lines, ==,
                  "<feedback count=\"2\">x</feedback>\n<feedback count=\"1\">y</feedback>\n");
}

static const char config_text[] =
    "{\n"
    "  \"resources\": {\"endpoints\": {\n"
    "    \"worker\": {\"provider\": \"mock\", \"mode\": \"instruct\"},\n"
    "    \"editor\": {\"provider\": \"mock\", \"mode\": \"edit\"}}},\n"
    "  \"modules\": {\n"
    "    \"sort\": {\"type\": \"llm\", \"alias\": \"worker\", \"system_prompt\": \"Answer with one "
    "of: red, green, blue. If the text mentions 'sky', answer blue.\"},\n"
    "    \"edit\": {\"type\": \"llm\", \"alias\": \"editor\"},\n"
    "    \"pipeline\": {\"type\": \"graph\", \"inputs\": [\"text\"], \"nodes\": {\n"
    "      \"label\": {\"module\": \"sort\", \"args\": [\"$text\"]},\n"
    "      \"merged\": {\"module\": \"edit\", \"args\": [\"$text\"]}},\n"
    "     \"outputs\": {\"label\": \"$label\", \"merged\": \"$merged\"}}},\n"
    "  \"main\": \"pipeline\"\n"
    "}\n";

static void
test_through_plugin(void)
{
  g_autofree char *tmp = inf_test_mkdtemp("inf-plugin-test");
  g_autofree char *config = inf_test_write(tmp, "pipeline.json", config_text);
  g_autofree char *input =
      inf_test_write(tmp, "in.jsonl", "{\"text\": \"a grey sky\\nsame\\nsame\"}\n");
  g_auto(InfTestRun) run = { 0 };
  inf_test_engine_run_va(&run, NULL, "run", config, "--input", input, "-q", NULL);
  g_assert_cmpint(run.status, ==, 0);
  json_object *result = json_tokener_parse(run.out);
  g_assert_nonnull(result);
  json_object *outputs = NULL;
  g_assert_true(json_object_object_get_ex(result, "outputs", &outputs));
  json_object *label = json_object_object_get(outputs, "label");
  json_object *merged = json_object_object_get(outputs, "merged");
  g_assert_cmpstr(json_object_get_string(label), ==, "Blue.");
  g_assert_cmpstr(json_object_get_string(merged), ==,
                  "<feedback count=\"2\">same</feedback>\n"
                  "<feedback count=\"1\">a grey sky</feedback>\n");
  json_object_put(result);
  inf_test_rmdir(tmp);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/mock-modes/instruct/labels", test_instruct_labels);
  g_test_add_func("/mock-modes/instruct/rules", test_instruct_rules);
  g_test_add_func("/mock-modes/edit/updater", test_edit_updater);
  g_test_add_func("/mock-modes/edit/aggregator", test_edit_aggregator);
  g_test_add_func("/mock-modes/through-plugin", test_through_plugin);
  return g_test_run();
}
