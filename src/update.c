/* ocirt update: change the resource limits of a container, with runc's flags or a JSON document. */
#include "config.h"
#include "ocirt.h"
#include "container_cgroup.h"
#include "utils.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[]
    = "Usage: ocirt update [OPTIONS] CONTAINER-ID\n\n"
      "Change the resources of a container; what is not given stays as it is.\n\n"
      "Options:\n"
      "  -r, --resources FILE       linux.resources as JSON (the runtime-spec's object); - reads stdin\n"
      "      --memory BYTES         memory limit (suffix k, m, g; -1 unlimited)\n"
      "      --memory-reservation BYTES  soft memory limit\n"
      "      --memory-swap BYTES    memory+swap limit (-1 unlimited)\n"
      "      --cpu-shares N         relative CPU weight\n"
      "      --cpu-quota US         CPU time per period (-1 unlimited)\n"
      "      --cpu-period US        CFS period\n"
      "      --cpuset-cpus LIST     CPUs to run on (0-3,5)\n"
      "      --cpuset-mems LIST     memory nodes\n"
      "      --pids-limit N         maximum number of processes (-1 unlimited)\n"
      "      --blkio-weight N       block I/O weight (10-1000)\n"
      "  -h, --help                 print this help\n"
      "Flags override the same fields of --resources.\n";

enum {
  OPT_MEMORY = 1000,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_CPU_SHARES,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
};

typedef struct {
  ocirt_global *g;
  const char *resources_file;
  oci_memory memory;
  oci_cpu cpu;
  oci_pids pids;
  bool has_memory, has_cpu, has_pids;
  uint32_t blkio_weight;
  bool has_blkio;
} update_options;

/* A size with an optional binary suffix (k, m, g, t; kb, mb... as runc/docker read them), or -1. */
static int
parse_size(const char *s, int64_t *out)
{
  if (strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0)
    return -1;
  static const struct {
    const char *suffix;
    double mult;
  } units[] = { { "", 1 },
                { "b", 1 },
                { "k", 1024.0 },
                { "kb", 1024.0 },
                { "kib", 1024.0 },
                { "m", 1048576.0 },
                { "mb", 1048576.0 },
                { "mib", 1048576.0 },
                { "g", 1073741824.0 },
                { "gb", 1073741824.0 },
                { "gib", 1073741824.0 },
                { "t", 1099511627776.0 },
                { "tb", 1099511627776.0 } };
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
    if (strcasecmp(end, units[i].suffix) == 0) {
      *out = (int64_t)(v * units[i].mult);
      return 0;
    }
  return -1;
}

static int
on_option(int opt, const char *arg, void *data)
{
  update_options *o = data;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  bool ok = true;
  switch (opt) {
  case 'r':
    o->resources_file = arg;
    return 0;
  case OPT_MEMORY:
  case OPT_MEMORY_RESERVATION:
  case OPT_MEMORY_SWAP:
    ok = parse_size(arg, &i64) == 0;
    o->has_memory = true;
    if (opt == OPT_MEMORY)
      o->memory.limit = i64, o->memory.has_limit = true;
    else if (opt == OPT_MEMORY_RESERVATION)
      o->memory.reservation = i64, o->memory.has_reservation = true;
    else
      o->memory.swap = i64, o->memory.has_swap = true;
    break;
  case OPT_CPU_QUOTA:
  case OPT_PIDS_LIMIT:
    ok = parse_int64(arg, &i64) == 0;
    if (opt == OPT_CPU_QUOTA)
      o->cpu.quota = i64, o->cpu.has_quota = o->has_cpu = true;
    else
      o->pids.limit = i64, o->has_pids = true;
    break;
  case OPT_CPU_SHARES:
  case OPT_CPU_PERIOD:
  case OPT_BLKIO_WEIGHT:
    ok = parse_uint64(arg, &u64) == 0;
    if (opt == OPT_CPU_SHARES)
      o->cpu.shares = u64, o->cpu.has_shares = o->has_cpu = true;
    else if (opt == OPT_CPU_PERIOD)
      o->cpu.period = u64, o->cpu.has_period = o->has_cpu = true;
    else {
      ok = ok && u64 <= 1000;
      o->blkio_weight = (uint32_t)u64, o->has_blkio = true;
    }
    break;
  case OPT_CPUSET_CPUS:
    o->cpu.cpus = (char *)arg, o->has_cpu = true;
    break;
  case OPT_CPUSET_MEMS:
    o->cpu.mems = (char *)arg, o->has_cpu = true;
    break;
  }
  if (!ok)
    return cli_usage_error(o->g, "invalid value `%s` for an update flag", arg), -1;
  return 0;
}

static oci_resources *
read_resources(ocirt_global *g, const char *file)
{
  char *msg = NULL;
  oci_resources *r;
  if (strcmp(file, "-") == 0) {
    cleanup_free char *data = NULL;
    size_t len = 0;
    cleanup_error ocirt_error err = { 0 };
    if (read_file_at(0, "/proc/self/fd/0", 64 << 20, &data, &len, &err) < 0) {
      cli_fail(g, &err);
      return NULL;
    }
    r = oci_parse_data(&oci_resources_type, data, len, "resources", &msg);
  } else
    r = oci_parse_file(&oci_resources_type, file, "resources", &msg);
  if (r == NULL) {
    cleanup_error ocirt_error err = { 0 };
    error_take(&err, 0, msg);
    error_wrap(&err, "update");
    cli_fail(g, &err);
  }
  return r;
}

int
cmd_update(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
    { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
    { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  update_options o = { .g = g };
  int first = cli_parse(g, argc, argv, "r:", options, help, on_option, &o);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  oci_resources *r = o.resources_file ? read_resources(g, o.resources_file) : xcalloc(1, sizeof(*r));
  if (r == NULL)
    return 1;
  /* Flags over the document: each flag replaces its one field. */
  if (o.has_memory) {
    if (r->memory == NULL)
      r->memory = xcalloc(1, sizeof(oci_memory));
    oci_memory *m = r->memory;
    if (o.memory.has_limit)
      m->limit = o.memory.limit, m->has_limit = true;
    if (o.memory.has_reservation)
      m->reservation = o.memory.reservation, m->has_reservation = true;
    if (o.memory.has_swap)
      m->swap = o.memory.swap, m->has_swap = true;
  }
  if (o.has_cpu) {
    if (r->cpu == NULL)
      r->cpu = xcalloc(1, sizeof(oci_cpu));
    oci_cpu *c = r->cpu;
    if (o.cpu.has_shares)
      c->shares = o.cpu.shares, c->has_shares = true;
    if (o.cpu.has_quota)
      c->quota = o.cpu.quota, c->has_quota = true;
    if (o.cpu.has_period)
      c->period = o.cpu.period, c->has_period = true;
    if (o.cpu.cpus)
      free(c->cpus), c->cpus = xstrdup(o.cpu.cpus);
    if (o.cpu.mems)
      free(c->mems), c->mems = xstrdup(o.cpu.mems);
  }
  if (o.has_pids) {
    if (r->pids == NULL)
      r->pids = xcalloc(1, sizeof(oci_pids));
    r->pids->limit = o.pids.limit;
  }
  if (o.has_blkio) {
    if (r->block_io == NULL)
      r->block_io = xcalloc(1, sizeof(oci_block_io));
    r->block_io->weight = o.blkio_weight, r->block_io->has_weight = true;
  }
  cleanup_error ocirt_error err = { 0 };
  int ret = container_update(&g->rt, argv[first], r, &err);
  oci_free(&oci_resources_type, r);
  if (ret < 0)
    return cli_fail(g, &err);
  return 0;
}
