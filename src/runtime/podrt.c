/* SPDX-License-Identifier: Apache-2.0 */
#include "podrt.h"

/* Paths here are built from PODNET_ROOT, ids and names that are far below
 * PATH_MAX; a truncated one would only fail the syscall that uses it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cniclient.h"
#include "file.h"
#include "link.h"
#include "image.h"
#include "log.h"
#include "manifest.h"
#include "netns.h"

#define POD_IFNAME "eth0"
#define DEFAULT_CONFLIST "10-podnet.conflist"

/*
 * The default network `podnet init` writes: the seed's picture, a node
 * bridge with one /16 of pod IPs, gateway on the bridge, masquerade out;
 * pods' ports isolated so that pod-to-pod traffic is routed through the
 * bridge, where NetworkPolicy is enforced with conntrack, and a pod can
 * send only with its own addresses (podnet-bridge(8), PORT ISOLATION).
 * cniVersion 1.0.0 for runtimes on libcni before 1.2 (Debian 12's
 * containerd 1.6), which refuse a 1.1.0 result; cniVersions lets libcni
 * 1.2 and later, and podnet itself, pick 1.1.0 and with it GC and STATUS
 * (SPEC 1.1.0 "Version considerations").  Both versions suit every plugin
 * of this list: they are podnet's own.
 */
static const char default_conflist[] =
	"{\n"
	"  \"cniVersion\": \"1.0.0\",\n"
	"  \"cniVersions\": [ \"1.0.0\", \"1.1.0\" ],\n"
	"  \"name\": \"podnet\",\n"
	"  \"plugins\": [\n"
	"    {\n"
	"      \"type\": \"podnet-bridge\",\n"
	"      \"bridge\": \"podnet0\",\n"
	"      \"isGateway\": true,\n"
	"      \"isDefaultGateway\": true,\n"
	"      \"ipMasq\": true,\n"
	"      \"hairpinMode\": true,\n"
	"      \"portIsolation\": true,\n"
	"      \"spoofCheck\": true,\n"
	"      \"ipam\": {\n"
	"        \"type\": \"podnet-ipam\",\n"
	"        \"ranges\": [ [ { \"subnet\": \"10.244.0.0/16\" } ] ]\n"
	"      }\n"
	"    }\n"
	"  ]\n"
	"}\n";


static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* rm -rf that never crosses into a mount (a container rootfs still mounted
 * must never have the node's files deleted through it). */
static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static char *self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return strdup("/usr/local/bin");
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return strdup(buf);
}

int podrt_open(struct podrt *rt, struct pn_err *err)
{
	int ret;

	rt->bin_dir = self_dir();
	if (!rt->bin_dir)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	ret = pn_mkdir_p(rt->root, 0700);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "cannot create %s", rt->root);
	return store_open(rt->root, &rt->st, err);
}

void podrt_close(struct podrt *rt)
{
	store_close(rt->st);
	rt->st = NULL;
	free(rt->bin_dir);
	rt->bin_dir = NULL;
}

/* CNI_PATH as the runtime hands it to plugins: the user's, then the
 * directory podnet itself was run from (so an uninstalled build finds its
 * own plugins), then Debian's reference plugins. */
static const char *runtime_cni_path(struct podrt *rt, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%s:/usr/lib/cni", rt->cni_path, rt->bin_dir);
	return buf;
}

int podrt_init_cni(struct podrt *rt, bool *written, char **path_out, struct pn_err *err)
{
	struct cni_netlist *l = NULL;
	char path[PATH_MAX];
	int fd, ret;

	*written = false;
	if (path_out)
		*path_out = NULL;
	ret = cniclient_load_conflist(rt->cni_conf_dir, NULL, &l, NULL);
	if (ret == 0) {
		if (path_out)
			*path_out = strdup(l->source);
		cni_netlist_free(l);
		return 0;
	}
	ret = pn_mkdir_p(rt->cni_conf_dir, 0755);
	if (ret < 0)
		return pn_error(err, PN_E_STATE, -ret, "cannot create %s", rt->cni_conf_dir);
	snprintf(path, sizeof(path), "%s/%s", rt->cni_conf_dir, DEFAULT_CONFLIST);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return pn_error(err, PN_E_CONFLICT, EEXIST,
				"%s exists but is not a valid network configuration", path);
	if (fd < 0)
		return pn_error(err, PN_E_STATE, errno, "cannot write %s", path);
	ret = pn_write_all(fd, default_conflist, sizeof(default_conflist) - 1);
	if (ret < 0) {
		ret = pn_error(err, PN_E_STATE, -ret, "cannot write %s", path);
		close(fd);
		unlink(path);
		return ret;
	}
	close(fd);
	*written = true;
	if (path_out)
		*path_out = strdup(path);
	return 0;
}

static json_t *read_json(const char *path)
{
	return json_load_file(path, 0, NULL);
}

/* Kubernetes' command/args over the image's entrypoint/cmd. */
static json_t *container_argv(const struct pn_container_spec *c, const struct image_info *img)
{
	json_t *a = json_array();
	char **head = c->command ? c->command : img->entrypoint;
	char **tail = c->command ? c->args : (c->args ? c->args : img->cmd);

	for (char **p = head; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	for (char **p = tail; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

static json_t *container_env(const struct pn_container_spec *c, const struct image_info *img)
{
	json_t *e = json_array();
	bool has_path = false;
	char buf[8192];

	for (char **p = img->env; p && *p; p++) {
		has_path |= !strncmp(*p, "PATH=", 5);
		json_array_append_new(e, json_string(*p));
	}
	if (!has_path)
		json_array_append_new(e, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	for (size_t i = 0; i < c->n_env; i++) {
		snprintf(buf, sizeof(buf), "%s=%s", c->env[i].name, c->env[i].value ? c->env[i].value : "");
		json_array_append_new(e, json_string(buf));
	}
	return e;
}

static void pod_dir_path(const struct podrt *rt, const char *uid, char *buf, size_t n)
{
	snprintf(buf, n, "%s/pods/%s", rt->root, uid);
}

/* Is the shim of @pod_dir alive?  It holds shim.lock for its whole life. */
static bool shim_alive(const char *pod_dir)
{
	char path[PATH_MAX];
	int fd;
	bool alive = false;

	snprintf(path, sizeof(path), "%s/shim.lock", pod_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		alive = true;
	close(fd);
	return alive;
}

static int load_netlist(struct podrt *rt, struct cni_netlist **l, struct pn_err *err)
{
	bool written;
	int ret;

	ret = podrt_init_cni(rt, &written, NULL, err);
	if (ret < 0)
		return ret;
	return cniclient_load_conflist(rt->cni_conf_dir, NULL, l, err);
}

static void cni_rt_for(const struct store_pod *sp, struct cniclient_rt *crt,
		       struct cniclient_kv kv[CNICLIENT_K8S_NARGS])
{
	memset(crt, 0, sizeof(*crt));
	crt->container_id = sp->sandbox_id;
	crt->netns = sp->netns_path;
	crt->ifname = POD_IFNAME;
	cniclient_rt_k8s_args(crt, kv, sp->namespace_, sp->name, sp->sandbox_id, sp->uid);
}

/* Stop the shim (TERM, bounded wait) or, when it is gone, clean up what it
 * would have: runtime state and rootfs mounts. */
static void pod_stop(struct podrt *rt, const struct store_pod *sp, const char *pod_dir,
		     int64_t grace)
{
	char path[PATH_MAX];
	json_t *shim;
	struct store_container *cs = NULL;
	size_t n = 0;
	struct pn_err scratch = { 0 };

	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	shim = read_json(path);
	if (shim && shim_alive(pod_dir)) {
		pid_t pid = (pid_t)json_integer_value(json_object_get(shim, "pid"));

		if (pid > 1 && kill(pid, SIGTERM) == 0) {
			/* The shim waits grace seconds, then KILLs, then a few
			 * bounded steps: allow it that, polled every 20 ms. */
			for (int64_t i = 0; i < (grace + 15) * 50 && shim_alive(pod_dir); i++)
				usleep(20000);
		}
	}
	json_decref(shim);
	if (store_container_list(rt->st, sp->uid, &cs, &n, &scratch) == 0) {
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/containers/%s", pod_dir, cs[i].id);
			if (image_rootfs_release(path, &scratch) < 0)
				pn_warn("cannot release rootfs of %s: %s", cs[i].name,
					pn_err_msg(&scratch));
		}
		store_container_array_free(cs, n);
	}
	pn_err_free(&scratch);
}

int podrt_pod_delete(struct podrt *rt, const struct store_pod *sp, struct pn_err *err)
{
	struct store_pod upd = *sp;
	struct cni_netlist *l = NULL;
	char pod_dir[PATH_MAX];
	int64_t grace = 30;
	json_t *spec;
	int ret;

	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	upd.state = STORE_POD_DELETING;
	ret = store_pod_update(rt->st, &upd, STORE_POD_F_STATE, err);
	if (ret < 0)
		return ret;
	/* A terminating pod is no Service endpoint: out before its
	 * containers get SIGTERM, as kube-proxy drops it. */
	if (sp->pod_ip) {
		struct pn_err herr = { 0 };

		if (podrt_net_sync(rt, &herr) < 0)
			pn_warn("pod %s: rules not updated: %s", sp->name, pn_err_msg(&herr));
		pn_err_free(&herr);
	}
	spec = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL;
	if (spec) {
		json_t *g = json_object_get(json_object_get(spec, "spec"), "terminationGracePeriodSeconds");

		if (json_is_integer(g))
			grace = json_integer_value(g);
		json_decref(spec);
	}
	pod_stop(rt, sp, pod_dir, grace);

	if (sp->netns_path) {
		struct cniclient cc = { 0 };
		struct cniclient_rt crt;
		struct cniclient_kv kv[CNICLIENT_K8S_NARGS];
		char cpath[4096];

		cc.cni_path = runtime_cni_path(rt, cpath, sizeof(cpath));
		cc.cache_dir = rt->cni_cache;
		cni_rt_for(sp, &crt, kv);
		ret = cniclient_load_conflist(rt->cni_conf_dir, NULL, &l, err);
		if (ret == 0)
			ret = cniclient_del(&cc, l, &crt, err);
		cni_netlist_free(l);
		if (ret < 0 && ret != -ENOENT) {
			pn_err_prefix(err, "CNI DEL of pod %s", sp->name);
			return ret;
		}
		ret = netns_delete_pinned(sp->netns_path, err);
		if (ret < 0)
			return ret;
	}
	rm_rf(pod_dir);
	ret = store_pod_delete(rt->st, sp->uid, err);
	if (ret == 0) {
		struct pn_err scratch = { 0 };

		/* The pod is gone whatever happens here: a rule left behind is
		 * for an address no pod has, and the next sync removes it. */
		if (podrt_net_sync(rt, &scratch) < 0)
			pn_warn("after deleting pod %s: %s", sp->name, pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
	return ret;
}

int podrt_net_sync(struct podrt *rt, struct pn_err *err)
{
	return rt->net_sync ? rt->net_sync(rt, err) : 0;
}

static bool kvs_equal(const struct pn_kvs *a, const struct pn_kvs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *v = pn_kvs_get(b, a->items[i].key);

		if (!v || strcmp(v, a->items[i].value))
			return false;
	}
	return true;
}

static int kvs_dup(struct pn_kvs *dst, const struct pn_kvs *src)
{
	dst->items = calloc(src->n + 1, sizeof(*dst->items));
	dst->n = 0;
	if (!dst->items)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->items[i].key = strdup(src->items[i].key);
		dst->items[i].value = strdup(src->items[i].value);
		dst->n++;
		if (!dst->items[i].key || !dst->items[i].value)
			return -ENOMEM;
	}
	return 0;
}

int podrt_pod_relabel(struct podrt *rt, const struct store_pod *sp, const struct pn_pod *pod,
		      bool *changed, struct pn_err *err)
{
	struct store_pod upd = *sp;
	struct pn_pod *cur = NULL;
	json_t *j = sp->spec_json ? json_loads(sp->spec_json, 0, NULL) : NULL;
	int ret;

	*changed = false;
	ret = j ? pod_from_json(j, &cur, err)
		: pn_error(err, PN_E_STATE, EINVAL, "pod %s: stored spec is not JSON", sp->name);
	json_decref(j);
	j = NULL;
	if (ret < 0)
		goto out;
	if (kvs_equal(&cur->meta.labels, &pod->meta.labels) &&
	    kvs_equal(&cur->meta.annotations, &pod->meta.annotations))
		goto out;
	pn_kvs_free(&cur->meta.labels);
	pn_kvs_free(&cur->meta.annotations);
	if (kvs_dup(&cur->meta.labels, &pod->meta.labels) < 0 ||
	    kvs_dup(&cur->meta.annotations, &pod->meta.annotations) < 0 || !(j = pod_to_json(cur)) ||
	    !(upd.spec_json = json_dumps(j, JSON_COMPACT))) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	ret = store_pod_update(rt->st, &upd, STORE_POD_F_SPEC, err);
	free(upd.spec_json);
	if (ret < 0)
		goto out;
	*changed = true;
	ret = podrt_net_sync(rt, err);
out:
	json_decref(j);
	pn_pod_free(cur);
	return ret;
}

/* The pod IP: the first address on an interface inside the sandbox. */
static void result_pod_ips(const struct cni_result *r, char *ip, size_t n, json_t *ips,
			   char *gw, size_t gn)
{
	char buf[PN_IP_STRLEN];

	ip[0] = gw[0] = '\0';
	for (size_t i = 0; i < r->n_ips; i++) {
		int k = r->ips[i].iface;

		if (k >= 0 && (size_t)k < r->n_ifaces && !r->ifaces[k].sandbox)
			continue;
		pn_ip_str(&r->ips[i].address.ip, buf);
		json_array_append_new(ips, json_string(buf));
		if (!ip[0]) {
			snprintf(ip, n, "%s", buf);
			if (r->ips[i].gateway.family)
				snprintf(gw, gn, "%s", pn_ip_str(&r->ips[i].gateway, buf));
		}
	}
}

/* A new netns has only "lo", and it is down: every container's localhost
 * depends on it (CRI runtimes bring it up too, or run the loopback
 * plugin). */
static int loopback_up(const char *netns_path, struct pn_err *err)
{
	struct nl_sock s = NL_SOCK_INIT;
	struct link_info lo;
	int fd, ret;

	fd = netns_open(netns_path, err);
	if (fd < 0)
		return fd;
	ret = nl_open_in_netns(&s, NETLINK_ROUTE, fd, err);
	if (ret == 0)
		ret = link_get(&s, "lo", &lo, err);
	if (ret == 0)
		ret = link_set_up(&s, lo.ifindex, true, err);
	nl_close(&s);
	close(fd);
	return ret;
}

/*
 * A probe as the shim's plan holds it: handler with the port resolved (a
 * name is looked up among the container's own ports, as kubelet's
 * findPortByName does; 0 when it has none, which the shim reports as the
 * probe's failure) and the host left to the shim (the pod's address).
 */
static json_t *plan_probe(const struct pn_probe *p, const struct pn_container_spec *c)
{
	json_t *o = json_object(), *h = NULL;
	int port = p->port;

	if (!o)
		return NULL;
	if (p->port_name) {
		port = 0;
		for (size_t i = 0; i < c->n_ports; i++)
			if (c->ports[i].name && !strcmp(c->ports[i].name, p->port_name))
				port = c->ports[i].container_port;
	}
	switch (p->handler) {
	case PN_PROBE_EXEC: {
		json_t *a = json_array();

		for (size_t i = 0; a && p->command && p->command[i]; i++)
			json_array_append_new(a, json_string(p->command[i]));
		json_object_set_new(o, "exec", a);
		break;
	}
	case PN_PROBE_HTTP: {
		json_t *hd = json_array();

		for (size_t i = 0; hd && i < p->n_headers; i++) {
			char *line = NULL;

			if (asprintf(&line, "%s: %s", p->headers[i].name, p->headers[i].value ? p->headers[i].value : "") >= 0) {
				json_array_append_new(hd, json_string(line));
				free(line);
			}
		}
		h = json_pack("{s:s?, s:s, s:s, s:i, s:o}", "host", p->host, "path", p->path ? p->path : "/",
			      "scheme", p->scheme ? p->scheme : "HTTP", "port", port, "headers", hd);
		json_object_set_new(o, "httpGet", h);
		break;
	}
	case PN_PROBE_TCP:
		json_object_set_new(o, "tcpSocket", json_pack("{s:s?, s:i}", "host", p->host, "port", port));
		break;
	default:
		break;
	}
	json_object_set_new(o, "initialDelaySeconds", json_integer(p->initial_delay));
	json_object_set_new(o, "timeoutSeconds", json_integer(p->timeout));
	json_object_set_new(o, "periodSeconds", json_integer(p->period));
	json_object_set_new(o, "successThreshold", json_integer(p->success_threshold));
	json_object_set_new(o, "failureThreshold", json_integer(p->failure_threshold));
	if (p->has_termination_grace)
		json_object_set_new(o, "terminationGracePeriodSeconds",
				    json_integer(p->termination_grace));
	return o;
}

static json_t *plan_probes(const struct pn_container_spec *c)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (c->liveness.present)
		json_object_set_new(o, "liveness", plan_probe(&c->liveness, c));
	if (c->readiness.present)
		json_object_set_new(o, "readiness", plan_probe(&c->readiness, c));
	if (c->startup.present)
		json_object_set_new(o, "startup", plan_probe(&c->startup, c));
	return o;
}

int podrt_pod_create(struct podrt *rt, struct pn_pod *pod, struct store_pod **out,
		     struct pn_err *err)
{
	struct store_pod *sp = NULL;
	struct image_info **imgs = NULL;
	struct cni_netlist *l = NULL;
	struct cni_result *res = NULL;
	struct store_container *cs = NULL;
	struct pn_proc_result pr = { 0 };
	json_t *spec = NULL, *plan = NULL, *ctrs = NULL, *ips = json_array();
	char pod_dir[PATH_MAX], path[PATH_MAX], nsname[NETNS_NAME_MAX], cpath[4096];
	char pod_ip[64] = "", gw[64] = "", *netns_path = NULL;
	bool row = false, netns_made = false, cni_added = false, shim_started = false;
	bool rootfs_made = false;
	size_t nc = pod->spec.n_containers;
	struct cniclient cc = { 0 };
	int ret;

	cc.cni_path = runtime_cni_path(rt, cpath, sizeof(cpath));
	cc.cache_dir = rt->cni_cache;
	imgs = calloc(nc ? nc : 1, sizeof(*imgs));
	cs = calloc(nc ? nc : 1, sizeof(*cs));
	if (!imgs || !cs || !ips) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	/* 1. Everything that can be refused is refused before anything exists. */
	for (size_t i = 0; i < nc; i++) {
		struct pn_container_spec *c = &pod->spec.containers[i];
		json_t *argv;

		ret = image_get(rt->root, c->image, &imgs[i], err);
		if (ret < 0)
			goto out;
		argv = container_argv(c, imgs[i]);
		if (json_array_size(argv) == 0) {
			json_decref(argv);
			ret = pn_error(err, PN_E_BAD_REQUEST, 0,
				       "container \"%s\": no command given and image \"%s\" has none",
				       c->name, c->image);
			goto out;
		}
		json_decref(argv);
	}
	if (!pod->spec.host_network) {
		ret = load_netlist(rt, &l, err);
		if (ret < 0)
			goto out;
	}

	/* 2. The row first: from here a killed apply is visible. */
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (!pod->spec.host_network) {
		ret = netns_new_name(nsname);
		if (ret < 0) {
			ret = pn_error(err, PN_E_KERNEL, -ret, "cannot name a network namespace");
			goto out;
		}
		if (asprintf(&netns_path, "%s/%s", rt->netns_dir, nsname) < 0) {
			netns_path = NULL;
			ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
	}
	sp->namespace_ = pod->meta.namespace_;
	sp->name = pod->meta.name;
	sp->netns_path = netns_path;
	sp->state = STORE_POD_CREATING;
	sp->phase = STORE_PHASE_PENDING;
	spec = pod_to_json(pod);
	sp->spec_json = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
	ret = store_begin(rt->st, err);
	if (ret < 0)
		goto out_unborrow;
	ret = store_pod_insert(rt->st, sp, err);
	for (size_t i = 0; ret == 0 && i < nc; i++) {
		char id[65];

		if (store_new_id(id) < 0) {
			ret = pn_error(err, PN_E_KERNEL, EIO, "cannot make a container id");
			break;
		}
		cs[i].id = strdup(id);
		cs[i].pod_uid = sp->uid;
		cs[i].name = pod->spec.containers[i].name;
		cs[i].idx = (int)i;
		cs[i].image = imgs[i]->name;
		cs[i].state = STORE_CTR_CREATED;
		ret = store_container_insert(rt->st, &cs[i], err);
	}
	/* hostPorts, checked as the scheduler's NodePorts filter does, in the
	 * transaction that claims the pod's name: two pods cannot both get one. */
	for (size_t i = 0; ret == 0 && i < nc; i++) {
		const struct pn_container_spec *c = &pod->spec.containers[i];

		for (size_t k = 0; ret == 0 && k < c->n_ports; k++) {
			if (!c->ports[k].host_port)
				continue;
			ret = store_host_port_claim(rt->st, sp->uid,
						    c->ports[k].protocol ? c->ports[k].protocol : "TCP",
						    c->ports[k].host_port, err);
			if (ret == -EADDRINUSE)
				ret = pn_error(err, PN_E_CONFLICT, EADDRINUSE,
					       "pod \"%s\" cannot be scheduled: 0/1 nodes are available: 1 "
					       "node(s) didn't have free ports for the requested pod ports. "
					       "preemption: 0/1 nodes are available: 1 No preemption victims "
					       "found for incoming pod.", sp->name);
		}
	}
	if (ret == 0)
		ret = store_commit(rt->st, err);
	if (ret < 0) {
		store_rollback(rt->st);
		goto out_unborrow;
	}
	row = true;
	free(pod->meta.uid);
	pod->meta.uid = strdup(sp->uid);
	pod->meta.creation = (time_t)(sp->created_ns / 1000000000);
	pod_dir_path(rt, sp->uid, pod_dir, sizeof(pod_dir));
	ret = pn_mkdir_p(pod_dir, 0700);
	if (ret < 0) {
		ret = pn_error(err, PN_E_STATE, -ret, "cannot create %s", pod_dir);
		goto out_unborrow;
	}

	/* 3-4. The pod's network: its own namespace and the CNI chain. */
	if (!pod->spec.host_network) {
		struct cniclient_rt crt;
		struct cniclient_kv kv[CNICLIENT_K8S_NARGS];
		char *made = NULL;

		ret = netns_create_pinned(rt->netns_dir, nsname, &made, err);
		free(made);
		if (ret < 0)
			goto out_unborrow;
		netns_made = true;
		ret = loopback_up(netns_path, err);
		if (ret < 0)
			goto out_unborrow;
		/* Recorded before ADD runs, so a crash mid-ADD cannot hide the
		 * attachment from gc; the row goes with the pod's (cascade). */
		{
			struct store_attachment a = { .pod_uid = sp->uid,
						      .network = l->name,
						      .ifname = POD_IFNAME,
						      .container_id = sp->sandbox_id,
						      .netns_path = netns_path };

			ret = store_attachment_add(rt->st, &a, err);
			if (ret < 0)
				goto out_unborrow;
		}
		cni_rt_for(sp, &crt, kv);
		ret = cniclient_add(&cc, l, &crt, &res, err);
		if (ret < 0) {
			pn_err_prefix(err, "network for pod \"%s\" (CNI network %s)", sp->name, l->name);
			goto out_unborrow;
		}
		cni_added = true;
		result_pod_ips(res, pod_ip, sizeof(pod_ip), ips, gw, sizeof(gw));
		/* The addresses go in the state now, and the network's rules
		 * follow before any container runs: a pod that a policy
		 * isolates is isolated from its first packet. */
		if (rt->net_sync) {
			sp->pod_ip = pod_ip[0] ? pod_ip : NULL;
			sp->pod_ips = json_dumps(ips, JSON_COMPACT);
			sp->host_ip = gw[0] ? gw : NULL;
			ret = store_pod_update(rt->st, sp, STORE_POD_F_IPS, err);
			free(sp->pod_ips);
			sp->pod_ips = NULL;
			sp->pod_ip = sp->host_ip = NULL;
			if (ret == 0)
				ret = podrt_net_sync(rt, err);
			if (ret < 0) {
				pn_err_prefix(err, "network rules for pod \"%s\"", sp->name);
				goto out_unborrow;
			}
		}
	}
	/* 5-6. Root filesystems, the plan, the shim. */
	ctrs = json_array();
	for (size_t i = 0; i < nc; i++) {
		struct pn_container_spec *c = &pod->spec.containers[i];
		char *rootfs = NULL;

		snprintf(path, sizeof(path), "%s/containers/%s", pod_dir, cs[i].id);
		ret = pn_mkdir_p(path, 0700);
		if (ret < 0) {
			ret = pn_error(err, PN_E_STATE, -ret, "cannot create %s", path);
			goto out_unborrow;
		}
		/* Before the call: a failure half-way may leave a mount. */
		rootfs_made = true;
		ret = image_rootfs_prepare(rt->root, c->image, path, &rootfs, err);
		if (ret < 0)
			goto out_unborrow;
		json_array_append_new(
			ctrs, json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:o}", "id", cs[i].id, "name",
					c->name, "rootfs", rootfs, "args", container_argv(c, imgs[i]),
					"env", container_env(c, imgs[i]), "workingDir",
					c->working_dir ? c->working_dir
						       : (imgs[i]->working_dir ? imgs[i]->working_dir : "/"),
					"unmountRootfs", 1, "probes", plan_probes(c)));
		free(rootfs);
	}
	snprintf(path, sizeof(path), "%s/podnet-pause", rt->bin_dir);
	plan = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:s, s:I, s:{s:s}, s:O}",
			 "podUID", sp->uid, "podName", sp->name, "namespace", sp->namespace_,
			 "sandboxID", sp->sandbox_id, "hostname",
			 pod->spec.hostname ? pod->spec.hostname : sp->name, "hostNetwork",
			 pod->spec.host_network, "hostIPC", pod->spec.host_ipc, "hostPID",
			 pod->spec.host_pid, "shareProcessNamespace",
			 pod->spec.share_process_namespace, "restartPolicy",
			 pn_restart_policy_str(pod->spec.restart_policy), "terminationGracePeriodSeconds",
			 (json_int_t)pod->spec.termination_grace_period, "pause", "binary", path,
			 "containers", ctrs);
	if (plan && netns_path)
		json_object_set_new(plan, "netns", json_string(netns_path));
	if (plan && pod_ip[0])
		json_object_set_new(plan, "podIP", json_string(pod_ip));
	/* Service endpoints follow readiness: the shim runs this when a
	 * container's readiness changes. */
	snprintf(path, sizeof(path), "%s/podnet", rt->bin_dir);
	if (plan && access(path, X_OK) == 0)
		json_object_set_new(plan, "syncCommand", json_pack("[s, s]", path, "sync"));
	if (!plan) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out_unborrow;
	}
	snprintf(path, sizeof(path), "%s/plan.json", pod_dir);
	ret = pn_json_file_replace(path, plan, JSON_INDENT(2), 0644, PN_E_STATE, err);
	if (ret < 0)
		goto out_unborrow;
	{
		char shim[PATH_MAX];
		char *argv[12];
		int k = 0;

		snprintf(shim, sizeof(shim), "%s/podnet-shim", rt->bin_dir);
		argv[k++] = shim;
		argv[k++] = "--pod-dir";
		argv[k++] = pod_dir;
		argv[k++] = "--root";
		argv[k++] = (char *)rt->root;
		argv[k++] = "--pod-uid";
		argv[k++] = sp->uid;
		if (rt->runtime) {
			argv[k++] = "--runtime";
			argv[k++] = (char *)rt->runtime;
		}
		argv[k] = NULL;
		/* The shim's first process returns once the pod runs, its pid
		 * on stdout; the monitor it leaves behind has closed both
		 * pipes, so EOF does not wait for the pod to end. */
		ret = pn_run(&(struct pn_spawn){ .path = shim, .argv = argv, .out = PN_STDIO_PIPE,
						 .err = PN_STDIO_PIPE, .out_max = 64, .err_max = 2048,
						 .code = PN_E_OCI_RUNTIME },
			     &pr, err);
		if (ret < 0) {
			pn_err_prefix(err, "pod \"%s\" did not start", sp->name);
			goto out_unborrow;
		}
		if (!pn_proc_ok(&pr)) {
			char *e = pr.err;
			size_t n = strlen(e);

			while (n > 0 && e[n - 1] == '\n')
				e[--n] = '\0';
			ret = pn_error(err, PN_E_OCI_RUNTIME, 0, "pod \"%s\" did not start: %s", sp->name,
				       e[0] ? e : "podnet-shim failed");
			goto out_unborrow;
		}
		shim_started = true;
		sp->shim_pid = atoi(pr.out);
	}
	snprintf(path, sizeof(path), "%s/shim.json", pod_dir);
	{
		json_t *sj = read_json(path);

		sp->pause_pid = sj ? (pid_t)json_integer_value(json_object_get(sj, "pausePid")) : 0;
		json_decref(sj);
	}

	/* 7. Ready. */
	sp->state = STORE_POD_READY;
	sp->phase = STORE_PHASE_RUNNING;
	sp->pod_ip = pod_ip[0] ? pod_ip : NULL;
	sp->pod_ips = json_dumps(ips, JSON_COMPACT);
	sp->host_ip = gw[0] ? gw : NULL;
	sp->started_ns = (int64_t)time(NULL) * 1000000000;
	ret = store_pod_update(rt->st, sp,
			       STORE_POD_F_STATE | STORE_POD_F_PHASE | STORE_POD_F_IPS |
				       STORE_POD_F_SHIM_PID | STORE_POD_F_PAUSE_PID | STORE_POD_F_STARTED,
			       err);
	free(sp->pod_ips);
	sp->pod_ips = NULL;
	sp->pod_ip = sp->host_ip = NULL;
	if (ret < 0)
		goto out_unborrow;
	ret = 0;
out_unborrow:
	/* Fields borrowed from @pod and locals go back before any free. */
	if (sp) {
		sp->namespace_ = NULL;
		sp->name = NULL;
		sp->netns_path = NULL;
	}
	for (size_t i = 0; i < nc && cs; i++) {
		cs[i].pod_uid = NULL;
		cs[i].name = NULL;
		cs[i].image = NULL;
	}
	if (ret < 0 && row) {
		struct pn_err scratch = { 0 };
		struct store_pod *cur = NULL;

		/* A rootfs is a mount that rm_rf() will not cross: only the
		 * full delete releases it (a hostNetwork pod has no netns to
		 * send it there otherwise). */
		if (shim_started || netns_made || cni_added || rootfs_made) {
			if (store_pod_get(rt->st, sp->uid, &cur, &scratch) == 0) {
				if (podrt_pod_delete(rt, cur, &scratch) < 0)
					pn_warn("rollback of pod %s: %s", cur->name, pn_err_msg(&scratch));
				store_pod_free(cur);
			}
		} else {
			rm_rf(pod_dir);
			if (store_pod_delete(rt->st, sp->uid, &scratch) < 0)
				pn_warn("rollback of pod %s: %s", pod->meta.name, pn_err_msg(&scratch));
		}
		pn_err_free(&scratch);
	}
	if (ret == 0 && out) {
		ret = store_pod_get(rt->st, sp->uid, out, err);
	}
out:
	for (size_t i = 0; i < nc && imgs; i++)
		image_info_free(imgs[i]);
	free(imgs);
	if (cs) {
		for (size_t i = 0; i < nc; i++)
			free(cs[i].id);
		free(cs);
	}
	store_pod_free(sp);
	free(netns_path);
	pn_proc_result_free(&pr);
	cni_result_free(res);
	cni_netlist_free(l);
	json_decref(spec);
	json_decref(plan);
	json_decref(ctrs);
	json_decref(ips);
	return ret;
}

static void jstr(json_t *o, const char *k, char *buf, size_t n)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(buf, n, "%s", s ? s : "");
}

static int jint(json_t *o, const char *k, int def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static time_t parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };

	if (!s || !*s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

int podrt_view_get(struct podrt *rt, const struct store_pod *sp, struct podrt_view *v,
		   struct pn_err *err)
{
	struct store_container *cs = NULL;
	char path[PATH_MAX];
	json_t *shim = NULL;
	size_t n = 0;
	bool all_exited = true, any_failed = false;
	const char *policy = "Always";
	int ret;

	memset(v, 0, sizeof(*v));
	ret = store_pod_get(rt->st, sp->uid, &v->pod, err);
	if (ret < 0)
		return ret;
	v->spec = v->pod->spec_json ? json_loads(v->pod->spec_json, 0, NULL) : NULL;
	if (v->spec) {
		const char *p = json_string_value(
			json_object_get(json_object_get(v->spec, "spec"), "restartPolicy"));

		if (p)
			policy = p;
	}
	pod_dir_path(rt, sp->uid, v->pod_dir, sizeof(v->pod_dir));
	v->shim_alive = shim_alive(v->pod_dir);
	snprintf(path, sizeof(path), "%s/shim.json", v->pod_dir);
	shim = read_json(path);
	if (shim) {
		v->shim_pid = jint(shim, "pid", 0);
		v->pause_pid = jint(shim, "pausePid", 0);
		jstr(shim, "runtime", v->runtime, sizeof(v->runtime));
		jstr(shim, "runtimeRoot", v->runtime_root, sizeof(v->runtime_root));
	}
	ret = store_container_list(rt->st, sp->uid, &cs, &n, err);
	if (ret < 0)
		goto out;
	v->ctrs = calloc(n ? n : 1, sizeof(*v->ctrs));
	if (!v->ctrs) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	v->n_ctrs = n;
	v->total = (int)n;
	for (size_t i = 0; i < n; i++) {
		struct podrt_ctr *c = &v->ctrs[i];
		json_t *st, *last;

		c->row = cs[i];
		memset(&cs[i], 0, sizeof(cs[i]));
		c->exit_code = -1;
		snprintf(c->state, sizeof(c->state), "created");
		snprintf(c->reason, sizeof(c->reason), "ContainerCreating");
		snprintf(path, sizeof(path), "%s/containers/%s/status.json", v->pod_dir, c->row.id);
		st = read_json(path);
		if (st) {
			jstr(st, "state", c->state, sizeof(c->state));
			c->pid = jint(st, "pid", 0);
			c->exit_code = jint(st, "exitCode", -1);
			jstr(st, "reason", c->reason, sizeof(c->reason));
			jstr(st, "message", c->message, sizeof(c->message));
			jstr(st, "startedAt", c->started_at, sizeof(c->started_at));
			jstr(st, "finishedAt", c->finished_at, sizeof(c->finished_at));
			c->restart_count = jint(st, "restartCount", 0);
			/* A shim without probes (older) writes neither: running is both. */
			c->started = json_is_boolean(json_object_get(st, "started"))
					     ? json_is_true(json_object_get(st, "started"))
					     : !strcmp(c->state, "running");
			c->ready = json_is_boolean(json_object_get(st, "ready"))
					   ? json_is_true(json_object_get(st, "ready"))
					   : !strcmp(c->state, "running");
			jstr(st, "logPath", c->log_path, sizeof(c->log_path));
			jstr(st, "previousLogPath", c->prev_log_path, sizeof(c->prev_log_path));
			last = json_object_get(st, "lastState");
			if (json_is_object(last)) {
				c->has_last = true;
				c->last_exit_code = jint(last, "exitCode", 0);
				jstr(last, "reason", c->last_reason, sizeof(c->last_reason));
				jstr(last, "startedAt", c->last_started_at, sizeof(c->last_started_at));
				jstr(last, "finishedAt", c->last_finished_at,
				     sizeof(c->last_finished_at));
				if (parse_rfc3339(c->last_finished_at) > v->last_restart)
					v->last_restart = parse_rfc3339(c->last_finished_at);
			}
			json_decref(st);
		}
		/* A status file that says running, from a shim that is gone,
		 * describes nothing: the processes died with it. */
		if (!v->shim_alive && v->pod->state == STORE_POD_READY && !strcmp(c->state, "running")) {
			snprintf(c->state, sizeof(c->state), "unknown");
			snprintf(c->reason, sizeof(c->reason), "Unknown");
			c->pid = 0;
		}
		if (strcmp(c->state, "running") != 0)
			c->ready = c->started = false;
		if (c->ready)
			v->ready++;
		if (strcmp(c->state, "exited"))
			all_exited = false;
		else if (c->exit_code != 0)
			any_failed = true;
		v->restarts += c->restart_count;
	}

	/* Phase and kubectl's STATUS column (its printPod, simplified to the
	 * states a single node can have). */
	if (v->pod->state == STORE_POD_CREATING) {
		snprintf(v->phase, sizeof(v->phase), "Pending");
		snprintf(v->status, sizeof(v->status), "ContainerCreating");
	} else if (!v->shim_alive && v->pod->state == STORE_POD_READY && !all_exited) {
		snprintf(v->phase, sizeof(v->phase), "Unknown");
		snprintf(v->status, sizeof(v->status), "Unknown");
	} else if (all_exited && n && strcmp(policy, "Always")) {
		bool failed = any_failed && strcmp(policy, "Never") == 0 ? true : any_failed;

		snprintf(v->phase, sizeof(v->phase), "%s", failed ? "Failed" : "Succeeded");
		snprintf(v->status, sizeof(v->status), "%s", failed ? "Error" : "Completed");
	} else {
		bool has_running = false;

		snprintf(v->phase, sizeof(v->phase), "Running");
		snprintf(v->status, sizeof(v->status), "Running");
		for (size_t i = n; i-- > 0;) {
			struct podrt_ctr *c = &v->ctrs[i];

			if (!strcmp(c->state, "running")) {
				has_running = true;
			} else if (!strcmp(c->state, "waiting") || !strcmp(c->state, "created")) {
				snprintf(v->status, sizeof(v->status), "%s", c->reason);
			} else if (!strcmp(c->state, "exited")) {
				if (c->reason[0])
					snprintf(v->status, sizeof(v->status), "%s", c->reason);
				else
					snprintf(v->status, sizeof(v->status), "ExitCode:%d", c->exit_code);
			}
		}
		if (!strcmp(v->status, "Completed") && has_running)
			snprintf(v->status, sizeof(v->status), "%s",
				 v->ready == v->total ? "Running" : "NotReady");
	}
	if (v->pod->state == STORE_POD_DELETING)
		snprintf(v->status, sizeof(v->status), "Terminating");
	ret = 0;
out:
	json_decref(shim);
	store_container_array_free(cs, n);
	return ret;
}

void podrt_view_free(struct podrt_view *v)
{
	for (size_t i = 0; i < v->n_ctrs; i++)
		store_container_clear(&v->ctrs[i].row);
	free(v->ctrs);
	store_pod_free(v->pod);
	json_decref(v->spec);
	memset(v, 0, sizeof(*v));
}

static void rfc3339(int64_t ns, char buf[40])
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "2026-11-26T16:00:00.123456789Z" -> "2026-11-26T16:00:00Z", as the API
 * server reports container times. */
static json_t *api_time(const char *s)
{
	char buf[40];

	if (!s || !*s)
		return json_null();
	snprintf(buf, sizeof(buf), "%.19sZ", s);
	return json_string(buf);
}

json_t *podrt_view_to_json(const struct podrt_view *v)
{
	json_t *o = v->spec ? json_deep_copy(v->spec) : json_object();
	json_t *meta, *spec, *status, *conds, *cst, *ips;
	char ts[40], host[256] = "";
	bool ready = v->ready == v->total && v->total > 0;

	if (!o)
		return NULL;
	meta = json_object_get(o, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(o, "metadata", meta);
	}
	json_object_set_new(meta, "uid", json_string(v->pod->uid));
	rfc3339(v->pod->created_ns, ts);
	json_object_set_new(meta, "creationTimestamp", json_string(ts));
	spec = json_object_get(o, "spec");
	gethostname(host, sizeof(host) - 1);
	if (spec)
		json_object_set_new(spec, "nodeName", json_string(host));

	status = json_object();
	json_object_set_new(status, "phase", json_string(v->phase));
	conds = json_array();
	{
		const char *types[] = { "Initialized", "Ready", "ContainersReady", "PodScheduled" };

		for (size_t i = 0; i < PN_ARRAY_SIZE(types); i++) {
			bool t = i == 0 || i == 3 || ready;

			json_array_append_new(conds, json_pack("{s:s, s:s, s:o, s:s}", "type", types[i],
							       "status", t ? "True" : "False",
							       "lastProbeTime", json_null(),
							       "lastTransitionTime", ts));
		}
	}
	json_object_set_new(status, "conditions", conds);
	if (v->pod->host_ip)
		json_object_set_new(status, "hostIP", json_string(v->pod->host_ip));
	if (v->pod->pod_ip)
		json_object_set_new(status, "podIP", json_string(v->pod->pod_ip));
	ips = json_array();
	if (v->pod->pod_ips) {
		json_t *l = json_loads(v->pod->pod_ips, 0, NULL);
		size_t i;
		json_t *e;

		json_array_foreach(l, i, e)
			json_array_append_new(ips, json_pack("{s:O}", "ip", e));
		json_decref(l);
	}
	json_object_set_new(status, "podIPs", ips);
	if (v->pod->started_ns) {
		rfc3339(v->pod->started_ns, ts);
		json_object_set_new(status, "startTime", json_string(ts));
	}
	cst = json_array();
	for (size_t i = 0; i < v->n_ctrs; i++) {
		const struct podrt_ctr *c = &v->ctrs[i];
		char cid[80];
		json_t *state, *last = json_object();

		snprintf(cid, sizeof(cid), "podnet://%s", c->row.id);
		if (!strcmp(c->state, "running"))
			state = json_pack("{s:{s:o}}", "running", "startedAt", api_time(c->started_at));
		else if (!strcmp(c->state, "exited"))
			state = json_pack("{s:{s:i, s:s, s:o, s:o, s:s}}", "terminated", "exitCode",
					  c->exit_code, "reason", c->reason, "startedAt",
					  api_time(c->started_at), "finishedAt", api_time(c->finished_at),
					  "containerID", cid);
		else
			state = json_pack("{s:{s:s}}", "waiting", "reason",
					  c->reason[0] ? c->reason : "ContainerCreating");
		/* The shim's why (the back-off, the runtime's start error), where
		 * the API server keeps it too. */
		if (c->message[0])
			json_object_set_new(json_object_get(state, strcmp(c->state, "exited") ? "waiting"
											  : "terminated"),
					    "message", json_string(c->message));
		if (c->has_last)
			json_object_set_new(last, "terminated",
					    json_pack("{s:i, s:s, s:o, s:o, s:s}", "exitCode",
						      c->last_exit_code, "reason", c->last_reason,
						      "startedAt", api_time(c->last_started_at),
						      "finishedAt", api_time(c->last_finished_at),
						      "containerID", cid));
		json_array_append_new(
			cst, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:i, s:b}", "name", c->row.name,
				       "containerID", cid, "image", c->row.image, "imageID", c->row.image,
				       "state", state, "lastState", last, "ready", c->ready,
				       "restartCount", c->restart_count, "started", c->started));
	}
	json_object_set_new(status, "containerStatuses", cst);
	json_object_set_new(status, "qosClass", json_string("BestEffort"));
	json_object_set_new(o, "status", status);
	return o;
}

int podrt_gc(struct podrt *rt, size_t *removed, struct pn_err *err)
{
	struct store_pod *pods = NULL;
	struct cni_netlist *l = NULL;
	struct cni_attachment *valid = NULL;
	size_t n = 0, nv = 0, count = 0;
	char path[PATH_MAX], cpath[4096];
	struct cniclient cc = { 0 };
	DIR *d;
	struct dirent *de;
	int ret;

	*removed = 0;
	ret = store_pod_list(rt->st, NULL, &pods, &n, err);
	if (ret < 0)
		return ret;
	/* 1. Rows a killed apply or delete left behind. */
	for (size_t i = 0; i < n; i++) {
		if (pods[i].state == STORE_POD_READY || store_owner_alive(pods[i].owner))
			continue;
		ret = podrt_pod_delete(rt, &pods[i], err);
		if (ret < 0)
			goto out;
		pods[i].state = (enum store_pod_state)-1;
		count++;
	}
	/* 2. Pod dirs of no pod. */
	snprintf(path, sizeof(path), "%s/pods", rt->root);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		bool known = false;
		char dir[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < n && !known; i++)
			known = pods[i].state != (enum store_pod_state)-1 && !strcmp(pods[i].uid, de->d_name);
		if (known)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", path, de->d_name);
		if (!shim_alive(dir)) {
			char cdir[PATH_MAX];
			DIR *cd;
			struct dirent *ce;

			snprintf(cdir, sizeof(cdir), "%s/containers", dir);
			cd = opendir(cdir);
			while (cd && (ce = readdir(cd))) {
				char one[PATH_MAX];
				struct pn_err scratch = { 0 };

				if (ce->d_name[0] == '.')
					continue;
				snprintf(one, sizeof(one), "%s/%s", cdir, ce->d_name);
				if (image_rootfs_release(one, &scratch) < 0)
					pn_warn("%s", pn_err_msg(&scratch));
				pn_err_free(&scratch);
			}
			if (cd)
				closedir(cd);
			rm_rf(dir);
			count++;
		}
	}
	if (d)
		closedir(d);
	/* 3. CNI GC with the live pods as the valid attachments, and netns
	 * pins named like ours that no pod owns. */
	valid = calloc(n ? n : 1, sizeof(*valid));
	if (!valid) {
		ret = pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (pods[i].state == (enum store_pod_state)-1 || !pods[i].netns_path)
			continue;
		valid[nv].container_id = pods[i].sandbox_id;
		valid[nv].ifname = POD_IFNAME;
		nv++;
	}
	cc.cni_path = runtime_cni_path(rt, cpath, sizeof(cpath));
	cc.cache_dir = rt->cni_cache;
	if (cniclient_load_conflist(rt->cni_conf_dir, NULL, &l, NULL) == 0) {
		struct pn_err scratch = { 0 };

		if (cniclient_gc(&cc, l, valid, nv, &scratch) < 0)
			pn_warn("CNI GC: %s", pn_err_msg(&scratch));
		pn_err_free(&scratch);
	}
	d = opendir(rt->netns_dir);
	while (d && (de = readdir(d))) {
		bool known = false;
		char pin[PATH_MAX];

		if (strncmp(de->d_name, "cni-", 4))
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", rt->netns_dir, de->d_name);
		for (size_t i = 0; i < n && !known; i++)
			known = pods[i].state != (enum store_pod_state)-1 && pods[i].netns_path &&
				!strcmp(pods[i].netns_path, pin);
		/* A cni- pin with a CNI cache entry belongs to another runtime
		 * (containerd, CRI-O) on this node: not ours to remove. */
		if (known)
			continue;
		{
			struct cniclient_cached *cached = NULL;
			size_t nc = 0;
			bool foreign = false;

			if (cniclient_list_cache(rt->cni_cache, NULL, &cached, &nc, NULL) == 0) {
				for (size_t k = 0; k < nc; k++)
					foreign |= cached[k].netns && !strcmp(cached[k].netns, pin);
				cniclient_cached_free_all(cached, nc);
			}
			if (foreign)
				continue;
		}
		if (netns_delete_pinned(pin, NULL) == 0)
			count++;
	}
	if (d)
		closedir(d);
	/* And the network's rules, as the state now says (a sync a crash
	 * interrupted, a table someone removed). */
	ret = podrt_net_sync(rt, err);
out:
	*removed = count;
	free(valid);
	cni_netlist_free(l);
	store_pod_array_free(pods, n);
	return ret;
}
