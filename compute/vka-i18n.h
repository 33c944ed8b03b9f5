/* vka-i18n.h — messages of compute/ that users of the GIMP plug-in read are
 * marked for the gettext domain GETTEXT_PACKAGE ("vk-adain", set by meson);
 * programs that bind no catalog (the CLI) get them in English. */
#pragma once

#ifndef GETTEXT_PACKAGE
#error "GETTEXT_PACKAGE must be defined by the build"
#endif

#include <glib/gi18n-lib.h>
