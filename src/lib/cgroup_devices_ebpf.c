#include "config.h"
#include "cgroup_devices_ebpf.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The few instruction forms the program needs (the kernel's filter.h macros are not uapi). */
static struct bpf_insn
insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}
#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define AND32_IMM(dst, imm) insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm) insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV64_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers: R1 the context (struct bpf_cgroup_dev_ctx), then scratch; R2 access, R3 type, R4
 * major, R5 minor. */
enum { R0, R1, R2, R3, R4, R5 };

typedef struct {
  int type;             /* BPF_DEVCG_DEV_*, 0 for any */
  int access;           /* BPF_DEVCG_ACC_* bits */
  int64_t major, minor; /* -1 for any */
  bool allow;
} rule;

static rule
parse_rule(const oci_device_cgroup *d)
{
  rule r = { 0, 0, -1, -1, d->allow };
  if (d->type && strcmp(d->type, "c") == 0)
    r.type = BPF_DEVCG_DEV_CHAR;
  else if (d->type && strcmp(d->type, "b") == 0)
    r.type = BPF_DEVCG_DEV_BLOCK;
  const char *a = d->access && *d->access ? d->access : "rwm";
  for (; *a; a++)
    r.access |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                : *a == 'm' ? BPF_DEVCG_ACC_MKNOD
                            : 0;
  if (d->has_major && d->major >= 0)
    r.major = d->major;
  if (d->has_minor && d->minor >= 0)
    r.minor = d->minor;
  return r;
}

static const int all_access = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

static bool
resets_default(const rule *r)
{
  return r->type == 0 && r->major < 0 && r->minor < 0 && r->access == all_access;
}

void
devices_ebpf_build(oci_device_cgroup **rules, size_t n, struct bpf_insn **insns, size_t *n_insns)
{
  /* Like v1: every device is allowed until a rule for all of them says otherwise; only the rules
   * after the last such one matter. */
  bool deflt = true;
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    rule r = parse_rule(rules[i]);
    if (resets_default(&r)) {
      deflt = r.allow;
      from = i + 1;
    }
  }
  size_t cap = 8 + (n - from) * 8, k = 0;
  struct bpf_insn *p = xcalloc(cap, sizeof(*p));
  p[k++] = LDX_W(R2, R1, 0); /* access_type: access << 16 | type */
  p[k++] = MOV32_REG(R3, R2);
  p[k++] = AND32_IMM(R3, 0xffff);
  p[k++] = RSH32_IMM(R2, 16);
  p[k++] = LDX_W(R4, R1, 4);
  p[k++] = LDX_W(R5, R1, 8);
  /* The last rule that matches decides: check them from the last. */
  for (size_t i = n; i > from; i--) {
    rule r = parse_rule(rules[i - 1]);
    int len = (r.type ? 1 : 0) + (r.access != all_access ? 3 : 0) + (r.major >= 0) + (r.minor >= 0) + 2;
    int left = len; /* instructions of this block from here on */
    if (r.type)
      p[k++] = JNE_IMM(R3, r.type, (int16_t)(left -= 1, left));
    if (r.access != all_access) {
      /* Any asked access bit the rule does not name: no match. */
      p[k++] = MOV32_REG(R1, R2);
      p[k++] = AND32_IMM(R1, ~r.access & all_access);
      left -= 3;
      p[k++] = JNE_IMM(R1, 0, (int16_t)left);
    }
    if (r.major >= 0)
      p[k++] = JNE_IMM(R4, (int32_t)r.major, (int16_t)(left -= 1, left));
    if (r.minor >= 0)
      p[k++] = JNE_IMM(R5, (int32_t)r.minor, (int16_t)(left -= 1, left));
    p[k++] = MOV64_IMM(R0, r.allow ? 1 : 0);
    p[k++] = EXIT();
  }
  p[k++] = MOV64_IMM(R0, deflt ? 1 : 0);
  p[k++] = EXIT();
  *insns = p;
  *n_insns = k;
}

static int
bpf(int cmd, union bpf_attr *attr)
{
  return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int
devices_ebpf_attach(const char *dir, oci_device_cgroup **rules, size_t n, ocirt_error *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n_insns;
  devices_ebpf_build(rules, n, &insns, &n_insns);
  cleanup_free char *log = xcalloc(1, 65536);
  union bpf_attr load = { 0 };
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)insns;
  load.insn_cnt = (uint32_t)n_insns;
  load.license = (uint64_t)(uintptr_t) "Apache";
  load.log_buf = (uint64_t)(uintptr_t)log;
  load.log_size = 65536;
  load.log_level = 1;
  cleanup_close int prog = bpf(BPF_PROG_LOAD, &load);
  if (prog < 0) {
    /* The verifier log says why; its first line is the program listing header. */
    int saved = errno;
    char *nl = strchr(log, '\n');
    return error_set(err, saved, ".linux.resources.devices: load the eBPF device program%s%s",
                     *log ? ": " : "", nl ? (nl[1] ? nl + 1 : log) : log);
  }
  cleanup_close int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0)
    return error_set(err, errno, ".linux.resources.devices: open `%s`", dir);
  /* The programs attached before (by an earlier apply): detached once the new one is in place. */
  uint32_t old[64], n_old = 0;
  union bpf_attr query = { 0 };
  query.query.target_fd = (uint32_t)cg;
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = (uint64_t)(uintptr_t)old;
  query.query.prog_cnt = 64;
  if (bpf(BPF_PROG_QUERY, &query) == 0)
    n_old = query.query.prog_cnt;
  union bpf_attr attach = { 0 };
  attach.target_fd = (uint32_t)cg;
  attach.attach_bpf_fd = (uint32_t)prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI; /* the container may attach its own below */
  if (bpf(BPF_PROG_ATTACH, &attach) < 0)
    return error_set(err, errno, ".linux.resources.devices: attach the eBPF device program to `%s`", dir);
  for (uint32_t i = 0; i < n_old && i < 64; i++) {
    union bpf_attr get = { 0 };
    get.prog_id = old[i];
    cleanup_close int fd = bpf(BPF_PROG_GET_FD_BY_ID, &get);
    if (fd < 0)
      continue;
    union bpf_attr detach = { 0 };
    detach.target_fd = (uint32_t)cg;
    detach.attach_bpf_fd = (uint32_t)fd;
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &detach) < 0)
      return error_set(err, errno, ".linux.resources.devices: detach the previous eBPF device program");
  }
  return 0;
}
