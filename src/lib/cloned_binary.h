/* The defence against CVE-2019-5736: never let a container reach the ocirt binary on the host. */
#ifndef OCIRT_CLONED_BINARY_H
#define OCIRT_CLONED_BINARY_H

#include "error.h"

/* Unless this process already runs from a sealed in-memory copy of itself, make one and exec it
 * with the same argv (does not return then).  Returns 0 when already sealed, -1 on error. */
int cloned_binary_ensure(char **argv, ocirt_error *err);

#endif
