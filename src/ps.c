/* ocirt ps: the processes of a container (its cgroup), as ps prints them, or their pids as JSON. */
#include "config.h"
#include "ocirt.h"
#include "container_cgroup.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[]
    = "Usage: ocirt ps [OPTIONS] CONTAINER-ID [PS-OPTIONS...]\n\n"
      "List the processes of the container's cgroup: the lines of `ps PS-OPTIONS` (default -ef) whose PID\n"
      "is one of them, under ps's header; or, with --format json, a JSON array of the pids.\n\n"
      "Options:\n"
      "  -f, --format FORMAT  table (default) or json\n"
      "  -h, --help           print this help\n";

typedef struct {
  ocirt_global *g;
  bool json;
} ps_options;

static int
on_option(int opt, const char *arg, void *data)
{
  ps_options *o = data;
  if (opt == 'f') {
    if (strcmp(arg, "json") == 0)
      o->json = true;
    else if (strcmp(arg, "table") == 0)
      o->json = false;
    else
      return cli_usage_error(o->g, "--format: expected table or json, got `%s`", arg), -1;
  }
  return 0;
}

static bool
has_pid(const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Run ps and keep the header and the rows whose PID column is one of pids. */
static int
print_table(ocirt_global *g, char **ps_args, int n_args, const pid_t *pids, size_t n)
{
  cleanup_free char **argv = xcalloc((size_t)n_args + 3, sizeof(char *));
  argv[0] = (char *)"ps";
  if (n_args == 0)
    argv[1] = (char *)"-ef";
  for (int i = 0; i < n_args; i++)
    argv[i + 1] = ps_args[i];
  int fds[2];
  if (pipe(fds) < 0)
    return cli_usage_error(g, "pipe: %m");
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp("ps", argv);
    _exit(127);
  }
  close(fds[1]);
  FILE *in = fdopen(fds[0], "r");
  char *line = NULL;
  size_t cap = 0;
  int pid_col = -1;
  for (bool header = true; getline(&line, &cap, in) > 0; header = false) {
    cleanup_free char *copy = xstrdup(line);
    char *save = NULL;
    int col = 0;
    bool keep = header;
    for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++) {
      if (header && strcmp(t, "PID") == 0)
        pid_col = col;
      if (!header && col == pid_col)
        keep = has_pid(pids, n, strtol(t, NULL, 10));
    }
    if (header && pid_col < 0) {
      free(line);
      fclose(in);
      waitpid(child, NULL, 0);
      return cli_usage_error(g, "ps has no PID column with these options");
    }
    if (keep)
      fputs(line, stdout);
  }
  free(line);
  fclose(in);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return cli_usage_error(g, "ps exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  return 0;
}

int
cmd_ps(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = { { "format", required_argument, NULL, 'f' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
  ps_options o = { g, false };
  int first = cli_parse(g, argc, argv, "f:", options, help, on_option, &o);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, argc, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (container_pids(&g->rt, argv[first], &pids, &n, &err) < 0)
    return cli_fail(g, &err);
  if (!o.json)
    return print_table(g, argv + first + 1, argc - first - 1, pids, n);
  if (argc - first > 1)
    return cli_usage_error(g, "ps options cannot be used with --format json");
  fputs("[", stdout);
  for (size_t i = 0; i < n; i++)
    printf("%s%d", i ? "," : "", (int)pids[i]);
  fputs("]\n", stdout);
  return 0;
}
