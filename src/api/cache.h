/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_CACHE_H
#define PODNET_CACHE_H

/*
 * The objects podnetd serves, in memory, and their change history: what
 * kube-apiserver's watch cache is to etcd.  The state database stays the
 * truth; the cache mirrors it (cache_apply() for every change seen, in
 * resourceVersion order) so that lists, gets and watches never touch
 * SQLite or the pods' status files.
 *
 * Objects are immutable JSON once applied: readers get their own
 * reference (jansson counts references atomically) and may read it without
 * a lock; a change replaces the object.
 *
 * Watches replay the history after a resourceVersion.  The history is a
 * ring of the last CACHE_HISTORY changes; a watch from before its start
 * (or from before this process started) is "too old" and the client lists
 * again, exactly as with kube-apiserver's 410 Gone.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "apires.h"
#include "util.h"

#define CACHE_HISTORY 4096

enum cache_event_type { CACHE_ADDED = 0, CACHE_MODIFIED, CACHE_DELETED };

struct cache;
struct cache_watch;

struct cache_event {
	enum cache_event_type type;
	uint64_t rv;
	json_t *obj;     /* the object after the change (the last state for DELETED) */
	json_t *prev;    /* before the change; NULL for ADDED */
};

/* @rv: the resourceVersion the cache starts at (watches from before it
 * are too old). */
int cache_new(uint64_t rv, struct cache **out) PN_MUST_CHECK;
void cache_free(struct cache *c);

/*
 * Record a change of an object of @kind at @rv (> every rv applied so
 * far).  @obj is taken over and must carry metadata.name (and .namespace
 * when namespaced) and its resourceVersion.  DELETED removes the object
 * named by @obj.  Returns 0, -EINVAL for an rv that is not newer, -ENOMEM.
 */
int cache_apply(struct cache *c, enum api_kind kind, enum cache_event_type type, json_t *obj,
		uint64_t rv) PN_MUST_CHECK;
/* Put @obj (taken over) in place without recording a change: the
 * objects that exist when the cache starts.  Returns 0 or -ENOMEM. */
int cache_seed(struct cache *c, enum api_kind kind, json_t *obj) PN_MUST_CHECK;
/* Move the current resourceVersion forward without a change (a write to
 * a kind the cache does not hold). */
void cache_advance(struct cache *c, uint64_t rv);

uint64_t cache_rv(struct cache *c);
/* A new reference, or NULL when absent.  @ns NULL for cluster kinds. */
json_t *cache_get(struct cache *c, enum api_kind kind, const char *ns, const char *name);
/* The objects of @kind (in @ns, or all for NULL) ordered by namespace and
 * name, as a new JSON array, and the list's resourceVersion. */
json_t *cache_list(struct cache *c, enum api_kind kind, const char *ns, uint64_t *rv);
/* The same, and in arrays parallel to it each object serialized
 * (compact JSON, as a JSON string value; null if it could not be) and its
 * metadata serialized: made once per change, so that a list is assembled,
 * not serialized again.  @texts, @metas may be NULL. */
json_t *cache_list_texts(struct cache *c, enum api_kind kind, const char *ns, uint64_t *rv,
			 json_t **texts, json_t **metas);

/*
 * Start watching @kind (in @ns, or all) after @from_rv.  from_rv 0: the
 * current objects first, as ADDED, then every change.  Returns NULL with
 * *too_old set (and *oldest the first resourceVersion still known) when
 * @from_rv is older than the history.
 */
struct cache_watch *cache_watch_open(struct cache *c, enum api_kind kind, const char *ns,
				     uint64_t from_rv, bool *too_old, uint64_t *oldest);
/* A file descriptor that becomes readable when events may be waiting. */
int cache_watch_fd(const struct cache_watch *w);
/* 1 and *ev filled (references the caller releases with
 * cache_event_clear) when an event is waiting, 0 when none, -EPIPE once
 * the cache is shutting down. */
int cache_watch_next(struct cache_watch *w, struct cache_event *ev);
void cache_watch_close(struct cache_watch *w);
void cache_event_clear(struct cache_event *ev);

/* Wake every watch and make cache_watch_next() return -EPIPE. */
void cache_shutdown(struct cache *c);

/* "ns/name" keys and accessors of an object's metadata. */
const char *cache_obj_name(json_t *obj);
const char *cache_obj_namespace(json_t *obj);

#endif
