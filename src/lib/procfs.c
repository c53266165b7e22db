#include "config.h"
#include "procfs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cached_fd = -1;

static bool is_procfs(int fd)
{
  struct statfs st;
  return fstatfs(fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

/* A private procfs instance: nobody else has it, so nobody can mount over its files. */
static int fresh_procfs(void)
{
  int fs = (int) syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return -1;
  int mnt = -1;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  close(fs);
  return mnt;
}

int procfs_handle(ocirt_error *err)
{
  if (cached_fd >= 0)
    return cached_fd;
  int fd = fresh_procfs();
  if (fd < 0) /* no new mount API, or not allowed: the /proc we see, if it is procfs's root */
    fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open procfs");
  struct stat st;
  if (!is_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != 1) { /* procfs's root has inode 1 */
    close(fd);
    return error_set(err, EXDEV, "/proc is not a procfs root");
  }
  cached_fd = fd;
  return fd;
}

void procfs_handle_reset(void)
{
  if (cached_fd >= 0)
    close(cached_fd);
  cached_fd = -1;
}

int procfs_open(const char *path, int flags, ocirt_error *err)
{
  int root = procfs_handle(err);
  if (root < 0)
    return -1;
  /* "self" and "thread-self" are symlinks: read what they point to in *this* procfs (the pid as
   * its pid namespace numbers it), so nothing needs following. */
  char resolved[4096];
  const char *rest = path;
  if (strncmp(path, "self/", 5) == 0 || strncmp(path, "thread-self/", 12) == 0) {
    const char *slash = strchr(path, '/');
    char link[16], target[64];
    snprintf(link, sizeof(link), "%.*s", (int) (slash - path), path);
    ssize_t n = readlinkat(root, link, target, sizeof(target) - 1);
    if (n <= 0)
      return error_set(err, n < 0 ? errno : ENOENT, "/proc/%s: this procfs does not show us", link);
    target[n] = '\0';
    snprintf(resolved, sizeof(resolved), "%s/%s", target, slash + 1);
    rest = resolved;
  }
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_CLOEXEC | O_NOFOLLOW),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int) syscall(SYS_openat2, root, rest, &how, sizeof(how));
  if (fd < 0)
    return error_set(err, errno, "open /proc/%s", path);
  if (!is_procfs(fd)) {
    close(fd);
    return error_set(err, EXDEV, "/proc/%s is not on procfs", path);
  }
  return fd;
}

int procfs_write(const char *path, const char *data, ocirt_error *err)
{
  cleanup_close int fd = procfs_open(path, O_WRONLY, err);
  if (fd < 0)
    return -1;
  size_t len = strlen(data);
  ssize_t n = TEMP_FAILURE_RETRY(write(fd, data, len));
  if (n < 0 || (size_t) n != len)
    return error_set(err, n < 0 ? errno : EIO, "write /proc/%s", path);
  return 0;
}
