/* ocirt's own state file, ROOT/ID/state.json: read by every command, rewritten by start. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  oci_container_status *s = fuzz_roundtrip(&oci_container_status_type, data, size, "state.json");
  oci_free(&oci_container_status_type, s);
  return 0;
}
