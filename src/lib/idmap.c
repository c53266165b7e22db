#include "config.h"
#include "idmap.h"
#include "namespaces.h"
#include "rootfs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* A user namespace carrying the mappings, held by a short-lived child: it unshares, says so, and
 * waits for EOF; we write its maps, keep a fd of its namespace, and reap it. */
static int userns_with_maps(oci_id_mapping **u, size_t nu, oci_id_mapping **g, size_t ng, ocirt_error *err)
{
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) < 0)
    return error_set(err, errno, "pipe");
  if (pipe2(hold, O_CLOEXEC) < 0) {
    close(ready[0]);
    close(ready[1]);
    return error_set(err, errno, "pipe");
  }
  pid_t pid = fork();
  if (pid == 0) {
    char c = 0;
    close(ready[0]);
    close(hold[1]);
    if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], &c, 1) != 1)
      _exit(1);
    (void)!read(hold[0], &c, 1);
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  cleanup_close int ready_fd = ready[0], hold_fd = hold[1];
  if (pid < 0)
    return error_set(err, errno, "fork");
  char c;
  int ns = -1;
  if (TEMP_FAILURE_RETRY(read(ready_fd, &c, 1)) != 1)
    error_set(err, 0, "the helper could not make a user namespace");
  else if (namespace_write_id_map(pid, "uid_map", "uidMappings", u, nu, err) == 0
           && namespace_write_id_map(pid, "gid_map", "gidMappings", g, ng, err) == 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
    if ((ns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
      error_set(err, errno, "open `%s`", path);
  }
  close(steal_fd(&hold_fd)); /* EOF: the helper exits */
  kill(pid, SIGKILL);
  TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
  return ns;
}

/* The mount's own mappings, else (as runc) the container's user namespace's. */
static int mount_userns(const oci_spec *spec, const oci_mount *m, ocirt_error *err)
{
  oci_id_mapping **u = m->uid_mappings, **g = m->gid_mappings;
  size_t nu = m->uid_mappings_len, ng = m->gid_mappings_len;
  const oci_linux *l = spec->linux_;
  if (nu == 0 && ng == 0 && l) {
    u = l->uid_mappings, nu = l->uid_mappings_len;
    g = l->gid_mappings, ng = l->gid_mappings_len;
  }
  if (nu == 0 || ng == 0)
    return error_set(err, 0, "no %s: neither on the mount nor in .linux (a user namespace's)",
                     nu == 0 ? "uidMappings" : "gidMappings");
  return userns_with_maps(u, nu, g, ng, err);
}

/* What the kernel's refusals mean here. */
static const char *setattr_reason(int e)
{
  static const struct {
    int errno_value;
    const char *reason;
  } table[] = {
    { EINVAL, "the source's filesystem does not support idmapped mounts" },
    { EPERM, "the source is idmapped already, or not ours to idmap" },
    { ENOSYS, "this kernel has no idmapped mounts" },
  };
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
    if (table[i].errno_value == e)
      return table[i].reason;
  return "mount_setattr";
}

static int idmap_tree(const oci_spec *spec, const char *bundle, const oci_mount *m, int mode, bool recursive,
           ocirt_error *err)
{
  cleanup_free char *path
      = m->source[0] == '/' || bundle == NULL ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
  cleanup_close int userns = mount_userns(spec, m, err);
  if (userns < 0)
    return -1;
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  cleanup_close int tree = open_tree(AT_FDCWD, path, flags);
  if (tree < 0)
    return error_set(err, errno, "open_tree `%s`", path);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  unsigned at = AT_EMPTY_PATH | (mode == MOUNT_IDMAP_RECURSIVE ? AT_RECURSIVE : 0);
  if (mount_setattr(tree, "", at, &attr, sizeof(attr)) < 0) {
    int e = errno;
    return error_set(err, e, "%s", setattr_reason(e));
  }
  return steal_fd(&tree);
}

/* Whether a mount names idmap or ridmap: a string compare per option, so that the mounts without
 * (all of them, nearly always) cost create no option parse here; rootfs.c parses them once. */
static bool wants_idmap(const oci_mount *m)
{
  for (size_t j = 0; j < m->options_len; j++)
    if (strcmp(m->options[j], "idmap") == 0 || strcmp(m->options[j], "ridmap") == 0)
      return true;
  return false;
}

int idmap_trees_open(const oci_spec *spec, const char *bundle, int **fds, ocirt_error *err)
{
  *fds = NULL;
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const oci_mount *m = spec->mounts[i];
    if (!wants_idmap(m))
      continue;
    mount_options opts;
    mount_options_parse(m->options, m->options_len, &opts);
    free(opts.data);
    if (opts.idmap == MOUNT_IDMAP_NONE)
      continue;
    bool bind = opts.bind || (m->type && strcmp(m->type, "bind") == 0);
    if (!bind || m->source == NULL) {
      error_set(err, 0, ".mounts[%zu] (on `%s`): idmap and ridmap are for bind mounts only", i,
                m->destination);
      goto fail;
    }
    if (*fds == NULL) {
      *fds = xcalloc(spec->mounts_len, sizeof(int));
      for (size_t j = 0; j < spec->mounts_len; j++)
        (*fds)[j] = -1;
    }
    (*fds)[i]
        = idmap_tree(spec, bundle, m, opts.idmap, opts.recursive || opts.idmap == MOUNT_IDMAP_RECURSIVE, err);
    if ((*fds)[i] < 0) {
      error_wrap(err, ".mounts[%zu]: idmapped mount of `%s` on `%s`", i, m->source, m->destination);
      goto fail;
    }
  }
  return 0;
fail:
  idmap_trees_close(*fds, spec->mounts_len);
  *fds = NULL;
  return -1;
}

void idmap_trees_close(int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
}

bool idmap_supported(void)
{
  /* An invalid call: EBADF or EINVAL where the kernel has mount_setattr, ENOSYS where it has not. */
  return mount_setattr(-1, "", AT_EMPTY_PATH, NULL, 0) == 0 || errno != ENOSYS;
}
