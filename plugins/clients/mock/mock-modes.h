/* The mock client's scripted modes: a directive follower ("instruct") and a
 * rule-inducing prompt editor ("edit"). Both are pure functions of the text a
 * call carries (system prompt and last message): they never see a dataset,
 * a target or any file. See docs/backends.md for the directives they read. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "instruct": follows the directives of @system about @input. Returns the
 * reply (caller frees), or NULL when @system holds neither a label set nor a
 * keyword rule that matches (the caller then answers as usual). */
char *mock_instruct_reply(const char *system, const char *input);

/* "edit": as aggregator (a prompt without <current-value>) the feedback items
 * merged and deduplicated; as updater (a prompt with <current-value>) the
 * current value with keyword rules added. @system may be NULL. Never NULL. */
char *mock_edit_reply(const char *system, const char *prompt);

G_END_DECLS
