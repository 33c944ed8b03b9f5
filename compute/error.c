/* error.c — the library's error domain (VKA_ERROR, codes in vka.h), which
 * every part of compute/ raises: defined here, below them all. */
#include "vka.h"

G_DEFINE_QUARK (vka-error-quark, vka_error)
