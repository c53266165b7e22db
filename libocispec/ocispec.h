/* libocispec: the OCI runtime-spec documents ocirt reads and writes, as C structs.
 *
 * Every document type is described by a table of fields (see ocispec-types.c); one generic walker
 * parses JSON into the struct, one writes the struct out as JSON, one frees it.  Adding a field is
 * one struct member plus one table line.
 *
 * Representation conventions (the walker relies on them):
 *   string              char *            NULL when absent
 *   bool                bool              false when absent
 *   integer             int32_t/int64_t/uint32_t/uint64_t, plus `bool has_<name>` when the field is
 *                       optional and 0 is meaningful (only fields listed with has_ have one)
 *   object              struct T *        NULL when absent
 *   array of strings    char **name; size_t name_len;
 *   array of uint32     uint32_t *name; size_t name_len;
 *   array of objects    struct T **name; size_t name_len;
 *   map string->string  char **name_keys; char **name_values; size_t name_len;
 *   map string->object  char **name_keys; struct T **name_values; size_t name_len;
 *
 * JSON null is treated as absent.  Unknown keys are ignored, as the runtime spec requires.
 * Errors are one malloc'd line naming the document and the JSON path, e.g.
 *   config.json: .process.user.uid: expected an unsigned 32-bit integer, got "root"
 */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OCI_SPEC_VERSION "1.2.0"

typedef struct oci_type oci_type; /* opaque description of a document type */

/* ---- config.json ---------------------------------------------------------------------------- */

typedef struct {
  uint32_t height;
  uint32_t width;
} oci_console_size;

typedef struct {
  uint32_t uid;
  uint32_t gid;
  uint32_t umask;
  bool has_umask;
  uint32_t *additional_gids; /* "additionalGids" */
  size_t additional_gids_len;
  char *username;
} oci_user;

typedef struct {
  char **bounding;
  size_t bounding_len;
  char **effective;
  size_t effective_len;
  char **inheritable;
  size_t inheritable_len;
  char **permitted;
  size_t permitted_len;
  char **ambient;
  size_t ambient_len;
} oci_capabilities;

typedef struct {
  char *type; /* required, e.g. "RLIMIT_NOFILE" */
  uint64_t hard;
  uint64_t soft;
} oci_rlimit;

typedef struct {
  char *class; /* required, "IOPRIO_CLASS_RT" ... */
  int32_t priority;
} oci_io_priority;

typedef struct {
  char *policy; /* required, "SCHED_OTHER" ... */
  int32_t nice;
  int32_t priority;
  char **flags;
  size_t flags_len;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
} oci_scheduler;

typedef struct {
  bool terminal;
  oci_console_size *console_size; /* "consoleSize" */
  oci_user *user;                 /* required in config.json */
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  char *cwd; /* required */
  oci_capabilities *capabilities;
  oci_rlimit **rlimits;
  size_t rlimits_len;
  bool no_new_privileges; /* "noNewPrivileges" */
  char *apparmor_profile; /* "apparmorProfile" */
  int32_t oom_score_adj;  /* "oomScoreAdj" */
  bool has_oom_score_adj;
  char *selinux_label; /* "selinuxLabel" */
  oci_io_priority *io_priority; /* "ioPriority" */
  oci_scheduler *scheduler;
} oci_process;

typedef struct {
  char *path; /* required */
  bool readonly;
} oci_root;

typedef struct {
  uint32_t container_id; /* "containerID" */
  uint32_t host_id;      /* "hostID" */
  uint32_t size;
} oci_id_mapping;

typedef struct {
  char *destination; /* required */
  char *type;
  char *source;
  char **options;
  size_t options_len;
  oci_id_mapping **uid_mappings; /* "uidMappings" */
  size_t uid_mappings_len;
  oci_id_mapping **gid_mappings; /* "gidMappings" */
  size_t gid_mappings_len;
} oci_mount;

typedef struct {
  char *path; /* required */
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  int32_t timeout;
  bool has_timeout;
} oci_hook;

typedef struct {
  oci_hook **prestart;
  size_t prestart_len;
  oci_hook **create_runtime; /* "createRuntime" */
  size_t create_runtime_len;
  oci_hook **create_container; /* "createContainer" */
  size_t create_container_len;
  oci_hook **start_container; /* "startContainer" */
  size_t start_container_len;
  oci_hook **poststart;
  size_t poststart_len;
  oci_hook **poststop;
  size_t poststop_len;
} oci_hooks;

typedef struct {
  char *type; /* required */
  char *path;
} oci_namespace;

typedef struct {
  int64_t secs;
  uint32_t nanosecs;
} oci_time_offset;

typedef struct {
  char *type; /* required: c, b, u, p */
  char *path; /* required */
  int64_t major;
  bool has_major;
  int64_t minor;
  bool has_minor;
  uint32_t file_mode; /* "fileMode" */
  bool has_file_mode;
  uint32_t uid;
  bool has_uid;
  uint32_t gid;
  bool has_gid;
} oci_device;

typedef struct {
  bool allow; /* required */
  char *type;
  int64_t major;
  bool has_major;
  int64_t minor;
  bool has_minor;
  char *access;
} oci_device_cgroup;

typedef struct {
  int64_t limit;
  bool has_limit;
  int64_t reservation;
  bool has_reservation;
  int64_t swap;
  bool has_swap;
  int64_t kernel;
  bool has_kernel;
  int64_t kernel_tcp; /* "kernelTCP" */
  bool has_kernel_tcp;
  uint64_t swappiness;
  bool has_swappiness;
  bool disable_oom_killer; /* "disableOOMKiller" */
  bool use_hierarchy;      /* "useHierarchy" */
  bool has_use_hierarchy;
  bool check_before_update; /* "checkBeforeUpdate" */
} oci_memory;

typedef struct {
  uint64_t shares;
  bool has_shares;
  int64_t quota;
  bool has_quota;
  uint64_t burst;
  bool has_burst;
  uint64_t period;
  bool has_period;
  int64_t realtime_runtime; /* "realtimeRuntime" */
  bool has_realtime_runtime;
  uint64_t realtime_period; /* "realtimePeriod" */
  bool has_realtime_period;
  char *cpus;
  char *mems;
  int64_t idle;
  bool has_idle;
} oci_cpu;

typedef struct {
  int64_t limit; /* required */
} oci_pids;

typedef struct {
  int64_t major; /* required */
  int64_t minor; /* required */
  uint32_t weight; /* uint16 in the spec; range-checked by the runtime */
  bool has_weight;
  uint32_t leaf_weight; /* "leafWeight" */
  bool has_leaf_weight;
} oci_weight_device;

typedef struct {
  int64_t major; /* required */
  int64_t minor; /* required */
  uint64_t rate; /* required */
} oci_throttle_device;

typedef struct {
  uint32_t weight;
  bool has_weight;
  uint32_t leaf_weight; /* "leafWeight" */
  bool has_leaf_weight;
  oci_weight_device **weight_device; /* "weightDevice" */
  size_t weight_device_len;
  oci_throttle_device **throttle_read_bps_device; /* "throttleReadBpsDevice" */
  size_t throttle_read_bps_device_len;
  oci_throttle_device **throttle_write_bps_device; /* "throttleWriteBpsDevice" */
  size_t throttle_write_bps_device_len;
  oci_throttle_device **throttle_read_iops_device; /* "throttleReadIOPSDevice" */
  size_t throttle_read_iops_device_len;
  oci_throttle_device **throttle_write_iops_device; /* "throttleWriteIOPSDevice" */
  size_t throttle_write_iops_device_len;
} oci_block_io;

typedef struct {
  char *page_size; /* "pageSize", required */
  uint64_t limit;  /* required */
} oci_hugepage_limit;

typedef struct {
  char *name; /* required */
  uint32_t priority; /* required */
} oci_net_priority;

typedef struct {
  uint32_t class_id; /* "classID" */
  bool has_class_id;
  oci_net_priority **priorities;
  size_t priorities_len;
} oci_network;

typedef struct {
  oci_device_cgroup **devices;
  size_t devices_len;
  oci_memory *memory;
  oci_cpu *cpu;
  oci_pids *pids;
  oci_block_io *block_io; /* "blockIO" */
  oci_hugepage_limit **hugepage_limits; /* "hugepageLimits" */
  size_t hugepage_limits_len;
  oci_network *network;
  char **unified_keys; /* "unified": map string -> string */
  char **unified_values;
  size_t unified_len;
} oci_resources;

typedef struct {
  uint32_t index;  /* required */
  uint64_t value;  /* required */
  uint64_t value_two; /* "valueTwo" */
  char *op;        /* required */
} oci_seccomp_arg;

typedef struct {
  char **names; /* required */
  size_t names_len;
  char *action; /* required */
  uint32_t errno_ret; /* "errnoRet" */
  bool has_errno_ret;
  oci_seccomp_arg **args;
  size_t args_len;
} oci_seccomp_syscall;

typedef struct {
  char *default_action; /* "defaultAction", required */
  uint32_t default_errno_ret; /* "defaultErrnoRet" */
  bool has_default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;     /* "listenerPath" */
  char *listener_metadata; /* "listenerMetadata" */
  oci_seccomp_syscall **syscalls;
  size_t syscalls_len;
} oci_seccomp;

typedef struct {
  char *domain; /* required */
  char **flags;
  size_t flags_len;
} oci_personality;

typedef struct {
  oci_id_mapping **uid_mappings; /* "uidMappings" */
  size_t uid_mappings_len;
  oci_id_mapping **gid_mappings; /* "gidMappings" */
  size_t gid_mappings_len;
  char **sysctl_keys; /* "sysctl": map string -> string */
  char **sysctl_values;
  size_t sysctl_len;
  oci_resources *resources;
  char *cgroups_path; /* "cgroupsPath" */
  oci_namespace **namespaces;
  size_t namespaces_len;
  oci_device **devices;
  size_t devices_len;
  oci_seccomp *seccomp;
  char *rootfs_propagation; /* "rootfsPropagation" */
  char **masked_paths; /* "maskedPaths" */
  size_t masked_paths_len;
  char **readonly_paths; /* "readonlyPaths" */
  size_t readonly_paths_len;
  char *mount_label; /* "mountLabel" */
  oci_personality *personality;
  char **time_offsets_keys; /* "timeOffsets": map string -> oci_time_offset */
  oci_time_offset **time_offsets_values;
  size_t time_offsets_len;
} oci_linux;

typedef struct {
  char *oci_version; /* "ociVersion", required */
  oci_process *process;
  oci_root *root;
  char *hostname;
  char *domainname;
  oci_mount **mounts;
  size_t mounts_len;
  oci_hooks *hooks;
  char **annotations_keys; /* "annotations": map string -> string */
  char **annotations_values;
  size_t annotations_len;
  oci_linux *linux_; /* "linux" (the bare word is a predefined macro in GNU C) */
} oci_spec;

/* ---- state (what `ocirt state` prints, runtime-spec "state" plus runc's extra fields) ----------- */

typedef struct {
  char *oci_version; /* "ociVersion", required */
  char *id;          /* required */
  int32_t pid;
  char *status; /* required */
  char *bundle; /* required */
  char *rootfs;
  char *created;
  char *owner;
  char **annotations_keys;
  char **annotations_values;
  size_t annotations_len;
} oci_state;

/* ---- ocirt's own state file (/run/ocirt/<id>/state.json) -------------------------------------- */

typedef struct {
  char *id;          /* required */
  int32_t pid;       /* required */
  uint64_t pid_start; /* "pidStart": start time of pid, field 22 of /proc/<pid>/stat; required */
  char *status;      /* "created" or "running" as last recorded; required */
  char *bundle;      /* required */
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *cgroup_path; /* "cgroupPath" */
  bool systemd_cgroup; /* "systemdCgroup" */
  char **annotations_keys;
  char **annotations_values;
  size_t annotations_len;
} oci_container_status;

/* ---- ocirt's device-mapper pool metadata (POOLDIR/<pool>/pool.json) --------------------------- */

typedef struct {
  uint32_t id;       /* the thin device id in the pool; required */
  char *name;        /* an image's name, or the container id of a container's rootfs; required */
  char *kind;        /* "image" or "container"; required */
  char *parent;      /* the image it is a snapshot of */
  char *container;   /* the container whose rootfs it is */
  char *state;       /* "creating", "ready", "kept", "deleting"; required */
  uint64_t size;     /* virtual size in bytes; required */
  char *created;     /* RFC 3339 */
} oci_dm_device;

typedef struct {
  char *name;              /* required */
  char *data;              /* data file or block device; required */
  char *metadata;          /* metadata file or block device; required */
  uint32_t block_sectors;  /* "blockSectors": data block size in 512-byte sectors; required */
  uint32_t next_id;        /* "nextId": never reused, written before the id is used; required */
  oci_dm_device **devices;
  size_t devices_len;
} oci_dm_pool;

/* ---- features (generated by `ocirt features`) ------------------------------------------------- */

typedef struct {
  bool enabled;
} oci_feature_enabled;

typedef struct {
  bool v1;
  bool v2;
  bool systemd;
  bool systemd_user; /* "systemdUser" */
  bool rdma;
} oci_features_cgroup;

typedef struct {
  bool enabled;
  char **actions;
  size_t actions_len;
  char **operators;
  size_t operators_len;
  char **archs;
  size_t archs_len;
  char **known_flags; /* "knownFlags" */
  size_t known_flags_len;
  char **supported_flags; /* "supportedFlags" */
  size_t supported_flags_len;
} oci_features_seccomp;

typedef struct {
  oci_feature_enabled *idmap;
} oci_features_mount_extensions;

typedef struct {
  char **namespaces;
  size_t namespaces_len;
  char **capabilities;
  size_t capabilities_len;
  oci_features_cgroup *cgroup;
  oci_features_seccomp *seccomp;
  oci_feature_enabled *apparmor;
  oci_feature_enabled *selinux;
  oci_feature_enabled *intel_rdt; /* "intelRdt" */
  oci_features_mount_extensions *mount_extensions; /* "mountExtensions" */
} oci_features_linux;

typedef struct {
  char *oci_version_min; /* "ociVersionMin" */
  char *oci_version_max; /* "ociVersionMax" */
  char **hooks;
  size_t hooks_len;
  char **mount_options; /* "mountOptions" */
  size_t mount_options_len;
  oci_features_linux *linux_; /* "linux" */
  char **annotations_keys;
  char **annotations_values;
  size_t annotations_len;
} oci_features;

/* ---- the document types ----------------------------------------------------------------------- */

extern const oci_type oci_spec_type;             /* config.json */
extern const oci_type oci_process_type;          /* exec --process FILE */
extern const oci_type oci_state_type;            /* `ocirt state` output, and the hooks' stdin */
extern const oci_type oci_container_status_type; /* ocirt's own state file */
extern const oci_type oci_features_type;         /* `ocirt features` output */
extern const oci_type oci_resources_type;        /* `ocirt update --resources FILE` */
extern const oci_type oci_dm_pool_type;          /* a device-mapper pool's metadata */
extern const oci_type oci_seccomp_type;          /* linux.seccomp (the filter cache's key) */

/* Parse `len` bytes of JSON into a new object of type `type`.  `docname` starts every error message
 * (e.g. "config.json").  On error returns NULL and sets *err to a malloc'd message.  The JSON must be
 * an object at the top level. */
void *oci_parse_data(const oci_type *type, const char *data, size_t len, const char *docname,
                     char **err);

/* Read and parse a file of at most 64 MiB.  Errors reading it name `path` ("<path>: No such file or
 * directory"); errors in its content name `docname` (or `path` when docname is NULL). */
void *oci_parse_file(const oci_type *type, const char *path, const char *docname, char **err);

/* Write an object as JSON.  `pretty` indents with two spaces (as runc's output does) and ends with
 * a newline; otherwise the output is compact and ends with no newline.  Absent members (NULL
 * pointers, empty arrays and maps, optional integers whose has_ flag is false) are left out;
 * non-optional integers and booleans are always written.  Returns a malloc'd NUL-terminated
 * string; *len (if not NULL) receives its length.  Returns NULL when a string is not valid UTF-8
 * (the output could not be read back), or on an internal yajl error. */
char *oci_generate(const oci_type *type, const void *obj, bool pretty, size_t *len);

/* Free an object and everything it owns; NULL is ignored. */
void oci_free(const oci_type *type, void *obj);

/* Typed convenience wrappers. */
static inline oci_spec *oci_spec_parse_file(const char *path, char **err)
{
  return (oci_spec *) oci_parse_file(&oci_spec_type, path, "config.json", err);
}
static inline void oci_spec_free(oci_spec *s) { oci_free(&oci_spec_type, s); }

/* Look up `key` in a string map; NULL when absent. */
const char *oci_map_get(char **keys, char **values, size_t len, const char *key);

/* Escape a string as a JSON string literal, with the quotes; malloc'd. */
char *oci_json_quote(const char *s);

#ifdef __cplusplus
}
#endif
#endif
