/* trainer-fixtures.h — folders and generated pictures shared by the
 * trainer's end-to-end tests (test-trainer.c, test-trainer-mpi.c). */
#pragma once

#include <glib.h>

/* root/name, made (with parents); the caller frees it. */
char    *fixture_dir (const char *root, const char *name);
/* dir/name; the caller frees it. */
char    *fixture_path (const char *dir, const char *name);
gboolean fixture_exists (const char *dir, const char *name);
/* dir/name: smooth colour waves (content) or stripes (style), one per seed. */
void     fixture_picture (const char *dir, const char *name, int w, int h, int seed,
                          gboolean stripes);
/* Starts argv (stdout to /dev/null, stderr too when quiet), waits until
 * save/train_log.csv has logged iteration 3 (at most four minutes: CI under
 * ASan on a busy machine), sends signo and asserts a clean exit, status 0. */
void     fixture_signal_after_three_rows (GPtrArray *argv, const char *save, int signo,
                                          gboolean quiet);
