/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node side of podnetd.
 *
 * The state database is the truth for pods, namespaces and events, and
 * every process writes it: podnetd's handlers, `podnet apply` and
 * `podnet delete` in a shell, the shims' status files read back by
 * podrt_pod_sync_status().  Every such write takes the next
 * resourceVersion and logs (kind, key) in the database's change log in the
 * same transaction (store.h).  node_sync() reads the log after the last
 * version it mirrored and applies each change to the cache, in order; a
 * change whose row has moved on since is skipped (its later change
 * carries the row).  So the cache, and the watches it feeds, see every
 * change exactly once and in resourceVersion order, whoever made it.
 *
 * When to sync: after each of podnetd's own writes (synchronously, so that
 * a client reads its write back), and when another process commits.  That
 * is noticed with inotify on the database's directory (SQLite in WAL mode
 * writes state.db-wal on every commit) and PRAGMA data_version, which
 * moves only when another connection committed; a 1 s timer backs both
 * up.  Polling data_version alone would cost a wakeup per interval and
 * add its latency to every `podnet apply` seen by a watch.
 *
 * The agent (kubelet's part) acts on what the sync sees:
 *  - a pending pod (admitted through the API, or by a `podnet apply` that
 *    died before starting it), or one whose start was cut short by a kill
 *    (creating, its owner dead: a podnetd killed mid-start), is started
 *    on a worker thread
 *    (podrt_pod_start() claims it, so a live `podnet apply` and the agent
 *    never both start it);
 *  - a pod being deleted by podnetd or by a process that died is finished:
 *    all such pods at once, on one worker (podrt_pods_delete());
 *  - a terminating namespace goes once its last pod has;
 *  - status: every second the shims' status files are checked for change
 *    (kubelet's PLEG relists every second too) and every 10 s every pod is
 *    observed again; podrt_pod_sync_status() writes a changed status back,
 *    which is a change like any other;
 *  - events expire after an hour (kube-apiserver's --event-ttl);
 *  - a ready pod whose shim is gone (killed, or the node rebooted) has its
 *    sandbox re-created (podrt_pod_recover(), as `podnet gc` does) at the
 *    first full sweep and every one after.
 */
#include "node.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "endpoints.h"
#include "fault.h"
#include "file.h"
#include "log.h"
#include "manifest.h"
#include "nodeinfo.h"
#include "oci.h"
#include "podrt.h"
#include "svcrt.h"
#include "sync.h"

#define STATUS_SWEEP_MS 1000
#define FULL_SWEEP_MS 10000
#define EVENT_TTL_S 3600
#define EXPIRE_EVERY_MS 60000
#define NODE_POOL_MAX 16

struct api_node {
	struct api *a;
	/* podrt's paths (the environment's, as podnet(1) reads them) */
	const char *root, *cni_conf_dir, *cni_path, *cni_cache, *netns_dir, *runtime;
	struct nodeinfo ni;
	char created[32];
	char *self;                 /* store_owner_self() */

	/* Runtime handles (each its own SQLite connection) for requests and
	 * workers: SQLite connections are not shared between threads. */
	pthread_mutex_t pool_mu;
	struct podrt **pool;
	size_t n_pool, cap_pool;

	/* node_sync()'s state, under sync_mu */
	pthread_mutex_t sync_mu;
	struct podrt *srt;
	int64_t rv;                 /* the last change mirrored */
	int64_t data_version;
	json_t *known;              /* "pods/<uid>" etc. -> the cached object */
	json_t *node_obj;
	json_t *stamps;             /* ready pod uid -> status files' stamp */
	json_t *slices;             /* "ns/name" -> EndpointSlice as last computed */
	bool slices_dirty;          /* a pod or Service changed since */
	struct ep_memo *ep_memo;    /* the pods as endpoints, between computes */

	/* the agent */
	pthread_mutex_t work_mu;
	pthread_cond_t work_cv;
	json_t *busy;               /* uids a worker is starting or deleting */
	int workers;

	pthread_t thread;
	bool thread_started;
	int wake_fd;
	int ino_fd;
	volatile int stop;
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static void rfc3339(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_rv(json_t *obj, int64_t rv)
{
	char s[32];
	json_t *meta = json_object_get(obj, "metadata");

	snprintf(s, sizeof(s), "%lld", (long long)rv);
	json_object_set_new(meta, "resourceVersion", json_string(s));
}

static uint64_t mono_ms(void)
{
	return pn_now_ns() / 1000000;
}

/* ---- runtime handles */

/* podrt's net_sync hook: the node's NetworkPolicy rules follow the state
 * after a pod's CNI ADD, a label change and a delete, as in the CLI. */
static int net_sync(struct podrt *rt, struct pn_err *err)
{
	return pol_sync(rt->st, rt->root, NULL, err);
}

static int rt_open(struct api_node *n, struct podrt **out, struct pn_err *err)
{
	struct podrt *rt = calloc(1, sizeof(*rt));
	int ret;

	*out = NULL;
	if (!rt)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	rt->root = n->root;
	rt->cni_conf_dir = n->cni_conf_dir;
	rt->cni_path = n->cni_path;
	rt->cni_cache = n->cni_cache;
	rt->netns_dir = n->netns_dir;
	rt->runtime = n->runtime;
	rt->node_name = n->ni.name;
	rt->node_ip = n->ni.ip;
	rt->net_sync = net_sync;
	ret = podrt_open(rt, err);
	if (ret < 0) {
		podrt_close(rt);
		free(rt);
		return ret;
	}
	*out = rt;
	return 0;
}

static void rt_free(struct podrt *rt)
{
	if (rt) {
		podrt_close(rt);
		free(rt);
	}
}

struct podrt *node_rt_get(struct api *a, struct pn_err *err)
{
	struct api_node *n = a->node;
	struct podrt *rt = NULL;

	if (!n) {
		pn_error(err, PN_E_STATE, ENODEV, "this server runs no pods");
		return NULL;
	}
	pthread_mutex_lock(&n->pool_mu);
	if (n->n_pool)
		rt = n->pool[--n->n_pool];
	pthread_mutex_unlock(&n->pool_mu);
	if (!rt && rt_open(n, &rt, err) < 0)
		return NULL;
	return rt;
}

void node_rt_put(struct api *a, struct podrt *rt)
{
	struct api_node *n = a->node;

	if (!rt)
		return;
	/* A handle given back inside a transaction would poison the next
	 * user: end it. */
	store_rollback(rt->st);
	pthread_mutex_lock(&n->pool_mu);
	if (!n->pool) {
		n->cap_pool = NODE_POOL_MAX;
		n->pool = calloc(n->cap_pool, sizeof(*n->pool));
	}
	/* Kept for the next request up to a bound; more are closed. */
	if (n->pool && n->n_pool < n->cap_pool) {
		n->pool[n->n_pool++] = rt;
		rt = NULL;
	}
	pthread_mutex_unlock(&n->pool_mu);
	rt_free(rt);
}

/* ---- objects */

static json_t *namespace_object(const struct store_namespace *ns)
{
	json_t *o = ns->spec_json ? json_loads(ns->spec_json, 0, NULL) : NULL, *meta;
	char ts[32];

	if (!o)
		o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "apiVersion", json_string("v1"));
	json_object_set_new(o, "kind", json_string("Namespace"));
	meta = json_object_get(o, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(o, "metadata", meta);
	}
	json_object_set_new(meta, "name", json_string(ns->name));
	json_object_set_new(meta, "uid", json_string(ns->uid));
	rfc3339((time_t)(ns->created_ns / 1000000000), ts);
	json_object_set_new(meta, "creationTimestamp", json_string(ts));
	if (!json_object_get(meta, "labels"))
		json_object_set_new(meta, "labels", json_pack("{s:s}", "kubernetes.io/metadata.name",
							      ns->name));
	set_rv(o, ns->rv);
	json_object_set_new(o, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
	json_object_set_new(o, "status",
			    json_pack("{s:s}", "phase",
				      ns->phase == STORE_NS_ACTIVE ? "Active" : "Terminating"));
	return o;
}

static void ts_ns(int64_t ns, char buf[32])
{
	rfc3339((time_t)(ns / 1000000000), buf);
}

json_t *node_event_object(const struct store_event *ev)
{
	char first[32], last[32];
	json_t *o, *io;

	ts_ns(ev->first_ns, first);
	ts_ns(ev->last_ns, last);
	io = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", ev->obj_kind ? ev->obj_kind : "Pod",
		       "namespace", ev->namespace_, "name", ev->obj_name ? ev->obj_name : "", "uid",
		       ev->obj_uid ? ev->obj_uid : "", "apiVersion", "v1");
	if (io && ev->obj_field)
		json_object_set_new(io, "fieldPath", json_string(ev->obj_field));
	o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:o, s:s, s:s, s:{s:s, s:s}, s:s, s:s,"
		      " s:i, s:s, s:n, s:s, s:s}",
		      "kind", "Event", "apiVersion", "v1", "metadata", "name", ev->name, "namespace",
		      ev->namespace_, "uid", ev->uid, "creationTimestamp", first, "involvedObject", io,
		      "reason", ev->reason ? ev->reason : "", "message",
		      ev->message ? ev->message : "", "source", "component",
		      ev->component ? ev->component : "kubelet", "host", ev->host ? ev->host : "",
		      "firstTimestamp", first, "lastTimestamp", last, "count", ev->count, "type",
		      ev->type ? ev->type : "Normal", "eventTime", "reportingComponent",
		      ev->component ? ev->component : "kubelet", "reportingInstance",
		      ev->host ? ev->host : "");
	if (o)
		set_rv(o, ev->rv);
	return o;
}

/* An object the store keeps whole as JSON (NetworkPolicy, Service), at
 * the row's version. */
static json_t *stored_object(const char *text, int64_t rv)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;

	if (o && !json_is_object(json_object_get(o, "metadata"))) {
		json_decref(o);
		return NULL;
	}
	if (o)
		set_rv(o, rv);
	return o;
}

static json_t *netpol_object(const struct store_netpol *row)
{
	return stored_object(row->spec_json, row->rv);
}

/* A Service, with the status kube-apiserver gives one that no load
 * balancer serves. */
static json_t *service_object(const struct store_service *row)
{
	json_t *o = stored_object(row->spec_json, row->rv);

	if (o && !json_object_get(o, "status"))
		json_object_set_new(o, "status", json_pack("{s:{}}", "loadBalancer"));
	return o;
}

/* The labels and annotations set through the API, kept across restarts. */
static void node_meta_path(struct api_node *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s/node.json", n->root);
}

static json_t *node_object(struct api_node *n)
{
	const struct nodeinfo *ni = &n->ni;
	char cpu[16], mem[32], storage[32], path[PATH_MAX];
	json_t *o, *addrs, *saved, *labels;

	snprintf(cpu, sizeof(cpu), "%d", ni->cpus);
	snprintf(mem, sizeof(mem), "%lldKi", (long long)ni->memory_kib);
	snprintf(storage, sizeof(storage), "%lldKi", (long long)ni->storage_kib);
	addrs = json_array();
	if (ni->ip[0])
		json_array_append_new(addrs, json_pack("{s:s, s:s}", "type", "InternalIP", "address",
						       ni->ip));
	json_array_append_new(addrs, json_pack("{s:s, s:s}", "type", "Hostname", "address", ni->name));
	o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}},"
		      " s:{},"
		      " s:{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:[{s:s, s:s, s:s, s:s,"
		      " s:s, s:s}], s:o, s:{s:{s:i}}, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
		      " s:s, s:s}}}",
		      "kind", "Node", "apiVersion", "v1", "metadata", "name", ni->name, "uid",
		      ni->machine_id, "creationTimestamp", n->created, "labels", "kubernetes.io/arch",
		      ni->arch, "kubernetes.io/hostname", ni->name, "kubernetes.io/os", "linux",
		      "beta.kubernetes.io/arch", ni->arch, "beta.kubernetes.io/os", "linux", "spec",
		      "status", "capacity", "cpu", cpu, "memory", mem, "ephemeral-storage", storage,
		      "pods", "110", "allocatable", "cpu", cpu, "memory", mem, "ephemeral-storage",
		      storage, "pods", "110", "conditions", "type", "Ready", "status", "True",
		      "lastHeartbeatTime", n->created, "lastTransitionTime", n->created, "reason",
		      "KubeletReady", "message", "podnetd is posting ready status", "addresses",
		      addrs, "daemonEndpoints", "kubeletEndpoint", "Port", 0, "nodeInfo", "machineID",
		      ni->machine_id, "systemUUID", ni->machine_id, "bootID", ni->boot_id,
		      "kernelVersion", ni->kernel, "osImage", ni->os_image, "containerRuntimeVersion",
		      "podnet://" API_GIT_VERSION, "kubeletVersion", API_GIT_VERSION,
		      "kubeProxyVersion", "", "operatingSystem", "linux", "architecture", ni->arch);
	if (!o)
		return NULL;
	if (ni->pod_cidr[0]) {
		json_t *spec = json_object_get(o, "spec");

		json_object_set_new(spec, "podCIDR", json_string(ni->pod_cidr));
		json_object_set_new(spec, "podCIDRs", json_pack("[s]", ni->pod_cidr));
	}
	node_meta_path(n, path, sizeof(path));
	saved = json_load_file(path, 0, NULL);
	labels = json_object_get(json_object_get(o, "metadata"), "labels");
	if (json_is_object(json_object_get(saved, "labels"))) {
		json_object_clear(labels);
		json_object_update(labels, json_object_get(saved, "labels"));
	}
	if (json_is_object(json_object_get(saved, "annotations")))
		json_object_set(json_object_get(o, "metadata"), "annotations",
				json_object_get(saved, "annotations"));
	json_decref(saved);
	return o;
}

/* ---- mirroring the database */

static const struct {
	const char *store_kind;
	enum api_kind kind;
} kinds[] = {
	{ "pods", API_PODS },
	{ "namespaces", API_NAMESPACES },
	{ "events", API_EVENTS },
	{ "nodes", API_NODES },
	{ "networkpolicies", API_NETPOLS },
	{ "services", API_SERVICES },
	{ "endpointslices", API_ENDPOINTSLICES },
};

/* The API kind of a known_key() ("pods/<uid>"), API_KIND_COUNT if none. */
static enum api_kind kind_of_key(const char *key)
{
	for (size_t i = 0; i < PN_ARRAY_SIZE(kinds); i++) {
		size_t l = strlen(kinds[i].store_kind);

		if (!strncmp(key, kinds[i].store_kind, l) && key[l] == '/')
			return kinds[i].kind;
	}
	return API_KIND_COUNT;
}

static void known_key(char *buf, size_t n, const char *kind, const char *key)
{
	snprintf(buf, n, "%s/%s", kind, key);
}

struct agent_todo {
	struct store_pod *start;     /* pending pods to start */
	size_t n_start;
	struct store_pod *finish;    /* deleting pods to finish */
	size_t n_finish;
	bool namespaces;             /* a terminating namespace may be empty now */
};

static void unclaim(struct api_node *n, const struct store_pod *pods, size_t np);

/* Pods left in the lists were never handed to a worker: unclaimed. */
static void todo_free(struct api_node *n, struct agent_todo *t)
{
	unclaim(n, t->start, t->n_start);
	unclaim(n, t->finish, t->n_finish);
	store_pod_array_free(t->start, t->n_start);
	store_pod_array_free(t->finish, t->n_finish);
	memset(t, 0, sizeof(*t));
}

static int todo_push(struct store_pod **v, size_t *n, const struct store_pod *sp)
{
	struct store_pod *t = realloc(*v, (*n + 1) * sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	*v = t;
	memset(&t[*n], 0, sizeof(*t));
#define DUP(f) (t[*n].f = sp->f ? strdup(sp->f) : NULL)
	DUP(uid);
	DUP(namespace_);
	DUP(name);
	DUP(sandbox_id);
	DUP(spec_json);
	DUP(reason);
	DUP(netns_path);
	DUP(pod_ip);
	DUP(pod_ips);
	DUP(host_ip);
	DUP(owner);
	DUP(status_json);
#undef DUP
	t[*n].state = sp->state;
	t[*n].phase = sp->phase;
	t[*n].shim_pid = sp->shim_pid;
	t[*n].pause_pid = sp->pause_pid;
	t[*n].created_ns = sp->created_ns;
	t[*n].started_ns = sp->started_ns;
	t[*n].rv = sp->rv;
	t[*n].deletion_ns = sp->deletion_ns;
	t[*n].deletion_grace = sp->deletion_grace;
	ret = t[*n].uid ? 0 : -ENOMEM;
	(*n)++;
	return ret;
}

static bool ours_or_orphaned(struct api_node *n, const struct store_pod *sp)
{
	return !sp->owner || (n->self && !strcmp(sp->owner, n->self)) ||
	       !store_owner_alive(sp->owner);
}

/* Claim @uid for the agent: false when a worker (or a todo list not yet
 * handed to one) already has it. */
static bool claim(struct api_node *n, const char *uid)
{
	bool mine;

	pthread_mutex_lock(&n->work_mu);
	mine = !json_object_get(n->busy, uid) && json_object_set_new(n->busy, uid, json_true()) == 0;
	pthread_mutex_unlock(&n->work_mu);
	return mine;
}

static void unclaim(struct api_node *n, const struct store_pod *pods, size_t np)
{
	pthread_mutex_lock(&n->work_mu);
	for (size_t i = 0; i < np; i++)
		json_object_del(n->busy, pods[i].uid);
	pthread_mutex_unlock(&n->work_mu);
}

/*
 * What the agent should do about a pod row it has just seen.  The pod is
 * claimed here, while the sync lock is held, so that two syncs (a
 * request's and the agent's own) never hand it to two workers.
 */
static void agent_consider(struct api_node *n, const struct store_pod *sp, struct agent_todo *t)
{
	/* Pending, or a start cut short by a kill (creating, its owner
	 * dead): podrt_pod_start() undoes what the dead start left. */
	bool start = sp->phase == STORE_PHASE_PENDING &&
		     (sp->state == STORE_POD_PENDING ||
		      (sp->state == STORE_POD_CREATING && sp->owner && !store_owner_alive(sp->owner)));
	bool finish = sp->state == STORE_POD_DELETING;

	if ((!start && !finish) || !ours_or_orphaned(n, sp) || !claim(n, sp->uid))
		return;
	if (todo_push(start ? &t->start : &t->finish, start ? &t->n_start : &t->n_finish, sp) < 0)
		unclaim(n, sp, 1);
}

/* The status files of a ready pod: a stamp that changes when they do. */
static void status_stamp(struct api_node *n, const char *uid, char *buf, size_t len)
{
	char dir[PATH_MAX], sub[PATH_MAX + 300];
	unsigned long long sum = 0;
	struct stat stt;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/pods/%s", n->root, uid);
	if (stat(dir, &stt) == 0)
		sum += (unsigned long long)stt.st_mtim.tv_sec * 1000000007ull + (unsigned long long)stt.st_mtim.tv_nsec;
	snprintf(sub, sizeof(sub), "%s/containers", dir);
	d = opendir(sub);
	while (d && (de = readdir(d))) {
		char p[PATH_MAX + 600];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", sub, de->d_name);
		if (stat(p, &stt) == 0)
			sum = sum * 31 + (unsigned long long)stt.st_mtim.tv_sec * 1000000007ull +
			      (unsigned long long)stt.st_mtim.tv_nsec;
	}
	if (d)
		closedir(d);
	snprintf(buf, len, "%llx", sum);
}

/* Apply one change; the caller holds sync_mu. */
static int apply_change(struct api_node *n, const struct store_change *c, struct agent_todo *t)
{
	struct api *a = n->a;
	enum api_kind kind = API_KIND_COUNT;
	char key[400];
	json_t *obj = NULL, *prev;
	struct pn_err e = { 0 };
	int64_t row_rv = -1;
	int ret = 0;

	for (size_t i = 0; i < PN_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].store_kind, c->kind))
			kind = kinds[i].kind;
	if (kind == API_KIND_COUNT) {
		/* A kind podnetd does not serve (yet): the version still moves. */
		cache_advance(a->cache, (uint64_t)c->rv);
		return 0;
	}
	if (kind == API_PODS || kind == API_SERVICES || kind == API_NAMESPACES)
		n->slices_dirty = true;
	known_key(key, sizeof(key), c->kind, c->key);
	prev = json_object_get(n->known, key);
	if (c->type == STORE_CHANGE_DELETED) {
		if (!prev) {
			cache_advance(a->cache, (uint64_t)c->rv);
			return 0;
		}
		obj = json_deep_copy(prev);
		if (!obj)
			return -ENOMEM;
		set_rv(obj, c->rv);
		json_object_del(n->known, key);
		if (kind == API_PODS) {
			json_object_del(n->stamps, c->key);
			t->namespaces = true;
		}
		return cache_apply(a->cache, kind, CACHE_DELETED, obj, (uint64_t)c->rv);
	}
	switch (kind) {
	case API_PODS: {
		struct store_pod *sp = NULL;

		ret = store_pod_get(n->srt->st, c->key, &sp, &e);
		if (ret == 0) {
			row_rv = sp->rv;
			if (row_rv == c->rv) {
				obj = podrt_pod_object(n->srt, sp);
				agent_consider(n, sp, t);
				if (sp->state == STORE_POD_READY && !json_object_get(n->stamps, sp->uid))
					json_object_set_new(n->stamps, sp->uid, json_string(""));
				else if (sp->state != STORE_POD_READY)
					json_object_del(n->stamps, sp->uid);
			}
		}
		store_pod_free(sp);
		break;
	}
	case API_NAMESPACES: {
		struct store_namespace *ns = NULL;

		ret = store_namespace_get(n->srt->st, c->key, &ns, &e);
		if (ret == 0) {
			row_rv = ns->rv;
			if (row_rv == c->rv)
				obj = namespace_object(ns);
			if (ns->phase == STORE_NS_TERMINATING)
				t->namespaces = true;
		}
		store_namespace_free(ns);
		break;
	}
	case API_EVENTS: {
		struct store_event *ev = NULL;

		ret = store_event_get(n->srt->st, c->key, &ev, &e);
		if (ret == 0) {
			row_rv = ev->rv;
			if (row_rv == c->rv)
				obj = node_event_object(ev);
		}
		store_event_free(ev);
		break;
	}
	case API_NETPOLS: {
		struct store_netpol *np = NULL;

		ret = store_netpol_get_by_uid(n->srt->st, c->key, &np, &e);
		if (ret == 0) {
			row_rv = np->rv;
			if (row_rv == c->rv)
				obj = netpol_object(np);
		}
		store_netpol_free(np);
		break;
	}
	case API_SERVICES: {
		struct store_service *sv = NULL;

		ret = store_service_get_by_uid(n->srt->st, c->key, &sv, &e);
		if (ret == 0) {
			row_rv = sv->rv;
			if (row_rv == c->rv)
				obj = service_object(sv);
		}
		store_service_free(sv);
		break;
	}
	case API_ENDPOINTSLICES: {
		/* As the Node: the slice in memory is the newest computed. */
		json_t *sl = json_object_get(n->slices, c->key);

		if (sl) {
			obj = json_deep_copy(sl);
			row_rv = c->rv;
			if (obj)
				set_rv(obj, c->rv);
		}
		break;
	}
	case API_NODES:
		/* The node object in memory is what this version wrote. */
		if (n->node_obj) {
			obj = json_deep_copy(n->node_obj);
			row_rv = c->rv;
			if (obj)
				set_rv(obj, c->rv);
		}
		break;
	default:
		break;
	}
	pn_err_free(&e);
	if (ret == -ENOENT || row_rv != c->rv || !obj) {
		/* Gone or changed again since: a later change carries it. */
		json_decref(obj);
		cache_advance(a->cache, (uint64_t)c->rv);
		return ret == -ENOENT ? 0 : (ret < 0 ? ret : (row_rv == c->rv ? -ENOMEM : 0));
	}
	if (json_object_set(n->known, key, obj) < 0) {
		json_decref(obj);
		return -ENOMEM;
	}
	return cache_apply(a->cache, kind, prev ? CACHE_MODIFIED : CACHE_ADDED, obj,
			   (uint64_t)c->rv);
}

static void agent_run(struct api_node *n, struct agent_todo *t);
static void refresh_pod_cidr(struct api_node *n);

/* The NetworkPolicies and Services, known_key() -> object at its row's
 * version, into @dst. */
static int list_policies_services(struct api_node *n, json_t *dst, struct pn_err *err)
{
	struct store_netpol *nps = NULL;
	struct store_service *svcs = NULL;
	size_t nn = 0, ns = 0;
	int ret;

	ret = store_netpol_list(n->srt->st, NULL, &nps, &nn, err);
	if (ret == 0)
		ret = store_service_list(n->srt->st, NULL, &svcs, &ns, err);
	for (size_t i = 0; ret == 0 && i < nn + ns; i++) {
		char key[400];
		json_t *o;

		if (i < nn) {
			known_key(key, sizeof(key), "networkpolicies", nps[i].uid);
			o = netpol_object(&nps[i]);
		} else {
			known_key(key, sizeof(key), "services", svcs[i - nn].uid);
			o = service_object(&svcs[i - nn]);
		}
		/* A row that does not decode is left out, not fatal. */
		if (o && json_object_set_new(dst, key, o) < 0)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	store_netpol_array_free(nps, nn);
	store_service_array_free(svcs, ns);
	return ret;
}

static int64_t obj_rv(json_t *obj)
{
	const char *v = json_string_value(json_object_get(json_object_get(obj, "metadata"),
							  "resourceVersion"));

	return v ? strtoll(v, NULL, 10) : 0;
}

/* One change of the resync: the object, its kind and key, and the version
 * it is recorded at (0 until one is given). */
struct resync_item {
	enum api_kind kind;
	enum cache_event_type type;
	char *key;
	json_t *obj;
	int64_t rv;
};

static int resync_item_cmp(const void *a, const void *b)
{
	const struct resync_item *x = a, *y = b;

	return (x->rv > y->rv) - (x->rv < y->rv);
}

/* Add (@kind, @type, @key, @obj taken over) to @items; a row of version
 * @row_rv above the cache's keeps it (0: it needs a new one). */
static int resync_add(struct resync_item **items, size_t *n, size_t *cap, enum api_kind kind,
		      enum cache_event_type type, const char *key, json_t *obj, int64_t row_rv,
		      uint64_t cache_now)
{
	struct resync_item *it;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;

		it = realloc(*items, c * sizeof(*it));
		if (!it) {
			json_decref(obj);
			return -ENOMEM;
		}
		*items = it;
		*cap = c;
	}
	it = &(*items)[*n];
	it->key = strdup(key);
	if (!it->key) {
		json_decref(obj);
		return -ENOMEM;
	}
	it->kind = kind;
	it->type = type;
	it->obj = obj;
	it->rv = row_rv > 0 && (uint64_t)row_rv > cache_now ? row_rv : 0;
	(*n)++;
	return 0;
}

static void resync_items_free(struct resync_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].key);
		json_decref(items[i].obj);
	}
	free(items);
}

/*
 * The whole database again, when the change log no longer reaches back
 * to the last version mirrored (more than STORE_CHANGES_KEPT changes
 * while podnetd was busy): every object whose row moved is MODIFIED (or
 * ADDED), every one that went is DELETED.
 *
 * The versions must stay the database's: a watch resumed from an
 * object's resourceVersion must miss nothing after it, and a write
 * carrying it must match the row.  So all is read in one write
 * transaction (no other writer between the snapshot and the versions
 * taken), an object whose row moved past the cache is recorded at its
 * row's version, in order, and what has no version of its own (a
 * deletion; an object the cache lost track of) takes one of a block
 * reserved from the database's counter, after every row's.
 */
static int resync_all(struct api_node *n, struct agent_todo *t, struct pn_err *err)
{
	struct api *a = n->a;
	struct store *st = n->srt->st;
	struct store_pod *pods = NULL;
	struct store_namespace *nss = NULL;
	struct store_event *evs = NULL;
	struct resync_item *items = NULL;
	size_t np = 0, nn = 0, ne = 0, ni = 0, cap = 0, nfresh = 0;
	uint64_t cache_now = cache_rv(a->cache);
	int64_t now = 0, last;
	json_t *seen = json_object(), *extra = json_object(), *v;
	const char *k;
	int ret;

	if (!seen || !extra) {
		json_decref(seen);
		json_decref(extra);
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	ret = store_begin(st, err);
	if (ret < 0)
		goto out;
	ret = store_rv(st, &now, err);
	if (ret == 0)
		ret = store_pod_list(st, NULL, &pods, &np, err);
	if (ret == 0)
		ret = store_namespace_list(st, &nss, &nn, err);
	if (ret == 0)
		ret = store_event_list(st, NULL, &evs, &ne, err);
	if (ret == 0)
		ret = list_policies_services(n, extra, err);
	json_object_foreach(extra, k, v) {
		int64_t rv = obj_rv(v);

		if (ret < 0)
			break;
		json_object_set_new(seen, k, json_true());
		if (rv <= n->rv && json_object_get(n->known, k))
			continue;
		if (resync_add(&items, &ni, &cap, kind_of_key(k), CACHE_MODIFIED, k, json_incref(v),
			       rv, cache_now) < 0)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	for (size_t i = 0; ret == 0 && i < np + nn + ne; i++) {
		char key[400];
		enum api_kind kind;
		json_t *obj;
		int64_t rv;

		if (i < np) {
			known_key(key, sizeof(key), "pods", pods[i].uid);
			kind = API_PODS;
			rv = pods[i].rv;
			obj = rv > n->rv || !json_object_get(n->known, key)
				      ? podrt_pod_object(n->srt, &pods[i]) : NULL;
			agent_consider(n, &pods[i], t);
		} else if (i < np + nn) {
			struct store_namespace *ns = &nss[i - np];

			known_key(key, sizeof(key), "namespaces", ns->name);
			kind = API_NAMESPACES;
			rv = ns->rv;
			obj = rv > n->rv || !json_object_get(n->known, key) ? namespace_object(ns) : NULL;
		} else {
			struct store_event *ev = &evs[i - np - nn];

			known_key(key, sizeof(key), "events", ev->uid);
			kind = API_EVENTS;
			rv = ev->rv;
			obj = rv > n->rv || !json_object_get(n->known, key) ? node_event_object(ev) : NULL;
		}
		json_object_set_new(seen, key, json_true());
		if (obj && resync_add(&items, &ni, &cap, kind, CACHE_MODIFIED, key, obj, rv,
				      cache_now) < 0)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	json_object_foreach(n->known, k, v) {
		enum api_kind kind = kind_of_key(k);

		/* The Node and the slices are not rows: kept (slices_refresh
		 * looks at the slices). */
		if (ret < 0)
			break;
		if (kind == API_NODES || kind == API_ENDPOINTSLICES || kind == API_KIND_COUNT ||
		    json_object_get(seen, k))
			continue;
		if (resync_add(&items, &ni, &cap, kind, CACHE_DELETED, k, json_deep_copy(v), 0,
			       cache_now) < 0)
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < ni; i++)
		nfresh += items[i].rv == 0;
	last = now;
	if (ret == 0 && nfresh)
		ret = store_rv_reserve(st, (int64_t)nfresh, &last, err);
	if (ret < 0) {
		store_rollback(st);
		goto out;
	}
	ret = store_commit(st, err);
	if (ret < 0)
		goto out;

	/* The rows' own versions in order, then the reserved block. */
	for (size_t i = 0, f = 0; i < ni; i++)
		if (items[i].rv == 0)
			items[i].rv = last - (int64_t)nfresh + (int64_t)++f;
	qsort(items, ni, sizeof(*items), resync_item_cmp);
	for (size_t i = 0; i < ni; i++) {
		struct resync_item *it = &items[i];
		json_t *obj = it->obj;

		it->obj = NULL;
		if (!obj)
			continue;
		if (it->type == CACHE_DELETED) {
			/* As kube-apiserver: the deleted object at the deletion's version. */
			char s[32];

			snprintf(s, sizeof(s), "%lld", (long long)it->rv);
			json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
					    json_string(s));
			json_object_del(n->known, it->key);
		} else if (json_object_set(n->known, it->key, obj) < 0) {
			json_decref(obj);
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			break;
		}
		ret = cache_apply(a->cache, it->kind, it->type, obj, (uint64_t)it->rv);
		if (ret < 0) {
			ret = pn_error(err, PN_E_NOMEM, -ret, "mirror %s at version %lld", it->key,
				       (long long)it->rv);
			break;
		}
	}
	/* Mirroring goes on from the database's version (the reserved
	 * block included); a failure above is retried by the next resync. */
	if (ret == 0)
		n->rv = last;
	t->namespaces = true;
	n->slices_dirty = true;
out:
	resync_items_free(items, ni);
	json_decref(seen);
	json_decref(extra);
	store_pod_array_free(pods, np);
	store_namespace_array_free(nss, nn);
	store_event_array_free(evs, ne);
	return ret;
}

/*
 * EndpointSlices, as the EndpointSlice controller would keep them: computed
 * from the Services and the pods (endpoints.h), "ns/name" -> object.  The
 * database does not hold them; a slice that changed is logged with
 * store_touch_type() so that it takes a resourceVersion of its own, in
 * order with everything else, and reaches lists and watches like any
 * change (apply_change reads the slice back from n->slices).
 */
static int slices_compute(struct api_node *n, json_t **out, struct pn_err *err)
{
	struct pn_service **svcs = NULL;
	struct ep_podset pods = { 0 };
	size_t ns = 0;
	json_t *m = json_object();
	int ret;

	*out = NULL;
	if (!m)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = svcrt_list(n->srt->st, NULL, &svcs, &ns, err);
	/* Every change of a pod or Service computes every slice again; the
	 * memo keeps the work to the pods that changed (one pod's change
	 * with 500 pods and a Service: under 1 ms instead of 56-81 ms,
	 * docs/benchmarks.md). */
	if (ret == 0 && ns && !n->ep_memo && ep_memo_new(&n->ep_memo) < 0)
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	if (ret == 0 && ns)
		ret = endpoints_pods_load_memo(n->srt->st, n->root, n->ep_memo, &pods, err);
	for (size_t i = 0; ret == 0 && i < ns; i++) {
		struct ep_slice *sl = NULL;
		size_t nsl = 0;

		ret = endpoints_compute(svcs[i], pods.pods, pods.n, &sl, &nsl, err);
		for (size_t k = 0; ret == 0 && k < nsl; k++) {
			json_t *o = ep_slice_to_json(svcs[i], &sl[k], n->ni.name);
			char key[400];

			snprintf(key, sizeof(key), "%s/%s", svcs[i]->meta.namespace_, sl[k].name);
			if (!o || json_object_set_new(m, key, o) < 0)
				ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		}
		ep_slices_free(sl, nsl);
	}
	endpoints_pods_free(&pods);
	svcrt_array_free(svcs, ns);
	if (ret < 0) {
		json_decref(m);
		return ret;
	}
	*out = m;
	return 0;
}

/* Recompute the slices and log each one that changed; the caller holds
 * sync_mu and mirrors the new changes next. */
static int slices_refresh(struct api_node *n, struct pn_err *err)
{
	json_t *now = NULL, *v;
	const char *k;
	int64_t rv;
	int ret;

	n->slices_dirty = false;
	ret = slices_compute(n, &now, err);
	if (ret < 0)
		return ret;
	/* Logged before n->slices changes: a failure leaves the old set,
	 * and the next refresh tries again. */
	json_object_foreach(now, k, v) {
		json_t *old = json_object_get(n->slices, k);

		if (old && json_equal(old, v))
			continue;
		ret = store_touch_type(n->srt->st, "endpointslices", k,
				       old ? STORE_CHANGE_MODIFIED : STORE_CHANGE_ADDED, &rv, err);
		if (ret < 0)
			goto fail;
	}
	json_object_foreach(n->slices, k, v) {
		if (json_object_get(now, k))
			continue;
		ret = store_touch_type(n->srt->st, "endpointslices", k, STORE_CHANGE_DELETED, &rv, err);
		if (ret < 0)
			goto fail;
	}
	json_decref(n->slices);
	n->slices = now;
	return 0;
fail:
	n->slices_dirty = true;
	json_decref(now);
	return ret;
}

/* Mirror every change since the last; the caller holds sync_mu. */
static int sync_locked(struct api_node *n, struct agent_todo *t)
{
	struct store_change *ch = NULL;
	size_t nc = 0;
	struct pn_err err = { 0 };
	int ret;

	/* Twice at most: the slices a batch of changes moved are logged,
	 * and mirrored on the second pass (slices do not dirty slices). */
	for (int pass = 0; pass < 2; pass++) {
		ret = store_changes(n->srt->st, n->rv, &ch, &nc, &err);
		if (ret == -ESTALE) {
			pn_warn("the change log moved past version %lld: reloading everything",
				(long long)n->rv);
			pn_err_free(&err);
			ret = resync_all(n, t, &err);
		} else if (ret == 0) {
			for (size_t i = 0; i < nc; i++) {
				if ((uint64_t)ch[i].rv <= cache_rv(n->a->cache)) {
					n->rv = ch[i].rv;
					continue;
				}
				ret = apply_change(n, &ch[i], t);
				if (ret < 0)
					break;
				n->rv = ch[i].rv;
			}
		}
		store_change_array_free(ch, nc);
		ch = NULL;
		nc = 0;
		if (ret < 0 || !n->slices_dirty)
			break;
		ret = slices_refresh(n, &err);
		if (ret < 0)
			break;
	}
	if (ret < 0)
		pn_warn("mirroring the state database: %s",
			err.msg ? pn_err_msg(&err) : strerror(-ret));
	pn_err_free(&err);
	return ret;
}

void node_sync(struct api *a)
{
	struct api_node *n = a->node;
	struct agent_todo t = { 0 };

	if (!n)
		return;
	pthread_mutex_lock(&n->sync_mu);
	sync_locked(n, &t);
	pthread_mutex_unlock(&n->sync_mu);
	agent_run(n, &t);
	todo_free(n, &t);
}

/* ---- the agent */

struct work {
	struct api_node *n;
	struct store_pod *pods;
	size_t n_pods;
	bool start;
};

static void work_done(struct api_node *n, struct store_pod *pods, size_t np)
{
	pthread_mutex_lock(&n->work_mu);
	for (size_t i = 0; i < np; i++)
		json_object_del(n->busy, pods[i].uid);
	n->workers--;
	pthread_cond_broadcast(&n->work_cv);
	pthread_mutex_unlock(&n->work_mu);
}

static void deleted(void *ctx, const struct store_pod *sp, int ret, const struct pn_err *err)
{
	(void)ctx;
	if (ret < 0)
		pn_warn("pod %s/%s: delete: %s", sp->namespace_, sp->name, pn_err_msg(err));
	else
		pn_log(PN_LOG_INFO, "pod %s/%s: deleted", sp->namespace_, sp->name);
}

static void *worker(void *arg)
{
	struct work *w = arg;
	struct api_node *n = w->n;
	struct pn_err err = { 0 };
	struct podrt *rt = node_rt_get(n->a, &err);

	if (!rt) {
		pn_warn("agent: %s", pn_err_msg(&err));
	} else if (w->start) {
		for (size_t i = 0; i < w->n_pods && !n->stop; i++) {
			pn_log(PN_LOG_INFO, "pod %s/%s: starting", w->pods[i].namespace_,
			       w->pods[i].name);
			if (podrt_pod_start(rt, w->pods[i].uid, &err) < 0 && err.code != PN_E_CONFLICT)
				pn_warn("pod %s/%s: %s", w->pods[i].namespace_, w->pods[i].name,
					pn_err_msg(&err));
			pn_err_free(&err);
		}
		refresh_pod_cidr(n);
	} else {
		const struct podrt_delete_opts o = { .grace = -1 };

		if (podrt_pods_delete(rt, w->pods, w->n_pods, &o, deleted, NULL, &err) < 0)
			pn_err_free(&err);
	}
	node_rt_put(n->a, rt);
	pn_err_free(&err);
	work_done(n, w->pods, w->n_pods);
	/* What the worker wrote is mirrored now, not at the next wakeup. */
	node_sync(n->a);
	store_pod_array_free(w->pods, w->n_pods);
	free(w);
	return NULL;
}

static void spawn_work(struct api_node *n, struct store_pod **pods, size_t *np, bool start)
{
	struct work *w;
	pthread_attr_t attr;
	pthread_t th;

	if (!*np || n->stop)
		return;
	w = calloc(1, sizeof(*w));
	if (!w)
		return;
	w->n = n;
	w->pods = *pods;
	w->n_pods = *np;
	w->start = start;
	pthread_mutex_lock(&n->work_mu);
	n->workers++;
	pthread_mutex_unlock(&n->work_mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, worker, w) != 0) {
		/* The lists stay with the caller, who unclaims them. */
		pthread_mutex_lock(&n->work_mu);
		n->workers--;
		pthread_mutex_unlock(&n->work_mu);
		free(w);
		pthread_attr_destroy(&attr);
		return;
	}
	pthread_attr_destroy(&attr);
	*pods = NULL;
	*np = 0;
}

/* Terminating namespaces whose pods are all gone go too. */
static void finish_namespaces(struct api_node *n)
{
	struct store_namespace *nss = NULL;
	size_t nn = 0;
	struct pn_err err = { 0 };
	struct podrt *rt = node_rt_get(n->a, &err);

	if (!rt || store_namespace_list(rt->st, &nss, &nn, &err) < 0)
		goto out;
	for (size_t i = 0; i < nn; i++) {
		struct store_pod *pods = NULL;
		size_t np = 0;

		if (nss[i].phase != STORE_NS_TERMINATING)
			continue;
		if (store_pod_list(rt->st, nss[i].name, &pods, &np, &err) < 0) {
			pn_err_free(&err);
			continue;
		}
		store_pod_array_free(pods, np);
		if (np)
			continue;
		if (store_namespace_delete(rt->st, nss[i].name, &err) < 0) {
			if (err.errnum != ENOENT)
				pn_warn("namespace %s: %s", nss[i].name, pn_err_msg(&err));
		} else {
			pn_fault_point("ns.deleted");
			/* Its NetworkPolicies and Services went with it: their
			 * rules go too. */
			if (podrt_net_sync(rt, &err) < 0)
				pn_warn("namespace %s deleted, the node's rules not updated: %s",
					nss[i].name, pn_err_msg(&err));
		}
		pn_err_free(&err);
	}
out:
	if (err.msg)
		pn_warn("namespaces: %s", pn_err_msg(&err));
	pn_err_free(&err);
	store_namespace_array_free(nss, nn);
	node_rt_put(n->a, rt);
}

static void agent_run(struct api_node *n, struct agent_todo *t)
{
	spawn_work(n, &t->start, &t->n_start, true);
	spawn_work(n, &t->finish, &t->n_finish, false);
	if (t->namespaces) {
		finish_namespaces(n);
		t->namespaces = false;
		/* Its deletion is a change: mirror it now. */
		pthread_mutex_lock(&n->sync_mu);
		sync_locked(n, t);
		pthread_mutex_unlock(&n->sync_mu);
		if (t->namespaces) {
			/* Only another pod's deletion can have set it again;
			 * the next wakeup looks. */
			t->namespaces = false;
		}
	}
}

/*
 * The pod network's range, once there is one: the first pod started may
 * have written the default conflist after podnetd registered the Node.
 */
static void refresh_pod_cidr(struct api_node *n)
{
	struct nodeinfo ni;
	struct pn_err err = { 0 };
	int64_t rv;

	if (n->ni.pod_cidr[0])
		return;
	if (nodeinfo_get(&ni, n->ni.name, n->ni.ip, n->cni_conf_dir, n->root, &err) < 0 ||
	    !ni.pod_cidr[0]) {
		pn_err_free(&err);
		return;
	}
	pthread_mutex_lock(&n->sync_mu);
	snprintf(n->ni.pod_cidr, sizeof(n->ni.pod_cidr), "%s", ni.pod_cidr);
	{
		json_t *spec = json_object_get(n->node_obj, "spec");

		json_object_set_new(spec, "podCIDR", json_string(ni.pod_cidr));
		json_object_set_new(spec, "podCIDRs", json_pack("[s]", ni.pod_cidr));
	}
	if (store_touch(n->srt->st, "nodes", n->ni.name, &rv, &err) < 0)
		pn_warn("node: %s", pn_err_msg(&err));
	pthread_mutex_unlock(&n->sync_mu);
	pn_err_free(&err);
}

/* Ready pods whose status files changed (or all, @full) observed again. */
/* Dead sandboxes of @pods re-created, one at a time (the lifecycle lock
 * is exclusive), outside sync_mu: the API is served meanwhile. */
static void recover_dead(struct api_node *n, const struct store_pod *pods, size_t np)
{
	struct pn_err err = { 0 };
	struct podrt *rt = NULL;
	bool any = false;

	for (size_t i = 0; i < np && !n->stop; i++) {
		bool recreated = false;

		if (pods[i].state != STORE_POD_READY)
			continue;
		if (!rt && !(rt = node_rt_get(n->a, &err))) {
			pn_warn("agent: %s", pn_err_msg(&err));
			break;
		}
		if (!podrt_sandbox_dead(rt, &pods[i]))
			continue;
		pn_log(PN_LOG_INFO, "pod %s/%s: its sandbox died; re-creating it", pods[i].namespace_,
		       pods[i].name);
		if (podrt_pod_recover(rt, &pods[i], &recreated, &err) < 0)
			pn_warn("pod %s/%s: %s", pods[i].namespace_, pods[i].name, pn_err_msg(&err));
		pn_err_free(&err);
		any = true;
	}
	if (rt)
		node_rt_put(n->a, rt);
	pn_err_free(&err);
	if (any)
		node_sync(n->a);
}

static void status_sweep(struct api_node *n, bool full)
{
	struct agent_todo t = { 0 };
	struct store_pod *pods = NULL;
	size_t np = 0;
	struct pn_err err = { 0 };
	json_t *v;
	const char *uid;
	void *tmp;

	if (full)
		refresh_pod_cidr(n);
	pthread_mutex_lock(&n->sync_mu);
	if (full) {
		if (store_pod_list(n->srt->st, NULL, &pods, &np, &err) < 0) {
			pn_warn("status: %s", pn_err_msg(&err));
			pn_err_free(&err);
		}
		for (size_t i = 0; i < np; i++) {
			agent_consider(n, &pods[i], &t);
			if (pods[i].state == STORE_POD_READY &&
			    !json_object_get(n->stamps, pods[i].uid))
				json_object_set_new(n->stamps, pods[i].uid, json_string(""));
		}
		t.namespaces = true;
	}
	json_object_foreach_safe(n->stamps, tmp, uid, v) {
		char stamp[64];
		struct store_pod *sp = NULL;

		status_stamp(n, uid, stamp, sizeof(stamp));
		if (!full && !strcmp(stamp, json_string_value(v)))
			continue;
		json_object_set_new(n->stamps, uid, json_string(stamp));
		if (store_pod_get(n->srt->st, uid, &sp, &err) == 0 && sp->state == STORE_POD_READY &&
		    podrt_pod_sync_status(n->srt, sp, NULL, &err) < 0)
			pn_log(PN_LOG_DEBUG, "pod %s: status: %s", sp->name, pn_err_msg(&err));
		pn_err_free(&err);
		store_pod_free(sp);
	}
	sync_locked(n, &t);
	pthread_mutex_unlock(&n->sync_mu);
	if (full)
		recover_dead(n, pods, np);
	store_pod_array_free(pods, np);
	agent_run(n, &t);
	todo_free(n, &t);
}

static void expire_events(struct api_node *n)
{
	struct pn_err err = { 0 };
	size_t gone = 0;
	int64_t before = ((int64_t)time(NULL) - EVENT_TTL_S) * 1000000000;

	pthread_mutex_lock(&n->sync_mu);
	if (store_event_expire(n->srt->st, before, &gone, &err) < 0)
		pn_warn("events: %s", pn_err_msg(&err));
	pthread_mutex_unlock(&n->sync_mu);
	pn_err_free(&err);
	if (gone)
		node_sync(n->a);
}

static bool db_changed(struct api_node *n)
{
	int64_t v = 0;
	struct pn_err err = { 0 };
	bool changed;

	pthread_mutex_lock(&n->sync_mu);
	changed = store_data_version(n->srt->st, &v, &err) < 0 || v != n->data_version;
	n->data_version = v;
	pthread_mutex_unlock(&n->sync_mu);
	pn_err_free(&err);
	return changed;
}

/*
 * SQLite appends a commit's pages to the WAL with several writes and makes
 * the commit visible (the wal-index header in shared memory) only after
 * the last: an inotify wakeup can come before the commit can be read.  So
 * after one, the database is looked at again a little later, twice.
 */
#define RECHECK_MS 3

static void *sync_thread(void *arg)
{
	struct api_node *n = arg;
	uint64_t next_status = mono_ms() + STATUS_SWEEP_MS, next_full = mono_ms() + FULL_SWEEP_MS;
	uint64_t next_expire = mono_ms(), next_recheck = 0;
	int rechecks = 0;

	while (!n->stop) {
		struct pollfd p[2] = { { n->wake_fd, POLLIN, 0 }, { n->ino_fd, POLLIN, 0 } };
		uint64_t now = mono_ms(), until = next_status;
		int timeout;
		bool db = false;

		if (rechecks && next_recheck < until)
			until = next_recheck;
		timeout = until > now ? (int)(until - now) : 0;
		if (poll(p, n->ino_fd >= 0 ? 2 : 1, timeout) > 0) {
			char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
			uint64_t v;

			if (p[0].revents & POLLIN && read(n->wake_fd, &v, sizeof(v)) < 0)
				v = 0;
			if (p[1].revents & POLLIN) {
				ssize_t len = read(n->ino_fd, buf, sizeof(buf));

				for (char *q = buf; len > 0 && q < buf + len;) {
					const struct inotify_event *ie = (const void *)q;

					if (ie->len && !strncmp(ie->name, "state.db", 8))
						db = true;
					q += sizeof(*ie) + ie->len;
				}
			}
		}
		if (n->stop)
			break;
		now = mono_ms();
		if (db) {
			rechecks = 2;
			next_recheck = now + RECHECK_MS;
		} else if (rechecks && now >= next_recheck) {
			db = true;
			rechecks--;
			next_recheck = now + RECHECK_MS * 4;
		}
		if (db && db_changed(n))
			node_sync(n->a);
		now = mono_ms();
		if (now >= next_status) {
			bool full = now >= next_full;

			status_sweep(n, full);
			next_status = now + STATUS_SWEEP_MS;
			if (full)
				next_full = now + FULL_SWEEP_MS;
			/* Give back what a burst of big lists left free in the
			 * arenas (glibc keeps it otherwise): a walk of the free
			 * chunks, well under a millisecond at this size.  The
			 * Tables of past seconds go first. */
			listcache_expire(n->a->lists, (int64_t)api_now(n->a));
			malloc_trim(0);
		}
		if (now >= next_expire) {
			expire_events(n);
			next_expire = now + EXPIRE_EVERY_MS;
		}
	}
	return NULL;
}

void node_kick(struct api *a)
{
	uint64_t one = 1;

	if (a->node && write(a->node->wake_fd, &one, sizeof(one)) < 0) {
		/* saturated: already woken */
	}
}

/* ---- the Node object */

json_t *node_get_object(struct api *a)
{
	struct api_node *n = a->node;
	json_t *o;

	pthread_mutex_lock(&n->sync_mu);
	o = json_incref(n->node_obj);
	pthread_mutex_unlock(&n->sync_mu);
	return o;
}

int node_set_meta(struct api *a, json_t *obj, struct pn_err *err)
{
	struct api_node *n = a->node;
	json_t *meta = json_object_get(obj, "metadata"), *saved, *copy;
	char path[PATH_MAX];
	int64_t rv;
	int ret;

	saved = json_object();
	for (int i = 0; saved && i < 2; i++) {
		const char *key = i ? "annotations" : "labels";
		json_t *v = json_object_get(meta, key);

		json_object_set_new(saved, key, json_is_object(v) ? json_incref(v) : json_object());
	}
	if (!saved)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	node_meta_path(n, path, sizeof(path));
	pthread_mutex_lock(&n->sync_mu);
	ret = pn_json_file_replace(path, saved, JSON_COMPACT | JSON_SORT_KEYS, 0600, PN_E_STATE, err);
	if (ret == 0) {
		copy = json_deep_copy(obj);
		if (copy) {
			json_decref(n->node_obj);
			n->node_obj = copy;
		}
		ret = store_touch(n->srt->st, "nodes", n->ni.name, &rv, err);
	}
	pthread_mutex_unlock(&n->sync_mu);
	json_decref(saved);
	if (ret == 0)
		node_sync(a);
	return ret;
}

/* ---- start and stop */

/* Everything that exists when podnetd starts, at the database's version. */
static int seed(struct api_node *n, struct pn_err *err)
{
	struct api *a = n->a;
	struct store_pod *pods = NULL;
	struct store_namespace *nss = NULL;
	struct store_event *evs = NULL;
	size_t np = 0, nn = 0, ne = 0;
	json_t *extra = json_object(), *v;
	const char *k;
	int ret;

	if (!extra)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = store_begin(n->srt->st, err);
	if (ret < 0)
		return ret;
	/* One read transaction: the rows and the version agree. */
	ret = store_rv(n->srt->st, &n->rv, err);
	if (ret == 0)
		ret = store_pod_list(n->srt->st, NULL, &pods, &np, err);
	if (ret == 0)
		ret = store_namespace_list(n->srt->st, &nss, &nn, err);
	if (ret == 0)
		ret = store_event_list(n->srt->st, NULL, &evs, &ne, err);
	if (ret == 0)
		ret = list_policies_services(n, extra, err);
	if (ret == 0)
		ret = slices_compute(n, &n->slices, err);
	store_rollback(n->srt->st);
	if (ret < 0)
		goto out;
	ret = cache_new((uint64_t)n->rv, &a->cache);
	if (ret < 0) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < np + nn + ne + 1; i++) {
		char key[400];
		enum api_kind kind;
		json_t *obj;

		if (i < np) {
			known_key(key, sizeof(key), "pods", pods[i].uid);
			kind = API_PODS;
			obj = podrt_pod_object(n->srt, &pods[i]);
			if (pods[i].state == STORE_POD_READY)
				json_object_set_new(n->stamps, pods[i].uid, json_string(""));
		} else if (i < np + nn) {
			known_key(key, sizeof(key), "namespaces", nss[i - np].name);
			kind = API_NAMESPACES;
			obj = namespace_object(&nss[i - np]);
		} else if (i < np + nn + ne) {
			known_key(key, sizeof(key), "events", evs[i - np - nn].uid);
			kind = API_EVENTS;
			obj = node_event_object(&evs[i - np - nn]);
		} else {
			known_key(key, sizeof(key), "nodes", n->ni.name);
			kind = API_NODES;
			obj = json_deep_copy(n->node_obj);
			if (obj)
				set_rv(obj, n->rv);
		}
		if (!obj || json_object_set(n->known, key, obj) < 0 ||
		    cache_seed(a->cache, kind, obj) < 0) {
			json_decref(obj);
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	json_object_foreach(extra, k, v) {
		if (json_object_set(n->known, k, v) < 0 ||
		    cache_seed(a->cache, kind_of_key(k), json_incref(v)) < 0) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	json_object_foreach(n->slices, k, v) {
		char key[400];
		json_t *obj = json_deep_copy(v);

		known_key(key, sizeof(key), "endpointslices", k);
		if (obj)
			set_rv(obj, n->rv);
		if (!obj || json_object_set(n->known, key, obj) < 0 ||
		    cache_seed(a->cache, API_ENDPOINTSLICES, obj) < 0) {
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	json_decref(extra);
	store_pod_array_free(pods, np);
	store_namespace_array_free(nss, nn);
	store_event_array_free(evs, ne);
	return ret;
}

/*
 * The node's nftables rules made to follow the store before anything is
 * served: a podnetd killed between committing a change (a policy, a
 * Service, a namespace's deletion) and its pol_sync left the kernel
 * behind the store, and no later change may come to bring it in line.
 * A failure is not fatal (as after a write): `podnet doctor` shows it and
 * the next change's sync tries again.
 */
static void kill_exec_orphans(struct api_node *n);

static void start_sync(struct api_node *n)
{
	struct pn_err err = { 0 };

	if (pol_sync(n->srt->st, n->root, NULL, &err) < 0)
		pn_warn("the node's rules do not follow the state: %s", pn_err_msg(&err));
	pn_err_free(&err);
}

/*
 * This life's first resourceVersion: a change of the Node logged before
 * the cache is seeded, so the cache's floor is above every version the
 * previous podnetd handed out.  A client resuming a watch from any of them
 * gets 410 Expired and lists again: this podnetd cannot replay what came
 * before its start, and what is not in the store (the Node's
 * creationTimestamp and conditions, the EndpointSlices) may differ from
 * what the previous one served at the same version.
 */
static int start_version(struct api_node *n, struct pn_err *err)
{
	int64_t rv;

	return store_touch(n->srt->st, "nodes", n->ni.name, &rv, err);
}

int node_start(struct api *a, const struct node_opts *o, struct pn_err *err)
{
	struct api_node *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	a->node = n;
	n->a = a;
	n->wake_fd = n->ino_fd = -1;
	pthread_mutex_init(&n->pool_mu, NULL);
	pthread_mutex_init(&n->sync_mu, NULL);
	pthread_mutex_init(&n->work_mu, NULL);
	pthread_cond_init(&n->work_cv, NULL);
	n->root = env_or("PODNET_ROOT", "/var/lib/podnet");
	n->cni_conf_dir = env_or("PODNET_CNI_CONF_DIR", "/etc/cni/net.d");
	n->cni_path = env_or("CNI_PATH", "/opt/cni/bin");
	n->cni_cache = env_or("PODNET_CNI_CACHE_DIR", "/var/lib/cni");
	n->netns_dir = env_or("PODNET_NETNS_DIR", "/run/netns");
	n->runtime = getenv("PODNET_RUNTIME");
	n->known = json_object();
	n->stamps = json_object();
	n->busy = json_object();
	if (!n->known || !n->stamps || !n->busy || store_owner_self(&n->self) < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = pn_mkdir_p(n->root, 0700);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "cannot create %s", n->root);
	ret = nodeinfo_get(&n->ni, o->node_name, o->node_ip, n->cni_conf_dir, n->root, err);
	if (ret < 0)
		return ret;
	rfc3339(time(NULL), n->created);
	n->node_obj = node_object(n);
	if (!n->node_obj)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = rt_open(n, &n->srt, err);
	if (ret < 0)
		return ret;
	kill_exec_orphans(n);
	start_sync(n);
	ret = start_version(n, err);
	if (ret < 0)
		return ret;
	ret = seed(n, err);
	if (ret < 0)
		return ret;
	if (store_data_version(n->srt->st, &n->data_version, err) < 0)
		return -EIO;
	n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->wake_fd < 0)
		return pn_error(err, PN_E_STATE, errno, "eventfd: %s", strerror(errno));
	n->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (n->ino_fd < 0 ||
	    inotify_add_watch(n->ino_fd, n->root, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
							 IN_CREATE) < 0) {
		/* The 1 s timer still notices other processes' writes. */
		pn_warn("inotify on %s: %s; noticing other writers once a second", n->root,
			strerror(errno));
		if (n->ino_fd >= 0)
			close(n->ino_fd);
		n->ino_fd = -1;
	}
	if (pthread_create(&n->thread, NULL, sync_thread, n) != 0)
		return pn_error(err, PN_E_STATE, EAGAIN, "cannot start the node agent");
	n->thread_started = true;
	node_kick(a);
	return 0;
}

void node_stop(struct api *a)
{
	struct api_node *n = a->node;
	struct timespec until;

	if (!n)
		return;
	n->stop = 1;
	node_kick(a);
	if (n->thread_started)
		pthread_join(n->thread, NULL);
	/* Workers in the middle of a start finish it (a few seconds at
	 * most); deletions waiting out a grace period are left to the next
	 * podnetd or `podnet gc` (their rows say where they were). */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&n->work_mu);
	while (n->workers > 0 &&
	       pthread_cond_timedwait(&n->work_cv, &n->work_mu, &until) == 0)
		;
	if (n->workers > 0) {
		/* Still busy: leave everything in place for them; the process
		 * is about to exit. */
		pthread_mutex_unlock(&n->work_mu);
		return;
	}
	pthread_mutex_unlock(&n->work_mu);
	rt_free(n->srt);
	for (size_t i = 0; i < n->n_pool; i++)
		rt_free(n->pool[i]);
	free(n->pool);
	json_decref(n->known);
	json_decref(n->stamps);
	json_decref(n->slices);
	ep_memo_free(n->ep_memo);
	json_decref(n->busy);
	json_decref(n->node_obj);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	if (n->ino_fd >= 0)
		close(n->ino_fd);
	free(n->self);
	free(n);
	a->node = NULL;
	cache_free(a->cache);
	a->cache = NULL;
}

const char *node_address(struct api *a)
{
	return a->node && a->node->ni.ip[0] ? a->node->ni.ip : NULL;
}

int node_exec_dir(struct api *a, char *buf, size_t len)
{
	const char *root = a->node ? a->node->root : env_or("PODNET_ROOT", "/var/lib/podnet");
	int r = snprintf(buf, len, "%s/exec", root);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/*
 * The processes of the previous podnetd's `kubectl exec` sessions: nobody
 * relays their stdio or waits for them now, and a process that does not
 * read its stdin (a shell's `sleep`, a server) would run in its container
 * for ever.
 */
static void kill_exec_orphans(struct api_node *n)
{
	char dir[PATH_MAX];
	struct pn_err err = { 0 };
	size_t killed = 0;

	if (node_exec_dir(n->a, dir, sizeof(dir)) < 0)
		return;
	if (oci_exec_orphans_kill(dir, &killed, &err) < 0)
		pn_warn("exec processes of a previous podnetd: %s", pn_err_msg(&err));
	else if (killed)
		pn_log(PN_LOG_INFO, "killed %zu exec process%s left by a previous podnetd", killed,
		       killed == 1 ? "" : "es");
	pn_err_free(&err);
}

const char *node_name(struct api *a)
{
	return a->node ? a->node->ni.name : a->node_name;
}
