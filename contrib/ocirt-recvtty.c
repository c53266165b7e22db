/* ocirt-recvtty: receive a container's terminal on a console socket and attach to it.
 *
 * `ocirt create --console-socket PATH` (and `run --detach`) connects to PATH and sends the master of
 * the container's pty with SCM_RIGHTS.  This program is the other end: it listens on PATH, takes
 * the master, and copies it to and from its own stdio (or drains it).  Tests and people use it to
 * talk to a container that runs on a terminal. */
#include "config.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static const char usage[]
    = "Usage: ocirt-recvtty [OPTIONS] SOCKET-PATH\n\n"
      "Listen on the unix socket SOCKET-PATH for the terminal of a container, as sent by\n"
      "`ocirt create --console-socket SOCKET-PATH` or `ocirt run --detach --console-socket\n"
      "SOCKET-PATH` for a config.json with process.terminal true, and attach to it.\n\n"
      "Options:\n"
      "  -m, --mode MODE      single (default): take one terminal; copy stdin to it (in raw mode\n"
      "                       when stdin is a terminal) and its output to stdout, until the\n"
      "                       container's side is closed (the container exited); then exit 0.\n"
      "                       null: take every terminal that comes and discard its output (so no\n"
      "                       container blocks on a full terminal), until SIGINT or SIGTERM.\n"
      "  -p, --pid-file FILE  write our pid to FILE once SOCKET-PATH accepts connections\n"
      "      --no-stdin       single mode: do not read stdin, only copy the output\n"
      "  -h, --help           print this help\n\n"
      "SOCKET-PATH must not exist; it is removed on exit.  Errors go to stderr, exit status 1.\n\n"
      "Example:\n"
      "  ocirt-recvtty /tmp/tty.sock &\n"
      "  ocirt run --detach --console-socket /tmp/tty.sock web1\n";

static const char *socket_path;
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
  stop_signal = sig;
}

static int fail(ocirt_error *err)
{
  fprintf(stderr, "ocirt-recvtty: %s\n", err->msg);
  error_clear(err);
  return -1;
}

static int listen_on(const char *path, ocirt_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(addr.sun_path))
    return error_set(err, ENAMETOOLONG, "`%s`", path);
  memcpy(addr.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return error_set(err, errno, "socket");
  if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
    error_set(err, errno, "bind `%s`", path);
    close(fd);
    return -1;
  }
  socket_path = path; /* ours from here: removed on exit */
  if (listen(fd, 16) < 0) {
    error_set(err, errno, "listen on `%s`", path);
    close(fd);
    return -1;
  }
  return fd;
}

/* Wait for a connection (or a stop signal) and take the fd it sends. */
static int accept_terminal(int listen_fd, ocirt_error *err)
{
  for (;;) {
    struct pollfd p = { listen_fd, POLLIN, 0 };
    if (stop_signal)
      return error_set(err, 0, "stopped by signal %d", (int) stop_signal);
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
      return error_set(err, errno, "poll");
    if (!(p.revents & POLLIN))
      continue;
    cleanup_close int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return error_set(err, errno, "accept");
    }
    int fd;
    if (terminal_recv_fd(conn, &fd, NULL, err) < 0)
      return -1;
    return fd;
  }
}

/* Copy fd's output to stdout (or nowhere); false once the other side is gone. */
static bool copy_out(int fd, bool discard)
{
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    return false; /* EIO: every process of the container closed its terminal */
  if (!discard && write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
    return false;
  return true;
}

static int single(int listen_fd, bool use_stdin, ocirt_error *err)
{
  cleanup_close int master = accept_terminal(listen_fd, err);
  if (master < 0)
    return -1;
  struct termios saved;
  bool raw = use_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
    terminal_copy_size(STDIN_FILENO, master);
  }
  bool open_in = use_stdin;
  while (!stop_signal) {
    struct pollfd p[2] = { { master, POLLIN, 0 }, { open_in ? STDIN_FILENO : -1, POLLIN, 0 } };
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      error_set(err, errno, "poll");
      break;
    }
    if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !copy_out(master, false))
      break;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
      if (n > 0)
        write_all(master, buf, (size_t) n);
      else if (n == 0 || errno != EINTR)
        open_in = false; /* EOF: keep showing the output */
    }
  }
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return err->msg ? -1 : 0;
}

static int null_mode(int listen_fd, ocirt_error *err)
{
  size_t n = 0, cap = 8;
  int *masters = xcalloc(cap, sizeof(int));
  int ret = 0;
  while (!stop_signal) {
    struct pollfd *p = xcalloc(n + 1, sizeof(*p));
    p[0] = (struct pollfd){ listen_fd, POLLIN, 0 };
    for (size_t i = 0; i < n; i++)
      p[i + 1] = (struct pollfd){ masters[i], POLLIN, 0 };
    if (poll(p, n + 1, -1) < 0 && errno != EINTR) {
      free(p);
      ret = error_set(err, errno, "poll");
      break;
    }
    for (size_t i = n; i-- > 0;)
      if ((p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) && !copy_out(masters[i], true)) {
        close(masters[i]);
        masters[i] = masters[--n];
      }
    bool incoming = p[0].revents & POLLIN;
    free(p);
    if (!incoming)
      continue;
    cleanup_close int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    int fd;
    cleanup_error ocirt_error one = { 0 };
    if (conn < 0 || terminal_recv_fd(conn, &fd, NULL, &one) < 0) {
      if (one.msg)
        fprintf(stderr, "ocirt-recvtty: %s\n", one.msg); /* one bad sender does not stop the rest */
      continue;
    }
    if (n == cap)
      masters = xrealloc(masters, (cap *= 2) * sizeof(int));
    masters[n++] = fd;
  }
  for (size_t i = 0; i < n; i++)
    close(masters[i]);
  free(masters);
  return ret;
}

/* Written whole, then renamed into place: whoever waits for the file never reads half of it. */
static int write_pid_file(const char *path, ocirt_error *err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
  cleanup_free char *tmp = xasprintf("%s.tmp", path);
  cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 || write_all(fd, buf, strlen(buf)) < 0 || rename(tmp, path) < 0) {
    int saved = errno;
    unlink(tmp);
    return error_set(err, saved, "pid file `%s`", path);
  }
  return 0;
}

int main(int argc, char **argv)
{
  enum { OPT_NO_STDIN = 1000 };
  static const struct option options[] = {
    { "mode", required_argument, NULL, 'm' },
    { "pid-file", required_argument, NULL, 'p' },
    { "no-stdin", no_argument, NULL, OPT_NO_STDIN },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *mode = "single", *pid_file = NULL;
  bool use_stdin = true;
  int opt;
  while ((opt = getopt_long(argc, argv, "m:p:h", options, NULL)) != -1) {
    switch (opt) {
    case 'm':
      mode = optarg;
      break;
    case 'p':
      pid_file = optarg;
      break;
    case OPT_NO_STDIN:
      use_stdin = false;
      break;
    case 'h':
      fputs(usage, stdout);
      return 0;
    default:
      fputs(usage, stderr);
      return 2;
    }
  }
  if (strcmp(mode, "single") != 0 && strcmp(mode, "null") != 0) {
    fprintf(stderr, "ocirt-recvtty: --mode: expected single or null, got `%s`\n", mode);
    return 2;
  }
  if (optind + 1 != argc) {
    fputs(usage, stderr);
    return 2;
  }

  struct sigaction sa = { .sa_handler = on_stop };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  cleanup_error ocirt_error err = { 0 };
  int ret = 0;
  cleanup_close int listen_fd = listen_on(argv[optind], &err);
  if (listen_fd < 0)
    ret = fail(&err);
  if (ret == 0 && pid_file && write_pid_file(pid_file, &err) < 0)
    ret = fail(&err);
  if (ret == 0 && (strcmp(mode, "null") == 0 ? null_mode(listen_fd, &err) : single(listen_fd, use_stdin, &err)) < 0)
    ret = fail(&err);
  if (socket_path)
    unlink(socket_path);
  return ret < 0 ? 1 : 0;
}
