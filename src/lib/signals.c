#include "config.h"
#include "signals.h"
#include "utils.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
  const char *name;
  int number;
} signal_table[] = {
  { "ABRT", SIGABRT },   { "ALRM", SIGALRM }, { "BUS", SIGBUS },       { "CHLD", SIGCHLD },
  { "CLD", SIGCHLD },    { "CONT", SIGCONT }, { "FPE", SIGFPE },       { "HUP", SIGHUP },
  { "ILL", SIGILL },     { "INT", SIGINT },   { "IO", SIGIO },         { "IOT", SIGIOT },
  { "KILL", SIGKILL },   { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },     { "PROF", SIGPROF },
  { "PWR", SIGPWR },     { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV },     { "STKFLT", SIGSTKFLT },
  { "STOP", SIGSTOP },   { "SYS", SIGSYS },   { "TERM", SIGTERM },     { "TRAP", SIGTRAP },
  { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "USR1", SIGUSR1 },   { "USR2", SIGUSR2 }, { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH },
  { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
};

/* RTMIN+n / RTMAX-n, as runc accepts them. */
static int parse_realtime(const char *s)
{
  int64_t n = 0;
  if (strncasecmp(s, "RTMIN", 5) == 0) {
    if (s[5] == '\0')
      return SIGRTMIN;
    if (s[5] == '+' && parse_int64(s + 6, &n) == 0 && n >= 0 && n <= SIGRTMAX - SIGRTMIN)
      return SIGRTMIN + (int) n;
  } else if (strncasecmp(s, "RTMAX", 5) == 0) {
    if (s[5] == '\0')
      return SIGRTMAX;
    if (s[5] == '-' && parse_int64(s + 6, &n) == 0 && n >= 0 && n <= SIGRTMAX - SIGRTMIN)
      return SIGRTMAX - (int) n;
  }
  return -1;
}

int signal_parse(const char *s, ocirt_error *err)
{
  int64_t number;
  if (parse_int64(s, &number) == 0) {
    if (number <= 0 || number > SIGRTMAX)
      return error_set(err, 0, "invalid signal number %s", s);
    return (int) number;
  }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
    if (strcasecmp(name, signal_table[i].name) == 0)
      return signal_table[i].number;
  int rt = parse_realtime(name);
  if (rt > 0)
    return rt;
  return error_set(err, 0, "unknown signal `%s`", s);
}
