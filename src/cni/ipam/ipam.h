/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_IPAM_H
#define PODNET_IPAM_H

/*
 * podnet-ipam: host-local compatible address management that heals.
 *
 * Store layout, under <dataDir>/<network>/ (dataDir default
 * /var/lib/cni/networks, like host-local):
 *   lock                     flock(2)ed for every change: plugin processes
 *                            serialize here, and a killed holder's lock is
 *                            released by the kernel
 *   by-attachment/<id>-<ifname>  the attachment's record: container id,
 *                            ifname, netns, boot id, creation time, then
 *                            one line per address, each appended before
 *                            the address is linked, so DEL finds every
 *                            lease of it without a scan
 *   <ip>                     one lease per address: a hard link to the
 *                            attachment's record, made by link(2), which
 *                            fails if the address is taken, so a crash
 *                            leaves either no lease or a whole one
 *   last_reserved_ip.<set>   allocation cursor per range set (as host-local)
 * Anything a crash leaves half-made (temp files, an index without leases,
 * leases without an index) is reclaimed by GC and by the exhaustion path.
 */

#include <stdbool.h>
#include <time.h>

#include "cni.h"

struct ipam_request {
	const char *network;
	const char *container_id;
	const char *ifname;
	const char *netns;
	/* Wanted addresses (CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips):
	 * each must fall in one range set, at most one per set. */
	const struct pn_ip *requested;
	size_t n_requested;
};

/*
 * Allocate one address from every range set of @conf for the attachment.
 * Appends to @res: an ipconfig per address (gateway = the range's gateway,
 * iface -1), the configured routes, and the DNS of resolvConf if set.
 * An attachment that already holds leases is an error (PN_E_EXISTS).
 * When a set is exhausted, stale leases are reclaimed first (a boot id
 * other than the current one, or a netns path that no longer exists);
 * then PN_E_IPAM_EXHAUSTED naming the range set.  A requested address
 * leased to someone else: PN_E_IPAM_CONFLICT.  Nothing is left behind on
 * failure.
 */
int ipam_add(const struct cni_ipam_conf *conf, const struct ipam_request *req,
	     struct cni_result *res, struct pn_err *err) PN_MUST_CHECK;

/* Release every lease of the attachment; 0 when it holds none. */
int ipam_del(const struct cni_ipam_conf *conf, const char *network, const char *container_id,
	     const char *ifname, struct pn_err *err) PN_MUST_CHECK;

/* 0 if the attachment holds a lease for each address in @ips; else
 * PN_E_CHECK naming the missing address. */
int ipam_check(const struct cni_ipam_conf *conf, const char *network, const char *container_id,
	       const char *ifname, const struct cni_ipconfig *ips, size_t n_ips,
	       struct pn_err *err) PN_MUST_CHECK;

/* Release every lease whose attachment is not in @valid, and anything a
 * crash left half-made.  *n_freed (may be NULL) counts released leases. */
int ipam_gc(const struct cni_ipam_conf *conf, const char *network,
	    const struct cni_attachment *valid, size_t n_valid, size_t *n_freed,
	    struct pn_err *err) PN_MUST_CHECK;

/* 0 if every range set has a free (or reclaimable) address; else
 * -ENOSPC with PN_CNI_NOT_AVAILABLE naming the exhausted set. */
int ipam_status(const struct cni_ipam_conf *conf, const char *network,
		struct pn_err *err) PN_MUST_CHECK;

struct ipam_lease {
	struct pn_ip ip;
	char container_id[256];
	char ifname[16];
	char netns[256];
	char boot_id[40];
	time_t created;
	bool stale;             /* reclaimable: older boot or netns gone */
};

/* Every lease of @network under @data_dir (NULL: default), sorted by ip. */
int ipam_list(const char *data_dir, const char *network, struct ipam_lease **out, size_t *n,
	      struct pn_err *err) PN_MUST_CHECK;

/* Networks that have a store under @data_dir (NULL: default). */
int ipam_list_networks(const char *data_dir, char ***out, size_t *n, struct pn_err *err) PN_MUST_CHECK;

#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/networks"

#endif
