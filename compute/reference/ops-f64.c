/* ops-f64.c — the reference ops on double: for finite-difference checks. */
#define REAL double
#define P vka_ref64_
#include "ops-impl.h"
