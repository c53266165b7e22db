/* ocirt exec: run a new process in a running container. */
#include "config.h"
#include "exec.h"
#include "ocirt.h"
#include "utils.h"

#include <getopt.h>
#include <stdlib.h>

static const char help[]
    = "Usage: ocirt exec [OPTIONS] CONTAINER-ID [COMMAND [ARG...]]\n\n"
      "Run a process in a running container: in all its namespaces and its cgroup, with its\n"
      "capabilities, rlimits, seccomp filter and no_new_privs unless the options say otherwise.\n"
      "Exits with the process's status (128+N when killed by signal N).\n\n"
      "Options:\n"
      "  -p, --process FILE        the process as JSON (config.json's \"process\"), instead of COMMAND\n"
      "  -t, --tty                 allocate a terminal\n"
      "  -d, --detach              return once the process runs\n"
      "      --pid-file FILE       write the process's pid to FILE\n"
      "      --console-socket S    unix socket that receives the terminal's master fd\n"
      "  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
      "      --cwd DIR             working directory in the container\n"
      "  -u, --user UID[:GID]      run as this user\n"
      "  -g, --additional-gids G   an additional group (repeatable)\n"
      "  -c, --cap CAP             add a capability (repeatable)\n"
      "      --no-new-privs        set no_new_privs\n"
      "      --preserve-fds N      pass N more fds (from 3) to the process\n"
      "      --process-label L     SELinux label of the process\n"
      "      --apparmor P          AppArmor profile of the process\n"
      "      --ignore-paused       exec even when the container is paused\n"
      "  -h, --help                print this help\n";

enum {
  OPT_PID_FILE = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_PROCESS_LABEL,
  OPT_APPARMOR,
  OPT_IGNORE_PAUSED,
};

static const struct option options_table[] = {
  { "process", required_argument, NULL, 'p' },
  { "tty", no_argument, NULL, 't' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "env", required_argument, NULL, 'e' },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "user", required_argument, NULL, 'u' },
  { "additional-gids", required_argument, NULL, 'g' },
  { "cap", required_argument, NULL, 'c' },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

typedef struct {
  ocirt_global *g;
  exec_options *o;
} parse_data;

static void push(char ***v, size_t *n, const char *s)
{
  *v = xrealloc(*v, (*n + 1) * sizeof(char *));
  (*v)[(*n)++] = (char *) s; /* argv strings live as long as the program */
}

static int on_option(int opt, const char *arg, void *data)
{
  parse_data *d = data;
  exec_options *o = d->o;
  uint64_t n;
  switch (opt) {
  case 'p':
    o->process_file = arg;
    break;
  case 't':
    o->tty = true;
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
  case 'e':
    push(&o->env, &o->env_len, arg);
    break;
  case OPT_CWD:
    o->cwd = arg;
    break;
  case 'u':
    o->user = arg;
    break;
  case 'g':
    if (parse_uint64(arg, &n) < 0 || n > UINT32_MAX - 1)
      return cli_usage_error(d->g, "--additional-gids: expected a gid, got `%s`", arg), -1;
    o->additional_gids = xrealloc(o->additional_gids, (o->additional_gids_len + 1) * sizeof(uint32_t));
    o->additional_gids[o->additional_gids_len++] = (uint32_t) n;
    break;
  case 'c':
    push(&o->caps, &o->caps_len, arg);
    break;
  case OPT_NO_NEW_PRIVS:
    o->no_new_privs = true;
    break;
  case OPT_PRESERVE_FDS:
    if (parse_uint64(arg, &n) < 0 || n > 65536)
      return cli_usage_error(d->g, "--preserve-fds: expected a number of fds, got `%s`", arg), -1;
    o->preserve_fds = (unsigned) n;
    break;
  case OPT_PROCESS_LABEL:
    o->process_label = arg;
    break;
  case OPT_APPARMOR:
    o->apparmor = arg;
    break;
  case OPT_IGNORE_PAUSED:
    o->ignore_paused = true;
    break;
  }
  return 0;
}

static void exec_options_free(exec_options *o)
{
  free(o->env);
  free(o->caps);
  free(o->additional_gids);
}

int cmd_exec(ocirt_global *g, int argc, char **argv)
{
  __attribute__((cleanup(exec_options_free))) exec_options o = { 0 };
  parse_data d = { g, &o };
  int first = cli_parse(g, argc, argv, "p:tde:u:g:c:", options_table, help, on_option, &d);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (first >= argc)
    return cli_usage_error(g, "missing the container id (see `ocirt exec --help`)");
  if (o.process_file && first + 1 < argc)
    return cli_usage_error(g, "give either --process or a command, not both");
  o.args = argv + first + 1;
  o.args_len = (size_t) (argc - first - 1);
  cleanup_error ocirt_error err = { 0 };
  int status = 0;
  if (container_exec(&g->rt, argv[first], &o, &status, &err) < 0)
    return cli_fail(g, &err);
  return status;
}
