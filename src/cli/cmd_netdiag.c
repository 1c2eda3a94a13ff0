/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seeing inside a pod's network from the node, with nothing run in the
 * container's image: `podnet ip` (rtnetlink), `podnet ss` (sock_diag) and
 * `podnet nsenter` (a node binary in the pod's netns).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "diag.h"
#include "ipshow.h"
#include "link.h"
#include "netns.h"
#include "podrt.h"

/* The network namespace a command looks into, and what it belongs to. */
struct target {
	struct podrt rt;
	bool rt_open;
	struct podrt_view v;
	bool have_view;
	const struct podrt_ctr *ctr;  /* -c, else NULL */
	char path[4096];              /* the nsfs file opened */
	int fd;
};

static void target_close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->have_view)
		podrt_view_free(&t->v);
	t->have_view = false;
	if (t->rt_open)
		podrt_close(&t->rt);
	t->rt_open = false;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Resolve POD (and -c CONTAINER) to an open netns fd; messages printed. */
static int target_open(struct target *t, const char *ns, const char *pod, const char *cname)
{
	struct store_pod *sp = NULL;
	struct pn_err err = { 0 };
	int ret = -1;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (cmd_runtime_open(&t->rt, NULL) < 0)
		goto out;
	t->rt_open = true;
	if (store_pod_get_by_name(t->rt.st, ns, pod, &sp, &err) < 0) {
		if (err.code == PN_E_NOT_FOUND)
			fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", pod);
		else
			cmd_error(&err);
		goto out;
	}
	if (podrt_view_get(&t->rt, sp, &t->v, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	t->have_view = true;
	if (cname) {
		for (size_t i = 0; i < t->v.n_ctrs; i++)
			if (!strcmp(t->v.ctrs[i].row.name, cname))
				t->ctr = &t->v.ctrs[i];
		if (!t->ctr) {
			cmd_errorf("container %s is not valid for pod %s", cname, pod);
			goto out;
		}
		if (strcmp(t->ctr->state, "running") || t->ctr->pid <= 0) {
			cmd_errorf("container %s of pod %s/%s is not running (%s)", cname, sp->namespace_,
				   pod, t->ctr->state);
			goto out;
		}
		snprintf(t->path, sizeof(t->path), "/proc/%d/ns/net", t->ctr->pid);
		/* All containers of a pod join its netns; one that did not is
		 * worth saying, not worth refusing to look at. */
		if (sp->netns_path && !same_file(t->path, sp->netns_path))
			fprintf(stderr, "warning: container %s (pid %d) is not in the network namespace of pod %s/%s (%s)\n",
				cname, t->ctr->pid, sp->namespace_, pod, sp->netns_path);
	} else if (sp->netns_path) {
		snprintf(t->path, sizeof(t->path), "%s", sp->netns_path);
	} else {
		/* hostNetwork: the namespace the pod's processes are in. */
		int pid = t->v.pause_pid;

		for (size_t i = 0; !pid && i < t->v.n_ctrs; i++)
			if (!strcmp(t->v.ctrs[i].state, "running"))
				pid = t->v.ctrs[i].pid;
		if (!pid) {
			cmd_errorf("pod %s/%s uses the host network and has no running process", sp->namespace_, pod);
			goto out;
		}
		snprintf(t->path, sizeof(t->path), "/proc/%d/ns/net", pid);
	}
	t->fd = netns_open(t->path, &err);
	if (t->fd < 0) {
		pn_err_prefix(&err, "pod %s/%s", sp->namespace_, pod);
		cmd_error(&err);
		goto out;
	}
	ret = 0;
out:
	store_pod_free(sp);
	if (ret < 0)
		target_close(t);
	pn_err_free(&err);
	return ret;
}

static void print_json(const json_t *j)
{
	/* ip -j: compact, one line. */
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
}

enum ip_object { IP_NONE, IP_ADDR, IP_LINK, IP_ROUTE, IP_NEIGH };

static enum ip_object ip_object_parse(const char *s)
{
	static const struct { const char *n; enum ip_object o; } tab[] = {
		{ "a", IP_ADDR }, { "addr", IP_ADDR }, { "address", IP_ADDR },
		{ "l", IP_LINK }, { "link", IP_LINK },
		{ "r", IP_ROUTE }, { "ro", IP_ROUTE }, { "route", IP_ROUTE },
		{ "n", IP_NEIGH }, { "neigh", IP_NEIGH }, { "neighbor", IP_NEIGH },
		{ "neighbour", IP_NEIGH },
	};

	for (size_t i = 0; i < PN_ARRAY_SIZE(tab); i++)
		if (!strcmp(s, tab[i].n))
			return tab[i].o;
	return IP_NONE;
}

/* -o/--output of ip and ss: json only (their text is the default). */
static int output_json(const char *output, bool *json)
{
	if (!output)
		return 0;
	if (strcmp(output, "json")) {
		cmd_errorf("unknown output format \"%s\" (only json)", output);
		return -1;
	}
	*json = true;
	return 0;
}

/*
 * ip's -brief is a long option with one dash (iproute2 takes a prefix:
 * -br is the usual one); pflag would read -br as -b -r.  A copy of @argv
 * with -br and -brief spelled --brief, up to "--"; NULL without memory.
 */
static char **ip_brief_argv(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	bool dash = false;

	for (int i = 0; v && i < argc; i++) {
		dash = dash || !strcmp(argv[i], "--");
		v[i] = !dash && i > 0 && (!strcmp(argv[i], "-br") || !strcmp(argv[i], "-brief"))
			       ? "--brief" : argv[i];
	}
	return v;
}

int cmd_ip(int argc, char **argv)
{
	const char *ns = "default", *pod = NULL, *cname = NULL, *dev = NULL, *output = NULL;
	enum ip_object obj = IP_NONE;
	bool brief = false, shown = false, v4 = false, v6 = false, json = false;
	struct flag flags[] = {
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_DEF("container", 'c', FLAG_STRING, &cname),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_DEF("json", 'j', FLAG_BOOL, &json),
		FLAG_DEF("brief", 0, FLAG_BOOL, &brief),
		FLAG_DEF("ipv4", '4', FLAG_BOOL, &v4),
		FLAG_DEF("ipv6", '6', FLAG_BOOL, &v6),
		FLAG_END,
	};
	struct flag_args fa = { 0 };
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err err = { 0 };
	struct target t = { .fd = -1 };
	char **av = ip_brief_argv(argc, argv);
	json_t *j = NULL;
	int family = AF_UNSPEC, rc = 1;

	if (!av || cmd_flags(flags, argc, av, &fa) < 0 || output_json(output, &json) < 0)
		goto out;
	/* ip lets the last of -4/-6 win; their order is not kept here, so
	 * both means every family. */
	family = v4 && !v6 ? AF_INET : v6 && !v4 ? AF_INET6 : AF_UNSPEC;
	for (size_t i = 0; i < fa.n; i++) {
		const char *a = fa.v[i];

		if (!pod)
			pod = a;
		else if (obj == IP_NONE && (obj = ip_object_parse(a)) == IP_NONE) {
			cmd_errorf("unknown object \"%s\": want addr, link, route or neigh", a);
			goto out;
		} else if (obj != IP_NONE && !shown &&
			   (!strcmp(a, "show") || !strcmp(a, "list") || !strcmp(a, "ls")))
			shown = true;
		else if (obj != IP_NONE && ip_object_parse(a) == obj)
			continue;
		else if ((obj == IP_ADDR || obj == IP_LINK) && !dev && !strcmp(a, "dev") && i + 1 < fa.n)
			dev = fa.v[++i];
		else if ((obj == IP_ADDR || obj == IP_LINK) && !dev && ip_object_parse(a) == IP_NONE)
			dev = a; /* `ip addr show eth0`: "dev" is optional */
		else if (obj != IP_NONE && ip_object_parse(a) != IP_NONE) {
			cmd_errorf("only one of addr, link, route, neigh at a time");
			goto out;
		} else {
			cmd_errorf("unexpected argument \"%s\"", a);
			goto out;
		}
	}
	if (!pod || obj == IP_NONE) {
		cmd_errorf("usage: podnet ip POD [-c CONTAINER] [-n NS] [-br] [-4|-6] addr|link [show [dev] IFNAME]|route|neigh [-o json]");
		goto out;
	}
	if (target_open(&t, ns, pod, cname) < 0)
		goto out;
	if (nl_open_in_netns(&s, NETLINK_ROUTE, t.fd, &err) < 0)
		goto fail;
	switch (obj) {
	case IP_ADDR:
	case IP_LINK:
		if (ipshow_links(&s, obj == IP_ADDR, obj == IP_ADDR ? family : AF_UNSPEC, &j, &err) < 0)
			goto fail;
		if (dev && !ipshow_links_only(j, dev)) {
			/* ip's own words, on stderr, exit 1. */
			fprintf(stderr, "Device \"%s\" does not exist.\n", dev);
			goto out;
		}
		if (brief) {
			json_t *b = ipshow_links_brief(j, obj == IP_ADDR);

			json_decref(j);
			j = b;
		}
		if (json)
			print_json(j);
		else if (brief)
			ipshow_links_brief_text(stdout, j, obj == IP_ADDR);
		else
			ipshow_links_text(stdout, j, obj == IP_ADDR);
		break;
	case IP_ROUTE:
		/* `ip route` is IPv4 unless -6; -br changes nothing here (ip's
		 * brief mode is for addr and link only). */
		if (ipshow_routes(&s, family == AF_INET6 ? AF_INET6 : AF_INET, &j, &err) < 0)
			goto fail;
		if (json)
			print_json(j);
		else
			ipshow_routes_text(stdout, j);
		break;
	case IP_NEIGH:
		if (ipshow_neighs(&s, family, &j, &err) < 0)
			goto fail;
		if (json)
			print_json(j);
		else
			ipshow_neighs_text(stdout, j);
		break;
	case IP_NONE:
		break;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	cmd_error(&err);
out:
	json_decref(j);
	nl_close(&s);
	target_close(&t);
	flag_args_free(&fa);
	free(av);
	pn_err_free(&err);
	return rc;
}

/* ---- ss ---- */

/* ss's column layout (misc/ss.c, iproute2 6.1, output not a terminal):
 * each column as wide as its widest cell plus its left delimiter, right-
 * aligned address columns, the port glued to the address's ':'. */
enum { COL_NETID, COL_STATE, COL_RECVQ, COL_SENDQ, COL_ADDR, COL_SERV, COL_RADDR, COL_RSERV,
       COL_PROC, COL_EXT, COL_MAX };

static const struct {
	bool right;
	const char *header;
	const char *ldelim;
} ss_cols[COL_MAX] = {
	{ false, "Netid", "" },          { false, "State", " " },
	{ false, "Recv-Q", " " },        { false, "Send-Q", " " },
	{ true, "Local Address:", " " }, { false, "Port", "" },
	{ true, "Peer Address:", " " },  { false, "Port", "" },
	{ false, "Process", "" },        { false, "", "" },
};

struct ss_table {
	char *(*rows)[COL_MAX];
	size_t n, cap;
	bool disabled[COL_MAX];
};

static int ss_add(struct ss_table *tb, char *cells[COL_MAX])
{
	if (pn_grow(&tb->rows, &tb->cap, tb->n, sizeof(*tb->rows)))
		return -ENOMEM;
	memcpy(tb->rows[tb->n++], cells, sizeof(char *) * COL_MAX);
	return 0;
}

static void ss_print(const struct ss_table *tb, FILE *f)
{
	size_t maxlen[COL_MAX] = { 0 }, width[COL_MAX] = { 0 };
	bool first = true;

	for (size_t r = 0; r < tb->n; r++)
		for (int c = 0; c < COL_MAX; c++)
			if (!tb->disabled[c] && strlen(tb->rows[r][c]) > maxlen[c])
				maxlen[c] = strlen(tb->rows[r][c]);
	/* render_calc_width(), compact branch (no terminal, no COLUMNS). */
	for (int c = 0; c < COL_MAX; c++) {
		if (tb->disabled[c])
			continue;
		width[c] = !first && maxlen[c] ? maxlen[c] + strlen(ss_cols[c].ldelim) : maxlen[c];
		if (width[c])
			first = false;
	}
	for (size_t r = 0; r < tb->n; r++) {
		bool started = false;

		for (int c = 0; c < COL_MAX; c++) {
			const char *cell = tb->rows[r][c];
			size_t printed = 0;

			if (tb->disabled[c])
				continue;
			if (started) {
				fputs(ss_cols[c].ldelim, f);
				printed = strlen(ss_cols[c].ldelim);
			}
			started = true;
			if (width[c] && ss_cols[c].right && width[c] > strlen(cell) + printed) {
				size_t pad = width[c] - strlen(cell) - printed;

				fprintf(f, "%*s", (int)pad, "");
				printed += pad;
			}
			fputs(cell, f);
			printed += strlen(cell);
			if (width[c] && !ss_cols[c].right && width[c] > printed)
				fprintf(f, "%*s", (int)(width[c] - printed), "");
		}
		fputc('\n', f);
	}
}

static void ss_table_free(struct ss_table *tb)
{
	for (size_t r = 0; r < tb->n; r++)
		for (int c = 0; c < COL_MAX; c++)
			free(tb->rows[r][c]);
	free(tb->rows);
}

struct port_range {
	int lo, hi;
};

static int read_port_range(void *arg)
{
	struct port_range *pr = arg;
	char buf[64];

	/* /proc/sys/net is the opener's namespace: read from the thread that
	 * joined the pod's, as `ss -N` reads it after switching. */
	if (pn_read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%d %d", &pr->lo, &pr->hi) != 2)
		pr->lo = pr->hi = 0;
	return 0;
}

/* resolve_service(): "*" for port 0, a service name from /etc/services
 * unless -n or the port is in the ephemeral range, else the number. */
static char *ss_port(int port, int proto, bool numeric, const struct port_range *pr)
{
	char *s = NULL;

	if (port == 0)
		return strdup("*");
	if (!numeric && !(port >= pr->lo && port <= pr->hi)) {
		struct servent *se = getservbyport(htons((uint16_t)port), proto == IPPROTO_TCP ? "tcp" : "udp");

		if (se)
			return strdup(se->s_name);
	}
	if (asprintf(&s, "%d", port) < 0)
		return NULL;
	return s;
}

/* inet_addr_print(): IPv4 as is; IPv6 bracketed, and the unspecified
 * address "*" unless the socket is v6only (then it does not take IPv4). */
static char *ss_addr(const struct pn_ip *ip, bool v6only, const char *ifname)
{
	char b[PN_IP_STRLEN + 2], *s = NULL;
	static const uint8_t zero[16];

	if (ip->family == AF_INET6 && !v6only && !memcmp(ip->b, zero, 16)) {
		snprintf(b, sizeof(b), "*");
	} else if (ip->family == AF_INET6) {
		char t[PN_IP_STRLEN];

		snprintf(b, sizeof(b), "[%s]", pn_ip_str(ip, t));
	} else {
		pn_ip_str(ip, b);
	}
	if (ifname ? asprintf(&s, "%s%%%s:", b, ifname) : asprintf(&s, "%s:", b))
		return s;
	return NULL;
}

/* The podnet container a process belongs to: by the container id in its
 * cgroup path, else by having a container's init process as an ancestor
 * (same pid namespace lineage: exec'd processes are in the cgroup). */
static const char *owner_ctr(const struct podrt_view *v, const struct diag_owner *o)
{
	pid_t p = o->pid;

	if (o->ctr_id[0])
		for (size_t i = 0; i < v->n_ctrs; i++)
			if (v->ctrs[i].row.id && !strcmp(v->ctrs[i].row.id, o->ctr_id))
				return v->ctrs[i].row.name;
	for (int depth = 0; depth < 64 && p > 1; depth++) {
		for (size_t i = 0; i < v->n_ctrs; i++)
			if (v->ctrs[i].pid > 0 && v->ctrs[i].pid == p)
				return v->ctrs[i].row.name;
		if (diag_pid_ppid(p, &p) < 0)
			break;
	}
	return NULL;
}

static char *ss_users(const struct podrt_view *v, const struct diag_sock *s, json_t *ju)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	if (s->n_owners) {
		fputs(" users:(", m);
		for (size_t i = 0; i < s->n_owners; i++) {
			const struct diag_owner *o = &s->owners[i];
			const char *ctr = owner_ctr(v, o);

			fprintf(m, "%s(\"%s\",pid=%d,fd=%d", i ? "," : "", o->comm, (int)o->pid, o->fd);
			if (ctr)
				fprintf(m, ",container=%s", ctr);
			fputc(')', m);
			if (ju) {
				json_t *u = json_pack("{s:s, s:i, s:i}", "name", o->comm, "pid", (int)o->pid,
						      "fd", o->fd);

				if (u && ctr)
					json_object_set_new(u, "container", json_string(ctr));
				if (u)
					json_array_append_new(ju, u);
			}
		}
		fputc(')', m);
	}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ss -s (misc/ss.c print_summary(), iproute2 6.1), or its counts as JSON. */
static int print_summary(int netns_fd, bool json, struct pn_err *err)
{
	struct diag_summary s;

	if (diag_summary(netns_fd, &s, err) < 0)
		return -1;
	if (json) {
		json_t *j = json_pack("{s:i, s:{s:i, s:i, s:i, s:i, s:i}, s:{s:i, s:i}, s:{s:i, s:i}, "
				      "s:{s:i, s:i}, s:{s:i, s:i}}",
				      "total", s.socks, "tcp", "total", s.tcp_alloc - s.tcp_tws,
				      "estab", s.tcp_estab,
				      "closed", s.tcp_alloc - (s.tcp4_hashed + s.tcp6_hashed + s.tcp_tws),
				      "orphaned", s.tcp_orphans, "timewait", s.tcp_tws,
				      "raw", "ip", s.raw4, "ipv6", s.raw6, "udp", "ip", s.udp4, "ipv6", s.udp6,
				      "tcpHashed", "ip", s.tcp4_hashed, "ipv6", s.tcp6_hashed,
				      "frag", "ip", s.frag4, "ipv6", s.frag6);

		print_json(j);
		json_decref(j);
		return 0;
	}
	printf("Total: %d\n", s.socks);
	printf("TCP:   %d (estab %d, closed %d, orphaned %d, timewait %d)\n", s.tcp_alloc - s.tcp_tws,
	       s.tcp_estab, s.tcp_alloc - (s.tcp4_hashed + s.tcp6_hashed + s.tcp_tws), s.tcp_orphans,
	       s.tcp_tws);
	printf("\n");
	printf("Transport Total     IP        IPv6\n");
	printf("RAW\t  %-9d %-9d %-9d\n", s.raw4 + s.raw6, s.raw4, s.raw6);
	printf("UDP\t  %-9d %-9d %-9d\n", s.udp4 + s.udp6, s.udp4, s.udp6);
	printf("TCP\t  %-9d %-9d %-9d\n", s.tcp4_hashed + s.tcp6_hashed, s.tcp4_hashed, s.tcp6_hashed);
	printf("INET\t  %-9d %-9d %-9d\n", s.raw4 + s.udp4 + s.tcp4_hashed + s.raw6 + s.udp6 + s.tcp6_hashed,
	       s.raw4 + s.udp4 + s.tcp4_hashed, s.raw6 + s.udp6 + s.tcp6_hashed);
	printf("FRAG\t  %-9d %-9d %-9d\n", s.frag4 + s.frag6, s.frag4, s.frag6);
	printf("\n");
	return 0;
}

int cmd_ss(int argc, char **argv)
{
	const char *ns = "default", *pod = NULL, *cname = NULL, *output = NULL;
	struct diag_query q = { .family = AF_UNSPEC };
	struct diag_sock *socks = NULL;
	struct ss_table tb = { 0 };
	struct pn_err err = { 0 };
	struct target t = { .fd = -1 };
	struct port_range pr = { 0, 0 };
	struct nl_sock rs = NL_SOCK_INIT;
	bool listen = false, all = false, numeric = false, json = false, no_header = false;
	bool summary = false, tcp = false, udp = false, v4 = false, v6 = false;
	/* ss's own short and long options (bundled: -ltnp); the pod's
	 * namespace is --namespace only, -n is ss's --numeric. */
	struct flag flags[] = {
		FLAG_DEF("listening", 'l', FLAG_BOOL, &listen),
		FLAG_DEF("all", 'a', FLAG_BOOL, &all),
		FLAG_DEF("tcp", 't', FLAG_BOOL, &tcp),
		FLAG_DEF("udp", 'u', FLAG_BOOL, &udp),
		FLAG_DEF("processes", 'p', FLAG_BOOL, &q.owners),
		FLAG_DEF("numeric", 'n', FLAG_BOOL, &numeric),
		FLAG_DEF("no-header", 'H', FLAG_BOOL, &no_header),
		FLAG_DEF("summary", 's', FLAG_BOOL, &summary),
		FLAG_DEF("ipv4", '4', FLAG_BOOL, &v4),
		FLAG_DEF("ipv6", '6', FLAG_BOOL, &v6),
		FLAG_DEF("namespace", 0, FLAG_STRING, &ns),
		FLAG_DEF("container", 'c', FLAG_STRING, &cname),
		FLAG_DEF("output", 'o', FLAG_STRING, &output),
		FLAG_END,
	};
	struct flag_args fa = { 0 };
	bool header;
	json_t *arr = NULL;
	size_t n = 0;
	int rc = 1;

	if (cmd_flags(flags, argc, argv, &fa) < 0)
		return 1;
	pod = fa.n ? fa.v[0] : NULL;
	rc = output_json(output, &json) < 0 || cmd_no_args("ss", &fa, 1) < 0;
	flag_args_free(&fa);   /* @pod is argv's */
	if (rc)
		return 1;
	rc = 1;
	header = !no_header;
	q.protos = (tcp ? DIAG_Q_TCP : 0) | (udp ? DIAG_Q_UDP : 0);
	q.family = v4 && !v6 ? AF_INET : v6 && !v4 ? AF_INET6 : AF_UNSPEC;
	if (!pod) {
		cmd_errorf("usage: podnet ss POD [-c CONTAINER] [--namespace NS] [-l|-a] [-t] [-u] [-p] [-n] [-o json]");
		return 1;
	}
	if (target_open(&t, ns, pod, cname) < 0)
		return 1;
	if (summary) {
		/* ss prints the summary, and the sockets too only when a
		 * protocol was asked for (-t/-u: do_default cleared). */
		if (print_summary(t.fd, json, &err) < 0)
			goto fail;
		if (!q.protos || json) {
			rc = fflush(stdout) == 0 ? 0 : 1;
			goto out;
		}
	}
	if (!q.protos)
		q.protos = DIAG_Q_TCP | DIAG_Q_UDP;
	q.states = all ? DIAG_STATES_ALL : listen ? DIAG_STATES_LISTEN : DIAG_STATES_CONN;
	if (diag_list(t.fd, &q, &socks, &n, &err) < 0)
		goto fail;
	if (netns_run(t.fd, read_port_range, &pr, &err) < 0)
		goto fail;
	if (json && !(arr = json_array()))
		goto nomem;
	/* ss hides Netid when one protocol is shown and State when one state
	 * is asked for. */
	tb.disabled[COL_NETID] = q.protos != (DIAG_Q_TCP | DIAG_Q_UDP);
	tb.disabled[COL_STATE] = !(q.states & (q.states - 1));
	if (header && !json) {
		char *cells[COL_MAX];

		for (int c = 0; c < COL_MAX; c++)
			cells[c] = strdup(ss_cols[c].header);
		if (ss_add(&tb, cells) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		const struct diag_sock *s = &socks[i];
		char ifname[IFNAMSIZ] = "", *cells[COL_MAX] = { 0 };
		json_t *o = NULL, *ju = NULL;
		bool ok = true;

		if (s->ifindex) {
			struct link_info li;

			if (rs.fd < 0 && nl_open_in_netns(&rs, NETLINK_ROUTE, t.fd, &err) < 0)
				goto fail;
			if (link_get_index(&rs, s->ifindex, &li, &err) == 0)
				snprintf(ifname, sizeof(ifname), "%s", li.name);
			else
				snprintf(ifname, sizeof(ifname), "if%d", s->ifindex);
		}
		if (json) {
			o = json_pack("{s:s, s:s, s:i, s:i}", "netid", s->proto == IPPROTO_TCP ? "tcp" : "udp",
				      "state", diag_state_str(s->state), "recv_q", (int)s->rqueue, "send_q",
				      (int)s->wqueue);
			ju = json_array();
			if (!o || !ju || json_array_append_new(arr, o) < 0) {
				json_decref(ju);
				goto nomem;
			}
		}
		cells[COL_NETID] = strdup(s->proto == IPPROTO_TCP ? "tcp" : "udp");
		cells[COL_STATE] = strdup(diag_state_str(s->state));
		if (asprintf(&cells[COL_RECVQ], "%-6u", s->rqueue) < 0)
			cells[COL_RECVQ] = NULL;
		if (asprintf(&cells[COL_SENDQ], "%-6u", s->wqueue) < 0)
			cells[COL_SENDQ] = NULL;
		cells[COL_ADDR] = ss_addr(&s->local, s->v6only, s->ifindex ? ifname : NULL);
		cells[COL_SERV] = ss_port(s->lport, s->proto, numeric, &pr);
		cells[COL_RADDR] = ss_addr(&s->remote, s->v6only, NULL);
		cells[COL_RSERV] = ss_port(s->rport, s->proto, numeric, &pr);
		cells[COL_PROC] = q.owners ? ss_users(&t.v, s, ju) : strdup("");
		cells[COL_EXT] = strdup("");
		for (int c = 0; c < COL_MAX; c++)
			ok &= cells[c] != NULL;
		if (!ok || ss_add(&tb, cells) < 0) {
			for (int c = 0; c < COL_MAX; c++)
				free(cells[c]);
			json_decref(ju);
			goto nomem;
		}
		if (json) {
			char ip[PN_IP_STRLEN];
			int r = 0;

			r |= json_object_set_new(o, "local_address", json_string(pn_ip_str(&s->local, ip)));
			r |= json_object_set_new(o, "local_port", json_integer(s->lport));
			r |= json_object_set_new(o, "peer_address", json_string(pn_ip_str(&s->remote, ip)));
			r |= json_object_set_new(o, "peer_port", json_integer(s->rport));
			if (s->ifindex)
				r |= json_object_set_new(o, "interface", json_string(ifname));
			if (s->local.family == AF_INET6)
				r |= json_object_set_new(o, "v6only", json_boolean(s->v6only));
			r |= json_object_set_new(o, "inode", json_integer(s->inode));
			r |= json_object_set_new(o, "uid", json_integer(s->uid));
			if (q.owners)
				r |= json_object_set_new(o, "users", ju);
			else
				json_decref(ju);
			if (r)
				goto nomem;
		}
	}
	if (json)
		print_json(arr);
	else
		ss_print(&tb, stdout);
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
nomem:
	pn_error(&err, PN_E_NOMEM, ENOMEM, "list sockets");
fail:
	cmd_error(&err);
out:
	json_decref(arr);
	ss_table_free(&tb);
	diag_socks_free(socks, n);
	nl_close(&rs);
	target_close(&t);
	pn_err_free(&err);
	return rc;
}

/* ---- nsenter ---- */

int cmd_nsenter(int argc, char **argv)
{
	const char *ns = "default", *pod = NULL, *cname = NULL;
	struct flag flags[] = {
		FLAG_DEF("namespace", 'n', FLAG_STRING, &ns),
		FLAG_DEF("container", 'c', FLAG_STRING, &cname),
		FLAG_END,
	};
	struct flag_args fa = { 0 };
	struct target t = { .fd = -1 };
	struct pn_err err = { 0 };
	char **cmdv;
	int status = 1;

	/* As kubectl exec: podnet's flags anywhere before "--", the command
	 * after it (its own flags are then its own).  POD COMMAND without
	 * "--" still works when COMMAND has no flags. */
	if (cmd_flags(flags, argc, argv, &fa) < 0)
		return 1;
	if (fa.dash > 1) {
		cmd_usage_errorf("nsenter", "expected 'nsenter POD [-c CONTAINER] [-n NS] -- COMMAND [ARGS...]', "
				 "got %ld arguments before --", fa.dash);
		goto out_args;
	}
	if (fa.dash != 0 && fa.n > 0)
		pod = fa.v[0];
	if (!pod || fa.n < 2) {
		cmd_errorf("usage: podnet nsenter POD [-c CONTAINER] [-n NS] -- COMMAND [ARGS...]");
		goto out_args;
	}
	cmdv = fa.v + 1;   /* NULL-terminated: flags.h */
	if (target_open(&t, ns, pod, cname) < 0)
		goto out_args;
	if (t.ctr)
		fprintf(stderr, "podnet: joined net namespace of container %s (pid %d) of pod %s/%s (netns %s)\n",
			t.ctr->row.name, t.ctr->pid, t.v.pod->namespace_, t.v.pod->name,
			t.v.pod->netns_path ? t.v.pod->netns_path : t.path);
	else
		fprintf(stderr, "podnet: joined net namespace of pod %s/%s (netns %s)\n",
			t.v.pod->namespace_, t.v.pod->name, t.path);
	fflush(stderr);
	fflush(stdout);
	if (diag_exec_in_netns(t.fd, cmdv, &status, &err) < 0)
		fprintf(stderr, "podnet: %s: %s\n", pn_err_msg(&err), strerror(err.errnum));
	target_close(&t);
	pn_err_free(&err);
out_args:
	flag_args_free(&fa);
	return status;
}
