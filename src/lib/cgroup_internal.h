/* What cgroup.c shares with its backends (cgroup_v1.c, cgroup_v2.c): one table of functions per
 * cgroup version, and the helpers both use to find and write a container's cgroup files. */
#ifndef OCIRT_CGROUP_INTERNAL_H
#define OCIRT_CGROUP_INTERNAL_H

#include "cgroup.h"

#include <stdint.h>

typedef struct {
  const char *name; /* "v1", "v2" */
  /* Write the resources that are set (a NULL member, a false has_ flag: left as they are). */
  int (*apply)(const char *path, const oci_resources *r, ocirt_error *err);
  /* Freeze or thaw, and wait until the kernel says it is done. */
  int (*freeze)(const char *path, bool frozen, ocirt_error *err);
  /* 1 when frozen (or freezing), 0 when not, -1 when it cannot tell. */
  int (*is_frozen)(const char *path);
  /* The "data" object of runc's stats event, as JSON. */
  char *(*stats)(const char *path);
  /* How many times the OOM killer killed in the cgroup. */
  int (*oom_kills)(const char *path, uint64_t *n);
} cgroup_backend;

extern const cgroup_backend cgroup_backend_v1, cgroup_backend_v2;

/* The container's cgroup folder in the hierarchy of `controller` (v1: the one mounted with it; NULL
 * for the unified hierarchy); NULL when there is no such hierarchy.  malloc'd. */
char *cgroup_dir_of(const char *path, const char *controller);
/* Write `value` to dir/file; errors name the config field (".linux.resources.memory.limit"). */
int cgroup_write(const char *dir, const char *file, const char *value, const char *field, ocirt_error *err);
/* Same, the value formatted. */
int cgroup_writef(const char *dir, const char *file, const char *field, ocirt_error *err, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/* dir/file exists. */
bool cgroup_has_file(const char *dir, const char *file);
/* The content of dir/file (malloc'd, NULL when unreadable). */
char *cgroup_read(const char *dir, const char *file);
/* The number after `key ` in a flat keyed file ("oom_kill 3"); 0 when absent. */
uint64_t cgroup_keyed_value(const char *text, const char *key);
/* A spec warning through ocirt_warning_handler. */
void cgroup_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "unified": raw cgroup v2 files, checked (a plain file name that exists) and written to dir. */
int cgroup_write_unified(const char *dir, const oci_resources *r, ocirt_error *err);

/* A small growing string, for the stats JSON. */
typedef struct {
  char *s;
  size_t len, cap;
} strbuf;
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
