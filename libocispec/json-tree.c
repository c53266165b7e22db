/* json-tree: yajl's event parser building a yajl_val tree, in place of yajl_tree_parse.
 *
 * yajl_tree_parse grows every array and object by one slot per element (a realloc each time), which
 * is quadratic wherever realloc moves the block: a config.json with an args array of 100,000 entries
 * took 30 s of copying under AddressSanitizer.  Here arrays and objects double.  Nodes are laid out
 * and allocated exactly as yajl_tree's (one malloc'd node, malloc'd keys, strings and number texts),
 * so yajl_tree_free frees what this builds. */
#include "ocispec-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* An object or array being filled: its node, the capacity of its arrays, and (objects) the key
 * read whose value has not come yet. */
typedef struct {
  yajl_val node;
  size_t cap;
  char *key;
} open_container;

typedef struct {
  yajl_val root;
  open_container *stack;
  size_t depth, stack_cap;
} tree_builder;

static void *must(void *p)
{
  if (p == NULL) {
    fputs("libocispec: out of memory\n", stderr);
    abort();
  }
  return p;
}

static yajl_val new_node(yajl_type type)
{
  yajl_val v = must(calloc(1, sizeof(*v)));
  v->type = type;
  return v;
}

static char *copy_text(const unsigned char *s, size_t len)
{
  char *t = must(malloc(len + 1));
  memcpy(t, s, len);
  t[len] = '\0';
  return t;
}

/* Hangs v on the innermost open container (or makes it the root); the tree owns v from here on, so
 * an error later frees it with the rest. */
static int attach(tree_builder *b, yajl_val v)
{
  if (b->depth == 0) {
    b->root = v;
    return 1;
  }
  open_container *c = &b->stack[b->depth - 1];
  yajl_val parent = c->node;
  if (parent->type == yajl_t_array) {
    if (parent->u.array.len == c->cap) {
      c->cap = c->cap ? 2 * c->cap : 8;
      parent->u.array.values = must(realloc(parent->u.array.values, c->cap * sizeof(yajl_val)));
    }
    parent->u.array.values[parent->u.array.len++] = v;
    return 1;
  }
  if (c->key == NULL) { /* yajl never gives a value without its key; be safe all the same */
    yajl_tree_free(v);
    return 0;
  }
  if (parent->u.object.len == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 8;
    parent->u.object.keys = must(realloc((void *) parent->u.object.keys, c->cap * sizeof(char *)));
    parent->u.object.values = must(realloc(parent->u.object.values, c->cap * sizeof(yajl_val)));
  }
  parent->u.object.keys[parent->u.object.len] = c->key;
  parent->u.object.values[parent->u.object.len++] = v;
  c->key = NULL;
  return 1;
}

static int open_one(void *ctx, yajl_type type)
{
  tree_builder *b = ctx;
  yajl_val v = new_node(type);
  if (!attach(b, v))
    return 0;
  if (b->depth == b->stack_cap) {
    b->stack_cap = b->stack_cap ? 2 * b->stack_cap : 16;
    b->stack = must(realloc(b->stack, b->stack_cap * sizeof(*b->stack)));
  }
  b->stack[b->depth++] = (open_container){v, 0, NULL};
  return 1;
}

static int close_one(void *ctx)
{
  tree_builder *b = ctx;
  if (b->depth == 0)
    return 0;
  b->depth--;
  return 1;
}

static int on_start_map(void *ctx) { return open_one(ctx, yajl_t_object); }
static int on_start_array(void *ctx) { return open_one(ctx, yajl_t_array); }

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
  tree_builder *b = ctx;
  open_container *c = &b->stack[b->depth - 1];
  free(c->key);
  c->key = copy_text(key, len);
  return 1;
}

static int on_null(void *ctx) { return attach(ctx, new_node(yajl_t_null)); }
static int on_boolean(void *ctx, int value) { return attach(ctx, new_node(value ? yajl_t_true : yajl_t_false)); }

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
  yajl_val v = new_node(yajl_t_string);
  v->u.string = copy_text(s, len);
  return attach(ctx, v);
}

/* As yajl_tree: the text as written, and the integer and double it reads as, where they are valid. */
static int on_number(void *ctx, const char *s, size_t len)
{
  yajl_val v = new_node(yajl_t_number);
  char *end;
  v->u.number.r = copy_text((const unsigned char *) s, len);
  errno = 0;
  v->u.number.i = strtoll(v->u.number.r, &end, 10);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_INT_VALID;
  errno = 0;
  v->u.number.d = strtod(v->u.number.r, &end);
  if (errno == 0 && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
  return attach(ctx, v);
}

static const yajl_callbacks tree_callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = close_one,
  .yajl_start_array = on_start_array,
  .yajl_end_array = close_one,
};

yajl_val ocispec_json_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
  tree_builder b = {0};
  yajl_handle h = yajl_alloc(&tree_callbacks, NULL, &b);
  must(h);
  yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse */
  yajl_status st = yajl_parse(h, (const unsigned char *) text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse(h);
  if (st != yajl_status_ok || b.root == NULL) {
    if (errlen > 0) {
      unsigned char *msg = st != yajl_status_ok ? yajl_get_error(h, 1, (const unsigned char *) text, len) : NULL;
      snprintf(errbuf, errlen, "%s", msg ? (const char *) msg : "no JSON value");
      if (msg)
        yajl_free_error(h, msg);
    }
    for (size_t i = 0; i < b.depth; i++)
      free(b.stack[i].key);
    yajl_tree_free(b.root);
    b.root = NULL;
  }
  free(b.stack);
  yajl_free(h);
  return b.root;
}
