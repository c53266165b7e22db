/* exec: run another process in a running container. */
#ifndef OCIRT_EXEC_H
#define OCIRT_EXEC_H

#include "container.h"
#include "error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  const char *process_file; /* --process: the whole process JSON; the flags below then only add */
  char **args;              /* the command, when no --process */
  size_t args_len;
  char **env; /* --env KEY=VALUE, replacing the container's value of KEY */
  size_t env_len;
  char **caps; /* --cap: added to every capability set */
  size_t caps_len;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  const char *cwd;
  const char *user; /* "uid[:gid]" */
  const char *pid_file;
  const char *console_socket;
  const char *process_label;
  const char *apparmor;
  unsigned preserve_fds;
  bool tty;
  bool detach;
  bool no_new_privs;
  bool ignore_paused;
} exec_options;

/* Start the process in every namespace and the cgroup of container `id`.  Unless detached, wait
 * for it (forwarding signals) and set *exit_status (128+N when killed by signal N). */
int container_exec(const ocirt_runtime *rt, const char *id, const exec_options *o, int *exit_status,
                   ocirt_error *err);

#endif
