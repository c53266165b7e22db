/* seccomp: linux.seccomp turned into a BPF program before the clone, loaded by the container's
 * process as one of its last steps before exec. */
#ifndef OCIRT_SECCOMP_PROFILE_H
#define OCIRT_SECCOMP_PROFILE_H

#include "error.h"
#include "ocispec.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct seccomp_filter seccomp_filter;

/* Validate `cfg` (errors name the field, e.g. `.linux.seccomp.syscalls[2].action`) and compile it.
 * Compiling in the runtime, not in the container, keeps libseccomp's work off the container's
 * clock and leaves the container only one syscall to make. */
int seccomp_filter_build(const oci_seccomp *cfg, seccomp_filter **out, ocirt_error *err);
void seccomp_filter_free(seccomp_filter *f);

/* The same, through a cache in the folder `cache_dir` (made if missing, inside an existing parent):
 * a filter compiled before from the same profile, by the same ocirt build, libseccomp and kernel
 * release, is read back instead of compiled again (libseccomp takes milliseconds for the default
 * profile).  The whole key is stored and compared, so a hash collision never serves a wrong
 * filter.  Any cache problem falls back to compiling; only a config error is an error. */
int seccomp_filter_build_cached(const char *cache_dir, const oci_seccomp *cfg, seccomp_filter **out,
                                ocirt_error *err);

/* Whether the filter has SCMP_ACT_NOTIFY rules, whose listener fd goes to cfg->listenerPath. */
bool seccomp_filter_has_notify(const seccomp_filter *f);

/* Install the filter on the calling process.  Without no_new_privs this needs CAP_SYS_ADMIN, so the
 * caller loads it before dropping capabilities in that case.  *listener_fd gets the notify fd when
 * the filter has NOTIFY rules, else -1. */
int seccomp_filter_load(const seccomp_filter *f, int *listener_fd, ocirt_error *err);

/* Connect to the seccomp agent at `path` (done by `create`, on the host, before the clone). */
int seccomp_listener_connect(const char *path, ocirt_error *err);

/* Send the notify fd with the container process state JSON (runtime-spec config-linux.md,
 * "containerProcessState") over the connected socket. */
int seccomp_listener_send(int sock, int listener_fd, pid_t pid, const char *metadata, const char *state_json,
                          ocirt_error *err);

/* What `ocirt features` reports under linux.seccomp (malloc'd vectors; enabled false without
 * libseccomp). */
void seccomp_features(oci_features_seccomp *out);

#define cleanup_seccomp_filter __attribute__((cleanup(seccomp_filter_freep)))
void seccomp_filter_freep(seccomp_filter **f);

#endif
