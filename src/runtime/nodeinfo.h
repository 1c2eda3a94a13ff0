/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NODEINFO_H
#define PODNET_NODEINFO_H

/*
 * What the node reports about itself, as kubelet does in its Node object
 * and in each pod's status.hostIP: its name, its address, the pod network
 * it hands addresses from, its capacity and software.
 */

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

struct nodeinfo {
	char name[256];           /* the host name, lower case (kubelet's default) */
	char ip[PN_IP_STRLEN];    /* InternalIP; "" when none found */
	char pod_cidr[PN_CIDR_STRLEN]; /* the podnet network's first range; "" if none */
	int cpus;
	int64_t memory_kib;
	int64_t storage_kib;      /* the file system of PODNET_ROOT */
	char os_image[128];       /* os-release PRETTY_NAME */
	char kernel[65];          /* uname -r */
	char arch[65];            /* GOARCH spelling: amd64, arm64 */
	char machine_id[64];
	char boot_id[64];
};

/*
 * The node's address, as kubelet picks it without --node-ip: the first
 * global address of the interface that holds the IPv4 default route (else
 * the IPv6 one), else the first global address of any interface that is
 * not a pod bridge or veth; "" when the node has none.
 */
int nodeinfo_address(char ip[PN_IP_STRLEN], struct pn_err *err) PN_MUST_CHECK;

/*
 * Fill @ni.  @name / @ip override the defaults (NULL: detect); @cni_conf_dir
 * is read for the pod network (the first range of its IPAM); @root sizes
 * the ephemeral storage.
 */
int nodeinfo_get(struct nodeinfo *ni, const char *name, const char *ip, const char *cni_conf_dir,
		 const char *root, struct pn_err *err) PN_MUST_CHECK;

#endif
