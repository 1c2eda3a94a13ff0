/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nftables trace events (kernel/nftrace) and the ruleset index the tracer
 * names rules with (kernel/nftx).
 *
 * Pure tests first: a trace message built byte by byte as the kernel's
 * nft_trace_notify() lays it out, decoded; nft's `-a -s list ruleset` text
 * parsed.  Then the kernel, in a throwaway network namespace (a forked
 * child that unshares one; the machine's own is never touched):
 *
 *   lo 127.0.0.1 ── UDP to :4711 ──> table inet t { chain in (hook input):
 *                                        udp dport 4711 meta nftrace set 1
 *                                        udp dport 4711 counter drop }
 *
 * and the events read back name the table, chain, handle and verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nftrace.h"
#include "nftx.h"
#include "nl.h"
#include "tap.h"

static int put_be32(struct nl_req *r, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	return nl_put(r, type, &be, sizeof(be));
}

static int put_be64(struct nl_req *r, uint16_t type, uint64_t v)
{
	uint64_t be = ((uint64_t)htonl((uint32_t)v) << 32) | htonl((uint32_t)(v >> 32));

	return nl_put(r, type, &be, sizeof(be));
}

static void test_decode(void)
{
	char buf[1024];
	struct nl_req r;
	struct nfgenmsg *g;
	struct nftrace_event ev;
	struct nlattr *v;
	/* IPv4 10.244.0.2 -> 10.244.0.3, TCP 40000 -> 8080 SYN */
	static const uint8_t nh[20] = { 0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0,
					10, 244, 0, 2, 10, 244, 0, 3 };
	static const uint8_t th[20] = { 0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02 };
	int bad = 0;

	nl_req_init(&r, buf, sizeof(buf), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_TRACE, 0, sizeof(*g),
		    (void **)&g);
	g->nfgen_family = NFPROTO_INET;
	bad |= nl_put_str(&r, NFTA_TRACE_TABLE, "foreign");
	bad |= nl_put_str(&r, NFTA_TRACE_CHAIN, "fw");
	bad |= put_be32(&r, NFTA_TRACE_TYPE, NFT_TRACETYPE_RULE);
	bad |= put_be32(&r, NFTA_TRACE_ID, 0xdeadbeef);
	bad |= put_be64(&r, NFTA_TRACE_RULE_HANDLE, 0x100000002ULL);
	v = nl_nest_start(&r, NFTA_TRACE_VERDICT);
	bad |= put_be32(&r, NFTA_VERDICT_CODE, NF_DROP);
	nl_nest_end(&r, v);
	bad |= put_be32(&r, NFTA_TRACE_IIF, 7);
	bad |= put_be32(&r, NFTA_TRACE_NFPROTO, NFPROTO_IPV4);
	bad |= nl_put(&r, NFTA_TRACE_NETWORK_HEADER, nh, sizeof(nh));
	bad |= nl_put(&r, NFTA_TRACE_TRANSPORT_HEADER, th, sizeof(th));
	ok(!bad && v, "a rule event is built");
	is_int(nftrace_decode(r.h, 3, &ev), 0, "a rule event decodes");
	is_int(ev.family, NFPROTO_INET, "family inet");
	is_int(ev.nsid, 3, "the namespace id travels with the event");
	is_str(ev.table, "foreign", "table");
	is_str(ev.chain, "fw", "chain");
	is_int(ev.type, NFTRACE_RULE, "type rule");
	ok(ev.id == 0xdeadbeef, "trace id, big-endian on the wire");
	ok(ev.handle == 0x100000002ULL, "64-bit rule handle, big-endian on the wire");
	ok(ev.has_verdict && ev.verdict == NF_DROP, "verdict drop from the nested attribute");
	ok(nftrace_verdict_drops(ev.verdict), "drop drops");
	is_str(nftrace_verdict_str(ev.verdict), "drop", "verdict name");
	is_int(ev.iif, 7, "iif");
	is_int(ev.oif, 0, "no oif: 0");
	is_int(ev.nfproto, NFPROTO_IPV4, "inet table, ip packet");
	is_int(ev.nh_len, 20, "network header kept");
	ok(ev.th_len == 20 && ev.th[13] == 0x02, "transport header kept (SYN)");

	/* A jump: verdict code and target chain. */
	nl_req_init(&r, buf, sizeof(buf), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_TRACE, 0, sizeof(*g),
		    (void **)&g);
	g->nfgen_family = NFPROTO_BRIDGE;
	bad = nl_put_str(&r, NFTA_TRACE_TABLE, "t");
	bad |= nl_put_str(&r, NFTA_TRACE_CHAIN, "c");
	bad |= put_be32(&r, NFTA_TRACE_TYPE, NFT_TRACETYPE_RULE);
	bad |= put_be32(&r, NFTA_TRACE_ID, 1);
	bad |= put_be64(&r, NFTA_TRACE_RULE_HANDLE, 9);
	v = nl_nest_start(&r, NFTA_TRACE_VERDICT);
	bad |= put_be32(&r, NFTA_VERDICT_CODE, (uint32_t)NFT_JUMP);
	bad |= nl_put_str(&r, NFTA_VERDICT_CHAIN, "ingress/x/allow");
	nl_nest_end(&r, v);
	ok(!bad && nftrace_decode(r.h, NL_NSID_SELF, &ev) == 0, "a jump event decodes");
	ok(ev.verdict == NFT_JUMP && !nftrace_verdict_drops(ev.verdict), "jump does not drop");
	is_str(ev.target, "ingress/x/allow", "jump target");
	is_str(nftrace_family_str(ev.family), "bridge", "bridge family");

	/* The base chain's policy comes in NFTA_TRACE_POLICY. */
	nl_req_init(&r, buf, sizeof(buf), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_TRACE, 0, sizeof(*g),
		    (void **)&g);
	g->nfgen_family = NFPROTO_IPV4;
	bad = nl_put_str(&r, NFTA_TRACE_TABLE, "filter");
	bad |= nl_put_str(&r, NFTA_TRACE_CHAIN, "input");
	bad |= put_be32(&r, NFTA_TRACE_TYPE, NFT_TRACETYPE_POLICY);
	bad |= put_be32(&r, NFTA_TRACE_ID, 2);
	bad |= put_be32(&r, NFTA_TRACE_POLICY, NF_DROP);
	ok(!bad && nftrace_decode(r.h, NL_NSID_SELF, &ev) == 0, "a policy event decodes");
	ok(ev.type == NFTRACE_POLICY && ev.has_verdict && ev.verdict == NF_DROP && !ev.handle,
	   "policy drop, no rule handle");

	/* Not a trace: another nf_tables message, a message without id. */
	nl_req_init(&r, buf, sizeof(buf), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE, 0, sizeof(*g),
		    (void **)&g);
	is_int(nftrace_decode(r.h, 0, &ev), -EINVAL, "NFT_MSG_NEWRULE is not a trace event");
	nl_req_init(&r, buf, sizeof(buf), NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_TRACE, 0, sizeof(*g),
		    (void **)&g);
	bad = nl_put_str(&r, NFTA_TRACE_TABLE, "t");
	ok(!bad && nftrace_decode(r.h, 0, &ev) == -EINVAL, "a trace message without id/type is refused");
	is_str(nftrace_verdict_str(NFT_CONTINUE), "continue", "continue");
	is_str(nftrace_verdict_str(NF_ACCEPT), "accept", "accept");
	is_str(nftrace_verdict_str((int32_t)(NF_QUEUE | (5 << 16))), "queue", "queue keeps its number above the mask");
}

static const char listing[] =
	"table inet t-1 { # handle 1\n"
	"\tset s { # handle 4\n"
	"\t\ttype ipv4_addr\n"
	"\t\telements = { 1.2.3.4, 1.2.3.5,\n"
	"\t\t\t     1.2.3.6 }\n"
	"\t}\n"
	"\n"
	"\tchain ingress/x/y { # handle 1\n"
	"\t\ttcp dport { 80, 443 } counter accept comment \"a # handle 5\" # handle 6\n"
	"\t}\n"
	"\n"
	"\tchain fw { # handle 2\n"
	"\t\ttype filter hook forward priority filter + 5; policy drop;\n"
	"\t\tip daddr vmap { 1.2.3.4 : jump ingress/x/y } # handle 8\n"
	"\t}\n"
	"}\n"
	"table netdev x { # handle 2\n"
	"\tchain i { # handle 1\n"
	"\t\ttype filter hook ingress device \"lo\" priority -500; policy accept;\n"
	"\t\tudp dport 53 drop # handle 3\n"
	"\t}\n"
	"}\n"
	"table ip6 y { # handle 3\n"
	"\tchain c { # handle 1\n"
	"\t\tcomment \"a chain comment\"\n"
	"\t\tip6 saddr ::1 accept # handle 2\n"
	"\t}\n"
	"}\n";

static void test_parse(void)
{
	struct nftx_ruleset *rs = nftx_ruleset_parse(listing);
	const struct nftx_rule *r;
	const struct nftx_chain *c;

	ok(rs != NULL, "the listing parses");
	if (!rs)
		return;
	is_int(rs->n_chains, 4, "four chains (sets are not chains)");
	is_int(rs->n_rules, 4, "four rules (set elements are not rules)");
	r = nftx_ruleset_rule(rs, NFPROTO_INET, "t-1", "ingress/x/y", 6);
	is_str(r ? r->text : NULL, "tcp dport { 80, 443 } counter accept comment \"a # handle 5\"",
	       "a rule's text ends before its own handle marker, not one quoted in its comment");
	r = nftx_ruleset_rule(rs, NFPROTO_INET, "t-1", "fw", 8);
	is_str(r ? r->text : NULL, "ip daddr vmap { 1.2.3.4 : jump ingress/x/y }", "a base chain's rule");
	ok(nftx_ruleset_rule(rs, NFPROTO_INET, "t-1", "fw", 6) == NULL, "a handle of another chain is not found");
	ok(nftx_ruleset_rule(rs, NFPROTO_IPV4, "t-1", "fw", 8) == NULL, "a table of another family is not found");
	c = nftx_ruleset_chain(rs, NFPROTO_INET, "t-1", "fw");
	is_str(c ? c->hook : NULL, "forward", "base chain hook");
	is_str(c ? c->priority : NULL, "filter + 5", "base chain priority as printed");
	is_str(c ? c->policy : NULL, "drop", "base chain policy");
	c = nftx_ruleset_chain(rs, NFPROTO_INET, "t-1", "ingress/x/y");
	ok(c && !c->hook && !c->policy, "a regular chain has no hook");
	c = nftx_ruleset_chain(rs, NFPROTO_NETDEV, "x", "i");
	is_str(c ? c->hook : NULL, "ingress", "netdev chain hook (device clause skipped)");
	is_str(c ? c->priority : NULL, "-500", "netdev chain priority");
	r = nftx_ruleset_rule(rs, NFPROTO_IPV6, "y", "c", 2);
	is_str(r ? r->text : NULL, "ip6 saddr ::1 accept", "a chain's comment line is not a rule");
	c = nftx_ruleset_chain(rs, NFPROTO_IPV6, "y", "c");
	is_str(c ? c->comment : NULL, "a chain comment", "... it is the chain's comment");
	c = nftx_ruleset_chain(rs, NFPROTO_INET, "t-1", "fw");
	ok(c && !c->comment, "a chain without comment");
	nftx_ruleset_free(rs);
	rs = nftx_ruleset_parse("");
	ok(rs && !rs->n_chains && !rs->n_rules, "an empty ruleset");
	nftx_ruleset_free(rs);
}

/* ------------------------------------------------------------------ */
/* the kernel, in a throwaway namespace                               */

struct seen {
	bool drop, mark;
	uint64_t drop_handle;
	bool headers;
};

static int seen_cb(const struct nftrace_event *ev, void *arg)
{
	struct seen *s = arg;

	if (strcmp(ev->table, "t") || strcmp(ev->chain, "in"))
		return 0;
	if (ev->type == NFTRACE_RULE && ev->has_verdict && ev->verdict == NFT_CONTINUE && ev->nh_len &&
	    ev->handle)
		s->mark = true;
	if (ev->nh_len >= 20 && ev->th_len >= 4 && ev->th[2] == 0x12 && ev->th[3] == 0x67)
		s->headers = true; /* udp dport 4711 */
	if (ev->type == NFTRACE_RULE && ev->has_verdict && nftrace_verdict_drops(ev->verdict)) {
		s->drop = true;
		s->drop_handle = ev->handle;
	}
	return 0;
}

/* Runs in a forked child that owns its network namespace; its TAP lines
 * continue the parent's numbering and its counters go back by a pipe. */
static void kernel_tests(void)
{
	struct nl_sock ls = NL_SOCK_INIT;
	struct pn_err err = { 0 };
	struct nftx_ruleset *rs = NULL;
	const struct nftx_rule *r;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(4711),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct seen s = { 0 };
	unsigned int lost = 0;
	int fd = -1;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("ok %d # SKIP no network namespace (%s)\n", ++tap_n, strerror(errno));
		return;
	}
	ok(system("ip link set lo up") == 0, "lo up in the throwaway namespace");
	ok(nftx_run("table inet t {\n chain in {\n  type filter hook input priority 0; policy accept;\n"
		    "  udp dport 4711 meta nftrace set 1\n  udp dport 4711 counter drop\n }\n}\n",
		    "test table", &err) == 0, "a table that marks and drops UDP :4711");
	ok(nftrace_listen(&ls, &err) == 0, "listening to trace events");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ok(fd >= 0 && sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) == 1,
	   "a datagram to 127.0.0.1:4711");
	ok(nftrace_read(&ls, 200, seen_cb, &s, &lost, &err) == 0, "events read");
	ok(s.mark, "the marking rule reports continue, with the packet");
	ok(s.headers, "the packet's headers come with the first event");
	ok(s.drop, "the drop rule reports drop");
	is_int(lost, 0, "nothing lost");
	ok(nftx_ruleset_read(-1, &rs, &err) == 0, "the ruleset is read through libnftables");
	r = rs ? nftx_ruleset_rule(rs, NFPROTO_INET, "t", "in", s.drop_handle) : NULL;
	is_str(r ? r->text : NULL, "udp dport 4711 counter drop",
	       "the dropping rule's handle names its text (stateless: no counter values)");
	nftx_ruleset_free(rs);
	if (fd >= 0)
		close(fd);
	nl_close(&ls);
	pn_err_free(&err);
}

int main(void)
{
	int pfd[2], counts[2], st;
	pid_t pid;

	test_decode();
	test_parse();
	if (geteuid() != 0) {
		printf("ok %d # SKIP kernel tests need root\n", ++tap_n);
		return tap_done();
	}
	fflush(stdout);
	if (pipe(pfd) < 0) {
		ok(0, "pipe");
		return tap_done();
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		kernel_tests();
		fflush(stdout);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		_exit(write(pfd[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], counts, sizeof(counts)) != sizeof(counts)) {
		ok(0, "the kernel tests ran and reported");
	} else {
		tap_n = counts[0];
		tap_failed = counts[1];
	}
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return tap_done();
}
