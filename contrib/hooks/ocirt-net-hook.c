/* ocirt-net-hook: put a container on a bridge, as an OCI hook.
 *
 *   createRuntime (or prestart):  ocirt-net-hook up   [--NAME=VALUE]...
 *   poststop:                     ocirt-net-hook down [--NAME=VALUE]...
 *
 * `up` reads the state JSON on stdin, opens the network namespace of its pid, makes the bridge if it
 * is missing (up, with the gateway address), makes a veth pair whose host end is a port of the bridge
 * and whose other end is created inside the container under its final name, gives it an address
 * from the bridge's subnet, brings lo and it up and adds the default route when asked to.  `down`
 * removes the veth (and the bridge, when `up` made it and no port is left) and releases the address.
 *
 * Every change happens under one flock on STATE-DIR/lock, and the leases file there (one line a
 * container, keyed by container id) is written before anything is made, so a crash leaves a record
 * `down` can undo; an address is never handed out twice, also to containers starting in parallel.
 * Links are made by iproute2's `ip` (fork + exec, no shell).  Errors are one line on stderr. */
#include "config.h"
#include "ocispec.h"
#include "utils.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "ocirt-net-hook"
#define LEASES "leases"
#define MAX_STATE_JSON (1 << 20)

/* ---- configuration: one table, four sources ---------------------------------------------------- */

enum {
  OPT_BRIDGE,
  OPT_SUBNET,
  OPT_ADDRESS,
  OPT_GATEWAY,
  OPT_IFNAME,
  OPT_MTU,
  OPT_DEFAULT_ROUTE,
  OPT_STATE_DIR,
  OPT_IP,
  OPT_ANNOTATIONS,
  OPT_N
};

typedef struct {
  const char *name;       /* --NAME=VALUE in the hook's args */
  const char *env;        /* in the hook's env */
  const char *annotation; /* per container; NULL for what only the hook's owner may set */
  const char *def;
} option_def;

/* Later sources win: default, env, args, annotations. */
static const option_def option_table[OPT_N] = {
  [OPT_BRIDGE] = { "bridge", "OCIRT_NET_BRIDGE", "org.ocirt.net.bridge", "ocirt0" },
  [OPT_SUBNET] = { "subnet", "OCIRT_NET_SUBNET", "org.ocirt.net.subnet", "10.89.0.0/24" },
  [OPT_ADDRESS] = { "address", "OCIRT_NET_ADDRESS", "org.ocirt.net.address", NULL },
  [OPT_GATEWAY] = { "gateway", "OCIRT_NET_GATEWAY", "org.ocirt.net.gateway", NULL },
  [OPT_IFNAME] = { "ifname", "OCIRT_NET_IFNAME", "org.ocirt.net.ifname", "eth0" },
  [OPT_MTU] = { "mtu", "OCIRT_NET_MTU", "org.ocirt.net.mtu", NULL },
  [OPT_DEFAULT_ROUTE] = { "default-route", "OCIRT_NET_DEFAULT_ROUTE", "org.ocirt.net.default-route", "false" },
  [OPT_STATE_DIR] = { "state-dir", "OCIRT_NET_STATE_DIR", NULL, "/run/ocirt-net" },
  [OPT_IP] = { "ip", "OCIRT_NET_IP", NULL, NULL },
  /* false: the container's annotations are ignored (an engine may let its users set any) */
  [OPT_ANNOTATIONS] = { "annotations", "OCIRT_NET_ANNOTATIONS", NULL, "true" },
};

typedef struct {
  const char *value;
  char *source; /* for errors: "annotation org.ocirt.net.subnet", "--subnet", "OCIRT_NET_SUBNET" */
} setting;

typedef struct {
  setting opt[OPT_N];
  /* parsed */
  uint32_t net; /* host byte order */
  int prefix;
  uint32_t gateway;
  uint32_t address; /* 0: allocate */
  unsigned mtu;     /* 0: the kernel's default */
  bool default_route;
  const char *ip; /* the ip binary */
} net_config;

static void config_free(net_config *c)
{
  for (int i = 0; i < OPT_N; i++)
    free(c->opt[i].source);
}

static void set_opt(net_config *c, int i, const char *value, char *source)
{
  free(c->opt[i].source);
  c->opt[i].value = value;
  c->opt[i].source = source;
}

static int opt_by_name(const char *name, size_t len)
{
  for (int i = 0; i < OPT_N; i++)
    if (strlen(option_table[i].name) == len && strncmp(option_table[i].name, name, len) == 0)
      return i;
  return -1;
}

static int parse_bool(const char *s, bool *out)
{
  static const struct {
    const char *word;
    bool value;
  } words[] = { { "true", true }, { "yes", true }, { "1", true }, { "false", false }, { "no", false }, { "0", false } };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp(s, words[i].word) == 0) {
      *out = words[i].value;
      return 0;
    }
  return -1;
}

static int config_gather(net_config *c, char **args, int nargs, const oci_state *st, ocirt_error *err)
{
  for (int i = 0; i < OPT_N; i++) {
    const char *e = getenv(option_table[i].env);
    if (e != NULL)
      set_opt(c, i, e, xstrdup(option_table[i].env));
    else
      set_opt(c, i, option_table[i].def, xstrdup("default"));
  }
  for (int a = 0; a < nargs; a++) {
    const char *s = args[a];
    const char *eq = strchr(s, '=');
    int i = strncmp(s, "--", 2) == 0 && eq != NULL ? opt_by_name(s + 2, (size_t) (eq - s - 2)) : -1;
    if (i < 0)
      return error_set(err, 0, "unknown argument `%s` (expected --NAME=VALUE, NAME one of bridge, subnet, "
                               "address, gateway, ifname, mtu, default-route, state-dir, ip, annotations)", s);
    set_opt(c, i, eq + 1, xasprintf("--%s", option_table[i].name));
  }
  bool use_annotations;
  const setting *s = &c->opt[OPT_ANNOTATIONS];
  if (parse_bool(s->value, &use_annotations) < 0)
    return error_set(err, 0, "%s: invalid value \"%s\": expected true or false", s->source, s->value);
  for (int i = 0; use_annotations && i < OPT_N; i++) {
    if (option_table[i].annotation == NULL)
      continue;
    const char *v = oci_map_get(st->annotations_keys, st->annotations_values, st->annotations_len,
                                option_table[i].annotation);
    if (v != NULL)
      set_opt(c, i, v, xasprintf("annotation %s", option_table[i].annotation));
  }
  return 0;
}

/* An interface name the kernel takes and a line of the leases file can hold. */
static bool valid_ifname(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return false;
  return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int parse_ipv4(const char *s, uint32_t *out)
{
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1)
    return -1;
  *out = ntohl(a.s_addr);
  return 0;
}

static const char *fmt_ipv4(uint32_t a, char buf[INET_ADDRSTRLEN])
{
  struct in_addr in = { .s_addr = htonl(a) };
  return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static uint32_t mask_of(int prefix) { return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix); }

/* "A.B.C.D/N" → address and prefix; the prefix is optional when want_prefix is NULL-able. */
static int parse_cidr(const char *s, uint32_t *addr, int *prefix, bool prefix_required)
{
  cleanup_free char *copy = xstrdup(s);
  char *slash = strchr(copy, '/');
  *prefix = -1;
  if (slash != NULL) {
    *slash = '\0';
    uint64_t p;
    if (parse_uint64(slash + 1, &p) < 0 || p > 32)
      return -1;
    *prefix = (int) p;
  } else if (prefix_required) {
    return -1;
  }
  return parse_ipv4(copy, addr);
}

static bool in_subnet(const net_config *c, uint32_t a) { return (a & mask_of(c->prefix)) == c->net; }
static uint32_t broadcast_of(const net_config *c) { return c->net | ~mask_of(c->prefix); }

/* A host address of the subnet that is neither the network, the broadcast nor the gateway. */
static int check_host_address(const net_config *c, uint32_t a, const setting *s, ocirt_error *err)
{
  char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
  if (!in_subnet(c, a))
    return error_set(err, 0, "%s: address %s is outside the subnet %s/%d", s->source, fmt_ipv4(a, b1),
                     fmt_ipv4(c->net, b2), c->prefix);
  if (a == c->net || a == broadcast_of(c))
    return error_set(err, 0, "%s: %s is the %s address of the subnet %s/%d", s->source, fmt_ipv4(a, b1),
                     a == c->net ? "network" : "broadcast", fmt_ipv4(c->net, b2), c->prefix);
  return 0;
}


static const char *find_ip(void)
{
  static const char *const places[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
  for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
    if (access(places[i], X_OK) == 0)
      return places[i];
  return NULL;
}

/* Check and parse what `down` needs too (names, state dir) and, for `up`, the addresses. */
static int config_check(net_config *c, bool up, ocirt_error *err)
{
  const setting *s = &c->opt[OPT_STATE_DIR];
  if (s->value == NULL || s->value[0] != '/')
    return error_set(err, 0, "%s: the state directory must be an absolute path, got \"%s\"", s->source,
                     s->value ? s->value : "");
  s = &c->opt[OPT_IP];
  c->ip = s->value != NULL ? s->value : find_ip();
  if (c->ip == NULL)
    return error_set(err, 0, "iproute2's `ip` not found in /usr/sbin, /sbin, /usr/bin, /bin: install iproute2 "
                             "or set --ip=PATH");
  if (access(c->ip, X_OK) < 0)
    return error_set(err, errno, "%s: `%s`", s->source, c->ip);
  /* `down` goes by the lease alone: what `up` refused never got one */
  if (!up)
    return 0;

  s = &c->opt[OPT_BRIDGE];
  if (s->value == NULL || !valid_ifname(s->value))
    return error_set(err, 0, "%s: invalid bridge name \"%s\": 1 to %d of the characters A-Z a-z 0-9 _ . -",
                     s->source, s->value ? s->value : "", IFNAMSIZ - 1);
  s = &c->opt[OPT_IFNAME];
  if (s->value == NULL || !valid_ifname(s->value))
    return error_set(err, 0, "%s: invalid interface name \"%s\": 1 to %d of the characters A-Z a-z 0-9 _ . -",
                     s->source, s->value ? s->value : "", IFNAMSIZ - 1);

  s = &c->opt[OPT_SUBNET];
  char b[INET_ADDRSTRLEN];
  if (s->value == NULL || parse_cidr(s->value, &c->net, &c->prefix, true) < 0)
    return error_set(err, 0, "%s: invalid subnet \"%s\": expected an IPv4 network like 10.89.0.0/24",
                     s->source, s->value ? s->value : "");
  if (c->prefix < 8 || c->prefix > 30)
    return error_set(err, 0, "%s: subnet %s: the prefix length must be between 8 and 30", s->source, s->value);
  if ((c->net & ~mask_of(c->prefix)) != 0)
    return error_set(err, 0, "%s: subnet %s has host bits set (did you mean %s/%d?)", s->source, s->value,
                     fmt_ipv4(c->net & mask_of(c->prefix), b), c->prefix);

  s = &c->opt[OPT_GATEWAY];
  if (s->value == NULL) {
    c->gateway = c->net + 1;
  } else {
    if (parse_ipv4(s->value, &c->gateway) < 0)
      return error_set(err, 0, "%s: invalid gateway \"%s\": expected an IPv4 address", s->source, s->value);
    if (check_host_address(c, c->gateway, s, err) < 0)
      return -1;
  }

  s = &c->opt[OPT_ADDRESS];
  c->address = 0;
  if (s->value != NULL && s->value[0] != '\0') {
    int p;
    if (parse_cidr(s->value, &c->address, &p, false) < 0)
      return error_set(err, 0, "%s: invalid address \"%s\": expected an IPv4 address", s->source, s->value);
    if (p >= 0 && p != c->prefix)
      return error_set(err, 0, "%s: address %s: the prefix length must be the subnet's, /%d", s->source,
                       s->value, c->prefix);
    if (check_host_address(c, c->address, s, err) < 0)
      return -1;
    if (c->address == c->gateway)
      return error_set(err, 0, "%s: %s is the gateway's address", s->source, fmt_ipv4(c->address, b));
  }

  s = &c->opt[OPT_MTU];
  c->mtu = 0;
  if (s->value != NULL && s->value[0] != '\0') {
    uint64_t m;
    if (parse_uint64(s->value, &m) < 0 || m < 68 || m > 65535)
      return error_set(err, 0, "%s: invalid mtu \"%s\": expected a number from 68 to 65535", s->source, s->value);
    c->mtu = (unsigned) m;
  }

  s = &c->opt[OPT_DEFAULT_ROUTE];
  if (s->value == NULL || parse_bool(s->value, &c->default_route) < 0)
    return error_set(err, 0, "%s: invalid value \"%s\": expected true or false", s->source,
                     s->value ? s->value : "");
  return 0;
}

/* ---- the leases file --------------------------------------------------------------------------- */

/*   lease ID VETH BRIDGE ADDRESS/PREFIX     an address in use, the host end of its veth
 *   bridge NAME NETWORK/PREFIX              a bridge this hook made (and removes when it is empty) */
typedef struct {
  char *id, *veth, *bridge;
  uint32_t addr;
  int prefix;
} lease;

typedef struct {
  char *name;
  uint32_t net;
  int prefix;
} bridge_rec;

typedef struct {
  lease *leases;
  size_t n_leases;
  bridge_rec *bridges;
  size_t n_bridges;
} net_state;

static void state_free(net_state *s)
{
  for (size_t i = 0; i < s->n_leases; i++)
    free(s->leases[i].id), free(s->leases[i].veth), free(s->leases[i].bridge);
  for (size_t i = 0; i < s->n_bridges; i++)
    free(s->bridges[i].name);
  free(s->leases);
  free(s->bridges);
}

static void add_lease(net_state *s, const char *id, const char *veth, const char *bridge, uint32_t addr,
                      int prefix)
{
  s->leases = xrealloc(s->leases, (s->n_leases + 1) * sizeof *s->leases);
  s->leases[s->n_leases++] = (lease) { xstrdup(id), xstrdup(veth), xstrdup(bridge), addr, prefix };
}

static void remove_lease(net_state *s, size_t i)
{
  free(s->leases[i].id), free(s->leases[i].veth), free(s->leases[i].bridge);
  s->leases[i] = s->leases[--s->n_leases];
}

static void add_bridge(net_state *s, const char *name, uint32_t net, int prefix)
{
  s->bridges = xrealloc(s->bridges, (s->n_bridges + 1) * sizeof *s->bridges);
  s->bridges[s->n_bridges++] = (bridge_rec) { xstrdup(name), net, prefix };
}

static bridge_rec *find_bridge(net_state *s, const char *name)
{
  for (size_t i = 0; i < s->n_bridges; i++)
    if (strcmp(s->bridges[i].name, name) == 0)
      return &s->bridges[i];
  return NULL;
}

static void remove_bridge(net_state *s, const char *name)
{
  for (size_t i = 0; i < s->n_bridges; i++)
    if (strcmp(s->bridges[i].name, name) == 0) {
      free(s->bridges[i].name);
      s->bridges[i] = s->bridges[--s->n_bridges];
      return;
    }
}

static lease *find_lease(net_state *s, const char *id)
{
  for (size_t i = 0; i < s->n_leases; i++)
    if (strcmp(s->leases[i].id, id) == 0)
      return &s->leases[i];
  return NULL;
}

static int load_state(int dir_fd, const char *dir, net_state *s, ocirt_error *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  if (read_file_at(dir_fd, LEASES, 1 << 22, &data, &len, err) < 0) {
    if (err->errno_value == ENOENT) {
      error_clear(err);
      return 0;
    }
    return error_wrap(err, "read the leases of `%s`", dir);
  }
  char *save = NULL;
  unsigned lineno = 0;
  for (char *line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char kind[16], a[64], b[64], c[64], d[64];
    uint32_t addr;
    int prefix;
    lineno++;
    int n = sscanf(line, "%15s %63s %63s %63s %63s", kind, a, b, c, d);
    if (n == 5 && strcmp(kind, "lease") == 0 && parse_cidr(d, &addr, &prefix, true) == 0)
      add_lease(s, a, b, c, addr, prefix);
    else if (n == 3 && strcmp(kind, "bridge") == 0 && parse_cidr(b, &addr, &prefix, true) == 0)
      add_bridge(s, a, addr, prefix);
    else
      return error_set(err, 0, "`%s/%s`: line %u is damaged: \"%.80s\"", dir, LEASES, lineno, line);
  }
  return 0;
}

static int save_state(int dir_fd, const char *dir, const net_state *s, ocirt_error *err)
{
  size_t cap = 64, len = 0;
  cleanup_free char *buf = xmalloc(cap);
  buf[0] = '\0';
  char ab[INET_ADDRSTRLEN];
  for (size_t i = 0; i < s->n_leases + s->n_bridges; i++) {
    cleanup_free char *line = NULL;
    if (i < s->n_leases) {
      const lease *l = &s->leases[i];
      line = xasprintf("lease %s %s %s %s/%d\n", l->id, l->veth, l->bridge, fmt_ipv4(l->addr, ab), l->prefix);
    } else {
      const bridge_rec *r = &s->bridges[i - s->n_leases];
      line = xasprintf("bridge %s %s/%d\n", r->name, fmt_ipv4(r->net, ab), r->prefix);
    }
    size_t n = strlen(line);
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      buf = xrealloc(buf, cap);
    }
    memcpy(buf + len, line, n + 1);
    len += n;
  }
  if (write_file_atomic_at(dir_fd, LEASES, buf, len, 0644, err) < 0)
    return error_wrap(err, "write the leases of `%s`", dir);
  return 0;
}

/* ---- links ------------------------------------------------------------------------------------- */

static bool link_exists(const char *name) { return if_nametoindex(name) != 0; }

static bool is_bridge(const char *name)
{
  cleanup_free char *p = xasprintf("/sys/class/net/%s/bridge", name);
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static size_t bridge_ports(const char *name)
{
  cleanup_free char *p = xasprintf("/sys/class/net/%s/brif", name);
  DIR *d = opendir(p);
  size_t n = 0;
  if (d == NULL)
    return 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

/* Run `ip ARGS...` (in the network namespace netns_fd when enter_ns, else here), `batch` on its
 * stdin.  The namespace is also passed to it as fd 3, for `netns /proc/self/fd/3`.  Its stderr
 * becomes the error. */
static int run_ip(const net_config *c, int netns_fd, bool enter_ns, const char *batch, const char *const *args,
                  ocirt_error *err)
{
  const char *argv[24];
  size_t n = 0;
  argv[n++] = "ip";
  for (; args[n - 1] != NULL && n < 23; n++)
    argv[n] = args[n - 1];
  argv[n] = NULL;
  /* the command for messages */
  size_t cmdlen = 0;
  for (size_t i = 0; argv[i]; i++)
    cmdlen += strlen(argv[i]) + 1;
  cleanup_free char *cmd = xmalloc(cmdlen + 1);
  char *end = cmd;
  for (size_t i = 0; argv[i]; i++) {
    size_t l = strlen(argv[i]);
    memcpy(end, argv[i], l);
    end[l] = argv[i + 1] ? ' ' : '\0';
    end += l + 1;
  }

  int in_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) < 0)
    return error_set(err, errno, "pipe");
  if (pipe2(err_pipe, O_CLOEXEC) < 0) {
    int saved = errno;
    close(in_pipe[0]), close(in_pipe[1]);
    return error_set(err, saved, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(in_pipe[0]), close(in_pipe[1]), close(err_pipe[0]), close(err_pipe[1]);
    return error_set(err, saved, "fork");
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (netns_fd >= 0) {
      if (enter_ns && setns(netns_fd, CLONE_NEWNET) < 0) {
        dprintf(err_pipe[1], "enter the container's network namespace: %s", strerror(errno));
        _exit(127);
      }
      if (netns_fd == 3)
        fcntl(3, F_SETFD, 0);
      else
        dup2(netns_fd, 3); /* without O_CLOEXEC */
    }
    dup2(in_pipe[0], 0);
    dup2(devnull >= 0 ? devnull : err_pipe[1], 1);
    dup2(err_pipe[1], 2);
    signal(SIGPIPE, SIG_DFL);
    char *const envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL };
    execve(c->ip, (char *const *) argv, envp);
    dprintf(2, "exec `%s`: %s", c->ip, strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(err_pipe[1]);
  if (batch != NULL)
    write_all(in_pipe[1], batch, strlen(batch)); /* a few lines: fits the pipe */
  close(in_pipe[1]);
  char msg[2048];
  ssize_t got = read_all(err_pipe[0], msg, sizeof msg - 1);
  close(err_pipe[0]);
  msg[got > 0 ? got : 0] = '\0';
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return error_set(err, errno, "wait for `%s`", cmd);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  /* one line: ip's lines joined */
  size_t m = strlen(msg);
  while (m > 0 && (msg[m - 1] == '\n' || msg[m - 1] == ' '))
    msg[--m] = '\0';
  for (char *p = msg; *p; p++)
    if (*p == '\n')
      *p = ';';
  if (m > 0)
    return error_set(err, 0, "`%s`: %s", cmd, msg);
  if (WIFEXITED(status))
    return error_set(err, 0, "`%s` exited with status %d", cmd, WEXITSTATUS(status));
  return error_set(err, 0, "`%s` was killed by signal %d", cmd, WTERMSIG(status));
}

#define IP(c, err, ...) run_ip((c), -1, false, NULL, (const char *const[]) { __VA_ARGS__, NULL }, (err))

/* Delete a link; one that is already gone (its namespace died) is fine. */
static int delete_link(const net_config *c, const char *name, ocirt_error *err)
{
  if (!link_exists(name))
    return 0;
  if (IP(c, err, "link", "del", name) < 0) {
    if (!link_exists(name)) {
      error_clear(err);
      return 0;
    }
    return -1;
  }
  return 0;
}

/* ---- up and down ------------------------------------------------------------------------------- */

static uint32_t fnv1a(const char *s, uint32_t salt)
{
  uint32_t h = 2166136261u ^ salt;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 16777619u;
  return h;
}

/* The host end's name: from the container id, so people can tell; unique among links and leases. */
static char *pick_veth_name(net_state *s, const char *id, ocirt_error *err)
{
  for (uint32_t salt = 0; salt < 64; salt++) {
    char *name = xasprintf("ocn%08x", fnv1a(id, salt));
    bool taken = link_exists(name);
    for (size_t i = 0; !taken && i < s->n_leases; i++)
      taken = strcmp(s->leases[i].veth, name) == 0;
    if (!taken)
      return name;
    free(name);
  }
  error_set(err, 0, "no free veth name for container %s", id);
  return NULL;
}

static bool address_leased(const net_state *s, const char *bridge, uint32_t a, const lease **by)
{
  for (size_t i = 0; i < s->n_leases; i++)
    if (s->leases[i].addr == a && strcmp(s->leases[i].bridge, bridge) == 0) {
      if (by)
        *by = &s->leases[i];
      return true;
    }
  return false;
}

static int pick_address(const net_config *c, const net_state *s, uint32_t *out, ocirt_error *err)
{
  const char *bridge = c->opt[OPT_BRIDGE].value;
  char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
  if (c->address != 0) {
    const lease *by;
    if (address_leased(s, bridge, c->address, &by))
      return error_set(err, 0, "%s: address %s is in use by container %s", c->opt[OPT_ADDRESS].source,
                       fmt_ipv4(c->address, b1), by->id);
    *out = c->address;
    return 0;
  }
  for (uint32_t a = c->net + 1; a < broadcast_of(c); a++)
    if (a != c->gateway && !address_leased(s, bridge, a, NULL)) {
      *out = a;
      return 0;
    }
  return error_set(err, 0, "%s: subnet %s/%d has no free address left on bridge %s", c->opt[OPT_SUBNET].source,
                   fmt_ipv4(c->net, b2), c->prefix, bridge);
}

/* A lease whose host end is gone belongs to a container whose network namespace died without its
 * poststop hook (a crash, a forgotten delete): its address is free. */
static void drop_stale_leases(net_state *s)
{
  for (size_t i = 0; i < s->n_leases;)
    if (!link_exists(s->leases[i].veth))
      remove_lease(s, i);
    else
      i++;
}

/* Remove the bridge when this hook made it and nothing uses it any more. */
static int maybe_remove_bridge(const net_config *c, net_state *s, const char *bridge, ocirt_error *err)
{
  if (find_bridge(s, bridge) == NULL)
    return 0;
  for (size_t i = 0; i < s->n_leases; i++)
    if (strcmp(s->leases[i].bridge, bridge) == 0)
      return 0;
  if (link_exists(bridge) && bridge_ports(bridge) > 0)
    return 0;
  if (delete_link(c, bridge, err) < 0)
    return -1;
  remove_bridge(s, bridge);
  return 0;
}

static int open_netns(const oci_state *st, ocirt_error *err)
{
  if (st->pid <= 0)
    return error_set(err, 0, "the state on stdin has no pid: this hook runs as createRuntime or prestart, "
                             "when the container's process exists");
  cleanup_free char *path = xasprintf("/proc/%d/ns/net", st->pid);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error_set(err, errno, "open `%s` (container %s)", path, st->id);
  struct stat ours, theirs;
  if (stat("/proc/self/ns/net", &ours) < 0)
    return error_set(err, errno, "stat `/proc/self/ns/net`");
  if (fstat(fd, &theirs) < 0)
    return error_set(err, errno, "stat `%s`", path);
  if (ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
    return error_set(err, 0, "container %s shares this host's network namespace: give it its own "
                             "(.linux.namespaces: {\"type\": \"network\"})", st->id);
  return steal_fd(&fd);
}

static int net_up(const net_config *c, int dir_fd, const oci_state *st, ocirt_error *err)
{
  const char *dir = c->opt[OPT_STATE_DIR].value, *bridge = c->opt[OPT_BRIDGE].value;
  const char *ifname = c->opt[OPT_IFNAME].value;
  cleanup_close int ns_fd = open_netns(st, err);
  if (ns_fd < 0)
    return -1;

  net_state s = { 0 };
  int ret = -1;
  cleanup_free char *veth = NULL, *gw_cidr = NULL, *addr_cidr = NULL, *batch = NULL;
  bridge_rec *rec;
  bool recorded, made_bridge = false, made_veth = false;
  char ab[INET_ADDRSTRLEN], gb[INET_ADDRSTRLEN], nb[INET_ADDRSTRLEN];
  uint32_t addr = 0;

  if (load_state(dir_fd, dir, &s, err) < 0)
    goto out;
  drop_stale_leases(&s);
  if (find_lease(&s, st->id) != NULL) {
    error_set(err, 0, "container %s already has an address (%s)", st->id, fmt_ipv4(find_lease(&s, st->id)->addr, ab));
    goto out;
  }
  rec = find_bridge(&s, bridge);
  recorded = rec != NULL;
  if (rec != NULL && (rec->net != c->net || rec->prefix != c->prefix)) {
    error_set(err, 0, "%s: bridge %s serves the subnet %s/%d, not %s/%d", c->opt[OPT_SUBNET].source, bridge,
              fmt_ipv4(rec->net, nb), rec->prefix, fmt_ipv4(c->net, ab), c->prefix);
    goto out;
  }
  if (link_exists(bridge) && !is_bridge(bridge)) {
    error_set(err, 0, "%s: `%s` exists and is not a bridge", c->opt[OPT_BRIDGE].source, bridge);
    goto out;
  }
  if (pick_address(c, &s, &addr, err) < 0)
    goto out;
  veth = pick_veth_name(&s, st->id, err);
  if (veth == NULL)
    goto out;

  /* Record first: a crash from here on leaves a lease `down` (or a later stale check) undoes. */
  made_bridge = !link_exists(bridge);
  add_lease(&s, st->id, veth, bridge, addr, c->prefix);
  if (made_bridge && !recorded)
    add_bridge(&s, bridge, c->net, c->prefix);
  if (save_state(dir_fd, dir, &s, err) < 0) {
    made_bridge = false;
    goto undo;
  }

  fmt_ipv4(c->gateway, gb);
  fmt_ipv4(addr, ab);
  gw_cidr = xasprintf("%s/%d", gb, c->prefix);
  addr_cidr = xasprintf("%s/%d", ab, c->prefix);
  char mtu[16];
  snprintf(mtu, sizeof mtu, "%u", c->mtu);

  if (made_bridge && IP(c, err, "link", "add", "name", bridge, "type", "bridge") < 0)
    goto undo;
  /* A bridge someone else made is theirs: only attach to it. */
  if ((made_bridge || recorded)
      && (IP(c, err, "addr", "replace", gw_cidr, "dev", bridge) < 0 || IP(c, err, "link", "set", bridge, "up") < 0))
    goto undo;
  /* The container's end is made in its namespace, under its final name: never on the host, where
   * its name could clash. */
  made_veth = true;
  if (c->mtu > 0)
    ret = run_ip(c, ns_fd, false, NULL,
                 (const char *const[]) { "link", "add", "name", veth, "mtu", mtu, "type", "veth", "peer", "name",
                                         ifname, "mtu", mtu, "netns", "/proc/self/fd/3", NULL },
                 err);
  else
    ret = run_ip(c, ns_fd, false, NULL,
                 (const char *const[]) { "link", "add", "name", veth, "type", "veth", "peer", "name", ifname,
                                         "netns", "/proc/self/fd/3", NULL },
                 err);
  if (ret < 0)
    goto undo;
  ret = -1;
  if (IP(c, err, "link", "set", veth, "master", bridge, "up") < 0)
    goto undo;

  batch = xasprintf("link set lo up\n"
                    "addr add %s dev %s\n"
                    "link set %s up\n"
                    "%s%s%s%s",
                    addr_cidr, ifname, ifname, c->default_route ? "route add default via " : "",
                    c->default_route ? gb : "", c->default_route ? " dev " : "", c->default_route ? ifname : "");
  if (run_ip(c, ns_fd, true, batch, (const char *const[]) { "-batch", "-", NULL }, err) < 0) {
    error_wrap(err, "in the container's network namespace");
    goto undo;
  }
  ret = 0;
  goto out;

undo:;
  /* Reverse order; the first error is the one the user reads. */
  ocirt_error ignored = { 0 };
  if (made_veth)
    delete_link(c, veth, &ignored);
  error_clear(&ignored);
  lease *l = find_lease(&s, st->id);
  if (l != NULL)
    remove_lease(&s, (size_t) (l - s.leases));
  if (made_bridge)
    maybe_remove_bridge(c, &s, bridge, &ignored);
  error_clear(&ignored);
  save_state(dir_fd, dir, &s, &ignored);
  error_clear(&ignored);
  ret = -1;
out:
  state_free(&s);
  return ret;
}

static int net_down(const net_config *c, int dir_fd, const oci_state *st, ocirt_error *err)
{
  const char *dir = c->opt[OPT_STATE_DIR].value;
  net_state s = { 0 };
  int ret = -1;
  cleanup_free char *bridge = NULL;
  if (load_state(dir_fd, dir, &s, err) < 0)
    goto out;
  lease *l = find_lease(&s, st->id);
  if (l == NULL) { /* never set up, or already undone: nothing to do */
    ret = 0;
    goto out;
  }
  if (delete_link(c, l->veth, err) < 0)
    goto out; /* keep the lease: the address is still on a live link */
  bridge = xstrdup(l->bridge);
  remove_lease(&s, (size_t) (l - s.leases));
  if (maybe_remove_bridge(c, &s, bridge, err) < 0) {
    ocirt_error ignored = { 0 };
    save_state(dir_fd, dir, &s, &ignored);
    error_clear(&ignored);
    goto out;
  }
  ret = save_state(dir_fd, dir, &s, err);
out:
  state_free(&s);
  return ret;
}

/* ---- main -------------------------------------------------------------------------------------- */

static const char usage[]
    = "Usage: " PROG " up|down [--NAME=VALUE]...\n\n"
      "An OCI hook that puts a container on a bridge: `up` as a createRuntime (or prestart) hook,\n"
      "`down` as a poststop hook.  Both read the container's state JSON on stdin.\n\n"
      "Settings (--NAME=VALUE in the hook's args, env OCIRT_NET_NAME, annotation org.ocirt.net.NAME;\n"
      "annotations win over args, args over env):\n"
      "  bridge         the bridge (default ocirt0), made when missing\n"
      "  subnet         the bridge's IPv4 subnet (default 10.89.0.0/24)\n"
      "  gateway        the bridge's address (default the subnet's first address)\n"
      "  address        the container's address (default: the first free one)\n"
      "  ifname         the interface in the container (default eth0)\n"
      "  mtu            the veth pair's MTU (default the kernel's)\n"
      "  default-route  true: a default route via the gateway (default false)\n"
      "  state-dir      leases and lock (default /run/ocirt-net; not an annotation)\n"
      "  ip             iproute2's ip (default /usr/sbin/ip, /sbin/ip...; not an annotation)\n"
      "  annotations    false: ignore the container's annotations (default true; not an annotation)\n\n"
      "See ocirt-net-hooks(8).\n";

int main(int argc, char **argv)
{
  cleanup_error ocirt_error err = { 0 };
  if (argc < 2 || (strcmp(argv[1], "up") != 0 && strcmp(argv[1], "down") != 0)) {
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
      fputs(usage, stdout);
      return 0;
    }
    fprintf(stderr, "%s: expected `up` or `down` as the first argument (see --help)\n", PROG);
    return 2;
  }
  bool up = strcmp(argv[1], "up") == 0;
  /* an `ip` that dies early must not kill us while we write its batch */
  signal(SIGPIPE, SIG_IGN);

  cleanup_free char *json = xmalloc(MAX_STATE_JSON + 1);
  ssize_t len = read_all(0, json, MAX_STATE_JSON + 1);
  if (len < 0 || len > MAX_STATE_JSON) {
    fprintf(stderr, "%s: read the state JSON on stdin: %s\n", PROG, len < 0 ? strerror(errno) : "too large");
    return 1;
  }
  char *perr = NULL;
  oci_state *st = oci_parse_data(&oci_state_type, json, (size_t) len, "the state on stdin", &perr);
  if (st == NULL) {
    fprintf(stderr, "%s: %s\n", PROG, perr ? perr : "cannot parse the state on stdin");
    free(perr);
    return 1;
  }
  net_config c = { 0 };
  int ret = -1;
  cleanup_close int dir_fd = -1, lock_fd = -1;
  /* the id goes into a line of the leases file */
  if (st->id[0] == '\0' || strpbrk(st->id, " \t\n\r") != NULL) {
    error_set(&err, 0, "the state on stdin: invalid container id \"%.64s\"", st->id);
    goto out;
  }
  if (config_gather(&c, argv + 2, argc - 2, st, &err) < 0 || config_check(&c, up, &err) < 0)
    goto out;
  const char *dir = c.opt[OPT_STATE_DIR].value;
  if (mkdir_p(dir, 0700, &err) < 0)
    goto out;
  dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    error_set(&err, errno, "open `%s`", dir);
    goto out;
  }
  lock_fd = openat(dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd < 0 || TEMP_FAILURE_RETRY(flock(lock_fd, LOCK_EX)) < 0) {
    error_set(&err, errno, "lock `%s/lock`", dir);
    goto out;
  }
  ret = up ? net_up(&c, dir_fd, st, &err) : net_down(&c, dir_fd, st, &err);
out:
  if (ret < 0)
    fprintf(stderr, "%s %s: container %s: %s\n", PROG, argv[1], st->id, err.msg ? err.msg : "failed");
  config_free(&c);
  oci_free(&oci_state_type, st);
  return ret < 0 ? 1 : 0;
}
