/* cgroup v2 has no devices.allow/deny: access to device nodes is decided by an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup.  The program is assembled here by hand from
 * linux.resources.devices (no libbpf, no compiler). */
#ifndef OCIRT_CGROUP_DEVICES_EBPF_H
#define OCIRT_CGROUP_DEVICES_EBPF_H

#include "error.h"
#include "ocispec.h"

#include <linux/bpf.h>
#include <stddef.h>

/* Assemble the program for the rules, in the spec's order (a later rule overrides an earlier one; a
 * rule for every device of type "a" resets the default).  *insns is malloc'd. */
void devices_ebpf_build(oci_device_cgroup **rules, size_t n, struct bpf_insn **insns, size_t *n_insns);
/* Load the program and attach it to the cgroup folder `dir`, replacing the one ocirt attached
 * before (update). */
int devices_ebpf_attach(const char *dir, oci_device_cgroup **rules, size_t n, ocirt_error *err);

#endif
