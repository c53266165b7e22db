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
      "  -h, --help   print this help\n";

static int on_option(int opt, const char *arg, void *data)
{
  (void) arg;
  if (opt == 'f')
    *(bool *) data = true;
  return 0;
}

int cmd_delete(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[]
      = { { "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  bool force = false;
  int first = cli_parse(g, argc, argv, "f", options, help, on_option, &force);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  if (container_delete(&g->rt, argv[first], force, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
