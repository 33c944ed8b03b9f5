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
