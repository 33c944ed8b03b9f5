/* vk-adain-bench-mpi — the gradient exchange of data-parallel training
 * (training/train-mpi.c) on its own: how long averaging a decoder's
 * gradients over the ranks takes, per step, next to a plain MPI_Allreduce
 * of the same floats (order-unstable, for comparison).
 *
 *   mpirun -n 2 vk-adain-bench-mpi [REPS] [WIDTHS ...]
 *
 * WIDTHS are the encoder's relu1_1..relu4_1 widths, e.g. 64,128,256,512 (the
 * full decoder, 3.5 M parameters) or 16,32,64,128 (a distilled one); the
 * decoder's parameter count follows from them. Without any, both. */
#include "train-mpi.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

/* The reference decoder's 3×3 convolutions for relu widths w[0..3]:
 * w4→w3, 3 × w3→w3, w3→w2, w2→w2, w2→w1, w1→w1, w1→3, with biases. */
static gsize
decoder_params (const int w[4])
{
  int convs[9][2] = { { w[3], w[2] }, { w[2], w[2] }, { w[2], w[2] }, { w[2], w[2] },
                      { w[2], w[1] }, { w[1], w[1] }, { w[1], w[0] }, { w[0], w[0] },
                      { w[0], 3 } };
  gsize n = 0;
  for (int i = 0; i < 9; i++)
    n += (gsize) convs[i][0] * convs[i][1] * 9 + convs[i][1];
  return n;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* The median over reps of the slowest rank's time, in ms. */
static double
time_it (int reps, float *values, gsize n, gboolean plain)
{
  g_autofree double *t = g_new (double, reps);
  g_autofree float *sum = plain ? g_new (float, n) : NULL;
  for (int r = -2; r < reps; r++)
    {
      MPI_Barrier (MPI_COMM_WORLD);
      double t0 = MPI_Wtime ();
      if (plain)
        MPI_Allreduce (values, sum, (int) n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      else
        train_mpi_average_floats (values, n);
      double mine = MPI_Wtime () - t0, slowest;
      MPI_Allreduce (&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (r >= 0)
        t[r] = slowest * 1e3;
    }
  qsort (t, reps, sizeof *t, compare_doubles);
  return t[reps / 2];
}

int
main (int argc, char **argv)
{
  train_mpi_init (&argc, &argv);
  if (train_mpi_size () < 2)
    g_printerr ("vk-adain-bench-mpi: a job of one rank: start it with mpirun -n 2 or more\n");
  int reps = argc > 1 ? atoi (argv[1]) : 20;
  if (reps < 1)
    reps = 20;
  const char *defaults[] = { "64,128,256,512", "16,32,64,128" };
  int n_sets = argc > 2 ? argc - 2 : 2;
  if (train_mpi_rank () == 0)
    printf ("| widths | parameters | ranks | rank-order average (ms) | MPI_Allreduce (ms) |\n"
            "|---|---|---|---|---|\n");
  for (int s = 0; s < n_sets; s++)
    {
      const char *spec = argc > 2 ? argv[2 + s] : defaults[s];
      int w[4];
      if (sscanf (spec, "%d,%d,%d,%d", &w[0], &w[1], &w[2], &w[3]) != 4)
        {
          g_printerr ("vk-adain-bench-mpi: widths %s: want four numbers, e.g. 64,128,256,512\n",
                      spec);
          train_mpi_abort (2);
        }
      gsize n = decoder_params (w);
      g_autofree float *values = g_new (float, n);
      g_autoptr (GRand) rand = g_rand_new_with_seed (train_mpi_rank () + 1);
      for (gsize i = 0; i < n; i++)
        values[i] = (float) g_rand_double_range (rand, -1e-3, 1e-3);
      double ours = time_it (reps, values, n, FALSE);
      double plain = time_it (reps, values, n, TRUE);
      if (train_mpi_rank () == 0)
        printf ("| %s | %" G_GSIZE_FORMAT " | %d | %.2f | %.2f |\n", spec, n,
                train_mpi_size (), ours, plain);
    }
  train_mpi_finalize ();
  return 0;
}
