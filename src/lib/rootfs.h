/* The container's root filesystem: mounts, devices, masked and read-only paths, pivot_root.
 *
 * Everything runs inside the container's new mount namespace, before pivot_root.  Every destination
 * is resolved *inside* the rootfs (openat2 RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N of
 * what was opened, so no symlink or `..` in the image can send a mount onto the host. */
#ifndef OCIRT_ROOTFS_H
#define OCIRT_ROOTFS_H

#include "error.h"
#include "ocispec.h"

#include <stdbool.h>
#include <sys/types.h>
#include <stdint.h>

typedef struct {
  const oci_spec *spec;
  const char *rootfs;      /* absolute host path of the rootfs */
  const char *bundle;      /* absolute host path of the bundle (relative bind sources) */
  const char *cgroup_path; /* the container's cgroup, for the `cgroup` mount */
  bool cgroup_ns;          /* the container has its own cgroup namespace */
  int root_fd;             /* opened by rootfs_prepare */
  const int *idmap_fds;    /* per mount: the idmapped tree the parent made (idmap.h), or -1; may be NULL */
} rootfs_context;

/* Propagation, the rootfs bind, every mount of config.json, /dev. */
int rootfs_prepare(rootfs_context *ctx, ocirt_error *err);
/* maskedPaths and readonlyPaths. */
int rootfs_mask_paths(rootfs_context *ctx, ocirt_error *err);
/* Make the rootfs `/` (pivot_root, or MS_MOVE + chroot with no_pivot), then root.readonly. */
int rootfs_pivot(rootfs_context *ctx, bool no_pivot, ocirt_error *err);
/* Create `path` (a folder) inside the rootfs if missing, resolved in the rootfs. */
int rootfs_mkdir_in_root(int root_fd, const char *path, ocirt_error *err);

/* Parse a mount option list into flags, propagation and data (unknown options become data). */
enum { MOUNT_IDMAP_NONE, MOUNT_IDMAP_TOP, MOUNT_IDMAP_RECURSIVE };

typedef struct {
  unsigned long flags;       /* MS_* for mount(2) */
  unsigned long propagation; /* MS_PRIVATE | MS_REC ... or 0 */
  uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE): rro, rnosuid... */
  bool bind, recursive;
  int tmpcopyup; /* 1: fill a tmpfs with what it hides (tmpcopyup); notmpcopyup sets 0: the last wins */
  int idmap;     /* MOUNT_IDMAP_*: an idmapped bind mount (idmap: the top mount, ridmap: all of it) */
  char *data;    /* malloc'd, comma-joined, or NULL */
} mount_options;
void mount_options_parse(char **options, size_t n, mount_options *out);
/* Whether the runtime knows `option` (a flag, a recursive flag, a propagation, bind...); anything
 * else is filesystem data, which a bind mount cannot take. */
bool mount_option_known(const char *option);
/* Flag for a propagation name ("rslave" -> MS_SLAVE|MS_REC); 0 when unknown. */
unsigned long propagation_flag(const char *name);
/* Every mount option ocirt knows, for `ocirt features` (malloc'd vector of n strings). */
void mount_option_names(char ***names, size_t *n);

#endif
