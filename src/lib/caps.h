/* Capabilities (libcap): the five sets of process.capabilities. */
#ifndef OCIRT_CAPS_H
#define OCIRT_CAPS_H
#include "error.h"
#include "ocispec.h"
#include <stdbool.h>

/* Whether `name` (e.g. "CAP_NET_ADMIN") is a capability this kernel and libcap know. */
bool caps_known(const char *name);
/* Drop what the bounding set does not list (needs CAP_SETPCAP: call while still root). */
int caps_drop_bounding(const oci_capabilities *caps, ocirt_error *err);
/* Set effective, permitted, inheritable and ambient.  Call after setresuid() with PR_SET_KEEPCAPS.
 * Unknown names are skipped (the parent already warned about them). */
int caps_apply(const oci_capabilities *caps, ocirt_error *err);
#endif
