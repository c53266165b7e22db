#include "config.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* ---- the console socket (parent side) --------------------------------------------------------- */

static int connect_console_socket(const char *path, ocirt_error *err)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return error_set(err, errno, "--console-socket `%s`", path);
  if (!S_ISSOCK(st.st_mode))
    return error_set(err, 0, "--console-socket `%s`: not a unix socket", path);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(addr.sun_path))
    return error_set(err, ENAMETOOLONG, "--console-socket `%s`", path);
  memcpy(addr.sun_path, path, strlen(path) + 1);
  /* runc's receivers listen on stream sockets; a seqpacket listener is fine too. */
  static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET };
  int saved = 0;
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return error_set(err, errno, "--console-socket `%s`: socket", path);
    if (TEMP_FAILURE_RETRY(connect(fd, (struct sockaddr *) &addr, sizeof(addr))) == 0)
      return fd;
    saved = errno;
    close(fd);
    if (saved != EPROTOTYPE)
      break;
  }
  return error_set(err, saved, "--console-socket `%s`: connect", path);
}

int terminal_plan_open(const char *console_socket, bool terminal, bool foreground, terminal_plan *tp,
                       ocirt_error *err)
{
  tp->child_fd = tp->parent_fd = -1;
  if (!terminal) {
    if (console_socket)
      return error_set(err, 0, "--console-socket `%s`: config.json: .process.terminal is false: no terminal to send",
                       console_socket);
    return 0;
  }
  if (console_socket) {
    tp->child_fd = connect_console_socket(console_socket, err);
    return tp->child_fd < 0 ? -1 : 0;
  }
  if (!foreground)
    return error_set(err, 0, "config.json: .process.terminal: true needs --console-socket to send the terminal to");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return error_set(err, errno, "socketpair for the terminal");
  tp->parent_fd = sv[0];
  tp->child_fd = sv[1];
  return 0;
}

void terminal_plan_close(terminal_plan *tp)
{
  if (tp->child_fd >= 0)
    close(steal_fd(&tp->child_fd));
  if (tp->parent_fd >= 0)
    close(steal_fd(&tp->parent_fd));
}

/* ---- passing the master ---------------------------------------------------------------------- */

int terminal_send_fd(int sock, int fd, const char *name, ocirt_error *err)
{
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof(control));
  struct iovec iov = { (void *) name, strlen(name) };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf) };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (TEMP_FAILURE_RETRY(sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0)
    return error_set(err, errno, "send the terminal on the console socket");
  return 0;
}

int terminal_recv_fd(int sock, int *fd, char **name, ocirt_error *err)
{
  *fd = -1;
  if (name)
    *name = NULL;
  char payload[4096];
  /* Room for a few fds: extra ones (a confused sender) are closed, not leaked. */
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { payload, sizeof(payload) - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf) };
  ssize_t n = TEMP_FAILURE_RETRY(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
  if (n < 0)
    return error_set(err, errno, "receive the terminal");
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int got;
      memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (*fd < 0)
        *fd = got;
      else
        close(got);
    }
  }
  if (*fd < 0)
    return error_set(err, EPROTO, n == 0 ? "receive the terminal: the sender closed the socket"
                                         : "receive the terminal: no file descriptor in the message");
  if (name) {
    payload[n] = '\0';
    *name = xstrdup(payload);
  }
  return 0;
}

/* ---- the pty, inside the container ------------------------------------------------------------ */

/* The target of the /dev/console bind: the file the rootfs has, or a new empty one. */
static int open_console_target(int root_fd, ocirt_error *err)
{
  /* CVE-2025-52565: the pty is bound on /dev/console itself, never where a symlink of the image
   * points (a /proc file, say): no symlink anywhere on the path, and only a plain file or a device
   * node is taken as the mount point. */
  int fd = openat_in_root(root_fd, "/dev/console", O_PATH | O_NOFOLLOW, 0, 0);
  if (fd < 0 && errno == ENOENT)
    fd = openat_in_root(root_fd, "/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, 0);
  if (fd < 0)
    return error_set(err, errno, "open /dev/console in the container");
  struct stat st;
  int bad = fstat(fd, &st) < 0 ? errno : (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) ? 0 : ELOOP;
  if (bad) {
    close(fd);
    return error_set(err, bad, "/dev/console in the container is %s: refused as the terminal's mount point",
                     S_ISLNK(st.st_mode) ? "a symlink" : "not a file or a device");
  }
  return fd;
}

int terminal_setup_container(int root_fd, int console_fd, const oci_process *p, bool bind_console,
                             ocirt_error *err)
{
  cleanup_close int console = console_fd;
  /* The container's /dev/ptmx (its own devpts instance), found inside the rootfs: the pty belongs
   * to the container, never to the host's devpts. */
  cleanup_close int master = openat_in_root(root_fd, "/dev/ptmx", O_RDWR | O_NOCTTY, 0, 0);
  if (master < 0)
    return error_set(err, errno, "open /dev/ptmx in the container");
  int unlock = 0;
  unsigned number;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0)
    return error_set(err, errno, "/dev/ptmx in the container is not a pty multiplexer");
  if (p->console_size) {
    struct winsize ws = { .ws_row = (unsigned short) p->console_size->height,
                          .ws_col = (unsigned short) p->console_size->width };
    if (ioctl(master, TIOCSWINSZ, &ws) < 0)
      return error_set(err, errno, "set the terminal size (.process.consoleSize)");
  }
  /* The peer through the master, not by path: nothing in the rootfs can swap it. */
  cleanup_close int slave = (int) ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return error_set(err, errno, "open the terminal's peer");
  if (slave <= 2) {
    /* ocirt started with stdio closed: keep the slave clear of 0..2 until the dup2s below. */
    int moved = fcntl(slave, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
      return error_set(err, errno, "dup the terminal");
    close(slave);
    slave = moved;
  }
  uid_t uid = p->user ? p->user->uid : 0;
  if (uid != 0 && fchown(slave, uid, (gid_t) -1) < 0)
    return error_set(err, errno, "chown the terminal to uid %u", (unsigned) uid);

  if (bind_console) {
    cleanup_close int target = open_console_target(root_fd, err);
    if (target < 0)
      return -1;
    char src[64], dst[64];
    snprintf(src, sizeof(src), "/proc/self/fd/%d", slave);
    snprintf(dst, sizeof(dst), "/proc/self/fd/%d", target);
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
      return error_set(err, errno, "bind the terminal on /dev/console");
  }

  char name[32];
  snprintf(name, sizeof(name), "/dev/pts/%u", number);
  if (terminal_send_fd(console, master, name, err) < 0)
    return -1;

  if (setsid() < 0)
    return error_set(err, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return error_set(err, errno, "make the terminal the controlling terminal");
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0)
      return error_set(err, errno, "dup the terminal on fd %d", fd);
  return 0;
}

/* ---- foreground run: ocirt's stdio <-> the master --------------------------------------------- */

void terminal_copy_size(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
    ioctl(to, TIOCSWINSZ, &ws);
}

/* Copy what the master has to stdout; false once the pty is gone (EIO: every slave closed). */
static bool pump_master(int master)
{
  char buf[8192];
  for (;;) {
    ssize_t n = read(master, buf, sizeof(buf));
    if (n > 0) {
      if (write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
        return true; /* nobody reads our stdout: keep draining so the container is not blocked */
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && errno == EAGAIN;
  }
}

static int reap(pid_t pid, int *exit_status, bool *done, ocirt_error *err)
{
  int status;
  pid_t r = TEMP_FAILURE_RETRY(waitpid(pid, &status, WNOHANG));
  if (r < 0)
    return error_set(err, errno, "wait for the container");
  if (r == pid) {
    *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    *done = true;
  }
  return 0;
}

static int proxy_loop(int master, int sfd, pid_t pid, int *exit_status, ocirt_error *err)
{
  char in[4096];
  size_t in_len = 0, in_off = 0;
  bool stdin_open = true, master_open = true, done = false;
  if (reap(pid, exit_status, &done, err) < 0)
    return -1;
  while (!done) {
    struct pollfd p[3] = {
      { sfd, POLLIN, 0 },
      { master_open ? master : -1, (short) (POLLIN | (in_len ? POLLOUT : 0)), 0 },
      { stdin_open && in_len == 0 ? STDIN_FILENO : -1, POLLIN, 0 },
    };
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return error_set(err, errno, "poll");
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
          continue;
        if (si.ssi_signo == SIGWINCH)
          terminal_copy_size(STDIN_FILENO, master);
        else
          kill(pid, (int) si.ssi_signo);
      }
      if (reap(pid, exit_status, &done, err) < 0)
        return -1;
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
      master_open = pump_master(master);
    if (master_open && in_len && (p[1].revents & POLLOUT)) {
      ssize_t n = write(master, in + in_off, in_len);
      if (n > 0) {
        in_off += (size_t) n;
        in_len -= (size_t) n;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR)
        in_len = 0; /* the pty is going away; what the container did not read is lost */
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, in, sizeof(in));
      if (n > 0) {
        in_off = 0;
        in_len = (size_t) n;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        stdin_open = false; /* EOF: the container keeps running, as with runc */
    }
  }
  /* What the container wrote before it exited is still in the pty. */
  if (master_open)
    pump_master(master);
  return 0;
}

int terminal_foreground(int master, pid_t pid, const sigset_t *signals, int *exit_status, ocirt_error *err)
{
  cleanup_close int sfd = signalfd(-1, signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return error_set(err, errno, "signalfd");
  int flags = fcntl(master, F_GETFL);
  if (flags < 0 || fcntl(master, F_SETFL, flags | O_NONBLOCK) < 0)
    return error_set(err, errno, "terminal: set non-blocking");
  struct termios saved;
  bool raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    /* Keys go to the container's terminal as typed: its line discipline does the editing and
     * turns ^C into SIGINT for its foreground process. */
    struct termios t = saved;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
      return error_set(err, errno, "put the terminal in raw mode");
    terminal_copy_size(STDIN_FILENO, master);
  }
  /* A reader of our stdout that goes away must not kill us before the container is deleted: the
   * write fails with EPIPE instead, and the output is drained to nowhere. */
  struct sigaction ignore = { .sa_handler = SIG_IGN }, old_pipe;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &old_pipe);
  int ret = proxy_loop(master, sfd, pid, exit_status, err);
  sigaction(SIGPIPE, &old_pipe, NULL);
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return ret;
}

/* ---- socket activation and preserved fds ------------------------------------------------------ */

unsigned listen_fds_count(void)
{
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  uint64_t p, n;
  /* Fds meant for another process (LISTEN_PID not ours) are not ours to hand on. */
  if (pid == NULL || fds == NULL || parse_uint64(pid, &p) < 0 || p != (uint64_t) getpid()
      || parse_uint64(fds, &n) < 0 || n > 65536)
    return 0;
  return (unsigned) n;
}

static bool env_is(const char *entry, const char *name)
{
  size_t len = strlen(name);
  return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

void listen_fds_set_env(oci_process *p, unsigned n)
{
  size_t kept = 0;
  for (size_t i = 0; i < p->env_len; i++) {
    if (env_is(p->env[i], "LISTEN_FDS") || env_is(p->env[i], "LISTEN_PID"))
      free(p->env[i]);
    else
      p->env[kept++] = p->env[i];
  }
  p->env = xrealloc(p->env, (kept + 3) * sizeof(char *));
  p->env[kept++] = xasprintf("LISTEN_FDS=%u", n);
  p->env[kept++] = xstrdup("LISTEN_PID=1");
  p->env[kept] = NULL;
  p->env_len = kept;
}

int passed_fds_check(unsigned first, unsigned n, const char *what, ocirt_error *err)
{
  for (unsigned fd = first; fd < first + n; fd++)
    if (fcntl((int) fd, F_GETFD) < 0)
      return error_set(err, errno, "%s: fd %u is not open", what, fd);
  return 0;
}
