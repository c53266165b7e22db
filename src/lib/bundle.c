#include "config.h"
#include "bundle.h"
#include "caps.h"
#include "label.h"
#include "namespaces.h"
#include "process.h"
#include "rootfs.h"
#include "sysctl.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FAIL(...) error_set(err, 0, "config.json: " __VA_ARGS__)

static void warn(char ***warnings, char *msg)
{
  size_t n = 0;
  while (*warnings && (*warnings)[n])
    n++;
  *warnings = xrealloc(*warnings, (n + 2) * sizeof(char *));
  (*warnings)[n] = msg;
  (*warnings)[n + 1] = NULL;
}

static int check_caps(char **names, size_t n, const char *where, const char *set, char ***warnings)
{
  for (size_t i = 0; i < n; i++)
    if (!caps_known(names[i]))
      warn(warnings, xasprintf("config.json: %s.capabilities.%s[%zu]: capability \"%s\" is not known to this "
                               "kernel: ignored",
                               where, set, i, names[i]));
    else if (!caps_grantable(names[i]))
      warn(warnings, xasprintf("config.json: %s.capabilities.%s[%zu]: capability \"%s\" cannot be granted: "
                               "ocirt does not hold it: ignored",
                               where, set, i, names[i]));
  return 0;
}

int config_validate_process(const oci_process *p, const char *where, char ***warnings, ocirt_error *err)
{
  if (p->args_len == 0)
    return FAIL("%s.args: must not be empty", where);
  if (p->cwd == NULL)
    return FAIL("%s.cwd: required field missing", where);
  if (p->cwd[0] != '/')
    return FAIL("%s.cwd: must be an absolute path, got \"%s\"", where, p->cwd);
  for (size_t i = 0; i < p->env_len; i++)
    if (strchr(p->env[i], '=') == NULL || p->env[i][0] == '=')
      return FAIL("%s.env[%zu]: expected NAME=VALUE, got \"%s\"", where, i, p->env[i]);
  for (size_t i = 0; i < p->rlimits_len; i++) {
    const oci_rlimit *r = p->rlimits[i];
    if (rlimit_lookup(r->type) < 0)
      return FAIL("%s.rlimits[%zu].type: unknown rlimit \"%s\"", where, i, r->type);
    if (r->soft > r->hard)
      return FAIL("%s.rlimits[%zu]: soft limit %llu is above the hard limit %llu", where, i,
                  (unsigned long long) r->soft, (unsigned long long) r->hard);
    for (size_t j = 0; j < i; j++)
      if (strcmp(p->rlimits[j]->type, r->type) == 0)
        return FAIL("%s.rlimits[%zu].type: \"%s\" is set twice", where, i, r->type);
  }
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return FAIL("%s.oomScoreAdj: %d is outside -1000..1000", where, p->oom_score_adj);
  if (process_validate_attributes(p, where, err) < 0 || label_check_process(p, where, err) < 0)
    return -1;
  if (p->terminal && p->console_size && (p->console_size->height > 65535 || p->console_size->width > 65535))
    return FAIL("%s.consoleSize: larger than 65535", where);
  const oci_capabilities *c = p->capabilities;
  if (c && warnings) {
    check_caps(c->bounding, c->bounding_len, where, "bounding", warnings);
    check_caps(c->effective, c->effective_len, where, "effective", warnings);
    check_caps(c->inheritable, c->inheritable_len, where, "inheritable", warnings);
    check_caps(c->permitted, c->permitted_len, where, "permitted", warnings);
    check_caps(c->ambient, c->ambient_len, where, "ambient", warnings);
  }
  return 0;
}

/* Whether container id `id` is inside one of the mappings. */
static bool id_mapped(oci_id_mapping **m, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i]->container_id && (uint64_t) id < (uint64_t) m[i]->container_id + m[i]->size)
      return true;
  return false;
}

static bool ranges_overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
  return (uint64_t) a < (uint64_t) b + size_b && (uint64_t) b < (uint64_t) a + size_a;
}

/* What the kernel would refuse in a uid_map or gid_map, said with the field's name. */
static int check_mappings(oci_id_mapping **m, size_t n, const char *where, const char *what, ocirt_error *err)
{
  if (n == 0)
    return FAIL("%s: a new \"user\" namespace needs %s mappings", where, what);
  if (n > 340)
    return FAIL("%s: %zu mappings, the kernel takes at most 340", where, n);
  for (size_t i = 0; i < n; i++) {
    if (m[i]->size == 0)
      return FAIL("%s[%zu].size: must be at least 1", where, i);
    if ((uint64_t) m[i]->container_id + m[i]->size > 1ULL << 32 || (uint64_t) m[i]->host_id + m[i]->size > 1ULL << 32)
      return FAIL("%s[%zu]: range beyond the 32-bit id space", where, i);
    for (size_t j = 0; j < i; j++) {
      if (ranges_overlap(m[i]->container_id, m[j]->container_id, m[i]->size, m[j]->size))
        return FAIL("%s[%zu]: container %ss %u-%u overlap those of %s[%zu]", where, i, what, m[i]->container_id,
                    m[i]->container_id + (m[i]->size - 1), where, j);
      if (ranges_overlap(m[i]->host_id, m[j]->host_id, m[i]->size, m[j]->size))
        return FAIL("%s[%zu]: host %ss %u-%u overlap those of %s[%zu]", where, i, what, m[i]->host_id,
                    m[i]->host_id + (m[i]->size - 1), where, j);
    }
  }
  /* ocirt sets the container up as root of its user namespace. */
  if (!id_mapped(m, n, 0))
    return FAIL("%s: container %s 0 is not mapped", where, what);
  return 0;
}

/* The user namespace: mappings only for a new one; the process's ids must be mapped. */
static int check_user_namespace(const oci_spec *spec, const oci_namespace *user, ocirt_error *err)
{
  const oci_linux *l = spec->linux_;
  if (user == NULL) {
    if (l->uid_mappings_len)
      return FAIL(".linux.uidMappings: set, but no \"user\" namespace is requested");
    if (l->gid_mappings_len)
      return FAIL(".linux.gidMappings: set, but no \"user\" namespace is requested");
    return 0;
  }
  if (user->path && user->path[0]) {
    if (l->uid_mappings_len || l->gid_mappings_len)
      return FAIL(".linux.%s: the \"user\" namespace is joined by path and has its mappings already",
                  l->uid_mappings_len ? "uidMappings" : "gidMappings");
    return 0;
  }
  if (check_mappings(l->uid_mappings, l->uid_mappings_len, ".linux.uidMappings", "uid", err) < 0
      || check_mappings(l->gid_mappings, l->gid_mappings_len, ".linux.gidMappings", "gid", err) < 0)
    return -1;
  const oci_user *u = spec->process->user;
  if (u == NULL)
    return 0;
  if (!id_mapped(l->uid_mappings, l->uid_mappings_len, u->uid))
    return FAIL(".process.user.uid: %u is not mapped in .linux.uidMappings", u->uid);
  if (!id_mapped(l->gid_mappings, l->gid_mappings_len, u->gid))
    return FAIL(".process.user.gid: %u is not mapped in .linux.gidMappings", u->gid);
  for (size_t i = 0; i < u->additional_gids_len; i++)
    if (!id_mapped(l->gid_mappings, l->gid_mappings_len, u->additional_gids[i]))
      return FAIL(".process.user.additionalGids[%zu]: %u is not mapped in .linux.gidMappings", i,
                  u->additional_gids[i]);
  return 0;
}

/* The time namespace: offsets only for a new one, of the two clocks it has. */
static int check_time_namespace(const oci_linux *l, const oci_namespace *time_ns, ocirt_error *err)
{
  if (l->time_offsets_len == 0)
    return 0;
  if (time_ns == NULL)
    return FAIL(".linux.timeOffsets: set, but no \"time\" namespace is requested");
  if (time_ns->path && time_ns->path[0])
    return FAIL(".linux.timeOffsets: the \"time\" namespace is joined by path: its offsets are set already");
  for (size_t i = 0; i < l->time_offsets_len; i++) {
    const char *clock = l->time_offsets_keys[i];
    if (strcmp(clock, "monotonic") != 0 && strcmp(clock, "boottime") != 0)
      return FAIL(".linux.timeOffsets[\"%s\"]: unknown clock (expected monotonic or boottime)", clock);
    if (l->time_offsets_values[i]->nanosecs >= 1000000000)
      return FAIL(".linux.timeOffsets[\"%s\"].nanosecs: %u is not below 1000000000", clock,
                  l->time_offsets_values[i]->nanosecs);
  }
  return 0;
}

/* "/dev/x" or "/dev/a/b": no empty, "." or ".." component, no trailing slash. */
static bool plain_path_under_dev(const char *path)
{
  if (strncmp(path, "/dev/", 5) != 0)
    return false;
  for (const char *c = path + 5;; c++) {
    size_t n = strcspn(c, "/");
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
      return false;
    c += n;
    if (*c == '\0')
      return true;
  }
}

static int check_linux(const oci_spec *spec, ocirt_error *err)
{
  const oci_linux *l = spec->linux_;
  bool has_uts = false, has_mnt = false;
  const oci_namespace *user = NULL, *time_ns = NULL;
  for (size_t i = 0; l && i < l->namespaces_len; i++) {
    const char *t = l->namespaces[i]->type;
    if (namespace_lookup(t) == NULL)
      return FAIL(".linux.namespaces[%zu].type: unknown namespace type \"%s\"", i, t);
    for (size_t j = 0; j < i; j++)
      if (strcmp(l->namespaces[j]->type, t) == 0)
        return FAIL(".linux.namespaces[%zu].type: namespace \"%s\" listed twice", i, t);
    has_uts |= strcmp(t, "uts") == 0;
    has_mnt |= strcmp(t, "mount") == 0;
    if (strcmp(t, "user") == 0)
      user = l->namespaces[i];
    if (strcmp(t, "time") == 0)
      time_ns = l->namespaces[i];
  }
  if (!has_mnt)
    return FAIL(".linux.namespaces: a \"mount\" namespace is required");
  if (spec->hostname && spec->hostname[0] && !has_uts)
    return FAIL(".hostname: set, but no \"uts\" namespace is requested");
  if (spec->domainname && spec->domainname[0] && !has_uts)
    return FAIL(".domainname: set, but no \"uts\" namespace is requested");
  if (l == NULL)
    return 0;
  if (process_validate_personality(l->personality, err) < 0 || label_check_mount(l->mount_label, err) < 0)
    return -1;
  if (check_user_namespace(spec, user, err) < 0 || check_time_namespace(l, time_ns, err) < 0)
    return -1;
  if (l->rootfs_propagation && propagation_flag(l->rootfs_propagation) == 0)
    return FAIL(".linux.rootfsPropagation: unknown propagation \"%s\"", l->rootfs_propagation);
  for (size_t i = 0; i < l->devices_len; i++) {
    const oci_device *d = l->devices[i];
    if (strlen(d->type) != 1 || !strchr("cbup", d->type[0]))
      return FAIL(".linux.devices[%zu].type: unknown device type \"%s\" (expected c, b, u or p)", i, d->type);
    if (!plain_path_under_dev(d->path))
      return FAIL(".linux.devices[%zu].path: \"%s\" is not a path under /dev", i, d->path);
    if (d->type[0] != 'p' && (!d->has_major || !d->has_minor))
      return FAIL(".linux.devices[%zu]: major and minor are required for a \"%s\" device", i, d->type);
    if (d->type[0] != 'p' && (d->major < 0 || d->major > 4095 || d->minor < 0 || d->minor > 1048575))
      return FAIL(".linux.devices[%zu]: device number %lld:%lld out of range", i, (long long) d->major,
                  (long long) d->minor);
  }
  for (size_t i = 0; i < l->masked_paths_len; i++)
    if (l->masked_paths[i][0] != '/')
      return FAIL(".linux.maskedPaths[%zu]: must be an absolute path, got \"%s\"", i, l->masked_paths[i]);
  for (size_t i = 0; i < l->readonly_paths_len; i++)
    if (l->readonly_paths[i][0] != '/')
      return FAIL(".linux.readonlyPaths[%zu]: must be an absolute path, got \"%s\"", i, l->readonly_paths[i]);
  return sysctl_validate(spec, err);
}

#define MAX_MOUNTS 4096
#define MAX_SECCOMP_NAMES 4096

int config_validate(const oci_spec *spec, char ***warnings, ocirt_error *err)
{
  if (strncmp(spec->oci_version, "1.", 2) != 0)
    return FAIL(".ociVersion: unsupported version \"%s\" (ocirt runs runtime-spec 1.x)", spec->oci_version);
  if (spec->root == NULL)
    return FAIL(".root: required field missing");
  if (spec->process == NULL)
    return FAIL(".process: required field missing");
  if (config_validate_process(spec->process, ".process", warnings, err) < 0)
    return -1;
  if (spec->hostname && strlen(spec->hostname) > 64)
    return FAIL(".hostname: longer than 64 characters");
  /* Bounds a hostile config cannot use to keep create busy for minutes: more mounts than any real
   * container has, more syscall names than a seccomp filter (4096 instructions) can hold. */
  if (spec->mounts_len > MAX_MOUNTS)
    return FAIL(".mounts: %zu entries, more than the %d ocirt takes", spec->mounts_len, MAX_MOUNTS);
  if (spec->linux_ && spec->linux_->seccomp) {
    size_t names = 0;
    for (size_t i = 0; i < spec->linux_->seccomp->syscalls_len; i++)
      names += spec->linux_->seccomp->syscalls[i]->names_len;
    if (names > MAX_SECCOMP_NAMES)
      return FAIL(".linux.seccomp.syscalls: %zu syscall names, more than a filter can hold (%d)", names,
                  MAX_SECCOMP_NAMES);
  }
  if (spec->domainname && strlen(spec->domainname) > 64)
    return FAIL(".domainname: longer than 64 characters");
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const oci_mount *m = spec->mounts[i];
    if (m->destination[0] != '/')
      return FAIL(".mounts[%zu].destination: must be an absolute path, got \"%s\"", i, m->destination);
    mount_options opts;
    mount_options_parse(m->options, m->options_len, &opts);
    free(opts.data);
    bool bind = opts.bind || (m->type && strcmp(m->type, "bind") == 0);
    if (bind && (m->source == NULL || m->source[0] == '\0'))
      return FAIL(".mounts[%zu].source: a bind mount needs a source", i);
    /* The kernel ignores the data of a bind mount: an option it would carry is a mistake. */
    for (size_t j = 0; bind && j < m->options_len; j++)
      if (!mount_option_known(m->options[j]))
        return FAIL(".mounts[%zu].options[%zu]: unknown option \"%s\" for a bind mount", i, j, m->options[j]);
    if (!bind && (m->type == NULL || m->type[0] == '\0'))
      return FAIL(".mounts[%zu].type: required for a mount that is not a bind mount", i);
  }
  const oci_hooks *h = spec->hooks;
  if (h) {
    const struct {
      const char *name;
      oci_hook **hooks;
      size_t n;
    } kinds[] = { { "prestart", h->prestart, h->prestart_len },
                  { "createRuntime", h->create_runtime, h->create_runtime_len },
                  { "createContainer", h->create_container, h->create_container_len },
                  { "startContainer", h->start_container, h->start_container_len },
                  { "poststart", h->poststart, h->poststart_len },
                  { "poststop", h->poststop, h->poststop_len } };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
      for (size_t i = 0; i < kinds[k].n; i++) {
        const oci_hook *hook = kinds[k].hooks[i];
        if (hook->path[0] != '/')
          return FAIL(".hooks.%s[%zu].path: must be an absolute path, got \"%s\"", kinds[k].name, i, hook->path);
        if (hook->has_timeout && hook->timeout <= 0)
          return FAIL(".hooks.%s[%zu].timeout: must be greater than zero", kinds[k].name, i);
      }
  }
  return check_linux(spec, err);
}

int config_load(const char *bundle, container_config *out, ocirt_error *err)
{
  memset(out, 0, sizeof(*out));
  char resolved[PATH_MAX];
  if (realpath(bundle, resolved) == NULL)
    return error_set(err, errno, "bundle `%s`", bundle);
  struct stat st;
  if (stat(resolved, &st) < 0 || !S_ISDIR(st.st_mode))
    return error_set(err, ENOTDIR, "bundle `%s`", bundle);
  out->bundle = xstrdup(resolved);
  cleanup_free char *path = xasprintf("%s/config.json", resolved);
  if (read_file_at(AT_FDCWD, path, 64 << 20, &out->raw, &out->raw_len, err) < 0) {
    config_free(out);
    return -1;
  }
  char *msg = NULL;
  out->spec = oci_parse_data(&oci_spec_type, out->raw, out->raw_len, "config.json", &msg);
  if (out->spec == NULL) {
    config_free(out);
    return error_take(err, 0, msg);
  }
  if (config_validate(out->spec, &out->warnings, err) < 0) {
    config_free(out);
    return -1;
  }
  const char *root = out->spec->root->path;
  /* A relative root.path names something in the bundle: one that climbs out with `..` is refused
   * (an absolute path says plainly where the rootfs is). */
  for (const char *p = root; root[0] != '/' && *p; p += strcspn(p, "/"), p += *p == '/') {
    if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0')) {
      error_set(err, 0, "config.json: .root.path: `%s` leaves the bundle (use an absolute path)", root);
      config_free(out);
      return -1;
    }
  }
  cleanup_free char *joined = root[0] == '/' ? xstrdup(root) : xasprintf("%s/%s", out->bundle, root);
  if (realpath(joined, resolved) == NULL) {
    int saved = errno;
    config_free(out);
    return error_set(err, saved, "config.json: .root.path: `%s`", joined);
  }
  if (stat(resolved, &st) < 0 || !S_ISDIR(st.st_mode)) {
    config_free(out);
    return error_set(err, ENOTDIR, "config.json: .root.path: `%s`", joined);
  }
  if (strcmp(resolved, "/") == 0) {
    config_free(out);
    return error_set(err, 0, "config.json: .root.path: the host's / cannot be a container's rootfs");
  }
  out->rootfs = xstrdup(resolved);
  return 0;
}

void config_free(container_config *c)
{
  oci_spec_free(c->spec);
  free(c->bundle);
  free(c->rootfs);
  free(c->raw);
  strv_free(c->warnings);
  memset(c, 0, sizeof(*c));
}
