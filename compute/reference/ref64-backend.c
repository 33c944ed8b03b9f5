/* ref64-backend.c — the reference backend on double: for finite-difference
 * checks of whole forward and backward passes. */
#define REAL double
#define P vka_ref64_
#define NAME "reference (double)"
#define CONSTRUCTOR vka_reference64_backend_new
#include "backend-impl.h"
