/* train-mpi.h — the few collective operations data-parallel training needs
 * (training over MPI, vk-adain-train under mpirun). Built over Open MPI
 * (train-mpi.c) when meson finds it (-Dmpi), else over a single-process
 * stand-in (train-mpi-none.c) where the size is 1 and every collective is
 * the identity, so that the trainer has no #if of its own.
 *
 * Every reduction here is deterministic: each rank's values are gathered to
 * every rank and summed there in rank order, so that all ranks get the same
 * bits, run after run (MPI_Allreduce's order of summation is not fixed). */
#pragma once

#include <glib.h>

/* Joins the job (MPI_Init) when started by mpirun; a plain start is a job
 * of one. Call first thing in main. */
void     train_mpi_init (int *argc, char ***argv);
/* Leaves the job after a successful run (MPI_Finalize). */
void     train_mpi_finalize (void);
/* Ends the whole job at once with status (MPI_Abort): the way out of a
 * failure on any rank, since the others would wait forever in the next
 * collective. A job of one just exits. */
G_NORETURN void train_mpi_abort (int status);

/* Whether this build has MPI at all (for messages). */
gboolean train_mpi_compiled (void);
int      train_mpi_rank (void);
int      train_mpi_size (void);
/* The rank among the ranks on this machine ($OMPI_COMM_WORLD_LOCAL_RANK),
 * and how many there are ($OMPI_COMM_WORLD_LOCAL_SIZE); 0 and 1 without. */
int      train_mpi_local_rank (void);
int      train_mpi_local_size (void);

/* Rank 0's *value to every rank. */
void     train_mpi_broadcast_u64 (guint64 *value);
/* Compares every rank's (hash of the settings, iteration) with rank 0's:
 * FALSE with an error naming the first rank that differs (on every rank). */
gboolean train_mpi_check_same (guint64 hash, int iteration, GError **error);
/* Replaces values (n of them) by their mean over the ranks, summed in rank
 * order in double precision, bit for bit the same on every rank. */
void     train_mpi_average_floats (float *values, gsize n);
void     train_mpi_average_doubles (double *values, int n);
/* Whether flag is set on any rank. */
gboolean train_mpi_any (gboolean flag);
/* Waits for every rank. */
void     train_mpi_barrier (void);
