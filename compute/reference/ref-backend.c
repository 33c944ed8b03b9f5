/* ref-backend.c — the reference backend on float: the op tests' oracle. */
#define REAL float
#define P vka_ref_
#define NAME "reference"
#define CONSTRUCTOR vka_reference_backend_new
#include "backend-impl.h"
