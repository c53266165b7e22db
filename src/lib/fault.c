#include "config.h"
#include "fault.h"

#ifdef OCIRT_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *name)
{
  const char *want = getenv("OCIRT_FAULT");
  /* SIGKILL, not exit: no cleanup handler, no atexit, exactly what an OOM kill or an engine's
   * timeout does to us. */
  if (want && strcmp(want, name) == 0)
    kill(getpid(), SIGKILL);
}
#endif
