/* vk-adain-bench-conv-dtype — would bf16 make CPU training faster?
 *
 * Times oneDNN's 3×3 convolutions at the shapes of a 512² training step of
 * the shipped network (widths 16/32/64/128, batch 4): forward, backward
 * data and backward weights, each as the CPU backend runs it in f32 (direct
 * and Winograd) and with bf16 inputs and f32 results (direct; oneDNN has no
 * bf16 Winograd). Data are arbitrary: only the time is measured.
 *
 *   vk-adain-bench-conv-dtype [BATCH [SIDE [REPS]]]
 */
#include <oneapi/dnnl/dnnl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { FWD, BWD_DATA, BWD_WEIGHTS };
static const char *const kind_names[] = { "forward", "backward data", "backward weights" };

#define CHECK(call)                                                          \
  do {                                                                       \
    dnnl_status_t s_ = (call);                                               \
    if (s_ != dnnl_success)                                                  \
      {                                                                      \
        fprintf (stderr, "%s:%d: oneDNN status %d\n", __FILE__, __LINE__, s_); \
        exit (1);                                                            \
      }                                                                      \
  } while (0)

static double
seconds (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static dnnl_memory_desc_t
md_any (int ndims, const dnnl_dims_t dims, dnnl_data_type_t dt)
{
  dnnl_memory_desc_t md;
  CHECK (dnnl_memory_desc_init_by_tag (&md, ndims, dims, dt,
                                       ndims == 1 ? dnnl_x : dnnl_format_tag_any));
  return md;
}

/* One convolution's primitive, with memories for its arguments; returns the
 * mean time of reps runs after a first, untimed one. */
static double
time_conv (dnnl_engine_t engine, dnnl_stream_t stream, int kind, int batch,
           int channels, int side, dnnl_data_type_t dt, dnnl_alg_kind_t alg, int reps)
{
  dnnl_dims_t act = { batch, channels, side, side }, wei = { channels, channels, 3, 3 };
  dnnl_dims_t bias_dims = { channels }, strides = { 1, 1 }, pad = { 1, 1 };
  dnnl_memory_desc_t src = md_any (4, act, dt), weights = md_any (4, wei, dt);
  dnnl_memory_desc_t dst = md_any (4, act, dnnl_f32), bias = md_any (1, bias_dims, dnnl_f32);
  dnnl_memory_desc_t diff_dst = md_any (4, act, dt);
  dnnl_memory_desc_t diff_src = md_any (4, act, dnnl_f32), diff_weights = md_any (4, wei, dnnl_f32);

  dnnl_convolution_desc_t fwd_desc, desc;
  dnnl_primitive_desc_t fwd_pd, pd;
  CHECK (dnnl_convolution_forward_desc_init (&fwd_desc, dnnl_forward_training, alg, &src,
                                             &weights, &bias, &dst, strides, pad, pad));
  if (dnnl_primitive_desc_create (&fwd_pd, &fwd_desc, NULL, engine, NULL) != dnnl_success)
    return -1;   /* e.g. bf16 on a CPU without it */

  int args[4];
  dnnl_query_t queries[4];
  int n_args, index[4] = { 0, 0, 0, 0 };
  if (kind == FWD)
    {
      pd = fwd_pd;
      fwd_pd = NULL;
      n_args = 4;
      memcpy (args, (int[]) { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST }, sizeof args);
      memcpy (queries, (dnnl_query_t[]) { dnnl_query_src_md, dnnl_query_weights_md,
                                          dnnl_query_weights_md, dnnl_query_dst_md }, sizeof queries);
      index[2] = 1;
    }
  else if (kind == BWD_DATA)
    {
      CHECK (dnnl_convolution_backward_data_desc_init (&desc, alg, &diff_src, &weights,
                                                       &diff_dst, strides, pad, pad));
      CHECK (dnnl_primitive_desc_create (&pd, &desc, NULL, engine, fwd_pd));
      n_args = 3;
      memcpy (args, (int[]) { DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST, 0 }, sizeof args);
      memcpy (queries, (dnnl_query_t[]) { dnnl_query_diff_src_md, dnnl_query_weights_md,
                                          dnnl_query_diff_dst_md, dnnl_query_undef }, sizeof queries);
    }
  else
    {
      CHECK (dnnl_convolution_backward_weights_desc_init (&desc, alg, &src, &diff_weights, &bias,
                                                          &diff_dst, strides, pad, pad));
      CHECK (dnnl_primitive_desc_create (&pd, &desc, NULL, engine, fwd_pd));
      n_args = 4;
      memcpy (args, (int[]) { DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS,
                              DNNL_ARG_DIFF_DST }, sizeof args);
      memcpy (queries, (dnnl_query_t[]) { dnnl_query_src_md, dnnl_query_diff_weights_md,
                                          dnnl_query_diff_weights_md, dnnl_query_diff_dst_md },
              sizeof queries);
      index[2] = 1;
    }

  dnnl_primitive_t prim;
  CHECK (dnnl_primitive_create (&prim, pd));
  dnnl_exec_arg_t exec[4];
  for (int i = 0; i < n_args; i++)
    {
      const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md (pd, queries[i], index[i]);
      CHECK (dnnl_memory_create (&exec[i].memory, md, engine, DNNL_MEMORY_ALLOCATE));
      void *data;
      CHECK (dnnl_memory_get_data_handle (exec[i].memory, &data));
      /* small positive numbers in any of the types: bytes 0x00–0x3f */
      size_t size = dnnl_memory_desc_get_size (md);
      for (size_t j = 0; j < size; j++)
        ((unsigned char *) data)[j] = (unsigned char) ((j * 7) & 0x3f);
      exec[i].arg = args[i];
    }

  CHECK (dnnl_primitive_execute (prim, stream, n_args, exec));
  CHECK (dnnl_stream_wait (stream));
  double start = seconds ();
  for (int r = 0; r < reps; r++)
    CHECK (dnnl_primitive_execute (prim, stream, n_args, exec));
  CHECK (dnnl_stream_wait (stream));
  double t = (seconds () - start) / reps;

  for (int i = 0; i < n_args; i++)
    dnnl_memory_destroy (exec[i].memory);
  dnnl_primitive_destroy (prim);
  dnnl_primitive_desc_destroy (pd);
  if (fwd_pd)
    dnnl_primitive_desc_destroy (fwd_pd);
  return t;
}

int
main (int argc, char **argv)
{
  int batch = argc > 1 ? atoi (argv[1]) : 4;
  int side = argc > 2 ? atoi (argv[2]) : 512;
  int reps = argc > 3 ? atoi (argv[3]) : 5;
  if (batch < 1 || side < 8 || reps < 1)
    {
      fprintf (stderr, "usage: %s [BATCH [SIDE [REPS]]]\n", argv[0]);
      return 2;
    }
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  CHECK (dnnl_engine_create (&engine, dnnl_cpu, 0));
  CHECK (dnnl_stream_create (&stream, engine, dnnl_stream_default_flags));

  printf ("3x3 convolutions, batch %d, ms per call (mean of %d)\n", batch, reps);
  printf ("%-17s %5s %4s %12s %12s %12s %9s\n", "pass", "side", "ch",
          "f32 direct", "f32 winograd", "bf16 direct", "bf16/best");
  for (int kind = FWD; kind <= BWD_WEIGHTS; kind++)
    for (int level = 0; level < 4; level++)
      {
        int channels = 16 << level, s = side >> level;
        double direct = time_conv (engine, stream, kind, batch, channels, s, dnnl_f32,
                                   dnnl_convolution_direct, reps);
        double wino = time_conv (engine, stream, kind, batch, channels, s, dnnl_f32,
                                 dnnl_convolution_winograd, reps);
        double bf16 = time_conv (engine, stream, kind, batch, channels, s, dnnl_bf16,
                                 dnnl_convolution_direct, reps);
        double best = direct < wino ? direct : wino;
        if (bf16 < 0)
          printf ("%-17s %5d %4d %12.2f %12.2f %12s %9s\n", kind_names[kind], s, channels,
                  direct * 1e3, wino * 1e3, "n/a", "-");
        else
          printf ("%-17s %5d %4d %12.2f %12.2f %12.2f %9.2f\n", kind_names[kind], s, channels,
                  direct * 1e3, wino * 1e3, bf16 * 1e3, bf16 / best);
      }
  dnnl_stream_destroy (stream);
  dnnl_engine_destroy (engine);
  return 0;
}
