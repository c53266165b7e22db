/* ocirt state: print a container's state as JSON (runtime-spec "state", as runc prints it). */
#include "config.h"
#include "ocirt.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>

static const char help[] = "Usage: ocirt state CONTAINER-ID\n\n"
                           "Print the state of a container as JSON: ociVersion, id, pid, status (creating,\n"
                           "created, running, paused, stopped), bundle, rootfs, created, owner, annotations.\n";

int cmd_state(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int first = cli_parse(g, argc, argv, "", options, help, cli_no_option, NULL);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  oci_state *st = NULL;
  if (container_state(&g->rt, argv[first], &st, &err) < 0)
    return cli_fail(g, &err);
  cleanup_free char *json = oci_generate(&oci_state_type, st, true, NULL);
  oci_free(&oci_state_type, st);
  fputs(json, stdout);
  return 0;
}
