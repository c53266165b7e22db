/* linux.seccomp of config.json compiled to BPF with libseccomp (never loaded). */
#include "fuzz.h"
#include "seccomp_profile.h"
#include "utils.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *msg = NULL;
  oci_spec *spec = oci_parse_data(&oci_spec_type, (const char *) data, size, "config.json", &msg);
  free(msg);
  if (spec == NULL)
    return 0;
  if (spec->linux_ && spec->linux_->seccomp) {
    seccomp_filter *f = NULL;
    ocirt_error err = { 0 };
    if (seccomp_filter_build(spec->linux_->seccomp, &f, &err) < 0 && err.msg == NULL)
      abort();
    (void) seccomp_filter_has_notify(f);
    seccomp_filter_free(f);
    error_clear(&err);
  }
  oci_spec_free(spec);
  return 0;
}
