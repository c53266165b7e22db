/* The `ocirt features` document. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  oci_features *f = fuzz_roundtrip(&oci_features_type, data, size, "features");
  oci_free(&oci_features_type, f);
  return 0;
}
