/* zip.h — a minimal reader for the stored (uncompressed) ZIP archives that
 * torch.save writes. Private to compute/weights/. */
#pragma once

#include "weights-private.h"

G_BEGIN_DECLS

typedef struct
{
  char         *name;
  const guint8 *data;   /* inside the archive bytes */
  gsize         size;
  guint16       method; /* 0 = stored; anything else is refused on use */
} VkaZipEntry;

typedef struct VkaZip VkaZip;

/* Reads the central directory; data must outlive the VkaZip. */
VkaZip            *vka_zip_open (const guint8 *data, gsize size,
                                 const char *display_name, GError **error);
void               vka_zip_free (VkaZip *zip);
guint              vka_zip_count (const VkaZip *zip);
const VkaZipEntry *vka_zip_nth (const VkaZip *zip, guint index);
/* The stored bytes of an entry; errors if missing or compressed. */
gboolean           vka_zip_get (const VkaZip *zip, const char *name,
                                const guint8 **data, gsize *size,
                                GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaZip, vka_zip_free)

G_END_DECLS
