/* The container's terminal and the descriptors it is handed.
 *
 * process.terminal: the init makes a pty in the container's own devpts instance (after the mounts),
 * makes it its controlling terminal and stdio, bind-mounts it over /dev/console, and sends the
 * master over a unix socket with SCM_RIGHTS: the --console-socket (create, run -d), or for a
 * foreground `run` a socketpair whose other end ocirt keeps to proxy its own stdio.
 *
 * Socket activation: LISTEN_FDS=N (with LISTEN_PID our pid) passes fds 3..3+N-1 into the
 * container, which sees LISTEN_FDS=N and LISTEN_PID=1; --preserve-fds come after them. */
#ifndef OCIRT_TERMINAL_H
#define OCIRT_TERMINAL_H
#include "error.h"
#include "ocispec.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct {
  int child_fd;  /* the init sends the master here; -1 without a terminal */
  int parent_fd; /* foreground run: where the master arrives; else -1 */
} terminal_plan;

#define TERMINAL_PLAN_INIT { -1, -1 }

/* Parent side, before anything of the container exists.  With a terminal: connect to
 * `console_socket`, or (foreground run, no socket) make a socketpair.  Refuses a socket without a
 * terminal, and a terminal that a detached container would have no one to hand to. */
int terminal_plan_open(const char *console_socket, bool terminal, bool foreground, terminal_plan *tp,
                       ocirt_error *err);
void terminal_plan_close(terminal_plan *tp);

/* Init side, after the mounts and before pivot_root (root_fd is the rootfs): the pty, consoleSize,
 * /dev/console (when bind_console; not for exec), the master sent on console_fd (closed here), a new
 * session with the pty as controlling terminal and the slave on fds 0, 1, 2. */
int terminal_setup_container(int root_fd, int console_fd, const oci_process *p, bool bind_console,
                             ocirt_error *err);

/* One fd over a unix socket with SCM_RIGHTS, `name` as the payload (runc's format). */
int terminal_send_fd(int sock, int fd, const char *name, ocirt_error *err);
/* Receive it; *name (may be NULL) gets the payload, malloc'd. */
int terminal_recv_fd(int sock, int *fd, char **name, ocirt_error *err);

/* Foreground run: our stdin (raw while it is a terminal, restored after) to the master, the master
 * to our stdout, until `pid` exits.  `signals` (blocked by the caller) are forwarded to pid, but
 * SIGWINCH resizes the pty to our terminal.  *exit_status as for a run without terminal. */
int terminal_foreground(int master, pid_t pid, const sigset_t *signals, int *exit_status, ocirt_error *err);

/* Copy the size of the terminal on `from` to the pty master `to`; nothing when `from` is not a
 * terminal or has no size. */
void terminal_copy_size(int from, int to);

/* Socket activation: N when LISTEN_FDS=N and LISTEN_PID is our pid (as sd_listen_fds), else 0. */
unsigned listen_fds_count(void);
/* Set LISTEN_FDS=n and LISTEN_PID=1 in the process env (replacing what the config had). */
void listen_fds_set_env(oci_process *p, unsigned n);
/* Fds first..first+n-1 must be open: the container is promised them (and an fd of ocirt's own
 * must never take the place of a missing one).  `what` names the option in the error. */
int passed_fds_check(unsigned first, unsigned n, const char *what, ocirt_error *err);

#endif
