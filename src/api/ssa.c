/* SPDX-License-Identifier: Apache-2.0 */
#include "ssa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patch.h"

/*
 * A field set is a FieldsV1 tree: an object whose keys are path elements
 * ("f:spec", "k:{\"name\":\"c1\"}", "v:\"x\""), each leading to the set
 * below it.  The path of a node is in the set when the node is a leaf ({})
 * or holds ".": {}; its children are the paths below.
 */

/* Maps whose keys are data (labels), not fields: their node is owned
 * itself too (".") as kube-apiserver records them. */
static const char *const granular_maps[] = {
	"metadata.labels", "metadata.annotations", "spec.nodeSelector", NULL,
};

/* Top-level and metadata fields that are the object's identity or the
 * server's, never owned. */
static const char *const skipped[] = {
	"apiVersion", "kind", "status",
	"metadata.name", "metadata.namespace", "metadata.uid", "metadata.resourceVersion",
	"metadata.generation", "metadata.creationTimestamp", "metadata.managedFields",
	"metadata.deletionTimestamp", "metadata.deletionGracePeriodSeconds", "metadata.selfLink",
	NULL,
};

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

static char *join(const char *path, const char *key)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s", path, *path ? "." : "", key) < 0)
		return NULL;
	return s;
}

/* "k:{...}" of an item of a keyed list. */
static char *item_key(json_t *item, const char *merge_key)
{
	json_t *k = json_pack("{s:O}", merge_key, json_object_get(item, merge_key));
	char *j = k ? json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS) : NULL, *s = NULL;

	json_decref(k);
	if (j && asprintf(&s, "k:%s", j) < 0)
		s = NULL;
	free(j);
	return s;
}

static char *value_key(json_t *v)
{
	char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *s = NULL;

	if (j && asprintf(&s, "v:%s", j) < 0)
		s = NULL;
	free(j);
	return s;
}

static json_t *set_of(enum api_kind kind, json_t *v, const char *path, bool top);

static json_t *list_set(enum api_kind kind, json_t *list, const char *path)
{
	struct patch_meta pm = patch_meta_for(kind, path);
	json_t *s, *item;
	size_t i;

	if (!pm.merge_key && !pm.merge_primitives)
		return json_object();   /* atomic: owned whole */
	s = json_object();
	json_array_foreach(list, i, item) {
		char *k = pm.merge_key ? item_key(item, pm.merge_key) : value_key(item);
		json_t *child;

		if (!k)
			continue;
		if (pm.merge_key && json_is_object(item)) {
			child = set_of(kind, item, path, false);
			json_object_set_new(child, ".", json_object());
		} else {
			child = json_object();
		}
		json_object_set_new(s, k, child);
		free(k);
	}
	return s;
}

static json_t *set_of(enum api_kind kind, json_t *v, const char *path, bool top)
{
	json_t *s = json_object(), *x;
	const char *k;

	if (!s)
		return NULL;
	if (!json_is_object(v) || (!top && json_object_size(v) == 0))
		return s;   /* a leaf */
	json_object_foreach(v, k, x) {
		char *cp = join(path, k), *fk = NULL;
		json_t *child;

		if (!cp)
			continue;
		if (in_list(cp, skipped) || json_is_null(x)) {
			free(cp);
			continue;
		}
		if (json_is_array(x))
			child = list_set(kind, x, cp);
		else
			child = set_of(kind, x, cp, false);
		if (json_is_object(x) && json_object_size(x) && in_list(cp, granular_maps))
			json_object_set_new(child, ".", json_object());
		if (asprintf(&fk, "f:%s", k) >= 0) {
			/* metadata itself is a struct: only its fields count. */
			if (!(top && !strcmp(k, "metadata") && json_object_size(child) == 0))
				json_object_set_new(s, fk, child);
			else
				json_decref(child);
		} else {
			json_decref(child);
		}
		free(fk);
		free(cp);
	}
	return s;
}

json_t *ssa_fieldset(enum api_kind kind, json_t *obj)
{
	return set_of(kind, obj, "", true);
}

/* ---- set algebra */

static bool member(json_t *node)
{
	return json_object_size(node) == 0 || json_object_get(node, ".");
}

static void set_union(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(b, k, v) {
		json_t *av = json_object_get(a, k);

		if (!av) {
			json_object_set_new(a, k, json_deep_copy(v));
		} else if (json_object_size(v) == 0 && json_object_size(av) != 0) {
			/* b has the path itself as a leaf: a keeps its subtree and
			 * gains the path. */
			json_object_set_new(av, ".", json_object());
		} else {
			set_union(av, v);
		}
	}
}

/* a := a - b (paths in b removed from a; subtrees emptied away). */
static void set_subtract(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(a, tmp, k, v) {
		json_t *bv = json_object_get(b, k);

		if (!bv)
			continue;
		if (!strcmp(k, ".")) {
			json_object_del(a, k);
			continue;
		}
		if (json_object_size(bv) == 0 || json_object_get(bv, ".")) {
			/* The path itself goes; what is below stays only when b
			 * does not own it either. */
			if (json_object_size(v) == 0) {
				json_object_del(a, k);
				continue;
			}
			json_object_del(v, ".");
		}
		set_subtract(v, bv);
		if (json_object_size(v) == 0 && json_object_size(bv) != 0 &&
		    !json_object_get(bv, ".")) {
			/* Only children removed and nothing left: the node was an
			 * interior node, drop it. */
			json_object_del(a, k);
		} else if (json_object_size(v) == 0) {
			json_object_del(a, k);
		}
	}
}

/* ---- values at paths */

/* The child of @v named by path element @pe, or NULL. */
static json_t *child_at(json_t *v, const char *pe, size_t *index)
{
	if (!strncmp(pe, "f:", 2))
		return json_object_get(v, pe + 2);
	if (!strncmp(pe, "k:", 2) && json_is_array(v)) {
		json_t *key = json_loads(pe + 2, 0, NULL), *item;
		size_t i;

		json_array_foreach(v, i, item) {
			const char *kk;
			json_t *kv;
			bool match = json_is_object(item) && json_object_size(key);

			json_object_foreach(key, kk, kv)
				match &= json_equal(json_object_get(item, kk), kv);
			if (match) {
				json_decref(key);
				if (index)
					*index = i;
				return item;
			}
		}
		json_decref(key);
		return NULL;
	}
	if (!strncmp(pe, "v:", 2) && json_is_array(v)) {
		json_t *val = json_loads(pe + 2, JSON_DECODE_ANY, NULL), *item;
		size_t i;

		json_array_foreach(v, i, item) {
			if (json_equal(item, val)) {
				json_decref(val);
				if (index)
					*index = i;
				return item;
			}
		}
		json_decref(val);
	}
	return NULL;
}

/* ".spec.containers[name=\"c1\"].image" */
static void append_pe(char **s, const char *pe)
{
	char *n = NULL;

	if (!strncmp(pe, "f:", 2)) {
		if (asprintf(&n, "%s.%s", *s, pe + 2) < 0)
			n = NULL;
	} else if (!strncmp(pe, "k:", 2)) {
		json_t *key = json_loads(pe + 2, 0, NULL), *v;
		const char *k;
		char *inner = strdup("");

		json_object_foreach(key, k, v) {
			char *vs = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT), *t = NULL;

			if (inner && vs && asprintf(&t, "%s%s%s=%s", inner, *inner ? "," : "", k, vs) >= 0) {
				free(inner);
				inner = t;
			}
			free(vs);
		}
		json_decref(key);
		if (inner && asprintf(&n, "%s[%s]", *s, inner) < 0)
			n = NULL;
		free(inner);
	} else if (!strncmp(pe, "v:", 2)) {
		if (asprintf(&n, "%s[=%s]", *s, pe + 2) < 0)
			n = NULL;
	}
	if (n) {
		free(*s);
		*s = n;
	}
}

struct conflict_ctx {
	json_t *live, *config;
	const char *other;       /* the manager's printed name */
	json_t *causes;
};

/* Walk @mine (the applied set) over @theirs (another manager's): every leaf
 * both own whose value differs between live and config is a conflict. */
static void find_conflicts(struct conflict_ctx *c, json_t *mine, json_t *theirs, json_t *live,
			   json_t *config, const char *path)
{
	const char *k;
	json_t *v;

	json_object_foreach(mine, k, v) {
		json_t *tv = json_object_get(theirs, k), *lv, *cv;
		char *p;

		if (!tv || !strcmp(k, "."))
			continue;
		lv = live ? child_at(live, k, NULL) : NULL;
		cv = config ? child_at(config, k, NULL) : NULL;
		p = strdup(path);
		if (!p)
			continue;
		append_pe(&p, k);
		if (json_object_size(v) == 0 && member(tv)) {
			if (lv && cv && !json_equal(lv, cv)) {
				char msg[512];

				snprintf(msg, sizeof(msg), "conflict with %s", c->other);
				json_array_append_new(c->causes,
						      json_pack("{s:s, s:s, s:s}", "reason",
								"FieldManagerConflict", "message", msg,
								"field", p));
			}
		} else {
			find_conflicts(c, v, tv, lv, cv, p);
		}
		free(p);
	}
}

/* Delete from @obj every path of @set that is a member. */
static void remove_paths(json_t *obj, json_t *set)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(set, tmp, k, v) {
		size_t idx;
		json_t *child;

		if (!strcmp(k, "."))
			continue;
		child = child_at(obj, k, &idx);
		if (!child)
			continue;
		if (member(v)) {
			if (!strncmp(k, "f:", 2))
				json_object_del(obj, k + 2);
			else if (json_is_array(obj))
				json_array_remove(obj, idx);
		} else {
			remove_paths(child, v);
		}
	}
}

/* Merge @config into @live (in place) the way an apply does. */
static void merge_into(enum api_kind kind, json_t *live, json_t *config, const char *path)
{
	const char *k;
	json_t *cv;

	json_object_foreach(config, k, cv) {
		json_t *lv = json_object_get(live, k);
		char *cp = join(path, k);

		if (!cp)
			continue;
		if (json_is_object(cv) && json_is_object(lv) && !in_list(cp, skipped)) {
			merge_into(kind, lv, cv, cp);
		} else if (json_is_array(cv) && json_is_array(lv)) {
			struct patch_meta pm = patch_meta_for(kind, cp);
			json_t *item;
			size_t i;

			if (pm.merge_key) {
				json_array_foreach(cv, i, item) {
					char *ik = item_key(item, pm.merge_key);
					json_t *li = ik ? child_at(lv, ik, NULL) : NULL;

					if (li && json_is_object(item))
						merge_into(kind, li, item, cp);
					else
						json_array_append(lv, item);
					free(ik);
				}
			} else if (pm.merge_primitives) {
				json_array_foreach(cv, i, item) {
					size_t j;
					json_t *x;
					bool have = false;

					json_array_foreach(lv, j, x)
						have |= json_equal(x, item);
					if (!have)
						json_array_append(lv, item);
				}
			} else {
				json_object_set(live, k, cv);
			}
		} else {
			json_object_set_new(live, k, json_deep_copy(cv));
		}
		free(cp);
	}
}

/* A managedFields entry; its apiVersion is @obj's ("networking.k8s.io/v1"
 * for a NetworkPolicy: kubectl matches entries on it). */
static json_t *entry(json_t *obj, const char *manager, const char *op, const char *now,
		     json_t *set)
{
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "manager", manager, "operation", op,
			 "apiVersion", av && *av ? av : "v1", "time", now, "fieldsType", "FieldsV1",
			 "fieldsV1", set);
}

static json_t *managed(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *m = json_object_get(meta, "managedFields");

	if (!json_is_array(m)) {
		m = json_array();
		if (meta)
			json_object_set_new(meta, "managedFields", m);
	}
	return m;
}

/* The manager as kube-apiserver prints it in a conflict. */
static void print_manager(json_t *e, char *buf, size_t n)
{
	const char *name = json_string_value(json_object_get(e, "manager"));
	const char *op = json_string_value(json_object_get(e, "operation"));

	if (op && !strcmp(op, "Update"))
		snprintf(buf, n, "\"%s\" using %s", name ? name : "",
			 json_string_value(json_object_get(e, "apiVersion")) ?: "v1");
	else
		snprintf(buf, n, "\"%s\"", name ? name : "");
}

int ssa_apply(enum api_kind kind, json_t *live_in, json_t *config, const char *manager, bool force,
	      const char *now, json_t **out, json_t **conflicts, char **msg)
{
	json_t *live, *mf, *cfg_set, *prev = NULL, *others = json_object(), *e, *causes = json_array();
	size_t i;
	int ret = 0;

	*out = NULL;
	*conflicts = NULL;
	*msg = NULL;
	if (!json_is_object(config)) {
		json_decref(others);
		json_decref(causes);
		if (asprintf(msg, "the applied configuration is not an object") < 0)
			*msg = NULL;
		return -EINVAL;
	}
	live = live_in ? json_deep_copy(live_in) : json_object();
	if (!json_object_get(live, "metadata"))
		json_object_set_new(live, "metadata", json_object());
	mf = managed(live);
	cfg_set = ssa_fieldset(kind, config);

	/* Conflicts with every other manager. */
	json_array_foreach(mf, i, e) {
		const char *name = json_string_value(json_object_get(e, "manager"));
		const char *op = json_string_value(json_object_get(e, "operation"));
		json_t *set = json_object_get(e, "fieldsV1");

		if (name && !strcmp(name, manager) && op && !strcmp(op, "Apply")) {
			prev = json_deep_copy(set);
			continue;
		}
		if (set)
			set_union(others, set);
		if (!force) {
			char who[300];
			struct conflict_ctx c;

			print_manager(e, who, sizeof(who));
			c.other = who;
			c.causes = causes;
			find_conflicts(&c, cfg_set, set, live_in, config, "");
		}
	}
	if (json_array_size(causes)) {
		size_t n = json_array_size(causes);

		if (n == 1) {
			json_t *c0 = json_array_get(causes, 0);

			if (asprintf(msg, "Apply failed with 1 conflict: %s: %s",
				     json_string_value(json_object_get(c0, "message")),
				     json_string_value(json_object_get(c0, "field"))) < 0)
				*msg = NULL;
		} else {
			char *all = NULL;
			size_t sz = 0;
			FILE *f = open_memstream(&all, &sz);
			json_t *c;
			size_t j;

			/* Grouped by manager, as kube-apiserver words it. */
			json_array_foreach(causes, i, c) {
				const char *m = json_string_value(json_object_get(c, "message"));
				bool seen = false;

				for (j = 0; j < i; j++)
					seen |= !strcmp(json_string_value(json_object_get(
								json_array_get(causes, j), "message")), m);
				if (seen)
					continue;
				fprintf(f, "%sconflicts with %s:", i ? "\n" : "", m + strlen("conflict with "));
				json_array_foreach(causes, j, e)
					if (!strcmp(json_string_value(json_object_get(e, "message")), m))
						fprintf(f, "\n- %s",
							json_string_value(json_object_get(e, "field")));
			}
			fclose(f);
			if (asprintf(msg, "Apply failed with %zu conflicts: %s", n, all ? all : "") < 0)
				*msg = NULL;
			free(all);
		}
		*conflicts = causes;
		causes = NULL;
		ret = -EEXIST;
		goto out;
	}

	merge_into(kind, live, config, "");
	/* What this manager applied before and no longer does, and nobody
	 * else owns, goes away. */
	if (prev) {
		set_subtract(prev, cfg_set);
		set_subtract(prev, others);
		remove_paths(live, prev);
	}
	/* Ownership: the applier owns its configuration; with force it takes
	 * the fields from the others. */
	mf = managed(live);
	{
		json_t *newmf = json_array();
		bool placed = false;

		json_array_foreach(mf, i, e) {
			const char *name = json_string_value(json_object_get(e, "manager"));
			const char *op = json_string_value(json_object_get(e, "operation"));

			if (name && !strcmp(name, manager) && op && !strcmp(op, "Apply")) {
				json_array_append_new(newmf, entry(config, manager, "Apply", now,
								   json_deep_copy(cfg_set)));
				placed = true;
				continue;
			}
			if (force) {
				json_t *copy = json_deep_copy(e);
				json_t *set = json_object_get(copy, "fieldsV1");

				set_subtract(set, cfg_set);
				if (json_object_size(set))
					json_array_append_new(newmf, copy);
				else
					json_decref(copy);
			} else {
				json_array_append(newmf, e);
			}
		}
		if (!placed)
			json_array_append_new(newmf, entry(config, manager, "Apply", now, json_deep_copy(cfg_set)));
		json_object_set_new(json_object_get(live, "metadata"), "managedFields", newmf);
	}
	*out = live;
	live = NULL;
out:
	json_decref(live);
	json_decref(cfg_set);
	json_decref(prev);
	json_decref(others);
	json_decref(causes);
	return ret;
}

/* Leaves of @set whose value differs between @a and @b (or that @a lacks). */
static void changed_paths(json_t *set, json_t *a, json_t *b, json_t *out)
{
	const char *k;
	json_t *v;

	json_object_foreach(set, k, v) {
		json_t *av, *bv;

		if (!strcmp(k, "."))
			continue;
		av = a ? child_at(a, k, NULL) : NULL;
		bv = b ? child_at(b, k, NULL) : NULL;
		if (json_object_size(v) == 0) {
			if (!av || !json_equal(av, bv))
				json_object_set_new(out, k, json_object());
		} else {
			json_t *sub = json_object();

			changed_paths(v, av, bv, sub);
			if (json_object_get(v, ".") && !bv)
				json_object_set_new(sub, ".", json_object());
			if (json_object_size(sub))
				json_object_set_new(out, k, sub);
			else
				json_decref(sub);
		}
	}
}

/* a := a ∩ b, path by path. */
static void set_intersect(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(a, tmp, k, v) {
		json_t *bv = json_object_get(b, k);

		if (!bv) {
			json_object_del(a, k);
			continue;
		}
		if (json_object_size(v) == 0)
			continue;
		set_intersect(v, bv);
		if (json_object_size(v) == 0)
			json_object_del(a, k);
	}
}

int ssa_update(enum api_kind kind, json_t *old, json_t *new_obj, const char *manager,
	       const char *now)
{
	json_t *new_set = ssa_fieldset(kind, new_obj), *changed = json_object(), *mf, *newmf, *e;
	json_t *meta = json_object_get(new_obj, "metadata");
	size_t i;
	bool placed = false;

	if (!new_set || !changed || !meta) {
		json_decref(new_set);
		json_decref(changed);
		return meta ? -ENOMEM : 0;
	}
	changed_paths(new_set, new_obj, old, changed);
	/* The old object's managers carry over (a PUT or patch body may bring
	 * its own stale copy: the server's record wins). */
	mf = old ? json_object_get(json_object_get(old, "metadata"), "managedFields") : NULL;
	newmf = json_array();
	json_array_foreach(mf, i, e) {
		const char *name = json_string_value(json_object_get(e, "manager"));
		const char *op = json_string_value(json_object_get(e, "operation"));
		json_t *copy = json_deep_copy(e), *set = json_object_get(copy, "fieldsV1");

		if (name && !strcmp(name, manager) && op && !strcmp(op, "Update")) {
			set_union(set, changed);
			json_object_set_new(copy, "time", json_string(now));
			placed = true;
		} else {
			set_subtract(set, changed);
		}
		/* Fields the write removed belong to no one any more. */
		set_intersect(set, new_set);
		if (json_object_size(set))
			json_array_append_new(newmf, copy);
		else
			json_decref(copy);
	}
	if (!placed && json_object_size(changed))
		json_array_append_new(newmf, entry(new_obj, manager, "Update", now, json_incref(changed)));
	json_object_set_new(meta, "managedFields", newmf);
	json_decref(new_set);
	json_decref(changed);
	return 0;
}

void ssa_default_manager(const char *ua, char *buf, size_t n)
{
	size_t len = ua ? strcspn(ua, "/ ") : 0;

	if (!len) {
		snprintf(buf, n, "unknown");
		return;
	}
	snprintf(buf, n, "%.*s", (int)(len < 128 ? len : 128), ua);
}
