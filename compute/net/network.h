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
  gboolean            upsampled_input; /* 3×3 convs: the preceding ×2 upsampling
                                        * was folded into this one */
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
/* The encoder for stylising (not for training: its layers differ from the
 * weight file's): its first 1×1 convolution folded into the next, one
 * full-resolution pass fewer; $VKA_FOLD_INPUT_CONV=0 keeps it, for
 * comparisons. */
VkaNetwork *vka_network_new_encoder_for_inference (VkaBackend *backend,
                                                   const VkaWeights *weights,
                                                   const char *file_label, GError **error);
void        vka_network_free (VkaNetwork *net);
/* Random weights for the layout with block widths (e.g. 64, 128, 256, 512):
 * He-uniform weights, small biases, the last RGB layer's bias near 0.5 so
 * that a decoder's output lands mid-range. For tests and benchmarks. */
VkaWeights *vka_network_random_weights (VkaNetworkKind kind, const int widths[4],
                                        GRand *rand);
/* The same layout initialised as PyTorch initialises nn.Conv2d. */
VkaWeights *vka_network_pytorch_init_weights (VkaNetworkKind kind, const int widths[4],
                                              GRand *rand);
int         vka_network_out_channels (const VkaNetwork *net);
/* A decoder with bilinear ×2 upsamplings (its weights carried the marker). */
gboolean    vka_network_bilinear (const VkaNetwork *net);
/* A decoder's VKA_DECODER_NOISE_KEY (0 without). */
float       vka_network_content_noise (const VkaNetwork *net);
/* The most bytes of activations held at once while vka_network_forward_take
 * runs on an h × w input (the input included), on the network's backend. */
guint64     vka_network_working_bytes (VkaNetwork *net, int h, int w);
/* The most elements any one activation holds for an h × w input. */
guint64     vka_network_peak_elements (const VkaNetwork *net, int h, int w);
/* Runs every layer; returns a new tensor (caller frees). */
VkaTensor  *vka_network_forward (VkaNetwork *net, VkaTensor *input, VkaLayerHook hook,
                                 gpointer hook_data, GError **error);
/* The same, taking input: it is freed once the first layer has read it (or
 * on failure), so that it does not stay beside every later layer's maps. */
VkaTensor  *vka_network_forward_take (VkaNetwork *net, VkaTensor *input, VkaLayerHook hook,
                                      gpointer hook_data, GError **error);

/* ---- training ---- */

/* Every layer's output of one forward pass, kept for the backward pass. */
typedef struct VkaTape VkaTape;

void        vka_tape_free (VkaTape *tape);
/* Output of layer i (owned by the tape). */
VkaTensor  *vka_tape_output (VkaTape *tape, guint layer);

/* Like vka_network_forward, keeping every output in *tape; returns the last
 * output (owned by the tape). input stays the caller's and must outlive the tape. */
VkaTensor  *vka_network_forward_tape (VkaNetwork *net, VkaTensor *input, VkaTape **tape,
                                      GError **error);
/* Position in the layer table of the layer with this sequential index
 * (e.g. 29 for relu4_1's conv), or -1. */
int         vka_network_layer_of (const VkaNetwork *net, int index);
guint       vka_network_n_layers (const VkaNetwork *net);

/* Backpropagates through a taped pass. d_output: ∂L/∂(last output), or NULL;
 * inject (n_layers entries, or NULL): extra ∂L/∂(layer i's output), e.g.
 * from losses on intermediate features. With param_grads the gradients of
 * every conv's weight and bias are computed (vka_network_param). With
 * d_input, ∂L/∂input is returned there (caller frees). */
gboolean    vka_network_backward (VkaNetwork *net, VkaTape *tape, VkaTensor *d_output,
                                  VkaTensor *const *inject, gboolean param_grads,
                                  VkaTensor **d_input, GError **error);

/* Trainable tensors: 2 per conv (weight, bias), in layer order; grad is
 * NULL until a backward pass with param_grads. */
guint       vka_network_n_params (const VkaNetwork *net);
void        vka_network_param (const VkaNetwork *net, guint i, const char **name,
                               VkaTensor **param, VkaTensor **grad);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaNetwork, vka_network_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaTape, vka_tape_free)
