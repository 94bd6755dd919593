/* InfBatch: the progress line (done/total, rate, in flight, errors, tokens,
 * cost, ETA) on stderr while the run goes, and the summary line at its end. */
#include "exec/batch-private.h"
#include "resources/metrics.h"

static void
format_duration(GString *out, double seconds)
{
  if (seconds < 0 || seconds > 1e7) {
    g_string_append(out, "?");
    return;
  }
  guint64 s = (guint64)(seconds + 0.5);
  if (s >= 3600)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "h%02" G_GUINT64_FORMAT "m", s / 3600,
                           (s / 60) % 60);
  else if (s >= 60)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "m%02" G_GUINT64_FORMAT "s", s / 60, s % 60);
  else
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "s", s);
}

static char *
progress_text(InfBatch *batch)
{
  double elapsed = (double)(g_get_monotonic_time() - batch->start_us) / 1e6;
  double rate = elapsed > 0 ? (double)batch->done / elapsed : 0;
  gint64 tokens = 0;
  double cost = 0;
  for (guint i = 0; batch->resources && i < inf_resource_manager_get_n_aliases(batch->resources);
       i++) {
    InfMetrics *m =
        inf_resource_alias_get_metrics(inf_resource_manager_get_alias(batch->resources, i));
    tokens = inf_tokens_add(tokens, inf_tokens_add(m->input_tokens, m->output_tokens));
    cost += m->cost;
  }
  GString *s = g_string_new(NULL);
  /* Inputs finished in an earlier run count as done. */
  guint64 done =
      batch->done + (batch->checkpoint ? inf_checkpoint_get_resumed(batch->checkpoint) : 0);
  if (batch->config.total_inputs >= 0)
    g_string_append_printf(s, "%" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT " done", done,
                           batch->config.total_inputs);
  else
    g_string_append_printf(s, "%" G_GUINT64_FORMAT " done", done);
  g_string_append_printf(
      s, ", %.1f/s, %u in flight, %" G_GUINT64_FORMAT " errors, %" G_GINT64_FORMAT " tokens, $%.4f",
      rate, inf_scheduler_get_inputs_in_flight(batch->scheduler), batch->failed, tokens, cost);
  if (batch->config.total_inputs >= 0 && rate > 0) {
    g_string_append(s, ", ETA ");
    format_duration(s, (double)((guint64)batch->config.total_inputs -
                                MIN(done, (guint64)batch->config.total_inputs)) /
                           rate);
  }
  return g_string_free(s, FALSE);
}

static gboolean
progress_cb(gpointer data)
{
  InfBatch *batch = data;
  g_autofree char *text = progress_text(batch);
  if (batch->config.tty_progress) {
    fprintf(stderr, "\r\033[K%s", text);
    batch->progress_drawn = TRUE;
  } else {
    fprintf(stderr, "progress: %s\n", text);
  }
  fflush(stderr);
  return G_SOURCE_CONTINUE;
}

/* Messages (inf/log.h) while the progress line is drawn on a terminal: the
 * line is cleared, the message written, and the line drawn again. */
static void
log_sink(InfLogLevel level, const char *line, gpointer user_data)
{
  (void)level;
  InfBatch *batch = user_data;
  if (!batch->progress_drawn) {
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    return;
  }
  fprintf(stderr, "\r\033[K%s\n", line);
  progress_cb(batch);
}

void
inf_batch_progress_start(InfBatch *batch)
{
  if (batch->config.quiet)
    return;
  guint interval = batch->config.tty_progress           ? 200
                   : batch->config.progress_interval_ms ? batch->config.progress_interval_ms
                                                        : 5000;
  batch->progress = g_timeout_source_new(interval);
  g_source_set_callback(batch->progress, progress_cb, batch, NULL);
  g_source_attach(batch->progress, NULL);
  if (batch->config.tty_progress) {
    inf_log_set_sink(log_sink, batch, &batch->old_sink, &batch->old_sink_data);
    batch->sink_installed = TRUE;
  }
}

void
inf_batch_progress_stop(InfBatch *batch)
{
  if (batch->progress) {
    g_source_destroy(batch->progress);
    g_clear_pointer(&batch->progress, g_source_unref);
  }
  if (batch->progress_drawn) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
  }
  batch->progress_drawn = FALSE;
  if (batch->sink_installed) {
    inf_log_set_sink(batch->old_sink, batch->old_sink_data, NULL, NULL);
    batch->sink_installed = FALSE;
  }
}

void
inf_batch_print_summary(InfBatch *batch)
{
  double elapsed = (double)(g_get_monotonic_time() - batch->start_us) / 1e6;
  g_autofree char *text = progress_text(batch);
  const char *how = batch->signals                             ? "interrupted"
                    : batch->halted                            ? "stopped by the budget"
                    : inf_output_is_broken_pipe(batch->output) ? "stopped (the output was closed)"
                    : inf_output_get_error(batch->output) || batch->fatal ? "stopped"
                                                                          : "finished";
  GString *extra = g_string_new(NULL);
  if (batch->abandoned)
    g_string_append_printf(extra, ", %" G_GUINT64_FORMAT " not finished", batch->abandoned);
  if (batch->checkpoint && inf_checkpoint_get_resumed(batch->checkpoint))
    g_string_append_printf(extra,
                           ", %" G_GUINT64_FORMAT " done before (resumed), %" G_GUINT64_FORMAT
                           " node results restored",
                           inf_checkpoint_get_resumed(batch->checkpoint),
                           inf_checkpoint_get_restored_nodes(batch->checkpoint));
  else if (batch->checkpoint && inf_checkpoint_get_restored_nodes(batch->checkpoint))
    g_string_append_printf(extra, ", %" G_GUINT64_FORMAT " node results restored",
                           inf_checkpoint_get_restored_nodes(batch->checkpoint));
  fprintf(stderr,
          "%s: %" G_GUINT64_FORMAT " inputs (%" G_GUINT64_FORMAT " failed%s) in %.2fs; %s\n", how,
          batch->done, batch->failed, extra->str, elapsed, text);
  g_string_free(extra, TRUE);
}
