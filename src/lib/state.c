#include "config.h"
#include "state.h"
#include "cgroup.h"
#include "fault.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

int state_validate_id(const char *id, ocirt_error *err)
{
  size_t len = strlen(id);
  if (len == 0)
    return error_set(err, 0, "invalid container id: empty");
  if (len > 1024)
    return error_set(err, 0, "invalid container id: longer than 1024 characters");
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return error_set(err, 0, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("_.+-", *p)))
      return error_set(err, 0, "invalid container id \"%.64s\": only letters, digits, _ . + - are allowed", id);
  return 0;
}

static int open_root(const char *root, bool create, ocirt_error *err)
{
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (mkdir_p(root, 0700, err) < 0)
      return -1;
    fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0)
    return error_set(err, errno, "open state root `%s`", root);
  return fd;
}

/* Lock the folder, then make sure it was not removed while we waited (a concurrent delete). */
static int lock_dir(int dir_fd, const char *id, ocirt_error *err)
{
  if (TEMP_FAILURE_RETRY(flock(dir_fd, LOCK_EX)) < 0)
    return error_set(err, errno, "lock container %s", id);
  struct stat st;
  if (fstat(dir_fd, &st) < 0)
    return error_set(err, errno, "stat container %s", id);
  if (st.st_nlink == 0)
    return error_set(err, ENOENT, "container %s does not exist", id);
  return 0;
}

int state_create(const char *root, const char *id, container_handle *h, ocirt_error *err)
{
  h->root_fd = open_root(root, true, err);
  if (h->root_fd < 0)
    return -1;
  if (mkdirat(h->root_fd, id, 0700) < 0) {
    if (errno == EEXIST)
      return error_set(err, EEXIST, "container %s already exists", id);
    return error_set(err, errno, "create state folder `%s/%s`", root, id);
  }
  h->id = xstrdup(id);
  h->dir_fd = openat(h->root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (h->dir_fd < 0) {
    int saved = errno;
    unlinkat(h->root_fd, id, AT_REMOVEDIR);
    return error_set(err, saved, "open state folder `%s/%s`", root, id);
  }
  return lock_dir(h->dir_fd, id, err);
}

int state_open(const char *root, const char *id, bool lock, container_handle *h, ocirt_error *err)
{
  h->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (h->root_fd < 0) {
    if (errno == ENOENT)
      return error_set(err, ENOENT, "container %s does not exist", id);
    return error_set(err, errno, "open state root `%s`", root);
  }
  h->dir_fd = openat(h->root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (h->dir_fd < 0) {
    if (errno == ENOENT)
      return error_set(err, ENOENT, "container %s does not exist", id);
    return error_set(err, errno, "open state folder of %s", id);
  }
  h->id = xstrdup(id);
  return lock ? lock_dir(h->dir_fd, id, err) : 0;
}

int state_load(container_handle *h, ocirt_error *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  if (read_file_at(h->dir_fd, STATE_FILE, 16 << 20, &data, &len, err) < 0)
    return -1;
  char *msg = NULL;
  oci_container_status *s = oci_parse_data(&oci_container_status_type, data, len, "state.json", &msg);
  if (s == NULL)
    return error_take(err, 0, msg);
  oci_free(&oci_container_status_type, h->status);
  h->status = s;
  return 0;
}

int state_save(container_handle *h, ocirt_error *err)
{
  size_t len;
  cleanup_free char *json = oci_generate(&oci_container_status_type, h->status, false, &len);
  if (json == NULL)
    return error_set(err, 0, "encode state.json");
  return write_file_atomic_at(h->dir_fd, STATE_FILE, json, len, 0600, err);
}

int state_destroy(container_handle *h, ocirt_error *err)
{
  /* The folder holds only files ocirt made: remove each, then the folder. */
  int fd = openat(h->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open state folder of %s", h->id);
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return error_set(err, errno, "read state folder of %s", h->id);
  }
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (unlinkat(h->dir_fd, de->d_name, 0) < 0 && errno == EISDIR)
      unlinkat(h->dir_fd, de->d_name, AT_REMOVEDIR);
  }
  closedir(dir);
  FAULT_POINT("delete.emptied-state-dir");
  if (unlinkat(h->root_fd, h->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return error_set(err, errno, "remove state folder of %s", h->id);
  return 0;
}

void state_close(container_handle *h)
{
  if (h->dir_fd >= 0)
    close(h->dir_fd); /* releases the lock */
  if (h->root_fd >= 0)
    close(h->root_fd);
  oci_free(&oci_container_status_type, h->status);
  free(h->id);
  h->dir_fd = h->root_fd = -1;
  h->status = NULL;
  h->id = NULL;
}

const char *state_live_status(container_handle *h, bool *alive)
{
  *alive = false;
  const oci_container_status *s = h->status;
  if (s == NULL || s->pid <= 0)
    return "stopped";
  uint64_t start;
  bool zombie;
  if (proc_start_time(s->pid, &start, &zombie) < 0 || start != s->pid_start)
    return "stopped";
  if (zombie)
    return "stopped";
  *alive = true;
  struct stat st;
  if (fstatat(h->dir_fd, STATE_FIFO, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return "created";
  if (s->cgroup_path && *s->cgroup_path && cgroup_is_frozen(s->cgroup_path) == 1)
    return "paused";
  return "running";
}

static int compare_strings(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

int state_list_ids(const char *root, char ***ids, size_t *n, ocirt_error *err)
{
  *ids = NULL;
  *n = 0;
  DIR *dir = opendir(root);
  if (dir == NULL) {
    if (errno == ENOENT)
      return 0;
    return error_set(err, errno, "open state root `%s`", root);
  }
  struct dirent *de;
  cleanup_error ocirt_error ignored = { 0 };
  while ((de = readdir(dir)) != NULL) {
    if (de->d_type != DT_DIR || state_validate_id(de->d_name, &ignored) < 0)
      continue;
    *ids = xrealloc(*ids, (*n + 2) * sizeof(char *));
    (*ids)[(*n)++] = xstrdup(de->d_name);
    (*ids)[*n] = NULL;
  }
  closedir(dir);
  if (*n > 1)
    qsort(*ids, *n, sizeof(char *), compare_strings);
  return 0;
}
