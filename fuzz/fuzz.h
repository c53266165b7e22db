/* Shared by the libFuzzer targets (fuzz/fuzz-*.c): the entry point libFuzzer calls, and a JSON
 * round trip that every parser of ocirt must survive.  See fuzz/README.md. */
#ifndef OCIRT_FUZZ_H
#define OCIRT_FUZZ_H
#include "ocispec.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse `data` as `type`; when it parses, what we generate from it must parse again and generate
 * the same bytes (state.json and the features/state output are read back by ocirt and engines).
 * Returns the parsed object (the caller frees it with oci_free), or NULL when the input is bad. */
static inline void *fuzz_roundtrip(const oci_type *type, const uint8_t *data, size_t size, const char *doc)
{
  char *msg = NULL;
  void *obj = oci_parse_data(type, (const char *) data, size, doc, &msg);
  if (obj == NULL) {
    /* A refusal must say why. */
    if (msg == NULL || msg[0] == '\0')
      abort();
    free(msg);
    return NULL;
  }
  size_t len1, len2;
  char *out1 = oci_generate(type, obj, false, &len1);
  if (out1 == NULL)
    abort();
  void *again = oci_parse_data(type, out1, len1, doc, &msg);
  if (again == NULL) {
    fprintf(stderr, "%s: generated JSON does not parse: %s\n%s\n", doc, msg, out1);
    abort();
  }
  char *out2 = oci_generate(type, again, false, &len2);
  if (out2 == NULL || len1 != len2 || memcmp(out1, out2, len1) != 0) {
    fprintf(stderr, "%s: round trip changed the document:\n%s\n%s\n", doc, out1, out2 ? out2 : "(null)");
    abort();
  }
  free(out1);
  free(out2);
  oci_free(type, again);
  return obj;
}

/* The input as a NUL-terminated string (inputs with a NUL inside are cut there, as C would). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  if (s == NULL)
    abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}
#endif
