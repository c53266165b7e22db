/* cgroup v2: one unified hierarchy; v1 values are converted as runc and crun convert them. */
#include "config.h"
#include "cgroup_devices_ebpf.h"
#include "cgroup_internal.h"
#include "utils.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define F ".linux.resources."

/* cpu.shares [2, 262144] onto cpu.weight [1, 10000], linearly (runc, crun). */
static uint64_t
cgroup_shares_to_weight(uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight [10, 1000] onto io.weight [1, 10000]. */
static uint64_t
blkio_to_io_weight(uint64_t w)
{
  return 1 + ((w - 10) * 9999) / 990;
}

/* "max" for -1 (unlimited), the number otherwise. */
static char *
limit_string(int64_t v)
{
  return v < 0 ? xstrdup("max") : xasprintf("%lld", (long long)v);
}

static int
v2_memory(const char *dir, const oci_memory *m, ocirt_error *err)
{
  if (m->has_limit) {
    cleanup_free char *v = limit_string(m->limit);
    if (cgroup_write(dir, "memory.max", v, F "memory.limit", err) < 0)
      return -1;
  }
  if (m->has_swap && m->swap != 0) {
    /* v1's swap is memory+swap; v2's memory.swap.max is the swap alone. */
    int64_t limit = m->has_limit ? m->limit : 0;
    if (!m->has_limit) {
      cleanup_free char *cur = cgroup_read(dir, "memory.max");
      limit = cur == NULL || strncmp(cur, "max", 3) == 0 ? -1 : strtoll(cur, NULL, 10);
    }
    cleanup_free char *v = NULL;
    if (m->swap < 0)
      v = xstrdup("max");
    else if (limit <= 0)
      return error_set(err, 0, F "memory.swap: a swap limit needs a memory limit");
    else if (m->swap < limit)
      return error_set(err, 0, F "memory.swap: %lld is below the memory limit %lld (swap counts memory+swap)",
                       (long long)m->swap, (long long)limit);
    else
      v = xasprintf("%lld", (long long)(m->swap - limit));
    if (!cgroup_has_file(dir, "memory.swap.max"))
      return error_set(err, 0, F "memory.swap: this kernel does not account swap");
    if (cgroup_write(dir, "memory.swap.max", v, F "memory.swap", err) < 0)
      return -1;
  }
  if (m->has_reservation) {
    cleanup_free char *v = limit_string(m->reservation);
    if (cgroup_write(dir, "memory.low", v, F "memory.reservation", err) < 0)
      return -1;
  }
  if (m->has_kernel)
    cgroup_warn(F "memory.kernel: ignored: cgroup v2 has no kernel memory limit");
  if (m->has_kernel_tcp)
    cgroup_warn(F "memory.kernelTCP: ignored: cgroup v2 has no kernel TCP memory limit");
  if (m->has_swappiness)
    cgroup_warn(F "memory.swappiness: ignored: cgroup v2 has no swappiness");
  if (m->disable_oom_killer)
    cgroup_warn(F "memory.disableOOMKiller: ignored: cgroup v2 cannot disable the OOM killer");
  return 0;
}

static int
v2_cpu(const char *dir, const oci_cpu *c, ocirt_error *err)
{
  if (c->has_realtime_period || c->has_realtime_runtime)
    return error_set(err, 0, F "cpu.realtime%s: cgroup v2 has no realtime scheduling limits",
                     c->has_realtime_period ? "Period" : "Runtime");
  if (c->has_shares && c->shares != 0
      && cgroup_writef(dir, "cpu.weight", F "cpu.shares", err, "%llu",
                       (unsigned long long)cgroup_shares_to_weight(c->shares))
             < 0)
    return -1;
  if ((c->has_quota && c->quota != 0) || (c->has_period && c->period != 0)) {
    /* cpu.max is "QUOTA PERIOD": the half not given stays as it is. */
    cleanup_free char *cur = cgroup_read(dir, "cpu.max");
    char quota[32] = "max";
    unsigned long long period = 100000;
    if (cur)
      sscanf(cur, "%31s %llu", quota, &period);
    if (c->has_quota && c->quota != 0) {
      if (c->quota < 0)
        snprintf(quota, sizeof(quota), "max");
      else
        snprintf(quota, sizeof(quota), "%lld", (long long)c->quota);
    }
    if (c->has_period && c->period != 0)
      period = c->period;
    if (cgroup_writef(dir, "cpu.max", c->has_quota ? F "cpu.quota" : F "cpu.period", err, "%s %llu", quota,
                      period)
        < 0)
      return -1;
  }
  if (c->has_burst
      && cgroup_writef(dir, "cpu.max.burst", F "cpu.burst", err, "%llu", (unsigned long long)c->burst) < 0)
    return -1;
  if (c->has_idle && cgroup_writef(dir, "cpu.idle", F "cpu.idle", err, "%lld", (long long)c->idle) < 0)
    return -1;
  if (c->cpus && *c->cpus && cgroup_write(dir, "cpuset.cpus", c->cpus, F "cpu.cpus", err) < 0)
    return -1;
  if (c->mems && *c->mems && cgroup_write(dir, "cpuset.mems", c->mems, F "cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int
v2_io(const char *dir, const oci_block_io *b, ocirt_error *err)
{
  /* io.weight (the cost model) where the kernel has it, else BFQ's io.bfq.weight (same range as v1). */
  bool iow = cgroup_has_file(dir, "io.weight");
  const char *wfile = iow ? "io.weight" : "io.bfq.weight";
  /* A weight of 0 is no weight (runc, crun): docker sends {"weight": 0} when --blkio-weight is not given. */
  if (b->has_weight && b->weight != 0) {
    if (b->weight < 10 || b->weight > 1000)
      return error_set(err, 0, F "blockIO.weight: %u is out of range 10-1000", b->weight);
    if (!cgroup_has_file(dir, wfile))
      return error_set(err, 0, F "blockIO.weight: no I/O weight on this host (io.weight or io.bfq.weight)");
    if (cgroup_writef(dir, wfile, F "blockIO.weight", err, "default %llu",
                      (unsigned long long)(iow ? blkio_to_io_weight(b->weight) : b->weight))
        < 0)
      return -1;
  }
  if (b->has_leaf_weight)
    cgroup_warn(F "blockIO.leafWeight: ignored: cgroup v2 has no leaf weights");
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const oci_weight_device *d = b->weight_device[i];
    cleanup_free char *field = xasprintf(F "blockIO.weightDevice[%zu]", i);
    if (d->has_weight
        && cgroup_writef(dir, wfile, field, err, "%lld:%lld %llu", (long long)d->major, (long long)d->minor,
                         (unsigned long long)(iow ? blkio_to_io_weight(d->weight) : d->weight))
               < 0)
      return -1;
  }
  const struct {
    const char *key, *field;
    oci_throttle_device **devs;
    size_t n;
  } t[] = {
    { "rbps", F "blockIO.throttleReadBpsDevice", b->throttle_read_bps_device,
      b->throttle_read_bps_device_len },
    { "wbps", F "blockIO.throttleWriteBpsDevice", b->throttle_write_bps_device,
      b->throttle_write_bps_device_len },
    { "riops", F "blockIO.throttleReadIOPSDevice", b->throttle_read_iops_device,
      b->throttle_read_iops_device_len },
    { "wiops", F "blockIO.throttleWriteIOPSDevice", b->throttle_write_iops_device,
      b->throttle_write_iops_device_len },
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    for (size_t j = 0; j < t[i].n; j++) {
      const oci_throttle_device *d = t[i].devs[j];
      cleanup_free char *field = xasprintf("%s[%zu]", t[i].field, j);
      /* A rate of 0 means no limit, as in v1. */
      cleanup_free char *rate = d->rate ? xasprintf("%llu", (unsigned long long)d->rate) : xstrdup("max");
      if (cgroup_writef(dir, "io.max", field, err, "%lld:%lld %s=%s", (long long)d->major,
                        (long long)d->minor, t[i].key, rate)
          < 0)
        return -1;
    }
  return 0;
}

static int
v2_apply(const char *path, const oci_resources *r, ocirt_error *err)
{
  cleanup_free char *dir = cgroup_dir_of(path, NULL);
  if (dir == NULL)
    return error_set(err, 0, ".linux.resources: cgroup v2 is not mounted");
  if (r->devices_len && devices_ebpf_attach(dir, r->devices, r->devices_len, err) < 0)
    return -1;
  if (r->memory && v2_memory(dir, r->memory, err) < 0)
    return -1;
  if (r->cpu && v2_cpu(dir, r->cpu, err) < 0)
    return -1;
  if (r->pids && r->pids->limit != 0) {
    cleanup_free char *v = limit_string(r->pids->limit);
    if (cgroup_write(dir, "pids.max", v, F "pids.limit", err) < 0)
      return -1;
  }
  if (r->block_io && v2_io(dir, r->block_io, err) < 0)
    return -1;
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const oci_hugepage_limit *h = r->hugepage_limits[i];
    cleanup_free char *field = xasprintf(F "hugepageLimits[%zu]", i);
    cleanup_free char *file = xasprintf("hugetlb.%s.max", h->page_size);
    if (strchr(h->page_size, '/') || !cgroup_has_file(dir, file))
      return error_set(err, 0, "%s.pageSize: \"%s\" is not a huge page size of this host", field,
                       h->page_size);
    if (cgroup_writef(dir, file, field, err, "%llu", (unsigned long long)h->limit) < 0)
      return -1;
  }
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    cgroup_warn(F "network: ignored: cgroup v2 has no net_cls or net_prio controller");
  return cgroup_write_unified(dir, r, err);
}

static int
v2_freeze(const char *path, bool frozen, ocirt_error *err)
{
  cleanup_free char *dir = cgroup_dir_of(path, NULL);
  if (dir == NULL || !cgroup_has_file(dir, "cgroup.freeze"))
    return error_set(err, 0, "this kernel has no cgroup.freeze");
  if (cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", "cgroup.freeze", err) < 0)
    return -1;
  /* cgroup.events says "frozen 1" once every task stopped. */
  for (int attempt = 0; attempt < 2000; attempt++) {
    cleanup_free char *ev = cgroup_read(dir, "cgroup.events");
    if (ev && cgroup_keyed_value(ev, "frozen") == (frozen ? 1 : 0))
      return 0;
    struct timespec ts = { 0, 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  return error_set(err, ETIMEDOUT, "`%s` did not become %s", dir, frozen ? "frozen" : "thawed");
}

static int
v2_is_frozen(const char *path)
{
  cleanup_free char *dir = cgroup_dir_of(path, NULL);
  cleanup_free char *f = dir ? cgroup_read(dir, "cgroup.freeze") : NULL;
  if (f == NULL)
    return -1;
  return f[0] == '1';
}

static uint64_t
read_u64(const char *dir, const char *file)
{
  cleanup_free char *s = cgroup_read(dir, file);
  return s && strncmp(s, "max", 3) != 0 ? strtoull(s, NULL, 10) : 0;
}

static char *
v2_stats(const char *path)
{
  strbuf b = { 0 };
  cleanup_free char *dir = cgroup_dir_of(path, NULL);
  if (dir == NULL)
    return xstrdup("{}");
  cleanup_free char *cpu = cgroup_read(dir, "cpu.stat"), *raw = cgroup_read(dir, "memory.stat");
  strbuf_printf(&b, "{\"cpu\":{\"usage\":{\"total\":%llu,\"kernel\":%llu,\"user\":%llu},",
                (unsigned long long)cgroup_keyed_value(cpu, "usage_usec") * 1000,
                (unsigned long long)cgroup_keyed_value(cpu, "system_usec") * 1000,
                (unsigned long long)cgroup_keyed_value(cpu, "user_usec") * 1000);
  strbuf_printf(&b, "\"throttling\":{\"periods\":%llu,\"throttled_periods\":%llu,\"throttled_time\":%llu}},",
                (unsigned long long)cgroup_keyed_value(cpu, "nr_periods"),
                (unsigned long long)cgroup_keyed_value(cpu, "nr_throttled"),
                (unsigned long long)cgroup_keyed_value(cpu, "throttled_usec") * 1000);
  cleanup_free char *events = cgroup_read(dir, "memory.events");
  strbuf_printf(
      &b,
      "\"memory\":{\"cache\":%llu,\"usage\":{\"usage\":%llu,\"max\":%llu,\"limit\":%llu,\"failcnt\":%llu},"
      "\"swap\":{\"usage\":%llu,\"max\":%llu,\"limit\":%llu,\"failcnt\":0},\"raw\":{",
      (unsigned long long)cgroup_keyed_value(raw, "file"),
      (unsigned long long)read_u64(dir, "memory.current"), (unsigned long long)read_u64(dir, "memory.peak"),
      (unsigned long long)read_u64(dir, "memory.max"), (unsigned long long)cgroup_keyed_value(events, "max"),
      (unsigned long long)read_u64(dir, "memory.swap.current"),
      (unsigned long long)read_u64(dir, "memory.swap.peak"),
      (unsigned long long)read_u64(dir, "memory.swap.max"));
  char *save = NULL;
  bool first = true;
  for (char *line = raw ? strtok_r(raw, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    strbuf_printf(&b, "%s\"%s\":%llu", first ? "" : ",", line, strtoull(sp + 1, NULL, 10));
    first = false;
  }
  strbuf_printf(&b, "}},\"pids\":{\"current\":%llu,\"limit\":%llu},\"blkio\":{},\"hugetlb\":{}}",
                (unsigned long long)read_u64(dir, "pids.current"),
                (unsigned long long)read_u64(dir, "pids.max"));
  return b.s;
}

static int
v2_oom_kills(const char *path, uint64_t *n)
{
  cleanup_free char *dir = cgroup_dir_of(path, NULL);
  cleanup_free char *ev = dir ? cgroup_read(dir, "memory.events") : NULL;
  if (ev == NULL)
    return -1;
  *n = cgroup_keyed_value(ev, "oom_kill");
  return 0;
}

const cgroup_backend cgroup_backend_v2 = {
  .name = "v2",
  .apply = v2_apply,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .stats = v2_stats,
  .oom_kills = v2_oom_kills,
};
