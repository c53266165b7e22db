#include "config.h"
#include "label.h"
#include "procfs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define SELINUX_MAGIC 0xf97cff8c

bool
label_apparmor_enabled(void)
{
  struct stat st;
  if (stat("/sys/kernel/security/apparmor", &st) < 0 || !S_ISDIR(st.st_mode))
    return false;
  char buf[4] = "";
  cleanup_close int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && buf[0] == 'Y';
}

bool
label_selinux_enabled(void)
{
  struct statfs sf;
  return statfs("/sys/fs/selinux", &sf) == 0 && (unsigned long)sf.f_type == SELINUX_MAGIC;
}

static bool
set(const char *s)
{
  return s && s[0];
}

int
label_check_process(const oci_process *p, const char *where, ocirt_error *err)
{
  if (set(p->apparmor_profile) && !label_apparmor_enabled())
    return error_set(
        err, 0, "config.json: %s.apparmorProfile: \"%s\" asked, but AppArmor is not enabled on this host",
        where, p->apparmor_profile);
  if (set(p->selinux_label) && !label_selinux_enabled())
    return error_set(err, 0,
                     "config.json: %s.selinuxLabel: \"%s\" asked, but SELinux is not enabled on this host",
                     where, p->selinux_label);
  return 0;
}

int
label_check_mount(const char *mount_label, ocirt_error *err)
{
  if (set(mount_label) && !label_selinux_enabled())
    return error_set(err, 0,
                     "config.json: .linux.mountLabel: \"%s\" asked, but SELinux is not enabled on this host",
                     mount_label);
  return 0;
}

/* The attr file of this thread, preferring AppArmor's own folder (kernels with LSM stacking). */
static int
open_attr(const char *const *paths, size_t n, const char *field, ocirt_error *err)
{
  for (size_t i = 0; i < n; i++) {
    /* through ocirt's own verified procfs: nothing mounted over /proc can catch the write
     * (CVE-2019-16884, CVE-2025-52881) */
    int fd = procfs_open(paths[i], O_WRONLY, err);
    if (fd >= 0)
      return fd;
    if (err->errno_value != ENOENT || i + 1 == n)
      return error_wrap(err, "config.json: %s", field);
    error_clear(err);
  }
  return error_set(err, ENOENT, "config.json: %s", field);
}

int
label_exec_open(const oci_process *p, label_exec *l, ocirt_error *err)
{
  static const char *const apparmor[]
      = { "thread-self/attr/apparmor/exec", "thread-self/attr/exec" };
  static const char *const selinux[] = { "thread-self/attr/exec" };
  if (set(p->apparmor_profile)) {
    l->apparmor_fd = open_attr(apparmor, 2, ".process.apparmorProfile", err);
    if (l->apparmor_fd < 0)
      return -1;
  }
  if (set(p->selinux_label)) {
    l->selinux_fd = open_attr(selinux, 1, ".process.selinuxLabel", err);
    if (l->selinux_fd < 0)
      return -1;
  }
  return 0;
}

int
label_apparmor_probe(const oci_process *p, ocirt_error *err)
{
  static const char *const current[]
      = { "thread-self/attr/apparmor/current", "thread-self/attr/current" };
  if (!set(p->apparmor_profile))
    return 0;
  cleanup_close int fd = open_attr(current, 2, ".process.apparmorProfile", err);
  if (fd < 0)
    return -1;
  /* "permprofile" asks whether we could change to the profile, and changes nothing */
  cleanup_free char *cmd = xasprintf("permprofile %s", p->apparmor_profile);
  if (write_all(fd, cmd, strlen(cmd)) == 0)
    return 0;
  if (errno == ENOENT)
    return error_set(err, 0, "config.json: .process.apparmorProfile: no AppArmor profile \"%s\" is loaded",
                     p->apparmor_profile);
  return error_set(err, errno, "config.json: .process.apparmorProfile: \"%s\"", p->apparmor_profile);
}

int
label_exec_apply(label_exec *l, const oci_process *p, ocirt_error *err)
{
  int ret = 0;
  if (l->apparmor_fd >= 0) {
    /* AppArmor's command language: "exec PROFILE" switches at the next execve. */
    cleanup_free char *cmd = xasprintf("exec %s", p->apparmor_profile);
    if (write_all(l->apparmor_fd, cmd, strlen(cmd)) < 0)
      ret = error_set(err, errno, "config.json: .process.apparmorProfile: apply \"%s\"", p->apparmor_profile);
  }
  if (ret == 0 && l->selinux_fd >= 0
      && write_all(l->selinux_fd, p->selinux_label, strlen(p->selinux_label)) < 0)
    ret = error_set(err, errno, "config.json: .process.selinuxLabel: apply \"%s\"", p->selinux_label);
  label_exec_close(l);
  return ret;
}

void
label_exec_close(label_exec *l)
{
  if (l->apparmor_fd >= 0)
    close(l->apparmor_fd);
  if (l->selinux_fd >= 0)
    close(l->selinux_fd);
  l->apparmor_fd = l->selinux_fd = -1;
}

char *
label_mount_data(const char *type, const char *data, const char *mount_label)
{
  static const char *const unlabeled[] = { "proc", "sysfs", "mqueue", "cgroup", "cgroup2" };
  if (!set(mount_label) || type == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof(unlabeled) / sizeof(unlabeled[0]); i++)
    if (strcmp(type, unlabeled[i]) == 0)
      return NULL;
  if (data && strstr(data, "context="))
    return NULL; /* the config chose its own context */
  return xasprintf("%s%scontext=\"%s\"", data && data[0] ? data : "", data && data[0] ? "," : "",
                   mount_label);
}
