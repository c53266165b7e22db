/* linux.sysctl: only the keys that belong to one of the container's own namespaces.
 *
 * The allowed keys (as runc allows them): the IPC namespace's kernel.{msgmax,msgmnb,msgmni,sem,shmall,
 * shmmax,shmmni,shm_rmid_forced} and fs.mqueue.*, the UTS namespace's kernel.hostname and
 * kernel.domainname, and net.* of the network namespace.  Each needs that namespace in the config,
 * and not one that is the runtime's own (a `path` to the host's namespace). */
#ifndef OCIRT_SYSCTL_H
#define OCIRT_SYSCTL_H

#include "error.h"
#include "ocispec.h"

/* Refuse a key no namespace of the container owns; names `.linux.sysctl["key"]`. */
int sysctl_validate(const oci_spec *spec, ocirt_error *err);
/* Write the values, from the container's init, in its namespaces, before pivot_root. */
int sysctl_apply(const oci_spec *spec, ocirt_error *err);

#endif
