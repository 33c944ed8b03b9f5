/* json.h — a small strict JSON parser, enough for safetensors headers.
 * Private to compute/weights/. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VKA_JSON_NULL,
  VKA_JSON_BOOL,
  VKA_JSON_NUMBER,
  VKA_JSON_STRING,
  VKA_JSON_ARRAY,
  VKA_JSON_OBJECT,
} VkaJsonKind;

typedef struct VkaJson VkaJson;

struct VkaJson
{
  VkaJsonKind kind;
  gboolean    boolean;
  double      number;
  gboolean    is_integer;   /* a number written without fraction/exponent
                               that fits in gint64 */
  gint64      integer;
  char       *string;       /* VKA_JSON_STRING: valid UTF-8, may hold NUL */
  gsize       string_len;
  GPtrArray  *items;        /* ARRAY: values; OBJECT: key, value, ... */
};

/* Parses all of text (nothing but whitespace may follow the value). On
 * failure returns NULL and sets *message to what is wrong and where. */
VkaJson       *vka_json_parse (const char *text, gsize len, char **message);
void           vka_json_free (VkaJson *json);
/* The first member named key of an object, or NULL. */
const VkaJson *vka_json_get (const VkaJson *object, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaJson, vka_json_free)

G_END_DECLS
