/* train-log.h — train_log.csv in the save folder (columns
 * iter,loss,content_loss,style_loss,lr,images_per_s; losses unweighted, as
 * VkaTrainLosses gives them), the points for loss.svg, and the progress line
 * on stderr (only when it is a terminal). */
#pragma once

#include "loss-plot.h"
#include "vka-train.h"

typedef struct TrainLog TrainLog;

/* Opens dir/train_log.csv. resume_iteration < 0 starts a new log; otherwise
 * the rows up to that iteration are kept (a resumed run continues the
 * file as if it had never stopped) and the rest dropped. style_weight
 * scales the style curve of the plot. */
TrainLog *train_log_open (const char *dir, int resume_iteration, double style_weight,
                          GError **error);
void      train_log_close (TrainLog *log);
gboolean  train_log_append (TrainLog *log, int iteration, const VkaTrainLosses *losses,
                            double images_per_s, GError **error);
/* dir/loss.svg from every row so far. */
gboolean  train_log_plot (TrainLog *log, GError **error);

/* "\r" + one line: iteration, losses, speed, ETA; when stderr is a terminal. */
void      train_progress (int iteration, int max_iter, const VkaTrainLosses *losses,
                          double images_per_s, double eta_s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrainLog, train_log_close)
