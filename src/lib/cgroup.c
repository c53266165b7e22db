#include "config.h"
#include "cgroup.h"
#include "cgroup_internal.h"
#include "container.h"
#include "utils.h"

#include <stdarg.h>

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
    if (fields[4] == NULL || type == NULL)
      continue;
    /* A later mount on the same point hides a hierarchy (e.g. a tmpfs over /sys/fs/cgroup/unified
     * in a private mount namespace): forget it, or its cgroups would be made in the tmpfs. */
    for (size_t i = 0; i < n_hierarchies; i++)
      if (strcmp(hierarchies[i].mountpoint, fields[4]) == 0) {
        free(hierarchies[i].mountpoint);
        free(hierarchies[i].name);
        memmove(&hierarchies[i], &hierarchies[i + 1], (--n_hierarchies - i) * sizeof(*hierarchies));
        i--;
      }
    if (strcmp(fields[3], "/") != 0)
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
  }
  for (size_t i = 0; i < n_hierarchies; i++)
    *(hierarchies[i].unified ? &v2 : &v1) = true;
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

/* Enable in dir/cgroup.subtree_control every controller dir has; a failure (processes in dir, a
 * controller the host keeps) only means fewer resources can be set below. */
static void enable_controllers(const char *dir)
{
  cleanup_free char *have = cgroup_read(dir, "cgroup.controllers");
  if (have == NULL)
    return;
  cleanup_free char *subtree = xasprintf("%s/cgroup.subtree_control", dir);
  char *save = NULL;
  for (char *c = strtok_r(have, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
    cleanup_free char *plus = xasprintf("+%s", c);
    cleanup_error ocirt_error ignored = { 0 };
    (void) write_file_at(AT_FDCWD, subtree, plus, &ignored);
  }
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
        /* v2: a folder's children get only the controllers it enables (the top-level is the
         * host's business: the root enables them, or not). */
        if (h->unified && c == '/')
          enable_controllers(full);
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

int cgroup_open_unified(const char *path)
{
  const cgroup_hierarchy *hs;
  size_t n;
  cgroup_mode mode;
  cleanup_error ocirt_error ignored = { 0 };
  if (cgroup_hierarchies(&hs, &n, &mode, &ignored) < 0 || mode != CGROUP_MODE_UNIFIED || n != 1)
    return -1;
  cleanup_free char *dir = xasprintf("%s/%s", hs[0].mountpoint, path);
  return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

/* ---- checked create, the backends, and the helpers they share ----------------------------------- */

int cgroup_create_checked(const char *path, bool allow_existing, bool *made, ocirt_error *err)
{
  const cgroup_hierarchy *hs;
  size_t n;
  *made = false;
  if (cgroup_hierarchies(&hs, &n, NULL, err) < 0)
    return -1;
  bool existed = false;
  for (size_t i = 0; i < n && !existed; i++) {
    cleanup_free char *full = xasprintf("%s/%s", hs[i].mountpoint, path);
    struct stat st;
    if (stat(full, &st) == 0) {
      existed = true;
      cleanup_free char *procs = cgroup_read(full, "cgroup.procs");
      if (procs && *procs && !allow_existing)
        return error_set(err, 0,
                         "cgroup `%s` already holds processes: refusing to join it (annotation "
                         "org.ocirt.cgroup.join-existing=true allows it)",
                         full);
    }
  }
  if (cgroup_create(path, err) < 0)
    return -1;
  *made = !existed;
  return 0;
}

static const cgroup_backend *backend(void)
{
  const cgroup_hierarchy *hs;
  size_t n;
  cgroup_mode mode;
  cleanup_error ocirt_error ignored = { 0 };
  if (cgroup_hierarchies(&hs, &n, &mode, &ignored) < 0 || mode == CGROUP_MODE_NONE)
    return NULL;
  /* A hybrid host keeps its controllers in v1; its cgroup2 mount only tracks processes. */
  return mode == CGROUP_MODE_UNIFIED ? &cgroup_backend_v2 : &cgroup_backend_v1;
}

int cgroup_apply_resources(const char *path, const oci_resources *r, ocirt_error *err)
{
  const cgroup_backend *b = backend();
  if (r == NULL)
    return 0;
  if (b == NULL)
    return error_set(err, 0, ".linux.resources: no cgroup hierarchy is mounted");
  return b->apply(path, r, err);
}

int cgroup_freeze(const char *path, bool frozen, ocirt_error *err)
{
  const cgroup_backend *b = backend();
  if (b == NULL)
    return error_set(err, 0, "no cgroup hierarchy is mounted");
  return b->freeze(path, frozen, err);
}

int cgroup_is_frozen(const char *path)
{
  const cgroup_backend *b = backend();
  return b ? b->is_frozen(path) : -1;
}

char *cgroup_stats_json(const char *path)
{
  const cgroup_backend *b = backend();
  return b ? b->stats(path) : xstrdup("{}");
}

int cgroup_oom_kills(const char *path, uint64_t *n)
{
  const cgroup_backend *b = backend();
  *n = 0;
  return b ? b->oom_kills(path, n) : -1;
}

int cgroup_apply_config(const char *path, const oci_linux *l, ocirt_error *err)
{
  if (l == NULL || l->resources == NULL)
    return 0;
  const oci_resources *r = l->resources;
  if (r->devices_len == 0)
    return cgroup_apply_resources(path, r, err);
  static const struct {
    char type;
    int64_t major, minor;
    const char *access;
  } defaults[] = {
    { 'c', -1, -1, "m" }, { 'b', -1, -1, "m" },  { 'c', 1, 3, "rwm" }, { 'c', 1, 5, "rwm" },
    { 'c', 1, 7, "rwm" },  { 'c', 1, 8, "rwm" },  { 'c', 1, 9, "rwm" }, { 'c', 5, 0, "rwm" },
    { 'c', 5, 2, "rwm" },  { 'c', 136, -1, "rwm" },
  };
  size_t n_defaults = sizeof(defaults) / sizeof(defaults[0]);
  size_t n = r->devices_len + n_defaults + l->devices_len;
  cleanup_free oci_device_cgroup **rules = xcalloc(n, sizeof(*rules));
  cleanup_free oci_device_cgroup *extra = xcalloc(n_defaults + l->devices_len, sizeof(*extra));
  char types[sizeof(defaults) / sizeof(defaults[0])][2];
  size_t k = 0, e = 0;
  for (size_t i = 0; i < r->devices_len; i++)
    rules[k++] = r->devices[i];
  for (size_t i = 0; i < n_defaults; i++, e++) {
    types[i][0] = defaults[i].type;
    types[i][1] = '\0';
    extra[e] = (oci_device_cgroup) { .allow = true, .type = types[i], .major = defaults[i].major, .has_major = true,
                                     .minor = defaults[i].minor, .has_minor = true, .access = (char *) defaults[i].access };
    rules[k++] = &extra[e];
  }
  for (size_t i = 0; i < l->devices_len; i++) {
    const oci_device *d = l->devices[i];
    if (strcmp(d->type, "p") == 0)
      continue; /* a fifo is no device to the cgroup */
    extra[e] = (oci_device_cgroup) { .allow = true, .type = (char *) (strcmp(d->type, "b") == 0 ? "b" : "c"),
                                     .major = d->major, .has_major = d->has_major, .minor = d->minor,
                                     .has_minor = d->has_minor, .access = (char *) "rwm" };
    rules[k++] = &extra[e++];
  }
  oci_resources copy = *r;
  copy.devices = rules;
  copy.devices_len = k;
  return cgroup_apply_resources(path, &copy, err);
}

static bool has_token(const char *list, const char *word)
{
  size_t len = strlen(word);
  for (const char *p = list; *p;) {
    const char *end = strchrnul(p, ',');
    if ((size_t) (end - p) == len && strncmp(p, word, len) == 0)
      return true;
    p = *end ? end + 1 : end;
  }
  return false;
}

char *cgroup_dir_of(const char *path, const char *controller)
{
  const cgroup_hierarchy *hs;
  size_t n;
  cleanup_error ocirt_error ignored = { 0 };
  if (cgroup_hierarchies(&hs, &n, NULL, &ignored) < 0)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (controller ? !hs[i].unified && has_token(hs[i].name, controller) : hs[i].unified)
      return xasprintf("%s/%s", hs[i].mountpoint, path);
  return NULL;
}

int cgroup_write(const char *dir, const char *file, const char *value, const char *field, ocirt_error *err)
{
  cleanup_free char *full = xasprintf("%s/%s", dir, file);
  cleanup_close int fd = TEMP_FAILURE_RETRY(open(full, O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd < 0)
    return error_set(err, errno, "%s: open `%s`", field, full);
  if (TEMP_FAILURE_RETRY(write(fd, value, strlen(value))) < 0)
    return error_set(err, errno, "%s: write \"%s\" to `%s`", field, value, full);
  return 0;
}

int cgroup_writef(const char *dir, const char *file, const char *field, ocirt_error *err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *value = xvasprintf(fmt, ap);
  va_end(ap);
  return cgroup_write(dir, file, value, field, err);
}

bool cgroup_has_file(const char *dir, const char *file)
{
  cleanup_free char *full = xasprintf("%s/%s", dir, file);
  return access(full, F_OK) == 0;
}

char *cgroup_read(const char *dir, const char *file)
{
  cleanup_free char *full = xasprintf("%s/%s", dir, file);
  char *data = NULL;
  cleanup_error ocirt_error ignored = { 0 };
  if (read_file_at(AT_FDCWD, full, 16 << 20, &data, NULL, &ignored) < 0)
    return NULL;
  return data;
}

uint64_t cgroup_keyed_value(const char *text, const char *key)
{
  size_t len = strlen(key);
  for (const char *p = text; p && *p;) {
    if (strncmp(p, key, len) == 0 && p[len] == ' ')
      return strtoull(p + len + 1, NULL, 10);
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return 0;
}

void cgroup_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  if (ocirt_warning_handler)
    ocirt_warning_handler(msg);
}

int cgroup_write_unified(const char *dir, const oci_resources *r, ocirt_error *err)
{
  for (size_t i = 0; i < r->unified_len; i++) {
    const char *key = r->unified_keys[i];
    cleanup_free char *field = xasprintf(".linux.resources.unified[\"%s\"]", key);
    /* Only a file of the container's own cgroup: no path, no dot files, nothing above. */
    if (*key == '\0' || *key == '.' || strchr(key, '/'))
      return error_set(err, 0, "%s: not a cgroup file name", field);
    if (dir == NULL)
      return error_set(err, 0, "%s: cgroup v2 is not mounted on this host", field);
    if (!cgroup_has_file(dir, key))
      return error_set(err, ENOENT, "%s: no such file in the cgroup (is its controller enabled?)", field);
    if (cgroup_write(dir, key, r->unified_values[i], field, err) < 0)
      return -1;
  }
  return 0;
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *add = xvasprintf(fmt, ap);
  va_end(ap);
  size_t n = strlen(add);
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = xrealloc(b->s, b->cap);
  }
  memcpy(b->s + b->len, add, n + 1);
  b->len += n;
}

/* systemd's unit names as cgroupfs paths: "a-b-c.slice" lives in a.slice/a-b.slice/a-b-c.slice. */
static char *expand_slice(const char *slice)
{
  size_t len = strlen(slice);
  if (len < 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/'))
    return NULL;
  if (strcmp(slice, "-.slice") == 0)
    return xstrdup("");
  cleanup_free char *stem = xstrdup(slice);
  stem[len - 6] = '\0';
  if (*stem == '-' || stem[strlen(stem) - 1] == '-' || strstr(stem, "--"))
    return NULL;
  char *out = xstrdup("");
  for (char *dash = stem;; dash++) {
    dash = strchrnul(dash, '-');
    char c = *dash;
    *dash = '\0';
    char *next = xasprintf("%s%s%s.slice", out, *out ? "/" : "", stem);
    free(out);
    out = next;
    *dash = c;
    if (c == '\0')
      break;
  }
  return out;
}

int cgroup_systemd_path(const char *cgroups_path, const char *id, char **out, ocirt_error *err)
{
  if (cgroups_path == NULL || *cgroups_path == '\0') {
    *out = xasprintf("system.slice/ocirt-%s.scope", id);
    return 0;
  }
  cleanup_free char *copy = xstrdup(cgroups_path);
  char *first = strchr(copy, ':'), *second = first ? strchr(first + 1, ':') : NULL;
  if (second == NULL || strchr(second + 1, ':'))
    return error_set(err, 0, "config.json: .linux.cgroupsPath: \"%s\": expected slice:prefix:name with --systemd-cgroup",
                     cgroups_path);
  *first = *second = '\0';
  const char *slice = *copy ? copy : "system.slice", *prefix = first + 1, *name = second + 1;
  if (*name == '\0' || strchr(name, '/') || strchr(prefix, '/'))
    return error_set(err, 0, "config.json: .linux.cgroupsPath: \"%s\": bad prefix or name", cgroups_path);
  cleanup_free char *dir = expand_slice(slice);
  if (dir == NULL)
    return error_set(err, 0, "config.json: .linux.cgroupsPath: \"%s\": `%s` is not a slice name", cgroups_path, slice);
  size_t nlen = strlen(name);
  /* A name that is itself a slice is used as it is; otherwise a scope named prefix-name. */
  cleanup_free char *unit = nlen > 6 && strcmp(name + nlen - 6, ".slice") == 0 ? xstrdup(name)
                            : *prefix ? xasprintf("%s-%s.scope", prefix, name)
                                      : xasprintf("%s.scope", name);
  *out = *dir ? xasprintf("%s/%s", dir, unit) : xstrdup(unit);
  return 0;
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
