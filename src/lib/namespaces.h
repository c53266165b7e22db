/* Namespace types: one table maps the spec's names to clone flags and /proc/PID/ns names. */
#ifndef OCIRT_NAMESPACES_H
#define OCIRT_NAMESPACES_H

#include "error.h"
#include "ocispec.h"

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
  int unshare_late; /* CLONE_NEWCGROUP: unshared after the process is in its cgroup */
  int join_fds[16]; /* opened `path` of namespaces to join, -1 when none; index = table index */
  bool has[16];     /* whether the config lists this namespace at all */
} namespace_plan;

/* Validate the config's namespaces and open the paths to join.  Names the field on error. */
int namespace_plan_init(namespace_plan *plan, const oci_linux *linux_, ocirt_error *err);
void namespace_plan_close(namespace_plan *plan);
bool namespace_plan_has(const namespace_plan *plan, int clone_flag);
/* In the container's process: join the namespaces given by path (all but user and pid, which
 * are entered at clone time). */
int namespace_join_paths(namespace_plan *plan, ocirt_error *err);

#endif
