#include "exec/scheduler.h"

#include <stdarg.h>

#include <inf/heap.h>

#include "exec/node-trace.h"
#include "exec/plugin-log.h"
#include "model/log-private.h"
#include "model/module-private.h"
#include "plugin/registry-private.h"

/* Order: lower priority number, then the older input, then the node that
 * became ready first. */
typedef struct {
  gint priority;
  guint attempt; /* earlier executions of the node (rate-limited ones) */
  guint64 input;
  guint64 seq;
  InfExecState *state;
  guint node;
} ReadyEntry;

typedef struct {
  InfScheduler *scheduler;
  InfResourceAlias *alias; /* NULL: local nodes */
  GArray *heap;            /* ReadyEntry, a binary min-heap */
  InfClient *candidate;    /* picked during a pump */
  GSource *wake;           /* rate-limit wait */
  guint trace_pid;
} Lane;

#define TASK_INLINE_ARGS 4

typedef enum {
  CACHE_NONE,   /* no response cache for this call */
  CACHE_LEADER, /* its upstream call also serves the cache */
  CACHE_SERVED, /* answered by the cache: a hit or a shared call */
} CacheRole;

/* Where a task is in its life. A module holds the InfTask pointer it was
 * given and may misuse it (return twice, return long after): the engine
 * must recognise such a return and drop it, never deliver it to whatever
 * the memory serves next. */
typedef enum {
  TASK_RUNNING,   /* with the module; its return finishes the node */
  TASK_ABANDONED, /* the engine ended the node (timeout); the module still
                   * owes its one return, which is dropped */
  TASK_RETIRED,   /* returned: in the free list; a return now is a misuse */
  TASK_ORPHAN,    /* the run ended before the module returned it: kept on the
                   * registry (inf_registry_keep); any use is reported */
} TaskPhase;

/* A returned task is reused only after this many others were returned
 * after it, so that a second or late return of a module finds it still
 * retired (and is reported) instead of finding another node's execution. */
#define TASK_QUARANTINE 1024

/* What only some tasks need: made the first time a task does, and kept
 * while the task is reused. A run with thousands of nodes in flight and no
 * timeout, cache or trace pays nothing for it. */
typedef struct {
  GSource *timer;        /* TaskTimer: the node's timeout or the drain grace; NULL: none */
  InfCacheKey cache_key; /* with a cache role */
  InfNodeSpan span;      /* while tracing */
} TaskSide;

/* One execution of a node, handed to its module. Kept small: a wide graph
 * has one per node in flight. */
struct _InfTask {
  InfScheduler *scheduler; /* NULL once orphaned */
  InfExecState *state;
  InfClient *endpoint; /* the slot of an LLM node, or NULL */
  InfLlmCall *call;    /* its upstream LLM call in flight, or NULL */
  InfLlmCallback llm_callback;
  gpointer llm_data;
  guint64 seq;
  guint node;
  guint attempt; /* 1 for the first execution */
  guint n_args;
  guint8 phase;           /* TaskPhase */
  guint8 cache_role;      /* CacheRole */
  guint8 slot_released;   /* the cache answered: the endpoint slot went back */
  guint8 orphan_reported; /* TASK_ORPHAN: a use was reported */
  TaskSide *side;         /* NULL until needed */
  GList link;             /* in live_tasks (running, abandoned) or free_tasks (retired) */
  union {
    InfValue *inline_args[TASK_INLINE_ARGS]; /* n_args <= TASK_INLINE_ARGS */
    InfValue **heap_args;                    /* more */
    struct {
      char *node_id; /* the node's id */
      char *context; /* "node 'ID' (module class ..., plugin ...)" */
    } orphan;        /* TASK_ORPHAN (the arguments are gone) */
  } u;
};

/* The node's timeout or the grace after an interruption: the deadline is
 * the source's ready time. */
typedef struct {
  GSource source;
  InfTask *task;
  gboolean drain; /* the interruption's grace, not the module's timeout */
} TaskTimer;

struct _InfScheduler {
  InfGraph *graph;
  InfResourceManager *resources;
  guint64 slot_wait; /* a wait for any slot to be given back; 0: none */
  gint max_concurrent;
  guint max_inflight;
  Lane *lanes;
  guint n_lanes;
  guint *node_lane;
  gint running;
  guint n_states;
  GHashTable *states; /* inputs in flight (a set) */
  guint64 seq;
  gint64 override_seq; /* >= 0 while requeueing: keep the node's place */
  guint override_attempt;
  gboolean pumping;
  gboolean stopped;
  gboolean llm_halted; /* the budget refused a call: no more LLM dispatch */
  gboolean halt_reported;
  gboolean no_waits;  /* a 429 fails its node instead of requeueing it */
  GError *wait_error; /* what nodes whose waits were ended fail with */
  guint64 executed;
  guint64 requeued;
  GQueue live_tasks;       /* InfTask, running or abandoned */
  GQueue free_tasks;       /* InfTask, retired, oldest first */
  guint8 *misuse_reported; /* per node: a misuse of its tasks was reported; NULL: none yet */
  gint64 drain_deadline;   /* > 0 after an interruption: local nodes end by then */
  InfSchedulerCallbacks callbacks;
  gpointer user_data;  /* of the callbacks */
  InfNodeTrace *trace; /* NULL: not tracing */
};

/* Pops the head of a queue whose links are embedded in their items (not
 * allocated: g_queue_pop_head would free them). */
static gpointer
queue_pop(GQueue *queue)
{
  GList *link = g_queue_pop_head_link(queue);
  return link ? link->data : NULL;
}

static inline InfValue **
task_args(InfTask *task)
{
  return task->n_args <= TASK_INLINE_ARGS ? task->u.inline_args : task->u.heap_args;
}

/* Gives the arguments back (NULL ones were never resolved). */
static void
task_clear_args(InfTask *task)
{
  InfValue **args = task_args(task);
  for (guint i = 0; i < task->n_args; i++)
    if (args[i])
      inf_value_unref(args[i]);
  if (task->n_args > TASK_INLINE_ARGS)
    g_free(args);
  task->n_args = 0;
}

/* The alias of the task's node; NULL for a local node. */
static inline InfResourceAlias *
task_alias(const InfTask *task)
{
  InfScheduler *s = task->scheduler;
  return s->lanes[s->node_lane[task->node]].alias;
}

static TaskSide *
task_side(InfTask *task)
{
  if (!task->side)
    task->side = g_new0(TaskSide, 1);
  return task->side;
}

static void
task_clear_timer(InfTask *task)
{
  if (!task->side || !task->side->timer)
    return;
  g_source_destroy(task->side->timer);
  g_clear_pointer(&task->side->timer, g_source_unref);
}

/* A task in the free list (or one never handed out) goes. */
static void
task_free(InfTask *task)
{
  g_free(task->side);
  g_free(task);
}

static void
task_orphan_free(gpointer data)
{
  InfTask *task = data;
  g_free(task->u.orphan.node_id);
  g_free(task->u.orphan.context);
  g_free(task);
}

/* The run ends while the module still holds @task: it keeps only what
 * names it, on the registry of its module's plugin, so that a return after
 * the run is reported instead of touching freed memory. */
static void
task_orphan(InfScheduler *s, InfTask *task)
{
  task_clear_timer(task);
  g_clear_pointer(&task->side, g_free);
  task_clear_args(task);
  g_clear_pointer(&task->state, inf_exec_state_unref);
  const InfGraphNode *gn = &s->graph->nodes[task->node];
  InfRegistry *registry = inf_module_get_registry(gn->module);
  if (!registry) {
    g_free(task);
    return;
  }
  g_autofree char *origin = inf_plugin_log_describe_module(gn->module);
  task->u.orphan.node_id = g_strdup(gn->id);
  task->u.orphan.context = g_strdup_printf("node '%s' (%s)", gn->id, origin);
  task->phase = TASK_ORPHAN;
  task->scheduler = NULL;
  inf_registry_keep(registry, task, task_orphan_free);
}

char *
inf_task_describe(const InfTask *task)
{
  if (task->phase == TASK_ORPHAN)
    return g_strdup(task->u.orphan.context);
  const InfGraphNode *gn = &task->scheduler->graph->nodes[task->node];
  g_autofree char *origin = inf_plugin_log_describe_module(gn->module);
  return g_strdup_printf("node '%s' (%s)", gn->id, origin);
}

/* --- the ready heaps (inf/heap.h) --- */

/* The order of ReadyEntry: the heap's compare function. */
static gint
entry_compare(gconstpointer pa, gconstpointer pb)
{
  const ReadyEntry *a = pa, *b = pb;
  if (a->priority != b->priority)
    return a->priority < b->priority ? -1 : 1;
  if (a->input != b->input)
    return a->input < b->input ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* --- set-up --- */

InfScheduler *
inf_scheduler_new(InfGraph *graph, InfResourceManager *resources, const InfSchedulerConfig *config,
                  GError **error)
{
  g_autofree guint *node_lane = g_new0(guint, graph->n_nodes);
  GPtrArray *aliases = g_ptr_array_new();
  g_ptr_array_add(aliases, NULL); /* lane 0: local nodes */
  for (guint i = graph->n_inputs; i < graph->n_nodes; i++) {
    const InfGraphNode *gn = &graph->nodes[i];
    if (gn->kind == INF_GRAPH_NODE_SWITCH)
      continue; /* decided by the execution state, never dispatched */
    const InfModuleClass *klass = inf_module_get_class(gn->module);
    if (!inf_module_get_execute_func(gn->module)) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "node '%s': module class '%s' cannot run as a node (it has no execute)", gn->id,
                  klass->name);
      g_ptr_array_unref(aliases);
      return NULL;
    }
    if (!gn->alias)
      continue;
    InfResourceAlias *alias = resources ? inf_resource_manager_lookup(resources, gn->alias) : NULL;
    if (!alias) {
      g_set_error(error, INF_ERROR, INF_ERROR_CONFIG,
                  "node '%s' uses alias '%s', which no resources endpoint defines", gn->id,
                  gn->alias);
      g_ptr_array_unref(aliases);
      return NULL;
    }
    guint lane;
    if (!g_ptr_array_find(aliases, alias, &lane)) {
      lane = aliases->len;
      g_ptr_array_add(aliases, alias);
    }
    node_lane[i] = lane;
  }
  InfScheduler *s = g_new0(InfScheduler, 1);
  s->graph = inf_graph_ref(graph);
  s->resources = resources;
  s->max_concurrent = config && config->max_concurrent > 0 ? config->max_concurrent : G_MAXINT;
  s->max_inflight = config && config->max_inflight > 0 ? (guint)config->max_inflight : 1024;
  s->override_seq = -1;
  s->states = g_hash_table_new(g_direct_hash, g_direct_equal);
  s->node_lane = g_steal_pointer(&node_lane);
  s->n_lanes = aliases->len;
  s->lanes = g_new0(Lane, s->n_lanes);
  for (guint i = 0; i < s->n_lanes; i++) {
    s->lanes[i].scheduler = s;
    s->lanes[i].alias = g_ptr_array_index(aliases, i);
    s->lanes[i].heap = g_array_sized_new(FALSE, FALSE, sizeof(ReadyEntry), 1024);
  }
  g_ptr_array_unref(aliases);
  return s;
}

static void task_stop(InfTask *task);
static void task_cancel_call(InfTask *task, const char *reason, gboolean even_joined);

void
inf_scheduler_free(InfScheduler *s)
{
  if (!s)
    return;
  for (guint i = 0; i < s->n_lanes; i++) {
    Lane *lane = &s->lanes[i];
    for (guint j = 0; j < lane->heap->len; j++)
      inf_exec_state_unref(g_array_index(lane->heap, ReadyEntry, j).state);
    g_array_unref(lane->heap);
    if (lane->wake) {
      g_source_destroy(lane->wake);
      g_source_unref(lane->wake);
    }
  }
  /* LLM calls still in flight (the scheduler goes before the resource
   * manager): cancelled, and their tasks, ended here, retired. */
  for (GList *l = s->live_tasks.head, *next; l; l = next) {
    next = l->next;
    InfTask *task = l->data;
    if (!task->call)
      continue;
    if (task->phase == TASK_RUNNING) {
      task_stop(task);
      task->phase = TASK_ABANDONED;
    }
    task_cancel_call(task, "the run ended", TRUE);
  }
  InfTask *t;
  while ((t = queue_pop(&s->free_tasks)) != NULL)
    task_free(t);
  /* Tasks their modules never returned (a run stopped by a second signal or
   * a failed write, a node that timed out): what the engine holds for them
   * goes, and the task stays known until the plugin is unloaded. */
  while ((t = queue_pop(&s->live_tasks)) != NULL)
    task_orphan(s, t);
  g_free(s->misuse_reported);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init(&iter, s->states);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    inf_exec_state_unref(key);
  g_hash_table_unref(s->states);
  if (s->slot_wait)
    inf_resource_manager_cancel_slot_wait(s->resources, s->slot_wait);
  g_clear_error(&s->wait_error);
  g_free(s->lanes);
  g_free(s->node_lane);
  inf_node_trace_free(s->trace);
  inf_graph_unref(s->graph);
  g_free(s);
}

void
inf_scheduler_set_callbacks(InfScheduler *s, const InfSchedulerCallbacks *callbacks,
                            gpointer user_data)
{
  s->callbacks = callbacks ? *callbacks : (InfSchedulerCallbacks){ 0 };
  s->user_data = user_data;
}

gboolean
inf_scheduler_is_halted(const InfScheduler *s)
{
  return s->llm_halted;
}

guint
inf_scheduler_get_inputs_in_flight(const InfScheduler *s)
{
  return s->n_states;
}

gint
inf_scheduler_get_running(const InfScheduler *s)
{
  return s->running;
}

guint64
inf_scheduler_get_executed(const InfScheduler *s)
{
  return s->executed;
}

guint64
inf_scheduler_get_requeued(const InfScheduler *s)
{
  return s->requeued;
}

void
inf_scheduler_set_trace(InfScheduler *s, InfTraceWriter *writer)
{
  g_return_if_fail(s->trace == NULL && s->running == 0);
  if (!writer)
    return;
  s->trace = inf_node_trace_new(writer, s->resources, s->graph);
  for (guint i = 0; i < s->n_lanes; i++)
    s->lanes[i].trace_pid = inf_node_trace_add_lane(s->trace, s->lanes[i].alias);
  inf_node_trace_sample(s->trace, s->n_states, s->running, TRUE);
}

void
inf_scheduler_finish_trace(InfScheduler *s)
{
  if (s->trace)
    inf_node_trace_finish(s->trace, s->n_states, s->running);
}

void
inf_scheduler_stop(InfScheduler *s)
{
  s->stopped = TRUE;
}

static void check_state_done(InfScheduler *s, InfExecState *state);

void
inf_scheduler_cancel_all(InfScheduler *s, const GError *error)
{
  s->stopped = TRUE;
  guint n = 0;
  g_autofree gpointer *states = g_hash_table_get_keys_as_array(s->states, &n);
  for (guint i = 0; i < n; i++) {
    inf_exec_state_cancel_all(states[i], error);
    check_state_done(s, states[i]);
  }
}

/* Fails the pending entries of @lane that wait on a rate limit: all of them
 * when @all (the alias is held back by its server), else those requeued
 * after a 429. */
static void
lane_end_waits(InfScheduler *s, Lane *lane, gboolean all)
{
  GPtrArray *ended = g_ptr_array_new();
  GArray *nodes = g_array_new(FALSE, FALSE, sizeof(guint));
  {
    GArray *heap = lane->heap;
    GArray *kept = g_array_sized_new(FALSE, FALSE, sizeof(ReadyEntry), heap->len);
    for (guint j = 0; j < heap->len; j++) {
      ReadyEntry *e = &g_array_index(heap, ReadyEntry, j);
      if (e->state->status[e->node] == INF_NODE_PENDING &&
          (all || inf_exec_state_was_rate_limited(e->state, e->node))) {
        g_ptr_array_add(ended, e->state); /* the entry's reference */
        g_array_append_val(nodes, e->node);
      } else {
        inf_heap_push(kept, e, entry_compare);
      }
    }
    g_array_unref(heap);
    lane->heap = kept;
  }
  for (guint i = 0; i < ended->len; i++) {
    InfExecState *state = g_ptr_array_index(ended, i);
    inf_exec_state_fail(state, g_array_index(nodes, guint, i), s->wait_error);
    check_state_done(s, state);
    inf_exec_state_unref(state);
  }
  g_ptr_array_unref(ended);
  g_array_unref(nodes);
}

/* After end_waits: lanes whose alias is held back by its server end the
 * waits of all their pending nodes. */
static void
end_blocked_lanes(InfScheduler *s)
{
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < s->n_lanes; i++) {
    Lane *lane = &s->lanes[i];
    if (lane->alias && lane->heap->len && inf_resource_alias_is_blocked(lane->alias, now))
      lane_end_waits(s, lane, TRUE);
  }
}

void
inf_scheduler_end_waits(InfScheduler *s, const GError *error)
{
  if (s->no_waits)
    return;
  s->no_waits = TRUE;
  s->wait_error = g_error_copy(error);
  for (guint i = 0; i < s->n_lanes; i++)
    lane_end_waits(s, &s->lanes[i], FALSE);
  inf_scheduler_pump(s);
}

/* --- readiness and completion --- */

static void
on_node_ready(InfExecState *state, guint node, gpointer user_data)
{
  InfScheduler *s = user_data;
  ReadyEntry entry = {
    .priority = s->graph->nodes[node].priority,
    .attempt = s->override_attempt,
    .input = state->index,
    .seq = s->override_seq >= 0 ? (guint64)s->override_seq : s->seq++,
    .state = inf_exec_state_ref(state),
    .node = node,
  };
  inf_heap_push(s->lanes[s->node_lane[node]].heap, &entry, entry_compare);
}

static void
check_state_done(InfScheduler *s, InfExecState *state)
{
  if (!inf_exec_state_is_done(state) || state->reported)
    return;
  state->reported = TRUE;
  s->n_states--;
  g_hash_table_remove(s->states, state);
  if (s->callbacks.done)
    s->callbacks.done(s, state, s->user_data);
  inf_exec_state_unref(state);
}

void
inf_scheduler_add_input(InfScheduler *s, InfExecState *state)
{
  inf_exec_state_ref(state);
  s->n_states++;
  g_hash_table_add(s->states, state);
  inf_exec_state_start(state, on_node_ready, s);
  check_state_done(s, state);
}

/* Ends the engine's side of a running task: its timer, its endpoint slot,
 * its place among the running. The module may still hold it. */
static void
task_stop(InfTask *task)
{
  InfScheduler *s = task->scheduler;
  task_clear_timer(task);
  if (task->endpoint && !task->slot_released)
    inf_resource_alias_release(task_alias(task), task->endpoint);
  task->slot_released = TRUE;
  s->running--;
}

/* The module is done with the task: its arguments and input go, and the
 * task waits in the free list (see TASK_QUARANTINE). */
static void
task_retire(InfTask *task)
{
  InfScheduler *s = task->scheduler;
  task_clear_args(task);
  InfExecState *state = task->state;
  task->state = NULL;
  task->phase = TASK_RETIRED;
  g_queue_unlink(&s->live_tasks, &task->link);
  g_queue_push_tail_link(&s->free_tasks, &task->link);
  inf_exec_state_unref(state);
}

static void
task_release(InfTask *task)
{
  task_stop(task);
  task_retire(task);
}

/* A finished task of @task's node was used again (@what): reported once per
 * node, through the host's log. */
static void
task_report_misuse(InfTask *task, const char *what)
{
  InfScheduler *s = task->scheduler;
  if (task->phase == TASK_ORPHAN) {
    if (!task->orphan_reported)
      inf_log_emit(INF_LOG_WARNING, task->u.orphan.context,
                   "%s after the run that gave out the task ended; ignored", what);
    task->orphan_reported = TRUE;
    return;
  }
  if (!s->misuse_reported)
    s->misuse_reported = g_new0(guint8, s->graph->n_nodes);
  if (s->misuse_reported[task->node])
    return;
  s->misuse_reported[task->node] = TRUE;
  inf_log_task(task, INF_LOG_WARNING,
               "%s after the task was finished; ignored (a module finishes each task exactly "
               "once, and must not touch it afterwards)",
               what);
}

/* Whether a return (@what) may finish @task. A task the engine abandoned
 * (its timeout) gets the return it was owed: dropped, and the task retired.
 * A retired one is misused: reported. */
static gboolean
task_accept_return(InfTask *task, const char *what)
{
  if (task->phase == TASK_RUNNING)
    return TRUE;
  if (task->phase == TASK_ABANDONED) {
    inf_log_task(task, INF_LOG_DEBUG, "%s after the node timed out; dropped", what);
    task_retire(task);
    return FALSE;
  }
  task_report_misuse(task, what);
  return FALSE;
}

static void
trace_end(InfScheduler *s, InfTask *task, const char *status, const GError *error)
{
  if (task->state->status[task->node] == INF_NODE_CANCELLED)
    status = "cancelled"; /* a late result, dropped */
  inf_node_trace_end(s->trace, &task->side->span, task->node, task->state->index, task->attempt,
                     status, error);
}

/* Cancels the upstream LLM call @task has in flight, if any (@reason says
 * why): its request stops, an in-process client is told, and llm_done runs
 * now with the cancellation. A call whose reply identical calls joined (the
 * response cache) goes on for them, unless @even_joined. */
static void
task_cancel_call(InfTask *task, const char *reason, gboolean even_joined)
{
  if (!task->call)
    return;
  InfResponseCache *cache = inf_resource_manager_get_cache(task->scheduler->resources);
  if (task->cache_role == CACHE_LEADER && !even_joined &&
      inf_response_cache_has_joined(cache, &task->side->cache_key))
    return;
  inf_llm_call_cancel(task->call, reason);
}

/* The node of @task ends with @value or @error (taken). Its module is done
 * with the task, which is retired; or, when @abandon (its timeout, or the
 * grace after an interruption), the engine ends a node its module has not
 * finished: the node fails, its LLM call in flight is cancelled, and the
 * task waits for the return the module owes. */
static void
task_end_node(InfTask *task, InfValue *value, GError *error, gboolean abandon)
{
  InfScheduler *s = task->scheduler;
  InfExecState *state = inf_exec_state_ref(task->state);
  guint node = task->node;
  if (s->trace)
    trace_end(s, task, abandon ? "timeout" : error ? "failed" : "ok", error);
  if (abandon) {
    task_stop(task);
    task->phase = TASK_ABANDONED;
    task_cancel_call(task,
                     g_error_matches(error, INF_ERROR, INF_ERROR_TIMEOUT)
                         ? "its node timed out"
                         : "its node was cancelled",
                     FALSE);
  } else {
    task_release(task);
  }
  s->executed++;
  if (error) {
    inf_exec_state_fail(state, node, error);
    g_error_free(error);
  } else {
    inf_exec_state_complete(state, node, value);
  }
  check_state_done(s, state);
  inf_exec_state_unref(state);
  if (s->trace)
    inf_node_trace_sample(s->trace, s->n_states, s->running, FALSE);
  inf_scheduler_pump(s);
}

static void
task_finish(InfTask *task, InfValue *value, GError *error)
{
  task_end_node(task, value, error, FALSE);
}

/* The task's timer ran out: the node fails (the module's timeout, or the
 * grace after an interruption). */
static gboolean
task_timer_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  (void)callback;
  (void)user_data;
  InfTask *task = ((TaskTimer *)source)->task;
  gboolean drain = ((TaskTimer *)source)->drain;
  g_clear_pointer(&task->side->timer, g_source_unref);
  InfModule *module = inf_task_get_module(task);
  g_autofree char *origin = inf_plugin_log_describe_module(module);
  GError *error;
  if (drain) {
    error = g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                        "node '%s' (%s): no result when the run's interruption grace ended; "
                        "cancelled",
                        inf_task_get_node_id(task), origin);
  } else {
    g_autofree char *limit = inf_format_duration_us(inf_module_get_timeout_us(module));
    error = g_error_new(INF_ERROR, INF_ERROR_TIMEOUT,
                        "node '%s' (%s): no result after %s (the module's timeout)",
                        inf_task_get_node_id(task), origin, limit);
  }
  inf_log_task(task, INF_LOG_DEBUG, "%s", error->message);
  task_end_node(task, NULL, error, TRUE);
  return G_SOURCE_REMOVE;
}

static GSourceFuncs task_timer_funcs = {
  .dispatch = task_timer_dispatch,
};

/* Arms @task's timer for @deadline (monotonic µs). */
static void
task_arm_timer(InfTask *task, gint64 deadline, gboolean drain)
{
  task_clear_timer(task);
  GSource *source = g_source_new(&task_timer_funcs, sizeof(TaskTimer));
  ((TaskTimer *)source)->task = task;
  ((TaskTimer *)source)->drain = drain;
  g_source_set_ready_time(source, deadline);
  g_source_attach(source, NULL);
  task_side(task)->timer = source;
}

/* The timer a task gets when it starts: its module's timeout, or the grace
 * left after an interruption (local nodes), whichever ends first. */
static void
task_start_timer(InfScheduler *s, InfTask *task, InfModule *module, gint64 now)
{
  gint64 timeout = inf_module_get_timeout_us(module);
  gint64 deadline = timeout > 0 ? now + timeout : 0;
  gboolean drain = FALSE;
  if (s->drain_deadline > 0 && !task_alias(task) &&
      (deadline == 0 || s->drain_deadline < deadline)) {
    deadline = s->drain_deadline;
    drain = TRUE;
  }
  if (deadline > 0)
    task_arm_timer(task, deadline, drain);
}

void
inf_scheduler_drain(InfScheduler *s, gint64 grace_us)
{
  if (s->drain_deadline > 0)
    return;
  s->drain_deadline = g_get_monotonic_time() + grace_us;
  for (GList *l = s->live_tasks.head; l; l = l->next) {
    InfTask *task = l->data;
    if (task->phase != TASK_RUNNING || task_alias(task))
      continue;
    /* A timer now is the module's timeout: kept when it ends first. */
    GSource *timer = task->side ? task->side->timer : NULL;
    if (timer && g_source_get_ready_time(timer) <= s->drain_deadline)
      continue;
    task_arm_timer(task, s->drain_deadline, TRUE);
  }
}

/* --- dispatch --- */

static gboolean
wake_cb(gpointer data)
{
  Lane *lane = data;
  g_source_unref(lane->wake);
  lane->wake = NULL;
  inf_scheduler_pump(lane->scheduler);
  return G_SOURCE_REMOVE;
}

static void
slot_freed(gboolean cancelled, gpointer data)
{
  InfScheduler *s = data;
  s->slot_wait = 0;
  if (!cancelled)
    inf_scheduler_pump(s);
}

/* Every endpoint of a lane's alias is busy: pump again when any slot is given
 * back, also by a call from outside this scheduler (a loss, an optimizer
 * step, another scheduler), which would not end one of our tasks. */
static void
scheduler_wait_slot(InfScheduler *s)
{
  if (!s->slot_wait)
    s->slot_wait = inf_resource_manager_wait_slot(s->resources, slot_freed, s);
}

static void
lane_arm_wake(Lane *lane, gint64 wait_us)
{
  if (lane->wake)
    return;
  /* Round up to whole ms: waking early would only find the bucket empty. */
  lane->wake = g_timeout_source_new((guint)((wait_us + 999) / 1000));
  g_source_set_callback(lane->wake, wake_cb, lane, NULL);
  g_source_attach(lane->wake, NULL);
}

static void
dispatch(InfScheduler *s, Lane *lane, ReadyEntry entry, gint64 now)
{
  InfExecState *state = entry.state; /* the entry's reference moves to the task */
  guint node = entry.node;
  const InfGraphNode *gn = &s->graph->nodes[node];
  InfValue *known = s->callbacks.restore ? s->callbacks.restore(state, node, s->user_data) : NULL;
  if (known) {
    /* Completed in an earlier run: no call, no slot. */
    lane->candidate = NULL;
    inf_exec_state_mark_running(state, node);
    inf_exec_state_complete(state, node, known);
    check_state_done(s, state);
    inf_exec_state_unref(state);
    return;
  }
  InfTask *task =
      s->free_tasks.length > TASK_QUARANTINE ? queue_pop(&s->free_tasks) : g_new0(InfTask, 1);
  *task = (InfTask){
    .scheduler = s,
    .state = state,
    .endpoint = lane->candidate,
    .seq = entry.seq,
    .node = node,
    .attempt = entry.attempt + 1,
    .n_args = gn->n_args,
    .phase = TASK_RUNNING,
    .side = task->side, /* kept from the task's earlier use */
    .link.data = task,
  };
  g_queue_push_tail_link(&s->live_tasks, &task->link);
  if (gn->n_args > TASK_INLINE_ARGS)
    task->u.heap_args = g_new(InfValue *, gn->n_args);
  if (task->endpoint)
    inf_resource_alias_reserve(lane->alias, task->endpoint, now);
  lane->candidate = NULL;
  s->running++;
  inf_exec_state_mark_running(state, node);
  if (s->trace) {
    inf_node_trace_begin(s->trace, &task_side(task)->span, lane->trace_pid, state->index);
    inf_node_trace_sample(s->trace, s->n_states, s->running, FALSE);
  }
  GError *error = NULL;
  if (!inf_exec_state_resolve_args(state, node, task_args(task), &error)) {
    memset(task_args(task), 0, gn->n_args * sizeof(InfValue *)); /* none to give back */
    task_finish(task, NULL, error);
    return;
  }
  task_start_timer(s, task, gn->module, now);
  inf_module_get_execute_func(gn->module)(gn->module, task);
}

static inline gboolean
entry_is_live(const ReadyEntry *e)
{
  return e->state->status[e->node] == INF_NODE_PENDING;
}

void
inf_scheduler_pump(InfScheduler *s)
{
  if (s->pumping)
    return; /* the running pump loops again */
  s->pumping = TRUE;
  if (s->no_waits)
    end_blocked_lanes(s);
  for (;;) {
    while (!s->stopped && !s->llm_halted && s->callbacks.feed && s->n_states < s->max_inflight)
      if (!s->callbacks.feed(s, s->user_data))
        break;
    if (s->stopped || s->running >= s->max_concurrent)
      break;
    Lane *best = NULL;
    gint64 now = 0;
    for (guint i = 0; i < s->n_lanes; i++) {
      Lane *lane = &s->lanes[i];
      GArray *heap = lane->heap;
      while (heap->len && !entry_is_live(&g_array_index(heap, ReadyEntry, 0))) {
        ReadyEntry stale;
        inf_heap_pop(heap, &stale, entry_compare);
        inf_exec_state_unref(stale.state);
      }
      if (!heap->len || (lane->alias && s->llm_halted))
        continue;
      if (best && entry_compare(&g_array_index(heap, ReadyEntry, 0),
                                &g_array_index(best->heap, ReadyEntry, 0)) >= 0)
        continue;
      if (lane->alias) {
        gint64 wait = 0;
        if (!now)
          now = g_get_monotonic_time();
        lane->candidate = inf_resource_alias_pick(lane->alias, now, &wait);
        if (!lane->candidate) {
          if (wait > 0)
            lane_arm_wake(lane, wait);
          else
            scheduler_wait_slot(s);
          continue;
        }
      }
      best = lane;
    }
    if (!best)
      break;
    /* Stale states found above may have finished their input. */
    ReadyEntry entry;
    inf_heap_pop(best->heap, &entry, entry_compare);
    dispatch(s, best, entry, now ? now : g_get_monotonic_time());
  }
  s->pumping = FALSE;
  if (s->llm_halted && s->running == 0 && !s->halt_reported && !s->stopped) {
    s->halt_reported = TRUE;
    if (s->callbacks.halted)
      s->callbacks.halted(s, s->user_data);
  }
}

/* --- InfTask (SDK) --- */

InfModule *
inf_task_get_module(const InfTask *task)
{
  g_return_val_if_fail(task != NULL, NULL);
  if (task->phase == TASK_ORPHAN)
    return NULL;
  return task->scheduler->graph->nodes[task->node].module;
}

const char *
inf_task_get_node_id(const InfTask *task)
{
  g_return_val_if_fail(task != NULL, NULL);
  if (task->phase == TASK_ORPHAN)
    return task->u.orphan.node_id;
  return task->scheduler->graph->nodes[task->node].id;
}

/* Whether @task may still be read: not retired (else reported). */
static gboolean
task_is_usable(const InfTask *task, const char *what)
{
  if (task->phase != TASK_RETIRED && task->phase != TASK_ORPHAN)
    return TRUE;
  task_report_misuse((InfTask *)task, what);
  return FALSE;
}

guint64
inf_task_get_input_index(const InfTask *task)
{
  g_return_val_if_fail(task != NULL, 0);
  if (!task_is_usable(task, "inf_task_get_input_index() was called"))
    return 0;
  return task->state->index;
}

guint
inf_task_get_n_args(const InfTask *task)
{
  return task->n_args;
}

InfValue *
inf_task_get_arg(const InfTask *task, guint index)
{
  g_return_val_if_fail(task != NULL, NULL);
  if (!task_is_usable(task, "inf_task_get_arg() was called"))
    return NULL;
  g_return_val_if_fail(index < task->n_args, NULL);
  return task_args((InfTask *)task)[index];
}

const char *
inf_task_get_arg_name(const InfTask *task, guint index)
{
  g_return_val_if_fail(task != NULL, NULL);
  if (!task_is_usable(task, "inf_task_get_arg_name() was called"))
    return NULL;
  g_return_val_if_fail(index < task->n_args, NULL);
  return task->scheduler->graph->nodes[task->node].args[index].name;
}

InfValue *
inf_task_lookup_arg(const InfTask *task, const char *name)
{
  g_return_val_if_fail(task != NULL && name != NULL, NULL);
  if (!task_is_usable(task, "inf_task_lookup_arg() was called"))
    return NULL;
  const InfGraphNode *gn = &task->scheduler->graph->nodes[task->node];
  for (guint i = 0; i < task->n_args; i++)
    if (gn->args[i].name && g_str_equal(gn->args[i].name, name))
      return task_args((InfTask *)task)[i];
  return NULL;
}

void
inf_task_return_value(InfTask *task, InfValue *value)
{
  g_return_if_fail(task != NULL);
  if (!task_accept_return(task, "a value was returned")) {
    if (value)
      inf_value_unref(value);
    return;
  }
  if (!value)
    value = inf_value_new_null();
  task_finish(task, value, NULL);
}

void
inf_task_return_error(InfTask *task, GError *error)
{
  g_return_if_fail(task != NULL);
  if (!task_accept_return(task, "an error was returned")) {
    if (error)
      g_error_free(error);
    return;
  }
  if (!error)
    error = g_error_new(INF_ERROR, INF_ERROR_FAILED, "node failed without an error message");
  task_finish(task, NULL, error);
}

void
inf_task_return_new_error(InfTask *task, InfErrorCode code, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  GError *error = g_error_new_valist(INF_ERROR, code, format, args);
  va_end(args);
  inf_task_return_error(task, error);
}

/* A 429 ends the node instead of requeueing it when the node has waited on
 * rate limits for the endpoint's max_rate_limit_wait since its first 429, or
 * when waits were ended (a signal); NULL: requeue. */
static GError *
rate_limit_final_error(InfTask *task, const GError *error)
{
  InfScheduler *s = task->scheduler;
  const char *alias = inf_resource_alias_get_name(task_alias(task));
  gint64 now = g_get_monotonic_time();
  gint64 since = inf_exec_state_mark_rate_limited(task->state, task->node, now);
  gint64 max_wait = inf_resource_endpoint_get_max_rate_limit_wait_us(task->endpoint);
  if (s->no_waits)
    return g_error_new(INF_ERROR, INF_ERROR_CANCELLED,
                       "alias '%s': rate limited, not waiting: the run was interrupted (last: %s)",
                       alias, error->message);
  if (now - since < max_wait)
    return NULL;
  g_autofree char *limit = inf_format_duration_us(max_wait);
  return g_error_new(INF_ERROR, INF_ERROR_RATE_LIMITED,
                     "alias '%s': rate limited for %s (last: %s)", alias, limit, error->message);
}

static void
llm_attempt(gpointer user_data, const InfLlmAttempt *attempt)
{
  InfTask *task = user_data;
  inf_node_trace_attempt(task->scheduler->trace, &task->side->span, attempt, task->state->index,
                         task->node);
}

static void
llm_finish(InfTask *task, const InfLlmResponse *response, const GError *error)
{
  InfScheduler *s = task->scheduler;
  if (task->phase == TASK_ABANDONED && error) {
    /* The node timed out before its call ended: nothing to finish. */
    task_retire(task);
    return;
  }
  if (!error) {
    task->llm_callback(task, response, task->llm_data);
    return;
  }
  if (g_error_matches(error, INF_ERROR, INF_ERROR_RATE_LIMITED)) {
    GError *final = rate_limit_final_error(task, error);
    if (final) {
      /* The call failed for good: counted like any other final failure. */
      inf_resource_alias_get_metrics(task_alias(task))->failures++;
      task_finish(task, NULL, final);
      return;
    }
  }
  gboolean refused = g_error_matches(error, INF_BUDGET_ERROR, INF_BUDGET_ERROR_EXHAUSTED);
  if ((refused || g_error_matches(error, INF_ERROR, INF_ERROR_RATE_LIMITED)) && !s->stopped) {
    /* Requeue: back to pending at its old place; not a failure. A call the
     * budget refused stays pending: LLM dispatch ends, local nodes and
     * calls in flight finish, then the halted callback runs. */
    InfExecState *state = inf_exec_state_ref(task->state);
    guint node = task->node;
    guint64 seq = task->seq;
    guint attempt = task->attempt;
    if (s->trace)
      trace_end(s, task, refused ? "refused" : "rate_limited", error);
    task_release(task);
    if (refused)
      s->llm_halted = TRUE;
    else
      s->requeued++;
    s->override_seq = (gint64)seq;
    s->override_attempt = attempt;
    inf_exec_state_requeue(state, node);
    s->override_seq = -1;
    s->override_attempt = 0;
    inf_exec_state_unref(state);
    inf_scheduler_pump(s);
    return;
  }
  task_finish(task, NULL, g_error_copy(error));
}

static void
llm_done(const InfLlmResponse *response, const GError *error, gpointer user_data)
{
  InfTask *task = user_data;
  task->call = NULL; /* freed after this returns */
  if (task->cache_role != CACHE_LEADER) {
    llm_finish(task, response, error);
    return;
  }
  /* The module sees the reply first: one it rejects is not stored. */
  InfResponseCache *cache = inf_resource_manager_get_cache(task->scheduler->resources);
  InfCacheKey key = task->side->cache_key;
  InfExecState *state = inf_exec_state_ref(task->state);
  guint node = task->node;
  llm_finish(task, response, error);
  inf_response_cache_finish(cache, &key, response, error, state->status[node] != INF_NODE_FAILED);
  inf_exec_state_unref(state);
}

/* Through the response cache: TRUE when the cache answers (a hit, or an
 * identical call in flight), so nothing is sent and the slot and rate token
 * go back; FALSE when this call must go upstream. */
static gboolean
call_cached(InfTask *task, InfResponseCache *cache, const InfLlmRequest *request)
{
  const InfEndpointConfig *config = inf_resource_endpoint_get_config(task->endpoint);
  TaskSide *side = task_side(task);
  inf_response_cache_make_key(cache, config, request, &side->cache_key);
  side->cache_key.sample =
      inf_exec_state_sample_index(task->state, task->node, side->cache_key.digest);
  InfResourceAlias *alias = task_alias(task);
  if (inf_response_cache_begin(cache, &side->cache_key, inf_resource_alias_get_metrics(alias),
                               config, llm_done, task) == INF_CACHE_MISS) {
    task->cache_role = CACHE_LEADER;
    return FALSE;
  }
  task->cache_role = CACHE_SERVED;
  side->span.llm = TRUE; /* traced as an LLM node: cache_hit, 0 tokens, 0 cost */
  side->span.cache_hit = TRUE;
  if (!task->slot_released)
    inf_resource_alias_unreserve(alias, task->endpoint);
  task->slot_released = TRUE;
  return TRUE;
}

void
inf_task_call_llm(InfTask *task, InfLlmRequest *request, InfLlmCallback callback,
                  gpointer user_data)
{
  g_return_if_fail(task != NULL && request != NULL && callback != NULL);
  if (task->phase != TASK_RUNNING) {
    /* Abandoned: the engine finishes it here, as on a final error. */
    inf_llm_request_unref(request);
    task_accept_return(task, "inf_task_call_llm() was called");
    return;
  }
  if (!task->endpoint) {
    inf_llm_request_unref(request);
    inf_task_return_new_error(task, INF_ERROR_CONFIG,
                              "node '%s' called an LLM, but its module class '%s' declares no "
                              "resource_alias",
                              inf_task_get_node_id(task),
                              inf_module_get_class(inf_task_get_module(task))->name);
    return;
  }
  task->llm_callback = callback;
  task->llm_data = user_data;
  task->cache_role = CACHE_NONE;
  InfResponseCache *cache = inf_resource_manager_get_cache(task->scheduler->resources);
  if (!cache || !inf_llm_request_get_cacheable(request) || !call_cached(task, cache, request)) {
    if (task->slot_released) {
      /* A second call (a repair) of a node the cache answered first: it
       * takes its slot back. */
      inf_resource_alias_reserve(task_alias(task), task->endpoint, g_get_monotonic_time());
      task->slot_released = FALSE;
    }
    inf_resource_manager_send_observed(task->scheduler->resources, task->endpoint, request,
                                       llm_done, task->scheduler->trace ? llm_attempt : NULL, task,
                                       &task->call);
  }
  inf_llm_request_unref(request);
}
