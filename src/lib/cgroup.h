/* cgroups: where a container's processes are accounted and limited.
 *
 * The host's hierarchies are found once from /proc/self/mountinfo: a v1 hierarchy per controller
 * (or named hierarchy) and/or the unified v2 one.  A container's cgroup is one relative path
 * (e.g. "ocirt/web1") created under every hierarchy. */
#ifndef OCIRT_CGROUP_H
#define OCIRT_CGROUP_H

#include "error.h"
#include "ocispec.h"

#include <stdbool.h>
#include <sys/types.h>

typedef enum { CGROUP_MODE_V1, CGROUP_MODE_HYBRID, CGROUP_MODE_UNIFIED, CGROUP_MODE_NONE } cgroup_mode;

typedef struct {
  char *mountpoint; /* e.g. /sys/fs/cgroup/memory */
  char *name;       /* controller list as mounted ("cpu,cpuacct", "name=systemd"); "" for v2 */
  bool unified;
} cgroup_hierarchy;

/* The hierarchies mounted on this host (read once, cached). */
int cgroup_hierarchies(const cgroup_hierarchy **out, size_t *n, cgroup_mode *mode, ocirt_error *err);

/* The cgroup path a container uses: linux.cgroupsPath normalised, or "ocirt/<id>".  malloc'd, no
 * leading slash. */
int cgroup_path_for(const char *cgroups_path, const char *id, char **out, ocirt_error *err);

/* Make the container's cgroup in every hierarchy. */
int cgroup_create(const char *path, ocirt_error *err);
/* On a host with the unified hierarchy alone: an O_DIRECTORY fd of the container's cgroup, for
 * clone3's CLONE_INTO_CGROUP.  -1 elsewhere (v1, hybrid) or when it cannot be opened. */
int cgroup_open_unified(const char *path);
/* Move pid into the container's cgroup in every hierarchy. */
int cgroup_enter(const char *path, pid_t pid, ocirt_error *err);
/* Signal every process in the cgroup; returns how many were signalled. */
/* Thaw a frozen cgroup (v1 freezer or v2 cgroup.freeze), best effort: delete --force kills it. */
void cgroup_thaw(const char *path);
int cgroup_kill_all(const char *path, int sig, ocirt_error *err);
/* The pids in the cgroup (any hierarchy that has them). */
int cgroup_pids(const char *path, pid_t **pids, size_t *n, ocirt_error *err);
/* Remove the container's cgroup from every hierarchy (missing ones are fine). */
int cgroup_destroy(const char *path, ocirt_error *err);

/* Like cgroup_create, but refuse a cgroup that already holds processes unless allow_existing;
 * *made says whether anything was made (a failed create must not remove a cgroup it found). */
int cgroup_create_checked(const char *path, bool allow_existing, bool *made, ocirt_error *err);
/* Apply linux.resources (create and update): only the fields that are set are written, each
 * converted for the host's cgroup version; errors name the field (.linux.resources.memory.limit). */
int cgroup_apply_resources(const char *path, const oci_resources *r, ocirt_error *err);
/* Apply a config's linux.resources at create.  With device rules, the devices every container
 * needs (null, zero, full, random, urandom, tty, ptmx, pts) and linux.devices are allowed after
 * them, as runc adds them. */
int cgroup_apply_config(const char *path, const oci_linux *l, ocirt_error *err);
/* Freeze (pause) or thaw (resume) every process of the cgroup; returns once the kernel is done. */
int cgroup_freeze(const char *path, bool frozen, ocirt_error *err);
/* 1 when the cgroup is frozen, 0 when not, -1 when it cannot tell. */
int cgroup_is_frozen(const char *path);
/* The statistics of the cgroup as the "data" object of runc's `events --stats` (malloc'd JSON). */
char *cgroup_stats_json(const char *path);
/* The count of OOM kills in the cgroup so far. */
int cgroup_oom_kills(const char *path, uint64_t *n);
/* linux.cgroupsPath of the `slice:prefix:name` form (--systemd-cgroup) as the cgroupfs path systemd
 * would use ("system.slice/prefix-name.scope", a-b.slice as a.slice/a-b.slice). */
int cgroup_systemd_path(const char *cgroups_path, const char *id, char **out, ocirt_error *err);

#endif
