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
  VkaTensor   *dweight;  /* training: gradients, made by the first backward pass */
  VkaTensor   *dbias;
  char        *names[2]; /* "{index}.weight", "{index}.bias" */
} Layer;

struct VkaNetwork
{
  VkaBackend *backend;
  guint       n_layers;
  Layer      *layers;
  int         out_channels;
  gboolean    bilinear;   /* decoder: bilinear ×2 upsamplings, not nearest */
  float       content_noise;   /* decoder: VKA_DECODER_NOISE_KEY's value, or 0 */
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
  layer->names[0] = g_strdup (wname);
  layer->names[1] = g_strdup (bname);
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

gboolean
vka_decoder_bilinear (const VkaWeights *decoder, gboolean *bilinear, const char *label,
                      GError **error)
{
  const VkaTensorData *mark = vka_weights_get (decoder, VKA_DECODER_BILINEAR_KEY);
  *bilinear = mark != NULL;
  if (mark && (vka_tensor_data_numel (mark) != 1 || mark->data[0] != 1.0f))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: %s should be one value 1 (it marks a decoder with bilinear "
                   "upsampling)", label, VKA_DECODER_BILINEAR_KEY);
      return FALSE;
    }
  return TRUE;
}

gboolean
vka_decoder_mark_bilinear (VkaWeights *decoder, GError **error)
{
  if (vka_weights_get (decoder, VKA_DECODER_BILINEAR_KEY))
    return TRUE;
  gint64 shape[1] = { 1 };
  float *one = g_new (float, 1);
  *one = 1.0f;
  return vka_weights_insert (decoder, VKA_DECODER_BILINEAR_KEY, 1, shape, one, error);
}

gboolean
vka_decoder_content_noise (const VkaWeights *decoder, float *sigma, const char *label,
                           GError **error)
{
  const VkaTensorData *key = vka_weights_get (decoder, VKA_DECODER_NOISE_KEY);
  *sigma = 0;
  if (!key)
    return TRUE;
  if (vka_tensor_data_numel (key) != 1 || !(key->data[0] >= 0.0f && key->data[0] <= 1.0f))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: %s should be one value in [0, 1] (the standard deviation of the "
                   "noise the decoder wants on its content)", label, VKA_DECODER_NOISE_KEY);
      return FALSE;
    }
  *sigma = key->data[0];
  return TRUE;
}

gboolean
vka_decoder_set_content_noise (VkaWeights *decoder, float sigma, GError **error)
{
  if (!(sigma >= 0.0f && sigma <= 1.0f))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "content noise %g is outside [0, 1]", sigma);
      return FALSE;
    }
  if (sigma == 0.0f && !vka_weights_get (decoder, VKA_DECODER_NOISE_KEY))
    return TRUE;
  gint64 shape[1] = { 1 };
  float *value = g_new (float, 1);
  *value = sigma;
  return vka_weights_insert (decoder, VKA_DECODER_NOISE_KEY, 1, shape, value, error);
}

float
vka_network_content_noise (const VkaNetwork *net)
{
  return net->content_noise;
}

gboolean
vka_network_bilinear (const VkaNetwork *net)
{
  return net->bilinear;
}

/* pytorch: nn.Conv2d's own initialisation (kaiming_uniform_ with a = √5,
 * i.e. weights and biases uniform in ±1/√fan_in); otherwise He-uniform
 * weights and small biases for tests. */
static VkaWeights *
init_weights (VkaNetworkKind kind, const int widths[4], GRand *rand, gboolean pytorch)
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
      double scale = pytorch ? 1.0 / sqrt (cin * k * k) : sqrt (6.0 / (cin * k * k));
      for (gsize j = 0; j < numel; j++)
        w[j] = (float) g_rand_double_range (rand, -scale, scale);
      float *b = g_new (float, cout);
      double centre = !pytorch && spec->width == RGB && kind == VKA_NETWORK_DECODER ? 0.5 : 0.0;
      double spread = pytorch ? scale : 0.1;
      for (int j = 0; j < cout; j++)
        b[j] = (float) g_rand_double_range (rand, centre - spread, centre + spread);
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

VkaWeights *
vka_network_random_weights (VkaNetworkKind kind, const int widths[4], GRand *rand)
{
  return init_weights (kind, widths, rand, FALSE);
}

VkaWeights *
vka_network_pytorch_init_weights (VkaNetworkKind kind, const int widths[4], GRand *rand)
{
  return init_weights (kind, widths, rand, TRUE);
}

static VkaNetwork *
network_new (VkaBackend *backend, VkaNetworkKind kind, const VkaLayerSpec *specs, guint n,
             const VkaWeights *weights, int in_channels, const char *label, GError **error)
{
  gboolean bilinear = FALSE;
  float noise = 0;
  if (kind == VKA_NETWORK_DECODER
      && (!vka_decoder_bilinear (weights, &bilinear, label, error)
          || !vka_decoder_content_noise (weights, &noise, label, error)))
    return NULL;
  VkaNetwork *net = g_new0 (VkaNetwork, 1);
  net->backend = backend;
  net->bilinear = bilinear;
  net->content_noise = noise;
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

VkaNetwork *
vka_network_new (VkaBackend *backend, VkaNetworkKind kind, const VkaWeights *weights,
                 int in_channels, const char *label, GError **error)
{
  guint n;
  const VkaLayerSpec *specs = layer_table (kind, &n);
  return network_new (backend, kind, specs, n, weights, in_channels, label, error);
}

/* vgg_normalised begins with a 1×1 convolution RGB → RGB without ReLU: a
 * per-pixel affine map x ↦ A·x + a, which commutes with the reflection
 * padding before the next 3×3 convolution (W, b), so that one can take it
 * in: W'[o][c] = Σ_j W[o][j]·A[j][c] at each tap, b'[o] = b[o] + Σ_{j,taps}
 * W[o][j]·a[j]. NULL (nothing to fold) unless the shapes are those. */
static VkaWeights *
fold_input_conv (const VkaWeights *weights)
{
  const VkaTensorData *a = vka_weights_get (weights, "0.weight");
  const VkaTensorData *a_bias = vka_weights_get (weights, "0.bias");
  const VkaTensorData *w = vka_weights_get (weights, "2.weight");
  const VkaTensorData *w_bias = vka_weights_get (weights, "2.bias");
  if (!a || !a_bias || !w || !w_bias || a->ndim != 4 || a->shape[2] != 1 || a->shape[3] != 1
      || a->shape[0] != 3 || a->shape[1] != 3 || a_bias->ndim != 1 || a_bias->shape[0] != 3
      || w->ndim != 4 || w->shape[1] != 3 || w->shape[2] != 3 || w->shape[3] != 3
      || w_bias->ndim != 1 || w_bias->shape[0] != w->shape[0])
    return NULL;
  int cout = (int) w->shape[0];
  float *fw = g_new0 (float, (gsize) cout * 27), *fb = g_new (float, cout);
  for (int o = 0; o < cout; o++)
    {
      double bias = w_bias->data[o];
      for (int t = 0; t < 9; t++)
        for (int j = 0; j < 3; j++)
          {
            double wj = w->data[(o * 3 + j) * 9 + t];
            bias += wj * a_bias->data[j];
            for (int c = 0; c < 3; c++)
              fw[(o * 3 + c) * 9 + t] += (float) (wj * a->data[j * 3 + c]);
          }
      fb[o] = (float) bias;
    }
  VkaWeights *folded = vka_weights_new ();
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < vka_weights_count (weights); i++)
    {
      const VkaTensorData *t = vka_weights_nth (weights, i);
      if (g_str_has_prefix (t->name, "0.") || g_str_has_prefix (t->name, "2."))
        continue;
      ok = vka_weights_insert (folded, t->name, t->ndim, t->shape,
                               g_memdup2 (t->data, vka_tensor_data_numel (t) * sizeof (float)),
                               NULL);
    }
  /* vka_weights_insert takes the data, on failure too */
  ok = ok && vka_weights_insert (folded, "2.weight", 4, w->shape, g_steal_pointer (&fw), NULL);
  ok = ok && vka_weights_insert (folded, "2.bias", 1, w_bias->shape, g_steal_pointer (&fb),
                                 NULL);
  g_free (fw);
  g_free (fb);
  if (!ok)
    g_clear_pointer (&folded, vka_weights_free);
  return folded;
}

VkaNetwork *
vka_network_new_encoder_for_inference (VkaBackend *backend, const VkaWeights *weights,
                                       const char *label, GError **error)
{
  guint n;
  const VkaLayerSpec *specs = layer_table (VKA_NETWORK_ENCODER, &n);
  const char *env = g_getenv ("VKA_FOLD_INPUT_CONV");
  VkaWeights *folded = env && g_str_equal (env, "0") ? NULL : fold_input_conv (weights);
  if (!folded)
    return network_new (backend, VKA_NETWORK_ENCODER, specs, n, weights, 3, label, error);
  VkaNetwork *net = network_new (backend, VKA_NETWORK_ENCODER, specs + 1, n - 1, folded, 3,
                                 label, error);
  vka_weights_free (folded);
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
      vka_tensor_free (net->layers[i].dweight);
      vka_tensor_free (net->layers[i].dbias);
      g_free (net->layers[i].names[0]);
      g_free (net->layers[i].names[1]);
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

/* An upsampling followed by a 3×3 convolution runs as one op that reads
 * the small map (no upsampled map is made); $VKA_FUSE_UPSAMPLE=0 runs them
 * apart, for comparisons. */
static gboolean
fuses_with_next (VkaNetwork *net, guint i)
{
  /* the fused kernels fold a nearest upsampling into their loads */
  if (net->bilinear || i + 1 >= net->n_layers
      || net->layers[i].info.spec->kind != VKA_LAYER_UPSAMPLE)
    return FALSE;
  const VkaLayerSpec *next = net->layers[i + 1].info.spec;
  const char *env = g_getenv ("VKA_FUSE_UPSAMPLE");
  return next->kind == VKA_LAYER_CONV && next->kernel == 3 && !(env && g_str_equal (env, "0"));
}

/* A 3×3 convolution followed by a max-pooling runs as one op where the
 * backend has it (no full-size map is held); $VKA_FUSE_POOL=0 runs them
 * apart, for comparisons. */
static gboolean
pools_after (VkaNetwork *net, guint i)
{
  if (i + 1 >= net->n_layers || !net->backend->ops->conv3x3_pooled)
    return FALSE;
  const VkaLayerSpec *conv = net->layers[i].info.spec;
  const char *env = g_getenv ("VKA_FUSE_POOL");
  return conv->kind == VKA_LAYER_CONV && conv->kernel == 3
         && net->layers[i + 1].info.spec->kind == VKA_LAYER_MAXPOOL
         && !(env && g_str_equal (env, "0"));
}

/* The layers [first, end) that run as one conv3x3_chain. */
typedef struct
{
  guint        first, end;
  int          n_convs;
  gboolean     upsampled, pooled;
  VkaChainConv convs[4];
} Chain;

static gboolean
is_conv3x3 (VkaNetwork *net, guint i)
{
  const VkaLayerSpec *spec = net->layers[i].info.spec;
  return spec->kind == VKA_LAYER_CONV && spec->kernel == 3;
}

static gboolean
chain_add (VkaNetwork *net, guint i, Chain *c)
{
  if (c->n_convs == G_N_ELEMENTS (c->convs) || !is_conv3x3 (net, i))
    return FALSE;
  const Layer *l = &net->layers[i];
  c->convs[c->n_convs++] = (VkaChainConv) { l->weight, l->bias, l->info.spec->relu };
  return TRUE;
}

/* The run of layers from layer i that the backend takes as one op where
 * it has conv3x3_chain (it runs them in bands of rows, without whole maps
 * between them): an encoder block, the 3×3 convolutions from the input or
 * a pooling up to and including the one the next pooling follows, or a
 * decoder block, an upsampling and the 3×3 convolutions after it up to the
 * next upsampling or the output. $VKA_CONV_CHAIN=0 runs them layer by
 * layer, for comparisons. */
static gboolean
chain_at (VkaNetwork *net, guint i, Chain *c)
{
  if (!net->backend->ops->conv3x3_chain || g_strcmp0 (g_getenv ("VKA_CONV_CHAIN"), "0") == 0)
    return FALSE;
  *c = (Chain) { .first = i };
  if (i == 0 || net->layers[i - 1].info.spec->kind == VKA_LAYER_MAXPOOL)
    {
      guint k = i;
      for (; k < net->n_layers && !pools_after (net, k); k++)
        if (!chain_add (net, k, c))
          return FALSE;
      if (k == net->n_layers || !chain_add (net, k, c))
        return FALSE;
      c->pooled = TRUE;
      c->end = k + 2;
      return TRUE;
    }
  if (!fuses_with_next (net, i))
    return FALSE;
  guint k = i + 1;
  for (; k < net->n_layers && net->layers[k].info.spec->kind != VKA_LAYER_UPSAMPLE; k++)
    if (!chain_add (net, k, c))
      return FALSE;
  c->upsampled = TRUE;
  c->end = k;
  return TRUE;
}

static VkaTensor *
run_chain (VkaNetwork *net, const Chain *c, VkaTensor *x, GError **error)
{
  VkaBackend *b = net->backend;
  int h = c->upsampled ? 2 * x->h : x->h, w = c->upsampled ? 2 * x->w : x->w;
  if (c->pooled)
    h = (h + 1) / 2, w = (w + 1) / 2;
  VkaTensor *y = vka_tensor_new (b, x->n, c->convs[c->n_convs - 1].weight->n, h, w, error);
  if (y && !b->ops->conv3x3_chain (b, x, c->convs, c->n_convs, c->upsampled, c->pooled, y,
                                   error))
    g_clear_pointer (&y, vka_tensor_free);
  return y;
}

guint64
vka_network_working_bytes (VkaNetwork *net, int h, int w)
{
  VkaBackend *b = net->backend;
  guint64 peak = 0, x = vka_tensor_bytes (b, 1, net->layers[0].info.in_channels, h, w);
  for (guint i = 0; i < net->n_layers; i++)
    {
      Chain chain;
      if (chain_at (net, i, &chain))
        {
          /* its input, its output and its bands */
          const Layer *last = &net->layers[chain.end - 1];
          int cin = last->info.in_channels, cout = last->info.out_channels;
          if (chain.upsampled)
            h *= 2, w *= 2;
          guint64 y = chain.pooled
                      ? vka_tensor_bytes (b, 1, cout, (h + 1) / 2, (w + 1) / 2)
                      : chain.n_convs > 1 && b->ops->conv_output_bytes
                      ? b->ops->conv_output_bytes (b, 1, cin, cout, h, w, 3)
                      : vka_tensor_bytes (b, 1, cout, h, w);
          int channels = net->layers[chain.first].info.in_channels;
          for (guint k = chain.first; k < chain.end; k++)
            channels = MAX (channels, net->layers[k].info.out_channels);
          guint64 scratch = vka_conv3x3_chain_scratch_bytes (1, channels, h, w);
          if (chain.pooled)
            h = (h + 1) / 2, w = (w + 1) / 2;
          peak = MAX (peak, x + y + scratch);
          x = y;
          i = chain.end - 1;
          continue;
        }
      guint64 extra = 0;
      gboolean plain_conv = !fuses_with_next (net, i) && !pools_after (net, i)
                            && net->layers[i].info.spec->kind == VKA_LAYER_CONV;
      if (fuses_with_next (net, i))
        {
          if (!b->ops->conv3x3_upsampled)   /* the composed form makes the upsampled map */
            extra = vka_tensor_bytes (b, 1, net->layers[i].info.in_channels, 2 * h, 2 * w);
          h *= 2, w *= 2;
          i++;
        }
      else
        output_size (net->layers[i].info.spec, &h, &w);
      const VkaLayerInfo *info = &net->layers[i].info;
      int out_h = h, out_w = w;
      if (pools_after (net, i))
        {
          output_size (net->layers[++i].info.spec, &out_h, &out_w);
          /* the full-size map is the extra bytes' dense one */
        }
      guint64 y = plain_conv && b->ops->conv_output_bytes
                  ? b->ops->conv_output_bytes (b, 1, info->in_channels, info->out_channels,
                                               out_h, out_w, info->spec->kernel)
                  : vka_tensor_bytes (b, 1, info->out_channels, out_h, out_w);
      if (info->spec->kind == VKA_LAYER_CONV && b->ops->conv_extra_bytes)
        extra += b->ops->conv_extra_bytes (b, 1, info->in_channels, info->out_channels, h, w,
                                           info->spec->kernel);
      h = out_h, w = out_w;
      peak = MAX (peak, x + y + extra);
      x = y;
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
      ok = net->bilinear ? b->ops->upsample2x_bilinear (b, x, y, error)
                         : b->ops->upsample2x (b, x, y, error);
      layer->info.flops = 0;
      break;
    }
  layer->info.height = h;
  layer->info.width = w;
  layer->info.upsampled_input = FALSE;
  if (!ok)
    g_clear_pointer (&y, vka_tensor_free);
  return y;
}

static VkaTensor *
run_pooled_conv (VkaNetwork *net, Layer *conv, Layer *pool, VkaTensor *x, GError **error)
{
  VkaBackend *b = net->backend;
  int h = x->h, w = x->w;
  output_size (pool->info.spec, &h, &w);
  VkaTensor *y = vka_tensor_new (b, x->n, conv->info.out_channels, h, w, error);
  if (!y)
    return NULL;
  if (!vka_conv3x3_pooled (b, x, conv->weight, conv->bias, conv->info.spec->relu, y, error))
    {
      vka_tensor_free (y);
      return NULL;
    }
  conv->info.height = x->h;
  conv->info.width = x->w;
  conv->info.upsampled_input = FALSE;
  conv->info.flops = 2.0 * x->n * conv->info.in_channels * conv->info.out_channels * 9.0
                   * x->h * x->w;
  pool->info.height = h;
  pool->info.width = w;
  pool->info.flops = 0;
  return y;
}

static VkaTensor *
run_upsampled_conv (VkaNetwork *net, Layer *conv, VkaTensor *x, GError **error)
{
  VkaBackend *b = net->backend;
  int h = x->h * 2, w = x->w * 2;
  VkaTensor *y = vka_tensor_new (b, x->n, conv->info.out_channels, h, w, error);
  if (!y)
    return NULL;
  if (!vka_conv3x3_upsampled (b, x, conv->weight, conv->bias, conv->info.spec->relu, y,
                              error))
    {
      vka_tensor_free (y);
      return NULL;
    }
  conv->info.height = h;
  conv->info.width = w;
  conv->info.upsampled_input = TRUE;
  conv->info.flops = 2.0 * x->n * conv->info.in_channels * conv->info.out_channels * 9.0
                   * h * w;
  return y;
}

/* Runs every layer on input; with take, input is the network's and is
 * freed as soon as the first layer has read it (or on failure). */
static VkaTensor *
forward (VkaNetwork *net, VkaTensor *input, gboolean take, VkaLayerHook hook,
         gpointer hook_data, GError **error)
{
  if (input->c != net->layers[0].info.in_channels)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "network input has %d channels, expected %d", input->c,
                   net->layers[0].info.in_channels);
      if (take)
        vka_tensor_free (input);
      return NULL;
    }
  VkaTensor *x = input;
  for (guint i = 0; i < net->n_layers; i++)
    {
      VkaTensor *y;
      Chain chain;
      /* with a hook each layer's time is its own */
      if (!hook && chain_at (net, i, &chain))
        {
          y = run_chain (net, &chain, x, error);
          i = chain.end - 1;
        }
      else if (fuses_with_next (net, i))
        {
          /* the upsampling reports no time of its own: the pair's is the
           * convolution's */
          VkaLayerInfo *up = &net->layers[i].info;
          up->height = x->h * 2;
          up->width = x->w * 2;
          up->flops = 0;
          if (hook)
            {
              if (!vka_backend_flush (net->backend, error))
                {
                  if (x != input || take)
                    vka_tensor_free (x);
                  return NULL;
                }
              hook (up, hook_data);
            }
          y = run_upsampled_conv (net, &net->layers[++i], x, error);
        }
      else if (pools_after (net, i))
        {
          /* the pooling reports no time of its own: the pair's is the
           * convolution's */
          y = run_pooled_conv (net, &net->layers[i], &net->layers[i + 1], x, error);
          if (y && hook)
            {
              if (!vka_backend_flush (net->backend, error))
                {
                  vka_tensor_free (y);
                  if (x != input || take)
                    vka_tensor_free (x);
                  return NULL;
                }
              hook (&net->layers[i].info, hook_data);
            }
          i++;
        }
      else
        y = run_layer (net, &net->layers[i], x, error);
      if (x != input || take)
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

VkaTensor *
vka_network_forward (VkaNetwork *net, VkaTensor *input, VkaLayerHook hook,
                     gpointer hook_data, GError **error)
{
  return forward (net, input, FALSE, hook, hook_data, error);
}

VkaTensor *
vka_network_forward_take (VkaNetwork *net, VkaTensor *input, VkaLayerHook hook,
                          gpointer hook_data, GError **error)
{
  return forward (net, input, TRUE, hook, hook_data, error);
}

/* ---- training ---- */

struct VkaTape
{
  VkaTensor  *input;     /* borrowed */
  guint       n;
  VkaTensor **outputs;   /* owned */
};

void
vka_tape_free (VkaTape *tape)
{
  if (!tape)
    return;
  for (guint i = 0; i < tape->n; i++)
    vka_tensor_free (tape->outputs[i]);
  g_free (tape->outputs);
  g_free (tape);
}

VkaTensor *
vka_tape_output (VkaTape *tape, guint layer)
{
  g_return_val_if_fail (layer < tape->n, NULL);
  return tape->outputs[layer];
}

guint
vka_network_n_layers (const VkaNetwork *net)
{
  return net->n_layers;
}

int
vka_network_layer_of (const VkaNetwork *net, int index)
{
  for (guint i = 0; i < net->n_layers; i++)
    if (net->layers[i].info.spec->index == index)
      return (int) i;
  return -1;
}

VkaTensor *
vka_network_forward_tape (VkaNetwork *net, VkaTensor *input, VkaTape **tape_out,
                          GError **error)
{
  g_autoptr (VkaTape) tape = g_new0 (VkaTape, 1);
  tape->input = input;
  tape->n = net->n_layers;
  tape->outputs = g_new0 (VkaTensor *, net->n_layers);
  VkaTensor *x = input;
  for (guint i = 0; i < net->n_layers; i++)
    {
      tape->outputs[i] = run_layer (net, &net->layers[i], x, error);
      if (!tape->outputs[i])
        return NULL;
      x = tape->outputs[i];
    }
  *tape_out = g_steal_pointer (&tape);
  return x;
}

static VkaTensor *
like (VkaBackend *b, VkaTensor *t, GError **error)
{
  return vka_tensor_new (b, t->n, t->c, t->h, t->w, error);
}

/* The gradient flowing down a backward pass: borrowed (a caller's tensor)
 * or owned (made here). */
typedef struct
{
  VkaTensor *t;
  gboolean   owned;
} Grad;

static void
grad_set (Grad *g, VkaTensor *t, gboolean owned)
{
  if (g->owned)
    vka_tensor_free (g->t);
  g->t = t;
  g->owned = owned;
}

/* g += extra */
static gboolean
grad_add (VkaBackend *b, Grad *g, VkaTensor *extra, GError **error)
{
  if (!g->t)
    {
      grad_set (g, extra, FALSE);
      return TRUE;
    }
  VkaTensor *sum = like (b, g->t, error);
  if (!sum || !b->ops->add (b, g->t, extra, sum, error))
    {
      vka_tensor_free (sum);
      return FALSE;
    }
  grad_set (g, sum, TRUE);
  return TRUE;
}

static gboolean
ensure_param_grads (VkaBackend *b, Layer *layer, GError **error)
{
  if (!layer->dweight)
    layer->dweight = like (b, layer->weight, error);
  if (layer->dweight && !layer->dbias)
    layer->dbias = like (b, layer->bias, error);
  return layer->dbias != NULL;
}

/* conv_backward through the backend's one-call op */
static gboolean
conv3x3_backward_fused (VkaNetwork *net, Layer *layer, VkaTensor *x, VkaTensor *y,
                        VkaTensor *grad, gboolean param_grads, gboolean need_dx,
                        VkaTensor **dx, GError **error)
{
  VkaBackend *b = net->backend;
  if (param_grads && !ensure_param_grads (b, layer, error))
    return FALSE;
  if (need_dx && !(*dx = like (b, x, error)))
    return FALSE;
  if (!b->ops->conv3x3_backward (b, x, layer->info.spec->relu ? y : NULL, grad, layer->weight,
                                 param_grads ? layer->dweight : NULL,
                                 param_grads ? layer->dbias : NULL, need_dx ? *dx : NULL,
                                 error))
    {
      if (need_dx)
        g_clear_pointer (dx, vka_tensor_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
conv_backward (VkaNetwork *net, Layer *layer, VkaTensor *x, VkaTensor *y, VkaTensor *grad,
               gboolean param_grads, gboolean need_dx, VkaTensor **dx, GError **error)
{
  VkaBackend *b = net->backend;
  if (b->ops->conv3x3_backward && layer->info.spec->kernel == 3)
    return conv3x3_backward_fused (net, layer, x, y, grad, param_grads, need_dx, dx, error);
  g_autoptr (VkaTensor) dz = NULL;
  if (layer->info.spec->relu)
    {
      dz = like (b, y, error);
      if (!dz || !b->ops->relu_backward (b, y, grad, dz, error))
        return FALSE;
    }
  VkaTensor *g = dz ? dz : grad;
  if (param_grads)
    {
      if (layer->info.spec->kernel != 3)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "layer %d: only 3×3 convolutions can be trained",
                       layer->info.spec->index);
          return FALSE;
        }
      if (!ensure_param_grads (b, layer, error)
          || !b->ops->conv3x3_backward_weight (b, x, g, layer->dweight, layer->dbias, error))
        return FALSE;
    }
  if (!need_dx)
    return TRUE;
  *dx = like (b, x, error);
  if (!*dx || !b->ops->conv2d_backward_data (b, g, layer->weight, *dx, error))
    {
      g_clear_pointer (dx, vka_tensor_free);
      return FALSE;
    }
  return TRUE;
}

gboolean
vka_network_backward (VkaNetwork *net, VkaTape *tape, VkaTensor *d_output,
                      VkaTensor *const *inject, gboolean param_grads, VkaTensor **d_input,
                      GError **error)
{
  VkaBackend *b = net->backend;
  if (!b->ops->conv2d_backward_data)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the %s backend cannot train", b->ops->name);
      return FALSE;
    }
  /* NULL while no loss has reached the layer */
  Grad grad = { d_output, FALSE };
  gboolean ok = TRUE;
  for (int i = (int) net->n_layers - 1; ok && i >= 0; i--)
    {
      Layer *layer = &net->layers[i];
      if (inject && inject[i] && !grad_add (b, &grad, inject[i], error))
        {
          ok = FALSE;
          break;
        }
      if (!grad.t)
        continue;
      VkaTensor *x = i > 0 ? tape->outputs[i - 1] : tape->input;
      VkaTensor *y = tape->outputs[i];
      gboolean need_dx = i > 0 || d_input;
      VkaTensor *dx = NULL;
      switch (layer->info.spec->kind)
        {
        case VKA_LAYER_CONV:
          ok = conv_backward (net, layer, x, y, grad.t, param_grads, need_dx, &dx, error);
          break;
        case VKA_LAYER_MAXPOOL:
          ok = (dx = like (b, x, error))
            && b->ops->maxpool2x2_backward (b, x, grad.t, dx, error);
          break;
        case VKA_LAYER_UPSAMPLE:
          ok = (dx = like (b, x, error))
            && (net->bilinear ? b->ops->upsample2x_bilinear_backward (b, grad.t, dx, error)
                              : b->ops->upsample2x_backward (b, grad.t, dx, error));
          break;
        }
      grad_set (&grad, dx, TRUE);
    }
  if (ok && d_input)
    {
      if (!grad.owned && grad.t)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "backward: no layer between the gradient and the input");
          ok = FALSE;
        }
      else
        {
          *d_input = grad.t;
          grad.owned = FALSE;
        }
    }
  grad_set (&grad, NULL, FALSE);
  return ok;
}

guint
vka_network_n_params (const VkaNetwork *net)
{
  guint n = 0;
  for (guint i = 0; i < net->n_layers; i++)
    if (net->layers[i].weight)
      n += 2;
  return n;
}

void
vka_network_param (const VkaNetwork *net, guint i, const char **name, VkaTensor **param,
                   VkaTensor **grad)
{
  for (guint l = 0; l < net->n_layers; l++)
    {
      const Layer *layer = &net->layers[l];
      if (!layer->weight)
        continue;
      if (i < 2)
        {
          if (name)
            *name = layer->names[i];
          *param = i == 0 ? layer->weight : layer->bias;
          if (grad)
            *grad = i == 0 ? layer->dweight : layer->dbias;
          return;
        }
      i -= 2;
    }
  g_return_if_reached ();
}
