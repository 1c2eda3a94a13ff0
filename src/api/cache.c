/* SPDX-License-Identifier: Apache-2.0 */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct entry {
	char *ns;        /* "" for cluster kinds */
	char *name;
	json_t *obj;
	/* The object and its metadata serialized, once, when it is applied
	 * (JSON strings holding the text: shared by reference): lists are
	 * assembled from these instead of serializing every object for
	 * every request. */
	json_t *text, *meta_text;
};

/* The serialized forms of @obj (NULL when out of memory: lists then
 * serialize it themselves). */
static void serialize(json_t *obj, json_t **text, json_t **meta_text)
{
	char *t = json_dumps(obj, JSON_COMPACT);
	char *m = json_dumps(json_object_get(obj, "metadata"), JSON_COMPACT);

	*text = t ? json_string_nocheck(t) : NULL;
	*meta_text = m ? json_string_nocheck(m) : NULL;
	free(t);
	free(m);
}

static void entry_texts_free(struct entry *e)
{
	json_decref(e->text);
	json_decref(e->meta_text);
	e->text = e->meta_text = NULL;
}

struct kind_set {
	struct entry *v;   /* sorted by (ns, name) */
	size_t n, cap;
};

/*
 * A change as the history keeps it: the objects as their serialized text
 * (the same JSON string the entry holds while the version is current), not
 * as trees: an old version costs its text, not a jansson tree (a node,
 * and a hashtable per object, for every value: several times the text).
 * Watchers parse what they read (obj_text/prev_text), outside the lock;
 * the trees are kept only when serializing failed.
 */
struct hist {
	enum api_kind kind;
	enum cache_event_type type;
	uint64_t rv;
	char *ns;
	json_t *obj, *prev;             /* trees: only without texts */
	json_t *obj_text, *prev_text;   /* JSON strings */
};

struct cache_watch {
	struct cache *c;
	enum api_kind kind;
	char *ns;          /* NULL: all */
	uint64_t pos;      /* the last rv delivered */
	int efd;
	json_t *initial;   /* ADDED events still to send (from_rv 0) */
	size_t initial_i;
	struct cache_watch *next, *prev;
};

struct cache {
	pthread_mutex_t mu;
	struct kind_set kinds[API_KIND_COUNT];
	struct hist *ring;
	size_t head, count;   /* ring[head] is the oldest */
	uint64_t rv;          /* the newest applied */
	uint64_t floor;       /* changes after floor are all in the ring */
	struct cache_watch *watchers;
	bool closing;
};

const char *cache_obj_name(json_t *obj)
{
	const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));

	return s ? s : "";
}

const char *cache_obj_namespace(json_t *obj)
{
	const char *s =
		json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));

	return s ? s : "";
}

int cache_new(uint64_t rv, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->ring = calloc(CACHE_HISTORY, sizeof(*c->ring));
	if (!c->ring) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->rv = c->floor = rv;
	*out = c;
	return 0;
}

static void hist_clear(struct hist *h)
{
	free(h->ns);
	json_decref(h->obj);
	json_decref(h->prev);
	json_decref(h->obj_text);
	json_decref(h->prev_text);
	memset(h, 0, sizeof(*h));
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < API_KIND_COUNT; k++) {
		for (size_t i = 0; i < c->kinds[k].n; i++) {
			free(c->kinds[k].v[i].ns);
			free(c->kinds[k].v[i].name);
			json_decref(c->kinds[k].v[i].obj);
			entry_texts_free(&c->kinds[k].v[i]);
		}
		free(c->kinds[k].v);
	}
	for (size_t i = 0; i < c->count; i++)
		hist_clear(&c->ring[(c->head + i) % CACHE_HISTORY]);
	free(c->ring);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static int key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int r = strcmp(ns1, ns2);

	return r ? r : strcmp(n1, n2);
}

/* Index of (ns, name), or where it would go (*found false). */
static size_t find(const struct kind_set *s, const char *ns, const char *name, bool *found)
{
	size_t lo = 0, hi = s->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = key_cmp(s->v[mid].ns, s->v[mid].name, ns, name);

		if (r == 0) {
			*found = true;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool grow(struct kind_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	struct entry *v = realloc(s->v, cap * sizeof(*v));

	if (!v)
		return false;
	s->v = v;
	s->cap = cap;
	return true;
}

static void wake_all(struct cache *c)
{
	uint64_t one = 1;

	for (struct cache_watch *w = c->watchers; w; w = w->next)
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* The counter is saturated only after 2^64-2 wakeups
			 * nobody read: the watcher is already woken. */
		}
}

int cache_apply(struct cache *c, enum api_kind kind, enum cache_event_type type, json_t *obj,
		uint64_t rv)
{
	struct kind_set *s = &c->kinds[kind];
	const char *ns = cache_obj_namespace(obj), *name = cache_obj_name(obj);
	json_t *prev = NULL, *text = NULL, *meta_text = NULL, *prev_text = NULL, *obj_text;
	struct hist *h;
	size_t i;
	bool found;
	int ret = 0;

	serialize(obj, &text, &meta_text);
	obj_text = json_incref(text);
	pthread_mutex_lock(&c->mu);
	if (rv <= c->rv) {
		ret = -EINVAL;
		goto out;
	}
	i = find(s, ns, name, &found);
	if (type == CACHE_DELETED) {
		if (!found) {
			/* Nothing known to delete: the change still moves rv. */
			c->rv = rv;
			goto out;
		}
		prev = s->v[i].obj;
		prev_text = json_incref(s->v[i].text);
		free(s->v[i].ns);
		free(s->v[i].name);
		entry_texts_free(&s->v[i]);
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
		s->n--;
	} else if (found) {
		prev = s->v[i].obj;
		prev_text = json_incref(s->v[i].text);
		s->v[i].obj = json_incref(obj);
		entry_texts_free(&s->v[i]);
		s->v[i].text = text;
		s->v[i].meta_text = meta_text;
		text = meta_text = NULL;
		type = CACHE_MODIFIED;
	} else {
		struct entry e = { strdup(ns), strdup(name), NULL, NULL, NULL };

		if (!e.ns || !e.name) {
			free(e.ns);
			free(e.name);
			ret = -ENOMEM;
			goto out;
		}
		if (s->n == s->cap && !grow(s)) {
			free(e.ns);
			free(e.name);
			ret = -ENOMEM;
			goto out;
		}
		memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
		e.obj = json_incref(obj);
		e.text = text;
		e.meta_text = meta_text;
		text = meta_text = NULL;
		s->v[i] = e;
		s->n++;
		type = CACHE_ADDED;
	}
	/* The history: the oldest change falls out when the ring is full. */
	if (c->count == CACHE_HISTORY) {
		h = &c->ring[c->head];
		c->floor = h->rv;
		hist_clear(h);
		c->head = (c->head + 1) % CACHE_HISTORY;
		c->count--;
	}
	h = &c->ring[(c->head + c->count) % CACHE_HISTORY];
	h->kind = kind;
	h->type = type;
	h->rv = rv;
	h->ns = strdup(ns);
	if (obj_text && (!prev || prev_text)) {
		h->obj_text = obj_text;
		h->prev_text = prev_text;
		obj_text = prev_text = NULL;
	} else {
		h->obj = json_incref(obj);
		h->prev = prev;
		prev = NULL;
	}
	if (!h->ns) {
		/* Keep the event without a namespace filter key: a watch of
		 * every namespace still sees it. */
		h->ns = NULL;
	}
	c->count++;
	c->rv = rv;
	wake_all(c);
out:
	pthread_mutex_unlock(&c->mu);
	json_decref(prev);
	json_decref(obj);
	json_decref(text);
	json_decref(meta_text);
	json_decref(obj_text);
	json_decref(prev_text);
	return ret;
}

int cache_seed(struct cache *c, enum api_kind kind, json_t *obj)
{
	struct kind_set *s = &c->kinds[kind];
	const char *ns = cache_obj_namespace(obj), *name = cache_obj_name(obj);
	struct entry e = { NULL, NULL, obj, NULL, NULL };
	size_t i;
	bool found;
	int ret = 0;

	serialize(obj, &e.text, &e.meta_text);
	pthread_mutex_lock(&c->mu);
	i = find(s, ns, name, &found);
	if (found) {
		json_decref(s->v[i].obj);
		entry_texts_free(&s->v[i]);
		s->v[i].obj = obj;
		s->v[i].text = e.text;
		s->v[i].meta_text = e.meta_text;
		goto out;
	}
	e.ns = strdup(ns);
	e.name = strdup(name);
	if (!e.ns || !e.name || (s->n == s->cap && !grow(s))) {
		free(e.ns);
		free(e.name);
		json_decref(obj);
		entry_texts_free(&e);
		ret = -ENOMEM;
		goto out;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = e;
	s->n++;
out:
	pthread_mutex_unlock(&c->mu);
	return ret;
}

void cache_advance(struct cache *c, uint64_t rv)
{
	pthread_mutex_lock(&c->mu);
	if (rv > c->rv)
		c->rv = rv;
	pthread_mutex_unlock(&c->mu);
}

uint64_t cache_rv(struct cache *c)
{
	uint64_t rv;

	pthread_mutex_lock(&c->mu);
	rv = c->rv;
	pthread_mutex_unlock(&c->mu);
	return rv;
}

json_t *cache_get(struct cache *c, enum api_kind kind, const char *ns, const char *name)
{
	json_t *o = NULL;
	size_t i;
	bool found;

	pthread_mutex_lock(&c->mu);
	i = find(&c->kinds[kind], ns ? ns : "", name, &found);
	if (found)
		o = json_incref(c->kinds[kind].v[i].obj);
	pthread_mutex_unlock(&c->mu);
	return o;
}

json_t *cache_list(struct cache *c, enum api_kind kind, const char *ns, uint64_t *rv)
{
	return cache_list_texts(c, kind, ns, rv, NULL, NULL);
}

json_t *cache_list_texts(struct cache *c, enum api_kind kind, const char *ns, uint64_t *rv,
			 json_t **texts, json_t **metas)
{
	struct kind_set *s = &c->kinds[kind];
	json_t *a = json_array();
	bool ok = a != NULL;

	if (texts)
		ok &= (*texts = json_array()) != NULL;
	if (metas)
		ok &= (*metas = json_array()) != NULL;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; ok && i < s->n; i++) {
		if (ns && strcmp(s->v[i].ns, ns))
			continue;
		ok = json_array_append(a, s->v[i].obj) == 0 &&
		     (!texts || json_array_append(*texts, s->v[i].text ? s->v[i].text
								    : json_null()) == 0) &&
		     (!metas || json_array_append(*metas, s->v[i].meta_text ? s->v[i].meta_text
								    : json_null()) == 0);
	}
	*rv = c->rv;
	pthread_mutex_unlock(&c->mu);
	if (!ok) {
		json_decref(a);
		if (texts) {
			json_decref(*texts);
			*texts = NULL;
		}
		if (metas) {
			json_decref(*metas);
			*metas = NULL;
		}
		return NULL;
	}
	return a;
}

struct cache_watch *cache_watch_open(struct cache *c, enum api_kind kind, const char *ns,
				     uint64_t from_rv, bool *too_old, uint64_t *oldest)
{
	struct cache_watch *w = calloc(1, sizeof(*w));

	*too_old = false;
	if (!w)
		return NULL;
	w->c = c;
	w->kind = kind;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->ns = ns ? strdup(ns) : NULL;
	if (w->efd < 0 || (ns && !w->ns)) {
		if (w->efd >= 0)
			close(w->efd);
		free(w->ns);
		free(w);
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	if (from_rv == 0) {
		struct kind_set *s = &c->kinds[kind];

		w->initial = json_array();
		for (size_t i = 0; w->initial && i < s->n; i++)
			if (!ns || !strcmp(s->v[i].ns, ns))
				json_array_append(w->initial, s->v[i].obj);
		w->pos = c->rv;
	} else if (from_rv < c->floor) {
		*too_old = true;
		*oldest = c->floor + 1;
		pthread_mutex_unlock(&c->mu);
		close(w->efd);
		free(w->ns);
		free(w);
		return NULL;
	} else {
		w->pos = from_rv;
	}
	w->next = c->watchers;
	if (c->watchers)
		c->watchers->prev = w;
	c->watchers = w;
	pthread_mutex_unlock(&c->mu);
	/* Events may already be waiting (from_rv older than the newest). */
	{
		uint64_t one = 1;

		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* cannot fail on a fresh counter */
		}
	}
	return w;
}

int cache_watch_fd(const struct cache_watch *w)
{
	return w->efd;
}

/* The tree of a history text (a JSON string value), or NULL. */
static json_t *text_tree(json_t *text)
{
	return json_loadb(json_string_value(text), json_string_length(text), JSON_ALLOW_NUL, NULL);
}

int cache_watch_next(struct cache_watch *w, struct cache_event *ev)
{
	struct cache *c = w->c;
	uint64_t drain;
	int ret = 0;

	memset(ev, 0, sizeof(*ev));
	if (w->initial && w->initial_i < json_array_size(w->initial)) {
		json_t *o = json_array_get(w->initial, w->initial_i++);

		ev->type = CACHE_ADDED;
		ev->obj = json_incref(o);
		ev->rv = strtoull(json_string_value(json_object_get(json_object_get(o, "metadata"),
								     "resourceVersion")) ?: "0",
				  NULL, 10);
		return 1;
	}
	/* Clear the wakeup before looking, so a change applied after the
	 * look wakes us again. */
	if (read(w->efd, &drain, sizeof(drain)) < 0) {
		/* EAGAIN: nothing pending */
	}
	pthread_mutex_lock(&c->mu);
	if (c->closing) {
		ret = -EPIPE;
		goto out;
	}
	if (w->pos < c->floor) {
		/* The ring overtook a slow reader: its history is gone. */
		ret = -ESTALE;
		goto out;
	}
	/* The ring is in rv order: find the first change after pos. */
	size_t lo = 0, hi = c->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ring[(c->head + mid) % CACHE_HISTORY].rv <= w->pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < c->count; i++) {
		struct hist *h = &c->ring[(c->head + i) % CACHE_HISTORY];

		w->pos = h->rv;
		if (h->kind != w->kind || (w->ns && h->ns && strcmp(h->ns, w->ns)))
			continue;
		ev->type = h->type;
		ev->rv = h->rv;
		ev->obj = json_incref(h->obj ? h->obj : h->obj_text);
		ev->prev = json_incref(h->obj ? h->prev : h->prev_text);
		ret = 1;
		break;
	}
out:
	pthread_mutex_unlock(&c->mu);
	/* Texts become trees outside the lock.  JSON_ALLOW_NUL: the text is
	 * json_dumps()'s, which escapes a NUL inside a string as \u0000. */
	if (ret == 1 && json_is_string(ev->obj)) {
		json_t *o = text_tree(ev->obj);
		json_t *p = ev->prev ? text_tree(ev->prev) : NULL;
		bool failed = !o || (ev->prev && !p);

		json_decref(ev->obj);
		json_decref(ev->prev);
		ev->obj = o;
		ev->prev = p;
		if (failed) {
			/* Out of memory: this watch ends with 410 and the
			 * client lists again, as after falling behind. */
			cache_event_clear(ev);
			return -ESTALE;
		}
	}
	if (ret == 1) {
		uint64_t one = 1;

		/* More may be waiting: stay readable. */
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* saturated: already readable */
		}
	}
	return ret;
}

void cache_watch_close(struct cache_watch *w)
{
	struct cache *c;

	if (!w)
		return;
	c = w->c;
	pthread_mutex_lock(&c->mu);
	if (w->prev)
		w->prev->next = w->next;
	else
		c->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&c->mu);
	close(w->efd);
	json_decref(w->initial);
	free(w->ns);
	free(w);
}

void cache_event_clear(struct cache_event *ev)
{
	json_decref(ev->obj);
	json_decref(ev->prev);
	memset(ev, 0, sizeof(*ev));
}

void cache_shutdown(struct cache *c)
{
	pthread_mutex_lock(&c->mu);
	c->closing = true;
	wake_all(c);
	pthread_mutex_unlock(&c->mu);
}
