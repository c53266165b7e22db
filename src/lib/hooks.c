#include "config.h"
#include "hooks.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Trim to the last line-ish part a person wants to read. */
static void trim(char *s)
{
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
    s[--n] = '\0';
  for (char *p = s; *p; p++)
    if (*p == '\n')
      *p = ' ';
}

static int run_one(const oci_hook *hook, const char *state_json, char *stderr_buf, size_t cap, int *status,
                   bool *timed_out, ocirt_error *err)
{
  int in_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) < 0)
    return error_set(err, errno, "pipe");
  if (pipe2(err_pipe, O_CLOEXEC) < 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return error_set(err, errno, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(in_pipe[0]), close(in_pipe[1]), close(err_pipe[0]), close(err_pipe[1]);
    return error_set(err, saved, "fork");
  }
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(err_pipe[1], 2);
    setsid();
    cleanup_free char **argv = xcalloc(hook->args_len + 2, sizeof(char *));
    cleanup_free char **envp = xcalloc(hook->env_len + 1, sizeof(char *));
    if (hook->args_len > 0)
      memcpy(argv, hook->args, hook->args_len * sizeof(char *));
    else
      argv[0] = hook->path;
    if (hook->env_len > 0) /* env is NULL when the hook has none: memcpy(.., NULL, 0) is undefined */
      memcpy(envp, hook->env, hook->env_len * sizeof(char *));
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(hook->path, argv, envp);
    dprintf(2, "exec %s: %s", hook->path, strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(err_pipe[1]);
  cleanup_close int in_fd = in_pipe[1];
  cleanup_close int err_fd = err_pipe[0];
  cleanup_close int pid_fd = (int) syscall(SYS_pidfd_open, pid, 0);
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  size_t to_write = strlen(state_json), written = 0, got = 0;
  long long deadline = hook->has_timeout && hook->timeout > 0 ? now_ms() + hook->timeout * 1000LL : -1;
  bool exited = false;
  *timed_out = false;
  while (!exited) {
    struct pollfd fds[3] = { { in_fd, POLLOUT, 0 }, { err_fd, POLLIN, 0 }, { pid_fd, POLLIN, 0 } };
    int wait_ms = -1;
    if (deadline >= 0) {
      long long left = deadline - now_ms();
      if (left <= 0) {
        *timed_out = true;
        /* The hook leads its own session (setsid): its children go with it. */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        break;
      }
      wait_ms = (int) left;
    }
    if (poll(fds, 3, wait_ms) < 0 && errno != EINTR)
      break;
    if (in_fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, state_json + written, to_write - written);
      if (n > 0)
        written += (size_t) n;
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        written = to_write; /* the hook closed stdin: it does not want the state */
      if (written == to_write)
        close(steal_fd(&in_fd));
    }
    if (err_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char buf[512];
      ssize_t n = read(err_fd, buf, sizeof(buf));
      if (n <= 0)
        close(steal_fd(&err_fd));
      else {
        size_t take = (size_t) n < cap - 1 - got ? (size_t) n : cap - 1 - got;
        memcpy(stderr_buf + got, buf, take);
        got += take;
      }
    }
    if (pid_fd >= 0 && (fds[2].revents & POLLIN)) {
      /* The hook is gone; take what it left in the pipe without waiting for its children. */
      exited = true;
      if (err_fd >= 0) {
        fcntl(err_fd, F_SETFL, O_NONBLOCK);
        ssize_t n;
        while (got < cap - 1 && (n = read(err_fd, stderr_buf + got, cap - 1 - got)) > 0)
          got += (size_t) n;
      }
    } else if (pid_fd < 0 && err_fd < 0)
      exited = true;
  }
  stderr_buf[got] = '\0';
  if (TEMP_FAILURE_RETRY(waitpid(pid, status, 0)) < 0)
    return error_set(err, errno, "wait for hook `%s`", hook->path);
  return 0;
}

/* Run one hook; 0 when it exited 0, else -1 with what it printed on stderr. */
static int run_checked(const oci_hook *hook, size_t i, const char *kind, const char *state_json, ocirt_error *err)
{
  char output[4096];
  int status = 0;
  bool timed_out = false;
  if (run_one(hook, state_json, output, sizeof(output), &status, &timed_out, err) < 0)
    return error_wrap(err, "%s hook %zu", kind, i);
  trim(output);
  const char *sep = output[0] ? ": " : "";
  if (timed_out)
    return error_set(err, ETIMEDOUT, "%s hook `%s` timed out after %d s%s%s", kind, hook->path, hook->timeout, sep,
                     output);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return error_set(err, 0, "%s hook `%s` exited with status %d%s%s", kind, hook->path, WEXITSTATUS(status), sep,
                     output);
  if (WIFSIGNALED(status))
    return error_set(err, 0, "%s hook `%s` killed by signal %d%s%s", kind, hook->path, WTERMSIG(status), sep,
                     output);
  return 0;
}

int hooks_run(oci_hook **hooks, size_t n, const char *kind, const char *state_json, ocirt_error *err)
{
  for (size_t i = 0; i < n; i++)
    if (run_checked(hooks[i], i, kind, state_json, err) < 0)
      return -1;
  return 0;
}

void hooks_run_all(oci_hook **hooks, size_t n, const char *kind, const char *state_json, void (*warn)(const char *))
{
  for (size_t i = 0; i < n; i++) {
    cleanup_error ocirt_error err = { 0 };
    if (run_checked(hooks[i], i, kind, state_json, &err) < 0 && warn)
      warn(err.msg);
  }
}
