/* reverse.c: a complete inf-engine plugin with one in-process LLM client
 * class, `reverse`, which answers every request with its last message
 * reversed (and an optional prefix), without any network.
 *
 *   cc -shared -fPIC -o reverse.so reverse.c $(pkg-config --cflags --libs inf-engine-sdk)
 *   inf-engine inspect client:reverse --plugin-dir .
 */
#include <string.h>

#include <inf/inf.h>

/* The provider options an endpoint may give; NULL name ends the table. */
static const InfOptionSpec reverse_options[] = {
  { .name = "prefix",
    .type = INF_OPTION_STRING,
    .default_json = "\"\"",
    .description = "Put before every reply" },
  { NULL },
};

/* One endpoint's client: the replies not yet delivered. */
typedef struct {
  char *prefix;
  char *model;
  GQueue pending; /* Reply * */
  guint idle_id;  /* the idle source that delivers them, 0: none */
} Reverse;

typedef struct {
  InfLlmCall *call;
  InfLlmResponse *response;
} Reply;

static gboolean
reverse_init(InfClient *self, const InfOptions *options, gpointer *out_private, GError **error)
{
  Reverse *reverse = g_new0(Reverse, 1);

  (void)error;
  reverse->prefix = g_strdup(inf_options_get_string(options, "prefix"));
  reverse->model = g_strdup(inf_client_get_model(self));
  g_queue_init(&reverse->pending);
  *out_private = reverse;
  return TRUE;
}

/* Delivers every pending reply, from the main loop. */
static gboolean
reverse_deliver(gpointer data)
{
  Reverse *reverse = data;
  Reply *reply;

  reverse->idle_id = 0;
  while ((reply = g_queue_pop_head(&reverse->pending)) != NULL) {
    inf_llm_call_return(reply->call, reply->response); /* takes the response */
    g_free(reply);
  }
  return G_SOURCE_REMOVE;
}

/* Answers one call. A call is never finished inside `call`: the reply is
 * queued and delivered from an idle callback of the main loop. */
static void
reverse_call(InfClient *self, InfLlmCall *call)
{
  Reverse *reverse = inf_client_get_private(self);
  const InfLlmRequest *request = inf_llm_call_get_request(call);
  guint n = inf_llm_request_get_n_messages(request);
  const char *last = n > 0 ? inf_llm_request_get_content(request, n - 1) : "";
  char *reversed = g_utf8_strreverse(last, -1);
  char *text = g_strconcat(reverse->prefix, reversed, NULL);
  Reply *reply = g_new0(Reply, 1);

  reply->call = call;
  reply->response = inf_llm_response_new();
  inf_llm_response_set_content(reply->response, text);
  inf_llm_response_set_usage(reply->response, (gint64)strlen(last), (gint64)strlen(text));
  inf_llm_response_set_finish_reason(reply->response, INF_FINISH_STOP);
  inf_llm_response_set_model(reply->response, reverse->model);
  g_queue_push_tail(&reverse->pending, reply);
  if (reverse->idle_id == 0)
    reverse->idle_id = g_idle_add(reverse_deliver, reverse);
  g_free(text);
  g_free(reversed);
}

/* The engine gave @call up (the endpoint's timeout passed, or the run
 * ended): drop its reply; it must not be delivered. */
static void
reverse_cancel(InfClient *self, InfLlmCall *call)
{
  Reverse *reverse = inf_client_get_private(self);

  for (GList *link = reverse->pending.head; link != NULL; link = link->next) {
    Reply *reply = link->data;

    if (reply->call == call) {
      g_queue_delete_link(&reverse->pending, link);
      inf_llm_response_free(reply->response);
      g_free(reply);
      return;
    }
  }
}

/* Frees the client; no callback of it may run afterwards. */
static void
reverse_finalize(gpointer private_data)
{
  Reverse *reverse = private_data;
  Reply *reply;

  if (reverse == NULL)
    return;
  if (reverse->idle_id != 0)
    g_source_remove(reverse->idle_id);
  while ((reply = g_queue_pop_head(&reverse->pending)) != NULL) {
    inf_llm_response_free(reply->response);
    g_free(reply);
  }
  g_free(reverse->prefix);
  g_free(reverse->model);
  g_free(reverse);
}

/* The class: static storage, struct_size first; `call` makes it in-process. */
static const InfClientClass reverse_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "reverse",
  .description = "Answers with the last message reversed, in process",
  .options = reverse_options,
  .init = reverse_init,
  .finalize = reverse_finalize,
  .call = reverse_call,
  .cancel = reverse_cancel, /* ABI 1.1 */
};

static gboolean
reverse_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_client_class(registry, &reverse_class, error);
}

INF_PLUGIN_DEFINE("reverse", "1.0.0", "Adds the reverse LLM client", "MIT", reverse_register)
