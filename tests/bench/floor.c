/* floor: what the kernel itself costs for the benchmark's container, the limit no runtime can beat.
 *   floor run ROOTFS         clone into new pid, mount, network, ipc, uts and cgroup namespaces (as the
 *                            default `ocirt spec` config), bind the rootfs, mount /proc, pivot_root,
 *                            exec /bin/true; wait for it
 *   floor exec PID           join the namespaces of PID, fork, exec /bin/true; wait for it
 * No config, no cgroup, no /dev, no seccomp, no capabilities: only the syscalls a container needs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NS_FLAGS (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)
static char *const true_argv[] = { "/bin/true", NULL };

static int die(const char *what) { perror(what); _exit(1); }

static int init(void *rootfs)
{
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind rootfs");
  if (chdir(rootfs) < 0) die("chdir rootfs");
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount proc");
  if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root"); /* old root stacked on the new one */
  if (umount2(".", MNT_DETACH) < 0) die("umount old root");
  if (chdir("/") < 0) die("chdir /");
  execv(true_argv[0], true_argv);
  return die("exec /bin/true");
}

static int wait_ok(pid_t pid)
{
  int status;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return perror("floor: clone/wait"), 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
  static char stack[64 * 1024];
  if (argc == 3 && strcmp(argv[1], "run") == 0)
    return wait_ok(clone(init, stack + sizeof(stack), NS_FLAGS | SIGCHLD, argv[2]));
  if (argc == 3 && strcmp(argv[1], "exec") == 0) {
    int pidfd = syscall(SYS_pidfd_open, atoi(argv[2]), 0);
    if (pidfd < 0 || setns(pidfd, NS_FLAGS) < 0) return perror("floor: join namespaces"), 1;
    pid_t pid = fork(); /* the pid namespace takes effect for children only */
    if (pid == 0) { if (chdir("/") < 0) die("chdir /"); execv(true_argv[0], true_argv); die("exec /bin/true"); }
    return wait_ok(pid);
  }
  fprintf(stderr, "usage: floor run ROOTFS | floor exec PID\n");
  return 2;
}
