/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nftables table models, their scripts and their diffs (nftmodel.h).
 *
 * The scripts use nft's flat command syntax ("add chain ...", "add rule
 * ...") rather than a table block: every command names its object, so the
 * same text serves a whole table and a diff, and an error message from
 * libnftables points at one line.
 */
#include "nftmodel.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int nftm_table_new(const char *family, const char *name, struct nftm_table **out,
		   struct pn_err *err)
{
	struct nftm_table *t = calloc(1, sizeof(*t));

	if (t) {
		t->family = strdup(family);
		t->name = strdup(name);
	}
	if (!t || !t->family || !t->name) {
		nftm_table_free(t);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	*out = t;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void nftm_table_free(struct nftm_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_sets; i++) {
		struct nftm_set *s = &t->sets[i];

		free(s->name);
		free(s->type);
		free(s->verdict_type);
		free(s->comment);
		free(s->flags);
		strv_free(s->elems, s->n_elems);
	}
	free(t->sets);
	for (size_t i = 0; i < t->n_chains; i++) {
		struct nftm_chain *c = &t->chains[i];

		free(c->name);
		free(c->base);
		free(c->comment);
		strv_free(c->rules, c->n_rules);
	}
	free(t->chains);
	free(t->set_ix);
	free(t->chain_ix);
	free(t->family);
	free(t->name);
	free(t);
}

static char *xstrdup(struct nftm_table *t, const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		t->oom = true;
	return r;
}

/* Grow *v (of *cap slots) to hold one more; false when out of memory. */
static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*v, ncap * size);
	if (!p)
		return false;
	*v = p;
	*cap = ncap;
	return true;
}

/* ---- name indexes (sets and chains alike: @name returns the i-th name) */

typedef const char *(*name_at_fn)(const struct nftm_table *t, size_t i);

static const char *set_name_at(const struct nftm_table *t, size_t i)
{
	return t->sets[i].name;
}

static const char *chain_name_at(const struct nftm_table *t, size_t i)
{
	return t->chains[i].name;
}

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static void ix_put(size_t *slots, size_t cap, const char *name, size_t i)
{
	size_t k;

	if (!name)
		return;
	for (k = name_hash(name) & (cap - 1); slots[k]; k = (k + 1) & (cap - 1))
		;
	slots[k] = i + 1;
}

/* Index entry @n - 1 (just added): in place while the table is at most
 * half full, else rebuilt twice as big.  Without memory the index is
 * dropped and finding falls back to a scan. */
static void ix_add(struct nftm_table *t, size_t **slots, size_t *cap, size_t n, name_at_fn name_at)
{
	size_t ncap = 16, *ns;

	if (*slots && 2 * n <= *cap) {
		ix_put(*slots, *cap, name_at(t, n - 1), n - 1);
		return;
	}
	while (ncap < 2 * n)
		ncap *= 2;
	ns = calloc(ncap, sizeof(*ns));
	free(*slots);
	*slots = ns;
	*cap = ns ? ncap : 0;
	for (size_t i = 0; ns && i < n; i++)
		ix_put(ns, ncap, name_at(t, i), i);
}

static ssize_t ix_find(const struct nftm_table *t, const size_t *slots, size_t cap, size_t n,
		       name_at_fn name_at, const char *name)
{
	if (!slots) {
		for (size_t i = 0; i < n; i++)
			if (name_at(t, i) && !strcmp(name_at(t, i), name))
				return (ssize_t)i;
		return -1;
	}
	for (size_t k = name_hash(name) & (cap - 1); slots[k]; k = (k + 1) & (cap - 1)) {
		const char *s = name_at(t, slots[k] - 1);

		if (s && !strcmp(s, name))
			return (ssize_t)(slots[k] - 1);
	}
	return -1;
}

static void ix_drop(struct nftm_table *t)
{
	free(t->set_ix);
	free(t->chain_ix);
	t->set_ix = t->chain_ix = NULL;
	t->cap_set_ix = t->cap_chain_ix = 0;
}

struct nftm_set *nftm_set_add(struct nftm_table *t, const char *name, const char *type,
			      const char *verdict_type, const char *comment)
{
	struct nftm_set *s;

	if (!grow((void **)&t->sets, &t->cap_sets, t->n_sets, sizeof(*t->sets))) {
		t->oom = true;
		return NULL;
	}
	s = &t->sets[t->n_sets++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(t, name);
	s->type = xstrdup(t, type);
	s->verdict_type = xstrdup(t, verdict_type);
	s->comment = xstrdup(t, comment);
	if (t->finished)
		ix_drop(t);
	t->finished = false;
	ix_add(t, &t->set_ix, &t->cap_set_ix, t->n_sets, set_name_at);
	return s;
}

void nftm_set_flags(struct nftm_table *t, struct nftm_set *s, const char *flags)
{
	if (!s)
		return;
	free(s->flags);
	s->flags = xstrdup(t, flags);
}

static int set_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct nftm_set *)elem)->name);
}

static int chain_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct nftm_chain *)elem)->name);
}

struct nftm_set *nftm_set_find(const struct nftm_table *t, const char *name)
{
	/* Finished models are sorted by name (diffs of big tables look up
	 * every name of one in the other). */
	if (t->finished)
		return t->n_sets ? bsearch(name, t->sets, t->n_sets, sizeof(*t->sets), set_key_cmp) : NULL;
	ssize_t i = ix_find(t, t->set_ix, t->cap_set_ix, t->n_sets, set_name_at, name);

	return i < 0 ? NULL : &t->sets[i];
}

static char *vfmt(struct nftm_table *t, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		t->oom = true;
		return NULL;
	}
	return s;
}

void nftm_elem(struct nftm_table *t, struct nftm_set *s, const char *fmt, ...)
{
	va_list ap;
	char *e;

	if (!s)
		return;
	va_start(ap, fmt);
	e = vfmt(t, fmt, ap);
	va_end(ap);
	if (!e)
		return;
	if (!grow((void **)&s->elems, &s->cap_elems, s->n_elems, sizeof(*s->elems))) {
		free(e);
		t->oom = true;
		return;
	}
	s->elems[s->n_elems++] = e;
	t->finished = false;
}

struct nftm_chain *nftm_chain_add(struct nftm_table *t, const char *name, const char *base,
				  const char *comment)
{
	struct nftm_chain *c;

	if (!grow((void **)&t->chains, &t->cap_chains, t->n_chains, sizeof(*t->chains))) {
		t->oom = true;
		return NULL;
	}
	c = &t->chains[t->n_chains++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(t, name);
	c->base = xstrdup(t, base);
	c->comment = xstrdup(t, comment);
	if (t->finished)
		ix_drop(t);
	t->finished = false;
	ix_add(t, &t->chain_ix, &t->cap_chain_ix, t->n_chains, chain_name_at);
	return c;
}

struct nftm_chain *nftm_chain_find(const struct nftm_table *t, const char *name)
{
	if (t->finished)
		return t->n_chains ? bsearch(name, t->chains, t->n_chains, sizeof(*t->chains), chain_key_cmp) : NULL;
	ssize_t i = ix_find(t, t->chain_ix, t->cap_chain_ix, t->n_chains, chain_name_at, name);

	return i < 0 ? NULL : &t->chains[i];
}

void nftm_rule(struct nftm_table *t, struct nftm_chain *c, const char *fmt, ...)
{
	va_list ap;
	char *r;

	if (!c)
		return;
	va_start(ap, fmt);
	r = vfmt(t, fmt, ap);
	va_end(ap);
	if (!r)
		return;
	if (!grow((void **)&c->rules, &c->cap_rules, c->n_rules, sizeof(*c->rules))) {
		free(r);
		t->oom = true;
		return;
	}
	c->rules[c->n_rules++] = r;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int set_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nftm_set *)a)->name, ((const struct nftm_set *)b)->name);
}

static int chain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nftm_chain *)a)->name, ((const struct nftm_chain *)b)->name);
}

/* Sorted, duplicates dropped. */
static void sort_unique(char **v, size_t *n)
{
	size_t k = 0;

	if (*n == 0)
		return;
	qsort(v, *n, sizeof(*v), str_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (k && !strcmp(v[k - 1], v[i])) {
			free(v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
}

/* FNV-1a over the rules, each ended by a newline (no rule holds one). */
static uint64_t rules_digest(const struct nftm_chain *c)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < c->n_rules; i++) {
		for (const char *p = c->rules[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ '\n') * 1099511628211ULL;
	}
	return h;
}

int nftm_finish(struct nftm_table *t, struct pn_err *err)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (!t->sets[i].name || !t->sets[i].type)
			t->oom = true;
	for (size_t i = 0; i < t->n_chains; i++)
		if (!t->chains[i].name)
			t->oom = true;
	if (t->oom)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory building nftables table %s",
				t->name);
	for (size_t i = 0; i < t->n_chains; i++)
		if (!t->chains[i].rules_elided)
			t->chains[i].digest = rules_digest(&t->chains[i]);
	ix_drop(t); /* sorting moves everything; bsearch from now on */
	for (size_t i = 0; i < t->n_sets; i++)
		sort_unique(t->sets[i].elems, &t->sets[i].n_elems);
	if (t->n_sets)
		qsort(t->sets, t->n_sets, sizeof(*t->sets), set_cmp);
	if (t->n_chains)
		qsort(t->chains, t->n_chains, sizeof(*t->chains), chain_cmp);
	t->finished = true;
	return 0;
}

/* ---- scripts */

struct out {
	FILE *f;
	char *buf;
	size_t len;
};

static bool out_open(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->f = open_memstream(&o->buf, &o->len);
	return o->f != NULL;
}

static char *out_close(struct out *o)
{
	if (fclose(o->f) != 0) {
		free(o->buf);
		return NULL;
	}
	return o->buf;
}

static void put_set_decl(FILE *f, const struct nftm_table *t, const struct nftm_set *s)
{
	fprintf(f, "add %s %s %s %s { type %s", s->verdict_type ? "map" : "set", t->family, t->name,
		s->name, s->type);
	if (s->verdict_type)
		fprintf(f, " : %s", s->verdict_type);
	fputs(";", f);
	if (s->flags)
		fprintf(f, " %s;", s->flags);
	if (s->comment)
		fprintf(f, " comment \"%s\";", s->comment);
	fputs(" }\n", f);
}

/* Elements in commands of a bounded size: nft reads a script whole, but a
 * line per few hundred elements keeps its error messages readable. */
static void put_elems(FILE *f, const struct nftm_table *t, const char *verb, const char *set,
		      char *const *elems, size_t n)
{
	const size_t per_line = 256;

	for (size_t i = 0; i < n; i += per_line) {
		fprintf(f, "%s element %s %s %s { ", verb, t->family, t->name, set);
		for (size_t k = i; k < n && k < i + per_line; k++)
			fprintf(f, "%s%s", k > i ? ", " : "", elems[k]);
		fputs(" }\n", f);
	}
}

static void put_chain_decl(FILE *f, const struct nftm_table *t, const struct nftm_chain *c)
{
	fprintf(f, "add chain %s %s %s", t->family, t->name, c->name);
	if (c->base || c->comment) {
		fputs(" {", f);
		if (c->base)
			fprintf(f, " %s", c->base);
		if (c->comment)
			fprintf(f, " comment \"%s\";", c->comment);
		fputs(" }", f);
	}
	fputc('\n', f);
}

static void put_rules(FILE *f, const struct nftm_table *t, const struct nftm_chain *c)
{
	for (size_t i = 0; i < c->n_rules; i++)
		fprintf(f, "add rule %s %s %s %s\n", t->family, t->name, c->name, c->rules[i]);
}

/* The body of a new table, or the additions of a diff. */
static void put_new_objects(FILE *f, const struct nftm_table *t, const struct nftm_set *const *sets,
			    size_t n_sets, const struct nftm_chain *const *chains, size_t n_chains,
			    const struct nftm_chain *const *refill, size_t n_refill)
{
	/* Chains first (empty), so that rules and maps may point at any of
	 * them; then sets and their elements, rules, and map elements last
	 * (a verdict map element needs its target chain). */
	for (size_t i = 0; i < n_chains; i++)
		put_chain_decl(f, t, chains[i]);
	for (size_t i = 0; i < n_sets; i++) {
		put_set_decl(f, t, sets[i]);
		if (!sets[i]->verdict_type)
			put_elems(f, t, "add", sets[i]->name, sets[i]->elems, sets[i]->n_elems);
	}
	for (size_t i = 0; i < n_chains; i++)
		put_rules(f, t, chains[i]);
	for (size_t i = 0; i < n_refill; i++)
		put_rules(f, t, refill[i]);
	for (size_t i = 0; i < n_sets; i++)
		if (sets[i]->verdict_type)
			put_elems(f, t, "add", sets[i]->name, sets[i]->elems, sets[i]->n_elems);
}

char *nftm_script_full(const struct nftm_table *t)
{
	const struct nftm_set **sets = calloc(t->n_sets + 1, sizeof(*sets));
	const struct nftm_chain **chains = calloc(t->n_chains + 1, sizeof(*chains));
	struct out o;
	char *r = NULL;

	for (size_t i = 0; i < t->n_chains; i++)
		if (t->chains[i].rules_elided)
			goto out;
	if (sets && chains && out_open(&o)) {
		for (size_t i = 0; i < t->n_sets; i++)
			sets[i] = &t->sets[i];
		for (size_t i = 0; i < t->n_chains; i++)
			chains[i] = &t->chains[i];
		/* "add" is a no-op on an existing table, so the delete that
		 * follows cannot fail with ENOENT: one transaction replaces
		 * the table whatever the kernel held before. */
		fprintf(o.f, "add table %s %s\ndelete table %s %s\nadd table %s %s\n", t->family,
			t->name, t->family, t->name, t->family, t->name);
		put_new_objects(o.f, t, sets, t->n_sets, chains, t->n_chains, NULL, 0);
		r = out_close(&o);
	}
out:
	free(sets);
	free(chains);
	return r;
}

char *nftm_script_delete(const char *family, const char *name)
{
	char *s = NULL;

	if (asprintf(&s, "add table %s %s\ndelete table %s %s\n", family, name, family, name) < 0)
		return NULL;
	return s;
}

static bool streq_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Finished models carry a digest of every chain's rules (an old model
 * read back from the state may have nothing else). */
static bool rules_equal(const struct nftm_chain *a, const struct nftm_chain *b)
{
	return a->digest == b->digest;
}

/*
 * Walk two sorted element lists: @gone gets what only @a has, @added what
 * only @b has (pointers into the lists).
 */
static bool elems_diff(const struct nftm_set *a, const struct nftm_set *b, char ***gone, size_t *ngone,
		       char ***added, size_t *nadded)
{
	size_t i = 0, k = 0;

	*gone = calloc(a->n_elems + 1, sizeof(char *));
	*added = calloc(b->n_elems + 1, sizeof(char *));
	*ngone = *nadded = 0;
	if (!*gone || !*added)
		return false;
	while (i < a->n_elems || k < b->n_elems) {
		int c = i >= a->n_elems ? 1 : k >= b->n_elems ? -1 : strcmp(a->elems[i], b->elems[k]);

		if (c == 0) {
			i++;
			k++;
		} else if (c < 0) {
			(*gone)[(*ngone)++] = a->elems[i++];
		} else {
			(*added)[(*nadded)++] = b->elems[k++];
		}
	}
	return true;
}

/* Map elements are "KEY : VERDICT": only the key names the element. */
static void map_keys_only(char **v, size_t n, char ***keys)
{
	*keys = calloc(n + 1, sizeof(char *));
	if (!*keys)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strstr(v[i], " : ");

		(*keys)[i] = colon ? strndup(v[i], (size_t)(colon - v[i])) : strdup(v[i]);
	}
}

char *nftm_script_diff(const struct nftm_table *old, const struct nftm_table *new, bool *full_needed)
{
	const struct nftm_set **add_sets = calloc(new->n_sets + 1, sizeof(*add_sets));
	const struct nftm_chain **add_chains = calloc(new->n_chains + 1, sizeof(*add_chains));
	const struct nftm_chain **refill = calloc(new->n_chains + 1, sizeof(*refill));
	size_t n_add_sets = 0, n_add_chains = 0, n_refill = 0;
	struct out o = { 0 };
	char *r = NULL;
	bool ok = true;

	*full_needed = false;
	if (!add_sets || !add_chains || !refill || !out_open(&o))
		goto out;
	if (strcmp(old->family, new->family) || strcmp(old->name, new->name)) {
		*full_needed = true;
		goto out;
	}
	/* What cannot change in place: a base chain's hook, a set's type. */
	for (size_t i = 0; i < new->n_chains; i++) {
		const struct nftm_chain *n = &new->chains[i], *p = nftm_chain_find(old, n->name);

		if (p && (!streq_null(p->base, n->base) || !streq_null(p->comment, n->comment)))
			*full_needed = true;
	}
	for (size_t i = 0; i < new->n_sets; i++) {
		const struct nftm_set *n = &new->sets[i], *p = nftm_set_find(old, n->name);

		if (p && (strcmp(p->type, n->type) || !streq_null(p->verdict_type, n->verdict_type) ||
			  !streq_null(p->comment, n->comment) || !streq_null(p->flags, n->flags)))
			*full_needed = true;
	}
	if (*full_needed)
		goto out;

	/* 1. Map elements that go or change: they may point at chains that go. */
	for (size_t i = 0; i < old->n_sets && ok; i++) {
		const struct nftm_set *p = &old->sets[i], *n = nftm_set_find(new, p->name);
		char **gone = NULL, **added = NULL, **keys = NULL;
		size_t ngone = 0, nadded = 0;

		if (!p->verdict_type || !n)
			continue;
		ok = elems_diff(p, n, &gone, &ngone, &added, &nadded);
		if (ok && ngone) {
			map_keys_only(gone, ngone, &keys);
			if (keys)
				put_elems(o.f, old, "delete", p->name, keys, ngone);
			else
				ok = false;
			for (size_t k = 0; keys && k < ngone; k++)
				free(keys[k]);
			free(keys);
		}
		free(gone);
		free(added);
	}
	/* 2. Chains that go or change lose their rules (and with them their
	 * references to sets and chains). */
	for (size_t i = 0; i < old->n_chains; i++) {
		const struct nftm_chain *p = &old->chains[i], *n = nftm_chain_find(new, p->name);

		if (!n || !rules_equal(p, n))
			fprintf(o.f, "flush chain %s %s %s\n", old->family, old->name, p->name);
		if (n && !rules_equal(p, n))
			refill[n_refill++] = n;
	}
	/* 3. Then no rule points at what goes: sets and maps go first (a
	 * map that goes still points at chains with its elements), chains
	 * after. */
	for (size_t i = 0; i < old->n_sets; i++)
		if (!nftm_set_find(new, old->sets[i].name))
			fprintf(o.f, "delete %s %s %s %s\n", old->sets[i].verdict_type ? "map" : "set",
				old->family, old->name, old->sets[i].name);
	for (size_t i = 0; i < old->n_chains; i++)
		if (!nftm_chain_find(new, old->chains[i].name))
			fprintf(o.f, "delete chain %s %s %s\n", old->family, old->name,
				old->chains[i].name);
	/* 4. Plain sets that stay: their elements. */
	for (size_t i = 0; i < new->n_sets && ok; i++) {
		const struct nftm_set *n = &new->sets[i], *p = nftm_set_find(old, n->name);
		char **gone = NULL, **added = NULL;
		size_t ngone = 0, nadded = 0;

		if (!p) {
			add_sets[n_add_sets++] = n;
			continue;
		}
		if (n->verdict_type)
			continue;
		ok = elems_diff(p, n, &gone, &ngone, &added, &nadded);
		if (ok) {
			put_elems(o.f, new, "delete", n->name, gone, ngone);
			put_elems(o.f, new, "add", n->name, added, nadded);
		}
		free(gone);
		free(added);
	}
	/* 5. New chains and sets, refilled chains. */
	for (size_t i = 0; i < new->n_chains; i++)
		if (!nftm_chain_find(old, new->chains[i].name))
			add_chains[n_add_chains++] = &new->chains[i];
	put_new_objects(o.f, new, add_sets, n_add_sets, add_chains, n_add_chains, refill, n_refill);
	/* 6. Map elements that come or change, now that their chains exist. */
	for (size_t i = 0; i < new->n_sets && ok; i++) {
		const struct nftm_set *n = &new->sets[i], *p = nftm_set_find(old, n->name);
		char **gone = NULL, **added = NULL;
		size_t ngone = 0, nadded = 0;

		if (!n->verdict_type || !p)
			continue;
		ok = elems_diff(p, n, &gone, &ngone, &added, &nadded);
		if (ok)
			put_elems(o.f, new, "add", n->name, added, nadded);
		free(gone);
		free(added);
	}
	r = out_close(&o);
	o.f = NULL;
	if (!ok) {
		free(r);
		r = NULL;
	}
out:
	if (o.f) {
		fclose(o.f);
		free(o.buf);
	}
	free(add_sets);
	free(add_chains);
	free(refill);
	return r;
}

/* ---- JSON */

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *nftm_to_json(const struct nftm_table *t, bool with_rules)
{
	json_t *sets = json_array(), *chains = json_array(), *j = NULL;
	bool ok = sets && chains;

	for (size_t i = 0; ok && i < t->n_sets; i++) {
		const struct nftm_set *s = &t->sets[i];
		json_t *o = json_pack("{s:s, s:s, s:o}", "name", s->name, "type", s->type, "elems",
				      strv_json(s->elems, s->n_elems));

		ok = o != NULL;
		if (ok && s->verdict_type)
			json_object_set_new(o, "map", json_string(s->verdict_type));
		if (ok && s->comment)
			json_object_set_new(o, "comment", json_string(s->comment));
		if (ok && s->flags)
			json_object_set_new(o, "flags", json_string(s->flags));
		ok = ok && json_array_append_new(sets, o) == 0;
	}
	for (size_t i = 0; ok && i < t->n_chains; i++) {
		const struct nftm_chain *c = &t->chains[i];
		char digest[17];
		json_t *o;

		snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)c->digest);
		o = json_pack("{s:s, s:s}", "name", c->name, "digest", digest);
		ok = o != NULL;
		if (ok && with_rules && !c->rules_elided)
			ok = json_object_set_new(o, "rules", strv_json(c->rules, c->n_rules)) == 0;
		if (ok && c->base)
			json_object_set_new(o, "base", json_string(c->base));
		if (ok && c->comment)
			json_object_set_new(o, "comment", json_string(c->comment));
		ok = ok && json_array_append_new(chains, o) == 0;
	}
	if (ok)
		j = json_pack("{s:s, s:s, s:O, s:O}", "family", t->family, "name", t->name, "sets", sets,
			      "chains", chains);
	json_decref(sets);
	json_decref(chains);
	return j;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int nftm_from_json(json_t *j, struct nftm_table **out, struct pn_err *err)
{
	struct nftm_table *t = NULL;
	json_t *o, *e;
	size_t i, k;
	int ret;

	if (!jstr(j, "family") || !jstr(j, "name"))
		return pn_error(err, PN_E_NFT, EINVAL, "stored nftables model: no family or name");
	ret = nftm_table_new(jstr(j, "family"), jstr(j, "name"), &t, err);
	if (ret < 0)
		return ret;
	json_array_foreach(json_object_get(j, "sets"), i, o) {
		struct nftm_set *s;

		if (!jstr(o, "name") || !jstr(o, "type"))
			goto bad;
		s = nftm_set_add(t, jstr(o, "name"), jstr(o, "type"), jstr(o, "map"), jstr(o, "comment"));
		if (jstr(o, "flags"))
			nftm_set_flags(t, s, jstr(o, "flags"));
		json_array_foreach(json_object_get(o, "elems"), k, e) {
			if (!json_is_string(e))
				goto bad;
			nftm_elem(t, s, "%s", json_string_value(e));
		}
	}
	json_array_foreach(json_object_get(j, "chains"), i, o) {
		struct nftm_chain *c;

		if (!jstr(o, "name"))
			goto bad;
		c = nftm_chain_add(t, jstr(o, "name"), jstr(o, "base"), jstr(o, "comment"));
		if (!json_object_get(o, "rules")) {
			const char *d = jstr(o, "digest");
			char *end;

			if (!c || !d || strlen(d) != 16)
				goto bad;
			c->digest = strtoull(d, &end, 16);
			if (*end)
				goto bad;
			c->rules_elided = true;
			continue;
		}
		json_array_foreach(json_object_get(o, "rules"), k, e) {
			if (!json_is_string(e))
				goto bad;
			nftm_rule(t, c, "%s", json_string_value(e));
		}
	}
	ret = nftm_finish(t, err);
	if (ret < 0) {
		nftm_table_free(t);
		return ret;
	}
	*out = t;
	return 0;
bad:
	nftm_table_free(t);
	return pn_error(err, PN_E_NFT, EINVAL, "stored nftables model is malformed");
}

size_t nftm_count_elems(const struct nftm_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_sets; i++)
		n += t->sets[i].n_elems;
	return n;
}

size_t nftm_count_rules(const struct nftm_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_chains; i++)
		n += t->chains[i].n_rules;
	return n;
}
