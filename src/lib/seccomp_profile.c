/* seccomp: compile linux.seccomp with libseccomp in the runtime, load the BPF in the container.
 *
 * libseccomp only compiles here; loading is our own seccomp(2) call, so every filter flag of the
 * spec (LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV) works whatever the library version knows, and the
 * container makes a single syscall instead of running libseccomp's loader. */
#include "config.h"
#include "seccomp_profile.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

struct seccomp_filter {
  struct sock_filter *insns;
  size_t len;
  unsigned long flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;
};

void seccomp_filter_free(seccomp_filter *f)
{
  if (f == NULL)
    return;
  free(f->insns);
  free(f);
}

void seccomp_filter_freep(seccomp_filter **f)
{
  seccomp_filter_free(*f);
}

bool seccomp_filter_has_notify(const seccomp_filter *f)
{
  return f && f->notify;
}

int seccomp_filter_load(const seccomp_filter *f, int *listener_fd, ocirt_error *err)
{
  *listener_fd = -1;
  struct sock_fprog prog = { .len = (unsigned short) f->len, .filter = f->insns };
  unsigned long flags = f->flags | (f->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0)
    return error_set(err, errno, "load the seccomp filter");
  if (f->notify)
    *listener_fd = (int) r; /* the kernel makes it close-on-exec */
  return 0;
}

int seccomp_listener_connect(const char *path, ocirt_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof(addr.sun_path))
    return error_set(err, 0, ".linux.seccomp.listenerPath: `%s` is too long for a unix socket", path);
  strcpy(addr.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return error_set(err, errno, "socket");
  if (TEMP_FAILURE_RETRY(connect(fd, (struct sockaddr *) &addr, sizeof(addr))) < 0)
    return error_set(err, errno, ".linux.seccomp.listenerPath: connect to `%s`", path);
  return steal_fd(&fd);
}

int seccomp_listener_send(int sock, int listener_fd, pid_t pid, const char *metadata, const char *state_json,
                          ocirt_error *err)
{
  cleanup_free char *quoted = oci_json_quote(metadata ? metadata : "");
  cleanup_free char *msg
      = xasprintf("{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":%s,\"state\":%s}",
                  OCI_SPEC_VERSION, (int) pid, quoted, state_json);
  struct iovec iov = { .iov_base = msg, .iov_len = strlen(msg) };
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control = { 0 };
  struct msghdr mh = {
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)
  };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &listener_fd, sizeof(int));
  if (TEMP_FAILURE_RETRY(sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0)
    return error_set(err, errno, "send the seccomp notify fd to the listener");
  return 0;
}

#ifndef HAVE_SECCOMP

void seccomp_features(oci_features_seccomp *out)
{
  memset(out, 0, sizeof(*out));
}

int seccomp_filter_build(const oci_seccomp *cfg, seccomp_filter **out, ocirt_error *err)
{
  (void) cfg;
  *out = NULL;
  return error_set(err, 0, ".linux.seccomp: this ocirt was built without seccomp (configure --disable-seccomp)");
}

int seccomp_filter_build_cached(const char *cache_dir, const oci_seccomp *cfg, seccomp_filter **out,
                                ocirt_error *err)
{
  (void) cache_dir;
  return seccomp_filter_build(cfg, out, err);
}

#else

typedef struct {
  const char *name;
  uint32_t action; /* for ERRNO and TRACE, the base: the errno is or'ed in */
  bool takes_errno;
} action_entry;

static const action_entry actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

/* The kernel's names for the actions, to ask it whether it has them (SECCOMP_GET_ACTION_AVAIL). */
static uint32_t kernel_action(uint32_t action)
{
  return action & 0xffff0000U;
}

static const struct {
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
  const char *name;
  unsigned long flag; /* 0: accepted, nothing to pass (TSYNC: the container's process has one thread) */
} filter_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", 0 },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* Resolve an action name (+ errnoRet) to libseccomp's value. */
static int parse_action(const char *name, bool has_errno, uint32_t errno_ret, const char *where, uint32_t *out,
                        ocirt_error *err)
{
  for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
    if (strcmp(actions[i].name, name) != 0)
      continue;
    if (actions[i].takes_errno) {
      uint32_t e = has_errno ? errno_ret : EPERM;
      if (e > 0xffff)
        return error_set(err, 0, "%s: errnoRet %u is out of range", where, e);
      *out = actions[i].action | e;
    } else
      *out = actions[i].action;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &(uint32_t){ kernel_action(*out) }) < 0)
      return error_set(err, errno, "%s: `%s` is not supported by this kernel", where, name);
    return 0;
  }
  return error_set(err, 0, "%s: unknown action `%s`", where, name);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64". */
static int parse_arch(const char *name, const char *where, uint32_t *out, ocirt_error *err)
{
  static const char prefix[] = "SCMP_ARCH_";
  if (strncmp(name, prefix, sizeof(prefix) - 1) != 0 || strlen(name) > 64)
    return error_set(err, 0, "%s: unknown architecture `%s`", where, name);
  char lower[65];
  size_t i = 0;
  for (const char *s = name + sizeof(prefix) - 1; *s; s++)
    lower[i++] = (char) tolower((unsigned char) *s);
  lower[i] = '\0';
  *out = seccomp_arch_resolve_name(lower);
  if (*out == 0)
    return error_set(err, 0, "%s: unknown architecture `%s`", where, name);
  return 0;
}

static int parse_flags(const oci_seccomp *cfg, unsigned long *out, ocirt_error *err)
{
  *out = 0;
  for (size_t i = 0; i < cfg->flags_len; i++) {
    size_t j = 0;
    while (j < sizeof(filter_flags) / sizeof(filter_flags[0]) && strcmp(filter_flags[j].name, cfg->flags[i]) != 0)
      j++;
    if (j == sizeof(filter_flags) / sizeof(filter_flags[0]))
      return error_set(err, 0, ".linux.seccomp.flags[%zu]: unknown flag `%s`", i, cfg->flags[i]);
    *out |= filter_flags[j].flag;
  }
  return 0;
}

/* Ask the kernel whether it knows these flags: with a NULL program it checks the flags (EINVAL)
 * before it reads the program (EFAULT), so nothing is ever installed. */
static int check_kernel_flags(unsigned long flags, ocirt_error *err)
{
  if (flags == 0)
    return 0;
  unsigned long probe = flags | SECCOMP_FILTER_FLAG_NEW_LISTENER;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, NULL) == 0 || errno != EFAULT)
    return error_set(err, 0, ".linux.seccomp.flags: not supported by this kernel");
  return 0;
}

static int add_rule(scmp_filter_ctx ctx, const oci_seccomp_syscall *sc, size_t i, uint32_t action, int nr,
                    ocirt_error *err)
{
  cleanup_free struct scmp_arg_cmp *conds = xcalloc(sc->args_len ? sc->args_len : 1, sizeof(*conds));
  bool seen[6] = { false };
  bool repeated = false; /* with 6 arguments, more than 6 conditions always repeat one */
  for (size_t a = 0; a < sc->args_len; a++) {
    const oci_seccomp_arg *arg = sc->args[a];
    if (arg->index > 5)
      return error_set(err, 0, ".linux.seccomp.syscalls[%zu].args[%zu].index: %u is not 0..5", i, a, arg->index);
    size_t o = 0;
    while (o < sizeof(operators) / sizeof(operators[0]) && strcmp(operators[o].name, arg->op) != 0)
      o++;
    if (o == sizeof(operators) / sizeof(operators[0]))
      return error_set(err, 0, ".linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator `%s`", i, a, arg->op);
    conds[a] = (struct scmp_arg_cmp){ arg->index, operators[o].op, arg->value, arg->value_two };
    repeated |= seen[arg->index];
    seen[arg->index] = true;
  }
  /* libseccomp takes one condition per argument in a rule, so conditions on the same argument
   * become one rule each (any of them matches), as runc does; otherwise all must match. */
  size_t rules = repeated ? sc->args_len : 1;
  for (size_t r = 0; r < rules; r++) {
    int rc = repeated ? seccomp_rule_add_array(ctx, action, nr, 1, &conds[r])
                      : seccomp_rule_add_array(ctx, action, nr, (unsigned) sc->args_len, conds);
    if (rc < 0)
      return error_set(err, -rc, ".linux.seccomp.syscalls[%zu]: add a rule", i);
  }
  return 0;
}

static void release_ctx(scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release(*ctx);
}

static int export_bpf(scmp_filter_ctx ctx, seccomp_filter *f, ocirt_error *err)
{
  /* libseccomp 2.5 exports to an fd only: a memfd holds it. */
  cleanup_close int fd = memfd_create("ocirt-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return error_set(err, -rc, "compile the seccomp filter");
  off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof(struct sock_filter) != 0 || size > 65535 * (off_t) sizeof(struct sock_filter))
    return error_set(err, EINVAL, "seccomp filter of %lld bytes", (long long) size);
  f->insns = xmalloc((size_t) size);
  f->len = (size_t) size / sizeof(struct sock_filter);
  if (pread(fd, f->insns, (size_t) size, 0) != size)
    return error_set(err, errno, "read the seccomp filter back");
  return 0;
}

int seccomp_filter_build(const oci_seccomp *cfg, seccomp_filter **out, ocirt_error *err)
{
  *out = NULL;
  uint32_t default_action;
  if (parse_action(cfg->default_action, cfg->has_default_errno_ret, cfg->default_errno_ret,
                   ".linux.seccomp.defaultAction", &default_action, err)
      < 0)
    return -1;
  if (default_action == SCMP_ACT_NOTIFY)
    return error_set(err, 0, ".linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  cleanup_seccomp_filter seccomp_filter *f = xcalloc(1, sizeof(*f));
  if (parse_flags(cfg, &f->flags, err) < 0)
    return -1;

  __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == NULL)
    return error_set(err, ENOMEM, "seccomp_init");
  /* We set no_new_privs ourselves (process.noNewPrivileges), and the process has one thread. */
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 0) < 0)
    return error_set(err, EINVAL, "seccomp_attr_set");

  for (size_t i = 0; i < cfg->architectures_len; i++) {
    cleanup_free char *where = xasprintf(".linux.seccomp.architectures[%zu]", i);
    uint32_t arch;
    if (parse_arch(cfg->architectures[i], where, &arch, err) < 0)
      return -1;
    int rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST)
      return error_set(err, -rc, "%s: add `%s`", where, cfg->architectures[i]);
  }

  for (size_t i = 0; i < cfg->syscalls_len; i++) {
    const oci_seccomp_syscall *sc = cfg->syscalls[i];
    cleanup_free char *where = xasprintf(".linux.seccomp.syscalls[%zu].action", i);
    uint32_t action;
    if (parse_action(sc->action, sc->has_errno_ret, sc->errno_ret, where, &action, err) < 0)
      return -1;
    if (action == SCMP_ACT_NOTIFY) {
      if (cfg->listener_path == NULL || cfg->listener_path[0] == '\0')
        return error_set(err, 0, "%s: SCMP_ACT_NOTIFY needs .linux.seccomp.listenerPath", where);
      f->notify = true;
    }
    if (action == default_action)
      continue; /* libseccomp refuses rules that repeat the default, and they change nothing */
    for (size_t n = 0; n < sc->names_len; n++) {
      int nr = seccomp_syscall_resolve_name(sc->names[n]);
      if (nr == __NR_SCMP_ERROR)
        continue; /* not a syscall of this architecture: profiles list every arch's, as runc skips */
      if (add_rule(ctx, sc, i, action, nr, err) < 0)
        return error_wrap(err, "syscall `%s`", sc->names[n]);
    }
  }
  if (f->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !f->notify)
    f->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; /* only means something with a listener */
  if (check_kernel_flags(f->flags, err) < 0)
    return -1;
  if (export_bpf(ctx, f, err) < 0)
    return -1;
  *out = steal_ptr(&f);
  return 0;
}

/* ---- the cache of compiled filters ------------------------------------------------------------ */

/* File: "ocirt-seccomp 1\n", u32 key length, the key, u64 flags, u8 notify, the instructions. */
#define CACHE_MAGIC "ocirt-seccomp 1\n"
#define CACHE_MAX (1 << 20)

/* Everything the compiled program depends on: the profile, and who compiles it for which kernel. */
static char *cache_key(const oci_seccomp *cfg, size_t *len)
{
  cleanup_free char *json = oci_generate(&oci_seccomp_type, cfg, false, NULL);
  if (json == NULL)
    return NULL;
  struct utsname u;
  if (uname(&u) < 0)
    return NULL;
  const struct scmp_version *v = seccomp_version();
  char *key = xasprintf("%s %s %s %s|libseccomp %u.%u.%u|%s %s %s|%s", PACKAGE_VERSION, OCIRT_COMMIT, __DATE__,
                        __TIME__, v->major, v->minor, v->micro, u.sysname, u.release, u.machine, json);
  *len = strlen(key);
  return key;
}

/* FNV-1a: only picks the file name; the key inside decides. */
static uint64_t key_hash(const char *key, size_t len)
{
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char) key[i]) * 1099511628211ULL;
  return h;
}

static seccomp_filter *cache_read(int dir, const char *name, const char *key, size_t key_len)
{
  cleanup_close int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  /* ours alone: root's (whoever runs us), written by no one else */
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)
      || st.st_size > CACHE_MAX)
    return NULL;
  size_t head = strlen(CACHE_MAGIC) + 4 + key_len + 8 + 1, size = (size_t) st.st_size;
  if (size <= head || (size - head) % sizeof(struct sock_filter) != 0)
    return NULL;
  cleanup_free char *buf = xmalloc(size);
  if (read_all(fd, buf, size) != (ssize_t) size)
    return NULL;
  uint32_t klen;
  memcpy(&klen, buf + strlen(CACHE_MAGIC), 4);
  char *p = buf + strlen(CACHE_MAGIC) + 4;
  if (memcmp(buf, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0 || klen != key_len || memcmp(p, key, key_len) != 0)
    return NULL;
  p += key_len;
  seccomp_filter *f = xcalloc(1, sizeof(*f));
  uint64_t flags;
  memcpy(&flags, p, 8);
  f->flags = (unsigned long) flags;
  f->notify = p[8] != 0;
  f->len = (size - head) / sizeof(struct sock_filter);
  f->insns = xmalloc(size - head);
  memcpy(f->insns, p + 9, size - head);
  return f;
}

static void cache_write(int dir, const char *name, const char *key, size_t key_len, const seccomp_filter *f)
{
  size_t insns = f->len * sizeof(struct sock_filter);
  size_t size = strlen(CACHE_MAGIC) + 4 + key_len + 8 + 1 + insns;
  cleanup_free char *buf = xmalloc(size);
  char *p = buf;
  uint32_t klen = (uint32_t) key_len;
  uint64_t flags = f->flags;
  memcpy(p, CACHE_MAGIC, strlen(CACHE_MAGIC));
  p += strlen(CACHE_MAGIC);
  memcpy(p, &klen, 4);
  memcpy(p + 4, key, key_len);
  p += 4 + key_len;
  memcpy(p, &flags, 8);
  p[8] = f->notify;
  memcpy(p + 9, f->insns, insns);
  cleanup_error ocirt_error ignored = { 0 };
  write_file_atomic_at(dir, name, buf, size, 0600, &ignored); /* a cache: failing to write is no error */
}

int seccomp_filter_build_cached(const char *cache_dir, const oci_seccomp *cfg, seccomp_filter **out,
                                ocirt_error *err)
{
  *out = NULL;
  size_t key_len = 0;
  cleanup_free char *key = cache_key(cfg, &key_len);
  if (key == NULL || key_len > CACHE_MAX / 2)
    return seccomp_filter_build(cfg, out, err);
  cleanup_close int dir = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0 && errno == ENOENT && mkdir(cache_dir, 0700) == 0)
    dir = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  char name[32];
  snprintf(name, sizeof(name), "%016llx", (unsigned long long) key_hash(key, key_len));
  if (dir >= 0 && (*out = cache_read(dir, name, key, key_len)) != NULL)
    return 0;
  if (seccomp_filter_build(cfg, out, err) < 0)
    return -1;
  if (dir >= 0)
    cache_write(dir, name, key, key_len, *out);
  return 0;
}

/* ---- features --------------------------------------------------------------------------------- */

static const char *const arch_names[] = {
  "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

void seccomp_features(oci_features_seccomp *out)
{
  memset(out, 0, sizeof(*out));
  out->enabled = true;
  for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
    /* only what this kernel can do */
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &(uint32_t){ kernel_action(actions[i].action) }) == 0)
      strv_push(&out->actions, &out->actions_len, actions[i].name);
  }
  for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
    strv_push(&out->operators, &out->operators_len, operators[i].name);
  for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++) {
    uint32_t arch;
    ocirt_error ignored = { 0 };
    if (parse_arch(arch_names[i], "", &arch, &ignored) == 0)
      strv_push(&out->archs, &out->archs_len, arch_names[i]);
    error_clear(&ignored);
  }
  for (size_t i = 0; i < sizeof(filter_flags) / sizeof(filter_flags[0]); i++) {
    strv_push(&out->known_flags, &out->known_flags_len, filter_flags[i].name);
    ocirt_error ignored = { 0 };
    if (check_kernel_flags(filter_flags[i].flag, &ignored) == 0)
      strv_push(&out->supported_flags, &out->supported_flags_len, filter_flags[i].name);
    error_clear(&ignored);
  }
}

#endif
