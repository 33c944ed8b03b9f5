/* test-network.h — what the files of the network test share. */
#pragma once

#include "test-util.h"

/* The backend under test, and the plain-C reference. */
extern VkaContext *device_context;
extern VkaContext *reference_context;
/* The encoder's four widths of the small random models. */
extern const int test_network_widths[4];

typedef struct
{
  VkaModel *device;
  VkaModel *reference;
} Models;

/* The same random weights on both contexts. */
Models    make_models (guint32 seed);
/* The same with a decoder whose upsamplings are bilinear when asked. */
Models    make_models_upsampling (guint32 seed, gboolean bilinear);
void      free_models (Models *m);
/* Random pixels with a smooth first channel (features not pure noise). */
VkaImage *random_image (GRand *rand, int w, int h, int channels);
/* Registers the tests of test-network-styles.c, test-network-transfers.c. */
void      test_network_styles_add (void);
void      test_network_transfers_add (void);
