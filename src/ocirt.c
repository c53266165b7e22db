/* ocirt: an OCI container runtime.  main() parses the global options and dispatches to a command. */
#include "config.h"
#include "ocirt.h"
#include "cloned_binary.h"
#include "ocispec.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
  const char *name;
  command_fn fn;
  const char *summary;
  bool enters_container; /* puts a process of ours in a container: run from a sealed copy */
} commands[] = {
  { "create", cmd_create, "create a container (its process waits for start)", true },
  { "delete", cmd_delete, "delete a stopped container and everything it holds", false },
  { "events", cmd_events, "print a container's statistics and OOM events", false },
  { "exec", cmd_exec, "run a new process in a running container", true },
  { "features", cmd_features, "print the features this runtime supports, as JSON", false },
  { "image", cmd_image, "device-mapper images: import, list, commit, rm", false },
  { "kill", cmd_kill, "send a signal to a container's init process (or all its processes)", false },
  { "list", cmd_list, "list the containers", false },
  { "pause", cmd_pause, "freeze every process of a container", false },
  { "pool", cmd_pool, "device-mapper thin pools: create, list, status, activate, destroy", false },
  { "ps", cmd_ps, "list the processes of a container", false },
  { "resume", cmd_resume, "thaw a paused container", false },
  { "run", cmd_run, "create and start a container, and wait for it", true },
  { "spec", cmd_spec, "write a default config.json", false },
  { "start", cmd_start, "start the user's program of a created container", false },
  { "state", cmd_state, "print the state of a container as JSON", false },
  { "update", cmd_update, "change the resource limits of a container", false },
};

static ocirt_global *global_for_warnings;

/* Append a record to the --log file: 0 when written, -1 without a log file or when it cannot be opened. */
static int log_record(ocirt_global *g, const char *level, const char *msg)
{
  if (g->log_path == NULL)
    return -1;
  int fd = open(g->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  cleanup_free char *time = now_rfc3339();
  cleanup_free char *line = NULL;
  if (g->log_json) {
    cleanup_free char *qmsg = oci_json_quote(msg), *qtime = oci_json_quote(time);
    line = xasprintf("{\"level\":\"%s\",\"msg\":%s,\"time\":%s}\n", level, qmsg, qtime);
  } else {
    cleanup_free char *qmsg = oci_json_quote(msg);
    line = xasprintf("time=\"%s\" level=%s msg=%s\n", time, level, qmsg);
  }
  write_all(fd, line, strlen(line));
  close(fd);
  return 0;
}

int cli_fail(ocirt_global *g, ocirt_error *err)
{
  const char *msg = err->msg ? err->msg : "unknown error";
  fprintf(stderr, "ocirt: %s\n", msg);
  log_record(g, "error", msg);
  return 1;
}

int cli_usage_error(ocirt_global *g, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  cleanup_free char *full = g->command ? xasprintf("%s: %s", g->command, msg) : xstrdup(msg);
  fprintf(stderr, "ocirt: %s\n", full);
  log_record(g, "error", full);
  return 1;
}

/* A warning goes to the --log file alone when there is one, as runc's and crun's do: the stderr an
 * engine gives its runtime (containerd's shim, docker's, conmon) is the container's, where warnings
 * would land in the program's own output.  Without a log file, or when it cannot be opened, to stderr. */
void cli_warn(const char *msg)
{
  if (global_for_warnings && log_record(global_for_warnings, "warning", msg) == 0)
    return;
  fprintf(stderr, "ocirt: warning: %s\n", msg);
}

void cli_debug(ocirt_global *g, const char *fmt, ...)
{
  if (!g->debug)
    return;
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  if (g->log_path)
    log_record(g, "debug", msg);
  else
    fprintf(stderr, "ocirt: debug: %s\n", msg);
}

int cli_parse(ocirt_global *g, int argc, char **argv, const char *shortopts, const struct option *longopts,
              const char *help, int (*on_option)(int opt, const char *arg, void *data), void *data)
{
  /* Leading '+': stop at the first positional argument, like runc (flags come before the id);
   * ':' reports a missing value distinctly. */
  cleanup_free char *opts = xasprintf("+:h%s", shortopts);
  optind = 1;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, opts, longopts, NULL)) != -1) {
    if (opt == 'h') {
      fputs(help, stdout);
      return -2;
    }
    if (opt == '?')
      return cli_usage_error(g, "unknown option `%s` (see `ocirt %s --help`)", argv[optind - 1], g->command), -1;
    if (opt == ':')
      return cli_usage_error(g, "option `%s` needs a value", argv[optind - 1]), -1;
    if (on_option(opt, optarg, data) < 0)
      return -1;
  }
  return optind;
}

int cli_no_option(int opt, const char *arg, void *data)
{
  (void) opt, (void) arg, (void) data;
  return 0;
}

int cli_positional(ocirt_global *g, int argc, char **argv, int first, int min, int max, const char *what)
{
  int n = argc - first;
  if (n < min)
    return cli_usage_error(g, "missing %s (see `ocirt %s --help`)", what, g->command), -1;
  if (n > max)
    return cli_usage_error(g, "unexpected argument `%s`", argv[first + max]), -1;
  return 0;
}

static void print_help(void)
{
  printf("Usage: ocirt [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
         "ocirt runs OCI containers (runtime-spec %s), invoked by engines or by hand.\n\n"
         "Commands:\n",
         OCI_SPEC_VERSION);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    printf("  %-10s %s\n", commands[i].name, commands[i].summary);
  printf("\nGlobal options:\n"
         "  --root DIR            state folder (default /run/ocirt)\n"
         "  --log FILE            also write log records to FILE\n"
         "  --log-format FORMAT   text or json (one {\"level\",\"msg\",\"time\"} object a line)\n"
         "  --debug               log debug records\n"
         "  --systemd-cgroup      cgroupsPath is slice:prefix:name (systemd driver)\n"
         "  --cgroup-manager M    cgroupfs (default), systemd (as --systemd-cgroup), or disabled\n"
         "                        (no cgroup: the container stays in ocirt's, resources are ignored)\n"
         "  -v, --version         print the version\n"
         "  -h, --help            print this help\n\n"
         "`ocirt COMMAND --help` describes each command.\n");
}

static void print_version(void)
{
  printf("ocirt version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, OCIRT_COMMIT, OCI_SPEC_VERSION);
}

int main(int argc, char **argv)
{
  ocirt_global g = { .rt = { .root = "/run/ocirt" } };
  enum { OPT_ROOT = 1000, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP, OPT_CGROUP_MANAGER };
  static const struct option options[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
    { "cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  global_for_warnings = &g;
  ocirt_warning_handler = cli_warn;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "+:vh", options, NULL)) != -1) {
    switch (opt) {
    case OPT_ROOT:
      if (optarg[0] != '/')
        return cli_usage_error(&g, "--root: must be an absolute path, got `%s`", optarg);
      g.rt.root = optarg;
      break;
    case OPT_LOG:
      g.log_path = optarg;
      break;
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "json") == 0)
        g.log_json = true;
      else if (strcmp(optarg, "text") == 0)
        g.log_json = false;
      else
        return cli_usage_error(&g, "--log-format: expected text or json, got `%s`", optarg);
      break;
    case OPT_DEBUG:
      g.debug = true;
      break;
    case OPT_SYSTEMD_CGROUP:
      g.rt.systemd_cgroup = true;
      break;
    case OPT_CGROUP_MANAGER:
      if (strcmp(optarg, "disabled") == 0)
        g.rt.no_cgroups = true;
      else if (strcmp(optarg, "systemd") == 0)
        g.rt.systemd_cgroup = true;
      else if (strcmp(optarg, "cgroupfs") != 0)
        return cli_usage_error(&g, "--cgroup-manager: expected cgroupfs, systemd or disabled, got `%s`", optarg);
      break;
    case 'v':
      print_version();
      return 0;
    case 'h':
      print_help();
      return 0;
    case ':':
      return cli_usage_error(&g, "option `%s` needs a value", argv[optind - 1]);
    default:
      return cli_usage_error(&g, "unknown global option `%s` (see `ocirt --help`)", argv[optind - 1]);
    }
  }
  if (optind >= argc) {
    print_help();
    return 1;
  }
  const char *name = argv[optind];
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(name, commands[i].name) == 0) {
      g.command = name;
      cleanup_error ocirt_error err = { 0 };
      if (commands[i].enters_container && cloned_binary_ensure(argv, &err) < 0)
        return cli_fail(&g, &err);
      cli_debug(&g, "command %s", name);
      return commands[i].fn(&g, argc - optind, argv + optind);
    }
  return cli_usage_error(&g, "unknown command `%s` (see `ocirt --help`)", name);
}
