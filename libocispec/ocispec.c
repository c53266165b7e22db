/* libocispec: the generic walker.  Every document type is a table of fields (ocispec-types.c); the
 * functions here parse a yajl tree into a struct, write a struct with yajl_gen and free it, all by
 * walking that table. */
#include "ocispec-private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define MAX_DEPTH 64
#define MAX_FILE_SIZE ((size_t) 64 << 20)
#define GOT_MAX 40 /* how many bytes of the offending value a type error quotes */

/* ---- memory and strings ------------------------------------------------------------------------ */

static void *check_alloc(void *p)
{
  if (p == NULL) {
    fputs("libocispec: out of memory\n", stderr);
    abort();
  }
  return p;
}

static void *xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size)); }
static char *xstrdup(const char *s) { return check_alloc(strdup(s)); }

/* Pointer members are read and written through memcpy: the walker only knows them as bytes at an
 * offset, and their real types (char **, oci_mount **, ...) differ from void *. */
static void *get_ptr(const void *slot)
{
  void *p;
  memcpy(&p, slot, sizeof p);
  return p;
}

static void set_ptr(void *slot, void *p) { memcpy(slot, &p, sizeof p); }

typedef struct {
  char *s; /* NUL-terminated once anything was added */
  size_t len, cap;
} buf;

/* Makes room for n more bytes plus the NUL. */
static void buf_reserve(buf *b, size_t n)
{
  if (b->cap - b->len > n)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len <= n)
    cap *= 2;
  b->s = check_alloc(realloc(b->s, cap));
  b->cap = cap;
}

static void buf_add(buf *b, const char *s, size_t n)
{
  buf_reserve(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

/* Appends each string up to the terminating NULL. */
__attribute__((sentinel)) static void buf_cat(buf *b, ...)
{
  va_list ap;
  va_start(ap, b);
  for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
    buf_add(b, s, strlen(s));
  va_end(ap);
}

/* Appends s[0..n) as a JSON string literal; `cut` adds "..." inside the quotes.  '/' is left alone
 * and bytes >= 0x80 pass through, as yajl_gen does. */
static void buf_quote(buf *b, const char *s, size_t n, bool cut)
{
  size_t plain = 0; /* start of the run of bytes not needing an escape */
  buf_add(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) s[i];
    const char *esc;
    char u[8];
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    default:
      if (c >= 0x20)
        continue;
      snprintf(u, sizeof u, "\\u%04x", c);
      esc = u;
    }
    buf_add(b, s + plain, i - plain);
    buf_cat(b, esc, NULL);
    plain = i + 1;
  }
  buf_add(b, s + plain, n - plain);
  buf_cat(b, cut ? "...\"" : "\"", NULL);
}

/* Hands a finished message to the caller, who may not want it. */
static void set_error(char **err, buf *b)
{
  if (err != NULL)
    *err = b->s;
  else
    free(b->s);
}

char *oci_json_quote(const char *s)
{
  buf b = {0};
  if (s == NULL)
    buf_cat(&b, "null", NULL);
  else
    buf_quote(&b, s, strlen(s), false);
  return b.s;
}

const char *oci_map_get(char **keys, char **values, size_t len, const char *key)
{
  for (size_t i = 0; i < len; i++)
    if (keys[i] != NULL && strcmp(keys[i], key) == 0)
      return values[i];
  return NULL;
}

/* ---- parsing ----------------------------------------------------------------------------------- */

/* Where the parser is, for error messages: a chain of steps on the stack, rendered only on error. */
typedef struct json_path {
  const struct json_path *up;
  enum { AT_MEMBER, AT_INDEX, AT_KEY } how;
  const char *name; /* member name or map key */
  size_t index;
} json_path;

typedef struct {
  const char *doc;
  char **err;
} parser;

static void path_render(buf *b, const json_path *at)
{
  char index[32];
  if (at->up != NULL)
    path_render(b, at->up);
  switch (at->how) {
  case AT_MEMBER:
    buf_cat(b, ".", at->name, NULL);
    break;
  case AT_INDEX:
    snprintf(index, sizeof index, "[%zu]", at->index);
    buf_cat(b, index, NULL);
    break;
  case AT_KEY:
    buf_cat(b, "[", NULL);
    buf_quote(b, at->name, strlen(at->name), false);
    buf_cat(b, "]", NULL);
    break;
  }
}

/* Starts a message about the value at `at`: "<doc>: <path>: ". */
static buf error_at(const parser *p, const json_path *at)
{
  buf b = {0};
  buf_cat(&b, p->doc, ": ", NULL);
  path_render(&b, at);
  buf_cat(&b, ": ", NULL);
  return b;
}

static bool missing(const parser *p, const json_path *at)
{
  buf b = error_at(p, at);
  buf_cat(&b, "required field missing", NULL);
  set_error(p->err, &b);
  return false;
}

/* How much of s an error message quotes: at most GOT_MAX bytes, not splitting a UTF-8 sequence. */
static size_t quote_len(const char *s, bool *cut)
{
  size_t n = strlen(s);
  *cut = n > GOT_MAX;
  if (!*cut)
    return n;
  for (n = GOT_MAX; n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80; n--)
    ;
  return n;
}

static bool mismatch(const parser *p, const json_path *at, oci_kind kind, yajl_val got)
{
  static const char *const expected[] = {
    [OCI_STRING] = "a string",
    [OCI_BOOL] = "a boolean",
    [OCI_INT32] = "a 32-bit integer",
    [OCI_INT64] = "a 64-bit integer",
    [OCI_UINT32] = "an unsigned 32-bit integer",
    [OCI_UINT64] = "an unsigned 64-bit integer",
    [OCI_OBJECT] = "an object",
    [OCI_STRING_ARRAY] = "an array",
    [OCI_UINT32_ARRAY] = "an array",
    [OCI_OBJECT_ARRAY] = "an array",
    [OCI_STRING_MAP] = "an object",
    [OCI_OBJECT_MAP] = "an object",
  };
  buf b = error_at(p, at);
  bool cut;
  size_t n;
  buf_cat(&b, "expected ", expected[kind], ", got ", NULL);
  switch (got->type) {
  case yajl_t_string:
    n = quote_len(got->u.string, &cut);
    buf_quote(&b, got->u.string, n, cut);
    break;
  case yajl_t_number:
    n = quote_len(got->u.number.r, &cut);
    buf_add(&b, got->u.number.r, n);
    buf_cat(&b, cut ? "..." : "", NULL);
    break;
  case yajl_t_object: buf_cat(&b, "an object", NULL); break;
  case yajl_t_array: buf_cat(&b, "an array", NULL); break;
  case yajl_t_true: buf_cat(&b, "true", NULL); break;
  case yajl_t_false: buf_cat(&b, "false", NULL); break;
  default: buf_cat(&b, "null", NULL); break;
  }
  set_error(p->err, &b);
  return false;
}

/* Integers come from the number's text as written, so that the whole uint64 range works (yajl
 * itself only keeps a long long or a double).  A fraction or an exponent stops strtoll short of the
 * end, which refuses it. */
static bool parse_integer(oci_kind kind, const char *s, void *slot)
{
  char *end;
  errno = 0;
  if (kind == OCI_INT32 || kind == OCI_INT64) {
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
      return false;
    if (kind == OCI_INT64)
      *(int64_t *) slot = v;
    else if (v >= INT32_MIN && v <= INT32_MAX)
      *(int32_t *) slot = (int32_t) v;
    else
      return false;
    return true;
  }
  if (*s == '-') /* strtoull would negate it */
    return false;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  if (kind == OCI_UINT64)
    *(uint64_t *) slot = v;
  else if (v <= UINT32_MAX)
    *(uint32_t *) slot = (uint32_t) v;
  else
    return false;
  return true;
}

/* The member `name` of object v, or NULL when absent or null.  Looking from the end makes the last
 * of duplicate keys win. */
static yajl_val member(yajl_val v, const char *name)
{
  for (size_t i = v->u.object.len; i-- > 0;)
    if (strcmp(v->u.object.keys[i], name) == 0)
      return YAJL_IS_NULL(v->u.object.values[i]) ? NULL : v->u.object.values[i];
  return NULL;
}

static void *parse_object(const parser *p, const oci_type *t, yajl_val v, const json_path *at);

/* One value of a scalar kind or an object, stored at slot.  Array elements and map values come here
 * too, so a null reaching this point is an error. */
static bool parse_value(const parser *p, oci_kind kind, const oci_type *sub, yajl_val v, const json_path *at,
                        void *slot)
{
  void *obj;
  switch (kind) {
  case OCI_STRING:
    if (!YAJL_IS_STRING(v))
      break;
    set_ptr(slot, xstrdup(v->u.string));
    return true;
  case OCI_BOOL:
    if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
      break;
    *(bool *) slot = YAJL_IS_TRUE(v);
    return true;
  case OCI_INT32:
  case OCI_INT64:
  case OCI_UINT32:
  case OCI_UINT64:
    if (!YAJL_IS_NUMBER(v) || !parse_integer(kind, YAJL_GET_NUMBER(v), slot))
      break;
    return true;
  case OCI_OBJECT:
    if (!YAJL_IS_OBJECT(v))
      break;
    obj = parse_object(p, sub, v, at);
    set_ptr(slot, obj);
    return obj != NULL;
  default:
    abort(); /* containers are parse_member's */
  }
  return mismatch(p, at, kind, v);
}

/* What an array or a map holds. */
static oci_kind element_kind(oci_kind kind)
{
  switch (kind) {
  case OCI_STRING_ARRAY:
  case OCI_STRING_MAP: return OCI_STRING;
  case OCI_UINT32_ARRAY: return OCI_UINT32;
  default: return OCI_OBJECT;
  }
}

static size_t element_size(oci_kind kind)
{
  return kind == OCI_UINT32_ARRAY ? sizeof(uint32_t) : sizeof(void *);
}

typedef struct {
  const char *key;
  size_t pos;
} map_entry;

static int map_entry_cmp(const void *a, const void *b)
{
  const map_entry *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Which members of map v to keep: the last of duplicate keys, unless its value is null (absent).
 * Sorting keeps this O(n log n) on hostile input.  Returns a malloc'd flag per member. */
static bool *map_keep(yajl_val v, size_t *kept)
{
  size_t n = v->u.object.len;
  map_entry *e = xcalloc(n, sizeof *e);
  bool *keep = xcalloc(n, sizeof *keep);
  for (size_t i = 0; i < n; i++)
    e[i] = (map_entry){v->u.object.keys[i], i};
  qsort(e, n, sizeof *e, map_entry_cmp);
  *kept = 0;
  for (size_t i = 0; i < n; i++) {
    bool last = i + 1 == n || strcmp(e[i].key, e[i + 1].key) != 0;
    if (last && !YAJL_IS_NULL(v->u.object.values[e[i].pos])) {
      keep[e[i].pos] = true;
      ++*kept;
    }
  }
  free(e);
  return keep;
}

/* Arrays and maps are allocated and counted before their elements are parsed, so that an error
 * halfway leaves a partial but consistent object for oci_free. */
static bool parse_member(const parser *p, const oci_field *f, yajl_val v, const json_path *at, char *obj)
{
  oci_kind elem = element_kind(f->kind);
  size_t esize = element_size(f->kind);
  switch (f->kind) {
  case OCI_STRING_ARRAY:
  case OCI_UINT32_ARRAY:
  case OCI_OBJECT_ARRAY: {
    if (!YAJL_IS_ARRAY(v))
      return mismatch(p, at, f->kind, v);
    size_t n = v->u.array.len;
    if (n == 0)
      return true;
    char *items = xcalloc(n, esize);
    set_ptr(obj + f->offset, items);
    *(size_t *) (obj + f->len_offset) = n;
    for (size_t i = 0; i < n; i++) {
      json_path here = {at, AT_INDEX, NULL, i};
      if (!parse_value(p, elem, f->sub, v->u.array.values[i], &here, items + i * esize))
        return false;
    }
    return true;
  }
  case OCI_STRING_MAP:
  case OCI_OBJECT_MAP: {
    if (!YAJL_IS_OBJECT(v))
      return mismatch(p, at, f->kind, v);
    size_t n;
    bool *keep = map_keep(v, &n);
    bool ok = true;
    if (n > 0) {
      char **keys = xcalloc(n, sizeof *keys);
      char *values = xcalloc(n, esize);
      set_ptr(obj + f->offset, keys);
      set_ptr(obj + f->values_offset, values);
      *(size_t *) (obj + f->len_offset) = n;
      for (size_t i = 0, j = 0; ok && i < v->u.object.len; i++) {
        if (!keep[i])
          continue;
        keys[j] = xstrdup(v->u.object.keys[i]);
        json_path here = {at, AT_KEY, keys[j], 0};
        ok = parse_value(p, elem, f->sub, v->u.object.values[i], &here, values + j++ * esize);
      }
    }
    free(keep);
    return ok;
  }
  default:
    if (!parse_value(p, f->kind, f->sub, v, at, obj + f->offset))
      return false;
    if (f->has_offset != 0)
      *(bool *) (obj + f->has_offset) = true;
    return true;
  }
}

/* v must be an object; `at` is NULL for the document itself.  Walking the table rather than the keys
 * ignores unknown keys for free. */
static void *parse_object(const parser *p, const oci_type *t, yajl_val v, const json_path *at)
{
  char *obj = xcalloc(1, t->size);
  for (size_t i = 0; i < t->nfields; i++) {
    const oci_field *f = &t->fields[i];
    yajl_val fv = member(v, f->json_name);
    json_path here = {at, AT_MEMBER, f->json_name, 0};
    bool ok = true;
    if (fv != NULL)
      ok = parse_member(p, f, fv, &here, obj);
    else if (f->required)
      ok = missing(p, &here);
    if (!ok) {
      oci_free(t, obj);
      return NULL;
    }
  }
  return obj;
}

/* yajl_tree_free recurses once per level of nesting, so a hostile document could overflow the stack:
 * bound the depth before anything is built.  Strings and comments (the parser allows them)
 * are skipped so that their brackets don't count.  Also refuses \u0000, which yajl would decode into
 * its NUL-terminated strings, silently cutting them short.  Returns what is wrong, or NULL. */
static const char *scan(const char *s, size_t len)
{
  size_t depth = 0;
  if (memchr(s, '\0', len) != NULL)
    return "NUL byte in input";
  for (size_t i = 0; i < len; i++) {
    switch (s[i]) {
    case '"':
      for (i++; i < len && s[i] != '"'; i++)
        if (s[i] == '\\' && ++i < len && s[i] == 'u' && len - i > 4 && memcmp(s + i + 1, "0000", 4) == 0)
          return "\\u0000 in a string is not supported";
      break;
    case '/':
      if (i + 1 < len && s[i + 1] == '/') {
        while (i < len && s[i] != '\n')
          i++;
      } else if (i + 1 < len && s[i + 1] == '*') {
        for (i += 2; i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'); i++)
          ;
        i++;
      }
      break;
    case '[':
    case '{':
      if (++depth > MAX_DEPTH)
        return "nesting deeper than 64 levels";
      break;
    case ']':
    case '}':
      if (depth > 0) /* unbalanced input is yajl's to report */
        depth--;
      break;
    }
  }
  return NULL;
}

static void *invalid_json(const char *doc, const char *why, char **err)
{
  buf b = {0};
  buf_cat(&b, doc, ": invalid JSON: ", why, NULL);
  set_error(err, &b);
  return NULL;
}

void *oci_parse_data(const oci_type *type, const char *data, size_t len, const char *docname, char **err)
{
  char yajl_err[1024] = "";
  if (docname == NULL)
    docname = "input";
  parser p = {docname, err};
  const char *bad = len > 0 ? scan(data, len) : NULL;
  if (bad != NULL)
    return invalid_json(docname, bad, err);

  yajl_val tree = ocispec_json_parse(data, len, yajl_err, sizeof yajl_err);
  if (tree == NULL) {
    /* yajl adds lines quoting the input with a caret: keep the first line. */
    char *msg = yajl_err + strspn(yajl_err, " \t\n");
    size_t n = strcspn(msg, "\n");
    while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\t'))
      n--;
    msg[n] = '\0';
    return invalid_json(docname, *msg ? msg : "parse error", err);
  }

  void *obj = NULL;
  if (YAJL_IS_OBJECT(tree)) {
    obj = parse_object(&p, type, tree, NULL);
  } else {
    buf b = {0};
    buf_cat(&b, docname, ": expected a JSON object at the top level", NULL);
    set_error(err, &b);
  }
  yajl_tree_free(tree);
  return obj;
}

/* Reads a whole file of at most MAX_FILE_SIZE bytes into b; returns what went wrong, or NULL. */
static const char *read_file(const char *path, buf *b)
{
  const char *problem = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return strerror(errno);
  for (;;) {
    buf_reserve(b, 65536);
    ssize_t n = read(fd, b->s + b->len, b->cap - b->len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      problem = n < 0 ? strerror(errno) : NULL;
      break;
    }
    b->len += (size_t) n;
    if (b->len > MAX_FILE_SIZE) {
      problem = "file larger than 64 MiB";
      break;
    }
  }
  close(fd);
  return problem;
}

void *oci_parse_file(const oci_type *type, const char *path, const char *docname, char **err)
{
  buf b = {0};
  const char *problem = read_file(path, &b);
  void *obj = NULL;
  if (problem != NULL) {
    buf e = {0};
    buf_cat(&e, path, ": ", problem, NULL);
    set_error(err, &e);
  } else {
    obj = oci_parse_data(type, b.s, b.len, docname ? docname : path, err);
  }
  free(b.s);
  return obj;
}

/* ---- generating -------------------------------------------------------------------------------- */

typedef struct {
  yajl_gen g;
  bool failed;
} gen;

static void gen_check(gen *g, yajl_gen_status status)
{
  if (status != yajl_gen_status_ok)
    g->failed = true;
}

static void gen_string(gen *g, const char *s)
{
  gen_check(g, s ? yajl_gen_string(g->g, (const unsigned char *) s, strlen(s)) : yajl_gen_null(g->g));
}

static void gen_object(gen *g, const oci_type *t, const char *obj);

static void gen_value(gen *g, oci_kind kind, const oci_type *sub, const char *slot)
{
  char num[32];
  switch (kind) {
  case OCI_STRING: gen_string(g, get_ptr(slot)); return;
  case OCI_BOOL: gen_check(g, yajl_gen_bool(g->g, *(const bool *) slot)); return;
  case OCI_OBJECT: gen_object(g, sub, get_ptr(slot)); return;
  case OCI_INT32: snprintf(num, sizeof num, "%" PRId32, *(const int32_t *) slot); break;
  case OCI_INT64: snprintf(num, sizeof num, "%" PRId64, *(const int64_t *) slot); break;
  case OCI_UINT32: snprintf(num, sizeof num, "%" PRIu32, *(const uint32_t *) slot); break;
  case OCI_UINT64: snprintf(num, sizeof num, "%" PRIu64, *(const uint64_t *) slot); break;
  default: abort(); /* containers are gen_object's */
  }
  gen_check(g, yajl_gen_number(g->g, num, strlen(num)));
}

static void gen_object(gen *g, const oci_type *t, const char *obj)
{
  if (obj == NULL) { /* only reachable through a NULL array element or map value */
    gen_check(g, yajl_gen_null(g->g));
    return;
  }
  gen_check(g, yajl_gen_map_open(g->g));
  for (size_t i = 0; i < t->nfields; i++) {
    const oci_field *f = &t->fields[i];
    const char *slot = obj + f->offset;
    size_t n = f->len_offset ? *(const size_t *) (obj + f->len_offset) : 0;
    oci_kind elem = element_kind(f->kind);
    size_t esize = element_size(f->kind);
    switch (f->kind) {
    case OCI_STRING_ARRAY:
    case OCI_UINT32_ARRAY:
    case OCI_OBJECT_ARRAY: {
      const char *items = get_ptr(slot);
      if (n == 0 || items == NULL)
        continue;
      gen_string(g, f->json_name);
      gen_check(g, yajl_gen_array_open(g->g));
      for (size_t j = 0; j < n; j++)
        gen_value(g, elem, f->sub, items + j * esize);
      gen_check(g, yajl_gen_array_close(g->g));
      break;
    }
    case OCI_STRING_MAP:
    case OCI_OBJECT_MAP: {
      char **keys = get_ptr(slot);
      const char *values = get_ptr(obj + f->values_offset);
      if (n == 0 || keys == NULL || values == NULL)
        continue;
      gen_string(g, f->json_name);
      gen_check(g, yajl_gen_map_open(g->g));
      for (size_t j = 0; j < n; j++) {
        gen_string(g, keys[j]);
        gen_value(g, elem, f->sub, values + j * esize);
      }
      gen_check(g, yajl_gen_map_close(g->g));
      break;
    }
    case OCI_STRING:
    case OCI_OBJECT:
      if (get_ptr(slot) == NULL)
        continue;
      /* fallthrough */
    default:
      if (f->has_offset != 0 && !*(const bool *) (obj + f->has_offset))
        continue;
      gen_string(g, f->json_name);
      gen_value(g, f->kind, f->sub, slot);
    }
  }
  gen_check(g, yajl_gen_map_close(g->g));
}

static void gen_print(void *ctx, const char *s, size_t len) { buf_add(ctx, s, len); }

char *oci_generate(const oci_type *type, const void *obj, bool pretty, size_t *len)
{
  buf out = {0};
  gen g = {check_alloc(yajl_gen_alloc(NULL)), false};
  yajl_gen_config(g.g, yajl_gen_print_callback, gen_print, &out);
  /* Invalid UTF-8 would make a document we could not read back (e.g. our own state file). */
  yajl_gen_config(g.g, yajl_gen_validate_utf8, 1);
  if (pretty) {
    yajl_gen_config(g.g, yajl_gen_beautify, 1); /* which also ends the document with a newline */
    yajl_gen_config(g.g, yajl_gen_indent_string, "  ");
  }
  buf_add(&out, "", 0);
  gen_object(&g, type, obj);
  yajl_gen_free(g.g);
  if (g.failed) {
    free(out.s);
    return NULL;
  }
  if (len != NULL)
    *len = out.len;
  return out.s;
}

/* ---- freeing ----------------------------------------------------------------------------------- */

/* Frees n pointers at items, strings or objects of type sub, then items itself. */
static void free_items(const oci_type *sub, char *items, size_t n)
{
  for (size_t i = 0; items != NULL && i < n; i++) {
    void *e = get_ptr(items + i * sizeof(void *));
    if (sub != NULL)
      oci_free(sub, e);
    else
      free(e);
  }
  free(items);
}

void oci_free(const oci_type *type, void *obj)
{
  char *o = obj;
  if (o == NULL)
    return;
  for (size_t i = 0; i < type->nfields; i++) {
    const oci_field *f = &type->fields[i];
    void *slot = o + f->offset;
    size_t n = f->len_offset ? *(size_t *) (o + f->len_offset) : 0;
    switch (f->kind) {
    case OCI_STRING:
    case OCI_UINT32_ARRAY: free(get_ptr(slot)); break;
    case OCI_OBJECT: oci_free(f->sub, get_ptr(slot)); break;
    case OCI_STRING_ARRAY:
    case OCI_OBJECT_ARRAY: free_items(f->sub, get_ptr(slot), n); break;
    case OCI_STRING_MAP:
    case OCI_OBJECT_MAP:
      free_items(NULL, get_ptr(slot), n);
      free_items(f->sub, get_ptr(o + f->values_offset), n);
      break;
    default: break; /* scalars own nothing */
    }
  }
  free(o);
}
