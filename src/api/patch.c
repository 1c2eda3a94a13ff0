/* SPDX-License-Identifier: Apache-2.0 */
#include "patch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define SET_ORDER "$setElementOrder/"
#define DELETE_FROM "$deleteFromPrimitiveList/"

static int fail(char **msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **msg, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*msg = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

/* ---- patch metadata: what kube-apiserver's Go types declare */

struct meta_entry {
	const char *path;
	struct patch_meta m;
};

static const struct meta_entry common_meta[] = {
	{ "metadata.finalizers", { NULL, false, true } },
	{ "metadata.ownerReferences", { "uid", false, false } },
	{ NULL, { NULL, false, false } },
};

static const struct meta_entry pod_meta[] = {
	{ "spec.containers", { "name", false, false } },
	{ "spec.initContainers", { "name", false, false } },
	{ "spec.ephemeralContainers", { "name", false, false } },
	{ "spec.containers.ports", { "containerPort", false, false } },
	{ "spec.initContainers.ports", { "containerPort", false, false } },
	{ "spec.containers.env", { "name", false, false } },
	{ "spec.initContainers.env", { "name", false, false } },
	{ "spec.containers.volumeMounts", { "mountPath", false, false } },
	{ "spec.initContainers.volumeMounts", { "mountPath", false, false } },
	{ "spec.containers.volumeDevices", { "devicePath", false, false } },
	{ "spec.volumes", { "name", true, false } },
	{ "spec.imagePullSecrets", { "name", false, false } },
	{ "spec.hostAliases", { "ip", false, false } },
	{ "spec.schedulingGates", { "name", false, false } },
	{ "spec.resourceClaims", { "name", true, false } },
	{ "status.conditions", { "type", false, false } },
	{ "status.podIPs", { "ip", false, false } },
	{ "status.hostIPs", { "ip", false, false } },
	{ NULL, { NULL, false, false } },
};

static const struct meta_entry node_meta[] = {
	{ "spec.podCIDRs", { NULL, false, true } },
	{ "status.addresses", { "type", false, false } },
	{ "status.conditions", { "type", false, false } },
	{ NULL, { NULL, false, false } },
};

/* ServiceSpec.ports: patchMergeKey port (listMapKeys port, protocol). */
static const struct meta_entry svc_meta[] = {
	{ "spec.ports", { "port", false, false } },
	{ NULL, { NULL, false, false } },
};

struct patch_meta patch_meta_for(enum api_kind kind, const char *path)
{
	static const struct patch_meta none = { NULL, false, false };
	const struct meta_entry *tables[2] = { common_meta, NULL };

	if (kind == API_PODS)
		tables[1] = pod_meta;
	else if (kind == API_NODES)
		tables[1] = node_meta;
	else if (kind == API_SERVICES)
		tables[1] = svc_meta;
	for (size_t t = 0; t < 2; t++)
		for (const struct meta_entry *e = tables[t]; e && e->path; e++)
			if (!strcmp(e->path, path))
				return e->m;
	return none;
}

/* ---- RFC 7386 */

static json_t *merge_rec(json_t *target, json_t *patch)
{
	const char *k;
	json_t *v, *t;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	t = json_is_object(target) ? json_deep_copy(target) : json_object();
	if (!t)
		return NULL;
	json_object_foreach(patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(t, k);
		} else {
			json_t *m = merge_rec(json_object_get(t, k), v);

			if (!m || json_object_set_new(t, k, m) < 0) {
				json_decref(t);
				return NULL;
			}
		}
	}
	return t;
}

int patch_merge(json_t *doc, json_t *patch, json_t **out, char **msg)
{
	*msg = NULL;
	*out = merge_rec(doc, patch);
	return *out ? 0 : -ENOMEM;
}

/* ---- strategic merge patch */

struct smp {
	enum api_kind kind;
	char **msg;
};

static char *child_path(const char *path, const char *key)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s", path, *path ? "." : "", key) < 0)
		return NULL;
	return s;
}

/* Remove "$patch" maps (and their subtrees) and keep the rest: what a value
 * new to the original becomes. */
static json_t *strip_directives(json_t *v, bool *keep)
{
	*keep = true;
	if (json_is_object(v)) {
		json_t *o, *x;
		const char *k;

		if (json_object_get(v, DIRECTIVE)) {
			*keep = false;
			return NULL;
		}
		o = json_object();
		json_object_foreach(v, k, x) {
			bool kk;
			json_t *c;

			/* Nulls in a new value mean nothing (IgnoreUnmatchedNulls). */
			if (json_is_null(x))
				continue;
			c = strip_directives(x, &kk);
			if (kk && c)
				json_object_set_new(o, k, c);
			else
				json_decref(c);
		}
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array(), *x;
		size_t i;

		json_array_foreach(v, i, x) {
			bool kk;
			json_t *c = strip_directives(x, &kk);

			if (kk && c)
				json_array_append_new(a, c);
			else
				json_decref(c);
		}
		return a;
	}
	return json_incref(v);
}

static int merge_map(struct smp *s, json_t *orig, json_t *patch, const char *path, json_t **out);

static json_t *find_by_key(json_t *list, const char *key, json_t *val, size_t *idx)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		json_t *v = json_object_get(e, key);

		if (v && json_equal(v, val)) {
			if (idx)
				*idx = i;
			return e;
		}
	}
	return NULL;
}

static bool same_item(json_t *a, json_t *b, const char *key)
{
	if (!key)
		return json_equal(a, b);
	return json_equal(json_object_get(a, key), json_object_get(b, key));
}

static long index_of(json_t *list, json_t *item, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
		if (same_item(e, item, key))
			return (long)i;
	return -1;
}

/*
 * The result order of a merged list: items named in the patch in the
 * patch's order, items only the server has in the server's order,
 * interleaved by the server's order where both know an item (Go's
 * normalizeElementOrder).
 */
static json_t *normalize_order(json_t *merged, json_t *patch_order, json_t *server_order,
			       const char *key)
{
	json_t *p = json_array(), *srv = json_array(), *res = json_array(), *e;
	size_t i, a, b;

	json_array_foreach(merged, i, e) {
		if (index_of(patch_order, e, key) >= 0)
			json_array_append(p, e);
		else
			json_array_append(srv, e);
	}
	/* Stable sort of the patch items by their place in patch_order
	 * (insertion sort: lists are short). */
	for (a = 1; a < json_array_size(p); a++) {
		for (b = a; b > 0; b--) {
			json_t *x = json_array_get(p, b - 1), *y = json_array_get(p, b);
			long ix = index_of(patch_order, x, key), iy = index_of(patch_order, y, key);

			if (ix < 0 || iy < 0 || ix <= iy)
				break;
			json_incref(x);
			json_array_set(p, b - 1, y);
			json_array_set_new(p, b, x);
		}
	}
	a = b = 0;
	while (a < json_array_size(srv) || b < json_array_size(p)) {
		if (a >= json_array_size(srv)) {
			json_array_append(res, json_array_get(p, b++));
		} else if (b >= json_array_size(p)) {
			json_array_append(res, json_array_get(srv, a++));
		} else {
			long li = index_of(server_order, json_array_get(srv, a), key);
			long ri = index_of(server_order, json_array_get(p, b), key);

			if (li >= 0 && ri >= 0 && li < ri)
				json_array_append(res, json_array_get(srv, a++));
			else
				json_array_append(res, json_array_get(p, b++));
		}
	}
	json_decref(p);
	json_decref(srv);
	return res;
}

static int merge_list(struct smp *s, json_t *orig, json_t *patch, const char *path,
		      const struct patch_meta *pm, bool delete_list, json_t **out)
{
	json_t *res, *e, *items = json_array();
	bool maps = false, replace = false;
	size_t i;
	int ret = 0;

	if (!items)
		return -ENOMEM;
	json_array_foreach(orig, i, e)
		maps |= json_is_object(e);
	json_array_foreach(patch, i, e)
		maps |= json_is_object(e);
	if (!maps) {
		res = json_array();
		if (delete_list) {
			/* $deleteFromPrimitiveList: drop the listed values. */
			json_array_foreach(orig, i, e)
				if (index_of(patch, e, NULL) < 0)
					json_array_append(res, e);
		} else {
			json_array_foreach(orig, i, e)
				if (index_of(res, e, NULL) < 0)
					json_array_append(res, e);
			json_array_foreach(patch, i, e)
				if (index_of(res, e, NULL) < 0)
					json_array_append(res, e);
		}
		json_decref(items);
		*out = normalize_order(res, patch, orig, NULL);
		json_decref(res);
		return *out ? 0 : -ENOMEM;
	}
	if (!pm->merge_key) {
		json_decref(items);
		return fail(s->msg, "cannot merge lists without merge key for %s", path);
	}
	res = json_deep_copy(orig);
	/* Special elements first: {"$patch": "delete", KEY: V} removes, a
	 * {"$patch": "replace"} makes the patch's items the whole list. */
	json_array_foreach(patch, i, e) {
		json_t *d = json_object_get(e, DIRECTIVE);
		const char *dv = json_string_value(d);

		if (!json_is_object(e)) {
			ret = fail(s->msg, "list %s: an item is not an object", path);
			goto out;
		}
		if (!d) {
			json_array_append(items, e);
			continue;
		}
		if (dv && !strcmp(dv, "delete")) {
			json_t *kv = json_object_get(e, pm->merge_key);
			size_t at;

			if (!kv) {
				ret = fail(s->msg, "map: %s does not contain declared merge key: %s", path,
					   pm->merge_key);
				goto out;
			}
			while (find_by_key(res, pm->merge_key, kv, &at))
				json_array_remove(res, at);
		} else if (dv && !strcmp(dv, "replace")) {
			replace = true;
		} else if (dv && !strcmp(dv, "merge")) {
			ret = fail(s->msg, "merging lists cannot yet be specified in the patch");
			goto out;
		} else {
			ret = fail(s->msg, "unknown patch type: %s in map: %s", dv ? dv : "?", path);
			goto out;
		}
	}
	if (replace) {
		json_decref(res);
		res = json_array();
		json_array_foreach(items, i, e) {
			bool keep;
			json_t *c = strip_directives(e, &keep);

			if (keep && c)
				json_array_append_new(res, c);
		}
		*out = res;
		res = NULL;
		goto out;
	}
	json_array_foreach(items, i, e) {
		json_t *kv = json_object_get(e, pm->merge_key), *o;
		size_t at;

		if (!kv) {
			ret = fail(s->msg, "map: %s does not contain declared merge key: %s", path,
				   pm->merge_key);
			goto out;
		}
		o = find_by_key(res, pm->merge_key, kv, &at);
		if (o) {
			json_t *m = NULL;

			ret = merge_map(s, o, e, path, &m);
			if (ret < 0)
				goto out;
			json_array_set_new(res, at, m);
		} else {
			bool keep;
			json_t *c = strip_directives(e, &keep);

			if (keep && c)
				json_array_append_new(res, c);
		}
	}
	*out = normalize_order(res, items, orig, pm->merge_key);
	if (!*out)
		ret = -ENOMEM;
out:
	json_decref(res);
	json_decref(items);
	return ret;
}

/* $setElementOrder/KEY: the list KEY merged, then ordered as given. */
static int set_order_one(struct smp *s, json_t *orig, json_t *patch, const char *path,
			 const char *key)
{
	const char *field = key + strlen(SET_ORDER);
	json_t *v = json_object_get(patch, key), *ol, *pl, *merged = NULL;
	struct patch_meta pm;
	char *cp;
	int ret = 0;

	if (!json_is_array(v))
		return fail(s->msg, "invalid patch: %s must be a list", key);
	cp = child_path(path, field);
	if (!cp)
		return -ENOMEM;
	pm = patch_meta_for(s->kind, cp);
	ol = json_object_get(orig, field);
	pl = json_object_get(patch, field);
	if ((ol && !json_is_array(ol)) || (pl && !json_is_array(pl))) {
		ret = fail(s->msg, "invalid patch: %s is not a list", field);
		goto out;
	}
	if (ol && pl) {
		ret = merge_list(s, ol, pl, cp, &pm, false, &merged);
		if (ret < 0)
			goto out;
	} else if (pl) {
		bool keep;

		merged = strip_directives(pl, &keep);
		if (!keep) {
			json_decref(merged);
			merged = NULL;
		}
	} else if (ol) {
		merged = json_incref(ol);
	}
	if (merged) {
		json_t *empty = json_array();
		json_t *ordered = normalize_order(merged, v, ol ? ol : empty, pm.merge_key);

		json_decref(empty);
		json_decref(merged);
		if (!ordered) {
			ret = -ENOMEM;
			goto out;
		}
		json_object_set_new(orig, field, ordered);
		json_object_del(patch, field);
	}
out:
	free(cp);
	return ret;
}

static int apply_set_order(struct smp *s, json_t *orig, json_t *patch, const char *path)
{
	const char *k;
	json_t *v;
	char **keys = NULL;
	size_t n = 0;
	int ret = 0;

	/* Collected first: handling one deletes other keys of @patch. */
	json_object_foreach(patch, k, v) {
		char **t;

		if (strncmp(k, SET_ORDER, strlen(SET_ORDER)))
			continue;
		t = realloc(keys, (n + 1) * sizeof(*t));
		if (!t || !(t[n] = strdup(k))) {
			keys = t ? t : keys;
			ret = -ENOMEM;
			goto out;
		}
		keys = t;
		n++;
	}
	for (size_t i = 0; i < n && ret == 0; i++) {
		ret = set_order_one(s, orig, patch, path, keys[i]);
		json_object_del(patch, keys[i]);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return ret;
}

/* Merge @patch into @orig (both owned by the caller, unchanged) at @path;
 * *out is the new map. */
static int merge_map(struct smp *s, json_t *orig_in, json_t *patch_in, const char *path,
		     json_t **out)
{
	json_t *orig = NULL, *patch = NULL, *d, *v, *rk;
	const char *k;
	void *tmp;
	int ret = 0;

	*out = NULL;
	d = json_object_get(patch_in, DIRECTIVE);
	if (d) {
		const char *dv = json_string_value(d);

		if (dv && !strcmp(dv, "replace")) {
			bool keep;

			patch = json_deep_copy(patch_in);
			json_object_del(patch, DIRECTIVE);
			*out = strip_directives(patch, &keep);
			json_decref(patch);
			return *out ? 0 : -ENOMEM;
		}
		if (dv && !strcmp(dv, "delete")) {
			*out = json_object();
			return *out ? 0 : -ENOMEM;
		}
		return fail(s->msg, "unknown patch type: %s in map: %s", dv ? dv : "?", path);
	}
	orig = json_is_object(orig_in) ? json_deep_copy(orig_in) : json_object();
	patch = json_deep_copy(patch_in);
	if (!orig || !patch) {
		ret = -ENOMEM;
		goto out;
	}
	rk = json_object_get(patch, RETAIN_KEYS);
	if (rk) {
		json_t *x;
		size_t i;

		if (!json_is_array(rk)) {
			ret = fail(s->msg, "invalid patch: the $retainKeys directive must be a list");
			goto out;
		}
		json_object_foreach(patch, k, x) {
			bool listed = false;

			if (json_is_null(x) || !strncmp(k, DELETE_FROM, strlen(DELETE_FROM)) ||
			    !strncmp(k, SET_ORDER, strlen(SET_ORDER)) || !strcmp(k, RETAIN_KEYS))
				continue;
			json_array_foreach(rk, i, v)
				listed |= json_is_string(v) && !strcmp(json_string_value(v), k);
			if (!listed) {
				ret = fail(s->msg, "invalid patch: the keys of the patch must all be in "
						   "$retainKeys");
				goto out;
			}
		}
		json_object_foreach_safe(orig, tmp, k, x) {
			bool listed = false;

			json_array_foreach(rk, i, v)
				listed |= json_is_string(v) && !strcmp(json_string_value(v), k);
			if (!listed)
				json_object_del(orig, k);
		}
		json_object_del(patch, RETAIN_KEYS);
	}
	ret = apply_set_order(s, orig, patch, path);
	if (ret < 0)
		goto out;
	json_object_foreach_safe(patch, tmp, k, v) {
		bool delete_list = false;
		const char *field = k;
		json_t *ov;
		char *cp;

		if (!strncmp(k, DELETE_FROM, strlen(DELETE_FROM))) {
			delete_list = true;
			field = k + strlen(DELETE_FROM);
			if (!json_is_array(v)) {
				ret = fail(s->msg, "invalid patch: %s must be a list", k);
				goto out;
			}
		}
		if (json_is_null(v)) {
			json_object_del(orig, field);
			continue;
		}
		ov = json_object_get(orig, field);
		if (!ov || json_typeof(ov) != json_typeof(v) ||
		    (json_is_boolean(ov) && json_is_boolean(v))) {
			bool keep;
			json_t *c;

			if (delete_list)
				continue;
			c = strip_directives(v, &keep);
			if (keep && c)
				json_object_set_new(orig, field, c);
			else {
				json_decref(c);
				json_object_del(orig, field);
			}
			continue;
		}
		cp = child_path(path, field);
		if (!cp) {
			ret = -ENOMEM;
			goto out;
		}
		if (json_is_object(ov)) {
			json_t *m = NULL;

			ret = merge_map(s, ov, v, cp, &m);
			if (ret == 0)
				json_object_set_new(orig, field, m);
		} else if (json_is_array(ov)) {
			struct patch_meta pm = patch_meta_for(s->kind, cp);
			json_t *m = NULL;

			if (pm.merge_key || pm.merge_primitives || delete_list) {
				ret = merge_list(s, ov, v, cp, &pm, delete_list, &m);
			} else {
				bool keep;

				m = strip_directives(v, &keep);
			}
			if (ret == 0 && m)
				json_object_set_new(orig, field, m);
		} else {
			json_object_set(orig, field, v);
		}
		free(cp);
		if (ret < 0)
			goto out;
	}
	*out = orig;
	orig = NULL;
out:
	json_decref(orig);
	json_decref(patch);
	return ret;
}

int patch_strategic(enum api_kind kind, json_t *doc, json_t *patch, json_t **out, char **msg)
{
	struct smp s = { kind, msg };

	*msg = NULL;
	*out = NULL;
	if (!json_is_object(patch))
		return fail(msg, "couldn't get version/kind; json parse error: the patch is not an object");
	return merge_map(&s, doc, patch, "", out);
}

/* ---- RFC 6902 */

/* The parent container of @pointer's target and the last token
 * (unescaped: ~1 is '/', ~0 is '~'). */
static int resolve(json_t *doc, const char *pointer, json_t **parent, char **last)
{
	const char *p = pointer;
	json_t *cur = doc;

	*parent = NULL;
	*last = NULL;
	if (*p == '\0')
		return 0;   /* the whole document */
	if (*p != '/')
		return -EINVAL;
	for (;;) {
		const char *end = strchr(p + 1, '/');
		size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *tok = malloc(n + 1), *o = tok;

		if (!tok)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			char c = p[1 + i];

			if (c == '~' && i + 1 < n && (p[2 + i] == '0' || p[2 + i] == '1')) {
				*o++ = p[2 + i] == '0' ? '~' : '/';
				i++;
			} else if (c == '~') {
				free(tok);
				return -EINVAL;
			} else {
				*o++ = c;
			}
		}
		*o = '\0';
		if (!end) {
			*parent = cur;
			*last = tok;
			return 0;
		}
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *e;
			unsigned long i = strtoul(tok, &e, 10);

			cur = (*tok && !*e) ? json_array_get(cur, i) : NULL;
		} else {
			cur = NULL;
		}
		free(tok);
		if (!cur)
			return -ENOENT;
		p = end;
	}
}

static bool array_index(json_t *a, const char *tok, bool allow_end, size_t *i)
{
	char *e;
	unsigned long v;

	if (allow_end && !strcmp(tok, "-")) {
		*i = json_array_size(a);
		return true;
	}
	if (!*tok || (tok[0] == '0' && tok[1]) || tok[0] == '-' || tok[0] == '+')
		return false;
	v = strtoul(tok, &e, 10);
	if (*e || v > json_array_size(a) || (!allow_end && v == json_array_size(a)))
		return false;
	*i = v;
	return true;
}

static json_t *get_at(json_t *doc, const char *path)
{
	json_t *parent;
	char *last;
	json_t *r = NULL;

	if (resolve(doc, path, &parent, &last) < 0)
		return NULL;
	if (!last)
		return doc;
	if (json_is_object(parent)) {
		r = json_object_get(parent, last);
	} else if (json_is_array(parent)) {
		size_t i;

		if (array_index(parent, last, false, &i))
			r = json_array_get(parent, i);
	}
	free(last);
	return r;
}

/* add @val (reference taken) at @path of *doc. */
static int op_add(json_t **doc, const char *path, json_t *val, char **msg)
{
	json_t *parent;
	char *last;
	int r = resolve(*doc, path, &parent, &last);

	if (r < 0) {
		json_decref(val);
		return fail(msg, "add operation does not apply: doc is missing path: \"%s\"", path);
	}
	if (!last) {
		json_decref(*doc);
		*doc = val;
		return 0;
	}
	if (json_is_object(parent)) {
		json_object_set_new(parent, last, val);
	} else if (json_is_array(parent)) {
		size_t i;

		if (!array_index(parent, last, true, &i)) {
			free(last);
			json_decref(val);
			return fail(msg, "add operation does not apply: index out of bounds: \"%s\"", path);
		}
		json_array_insert_new(parent, i, val);
	} else {
		free(last);
		json_decref(val);
		return fail(msg, "add operation does not apply: doc is missing path: \"%s\"", path);
	}
	free(last);
	return 0;
}

static int op_remove(json_t *doc, const char *path, char **msg, const char *op)
{
	json_t *parent;
	char *last;
	int r = resolve(doc, path, &parent, &last);

	if (r < 0 || !last)
		return fail(msg, "%s operation does not apply: doc is missing path: \"%s\"", op, path);
	if (json_is_object(parent) && json_object_get(parent, last)) {
		json_object_del(parent, last);
	} else if (json_is_array(parent)) {
		size_t i;

		if (!array_index(parent, last, false, &i)) {
			free(last);
			return fail(msg, "%s operation does not apply: doc is missing path: \"%s\"", op,
				    path);
		}
		json_array_remove(parent, i);
	} else {
		free(last);
		return fail(msg, "%s operation does not apply: doc is missing path: \"%s\"", op, path);
	}
	free(last);
	return 0;
}

int patch_json(json_t *doc_in, json_t *ops, json_t **out, char **msg)
{
	json_t *doc, *op;
	size_t i;
	int ret = 0;

	*msg = NULL;
	*out = NULL;
	if (!json_is_array(ops))
		return fail(msg, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
	doc = json_deep_copy(doc_in);
	if (!doc)
		return -ENOMEM;
	json_array_foreach(ops, i, op) {
		const char *o = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *from = json_string_value(json_object_get(op, "from"));
		json_t *value = json_object_get(op, "value");

		if (!o || !path) {
			ret = fail(msg, "Unexpected kind: %s", o ? o : "unknown");
			break;
		}
		if (!strcmp(o, "add")) {
			if (!value) {
				ret = fail(msg, "add operation does not apply: missing value");
				break;
			}
			ret = op_add(&doc, path, json_deep_copy(value), msg);
		} else if (!strcmp(o, "remove")) {
			ret = op_remove(doc, path, msg, "remove");
		} else if (!strcmp(o, "replace")) {
			if (!value) {
				ret = fail(msg, "replace operation does not apply: missing value");
				break;
			}
			if (!get_at(doc, path)) {
				ret = fail(msg, "replace operation does not apply: doc is missing key: %s",
					   path);
				break;
			}
			if (*path) {
				ret = op_remove(doc, path, msg, "replace");
				if (ret == 0)
					ret = op_add(&doc, path, json_deep_copy(value), msg);
			} else {
				json_decref(doc);
				doc = json_deep_copy(value);
			}
		} else if (!strcmp(o, "move") || !strcmp(o, "copy")) {
			json_t *v = from ? get_at(doc, from) : NULL;

			if (!v) {
				ret = fail(msg, "%s operation does not apply: doc is missing from path: %s", o,
					   from ? from : "");
				break;
			}
			v = json_deep_copy(v);
			if (!strcmp(o, "move"))
				ret = op_remove(doc, from, msg, "move");
			if (ret == 0)
				ret = op_add(&doc, path, v, msg);
			else
				json_decref(v);
		} else if (!strcmp(o, "test")) {
			json_t *v = get_at(doc, path);

			if (!v || !value || !json_equal(v, value)) {
				ret = fail(msg, "testing value %s failed: test failed", path);
				break;
			}
		} else {
			ret = fail(msg, "Unexpected kind: %s", o);
		}
		if (ret < 0)
			break;
	}
	if (ret < 0) {
		json_decref(doc);
		return ret;
	}
	*out = doc;
	return 0;
}
