/* data-loader.c — see data-loader.h.
 *
 * Work is cut into tasks, one per picture: task t is iteration t / (2·B),
 * sample j = (t mod 2B) / 2 of the batch, stream s = t mod 2 (0 content,
 * 1 style). Threads take tasks in order from a shared counter, but only for
 * the `depth` iterations from the oldest one the trainer still holds, and
 * write straight into that iteration's slot of a ring of batches. What a task
 * produces depends only on (seed, s, k = iteration·G + first + j), never on
 * which thread ran it or when (G the global batch, first this loader's first
 * sample of it: B = G, first = 0 without data parallelism). */
#include "data-loader.h"
#include "vka-imageio.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { DEPTH = 3, MAX_TRIES = 1000, LOADER_NICE = 10 };

typedef struct
{
  const char *label;      /* "content" or "style" */
  char       *dir;
  GPtrArray  *files;      /* full paths, sorted by name */
  guint8     *bad;        /* per file: known to be unreadable (under lock) */
  gint64      pass[2];    /* cached permutations: which pass each holds (-1: none) */
  guint      *perm[2];
  guint       next_cache;
  char       *first;      /* first readable picture */
} Stream;

typedef struct
{
  float *data[2];         /* content, style: B × 3 × crop × crop */
  int    done;            /* pictures written, of 2B */
} Slot;

struct DataLoader
{
  DataLoaderOptions o;
  Stream            streams[2];
  GMutex            lock;
  GCond             cond;
  GThread         **threads;
  Slot              ring[DEPTH];
  gint64            base;       /* oldest iteration not yet released */
  gint64            held;       /* iteration the trainer holds, or -1 */
  gint64            next_task;
  gboolean          stop;
  GError           *error;
  guint             skipped;
};

/* A generator for one purpose of one sample: its seed is the tuple, so the
 * numbers do not depend on anything that happened before. */
static GRand *
rand_for (guint64 seed, int stream, gint64 k, guint32 purpose)
{
  guint32 key[6] = { (guint32) seed, (guint32) (seed >> 32), (guint32) stream,
                     (guint32) k, (guint32) ((guint64) k >> 32), purpose };
  return g_rand_new_with_seed_array (key, G_N_ELEMENTS (key));
}

enum { PURPOSE_SHUFFLE = 1, PURPOSE_CROP = 2, PURPOSE_REPLACE = 3, PURPOSE_AUGMENT = 4,
       PURPOSE_NOISE = 5 };

/* ---- folders ---------------------------------------------------------------- */

static int
compare_paths (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
list_folder (Stream *st, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (st->dir, 0, &local);
  if (!dir)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "cannot open the %s folder %s: %s",
                   st->label, st->dir, local->message);
      return FALSE;
    }
  st->files = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)))
    {
      if (name[0] == '.')
        continue;
      char *path = g_build_filename (st->dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (st->files, path);
      else
        g_free (path);
    }
  if (st->files->len == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "the %s folder %s holds no files (it needs pictures)", st->label, st->dir);
      return FALSE;
    }
  qsort (st->files->pdata, st->files->len, sizeof (gpointer), compare_paths);
  st->bad = g_new0 (guint8, st->files->len);
  st->pass[0] = st->pass[1] = -1;
  return TRUE;
}

/* Under lock: the file at position pos of pass `pass` of the stream's
 * shuffled order (a fresh permutation every pass). */
static guint
shuffled (DataLoader *l, int s, gint64 pass, guint pos)
{
  Stream *st = &l->streams[s];
  for (int c = 0; c < 2; c++)
    if (st->pass[c] == pass)
      return st->perm[c][pos];
  guint n = st->files->len;
  int c = st->next_cache;
  st->next_cache ^= 1;
  if (!st->perm[c])
    st->perm[c] = g_new (guint, n);
  guint *perm = st->perm[c];
  for (guint i = 0; i < n; i++)
    perm[i] = i;
  g_autoptr (GRand) r = rand_for (l->o.seed, s, pass, PURPOSE_SHUFFLE);
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = (guint) g_rand_int_range (r, 0, (gint32) i + 1);
      guint t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  st->pass[c] = pass;
  return perm[pos];
}

/* ---- one picture ------------------------------------------------------------- */

static VkaImage *
to_rgb (VkaImage *in, GError **error)
{
  if (in->channels == 3)
    return in;
  VkaImage *out = vka_image_new (in->width, in->height, 3, error);
  if (out)
    {
      gsize n = (gsize) in->width * in->height;
      for (gsize i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
          out->pixels[i * 3 + c] = in->pixels[i * in->channels + (in->channels >= 3 ? c : 0)];
    }
  vka_image_free (in);
  return out;
}

/* Where crop pixel (x, y) comes from under symmetry `flip` of the square
 * (bit 0: mirror x, bit 1: mirror y, bit 2: swap x and y). */
static inline void
flipped (int flip, int crop, int x, int y, int *sx, int *sy)
{
  if (flip & 4)
    {
      int t = x;
      x = y;
      y = t;
    }
  *sx = flip & 1 ? crop - 1 - x : x;
  *sy = flip & 2 ? crop - 1 - y : y;
}

/* The rotation of colours by angle about the gray axis: hues turn, gray and
 * each colour's distance from it stay. */
static void
hue_rotation (double angle, float m[3][3])
{
  double c = cos (angle), s = sin (angle) / sqrt (3.0), k = (1 - c) / 3;
  const double cross[3][3] = { { 0, -1, 1 }, { 1, 0, -1 }, { -1, 1, 0 } };
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      m[i][j] = (float) ((i == j ? c : 0) + k + s * cross[i][j]);
}

/* Loads path, squashes it to resize² (or, without resize, enlarges a picture
 * smaller than the crop), crops crop² at an offset drawn for sample k, and
 * writes it planar into dst; with augment, as data-loader.h says. */
static gboolean
prepare (DataLoader *l, const char *path, int s, gint64 k, float *dst, GError **error)
{
  VkaImageInfo info;
  VkaImage *img = vka_image_load (path, &info, error);
  if (!img || !(img = to_rgb (img, error)))
    return FALSE;
  g_autoptr (VkaImage) image = img;
  int crop = l->o.crop;
  gboolean q8 = info.bits == 8;
  int flip = 0, squash = l->o.resize;
  gboolean recolour = FALSE;
  float hue[3][3];
  if (l->o.augment)
    {
      g_autoptr (GRand) a = rand_for (l->o.seed, s, k, PURPOSE_AUGMENT);
      if (s == 1)
        {
          flip = g_rand_int_range (a, 0, 8);
          double scale = g_rand_double_range (a, 0.75, 1.5);   /* not inside MAX () */
          if (squash > 0)
            squash = MAX (crop, (int) (squash * scale));
          recolour = g_rand_boolean (a);
          hue_rotation (g_rand_double_range (a, -G_PI, G_PI), hue);
        }
      else
        flip = g_rand_boolean (a) ? 1 : 0;
    }
  if (squash > 0)
    {
      VkaImage *r = vka_image_resize (image, squash, squash, q8, error);
      if (!r)
        return FALSE;
      vka_image_free (g_steal_pointer (&image));
      image = r;
    }
  else if (image->width < crop || image->height < crop)
    {
      int w = image->width, h = image->height;
      int nw = w < h ? crop : (int) ((gint64) w * crop / h + 1);
      int nh = w < h ? (int) ((gint64) h * crop / w + 1) : crop;
      VkaImage *r = vka_image_resize (image, MAX (nw, crop), MAX (nh, crop), q8, error);
      if (!r)
        return FALSE;
      vka_image_free (g_steal_pointer (&image));
      image = r;
    }
  g_autoptr (GRand) r = rand_for (l->o.seed, s, k, PURPOSE_CROP);
  int x0 = g_rand_int_range (r, 0, image->width - crop + 1);
  int y0 = g_rand_int_range (r, 0, image->height - crop + 1);
  gsize plane = (gsize) crop * crop;
  for (int y = 0; y < crop; y++)
    for (int x = 0; x < crop; x++)
      {
        int sx, sy;
        flipped (flip, crop, x, y, &sx, &sy);
        const float *p = image->pixels + ((gsize) (y0 + sy) * image->width + x0 + sx) * 3;
        for (int c = 0; c < 3; c++)
          dst[c * plane + (gsize) y * crop + x]
            = recolour ? CLAMP (hue[c][0] * p[0] + hue[c][1] * p[1] + hue[c][2] * p[2], 0.0f, 1.0f)
                       : p[c];
      }
  if (s == 0 && l->o.content_noise > 0)
    {
      /* vk-adain's noise (a function of a seed and the place), each plane
       * with its own seed drawn for the sample */
      g_autoptr (GRand) n = rand_for (l->o.seed, s, k, PURPOSE_NOISE);
      for (int c = 0; c < 3; c++)
        {
          guint64 seed = ((guint64) g_rand_int (n) << 32) | g_rand_int (n);
          vka_content_noise_add (dst + c * plane, 0, 0, crop, crop, 1, l->o.content_noise, seed);
        }
    }
  return TRUE;
}

VkaImage *
data_loader_load_rgb (const char *path, int shorter, GError **error)
{
  VkaImageInfo info;
  VkaImage *img = vka_image_load (path, &info, error);
  if (!img || !(img = to_rgb (img, error)))
    return NULL;
  if (shorter <= 0)
    return img;
  VkaImage *r = vka_image_resize_shorter (img, shorter, info.bits == 8, error);
  vka_image_free (img);
  return r;
}

/* Marks file i of a stream unreadable (warning and count, once). */
static void
mark_bad (DataLoader *l, Stream *st, guint i, const GError *why)
{
  g_mutex_lock (&l->lock);
  gboolean fresh = !st->bad[i];
  st->bad[i] = 1;
  if (fresh)
    l->skipped++;
  g_mutex_unlock (&l->lock);
  if (fresh)
    g_printerr ("vk-adain-train: warning: skipping a %s file: %s\n", st->label, why->message);
}

/* Sample k of stream s into dst: the file the shuffle gives, or, when that
 * one cannot be read, files drawn at random for (s, k) until one can. */
static gboolean
sample (DataLoader *l, int s, gint64 k, float *dst, GError **error)
{
  Stream *st = &l->streams[s];
  guint n = st->files->len;
  g_autoptr (GRand) replace = NULL;
  for (int attempt = 0; attempt < MAX_TRIES; attempt++)
    {
      guint i;
      g_mutex_lock (&l->lock);
      if (attempt == 0)
        i = shuffled (l, s, k / n, (guint) (k % n));
      else
        {
          if (!replace)
            replace = rand_for (l->o.seed, s, k, PURPOSE_REPLACE);
          i = (guint) g_rand_int_range (replace, 0, (gint32) n);
        }
      gboolean known_bad = st->bad[i];
      g_mutex_unlock (&l->lock);
      if (known_bad)
        continue;
      g_autoptr (GError) why = NULL;
      if (prepare (l, st->files->pdata[i], s, k, dst, &why))
        return TRUE;
      mark_bad (l, st, i, why);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
               "the %s folder %s: no readable picture found in %d tries", st->label, st->dir,
               MAX_TRIES);
  return FALSE;
}

/* ---- threads ------------------------------------------------------------------ */

static gpointer
worker (gpointer data)
{
  DataLoader *l = data;
  /* below the compute threads: on a machine with few cores decoding
   * pictures fills their idle time instead of taking their turns */
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), LOADER_NICE);
  gint64 per_iter = 2 * (gint64) l->o.batch;
  gsize image_floats = 3 * (gsize) l->o.crop * l->o.crop;
  g_mutex_lock (&l->lock);
  for (;;)
    {
      while (!l->stop && !l->error && l->next_task >= (l->base + DEPTH) * per_iter)
        g_cond_wait (&l->cond, &l->lock);
      if (l->stop || l->error)
        break;
      gint64 task = l->next_task++;
      g_mutex_unlock (&l->lock);
      gint64 it = task / per_iter;
      int j = (int) (task % per_iter / 2), s = (int) (task % 2);
      Slot *slot = &l->ring[it % DEPTH];
      g_autoptr (GError) err = NULL;
      gint64 k = it * l->o.global_batch + l->o.first_sample + j;
      gboolean ok = sample (l, s, k, slot->data[s] + j * image_floats, &err);
      g_mutex_lock (&l->lock);
      if (!ok && !l->error)
        l->error = g_steal_pointer (&err);
      slot->done++;
      g_cond_broadcast (&l->cond);
    }
  g_mutex_unlock (&l->lock);
  return NULL;
}

/* The first readable file of a stream, checked before training starts. */
static gboolean
find_first (DataLoader *l, Stream *st, GError **error)
{
  g_autofree float *scratch = g_new (float, 3 * (gsize) l->o.crop * l->o.crop);
  for (guint i = 0; i < st->files->len; i++)
    {
      g_autoptr (GError) why = NULL;
      if (prepare (l, st->files->pdata[i], 0, 0, scratch, &why))
        {
          st->first = g_strdup (st->files->pdata[i]);
          return TRUE;
        }
      mark_bad (l, st, i, why);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "the %s folder %s holds no picture that can be read (%u files tried)",
               st->label, st->dir, st->files->len);
  return FALSE;
}

DataLoader *
data_loader_new (const DataLoaderOptions *options, int first_iteration, GError **error)
{
  g_return_val_if_fail (options->batch > 0 && options->crop > 0 && options->threads > 0, NULL);
  g_return_val_if_fail (options->global_batch <= 0
                        || (options->first_sample >= 0
                            && options->first_sample + options->batch <= options->global_batch),
                        NULL);
  g_autoptr (DataLoader) l = g_new0 (DataLoader, 1);
  l->o = *options;
  if (l->o.global_batch <= 0)
    {
      l->o.global_batch = l->o.batch;
      l->o.first_sample = 0;
    }
  g_mutex_init (&l->lock);
  g_cond_init (&l->cond);
  l->streams[0] = (Stream) { .label = "content", .dir = g_strdup (options->content_dir) };
  l->streams[1] = (Stream) { .label = "style", .dir = g_strdup (options->style_dir) };
  for (int s = 0; s < 2; s++)
    if (!list_folder (&l->streams[s], error))
      return NULL;
  for (int s = 0; s < 2; s++)
    if (!find_first (l, &l->streams[s], error))
      return NULL;
  gsize batch_floats = (gsize) options->batch * 3 * options->crop * options->crop;
  for (int i = 0; i < DEPTH; i++)
    for (int s = 0; s < 2; s++)
      if (!(l->ring[i].data[s] = g_try_new (float, batch_floats)))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                       "no memory for the batches (%d × %d² pictures)", options->batch,
                       options->crop);
          return NULL;
        }
  l->base = first_iteration;
  l->held = -1;
  l->next_task = (gint64) first_iteration * 2 * options->batch;
  l->threads = g_new0 (GThread *, options->threads + 1);
  for (int i = 0; i < options->threads; i++)
    l->threads[i] = g_thread_new ("data-loader", worker, l);
  return g_steal_pointer (&l);
}

gboolean
data_loader_next (DataLoader *l, const float **content, const float **style, GError **error)
{
  g_mutex_lock (&l->lock);
  if (l->held >= 0)
    {
      l->ring[l->held % DEPTH].done = 0;
      l->base = l->held + 1;
      l->held = -1;
      g_cond_broadcast (&l->cond);
    }
  Slot *slot = &l->ring[l->base % DEPTH];
  while (!l->error && slot->done < 2 * l->o.batch)
    g_cond_wait (&l->cond, &l->lock);
  if (l->error)
    {
      g_propagate_error (error, g_error_copy (l->error));
      g_mutex_unlock (&l->lock);
      return FALSE;
    }
  l->held = l->base;
  *content = slot->data[0];
  *style = slot->data[1];
  g_mutex_unlock (&l->lock);
  return TRUE;
}

guint
data_loader_skipped (DataLoader *l)
{
  g_mutex_lock (&l->lock);
  guint n = l->skipped;
  g_mutex_unlock (&l->lock);
  return n;
}

const char *
data_loader_first_file (DataLoader *l, gboolean style)
{
  return l->streams[style ? 1 : 0].first;
}

void
data_loader_free (DataLoader *l)
{
  if (!l)
    return;
  if (l->threads)
    {
      g_mutex_lock (&l->lock);
      l->stop = TRUE;
      g_cond_broadcast (&l->cond);
      g_mutex_unlock (&l->lock);
      for (int i = 0; l->threads[i]; i++)
        g_thread_join (l->threads[i]);
      g_free (l->threads);
    }
  for (int s = 0; s < 2; s++)
    {
      Stream *st = &l->streams[s];
      g_free (st->dir);
      if (st->files)
        g_ptr_array_unref (st->files);
      g_free (st->bad);
      g_free (st->perm[0]);
      g_free (st->perm[1]);
      g_free (st->first);
    }
  for (int i = 0; i < DEPTH; i++)
    {
      g_free (l->ring[i].data[0]);
      g_free (l->ring[i].data[1]);
    }
  g_clear_error (&l->error);
  g_mutex_clear (&l->lock);
  g_cond_clear (&l->cond);
  g_free (l);
}
