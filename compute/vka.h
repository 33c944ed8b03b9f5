/* vka.h — the public interface of libvkadain, the AdaIN style-transfer engine.
 *
 * Opaque handles, GError for every failure, no global state. Nothing here
 * knows about GIMP; the CLI, the trainer and the plug-in all call this.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>

#include "vka-weights.h"   /* weights in memory and in files */
#include "vka-params.h"    /* the stylisation's parameters, described once */

G_BEGIN_DECLS

#define VKA_ERROR (vka_error_quark ())
GQuark vka_error_quark (void);

typedef enum
{
  VKA_ERROR_NO_LOADER,        /* the Vulkan loader library could not be opened */
  VKA_ERROR_NO_DEVICE,        /* no Vulkan device, or none matches the choice */
  VKA_ERROR_DEVICE,           /* a Vulkan call failed */
  VKA_ERROR_OUT_OF_MEMORY,    /* device or host memory exhausted */
  VKA_ERROR_TOO_LARGE,        /* a tensor exceeds a device limit */
  VKA_ERROR_INVALID_ARGUMENT, /* a caller passed something that cannot work */
  VKA_ERROR_MODEL,            /* weights missing, or with inconsistent shapes */
  VKA_ERROR_FILE_FORMAT,      /* a file is not what it claims to be */
  VKA_ERROR_IO,               /* a file could not be read or written */
  VKA_ERROR_CANCELLED,        /* the caller's GCancellable fired */
} VkaError;

/* ---- Devices and contexts ---------------------------------------------- */

typedef struct VkaContext VkaContext;

typedef enum
{
  VKA_DEVICE_DISCRETE,
  VKA_DEVICE_INTEGRATED,
  VKA_DEVICE_VIRTUAL,
  VKA_DEVICE_CPU,
  VKA_DEVICE_OTHER,
} VkaDeviceType;

typedef struct
{
  int           index;         /* position in the list: what --device N means */
  char         *name;          /* e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" */
  VkaDeviceType type;
  char         *driver;        /* driver name and version, e.g. "llvmpipe Mesa 22.3.6" */
  guint64       memory_bytes;  /* largest device-local heap */
} VkaDeviceInfo;

typedef struct
{
  /* NULL or "" picks automatically (discrete > integrated > virtual GPU >
   * the oneDNN CPU backend > a Vulkan CPU device such as lavapipe); "cpu"
   * picks the CPU backend; a number picks that index of vka_list_devices
   * (the Vulkan devices in the loader's order, then the CPU backend);
   * anything else is a case-insensitive substring of the device name
   * ("llvmpipe" picks lavapipe). When NULL, $VK_ADAIN_DEVICE is used. */
  const char *device;
  /* Turn on VK_LAYER_KHRONOS_validation and count its messages (tests).
   * $VKA_VALIDATION=1 does the same. */
  gboolean    validation;
  /* Threads of the CPU backend; 0 = all cores. */
  int         threads;
} VkaContextOptions;

const char *vka_device_type_name (VkaDeviceType type);
void        vka_device_info_free (VkaDeviceInfo *info);
/* A GPtrArray of VkaDeviceInfo*, in the order --device N counts. */
GPtrArray  *vka_list_devices (GError **error);

VkaContext *vka_context_new (const VkaContextOptions *options, GError **error);
void        vka_context_free (VkaContext *context);
const VkaDeviceInfo *vka_context_device (VkaContext *context);
/* Validation messages (warnings and errors) seen since the context was made. */
guint       vka_context_validation_messages (VkaContext *context);

/* ---- Images ------------------------------------------------------------- */

/* Interleaved float pixels in [0,1] (non-linear sRGB values / 255, as PIL and
 * torchvision see them), channels 1 (gray), 2 (gray+alpha), 3 (RGB), 4 (RGBA). */
typedef struct
{
  int    width;
  int    height;
  int    channels;
  float *pixels;
} VkaImage;

VkaImage *vka_image_new (int width, int height, int channels, GError **error);
void      vka_image_free (VkaImage *image);

/* A picture read by regions, so that one too large to hold as floats can
 * be stylised (vka_stylize_stream): read fills dst with the w × h region at
 * (x, y) as interleaved floats of `channels` channels, as VkaImage holds
 * them. image: the whole picture when it is in memory, else NULL. */
typedef struct
{
  int             width, height, channels;
  gboolean      (*read) (gpointer data, int x, int y, int w, int h, float *dst,
                         GError **error);
  gpointer        data;
  const VkaImage *image;
} VkaImageSource;

/* Where a stylisation's output goes, region by region (each pixel once, in
 * no promised order): src holds the w × h region at (x, y), `channels`
 * (3 or 4) interleaved floats per pixel. */
typedef struct
{
  int        channels;
  gboolean (*write) (gpointer data, int x, int y, int w, int h, const float *src,
                     GError **error);
  gpointer   data;
} VkaImageSink;

/* A source reading image, a sink writing into image (which must outlive them). */
void      vka_image_source_init (VkaImageSource *source, const VkaImage *image);
void      vka_image_sink_init (VkaImageSink *sink, VkaImage *image);

/* ---- Model, styles, stylisation ------------------------------------------ */

typedef struct VkaModel VkaModel;
typedef struct VkaStyle VkaStyle;

/* Encoder: the normalised VGG-19 up to relu4_1 (keys "0.weight" … "29.bias";
 * later layers are ignored). Decoder: keys "1.weight" … "28.bias". Channel
 * widths come from the shapes. The weights are copied to the device. */
VkaModel *vka_model_new (VkaContext *context, const VkaWeights *encoder,
                         const VkaWeights *decoder, GError **error);
void      vka_model_free (VkaModel *model);
/* The memory budget a stylisation gets when its options give none: on a
 * CPU device (the CPU backend, lavapipe) a quarter of the host memory
 * available now, at most 1 GiB; on a GPU half its memory, at most 4 GiB;
 * never under 64 MiB. */
guint64   vka_model_default_memory_limit (VkaModel *model);
/* Channels of relu4_1, i.e. of a style's statistics. */
int       vka_model_feature_channels (VkaModel *model);

/* The reference's decoder upsamples ×2 by nearest neighbour. A decoder
 * trained with bilinear ×2 upsamplings instead (PyTorch's align_corners =
 * False) carries one more tensor, VKA_DECODER_BILINEAR_KEY = [1.0], so that
 * the choice travels with its weights in every format; PyTorch's strict
 * load_state_dict refuses the key rather than running such a decoder with
 * the wrong upsampling. */
#define VKA_DECODER_BILINEAR_KEY "upsample.bilinear"
/* TRUE for a decoder marked bilinear; FALSE for the reference's. A marker
 * that is not one value 1 is an error naming it (label: "decoder" or the
 * file). */
gboolean  vka_decoder_bilinear (const VkaWeights *decoder, gboolean *bilinear,
                                const char *label, GError **error);
/* Adds the marker (a decoder already marked is left as it is). */
gboolean  vka_decoder_mark_bilinear (VkaWeights *decoder, GError **error);

/* A decoder may ask for Gaussian noise on its content: one trained with it
 * (vk-adain-train --content-noise), or one that stylises better with it,
 * carries VKA_DECODER_NOISE_KEY = [sigma], the noise's standard deviation on
 * RGB in [0, 1] (the result clamped to [0, 1]); a stylisation with it adds
 * that noise to the content at the size it is stylised at, before encoding. On
 * flat areas the decoder then draws the style's texture from the noise
 * instead of a lattice of its upsamplings. The noise depends only on the
 * pixel's place (and seed): a picture stylised twice, or in tiles, comes out
 * the same. Decoders without the key get no noise. */
#define VKA_DECODER_NOISE_KEY "input.noise"
/* The decoder's noise (0 without the key); a key that is not one value in
 * [0, 1] is an error naming it (label: "decoder" or the file). */
gboolean  vka_decoder_content_noise (const VkaWeights *decoder, float *sigma,
                                     const char *label, GError **error);
/* Sets the key to sigma (in [0, 1]); sigma 0 on a decoder without the key
 * leaves it without. */
gboolean  vka_decoder_set_content_noise (VkaWeights *decoder, float sigma, GError **error);
/* The noise stylisations with model add: the decoder's, unless set here
 * (0: none). */
float     vka_model_content_noise (VkaModel *model);
void      vka_model_set_content_noise (VkaModel *model, float sigma);
/* Adds the noise to the w × h region at (x0, y0) of a picture (interleaved,
 * `channels` per pixel: the first for 1 or 2, the first three for 3 or 4). */
void      vka_content_noise_add (float *pixels, int x0, int y0, int w, int h, int channels,
                                 float sigma, guint64 seed);

/* A style is the per-channel mean and std of its relu4_1 features. */
VkaStyle    *vka_style_from_image (VkaModel *model, const VkaImage *image,
                                   GCancellable *cancellable, GError **error);
VkaStyle    *vka_style_new (int channels, const float *mean, const float *std);
void         vka_style_free (VkaStyle *style);
int          vka_style_channels (const VkaStyle *style);
const float *vka_style_mean (const VkaStyle *style);
const float *vka_style_std (const VkaStyle *style);
/* The weighted mix of n styles as one style: the weighted mean of their
 * means and of their stds, which is what vka_stylize does with several
 * styles (weights >= 0, not all 0, normalised here; NULL: equal). */
VkaStyle    *vka_style_mix (const VkaStyle *const *styles, const double *weights, int n,
                            GError **error);

/* vka_style_from_image through an on-disk cache in the user's cache folder
 * (vk-adain/styles), keyed by the model's encoder and the picture's pixels:
 * a style met before is not encoded again. A cache that cannot be read or
 * written only costs the encode. $VKA_STYLE_CACHE=0 turns it off. */
VkaStyle    *vka_style_from_image_cached (VkaModel *model, const VkaImage *image,
                                          GCancellable *cancellable, GError **error);
/* The same cache in folder (NULL: the user's cache folder, as above),
 * which several processes may share and fill at once: entries are written
 * atomically (a temporary file, synced, renamed), so a reader never meets
 * half an entry. A folder given here is used even with $VKA_STYLE_CACHE=0. */
VkaStyle    *vka_style_from_image_cached_in (VkaModel *model, const VkaImage *image,
                                             const char *folder, GCancellable *cancellable,
                                             GError **error);

/* A style saved as a file (safetensors: "relu4_1.mean", "relu4_1.std"),
 * so that it need not be encoded again. Saving is atomic. */
gboolean     vka_style_save (const VkaStyle *style, const char *path, GError **error);
VkaStyle    *vka_style_load (const char *path, GError **error);
/* TRUE when path looks like such a file rather than a picture. */
gboolean     vka_style_file_probe (const char *path);

typedef void (*VkaProgressFunc) (double fraction, gpointer user_data);

/* Defaults that initialisers need as constants; the parameters' ranges,
 * names and help are vka-params.h's table. */
#define VKA_STRENGTH_DEFAULT     1.0
/* A style picture's shorter side in pixels (the reference's 512); 0 keeps it. */
#define VKA_STYLE_SIZE_DEFAULT   512

typedef struct
{
  double          alpha;   /* strength in [0,1]; 1 = full AdaIN */
  /* Spatial control (NULL for none): content-sized; where its first channel
   * is > 0.5 the first style applies, elsewhere the second. Needs exactly
   * two styles; weights are then ignored. Each region of the content is
   * normalised with its own statistics. */
  const VkaImage *mask;
  /* Tile interior side in pixels (rounded up to a multiple of 8); 0 picks
   * the largest that fits the device, and an image that fits whole is not
   * tiled. Tiles overlap by a halo and share whole-image statistics, so the
   * result does not depend on the tiling beyond rounding. */
  int             tile;
  /* Working-set budget in bytes for the activations and kept features of
   * a stylisation (the images themselves not counted); tiles are sized to
   * fit it. 0: vka_model_default_memory_limit. */
  guint64         memory_limit;
} VkaStylizeOptions;

#define VKA_STYLIZE_OPTIONS_DEFAULT { VKA_STRENGTH_DEFAULT, NULL, 0, 0 }

/* Stylise content with a weighted mix of styles (weights >= 0, normalised
 * here). out must have content's width and height and 3 or 4 channels; with
 * 4, alpha is copied from content (or 1 when content has none). Progress is
 * reported and cancellation checked between tiles. On failure out holds a
 * partial result: callers stylise into their own buffer. */
gboolean vka_stylize (VkaModel *model, const VkaImage *content,
                      const VkaStyle *const *styles, const double *weights,
                      int n_styles, const VkaStylizeOptions *options,
                      VkaImage *out, VkaProgressFunc progress,
                      gpointer progress_data, GCancellable *cancellable,
                      GError **error);

/* vka_stylize from a source into a sink of the content's size: only a
 * tile's window is held at a time. */
gboolean vka_stylize_stream (VkaModel *model, const VkaImageSource *content,
                             const VkaStyle *const *styles, const double *weights,
                             int n_styles, const VkaStylizeOptions *options,
                             const VkaImageSink *out, VkaProgressFunc progress,
                             gpointer progress_data, GCancellable *cancellable,
                             GError **error);

/* vka_stylize_stream in two steps, so that a caller can hand the device
 * the next picture before it takes the last one's result:
 * vka_stylize_submit does the stylisation up to its picture's read-back,
 * which it submits without waiting for it (a tiled one does every tile
 * but the last); vka_stylize_finish waits for that work, hands the
 * picture to out and frees pending, succeeding or not. Between the two the
 * device may run the work while the host goes on, for instance submitting
 * the next picture; on the Vulkan backend a few submissions may be queued
 * at once (the oldest is waited for when more are), and a finish waits for
 * its own only. On the CPU backend vka_stylize_submit does the work.
 * content, options->mask and out must stay valid until the finish, which
 * every pending stylisation must get, from the thread that submitted it
 * (the model's calls are not thread-safe); pending stylisations of a
 * model may be finished in any order. Progress reaches 1 in the finish.
 * NULL, with error set, when the stylisation failed before its last
 * read-back. */
typedef struct VkaStylizePending VkaStylizePending;

VkaStylizePending *vka_stylize_submit (VkaModel *model, const VkaImageSource *content,
                                       const VkaStyle *const *styles, const double *weights,
                                       int n_styles, const VkaStylizeOptions *options,
                                       const VkaImageSink *out, VkaProgressFunc progress,
                                       gpointer progress_data, GCancellable *cancellable,
                                       GError **error);
gboolean           vka_stylize_finish (VkaStylizePending *pending, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaContext, vka_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaImage, vka_image_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaModel, vka_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaStyle, vka_style_free)

G_END_DECLS
