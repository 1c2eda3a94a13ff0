/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_BRIDGE_H
#define PODNET_BRIDGE_H

/*
 * The podnet-bridge CNI plugin's verbs.  ADD builds one attachment: the node
 * bridge (if missing) with its gateway addresses, a veth pair created with
 * one end already named CNI_IFNAME inside the pod's netns and the other on
 * the bridge, addresses from IPAM without DAD, routes, forwarding and the
 * network's masquerade rules.  Every step registers its undo, so a failed
 * ADD leaves no link, address or lease.
 */

#include "skel.h"

/* Host-side veth name of an attachment: "veth" + 11 hex digits of a hash
 * of container id and ifname, so DEL finds it without the pod's netns. */
void bridge_host_veth_name(const char *container_id, const char *ifname, char out[16]);

int bridge_cmd_add(const struct cni_call *c, struct cni_result **out,
		   struct pn_err *err) PN_MUST_CHECK;
int bridge_cmd_del(const struct cni_call *c, struct pn_err *err) PN_MUST_CHECK;
int bridge_cmd_check(const struct cni_call *c, struct pn_err *err) PN_MUST_CHECK;
int bridge_cmd_gc(const struct cni_call *c, struct pn_err *err) PN_MUST_CHECK;
int bridge_cmd_status(const struct cni_call *c, struct pn_err *err) PN_MUST_CHECK;

#endif
