/* jpeg.c — JPEGs read and written with libjpeg directly.
 *
 * Writing: the file is the one gegl:jpg-save writes from the same rows (the
 * same libjpeg, the same settings: quality 95, no chroma subsampling, babl's
 * sRGB ICC profile, progressive and Huffman-optimised below 4 MP, baseline
 * in one pass above, as imageio.c asks), without GEGL's graph and its
 * row-by-row reads through a buffer: at 12 MP writing took 137 ms through
 * GEGL and 66 ms here.
 *
 * Reading: the buffer gegl:jpg-load makes (the float DCT it asks for, the
 * file's own format, its ICC profile as the buffer's space), decoded into
 * one linear block instead of GEGL reading the file 1 KiB at a time and
 * setting the buffer row by row.
 *
 * CMYK (and YCCK) files are turned into sRGB as PIL does: samples inverted
 * (the Adobe convention, which PIL assumes for every CMYK JPEG), then each
 * channel (255 − C)(255 − K)/255 in PIL's integer rounding; a CMYK ICC
 * profile is not applied. gegl:jpg-load hands them to babl, whose CMYK
 * model is linear light: a 29 % grey came out 57 %. */
#include "imageio-private.h"

#ifdef VKA_HAVE_LIBJPEG
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>

/* PIL's cmyk2rgb for one row of Adobe-inverted samples: with the ink
 * values c = 255 − stored, k = 255 − stored K, each channel is
 * (255 − k) − c·(255 − k)/255, the division rounded as PIL's MULDIV255. */
static void
cmyk_row_to_rgb (const guint8 *cmyk, guint8 *rgb, JDIMENSION width)
{
  for (JDIMENSION x = 0; x < width; x++, cmyk += 4, rgb += 3)
    {
      unsigned nk = cmyk[3];   /* 255 − k */
      for (int c = 0; c < 3; c++)
        {
          unsigned t = (255u - cmyk[c]) * nk + 128u;
          rgb[c] = (guint8) (nk - (((t >> 8) + t) >> 8));
        }
    }
}

typedef struct
{
  struct jpeg_error_mgr base;
  jmp_buf               escape;
  char                  message[JMSG_LENGTH_MAX];
} ErrorManager;

/* libjpeg's default ends the process */
static void
error_exit (j_common_ptr cinfo)
{
  ErrorManager *err = (ErrorManager *) cinfo->err;
  cinfo->err->format_message (cinfo, err->message);
  longjmp (err->escape, 1);
}

gboolean
vka_jpeg_write (const guint8 *rgb, int width, int height, gboolean progressive,
                const char *path, const char *display_name, GError **error)
{
  FILE *f = fopen (path, "wb");
  if (!f)
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", display_name,
                   g_strerror (e));
      return FALSE;
    }
  struct jpeg_compress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error (&err.base);
  err.base.error_exit = error_exit;
  if (setjmp (err.escape))
    {
      jpeg_destroy_compress (&cinfo);
      fclose (f);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", display_name,
                   err.message);
      return FALSE;
    }
  jpeg_create_compress (&cinfo);
  jpeg_stdio_dest (&cinfo, f);
  cinfo.image_width = (JDIMENSION) width;
  cinfo.image_height = (JDIMENSION) height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 95, TRUE);
  cinfo.optimize_coding = progressive;
  if (progressive)
    jpeg_simple_progression (&cinfo);
  for (int c = 0; c < 3; c++)
    cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  cinfo.restart_interval = 0;
  cinfo.restart_in_rows = 0;
  jpeg_start_compress (&cinfo, TRUE);
  int icc_len = 0;
  const char *icc = babl_space_get_icc (babl_space ("sRGB"), &icc_len);
  if (icc && icc_len > 0)
    jpeg_write_icc_profile (&cinfo, (const JOCTET *) icc, (unsigned int) icc_len);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      JSAMPROW row = (JSAMPROW) (rgb + (gsize) cinfo.next_scanline * width * 3);
      jpeg_write_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  if (fclose (f) != 0)
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: %s", display_name,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

GeglBuffer *
vka_jpeg_read (const char *path, const char *display_name, GError **error)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot read %s: %s", display_name,
                   g_strerror (e));
      return NULL;
    }
  struct jpeg_decompress_struct cinfo;
  ErrorManager err;
  guint8 *volatile pixels = NULL;
  guint8 *volatile cmyk_row = NULL;
  cinfo.err = jpeg_std_error (&err.base);
  err.base.error_exit = error_exit;
  if (setjmp (err.escape))
    {
      jpeg_destroy_decompress (&cinfo);
      fclose (f);
      g_free (pixels);
      g_free (cmyk_row);
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s is not a JPEG that can be "
                   "read: %s", display_name, err.message);
      return NULL;
    }
  jpeg_create_decompress (&cinfo);
  jpeg_save_markers (&cinfo, JPEG_APP0 + 2, 0xFFFF);   /* the ICC profile */
  jpeg_stdio_src (&cinfo, f);
  jpeg_read_header (&cinfo, TRUE);
  gboolean cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cmyk)
    cinfo.out_color_space = JCS_CMYK;
  else if (cinfo.out_color_space != JCS_RGB && cinfo.out_color_space != JCS_GRAYSCALE)
    {
      jpeg_destroy_decompress (&cinfo);
      fclose (f);
      return NULL;
    }
  cinfo.dct_method = JDCT_FLOAT;
  jpeg_start_decompress (&cinfo);
  const Babl *space = NULL;
  JOCTET *icc = NULL;
  unsigned int icc_len = 0;
  if (!cmyk && jpeg_read_icc_profile (&cinfo, &icc, &icc_len) && icc)
    {
      const char *icc_error = NULL;
      space = babl_space_from_icc ((const char *) icc, (int) icc_len,
                                   BABL_ICC_INTENT_RELATIVE_COLORIMETRIC, &icc_error);
      if (!space)
        g_warning ("%s: its ICC profile was not taken (%s): read as sRGB", display_name,
                   icc_error ? icc_error : "?");
      free (icc);
    }
  gboolean gray = cinfo.out_color_space == JCS_GRAYSCALE;
  const Babl *format = babl_format_with_space (gray ? "Y' u8" : "R'G'B' u8", space);
  gsize row = (gsize) cinfo.output_width * (cmyk ? 3 : cinfo.output_components);
  pixels = g_try_malloc (row * cinfo.output_height);
  if (cmyk && pixels)
    cmyk_row = g_try_malloc ((gsize) cinfo.output_width * 4);
  if (!pixels || (cmyk && !cmyk_row))
    {
      jpeg_destroy_decompress (&cinfo);
      fclose (f);
      g_free (pixels);
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %u×%u pixels for %s", cinfo.output_width,
                   cinfo.output_height, display_name);
      return NULL;
    }
  while (cinfo.output_scanline < cinfo.output_height)
    {
      guint8 *dest = pixels + row * cinfo.output_scanline;
      JSAMPROW r = (JSAMPROW) (cmyk ? cmyk_row : dest);
      jpeg_read_scanlines (&cinfo, &r, 1);
      if (cmyk)
        cmyk_row_to_rgb (cmyk_row, dest, cinfo.output_width);
    }
  g_free (cmyk_row);
  cmyk_row = NULL;   /* jpeg_finish_decompress may still jump to the handler */
  GeglRectangle extent = { 0, 0, (int) cinfo.output_width, (int) cinfo.output_height };
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  fclose (f);
  return gegl_buffer_linear_new_from_data (pixels, format, &extent, (int) row,
                                           (GDestroyNotify) g_free, pixels);
}

#else

GeglBuffer *
vka_jpeg_read (const char *path, const char *display_name, GError **error)
{
  return NULL;
}

gboolean
vka_jpeg_write (const guint8 *rgb, int width, int height, gboolean progressive,
                const char *path, const char *display_name, GError **error)
{
  g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot write %s: built without libjpeg",
               display_name);
  return FALSE;
}

#endif
