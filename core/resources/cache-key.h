/* InfCacheKey — what identifies an LLM reply in the response cache.
 *
 * The digest is SHA-256 over the canonical JSON text of
 *   {"model": M, "options": O, "provider": P, "request": R, "v": 1}
 * where R is inf_llm_request_to_json() (system prompt, messages, temperature,
 * max_tokens, response format, JSON schema and its name, and whatever the
 * request grows later), P the
 * endpoint's provider (client class), M its model (null: the provider's
 * default) and O its provider options as configured (extra_body, a default
 * max_tokens, a JSON instruction...: they change what the provider sees).
 * Object keys are sorted at every level and the text is plain, so equal
 * requests give equal digests. Never in it: the API key, the base URL,
 * timeouts, retry and rate settings, prices, the alias name, the
 * engine-only cacheable flag.
 *
 * The sample index tells repeated draws of one request apart (see
 * inf_exec_state_sample_index()): it is part of the key, not of the digest. */
#pragma once

#include <inf/inf.h>

G_BEGIN_DECLS

#define INF_CACHE_DIGEST_SIZE 32

typedef struct {
  guint8 digest[INF_CACHE_DIGEST_SIZE];
  guint32 sample;
} InfCacheKey;

/* The endpoint's part of the canonical text, the same for all its calls
 * (new): `{"model":M,"options":O,"provider":P,"request":`. */
char *inf_cache_key_prefix(const char *provider, const char *model, json_object *options);
/* Fills @key's digest from @prefix (inf_cache_key_prefix()) and @request;
 * the sample is 0. */
void inf_cache_key_init_prefixed(InfCacheKey *key, const char *prefix,
                                 const InfLlmRequest *request);
/* Both at once. */
void inf_cache_key_init(InfCacheKey *key, const char *provider, const char *model,
                        json_object *options, const InfLlmRequest *request);
/* The canonical text the digest is taken over (new; for tests and docs). */
char *inf_cache_key_canonical_text(const char *provider, const char *model, json_object *options,
                                   const InfLlmRequest *request);
/* For GHashTable: both the digest and the sample. */
guint inf_cache_key_hash(gconstpointer key);
gboolean inf_cache_key_equal(gconstpointer a, gconstpointer b);

G_END_DECLS
