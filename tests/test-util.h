/* test-util.h — what every test shares: a Vulkan context with the
 * validation layer and guard words on, seeded random data, NMSE. */
#pragma once

#include "context-private.h"

/* The device under test: $VK_ADAIN_DEVICE or automatic; validation on,
 * guard words on. Fails the test (never skips) when there is none. */
VkaContext *test_vulkan_context (void);
/* Fails the test if the context saw any validation message, then frees it. */
void        test_context_finish (VkaContext *context);

void        test_fill_random (GRand *rand, float *data, gsize n, float lo, float hi);
/* Σ(a−b)² / Σa² (Σa² = 0: plain Σ(a−b)²). */
double      test_nmse (const float *expected, const float *actual, gsize n);
/* Uploads data into a new tensor of backend. */
VkaTensor  *test_tensor (VkaBackend *backend, int n, int c, int h, int w,
                         const float *data);
/* Reads a tensor into a new array. */
float      *test_read (VkaTensor *tensor);

/* Random weights of the official layout with the given widths (encoder
 * widths[0..3] for relu1..relu4 blocks). */
VkaWeights *test_encoder_weights (GRand *rand, const int widths[4]);
VkaWeights *test_decoder_weights (GRand *rand, const int widths[4]);
