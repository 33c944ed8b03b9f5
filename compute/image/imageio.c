/* imageio.c — image files through GEGL: load into a VkaImage, save from one.
 *
 * Loading: gegl:load into a GeglBuffer in the file's own format, then read
 * it as "Y' float", "Y'A float", "R'G'B' float" or "R'G'B'A float" (16-bit
 * sources keep their precision up to the float). GEGL 0.4.42's JPEG loader
 * ignores the EXIF orientation tag, so it is read here (a small APP1/TIFF
 * parser) and applied to the pixels. The loader is picked by the file's
 * content (PNG, JPEG, TIFF and WebP directly; a few other formats known by
 * their first bytes through gegl:load; anything else is refused), and a
 * JPEG's header is checked first: GEGL's JPEG loader ends the process on a
 * file it cannot parse.
 *
 * Saving: the pixels are rounded to 8 bits here (round(clamp(x)·255), as
 * torchvision's save_image), handed to gegl:png-save / jpg-save /
 * tiff-save / webp-save chosen by the extension, written to a temporary file
 * in the destination folder and renamed over the destination.
 */
#include "imageio-private.h"

#include <errno.h>
#include <gegl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static gsize gegl_started = 0;
static gboolean gegl_is_hosts;   /* initialised by the program we run in */
/* GEGL graphs are run from one thread at a time (the trainer loads from
 * several threads; GEGL makes no promise for concurrent graphs). */
static GMutex gegl_lock;

/* JPEGs are read and RGB ones written by jpeg.c where libjpeg was found:
 * the buffer and the file GEGL's loader and saver make, faster;
 * $VKA_JPEG=gegl asks for GEGL's (the tests compare the two). */
static gboolean
jpeg_direct (void)
{
#ifdef VKA_HAVE_LIBJPEG
  return g_strcmp0 (g_getenv ("VKA_JPEG"), "gegl") != 0;
#else
  return FALSE;
#endif
}

static void
ensure_gegl (void)
{
  if (g_once_init_enter (&gegl_started))
    {
      gegl_init (NULL, NULL);
      g_once_init_leave (&gegl_started, 1);
    }
}

void
vka_imageio_init (void)
{
  if (g_once_init_enter (&gegl_started))
    {
      gboolean inhibit = !g_getenv ("BABL_INHIBIT_CACHE");
      if (inhibit)
        g_setenv ("BABL_INHIBIT_CACHE", "1", TRUE);
      gegl_init (NULL, NULL);
      /* A reference of our own, never dropped: gegl_exit's babl_exit then
       * leaves babl up and does not write the cache over with the few
       * conversions this process made (GIMP's would be lost). */
      if (inhibit)
        babl_init ();
      g_once_init_leave (&gegl_started, 1);
    }
}

void
vka_imageio_gegl_from_host (void)
{
  if (g_once_init_enter (&gegl_started))
    {
      gegl_is_hosts = TRUE;
      g_once_init_leave (&gegl_started, 1);
    }
}

void
vka_imageio_shutdown (void)
{
  if (g_atomic_pointer_get (&gegl_started) && !gegl_is_hosts)
    gegl_exit ();
}

/* ---- EXIF orientation ------------------------------------------------------ */

static guint
rd16 (const guint8 *p, gboolean le)
{
  return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1];
}

static guint32
rd32 (const guint8 *p, gboolean le)
{
  return le ? (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24
            : (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* Orientation (1..8) from a TIFF structure (the body of an Exif APP1). */
static int
tiff_orientation (const guint8 *t, gsize n)
{
  if (n < 8)
    return 1;
  gboolean le;
  if (t[0] == 'I' && t[1] == 'I')
    le = TRUE;
  else if (t[0] == 'M' && t[1] == 'M')
    le = FALSE;
  else
    return 1;
  guint32 ifd = rd32 (t + 4, le);
  if (ifd > n - 2)
    return 1;
  guint entries = rd16 (t + ifd, le);
  for (guint i = 0; i < entries; i++)
    {
      gsize e = ifd + 2 + (gsize) i * 12;
      if (e + 12 > n)
        break;
      if (rd16 (t + e, le) == 0x0112 && rd16 (t + e + 2, le) == 3)
        {
          guint v = rd16 (t + e + 8, le);
          return v >= 1 && v <= 8 ? (int) v : 1;
        }
    }
  return 1;
}

/* Walks the JPEG markers before the image data looking for Exif APP1. */
static int
jpeg_orientation (const guint8 *d, gsize n)
{
  gsize p = 2;
  while (p + 4 <= n)
    {
      if (d[p] != 0xFF)
        return 1;
      guint marker = d[p + 1];
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
        {
          p += 2;
          continue;
        }
      if (marker == 0xDA || marker == 0xD9)
        return 1;
      gsize len = rd16 (d + p + 2, FALSE);
      if (len < 2 || p + 2 + len > n)
        return 1;
      if (marker == 0xE1 && len >= 8 && memcmp (d + p + 4, "Exif\0\0", 6) == 0)
        return tiff_orientation (d + p + 10, len - 8);
      p += 2 + len;
    }
  return 1;
}

/* ---- Loading ---------------------------------------------------------------- */

static gboolean
is_jpeg (const guint8 *d, gsize n)
{
  return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}


/* libjpeg's default error handler, which GEGL's JPEG loader keeps, ends the
 * whole process on a file it cannot parse ("Not a JPEG file: starts with
 * ..."). So a JPEG's header is walked here first: segments with sane
 * lengths up to the start of scan, with a frame header (SOFn) of non-zero
 * size before it. NULL when it looks loadable, else why. */
static const char *
check_jpeg_header (const guint8 *d, gsize n)
{
  gsize p = 2;
  gboolean frame = FALSE;
  while (p + 4 <= n)
    {
      if (d[p] != 0xFF)
        return "corrupt JPEG header (a segment does not start with a marker)";
      guint marker = d[p + 1];
      if (marker == 0xFF)
        {
          p++;   /* fill byte */
          continue;
        }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
        {
          p += 2;
          continue;
        }
      if (marker == 0xD8 || marker == 0xD9 || marker == 0x00)
        return "corrupt JPEG header (a marker out of place)";
      gsize len = rd16 (d + p + 2, FALSE);
      if (len < 2)
        return "corrupt JPEG header (a segment length below 2)";
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
          && marker != 0xCC)
        {
          if (len < 8 || p + 2 + 8 > n)
            return "corrupt JPEG header (a short frame header)";
          if (marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF)
            return "unsupported JPEG coding (lossless)";
          if (rd16 (d + p + 5, FALSE) == 0 || rd16 (d + p + 7, FALSE) == 0)
            return "corrupt JPEG header (zero width or height)";
          frame = TRUE;
        }
      if (marker == 0xDA)
        return frame ? NULL : "corrupt JPEG header (no frame header before the image data)";
      p += 2 + len;
    }
  /* headers longer than what was read: leave the rest to the loader */
  return p < n ? "corrupt JPEG header (a segment runs past the end)" : NULL;
}

/* The GEGL loader for a file's content (not its name): a PNG named .jpg
 * still loads. NULL for content we do not recognise. */
static const char *
load_operation (const guint8 *d, gsize n)
{
  if (n >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "gegl:png-load";
  if (is_jpeg (d, n))
    return "gegl:jpg-load";
  if (n >= 4 && (memcmp (d, "II*\0", 4) == 0 || memcmp (d, "MM\0*", 4) == 0))
    return "gegl:tiff-load";
  if (n >= 12 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0)
    return "gegl:webp-load";
  return NULL;
}

/* Other picture formats, recognised by their first bytes, that are left to
 * gegl:load (which picks a loader by the name). Content that is none of
 * these nor of load_operation's is refused: gegl:load would hand it to its
 * ImageMagick fallback (an external program and a shared temporary file),
 * or to the loader its name promises (GEGL's JPEG loader ends the process
 * on a file it cannot parse). */
static gboolean
other_picture (const guint8 *d, gsize n)
{
  static const struct { const char *magic; gsize len; } table[] = {
    { "GIF87a", 6 }, { "GIF89a", 6 }, { "BM", 2 }, { "v/1\x01", 4 } /* OpenEXR */,
    { "#?RADIANCE", 10 }, { "#?RGBE", 6 }, { "8BPS", 4 } /* PSD */,
    { "\0\0\0\x0cjP  ", 8 } /* JPEG 2000 */, { "\xff\x4f\xff\x51", 4 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (n >= table[i].len && memcmp (d, table[i].magic, table[i].len) == 0)
      return TRUE;
  /* PNM: P1..P7 then white space */
  if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' && g_ascii_isspace (d[2]))
    return TRUE;
  /* SVG: XML that mentions <svg early */
  if (n >= 5 && (memcmp (d, "<?xml", 5) == 0 || memcmp (d, "<svg", 4) == 0))
    return g_strstr_len ((const char *) d, (gssize) MIN (n, 4096), "<svg") != NULL;
  return FALSE;
}

/* Catches truncated files before GEGL sees them (its loaders print
 * libpng/libjpeg messages and return a partial picture): a PNG must walk
 * chunk by chunk to IEND, a JPEG must have an end-of-image marker near its
 * end, a WebP's RIFF size must fit the file. NULL when complete, else why. */
static const char *
check_complete (FILE *f, const guint8 *head, gsize n, gboolean jpeg)
{
  if (fseek (f, 0, SEEK_END) != 0)
    return NULL;
  long size = ftell (f);
  if (n >= 8 && memcmp (head, "\x89PNG\r\n\x1a\n", 8) == 0)
    {
      long pos = 8;
      for (;;)
        {
          guint8 h[8];
          if (pos + 12 > size || fseek (f, pos, SEEK_SET) != 0 || fread (h, 1, 8, f) != 8)
            return "truncated PNG (no IEND chunk)";
          guint32 len = rd32 (h, FALSE);
          if (len > 0x7fffffffu || pos + 12 + (long) len > size)
            return "truncated PNG (a chunk runs past the end of the file)";
          if (memcmp (h + 4, "IEND", 4) == 0)
            return NULL;
          pos += 12 + (long) len;
        }
    }
  if (jpeg)
    {
      guint8 tail[4096];
      long from = MAX (size - (long) sizeof tail, 0);
      if (fseek (f, from, SEEK_SET) != 0)
        return NULL;
      gsize m = fread (tail, 1, sizeof tail, f);
      for (gsize i = m; i >= 2; i--)
        if (tail[i - 2] == 0xFF && tail[i - 1] == 0xD9)
          return NULL;
      return "truncated JPEG (no end-of-image marker)";
    }
  if (n >= 12 && memcmp (head, "RIFF", 4) == 0 && memcmp (head + 8, "WEBP", 4) == 0
      && (long) rd32 (head + 4, TRUE) + 8 > size)
    return "truncated WebP";
  return NULL;
}

GeglBuffer *
vka_imageio_load_buffer (const char *path, VkaImageInfo *info, GError **error)
{
  g_autofree char *disp = g_filename_display_name (path);
  /* Read the head first: missing, unreadable and empty files get a clear
   * error of their own (gegl:load only gives an empty picture). */
  FILE *f = g_fopen (path, "rb");
  if (!f)
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot open %s: %s", disp,
                   g_strerror (e));
      return NULL;
    }
  guint8 *head = g_malloc (65536);
  gsize n = fread (head, 1, 65536, f);
  int read_errno = ferror (f) ? errno : 0;
  gboolean jpeg = is_jpeg (head, n);
  const char *incomplete = read_errno || n == 0 ? NULL : check_complete (f, head, n, jpeg);
  fclose (f);
  if (read_errno)
    {
      g_free (head);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot read %s: %s", disp,
                   g_strerror (read_errno));
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_free (head);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "%s is a folder, not an image", disp);
      return NULL;
    }
  if (n == 0)
    {
      g_free (head);
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s is empty (0 bytes)", disp);
      return NULL;
    }
  if (incomplete)
    {
      g_free (head);
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s is corrupt: %s", disp,
                   incomplete);
      return NULL;
    }
  const char *op = load_operation (head, n);
  const char *bad = jpeg ? check_jpeg_header (head, n) : NULL;
  if (!bad && !op && !other_picture (head, n))
    bad = "its content is not a picture format we know (PNG, JPEG, TIFF, WebP, GIF, BMP, "
          "PNM, OpenEXR, Radiance HDR, PSD, JPEG 2000, SVG), whatever its name says";
  if (bad)
    {
      g_free (head);
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s is not a readable image: %s",
                   disp, bad);
      return NULL;
    }
  int orientation = jpeg ? jpeg_orientation (head, n) : 1;
  g_free (head);

  ensure_gegl ();
  GeglBuffer *buffer = NULL;
  if (jpeg && jpeg_direct ())
    {
      GError *read_error = NULL;
      buffer = vka_jpeg_read (path, disp, &read_error);
      if (read_error)
        {
          g_propagate_error (error, read_error);
          return NULL;
        }
    }
  g_mutex_lock (&gegl_lock);
  if (!buffer)
    {
      GeglNode *graph = gegl_node_new ();
      GeglNode *load = gegl_node_new_child (graph, "operation", op ? op : "gegl:load",
                                            "path", path, NULL);
      GeglNode *sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink",
                                            "buffer", &buffer, NULL);
      gegl_node_link (load, sink);
      gegl_node_process (sink);
      g_object_unref (graph);
    }

  GeglRectangle r = buffer ? *gegl_buffer_get_extent (buffer) : (GeglRectangle) { 0 };
  if (!buffer || r.width <= 0 || r.height <= 0)
    {
      g_clear_object (&buffer);
      g_mutex_unlock (&gegl_lock);
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s is not an image that can be read (corrupt, empty or an "
                   "unsupported format)", disp);
      return NULL;
    }
  g_mutex_unlock (&gegl_lock);
  const Babl *fmt = gegl_buffer_get_format (buffer);
  int components = babl_format_get_n_components (fmt);
  if (info)
    *info = (VkaImageInfo) { babl_format_get_bytes_per_pixel (fmt) * 8 / MAX (components, 1),
                             babl_format_has_alpha (fmt), orientation };
  return buffer;
}

const Babl *
vka_imageio_float_format (GeglBuffer *buffer)
{
  const Babl *fmt = gegl_buffer_get_format (buffer);
  gboolean alpha = babl_format_has_alpha (fmt);
  gboolean gray = babl_format_get_n_components (fmt) - (alpha ? 1 : 0) == 1;
  return babl_format (gray ? (alpha ? "Y'A float" : "Y' float")
                           : (alpha ? "R'G'B'A float" : "R'G'B' float"));
}

/* The whole picture read as its regions are (picture.c), so that the EXIF
 * orientation is applied in one place. */
VkaImage *
vka_image_load (const char *path, VkaImageInfo *info, GError **error)
{
  g_autoptr (VkaPicture) picture = vka_picture_load (path, info, error);
  if (!picture)
    return NULL;
  VkaImageSource source;
  vka_picture_source (picture, &source);
  VkaImage *image = vka_image_new (source.width, source.height, source.channels, error);
  if (image && !source.read (source.data, 0, 0, source.width, source.height, image->pixels,
                             error))
    g_clear_pointer (&image, vka_image_free);
  return image;
}

/* ---- Saving ----------------------------------------------------------------- */

/* The picture types: what vka_image_save writes, and what the programs
 * look for in folders. */
static const char *const picture_extensions[] = { ".png", ".jpg", ".jpeg", ".tif", ".tiff",
                                                  ".webp", NULL };
static const char *const save_operations[] = { "gegl:png-save", "gegl:jpg-save",
                                               "gegl:jpg-save", "gegl:tiff-save",
                                               "gegl:tiff-save", "gegl:webp-save" };

const char *const *
vka_picture_extensions (void)
{
  return picture_extensions;
}

static const char *
save_operation (const char *path)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, G_DIR_SEPARATOR);
  if (!dot || (slash && dot < slash))
    return NULL;
  for (gsize i = 0; picture_extensions[i]; i++)
    if (g_ascii_strcasecmp (dot, picture_extensions[i]) == 0)
      return save_operations[i];
  return NULL;
}

gboolean
vka_picture_name_known (const char *name)
{
  return name[0] != '.' && strchr (name, G_DIR_SEPARATOR) == NULL
      && save_operation (name) != NULL;
}

static const char *
save_operation_or_error (const char *path, GError **error)
{
  const char *op = save_operation (path);
  if (!op)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "%s: unknown image type (use .png, .jpg, .tif or .webp)", disp);
    }
  return op;
}

gboolean
vka_image_save_supported (const char *path)
{
  return save_operation (path) != NULL;
}

gboolean
vka_image_save (const VkaImage *image, const char *path, GError **error)
{
  if (!save_operation_or_error (path, error))
    return FALSE;
  int ch = image->channels;
  g_autoptr (VkaBytesImage) bytes = vka_bytes_image_new (image->width, image->height,
                                                         vka_image_save_channels (path, ch),
                                                         error);
  if (!bytes)
    return FALSE;
  gsize npix = (gsize) image->width * image->height;
  for (gsize i = 0; i < npix; i++)
    vka_bytes_quantize (image->pixels + i * ch, ch, bytes->bytes + i * bytes->channels,
                        bytes->channels);
  return vka_bytes_image_save (bytes, path, error);
}

gboolean
vka_bytes_image_save (const VkaBytesImage *image, const char *path, GError **error)
{
  g_autofree char *disp = g_filename_display_name (path);
  const char *op = save_operation_or_error (path, error);
  if (!op)
    return FALSE;
  ensure_gegl ();
  gboolean is_jpg = strcmp (op, "gegl:jpg-save") == 0;
  int out_ch = image->channels;
  if (is_jpg && (out_ch == 2 || out_ch == 4))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "%s: JPEG has no alpha; save %d channels without it", disp, out_ch);
      return FALSE;
    }
  gboolean gray = out_ch <= 2, alpha = out_ch == 2 || out_ch == 4;
  const char *fmt_name = gray ? (alpha ? "Y'A u8" : "Y' u8")
                              : (alpha ? "R'G'B'A u8" : "R'G'B' u8");
  GeglRectangle r = { 0, 0, image->width, image->height };
  g_mutex_lock (&gegl_lock);
  GeglBuffer *buffer = gegl_buffer_linear_new_from_data (image->bytes, babl_format (fmt_name),
                                                         &r, image->width * out_ch, NULL,
                                                         NULL);

  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf ("%s" G_DIR_SEPARATOR_S ".%s.XXXXXX", dir, base);
  int fd = g_mkstemp (tmpl);
  if (fd < 0)
    {
      int e = errno;
      g_object_unref (buffer);
      g_mutex_unlock (&gegl_lock);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", disp,
                   g_strerror (e));
      return FALSE;
    }
  close (fd);

  /* progressive and Huffman-optimised JPEGs make libjpeg hold the whole
   * picture's coefficients (600 MB at 100 MP); large pictures are written
   * as cameras write them, baseline and in one pass */
  gboolean progressive = (guint64) image->width * image->height < (1u << 22);
  if (is_jpg && out_ch == 3 && jpeg_direct ())
    {
      g_object_unref (buffer);
      g_mutex_unlock (&gegl_lock);
      if (!vka_jpeg_write (image->bytes, image->width, image->height, progressive, tmpl, disp,
                           error))
        {
          g_unlink (tmpl);
          return FALSE;
        }
    }
  else
    {
      GeglNode *graph = gegl_node_new ();
      GeglNode *src = gegl_node_new_child (graph, "operation", "gegl:buffer-source",
                                           "buffer", buffer, NULL);
      GeglNode *save = gegl_node_new_child (graph, "operation", op, "path", tmpl, NULL);
      if (is_jpg)
        gegl_node_set (save, "quality", 95, NULL);
      if (is_jpg && !progressive)
        gegl_node_set (save, "progressive", FALSE, "optimize", FALSE, NULL);
      else if (strcmp (op, "gegl:png-save") == 0)
        gegl_node_set (save, "bitdepth", 8, NULL);
      gegl_node_link (src, save);
      gegl_node_process (save);
      g_object_unref (graph);
      g_object_unref (buffer);
      g_mutex_unlock (&gegl_lock);
    }

  GStatBuf st;
  if (g_stat (tmpl, &st) != 0 || st.st_size == 0)
    {
      g_unlink (tmpl);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: the %s encoder failed",
                   disp, op);
      return FALSE;
    }
  if (g_rename (tmpl, path) != 0)
    {
      int e = errno;
      g_unlink (tmpl);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", disp,
                   g_strerror (e));
      return FALSE;
    }
  /* mkstemp made the file 0600; give it the usual permissions. */
  mode_t mask = umask (0);
  umask (mask);
  g_chmod (path, 0666 & ~mask);
  return TRUE;
}
