/* state-dict.h — unpickled PyTorch state dict -> VkaWeights. Private. */
#pragma once

#include "pickle-private.h"

G_BEGIN_DECLS

/* Finds the bytes of a storage: the whole storage `key` of the given dtype
 * (numel elements as the pickle declares). */
typedef gboolean (*VkaStorageResolver) (gpointer user_data, const char *key,
                                        VkaDtype dtype, gint64 numel,
                                        const guint8 **data, gsize *size,
                                        GError **error);

/* Unwraps {"state_dict": ...} / {"model": ...} and "module." prefixes, then
 * inserts every float tensor; other entries are skipped. */
VkaWeights *vka_state_dict_to_weights (const PkValue *root,
                                       VkaStorageResolver resolve,
                                       gpointer user_data, VkaBudget *budget,
                                       const char *display_name, GError **error);

G_END_DECLS
