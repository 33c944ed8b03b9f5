/* test-files.h — files and folders for the tests that run the programs
 * (GLib only: no compute/ internals). */
#pragma once

#include <glib.h>

/* Removes path and, for a folder, everything under it (made writable
 * first); TRUE when path itself was removed. */
gboolean test_rm_rf (const char *path);
