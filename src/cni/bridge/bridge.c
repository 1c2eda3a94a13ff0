/* SPDX-License-Identifier: Apache-2.0 */
#include "bridge.h"

#include <errno.h>
#include <linux/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "addr.h"
#include "cniclient.h"
#include "fault.h"
#include "guard.h"
#include "ipam.h"
#include "link.h"
#include "log.h"
#include "neigh.h"
#include "netns.h"
#include "nft.h"
#include "route.h"
#include "sysctl.h"

#define IPAM_TYPE_PODNET "podnet-ipam"

void bridge_host_veth_name(const char *container_id, const char *ifname, char out[16])
{
	/* FNV-1a, 64 bit, over "id/ifname"; 44 bits shown.  Deterministic, so
	 * DEL and CHECK find the host end even when the pod's netns is gone. */
	uint64_t h = 0xcbf29ce484222325ull;
	const char *parts[] = { container_id, "/", ifname };

	for (size_t i = 0; i < PN_ARRAY_SIZE(parts); i++)
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ull;
		}
	snprintf(out, 16, "veth%011llx", (unsigned long long)(h & 0xfffffffffffull));
}

/* A random, locally administered, unicast MAC. */
static void random_mac(unsigned char mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		memset(mac, 0x5a, 6);
	mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
}

static bool ipam_in_process(const struct cni_conf *conf)
{
	return conf->has_ipam && conf->ipam.type && !strcmp(conf->ipam.type, IPAM_TYPE_PODNET);
}

/* The addresses a runtime asked for, from every place the conventions
 * allow: CNI_ARGS IP=, args.cni.ips and runtimeConfig.ips. */
static size_t requested_ips(const struct cni_call *c, struct pn_ip *out, size_t cap)
{
	const struct cni_conf *conf = c->conf;
	size_t n = 0;

	for (size_t i = 0; i < c->env->args.n_ips && n < cap; i++)
		out[n++] = c->env->args.ips[i];
	for (size_t i = 0; i < conf->n_arg_ips && n < cap; i++)
		out[n++] = conf->arg_ips[i];
	for (size_t i = 0; i < conf->n_rc_ips && n < cap; i++)
		out[n++] = conf->rc_ips[i];
	return n;
}

/* Run the IPAM plugin's ADD, in-process for podnet-ipam, otherwise by
 * executing it per the spec with the whole network config on stdin. */
static int ipam_run_add(const struct cni_call *c, struct cni_result **out, struct pn_err *err)
{
	const struct cni_conf *conf = c->conf;
	struct cni_result *res = NULL;
	json_t *j = NULL;
	int ret;

	if (ipam_in_process(conf)) {
		struct pn_ip req[3 * CNI_MAX_IPS];
		struct ipam_request r = {
			.network = conf->name,
			.container_id = c->env->container_id,
			.ifname = c->env->ifname,
			.netns = c->env->netns,
			.requested = req,
			.n_requested = requested_ips(c, req, PN_ARRAY_SIZE(req)),
		};

		res = cni_result_new();
		if (!res)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		ret = ipam_add(&conf->ipam, &r, res, err);
		if (ret < 0)
			goto out;
	} else {
		ret = cniclient_exec(c->env->path, conf->ipam.type, "ADD", c->raw, c->raw_len, &j, err);
		if (ret < 0)
			goto out;
		if (!j) {
			ret = pn_error(err, PN_CNI_DECODE, 0, "IPAM plugin %s printed no result",
				       conf->ipam.type);
			goto out;
		}
		ret = cni_result_parse(j, conf->version, &res, err);
		if (ret < 0) {
			pn_err_prefix(err, "result of IPAM plugin %s", conf->ipam.type);
			goto out;
		}
	}
	*out = res;
	res = NULL;
	ret = 0;
out:
	json_decref(j);
	cni_result_free(res);
	return ret;
}

static int ipam_run_verb(const struct cni_call *c, const char *verb, struct pn_err *err)
{
	const struct cni_conf *conf = c->conf;
	json_t *j = NULL;
	int ret;

	if (!conf->has_ipam)
		return 0;
	if (ipam_in_process(conf)) {
		if (!strcmp(verb, "DEL"))
			return ipam_del(&conf->ipam, conf->name, c->env->container_id, c->env->ifname,
					err);
		if (!strcmp(verb, "GC"))
			return ipam_gc(&conf->ipam, conf->name, conf->valid, conf->n_valid, NULL, err);
		if (!strcmp(verb, "STATUS"))
			return ipam_status(&conf->ipam, conf->name, err);
		if (!strcmp(verb, "CHECK")) {
			const struct cni_result *p = conf->prev_result;
			struct cni_ipconfig mine[CNI_MAX_IPS];
			size_t n = 0;

			/* Only the addresses on our interface are ours to lease;
			 * a chained prevResult may carry others'. */
			for (size_t i = 0; i < p->n_ips && n < CNI_MAX_IPS; i++)
				if (p->ips[i].iface >= 0 && (size_t)p->ips[i].iface < p->n_ifaces &&
				    p->ifaces[p->ips[i].iface].sandbox &&
				    !strcmp(p->ifaces[p->ips[i].iface].name, c->env->ifname))
					mine[n++] = p->ips[i];
			return ipam_check(&conf->ipam, conf->name, c->env->container_id,
					  c->env->ifname, mine, n, err);
		}
		return pn_error(err, PN_CNI_INVALID_ENV, 0, "unknown IPAM verb %s", verb);
	}
	ret = cniclient_exec(c->env->path, conf->ipam.type, verb, c->raw, c->raw_len, &j, err);
	json_decref(j);
	return ret;
}

/*
 * Put the gateway address on the bridge.  Racing ADDs both succeed: the
 * loser gets EEXIST, which means the work is done.  Only when this call
 * added the address does it look for another address of the same subnet
 * (a changed gateway), which forceAddress replaces and otherwise refuses.
 */
static int bridge_ensure_gateway(struct nl_sock *s, const struct link_info *br,
				 const struct cni_ipconfig *ip, bool force, struct pn_err *err)
{
	struct pn_cidr gw = { .ip = ip->gateway, .prefix = ip->address.prefix };
	struct pn_cidr *addrs = NULL;
	char a[PN_CIDR_STRLEN], b[PN_CIDR_STRLEN];
	size_t n = 0;
	int ret;

	ret = addr_add(s, br->ifindex, &gw, ADDR_NODAD, err);
	if (ret == -EEXIST)
		return 0;
	if (ret < 0) {
		pn_err_prefix(err, "bridge %s", br->name);
		return ret;
	}
	ret = addr_list(s, br->ifindex, gw.ip.family, &addrs, &n, err);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (pn_ip_eq(&addrs[i].ip, &gw.ip) || !pn_cidr_overlaps(&addrs[i], &gw))
			continue;
		if (force) {
			ret = addr_del(s, br->ifindex, &addrs[i], err);
			if (ret < 0 && ret != -EADDRNOTAVAIL)
				goto out;
			continue;
		}
		struct pn_err scratch = { 0 };

		if (addr_del(s, br->ifindex, &gw, &scratch) < 0)
			pn_warn("cannot remove %s from %s: %s", pn_cidr_str(&gw, a), br->name,
				pn_err_msg(&scratch));
		pn_err_free(&scratch);
		ret = pn_error(err, PN_CNI_INVALID_CONFIG, 0,
			       "bridge %s already has address %s, not gateway %s; set forceAddress to replace it",
			       br->name, pn_cidr_str(&addrs[i], a), pn_cidr_str(&gw, b));
		goto out;
	}
	/* Deleting a primary IPv4 address takes its secondaries with it unless
	 * promote_secondaries is set: ours may have gone too, so put it back. */
	ret = addr_add(s, br->ifindex, &gw, ADDR_NODAD, err);
	if (ret == -EEXIST)
		ret = 0;
out:
	free(addrs);
	return ret;
}

static bool result_has_family(const struct cni_result *r, int family)
{
	for (size_t i = 0; i < r->n_ips; i++)
		if (r->ips[i].address.ip.family == family)
			return true;
	return false;
}

static const struct pn_ip *gateway_of_family(const struct cni_result *r, int family)
{
	for (size_t i = 0; i < r->n_ips; i++)
		if (r->ips[i].address.ip.family == family && r->ips[i].gateway.family)
			return &r->ips[i].gateway;
	return NULL;
}

static void default_route(int family, struct pn_cidr *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->ip.family = family;
}

static bool is_default_dst(const struct pn_cidr *c)
{
	return c->prefix == 0;
}

/* Addresses and routes inside the pod, over a socket opened in its netns. */
static int pod_configure(struct nl_sock *pod, int eth, const char *ifname, const struct cni_conf *conf,
			 const struct cni_result *ir, struct cni_result *res, struct pn_err *err)
{
	char a[PN_CIDR_STRLEN];
	int ret;

	for (size_t i = 0; i < ir->n_ips; i++) {
		/* NODAD: the address is usable at once; DAD on a fresh veth whose
		 * only other port is our bridge can find nothing, and waiting for
		 * it is what makes the reference plugin slow on IPv6. */
		ret = addr_add(pod, eth, &ir->ips[i].address, ADDR_NODAD, err);
		if (ret < 0 && ret != -EEXIST) {
			pn_err_prefix(err, "address %s on %s", pn_cidr_str(&ir->ips[i].address, a),
				      ifname);
			return ret;
		}
	}
	if (conf->is_default_gateway) {
		for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
			const struct pn_ip *gw = gateway_of_family(ir, fam);
			struct route_spec r;
			struct cni_route cr;

			if (!gw)
				continue;
			route_spec_init(&r);
			default_route(fam, &r.dst);
			r.gw = *gw;
			r.oif = eth;
			ret = route_add(pod, &r, err);
			if (ret < 0 && ret != -EEXIST) {
				pn_err_prefix(err, "default route via %s", pn_ip_str(gw, a));
				return ret;
			}
			cni_route_init(&cr);
			cr.dst = r.dst;
			cr.gw = *gw;
			if (cni_result_add_route(res, &cr) < 0)
				return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < ir->n_routes; i++) {
		const struct cni_route *cr = &ir->routes[i];
		const struct pn_ip *gw = cr->gw.family ? &cr->gw : gateway_of_family(ir, cr->dst.ip.family);
		struct route_spec r;

		/* isDefaultGateway already installed the default route. */
		if (conf->is_default_gateway && is_default_dst(&cr->dst))
			continue;
		route_spec_init(&r);
		r.dst = cr->dst;
		if (gw)
			r.gw = *gw;
		r.oif = eth;
		r.mtu = cr->mtu;
		r.advmss = cr->advmss;
		r.priority = cr->priority;
		r.table = cr->table;
		r.scope = cr->scope;
		ret = route_add(pod, &r, err);
		if (ret < 0 && ret != -EEXIST) {
			pn_err_prefix(err, "route to %s", pn_cidr_str(&cr->dst, a));
			return ret;
		}
		if (cni_result_add_route(res, cr) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	return 0;
}

/* The subnets of the addresses on interface @iface (-1: every address). */
static size_t masq_subnets(const struct cni_result *r, int iface, struct pn_cidr *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_ips && n < cap; i++) {
		struct pn_cidr net;
		bool dup = false;

		if (iface >= 0 && r->ips[i].iface != iface)
			continue;
		pn_cidr_network(&r->ips[i].address, &net);
		for (size_t k = 0; k < n; k++)
			dup |= pn_ip_eq(&out[k].ip, &net.ip) && out[k].prefix == net.prefix;
		if (!dup)
			out[n++] = net;
	}
	return n;
}

/* Start the result from prevResult when chained, so what earlier plugins
 * reported is passed on (SPEC: a plugin in a chain returns prevResult
 * with its own additions). */
static int result_start(const struct cni_conf *conf, struct cni_result **out, struct pn_err *err)
{
	json_t *j;
	int ret;

	if (!conf->prev_result) {
		*out = cni_result_new();
		return *out ? 0 : pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	j = cni_result_to_json(conf->prev_result, conf->version);
	if (!j)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = cni_result_parse(j, conf->version, out, err);
	json_decref(j);
	return ret;
}

static int open_pod_netns(const struct cni_env *env, struct pn_err *err)
{
	int fd = netns_open(env->netns, err);

	if (fd == -ENOENT)
		pn_error(err, PN_CNI_UNKNOWN_CONTAINER, ENOENT, "CNI_NETNS %s does not exist",
			 env->netns);
	else if (fd < 0 && err)
		err->code = PN_CNI_INVALID_ENV;
	return fd;
}

/*
 * portIsolation on the bridge: answer ARP for every address of the
 * subnet with the bridge's MAC even toward the port that asked
 * (proxy_arp + proxy_arp_pvlan), so an isolated pod reaches its
 * neighbours through the node's routing; no ICMP redirects from the
 * bridge (the node forwards back out of the interface the packet came
 * in on, which is what a redirect reports).  Read from the RTM_GETLINK
 * reply the bridge lookup made anyway, so a configured bridge costs
 * nothing more; IFLA_INET_CONF writes what sysctl would, without /proc.
 */
static int isolation_bridge_setup(struct nl_sock *s, const struct link_info *br, struct pn_err *err)
{
	struct link_ipv4_conf conf[3];
	char path[128];
	size_t n = 0;
	int ret;

	/* ARP requests are broadcasts, and the kernel delays a proxy reply to
	 * a broadcast by a random 0..proxy_delay (default 0.8 s, arp_process()
	 * -> pneigh_enqueue()): every first contact between two pods would
	 * wait for it.  Answer at once. */
	snprintf(path, sizeof(path), "net/ipv4/neigh/%s/proxy_delay", br->name);
	ret = sysctl_ensure(path, "0", err);
	if (ret < 0)
		return ret;

	/*
	 * Bridge netfilter (br_netfilter; built into some kernels, this one
	 * included, and on by default in every network namespace) runs the
	 * IP hooks on frames while they are still in the bridge.  A
	 * Service's DNAT to a pod of the same bridge then makes it bridge the
	 * frame to the new address's MAC (br_nf_pre_routing_finish_bridge)
	 * instead of routing it: from one isolated port to another, which
	 * isolation drops.  With portIsolation every pod-to-pod packet is
	 * routed through the node's IP layer (where NetworkPolicy and Service
	 * rules see it with conntrack), so the bridge-level pass is not
	 * wanted: turn it off for this namespace (ENOENT: no br_netfilter).
	 */
	for (size_t i = 0; i < 2; i++) {
		static const char *const brnf[] = { "net/bridge/bridge-nf-call-iptables",
						    "net/bridge/bridge-nf-call-ip6tables" };
		struct pn_err e2 = { 0 };

		ret = sysctl_ensure(brnf[i], "0", &e2);
		if (ret < 0 && e2.errnum != ENOENT) {
			pn_err_move(err, &e2);
			return ret;
		}
		pn_err_free(&e2);
	}

	if (br->proxy_arp != 1)
		conf[n++] = (struct link_ipv4_conf){ IPV4_DEVCONF_PROXY_ARP, 1 };
	if (br->proxy_arp_pvlan != 1)
		conf[n++] = (struct link_ipv4_conf){ IPV4_DEVCONF_PROXY_ARP_PVLAN, 1 };
	if (br->send_redirects != 0)
		conf[n++] = (struct link_ipv4_conf){ IPV4_DEVCONF_SEND_REDIRECTS, 0 };
	if (n == 0)
		return 0;
	ret = link_set_ipv4_conf(s, br->ifindex, conf, n, err);
	if (ret < 0)
		pn_err_prefix(err, "portIsolation on bridge %s", br->name);
	return ret;
}

/*
 * The IPv6 half of portIsolation: proxy_ndp has no "pvlan" mode; the
 * bridge answers neighbour solicitations for the addresses it holds proxy
 * entries for, one per pod address, without the default random delay of
 * up to 0.8 s (proxy_delay) that would stall every new neighbour.
 */
static int isolation_ipv6_setup(struct nl_sock *s, const struct link_info *br,
				const struct cni_result *ir, struct pn_err *err)
{
	struct pn_cidr ll = { .ip.family = AF_INET6, .prefix = 64 };
	char path[128], a[PN_IP_STRLEN];
	int ret;

	/* The node now resolves the pods' addresses for forwarded packets,
	 * and a neighbour solicitation needs a link-local source
	 * (ndisc_send_ns() sends nothing without one), which the bridge was
	 * made without (link_bridge_ensure): give it the EUI-64 one of its
	 * fixed MAC, without DAD (nobody else on the bridge can have it). */
	ll.ip.b[0] = 0xfe;
	ll.ip.b[1] = 0x80;
	ll.ip.b[8] = br->mac[0] ^ 0x02;
	ll.ip.b[9] = br->mac[1];
	ll.ip.b[10] = br->mac[2];
	ll.ip.b[11] = 0xff;
	ll.ip.b[12] = 0xfe;
	ll.ip.b[13] = br->mac[3];
	ll.ip.b[14] = br->mac[4];
	ll.ip.b[15] = br->mac[5];
	ret = addr_add(s, br->ifindex, &ll, ADDR_NODAD, err);
	if (ret == -EEXIST)
		ret = 0;
	if (ret < 0) {
		pn_err_prefix(err, "portIsolation: link-local address on bridge %s", br->name);
		return ret;
	}
	snprintf(path, sizeof(path), "net/ipv6/conf/%s/proxy_ndp", br->name);
	ret = sysctl_ensure(path, "1", err);
	if (ret == 0) {
		snprintf(path, sizeof(path), "net/ipv6/neigh/%s/proxy_delay", br->name);
		ret = sysctl_ensure(path, "0", err);
	}
	for (size_t i = 0; ret == 0 && i < ir->n_ips; i++) {
		if (ir->ips[i].address.ip.family != AF_INET6)
			continue;
		ret = neigh_proxy_add(s, br->ifindex, &ir->ips[i].address.ip, err);
		if (ret < 0)
			pn_err_prefix(err, "portIsolation: proxy NDP for %s",
				      pn_ip_str(&ir->ips[i].address.ip, a));
	}
	return ret;
}

static size_t result_ips(const struct cni_result *r, int iface, struct pn_ip *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_ips && n < cap; i++)
		if (iface < 0 || r->ips[i].iface == iface)
			out[n++] = r->ips[i].address.ip;
	return n;
}

int bridge_cmd_add(const struct cni_call *c, struct cni_result **out, struct pn_err *err)
{
	const struct cni_env *env = c->env;
	const struct cni_conf *conf = c->conf;
	struct nl_sock host = NL_SOCK_INIT, pod = NL_SOCK_INIT;
	struct cni_result *ir = NULL, *res = NULL;
	struct link_info br = { 0 }, hv, eth;
	struct pn_cidr subnets[CNI_MAX_IPS];
	unsigned char brmac[6], pmac[6], hmac[6];
	const char *mac = conf->rc_mac[0] ? conf->rc_mac : env->args.mac;
	char hname[16];
	bool leased = false, veth_made = false, guarded = false;
	bool guard = conf->spoof_check || conf->port_isolation;
	int nsfd = -1, ret, idx;
	uint64_t t0 = pn_now_ns();

	if (mac[0] && link_mac_parse(mac, pmac) < 0)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0, "invalid MAC address \"%s\"", mac);
	nsfd = open_pod_netns(env, err);
	if (nsfd < 0)
		return nsfd;
	ret = result_start(conf, &res, err);
	if (ret < 0)
		goto out;
	ret = nl_open(&host, NETLINK_ROUTE, err);
	if (ret < 0)
		goto out;

	bridge_host_veth_name(env->container_id, env->ifname, hname);
	/* podnet-ipam refuses a second ADD of an attachment itself; another
	 * IPAM plugin may hand out a second address, and rolling that back
	 * would release the first attachment's lease too.  So look first. */
	if (conf->has_ipam && !ipam_in_process(conf) && link_get(&host, hname, &hv, NULL) == 0) {
		ret = pn_error(err, PN_E_EXISTS, EEXIST,
			       "container %s already has interface %s (host veth %s exists)",
			       env->container_id, env->ifname, hname);
		goto out;
	}
	if (conf->has_ipam) {
		ret = ipam_run_add(c, &ir, err);
		if (ret < 0)
			goto out;
		leased = true;
		pn_fault_point("bridge.add.leased");
	} else {
		ir = cni_result_new();
		if (!ir) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	pn_debug("ipam done after %.0f us", (double)(pn_now_ns() - t0) / 1e3);

	/* A fixed, locally administered MAC keeps the bridge's address from
	 * following its lowest-numbered port as pods come and go. */
	random_mac(brmac);
	/* The host end's MAC is chosen here, so the result needs no lookup of
	 * the new link: a GETLINK of a veth costs more as pods accumulate (its
	 * reply resolves the peer's netns id). */
	random_mac(hmac);
	ret = link_bridge_ensure(&host,
				 &(struct bridge_opts){ .name = conf->bridge, .mtu = conf->mtu,
							.promisc = conf->promisc_mode, .mac = brmac },
				 &br, err);
	if (ret < 0)
		goto out;
	if (conf->promisc_mode && !(br.flags & IFF_PROMISC)) {
		ret = link_set_promisc(&host, br.ifindex, true, err);
		if (ret < 0)
			goto out;
	}
	if (conf->port_isolation) {
		ret = isolation_bridge_setup(&host, &br, err);
		if (ret < 0)
			goto out;
	}
	if (conf->is_gateway) {
		for (size_t i = 0; i < ir->n_ips; i++) {
			if (!ir->ips[i].gateway.family)
				continue;
			ret = bridge_ensure_gateway(&host, &br, &ir->ips[i], conf->force_address, err);
			if (ret < 0)
				goto out;
		}
	}

	/* One socket inside the pod serves the whole ADD, the veth's peer-side
	 * settings included. */
	ret = nl_open_in_netns(&pod, NETLINK_ROUTE, nsfd, err);
	if (ret < 0)
		goto out;
	ret = link_veth_create(&host,
			       &(struct veth_opts){
				       .host_name = hname,
				       .peer_name = env->ifname,
				       .peer_netns_fd = nsfd,
				       .master = br.ifindex,
				       .mtu = conf->mtu,
				       .peer_mac = mac[0] ? pmac : NULL,
				       .host_up = true,
				       .peer_up = true,
				       /* The host end needs no address at all; without a
					* link-local one it sends no DAD, MLD or router
					* solicitation that the bridge would flood to
					* every other pod on each ADD. */
				       .host_no_ipv6_ll = true,
				       .peer_no_ipv6_ll = !result_has_family(ir, AF_INET6),
				       .peer_arp_notify = true,
				       .host_isolated = conf->port_isolation,
				       .peer_sock = &pod,
				       .host_mac = hmac,
			       },
			       err);
	if (ret == -EEXIST) {
		struct pn_err scratch = { 0 };

		if (link_get(&host, hname, &hv, &scratch) == 0)
			ret = pn_error(err, PN_E_EXISTS, EEXIST,
				       "container %s already has interface %s (host veth %s exists)",
				       env->container_id, env->ifname, hname);
		else
			ret = pn_error(err, PN_E_EXISTS, EEXIST, "interface %s already exists in %s",
				       env->ifname, env->netns);
		pn_err_free(&scratch);
		goto out;
	}
	if (ret < 0)
		goto out;
	veth_made = true;
	pn_fault_point("bridge.add.veth-made");
	memset(&hv, 0, sizeof(hv));
	snprintf(hv.name, sizeof(hv.name), "%s", hname);
	link_mac_str(hmac, hv.mac_str);
	if (conf->hairpin_mode) {
		ret = link_get(&host, hname, &hv, err);
		if (ret < 0)
			goto out;
		ret = link_set_hairpin(&host, hv.ifindex, true, err);
		if (ret < 0)
			goto out;
	}

	ret = link_get(&pod, env->ifname, &eth, err);
	if (ret < 0)
		goto out;

	idx = cni_result_add_iface(res, br.name, br.mac_str, NULL, 0);
	if (idx >= 0)
		idx = cni_result_add_iface(res, hv.name, hv.mac_str, NULL, 0);
	if (idx >= 0)
		idx = cni_result_add_iface(res, eth.name, eth.mac_str, env->netns, conf->mtu);
	if (idx < 0) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ir->n_ips; i++) {
		if (cni_result_add_ip(res, &ir->ips[i].address,
				      ir->ips[i].gateway.family ? &ir->ips[i].gateway : NULL, idx) < 0) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	ret = pod_configure(&pod, eth.ifindex, env->ifname, conf, ir, res, err);
	if (ret < 0)
		goto out;
	pn_fault_point("bridge.add.configured");
	cni_dns_free(&res->dns);
	ret = cni_dns_copy(&res->dns, conf->dns.n_nameservers || conf->dns.domain ||
					      conf->dns.n_search || conf->dns.n_options
				      ? &conf->dns
				      : &ir->dns);
	if (ret < 0) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}

	if (result_has_family(ir, AF_INET)) {
		ret = sysctl_ensure("net/ipv4/ip_forward", "1", err);
		if (ret < 0)
			goto out;
	}
	if (result_has_family(ir, AF_INET6)) {
		ret = sysctl_ensure("net/ipv6/conf/all/forwarding", "1", err);
		if (ret < 0)
			goto out;
	}
	if (conf->port_isolation && result_has_family(ir, AF_INET6)) {
		ret = isolation_ipv6_setup(&host, &br, ir, err);
		if (ret < 0)
			goto out;
	}
	if (guard) {
		struct pn_ip ips[CNI_MAX_IPS];
		size_t n = result_ips(ir, -1, ips, PN_ARRAY_SIZE(ips));

		ret = guard_ensure(conf->name, err);
		if (ret == 0)
			ret = guard_port_add(conf->name, hname, eth.mac, ips, n, conf->spoof_check,
					     conf->port_isolation, err);
		if (ret < 0)
			goto out;
		guarded = true;
	}
	if (conf->ip_masq && ir->n_ips) {
		size_t n = masq_subnets(ir, -1, subnets, PN_ARRAY_SIZE(subnets));

		ret = nft_masq_ensure(conf->name, subnets, n, err);
		if (ret < 0)
			goto out;
	}
	pn_debug("ADD %s/%s done in %.0f us", env->container_id, env->ifname,
		 (double)(pn_now_ns() - t0) / 1e3);
	*out = res;
	res = NULL;
	ret = 0;
out:
	if (ret < 0) {
		struct pn_err scratch = { 0 };

		/* Undo in reverse: the port's guard entries, the proxy NDP
		 * entries, the pair (deleting one end removes both, with the
		 * pod's addresses and routes), then the lease. */
		if (guarded && guard_port_del(conf->name, hname, &scratch) < 0)
			pn_warn("rollback: cannot remove the guard entries of %s: %s", hname,
				pn_err_msg(&scratch));
		pn_err_free(&scratch);
		for (size_t i = 0; conf->port_isolation && ir && i < ir->n_ips; i++)
			if (ir->ips[i].address.ip.family == AF_INET6 && br.ifindex > 0 &&
			    neigh_proxy_del(&host, br.ifindex, &ir->ips[i].address.ip, NULL) < 0)
				pn_debug("rollback: no proxy NDP entry to remove");
		if (veth_made && link_del(&host, hname, &scratch) < 0 && scratch.msg)
			pn_warn("rollback: cannot delete %s: %s", hname, pn_err_msg(&scratch));
		if (leased && ipam_run_verb(c, "DEL", &scratch) < 0)
			pn_warn("rollback: cannot release the lease of %s: %s", env->container_id,
				pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
	nl_close(&pod);
	nl_close(&host);
	if (nsfd >= 0)
		close(nsfd);
	cni_result_free(ir);
	cni_result_free(res);
	return ret;
}

/* The proxy NDP entries of the attachment's IPv6 addresses, as prevResult
 * lists them (DEL has no other record of them; without prevResult they
 * stay, answering for an address nobody has until it is leased again). */
static void isolation_ipv6_cleanup(struct nl_sock *s, const struct cni_conf *conf)
{
	const struct cni_result *p = conf->prev_result;
	struct link_info br;

	if (!p || link_get(s, conf->bridge, &br, NULL) < 0)
		return;
	for (size_t i = 0; i < p->n_ips; i++)
		if (p->ips[i].address.ip.family == AF_INET6 &&
		    neigh_proxy_del(s, br.ifindex, &p->ips[i].address.ip, NULL) < 0)
			pn_debug("DEL: no proxy NDP entry to remove");
}

int bridge_cmd_del(const struct cni_call *c, struct pn_err *err)
{
	const struct cni_env *env = c->env;
	struct nl_sock host = NL_SOCK_INIT;
	struct pn_err lerr = { 0 };
	char hname[16];
	int ret, lret;

	/* DEL must succeed when things are already gone (SPEC: "plugins should
	 * generally complete a DEL action without error even if some resources
	 * are missing"): the netns is not needed at all, the host end has a
	 * known name, and the lease is released whatever happened to the link. */
	bridge_host_veth_name(env->container_id, env->ifname, hname);
	lret = nl_open(&host, NETLINK_ROUTE, &lerr);
	if (lret == 0 && c->conf->port_isolation)
		isolation_ipv6_cleanup(&host, c->conf);
	if (lret == 0) {
		lret = link_del(&host, hname, &lerr);
		if (lret == -ENODEV)
			lret = 0;
	}
	/* The port's guard entries: the table may be gone (GC), the entries
	 * too; only a failure to look is an error. */
	if (lret == 0 && (c->conf->spoof_check || c->conf->port_isolation))
		lret = guard_port_del(c->conf->name, hname, &lerr);
	pn_fault_point("bridge.del.link-deleted");
	ret = ipam_run_verb(c, "DEL", err);
	if (ret == 0 && lret < 0) {
		pn_err_move(err, &lerr);
		ret = lret;
	}
	pn_err_free(&lerr);
	nl_close(&host);
	return ret;
}

static bool has_addr(const struct pn_cidr *list, size_t n, const struct pn_cidr *a)
{
	for (size_t i = 0; i < n; i++)
		if (pn_ip_eq(&list[i].ip, &a->ip) && list[i].prefix == a->prefix)
			return true;
	return false;
}

static int check_routes(struct nl_sock *pod, int eth, const struct cni_result *p,
			struct pn_err *err)
{
	char a[PN_CIDR_STRLEN], g[PN_IP_STRLEN];
	int ret = 0;

	for (size_t i = 0; i < p->n_routes; i++) {
		const struct cni_route *cr = &p->routes[i];
		struct route_spec *rl = NULL;
		size_t n = 0;
		bool found = false;

		ret = route_list(pod, cr->dst.ip.family, cr->table, 0, &rl, &n, err);
		if (ret < 0)
			return ret;
		for (size_t k = 0; k < n && !found; k++) {
			struct pn_cidr want, have;

			pn_cidr_network(&cr->dst, &want);
			pn_cidr_network(&rl[k].dst, &have);
			if (want.prefix != have.prefix || !pn_ip_eq(&want.ip, &have.ip))
				continue;
			if (cr->gw.family && !pn_ip_eq(&cr->gw, &rl[k].gw))
				continue;
			found = true;
		}
		free(rl);
		if (!found)
			return pn_error(err, PN_E_CHECK, ENOENT, "route to %s%s%s missing in the pod",
					pn_cidr_str(&cr->dst, a), cr->gw.family ? " via " : "",
					cr->gw.family ? pn_ip_str(&cr->gw, g) : "");
	}
	(void)eth;
	return 0;
}

/*
 * portIsolation and spoofCheck, as ADD left them: the port isolated, the
 * bridge answering ARP for the pods, the guard's entries for this port.
 * What is missing is reported and put back, as for masquerade: the
 * settings are the network's, and every packet meanwhile went unguarded.
 */
static int check_isolation(struct nl_sock *host, const struct cni_conf *conf,
			   const struct link_info *br, const struct link_info *hv,
			   const struct link_info *eth, const struct cni_result *p, int iface,
			   struct pn_err *err)
{
	struct pn_err scratch = { 0 };
	struct pn_ip ips[CNI_MAX_IPS];
	size_t n;
	int ret;

	if (conf->port_isolation && hv->isolated != 1) {
		ret = pn_error(err, PN_E_CHECK, EINVAL, "host veth %s is not an isolated bridge port",
			       hv->name);
		if (link_set_isolated(host, hv->ifindex, true, &scratch) == 0)
			pn_err_details(err, "restored by this CHECK");
		goto out;
	}
	if (conf->port_isolation && (br->proxy_arp != 1 || br->proxy_arp_pvlan != 1)) {
		ret = pn_error(err, PN_E_CHECK, EINVAL,
			       "bridge %s does not answer ARP for isolated pods (proxy_arp %d, proxy_arp_pvlan %d)",
			       br->name, br->proxy_arp, br->proxy_arp_pvlan);
		if (isolation_bridge_setup(host, br, &scratch) == 0)
			pn_err_details(err, "restored by this CHECK");
		goto out;
	}
	ret = 0;
	if (!conf->spoof_check && !conf->port_isolation)
		goto out;
	n = result_ips(p, iface, ips, PN_ARRAY_SIZE(ips));
	ret = guard_port_check(conf->name, hv->name, eth->mac, ips, n, conf->spoof_check,
			       conf->port_isolation, err);
	if (ret < 0 && err && err->code == PN_E_CHECK &&
	    guard_ensure(conf->name, &scratch) == 0 &&
	    guard_port_add(conf->name, hv->name, eth->mac, ips, n, conf->spoof_check,
			   conf->port_isolation, &scratch) == 0)
		pn_err_details(err, "restored by this CHECK");
out:
	pn_err_free(&scratch);
	return ret;
}

int bridge_cmd_check(const struct cni_call *c, struct pn_err *err)
{
	const struct cni_env *env = c->env;
	const struct cni_conf *conf = c->conf;
	const struct cni_result *p = conf->prev_result;
	struct nl_sock host = NL_SOCK_INIT, pod = NL_SOCK_INIT;
	struct link_info br, hv, eth;
	struct pn_cidr *addrs = NULL, subnets[CNI_MAX_IPS];
	char hname[16], a[PN_CIDR_STRLEN];
	size_t n_addrs = 0;
	int nsfd = -1, ret, iface = -1;

	if (!p)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"CHECK needs prevResult in the network config");
	for (size_t i = 0; i < p->n_ifaces; i++)
		if (p->ifaces[i].sandbox && !strcmp(p->ifaces[i].name, env->ifname))
			iface = (int)i;
	if (iface < 0)
		return pn_error(err, PN_E_CHECK, ENOENT,
				"prevResult lists no interface %s inside a sandbox", env->ifname);
	nsfd = open_pod_netns(env, err);
	if (nsfd < 0)
		return nsfd;
	ret = nl_open(&host, NETLINK_ROUTE, err);
	if (ret < 0)
		goto out;

	ret = link_get(&host, conf->bridge, &br, err);
	if (ret == -ENODEV) {
		ret = pn_error(err, PN_E_CHECK, ENODEV, "bridge %s does not exist", conf->bridge);
		goto out;
	}
	if (ret < 0)
		goto out;
	if (strcmp(br.kind, "bridge")) {
		ret = pn_error(err, PN_E_CHECK, EINVAL, "%s is a %s link, not a bridge", br.name,
			       br.kind[0] ? br.kind : "plain");
		goto out;
	}
	if (!(br.flags & IFF_UP)) {
		ret = pn_error(err, PN_E_CHECK, ENETDOWN, "bridge %s is down", br.name);
		goto out;
	}
	bridge_host_veth_name(env->container_id, env->ifname, hname);
	ret = link_get(&host, hname, &hv, err);
	if (ret == -ENODEV) {
		ret = pn_error(err, PN_E_CHECK, ENODEV, "host veth %s of %s/%s does not exist", hname,
			       env->container_id, env->ifname);
		goto out;
	}
	if (ret < 0)
		goto out;
	if (hv.master != br.ifindex) {
		ret = pn_error(err, PN_E_CHECK, EINVAL, "host veth %s is not attached to bridge %s",
			       hname, br.name);
		goto out;
	}
	if (!(hv.flags & IFF_UP)) {
		ret = pn_error(err, PN_E_CHECK, ENETDOWN, "host veth %s is down", hname);
		goto out;
	}

	ret = nl_open_in_netns(&pod, NETLINK_ROUTE, nsfd, err);
	if (ret < 0)
		goto out;
	ret = link_get(&pod, env->ifname, &eth, err);
	if (ret == -ENODEV) {
		ret = pn_error(err, PN_E_CHECK, ENODEV, "interface %s does not exist in %s",
			       env->ifname, env->netns);
		goto out;
	}
	if (ret < 0)
		goto out;
	if (hv.link != eth.ifindex) {
		ret = pn_error(err, PN_E_CHECK, EINVAL, "%s in the pod is not the peer of host veth %s",
			       env->ifname, hname);
		goto out;
	}
	if (p->ifaces[iface].mac && p->ifaces[iface].mac[0] &&
	    strcasecmp(p->ifaces[iface].mac, eth.mac_str)) {
		ret = pn_error(err, PN_E_CHECK, EINVAL, "%s has MAC %s, prevResult says %s",
			       env->ifname, eth.mac_str, p->ifaces[iface].mac);
		goto out;
	}
	if (!(eth.flags & IFF_UP)) {
		ret = pn_error(err, PN_E_CHECK, ENETDOWN, "%s in the pod is down", env->ifname);
		goto out;
	}
	ret = addr_list(&pod, eth.ifindex, AF_UNSPEC, &addrs, &n_addrs, err);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < p->n_ips; i++) {
		if (p->ips[i].iface != iface)
			continue;
		if (!has_addr(addrs, n_addrs, &p->ips[i].address)) {
			ret = pn_error(err, PN_E_CHECK, ENOENT, "address %s missing on %s",
				       pn_cidr_str(&p->ips[i].address, a), env->ifname);
			goto out;
		}
	}
	ret = check_routes(&pod, eth.ifindex, p, err);
	if (ret < 0)
		goto out;
	ret = check_isolation(&host, conf, &br, &hv, &eth, p, iface, err);
	if (ret < 0)
		goto out;

	if (conf->ip_masq) {
		size_t n = masq_subnets(p, iface, subnets, PN_ARRAY_SIZE(subnets));

		ret = nft_masq_check(conf->name, subnets, n, err);
		if (ret < 0) {
			struct pn_err scratch = { 0 };

			/* Report it, and repair it: the rules are the network's, and
			 * every pod of it lost its way out meanwhile. */
			if (nft_masq_ensure(conf->name, subnets, n, &scratch) == 0)
				pn_err_details(err, "restored by this CHECK");
			pn_err_free(&scratch);
			goto out;
		}
	}
	ret = ipam_run_verb(c, "CHECK", err);
out:
	free(addrs);
	nl_close(&pod);
	nl_close(&host);
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}

int bridge_cmd_gc(const struct cni_call *c, struct pn_err *err)
{
	const struct cni_conf *conf = c->conf;
	int ret;

	if (!conf->has_valid)
		return pn_error(err, PN_CNI_INVALID_CONFIG, 0,
				"GC needs cni.dev/valid-attachments in the network config");
	ret = ipam_run_verb(c, "GC", err);
	if (ret < 0)
		return ret;
	if (conf->spoof_check || conf->port_isolation) {
		char (*names)[16] = calloc(conf->n_valid + 1, sizeof(*names));
		char **keep = calloc(conf->n_valid + 1, sizeof(*keep));

		if (!names || !keep)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		for (size_t i = 0; ret == 0 && i < conf->n_valid; i++) {
			bridge_host_veth_name(conf->valid[i].container_id, conf->valid[i].ifname,
					      names[i]);
			keep[i] = names[i];
		}
		if (ret == 0)
			ret = guard_gc(conf->name, keep, conf->n_valid, err);
		free(names);
		free(keep);
		if (ret < 0)
			return ret;
	}
	/* The masquerade rules are the network's, not a pod's: they go when
	 * the network has no attachment left. */
	if (conf->n_valid == 0)
		ret = nft_masq_remove(conf->name, err);
	return ret;
}

int bridge_cmd_status(const struct cni_call *c, struct pn_err *err)
{
	int ret = ipam_run_verb(c, "STATUS", err);

	if (ret < 0 && err && err->code != PN_CNI_NOT_AVAILABLE &&
	    err->code != PN_CNI_LIMITED_CONNECTIVITY && ipam_in_process(c->conf))
		err->code = PN_CNI_NOT_AVAILABLE;
	return ret;
}
