/* SPDX-License-Identifier: Apache-2.0 */
#include "diag.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "netns.h"
#include "nl.h"

const char *diag_state_str(int state)
{
	/* misc/ss.c sstate_name[]. */
	static const char *const names[] = {
		[0] = "UNKNOWN",
		[DIAG_ESTABLISHED] = "ESTAB",
		[DIAG_SYN_SENT] = "SYN-SENT",
		[DIAG_SYN_RECV] = "SYN-RECV",
		[DIAG_FIN_WAIT1] = "FIN-WAIT-1",
		[DIAG_FIN_WAIT2] = "FIN-WAIT-2",
		[DIAG_TIME_WAIT] = "TIME-WAIT",
		[DIAG_CLOSE] = "UNCONN",
		[DIAG_CLOSE_WAIT] = "CLOSE-WAIT",
		[DIAG_LAST_ACK] = "LAST-ACK",
		[DIAG_LISTEN] = "LISTEN",
		[DIAG_CLOSING] = "CLOSING",
		[DIAG_NEW_SYN_RECV] = "UNDEF",
	};

	if (state < 0 || (size_t)state >= PN_ARRAY_SIZE(names) || !names[state])
		return "UNKNOWN";
	return names[state];
}

struct sockvec {
	struct diag_sock *v;
	size_t n, cap;
	int proto;
	int family;
};

static int sock_cb(const struct nlmsghdr *h, void *arg)
{
	struct sockvec *sv = arg;
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	struct nlattr *tb[INET_DIAG_MAX + 1];
	struct diag_sock *s;
	size_t alen;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	/* ss's show_one_inet_sock() filters the family too: an AF_INET6
	 * request never returns AF_INET sockets, but be exact. */
	if (m->idiag_family != sv->family)
		return 0;
	if (pn_grow(&sv->v, &sv->cap, sv->n, sizeof(*sv->v)))
		return -ENOMEM;
	s = &sv->v[sv->n++];
	nl_parse_msg(tb, INET_DIAG_MAX, h, sizeof(*m));
	s->proto = sv->proto;
	s->state = m->idiag_state;
	alen = m->idiag_family == AF_INET ? 4 : 16;
	s->local.family = s->remote.family = m->idiag_family;
	memcpy(s->local.b, m->id.idiag_src, alen);
	memcpy(s->remote.b, m->id.idiag_dst, alen);
	s->lport = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	/* For a listener the kernel reports the accept queue length as
	 * rqueue and sk_max_ack_backlog as wqueue (inet_diag_msg_common_fill
	 * via tcp_diag_get_info), which ss prints as Recv-Q/Send-Q. */
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->inode = m->idiag_inode;
	s->uid = m->idiag_uid;
	s->ifindex = (int)m->id.idiag_if;
	if (m->idiag_family == AF_INET6 && tb[INET_DIAG_SKV6ONLY])
		s->v6only = nl_get_u8(tb[INET_DIAG_SKV6ONLY]) != 0;
	return 0;
}

static int dump_proto(struct nl_sock *ns, int proto, int family, unsigned int states,
		      struct sockvec *sv, struct pn_err *err)
{
	char buf[256];
	struct nl_req r;
	struct inet_diag_req_v2 *req;
	void *hdr;
	size_t start = sv->n;
	int ret = -EAGAIN;

	sv->proto = proto;
	sv->family = family;
	/* A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is
	 * redone from scratch rather than shown half-stale. */
	for (int attempt = 0; attempt < 5 && ret == -EAGAIN; attempt++) {
		sv->n = start;
		nl_req_init(&r, buf, sizeof(buf), SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, sizeof(*req), &hdr);
		req = hdr;
		req->sdiag_family = (uint8_t)family;
		req->sdiag_protocol = (uint8_t)proto;
		req->idiag_states = states;
		ret = nl_dump(ns, &r, sock_cb, sv, proto == IPPROTO_TCP ? "sock_diag TCP dump"
								       : "sock_diag UDP dump", err);
	}
	return ret;
}

static int read_comm(pid_t pid, char *out, size_t size)
{
	char path[64], buf[512];
	char *l, *r;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = pn_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	/* "PID (COMM) STATE ..."; COMM may itself hold ')' or spaces. */
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -EINVAL;
	*r = '\0';
	snprintf(out, size, "%s", l + 1);
	return 0;
}

int diag_pid_container(pid_t pid, char id[65])
{
	char path[64], line[4096];
	FILE *f = NULL;
	int ret = -ENOENT;

	id[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		goto out;
	}
	/* Any hierarchy will do: runc puts the container in
	 * <own cgroup>/podnet/pod<uid>/<id> in each one it manages, and on a
	 * hybrid host some are left at "/". */
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "/podnet/pod"), *slash;
		size_t len;

		if (!p)
			continue;
		slash = strchr(p + strlen("/podnet/pod"), '/');
		if (!slash)
			continue;
		slash++;
		len = strcspn(slash, "/\n");
		if (len != 64)
			continue;
		for (size_t i = 0; i < len; i++)
			if (!isxdigit((unsigned char)slash[i]))
				len = 0;
		if (len != 64)
			continue;
		memcpy(id, slash, 64);
		id[64] = '\0';
		ret = 0;
		goto out;
	}
out:
	if (f)
		fclose(f);
	return ret;
}

static struct diag_sock *find_inode(struct diag_sock *v, size_t n, unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].inode == ino)
			return &v[i];
	return NULL;
}

static int add_owner(struct diag_sock *s, pid_t pid, int fd, const char *comm, const char *ctr)
{
	struct diag_owner *o = realloc(s->owners, (s->n_owners + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	s->owners = o;
	o = &o[s->n_owners++];
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	o->fd = fd;
	snprintf(o->comm, sizeof(o->comm), "%s", comm);
	snprintf(o->ctr_id, sizeof(o->ctr_id), "%s", ctr);
	return 0;
}

/* ss -p lists the holders of a socket newest-first: user_ent_hash_build()
 * walks /proc and each fd dir in ascending order and prepends to a chain. */
static int owner_cmp(const void *a, const void *b)
{
	const struct diag_owner *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? 1 : -1;
	return x->fd < y->fd ? 1 : x->fd > y->fd ? -1 : 0;
}

/* One process: is it in the namespace, and which of its fds are ours. */
static int scan_pid(pid_t pid, const struct stat *ns, struct diag_sock *v, size_t n)
{
	char path[64], link[64], comm[32] = "", ctr[65] = "";
	struct stat st;
	struct dirent *de;
	DIR *d = NULL;
	bool named = false;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	/* A namespace is identified by its nsfs inode and device; processes
	 * elsewhere are skipped before their fd table is read. */
	if (stat(path, &st) < 0 || st.st_ino != ns->st_ino || st.st_dev != ns->st_dev)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		goto out; /* exited meanwhile, or a kernel thread */
	while ((de = readdir(d))) {
		char fdpath[300];
		unsigned long ino;
		struct diag_sock *s;
		ssize_t len;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%s", (int)pid, de->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		s = find_inode(v, n, ino);
		if (!s)
			continue;
		if (!named) {
			named = true;
			if (read_comm(pid, comm, sizeof(comm)) < 0)
				snprintf(comm, sizeof(comm), "?");
			if (diag_pid_container(pid, ctr) < 0)
				ctr[0] = '\0';
		}
		ret = add_owner(s, pid, atoi(de->d_name), comm, ctr);
		if (ret < 0)
			goto out;
	}
out:
	if (d)
		closedir(d);
	return ret;
}

static int find_owners(int netns_fd, struct diag_sock *v, size_t n, struct pn_err *err)
{
	struct stat ns;
	struct dirent *de;
	DIR *proc = NULL;
	int ret = 0;

	if (fstat(netns_fd, &ns) < 0) {
		ret = pn_error(err, PN_E_KERNEL, errno, "stat network namespace");
		goto out;
	}
	proc = opendir("/proc");
	if (!proc) {
		ret = pn_error(err, PN_E_KERNEL, errno, "open /proc");
		goto out;
	}
	while ((de = readdir(proc))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		ret = scan_pid((pid_t)atoi(de->d_name), &ns, v, n);
		if (ret < 0) {
			ret = pn_error(err, PN_E_NOMEM, -ret, "find socket owners");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].n_owners > 1)
			qsort(v[i].owners, v[i].n_owners, sizeof(*v[i].owners), owner_cmp);
out:
	if (proc)
		closedir(proc);
	return ret;
}

int diag_list(int netns_fd, const struct diag_query *q, struct diag_sock **out, size_t *n,
	      struct pn_err *err)
{
	struct nl_sock ns = NL_SOCK_INIT;
	struct sockvec sv = { 0 };
	static const int protos[] = { IPPROTO_UDP, IPPROTO_TCP };
	static const int families[] = { AF_INET, AF_INET6 };
	int ret;

	*out = NULL;
	*n = 0;
	/* sock_diag answers about the namespace of the asking socket
	 * (sock_net(NETLINK_CB(skb).sk) in inet_diag_dump_icsk). */
	ret = nl_open_in_netns(&ns, NETLINK_SOCK_DIAG, netns_fd, err);
	if (ret < 0)
		goto out;
	for (size_t p = 0; p < PN_ARRAY_SIZE(protos); p++) {
		if (!(q->protos & (protos[p] == IPPROTO_TCP ? DIAG_Q_TCP : DIAG_Q_UDP)))
			continue;
		for (size_t f = 0; f < PN_ARRAY_SIZE(families); f++) {
			if (q->family != AF_UNSPEC && q->family != families[f])
				continue;
			ret = dump_proto(&ns, protos[p], families[f], q->states, &sv, err);
			if (ret < 0)
				goto out;
		}
	}
	if (q->owners) {
		ret = find_owners(netns_fd, sv.v, sv.n, err);
		if (ret < 0)
			goto out;
	}
	*out = sv.v;
	*n = sv.n;
	sv.v = NULL;
	sv.n = 0;
	ret = 0;
out:
	diag_socks_free(sv.v, sv.n);
	nl_close(&ns);
	return ret;
}

void diag_socks_free(struct diag_sock *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].owners);
	free(v);
}

int diag_pid_ppid(pid_t pid, pid_t *ppid)
{
	char path[64], buf[1024];
	const char *r;
	int ret, p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = pn_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	/* After the last ')' of COMM: " STATE PPID ...". */
	r = strrchr(buf, ')');
	if (!r || sscanf(r + 1, " %*c %d", &p) != 1)
		return -EINVAL;
	*ppid = (pid_t)p;
	return 0;
}

struct exec_job {
	char *const *argv;
	struct pn_child child;
	struct pn_err *err;
	bool in_netns; /* the thread entered the namespace */
};

/* Runs in netns_run()'s thread, inside the namespace: a child created
 * there starts in it (clone(2) copies the calling thread's namespaces),
 * while our own threads never leave the node's. */
static int exec_start(void *arg)
{
	struct exec_job *j = arg;
	int ret;

	j->in_netns = true;
	ret = pn_spawn_start(&(struct pn_spawn){ .path = j->argv[0], .argv = j->argv,
						 .in = PN_STDIO_INHERIT, .out = PN_STDIO_INHERIT,
						 .err = PN_STDIO_INHERIT, .code = PN_E_KERNEL },
			     &j->child, j->err);
	if (ret < 0)
		pn_error(j->err, PN_E_KERNEL, -ret, "failed to execute %s", j->argv[0]);
	return ret;
}

int diag_exec_in_netns(int netns_fd, char *const argv[], int *status, struct pn_err *err)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct exec_job j = { .argv = argv, .err = err };
	struct pn_proc_result r = { 0 };
	int ret;

	*status = 1;
	/* The command starts with every signal at its default (child.h),
	 * so ignoring these here is ours alone. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	ret = netns_run(netns_fd, exec_start, &j, err);
	if (ret < 0) {
		/* Not found, or found and not runnable (or the namespace could
		 * not be entered): the shells' 127 and 126. */
		*status = ret == -ENOENT && j.in_netns ? 127 : 126;
		goto out;
	}
	ret = pn_child_wait(&j.child, &r, err);
	if (ret == 0)
		*status = pn_proc_exit_code(&r);
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	pn_proc_result_free(&r);
	return ret;
}

/* "KEY: name N name N ...": the value after @field on the line starting
 * with @key, as ss's get_sockstat_line() reads them by position. */
static void stat_field(const char *text, const char *key, const char *field, int *out)
{
	size_t klen = strlen(key), flen = strlen(field);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p;

		if (strncmp(l, key, klen) || l[klen] != ' ')
			continue;
		for (p = l + klen; *p && *p != '\n'; p++)
			if (p[0] == ' ' && !strncmp(p + 1, field, flen) && p[1 + flen] == ' ') {
				*out = atoi(p + 2 + flen);
				return;
			}
	}
}

static int summary_fn(void *arg)
{
	struct diag_summary *s = arg;
	char buf[4096], snmp[8192];
	const char *hdr, *val;
	int col = 0, ret;

	ret = pn_read_file("/proc/thread-self/net/sockstat", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	stat_field(buf, "sockets:", "used", &s->socks);
	stat_field(buf, "TCP:", "inuse", &s->tcp4_hashed);
	stat_field(buf, "TCP:", "orphan", &s->tcp_orphans);
	stat_field(buf, "TCP:", "tw", &s->tcp_tws);
	stat_field(buf, "TCP:", "alloc", &s->tcp_alloc);
	stat_field(buf, "UDP:", "inuse", &s->udp4);
	stat_field(buf, "RAW:", "inuse", &s->raw4);
	stat_field(buf, "FRAG:", "inuse", &s->frag4);
	/* No IPv6 in the kernel: no sockstat6, and its counts are 0. */
	if (pn_read_file("/proc/thread-self/net/sockstat6", buf, sizeof(buf)) == 0) {
		stat_field(buf, "TCP6:", "inuse", &s->tcp6_hashed);
		stat_field(buf, "UDP6:", "inuse", &s->udp6);
		stat_field(buf, "RAW6:", "inuse", &s->raw6);
		stat_field(buf, "FRAG6:", "inuse", &s->frag6);
	}
	/* /proc/net/snmp: a "Tcp:" line of names, then one of values. */
	if (pn_read_file("/proc/thread-self/net/snmp", snmp, sizeof(snmp)) < 0)
		return 0;
	hdr = strstr(snmp, "Tcp: ");
	val = hdr ? strstr(hdr + 1, "\nTcp: ") : NULL;
	if (!hdr || !val)
		return 0;
	val += 6;
	for (const char *h = hdr + 5; *h && *h != '\n'; col++) {
		size_t len = strcspn(h, " \n");

		if (len == 9 && !strncmp(h, "CurrEstab", 9)) {
			const char *v = val;

			for (int k = 0; k < col && v; k++)
				v = strchr(v, ' ') ? strchr(v, ' ') + 1 : NULL;
			if (v)
				s->tcp_estab = atoi(v);
			break;
		}
		h += len;
		if (*h == ' ')
			h++;
	}
	return 0;
}

int diag_summary(int netns_fd, struct diag_summary *out, struct pn_err *err)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = netns_fd < 0 ? summary_fn(out) : netns_run(netns_fd, summary_fn, out, err);
	if (ret < 0 && (!err || !err->msg))
		pn_error(err, PN_E_KERNEL, -ret, "read the namespace's /proc/net/sockstat");
	return ret;
}
