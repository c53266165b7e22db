/* ocirt create: make a container whose process waits for `ocirt start`. */
#include "config.h"
#include "ocirt.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char create_help[]
    = "Usage: ocirt create [OPTIONS] CONTAINER-ID\n\n"
      "Create a container from a bundle: namespaces, mounts and cgroup are made and the init process\n"
      "waits; `ocirt start` runs the user's program.\n\n"
      "Options:\n"
      "  -b, --bundle DIR         the bundle (config.json and rootfs); default: the current folder\n"
      "      --pid-file FILE      write the container's pid to FILE\n"
      "      --console-socket S   unix socket that receives the terminal's master fd\n"
      "      --no-pivot           chroot instead of pivot_root (for a rootfs on a ramdisk)\n"
      "      --no-new-keyring     do not create a new session keyring\n"
      "      --preserve-fds N     pass N more fds (from 3, after LISTEN_FDS ones) to the container\n"
      "  -h, --help               print this help\n";

enum { OPT_PID_FILE = 1000, OPT_CONSOLE_SOCKET, OPT_NO_PIVOT, OPT_NO_NEW_KEYRING, OPT_PRESERVE_FDS, OPT_KEEP };

typedef struct {
  ocirt_global *g;
  create_options *opts;
} parse_data;

static int on_option(int opt, const char *arg, void *data)
{
  parse_data *d = data;
  create_options *o = d->opts;
  uint64_t n;
  switch (opt) {
  case 'b':
    o->bundle = arg;
    break;
  case 'd':
    o->detach = true;
    break;
  case OPT_PID_FILE:
    o->pid_file = arg;
    break;
  case OPT_CONSOLE_SOCKET:
    o->console_socket = arg;
    break;
  case OPT_NO_PIVOT:
    o->no_pivot = true;
    break;
  case OPT_NO_NEW_KEYRING:
    o->no_new_keyring = true;
    break;
  case OPT_PRESERVE_FDS:
    if (parse_uint64(arg, &n) < 0 || n > 65536)
      return cli_usage_error(d->g, "--preserve-fds: expected a number of fds, got `%s`", arg), -1;
    o->preserve_fds = (unsigned) n;
    break;
  case OPT_KEEP:
    o->keep = true;
    break;
  }
  return 0;
}

int create_options_parse(ocirt_global *g, int argc, char **argv, bool run, const char *help, create_options *o)
{
  /* One table for both commands: run's own options come first, and create skips them. */
  static const struct option options_table[] = {
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, OPT_KEEP },
#define RUN_ONLY_OPTIONS 2
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, OPT_PID_FILE },
    { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
    { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
    { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  parse_data d = { g, o };
  int first = cli_parse(g, argc, argv, run ? "b:d" : "b:", run ? options_table : options_table + RUN_ONLY_OPTIONS,
                        help, on_option, &d);
  if (first < 0)
    return first;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return -1;
  return first;
}

int cmd_create(ocirt_global *g, int argc, char **argv)
{
  create_options o = { 0 };
  int first = create_options_parse(g, argc, argv, false, create_help, &o);
  if (first < 0)
    return first == -2 ? 0 : 1;
  cleanup_error ocirt_error err = { 0 };
  if (container_create(&g->rt, argv[first], &o, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
