/* error-quark.c — VKA_ERROR's quark for fuzz builds that compile only the
 * weight readers (the library defines it with the rest of the engine). */
#include "vka.h"

G_DEFINE_QUARK (vka-error-quark, vka_error)
