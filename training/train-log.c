/* train-log.c — see train-log.h. */
#include "train-log.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HEADER "iter,loss,content_loss,style_loss,lr,images_per_s\n"

struct TrainLog
{
  char   *csv, *svg;
  FILE   *file;
  double  style_weight;
  GArray *points;   /* LossPoint */
};

void
train_log_close (TrainLog *log)
{
  if (!log)
    return;
  if (log->file)
    fclose (log->file);
  g_free (log->csv);
  g_free (log->svg);
  g_array_unref (log->points);
  g_free (log);
}

/* Keeps the rows of an earlier run up to `upto` (rewritten atomically). */
static gboolean
keep_rows (TrainLog *log, int upto, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (log->csv, &text, NULL, NULL))
    return TRUE;   /* no log yet: a fresh one */
  g_autoptr (GString) kept = g_string_new (HEADER);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 1; lines[i]; i++)
    {
      LossPoint p;
      double lr, ips;
      int it;
      if (sscanf (lines[i], "%d,%lf,%lf,%lf,%lf,%lf", &it, &p.loss, &p.content, &p.style, &lr,
                  &ips) != 6 || it > upto)
        continue;
      p.iter = it;
      p.style *= log->style_weight;
      g_array_append_val (log->points, p);
      g_string_append_printf (kept, "%s\n", lines[i]);
    }
  return vka_file_write_atomic (log->csv, kept->str, kept->len, error);
}

TrainLog *
train_log_open (const char *dir, int resume_iteration, double style_weight, GError **error)
{
  g_autoptr (TrainLog) log = g_new0 (TrainLog, 1);
  log->csv = g_build_filename (dir, "train_log.csv", NULL);
  log->svg = g_build_filename (dir, "loss.svg", NULL);
  log->points = g_array_new (FALSE, FALSE, sizeof (LossPoint));
  log->style_weight = style_weight;
  if (resume_iteration >= 0 && !keep_rows (log, resume_iteration, error))
    return NULL;
  gboolean append = resume_iteration >= 0 && g_file_test (log->csv, G_FILE_TEST_EXISTS);
  log->file = g_fopen (log->csv, append ? "a" : "w");
  if (!log->file)
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", log->csv,
                   g_strerror (e));
      return NULL;
    }
  if (!append)
    fputs (HEADER, log->file);
  return g_steal_pointer (&log);
}

gboolean
train_log_append (TrainLog *log, int iteration, const VkaTrainLosses *l, double ips,
                  GError **error)
{
  /* %.9g: a float's value exactly, so runs can be compared row by row */
  fprintf (log->file, "%d,%.9g,%.9g,%.9g,%.9g,%.3f\n", iteration, l->loss, l->content,
           l->style, l->lr, ips);
  if (fflush (log->file) != 0 || ferror (log->file))
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", log->csv,
                   g_strerror (e));
      return FALSE;
    }
  LossPoint p = { iteration, l->loss, l->content, l->style * log->style_weight };
  g_array_append_val (log->points, p);
  return TRUE;
}

gboolean
train_log_plot (TrainLog *log, GError **error)
{
  return loss_plot_write_svg (log->svg, (const LossPoint *) log->points->data,
                              log->points->len, error);
}

void
train_progress (int iteration, int max_iter, const VkaTrainLosses *l, double ips,
                double eta_s)
{
  if (!isatty (STDERR_FILENO))
    return;
  int eta = (int) (eta_s + 0.5);
  g_printerr ("\r\033[Kiter %d/%d  loss %.4g (content %.4g, style %.4g)  %.2f img/s  "
              "ETA %dh%02dm%02ds", iteration, max_iter, l->loss, l->content, l->style, ips,
              eta / 3600, eta / 60 % 60, eta % 60);
}
