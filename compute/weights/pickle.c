/* pickle.c — the strict unpickler (see pickle-private.h). */
#include "pickle-private.h"

#include <string.h>

/* Limits no state dict comes near; they bound memory and work on hostile
 * input. The unpickler itself never recurses. */
#define PK_MAX_STACK  (1 << 20)
#define PK_MAX_MARKS  4096
#define PK_MAX_MEMO   (1 << 20)

struct PkArena
{
  GPtrArray *values;   /* every PkValue made, freed together */
};

static void
value_free (gpointer p)
{
  PkValue *v = p;
  switch (v->kind)
    {
    case PK_STR:
    case PK_BYTES:
    case PK_BIGINT:
      g_free (v->str.s);
      break;
    case PK_TUPLE:
    case PK_LIST:
    case PK_DICT:
      g_ptr_array_unref (v->items);
      break;
    case PK_STORAGE:
      g_free (v->storage.key);
      break;
    default:
      break;
    }
  g_free (v);
}

PkArena *
pk_arena_new (void)
{
  PkArena *arena = g_new0 (PkArena, 1);
  arena->values = g_ptr_array_new_with_free_func (value_free);
  return arena;
}

void
pk_arena_free (PkArena *arena)
{
  if (!arena)
    return;
  g_ptr_array_unref (arena->values);
  g_free (arena);
}

static PkValue *
value_new (PkArena *arena, PkKind kind)
{
  PkValue *v = g_new0 (PkValue, 1);
  v->kind = kind;
  if (kind == PK_TUPLE || kind == PK_LIST || kind == PK_DICT)
    v->items = g_ptr_array_new ();
  g_ptr_array_add (arena->values, v);
  return v;
}

PkValue *
pk_dict_lookup (const PkValue *dict, const char *key)
{
  if (!dict || dict->kind != PK_DICT)
    return NULL;
  for (guint i = dict->items->len; i >= 2; i -= 2)
    {
      PkValue *k = g_ptr_array_index (dict->items, i - 2);
      if (k->kind == PK_STR && strcmp (k->str.s, key) == 0)
        return g_ptr_array_index (dict->items, i - 1);
    }
  return NULL;
}

/* ---- The machine ------------------------------------------------------- */

typedef struct
{
  PkArena      *arena;
  const guint8 *data;
  gsize         size;
  gsize         pos;
  const char   *display_name;
  GPtrArray    *stack;   /* PkValue* (borrowed from the arena) */
  GArray       *marks;   /* guint stack heights */
  GHashTable   *memo;    /* GUINT_TO_POINTER (index) -> PkValue* */
} Unpickler;

static gboolean G_GNUC_PRINTF (3, 4)
fail (Unpickler *u, GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: %s",
               u->display_name, msg);
  return FALSE;
}

static gboolean
need (Unpickler *u, gsize n, GError **error)
{
  if (n > u->size - u->pos)
    return fail (u, error, "pickle is truncated at byte %" G_GSIZE_FORMAT,
                 u->size);
  return TRUE;
}

static gboolean
push (Unpickler *u, PkValue *v, GError **error)
{
  if (u->stack->len >= PK_MAX_STACK)
    return fail (u, error, "pickle stack is too deep");
  g_ptr_array_add (u->stack, v);
  return TRUE;
}

static PkValue *
pop (Unpickler *u, GError **error)
{
  guint floor = u->marks->len ? g_array_index (u->marks, guint, u->marks->len - 1) : 0;
  if (u->stack->len <= floor)
    {
      fail (u, error, "pickle stack underflow at byte %" G_GSIZE_FORMAT, u->pos);
      return NULL;
    }
  return g_ptr_array_steal_index (u->stack, u->stack->len - 1);
}

static PkValue *
top (Unpickler *u, GError **error)
{
  guint floor = u->marks->len ? g_array_index (u->marks, guint, u->marks->len - 1) : 0;
  if (u->stack->len <= floor)
    {
      fail (u, error, "pickle stack underflow at byte %" G_GSIZE_FORMAT, u->pos);
      return NULL;
    }
  return g_ptr_array_index (u->stack, u->stack->len - 1);
}

/* Pops everything above the last MARK into a new array (oldest first). */
static GPtrArray *
pop_mark (Unpickler *u, GError **error)
{
  if (u->marks->len == 0)
    {
      fail (u, error, "pickle has no MARK at byte %" G_GSIZE_FORMAT, u->pos);
      return NULL;
    }
  guint mark = g_array_index (u->marks, guint, u->marks->len - 1);
  g_array_set_size (u->marks, u->marks->len - 1);
  GPtrArray *items = g_ptr_array_sized_new (u->stack->len - mark);
  for (guint i = mark; i < u->stack->len; i++)
    g_ptr_array_add (items, g_ptr_array_index (u->stack, i));
  g_ptr_array_set_size (u->stack, mark);
  return items;
}

static PkValue *
make_tuple (Unpickler *u, GPtrArray *items)
{
  PkValue *v = value_new (u->arena, PK_TUPLE);
  g_ptr_array_unref (v->items);
  v->items = items;
  return v;
}

static gboolean
push_string (Unpickler *u, PkKind kind, gsize len, GError **error)
{
  if (!need (u, len, error))
    return FALSE;
  PkValue *v = value_new (u->arena, kind);
  v->str.s = g_strndup ((const char *) u->data + u->pos, len);
  v->str.len = len;
  if (kind == PK_STR && strlen (v->str.s) != len)
    return fail (u, error, "pickle string contains a NUL byte");
  u->pos += len;
  return push (u, v, error);
}

static gboolean
push_long (Unpickler *u, gsize len, GError **error)
{
  if (!need (u, len, error))
    return FALSE;
  const guint8 *p = u->data + u->pos;
  PkValue *v;
  if (len <= 8)
    {
      guint64 x = 0;
      for (gsize i = 0; i < len; i++)
        x |= (guint64) p[i] << (8 * i);
      if (len > 0 && len < 8 && (p[len - 1] & 0x80))
        x |= ~(guint64) 0 << (8 * len);   /* sign-extend */
      v = value_new (u->arena, PK_INT);
      v->i = (gint64) x;
    }
  else
    {
      v = value_new (u->arena, PK_BIGINT);
      v->str.s = g_memdup2 (p, len);
      v->str.len = len;
    }
  u->pos += len;
  return push (u, v, error);
}

static gboolean
memo_put (Unpickler *u, guint32 index, GError **error)
{
  PkValue *v = top (u, error);
  if (!v)
    return FALSE;
  if (g_hash_table_size (u->memo) >= PK_MAX_MEMO &&
      !g_hash_table_contains (u->memo, GUINT_TO_POINTER (index)))
    return fail (u, error, "pickle memo is too large");
  g_hash_table_insert (u->memo, GUINT_TO_POINTER (index), v);
  return TRUE;
}

static gboolean
memo_get (Unpickler *u, guint32 index, GError **error)
{
  PkValue *v = g_hash_table_lookup (u->memo, GUINT_TO_POINTER (index));
  if (!v)
    return fail (u, error, "pickle refers to memo entry %u, which was never "
                 "stored", index);
  return push (u, v, error);
}

/* ---- Globals: the allow-list ------------------------------------------- */

static const struct
{
  const char *module;
  const char *name;
  PkGlobal    id;
  VkaDtype    dtype;
} allowed_globals[] = {
  { "collections", "OrderedDict", PK_GLOBAL_ORDERED_DICT, 0 },
  { "torch._utils", "_rebuild_tensor", PK_GLOBAL_REBUILD_TENSOR, 0 },
  { "torch._utils", "_rebuild_tensor_v2", PK_GLOBAL_REBUILD_TENSOR_V2, 0 },
  { "torch._utils", "_rebuild_parameter", PK_GLOBAL_REBUILD_PARAMETER, 0 },
  { "torch", "FloatStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_F32 },
  { "torch", "DoubleStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_F64 },
  { "torch", "HalfStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_F16 },
  { "torch", "BFloat16Storage", PK_GLOBAL_STORAGE, VKA_DTYPE_BF16 },
  /* Integer storages are only data types (skipped when loading), so that a
   * BatchNorm counter does not make a whole file unreadable. */
  { "torch", "LongStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_I64 },
  { "torch", "IntStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_I32 },
  { "torch", "ShortStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_I16 },
  { "torch", "CharStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_I8 },
  { "torch", "ByteStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_U8 },
  { "torch", "BoolStorage", PK_GLOBAL_STORAGE, VKA_DTYPE_BOOL },
};

static gboolean
push_global (Unpickler *u, const char *module, const char *name,
             GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (allowed_globals); i++)
    if (strcmp (module, allowed_globals[i].module) == 0 &&
        strcmp (name, allowed_globals[i].name) == 0)
      {
        PkValue *v = value_new (u->arena, PK_GLOBAL);
        v->global.id = allowed_globals[i].id;
        v->global.dtype = allowed_globals[i].dtype;
        return push (u, v, error);
      }
  g_autofree char *shown = g_strescape (module, NULL);
  g_autofree char *shown_name = g_strescape (name, NULL);
  return fail (u, error, "pickle refers to global '%s.%s', which is not allowed",
               shown, shown_name);
}

/* GLOBAL: "module\nname\n" */
static gboolean
op_global (Unpickler *u, GError **error)
{
  char *parts[2] = { NULL, NULL };
  gboolean ok = TRUE;
  for (int k = 0; k < 2 && ok; k++)
    {
      const guint8 *start = u->data + u->pos;
      const guint8 *nl = memchr (start, '\n', MIN (u->size - u->pos, 256));
      if (!nl)
        ok = fail (u, error, "pickle has a malformed GLOBAL at byte %"
                   G_GSIZE_FORMAT, u->pos);
      else
        {
          parts[k] = g_strndup ((const char *) start, (gsize) (nl - start));
          u->pos += (gsize) (nl - start) + 1;
        }
    }
  if (ok)
    ok = push_global (u, parts[0], parts[1], error);
  g_free (parts[0]);
  g_free (parts[1]);
  return ok;
}

static gboolean
op_stack_global (Unpickler *u, GError **error)
{
  PkValue *name = pop (u, error);
  PkValue *module = name ? pop (u, error) : NULL;
  if (!module)
    return FALSE;
  if (name->kind != PK_STR || module->kind != PK_STR)
    return fail (u, error, "pickle has a STACK_GLOBAL without strings");
  return push_global (u, module->str.s, name->str.s, error);
}

/* ---- Interpreting the allowed callables -------------------------------- */

static gboolean
int_tuple (const PkValue *v, int *n, gint64 *out)
{
  if (v->kind != PK_TUPLE && v->kind != PK_LIST)
    return FALSE;
  if (v->items->len > VKA_PARSE_MAX_DIMS)
    return FALSE;
  for (guint i = 0; i < v->items->len; i++)
    {
      const PkValue *x = g_ptr_array_index (v->items, i);
      if (x->kind != PK_INT)
        return FALSE;
      out[i] = x->i;
    }
  *n = (int) v->items->len;
  return TRUE;
}

static PkValue *
rebuild_tensor (Unpickler *u, const PkValue *args, GError **error)
{
  if (args->items->len < 4)
    {
      fail (u, error, "pickle rebuilds a tensor with %u arguments",
            args->items->len);
      return NULL;
    }
  PkValue *storage = g_ptr_array_index (args->items, 0);
  PkValue *offset = g_ptr_array_index (args->items, 1);
  PkValue *size = g_ptr_array_index (args->items, 2);
  PkValue *stride = g_ptr_array_index (args->items, 3);
  PkValue *t = value_new (u->arena, PK_TENSOR);
  int nsize = 0, nstride = 0;

  if (storage->kind != PK_STORAGE || offset->kind != PK_INT ||
      !int_tuple (size, &nsize, t->tensor.size) ||
      !int_tuple (stride, &nstride, t->tensor.stride) || nsize != nstride)
    {
      fail (u, error, "pickle rebuilds a tensor from malformed arguments "
            "(at most %d dimensions are read)", VKA_PARSE_MAX_DIMS);
      return NULL;
    }
  t->tensor.storage = storage;
  t->tensor.offset = offset->i;
  t->tensor.ndim = nsize;
  return t;
}

static gboolean
op_reduce (Unpickler *u, GError **error)
{
  PkValue *args = pop (u, error);
  PkValue *callable = args ? pop (u, error) : NULL;
  PkValue *result = NULL;
  if (!callable)
    return FALSE;
  if (callable->kind != PK_GLOBAL || args->kind != PK_TUPLE)
    return fail (u, error, "pickle calls something that is not an allowed "
                 "global (byte %" G_GSIZE_FORMAT ")", u->pos);

  switch (callable->global.id)
    {
    case PK_GLOBAL_ORDERED_DICT:
      if (args->items->len != 0)
        return fail (u, error, "pickle builds an OrderedDict with arguments");
      result = value_new (u->arena, PK_DICT);
      break;
    case PK_GLOBAL_REBUILD_TENSOR:
    case PK_GLOBAL_REBUILD_TENSOR_V2:
      result = rebuild_tensor (u, args, error);
      if (!result)
        return FALSE;
      break;
    case PK_GLOBAL_REBUILD_PARAMETER:
      if (args->items->len < 1 ||
          ((PkValue *) g_ptr_array_index (args->items, 0))->kind != PK_TENSOR)
        return fail (u, error, "pickle rebuilds a parameter without a tensor");
      result = g_ptr_array_index (args->items, 0);
      break;
    case PK_GLOBAL_STORAGE:
      return fail (u, error, "pickle calls a storage type");
    }
  return push (u, result, error);
}

/* BINPERSID: ('storage', type, key, location, numel[, view_metadata]) */
static gboolean
op_persid (Unpickler *u, GError **error)
{
  PkValue *pid = pop (u, error);
  if (!pid)
    return FALSE;
  if (pid->kind != PK_TUPLE || pid->items->len < 5 || pid->items->len > 6)
    return fail (u, error, "pickle has a persistent id that is not a storage");

  PkValue **it = (PkValue **) pid->items->pdata;
  if (it[0]->kind != PK_STR || strcmp (it[0]->str.s, "storage") != 0 ||
      it[1]->kind != PK_GLOBAL || it[1]->global.id != PK_GLOBAL_STORAGE ||
      it[2]->kind != PK_STR || it[4]->kind != PK_INT || it[4]->i < 0)
    return fail (u, error, "pickle has a malformed storage reference");

  PkValue *s = value_new (u->arena, PK_STORAGE);
  s->storage.dtype = it[1]->global.dtype;
  s->storage.key = g_strdup (it[2]->str.s);
  s->storage.numel = it[4]->i;
  if (pid->items->len == 6 && it[5]->kind != PK_NONE)
    {
      /* legacy view: (view_key, offset, size) into the storage `key` */
      PkValue *view = it[5];
      PkValue **vi = view->kind == PK_TUPLE ? (PkValue **) view->items->pdata : NULL;
      if (!vi || view->items->len != 3 || vi[0]->kind != PK_STR ||
          vi[1]->kind != PK_INT || vi[2]->kind != PK_INT || vi[1]->i < 0 ||
          vi[2]->i < 0 || vi[1]->i > s->storage.numel ||
          vi[2]->i > s->storage.numel - vi[1]->i)
        return fail (u, error, "pickle has a malformed storage view");
      s->storage.elem_offset = vi[1]->i;
      s->storage.numel = vi[2]->i;
    }
  return push (u, s, error);
}

static gboolean
add_items (Unpickler *u, PkValue *target, GPtrArray *items, gboolean pairs,
           GError **error)
{
  if (pairs ? target->kind != PK_DICT : target->kind != PK_LIST)
    return fail (u, error, "pickle adds items to a %s",
                 pairs ? "non-dict" : "non-list");
  if (pairs && items->len % 2 != 0)
    return fail (u, error, "pickle has SETITEMS with an odd item count");
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (target->items, g_ptr_array_index (items, i));
  return TRUE;
}

/* SETITEMS / APPENDS: items since the last mark, added to the value below it. */
static gboolean
op_add_marked (Unpickler *u, gboolean pairs, GError **error)
{
  g_autoptr (GPtrArray) items = pop_mark (u, error);
  if (!items)
    return FALSE;
  PkValue *target = top (u, error);
  return target && add_items (u, target, items, pairs, error);
}

static gboolean
op_add_one (Unpickler *u, gboolean pairs, GError **error)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new ();
  for (int k = pairs ? 2 : 1; k > 0; k--)
    {
      PkValue *v = pop (u, error);
      if (!v)
        return FALSE;
      g_ptr_array_insert (items, 0, v);
    }
  PkValue *target = top (u, error);
  return target && add_items (u, target, items, pairs, error);
}

static gboolean
op_build (Unpickler *u, GError **error)
{
  PkValue *state = pop (u, error);
  PkValue *obj = state ? top (u, error) : NULL;
  if (!obj)
    return FALSE;
  /* OrderedDict attributes (state_dict._metadata) and tensor state are
   * irrelevant to the weights: accept and drop them. */
  if (obj->kind != PK_DICT && obj->kind != PK_TENSOR)
    return fail (u, error, "pickle sets the state of an unsupported object");
  return TRUE;
}

static gboolean
op_newobj (Unpickler *u, GError **error)
{
  PkValue *args = pop (u, error);
  PkValue *cls = args ? pop (u, error) : NULL;
  if (!cls)
    return FALSE;
  if (cls->kind != PK_GLOBAL || cls->global.id != PK_GLOBAL_ORDERED_DICT)
    return fail (u, error, "pickle creates an object of an unsupported class");
  return push (u, value_new (u->arena, PK_DICT), error);
}

static gboolean
op_tuple_n (Unpickler *u, guint n, GError **error)
{
  GPtrArray *items = g_ptr_array_sized_new (n);
  g_ptr_array_set_size (items, n);
  for (guint k = n; k > 0; k--)
    {
      PkValue *v = pop (u, error);
      if (!v)
        {
          g_ptr_array_unref (items);
          return FALSE;
        }
      items->pdata[k - 1] = v;
    }
  return push (u, make_tuple (u, items), error);
}

/* One opcode. Sets *stop on STOP. */
static gboolean
step (Unpickler *u, gboolean *stop, GError **error)
{
  if (!need (u, 1, error))
    return FALSE;
  guint8 op = u->data[u->pos++];
  const guint8 *p = u->data + u->pos;
  PkValue *v;

  switch (op)
    {
    case 0x80: /* PROTO */
      if (!need (u, 1, error))
        return FALSE;
      if (p[0] > 5)
        return fail (u, error, "pickle protocol %u is not supported", p[0]);
      u->pos++;
      return TRUE;
    case 0x95: /* FRAME: a length hint only */
      if (!need (u, 8, error))
        return FALSE;
      u->pos += 8;
      return TRUE;
    case '.': /* STOP */
      *stop = TRUE;
      return TRUE;
    case '}': /* EMPTY_DICT */
      return push (u, value_new (u->arena, PK_DICT), error);
    case ']': /* EMPTY_LIST */
      return push (u, value_new (u->arena, PK_LIST), error);
    case ')': /* EMPTY_TUPLE */
      return push (u, value_new (u->arena, PK_TUPLE), error);
    case '(': /* MARK */
      if (u->marks->len >= PK_MAX_MARKS)
        return fail (u, error, "pickle nests too deeply");
      g_array_append_val (u->marks, u->stack->len);
      return TRUE;
    case 't': /* TUPLE */
      {
        GPtrArray *items = pop_mark (u, error);
        return items && push (u, make_tuple (u, items), error);
      }
    case 0x85: /* TUPLE1 */
    case 0x86: /* TUPLE2 */
    case 0x87: /* TUPLE3 */
      return op_tuple_n (u, op - 0x84u, error);
    case 'X': /* BINUNICODE */
    case 'T': /* BINSTRING */
    case 'B': /* BINBYTES */
      if (!need (u, 4, error))
        return FALSE;
      u->pos += 4;
      return push_string (u, op == 'B' ? PK_BYTES : PK_STR, vka_read_u32 (p), error);
    case 0x8c: /* SHORT_BINUNICODE */
    case 'U':  /* SHORT_BINSTRING */
    case 'C':  /* SHORT_BINBYTES */
      if (!need (u, 1, error))
        return FALSE;
      u->pos += 1;
      return push_string (u, op == 'C' ? PK_BYTES : PK_STR, p[0], error);
    case 0x8d: /* BINUNICODE8 */
      if (!need (u, 8, error))
        return FALSE;
      u->pos += 8;
      if (vka_read_u64 (p) > G_MAXSIZE)
        return fail (u, error, "pickle string is too long");
      return push_string (u, PK_STR, (gsize) vka_read_u64 (p), error);
    case 'q': /* BINPUT */
      if (!need (u, 1, error))
        return FALSE;
      u->pos += 1;
      return memo_put (u, p[0], error);
    case 'r': /* LONG_BINPUT */
      if (!need (u, 4, error))
        return FALSE;
      u->pos += 4;
      return memo_put (u, vka_read_u32 (p), error);
    case 0x94: /* MEMOIZE */
      return memo_put (u, g_hash_table_size (u->memo), error);
    case 'h': /* BINGET */
      if (!need (u, 1, error))
        return FALSE;
      u->pos += 1;
      return memo_get (u, p[0], error);
    case 'j': /* LONG_BINGET */
      if (!need (u, 4, error))
        return FALSE;
      u->pos += 4;
      return memo_get (u, vka_read_u32 (p), error);
    case 'J': /* BININT */
    case 'K': /* BININT1 */
    case 'M': /* BININT2 */
      {
        gsize n = op == 'J' ? 4 : op == 'K' ? 1 : 2;
        if (!need (u, n, error))
          return FALSE;
        u->pos += n;
        v = value_new (u->arena, PK_INT);
        v->i = op == 'J' ? (gint32) vka_read_u32 (p) : op == 'K' ? p[0] : vka_read_u16 (p);
        return push (u, v, error);
      }
    case 0x8a: /* LONG1 */
      if (!need (u, 1, error))
        return FALSE;
      u->pos += 1;
      return push_long (u, p[0], error);
    case 0x8b: /* LONG4 */
      if (!need (u, 4, error))
        return FALSE;
      u->pos += 4;
      if ((gint32) vka_read_u32 (p) < 0)
        return fail (u, error, "pickle has a negative LONG4 length");
      return push_long (u, vka_read_u32 (p), error);
    case 'G': /* BINFLOAT, big-endian */
      {
        if (!need (u, 8, error))
          return FALSE;
        guint64 bits = 0;
        for (int k = 0; k < 8; k++)
          bits = (bits << 8) | p[k];
        u->pos += 8;
        v = value_new (u->arena, PK_FLOAT);
        memcpy (&v->f, &bits, sizeof v->f);
        return push (u, v, error);
      }
    case 0x88: /* NEWTRUE */
    case 0x89: /* NEWFALSE */
      v = value_new (u->arena, PK_BOOL);
      v->b = op == 0x88;
      return push (u, v, error);
    case 'N': /* NONE */
      return push (u, value_new (u->arena, PK_NONE), error);
    case '0': /* POP */
      return pop (u, error) != NULL;
    case 's': /* SETITEM */
      return op_add_one (u, TRUE, error);
    case 'u': /* SETITEMS */
      return op_add_marked (u, TRUE, error);
    case 'a': /* APPEND */
      return op_add_one (u, FALSE, error);
    case 'e': /* APPENDS */
      return op_add_marked (u, FALSE, error);
    case 'c': /* GLOBAL */
      return op_global (u, error);
    case 0x93: /* STACK_GLOBAL */
      return op_stack_global (u, error);
    case 'R': /* REDUCE */
      return op_reduce (u, error);
    case 'b': /* BUILD */
      return op_build (u, error);
    case 0x81: /* NEWOBJ */
      return op_newobj (u, error);
    case 'Q': /* BINPERSID */
      return op_persid (u, error);
    default:
      return fail (u, error, "pickle opcode 0x%02x at byte %" G_GSIZE_FORMAT
                   " is not supported", op, u->pos - 1);
    }
}

PkValue *
pk_load (PkArena *arena, const guint8 *data, gsize size, gsize *pos,
         const char *display_name, GError **error)
{
  Unpickler u = {
    .arena = arena,
    .data = data,
    .size = size,
    .pos = *pos,
    .display_name = display_name,
    .stack = g_ptr_array_new (),
    .marks = g_array_new (FALSE, FALSE, sizeof (guint)),
    .memo = g_hash_table_new (g_direct_hash, g_direct_equal),
  };
  gboolean stop = FALSE, ok = TRUE;
  PkValue *result = NULL;

  while (ok && !stop)
    ok = step (&u, &stop, error);
  if (ok)
    {
      if (u.stack->len != 1 || u.marks->len != 0)
        fail (&u, error, "pickle ends with %u values on its stack", u.stack->len);
      else
        {
          result = g_ptr_array_index (u.stack, 0);
          *pos = u.pos;
        }
    }
  g_ptr_array_unref (u.stack);
  g_array_unref (u.marks);
  g_hash_table_unref (u.memo);
  return result;
}
