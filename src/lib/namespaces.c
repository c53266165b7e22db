#include "config.h"
#include "namespaces.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const namespace_type namespaces[] = {
  { "user", "user", CLONE_NEWUSER },       { "pid", "pid", CLONE_NEWPID },
  { "network", "net", CLONE_NEWNET },      { "ipc", "ipc", CLONE_NEWIPC },
  { "uts", "uts", CLONE_NEWUTS },          { "mount", "mnt", CLONE_NEWNS },
  { "cgroup", "cgroup", CLONE_NEWCGROUP }, { "time", "time", CLONE_NEWTIME },
};
#define N_NAMESPACES (sizeof(namespaces) / sizeof(namespaces[0]))

const namespace_type *namespace_table(size_t *count)
{
  *count = N_NAMESPACES;
  return namespaces;
}

const namespace_type *namespace_lookup(const char *name)
{
  for (size_t i = 0; i < N_NAMESPACES; i++)
    if (strcmp(namespaces[i].name, name) == 0)
      return &namespaces[i];
  return NULL;
}

void namespace_plan_close(namespace_plan *plan)
{
  for (size_t i = 0; i < N_NAMESPACES; i++)
    if (plan->join_fds[i] >= 0) {
      close(plan->join_fds[i]);
      plan->join_fds[i] = -1;
    }
}

bool namespace_plan_has(const namespace_plan *plan, int clone_flag)
{
  for (size_t i = 0; i < N_NAMESPACES; i++)
    if (namespaces[i].clone_flag == clone_flag)
      return plan->has[i];
  return false;
}

int namespace_plan_init(namespace_plan *plan, const oci_linux *linux_, ocirt_error *err)
{
  memset(plan, 0, sizeof(*plan));
  for (size_t i = 0; i < N_NAMESPACES; i++)
    plan->join_fds[i] = -1;
  size_t n = linux_ ? linux_->namespaces_len : 0;
  for (size_t i = 0; i < n; i++) {
    const oci_namespace *ns = linux_->namespaces[i];
    const namespace_type *t = namespace_lookup(ns->type);
    if (t == NULL) {
      namespace_plan_close(plan);
      return error_set(err, 0, "config.json: .linux.namespaces[%zu].type: unknown namespace type \"%s\"", i,
                       ns->type);
    }
    size_t idx = (size_t) (t - namespaces);
    if (plan->has[idx]) {
      namespace_plan_close(plan);
      return error_set(err, 0, "config.json: .linux.namespaces[%zu].type: namespace \"%s\" listed twice", i,
                       ns->type);
    }
    plan->has[idx] = true;
    if (ns->path && ns->path[0]) {
      int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        int saved = errno;
        namespace_plan_close(plan);
        return error_set(err, saved, "config.json: .linux.namespaces[%zu].path: open `%s`", i, ns->path);
      }
      plan->join_fds[idx] = fd;
      /* The kernel says which kind of namespace an nsfs file is; anything else is refused here
       * rather than failing later inside the half-made container. */
      int type = ioctl(fd, NS_GET_NSTYPE);
      if (type != t->clone_flag) {
        namespace_plan_close(plan);
        return error_set(err, 0, "config.json: .linux.namespaces[%zu].path: `%s` is not a %s namespace", i,
                         ns->path, ns->type);
      }
      continue;
    }
    if (t->clone_flag == CLONE_NEWCGROUP || t->clone_flag == CLONE_NEWTIME)
      plan->unshare_late |= t->clone_flag;
    else
      plan->clone_flags |= t->clone_flag;
  }
  return 0;
}

bool namespace_plan_joins(const namespace_plan *plan)
{
  for (size_t i = 0; i < N_NAMESPACES; i++)
    if (plan->join_fds[i] >= 0)
      return true;
  return false;
}

/* Every other namespace first, with the host's privileges; the user namespace last, since after it
 * we hold capabilities only over what it owns.  setns on a pid namespace affects the children only,
 * which is what we want: the caller clones init next. */
int namespace_join_paths(namespace_plan *plan, ocirt_error *err)
{
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < N_NAMESPACES; i++) {
      int flag = namespaces[i].clone_flag;
      if (plan->join_fds[i] < 0 || (flag == CLONE_NEWUSER) != (pass == 1))
        continue;
      if (setns(plan->join_fds[i], flag) < 0)
        return error_set(err, errno, "join %s namespace", namespaces[i].name);
      close(plan->join_fds[i]);
      plan->join_fds[i] = -1;
    }
  return 0;
}

int namespace_write_id_map(pid_t pid, const char *file, const char *field, oci_id_mapping **m, size_t n,
                           ocirt_error *err)
{
  cleanup_free char *path = xasprintf("/proc/%d/%s", (int) pid, file);
  cleanup_free char *data = xstrdup("");
  for (size_t i = 0; i < n; i++) {
    char *more = xasprintf("%s%u %u %u\n", data, m[i]->container_id, m[i]->host_id, m[i]->size);
    free(data);
    data = more;
  }
  cleanup_close int fd = TEMP_FAILURE_RETRY(open(path, O_WRONLY | O_CLOEXEC));
  if (fd < 0 || write_all(fd, data, strlen(data)) < 0)
    return error_set(err, errno, "write %s to `%s`", field, path);
  return 0;
}

int namespace_write_id_maps(pid_t pid, const oci_linux *linux_, ocirt_error *err)
{
  if (namespace_write_id_map(pid, "uid_map", ".linux.uidMappings", linux_->uid_mappings, linux_->uid_mappings_len,
                             err)
      < 0)
    return -1;
  return namespace_write_id_map(pid, "gid_map", ".linux.gidMappings", linux_->gid_mappings,
                                linux_->gid_mappings_len, err);
}

int namespace_become_root(ocirt_error *err)
{
  /* The host's supplementary groups mean nothing here (they show as the overflow gid). */
  if (setgroups(0, NULL) < 0)
    return error_set(err, errno, "setgroups in the user namespace");
  if (setresgid(0, 0, 0) < 0)
    return error_set(err, errno, "become gid 0 of the user namespace");
  if (setresuid(0, 0, 0) < 0)
    return error_set(err, errno, "become uid 0 of the user namespace");
  /* The uid change made us non-dumpable, which gives our /proc/self files to the host's root: we
   * could not write oom_score_adj or timens_offsets any more.  exec decides dumpability again. */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
    return error_set(err, errno, "prctl(PR_SET_DUMPABLE)");
  return 0;
}

int namespace_write_time_offsets(const oci_linux *linux_, ocirt_error *err)
{
  if (linux_ == NULL || linux_->time_offsets_len == 0)
    return 0;
  cleanup_free char *data = xstrdup("");
  for (size_t i = 0; i < linux_->time_offsets_len; i++) {
    const oci_time_offset *o = linux_->time_offsets_values[i];
    char *more = xasprintf("%s%s %lld %u\n", data, linux_->time_offsets_keys[i], (long long) o->secs, o->nanosecs);
    free(data);
    data = more;
  }
  /* Before any process enters the new namespace: the kernel refuses offsets after that. */
  cleanup_close int fd = TEMP_FAILURE_RETRY(open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
  if (fd < 0 || write_all(fd, data, strlen(data)) < 0)
    return error_set(err, errno, "write .linux.timeOffsets to /proc/self/timens_offsets");
  return 0;
}
