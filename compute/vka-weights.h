/* vka-weights.h — weights as named float32 tensors in memory, read from and
 * written to weight files (part of the public API; included by vka.h, and
 * needing nothing of it). Formats are detected from the content, never from
 * the file name: PyTorch zip (>= 1.6), PyTorch legacy pickle stream, Torch7
 * .t7, safetensors. Nothing in a file is ever executed. Errors are in the
 * VKA_ERROR domain (vka.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- Named float32 tensors in memory ------------------------------------ */

typedef struct VkaWeights VkaWeights;

#define VKA_MAX_DIMS 4

typedef struct
{
  char   *name;
  int     ndim;
  gint64  shape[VKA_MAX_DIMS];
  float  *data;                /* C-contiguous, product(shape) floats */
} VkaTensorData;

VkaWeights *vka_weights_new (void);
void        vka_weights_free (VkaWeights *weights);
/* Takes ownership of data (allocated with g_malloc). Replaces a tensor of
 * the same name. Fails on a bad shape; data is freed on failure too. */
gboolean    vka_weights_insert (VkaWeights *weights, const char *name, int ndim,
                                const gint64 *shape, float *data, GError **error);
const VkaTensorData *vka_weights_get (const VkaWeights *weights, const char *name);
guint       vka_weights_count (const VkaWeights *weights);
/* In insertion order. */
const VkaTensorData *vka_weights_nth (const VkaWeights *weights, guint index);
gint64      vka_tensor_data_numel (const VkaTensorData *tensor);

/* ---- Weight files ------------------------------------------------------- */

typedef enum
{
  VKA_WEIGHTS_FORMAT_UNKNOWN,
  VKA_WEIGHTS_FORMAT_PTH_ZIP,
  VKA_WEIGHTS_FORMAT_PTH_LEGACY,
  VKA_WEIGHTS_FORMAT_TORCH7,
  VKA_WEIGHTS_FORMAT_SAFETENSORS,
} VkaWeightsFormat;

const char      *vka_weights_format_name (VkaWeightsFormat format);

/* TRUE when a file of file_size bytes that starts with head (at least 9
 * bytes) is laid out as safetensors: a little-endian 64-bit header length
 * that fits the file, then the header's '{'. No picture format the
 * programs read passes: its first eight bytes read as a length far beyond
 * the file. */
gboolean         vka_weights_head_is_safetensors (const guint8 *head, guint64 file_size);

/* Load every float tensor of a state dict as float32, keyed "{i}.weight" /
 * "{i}.bias" as in the official sequential layouts. Wrappers ("state_dict",
 * "model", a "module." prefix) are unwrapped. Errors name the file. */
VkaWeights      *vka_weights_load (const char *path, VkaWeightsFormat *format_out,
                                   GError **error);
/* Same, from memory; display_name is used in error messages. */
VkaWeights      *vka_weights_load_from_data (const guint8 *data, gsize size,
                                             const char *display_name,
                                             VkaWeightsFormat *format_out,
                                             GError **error);
/* Written to a temporary file in the same folder, synced, then renamed. */
gboolean         vka_weights_save_safetensors (const VkaWeights *weights,
                                               const char *path, GError **error);
/* The PyTorch >= 1.6 zip format of a plain state dict (an OrderedDict of
 * float32 tensors, in insertion order), as torch.save writes it: loadable by
 * torch.load (weights_only too) and by vka_weights_load. Written like
 * vka_weights_save_safetensors; refused above 4 GiB (no ZIP64). */
gboolean         vka_weights_save_pth (const VkaWeights *weights, const char *path,
                                       GError **error);

/* Writes data to path atomically: a temporary file in the same folder,
 * synced, renamed over path (what the writers above do). Errors name path. */
gboolean         vka_file_write_atomic (const char *path, const void *data, gsize size,
                                        GError **error);

/* The model folder: holds vgg_normalised.{pth,t7,safetensors} and
 * decoder.{pth,t7,safetensors}. Searched in order: extra_dirs (may be NULL),
 * $VK_ADAIN_MODELS, g_get_user_data_dir()/vk-adain/models, the installed
 * data dir. On failure the error lists every path searched. */
gboolean         vka_model_files_find (const char *const *extra_dirs,
                                       char **encoder_path, char **decoder_path,
                                       GError **error);
/* vka_model_files_find for a program of this project: when the running
 * executable lies in build_dir (where the build tree puts it),
 * build_models_dir is searched right after $VK_ADAIN_MODELS, so that the
 * program works from the build tree before it is installed. */
gboolean         vka_model_files_find_for_program (const char *build_dir,
                                                   const char *build_models_dir,
                                                   char **encoder_path, char **decoder_path,
                                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaWeights, vka_weights_free)

G_END_DECLS
