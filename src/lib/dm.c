/* Device-mapper thin pools, images and snapshot root filesystems: see dm.h for the bookkeeping. */
#include "config.h"
#include "dm.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define POOL_FILE "pool.json"
#define METADATA_BLOCK 4096 /* the thin-pool's metadata block size */
#define DEFAULT_METADATA_SIZE (16ULL << 20)
#define DEFAULT_BLOCK_SIZE (64ULL << 10)
#define DEFAULT_IMAGE_SIZE (1ULL << 30)

/* A test build (tests/ocirt-dm-faults) dies by SIGKILL at the step named by $OCIRT_DM_FAULT, to prove
 * that a rerun finds the pool consistent.  Normal builds have no such point. */
#ifdef OCIRT_DM_FAULTS
static void
fault(const char *step)
{
  const char *want = getenv("OCIRT_DM_FAULT");
  if (want && strcmp(want, step) == 0)
    raise(SIGKILL);
}
#else
#define fault(step) ((void)0)
#endif

const char *
thinpool_dir(void)
{
  const char *d = getenv("OCIRT_POOL_DIR");
  return d && *d ? d : "/var/lib/ocirt/pools";
}

int
size_parse(const char *s, uint64_t *out)
{
  static const struct {
    char suffix;
    unsigned shift;
  } units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 } };
  char *end;
  errno = 0;
  if (s[0] < '0' || s[0] > '9')
    return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno)
    return -1;
  unsigned shift = 0;
  if (*end) {
    size_t i;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
      if ((*end & ~0x20) == units[i].suffix)
        break;
    if (i == sizeof(units) / sizeof(units[0])
        || (end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0))
      return -1;
    shift = units[i].shift;
  }
  if (shift && v > (UINT64_MAX >> shift))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

static int
validate_name(const char *what, const char *name, ocirt_error *err)
{
  size_t len = strlen(name);
  if (len == 0 || len > 64 || name[0] == '.' || name[0] == '-')
    return error_set(err, 0, "invalid %s name \"%.64s\": 1 to 64 letters, digits, _ . - (not first . or -)",
                     what, name);
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || strchr("_.-", *p)))
      return error_set(err, 0, "invalid %s name \"%.64s\": only letters, digits, _ . - are allowed", what,
                       name);
  return 0;
}

/* ---- libdevmapper ------------------------------------------------------------------------------ */

/* libdevmapper prints its errors; the library never prints, so the last one is kept for messages. */
static char dmlib_last[512];

static void
dmlib_logger(int level, const char *file, int line, int dm_errno, const char *f, ...)
{
  (void)file;
  (void)line;
  (void)dm_errno;
  if ((level & 7) > 3) /* syslog levels: keep errors only */
    return;
  va_list ap;
  va_start(ap, f);
  vsnprintf(dmlib_last, sizeof(dmlib_last), f, ap);
  va_end(ap);
}

static void
dmlib_setup(void)
{
  static bool done;
  if (done)
    return;
  done = true;
  dm_log_with_errno_init(dmlib_logger);
  /* No udev here (nor wanted): libdevmapper makes the /dev/mapper nodes itself. */
  dm_udev_set_sync_support(0);
}

/* Fail with `what` (malloc'd, taken) and the kernel's errno, or libdevmapper's last message. */
static int
dmlib_fail(struct dm_task *dmt, ocirt_error *err, char *what)
{
  int e = dmt ? dm_task_get_errno(dmt) : 0;
  if (dmt)
    dm_task_destroy(dmt);
  int ret = e == 0 && dmlib_last[0] ? error_set(err, 0, "%s: %s", what, dmlib_last)
                                    : error_set(err, e ? e : EIO, "%s", what);
  free(what);
  return ret;
}

static struct dm_task *
dmlib_task(int type, const char *name)
{
  dmlib_setup();
  dmlib_last[0] = '\0';
  struct dm_task *dmt = dm_task_create(type);
  if (dmt == NULL)
    return NULL;
  if (!dm_task_set_name(dmt, name)) {
    dm_task_destroy(dmt);
    return NULL;
  }
  return dmt;
}

/* Whether device `name` exists; its numbers in *dev. */
static int
dmdev_info(const char *name, bool *exists, dev_t *dev, ocirt_error *err)
{
  struct dm_task *dmt = dmlib_task(DM_DEVICE_INFO, name);
  struct dm_info info;
  if (dmt == NULL || !dm_task_run(dmt) || !dm_task_get_info(dmt, &info))
    return dmlib_fail(dmt, err, xasprintf("device-mapper: info of `%s`", name));
  dm_task_destroy(dmt);
  *exists = info.exists;
  if (dev)
    *dev = info.exists ? makedev(info.major, info.minor) : 0;
  return 0;
}

/* The device's node: libdevmapper makes /dev/mapper/NAME at dm_task_update_nodes(); without it (no
 * devtmpfs, a libdevmapper waiting for udev) ocirt makes the node itself. */
static char *
dmdev_node(const char *name, dev_t dev, ocirt_error *err)
{
  char *path = xasprintf("/dev/mapper/%s", name);
  struct stat st;
  if (stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == dev)
    return path;
  unlink(path);
  mkdir("/dev/mapper", 0755);
  if (mknod(path, S_IFBLK | 0600, dev) < 0) {
    error_set(err, errno, "mknod `%s`", path);
    free(path);
    return NULL;
  }
  return path;
}

static int
dmdev_create(const char *name, uint64_t sectors, const char *target, const char *params, ocirt_error *err)
{
  struct dm_task *dmt = dmlib_task(DM_DEVICE_CREATE, name);
  if (dmt == NULL || !dm_task_add_target(dmt, 0, sectors, target, params) || !dm_task_run(dmt)) {
    int ret = dmlib_fail(dmt, err, xasprintf("device-mapper: create `%s` (%s)", name, params));
    dm_task_update_nodes();
    return ret;
  }
  dm_task_destroy(dmt);
  dm_task_update_nodes();
  return 0;
}

/* Remove a device; gone already is fine.  libdevmapper retries a busy device a bounded number of times. */
static int
dmdev_remove(const char *name, ocirt_error *err)
{
  bool exists;
  if (dmdev_info(name, &exists, NULL, err) < 0)
    return -1;
  if (!exists)
    return 0;
  struct dm_task *dmt = dmlib_task(DM_DEVICE_REMOVE, name);
  if (dmt == NULL || !dm_task_retry_remove(dmt) || !dm_task_run(dmt)) {
    int ret = dmlib_fail(dmt, err, xasprintf("device-mapper: remove `%s`", name));
    dm_task_update_nodes();
    return ret;
  }
  dm_task_destroy(dmt);
  dm_task_update_nodes();
  cleanup_free char *path = xasprintf("/dev/mapper/%s", name);
  unlink(path); /* ours, when dmdev_node made it */
  return 0;
}

/* Send a message to a target; *eno gets the kernel's errno on failure. */
static int
dmdev_message(const char *name, const char *msg, int *eno, ocirt_error *err)
{
  struct dm_task *dmt = dmlib_task(DM_DEVICE_TARGET_MSG, name);
  if (dmt == NULL || !dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg) || !dm_task_run(dmt)) {
    if (eno)
      *eno = dmt ? dm_task_get_errno(dmt) : 0;
    return dmlib_fail(dmt, err, xasprintf("device-mapper: message `%2$s` to `%1$s`", name, msg));
  }
  dm_task_destroy(dmt);
  return 0;
}

static int
dmdev_simple(int type, const char *what, const char *name, ocirt_error *err)
{
  struct dm_task *dmt = dmlib_task(type, name);
  if (dmt == NULL || !dm_task_run(dmt))
    return dmlib_fail(dmt, err, xasprintf("device-mapper: %2$s `%1$s`", name, what));
  dm_task_destroy(dmt);
  dm_task_update_nodes();
  return 0;
}

/* The status line of a device's (only) target. */
static int
dmdev_status(const char *name, char **out, ocirt_error *err)
{
  struct dm_task *dmt = dmlib_task(DM_DEVICE_STATUS, name);
  if (dmt == NULL || !dm_task_run(dmt))
    return dmlib_fail(dmt, err, xasprintf("device-mapper: status of `%s`", name));
  uint64_t start, length;
  char *type = NULL, *params = NULL;
  dm_get_next_target(dmt, NULL, &start, &length, &type, &params);
  *out = xstrdup(params ? params : "");
  dm_task_destroy(dmt);
  return 0;
}

/* ---- running mkfs, tar, cp ----------------------------------------------------------------------- */

static int
run_program(char *const argv[], ocirt_error *err)
{
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return error_set(err, errno, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return error_set(err, errno, "fork");
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    dup2(pfd[1], 2);
    execvp(argv[0], argv);
    dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(pfd[1]);
  /* Keep the start of the program's stderr for the message; drain the rest so it never blocks. */
  char out[2048], rest[4096];
  size_t len = 0;
  ssize_t n;
  while ((n = TEMP_FAILURE_RETRY(read(pfd[0], len < sizeof(out) - 1 ? out + len : rest,
                                      len < sizeof(out) - 1 ? sizeof(out) - 1 - len : sizeof(rest))))
         > 0)
    if (len < sizeof(out) - 1)
      len += (size_t) n;
  close(pfd[0]);
  out[len] = '\0';
  while (len && out[len - 1] == '\n')
    out[--len] = '\0';
  int status;
  if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) < 0)
    return error_set(err, errno, "wait for `%s`", argv[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  return error_set(err, 0, "`%s` failed (status %d)%s%s", argv[0],
                   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), len ? ": " : "", out);
}

/* ---- loop devices ------------------------------------------------------------------------------- */

/* Attach `file` to a free loop device that goes away when its last user (the pool) closes it.  Returns
 * the loop device's fd (the pool's table must be loaded before it is closed). */
static int
loop_attach(const char *file, ocirt_error *err)
{
  cleanup_close int ffd = open(file, O_RDWR | O_CLOEXEC);
  if (ffd < 0)
    return error_set(err, errno, "open `%s`", file);
  cleanup_close int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0)
    return error_set(err, errno, "open /dev/loop-control");
  /* Another process may take the free device between GET_FREE and CONFIGURE: try again, a few times. */
  for (int tries = 0; tries < 16; tries++) {
    int n = ioctl(ctl, LOOP_CTL_GET_FREE);
    if (n < 0)
      return error_set(err, errno, "find a free loop device for `%s`", file);
    char path[64];
    snprintf(path, sizeof(path), "/dev/loop%d", n);
    int lfd = open(path, O_RDWR | O_CLOEXEC);
    if (lfd < 0)
      return error_set(err, errno, "open `%s`", path);
    struct loop_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.fd = (uint32_t)ffd;
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", file);
    if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
      return lfd;
    int saved = errno;
    close(lfd);
    if (saved != EBUSY)
      return error_set(err, saved, "attach `%s` to `%s`", file, path);
  }
  return error_set(err, EBUSY, "attach `%s` to a loop device", file);
}

/* A block device for `path`: itself, or a loop device over the file.  *fd is held open until the pool
 * is loaded; *dev gets its numbers. */
static int
backing_open(const char *path, int *fd, dev_t *dev, ocirt_error *err)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return error_set(err, errno, "`%s`", path);
  if (S_ISBLK(st.st_mode)) {
    *fd = open(path, O_RDWR | O_CLOEXEC);
    if (*fd < 0)
      return error_set(err, errno, "open `%s`", path);
  } else if (S_ISREG(st.st_mode)) {
    *fd = loop_attach(path, err);
    if (*fd < 0)
      return -1;
  } else
    return error_set(err, 0, "`%s` is neither a file nor a block device", path);
  if (fstat(*fd, &st) < 0)
    return error_set(err, errno, "stat `%s`", path);
  *dev = st.st_rdev;
  return 0;
}

/* ---- pools ---------------------------------------------------------------------------------------- */

typedef struct {
  char *name;
  char *dir;
  int dir_fd;
  int lock_fd;
  oci_dm_pool *meta;
  dev_t pool_dev; /* when active */
} pool_t;

#define POOL_INIT                                                                                            \
  {                                                                                                          \
    NULL, NULL, -1, -1, NULL, 0                                                                              \
  }

static void
pool_close(pool_t *p)
{
  oci_free(&oci_dm_pool_type, p->meta);
  if (p->lock_fd >= 0)
    close(p->lock_fd); /* releases the flock */
  if (p->dir_fd >= 0)
    close(p->dir_fd);
  free(p->name);
  free(p->dir);
  *p = (pool_t)POOL_INIT;
}
#define cleanup_pool __attribute__((cleanup(pool_close)))

static char *
pool_dm_name(const char *pool)
{
  return xasprintf("ocirt-%s-pool", pool);
}
static char *
thin_dm_name(const char *pool, uint32_t id)
{
  return xasprintf("ocirt-%s-%" PRIu32, pool, id);
}
static char *
thin_mountpoint(const pool_t *p, uint32_t id)
{
  return xasprintf("%s/mnt/%" PRIu32, p->dir, id);
}

static int
pool_save(pool_t *p, ocirt_error *err)
{
  size_t len;
  cleanup_free char *json = oci_generate(&oci_dm_pool_type, p->meta, true, &len);
  if (json == NULL)
    return error_set(err, 0, "pool %s: cannot write its metadata as JSON", p->name);
  if (write_file_atomic_at(p->dir_fd, POOL_FILE, json, len, 0600, err) < 0)
    return error_wrap(err, "pool %s: save `%s/%s`", p->name, p->dir, POOL_FILE);
  return 0;
}

static int
pool_lock_dir(pool_t *p, const char *name, bool create, ocirt_error *err)
{
  if (validate_name("pool", name, err) < 0)
    return -1;
  p->name = xstrdup(name);
  p->dir = xasprintf("%s/%s", thinpool_dir(), name);
  if (create) {
    if (mkdir_p(thinpool_dir(), 0700, err) < 0)
      return -1;
    if (mkdir(p->dir, 0700) < 0) {
      if (errno == EEXIST)
        return error_set(err, 0, "pool %s exists", name);
      return error_set(err, errno, "create `%s`", p->dir);
    }
  }
  p->dir_fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (p->dir_fd < 0) {
    if (errno == ENOENT)
      return error_set(err, 0, "pool %s does not exist", name);
    return error_set(err, errno, "open `%s`", p->dir);
  }
  p->lock_fd = openat(p->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (p->lock_fd < 0)
    return error_set(err, errno, "open `%s/lock`", p->dir);
  if (TEMP_FAILURE_RETRY(flock(p->lock_fd, LOCK_EX)) < 0)
    return error_set(err, errno, "lock `%s/lock`", p->dir);
  return 0;
}

static int
pool_load(pool_t *p, ocirt_error *err)
{
  cleanup_free char *path = xasprintf("%s/%s", p->dir, POOL_FILE);
  char *msg = NULL;
  p->meta = oci_parse_file(&oci_dm_pool_type, path, NULL, &msg);
  if (p->meta == NULL)
    return error_take(err, 0, msg);
  return 0;
}

static int
pool_activate_locked(pool_t *p, ocirt_error *err)
{
  cleanup_free char *dmname = pool_dm_name(p->name);
  bool exists;
  if (dmdev_info(dmname, &exists, &p->pool_dev, err) < 0)
    return -1;
  if (exists)
    return 0;
  cleanup_close int mfd = -1, dfd = -1;
  dev_t mdev, ddev;
  if (backing_open(p->meta->metadata, &mfd, &mdev, err) < 0
      || backing_open(p->meta->data, &dfd, &ddev, err) < 0)
    return error_wrap(err, "pool %s", p->name);
  uint64_t bytes;
  if (ioctl(dfd, BLKGETSIZE64, &bytes) < 0)
    return error_set(err, errno, "pool %s: size of `%s`", p->name, p->meta->data);
  uint64_t sectors = bytes / 512 / p->meta->block_sectors * p->meta->block_sectors;
  if (sectors == 0)
    return error_set(err, 0, "pool %s: `%s` is smaller than one block", p->name, p->meta->data);
  /* error_if_no_space: a full pool fails writes with ENOSPC at once, instead of queueing them. */
  cleanup_free char *params = xasprintf("%u:%u %u:%u %" PRIu32 " 0 1 error_if_no_space", major(mdev),
                                        minor(mdev), major(ddev), minor(ddev), p->meta->block_sectors);
  if (dmdev_create(dmname, sectors, "thin-pool", params, err) < 0)
    return error_wrap(err, "pool %s", p->name);
  return dmdev_info(dmname, &exists, &p->pool_dev, err);
}

static int
pool_usage(pool_t *p, thinpool_usage *u, ocirt_error *err)
{
  memset(u, 0, sizeof(*u));
  cleanup_free char *dmname = pool_dm_name(p->name);
  bool exists;
  if (dmdev_info(dmname, &exists, NULL, err) < 0)
    return -1;
  if (!exists) {
    snprintf(u->mode, sizeof(u->mode), "inactive");
    return 0;
  }
  u->active = true;
  cleanup_free char *st = NULL;
  if (dmdev_status(dmname, &st, err) < 0)
    return -1;
  uint64_t um, tm, ud, td;
  if (sscanf(st, "%" SCNu64 " %" SCNu64 "/%" SCNu64 " %" SCNu64 "/%" SCNu64 " %*s %31s", &u->transaction_id,
             &um, &tm, &ud, &td, u->mode)
      != 6) {
    snprintf(u->mode, sizeof(u->mode), "%.31s", st); /* "Fail" */
    return 0;
  }
  u->metadata_used = um * METADATA_BLOCK;
  u->metadata_total = tm * METADATA_BLOCK;
  u->data_used = ud * p->meta->block_sectors * 512;
  u->data_total = td * p->meta->block_sectors * 512;
  return 0;
}

/* The free-space guard: a new thin device is refused before the pool fills up (and turns read-only). */
static int
pool_guard(pool_t *p, ocirt_error *err)
{
  thinpool_usage u;
  if (pool_usage(p, &u, err) < 0)
    return -1;
  if (strcmp(u.mode, "rw") != 0)
    return error_set(err, 0, "pool %s is %s: refusing a new thin device", p->name, u.mode);
  unsigned data_pct = u.data_total ? (unsigned)(u.data_used * 100 / u.data_total) : 100;
  unsigned meta_pct = u.metadata_total ? (unsigned)(u.metadata_used * 100 / u.metadata_total) : 100;
  if (data_pct >= DM_POOL_FULL_PERCENT || meta_pct >= DM_POOL_FULL_PERCENT)
    return error_set(
        err, ENOSPC,
        "pool %s is nearly full (data %u%%, metadata %u%% used; the limit is %d%%): refusing a new "
        "thin device; remove images or containers, or grow the pool",
        p->name, data_pct, meta_pct, DM_POOL_FULL_PERCENT);
  return 0;
}

static void
pool_drop_device(pool_t *p, size_t i)
{
  oci_dm_device *d = p->meta->devices[i];
  memmove(&p->meta->devices[i], &p->meta->devices[i + 1],
          (p->meta->devices_len - i - 1) * sizeof(*p->meta->devices));
  p->meta->devices_len--;
  free(d->name);
  free(d->kind);
  free(d->parent);
  free(d->container);
  free(d->state);
  free(d->created);
  free(d);
}

static void
set_state(oci_dm_device *d, const char *state)
{
  free(d->state);
  d->state = xstrdup(state);
}

/* Unmount and deactivate a thin device; with `delete`, delete it from the pool (an id the pool does not
 * know, ENODATA, is fine: a crash came before its create message). */
static int
device_teardown(pool_t *p, const oci_dm_device *d, bool delete, ocirt_error *err)
{
  cleanup_free char *mnt = thin_mountpoint(p, d->id);
  if (umount2(mnt, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
    return error_set(err, errno, "unmount `%s`", mnt);
  rmdir(mnt);
  cleanup_free char *thin = thin_dm_name(p->name, d->id);
  if (dmdev_remove(thin, err) < 0)
    return -1;
  if (!delete)
    return 0;
  cleanup_free char *pooldm = pool_dm_name(p->name);
  char msg[64];
  snprintf(msg, sizeof(msg), "delete %" PRIu32, d->id);
  int eno = 0;
  cleanup_error ocirt_error merr = { 0 };
  if (dmdev_message(pooldm, msg, &eno, &merr) < 0 && eno != ENODATA) {
    *err = merr;
    merr = (ocirt_error){ 0 };
    return -1;
  }
  return 0;
}

/* Finish what a crash left half done: devices still "creating" or "deleting" are deleted. */
static int
pool_reconcile(pool_t *p, ocirt_error *err)
{
  bool changed = false;
  for (size_t i = 0; i < p->meta->devices_len;) {
    oci_dm_device *d = p->meta->devices[i];
    if (strcmp(d->state, "creating") != 0 && strcmp(d->state, "deleting") != 0) {
      i++;
      continue;
    }
    if (device_teardown(p, d, true, err) < 0)
      return error_wrap(err, "pool %s: clean up %s `%s` (device %" PRIu32 ") left %s", p->name, d->kind,
                        d->name, d->id, d->state);
    pool_drop_device(p, i);
    changed = true;
  }
  return changed ? pool_save(p, err) : 0;
}

/* Open, lock, load, activate and reconcile a pool. */
static int
pool_open(const char *name, pool_t *p, ocirt_error *err)
{
  if (pool_lock_dir(p, name, false, err) < 0 || pool_load(p, err) < 0 || pool_activate_locked(p, err) < 0
      || pool_reconcile(p, err) < 0)
    return -1;
  return 0;
}

static int
cmp_strp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int
thinpool_names(char ***out, ocirt_error *err)
{
  *out = xcalloc(1, sizeof(char *));
  DIR *dir = opendir(thinpool_dir());
  if (dir == NULL)
    return errno == ENOENT ? 0 : error_set(err, errno, "open `%s`", thinpool_dir());
  size_t n = 0;
  struct dirent *de;
  cleanup_error ocirt_error ignored = { 0 };
  while ((de = readdir(dir)) != NULL) {
    if (de->d_type != DT_DIR || validate_name("pool", de->d_name, &ignored) < 0)
      continue;
    *out = xrealloc(*out, (n + 2) * sizeof(char *));
    (*out)[n++] = xstrdup(de->d_name);
    (*out)[n] = NULL;
  }
  closedir(dir);
  qsort(*out, n, sizeof(char *), cmp_strp);
  return 0;
}

int
thinpool_create(const thinpool_options *o, ocirt_error *err)
{
  uint64_t block = o->block_size ? o->block_size : DEFAULT_BLOCK_SIZE;
  if (block % (64 << 10) || block > (1ULL << 30))
    return error_set(err, 0, "pool %s: --block-size %" PRIu64 ": a multiple of 64 KiB up to 1 GiB", o->name,
                     block);
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_lock_dir(&p, o->name, true, err) < 0)
    return error_wrap(err, "pool create %s", o->name);
  /* Missing files are made sparse; the metadata's first block is zeroed, so the pool formats it. */
  const struct {
    const char *path;
    uint64_t size;
    bool zero;
  } files[] = { { o->data, o->size, false },
                { o->metadata, o->metadata_size ? o->metadata_size : DEFAULT_METADATA_SIZE, true } };
  bool made[2] = { false, false };
  int ret = 0;
  for (size_t i = 0; i < 2 && ret == 0; i++) {
    struct stat st;
    int fd = -1;
    if (stat(files[i].path, &st) < 0) {
      if (errno != ENOENT) {
        ret = error_set(err, errno, "`%s`", files[i].path);
        break;
      }
      if (i == 0 && files[i].size == 0) {
        ret = error_set(err, 0, "`%s` does not exist: give --size to make it", files[i].path);
        break;
      }
      fd = open(files[i].path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0 || ftruncate(fd, (off_t)files[i].size) < 0) {
        ret = error_set(err, errno, "create `%s`", files[i].path);
        if (fd >= 0)
          close(fd);
        break;
      }
      made[i] = true;
    } else if (S_ISREG(st.st_mode) && files[i].size && (uint64_t)st.st_size < files[i].size && i == 0) {
      fd = open(files[i].path, O_RDWR | O_CLOEXEC);
      if (fd < 0 || ftruncate(fd, (off_t)files[i].size) < 0)
        ret = error_set(err, errno, "grow `%s`", files[i].path);
    }
    if (ret == 0 && files[i].zero) {
      if (fd < 0)
        fd = open(files[i].path, O_RDWR | O_CLOEXEC);
      static const char zeros[METADATA_BLOCK];
      if (fd < 0 || pwrite(fd, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros))
        ret = error_set(err, errno, "zero the first block of `%s`", files[i].path);
    }
    if (fd >= 0)
      close(fd);
  }
  if (ret == 0) {
    char *mres = realpath(o->metadata, NULL), *dres = realpath(o->data, NULL);
    p.meta = xcalloc(1, sizeof(*p.meta));
    p.meta->name = xstrdup(o->name);
    p.meta->data = dres ? dres : xstrdup(o->data);
    p.meta->metadata = mres ? mres : xstrdup(o->metadata);
    p.meta->block_sectors = (uint32_t)(block / 512);
    ret = pool_save(&p, err);
  }
  if (ret == 0)
    ret = pool_activate_locked(&p, err);
  if (ret == 0)
    return 0;
  for (size_t i = 0; i < 2; i++)
    if (made[i])
      unlink(files[i].path);
  unlinkat(p.dir_fd, POOL_FILE, 0);
  unlinkat(p.dir_fd, "lock", 0);
  rmdir(p.dir);
  return error_wrap(err, "pool create %s", o->name);
}

int
thinpool_activate(const char *name, ocirt_error *err)
{
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(name, &p, err) < 0)
    return error_wrap(err, "pool activate %s", name);
  return 0;
}

int
thinpool_get(const char *name, oci_dm_pool **meta, thinpool_usage *usage, ocirt_error *err)
{
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(name, &p, err) < 0 || pool_usage(&p, usage, err) < 0)
    return -1;
  *meta = steal_ptr(&p.meta);
  return 0;
}

int
thinpool_destroy(const char *name, bool force, ocirt_error *err)
{
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_lock_dir(&p, name, false, err) < 0 || pool_load(&p, err) < 0)
    return error_wrap(err, "pool destroy %s", name);
  if (p.meta->devices_len && !force) {
    cleanup_free char *names = xstrdup("");
    for (size_t i = 0; i < p.meta->devices_len; i++) {
      char *n = xasprintf("%s%s%s `%s`", names, i ? ", " : "", p.meta->devices[i]->kind,
                          p.meta->devices[i]->name);
      free(names);
      names = n;
    }
    return error_set(err, EBUSY, "pool destroy %s: it holds %zu devices (%s): remove them, or use --force",
                     name, p.meta->devices_len, names);
  }
  for (size_t i = 0; i < p.meta->devices_len; i++)
    if (device_teardown(&p, p.meta->devices[i], false, err) < 0)
      return error_wrap(err, "pool destroy %s", name);
  cleanup_free char *dmname = pool_dm_name(name);
  if (dmdev_remove(dmname, err) < 0) /* its loop devices go with it (autoclear) */
    return error_wrap(err, "pool destroy %s", name);
  cleanup_free char *mnt = xasprintf("%s/mnt", p.dir);
  rmdir(mnt);
  unlinkat(p.dir_fd, POOL_FILE, 0);
  unlinkat(p.dir_fd, "lock", 0);
  if (rmdir(p.dir) < 0)
    return error_set(err, errno, "pool destroy %s: remove `%s`", name, p.dir);
  return 0;
}

/* ---- thin devices ------------------------------------------------------------------------------- */

static oci_dm_device *
pool_find(pool_t *p, const char *kind, const char *name)
{
  for (size_t i = 0; i < p->meta->devices_len; i++) {
    oci_dm_device *d = p->meta->devices[i];
    if (strcmp(d->kind, kind) == 0 && strcmp(d->name, name) == 0 && strcmp(d->state, "deleting") != 0)
      return d;
  }
  return NULL;
}

/* Record a new device, "creating", with a fresh id, and save: before any message names the id. */
static oci_dm_device *
pool_add(pool_t *p, const char *kind, const char *name, const char *parent, uint64_t size, ocirt_error *err)
{
  if (p->meta->next_id > 0xffffff)
    return error_set(err, 0, "pool %s: no thin device id left", p->name), NULL;
  oci_dm_device *d = xcalloc(1, sizeof(*d));
  d->id = p->meta->next_id++;
  d->name = xstrdup(name);
  d->kind = xstrdup(kind);
  d->parent = parent ? xstrdup(parent) : NULL;
  d->container = strcmp(kind, "container") == 0 ? xstrdup(name) : NULL;
  d->state = xstrdup("creating");
  d->size = size;
  d->created = now_rfc3339();
  p->meta->devices = xrealloc(p->meta->devices, (p->meta->devices_len + 1) * sizeof(*p->meta->devices));
  p->meta->devices[p->meta->devices_len++] = d;
  if (pool_save(p, err) < 0)
    return NULL;
  return d;
}

/* Undo a device that failed half way: delete it and drop its record. */
static void
pool_undo(pool_t *p, oci_dm_device *d)
{
  cleanup_error ocirt_error ignored = { 0 };
  if (device_teardown(p, d, true, &ignored) < 0)
    return; /* stays "creating": the next open of the pool retries */
  for (size_t i = 0; i < p->meta->devices_len; i++)
    if (p->meta->devices[i] == d) {
      pool_drop_device(p, i);
      break;
    }
  pool_save(p, &ignored);
}

/* create_thin ID (origin == UINT32_MAX) or create_snap ID ORIGIN */
static int
thin_message(pool_t *p, uint32_t id, uint32_t origin, ocirt_error *err)
{
  char msg[64];
  if (origin == UINT32_MAX)
    snprintf(msg, sizeof(msg), "create_thin %" PRIu32, id);
  else
    snprintf(msg, sizeof(msg), "create_snap %" PRIu32 " %" PRIu32, id, origin);
  cleanup_free char *pooldm = pool_dm_name(p->name);
  return dmdev_message(pooldm, msg, NULL, err);
}

/* Snapshot `origin` as id `id`: an active origin is suspended (which freezes its filesystem) for the
 * time of the message. */
static int
thin_snapshot(pool_t *p, const oci_dm_device *origin, uint32_t id, ocirt_error *err)
{
  cleanup_free char *oname = thin_dm_name(p->name, origin->id);
  bool active;
  if (dmdev_info(oname, &active, NULL, err) < 0)
    return -1;
  if (!active)
    return thin_message(p, id, origin->id, err);
  if (dmdev_simple(DM_DEVICE_SUSPEND, "suspend", oname, err) < 0)
    return -1;
  int ret = thin_message(p, id, origin->id, err);
  cleanup_error ocirt_error rerr = { 0 };
  if (dmdev_simple(DM_DEVICE_RESUME, "resume", oname, &rerr) < 0 && ret == 0) {
    *err = rerr;
    rerr = (ocirt_error){ 0 };
    ret = -1;
  }
  return ret;
}

/* Activate thin device `d`; *node gets its /dev path. */
static int
thin_activate(pool_t *p, const oci_dm_device *d, char **node, ocirt_error *err)
{
  cleanup_free char *name = thin_dm_name(p->name, d->id);
  cleanup_free char *params = xasprintf("%u:%u %" PRIu32, major(p->pool_dev), minor(p->pool_dev), d->id);
  bool exists;
  dev_t dev;
  if (dmdev_info(name, &exists, &dev, err) < 0)
    return -1;
  if (!exists
      && (dmdev_create(name, d->size / 512, "thin", params, err) < 0
          || dmdev_info(name, &exists, &dev, err) < 0))
    return -1;
  if (node) {
    *node = dmdev_node(name, dev, err);
    if (*node == NULL)
      return -1;
  }
  return 0;
}

static int
thin_mount(pool_t *p, const oci_dm_device *d, const char *node, char **mountpoint, ocirt_error *err)
{
  cleanup_free char *mnt = thin_mountpoint(p, d->id);
  if (mkdir_p(mnt, 0700, err) < 0)
    return -1;
  /* noinit_itable: no background zeroing of inode tables filling the pool behind the user's back. */
  if (mount(node, mnt, "ext4", 0, "noinit_itable") < 0)
    return error_set(err, errno, "mount `%s` on `%s`", node, mnt);
  if (mountpoint)
    *mountpoint = steal_ptr(&mnt);
  return 0;
}

/* Find the pool holding a device (kind, name): the given pool, or the one pool that has it. */
static int
find_pool_of(const char *pool, const char *kind, const char *name, char **out, ocirt_error *err)
{
  if (pool) {
    *out = xstrdup(pool);
    return 0;
  }
  cleanup_strv char **names = NULL;
  if (thinpool_names(&names, err) < 0)
    return -1;
  for (char **n = names; *n; n++) {
    cleanup_free char *path = xasprintf("%s/%s/%s", thinpool_dir(), *n, POOL_FILE);
    char *msg = NULL;
    oci_dm_pool *m = oci_parse_file(&oci_dm_pool_type, path, NULL, &msg);
    free(msg);
    bool found = false;
    for (size_t i = 0; m && i < m->devices_len && !found; i++)
      found = strcmp(m->devices[i]->kind, kind) == 0 && strcmp(m->devices[i]->name, name) == 0;
    oci_free(&oci_dm_pool_type, m);
    if (found) {
      *out = xstrdup(*n);
      return 0;
    }
  }
  *out = NULL;
  return 0;
}

int
image_import(const char *pool, const char *name, const char *source, uint64_t size, ocirt_error *err)
{
  cleanup_free char *pname = NULL;
  if (validate_name("image", name, err) < 0)
    return error_wrap(err, "image import");
  if (pool == NULL) {
    cleanup_strv char **names = NULL;
    if (thinpool_names(&names, err) < 0)
      return error_wrap(err, "image import %s", name);
    if (names[0] == NULL || names[1] != NULL)
      return error_set(err, 0, "image import %s: %s: give --pool", name,
                       names[0] ? "there are several pools" : "there is no pool");
    pname = xstrdup(names[0]);
  } else
    pname = xstrdup(pool);
  struct stat st;
  if (stat(source, &st) < 0)
    return error_set(err, errno, "image import %s: `%s`", name, source);
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
    return error_set(err, 0, "image import %s: `%s`: neither a folder nor a tarball", name, source);
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(pname, &p, err) < 0)
    return error_wrap(err, "image import %s", name);
  if (pool_find(&p, "image", name))
    return error_set(err, EEXIST, "image import %s: pool %s has an image of that name", name, pname);
  if (pool_guard(&p, err) < 0)
    return error_wrap(err, "image import %s", name);
  oci_dm_device *d = pool_add(&p, "image", name, NULL, size ? size : DEFAULT_IMAGE_SIZE, err);
  if (d == NULL)
    return error_wrap(err, "image import %s", name);
  fault("import-recorded");
  cleanup_free char *node = NULL, *mnt = NULL;
  int ret = thin_message(&p, d->id, UINT32_MAX, err);
  fault("import-created");
  if (ret == 0)
    ret = thin_activate(&p, d, &node, err);
  if (ret == 0) {
    char *mkfs[]
        = { "mkfs.ext4", "-q", "-F", "-E", "nodiscard,lazy_itable_init=1,lazy_journal_init=1", node, NULL };
    ret = run_program(mkfs, err);
  }
  if (ret == 0)
    ret = thin_mount(&p, d, node, &mnt, err);
  if (ret == 0) {
    cleanup_free char *src = xasprintf("%s/.", source);
    char *cp[] = { "cp", "-a", src, mnt, NULL };
    char *tar[] = { "tar", "-xf", (char *)source, "-C", mnt, "--numeric-owner", NULL };
    ret = run_program(S_ISDIR(st.st_mode) ? cp : tar, err);
  }
  fault("import-unpacked");
  if (ret == 0)
    ret = device_teardown(&p, d, false, err);
  if (ret == 0) {
    set_state(d, "ready");
    ret = pool_save(&p, err);
  }
  if (ret < 0) {
    pool_undo(&p, d);
    return error_wrap(err, "image import %s", name);
  }
  return 0;
}

int
image_device_used(const char *pool, uint32_t id, uint64_t size, uint64_t *used, ocirt_error *err)
{
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(pool, &p, err) < 0)
    return -1;
  cleanup_free char *name = thin_dm_name(pool, id);
  bool active;
  if (dmdev_info(name, &active, NULL, err) < 0)
    return -1;
  oci_dm_device d = { .id = id, .size = size };
  if (!active && thin_activate(&p, &d, NULL, err) < 0)
    return -1;
  cleanup_free char *st = NULL;
  int ret = dmdev_status(name, &st, err);
  uint64_t mapped = 0;
  if (ret == 0 && sscanf(st, "%" SCNu64, &mapped) != 1)
    mapped = 0;
  *used = mapped * 512;
  cleanup_error ocirt_error ignored = { 0 };
  if (!active)
    dmdev_remove(name, ret < 0 ? &ignored : err);
  return ret;
}

int
image_commit(const char *container, const char *name, ocirt_error *err)
{
  if (validate_name("image", name, err) < 0)
    return error_wrap(err, "image commit %s", container);
  cleanup_free char *pname = NULL;
  if (find_pool_of(NULL, "container", container, &pname, err) < 0)
    return error_wrap(err, "image commit %s", container);
  if (pname == NULL)
    return error_set(err, 0, "image commit %s: the container has no snapshot root filesystem in any pool",
                     container);
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(pname, &p, err) < 0)
    return error_wrap(err, "image commit %s", container);
  oci_dm_device *c = pool_find(&p, "container", container);
  if (c == NULL)
    return error_set(err, 0, "image commit %s: the container has no snapshot root filesystem in pool %s",
                     container, pname);
  if (pool_find(&p, "image", name))
    return error_set(err, EEXIST, "image commit %s: pool %s has an image named %s", container, pname, name);
  if (pool_guard(&p, err) < 0)
    return error_wrap(err, "image commit %s", container);
  cleanup_free char *parent = c->parent ? xstrdup(c->parent) : NULL;
  uint64_t size = c->size;
  /* Flush what the container wrote; the suspend then freezes the filesystem for the snapshot. */
  cleanup_free char *mnt = thin_mountpoint(&p, c->id);
  cleanup_close int mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mfd >= 0)
    syncfs(mfd);
  uint32_t origin = c->id;
  oci_dm_device *d = pool_add(&p, "image", name, parent, size, err);
  if (d == NULL)
    return error_wrap(err, "image commit %s", container);
  c = NULL; /* pool_add moved the array */
  for (size_t i = 0; i < p.meta->devices_len; i++)
    if (p.meta->devices[i]->id == origin)
      c = p.meta->devices[i];
  fault("commit-recorded");
  int ret = thin_snapshot(&p, c, d->id, err);
  fault("commit-created");
  if (ret == 0) {
    set_state(d, "ready");
    ret = pool_save(&p, err);
  }
  if (ret < 0) {
    pool_undo(&p, d);
    return error_wrap(err, "image commit %s", container);
  }
  return 0;
}

int
image_rm(const char *pool, const char *name, ocirt_error *err)
{
  cleanup_free char *pname = NULL;
  if (find_pool_of(pool, "image", name, &pname, err) < 0)
    return error_wrap(err, "image rm %s", name);
  if (pname == NULL && find_pool_of(pool, "container", name, &pname, err) < 0)
    return error_wrap(err, "image rm %s", name);
  if (pname == NULL)
    return error_set(err, ENOENT, "image rm %s: no such image", name);
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(pname, &p, err) < 0)
    return error_wrap(err, "image rm %s", name);
  oci_dm_device *d = pool_find(&p, "image", name);
  if (d == NULL) {
    /* a kept container rootfs, by its container's id */
    d = pool_find(&p, "container", name);
    if (d && strcmp(d->state, "kept") != 0)
      return error_set(err, EBUSY,
                       "image rm %s: it is the root filesystem of container %s: delete the container", name,
                       name);
  }
  if (d == NULL)
    return error_set(err, ENOENT, "image rm %s: no such image in pool %s", name, pname);
  if (strcmp(d->kind, "image") == 0) {
    cleanup_free char *users = NULL;
    size_t n = 0;
    for (size_t i = 0; i < p.meta->devices_len; i++) {
      oci_dm_device *o = p.meta->devices[i];
      if (o->parent && strcmp(o->parent, name) == 0 && strcmp(o->state, "deleting") != 0) {
        char *u = xasprintf("%s%s%s %s", users ? users : "", n++ ? ", " : "", o->kind, o->name);
        free(users);
        users = u;
      }
    }
    if (n)
      return error_set(err, EBUSY, "image rm %s: in use by %s", name, users);
  }
  set_state(d, "deleting");
  if (pool_save(&p, err) < 0)
    return error_wrap(err, "image rm %s", name);
  fault("rm-recorded");
  if (device_teardown(&p, d, true, err) < 0)
    return error_wrap(err, "image rm %s", name); /* stays "deleting": the next open retries */
  for (size_t i = 0; i < p.meta->devices_len; i++)
    if (p.meta->devices[i] == d)
      pool_drop_device(&p, i);
  return pool_save(&p, err);
}

/* ---- snapshot root filesystems -------------------------------------------------------------------- */

static const char *
annotation(const oci_spec *spec, const char *key)
{
  return spec ? oci_map_get(spec->annotations_keys, spec->annotations_values, spec->annotations_len, key)
              : NULL;
}

bool
dm_rootfs_wanted(const oci_spec *spec)
{
  return annotation(spec, DM_ANNOTATION_IMAGE) != NULL;
}

int
dm_rootfs_prepare(const oci_spec *spec, const char *id, char **mountpoint, ocirt_error *err)
{
  const char *image = annotation(spec, DM_ANNOTATION_IMAGE);
  const char *pool = annotation(spec, DM_ANNOTATION_POOL);
  cleanup_free char *pname = NULL;
  if (find_pool_of(pool, "image", image, &pname, err) < 0)
    return error_wrap(err, "annotation %s", DM_ANNOTATION_IMAGE);
  if (pname == NULL)
    return error_set(err, ENOENT, "annotation %s: no image `%s` in any pool", DM_ANNOTATION_IMAGE, image);
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(pname, &p, err) < 0)
    return error_wrap(err, "snapshot of image `%s`", image);
  oci_dm_device *img = pool_find(&p, "image", image);
  if (img == NULL)
    return error_set(err, ENOENT, "annotation %s: no image `%s` in pool %s", DM_ANNOTATION_IMAGE, image,
                     pname);
  if (pool_find(&p, "container", id))
    return error_set(err, EEXIST,
                     "pool %s holds a root filesystem of container %s already (kept): commit it or remove it "
                     "(`ocirt image rm %s`)",
                     pname, id, id);
  if (pool_guard(&p, err) < 0)
    return error_wrap(err, "snapshot of image `%s`", image);
  uint32_t origin = img->id;
  uint64_t size = img->size;
  oci_dm_device *d = pool_add(&p, "container", id, image, size, err);
  if (d == NULL)
    return error_wrap(err, "snapshot of image `%s`", image);
  img = NULL; /* the array moved */
  for (size_t i = 0; i < p.meta->devices_len; i++)
    if (p.meta->devices[i]->id == origin)
      img = p.meta->devices[i];
  fault("snap-recorded");
  cleanup_free char *node = NULL, *mnt = NULL;
  int ret = thin_snapshot(&p, img, d->id, err);
  fault("snap-created");
  if (ret == 0)
    ret = thin_activate(&p, d, &node, err);
  fault("snap-activated");
  if (ret == 0)
    ret = thin_mount(&p, d, node, &mnt, err);
  fault("snap-mounted");
  if (ret == 0) {
    set_state(d, "ready");
    ret = pool_save(&p, err);
  }
  if (ret < 0) {
    pool_undo(&p, d);
    return error_wrap(err, "snapshot of image `%s`", image);
  }
  *mountpoint = steal_ptr(&mnt);
  return 0;
}

int
dm_rootfs_release(const oci_spec *spec, const char *id, bool keep, ocirt_error *err)
{
  const char *k = annotation(spec, DM_ANNOTATION_KEEP);
  keep = keep || (k && strcmp(k, "true") == 0);
  cleanup_free char *pname = NULL;
  if (find_pool_of(annotation(spec, DM_ANNOTATION_POOL), "container", id, &pname, err) < 0)
    return -1;
  if (pname == NULL)
    return 0;
  cleanup_pool pool_t p = POOL_INIT;
  if (pool_open(pname, &p, err) < 0) /* drops a device a crashed create left "creating" */
    return error_wrap(err, "root filesystem of %s", id);
  oci_dm_device *d = pool_find(&p, "container", id);
  if (d == NULL)
    return 0;
  if (keep) {
    if (device_teardown(&p, d, false, err) < 0)
      return error_wrap(err, "root filesystem of %s", id);
    set_state(d, "kept");
    return pool_save(&p, err);
  }
  set_state(d, "deleting");
  if (pool_save(&p, err) < 0)
    return -1;
  fault("release-recorded");
  if (device_teardown(&p, d, true, err) < 0)
    return error_wrap(err, "root filesystem of %s", id);
  for (size_t i = 0; i < p.meta->devices_len; i++)
    if (p.meta->devices[i] == d)
      pool_drop_device(&p, i);
  return pool_save(&p, err);
}
