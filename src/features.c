/* ocirt features: print what this runtime supports, as runtime-spec's features JSON. */
#include "config.h"
#include "runtime_features.h"
#include "ocirt.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char help[] = "Usage: ocirt features\n\n"
                           "Print the features this build of ocirt supports on this host (runtime-spec\n"
                           "features JSON): namespaces, capabilities, mount options, hooks, seccomp, LSMs.\n";

int cmd_features(ocirt_global *g, int argc, char **argv)
{
  int first = cli_parse(g, argc, argv, "", (const struct option[]){ { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 } },
                        help, cli_no_option, NULL);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 0, 0, "arguments") < 0)
    return 1;
  oci_features *f = features_build();
  cleanup_free char *json = oci_generate(&oci_features_type, f, true, NULL);
  oci_free(&oci_features_type, f);
  if (json == NULL) {
    ocirt_error err = { 0 };
    error_set(&err, 0, "features: could not write the JSON");
    return cli_fail(g, &err);
  }
  puts(json);
  return 0;
}
