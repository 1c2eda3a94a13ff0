/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svcbench: the Services half of issue 9's benchmark (driven by
 * bench/services.sh in a throwaway node).
 *
 *   svcbench script podnet|linear N EP_IP EP_PORT
 *       the nft script for N+1 Services (the last is the one measured),
 *       each with one endpoint EP_IP:EP_PORT: podnet's table (svcgen, the
 *       verdict-map layout of kube-proxy's nftables mode) or an
 *       iptables-style one (kube-proxy's iptables mode as iptables-nft
 *       loads it: one rule per Service port in a chain walked in order)
 *   svcbench load podnet|linear N EP_IP EP_PORT
 *       generate and apply it in one libnftables transaction; prints
 *       "gen_ms apply_ms"
 *   svcbench vip N
 *       the cluster IP of Service N (the measured one of a table of N+1)
 *   svcbench serve PORT
 *       a TCP server: reads a byte, writes it back, closes
 *   svcbench crr IP PORT SECONDS
 *       TCP_CRR-style: connect, one byte each way, close, as fast as it
 *       goes; prints "conns_per_s connect_p50_us connect_p99_us"
 *       (connect time = SYN out to SYN-ACK in: the first packet's trip
 *       through the node's rules)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "nftmodel.h"
#include "nftx.h"
#include "svcgen.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void vip(size_t i, char *out, size_t n)
{
	/* 10.96.0.1 upwards, skipping .0 and .255 */
	snprintf(out, n, "10.96.%zu.%zu", i / 250, i % 250 + 1);
}

/* podnet's table for @n Services, one endpoint each. */
static char *script_podnet(size_t n, const char *ep, int port)
{
	struct pn_service **svcs = calloc(n, sizeof(*svcs));
	struct ep_slice **sl = calloc(n, sizeof(*sl));
	size_t *nsl = calloc(n, sizeof(*nsl));
	struct nftm_table *t = NULL;
	struct pn_err err = { 0 };
	struct svc_input in = { 0 };
	char *script = NULL;

	if (!svcs || !sl || !nsl)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct pn_service *s = calloc(1, sizeof(*s));
		char ip[32];

		if (!s)
			goto out;
		svcs[i] = s;
		vip(i, ip, sizeof(ip));
		s->meta.name = pn_strdup_printf("svc-%zu", i);
		s->meta.namespace_ = strdup("bench");
		s->cluster_ip = strdup(ip);
		s->n_ports = 1;
		s->ports = calloc(1, sizeof(*s->ports));
		sl[i] = calloc(1, sizeof(**sl));
		nsl[i] = 1;
		if (!s->ports || !sl[i])
			goto out;
		s->ports[0].name = strdup("http");
		s->ports[0].protocol = strdup("TCP");
		s->ports[0].port = 80;
		s->ports[0].target_port = port;
		sl[i]->n_ports = 1;
		sl[i]->ports = calloc(1, sizeof(*sl[i]->ports));
		sl[i]->n_eps = 1;
		sl[i]->eps = calloc(1, sizeof(*sl[i]->eps));
		if (!sl[i]->ports || !sl[i]->eps)
			goto out;
		sl[i]->ports[0].name = strdup("http");
		sl[i]->ports[0].protocol = strdup("TCP");
		sl[i]->ports[0].port = port;
		sl[i]->eps[0].ip = strdup(ep);
		sl[i]->eps[0].ready = sl[i]->eps[0].serving = true;
	}
	in.svcs = svcs;
	in.n_svcs = n;
	in.slices = sl;
	in.n_slices = nsl;
	if (pn_cidr_parse("10.96.0.0/12", &in.svc_cidr) < 0 ||
	    nftm_table_new("inet", "podnet", &t, &err) < 0 || svc_nft_build(&in, t, &err) < 0 ||
	    nftm_finish(t, &err) < 0) {
		fprintf(stderr, "svcbench: %s\n", pn_err_msg(&err));
		goto out;
	}
	script = nftm_script_full(t);
out:
	for (size_t i = 0; svcs && i < n; i++) {
		pn_service_free(svcs[i]);
		if (sl && sl[i])
			ep_slices_free(sl[i], 1);
	}
	free(svcs);
	free(sl);
	free(nsl);
	nftm_table_free(t);
	pn_err_free(&err);
	return script;
}

/*
 * kube-proxy's iptables mode, as iptables-nft loads it into nf_tables:
 * KUBE-SERVICES holds one rule per Service port, matched in order; the
 * match jumps to KUBE-SVC (masquerade mark, endpoint choice) and
 * KUBE-SEP (hairpin mark, DNAT).
 */
static char *script_linear(size_t n, const char *ep, int port)
{
	struct pn_buf b = { 0 };
	char ip[32];

	pn_buf_puts(&b, "add table ip kube-linear\ndelete table ip kube-linear\nadd table ip kube-linear\n"
			"add chain ip kube-linear PREROUTING { type nat hook prerouting priority dstnat; policy accept; }\n"
			"add chain ip kube-linear OUTPUT { type nat hook output priority -100; policy accept; }\n"
			"add chain ip kube-linear POSTROUTING { type nat hook postrouting priority srcnat; policy accept; }\n"
			"add chain ip kube-linear KUBE-SERVICES\n"
			"add chain ip kube-linear KUBE-MARK-MASQ\n"
			"add chain ip kube-linear KUBE-POSTROUTING\n"
			"add rule ip kube-linear PREROUTING jump KUBE-SERVICES\n"
			"add rule ip kube-linear OUTPUT jump KUBE-SERVICES\n"
			"add rule ip kube-linear POSTROUTING jump KUBE-POSTROUTING\n"
			"add rule ip kube-linear KUBE-MARK-MASQ meta mark set meta mark or 0x4000\n"
			"add rule ip kube-linear KUBE-POSTROUTING meta mark & 0x4000 == 0 return\n"
			"add rule ip kube-linear KUBE-POSTROUTING meta mark set meta mark xor 0x4000\n"
			"add rule ip kube-linear KUBE-POSTROUTING masquerade fully-random\n");
	for (size_t i = 0; i < n; i++) {
		vip(i, ip, sizeof(ip));
		pn_buf_printf(&b, "add chain ip kube-linear KUBE-SVC-%zu\nadd chain ip kube-linear KUBE-SEP-%zu\n",
			      i, i);
		pn_buf_printf(&b, "add rule ip kube-linear KUBE-SERVICES ip daddr %s tcp dport 80 jump KUBE-SVC-%zu\n",
			      ip, i);
		pn_buf_printf(&b, "add rule ip kube-linear KUBE-SVC-%zu ip daddr %s tcp dport 80 ip saddr != 10.244.0.0/16 jump KUBE-MARK-MASQ\n",
			      i, ip);
		pn_buf_printf(&b, "add rule ip kube-linear KUBE-SVC-%zu jump KUBE-SEP-%zu\n", i, i);
		pn_buf_printf(&b, "add rule ip kube-linear KUBE-SEP-%zu ip saddr %s jump KUBE-MARK-MASQ\n", i, ep);
		pn_buf_printf(&b, "add rule ip kube-linear KUBE-SEP-%zu meta l4proto tcp dnat to %s:%d\n", i, ep,
			      port);
	}
	return pn_buf_take(&b);
}

static int serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1024) < 0) {
		perror("svcbench serve");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		char c;
		int a = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (a < 0)
			continue;
		if (read(a, &c, 1) == 1)
			(void)!write(a, &c, 1);
		close(a);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int crr(const char *ip, int port, double seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	size_t n = 0, cap = 1 << 16;
	double *lat = malloc(cap * sizeof(*lat)), t0 = now_ms(), end = t0 + seconds * 1e3;
	struct linger lg = { 1, 0 };

	if (!lat || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return 1;
	while (now_ms() < end) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		double a;
		char c = 'x';

		if (s < 0)
			return 1;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* RST on close: no TIME_WAIT pile-up over a long run */
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		a = now_ms();
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "svcbench crr: connect %s:%d: %s\n", ip, port, strerror(errno));
			close(s);
			return 1;
		}
		if (n == cap) {
			double *p = realloc(lat, 2 * cap * sizeof(*lat));

			if (!p)
				return 1;
			lat = p;
			cap *= 2;
		}
		lat[n++] = (now_ms() - a) * 1e3;
		if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1) {
			close(s);
			return 1;
		}
		close(s);
	}
	qsort(lat, n, sizeof(*lat), cmp_d);
	printf("%.0f %.1f %.1f\n", n / ((now_ms() - t0) / 1e3), lat[n / 2], lat[n * 99 / 100]);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && (!strcmp(argv[1], "script") || !strcmp(argv[1], "load"))) {
		size_t n = (size_t)strtoul(argv[3], NULL, 10) + 1;
		double t0 = now_ms(), t1;
		char *s = !strcmp(argv[2], "linear") ? script_linear(n, argv[4], atoi(argv[5]))
						     : script_podnet(n, argv[4], atoi(argv[5]));
		struct pn_err err = { 0 };

		if (!s)
			return 1;
		t1 = now_ms();
		if (!strcmp(argv[1], "script")) {
			fputs(s, stdout);
		} else {
			if (nftx_run(s, "load", &err) < 0) {
				fprintf(stderr, "svcbench: %s: %s\n", pn_err_msg(&err), pn_err_details_text(&err));
				return 1;
			}
			printf("%.2f %.2f\n", t1 - t0, now_ms() - t1);
		}
		free(s);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "vip")) {
		char ip[32];

		vip((size_t)strtoul(argv[2], NULL, 10), ip, sizeof(ip));
		puts(ip);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "crr"))
		return crr(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: svcbench script|load podnet|linear N EP_IP EP_PORT | vip N | serve PORT | crr IP PORT SECONDS\n");
	return 2;
}
