/* ocirt delete: remove a container and everything it holds. */
#include "config.h"
#include "ocirt.h"

#include <getopt.h>

static const char help[]
    = "Usage: ocirt delete [OPTIONS] CONTAINER-ID\n\n"
      "Delete a stopped (or created) container: its processes, cgroup and state; run the poststop\n"
      "hooks.\n\n"
      "Options:\n"
      "  -f, --force  kill a running container first (SIGKILL); a container that does not exist is\n"
      "               not an error\n"
      "  --keep-rootfs  keep a snapshot root filesystem (org.ocirt.rootfs.image) for `ocirt image commit`\n"
      "  -h, --help   print this help\n";

static int on_option(int opt, const char *arg, void *data)
{
  (void) arg;
  bool *flags = data; /* force, keep_rootfs */
  if (opt == 'f')
    flags[0] = true;
  else if (opt == 'k')
    flags[1] = true;
  return 0;
}

int cmd_delete(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[]
      = { { "force", no_argument, NULL, 'f' }, { "keep-rootfs", no_argument, NULL, 'k' },
          { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  bool flags[2] = { false, false };
  int first = cli_parse(g, argc, argv, "f", options, help, on_option, flags);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  if (container_delete_keep(&g->rt, argv[first], flags[0], flags[1], &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
