/* Pieces of the lifecycle (container.c) that exec.c shares. */
#ifndef OCIRT_CONTAINER_PRIVATE_H
#define OCIRT_CONTAINER_PRIVATE_H

#include "error.h"
#include "ocispec.h"

#include <signal.h>
#include <sys/types.h>

/* A pidfd of the container's init, or -1 (errno ESRCH) when the recorded pid is gone or reused. */
int open_init_pidfd(const oci_container_status *s);
/* Block the signals that wait_forwarding passes on (and SIGCHLD): *set gets them, *old the previous
 * mask. */
void block_forwarded_signals(sigset_t *set, sigset_t *old);
/* Wait for our child `pid`, passing on the signals we receive; *exit_status as a shell reports it. */
int wait_forwarding(pid_t pid, int *exit_status, ocirt_error *err);
/* Write `pid` to `path` atomically (--pid-file). */
int write_pid_file(const char *path, pid_t pid, ocirt_error *err);

#endif
