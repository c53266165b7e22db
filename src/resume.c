/* ocirt resume: thaw a paused container. */
#include "config.h"
#include "ocirt.h"
#include "container_cgroup.h"

#include <getopt.h>

static const char help[] = "Usage: ocirt resume CONTAINER-ID\n\n"
                           "Thaw the processes of a paused container: it is `running` again.\n";

int
cmd_resume(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int first = cli_parse(g, argc, argv, "", options, help, cli_no_option, NULL);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  if (container_pause(&g->rt, argv[first], false, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
