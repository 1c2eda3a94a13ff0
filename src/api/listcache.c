/* SPDX-License-Identifier: Apache-2.0 */
#include "listcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct body {
	struct listcache_body pub;   /* first: the pointer handed out */
	atomic_uint refs;
	char *data;
};

struct slot {
	char *key;            /* NULL: free */
	struct body *body;    /* NULL while none made yet */
	uint64_t rv;
	int64_t stamp;
	bool making;          /* a request is making this key's next body */
	uint64_t gen;         /* which claim the making belongs to */
	uint64_t used;        /* for least recently used */
};

struct listcache {
	pthread_mutex_t mu;
	pthread_cond_t made;
	struct slot slots[LISTCACHE_SLOTS];
	uint64_t clock;
};

int listcache_new(struct listcache **out)
{
	struct listcache *lc = calloc(1, sizeof(*lc));

	if (!lc)
		return -ENOMEM;
	pthread_mutex_init(&lc->mu, NULL);
	pthread_cond_init(&lc->made, NULL);
	*out = lc;
	return 0;
}

void listcache_release(void *p)
{
	struct body *b = p;

	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
		free(b->data);
		free(b);
	}
}

static struct body *ref(struct body *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

static void slot_drop_body(struct slot *s)
{
	listcache_release(s->body);
	s->body = NULL;
}

void listcache_free(struct listcache *lc)
{
	if (!lc)
		return;
	for (size_t i = 0; i < LISTCACHE_SLOTS; i++) {
		slot_drop_body(&lc->slots[i]);
		free(lc->slots[i].key);
	}
	pthread_cond_destroy(&lc->made);
	pthread_mutex_destroy(&lc->mu);
	free(lc);
}

static bool fresh(const struct slot *s, uint64_t rv, int64_t stamp)
{
	return s->body && s->rv >= rv && s->stamp == stamp;
}

/* The slot for a new key: a free one, else the least recently used one
 * nobody is making a body for; NULL when every slot is being made. */
static struct slot *victim(struct listcache *lc)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < LISTCACHE_SLOTS; i++) {
		struct slot *s = &lc->slots[i];

		if (!s->key)
			return s;
		if (!s->making && (!best || s->used < best->used))
			best = s;
	}
	return best;
}

const struct listcache_body *listcache_get(struct listcache *lc, const char *key, uint64_t rv,
					   int64_t stamp, struct listcache_claim *claim)
{
	struct slot *s = NULL;
	struct body *hit = NULL;

	claim->slot = -1;
	claim->gen = 0;
	pthread_mutex_lock(&lc->mu);
	for (;;) {
		s = NULL;
		for (size_t i = 0; i < LISTCACHE_SLOTS; i++)
			if (lc->slots[i].key && !strcmp(lc->slots[i].key, key)) {
				s = &lc->slots[i];
				break;
			}
		if (s && fresh(s, rv, stamp)) {
			s->used = ++lc->clock;
			hit = ref(s->body);
			goto out;
		}
		if (!s || !s->making)
			break;
		/* Someone is making this key's body: it is at least as new
		 * as what they asked for; wait and look again (if it is
		 * still too old for us, we make the next one). */
		pthread_cond_wait(&lc->made, &lc->mu);
	}
	if (!s) {
		char *k = strdup(key);

		s = victim(lc);
		if (!s || !k) {
			/* Made and sent, not kept. */
			free(k);
			goto out;
		}
		slot_drop_body(s);
		free(s->key);
		s->key = k;
	}
	s->making = true;
	s->gen = ++lc->clock;
	s->used = s->gen;
	claim->slot = (int)(s - lc->slots);
	claim->gen = s->gen;
out:
	pthread_mutex_unlock(&lc->mu);
	return hit ? &hit->pub : NULL;
}

const struct listcache_body *listcache_put(struct listcache *lc, const struct listcache_claim *claim,
					   char *data, size_t len, bool gzip, uint64_t rv,
					   int64_t stamp)
{
	struct body *b = NULL;

	if (data) {
		b = malloc(sizeof(*b));
		if (b) {
			b->data = data;
			b->pub.data = data;
			b->pub.len = len;
			b->pub.gzip = gzip;
			atomic_init(&b->refs, 1);
		} else {
			free(data);
		}
	}
	if (claim->slot < 0)
		return b ? &b->pub : NULL;
	pthread_mutex_lock(&lc->mu);
	{
		struct slot *s = &lc->slots[claim->slot];

		if (s->making && s->gen == claim->gen) {
			s->making = false;
			slot_drop_body(s);
			if (b && len <= LISTCACHE_MAX_BODY) {
				s->body = ref(b);
				s->rv = rv;
				s->stamp = stamp;
			}
		}
		/* Bodies no request can be served any more: every request
		 * from now on asks for @rv or later, and for a Table, the
		 * clock does not go back. */
		for (size_t i = 0; b && i < LISTCACHE_SLOTS; i++) {
			struct slot *o = &lc->slots[i];

			if (o != s && o->body && (o->rv < rv || (stamp && o->stamp && o->stamp < stamp)))
				slot_drop_body(o);
		}
	}
	pthread_cond_broadcast(&lc->made);
	pthread_mutex_unlock(&lc->mu);
	return b ? &b->pub : NULL;
}

void listcache_expire(struct listcache *lc, int64_t now)
{
	if (!lc)
		return;
	pthread_mutex_lock(&lc->mu);
	for (size_t i = 0; i < LISTCACHE_SLOTS; i++) {
		struct slot *s = &lc->slots[i];

		if (s->body && s->stamp && s->stamp < now)
			slot_drop_body(s);
	}
	pthread_mutex_unlock(&lc->mu);
}
