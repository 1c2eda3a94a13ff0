/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_LINK_H
#define PODNET_LINK_H

/* Links over rtnetlink: bridges and veth pairs. */

#include <net/if.h>
#include <stdbool.h>

#include "nl.h"

struct link_info {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[16];          /* IFLA_INFO_KIND: "bridge", "veth", "" */
	unsigned int flags;     /* IFF_* */
	int mtu;
	int master;             /* IFLA_MASTER ifindex, 0 = none */
	int link;               /* IFLA_LINK: a veth's peer ifindex (in link_netnsid's ns) */
	int link_netnsid;       /* IFLA_LINK_NETNSID, -1 = same namespace */
	unsigned char mac[6];
	char mac_str[18];       /* "aa:bb:cc:dd:ee:ff" */
	int hairpin;            /* bridge port hairpin mode, -1 = unknown/not a port */
	int isolated;           /* bridge port isolation (IFLA_BRPORT_ISOLATED), -1 = unknown/not a port */
	int addr_gen_mode;      /* IFLA_INET6_ADDR_GEN_MODE, -1 = unknown */
	/* IPv4 devconf (IFLA_INET_CONF), -1 = unknown */
	int proxy_arp, proxy_arp_pvlan, send_redirects;
};

/* Look a link up by name; -ENODEV if absent (err filled only on other errors). */
int link_get(struct nl_sock *s, const char *name, struct link_info *out, struct pn_err *err) PN_MUST_CHECK;
int link_get_index(struct nl_sock *s, int ifindex, struct link_info *out, struct pn_err *err) PN_MUST_CHECK;

/* Every link of the socket's namespace, by ifindex; *out malloc'ed. */
int link_list(struct nl_sock *s, struct link_info **out, size_t *n, struct pn_err *err) PN_MUST_CHECK;

struct bridge_opts {
	const char *name;
	int mtu;                /* 0: leave default */
	bool promisc;
	const unsigned char *mac; /* fixed MAC so it does not follow its ports; NULL: kernel's */
};

/*
 * Create the bridge if missing and bring it up; safe when several processes
 * race to create it (EEXIST from a racing creator is success).  An existing
 * link of that name that is not a bridge is an error naming its kind.
 * Disables IPv6 address generation on the bridge only when it creates it.
 */
int link_bridge_ensure(struct nl_sock *s, const struct bridge_opts *o, struct link_info *out,
		       struct pn_err *err) PN_MUST_CHECK;

struct veth_opts {
	const char *host_name;    /* on the caller's (node) side */
	const char *peer_name;    /* created directly in @peer_netns_fd */
	int peer_netns_fd;
	int master;               /* host side enslaved at creation; 0: none */
	int mtu;                  /* both ends; 0: default */
	const unsigned char *peer_mac; /* NULL: random */
	const unsigned char *host_mac; /* NULL: random */
	bool host_up;             /* created up */
	bool peer_up;
	bool host_no_ipv6_ll;     /* IFLA_INET6_ADDR_GEN_MODE = NONE on the host end */
	bool peer_no_ipv6_ll;     /* same on the peer */
	bool peer_arp_notify;     /* IPV4_DEVCONF_ARP_NOTIFY on the peer */
	bool host_isolated;       /* bridge port isolation on the host end (needs master) */
	/* Optional: a socket already open in @peer_netns_fd.  The three peer
	 * flags above need RTM_SETLINKs in the peer's namespace after
	 * creation; without this socket one is opened for them from a
	 * short-lived thread (~70 us). */
	struct nl_sock *peer_sock;
};

/* One RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL: -EEXIST if either name
 * exists.  The kernel takes neither IFF_UP for the peer nor IFLA_AF_SPEC
 * at creation (see link.c), so host_no_ipv6_ll adds one RTM_SETLINK on the
 * host end and peer_up / peer_no_ipv6_ll / peer_arp_notify one or two in
 * the peer's namespace.  On failure after creation the pair is deleted. */
int link_veth_create(struct nl_sock *s, const struct veth_opts *o, struct pn_err *err) PN_MUST_CHECK;

int link_del(struct nl_sock *s, const char *name, struct pn_err *err) PN_MUST_CHECK; /* -ENODEV if absent */
int link_del_index(struct nl_sock *s, int ifindex, struct pn_err *err) PN_MUST_CHECK;
int link_set_up(struct nl_sock *s, int ifindex, bool up, struct pn_err *err) PN_MUST_CHECK;
int link_set_promisc(struct nl_sock *s, int ifindex, bool on, struct pn_err *err) PN_MUST_CHECK;
/* Bridge port flag (AF_BRIDGE IFLA_PROTINFO IFLA_BRPORT_MODE). */
int link_set_hairpin(struct nl_sock *s, int ifindex, bool on, struct pn_err *err) PN_MUST_CHECK;
/* Bridge port isolation (IFLA_BRPORT_ISOLATED): an isolated port
 * exchanges frames with non-isolated ports (and the bridge) only. */
int link_set_isolated(struct nl_sock *s, int ifindex, bool on, struct pn_err *err) PN_MUST_CHECK;

/* IPv4 per-device settings (IPV4_DEVCONF_* ids, 1-based) in one
 * RTM_SETLINK: what `sysctl net.ipv4.conf.DEV.*` writes, without /proc. */
struct link_ipv4_conf {
	int id;
	uint32_t value;
};
int link_set_ipv4_conf(struct nl_sock *s, int ifindex, const struct link_ipv4_conf *conf, size_t n,
		       struct pn_err *err) PN_MUST_CHECK;

/* Parse "aa:bb:cc:dd:ee:ff"; -EINVAL otherwise. */
int link_mac_parse(const char *s, unsigned char mac[6]) PN_MUST_CHECK;
void link_mac_str(const unsigned char mac[6], char out[18]);

#endif
