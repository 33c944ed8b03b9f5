/* network.c — layer tables and the forward pass. Channel widths come from
 * the weight shapes, so distilled (narrower) models run too. */
#include "network.h"

#include <math.h>

#define CONV(i, k, r, wd) { VKA_LAYER_CONV, i, k, r, wd }
#define POOL(i)           { VKA_LAYER_MAXPOOL, i, 0, FALSE, 0 }
#define UP(i)             { VKA_LAYER_UPSAMPLE, i, 0, FALSE, 0 }
#define RGB (-1)

/* vgg_normalised modules 0..30: conv0, then reflect-pad + conv + ReLU
 * triples (the conv's index is the key), pools at 7, 14, 27. */
static const VkaLayerSpec encoder_layers[] = {
  CONV (0, 1, FALSE, RGB),
  CONV (2, 3, TRUE, 0), CONV (5, 3, TRUE, 0), POOL (7),
  CONV (9, 3, TRUE, 1), CONV (12, 3, TRUE, 1), POOL (14),
  CONV (16, 3, TRUE, 2), CONV (19, 3, TRUE, 2), CONV (22, 3, TRUE, 2),
  CONV (25, 3, TRUE, 2), POOL (27),
  CONV (29, 3, TRUE, 3),
};

/* decoder modules 0..28, mirrored; the last conv has no ReLU. */
static const VkaLayerSpec decoder_layers[] = {
  CONV (1, 3, TRUE, 2), UP (3),
  CONV (5, 3, TRUE, 2), CONV (8, 3, TRUE, 2), CONV (11, 3, TRUE, 2), CONV (14, 3, TRUE, 1),
  UP (16),
  CONV (18, 3, TRUE, 1), CONV (21, 3, TRUE, 0), UP (23),
  CONV (25, 3, TRUE, 0), CONV (28, 3, FALSE, RGB),
};

typedef struct
{
  VkaLayerInfo info;
  VkaTensor   *weight;   /* (Cout, Cin, k, k) */
  VkaTensor   *bias;     /* (1, Cout, 1, 1) */
} Layer;

struct VkaNetwork
{
  VkaBackend *backend;
  guint       n_layers;
  Layer      *layers;
  int         out_channels;
};

static VkaTensor *
upload (VkaBackend *backend, const VkaTensorData *data, int n, int c, int h, int w,
        GError **error)
{
  VkaTensor *t = vka_tensor_new (backend, n, c, h, w, error);
  if (t && !backend->ops->tensor_write (t, data->data, error))
    g_clear_pointer (&t, vka_tensor_free);
  return t;
}

static gboolean
load_conv (VkaBackend *backend, Layer *layer, const VkaWeights *weights, int in_channels,
           const char *source, const char *label, GError **error)
{
  const VkaLayerSpec *spec = layer->info.spec;
  char wname[32], bname[32];
  g_snprintf (wname, sizeof wname, "%d.weight", spec->index);
  g_snprintf (bname, sizeof bname, "%d.bias", spec->index);
  const VkaTensorData *w = vka_weights_get (weights, wname);
  const VkaTensorData *b = vka_weights_get (weights, bname);
  if (!w || !b)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL, "%s: tensor %s is missing",
                   label, w ? bname : wname);
      return FALSE;
    }
  int k = spec->kernel;
  if (w->ndim != 4 || w->shape[2] != k || w->shape[3] != k || w->shape[0] <= 0
      || w->shape[0] > 65536 || w->shape[1] <= 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: %s should be a %d×%d convolution [out, in, %d, %d]",
                   label, wname, k, k, k, k);
      return FALSE;
    }
  if (w->shape[1] != in_channels)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: layer %d takes %" G_GINT64_FORMAT " channels, %s gives %d",
                   label, spec->index, w->shape[1], source, in_channels);
      return FALSE;
    }
  if (b->ndim != 1 || b->shape[0] != w->shape[0])
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: %s should have %" G_GINT64_FORMAT " values", label, bname,
                   w->shape[0]);
      return FALSE;
    }
  layer->info.in_channels = in_channels;
  layer->info.out_channels = (int) w->shape[0];
  layer->weight = upload (backend, w, (int) w->shape[0], in_channels, k, k, error);
  if (layer->weight)
    layer->bias = upload (backend, b, 1, (int) w->shape[0], 1, 1, error);
  return layer->bias != NULL;
}

static const VkaLayerSpec *
layer_table (VkaNetworkKind kind, guint *n)
{
  *n = kind == VKA_NETWORK_ENCODER ? G_N_ELEMENTS (encoder_layers)
                                   : G_N_ELEMENTS (decoder_layers);
  return kind == VKA_NETWORK_ENCODER ? encoder_layers : decoder_layers;
}

VkaWeights *
vka_network_random_weights (VkaNetworkKind kind, const int widths[4], GRand *rand)
{
  guint n;
  const VkaLayerSpec *specs = layer_table (kind, &n);
  VkaWeights *weights = vka_weights_new ();
  int cin = kind == VKA_NETWORK_ENCODER ? 3 : widths[3];
  for (guint i = 0; i < n; i++)
    {
      const VkaLayerSpec *spec = &specs[i];
      if (spec->kind != VKA_LAYER_CONV)
        continue;
      int cout = spec->width == RGB ? 3 : widths[spec->width];
      int k = spec->kernel;
      gsize numel = (gsize) cout * cin * k * k;
      float *w = g_new (float, numel);
      double scale = sqrt (6.0 / (cin * k * k));
      for (gsize j = 0; j < numel; j++)
        w[j] = (float) g_rand_double_range (rand, -scale, scale);
      float *b = g_new (float, cout);
      double centre = spec->width == RGB && kind == VKA_NETWORK_DECODER ? 0.5 : 0.0;
      for (int j = 0; j < cout; j++)
        b[j] = (float) g_rand_double_range (rand, centre - 0.1, centre + 0.1);
      char name[32];
      gint64 wshape[4] = { cout, cin, k, k }, bshape[1] = { cout };
      g_snprintf (name, sizeof name, "%d.weight", spec->index);
      vka_weights_insert (weights, name, 4, wshape, w, NULL);
      g_snprintf (name, sizeof name, "%d.bias", spec->index);
      vka_weights_insert (weights, name, 1, bshape, b, NULL);
      cin = cout;
    }
  return weights;
}

VkaNetwork *
vka_network_new (VkaBackend *backend, VkaNetworkKind kind, const VkaWeights *weights,
                 int in_channels, const char *label, GError **error)
{
  guint n;
  const VkaLayerSpec *specs = layer_table (kind, &n);
  VkaNetwork *net = g_new0 (VkaNetwork, 1);
  net->backend = backend;
  net->n_layers = n;
  net->layers = g_new0 (Layer, n);
  int channels = in_channels;
  g_autofree char *source = g_strdup (kind == VKA_NETWORK_ENCODER ? "the RGB input"
                                                                  : "the encoder");
  for (guint i = 0; i < n; i++)
    {
      Layer *layer = &net->layers[i];
      layer->info.spec = &specs[i];
      layer->info.in_channels = layer->info.out_channels = channels;
      if (specs[i].kind != VKA_LAYER_CONV)
        continue;
      if (!load_conv (backend, layer, weights, channels, source, label, error))
        {
          vka_network_free (net);
          return NULL;
        }
      channels = layer->info.out_channels;
      g_free (source);
      source = g_strdup_printf ("layer %d", specs[i].index);
    }
  net->out_channels = channels;
  return net;
}

void
vka_network_free (VkaNetwork *net)
{
  if (!net)
    return;
  for (guint i = 0; i < net->n_layers; i++)
    {
      vka_tensor_free (net->layers[i].weight);
      vka_tensor_free (net->layers[i].bias);
    }
  g_free (net->layers);
  g_free (net);
}

int
vka_network_out_channels (const VkaNetwork *net)
{
  return net->out_channels;
}

static void
output_size (const VkaLayerSpec *spec, int *h, int *w)
{
  if (spec->kind == VKA_LAYER_MAXPOOL)
    *h = (*h + 1) / 2, *w = (*w + 1) / 2;
  else if (spec->kind == VKA_LAYER_UPSAMPLE)
    *h *= 2, *w *= 2;
}

guint64
vka_network_peak_elements (const VkaNetwork *net, int h, int w)
{
  guint64 peak = (guint64) net->layers[0].info.in_channels * h * w;
  for (guint i = 0; i < net->n_layers; i++)
    {
      output_size (net->layers[i].info.spec, &h, &w);
      peak = MAX (peak, (guint64) net->layers[i].info.out_channels * h * w);
    }
  return peak;
}

static VkaTensor *
run_layer (VkaNetwork *net, Layer *layer, VkaTensor *x, GError **error)
{
  VkaBackend *b = net->backend;
  const VkaLayerSpec *spec = layer->info.spec;
  int h = x->h, w = x->w;
  output_size (spec, &h, &w);
  VkaTensor *y = vka_tensor_new (b, x->n, layer->info.out_channels, h, w, error);
  if (!y)
    return NULL;
  gboolean ok = FALSE;
  switch (spec->kind)
    {
    case VKA_LAYER_CONV:
      ok = b->ops->conv2d (b, x, layer->weight, layer->bias, spec->relu, y, error);
      layer->info.flops = 2.0 * x->n * layer->info.in_channels * layer->info.out_channels
                        * spec->kernel * spec->kernel * (double) h * w;
      break;
    case VKA_LAYER_MAXPOOL:
      ok = b->ops->maxpool2x2 (b, x, y, error);
      layer->info.flops = 0;
      break;
    case VKA_LAYER_UPSAMPLE:
      ok = b->ops->upsample2x (b, x, y, error);
      layer->info.flops = 0;
      break;
    }
  layer->info.height = h;
  layer->info.width = w;
  if (!ok)
    g_clear_pointer (&y, vka_tensor_free);
  return y;
}

VkaTensor *
vka_network_forward (VkaNetwork *net, VkaTensor *input, VkaLayerHook hook,
                     gpointer hook_data, GError **error)
{
  if (input->c != net->layers[0].info.in_channels)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "network input has %d channels, expected %d", input->c,
                   net->layers[0].info.in_channels);
      return NULL;
    }
  VkaTensor *x = input;
  for (guint i = 0; i < net->n_layers; i++)
    {
      VkaTensor *y = run_layer (net, &net->layers[i], x, error);
      if (x != input)
        vka_tensor_free (x);
      if (!y)
        return NULL;
      x = y;
      if (hook)
        {
          if (!vka_backend_flush (net->backend, error))
            {
              vka_tensor_free (x);
              return NULL;
            }
          hook (&net->layers[i].info, hook_data);
        }
    }
  return x;
}
