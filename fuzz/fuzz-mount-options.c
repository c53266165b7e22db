/* mounts[].options: the option table of rootfs.c (flags, recursive flags, propagation, data). */
#include "fuzz.h"
#include "rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The input is a list of options separated by NUL or ','. */
  char *s = fuzz_string(data, size);
  char *opts[64];
  size_t n = 0;
  for (char *p = s, *end = s + size; p <= end && n < 64;) {
    size_t len = strcspn(p, ",");
    opts[n++] = p;
    p[len] = '\0';
    p += len + 1;
  }
  mount_options o;
  mount_options_parse(opts, n, &o);
  for (size_t i = 0; i < n; i++) {
    (void) mount_option_known(opts[i]);
    (void) propagation_flag(opts[i]);
  }
  /* Data is what the kernel gets: only options ocirt does not know, none of them empty-joined. */
  if (o.data && (o.data[0] == ',' || strstr(o.data, ",,")))
    abort();
  free(o.data);
  free(s);
  return 0;
}
