/* cgroup v1: one hierarchy per controller (also on a hybrid host, where cgroup2 sits beside them
 * holding no controller: "unified" keys go there). */
#include "config.h"
#include "cgroup_internal.h"
#include "utils.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define F ".linux.resources."

/* The controller's folder, or an error naming the field when the host does not mount it. */
static char *
need_dir(const char *path, const char *controller, const char *field, ocirt_error *err)
{
  char *dir = cgroup_dir_of(path, controller);
  if (dir == NULL)
    error_set(err, 0, "%s: the %s controller is not mounted on this host", field, controller);
  return dir;
}

static int
v1_memory(const char *path, const oci_memory *m, ocirt_error *err)
{
  cleanup_free char *dir = need_dir(path, "memory", F "memory", err);
  if (dir == NULL)
    return -1;
  if (m->has_use_hierarchy && m->use_hierarchy) {
    cleanup_error ocirt_error ignored = { 0 };
    if (cgroup_write(dir, "memory.use_hierarchy", "1", F "memory.useHierarchy", &ignored) < 0)
      cgroup_warn(F "memory.useHierarchy: ignored (%s)", ignored.msg);
  }
  /* memsw is memory+swap and may never be below the memory limit: when the new limit is above the
   * current memsw, memsw goes first. */
  bool swap = m->has_swap && m->swap != 0;
  if (swap && !cgroup_has_file(dir, "memory.memsw.limit_in_bytes"))
    return error_set(err, 0, F "memory.swap: this kernel does not account swap (swapaccount=0)");
  if (m->has_limit) {
    cleanup_error ocirt_error first = { 0 };
    if (cgroup_writef(dir, "memory.limit_in_bytes", F "memory.limit", &first, "%lld", (long long)m->limit)
        < 0) {
      if (!(swap && first.errno_value == EINVAL))
        return error_take(err, first.errno_value, steal_ptr(&first.msg));
      if (cgroup_writef(dir, "memory.memsw.limit_in_bytes", F "memory.swap", err, "%lld", (long long)m->swap)
              < 0
          || cgroup_writef(dir, "memory.limit_in_bytes", F "memory.limit", err, "%lld", (long long)m->limit)
                 < 0)
        return -1;
      swap = false;
    }
  }
  if (swap
      && cgroup_writef(dir, "memory.memsw.limit_in_bytes", F "memory.swap", err, "%lld", (long long)m->swap)
             < 0)
    return -1;
  if (m->has_reservation
      && cgroup_writef(dir, "memory.soft_limit_in_bytes", F "memory.reservation", err, "%lld",
                       (long long)m->reservation)
             < 0)
    return -1;
  if (m->has_swappiness) {
    if (m->swappiness > 100)
      return error_set(err, 0, F "memory.swappiness: %llu is out of range 0-100",
                       (unsigned long long)m->swappiness);
    if (cgroup_writef(dir, "memory.swappiness", F "memory.swappiness", err, "%llu",
                      (unsigned long long)m->swappiness)
        < 0)
      return -1;
  }
  if (m->disable_oom_killer
      && cgroup_write(dir, "memory.oom_control", "1", F "memory.disableOOMKiller", err) < 0)
    return -1;
  /* Kernel memory limits are gone from recent kernels (the files stay, writes fail). */
  static const struct {
    const char *file, *field;
  } kmem[] = { { "memory.kmem.limit_in_bytes", F "memory.kernel" },
               { "memory.kmem.tcp.limit_in_bytes", F "memory.kernelTCP" } };
  const bool has[] = { m->has_kernel, m->has_kernel_tcp };
  const int64_t val[] = { m->kernel, m->kernel_tcp };
  for (size_t i = 0; i < 2; i++) {
    if (!has[i])
      continue;
    /* Since 5.16 the write "succeeds" and changes nothing: read it back. */
    cleanup_error ocirt_error ignored = { 0 };
    cleanup_free char *now = NULL;
    if (cgroup_writef(dir, kmem[i].file, kmem[i].field, &ignored, "%lld", (long long)val[i]) < 0
        || (now = cgroup_read(dir, kmem[i].file)) == NULL
        || (val[i] >= 0 && strtoll(now, NULL, 10) != val[i]))
      cgroup_warn("%s: ignored: this kernel has no kernel memory limit", kmem[i].field);
  }
  return 0;
}

static int
v1_cpu(const char *path, const oci_cpu *c, ocirt_error *err)
{
  if (c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_realtime_period
      || c->has_realtime_runtime || c->has_idle) {
    cleanup_free char *dir = need_dir(path, "cpu", F "cpu", err);
    if (dir == NULL)
      return -1;
    if (c->has_shares && c->shares != 0
        && cgroup_writef(dir, "cpu.shares", F "cpu.shares", err, "%llu", (unsigned long long)c->shares) < 0)
      return -1;
    /* The period first: a quota is checked against it. */
    if (c->has_period && c->period != 0
        && cgroup_writef(dir, "cpu.cfs_period_us", F "cpu.period", err, "%llu", (unsigned long long)c->period)
               < 0)
      return -1;
    if (c->has_quota && c->quota != 0
        && cgroup_writef(dir, "cpu.cfs_quota_us", F "cpu.quota", err, "%lld",
                         (long long)(c->quota < 0 ? -1 : c->quota))
               < 0)
      return -1;
    if (c->has_burst
        && cgroup_writef(dir, "cpu.cfs_burst_us", F "cpu.burst", err, "%llu", (unsigned long long)c->burst)
               < 0)
      return -1;
    if (c->has_realtime_period && c->realtime_period != 0
        && cgroup_writef(dir, "cpu.rt_period_us", F "cpu.realtimePeriod", err, "%llu",
                         (unsigned long long)c->realtime_period)
               < 0)
      return -1;
    if (c->has_realtime_runtime && c->realtime_runtime != 0
        && cgroup_writef(dir, "cpu.rt_runtime_us", F "cpu.realtimeRuntime", err, "%lld",
                         (long long)c->realtime_runtime)
               < 0)
      return -1;
    if (c->has_idle && cgroup_writef(dir, "cpu.idle", F "cpu.idle", err, "%lld", (long long)c->idle) < 0)
      return -1;
  }
  if ((c->cpus && *c->cpus) || (c->mems && *c->mems)) {
    cleanup_free char *dir = need_dir(path, "cpuset", F "cpu.cpus", err);
    if (dir == NULL)
      return -1;
    if (c->cpus && *c->cpus && cgroup_write(dir, "cpuset.cpus", c->cpus, F "cpu.cpus", err) < 0)
      return -1;
    if (c->mems && *c->mems && cgroup_write(dir, "cpuset.mems", c->mems, F "cpu.mems", err) < 0)
      return -1;
  }
  return 0;
}

static int
v1_pids(const char *path, const oci_pids *p, ocirt_error *err)
{
  if (p->limit == 0)
    return 0;
  cleanup_free char *dir = need_dir(path, "pids", F "pids.limit", err);
  if (dir == NULL)
    return -1;
  if (p->limit < 0)
    return cgroup_write(dir, "pids.max", "max", F "pids.limit", err);
  return cgroup_writef(dir, "pids.max", F "pids.limit", err, "%lld", (long long)p->limit);
}

static int
v1_throttles(const char *dir, const oci_block_io *b, ocirt_error *err)
{
  const struct {
    const char *file, *field;
    oci_throttle_device **devs;
    size_t n;
  } t[] = {
    { "blkio.throttle.read_bps_device", F "blockIO.throttleReadBpsDevice", b->throttle_read_bps_device,
      b->throttle_read_bps_device_len },
    { "blkio.throttle.write_bps_device", F "blockIO.throttleWriteBpsDevice", b->throttle_write_bps_device,
      b->throttle_write_bps_device_len },
    { "blkio.throttle.read_iops_device", F "blockIO.throttleReadIOPSDevice", b->throttle_read_iops_device,
      b->throttle_read_iops_device_len },
    { "blkio.throttle.write_iops_device", F "blockIO.throttleWriteIOPSDevice", b->throttle_write_iops_device,
      b->throttle_write_iops_device_len },
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    for (size_t j = 0; j < t[i].n; j++) {
      const oci_throttle_device *d = t[i].devs[j];
      cleanup_free char *field = xasprintf("%s[%zu]", t[i].field, j);
      if (cgroup_writef(dir, t[i].file, field, err, "%lld:%lld %llu", (long long)d->major,
                        (long long)d->minor, (unsigned long long)d->rate)
          < 0)
        return -1;
    }
  return 0;
}

static int
v1_blkio(const char *path, const oci_block_io *b, ocirt_error *err)
{
  cleanup_free char *dir = need_dir(path, "blkio", F "blockIO", err);
  if (dir == NULL)
    return -1;
  /* Without CFQ (gone since 5.0) the weight is BFQ's. */
  const char *weight = cgroup_has_file(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  /* A weight of 0 is no weight (runc, crun): docker sends {"weight": 0} when --blkio-weight is not given. */
  if (b->has_weight && b->weight != 0) {
    if (b->weight < 10 || b->weight > 1000)
      return error_set(err, 0, F "blockIO.weight: %u is out of range 10-1000", b->weight);
    if (!cgroup_has_file(dir, weight))
      return error_set(err, 0, F "blockIO.weight: no I/O scheduler of this host has weights (CFQ or BFQ)");
    if (cgroup_writef(dir, weight, F "blockIO.weight", err, "%u", b->weight) < 0)
      return -1;
  }
  if (b->has_leaf_weight)
    cgroup_warn(F "blockIO.leafWeight: ignored: this kernel has no leaf weights");
  const char *wdev = strcmp(weight, "blkio.weight") == 0 ? "blkio.weight_device" : "blkio.bfq.weight";
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const oci_weight_device *d = b->weight_device[i];
    cleanup_free char *field = xasprintf(F "blockIO.weightDevice[%zu]", i);
    if (!d->has_weight)
      continue;
    if (cgroup_writef(dir, wdev, field, err, "%lld:%lld %u", (long long)d->major, (long long)d->minor,
                      d->weight)
        < 0)
      return -1;
  }
  return v1_throttles(dir, b, err);
}

static int
v1_hugetlb(const char *path, oci_hugepage_limit **h, size_t n, ocirt_error *err)
{
  cleanup_free char *dir = need_dir(path, "hugetlb", F "hugepageLimits", err);
  if (dir == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *field = xasprintf(F "hugepageLimits[%zu]", i);
    cleanup_free char *file = xasprintf("hugetlb.%s.limit_in_bytes", h[i]->page_size);
    if (strchr(h[i]->page_size, '/') || !cgroup_has_file(dir, file))
      return error_set(err, 0, "%s.pageSize: \"%s\" is not a huge page size of this host", field,
                       h[i]->page_size);
    if (cgroup_writef(dir, file, field, err, "%llu", (unsigned long long)h[i]->limit) < 0)
      return -1;
  }
  return 0;
}

static int
v1_network(const char *path, const oci_network *net, ocirt_error *err)
{
  if (net->has_class_id) {
    cleanup_free char *dir = cgroup_dir_of(path, "net_cls");
    if (dir == NULL)
      cgroup_warn(F "network.classID: ignored: the net_cls controller is not mounted on this host");
    else if (cgroup_writef(dir, "net_cls.classid", F "network.classID", err, "%u", net->class_id) < 0)
      return -1;
  }
  if (net->priorities_len) {
    cleanup_free char *dir = cgroup_dir_of(path, "net_prio");
    if (dir == NULL) {
      cgroup_warn(F "network.priorities: ignored: the net_prio controller is not mounted on this host");
      return 0;
    }
    for (size_t i = 0; i < net->priorities_len; i++) {
      cleanup_free char *field = xasprintf(F "network.priorities[%zu]", i);
      if (cgroup_writef(dir, "net_prio.ifpriomap", field, err, "%s %u", net->priorities[i]->name,
                        net->priorities[i]->priority)
          < 0)
        return -1;
    }
  }
  return 0;
}

/* v1 applies the rules in order, as the spec reads them: "a" resets the default, others are
 * exceptions to it. */
static int
v1_devices(const char *path, oci_device_cgroup **rules, size_t n, ocirt_error *err)
{
  cleanup_free char *dir = need_dir(path, "devices", F "devices", err);
  if (dir == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const oci_device_cgroup *d = rules[i];
    cleanup_free char *field = xasprintf(F "devices[%zu]", i);
    const char *type = d->type && *d->type ? d->type : "a";
    char major[24] = "*", minor[24] = "*";
    if (d->has_major && d->major >= 0)
      snprintf(major, sizeof(major), "%lld", (long long)d->major);
    if (d->has_minor && d->minor >= 0)
      snprintf(minor, sizeof(minor), "%lld", (long long)d->minor);
    const char *access = d->access && *d->access ? d->access : "rwm";
    if (cgroup_writef(dir, d->allow ? "devices.allow" : "devices.deny", field, err, "%s %s:%s %s", type,
                      major, minor, access)
        < 0)
      return -1;
  }
  return 0;
}

static int
v1_apply(const char *path, const oci_resources *r, ocirt_error *err)
{
  if (r->devices_len && v1_devices(path, r->devices, r->devices_len, err) < 0)
    return -1;
  if (r->memory && v1_memory(path, r->memory, err) < 0)
    return -1;
  if (r->cpu && v1_cpu(path, r->cpu, err) < 0)
    return -1;
  if (r->pids && v1_pids(path, r->pids, err) < 0)
    return -1;
  if (r->block_io && v1_blkio(path, r->block_io, err) < 0)
    return -1;
  if (r->hugepage_limits_len && v1_hugetlb(path, r->hugepage_limits, r->hugepage_limits_len, err) < 0)
    return -1;
  if (r->network && v1_network(path, r->network, err) < 0)
    return -1;
  if (r->unified_len) {
    cleanup_free char *dir = cgroup_dir_of(path, NULL);
    if (cgroup_write_unified(dir, r, err) < 0)
      return -1;
  }
  return 0;
}

static int
v1_freeze(const char *path, bool frozen, ocirt_error *err)
{
  cleanup_free char *dir = cgroup_dir_of(path, "freezer");
  if (dir == NULL)
    return error_set(err, 0, "the freezer controller is not mounted on this host");
  const char *want = frozen ? "FROZEN" : "THAWED";
  /* FREEZING lasts until every task stopped; writing again retries the ones that were busy. */
  for (int attempt = 0; attempt < 2000; attempt++) {
    if (attempt % 10 == 0 && cgroup_write(dir, "freezer.state", want, "freezer.state", err) < 0)
      return -1;
    cleanup_free char *now = cgroup_read(dir, "freezer.state");
    if (now && strncmp(now, want, strlen(want)) == 0)
      return 0;
    struct timespec ts = { 0, 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  if (frozen) {
    cleanup_error ocirt_error ignored = { 0 };
    cgroup_write(dir, "freezer.state", "THAWED", "freezer.state", &ignored);
  }
  return error_set(err, ETIMEDOUT, "`%s/freezer.state` did not become %s", dir, want);
}

static int
v1_is_frozen(const char *path)
{
  cleanup_free char *dir = cgroup_dir_of(path, "freezer");
  cleanup_free char *now = dir ? cgroup_read(dir, "freezer.state") : NULL;
  if (now == NULL)
    return -1;
  return strncmp(now, "THAWED", 6) != 0;
}

static uint64_t
read_u64(const char *dir, const char *file)
{
  cleanup_free char *s = dir ? cgroup_read(dir, file) : NULL;
  return s ? strtoull(s, NULL, 10) : 0;
}

static void
memory_entry(strbuf *b, const char *dir, const char *name, const char *prefix, bool comma)
{
  cleanup_free char *usage = xasprintf("%susage_in_bytes", prefix),
                    *max = xasprintf("%smax_usage_in_bytes", prefix),
                    *limit = xasprintf("%slimit_in_bytes", prefix), *failcnt = xasprintf("%sfailcnt", prefix);
  strbuf_printf(b, "%s\"%s\":{\"usage\":%llu,\"max\":%llu,\"limit\":%llu,\"failcnt\":%llu}", comma ? "," : "",
                name, (unsigned long long)read_u64(dir, usage), (unsigned long long)read_u64(dir, max),
                (unsigned long long)read_u64(dir, limit), (unsigned long long)read_u64(dir, failcnt));
}

static char *
v1_stats(const char *path)
{
  strbuf b = { 0 };
  cleanup_free char *cpuacct = cgroup_dir_of(path, "cpuacct"), *cpu = cgroup_dir_of(path, "cpu"),
                    *mem = cgroup_dir_of(path, "memory"), *pids = cgroup_dir_of(path, "pids");
  cleanup_free char *percpu = cpuacct ? cgroup_read(cpuacct, "cpuacct.usage_percpu") : NULL;
  cleanup_free char *cpustat = cpuacct ? cgroup_read(cpuacct, "cpuacct.stat") : NULL;
  cleanup_free char *throttle = cpu ? cgroup_read(cpu, "cpu.stat") : NULL;
  long ticks = 100; /* USER_HZ: cpuacct.stat counts in clock ticks */
  strbuf_printf(&b, "{\"cpu\":{\"usage\":{\"total\":%llu,\"percpu\":[",
                (unsigned long long)read_u64(cpuacct, "cpuacct.usage"));
  char *save = NULL;
  bool first = true;
  for (char *t = percpu ? strtok_r(percpu, " \n", &save) : NULL; t;
       t = strtok_r(NULL, " \n", &save), first = false)
    strbuf_printf(&b, "%s%s", first ? "" : ",", t);
  strbuf_printf(&b, "],\"kernel\":%llu,\"user\":%llu},",
                (unsigned long long)(cgroup_keyed_value(cpustat, "system") * (1000000000 / ticks)),
                (unsigned long long)(cgroup_keyed_value(cpustat, "user") * (1000000000 / ticks)));
  strbuf_printf(&b, "\"throttling\":{\"periods\":%llu,\"throttled_periods\":%llu,\"throttled_time\":%llu}},",
                (unsigned long long)cgroup_keyed_value(throttle, "nr_periods"),
                (unsigned long long)cgroup_keyed_value(throttle, "nr_throttled"),
                (unsigned long long)cgroup_keyed_value(throttle, "throttled_time"));
  cleanup_free char *raw = mem ? cgroup_read(mem, "memory.stat") : NULL;
  strbuf_printf(&b, "\"memory\":{\"cache\":%llu", (unsigned long long)cgroup_keyed_value(raw, "total_cache"));
  memory_entry(&b, mem, "usage", "memory.", true);
  memory_entry(&b, mem, "swap", "memory.memsw.", true);
  memory_entry(&b, mem, "kernel", "memory.kmem.", true);
  memory_entry(&b, mem, "kernelTCP", "memory.kmem.tcp.", true);
  strbuf_printf(&b, ",\"raw\":{");
  first = true;
  for (char *line = raw ? strtok_r(raw, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    strbuf_printf(&b, "%s\"%s\":%llu", first ? "" : ",", line, strtoull(sp + 1, NULL, 10));
    first = false;
  }
  cleanup_free char *pmax = pids ? cgroup_read(pids, "pids.max") : NULL;
  strbuf_printf(&b, "}},\"pids\":{\"current\":%llu,\"limit\":%llu},\"blkio\":{},\"hugetlb\":{}}",
                (unsigned long long)read_u64(pids, "pids.current"),
                (unsigned long long)(pmax ? strtoull(pmax, NULL, 10) : 0));
  return b.s;
}

static int
v1_oom_kills(const char *path, uint64_t *n)
{
  cleanup_free char *dir = cgroup_dir_of(path, "memory");
  cleanup_free char *s = dir ? cgroup_read(dir, "memory.oom_control") : NULL;
  if (s == NULL)
    return -1;
  *n = cgroup_keyed_value(s, "oom_kill");
  return 0;
}

const cgroup_backend cgroup_backend_v1 = {
  .name = "v1",
  .apply = v1_apply,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .stats = v1_stats,
  .oom_kills = v1_oom_kills,
};
