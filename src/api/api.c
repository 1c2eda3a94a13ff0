/* SPDX-License-Identifier: Apache-2.0 */
#include "api.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "apistatus.h"
#include "buf.h"
#include "fieldsel.h"
#include "handlers.h"
#include "labelsel.h"
#include "listcache.h"
#include "log.h"
#include "openapi.h"
#include "table.h"

time_t api_now(const struct api *a)
{
	return a->fixed_now ? a->fixed_now : time(NULL);
}

void api_route_free(struct api_route *rt)
{
	free(rt->group);
	free(rt->version);
	free(rt->namespace_);
	free(rt->resource);
	free(rt->name);
	free(rt->subresource);
	memset(rt, 0, sizeof(*rt));
}

/* A path segment may not be empty, "." or ".." (kube-apiserver refuses
 * those names too). */
static bool segment_ok(const char *s, size_t n)
{
	return n && !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

static int take(char **dst, char *const *segs, size_t i, size_t n)
{
	if (i >= n)
		return 0;
	*dst = strdup(segs[i]);
	return *dst ? 0 : -ENOMEM;
}

/*
 * kube-apiserver's RequestInfo: /api/v1/... is the core group, /apis/G/V/...
 * a named one; then [namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]], where
 * "namespaces/NS" followed by "status" or "finalize" is the namespace's own
 * subresource and "namespaces/NS" alone the namespace itself.
 */
int api_route_parse(const char *path, struct api_route *rt)
{
	char *segs[8];
	size_t n = 0, i = 0;
	const char *p;
	int ret = 0;

	memset(rt, 0, sizeof(*rt));
	if (!strncmp(path, "/api/", 5) || !strcmp(path, "/api")) {
		rt->group = strdup("");
		if (!rt->group)
			return -ENOMEM;
		p = path + 4;
	} else if (!strncmp(path, "/apis/", 6) || !strcmp(path, "/apis")) {
		p = path + 5;
	} else {
		return 0;
	}
	rt->api = true;
	while (*p == '/')
		p++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (n == PN_ARRAY_SIZE(segs) || !segment_ok(p, len)) {
			ret = -ENOENT;
			goto out;
		}
		segs[n] = strndup(p, len);
		if (!segs[n]) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
		p += len;
		while (*p == '/')
			p++;
	}
	if (!rt->group) {
		if (n == 0) {
			rt->parts = -2;
			goto out;
		}
		if ((ret = take(&rt->group, segs, i++, n)) < 0)
			goto out;
	}
	if (i == n) {
		rt->parts = -1;
		goto out;
	}
	if ((ret = take(&rt->version, segs, i++, n)) < 0)
		goto out;
	rt->parts = (int)(n - i);
	if (n - i >= 2 && !strcmp(segs[i], "namespaces")) {
		if ((ret = take(&rt->namespace_, segs, i + 1, n)) < 0)
			goto out;
		if (n - i > 2 && strcmp(segs[i + 2], "status") && strcmp(segs[i + 2], "finalize"))
			i += 2;
	}
	if ((ret = take(&rt->resource, segs, i, n)) < 0 ||
	    (ret = take(&rt->name, segs, i + 1, n)) < 0 ||
	    (ret = take(&rt->subresource, segs, i + 2, n)) < 0)
		goto out;
	if (i + 3 < n)
		ret = -ENOENT;
out:
	for (size_t k = 0; k < n; k++)
		free(segs[k]);
	return ret;
}

/* ---- plain endpoints */

static void reply_text(struct http_resp *resp, int code, const char *text)
{
	if (http_resp_set(resp, code, "text/plain; charset=utf-8", text, strlen(text)) < 0)
		resp->status = 500;
}

static void reply_json(struct http_resp *resp, int code, json_t *j)
{
	if (http_resp_json(resp, code, j) < 0)
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
}

static void handle_version(struct http_resp *resp)
{
	struct utsname u;
	char platform[128];

	uname(&u);
	snprintf(platform, sizeof(platform), "linux/%s",
		 !strcmp(u.machine, "x86_64") ? "amd64" : (!strcmp(u.machine, "aarch64") ? "arm64" : u.machine));
	reply_json(resp, 200,
		   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", API_MAJOR,
			     "minor", API_MINOR, "gitVersion", API_GIT_VERSION, "gitCommit", "",
			     "gitTreeState", "clean", "buildDate", "", "goVersion", "",
			     "compiler", "gcc", "platform", platform));
}

static bool wants_aggregated(const char *accept)
{
	return accept && strstr(accept, "g=apidiscovery.k8s.io") && strstr(accept, "v=v2") &&
	       strstr(accept, "as=APIGroupDiscoveryList");
}

static void reply_aggregated(struct http_resp *resp, bool core)
{
	reply_json(resp, 200, api_discovery_aggregated(core));
	if (resp->status == 200)
		resp->content_type =
			"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
}

/* ---- list, get, watch from the cache */

struct selectors {
	struct labelsel *labels;
	struct fieldsel *fields;
};

static void selectors_free(struct selectors *s)
{
	labelsel_free(s->labels);
	fieldsel_free(s->fields);
	memset(s, 0, sizeof(*s));
}

static const char *labels_lookup(void *ctx, const char *key)
{
	json_t *labels = json_object_get(json_object_get(ctx, "metadata"), "labels");

	return json_string_value(json_object_get(labels, key));
}

static bool selected(const struct selectors *s, enum api_kind kind, json_t *obj)
{
	return labelsel_matches(s->labels, labels_lookup, obj) &&
	       fieldsel_matches(s->fields, kind, obj);
}

/* 0, or the response is set to the 400 kube-apiserver answers. */
static int parse_selectors(const struct http_req *req, enum api_kind kind, struct selectors *s,
			   struct http_resp *resp)
{
	const char *ls = http_query_get(req, "labelSelector");
	const char *fs = http_query_get(req, "fieldSelector");
	struct pn_err err = { 0 };

	memset(s, 0, sizeof(*s));
	if (ls && labelsel_parse(ls, &s->labels, &err) < 0) {
		apistatus_bad_request(resp, "%s", pn_err_msg(&err));
		pn_err_free(&err);
		return -EINVAL;
	}
	if (fs) {
		char *msg = NULL;
		int r = fieldsel_parse(fs, kind, &s->fields, &msg);

		if (r < 0) {
			apistatus_bad_request(resp, "%s", msg ? msg : "out of memory");
			free(msg);
			selectors_free(s);
			return r;
		}
	}
	return 0;
}

static const char *list_kind(const struct api_resource *res, char *buf, size_t n)
{
	snprintf(buf, n, "%sList", res->kind);
	return buf;
}

/* The continue token: the key of the next item, and the list's rv. */
static char *continue_token(uint64_t rv, const char *ns, const char *name)
{
	char *s = NULL;

	if (asprintf(&s, "%llu:%s/%s", (unsigned long long)rv, ns, name) < 0)
		return NULL;
	return s;
}

/* A body made elsewhere (taken over). */
static void reply_text_json(struct http_resp *resp, char *body, size_t len)
{
	if (!body) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		return;
	}
	http_resp_shared(resp, 200, "application/json", body, len, free, body);
}

/* {"kind":"PodList",...,"items":[<each object's text>]} */
static char *list_text(const struct api_resource *res, json_t *items, json_t *texts,
		       const char *rv, const char *cont, size_t remaining, size_t *len)
{
	struct pn_buf b = { 0 };
	char av[64], lk[64];
	json_t *obj;
	size_t i;

	pn_buf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%s\"",
		      list_kind(res, lk, sizeof(lk)), api_resource_api_version(res, av, sizeof(av)), rv);
	if (cont)
		pn_buf_printf(&b, ",\"continue\":\"%s\",\"remainingItemCount\":%zu", cont, remaining);
	pn_buf_puts(&b, "},\"items\":[");
	json_array_foreach(items, i, obj) {
		const char *t = json_string_value(json_array_get(texts, i));
		char *own = t ? NULL : json_dumps(obj, JSON_COMPACT);

		if (i)
			pn_buf_putc(&b, ',');
		pn_buf_puts(&b, t ? t : (own ? own : "null"));
		free(own);
	}
	pn_buf_puts(&b, "]}\n");
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return pn_buf_take(&b);
}

/*
 * What a list's bytes depend on besides the objects and the clock: the
 * resource as asked for (its group version names the list's apiVersion),
 * the namespace, the selectors as written, limit, continue, Table or not
 * and what a Table row includes.  Strings length-prefixed: no two requests
 * share a key unless they share every part.
 */
static char *list_key(const struct api_resource *res, const char *ns, const struct http_req *req,
		      long long limit, bool table, int inc, bool gzip)
{
	const char *ls = http_query_get(req, "labelSelector"), *fs = http_query_get(req, "fieldSelector");
	const char *cont = http_query_get(req, "continue");
	char av[64];

	ns = ns ? ns : "";
	ls = ls ? ls : "";
	fs = fs ? fs : "";
	cont = cont ? cont : "";
	return pn_strdup_printf("%d %s %s|%zu:%s|%zu:%s|%zu:%s|%lld|%zu:%s|%d|%d|%d", (int)res->id,
				api_resource_api_version(res, av, sizeof(av)),
				res->plural, strlen(ns), ns, strlen(ls), ls, strlen(fs), fs, limit,
				strlen(cont), cont, table, inc, gzip);
}

/* A kept list as the response (a reference of its own). */
static void reply_list(struct http_resp *resp, const struct listcache_body *lb)
{
	http_resp_shared(resp, 200, "application/json", lb->data, lb->len, listcache_release,
			 (void *)lb);
	/* Vary first: a failure leaves no Content-Encoding on the error */
	if (lb->gzip && (http_resp_add_header(resp, "Vary", "Accept-Encoding") < 0 ||
			 http_resp_add_header(resp, "Content-Encoding", "gzip") < 0))
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
}

static void handle_list(struct api *a, const struct http_req *req, const struct api_resource *res,
			const char *ns, struct http_resp *resp)
{
	struct selectors sel;
	json_t *all = NULL, *items = NULL, *texts = NULL, *metas = NULL, *it = NULL, *im = NULL, *obj;
	uint64_t rv = 0;
	char rvs[32], *cont = NULL, *key = NULL, *body = NULL;
	const char *limit_s = http_query_get(req, "limit"), *cont_in = http_query_get(req, "continue");
	long long limit = 0;
	size_t i, remaining = 0, len = 0;
	const char *start_ns = NULL, *start_name = NULL;
	char start_buf[512];
	bool table = table_wanted(http_header_get(req, "Accept"));
	int inc = table ? table_parse_include(http_query_get(req, "includeObject")) : 0;
	time_t now = api_now(a);
	int64_t stamp = table ? (int64_t)now : 0;
	struct listcache_claim claim = { .slot = -1 };
	const struct listcache_body *lb;
	bool gzip = http_accepts_gzip(req), gzipped = false;

	if (inc < 0)
		inc = TABLE_INCLUDE_METADATA;
	if (parse_selectors(req, res->id, &sel, resp) < 0)
		return;
	if (limit_s && *limit_s) {
		char *end;

		limit = strtoll(limit_s, &end, 10);
		if (*end || limit < 0)
			limit = 0;
	}
	if (cont_in && *cont_in) {
		/* "rv:ns/name" of the first item not yet returned. */
		const char *colon = strchr(cont_in, ':'), *slash;

		if (!colon || !(slash = strchr(colon + 1, '/'))) {
			apistatus_bad_request(resp, "continue key is not valid: %s", cont_in);
			selectors_free(&sel);
			return;
		}
		snprintf(start_buf, sizeof(start_buf), "%s", colon + 1);
		start_buf[slash - colon - 1] = '\0';
		start_ns = start_buf;
		start_name = start_buf + (slash - colon);
	}
	/* The same list at the same resourceVersion (and second, for a
	 * Table) was made already: send its bytes (listcache.h). */
	if (a->lists && (key = list_key(res, ns, req, limit, table, inc, gzip))) {
		lb = listcache_get(a->lists, key, cache_rv(a->cache), stamp, &claim);
		if (lb) {
			reply_list(resp, lb);
			goto out;
		}
	}
	all = cache_list_texts(a->cache, res->id, ns, &rv, &texts, &metas);
	items = json_array();
	it = json_array();
	im = json_array();
	if (!all || !items || !it || !im)
		goto made;
	json_array_foreach(all, i, obj) {
		if (start_ns) {
			int c = strcmp(cache_obj_namespace(obj), start_ns);

			if (c < 0 || (c == 0 && strcmp(cache_obj_name(obj), start_name) < 0))
				continue;
		}
		if (!selected(&sel, res->id, obj))
			continue;
		if (limit && (long long)json_array_size(items) == limit) {
			if (!cont)
				cont = continue_token(rv, cache_obj_namespace(obj), cache_obj_name(obj));
			remaining++;
			continue;
		}
		json_array_append(items, obj);
		json_array_append(it, json_array_get(texts, i));
		json_array_append(im, json_array_get(metas, i));
	}
	snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
	if (table)
		body = table_text(res->id, items, it, im, (enum table_include)inc, now, rvs, cont, &len);
	else
		body = list_text(res, items, it, rvs, cont, remaining, &len);
	if (body && gzip && len > HTTP_GZIP_MIN) {
		char *z = NULL;
		size_t zlen = 0;

		if (http_gzip(body, len, &z, &zlen) == 0) {
			free(body);
			body = z;
			len = zlen;
			gzipped = true;
		}
	}
made:
	if (key) {
		/* Whatever happened: whoever waits for this key's body must
		 * hear that it is made (or not). */
		lb = listcache_put(a->lists, &claim, body, len, gzipped, rv, stamp);
		if (lb)
			reply_list(resp, lb);
		else
			apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
	} else {
		reply_text_json(resp, body, len);
		if (gzipped && (http_resp_add_header(resp, "Vary", "Accept-Encoding") < 0 ||
				http_resp_add_header(resp, "Content-Encoding", "gzip") < 0))
			apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
	}
out:
	json_decref(all);
	json_decref(items);
	json_decref(texts);
	json_decref(metas);
	json_decref(it);
	json_decref(im);
	free(cont);
	free(key);
	selectors_free(&sel);
}

static void handle_get(struct api *a, const struct http_req *req, const struct api_resource *res,
		       const char *ns, const char *name, struct http_resp *resp)
{
	json_t *obj = cache_get(a->cache, res->id, res->namespaced ? ns : NULL, name);

	if (!obj) {
		apistatus_not_found(resp, res, name);
		return;
	}
	if (table_wanted(http_header_get(req, "Accept"))) {
		json_t *one = json_pack("[o]", obj);
		int inc = table_parse_include(http_query_get(req, "includeObject"));

		reply_json(resp, 200,
			   table_build(res->id, one, inc < 0 ? TABLE_INCLUDE_METADATA : inc, api_now(a),
				       json_string_value(json_object_get(json_object_get(obj, "metadata"),
									 "resourceVersion")),
				       NULL));
		json_decref(one);
		return;
	}
	reply_json(resp, 200, obj);
}

/* ---- watch */

struct watch_stream {
	struct api *a;
	const struct api_resource *res;
	struct cache_watch *w;
	struct selectors sel;
	bool table;
	enum table_include inc;
	int conn_fd;
	uint64_t deadline_ms;     /* monotonic */
	char *pending;            /* bytes of an event not yet handed out */
	size_t pending_len, pending_off;
	bool done;
	json_t *error;            /* a Status to send as an ERROR event, then end */
};

static void watch_stream_free(void *ctx)
{
	struct watch_stream *s = ctx;

	cache_watch_close(s->w);
	selectors_free(&s->sel);
	free(s->pending);
	json_decref(s->error);
	free(s);
}

static uint64_t now_ms(void)
{
	return pn_now_ns() / 1000000;
}

static char *event_line(struct watch_stream *s, const char *type, json_t *obj)
{
	json_t *ev, *payload;
	char *line;

	if (s->table) {
		json_t *one = json_pack("[O]", obj);

		payload = table_build(s->res->id, one, s->inc, api_now(s->a),
				      json_string_value(json_object_get(json_object_get(obj, "metadata"),
									"resourceVersion")),
				      NULL);
		json_decref(one);
	} else {
		payload = json_incref(obj);
	}
	ev = json_pack("{s:s, s:o}", "type", type, "object", payload);
	line = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(ev);
	if (line) {
		size_t n = strlen(line);
		char *t = realloc(line, n + 2);

		if (!t) {
			free(line);
			return NULL;
		}
		t[n] = '\n';
		t[n + 1] = '\0';
		line = t;
	}
	return line;
}

/* The next event this watch sends: the change, or a transition into or
 * out of the selection (kube-apiserver sends DELETED for an object that
 * stopped matching, ADDED for one that started). */
static char *next_line(struct watch_stream *s, const struct cache_event *ev)
{
	bool now = selected(&s->sel, s->res->id, ev->obj);
	bool before = ev->prev ? selected(&s->sel, s->res->id, ev->prev) : false;

	switch (ev->type) {
	case CACHE_ADDED:
		return now ? event_line(s, "ADDED", ev->obj) : NULL;
	case CACHE_DELETED:
		return now ? event_line(s, "DELETED", ev->obj) : NULL;
	case CACHE_MODIFIED:
		if (now && before)
			return event_line(s, "MODIFIED", ev->obj);
		if (now)
			return event_line(s, "ADDED", ev->obj);
		if (before)
			return event_line(s, "DELETED", ev->obj);
		return NULL;
	}
	return NULL;
}

static ssize_t watch_read(void *ctx, char *buf, size_t max)
{
	struct watch_stream *s = ctx;

	for (;;) {
		if (s->pending) {
			size_t n = s->pending_len - s->pending_off;

			if (n > max)
				n = max;
			memcpy(buf, s->pending + s->pending_off, n);
			s->pending_off += n;
			if (s->pending_off == s->pending_len) {
				free(s->pending);
				s->pending = NULL;
			}
			return (ssize_t)n;
		}
		if (s->done || s->a->stopping)
			return -1;
		if (s->error) {
			json_t *ev = json_pack("{s:s, s:O}", "type", "ERROR", "object", s->error);
			char *line = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

			json_decref(ev);
			s->done = true;
			if (!line)
				return -1;
			s->pending_len = strlen(line) + 1;
			s->pending = realloc(line, s->pending_len + 1);
			if (!s->pending) {
				free(line);
				return -1;
			}
			s->pending[s->pending_len - 1] = '\n';
			s->pending_off = 0;
			continue;
		}
		{
			struct cache_event ev;
			int r = cache_watch_next(s->w, &ev);

			if (r == -ESTALE) {
				s->error = apistatus_new(410, "Expired", "too old resource version", NULL);
				continue;
			}
			if (r < 0)
				return -1;
			if (r == 1) {
				s->pending = next_line(s, &ev);
				cache_event_clear(&ev);
				if (s->pending) {
					s->pending_len = strlen(s->pending);
					s->pending_off = 0;
				}
				continue;
			}
		}
		/* Nothing yet: wait for a change, the client leaving, the
		 * deadline or shutdown (checked each second). */
		{
			struct pollfd p[2] = { { cache_watch_fd(s->w), POLLIN, 0 },
					       { s->conn_fd, POLLRDHUP, 0 } };
			uint64_t now = now_ms();
			int timeout = 1000;

			if (s->deadline_ms && now >= s->deadline_ms)
				return -1;
			if (s->deadline_ms && s->deadline_ms - now < 1000)
				timeout = (int)(s->deadline_ms - now);
			if (poll(p, s->conn_fd >= 0 ? 2 : 1, timeout) > 0 &&
			    (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				return -1;
		}
	}
}

static void handle_watch(struct api *a, const struct http_req *req,
			 const struct api_resource *res, const char *ns, const char *name,
			 struct http_resp *resp)
{
	struct watch_stream *s = calloc(1, sizeof(*s));
	const char *rv_s = http_query_get(req, "resourceVersion");
	const char *to = http_query_get(req, "timeoutSeconds");
	uint64_t from = 0, oldest = 0;
	bool too_old = false;

	if (!s) {
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		return;
	}
	s->a = a;
	s->res = res;
	s->conn_fd = req->conn_fd;
	if (parse_selectors(req, res->id, &s->sel, resp) < 0) {
		free(s);
		return;
	}
	if (name) {
		/* A watch of one object is a watch with metadata.name=NAME. */
		char *msg = NULL, *fs = NULL;
		struct fieldsel *f = NULL;

		if (asprintf(&fs, "metadata.name=%s", name) >= 0 &&
		    fieldsel_parse(fs, res->id, &f, &msg) == 0) {
			if (s->sel.fields) {
				/* Both: AND them by keeping the explicit one and
				 * checking the name on top. */
				struct fieldsel_term *t = realloc(s->sel.fields->terms,
								  (s->sel.fields->n + 1) * sizeof(*t));

				if (t) {
					s->sel.fields->terms = t;
					t[s->sel.fields->n++] = f->terms[0];
					f->n = 0;
				}
				fieldsel_free(f);
			} else {
				s->sel.fields = f;
			}
		}
		free(fs);
		free(msg);
	}
	if (rv_s && *rv_s) {
		char *end;

		from = strtoull(rv_s, &end, 10);
		if (*end) {
			apistatus_bad_request(resp, "invalid resource version: %s", rv_s);
			watch_stream_free(s);
			return;
		}
	}
	s->table = table_wanted(http_header_get(req, "Accept"));
	{
		int inc = table_parse_include(http_query_get(req, "includeObject"));

		s->inc = inc < 0 ? TABLE_INCLUDE_METADATA : (enum table_include)inc;
	}
	if (to && *to) {
		long long t = strtoll(to, NULL, 10);

		if (t > 0)
			s->deadline_ms = now_ms() + (uint64_t)t * 1000;
	}
	if (!s->deadline_ms) {
		/* kube-apiserver ends a watch after --min-request-timeout (30
		 * minutes) times a random factor in [1, 2); clients renew. */
		s->deadline_ms = now_ms() + (uint64_t)(1800 + rand() % 1800) * 1000;
	}
	s->w = cache_watch_open(a->cache, res->id, res->namespaced ? ns : NULL, from, &too_old,
				&oldest);
	if (!s->w && too_old) {
		char msg[128];

		snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)",
			 (unsigned long long)from, (unsigned long long)oldest);
		s->error = apistatus_new(410, "Expired", msg, NULL);
	} else if (!s->w) {
		watch_stream_free(s);
		apistatus_reply(resp, 500, "InternalError", NULL, "out of memory");
		return;
	}
	/* Without a watch (too old) the stream is one ERROR event, as
	 * kube-apiserver's watch cache answers. */
	http_resp_stream(resp, "application/json", watch_read, watch_stream_free, s);
}

static bool want_watch(const struct http_req *req)
{
	const char *w = http_query_get(req, "watch");

	return w && (!strcmp(w, "true") || !strcmp(w, "1"));
}

/* ---- dispatch */

static void handle_resource(struct api *a, const struct http_req *req, struct api_route *rt,
			    struct http_resp *resp)
{
	const struct api_resource *res;
	const char *m = req->method;
	const char *ns = rt->namespace_;

	res = api_resource_find(rt->group, rt->version, rt->resource);
	if (!res) {
		apistatus_no_route(resp);
		return;
	}
	if (res->namespaced && rt->name && !ns) {
		/* /api/v1/pods/NAME names nothing. */
		apistatus_no_route(resp);
		return;
	}
	if (!res->namespaced && res->id != API_NAMESPACES && ns) {
		apistatus_no_route(resp);
		return;
	}
	if (res->id == API_NAMESPACES)
		ns = NULL;
	if (rt->subresource) {
		if (!api_subres_find(res, rt->subresource)) {
			apistatus_no_route(resp);
			return;
		}
		api_handle_subresource(a, req, res, rt->namespace_, rt->name, rt->subresource, resp);
		return;
	}
	if (!strcmp(m, "GET")) {
		if (!rt->name && want_watch(req))
			handle_watch(a, req, res, ns, NULL, resp);
		else if (!rt->name)
			handle_list(a, req, res, ns, resp);
		else if (want_watch(req))
			handle_watch(a, req, res, ns, rt->name, resp);
		else
			handle_get(a, req, res, ns, rt->name, resp);
		return;
	}
	if (!strcmp(m, "POST") && !rt->name) {
		if (!api_verb_allowed(res->verbs, "create"))
			apistatus_method_not_allowed(resp);
		else
			api_handle_create(a, req, res, ns, resp);
		return;
	}
	if ((!strcmp(m, "PUT") || !strcmp(m, "PATCH")) && rt->name) {
		if (!api_verb_allowed(res->verbs, m[1] == 'U' ? "update" : "patch"))
			apistatus_method_not_allowed(resp);
		else
			api_handle_write(a, req, res, ns, rt->name, resp);
		return;
	}
	if (!strcmp(m, "DELETE")) {
		if (!api_verb_allowed(res->verbs, rt->name ? "delete" : "deletecollection"))
			apistatus_method_not_allowed(resp);
		else if (rt->name)
			api_handle_delete(a, req, res, ns, rt->name, resp);
		else
			api_handle_delete_collection(a, req, res, ns, resp);
		return;
	}
	apistatus_method_not_allowed(resp);
}

static bool anonymous_ok(const char *path)
{
	static const char *const open_paths[] = { "/healthz", "/livez", "/readyz", "/version" };

	for (size_t i = 0; i < PN_ARRAY_SIZE(open_paths); i++) {
		size_t n = strlen(open_paths[i]);

		if (!strncmp(path, open_paths[i], n) && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static void dispatch(struct api *a, struct http_req *req, struct http_resp *resp)
{
	const char *path = req->path;
	const char *accept = http_header_get(req, "Accept");
	struct api_route rt;
	int r;

	if (!req->user && !anonymous_ok(path)) {
		/* As kube-apiserver without anonymous auth: 401, nothing more. */
		apistatus_reply(resp, 401, "Unauthorized", NULL, "Unauthorized");
		return;
	}
	if (!strcmp(path, "/healthz") || !strcmp(path, "/livez") || !strcmp(path, "/readyz") ||
	    !strncmp(path, "/healthz/", 9) || !strncmp(path, "/livez/", 7) ||
	    !strncmp(path, "/readyz/", 8)) {
		reply_text(resp, 200, "ok");
		return;
	}
	if (!strcmp(path, "/version") || !strcmp(path, "/version/")) {
		handle_version(resp);
		return;
	}
	if (!strncmp(path, "/openapi/", 9)) {
		openapi_handle(req, resp);
		return;
	}
	r = api_route_parse(path, &rt);
	if (r < 0 || !rt.api) {
		api_route_free(&rt);
		apistatus_no_route(resp);
		return;
	}
	if (rt.parts == -2 || (rt.parts == -1 && !*rt.group)) {
		/* /apis or /api */
		bool core = rt.parts == -1;

		if (strcmp(req->method, "GET"))
			apistatus_method_not_allowed(resp);
		else if (wants_aggregated(accept))
			reply_aggregated(resp, core);
		else
			reply_json(resp, 200, core ? api_discovery_versions() : api_discovery_groups());
		api_route_free(&rt);
		return;
	}
	if (rt.parts == -1) {
		json_t *g = api_discovery_group(rt.group);

		if (g)
			reply_json(resp, 200, g);
		else
			apistatus_no_route(resp);
		api_route_free(&rt);
		return;
	}
	if (rt.parts == 0) {
		json_t *d = api_discovery_resources(rt.group, rt.version);

		if (d)
			reply_json(resp, 200, d);
		else
			apistatus_no_route(resp);
		api_route_free(&rt);
		return;
	}
	if (!rt.resource) {
		apistatus_no_route(resp);
		api_route_free(&rt);
		return;
	}
	handle_resource(a, req, &rt, resp);
	api_route_free(&rt);
}

void api_handle(void *ctx, struct http_req *req, struct http_resp *resp)
{
	struct api *a = ctx;
	uint64_t t0 = pn_now_ns();

	if (req->body_too_large) {
		apistatus_reply(resp, 413, "RequestEntityTooLarge", NULL,
				"Request entity too large: limit is %u", HTTP_MAX_BODY);
	} else {
		dispatch(a, req, resp);
	}
	/* kube-apiserver's httplog line, at -v 2 and up. */
	if (pn_log_enabled(PN_LOG_INFO)) {
		const char *q = NULL;
		char query[512] = "";
		size_t off = 0;

		for (size_t i = 0; i < req->n_query && off < sizeof(query); i++)
			off += (size_t)snprintf(query + off, sizeof(query) - off, "%s%s=%s",
						i ? "&" : "?", req->query[i].key, req->query[i].value);
		(void)q;
		pn_log(PN_LOG_INFO, "%s %s%s: %d %s (%s %s, %.3fms)", req->method, req->path, query,
		       resp->kind == HTTP_RESP_UPGRADE ? 101 : resp->status,
		       resp->kind == HTTP_RESP_STREAM ? "streaming" : "",
		       req->user ? req->user : "anonymous", req->remote,
		       (double)(pn_now_ns() - t0) / 1e6);
	}
}
