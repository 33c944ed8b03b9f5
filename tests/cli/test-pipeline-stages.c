/* test-pipeline-stages.c — cli/pipeline.c with stages that only count: each
 * stage meets the jobs in order and on its own thread (stylising on the
 * caller's), a failed or skipped job goes straight to its report, at most
 * two jobs are between read and the end of stylising and two between the
 * start of stylising and their report (three each where the stylisation is
 * a submit and a finish, and the next job is submitted before the last is
 * finished), cli_pipeline_wait_for_earlier waits for the earlier reports;
 * without overlap everything runs on the caller's thread, one job at a
 * time. */
#include "pipeline.h"

#define N_JOBS 40

typedef struct
{
  GThread *caller;
  gboolean overlap;
  gboolean split;            /* submit and finish, else one stylising stage */
  GMutex   lock;
  GCond    changed;
  guint64  next[5];          /* the least job each stage may meet next */
  guint64  calls[5];
  GThread *thread[5];        /* the thread each stage ran on */
  guint64  apart;            /* finishes after the next job's submit */
  int      inputs, max_inputs;     /* read, not yet stylised */
  int      outputs, max_outputs;   /* stylising or stylised, not yet reported */
  guint64  reported;
  int      failed, skipped;
} Counts;

enum { READ, STYLIZE, WRITE, REPORT, FINISH };

static void
meet (Counts *c, int stage, const CliJob *job)
{
  g_mutex_lock (&c->lock);
  /* reading and reporting meet every job; the others only the pending */
  if (stage == READ || stage == REPORT)
    g_assert_cmpuint (job->index, ==, c->next[stage]);
  else
    g_assert_cmpuint (job->index, >=, c->next[stage]);
  c->next[stage] = job->index + 1;
  c->calls[stage]++;
  g_cond_broadcast (&c->changed);
  if (!c->thread[stage])
    c->thread[stage] = g_thread_self ();
  g_assert_true (c->thread[stage] == g_thread_self ());
  g_mutex_unlock (&c->lock);
  /* give the other stages a chance to run ahead if they could */
  g_usleep (job->index % 3 == 0 ? 2000 : 200);
}

/* Whether the stage meets job `index` within 10 s. */
static gboolean
wait_until_met (Counts *c, int stage, guint64 index)
{
  gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&c->lock);
  while (c->next[stage] <= index && g_cond_wait_until (&c->changed, &c->lock, until))
    ;
  gboolean met = c->next[stage] > index;
  g_mutex_unlock (&c->lock);
  return met;
}

static void
add (Counts *c, int *count, int *max, int delta)
{
  g_mutex_lock (&c->lock);
  *count += delta;
  *max = MAX (*max, *count);
  g_mutex_unlock (&c->lock);
}

static void
read_stage (CliJob *job, gpointer user)
{
  Counts *c = user;
  meet (c, READ, job);
  if (job->index % 7 == 3)
    {
      g_set_error (&job->error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "job %u failed",
                   (guint) job->index);
      return;
    }
  if (job->index % 11 == 5)
    {
      /* as --skip-existing where an earlier job writes the same name */
      cli_pipeline_wait_for_earlier (job);
      g_mutex_lock (&c->lock);
      g_assert_cmpuint (c->reported, ==, job->index);
      g_mutex_unlock (&c->lock);
      job->skipped = TRUE;
      return;
    }
  add (c, &c->inputs, &c->max_inputs, 1);
  job->data = GUINT_TO_POINTER (1);
}

static void
stylize_stage (CliJob *job, gpointer user)
{
  Counts *c = user;
  g_assert_true (g_thread_self () == c->caller);
  meet (c, STYLIZE, job);
  /* the next job is read while this one is stylised */
  if (c->overlap && job->index == 2)
    g_assert_true (wait_until_met (c, READ, 3));
  add (c, &c->outputs, &c->max_outputs, 1);
  if (!c->split)
    add (c, &c->inputs, &c->max_inputs, -1);
  job->data = GUINT_TO_POINTER (c->split ? 3 : 2);
}

static void
finish_stage (CliJob *job, gpointer user)
{
  Counts *c = user;
  g_assert_true (g_thread_self () == c->caller);
  g_assert_true (job->data == GUINT_TO_POINTER (3));
  g_mutex_lock (&c->lock);
  g_assert_cmpuint (c->next[STYLIZE], >, job->index);
  if (c->next[STYLIZE] > job->index + 1)
    c->apart++;
  g_mutex_unlock (&c->lock);
  meet (c, FINISH, job);
  add (c, &c->inputs, &c->max_inputs, -1);
  job->data = GUINT_TO_POINTER (2);
}

static void
write_stage (CliJob *job, gpointer user)
{
  Counts *c = user;
  g_assert_true (job->data == GUINT_TO_POINTER (2));
  meet (c, WRITE, job);
  /* and later ones while this one is written */
  if (c->overlap && job->index == 2)
    g_assert_true (wait_until_met (c, READ, 4));
}

static void
report_stage (CliJob *job, gpointer user)
{
  Counts *c = user;
  meet (c, REPORT, job);
  g_mutex_lock (&c->lock);
  if (job->error)
    c->failed++;
  else if (job->skipped)
    c->skipped++;
  else
    {
      c->outputs--;
      g_assert_true (c->thread[WRITE] == g_thread_self ());
    }
  c->reported = job->index + 1;
  g_mutex_unlock (&c->lock);
}

static void
run (gboolean overlap, gboolean split)
{
  Counts c = { .caller = g_thread_self (), .overlap = overlap, .split = split };
  g_mutex_init (&c.lock);
  g_cond_init (&c.changed);
  const CliPipelineStages stages = { read_stage, stylize_stage,
                                     split ? finish_stage : NULL, write_stage, report_stage,
                                     NULL };
  guint64 first = 2, end = first + N_JOBS;
  for (int s = 0; s < 5; s++)
    c.next[s] = first;
  cli_pipeline_run (&stages, first, end, overlap, &c);
  g_assert_cmpuint (c.reported, ==, end);
  g_assert_cmpuint (c.next[READ], ==, end);
  g_assert_cmpuint (c.next[REPORT], ==, end);
  int pending = N_JOBS - c.failed - c.skipped;
  g_assert_cmpint (c.failed, >, 0);
  g_assert_cmpint (c.skipped, >, 0);
  g_assert_cmpuint (c.calls[STYLIZE], ==, (guint64) pending);
  g_assert_cmpuint (c.calls[FINISH], ==, split ? (guint64) pending : 0);
  g_assert_cmpuint (c.calls[WRITE], ==, (guint64) pending);
  g_assert_cmpint (c.inputs, ==, 0);
  g_assert_cmpint (c.outputs, ==, 0);
  int most = !overlap ? 1 : split ? 3 : 2;
  g_assert_cmpint (c.max_inputs, <=, most);
  g_assert_cmpint (c.max_outputs, <=, most);
  g_test_message ("%" G_GUINT64_FORMAT " of %d finished after the next job's submit; "
                  "at most %d inputs and %d outputs alive", c.apart, pending, c.max_inputs,
                  c.max_outputs);
  if (overlap && split)
    g_assert_cmpuint (c.apart, >, 0);
  else
    g_assert_cmpuint (c.apart, ==, 0);
  if (overlap)
    {
      g_assert_true (c.thread[READ] != c.caller);
      g_assert_true (c.thread[WRITE] != c.caller);
      g_assert_true (c.thread[READ] != c.thread[WRITE]);
      g_assert_true (c.thread[REPORT] == c.thread[WRITE]);
    }
  else
    for (int s = 0; s < 5; s++)
      g_assert_true (!c.thread[s] || c.thread[s] == c.caller);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.changed);
}

static void
test_overlapped (void)
{
  run (TRUE, FALSE);
}

static void
test_overlapped_submissions (void)
{
  run (TRUE, TRUE);
}

static void
test_one_at_a_time (void)
{
  run (FALSE, FALSE);
  run (FALSE, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/overlapped", test_overlapped);
  g_test_add_func ("/pipeline/overlapped-submissions", test_overlapped_submissions);
  g_test_add_func ("/pipeline/one-at-a-time", test_one_at_a_time);
  return g_test_run ();
}
