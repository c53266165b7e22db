/* ocirt kill: send a signal to a container. */
#include "config.h"
#include "ocirt.h"
#include "signals.h"

#include <getopt.h>

static const char help[]
    = "Usage: ocirt kill [OPTIONS] CONTAINER-ID [SIGNAL]\n\n"
      "Send SIGNAL (a name such as TERM or SIGKILL, or a number; default TERM) to the container's init\n"
      "process.  Note that a pid-namespace init ignores signals it has no handler for, except KILL.\n\n"
      "Options:\n"
      "  -a, --all    signal every process of the container (its cgroup)\n"
      "  -h, --help   print this help\n";

static int on_option(int opt, const char *arg, void *data)
{
  (void) arg;
  if (opt == 'a')
    *(bool *) data = true;
  return 0;
}

int cmd_kill(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[]
      = { { "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  bool all = false;
  int first = cli_parse(g, argc, argv, "a", options, help, on_option, &all);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 2, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  int sig = signal_parse(argc - first == 2 ? argv[first + 1] : "TERM", &err);
  if (sig < 0) {
    error_wrap(&err, "kill %s", argv[first]);
    return cli_fail(g, &err);
  }
  if (container_kill(&g->rt, argv[first], sig, all, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
