/* ocirt run: create and start a container, wait for it, delete it. */
#include "config.h"
#include "ocirt.h"

static const char help[]
    = "Usage: ocirt run [OPTIONS] CONTAINER-ID\n\n"
      "Create and start a container; wait for it and exit with its status (128+N when killed by\n"
      "signal N), then delete it.\n\n"
      "Options:\n"
      "  -b, --bundle DIR         the bundle (config.json and rootfs); default: the current folder\n"
      "  -d, --detach             return once the container runs\n"
      "      --keep               keep the stopped container (state, cgroup) after it exits\n"
      "      --pid-file FILE      write the container's pid to FILE\n"
      "      --console-socket S   unix socket that receives the terminal's master fd\n"
      "      --no-pivot           chroot instead of pivot_root (for a rootfs on a ramdisk)\n"
      "      --no-new-keyring     do not create a new session keyring\n"
      "      --preserve-fds N     pass N more fds (from 3, after LISTEN_FDS ones) to the container\n"
      "  -h, --help               print this help\n";

int cmd_run(ocirt_global *g, int argc, char **argv)
{
  create_options o = { 0 };
  int first = create_options_parse(g, argc, argv, true, help, &o);
  if (first < 0)
    return first == -2 ? 0 : 1;
  cleanup_error ocirt_error err = { 0 };
  int status = 0;
  if (container_run(&g->rt, argv[first], &o, &status, &err) < 0)
    return cli_fail(g, &err);
  return status;
}
