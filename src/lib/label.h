/* Security labels: process.apparmorProfile, process.selinuxLabel and linux.mountLabel.
 *
 * Applied where the host's kernel runs that LSM, refused with the field named where it does not:
 * a label silently dropped would run the container less confined than its author asked. */
#ifndef OCIRT_LABEL_H
#define OCIRT_LABEL_H
#include "error.h"
#include "ocispec.h"

#include <stdbool.h>

bool label_apparmor_enabled(void);
bool label_selinux_enabled(void);

/* Refuse an apparmorProfile or selinuxLabel this host cannot apply (`where`: ".process"). */
int label_check_process(const oci_process *p, const char *where, ocirt_error *err);
/* Refuse a mountLabel on a host without SELinux. */
int label_check_mount(const char *mount_label, ocirt_error *err);

/* The files that set the label of the next exec, opened before pivot_root (the container may have
 * no /proc of its own); fds are -1 when the process asks for no label. */
typedef struct {
  int apparmor_fd;
  int selinux_fd;
} label_exec;
#define LABEL_EXEC_INIT                                                                                      \
  {                                                                                                          \
    -1, -1                                                                                                   \
  }
int label_exec_open(const oci_process *p, label_exec *l, ocirt_error *err);
/* Fail unless the kernel would switch this process to its apparmorProfile (loaded, and allowed):
 * asked at create, so that a misspelt profile fails create, not start.  Changes nothing. */
int label_apparmor_probe(const oci_process *p, ocirt_error *err);
/* Write the labels: call after the startContainer hooks (they must not run confined) and before
 * the user switch; they take effect at the process's execve.  Closes the fds. */
int label_exec_apply(label_exec *l, const oci_process *p, ocirt_error *err);
void label_exec_close(label_exec *l);

/* Mount data with SELinux's context="LABEL" added for a mount of `type`, malloc'd; NULL when
 * nothing is to be added (no label, or a filesystem that takes none: proc, sysfs, mqueue, cgroup). */
char *label_mount_data(const char *type, const char *data, const char *mount_label);
#endif
