#include "config.h"
#include "process.h"
#include "caps.h"
#include "utils.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (stat(arg0, &st) < 0)
      return error_set(err, errno, "exec: \"%s\": stat %s", arg0, arg0);
    if (!S_ISREG(st.st_mode) || access(arg0, X_OK) < 0)
      return error_set(err, EACCES, "exec: \"%s\"", arg0);
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

int process_apply_rlimits(const oci_process *p, ocirt_error *err)
{
  for (size_t i = 0; i < p->rlimits_len; i++) {
    const oci_rlimit *r = p->rlimits[i];
    int resource = rlimit_lookup(r->type);
    struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
    if (resource < 0)
      return error_set(err, 0, "unknown rlimit `%s`", r->type);
    if (setrlimit(resource, &lim) < 0)
      return error_set(err, errno, "setrlimit %s (soft %llu, hard %llu)", r->type, (unsigned long long) r->soft,
                       (unsigned long long) r->hard);
  }
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
  memcpy(argv, p->args, p->args_len * sizeof(char *));
  memcpy(envp, p->env, p->env_len * sizeof(char *));
  execve(path, argv, envp);
  return error_set(err, errno, "exec `%s`", path);
}
