#ifndef OCIRT_SIGNALS_H
#define OCIRT_SIGNALS_H
#include "error.h"
/* Parse a signal given as a name (`KILL`, `SIGKILL`, `kill`, `RTMIN+3`) or a number; -1 with *err set. */
int signal_parse(const char *s, ocirt_error *err);
#endif
