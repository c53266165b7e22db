/* Namespace types: one table maps the spec's names to clone flags and /proc/PID/ns names. */
#ifndef OCIRT_NAMESPACES_H
#define OCIRT_NAMESPACES_H

#include "error.h"
#include "ocispec.h"

#include <stdbool.h>
#include <sys/types.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

typedef struct {
  const char *name;      /* as in config.json: "pid", "network", ... */
  const char *proc_name; /* as in /proc/PID/ns/ */
  int clone_flag;
} namespace_type;

const namespace_type *namespace_lookup(const char *name);
const namespace_type *namespace_table(size_t *count);

/* The namespaces a config asks for, resolved once: which to create and which to join by path. */
typedef struct {
  int clone_flags;  /* namespaces created fresh (except cgroup and time: unshared later) */
  int unshare_late; /* CLONE_NEWCGROUP (after the process is in its cgroup), CLONE_NEWTIME (its
                     * offsets are written before anything enters it): unshared by init */
  int join_fds[16]; /* opened `path` of namespaces to join, -1 when none; index = table index */
  bool has[16];     /* whether the config lists this namespace at all */
} namespace_plan;

/* Validate the config's namespaces and open the paths to join.  Names the field on error. */
int namespace_plan_init(namespace_plan *plan, const oci_linux *linux_, ocirt_error *err);
void namespace_plan_close(namespace_plan *plan);
bool namespace_plan_has(const namespace_plan *plan, int clone_flag);
/* Whether any namespace is joined by path (init is then cloned by a helper that joined them). */
bool namespace_plan_joins(const namespace_plan *plan);
/* Join the namespaces given by path, the user namespace last; pid only for the children. */
int namespace_join_paths(namespace_plan *plan, ocirt_error *err);
/* Write the mappings (m, n) to /proc/PID/FILE (uid_map or gid_map) in one write, as the kernel takes
 * a map file only once, whole; errors name `field`. */
int namespace_write_id_map(pid_t pid, const char *file, const char *field, oci_id_mapping **m, size_t n,
                           ocirt_error *err);
/* Parent: write .linux.uidMappings / gidMappings to /proc/PID/{uid,gid}_map. */
int namespace_write_id_maps(pid_t pid, const oci_linux *linux_, ocirt_error *err);
/* Child, in its user namespace: become uid and gid 0 there (the mappings are written). */
int namespace_become_root(ocirt_error *err);
/* Child, right after unshare(CLONE_NEWTIME): write .linux.timeOffsets. */
int namespace_write_time_offsets(const oci_linux *linux_, ocirt_error *err);

#endif
