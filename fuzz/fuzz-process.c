/* `ocirt exec --process FILE`: the process JSON and its checks. */
#include "bundle.h"
#include "fuzz.h"
#include "utils.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  oci_process *p = fuzz_roundtrip(&oci_process_type, data, size, "process.json");
  if (p == NULL)
    return 0;
  char **warnings = NULL;
  ocirt_error err = { 0 };
  if (config_validate_process(p, "process.json", &warnings, &err) < 0 && (err.msg == NULL || err.msg[0] == '\0'))
    abort();
  error_clear(&err);
  strv_free(warnings);
  oci_free(&oci_process_type, p);
  return 0;
}
