/* The CLI: global options, logging, and one handler per command (src/<command>.c). */
#ifndef OCIRT_CLI_H
#define OCIRT_CLI_H

#include "container.h"
#include "error.h"

#include <stdbool.h>

typedef struct {
  ocirt_runtime rt;
  const char *log_path;
  bool log_json;
  bool debug;
  const char *command; /* for messages */
} ocirt_global;

typedef int (*command_fn)(ocirt_global *g, int argc, char **argv);

/* Report an error: one line on stderr, and one record in the --log file.  Returns 1 (the exit status). */
int cli_fail(ocirt_global *g, ocirt_error *err);
/* Report a usage error (bad flags or arguments); returns 1. */
int cli_usage_error(ocirt_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *msg);
void cli_debug(ocirt_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a command's options with getopt_long; `help` is printed for --help/-h.  Returns the index
 * of the first positional argument, or -1 after printing an error (or -2 after printing help). */
struct option;
int cli_parse(ocirt_global *g, int argc, char **argv, const char *shortopts, const struct option *longopts,
              const char *help, int (*on_option)(int opt, const char *arg, void *data), void *data);
/* An on_option for commands whose only option is --help. */
int cli_no_option(int opt, const char *arg, void *data);
/* Exactly `n` positional arguments (named in `what` for the error message). */
int cli_positional(ocirt_global *g, int argc, char **argv, int first, int min, int max, const char *what);

/* The options of create and run (run's extra ones only when `run`); returns the index of the id,
 * -1 on error, -2 after --help. */
int create_options_parse(ocirt_global *g, int argc, char **argv, bool run, const char *help, create_options *o);

int cmd_create(ocirt_global *g, int argc, char **argv);
int cmd_delete(ocirt_global *g, int argc, char **argv);
int cmd_events(ocirt_global *g, int argc, char **argv);
int cmd_exec(ocirt_global *g, int argc, char **argv);
int cmd_features(ocirt_global *g, int argc, char **argv);
int cmd_image(ocirt_global *g, int argc, char **argv);
int cmd_pool(ocirt_global *g, int argc, char **argv);
int cmd_kill(ocirt_global *g, int argc, char **argv);
int cmd_list(ocirt_global *g, int argc, char **argv);
int cmd_pause(ocirt_global *g, int argc, char **argv);
int cmd_ps(ocirt_global *g, int argc, char **argv);
int cmd_resume(ocirt_global *g, int argc, char **argv);
int cmd_run(ocirt_global *g, int argc, char **argv);
int cmd_spec(ocirt_global *g, int argc, char **argv);
int cmd_start(ocirt_global *g, int argc, char **argv);
int cmd_state(ocirt_global *g, int argc, char **argv);
int cmd_update(ocirt_global *g, int argc, char **argv);

#endif
