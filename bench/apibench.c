/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apibench: load on podnetd's API, as kubectl makes it, through libcurl
 * over HTTPS with the admin client certificate.
 *
 *   apibench rps   URL CERTDIR CLIENTS SECONDS
 *       CLIENTS threads, each a keep-alive connection, GET URL with
 *       kubectl get's Accept (Table) and Accept-Encoding (gzip; not with
 *       APIBENCH_GZIP=0) as fast as answered; prints requests/s and the
 *       p50/p99 latency in ms.
 *   apibench watch URL CERTDIR ROOT N
 *       Watches pods from now; N times marks a pod Running in the state
 *       database (PODNET_ROOT=ROOT) as the runtime does when a pod starts
 *       (and Pending again in between), and measures from the commit to the
 *       MODIFIED event arriving; prints p50/p99 in ms.
 *   apibench seed ROOT N
 *       Adds N pods to the state database that look like the first
 *       running pod there (its stored spec and recorded status, new names
 *       and uids) without running anything: rows podnetd serves like any
 *       other (state pending, phase Failed, so its agent leaves them
 *       alone).  Lists of hundreds of pods without starting hundreds.
 *
 * CERTDIR holds ca.crt, admin.crt and admin.key (podnetd's --pki-dir).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static const char table_accept[] =
	"Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
	"g=meta.k8s.io,application/json";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static void tls(CURL *c, const char *dir)
{
	char ca[4096], cert[4096], key[4096];

	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(cert, sizeof(cert), "%s/admin.crt", dir);
	snprintf(key, sizeof(key), "%s/admin.key", dir);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	/* kubectl uses HTTP/2 where offered; podnetd offers HTTP/1.1. */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* ---- rps */

struct rps {
	const char *url, *dir;
	double stop_at;
	double *lat;
	size_t n, cap;
	long errors;
	bool plain;      /* APIBENCH_GZIP=0: no Accept-Encoding */
};

static void *rps_thread(void *arg)
{
	struct rps *r = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, table_accept);

	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	/* client-go asks for gzip (Go's transport does, unless compression
	 * is disabled) and inflates what comes; so does libcurl here. */
	if (!r->plain)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	tls(c, r->dir);
	while (now_ms() < r->stop_at) {
		double t0 = now_ms();
		long code = 0;

		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
			r->errors++;
			continue;
		}
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 4096;
			r->lat = realloc(r->lat, r->cap * sizeof(*r->lat));
		}
		r->lat[r->n++] = now_ms() - t0;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static int cmd_rps(const char *url, const char *dir, int clients, int seconds)
{
	struct rps *r = calloc((size_t)clients, sizeof(*r));
	pthread_t *t = calloc((size_t)clients, sizeof(*t));
	double start = now_ms(), *all = NULL;
	size_t total = 0;
	long errors = 0;

	for (int i = 0; i < clients; i++) {
		r[i].url = url;
		r[i].dir = dir;
		r[i].stop_at = start + seconds * 1e3;
		r[i].plain = getenv("APIBENCH_GZIP") && !strcmp(getenv("APIBENCH_GZIP"), "0");
		pthread_create(&t[i], NULL, rps_thread, &r[i]);
	}
	for (int i = 0; i < clients; i++) {
		pthread_join(t[i], NULL);
		all = realloc(all, (total + r[i].n + 1) * sizeof(*all));
		memcpy(all + total, r[i].lat, r[i].n * sizeof(*all));
		total += r[i].n;
		errors += r[i].errors;
		free(r[i].lat);
	}
	printf("clients=%d requests=%zu errors=%ld rps=%.0f p50_ms=%.2f p99_ms=%.2f\n", clients,
	       total, errors, (double)total / ((now_ms() - start) / 1e3), pct(all, total, 0.5),
	       pct(all, total, 0.99));
	free(all);
	free(r);
	free(t);
	return errors ? 1 : 0;
}

/* ---- watch */

struct watch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char buf[1 << 20];
	size_t len;
	const char *want;      /* the phase awaited, NULL: none */
	double got_at;
	bool ready;
};

static size_t on_data(char *p, size_t s, size_t n, void *u)
{
	struct watch *w = u;
	size_t len = s * n;

	pthread_mutex_lock(&w->mu);
	w->ready = true;
	if (w->len + len < sizeof(w->buf)) {
		memcpy(w->buf + w->len, p, len);
		w->len += len;
	}
	/* Complete lines: each one event. */
	for (;;) {
		char *nl = memchr(w->buf, '\n', w->len);
		char phase[64];

		if (!nl)
			break;
		*nl = '\0';
		if (w->want) {
			snprintf(phase, sizeof(phase), "\"phase\":\"%s\"", w->want);
			if (strstr(w->buf, "\"MODIFIED\"") && strstr(w->buf, phase)) {
				w->got_at = now_ms();
				w->want = NULL;
				pthread_cond_signal(&w->cv);
			}
		}
		w->len -= (size_t)(nl + 1 - w->buf);
		memmove(w->buf, nl + 1, w->len);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return len;
}

struct watch_args {
	const char *url, *dir;
	struct watch *w;
};

static void *watch_thread(void *arg)
{
	struct watch_args *a = arg;
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_URL, a->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a->w);
	tls(c, a->dir);
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	return NULL;
}

/* What the runtime records when a pod's phase changes: the phase and the
 * status the API serves. */
static int set_phase(struct store *st, const char *uid, enum store_phase ph)
{
	struct store_pod p = { 0 };
	struct pn_err err = { 0 };
	char status[64];
	int ret;

	snprintf(status, sizeof(status), "{\"phase\":\"%s\"}",
		 ph == STORE_PHASE_RUNNING ? "Running" : "Pending");
	p.uid = (char *)uid;
	p.phase = ph;
	p.status_json = status;
	ret = store_pod_update(st, &p, STORE_POD_F_PHASE | STORE_POD_F_STATUS, &err);
	if (ret < 0)
		fprintf(stderr, "apibench: %s\n", pn_err_msg(&err));
	pn_err_free(&err);
	return ret;
}

static int cmd_watch(const char *base, const char *dir, const char *root, int n)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct watch_args a;
	struct store *st = NULL;
	struct store_pod *pods = NULL;
	struct pn_err err = { 0 };
	size_t np = 0;
	double *lat = calloc((size_t)n, sizeof(*lat));
	char url[1024];
	pthread_t t;
	int done = 0;

	if (store_open(root, &st, &err) < 0 || store_pod_list(st, NULL, &pods, &np, &err) < 0 ||
	    np == 0) {
		fprintf(stderr, "apibench: %s\n", np ? pn_err_msg(&err) : "no pod to watch");
		return 1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	/* A pod nothing runs (apibench seed's), if any: no one else changes it. */
	for (size_t i = 0; i < np; i++)
		if (pods[i].state == STORE_POD_PENDING) {
			struct store_pod tmp = pods[0];

			pods[0] = pods[i];
			pods[i] = tmp;
			break;
		}
	snprintf(url, sizeof(url), "%s?watch=true&fieldSelector=metadata.name=%s", base, pods[0].name);
	a.url = url;
	a.dir = dir;
	a.w = w;
	pthread_create(&t, NULL, watch_thread, &a);
	/* The initial ADDED event says the watch is in place. */
	pthread_mutex_lock(&w->mu);
	while (!w->ready)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < n; i++) {
		struct timespec dl;
		double t0;

		pthread_mutex_lock(&w->mu);
		w->want = "Running";
		w->got_at = 0;
		pthread_mutex_unlock(&w->mu);
		t0 = now_ms();
		if (set_phase(st, pods[0].uid, STORE_PHASE_RUNNING) < 0)
			break;
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		while (w->want && pthread_cond_timedwait(&w->cv, &w->mu, &dl) == 0)
			;
		if (!w->want)
			lat[done++] = w->got_at - t0;
		pthread_mutex_unlock(&w->mu);
		/* Back to Pending, not measured; let it pass. */
		w->want = NULL;
		set_phase(st, pods[0].uid, STORE_PHASE_PENDING);
		usleep(20000);
	}
	printf("events=%d/%d p50_ms=%.2f p99_ms=%.2f\n", done, n, pct(lat, (size_t)done, 0.5),
	       pct(lat, (size_t)done, 0.99));
	store_pod_array_free(pods, np);
	store_close(st);
	pn_err_free(&err);
	/* The watch thread ends with the process. */
	return done == n ? 0 : 1;
}

static int cmd_seed(const char *root, int n)
{
	struct store *st = NULL;
	struct store_pod *pods = NULL, *tpl = NULL;
	struct pn_err err = { 0 };
	size_t np = 0;
	int made = 0;

	if (store_open(root, &st, &err) < 0 || store_pod_list(st, NULL, &pods, &np, &err) < 0) {
		fprintf(stderr, "apibench: %s\n", pn_err_msg(&err));
		return 1;
	}
	for (size_t i = 0; i < np && !tpl; i++)
		if (pods[i].state == STORE_POD_READY && pods[i].status_json)
			tpl = &pods[i];
	if (!tpl) {
		fprintf(stderr, "apibench: no running pod to copy\n");
		return 1;
	}
	if (store_begin(st, &err) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		struct store_pod p = { 0 };
		json_t *spec = json_loads(tpl->spec_json, 0, NULL);
		char name[256];

		snprintf(name, sizeof(name), "%s-%04d", tpl->name, i);
		json_object_set_new(json_object_get(spec, "metadata"), "name", json_string(name));
		p.namespace_ = tpl->namespace_;
		p.name = name;
		p.spec_json = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
		p.status_json = tpl->status_json;
		p.pod_ip = tpl->pod_ip;
		p.pod_ips = tpl->pod_ips;
		p.host_ip = tpl->host_ip;
		p.state = STORE_POD_PENDING;
		p.phase = STORE_PHASE_FAILED;
		json_decref(spec);
		if (store_pod_insert(st, &p, &err) < 0) {
			free(p.spec_json);
			break;
		}
		free(p.spec_json);
		free(p.uid);
		free(p.sandbox_id);
		free(p.owner);
		made++;
	}
	if (made == n && store_commit(st, &err) == 0) {
		printf("seeded=%d\n", made);
	} else {
		store_rollback(st);
		fprintf(stderr, "apibench: %s\n", pn_err_msg(&err));
		made = -1;
	}
out:
	store_pod_array_free(pods, np);
	store_close(st);
	pn_err_free(&err);
	return made == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc == 6 && !strcmp(argv[1], "rps"))
		return cmd_rps(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "watch"))
		return cmd_watch(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "seed"))
		return cmd_seed(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: apibench rps URL CERTDIR CLIENTS SECONDS\n"
			"       apibench watch URL CERTDIR ROOT N\n"
			"       apibench seed ROOT N\n");
	return 2;
}
