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

int cloned_binary_ensure(char **argv, ocirt_error *err)
{
  cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    return error_set(err, errno, "open /proc/self/exe");
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS)
    return 0;

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
  return error_set(err, errno, "re-execute ocirt from its sealed copy");
}
