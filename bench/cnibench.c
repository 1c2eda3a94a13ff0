/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cnibench: the benchmark harness behind `make bench`.
 *
 * It runs inside the throwaway node bench/run.sh makes (private mount and
 * network namespaces, tmpfs over /run and /var/lib) and never leaves it.
 *
 *   cnibench plugin --exe PLUGIN --conf FILE --cni-path DIRS [common]
 *       N pods: ADD each through PLUGIN (exec'ed with the CNI_* environment
 *       and the config on stdin, as a runtime does), all N attached at the
 *       same time, then DEL each.
 *   cnibench floor --trivial EXE --bridge NAME --subnet CIDR [--naive] [common]
 *       The floor for the same N pods: per ADD, exec of a trivial static
 *       binary followed by the netlink work podnet-bridge's ADD does, issued
 *       from this long-lived process through libpodnet itself; per DEL, the
 *       exec and the deletion of the host veth.
 *   common: --pods N --par P --label L --out FILE [--window W]
 *
 * Latency is wall time per operation, CLOCK_MONOTONIC, from just before the
 * spawn to the reaping of the child (floor: to the end of the netlink work).
 * Namespace creation and config preparation are outside the timed region.
 * P workers take the next pod from a shared counter, so with P > 1 the
 * plugin instances contend as they would under a runtime starting pods in
 * parallel.  Any operation that fails aborts the whole run with the
 * plugin's stdout and stderr: a benchmark of failing ADDs measures nothing.
 *
 * Results: a human line per op on stdout, and one TSV row per op appended to
 * --out for bench/run.sh's report:
 *   label  par  pods  op  n  p50  p90  p99  mean  first_p50  last_p50  window
 * (milliseconds; first/last_p50 are the p50 of the first and last W ADDs in
 * pod order, i.e. with few versus many ports already on the bridge).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "link.h"
#include "netns.h"
#include "nl.h"
#include "route.h"
#include "sysctl.h"

extern char **environ;

#define NETNS_DIR "/run/netns"
#define OUT_CAP 65536

enum mode { MODE_PLUGIN, MODE_FLOOR };
enum op { OP_ADD, OP_DEL };
static const char *const op_name[] = { "ADD", "DEL" };

struct opts {
	enum mode mode;
	const char *exe;        /* plugin, or the trivial binary for the floor */
	const char *conf_path;
	const char *cni_path;
	const char *label;
	const char *out_path;
	const char *bridge;     /* floor */
	const char *subnet;     /* floor */
	/* Floor: keep IPv6 link-local on both veth ends, as a plugin that does
	 * not think about it would.  Each new port then sends DAD neighbour
	 * solicitations, MLD reports and router solicitations to multicast
	 * groups; the bridge (no MLD snooping state for them yet) floods every
	 * one to all its ports, and each port's veth peer takes them through
	 * its pod's IPv6 stack.  So the k-th ADD sets off work proportional to
	 * k, the last ADDs of 1000 contend with that storm for CPU and RTNL,
	 * and the ADD p50 of the last 100 grows ~10x over the first 100. */
	bool naive;
	int pods;
	int par;
	int window;
};

struct bench {
	struct opts o;
	char *conf;             /* config bytes for stdin */
	size_t conf_len;
	char **base_env;        /* environ without CNI_* */
	size_t n_base_env;
	char ns_prefix[32];     /* pod netns names: <prefix><i> */
	/* floor */
	struct pn_cidr gw;      /* gateway on the bridge, with the subnet's prefix */
	int bridge_ifindex;
	/* per pod, per op */
	double *lat[2];         /* total, ms */
	double *lat_nl[2];      /* floor: netlink part only */
	double *lat_exec[2];    /* floor: exec part only */
	atomic_int next;
	atomic_bool failed;
	enum op phase;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("cnibench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* Everything this run made lives in the node run.sh created; its
	 * teardown removes links, namespaces and leases, so exiting is safe. */
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("out of memory");
	return p;
}

static void pod_netns_path(const struct bench *b, int i, char *buf, size_t cap)
{
	snprintf(buf, cap, NETNS_DIR "/%s%05d", b->ns_prefix, i);
}

/*
 * Create the pods' network namespaces, pinned like `ip netns add` does: a
 * bind mount of the namespace file onto /run/netns/NAME.  Done in a child
 * that unshare()s once per pod, so this process stays in the node's netns.
 */
static void pods_create(const struct bench *b)
{
	pid_t pid;
	int st;

	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", NETNS_DIR, strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char path[128];

		for (int i = 0; i < b->o.pods; i++) {
			int fd;

			pod_netns_path(b, i, path, sizeof(path));
			fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
			if (fd < 0) {
				fprintf(stderr, "cnibench: create %s: %s\n", path, strerror(errno));
				_exit(1);
			}
			close(fd);
			if (unshare(CLONE_NEWNET) < 0 ||
			    mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0) {
				fprintf(stderr, "cnibench: pin netns %s: %s\n", path, strerror(errno));
				_exit(1);
			}
		}
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("could not create %d pod namespaces", b->o.pods);
}

/* Unpin; the kernel frees each namespace once nothing holds it. */
static void pods_destroy(const struct bench *b)
{
	char path[128];

	for (int i = 0; i < b->o.pods; i++) {
		pod_netns_path(b, i, path, sizeof(path));
		if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			fprintf(stderr, "cnibench: umount %s: %s\n", path, strerror(errno));
		unlink(path);
	}
}

static void read_conf(struct bench *b)
{
	FILE *f = fopen(b->o.conf_path, "re");
	long n;

	if (!f)
		die("open %s: %s", b->o.conf_path, strerror(errno));
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0)
		die("size of %s: %s", b->o.conf_path, strerror(errno));
	/* The config is written into a pipe before the spawn; it must fit the
	 * pipe buffer or the write would block with no reader yet. */
	if (n >= OUT_CAP)
		die("%s is larger than a pipe buffer", b->o.conf_path);
	b->conf = xcalloc(1, (size_t)n + 1);
	if (n && fread(b->conf, 1, (size_t)n, f) != (size_t)n)
		die("read %s", b->o.conf_path);
	b->conf_len = (size_t)n;
	fclose(f);
}

/* The plugin inherits our environment (PATH for iptables under the
 * reference's ipMasq, PODNET_LOG when profiling) minus any CNI_* of ours. */
static void base_env_init(struct bench *b)
{
	size_t n = 0;

	for (char **e = environ; *e; e++)
		n++;
	b->base_env = xcalloc(n + 1, sizeof(char *));
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "CNI_", 4))
			b->base_env[b->n_base_env++] = *e;
}

/* Per worker: a scratch file for the child's stderr, and the
 * child's stdout, shown only when an operation fails. */
struct worker {
	struct bench *b;
	int errfd;
	char out[OUT_CAP];
	size_t out_len;
	struct nl_sock host;    /* floor only: this worker's long-lived socket */
};

/*
 * Exec @exe for pod @i as a runtime execs a CNI plugin: CNI_* in the
 * environment, the config on stdin, stdout collected, status reaped.
 * posix_spawn is glibc's clone(CLONE_VM|CLONE_VFORK)+exec, the same way
 * Go's os/exec (containerd, CRI-O, podman) starts plugins, and it is safe
 * from several threads.  Returns the child's wait status; *ms is the time
 * from spawn to reaping.
 */
static int spawn_op(struct worker *w, const char *exe, enum op op, int i, double *ms)
{
	struct bench *b = w->b;
	char e_cmd[32], e_id[96], e_ns[160], e_if[32], e_path[4200], ns[128];
	char *argv[] = { (char *)exe, NULL };
	char **envp;
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t k = 0;
	pid_t pid;
	double t0;
	ssize_t r;
	int st, ret;

	pod_netns_path(b, i, ns, sizeof(ns));
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", op_name[op]);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s%05d", b->ns_prefix, i);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s", ns);
	snprintf(e_if, sizeof(e_if), "CNI_IFNAME=eth0");
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", b->o.cni_path ? b->o.cni_path : "");
	envp = xcalloc(b->n_base_env + 6, sizeof(char *));
	for (size_t j = 0; j < b->n_base_env; j++)
		envp[k++] = b->base_env[j];
	envp[k++] = e_cmd;
	envp[k++] = e_id;
	envp[k++] = e_ns;
	envp[k++] = e_if;
	envp[k++] = e_path;

	/* O_CLOEXEC everywhere: a sibling worker's child must not inherit our
	 * stdout pipe, or our read would wait for its exit too. */
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	if (write(in[1], b->conf, b->conf_len) != (ssize_t)b->conf_len)
		die("write config to pipe: %s", strerror(errno));
	close(in[1]);
	if (ftruncate(w->errfd, 0) < 0 || lseek(w->errfd, 0, SEEK_SET) < 0)
		die("reset stderr file: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, w->errfd, 2);

	t0 = now_ms();
	ret = posix_spawn(&pid, exe, &fa, NULL, argv, envp);
	if (ret)
		die("spawn %s: %s", exe, strerror(ret));
	close(out[1]);
	w->out_len = 0;
	while ((r = read(out[0], w->out + w->out_len, sizeof(w->out) - 1 - w->out_len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read plugin stdout: %s", strerror(errno));
		w->out_len += (size_t)r;
		if (w->out_len == sizeof(w->out) - 1)
			w->out_len = 0; /* keep draining; a result this large is a bug anyway */
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	*ms = now_ms() - t0;

	w->out[w->out_len] = 0;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[0]);
	free(envp);
	return st;
}

static void fail_op(struct worker *w, const char *what, enum op op, int i, int st)
{
	struct bench *b = w->b;
	char errbuf[4096], ns[128];
	ssize_t n;

	if (atomic_exchange(&b->failed, true))
		return; /* one report is enough; the other workers stop */
	pod_netns_path(b, i, ns, sizeof(ns));
	n = pread(w->errfd, errbuf, sizeof(errbuf) - 1, 0);
	errbuf[n > 0 ? n : 0] = 0;
	fprintf(stderr,
		"cnibench: %s: %s %s of pod %d (CNI_NETNS=%s) failed: %s %d\n"
		"  stdout: %s\n  stderr: %s\n",
		b->o.label, what, op_name[op], i, ns, WIFEXITED(st) ? "exit status" : "signal",
		WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), w->out_len ? w->out : "(empty)",
		errbuf[0] ? errbuf : "(empty)");
}

static bool status_ok(int st)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void floor_veth_name(int i, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, "bfl%05d", i);
}

/*
 * The netlink work of one podnet-bridge ADD, in the order bridge_cmd_add
 * does it and with the same veth options (src/cni/bridge/bridge.c): open the pod's
 * netns, create the pair with eth0 directly in the pod and the host end
 * enslaved at creation, IPv6 link-local off on the host end and on the
 * peer (an IPv4-only pod), arp_notify on the peer, both up; then a socket
 * in the pod, eth0's index, its address without DAD, the default route.
 * Bridge creation and its gateway address happen once, before the clock.
 */
static int floor_add(struct worker *w, int i, struct pn_err *err)
{
	struct bench *b = w->b;
	struct nl_sock pod = NL_SOCK_INIT;
	struct link_info eth;
	struct route_spec rt;
	struct pn_cidr a = { .prefix = b->gw.prefix };
	char host[IFNAMSIZ], ns[128];
	int nsfd, ret;

	pod_netns_path(b, i, ns, sizeof(ns));
	floor_veth_name(i, host);
	if (!pn_ip_add(&b->gw.ip, 1 + i, &a.ip))
		return pn_error(err, PN_E_IPAM_EXHAUSTED, 0, "subnet %s too small", b->o.subnet);
	nsfd = netns_open(ns, err);
	if (nsfd < 0)
		return nsfd;
	ret = link_veth_create(&w->host,
			       &(struct veth_opts){
				       .host_name = host,
				       .peer_name = "eth0",
				       .peer_netns_fd = nsfd,
				       .master = b->bridge_ifindex,
				       .host_up = true,
				       .peer_up = true,
				       .host_no_ipv6_ll = !b->o.naive,
				       .peer_no_ipv6_ll = !b->o.naive,
				       .peer_arp_notify = true,
			       },
			       err);
	if (ret < 0)
		goto out;
	ret = nl_open_in_netns(&pod, NETLINK_ROUTE, nsfd, err);
	if (ret < 0)
		goto out;
	ret = link_get(&pod, "eth0", &eth, err);
	if (ret < 0)
		goto out;
	ret = addr_add(&pod, eth.ifindex, &a, ADDR_NODAD, err);
	if (ret < 0)
		goto out;
	route_spec_init(&rt);
	rt.dst.ip.family = AF_INET;
	rt.gw = b->gw.ip;
	rt.oif = eth.ifindex;
	ret = route_add(&pod, &rt, err);
out:
	nl_close(&pod);
	close(nsfd);
	return ret;
}

static int floor_del(struct worker *w, int i, struct pn_err *err)
{
	char host[IFNAMSIZ];

	floor_veth_name(i, host);
	return link_del(&w->host, host, err);
}

static void *worker_main(void *p)
{
	struct worker *w = p;
	struct bench *b = w->b;
	enum op op = b->phase;
	int i;

	while (!atomic_load(&b->failed) && (i = atomic_fetch_add(&b->next, 1)) < b->o.pods) {
		double ms, t1;
		int st;

		st = spawn_op(w, b->o.exe, op, i, &ms);
		if (!status_ok(st)) {
			fail_op(w, b->o.mode == MODE_FLOOR ? "trivial exec" : b->o.exe, op, i, st);
			break;
		}
		if (b->o.mode == MODE_FLOOR) {
			struct pn_err err = { 0 };
			double nl;
			int ret;

			t1 = now_ms();
			ret = op == OP_ADD ? floor_add(w, i, &err) : floor_del(w, i, &err);
			nl = now_ms() - t1;
			if (ret < 0) {
				if (!atomic_exchange(&b->failed, true))
					fprintf(stderr, "cnibench: %s: netlink %s of pod %d: %s%s%s\n",
						b->o.label, op_name[op], i, pn_err_msg(&err),
						err.details ? ": " : "", pn_err_details_text(&err));
				pn_err_free(&err);
				break;
			}
			b->lat_exec[op][i] = ms;
			b->lat_nl[op][i] = nl;
			ms += nl;
			pn_err_free(&err);
		}
		b->lat[op][i] = ms;
	}
	return NULL;
}

static void run_phase(struct bench *b, struct worker *ws, enum op op)
{
	pthread_t *th = xcalloc((size_t)b->o.par, sizeof(pthread_t));

	b->phase = op;
	atomic_store(&b->next, 0);
	for (int t = 0; t < b->o.par; t++)
		if (pthread_create(&th[t], NULL, worker_main, &ws[t]))
			die("pthread_create failed");
	for (int t = 0; t < b->o.par; t++)
		pthread_join(th[t], NULL);
	free(th);
	if (atomic_load(&b->failed))
		die("%s: aborted", b->o.label);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats {
	double p50, p90, p99, mean;
};

/* Nearest-rank percentiles of v[0..n). */
static struct stats stats_of(const double *v, int n)
{
	double *s = xcalloc((size_t)n, sizeof(double));
	struct stats st = { 0 };
	double sum = 0;

	if (n <= 0) {
		free(s);
		return st;
	}
	memcpy(s, v, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	for (int i = 0; i < n; i++)
		sum += s[i];
	/* Rank ceil(q/100 * n), 1-based; integer arithmetic keeps libm out. */
#define RANK(q) s[((q) * n + 99) / 100 - 1]
	st.p50 = RANK(50);
	st.p90 = RANK(90);
	st.p99 = RANK(99);
#undef RANK
	st.mean = sum / n;
	free(s);
	return st;
}

static void report(const struct bench *b, FILE *out, const char *label, double *const lat[2])
{
	int n = b->o.pods, w = b->o.window;

	for (int op = OP_ADD; op <= OP_DEL; op++) {
		struct stats s = stats_of(lat[op], n);
		struct stats first = { 0 }, last = { 0 };

		if (op == OP_ADD && w > 0 && 2 * w <= n) {
			first = stats_of(lat[op], w);
			last = stats_of(lat[op] + n - w, w);
		}
		printf("  %-22s par %-2d pods %-5d %s p50 %8.3f  p90 %8.3f  p99 %8.3f  mean %8.3f ms",
		       label, b->o.par, n, op_name[op], s.p50, s.p90, s.p99, s.mean);
		if (first.p50 > 0)
			printf("  first%d %.3f last%d %.3f", w, first.p50, w, last.p50);
		putchar('\n');
		if (out)
			fprintf(out, "%s\t%d\t%d\t%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%d\n",
				label, b->o.par, n, op_name[op], n, s.p50, s.p90, s.p99, s.mean,
				first.p50, last.p50, first.p50 > 0 ? w : 0);
	}
}

/* Floor setup, outside the clock: the bridge as podnet-bridge makes it
 * (fixed locally administered MAC), its gateway address, forwarding on. */
static void floor_setup(struct bench *b, struct worker *w0)
{
	static const unsigned char mac[6] = { 0x02, 0x50, 0x4e, 0xbe, 0x00, 0x01 };
	struct pn_err err = { 0 };
	struct pn_cidr net;
	struct link_info br;
	int ret;

	if (pn_cidr_parse(b->o.subnet, &net) < 0 || net.ip.family != AF_INET)
		die("--subnet %s: not an IPv4 CIDR", b->o.subnet);
	pn_cidr_network(&net, &net);
	b->gw.prefix = net.prefix;
	if (!pn_ip_add(&net.ip, 1, &b->gw.ip))
		die("--subnet %s: no room for a gateway", b->o.subnet);
	ret = link_bridge_ensure(&w0->host,
				 &(struct bridge_opts){ .name = b->o.bridge, .mac = mac }, &br, &err);
	if (ret < 0)
		die("bridge %s: %s %s", b->o.bridge, pn_err_msg(&err), pn_err_details_text(&err));
	b->bridge_ifindex = br.ifindex;
	ret = addr_add(&w0->host, br.ifindex, &b->gw, ADDR_NODAD, &err);
	if (ret < 0 && ret != -EEXIST)
		die("gateway on %s: %s %s", b->o.bridge, pn_err_msg(&err),
		    pn_err_details_text(&err));
	if (sysctl_ensure("net/ipv4/ip_forward", "1", &err) < 0)
		die("ip_forward: %s", pn_err_msg(&err));
	pn_err_free(&err);
}

static void floor_teardown(struct bench *b, struct worker *w0)
{
	struct pn_err err = { 0 };

	if (link_del(&w0->host, b->o.bridge, &err) < 0 && pn_err_msg(&err)[0])
		fprintf(stderr, "cnibench: delete bridge %s: %s\n", b->o.bridge, pn_err_msg(&err));
	pn_err_free(&err);
}

static void usage(void)
{
	fputs("usage: cnibench plugin --exe PLUGIN --conf FILE --cni-path DIRS [common]\n"
	      "       cnibench floor --exe TRIVIAL --bridge NAME --subnet CIDR [--naive] [common]\n"
	      "common: --pods N --par P --label LABEL [--out FILE] [--window W]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "exe", required_argument, NULL, 'e' },     { "conf", required_argument, NULL, 'c' },
		{ "cni-path", required_argument, NULL, 'p' }, { "label", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },     { "bridge", required_argument, NULL, 'b' },
		{ "subnet", required_argument, NULL, 's' },  { "naive", no_argument, NULL, 'n' },
		{ "pods", required_argument, NULL, 'N' },    { "par", required_argument, NULL, 'P' },
		{ "window", required_argument, NULL, 'w' },  { 0 },
	};
	struct bench *b = xcalloc(1, sizeof(*b));
	struct worker *ws;
	FILE *out = NULL;
	double t_start;
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "plugin"))
		b->o.mode = MODE_PLUGIN;
	else if (!strcmp(argv[1], "floor"))
		b->o.mode = MODE_FLOOR;
	else
		usage();
	b->o.pods = 100;
	b->o.par = 1;
	b->o.window = -1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'e': b->o.exe = optarg; break;
		case 'c': b->o.conf_path = optarg; break;
		case 'p': b->o.cni_path = optarg; break;
		case 'l': b->o.label = optarg; break;
		case 'o': b->o.out_path = optarg; break;
		case 'b': b->o.bridge = optarg; break;
		case 's': b->o.subnet = optarg; break;
		case 'n': b->o.naive = true; break;
		case 'N': b->o.pods = atoi(optarg); break;
		case 'P': b->o.par = atoi(optarg); break;
		case 'w': b->o.window = atoi(optarg); break;
		default: usage();
		}
	}
	if (!b->o.exe || !b->o.label || b->o.pods < 1 || b->o.pods > 60000 || b->o.par < 1 ||
	    b->o.par > 256)
		usage();
	if (b->o.mode == MODE_PLUGIN && !b->o.conf_path)
		usage();
	if (b->o.mode == MODE_FLOOR && (!b->o.bridge || !b->o.subnet))
		usage();
	/* Growth window: the first and last 100 of 1000 pods; a tenth of
	 * smaller runs. */
	if (b->o.window < 0)
		b->o.window = b->o.pods >= 1000 ? 100 : b->o.pods / 10;
	if (b->o.conf_path)
		read_conf(b);
	else
		b->conf = xcalloc(1, 1);
	base_env_init(b);
	/* Unique per run, so nothing can collide with a previous run's
	 * leftovers even if a cleanup failed. */
	snprintf(b->ns_prefix, sizeof(b->ns_prefix), "b%x-", (unsigned)getpid());
	for (int op = OP_ADD; op <= OP_DEL; op++) {
		b->lat[op] = xcalloc((size_t)b->o.pods, sizeof(double));
		b->lat_nl[op] = xcalloc((size_t)b->o.pods, sizeof(double));
		b->lat_exec[op] = xcalloc((size_t)b->o.pods, sizeof(double));
	}
	ws = xcalloc((size_t)b->o.par, sizeof(*ws));
	for (int t = 0; t < b->o.par; t++) {
		struct pn_err err = { 0 };

		ws[t].b = b;
		ws[t].host = (struct nl_sock)NL_SOCK_INIT;
		ws[t].errfd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (ws[t].errfd < 0)
			die("stderr scratch file in /tmp: %s", strerror(errno));
		if (b->o.mode == MODE_FLOOR && nl_open(&ws[t].host, NETLINK_ROUTE, &err) < 0)
			die("netlink: %s", pn_err_msg(&err));
		pn_err_free(&err);
	}
	if (b->o.out_path && !(out = fopen(b->o.out_path, "ae")))
		die("open %s: %s", b->o.out_path, strerror(errno));

	pods_create(b);
	if (b->o.mode == MODE_FLOOR)
		floor_setup(b, &ws[0]);
	t_start = now_ms();
	run_phase(b, ws, OP_ADD);
	run_phase(b, ws, OP_DEL);
	printf("%s: %d pods, %d in parallel, ADD+DEL in %.1f s\n", b->o.label, b->o.pods, b->o.par,
	       (now_ms() - t_start) / 1e3);
	if (b->o.mode == MODE_FLOOR) {
		char l[128];

		floor_teardown(b, &ws[0]);
		report(b, out, b->o.label, b->lat);
		snprintf(l, sizeof(l), "%s.exec", b->o.label);
		report(b, out, l, b->lat_exec);
		snprintf(l, sizeof(l), "%s.netlink", b->o.label);
		report(b, out, l, b->lat_nl);
	} else {
		report(b, out, b->o.label, b->lat);
	}
	pods_destroy(b);
	if (out)
		fclose(out);
	for (int t = 0; t < b->o.par; t++) {
		nl_close(&ws[t].host);
		close(ws[t].errfd);
	}
	return 0;
}
