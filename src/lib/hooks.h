/* OCI hooks: programs run at fixed points of the lifecycle with the state JSON on stdin. */
#ifndef OCIRT_HOOKS_H
#define OCIRT_HOOKS_H
#include "error.h"
#include "ocispec.h"

/* Run each hook in order; the first failure stops and fills err (with what the hook printed on
 * stderr).  `kind` names the phase in messages ("prestart", "poststop", ...). */
int hooks_run(oci_hook **hooks, size_t n, const char *kind, const char *state_json, ocirt_error *err);
/* Run every hook even when some fail (poststop: the spec makes failures warnings); each failure
 * goes to warn(). */
void hooks_run_all(oci_hook **hooks, size_t n, const char *kind, const char *state_json, void (*warn)(const char *));
#endif
