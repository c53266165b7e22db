#include "config.h"
#include "rootfs.h"
#include "label.h"
#include "cgroup.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* ---- mount options: one table --------------------------------------------------------------- */

static const struct {
  const char *name;
  bool clear; /* the option turns the flag off */
  unsigned long flag;
} mount_flag_table[] = {
  { "ro", false, MS_RDONLY },         { "rw", true, MS_RDONLY },
  { "nosuid", false, MS_NOSUID },     { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV },       { "dev", true, MS_NODEV },
  { "noexec", false, MS_NOEXEC },     { "exec", true, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS },  { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC },   { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK },     { "nomand", true, MS_MANDLOCK },
  { "noatime", false, MS_NOATIME },   { "atime", true, MS_NOATIME },
  { "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
  { "silent", false, MS_SILENT },     { "loud", true, MS_SILENT },
};

static const struct {
  const char *name;
  unsigned long flag;
} propagation_table[] = {
  { "private", MS_PRIVATE },   { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },     { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },       { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

unsigned long propagation_flag(const char *name)
{
  for (size_t i = 0; i < COUNT(propagation_table); i++)
    if (strcmp(name, propagation_table[i].name) == 0)
      return propagation_table[i].flag;
  return 0;
}

void mount_options_parse(char **options, size_t n, mount_options *out)
{
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < n; i++) {
    const char *o = options[i];
    bool known = false;
    for (size_t j = 0; j < COUNT(mount_flag_table) && !known; j++)
      if (strcmp(o, mount_flag_table[j].name) == 0) {
        known = true;
        if (mount_flag_table[j].clear)
          out->flags &= ~mount_flag_table[j].flag;
        else
          out->flags |= mount_flag_table[j].flag;
      }
    if (known)
      continue;
    unsigned long prop = propagation_flag(o);
    if (prop) {
      out->propagation = prop;
      continue;
    }
    if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
      out->bind = true;
      out->recursive = out->recursive || o[0] == 'r';
      continue;
    }
    if (strcmp(o, "tmpcopyup") == 0 || strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0)
      continue; /* handled elsewhere, never passed to the kernel as data */
    char *data = xasprintf("%s%s%s", out->data ? out->data : "", out->data ? "," : "", o);
    free(out->data);
    out->data = data;
  }
}

/* ---- resolving inside the rootfs ------------------------------------------------------------- */

static int open_in_root(int root_fd, const char *path, int flags, unsigned long long extra_resolve)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
  };
  for (int attempt = 0; attempt < 32; attempt++) {
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
      return (int) fd;
  }
  return -1;
}

typedef enum { CREATE_NONE, CREATE_DIR, CREATE_FILE } create_kind;

/* Open `path` inside the rootfs as O_PATH, creating missing folders (and the last component as a
 * folder or an empty file).  Each step is resolved from the rootfs again, so a symlink anywhere on
 * the way is followed as the container would see it: it can never leave the rootfs. */
static int open_or_create_in_root(int root_fd, const char *path, create_kind kind, unsigned long long extra,
                                  ocirt_error *err)
{
  int fd = open_in_root(root_fd, path, O_PATH, extra);
  if (fd >= 0 || errno != ENOENT || kind == CREATE_NONE) {
    if (fd < 0)
      return error_set(err, errno, "open `%s` in the rootfs", path);
    return fd;
  }
  cleanup_free char *prefix = xstrdup(path);
  size_t len = strlen(prefix);
  for (size_t i = 1; i <= len; i++) {
    if (prefix[i] != '/' && prefix[i] != '\0')
      continue;
    bool last = prefix[i] == '\0' || prefix[i + strspn(prefix + i, "/")] == '\0';
    char saved = prefix[i];
    prefix[i] = '\0';
    cleanup_close int step = open_in_root(root_fd, prefix, O_PATH, 0);
    if (step < 0 && errno == ENOENT) {
      char *slash = strrchr(prefix, '/');
      *slash = '\0';
      cleanup_close int parent = open_in_root(root_fd, *prefix ? prefix : "/", O_PATH | O_DIRECTORY, 0);
      *slash = '/';
      if (parent < 0)
        return error_set(err, errno, "open the parent of `%s` in the rootfs", prefix);
      int r;
      if (last && kind == CREATE_FILE) {
        r = openat(parent, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0)
          close(r);
      } else
        r = mkdirat(parent, slash + 1, 0755);
      if (r < 0 && errno != EEXIST)
        return error_set(err, errno, "create `%s` in the rootfs", prefix);
    } else if (step < 0)
      return error_set(err, errno, "open `%s` in the rootfs", prefix);
    prefix[i] = saved;
    if (last)
      break;
  }
  fd = open_in_root(root_fd, path, O_PATH, extra);
  if (fd < 0)
    return error_set(err, errno, "open `%s` in the rootfs", path);
  return fd;
}

int rootfs_mkdir_in_root(int root_fd, const char *path, ocirt_error *err)
{
  int fd = open_or_create_in_root(root_fd, path, CREATE_DIR, 0, err);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

#define FD_PATH(buf, fd) (snprintf((buf), sizeof(buf), "/proc/self/fd/%d", (fd)), (buf))

/* ---- one mount ------------------------------------------------------------------------------- */

/* A bind mount keeps the flags a user namespace locked (nosuid, nodev, noexec, atime): a remount
 * must repeat them or the kernel says EPERM. */
static unsigned long locked_flags(const char *path)
{
  static const struct {
    unsigned long st, ms;
  } map[] = { { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
              { ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME } };
  struct statvfs sv;
  unsigned long flags = 0;
  if (statvfs(path, &sv) < 0)
    return 0;
  for (size_t i = 0; i < COUNT(map); i++)
    if (sv.f_flag & map[i].st)
      flags |= map[i].ms;
  return flags;
}

static int remount_path(const char *path, unsigned long flags)
{
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return -1;
  return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags | locked_flags(path), NULL);
}

/* Bind-mounted or remounted flags need a second mount(2) call on the new mount, which must be
 * opened again: the old fd still points beneath it. */
static int remount_flags(int root_fd, const char *dest, unsigned long flags, unsigned long propagation,
                         ocirt_error *err)
{
  char buf[64];
  cleanup_close int fd = open_in_root(root_fd, dest, O_PATH, 0);
  if (fd < 0)
    return error_set(err, errno, "open `%s` in the rootfs", dest);
  unsigned long keep = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME
                                | MS_RELATIME | MS_STRICTATIME);
  if (keep && remount_path(FD_PATH(buf, fd), keep) < 0)
    return error_set(err, errno, "remount `%s`", dest);
  if (propagation && mount(NULL, FD_PATH(buf, fd), NULL, propagation, NULL) < 0)
    return error_set(err, errno, "set propagation of `%s`", dest);
  return 0;
}

static int mount_cgroup(rootfs_context *ctx, const oci_mount *m, const mount_options *opts, int dest_fd,
                        ocirt_error *err)
{
  const cgroup_hierarchy *hs;
  size_t n;
  cgroup_mode mode;
  char buf[64];
  if (cgroup_hierarchies(&hs, &n, &mode, err) < 0)
    return -1;
  unsigned long ro = opts->flags & MS_RDONLY;
  unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (mode == CGROUP_MODE_UNIFIED) {
    if (ctx->cgroup_ns) {
      if (mount("cgroup2", FD_PATH(buf, dest_fd), "cgroup2", base | opts->flags, NULL) < 0)
        return error_set(err, errno, "mount cgroup2");
      return 0;
    }
    cleanup_free char *src = xasprintf("%s/%s", hs[0].mountpoint, ctx->cgroup_path);
    if (mount(src, FD_PATH(buf, dest_fd), NULL, MS_BIND | MS_REC, NULL) < 0)
      return error_set(err, errno, "bind `%s`", src);
    return remount_flags(ctx->root_fd, m->destination, base | opts->flags, 0, err);
  }
  /* v1 (or hybrid): a tmpfs with the container's own cgroup of each hierarchy bound in it. */
  if (mount("tmpfs", FD_PATH(buf, dest_fd), "tmpfs", base, "mode=755") < 0)
    return error_set(err, errno, "mount tmpfs");
  for (size_t i = 0; i < n; i++) {
    if (hs[i].unified)
      continue;
    const char *name = strncmp(hs[i].name, "name=", 5) == 0 ? hs[i].name + 5 : hs[i].name;
    cleanup_free char *sub = xasprintf("%s/%s", m->destination, name);
    cleanup_free char *src = xasprintf("%s/%s", hs[i].mountpoint, ctx->cgroup_path);
    cleanup_close int sub_fd = open_or_create_in_root(ctx->root_fd, sub, CREATE_DIR, 0, err);
    if (sub_fd < 0)
      return -1;
    if (mount(src, FD_PATH(buf, sub_fd), NULL, MS_BIND, NULL) < 0)
      return error_set(err, errno, "bind `%s` on `%s`", src, sub);
    if (remount_flags(ctx->root_fd, sub, base | ro, 0, err) < 0)
      return -1;
  }
  return remount_flags(ctx->root_fd, m->destination, base | ro, 0, err);
}

static int mount_one(rootfs_context *ctx, const oci_mount *m, ocirt_error *err)
{
  mount_options opts;
  char src_buf[64], dst_buf[64];
  mount_options_parse(m->options, m->options_len, &opts);
  cleanup_free char *data = opts.data;
  const char *type = m->type ? m->type : "";
  bool bind = opts.bind || strcmp(type, "bind") == 0;
  cleanup_close int src_fd = -1;
  create_kind kind = CREATE_DIR;

  if (bind) {
    if (m->source == NULL)
      return error_set(err, 0, "a bind mount needs a source");
    src_fd = open(m->source, O_PATH | O_CLOEXEC);
    if (src_fd < 0)
      return error_set(err, errno, "open source `%s`", m->source);
    struct stat st;
    if (fstat(src_fd, &st) < 0)
      return error_set(err, errno, "stat source `%s`", m->source);
    if (!S_ISDIR(st.st_mode))
      kind = CREATE_FILE;
  }
  /* proc and sysfs must land on a real folder of the rootfs, never through a symlink that the image
   * put there (CVE-2023-27561 and friends). */
  unsigned long long extra = 0;
  if (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0)
    extra = RESOLVE_NO_SYMLINKS;
  cleanup_close int dest_fd = open_or_create_in_root(ctx->root_fd, m->destination, kind, extra, err);
  if (dest_fd < 0) {
    if (extra && err->errno_value == ELOOP)
      return error_set(err, 0, "`%s` in the rootfs is a symlink: refused for a %s mount", m->destination, type);
    return -1;
  }

  if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
    return mount_cgroup(ctx, m, &opts, dest_fd, err);

  if (bind) {
    unsigned long flags = MS_BIND | (opts.recursive ? MS_REC : 0);
    if (mount(FD_PATH(src_buf, src_fd), FD_PATH(dst_buf, dest_fd), NULL, flags, NULL) < 0)
      return error_set(err, errno, "bind");
    unsigned long rest = opts.flags & ~MS_REMOUNT;
    if (rest || opts.propagation)
      return remount_flags(ctx->root_fd, m->destination, rest, opts.propagation, err);
    return 0;
  }
  const char *source = m->source ? m->source : type;
  cleanup_free char *labeled = label_mount_data(type, data, ctx->spec->linux_ ? ctx->spec->linux_->mount_label : NULL);
  if (mount(source, FD_PATH(dst_buf, dest_fd), type, opts.flags, labeled ? labeled : data) < 0)
    return error_set(err, errno, "mount");
  if (opts.propagation)
    return remount_flags(ctx->root_fd, m->destination, 0, opts.propagation, err);
  return 0;
}

/* ---- /dev ------------------------------------------------------------------------------------ */

static const struct {
  const char *name;
  unsigned major, minor;
} default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
  const char *target, *name;
} default_links[] = {
  { "/proc/self/fd", "fd" },    { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
};

/* mknod, or when that is not allowed (a user namespace), bind the host's node over an empty file. */
static int make_device(int dev_fd, const char *name, mode_t type, unsigned major, unsigned minor, mode_t mode,
                       uid_t uid, gid_t gid, ocirt_error *err)
{
  if (mknodat(dev_fd, name, type | mode, makedev(major, minor)) == 0) {
    if (fchownat(dev_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
      return error_set(err, errno, "chown /dev/%s", name);
    return 0;
  }
  if (errno == EEXIST)
    return 0;
  if (errno != EPERM)
    return error_set(err, errno, "mknod /dev/%s", name);
  cleanup_close int fd = openat(dev_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return error_set(err, errno, "create /dev/%s", name);
  cleanup_free char *host = xasprintf("/dev/%s", name);
  char buf[64];
  if (mount(host, FD_PATH(buf, fd), NULL, MS_BIND, NULL) < 0)
    return error_set(err, errno, "bind `%s`", host);
  return 0;
}

static int setup_dev(rootfs_context *ctx, ocirt_error *err)
{
  cleanup_close int dev_fd = open_in_root(ctx->root_fd, "/dev", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  if (dev_fd < 0)
    return error_set(err, errno, "open /dev in the rootfs");
  for (size_t i = 0; i < COUNT(default_devices); i++)
    if (make_device(dev_fd, default_devices[i].name, S_IFCHR, default_devices[i].major, default_devices[i].minor,
                    0666, 0, 0, err)
        < 0)
      return -1;
  for (size_t i = 0; i < COUNT(default_links); i++) {
    if (symlinkat(default_links[i].target, dev_fd, default_links[i].name) < 0 && errno != EEXIST)
      return error_set(err, errno, "symlink /dev/%s", default_links[i].name);
  }
  const oci_linux *linux_ = ctx->spec->linux_;
  for (size_t i = 0; linux_ && i < linux_->devices_len; i++) {
    const oci_device *d = linux_->devices[i];
    mode_t type = d->type[0] == 'b' ? S_IFBLK : d->type[0] == 'p' ? S_IFIFO : S_IFCHR;
    const char *name = d->path + strlen("/dev/");
    if (strchr(name, '/')) {
      cleanup_free char *dir = xstrdup(d->path);
      *strrchr(dir, '/') = '\0';
      if (rootfs_mkdir_in_root(ctx->root_fd, dir, err) < 0)
        return -1;
    }
    mode_t mode = d->has_file_mode ? (mode_t) (d->file_mode & 07777) : 0666;
    if (make_device(dev_fd, name, type, (unsigned) d->major, (unsigned) d->minor, mode,
                    d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err)
        < 0)
      return error_wrap(err, ".linux.devices[%zu]", i);
  }
  return 0;
}

/* ---- the whole rootfs ------------------------------------------------------------------------ */

int rootfs_prepare(rootfs_context *ctx, ocirt_error *err)
{
  const oci_spec *spec = ctx->spec;
  const char *prop_name = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
  /* Host mounts reach the container, nothing of the container reaches the host: rslave unless the
   * config asks for another propagation (applied to the container's / after pivot_root). */
  unsigned long host_prop = MS_SLAVE | MS_REC;
  if (prop_name && (propagation_flag(prop_name) & MS_PRIVATE))
    host_prop = MS_PRIVATE | MS_REC;
  if (mount(NULL, "/", NULL, host_prop, NULL) < 0)
    return error_set(err, errno, "make / %s", host_prop & MS_PRIVATE ? "rprivate" : "rslave");
  if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return error_set(err, errno, "bind the rootfs `%s`", ctx->rootfs);
  ctx->root_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx->root_fd < 0)
    return error_set(err, errno, "open the rootfs `%s`", ctx->rootfs);

  bool dev_mounted = false;
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const oci_mount *m = spec->mounts[i];
    if (mount_one(ctx, m, err) < 0)
      return error_wrap(err, "mount `%s` on `%s`", m->source ? m->source : (m->type ? m->type : "none"),
                        m->destination);
    if (strcmp(m->destination, "/dev") == 0)
      dev_mounted = true;
  }
  if (dev_mounted && setup_dev(ctx, err) < 0)
    return error_wrap(err, "set up /dev");
  return 0;
}

/* The host's /dev/null, checked to really be the null device before it is bound anywhere. */
static int open_dev_null(ocirt_error *err)
{
  int fd = open("/dev/null", O_PATH | O_CLOEXEC);
  struct stat st;
  if (fd < 0)
    return error_set(err, errno, "open /dev/null");
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
    close(fd);
    return error_set(err, 0, "/dev/null is not the null device");
  }
  return fd;
}

int rootfs_mask_paths(rootfs_context *ctx, ocirt_error *err)
{
  const oci_linux *linux_ = ctx->spec->linux_;
  char buf[64], null_buf[64];
  if (linux_ == NULL)
    return 0;
  cleanup_close int null_fd = -1;
  for (size_t i = 0; i < linux_->masked_paths_len; i++) {
    const char *path = linux_->masked_paths[i];
    cleanup_close int fd = open_in_root(ctx->root_fd, path, O_PATH, RESOLVE_NO_SYMLINKS);
    if (fd < 0) {
      if (errno == ENOENT)
        continue; /* nothing to hide */
      return error_set(err, errno, "mask `%s`", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
      return error_set(err, errno, "mask `%s`", path);
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", FD_PATH(buf, fd), "tmpfs", MS_RDONLY, "size=0k") < 0)
        return error_set(err, errno, "mask `%s`", path);
      continue;
    }
    if (null_fd < 0 && (null_fd = open_dev_null(err)) < 0)
      return -1;
    if (mount(FD_PATH(null_buf, null_fd), FD_PATH(buf, fd), NULL, MS_BIND, NULL) < 0)
      return error_set(err, errno, "mask `%s`", path);
  }
  for (size_t i = 0; i < linux_->readonly_paths_len; i++) {
    const char *path = linux_->readonly_paths[i];
    cleanup_close int fd = open_in_root(ctx->root_fd, path, O_PATH, RESOLVE_NO_SYMLINKS);
    if (fd < 0) {
      if (errno == ENOENT)
        continue;
      return error_set(err, errno, "make `%s` read-only", path);
    }
    if (mount(FD_PATH(buf, fd), FD_PATH(buf, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
      return error_set(err, errno, "make `%s` read-only", path);
    if (remount_flags(ctx->root_fd, path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, err) < 0)
      return error_wrap(err, "make `%s` read-only", path);
  }
  return 0;
}

int rootfs_pivot(rootfs_context *ctx, bool no_pivot, ocirt_error *err)
{
  if (fchdir(ctx->root_fd) < 0)
    return error_set(err, errno, "chdir to the rootfs");
  if (no_pivot) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
      return error_set(err, errno, "move the rootfs to /");
    if (chroot(".") < 0)
      return error_set(err, errno, "chroot");
  } else {
    /* pivot_root(".", ".") stacks the old root on top of the new one; detach it right away. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
      return error_set(err, errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
      return error_set(err, errno, "detach the old root");
  }
  if (chdir("/") < 0)
    return error_set(err, errno, "chdir /");
  close(ctx->root_fd);
  ctx->root_fd = -1;
  const oci_spec *spec = ctx->spec;
  if (spec->root->readonly && remount_path("/", MS_RDONLY) < 0)
    return error_set(err, errno, "make the rootfs read-only");
  const char *prop_name = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
  if (prop_name && mount(NULL, "/", NULL, propagation_flag(prop_name), NULL) < 0)
    return error_set(err, errno, "set rootfs propagation `%s`", prop_name);
  return 0;
}
