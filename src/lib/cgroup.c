#include "config.h"
#include "cgroup.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static cgroup_hierarchy *hierarchies;
static size_t n_hierarchies;
static cgroup_mode host_mode = CGROUP_MODE_NONE;
static bool hierarchies_read;

/* mountinfo: "36 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory" */
static int read_hierarchies(ocirt_error *err)
{
  cleanup_free char *info = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16 << 20, &info, NULL, err) < 0)
    return -1;
  bool v1 = false, v2 = false;
  for (char *line = info, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    char *fields[5] = { 0 };
    char *save = NULL, *p = line;
    for (int i = 0; i < 5 && (fields[i] = strtok_r(p, " ", &save)); i++)
      p = NULL;
    char *type = strtok_r(sep + 3, " ", &save);
    (void) strtok_r(NULL, " ", &save); /* source */
    char *super_opts = strtok_r(NULL, " ", &save);
    if (fields[4] == NULL || type == NULL || strcmp(fields[3], "/") != 0)
      continue;
    bool unified = strcmp(type, "cgroup2") == 0;
    if (!unified && strcmp(type, "cgroup") != 0)
      continue;
    cleanup_free char *name = xstrdup("");
    if (!unified && super_opts) {
      /* Keep the controller names and name=..., drop rw/ro and other options. */
      for (char *o = strtok_r(super_opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0 || (strchr(o, '=') && strncmp(o, "name=", 5) != 0)
            || strcmp(o, "noprefix") == 0 || strcmp(o, "clone_children") == 0 || strcmp(o, "xattr") == 0)
          continue;
        char *joined = xasprintf("%s%s%s", name, *name ? "," : "", o);
        free(name);
        name = joined;
      }
    }
    hierarchies = xrealloc(hierarchies, (n_hierarchies + 1) * sizeof(*hierarchies));
    hierarchies[n_hierarchies++]
        = (cgroup_hierarchy) { .mountpoint = xstrdup(fields[4]), .name = steal_ptr(&name), .unified = unified };
    if (unified)
      v2 = true;
    else
      v1 = true;
  }
  host_mode = v1 && v2 ? CGROUP_MODE_HYBRID : v1 ? CGROUP_MODE_V1 : v2 ? CGROUP_MODE_UNIFIED : CGROUP_MODE_NONE;
  hierarchies_read = true;
  return 0;
}

int cgroup_hierarchies(const cgroup_hierarchy **out, size_t *n, cgroup_mode *mode, ocirt_error *err)
{
  if (!hierarchies_read && read_hierarchies(err) < 0)
    return -1;
  *out = hierarchies;
  *n = n_hierarchies;
  if (mode)
    *mode = host_mode;
  return 0;
}

int cgroup_path_for(const char *cgroups_path, const char *id, char **out, ocirt_error *err)
{
  if (cgroups_path == NULL || *cgroups_path == '\0') {
    *out = xasprintf("ocirt/%s", id);
    return 0;
  }
  /* Refuse anything that could climb out of the hierarchy. */
  for (const char *p = cgroups_path; *p;) {
    const char *end = strchrnul(p, '/');
    if ((end - p == 2 && strncmp(p, "..", 2) == 0))
      return error_set(err, 0, "config.json: .linux.cgroupsPath: \"%s\" must not contain `..`", cgroups_path);
    p = *end ? end + 1 : end;
  }
  while (*cgroups_path == '/')
    cgroups_path++;
  if (*cgroups_path == '\0')
    return error_set(err, 0, "config.json: .linux.cgroupsPath: the root cgroup cannot hold a container");
  *out = xstrdup(cgroups_path);
  return 0;
}

/* cpuset v1 starts new cgroups empty, and an empty cpuset cannot hold a process: copy the parent's. */
static int cpuset_inherit(const char *dir, ocirt_error *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *mine = xasprintf("%s/%s", dir, files[i]);
    cleanup_free char *parent = xasprintf("%s/../%s", dir, files[i]);
    cleanup_free char *value = NULL, *current = NULL;
    if (read_file_at(AT_FDCWD, mine, 1 << 16, &current, NULL, err) < 0)
      return -1;
    if (current[0] != '\n' && current[0] != '\0')
      continue;
    if (read_file_at(AT_FDCWD, parent, 1 << 16, &value, NULL, err) < 0)
      return -1;
    if (write_file_at(AT_FDCWD, mine, value, err) < 0)
      return -1;
  }
  return 0;
}

static int make_dirs(const cgroup_hierarchy *h, const char *path, ocirt_error *err)
{
  cleanup_free char *full = xasprintf("%s/%s", h->mountpoint, path);
  bool cpuset = !h->unified && strstr(h->name, "cpuset") != NULL;
  size_t base = strlen(h->mountpoint);
  /* Another container's delete may remove the shared "ocirt" parent between our mkdirs (ENOENT):
   * start again from the top a few times. */
  for (int attempt = 0;; attempt++) {
    bool retry = false;
    for (char *s = full + base + 1; !retry; s++) {
      if (*s != '/' && *s != '\0')
        continue;
      char c = *s;
      *s = '\0';
      if (mkdir(full, 0755) == 0 || errno == EEXIST) {
        /* Also when it exists: another create may have made it and not yet filled its cpuset. */
        if (cpuset && cpuset_inherit(full, err) < 0) {
          if (err->errno_value != ENOENT || attempt >= 10)
            return -1;
          error_clear(err);
          retry = true;
        }
      } else if (errno == ENOENT && attempt < 10)
        retry = true;
      else
        return error_set(err, errno, "create cgroup `%s`", full);
      *s = c;
      if (c == '\0')
        break;
    }
    if (!retry)
      return 0;
  }
}

int cgroup_create(const char *path, ocirt_error *err)
{
  const cgroup_hierarchy *hs;
  size_t n;
  if (cgroup_hierarchies(&hs, &n, NULL, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (make_dirs(&hs[i], path, err) < 0) {
      cleanup_error ocirt_error ignored = { 0 };
      cgroup_destroy(path, &ignored);
      return -1;
    }
  return 0;
}

int cgroup_enter(const char *path, pid_t pid, ocirt_error *err)
{
  const cgroup_hierarchy *hs;
  size_t n;
  if (cgroup_hierarchies(&hs, &n, NULL, err) < 0)
    return -1;
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int) pid);
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *procs = xasprintf("%s/%s/cgroup.procs", hs[i].mountpoint, path);
    if (write_file_at(AT_FDCWD, procs, buf, err) < 0)
      return error_wrap(err, "enter cgroup");
  }
  return 0;
}

int cgroup_pids(const char *path, pid_t **pids, size_t *n_pids, ocirt_error *err)
{
  const cgroup_hierarchy *hs;
  size_t n;
  *pids = NULL;
  *n_pids = 0;
  if (cgroup_hierarchies(&hs, &n, NULL, err) < 0)
    return -1;
  /* Every hierarchy holds the same processes; the first readable one answers. */
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *procs = xasprintf("%s/%s/cgroup.procs", hs[i].mountpoint, path);
    cleanup_free char *data = NULL;
    cleanup_error ocirt_error ignored = { 0 };
    if (read_file_at(AT_FDCWD, procs, 64 << 20, &data, NULL, &ignored) < 0)
      continue;
    for (char *line = data, *next; *line; line = next) {
      next = strchrnul(line, '\n');
      if (*next)
        *next++ = '\0';
      int64_t v;
      if (parse_int64(line, &v) == 0 && v > 0) {
        *pids = xrealloc(*pids, (*n_pids + 1) * sizeof(pid_t));
        (*pids)[(*n_pids)++] = (pid_t) v;
      }
    }
    return 0;
  }
  return 0;
}

int cgroup_kill_all(const char *path, int sig, ocirt_error *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_pids(path, &pids, &n, err) < 0)
    return -1;
  int count = 0;
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) == 0)
      count++;
  return count;
}

/* rmdir the deepest directory first; a cgroup whose last process just died may say EBUSY for a
 * moment, so retry briefly. */
static int remove_dir(const char *dir, ocirt_error *err)
{
  for (int attempt = 0; attempt < 200; attempt++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return error_set(err, errno, "remove cgroup `%s`", dir);
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  return error_set(err, EBUSY, "remove cgroup `%s`", dir);
}

int cgroup_destroy(const char *path, ocirt_error *err)
{
  const cgroup_hierarchy *hs;
  size_t n;
  int ret = 0;
  if (cgroup_hierarchies(&hs, &n, NULL, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *full = xasprintf("%s/%s", hs[i].mountpoint, path);
    if (remove_dir(full, err) < 0)
      ret = -1;
    /* Remove the parent made for the default layout ("ocirt/") when it is empty; ignore failure. */
    char *slash = strrchr(full, '/');
    if (slash && strncmp(path, "ocirt/", 6) == 0 && strchr(path + 6, '/') == NULL) {
      *slash = '\0';
      (void) rmdir(full);
    }
  }
  return ret;
}

/* A frozen task does not die of SIGKILL until it is thawed: delete --force sends the signal, then
 * thaws (v1 freezer.state, v2 cgroup.freeze), so nothing of the container runs in between. */
void cgroup_thaw(const char *path)
{
  const cgroup_hierarchy *hs;
  size_t n;
  cleanup_error ocirt_error ignored = { 0 };
  if (cgroup_hierarchies(&hs, &n, NULL, &ignored) < 0)
    return;
  static const struct {
    const char *file, *value;
  } thaw[] = { { "freezer.state", "THAWED" }, { "cgroup.freeze", "0" } };
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < sizeof(thaw) / sizeof(thaw[0]); j++) {
      cleanup_free char *file = xasprintf("%s/%s/%s", hs[i].mountpoint, path, thaw[j].file);
      if (access(file, W_OK) == 0) {
        cleanup_error ocirt_error e = { 0 };
        write_file_at(AT_FDCWD, file, thaw[j].value, &e);
      }
    }
}
