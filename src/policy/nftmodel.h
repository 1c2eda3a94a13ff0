/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PODNET_NFTMODEL_H
#define PODNET_NFTMODEL_H

/*
 * A model of one nftables table as podnet wants it: named sets and maps
 * with their elements, chains with their rules, all as nft syntax text.
 * Generators (nftgen.h for NetworkPolicy; Services later) fill a model;
 * this module turns it into nft scripts for libnftables:
 *
 *  - nftm_script_full(): the whole table, replaced in one transaction
 *    ("add table; delete table; add table ..."), so no packet ever sees a
 *    half-built table;
 *  - nftm_script_diff(): only what changed between two models (elements
 *    added and deleted, chains flushed and refilled, sets and chains added
 *    and deleted), in an order the kernel accepts within one transaction
 *    (references are removed before what they point to, and targets exist
 *    before anything jumps to them).  NULL when the change needs the full
 *    script (a base chain's hook, a set's type or comment changed).
 *
 * A model serialises to JSON (nftm_to_json) so that the last applied one
 * can be kept next to the state and diffed against at the next change,
 * without its rules: a chain's digest is all a diff needs of the old side
 * (with a thousand policies, the rules made reading and writing that
 * state a quarter of a change's time).
 *
 * Building never fails half-way: allocation failures set t->oom, which
 * nftm_finish() reports.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

struct nftm_set {
	char *name;
	char *type;          /* "ipv4_addr", "ipv4_addr . inet_proto . inet_service" */
	char *verdict_type;  /* maps: "verdict"; NULL for sets */
	char *comment;       /* NULL: none */
	char *flags;         /* NULL: none; "dynamic,timeout; timeout 10800s" for Services' affinity */
	char **elems;        /* sorted and unique after nftm_finish(); maps: "KEY : VERDICT" */
	size_t n_elems, cap_elems;
};

struct nftm_chain {
	char *name;
	char *base;          /* base chains: "type filter hook forward priority filter; policy accept;" */
	char *comment;
	char **rules;
	size_t n_rules, cap_rules;
	uint64_t digest;     /* of the rules, by nftm_finish(); all a diff needs of an old chain */
	bool rules_elided;   /* read back from a state without rules: only the digest */
};

struct nftm_table {
	char *family;        /* "inet" */
	char *name;          /* "podnet" */
	struct nftm_set *sets;
	size_t n_sets, cap_sets;
	struct nftm_chain *chains;
	size_t n_chains, cap_chains;
	/* While building: open-addressed name -> index + 1 (0 = free), so
	 * that finding one of thousands of chains is not a scan. */
	size_t *set_ix, *chain_ix;
	size_t cap_set_ix, cap_chain_ix;
	bool oom;
	bool finished;
};

int nftm_table_new(const char *family, const char *name, struct nftm_table **out,
		   struct pn_err *err) PN_MUST_CHECK;
void nftm_table_free(struct nftm_table *t);

/* Add a set (@verdict_type NULL) or a map; returns it (NULL when out of
 * memory, t->oom set).  Names must be unique within the table. */
struct nftm_set *nftm_set_add(struct nftm_table *t, const char *name, const char *type,
			      const char *verdict_type, const char *comment);
struct nftm_set *nftm_set_find(const struct nftm_table *t, const char *name);
/* Declaration text after the type: "flags dynamic,timeout; timeout 10800s".
 * Elements the kernel adds to such a set (`update @set`) are not the
 * model's: diffs never touch them. */
void nftm_set_flags(struct nftm_table *t, struct nftm_set *s, const char *flags);
void nftm_elem(struct nftm_table *t, struct nftm_set *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct nftm_chain *nftm_chain_add(struct nftm_table *t, const char *name, const char *base,
				  const char *comment);
struct nftm_chain *nftm_chain_find(const struct nftm_table *t, const char *name);
void nftm_rule(struct nftm_table *t, struct nftm_chain *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sort sets and chains by name, elements sorted and unique.  -ENOMEM if
 * anything failed while building. */
int nftm_finish(struct nftm_table *t, struct pn_err *err) PN_MUST_CHECK;

/* Heap scripts; NULL when out of memory (and for diff: when a full
 * replacement is needed, *full_needed set). An empty diff is "".
 * nftm_script_full() of a model without its rules is NULL too. */
char *nftm_script_full(const struct nftm_table *t);
char *nftm_script_delete(const char *family, const char *name);
char *nftm_script_diff(const struct nftm_table *old, const struct nftm_table *new, bool *full_needed);

/* @with_rules false: chains keep their digest only; such a model read
 * back serves as the old side of nftm_script_diff() and nothing else. */
json_t *nftm_to_json(const struct nftm_table *t, bool with_rules);
int nftm_from_json(json_t *j, struct nftm_table **out, struct pn_err *err) PN_MUST_CHECK;

/* Counts for reports and benchmarks. */
size_t nftm_count_elems(const struct nftm_table *t);
size_t nftm_count_rules(const struct nftm_table *t);

#endif
