/* vk-adain-convert — convert any weight file vk-adain reads (PyTorch zip or
 * legacy .pth, Torch7 .t7, safetensors) to safetensors, or describe it.
 *
 *   vk-adain-convert IN OUT.safetensors
 *   vk-adain-convert --info IN
 */
#include "vka.h"

#include <locale.h>
#include <stdio.h>

static void
print_info (const char *path, VkaWeightsFormat format, const VkaWeights *weights)
{
  gint64 total = 0;
  printf ("%s: %s, %u tensors\n", path, vka_weights_format_name (format),
          vka_weights_count (weights));
  for (guint i = 0; i < vka_weights_count (weights); i++)
    {
      const VkaTensorData *t = vka_weights_nth (weights, i);
      GString *shape = g_string_new ("[");
      for (int d = 0; d < t->ndim; d++)
        g_string_append_printf (shape, "%s%" G_GINT64_FORMAT, d ? ", " : "",
                                t->shape[d]);
      g_string_append_c (shape, ']');
      printf ("  %-16s %s\n", t->name, shape->str);
      g_string_free (shape, TRUE);
      total += vka_tensor_data_numel (t);
    }
  printf ("%" G_GINT64_FORMAT " parameters\n", total);
}

int
main (int argc, char **argv)
{
  gboolean info = FALSE;
  const GOptionEntry entries[] = {
    { "info", 'i', 0, G_OPTION_ARG_NONE, &info,
      "Print the format, tensor names and shapes of IN", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  g_autoptr (GOptionContext) context =
    g_option_context_new ("IN [OUT.safetensors] — convert weight files");
  g_option_context_set_summary (context,
    "Reads PyTorch (.pth, zip or legacy), Torch7 (.t7) and safetensors files;\n"
    "writes float32 safetensors. Nothing in the input is ever executed.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vk-adain-convert: %s\n", error->message);
      return 2;
    }
  if (argc != (info ? 2 : 3))
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("%s", help);
      return 2;
    }

  VkaWeightsFormat format;
  g_autoptr (VkaWeights) weights = vka_weights_load (argv[1], &format, &error);
  if (!weights)
    {
      g_printerr ("vk-adain-convert: %s\n", error->message);
      return 1;
    }
  if (info)
    {
      print_info (argv[1], format, weights);
      return 0;
    }
  if (!vka_weights_save_safetensors (weights, argv[2], &error))
    {
      g_printerr ("vk-adain-convert: %s\n", error->message);
      return 1;
    }
  g_print ("%s (%s, %u tensors) -> %s\n", argv[1], vka_weights_format_name (format),
           vka_weights_count (weights), argv[2]);
  return 0;
}
