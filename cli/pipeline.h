/* pipeline.h — a folder's jobs in three stages that overlap: a reader
 * thread prepares job j+1 while the calling thread stylises job j and a
 * writer thread writes and reports job j-1. Every stage meets the jobs in
 * their order, and at most one job is held ahead of the stylising stage and
 * one behind it, so the pictures alive at once are two inputs and two
 * outputs. A stylisation split into submit and finish goes one job apart:
 * job j+1 is submitted, when it has been read, before job j is finished,
 * so that a device works on one while the host reads back the other; the
 * stylising stage then holds two jobs, and three inputs and three outputs
 * may be alive. Without overlap the same stages run one job at a time on
 * the calling thread, in the same order. */
#pragma once

#include <glib.h>

typedef struct CliPipeline CliPipeline;

typedef struct
{
  guint64      index;     /* in [first, end) of cli_pipeline_run */
  gpointer     data;      /* what the stages hand on; freed by free_data */
  gboolean     skipped;   /* nothing to do (no later stage but report runs) */
  GError      *error;     /* the job failed (no later stage but report runs) */
  CliPipeline *pipeline;
} CliJob;

typedef struct
{
  void (*read) (CliJob *job, gpointer user);      /* reader thread */
  void (*submit) (CliJob *job, gpointer user);    /* the calling thread */
  /* the calling thread, after submit (and, overlapped, mostly after the
   * next job's submit); NULL: submit does the whole stylisation */
  void (*finish) (CliJob *job, gpointer user);
  void (*write) (CliJob *job, gpointer user);     /* writer thread */
  void (*report) (CliJob *job, gpointer user);    /* writer thread, after write; every job */
  GDestroyNotify free_data;
} CliPipelineStages;

/* Runs jobs first..end-1 through the stages; with overlap in three threads,
 * else one job at a time. Returns when every job has been reported. */
void cli_pipeline_run (const CliPipelineStages *stages, guint64 first, guint64 end,
                       gboolean overlap, gpointer user);

/* Called from the read stage: waits until every job before job has been
 * reported (its output written or its failure known), as it would be
 * without overlap. */
void cli_pipeline_wait_for_earlier (const CliJob *job);
