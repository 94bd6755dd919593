/* A test plugin that breaks the completion contracts on purpose:
 *  - module "misuse-twice" returns its argument at once and again ("WRONG")
 *    from an idle callback;
 *  - module "misuse-never" logs "started" and never returns its task;
 *  - client "misuse-client" answers "reply:PROMPT" from an idle callback
 *    and then returns the same call a second time. */
#include <inf/inf.h>

static gboolean
return_wrong(gpointer data)
{
  inf_task_return_value(data, inf_value_new_text("WRONG"));
  return G_SOURCE_REMOVE;
}

static void
twice_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_task_return_value(task, inf_value_ref(inf_task_get_arg(task, 0)));
  g_idle_add(return_wrong, task);
}

static const InfModuleClass twice_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "misuse-twice",
  .description = "Returns every task twice",
  .execute = twice_execute,
};

static void
never_execute(InfModule *self, InfTask *task)
{
  (void)self;
  inf_log_task(task, INF_LOG_INFO, "started");
}

static const InfModuleClass never_class = {
  .struct_size = sizeof(InfModuleClass),
  .name = "misuse-never",
  .description = "Never returns a task",
  .execute = never_execute,
};

static gboolean
reply_twice(gpointer data)
{
  InfLlmCall *call = data;
  const InfLlmRequest *request = inf_llm_call_get_request(call);
  guint n = inf_llm_request_get_n_messages(request);
  g_autofree char *text =
      g_strdup_printf("reply:%s", n ? inf_llm_request_get_content(request, n - 1) : "");
  InfLlmResponse *response = inf_llm_response_new();
  inf_llm_response_set_content(response, text);
  inf_llm_call_return(call, response);
  InfLlmResponse *wrong = inf_llm_response_new();
  inf_llm_response_set_content(wrong, "WRONG");
  inf_llm_call_return(call, wrong);
  return G_SOURCE_REMOVE;
}

static void
client_call(InfClient *self, InfLlmCall *call)
{
  (void)self;
  g_idle_add(reply_twice, call);
}

static const InfClientClass client_class = {
  .struct_size = sizeof(InfClientClass),
  .name = "misuse-client",
  .description = "Returns every call twice",
  .call = client_call,
};

static gboolean
misuse_register(InfRegistry *registry, GError **error)
{
  return inf_registry_add_module_class(registry, &twice_class, error) &&
         inf_registry_add_module_class(registry, &never_class, error) &&
         inf_registry_add_client_class(registry, &client_class, error);
}

INF_PLUGIN_DEFINE("misuse", "1.0.0", "Breaks the completion contracts (tests)", "MIT",
                  misuse_register)
