/* test-util.h — what every test shares: a context on the backend under
 * test (Vulkan with the validation layer and guard words, or the oneDNN CPU
 * backend), seeded random data, NMSE. */
#pragma once

#include "context-private.h"

/* Which backend the op and network tests run on: one harness, two runs
 * (tests/meson.build registers each executable once per backend). */
typedef enum
{
  TEST_BACKEND_VULKAN,   /* $VK_ADAIN_DEVICE or the best Vulkan device */
  TEST_BACKEND_CPU,      /* the oneDNN CPU backend */
} TestBackend;

extern TestBackend test_backend;

/* g_test_init, after taking "--backend vulkan|cpu" out of argv. */
void        test_init (int *argc, char ***argv);
const char *test_backend_name (void);
/* The configuration of a context on the backend under test: validation on,
 * guard words on (Vulkan; the CPU backend is checked by ASan in CI). */
VkaContextConfig test_device_config (void);
/* A context on the backend under test. Fails the test (never skips) when
 * there is none; except that with $VKA_CONV3X3=coopmat on a device (or a
 * build) without cooperative matrices the whole program is skipped, unless
 * $VKA_TEST_REQUIRE_COOPMAT=1 (CI, where the device must have them). */
VkaContext *test_device_context (void);
/* Whether an error making a context is the device or build lacking the
 * cooperative-matrix kernel that $VKA_CONV3X3=coopmat forces, and the test
 * may skip for it (not with $VKA_TEST_REQUIRE_COOPMAT=1). */
gboolean    test_coopmat_missing (const GError *error);
/* A Vulkan context ($VK_ADAIN_DEVICE or the best Vulkan device) whatever
 * the backend under test: for tests of Vulkan itself. */
VkaContext *test_vulkan_context (void);
/* Fails the test if the context saw any validation message, then frees it. */
void        test_context_finish (VkaContext *context);
/* Whether the backend's 3×3 convolutions run in fp16 (Vulkan, $VKA_FP16). */
gboolean    test_conv3x3_fp16 (VkaBackend *backend);
/* Fails the test if a write went past tensor's end (Vulkan guard words). */
void        test_check_guards (VkaTensor *tensor);

void        test_fill_random (GRand *rand, float *data, gsize n, float lo, float hi);
/* Σ(a−b)² / Σa² (Σa² = 0: plain Σ(a−b)²). */
double      test_nmse (const float *expected, const float *actual, gsize n);
/* PSNR in dB of two images of one size with values in 0..1 (INFINITY when
 * they are equal). */
double      test_image_psnr (const VkaImage *a, const VkaImage *b);
/* Uploads data into a new tensor of backend. */
VkaTensor  *test_tensor (VkaBackend *backend, int n, int c, int h, int w,
                         const float *data);
/* Reads a tensor into a new array. */
float      *test_read (VkaTensor *tensor);

/* Random weights of the official layout with the given widths (encoder
 * widths[0..3] for relu1..relu4 blocks). */
VkaWeights *test_encoder_weights (GRand *rand, const int widths[4]);
VkaWeights *test_decoder_weights (GRand *rand, const int widths[4]);
