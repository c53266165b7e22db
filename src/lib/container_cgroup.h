/* The commands that act on a container's cgroup: ps, pause, resume, update, events. */
#ifndef OCIRT_CONTAINER_CGROUP_H
#define OCIRT_CONTAINER_CGROUP_H

#include "container.h"

#include <sys/types.h>

/* The pids in the container's cgroup. */
int container_pids(const ocirt_runtime *rt, const char *id, pid_t **pids, size_t *n, ocirt_error *err);
/* Freeze a running container (`paused`), or thaw a paused one. */
int container_pause(const ocirt_runtime *rt, const char *id, bool pause, ocirt_error *err);
/* Set the resources that are set in r on a running (or created, or paused) container. */
int container_update(const ocirt_runtime *rt, const char *id, const oci_resources *r, ocirt_error *err);

/* One event line (JSON, no newline) for the CLI to print; returns false to stop. */
typedef bool (*event_sink)(const char *json, void *data);
/* runc's events: the stats once (interval_ms 0), or every interval_ms plus an "oom" event each time
 * the OOM killer kills in the container, until it stops. */
int container_events(const ocirt_runtime *rt, const char *id, unsigned interval_ms, event_sink sink,
                     void *data, ocirt_error *err);

#endif
