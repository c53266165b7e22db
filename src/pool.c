/* ocirt pool: device-mapper thin pools (create, list, status, activate, destroy). */
#include "config.h"
#include "dm.h"
#include "ocirt.h"
#include "utils.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char help[]
    = "Usage: ocirt pool SUBCOMMAND [OPTIONS] [ARGS]\n\n"
      "Device-mapper thin pools, which hold images and containers' snapshot root filesystems.\n"
      "Their metadata lives in $OCIRT_POOL_DIR (default /var/lib/ocirt/pools).\n\n"
      "Subcommands:\n"
      "  create NAME --data FILE|DEV --metadata FILE|DEV [--size SIZE] [--metadata-size SIZE]\n"
      "         [--block-size SIZE]   make a pool; missing files are made sparse (--size is then\n"
      "                               needed for the data file; metadata defaults to 16M), block size\n"
      "                               defaults to 64K\n"
      "  list                         the pools: name, state, data used, devices\n"
      "  status NAME                  data and metadata used/total, transaction id, mode, devices\n"
      "  activate NAME                attach the loop devices and load the pool (after a reboot)\n"
      "  destroy [--force] NAME       remove the pool (its files stay); refused while it holds images\n"
      "                               or containers, unless --force\n"
      "Options:\n"
      "  -h, --help   print this help\n";

typedef struct {
  ocirt_global *g;
  thinpool_options o;
  bool force;
} pool_cli;

static int
on_option(int opt, const char *arg, void *data)
{
  pool_cli *c = data;
  static const struct {
    int opt;
    const char *name;
    size_t offset;
  } sizes[] = {
    { 's', "--size", offsetof(thinpool_options, size) },
    { 'm', "--metadata-size", offsetof(thinpool_options, metadata_size) },
    { 'b', "--block-size", offsetof(thinpool_options, block_size) },
  };
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
    if (opt == sizes[i].opt && size_parse(arg, (uint64_t *)((char *)&c->o + sizes[i].offset)) < 0)
      return cli_usage_error(c->g, "%s: expected a size like 512M or 2G, got `%s`", sizes[i].name, arg), -1;
  if (opt == 'd')
    c->o.data = arg;
  else if (opt == 'M')
    c->o.metadata = arg;
  else if (opt == 'f')
    c->force = true;
  return 0;
}

static const char *
percent(char *buf, size_t n, uint64_t used, uint64_t total)
{
  snprintf(buf, n, "%" PRIu64 "%%", total ? used * 100 / total : 0);
  return buf;
}

static int
pool_list(ocirt_global *g)
{
  cleanup_error ocirt_error err = { 0 };
  cleanup_strv char **names = NULL;
  if (thinpool_names(&names, &err) < 0)
    return cli_fail(g, &err);
  printf("%-20s %-10s %-10s %s\n", "NAME", "MODE", "DATA", "DEVICES");
  for (char **n = names; *n; n++) {
    oci_dm_pool *m = NULL;
    thinpool_usage u;
    if (thinpool_get(*n, &m, &u, &err) < 0) {
      printf("%-20s %s\n", *n, err.msg);
      error_clear(&err);
      continue;
    }
    char pct[32];
    printf("%-20s %-10s %-10s %zu\n", *n, u.mode, percent(pct, sizeof(pct), u.data_used, u.data_total),
           m->devices_len);
    oci_free(&oci_dm_pool_type, m);
  }
  return 0;
}

static int
pool_status(ocirt_global *g, const char *name)
{
  cleanup_error ocirt_error err = { 0 };
  oci_dm_pool *m = NULL;
  thinpool_usage u;
  if (thinpool_get(name, &m, &u, &err) < 0)
    return cli_fail(g, &err);
  char p1[32], p2[32];
  printf("name: %s\nmode: %s\ntransaction: %" PRIu64 "\n", name, u.mode, u.transaction_id);
  printf("data: %s\nmetadata: %s\nblock size: %" PRIu32 "\n", m->data, m->metadata, m->block_sectors * 512);
  printf("data used: %" PRIu64 " / %" PRIu64 " (%s)\n", u.data_used, u.data_total,
         percent(p1, sizeof(p1), u.data_used, u.data_total));
  printf("metadata used: %" PRIu64 " / %" PRIu64 " (%s)\n", u.metadata_used, u.metadata_total,
         percent(p2, sizeof(p2), u.metadata_used, u.metadata_total));
  printf("devices: %zu\n", m->devices_len);
  for (size_t i = 0; i < m->devices_len; i++) {
    const oci_dm_device *d = m->devices[i];
    printf("  %" PRIu32 " %s %s %s%s%s\n", d->id, d->kind, d->name, d->state, d->parent ? " parent=" : "",
           d->parent ? d->parent : "");
  }
  oci_free(&oci_dm_pool_type, m);
  return 0;
}

int
cmd_pool(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "data", required_argument, NULL, 'd' },
    { "metadata", required_argument, NULL, 'M' },
    { "size", required_argument, NULL, 's' },
    { "metadata-size", required_argument, NULL, 'm' },
    { "block-size", required_argument, NULL, 'b' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    if (argc < 2)
      return cli_usage_error(g, "missing subcommand (see `ocirt pool --help`)");
    fputs(help, stdout);
    return 0;
  }
  const char *sub = argv[1];
  cleanup_free char *cmd = xasprintf("pool %s", sub);
  g->command = cmd;
  pool_cli c = { .g = g };
  /* the options may come before or after the name: parse from the subcommand on, without '+' stops */
  int first = cli_parse(g, argc - 1, argv + 1, "d:M:s:m:b:f", options, help, on_option, &c);
  if (first < 0)
    return first == -2 ? 0 : 1;
  int nargs = argc - 1 - first;
  char **args = argv + 1 + first;
  /* a NAME given before the options: getopt stopped at it; parse what follows too */
  if (nargs > 1 && args[1][0] == '-') {
    int more = cli_parse(g, nargs, args, "d:M:s:m:b:f", options, help, on_option, &c);
    if (more < 0)
      return more == -2 ? 0 : 1;
    if (more != nargs)
      return cli_usage_error(g, "unexpected argument `%s`", args[more]);
    nargs = 1;
  }
  cleanup_error ocirt_error err = { 0 };
  if (strcmp(sub, "list") == 0) {
    if (nargs)
      return cli_usage_error(g, "unexpected argument `%s`", args[0]);
    return pool_list(g);
  }
  if (nargs != 1)
    return cli_usage_error(
        g, nargs ? "unexpected argument `%s`" : "missing pool name%s (see `ocirt pool --help`)",
        nargs ? args[1] : "");
  const char *name = args[0];
  if (strcmp(sub, "create") == 0) {
    if (c.o.data == NULL || c.o.metadata == NULL)
      return cli_usage_error(g, "--data and --metadata are required");
    c.o.name = name;
    if (thinpool_create(&c.o, &err) < 0)
      return cli_fail(g, &err);
    return 0;
  }
  if (strcmp(sub, "status") == 0)
    return pool_status(g, name);
  if (strcmp(sub, "activate") == 0)
    return thinpool_activate(name, &err) < 0 ? cli_fail(g, &err) : 0;
  if (strcmp(sub, "destroy") == 0)
    return thinpool_destroy(name, c.force, &err) < 0 ? cli_fail(g, &err) : 0;
  g->command = "pool";
  return cli_usage_error(g, "unknown subcommand `%s` (see `ocirt pool --help`)", sub);
}
