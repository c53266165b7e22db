/* ocirt-seccomp-agent: a minimal seccomp notify agent (linux.seccomp.listenerPath), for tests and
 * as an example.
 *
 *   ocirt-seccomp-agent [-e ERRNO] [-s STATE-FILE] SOCKET
 *
 * Listens on the unix socket SOCKET, takes one container: receives the notify fd and the container
 * process state JSON (written to STATE-FILE), then answers every notified syscall with -ERRNO
 * (or success, returning 0, with -e 0), and prints one line per syscall number on stdout.  Exits
 * when the container's processes are gone. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
  fprintf(stderr, "ocirt-seccomp-agent: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int listen_on(const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    die(path);
  }
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket");
  unlink(path);
  if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(fd, 1) < 0)
    die(path);
  return fd;
}

/* Receive the state JSON and the one fd sent with it. */
static int receive_fd(int conn, char *buf, size_t size)
{
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
                       .msg_controllen = sizeof(control.b) };
  ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0)
    die("recvmsg");
  buf[n] = '\0';
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "ocirt-seccomp-agent: no fd in the message\n");
    exit(1);
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
  return fd;
}

int main(int argc, char **argv)
{
  int answer_errno = EPERM;
  const char *state_file = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "e:s:h")) != -1) {
    switch (opt) {
    case 'e':
      answer_errno = atoi(optarg);
      break;
    case 's':
      state_file = optarg;
      break;
    default:
      fprintf(stderr, "Usage: ocirt-seccomp-agent [-e ERRNO] [-s STATE-FILE] SOCKET\n");
      return opt == 'h' ? 0 : 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "Usage: ocirt-seccomp-agent [-e ERRNO] [-s STATE-FILE] SOCKET\n");
    return 2;
  }
  int sock = listen_on(argv[optind]);
  int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die("accept");
  static char state[1 << 16];
  int notify_fd = receive_fd(conn, state, sizeof(state));
  if (state_file) {
    FILE *f = fopen(state_file, "w");
    if (f == NULL || fputs(state, f) < 0 || fclose(f) != 0)
      die(state_file);
  }

  for (;;) {
    struct pollfd p = { .fd = notify_fd, .events = POLLIN };
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      die("poll");
    }
    if (p.revents & POLLHUP)
      return 0; /* every process of the filter is gone */
    struct seccomp_notif req;
    memset(&req, 0, sizeof(req));
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      if (errno == EINTR || errno == ENOENT)
        continue;
      die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    printf("syscall %d\n", req.data.nr);
    fflush(stdout);
    struct seccomp_notif_resp resp = { .id = req.id, .error = -answer_errno, .val = 0, .flags = 0 };
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
      die("SECCOMP_IOCTL_NOTIF_SEND");
  }
}
