/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_LISTCACHE_H
#define PODNET_LISTCACHE_H

/*
 * Lists as sent, kept for the next identical request.  `kubectl get pods`
 * in a loop, a dashboard, 16 clients polling: the same list, as the same
 * Table, again and again while nothing changed.  A list's bytes depend
 * only on the request (kind, namespace, selectors, limit, continue, Table
 * or not) and on the objects at the cache's resourceVersion, plus for a
 * Table the second it is made at (the Age column).  So a body made at
 * resourceVersion R and second S answers every request for the same key
 * that starts while the cache is still at R and the clock at S.
 *
 * Why that is as fresh as making it again: a request reads the cache's
 * resourceVersion first (@rv below) and is served only a body made at that
 * resourceVersion or later.  Every write a client saw acknowledged before
 * its request is at or below that resourceVersion (the handlers reply after
 * the cache holds the write), so the list shows it.
 *
 * One maker per key: requests that find the body for their key being made
 * wait for it instead of making it too (16 clients at the moment the
 * resourceVersion moves would otherwise make 16 copies of a list at once).
 *
 * Bodies are shared, counted references: a response holds its body until
 * libmicrohttpd has sent it.  The cache holds LISTCACHE_SLOTS bodies at
 * most, none over LISTCACHE_MAX_BODY bytes, and lets go of a body as soon
 * as a newer resourceVersion or second makes it useless.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define LISTCACHE_SLOTS 8
#define LISTCACHE_MAX_BODY (8u * 1024 * 1024)

struct listcache;

struct listcache_body {
	const char *data;
	size_t len;
	bool gzip;       /* data is gzip (Content-Encoding) */
};

/* Who makes a body: filled by listcache_get() when the caller is to make
 * it; hand it back to listcache_put(). */
struct listcache_claim {
	int slot;         /* -1: nothing claimed (the body is not kept) */
	uint64_t gen;
};

int listcache_new(struct listcache **out) PN_MUST_CHECK;
/* Every reference must have been released. */
void listcache_free(struct listcache *lc);

/*
 * The body for @key made at resourceVersion @rv or later and at @stamp
 * (the second a Table is made at; 0 for what does not depend on time):
 * a reference, released with listcache_release().  NULL: the caller makes
 * the body and must call listcache_put() with @claim whatever happens.
 * Waits while another request makes the same key's body.
 */
const struct listcache_body *listcache_get(struct listcache *lc, const char *key, uint64_t rv,
					   int64_t stamp, struct listcache_claim *claim);

/*
 * The body the claimant made (@data heap, taken over, gzip or not; NULL
 * when it could not be made: the next request for the key makes it), at resourceVersion
 * @rv (the list's own, which may be newer than the one asked for).
 * Returns a reference to it for the caller's response (NULL when @data
 * was NULL or memory ran out: @data is then freed).
 */
const struct listcache_body *listcache_put(struct listcache *lc, const struct listcache_claim *claim,
					   char *data, size_t len, bool gzip, uint64_t rv,
					   int64_t stamp);

/* Let go of the Tables made before second @now (no request can be served
 * them any more): a list of hundreds of pods is not kept in memory for
 * nobody.  Called once a second. */
void listcache_expire(struct listcache *lc, int64_t now);

/* Release a reference (NULL is ignored); the signature libmicrohttpd's
 * free callback has. */
void listcache_release(void *body);

#endif
