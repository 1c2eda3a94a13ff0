/* SPDX-License-Identifier: Apache-2.0 */
/* Services and hostPorts → podnet's nftables table (svcgen.h). */
#include "svcgen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "svcrt.h"
#include "util.h"

/* kube-proxy names a chain by a hash and a readable tail; so do we:
 * 8 characters of base32 over FNV-1a 64 of the readable part. */
static void hash8(const char *s, char out[9])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	for (int i = 0; i < 8; i++) {
		out[i] = b32[h & 31];
		h >>= 5;
	}
	out[8] = '\0';
}

static const char *proto_lc(const char *p)
{
	if (!p || !strcasecmp(p, "TCP"))
		return "tcp";
	if (!strcasecmp(p, "UDP"))
		return "udp";
	return "sctp";
}

/* "<prefix><HASH>-<tail>" into @out. */
static void chain_name(char *out, size_t n, const char *prefix, const char *tail)
{
	char h[9];

	hash8(tail, h);
	snprintf(out, n, "%s%s-%s", prefix, h, tail);
}

/* The endpoints kube-proxy uses: the ready ones; with none, the serving
 * terminating ones (KEP-1669); deduplicated by address and port. */
struct ep_use {
	const char *ip;
	int port;
};

static size_t pick_endpoints(const struct pn_service *svc, const struct pn_svc_port *sp,
			     struct ep_slice *const sl, size_t nsl, struct ep_use *out, size_t max)
{
	size_t n = 0;

	for (int pass = 0; pass < 2 && n == 0; pass++)
		for (size_t i = 0; i < nsl; i++)
			for (size_t p = 0; p < sl[i].n_ports; p++) {
				if (strcmp(sl[i].ports[p].name, sp->name ? sp->name : "") ||
				    strcasecmp(sl[i].ports[p].protocol, sp->protocol ? sp->protocol : "TCP"))
					continue;
				for (size_t e = 0; e < sl[i].n_eps && n < max; e++) {
					const struct ep_endpoint *ep = &sl[i].eps[e];
					bool use = pass == 0 ? ep->ready : ep->serving && ep->terminating;

					if (use) {
						out[n].ip = ep->ip;
						out[n].port = sl[i].ports[p].port;
						n++;
					}
				}
			}
	return n;
}

static size_t count_eps(struct ep_slice *const sl, size_t nsl)
{
	size_t n = 0;

	for (size_t i = 0; i < nsl; i++)
		n += sl[i].n_eps * (sl[i].n_ports ? sl[i].n_ports : 1);
	return n;
}

/* Pointers into a model move when it grows: sets are found by name at
 * each use (there are few), and a chain gets all its rules before the
 * next chain is added. */
static void elem(struct nftm_table *t, const char *set, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void elem(struct nftm_table *t, const char *set, const char *fmt, ...)
{
	struct nftm_set *s = nftm_set_find(t, set);
	char *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&e, fmt, ap) < 0)
		e = NULL;
	va_end(ap);
	if (!e || !s) {
		t->oom = t->oom || !e;
		free(e);
		return;
	}
	nftm_elem(t, s, "%s", e);
	free(e);
}

static void ep_names(const struct pn_service *svc, const char *proto, const char *portid,
		     const struct ep_use *u, char *chain, size_t nc, char *aff, size_t na)
{
	char tail[512];

	snprintf(tail, sizeof(tail), "%s/%s/%s/%s__%s/%d", svc->meta.namespace_, svc->meta.name,
		 proto, portid, u->ip, u->port);
	chain_name(chain, nc, "svc-ep-", tail);
	chain_name(aff, na, "svc-aff-", tail);
}

static void add_service_port(struct nftm_table *t, const struct svc_input *in, size_t si,
			     const struct pn_svc_port *sp, struct ep_use *use, size_t max)
{
	const struct pn_service *svc = in->svcs[si];
	const char *proto = proto_lc(sp->protocol);
	char tail[512], svc_chain[600], ext_chain[600], ep_chain[700], aff[700], portid[64];
	struct pn_buf vmap = { 0 };
	struct nftm_chain *c;
	size_t n;

	if (sp->name && *sp->name)
		snprintf(portid, sizeof(portid), "%s", sp->name);
	else
		snprintf(portid, sizeof(portid), "%d", sp->port);
	snprintf(tail, sizeof(tail), "%s/%s/%s/%s", svc->meta.namespace_, svc->meta.name, proto, portid);
	n = pick_endpoints(svc, sp, in->slices[si], in->n_slices[si], use, max);
	if (n == 0) {
		/* kube-proxy: no endpoints, the connection is rejected */
		elem(t, "svc-no-endpoints", "%s . %s . %d : goto svc-reject", svc->cluster_ip, proto,
		     sp->port);
		if (svc->type == PN_SVC_NODE_PORT && sp->node_port)
			elem(t, "svc-no-endpoint-nodeports", "%s . %d : goto svc-reject", proto,
			     sp->node_port);
		return;
	}
	chain_name(svc_chain, sizeof(svc_chain), "svc-", tail);
	chain_name(ext_chain, sizeof(ext_chain), "svc-ext-", tail);

	/* the Service port's chain */
	c = nftm_chain_add(t, svc_chain, NULL, NULL);
	/* Not from a pod (the node, another host): masquerade, so the reply
	 * comes back through the node (kube-proxy's LocalTrafficDetector). */
	nftm_rule(t, c, "ip daddr %s %s dport %d ip saddr != @svc-pods jump svc-mark-masq",
		  svc->cluster_ip, proto, sp->port);
	if (svc->affinity_client_ip)
		for (size_t i = 0; i < n; i++) {
			ep_names(svc, proto, portid, &use[i], ep_chain, sizeof(ep_chain), aff, sizeof(aff));
			nftm_rule(t, c, "ip saddr @%s goto %s", aff, ep_chain);
		}
	pn_buf_printf(&vmap, "numgen random mod %zu vmap { ", n);
	for (size_t i = 0; i < n; i++) {
		ep_names(svc, proto, portid, &use[i], ep_chain, sizeof(ep_chain), aff, sizeof(aff));
		pn_buf_printf(&vmap, "%s%zu : goto %s", i ? ", " : "", i, ep_chain);
	}
	pn_buf_puts(&vmap, " }");
	if (vmap.failed)
		t->oom = true;
	else
		nftm_rule(t, c, "%s", vmap.s);
	pn_buf_reset(&vmap);
	elem(t, "svc-ips", "%s . %s . %d : goto %s", svc->cluster_ip, proto, sp->port, svc_chain);

	/* its endpoints */
	for (size_t i = 0; i < n; i++) {
		ep_names(svc, proto, portid, &use[i], ep_chain, sizeof(ep_chain), aff, sizeof(aff));
		if (svc->affinity_client_ip) {
			char flags[96];

			snprintf(flags, sizeof(flags), "flags dynamic,timeout; timeout %ds",
				 svc->affinity_timeout);
			nftm_set_flags(t, nftm_set_add(t, aff, "ipv4_addr", NULL, NULL), flags);
		}
		c = nftm_chain_add(t, ep_chain, NULL, NULL);
		/* hairpin: a pod reaching itself through its Service */
		nftm_rule(t, c, "ip saddr %s jump svc-mark-masq", use[i].ip);
		if (svc->affinity_client_ip)
			nftm_rule(t, c, "update @%s { ip saddr }", aff);
		nftm_rule(t, c, "meta l4proto %s dnat ip to %s:%d", proto, use[i].ip, use[i].port);
	}

	if (svc->type != PN_SVC_NODE_PORT || !sp->node_port)
		return;
	c = nftm_chain_add(t, ext_chain, NULL, NULL);
	if (svc->external_local)
		/* Local: the client's address is kept; only the node's own
		 * traffic is masqueraded (it would not route back otherwise). */
		nftm_rule(t, c, "fib saddr type local jump svc-mark-masq");
	else
		nftm_rule(t, c, "jump svc-mark-masq");
	nftm_rule(t, c, "goto %s", svc_chain);
	elem(t, "svc-nodeports", "%s . %d : goto %s", proto, sp->node_port, ext_chain);
}

static void add_hostport(struct nftm_table *t, const struct svc_hostport *h)
{
	const char *proto = proto_lc(h->proto);
	char tail[512], name[600];
	struct nftm_chain *c;

	snprintf(tail, sizeof(tail), "%s/%s/%s/%d", h->ns, h->pod, proto, h->host_port);
	chain_name(name, sizeof(name), "svc-hp-", tail);
	c = nftm_chain_add(t, name, NULL, NULL);
	/* portmap's rules: masquerade the node's own connections and a pod
	 * reaching itself through the node (hairpin), then DNAT. */
	nftm_rule(t, c, "fib saddr type local jump svc-mark-masq");
	nftm_rule(t, c, "ip saddr %s jump svc-mark-masq", h->pod_ip);
	nftm_rule(t, c, "meta l4proto %s dnat ip to %s:%d", proto, h->pod_ip, h->container_port);
	elem(t, "svc-hostports", "%s . %d : goto %s", proto, h->host_port, name);
}

/* The chains whose rules never change (nftm_finish sorts chains and sets
 * by name, so the order here is only for the reader). */
static const struct {
	const char *name;
	const char *base; /* NULL: a regular chain */
	const char *rules[3];
} fixed_chains[] = {
	{ "svc-nat-prerouting", "type nat hook prerouting priority dstnat; policy accept;",
	  { "jump svc-services" } },
	{ "svc-nat-output", "type nat hook output priority -100; policy accept;",
	  { "jump svc-services" } },
	{ "svc-nat-postrouting", "type nat hook postrouting priority srcnat; policy accept;",
	  { "jump svc-masquerading" } },
	/* kube-proxy's filter chains run at -110: before conntrack's NAT and
	 * before the NetworkPolicy chain (priority filter). */
	{ "svc-filter-forward", "type filter hook forward priority -110; policy accept;",
	  { "ct state new jump svc-endpoints-check", "ct state new jump svc-cluster-ips-check" } },
	{ "svc-filter-output", "type filter hook output priority -110; policy accept;",
	  { "ct state new jump svc-endpoints-check" } },
	/* after the output DNAT: what is still addressed to a cluster IP
	 * matched no Service port */
	{ "svc-filter-output-post-dnat", "type filter hook output priority -90; policy accept;",
	  { "ct state new jump svc-cluster-ips-check" } },
	{ "svc-filter-input", "type filter hook input priority -110; policy accept;",
	  { "ct state new jump svc-nodeport-endpoints-check", "ct state new jump svc-endpoints-check" } },
	{ "svc-mark-masq", NULL, { "meta mark set meta mark or " SVC_MASQ_MARK } },
	{ "svc-masquerading", NULL,
	  { "meta mark & " SVC_MASQ_MARK " == 0 return", "meta mark set meta mark xor " SVC_MASQ_MARK,
	    "masquerade fully-random" } },
	{ "svc-reject", NULL, { "reject" } },
	{ "svc-services", NULL,
	  { "ip daddr . meta l4proto . th dport vmap @svc-ips",
	    "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @svc-nodeports",
	    "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @svc-hostports" } },
	{ "svc-endpoints-check", NULL, { "ip daddr . meta l4proto . th dport vmap @svc-no-endpoints" } },
	{ "svc-nodeport-endpoints-check", NULL,
	  { "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @svc-no-endpoint-nodeports" } },
};

static const struct {
	const char *name, *type, *verdict; /* verdict NULL: a set, else a map */
} sets[] = {
	{ "svc-ips", "ipv4_addr . inet_proto . inet_service", "verdict" },
	{ "svc-nodeports", "inet_proto . inet_service", "verdict" },
	{ "svc-hostports", "inet_proto . inet_service", "verdict" },
	{ "svc-no-endpoints", "ipv4_addr . inet_proto . inet_service", "verdict" },
	{ "svc-no-endpoint-nodeports", "inet_proto . inet_service", "verdict" },
	{ "svc-cluster-ips", "ipv4_addr", NULL },
	{ "svc-pods", "ipv4_addr", NULL },
};

int svc_nft_build(const struct svc_input *in, struct nftm_table *t, struct pn_err *err)
{
	struct nftm_chain *c;
	struct ep_use *use = NULL;
	size_t max = 1;
	char cidr[PN_CIDR_STRLEN];

	if (in->n_svcs == 0 && in->n_hostports == 0)
		return 0;
	for (size_t i = 0; i < in->n_svcs; i++) {
		size_t k = count_eps(in->slices[i], in->n_slices[i]);

		max = k > max ? k : max;
	}
	use = calloc(max, sizeof(*use));
	if (!use)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");

	for (size_t i = 0; i < PN_ARRAY_SIZE(fixed_chains); i++) {
		c = nftm_chain_add(t, fixed_chains[i].name, fixed_chains[i].base, NULL);
		for (size_t r = 0; r < PN_ARRAY_SIZE(fixed_chains[i].rules) && fixed_chains[i].rules[r]; r++)
			nftm_rule(t, c, "%s", fixed_chains[i].rules[r]);
	}
	for (size_t i = 0; i < PN_ARRAY_SIZE(sets); i++)
		nftm_set_add(t, sets[i].name, sets[i].type, sets[i].verdict, NULL);

	c = nftm_chain_add(t, "svc-cluster-ips-check", NULL, NULL);
	/* kube-proxy: a cluster IP answers only on its Services' ports, and
	 * the rest of the service range is not routed anywhere. */
	nftm_rule(t, c, "ip daddr @svc-cluster-ips reject comment \"a port no Service has\"");
	nftm_rule(t, c, "ip daddr %s drop comment \"an unallocated cluster IP\"",
		  pn_cidr_str(&in->svc_cidr, cidr));

	for (size_t i = 0; i < in->n_pod_ips; i++)
		elem(t, "svc-pods", "%s", in->pod_ips[i]);
	for (size_t i = 0; i < in->n_svcs; i++) {
		const struct pn_service *svc = in->svcs[i];

		if (svc->type == PN_SVC_EXTERNAL_NAME || !svc->cluster_ip || pn_service_headless(svc))
			continue;
		elem(t, "svc-cluster-ips", "%s", svc->cluster_ip);
		for (size_t p = 0; p < svc->n_ports; p++)
			add_service_port(t, in, i, &svc->ports[p], use, max);
	}
	for (size_t i = 0; i < in->n_hostports; i++)
		add_hostport(t, &in->hostports[i]);
	free(use);
	return 0;
}

void svc_loaded_free(struct svc_loaded *l)
{
	for (size_t i = 0; l->slices && i < l->in.n_svcs; i++)
		ep_slices_free(l->slices[i], l->n_slices[i]);
	free(l->slices);
	free(l->n_slices);
	svcrt_array_free(l->svcs, l->in.n_svcs);
	free(l->pod_ips);
	free(l->hostports);
	endpoints_pods_free(&l->pods);
	memset(l, 0, sizeof(*l));
}

int svc_input_load(struct store *st, const char *root, struct svc_loaded *l, struct pn_err *err)
{
	struct svcrt_cfg cfg;
	size_t n = 0, nh = 0, np = 0;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = svcrt_config(&cfg, err);
	if (ret == 0)
		ret = svcrt_list(st, NULL, &l->svcs, &n, err);
	/* Without a Service only hostPorts need pods, and not their readiness. */
	if (ret == 0)
		ret = endpoints_pods_load(st, root, n == 0, &l->pods, err);
	if (ret < 0)
		goto fail;
	l->in.svcs = l->svcs;
	l->in.n_svcs = n;
	l->in.svc_cidr = cfg.cidr;
	l->slices = calloc(n + 1, sizeof(*l->slices));
	l->n_slices = calloc(n + 1, sizeof(*l->n_slices));
	l->pod_ips = calloc(l->pods.n + 1, sizeof(*l->pod_ips));
	for (size_t i = 0; i < l->pods.n; i++)
		for (size_t c = 0; c < l->pods.pods[i].pod->spec.n_containers; c++)
			nh += l->pods.pods[i].pod->spec.containers[c].n_ports;
	l->hostports = calloc(nh + 1, sizeof(*l->hostports));
	if (!l->slices || !l->n_slices || !l->pod_ips || !l->hostports) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		ret = endpoints_compute(l->svcs[i], l->pods.pods, l->pods.n, &l->slices[i],
					&l->n_slices[i], err);
		if (ret < 0)
			goto fail;
	}
	nh = 0;
	for (size_t i = 0; i < l->pods.n; i++) {
		const struct ep_pod *p = &l->pods.pods[i];

		if (!p->ip || p->finished)
			continue;
		l->pod_ips[np++] = (char *)p->ip;
		for (size_t c = 0; c < p->pod->spec.n_containers; c++) {
			const struct pn_container_spec *cs = &p->pod->spec.containers[c];

			for (size_t k = 0; k < cs->n_ports; k++)
				if (cs->ports[k].host_port)
					l->hostports[nh++] = (struct svc_hostport){
						.ns = p->pod->meta.namespace_,
						.pod = p->pod->meta.name,
						.proto = cs->ports[k].protocol ? cs->ports[k].protocol : "TCP",
						.host_port = cs->ports[k].host_port,
						.pod_ip = p->ip,
						.container_port = cs->ports[k].container_port,
					};
		}
	}
	l->in.slices = l->slices;
	l->in.n_slices = l->n_slices;
	l->in.pod_ips = (const char *const *)l->pod_ips;
	l->in.n_pod_ips = np;
	l->in.hostports = l->hostports;
	l->in.n_hostports = nh;
	return 0;
fail:
	l->in.n_svcs = n;
	svc_loaded_free(l);
	return ret;
}
