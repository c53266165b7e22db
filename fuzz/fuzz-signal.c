/* Signal names and numbers (`ocirt kill ID SIGNAL`): KILL, SIGKILL, 9, RTMIN+3... */
#include "fuzz.h"
#include "signals.h"

#include <signal.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = fuzz_string(data, size);
  ocirt_error err = { 0 };
  int sig = signal_parse(s, &err);
  if (sig < 0 ? err.msg == NULL : (sig < 1 || sig > SIGRTMAX))
    abort(); /* a refusal without a reason, or a signal the kernel does not have */
  error_clear(&err);
  free(s);
  return 0;
}
