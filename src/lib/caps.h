/* Capabilities (libcap): the five sets of process.capabilities. */
#ifndef OCIRT_CAPS_H
#define OCIRT_CAPS_H
#include "error.h"
#include "ocispec.h"
#include <stdbool.h>

/* Whether `name` (e.g. "CAP_NET_ADMIN") is a capability this kernel and libcap know. */
bool caps_known(const char *name);
/* Whether it is known and held by this process (in its permitted set), so it can be granted. */
bool caps_grantable(const char *name);
/* Drop what the bounding set does not list (needs CAP_SETPCAP: call while still root). */
int caps_drop_bounding(const oci_capabilities *caps, ocirt_error *err);
/* Set effective, permitted, inheritable and ambient.  Call after setresuid() with PR_SET_KEEPCAPS.
 * Unknown names and capabilities this process does not hold are skipped (the parent warned). */
int caps_apply(const oci_capabilities *caps, ocirt_error *err);
#endif
