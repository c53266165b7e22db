/* ocirt start: run the user's program in a created container. */
#include "config.h"
#include "ocirt.h"

#include <getopt.h>

static const char help[] = "Usage: ocirt start CONTAINER-ID\n\n"
                           "Start the user's program of a created container, then run the poststart hooks.\n";

int cmd_start(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int first = cli_parse(g, argc, argv, "", options, help, cli_no_option, NULL);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  if (container_start(&g->rt, argv[first], &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
