/* test_weights_save.c — writing weight files (safetensors, PyTorch zip)
 * and the model folder search; registered by test_weights.c's main. */
#include "test_weights.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- Writing safetensors ------------------------------------------------ */

static void
test_save_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vka-weights-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (dir, "decoder.safetensors", NULL);

  g_autoptr (VkaWeights) src = load_fixture ("decoder.t7", NULL);
  for (int round = 0; round < 2; round++)   /* the second one overwrites */
    {
      g_assert_true (vka_weights_save_safetensors (src, out, &error));
      g_assert_no_error (error);
    }
  VkaWeightsFormat format;
  g_autoptr (VkaWeights) back = vka_weights_load (out, &format, &error);
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VKA_WEIGHTS_FORMAT_SAFETENSORS);
  assert_same_weights (back, src, "round trip");
  for (guint i = 0; i < vka_weights_count (src); i++)   /* order kept */
    g_assert_cmpstr (vka_weights_nth (back, i)->name, ==,
                     vka_weights_nth (src, i)->name);

  /* no temporary files left behind */
  g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
  guint entries = 0;
  while (g_dir_read_name (d))
    entries++;
  g_assert_cmpuint (entries, ==, 1);

  /* names needing JSON escapes survive */
  g_autoptr (VkaWeights) odd = vka_weights_new ();
  gint64 shape[1] = { 2 };
  float *v = g_new (float, 2);
  v[0] = 1.5f;
  v[1] = -0.0f;
  g_assert_true (vka_weights_insert (odd, "we\"ird\\name\t1", 1, shape, v, &error));
  g_autofree char *odd_path = g_build_filename (dir, "odd.safetensors", NULL);
  g_assert_true (vka_weights_save_safetensors (odd, odd_path, &error));
  g_autoptr (VkaWeights) odd_back = vka_weights_load (odd_path, NULL, &error);
  g_assert_no_error (error);
  assert_same_weights (odd_back, odd, "escaped names");

  /* an unwritable place is an I/O error naming the file */
  g_autofree char *nowhere = g_build_filename (dir, "missing", "x.safetensors", NULL);
  g_assert_false (vka_weights_save_safetensors (src, nowhere, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "x.safetensors"));

  g_unlink (out);
  g_unlink (odd_path);
  g_rmdir (dir);
}

/* ---- Writing PyTorch zip files ------------------------------------------ */

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint entries = 0;
  while (g_dir_read_name (d))
    entries++;
  return entries;
}

/* Bit by bit, independent of the writer's table. */
static guint32
zip_crc32 (const guint8 *p, gsize n)
{
  guint32 crc = 0xffffffffu;
  for (gsize i = 0; i < n; i++)
    {
      crc ^= p[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return ~crc;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 |
         (guint32) p[3] << 24;
}

/* Walks the local headers as torch's reader would: every entry stored,
 * under folder/, its data on a 64-byte boundary, its CRC right. */
static void
assert_torch_zip_layout (const char *path, const char *folder, guint n_tensors)
{
  g_autofree char *bytes = NULL;
  gsize size, pos = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  const guint8 *data = (const guint8 *) bytes;
  guint records = 0;
  while (pos + 30 <= size && le32 (data + pos) == 0x04034b50)
    {
      const guint8 *h = data + pos;
      gsize name_len = h[26] | h[27] << 8, extra_len = h[28] | h[29] << 8;
      gsize start = pos + 30 + name_len + extra_len, len = le32 (h + 22);
      g_autofree char *name = g_strndup ((const char *) h + 30, name_len);
      g_autofree char *expected_first = g_strconcat (folder, "/data.pkl", NULL);
      if (records == 0)
        g_assert_cmpstr (name, ==, expected_first);
      g_assert_true (g_str_has_prefix (name, folder));
      g_assert_cmpint (h[8] | h[9] << 8, ==, 0);           /* stored */
      g_assert_cmpuint (start % 64, ==, 0);
      g_assert_cmpuint (le32 (h + 18), ==, len);
      g_assert_cmpuint (start + len, <=, size);
      g_assert_cmphex (le32 (h + 14), ==, zip_crc32 (data + start, len));
      if (g_str_has_suffix (name, "/version"))
        g_assert_cmpmem (data + start, len, "3\n", 2);
      if (g_str_has_suffix (name, "/byteorder"))
        g_assert_cmpmem (data + start, len, "little", 6);
      pos = start + len;
      records++;
    }
  g_assert_cmpuint (records, ==, n_tensors + 3);   /* data.pkl, version, byteorder */
  g_assert_cmphex (le32 (data + pos), ==, 0x02014b50);   /* central directory next */
}

static void
insert_pattern (VkaWeights *w, const char *name, int ndim, const gint64 *shape)
{
  gint64 n = 1;
  for (int d = 0; d < ndim; d++)
    n *= shape[d];
  float *v = g_new (float, n);
  for (gint64 k = 0; k < n; k++)
    v[k] = (float) ((k * 7919 % 1013) - 500) / 37.0f;
  v[0] = -0.0f;
  if (n > 1)
    v[1] = 1e-40f;   /* subnormal */
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_weights_insert (w, name, ndim, shape, v, &error));
}

/* VKA_WEIGHTS_KEEP_DIR: also leave the files there, with safetensors twins
 * (tests/weights/check_pth_with_torch.py loads them with torch). */
static void
keep_copy (const VkaWeights *w, const char *file)
{
  const char *keep = g_getenv ("VKA_WEIGHTS_KEEP_DIR");
  if (!keep)
    return;
  g_autoptr (GError) error = NULL;
  g_autofree char *pth = g_build_filename (keep, file, NULL);
  g_autofree char *twin = g_strconcat (pth, ".safetensors", NULL);
  g_assert_true (vka_weights_save_pth (w, pth, &error));
  g_assert_true (vka_weights_save_safetensors (w, twin, &error));
  g_assert_no_error (error);
}

static void
test_save_pth_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vka-pth-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (dir, "decoder_iter_100.pth.tar", NULL);

  g_autoptr (VkaWeights) src = vka_weights_new ();
  const gint64 conv[4] = { 16, 8, 3, 3 }, bias[1] = { 16 }, conv1x1[4] = { 3, 3, 1, 1 },
               matrix[2] = { 5, 7 }, one[1] = { 1 }, big[4] = { 70, 64, 3, 3 };
  insert_pattern (src, "1.weight", 4, conv);
  insert_pattern (src, "1.bias", 1, bias);
  insert_pattern (src, "0.weight", 4, conv1x1);
  insert_pattern (src, "fc.weight", 2, matrix);
  insert_pattern (src, "scale", 1, one);
  insert_pattern (src, "ünïcode.weight", 4, big);   /* 161 KB, a 4-byte key "5" */
  for (int round = 0; round < 2; round++)   /* the second one overwrites */
    {
      g_assert_true (vka_weights_save_pth (src, out, &error));
      g_assert_no_error (error);
    }
  VkaWeightsFormat format;
  g_autoptr (VkaWeights) back = vka_weights_load (out, &format, &error);
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VKA_WEIGHTS_FORMAT_PTH_ZIP);
  assert_same_weights (back, src, "pth round trip");
  for (guint i = 0; i < vka_weights_count (src); i++)   /* order kept */
    g_assert_cmpstr (vka_weights_nth (back, i)->name, ==,
                     vka_weights_nth (src, i)->name);
  assert_torch_zip_layout (out, "decoder_iter_100", vka_weights_count (src));
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temporary file left */
  keep_copy (src, "round-trip.pth");

  g_unlink (out);
  g_rmdir (dir);
}

/* The files torch.save wrote (plain OrderedDicts) come back the same after
 * our writer: same names, order, shapes and bits. */
static void
test_save_pth_matches_torch (void)
{
  static const char *const files[] = { "decoder.pth", "encoder.pth" };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vka-pth-XXXXXX", &error);
  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr (VkaWeights) torch_saved = load_fixture (files[f], NULL);
      g_autofree char *out = g_build_filename (dir, files[f], NULL);
      g_assert_true (vka_weights_save_pth (torch_saved, out, &error));
      g_assert_no_error (error);
      g_autoptr (VkaWeights) ours = vka_weights_load (out, NULL, &error);
      g_assert_no_error (error);
      assert_same_weights (ours, torch_saved, files[f]);
      for (guint i = 0; i < vka_weights_count (torch_saved); i++)
        g_assert_cmpstr (vka_weights_nth (ours, i)->name, ==,
                         vka_weights_nth (torch_saved, i)->name);
      assert_torch_zip_layout (out, f == 0 ? "decoder" : "encoder",
                               vka_weights_count (torch_saved));
      keep_copy (torch_saved, files[f]);
      g_unlink (out);
    }
  g_rmdir (dir);
}

static void
test_save_pth_unwritable (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vka-pth-XXXXXX", &error);
  g_autoptr (VkaWeights) src = load_fixture ("decoder.pth", NULL);

  /* a folder that does not exist */
  g_autofree char *nowhere = g_build_filename (dir, "missing", "x.pth", NULL);
  g_assert_false (vka_weights_save_pth (src, nowhere, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "x.pth: "));
  g_clear_error (&error);

  /* the final rename fails (a folder is in the way; even root cannot
   * replace it): the temporary file is removed again */
  g_autofree char *blocked = g_build_filename (dir, "decoder.pth", NULL);
  g_assert_cmpint (g_mkdir (blocked, 0755), ==, 0);
  g_assert_false (vka_weights_save_pth (src, blocked, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "decoder.pth: "));
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_rmdir (blocked);
  g_rmdir (dir);
}

/* A zip without ZIP64 counts its entries in 16 bits: more tensors than
 * that fit are refused before anything is written (the 4 GiB size limit
 * is the same check on bytes, too big to test here). */
static void
test_save_pth_too_many_entries (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) many = vka_weights_new ();
  const gint64 shape[1] = { 1 };
  for (guint i = 0; i < 0xffff - 3; i++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "%u.bias", i);
      g_assert_true (vka_weights_insert (many, name, 1, shape, g_new0 (float, 1), &error));
    }
  g_autofree char *dir = g_dir_make_tmp ("vka-pth-XXXXXX", &error);
  g_autofree char *out = g_build_filename (dir, "many.pth", NULL);
  g_assert_false (vka_weights_save_pth (many, out, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "many.pth: "));
  g_assert_cmpuint (count_entries (dir), ==, 0);
  g_rmdir (dir);
}

/* ---- Model folder search ------------------------------------------------ */

static void
touch (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
}

static void
test_model_files_find (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("vka-models-XXXXXX", &error);
  g_autofree char *env_dir = g_build_filename (root, "env", NULL);
  g_autofree char *extra = g_build_filename (root, "extra", NULL);
  g_autofree char *xdg_models = g_build_filename (g_get_user_data_dir (), "vk-adain",
                                                  "models", NULL);
  g_mkdir_with_parents (env_dir, 0755);
  g_mkdir_with_parents (extra, 0755);
  g_mkdir_with_parents (xdg_models, 0755);
  g_setenv ("VK_ADAIN_MODELS", env_dir, TRUE);
  const char *const extra_dirs[] = { extra, NULL };

  /* nothing anywhere: the error lists every folder searched */
  char *enc = NULL, *dec = NULL;
  g_assert_false (vka_model_files_find (extra_dirs, &enc, &dec, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, extra));
  g_assert_nonnull (strstr (error->message, env_dir));
  g_assert_nonnull (strstr (error->message, xdg_models));
  g_assert_nonnull (strstr (error->message, VKA_TEST_DATADIR "/models"));
  g_assert_nonnull (strstr (error->message, "vgg_normalised"));
  g_clear_error (&error);

  /* a folder the caller also put first is listed once */
  const char *const env_first[] = { env_dir, extra, NULL };
  g_assert_false (vka_model_files_find (env_first, &enc, &dec, &error));
  const char *once = strstr (error->message, env_dir);
  g_assert_nonnull (once);
  g_assert_null (strstr (once + strlen (env_dir), env_dir));
  g_clear_error (&error);

  /* each file from the first folder that has it; safetensors preferred */
  touch (xdg_models, "decoder.t7");
  touch (env_dir, "vgg_normalised.pth");
  touch (env_dir, "vgg_normalised.safetensors");
  g_assert_true (vka_model_files_find (extra_dirs, &enc, &dec, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (enc, env_dir));
  g_assert_true (g_str_has_suffix (enc, "vgg_normalised.safetensors"));
  g_assert_true (g_str_has_prefix (dec, xdg_models));
  g_clear_pointer (&enc, g_free);
  g_clear_pointer (&dec, g_free);

  /* extra dirs come first */
  touch (extra, "decoder.pth");
  g_assert_true (vka_model_files_find (extra_dirs, &enc, &dec, &error));
  g_assert_true (g_str_has_prefix (dec, extra));
  g_clear_pointer (&enc, g_free);
  g_clear_pointer (&dec, g_free);

  /* only the decoder missing: the message says which */
  g_unsetenv ("VK_ADAIN_MODELS");
  g_assert_false (vka_model_files_find (NULL, &enc, &dec, &error));
  g_assert_nonnull (strstr (error->message, "vgg_normalised"));
  g_assert_null (strstr (error->message, env_dir));
  g_clear_error (&error);
}

void
weights_save_tests_add (void)
{
  g_test_add_func ("/weights/save-round-trip", test_save_round_trip);
  g_test_add_func ("/weights/save-pth/round-trip", test_save_pth_round_trip);
  g_test_add_func ("/weights/save-pth/matches-torch", test_save_pth_matches_torch);
  g_test_add_func ("/weights/save-pth/unwritable", test_save_pth_unwritable);
  g_test_add_func ("/weights/save-pth/too-many-entries", test_save_pth_too_many_entries);
  g_test_add_func ("/weights/model-files-find", test_model_files_find);
}
