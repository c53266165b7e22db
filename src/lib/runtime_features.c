/* `ocirt features`: built from the same tables the runtime uses, so it cannot drift from what
 * ocirt really does; host-dependent entries are probed on this host. */
#include "config.h"
#include "runtime_features.h"
#include "label.h"
#include "cgroup.h"
#include "idmap.h"
#include "namespaces.h"
#include "rootfs.h"
#include "seccomp_profile.h"
#include "utils.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

static const char *const hook_names[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };

static void add_namespaces(oci_features_linux *l)
{
  size_t n;
  const namespace_type *t = namespace_table(&n);
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *path = xasprintf("/proc/self/ns/%s", t[i].proc_name);
    if (access(path, F_OK) == 0) /* this kernel has it */
      strv_push(&l->namespaces, &l->namespaces_len, t[i].name);
  }
}

static void add_capabilities(oci_features_linux *l)
{
  for (int c = 0; c < (int) cap_max_bits(); c++) {
    char *name = cap_to_name((cap_value_t) c);
    if (name == NULL)
      continue;
    if (strncmp(name, "cap_", 4) == 0) {
      cleanup_free char *upper = xstrdup(name);
      for (char *p = upper; *p; p++)
        *p = (char) toupper((unsigned char) *p);
      strv_push(&l->capabilities, &l->capabilities_len, upper);
    }
    cap_free(name);
  }
}

static oci_feature_enabled *enabled(bool on)
{
  oci_feature_enabled *e = xcalloc(1, sizeof(*e));
  e->enabled = on;
  return e;
}

oci_features *features_build(void)
{
  oci_features *f = xcalloc(1, sizeof(*f));
  f->oci_version_min = xstrdup("1.0.0");
  f->oci_version_max = xstrdup(OCI_SPEC_VERSION);
  for (size_t i = 0; i < sizeof(hook_names) / sizeof(hook_names[0]); i++)
    strv_push(&f->hooks, &f->hooks_len, hook_names[i]);
  mount_option_names(&f->mount_options, &f->mount_options_len);

  oci_features_linux *l = f->linux_ = xcalloc(1, sizeof(*l));
  add_namespaces(l);
  add_capabilities(l);
  l->cgroup = xcalloc(1, sizeof(*l->cgroup));
  l->cgroup->v1 = true;
  l->cgroup->v2 = true;
  l->seccomp = xcalloc(1, sizeof(*l->seccomp));
  seccomp_features(l->seccomp);
  /* AppArmor: what create accepts (the module on and securityfs showing it, as runc tells) */
  l->apparmor = enabled(label_apparmor_enabled());
  l->selinux = enabled(access("/sys/fs/selinux/enforce", F_OK) == 0);
  l->intel_rdt = enabled(false);
  l->mount_extensions = xcalloc(1, sizeof(*l->mount_extensions));
  l->mount_extensions->idmap = enabled(idmap_supported());

  size_t n_values = 0;
  strv_push(&f->annotations_keys, &f->annotations_len, "org.ocirt.version");
  strv_push(&f->annotations_values, &n_values, PACKAGE_VERSION);
#ifdef HAVE_SECCOMP
  const struct scmp_version *v = seccomp_version();
  cleanup_free char *libseccomp = xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
  strv_push(&f->annotations_keys, &f->annotations_len, "io.github.seccomp.libseccomp.version");
  strv_push(&f->annotations_values, &n_values, libseccomp);
#endif
  return f;
}
