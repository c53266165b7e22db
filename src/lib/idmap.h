/* Idmapped bind mounts: mounts[].options idmap and ridmap, with mounts[].uidMappings/gidMappings.
 *
 * The kernel idmaps only a detached mount (open_tree OPEN_TREE_CLONE), and only for a caller
 * privileged over the source's filesystem: a container in a user namespace of its own is not.  So
 * `create` makes the trees in the host's user namespace, before the clone; the container's init
 * inherits the fds and moves each tree onto its destination (rootfs.c), as runc does. */
#ifndef OCIRT_IDMAP_H
#define OCIRT_IDMAP_H

#include "error.h"
#include "ocispec.h"

#include <stdbool.h>

/* One fd per mount of spec (-1 for a mount that is not idmapped) in *fds (NULL when there is none).
 * Relative sources are relative to `bundle`. */
int idmap_trees_open(const oci_spec *spec, const char *bundle, int **fds, ocirt_error *err);
/* Close the fds idmap_trees_open made and free the array; NULL is fine. */
void idmap_trees_close(int *fds, size_t n);
/* Whether this kernel has idmapped mounts (mount_setattr), for `ocirt features`. */
bool idmap_supported(void);

#endif
