/* SPDX-License-Identifier: Apache-2.0 */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "manifest.h"
#include "nodeinfo.h"
#include "podrt.h"

struct api_node {
	struct podrt rt;
	struct nodeinfo ni;
	uint64_t rv;
	char created[32];
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

static void set_rv(json_t *obj, uint64_t rv)
{
	char s[32];
	json_t *meta = json_object_get(obj, "metadata");

	snprintf(s, sizeof(s), "%llu", (unsigned long long)rv);
	json_object_set_new(meta, "resourceVersion", json_string(s));
}

static json_t *node_object(struct api_node *n)
{
	const struct nodeinfo *ni = &n->ni;
	char cpu[16], mem[32], storage[32], now[32];
	json_t *o, *addrs;

	snprintf(cpu, sizeof(cpu), "%d", ni->cpus);
	snprintf(mem, sizeof(mem), "%lldKi", (long long)ni->memory_kib);
	snprintf(storage, sizeof(storage), "%lldKi", (long long)ni->storage_kib);
	rfc3339(time(NULL), now);
	addrs = json_array();
	if (ni->ip[0])
		json_array_append_new(addrs, json_pack("{s:s, s:s}", "type", "InternalIP", "address",
						       ni->ip));
	json_array_append_new(addrs, json_pack("{s:s, s:s}", "type", "Hostname", "address", ni->name));
	o = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}},"
		      " s:{},"
		      " s:{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:[{s:s, s:s, s:s, s:s,"
		      " s:s, s:s}], s:o, s:{s:{s:i}}, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
		      " s:s, s:s}}}",
		      "kind", "Node", "apiVersion", "v1", "metadata", "name", ni->name,
		      "creationTimestamp", n->created, "labels", "kubernetes.io/arch", ni->arch,
		      "kubernetes.io/hostname", ni->name, "kubernetes.io/os", "linux",
		      "beta.kubernetes.io/arch", ni->arch, "beta.kubernetes.io/os", "linux", "spec",
		      "status", "capacity", "cpu", cpu, "memory", mem, "ephemeral-storage", storage,
		      "pods", "110", "allocatable", "cpu", cpu, "memory", mem, "ephemeral-storage",
		      storage, "pods", "110", "conditions", "type", "Ready", "status", "True",
		      "lastHeartbeatTime", now, "lastTransitionTime", n->created, "reason",
		      "KubeletReady", "message", "podnetd is running pods on this node", "addresses",
		      addrs, "daemonEndpoints", "kubeletEndpoint", "Port", 0, "nodeInfo", "machineID",
		      ni->machine_id, "systemUUID", ni->machine_id, "bootID", ni->boot_id,
		      "kernelVersion", ni->kernel, "osImage", ni->os_image, "containerRuntimeVersion",
		      "podnet://" API_GIT_VERSION, "kubeletVersion", API_GIT_VERSION,
		      "kubeProxyVersion", "", "operatingSystem", "linux", "architecture", ni->arch);
	if (o && ni->pod_cidr[0]) {
		json_t *spec = json_object_get(o, "spec");

		json_object_set_new(spec, "podCIDR", json_string(ni->pod_cidr));
		json_object_set_new(spec, "podCIDRs", json_pack("[s]", ni->pod_cidr));
	}
	return o;
}

int node_start(struct api *a, const struct node_opts *o, struct pn_err *err)
{
	struct api_node *n = calloc(1, sizeof(*n));
	struct store_pod *pods = NULL;
	struct store_namespace *nss = NULL;
	size_t np = 0, nn = 0;
	int ret;

	if (!n)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	a->node = n;
	n->rt.root = env_or("PODNET_ROOT", "/var/lib/podnet");
	n->rt.cni_conf_dir = env_or("PODNET_CNI_CONF_DIR", "/etc/cni/net.d");
	n->rt.cni_path = env_or("CNI_PATH", "/opt/cni/bin");
	n->rt.cni_cache = env_or("PODNET_CNI_CACHE_DIR", "/var/lib/cni");
	n->rt.netns_dir = env_or("PODNET_NETNS_DIR", "/run/netns");
	n->rt.runtime = getenv("PODNET_RUNTIME");
	ret = podrt_open(&n->rt, err);
	if (ret < 0)
		return ret;
	ret = nodeinfo_get(&n->ni, o->node_name, o->node_ip, n->rt.cni_conf_dir, n->rt.root, err);
	if (ret < 0)
		return ret;
	rfc3339(time(NULL), n->created);
	ret = cache_new(1, &a->cache);
	if (ret < 0)
		return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	n->rv = 1;
	{
		json_t *node = node_object(n);

		set_rv(node, ++n->rv);
		if (cache_apply(a->cache, API_NODES, CACHE_ADDED, node, n->rv) < 0)
			return pn_error(err, PN_E_NOMEM, ENOMEM, "out of memory");
	}
	ret = store_namespace_list(n->rt.st, &nss, &nn, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < nn; i++) {
		char ts[32];
		json_t *ns = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}, s:{s:s}}", "kind", "Namespace",
				       "apiVersion", "v1", "metadata", "name", nss[i].name, "uid",
				       nss[i].uid, "spec", "status", "phase",
				       nss[i].phase == STORE_NS_ACTIVE ? "Active" : "Terminating");

		rfc3339((time_t)(nss[i].created_ns / 1000000000), ts);
		json_object_set_new(json_object_get(ns, "metadata"), "creationTimestamp",
				    json_string(ts));
		set_rv(ns, ++n->rv);
		if (cache_apply(a->cache, API_NAMESPACES, CACHE_ADDED, ns, n->rv) < 0)
			break;
	}
	store_namespace_array_free(nss, nn);
	ret = store_pod_list(n->rt.st, NULL, &pods, &np, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < np; i++) {
		struct podrt_view v;
		json_t *obj;

		if (podrt_view_get(&n->rt, &pods[i], &v, err) < 0)
			continue;
		obj = podrt_view_to_json(&v);
		podrt_view_free(&v);
		if (!obj)
			continue;
		set_rv(obj, ++n->rv);
		if (cache_apply(a->cache, API_PODS, CACHE_ADDED, obj, n->rv) < 0)
			break;
	}
	store_pod_array_free(pods, np);
	return 0;
}

void node_stop(struct api *a)
{
	struct api_node *n = a->node;

	if (!n)
		return;
	podrt_close(&n->rt);
	free(n);
	a->node = NULL;
	cache_free(a->cache);
	a->cache = NULL;
}

const char *node_address(struct api *a)
{
	return a->node && a->node->ni.ip[0] ? a->node->ni.ip : NULL;
}
