#include "config.h"
#include "container_cgroup.h"
#include "cgroup.h"
#include "state.h"
#include "utils.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Open (and lock, when it changes something) the container and find its cgroup. */
static int
open_with_cgroup(const ocirt_runtime *rt, const char *id, bool lock, container_handle *h, const char **status,
                 ocirt_error *err)
{
  if (state_validate_id(id, err) < 0 || state_open(rt->root, id, lock, h, err) < 0 || state_load(h, err) < 0)
    return -1;
  bool alive;
  *status = state_live_status(h, &alive);
  if (h->status->cgroup_path == NULL || *h->status->cgroup_path == '\0')
    return error_set(err, 0, "container %s has no cgroup (made with --cgroup-manager disabled)", id);
  return 0;
}

int
container_pids(const ocirt_runtime *rt, const char *id, pid_t **pids, size_t *n, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  const char *status;
  *pids = NULL;
  *n = 0;
  if (open_with_cgroup(rt, id, false, &h, &status, err) < 0
      || cgroup_pids(h.status->cgroup_path, pids, n, err) < 0)
    return error_wrap(err, "ps %s", id);
  return 0;
}

int
container_pause(const ocirt_runtime *rt, const char *id, bool pause, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  const char *status;
  const char *what = pause ? "pause" : "resume";
  if (open_with_cgroup(rt, id, true, &h, &status, err) < 0)
    return error_wrap(err, "%s %s", what, id);
  const char *need = pause ? "running" : "paused";
  if (strcmp(status, need) != 0)
    return error_set(err, 0, "%s %s: container is %s, not %s", what, id, status, need);
  if (cgroup_freeze(h.status->cgroup_path, pause, err) < 0)
    return error_wrap(err, "%s %s", what, id);
  return 0;
}

int
container_update(const ocirt_runtime *rt, const char *id, const oci_resources *r, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  const char *status;
  if (open_with_cgroup(rt, id, true, &h, &status, err) < 0)
    return error_wrap(err, "update %s", id);
  if (strcmp(status, "stopped") == 0)
    return error_set(err, 0, "update %s: container is stopped", id);
  if (cgroup_apply_resources(h.status->cgroup_path, r, err) < 0)
    return error_wrap(err, "update %s", id);
  return 0;
}

static char *
stats_event(const char *id, const char *path)
{
  cleanup_free char *qid = oci_json_quote(id);
  cleanup_free char *data = cgroup_stats_json(path);
  return xasprintf("{\"type\":\"stats\",\"id\":%s,\"data\":%s}", qid, data);
}

int
container_events(const ocirt_runtime *rt, const char *id, unsigned interval_ms, event_sink sink, void *data,
                 ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  const char *status;
  if (open_with_cgroup(rt, id, false, &h, &status, err) < 0)
    return error_wrap(err, "events %s", id);
  if (strcmp(status, "stopped") == 0)
    return error_set(err, 0, "events %s: container is stopped", id);
  const char *path = h.status->cgroup_path;
  if (interval_ms == 0) {
    cleanup_free char *line = stats_event(id, path);
    sink(line, data);
    return 0;
  }
  /* OOM kills are counted by the kernel (memory.events, memory.oom_control): polled often, so a
   * kill is reported within a tick; the stats every interval. */
  uint64_t ooms = 0;
  cgroup_oom_kills(path, &ooms);
  cleanup_free char *qid = oci_json_quote(id);
  const unsigned tick = interval_ms < 100 ? interval_ms : 100;
  unsigned since = interval_ms;
  for (;;) {
    /* Whether it stopped is read before the OOM count: the kill that stopped it is still reported. */
    bool alive;
    bool stopped = strcmp(state_live_status(&h, &alive), "stopped") == 0;
    uint64_t now;
    if (cgroup_oom_kills(path, &now) == 0 && now > ooms) {
      ooms = now;
      cleanup_free char *line = xasprintf("{\"type\":\"oom\",\"id\":%s}", qid);
      if (!sink(line, data))
        return 0;
    }
    if (since >= interval_ms && !stopped) {
      since = 0;
      cleanup_free char *line = stats_event(id, path);
      if (!sink(line, data))
        return 0;
    }
    if (stopped)
      return 0;
    struct timespec ts = { tick / 1000, (long)(tick % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    since += tick;
  }
}
