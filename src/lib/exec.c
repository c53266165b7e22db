/* exec: a new process in a running container.
 *
 * ocirt exec                                    the new process
 *   lock the state, check the container runs,
 *   open its pidfd, /proc/PID/ns/X, /proc/PID/root
 *   (checked against the pidfd: no reused pid)
 *   setns(pid) for children; clone ---------->  enter the cgroup; setns user, then the others,
 *                                               mount last; chroot to the container's root;
 *                                               close every host fd; chdir cwd (checked inside);
 *                                               rlimits, seccomp, user, capabilities; exec
 *   error pipe: EOF = exec happened  <--------  or the error message
 *   --pid-file; wait, forwarding signals (unless --detach)
 */
#include "config.h"
#include "exec.h"
#include "bundle.h"
#include "cgroup.h"
#include "container-private.h"
#include "fault.h"
#include "namespaces.h"
#include "label.h"
#include "process.h"
#include "seccomp_profile.h"
#include "state.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NS 16

typedef struct {
  oci_spec *spec;
  oci_process *process;
  char *cgroup_path;
  int ns_fds[MAX_NS]; /* -1: not joined; index = namespace table index */
  int root_fd;        /* /proc/PID/root: the container's root, also with --no-pivot */
  int error_pipe[2];
  seccomp_filter *seccomp;
  int seccomp_listener;
  terminal_plan tty; /* process.terminal: where the pty's master goes */
  char *state_json;  /* for the seccomp agent */
  pid_t init_pid;
  unsigned preserve_fds;
} exec_context;

static void exec_context_free(exec_context *x)
{
  for (int i = 0; i < MAX_NS; i++)
    if (x->ns_fds[i] >= 0)
      close(x->ns_fds[i]);
  if (x->root_fd >= 0)
    close(x->root_fd);
  for (int i = 0; i < 2; i++)
    if (x->error_pipe[i] >= 0)
      close(x->error_pipe[i]);
  if (x->seccomp_listener >= 0)
    close(x->seccomp_listener);
  seccomp_filter_free(x->seccomp);
  terminal_plan_close(&x->tty);
  oci_free(&oci_process_type, x->process);
  oci_spec_free(x->spec);
  free(x->cgroup_path);
  free(x->state_json);
}

/* ---- the process to run ---------------------------------------------------------------------- */

/* Set KEY=VALUE in the environment, replacing an existing KEY. */
static void env_set(oci_process *p, const char *kv)
{
  size_t key_len = strcspn(kv, "=");
  for (size_t i = 0; i < p->env_len; i++)
    if (strncmp(p->env[i], kv, key_len) == 0 && p->env[i][key_len] == '=') {
      free(p->env[i]);
      p->env[i] = xstrdup(kv);
      return;
    }
  strv_push(&p->env, &p->env_len, kv);
}

/* A deep copy, through JSON: the one walker knows every field. */
static oci_process *process_copy(const oci_process *p)
{
  cleanup_free char *json = oci_generate(&oci_process_type, p, false, NULL);
  cleanup_free char *parse_error = NULL;
  oci_process *copy = json ? oci_parse_data(&oci_process_type, json, strlen(json), "process", &parse_error) : NULL;
  if (copy == NULL)
    abort(); /* our own output always parses */
  return copy;
}

static int parse_user(const char *s, oci_user *u, ocirt_error *err)
{
  cleanup_free char *copy = xstrdup(s);
  char *colon = strchr(copy, ':');
  if (colon)
    *colon = '\0';
  uint64_t uid, gid = u->gid;
  if (parse_uint64(copy, &uid) < 0 || uid > UINT32_MAX - 1 || (colon && (parse_uint64(colon + 1, &gid) < 0 || gid > UINT32_MAX - 1)))
    return error_set(err, 0, "--user: expected uid[:gid] as numbers, got `%s`", s);
  u->uid = (uint32_t) uid;
  u->gid = (uint32_t) gid;
  return 0;
}

static int build_process(const oci_spec *spec, const exec_options *o, oci_process **out, ocirt_error *err)
{
  oci_process *p;
  if (o->process_file) {
    cleanup_free char *parse_error = NULL;
    p = oci_parse_file(&oci_process_type, o->process_file, o->process_file, &parse_error);
    if (p == NULL)
      return error_take(err, 0, steal_ptr(&parse_error));
    if (p->user == NULL)
      p->user = xcalloc(1, sizeof(oci_user));
  } else {
    if (o->args_len == 0)
      return error_set(err, 0, "no command: give it after the container id, or use --process");
    p = process_copy(spec->process);
    for (size_t i = 0; i < p->args_len; i++)
      free(p->args[i]);
    free(p->args);
    p->args = NULL;
    p->args_len = 0;
    for (size_t i = 0; i < o->args_len; i++)
      strv_push(&p->args, &p->args_len, o->args[i]);
    p->terminal = false;
  }
  *out = p; /* the caller frees it, also on error */

  for (size_t i = 0; i < o->env_len; i++) {
    if (strchr(o->env[i], '=') == NULL || o->env[i][0] == '=')
      return error_set(err, 0, "--env: expected KEY=VALUE, got `%s`", o->env[i]);
    env_set(p, o->env[i]);
  }
  if (o->cwd) {
    free(p->cwd);
    p->cwd = xstrdup(o->cwd);
  }
  if (o->user && parse_user(o->user, p->user, err) < 0)
    return -1;
  if (o->additional_gids_len) {
    free(p->user->additional_gids);
    p->user->additional_gids = xcalloc(o->additional_gids_len, sizeof(uint32_t));
    memcpy(p->user->additional_gids, o->additional_gids, o->additional_gids_len * sizeof(uint32_t));
    p->user->additional_gids_len = o->additional_gids_len;
  }
  if (o->caps_len) {
    if (p->capabilities == NULL)
      p->capabilities = xcalloc(1, sizeof(oci_capabilities));
    oci_capabilities *c = p->capabilities;
    for (size_t i = 0; i < o->caps_len; i++) {
      strv_push(&c->bounding, &c->bounding_len, o->caps[i]);
      strv_push(&c->effective, &c->effective_len, o->caps[i]);
      strv_push(&c->permitted, &c->permitted_len, o->caps[i]);
      /* Ambient needs inheritable, which --cap does not add (as runc). */
      if (c->inheritable_len)
        strv_push(&c->ambient, &c->ambient_len, o->caps[i]);
    }
  }
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->tty)
    p->terminal = true;
  if (o->process_label) {
    free(p->selinux_label);
    p->selinux_label = xstrdup(o->process_label);
  }
  if (o->apparmor) {
    free(p->apparmor_profile);
    p->apparmor_profile = xstrdup(o->apparmor);
  }
  cleanup_strv char **warnings = NULL;
  if (config_validate_process(p, o->process_file ? "process" : ".process", &warnings, err) < 0)
    return -1;
  for (char **w = warnings; w && *w; w++)
    if (ocirt_warning_handler)
      ocirt_warning_handler(*w);
  return 0;
}

/* ---- the container's namespaces -------------------------------------------------------------- */

static bool same_file(int fd, const char *path)
{
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Open /proc/PID/ns/X for every namespace the config lists (made or joined: either way the init
 * process is in it now) that differs from ours. */
static int open_namespaces(exec_context *x, ocirt_error *err)
{
  size_t n;
  const namespace_type *table = namespace_table(&n);
  const oci_linux *l = x->spec->linux_;
  for (size_t i = 0; l && i < l->namespaces_len; i++) {
    const namespace_type *t = namespace_lookup(l->namespaces[i]->type);
    if (t == NULL)
      continue;
    size_t index = (size_t) (t - table);
    if (index >= MAX_NS || x->ns_fds[index] >= 0)
      continue;
    cleanup_free char *path = xasprintf("/proc/%d/ns/%s", (int) x->init_pid, t->proc_name);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return error_set(err, errno, "open %s", path);
    cleanup_free char *own = xasprintf("/proc/self/ns/%s", t->proc_name);
    if (same_file(fd, own))
      continue; /* setns into our own user namespace fails, and the others change nothing */
    x->ns_fds[index] = steal_fd(&fd);
  }
  return 0;
}

/* ---- the new process ------------------------------------------------------------------------- */

static void __attribute__((noreturn)) child_fail(exec_context *x, ocirt_error *err)
{
  dprintf(x->error_pipe[1], "%d:%s", err->errno_value, err->msg ? err->msg : "failed");
  _exit(127);
}

/* Close every fd from `from` on but the ones in keep[] (sorted, unique). */
static void close_fds_except(int from, const int *keep, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (keep[i] < from)
      continue;
    if (keep[i] > from)
      syscall(SYS_close_range, (unsigned) from, (unsigned) keep[i] - 1, 0);
    from = keep[i] + 1;
  }
  syscall(SYS_close_range, (unsigned) from, ~0U, 0);
}

static int join_namespaces(exec_context *x, ocirt_error *err)
{
  size_t n;
  const namespace_type *table = namespace_table(&n);
  /* The user namespace first (it grants the rights for the others), the mount namespace last
   * (after it, host paths mean nothing); the pid namespace was entered by the parent for us. */
  for (int pass = 0; pass < 3; pass++)
    for (size_t i = 0; i < n && i < MAX_NS; i++) {
      int flag = table[i].clone_flag;
      bool now = pass == 0 ? flag == CLONE_NEWUSER : pass == 2 ? flag == CLONE_NEWNS
                                                                : flag != CLONE_NEWUSER && flag != CLONE_NEWNS;
      if (!now || flag == CLONE_NEWPID || x->ns_fds[i] < 0)
        continue;
      if (setns(x->ns_fds[i], flag) < 0)
        return error_set(err, errno, "join the container's %s namespace", table[i].name);
    }
  return 0;
}

static void __attribute__((noreturn)) exec_child(exec_context *x)
{
  cleanup_error ocirt_error err = { 0 };
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  close(x->error_pipe[0]);
  const oci_process *p = x->process;

  /* The host's cgroupfs is still ours to write before we change namespaces ("0": this process). */
  if (x->cgroup_path && cgroup_enter(x->cgroup_path, 0, &err) < 0)
    child_fail(x, &err);
  /* Our pid as the runtime sees it, for the seccomp agent: the host's /proc is still ours. */
  char self[32] = "0";
  if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
    strcpy(self, "0");
  pid_t host_pid = (pid_t) atoi(self);
  /* The files that label the next exec: opened through the host's /proc, not the container's. */
  __attribute__((cleanup(label_exec_close))) label_exec label = LABEL_EXEC_INIT;
  if (label_exec_open(p, &label, &err) < 0)
    child_fail(x, &err);
  if (join_namespaces(x, &err) < 0)
    child_fail(x, &err);
  if (fchdir(x->root_fd) < 0 || chroot(".") < 0) {
    error_set(&err, errno, "enter the container's root");
    child_fail(x, &err);
  }
  /* Nothing of the host may stay open past here: a leaked directory fd and a cwd of
   * /proc/self/fd/N would reach the host's filesystem (CVE-2024-21626). */
  int keep[5];
  size_t n_keep = 0;
  int wanted[] = { x->error_pipe[1], x->seccomp_listener, x->tty.child_fd, label.apparmor_fd, label.selinux_fd };
  for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) /* sorted insert */
    if (wanted[i] >= 0) {
      size_t j = n_keep++;
      for (; j > 0 && keep[j - 1] > wanted[i]; j--)
        keep[j] = keep[j - 1];
      keep[j] = wanted[i];
    }
  close_fds_except(3 + (int) x->preserve_fds, keep, n_keep);
  if (chdir(p->cwd) < 0) {
    error_set(&err, errno, "chdir to cwd `%s`", p->cwd);
    child_fail(x, &err);
  }
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/') {
    error_set(&err, 0, "cwd `%s` is outside the container", p->cwd);
    child_fail(x, &err);
  }
  cleanup_free char *exe = NULL;
  /* rlimits, ioPriority, scheduler of the new process; the container's personality */
  oci_spec attributes = *x->spec;
  attributes.process = x->process;
  if (process_apply_attributes(&attributes, &err) < 0 || process_find_executable(p, &exe, &err) < 0)
    child_fail(x, &err);
  if (x->tty.child_fd >= 0) {
    /* a pty of the container's devpts; /dev/console stays the container's own */
    cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || terminal_setup_container(root, steal_fd(&x->tty.child_fd), p, false, &err) < 0)
      child_fail(x, &err);
  }

  if (label_exec_apply(&label, p, &err) < 0)
    child_fail(x, &err);
  bool nnp = p->no_new_privileges;
  int listener = -1;
  if (x->seccomp && !nnp && seccomp_filter_load(x->seccomp, &listener, &err) < 0)
    child_fail(x, &err);
  if (process_apply_identity(p, &err) < 0)
    child_fail(x, &err);
  if (x->seccomp && nnp && seccomp_filter_load(x->seccomp, &listener, &err) < 0)
    child_fail(x, &err);
  if (listener >= 0) {
    const oci_seccomp *s = x->spec->linux_->seccomp;
    if (seccomp_listener_send(x->seccomp_listener, listener, host_pid, s->listener_metadata, x->state_json, &err) < 0)
      child_fail(x, &err);
    close(listener);
    close(x->seccomp_listener);
  }
  process_exec(p, exe, &err);
  child_fail(x, &err);
}

/* Clone the new process into the container's pid namespace. */
static pid_t clone_child(exec_context *x, ocirt_error *err)
{
  size_t n;
  const namespace_type *table = namespace_table(&n);
  int pid_fd = -1;
  for (size_t i = 0; i < n && i < MAX_NS; i++)
    if (table[i].clone_flag == CLONE_NEWPID)
      pid_fd = x->ns_fds[i];
  cleanup_close int own_pidns = -1;
  if (pid_fd >= 0) {
    own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
    if (own_pidns < 0 || setns(pid_fd, CLONE_NEWPID) < 0)
      return error_set(err, errno, "join the container's pid namespace");
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = (pid_t) syscall(SYS_clone, (unsigned long) SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0)
    exec_child(x);
  int saved = errno;
  if (own_pidns >= 0)
    setns(own_pidns, CLONE_NEWPID);
  if (pid < 0)
    return error_set(err, saved, "clone");
  return pid;
}

/* Read the child's report: EOF means it exec'd. */
static int child_result(exec_context *x, pid_t pid, ocirt_error *err)
{
  close(x->error_pipe[1]);
  x->error_pipe[1] = -1;
  char buf[4096];
  ssize_t len = read_all(x->error_pipe[0], buf, sizeof(buf) - 1);
  if (len <= 0)
    return 0;
  buf[len] = '\0';
  TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
  char *colon = strchr(buf, ':');
  int errno_value = colon ? atoi(buf) : 0;
  return error_take(err, errno_value, xstrdup(colon ? colon + 1 : buf));
}

/* Everything read from the container while its state is locked, so a concurrent delete cannot
 * swap it under us. */
static int prepare(const ocirt_runtime *rt, const char *id, const exec_options *o, exec_context *x,
                   ocirt_error *err)
{
  cleanup_handle container_handle h = CONTAINER_HANDLE_INIT;
  if (state_validate_id(id, err) < 0 || state_open(rt->root, id, true, &h, err) < 0 || state_load(&h, err) < 0)
    return -1;
  bool alive;
  const char *status = state_live_status(&h, &alive);
  if (!alive || strcmp(status, "stopped") == 0)
    return error_set(err, 0, "cannot exec in a stopped container");
  if (strcmp(status, "paused") == 0 && !o->ignore_paused)
    return error_set(err, 0, "cannot exec in a paused container (--ignore-paused to try anyway)");

  cleanup_free char *raw = NULL;
  size_t raw_len;
  if (read_file_at(h.dir_fd, STATE_CONFIG, 64 << 20, &raw, &raw_len, err) < 0)
    return error_wrap(err, "the container's config.json");
  cleanup_free char *parse_error = NULL;
  x->spec = oci_parse_data(&oci_spec_type, raw, raw_len, "config.json", &parse_error);
  if (x->spec == NULL)
    return error_take(err, 0, steal_ptr(&parse_error));
  if (build_process(x->spec, o, &x->process, err) < 0)
    return -1;
  if (terminal_plan_open(o->console_socket, x->process->terminal, !o->detach, &x->tty, err) < 0)
    return -1;
  if (passed_fds_check(3, o->preserve_fds, "--preserve-fds", err) < 0)
    return -1;

  cleanup_close int pidfd = open_init_pidfd(h.status);
  if (pidfd < 0)
    return error_set(err, errno, "cannot exec in a stopped container");
  x->init_pid = h.status->pid;
  if (open_namespaces(x, err) < 0)
    return -1;
  cleanup_free char *root = xasprintf("/proc/%d/root", (int) x->init_pid);
  x->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (x->root_fd < 0)
    return error_set(err, errno, "open %s", root);
  /* Opened after the pidfd: if the init is still the one the pidfd names, the fds are its. */
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
    return error_set(err, 0, "cannot exec in a stopped container");
  if (h.status->cgroup_path && h.status->cgroup_path[0])
    x->cgroup_path = xstrdup(h.status->cgroup_path);

  const oci_linux *l = x->spec->linux_;
  if (l && l->seccomp) {
    if (seccomp_filter_build(l->seccomp, &x->seccomp, err) < 0)
      return -1;
    if (seccomp_filter_has_notify(x->seccomp)) {
      x->seccomp_listener = seccomp_listener_connect(l->seccomp->listener_path, err);
      if (x->seccomp_listener < 0)
        return -1;
      oci_state st = { .oci_version = (char *) OCI_SPEC_VERSION, .id = (char *) id, .pid = x->init_pid,
                       .status = (char *) status, .bundle = h.status->bundle };
      x->state_json = oci_generate(&oci_state_type, &st, false, NULL);
    }
  }
  return 0;
}

int container_exec(const ocirt_runtime *rt, const char *id, const exec_options *o, int *exit_status,
                   ocirt_error *err)
{
  *exit_status = 0;
  exec_context x = { .root_fd = -1, .error_pipe = { -1, -1 }, .seccomp_listener = -1,
                     .tty = TERMINAL_PLAN_INIT, .preserve_fds = o->preserve_fds };
  for (int i = 0; i < MAX_NS; i++)
    x.ns_fds[i] = -1;
  sigset_t set, old;
  int ret = -1;
  cleanup_close int master = -1;
  if (prepare(rt, id, o, &x, err) < 0)
    goto out;
  FAULT_POINT("exec.after-prepare");
  if (pipe2(x.error_pipe, O_CLOEXEC) < 0) {
    error_set(err, errno, "pipe");
    goto out;
  }
  if (!o->detach)
    block_forwarded_signals(&set, &old);
  pid_t pid = clone_child(&x, err);
  if (x.tty.child_fd >= 0)
    close(steal_fd(&x.tty.child_fd)); /* the child has its copy */
  if (pid > 0)
    FAULT_POINT("exec.after-clone");
  if (pid < 0 || child_result(&x, pid, err) < 0)
    goto restore;
  FAULT_POINT("exec.after-child-exec");
  /* foreground with a terminal: the child sent the master before it exec'd */
  if (x.tty.parent_fd >= 0 && terminal_recv_fd(x.tty.parent_fd, &master, NULL, err) < 0)
    goto restore;
  if (o->pid_file && write_pid_file(o->pid_file, pid, err) < 0)
    goto restore;
  if (o->detach) {
    ret = 0;
    goto out;
  }
  exec_context_free(&x);
  memset(&x, 0, sizeof(x));
  x.root_fd = x.seccomp_listener = x.error_pipe[0] = x.error_pipe[1] = -1;
  x.tty = (terminal_plan) TERMINAL_PLAN_INIT;
  for (int i = 0; i < MAX_NS; i++)
    x.ns_fds[i] = -1;
  ret = master >= 0 ? terminal_foreground(master, pid, &set, exit_status, err) : wait_forwarding(pid, exit_status, err);
restore:
  if (!o->detach)
    sigprocmask(SIG_SETMASK, &old, NULL);
out:
  exec_context_free(&x);
  if (ret < 0)
    error_wrap(err, "exec %s", id);
  return ret;
}
