/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnet probe FROM TARGET[:PORT]: one TCP/HTTP/UDP/ICMP probe from inside
 * a pod's network namespace (or the node's), one line of result, exit 0 if
 * the target was reached.  Nothing runs in the pod's image.
 *
 * podnet trace FROM TO:PORT[/PROTO]: the same probe with nftables tracing
 * on, and every table, chain and rule its packets crossed, with verdicts.
 */
#include <netinet/in.h> /* before <linux/netfilter.h>: glibc's definitions win */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "cmd.h"
#include "doctor.h"
#include "podrt.h"
#include "probe.h"
#include "trace.h"

/* "2s", "500ms", "1.5s", "3" (seconds); -1 if malformed. */
static int parse_duration_ms(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -1;
	if (!strcmp(end, "ms"))
		;
	else if (!*end || !strcmp(end, "s"))
		v *= 1000;
	else if (!strcmp(end, "m"))
		v *= 60000;
	else
		return -1;
	return v > 0 && v < 3600000 ? (int)(v + 0.5) : -1;
}

/* 142µs, 1.2ms, 2.0s: the unit that keeps the number short. */
static const char *fmt_us(uint64_t us, char *buf, size_t n)
{
	if (us < 1000)
		snprintf(buf, n, "%lluµs", (unsigned long long)us);
	else if (us < 1000000)
		snprintf(buf, n, "%.1fms", (double)us / 1e3);
	else
		snprintf(buf, n, "%.1fs", (double)us / 1e6);
	return buf;
}

static const char *fmt_ms(int ms, char *buf, size_t n)
{
	if (ms % 1000 == 0)
		snprintf(buf, n, "%ds", ms / 1000);
	else
		snprintf(buf, n, "%dms", ms);
	return buf;
}

/* ------------------------------------------------------------------ */
/* arguments shared by probe and trace                                */

struct probe_args {
	struct probe_req q;
	bool kind_set;
	int timeout_ms;
	const char *ns, *output;
	const char *pos[2];
	char host[256];
};

/* "TO:PORT/udp": the protocol suffix, when the part after the last '/'
 * names one (a '/' before it is NAMESPACE/POD). */
static int strip_proto(char *target, struct probe_args *a)
{
	char *slash = strrchr(target, '/');
	static const struct {
		const char *name;
		enum probe_kind kind;
	} protos[] = { { "tcp", PROBE_TCP }, { "udp", PROBE_UDP }, { "icmp", PROBE_ICMP } };

	if (!slash)
		return 0;
	for (size_t i = 0; i < PN_ARRAY_SIZE(protos); i++)
		if (!strcasecmp(slash + 1, protos[i].name)) {
			if (a->kind_set && a->q.kind != protos[i].kind) {
				cmd_errorf("%s: the protocol /%s contradicts --%s", target, slash + 1,
					   probe_kind_str(a->q.kind));
				return -1;
			}
			a->q.kind = protos[i].kind;
			a->kind_set = true;
			*slash = '\0';
			return 0;
		}
	if (!strcasecmp(slash + 1, "sctp")) {
		cmd_errorf("%s: SCTP probes are not supported (tcp, udp or icmp)", target);
		return -1;
	}
	return 0;
}

/* Returns 0, or -1 after printing the error; @trace allows /PROTO and
 * rejects --http. */
static int parse_args(const struct cmd *self, int argc, char **argv, struct probe_args *a,
		      bool trace)
{
	bool tcp = false, http = false, udp = false, icmp = false;
	const char *timeout = NULL;
	struct flag probe_flags[] = {
		FLAG_DEF("tcp", 0, FLAG_BOOL, &tcp),
		FLAG_DEF("http", 0, FLAG_BOOL, &http),
		FLAG_DEF("udp", 0, FLAG_BOOL, &udp),
		FLAG_DEF("icmp", 0, FLAG_BOOL, &icmp),
		FLAG_DEF("timeout", 0, FLAG_STRING, &timeout),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &a->ns),
		FLAG_END,
	};
	/* trace: no --http (the tracer follows packets, not a request), -o json. */
	struct flag trace_flags[] = {
		FLAG_DEF("tcp", 0, FLAG_BOOL, &tcp),
		FLAG_DEF("udp", 0, FLAG_BOOL, &udp),
		FLAG_DEF("icmp", 0, FLAG_BOOL, &icmp),
		FLAG_DEF("timeout", 0, FLAG_STRING, &timeout),
		FLAG_DEF("namespace", 'n', FLAG_STRING, &a->ns),
		FLAG_DEF("output", 'o', FLAG_STRING, &a->output),
		FLAG_END,
	};
	struct flag_args fa = { 0 };
	struct pn_err err = { 0 };
	char target[512], set[32] = "";
	size_t nkinds = 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->q.kind = PROBE_TCP;
	a->timeout_ms = 2000;
	if (cmd_flags(trace ? trace_flags : probe_flags, argc, argv, &fa) < 0)
		return -1;
	if (fa.n == 2) {
		a->pos[0] = fa.v[0];
		a->pos[1] = fa.v[1];
	}
	rc = cmd_no_args(self->name, &fa, 2);
	flag_args_free(&fa);   /* pos[] are argv's */
	if (rc < 0)
		return -1;
	if (!a->pos[1]) {
		cmd_usage(stderr, self);
		return -1;
	}
	{
		/* Sorted, as cobra names them. */
		static const char *const names[] = { "http", "icmp", "tcp", "udp" };
		static const enum probe_kind kinds[] = { PROBE_HTTP, PROBE_ICMP, PROBE_TCP, PROBE_UDP };
		const bool given[] = { http, icmp, tcp, udp };

		for (size_t i = 0; i < PN_ARRAY_SIZE(names); i++)
			if (given[i]) {
				snprintf(set + strlen(set), sizeof(set) - strlen(set), "%s%s",
					 nkinds++ ? " " : "", names[i]);
				a->q.kind = kinds[i];
				a->kind_set = true;
			}
	}
	if (nkinds > 1) {
		/* cobra's MarkFlagsMutuallyExclusive words. */
		cmd_errorf("if any flags in the group [%s] are set none of the others can be; [%s] were all set",
			   trace ? "icmp tcp udp" : "http icmp tcp udp", set);
		return -1;
	}
	if (timeout && (a->timeout_ms = parse_duration_ms(timeout)) < 0) {
		cmd_errorf("invalid --timeout \"%s\": use e.g. 2s or 500ms", timeout);
		return -1;
	}
	if (a->output && strcmp(a->output, "json")) {
		cmd_errorf("unknown output format \"%s\" (json)", a->output);
		return -1;
	}
	a->q.timeout_ms = a->timeout_ms;
	snprintf(target, sizeof(target), "%s", a->pos[1]);
	if (trace && strip_proto(target, a) < 0)
		return -1;
	if (doctor_split_target(target, a->host, sizeof(a->host), &a->q.port, &err) < 0) {
		cmd_error(&err);
		pn_err_free(&err);
		return -1;
	}
	if (!a->kind_set && !a->q.port)
		a->q.kind = PROBE_ICMP;
	if (a->q.kind == PROBE_HTTP && !a->q.port)
		a->q.port = 80;
	if ((a->q.kind == PROBE_TCP || a->q.kind == PROBE_UDP) && !a->q.port) {
		cmd_errorf("%s probe needs a port: %s:PORT", probe_kind_str(a->q.kind), a->pos[1]);
		return -1;
	}
	return 0;
}

/* The two ends, resolved against the runtime's state. */
struct ends {
	struct store_pod *from, *to;  /* NULL: the node / not a pod of this node */
	int from_fd;                  /* FROM's netns; -1: the node's */
	char from_name[300];          /* as the user will read it */
	bool to_self;                 /* TO is FROM itself (localhost) */
};

static void ends_free(struct ends *e)
{
	if (e->from_fd >= 0)
		close(e->from_fd);
	store_pod_free(e->from);
	store_pod_free(e->to);
	e->from_fd = -1;
	e->from = e->to = NULL;
}

static void with_ns(char *out, size_t n, const char *ns, const char *name)
{
	snprintf(out, n, "%s%s%s", ns && !strchr(name, '/') ? ns : "",
		 ns && !strchr(name, '/') ? "/" : "", name);
}

/* Is @ip one of the node's own addresses? */
static bool node_has_addr(const struct pn_ip *ip)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct pn_err e = { 0 };
	struct pn_cidr *v = NULL;
	size_t n = 0;
	bool found = false;

	if (nl_open(&s, NETLINK_ROUTE, &e) == 0 && addr_list(&s, 0, ip->family, &v, &n, &e) == 0)
		for (size_t i = 0; i < n && !found; i++)
			found = pn_ip_eq(&v[i].ip, ip);
	free(v);
	nl_close(&s);
	pn_err_free(&e);
	return found;
}

/*
 * FROM: "node", a pod (NAME, NAMESPACE/NAME), or an address (the pod that
 * has it, or the node when it is one of the node's).  TO: a pod, an IP,
 * or localhost (127.0.0.1, ::1 and "localhost" are FROM itself: every
 * container of a pod shares its loopback).  Fills a->q.dst.  0, or -1
 * after printing the error.
 */
static int resolve(struct podrt *rt, struct probe_args *a, struct ends *e)
{
	struct pn_err err = { 0 };
	struct pn_ip ip;
	char ref[600];
	int ret = -1;

	memset(e, 0, sizeof(*e));
	e->from_fd = -1;
	if (!strcmp(a->pos[0], "node")) {
		snprintf(e->from_name, sizeof(e->from_name), "node");
	} else if (pn_ip_parse(a->pos[0], &ip) == 0) {
		if (doctor_pod_find_by_ip(rt->st, &ip, &e->from, &err) < 0) {
			if (!node_has_addr(&ip)) {
				cmd_errorf("%s is neither a pod's IP nor one of the node's addresses",
					   a->pos[0]);
				goto out;
			}
			snprintf(e->from_name, sizeof(e->from_name), "node");
		}
	} else {
		with_ns(ref, sizeof(ref), a->ns, a->pos[0]);
		if (doctor_pod_find(rt->st, ref, &e->from, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
	}
	if (e->from) {
		snprintf(e->from_name, sizeof(e->from_name), "%s",
			 strcmp(a->pos[0], e->from->name) && !strchr(a->pos[0], '/') && !a->ns
				 ? e->from->name : a->pos[0]);
	}
	if (e->from && !e->from->netns_path) {
		/* A hostNetwork pod's network is the node's. */
		store_pod_free(e->from);
		e->from = NULL;
	} else if (e->from) {
		e->from_fd = doctor_pod_netns_open(e->from, &err);
		if (e->from_fd < 0) {
			cmd_error(&err);
			goto out;
		}
	}

	if (!strcmp(a->host, "localhost")) {
		/* localhost resolves to 127.0.0.1 first (/etc/hosts), as curl
		 * inside the pod would try. */
		if (pn_ip_parse("127.0.0.1", &a->q.dst) < 0)
			goto out;
		e->to_self = true;
	} else if (pn_ip_parse(a->host, &a->q.dst) == 0) {
		struct pn_ip lo4, lo6;

		if (pn_ip_parse("127.0.0.1", &lo4) == 0 && pn_ip_parse("::1", &lo6) == 0)
			e->to_self = pn_ip_eq(&a->q.dst, &lo4) || pn_ip_eq(&a->q.dst, &lo6);
		if (!e->to_self && doctor_pod_find_by_ip(rt->st, &a->q.dst, &e->to, &err) < 0) {
			e->to = NULL; /* an address outside podnet's pods */
			pn_err_free(&err);
		}
	} else {
		with_ns(ref, sizeof(ref), a->ns, a->host);
		if (doctor_pod_find(rt->st, ref, &e->to, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
		if (doctor_pod_ip(e->to, AF_UNSPEC, &a->q.dst) < 0) {
			cmd_errorf("pod %s has no IP", a->host);
			goto out;
		}
	}
	ret = 0;
out:
	pn_err_free(&err);
	return ret;
}

/* "tcp 10.244.0.3:80 from pod1: connected in 142µs" and the like. */
static void print_result(const struct probe_args *a, const char *from,
			 const struct probe_result *r)
{
	const struct probe_req *q = &a->q;
	char where[300], ip[PN_IP_STRLEN], t1[32], t2[32];

	pn_ip_str(&q->dst, ip);
	if (q->kind == PROBE_ICMP)
		snprintf(where, sizeof(where), "%s", ip);
	else
		snprintf(where, sizeof(where), "%s%s%s:%d", q->dst.family == AF_INET6 ? "[" : "", ip,
			 q->dst.family == AF_INET6 ? "]" : "", q->port);
	printf("%s %s from %s: ", probe_kind_str(q->kind), where, from);
	switch (r->outcome) {
	case PROBE_OK:
		if (q->kind == PROBE_TCP)
			printf("connected in %s\n", fmt_us(r->elapsed_us, t1, sizeof(t1)));
		else if (q->kind == PROBE_HTTP)
			printf("%s, %zu bytes in %s (connected in %s)\n", r->status_line, r->bytes,
			       fmt_us(r->total_us, t1, sizeof(t1)), fmt_us(r->elapsed_us, t2, sizeof(t2)));
		else if (q->kind == PROBE_UDP)
			printf("answered with %zu bytes in %s\n", r->bytes, fmt_us(r->elapsed_us, t1, sizeof(t1)));
		else
			printf("echo reply in %s (%s socket)\n", fmt_us(r->elapsed_us, t1, sizeof(t1)),
			       r->icmp_socket);
		break;
	case PROBE_NO_ANSWER:
		printf("no answer (open|filtered) after %s\n", fmt_ms(a->timeout_ms, t1, sizeof(t1)));
		break;
	case PROBE_TIMEOUT:
		printf("timed out after %s%s%s\n", fmt_ms(a->timeout_ms, t1, sizeof(t1)),
		       r->detail[0] ? ": " : "", r->detail);
		break;
	case PROBE_HTTP_ERROR:
		if (r->status_line[0])
			printf("%s, %zu bytes in %s\n", r->status_line, r->bytes,
			       fmt_us(r->total_us, t1, sizeof(t1)));
		else
			printf("%s\n", r->detail);
		break;
	default:
		printf("%s", probe_outcome_str(r->outcome));
		if (r->from[0] && !strstr(r->detail, r->from))
			printf(" (ICMP from %s)", r->from);
		if (r->detail[0])
			printf(": %s", r->detail);
		printf("\n");
		break;
	}
}

/*
 * probe and trace begin alike: --help, the arguments, the runtime, the two
 * ends.  1 when help was printed, 0 when @rt is open and @e resolved (end
 * with probe_end), -1 after printing the error (nothing left open).
 */
static int probe_start(const char *name, int argc, char **argv, bool trace, struct probe_args *a,
		       struct podrt *rt, struct ends *e)
{
	const struct cmd *self = cmd_find(name);

	if (cmd_wants_help(self, argc, argv))
		return 1;
	if (parse_args(self, argc, argv, a, trace) < 0 || cmd_runtime_open(rt, NULL) < 0)
		return -1;
	if (resolve(rt, a, e) < 0) {
		ends_free(e);
		podrt_close(rt);
		return -1;
	}
	return 0;
}

static void probe_end(struct podrt *rt, struct ends *e)
{
	ends_free(e);
	podrt_close(rt);
}

int cmd_probe(int argc, char **argv)
{
	struct podrt rt;
	struct pn_err err = { 0 };
	struct probe_args a;
	struct probe_result r;
	struct ends e;
	int ret = probe_start("probe", argc, argv, false, &a, &rt, &e);

	if (ret != 0)
		return ret > 0 ? 0 : 1;
	ret = 1;
	if (probe_run(e.from_fd, &a.q, &r, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	print_result(&a, a.pos[0], &r);
	fflush(stdout);
	ret = probe_outcome_ok(r.outcome) ? 0 : 1;
out:
	probe_end(&rt, &e);
	pn_err_free(&err);
	return ret;
}

/* ------------------------------------------------------------------ */
/* trace                                                              */

static const char *type_str(enum nftrace_type t)
{
	return t == NFTRACE_POLICY ? "policy" : t == NFTRACE_RETURN ? "return" : "rule";
}

/* "tcp 10.244.0.2:24051 > 10.244.0.3:80 SYN" */
static void packet_str(const struct trace_packet *p, char *out, size_t n)
{
	char s[PN_IP_STRLEN], d[PN_IP_STRLEN], fl[48];
	bool v6 = p->src.family == AF_INET6;

	if (!p->src.family) {
		snprintf(out, n, "(headers not reported)");
		return;
	}
	pn_ip_str(&p->src, s);
	pn_ip_str(&p->dst, d);
	if (p->l4 == IPPROTO_TCP || p->l4 == IPPROTO_UDP) {
		trace_tcp_flags_str(p->tcp_flags, fl, sizeof(fl));
		snprintf(out, n, "%s %s%s%s:%u > %s%s%s:%u%s%s", p->l4 == IPPROTO_TCP ? "tcp" : "udp",
			 v6 ? "[" : "", s, v6 ? "]" : "", p->sport, v6 ? "[" : "", d, v6 ? "]" : "",
			 p->dport, p->l4 == IPPROTO_TCP ? " " : "", p->l4 == IPPROTO_TCP ? fl : "");
	} else if (p->l4 == IPPROTO_ICMP || p->l4 == IPPROTO_ICMPV6) {
		const char *what = p->l4 == IPPROTO_ICMP
			? (p->icmp_type == 8 ? "echo-request" : p->icmp_type == 0 ? "echo-reply"
			   : p->icmp_type == 3 ? "destination-unreachable" : p->icmp_type == 11 ? "time-exceeded" : NULL)
			: (p->icmp_type == 128 ? "echo-request" : p->icmp_type == 129 ? "echo-reply"
			   : p->icmp_type == 1 ? "destination-unreachable" : p->icmp_type == 3 ? "time-exceeded" : NULL);

		if (what)
			snprintf(out, n, "%s %s > %s %s%s", p->l4 == IPPROTO_ICMP ? "icmp" : "icmpv6", s, d,
				 what, p->icmp_error ? " (about the probe)" : "");
		else
			snprintf(out, n, "%s %s > %s type %u code %u", p->l4 == IPPROTO_ICMP ? "icmp" : "icmpv6",
				 s, d, p->icmp_type, p->icmp_code);
	} else {
		snprintf(out, n, "proto %d %s > %s", p->l4, s, d);
	}
}

/* What a drop in podnet's own tables means.  The NetworkPolicy table's
 * isolation chains carry the names of the policies that isolate the pod
 * in their comment (docs/networkpolicy.md). */
static void podnet_meaning(const struct trace_event *e, const struct trace_packet *p, char *out,
			   size_t n)
{
	char ip[PN_IP_STRLEN] = "the pod";
	bool ingress = !strncmp(e->chain, "ingress-", 8), egress = !strncmp(e->chain, "egress-", 7);

	out[0] = '\0';
	if (e->family != NFPROTO_INET || strcmp(e->table, "podnet"))
		return;
	if ((ingress || egress) && p->src.family)
		pn_ip_str(ingress ? &p->dst : &p->src, ip);
	if (ingress || egress)
		snprintf(out, n, "NetworkPolicy: %s of %s is isolated%s%s, and no rule %s allows this",
			 ingress ? "ingress" : "egress", ip, e->chain_comment ? " by " : "",
			 e->chain_comment ? e->chain_comment : "",
			 e->chain_comment ? "of theirs" : "of a policy selecting it");
	else
		snprintf(out, n, "podnet's NetworkPolicy table");
}

static void event_line(const struct trace_result *res, const struct trace_event *e)
{
	printf("    %-11s %s %s %s  ", e->hook ? e->hook : "-", nftrace_family_str(e->family), e->table,
	       e->chain);
	if (e->type == NFTRACE_RULE) {
		printf("rule %llu: %s", (unsigned long long)e->handle, e->rule ? e->rule : "(rule gone since)");
		if (e->has_verdict) {
			printf("  => %s", nftrace_verdict_str(e->verdict));
			if (e->target)
				printf(" %s", e->target);
		}
	} else if (e->type == NFTRACE_POLICY) {
		printf("policy %s", e->has_verdict ? nftrace_verdict_str(e->verdict) : "?");
	} else {
		printf("return");
	}
	printf("\n");
	(void)res;
}

/* Two passages that a reader would call the same (a retransmission). */
static bool same_passage(const struct trace_result *r, const struct trace_packet *a,
			 const struct trace_packet *b)
{
	if (a->where != b->where || a->l4 != b->l4 || !pn_ip_eq(&a->src, &b->src) ||
	    !pn_ip_eq(&a->dst, &b->dst) || a->sport != b->sport || a->dport != b->dport ||
	    a->tcp_flags != b->tcp_flags || a->icmp_type != b->icmp_type || a->n != b->n ||
	    strcmp(a->hook, b->hook))
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct trace_event *x = &r->events[a->first + i], *y = &r->events[b->first + i];

		if (x->type != y->type || x->handle != y->handle || x->verdict != y->verdict ||
		    strcmp(x->table, y->table) || strcmp(x->chain, y->chain))
			return false;
	}
	return true;
}

static bool same_block(const struct trace_result *r, size_t a, size_t b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!same_passage(r, &r->packets[a + i], &r->packets[b + i]))
			return false;
	return true;
}

static void print_verdict(const struct trace_result *res)
{
	if (res->dropped) {
		const struct trace_packet *p = &res->packets[res->drop_packet];
		const struct trace_event *e = &res->events[p->drop];
		const char *where = res->where[p->where];
		char m[512];
		bool node = p->where == 0;

		printf("verdict: dropped %s%s%s", node ? "on the " : "in ", where, node ? "" : "'s namespace");
		if (e->hook)
			printf(" (%s)", e->hook);
		if (e->type == NFTRACE_RULE)
			printf(" by table %s %s, chain %s, rule handle %llu: %s\n",
			       nftrace_family_str(e->family), e->table, e->chain,
			       (unsigned long long)e->handle, e->rule ? e->rule : "(rule gone since)");
		else
			printf(" by the policy of chain %s in table %s %s\n", e->chain,
			       nftrace_family_str(e->family), e->table);
		podnet_meaning(e, p, m, sizeof(m));
		if (m[0])
			printf("  (%s)\n", m);
		return;
	}
	printf("verdict: no nftables rule or policy dropped the probe's packets");
	if (res->probe.outcome == PROBE_REFUSED)
		printf("; the target itself refused it%s%s%s", res->probe.from[0] ? " (ICMP from " : "",
		       res->probe.from, res->probe.from[0] ? ")" : "");
	else if (!probe_outcome_ok(res->probe.outcome))
		printf("; what lost them is outside netfilter (routes, neighbours, the bridge, the "
		       "listener): see podnet doctor");
	printf("\n");
}

static void print_trace(const struct probe_args *a, const char *from, const struct trace_result *res)
{
	char pkt[300];
	size_t rules = 0;

	print_result(a, from, &res->probe);
	for (size_t i = 0; i < res->n_events; i++)
		rules += res->events[i].type == NFTRACE_RULE;
	if (a->q.kind == PROBE_ICMP)
		printf("trace: echo id %u", res->icmp_id);
	else
		printf("trace: source port %d", res->src_port);
	printf(", %zu packet passage%s, %zu rule%s matched", res->n_packets,
	       res->n_packets == 1 ? "" : "s", rules, rules == 1 ? "" : "s");
	if (res->lost)
		printf(" (some events were lost: the receive queue overflowed %u time%s)", res->lost,
		       res->lost == 1 ? "" : "s");
	printf("\n\n");
	for (size_t i = 0; i < res->n_packets;) {
		size_t len = 1, reps = 0;

		/* A retransmitted packet makes the same rounds again: a block
		 * of passages (one per namespace) that repeats is shown once. */
		for (size_t k = 1; k <= PN_ARRAY_SIZE(res->where) && !reps; k++) {
			size_t r = 0;

			while (i + (r + 2) * k <= res->n_packets && same_block(res, i, i + (r + 1) * k, k))
				r++;
			if (r) {
				len = k;
				reps = r;
			}
		}
		for (size_t j = i; j < i + len; j++) {
			const struct trace_packet *p = &res->packets[j];

			packet_str(p, pkt, sizeof(pkt));
			printf("%s %s: %s", res->where[p->where], p->hook[0] ? p->hook : "?", pkt);
			if (p->iif[0] || p->oif[0])
				printf(" (%s%s%s%s%s)", p->iif[0] ? "iif " : "", p->iif,
				       p->iif[0] && p->oif[0] ? ", " : "", p->oif[0] ? "oif " : "", p->oif);
			printf("\n");
			for (size_t k = 0; k < p->n; k++)
				event_line(res, &res->events[p->first + k]);
			if (!p->n)
				printf("    no chain but the tracer's\n");
		}
		if (reps)
			printf("  (%s %zu more time%s, the same way: retransmission%s)\n",
			       len == 1 ? "this packet" : "these packets", reps, reps == 1 ? "" : "s",
			       reps == 1 ? "" : "s");
		i += len * (reps + 1);
	}
	if (res->n_packets)
		printf("\n");
	print_verdict(res);
}

static json_t *trace_json(const struct probe_args *a, const char *from, const struct trace_result *res)
{
	json_t *pkts = json_array(), *root;
	char ip[PN_IP_STRLEN], b[PN_IP_STRLEN], fl[48];

	for (size_t i = 0; i < res->n_packets; i++) {
		const struct trace_packet *p = &res->packets[i];
		json_t *evs = json_array(), *jp;

		for (size_t k = 0; k < p->n; k++) {
			const struct trace_event *e = &res->events[p->first + k];
			json_t *je = json_pack("{s:s, s:s, s:s, s:s}", "family", nftrace_family_str(e->family),
					       "table", e->table, "chain", e->chain, "type", type_str(e->type));

			if (e->hook)
				json_object_set_new(je, "hook", json_string(e->hook));
			if (e->chain_comment)
				json_object_set_new(je, "chainComment", json_string(e->chain_comment));
			if (e->type == NFTRACE_RULE) {
				json_object_set_new(je, "handle", json_integer((json_int_t)e->handle));
				json_object_set_new(je, "rule", e->rule ? json_string(e->rule) : json_null());
			}
			if (e->has_verdict)
				json_object_set_new(je, "verdict", json_string(nftrace_verdict_str(e->verdict)));
			if (e->target)
				json_object_set_new(je, "target", json_string(e->target));
			json_array_append_new(evs, je);
		}
		trace_tcp_flags_str(p->tcp_flags, fl, sizeof(fl));
		jp = json_pack("{s:s, s:s, s:o}", "namespace", res->where[p->where], "hook", p->hook,
			       "events", evs);
		if (p->iif[0])
			json_object_set_new(jp, "iif", json_string(p->iif));
		if (p->oif[0])
			json_object_set_new(jp, "oif", json_string(p->oif));
		if (p->src.family) {
			json_object_set_new(jp, "src", json_string(pn_ip_str(&p->src, ip)));
			json_object_set_new(jp, "dst", json_string(pn_ip_str(&p->dst, b)));
			json_object_set_new(jp, "protocol", json_integer(p->l4));
		}
		if (p->l4 == IPPROTO_TCP || p->l4 == IPPROTO_UDP) {
			json_object_set_new(jp, "sport", json_integer(p->sport));
			json_object_set_new(jp, "dport", json_integer(p->dport));
		}
		if (p->l4 == IPPROTO_TCP)
			json_object_set_new(jp, "tcpFlags", json_string(fl));
		if (p->l4 == IPPROTO_ICMP || p->l4 == IPPROTO_ICMPV6) {
			json_object_set_new(jp, "icmpType", json_integer(p->icmp_type));
			json_object_set_new(jp, "icmpCode", json_integer(p->icmp_code));
		}
		json_object_set_new(jp, "dropped", json_boolean(p->dropped));
		json_array_append_new(pkts, jp);
	}
	root = json_pack("{s:s, s:s, s:s, s:b, s:o}", "from", from, "to", pn_ip_str(&a->q.dst, ip),
			 "protocol", probe_kind_str(a->q.kind), "reached", probe_outcome_ok(res->probe.outcome),
			 "packets", pkts);
	json_object_set_new(root, "outcome", json_string(probe_outcome_str(res->probe.outcome)));
	if (a->q.kind == PROBE_ICMP)
		json_object_set_new(root, "icmpId", json_integer(res->icmp_id));
	else {
		json_object_set_new(root, "port", json_integer(a->q.port));
		json_object_set_new(root, "sourcePort", json_integer(res->src_port));
	}
	if (res->lost)
		json_object_set_new(root, "lostOverflows", json_integer(res->lost));
	if (res->dropped) {
		const struct trace_packet *p = &res->packets[res->drop_packet];
		const struct trace_event *e = &res->events[p->drop];

		json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "namespace", res->where[p->where],
				      "family", nftrace_family_str(e->family), "table", e->table,
				      "chain", e->chain, "type", type_str(e->type));

		if (e->hook)
			json_object_set_new(d, "hook", json_string(e->hook));
		if (e->type == NFTRACE_RULE) {
			json_object_set_new(d, "handle", json_integer((json_int_t)e->handle));
			json_object_set_new(d, "rule", e->rule ? json_string(e->rule) : json_null());
		}
		json_object_set_new(root, "drop", d);
	} else {
		json_object_set_new(root, "drop", json_null());
	}
	return root;
}

int cmd_trace(int argc, char **argv)
{
	struct podrt rt;
	struct pn_err err = { 0 };
	struct probe_args a;
	struct ends e;
	struct trace_req tq;
	struct trace_result res = { 0 };
	bool have_res = false;
	int ret = probe_start("trace", argc, argv, true, &a, &rt, &e);

	if (ret != 0)
		return ret > 0 ? 0 : 1;
	ret = 1;
	memset(&tq, 0, sizeof(tq));
	tq.from.nsfd = tq.to.nsfd = -1;
	tq.kind = a.q.kind;
	tq.dst = a.q.dst;
	tq.port = a.q.port;
	tq.timeout_ms = a.timeout_ms;
	if (e.from) {
		if (trace_end_pod(e.from, &tq.from, &err) < 0) {
			cmd_error(&err);
			goto out;
		}
		snprintf(tq.from.name, sizeof(tq.from.name), "%s", e.from_name);
	} else {
		trace_end_node(&tq.from);
	}
	if (e.to && e.to->netns_path && trace_end_pod(e.to, &tq.to, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	if (trace_run(&tq, &res, &err) < 0) {
		cmd_error(&err);
		goto out;
	}
	have_res = true;
	if (a.output)
		cmd_print_report(trace_json(&a, e.from_name, &res));
	else
		print_trace(&a, e.from_name, &res);
	fflush(stdout);
	ret = probe_outcome_ok(res.probe.outcome) ? 0 : 1;
out:
	if (have_res)
		trace_result_free(&res);
	trace_end_close(&tq.from);
	trace_end_close(&tq.to);
	probe_end(&rt, &e);
	pn_err_free(&err);
	return ret;
}
