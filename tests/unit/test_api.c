/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podnetd's read side through api_handle(), without a socket: who may ask
 * what (401), discovery in both forms, lists (JSON and Table, selectors,
 * limit/continue), gets, watches (changes, selection transitions, a too
 * old resourceVersion) and kube-apiserver's Status errors.  The cache is
 * filled with objects as the node side would.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "api.h"
#include "tap.h"

static struct api A;

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static json_t *pod(const char *ns, const char *name, const char *app, const char *phase,
		   const char *rv, const char *extra_status)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
		 "\"uid\":\"u-%s\",\"resourceVersion\":\"%s\",\"creationTimestamp\":\"2025-12-31T23:58:00Z\","
		 "\"labels\":{\"app\":\"%s\"}},\"spec\":{\"nodeName\":\"vm\",\"containers\":[{\"name\":\"c1\","
		 "\"image\":\"host\"},{\"name\":\"c2\",\"image\":\"host\"}]},\"status\":{\"phase\":\"%s\","
		 "\"podIP\":\"10.244.0.9\",\"podIPs\":[{\"ip\":\"10.244.0.9\"}],\"conditions\":[{\"type\":"
		 "\"Ready\",\"status\":\"True\"}]%s}}",
		 name, ns, name, rv, app, phase, extra_status ? extra_status : "");
	return json_loads(buf, 0, NULL);
}

#define RUNNING_STATUSES                                                                          \
	",\"containerStatuses\":[{\"name\":\"c1\",\"ready\":true,\"restartCount\":0,\"state\":"   \
	"{\"running\":{}}},{\"name\":\"c2\",\"ready\":true,\"restartCount\":0,\"state\":"         \
	"{\"running\":{}}}]"
#define CRASH_STATUSES                                                                            \
	",\"containerStatuses\":[{\"name\":\"c1\",\"ready\":true,\"restartCount\":0,\"state\":"   \
	"{\"running\":{}}},{\"name\":\"c2\",\"ready\":false,\"restartCount\":3,\"state\":"        \
	"{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":"          \
	"{\"exitCode\":1,\"finishedAt\":\"2025-12-31T23:58:00Z\"}}}]"

struct result {
	int status;
	const char *ctype;
	json_t *body;
	char *text;
	struct http_resp resp;
};

static void result_free(struct result *r)
{
	json_decref(r->body);
	free(r->text);
	http_resp_free(&r->resp);
	memset(r, 0, sizeof(*r));
}

/* Sent as Accept-Encoding by call() when set. */
static const char *accept_encoding;

/* "GET /api/v1/pods?limit=1" as user (NULL: anonymous) with Accept. */
static struct result call(const char *user, const char *method, const char *url, const char *accept)
{
	struct http_req req = { 0 };
	struct http_header h[2];
	struct result r = { 0 };
	char path[512], *q, *save = NULL, *kv;
	struct http_query qs[16];
	size_t nq = 0;

	snprintf(path, sizeof(path), "%s", url);
	q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		for (kv = strtok_r(q, "&", &save); kv && nq < 16; kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');

			*eq = '\0';
			qs[nq].key = kv;
			qs[nq++].value = eq + 1;
		}
	}
	req.method = method;
	req.path = path;
	req.query = qs;
	req.n_query = nq;
	req.body = "";
	req.user = user;
	req.remote = "test";
	req.conn_fd = -1;
	req.headers = h;
	if (accept)
		h[req.n_headers++] = (struct http_header){ "Accept", (char *)accept };
	if (accept_encoding)
		h[req.n_headers++] = (struct http_header){ "Accept-Encoding", (char *)accept_encoding };
	api_handle(&A, &req, &r.resp);
	r.status = r.resp.status;
	r.ctype = r.resp.content_type;
	if (r.resp.kind == HTTP_RESP_BUFFER && r.resp.body) {
		r.text = strndup(r.resp.body, r.resp.body_len);
		r.body = json_loadb(r.resp.body, r.resp.body_len, 0, NULL);
	}
	return r;
}

static const char *S(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* Read what a watch stream has produced so far (it waits up to ~1 s). */
static char *drain(struct http_resp *resp, int max_chunks)
{
	char *all = calloc(1, 1), buf[65536];
	size_t len = 0;

	for (int i = 0; i < max_chunks; i++) {
		ssize_t n = resp->stream(resp->stream_ctx, buf, sizeof(buf) - 1);
		char *t;

		if (n <= 0)
			break;
		t = realloc(all, len + (size_t)n + 1);
		all = t;
		memcpy(all + len, buf, (size_t)n);
		len += (size_t)n;
		all[len] = '\0';
		if (strchr(all, '\n') && i + 1 >= max_chunks)
			break;
	}
	return all;
}

static const char *resp_header(const struct http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* A gzip body, inflated; NULL if it is not one. */
static char *gunzip(const char *in, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = 1u << 20, n = 0;
	char *out = malloc(cap);
	int r = Z_OK;

	if (!out || inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(out);
		return NULL;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	while (r == Z_OK) {
		if (n == cap) {
			char *t = realloc(out, cap *= 2);

			if (!t)
				break;
			out = t;
		}
		zs.next_out = (Bytef *)out + n;
		zs.avail_out = (uInt)(cap - n);
		r = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
	}
	inflateEnd(&zs);
	if (r != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

/* Lists from several threads while the cache changes: every list is at
 * least as new as the cache was when it was asked for (what a client that
 * saw its write acknowledged relies on). */
struct lister {
	int stale, bad;
};

static void *lister_run(void *p)
{
	struct lister *l = p;

	for (int i = 0; i < 150; i++) {
		uint64_t before = cache_rv(A.cache);
		struct result r = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500",
				       i % 2 ? "application/json;as=Table;v=v1;g=meta.k8s.io" : NULL);
		const char *rv = S(r.body, "metadata", "resourceVersion");

		if (r.status != 200 || !rv)
			l->bad++;
		else if (strtoull(rv, NULL, 10) < before)
			l->stale++;
		result_free(&r);
	}
	return NULL;
}

int main(void)
{
	struct result r;
	struct api_route rt;
	char *s;

	A.node_name = "vm";
	A.fixed_now = NOW;
	if (cache_new(10, &A.cache) < 0 || listcache_new(&A.lists) < 0)
		return 1;
	ok(cache_apply(A.cache, API_PODS, CACHE_ADDED, pod("default", "web-1", "web", "Running", "11", RUNNING_STATUSES), 11) == 0, "cache: add");
	ok(cache_apply(A.cache, API_PODS, CACHE_ADDED, pod("default", "db-1", "db", "Running", "12", CRASH_STATUSES), 12) == 0, "cache: add");
	ok(cache_apply(A.cache, API_PODS, CACHE_ADDED, pod("other", "web-2", "web", "Pending", "13", NULL), 13) == 0, "cache: add");

	/* Authentication. */
	r = call(NULL, "GET", "/api/v1/pods", NULL);
	is_int(r.status, 401, "no certificate: 401");
	is_str(S(r.body, "reason", NULL), "Unauthorized", "reason Unauthorized");
	is_str(S(r.body, "message", NULL), "Unauthorized", "message Unauthorized");
	result_free(&r);
	r = call(NULL, "GET", "/healthz", NULL);
	is_int(r.status, 200, "/healthz is open");
	is_str(r.text, "ok", "/healthz says ok");
	result_free(&r);
	r = call(NULL, "GET", "/version", NULL);
	is_int(r.status, 200, "/version is open");
	is_str(S(r.body, "gitVersion", NULL), API_GIT_VERSION, "gitVersion");
	result_free(&r);

	/* Discovery. */
	r = call("admin", "GET", "/api", "application/json");
	is_str(S(r.body, "kind", NULL), "APIVersions", "/api legacy");
	result_free(&r);
	r = call("admin", "GET", "/api",
		 "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
	is_str(r.ctype, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
	       "aggregated discovery content type");
	s = r.text;
	ok(s && strstr(s, "\"resource\":\"pods\"") && strstr(s, "\"subresource\":\"exec\"") &&
		   strstr(s, "\"shortNames\":[\"po\"]"),
	   "aggregated: pods with exec and its short name");
	result_free(&r);
	r = call("admin", "GET", "/api/v1", NULL);
	ok(r.text && strstr(r.text, "\"name\":\"pods/log\"") && strstr(r.text, "\"kind\":\"APIResourceList\""),
	   "/api/v1 lists pods/log");
	result_free(&r);
	r = call("admin", "GET", "/apis/nonexistent.io/v1", NULL);
	is_int(r.status, 404, "an unknown group: 404");
	result_free(&r);

	/* Lists. */
	r = call("admin", "GET", "/api/v1/namespaces/default/pods", NULL);
	is_str(S(r.body, "kind", NULL), "PodList", "PodList");
	is_str(S(r.body, "metadata", "resourceVersion"), "13", "list resourceVersion");
	is_int(json_array_size(json_object_get(r.body, "items")), 2, "two pods in default");
	is_str(S(json_array_get(json_object_get(r.body, "items"), 0), "metadata", "name"), "db-1",
	       "ordered by name");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/pods?labelSelector=app in (web)", NULL);
	is_int(json_array_size(json_object_get(r.body, "items")), 0 + 2,
	       "all namespaces, set-based selector");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/pods?fieldSelector=status.phase!=Running", NULL);
	is_int(json_array_size(json_object_get(r.body, "items")), 1, "field selector !=");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/pods?labelSelector=app in (a", NULL);
	is_int(r.status, 400, "bad selector: 400");
	is_str(S(r.body, "message", NULL), "unable to parse requirement: found '', expected: ',' or ')'",
	       "labels.Parse's message");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/pods?fieldSelector=spec.foo=1", NULL);
	is_str(S(r.body, "message", NULL), "field label not supported: spec.foo", "unknown field label");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/pods?limit=2", NULL);
	is_int(json_array_size(json_object_get(r.body, "items")), 2, "limit=2");
	ok(S(r.body, "metadata", "continue") != NULL, "a continue token");
	is_int(json_integer_value(json_object_get(json_object_get(r.body, "metadata"), "remainingItemCount")), 1,
	       "remainingItemCount");
	{
		char url[256];

		snprintf(url, sizeof(url), "/api/v1/pods?limit=2&continue=%s", S(r.body, "metadata", "continue"));
		result_free(&r);
		r = call("admin", "GET", url, NULL);
		is_int(json_array_size(json_object_get(r.body, "items")), 1, "the rest");
		is_str(S(json_array_get(json_object_get(r.body, "items"), 0), "metadata", "name"), "web-2",
		       "the next item");
		result_free(&r);
	}

	/* Tables. */
	r = call("admin", "GET", "/api/v1/namespaces/default/pods",
		 "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
	is_str(S(r.body, "kind", NULL), "Table", "Table");
	{
		json_t *cols = json_object_get(r.body, "columnDefinitions");
		json_t *rows = json_object_get(r.body, "rows");
		char names[256] = "";
		size_t i;
		json_t *c;

		json_array_foreach(cols, i, c) {
			strcat(names, S(c, "name", NULL));
			strcat(names, json_integer_value(json_object_get(c, "priority")) ? "*," : ",");
		}
		is_str(names, "Name,Ready,Status,Restarts,Age,IP*,Node*,Nominated Node*,Readiness Gates*,",
		       "kube-apiserver's pod columns, wide ones at priority 1");
		s = json_dumps(json_object_get(json_array_get(rows, 0), "cells"), JSON_COMPACT);
		is_str(s, "[\"db-1\",\"1/2\",\"CrashLoopBackOff\",\"3 (2m ago)\",\"2m\",\"10.244.0.9\",\"vm\",\"<none>\",\"<none>\"]",
		       "a crash-looping pod's row");
		free(s);
		s = json_dumps(json_object_get(json_array_get(rows, 1), "cells"), JSON_COMPACT);
		is_str(s, "[\"web-1\",\"2/2\",\"Running\",\"0\",\"2m\",\"10.244.0.9\",\"vm\",\"<none>\",\"<none>\"]",
		       "a running pod's row");
		free(s);
		is_str(S(json_object_get(json_array_get(rows, 1), "object"), "kind", NULL), "PartialObjectMetadata",
		       "rows carry metadata by default");
	}
	result_free(&r);
	r = call("admin", "GET", "/api/v1/namespaces/default/pods?includeObject=Object",
		 "application/json;as=Table;v=v1;g=meta.k8s.io");
	is_str(S(json_object_get(json_array_get(json_object_get(r.body, "rows"), 0), "object"), "kind", NULL),
	       "Pod", "includeObject=Object (kubectl --sort-by)");
	result_free(&r);

	/* Lists as sent, kept (listcache.h): the same request at the same
	 * resourceVersion and second gets the same bytes, from one body; a
	 * change, another second or another request does not. */
	{
		const char *tab = "application/json;as=Table;v=v1;g=meta.k8s.io";
		struct result r2, r3;

		r = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500", tab);
		r2 = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500", tab);
		ok(r.resp.body_release == listcache_release && r.resp.body == r2.resp.body,
		   "list cache: the same Table twice is one shared body");
		ok(r.text && strstr(r.text, "\"2m\""), "list cache: the Age column at NOW");
		A.fixed_now = NOW + 60;
		r3 = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500", tab);
		ok(r3.text && strstr(r3.text, "\"3m\"") && !strstr(r3.text, "\"2m\""),
		   "list cache: a Table a minute later is made again (Age 3m)");
		result_free(&r3);
		A.fixed_now = NOW;
		r3 = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500&labelSelector=app=web", tab);
		ok(r3.text && strstr(r3.text, "web-1") && !strstr(r3.text, "db-1"),
		   "list cache: another selector, another list");
		result_free(&r3);
		r3 = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500", NULL);
		is_str(S(r3.body, "kind", NULL), "PodList", "list cache: JSON and Table are kept apart");
		result_free(&r3);
		result_free(&r2);
		result_free(&r);

		/* The cache itself: kept, newer asked for, expired. */
		{
			struct listcache_claim cl;
			const struct listcache_body *b1, *b2;

			b1 = listcache_get(A.lists, "k", 5, 100, &cl);
			ok(!b1 && cl.slot >= 0, "list cache: a new key is the caller's to make");
			b1 = listcache_put(A.lists, &cl, strdup("x"), 1, false, 5, 100);
			b2 = listcache_get(A.lists, "k", 5, 100, &cl);
			ok(b1 && b2 == b1, "list cache: then kept");
			listcache_release((void *)b2);
			b2 = listcache_get(A.lists, "k", 6, 100, &cl);
			ok(!b2 && cl.slot >= 0, "list cache: not for a newer resourceVersion");
			b2 = listcache_put(A.lists, &cl, strdup("y"), 1, false, 6, 100);
			ok(b2 && b2 != b1 && !strcmp(b2->data, "y"), "list cache: made again at 6");
			listcache_release((void *)b2);
			listcache_release((void *)b1);
			b1 = listcache_get(A.lists, "k", 6, 100, &cl);
			ok(b1 && !strcmp(b1->data, "y"), "list cache: kept at 6");
			listcache_release((void *)b1);
			listcache_expire(A.lists, 101);
			b1 = listcache_get(A.lists, "k", 6, 100, &cl);
			ok(!b1 && cl.slot >= 0, "list cache: a Table of a past second expires");
			ok(!listcache_put(A.lists, &cl, NULL, 0, false, 0, 0),
			   "list cache: a body that could not be made: none");
			b1 = listcache_get(A.lists, "k", 6, 100, &cl);
			ok(!b1 && cl.slot >= 0, "list cache: the next request makes it");
			listcache_release((void *)listcache_put(A.lists, &cl, strdup("z"), 1, false, 6, 100));
		}

		/* A change: the next list shows it (and its resourceVersion). */
		ok(cache_apply(A.cache, API_PODS, CACHE_ADDED,
			       pod("default", "new-1", "web", "Pending", "14", NULL), 14) == 0,
		   "cache: add");
		r = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500", tab);
		ok(r.text && strstr(r.text, "new-1") && strstr(r.text, "\"resourceVersion\":\"14\""),
		   "list cache: a list after a change shows it");
		result_free(&r);
		r = call("admin", "GET", "/api/v1/namespaces/default/pods", NULL);
		is_int(json_array_size(json_object_get(r.body, "items")), 3,
		       "list cache: the JSON list too");
		result_free(&r);
		ok(cache_apply(A.cache, API_PODS, CACHE_DELETED,
			       pod("default", "new-1", "web", "Pending", "15", NULL), 15) == 0,
		   "cache: delete");
		r = call("admin", "GET", "/api/v1/namespaces/default/pods?limit=500", tab);
		ok(r.text && !strstr(r.text, "new-1") && strstr(r.text, "\"resourceVersion\":\"15\""),
		   "list cache: and a deletion");
		result_free(&r);
	}

	{
		pthread_t th[6];
		struct lister ls[6] = { 0 };
		int stale = 0, bad = 0, applied = 0;

		for (int i = 0; i < 6; i++)
			pthread_create(&th[i], NULL, lister_run, &ls[i]);
		for (int v = 100; v < 160; v++) {
			char rvs[16];

			snprintf(rvs, sizeof(rvs), "%d", v);
			applied += cache_apply(A.cache, API_PODS, CACHE_MODIFIED,
					       pod("default", "web-1", "web", "Running", rvs, NULL),
					       (uint64_t)v) == 0;
			usleep(500);
		}
		for (int i = 0; i < 6; i++) {
			pthread_join(th[i], NULL);
			stale += ls[i].stale;
			bad += ls[i].bad;
		}
		is_int(applied, 60, "list cache: 60 changes while 6 threads list");
		is_int(bad, 0, "list cache: every concurrent list answered");
		is_int(stale, 0, "list cache: none older than the cache when asked");
	}

	/* Get and errors. */
	r = call("admin", "GET", "/api/v1/namespaces/default/pods/web-1", NULL);
	is_str(S(r.body, "metadata", "uid"), "u-web-1", "get");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/namespaces/default/pods/nope", NULL);
	is_int(r.status, 404, "404");
	is_str(S(r.body, "message", NULL), "pods \"nope\" not found", "pods \"nope\" not found");
	is_str(S(r.body, "details", "kind"), "pods", "details.kind");
	result_free(&r);
	r = call("admin", "GET", "/api/v1/widgets", NULL);
	is_str(S(r.body, "message", NULL), "the server could not find the requested resource",
	       "an unknown resource");
	result_free(&r);
	r = call("admin", "PUT", "/api/v1/namespaces/default/pods", NULL);
	is_int(r.status, 405, "PUT on a collection: 405");
	result_free(&r);

	/* Watch: changes after rv 159, and selection transitions. */
	r = call("admin", "GET", "/api/v1/namespaces/default/pods?watch=1&resourceVersion=159&labelSelector=app=web", NULL);
	ok(r.resp.kind == HTTP_RESP_STREAM, "a watch streams");
	ok(cache_apply(A.cache, API_PODS, CACHE_MODIFIED, pod("default", "web-1", "web", "Running", "160", NULL), 160) == 0, "cache: change");
	s = drain(&r.resp, 1);
	ok(strstr(s, "{\"type\":\"MODIFIED\"") == s && strstr(s, "\"resourceVersion\":\"160\""),
	   "MODIFIED with the new resourceVersion");
	free(s);
	ok(cache_apply(A.cache, API_PODS, CACHE_MODIFIED, pod("default", "web-1", "db", "Running", "161", NULL), 161) == 0, "cache: change");
	s = drain(&r.resp, 1);
	ok(strstr(s, "{\"type\":\"DELETED\"") == s, "a pod leaving the selection: DELETED");
	free(s);
	ok(cache_apply(A.cache, API_PODS, CACHE_MODIFIED, pod("default", "db-1", "web", "Running", "162", NULL), 162) == 0, "cache: change");
	s = drain(&r.resp, 1);
	ok(strstr(s, "{\"type\":\"ADDED\"") == s && strstr(s, "db-1"), "a pod entering it: ADDED");
	free(s);
	result_free(&r);

	r = call("admin", "GET", "/api/v1/pods?watch=true&resourceVersion=3", NULL);
	s = drain(&r.resp, 2);
	ok(strstr(s, "\"type\":\"ERROR\"") && strstr(s, "\"code\":410") &&
		   strstr(s, "too old resource version: 3 (11)"),
	   "too old: an ERROR event with 410 Expired");
	free(s);
	result_free(&r);

	r = call("admin", "GET", "/api/v1/namespaces/other/pods?watch=true",
		 "application/json;as=Table;v=v1;g=meta.k8s.io");
	s = drain(&r.resp, 1);
	ok(strstr(s, "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Table\"") == s && strstr(s, "web-2"),
	   "a watch without resourceVersion starts with the objects, as Tables (kubectl get -w)");
	free(s);
	result_free(&r);

	/* The history keeps texts: what a watch reads back is the object
	 * applied, value for value (a NUL in a string, a real, key order),
	 * and the version before it. */
	{
		struct cache *hc = NULL;
		struct cache_watch *hw;
		struct cache_event ev;
		bool too_old;
		uint64_t oldest;
		json_t *v1 = json_pack("{s:{s:s,s:s,s:s},s:{s:s%,s:f}}", "metadata", "name", "h",
				       "namespace", "default", "resourceVersion", "2", "data", "k",
				       "a\0b", (size_t)3, "r", 0.1);
		json_t *v2 = json_deep_copy(v1);

		json_object_set_new(json_object_get(v2, "metadata"), "resourceVersion", json_string("3"));
		json_object_set_new(json_object_get(v2, "data"), "z", json_integer(-9007199254740993LL));
		ok(cache_new(1, &hc) == 0, "history: a cache");
		hw = cache_watch_open(hc, API_PODS, "default", 1, &too_old, &oldest);
		ok(cache_apply(hc, API_PODS, CACHE_ADDED, json_incref(v1), 2) == 0 &&
			   cache_apply(hc, API_PODS, CACHE_MODIFIED, json_incref(v2), 3) == 0 &&
			   cache_apply(hc, API_PODS, CACHE_DELETED, json_incref(v2), 4) == 0,
		   "history: added, modified, deleted");
		ok(cache_watch_next(hw, &ev) == 1 && ev.type == CACHE_ADDED && ev.rv == 2 &&
			   json_equal(ev.obj, v1) && !ev.prev,
		   "history: ADDED reads back the object, no previous one");
		cache_event_clear(&ev);
		ok(cache_watch_next(hw, &ev) == 1 && ev.type == CACHE_MODIFIED && json_equal(ev.obj, v2) &&
			   json_equal(ev.prev, v1),
		   "history: MODIFIED reads back both versions (NUL, real, 2^53+1 intact)");
		cache_event_clear(&ev);
		ok(cache_watch_next(hw, &ev) == 1 && ev.type == CACHE_DELETED && json_equal(ev.obj, v2) &&
			   json_equal(ev.prev, v2),
		   "history: DELETED reads back the last state");
		cache_event_clear(&ev);
		ok(cache_watch_next(hw, &ev) == 0, "history: nothing more");
		cache_watch_close(hw);
		cache_free(hc);
		json_decref(v1);
		json_decref(v2);
	}

	/* Routing. */
	ok(api_route_parse("/api/v1/namespaces/x/status", &rt) == 0 && rt.resource &&
		   !strcmp(rt.resource, "namespaces") && !strcmp(rt.name, "x") && !strcmp(rt.subresource, "status"),
	   "namespaces/NS/status is the namespace's subresource");
	api_route_free(&rt);
	ok(api_route_parse("/api/v1/namespaces/x/pods/p/log", &rt) == 0 && !strcmp(rt.namespace_, "x") &&
		   !strcmp(rt.resource, "pods") && !strcmp(rt.name, "p") && !strcmp(rt.subresource, "log"),
	   "a namespaced subresource");
	api_route_free(&rt);
	ok(api_route_parse("/apis/networking.k8s.io/v1/namespaces/x/networkpolicies", &rt) == 0 &&
		   !strcmp(rt.group, "networking.k8s.io") && !strcmp(rt.version, "v1") && !rt.name,
	   "a named group");
	api_route_free(&rt);
	ok(api_route_parse("/api/v1/namespaces/../pods", &rt) < 0, "'..' refused");
	api_route_free(&rt);

	/* A list over 128 KiB to a client that takes gzip (kubectl): gzip,
	 * as kube-apiserver sends it; the same list to one that does not:
	 * plain; a small list: plain either way. */
	{
		const char *tab = "application/json;as=Table;v=v1;g=meta.k8s.io";
		int added = 0;
		size_t zn = 0;
		char *plain = NULL;
		struct result p;

		for (int i = 0; i < 400; i++) {
			char name[32], rvs[16];

			snprintf(name, sizeof(name), "big-%03d", i);
			snprintf(rvs, sizeof(rvs), "%d", 200 + i);
			added += cache_apply(A.cache, API_PODS, CACHE_ADDED,
					     pod("big", name, "web", "Running", rvs, RUNNING_STATUSES),
					     (uint64_t)(200 + i)) == 0;
		}
		is_int(added, 400, "400 pods in namespace big");
		p = call("admin", "GET", "/api/v1/namespaces/big/pods?limit=500&includeObject=Object", tab);
		ok(p.text && strlen(p.text) > HTTP_GZIP_MIN && !resp_header(&p.resp, "Content-Encoding"),
		   "gzip: their Table is over 128 KiB, plain without Accept-Encoding");
		accept_encoding = "deflate, gzip;q=1.0";
		r = call("admin", "GET", "/api/v1/namespaces/big/pods?limit=500&includeObject=Object", tab);
		is_str(resp_header(&r.resp, "Content-Encoding"), "gzip", "gzip: Content-Encoding gzip");
		is_str(resp_header(&r.resp, "Vary"), "Accept-Encoding", "gzip: Vary: Accept-Encoding");
		plain = r.resp.body ? gunzip(r.resp.body, r.resp.body_len, &zn) : NULL;
		ok(plain && p.text && zn == strlen(p.text) && !memcmp(plain, p.text, zn),
		   "gzip: inflates to the plain list, byte for byte");
		ok(r.resp.body_len < zn / 4, "gzip: %zu bytes for %zu", r.resp.body_len, zn);
		free(plain);
		result_free(&r);
		r = call("admin", "GET", "/api/v1/namespaces/big/pods?limit=500&includeObject=Object", tab);
		is_str(resp_header(&r.resp, "Content-Encoding"), "gzip", "gzip: from the list cache too");
		result_free(&r);
		r = call("admin", "GET", "/api/v1/namespaces/default/pods", tab);
		ok(r.status == 200 && !resp_header(&r.resp, "Content-Encoding"),
		   "gzip: not for a small list");
		result_free(&r);
		accept_encoding = "gzip;q=0";
		r = call("admin", "GET", "/api/v1/namespaces/big/pods?limit=500&includeObject=Object", tab);
		ok(!resp_header(&r.resp, "Content-Encoding"), "gzip;q=0: plain");
		result_free(&r);
		accept_encoding = NULL;
		result_free(&p);
	}

	{
		struct http_req req = { .method = "POST", .path = "/api/v1/namespaces/default/pods",
					.body = "", .body_too_large = true, .user = "admin", .remote = "t",
					.conn_fd = -1 };
		struct http_resp resp = { 0 };

		api_handle(&A, &req, &resp);
		is_int(resp.status, 413, "a body over 3 MiB: 413");
		ok(resp.body && strstr(resp.body, "Request entity too large: limit is 3145728"),
		   "kube-apiserver's words");
		http_resp_free(&resp);
	}
	cache_free(A.cache);
	listcache_free(A.lists);
	return tap_done();
}
