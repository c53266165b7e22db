/* libocispec: the table of fields of every document type, one line per JSON member, in the order
 * they are written.  JSON names are the runtime spec's.  Each table is for the struct named by T,
 * and every line checks at compile time that its member has the C type its kind needs. */
#include "ocispec-private.h"

#include <stddef.h>

/* The offset of member m of T, which must have type ctype: the comparison inside sizeof is never
 * evaluated, but comparing distinct pointer types does not compile (with -Werror). */
#define AT(m, ctype) (offsetof(T, m) + 0 * sizeof(&((T *) 0)->m == (ctype *) 0))

#define FIELD(name, kind_, m, ctype, ...) \
  {.json_name = name, .kind = kind_, .offset = AT(m, ctype), __VA_ARGS__}

/* Extra attributes, given after the JSON name. */
#define REQUIRED .required = true
#define OPTIONAL(m) .has_offset = AT(has_##m, bool) /* written only when has_<m> is set */

#define STRING(m, name, ...) FIELD(name, OCI_STRING, m, char *, __VA_ARGS__)
#define BOOL(m, name, ...) FIELD(name, OCI_BOOL, m, bool, __VA_ARGS__)
#define INT32(m, name, ...) FIELD(name, OCI_INT32, m, int32_t, __VA_ARGS__)
#define INT64(m, name, ...) FIELD(name, OCI_INT64, m, int64_t, __VA_ARGS__)
#define UINT32(m, name, ...) FIELD(name, OCI_UINT32, m, uint32_t, __VA_ARGS__)
#define UINT64(m, name, ...) FIELD(name, OCI_UINT64, m, uint64_t, __VA_ARGS__)
#define OBJECT(m, name, stem, ...) \
  FIELD(name, OCI_OBJECT, m, oci_##stem *, .sub = &oci_##stem##_type, __VA_ARGS__)
#define STRING_ARRAY(m, name, ...) \
  FIELD(name, OCI_STRING_ARRAY, m, char **, .len_offset = AT(m##_len, size_t), __VA_ARGS__)
#define UINT32_ARRAY(m, name, ...) \
  FIELD(name, OCI_UINT32_ARRAY, m, uint32_t *, .len_offset = AT(m##_len, size_t), __VA_ARGS__)
#define OBJECT_ARRAY(m, name, stem, ...)                                                         \
  FIELD(name, OCI_OBJECT_ARRAY, m, oci_##stem **, .len_offset = AT(m##_len, size_t),             \
        .sub = &oci_##stem##_type, __VA_ARGS__)
#define STRING_MAP(m, name, ...)                                                                 \
  FIELD(name, OCI_STRING_MAP, m##_keys, char **, .values_offset = AT(m##_values, char **),       \
        .len_offset = AT(m##_len, size_t), __VA_ARGS__)
#define OBJECT_MAP(m, name, stem, ...)                                                           \
  FIELD(name, OCI_OBJECT_MAP, m##_keys, char **, .values_offset = AT(m##_values, oci_##stem **), \
        .len_offset = AT(m##_len, size_t), .sub = &oci_##stem##_type, __VA_ARGS__)

/* Defines oci_<stem>_type from the table <stem>_fields. */
#define TYPE(stem)                                                                               \
  const oci_type oci_##stem##_type = {"oci_" #stem, sizeof(oci_##stem), stem##_fields,          \
                                      sizeof(stem##_fields) / sizeof(stem##_fields[0])}

/* ---- config.json: process ---------------------------------------------------------------------- */

#define T oci_console_size
static const oci_field console_size_fields[] = {
  UINT32(height, "height"),
  UINT32(width, "width"),
};
#undef T
static TYPE(console_size);

#define T oci_user
static const oci_field user_fields[] = {
  UINT32(uid, "uid"),
  UINT32(gid, "gid"),
  UINT32(umask, "umask", OPTIONAL(umask)),
  UINT32_ARRAY(additional_gids, "additionalGids"),
  STRING(username, "username"),
};
#undef T
static TYPE(user);

#define T oci_capabilities
static const oci_field capabilities_fields[] = {
  STRING_ARRAY(bounding, "bounding"),
  STRING_ARRAY(effective, "effective"),
  STRING_ARRAY(inheritable, "inheritable"),
  STRING_ARRAY(permitted, "permitted"),
  STRING_ARRAY(ambient, "ambient"),
};
#undef T
static TYPE(capabilities);

#define T oci_rlimit
static const oci_field rlimit_fields[] = {
  STRING(type, "type", REQUIRED),
  UINT64(hard, "hard"),
  UINT64(soft, "soft"),
};
#undef T
static TYPE(rlimit);

#define T oci_io_priority
static const oci_field io_priority_fields[] = {
  STRING(class, "class", REQUIRED),
  INT32(priority, "priority"),
};
#undef T
static TYPE(io_priority);

#define T oci_scheduler
static const oci_field scheduler_fields[] = {
  STRING(policy, "policy", REQUIRED),
  INT32(nice, "nice"),
  INT32(priority, "priority"),
  STRING_ARRAY(flags, "flags"),
  UINT64(runtime, "runtime"),
  UINT64(deadline, "deadline"),
  UINT64(period, "period"),
};
#undef T
static TYPE(scheduler);

#define T oci_process
static const oci_field process_fields[] = {
  BOOL(terminal, "terminal"),
  OBJECT(console_size, "consoleSize", console_size),
  OBJECT(user, "user", user, REQUIRED),
  STRING_ARRAY(args, "args"),
  STRING_ARRAY(env, "env"),
  STRING(cwd, "cwd", REQUIRED),
  OBJECT(capabilities, "capabilities", capabilities),
  OBJECT_ARRAY(rlimits, "rlimits", rlimit),
  BOOL(no_new_privileges, "noNewPrivileges"),
  STRING(apparmor_profile, "apparmorProfile"),
  INT32(oom_score_adj, "oomScoreAdj", OPTIONAL(oom_score_adj)),
  STRING(selinux_label, "selinuxLabel"),
  OBJECT(io_priority, "ioPriority", io_priority),
  OBJECT(scheduler, "scheduler", scheduler),
};
#undef T
TYPE(process);

/* ---- config.json: root, mounts, hooks ------------------------------------------------------------ */

#define T oci_root
static const oci_field root_fields[] = {
  STRING(path, "path", REQUIRED),
  BOOL(readonly, "readonly"),
};
#undef T
static TYPE(root);

#define T oci_id_mapping
static const oci_field id_mapping_fields[] = {
  UINT32(container_id, "containerID"),
  UINT32(host_id, "hostID"),
  UINT32(size, "size"),
};
#undef T
static TYPE(id_mapping);

#define T oci_mount
static const oci_field mount_fields[] = {
  STRING(destination, "destination", REQUIRED),
  STRING(type, "type"),
  STRING(source, "source"),
  STRING_ARRAY(options, "options"),
  OBJECT_ARRAY(uid_mappings, "uidMappings", id_mapping),
  OBJECT_ARRAY(gid_mappings, "gidMappings", id_mapping),
};
#undef T
static TYPE(mount);

#define T oci_hook
static const oci_field hook_fields[] = {
  STRING(path, "path", REQUIRED),
  STRING_ARRAY(args, "args"),
  STRING_ARRAY(env, "env"),
  INT32(timeout, "timeout", OPTIONAL(timeout)),
};
#undef T
static TYPE(hook);

#define T oci_hooks
static const oci_field hooks_fields[] = {
  OBJECT_ARRAY(prestart, "prestart", hook),
  OBJECT_ARRAY(create_runtime, "createRuntime", hook),
  OBJECT_ARRAY(create_container, "createContainer", hook),
  OBJECT_ARRAY(start_container, "startContainer", hook),
  OBJECT_ARRAY(poststart, "poststart", hook),
  OBJECT_ARRAY(poststop, "poststop", hook),
};
#undef T
static TYPE(hooks);

/* ---- config.json: linux ------------------------------------------------------------------------ */

#define T oci_namespace
static const oci_field namespace_fields[] = {
  STRING(type, "type", REQUIRED),
  STRING(path, "path"),
};
#undef T
static TYPE(namespace);

#define T oci_time_offset
static const oci_field time_offset_fields[] = {
  INT64(secs, "secs"),
  UINT32(nanosecs, "nanosecs"),
};
#undef T
static TYPE(time_offset);

#define T oci_device
static const oci_field device_fields[] = {
  STRING(type, "type", REQUIRED),
  STRING(path, "path", REQUIRED),
  INT64(major, "major", OPTIONAL(major)),
  INT64(minor, "minor", OPTIONAL(minor)),
  UINT32(file_mode, "fileMode", OPTIONAL(file_mode)),
  UINT32(uid, "uid", OPTIONAL(uid)),
  UINT32(gid, "gid", OPTIONAL(gid)),
};
#undef T
static TYPE(device);

#define T oci_device_cgroup
static const oci_field device_cgroup_fields[] = {
  BOOL(allow, "allow", REQUIRED),
  STRING(type, "type"),
  INT64(major, "major", OPTIONAL(major)),
  INT64(minor, "minor", OPTIONAL(minor)),
  STRING(access, "access"),
};
#undef T
static TYPE(device_cgroup);

#define T oci_memory
static const oci_field memory_fields[] = {
  INT64(limit, "limit", OPTIONAL(limit)),
  INT64(reservation, "reservation", OPTIONAL(reservation)),
  INT64(swap, "swap", OPTIONAL(swap)),
  INT64(kernel, "kernel", OPTIONAL(kernel)),
  INT64(kernel_tcp, "kernelTCP", OPTIONAL(kernel_tcp)),
  UINT64(swappiness, "swappiness", OPTIONAL(swappiness)),
  BOOL(disable_oom_killer, "disableOOMKiller"),
  BOOL(use_hierarchy, "useHierarchy", OPTIONAL(use_hierarchy)),
  BOOL(check_before_update, "checkBeforeUpdate"),
};
#undef T
static TYPE(memory);

#define T oci_cpu
static const oci_field cpu_fields[] = {
  UINT64(shares, "shares", OPTIONAL(shares)),
  INT64(quota, "quota", OPTIONAL(quota)),
  UINT64(burst, "burst", OPTIONAL(burst)),
  UINT64(period, "period", OPTIONAL(period)),
  INT64(realtime_runtime, "realtimeRuntime", OPTIONAL(realtime_runtime)),
  UINT64(realtime_period, "realtimePeriod", OPTIONAL(realtime_period)),
  STRING(cpus, "cpus"),
  STRING(mems, "mems"),
  INT64(idle, "idle", OPTIONAL(idle)),
};
#undef T
static TYPE(cpu);

#define T oci_pids
static const oci_field pids_fields[] = {
  INT64(limit, "limit", REQUIRED),
};
#undef T
static TYPE(pids);

#define T oci_weight_device
static const oci_field weight_device_fields[] = {
  INT64(major, "major", REQUIRED),
  INT64(minor, "minor", REQUIRED),
  UINT32(weight, "weight", OPTIONAL(weight)),
  UINT32(leaf_weight, "leafWeight", OPTIONAL(leaf_weight)),
};
#undef T
static TYPE(weight_device);

#define T oci_throttle_device
static const oci_field throttle_device_fields[] = {
  INT64(major, "major", REQUIRED),
  INT64(minor, "minor", REQUIRED),
  UINT64(rate, "rate", REQUIRED),
};
#undef T
static TYPE(throttle_device);

#define T oci_block_io
static const oci_field block_io_fields[] = {
  UINT32(weight, "weight", OPTIONAL(weight)),
  UINT32(leaf_weight, "leafWeight", OPTIONAL(leaf_weight)),
  OBJECT_ARRAY(weight_device, "weightDevice", weight_device),
  OBJECT_ARRAY(throttle_read_bps_device, "throttleReadBpsDevice", throttle_device),
  OBJECT_ARRAY(throttle_write_bps_device, "throttleWriteBpsDevice", throttle_device),
  OBJECT_ARRAY(throttle_read_iops_device, "throttleReadIOPSDevice", throttle_device),
  OBJECT_ARRAY(throttle_write_iops_device, "throttleWriteIOPSDevice", throttle_device),
};
#undef T
static TYPE(block_io);

#define T oci_hugepage_limit
static const oci_field hugepage_limit_fields[] = {
  STRING(page_size, "pageSize", REQUIRED),
  UINT64(limit, "limit", REQUIRED),
};
#undef T
static TYPE(hugepage_limit);

#define T oci_net_priority
static const oci_field net_priority_fields[] = {
  STRING(name, "name", REQUIRED),
  UINT32(priority, "priority", REQUIRED),
};
#undef T
static TYPE(net_priority);

#define T oci_network
static const oci_field network_fields[] = {
  UINT32(class_id, "classID", OPTIONAL(class_id)),
  OBJECT_ARRAY(priorities, "priorities", net_priority),
};
#undef T
static TYPE(network);

#define T oci_resources
static const oci_field resources_fields[] = {
  OBJECT_ARRAY(devices, "devices", device_cgroup),
  OBJECT(memory, "memory", memory),
  OBJECT(cpu, "cpu", cpu),
  OBJECT(pids, "pids", pids),
  OBJECT(block_io, "blockIO", block_io),
  OBJECT_ARRAY(hugepage_limits, "hugepageLimits", hugepage_limit),
  OBJECT(network, "network", network),
  STRING_MAP(unified, "unified"),
};
#undef T
TYPE(resources);

#define T oci_seccomp_arg
static const oci_field seccomp_arg_fields[] = {
  UINT32(index, "index", REQUIRED),
  UINT64(value, "value", REQUIRED),
  UINT64(value_two, "valueTwo"),
  STRING(op, "op", REQUIRED),
};
#undef T
static TYPE(seccomp_arg);

#define T oci_seccomp_syscall
static const oci_field seccomp_syscall_fields[] = {
  STRING_ARRAY(names, "names", REQUIRED),
  STRING(action, "action", REQUIRED),
  UINT32(errno_ret, "errnoRet", OPTIONAL(errno_ret)),
  OBJECT_ARRAY(args, "args", seccomp_arg),
};
#undef T
static TYPE(seccomp_syscall);

#define T oci_seccomp
static const oci_field seccomp_fields[] = {
  STRING(default_action, "defaultAction", REQUIRED),
  UINT32(default_errno_ret, "defaultErrnoRet", OPTIONAL(default_errno_ret)),
  STRING_ARRAY(architectures, "architectures"),
  STRING_ARRAY(flags, "flags"),
  STRING(listener_path, "listenerPath"),
  STRING(listener_metadata, "listenerMetadata"),
  OBJECT_ARRAY(syscalls, "syscalls", seccomp_syscall),
};
#undef T
TYPE(seccomp); /* exported: the seccomp filter cache keys on it */

#define T oci_personality
static const oci_field personality_fields[] = {
  STRING(domain, "domain", REQUIRED),
  STRING_ARRAY(flags, "flags"),
};
#undef T
static TYPE(personality);

/* The stem `linux` is only ever pasted (##) or quoted (#), so GNU C's predefined `linux` macro never
 * expands in it. */
#define T oci_linux
static const oci_field linux_fields[] = {
  OBJECT_ARRAY(uid_mappings, "uidMappings", id_mapping),
  OBJECT_ARRAY(gid_mappings, "gidMappings", id_mapping),
  STRING_MAP(sysctl, "sysctl"),
  OBJECT(resources, "resources", resources),
  STRING(cgroups_path, "cgroupsPath"),
  OBJECT_ARRAY(namespaces, "namespaces", namespace),
  OBJECT_ARRAY(devices, "devices", device),
  OBJECT(seccomp, "seccomp", seccomp),
  STRING(rootfs_propagation, "rootfsPropagation"),
  STRING_ARRAY(masked_paths, "maskedPaths"),
  STRING_ARRAY(readonly_paths, "readonlyPaths"),
  STRING(mount_label, "mountLabel"),
  OBJECT(personality, "personality", personality),
  OBJECT_MAP(time_offsets, "timeOffsets", time_offset),
};
#undef T
static TYPE(linux);

/* ---- config.json ------------------------------------------------------------------------------- */

#define T oci_spec
static const oci_field spec_fields[] = {
  STRING(oci_version, "ociVersion", REQUIRED),
  OBJECT(process, "process", process),
  OBJECT(root, "root", root),
  STRING(hostname, "hostname"),
  STRING(domainname, "domainname"),
  OBJECT_ARRAY(mounts, "mounts", mount),
  OBJECT(hooks, "hooks", hooks),
  STRING_MAP(annotations, "annotations"),
  OBJECT(linux_, "linux", linux),
};
#undef T
TYPE(spec);

/* ---- state, and ocirt's own state file ----------------------------------------------------------- */

#define T oci_state
static const oci_field state_fields[] = {
  STRING(oci_version, "ociVersion", REQUIRED),
  STRING(id, "id", REQUIRED),
  INT32(pid, "pid"),
  STRING(status, "status", REQUIRED),
  STRING(bundle, "bundle", REQUIRED),
  STRING(rootfs, "rootfs"),
  STRING(created, "created"),
  STRING(owner, "owner"),
  STRING_MAP(annotations, "annotations"),
};
#undef T
TYPE(state);

#define T oci_container_status
static const oci_field container_status_fields[] = {
  STRING(id, "id", REQUIRED),
  INT32(pid, "pid", REQUIRED),
  UINT64(pid_start, "pidStart", REQUIRED),
  STRING(status, "status", REQUIRED),
  STRING(bundle, "bundle", REQUIRED),
  STRING(rootfs, "rootfs"),
  STRING(created, "created"),
  STRING(owner, "owner"),
  STRING(cgroup_path, "cgroupPath"),
  BOOL(systemd_cgroup, "systemdCgroup"),
  STRING_MAP(annotations, "annotations"),
};
#undef T
TYPE(container_status);

/* ---- device-mapper pool metadata --------------------------------------------------------------- */

#define T oci_dm_device
static const oci_field dm_device_fields[] = {
  UINT32(id, "id", REQUIRED),
  STRING(name, "name", REQUIRED),
  STRING(kind, "kind", REQUIRED),
  STRING(parent, "parent"),
  STRING(container, "container"),
  STRING(state, "state", REQUIRED),
  UINT64(size, "size", REQUIRED),
  STRING(created, "created"),
};
#undef T
static TYPE(dm_device);

#define T oci_dm_pool
static const oci_field dm_pool_fields[] = {
  STRING(name, "name", REQUIRED),
  STRING(data, "data", REQUIRED),
  STRING(metadata, "metadata", REQUIRED),
  UINT32(block_sectors, "blockSectors", REQUIRED),
  UINT32(next_id, "nextId", REQUIRED),
  OBJECT_ARRAY(devices, "devices", dm_device),
};
#undef T
TYPE(dm_pool);

/* ---- features ---------------------------------------------------------------------------------- */

#define T oci_feature_enabled
static const oci_field feature_enabled_fields[] = {
  BOOL(enabled, "enabled"),
};
#undef T
static TYPE(feature_enabled);

#define T oci_features_cgroup
static const oci_field features_cgroup_fields[] = {
  BOOL(v1, "v1"),
  BOOL(v2, "v2"),
  BOOL(systemd, "systemd"),
  BOOL(systemd_user, "systemdUser"),
  BOOL(rdma, "rdma"),
};
#undef T
static TYPE(features_cgroup);

#define T oci_features_seccomp
static const oci_field features_seccomp_fields[] = {
  BOOL(enabled, "enabled"),
  STRING_ARRAY(actions, "actions"),
  STRING_ARRAY(operators, "operators"),
  STRING_ARRAY(archs, "archs"),
  STRING_ARRAY(known_flags, "knownFlags"),
  STRING_ARRAY(supported_flags, "supportedFlags"),
};
#undef T
static TYPE(features_seccomp);

#define T oci_features_mount_extensions
static const oci_field features_mount_extensions_fields[] = {
  OBJECT(idmap, "idmap", feature_enabled),
};
#undef T
static TYPE(features_mount_extensions);

#define T oci_features_linux
static const oci_field features_linux_fields[] = {
  STRING_ARRAY(namespaces, "namespaces"),
  STRING_ARRAY(capabilities, "capabilities"),
  OBJECT(cgroup, "cgroup", features_cgroup),
  OBJECT(seccomp, "seccomp", features_seccomp),
  OBJECT(apparmor, "apparmor", feature_enabled),
  OBJECT(selinux, "selinux", feature_enabled),
  OBJECT(intel_rdt, "intelRdt", feature_enabled),
  OBJECT(mount_extensions, "mountExtensions", features_mount_extensions),
};
#undef T
static TYPE(features_linux);

#define T oci_features
static const oci_field features_fields[] = {
  STRING(oci_version_min, "ociVersionMin"),
  STRING(oci_version_max, "ociVersionMax"),
  STRING_ARRAY(hooks, "hooks"),
  STRING_ARRAY(mount_options, "mountOptions"),
  OBJECT(linux_, "linux", features_linux),
  STRING_MAP(annotations, "annotations"),
};
#undef T
TYPE(features);
