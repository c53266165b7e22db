/* The OCI lifecycle.
 *
 * create                                   container init (pid 1 of the new pid namespace)
 *   make state folder (locked), exec.fifo,
 *   cgroup, its linux.resources;
 *   clone(namespaces) ------------------->  waits for GO
 *     (namespaces joined by path: a helper joins them, user last, clones init with
 *      CLONE_PARENT and sends PID with init's pid)
 *   put the child in its cgroup,
 *   write uid_map/gid_map (new user ns)
 *   GO (+ state JSON for hooks) -------->   become root of the user ns, unshare cgroup and
 *                                           time ns (write timens_offsets), mounts, /dev
 *                               <--------   HOOKS (only when prestart/createRuntime hooks exist)
 *   run prestart, createRuntime hooks
 *   HOOKS_DONE ------------------------->   createContainer hooks, masked paths, pivot_root,
 *                                           hostname, cwd, find the executable
 *                               <--------   READY (or ERROR with the message, at any step)
 *   write state.json, --pid-file
 *   ACK -------------------------------->   waits for a byte on exec.fifo
 * start: writes the byte, removes exec.fifo ->  startContainer hooks, labels, user, caps, exec
 *   (with startContainer hooks: waits on start.fifo <- an error message, or EOF at exec)
 *   poststart hooks
 *
 * The child notices a parent that died mid-create by EOF on the sync socket and exits, so a
 * killed `create` never leaves a process waiting forever.
 */
#include "config.h"
#include "container.h"
#include "container-private.h"
#include "bundle.h"
#include "cgroup.h"
#include "dm.h"
#include "fault.h"
#include "hooks.h"
#include "idmap.h"
#include "label.h"
#include "namespaces.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp_profile.h"
#include "state.h"
#include "sysctl.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void (*ocirt_warning_handler)(const char *msg);

static void warn(const char *msg)
{
  if (ocirt_warning_handler)
    ocirt_warning_handler(msg);
}

/* ---- the sync socket ------------------------------------------------------------------------- */

enum sync_type { SYNC_GO = 1, SYNC_HOOKS, SYNC_HOOKS_DONE, SYNC_READY, SYNC_ACK, SYNC_ERROR, SYNC_PID };

typedef struct {
  int32_t type;
  int32_t errno_value;
  uint32_t len; /* payload bytes that follow */
} sync_header;

#define SYNC_MAX_PAYLOAD (1 << 20)

static int sync_send(int fd, enum sync_type type, int errno_value, const char *payload, ocirt_error *err)
{
  size_t len = payload ? strlen(payload) : 0;
  if (len > SYNC_MAX_PAYLOAD)
    len = SYNC_MAX_PAYLOAD;
  cleanup_free char *buf = xmalloc(sizeof(sync_header) + len);
  sync_header h = { type, errno_value, (uint32_t) len };
  memcpy(buf, &h, sizeof(h));
  if (len)
    memcpy(buf + sizeof(h), payload, len);
  if (TEMP_FAILURE_RETRY(send(fd, buf, sizeof(h) + len, MSG_NOSIGNAL)) < 0)
    return error_set(err, errno, "sync socket: send");
  return 0;
}

/* Receive one message.  Returns 0 on EOF (the peer is gone), 1 with a message. */
static int sync_recv(int fd, sync_header *h, char **payload, ocirt_error *err)
{
  *payload = NULL;
  ssize_t size = TEMP_FAILURE_RETRY(recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC));
  if (size < 0)
    return error_set(err, errno, "sync socket: receive");
  if (size == 0)
    return 0;
  if ((size_t) size < sizeof(*h) || (size_t) size > sizeof(*h) + SYNC_MAX_PAYLOAD)
    return error_set(err, EPROTO, "sync socket: message of %zd bytes", size);
  cleanup_free char *buf = xmalloc((size_t) size + 1);
  ssize_t got = TEMP_FAILURE_RETRY(recv(fd, buf, (size_t) size, 0));
  if (got != size)
    return error_set(err, got < 0 ? errno : EPROTO, "sync socket: receive");
  memcpy(h, buf, sizeof(*h));
  if (h->len != (size_t) size - sizeof(*h))
    return error_set(err, EPROTO, "sync socket: bad length");
  *payload = xmalloc(h->len + 1);
  memcpy(*payload, buf + sizeof(*h), h->len);
  (*payload)[h->len] = '\0';
  return 1;
}

/* ---- state JSON for hooks and `ocirt state` --------------------------------------------------- */

static char *state_json(const char *id, const char *status, pid_t pid, const char *bundle,
                        const oci_spec *spec)
{
  oci_state st = {
    .oci_version = (char *) OCI_SPEC_VERSION,
    .id = (char *) id,
    .pid = (int32_t) pid,
    .status = (char *) status,
    .bundle = (char *) bundle,
  };
  if (spec) {
    st.annotations_keys = spec->annotations_keys;
    st.annotations_values = spec->annotations_values;
    st.annotations_len = spec->annotations_len;
  }
  return oci_generate(&oci_state_type, &st, false, NULL);
}

/* The same state with another status (startContainer hooks see "created"). */
static char *state_json_with_status(const char *json, const char *status)
{
  char *msg = NULL;
  oci_state *st = oci_parse_data(&oci_state_type, json, strlen(json), "state", &msg);
  free(msg);
  if (st == NULL)
    return xstrdup(json);
  free(st->status);
  st->status = xstrdup(status);
  char *out = oci_generate(&oci_state_type, st, false, NULL);
  oci_free(&oci_state_type, st);
  return out;
}

/* With startContainer hooks, `start` learns from this fifo whether the container's process made it
 * to exec: init holds it open read-write and close-on-exec, so the reader sees EOF at exec, or the
 * error first. */
#define STATE_START_FIFO "start.fifo"

/* ---- the container's init process ------------------------------------------------------------ */

typedef struct {
  const char *id;
  const create_options *opts;
  container_config *cfg;
  namespace_plan *ns;
  const char *cgroup_path;
  int sync_fd;
  int fifo_fd;
  const seccomp_filter *seccomp; /* NULL without linux.seccomp */
  int seccomp_listener;          /* connected to linux.seccomp.listenerPath, or -1 */
  int console_fd;    /* process.terminal: where the pty's master goes, else -1 */
  unsigned pass_fds; /* LISTEN_FDS + --preserve-fds: fds 3.. handed to the program */
  int report_fd;     /* start.fifo, or -1 */
  label_exec label;  /* opened before pivot_root, written after the startContainer hooks */
  int close_fds[4];  /* the parent's fds the child must not keep (the state lock above all) */
  const int *idmap_fds; /* per mount: the idmapped tree made by the parent (idmap.h), or NULL */
} init_args;

/* Everything before READY.  Errors go back to the parent, which prints them. */
static int init_setup(init_args *a, char **exe, char **hook_state, ocirt_error *err)
{
  const oci_spec *spec = a->cfg->spec;
  const oci_hooks *hooks = spec->hooks;
  sync_header h;
  int r = sync_recv(a->sync_fd, &h, hook_state, err);
  if (r <= 0 || h.type != SYNC_GO)
    _exit(1); /* the parent is gone: nothing to report to */

  /* The parent has written the id mappings: from here on we act as root of our user namespace. */
  bool userns = namespace_plan_has(a->ns, CLONE_NEWUSER);
  if (userns && namespace_become_root(err) < 0)
    return -1;
  /* A session keyring of its own, so the container sees none of the host's keys (as runc does);
   * kernels without keyrings (ENOSYS) or that refuse it to us are fine. */
  if (!a->opts->no_new_keyring && syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, a->id) < 0
      && errno != ENOSYS && errno != EPERM && errno != EACCES && errno != EDQUOT)
    return error_set(err, errno, "join a new session keyring");
  if ((a->ns->unshare_late & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
    return error_set(err, errno, "unshare cgroup namespace");
  if (a->ns->unshare_late & CLONE_NEWTIME) {
    if (unshare(CLONE_NEWTIME) < 0)
      return error_set(err, errno, "unshare time namespace");
    if (namespace_write_time_offsets(spec->linux_, err) < 0)
      return -1;
  }
  umask(0);

  rootfs_context rctx = {
    .spec = spec,
    .rootfs = a->cfg->rootfs,
    .bundle = a->cfg->bundle,
    .cgroup_path = a->cgroup_path,
    .cgroup_ns = namespace_plan_has(a->ns, CLONE_NEWCGROUP),
    .root_fd = -1,
    .idmap_fds = a->idmap_fds,
  };
  if (rootfs_prepare(&rctx, err) < 0)
    return -1;

  /* Ask the parent to run its hooks only when there are some: a round trip saved on the hot path. */
  if (hooks && hooks->prestart_len + hooks->create_runtime_len > 0) {
    if (sync_send(a->sync_fd, SYNC_HOOKS, 0, NULL, err) < 0)
      return -1;
    cleanup_free char *ignored = NULL;
    r = sync_recv(a->sync_fd, &h, &ignored, err);
    if (r <= 0 || h.type != SYNC_HOOKS_DONE)
      _exit(1);
  }
  /* After the prestart hooks, which may have made the interfaces that net.* keys name. */
  if (sysctl_apply(spec, err) < 0)
    return -1;
  if (hooks && hooks_run(hooks->create_container, hooks->create_container_len, "createContainer", *hook_state, err) < 0)
    return -1;

  const oci_process *p = spec->process;
  if (a->console_fd >= 0 && terminal_setup_container(rctx.root_fd, steal_fd(&a->console_fd), p, true, err) < 0)
    return -1;
  if (rootfs_mkdir_in_root(rctx.root_fd, p->cwd, err) < 0)
    return error_wrap(err, "config.json: .process.cwd: create `%s`", p->cwd);
  if (process_apply_oom_score_adj(p, err) < 0 || label_exec_open(p, &a->label, err) < 0
      || label_apparmor_probe(p, err) < 0)
    return -1;
  if (rootfs_mask_paths(&rctx, err) < 0)
    return -1;
  if (rootfs_pivot(&rctx, a->opts->no_pivot, err) < 0)
    return -1;

  if (spec->hostname && spec->hostname[0] && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
    return error_set(err, errno, "set hostname `%s`", spec->hostname);
  if (spec->domainname && spec->domainname[0] && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
    return error_set(err, errno, "set domainname `%s`", spec->domainname);
  if (process_chdir(p, err) < 0)
    return -1;
  if (process_find_executable(p, exe, err) < 0)
    return -1;
  if (process_apply_attributes(spec, err) < 0)
    return -1;
  /* Nothing of the host may reach the user's program: every fd past stdio (and the preserved
   * ones) is closed at exec. */
  if (mark_fds_cloexec_from(3 + (int) a->pass_fds, err) < 0)
    return -1;
  for (unsigned i = 0; i < a->pass_fds; i++) {
    int fd = 3 + (int) i;
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
      fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  return 0;
}

/* Block until `start` writes a byte on exec.fifo. */
static int wait_for_start(int fifo_fd, ocirt_error *err)
{
  for (;;) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fifo_fd, &set);
    if (select(fifo_fd + 1, &set, NULL, NULL, NULL) < 0 && errno != EINTR)
      return error_set(err, errno, "wait on exec.fifo");
    char byte;
    ssize_t n = read(fifo_fd, &byte, 1);
    if (n == 1)
      return 0;
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return error_set(err, errno, "read exec.fifo");
    /* A writer came and went without a byte: wait a little, do not spin. */
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
}

/* Install the seccomp filter; a NOTIFY filter's fd goes to the agent with the process state. */
static int init_seccomp(init_args *a, const char *hook_state, ocirt_error *err)
{
  cleanup_close int notify_fd = -1;
  if (seccomp_filter_load(a->seccomp, &notify_fd, err) < 0)
    return -1;
  if (notify_fd < 0)
    return 0;
  /* Our host pid, as the hooks' state has it (getpid() says 1 in a new pid namespace). */
  cleanup_free char *parse_error = NULL;
  oci_state *st = oci_parse_data(&oci_state_type, hook_state, strlen(hook_state), "state", &parse_error);
  pid_t pid = st ? st->pid : 0;
  oci_free(&oci_state_type, st);
  const oci_seccomp *cfg = a->cfg->spec->linux_->seccomp;
  int r = seccomp_listener_send(a->seccomp_listener, notify_fd, pid, cfg->listener_metadata, hook_state, err);
  close(a->seccomp_listener);
  return r;
}

static void __attribute__((noreturn)) container_init(init_args *a)
{
  cleanup_error ocirt_error err = { 0 };
  cleanup_free char *exe = NULL, *hook_state = NULL;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The state folder's flock belongs to the open file, which the clone shares: holding it here
   * would lock out `start` and `delete` for as long as we wait. */
  for (size_t i = 0; i < sizeof(a->close_fds) / sizeof(a->close_fds[0]); i++)
    if (a->close_fds[i] >= 0)
      close(a->close_fds[i]);

  if (init_setup(a, &exe, &hook_state, &err) < 0) {
    cleanup_error ocirt_error ignored = { 0 };
    sync_send(a->sync_fd, SYNC_ERROR, err.errno_value, err.msg, &ignored);
    _exit(1);
  }
  if (sync_send(a->sync_fd, SYNC_READY, 0, NULL, &err) < 0)
    _exit(1);
  sync_header h;
  cleanup_free char *ignored = NULL;
  if (sync_recv(a->sync_fd, &h, &ignored, &err) <= 0 || h.type != SYNC_ACK)
    _exit(1);
  close(a->sync_fd);

  const oci_spec *spec = a->cfg->spec;
  if (wait_for_start(a->fifo_fd, &err) < 0)
    goto fail;
  close(a->fifo_fd);
  if (spec->hooks && spec->hooks->start_container_len) {
    cleanup_free char *created = state_json_with_status(hook_state, "created");
    if (hooks_run(spec->hooks->start_container, spec->hooks->start_container_len, "startContainer", created, &err) < 0)
      goto fail;
  }
  if (label_exec_apply(&a->label, spec->process, &err) < 0)
    goto fail;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the capabilities go (as
   * runc); with it, as late as possible, so the filter sees the fewest of our own syscalls. */
  bool nnp = spec->process->no_new_privileges;
  if (a->seccomp && !nnp && init_seccomp(a, hook_state, &err) < 0)
    goto fail;
  if (process_apply_identity(spec->process, &err) < 0)
    goto fail;
  if (a->seccomp && nnp && init_seccomp(a, hook_state, &err) < 0)
    goto fail;
  process_exec(spec->process, exe, &err);
fail:
  /* After start nobody waits on the sync socket: `start` reads start.fifo when there is one, and
   * the container's stderr gets it too. */
  if (a->report_fd >= 0)
    write_all(a->report_fd, err.msg, strlen(err.msg));
  dprintf(2, "ocirt: %s\n", err.msg);
  _exit(127);
}

/* ---- create ---------------------------------------------------------------------------------- */

typedef struct {
  container_handle state;
  container_config cfg;
  namespace_plan ns;
  char *cgroup_path;
  bool cgroup_made;
  int fifo_fd;
  int sync_fd;
  seccomp_filter *seccomp;
  int seccomp_listener;
  terminal_plan tty;
  unsigned pass_fds;
  int report_fd; /* start.fifo, only with startContainer hooks */
  pid_t pid;
  uint64_t pid_start;
  char *created;
  bool dm_rootfs; /* a snapshot of an image is mounted as the rootfs (dm.c) */
  int *idmap_fds; /* the idmapped trees, one per mount or -1, until init has its copies (idmap.h) */
} create_context;

/* Undo a half-made container, newest first; quiet, since the first error is the one to report. */
static void create_undo(create_context *c)
{
  cleanup_error ocirt_error ignored = { 0 };
  bool existed = c->pid > 0;
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    TEMP_FAILURE_RETRY(waitpid(c->pid, NULL, 0));
    c->pid = -1;
  }
  if (c->cgroup_made) {
    cgroup_kill_all(c->cgroup_path, SIGKILL, &ignored);
    cgroup_destroy(c->cgroup_path, &ignored);
    c->cgroup_made = false;
  }
  if (c->dm_rootfs)
    dm_rootfs_release(c->cfg.spec, c->state.id, false, &ignored);
  if (c->state.dir_fd >= 0)
    state_destroy(&c->state, &ignored);
  /* The spec: a container whose create failed, once destroyed, goes on to its poststop hooks (they
   * undo what createRuntime hooks set up, a network say); their failures are warnings. */
  const oci_hooks *hooks = c->cfg.spec ? c->cfg.spec->hooks : NULL;
  if (existed && hooks && hooks->poststop_len) {
    cleanup_free char *json = state_json(c->state.id, "stopped", 0, c->cfg.bundle, c->cfg.spec);
    hooks_run_all(hooks->poststop, hooks->poststop_len, "poststop", json, warn);
  }
}

static void create_context_free(create_context *c)
{
  if (c->sync_fd >= 0)
    close(c->sync_fd);
  if (c->fifo_fd >= 0)
    close(c->fifo_fd);
  if (c->seccomp_listener >= 0)
    close(c->seccomp_listener);
  seccomp_filter_free(c->seccomp);
  terminal_plan_close(&c->tty);
  if (c->report_fd >= 0)
    close(c->report_fd);
  namespace_plan_close(&c->ns);
  idmap_trees_close(steal_ptr(&c->idmap_fds), c->cfg.spec ? c->cfg.spec->mounts_len : 0);
  config_free(&c->cfg);
  state_close(&c->state);
  free(c->cgroup_path);
  free(c->created);
}

int write_pid_file(const char *path, pid_t pid, ocirt_error *err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int) pid);
  cleanup_free char *copy = xstrdup(path);
  char *slash = strrchr(copy, '/');
  const char *name = slash ? slash + 1 : copy;
  cleanup_close int dir_fd = -1;
  if (slash) {
    *slash = '\0';
    dir_fd = open(slash == copy ? "/" : copy, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
      return error_set(err, errno, "pid file `%s`", path);
  }
  if (write_file_atomic_at(slash ? dir_fd : AT_FDCWD, name, buf, strlen(buf), 0644, err) < 0)
    return error_wrap(err, "pid file `%s`", path);
  return 0;
}

/* Wait for the child's messages until READY; run the parent's hooks when asked. */
static int create_sync(create_context *c, const char *id, const char *hook_state, ocirt_error *err)
{
  const oci_hooks *hooks = c->cfg.spec->hooks;
  for (;;) {
    sync_header h;
    cleanup_free char *payload = NULL;
    int r = sync_recv(c->sync_fd, &h, &payload, err);
    if (r < 0)
      return -1;
    if (r == 0) {
      int status = 0;
      if (TEMP_FAILURE_RETRY(waitpid(c->pid, &status, 0)) == c->pid)
        c->pid = -1;
      if (WIFSIGNALED(status))
        return error_set(err, 0, "container init was killed by signal %d before it was ready", WTERMSIG(status));
      return error_set(err, 0, "container init exited with status %d before it was ready", WEXITSTATUS(status));
    }
    switch (h.type) {
    case SYNC_ERROR:
      return error_take(err, h.errno_value, steal_ptr(&payload));
    case SYNC_HOOKS:
      if (hooks_run(hooks->prestart, hooks->prestart_len, "prestart", hook_state, err) < 0
          || hooks_run(hooks->create_runtime, hooks->create_runtime_len, "createRuntime", hook_state, err) < 0)
        return -1;
      if (sync_send(c->sync_fd, SYNC_HOOKS_DONE, 0, NULL, err) < 0)
        return -1;
      break;
    case SYNC_READY:
      return 0;
    default:
      return error_set(err, EPROTO, "container %s: unexpected message %d from init", id, h.type);
    }
  }
}

/* clone3's arguments: linux/sched.h's struct clone_args up to its cgroup field (the size the kernel
 * calls CLONE_ARGS_SIZE_VER2), spelled out as <linux/sched.h> clashes with glibc's <sched.h>. */
struct clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define CLONE3_INTO_CGROUP 0x200000000ULL

/* Clone init (it never returns in the child).  With a cgroup fd (cgroup v2 alone), clone3 puts it
 * straight into that cgroup (CLONE_INTO_CGROUP, Linux 5.7): it is never charged to ocirt's cgroup,
 * not even for a moment, and no write to cgroup.procs is needed; *in_cgroup says it happened.
 * Where clone3 is missing (old kernels, a seccomp filter that denies it, as in a container) or the
 * cgroup refuses, plain clone, and the caller moves init with cgroup_enter. */
static pid_t clone_raw(int flags, init_args *args, int cgroup_fd, bool *in_cgroup)
{
  fflush(stdout);
  fflush(stderr);
  pid_t pid = -1;
  *in_cgroup = false;
  if (cgroup_fd >= 0) {
    struct clone3_args ca = {
      .flags = (uint64_t) (unsigned) flags | CLONE3_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t) cgroup_fd,
    };
    pid = (pid_t) syscall(SYS_clone3, &ca, sizeof(ca));
    *in_cgroup = pid > 0;
  }
  if (pid < 0)
    pid = (pid_t) syscall(SYS_clone, (unsigned long) (SIGCHLD | flags), NULL, NULL, NULL, NULL);
  if (pid == 0)
    container_init(args);
  return pid;
}

/* The helper that joins namespaces by path for init: it enters them (the user namespace last, so
 * the others are entered with the host's privileges, and what init creates is owned by the joined
 * user namespace), clones init with CLONE_PARENT so that init is our child, reports init's pid (as
 * seen from our pid namespace: the helper stays in it, setns on a pid namespace only moves the
 * children) and exits. */
static void __attribute__((noreturn)) join_helper(create_context *c, init_args *args)
{
  cleanup_error ocirt_error err = { 0 };
  if (namespace_join_paths(&c->ns, &err) == 0) {
    bool in_cgroup; /* not tried: the parent enters init into its cgroup */
    pid_t pid = clone_raw(CLONE_PARENT | c->ns.clone_flags, args, -1, &in_cgroup);
    if (pid > 0) {
      char buf[16];
      snprintf(buf, sizeof(buf), "%d", (int) pid);
      if (sync_send(args->sync_fd, SYNC_PID, 0, buf, &err) == 0)
        _exit(0);
      kill(pid, SIGKILL);
      _exit(1);
    }
    error_set(&err, errno, "clone the container's init process");
  }
  cleanup_error ocirt_error ignored = { 0 };
  sync_send(args->sync_fd, SYNC_ERROR, err.errno_value, err.msg, &ignored);
  _exit(1);
}

/* Clone the init process into its namespaces; through join_helper when some are joined by path
 * (one fork more, only then). */
static pid_t clone_init(create_context *c, init_args *args, bool *in_cgroup, ocirt_error *err)
{
  *in_cgroup = false;
  if (!namespace_plan_joins(&c->ns)) {
    cleanup_close int cgroup_fd = c->cgroup_path ? cgroup_open_unified(c->cgroup_path) : -1;
    pid_t pid = clone_raw(c->ns.clone_flags, args, cgroup_fd, in_cgroup);
    if (pid < 0)
      return error_set(err, errno, "clone the container's init process");
    return pid;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t helper = fork();
  if (helper == 0)
    join_helper(c, args);
  if (helper < 0)
    return error_set(err, errno, "fork");
  int status = 0;
  TEMP_FAILURE_RETRY(waitpid(helper, &status, 0));
  /* The helper has sent its one message, or died without one (then nothing is waiting). */
  struct pollfd p = { c->sync_fd, POLLIN, 0 };
  if (TEMP_FAILURE_RETRY(poll(&p, 1, 0)) != 1)
    return error_set(err, 0, "the namespace helper exited with status %d", status);
  sync_header h;
  cleanup_free char *payload = NULL;
  if (sync_recv(c->sync_fd, &h, &payload, err) <= 0)
    return -1;
  if (h.type == SYNC_ERROR)
    return error_take(err, h.errno_value, steal_ptr(&payload));
  int64_t pid;
  if (h.type != SYNC_PID || parse_int64(payload, &pid) < 0 || pid <= 0)
    return error_set(err, EPROTO, "unexpected message %d from the namespace helper", h.type);
  return (pid_t) pid;
}

/* The fds 3.. the program gets (socket activation first, then --preserve-fds), as runc orders them. */
static int plan_passed_fds(const create_options *opts, create_context *c, ocirt_error *err)
{
  unsigned listen = listen_fds_count();
  char what[64];
  snprintf(what, sizeof(what), "LISTEN_FDS=%u", listen);
  if (passed_fds_check(3, listen, what, err) < 0)
    return -1;
  snprintf(what, sizeof(what), "--preserve-fds %u", opts->preserve_fds);
  if (passed_fds_check(3 + listen, opts->preserve_fds, what, err) < 0)
    return -1;
  if (listen)
    listen_fds_set_env(c->cfg.spec->process, listen);
  c->pass_fds = listen + opts->preserve_fds;
  return 0;
}

int container_cgroup_path(const ocirt_runtime *rt, const oci_spec *spec, const char *id, char **out, ocirt_error *err)
{
  const char *path = spec->linux_ ? spec->linux_->cgroups_path : NULL;
  if (rt->systemd_cgroup)
    return cgroup_systemd_path(path, id, out, err);
  return cgroup_path_for(path, id, out, err);
}

static int do_create(const ocirt_runtime *rt, const char *id, const create_options *opts, bool foreground,
                     create_context *c, ocirt_error *err)
{
  if (state_validate_id(id, err) < 0)
    return -1;
  if (config_load(opts->bundle ? opts->bundle : ".", &c->cfg, err) < 0)
    return -1;
  for (char **w = c->cfg.warnings; w && *w; w++)
    warn(*w);
  const oci_spec *spec = c->cfg.spec;
  if (plan_passed_fds(opts, c, err) < 0
      || terminal_plan_open(opts->console_socket, spec->process->terminal, foreground, &c->tty, err) < 0)
    return -1;
  if (namespace_plan_init(&c->ns, spec->linux_, err) < 0)
    return -1;
  if (!rt->no_cgroups && container_cgroup_path(rt, spec, id, &c->cgroup_path, err) < 0)
    return -1;
  if (spec->linux_ && spec->linux_->seccomp) {
    /* hidden, and no container id (no `@` in ids): never listed or taken for a container */
    cleanup_free char *cache = xasprintf("%s/.seccomp@cache", rt->root);
    if (seccomp_filter_build_cached(cache, spec->linux_->seccomp, &c->seccomp, err) < 0)
      return -1;
    if (seccomp_filter_has_notify(c->seccomp)) {
      c->seccomp_listener = seccomp_listener_connect(spec->linux_->seccomp->listener_path, err);
      if (c->seccomp_listener < 0)
        return -1;
    }
  }

  /* From here on, everything made is undone on failure by create_undo(). */
  if (state_create(rt->root, id, &c->state, err) < 0)
    return -1; /* an existing container of this id is not ours to undo: dir_fd stays -1 */
  FAULT_POINT("create.after-state-dir");
  if (write_file_atomic_at(c->state.dir_fd, STATE_CONFIG, c->cfg.raw, c->cfg.raw_len, 0600, err) < 0)
    return -1;
  if (dm_rootfs_wanted(spec)) {
    char *mnt = NULL;
    if (dm_rootfs_prepare(spec, id, &mnt, err) < 0)
      return -1;
    c->dm_rootfs = true;
    free(c->cfg.rootfs);
    c->cfg.rootfs = mnt;
  }
  if (mkfifoat(c->state.dir_fd, STATE_FIFO, 0600) < 0)
    return error_set(err, errno, "create exec.fifo");
  /* Opened for reading before the clone: the child inherits it and never needs the path. */
  c->fifo_fd = openat(c->state.dir_fd, STATE_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return error_set(err, errno, "open exec.fifo");
  if (spec->hooks && spec->hooks->start_container_len) {
    if (mkfifoat(c->state.dir_fd, STATE_START_FIFO, 0600) < 0)
      return error_set(err, errno, "create %s", STATE_START_FIFO);
    c->report_fd = openat(c->state.dir_fd, STATE_START_FIFO, O_RDWR | O_CLOEXEC);
    if (c->report_fd < 0)
      return error_set(err, errno, "open %s", STATE_START_FIFO);
  }
  /* Resources are set before init enters the cgroup: nothing it allocated before is charged to a
   * limit it could not meet (a 512 KiB memory limit works). */
  if (c->cgroup_path) {
    const char *join = oci_map_get(spec->annotations_keys, spec->annotations_values, spec->annotations_len,
                                   "org.ocirt.cgroup.join-existing");
    if (cgroup_create_checked(c->cgroup_path, join && strcmp(join, "true") == 0, &c->cgroup_made, err) < 0
        || cgroup_apply_config(c->cgroup_path, spec->linux_, err) < 0)
      return -1;
    FAULT_POINT("create.after-cgroup");
  } else if (spec->linux_ && spec->linux_->resources)
    warn("--cgroup-manager disabled: .linux.resources ignored");

  if (idmap_trees_open(spec, c->cfg.bundle, &c->idmap_fds, err) < 0)
    return -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return error_set(err, errno, "socketpair");
  c->sync_fd = sv[0];
  init_args args = {
    .id = id, .opts = opts, .cfg = &c->cfg, .ns = &c->ns, .cgroup_path = c->cgroup_path,
    .sync_fd = sv[1], .fifo_fd = c->fifo_fd, .seccomp = c->seccomp, .seccomp_listener = c->seccomp_listener,
    .console_fd = c->tty.child_fd, .pass_fds = c->pass_fds, .report_fd = c->report_fd, .label = LABEL_EXEC_INIT,
    .close_fds = { c->state.dir_fd, c->state.root_fd, sv[0], c->tty.parent_fd },
    .idmap_fds = c->idmap_fds,
  };
  bool in_cgroup;
  c->pid = clone_init(c, &args, &in_cgroup, err);
  close(sv[1]);
  idmap_trees_close(steal_ptr(&c->idmap_fds), spec->mounts_len); /* init has its copies */
  if (c->tty.child_fd >= 0)
    close(steal_fd(&c->tty.child_fd)); /* the init has its copy */
  if (c->report_fd >= 0)
    close(steal_fd(&c->report_fd)); /* init's copy is the only writer: `start` waits for its EOF */
  if (c->pid < 0)
    return -1;
  FAULT_POINT("create.after-clone");
  if (proc_start_time(c->pid, &c->pid_start, NULL) < 0)
    return error_set(err, errno, "read the start time of pid %d", (int) c->pid);
  if (c->cgroup_path && !in_cgroup && cgroup_enter(c->cgroup_path, c->pid, err) < 0)
    return -1;
  FAULT_POINT("create.after-cgroup-enter");
  if ((c->ns.clone_flags & CLONE_NEWUSER) && namespace_write_id_maps(c->pid, spec->linux_, err) < 0)
    return -1;

  cleanup_free char *hook_state = state_json(id, "creating", c->pid, c->cfg.bundle, spec);
  if (sync_send(c->sync_fd, SYNC_GO, 0, hook_state, err) < 0 || create_sync(c, id, hook_state, err) < 0)
    return -1;

  FAULT_POINT("create.after-ready");
  c->created = now_rfc3339();
  oci_container_status status = {
    .id = (char *) id,
    .pid = (int32_t) c->pid,
    .pid_start = c->pid_start,
    .status = (char *) "created",
    .bundle = c->cfg.bundle,
    .rootfs = c->cfg.rootfs,
    .created = c->created,
    .owner = (char *) "",
    .cgroup_path = c->cgroup_path,
    .systemd_cgroup = rt->systemd_cgroup,
    .annotations_keys = spec->annotations_keys,
    .annotations_values = spec->annotations_values,
    .annotations_len = spec->annotations_len,
  };
  size_t len;
  cleanup_free char *json = oci_generate(&oci_container_status_type, &status, false, &len);
  if (write_file_atomic_at(c->state.dir_fd, STATE_FILE, json, len, 0600, err) < 0)
    return -1;
  FAULT_POINT("create.after-state-write");
  if (opts->pid_file && write_pid_file(opts->pid_file, c->pid, err) < 0)
    return -1;
  return sync_send(c->sync_fd, SYNC_ACK, 0, NULL, err);
}

static int create_common(const ocirt_runtime *rt, const char *id, const create_options *opts, bool foreground,
                         create_context *c, ocirt_error *err)
{
  memset(c, 0, sizeof(*c));
  c->state = (container_handle) CONTAINER_HANDLE_INIT;
  c->fifo_fd = c->sync_fd = c->seccomp_listener = c->report_fd = -1;
  c->tty = (terminal_plan) TERMINAL_PLAN_INIT;
  c->pid = -1;
  if (do_create(rt, id, opts, foreground, c, err) < 0) {
    create_undo(c);
    create_context_free(c);
    return error_wrap(err, "create %s", id);
  }
  return 0;
}

int container_create(const ocirt_runtime *rt, const char *id, const create_options *opts, ocirt_error *err)
{
  create_context c;
  if (create_common(rt, id, opts, false, &c, err) < 0)
    return -1;
  FAULT_POINT("create.after-ack");
  create_context_free(&c);
  return 0;
}

/* ---- start ----------------------------------------------------------------------------------- */

static int load_saved_config(container_handle *h, oci_spec **spec, ocirt_error *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  char *msg = NULL;
  if (read_file_at(h->dir_fd, STATE_CONFIG, 64 << 20, &data, &len, err) < 0)
    return -1;
  *spec = oci_parse_data(&oci_spec_type, data, len, "config.json", &msg);
  if (*spec == NULL)
    return error_take(err, 0, msg);
  return 0;
}

/* With startContainer hooks: wait until init reaches exec (EOF), or reports why it did not. */
static int wait_for_exec(int report_fd, ocirt_error *err)
{
  char msg[4096];
  size_t got = 0;
  fcntl(report_fd, F_SETFL, fcntl(report_fd, F_GETFL) & ~O_NONBLOCK);
  for (;;) {
    ssize_t n = TEMP_FAILURE_RETRY(read(report_fd, msg + got, sizeof(msg) - 1 - got));
    if (n <= 0 || (got += (size_t) n) == sizeof(msg) - 1)
      break;
  }
  msg[got] = '\0';
  if (got > 0)
    return error_set(err, 0, "%s", msg);
  return 0;
}

/* `known`: the config when the caller has it parsed already (run), else read from the state folder. */
static int start_locked(container_handle *h, const oci_spec *known, ocirt_error *err)
{
  if (state_load(h, err) < 0)
    return -1;
  bool alive;
  const char *status = state_live_status(h, &alive);
  if (strcmp(status, "created") != 0)
    return error_set(err, 0, "cannot start a container that is %s", status);
  oci_spec *loaded = NULL;
  if (known == NULL && load_saved_config(h, &loaded, err) < 0)
    return -1;
  const oci_spec *spec = known ? known : loaded;
  cleanup_close int report = -1;
  if (spec->hooks && spec->hooks->start_container_len)
    report = openat(h->dir_fd, STATE_START_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  cleanup_close int fifo = openat(h->dir_fd, STATE_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  int ret = 0;
  if (fifo < 0)
    ret = errno == ENXIO ? error_set(err, 0, "container init is not waiting for start: it exited")
                         : error_set(err, errno, "open exec.fifo");
  else if (write_all(fifo, "0", 1) < 0)
    ret = error_set(err, errno, "write exec.fifo");
  if (ret < 0) {
    oci_spec_free(loaded);
    return -1;
  }
  FAULT_POINT("start.after-fifo-write");
  unlinkat(h->dir_fd, STATE_FIFO, 0);
  free(h->status->status);
  h->status->status = xstrdup("running");
  if (state_save(h, err) < 0)
    ret = -1;
  FAULT_POINT("start.after-state-save");
  if (ret == 0 && report >= 0) {
    ret = wait_for_exec(report, err);
    unlinkat(h->dir_fd, STATE_START_FIFO, 0);
  }
  if (ret == 0 && spec->hooks && spec->hooks->poststart_len) {
    cleanup_free char *json = state_json(h->id, "running", h->status->pid, h->status->bundle, spec);
    if (hooks_run(spec->hooks->poststart, spec->hooks->poststart_len, "poststart", json, err) < 0) {
      /* The spec: a failing poststart hook stops the container. */
      kill(h->status->pid, SIGKILL);
      ret = -1;
    }
  }
  oci_spec_free(loaded);
  return ret;
}

int container_start(const ocirt_runtime *rt, const char *id, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  if (state_open(rt->root, id, true, &h, err) < 0 || start_locked(&h, NULL, err) < 0)
    return error_wrap(err, "start %s", id);
  return 0;
}

/* ---- state and list ---------------------------------------------------------------------------- */

/* The state of a container whose state.json cannot be read: "creating" while a command holds the
 * lock (create has not written it yet), else the record is missing or damaged (an ocirt killed
 * mid-create, a full disk): NULL with the reason in *err when `strict`, "stopped" for `list`. */
static const char *unreadable_status(container_handle *h, ocirt_error *load_err, bool strict, ocirt_error *err)
{
  if (load_err->errno_value == ENOENT && flock(h->dir_fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
    return "creating";
  flock(h->dir_fd, LOCK_UN);
  if (!strict)
    return "stopped";
  error_take(err, load_err->errno_value, steal_ptr(&load_err->msg));
  error_wrap(err, "the container's record is missing or damaged (`ocirt delete --force %s` removes it)", h->id);
  return NULL;
}

static oci_state *make_state(container_handle *h, bool strict, ocirt_error *err)
{
  cleanup_error ocirt_error load_err = { 0 };
  const char *unreadable = NULL;
  if (state_load(h, &load_err) < 0 && (unreadable = unreadable_status(h, &load_err, strict, err)) == NULL)
    return NULL;
  oci_state *st = xcalloc(1, sizeof(*st));
  st->oci_version = xstrdup(OCI_SPEC_VERSION);
  st->id = xstrdup(h->id);
  if (unreadable) {
    st->status = xstrdup(unreadable);
    st->bundle = xstrdup("");
    st->created = xstrdup("");
    st->owner = xstrdup("");
    return st;
  }
  bool alive;
  const oci_container_status *s = h->status;
  st->status = xstrdup(state_live_status(h, &alive));
  st->pid = alive ? s->pid : 0;
  st->bundle = xstrdup(s->bundle);
  st->rootfs = xstrdup(s->rootfs ? s->rootfs : "");
  st->created = xstrdup(s->created ? s->created : "");
  st->owner = xstrdup(s->owner ? s->owner : "");
  st->annotations_len = s->annotations_len;
  if (s->annotations_len) {
    st->annotations_keys = xcalloc(s->annotations_len, sizeof(char *));
    st->annotations_values = xcalloc(s->annotations_len, sizeof(char *));
    for (size_t i = 0; i < s->annotations_len; i++) {
      st->annotations_keys[i] = xstrdup(s->annotations_keys[i]);
      st->annotations_values[i] = xstrdup(s->annotations_values[i]);
    }
  }
  return st;
}

int container_state(const ocirt_runtime *rt, const char *id, oci_state **out, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  if (state_validate_id(id, err) < 0 || state_open(rt->root, id, false, &h, err) < 0)
    return error_wrap(err, "state %s", id);
  *out = make_state(&h, true, err);
  if (*out == NULL)
    return error_wrap(err, "state %s", id);
  return 0;
}

int container_list(const ocirt_runtime *rt, oci_state ***out, size_t *n, ocirt_error *err)
{
  cleanup_strv char **ids = NULL;
  size_t count;
  *out = NULL;
  *n = 0;
  if (state_list_ids(rt->root, &ids, &count, err) < 0)
    return error_wrap(err, "list");
  *out = xcalloc(count + 1, sizeof(oci_state *));
  for (size_t i = 0; i < count; i++) {
    cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
    cleanup_error ocirt_error ignored = { 0 };
    if (state_open(rt->root, ids[i], false, &h, &ignored) < 0)
      continue; /* deleted meanwhile */
    oci_state *st = make_state(&h, false, err);
    /* runc's list names the owner of the state folder (its state command leaves owner empty). */
    struct stat sb;
    if (fstat(h.dir_fd, &sb) == 0) {
      struct passwd pw, *found = NULL;
      char buf[1024];
      free(st->owner);
      if (getpwuid_r(sb.st_uid, &pw, buf, sizeof(buf), &found) == 0 && found)
        st->owner = xstrdup(found->pw_name);
      else
        st->owner = xasprintf("#%u", (unsigned) sb.st_uid);
    }
    (*out)[(*n)++] = st;
  }
  return 0;
}

/* ---- kill ------------------------------------------------------------------------------------ */

/* A pidfd for the container's init, only if the pid still is that process (not a reused pid). */
int open_init_pidfd(const oci_container_status *s)
{
  if (s->pid <= 0)
    return -1;
  int fd = (int) syscall(SYS_pidfd_open, s->pid, 0);
  if (fd < 0)
    return -1;
  uint64_t start;
  bool zombie;
  if (proc_start_time(s->pid, &start, &zombie) < 0 || start != s->pid_start) {
    close(fd);
    errno = ESRCH;
    return -1;
  }
  return fd;
}

int container_kill(const ocirt_runtime *rt, const char *id, int sig, bool all, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  if (state_validate_id(id, err) < 0 || state_open(rt->root, id, true, &h, err) < 0 || state_load(&h, err) < 0)
    return error_wrap(err, "kill %s", id);
  bool alive;
  const char *status = state_live_status(&h, &alive);
  if (!alive)
    return error_set(err, 0, "kill %s: container not running (%s)", id, status);
  if (all && h.status->cgroup_path) {
    if (cgroup_kill_all(h.status->cgroup_path, sig, err) < 0)
      return error_wrap(err, "kill %s", id);
    return 0;
  }
  cleanup_close int pidfd = open_init_pidfd(h.status);
  if (pidfd < 0)
    return error_set(err, errno, "kill %s", id);
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return error_set(err, errno, "kill %s: signal %d", id, sig);
  return 0;
}

/* ---- delete ---------------------------------------------------------------------------------- */

/* Wait until the process behind pidfd has exited, up to timeout_ms. */
static bool wait_pidfd(int pidfd, int timeout_ms)
{
  struct pollfd p = { pidfd, POLLIN, 0 };
  return TEMP_FAILURE_RETRY(poll(&p, 1, timeout_ms)) == 1;
}

/* Kill whatever is left of the container and wait until its processes are gone. */
static int kill_and_wait(container_handle *h, const char *cgroup_path, ocirt_error *err)
{
  cleanup_close int pidfd = h->status ? open_init_pidfd(h->status) : -1;
  if (cgroup_path && cgroup_is_frozen(cgroup_path) == 1) {
    /* A paused container: frozen tasks die only once thawed; they get SIGKILL first, so none of
     * them runs on. */
    cleanup_error ocirt_error ignored = { 0 };
    cgroup_kill_all(cgroup_path, SIGKILL, &ignored);
    cgroup_freeze(cgroup_path, false, &ignored);
  }
  if (pidfd >= 0) {
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    cleanup_error ocirt_error ignored = { 0 };
    cgroup_kill_all(cgroup_path, SIGKILL, &ignored);
    cgroup_thaw(cgroup_path); /* after the signals: a frozen process dies only once thawed */
    if (!wait_pidfd(pidfd, 10000))
      return error_set(err, ETIMEDOUT, "container init (pid %d) did not exit after SIGKILL", h->status->pid);
  }
  if (cgroup_path == NULL)
    return 0; /* --cgroup-manager disabled: the init (and its pid namespace) is all there is */
  /* Processes that joined later (exec) or escaped the pid namespace's teardown: kill via cgroup. */
  for (int attempt = 0; attempt < 1000; attempt++) {
    cleanup_error ocirt_error ignored = { 0 };
    int n = cgroup_kill_all(cgroup_path, SIGKILL, &ignored);
    if (n <= 0)
      return 0;
    cgroup_thaw(cgroup_path);
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  return error_set(err, ETIMEDOUT, "processes of cgroup `%s` did not exit", cgroup_path);
}

static int delete_locked(const ocirt_runtime *rt, container_handle *h, bool force, bool keep_rootfs, ocirt_error *err)
{
  FAULT_POINT("delete.locked");
  cleanup_error ocirt_error load_err = { 0 };
  bool loaded = state_load(h, &load_err) == 0;
  oci_spec *spec = NULL;
  cleanup_error ocirt_error config_err = { 0 };
  load_saved_config(h, &spec, &config_err);

  bool alive = false;
  const char *status = loaded ? state_live_status(h, &alive) : "stopped";
  if (alive && !force && strcmp(status, "created") != 0) {
    oci_spec_free(spec);
    return error_set(err, 0, "cannot delete container %s that is not stopped: %s", h->id, status);
  }

  cleanup_free char *cgroup_path = NULL;
  if (loaded) {
    /* No cgroupPath in the state: made with --cgroup-manager disabled. */
    if (h->status->cgroup_path && *h->status->cgroup_path)
      cgroup_path = xstrdup(h->status->cgroup_path);
  } else if (!rt->no_cgroups) {
    cleanup_error ocirt_error ignored = { 0 };
    if (spec == NULL || container_cgroup_path(rt, spec, h->id, &cgroup_path, &ignored) < 0)
      cgroup_path = NULL;
  }
  int ret = 0;
  if ((cgroup_path || loaded) && kill_and_wait(h, cgroup_path, err) < 0)
    ret = -1;
  FAULT_POINT("delete.after-kill");
  if (ret == 0 && spec && spec->hooks && spec->hooks->poststop_len) {
    cleanup_free char *json
        = state_json(h->id, "stopped", 0, loaded ? h->status->bundle : "", spec);
    /* The spec: a failing poststop hook is a warning; the other hooks and the delete go on. */
    hooks_run_all(spec->hooks->poststop, spec->hooks->poststop_len, "poststop", json, warn);
  }
  if (ret == 0 && cgroup_path && cgroup_destroy(cgroup_path, err) < 0)
    ret = -1;
  FAULT_POINT("delete.after-cgroup-destroy");
  if (ret == 0 && dm_rootfs_wanted(spec) && dm_rootfs_release(spec, h->id, keep_rootfs, err) < 0)
    ret = -1;
  if (ret == 0)
    ret = state_destroy(h, err);
  oci_spec_free(spec);
  return ret;
}

int container_delete(const ocirt_runtime *rt, const char *id, bool force, ocirt_error *err)
{
  return container_delete_keep(rt, id, force, false, err);
}

int container_delete_keep(const ocirt_runtime *rt, const char *id, bool force, bool keep_rootfs, ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  if (state_validate_id(id, err) < 0)
    return error_wrap(err, "delete %s", id);
  if (state_open(rt->root, id, true, &h, err) < 0) {
    /* containerd deletes twice; the second delete --force of a gone container must succeed. */
    if (force && err->errno_value == ENOENT) {
      error_clear(err);
      return 0;
    }
    return error_wrap(err, "delete %s", id);
  }
  if (delete_locked(rt, &h, force, keep_rootfs, err) < 0)
    return error_wrap(err, "delete %s", id);
  return 0;
}

/* ---- run ------------------------------------------------------------------------------------- */

static const int forwarded_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };

void block_forwarded_signals(sigset_t *set, sigset_t *old)
{
  sigemptyset(set);
  sigaddset(set, SIGCHLD);
  for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(int); i++)
    sigaddset(set, forwarded_signals[i]);
  sigprocmask(SIG_BLOCK, set, old);
}

/* Wait for the container's init (our child), passing on the signals we receive. */
int wait_forwarding(pid_t pid, int *exit_status, ocirt_error *err)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(int); i++)
    sigaddset(&set, forwarded_signals[i]);
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return 0;
    }
    if (r < 0 && errno != EINTR)
      return error_set(err, errno, "wait for the container");
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig > 0 && sig != SIGCHLD)
      kill(pid, sig);
  }
}

int container_run(const ocirt_runtime *rt, const char *id, const create_options *opts, int *exit_status,
                  ocirt_error *err)
{
  *exit_status = 0;
  /* Block the signals we forward before the clone, so none is lost; the child unblocks them. */
  sigset_t set, old;
  if (!opts->detach)
    block_forwarded_signals(&set, &old);

  create_context c;
  if (create_common(rt, id, opts, !opts->detach, &c, err) < 0)
    return -1;
  pid_t pid = c.pid;
  c.pid = -1; /* from here the container is a real one: delete, not create_undo, removes it */
  cleanup_close int master = -1; /* foreground with a terminal: the init sent it before READY */
  if (c.tty.parent_fd >= 0 && terminal_recv_fd(c.tty.parent_fd, &master, NULL, err) == 0)
    terminal_copy_size(STDIN_FILENO, master); /* before start: the program's first look sees it */
  if ((c.tty.parent_fd >= 0 && master < 0) || start_locked(&c.state, c.cfg.spec, err) < 0) {
    error_wrap(err, "run %s", id);
    cleanup_error ocirt_error ignored = { 0 };
    delete_locked(rt, &c.state, true, false, &ignored);
    if (!opts->detach)
      TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
    create_context_free(&c);
    return -1;
  }
  if (opts->detach) {
    create_context_free(&c);
    return 0;
  }
  /* Let other commands (state, kill) in while we wait. */
  create_context_free(&c);
  int ret = master >= 0 ? terminal_foreground(master, pid, &set, exit_status, err)
                        : wait_forwarding(pid, exit_status, err);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (ret < 0)
    return error_wrap(err, "run %s", id);
  if (!opts->keep && container_delete(rt, id, true, err) < 0)
    return -1;
  return 0;
}
