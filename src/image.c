/* ocirt image: images in device-mapper thin pools (import, list, commit, rm). */
#include "config.h"
#include "dm.h"
#include "ocirt.h"
#include "utils.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char help[]
    = "Usage: ocirt image SUBCOMMAND [OPTIONS] [ARGS]\n\n"
      "Images are thin devices of a pool (see `ocirt pool`); a container whose config.json has the\n"
      "annotation org.ocirt.rootfs.image=NAME (and optionally org.ocirt.rootfs.pool=POOL) runs on a\n"
      "snapshot of image NAME, made at create and deleted with the container (kept with\n"
      "`ocirt delete --keep-rootfs` or the annotation org.ocirt.rootfs.keep=true).\n\n"
      "Subcommands:\n"
      "  import [--pool P] [--size SIZE] NAME SOURCE   a new image from a rootfs folder or tarball\n"
      "                                                (ext4, virtual size default 1G)\n"
      "  list [--pool P]                               name, pool, device id, parent, size, used\n"
      "  commit CONTAINER NAME                         a snapshot of a stopped container's root\n"
      "                                                filesystem becomes image NAME\n"
      "  rm [--pool P] NAME                            remove an image (refused while containers or\n"
      "                                                images are made from it), or a kept rootfs\n"
      "Options:\n"
      "  -h, --help   print this help\n";

typedef struct {
  ocirt_global *g;
  const char *pool;
  uint64_t size;
} image_cli;

static int
on_option(int opt, const char *arg, void *data)
{
  image_cli *c = data;
  if (opt == 'p')
    c->pool = arg;
  else if (opt == 's' && size_parse(arg, &c->size) < 0)
    return cli_usage_error(c->g, "--size: expected a size like 512M or 2G, got `%s`", arg), -1;
  return 0;
}

static int
cli_image_list(ocirt_global *g, const char *pool)
{
  cleanup_error ocirt_error err = { 0 };
  cleanup_strv char **names = NULL;
  if (thinpool_names(&names, &err) < 0)
    return cli_fail(g, &err);
  printf("%-24s %-12s %-6s %-12s %-10s %-12s %s\n", "NAME", "POOL", "ID", "PARENT", "KIND", "SIZE", "USED");
  for (char **n = names; *n; n++) {
    if (pool && strcmp(pool, *n) != 0)
      continue;
    oci_dm_pool *m = NULL;
    thinpool_usage u;
    if (thinpool_get(*n, &m, &u, &err) < 0)
      return cli_fail(g, &err);
    for (size_t i = 0; i < m->devices_len; i++) {
      const oci_dm_device *d = m->devices[i];
      if (strcmp(d->kind, "image") != 0 && strcmp(d->state, "kept") != 0)
        continue;
      uint64_t used = 0;
      if (image_device_used(*n, d->id, d->size, &used, &err) < 0) {
        oci_free(&oci_dm_pool_type, m);
        return cli_fail(g, &err);
      }
      printf("%-24s %-12s %-6" PRIu32 " %-12s %-10s %-12" PRIu64 " %" PRIu64 "\n", d->name, *n, d->id,
             d->parent ? d->parent : "-", strcmp(d->kind, "image") == 0 ? "image" : "kept", d->size, used);
    }
    oci_free(&oci_dm_pool_type, m);
  }
  return 0;
}

static int
cli_image_commit(ocirt_global *g, const char *container, const char *name)
{
  cleanup_error ocirt_error err = { 0 };
  oci_state *st = NULL;
  /* A snapshot of a live filesystem would catch writes half done: only a stopped container (or a
   * deleted one whose rootfs was kept) is committed. */
  if (container_state(&g->rt, container, &st, &err) == 0) {
    bool stopped = strcmp(st->status, "stopped") == 0;
    cleanup_free char *status = xstrdup(st->status);
    oci_free(&oci_state_type, st);
    if (!stopped) {
      error_set(&err, 0, "image commit %s: the container is %s: stop it first", container, status);
      return cli_fail(g, &err);
    }
  }
  error_clear(&err);
  if (image_commit(container, name, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}

int
cmd_image(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = {
    { "pool", required_argument, NULL, 'p' },
    { "size", required_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    if (argc < 2)
      return cli_usage_error(g, "missing subcommand (see `ocirt image --help`)");
    fputs(help, stdout);
    return 0;
  }
  const char *sub = argv[1];
  cleanup_free char *cmd = xasprintf("image %s", sub);
  g->command = cmd;
  image_cli c = { .g = g };
  int first = cli_parse(g, argc - 1, argv + 1, "p:s:", options, help, on_option, &c);
  if (first < 0)
    return first == -2 ? 0 : 1;
  int nargs = argc - 1 - first;
  char **args = argv + 1 + first;
  static const struct {
    const char *name;
    int nargs;
    const char *what;
  } subs[] = {
    { "import", 2, "NAME SOURCE" }, { "list", 0, "" }, { "commit", 2, "CONTAINER NAME" }, { "rm", 1, "NAME" }
  };
  size_t i;
  for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
    if (strcmp(sub, subs[i].name) == 0)
      break;
  if (i == sizeof(subs) / sizeof(subs[0])) {
    g->command = "image";
    return cli_usage_error(g, "unknown subcommand `%s` (see `ocirt image --help`)", sub);
  }
  if (nargs != subs[i].nargs)
    return nargs > subs[i].nargs ? cli_usage_error(g, "unexpected argument `%s`", args[subs[i].nargs])
                                 : cli_usage_error(g, "expected %s (see `ocirt image --help`)", subs[i].what);
  cleanup_error ocirt_error err = { 0 };
  int ret = 0;
  if (strcmp(sub, "import") == 0)
    ret = image_import(c.pool, args[0], args[1], c.size, &err);
  else if (strcmp(sub, "list") == 0)
    return cli_image_list(g, c.pool);
  else if (strcmp(sub, "commit") == 0)
    return cli_image_commit(g, args[0], args[1]);
  else
    ret = image_rm(c.pool, args[0], &err);
  return ret < 0 ? cli_fail(g, &err) : 0;
}
