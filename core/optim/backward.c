/* The backward pass: from the loss feedback at the outputs back through one
 * input's recorded execution. */
#include "optim/backward.h"

#include <math.h>

static gboolean walk_source(gpointer data);

typedef struct {
  InfExecState *state;
  InfBackwardOptions options;
  double example_score;
  InfFeedback **feedback; /* per node; NULL: none reached it */
  gint next;              /* the next node to visit, downwards */
  guint n_errors;
  InfValue **args;
  guint n_args;
  InfBackward *ctx;
  InfBackwardPassDoneFunc done;
  gpointer done_data;
  gboolean visiting; /* inside a node's backward call (a synchronous finish) */
  gboolean node_finished;
} Pass;

static void
give(Pass *p, gint node, const InfFeedback *fb)
{
  if (node < 0 || !fb)
    return;
  if (!p->feedback[node])
    p->feedback[node] = inf_feedback_copy(fb);
  else
    inf_feedback_merge(p->feedback[node], fb);
}

static void
release_args(Pass *p)
{
  for (guint i = 0; i < p->n_args; i++)
    g_clear_pointer(&p->args[i], inf_value_unref);
  g_clear_pointer(&p->args, g_free);
  p->n_args = 0;
}

static void
pass_finish(Pass *p)
{
  InfGraph *graph = p->state->graph;
  for (guint i = 0; i < graph->n_nodes; i++)
    inf_feedback_free(p->feedback[i]);
  g_free(p->feedback);
  InfBackwardPassDoneFunc done = p->done;
  gpointer data = p->done_data;
  guint n_errors = p->n_errors;
  inf_exec_state_unref(p->state);
  g_free(p);
  done(n_errors, data);
}

static void
node_done(InfBackward *ctx, const GError *error, gpointer user_data)
{
  Pass *p = user_data;
  const InfGraphNode *n = &p->state->graph->nodes[p->next];
  if (error) {
    p->n_errors++;
  } else {
    for (guint i = 0; i < n->n_args; i++)
      give(p, n->args[i].source, inf_backward_get_arg_feedback(ctx, i));
  }
  p->node_finished = TRUE;
  if (!p->visiting)
    g_idle_add(walk_source, p); /* frees the context, goes on */
}

/* Visits nodes downwards until one finishes later (an asynchronous backward)
 * or the walk is over. */
static void
walk(Pass *p)
{
  InfGraph *graph = p->state->graph;
  for (; p->next >= (gint)graph->n_inputs; p->next--) {
    if (p->ctx) {
      inf_backward_free(p->ctx);
      p->ctx = NULL;
      release_args(p);
      continue;
    }
    guint node = (guint)p->next;
    const InfGraphNode *n = &graph->nodes[node];
    InfFeedback *fb = p->feedback[node];
    if (!fb || p->state->status[node] != INF_NODE_COMPLETED)
      continue;
    if (n->kind == INF_GRAPH_NODE_SWITCH) {
      gint taken = p->state->decided[n->switch_index];
      if (taken >= 0) {
        const InfGraphCase *c = &graph->switches[n->switch_index].cases[taken];
        for (guint i = 0; i < c->n_outputs; i++)
          give(p, c->outputs[i].source, fb);
      }
      continue;
    }
    if (n->kind != INF_GRAPH_NODE_MODULE || !n->module)
      continue;
    p->n_args = n->n_args;
    p->args = g_new0(InfValue *, MAX(n->n_args, 1));
    g_autoptr(GError) error = NULL;
    if (!inf_exec_state_resolve_args(p->state, node, p->args, &error)) {
      p->n_errors++;
      release_args(p);
      continue;
    }
    const char **names = g_newa(const char *, MAX(n->n_args, 1));
    for (guint i = 0; i < n->n_args; i++)
      names[i] = n->args[i].name;
    p->ctx = inf_backward_new(n->module, n->id, p->state->index, n->n_args, p->args, names,
                              p->state->results[node], fb, p->example_score, &p->options);
    p->node_finished = FALSE;
    p->visiting = TRUE;
    inf_backward_run(p->ctx, node_done, p);
    p->visiting = FALSE;
    if (!p->node_finished)
      return; /* resumed by walk_source once it finishes */
    inf_backward_free(p->ctx);
    p->ctx = NULL;
    release_args(p);
  }
  pass_finish(p);
}

static gboolean
walk_source(gpointer data)
{
  walk(data);
  return G_SOURCE_REMOVE;
}

void
inf_backward_pass(InfExecState *state, const InfFeedback *loss_feedback,
                  const InfBackwardOptions *options, InfBackwardPassDoneFunc done,
                  gpointer user_data)
{
  g_return_if_fail(state != NULL && loss_feedback != NULL && done != NULL);
  InfGraph *graph = state->graph;
  Pass *p = g_new0(Pass, 1);
  p->state = inf_exec_state_ref(state);
  if (options)
    p->options = *options;
  else
    p->options.pass_score = 1.0;
  p->example_score = inf_feedback_get_score(loss_feedback);
  p->feedback = g_new0(InfFeedback *, MAX(graph->n_nodes, 1));
  p->done = done;
  p->done_data = user_data;
  p->next = (gint)graph->n_nodes - 1;
  for (guint i = 0; i < graph->n_outputs; i++) {
    gint src = graph->outputs[i].source;
    if (src >= 0 && !p->feedback[src])
      p->feedback[src] = inf_feedback_copy(loss_feedback);
  }
  walk(p);
}
