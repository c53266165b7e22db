/* ocirt spec: write a default config.json, the same container runc's `spec` describes. */
#include "config.h"
#include "ocirt.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char help[] = "Usage: ocirt spec [OPTIONS]\n\n"
                           "Write a default config.json (runtime-spec " OCI_SPEC_VERSION ") into the bundle: `sh` in a\n"
                           "terminal, rootfs `rootfs` read-only, hostname `ocirt`, new pid, network, ipc, uts, mount\n"
                           "and cgroup namespaces, the standard mounts, masked and read-only paths.\n\n"
                           "Options:\n"
                           "  -b, --bundle DIR  where to write config.json (default: the current folder)\n"
                           "  -h, --help        print this help\n";

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define STRV(...) ((char *[]){ __VA_ARGS__ })
#define STRV_LEN(...) (sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *))
#define LIST(field, ...) .field = STRV(__VA_ARGS__), .field##_len = STRV_LEN(__VA_ARGS__)

static int on_option(int opt, const char *arg, void *data)
{
  if (opt == 'b')
    *(const char **) data = arg;
  return 0;
}

/* The default seccomp profile: what engines' default profiles refuse to a container without extra
 * capabilities, as a deny list (everything else allowed).  EPERM, as a missing capability would
 * give.  Grouped by why. */
static char *denied_syscalls[] = {
  /* kernel modules, kexec, reboot, swap, accounting, quotas */
  "create_module", "delete_module", "finit_module", "init_module", "get_kernel_syms", "query_module",
  "kexec_file_load", "kexec_load", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
  /* the clock and the kernel keyring are not namespaced */
  "clock_adjtime", "clock_settime", "clock_settime64", "settimeofday", "stime",
  "add_key", "keyctl", "request_key",
  /* mounts and namespaces (clone's namespace flags: below) */
  "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
  "open_tree", "mount_setattr", "setns", "unshare",
  /* other processes' memory, kernel introspection, raw hardware */
  "process_vm_readv", "process_vm_writev", "kcmp", "perf_event_open", "bpf", "lookup_dcookie",
  "syslog", "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "vm86", "vm86old",
  /* NUMA policy of the host, file handles (the "shocker" escape), obsolete calls */
  "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind", "move_pages", "migrate_pages",
  "name_to_handle_at", "open_by_handle_at", "nfsservctl", "sysfs", "_sysctl", "uselib", "ustat",
  "userfaultfd", "vhangup",
};

/* clone() asking for a new namespace: one rule per flag, any of them refuses. */
static const uint64_t clone_namespace_flags[] = {
  0x00020000 /* CLONE_NEWNS */, 0x02000000 /* CLONE_NEWCGROUP */, 0x04000000 /* CLONE_NEWUTS */,
  0x08000000 /* CLONE_NEWIPC */, 0x10000000 /* CLONE_NEWUSER */, 0x20000000 /* CLONE_NEWPID */,
  0x40000000 /* CLONE_NEWNET */, 0x00000080 /* CLONE_NEWTIME */,
};

#if defined(__x86_64__) || defined(__i386__)
#define SECCOMP_ARCHES "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"
#elif defined(__aarch64__) || defined(__arm__)
#define SECCOMP_ARCHES "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"
#else
#define SECCOMP_ARCHES NULL
#endif

/* The default container as a C value: libocispec writes it out. */
static char *default_config(void)
{
  oci_user user = { 0 };
  oci_capabilities caps = {
    LIST(bounding, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    LIST(effective, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    LIST(permitted, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
    LIST(ambient, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"),
  };
  oci_rlimit nofile = { .type = "RLIMIT_NOFILE", .hard = 1024, .soft = 1024 };
  oci_rlimit *rlimits[] = { &nofile };
  oci_process process = {
    .terminal = true,
    .user = &user,
    LIST(args, "sh"),
    LIST(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"),
    .cwd = "/",
    .capabilities = &caps,
    .rlimits = rlimits,
    .rlimits_len = LEN(rlimits),
    .no_new_privileges = true,
  };
  oci_root root = { .path = "rootfs", .readonly = true };
  oci_mount mounts[] = {
    { .destination = "/proc", .type = "proc", .source = "proc" },
    { .destination = "/dev", .type = "tmpfs", .source = "tmpfs",
      LIST(options, "nosuid", "strictatime", "mode=755", "size=65536k") },
    { .destination = "/dev/pts", .type = "devpts", .source = "devpts",
      LIST(options, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5") },
    { .destination = "/dev/shm", .type = "tmpfs", .source = "shm",
      LIST(options, "nosuid", "noexec", "nodev", "mode=1777", "size=65536k") },
    { .destination = "/dev/mqueue", .type = "mqueue", .source = "mqueue", LIST(options, "nosuid", "noexec", "nodev") },
    { .destination = "/sys", .type = "sysfs", .source = "sysfs", LIST(options, "nosuid", "noexec", "nodev", "ro") },
    { .destination = "/sys/fs/cgroup", .type = "cgroup", .source = "cgroup",
      LIST(options, "nosuid", "noexec", "nodev", "relatime", "ro") },
  };
  oci_mount *mount_list[LEN(mounts)];
  for (size_t i = 0; i < LEN(mounts); i++)
    mount_list[i] = &mounts[i];
  oci_device_cgroup deny_all = { .allow = false, .access = "rwm" };
  oci_device_cgroup *device_rules[] = { &deny_all };
  oci_resources resources = { .devices = device_rules, .devices_len = LEN(device_rules) };
  oci_namespace namespaces[] = { { .type = "pid" }, { .type = "network" }, { .type = "ipc" },
                                        { .type = "uts" }, { .type = "mount" },   { .type = "cgroup" } };
  oci_namespace *namespace_list[LEN(namespaces)];
  for (size_t i = 0; i < LEN(namespaces); i++)
    namespace_list[i] = &namespaces[i];
  oci_seccomp_syscall denied = {
    .names = denied_syscalls, .names_len = LEN(denied_syscalls), .action = "SCMP_ACT_ERRNO",
    .errno_ret = 1, .has_errno_ret = true,
  };
  oci_seccomp_arg clone_args[LEN(clone_namespace_flags)];
  oci_seccomp_arg *clone_arg_list[LEN(clone_namespace_flags)];
  for (size_t i = 0; i < LEN(clone_namespace_flags); i++) {
    clone_args[i] = (oci_seccomp_arg){ .index = 0, .value = clone_namespace_flags[i],
                                       .value_two = clone_namespace_flags[i], .op = "SCMP_CMP_MASKED_EQ" };
    clone_arg_list[i] = &clone_args[i];
  }
  oci_seccomp_syscall clone_ns = {
    LIST(names, "clone"), .action = "SCMP_ACT_ERRNO", .errno_ret = 1, .has_errno_ret = true,
    .args = clone_arg_list, .args_len = LEN(clone_arg_list),
  };
  /* clone3 passes its flags in memory, out of a filter's reach: ENOSYS makes libc use clone. */
  oci_seccomp_syscall clone3 = { LIST(names, "clone3"), .action = "SCMP_ACT_ERRNO", .errno_ret = 38,
                                 .has_errno_ret = true };
  oci_seccomp_syscall *syscalls[] = { &denied, &clone_ns, &clone3 };
  char *arches[] = { SECCOMP_ARCHES };
  oci_seccomp seccomp = {
    .default_action = "SCMP_ACT_ALLOW",
    .architectures = arches[0] ? arches : NULL,
    .architectures_len = arches[0] ? LEN(arches) : 0,
    .syscalls = syscalls,
    .syscalls_len = LEN(syscalls),
  };
  oci_linux linux_ = {
    .resources = &resources,
    .seccomp = &seccomp,
    .namespaces = namespace_list,
    .namespaces_len = LEN(namespace_list),
    LIST(masked_paths, "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
         "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"),
    LIST(readonly_paths, "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
  };
  oci_spec spec = {
    .oci_version = OCI_SPEC_VERSION,
    .process = &process,
    .root = &root,
    .hostname = "ocirt",
    .mounts = mount_list,
    .mounts_len = LEN(mount_list),
    .linux_ = &linux_,
  };
  return oci_generate(&oci_spec_type, &spec, true, NULL);
}

int cmd_spec(ocirt_global *g, int argc, char **argv)
{
  static const struct option options[]
      = { { "bundle", required_argument, NULL, 'b' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  const char *bundle = ".";
  int first = cli_parse(g, argc, argv, "b:", options, help, on_option, &bundle);
  if (first < 0)
    return first == -2 ? 0 : 1;
  if (cli_positional(g, argc, argv, first, 0, 0, "") < 0)
    return 1;
  cleanup_error ocirt_error err = { 0 };
  cleanup_free char *path = xasprintf("%s/config.json", bundle);
  cleanup_free char *json = default_config();
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      error_set(&err, 0, "spec: `%s` exists: remove it first", path);
    else
      error_set(&err, errno, "spec: create `%s`", path);
    return cli_fail(g, &err);
  }
  if (write_all(fd, json, strlen(json)) < 0) {
    error_set(&err, errno, "spec: write `%s`", path);
    unlink(path);
    return cli_fail(g, &err);
  }
  return 0;
}
