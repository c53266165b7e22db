/* Small helpers shared by the whole runtime: an allocator that aborts on out-of-memory, cleanup
 * attributes, file I/O that retries on EINTR, and atomic writes. */
#ifndef OCIRT_UTILS_H
#define OCIRT_UTILS_H

#include "error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

void cleanup_freep(void *p);
void cleanup_closep(int *fd);
void cleanup_strvp(char ***v);
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

/* Hand ownership on: return the value and reset the variable, e.g. `return steal_fd(&fd);`. */
static inline int steal_fd(int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}
static inline void *steal_ptr(void *pp)
{
  void **p = (void **) pp;
  void *v = *p;
  *p = NULL;
  return v;
}

#ifndef TEMP_FAILURE_RETRY
#define TEMP_FAILURE_RETRY(expr)                                                                             \
  ({                                                                                                         \
    long _r;                                                                                                 \
    do                                                                                                       \
      _r = (long) (expr);                                                                                    \
    while (_r == -1L && errno == EINTR);                                                                     \
    _r;                                                                                                      \
  })
#endif

/* Write/read all of buf, retrying on EINTR and short counts.  Return 0 or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

/* Read a whole file (at most max bytes) relative to dirfd (AT_FDCWD for a plain path), NUL-terminated. */
int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len, ocirt_error *err);
/* Write a file atomically: a temporary file in the same folder, fsync-free rename over `name`. */
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                         ocirt_error *err);
/* Write a short string to an existing file (for /proc and cgroup files). */
int write_file_at(int dirfd, const char *path, const char *data, ocirt_error *err);

/* mkdir -p with mode; existing folders are fine. */
int mkdir_p(const char *path, mode_t mode, ocirt_error *err);

/* Parse a whole decimal string; -1 when it is not a number in range. */
int parse_uint64(const char *s, uint64_t *out);
int parse_int64(const char *s, int64_t *out);

/* Current time as RFC 3339 with nanoseconds in UTC, e.g. 2026-12-02T03:19:48.123456789Z. */
char *now_rfc3339(void);

/* Start time of a process (field 22 of /proc/PID/stat) and whether it is a zombie; -1 when gone. */
int proc_start_time(pid_t pid, uint64_t *start, bool *zombie);

/* openat2 of `path` resolved inside the tree at root_fd (RESOLVE_IN_ROOT, no magic links, plus
 * `extra_resolve`), close-on-exec, retried on EAGAIN; `mode` for O_CREAT.  -1 with errno. */
int openat_in_root(int root_fd, const char *path, int flags, mode_t mode, unsigned long long extra_resolve);

/* Append a copy of `s` to the counted vector (*v, *n), as libocispec's arrays are. */
void strv_push(char ***v, size_t *n, const char *s);

/* Free a NULL-terminated string vector. */
void strv_free(char **v);

/* Mark every fd >= from close-on-exec, so exec closes them all and nothing of the host leaks in. */
int mark_fds_cloexec_from(int from, ocirt_error *err);

#endif
