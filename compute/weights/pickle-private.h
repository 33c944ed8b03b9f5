/* pickle-private.h — a small strict unpickler for PyTorch state dicts.
 *
 * It knows only the opcodes torch.save emits (protocol 2, plus the few of
 * protocols 3-4 that newer writers use) and an allow-list of globals; the
 * allowed callables are interpreted here (an OrderedDict becomes a dict, a
 * tensor rebuild becomes a PK_TENSOR), nothing is ever executed. Values live
 * in an arena, so shared and cyclic values need no reference counting. */
#pragma once

#include "weights-private.h"

G_BEGIN_DECLS

typedef enum
{
  PK_NONE,
  PK_BOOL,
  PK_INT,
  PK_BIGINT,     /* LONG1/LONG4 wider than 64 bits: bytes kept as-is */
  PK_FLOAT,
  PK_STR,        /* unicode or python-2 str */
  PK_BYTES,
  PK_TUPLE,
  PK_LIST,
  PK_DICT,       /* items: key, value, key, value ... */
  PK_GLOBAL,
  PK_STORAGE,    /* a persistent id ('storage', type, key, location, numel) */
  PK_TENSOR,
} PkKind;

typedef enum
{
  PK_GLOBAL_ORDERED_DICT,
  PK_GLOBAL_REBUILD_TENSOR,
  PK_GLOBAL_REBUILD_TENSOR_V2,
  PK_GLOBAL_REBUILD_PARAMETER,
  PK_GLOBAL_STORAGE,           /* a storage type; dtype says which */
} PkGlobal;

typedef struct PkValue PkValue;

struct PkValue
{
  PkKind kind;
  union
  {
    gboolean b;
    gint64   i;
    double   f;
    struct
    {
      char  *s;                /* NUL-terminated copy */
      gsize  len;
    } str;                     /* PK_STR, PK_BYTES, PK_BIGINT */
    GPtrArray *items;          /* PK_TUPLE, PK_LIST, PK_DICT */
    struct
    {
      PkGlobal id;
      VkaDtype dtype;
    } global;
    struct
    {
      VkaDtype dtype;
      char    *key;
      gint64   numel;
      gint64   elem_offset;    /* legacy storage views: offset into key */
    } storage;
    struct
    {
      PkValue *storage;
      gint64   offset;
      int      ndim;
      gint64   size[VKA_PARSE_MAX_DIMS];
      gint64   stride[VKA_PARSE_MAX_DIMS];
    } tensor;
  };
};

typedef struct PkArena PkArena;

PkArena  *pk_arena_new (void);
void      pk_arena_free (PkArena *arena);

/* Unpickles one pickle starting at *pos (advanced past its STOP). The value
 * belongs to arena. Errors are VKA_ERROR_FILE_FORMAT naming display_name. */
PkValue  *pk_load (PkArena *arena, const guint8 *data, gsize size, gsize *pos,
                   const char *display_name, GError **error);

/* The value stored under a string key of a PK_DICT (the last one), or NULL. */
PkValue  *pk_dict_lookup (const PkValue *dict, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PkArena, pk_arena_free)

G_END_DECLS
