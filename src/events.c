/* ocirt events: a container's statistics and OOM events, as runc prints them (JSON lines). */
#include "config.h"
#include "ocirt.h"
#include "container_cgroup.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[]
    = "Usage: ocirt events [OPTIONS] CONTAINER-ID\n\n"
      "Print the container's statistics and events, one JSON object a line, until it stops:\n"
      "{\"type\":\"stats\",\"id\":ID,\"data\":{cpu, memory, pids...}} every interval, and\n"
      "{\"type\":\"oom\",\"id\":ID} each time the OOM killer kills in the container.\n\n"
      "Options:\n"
      "      --stats            print the statistics once and exit\n"
      "      --interval TIME    between statistics (5s default; 500ms, 2s, 1m)\n"
      "  -h, --help             print this help\n";

typedef struct {
  ocirt_global *g;
  bool stats;
  unsigned interval_ms;
} events_options;

static int
on_option(int opt, const char *arg, void *data)
{
  events_options *o = data;
  if (opt == 's')
    o->stats = true;
  else if (opt == 'i') {
    char *end;
    double v = strtod(arg, &end);
    double mult = strcmp(end, "ms") == 0                  ? 1
                  : strcmp(end, "s") == 0 || *end == '\0' ? 1000
                  : strcmp(end, "m") == 0                 ? 60000
                                                          : -1;
    if (end == arg || mult < 0 || v * mult < 1 || v * mult > 86400000)
      return cli_usage_error(o->g, "--interval: expected a duration such as 500ms or 5s, got `%s`", arg), -1;
    o->interval_ms = (unsigned)(v * mult);
  }
  return 0;
}

static bool
print_line(const char *json, void *data)
{
  (void)data;
  printf("%s\n", json);
  return fflush(stdout) == 0;
}

int
cmd_events(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = { { "stats", no_argument, NULL, 's' },
                                           { "interval", required_argument, NULL, 'i' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
  events_options o = { g, false, 5000 };
  int first = cli_parse(g, argc, argv, "", options, help, on_option, &o);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 1, 1, "container id") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  if (container_events(&g->rt, argv[first], o.stats ? 0 : o.interval_ms, print_line, NULL, &err) < 0)
    return cli_fail(g, &err);
  return 0;
}
