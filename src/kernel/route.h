/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_ROUTE_H
#define PODNET_ROUTE_H

#include "nl.h"

struct route_spec {
	struct pn_cidr dst;     /* 0.0.0.0/0 or ::/0 for default */
	struct pn_ip gw;        /* family 0: none (scope link route) */
	int oif;                /* 0: let the kernel pick */
	int table;              /* 0: main */
	int priority;           /* 0: unset */
	int mtu;                /* RTAX_MTU, 0: unset */
	int advmss;             /* RTAX_ADVMSS, 0: unset */
	int scope;              /* -1: kernel default for gw/no gw */
	int protocol;           /* 0: RTPROT_BOOT */
};

void route_spec_init(struct route_spec *r);
/* -EEXIST if an identical route exists (err not filled then). */
int route_add(struct nl_sock *s, const struct route_spec *r, struct pn_err *err) PN_MUST_CHECK;
int route_del(struct nl_sock *s, const struct route_spec *r, struct pn_err *err) PN_MUST_CHECK;
/* Routes of @family in @table (0: main) whose oif is @oif (0: any). */
int route_list(struct nl_sock *s, int family, int table, int oif, struct route_spec **out,
	       size_t *n, struct pn_err *err) PN_MUST_CHECK;

/*
 * The route the kernel would use for @dst now (RTM_GETROUTE, as `ip route
 * get`): its output interface and gateway (family 0: on-link).
 * -ENETUNREACH/-EHOSTUNREACH... when there is none (err filled).
 */
struct route_hop {
	int oif;
	struct pn_ip gw;
	struct pn_ip src;          /* preferred source, family 0 if none */
	int type;                  /* RTN_UNICAST, RTN_LOCAL, ... */
};
int route_get(struct nl_sock *s, const struct pn_ip *dst, struct route_hop *out,
	      struct pn_err *err) PN_MUST_CHECK;

#endif
