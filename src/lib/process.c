#include "config.h"
#include "process.h"
#include "procfs.h"
#include "caps.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define FAIL(...) error_set(err, 0, "config.json: " __VA_ARGS__)

static const struct {
  const char *name;
  int resource;
} rlimit_table[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },       { "RLIMIT_FSIZE", RLIMIT_FSIZE },       { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },   { "RLIMIT_NPROC", RLIMIT_NPROC },       { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int rlimit_lookup(const char *name)
{
  for (size_t i = 0; i < sizeof(rlimit_table) / sizeof(rlimit_table[0]); i++)
    if (strcmp(name, rlimit_table[i].name) == 0)
      return rlimit_table[i].resource;
  return -1;
}

/* ---- tables: I/O priority classes, scheduler policies and flags, personality ------------------- */

/* From linux/ioprio.h, which glibc does not wrap. */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

static const struct {
  const char *name;
  int value;
} ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 },
  { "IOPRIO_CLASS_BE", 2 },
  { "IOPRIO_CLASS_IDLE", 3 },
};

/* min/max: the sched_priority range of the policy (Linux: 1..99 for the real-time ones, else 0).
 * SCHED_ISO is in the spec but was never merged into Linux. */
static const struct {
  const char *name;
  int policy;
  int min_priority, max_priority;
  bool supported;
} sched_policies[] = {
  { "SCHED_OTHER", 0, 0, 0, true }, { "SCHED_FIFO", 1, 1, 99, true },  { "SCHED_RR", 2, 1, 99, true },
  { "SCHED_BATCH", 3, 0, 0, true }, { "SCHED_ISO", 4, 0, 0, false },   { "SCHED_IDLE", 5, 0, 0, true },
  { "SCHED_DEADLINE", 6, 0, 0, true },
};

#define SCHED_FLAG_UTIL_CLAMP (0x20 | 0x40)
static const struct {
  const char *name;
  uint64_t value;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },       { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },    { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct {
  const char *name;
  unsigned long value;
} personality_domains[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
};

static const struct {
  const char *name;
  unsigned long value;
} personality_flags[] = {
  { "UNAME26", UNAME26 },
  { "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
  { "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
  { "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
  { "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
  { "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
  { "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
  { "SHORT_INODE", SHORT_INODE },
  { "WHOLE_SECONDS", WHOLE_SECONDS },
  { "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
  { "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
};

/* Index of `name` in a table of { const char *name; ... }, or -1. */
#define TABLE_FIND(table, key)                                                                               \
  ({                                                                                                         \
    int _found = -1;                                                                                         \
    for (size_t _i = 0; _i < COUNT(table); _i++)                                                             \
      if (strcmp((table)[_i].name, (key)) == 0) {                                                            \
        _found = (int) _i;                                                                                   \
        break;                                                                                               \
      }                                                                                                      \
    _found;                                                                                                  \
  })

/* ---- validation (config.json and process.json) ------------------------------------------------- */

static int validate_scheduler(const oci_scheduler *s, const char *where, ocirt_error *err)
{
  int i = TABLE_FIND(sched_policies, s->policy);
  if (i < 0)
    return FAIL("%s.scheduler.policy: unknown policy \"%s\"", where, s->policy);
  if (!sched_policies[i].supported)
    return FAIL("%s.scheduler.policy: \"%s\" is not supported by Linux", where, s->policy);
  if (s->nice < -20 || s->nice > 19)
    return FAIL("%s.scheduler.nice: %d is outside -20..19", where, s->nice);
  if (s->priority < sched_policies[i].min_priority || s->priority > sched_policies[i].max_priority)
    return FAIL("%s.scheduler.priority: %d is outside %d..%d for %s", where, s->priority,
                sched_policies[i].min_priority, sched_policies[i].max_priority, s->policy);
  for (size_t f = 0; f < s->flags_len; f++)
    if (TABLE_FIND(sched_flags, s->flags[f]) < 0)
      return FAIL("%s.scheduler.flags[%zu]: unknown flag \"%s\"", where, f, s->flags[f]);
  bool deadline = sched_policies[i].policy == 6;
  if (!deadline && (s->runtime || s->deadline || s->period))
    return FAIL("%s.scheduler: runtime, deadline and period are for SCHED_DEADLINE only", where);
  if (deadline) {
    uint64_t period = s->period ? s->period : s->deadline;
    if (s->runtime == 0 || s->runtime > s->deadline || s->deadline > period)
      return FAIL("%s.scheduler: SCHED_DEADLINE needs 0 < runtime <= deadline <= period (got %llu, %llu, %llu)",
                  where, (unsigned long long) s->runtime, (unsigned long long) s->deadline,
                  (unsigned long long) s->period);
  }
  return 0;
}

int process_validate_attributes(const oci_process *p, const char *where, ocirt_error *err)
{
  if (p->user && p->user->has_umask && p->user->umask > 0777)
    return FAIL("%s.user.umask: %#o is not a file mode mask (0..0777)", where, p->user->umask);
  if (p->io_priority) {
    if (TABLE_FIND(ioprio_classes, p->io_priority->class) < 0)
      return FAIL("%s.ioPriority.class: unknown class \"%s\" (expected IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or "
                  "IOPRIO_CLASS_IDLE)",
                  where, p->io_priority->class);
    if (p->io_priority->priority < 0 || p->io_priority->priority > 7)
      return FAIL("%s.ioPriority.priority: %d is outside 0..7", where, p->io_priority->priority);
  }
  if (p->scheduler && validate_scheduler(p->scheduler, where, err) < 0)
    return -1;
  return 0;
}

int process_validate_personality(const oci_personality *per, ocirt_error *err)
{
  if (per == NULL)
    return 0;
  if (TABLE_FIND(personality_domains, per->domain) < 0)
    return FAIL(".linux.personality.domain: unknown domain \"%s\" (expected LINUX or LINUX32)", per->domain);
  for (size_t i = 0; i < per->flags_len; i++)
    if (TABLE_FIND(personality_flags, per->flags[i]) < 0)
      return FAIL(".linux.personality.flags[%zu]: unknown flag \"%s\"", i, per->flags[i]);
  return 0;
}

static const char *env_get(const oci_process *p, const char *name)
{
  size_t len = strlen(name);
  for (size_t i = 0; i < p->env_len; i++)
    if (strncmp(p->env[i], name, len) == 0 && p->env[i][len] == '=')
      return p->env[i] + len + 1;
  return NULL;
}

static bool is_executable_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_find_executable(const oci_process *p, char **out, ocirt_error *err)
{
  const char *arg0 = p->args[0];
  if (strchr(arg0, '/')) {
    struct stat st;
    /* Engines map Go's lower-case wording to exit statuses: docker and podman "no such file or
     * directory" to 127, "permission denied" to 126. */
    if (stat(arg0, &st) < 0) {
      int saved = errno;
      if (saved == ENOENT)
        return error_take(err, saved, xasprintf("exec: \"%s\": stat %s: no such file or directory", arg0, arg0));
      return error_set(err, saved, "exec: \"%s\": stat %s", arg0, arg0);
    }
    if (!S_ISREG(st.st_mode) || access(arg0, X_OK) < 0)
      return error_take(err, EACCES, xasprintf("exec: \"%s\": permission denied", arg0));
    *out = xstrdup(arg0);
    return 0;
  }
  const char *path = env_get(p, "PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const char *dir = path;;) {
    const char *end = strchrnul(dir, ':');
    cleanup_free char *candidate
        = end == dir ? xasprintf("./%s", arg0) : xasprintf("%.*s/%s", (int) (end - dir), dir, arg0);
    if (is_executable_file(candidate)) {
      *out = steal_ptr(&candidate);
      return 0;
    }
    if (*end == '\0')
      break;
    dir = end + 1;
  }
  /* Engines map these exact words to exit status 127 (docker: "executable file not found"). */
  return error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
}

static int apply_rlimits(const oci_process *p, ocirt_error *err)
{
  for (size_t i = 0; i < p->rlimits_len; i++) {
    const oci_rlimit *r = p->rlimits[i];
    int resource = rlimit_lookup(r->type);
    struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard }, old;
    if (resource < 0)
      return FAIL(".process.rlimits[%zu].type: unknown rlimit \"%s\"", i, r->type);
    if (setrlimit(resource, &lim) == 0)
      continue;
    int saved = errno;
    /* The usual cause: a hard limit above ours, which only CAP_SYS_RESOURCE may raise. */
    if (saved == EPERM && getrlimit(resource, &old) == 0 && lim.rlim_max > old.rlim_max)
      return error_set(err, saved,
                       "config.json: .process.rlimits[%zu]: %s: hard limit %llu is above the current hard limit "
                       "%llu, and raising it needs CAP_SYS_RESOURCE",
                       i, r->type, (unsigned long long) r->hard, (unsigned long long) old.rlim_max);
    return error_set(err, saved, "config.json: .process.rlimits[%zu]: %s: set soft %llu, hard %llu", i, r->type,
                     (unsigned long long) r->soft, (unsigned long long) r->hard);
  }
  return 0;
}

/* sched_setattr(2)'s argument; glibc has no wrapper on every version we build with. */
struct ocirt_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};
#define SCHED_ATTR_SIZE_VER0 48

static int apply_scheduler(const oci_scheduler *s, ocirt_error *err)
{
  int i = TABLE_FIND(sched_policies, s->policy);
  if (i < 0)
    return FAIL(".process.scheduler.policy: unknown policy \"%s\"", s->policy);
  struct ocirt_sched_attr attr = {
    .size = SCHED_ATTR_SIZE_VER0,
    .sched_policy = (uint32_t) sched_policies[i].policy,
    .sched_nice = s->nice,
    .sched_priority = (uint32_t) s->priority,
    .sched_runtime = s->runtime,
    .sched_deadline = s->deadline,
    .sched_period = s->period,
  };
  for (size_t f = 0; f < s->flags_len; f++) {
    int k = TABLE_FIND(sched_flags, s->flags[f]);
    if (k >= 0)
      attr.sched_flags |= sched_flags[k].value;
  }
  /* The clamp flags read the two fields past the first version of the struct: no clamping asked. */
  if (attr.sched_flags & SCHED_FLAG_UTIL_CLAMP) {
    attr.size = sizeof(attr);
    attr.sched_util_min = 0;
    attr.sched_util_max = 1024;
  }
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    return error_set(err, errno, "config.json: .process.scheduler: set policy %s (nice %d, priority %d)", s->policy,
                     s->nice, s->priority);
  return 0;
}

static int apply_io_priority(const oci_io_priority *io, ocirt_error *err)
{
  int i = TABLE_FIND(ioprio_classes, io->class);
  if (i < 0)
    return FAIL(".process.ioPriority.class: unknown class \"%s\"", io->class);
  int value = (ioprio_classes[i].value << IOPRIO_CLASS_SHIFT) | io->priority;
  if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
    return error_set(err, errno, "config.json: .process.ioPriority: set %s, priority %d", io->class, io->priority);
  return 0;
}

static int apply_personality(const oci_personality *per, ocirt_error *err)
{
  int d = TABLE_FIND(personality_domains, per->domain);
  if (d < 0)
    return FAIL(".linux.personality.domain: unknown domain \"%s\"", per->domain);
  unsigned long value = personality_domains[d].value;
  for (size_t i = 0; i < per->flags_len; i++) {
    int f = TABLE_FIND(personality_flags, per->flags[i]);
    if (f >= 0)
      value |= personality_flags[f].value;
  }
  if (personality(value) < 0)
    return error_set(err, errno, "config.json: .linux.personality: set %s (%#lx)", per->domain, value);
  return 0;
}

int process_apply_attributes(const oci_spec *spec, ocirt_error *err)
{
  const oci_process *p = spec->process;
  if (apply_rlimits(p, err) < 0)
    return -1;
  if (p->io_priority && apply_io_priority(p->io_priority, err) < 0)
    return -1;
  if (p->scheduler && apply_scheduler(p->scheduler, err) < 0)
    return -1;
  if (spec->linux_ && spec->linux_->personality && apply_personality(spec->linux_->personality, err) < 0)
    return -1;
  return 0;
}

int process_apply_oom_score_adj(const oci_process *p, ocirt_error *err)
{
  if (!p->has_oom_score_adj)
    return 0;
  char buf[16];
  snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
  /* through ocirt's own verified procfs, never a /proc path a mount could redirect */
  if (procfs_write("self/oom_score_adj", buf, err) < 0)
    return error_wrap(err, "config.json: .process.oomScoreAdj: %d", p->oom_score_adj);
  return 0;
}

int process_chdir(const oci_process *p, ocirt_error *err)
{
  if (chdir(p->cwd) < 0)
    return error_set(err, errno, "config.json: .process.cwd: chdir to `%s`", p->cwd);
  /* A cwd reached through a descriptor of the host (a /proc/self/fd/N magic link, say) lies outside
   * the container's root: the kernel then gives no path, or one marked "(unreachable)". */
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return error_set(err, 0, "config.json: .process.cwd: `%s` leads outside the container", p->cwd);
  return 0;
}

int process_apply_identity(const oci_process *p, ocirt_error *err)
{
  const oci_user *u = p->user;
  uid_t uid = u ? u->uid : 0;
  gid_t gid = u ? u->gid : 0;
  if (u && u->additional_gids_len > 0) {
    if (setgroups(u->additional_gids_len, (const gid_t *) u->additional_gids) < 0)
      return error_set(err, errno, "setgroups");
  } else if (setgroups(0, NULL) < 0 && errno != EPERM)
    return error_set(err, errno, "setgroups");
  if (caps_drop_bounding(p->capabilities, err) < 0)
    return -1;
  /* Keep the permitted capabilities across the uid change; caps_apply sets them exactly. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (setresgid(gid, gid, gid) < 0)
    return error_set(err, errno, "setresgid %u", (unsigned) gid);
  if (setresuid(uid, uid, uid) < 0)
    return error_set(err, errno, "setresuid %u", (unsigned) uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
  if (caps_apply(p->capabilities, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return error_set(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  umask(u && u->has_umask ? (mode_t) u->umask : 022);
  return 0;
}

int process_exec(const oci_process *p, const char *path, ocirt_error *err)
{
  cleanup_free char **argv = xcalloc(p->args_len + 1, sizeof(char *));
  cleanup_free char **envp = xcalloc(p->env_len + 1, sizeof(char *));
  /* args/env are NULL when empty, and memcpy(.., NULL, 0) is undefined */
  if (p->args_len > 0)
    memcpy(argv, p->args, p->args_len * sizeof(char *));
  if (p->env_len > 0)
    memcpy(envp, p->env, p->env_len * sizeof(char *));
  execve(path, argv, envp);
  return error_set(err, errno, "exec `%s`", path);
}
