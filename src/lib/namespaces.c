#include "config.h"
#include "namespaces.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

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

int namespace_join_paths(namespace_plan *plan, ocirt_error *err)
{
  for (size_t i = 0; i < N_NAMESPACES; i++) {
    int flag = namespaces[i].clone_flag;
    if (plan->join_fds[i] < 0 || flag == CLONE_NEWUSER || flag == CLONE_NEWPID)
      continue;
    if (setns(plan->join_fds[i], flag) < 0)
      return error_set(err, errno, "join %s namespace", namespaces[i].name);
    close(plan->join_fds[i]);
    plan->join_fds[i] = -1;
  }
  return 0;
}
