/* network.h — the encoder (VGG-19 to relu4_1) and decoder as layer tables
 * over the backend's ops (private to compute/). */
#pragma once

#include "backend.h"

typedef enum
{
  VKA_LAYER_CONV,
  VKA_LAYER_MAXPOOL,
  VKA_LAYER_UPSAMPLE,
} VkaLayerKind;

typedef struct
{
  VkaLayerKind kind;
  int          index;   /* position in the sequential container = key prefix */
  int          kernel;  /* convs: 1 or 3 */
  gboolean     relu;    /* convs: followed by ReLU */
  int          width;   /* convs: output width slot 0..3 (relu1..relu4 blocks), -1 = RGB */
} VkaLayerSpec;

typedef struct
{
  const VkaLayerSpec *spec;
  int                 in_channels, out_channels;
  int                 height, width;   /* output size of the last run */
  double              flops;           /* of the last run */
} VkaLayerInfo;

typedef struct VkaNetwork VkaNetwork;

/* Called after each layer when given; the network flushes first, so the
 * time since the previous call is the layer's. */
typedef void (*VkaLayerHook) (const VkaLayerInfo *layer, gpointer user_data);

typedef enum
{
  VKA_NETWORK_ENCODER,
  VKA_NETWORK_DECODER,
} VkaNetworkKind;

/* in_channels: 3 for the encoder, the encoder's output for the decoder.
 * file_label names the weights in errors ("decoder"). */
VkaNetwork *vka_network_new (VkaBackend *backend, VkaNetworkKind kind,
                             const VkaWeights *weights, int in_channels,
                             const char *file_label, GError **error);
void        vka_network_free (VkaNetwork *net);
/* Random weights for the layout with block widths (e.g. 64, 128, 256, 512):
 * He-uniform weights, small biases, the last RGB layer's bias near 0.5 so
 * that a decoder's output lands mid-range. For tests and benchmarks. */
VkaWeights *vka_network_random_weights (VkaNetworkKind kind, const int widths[4],
                                        GRand *rand);
int         vka_network_out_channels (const VkaNetwork *net);
/* The most elements any one activation holds for an h × w input. */
guint64     vka_network_peak_elements (const VkaNetwork *net, int h, int w);
/* Runs every layer; returns a new tensor (caller frees). */
VkaTensor  *vka_network_forward (VkaNetwork *net, VkaTensor *input, VkaLayerHook hook,
                                 gpointer hook_data, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaNetwork, vka_network_free)
