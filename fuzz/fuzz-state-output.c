/* The state JSON of `ocirt state` and of the hooks' stdin (parsed back for startContainer hooks and
 * the seccomp agent). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  oci_state *s = fuzz_roundtrip(&oci_state_type, data, size, "state");
  oci_free(&oci_state_type, s);
  return 0;
}
