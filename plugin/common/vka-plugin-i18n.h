/* vka-plugin-i18n.h — gettext for the plug-in: domain GETTEXT_PACKAGE
 * ("vk-adain", set by meson), _() and N_(). */
#pragma once

#ifndef GETTEXT_PACKAGE
#error "GETTEXT_PACKAGE must be defined by the build"
#endif

#include <glib/gi18n-lib.h>
