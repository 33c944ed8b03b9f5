/* load.c — detect a weight file's format from its first bytes and dispatch. */
#include "weights-private.h"

#include <errno.h>
#include <string.h>

const char *
vka_weights_format_name (VkaWeightsFormat format)
{
  switch (format)
    {
    case VKA_WEIGHTS_FORMAT_PTH_ZIP:
      return "PyTorch (zip)";
    case VKA_WEIGHTS_FORMAT_PTH_LEGACY:
      return "PyTorch (legacy)";
    case VKA_WEIGHTS_FORMAT_TORCH7:
      return "Torch7";
    case VKA_WEIGHTS_FORMAT_SAFETENSORS:
      return "safetensors";
    case VKA_WEIGHTS_FORMAT_UNKNOWN:
    default:
      return "unknown";
    }
}

gboolean
vka_weights_head_is_safetensors (const guint8 *head, guint64 file_size)
{
  return file_size >= 9 && vka_read_u64 (head) <= file_size - 8 && head[8] == '{';
}

/* safetensors is tried first: its first byte is the low byte of the header
 * length, which may well be 0x80 (pickle's PROTO) or 4 (Torch7's class
 * tag), while its whole test — a length that fits the file, then '{' — is
 * one that no pickle, zip or Torch7 file passes (their first eight bytes
 * read as a length far beyond any file). */
static VkaWeightsFormat
detect (const guint8 *data, gsize size)
{
  if (vka_weights_head_is_safetensors (data, size))
    return VKA_WEIGHTS_FORMAT_SAFETENSORS;
  if (size >= 4 && (memcmp (data, "PK\3\4", 4) == 0 || memcmp (data, "PK\5\6", 4) == 0))
    return VKA_WEIGHTS_FORMAT_PTH_ZIP;
  if (size >= 2 && data[0] == 0x80 && data[1] <= 5)   /* pickle PROTO */
    return VKA_WEIGHTS_FORMAT_PTH_LEGACY;
  if (size >= 4 && vka_read_u32 (data) == 4)           /* Torch7 class object */
    return VKA_WEIGHTS_FORMAT_TORCH7;
  return VKA_WEIGHTS_FORMAT_UNKNOWN;
}

VkaWeights *
vka_weights_load_from_data (const guint8 *data, gsize size,
                            const char *display_name,
                            VkaWeightsFormat *format_out, GError **error)
{
  VkaWeightsFormat format = detect (data, size);
  if (format_out)
    *format_out = format;

  switch (format)
    {
    case VKA_WEIGHTS_FORMAT_PTH_ZIP:
      return vka_pth_zip_load (data, size, display_name, error);
    case VKA_WEIGHTS_FORMAT_PTH_LEGACY:
      return vka_pth_legacy_load (data, size, display_name, error);
    case VKA_WEIGHTS_FORMAT_TORCH7:
      return vka_torch7_load (data, size, display_name, error);
    case VKA_WEIGHTS_FORMAT_SAFETENSORS:
      return vka_safetensors_load (data, size, display_name, error);
    case VKA_WEIGHTS_FORMAT_UNKNOWN:
    default:
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: not a weight file this program knows (%s); expected "
                   "PyTorch .pth, Torch7 .t7 or .safetensors", display_name,
                   size == 0 ? "the file is empty" : "unrecognised content");
      return NULL;
    }
}

VkaWeights *
vka_weights_load (const char *path, VkaWeightsFormat *format_out, GError **error)
{
  g_autofree char *display_name = g_filename_display_basename (path);
  GError *local = NULL;

  if (format_out)
    *format_out = VKA_WEIGHTS_FORMAT_UNKNOWN;
  /* Mapped, not read: the official VGG is 80 MB and is only looked at once. */
  GMappedFile *mapped = g_mapped_file_new (path, FALSE, &local);
  if (!mapped)
    {
      gboolean missing = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT);
      g_autofree char *full = g_filename_display_name (path);
      if (missing)
        g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL, "%s: no such file (%s)",
                     display_name, full);
      else
        g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "%s: %s", display_name,
                     local->message);
      g_error_free (local);
      return NULL;
    }
  VkaWeights *weights = vka_weights_load_from_data (
      (const guint8 *) g_mapped_file_get_contents (mapped),
      g_mapped_file_get_length (mapped), display_name, format_out, error);
  g_mapped_file_unref (mapped);
  return weights;
}
