/* A bundle's config.json: loaded with libocispec, then checked for what the types cannot say
 * (absolute paths, known names, sane values), each error naming the JSON path. */
#ifndef OCIRT_BUNDLE_H
#define OCIRT_BUNDLE_H
#include "error.h"
#include "ocispec.h"

typedef struct {
  oci_spec *spec;
  char *bundle;    /* absolute, resolved */
  char *rootfs;    /* absolute, resolved root.path */
  char *raw;       /* the file's bytes, kept in the state folder for delete's poststop hooks */
  size_t raw_len;
  char **warnings; /* NULL-terminated; things the spec says to warn about, not fail on */
} container_config;

/* Load BUNDLE/config.json and validate it for `create`. */
int config_load(const char *bundle, container_config *out, ocirt_error *err);
/* The checks alone, for a parsed spec (also used by unit tests and `exec --process`). */
int config_validate(const oci_spec *spec, char ***warnings, ocirt_error *err);
int config_validate_process(const oci_process *p, const char *where, char ***warnings, ocirt_error *err);
void config_free(container_config *c);
#endif
