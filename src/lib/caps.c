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

/* Whether this process holds capability c in its permitted set: nothing else can be granted. */
static bool cap_held(cap_t self, int c)
{
  cap_flag_value_t v = CAP_CLEAR;
  return self && cap_get_flag(self, (cap_value_t) c, CAP_PERMITTED, &v) == 0 && v == CAP_SET;
}

bool caps_grantable(const char *name)
{
  int c = cap_number(name);
  if (c < 0)
    return false;
  cap_t self = cap_get_proc();
  bool held = cap_held(self, c);
  cap_free(self);
  return held;
}

/* One bit per capability listed that `held` has (all of them when held is NULL). */
static unsigned long long cap_mask(char **names, size_t n, cap_t held)
{
  unsigned long long mask = 0;
  for (size_t i = 0; i < n; i++) {
    int c = cap_number(names[i]);
    if (c >= 0 && (held == NULL || cap_held(held, c)))
      mask |= 1ULL << c;
  }
  return mask;
}

int caps_drop_bounding(const oci_capabilities *caps, ocirt_error *err)
{
  if (caps == NULL)
    return 0;
  int last = (int) cap_max_bits() - 1;
  unsigned long long bounding = cap_mask(caps->bounding, caps->bounding_len, NULL);
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
  /* What we do not hold cannot be granted: the parent warned about those, here they are skipped. */
  cap_t held = cap_get_proc();
  if (held == NULL)
    return error_set(err, errno, "read the capabilities of the container's init");
  const struct {
    cap_flag_t flag;
    unsigned long long mask;
  } sets[] = {
    { CAP_EFFECTIVE, cap_mask(caps->effective, caps->effective_len, held) },
    { CAP_PERMITTED, cap_mask(caps->permitted, caps->permitted_len, held) },
    { CAP_INHERITABLE, cap_mask(caps->inheritable, caps->inheritable_len, held) },
  };
  cap_free(held);
  cap_t state = cap_init();
  if (state == NULL)
    return error_set(err, errno, "cap_init");
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
  unsigned long long ambient = cap_mask(caps->ambient, caps->ambient_len, NULL) & sets[1].mask & sets[2].mask;
  for (int c = 0; c <= last; c++)
    if ((ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return error_set(err, errno, "raise ambient capability %d", c);
  return 0;
}
