/* train-mpi-none.c — train-mpi.h without MPI: a job of one process. */
#include "train-mpi.h"

#include <stdlib.h>

void
train_mpi_init (int *argc, char ***argv)
{
}

void
train_mpi_finalize (void)
{
}

void
train_mpi_abort (int status)
{
  exit (status);
}

gboolean
train_mpi_compiled (void)
{
  return FALSE;
}

int
train_mpi_rank (void)
{
  return 0;
}

int
train_mpi_size (void)
{
  return 1;
}

int
train_mpi_local_rank (void)
{
  return 0;
}

int
train_mpi_local_size (void)
{
  return 1;
}

void
train_mpi_broadcast_u64 (guint64 *value)
{
}

gboolean
train_mpi_check_same (guint64 hash, int iteration, GError **error)
{
  return TRUE;
}

void
train_mpi_average_floats (float *values, gsize n)
{
}

void
train_mpi_average_doubles (double *values, int n)
{
}

gboolean
train_mpi_any (gboolean flag)
{
  return flag;
}

void
train_mpi_barrier (void)
{
}
