/* config.json: libocispec's parser, then every check bundle.c makes before create. */
#include "bundle.h"
#include "fuzz.h"
#include "utils.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  oci_spec *spec = fuzz_roundtrip(&oci_spec_type, data, size, "config.json");
  if (spec == NULL)
    return 0;
  char **warnings = NULL;
  ocirt_error err = { 0 };
  if (config_validate(spec, &warnings, &err) < 0 && (err.msg == NULL || err.msg[0] == '\0'))
    abort(); /* an error with no message */
  error_clear(&err);
  strv_free(warnings);
  oci_spec_free(spec);
  return 0;
}
