/* The error object every fallible library function fills.
 *
 * A function that fails returns a negative number and fills `*err`; its caller adds what it was doing
 * with error_wrap(), so the message the user reads tells the whole story, outermost context first:
 *   create web1: mount `proc` on `/proc`: Permission denied
 */
#ifndef OCIRT_ERROR_H
#define OCIRT_ERROR_H

#include <stddef.h>

typedef struct ocirt_error {
  int errno_value; /* 0 when the failure is not a system error */
  char *msg;       /* malloc'd, the whole story */
} ocirt_error;

#define ERROR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set *err to "fmt" (plus ": strerror(errno_value)" when errno_value != 0); returns -1.  When err
 * already holds an error it is replaced. */
int error_set(ocirt_error *err, int errno_value, const char *fmt, ...) ERROR_PRINTF(3, 4);
/* Prefix the message already in *err with "fmt: "; returns -1. */
int error_wrap(ocirt_error *err, const char *fmt, ...) ERROR_PRINTF(2, 3);
/* Take ownership of a malloc'd message (e.g. from libocispec); returns -1. */
int error_take(ocirt_error *err, int errno_value, char *msg);
void error_clear(ocirt_error *err);

#define cleanup_error __attribute__((cleanup(error_clear)))

#endif
