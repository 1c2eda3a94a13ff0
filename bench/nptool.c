/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetworkPolicy benchmark's tools (bench/netpol.sh runs them):
 *
 *   nptool serve PORT
 *       A TCP server for both measurements below, one epoll loop: a
 *       connection that starts with 'c' gets one byte back (connect,
 *       request, response, close: netperf's TCP_CRR); one that starts with
 *       's' is read to its end (throughput).
 *   nptool crr ADDR PORT N
 *       N transactions, each on a new connection; prints the connect time
 *       (the first packet's round trip: SYN through the policy rules,
 *       SYN-ACK back as established) and the whole transaction, p50 and
 *       p99 in microseconds, and transactions per second.
 *   nptool stream ADDR PORT SECONDS
 *       one connection sending for SECONDS; prints Gbit/s.
 *   nptool linear ROOT
 *       prints, for the NetworkPolicies and pods in the state under ROOT,
 *       the same policy as iptables-style linear rules (table inet linear):
 *       no sets and no maps, one rule per selected pod x peer address x
 *       port, in policy order, then one drop per isolated pod; a new
 *       connection walks the list.  This is what a policy implementation
 *       without ipsets writes (and kube-proxy's iptables mode for Services:
 *       one rule per service, walked in order).
 *
 * Output lines are "key value" pairs, for bench/netpol.sh to collect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "world.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "nptool: bad address %s\n", addr);
	exit(2);
}

/* ---- server */

static int serve(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int one = 1, zero = 0, lfd, ep;
	char buf[65536];

	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0) {
		perror("nptool serve");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening %d\n", port);
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r <= 0) {
				close(fd);
				continue;
			}
			/* 'c': answer each request byte; 's': a sink. */
			if (buf[0] == 'c' && write(fd, "k", 1) != 1) {
				close(fd);
				continue;
			}
		}
	}
}

/* ---- clients */

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

static int crr(const char *addr, int port, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sockaddr_of(addr, port, &ss, &len), one = 1;
	double *conn = calloc(n, sizeof(double)), *txn = calloc(n, sizeof(double)), t0, t1, t2, start;
	struct linger lg = { 1, 0 };
	size_t ok = 0, failed = 0;
	char b;

	start = now_us();
	for (size_t i = 0; i < n; i++) {
		int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timeval tv = { 2, 0 };

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* Close with RST: no TIME_WAIT, so thousands of connections do
		 * not run out of ports. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		t0 = now_us();
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			failed++;
			close(fd);
			continue;
		}
		t1 = now_us();
		if (write(fd, "c", 1) != 1 || read(fd, &b, 1) != 1) {
			failed++;
			close(fd);
			continue;
		}
		close(fd);
		t2 = now_us();
		conn[ok] = t1 - t0;
		txn[ok] = t2 - t0;
		ok++;
	}
	t2 = now_us();
	qsort(conn, ok, sizeof(double), dcmp);
	qsort(txn, ok, sizeof(double), dcmp);
	printf("transactions %zu\nfailed %zu\nconnect_p50_us %.1f\nconnect_p99_us %.1f\n"
	       "txn_p50_us %.1f\ntxn_p99_us %.1f\nrate_per_s %.0f\n",
	       ok, failed, pct(conn, ok, 0.5), pct(conn, ok, 0.99), pct(txn, ok, 0.5), pct(txn, ok, 0.99),
	       (double)ok / ((t2 - start) / 1e6));
	free(conn);
	free(txn);
	return failed ? 1 : 0;
}

static int stream(const char *addr, int port, double secs)
{
	static char buf[1 << 16];
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = sockaddr_of(addr, port, &ss, &len);
	int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	double t0, t;
	size_t total = 0;

	memset(buf, 's', sizeof(buf));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("nptool stream: connect");
		return 1;
	}
	t0 = now_us();
	do {
		ssize_t w = write(fd, buf, sizeof(buf));

		if (w <= 0) {
			perror("nptool stream: write");
			return 1;
		}
		total += (size_t)w;
		t = now_us();
	} while (t - t0 < secs * 1e6);
	close(fd);
	printf("bytes %zu\ngbit_per_s %.3f\n", total, (double)total * 8 / ((t - t0) * 1e3));
	return 0;
}

/* ---- the linear model */

static bool sel_match(const struct pn_selector *s, const struct pn_kvs *l)
{
	for (size_t i = 0; i < s->match_labels.n; i++) {
		const char *v = pn_kvs_get(l, s->match_labels.items[i].key);

		if (!v || strcmp(v, s->match_labels.items[i].value))
			return false;
	}
	for (size_t i = 0; i < s->n_exprs; i++) {
		const struct pn_sel_req *r = &s->exprs[i];
		const char *v = pn_kvs_get(l, r->key);
		bool in = false;

		for (size_t k = 0; v && k < r->n_values; k++)
			in |= !strcmp(v, r->values[k]);
		if ((r->op == PN_SEL_IN && !in) || (r->op == PN_SEL_NOT_IN && in) ||
		    (r->op == PN_SEL_EXISTS && !v) || (r->op == PN_SEL_DOES_NOT_EXIST && v))
			return false;
	}
	return true;
}

static const char *ns_of(const struct pn_netpol *np)
{
	return np->meta.namespace_ ? np->meta.namespace_ : "default";
}

static bool peer_pod(const struct pol_world *w, const struct pn_netpol *np, const struct pn_np_peer *p,
		     const struct pol_pod *pod)
{
	if (p->ns_selector ? !sel_match(p->ns_selector, &w->nss[pod->ns_idx].labels)
			   : strcmp(pod->ns, ns_of(np)) != 0)
		return false;
	return !p->pod_selector || sel_match(p->pod_selector, &pod->labels);
}

static const char *kw(enum pn_proto p)
{
	return p == PN_PROTO_UDP ? "udp" : p == PN_PROTO_SCTP ? "sctp" : "tcp";
}

/* One rule per port for a (self, peer) address pair; @named_on is the pod
 * whose container ports resolve a named port (the destination). */
static size_t emit(const char *chain, const char *self, const char *peer, const char *fam,
		   bool egress, const struct pn_np_rule *r, const struct pol_pod *named_on,
		   const char *verdict)
{
	char match[512];
	size_t n = 0;

	snprintf(match, sizeof(match), "%s %s %s%s%s%s", fam, egress ? "saddr" : "daddr", self,
		 peer ? " " : "", peer ? fam : "", "");
	if (peer)
		snprintf(match + strlen(match), sizeof(match) - strlen(match), " %s %s",
			 egress ? "daddr" : "saddr", peer);
	if (r->n_ports == 0) {
		printf("add rule inet linear %s %s %s\n", chain, match, verdict);
		return 1;
	}
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct pn_np_port *p = &r->ports[i];

		if (p->port_name) {
			for (size_t k = 0; named_on && k < named_on->n_ports; k++)
				if (named_on->ports[k].name && !strcmp(named_on->ports[k].name, p->port_name) &&
				    named_on->ports[k].proto == p->protocol) {
					printf("add rule inet linear %s %s %s dport %d %s\n", chain, match,
					       kw(p->protocol), named_on->ports[k].port, verdict);
					n++;
				}
		} else if (!p->port) {
			printf("add rule inet linear %s %s meta l4proto %s %s\n", chain, match, kw(p->protocol),
			       verdict);
			n++;
		} else if (p->end_port) {
			printf("add rule inet linear %s %s %s dport %d-%d %s\n", chain, match, kw(p->protocol),
			       p->port, p->end_port, verdict);
			n++;
		} else {
			printf("add rule inet linear %s %s %s dport %d %s\n", chain, match, kw(p->protocol),
			       p->port, verdict);
			n++;
		}
	}
	return n;
}

static size_t linear_direction(const struct pol_world *w, bool egress)
{
	const char *chain = egress ? "egress" : "ingress";
	const char *verdict = egress ? "return" : "accept";
	enum pn_np_type type = egress ? PN_NP_EGRESS : PN_NP_INGRESS;
	bool *isolated = calloc(w->n_pods + 1, sizeof(bool));
	size_t rules = 0;

	for (size_t p = 0; p < w->n_pols; p++) {
		const struct pn_netpol *np = w->pols[p];
		const struct pn_np_rule *rs = egress ? np->egress : np->ingress;
		size_t nr = egress ? np->n_egress : np->n_ingress;

		if (!pn_netpol_has_type(np, type))
			continue;
		for (size_t s = 0; s < w->n_pods; s++) {
			const struct pol_pod *self = &w->pods[s];

			if (strcmp(self->ns, ns_of(np)) || !sel_match(&np->pod_selector, &self->labels))
				continue;
			isolated[s] = true;
			for (size_t ia = 0; ia < self->n_ips; ia++) {
				char sa[PN_IP_STRLEN];
				const char *fam = self->ips[ia].family == AF_INET ? "ip" : "ip6";

				pn_ip_str(&self->ips[ia], sa);
				for (size_t r = 0; r < nr; r++) {
					const struct pn_np_rule *rule = &rs[r];

					if (rule->n_peers == 0) {
						rules += emit(chain, sa, NULL, fam, egress, rule, egress ? NULL : self,
							      verdict);
						continue;
					}
					for (size_t k = 0; k < rule->n_peers; k++) {
						const struct pn_np_peer *peer = &rule->peers[k];

						if (peer->ip_block) {
							char cidr[256];

							if (!strchr(peer->ip_block->cidr, ':') != (self->ips[ia].family == AF_INET))
								continue;
							snprintf(cidr, sizeof(cidr), "%s", peer->ip_block->cidr);
							for (size_t x = 0; x < peer->ip_block->n_except; x++)
								snprintf(cidr + strlen(cidr), sizeof(cidr) - strlen(cidr),
									 " %s %s != %s", fam, egress ? "daddr" : "saddr",
									 peer->ip_block->except[x]);
							rules += emit(chain, sa, cidr, fam, egress, rule,
								      egress ? NULL : self, verdict);
							continue;
						}
						for (size_t t = 0; t < w->n_pods; t++) {
							const struct pol_pod *other = &w->pods[t];

							if (!peer_pod(w, np, peer, other))
								continue;
							for (size_t ib = 0; ib < other->n_ips; ib++) {
								char oa[PN_IP_STRLEN];

								if (other->ips[ib].family != self->ips[ia].family)
									continue;
								pn_ip_str(&other->ips[ib], oa);
								rules += emit(chain, sa, oa, fam, egress, rule,
									      egress ? other : self, verdict);
							}
						}
					}
				}
			}
		}
	}
	for (size_t s = 0; s < w->n_pods; s++)
		for (size_t ia = 0; isolated[s] && ia < w->pods[s].n_ips; ia++) {
			char sa[PN_IP_STRLEN];

			pn_ip_str(&w->pods[s].ips[ia], sa);
			printf("add rule inet linear %s %s %s %s drop\n", chain,
			       w->pods[s].ips[ia].family == AF_INET ? "ip" : "ip6", egress ? "saddr" : "daddr", sa);
			rules++;
		}
	free(isolated);
	return rules;
}

static int linear(const char *root)
{
	struct store *st = NULL;
	struct pol_world *w = NULL;
	struct pn_err err = { 0 };
	size_t rules;

	if (store_open(root, &st, &err) < 0 || pol_world_load(st, &w, &err) < 0) {
		fprintf(stderr, "nptool linear: %s\n", pn_err_msg(&err));
		pn_err_free(&err);
		store_close(st);
		return 1;
	}
	printf("add table inet linear\ndelete table inet linear\nadd table inet linear\n"
	       "add chain inet linear forward { type filter hook forward priority filter; policy accept; }\n"
	       "add chain inet linear egress\nadd chain inet linear ingress\n"
	       "add rule inet linear forward ct state established,related accept\n"
	       "add rule inet linear forward jump egress\n"
	       "add rule inet linear forward jump ingress\n");
	rules = linear_direction(w, true) + linear_direction(w, false);
	fprintf(stderr, "linear rules %zu\n", rules);
	pol_world_free(w);
	store_close(st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "crr"))
		return crr(argv[2], atoi(argv[3]), (size_t)atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "linear"))
		return linear(argv[2]);
	fputs("usage: nptool serve PORT | crr ADDR PORT N | stream ADDR PORT SECONDS | linear ROOT\n", stderr);
	return 2;
}
