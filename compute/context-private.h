/* context-private.h — what the rest of compute/ (and the tests) may see of
 * a context. */
#pragma once

#include "backend.h"

typedef struct
{
  const char *device;
  gboolean    validation;
  gboolean    guards;      /* guard words around every tensor (Vulkan; tests) */
  int         threads;     /* CPU backend; 0 = all cores */
  gboolean    vulkan_only; /* leave the CPU backend out of the choice (tests) */
} VkaContextConfig;

VkaContext *vka_context_new_full (const VkaContextConfig *config, GError **error);
/* A context over the plain-C reference backend: the oracle for tests. */
VkaContext *vka_context_new_reference (void);
/* The same in double precision (finite-difference checks). */
VkaContext *vka_context_new_reference64 (void);
VkaBackend *vka_context_backend (VkaContext *context);
