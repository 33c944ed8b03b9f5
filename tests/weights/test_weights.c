/* test_weights.c — weight-file loading: every format against committed
 * reference values, wrappers, strides, dtypes, and hostile input (truncation, bit flips, random bytes, declared
 * sizes beyond the file, deep pickles, forbidden globals). TAP via g_test. */
#include "test_weights.h"

#include <glib/gstdio.h>
#include <string.h>

char *fixtures_dir;

char *
fixture_path (const char *name)
{
  return g_build_filename (fixtures_dir, name, NULL);
}

static GBytes *
fixture_bytes (const char *name)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  char *data;
  gsize size;
  if (!g_file_get_contents (path, &data, &size, &error))
    g_error ("fixture %s: %s", name, error->message);
  return g_bytes_new_take (data, size);
}

VkaWeights *
load_fixture (const char *name, VkaWeightsFormat *format)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  VkaWeights *w = vka_weights_load (path, format, &error);
  g_assert_no_error (error);
  g_assert_nonnull (w);
  return w;
}

/* Same names, shapes and bits. */
void
assert_same_weights (const VkaWeights *got, const VkaWeights *want,
                     const char *what)
{
  if (vka_weights_count (got) != vka_weights_count (want))
    g_error ("%s: %u tensors, expected %u", what, vka_weights_count (got),
             vka_weights_count (want));
  for (guint i = 0; i < vka_weights_count (want); i++)
    {
      const VkaTensorData *w = vka_weights_nth (want, i);
      const VkaTensorData *g = vka_weights_get (got, w->name);
      if (!g)
        g_error ("%s: tensor %s is missing", what, w->name);
      g_assert_cmpint (g->ndim, ==, w->ndim);
      for (int d = 0; d < w->ndim; d++)
        g_assert_cmpint (g->shape[d], ==, w->shape[d]);
      gint64 n = vka_tensor_data_numel (w);
      if (n > 0 && memcmp (g->data, w->data, (gsize) n * sizeof (float)) != 0)
        g_error ("%s: tensor %s differs from the reference", what, w->name);
    }
}

/* ---- Every format matches the reference ---------------------------------- */

typedef struct
{
  const char      *file;
  const char      *reference;
  VkaWeightsFormat format;
} FormatCase;

static const FormatCase format_cases[] = {
  { "encoder.pth", "ref-encoder.safetensors", VKA_WEIGHTS_FORMAT_PTH_ZIP },
  { "encoder-legacy.pth", "ref-encoder.safetensors", VKA_WEIGHTS_FORMAT_PTH_LEGACY },
  { "encoder.t7", "ref-encoder.safetensors", VKA_WEIGHTS_FORMAT_TORCH7 },
  { "decoder.pth", "ref-decoder.safetensors", VKA_WEIGHTS_FORMAT_PTH_ZIP },
  { "decoder-legacy.pth", "ref-decoder.safetensors", VKA_WEIGHTS_FORMAT_PTH_LEGACY },
  { "decoder.t7", "ref-decoder.safetensors", VKA_WEIGHTS_FORMAT_TORCH7 },
  { "decoder-f16.pth", "ref-decoder-f16.safetensors", VKA_WEIGHTS_FORMAT_PTH_ZIP },
  { "decoder-f16.safetensors", "ref-decoder-f16.safetensors", VKA_WEIGHTS_FORMAT_SAFETENSORS },
  { "decoder-bf16.pth", "ref-decoder-bf16.safetensors", VKA_WEIGHTS_FORMAT_PTH_ZIP },
  { "decoder-f64-legacy.pth", "ref-decoder.safetensors", VKA_WEIGHTS_FORMAT_PTH_LEGACY },
  { "decoder-f64.safetensors", "ref-decoder.safetensors", VKA_WEIGHTS_FORMAT_SAFETENSORS },
  { "strided.pth", "ref-strided.safetensors", VKA_WEIGHTS_FORMAT_PTH_ZIP },
  { "strided-legacy.pth", "ref-strided.safetensors", VKA_WEIGHTS_FORMAT_PTH_LEGACY },
  { "wrapped.pth", "ref-decoder.safetensors", VKA_WEIGHTS_FORMAT_PTH_ZIP },
};

static void
test_format (gconstpointer data)
{
  const FormatCase *c = data;
  VkaWeightsFormat format = VKA_WEIGHTS_FORMAT_UNKNOWN, ref_format;
  g_autoptr (VkaWeights) got = load_fixture (c->file, &format);
  g_autoptr (VkaWeights) want = load_fixture (c->reference, &ref_format);
  g_assert_cmpint (format, ==, c->format);
  g_assert_cmpint (ref_format, ==, VKA_WEIGHTS_FORMAT_SAFETENSORS);
  assert_same_weights (got, want, c->file);
}

static void
test_official_layout (void)
{
  g_autoptr (VkaWeights) enc = load_fixture ("encoder.t7", NULL);
  g_autoptr (VkaWeights) dec = load_fixture ("decoder.pth", NULL);
  /* 17 convolutions in the full VGG, 9 in the decoder */
  g_assert_cmpuint (vka_weights_count (enc), ==, 34);
  g_assert_cmpuint (vka_weights_count (dec), ==, 18);
  const VkaTensorData *t = vka_weights_get (enc, "29.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->ndim, ==, 4);
  g_assert_cmpint (t->shape[0], ==, 8);
  g_assert_cmpint (t->shape[1], ==, 4);
  g_assert_nonnull (vka_weights_get (enc, "0.bias"));
  g_assert_nonnull (vka_weights_get (enc, "51.bias"));
  g_assert_nonnull (vka_weights_get (dec, "28.weight"));
  g_assert_null (vka_weights_get (dec, "0.weight"));
}

static void
test_wrapped_model_parameters (void)
{
  g_autoptr (VkaWeights) got = load_fixture ("wrapped-model-legacy.pth", NULL);
  g_autoptr (VkaWeights) ref = load_fixture ("ref-decoder.safetensors", NULL);
  g_assert_cmpuint (vka_weights_count (got), ==, 2);
  const VkaTensorData *a = vka_weights_get (got, "1.weight");
  const VkaTensorData *b = vka_weights_get (ref, "1.weight");
  g_assert_nonnull (a);
  g_assert_cmpmem (a->data, vka_tensor_data_numel (a) * 4, b->data,
                   vka_tensor_data_numel (b) * 4);
  /* the integer buffer of wrapped.pth was skipped */
  g_autoptr (VkaWeights) wrapped = load_fixture ("wrapped.pth", NULL);
  g_assert_null (vka_weights_get (wrapped, "num_batches_tracked"));
}

/* ---- Errors named and classified ---------------------------------------- */

static void
expect_error (const char *file, int code, const char *needle)
{
  g_autofree char *path = fixture_path (file);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) w = vka_weights_load (path, NULL, &error);
  g_assert_null (w);
  g_assert_error (error, VKA_ERROR, code);
  g_test_message ("%s -> %s", file, error->message);
  g_assert_true (g_str_has_prefix (error->message, file));
  if (!strstr (error->message, needle))
    g_error ("'%s' does not mention '%s'", error->message, needle);
}

static void
test_hostile_global (void)
{
  expect_error ("hostile-system.pth", VKA_ERROR_FILE_FORMAT,
                "global 'posix.system', which is not allowed");
  expect_error ("hostile-system-legacy.pth", VKA_ERROR_FILE_FORMAT,
                "global 'posix.system', which is not allowed");
}

static void
test_broken_zip (void)
{
  expect_error ("broken-compressed.pth", VKA_ERROR_FILE_FORMAT, "compressed");
  expect_error ("broken-missing-storage.pth", VKA_ERROR_FILE_FORMAT, "no entry");
  expect_error ("broken-missing-pickle.pth", VKA_ERROR_FILE_FORMAT, "data.pkl");
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = fixture_path ("no-such-file.pth");
  g_assert_null (vka_weights_load (path, NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_nonnull (strstr (error->message, "no-such-file.pth"));
  g_clear_error (&error);
  g_assert_null (vka_weights_load (fixtures_dir, NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == VKA_ERROR);
}

/* ---- Hostile bytes: must fail cleanly, never crash ----------------------- */

/* Loads from an exact-size heap copy (so out-of-bounds reads are caught by
 * sanitizers); a failure must be a VKA_ERROR naming the file. */
static gboolean
try_load (const guint8 *data, gsize size)
{
  g_autoptr (GError) error = NULL;
  guint8 *copy = g_memdup2 (data, size);
  VkaWeights *w = vka_weights_load_from_data (copy, size, "fuzzed.bin", NULL, &error);
  g_free (copy);
  if (w)
    {
      vka_weights_free (w);
      return TRUE;
    }
  g_assert_nonnull (error);
  g_assert_true (error->domain == VKA_ERROR);
  g_assert_true (g_str_has_prefix (error->message, "fuzzed.bin: "));
  return FALSE;
}

static const char *const all_fixtures[] = {
  "encoder.pth", "encoder-legacy.pth", "encoder.t7", "ref-encoder.safetensors",
  "decoder.pth", "decoder-legacy.pth", "decoder.t7", "ref-decoder.safetensors",
  "decoder-f16.pth", "decoder-f16.safetensors", "decoder-bf16.pth",
  "decoder-f64-legacy.pth", "decoder-f64.safetensors", "strided.pth",
  "strided-legacy.pth", "wrapped.pth", "wrapped-model-legacy.pth",
  "hostile-system.pth", "hostile-system-legacy.pth",
};

static void
test_truncation (gconstpointer data)
{
  g_autoptr (GBytes) bytes = fixture_bytes (data);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  for (gsize n = 0; n < size; n++)
    if (try_load (p, n))
      g_error ("%s truncated to %" G_GSIZE_FORMAT " bytes still loads",
               (const char *) data, n);
}

static void
test_bit_flips (gconstpointer data)
{
  g_autoptr (GBytes) bytes = fixture_bytes (data);
  gsize size;
  const guint8 *p = g_bytes_get_data (bytes, &size);
  g_autofree guint8 *copy = g_memdup2 (p, size);
  GRand *rand = g_rand_new_with_seed (1234);
  guint loaded = 0;
  for (int iter = 0; iter < 400; iter++)
    {
      memcpy (copy, p, size);
      int flips = g_rand_int_range (rand, 1, 5);
      for (int k = 0; k < flips; k++)
        {
          /* half the flips near the start, where the structure lives */
          gsize limit = iter % 2 ? size : MIN (size, 2048);
          gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) limit);
          copy[at] ^= (guint8) (1u << g_rand_int_range (rand, 0, 8));
        }
      loaded += try_load (copy, size);
    }
  g_test_message ("%s: %u of 400 flipped copies still loaded", (const char *) data,
                  loaded);
  g_rand_free (rand);
}

static void
test_random_bytes (void)
{
  static const char *const prefixes[] = {
    "", "PK\3\4", "\x80\x02", "\x04\0\0\0", "\x10\0\0\0\0\0\0\0{",
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.",
  };
  GRand *rand = g_rand_new_with_seed (42);
  guint8 buf[512];
  g_assert_false (try_load ((const guint8 *) "", 0));
  for (int iter = 0; iter < 3000; iter++)
    {
      gsize n = (gsize) g_rand_int_range (rand, 0, sizeof buf);
      for (gsize i = 0; i < n; i++)
        buf[i] = (guint8) g_rand_int (rand);
      const char *pre = prefixes[iter % G_N_ELEMENTS (prefixes)];
      gsize plen = pre[0] == '\x10' ? 9 : strlen (pre);
      if (pre == prefixes[5])
        plen = 15;
      memcpy (buf, pre, MIN (plen, n));
      try_load (buf, n);
    }
  g_rand_free (rand);
}

static void
test_wrong_magic (void)
{
  g_autoptr (GBytes) bytes = fixture_bytes ("decoder-legacy.pth");
  gsize size;
  const guint8 *orig = g_bytes_get_data (bytes, &size);
  g_autofree guint8 *copy = g_memdup2 (orig, size);
  copy[6] ^= 0x01;   /* inside the magic number */
  g_autoptr (GError) error = NULL;
  g_assert_null (vka_weights_load_from_data (copy, size, "decoder.pth", NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT);
  g_assert_nonnull (strstr (error->message, "magic"));
  g_clear_error (&error);

  g_assert_null (vka_weights_load_from_data ((const guint8 *) "GIF89a....", 10,
                                             "x.pth", NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "x.pth: "));
}

/* ---- Hand-built legacy files: sizes, strides, offsets, counts ----------- */

static void
pk_int (GByteArray *b, gint64 v)
{
  guint8 op[2] = { 0x8a, 8 };   /* LONG1, 8 bytes */
  g_byte_array_append (b, op, 2);
  for (int i = 0; i < 8; i++)
    {
      guint8 byte = (guint8) ((guint64) v >> (8 * i));
      g_byte_array_append (b, &byte, 1);
    }
}

static void
pk_raw (GByteArray *b, const char *s)
{
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

static void
pk_str (GByteArray *b, const char *s)
{
  guint32 n = GUINT32_TO_LE ((guint32) strlen (s));
  pk_raw (b, "X");
  g_byte_array_append (b, (const guint8 *) &n, 4);
  pk_raw (b, s);
}

static const char legacy_header[] =
  "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
  "\x80\x02M\xe9\x03."
  "\x80\x02}.";

typedef struct
{
  int    ndim;
  gint64 size[4];
  gint64 stride[4];
  gint64 offset;
  gint64 numel;        /* declared in the pickle */
  gint64 count;        /* written before the data */
  gint64 present;      /* floats actually in the file */
} LegacySpec;

static GByteArray *
build_legacy (const LegacySpec *s)
{
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) legacy_header, sizeof legacy_header - 1);
  pk_raw (b, "\x80\x02}(");
  pk_str (b, "0.weight");
  pk_raw (b, "ctorch._utils\n_rebuild_tensor_v2\n((");
  pk_str (b, "storage");
  pk_raw (b, "ctorch\nFloatStorage\n");
  pk_str (b, "k0");
  pk_str (b, "cpu");
  pk_int (b, s->numel);
  pk_raw (b, "tQ");
  pk_int (b, s->offset);
  pk_raw (b, "(");
  for (int i = 0; i < s->ndim; i++)
    pk_int (b, s->size[i]);
  pk_raw (b, "t(");
  for (int i = 0; i < s->ndim; i++)
    pk_int (b, s->stride[i]);
  pk_raw (b, "t\x89N)tRu.");
  pk_raw (b, "\x80\x02](");
  pk_str (b, "k0");
  pk_raw (b, "e.");
  guint64 count = GUINT64_TO_LE ((guint64) s->count);
  g_byte_array_append (b, (const guint8 *) &count, 8);
  for (gint64 i = 0; i < s->present; i++)
    {
      float f = (float) i;
      g_byte_array_append (b, (const guint8 *) &f, 4);
    }
  return b;
}

static gboolean
load_legacy (const LegacySpec *s, VkaWeights **out, char **message)
{
  g_autoptr (GByteArray) b = build_legacy (s);
  g_autoptr (GError) error = NULL;
  VkaWeights *w = vka_weights_load_from_data (b->data, b->len, "built.pth", NULL,
                                              &error);
  if (!w)
    {
      g_assert_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT);
      g_test_message ("%s", error->message);
      if (message)
        *message = g_strdup (error->message);
    }
  if (out)
    *out = w;
  else
    vka_weights_free (w);
  return w != NULL;
}

static void
test_legacy_built (void)
{
  /* a valid 2x3 transposed view with offset 1 of 7 floats */
  LegacySpec ok = { 2, { 2, 3 }, { 1, 2 }, 1, 7, 7, 7 };
  VkaWeights *w = NULL;
  g_assert_true (load_legacy (&ok, &w, NULL));
  const VkaTensorData *t = vka_weights_get (w, "0.weight");
  const float expect[6] = { 1, 3, 5, 2, 4, 6 };
  g_assert_cmpmem (t->data, sizeof expect, expect, sizeof expect);
  vka_weights_free (w);

  const LegacySpec bad[] = {
    { 2, { 2, 3 }, { 1, -2 }, 1, 7, 7, 7 },                      /* negative stride */
    { 2, { -2, 3 }, { 1, 2 }, 1, 7, 7, 7 },                      /* negative size */
    { 2, { 2, 3 }, { 1, 2 }, -1, 7, 7, 7 },                      /* negative offset */
    { 2, { 2, 3 }, { 1, 2 }, 2, 7, 7, 7 },                       /* reads past end */
    { 3, { 1LL << 40, 1LL << 40, 1LL << 40 }, { 0, 0, 0 }, 0, 7, 7, 7 }, /* overflow */
    { 2, { 2, 3 }, { G_MAXINT64 / 2, G_MAXINT64 / 2 }, 0, 7, 7, 7 }, /* stride overflow */
    { 1, { 1LL << 40 }, { 0 }, 0, 7, 7, 7 },                     /* broadcast huge */
    { 1, { 7 }, { 1 }, 0, 1LL << 40, 7, 7 },                     /* numel > data */
    { 1, { 7 }, { 1 }, 0, 7, 1LL << 62, 7 },                     /* count huge */
    { 1, { 7 }, { 1 }, 0, 7, 7, 6 },                             /* data short */
    { 1, { 7 }, { 1 }, 0, -7, 7, 7 },                            /* negative numel */
    { 1, { 7 }, { 1 }, 0, 7, -1, 7 },                            /* negative count */
    { 3, { 4, 1LL << 60, 0 }, { 0, 0, 0 }, 0, 7, 7, 7 },           /* found by fuzz-load:
                                     a zero size hid a size whose bytes overflow */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *message = NULL;
      if (load_legacy (&bad[i], NULL, &message))
        g_error ("bad legacy case %u loaded", i);
      g_assert_true (g_str_has_prefix (message, "built.pth: "));
    }
}

static void
expect_legacy_pickle_error (const char *state_pickle, gsize len, const char *needle)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) legacy_header, sizeof legacy_header - 1);
  g_byte_array_append (b, (const guint8 *) state_pickle, (guint) len);
  pk_raw (b, "\x80\x02].");
  g_autoptr (GError) error = NULL;
  g_assert_null (vka_weights_load_from_data (b->data, b->len, "deep.pth", NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == VKA_ERROR);
  g_test_message ("%s", error->message);
  if (needle && !strstr (error->message, needle))
    g_error ("'%s' does not mention '%s'", error->message, needle);
}

static void
test_deep_pickles (void)
{
  /* 100000 MARKs */
  GString *s = g_string_new ("\x80\x02");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (s, '(');
  expect_legacy_pickle_error (s->str, s->len, "too deeply");
  /* a million nested 1-tuples: no recursion anywhere, so just "no dict" */
  g_string_assign (s, "\x80\x02N");
  for (int i = 0; i < 1000000; i++)
    g_string_append_c (s, '\x85');
  g_string_append_c (s, '.');
  expect_legacy_pickle_error (s->str, s->len, "no state dict");
  g_string_free (s, TRUE);

  /* a dict that contains itself, also as 'state_dict' and 'model' */
  static const char self_dict[] =
    "\x80\x02}q\x00(X\x0a\x00\x00\x00state_dicth\x00X\x05\x00\x00\x00modelh\x00u.";
  expect_legacy_pickle_error (self_dict, sizeof self_dict - 1, "no float tensors");
  /* a list appended to itself */
  static const char self_list[] = "\x80\x02]q\x00h\x00a.";
  expect_legacy_pickle_error (self_list, sizeof self_list - 1, NULL);
  /* memo references never stored, stack underflow, unknown opcode */
  expect_legacy_pickle_error ("\x80\x02h\x07.", 5, "memo");
  expect_legacy_pickle_error ("\x80\x02u.", 4, "MARK");
  expect_legacy_pickle_error ("\x80\x02R.", 4, "underflow");
  expect_legacy_pickle_error ("\x80\x02I1\n.", 6, "opcode");
  /* a forbidden global via STACK_GLOBAL */
  static const char stack_global[] =
    "\x80\x04\x8c\x02os\x8c\x06system\x93.";
  expect_legacy_pickle_error (stack_global, sizeof stack_global - 1,
                              "global 'os.system'");
  static const char builtins[] = "\x80\x02" "cbuiltins\neval\n.";
  expect_legacy_pickle_error (builtins, sizeof builtins - 1, "builtins.eval");
}

/* ---- Hand-built safetensors and Torch7 ---------------------------------- */

static gboolean
load_safetensors_header (const char *json, gsize data_bytes)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint64 n = GUINT64_TO_LE (strlen (json));
  g_byte_array_append (b, (const guint8 *) &n, 8);
  pk_raw (b, json);
  for (gsize i = 0; i < data_bytes; i++)
    g_byte_array_append (b, (const guint8 *) "\0", 1);
  return try_load (b->data, b->len);
}

static void
test_safetensors_built (void)
{
  g_assert_true (load_safetensors_header (
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16));
  static const char *const bad[] = {
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000000],\"data_offsets\":[0,16]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,16]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1600000000000]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,-16]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,99999999999999999999999]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}} x",
    "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    "[1]",
    "{}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (load_safetensors_header (bad[i], 16))
      g_error ("bad safetensors header %u loaded", i);

  /* header length beyond the file */
  guint8 huge[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}' };
  g_assert_false (try_load (huge, sizeof huge));
}

/* A safetensors file's first byte is the low byte of its header length:
 * 0x80 followed by 0–5 looks like pickle's PROTO opcode. Such files (headers
 * of 0x80, 0x180, … 0x580 bytes, padded with spaces as the format allows)
 * must still load as safetensors. */
static void
test_safetensors_pickle_like_length (void)
{
  static const char json[] =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  const float values[2] = { 1.5f, -2.0f };
  for (guint64 n = 0x80; n <= 0x580; n += 0x100)
    {
      g_autoptr (GByteArray) b = g_byte_array_new ();
      guint64 le = GUINT64_TO_LE (n);
      g_byte_array_append (b, (const guint8 *) &le, 8);
      pk_raw (b, json);
      while (b->len < 8 + n)
        pk_raw (b, " ");
      g_byte_array_append (b, (const guint8 *) values, sizeof values);
      g_assert_cmpint (b->data[0], ==, 0x80);

      g_autoptr (GError) error = NULL;
      VkaWeightsFormat format = VKA_WEIGHTS_FORMAT_UNKNOWN;
      VkaWeights *w = vka_weights_load_from_data (b->data, b->len, "padded.safetensors",
                                                  &format, &error);
      g_assert_no_error (error);
      g_assert_cmpint (format, ==, VKA_WEIGHTS_FORMAT_SAFETENSORS);
      const VkaTensorData *a = vka_weights_get (w, "a");
      g_assert_nonnull (a);
      g_assert_cmpint (a->ndim, ==, 1);
      g_assert_cmpint (a->shape[0], ==, 2);
      g_assert_cmpfloat (a->data[0], ==, 1.5f);
      g_assert_cmpfloat (a->data[1], ==, -2.0f);
      vka_weights_free (w);
    }
}

static void
t7_i32 (GByteArray *b, gint32 v)
{
  gint32 le = GINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 4);
}

static void
t7_i64 (GByteArray *b, gint64 v)
{
  gint64 le = GINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 8);
}

static void
t7_str (GByteArray *b, const char *s)
{
  t7_i32 (b, (gint32) strlen (s));
  pk_raw (b, s);
}

/* nn.Sequential { modules = { [1] = nn.SpatialConvolution { weight = T } } } */
static GByteArray *
build_t7 (gint64 size, gint64 stride, gint64 offset, gint64 storage_count,
          gint64 present)
{
  GByteArray *b = g_byte_array_new ();
  t7_i32 (b, 4); t7_i32 (b, 1); t7_str (b, "V 1"); t7_str (b, "nn.Sequential");
  t7_i32 (b, 3); t7_i32 (b, 2); t7_i32 (b, 1);
  t7_i32 (b, 2); t7_str (b, "modules");
  t7_i32 (b, 3); t7_i32 (b, 3); t7_i32 (b, 1);
  t7_i32 (b, 1); t7_i64 (b, 0x3ff0000000000000LL);   /* 1.0 */
  t7_i32 (b, 4); t7_i32 (b, 4); t7_str (b, "V 1"); t7_str (b, "nn.SpatialConvolution");
  t7_i32 (b, 3); t7_i32 (b, 5); t7_i32 (b, 1);
  t7_i32 (b, 2); t7_str (b, "weight");
  t7_i32 (b, 4); t7_i32 (b, 6); t7_str (b, "V 1"); t7_str (b, "torch.FloatTensor");
  t7_i32 (b, 1); t7_i64 (b, size); t7_i64 (b, stride); t7_i64 (b, offset);
  t7_i32 (b, 4); t7_i32 (b, 7); t7_str (b, "V 1"); t7_str (b, "torch.FloatStorage");
  t7_i64 (b, storage_count);
  for (gint64 i = 0; i < present; i++)
    {
      float f = (float) i;
      g_byte_array_append (b, (const guint8 *) &f, 4);
    }
  return b;
}

static void
test_torch7_built (void)
{
  g_autoptr (GByteArray) ok = build_t7 (3, 2, 2, 6, 6);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) w = vka_weights_load_from_data (ok->data, ok->len, "m.t7",
                                                         NULL, &error);
  g_assert_no_error (error);
  const float expect[3] = { 1, 3, 5 };
  g_assert_cmpmem (vka_weights_get (w, "0.weight")->data, 12, expect, 12);

  const gint64 bad[][5] = {
    { 3, -2, 2, 6, 6 }, { -3, 2, 2, 6, 6 }, { 3, 2, 0, 6, 6 }, { 3, 2, 3, 6, 6 },
    { 3, G_MAXINT64 / 2, 1, 6, 6 }, { 1LL << 40, 0, 1, 6, 6 },
    { 3, 2, 2, 1LL << 60, 6 }, { 3, 2, 2, -1, 6 }, { 3, 2, 2, 6, 5 },
    { 3, 2, G_MININT64, 6, 6 },   /* found by fuzz-load: offset - 1 overflowed */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GByteArray) b = build_t7 (bad[i][0], bad[i][1], bad[i][2],
                                           bad[i][3], bad[i][4]);
      if (try_load (b->data, b->len))
        g_error ("bad Torch7 case %u loaded", i);
    }

  /* a Lua function and deep nesting are refused */
  g_autoptr (GByteArray) fn = g_byte_array_new ();
  t7_i32 (fn, 6);
  t7_str (fn, "\x1bLua");
  g_clear_error (&error);
  g_assert_null (vka_weights_load_from_data (fn->data, fn->len, "f.t7", NULL, &error));
  /* (type 6 is not detected as Torch7: any error is fine, no code runs) */
  g_assert_nonnull (error);

  g_autoptr (GByteArray) deep = g_byte_array_new ();
  t7_i32 (deep, 4); t7_i32 (deep, 1); t7_str (deep, "V 1"); t7_str (deep, "nn.Sequential");
  for (int i = 0; i < 10000; i++)
    {
      t7_i32 (deep, 3); t7_i32 (deep, i + 2); t7_i32 (deep, 1);
      t7_i32 (deep, 1); t7_i64 (deep, 0);
    }
  g_clear_error (&error);
  g_assert_null (vka_weights_load_from_data (deep->data, deep->len, "d.t7", NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT);
  g_assert_nonnull (strstr (error->message, "deep"));
}

int
main (int argc, char **argv)
{
  /* before GLib caches the user data dir */
  g_autofree char *home = g_dir_make_tmp ("vka-xdg-XXXXXX", NULL);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_test_init (&argc, &argv, NULL);

  const char *env = g_getenv ("VKA_WEIGHTS_FIXTURES");
  fixtures_dir = env ? g_strdup (env)
                     : g_test_build_filename (G_TEST_DIST, "fixtures", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (format_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/weights/format/%s", format_cases[i].file);
      g_test_add_data_func (name, &format_cases[i], test_format);
    }
  g_test_add_func ("/weights/official-layout", test_official_layout);
  g_test_add_func ("/weights/wrapped-model-parameters", test_wrapped_model_parameters);
  g_test_add_func ("/weights/errors/hostile-global", test_hostile_global);
  g_test_add_func ("/weights/errors/broken-zip", test_broken_zip);
  g_test_add_func ("/weights/errors/missing-file", test_missing_file);
  g_test_add_func ("/weights/errors/wrong-magic", test_wrong_magic);
  g_test_add_func ("/weights/errors/random-bytes", test_random_bytes);
  g_test_add_func ("/weights/errors/legacy-built", test_legacy_built);
  g_test_add_func ("/weights/errors/deep-pickles", test_deep_pickles);
  g_test_add_func ("/weights/errors/safetensors-built", test_safetensors_built);
  g_test_add_func ("/weights/safetensors-pickle-like-length", test_safetensors_pickle_like_length);
  g_test_add_func ("/weights/errors/torch7-built", test_torch7_built);
  for (guint i = 0; i < G_N_ELEMENTS (all_fixtures); i++)
    {
      g_autofree char *t = g_strdup_printf ("/weights/truncation/%s", all_fixtures[i]);
      g_autofree char *f = g_strdup_printf ("/weights/bit-flips/%s", all_fixtures[i]);
      if (!g_str_has_prefix (all_fixtures[i], "hostile"))
        g_test_add_data_func (t, all_fixtures[i], test_truncation);
      g_test_add_data_func (f, all_fixtures[i], test_bit_flips);
    }
  weights_save_tests_add ();   /* test_weights_save.c */

  int rc = g_test_run ();
  g_free (fixtures_dir);
  return rc;
}
