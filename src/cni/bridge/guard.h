/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_GUARD_H
#define PODNET_GUARD_H

/*
 * The pod ports' guard: one bridge-family table per network,
 *
 *   table bridge podnet-<network>
 *     set checked  { ifname }                          ports under spoofCheck
 *     set mac      { ifname . ether_addr }             each port's pod MAC
 *     set addr4/6  { ifname . ether_addr . ipvX_addr } each port's pod addresses
 *     set isolated { ifname }                          ports under portIsolation
 *     chain prerouting (hook prerouting, priority -300): a checked port's
 *       frames pass only with the pod's MAC, and IPv4 / ARP / IPv6 only
 *       with one of its addresses (IPv6 also from :: and link-local, for
 *       DAD and neighbour discovery); everything else is dropped
 *     chain output (hook output): no ICMP or ICMPv6 redirect toward an
 *       isolated port (the node routes pod-to-pod traffic back out of the
 *       bridge it came in on, and a redirect would send the pod straight
 *       to the other pod's MAC, which isolation refuses)
 *
 * The table is the network's, made once by `nft -f -` (this plugin is
 * static and cannot link libnftables) with idempotent commands only, so
 * racing ADDs never drop each other's entries; the per-pod entries are
 * set elements added and removed over nfnetlink, microseconds per ADD.
 * It filters in the bridge family because that is the only place that
 * still knows which port a frame came from: in the inet hooks every pod
 * arrives on the bridge device.
 */

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "util.h"

/* The table exists with its chains (cheap check, nfnetlink), else make it. */
int guard_ensure(const char *network, struct pn_err *err) PN_MUST_CHECK;

/* A port's entries: with @spoof its MAC and @ips (checked), with
 * @isolated the redirect filter.  One transaction. */
int guard_port_add(const char *network, const char *port, const unsigned char mac[6],
		   const struct pn_ip *ips, size_t n_ips, bool spoof, bool isolated,
		   struct pn_err *err) PN_MUST_CHECK;

/* Every entry of @port, whatever its MAC and addresses were (looked up in
 * the sets, since DEL knows neither).  0 when there are none or no table. */
int guard_port_del(const char *network, const char *port, struct pn_err *err) PN_MUST_CHECK;

/* Are the port's entries there?  -ENOENT with PN_E_CHECK naming the
 * first missing one. */
int guard_port_check(const char *network, const char *port, const unsigned char mac[6],
		     const struct pn_ip *ips, size_t n_ips, bool spoof, bool isolated,
		     struct pn_err *err) PN_MUST_CHECK;

/* Remove the entries of every port not in @keep (host veth names); with
 * @n_keep 0 the whole table goes. */
int guard_gc(const char *network, char *const *keep, size_t n_keep, struct pn_err *err) PN_MUST_CHECK;

#endif
