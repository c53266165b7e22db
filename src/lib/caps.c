#include "config.h"
#include "caps.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

/* The capability number of a spec name, or -1 when this kernel cannot grant it. */
static int cap_number(const char *name)
{
  char lower[64];
  size_t i = 0;
  for (; name[i] && i < sizeof(lower) - 1; i++)
    lower[i] = (char) tolower((unsigned char) name[i]);
  lower[i] = '\0';
  cap_value_t v;
  if (cap_from_name(lower, &v) < 0 || v > (cap_value_t) cap_max_bits() - 1)
    return -1;
  return (int) v;
}

bool caps_known(const char *name)
{
  return cap_number(name) >= 0;
}

/* One bit per capability listed. */
static unsigned long long cap_mask(char **names, size_t n)
{
  unsigned long long mask = 0;
  for (size_t i = 0; i < n; i++) {
    int c = cap_number(names[i]);
    if (c >= 0)
      mask |= 1ULL << c;
  }
  return mask;
}

int caps_drop_bounding(const oci_capabilities *caps, ocirt_error *err)
{
  if (caps == NULL)
    return 0;
  int last = (int) cap_max_bits() - 1;
  unsigned long long bounding = cap_mask(caps->bounding, caps->bounding_len);
  for (int c = 0; c <= last; c++)
    if (!(bounding & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return error_set(err, errno, "drop capability %d from the bounding set", c);
  return 0;
}

int caps_apply(const oci_capabilities *caps, ocirt_error *err)
{
  if (caps == NULL)
    return 0;
  int last = (int) cap_max_bits() - 1;
  cap_t state = cap_init();
  if (state == NULL)
    return error_set(err, errno, "cap_init");
  const struct {
    cap_flag_t flag;
    unsigned long long mask;
  } sets[] = {
    { CAP_EFFECTIVE, cap_mask(caps->effective, caps->effective_len) },
    { CAP_PERMITTED, cap_mask(caps->permitted, caps->permitted_len) },
    { CAP_INHERITABLE, cap_mask(caps->inheritable, caps->inheritable_len) },
  };
  for (size_t s = 0; s < 3; s++)
    for (int c = 0; c <= last; c++)
      if (sets[s].mask & (1ULL << c)) {
        cap_value_t v = c;
        cap_set_flag(state, sets[s].flag, 1, &v, CAP_SET);
      }
  int ret = cap_set_proc(state);
  int saved = errno;
  cap_free(state);
  if (ret < 0)
    return error_set(err, saved, "set capabilities");

  /* The kernel raises an ambient capability only when it is permitted and inheritable; runc's
   * default config lists ambient capabilities without inheritable ones, and runc skips them: so do
   * we, rather than refuse a config every engine writes. */
  unsigned long long ambient = cap_mask(caps->ambient, caps->ambient_len) & sets[1].mask & sets[2].mask;
  for (int c = 0; c <= last; c++)
    if ((ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return error_set(err, errno, "raise ambient capability %d", c);
  return 0;
}
