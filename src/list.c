/* ocirt list: the containers under the state root, as a table (like runc's), JSON, or ids. */
#include "config.h"
#include "ocirt.h"
#include "utils.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char help[] = "Usage: ocirt list [OPTIONS]\n\n"
                           "List the containers.\n\n"
                           "Options:\n"
                           "  -f, --format FORMAT  table (default) or json\n"
                           "  -q, --quiet          print the ids only\n"
                           "  -h, --help           print this help\n";

typedef struct {
  ocirt_global *g;
  bool json, quiet;
} list_options;

static int on_option(int opt, const char *arg, void *data)
{
  list_options *o = data;
  if (opt == 'q')
    o->quiet = true;
  else if (opt == 'f') {
    if (strcmp(arg, "json") == 0)
      o->json = true;
    else if (strcmp(arg, "table") == 0)
      o->json = false;
    else
      return cli_usage_error(o->g, "--format: expected table or json, got `%s`", arg), -1;
  }
  return 0;
}

/* Columns padded like Go's tabwriter with minwidth 12 and padding 3, as runc prints them. */
static void print_table(oci_state **states, size_t n)
{
  enum { COLS = 6 };
  static const char *const headers[COLS] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t width[COLS];
  char pid[n ? n : 1][16];
  for (size_t i = 0; i < n; i++)
    snprintf(pid[i], sizeof(pid[i]), "%d", (int) states[i]->pid);
  for (int c = 0; c < COLS; c++) {
    width[c] = strlen(headers[c]);
    for (size_t i = 0; i < n; i++) {
      const oci_state *s = states[i];
      const char *cells[COLS] = { s->id, pid[i], s->status, s->bundle, s->created, s->owner };
      size_t len = strlen(cells[c] ? cells[c] : "");
      if (len > width[c])
        width[c] = len;
    }
    width[c] += 3;
    if (width[c] < 12)
      width[c] = 12;
  }
  for (size_t row = 0; row <= n; row++) {
    const oci_state *s = row ? states[row - 1] : NULL;
    for (int c = 0; c < COLS; c++) {
      const char *cell = row == 0 ? headers[c]
                                  : (const char *[]){ s->id, pid[row - 1], s->status, s->bundle, s->created,
                                                      s->owner }[c];
      if (cell == NULL)
        cell = "";
      if (c == COLS - 1)
        printf("%s\n", cell);
      else
        printf("%-*s", (int) width[c], cell);
    }
  }
}

int cmd_list(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[] = { { "format", required_argument, NULL, 'f' },
                                           { "quiet", no_argument, NULL, 'q' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
  list_options o = { g, false, false };
  int first = cli_parse(g, argc, argv, "f:q", options, help, on_option, &o);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 0, 0, "") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  oci_state **states = NULL;
  size_t n = 0;
  if (container_list(&g->rt, &states, &n, &err) < 0)
    return cli_fail(g, &err);
  if (o.quiet) {
    for (size_t i = 0; i < n; i++)
      printf("%s\n", states[i]->id);
  } else if (o.json) {
    fputs("[", stdout);
    for (size_t i = 0; i < n; i++) {
      cleanup_free char *json = oci_generate(&oci_state_type, states[i], false, NULL);
      printf("%s%s", i ? "," : "", json);
    }
    fputs("]\n", stdout);
  } else
    print_table(states, n);
  for (size_t i = 0; i < n; i++)
    oci_free(&oci_state_type, states[i]);
  free(states);
  return 0;
}
