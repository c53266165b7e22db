/* libocispec internals: how a document type is described, shared by the walker (ocispec.c) and the
 * tables (ocispec-types.c).  Not for the runtime: it sees oci_type as opaque. */
#ifndef OCISPEC_PRIVATE_H
#define OCISPEC_PRIVATE_H

#include "ocispec.h"

#include <stddef.h>
#include <yajl/yajl_tree.h>

typedef enum {
  OCI_STRING,
  OCI_BOOL,
  OCI_INT32,
  OCI_INT64,
  OCI_UINT32,
  OCI_UINT64,
  OCI_OBJECT,
  OCI_STRING_ARRAY,
  OCI_UINT32_ARRAY,
  OCI_OBJECT_ARRAY,
  OCI_STRING_MAP,
  OCI_OBJECT_MAP,
} oci_kind;

/* One JSON member.  The auxiliary offsets are 0 when unused: a has_ flag, a length or a map's
 * values always follow the member they describe, so none of them can be at offset 0. */
typedef struct {
  const char *json_name;
  oci_kind kind;
  size_t offset;        /* the value; for maps the keys */
  size_t has_offset;    /* optional integers: the bool has_<name> */
  size_t len_offset;    /* arrays and maps: the size_t count */
  size_t values_offset; /* maps: the values */
  const oci_type *sub;  /* objects, object arrays, object maps: the element type */
  bool required;
} oci_field;

struct oci_type {
  const char *name; /* "oci_spec", ...: for debuggers */
  size_t size;
  const oci_field *fields;
  size_t nfields;
};

/* json-tree.c: parse len bytes of JSON (comments allowed) into a tree for yajl_tree_free; NULL with
 * yajl's message in errbuf when it is not JSON. */
yajl_val ocispec_json_parse(const char *text, size_t len, char *errbuf, size_t errlen);

#endif
