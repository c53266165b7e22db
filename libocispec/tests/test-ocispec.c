/* Unit tests for libocispec, printing TAP.  JSON written inline uses ' for " (see sq()) to stay
 * readable; the data files in TEST_DATA_DIR are real JSON. */
#include "ocispec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must be defined"
#endif

static int tests_run, tests_failed;

__attribute__((format(printf, 2, 3))) static bool ok(bool cond, const char *fmt, ...)
{
  va_list ap;
  tests_run++;
  if (!cond)
    tests_failed++;
  printf("%sok %d - ", cond ? "" : "not ", tests_run);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  return cond;
}

static bool streq(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char **v, size_t n, const char *const *want, size_t want_n)
{
  if (n != want_n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!streq(v[i], want[i]))
      return false;
  return true;
}
#define STRV_EQ(v, ...)                                                                                      \
  strv_eq(v, v##_len, (const char *const[]){ __VA_ARGS__ },                                                  \
          sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/* Copy of s with every ' turned into ", so that inline JSON needs no escaping. */
static char *sq(const char *s)
{
  char *r = strdup(s);
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

static char *last_err; /* the error of the last parse() */

static void *parse_as(const oci_type *t, const char *doc, const char *json_sq)
{
  char *json = sq(json_sq);
  free(last_err);
  last_err = NULL;
  void *obj = oci_parse_data(t, json, strlen(json), doc, &last_err);
  free(json);
  return obj;
}

static oci_spec *parse(const char *json_sq)
{
  return parse_as(&oci_spec_type, "config.json", json_sq);
}

/* Expects parsing a config.json to fail with exactly `want`. */
static void error_is(const char *json_sq, const char *want, const char *what)
{
  oci_spec *s = parse(json_sq);
  if (!ok(s == NULL && streq(last_err, want), "%s", what))
    printf("#   got:  %s\n#   want: %s\n", s ? "(success)" : last_err, want);
  oci_spec_free(s);
}

/* Same, for raw bytes (NULs, invalid UTF-8, huge inputs). */
static void raw_error_is(const char *data, size_t len, const char *want, const char *what)
{
  char *err = NULL;
  oci_spec *s = oci_parse_data(&oci_spec_type, data, len, "config.json", &err);
  if (!ok(s == NULL && streq(err, want), "%s", what))
    printf("#   got:  %s\n#   want: %s\n", s ? "(success)" : err, want);
  oci_spec_free(s);
  free(err);
}

static char *slurp(const char *name)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    printf("# %s: %s\n", path, strerror(errno));
    return NULL;
  }
  char *data = NULL;
  size_t cap = 0, len = 0, n;
  do {
    if (cap - len < 4096)
      data = realloc(data, cap = cap * 2 + 4096);
    n = fread(data + len, 1, cap - len - 1, f);
    len += n;
  } while (n > 0);
  fclose(f);
  data[len] = '\0';
  return data;
}

static oci_spec *parse_data_file(const char *name)
{
  char path[4096], *err = NULL;
  snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
  oci_spec *s = oci_spec_parse_file(path, &err);
  if (s == NULL)
    printf("# %s\n", err);
  free(err);
  return s;
}

/* Generating, parsing that and generating again gives the same text. */
static bool round_trips(const oci_type *t, const void *obj, bool pretty)
{
  char *err = NULL;
  char *a = oci_generate(t, obj, pretty, NULL);
  void *again = a ? oci_parse_data(t, a, strlen(a), "generated", &err) : NULL;
  char *b = again ? oci_generate(t, again, pretty, NULL) : NULL;
  bool same = a && b && strcmp(a, b) == 0;
  if (err)
    printf("# %s\n", err);
  oci_free(t, again);
  free(a);
  free(b);
  free(err);
  return same;
}

/* Generates obj and compares with a data file, or with `want` when name is NULL. */
static bool generates(const oci_type *t, const void *obj, bool pretty, const char *name, const char *want)
{
  char *expected = name ? slurp(name) : strdup(want);
  size_t len = 0;
  char *got = oci_generate(t, obj, pretty, &len);
  bool same = got && expected && strcmp(got, expected) == 0 && len == strlen(got);
  if (!same)
    printf("# got:\n%s\n# want:\n%s\n", got ? got : "(NULL)", expected ? expected : "(NULL)");
  free(got);
  free(expected);
  return same;
}

static void test_runc_spec(void)
{
  oci_spec *s = parse_data_file("runc-spec.json");
  if (!ok(s != NULL, "runc spec: parses")) {
    return;
  }
  oci_process *p = s->process;
  ok(streq(s->oci_version, "1.2.0") && streq(s->hostname, "runc"), "runc spec: ociVersion and hostname");
  ok(p && p->terminal && p->user && p->user->uid == 0 && p->user->gid == 0 && !p->user->has_umask
         && STRV_EQ(p->args, "sh")
         && STRV_EQ(p->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm")
         && streq(p->cwd, "/"),
     "runc spec: process terminal, user, args, env and cwd");
  oci_capabilities *c = p->capabilities;
  ok(c && STRV_EQ(c->bounding, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")
         && STRV_EQ(c->effective, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")
         && STRV_EQ(c->permitted, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")
         && c->inheritable == NULL && c->inheritable_len == 0 && c->ambient_len == 0,
     "runc spec: capabilities");
  ok(p->rlimits_len == 1 && streq(p->rlimits[0]->type, "RLIMIT_NOFILE") && p->rlimits[0]->hard == 1024
         && p->rlimits[0]->soft == 1024 && p->no_new_privileges,
     "runc spec: rlimits and noNewPrivileges");
  ok(s->root && streq(s->root->path, "rootfs") && s->root->readonly, "runc spec: root");
  ok(s->mounts_len == 7 && streq(s->mounts[0]->destination, "/proc") && streq(s->mounts[0]->type, "proc")
         && streq(s->mounts[0]->source, "proc") && s->mounts[0]->options == NULL
         && s->mounts[0]->options_len == 0 && streq(s->mounts[2]->destination, "/dev/pts")
         && STRV_EQ(s->mounts[2]->options, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                    "gid=5")
         && streq(s->mounts[6]->destination, "/sys/fs/cgroup") && streq(s->mounts[6]->options[4], "ro"),
     "runc spec: mounts");
  oci_linux *l = s->linux_;
  oci_resources *r = l ? l->resources : NULL;
  ok(r && r->devices_len == 1 && !r->devices[0]->allow && streq(r->devices[0]->access, "rwm")
         && r->devices[0]->type == NULL && !r->devices[0]->has_major && !r->devices[0]->has_minor
         && r->memory == NULL && r->unified_len == 0,
     "runc spec: the device cgroup rule denies everything");
  bool ns_ok = l->namespaces_len == 6;
  const char *ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
  for (size_t i = 0; ns_ok && i < 6; i++)
    ns_ok = streq(l->namespaces[i]->type, ns[i]) && l->namespaces[i]->path == NULL;
  ok(ns_ok, "runc spec: namespaces");
  ok(l->masked_paths_len == 11 && streq(l->masked_paths[0], "/proc/acpi")
         && streq(l->masked_paths[10], "/sys/devices/virtual/tpm")
         && STRV_EQ(l->readonly_paths, "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                    "/proc/sysrq-trigger"),
     "runc spec: maskedPaths and readonlyPaths");
  ok(s->hooks == NULL && s->annotations_len == 0 && s->annotations_keys == NULL && s->domainname == NULL
         && p->console_size == NULL && !p->has_oom_score_adj && p->apparmor_profile == NULL
         && l->seccomp == NULL && l->uid_mappings_len == 0 && l->sysctl_len == 0 && l->time_offsets_len == 0,
     "runc spec: absent members are NULL, empty or unset");
  ok(round_trips(&oci_spec_type, s, true), "runc spec: pretty round trip");
  ok(round_trips(&oci_spec_type, s, false), "runc spec: compact round trip");
  oci_spec_free(s);
}

static void test_full_config(void)
{
  oci_spec *s = parse_data_file("full-config.json");
  if (!ok(s != NULL, "full config: parses")) {
    return;
  }
  oci_process *p = s->process;
  oci_user *u = p->user;
  ok(p->console_size && p->console_size->height == 25 && p->console_size->width == 80 && u->uid == 1000
         && u->gid == 1001 && u->has_umask && u->umask == 18 && u->additional_gids_len == 3
         && u->additional_gids[0] == 5 && u->additional_gids[2] == 4294967295u && streq(u->username, "alice"),
     "full config: consoleSize and user");
  ok(STRV_EQ(p->args, "/bin/sh", "-c", "echo \"hi\" > /tmp/out")
         && STRV_EQ(p->env, "PATH=/usr/bin:/bin", "HOME=/home/alice") && streq(p->cwd, "/home/alice"),
     "full config: args, env and cwd");
  oci_capabilities *c = p->capabilities;
  ok(STRV_EQ(c->bounding, "CAP_KILL") && STRV_EQ(c->effective, "CAP_CHOWN")
         && STRV_EQ(c->inheritable, "CAP_SETUID") && STRV_EQ(c->permitted, "CAP_SETGID")
         && STRV_EQ(c->ambient, "CAP_NET_RAW"),
     "full config: all five capability sets");
  ok(p->rlimits_len == 2 && p->rlimits[0]->hard == UINT64_MAX && p->rlimits[0]->soft == 1024
         && streq(p->rlimits[1]->type, "RLIMIT_CORE") && p->rlimits[1]->hard == 0,
     "full config: rlimits, with the uint64 maximum");
  ok(p->no_new_privileges && streq(p->apparmor_profile, "docker-default") && p->has_oom_score_adj
         && p->oom_score_adj == -1000 && streq(p->selinux_label, "system_u:system_r:container_t:s0:c1,c2")
         && streq(p->io_priority->class, "IOPRIO_CLASS_RT") && p->io_priority->priority == 4,
     "full config: apparmor, oomScoreAdj, selinux and ioPriority");
  oci_scheduler *sc = p->scheduler;
  ok(streq(sc->policy, "SCHED_DEADLINE") && sc->nice == -20 && sc->priority == 99
         && STRV_EQ(sc->flags, "SCHED_FLAG_RESET_ON_FORK") && sc->runtime == 10000000
         && sc->deadline == 20000000 && sc->period == 30000000,
     "full config: scheduler");
  ok(streq(s->root->path, "/var/lib/rootfs") && !s->root->readonly && streq(s->hostname, "full")
         && streq(s->domainname, "example.org"),
     "full config: root, hostname and domainname");
  oci_mount *m = s->mounts[0];
  ok(s->mounts_len == 1 && streq(m->type, "bind") && STRV_EQ(m->options, "rbind", "idmap")
         && m->uid_mappings_len == 1 && m->uid_mappings[0]->host_id == 100000
         && m->uid_mappings[0]->size == 65536 && m->gid_mappings_len == 1
         && m->gid_mappings[0]->host_id == 200000 && m->gid_mappings[0]->container_id == 0,
     "full config: mount with id mappings");
  oci_hooks *h = s->hooks;
  ok(h->prestart_len == 1 && streq(h->prestart[0]->path, "/usr/bin/prestart")
         && STRV_EQ(h->prestart[0]->args, "prestart", "--flag") && STRV_EQ(h->prestart[0]->env, "KEY=value")
         && h->prestart[0]->has_timeout && h->prestart[0]->timeout == 5 && h->create_runtime_len == 1
         && !h->create_runtime[0]->has_timeout && h->create_container[0]->has_timeout
         && h->create_container[0]->timeout == 0 && h->start_container_len == 1 && h->poststart_len == 1
         && h->poststop_len == 2 && streq(h->poststop[1]->path, "/usr/bin/poststop2"),
     "full config: all six hook lists");
  ok(s->annotations_len == 2 && streq(s->annotations_keys[1], "org.example/\xc3\xa9")
         && streq(oci_map_get(s->annotations_keys, s->annotations_values, s->annotations_len,
                              "org.example/\xc3\xa9"),
                  "tab\there \"quoted\" back\\slash /path")
         && streq(
             oci_map_get(s->annotations_keys, s->annotations_values, s->annotations_len, "org.example.key"),
             "value"),
     "full config: annotations, with escapes and UTF-8");
  oci_linux *l = s->linux_;
  ok(l->uid_mappings_len == 1 && l->uid_mappings[0]->host_id == 1000 && l->gid_mappings[0]->host_id == 1001
         && l->sysctl_len == 2 && streq(l->sysctl_keys[0], "net.ipv4.ip_forward")
         && streq(oci_map_get(l->sysctl_keys, l->sysctl_values, l->sysctl_len, "kernel.shmmax"),
                  "4294967295"),
     "full config: linux id mappings and sysctl");
  oci_resources *r = l->resources;
  oci_device_cgroup *d = r->devices[1];
  ok(r->devices_len == 2 && d->allow && streq(d->type, "c") && d->has_major && d->major == 1 && d->has_minor
         && d->minor == 3 && streq(d->access, "rw"),
     "full config: device cgroup rules");
  oci_memory *mem = r->memory;
  ok(mem->has_limit && mem->limit == 536870912 && mem->reservation == 268435456 && mem->has_swap
         && mem->swap == -1 && mem->has_kernel && mem->kernel == 0 && mem->kernel_tcp == 1048576
         && mem->has_swappiness && mem->swappiness == 60 && mem->disable_oom_killer && mem->has_use_hierarchy
         && !mem->use_hierarchy && mem->check_before_update,
     "full config: memory");
  oci_cpu *cpu = r->cpu;
  ok(cpu->has_shares && cpu->shares == 1024 && cpu->has_quota && cpu->quota == -1 && cpu->has_burst
         && cpu->burst == 0 && cpu->period == 100000 && cpu->realtime_runtime == 950000
         && cpu->realtime_period == 1000000 && streq(cpu->cpus, "0-3") && streq(cpu->mems, "0")
         && cpu->has_idle && cpu->idle == 1,
     "full config: cpu");
  oci_block_io *b = r->block_io;
  ok(r->pids->limit == -1 && b->has_weight && b->weight == 500 && b->leaf_weight == 300
         && b->weight_device_len == 2 && b->weight_device[0]->weight == 600
         && b->weight_device[0]->leaf_weight == 200 && !b->weight_device[1]->has_weight
         && b->weight_device[1]->minor == 16 && b->throttle_read_bps_device[0]->rate == 1048576
         && b->throttle_write_bps_device[0]->rate == 2097152 && b->throttle_read_iops_device[0]->rate == 1000
         && b->throttle_write_iops_device[0]->rate == 2000,
     "full config: pids and blockIO");
  ok(r->hugepage_limits_len == 1 && streq(r->hugepage_limits[0]->page_size, "2MB")
         && r->hugepage_limits[0]->limit == 209715200 && r->network->has_class_id
         && r->network->class_id == 1048577 && streq(r->network->priorities[0]->name, "eth0")
         && r->network->priorities[0]->priority == 500 && r->unified_len == 2
         && streq(oci_map_get(r->unified_keys, r->unified_values, r->unified_len, "io.weight"),
                  "default 100"),
     "full config: hugepageLimits, network and unified");
  oci_device *dev = l->devices[0];
  ok(streq(l->cgroups_path, "/ocirt/full") && l->namespaces_len == 4
         && streq(l->namespaces[1]->path, "/var/run/netns/full") && l->devices_len == 2
         && streq(dev->path, "/dev/fuse") && dev->major == 10 && dev->minor == 229 && dev->has_file_mode
         && dev->file_mode == 0666 && dev->has_uid && dev->uid == 0 && dev->has_gid
         && !l->devices[1]->has_major && !l->devices[1]->has_file_mode && !l->devices[1]->has_uid,
     "full config: cgroupsPath, namespaces and devices");
  oci_seccomp *sec = l->seccomp;
  oci_seccomp_syscall *sys = sec->syscalls[1];
  ok(streq(sec->default_action, "SCMP_ACT_ERRNO") && sec->has_default_errno_ret && sec->default_errno_ret == 1
         && STRV_EQ(sec->architectures, "SCMP_ARCH_X86_64", "SCMP_ARCH_X86")
         && STRV_EQ(sec->flags, "SECCOMP_FILTER_FLAG_LOG")
         && streq(sec->listener_path, "/run/seccomp-agent.sock") && streq(sec->listener_metadata, "meta")
         && sec->syscalls_len == 2 && STRV_EQ(sec->syscalls[0]->names, "read", "write")
         && !sec->syscalls[0]->has_errno_ret && sys->has_errno_ret && sys->errno_ret == 0
         && sys->args_len == 2 && sys->args[0]->value == 4294967295u && sys->args[1]->index == 1
         && sys->args[1]->value == UINT64_MAX && sys->args[1]->value_two == 255
         && streq(sys->args[1]->op, "SCMP_CMP_MASKED_EQ"),
     "full config: seccomp");
  ok(streq(l->rootfs_propagation, "rslave") && STRV_EQ(l->masked_paths, "/proc/kcore")
         && STRV_EQ(l->readonly_paths, "/proc/sys")
         && streq(l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2")
         && streq(l->personality->domain, "LINUX32") && STRV_EQ(l->personality->flags, "SHORT_INODE"),
     "full config: rootfsPropagation, paths, mountLabel and personality");
  ok(l->time_offsets_len == 2 && streq(l->time_offsets_keys[0], "monotonic")
         && l->time_offsets_values[0]->secs == -86400 && l->time_offsets_values[0]->nanosecs == 500
         && streq(l->time_offsets_keys[1], "boottime") && l->time_offsets_values[1]->secs == 3600,
     "full config: timeOffsets, in document order");
  ok(generates(&oci_spec_type, s, true, "full-config.json", NULL),
     "full config: pretty output is byte for byte the (canonical) input file");
  ok(round_trips(&oci_spec_type, s, false), "full config: compact round trip");
  char *compact = oci_generate(&oci_spec_type, s, false, NULL);
  ok(compact && !strchr(compact, '\n') && !strstr(compact, "\\/") && strstr(compact, "\"/home/alice\"")
         && strncmp(compact, "{\"ociVersion\":\"1.2.0\",\"process\":{\"terminal\":true,", 48) == 0,
     "full config: compact output has no newline, no escaped '/', fields in table order");
  free(compact);
  oci_spec_free(s);
}

#define MIN "'ociVersion':'1.2.0'"
#define PROC(...) "{" MIN ",'process':{'cwd':'/','user':{'uid':0,'gid':0}" __VA_ARGS__ "}}"
#define LINUX(...) "{" MIN ",'linux':{" __VA_ARGS__ "}}"

static void test_type_errors(void)
{
  error_is("{" MIN ",'process':{'cwd':'/','user':{'uid':'root','gid':0}}}",
           "config.json: .process.user.uid: expected an unsigned 32-bit integer, got \"root\"",
           "type error: string for an unsigned 32-bit integer");
  error_is("{" MIN ",'hostname':42}", "config.json: .hostname: expected a string, got 42",
           "type error: number for a string");
  error_is("{" MIN ",'root':{'path':'r','readonly':'yes'}}",
           "config.json: .root.readonly: expected a boolean, got \"yes\"",
           "type error: string for a boolean");
  error_is("{" MIN ",'process':[]}", "config.json: .process: expected an object, got an array",
           "type error: array for an object");
  error_is("{" MIN ",'mounts':{}}", "config.json: .mounts: expected an array, got an object",
           "type error: object for an array");
  error_is(PROC(",'oomScoreAdj':true"),
           "config.json: .process.oomScoreAdj: expected a 32-bit integer, got true",
           "type error: boolean for a 32-bit integer");
  error_is(LINUX("'resources':{'memory':{'limit':'1G'}}"),
           "config.json: .linux.resources.memory.limit: expected a 64-bit integer, got \"1G\"",
           "type error: string for a 64-bit integer");
  error_is(PROC(",'rlimits':[{'type':'RLIMIT_CORE','hard':false}]"),
           "config.json: .process.rlimits[0].hard: expected an unsigned 64-bit integer, got false",
           "type error: boolean for an unsigned 64-bit integer");
  error_is("{" MIN ",'annotations':['a']}", "config.json: .annotations: expected an object, got an array",
           "type error: array for a map");
  error_is("{" MIN ",'annotations':{'ok':'1','key':{}}}",
           "config.json: .annotations[\"key\"]: expected a string, got an object",
           "type error: map value, path names the key");
  error_is("{" MIN ",'annotations':{'a\\'b':1}}",
           "config.json: .annotations[\"a\\\"b\"]: expected a string, got 1",
           "type error: map key is JSON-escaped in the path");
  error_is(LINUX("'timeOffsets':{'monotonic':{'secs':'x'}}"),
           "config.json: .linux.timeOffsets[\"monotonic\"].secs: expected a 64-bit integer, got \"x\"",
           "type error: inside an object map");
  error_is(PROC(",'args':['sh',null]"), "config.json: .process.args[1]: expected a string, got null",
           "type error: null array element");
  error_is("{" MIN ",'process':{'cwd':'/','user':{'uid':0,'gid':0,'additionalGids':[1,-5]}}}",
           "config.json: .process.user.additionalGids[1]: expected an unsigned 32-bit integer, got -5",
           "type error: uint32 array element");
  error_is("{" MIN ",'mounts':[{'destination':'/a'},{'destination':'/b','options':'ro'}]}",
           "config.json: .mounts[1].options: expected an array, got \"ro\"",
           "type error: inside an object array");
  error_is("{" MIN ",'hostname':['x']}", "config.json: .hostname: expected a string, got an array",
           "type error: array for a string");
  error_is("{" MIN ",'root':{'path':'/','readonly':'0123456789012345678901234567890123456789abcdef'}}",
           "config.json: .root.readonly: expected a boolean, got "
           "\"0123456789012345678901234567890123456789...\"",
           "type error: a long string is cut at 40 bytes");
  error_is(
      "{" MIN ",'process':{'cwd':'/','user':{'uid':'a\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
      "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9','gid':0}}"
      "}",
      "config.json: .process.user.uid: expected an unsigned 32-bit integer, got "
      "\"a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\"",
      "type error: the cut does not split a UTF-8 character");
  error_is("{" MIN ",'hostname':true,'domainname':'a\\'b\\n\\u0001/'}",
           "config.json: .hostname: expected a string, got true",
           "type error: first error in table order wins");
  error_is("{" MIN ",'process':{'cwd':'/','user':{'uid':'a\\'b\\n\\u0001/','gid':0}}}",
           "config.json: .process.user.uid: expected an unsigned 32-bit integer, got \"a\\\"b\\n\\u0001/\"",
           "type error: the string is JSON-escaped, '/' is not");
}

static void test_numbers(void)
{
  error_is("{" MIN ",'process':{'cwd':'/','user':{'uid':-1,'gid':0}}}",
           "config.json: .process.user.uid: expected an unsigned 32-bit integer, got -1",
           "numbers: negative refused for unsigned 32-bit");
  error_is("{" MIN ",'process':{'cwd':'/','user':{'uid':4294967296,'gid':0}}}",
           "config.json: .process.user.uid: expected an unsigned 32-bit integer, got 4294967296",
           "numbers: uint32 overflow refused");
  oci_spec *s = parse("{" MIN ",'process':{'cwd':'/','user':{'uid':4294967295,'gid':0}}}");
  ok(s && s->process->user->uid == UINT32_MAX, "numbers: uint32 maximum accepted");
  oci_spec_free(s);
  error_is(PROC(",'oomScoreAdj':2147483648"),
           "config.json: .process.oomScoreAdj: expected a 32-bit integer, got 2147483648",
           "numbers: int32 overflow refused");
  error_is(PROC(",'oomScoreAdj':-2147483649"),
           "config.json: .process.oomScoreAdj: expected a 32-bit integer, got -2147483649",
           "numbers: int32 underflow refused");
  s = parse(PROC(",'oomScoreAdj':-2147483648,'scheduler':{'policy':'SCHED_OTHER','nice':2147483647}"));
  ok(s && s->process->oom_score_adj == INT32_MIN && s->process->scheduler->nice == INT32_MAX,
     "numbers: int32 bounds accepted");
  oci_spec_free(s);
  error_is(LINUX("'resources':{'memory':{'limit':9223372036854775808}}"),
           "config.json: .linux.resources.memory.limit: expected a 64-bit integer, got 9223372036854775808",
           "numbers: int64 overflow refused");
  s = parse(LINUX("'resources':{'memory':{'limit':-9223372036854775808,'swap':9223372036854775807}}"));
  ok(s && s->linux_->resources->memory->limit == INT64_MIN && s->linux_->resources->memory->swap == INT64_MAX,
     "numbers: int64 bounds accepted");
  oci_spec_free(s);
  error_is(
      PROC(",'rlimits':[{'type':'RLIMIT_AS','hard':18446744073709551616}]"),
      "config.json: .process.rlimits[0].hard: expected an unsigned 64-bit integer, got 18446744073709551616",
      "numbers: uint64 overflow refused");
  error_is(PROC(",'rlimits':[{'type':'RLIMIT_AS','hard':-1}]"),
           "config.json: .process.rlimits[0].hard: expected an unsigned 64-bit integer, got -1",
           "numbers: negative refused for unsigned 64-bit");
  s = parse(
      PROC(",'rlimits':[{'type':'RLIMIT_AS','hard':18446744073709551615,'soft':18446744073709551615}]"));
  char *out = s ? oci_generate(&oci_spec_type, s, false, NULL) : NULL;
  ok(s && s->process->rlimits[0]->hard == UINT64_MAX && s->process->rlimits[0]->soft == UINT64_MAX && out
         && strstr(out,
                   "{\"type\":\"RLIMIT_AS\",\"hard\":18446744073709551615,\"soft\":18446744073709551615}"),
     "numbers: uint64 maximum rlimit parses and is written back");
  free(out);
  oci_spec_free(s);
  error_is(PROC(",'oomScoreAdj':1.5"),
           "config.json: .process.oomScoreAdj: expected a 32-bit integer, got 1.5",
           "numbers: fraction refused");
  error_is(PROC(",'oomScoreAdj':1.0"),
           "config.json: .process.oomScoreAdj: expected a 32-bit integer, got 1.0",
           "numbers: integral float refused");
  error_is(PROC(",'rlimits':[{'type':'RLIMIT_AS','hard':1e3}]"),
           "config.json: .process.rlimits[0].hard: expected an unsigned 64-bit integer, got 1e3",
           "numbers: exponent refused");
  error_is(PROC(",'rlimits':[{'type':'RLIMIT_AS','soft':2E+2}]"),
           "config.json: .process.rlimits[0].soft: expected an unsigned 64-bit integer, got 2E+2",
           "numbers: capital exponent refused");
  error_is(PROC(",'oomScoreAdj':12345678901234567890123456789012345678901234567890"),
           "config.json: .process.oomScoreAdj: expected a 32-bit integer, got "
           "1234567890123456789012345678901234567890...",
           "numbers: a huge number is cut in the message");
}

static void test_required(void)
{
  error_is("{'hostname':'x'}", "config.json: .ociVersion: required field missing", "required: ociVersion");
  error_is("{" MIN ",'process':{'user':{'uid':0,'gid':0}}}",
           "config.json: .process.cwd: required field missing", "required: process.cwd");
  error_is("{" MIN ",'process':{'cwd':'/'}}", "config.json: .process.user: required field missing",
           "required: process.user");
  error_is("{" MIN ",'root':{'readonly':true}}", "config.json: .root.path: required field missing",
           "required: root.path");
  error_is("{" MIN
           ",'mounts':[{'destination':'/a'},{'destination':'/b'},{'destination':'/c'},{'type':'tmpfs'}]}",
           "config.json: .mounts[3].destination: required field missing", "required: mounts[3].destination");
  error_is(LINUX("'namespaces':[{'path':'/proc/1/ns/net'}]"),
           "config.json: .linux.namespaces[0].type: required field missing", "required: namespace type");
  error_is("{" MIN ",'hooks':{'poststop':[{'path':'/a'},{'args':['x']}]}}",
           "config.json: .hooks.poststop[1].path: required field missing", "required: hook path");
  error_is(PROC(",'rlimits':[{'hard':1,'soft':1}]"),
           "config.json: .process.rlimits[0].type: required field missing", "required: rlimit type");
  error_is(LINUX("'devices':[{'type':'c'}]"), "config.json: .linux.devices[0].path: required field missing",
           "required: device path");
  error_is(LINUX("'devices':[{'path':'/dev/null'}]"),
           "config.json: .linux.devices[0].type: required field missing", "required: device type");
  error_is(LINUX("'resources':{'devices':[{'access':'rwm'}]}"),
           "config.json: .linux.resources.devices[0].allow: required field missing",
           "required: device cgroup allow (a boolean)");
  error_is(LINUX("'seccomp':{'syscalls':[]}"),
           "config.json: .linux.seccomp.defaultAction: required field missing",
           "required: seccomp defaultAction");
  error_is(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_ERRNO'}]}"),
           "config.json: .linux.seccomp.syscalls[0].names: required field missing",
           "required: syscall names");
  error_is(
      LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'args':[{'index':0,"
            "'value':1}]}]}"),
      "config.json: .linux.seccomp.syscalls[0].action: required field missing", "required: syscall action");
  error_is(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_"
                 "ACT_ERRNO',"
                 "'args':[{'index':0,'value':1}]}]}"),
           "config.json: .linux.seccomp.syscalls[0].args[0].op: required field missing",
           "required: syscall arg op");
  error_is(LINUX("'resources':{'pids':{}}"),
           "config.json: .linux.resources.pids.limit: required field missing", "required: pids limit");
  error_is("{" MIN ",'process':{'cwd':null,'user':{'uid':0,'gid':0}}}",
           "config.json: .process.cwd: required field missing", "required: null counts as missing");
  oci_spec *s
      = parse(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A'}]}"));
  ok(s && s->linux_->seccomp->syscalls[0]->names_len == 0, "required: an empty array is present");
  oci_spec_free(s);
}

static void test_invalid_json(void)
{
  error_is("{'ociVersion':", "config.json: invalid JSON: parse error: premature EOF",
           "invalid JSON: truncated");
  error_is("", "config.json: invalid JSON: parse error: premature EOF", "invalid JSON: empty input");
  error_is(" \n\t ", "config.json: invalid JSON: parse error: premature EOF",
           "invalid JSON: only whitespace");
  error_is("{" MIN "} {}", "config.json: invalid JSON: parse error: trailing garbage",
           "invalid JSON: two documents");
  error_is("{" MIN ",'hostname':tru}",
           "config.json: invalid JSON: lexical error: invalid string in json text.",
           "invalid JSON: lexical error, one line");
  error_is("{" MIN ",}", "config.json: invalid JSON: parse error: invalid object key (must be a string)",
           "invalid JSON: trailing comma");
  raw_error_is("{\"ociVersion\":\"\xff\"}", 18,
               "config.json: invalid JSON: lexical error: invalid bytes in UTF8 string.",
               "invalid JSON: invalid UTF-8");
  raw_error_is("{\"ociVersion\":\"1.2.0\"}\0", 23, "config.json: invalid JSON: NUL byte in input",
               "invalid JSON: NUL byte");
  error_is("{" MIN ",'hostname':'a\\u0000b'}",
           "config.json: invalid JSON: \\u0000 in a string is not supported",
           "invalid JSON: \\u0000 in a string");
  error_is("['ociVersion']", "config.json: expected a JSON object at the top level", "top level: an array");
  error_is("'1.2.0'", "config.json: expected a JSON object at the top level", "top level: a string");
  error_is("null", "config.json: expected a JSON object at the top level", "top level: null");
  error_is("42", "config.json: expected a JSON object at the top level", "top level: a number");
  const char *doc = "{\"ociVersion\":\"1.2.0\"}garbage";
  char *err = NULL;
  oci_spec *s = oci_parse_data(&oci_spec_type, doc, 22, "config.json", &err);
  ok(s && streq(s->oci_version, "1.2.0"), "input: only len bytes are read");
  oci_spec_free(s);
  free(err);
  s = oci_parse_data(&oci_spec_type, "[", 1, "config.json", NULL);
  ok(s == NULL, "input: errors without an err pointer");
  s = parse_as(&oci_spec_type, NULL, "{}");
  ok(s == NULL && streq(last_err, "input: .ociVersion: required field missing"), "input: docname defaults");
}

/* A document nesting `depth` arrays inside an unknown key (so that only depth matters). */
static char *nested(size_t depth, const char *open, const char *close)
{
  size_t lo = strlen(open), lc = strlen(close);
  char *s = malloc(64 + depth * (lo + lc));
  char *p = s + sprintf(s, "{\"ociVersion\":\"1.2.0\",\"x\":");
  for (size_t i = 1; i < depth; i++, p += lo)
    memcpy(p, open, lo);
  for (size_t i = 1; i < depth; i++, p += lc)
    memcpy(p, close, lc);
  strcpy(p, "}");
  return s;
}

static void test_depth(void)
{
  char *err = NULL;
  char *doc = nested(64, "[", "]");
  oci_spec *s = oci_parse_data(&oci_spec_type, doc, strlen(doc), "config.json", &err);
  ok(s != NULL, "depth: 64 levels accepted");
  oci_spec_free(s);
  free(doc);
  free(err);
  doc = nested(65, "[", "]");
  raw_error_is(doc, strlen(doc), "config.json: invalid JSON: nesting deeper than 64 levels",
               "depth: 65 refused");
  free(doc);
  doc = nested(65, "{\"a\":", "}");
  raw_error_is(doc, strlen(doc), "config.json: invalid JSON: nesting deeper than 64 levels",
               "depth: 65 levels of objects refused");
  free(doc);
  doc = nested(1000000, "[", "]");
  raw_error_is(doc, strlen(doc), "config.json: invalid JSON: nesting deeper than 64 levels",
               "depth: a million levels refused without crashing");
  free(doc);
  char *deep = malloc(1000001);
  memset(deep, '[', 1000000);
  deep[1000000] = '\0';
  raw_error_is(deep, 1000000, "config.json: invalid JSON: nesting deeper than 64 levels",
               "depth: a million unclosed brackets refused");
  free(deep);
  s = parse("{" MIN
            ",'hostname':'\\'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['}");
  ok(s && strncmp(s->hostname, "\"[[[", 4) == 0,
     "depth: brackets in strings (after an escaped quote) don't count");
  oci_spec_free(s);
  s = parse("/* [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ */ {" MIN "}");
  ok(s != NULL, "depth: brackets in comments don't count");
  oci_spec_free(s);
  doc = nested(65, "[", "]");
  char *commented = malloc(strlen(doc) + 16);
  sprintf(commented, "/* \" */ %s", doc); /* a scanner blind to comments would see a string */
  raw_error_is(commented, strlen(commented), "config.json: invalid JSON: nesting deeper than 64 levels",
               "depth: a quote in a comment does not hide the nesting");
  free(commented);
  free(doc);
}

static void test_unknown_and_null(void)
{
  const char *known
      = "{" MIN ",'process':{'cwd':'/','user':{'uid':0,'gid':0},'rlimits':[{'type':'RLIMIT_CORE',"
        "'hard':1,'soft':1}]},'linux':{'resources':{'memory':{}}},'hooks':{}}";
  const char *unknown
      = "{'future':{'a':[1,{'b':null}]}," MIN ",'process':{'x':1,'cwd':'/','user':{'uid':0,'gid':0,'y':'z'},"
        "'rlimits':[{'type':'RLIMIT_CORE','hard':1,'soft':1,'w':[]}],'execCPUAffinity':{'initial':'0'}},"
        "'linux':{'intelRdt':{'closID':'x'},'resources':{'rdma':{},'memory':{'q':1}},'netDevices':{'eth0':{}}"
        "},"
        "'hooks':{'later':[]}}";
  oci_spec *a = parse(known), *b = parse(unknown);
  char *ga = a ? oci_generate(&oci_spec_type, a, false, NULL) : NULL;
  char *gb = b ? oci_generate(&oci_spec_type, b, false, NULL) : NULL;
  ok(ga && gb && strcmp(ga, gb) == 0, "unknown keys: ignored at every level");
  free(ga);
  free(gb);
  oci_spec_free(a);
  oci_spec_free(b);
  oci_spec *s
      = parse("{" MIN ",'hostname':null,'root':null,'mounts':null,'annotations':null,'linux':{'sysctl':null,"
              "'resources':{'memory':{'limit':null,'swap':1}}},'process':{'cwd':'/','user':{'uid':0,"
              "'gid':0,'umask':null},'oomScoreAdj':null,'env':null,'terminal':null}}");
  ok(s && s->hostname == NULL && s->root == NULL && s->mounts_len == 0 && s->annotations_len == 0
         && s->linux_->sysctl_len == 0 && !s->linux_->resources->memory->has_limit
         && s->linux_->resources->memory->has_swap && !s->process->user->has_umask
         && !s->process->has_oom_score_adj && s->process->env == NULL && !s->process->terminal,
     "null: treated as absent for members of every kind");
  oci_spec_free(s);
  s = parse("{" MIN ",'annotations':{'a':'1','b':null,'c':'3'}}");
  ok(s && s->annotations_len == 2 && streq(s->annotations_keys[1], "c")
         && streq(s->annotations_values[1], "3"),
     "null: a map entry with a null value is absent");
  oci_spec_free(s);
  s = parse("{" MIN
            ",'annotations':{},'mounts':[],'process':{'cwd':'/','user':{'uid':0,'gid':0},'args':[]}}");
  char *out = s ? oci_generate(&oci_spec_type, s, false, NULL) : NULL;
  ok(s && s->annotations_keys == NULL && s->mounts == NULL && s->process->args == NULL && out
         && strcmp(out,
                   "{\"ociVersion\":\"1.2.0\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
                   "\"cwd\":\"/\",\"noNewPrivileges\":false}}")
                == 0,
     "empty arrays and maps: absent, and left out of the output");
  free(out);
  oci_spec_free(s);
}

static void test_duplicates(void)
{
  oci_spec *s = parse("{" MIN ",'hostname':'a','hostname':'b'}");
  ok(s && streq(s->hostname, "b"), "duplicate keys: last string wins");
  oci_spec_free(s);
  s = parse("{" MIN ",'hostname':1,'hostname':'ok'}");
  ok(s && streq(s->hostname, "ok"), "duplicate keys: an earlier invalid value is ignored");
  oci_spec_free(s);
  s = parse("{" MIN ",'hostname':'x','hostname':null}");
  ok(s && s->hostname == NULL, "duplicate keys: a last null makes the member absent");
  oci_spec_free(s);
  s = parse(PROC(",'capabilities':{'bounding':['A']},'capabilities':{'effective':['B','C']}"));
  ok(s && s->process->capabilities->bounding_len == 0
         && STRV_EQ(s->process->capabilities->effective, "B", "C"),
     "duplicate keys: last object wins");
  oci_spec_free(s);
  s = parse("{" MIN ",'mounts':[{'destination':'/a'}],'mounts':[{'destination':'/b'},{'destination':'/c'}]}");
  ok(s && s->mounts_len == 2 && streq(s->mounts[0]->destination, "/b"), "duplicate keys: last array wins");
  oci_spec_free(s);
  s = parse("{" MIN ",'annotations':{'a':'1','b':'2','a':'3','c':'4','b':null}}");
  ok(s && s->annotations_len == 2 && streq(s->annotations_keys[0], "a")
         && streq(s->annotations_values[0], "3") && streq(s->annotations_keys[1], "c"),
     "duplicate keys: in a map the last wins, at its position, and null removes");
  oci_spec_free(s);
  s = parse(LINUX("'timeOffsets':{'boottime':{'secs':1},'boottime':{'secs':2}}"));
  ok(s && s->linux_->time_offsets_len == 1 && s->linux_->time_offsets_values[0]->secs == 2,
     "duplicate keys: in an object map the last wins");
  oci_spec_free(s);
}

static void test_files(void)
{
  char dir[] = "/tmp/test-ocispec.XXXXXX", path[256], *err = NULL;
  if (mkdtemp(dir) == NULL) {
    ok(false, "files: mkdtemp: %s", strerror(errno));
    return;
  }
  snprintf(path, sizeof path, "%s/missing.json", dir);
  void *obj = oci_parse_file(&oci_spec_type, path, "config.json", &err);
  char want[512];
  snprintf(want, sizeof want, "%s: No such file or directory", path);
  ok(obj == NULL && streq(err, want), "files: a missing file is named by its path");
  free(err);
  err = NULL;
  obj = oci_parse_file(&oci_spec_type, dir, "config.json", &err);
  snprintf(want, sizeof want, "%s: Is a directory", dir);
  ok(obj == NULL && streq(err, want), "files: a directory");
  free(err);
  err = NULL;

  snprintf(path, sizeof path, "%s/big.json", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  bool made = fd >= 0 && ftruncate(fd, (64 << 20) + 1) == 0;
  if (fd >= 0)
    close(fd);
  obj = made ? oci_parse_file(&oci_spec_type, path, "config.json", &err) : NULL;
  snprintf(want, sizeof want, "%s: file larger than 64 MiB", path);
  ok(obj == NULL && streq(err, want), "files: over 64 MiB refused");
  free(err);
  err = NULL;
  unlink(path);

  snprintf(path, sizeof path, "%s/bad.json", dir);
  FILE *f = fopen(path, "w");
  fputs("{\"ociVersion\": 1}", f);
  fclose(f);
  obj = oci_parse_file(&oci_spec_type, path, NULL, &err);
  snprintf(want, sizeof want, "%s: .ociVersion: expected a string, got 1", path);
  ok(obj == NULL && streq(err, want), "files: without a docname, errors name the path");
  free(err);
  err = NULL;
  obj = oci_parse_file(&oci_spec_type, path, "config.json", &err);
  ok(obj == NULL && streq(err, "config.json: .ociVersion: expected a string, got 1"),
     "files: with a docname, parse errors name the document");
  free(err);
  err = NULL;
  unlink(path);
  rmdir(dir);
}

static void test_other_documents(void)
{
  char *akeys[] = { "myKey" }, *avalues[] = { "myValue" };
  oci_state st = { .oci_version = "1.2.0",
                   .id = "mycontainer",
                   .pid = 4422,
                   .status = "running",
                   .bundle = "/containers/mycontainer",
                   .rootfs = "/containers/mycontainer/rootfs",
                   .created = "2024-01-02T03:04:05.123456789Z",
                   .owner = "",
                   .annotations_keys = akeys,
                   .annotations_values = avalues,
                   .annotations_len = 1 };
  ok(generates(&oci_state_type, &st, true, "state.json", NULL), "state: pretty output as expected");
  ok(generates(
         &oci_state_type, &st, false, NULL,
         "{\"ociVersion\":\"1.2.0\",\"id\":\"mycontainer\",\"pid\":4422,\"status\":\"running\",\"bundle\":"
         "\"/containers/mycontainer\",\"rootfs\":\"/containers/mycontainer/rootfs\",\"created\":"
         "\"2024-01-02T03:04:05.123456789Z\",\"owner\":\"\",\"annotations\":{\"myKey\":\"myValue\"}}"),
     "state: compact output as expected");
  oci_state stopped = { .oci_version = "1.2.0", .id = "c", .status = "stopped", .bundle = "/b" };
  ok(generates(&oci_state_type, &stopped, false, NULL,
               "{\"ociVersion\":\"1.2.0\",\"id\":\"c\",\"pid\":0,\"status\":\"stopped\",\"bundle\":\"/b\"}"),
     "state: absent members left out, the non-optional pid written as 0");
  oci_state *ps = parse_as(&oci_state_type, "state", "{'ociVersion':'1.2.0','id':'c','status':'created'}");
  ok(ps == NULL && streq(last_err, "state: .bundle: required field missing"), "state: bundle is required");
  oci_free(&oci_state_type, ps);

  oci_container_status cs = { .id = "c1",
                              .pid = 1234,
                              .pid_start = UINT64_MAX,
                              .status = "created",
                              .bundle = "/run/bundles/c1",
                              .rootfs = "/run/bundles/c1/rootfs",
                              .created = "2024-05-06T07:08:09Z",
                              .cgroup_path = "/sys/fs/cgroup/ocirt/c1" };
  ok(generates(&oci_container_status_type, &cs, true, "container-status.json", NULL),
     "container status: pretty output as expected");
  char *text = slurp("container-status.json");
  char *err = NULL;
  oci_container_status *back
      = text ? oci_parse_data(&oci_container_status_type, text, strlen(text), "state.json", &err) : NULL;
  ok(back && back->pid == 1234 && back->pid_start == UINT64_MAX && streq(back->status, "created")
         && back->owner == NULL && !back->systemd_cgroup && back->annotations_len == 0,
     "container status: parses back");
  oci_free(&oci_container_status_type, back);
  free(text);
  free(err);
  back = parse_as(&oci_container_status_type, "state.json",
                  "{'id':'c1','pid':1,'status':'created','bundle':'/b'}");
  ok(back == NULL && streq(last_err, "state.json: .pidStart: required field missing"),
     "container status: pidStart is required");

  char *hooks[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
  char *mount_options[] = { "ro", "rw", "bind" };
  char *namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
  char *caps[] = { "CAP_CHOWN", "CAP_KILL" }, *actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO" };
  char *ops[] = { "SCMP_CMP_EQ" }, *archs[] = { "SCMP_ARCH_X86_64" },
       *flags[] = { "SECCOMP_FILTER_FLAG_LOG" };
  char *fkeys[] = { "io.github.ocirt.commit", "org.opencontainers.runc.checkpoint.enabled" };
  char *fvalues[] = { "unknown", "false" };
  oci_features_cgroup cg = { .v2 = true, .systemd = true, .systemd_user = true };
  oci_features_seccomp sec = { .enabled = true,
                               .actions = actions,
                               .actions_len = 2,
                               .operators = ops,
                               .operators_len = 1,
                               .archs = archs,
                               .archs_len = 1,
                               .known_flags = flags,
                               .known_flags_len = 1,
                               .supported_flags = flags,
                               .supported_flags_len = 1 };
  oci_feature_enabled off = { .enabled = false }, on = { .enabled = true };
  oci_features_mount_extensions mx = { .idmap = &on };
  oci_features_linux fl = { .namespaces = namespaces,
                            .namespaces_len = 8,
                            .capabilities = caps,
                            .capabilities_len = 2,
                            .cgroup = &cg,
                            .seccomp = &sec,
                            .apparmor = &off,
                            .selinux = &off,
                            .intel_rdt = &off,
                            .mount_extensions = &mx };
  oci_features ft = { .oci_version_min = "1.0.0",
                      .oci_version_max = "1.2.0",
                      .hooks = hooks,
                      .hooks_len = 6,
                      .mount_options = mount_options,
                      .mount_options_len = 3,
                      .linux_ = &fl,
                      .annotations_keys = fkeys,
                      .annotations_values = fvalues,
                      .annotations_len = 2 };
  ok(generates(&oci_features_type, &ft, true, "features.json", NULL), "features: pretty output as expected");

  oci_process *proc = parse_as(&oci_process_type, "process.json",
                               "{'cwd':'/tmp','user':{'uid':5,'gid':6},'args':['ls'],'env':['A=1']}");
  ok(proc && proc->user->uid == 5 && streq(proc->cwd, "/tmp") && STRV_EQ(proc->env, "A=1"),
     "process: an exec --process document parses");
  oci_free(&oci_process_type, proc);
  proc = parse_as(&oci_process_type, "process.json", "{'user':{'uid':5,'gid':6}}");
  ok(proc == NULL && streq(last_err, "process.json: .cwd: required field missing"),
     "process: errors are relative to the document");

  oci_resources *res
      = parse_as(&oci_resources_type, "resources.json",
                 "{'memory':{'limit':1048576},'cpu':{'shares':512,'cpus':'1'},'pids':{'limit':10},"
                 "'unified':{'memory.max':'max'}}");
  ok(res && res->memory->has_limit && res->memory->limit == 1048576 && !res->memory->has_swap
         && res->cpu->shares == 512 && !res->cpu->has_quota && res->pids->limit == 10
         && res->unified_len == 1,
     "resources: an update --resources document parses");
  ok(res
         && generates(
             &oci_resources_type, res, false, NULL,
             "{\"memory\":{\"limit\":1048576,\"disableOOMKiller\":false,\"checkBeforeUpdate\":false},"
             "\"cpu\":{\"shares\":512,\"cpus\":\"1\"},\"pids\":{\"limit\":10},"
             "\"unified\":{\"memory.max\":\"max\"}}"),
     "resources: optional integers written only when set, booleans always");
  oci_free(&oci_resources_type, res);

  /* linux.seccomp alone: ocirt's seccomp filter cache keys on its generated JSON, which must hold
   * every member the compiler reads */
  oci_seccomp *sc = parse_as(&oci_seccomp_type, "seccomp",
                             "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,'architectures':['SCMP_ARCH_X86_64'],"
                             "'flags':['SECCOMP_FILTER_FLAG_LOG'],'listenerPath':'/l',"
                             "'syscalls':[{'names':['kill'],'action':'SCMP_ACT_ALLOW','errnoRet':2,"
                             "'args':[{'index':1,'value':9,'valueTwo':3,'op':'SCMP_CMP_EQ'}]}]}");
  ok(sc && generates(&oci_seccomp_type, sc, false, NULL,
                     "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
                     "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                     "\"listenerPath\":\"/l\",\"syscalls\":[{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\","
                     "\"errnoRet\":2,\"args\":[{\"index\":1,\"value\":9,\"valueTwo\":3,\"op\":\"SCMP_CMP_EQ\"}]}]}"),
     "seccomp: every member the filter compiler reads is generated");
  oci_free(&oci_seccomp_type, sc);
}

static void test_generate_edges(void)
{
  oci_memory mem = { .limit = 0, .has_limit = true, .swap = 5, .has_swap = false };
  oci_resources res = { .memory = &mem };
  ok(generates(&oci_resources_type, &res, false, NULL,
               "{\"memory\":{\"limit\":0,\"disableOOMKiller\":false,\"checkBeforeUpdate\":false}}"),
     "generate: a set optional integer of 0 is written, an unset one is not");
  oci_state bad = { .oci_version = "1.2.0", .id = "\xff", .status = "created", .bundle = "/b" };
  ok(oci_generate(&oci_state_type, &bad, false, NULL) == NULL, "generate: invalid UTF-8 gives NULL");
  oci_state esc = { .oci_version = "1.2.0", .id = "a\"b\\c\n\x01/\xc3\xa9", .status = "s", .bundle = "/b" };
  ok(generates(
         &oci_state_type, &esc, false, NULL,
         "{\"ociVersion\":\"1.2.0\",\"id\":\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\",\"pid\":0,\"status\":\"s\","
         "\"bundle\":\"/b\"}"),
     "generate: strings escaped as JSON needs, '/' and UTF-8 left alone");
  char *q = oci_json_quote("a\"b\\c\n\t\x01/\xc3\xa9");
  ok(streq(q, "\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\""), "oci_json_quote: escapes");
  free(q);
  q = oci_json_quote("");
  ok(streq(q, "\"\""), "oci_json_quote: empty string");
  free(q);
  char *keys[] = { "a", "b" }, *values[] = { "1", "2" };
  ok(streq(oci_map_get(keys, values, 2, "b"), "2") && oci_map_get(keys, values, 2, "c") == NULL
         && oci_map_get(NULL, NULL, 0, "a") == NULL,
     "oci_map_get: found, missing, empty map");
  oci_free(&oci_spec_type, NULL);
  ok(true, "oci_free: NULL is ignored");
}

static void test_dm_pool(void)
{
  char *text = sq("{'name':'p','data':'/d.img','metadata':'/m.img','blockSectors':128,'nextId':7,"
                  "'devices':[{'id':3,'name':'base','kind':'image','state':'ready','size':1073741824},"
                  "{'id':6,'name':'web1','kind':'container','parent':'base','container':'web1',"
                  "'state':'creating','size':1073741824}]}");
  char *err = NULL;
  oci_dm_pool *p = oci_parse_data(&oci_dm_pool_type, text, strlen(text), "pool.json", &err);
  ok(p && p->next_id == 7 && p->block_sectors == 128 && p->devices_len == 2 && p->devices[1]->id == 6
         && streq(p->devices[1]->parent, "base") && p->devices[0]->size == 1073741824ULL
         && p->devices[0]->parent == NULL,
     "dm pool: parses with its devices");
  size_t len = 0;
  char *out = p ? oci_generate(&oci_dm_pool_type, p, false, &len) : NULL;
  ok(out && strcmp(out, text) == 0, "dm pool: generates back the same JSON");
  free(out);
  oci_free(&oci_dm_pool_type, p);
  free(text);
  text = sq("{'name':'p','data':'/d','metadata':'/m','blockSectors':128,'nextId':0,"
            "'devices':[{'id':1,'name':'x','kind':'image','size':1}]}");
  p = oci_parse_data(&oci_dm_pool_type, text, strlen(text), "pool.json", &err);
  ok(p == NULL && err && strstr(err, "state: required field missing"), "dm pool: a device's state is required");
  free(err);
  oci_free(&oci_dm_pool_type, p);
  free(text);
}

int main(void)
{
  test_runc_spec();
  test_full_config();
  test_type_errors();
  test_numbers();
  test_required();
  test_invalid_json();
  test_depth();
  test_unknown_and_null();
  test_duplicates();
  test_files();
  test_other_documents();
  test_generate_edges();
  test_dm_pool();
  free(last_err);
  printf("1..%d\n", tests_run);
  return tests_failed == 0 ? 0 : 1;
}
