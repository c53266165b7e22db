/* Test-only fault points: FAULT_POINT("create.after-clone") kills ocirt with SIGKILL right there when
 * OCIRT_FAULT names that point, so the tests can show what a crash at each step leaves behind and
 * that `delete --force`, `state` and `list` cope with it (tests/faults/crash.bats).
 *
 * Only a build configured with --enable-fault-injection has them; in any other build the macro is
 * empty and no environment variable is read. */
#ifndef OCIRT_FAULT_H
#define OCIRT_FAULT_H
#include "config.h"

#ifdef OCIRT_FAULT_INJECTION
void fault_point(const char *name);
#define FAULT_POINT(name) fault_point(name)
#else
#define FAULT_POINT(name) ((void) 0)
#endif
#endif
