/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tracer: mark one probe's packets in every namespace on its path,
 * collect the kernel's nftables trace events, name the rules.  See trace.h.
 */
#include "trace.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "link.h"
#include "netns.h"
#include "nftx.h"

/* Events arrive while the probe runs; after it, wait this long without an
 * event before deciding none is still on its way (they are queued by the
 * packet path itself, so the last ones trail the probe by microseconds). */
#define TRACE_IDLE_MS 100
/* Source ports the tracer picks from: above the registered range, below
 * Linux's default ephemeral range (32768-60999), so a clash with a live
 * connection is unlikely; a port found taken is simply picked again. */
#define TRACE_PORT_MIN 20000
#define TRACE_PORT_SPAN 12000
#define TRACE_TRIES 3
/* The lowest hook priority there is (NF_IP_PRI_FIRST): the tracer's chains
 * run before any other chain at their hook, so no earlier chain can drop
 * a packet unseen. */
#define TRACE_PRIO "-2147483648"

void trace_end_node(struct trace_end *end)
{
	memset(end, 0, sizeof(*end));
	snprintf(end->name, sizeof(end->name), "node");
	end->nsfd = -1;
}

void trace_end_close(struct trace_end *end)
{
	if (end && end->nsfd >= 0) {
		close(end->nsfd);
		end->nsfd = -1;
	}
}

int trace_end_pod(const struct store_pod *sp, struct trace_end *end, struct pn_err *err)
{
	struct nl_sock pod = NL_SOCK_INIT, node = NL_SOCK_INIT;
	struct link_info li, peer;
	struct pn_err scratch = { 0 };
	int ret;

	memset(end, 0, sizeof(*end));
	end->nsfd = -1;
	if (!sp->namespace_ || !strcmp(sp->namespace_, "default"))
		snprintf(end->name, sizeof(end->name), "%s", sp->name);
	else
		snprintf(end->name, sizeof(end->name), "%s/%s", sp->namespace_, sp->name);
	ret = doctor_pod_netns_open(sp, err);
	if (ret < 0)
		return ret;
	end->nsfd = ret;
	/* The interfaces name the path's first hooks (netdev ingress); a pod
	 * whose eth0 or veth is gone is still traced, with fewer hooks. */
	snprintf(end->ifname, sizeof(end->ifname), "eth0");
	if (nl_open_in_netns(&pod, NETLINK_ROUTE, end->nsfd, &scratch) == 0 &&
	    link_get(&pod, end->ifname, &li, &scratch) == 0 && li.link > 0 &&
	    nl_open(&node, NETLINK_ROUTE, &scratch) == 0 &&
	    link_get_index(&node, li.link, &peer, &scratch) == 0 && !strcmp(peer.kind, "veth") &&
	    peer.link == li.ifindex)
		snprintf(end->host_if, sizeof(end->host_if), "%s", peer.name);
	nl_close(&pod);
	nl_close(&node);
	pn_err_free(&scratch);
	return 0;
}

void trace_tcp_flags_str(uint8_t f, char *out, size_t n)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < PN_ARRAY_SIZE(names) && len < n; i++)
		if (f & (1u << i))
			len += (size_t)snprintf(out + len, n - len, "%s%s", len ? "," : "", names[i]);
}

/* ------------------------------------------------------------------ */
/* the tracer's tables                                                */

struct trace_ns {
	int fd;                  /* -1: the node's (the caller's) */
	int nsid;                /* as the node's namespace knows it; NL_NSID_SELF for the node */
	const char *devs[2];     /* netdev ingress devices */
	size_t n_devs;
	bool bridge;             /* add a bridge-family table */
	bool installed;
	struct nftx_ruleset *rs;
	struct link_info *links;
	size_t n_links;
};

/* The rules that mark the probe: its packets, its answers, and ICMP
 * errors quoting it (raw payload offsets: an ICMP header of 8 bytes, then
 * the quoted IPv4 header of 20 or IPv6 header of 40, then the quoted
 * transport header with the source port, or the echo id at byte 4). */
static int mark_rules(char *out, size_t n, const struct trace_req *q, int sport, uint16_t id)
{
	const char *l4 = q->kind == PROBE_UDP ? "udp" : "tcp";

	if (q->kind == PROBE_ICMP)
		return snprintf(out, n,
				"\t\ticmp type { echo-request, echo-reply } icmp id %u meta nftrace set 1\n"
				"\t\ticmpv6 type { echo-request, echo-reply } icmpv6 id %u meta nftrace set 1\n"
				"\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } "
				"@th,256,16 %u meta nftrace set 1\n"
				"\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
				"parameter-problem } @th,416,16 %u meta nftrace set 1\n",
				id, id, id, id);
	return snprintf(out, n,
			"\t\tmeta l4proto %s th sport %d meta nftrace set 1\n"
			"\t\tmeta l4proto %s th dport %d meta nftrace set 1\n"
			"\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } "
			"@th,224,16 %d meta nftrace set 1\n"
			"\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
			"parameter-problem } @th,384,16 %d meta nftrace set 1\n",
			l4, sport, l4, sport, sport, sport);
}

static void table_name(char *out, size_t n)
{
	snprintf(out, n, TRACE_TABLE_PREFIX "%d", (int)getpid());
}

/* A table of @family with the two chains that mark the probe's packets:
 * prerouting (what arrives) and output (what the namespace sends). */
static void hook_table(FILE *f, const char *family, const char *table, const char *rules)
{
	fprintf(f, "table %s %s {\n", family, table);
	fprintf(f, "\tchain prerouting {\n\t\ttype filter hook prerouting priority %s; policy accept;\n%s\t}\n",
		TRACE_PRIO, rules);
	fprintf(f, "\tchain output {\n\t\ttype filter hook output priority %s; policy accept;\n%s\t}\n}\n",
		TRACE_PRIO, rules);
}

static char *install_script(const struct trace_ns *ns, const char *rules)
{
	char table[64], *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	table_name(table, sizeof(table));
	hook_table(f, "inet", table, rules);
	if (ns->bridge)
		hook_table(f, "bridge", table, rules);
	if (ns->n_devs) {
		fprintf(f, "table netdev %s {\n", table);
		for (size_t i = 0; i < ns->n_devs; i++)
			fprintf(f, "\tchain ingress%zu {\n\t\ttype filter hook ingress device \"%s\" priority %s; "
				"policy accept;\n%s\t}\n", i, ns->devs[i], TRACE_PRIO, rules);
		fprintf(f, "}\n");
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int tables_install(struct trace_ns *ns, const char *rules, struct pn_err *err)
{
	char *script = install_script(ns, rules);
	int ret;

	if (!script)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = nftx_run_in(ns->fd, script, "add the tracer's tables", err);
	free(script);
	if (ret == 0)
		ns->installed = true;
	return ret;
}

/* Delete the tracer's tables: all in one transaction, as they came. */
static int tables_remove(struct trace_ns *ns, struct pn_err *err)
{
	char table[64], script[512];
	int ret;

	if (!ns->installed)
		return 0;
	table_name(table, sizeof(table));
	snprintf(script, sizeof(script), "delete table inet %s\n%s%s%s%s", table,
		 ns->bridge ? "delete table bridge " : "", ns->bridge ? table : "",
		 ns->n_devs ? "\ndelete table netdev " : "", ns->n_devs ? table : "");
	ret = nftx_run_in(ns->fd, script, "delete the tracer's tables", err);
	if (ret == 0)
		ns->installed = false;
	return ret;
}

/* Tables a killed tracer left behind (its pid is gone): delete them, so a
 * leftover never marks packets forever. */
static void tables_remove_stale(struct trace_ns *ns)
{
	char script[1024] = "";
	size_t len = 0;
	struct pn_err scratch = { 0 };

	for (size_t i = 0; ns->rs && i < ns->rs->n_chains; i++) {
		const struct nftx_chain *c = &ns->rs->chains[i];
		const char *p = c->table;
		char *end;
		long pid;
		bool dup = false;

		if (strncmp(p, TRACE_TABLE_PREFIX, strlen(TRACE_TABLE_PREFIX)))
			continue;
		pid = strtol(p + strlen(TRACE_TABLE_PREFIX), &end, 10);
		if (*end || pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = ns->rs->chains[k].family == c->family && !strcmp(ns->rs->chains[k].table, p);
		if (!dup && len < sizeof(script))
			len += (size_t)snprintf(script + len, sizeof(script) - len, "delete table %s %s\n",
						nftrace_family_str(c->family), p);
	}
	if (len && len < sizeof(script))
		if (nftx_run_in(ns->fd, script, "delete a dead tracer's tables", &scratch) < 0)
			pn_err_free(&scratch); /* raced with another cleaner: fine */
	pn_err_free(&scratch);
}

/* ------------------------------------------------------------------ */
/* collecting                                                         */

struct raw_event {
	struct nftrace_event ev;
	int where;
	size_t packet;
};

struct collect {
	const struct trace_ns *ns;
	size_t n_ns;
	struct raw_event *v;
	size_t n, cap;
	bool oom;
};

static int collect_cb(const struct nftrace_event *ev, void *arg)
{
	struct collect *c = arg;
	int where = -1;

	for (size_t i = 0; i < c->n_ns && where < 0; i++)
		if (c->ns[i].nsid == ev->nsid)
			where = (int)i;
	if (where < 0)
		return 0; /* another namespace's trace */
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct raw_event *nv = realloc(c->v, nc * sizeof(*nv));

		if (!nv) {
			c->oom = true;
			return 1;
		}
		c->v = nv;
		c->cap = nc;
	}
	c->v[c->n].ev = *ev;
	c->v[c->n].where = where;
	c->n++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* making sense of the events                                         */

static bool own_table(const char *table)
{
	char mine[64];

	table_name(mine, sizeof(mine));
	return !strcmp(table, mine);
}

/* The order in which the tracer's chains see one packet in one namespace:
 * netdev ingress, bridge prerouting, inet prerouting or output, bridge
 * output (a frame the node's IP stack sends through its bridge).  A
 * chain of a rank not above the last one seen starts another packet. */
static int entry_rank(const struct nftrace_event *ev)
{
	if (ev->family == NFPROTO_NETDEV)
		return 0;
	if (ev->family == NFPROTO_BRIDGE)
		return strcmp(ev->chain, "output") ? 1 : 3;
	return 2;
}

static void decode_headers(struct trace_packet *p, const struct nftrace_event *ev)
{
	const uint8_t *nh = ev->nh, *th = ev->th;
	int version = ev->nh_len ? nh[0] >> 4 : 0;

	if (version == 4 && ev->nh_len >= 20) {
		p->src.family = p->dst.family = AF_INET;
		memcpy(&p->src.v4, nh + 12, 4);
		memcpy(&p->dst.v4, nh + 16, 4);
		p->l4 = nh[9];
	} else if (version == 6 && ev->nh_len >= 40) {
		p->src.family = p->dst.family = AF_INET6;
		memcpy(&p->src.v6, nh + 8, 16);
		memcpy(&p->dst.v6, nh + 24, 16);
		p->l4 = nh[6];
	} else {
		return;
	}
	if ((p->l4 == IPPROTO_TCP || p->l4 == IPPROTO_UDP) && ev->th_len >= 4) {
		p->sport = (uint16_t)(th[0] << 8 | th[1]);
		p->dport = (uint16_t)(th[2] << 8 | th[3]);
		if (p->l4 == IPPROTO_TCP && ev->th_len >= 14)
			p->tcp_flags = th[13];
	} else if ((p->l4 == IPPROTO_ICMP || p->l4 == IPPROTO_ICMPV6) && ev->th_len >= 2) {
		p->icmp_type = th[0];
		p->icmp_code = th[1];
		p->icmp_error = p->l4 == IPPROTO_ICMP ? (th[0] == 3 || th[0] == 11 || th[0] == 12)
						      : th[0] < 128;
	}
}

static const char *ifname_of(const struct trace_ns *ns, uint32_t ifindex)
{
	for (size_t i = 0; ifindex && i < ns->n_links; i++)
		if ((uint32_t)ns->links[i].ifindex == ifindex)
			return ns->links[i].name;
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static bool same_headers(const struct trace_packet *a, const struct trace_packet *b)
{
	return a->l4 == b->l4 && pn_ip_eq(&a->src, &b->src) && pn_ip_eq(&a->dst, &b->dst) &&
	       a->sport == b->sport && a->dport == b->dport && a->tcp_flags == b->tcp_flags &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code;
}

/*
 * Group the raw events into packets (one skb's way through one namespace),
 * keep the events of other tables than the tracer's, name their rules and
 * hooks.  The kernel's trace id cannot be the key alone: it hashes the
 * skb's address and input interface, so it changes when a bridged frame
 * goes up the bridge device, and a retransmission may reuse an address.
 * So a packet starts where the tracer's own chain first marks it (its
 * first hook in the namespace) and goes on through the tracer's later
 * hooks while the headers stay the same; other tables' events join the
 * packet of their namespace with their id, else the namespace's latest.
 */
static int build(struct trace_result *res, struct collect *c, const struct trace_ns *ns,
		 struct pn_err *err)
{
	size_t np = 0, cap = 0;
	int *last_rank = NULL;
	long cur[PN_ARRAY_SIZE(res->where)];
	struct trace_packet *pk = NULL;

	for (size_t w = 0; w < PN_ARRAY_SIZE(cur); w++)
		cur[w] = -1;
	for (size_t i = 0; i < c->n; i++) {
		struct raw_event *r = &c->v[i];
		const struct nftrace_event *ev = &r->ev;
		bool own = own_table(ev->table);
		struct trace_packet hdr;
		long p = -1;

		memset(&hdr, 0, sizeof(hdr));
		if (ev->nh_len)
			decode_headers(&hdr, ev);
		if (own && ev->nh_len) {
			long k = cur[r->where];

			/* The same skb at a later hook; or at inet prerouting
			 * again right after: a bridged frame meets it once
			 * from the bridge's own hook when br_netfilter is
			 * loaded (bridge-nf-call-iptables) and once more when
			 * the bridge hands it up, and a looped-back one
			 * after output.  A packet seen at the same hook after
			 * another namespace's packets is another packet (a
			 * retransmission makes its way round first). */
			if (k >= 0 && same_headers(&pk[k], &hdr) && !pk[k].dropped &&
			    (entry_rank(ev) > last_rank[k] ||
			     ((size_t)k + 1 == np && ev->family != NFPROTO_NETDEV &&
			      ev->family != NFPROTO_BRIDGE && !strcmp(ev->chain, "prerouting"))))
				p = k;
		} else {
			for (size_t k = np; k-- > 0 && p < 0;)
				if (pk[k].where == r->where && pk[k].id == ev->id)
					p = (long)k;
			if (p < 0)
				p = cur[r->where];
		}
		if (p < 0) {
			if (np == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct trace_packet *nv = realloc(pk, nc * sizeof(*nv));
				int *nr;

				if (!nv)
					goto oom;
				pk = nv;
				nr = realloc(last_rank, nc * sizeof(*nr));
				if (!nr)
					goto oom;
				last_rank = nr;
				cap = nc;
			}
			p = (long)np++;
			pk[p] = hdr;
			pk[p].where = r->where;
			pk[p].id = ev->id;
			last_rank[p] = -1;
			cur[r->where] = p;
			if (ev->nh_len) {
				const char *in = ifname_of(&ns[r->where], ev->iif);
				const char *out = ifname_of(&ns[r->where], ev->oif);

				snprintf(pk[p].iif, sizeof(pk[p].iif), "%s", in ? in : "");
				snprintf(pk[p].oif, sizeof(pk[p].oif), "%s", out ? out : "");
			}
			if (own)
				snprintf(pk[p].hook, sizeof(pk[p].hook), "%.15s",
					 ev->family == NFPROTO_NETDEV ? "ingress" : ev->chain);
		}
		r->packet = (size_t)p;
		if (own && ev->nh_len)
			last_rank[p] = entry_rank(ev);
		/* A drop ends the packet: what comes next is another one. */
		if (!own && ev->has_verdict && nftrace_verdict_drops(ev->verdict))
			pk[p].dropped = true;
	}

	/* The events, packet by packet, in the order each packet saw them. */
	res->events = calloc(c->n ? c->n : 1, sizeof(*res->events));
	if (!res->events)
		goto oom;
	for (size_t p = 0; p < np; p++) {
		const char *base_hook = NULL;

		pk[p].dropped = false; /* set again below, with the event */
		pk[p].first = res->n_events;
		for (size_t i = 0; i < c->n; i++) {
			const struct raw_event *r = &c->v[i];
			const struct nftrace_event *ev = &r->ev;
			const struct trace_ns *n = &ns[r->where];
			const struct nftx_chain *ch;
			const struct nftx_rule *rule;
			struct trace_event *e;

			if (r->packet != p)
				continue;
			if (own_table(ev->table)) {
				base_hook = ev->family == NFPROTO_NETDEV ? "ingress" : ev->chain;
				continue;
			}
			ch = nftx_ruleset_chain(n->rs, ev->family, ev->table, ev->chain);
			if (ch && ch->hook)
				base_hook = ch->hook;
			/* The end of a chain no rule of which gave a verdict is
			 * reported as a "rule" without a handle (nft_trace_verdict
			 * with the chain's end marker); its policy or return
			 * event follows and says it all. */
			if (ev->type == NFTRACE_RULE && !ev->handle)
				continue;
			e = &res->events[res->n_events++];
			e->where = r->where;
			e->id = ev->id;
			e->family = ev->family;
			e->type = ev->type;
			e->handle = ev->handle;
			e->has_verdict = ev->has_verdict;
			e->verdict = ev->verdict;
			e->table = strdup(ev->table);
			e->chain = strdup(ev->chain);
			e->hook = dup_or_null(base_hook);
			e->chain_comment = ch ? dup_or_null(ch->comment) : NULL;
			e->target = dup_or_null(ev->target);
			rule = ev->type == NFTRACE_RULE
				       ? nftx_ruleset_rule(n->rs, ev->family, ev->table, ev->chain, ev->handle)
				       : NULL;
			e->rule = rule ? strdup(rule->text) : NULL;
			if (!e->table || !e->chain || (base_hook && !e->hook) || (ev->target[0] && !e->target) ||
			    (rule && !e->rule) || (ch && ch->comment && ch->comment[0] && !e->chain_comment))
				goto oom;
			if (e->has_verdict && nftrace_verdict_drops(e->verdict) && !pk[p].dropped) {
				pk[p].dropped = true;
				pk[p].drop = res->n_events - 1;
				if (!res->dropped) {
					res->dropped = true;
					res->drop_packet = p;
				}
			}
		}
		pk[p].n = res->n_events - pk[p].first;
	}
	res->packets = pk;
	res->n_packets = np;
	free(last_rank);
	return 0;
oom:
	free(pk);
	free(last_rank);
	return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory collecting the trace");
}

/* ------------------------------------------------------------------ */

static bool same_netns(int a, int b)
{
	struct stat sa, sb;

	return a >= 0 && b >= 0 && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static uint16_t random_u16(void)
{
	uint16_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint16_t)(getpid() ^ (pid_t)pn_now_ns());
	return v;
}

int trace_run(const struct trace_req *req, struct trace_result *res, struct pn_err *err)
{
	struct trace_ns ns[3];
	size_t n_ns = 0;
	struct nl_sock ls = NL_SOCK_INIT;
	struct collect col = { 0 };
	struct pn_err scratch = { 0 };
	char rules[2048];
	int ret = 0;

	memset(res, 0, sizeof(*res));
	memset(ns, 0, sizeof(ns));
	if (req->kind == PROBE_HTTP)
		return pn_error(err, PN_E_BAD_REQUEST, EINVAL, "trace probes TCP, UDP or ICMP");

	/* The namespaces on the path: the node's always (every pod's traffic
	 * crosses its bridge), the sender's and the receiver's when pods. */
	ns[n_ns] = (struct trace_ns){ .fd = -1, .nsid = NL_NSID_SELF, .bridge = true };
	snprintf(res->where[n_ns++], sizeof(res->where[0]), "node");
	if (req->from.host_if[0])
		ns[0].devs[ns[0].n_devs++] = req->from.host_if;
	if (req->to.host_if[0] && strcmp(req->to.host_if, req->from.host_if))
		ns[0].devs[ns[0].n_devs++] = req->to.host_if;
	if (req->from.nsfd >= 0) {
		ns[n_ns] = (struct trace_ns){ .fd = req->from.nsfd };
		if (req->from.ifname[0])
			ns[n_ns].devs[ns[n_ns].n_devs++] = req->from.ifname;
		snprintf(res->where[n_ns++], sizeof(res->where[0]), "%s", req->from.name);
	}
	if (req->to.nsfd >= 0 && !same_netns(req->to.nsfd, req->from.nsfd)) {
		ns[n_ns] = (struct trace_ns){ .fd = req->to.nsfd };
		if (req->to.ifname[0])
			ns[n_ns].devs[ns[n_ns].n_devs++] = req->to.ifname;
		snprintf(res->where[n_ns++], sizeof(res->where[0]), "%s", req->to.name);
	}
	res->n_where = n_ns;
	for (size_t i = 1; i < n_ns; i++) {
		/* Events of a pod's namespace reach the node's socket only when
		 * the node's namespace has an id for it. */
		ret = netns_peer_id(ns[i].fd, true, &ns[i].nsid, err);
		if (ret < 0)
			goto out;
		if (ns[i].nsid < 0) {
			ret = pn_error(err, PN_E_KERNEL, ENOENT, "the node has no id for %s's network namespace",
				       res->where[i]);
			goto out;
		}
	}
	ret = nftrace_listen(&ls, err);
	if (ret < 0)
		goto out;

	for (int attempt = 0;; attempt++) {
		struct probe_req q = { .kind = req->kind, .dst = req->dst, .port = req->port,
				       .timeout_ms = req->timeout_ms };

		if (req->kind == PROBE_ICMP) {
			res->icmp_id = random_u16();
			if (!res->icmp_id)
				res->icmp_id = 1;
			q.icmp_id = res->icmp_id;
		} else {
			res->src_port = TRACE_PORT_MIN + random_u16() % TRACE_PORT_SPAN;
			q.src_port = res->src_port;
		}
		mark_rules(rules, sizeof(rules), req, res->src_port, res->icmp_id);
		for (size_t i = 0; i < n_ns; i++) {
			ret = tables_install(&ns[i], rules, err);
			if (ret < 0 && ns[i].bridge) {
				/* A kernel without nf_tables' bridge family: trace
				 * the inet hooks only. */
				ns[i].bridge = false;
				pn_err_free(err);
				ret = tables_install(&ns[i], rules, err);
			}
			if (ret < 0) {
				pn_err_prefix(err, "in %s's network namespace", res->where[i]);
				goto out;
			}
		}
		ret = probe_run(req->from.nsfd, &q, &res->probe, err);
		if (ret == -EADDRINUSE && attempt + 1 < TRACE_TRIES) {
			/* The port was taken after all: forget this attempt. */
			for (size_t i = 0; i < n_ns; i++)
				(void)tables_remove(&ns[i], &scratch);
			col.n = 0;
			/* Drain what the failed attempt queued (nothing, mostly). */
			if (nftrace_read(&ls, 0, collect_cb, &col, &res->lost, &scratch) < 0)
				pn_err_free(&scratch);
			col.n = 0;
			pn_err_free(&scratch);
			pn_err_free(err);
			continue;
		}
		if (ret < 0)
			goto out;
		break;
	}
	col.ns = ns;
	col.n_ns = n_ns;
	ret = nftrace_read(&ls, TRACE_IDLE_MS, collect_cb, &col, &res->lost, err);
	if (ret < 0)
		goto out;
	if (col.oom) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory collecting the trace");
		goto out;
	}
	for (size_t i = 0; i < n_ns; i++) {
		ret = tables_remove(&ns[i], err);
		if (ret < 0)
			goto out;
	}
	/* The rules' text and the interfaces' names, read after the probe:
	 * the ruleset the packets met, unless it changed meanwhile. */
	for (size_t i = 0; i < n_ns; i++) {
		struct nl_sock s = NL_SOCK_INIT;

		ret = nftx_ruleset_read(ns[i].fd, &ns[i].rs, err);
		if (ret < 0) {
			pn_err_prefix(err, "in %s's network namespace", res->where[i]);
			goto out;
		}
		tables_remove_stale(&ns[i]);
		if ((ns[i].fd < 0 ? nl_open(&s, NETLINK_ROUTE, &scratch)
				  : nl_open_in_netns(&s, NETLINK_ROUTE, ns[i].fd, &scratch)) == 0 &&
		    link_list(&s, &ns[i].links, &ns[i].n_links, &scratch) < 0) {
			ns[i].links = NULL;
			ns[i].n_links = 0;
		}
		nl_close(&s);
		pn_err_free(&scratch);
	}
	ret = build(res, &col, ns, err);
out:
	for (size_t i = 0; i < n_ns; i++) {
		/* On every path: a tracer's table left behind would mark
		 * traffic until someone deletes it. */
		(void)tables_remove(&ns[i], &scratch);
		pn_err_free(&scratch);
		nftx_ruleset_free(ns[i].rs);
		free(ns[i].links);
	}
	free(col.v);
	nl_close(&ls);
	if (ret < 0)
		trace_result_free(res);
	return ret;
}

void trace_result_free(struct trace_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_events; i++) {
		struct trace_event *e = &res->events[i];

		free(e->table);
		free(e->chain);
		free(e->hook);
		free(e->chain_comment);
		free(e->target);
		free(e->rule);
	}
	free(res->events);
	free(res->packets);
	res->events = NULL;
	res->packets = NULL;
	res->n_events = res->n_packets = 0;
}
