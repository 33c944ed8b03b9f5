/* cli-run.h — running vk-adain from the CLI tests, and their files.
 *
 * Environment (set by meson): VKA_CLI = the vk-adain executable,
 * VKA_GOLDEN = tests/cli/golden (pictures and a small random-weight model).
 */
#pragma once

#include <glib.h>

typedef struct
{
  int    status;   /* 0: exited with 0 */
  char  *err;      /* its standard error (free it) */
} Result;

/* Reads the environment and makes a temporary folder for fresh_dir. */
void    cli_run_setup (void);
/* Removes that folder. */
void    cli_run_teardown (void);

/* tests/cli/golden/name */
char   *golden (const char *name);
/* vk-adain with args (NULL-terminated); envp: the child's whole
 * environment (NULL: this process's). Standard output is dropped. */
Result  run_cli_env (const char *const *args, char **envp);
Result  run_cli (const char *const *args);
/* A folder (made with its parents) under the temporary folder. */
char   *fresh_dir (const char *name);
/* Entries in a folder (0 when it is missing). */
guint   dir_count (const char *path);
char   *write_file (const char *dir, const char *name, const void *data, gsize n);
void    copy_file (const char *from, const char *to);
/* A copy of the JPEG `from` in dir with an EXIF APP1 segment carrying
 * orientation (1..8), named o<orientation>.jpg. */
char   *with_orientation (const char *from, const char *dir, int orientation);
/* SHA-256 of a file's bytes, or "missing". */
char   *checksum (const char *path);
/* Runs args and asserts it fails with one line "vk-adain: …" that holds
 * must_name, leaves out_dir (when not NULL) empty and the inputs (NULL-
 * terminated) as they were. */
void    expect_failure (const char *const *args, const char *must_name, const char *out_dir,
                        const char *const *inputs);
