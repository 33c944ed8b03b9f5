/* json.c — strict recursive-descent JSON (RFC 8259) with a depth limit. */
#include "json.h"

#include <string.h>

#define JSON_MAX_DEPTH 32

typedef struct
{
  const char *p;
  const char *end;
  const char *start;
  char       *message;
} Parser;

static VkaJson *parse_value (Parser *ps, int depth);

static VkaJson *
error_at (Parser *ps, const char *what)
{
  if (!ps->message)
    ps->message = g_strdup_printf ("%s at byte %" G_GSIZE_FORMAT " of the JSON header",
                                   what, (gsize) (ps->p - ps->start));
  return NULL;
}

void
vka_json_free (VkaJson *json)
{
  if (!json)
    return;
  g_free (json->string);
  if (json->items)
    g_ptr_array_unref (json->items);
  g_free (json);
}

static VkaJson *
json_new (VkaJsonKind kind)
{
  VkaJson *j = g_new0 (VkaJson, 1);
  j->kind = kind;
  if (kind == VKA_JSON_ARRAY || kind == VKA_JSON_OBJECT)
    j->items = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_json_free);
  return j;
}

static void
skip_space (Parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                             *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static gboolean
literal (Parser *ps, const char *word)
{
  gsize n = strlen (word);
  if ((gsize) (ps->end - ps->p) < n || memcmp (ps->p, word, n) != 0)
    return FALSE;
  ps->p += n;
  return TRUE;
}

static int
hex4 (Parser *ps)
{
  if (ps->end - ps->p < 4)
    return -1;
  int v = 0;
  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (ps->p[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  ps->p += 4;
  return v;
}

static VkaJson *
parse_string (Parser *ps)
{
  ps->p++;   /* opening quote */
  GString *s = g_string_new (NULL);
  while (TRUE)
    {
      if (ps->p >= ps->end)
        {
          g_string_free (s, TRUE);
          return error_at (ps, "unterminated string");
        }
      unsigned char c = (unsigned char) *ps->p++;
      if (c == '"')
        break;
      if (c < 0x20)
        {
          g_string_free (s, TRUE);
          return error_at (ps, "control character in a string");
        }
      if (c != '\\')
        {
          g_string_append_c (s, (char) c);
          continue;
        }
      if (ps->p >= ps->end)
        continue;   /* reported as unterminated next round */
      char e = *ps->p++;
      const char *simple = strchr ("\"\\/bfnrt", e);
      if (e != '\0' && simple)
        {
          g_string_append_c (s, "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]);
          continue;
        }
      if (e != 'u')
        {
          g_string_free (s, TRUE);
          return error_at (ps, "bad escape in a string");
        }
      int cp = hex4 (ps);
      if (cp >= 0xd800 && cp <= 0xdbff)
        {
          int lo = literal (ps, "\\u") ? hex4 (ps) : -1;
          cp = (lo >= 0xdc00 && lo <= 0xdfff)
               ? 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00) : -1;
        }
      else if (cp >= 0xdc00 && cp <= 0xdfff)
        cp = -1;
      if (cp < 0)
        {
          g_string_free (s, TRUE);
          return error_at (ps, "bad \\u escape in a string");
        }
      g_string_append_unichar (s, (gunichar) cp);
    }
  if (!g_utf8_validate_len (s->str, s->len, NULL))
    {
      g_string_free (s, TRUE);
      return error_at (ps, "a string is not valid UTF-8");
    }
  VkaJson *j = json_new (VKA_JSON_STRING);
  j->string_len = s->len;
  j->string = g_string_free (s, FALSE);
  return j;
}

static VkaJson *
parse_number (Parser *ps)
{
  const char *start = ps->p;
  gboolean integer = TRUE;
  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p < ps->end && *ps->p == '0')
    ps->p++;
  else if (ps->p < ps->end && g_ascii_isdigit (*ps->p))
    while (ps->p < ps->end && g_ascii_isdigit (*ps->p))
      ps->p++;
  else
    return error_at (ps, "bad number");
  if (ps->p < ps->end && *ps->p == '.')
    {
      integer = FALSE;
      ps->p++;
      if (ps->p >= ps->end || !g_ascii_isdigit (*ps->p))
        return error_at (ps, "bad number");
      while (ps->p < ps->end && g_ascii_isdigit (*ps->p))
        ps->p++;
    }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E'))
    {
      integer = FALSE;
      ps->p++;
      if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
        ps->p++;
      if (ps->p >= ps->end || !g_ascii_isdigit (*ps->p))
        return error_at (ps, "bad number");
      while (ps->p < ps->end && g_ascii_isdigit (*ps->p))
        ps->p++;
    }

  g_autofree char *text = g_strndup (start, (gsize) (ps->p - start));
  VkaJson *j = json_new (VKA_JSON_NUMBER);
  j->number = g_ascii_strtod (text, NULL);
  if (integer)
    {
      /* exact, with overflow detection: digits only, no strtoll locale games */
      gboolean neg = text[0] == '-';
      guint64 v = 0, limit = neg ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
      j->is_integer = TRUE;
      for (const char *c = text + neg; *c; c++)
        {
          guint d = (guint) (*c - '0');
          if (v > (limit - d) / 10)
            {
              j->is_integer = FALSE;
              break;
            }
          v = v * 10 + d;
        }
      if (j->is_integer)
        j->integer = neg ? (gint64) (0 - v) : (gint64) v;
    }
  return j;
}

static VkaJson *
parse_container (Parser *ps, int depth, gboolean object)
{
  char close = object ? '}' : ']';
  VkaJson *j = json_new (object ? VKA_JSON_OBJECT : VKA_JSON_ARRAY);
  ps->p++;
  skip_space (ps);
  if (ps->p < ps->end && *ps->p == close)
    {
      ps->p++;
      return j;
    }
  while (TRUE)
    {
      skip_space (ps);
      if (object)
        {
          if (ps->p >= ps->end || *ps->p != '"')
            {
              vka_json_free (j);
              return error_at (ps, "expected a member name");
            }
          VkaJson *key = parse_string (ps);
          if (!key)
            {
              vka_json_free (j);
              return NULL;
            }
          g_ptr_array_add (j->items, key);
          skip_space (ps);
          if (ps->p >= ps->end || *ps->p != ':')
            {
              vka_json_free (j);
              return error_at (ps, "expected ':'");
            }
          ps->p++;
        }
      VkaJson *v = parse_value (ps, depth + 1);
      if (!v)
        {
          vka_json_free (j);
          return NULL;
        }
      g_ptr_array_add (j->items, v);
      skip_space (ps);
      if (ps->p < ps->end && *ps->p == ',')
        {
          ps->p++;
          continue;
        }
      if (ps->p < ps->end && *ps->p == close)
        {
          ps->p++;
          return j;
        }
      vka_json_free (j);
      return error_at (ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static VkaJson *
parse_value (Parser *ps, int depth)
{
  if (depth > JSON_MAX_DEPTH)
    return error_at (ps, "nesting too deep");
  skip_space (ps);
  if (ps->p >= ps->end)
    return error_at (ps, "unexpected end");
  switch (*ps->p)
    {
    case '{':
      return parse_container (ps, depth, TRUE);
    case '[':
      return parse_container (ps, depth, FALSE);
    case '"':
      return parse_string (ps);
    case 't':
    case 'f':
      {
        gboolean value = *ps->p == 't';
        if (!literal (ps, value ? "true" : "false"))
          return error_at (ps, "bad literal");
        VkaJson *j = json_new (VKA_JSON_BOOL);
        j->boolean = value;
        return j;
      }
    case 'n':
      if (!literal (ps, "null"))
        return error_at (ps, "bad literal");
      return json_new (VKA_JSON_NULL);
    default:
      return parse_number (ps);
    }
}

VkaJson *
vka_json_parse (const char *text, gsize len, char **message)
{
  Parser ps = { text, text + len, text, NULL };
  VkaJson *j = parse_value (&ps, 0);
  if (j)
    {
      skip_space (&ps);
      if (ps.p != ps.end)
        {
          vka_json_free (j);
          j = error_at (&ps, "trailing data");
        }
    }
  if (!j)
    *message = ps.message ? ps.message : g_strdup ("invalid JSON");
  else
    g_free (ps.message);
  return j;
}

const VkaJson *
vka_json_get (const VkaJson *object, const char *key)
{
  if (!object || object->kind != VKA_JSON_OBJECT)
    return NULL;
  for (guint i = 0; i + 1 < object->items->len; i += 2)
    {
      const VkaJson *k = g_ptr_array_index (object->items, i);
      if (strlen (k->string) == k->string_len && strcmp (k->string, key) == 0)
        return g_ptr_array_index (object->items, i + 1);
    }
  return NULL;
}
