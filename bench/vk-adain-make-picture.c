/* vk-adain-make-picture — a picture of a given size, resampled from a
 * photograph, for the large-picture benchmark and tests:
 *   vk-adain-make-picture IN WIDTH HEIGHT OUT */
#include "vka-imageio.h"

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  if (argc != 5)
    {
      fprintf (stderr, "usage: %s IN WIDTH HEIGHT OUT\n", argv[0]);
      return 2;
    }
  int width = atoi (argv[2]), height = atoi (argv[3]);
  if (width <= 0 || height <= 0)
    {
      fprintf (stderr, "%s: the size %s×%s is not two positive integers\n", argv[0],
               argv[2], argv[3]);
      return 2;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) in = vka_image_load (argv[1], NULL, &error);
  g_autoptr (VkaImage) out = in ? vka_image_resize (in, width, height, TRUE, &error) : NULL;
  g_clear_pointer (&in, vka_image_free);
  if (!out || !vka_image_save (out, argv[4], &error))
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 1;
    }
  vka_imageio_shutdown ();
  return 0;
}
