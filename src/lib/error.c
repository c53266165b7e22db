#include "config.h"
#include "error.h"
#include "utils.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int error_take(ocirt_error *err, int errno_value, char *msg)
{
  free(err->msg);
  err->msg = msg;
  err->errno_value = errno_value;
  return -1;
}

int error_set(ocirt_error *err, int errno_value, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  if (errno_value != 0) {
    char *full = xasprintf("%s: %s", msg, strerror(errno_value));
    free(msg);
    msg = full;
  }
  return error_take(err, errno_value, msg);
}

int error_wrap(ocirt_error *err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *prefix = xvasprintf(fmt, ap);
  va_end(ap);
  char *full = xasprintf("%s: %s", prefix, err->msg ? err->msg : "unknown error");
  free(prefix);
  free(err->msg);
  err->msg = full;
  return -1;
}

void error_clear(ocirt_error *err)
{
  free(err->msg);
  err->msg = NULL;
  err->errno_value = 0;
}
