/* style.c — a style: the per-channel mean and std of relu4_1 features,
 * and the mix of several. */
#include "stylize-private.h"

#include <math.h>

struct VkaStyle
{
  int    channels;
  float *mean;
  float *std;
};

VkaStyle *
vka_style_new (int channels, const float *mean, const float *std)
{
  g_return_val_if_fail (channels > 0, NULL);
  VkaStyle *style = g_new0 (VkaStyle, 1);
  style->channels = channels;
  style->mean = g_memdup2 (mean, sizeof (float) * channels);
  style->std = g_memdup2 (std, sizeof (float) * channels);
  return style;
}

void
vka_style_free (VkaStyle *style)
{
  if (!style)
    return;
  g_free (style->mean);
  g_free (style->std);
  g_free (style);
}

int
vka_style_channels (const VkaStyle *style)
{
  return style->channels;
}

const float *
vka_style_mean (const VkaStyle *style)
{
  return style->mean;
}

const float *
vka_style_std (const VkaStyle *style)
{
  return style->std;
}

VkaStyle *
vka_style_from_stats (int channels, const float *stats)
{
  VkaStyle *style = g_new0 (VkaStyle, 1);
  style->channels = channels;
  style->mean = g_new (float, channels);
  style->std = g_new (float, channels);
  for (int c = 0; c < channels; c++)
    {
      style->mean[c] = stats[2 * c];
      style->std[c] = stats[2 * c + 1];
    }
  return style;
}

/* The mix of several styles is AdaIN with the weighted mean of their means
 * and of their stds (the normalised content is shared). */
float *
vka_style_mix_stats (const VkaStyle *const *styles, const double *weights, int n_styles,
                     int channels, GError **error)
{
  double total = 0;
  for (int i = 0; i < n_styles; i++)
    {
      double w = weights ? weights[i] : 1.0;
      if (!(w >= 0) || !isfinite (w))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "style weight %d is %g; weights must be finite and >= 0", i + 1, w);
          return NULL;
        }
      if (styles[i]->channels != channels)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "style %d has %d channels of statistics, the model's encoder "
                       "gives %d", i + 1, styles[i]->channels, channels);
          return NULL;
        }
      total += w;
    }
  if (total <= 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the style weights add up to 0");
      return NULL;
    }
  float *target = g_new0 (float, 2 * channels);
  for (int c = 0; c < channels; c++)
    {
      double mean = 0, std = 0;
      for (int i = 0; i < n_styles; i++)
        {
          double w = (weights ? weights[i] : 1.0) / total;
          mean += w * styles[i]->mean[c];
          std += w * styles[i]->std[c];
        }
      target[2 * c] = (float) mean;
      target[2 * c + 1] = (float) std;
    }
  return target;
}

VkaStyle *
vka_style_mix (const VkaStyle *const *styles, const double *weights, int n, GError **error)
{
  if (n < 1)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT, "no style given");
      return NULL;
    }
  int channels = styles[0]->channels;
  g_autofree float *stats = vka_style_mix_stats (styles, weights, n, channels, error);
  return stats ? vka_style_from_stats (channels, stats) : NULL;
}
