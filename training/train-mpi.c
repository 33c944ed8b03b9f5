/* train-mpi.c — train-mpi.h over MPI (Open MPI). A process started without
 * mpirun (no $OMPI_COMM_WORLD_SIZE, $PMIX_RANK or $PMI_RANK) does not call
 * MPI_Init at all: it is a job of one, as without MPI. */
#include "train-mpi.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* Gradients travel in pieces of at most this many floats, which bounds the
 * gather buffer (size × CHUNK floats) and keeps counts within int. */
enum { CHUNK = 1 << 22 };

static gboolean joined;
static int rank, size = 1, local_rank, local_size = 1;
static float *gathered;       /* size × CHUNK floats, kept between steps */

static int
env_int (const char *name, int fallback)
{
  const char *v = g_getenv (name);
  return v && *v ? atoi (v) : fallback;
}

void
train_mpi_init (int *argc, char ***argv)
{
  if (!g_getenv ("OMPI_COMM_WORLD_SIZE") && !g_getenv ("PMIX_RANK") && !g_getenv ("PMI_RANK"))
    return;
  MPI_Init (argc, argv);
  joined = TRUE;
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  /* the ranks on this machine: Open MPI says so; others through MPI-3 */
  local_rank = env_int ("OMPI_COMM_WORLD_LOCAL_RANK", -1);
  local_size = env_int ("OMPI_COMM_WORLD_LOCAL_SIZE", -1);
  if (local_rank < 0 || local_size < 1)
    {
      MPI_Comm node;
      MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
      MPI_Comm_rank (node, &local_rank);
      MPI_Comm_size (node, &local_size);
      MPI_Comm_free (&node);
    }
}

void
train_mpi_finalize (void)
{
  g_clear_pointer (&gathered, g_free);
  if (joined)
    MPI_Finalize ();
  joined = FALSE;
}

void
train_mpi_abort (int status)
{
  if (joined && size > 1)
    MPI_Abort (MPI_COMM_WORLD, status ? status : 1);
  train_mpi_finalize ();
  exit (status);
}

gboolean
train_mpi_compiled (void)
{
  return TRUE;
}

int
train_mpi_rank (void)
{
  return rank;
}

int
train_mpi_size (void)
{
  return size;
}

int
train_mpi_local_rank (void)
{
  return local_rank;
}

int
train_mpi_local_size (void)
{
  return local_size;
}

void
train_mpi_broadcast_u64 (guint64 *value)
{
  if (size > 1)
    MPI_Bcast (value, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
}

gboolean
train_mpi_check_same (guint64 hash, int iteration, GError **error)
{
  if (size <= 1)
    return TRUE;
  guint64 mine[2] = { hash, (guint64) (gint64) iteration };
  g_autofree guint64 *all = g_new (guint64, 2 * (gsize) size);
  MPI_Allgather (mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, MPI_COMM_WORLD);
  for (int r = 1; r < size; r++)
    {
      if (all[2 * r] != all[0])
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "rank %d was started with other settings than rank 0: every rank "
                       "needs the same options", r);
          return FALSE;
        }
      if (all[2 * r + 1] != all[1])
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "rank %d starts at iteration %d, rank 0 at %d: every rank must see "
                       "the same checkpoint", r, (int) (gint64) all[2 * r + 1],
                       (int) (gint64) all[1]);
          return FALSE;
        }
    }
  return TRUE;
}

void
train_mpi_average_floats (float *values, gsize n)
{
  if (size <= 1)
    return;
  if (!gathered)
    gathered = g_new (float, (gsize) size * CHUNK);
  for (gsize at = 0; at < n; at += CHUNK)
    {
      int count = (int) MIN ((gsize) CHUNK, n - at);
      MPI_Allgather (values + at, count, MPI_FLOAT, gathered, count, MPI_FLOAT, MPI_COMM_WORLD);
      for (int i = 0; i < count; i++)
        {
          double sum = 0;
          for (int r = 0; r < size; r++)
            sum += gathered[(gsize) r * count + i];
          values[at + i] = (float) (sum / size);
        }
    }
}

void
train_mpi_average_doubles (double *values, int n)
{
  if (size <= 1)
    return;
  g_autofree double *all = g_new (double, (gsize) n * size);
  MPI_Allgather (values, n, MPI_DOUBLE, all, n, MPI_DOUBLE, MPI_COMM_WORLD);
  for (int i = 0; i < n; i++)
    {
      double sum = 0;
      for (int r = 0; r < size; r++)
        sum += all[(gsize) r * n + i];
      values[i] = sum / size;
    }
}

gboolean
train_mpi_any (gboolean flag)
{
  if (size <= 1)
    return flag;
  int mine = flag ? 1 : 0, any = 0;
  MPI_Allreduce (&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any != 0;
}

void
train_mpi_barrier (void)
{
  if (size > 1)
    MPI_Barrier (MPI_COMM_WORLD);
}
