#include "config.h"
#include "sysctl.h"
#include "procfs.h"
#include "namespaces.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Which namespace owns a key: an exact name, or every key under a prefix ending in '.'. */
static const struct {
  const char *key;
  const char *ns; /* the .linux.namespaces type */
} sysctl_table[] = {
  { "kernel.msgmax", "ipc" },      { "kernel.msgmnb", "ipc" },        { "kernel.msgmni", "ipc" },
  { "kernel.sem", "ipc" },         { "kernel.shmall", "ipc" },        { "kernel.shmmax", "ipc" },
  { "kernel.shmmni", "ipc" },      { "kernel.shm_rmid_forced", "ipc" }, { "fs.mqueue.", "ipc" },
  { "kernel.hostname", "uts" },    { "kernel.domainname", "uts" },    { "net.", "network" },
};

/* The key as a path under /proc/sys: dots are separators unless the key is written with slashes
 * already (net/ipv4/conf/eth0.100/forwarding, for an interface with a dot in its name). */
static char *key_path(const char *key)
{
  char *path = xstrdup(key);
  if (strchr(path, '/') == NULL)
    for (char *p = path; *p; p++)
      if (*p == '.')
        *p = '/';
  return path;
}

/* The key in its dotted form, for the table. */
static char *key_dotted(const char *key)
{
  char *k = xstrdup(key);
  for (char *p = k; *p; p++)
    if (*p == '/')
      *p = '.';
  return k;
}

static bool well_formed(const char *path)
{
  for (const char *c = path;; c++) {
    size_t n = strcspn(c, "/");
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
      return false;
    c += n;
    if (*c == '\0')
      return true;
  }
}

static const char *owner_namespace(const char *dotted)
{
  for (size_t i = 0; i < COUNT(sysctl_table); i++) {
    const char *k = sysctl_table[i].key;
    size_t n = strlen(k);
    if (k[n - 1] == '.' ? strncmp(dotted, k, n) == 0 && dotted[n] : strcmp(dotted, k) == 0)
      return sysctl_table[i].ns;
  }
  return NULL;
}

/* Is the namespace file `path` the runtime's own namespace of that kind (the host's)? */
static bool is_own_namespace(const char *path, const char *type)
{
  const namespace_type *t = namespace_lookup(type);
  struct stat a, b;
  cleanup_free char *own = xasprintf("/proc/self/ns/%s", t ? t->proc_name : type);
  return stat(path, &a) == 0 && stat(own, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int sysctl_validate(const oci_spec *spec, ocirt_error *err)
{
  const oci_linux *l = spec->linux_;
  for (size_t i = 0; l && i < l->sysctl_len; i++) {
    const char *key = l->sysctl_keys[i];
    cleanup_free char *path = key_path(key);
    cleanup_free char *dotted = key_dotted(key);
    if (!well_formed(path))
      return error_set(err, 0, "config.json: .linux.sysctl[\"%s\"]: not a sysctl name", key);
    const char *ns = owner_namespace(dotted);
    if (ns == NULL)
      return error_set(err, 0,
                       "config.json: .linux.sysctl[\"%s\"]: not allowed: only sysctls of the container's own "
                       "namespaces (ipc, uts, network) can be set",
                       key);
    const oci_namespace *found = NULL;
    for (size_t j = 0; j < l->namespaces_len; j++)
      if (strcmp(l->namespaces[j]->type, ns) == 0)
        found = l->namespaces[j];
    if (found == NULL)
      return error_set(err, 0, "config.json: .linux.sysctl[\"%s\"]: needs a \"%s\" namespace, which is not requested",
                       key, ns);
    if (found->path && found->path[0] && is_own_namespace(found->path, ns))
      return error_set(err, 0, "config.json: .linux.sysctl[\"%s\"]: the \"%s\" namespace `%s` is the host's", key, ns,
                       found->path);
    if (strcmp(dotted, "kernel.hostname") == 0 && spec->hostname && spec->hostname[0])
      return error_set(err, 0, "config.json: .linux.sysctl[\"%s\"]: conflicts with .hostname", key);
    if (strcmp(dotted, "kernel.domainname") == 0 && spec->domainname && spec->domainname[0])
      return error_set(err, 0, "config.json: .linux.sysctl[\"%s\"]: conflicts with .domainname", key);
  }
  return 0;
}

/* The values go through the /proc the runtime came with, before pivot_root, never through the
 * container's: the rootfs is not trusted, and what the container mounted on its /proc could send the
 * write anywhere.  That is right because every allowed sysctl belongs to the namespace of the process
 * that writes it (ipc, uts, net of `current`), and this process already is in the container's
 * namespaces; only the mount namespace still shows the host's tree. */
int sysctl_apply(const oci_spec *spec, ocirt_error *err)
{
  const oci_linux *l = spec->linux_;
  if (l == NULL || l->sysctl_len == 0)
    return 0;
  for (size_t i = 0; i < l->sysctl_len; i++) {
    const char *key = l->sysctl_keys[i];
    cleanup_free char *path = key_path(key);
    cleanup_free char *rel = xasprintf("sys/%s", path);
    /* ocirt's own procfs instance, resolved beneath it with no symlink or mount crossed
     * (CVE-2025-52881): a mount over /proc/sys/... cannot catch the write */
    cleanup_close int fd = procfs_open(rel, O_WRONLY | O_TRUNC, err);
    if (fd < 0)
      return error_wrap(err, ".linux.sysctl[\"%s\"]", key);
    const char *value = l->sysctl_values[i];
    if (write_all(fd, value, strlen(value)) < 0)
      return error_set(err, errno, ".linux.sysctl[\"%s\"]: write \"%s\"", key, value);
  }
  return 0;
}
