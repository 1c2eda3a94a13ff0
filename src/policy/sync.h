/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_SYNC_H
#define PODNET_SYNC_H

/*
 * Make the kernel enforce what the store holds: load the world, generate
 * podnet's nftables table, and apply the difference from what was applied
 * last, in one nf_tables transaction.
 *
 *  - The last applied model is kept in <root>/nftables.json with the
 *    kernel's handle of the table it was applied to.  When the table in
 *    the kernel still has that handle, only the difference is sent (a few
 *    elements when a pod comes or goes, a chain or two when a policy
 *    changes); otherwise (first run, reboot, someone deleted the table, a
 *    diff the kernel refused) the whole table is replaced, still in one
 *    transaction.
 *  - An empty model (nothing isolated) deletes the table: no policy, no
 *    cost per packet.
 *  - Syncs are serialised by an flock on <root>/nftables.lock, and each
 *    reads the store inside the lock, so the last one to run applies the
 *    latest state whatever the order of concurrent commands.
 *
 * Callers: every change that can move a verdict (a policy applied or
 * deleted, a namespace's labels, a pod created — after CNI ADD, before its
 * containers start — relabelled or deleted).
 */

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "util.h"

struct store;

struct pol_sync_report {
	bool changed;          /* something was sent to the kernel */
	bool full;             /* the whole table was replaced */
	bool deleted;          /* the table was removed (nothing to enforce) */
	size_t chains, sets, elems, rules;   /* of the model now applied */
	size_t script_bytes;   /* of what was sent */
	double ms;             /* wall time of the whole sync */
};

int pol_sync(struct store *st, const char *root, struct pol_sync_report *rep,
	     struct pn_err *err) PN_MUST_CHECK;

/*
 * Is the kernel enforcing what the store says?  For the doctor: compares
 * the model the store gives now with the one last applied, and that one's
 * table handle with the kernel's table.  Changes nothing.
 */
enum pol_enforcement {
	POL_ENFORCED = 0,      /* the kernel holds what the store says */
	POL_NOTHING,           /* nothing to enforce, and no table */
	POL_TABLE_MISSING,     /* policies isolate pods, but the kernel has no table */
	POL_TABLE_REPLACED,    /* a table of that name, not the one podnet applied */
	POL_STALE,             /* the applied rules are older than the store's objects */
	POL_LEFTOVER,          /* nothing to enforce, yet the table is there */
};
int pol_sync_status(struct store *st, const char *root, enum pol_enforcement *out,
		    struct pn_err *err) PN_MUST_CHECK;
const char *pol_enforcement_str(enum pol_enforcement e);

#endif
