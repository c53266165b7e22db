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

#endif
