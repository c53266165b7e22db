/* Writes to procfs that a container cannot redirect (CVE-2019-16884, CVE-2025-52881).
 *
 * Paths like /proc/self/attr/exec or /proc/sys/... are never resolved through the mount table the
 * container shaped: ocirt opens a procfs of its own (a fresh, detached instance where the kernel
 * has fsopen, else the /proc it mounted, checked to be procfs) and resolves beneath it with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS), so neither a mount over a
 * /proc file nor a symlink can send the write elsewhere; the opened file is checked to be on
 * procfs before anything is written. */
#ifndef OCIRT_PROCFS_H
#define OCIRT_PROCFS_H

#include "error.h"

/* A handle on a procfs instance of the caller's pid namespace (O_PATH, close-on-exec).  Made once
 * per process and cached; close it with procfs_handle_reset() before exec. */
int procfs_handle(ocirt_error *err);
void procfs_handle_reset(void);

/* Open `path` relative to the procfs root ("self/..." or "thread-self/..." name the caller) with
 * `flags`, verified to be a procfs file. */
int procfs_open(const char *path, int flags, ocirt_error *err);
/* Write a short string to a procfs file (e.g. "self/oom_score_adj", "sys/net/ipv4/ip_forward"). */
int procfs_write(const char *path, const char *data, ocirt_error *err);

#endif
