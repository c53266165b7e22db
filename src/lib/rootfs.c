#include "config.h"
#include "rootfs.h"
#include "label.h"
#include "cgroup.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* ---- mount options: one table each ------------------------------------------------------------ */

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
  { "lazytime", false, MS_LAZYTIME }, { "nolazytime", true, MS_LAZYTIME },
  { "nosymfollow", false, MS_NOSYMFOLLOW }, { "symfollow", true, MS_NOSYMFOLLOW },
  { "silent", false, MS_SILENT },     { "loud", true, MS_SILENT },
};

/* Recursive forms, applied to the whole mounted tree with mount_setattr(AT_RECURSIVE).  An atime
 * mode replaces the others, so it clears the whole MOUNT_ATTR__ATIME field. */
static const struct {
  const char *name;
  uint64_t set, clr;
} recursive_attr_table[] = {
  { "rro", MOUNT_ATTR_RDONLY, 0 },
  { "rrw", 0, MOUNT_ATTR_RDONLY },
  { "rnosuid", MOUNT_ATTR_NOSUID, 0 },
  { "rsuid", 0, MOUNT_ATTR_NOSUID },
  { "rnodev", MOUNT_ATTR_NODEV, 0 },
  { "rdev", 0, MOUNT_ATTR_NODEV },
  { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
  { "rexec", 0, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
  { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 },
  { "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
  { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
  { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
  /* the "no" forms go back to the kernel's default mode, relatime (strictatime for norelatime) */
  { "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  { "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  { "rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
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

/* Options the runtime itself acts on, never passed to the kernel: bind and rbind (the kind of
 * mount), and those of the table below. */
static const char *const runtime_options[] = { "bind", "rbind" };

/* Runtime options that choose a value of mount_options: the last one given wins. */
static const struct {
  const char *name;
  size_t field; /* an int of mount_options */
  int value;
} runtime_choice_table[] = {
  { "tmpcopyup", offsetof(mount_options, tmpcopyup), 1 },
  { "notmpcopyup", offsetof(mount_options, tmpcopyup), 0 },
  { "idmap", offsetof(mount_options, idmap), MOUNT_IDMAP_TOP },
  { "ridmap", offsetof(mount_options, idmap), MOUNT_IDMAP_RECURSIVE },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

unsigned long propagation_flag(const char *name)
{
  for (size_t i = 0; i < COUNT(propagation_table); i++)
    if (strcmp(name, propagation_table[i].name) == 0)
      return propagation_table[i].flag;
  return 0;
}

bool mount_option_known(const char *o)
{
  for (size_t j = 0; j < COUNT(mount_flag_table); j++)
    if (strcmp(o, mount_flag_table[j].name) == 0)
      return true;
  for (size_t j = 0; j < COUNT(recursive_attr_table); j++)
    if (strcmp(o, recursive_attr_table[j].name) == 0)
      return true;
  for (size_t j = 0; j < COUNT(runtime_options); j++)
    if (strcmp(o, runtime_options[j]) == 0)
      return true;
  for (size_t j = 0; j < COUNT(runtime_choice_table); j++)
    if (strcmp(o, runtime_choice_table[j].name) == 0)
      return true;
  return propagation_flag(o) != 0;
}

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

static bool parse_flag(const char *o, mount_options *out)
{
  for (size_t j = 0; j < COUNT(mount_flag_table); j++)
    if (strcmp(o, mount_flag_table[j].name) == 0) {
      unsigned long flag = mount_flag_table[j].flag;
      if (mount_flag_table[j].clear)
        out->flags &= ~flag;
      else if (flag & ATIME_FLAGS)
        out->flags = (out->flags & ~ATIME_FLAGS) | flag; /* one atime mode: the last one given */
      else
        out->flags |= flag;
      return true;
    }
  for (size_t j = 0; j < COUNT(recursive_attr_table); j++)
    if (strcmp(o, recursive_attr_table[j].name) == 0) {
      uint64_t set = recursive_attr_table[j].set, clr = recursive_attr_table[j].clr;
      if (clr & MOUNT_ATTR__ATIME)
        out->rec_set &= ~(uint64_t) MOUNT_ATTR__ATIME; /* the last atime mode wins */
      out->rec_set = (out->rec_set & ~clr) | set;
      out->rec_clr = (out->rec_clr & ~set) | clr;
      return true;
    }
  for (size_t j = 0; j < COUNT(runtime_choice_table); j++)
    if (strcmp(o, runtime_choice_table[j].name) == 0) {
      *(int *) ((char *) out + runtime_choice_table[j].field) = runtime_choice_table[j].value;
      return true;
    }
  return false;
}

void mount_options_parse(char **options, size_t n, mount_options *out)
{
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < n; i++) {
    const char *o = options[i];
    if (o[0] == '\0')
      continue; /* "" means nothing; passed on it would make ",," in the data */
    if (parse_flag(o, out))
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
    if (mount_option_known(o))
      continue; /* handled elsewhere, never passed to the kernel as data */
    char *data = xasprintf("%s%s%s", out->data ? out->data : "", out->data ? "," : "", o);
    free(out->data);
    out->data = data;
  }
}

/* ---- resolving inside the rootfs ------------------------------------------------------------- */

static int open_in_root(int root_fd, const char *path, int flags, unsigned long long extra_resolve)
{
  return openat_in_root(root_fd, path, flags, 0, extra_resolve);
}

typedef enum { CREATE_NONE, CREATE_DIR, CREATE_FILE } create_kind;

/* Make the first missing component of `cur` (which does not resolve in the rootfs), or, when that
 * component is a dangling symlink, replace `cur` by the path the symlink names.  Returns 0 to try
 * again, -1 on error. */
static int create_step(int root_fd, char **cur, create_kind kind, unsigned long long extra, ocirt_error *err)
{
  char *p = *cur;
  size_t len = strlen(p), i = 0;
  while (i < len) {
    size_t start = i + strspn(p + i, "/");
    if (start == len)
      break;
    size_t end = start + strcspn(p + start, "/");
    cleanup_free char *prefix = xasprintf("%.*s", (int) end, p);
    cleanup_close int step = open_in_root(root_fd, prefix, O_PATH | O_NOFOLLOW, extra);
    if (step >= 0) {
      struct stat st;
      if (fstat(step, &st) < 0)
        return error_set(err, errno, "stat `%s` in the rootfs", prefix);
      if (S_ISLNK(st.st_mode)) {
        /* A dangling symlink: go on from what it names, as the container would (in the rootfs). */
        char target[4096];
        ssize_t n = readlinkat(step, "", target, sizeof(target) - 1);
        if (n <= 0)
          return error_set(err, n < 0 ? errno : ENOENT, "read the symlink `%s` in the rootfs", prefix);
        target[n] = '\0';
        char *next = target[0] == '/' ? xasprintf("%s%s", target, p + end)
                                      : xasprintf("%.*s%s%s", (int) start, p, target, p + end);
        free(*cur);
        *cur = next;
        return 0;
      }
      i = end;
      continue;
    }
    if (errno != ENOENT)
      return error_set(err, errno, "open `%s` in the rootfs", prefix);
    cleanup_free char *parent_path = start ? xasprintf("%.*s", (int) start, p) : xstrdup("/");
    cleanup_close int parent = open_in_root(root_fd, parent_path, O_PATH | O_DIRECTORY, extra);
    if (parent < 0)
      return error_set(err, errno, "open `%s` in the rootfs", parent_path);
    bool last = p[end + strspn(p + end, "/")] == '\0';
    int r;
    if (last && kind == CREATE_FILE) {
      r = openat(parent, prefix + start, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (r >= 0)
        close(r);
    } else
      r = mkdirat(parent, prefix + start, 0755);
    if (r < 0 && errno != EEXIST)
      return error_set(err, errno, "create `%s` in the rootfs", prefix);
    return 0;
  }
  return 0; /* everything resolves now (a race): look again */
}

/* Open `path` inside the rootfs as O_PATH, creating what is missing: the folders on the way, and the
 * last component as a folder or an empty file.  Every lookup starts again from the rootfs with
 * RESOLVE_IN_ROOT, so `..` and symlinks, absolute or relative, dangling or not, are followed as the
 * container will see them: nothing made here can land outside the rootfs. */
static int open_or_create_in_root(int root_fd, const char *path, create_kind kind, unsigned long long extra,
                                  ocirt_error *err)
{
  cleanup_free char *cur = xstrdup(path);
  /* Each round makes one component or follows one symlink: bounded like the kernel's 40 links. */
  for (int round = 0; round < 256; round++) {
    int fd = open_in_root(root_fd, cur, O_PATH, extra);
    if (fd >= 0)
      return fd;
    if (errno != ENOENT || kind == CREATE_NONE)
      return error_set(err, errno, "open `%s` in the rootfs", path);
    if (create_step(root_fd, &cur, kind, extra, err) < 0)
      return -1;
  }
  return error_set(err, ELOOP, "create `%s` in the rootfs", path);
}

int rootfs_mkdir_in_root(int root_fd, const char *path, ocirt_error *err)
{
  int fd = open_or_create_in_root(root_fd, path, CREATE_DIR, 0, err);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

/* The folder that holds `path` in the rootfs (created when missing), and the last component's name. */
static int open_parent_in_root(int root_fd, const char *path, char **name, ocirt_error *err)
{
  cleanup_free char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL || slash[1] == '\0' || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
    return error_set(err, EINVAL, "`%s`: not a path to a file", path);
  *name = xstrdup(slash + 1);
  *slash = '\0';
  int fd = open_or_create_in_root(root_fd, *dir ? dir : "/", CREATE_DIR, 0, err);
  if (fd < 0) {
    free(*name);
    *name = NULL;
  }
  return fd;
}

#define FD_PATH(buf, fd) (snprintf((buf), sizeof(buf), "/proc/self/fd/%d", (fd)), (buf))

/* ---- tmpcopyup: a tmpfs starts with what it hides ---------------------------------------------- */

/* The image is not trusted: the walk goes by fd from the folder opened before the mount, never by
 * path, follows no symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), opens nothing that could block (a fifo
 * is made, never opened), and stops at a bounded depth. */
#define COPYUP_MAX_DEPTH 256

typedef struct {
  const char *dest; /* the mount's destination, for the messages */
  ocirt_error *err;
} copyup_ctx;

static int copyup_fail(copyup_ctx *c, int errno_value, const char *what, const char *rel)
{
  return error_set(c->err, errno_value, "tmpcopyup into `%s`: %s `%s`", c->dest, what, rel);
}

/* Owner, then mode (chown clears set-id bits), then times: what the original had.  An owner the
 * user namespace does not map (EINVAL) cannot be given: the copy keeps ours. */
static int copy_attrs(copyup_ctx *c, int dir, const char *name, const struct stat *st, const char *rel)
{
  if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
    return copyup_fail(c, errno, "chown", rel);
  if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
    return copyup_fail(c, errno, "chmod", rel);
  struct timespec times[2] = { st->st_atim, st->st_mtim };
  if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return copyup_fail(c, errno, "set the times of", rel);
  return 0;
}

static int copy_data(int in, int out)
{
  for (;;) {
    ssize_t n = sendfile(out, in, NULL, 1 << 20);
    if (n == 0)
      return 0;
    if (n > 0)
      continue;
    if (errno == EINTR)
      continue;
    if (errno != EINVAL && errno != ENOSYS)
      return -1;
    break; /* no sendfile for this file: read and write */
  }
  char buf[65536];
  for (;;) {
    ssize_t n = TEMP_FAILURE_RETRY(read(in, buf, sizeof(buf)));
    if (n <= 0)
      return (int) n;
    if (write_all(out, buf, (size_t) n) < 0)
      return -1;
  }
}

static int copy_regular(copyup_ctx *c, int src, int dst, const char *name, const struct stat *st,
                        const char *rel)
{
  /* O_NONBLOCK: swapped for a fifo since the stat, it must not block us; fstat tells. */
  cleanup_close int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat now;
  if (in < 0 || fstat(in, &now) < 0)
    return copyup_fail(c, errno, "open", rel);
  if (!S_ISREG(now.st_mode) || now.st_ino != st->st_ino || now.st_dev != st->st_dev)
    return copyup_fail(c, 0, "changed while copied:", rel);
  cleanup_close int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return copyup_fail(c, errno, "create", rel);
  if (copy_data(in, out) < 0)
    return copyup_fail(c, errno, "copy", rel);
  return copy_attrs(c, dst, name, st, rel);
}

static int copy_symlink(copyup_ctx *c, int src, int dst, const char *name, const struct stat *st,
                        const char *rel)
{
  char target[4096];
  ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
  if (n < 0)
    return copyup_fail(c, errno, "read the symlink", rel);
  target[n] = '\0';
  if (symlinkat(target, dst, name) < 0)
    return copyup_fail(c, errno, "create the symlink", rel);
  return copy_attrs(c, dst, name, st, rel);
}

/* Fifos, sockets, device nodes: made anew, as crun does.  A device node needs CAP_MKNOD in the
 * initial user namespace: in a container of its own user namespace it is left out. */
static int copy_special(copyup_ctx *c, int dst, const char *name, const struct stat *st, const char *rel)
{
  if (mknodat(dst, name, st->st_mode & S_IFMT, st->st_rdev) < 0) {
    if (errno == EPERM && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
      return 0;
    return copyup_fail(c, errno, "make", rel);
  }
  return copy_attrs(c, dst, name, st, rel);
}

static int copy_tree(copyup_ctx *c, int src, int dst, const char *rel, int depth);

static int copy_dir(copyup_ctx *c, int src, int dst, const char *name, const struct stat *st, const char *rel,
                    int depth)
{
  if (mkdirat(dst, name, 0700) < 0)
    return copyup_fail(c, errno, "create", rel);
  cleanup_close int sub_src = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub_src < 0)
    return copyup_fail(c, errno, "open", rel);
  cleanup_close int sub_dst = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub_dst < 0)
    return copyup_fail(c, errno, "open the copy of", rel);
  if (copy_tree(c, steal_fd(&sub_src), sub_dst, rel, depth + 1) < 0)
    return -1;
  return copy_attrs(c, dst, name, st, rel); /* last: the copies made inside changed its times */
}

static int copy_entry(copyup_ctx *c, int src, int dst, const char *name, const char *rel, int depth)
{
  struct stat st;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return copyup_fail(c, errno, "stat", rel);
  switch (st.st_mode & S_IFMT) {
  case S_IFDIR:
    return copy_dir(c, src, dst, name, &st, rel, depth);
  case S_IFREG:
    return copy_regular(c, src, dst, name, &st, rel);
  case S_IFLNK:
    return copy_symlink(c, src, dst, name, &st, rel);
  default:
    return copy_special(c, dst, name, &st, rel);
  }
}

/* Copy what the folder `src` (an fd this takes) holds into the folder `dst`. */
static int copy_tree(copyup_ctx *c, int src, int dst, const char *rel, int depth)
{
  if (depth > COPYUP_MAX_DEPTH) {
    close(src);
    return copyup_fail(c, ELOOP, "more than " STRINGIFY(COPYUP_MAX_DEPTH) " folders deep at", rel);
  }
  DIR *d = fdopendir(src);
  if (d == NULL) {
    close(src);
    return copyup_fail(c, errno, "read the folder", rel);
  }
  int r = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (e == NULL) {
      if (errno)
        r = copyup_fail(c, errno, "read the folder", rel);
      break;
    }
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    cleanup_free char *sub = xasprintf("%s/%s", rel, e->d_name);
    if ((r = copy_entry(c, dirfd(d), dst, e->d_name, sub, depth)) < 0)
      break;
  }
  closedir(d);
  return r;
}

/* The tmpfs just mounted on `dest` gets the content, owner and mode of the folder it hides (`hidden`,
 * opened before the mount).  An explicit mode= stays: the config said so. */
static int tmpfs_copyup(int root_fd, const char *dest, int hidden, bool keep_mode, ocirt_error *err)
{
  copyup_ctx c = { .dest = dest, .err = err };
  cleanup_close int top = open_in_root(root_fd, dest, O_RDONLY | O_DIRECTORY, 0);
  if (top < 0)
    return error_set(err, errno, "tmpcopyup: open the tmpfs on `%s`", dest);
  struct stat st;
  if (fstat(hidden, &st) < 0)
    return copyup_fail(&c, errno, "stat", ".");
  cleanup_close int src = openat(hidden, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return copyup_fail(&c, errno, "open", ".");
  if (copy_tree(&c, steal_fd(&src), top, ".", 0) < 0)
    return -1;
  if (fchown(top, st.st_uid, st.st_gid) < 0 && errno != EINVAL)
    return copyup_fail(&c, errno, "chown", ".");
  if (!keep_mode && fchmod(top, st.st_mode & 07777) < 0)
    return copyup_fail(&c, errno, "chmod", ".");
  return 0;
}

/* Whether the filesystem data has a mode= of its own. */
static bool data_has_mode(const char *data)
{
  for (const char *p = data; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
    if (strncmp(p, "mode=", 5) == 0)
      return true;
  return false;
}

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

/* The per-mount flags a bind remount can change (the others belong to the superblock, which a bind
 * mount shares with its source: they are not ours to change). */
#define BIND_REMOUNT_FLAGS                                                                                   \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME  \
   | MS_NOSYMFOLLOW)

/* What a mount gets after mount(2): flags for a bind (remount), the recursive attributes, the
 * propagation.  The destination is opened again: the old fd still points beneath the new mount. */
static int finish_mount(int root_fd, const char *dest, unsigned long flags, const mount_options *opts,
                        ocirt_error *err)
{
  char buf[64];
  unsigned long keep = flags & BIND_REMOUNT_FLAGS;
  if (keep == 0 && opts->rec_set == 0 && opts->rec_clr == 0 && opts->propagation == 0)
    return 0;
  cleanup_close int fd = open_in_root(root_fd, dest, O_PATH, 0);
  if (fd < 0)
    return error_set(err, errno, "open `%s` in the rootfs", dest);
  if (keep && remount_path(FD_PATH(buf, fd), keep) < 0)
    return error_set(err, errno, "remount `%s`", dest);
  if (opts->rec_set || opts->rec_clr) {
    struct mount_attr attr = { .attr_set = opts->rec_set, .attr_clr = opts->rec_clr };
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
      return error_set(err, errno, "set the recursive mount attributes of `%s`", dest);
  }
  if (opts->propagation && mount(NULL, FD_PATH(buf, fd), NULL, opts->propagation, NULL) < 0)
    return error_set(err, errno, "set propagation of `%s`", dest);
  return 0;
}

static int remount_flags(int root_fd, const char *dest, unsigned long flags, ocirt_error *err)
{
  mount_options none = { 0 };
  return finish_mount(root_fd, dest, flags, &none, err);
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
    if (ctx->cgroup_path == NULL)
      return 0; /* --cgroup-manager disabled: no cgroup of its own to show */
    cleanup_free char *src = xasprintf("%s/%s", hs[0].mountpoint, ctx->cgroup_path);
    if (mount(src, FD_PATH(buf, dest_fd), NULL, MS_BIND | MS_REC, NULL) < 0)
      return error_set(err, errno, "bind `%s`", src);
    return remount_flags(ctx->root_fd, m->destination, base | opts->flags, err);
  }
  /* v1 (or hybrid): a tmpfs with the container's own cgroup of each hierarchy bound in it.  With a
   * cgroup namespace its root is that same folder, so the binds show what the namespace shows. */
  if (mount("tmpfs", FD_PATH(buf, dest_fd), "tmpfs", base, "mode=755") < 0)
    return error_set(err, errno, "mount tmpfs");
  for (size_t i = 0; i < n; i++) {
    if (hs[i].unified || ctx->cgroup_path == NULL)
      continue;
    const char *name = strncmp(hs[i].name, "name=", 5) == 0 ? hs[i].name + 5 : hs[i].name;
    cleanup_free char *sub = xasprintf("%s/%s", m->destination, name);
    cleanup_free char *src = xasprintf("%s/%s", hs[i].mountpoint, ctx->cgroup_path);
    cleanup_close int sub_fd = open_or_create_in_root(ctx->root_fd, sub, CREATE_DIR, 0, err);
    if (sub_fd < 0)
      return -1;
    if (mount(src, FD_PATH(buf, sub_fd), NULL, MS_BIND, NULL) < 0)
      return error_set(err, errno, "bind `%s` on `%s`", src, sub);
    if (remount_flags(ctx->root_fd, sub, base | ro, err) < 0)
      return -1;
  }
  return remount_flags(ctx->root_fd, m->destination, base | ro, err);
}

/* Open a bind mount's source: a host path, absolute or relative to the bundle (the spec's rule). */
static int open_bind_source(rootfs_context *ctx, const char *source, ocirt_error *err)
{
  cleanup_free char *path = source[0] == '/' || ctx->bundle == NULL ? xstrdup(source)
                                                                     : xasprintf("%s/%s", ctx->bundle, source);
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open source `%s`", path);
  return fd;
}

static int mount_one(rootfs_context *ctx, size_t index, const oci_mount *m, ocirt_error *err)
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
    src_fd = open_bind_source(ctx, m->source, err);
    if (src_fd < 0)
      return -1;
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

  if (opts.idmap) {
    /* The parent made the idmapped tree, with the privileges over the source's filesystem that a
     * container in a user namespace no longer has (idmap.c): only the move is left here. */
    int tree = ctx->idmap_fds ? ctx->idmap_fds[index] : -1;
    if (!bind || tree < 0)
      return error_set(err, 0, ".mounts[%zu].options: idmap and ridmap are for bind mounts only", index);
    if (move_mount(tree, "", dest_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return error_set(err, errno, "move the idmapped mount");
    return finish_mount(ctx->root_fd, m->destination, opts.flags & ~MS_REMOUNT, &opts, err);
  }
  if (bind) {
    unsigned long flags = MS_BIND | (opts.recursive ? MS_REC : 0);
    if (mount(FD_PATH(src_buf, src_fd), FD_PATH(dst_buf, dest_fd), NULL, flags, NULL) < 0)
      return error_set(err, errno, "bind");
    return finish_mount(ctx->root_fd, m->destination, opts.flags & ~MS_REMOUNT, &opts, err);
  }
  /* tmpcopyup: the folder the tmpfs will hide, opened now (after the mount, its path is the tmpfs). */
  cleanup_close int hidden = -1;
  bool copyup = opts.tmpcopyup && strcmp(type, "tmpfs") == 0;
  if (copyup && (hidden = openat(dest_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return error_set(err, errno, "tmpcopyup: open `%s` in the rootfs", m->destination);
  const char *source = m->source ? m->source : type;
  cleanup_free char *labeled = label_mount_data(type, data, ctx->spec->linux_ ? ctx->spec->linux_->mount_label : NULL);
  if (mount(source, FD_PATH(dst_buf, dest_fd), type, opts.flags, labeled ? labeled : data) < 0) {
    /* Only the owner of the network namespace may mount sysfs: a container with a user namespace
     * of its own in a netns of the host's gets the host's /sys bound instead (as runc does). */
    if (errno == EPERM && strcmp(type, "sysfs") == 0) {
      if (mount("/sys", FD_PATH(dst_buf, dest_fd), NULL, MS_BIND | MS_REC, NULL) < 0)
        return error_set(err, errno, "bind /sys (sysfs: not the owner of the network namespace)");
      return finish_mount(ctx->root_fd, m->destination, opts.flags & ~MS_REMOUNT, &opts, err);
    }
    /* The kernel's EINVAL most often means it did not take an option: say which were passed on. */
    if (errno == EINVAL && data)
      return error_set(err, errno, ".mounts[%zu].options: the kernel refused the %s mount with data \"%s\"", index,
                       type, data);
    return error_set(err, errno, "mount");
  }
  if (copyup && tmpfs_copyup(ctx->root_fd, m->destination, hidden, data_has_mode(data), err) < 0)
    return -1;
  return finish_mount(ctx->root_fd, m->destination, 0, &opts, err);
}

/* ---- /dev ------------------------------------------------------------------------------------ */

static const struct {
  const char *path;
  unsigned major, minor;
} default_devices[] = {
  { "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
  const char *target, *name;
} default_links[] = {
  { "/proc/self/fd", "fd" },    { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
};

/* Make the node `path` (under /dev, resolved in the rootfs), replacing what is there: a device listed
 * in the config wins over a default one or the image's own file.  When mknod is not allowed (a user
 * namespace), bind the host's node of the same path over an empty file instead. */
static int make_device(int root_fd, const char *path, mode_t type, unsigned major, unsigned minor, mode_t mode,
                       uid_t uid, gid_t gid, ocirt_error *err)
{
  cleanup_free char *name = NULL;
  cleanup_close int dir = open_parent_in_root(root_fd, path, &name, err);
  if (dir < 0)
    return -1;
  if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove the existing `%s`", path);
  if (mknodat(dir, name, type | mode, makedev(major, minor)) == 0) {
    if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
      return error_set(err, errno, "chown `%s`", path);
    return 0;
  }
  if (errno != EPERM)
    return error_set(err, errno, "mknod `%s`", path);
  cleanup_close int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return error_set(err, errno, "create `%s`", path);
  char buf[64];
  if (mount(path, FD_PATH(buf, fd), NULL, MS_BIND, NULL) < 0)
    return error_set(err, errno, "bind `%s`", path);
  return 0;
}

static mode_t device_type(const char *type)
{
  static const struct {
    char name;
    mode_t type;
  } table[] = { { 'c', S_IFCHR }, { 'u', S_IFCHR }, { 'b', S_IFBLK }, { 'p', S_IFIFO } };
  for (size_t i = 0; i < COUNT(table); i++)
    if (type[0] == table[i].name)
      return table[i].type;
  return 0;
}

static int setup_dev(rootfs_context *ctx, ocirt_error *err)
{
  /* /dev itself must be a real folder of the rootfs: the links below are made relative to it. */
  cleanup_close int dev_fd = open_or_create_in_root(ctx->root_fd, "/dev", CREATE_DIR, RESOLVE_NO_SYMLINKS, err);
  if (dev_fd < 0)
    return -1;
  cleanup_close int dev_dir = openat(dev_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dev_dir < 0)
    return error_set(err, errno, "open /dev in the rootfs");
  for (size_t i = 0; i < COUNT(default_devices); i++)
    if (make_device(ctx->root_fd, default_devices[i].path, S_IFCHR, default_devices[i].major,
                    default_devices[i].minor, 0666, 0, 0, err)
        < 0)
      return -1;
  for (size_t i = 0; i < COUNT(default_links); i++) {
    if (symlinkat(default_links[i].target, dev_dir, default_links[i].name) < 0 && errno != EEXIST)
      return error_set(err, errno, "symlink /dev/%s", default_links[i].name);
  }
  const oci_linux *linux_ = ctx->spec->linux_;
  for (size_t i = 0; linux_ && i < linux_->devices_len; i++) {
    const oci_device *d = linux_->devices[i];
    mode_t mode = d->has_file_mode ? (mode_t) (d->file_mode & 07777) : 0666;
    if (make_device(ctx->root_fd, d->path, device_type(d->type), (unsigned) d->major, (unsigned) d->minor, mode,
                    d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err)
        < 0)
      return error_wrap(err, ".linux.devices[%zu]", i);
  }
  return 0;
}

/* ---- the whole rootfs ------------------------------------------------------------------------ */

/* Make the mount that holds `path` private, so the rootfs bind done beneath it neither propagates
 * to the host nor sits on a shared parent (which pivot_root refuses).  mount(2) says EINVAL for a
 * path that is not the root of a mount: walk up until one is. */
static int make_parent_mount_private(const char *path, ocirt_error *err)
{
  cleanup_free char *p = xstrdup(path);
  for (;;) {
    if (mount(NULL, p, NULL, MS_PRIVATE, NULL) == 0)
      return 0;
    if (errno != EINVAL)
      return error_set(err, errno, "make the mount of `%s` private", p);
    char *slash = strrchr(p, '/');
    if (slash == NULL || p[0] == '\0' || strcmp(p, "/") == 0)
      return error_set(err, EINVAL, "make the mount of `%s` private", path);
    if (slash == p)
      slash[1] = '\0';
    else
      *slash = '\0';
  }
}

int rootfs_prepare(rootfs_context *ctx, ocirt_error *err)
{
  const oci_spec *spec = ctx->spec;
  const char *prop_name = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
  /* As runc: the whole tree gets rootfsPropagation (rslave by default: host mounts reach the
   * container, nothing of the container reaches the host), then the rootfs's own mount is made
   * private unless that already made everything slave or private. */
  unsigned long prop = prop_name ? propagation_flag(prop_name) : MS_SLAVE | MS_REC;
  if (mount(NULL, "/", NULL, prop, NULL) < 0)
    return error_set(err, errno, "set the propagation of / to %s", prop_name ? prop_name : "rslave");
  if (!((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE))) && make_parent_mount_private(ctx->rootfs, err) < 0)
    return -1;
  if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return error_set(err, errno, "bind the rootfs `%s`", ctx->rootfs);
  ctx->root_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx->root_fd < 0)
    return error_set(err, errno, "open the rootfs `%s`", ctx->rootfs);

  /* As runc: /dev is populated unless it is a bind mount (of the host's /dev, say). */
  bool dev_bound = false;
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const oci_mount *m = spec->mounts[i];
    if (mount_one(ctx, i, m, err) < 0)
      return error_wrap(err, "mount `%s` on `%s`", m->source ? m->source : (m->type ? m->type : "none"),
                        m->destination);
    if (strcmp(m->destination, "/dev") == 0) {
      mount_options opts;
      mount_options_parse(m->options, m->options_len, &opts);
      free(opts.data);
      dev_bound = opts.bind || (m->type && strcmp(m->type, "bind") == 0);
    }
  }
  if (!dev_bound && setup_dev(ctx, err) < 0)
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

/* Read-only for good: the top mount and everything beneath it (mount_setattr where the kernel has
 * it, a remount of the top mount otherwise). */
static int make_readonly(int fd, ocirt_error *err)
{
  char buf[64];
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                         | MOUNT_ATTR_NOEXEC };
  if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
    return 0;
  if (errno != ENOSYS)
    return error_set(err, errno, "mount_setattr");
  if (remount_path(FD_PATH(buf, fd), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0)
    return error_set(err, errno, "remount read-only");
  return 0;
}

/* maskedPaths and readonlyPaths are resolved in the rootfs like everything else (a symlink is
 * followed, inside it); a path that does not exist has nothing to hide. */
int rootfs_mask_paths(rootfs_context *ctx, ocirt_error *err)
{
  const oci_linux *linux_ = ctx->spec->linux_;
  char buf[64], null_buf[64];
  if (linux_ == NULL)
    return 0;
  cleanup_close int null_fd = -1;
  for (size_t i = 0; i < linux_->masked_paths_len; i++) {
    const char *path = linux_->masked_paths[i];
    cleanup_close int fd = open_in_root(ctx->root_fd, path, O_PATH, 0);
    if (fd < 0) {
      if (errno == ENOENT)
        continue;
      return error_set(err, errno, ".linux.maskedPaths[%zu]: open `%s` in the rootfs", i, path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
      return error_set(err, errno, ".linux.maskedPaths[%zu]: stat `%s`", i, path);
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", FD_PATH(buf, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") < 0)
        return error_set(err, errno, ".linux.maskedPaths[%zu]: mask `%s`", i, path);
      continue;
    }
    if (null_fd < 0 && (null_fd = open_dev_null(err)) < 0)
      return -1;
    if (mount(FD_PATH(null_buf, null_fd), FD_PATH(buf, fd), NULL, MS_BIND, NULL) < 0)
      return error_set(err, errno, ".linux.maskedPaths[%zu]: mask `%s`", i, path);
  }
  for (size_t i = 0; i < linux_->readonly_paths_len; i++) {
    const char *path = linux_->readonly_paths[i];
    cleanup_close int fd = open_in_root(ctx->root_fd, path, O_PATH, 0);
    if (fd < 0) {
      if (errno == ENOENT)
        continue;
      return error_set(err, errno, ".linux.readonlyPaths[%zu]: open `%s` in the rootfs", i, path);
    }
    if (mount(FD_PATH(buf, fd), FD_PATH(buf, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
      return error_set(err, errno, ".linux.readonlyPaths[%zu]: bind `%s`", i, path);
    /* opened again: the fd above points beneath the new mount */
    cleanup_close int top = open_in_root(ctx->root_fd, path, O_PATH, 0);
    if (top < 0)
      return error_set(err, errno, ".linux.readonlyPaths[%zu]: open `%s` in the rootfs", i, path);
    if (make_readonly(top, err) < 0)
      return error_wrap(err, ".linux.readonlyPaths[%zu]: make `%s` read-only", i, path);
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
    /* pivot_root(".", ".") stacks the old root on top of the new one; detach it right away, after
     * making it rslave: with a shared rootfsPropagation the unmount would reach the host.  "." must
     * be the old root for that (a fd of it as cwd), not the new one beneath it. */
    cleanup_close int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old_root < 0)
      return error_set(err, errno, "open the old root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
      return error_set(err, errno, "pivot_root");
    if (fchdir(old_root) < 0)
      return error_set(err, errno, "chdir to the old root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
      return error_set(err, errno, "make the old root rslave");
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
  /* The rootfs bind is private so far (see rootfs_prepare); now it gets what the config asks. */
  const char *prop_name = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
  if (prop_name && mount(NULL, "/", NULL, propagation_flag(prop_name), NULL) < 0)
    return error_set(err, errno, "set rootfs propagation `%s`", prop_name);
  return 0;
}

/* ---- for `ocirt features` -------------------------------------------------------------------- */

void mount_option_names(char ***names, size_t *n)
{
  *names = NULL;
  *n = 0;
  size_t total = COUNT(mount_flag_table) + COUNT(propagation_table) + COUNT(runtime_options)
                 + COUNT(runtime_choice_table);
  *names = xcalloc(total, sizeof(char *));
  for (size_t i = 0; i < COUNT(mount_flag_table); i++)
    (*names)[(*n)++] = xstrdup(mount_flag_table[i].name);
  for (size_t i = 0; i < COUNT(propagation_table); i++)
    (*names)[(*n)++] = xstrdup(propagation_table[i].name);
  for (size_t i = 0; i < COUNT(runtime_options); i++) /* the runtime's own */
    (*names)[(*n)++] = xstrdup(runtime_options[i]);
  for (size_t i = 0; i < COUNT(runtime_choice_table); i++)
    (*names)[(*n)++] = xstrdup(runtime_choice_table[i].name);
}
