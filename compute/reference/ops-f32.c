/* ops-f32.c — the reference ops on float: what backends are compared with. */
#define REAL float
#define P vka_ref_
#include "ops-impl.h"
