#include "config.h"
#include "utils.h"

#include <errno.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

static void __attribute__((noreturn)) out_of_memory(void)
{
  static const char msg[] = "ocirt: out of memory\n";
  (void) !write(2, msg, sizeof(msg) - 1);
  abort();
}

void *xmalloc(size_t size)
{
  void *p = malloc(size ? size : 1);
  if (p == NULL)
    out_of_memory();
  return p;
}

void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    out_of_memory();
  return p;
}

void *xrealloc(void *old, size_t size)
{
  void *p = realloc(old, size ? size : 1);
  if (p == NULL)
    out_of_memory();
  return p;
}

char *xstrdup(const char *s)
{
  char *p = strdup(s);
  if (p == NULL)
    out_of_memory();
  return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
  char *p;
  if (vasprintf(&p, fmt, ap) < 0)
    out_of_memory();
  return p;
}

char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *p = xvasprintf(fmt, ap);
  va_end(ap);
  return p;
}

void cleanup_freep(void *p)
{
  free(*(void **) p);
}

void cleanup_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}

void strv_free(char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

void cleanup_strvp(char ***v)
{
  strv_free(*v);
}

int write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t) n;
  }
  return 0;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, (char *) buf + got, len - got);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (n == 0)
      break;
    got += (size_t) n;
  }
  return (ssize_t) got;
}

int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len, ocirt_error *err)
{
  cleanup_close int fd = TEMP_FAILURE_RETRY(openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd < 0)
    return error_set(err, errno, "open `%s`", path);
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = xmalloc(cap);
  for (;;) {
    if (used + 1 >= cap) {
      if (cap > max)
        return error_set(err, EFBIG, "read `%s`", path);
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t n = TEMP_FAILURE_RETRY(read(fd, buf + used, cap - used - 1));
    if (n < 0)
      return error_set(err, errno, "read `%s`", path);
    if (n == 0)
      break;
    used += (size_t) n;
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_ptr(&buf);
  return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                         ocirt_error *err)
{
  cleanup_free char *tmp = xasprintf(".%s.tmp.%d", name, (int) getpid());
  cleanup_close int fd
      = TEMP_FAILURE_RETRY(openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd < 0)
    return error_set(err, errno, "create `%s`", tmp);
  if (write_all(fd, data, len) < 0 || close(steal_fd(&fd)) < 0) {
    int saved = errno;
    unlinkat(dirfd, tmp, 0);
    return error_set(err, saved, "write `%s`", tmp);
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    int saved = errno;
    unlinkat(dirfd, tmp, 0);
    return error_set(err, saved, "rename `%s` to `%s`", tmp, name);
  }
  return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, ocirt_error *err)
{
  cleanup_close int fd = TEMP_FAILURE_RETRY(openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd < 0)
    return error_set(err, errno, "open `%s`", path);
  if (write_all(fd, data, strlen(data)) < 0)
    return error_set(err, errno, "write `%s` to `%s`", data, path);
  return 0;
}

int mkdir_p(const char *path, mode_t mode, ocirt_error *err)
{
  cleanup_free char *p = xstrdup(path);
  for (char *s = p + 1;; s++) {
    if (*s == '/' || *s == '\0') {
      char c = *s;
      *s = '\0';
      if (mkdir(p, mode) < 0 && errno != EEXIST)
        return error_set(err, errno, "mkdir `%s`", p);
      *s = c;
      if (c == '\0')
        break;
    }
  }
  return 0;
}

int parse_uint64(const char *s, uint64_t *out)
{
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int parse_int64(const char *s, int64_t *out)
{
  if (s == NULL || *s == '\0')
    return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

char *now_rfc3339(void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

int proc_start_time(pid_t pid, uint64_t *start, bool *zombie)
{
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
  cleanup_close int fd = TEMP_FAILURE_RETRY(open(path, O_RDONLY | O_CLOEXEC));
  if (fd < 0)
    return -1;
  ssize_t n = read_all(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* The command name may contain spaces and parentheses: fields start after the last ')'. */
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2; /* field 3: state */
  if (zombie)
    *zombie = (*p == 'Z' || *p == 'X');
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return -1;
    p++;
  }
  *start = strtoull(p, NULL, 10);
  return 0;
}

int mark_fds_cloexec_from(int from, ocirt_error *err)
{
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned) from, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
    return 0;
#endif
  /* Older kernels: walk /proc/self/fd. */
  for (int fd = from; fd < 65536; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
      return error_set(err, errno, "set close-on-exec on fd %d", fd);
  }
  return 0;
}

void strv_push(char ***v, size_t *n, const char *s)
{
  *v = xrealloc(*v, (*n + 1) * sizeof(char *));
  (*v)[(*n)++] = xstrdup(s);
}

int openat_in_root(int root_fd, const char *path, int flags, mode_t mode, unsigned long long extra_resolve)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_CLOEXEC),
    .mode = (flags & O_CREAT) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
  };
  for (int attempt = 0; attempt < 32; attempt++) {
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
      return (int) fd;
  }
  return -1;
}
