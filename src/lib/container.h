/* The OCI lifecycle: create, start, state, kill, delete, and run (all of them in one). */
#ifndef OCIRT_CONTAINER_H
#define OCIRT_CONTAINER_H
#include "error.h"
#include "ocispec.h"

#include <stdbool.h>

/* Global options every command receives. */
typedef struct {
  const char *root; /* state root, default /run/ocirt */
  bool systemd_cgroup;
  bool no_cgroups; /* --cgroup-manager disabled */
} ocirt_runtime;

typedef struct {
  const char *bundle; /* default "." */
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  unsigned preserve_fds;
  /* run only */
  bool detach;
  bool keep;
} create_options;

/* Warnings (the spec's "log a warning") reach the CLI through this callback; NULL drops them. */
extern void (*ocirt_warning_handler)(const char *msg);

int container_create(const ocirt_runtime *rt, const char *id, const create_options *opts, ocirt_error *err);
int container_start(const ocirt_runtime *rt, const char *id, ocirt_error *err);
/* run: create + start, then (unless detached) wait, forwarding signals, and delete unless keep.
 * *exit_status gets the container's exit status (128+N when killed by signal N). */
int container_run(const ocirt_runtime *rt, const char *id, const create_options *opts, int *exit_status,
                  ocirt_error *err);
/* The state of one container, as `ocirt state` prints it. */
int container_state(const ocirt_runtime *rt, const char *id, oci_state **out, ocirt_error *err);
/* Every container under the root; *out is an array of n states. */
int container_list(const ocirt_runtime *rt, oci_state ***out, size_t *n, ocirt_error *err);
int container_kill(const ocirt_runtime *rt, const char *id, int sig, bool all, ocirt_error *err);
/* Delete a stopped container (or any with force).  A missing container is an error unless force. */
int container_delete(const ocirt_runtime *rt, const char *id, bool force, ocirt_error *err);
/* The same; keep_rootfs keeps a snapshot root filesystem (dm.c) for a later `image commit`. */
int container_delete_keep(const ocirt_runtime *rt, const char *id, bool force, bool keep_rootfs, ocirt_error *err);

/* The container's cgroup path: linux.cgroupsPath (slice:prefix:name with --systemd-cgroup), or the
 * default. */
int container_cgroup_path(const ocirt_runtime *rt, const oci_spec *spec, const char *id, char **out, ocirt_error *err);

#endif
