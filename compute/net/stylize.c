/* stylize.c — styles from pictures and one attempt at a stylisation, in
 * tiles where needed: image -> encoder -> AdaIN (strength, style mix) ->
 * decoder -> image; the last tile's picture is read back in two steps
 * (stylize-run.h). */
#include "stylize-private.h"
#include "stylize-run.h"
#include "tiling.h"

#include <string.h>

/* ---- one run over an image's tiles ---- */

/* A tile's relu4_1 features from pass 1, kept so that pass 2 need not encode
 * the tile again: on the device, or read back into host memory. */
typedef struct
{
  VkaTensor *on_device;
  float     *on_host;     /* c × h × w */
  int        c, h, w;
} KeptFeatures;

typedef struct
{
  VkaModel          *model;
  const VkaImageSource *source;
  GArray            *tiles;         /* VkaTile */
  int                feat_w, feat_h;   /* relu4_1 size of the whole image */
  guint8            *region_of;     /* feat_h × feat_w region per position, or NULL */
  int                n_regions;
  VkaMoments         moments[2];
  gboolean           device_stats;  /* one tile, no mask: AdaIN takes the features'
                                     * channel_stats on the device, no pass 1 */
  KeptFeatures      *kept;          /* per tile when stylising, else NULL */
  guint64            device_room, host_room;   /* bytes left for kept features */
  VkaProgressFunc    progress;
  gpointer           progress_data;
  double             progress_from, progress_to;
  GCancellable      *cancellable;
  const VkaStylizeJob *job;         /* when stylising, else NULL */
  VkaTensor         *rgb;           /* the last tile's picture, being read back */
  VkaTensorRead      read;
  /* host pixels of a tile's window and of its output, kept from tile to
   * tile: fresh blocks of this size are fresh mappings, and each page of
   * them faulted in again for every tile */
  float             *window_pixels, *out_pixels;
  gsize              window_floats, out_floats;
} TileRun;

struct VkaStylizeRun
{
  TileRun run;
};

static void
tile_run_clear (TileRun *run)
{
  vka_tensor_read_end (&run->read, NULL, NULL);
  g_clear_pointer (&run->rgb, vka_tensor_free);
  for (guint i = 0; run->kept && i < run->tiles->len; i++)
    {
      vka_tensor_free (run->kept[i].on_device);
      g_free (run->kept[i].on_host);
    }
  g_clear_pointer (&run->kept, g_free);
  g_clear_pointer (&run->tiles, g_array_unref);
  g_clear_pointer (&run->region_of, g_free);
  for (int r = 0; r < 2; r++)
    vka_moments_clear (&run->moments[r]);
  g_clear_pointer (&run->window_pixels, g_free);
  g_clear_pointer (&run->out_pixels, g_free);
  run->window_floats = run->out_floats = 0;
}

/* buf holding at least n floats (*have of them now), or NULL */
static float *
scratch (float **buf, gsize *have, gsize n, const VkaTile *t, GError **error)
{
  if (n > *have)
    {
      g_free (*buf);
      *have = 0;
      if (!(*buf = g_try_new (float, n)))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                       "cannot allocate a %d×%d tile", t->ww, t->wh);
          return NULL;
        }
      *have = n;
    }
  return *buf;
}

static void
report (TileRun *run, guint done)
{
  if (run->progress)
    run->progress (run->progress_from + (run->progress_to - run->progress_from)
                   * done / run->tiles->len, run->progress_data);
}

/* The window of a tile as its own image. */
static VkaTensor *
encode_tile (TileRun *run, const VkaTile *t, GError **error)
{
  const VkaImageSource *source = run->source;
  /* a content picture gets the decoder's noise, a style picture none */
  float noise = run->job ? run->model->content_noise : 0.0f;
  if (noise == 0 && source->image && t->ww == source->image->width
      && t->wh == source->image->height)
    return vka_model_encode (run->model, source->image, NULL, NULL, error);
  VkaImage win = { t->ww, t->wh, source->channels,
                   scratch (&run->window_pixels, &run->window_floats,
                            (gsize) t->ww * t->wh * source->channels, t, error) };
  if (!win.pixels
      || !source->read (source->data, t->wx0, t->wy0, t->ww, t->wh, win.pixels, error))
    return NULL;
  vka_content_noise_add (win.pixels, t->wx0, t->wy0, t->ww, t->wh, win.channels, noise, 0);
  return vka_model_encode (run->model, &win, NULL, NULL, error);
}

typedef enum
{
  KEEP_NONE,
  KEEP_ON_DEVICE,
  KEEP_ON_HOST,
} KeepWhere;

/* Where pass 1 keeps a tile's features of bytes: on the device while the
 * device budget has room, else their copy read back while the host budget
 * has room, else nowhere (pass 2 encodes the tile again). The only tile of
 * a run always stays: nothing else needs the memory. */
static KeepWhere
keep_where (const TileRun *run, guint64 bytes)
{
  if (!run->kept)
    return KEEP_NONE;
  if (run->tiles->len == 1 || bytes <= run->device_room)
    return KEEP_ON_DEVICE;
  return bytes <= run->host_room ? KEEP_ON_HOST : KEEP_NONE;
}

/* After pass 1 encoded tile i: keeps its features where keep_where says
 * (values: their copy read back, which KEEP_ON_HOST needs). */
static void
keep_features (TileRun *run, guint i, VkaTensor **features, float **values)
{
  guint64 bytes = vka_tensor_numel (*features) * sizeof (float);
  KeepWhere where = keep_where (run, bytes);
  if (where == KEEP_NONE)
    return;
  KeptFeatures *k = &run->kept[i];
  k->c = (*features)->c;
  k->h = (*features)->h;
  k->w = (*features)->w;
  if (where == KEEP_ON_DEVICE)
    {
      k->on_device = g_steal_pointer (features);
      run->device_room -= MIN (bytes, run->device_room);
    }
  else if (*values)
    {
      k->on_host = g_steal_pointer (values);
      run->host_room -= bytes;
    }
}

/* Pass 2's features of tile i: those pass 1 kept, or encoded again. */
static VkaTensor *
tile_features (TileRun *run, guint i, GError **error)
{
  KeptFeatures *k = run->kept ? &run->kept[i] : NULL;
  if (k && k->on_device)
    return g_steal_pointer (&k->on_device);
  if (k && k->on_host)
    {
      VkaBackend *b = run->model->backend;
      g_autofree float *values = g_steal_pointer (&k->on_host);
      g_autoptr (VkaTensor) f = vka_tensor_new (b, 1, k->c, k->h, k->w, error);
      if (!f || !b->ops->tensor_write (f, values, error))
        return NULL;
      return g_steal_pointer (&f);
    }
  return encode_tile (run, &g_array_index (run->tiles, VkaTile, i), error);
}

static gboolean
check_cancel (GCancellable *cancellable, GError **error)
{
  if (!g_cancellable_is_cancelled (cancellable))
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_CANCELLED, "cancelled");
  return FALSE;
}

static float *
read_features (VkaTensor *f, GError **error)
{
  VkaBackend *b = f->backend;
  g_autofree float *map = g_try_new (float, vka_tensor_numel (f));
  if (!map)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot read back %d×%d×%d features", f->c, f->h, f->w);
      return NULL;
    }
  return b->ops->tensor_read (f, map, error) ? g_steal_pointer (&map) : NULL;
}

/* A tile's interior in the feature positions of its window's map. */
typedef struct
{
  int x0, y0, x1, y1;
} FeatureBox;

static FeatureBox
feature_interior (const VkaTile *t, const VkaTensor *f)
{
  /* the window starts on a multiple of 8 */
  return (FeatureBox) { (t->x0 - t->wx0) / 8, (t->y0 - t->wy0) / 8,
                        MIN (f->w, (t->x0 + t->w - t->wx0 + 7) / 8),
                        MIN (f->h, (t->y0 + t->h - t->wy0 + 7) / 8) };
}

/* Adds the interior of tile t's read-back features to each region's moments. */
static void
add_host_moments (TileRun *run, const VkaTile *t, const VkaTensor *f, const float *map,
                  FeatureBox box)
{
  g_autofree guint8 *regions = NULL;
  if (run->region_of)
    {
      regions = g_new (guint8, (gsize) f->w * f->h);
      for (int y = 0; y < f->h; y++)
        memcpy (regions + (gsize) y * f->w,
                run->region_of + (gsize) (t->wy0 / 8 + y) * run->feat_w + t->wx0 / 8,
                f->w);
    }
  for (int r = 0; r < run->n_regions; r++)
    vka_moments_add (&run->moments[r], map, f->h, f->w, box.x0, box.y0, box.x1, box.y1,
                     regions, (guint8) r);
}

/* The moments of the box of f, computed on the device (recorded only). */
static VkaTensor *
record_moments (VkaTensor *f, FeatureBox box, GError **error)
{
  VkaBackend *b = f->backend;
  VkaTensor *moments = vka_tensor_new (b, 1, f->c, 1, 2, error);
  if (moments && !b->ops->channel_moments (b, f, box.y0, box.x0, box.y1 - box.y0,
                                           box.x1 - box.x0, moments, error))
    g_clear_pointer (&moments, vka_tensor_free);
  return moments;
}

static gboolean
merge_moments (TileRun *run, VkaTensor *moments, FeatureBox box, GError **error)
{
  VkaBackend *b = moments->backend;
  g_autofree float *values = g_new (float, 2 * moments->c);
  if (!b->ops->tensor_read (moments, values, error))
    return FALSE;
  vka_moments_merge (&run->moments[0], values,
                     (double) (box.y1 - box.y0) * (box.x1 - box.x0));
  return TRUE;
}

/* Pass 1 for tile i: its interior's share of the statistics, and its
 * features kept for pass 2 where there is room. Without a mask the device
 * reduces the interior and only its moments come back; the features are
 * read back only to keep them in host memory. */
static gboolean
gather_tile (TileRun *run, guint i, GError **error)
{
  const VkaTile *t = &g_array_index (run->tiles, VkaTile, i);
  g_autoptr (VkaTensor) f = encode_tile (run, t, error);
  if (!f)
    return FALSE;
  FeatureBox box = feature_interior (t, f);
  gboolean on_device = run->n_regions == 1 && f->backend->ops->channel_moments;
  g_autoptr (VkaTensor) moments = on_device ? record_moments (f, box, error) : NULL;
  if (on_device && !moments)
    return FALSE;
  g_autofree float *map = NULL;
  if (!on_device || keep_where (run, vka_tensor_numel (f) * sizeof (float)) == KEEP_ON_HOST)
    {
      map = read_features (f, error);
      if (!map)
        return FALSE;
    }
  if (on_device && !merge_moments (run, moments, box, error))
    return FALSE;
  if (!on_device)
    add_host_moments (run, t, f, map, box);
  keep_features (run, i, &f, &map);
  return TRUE;
}

/* Pass 1: relu4_1 statistics of the whole image, per mask region. */
static gboolean
gather_moments (TileRun *run, GError **error)
{
  int channels = vka_model_feature_channels (run->model);
  for (int r = 0; r < run->n_regions; r++)
    vka_moments_init (&run->moments[r], channels);
  for (guint i = 0; i < run->tiles->len; i++)
    {
      if (!check_cancel (run->cancellable, error) || !gather_tile (run, i, error))
        return FALSE;
      report (run, i + 1);
    }
  return TRUE;
}

static gboolean
tile_run_start (TileRun *run, VkaModel *model, const VkaImageSource *image, int tile,
                guint64 budget, GError **error)
{
  run->model = model;
  run->source = image;
  run->feat_w = (image->width + 7) / 8;
  run->feat_h = (image->height + 7) / 8;
  run->n_regions = 1;
  VkaTileChoice choice;
  if (!vka_tile_choose (model->backend, model->encoder, model->decoder, image->channels,
                        image->width, image->height, tile,
                        budget ? budget : vka_model_default_memory_limit (model), &choice,
                        error))
    return FALSE;
  run->tiles = vka_tile_plan (image->width, image->height, choice.interior_w,
                              choice.interior_h);
  /* kept features take what the budget leaves; a CPU device's memory is
   * the host's, a GPU's is its own */
  run->device_room = choice.keep_room;
  run->host_room = model->cpu_memory ? 0 : choice.keep_room;
  if (model->keep_fixed)
    run->device_room = model->keep_device_bytes, run->host_room = model->keep_host_bytes;
  g_debug ("%d×%d in %u tiles of %d×%d pixels: %" G_GUINT64_FORMAT " MiB each, %"
           G_GUINT64_FORMAT " MiB left for kept features", image->width, image->height,
           run->tiles->len, choice.interior_w ? choice.interior_w : image->width,
           choice.interior_h ? choice.interior_h : image->height, choice.working >> 20,
           choice.keep_room >> 20);
  return TRUE;
}

static VkaStyle *
style_from_moments (const VkaMoments *m)
{
  g_autofree float *stats = g_new (float, 2 * m->channels);
  vka_moments_to_stats (m, stats);
  return vka_style_from_stats (m->channels, stats);
}

gboolean
vka_check_image (const char *what, const VkaImage *image, GError **error)
{
  if (image && image->pixels && image->width > 0 && image->height > 0
      && image->channels >= 1 && image->channels <= 4)
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               "the %s image is empty or has an unsupported channel count", what);
  return FALSE;
}

VkaStyle *
vka_style_from_image_tiled (VkaModel *model, const VkaImage *image, int tile,
                            GCancellable *cancellable, GError **error)
{
  if (!vka_check_image ("style", image, error))
    return NULL;
  TileRun run = { .cancellable = cancellable };
  VkaStyle *style = NULL;
  VkaImageSource source;
  vka_image_source_init (&source, image);
  if (tile_run_start (&run, model, &source, tile, 0, error) && gather_moments (&run, error))
    style = style_from_moments (&run.moments[0]);
  tile_run_clear (&run);
  return style;
}

VkaStyle *
vka_style_from_image (VkaModel *model, const VkaImage *image, GCancellable *cancellable,
                      GError **error)
{
  return vka_style_from_image_tiled (model, image, 0, cancellable, error);
}

/* Hands a tile's interior (RGB rows) to the sink, with alpha from the
 * content where the sink takes it. */
static gboolean
write_output (const VkaImageSource *content, const VkaTile *t, const float *rgb,
              const VkaImageSink *out, GError **error)
{
  gsize n = (gsize) t->w * t->h;
  if (out->channels == 3)
    return out->write (out->data, t->x0, t->y0, t->w, t->h, rgb, error);
  g_autofree float *rgba = g_try_new (float, n * 4);
  gboolean has_alpha = content->channels == 2 || content->channels == 4;
  g_autofree float *source = has_alpha && rgba ? g_try_new (float, n * content->channels)
                                               : NULL;
  if (!rgba || (has_alpha && !source))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate a %d×%d tile", t->w, t->h);
      return FALSE;
    }
  if (has_alpha
      && !content->read (content->data, t->x0, t->y0, t->w, t->h, source, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      memcpy (rgba + 4 * i, rgb + 3 * i, 3 * sizeof (float));
      rgba[4 * i + 3] = has_alpha ? source[(i + 1) * content->channels - 1] : 1.0f;
    }
  return out->write (out->data, t->x0, t->y0, t->w, t->h, rgba, error);
}

static VkaTensor *
upload_stats (VkaBackend *b, int channels, const float *values, GError **error)
{
  VkaTensor *t = vka_tensor_new (b, 1, channels, 1, 2, error);
  if (t && !b->ops->tensor_write (t, values, error))
    g_clear_pointer (&t, vka_tensor_free);
  return t;
}

/* The window's region map as a 0/1 mask tensor: 1 where the first style applies. */
static VkaTensor *
upload_region_mask (TileRun *run, const VkaTile *t, int h, int w, GError **error)
{
  VkaBackend *b = run->model->backend;
  g_autofree float *m = g_new (float, (gsize) h * w);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      m[y * w + x] = run->region_of[(gsize) (t->wy0 / 8 + y) * run->feat_w + t->wx0 / 8 + x]
                     == 0 ? 1.0f : 0.0f;
  VkaTensor *mask = vka_tensor_new (b, 1, 1, h, w, error);
  if (mask && !b->ops->tensor_write (mask, m, error))
    g_clear_pointer (&mask, vka_tensor_free);
  return mask;
}

/* AdaIN of f to region r's target: with f's own channel_stats on the device
 * (device_stats), else with the statistics pass 1 gathered. */
static VkaTensor *
adapt_region (TileRun *run, VkaTensor *f, int r, const float *target, float alpha,
              GError **error)
{
  VkaBackend *b = run->model->backend;
  g_autoptr (VkaTensor) ts = upload_stats (b, f->c, target, error);
  g_autoptr (VkaTensor) xs = NULL;
  if (ts && run->device_stats)
    {
      xs = vka_tensor_new (b, 1, f->c, 1, 2, error);
      if (xs && !b->ops->channel_stats (b, f, xs, error))
        g_clear_pointer (&xs, vka_tensor_free);
    }
  else if (ts)
    {
      g_autofree float *x_stats = g_new (float, 2 * f->c);
      vka_moments_to_stats (&run->moments[r], x_stats);
      xs = upload_stats (b, f->c, x_stats, error);
    }
  VkaTensor *out = xs ? vka_tensor_new (b, 1, f->c, f->h, f->w, error) : NULL;
  if (out && !b->ops->adain (b, f, xs, ts, alpha, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

/* Pass 2 for tile i up to its picture: AdaIN with the whole image's
 * statistics (per region), decode, and the interior as pixels, whose read
 * is begun (run->rgb, run->read). Without a read-back of pass 1 this is
 * one submission: the final read. */
static gboolean
submit_tile (TileRun *run, guint i, GError **error)
{
  VkaBackend *b = run->model->backend;
  const VkaTile *t = &g_array_index (run->tiles, VkaTile, i);
  float alpha = (float) run->job->options->alpha;
  g_autoptr (VkaTensor) f = tile_features (run, i, error);
  if (!f)
    return FALSE;
  VkaTensor *adapted[2] = { NULL, NULL };
  gboolean ok = TRUE;
  for (int r = 0; r < run->n_regions && ok; r++)
    ok = (adapted[r] = adapt_region (run, f, r, run->job->targets[r], alpha, error)) != NULL;
  g_clear_pointer (&f, vka_tensor_free);
  g_autoptr (VkaTensor) mixed = NULL;
  if (ok && run->n_regions == 2)
    {
      g_autoptr (VkaTensor) mask = upload_region_mask (run, t, adapted[0]->h,
                                                       adapted[0]->w, error);
      mixed = mask ? vka_tensor_new (b, 1, adapted[0]->c, adapted[0]->h, adapted[0]->w,
                                     error) : NULL;
      ok = mixed && b->ops->mask_blend (b, adapted[0], adapted[1], mask, mixed, error);
    }
  else if (ok)
    mixed = g_steal_pointer (&adapted[0]);
  vka_tensor_free (adapted[0]);
  vka_tensor_free (adapted[1]);
  if (!ok)
    return FALSE;

  g_autoptr (VkaTensor) decoded = vka_network_forward_take (run->model->decoder,
                                                            g_steal_pointer (&mixed), NULL,
                                                            NULL, error);
  g_autoptr (VkaTensor) rgb = decoded ? vka_tensor_new (b, 1, 1, t->h, t->w * 3, error)
                                      : NULL;
  if (!rgb || !b->ops->tensor_to_image (b, decoded, t->y0 - t->wy0, t->x0 - t->wx0, rgb,
                                        error))
    return FALSE;
  g_clear_pointer (&decoded, vka_tensor_free);
  if (!vka_tensor_read_begin (rgb, &run->read, error))
    return FALSE;
  run->rgb = g_steal_pointer (&rgb);
  return TRUE;
}

/* The picture submit_tile began to read for tile i: waited for and written. */
static gboolean
deliver_tile (TileRun *run, guint i, GError **error)
{
  const VkaTile *t = &g_array_index (run->tiles, VkaTile, i);
  float *pixels = scratch (&run->out_pixels, &run->out_floats, vka_tensor_numel (run->rgb), t,
                           error);
  if (!pixels)
    return FALSE;
  gboolean ok = vka_tensor_read_end (&run->read, pixels, error);
  g_clear_pointer (&run->rgb, vka_tensor_free);
  return ok && write_output (run->source, t, pixels, run->job->out, error);
}

/* Nearest-neighbour downsampling of the mask to relu4_1 size, as the
 * original's spatial control does; region 0 takes the first style. */
static guint8 *
region_map (const VkaImage *mask, int feat_w, int feat_h)
{
  guint8 *regions = g_new (guint8, (gsize) feat_w * feat_h);
  for (int y = 0; y < feat_h; y++)
    for (int x = 0; x < feat_w; x++)
      {
        gsize sy = (gsize) y * mask->height / feat_h, sx = (gsize) x * mask->width / feat_w;
        regions[(gsize) y * feat_w + x] =
          mask->pixels[(sy * mask->width + sx) * mask->channels] > 0.5f ? 0 : 1;
      }
  return regions;
}

/* How pass 1 kept the features (debug output). */
static void
log_kept (const TileRun *run)
{
  guint device = 0, host = 0;
  for (guint i = 0; i < run->tiles->len; i++)
    {
      device += run->kept[i].on_device != NULL;
      host += run->kept[i].on_host != NULL;
    }
  g_debug ("%u tiles: features of %u kept on the device, %u in host memory, %u to encode "
           "again", run->tiles->len, device, host, run->tiles->len - device - host);
}

VkaStylizeRun *
vka_stylize_run_submit (const VkaStylizeJob *job, int tile, gboolean keep_on_device,
                        int *interior, GError **error)
{
  VkaStylizeRun *sr = g_new0 (VkaStylizeRun, 1);
  TileRun *run = &sr->run;
  *run = (TileRun) { .progress = job->progress, .progress_data = job->progress_data,
                     .cancellable = job->cancellable, .job = job };
  VkaModel *model = job->model;
  const VkaStylizeOptions *options = job->options;
  gboolean ok = tile_run_start (run, model, job->content, tile, options->memory_limit,
                                error);
  if (ok)
    {
      *interior = g_array_index (run->tiles, VkaTile, 0).w;
      run->kept = g_new0 (KeptFeatures, run->tiles->len);
      if (!keep_on_device && !model->keep_fixed)
        run->host_room = MAX (run->host_room, run->device_room);
      if (!keep_on_device)
        run->device_room = 0;
      double split = run->tiles->len == 1 ? 0.4 : 0.33;
      run->progress_to = split;
      if (options->mask)
        {
          run->n_regions = 2;
          run->region_of = region_map (options->mask, run->feat_w, run->feat_h);
        }
      run->device_stats = run->tiles->len == 1 && run->n_regions == 1;
      if (run->device_stats)
        report (run, 1);
      else
        ok = gather_moments (run, error);
      if (ok && !run->device_stats)
        log_kept (run);
      VkaBackend *b = model->backend;
      if (ok && b->ops->peak_bytes)
        g_debug ("after pass 1 the backend has held at most %" G_GUINT64_FORMAT " MiB",
                 b->ops->peak_bytes (b) >> 20);
      run->progress_from = split;
      run->progress_to = 1.0;
      guint last = run->tiles->len - 1;
      for (guint i = 0; ok && i < last; i++)
        {
          ok = check_cancel (run->cancellable, error) && submit_tile (run, i, error)
               && deliver_tile (run, i, error);
          report (run, i + 1);
        }
      ok = ok && check_cancel (run->cancellable, error) && submit_tile (run, last, error);
    }
  if (!ok)
    g_clear_pointer (&sr, vka_stylize_run_free);
  return sr;
}

gboolean
vka_stylize_run_finish (VkaStylizeRun *sr, GError **error)
{
  TileRun *run = &sr->run;
  gboolean ok = deliver_tile (run, run->tiles->len - 1, error);
  report (run, run->tiles->len);
  vka_stylize_run_free (sr);
  return ok;
}

void
vka_stylize_run_free (VkaStylizeRun *sr)
{
  tile_run_clear (&sr->run);
  g_free (sr);
}
