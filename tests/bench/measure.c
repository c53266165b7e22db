/* measure STEP [-- STEP]...: run the steps one after another and print, on one line,
 *   wall_us cpu_us maxrss_kb
 * the wall time of all steps together, the CPU time (user + system) of every process they started,
 * and the peak RSS of the largest of them (getrusage(RUSAGE_CHILDREN)).
 * A STEP is a command and its arguments, or `@wait`: wait until every orphaned process adopted by
 * measure (a subreaper, so a detached container's init comes back to it) has exited.
 * Stdio of the steps is /dev/null.  Any step that fails ends measure with status 1 and a message. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_step(char **argv)
{
  pid_t pid = fork();
  if (pid < 0)
    return perror("measure: fork"), -1;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0), dup2(null, 1); /* stderr stays: a failure says why */
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  for (;;) { /* adopted orphans may end first: reap them, keep waiting for ours */
    pid_t got = waitpid(-1, &status, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return perror("measure: waitpid"), -1;
    if (got == pid)
      break;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "measure: `%s", argv[0]);
    for (char **a = argv + 1; *a; a++)
      fprintf(stderr, " %s", *a);
    fprintf(stderr, "` failed (status 0x%x)\n", status);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: measure CMD [ARGS...] [-- CMD [ARGS...] | -- @wait]...\n");
    return 2;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 1; i < argc;) {
    int end = i;
    while (end < argc && strcmp(argv[end], "--") != 0)
      end++;
    argv[end < argc ? end : argc] = NULL;
    if (strcmp(argv[i], "@wait") == 0) {
      while (wait(NULL) > 0 || errno == EINTR)
        ;
    } else if (run_step(argv + i) < 0) {
      return 1;
    }
    i = end + 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  long long wall = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
  long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  printf("%lld %lld %ld\n", wall, cpu, ru.ru_maxrss);
  return 0;
}
