/* pipeline.c — a folder's jobs in three overlapping stages (pipeline.h).
 *
 * Two channels join the stages. A channel counts the jobs that hold a place
 * in it from the moment the producer reserves one (before it makes the
 * job's picture) to the moment the consumer releases it (after it is done
 * with that picture), so its capacity bounds the pictures alive, not only
 * the jobs waiting. */
#include "pipeline.h"

typedef struct
{
  GMutex   lock;
  GCond    changed;
  GQueue   jobs;
  guint    capacity;
  guint    held;      /* places reserved and not yet released */
  gboolean closed;    /* the producer has no more jobs */
} Channel;

struct CliPipeline
{
  Channel prepared;   /* reader -> stylising stage */
  Channel stylised;   /* stylising stage -> writer */
  GMutex  report_lock;
  GCond   reported_changed;
  guint64 next_to_report;
  const CliPipelineStages *stages;
  guint64  first, end;
  gpointer user;
};

static void
channel_init (Channel *c, guint capacity)
{
  c->capacity = capacity;
  g_mutex_init (&c->lock);
  g_cond_init (&c->changed);
  g_queue_init (&c->jobs);
}

static void
channel_clear (Channel *c)
{
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->changed);
}

static void
channel_reserve (Channel *c)
{
  g_mutex_lock (&c->lock);
  while (c->held >= c->capacity)
    g_cond_wait (&c->changed, &c->lock);
  c->held++;
  g_mutex_unlock (&c->lock);
}

static void
channel_release (Channel *c)
{
  g_mutex_lock (&c->lock);
  c->held--;
  g_cond_broadcast (&c->changed);
  g_mutex_unlock (&c->lock);
}

static void
channel_push (Channel *c, CliJob *job)
{
  g_mutex_lock (&c->lock);
  g_queue_push_tail (&c->jobs, job);
  g_cond_broadcast (&c->changed);
  g_mutex_unlock (&c->lock);
}

static void
channel_close (Channel *c)
{
  g_mutex_lock (&c->lock);
  c->closed = TRUE;
  g_cond_broadcast (&c->changed);
  g_mutex_unlock (&c->lock);
}

/* The next job, or NULL once the channel is closed and empty. */
static CliJob *
channel_pop (Channel *c)
{
  g_mutex_lock (&c->lock);
  while (g_queue_is_empty (&c->jobs) && !c->closed)
    g_cond_wait (&c->changed, &c->lock);
  CliJob *job = g_queue_pop_head (&c->jobs);
  g_mutex_unlock (&c->lock);
  return job;
}

/* The next job if one is there now, else NULL. */
static CliJob *
channel_try_pop (Channel *c)
{
  g_mutex_lock (&c->lock);
  CliJob *job = g_queue_pop_head (&c->jobs);
  g_mutex_unlock (&c->lock);
  return job;
}

static CliJob *
job_new (CliPipeline *p, guint64 index)
{
  CliJob *job = g_new0 (CliJob, 1);
  job->index = index;
  job->pipeline = p;
  return job;
}

static gboolean
job_pending (const CliJob *job)
{
  return !job->error && !job->skipped;
}

/* Writes (unless the job failed or was skipped), reports and frees it. */
static void
finish_job (CliPipeline *p, CliJob *job)
{
  if (job_pending (job))
    p->stages->write (job, p->user);
  p->stages->report (job, p->user);
  if (job->data && p->stages->free_data)
    p->stages->free_data (job->data);
  g_clear_error (&job->error);
  g_mutex_lock (&p->report_lock);
  p->next_to_report = job->index + 1;
  g_cond_broadcast (&p->reported_changed);
  g_mutex_unlock (&p->report_lock);
  g_free (job);
}

static gpointer
reader_thread (gpointer data)
{
  CliPipeline *p = data;
  for (guint64 i = p->first; i < p->end; i++)
    {
      channel_reserve (&p->prepared);
      CliJob *job = job_new (p, i);
      p->stages->read (job, p->user);
      channel_push (&p->prepared, job);
    }
  channel_close (&p->prepared);
  return NULL;
}

static gpointer
writer_thread (gpointer data)
{
  CliPipeline *p = data;
  CliJob *job;
  while ((job = channel_pop (&p->stylised)))
    {
      finish_job (p, job);
      channel_release (&p->stylised);
    }
  return NULL;
}

/* Finishes a submitted job's stylisation and hands it to the writer. */
static void
hand_on (CliPipeline *p, CliJob *job)
{
  if (job_pending (job) && p->stages->finish)
    p->stages->finish (job, p->user);
  channel_release (&p->prepared);
  channel_push (&p->stylised, job);
}

/* The stylising stage: job i+1 is submitted before job i is finished when
 * it has been read by then; else job i is finished first (its report may
 * be what the reader waits for: cli_pipeline_wait_for_earlier). */
static void
run_overlapped (CliPipeline *p)
{
  GThread *reader = g_thread_new ("vka-reader", reader_thread, p);
  GThread *writer = g_thread_new ("vka-writer", writer_thread, p);
  CliJob *submitted = NULL;
  while (TRUE)
    {
      CliJob *job = submitted ? channel_try_pop (&p->prepared) : channel_pop (&p->prepared);
      if (!job && !submitted)
        break;
      if (job)
        {
          channel_reserve (&p->stylised);
          if (job_pending (job))
            p->stages->submit (job, p->user);
        }
      if (submitted)
        hand_on (p, submitted);
      submitted = job;
    }
  channel_close (&p->stylised);
  g_thread_join (reader);
  g_thread_join (writer);
}

void
cli_pipeline_run (const CliPipelineStages *stages, guint64 first, guint64 end,
                  gboolean overlap, gpointer user)
{
  CliPipeline p = { .stages = stages, .first = first, .end = end, .user = user,
                    .next_to_report = first };
  /* places: the job being stylised and one read ahead, and the job being
   * written and one stylised ahead of it; one more each where a job is
   * submitted before the one before it is finished */
  guint capacity = stages->finish ? 3 : 2;
  channel_init (&p.prepared, capacity);
  channel_init (&p.stylised, capacity);
  g_mutex_init (&p.report_lock);
  g_cond_init (&p.reported_changed);
  if (overlap && end - first > 1)
    run_overlapped (&p);
  else
    for (guint64 i = first; i < end; i++)
      {
        CliJob *job = job_new (&p, i);
        stages->read (job, user);
        if (job_pending (job))
          stages->submit (job, user);
        if (job_pending (job) && stages->finish)
          stages->finish (job, user);
        finish_job (&p, job);
      }
  channel_clear (&p.prepared);
  channel_clear (&p.stylised);
  g_mutex_clear (&p.report_lock);
  g_cond_clear (&p.reported_changed);
}

void
cli_pipeline_wait_for_earlier (const CliJob *job)
{
  CliPipeline *p = job->pipeline;
  g_mutex_lock (&p->report_lock);
  while (p->next_to_report < job->index)
    g_cond_wait (&p->reported_changed, &p->report_lock);
  g_mutex_unlock (&p->report_lock);
}
