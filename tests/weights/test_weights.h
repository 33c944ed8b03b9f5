/* test_weights.h — what the two files of the weights test share. */
#pragma once

#include "vka.h"

/* The folder of the committed fixtures. */
extern char *fixtures_dir;

char       *fixture_path (const char *name);
/* The fixture loaded, asserting that it loads. */
VkaWeights *load_fixture (const char *name, VkaWeightsFormat *format);
/* Same names, shapes and bits. */
void        assert_same_weights (const VkaWeights *got, const VkaWeights *want,
                                 const char *what);
/* Registers the tests of test_weights_save.c. */
void        weights_save_tests_add (void);
