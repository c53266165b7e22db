/* The container's process: who it runs as, its limits, and finding the program to exec. */
#ifndef OCIRT_PROCESS_H
#define OCIRT_PROCESS_H
#include "error.h"
#include "ocispec.h"

/* The RLIMIT_* number of a spec name, or -1. */
int rlimit_lookup(const char *name);
/* Find args[0] on the PATH of the process env (or the default PATH), as seen from the current
 * root.  malloc'd path, or -1 with an error that says `executable file not found in $PATH`. */
int process_find_executable(const oci_process *p, char **path, ocirt_error *err);
/* Check umask, ioPriority and scheduler (`where` is the JSON path of the process, ".process"). */
int process_validate_attributes(const oci_process *p, const char *where, ocirt_error *err);
/* Check .linux.personality (NULL is fine). */
int process_validate_personality(const oci_personality *per, ocirt_error *err);
/* rlimits, ioPriority, scheduler and .linux.personality, in the container's init before READY, so a
 * refused value fails `create` with the field named. */
int process_apply_attributes(const oci_spec *spec, ocirt_error *err);
/* oomScoreAdj (needs a /proc: call before pivot_root). */
int process_apply_oom_score_adj(const oci_process *p, ocirt_error *err);
/* chdir to cwd (after pivot_root) and make sure it is inside the container. */
int process_chdir(const oci_process *p, ocirt_error *err);
/* Apply user (groups, gid, uid) and capabilities, then no_new_privs. */
int process_apply_identity(const oci_process *p, ocirt_error *err);
/* Replace this process with the user's program; returns only on error. */
int process_exec(const oci_process *p, const char *path, ocirt_error *err);
#endif
