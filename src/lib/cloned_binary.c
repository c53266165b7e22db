/* CVE-2019-5736: a process in the container opens /proc/PID/exe of an ocirt process that is in its
 * pid namespace (the waiting init, an exec being set up, or ocirt itself run through a
 * `#!/proc/self/exe` script) and, once that process is gone, writes through the fd: the host's
 * ocirt binary is replaced by the attacker's.
 *
 * Before any process of ours enters a container, ocirt re-executes itself from a sealed memfd: then
 * /proc/PID/exe is that memfd, which cannot be written (F_SEAL_WRITE) and is not the host file.
 * The copy costs one sendfile of the binary and one execve, paid only by create, run and exec. */
#include "config.h"
#include "cloned_binary.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

#define FALLBACK_FD_ENV "_OCIRT_CLONED_FD"

/* After the execve fallback: close the memfd we were exec'd from (only if it is such a sealed fd),
 * so no container process inherits it. */
static void close_fallback_fd(void)
{
  const char *v = getenv(FALLBACK_FD_ENV);
  if (v == NULL)
    return;
  int64_t fd;
  if (parse_int64(v, &fd) == 0 && fd > 2 && fd < 1 << 20) {
    int seals = fcntl((int) fd, F_GET_SEALS);
    if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS)
      close((int) fd);
  }
  unsetenv(FALLBACK_FD_ENV);
}

int cloned_binary_ensure(char **argv, ocirt_error *err)
{
  cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return error_set(err, errno, "open /proc/self/exe");
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS) {
    close_fallback_fd();
    return 0;
  }

  /* Kernels with vm.memfd_noexec want MFD_EXEC said out loud; older ones do not know the flag. */
  cleanup_close int copy = memfd_create("ocirt", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (copy < 0 && errno == EINVAL)
    copy = memfd_create("ocirt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (copy < 0)
    return error_set(err, errno, "memfd_create");
  struct stat st;
  if (fstat(exe, &st) < 0)
    return error_set(err, errno, "stat /proc/self/exe");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(copy, exe, NULL, (size_t) (st.st_size - done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return error_set(err, n < 0 ? errno : EIO, "copy /proc/self/exe to a memfd");
    done += n;
  }
  if (fcntl(copy, F_ADD_SEALS, REQUIRED_SEALS) < 0)
    return error_set(err, errno, "seal the memfd copy of ocirt");
  syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
  int saved = errno;
  /* Where execveat with an empty path is not supported (valgrind says ENOENT), exec the same memfd
   * by its /proc/self/fd path.  The fd must then survive the exec (a launcher such as valgrind's
   * opens that path again after it), so the copy is told its number and closes it. */
  char path[64], num[16];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", copy);
  snprintf(num, sizeof(num), "%d", copy);
  if (fcntl(copy, F_SETFD, 0) == 0 && setenv(FALLBACK_FD_ENV, num, 1) == 0) {
    execve(path, argv, environ);
    unsetenv(FALLBACK_FD_ENV);
  }
  return error_set(err, saved, "re-execute ocirt from its sealed copy");
}
